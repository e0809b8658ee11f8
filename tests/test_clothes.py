"""The built-in hosts' clothes and hands, measured on the builder's geometry: necklines are one clean edge
with the layer under them out of sight, in the rest pose and with an arm raised; trousers reach the shoes;
each finger has its nail; the looks a studio can pick differ on screen."""
from dataclasses import replace

import numpy as np
import pytest
from helpers import PROJECT, changed_pixels

from runtime.builder import clothes
from runtime.builder.body import Figure, build_host
from runtime.builder.mesh import Part
from runtime.builder.spec import NECKLINES, TOPS, load_host_spec
from runtime.skeleton import quat
from runtime.skeleton.humanoid import BONE_NAMES, FINGERS, PARENT

HOSTS = sorted(p.stem for p in (PROJECT / "rigs").glob("*.toml"))
J = {name: i for i, name in enumerate(BONE_NAMES)}


def spec_of(name: str, **style):
    return replace(load_host_spec(PROJECT / "rigs" / f"{name}.toml"), **style)


def skin(parts: list[Part], joints: np.ndarray, local: dict[str, np.ndarray]) -> list[Part]:
    """Linear blend skinning of the parts with some bones turned (local rotations; rest rotations are
    identity, so a bone's world rotation is the product down its chain)."""
    rot = np.zeros((len(BONE_NAMES), 4))
    pos = np.zeros((len(BONE_NAMES), 3))
    for i, name in enumerate(BONE_NAMES):       # parents come first
        q = local.get(name, np.array([0.0, 0.0, 0.0, 1.0]))
        parent = PARENT[name]
        if parent is None:
            rot[i], pos[i] = q, joints[i]
        else:
            p = J[parent]
            rot[i] = quat.multiply(rot[p], q)
            pos[i] = pos[p] + quat.rotate(rot[p], joints[i] - joints[p])
    out = []
    for part in parts:
        moved = np.zeros_like(part.positions)
        for k in range(4):
            b = part.joints[:, k]
            moved += part.weights[:, k:k + 1] * (quat.rotate(rot[b], part.positions - joints[b]) + pos[b])
        out.append(Part(part.material, moved, part.indices, part.joints, part.weights))
    return out


def raised_left_arm(degrees: float = 80.0) -> dict[str, np.ndarray]:
    return {"leftUpperArm": quat.from_axis_angle((0.0, 0.0, 1.0), np.radians(degrees))}


def ray_hits(origins: np.ndarray, dirs: np.ndarray, part: Part) -> np.ndarray:
    """Distance along each ray to the nearest triangle of `part` in front of it (inf where none). Rays are
    level (no y component), so each meets only the triangles that span its height."""
    tri = part.positions[part.indices.reshape(-1, 3)]
    low, high = tri[:, :, 1].min(axis=1), tri[:, :, 1].max(axis=1)
    best = np.full(len(origins), np.inf)
    for height in np.unique(origins[:, 1]):
        rays = np.flatnonzero(origins[:, 1] == height)
        near = tri[(low <= height) & (high >= height)]
        if not len(near):
            continue
        o, d = origins[rays, None], dirs[rays, None]
        e1, e2 = near[None, :, 1] - near[None, :, 0], near[None, :, 2] - near[None, :, 0]
        p = np.cross(d, e2)
        det = np.einsum("rtk,rtk->rt", e1, p)
        ok = np.abs(det) > 1e-15
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = o - near[None, :, 0]
        u = np.einsum("rtk,rtk->rt", s, p) * inv
        q = np.cross(s, e1)
        v = np.einsum("rtk,rtk->rt", d, q) * inv
        t = np.einsum("rtk,rtk->rt", e2, q) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        best[rays] = np.where(hit, t, np.inf).min(axis=1)
    return best


def layers(parts: list[Part]) -> tuple[Part, Part]:
    """The top (the last torso layer in its colour) and the layer that shows under its neckline."""
    top = [p for p in parts if p.material == "top"][-1]
    inner = next(p for p in parts if p.material == "inner")
    return top, inner


