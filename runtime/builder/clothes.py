"""The host's clothes: torso layers cut to a neckline, sleeves, skirt, trousers and shoes.

Every torso layer (the top, what shows under its neckline, a jacket, the waist of the trousers) is the same
smooth surface at a small offset ("grow") from the body, sampled on a (rows, cols) grid of (height along the
profile, azimuth). A neckline is the top's upper edge as a function of azimuth, so it is one row of the grid:
one smooth curve with the layer underneath a few millimetres below it everywhere, never a sheet laid over the
cloth (which is what zig-zagged where the two met).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..skeleton.clip import catmull_rom_weights
from ..skeleton.pose import BONE_INDEX
from .mesh import Part, chain_weights, close_grid, ellipsoid, patch, polyline, rigid, skinned_tube, tube

if TYPE_CHECKING:
    from .figure import Figure

J = BONE_INDEX                    # canonical bone name -> joint index
SIDES = (("left", 1), ("right", -1))
COLS = 64                                    # around the torso; even, so a column lies on the midline
# The body from the crotch to the collar around the neck, in a 1.70 m figure: (height, half-width, half-depth,
# centre z). Above the chest the rows slope in over the shoulders to the neck, so sleeves meet a shoulder
# line at their own height instead of standing proud of it.
PROFILE = np.array([
    (0.80, 0.040, 0.020, 0.000), (0.86, 0.105, 0.030, 0.000), (0.92, 0.152, 0.085, 0.000),
    (0.96, 0.155, 0.100, 0.002), (1.05, 0.135, 0.090, 0.005), (1.17, 0.140, 0.100, 0.008),
    (1.28, 0.148, 0.106, 0.010), (1.34, 0.156, 0.098, 0.002), (1.385, 0.158, 0.085, -0.008),
    (1.415, 0.148, 0.072, -0.012), (1.44, 0.118, 0.062, -0.014), (1.458, 0.080, 0.055, -0.015),
    (1.47, 0.058, 0.052, -0.015),
])
COLLAR = 1.47
WAIST = (0.955, 1.005)                                         # the waistband of trousers and skirts
# Neckline: (depth below the collar at the front in metres, half-width in radians of azimuth).
NECKLINES = {"v": (0.16, 1.1), "round": (0.085, 1.2), "crew": (0.015, 1.1)}
SLEEVE_END = {"long": 1.0, "three-quarter": 0.62, "short": 0.27}  # share of shoulder-to-wrist the sleeve covers


@dataclass(frozen=True)
class TopCut:
    """How one kind of top is cut; lengths in metres of a 1.70 m figure."""
    hem: float                  # the height where it ends (a tucked one: under the waistband)
    grow: float                 # how far the cloth stands out from the body
    hang_below: float | None    # below this height it falls straight instead of following the waist in
    loose: float                # how far the sleeves stand out from the arm


TOP_CUTS: dict[str, TopCut] = {
    "sweater": TopCut(hem=0.90, grow=0.013, hang_below=0.95, loose=0.008),    # thick knit over the waist
    "blouse": TopCut(hem=0.955, grow=0.006, hang_below=None, loose=0.012),    # tucked in, close to the body
    "jacket": TopCut(hem=0.83, grow=0.016, hang_below=0.97, loose=0.016),     # open, over a shirt cut as a blouse
}


def _catmull_rom(rows: np.ndarray, per: int) -> np.ndarray:
    """A smooth curve through the rows (uniform Catmull-Rom), `per` samples per span, ends included."""
    p = np.vstack([2 * rows[0] - rows[1], rows, 2 * rows[-1] - rows[-2]])
    t = np.linspace(0, 1, per, endpoint=False)[:, None]
    out = []
    w = catmull_rom_weights(t)
    for i in range(1, len(p) - 2):
        out.append(sum(w[k] * p[i - 1 + k] for k in range(4)))
    return np.vstack(out + [rows[-1:]])


class Torso:
    """The body's surface as a function of (u, azimuth): u runs 0..1 along the profile, crotch to collar."""

    def __init__(self, f: Figure) -> None:
        s, b, sh, hw, ch = f.s, f.build, f.sh, f.hw, f.spec.proportions["chest"]
        rows = PROFILE.copy()
        widen = np.where(rows[:, 0] < 1.0, hw, np.where(rows[:, 0] > 1.1, sh, 1.0))
        widen[-2:] = 1.0                                   # the collar hugs the neck whatever the shoulders
        rows[:, 1] *= widen * s * b
        rows[:, 2] *= np.where((rows[:, 0] > 1.1) & (rows[:, 0] < 1.33), ch, 1.0) * s * b
        rows[:, 3] *= s
        rows[:, 0] *= s
        dense = _catmull_rom(rows, 24)
        step = np.hypot(np.diff(dense[:, 0]), np.diff(dense[:, 1]))
        self.u = np.concatenate([[0.0], np.cumsum(step)]) / step.sum()
        self.y, self.rx, self.rz, self.zc = dense.T
        self.s = s

    def u_at(self, y) -> np.ndarray:
        return np.interp(y, self.y, self.u)

    def points(self, u: np.ndarray, az: np.ndarray, grow: float, hang_below: float | None = None) -> np.ndarray:
        """Surface points `grow` metres out from the body; below `hang_below` (a height) the cloth falls
        straight instead of following the body in."""
        y, rx, rz, zc = (np.interp(u, self.u, v) for v in (self.y, self.rx, self.rz, self.zc))
        if hang_below is not None:
            below = y < hang_below
            rx = np.where(below, np.maximum(rx, np.interp(hang_below, self.y, self.rx)), rx)
            rz = np.where(below, np.maximum(rz, np.interp(hang_below, self.y, self.rz)), rz)
        return np.stack([(rx + grow) * np.sin(az), y, zc + (rz + grow) * np.cos(az)], -1)


