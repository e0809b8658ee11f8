"""Picking a product up, holding it up to the viewers, and putting it back.

One hand reaches for the product (leaning in when it is beyond the arm), the fingers close around it
(a real grasp of the product's shape: runtime.controllers.fingers.grasp), the hand carries it up in
front of the chest and holds it there; the other hand is free for gestures. Putting it down runs the same
way back. While the hand has it, the product moves with the hand: `carried` is the hand's frame, which
the stage attaches the product to.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..controllers.fingers import Prop, grasp
from ..scene.setfile import Piece
from ..skeleton import quat
from ..skeleton.ik import two_bone_ik
from ..skeleton.skeleton import Skeleton

REACH_S = 0.8          # hand to the product
GRASP_S = 0.35         # fingers close (or open)
CARRY_S = 0.8          # product up to the chest (or back down)
PALM_GAP_M = 0.022     # the palm's surface in front of the hand's centre line
HAND_HALF_M = 0.045    # wrist to the middle of the palm
MAX_LEAN = np.radians(35.0)
SHOW_AT = np.array([0.10, 0.02, 0.36])      # held: wrist from the chest (out, up, forward), metres
X = np.array([1.0, 0.0, 0.0])


@dataclass
class Hold:
    product: str
    side: str                    # "left" or "right"
    start: int                   # tick the reach begins
    prop: Prop                   # the product's shape where it stands, host frame
    release: int | None = None   # tick the hand starts putting it back

    def phase(self, tick: int, rate: int) -> tuple[float, float, float, float]:
        """(arm weight 0..1, at the product 0..1 (else at the chest), fingers closed 0..1, attached 0/1)."""
        t = (tick - self.start) / rate
        if self.release is not None and tick >= self.release:
            back = (tick - self.release) / rate
            fingers = 1.0 - _ease((back - CARRY_S) / GRASP_S)
            arm = 1.0 - _ease((back - CARRY_S - GRASP_S) / REACH_S)
            return arm, _ease(back / CARRY_S), fingers, float(back < CARRY_S + GRASP_S * 0.5)
        lifted = _ease((t - REACH_S - GRASP_S) / CARRY_S)
        return _ease(t / REACH_S), 1.0 - lifted, _ease((t - REACH_S) / GRASP_S), float(t >= REACH_S + GRASP_S * 0.5)

    def over(self, tick: int, rate: int) -> bool:
        return self.release is not None and tick >= self.release + round((CARRY_S + GRASP_S + REACH_S) * rate)


def _ease(u: float) -> float:
    u = min(1.0, max(0.0, u))
    return u * u * (3 - 2 * u)


def piece_prop(piece: Piece, to_host: np.ndarray) -> Prop:
    """A product's primitive in a host's frame (set +Z up is the host's +Y; +Y into the set its -Z)."""
    centre = (to_host @ [*piece.centre, 1.0])[:3]
    up = to_host[:3, :3] @ [0.0, 0.0, 1.0]
    sx, sy, sz = piece.size
    if piece.shape == "cylinder":
        return Prop("cylinder", centre, up, max(sx, sy) / 2, np.array([sz / 2, 0.0, 0.0]))
    if piece.shape == "sphere":
        return Prop("sphere", centre, radius=max(piece.size) / 2)
    return Prop("box", centre, half=np.array([sx / 2, sz / 2, sy / 2]))


def grip_point(prop: Prop, side: str) -> np.ndarray:
    """Where the wrist goes to take the product: behind it (as the host sees it), palm on its back, the
    fingers reaching round toward the body's middle."""
    s = 1.0 if side == "left" else -1.0
    depth = prop.radius if prop.kind in ("cylinder", "sphere") else prop.half[2]
    return prop.centre - np.array([0.0, 0.0, depth + PALM_GAP_M]) + np.array([s * HAND_HALF_M, 0.0, 0.0])


def side_for(prop: Prop) -> str:
    """The hand on the product's side of the body (+X is the host's left)."""
    return "left" if prop.centre[0] > 0 else "right"


class HoldLayer:
    """The arm, the lean and the fingers of a hold, on top of a pose."""

    def __init__(self, skeleton: Skeleton, rate: int) -> None:
        self.skeleton, self.rate = skeleton, rate
        rest = skeleton.world_positions(skeleton.rest_pose()[0])
        self._rest = {name: rest[i] for i, name in enumerate(skeleton.names)}
        self.fingers: tuple[np.ndarray, np.ndarray] | None = None      # (joints, grasped local rotations)
        self._for: Hold | None = None                 # the hold the fingers were closed for
        self._lean_for: tuple[Hold, float] | None = None

    def _lean(self, rot: np.ndarray, angle: float) -> np.ndarray:
        out = rot.copy()
        for bone in ("spine", "chest"):
            j = self.skeleton.index(bone)
            out[j] = quat.multiply(quat.from_axis_angle(X, angle / 2), out[j])
        return out

    def lean_for(self, rot: np.ndarray, side: str, wrist: np.ndarray) -> float:
        """The forward lean that brings the shoulder within 95 % of the arm's reach of `wrist` (bisection;
        the most it leans if even that is not enough)."""
        sk = self.skeleton
        arm = (np.linalg.norm(self._rest[f"{side}LowerArm"] - self._rest[f"{side}UpperArm"])
               + np.linalg.norm(self._rest[f"{side}Hand"] - self._rest[f"{side}LowerArm"]))
        shoulder = sk.index(f"{side}UpperArm")

        def reaches(angle: float) -> bool:
            _, pos = sk.chain_world(self._lean(rot, angle), shoulder)
            return bool(np.linalg.norm(wrist - pos[shoulder]) <= 0.95 * arm)
        if reaches(0.0):
            return 0.0
        if not reaches(MAX_LEAN):
            return float(MAX_LEAN)
        lo, hi = 0.0, float(MAX_LEAN)
        for _ in range(12):
            mid = (lo + hi) / 2
            lo, hi = (lo, mid) if reaches(mid) else (mid, hi)
        return hi

    def apply(self, rot: np.ndarray, hold: Hold, tick: int, orient, lean: bool = True,
              hips: np.ndarray | None = None) -> tuple[np.ndarray, float]:
        """The pose with the hold's arm (and lean); returns it and how closed the fingers should be.
        `orient(rot, side, toward_fingers, toward_palm, weight)` turns the hand (the gesture driver's).
        Applied again without the lean once the gaze has turned the upper body (and with the body's
        `hips` offset, which moves the whole skeleton), the hand lands exactly where the product stands."""
        arm, at_product, closed, _ = hold.phase(tick, self.rate)
        if arm <= 0.0:
            return rot, 0.0
        side, s = hold.side, (1.0 if hold.side == "left" else -1.0)
        grip = grip_point(hold.prop, side)
        chest = self._rest["chest"]
        shown = chest + SHOW_AT * np.array([s, 1.0, 1.0])
        wrist = grip * at_product + shown * (1.0 - at_product)
        if hips is not None:
            wrist = wrist - hips * at_product
        if lean and arm * at_product > 0:
            if self._lean_for is None or self._lean_for[0] is not hold:      # worked out once per hold
                self._lean_for = hold, self.lean_for(rot, side, grip)
            rot = self._lean(rot, self._lean_for[1] * arm * at_product)
        rot = two_bone_ik(self.skeleton, rot, (f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"), wrist,
                          pole=np.array([s * 0.6, -1.0, -0.4]), weight=arm)
        rot = orient(rot, side, np.array([-s, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), arm)
        if self._for is not hold and closed > 0.0:
            self._for = hold                         # close the fingers on the product, once, where it stands
            joints = np.array([self.skeleton.index(n) for n in self.skeleton.names
                               if n.startswith(side) and any(f in n for f in ("Thumb", "Index", "Middle", "Ring", "Little"))])
            self.fingers = joints, grasp(self.skeleton, rot, side, hold.prop)[joints]
        return rot, closed

    def hand_matrix(self, rot: np.ndarray, side: str) -> np.ndarray:
        """The hand's frame (4x4, host frame), for a product carried in it."""
        hand = self.skeleton.index(f"{side}Hand")
        world, pos = self.skeleton.chain_world(rot, hand)
        m = np.eye(4)
        m[:3, :3], m[:3, 3] = quat.to_matrix(world[hand]), pos[hand]
        return m
