"""Planned gestures on the skeleton: arms reach gesture-space points by IK, hands take their shapes, a
deictic hand aims its index at the target. Each gesture's weight rises through its preparation, holds
through stroke and hold, and falls through its retraction, over whatever pose the body driver gives.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..skeleton import quat
from ..skeleton.humanoid import FINGERS, FINGER_SEGMENTS
from ..skeleton.ik import aim, two_bone_ik
from ..skeleton.pose import BONE_INDEX, Driver, Pose
from ..skeleton.skeleton import Skeleton
from .handshapes import HANDSHAPES, HandShape
from .planner import Planned

HEIGHT_OF = {"head": "head", "chin": "head", "shoulder": "leftUpperArm", "chest": "chest", "waist": "spine"}
HEIGHT_OFFSET = {"head": 0.12, "chin": 0.0, "shoulder": 0.0, "chest": 0.05, "waist": 0.0}
SIDEWAYS = {"centre": 0.05, "periphery": 0.25, "far": 0.45}          # metres out from the body's middle
DISTANCE = {"near": 0.15, "middle": 0.3, "extended": 0.45}           # metres in front of the chest
FLEX = {"Proximal": 85.0, "Intermediate": 100.0}                     # degrees at full curl; distal = 2/3 PIP


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def weight_at(p: Planned, t: float) -> float:
    if t < p.prep_start or t >= p.end:
        return 0.0
    if t < p.stroke_start:
        return _smooth((t - p.prep_start) / max(p.stroke_start - p.prep_start, 1e-6))
    if t <= p.stroke_end:
        return 1.0
    return 1.0 - _smooth((t - p.stroke_end) / max(p.end - p.stroke_end, 1e-6))


@lru_cache(maxsize=64)
def finger_rotations(shape: HandShape, side: str) -> dict[int, np.ndarray]:
    """Normalised local rotations of one hand's 15 finger joints for a hand shape (host frame axes: the
    fingers of the left hand point +X with the palm down, so flexion turns about -Z; mirrored on the right).
    Cached: the same shape gives the same rotations every tick."""
    s = 1.0 if side == "left" else -1.0
    out: dict[int, np.ndarray] = {}
    spread_deg = (0.0, 8.0, 0.0, -6.0, -14.0)
    for f, finger in enumerate(FINGERS):
        curl = shape.curl[f]
        pip = FLEX["Intermediate"] * curl
        for seg in FINGER_SEGMENTS:
            if finger == "Thumb":
                axis = quat.normalize(np.cross([s * 0.55, -0.22, 0.8], [0, -1.0, 0]))
                angle = {"Proximal": 35.0, "Intermediate": 45.0, "Distal": 50.0}[seg] * curl
                q = quat.from_axis_angle(axis, np.radians(angle))
            else:
                angle = {"Proximal": FLEX["Proximal"] * curl, "Intermediate": pip, "Distal": pip * 2 / 3}[seg]
                q = quat.from_axis_angle([0, 0, -s], np.radians(angle))
                if seg == "Proximal":
                    q = quat.multiply(q, quat.from_axis_angle([0, -s, 0], np.radians(spread_deg[f] * shape.spread)))
            out[BONE_INDEX[f"{side}{finger}{seg}"]] = q
    return out


class GestureDriver:
    """The body from another driver; arms and hands from planned gestures, played from `start_tick`."""

    def __init__(self, body: Driver, skeleton: Skeleton, rate: int,
                 targets: dict[str, np.ndarray] | None = None) -> None:
        self.body, self.skeleton, self.rate = body, skeleton, rate
        self.targets = targets or {}                    # product id / "camera" / "cohost" -> host-frame point
        self.plans: list[tuple[int, Planned]] = []
        rest = skeleton.world_positions(skeleton.rest_pose()[0])
        self._rest = {name: rest[i] for i, name in enumerate(skeleton.names)}

    def perform(self, start_tick: int, planned: list[Planned]) -> None:
        self.plans += [(start_tick, p) for p in planned]

    def wrist_point(self, p: Planned, side: str) -> np.ndarray:
        """Where the wrist goes for this gesture, in the host frame."""
        step = p.gesture.steps[0]
        height, sideways, distance = step.location
        s = 1.0 if side == "left" else -1.0
        y = self._rest[HEIGHT_OF[height]][1] + HEIGHT_OFFSET[height]
        chest = self._rest["chest"]
        point = np.array([s * SIDEWAYS[sideways], y, chest[2] + DISTANCE[distance]])
        target = self._target(p)
        if target is not None and step.target is not None and step.target.kind == "product":
            shoulder = self._rest[f"{side}UpperArm"]
            reach = np.linalg.norm(self._rest[f"{side}Hand"] - shoulder) * 0.85
            toward = target - shoulder
            point = shoulder + toward / max(np.linalg.norm(toward), 1e-6) * min(reach, np.linalg.norm(toward))
        return point

    def _target(self, p: Planned) -> np.ndarray | None:
        step = p.gesture.steps[0]
        if step.target is None:
            return None
        key = p.target or step.target.name or step.target.kind
        if step.target.kind == "point" and step.target.point is not None:
            return np.array(step.target.point)
        return self.targets.get(key, self.targets.get(step.target.kind))

    def pose(self, tick: int) -> Pose:
        pose = self.body.pose(tick)
        rot = pose.rotations
        # Ticks only move forward: drop gestures that have ended, so the cost stays flat over a long show.
        self.plans = [(start, p) for start, p in self.plans if tick < start + p.end * self.rate + 1]
        for start, p in self.plans:
            t = (tick - start) / self.rate
            w = weight_at(p, t)
            if w <= 0.0:
                continue
            step = p.gesture.steps[0]
            sides = ("left", "right") if step.hands == "both" else (step.hands,)
            for side in sides:
                s = 1.0 if side == "left" else -1.0
                chain = (f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand")
                rot = two_bone_ik(self.skeleton, rot, chain, self.wrist_point(p, side),
                                  pole=np.array([s * 0.6, -1.0, -0.4]), weight=w)
                for joint, q in finger_rotations(HANDSHAPES[step.shape], side).items():
                    rot[joint] = quat.slerp(rot[joint], q, w)
                target = self._target(p)
                if target is not None and step.fingers == "target":
                    hand_dir = self._rest[f"{side}MiddleProximal"] - self._rest[f"{side}Hand"]
                    rot = aim(self.skeleton, rot, f"{side}Hand", target, forward=hand_dir, weight=w)
        pose.rotations = rot
        return pose