def _azimuths(cols: int = COLS) -> np.ndarray:
    """0 at the front (+Z), pi/2 at the host's left (+X); wrapped to (-pi, pi] so the front is continuous."""
    az = np.linspace(0.0, 2 * np.pi, cols, endpoint=False)
    return np.where(az > np.pi, az - 2 * np.pi, az)


def neckline_height(f: Figure, torso: Torso, neckline: str, az: np.ndarray, grow: float) -> np.ndarray:
    """The top's upper edge at each azimuth: the collar, except in front where it dips to the neckline.

    The opening is drawn as seen from the front, half-width x against height: a V's sides are straight, a
    round neck is a half ellipse, both as wide at the top as the collar ring they meet. Each column of the
    layer ends where its own line up the body crosses that outline, so the edge never turns back on itself.
    """
    s = f.s
    depth, half = NECKLINES[neckline]
    bottom, collar = (COLLAR - depth) * s, COLLAR * s
    ys = np.linspace(bottom, collar, 400)
    radius = np.interp(ys, torso.y, torso.rx) + grow
    v = (ys - bottom) / (collar - bottom)
    width = radius[-1] * np.sin(half) * (v if neckline == "v" else np.sqrt(v * (2 - v)))
    out = np.full(az.shape, collar)
    for i, a in enumerate(az):
        if abs(a) < half:
            gap = radius * abs(np.sin(a)) - width         # > 0 below the outline, <= 0 from where it crosses
            k = int(np.argmax(gap <= 0))
            out[i] = ys[k] if k == 0 else np.interp(0.0, [-gap[k - 1], -gap[k]], ys[k - 1:k + 1])
    return out