def poking_through(top: Part, inner: Part, torso: clothes.Torso) -> int:
    """How many of a dense fan of rays over the chest (every millimetre of height, every degree around the
    front) meet the inner layer on or outside the top: what a viewer would see as a fleck through the cloth."""
    heights = np.arange(1.05 * torso.s, clothes.COLLAR * torso.s, 0.001)
    angles = np.radians(np.arange(-60.0, 60.5, 1.0))
    y, a = (v.ravel() for v in np.meshgrid(heights, angles, indexing="ij"))
    axis = np.stack([np.zeros_like(y), y, np.interp(y, torso.y, torso.zc)], -1)
    dirs = np.stack([np.sin(a), np.zeros_like(a), np.cos(a)], -1)
    on_top, on_inner = ray_hits(axis, dirs, top), ray_hits(axis, dirs, inner)
    both = np.isfinite(on_top) & np.isfinite(on_inner)
    return int(np.sum(on_inner[both] > on_top[both] - 0.0005))


@pytest.mark.parametrize("host, neckline", [("mei", n) for n in NECKLINES] + [("jun", "v"), ("aya", "round"),
                                                                                ("ken", "crew")])
@pytest.mark.parametrize("pose", ["rest", "left arm raised"])
def test_no_part_of_the_layer_under_the_neckline_pokes_through_the_top(host, neckline, pose):
    spec = spec_of(host, neckline=neckline)
    f = Figure(spec)
    parts = clothes.torso_clothes(f)
    if pose != "rest":
        joints = np.array([f.joints[n] for n in BONE_NAMES])
        parts = skin(parts, joints, raised_left_arm())
    top, inner = layers(parts)
    covered = ray_hits(*_axis_rays(inner, clothes.Torso(f)), top)
    assert np.isfinite(covered).sum() > 0.6 * len(inner.positions)      # the top covers most of it...
    assert poking_through(top, inner, clothes.Torso(f)) == 0            # ...and nothing shows through


def _axis_rays(part: Part, torso: clothes.Torso) -> tuple[np.ndarray, np.ndarray]:
    y = part.positions[:, 1]
    axis = np.stack([np.zeros_like(y), y, np.interp(y, torso.y, torso.zc)], -1)
    out = part.positions - axis
    return axis, out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_check_sees_a_layer_that_pokes_through():
    f = Figure(spec_of("jun"))
    top, inner = layers(clothes.torso_clothes(f))
    bulged = Part(inner.material, inner.positions * [1.0, 1.0, 1.15], inner.indices, inner.joints, inner.weights)
    assert poking_through(top, bulged, clothes.Torso(f)) > 20


