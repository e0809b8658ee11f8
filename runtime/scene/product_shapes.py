"""Modelled products: a kettle (body, lid, knob, spout, handle, base), a phone (rounded slab, screen, camera
island) and a gift box (box, lid, ribbon and bow), built from lathes, extrusions and swept tubes to fill a
product's `size` box exactly, base centred on the origin like the primitives. Each comes as parts, each
part a mesh and the colour it takes: the product's `color` ("body") or an accent of its kind.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..builder.mesh import grid_indices
from .shapes import box

Mesh = tuple[np.ndarray, np.ndarray, np.ndarray]    # positions (N, 3), unit normals (N, 3), triangle indices


@dataclass(frozen=True)
class ShapePart:
    name: str
    mesh: Mesh
    role: str                  # "body" (the product's colour) or an accent in ACCENTS
    gloss: float = 0.3         # 0 matte .. 1 mirror-like highlight


ACCENTS = {                     # linear-light colours of each accent
    "dark": (0.012, 0.012, 0.014),
    "glass": (0.004, 0.005, 0.008),
    "steel": (0.45, 0.46, 0.48),
    "ribbon": (0.62, 0.38, 0.06),            # gold
}
SIDES = 48


def _grid(points: np.ndarray, normals: np.ndarray, wrap: bool) -> Mesh:
    """A (rows, cols) grid of points as triangles; `wrap` joins the last column to the first. Wound so
    that a grid whose rows run along +T and whose columns turn about +T faces outward."""
    rows, cols, _ = points.shape
    tris = grid_indices(rows, cols, wrap).reshape(-1, 3)[:, ::-1].reshape(-1)
    return points.reshape(-1, 3), normals.reshape(-1, 3), tris


def lathe(profile: list[tuple[float, float]], sides: int = SIDES) -> Mesh:
    """A surface of revolution about +Z through (radius, height) points, bottom to top; normals from the
    profile's slope (a point on the axis closes the surface)."""
    p = np.array(profile, float)
    tangent = np.gradient(p, axis=0)
    flat = np.stack([tangent[:, 1], -tangent[:, 0]], -1)              # (dr, dz) turned outward
    flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    a = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    cos, sin = np.cos(a)[None, :], np.sin(a)[None, :]
    points = np.stack([p[:, :1] * cos, p[:, :1] * sin, np.broadcast_to(p[:, 1:], (len(p), sides))], -1)
    normals = np.stack([flat[:, :1] * cos, flat[:, :1] * sin, np.broadcast_to(flat[:, 1:], (len(p), sides))], -1)
    return _grid(points, normals, wrap=True)


def tube(path: np.ndarray, radii: np.ndarray, sides: int = 20) -> Mesh:
    """A tube swept along a path of points, its radius varying along it, ends closed by a ring to the
    centre."""
    path = np.asarray(path, float)
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    ref = np.array([0.0, 1.0, 0.0]) if abs(tangent[0, 1]) < 0.9 else np.array([1.0, 0.0, 0.0])
    rings, normals = [], []
    side = np.cross(tangent[0], ref)
    for k, t in enumerate(tangent):                  # a frame carried along the path (no twist)
        side = side - t * (side @ t)
        side /= np.linalg.norm(side)
        up = np.cross(t, side)
        a = np.linspace(0, 2 * np.pi, sides, endpoint=False)[:, None]
        n = np.cos(a) * side + np.sin(a) * up
        normals.append(n)
        rings.append(path[k] + radii[k] * n)
    points, norms = np.array(rings), np.array(normals)
    caps = [(path[0], -tangent[0]), (path[-1], tangent[-1])]
    points = np.concatenate([np.broadcast_to(caps[0][0], (1, sides, 3)), points, np.broadcast_to(caps[1][0], (1, sides, 3))])
    norms = np.concatenate([np.broadcast_to(caps[0][1], (1, sides, 3)), norms, np.broadcast_to(caps[1][1], (1, sides, 3))])
    return _grid(points, norms, wrap=True)


