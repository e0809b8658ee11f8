"""Assemble a stylised presenter from a HostSpec: skeleton, skinned body, face with morph targets.

Model space is glTF's: metres, +Y up, the host faces +Z, its left hand is at +X. Joints have identity
rest rotations (a T-pose), so the canonical humanoid needs no normalisation for built-in hosts.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..skeleton.humanoid import BONE_NAMES, FINGERS, PARENT
from ..tomlfile import srgb_to_linear
from .face_paint import eye_uvs, head_uvs, lid_uvs, paint_eye, paint_head, paint_lids
from .glb import Collider, Joint, Material, Spring, write_glb
from .hair import build_hair, hair_color, hair_uvs, paint_hair
from .mesh import (
    Part,
    chain_weights,
    ellipsoid,
    orient,
    patch,
    polyline,
    rigid,
    tube,
)
from .spec import HostSpec, load_host_spec
from .vrm import vrm_from_glb

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
# ARKit blend shapes that an expression engine mixes into emotions; Left is the host's own left (+X).
ARKIT = ("mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "cheekSquintLeft",
         "cheekSquintRight", "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "browInnerUp",
         "browOuterUpLeft", "browOuterUpRight", "browDownLeft", "browDownRight", "jawForward")
EXPRESSIONS = ("blinkLeft", "blinkRight") + ARKIT
TARGET_NAMES = VISEMES + EXPRESSIONS
SIDES = (("Left", 1), ("Right", -1))         # morph name suffix, sign of x on that side

# Mouth shape per viseme and expression: drop (jaw 0..1), width (x scale), pucker (0..1), and lip tweaks.
MOUTH_SHAPES: dict[str, dict[str, float]] = {
    "sil": {}, "PP": {"press": 1.0}, "FF": {"drop": 0.1, "tuck": 1.0}, "TH": {"drop": 0.22},
    "DD": {"drop": 0.3, "width": 1.04}, "kk": {"drop": 0.38}, "CH": {"drop": 0.25, "pucker": 0.5, "width": 0.9},
    "SS": {"drop": 0.12, "width": 1.1}, "nn": {"drop": 0.2}, "RR": {"drop": 0.25, "pucker": 0.6, "width": 0.85},
    "aa": {"drop": 1.0}, "E": {"drop": 0.55, "width": 1.15}, "ih": {"drop": 0.4, "width": 1.1},
    "oh": {"drop": 0.75, "pucker": 0.75, "width": 0.8}, "ou": {"drop": 0.35, "pucker": 1.0, "width": 0.65},
    "jawForward": {"jut": 1.0},
    "mouthSmile": {"smile": 1.0, "width": 1.1}, "mouthFrown": {"frown": 1.0, "width": 0.96},   # split per side
}
ONE_SIDED_MOUTH = ("mouthSmile", "mouthFrown")

# Eyelids, in eyeball radii. Upper lid: eyeWide lifts its edge and eyeSquint lowers it, straight up or down.
EYE_WIDE, EYE_SQUINT_UPPER = 0.13, 0.07
# Lower lid: (height, distance from the eye's vertical axis) per row, from its rim down into the head. It stands
# in front of the upper lid's edge as far down as a blink (with eyeSquint) takes that edge, so the closing lid
# tucks behind its rim and the eye shuts even while eyeWide holds the upper lid up.
LOWER_LID = np.array([(-0.37, 1.09), (-0.43, 1.10), (-0.52, 1.09), (-0.62, 1.05), (-0.73, 0.97), (-0.85, 0.82),
                      (-0.96, 0.62), (-1.06, 0.38)])
# Per row (rise, forward) at full weight: a squint tightens the lid upward; the cheek pushes it up from below.
EYE_SQUINT_LOWER = np.array([(0.27, 0.09), (0.24, 0.085), (0.18, 0.075), (0.12, 0.06), (0.07, 0.05), (0.03, 0.03),
                             (0.0, 0.0), (0.0, 0.0)])
CHEEK_SQUINT = np.array([(0.18, 0.06), (0.17, 0.07), (0.16, 0.08), (0.14, 0.10), (0.11, 0.11), (0.08, 0.10),
                         (0.05, 0.07), (0.02, 0.03)])
J = {name: i for i, name in enumerate(BONE_NAMES)}
OUTLINE = 0.0012        # MToon outline width (m) of the body, head and hair


def _lip_color(col: dict[str, tuple[float, float, float]]) -> tuple[float, float, float]:
    """Lips a third of the way from the spec's colour back to the skin: anime draws a mouth, not lips."""
    return tuple(0.35 * a + 0.65 * b for a, b in zip(col["skin"], col["lips"]))


