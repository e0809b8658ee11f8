"""Mesh parts for the host builder: swept tubes, ellipsoids and grids, with normals and skin weights.

A part is plain arrays. Surfaces are built as (rows, cols) grids of points so triangles and normals
come out the same way for every shape, and byte-identical on every run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Part:
    material: str
    positions: np.ndarray                 # (N, 3) float
    indices: np.ndarray                   # (T*3,) int
    joints: np.ndarray                    # (N, 4) int, canonical joint indices
    weights: np.ndarray                   # (N, 4) float, rows sum to 1
    morphs: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (N, 3) position deltas
    uvs: np.ndarray | None = None         # (N, 2) texture coordinates (top-left origin) for textured materials

    @property
    def normals(self) -> np.ndarray:
        return vertex_normals(self.positions, self.indices)


def grid_indices(rows: int, cols: int, wrap: bool) -> np.ndarray:
    """Two triangles per grid cell (rows along the sweep, cols around it)."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    d = (r + 1) * cols + c
    e = (r + 1) * cols + (c + 1) % cols
    return np.stack([a, d, b, b, d, e], axis=-1).reshape(-1)


def vertex_normals(positions: np.ndarray, indices: np.ndarray) -> np.ndarray:
    tri = indices.reshape(-1, 3)
    p0, p1, p2 = (positions[tri[:, k]] for k in range(3))
    face = np.cross(p1 - p0, p2 - p0)
    n = np.zeros_like(positions)
    for k in range(3):
        np.add.at(n, tri[:, k], face)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    # A point no triangle uses (or whose triangles cancel) still needs a unit normal: glTF requires one.
    # Outward from the part's centre serves; straight up if it sits on the centre.
    outward = positions - positions.mean(axis=0)
    outward[np.linalg.norm(outward, axis=1) < 1e-12] = (0.0, 0.0, 1.0)
    n = np.where(length > 1e-12, n, outward)
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def close_grid(points: np.ndarray, start_cap: bool, end_cap: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flatten a wrapped (rows, cols, 3) grid and fan its first/last rows to their centres."""
    rows, cols, _ = points.shape
    pos = points.reshape(-1, 3)
    idx = [grid_indices(rows, cols, wrap=True)]
    ring = np.arange(cols)
    if start_cap:
        centre = len(pos)
        pos = np.vstack([pos, points[0].mean(axis=0)])
        idx.append(np.stack([np.full(cols, centre), ring, (ring + 1) % cols], -1).reshape(-1))
    if end_cap:
        centre = len(pos)
        last = (rows - 1) * cols
        pos = np.vstack([pos, points[-1].mean(axis=0)])
        idx.append(np.stack([np.full(cols, centre), last + (ring + 1) % cols, last + ring], -1).reshape(-1))
    return pos, flip(np.concatenate(idx))


def flip(indices: np.ndarray) -> np.ndarray:
    """Reverse each triangle's winding (grids are built with rows along the sweep, which faces inward)."""
    return indices.reshape(-1, 3)[:, ::-1].reshape(-1)


def orient(positions: np.ndarray, indices: np.ndarray, centre) -> np.ndarray:
    """Wind every triangle to face away from `centre` (for sheets around a point: eyes, lids, mouth)."""
    tri = indices.reshape(-1, 3).copy()
    p0, p1, p2 = (positions[tri[:, k]] for k in range(3))
    facing = np.einsum("ij,ij->i", np.cross(p1 - p0, p2 - p0), (p0 + p1 + p2) / 3 - np.asarray(centre, float))
    tri[facing < 0] = tri[facing < 0][:, ::-1]
    return tri.reshape(-1)


def patch(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An open (rows, cols, 3) sheet; give it a double-sided material."""
    rows, cols, _ = points.shape
    return points.reshape(-1, 3), flip(grid_indices(rows, cols, wrap=False))


def ellipsoid(centre, radii, rows: int = 14, cols: int = 20, shape=None) -> tuple[np.ndarray, np.ndarray]:
    """Closed ellipsoid. `shape(unit_points) -> scale (N,3)` may reshape it (jaw taper, flat palm)."""
    theta = np.linspace(0.0, np.pi, rows + 2)[1:-1]           # from +Y (top) to -Y, poles added as caps
    phi = np.linspace(0.0, 2 * np.pi, cols, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    unit = np.stack([np.sin(t) * np.sin(p), np.cos(t), np.sin(t) * np.cos(p)], axis=-1)
    flat = unit.reshape(-1, 3)
    scale = np.asarray(radii, float) * (shape(flat) if shape else 1.0)
    pts = (np.asarray(centre, float) + flat * scale).reshape(rows, cols, 3)
    pos, idx = close_grid(pts[::-1], start_cap=True, end_cap=True)    # bottom to top keeps CCW outward
    top = np.asarray(centre, float) + np.array([0, radii[1], 0]) * (shape(np.array([[0, 1.0, 0]]))[0] if shape else 1)
    bottom = np.asarray(centre, float) - np.array([0, radii[1], 0]) * (shape(np.array([[0, -1.0, 0]]))[0] if shape else 1)
    pos[-2], pos[-1] = bottom, top
    return pos, idx


def _frames(path: np.ndarray, up_hint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tangent, normal, binormal along a polyline by parallel transport (no twisting)."""
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    normals = np.empty_like(path)
    n = np.asarray(up_hint, float) - tangent[0] * np.dot(up_hint, tangent[0])
    n /= np.linalg.norm(n)
    for i, t in enumerate(tangent):
        n = n - t * np.dot(n, t)
        n /= np.linalg.norm(n)
        normals[i] = n
    return tangent, normals, np.cross(tangent, normals)


def tube(path, radii, cols: int = 14, up_hint=(0.0, 1.0, 0.0), cap_rows: int = 3,
         caps: tuple[bool, bool] = (True, True), flatten: float = 1.0,
         cap_depth: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sweep a circle (squashed by `flatten` along the binormal) along `path`; rounded caps at the ends
    (`cap_depth` < 1 flattens them).

    Returns positions, indices and each ring's arc-length parameter per vertex (for chain weights).
    """
    path = np.asarray(path, float)
    radii = np.asarray(radii, float)
    tangent, normal, binormal = _frames(path, up_hint)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    centres, rads, params, tans = [path], [radii], [arc], [tangent]
    nrm, bnm = [normal], [binormal]
    if caps[0]:
        k = np.arange(cap_rows, 0, -1) / (cap_rows + 1)
        ang = k * np.pi / 2
        centres.insert(0, path[0] - tangent[0] * (cap_depth * radii[0] * np.sin(ang))[:, None])
        rads.insert(0, radii[0] * np.cos(ang))
        params.insert(0, np.full(cap_rows, arc[0]))
        for lst, v in ((tans, tangent[0]), (nrm, normal[0]), (bnm, binormal[0])):
            lst.insert(0, np.repeat(v[None], cap_rows, 0))
    if caps[1]:
        k = np.arange(1, cap_rows + 1) / (cap_rows + 1)
        ang = k * np.pi / 2
        centres.append(path[-1] + tangent[-1] * (cap_depth * radii[-1] * np.sin(ang))[:, None])
        rads.append(radii[-1] * np.cos(ang))
        params.append(np.full(cap_rows, arc[-1]))
        for lst, v in ((tans, tangent[-1]), (nrm, normal[-1]), (bnm, binormal[-1])):
            lst.append(np.repeat(v[None], cap_rows, 0))
    c, r, s = np.vstack(centres), np.concatenate(rads), np.concatenate(params)
    n, b = np.vstack(nrm), np.vstack(bnm)
    a = np.linspace(0.0, 2 * np.pi, cols, endpoint=False)
    ring = np.cos(a)[None, :, None] * n[:, None] + flatten * np.sin(a)[None, :, None] * b[:, None]
    pts = c[:, None] + r[:, None, None] * ring
    pos, idx = close_grid(pts, start_cap=caps[0], end_cap=caps[1])
    if caps[0]:
        pos[-1 - int(caps[1])] = path[0] - tangent[0] * radii[0] * cap_depth
    if caps[1]:
        pos[-1] = path[-1] + tangent[-1] * radii[-1] * cap_depth
    per_vertex = np.repeat(s, cols)
    extra = [arc[0]] * int(caps[0]) + [arc[-1]] * int(caps[1])
    return pos, idx, np.concatenate([per_vertex, extra])


def polyline(points, per_segment: int) -> np.ndarray:
    """Densify a polyline: `per_segment` samples per segment, ends included."""
    pts = np.asarray(points, float)
    out = [pts[0]]
    for a, b in zip(pts[:-1], pts[1:]):
        t = np.linspace(0, 1, per_segment + 1)[1:, None]
        out.extend(a + (b - a) * t)
    return np.array(out)


def chain_weights(param: np.ndarray, bounds: list[float], bones: list[int], blend: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Weights along a bone chain: bone k owns arc length [bounds[k], bounds[k+1]); at each inner
    bound the two bones cross-fade linearly over +-blend, which keeps elbows and knuckles smooth."""
    n = len(param)
    joints = np.zeros((n, 4), int)
    weights = np.zeros((n, 4))
    seg = np.clip(np.searchsorted(bounds, param, side="right") - 1, 0, len(bones) - 1)
    joints[:, 0] = np.asarray(bones)[seg]
    weights[:, 0] = 1.0
    for k in range(1, len(bones)):
        d = param - bounds[k]
        t = np.clip((d + blend) / (2 * blend), 0.0, 1.0)
        near = np.abs(d) < blend
        joints[near, 0], joints[near, 1] = bones[k - 1], bones[k]
        weights[near, 0], weights[near, 1] = 1.0 - t[near], t[near]
    return joints, weights


def skinned_tube(material: str, points, radii, bones: list[int], blend: float, per_segment: int = 9,
                 cols: int = 14, bounds: list[float] | None = None, **kw) -> Part:
    """A tube through joint positions, `per_segment` rings a segment, radii from point to point, weighted
    down the bone chain: bone k owns segment k (or arc length from `bounds[k]`), an extra last bone the end
    cap past the last point (a hand, a tip)."""
    path = polyline(points, per_segment)
    r = np.interp(np.linspace(0, len(points) - 1, len(path)), np.arange(len(points)), radii)
    pos, idx, param = tube(path, r, cols=cols, **kw)
    if bounds is None:
        seg_len = np.linalg.norm(np.diff(np.asarray(points), axis=0), axis=1)
        bounds = list(np.concatenate([[0.0], np.cumsum(seg_len)])[:len(bones)])
    return Part(material, pos, idx, *chain_weights(param, bounds, bones, blend))


def rigid(n: int, bone: int) -> tuple[np.ndarray, np.ndarray]:
    joints = np.zeros((n, 4), int)
    joints[:, 0] = bone
    weights = np.zeros((n, 4))
    weights[:, 0] = 1.0
    return joints, weights