def rounded_rect(w: float, h: float, r: float, per_corner: int = 8) -> np.ndarray:
    """The outline of a w x h rectangle with corners of radius r, counter-clockwise, centred."""
    out = []
    for cx, cz, a0 in ((w / 2 - r, h / 2 - r, 0.0), (-w / 2 + r, h / 2 - r, 90.0), (-w / 2 + r, -h / 2 + r, 180.0),
                       (w / 2 - r, -h / 2 + r, 270.0)):
        a = np.radians(a0 + np.linspace(0, 90, per_corner))
        out += list(zip(cx + r * np.cos(a), cz + r * np.sin(a)))
    return np.array(out)


def slab(outline: np.ndarray, y0: float, y1: float) -> Mesh:
    """An outline in the XZ plane extruded from y0 (its front) to y1, with both faces closed."""
    n = len(outline)
    edge = np.roll(outline, -1, 0) - np.roll(outline, 1, 0)
    out2 = np.stack([edge[:, 1], -edge[:, 0]], -1)
    out2 /= np.linalg.norm(out2, axis=1, keepdims=True)
    side_n = np.stack([out2[:, 0], np.zeros(n), out2[:, 1]], -1)
    ring = lambda y: np.stack([outline[:, 0], np.full(n, y), outline[:, 1]], -1)  # noqa: E731
    side = _grid(np.stack([ring(y1), ring(y0)]), np.stack([side_n, side_n]), wrap=True)   # faces outward
    parts = [side]
    for y, facing in ((y0, -1.0), (y1, 1.0)):
        centre = np.array([[outline[:, 0].mean(), y, outline[:, 1].mean()]])
        pts = np.concatenate([centre, ring(y)])
        nrm = np.tile([0.0, facing, 0.0], (n + 1, 1))
        k = np.arange(n)
        tris = np.stack([np.zeros(n, int), 1 + k, 1 + (k + 1) % n], -1)
        if facing > 0:
            tris = tris[:, [0, 2, 1]]
        parts.append((pts, nrm, tris.reshape(-1)))
    return merge(parts)


def merge(meshes: list[Mesh]) -> Mesh:
    offset, tris = 0, []
    for pos, _, t in meshes:
        tris.append(np.asarray(t) + offset)
        offset += len(pos)
    return (np.concatenate([m[0] for m in meshes]), np.concatenate([m[1] for m in meshes]), np.concatenate(tris))


def _fit(parts: list[ShapePart], size) -> list[ShapePart]:
    """Scale the parts together so their bounds fill `size` (x, y, z), base on z = 0, centred in x and y;
    normals follow the scale (inverse transpose)."""
    pos = np.concatenate([p.mesh[0] for p in parts])
    lo, hi = pos.min(0), pos.max(0)
    scale = np.asarray(size, float) / np.maximum(hi - lo, 1e-9)
    shift = -np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    out = []
    for p in parts:
        v, n, t = p.mesh
        n = n / scale
        out.append(ShapePart(p.name, ((v + shift) * scale, n / np.linalg.norm(n, axis=1, keepdims=True), t),
                             p.role, p.gloss))
    return out


# -- the products, in units of their height, then fitted to their size -------------------------------
def kettle(size) -> list[ShapePart]:
    """An electric kettle: a dark base, a tapered body, a domed lid with a knob, a spout to +X and a
    handle to -X."""
    body = lathe([(0.0, 0.06), (0.40, 0.06), (0.42, 0.10), (0.41, 0.40), (0.37, 0.70), (0.33, 0.80),
                  (0.27, 0.84), (0.24, 0.85)])
    base = lathe([(0.0, 0.0), (0.38, 0.0), (0.41, 0.02), (0.41, 0.06), (0.0, 0.06)])
    lid = lathe([(0.245, 0.845), (0.24, 0.87), (0.20, 0.90), (0.12, 0.925), (0.0, 0.93)])
    knob = lathe([(0.0, 0.925), (0.05, 0.93), (0.06, 0.96), (0.045, 0.985), (0.0, 0.99)], sides=24)
    s = np.linspace(0, 1, 16)[:, None]
    spout_path = (1 - s) ** 2 * [0.30, 0, 0.50] + 2 * s * (1 - s) * [0.52, 0, 0.56] + s ** 2 * [0.62, 0, 0.80]
    spout = tube(spout_path, 0.075 - 0.04 * s[:, 0])
    h = np.linspace(0, 1, 24)[:, None]
    handle_path = ((1 - h) ** 3 * [-0.30, 0, 0.80] + 3 * h * (1 - h) ** 2 * [-0.70, 0, 0.86]
                   + 3 * h ** 2 * (1 - h) * [-0.66, 0, 0.22] + h ** 3 * [-0.38, 0, 0.26])
    handle = tube(handle_path, np.full(len(h), 0.045))
    return _fit([ShapePart("body", body, "body", 0.8), ShapePart("spout", spout, "body", 0.8),
                 ShapePart("base", base, "dark", 0.2), ShapePart("lid", lid, "body", 0.8),
                 ShapePart("knob", knob, "dark", 0.3), ShapePart("handle", handle, "dark", 0.3)], size)


