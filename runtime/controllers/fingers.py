"""Fingers: hand shapes as joint angles within human limits, transitions in which the fingers do not
move in lockstep, a little life at rest, and grasps that close each finger onto a prop's surface.

Angles (degrees) per finger: MCP flexion, PIP flexion, DIP flexion, spread. In the host frame the left
hand's fingers point +X with the palm down, so flexion turns about -Z (mirrored on the right). Free
fingers couple DIP to two thirds of PIP; a grasp closes MCP, then PIP, then DIP, each until contact.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ..skeleton import quat
from ..skeleton.humanoid import FINGER_SEGMENTS, FINGERS
from ..skeleton.kernels import chain_world, qaxis, qmul
from ..skeleton.pose import BONE_INDEX
from ..skeleton.skeleton import Skeleton

FULL_CURL = (85.0, 100.0)                  # MCP and PIP flexion at curl 1; DIP follows at two thirds of PIP
LIMITS = {"Proximal": (-10.0, 90.0), "Intermediate": (0.0, 110.0), "Distal": (0.0, 80.0)}
THUMB_FULL = (35.0, 45.0, 50.0)            # thumb CMC, MCP, IP flexion toward the palm at curl 1
SPREAD = (0.0, 8.0, 0.0, -6.0, -14.0)      # degrees of abduction per finger at spread 1
STAGGER_S = (0.0, 0.0, 0.03, 0.06, 0.09)   # a finger lags the one before it in a shape change
SETTLE_S = 0.09                            # each finger settles in about this long
MICRO_CURL = 0.025                         # curl of the slow drift of fingers at rest
SAMPLES = 4                                # points tested between two joints of a finger
GRASP_THUMB = (70.0, 70.0, 90.0)           # how far the thumb may close around a prop
GRASP_STEP_DEG = 3.0                       # scan step before bisecting to the contact
GRASP_STAGES = (np.array([0.85, 1.0, 2 / 3]), np.array([0.0, 1.0, 2 / 3]), np.array([0.0, 0.0, 1.0]))
TIP_SHARE = 0.85                           # fingertip beyond the distal joint, as a share of the middle phalanx


def thumb_axis(side: str) -> np.ndarray:
    """The thumb's flexion axis: across the palm, so it opposes the fingers."""
    s = 1.0 if side == "left" else -1.0
    return quat.normalize(np.cross([s * 0.55, -0.22, 0.8], [0, -1.0, 0]))


def joint_rotations(side: str, finger: int, angles, spread_deg: float = 0.0) -> np.ndarray:
    """Local rotations (3, 4) of one finger's proximal, intermediate and distal joints."""
    s = 1.0 if side == "left" else -1.0
    axis = thumb_axis(side) if finger == 0 else np.array([0.0, 0.0, -s])
    q = quat.from_axis_angle(np.broadcast_to(axis, (3, 3)), np.radians(np.asarray(angles, float)))
    if finger and spread_deg:
        q[0] = quat.multiply(q[0], quat.from_axis_angle([0, -s, 0], np.radians(spread_deg)))
    return q


_SIDES = ("left", "right")
HAND_JOINTS = np.array([BONE_INDEX[f"{side}{finger}{seg}"] for side in _SIDES for finger in FINGERS
                        for seg in FINGER_SEGMENTS])                     # (30,): left hand, then right
_AXES = np.array([[thumb_axis(side) if f == 0 else [0.0, 0.0, -(1.0 if side == "left" else -1.0)]
                   for f in range(5)] for side in _SIDES])               # (2, 5, 3)
_SPREAD_AXES = np.array([[0.0, -1.0, 0.0], [0.0, 1.0, 0.0]])
_FULL, _THUMB, _SPREAD = np.array(FULL_CURL), np.array(THUMB_FULL), np.array(SPREAD)