class Figure:
    """Dimensions of one host, derived once from the spec (metres, model space)."""

    def __init__(self, spec: HostSpec) -> None:
        p = spec.proportions
        self.spec = spec
        self.s = s = p["height"] / 1.70
        self.build, self.sh, self.hw, self.hs = p["build"], p["shoulders"], p["hips"], p["head"]
        self.head_c = np.array([0.0, 1.595 * s + (p["head"] - 1) * 0.06 * s, 0.012 * s])
        self.head_r = np.array([0.078, 0.105, 0.092]) * s * self.hs
        self.taper = {"oval": 0.32, "round": 0.12, "square": 0.05}[spec.face]
        self.eye_r = 0.0165 * s * self.hs * p["eyes"]       # large, as anime draws them, and set deep
        self.mouth_y = self.head_c[1] - 0.052 * s * self.hs
        self.joints = self._skeleton(p)

    def head_shape(self, unit: np.ndarray) -> np.ndarray:
        """Per-point ellipsoid scale: the jaw narrows below the cheekbones."""
        scale = np.ones_like(unit)
        scale[:, 0] = 1.0 - self.taper * np.clip(-unit[:, 1], 0, 1) ** 1.5
        return scale

    def face_z(self, x, y) -> np.ndarray:
        """Front surface z of the head at (x, y)."""
        c, r = self.head_c, self.head_r
        uy = np.clip((np.asarray(y) - c[1]) / r[1], -1, 1)
        sx = 1.0 - self.taper * np.clip(-uy, 0, 1) ** 1.5
        ux = (np.asarray(x) - c[0]) / (r[0] * sx)
        return c[2] + r[2] * np.sqrt(np.clip(1 - ux ** 2 - uy ** 2, 0, 1))

    def _skeleton(self, p: dict[str, float]) -> dict[str, np.ndarray]:
        s, sh, hw = self.s, self.sh, self.hw
        pos = {
            "hips": (0, 0.95, 0), "spine": (0, 1.05, 0.005), "chest": (0, 1.17, 0), "upperChest": (0, 1.28, -0.01),
            "neck": (0, 1.45, -0.015), "head": (0, 1.54, -0.005),
        }
        out = {k: np.array(v, float) * s for k, v in pos.items()}
        out["head"][1] = self.head_c[1] - 0.055 * s * self.hs
        eye_y = self.head_c[1] + 0.012 * s * self.hs
        for side, sign in (("left", 1), ("right", -1)):
            ex = sign * 0.031 * s * self.hs
            out[f"{side}Eye"] = np.array([ex, eye_y, float(self.face_z(ex, eye_y)) - 0.7 * self.eye_r])
            arm_y = 1.40 * s
            out[f"{side}Shoulder"] = np.array([sign * 0.025 * s, arm_y, -0.015 * s])
            upper = np.array([sign * 0.165 * s * sh, arm_y, -0.015 * s])
            out[f"{side}UpperArm"] = upper
            out[f"{side}LowerArm"] = upper + [sign * 0.27 * s, 0, 0]
            hand = upper + [sign * 0.51 * s, 0, 0]
            out[f"{side}Hand"] = hand
            fingers = {  # knuckle offset, spread angle (deg), segment lengths
                "Index": ((0.085, 0.003, 0.026), 6, (0.040, 0.025, 0.020)),
                "Middle": ((0.088, 0.004, 0.008), 0, (0.044, 0.028, 0.022)),
                "Ring": ((0.084, 0.003, -0.010), -5, (0.041, 0.026, 0.021)),
                "Little": ((0.076, 0.0, -0.026), -12, (0.032, 0.020, 0.018)),
            }
            for finger, (off, spread, lengths) in fingers.items():
                a = np.radians(spread)
                d = np.array([sign * np.cos(a), 0.0, np.sin(a)])
                j = hand + np.array([sign * off[0], off[1], off[2]]) * s
                for seg, length in zip(("Proximal", "Intermediate", "Distal"), lengths):
                    out[f"{side}{finger}{seg}"] = j.copy()
                    j = j + d * length * s
                out[f"{side}{finger}Tip"] = j
            d = np.array([sign * 0.55, -0.22, 0.80])
            d /= np.linalg.norm(d)
            j = hand + np.array([sign * 0.025, -0.008, 0.030]) * s
            for seg, length in zip(("Proximal", "Intermediate", "Distal"), (0.038, 0.032, 0.026)):
                out[f"{side}Thumb{seg}"] = j.copy()
                j = j + d * length * s
            out[f"{side}ThumbTip"] = j
            lx = sign * 0.09 * s * hw
            out[f"{side}UpperLeg"] = np.array([lx, 0.91 * s, 0.0])
            out[f"{side}LowerLeg"] = np.array([lx, 0.50 * s, 0.005 * s])
            out[f"{side}Foot"] = np.array([lx, 0.085 * s, -0.015 * s])
            out[f"{side}Toes"] = np.array([lx, 0.02 * s, 0.115 * s])
        out["jaw"] = np.array([0.0, self.head_c[1] - 0.02 * s, self.head_c[2] - 0.01 * s])
        return out


