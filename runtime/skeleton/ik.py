"""Two-bone IK on normalised canonical poses, batched over hosts (one host: the compiled kernel).

Like ozz-animation's IK jobs they return corrected local rotations from the current ones, blended by a
weight; positions and targets are in the host's model space (host frame, metres).
"""
from __future__ import annotations

import numpy as np

from . import quat
from .kernels import two_bone
from .skeleton import Skeleton

ELBOW_LIMITS = (0.0, np.radians(150.0))      # flexion: straight .. fully bent


def two_bone_ik(skeleton: Skeleton, rotations: np.ndarray, chain: tuple[str, str, str], target: np.ndarray,
                pole: np.ndarray, weight: float | np.ndarray = 1.0,
                flexion_limits: tuple[float, float] = ELBOW_LIMITS) -> np.ndarray:
    """Bend `chain` = (root, middle, end) so the end joint reaches `target` (..., 3), the middle joint
    bending toward `pole` (a direction, (..., 3)). Out of reach, the chain stretches straight toward the
    target. Returns new local rotations (..., J, 4)."""
    a_i, b_i, c_i = (skeleton.index(n) for n in chain)
    rotations = np.asarray(rotations, float)
    path = skeleton.paths[c_i]
    if rotations.ndim == 2 and np.ndim(target) == 1 and np.ndim(pole) == 1 and np.ndim(weight) == 0 \
            and path[-3:].tolist() == [a_i, b_i, c_i]:
        out = rotations.copy()               # one host: the compiled kernel, same rules
        two_bone(skeleton.parents, skeleton.offsets, out, path, np.asarray(target, float),
                  np.asarray(pole, float), float(weight), *flexion_limits)
        return out
    world, positions = skeleton.chain_world(rotations, c_i)
    a, b, c = positions[a_i], positions[b_i], positions[c_i]
    l1 = np.linalg.norm(b - a, axis=-1)
    l2 = np.linalg.norm(c - b, axis=-1)
    to_target = np.asarray(target, float) - a
    dist = np.linalg.norm(to_target, axis=-1)
    u = to_target / np.maximum(dist, 1e-9)[..., None]
    # Reachable span given the flexion limits (law of cosines on the interior angle pi - flexion).
    lo, hi = flexion_limits
    d_max = np.sqrt(l1 ** 2 + l2 ** 2 + 2 * l1 * l2 * np.cos(lo))
    d_min = np.sqrt(l1 ** 2 + l2 ** 2 + 2 * l1 * l2 * np.cos(hi))
    d = np.clip(dist, d_min, d_max)
    cos_shoulder = np.clip((l1 ** 2 + d ** 2 - l2 ** 2) / np.maximum(2 * l1 * d, 1e-12), -1.0, 1.0)
    alpha = np.arccos(cos_shoulder)
    pole = np.asarray(pole, float)
    v = pole - u * np.sum(pole * u, -1, keepdims=True)
    fallback = np.cross(u, [0.0, 0.0, 1.0])
    v = np.where(np.linalg.norm(v, axis=-1, keepdims=True) < 1e-6, fallback, v)
    v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    elbow = a + l1[..., None] * (np.cos(alpha)[..., None] * u + np.sin(alpha)[..., None] * v)
    reach = a + u * d[..., None]

    r1 = quat.between(b - a, elbow - a)                               # swing the upper bone
    c_after = a + quat.rotate(r1, c - a)
    r2 = quat.between(c_after - elbow, reach - elbow)                 # then the lower bone
    parent_a = skeleton.parents[a_i]
    wp = world[parent_a] if parent_a >= 0 else np.broadcast_to(quat.IDENTITY, r1.shape)
    new = rotations.copy()
    # local' = Wp^-1 R1 Wp local (root);  local' = W1^-1 R1^-1 R2 R1 W2 (middle, whose parent is root)
    new[..., a_i, :] = quat.multiply(quat.conjugate(wp), quat.multiply(r1, world[a_i]))
    w1, w2 = world[a_i], world[b_i]
    new[..., b_i, :] = quat.multiply(quat.conjugate(quat.multiply(r1, w1)), quat.multiply(r2, quat.multiply(r1, w2)))
    weight = np.asarray(weight, float)
    for k in (a_i, b_i):
        new[..., k, :] = quat.slerp(rotations[..., k, :], quat.normalize(new[..., k, :]), weight)
    return new
