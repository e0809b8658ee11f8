"""Hands: a palm with knuckles across its back, fingers that swell at their joints, and a nail on each.

Each finger is one tube through its three joints, weighted along the chain so the existing finger joints
bend it; the nail rides on the distal bone.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..skeleton.humanoid import FINGER_SEGMENTS, FINGERS
from ..skeleton.pose import BONE_INDEX
from .mesh import Part, chain_weights, ellipsoid, polyline, rigid, tube

if TYPE_CHECKING:
    from .figure import Figure

J = BONE_INDEX                    # canonical bone name -> joint index
# Finger thickness at its base, in metres of a 1.70 m figure.
THICKNESS = {"Thumb": 0.0100, "Index": 0.0082, "Middle": 0.0084, "Ring": 0.0079, "Little": 0.0068}


def _boxy(unit: np.ndarray) -> np.ndarray:
    """Scale that turns a unit sphere into a rounded box (a superellipsoid of exponent 4)."""
    return np.repeat((1.0 / np.sum(np.abs(unit) ** 4, axis=1) ** 0.25)[:, None], 3, axis=1)


def _palm(f: Figure, side: str, sign: int) -> Part:
    """A rounded slab from the wrist to the knuckles; the back of the hand (+Y) a little domed."""
    s, jt = f.s, f.joints
    hand = jt[f"{side}Hand"]
    knuckle_x = np.mean([jt[f"{side}{n}Proximal"][0] for n in ("Index", "Middle", "Ring", "Little")])
    length = abs(knuckle_x - hand[0]) + 0.006 * s
    centre = hand + [sign * (length / 2 - 0.004 * s), 0.0, -0.001 * s]
    pos, idx = ellipsoid(centre, np.array([length / 2, 0.0155 * s, 0.036 * s]), 8, 14, shape=_boxy)
    # Narrower at the wrist than across the knuckles.
    t = np.clip((sign * (pos[:, 0] - hand[0])) / length, 0, 1)
    pos[:, 2] = centre[2] + (pos[:, 2] - centre[2]) * (0.78 + 0.22 * t)
    joints, weights = rigid(len(pos), J[f"{side}Hand"])
    return Part("skin", pos, idx, joints, weights)


def _finger_radii(arc: np.ndarray, joints_at: np.ndarray, r0: float) -> np.ndarray:
    """Tapering toward the tip, with a swelling at each knuckle and a waist between."""
    taper = r0 * (1.0 - 0.25 * arc / arc[-1])
    bumps = sum(np.exp(-((arc - a) / (0.35 * r0)) ** 2) for a in joints_at)
    return taper * (0.93 + 0.11 * bumps)


def _finger(f: Figure, side: str, finger: str) -> list[Part]:
    s, jt = f.s, f.joints
    names = [f"{side}{finger}{seg}" for seg in FINGER_SEGMENTS]
    chain = [jt[n] for n in names] + [jt[f"{side}{finger}Tip"]]
    d = chain[1] - chain[0]
    d = d / np.linalg.norm(d)
    r0 = THICKNESS[finger] * s
    tip = chain[-1] - d * r0 * 0.55
    pts = [chain[0] - d * 0.014 * s] + chain[1:-1] + [tip]
    path = polyline(pts, 3)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    knuckles = [np.linalg.norm(c - pts[0]) for c in chain[:3]]
    radii = _finger_radii(arc, np.array(knuckles), r0)
    pos, idx, param = tube(path, radii, cols=8, up_hint=(0, 1, 0), flatten=0.88, cap_depth=0.8)
    bones = [f"{side}Hand"] + names
    bounds = [0.0] + knuckles                  # the hand owns what is inside the palm
    joints, weights = chain_weights(param, bounds, [J[b] for b in bones], 0.004 * s)
    return [Part("skin", pos, idx, joints, weights), _nail(f, side, finger, chain, d, r0)]


def _nail_normal(finger: str, d: np.ndarray, sign: int) -> np.ndarray:
    """Which way the nail faces: up (the back of the hand in the T-pose); the thumb's turns forward."""
    up = np.array([0.0, 1.0, 0.0]) if finger != "Thumb" else np.array([-sign * 0.35, 0.55, 0.75])
    n = up - d * (up @ d)
    return n / np.linalg.norm(n)


def _nail(f: Figure, side: str, finger: str, chain: list[np.ndarray], d: np.ndarray, r0: float) -> Part:
    """A thin shell on the back of the last segment, from its middle to just short of the tip."""
    sign = 1 if side == "left" else -1
    n = _nail_normal(finger, d, sign)
    across = np.cross(n, d)
    distal, tip = chain[2], chain[3]
    length = np.linalg.norm(tip - distal)
    along = np.linspace(0.35, 0.98, 6) * length
    ang = np.linspace(-1.0, 1.0, 7)                        # radians around the finger, either side of the top
    a, t = np.meshgrid(ang, along, indexing="ij")
    lift = r0 * 0.80 + 0.0004 * f.s                        # just above the skin, so it never hides in it
    curve = 1.0 - 0.12 * ((t / length - 0.35) / 0.63) ** 4
    centre = distal[None, None] + d * t[..., None] - d * r0 * 0.1
    pts = centre + lift * curve[..., None] * (np.cos(a)[..., None] * n + np.sin(a)[..., None] * across * 0.9)
    rows, cols = pts.shape[:2]
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    i = (r * cols + c).reshape(-1)
    tri = np.stack([i, i + 1, i + cols, i + cols, i + 1, i + cols + 1], -1).reshape(-1, 3)
    pos = pts.reshape(-1, 3)
    p0, p1, p2 = (pos[tri[:, k]] for k in range(3))
    inward = np.einsum("ij,j->i", np.cross(p1 - p0, p2 - p0), n) < 0
    tri[inward] = tri[inward][:, ::-1]
    joints, weights = rigid(len(pos), J[f"{side}{finger}Distal"])
    return Part("nail", pos, tri.reshape(-1), joints, weights)


def hand(f: Figure, side: str, sign: int) -> list[Part]:
    parts = [_palm(f, side, sign)]
    for finger in FINGERS:
        parts += _finger(f, side, finger)
    return parts
