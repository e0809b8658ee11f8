"""Takes: a performance recorded at the fixed tick, saved as .npz arrays or as BVH for other tools.

.npz keys (T ticks, H hosts, J = 55 canonical bones, M = 20 face channels):
  rate () int, ticks (T,), hosts (H,) names, bones (J,) names, parents (J,),
  rotations (T, H, J, 4) normalised local rotations, xyzw,
  hips (T, H, 3) hips offset from rest in the host frame (metres),
  world (T, H, J, 4, 4) float32 joint matrices in set coordinates (metres, +Z up; column vectors),
  morph_names (M,), morphs (T, H, M) face channel weights,
  speaking (T, H) whether each host is speaking.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from . import quat
from .face import FACE_CHANNELS
from .frame import Y_UP_TO_Z_UP
from .humanoid import BONE_NAMES
from .skeleton import Skeleton


def placement_matrix(position, facing_deg: float) -> np.ndarray:
    """Host frame -> set coordinates for a host standing at `position`, turned `facing_deg` to its left."""
    a = np.radians(facing_deg)
    turn = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1.0]])
    m = np.eye(4)
    m[:3, :3] = turn @ Y_UP_TO_Z_UP
    m[:3, 3] = position
    return m


@dataclass
class Take:
    rate: int
    hosts: list[str]
    skeletons: list[Skeleton]
    placements: np.ndarray      # (H, 4, 4)
    rotations: np.ndarray       # (T, H, J, 4)
    hips: np.ndarray            # (T, H, 3)
    morphs: np.ndarray          # (T, H, M)
    speaking: np.ndarray        # (T, H) bool

    def world(self, joints: list[int] | None = None, chunk: int = 2048) -> np.ndarray:
        """Joint matrices in set coordinates (T, H, J', 4, 4) float32, for `joints` (default: all),
        computed a chunk of ticks at a time so long takes fit in memory."""
        joints = list(range(self.rotations.shape[2])) if joints is None else joints
        out = np.empty(self.rotations.shape[:2] + (len(joints), 4, 4), np.float32)
        for h, sk in enumerate(self.skeletons):
            for a in range(0, len(self.rotations), chunk):
                rot = self.rotations[a:a + chunk, h]
                trans = np.broadcast_to(sk.offsets, rot.shape[:1] + sk.offsets.shape).copy()
                trans[:, 0] += self.hips[a:a + chunk, h]
                out[a:a + chunk, h] = (self.placements[h] @ sk.local_to_model(rot, trans))[:, joints]
        return out


def record(ticker, ticks: int, progress: Callable[[int], None] | None = None) -> Take:
    """`ticks` ticks of a ticker's world (runtime.world.tick.Ticker), from its next tick on."""
    world = ticker.world
    H = world.hosts
    rot = np.empty((ticks, H, len(BONE_NAMES), 4))
    hips = np.empty((ticks, H, 3))
    morphs = np.empty((ticks, H, len(FACE_CHANNELS)))
    talking = np.zeros((ticks, H), bool)
    start = world.tick + 1
    for t in range(ticks):
        ticker.run_until(start + t)
        rot[t], hips[t], morphs[t], talking[t] = world.rotations, world.hips, world.face, world.speaking
        if progress:
            progress(1)
    return Take(world.rate, list(world.names), [c.skeleton for c in world.cast], world.placements.copy(),
                rot, hips, morphs, talking)


def save_npz(take: Take, path: Path) -> None:
    np.savez_compressed(path, rate=take.rate, ticks=np.arange(len(take.rotations)), hosts=np.array(take.hosts),
                        bones=np.array(BONE_NAMES), parents=take.skeletons[0].parents, rotations=take.rotations,
                        hips=take.hips, world=take.world(), morph_names=np.array(FACE_CHANNELS),
                        morphs=take.morphs, speaking=take.speaking)


LEAVES_END = 0.03     # metres: length of the End Site written for bones without children


def save_bvh(take: Take, path: Path, host: int = 0) -> None:
    """One host's motion as BVH (centimetres, Y up, ZXY rotation channels), readable by Blender."""
    sk = take.skeletons[host]
    children: dict[int, list[int]] = {j: [] for j in range(sk.size)}
    for j, p in enumerate(sk.parents):
        if p >= 0:
            children[p].append(j)
    lines = ["HIERARCHY"]

    def write(j: int, depth: int) -> None:
        pad = "  " * depth
        kind = "ROOT" if sk.parents[j] < 0 else "JOINT"
        lines.append(f"{pad}{kind} {sk.names[j]}")
        lines.append(f"{pad}{{")
        off = sk.offsets[j] * 100
        lines.append(f"{pad}  OFFSET {off[0]:.5f} {off[1]:.5f} {off[2]:.5f}")
        if kind == "ROOT":
            lines.append(f"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation")
        else:
            lines.append(f"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation")
        for c in children[j]:
            write(c, depth + 1)
        if not children[j]:
            lines.extend([f"{pad}  End Site", f"{pad}  {{",
                          f"{pad}    OFFSET 0.00000 {LEAVES_END * 100:.5f} 0.00000", f"{pad}  }}"])
        lines.append(f"{pad}}}")

    write(0, 0)
    frames = len(take.rotations)
    # Rz * Rx * Ry is from_euler([y, x, z], "yxz"); channels are written Z, X, Y.
    yxz = np.degrees(quat.to_euler(take.rotations[:, host], "yxz"))          # (T, J, 3): y, x, z
    zxy = yxz[..., [2, 1, 0]]
    root = (sk.offsets[0] + take.hips[:, host]) * 100
    lines += ["MOTION", f"Frames: {frames}", f"Frame Time: {1.0 / take.rate:.8f}"]
    order = []

    def collect(j: int) -> None:
        order.append(j)
        for c in children[j]:
            collect(c)

    collect(0)
    for t in range(frames):
        values = list(root[t]) + [v for j in order for v in zxy[t, j]]
        lines.append(" ".join(f"{v:.5f}" for v in values))
    Path(path).write_text("\n".join(lines) + "\n")
