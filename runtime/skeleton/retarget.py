"""Retarget a clip from its source skeleton onto another canonical skeleton.

Both skeletons are normalised (identity rest rotations, host-frame axes), but their rest poses differ
(T-pose against A-pose, other proportions). Each bone gets an alignment A_b taking the target's rest
direction to the source's (bone -> its main child); the target's world rotation is the source's world
rotation times A_b, so every limb points where the source's points. The hips' travel is scaled by leg
length.
"""
from __future__ import annotations

import numpy as np

from . import quat
from .clip import Clip
from .humanoid import BONE_NAMES, FINGER_SEGMENTS, FINGERS
from .skeleton import Skeleton


def _main_child() -> dict[str, str]:
    child = {"hips": "spine", "spine": "chest", "chest": "upperChest", "upperChest": "neck", "neck": "head"}
    for s in ("left", "right"):
        child.update({f"{s}Shoulder": f"{s}UpperArm", f"{s}UpperArm": f"{s}LowerArm",
                      f"{s}LowerArm": f"{s}Hand", f"{s}Hand": f"{s}MiddleProximal",
                      f"{s}UpperLeg": f"{s}LowerLeg", f"{s}LowerLeg": f"{s}Foot", f"{s}Foot": f"{s}Toes"})
        for f in FINGERS:
            for a, b in zip(FINGER_SEGMENTS[:-1], FINGER_SEGMENTS[1:]):
                child[f"{s}{f}{a}"] = f"{s}{f}{b}"
    return child


MAIN_CHILD = _main_child()


def leg_length(skeleton: Skeleton) -> float:
    rot, _ = skeleton.rest_pose()
    p = skeleton.world_positions(rot)
    feet = [p[skeleton.index(f)] for f in ("leftFoot", "rightFoot")]
    return float(p[skeleton.index("hips")][1] - np.mean([f[1] for f in feet]))


def alignment(source: Skeleton, target: Skeleton) -> np.ndarray:
    """(J, 4): per bone, the rotation taking the target's rest bone direction onto the source's."""
    ps = source.world_positions(source.rest_pose()[0])
    pt = target.world_positions(target.rest_pose()[0])
    align = np.tile(quat.IDENTITY, (len(BONE_NAMES), 1))
    for b, c in MAIN_CHILD.items():
        i, j = BONE_NAMES.index(b), BONE_NAMES.index(c)
        ds, dt = ps[j] - ps[i], pt[j] - pt[i]
        if np.linalg.norm(ds) > 1e-6 and np.linalg.norm(dt) > 1e-6:
            align[i] = quat.between(dt, ds)
    return align


def retarget(clip: Clip, target: Skeleton) -> Clip:
    src = clip.skeleton
    model = src.local_to_model(clip.rotations)
    world = quat.from_matrix(model[..., :3, :3])                   # (F, J, 4) source world rotations
    target_world = quat.multiply(world, alignment(src, target))
    parents = target.parents
    local = target_world.copy()
    has_parent = parents >= 0
    local[:, has_parent] = quat.multiply(quat.conjugate(target_world[:, parents[has_parent]]),
                                         target_world[:, has_parent])
    scale = leg_length(target) / max(leg_length(src), 1e-9)
    return Clip(clip.name, clip.rate, quat.normalize(local), clip.hips * scale, target, clip.animated.copy(),
                clip.loop)
