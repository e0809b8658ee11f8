"""Which way a rig stands: its left, up and forward directions, found from where its bones are."""
from __future__ import annotations

import numpy as np

# glTF and the host frame (+Y up, +Z forward) into Panda3D and set coordinates (+Z up, -Y forward).
Y_UP_TO_Z_UP = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])


def orthonormal(m: np.ndarray) -> np.ndarray:
    """The rotation nearest to each (..., 3, 3) matrix (drops scale and shear)."""
    u, _, vt = np.linalg.svd(m)
    return u @ vt


def snap(v: np.ndarray, exclude: list[np.ndarray]) -> np.ndarray:
    """The signed principal axis nearest to v, other than (multiples of) those in `exclude`."""
    best, score = None, -1.0
    for axis in np.eye(3):
        if any(abs(axis @ e) > 0.5 for e in exclude):
            continue
        s = abs(axis @ v)
        if s > score:
            best, score = axis * (1.0 if axis @ v >= 0 else -1.0), s
    return best


def detect_frame(pos: dict[str, np.ndarray], default_up, default_left) -> np.ndarray:
    """3x3 whose columns are the rig's left, up and forward in the space of `pos`, snapped to its axes.
    Up runs from the feet to the hips (true for bipeds and quadrupeds); left from right limbs to left."""
    up = np.asarray(default_up, float)
    feet = [pos[b] for b in ("leftFoot", "rightFoot", "leftLowerLeg", "rightLowerLeg") if b in pos]
    if "hips" in pos and feet:
        up = pos["hips"] - np.mean(feet, axis=0)
    elif "hips" in pos and "head" in pos:
        up = pos["head"] - pos["hips"]
    up = snap(up, [])
    left = np.asarray(default_left, float)
    for part in ("UpperArm", "UpperLeg", "Hand", "Eye", "Foot", "Shoulder"):
        if f"left{part}" in pos and f"right{part}" in pos:
            d = pos[f"left{part}"] - pos[f"right{part}"]
            if np.linalg.norm(d - up * (d @ up)) > 1e-4:
                left = d
                break
    left = snap(left, [up])
    return np.stack([left, up, np.cross(left, up)], axis=1)