def _torso_weights(f: Figure, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spine bones by height; over the shoulders the cloth follows the shoulder bones a little, so raised
    arms pull it. A function of position only, so layers at different offsets move together."""
    s = f.s
    spine = ["hips", "spine", "chest", "upperChest", "neck"]
    bounds = [f.joints[b][1] for b in spine]
    joints, weights = chain_weights(pos[:, 1], [-1e9] + bounds[1:], [J[b] for b in spine], blend=0.05 * s)
    for side, sign in SIDES:
        near = (sign * pos[:, 0] > 0.08 * s) & (pos[:, 1] > 1.28 * s)
        share = (np.clip((sign * pos[:, 0] - 0.08 * s) / (0.08 * s), 0, 1)
                 * np.clip((pos[:, 1] - 1.28 * s) / (0.06 * s), 0, 1))[near] * 0.5
        weights[near] *= (1 - share)[:, None]
        joints[near, 2], weights[near, 2] = J[f"{side}Shoulder"], share
    return joints, weights


def torso_layer(f: Figure, torso: Torso, material: str, y0: float, top_edge: np.ndarray | float, grow: float,
                rows: int = 22, bottom_cap: bool = False, hang_below: float | None = None,
                az: np.ndarray | None = None) -> Part:
    """One layer of cloth from height `y0` up to `top_edge` (a height per azimuth, or one for all).
    With `az` given (an open range of azimuths) the layer is an open sheet, e.g. a jacket's front opening."""
    wrap = az is None
    az = _azimuths() if wrap else az
    u0 = torso.u_at(y0)
    u1 = torso.u_at(np.broadcast_to(top_edge, az.shape))
    k = np.linspace(0.0, 1.0, rows)[:, None]
    u = u0 + (u1[None, :] - u0) * k
    pts = torso.points(u, np.broadcast_to(az, u.shape), grow, hang_below)
    if wrap:
        pos, idx = close_grid(pts, start_cap=bottom_cap, end_cap=False)
    else:
        pos, idx = patch(pts)
    return Part(material, pos, idx, *_torso_weights(f, pos))


def torso_clothes(f: Figure) -> list[Part]:
    """Trousers' or skirt's waist, what shows under the top, the top itself and, for a jacket, the jacket."""
    spec, s = f.spec, f.s
    torso = Torso(f)
    az = _azimuths()
    collar = np.full(COLS, COLLAR * s)
    parts = []
    if spec.outfit != "dress":
        # The seat of the trousers or under the skirt, and its waistband.
        parts.append(torso_layer(f, torso, "bottom", 0.80 * s, WAIST[1] * s, 0.004 * s, rows=14, bottom_cap=True))
        parts.append(_waistband(f, torso))
    if spec.top == "jacket":
        shirt = TOP_CUTS["blouse"]
        parts.append(torso_layer(f, torso, "inner", shirt.hem * s, collar, shirt.grow * s))
        parts.append(_jacket(f, torso))
        return parts
    cut = TOP_CUTS[spec.top]
    hem = (0.97 if spec.outfit == "dress" else cut.hem) * s
    parts.append(torso_layer(f, torso, "inner", max(hem, 1.10 * s), collar, 0.0, rows=10))
    grow = cut.grow * s
    hang_below = None if cut.hang_below is None else cut.hang_below * s
    parts.append(torso_layer(f, torso, "top", hem, neckline_height(f, torso, spec.neckline, az, grow), grow,
                             hang_below=hang_below))
    return parts


def _waistband(f: Figure, torso: Torso) -> Part:
    """A band around the waist, standing a little proud of the cloth, rounded top and bottom."""
    s = f.s
    lo, hi = (v * s for v in WAIST)
    heights = [lo, lo + 0.004 * s, hi - 0.004 * s, hi]
    grows = [0.005 * s, 0.0085 * s, 0.0085 * s, 0.005 * s]
    az = _azimuths()
    pts = np.stack([torso.points(np.full(COLS, torso.u_at(y)), az, g) for y, g in zip(heights, grows)])
    pos, idx = close_grid(pts, start_cap=False, end_cap=False)
    return Part("bottom", pos, idx, *_torso_weights(f, pos))


def _jacket(f: Figure, torso: Torso) -> Part:
    """An open jacket: lapels fall from the collar to a low V, the fronts hang straight to the hem."""
    s, cut = f.s, TOP_CUTS["jacket"]
    opening = 0.16                                      # radians each side of the midline left open
    az = np.linspace(opening, 2 * np.pi - opening, COLS + 1)
    az = np.where(az > np.pi, az - 2 * np.pi, az)
    x = np.clip((np.abs(az) - opening) / 0.9, 0.0, 1.0)
    edge = (COLLAR - 0.36 * (1 - x) ** 1.4) * s          # the lapel line, lowest at the opening
    return torso_layer(f, torso, "top", cut.hem * s, edge, cut.grow * s, rows=34, hang_below=cut.hang_below * s,
                       az=az)


def _sleeve_profile(f: Figure, side: str, sign: int, loose: float) -> tuple[list, list]:
    """Points and radii of a sleeve from inside the shoulder to the wrist."""
    s, b, jt = f.s, f.build, f.joints
    upper = jt[f"{side}UpperArm"]
    pts = [upper - [sign * 0.07 * s, 0.02 * s, 0], upper, jt[f"{side}LowerArm"], jt[f"{side}Hand"]]
    radii = [r * s * b + loose for r in (0.034, 0.040, 0.034, 0.027)]
    return pts, radii


def arm(f: Figure, side: str, sign: int) -> list[Part]:
    """The bare arm, and the sleeve over it from the shoulder to its length."""
    s, b, jt = f.s, f.build, f.joints
    bones = [f"{side}Shoulder", f"{side}UpperArm", f"{side}LowerArm", f"{side}Hand"]
    blend = 0.06 * s
    spec = f.spec
    pts, radii = _sleeve_profile(f, side, sign, TOP_CUTS[spec.top].loose * s)
    length = SLEEVE_END[spec.sleeves]
    shoulder_to_wrist = np.linalg.norm(jt[f"{side}Hand"] - jt[f"{side}UpperArm"])
    end_x = length * shoulder_to_wrist
    if length >= 1.0:
        end_x -= 0.018 * s                                # the cuff stops short of the wrist joint
    path = polyline(pts, 6)
    along = sign * (path[:, 0] - jt[f"{side}UpperArm"][0])
    keep = along <= end_x
    path = np.vstack([path[keep], jt[f"{side}UpperArm"] + [sign * end_x, 0, 0]])
    arc_pts = np.interp(sign * (path[:, 0] - pts[0][0]), [sign * (p[0] - pts[0][0]) for p in pts], np.arange(4))
    r = np.interp(arc_pts, np.arange(4), radii)
    # A short or three-quarter sleeve flares a little at its end; a long one ends straight at the cuff.
    flare = {"short": 0.005, "three-quarter": 0.004}.get(spec.sleeves, 0.0) * s
    r[-3:] += flare * np.array([0.3, 0.7, 1.0])
    sleeve = _limb_tube(f, "top", path, r, bones, blend, caps=(True, False))
    # Skin shows from where the sleeve ends (inside it) to the wrist.
    bare_from = jt[f"{side}UpperArm"] + [sign * max(end_x - 0.05 * s, 0.0), 0, 0]
    skin_pts = [bare_from, jt[f"{side}LowerArm"], jt[f"{side}Hand"] + [sign * 0.012 * s, 0, 0]]
    if length >= 1.0:
        skin_pts = [jt[f"{side}Hand"] - [sign * 0.05 * s, 0, 0], jt[f"{side}Hand"] + [sign * 0.012 * s, 0, 0]]
    skin_path = polyline(skin_pts, 6)
    x = sign * (skin_path[:, 0] - jt[f"{side}UpperArm"][0])
    skin_r = np.interp(x, [0.0, 0.27 * s, 0.51 * s], [0.042 * s * b, 0.034 * s * b, 0.0255 * s * b])
    skin = _limb_tube(f, "skin", skin_path, skin_r, bones, blend, caps=(False, True), flatten=0.8)
    return [sleeve, skin]


def _limb_tube(f: Figure, material: str, path: np.ndarray, radii: np.ndarray, bones: list[str], blend: float,
                  caps=(True, True), flatten: float = 1.0) -> Part:
    """A tube along an arm, weighted along the bone chain by distance along the limb; `flatten` < 1 makes it
    thinner from above than across (a forearm, a wrist)."""
    pos, idx, _ = tube(path, radii, cols=14, up_hint=(0, 0, 1), caps=caps, cap_depth=0.4, flatten=flatten)
    # Chain weights by position along the limb: project every vertex onto the chain's joints.
    jt = f.joints
    heads = [jt[b] for b in bones[1:]]
    axis = heads[-1] - heads[0]
    axis = axis / np.linalg.norm(axis)
    proj = (pos - heads[0]) @ axis
    bounds = [-1e9] + [float((h - heads[0]) @ axis) for h in heads]
    return Part(material, pos, idx, *chain_weights(proj, bounds[:len(bones)], [J[b] for b in bones], blend))


def skirt(f: Figure) -> Part:
    """A skirt from the waist that hangs in soft folds, wider toward the hem; the lower part follows the legs."""
    s, hw = f.s, f.hw
    material = "dress" if f.spec.outfit == "dress" else "skirt"
    torso = Torso(f)
    rows, cols = 12, 64
    top = (WAIST[1] + 0.003) * s if material == "skirt" else 1.0 * s
    hem = 0.52 * s
    ys = np.linspace(top, hem, rows)
    t = (ys - ys[0]) / (ys[-1] - ys[0])
    az = _azimuths(cols)
    base = torso.points(np.full(cols, torso.u_at(top)), az, 0.008 * s)
    rx0, rz0 = np.abs(base[:, 0]).max(), base[:, 2].max() - np.interp(top, torso.y, torso.zc)
    # Over the hips first (the skirt must clear them), then a flare with folds that deepen toward the hem.
    hips = np.interp(0.92 * s, torso.y, torso.rx) + 0.012 * s
    rx = np.maximum(rx0 + (hips - rx0) * np.clip(t / 0.18, 0, 1) ** 0.7, rx0) + 0.07 * s * hw * np.clip(t - 0.18, 0, 1)
    rz = rz0 + (rx - rx0) * 0.75
    fold = 1.0 + 0.045 * np.clip(t - 0.15, 0, 1)[:, None] * np.cos(10 * az)[None, :]
    zc = np.interp(top, torso.y, torso.zc)
    pts = np.stack([rx[:, None] * fold * np.sin(az), np.repeat(ys[:, None], cols, 1),
                    zc + rz[:, None] * fold * np.cos(az)], -1)
    pos, idx = close_grid(pts[::-1], start_cap=False, end_cap=False)     # hem to waist keeps the winding outward
    tv = np.clip((top - pos[:, 1]) / (top - hem), 0, 1)
    joints, weights = rigid(len(pos), J["hips"])
    leg = np.where(pos[:, 0] > 0, J["leftUpperLeg"], J["rightUpperLeg"])
    w_leg = 0.5 * tv ** 1.5 * np.clip(np.abs(pos[:, 0]) / (0.06 * s), 0, 1)
    joints[:, 1], weights[:, 0], weights[:, 1] = leg, 1 - w_leg, w_leg
    return Part(material, pos, idx, joints, weights)


def leg(f: Figure, side: str, sign: int) -> list[Part]:
    """A trouser leg from inside the seat down over the top of the shoe (or a bare leg under a skirt), and
    the shoe."""
    s, b, jt = f.s, f.build, f.joints
    trousers = f.spec.outfit == "trousers"
    # The thighs lean in from inside the seat and run a little inside the hip joints, so the two legs meet
    # at the crotch instead of leaving a gap with the seat showing in it.
    top = jt[f"{side}UpperLeg"] + [-sign * 0.05 * s, 0.06 * s, 0]
    hip = jt[f"{side}UpperLeg"] - [sign * 0.012 * s, 0, 0]
    ankle = jt[f"{side}Foot"] + [0, 0.015 * s, 0.006 * s]
    pts = [top, hip, jt[f"{side}LowerLeg"], ankle]
    radii = np.array([0.090, 0.086, 0.050, 0.040] if trousers else [0.070, 0.072, 0.040, 0.030]) * s * b
    if trousers:        # the hem falls over the shoe: one more ring below the ankle, a little wider
        pts.append(jt[f"{side}Foot"] + [0, -0.035 * s, 0.01 * s])
        radii = np.append(radii, 0.044 * s * b)
    bones = [J[x] for x in ("hips", f"{side}UpperLeg", f"{side}LowerLeg", f"{side}Foot")]
    part = skinned_tube("bottom" if trousers else "skin", pts, radii, bones, 0.05 * s, per_segment=6,
                        up_hint=(0, 0, 1), caps=(True, not trousers), cap_depth=0.3)
    heel, toe = jt[f"{side}Foot"] + [0, 0, -0.045 * s], jt[f"{side}Toes"] + [0, 0, 0.05 * s]
    centre = (heel + toe) / 2
    centre[1] = 0.045 * s
    spos, sidx = ellipsoid(centre, np.array([0.047, 0.047, np.linalg.norm(toe - heel) / 2]) * [s, s, 1], 10, 16)
    joints, weights = chain_weights(spos[:, 2], [-1e9, jt[f"{side}Toes"][2] - 0.02 * s],
                                    [J[f"{side}Foot"], J[f"{side}Toes"]], 0.03 * s)
    return [part, Part("shoes", spos, sidx, joints, weights)]