def phone(size) -> list[ShapePart]:
    """A phone: a rounded slab (x wide, z tall, y thick), a black glass screen on its front (-Y) with a
    camera dot, and a camera island with three lenses on its back."""
    w, h, t = 1.0, 2.0, 0.15
    frame = slab(rounded_rect(w, h, 0.12), -t / 2, t / 2)
    screen = slab(rounded_rect(w - 0.05, h - 0.05, 0.10), -t / 2 - 0.004, -t / 2)
    punch = slab(rounded_rect(0.05, 0.05, 0.024), -t / 2 - 0.006, -t / 2 - 0.004)
    punch = (punch[0] + [0, 0, h / 2 - 0.09], punch[1], punch[2])
    island = slab(rounded_rect(0.42, 0.42, 0.09), t / 2, t / 2 + 0.02)
    island = (island[0] + [-w / 2 + 0.28, 0, h / 2 - 0.28], island[1], island[2])
    lenses = []
    for dx, dz in ((-0.08, 0.08), (0.08, 0.08), (-0.08, -0.08)):
        lens = slab(rounded_rect(0.11, 0.11, 0.054), t / 2 + 0.02, t / 2 + 0.035)
        lenses.append((lens[0] + [-w / 2 + 0.28 + dx, 0, h / 2 - 0.28 + dz], lens[1], lens[2]))
    return _fit([ShapePart("frame", frame, "body", 0.6), ShapePart("screen", screen, "glass", 1.0),
                 ShapePart("punch", punch, "dark", 0.5), ShapePart("island", island, "body", 0.6),
                 ShapePart("lenses", merge(lenses), "glass", 1.0)], size)


def gift_box(size) -> list[ShapePart]:
    """A gift box: a box with an overhanging lid, a ribbon round both ways and a bow on top."""
    w, d, h = 1.0, 0.6, 0.42
    base = box([-w / 2, -d / 2, 0], [w / 2, d / 2, h * 0.8])
    lid = box([-w / 2 - 0.015, -d / 2 - 0.015, h * 0.74], [w / 2 + 0.015, d / 2 + 0.015, h])
    band = 0.07
    ribbon = merge([box([-band / 2, -d / 2 - 0.02, 0], [band / 2, d / 2 + 0.02, h + 0.004]),
                    box([-w / 2 - 0.02, -band / 2, 0], [w / 2 + 0.02, band / 2, h + 0.004])])
    loops = []
    a = np.linspace(0, 2 * np.pi, 28)[:, None]
    for sign in (1, -1):                              # two loops leaning out from the knot
        path = np.concatenate([sign * (0.10 + 0.10 * np.cos(a)), 0.02 * np.sin(a),
                               h + 0.045 + 0.06 * np.sin(a)], -1)
        loops.append(tube(path, np.full(len(a), 0.018), sides=10))
    knot = lathe([(0.0, h), (0.05, h + 0.01), (0.055, h + 0.05), (0.04, h + 0.08), (0.0, h + 0.085)], sides=20)
    return _fit([ShapePart("box", base, "body", 0.2), ShapePart("lid", lid, "body", 0.25),
                 ShapePart("ribbon", merge([ribbon, knot, *loops]), "ribbon", 0.6)], size)


PRODUCT_SHAPES = {"kettle": kettle, "phone": phone, "gift_box": gift_box}
