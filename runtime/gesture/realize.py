"""Planned gestures on the skeleton, at the fixed tick.

For each simple gesture (a step of a plan) the wrist goes to its place in gesture space by two-bone IK,
moving along the stroke's path (line, arc, circle, wave, beat, open, close); the hand turns so its
fingers and palm face the written directions (the forearm takes the twist, the wrist the rest), and the
fingers take the hand shape. A step's weight rises over its preparation, holds, and falls over its
retraction; steps are applied in time order, each over the result of the ones before, so a hand going
straight on to its next gesture blends from one to the other without passing through the body pose.
The host's expressivity scales space, overshoot and the stroke's acceleration.
"""
from __future__ import annotations

import numpy as np

from ..controllers.fingers import shape_pose
from ..skeleton import quat
from ..skeleton.ik import two_bone_ik
from ..skeleton.pose import Driver, Pose
from ..skeleton.skeleton import Skeleton
from .expressivity import Expressivity
from .grammar import Gesture
from .handshapes import HANDSHAPES
from .hold import Hold, HoldLayer
from .planner import Planned, Timed

HEIGHT_OF = {"head": "head", "chin": "head", "shoulder": "leftUpperArm", "chest": "chest", "waist": "spine"}
HEIGHT_OFFSET = {"head": 0.12, "chin": -0.1, "shoulder": 0.0, "chest": 0.05, "waist": 0.0}   # the wrist, below the hand
SIDEWAYS = {"centre": 0.05, "periphery": 0.25, "far": 0.45}          # metres out from the body's middle
DISTANCE = {"near": 0.15, "middle": 0.3, "extended": 0.45}           # metres in front of the chest
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
    A movement is written for the right hand; the left mirrors it unless both hands move in parallel."""
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
    out = direction("out", mover)
    # Each repeat is one pass; an odd count ends at the far end, where power swings past it and back.
    f = (1 - np.cos(np.pi * n * u)) / 2
    if n % 2 == 1:
        f += expressivity.overshoot * np.sin(np.pi * min(max((u - 0.55) / 0.45, 0.0), 1.0))
    if mv.kind in ("line", "arc"):
        d = direction(mv.direction, mover, toward)
        offset = amp * d * f
        if mv.kind == "arc":
            bulge = FORWARD if abs(d[1]) < 0.7 and abs(d[2]) < 0.7 else out
            offset = offset + 0.35 * amp * bulge * np.sin(np.pi * min(f, 1.0))
        return offset
    if mv.kind == "circle":
        theta = 2 * np.pi * n * u
        return amp * (np.sin(theta) * out + (np.cos(theta) - 1) * UP)
    if mv.kind == "wave":
        return amp * np.sin(2 * np.pi * n * u) * out
    if mv.kind == "beat":
        return -amp * (1 + expressivity.overshoot) * np.sin(np.pi * n * u) ** 2 * UP
    return amp * out * (f - 1) * (1 if mv.kind == "open" else -1)          # open / close


def _frame(fingers: np.ndarray, palm: np.ndarray) -> np.ndarray:
    """Orthonormal columns (fingers, palm normal, their cross); the palm gives way when the two clash."""
    f = fingers / np.linalg.norm(fingers)
    p = palm - f * (palm @ f)
    if np.linalg.norm(p) < 0.3:                       # e.g. fingers up, palm up: keep the palm facing out
        p = FORWARD - f * (FORWARD @ f) if abs(f[2]) < 0.9 else UP - f * (UP @ f)
    p = p / np.linalg.norm(p)
    return np.stack([f, p, np.cross(f, p)], axis=-1)


class GestureDriver:
    """The body from another driver; arms and hands from planned gestures, played from `start_tick`."""

    def __init__(self, body: Driver, skeleton: Skeleton, rate: int,
                 targets: dict[str, np.ndarray] | None = None, expressivity: Expressivity = Expressivity()) -> None:
        self.body, self.skeleton, self.rate = body, skeleton, rate
        self.targets = targets or {}                    # product id / "camera" / "cohost" -> host-frame point
        self.expressivity = expressivity
        self.set_fingers = True          # off when a finger controller turns hand_curls into joints
        self.hand_curls = np.tile(np.array(RELAXED.curl), (2, 1))          # this tick's requested shapes
        self.hand_spread = np.full(2, RELAXED.spread)
        self.plans: list[tuple[int, Planned]] = []
        self.hold: Hold | None = None                # a product in one hand: gestures use the other
        self.holding = HoldLayer(skeleton, rate)
        self.grip_closed = 0.0                       # this tick: how far the holding hand's fingers are closed
        rest = skeleton.world_positions(skeleton.rest_pose()[0])
        self._rest = {name: rest[i] for i, name in enumerate(skeleton.names)}
        # The hands' rest frames, palm down (the canonical T-pose): fingers along the middle finger, and
        # along the index for a hand pointing at its target.
        self._rest_frame = {(side, pointing): _frame(self._rest[f"{side}{a}"] - self._rest[f"{side}{b}"], -UP)
                            for side in ("left", "right") for pointing, a, b in
                            ((False, "MiddleProximal", "Hand"), (True, "IndexDistal", "IndexProximal"))}

    def perform(self, start_tick: int, planned: list[Planned]) -> None:
        self.plans += [(start_tick, p) for p in planned]

    def clear(self) -> None:
        self.plans = []

    def hold_arm(self, rot: np.ndarray, tick: int, lean: bool = True,
                 hips: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """The arm holding a product (runtime.gesture.hold), and how closed its fingers are."""
        return self.holding.apply(rot, self.hold, tick, lambda r, side, fingers, palm, w:
                                  self.turn_hand(r, side, self.hand_facing(side, fingers, palm), w), lean, hips)

    def wrist_point(self, g: Gesture, side: str, target: np.ndarray | None) -> np.ndarray:
        """Where the wrist goes for this gesture before its movement, in the host frame."""
        height, sideways, distance = g.location
        s = 1.0 if side == "left" else -1.0
        space = self.expressivity.space
        y = self._rest[HEIGHT_OF[height]][1] + HEIGHT_OFFSET[height]
        chest = self._rest["chest"]
        point = np.array([s * SIDEWAYS[sideways] * space, y, chest[2] + DISTANCE[distance] * space])
        if target is not None and g.target is not None and g.target.kind == "product":
            point = target
        # Keep the elbow a little bent (wide hosts and far products alike) so the stroke has room to move.
        shoulder = self._rest[f"{side}UpperArm"]
        reach = np.linalg.norm(self._rest[f"{side}Hand"] - shoulder) * 0.85
        toward = point - shoulder
        return shoulder + toward / max(np.linalg.norm(toward), 1e-6) * min(reach, np.linalg.norm(toward))

    def target_of(self, g: Gesture, planned_target: str | None) -> np.ndarray | None:
        if g.target is None:
            return None
        if g.target.kind == "point" and g.target.point is not None:
            return np.array(g.target.point)
        key = planned_target or g.target.name or g.target.kind
        return self.targets.get(key, self.targets.get(g.target.kind))

    def _orient_hand(self, rot: np.ndarray, side: str, g: Gesture, target: np.ndarray | None,
                     w: float) -> np.ndarray:
        """Turn the hand so fingers and palm face the gesture's directions."""
        chain = self.skeleton.chain_world(rot, self.skeleton.index(f"{side}Hand"))
        pos = chain[1]
        pointing = g.fingers == "target" and target is not None and HANDSHAPES[g.shape].extended[1]
        origin = pos[self.skeleton.index(f"{side}Hand")]
        for _ in range(2 if pointing else 1):      # a pointing index aims from its knuckle: refine once
            toward = None if target is None else (target - origin) / max(np.linalg.norm(target - origin), 1e-6)
            wanted = self.hand_facing(side, direction(g.fingers, side, toward), direction(g.palm, side, toward), pointing)
            knuckle = self._rest[f"{side}IndexProximal"] - self._rest[f"{side}Hand"]
            origin = pos[self.skeleton.index(f"{side}Hand")] + quat.rotate(wanted, knuckle)
        return self.turn_hand(rot, side, wanted, w, chain)

    def hand_facing(self, side: str, fingers: np.ndarray, palm: np.ndarray, pointing: bool = False) -> np.ndarray:
        """The hand's world rotation with fingers (or the index, `pointing`) and palm in these directions."""
        return quat.from_matrix(_frame(fingers, palm) @ self._rest_frame[side, pointing].T)

    def turn_hand(self, rot: np.ndarray, side: str, wanted: np.ndarray, w: float, chain=None) -> np.ndarray:
        """Turn the hand toward the world rotation `wanted`: the forearm takes the twist about its own
        axis (so the wrist stays where IK put it), the wrist the remaining swing. `chain`: the arm's
        chain_world for `rot`, if known."""
        sk = self.skeleton
        upper, lower, hand = (sk.index(f"{side}{b}") for b in ("UpperArm", "LowerArm", "Hand"))
        world, pos = chain or sk.chain_world(rot, hand)
        delta = quat.multiply(wanted, quat.conjugate(world[hand]))
        axis = (pos[hand] - pos[lower]) / max(np.linalg.norm(pos[hand] - pos[lower]), 1e-9)
        twist = np.append(axis * (delta[:3] @ axis), delta[3])
        if np.linalg.norm(twist) < 1e-9:
            twist = quat.IDENTITY.copy()
        twist_axis, twist_angle = quat.to_axis_angle(quat.normalize(twist))
        twist = quat.from_axis_angle(twist_axis, min(float(twist_angle), FOREARM_TWIST))
        lower_world = quat.multiply(twist, world[lower])
        out = rot.copy()
        out[lower] = quat.slerp(rot[lower], quat.normalize(quat.multiply(quat.conjugate(world[upper]), lower_world)), w)
        out[hand] = quat.slerp(rot[hand], quat.normalize(quat.multiply(quat.conjugate(lower_world), wanted)), w)
        return out

    def pose(self, tick: int) -> Pose:
        pose = self.body.pose(tick)
        rot = pose.rotations
        # The hand shapes asked for this tick (relaxed unless a gesture says otherwise), for a finger
        # controller that animates the change; without one (set_fingers) the joints are set here.
        self.hand_curls = np.tile(np.array(RELAXED.curl), (2, 1))
        self.hand_spread = np.full(2, RELAXED.spread)
        held = None
        self.grip_closed = 0.0
        if self.hold is not None and self.hold.over(tick, self.rate):
            self.hold = None
        if self.hold is not None:
            rot, self.grip_closed = self.hold_arm(rot, tick)
            held = self.hold.side if self.hold.phase(tick, self.rate)[0] > 0 else None
        # Ticks only move forward: drop gestures that have ended, so the cost stays flat over a long show.
        self.plans = [(start, p) for start, p in self.plans if tick < start + p.end * self.rate + 1]
        active = sorted(((start + step.stroke_start * self.rate, start, p, step) for start, p in self.plans
                         for step in p.steps), key=lambda a: a[0])
        for _, start, p, step in active:
            t = (tick - start) / self.rate
            w = weight_at(step, t)
            if w <= 0.0:
                continue
            g = step.gesture
            target = self.target_of(g, p.target)
            sides = ("left", "right") if g.hands == "both" else (g.hands,)
            if held is not None:                    # the hand holding a product is not free: the other gestures
                sides = tuple({SIDES[1 - SIDES.index(held)]} if held in sides else sides)
            for side in sides:
                s = 1.0 if side == "left" else -1.0
                home = self.wrist_point(g, side, target)
                toward = None if target is None else (target - home) / max(np.linalg.norm(target - home), 1e-6)
                wrist = home + stroke_offset(step, t, side, self.expressivity, toward)
                if len(sides) == 2:                   # two hands never cross the body's middle
                    wrist[0] = s * max(s * wrist[0], MIDLINE_GAP)
                rot = two_bone_ik(self.skeleton, rot, (f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"), wrist,
                                  pole=np.array([s * 0.6, -1.0, -0.4]), weight=w)
                rot = self._orient_hand(rot, side, g, target, w)
                shape = HANDSHAPES[g.shape]
                if self.set_fingers:
                    joints, shaped = shape_pose(shape, side)
                    rot[joints] = quat.slerp(rot[joints], shaped, w)
                k = SIDES.index(side)
                self.hand_curls[k] += (np.array(shape.curl) - self.hand_curls[k]) * w
                self.hand_spread[k] += (shape.spread - self.hand_spread[k]) * w
        pose.rotations = rot
        return pose
