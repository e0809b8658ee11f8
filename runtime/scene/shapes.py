"""Primitive set pieces (box, cylinder, sphere, plane) as Panda3D geometry, base centred on the origin."""
from __future__ import annotations

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
)


def geom_node(name: str, pos: np.ndarray, nrm: np.ndarray, tris: np.ndarray) -> GeomNode:
    vdata = GeomVertexData(name, GeomVertexFormat.get_v3n3(), Geom.UH_static)
    vdata.set_num_rows(len(pos))
    vw, nw = GeomVertexWriter(vdata, "vertex"), GeomVertexWriter(vdata, "normal")
    for p, n in zip(pos, nrm):
        vw.add_data3(*p)
        nw.add_data3(*n)
    prim = GeomTriangles(Geom.UH_static)
    for a, b, c in tris.reshape(-1, 3):
        prim.add_vertices(int(a), int(b), int(c))
    geom = Geom(vdata)
    geom.add_primitive(prim)
    node = GeomNode(name)
    node.add_geom(geom)
    return node


def box(lo, hi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An axis-aligned box between two corners, flat-shaded faces wound outward."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    pos, nrm, tris = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u, v = [a for a in range(3) if a != axis]
            base = len(pos)
            for cu, cv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                p = lo.copy()
                p[axis] = hi[axis] if sign > 0 else lo[axis]
                p[u] = hi[u] if cu else lo[u]
                p[v] = hi[v] if cv else lo[v]
                pos.append(p)
                n = np.zeros(3)
                n[axis] = sign
                nrm.append(n)
            facing = np.cross(pos[base + 1] - pos[base], pos[base + 2] - pos[base]) @ nrm[base]
            tris += ([base, base + 1, base + 2, base, base + 2, base + 3] if facing > 0 else
                     [base, base + 2, base + 1, base, base + 3, base + 2])
    return np.array(pos), np.array(nrm), np.array(tris)


def _box(size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A box with its base centred on the origin."""
    w, d, h = size
    return box((-w / 2, -d / 2, 0.0), (w / 2, d / 2, h))


def _cylinder(size, sides: int = 32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w, d, h = size
    a = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([np.cos(a) * w / 2, np.sin(a) * d / 2], -1)
    pos, nrm, tris = [], [], []
    for i in range(sides):                         # side wall, smooth normals
        j = (i + 1) % sides
        base = len(pos)
        for k in (i, j):
            n = np.array([np.cos(a[k]), np.sin(a[k]), 0.0])
            pos += [[*ring[k], 0.0], [*ring[k], h]]
            nrm += [n, n]
        tris += [base, base + 2, base + 3, base, base + 3, base + 1]
    for z, n in ((h, 1.0), (0.0, -1.0)):           # caps
        centre = len(pos)
        pos.append([0, 0, z])
        nrm.append([0, 0, n])
        for i in range(sides):
            pos.append([*ring[i], z])
            nrm.append([0, 0, n])
        for i in range(sides):
            a1, b1 = centre + 1 + i, centre + 1 + (i + 1) % sides
            tris += [centre, a1, b1] if n > 0 else [centre, b1, a1]
    return np.array(pos), np.array(nrm), np.array(tris)


def _sphere(size, rows: int = 16, cols: int = 24) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t, p = np.meshgrid(np.linspace(0, np.pi, rows + 1), np.linspace(0, 2 * np.pi, cols + 1), indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), -np.cos(t)], -1).reshape(-1, 3)
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    a = r * (cols + 1) + c
    tris = np.stack([a, a + 1, a + cols + 2, a, a + cols + 2, a + cols + 1], -1).reshape(-1)
    return unit * np.array(size) / 2 + [0, 0, size[2] / 2], unit, tris


def _plane(size) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w, d, _ = size
    pos = np.array([[-w / 2, -d / 2, 0], [w / 2, -d / 2, 0], [w / 2, d / 2, 0], [-w / 2, d / 2, 0]])
    return pos, np.tile([0, 0, 1.0], (4, 1)), np.array([0, 1, 2, 0, 2, 3])


SHAPES = {"box": _box, "cylinder": _cylinder, "sphere": _sphere, "plane": _plane}