def _part(material: str, pos: np.ndarray, idx: np.ndarray, weights: tuple[np.ndarray, np.ndarray]) -> Part:
    return Part(material, pos, idx, weights[0], weights[1])


def _chain(material: str, points: list[np.ndarray], radii: list[float], bones: list[str], blend: float,
           per_segment: int = 9, cols: int = 14, **kw) -> Part:
    """A skinned tube through joint positions."""
    path = polyline(points, per_segment)
    r = np.interp(np.linspace(0, len(points) - 1, len(path)), np.arange(len(points)), radii)
    pos, idx, param = tube(path, r, cols=cols, **kw)
    seg_len = np.linalg.norm(np.diff(np.asarray(points), axis=0), axis=1)
    # Bone k owns segment k; an extra last bone owns the end cap past the last point (a hand, a tip).
    bounds = list(np.concatenate([[0.0], np.cumsum(seg_len)])[:len(bones)])
    return _part(material, pos, idx, chain_weights(param, bounds, [J[b] for b in bones], blend))


def _torso_profile(f: Figure) -> np.ndarray:
    """(y, rx, rz, z) cross-sections from the pelvis to the neck base."""
    s, b, sh, hw, ch = f.s, f.build, f.sh, f.hw, f.spec.proportions["chest"]
    rows = [
        (0.80, 0.05, 0.05, 0.0), (0.86, 0.12 * hw, 0.085, 0.0), (0.92, 0.15 * hw, 0.097, 0.0), (0.95, 0.157 * hw, 0.102, 0.0), (1.05, 0.133, 0.090, 0.005),
        (1.17, 0.145 * sh, 0.100 * ch, 0.008), (1.28, 0.160 * sh, 0.105 * ch, 0.01), (1.36, 0.168 * sh, 0.095, 0.0),
        (1.40, 0.14 * sh, 0.08, -0.012), (1.44, 0.07, 0.055, -0.015),
    ]
    a = np.array(rows)
    a[:, 0] *= s
    a[:, 1] *= s * b
    a[:, 2] *= s * b
    a[:, 3] *= s
    return a


def _torso(f: Figure, material: str, y0: float, y1: float, grow: float) -> Part:
    prof = _torso_profile(f)
    ys = np.linspace(y0 * f.s, y1 * f.s, 18)
    rx = np.interp(ys, prof[:, 0], prof[:, 1]) + grow
    rz = np.interp(ys, prof[:, 0], prof[:, 2]) + grow
    zc = np.interp(ys, prof[:, 0], prof[:, 3])
    path = np.stack([np.zeros_like(ys), ys, zc], -1)
    pos, idx, _ = tube(path, rx, cols=24, up_hint=(1, 0, 0), cap_rows=2, cap_depth=0.3)
    # Squash each ring to its depth: scale z about the ring centre.
    yv = pos[:, 1]
    pos[:, 2] = np.interp(yv, ys, zc) + (pos[:, 2] - np.interp(yv, ys, zc)) * np.interp(yv, ys, rz / rx)
    spine = ["hips", "spine", "chest", "upperChest", "neck"]
    bounds = [f.joints[b][1] for b in spine]
    joints, weights = chain_weights(yv, [-1e9] + bounds[1:], [J[b] for b in spine], blend=0.05 * f.s)
    # The shoulders' top follows the shoulder bones a little, so raised arms pull the cloth.
    for side, sign in (("left", 1), ("right", -1)):
        near = (sign * pos[:, 0] > 0.08 * f.s) & (yv > 1.30 * f.s)
        share = np.clip((sign * pos[:, 0] - 0.08 * f.s) / (0.08 * f.s), 0, 1)[near] * 0.5
        weights[near] *= (1 - share)[:, None]
        joints[near, 2], weights[near, 2] = J[f"{side}Shoulder"], share
    return Part(material, pos, idx, joints, weights)


def _neckline(f: Figure, top: Part) -> Part:
    """The V of the shirt under the top, laid just above the top's surface."""
    s = f.s
    v = np.linspace(0, 1, 8)[:, None]
    u = np.linspace(-1, 1, 9)[None, :]
    y = (1.425 - 0.12 * v) * s + 0 * u
    x = u * (1 - v) * 0.05 * s * f.build
    front = top.positions[top.positions[:, 2] > 0]
    z = np.empty_like(x)
    for idx in np.ndindex(x.shape):              # inverse-distance blend of the 4 nearest surface points
        d = np.hypot(front[:, 0] - x[idx], front[:, 1] - y[idx])
        near = np.argsort(d)[:4]
        w = 1.0 / (d[near] + 1e-4)
        z[idx] = (front[near, 2] * w).sum() / w.sum() + 0.005 * s
    pts = np.stack([x, y, z], -1)
    pos, idx = patch(pts)
    idx = orient(pos, idx, [0.0, 1.4 * s, -0.1 * s])
    spine = ["chest", "upperChest", "neck"]
    return _part("inner", pos, idx, chain_weights(pos[:, 1], [-1e9] + [f.joints[b][1] for b in spine[1:]],
                                                  [J[b] for b in spine], 0.04 * s))