def neckline_edge(top: Part, f: Figure) -> np.ndarray:
    """The top's open edge in front, below the collar that circles the neck, ordered around the body from
    the host's right to left."""
    edges = np.sort(top.indices.reshape(-1, 3)[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
    unique, count = np.unique(edges, axis=0, return_counts=True)
    pts = top.positions[np.unique(unique[count == 1])]
    torso = clothes.Torso(f)
    az = np.arctan2(pts[:, 0], pts[:, 2] - np.interp(pts[:, 1], torso.y, torso.zc))
    front = (pts[:, 1] > 1.2 * f.s) & (pts[:, 1] < clothes.COLLAR * f.s - 0.001) & (np.abs(az) < 1.2)
    return pts[front][np.argsort(az[front])]


@pytest.mark.parametrize("neckline", NECKLINES)
def test_the_neckline_is_one_smooth_curve(neckline):
    f = Figure(spec_of("mei", neckline=neckline))
    top, _ = layers(clothes.torso_clothes(f))
    edge = neckline_edge(top, f)
    x, y = edge[:, 0], edge[:, 1]
    assert len(edge) >= 9
    assert np.all(np.diff(x) > 0.0)                      # never doubles back: no zig-zag
    centre = np.argmin(y)
    assert abs(x[centre]) < 1e-6                         # lowest on the midline
    assert np.all(np.diff(y[:centre + 1]) <= 1e-9) and np.all(np.diff(y[centre:]) >= -1e-9)   # one dip
    steps = np.diff(edge[:, :2], axis=0)
    heading = np.degrees(np.arctan2(steps[:, 1], steps[:, 0]))
    turns = np.abs(np.diff(heading))
    corner = 1 if neckline == "v" else 0                 # a V turns sharply once, at its point
    assert np.sum(turns > 25) <= corner, turns.round(1)
    depth = y.max() - y.min()
    assert depth > {"v": 0.12, "round": 0.06, "crew": 0.005}[neckline] * f.s


def outside_the_body(points: np.ndarray, torso: clothes.Torso) -> np.ndarray:
    """Which points lie outside the torso's own surface (the rest of a sleeve is inside, out of sight)."""
    y = points[:, 1]
    rx, rz, zc = (np.interp(y, torso.y, v) for v in (torso.rx, torso.rz, torso.zc))
    return (points[:, 0] / rx) ** 2 + ((points[:, 2] - zc) / rz) ** 2 > 1.0


def test_a_raised_arm_stretches_the_sleeve_and_shoulder_smoothly():
    spec = spec_of("jun")
    meshes = build_host(spec).meshes
    f = Figure(spec)
    torso = clothes.Torso(f)
    joints = np.array([f.joints[n] for n in BONE_NAMES])
    cloth = [p for p in meshes["Body"] if p.material == "top"]
    ratios = []
    for rest, moved in zip(cloth, skin(cloth, joints, raised_left_arm())):
        tri = rest.indices.reshape(-1, 3)
        edges = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]])
        before = np.linalg.norm(np.diff(rest.positions[edges], axis=1)[:, 0], axis=1)
        after = np.linalg.norm(np.diff(moved.positions[edges], axis=1)[:, 0], axis=1)
        seen = outside_the_body(rest.positions, torso)[edges].all(axis=1) & (rest.positions[edges[:, 0], 1] > 1.15 * f.s)
        ratios.append(after[seen] / before[seen])
    ratio = np.concatenate(ratios)
    assert len(ratio) > 1000
    assert ratio.max() < 1.8 and ratio.min() > 0.2, (ratio.min(), ratio.max())      # no tear, no crumple


@pytest.mark.parametrize("name", HOSTS)
def test_trousers_reach_the_shoes_and_a_skirt_bares_the_legs(name):
    spec = spec_of(name)
    f = Figure(spec)
    body = build_host(spec)[1]["Body"]
    for side in ("left", "right"):
        foot = J[f"{side}Foot"]
        shoe = next(p for p in body if p.material == "shoes" and p.joints[0, 0] == foot)
        leg = next(p for p in body if (p.joints == J[f"{side}LowerLeg"]).any() and p.material in ("bottom", "skin"))
        if spec.outfit == "trousers":
            assert leg.material == "bottom"
            assert leg.positions[:, 1].min() < f.joints[f"{side}Foot"][1]              # past the ankle...
            assert leg.positions[:, 1].min() < shoe.positions[:, 1].max() - 0.01 * f.s  # ...over the shoe
        else:
            assert leg.material == "skin"
            assert any(p.material in ("skirt", "dress") for p in body)


def test_trousers_have_a_waistband_proud_of_the_cloth():
    f = Figure(spec_of("jun"))
    torso = clothes.Torso(f)
    seat, band = (p for p in clothes.torso_clothes(f) if p.material == "bottom")
    low, high = band.positions[:, 1].min(), band.positions[:, 1].max()
    assert 0.03 * f.s < high - low < 0.08 * f.s

    def reach(part: Part) -> float:       # how far in front of the body's axis, within the band
        near = part.positions[(part.positions[:, 1] > low) & (part.positions[:, 1] < high)]
        return float((near[:, 2] - np.interp(near[:, 1], torso.y, torso.zc)).max())

    assert reach(band) - reach(seat) > 0.003


def crest(points: np.ndarray, base: np.ndarray, d: np.ndarray, n: np.ndarray, along: float, s: float) -> float:
    """The highest of `points` along `n` over the line `along` metres down the bone from `base` (direction d)."""
    rel = points - base
    t = rel @ d
    lateral = rel - np.outer(t, d)
    off_line = np.linalg.norm(lateral - np.outer(lateral @ n, n), axis=1)
    window = (np.abs(t - along) < 0.004 * s) & (off_line < 0.002 * s)
    assert window.sum() > 0
    return float((lateral[window] @ n).max())


