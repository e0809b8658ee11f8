"""Picking a product up, holding it up to the viewers, and putting it back.

One hand reaches for the product (leaning in when it is beyond the arm), the fingers close around it
(a real grasp of the product's shape: runtime.controllers.fingers.grasp), the hand carries it up in
front of the upper chest and holds it there, moving with it as the host turns; the other hand is free for
gestures. Putting it down runs the same way back. While the hand has it, the product moves with the hand:
the holds stage reports the hand's frame, which the scene attaches the product to.

The arm is solved once per tick, after the gaze has turned the upper body, so the hand lands exactly on
the product where it stands.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sets.setfile import Piece
from ..skeleton import quat
from ..skeleton.ik import ELBOW_LIMITS
from ..skeleton.kernels import slerp_joints, two_bone
from ..skeleton.skeleton import Skeleton
from .fingers import Prop, grasp
from .gestures import Gesturer

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
    lean: float | None = None    # how far the host leans to reach it (radians), worked out once
    grip: tuple[np.ndarray, np.ndarray] | None = None   # the fingers' joints and their rotations round it
    twist: float | None = None   # the forearm's twist last tick (radians): it turns on, never flips over

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
    if piece.shape == "kettle":                  # held by its body, as deep as the kettle (spout and handle aside)
        return Prop("cylinder", centre, up, sy / 2, np.array([sz / 2, 0.0, 0.0]))
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


def _leaned(skeleton: Skeleton, rot: np.ndarray, angle: float) -> np.ndarray:
    out = rot.copy()
    for bone in ("spine", "chest"):
        j = skeleton.index(bone)
        out[j] = quat.multiply(quat.from_axis_angle(X, angle / 2), out[j])
    return out


def lean_for(skeleton: Skeleton, rot: np.ndarray, side: str, hold: Hold) -> float:
    """The forward lean that brings the shoulder within 95 % of the arm's reach of the grip (bisection;
    the most it leans if even that is not enough)."""
    rest = skeleton.world_positions(skeleton.rest_pose()[0])
    upper, lower, hand = (skeleton.index(f"{side}{b}") for b in ("UpperArm", "LowerArm", "Hand"))
    arm = np.linalg.norm(rest[lower] - rest[upper]) + np.linalg.norm(rest[hand] - rest[lower])
    wrist = grip_point(hold.prop, side)

    def reaches(angle: float) -> bool:
        _, pos = skeleton.chain_world(_leaned(skeleton, rot, angle), upper)
        return bool(np.linalg.norm(wrist - pos[upper]) <= 0.95 * arm)
    if reaches(0.0):
        return 0.0
    if not reaches(MAX_LEAN):
        return float(MAX_LEAN)
    lo, hi = 0.0, float(MAX_LEAN)
    for _ in range(12):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if reaches(mid) else (mid, hi)
    return hi


def hold_arm(gesturer: Gesturer, rot: np.ndarray, hold: Hold, tick: int, rate: int,
             hips: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The pose (J, 4) with the hold's arm and grip, and the hand's frame (4x4, host frame, with the
    body's `hips` offset) while the product is in it, else None."""
    sk = gesturer.skeleton
    arm, at_product, closed, attached = hold.phase(tick, rate)
    if arm <= 0.0:
        return rot, None
    side, s = hold.side, (1.0 if hold.side == "left" else -1.0)
    grip = grip_point(hold.prop, side) - hips           # the skeleton's model space is offset by the hips
    # Held up: in front of the upper chest, turning with it.
    chest_rot, chest_pos = sk.joint_world(rot, sk.index("upperChest"))
    shown = chest_pos + quat.rotate(chest_rot, gesturer.rest["chest"] + SHOW_AT * np.array([s, 1.0, 1.0])
                                    - gesturer.rest["upperChest"])
    wrist = grip * at_product + shown * (1.0 - at_product)
    rot = rot.copy()
    two_bone(sk.parents, sk.offsets, rot, sk.paths[sk.index(f"{side}Hand")], wrist, np.array([s * 0.6, -1.0, -0.4]),
             arm, *ELBOW_LIMITS)
    facing = gesturer.hand_facing(side, np.array([-s, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    rot, hold.twist = gesturer.turn_hand(rot, side, facing, arm, near=hold.twist)
    if closed > 0.0:
        if hold.grip is None:                   # close the fingers on the product, once, where it stands
            joints = np.array([sk.index(n) for n in sk.names
                               if n.startswith(side) and any(f in n for f in ("Thumb", "Index", "Middle", "Ring", "Little"))])
            hold.grip = joints, grasp(sk, rot, side, hold.prop)[joints]
        joints, grasped = hold.grip
        slerp_joints(rot, joints, grasped, closed)
    if not attached:
        return rot, None
    hand_rot, hand_pos = sk.joint_world(rot, sk.index(f"{side}Hand"))
    frame = np.eye(4)
    frame[:3, :3], frame[:3, 3] = quat.to_matrix(hand_rot), hand_pos + hips
    return rot, frame
