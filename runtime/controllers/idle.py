"""Idle life for standing hosts, from a procedural clip file (rigs/clips/idle.toml): arms relaxed at
the sides, breathing, a slow weight shift and small head motion (blinks are the blink stage's).

A pure function of (tick, seeds): any tick can be evaluated alone, and two runs with the same seeds give
identical poses. Each tick evaluates every host's row angles as one array and composes the rotations in
a compiled kernel, row by row (a bone's second rotation is applied after its first).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..skeleton.face import CHANNEL_INDEX
from ..skeleton.humanoid import BONE_NAMES
from ..skeleton.kernels import compose_rows
from ..skeleton.pose import BONE_INDEX
from ..tomlfile import TomlDoc

IDLE_FILE = Path(__file__).resolve().parents[2] / "rigs" / "clips" / "idle.toml"
AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}
TABLES = ("oscillators", "hips", "face", "rotate")
ROW_KEYS = ("bone", "bones", "axis", "side", "offset", "wave")


@dataclass(frozen=True)
class IdleClip:
    oscillators: tuple[str, ...]
    periods: tuple[tuple[float, float], ...]      # (low, high): drawn per host when they differ
    bones: np.ndarray                             # (R,) canonical bone index per row
    axes: np.ndarray                              # (R, 3)
    offsets: np.ndarray                           # (R,) radians
    amplitudes: np.ndarray                        # (R, O) radians per oscillator
    hips: np.ndarray                              # (O, 3) metres per oscillator
    face: dict[str, float]


def _mirror(bone: str) -> str:
    return "right" + bone[4:] if bone.startswith("left") else bone


@lru_cache(maxsize=8)
def load_idle_clip(path: Path = IDLE_FILE) -> IdleClip:
    doc = TomlDoc(path)
    doc.check_keys(doc.data, TABLES)
    osc_table = doc.get(doc.data, "oscillators", dict, "oscillators")
    names, periods = [], []
    for name in osc_table:
        spec = doc.get(osc_table, name, dict, "oscillators", name)
        doc.check_keys(spec, ("period",), "oscillators", name)
        period = doc.get(spec, "period", (float, list), "oscillators", name)
        lo, hi = (period, period) if isinstance(period, float) else tuple(period)
        if not 0 < lo <= hi:
            raise doc.error(f"period must be positive (a number or [low, high]), got {period!r}", "oscillators", name)
        names.append(name)
        periods.append((float(lo), float(hi)))
    bones, axes, offsets, amps = [], [], [], []
    for i, row in enumerate(doc.get(doc.data, "rotate", list, "rotate")):
        where = ("rotate", i)
        doc.check_keys(row, ROW_KEYS, *where)
        row_bones = doc.get(row, "bones", list, *where, "bones", default=None) or [doc.get(row, "bone", str, *where, "bone")]
        axis = doc.get(row, "axis", str, *where, "axis")
        if axis not in AXES:
            raise doc.error(f"axis must be x, y or z, got {axis!r}", *where, "axis")
        side = doc.get(row, "side", str, *where, "side", default="one")
        if side not in ("one", "both"):
            raise doc.error(f"side must be 'one' or 'both', got {side!r}", *where, "side")
        offset = doc.get(row, "offset", float, *where, "offset", default=0.0)
        wave = doc.get(row, "wave", dict, *where, "wave", default={})
        doc.check_keys(wave, names, *where, "wave", what="oscillator")
        amp = np.zeros(len(names))
        for osc in wave:
            amp[names.index(osc)] = np.radians(doc.get(wave, osc, float, *where, "wave", osc))
        for bone in row_bones:
            if bone not in BONE_NAMES:
                raise doc.error(f"unknown bone {bone!r}", *where, "bones" if "bones" in row else "bone")
            copies = [(bone, 1.0)] + ([(_mirror(bone), -1.0)] if side == "both" else [])
            for b, sign in copies:
                s = sign if axis in ("y", "z") else 1.0
                bones.append(BONE_INDEX[b])
                axes.append(AXES[axis])
                offsets.append(np.radians(offset) * s)
                amps.append(amp * s)
    hips = np.zeros((len(names), 3))
    hips_table = doc.get(doc.data, "hips", dict, "hips", default={})
    doc.check_keys(hips_table, names, "hips", what="oscillator")
    for osc in hips_table:
        xyz = doc.get(hips_table, osc, dict, "hips", osc)
        doc.check_keys(xyz, AXES, "hips", osc)
        for axis in xyz:
            hips[names.index(osc), "xyz".index(axis)] = doc.get(xyz, axis, float, "hips", osc, axis)
    face_table = doc.get(doc.data, "face", dict, "face", default={})
    doc.check_keys(face_table, CHANNEL_INDEX, "face", what="face channel")
    face = {k: doc.get(face_table, k, float, "face", k) for k in face_table}
    return IdleClip(tuple(names), tuple(periods), np.array(bones), np.array(axes), np.array(offsets),
                    np.array(amps), hips, face)


class IdleBank:
    """The idle clip for H hosts at once, each with its own phases and periods drawn from its seed."""

    def __init__(self, seeds: list[int], rate: int = 60, clip: IdleClip | None = None) -> None:
        self.rate = rate
        self.clip = c = clip or load_idle_clip()
        phases, periods = [], []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            phases.append(rng.uniform(0, 2 * np.pi, len(c.oscillators)))
            periods.append([rng.uniform(lo, hi) if hi > lo else lo for lo, hi in c.periods])
        self.phases, self.periods = np.array(phases), np.array(periods)          # (H, O)
        self._axes = c.axes / np.linalg.norm(c.axes, axis=-1, keepdims=True)
        self.face = np.zeros(len(CHANNEL_INDEX))                 # the face at rest (a slight smile)
        for name, value in c.face.items():
            self.face[CHANNEL_INDEX[name]] = value

    def pose(self, tick: int) -> tuple[np.ndarray, np.ndarray]:
        """Local rotations (H, J, 4) and hips offsets (H, 3) at `tick`."""
        c = self.clip
        osc = np.sin(2 * np.pi * (tick / self.rate) / self.periods + self.phases)            # (H, O)
        rot = np.empty((len(osc), len(BONE_NAMES), 4))
        compose_rows(c.offsets + osc @ c.amplitudes.T, self._axes, c.bones, rot)
        return rot, osc @ c.hips