@pytest.mark.parametrize("name", ["mei", "jun"])
def test_every_finger_has_a_nail_on_its_back_outside_the_skin(name):
    spec = spec_of(name)
    f = Figure(spec)
    meshes = build_host(spec).meshes
    nails = [p for p in meshes["Body"] if p.material == "nail"]
    owners = sorted(BONE_NAMES[int(p.joints[0, 0])] for p in nails)
    assert owners == sorted(f"{s}{finger}Distal" for s in ("left", "right") for finger in FINGERS)
    for nail in nails:
        bone = BONE_NAMES[int(nail.joints[0, 0])]
        assert np.all(nail.weights[:, 0] == 1.0)              # rides on the last joint
        base, tip = f.joints[bone], f.joints[bone.replace("Distal", "Tip")]
        d = (tip - base) / np.linalg.norm(tip - base)
        centre = nail.positions.mean(axis=0)
        along = (centre - base) @ d
        assert 0.4 < along / np.linalg.norm(tip - base) < 1.0                  # toward the tip
        out = centre - base - d * along
        n = out / np.linalg.norm(out)
        if "Thumb" not in bone:
            assert n[1] > 0.9                               # on the back of the hand in the T-pose

        finger = next(p for p in meshes["Body"] if p.material == "skin" and (p.joints[:, 0] == J[bone]).any()
                      and len(p.positions) < 400)
        nail_top, skin_top = (crest(p.positions, base, d, n, along, f.s) for p in (nail, finger))
        assert nail_top > skin_top + 0.0002                # above the skin: no flicker


def test_knuckles_swell_the_fingers_between_narrower_segments():
    f = Figure(spec_of("jun"))
    meshes = build_host(spec_of("jun")).meshes
    knuckle, next_knuckle = f.joints["leftMiddleIntermediate"], f.joints["leftMiddleDistal"]
    d = (next_knuckle - knuckle) / np.linalg.norm(next_knuckle - knuckle)
    finger = next(p for p in meshes["Body"] if p.material == "skin" and (p.joints == J["leftMiddleIntermediate"]).any()
                  and len(p.positions) < 400)
    rel = finger.positions - knuckle
    t = np.round(rel @ d, 6)
    radius = np.linalg.norm(rel - np.outer(rel @ d, d), axis=1)
    rings = {v: radius[t == v].mean() for v in np.unique(t) if (t == v).sum() >= 8}
    length = np.linalg.norm(next_knuckle - knuckle)
    between = min(r for v, r in rings.items() if 0.2 * length < v < 0.8 * length)
    first, second = (rings[min(rings, key=lambda v, x=x: abs(v - x))] for x in (0.0, length))
    assert first > 1.05 * between and second > 1.05 * between           # both knuckles stand out


@pytest.fixture(scope="module")
def host_renders():
    from runtime.scene.render import OffscreenRenderer
    from runtime.sets.setfile import single_host_set
    from runtime.skeleton.pose import Pose

    shots = {}
    for name in HOSTS:
        with OffscreenRenderer(single_host_set(PROJECT / "rigs" / f"{name}.glb"), (160, 240)) as r:
            character = r.stage.hosts[0].character
            character.apply(Pose.rest())
            lo, hi = (np.array(p) for p in character.root.get_tight_bounds(r.scene))
            r.look_at_bounds(np.array([-0.5, lo[1], 0.0]), np.array([0.5, hi[1], 1.95]), elevation=0.0)
            shots[name] = r.frame().copy()
    return shots


def test_there_are_more_than_two_built_in_hosts_and_they_look_different(host_renders):
    assert len(HOSTS) >= 4 and {"mei", "jun"} <= set(HOSTS)
    names = list(host_renders)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            changed = changed_pixels(host_renders[a], host_renders[b])
            assert changed > 0.05 * 160 * 240, (a, b, changed)


def test_every_kind_of_top_has_its_cut():
    assert set(clothes.TOP_CUTS) == set(TOPS)
