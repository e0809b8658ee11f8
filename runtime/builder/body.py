"""Assemble a stylised presenter from a HostSpec: skeleton, skinned body, face with morph targets.

Model space is glTF's: metres, +Y up, the host faces +Z, its left hand is at +X. Joints have identity
rest rotations (a T-pose), so the canonical humanoid needs no normalisation for built-in hosts.
"""
from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..skeleton.humanoid import BONE_NAMES, PARENT
from ..skeleton.pose import BONE_INDEX
from ..tomlfile import srgb_to_linear
from . import clothes, hands
from .face_paint import eye_uvs, head_uvs, lid_uvs, paint_eye, paint_head, paint_lids
from .figure import Figure
from .glb import Collider, Joint, Material, Spring, make_glb
from .hair import build_hair, hair_color, hair_uvs, paint_hair
from .mesh import Part, ellipsoid, orient, patch, rigid, skinned_tube, tube
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
J = BONE_INDEX                    # canonical bone name -> joint index
OUTLINE = 0.0012        # MToon outline width (m) of the body, head and hair


def _lip_color(col: dict[str, tuple[float, float, float]]) -> tuple[float, float, float]:
    """Lips a third of the way from the spec's colour back to the skin: anime draws a mouth, not lips."""
    return tuple(0.35 * a + 0.65 * b for a, b in zip(col["skin"], col["lips"]))


def _part(material: str, pos: np.ndarray, idx: np.ndarray, weights: tuple[np.ndarray, np.ndarray]) -> Part:
    return Part(material, pos, idx, weights[0], weights[1])


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
    parts.append(skinned_tube("skin", neck_pts, [0.05 * s * f.build, 0.047 * s, 0.045 * s, 0.04 * s],
                              [J["upperChest"], J["neck"], J["head"]], 0.03 * s, up_hint=(0, 0, 1)))
    return parts


def _eye(f: Figure, side: str) -> list[Part]:
    """Eyeball skinned to the eye bone, its painted iris round the +Z axis (the gaze at rest)."""
    centre, r = f.joints[f"{side}Eye"], f.eye_r
    pos, idx = ellipsoid(centre, np.array([r, r, r]), 13, 20)     # odd: a row on the equator
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
    joints = [Joint(name, J[PARENT[name]] if PARENT[name] else -1, f.joints[name]) for name in BONE_NAMES]
    index = dict(J)
    for name, parent, position in hair.joints:                 # after the humanoid's, in index order
        index[name] = len(joints)
        joints.append(Joint(name, index[parent], position))
    col = {k: srgb_to_linear(v) for k, v in spec.colors.items()}
    body: list[Part] = clothes.torso_clothes(f)
    if spec.outfit in ("skirt", "dress"):
        body.append(clothes.skirt(f))
    for side, sign in (("left", 1), ("right", -1)):
        body += clothes.arm(f, side, sign) + hands.hand(f, side, sign) + clothes.leg(f, side, sign) + _eye(f, side)
    body += _head(f) + hair.parts
    line = OUTLINE * f.s
    materials = [
        Material("skin", col["skin"], 0.6, outline=line),
        Material("face", col["skin"], 0.6, texture=paint_head(f), outline=line),
        Material("top", col["top"], 0.8, True, outline=line), Material("inner", col["inner"], 0.8),
        Material("bottom", col["bottom"], 0.8, outline=line), Material("skirt", col["bottom"], 0.8, True, outline=line),
        Material("dress", col["top"], 0.8, True, outline=line),
        Material("shoes", col["shoes"], 0.4, outline=line), Material("nail", col["nails"], 0.3),
        Material("hair", hair_color(f), 0.55, True, texture=paint_hair(f), outline=line),
        Material("eye", (1.0, 1.0, 1.0), 0.2, texture=paint_eye(f)), Material("lips", _lip_color(col), 0.5),
        Material("mouth", (0.025, 0.004, 0.006), 0.9, True), Material("teeth", (0.8, 0.8, 0.76), 0.4, True),
        Material("lid", col["skin"], 0.6, True, texture=paint_lids(f)),
    ]
    return BuiltHost(joints, {"Body": body, "Face": _face_parts(f)}, materials, hair.springs, hair.colliders)


def build_glb(spec: HostSpec) -> bytes:
    host = build_host(spec)
    extras = {"cohost": {"host": spec.name, "voice": spec.voice}}
    return make_glb(spec.name, host.joints, host.meshes, host.materials, {"Face": list(TARGET_NAMES)}, extras,
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
