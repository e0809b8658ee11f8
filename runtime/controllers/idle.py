"""Idle life for a standing host, from a procedural clip file (rigs/clips/idle.toml): arms relaxed at
the sides, breathing, a slow weight shift, small head motion and spontaneous blinks.

A pure function of (tick, seed): any tick can be evaluated alone, and two runs with one seed give
identical poses. Each tick evaluates every row's angle as one array and composes them in layers (a
bone's second rotation is applied after its first).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..skeleton import quat
from ..skeleton.humanoid import BONE_NAMES
from ..skeleton.pose import BONE_INDEX, CHANNEL_INDEX, Pose
from ..tomlfile import TomlDoc

IDLE_FILE = Path(__file__).resolve().parents[2] / "rigs" / "clips" / "idle.toml"
AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}
TABLES = ("oscillators", "hips", "face", "blink", "rotate")
ROW_KEYS = ("bone", "bones", "axis", "side", "offset", "wave")
BLINK_KEYS = ("slot", "close", "open")


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
    blink: tuple[float, float, float]             # slot, close, open (seconds)


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
    blink = doc.get(doc.data, "blink", dict, "blink")
    doc.check_keys(blink, BLINK_KEYS, "blink")
    return IdleClip(tuple(names), tuple(periods), np.array(bones), np.array(axes), np.array(offsets),
                    np.array(amps), hips, face,
                    tuple(doc.get(blink, k, float, "blink", k) for k in BLINK_KEYS))


class IdleController:
    def __init__(self, seed: int, rate: int = 60, clip: IdleClip | None = None) -> None:
        self.seed, self.rate = seed, rate
        self.clip = clip or load_idle_clip()
        rng = np.random.default_rng(seed)
        self.phases = rng.uniform(0, 2 * np.pi, len(self.clip.oscillators))
        self.periods = np.array([rng.uniform(lo, hi) if hi > lo else lo for lo, hi in self.clip.periods])
        layer = np.empty(len(self.clip.bones), int)
        count: dict[int, int] = {}
        for i, b in enumerate(self.clip.bones):
            layer[i] = count.get(int(b), 0)
            count[int(b)] = layer[i] + 1
        self._layer_rows = [np.nonzero(layer == k)[0] for k in range(layer.max() + 1)]
        self._blink_starts: dict[int, float] = {}
        self._face = np.zeros(len(CHANNEL_INDEX))
        for name, value in self.clip.face.items():
            self._face[CHANNEL_INDEX[name]] = value

    def _blink_start(self, slot: int) -> float:
        """When the blink of `slot` starts (seconds): drawn once per slot from the seed, then remembered."""
        if slot not in self._blink_starts:
            slot_s = self.clip.blink[0]
            self._blink_starts[slot] = slot * slot_s + np.random.default_rng([self.seed, slot]).uniform(0.2, slot_s - 0.4)
            self._blink_starts.pop(slot - 3, None)          # ticks move forward: forget old slots
        return self._blink_starts[slot]

    def _blink(self, t: float) -> float:
        """Eyelid closure 0..1 at time t: fast close, slower open."""
        slot_s, close_s, open_s = self.clip.blink
        slot = int(t // slot_s)
        weight = 0.0
        for s in (slot - 1, slot):
            if s < 0:
                continue
            dt = t - self._blink_start(s)
            if 0 <= dt < close_s:
                weight = max(weight, dt / close_s)
            elif close_s <= dt < close_s + open_s:
                weight = max(weight, 1 - (dt - close_s) / open_s)
        return weight

    def pose(self, tick: int) -> Pose:
        t = tick / self.rate
        osc = np.sin(2 * np.pi * t / self.periods + self.phases)
        c = self.clip
        q = quat.from_axis_angle(c.axes, c.offsets + c.amplitudes @ osc)
        p = Pose.rest()
        for rows in self._layer_rows:
            bones = c.bones[rows]
            p.rotations[bones] = quat.multiply(q[rows], p.rotations[bones])
        p.hips_offset[:] = osc @ c.hips
        p.face[:] = self._face
        closure = self._blink(t)
        p.face[CHANNEL_INDEX["blinkLeft"]] = closure
        p.face[CHANNEL_INDEX["blinkRight"]] = closure
        return p
