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

import numpy as np

from ..gesture.expressivity import Expressivity
from ..gesture.grammar import Gesture
from ..gesture.handshapes import HANDSHAPES, HandShape
from ..gesture.planner import Planned, Timed
from ..skeleton import quat
from ..skeleton.ik import two_bone_ik
from ..skeleton.skeleton import Skeleton

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
    """Orthonormal columns (fingers, palm normal, their cross); the palm gives way when the two clash.
    A hand without finger bones (its fingers at the wrist) points along +X."""
    length = np.linalg.norm(fingers)
    f = fingers / length if length > 1e-9 else np.array([1.0, 0.0, 0.0])
    p = palm - f * (palm @ f)
    if np.linalg.norm(p) < 0.3:                       # e.g. fingers up, palm up: keep the palm facing out
        p = FORWARD - f * (FORWARD @ f) if abs(f[2]) < 0.9 else UP - f * (UP @ f)
    p = p / np.linalg.norm(p)
    return np.stack([f, p, np.cross(f, p)], axis=-1)


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

    def wrist_point(self, g: Gesture, side: str, target: np.ndarray | None) -> np.ndarray:
        """Where the wrist goes for this gesture before its movement, in the host frame."""
        height, sideways, distance = g.location
        s = 1.0 if side == "left" else -1.0
        space = self.expressivity.space
        y = self.rest[HEIGHT_OF[height]][1] + HEIGHT_OFFSET[height]
        chest = self.rest["chest"]
        point = np.array([s * SIDEWAYS[sideways] * space, y, chest[2] + DISTANCE[distance] * space])
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

    def _orient_hand(self, rot: np.ndarray, side: str, g: Gesture, target: np.ndarray | None) -> np.ndarray:
        """Turn the hand so fingers and palm face the gesture's directions."""
        chain = self.skeleton.chain_world(rot, self.skeleton.index(f"{side}Hand"))
        pos = chain[1]
        pointing = g.fingers == "target" and target is not None and HANDSHAPES[g.shape].extended[1]
        origin = pos[self.skeleton.index(f"{side}Hand")]
        for _ in range(2 if pointing else 1):      # a pointing index aims from its knuckle: refine once
            toward = None if target is None else (target - origin) / max(np.linalg.norm(target - origin), 1e-6)
            wanted = self.hand_facing(side, direction(g.fingers, side, toward), direction(g.palm, side, toward), pointing)
            knuckle = self.rest[f"{side}IndexProximal"] - self.rest[f"{side}Hand"]
            origin = pos[self.skeleton.index(f"{side}Hand")] + quat.rotate(wanted, knuckle)
        return self.turn_hand(rot, side, wanted, 1.0, chain)[0]

    def hand_facing(self, side: str, fingers: np.ndarray, palm: np.ndarray, pointing: bool = False) -> np.ndarray:
        """The hand's world rotation with fingers (or the index, `pointing`) and palm in these directions."""
        return quat.from_matrix(_frame(fingers, palm) @ self._rest_frame[side, pointing].T)

    def turn_hand(self, rot: np.ndarray, side: str, wanted: np.ndarray, w: float, chain=None,
                  near: float | None = None) -> tuple[np.ndarray, float]:
        """Turn the hand toward the world rotation `wanted`: the forearm takes the twist about its own
        axis (so the wrist stays where IK put it), at most FOREARM_TWIST, the wrist the remaining swing.
        `chain`: the arm's chain_world for `rot`, if known; `near`: the twist taken last tick, so that a
        twist passing half a turn keeps going the same way instead of flipping the forearm over. Returns
        the pose and the twist taken (radians, about the forearm toward the hand)."""
        sk = self.skeleton
        upper, lower, hand = (sk.index(f"{side}{b}") for b in ("UpperArm", "LowerArm", "Hand"))
        world, pos = chain or sk.chain_world(rot, hand)
        delta = quat.multiply(wanted, quat.conjugate(world[hand]))
        axis = (pos[hand] - pos[lower]) / max(np.linalg.norm(pos[hand] - pos[lower]), 1e-9)
        twist = np.append(axis * (delta[:3] @ axis), delta[3])
        if np.linalg.norm(twist) < 1e-9:
            twist = quat.IDENTITY.copy()
        twist_axis, twist_angle = quat.to_axis_angle(quat.normalize(twist))
        signed = float(twist_angle) * (1.0 if twist_axis @ axis >= 0 else -1.0)
        if near is not None and abs(signed - near) > np.pi:
            signed -= np.copysign(2 * np.pi, signed - near)
        signed = float(np.clip(signed, -FOREARM_TWIST, FOREARM_TWIST))
        lower_world = quat.multiply(quat.from_axis_angle(axis, signed), world[lower])
        out = rot.copy()
        out[lower] = quat.slerp(rot[lower], quat.normalize(quat.multiply(quat.conjugate(world[upper]), lower_world)), w)
        out[hand] = quat.slerp(rot[hand], quat.normalize(quat.multiply(quat.conjugate(lower_world), wanted)), w)
        return out, signed

    def layers(self, rot: np.ndarray, plans: list[tuple[int, Planned]], tick: int, rate: int,
               held: str | None = None) -> list[tuple[np.ndarray, str, float, HandShape]]:
        """The steps under way at `tick`, in the order of their strokes: for each hand it moves, the pose
        (J, 4) with that arm at the step's place at full weight (over `rot`), the hand, the step's weight
        and its hand shape. A hand `held` (holding a product) is not free: the other one gestures."""
        active = sorted(((start + step.stroke_start * rate, start, p, step) for start, p in plans
                         for step in p.steps), key=lambda a: a[0])
        out = []
        for _, start, p, step in active:
            t = (tick - start) / rate
            w = weight_at(step, t)
            if w <= 0.0:
                continue
            g = step.gesture
            target = self.target_of(g, p.target)
            sides = ("left", "right") if g.hands == "both" else (g.hands,)
            if held is not None:
                sides = tuple({SIDES[1 - SIDES.index(held)]} if held in sides else sides)
            for side in sides:
                s = 1.0 if side == "left" else -1.0
                home = self.wrist_point(g, side, target)
                toward = None if target is None else (target - home) / max(np.linalg.norm(target - home), 1e-6)
                wrist = home + stroke_offset(step, t, side, self.expressivity, toward)
                if len(sides) == 2:                   # two hands never cross the body's middle
                    wrist[0] = s * max(s * wrist[0], MIDLINE_GAP)
                arm = two_bone_ik(self.skeleton, rot, (f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"), wrist,
                                  pole=np.array([s * 0.6, -1.0, -0.4]))
                out.append((self._orient_hand(arm, side, g, target), side, w, HANDSHAPES[g.shape]))
        return out
