"""Planned gestures on the skeleton, at the fixed tick.

For each simple gesture (a step of a plan) the wrist goes to its place in gesture space by two-bone IK,
moving along the stroke's path (line, arc, circle, wave, beat, open, close); the hand turns so its
fingers and palm face the written directions (the forearm takes the twist, the wrist the rest), and the
fingers take the hand shape. Each step is an arm pose at full weight; the body stage blends them as
layers in the order of their strokes (runtime/world/body.py), each at its weight, which rises over its
preparation, holds, and falls over its retraction, so a hand going straight on to its next gesture blends
from one to the other without passing through the body pose.
The host's expressivity scales space, overshoot and the stroke's acceleration.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from ..gesture.expressivity import Expressivity
from ..gesture.grammar import Gesture
from ..gesture.handshapes import HANDSHAPES, HandShape
from ..gesture.planner import Planned, Timed
from ..skeleton.ik import ELBOW_LIMITS
from ..skeleton.kernels import chain_world, dot3, qrot, quat_of_matrix, turn_end, two_bone
from ..skeleton.skeleton import Skeleton

HEIGHT_OF = {"head": "head", "chin": "head", "shoulder": "leftUpperArm", "chest": "chest", "waist": "spine"}
HEIGHT_OFFSET = {"head": 0.12, "chin": -0.1, "shoulder": 0.0, "chest": 0.05, "waist": 0.0}   # the wrist, below the hand
SIDEWAYS = {"centre": 0.05, "periphery": 0.25, "far": 0.45}          # metres out from the body's middle
DISTANCE = {"near": 0.22, "middle": 0.32, "extended": 0.45}          # metres in front of the chest joint
CLEAR_OF_BODY = 0.2      # the least of it, however small the gesture: the forearms stay in front of the torso
RELAXED = HANDSHAPES["relaxed"]
SIDES = ("left", "right")
MIDLINE_GAP = 0.03                       # metres each wrist keeps from the middle when both hands work
FOREARM_TWIST = np.radians(110.0)        # pronation/supination the forearm may take; the wrist does the rest
UP, FORWARD = np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0])


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def _trapezoid(u: float, ramp: float = 0.12) -> float:
    """Progress under a trapezoidal speed profile: speeds up over `ramp`, steady, slows down over `ramp`."""
    top = 1.0 / (1.0 - ramp)
    if u < ramp:
        return top * u * u / (2 * ramp)
    if u < 1.0 - ramp:
        return top * (u - ramp / 2)
    return 1.0 - top * (1.0 - u) ** 2 / (2 * ramp)


def weight_at(step: Timed, t: float) -> float:
    if t < step.prep_start or t >= step.end:
        return 0.0
    if t < step.stroke_start:
        return _smooth((t - step.prep_start) / max(step.stroke_start - step.prep_start, 1e-6))
    if t <= step.hold_end or step.handover:
        return 1.0
    return 1.0 - _smooth((t - step.hold_end) / max(step.end - step.hold_end, 1e-6))


def direction(name: str, side: str, toward: np.ndarray | None = None) -> np.ndarray:
    """A written direction for one hand, in the host frame (+X the host's left, +Y up, +Z forward);
    `in` is toward the body's middle, `out` away from it, `target` toward the gesture's target."""
    s = 1.0 if side == "left" else -1.0
    if name == "target":
        return toward if toward is not None else FORWARD
    return np.array({"up": (0, 1, 0), "down": (0, -1, 0), "forward": (0, 0, 1), "back": (0, 0, -1),
                     "in": (-s, 0, 0), "out": (s, 0, 0)}[name], float)


def stroke_offset(step: Timed, t: float, side: str, expressivity: Expressivity,
                  toward: np.ndarray | None = None) -> np.ndarray:
    """Where the stroke's movement has taken the wrist at `t`, from the gesture's location (metres).
    A movement is written for the right hand; the left mirrors it unless both hands move in parallel.
    (Scalar maths: it runs for every gesture under way every tick.)"""
    g = step.gesture
    mv = g.movement
    if mv.kind == "none":
        return np.zeros(3)
    u = min(max((t - step.stroke_start) / max(step.stroke_end - step.stroke_start, 1e-6), 0.0), 1.0)
    u = u ** expressivity.sharpness
    # Ease in and out of the whole stroke: one pass as a smoothstep, repeated passes evenly paced between a
    # short speed-up and slow-down.
    u = _smooth(u) if step.repeats == 1 else _trapezoid(u)
    n = step.repeats
    amp = mv.amplitude * expressivity.space
    mover = "right" if g.hands == "both" and g.pairing == "parallel" else side
    out = 1.0 if mover == "left" else -1.0                   # the x of direction("out", mover)
    # Each repeat is one pass; an odd count ends at the far end, where power swings past it and back.
    f = (1 - math.cos(math.pi * n * u)) / 2
    if n % 2 == 1:
        f += expressivity.overshoot * math.sin(math.pi * min(max((u - 0.55) / 0.45, 0.0), 1.0))
    if mv.kind in ("line", "arc"):
        d = direction(mv.direction, mover, toward)
        offset = amp * f * d
        if mv.kind == "arc":
            bulge = 0.35 * amp * math.sin(math.pi * min(f, 1.0))
            if abs(d[1]) < 0.7 and abs(d[2]) < 0.7:
                offset[2] += bulge                               # bulge forward
            else:
                offset[0] += bulge * out                         # bulge out
        return offset
    if mv.kind == "circle":
        theta = 2 * math.pi * n * u
        return np.array([amp * math.sin(theta) * out, amp * (math.cos(theta) - 1), 0.0])
    if mv.kind == "wave":
        return np.array([amp * math.sin(2 * math.pi * n * u) * out, 0.0, 0.0])
    if mv.kind == "beat":
        return np.array([0.0, -amp * (1 + expressivity.overshoot) * math.sin(math.pi * n * u) ** 2, 0.0])
    return np.array([amp * out * (f - 1) * (1 if mv.kind == "open" else -1), 0.0, 0.0])     # open / close


@njit(cache=True)
def _frame(fingers, palm):
    """Orthonormal columns (fingers, palm normal, their cross); the palm gives way when the two clash.
    A hand without finger bones (its fingers at the wrist) points along +X."""
    length = np.sqrt(dot3(fingers, fingers))
    f = fingers / length if length > 1e-9 else np.array([1.0, 0.0, 0.0])
    p = palm - f * dot3(palm, f)
    if np.sqrt(dot3(p, p)) < 0.3:                     # e.g. fingers up, palm up: keep the palm facing out
        p = FORWARD - f * f[2] if abs(f[2]) < 0.9 else UP - f * f[1]
    p = p / np.sqrt(dot3(p, p))
    out = np.empty((3, 3))
    out[:, 0], out[:, 1], out[:, 2] = f, p, np.cross(f, p)
    return out


@njit(cache=True)
def _facing(fingers, palm, rest_frame):
    """The rotation taking the hand's rest frame to the frame of `fingers` and `palm`."""
    frame, m = _frame(fingers, palm), np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            for k in range(3):
                m[i, j] += frame[i, k] * rest_frame[j, k]
    return quat_of_matrix(m)


@njit(cache=True)
def _arm(parents, offsets, rot, path, wrist, pole, lo, hi, fingers, palm, aim_fingers, aim_palm, target,
         rest_frame, knuckle, refine, out):
    """A gesture's arm pose into out (J, 4), over rot: the wrist to `wrist` by two-bone IK along `path`
    (root .. upper arm, forearm, hand), then the hand turned so its fingers and palm face their directions
    (`aim_*`: toward `target` from the hand, or from the index knuckle when `refine`)."""
    out[:] = rot
    two_bone(parents, offsets, out, path, wrist, pole, 1.0, lo, hi)
    m = len(path)
    wrot, wpos = np.empty((m, 4)), np.empty((m, 3))
    chain_world(parents, offsets, out, path, wrot, wpos)
    origin = wpos[m - 1].copy()
    wanted = (0.0, 0.0, 0.0, 1.0)
    for _ in range(2 if refine else 1):
        toward = target - origin
        toward = toward / max(np.sqrt(dot3(toward, toward)), 1e-6)
        wanted = _facing(toward if aim_fingers else fingers, toward if aim_palm else palm, rest_frame)
        k = qrot(wanted, (knuckle[0], knuckle[1], knuckle[2]))
        origin = wpos[m - 1] + np.array(k)
    turn_end(parents, offsets, out, path, np.array(wanted), 1.0, np.nan, FOREARM_TWIST)


class Gesturer:
    """One host's gestures on its skeleton: each step of its plans as an arm pose at full weight, to be
    blended at the step's weight; and the hand turned for a hold (runtime.controllers.hold)."""

    def __init__(self, skeleton: Skeleton, targets: dict[str, np.ndarray] | None = None,
                 expressivity: Expressivity = Expressivity()) -> None:
        self.skeleton = skeleton
        self.targets = targets or {}                    # product id / "camera" / "cohost" -> host-frame point
        self.expressivity = expressivity
        rest = skeleton.world_positions(skeleton.rest_pose()[0])
        self.rest = {name: rest[i] for i, name in enumerate(skeleton.names)}
        # The hands' rest frames, palm down (the canonical T-pose): fingers along the middle finger, and
        # along the index for a hand pointing at its target.
        self._rest_frame = {(side, pointing): _frame(self.rest[f"{side}{a}"] - self.rest[f"{side}{b}"], -UP)
                            for side in ("left", "right") for pointing, a, b in
                            ((False, "MiddleProximal", "Hand"), (True, "IndexDistal", "IndexProximal"))}
        self._knuckle = {side: self.rest[f"{side}IndexProximal"] - self.rest[f"{side}Hand"] for side in SIDES}
        self._setups: dict[tuple, ArmSetup] = {}

    def wrist_point(self, g: Gesture, side: str, target: np.ndarray | None) -> np.ndarray:
        """Where the wrist goes for this gesture before its movement, in the host frame."""
        height, sideways, distance = g.location
        s = 1.0 if side == "left" else -1.0
        space = self.expressivity.space
        y = self.rest[HEIGHT_OF[height]][1] + HEIGHT_OFFSET[height]
        chest = self.rest["chest"]
        point = np.array([s * SIDEWAYS[sideways] * space, y, chest[2] + max(DISTANCE[distance] * space, CLEAR_OF_BODY)])
        if target is not None and g.target is not None and g.target.kind == "product":
            point = target
        # Keep the elbow a little bent (wide hosts and far products alike) so the stroke has room to move.
        shoulder = self.rest[f"{side}UpperArm"]
        reach = np.linalg.norm(self.rest[f"{side}Hand"] - shoulder) * 0.85
        toward = point - shoulder
        return shoulder + toward / max(np.linalg.norm(toward), 1e-6) * min(reach, np.linalg.norm(toward))

    def target_of(self, g: Gesture, planned_target: str | None) -> np.ndarray | None:
        if g.target is None:
            return None
        if g.target.kind == "point" and g.target.point is not None:
            return np.array(g.target.point)
        key = planned_target or g.target.name or g.target.kind
        return self.targets.get(key, self.targets.get(g.target.kind))

    def hand_facing(self, side: str, fingers: np.ndarray, palm: np.ndarray, pointing: bool = False) -> np.ndarray:
        """The hand's world rotation with fingers (or the index, `pointing`) and palm in these directions."""
        return np.array(_facing(np.asarray(fingers, float), np.asarray(palm, float), self._rest_frame[side, pointing]))

    def turn_hand(self, rot: np.ndarray, side: str, wanted: np.ndarray, w: float,
                  near: float | None = None) -> tuple[np.ndarray, float]:
        """Turn the hand toward the world rotation `wanted`: the forearm takes the twist about its own
        axis (so the wrist stays where IK put it), at most FOREARM_TWIST, the wrist the remaining swing.
        `near`: the twist taken last tick, so that a twist passing half a turn keeps going the same way
        instead of flipping the forearm over. Returns the pose and the twist taken (radians, about the
        forearm toward the hand)."""
        out = rot.copy()
        sk = self.skeleton
        twist = turn_end(sk.parents, sk.offsets, out, sk.paths[sk.index(f"{side}Hand")], np.asarray(wanted, float),
                         float(w), np.nan if near is None else near, FOREARM_TWIST)
        return out, twist

    def layers(self, rot: np.ndarray, plans: list[tuple[int, Planned]], tick: int, rate: int, held: str | None,
               out: np.ndarray) -> list[tuple[str, float, HandShape]]:
        """The steps under way at `tick`, in the order of their strokes, for each hand it moves: the pose
        with that arm at the step's place at full weight (over `rot`) written into out[k] (K, J, 4), and
        the hand, the step's weight and its hand shape; at most K. A hand `held` (holding a product) is
        not free: the other one gestures."""
        active = sorted(((start + step.stroke_start * rate, start, p, step) for start, p in plans
                         for step in p.steps), key=lambda a: a[0])
        layers = []
        for _, start, p, step in active:
            t = (tick - start) / rate
            w = weight_at(step, t)
            if w <= 0.0:
                continue
            g = step.gesture
            sides = ("left", "right") if g.hands == "both" else (g.hands,)
            if held is not None:
                sides = tuple({SIDES[1 - SIDES.index(held)]} if held in sides else sides)
            for side in sides[:len(out) - len(layers)]:
                arm = self._arm_setup(g, side, p.target)
                wrist = arm.home + stroke_offset(step, t, side, self.expressivity, arm.toward)
                if len(sides) == 2:                   # two hands never cross the body's middle
                    wrist[0] = arm.sign * max(arm.sign * wrist[0], MIDLINE_GAP)
                _arm(self.skeleton.parents, self.skeleton.offsets, rot, arm.path, wrist, arm.pole, *ELBOW_LIMITS,
                     arm.fingers, arm.palm, arm.aim_fingers, arm.aim_palm, arm.aim_at, arm.rest_frame, arm.knuckle,
                     arm.pointing, out[len(layers)])
                layers.append((side, w, HANDSHAPES[g.shape]))
        return layers

    def _arm_setup(self, g: Gesture, side: str, planned_target: str | None) -> "ArmSetup":
        """What a gesture's arm needs that does not change while it runs, worked out once per gesture,
        side and target (the lexicon and the set's targets are finite: this stays small)."""
        key = (g, side, planned_target)
        if key not in self._setups:
            target = self.target_of(g, planned_target)
            home = self.wrist_point(g, side, target)
            s = 1.0 if side == "left" else -1.0
            toward = None if target is None else (target - home) / max(np.linalg.norm(target - home), 1e-6)
            pointing = g.fingers == "target" and target is not None and HANDSHAPES[g.shape].extended[1]
            aim = target is not None
            self._setups[key] = ArmSetup(
                home, toward, s, self.skeleton.paths[self.skeleton.index(f"{side}Hand")], np.array([s * 0.6, -1.0, -0.4]),
                direction(g.fingers, side), direction(g.palm, side), aim and g.fingers == "target",
                aim and g.palm == "target", FORWARD if target is None else target, self._rest_frame[side, pointing],
                self._knuckle[side], bool(pointing))
        return self._setups[key]


class ArmSetup(NamedTuple):
    home: np.ndarray                 # the wrist's place before the stroke's movement
    toward: np.ndarray | None        # from there to the gesture's target
    sign: float                      # +1 left, -1 right
    path: np.ndarray                 # root .. upper arm, forearm, hand
    pole: np.ndarray                 # the elbow bends out and down
    fingers: np.ndarray              # the written directions of fingers and palm ...
    palm: np.ndarray
    aim_fingers: bool                # ... or toward the target, from the hand
    aim_palm: bool
    aim_at: np.ndarray
    rest_frame: np.ndarray
    knuckle: np.ndarray
    pointing: bool                   # a pointing index aims from its knuckle