def _skirt(f: Figure) -> Part:
    s, hw = f.s, f.hw
    ys = np.linspace(1.0, 0.53, 12) * s
    t = (ys[0] - ys) / (ys[0] - ys[-1])
    radii = (0.158 * hw + 0.085 * t) * s * f.build
    path = np.stack([np.zeros_like(ys), ys, np.full_like(ys, 0.005 * s)], -1)
    pos, idx, _ = tube(path, radii, cols=28, up_hint=(1, 0, 0), caps=(True, False), flatten=0.78)
    tv = np.clip((ys[0] - pos[:, 1]) / (ys[0] - ys[-1]), 0, 1)
    joints, weights = rigid(len(pos), J["hips"])
    side = np.where(pos[:, 0] > 0, J["leftUpperLeg"], J["rightUpperLeg"])
    w_leg = 0.55 * tv * np.clip(np.abs(pos[:, 0]) / (0.06 * s), 0, 1)
    joints[:, 1], weights[:, 0], weights[:, 1] = side, 1 - w_leg, w_leg
    return Part("skirt", pos, idx, joints, weights)


def _arm(f: Figure, side: str, sign: int) -> list[Part]:
    s, b = f.s, f.build
    jt = f.joints
    inside = jt[f"{side}UpperArm"] - [sign * 0.04 * s, 0, 0]
    pts = [inside, jt[f"{side}UpperArm"], jt[f"{side}LowerArm"], jt[f"{side}Hand"]]
    radii = np.array([0.044, 0.046, 0.036, 0.027]) * s * b
    # The deltoid: a cap over the shoulder joint, half on each bone, hides the seam when the arm drops.
    dpos, didx = ellipsoid(jt[f"{side}UpperArm"] - [sign * 0.015 * s, 0.008 * s, 0],
                           np.array([0.058, 0.05, 0.054]) * s * b, 10, 16)
    djoints, dweights = rigid(len(dpos), J[f"{side}UpperArm"])
    djoints[:, 1], dweights[:, :2] = J[f"{side}Shoulder"], 0.5
    deltoid = Part("top", dpos, didx, djoints, dweights)
    bones = [f"{side}Shoulder", f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"]
    blend = 0.035 * s
    skin = _chain("skin", pts, list(radii), bones, blend, up_hint=(0, 1, 0))
    if f.spec.sleeves == "long":
        cuff = jt[f"{side}Hand"] - [sign * 0.02 * s, 0, 0]
        sleeve = _chain("top", pts[:3] + [cuff], list(radii[:3] + 0.006 * s) + [radii[3] + 0.008 * s],
                        bones, blend, up_hint=(0, 1, 0))
        skin = _chain("skin", [cuff - [sign * 0.04 * s, 0, 0], cuff, jt[f"{side}Hand"] + [sign * 0.01 * s, 0, 0]],
                      [0.028 * s * b, 0.027 * s * b, 0.026 * s * b], [f"{side}LowerArm", f"{side}Hand"],
                      0.02 * s, up_hint=(0, 1, 0))
    else:
        end = jt[f"{side}UpperArm"] + [sign * 0.13 * s, 0, 0]
        sleeve = _chain("top", pts[:2] + [end], list(radii[:2] + 0.008 * s) + [0.048 * s * b],
                        bones[:3], blend, up_hint=(0, 1, 0))
    return [deltoid, sleeve, skin]


def _hand(f: Figure, side: str, sign: int) -> list[Part]:
    s, jt = f.s, f.joints
    hand = jt[f"{side}Hand"]
    pos, idx = ellipsoid(hand + [sign * 0.05 * s, 0.001 * s, 0.0], np.array([0.054, 0.017, 0.044]) * s, 10, 16)
    parts = [_part("skin", pos, idx, rigid(len(pos), J[f"{side}Hand"]))]
    for finger in FINGERS:
        names = [f"{side}{finger}{seg}" for seg in ("Proximal", "Intermediate", "Distal")]
        chain = [jt[n] for n in names] + [jt[f"{side}{finger}Tip"]]
        d = chain[1] - chain[0]
        d /= np.linalg.norm(d)
        thumb = finger == "Thumb"
        r0 = (0.0105 if thumb else 0.0085 if finger != "Little" else 0.0072) * s
        tip = chain[-1] - d * r0 * 0.7
        pts = [chain[0] - d * 0.012 * s] + chain[:-1] + [tip]
        radii = [r0 * 1.05, r0, r0 * 0.92, r0 * 0.85, r0 * 0.78]
        parts.append(_chain("skin", pts, radii, [f"{side}Hand"] + names, 0.006 * s, per_segment=3, cols=10,
                            up_hint=(0, 1, 0), flatten=0.9))
    return parts


def _leg(f: Figure, side: str, sign: int) -> list[Part]:
    s, b, jt = f.s, f.build, f.joints
    # The thigh starts inside the pelvis, leaning in, so the seat and the legs read as one garment.
    pts = [jt[f"{side}UpperLeg"] + [-sign * 0.035 * s, 0.09 * s, 0], jt[f"{side}UpperLeg"], jt[f"{side}LowerLeg"],
           jt[f"{side}Foot"] + [0, 0.01 * s, 0]]
    radii = list(np.array([0.085, 0.078, 0.047, 0.036]) * s * b)
    material = "bottom" if f.spec.outfit == "trousers" else "skin"
    if material == "skin":
        radii = [r * 0.85 for r in radii]
    leg = _chain(material, pts, radii, ["hips", f"{side}UpperLeg", f"{side}LowerLeg", f"{side}Foot"], 0.045 * s,
                 up_hint=(0, 0, 1))
    heel, toe = jt[f"{side}Foot"] + [0, 0, -0.045 * s], jt[f"{side}Toes"] + [0, 0, 0.05 * s]
    centre = (heel + toe) / 2
    centre[1] = 0.045 * s
    pos, idx = ellipsoid(centre, np.array([0.047, 0.047, np.linalg.norm(toe - heel) / 2]) * [s, s, 1], 10, 16)
    joints, weights = chain_weights(pos[:, 2], [-1e9, jt[f"{side}Toes"][2] - 0.02 * s],
                                    [J[f"{side}Foot"], J[f"{side}Toes"]], 0.03 * s)
    return [leg, Part("shoes", pos, idx, joints, weights)]


def _head(f: Figure) -> list[Part]:
    s, c, r = f.s, f.head_c, f.head_r
    pos, idx = ellipsoid(c, r, 24, 32, shape=f.head_shape)
    joints, weights = rigid(len(pos), J["head"])
    # Chin and lower lip area follow the jaw bone, so a jaw-only controller still opens the mouth.
    u = (pos - c) / r
    w_jaw = np.clip((-(u[:, 1]) - 0.45) / 0.25, 0, 1) * np.clip((u[:, 2] - 0.2) / 0.3, 0, 1) * 0.8
    joints[:, 1], weights[:, 0], weights[:, 1] = J["jaw"], 1 - w_jaw, w_jaw
    parts = [Part("face", pos, idx, joints, weights, uvs=head_uvs(f, pos))]
    # A small nose, mostly inside the head: the painted shadow under it does the rest, as anime draws it.
    nose_y = c[1] - 0.024 * s * f.hs
    npos, nidx = ellipsoid([0, nose_y, float(f.face_z(0, nose_y)) - 0.0055 * s],
                           np.array([0.0032, 0.009, 0.0075]) * s * f.hs, 8, 12)
    parts.append(_part("skin", npos, nidx, rigid(len(npos), J["head"])))
    for sign in (1, -1):
        ex = sign * (r[0] * (1 - f.taper * 0.05 ** 1.5) - 0.004 * s)
        epos, eidx = ellipsoid([ex, c[1] - 0.004 * s, c[2] - 0.012 * s], np.array([0.011, 0.024, 0.016]) * s * f.hs, 8, 12)
        parts.append(_part("skin", epos, eidx, rigid(len(epos), J["head"])))
    neck_pts = [f.joints["upperChest"] + [0, 0.10 * f.s, 0], f.joints["neck"], f.joints["head"], c]
    parts.append(_chain("skin", neck_pts, [0.05 * s * f.build, 0.047 * s, 0.045 * s, 0.04 * s],
                        ["upperChest", "neck", "head"], 0.03 * s, up_hint=(0, 0, 1)))
    return parts


def _eye(f: Figure, side: str) -> list[Part]:
    """Eyeball skinned to the eye bone, its painted iris round the +Z axis (the gaze at rest)."""
    centre, r = f.joints[f"{side}Eye"], f.eye_r
    pos, idx = ellipsoid(centre, np.array([r, r, r]), 16, 28)
    return [Part("eye", pos, idx, *rigid(len(pos), J[f"{side}Eye"]), uvs=eye_uvs(centre, r, pos))]


def _lid(f: Figure, side: str, edge_deg: float) -> np.ndarray:
    """Upper eyelid points: a spherical shell from behind the top of the eye down to `edge_deg`."""
    centre, r = f.joints[f"{side}Eye"], f.eye_r * 1.18
    el = np.radians(np.linspace(110, edge_deg, 7))[:, None]
    az = np.radians(np.linspace(-75, 75, 13))[None, :]
    unit = np.stack([np.sin(az) * np.cos(el), np.sin(el) + 0 * az, np.cos(az) * np.cos(el)], -1)
    return centre + unit * r


def _across_lid(az: np.ndarray, peak_deg: float = 0.0) -> np.ndarray:
    """How much of a lid movement a column at azimuth `az` (radians) takes: most at `peak_deg`, the corners
    about a third."""
    return 0.35 + 0.65 * np.cos(az - np.radians(peak_deg)) ** 2


def _upper_lid(f: Figure, side: str, suffix: str) -> Part:
    open_pts = _lid(f, side, 34)
    pos, idx = patch(open_pts)
    upper = _part("lid", pos, orient(pos, idx, f.joints[f"{side}Eye"]), rigid(len(pos), J["head"]))
    upper.uvs = lid_uvs(*open_pts.shape[:2], 1 if side == "left" else -1, upper=True)
    upper.morphs[f"blink{suffix}"] = _lid(f, side, -28).reshape(-1, 3) - pos
    # Straight up or down keeps the edge's distance from the eye's vertical axis, so summed with a blink it
    # never cuts into the eyeball; the rows above follow less, the corners a third.
    rows, cols, _ = open_pts.shape
    az = np.radians(np.linspace(-75, 75, cols))[None, :]
    share = (np.arange(rows)[:, None] / (rows - 1)) ** 2 * _across_lid(az)
    up = (share[..., None] * [0.0, f.eye_r, 0.0]).reshape(-1, 3)
    upper.morphs[f"eyeWide{suffix}"] = EYE_WIDE * up
    upper.morphs[f"eyeSquint{suffix}"] = -EYE_SQUINT_UPPER * up
    return upper


def _lower_lid_points(f: Figure, side: str, rows: np.ndarray, az: np.ndarray) -> np.ndarray:
    """Lower lid rows of (height, distance from the eye's vertical axis) swept around that axis."""
    centre, r = f.joints[f"{side}Eye"], f.eye_r
    y, rho = rows[:, :1], rows[:, 1:]
    return centre + np.stack([rho * np.sin(az), y + 0 * az, rho * np.cos(az)], -1) * r


def _lower_lid(f: Figure, side: str, sign: int, suffix: str) -> Part:
    az = np.radians(np.linspace(-80, 80, 13))[None, :]
    rest = _lower_lid_points(f, side, LOWER_LID, az)
    pos, idx = patch(rest)
    lower = _part("lid", pos, orient(pos, idx, f.joints[f"{side}Eye"]), rigid(len(pos), J["head"]))
    lower.uvs = lid_uvs(*rest.shape[:2], sign, upper=False)
    # The cheek rises most under the outer half of the eye (+X on the left eye, -X on the right).
    for morph, move, peak in ((f"eyeSquint{suffix}", EYE_SQUINT_LOWER, 0.0),
                              (f"cheekSquint{suffix}", CHEEK_SQUINT, sign * 20.0)):
        moved = _lower_lid_points(f, side, LOWER_LID + move, az)
        lower.morphs[morph] = ((moved - rest) * _across_lid(az, peak)[..., None]).reshape(-1, 3)
    return lower


def _brow(f: Figure, side: str, sign: int, inner_up: float = 0.0, outer_up: float = 0.0,
          down: float = 0.0) -> np.ndarray:
    s, hs = f.s, f.hs
    eye = f.joints[f"{side}Eye"]
    u = np.linspace(0, 1, 9)                         # 0 at the inner end, 1 at the outer
    inward = down * 0.002 * (1 - 0.5 * u) + inner_up * 0.0008 * (1 - u)   # frown and worry draw them together
    x = eye[0] + sign * (-0.017 + 0.038 * u) * s * hs - sign * inward * s
    lift = (inner_up * 0.006 * (1 - u) ** 1.5 + outer_up * 0.0045 * u ** 1.5
            - down * (0.003 + 0.003 * (1 - u)))      # a frown pulls the inner ends down more
    y = eye[1] + (0.021 + 0.006 * np.sin(np.pi * (u * 0.8 + 0.1))) * s * hs + lift * s
    return np.stack([x, y, f.face_z(x, y) + 0.0015 * s], -1)


def _brows(f: Figure) -> list[Part]:
    parts = []
    for suffix, sign in SIDES:
        side = suffix.lower()
        rest = _brow(f, side, sign)
        radii = np.linspace(0.0026, 0.0014, len(rest)) * f.s
        pos, idx, _ = tube(rest, radii, cols=8, up_hint=(0, 0, 1), flatten=0.45)
        part = _part("hair", pos, idx, rigid(len(pos), J["head"]))
        part.uvs = hair_uvs(f, pos)
        for morph, move in (("browInnerUp", {"inner_up": 1.0}), (f"browOuterUp{suffix}", {"outer_up": 1.0}),
                            (f"browDown{suffix}", {"down": 1.0})):
            moved, _, _ = tube(_brow(f, side, sign, **move), radii, cols=8, up_hint=(0, 0, 1), flatten=0.45)
            part.morphs[morph] = moved - pos
        parts.append(part)
    return parts


def _mouth(f: Figure, drop: float = 0.0, width: float = 1.0, pucker: float = 0.0, press: float = 0.0,
           tuck: float = 0.0, smile: float = 0.0, frown: float = 0.0, jut: float = 0.0) -> dict[str, np.ndarray]:
    """Lip and mouth-interior points for one mouth shape (same topology for every shape)."""
    s, hs = f.s, f.hs
    u = np.linspace(-1, 1, 17)
    bulge = 1 - u ** 2
    half_w = 0.025 * s * hs * width * (1 - 0.25 * pucker)
    x = u * half_w
    ru, rl = 0.0024 * s * (1 - 0.25 * press), 0.0030 * s * (1 - 0.25 * press)
    lower = drop * 0.017 * s * (0.75 + 0.25 * pucker)
    raise_ = drop * 0.004 * s
    corner = (smile * 0.006 * u ** 2 - frown * 0.005 * np.abs(u) ** 3) * s     # a frown bends only the ends
    y_up = f.mouth_y + ru + raise_ * bulge ** 0.6 + corner - press * 0.0012 * s + tuck * 0.001 * s
    y_lo = f.mouth_y - rl - lower * bulge ** 0.6 + corner + press * 0.0012 * s + tuck * 0.004 * s
    z0 = f.face_z(x, f.mouth_y) + 0.0005 * s
    z_up = z0 + pucker * 0.008 * s * bulge + press * 0.001 * s
    z_lo = z0 + pucker * 0.008 * s * bulge - tuck * 0.004 * s
    r_prof = 0.45 + 0.55 * np.sqrt(bulge)
    upper, _, _ = tube(np.stack([x, y_up, z_up], -1), ru * r_prof, cols=8, up_hint=(0, 1, 0), flatten=0.5)
    lower, _, _ = tube(np.stack([x, y_lo, z_lo + jut * 0.003 * s], -1), rl * r_prof, cols=8, up_hint=(0, 1, 0),
                       flatten=0.5)
    v = np.linspace(0, 1, 5)[:, None]
    inner_y = y_up[None] * (1 - v) + y_lo[None] * v
    # The interior stays back when the jaw juts, and a frown or a jut tucks it deeper toward the corners: the
    # face recedes there and the lip ends are thin, so it would show past them.
    inner_z = (z_up[None] * (1 - v) + z_lo[None] * v) - (0.004 + (frown * 0.012 + jut * 0.008) * u ** 2) * s
    interior = np.stack([np.broadcast_to(x, inner_y.shape), inner_y, inner_z], -1)
    return {"upper": upper, "lower": lower, "interior": interior}


def _left_share(x: np.ndarray) -> np.ndarray:
    """The share of a two-sided shape that its left morph carries: the left half, and half of the midline."""
    return np.where(np.abs(x) < 1e-9, 0.5, (x > 0).astype(float))


def _mirror_twins(points: np.ndarray) -> np.ndarray:
    """Index of each point's mirror image across the midline, in a part that is left-right symmetric."""
    mirrored = points * [-1.0, 1.0, 1.0]
    return np.argmin(np.linalg.norm(points[None, :, :] - mirrored[:, None, :], axis=2), axis=1)


def _face_parts(f: Figure) -> list[Part]:
    """The morphing face: lips, mouth interior, teeth, eyelids and brows (all in one mesh)."""
    rest = _mouth(f)
    ui = tube(np.zeros((17, 3)) + np.arange(17)[:, None], np.ones(17), cols=8, up_hint=(0, 1, 0))[1]
    up = _part("lips", rest["upper"], ui, rigid(len(rest["upper"]), J["head"]))
    lo = _part("lips", rest["lower"], ui, rigid(len(rest["lower"]), J["jaw"]))
    ipos, iidx = patch(rest["interior"])
    jaw_share = np.repeat(np.linspace(0, 1, 5), 17)
    joints, weights = rigid(len(ipos), J["head"])
    joints[:, 1], weights[:, 0], weights[:, 1] = J["jaw"], 1 - jaw_share, jaw_share
    behind = np.array([0.0, f.mouth_y, f.head_c[2]])
    inside = Part("mouth", ipos, orient(ipos, iidx, behind), joints, weights)
    mouth = {"upper": up, "lower": lo, "interior": inside}
    for name, shape in MOUTH_SHAPES.items():
        moved = _mouth(f, **shape)
        for key, part in mouth.items():
            delta = moved[key].reshape(-1, 3) - part.positions
            if name in ONE_SIDED_MOUTH:
                # The right morph mirrors the left exactly: a swept lip twists its rings a little unevenly.
                left = delta * _left_share(part.positions[:, 0])[:, None]
                part.morphs[name + "Left"] = left
                part.morphs[name + "Right"] = left[_mirror_twins(part.positions)] * [-1.0, 1.0, 1.0]
            else:
                part.morphs[name] = delta
    # Upper teeth: a band behind the upper lip, seen only when the mouth opens.
    s = f.s
    tu = np.linspace(-0.7, 0.7, 9)
    tx = tu * 0.022 * s * f.hs
    ty = f.mouth_y + np.linspace(0.0005, -0.0045, 3)[:, None] * s
    grid_x, grid_y = np.broadcast_arrays(tx[None], ty)
    grid_z = np.broadcast_to(f.face_z(tx, f.mouth_y)[None] - 0.0035 * s, grid_x.shape)
    tpos, tidx = patch(np.stack([grid_x, grid_y, grid_z], -1))
    teeth = _part("teeth", tpos, orient(tpos, tidx, behind), rigid(len(tpos), J["head"]))
    parts = [up, lo, inside, teeth] + _brows(f)
    for suffix, sign in SIDES:
        parts += [_upper_lid(f, suffix.lower(), suffix), _lower_lid(f, suffix.lower(), sign, suffix)]
    return parts


class BuiltHost(NamedTuple):
    joints: list[Joint]                 # the humanoid's, then the hair's
    meshes: dict[str, list[Part]]
    materials: list[Material]
    springs: list[Spring]
    colliders: list[Collider]


def build_host(spec: HostSpec) -> BuiltHost:
    f = Figure(spec)
    hair = build_hair(f)
    joints = [Joint(name, BONE_NAMES.index(PARENT[name]) if PARENT[name] else -1, f.joints[name])
              for name in BONE_NAMES]
    names = list(BONE_NAMES)
    for name, parent, position in hair.joints:
        joints.append(Joint(name, names.index(parent), position))
        names.append(name)
    col = {k: srgb_to_linear(v) for k, v in spec.colors.items()}
    top = _torso(f, "top", 0.97, 1.44, 0.006 * f.s)
    body: list[Part] = [_torso(f, "bottom", 0.80, 1.0, 0.004 * f.s), top]
    if spec.neckline == "v":
        body.append(_neckline(f, top))
    if spec.outfit == "skirt":
        body.append(_skirt(f))
    for side, sign in (("left", 1), ("right", -1)):
        body += _arm(f, side, sign) + _hand(f, side, sign) + _leg(f, side, sign) + _eye(f, side)
    body += _head(f) + hair.parts
    line = OUTLINE * f.s
    materials = [
        Material("skin", col["skin"], 0.6, outline=line),
        Material("face", col["skin"], 0.6, texture=paint_head(f), outline=line),
        Material("top", col["top"], 0.8, outline=line), Material("inner", col["inner"], 0.8, True),
        Material("bottom", col["bottom"], 0.8, outline=line), Material("skirt", col["bottom"], 0.8, True, outline=line),
        Material("shoes", col["shoes"], 0.4, outline=line), Material("hair", hair_color(f), 0.55, True, texture=paint_hair(f), outline=line),
        Material("eye", (1.0, 1.0, 1.0), 0.2, texture=paint_eye(f)), Material("lips", _lip_color(col), 0.5),
        Material("mouth", (0.025, 0.004, 0.006), 0.9, True), Material("teeth", (0.8, 0.8, 0.76), 0.4, True),
        Material("lid", col["skin"], 0.6, True, texture=paint_lids(f)),
    ]
    return BuiltHost(joints, {"Body": body, "Face": _face_parts(f)}, materials, hair.springs, hair.colliders)


def build_glb(spec: HostSpec, out: str | Path | None = None) -> bytes:
    host = build_host(spec)
    extras = {"cohost": {"host": spec.name, "voice": spec.voice}}
    return write_glb(out, spec.name, host.joints, host.meshes, host.materials, {"Face": list(TARGET_NAMES)}, extras,
                     host.springs, host.colliders)


def build_file(toml_path: str | Path, out: str | Path | None = None,
               vrm_out: str | Path | None = None) -> tuple[Path, Path]:
    """Build `rigs/NAME.toml` into `rigs/NAME.glb` and the VRM 1.0 `rigs/NAME.vrm` beside it (or `out` and
    `vrm_out`)."""
    spec = load_host_spec(toml_path)
    out = Path(out) if out else Path(toml_path).with_suffix(".glb")
    vrm_out = Path(vrm_out) if vrm_out else out.with_suffix(".vrm")
    glb = build_glb(spec)
    vrm = vrm_from_glb(glb, spec)                 # a host VRM cannot describe fails before anything is written
    out.write_bytes(glb)
    vrm_out.write_bytes(vrm)
    return out, vrm_out