@njit(cache=True)
def _hands(curls, spread, out):
    """out (H, 30, 4): the rotations of hands_rotations, written host by host."""
    for h in range(len(curls)):
        for s in range(2):
            for f in range(5):
                c = curls[h, s, f]
                pip = _FULL[1] * c
                angles = (_THUMB[0] * c, _THUMB[1] * c, _THUMB[2] * c) if f == 0 else (_FULL[0] * c, pip, pip * 2 / 3)
                for seg in range(3):
                    q = qaxis(_AXES[s, f], np.radians(angles[seg]))
                    if seg == 0:
                        q = qmul(q, qaxis(_SPREAD_AXES[s], np.radians(_SPREAD[f] * spread[h, s])))
                    for k in range(4):
                        out[h, 15 * s + 3 * f + seg, k] = q[k]


def hands_rotations(curls: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Local rotations (H, 30, 4) of both hands' finger joints (HAND_JOINTS order) for curls (H, 2, 5) and
    spreads (H, 2), all hosts in one pass: MCP and PIP flex with the curl, DIP two thirds of PIP; the
    thumb's three joints bend THUMB_FULL at curl 1."""
    out = np.empty((len(curls), 30, 4))
    _hands(np.ascontiguousarray(curls, float), np.ascontiguousarray(spread, float), out)
    return out


@njit(cache=True)
def _follow(t, requested, spread_asked, history, n, lag, curl, spread, phase, period, gain, out):
    """One tick of Fingers.step: `history` (L, H, 2, 5) holds the last requests, the newest at n % L."""
    size = len(history)
    history[n % size] = requested
    for h in range(len(curl)):
        for s in range(2):
            for f in range(5):
                asked = history[(n - min(lag[f], n)) % size, h, s, f]   # finger f answers lag[f] ticks late
                c = asked if n == 0 else curl[h, s, f] + (asked - curl[h, s, f]) * gain
                curl[h, s, f] = c
                drift = MICRO_CURL * np.sin(2 * np.pi * t / period[h, s, f] + phase[h, s, f])
                out[h, s, f] = min(max(c + drift * (1.0 - c), 0.0), 1.0)
            spread[h, s] += (spread_asked[h, s] - spread[h, s]) * gain


class Fingers:
    """Curls (H, 2, 5) that follow each hand's requested shape with per-finger lag, plus a slow drift."""

    def __init__(self, seeds: list[int], rate: int) -> None:
        n = len(seeds)
        self.curl = np.zeros((n, 2, 5))
        self.spread = np.zeros((n, 2))
        self.lag = np.round(np.array(STAGGER_S) * rate).astype(np.int64)
        self.history = np.zeros((self.lag.max() + 1, n, 2, 5))     # recent requests, for the stagger
        self.ticks = 0
        self.gain = min(1.0, 1.0 / (SETTLE_S * rate))
        rng = [np.random.default_rng([s, 0xF1]) for s in seeds]
        self.phase = np.array([r.uniform(0, 2 * np.pi, (2, 5)) for r in rng])
        self.period = np.array([r.uniform(3.0, 7.0, (2, 5)) for r in rng])

    def step(self, t: float, requested: np.ndarray, spread: np.ndarray) -> np.ndarray:
        """Curls (H, 2, 5) for time t; `requested` (H, 2, 5) the shapes the bodies ask for now. Finger k
        answers the request of lag[k] ticks ago, so a change ripples across the hand."""
        out = np.empty_like(self.curl)
        _follow(t, requested, spread, self.history, self.ticks, self.lag, self.curl, self.spread, self.phase,
                self.period, self.gain, out)
        self.ticks += 1
        return out


# -- grasping ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    """A prop's primitive in the host frame: a cylinder (radius, half length along `axis`), a box (half
    extents along its axes) or a sphere (radius)."""
    kind: str
    centre: np.ndarray
    axis: np.ndarray = field(default_factory=lambda: np.array([0.0, 1.0, 0.0]))
    radius: float = 0.03
    half: np.ndarray = field(default_factory=lambda: np.array([0.05, 0.05, 0.05]))   # a cylinder's: half[0]

    def distance(self, points: np.ndarray) -> np.ndarray:
        """Signed distance (negative inside) of points (..., 3) to the surface."""
        p = points - self.centre
        if self.kind == "sphere":
            return np.linalg.norm(p, axis=-1) - self.radius
        if self.kind == "cylinder":
            along = p @ self.axis
            radial = np.linalg.norm(p - along[..., None] * self.axis, axis=-1) - self.radius
            cap = np.abs(along) - self.half[0]
            outside = np.hypot(np.maximum(radial, 0), np.maximum(cap, 0))
            return outside + np.minimum(np.maximum(radial, cap), 0.0)
        q = np.abs(p) - self.half
        return np.linalg.norm(np.maximum(q, 0), axis=-1) + np.minimum(q.max(axis=-1), 0.0)


def finger_points(skeleton: Skeleton, rotations: np.ndarray, side: str, finger: int,
                  samples: int = SAMPLES) -> np.ndarray:
    """Points along one finger (host frame): joints, the fingertip, and `samples` between each pair."""
    distal = skeleton.index(f"{side}{FINGERS[finger]}{FINGER_SEGMENTS[-1]}")
    path = skeleton.paths[distal]                      # ... proximal, intermediate, distal
    world, pos = np.empty((len(path), 4)), np.empty((len(path), 3))
    chain_world(skeleton.parents, skeleton.offsets, np.ascontiguousarray(rotations, float), path, world, pos)
    tip = pos[-1] + quat.rotate(world[-1], skeleton.offsets[distal]) * TIP_SHARE
    nodes = np.concatenate([pos[-3:], tip[None]])
    u = np.linspace(0, 1, samples + 1, endpoint=False)[:, None]
    inner = [a + (b - a) * u for a, b in zip(nodes[:-1], nodes[1:])]
    return np.concatenate(inner + [tip[None]])


def fingertip(skeleton: Skeleton, rotations: np.ndarray, side: str, finger: int) -> np.ndarray:
    return finger_points(skeleton, rotations, side, finger, samples=0)[-1]


def grasp(skeleton: Skeleton, rotations: np.ndarray, side: str, prop: Prop, skin: float = 0.003) -> np.ndarray:
    """Close every finger of `side` around `prop` until its tip rests `skin` metres from the surface with
    no part of the finger inside: the whole finger curls (DIP two thirds of PIP), and where its base
    touches first the outer joints carry on, then the last joint alone (bisection on each stage)."""
    rot = rotations.copy()
    for f, finger in enumerate(FINGERS):
        joints = [BONE_INDEX[f"{side}{finger}{seg}"] for seg in FINGER_SEGMENTS]
        top = np.array(GRASP_THUMB if f == 0 else [LIMITS[seg][1] for seg in FINGER_SEGMENTS])
        angles = np.zeros(3)

        def fits(trial: np.ndarray) -> bool:            # tip not closer than `skin`, nothing inside
            rot[joints] = joint_rotations(side, f, trial)
            d = prop.distance(finger_points(skeleton, rot, side, f))
            return bool(d[-1] >= skin and d.min() >= 0.0)

        for way in GRASP_STAGES:
            room = float(np.min(np.where(way > 0, (top - angles) / np.where(way > 0, way, 1), np.inf)))
            # Step forward to the first pose that touches, then bisect between it and the last free one.
            lo, hi = None, None
            for a in np.append(np.arange(0.0, room, GRASP_STEP_DEG), room):
                if not fits(angles + way * a):
                    hi = a
                    break
                lo = a
            if hi is None:
                angles = angles + way * room
                continue
            if lo is None:
                break                                    # touching from the start: this stage stays
            for _ in range(20):
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if fits(angles + way * mid) else (lo, mid)
            angles = angles + way * lo
        rot[joints] = joint_rotations(side, f, angles)
    return rot
