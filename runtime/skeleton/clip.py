"""Clips: sampled motion of the canonical humanoid, as dense arrays, with interpolation and playback.

Every source (glTF animation, BVH file, procedural generator) is converted once into normalised local
rotations of the canonical bones at a fixed sample rate, plus the hips offset, plus the clip's own rest
skeleton (needed to retarget it). Sampling many hosts at once is one gather and one nlerp.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import quat
from .humanoid import BONE_NAMES, PARENT
from .skeleton import Skeleton

J = len(BONE_NAMES)
INTERPOLATIONS = ("linear", "cubic", "step")


@dataclass
class Clip:
    name: str
    rate: float                  # samples per second
    rotations: np.ndarray        # (F, J, 4) normalised local rotations of the canonical bones
    hips: np.ndarray             # (F, 3) hips offset from rest, host frame, metres
    skeleton: Skeleton           # the canonical skeleton with the source's rest positions
    animated: np.ndarray         # (J,) bool: bones this clip drives
    loop: bool = True
    face: np.ndarray | None = None        # (F, 20) face channel weights (FACE_CHANNELS order)
    face_animated: np.ndarray | None = None  # (20,) bool: channels this clip drives

    @property
    def frames(self) -> int:
        return len(self.rotations)

    @property
    def duration(self) -> float:
        return (self.frames - 1) / self.rate

    def _frame_time(self, t: np.ndarray, loop: bool) -> np.ndarray:
        if self.duration <= 0:
            return np.zeros_like(t)
        t = np.mod(t, self.duration) if loop else np.clip(t, 0.0, self.duration)
        return t * self.rate

    def sample(self, time, speed: float = 1.0, offset: float = 0.0, interpolation: str = "linear",
               loop: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rotations (..., J, 4) and hips offset (..., 3) at `time` seconds (a scalar or an array of
        times, one per host): clip time is time * speed + offset, looped or clamped."""
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
        loop = self.loop if loop is None else loop
        f = self._frame_time(np.asarray(time, float) * speed + offset, loop)
        last = self.frames - 1
        i0 = np.minimum(np.floor(f).astype(int), last)
        u = f - i0

        def at(k):
            """Frame index k, wrapped past either end of a looping clip (whose last frame is its first
            again), clamped otherwise."""
            if loop and last > 0:
                return np.where(k > last, k - last, np.where(k < 0, k + last, k))
            return np.clip(k, 0, last)

        if interpolation == "step":
            return self.rotations[i0], self.hips[i0]
        i1 = at(i0 + 1)
        if interpolation == "linear":
            rot = quat.nlerp(self.rotations[i0], self.rotations[i1], np.broadcast_to(u[..., None], u.shape + (J,)))
            hips = self.hips[i0] * (1 - u[..., None]) + self.hips[i1] * u[..., None]
            return rot, hips
        im, i2 = at(i0 - 1), at(i0 + 2)
        q = [self.rotations[k] for k in (im, i0, i1, i2)]
        ref = q[1]
        q = [np.where(np.sum(ref * x, -1, keepdims=True) < 0, -x, x) for x in q]
        w = catmull_rom_weights(u)
        rot = quat.normalize(sum(wk[..., None, None] * qk for wk, qk in zip(w, q)))
        hips = sum(wk[..., None] * self.hips[k] for wk, k in zip(w, (im, i0, i1, i2)))
        return rot, hips


    def sample_face(self, time, speed: float = 1.0, offset: float = 0.0, loop: bool | None = None) -> np.ndarray:
        """Face channel weights (..., 20) at `time`, linearly interpolated (zeros if the clip has none)."""
        f = self._frame_time(np.asarray(time, float) * speed + offset, self.loop if loop is None else loop)
        if self.face is None:
            return np.zeros(np.shape(f) + (20,))
        last = self.frames - 1
        i0 = np.minimum(np.floor(f).astype(int), last)
        i1 = np.minimum(i0 + 1, last)
        u = (f - i0)[..., None]
        return self.face[i0] * (1 - u) + self.face[i1] * u


def catmull_rom_weights(u: np.ndarray) -> list[np.ndarray]:
    """Uniform Catmull-Rom: the weights of the four points around a span at its parameter `u` (0..1)."""
    u2, u3 = u * u, u * u * u
    return [(-u3 + 2 * u2 - u) / 2, (3 * u3 - 5 * u2 + 2) / 2, (-3 * u3 + 4 * u2 + u) / 2, (u3 - u2) / 2]


def from_world(name: str, rate: float, world_rot: dict[str, np.ndarray], hips_offset: np.ndarray,
               skeleton: Skeleton, loop: bool = True, face: np.ndarray | None = None,
               face_animated: np.ndarray | None = None) -> Clip:
    """Build a clip from per-frame world rotation deltas of canonical bones (host frame; identity = the
    source at rest). A bone's local rotation is its delta relative to its nearest animated ancestor's,
    so motion of joints the canonical humanoid lacks is carried by the next canonical bone."""
    frames = len(hips_offset)
    rot = np.zeros((frames, J, 4))
    rot[..., 3] = 1.0
    animated = np.zeros(J, bool)
    for j, bone in enumerate(BONE_NAMES):
        if bone not in world_rot:
            continue
        parent = PARENT[bone]
        while parent is not None and parent not in world_rot:
            parent = PARENT[parent]
        parent_world = world_rot[parent] if parent else None
        local = world_rot[bone] if parent_world is None else quat.multiply(quat.conjugate(parent_world), world_rot[bone])
        rot[:, j] = quat.normalize(local)
        animated[j] = True
    return Clip(name, rate, rot, np.asarray(hips_offset, float), skeleton, animated, loop, face, face_animated)


def from_function(name: str, fn: Callable[[float], tuple[np.ndarray, np.ndarray]], duration: float,
                  skeleton: Skeleton, rate: float = 60.0, loop: bool = True) -> Clip:
    """Bake a procedural generator fn(t) -> (rotations (J, 4), hips offset (3,)) into a clip."""
    frames = max(2, int(round(duration * rate)) + 1)
    samples = [fn(i / rate) for i in range(frames)]
    rot = np.stack([s[0] for s in samples])
    animated = np.any(np.abs(rot - quat.IDENTITY).sum(-1) > 1e-9, axis=0)
    return Clip(name, rate, rot, np.stack([s[1] for s in samples]), skeleton, animated, loop)


def breathing(skeleton: Skeleton, period: float = 4.0, depth_deg: float = 1.2) -> Clip:
    """A procedural breathing cycle: chest and upper chest rise and fall, shoulders follow."""
    chest, upper = BONE_NAMES.index("chest"), BONE_NAMES.index("upperChest")
    shoulders = [BONE_NAMES.index("leftShoulder"), BONE_NAMES.index("rightShoulder")]

    def fn(t: float):
        rot = np.tile(quat.IDENTITY, (J, 1))
        b = np.sin(2 * np.pi * t / period)
        rot[chest] = quat.from_axis_angle([1.0, 0, 0], np.radians(-0.6 * depth_deg * b))
        rot[upper] = quat.from_axis_angle([1.0, 0, 0], np.radians(-0.5 * depth_deg * b))
        for k, s in zip(shoulders, (1.0, -1.0)):
            rot[k] = quat.from_axis_angle([0, 0, 1.0], np.radians(s * 0.8 * depth_deg * b))
        return rot, np.zeros(3)
    return from_function("breathing", fn, period, skeleton)
