"""Stand-ins that cast a model's shadow: each of its meshes simplified to a tenth of its triangles.

The shadow map draws every caster a second time each frame, and in software GL a host's tens of thousands
of small triangles cost nearly as much there as in the picture: about a sixth of the default frame for the
two studio hosts. A soft shadow on a wall shows a shape, not facets, so each mesh casts through a simplified
copy of itself (quadric edge collapse, fast-simplification), skinned to the same joints, that only the
shadow camera sees; the mesh itself is hidden from that camera.
"""
from __future__ import annotations

from typing import NamedTuple

import fast_simplification
import numpy as np
from numba import njit
from panda3d.core import (
    CullFaceAttrib,
    DepthWriteAttrib,
    Geom,
    GeomEnums,
    GeomNode,
    GeomTriangles,
    GeomVertexAnimationSpec,
    GeomVertexArrayFormat,
    GeomVertexData,
    GeomVertexFormat,
    InternalName,
    NodePath,
    RenderState,
    SparseArray,
    TransformBlendTable,
)

from .lighting import SHADOW_MAP_CAMERA, VIEW_CAMERA

KEPT = 0.1                 # of a mesh's triangles, in its stand-in ...
FEWEST = 1000              # ... and no fewer: a mesh of under twice this many casts as itself
WELD = 1e5                 # vertices at one position (to 10 µm) with one skin weighting are one vertex
_NUMERIC = {GeomEnums.NT_float32: np.float32, GeomEnums.NT_uint8: np.uint8, GeomEnums.NT_uint16: np.uint16,
            GeomEnums.NT_uint32: np.uint32}


class MeshPart(NamedTuple):
    """One geom's triangles as the stand-in reads them."""
    positions: np.ndarray               # (n, 3) float64, the mesh's own space
    blends: np.ndarray | None           # (n,) index into `table` per vertex; None for a rigid mesh
    triangles: np.ndarray               # (t, 3) vertex indices
    table: TransformBlendTable | None   # the skin weightings the blends name
    two_sided: bool                     # drawn without back-face culling


def cast_through_proxies(model: NodePath) -> int:
    """Give each mesh of `model` that casts a shadow a simplified stand-in for the shadow map; how many
    meshes got one. A mesh placed several times (a glTF mesh used by several nodes) gets one stand-in,
    placed beside each of its copies."""
    casting = [path for path in model.find_all_matches("**/+GeomNode") if not path.is_hidden(SHADOW_MAP_CAMERA)]
    stand_ins: dict[GeomNode, GeomNode | None] = {}
    for path in casting:
        node = path.node()
        if node not in stand_ins:
            stand_ins[node] = _proxy(node)
        if stand_ins[node] is not None:
            stand_in = path.get_parent().attach_new_node(stand_ins[node])
            stand_in.set_transform(path.get_transform())
            stand_in.hide(VIEW_CAMERA)
    for path in casting:            # hidden last: a shared node hidden here is hidden at all its copies
        if stand_ins[path.node()] is not None:
            path.hide(SHADOW_MAP_CAMERA)
    return sum(proxy is not None for proxy in stand_ins.values())


def _proxy(node: GeomNode) -> GeomNode | None:
    """The stand-in for one GeomNode's triangles, merged into one mesh; None where it would not pay (a
    small mesh, skinned and rigid parts mixed, vertex columns of a kind this does not read). Geoms that
    write no depth (blended ones) cast no shadow, and are left out."""
    states = [node.get_state().compose(node.get_geom_state(i)) for i in range(node.get_num_geoms())]
    parts = [_triangles(node.get_geom(i), state) for i, state in enumerate(states) if _writes_depth(state)]
    if not parts or any(part is None for part in parts):
        return None
    skinned = {part.table is not None for part in parts}
    if len(skinned) > 1 or sum(len(part.triangles) for part in parts) < 2 * FEWEST:
        return None
    table = TransformBlendTable() if skinned.pop() else None
    positions, blends, triangles, offset = [], [], [], 0
    for part in parts:
        blend = np.zeros(len(part.positions), np.int64)
        if table is not None:           # the parts' blends as entries of the one table
            blend = np.array([table.add_blend(part.table.get_blend(k)) for k in range(part.table.get_num_blends())],
                             np.int64)[part.blends]
        positions.append(part.positions)
        blends.append(blend)
        triangles.append(part.triangles + offset)
        offset += len(part.positions)
    pos, blend, tris = np.concatenate(positions), np.concatenate(blends), np.concatenate(triangles)
    # Welded first: a UV seam otherwise splits the surface into pieces whose borders would not simplify.
    _, first, welded = np.unique(np.column_stack([np.round(pos * WELD).astype(np.int64), blend]), axis=0,
                                 return_index=True, return_inverse=True)
    mesh_pos, mesh_blend = pos[first], blend[first]
    kept_pos, kept_tris = fast_simplification.simplify(mesh_pos, welded.reshape(-1)[tris].astype(np.int32),
                                                       target_count=max(FEWEST, int(len(tris) * KEPT)))
    # The simplified vertices stand where the collapses put them, on the planes of the triangles they
    # replace (a rounded surface does not shrink to its chords); each is skinned as the mesh vertex
    # nearest it.
    kept_blend = mesh_blend[nearest(kept_pos, mesh_pos)] if table is not None else None
    proxy = _geom_node(f"{node.get_name()}:shadow", kept_pos, kept_blend, np.asarray(kept_tris, np.uint32), table)
    if any(part.two_sided for part in parts):      # as the mesh was drawn into the map: from both sides
        proxy.set_attrib(CullFaceAttrib.make(CullFaceAttrib.M_cull_none))
    return proxy


def _writes_depth(state: RenderState) -> bool:
    write = state.get_attrib(DepthWriteAttrib) if state.has_attrib(DepthWriteAttrib) else None
    return write is None or write.get_mode() != DepthWriteAttrib.M_off


@njit(cache=True)
def nearest(points: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each of `points` (n, 3), the index of the nearest of `among` (m, 3), exactly. `among` is bucketed
    in a grid sized for points on a surface (about √(m/2) cells along the longest side), and each point
    searches shells of cells outward until no nearer one can lie beyond: a tenth of a second for 5,000
    points against 50,000, where comparing every pair took half a second and 200,000 seven."""
    lo = np.array([among[:, k].min() for k in range(3)])
    extent = np.array([among[:, k].max() for k in range(3)]) - lo
    cell = max(extent.max() / max(1.0, np.sqrt(len(among) / 2.0)), 1e-9)
    dims = (extent / cell).astype(np.int64) + 1
    key = np.empty(len(among), np.int64)
    for j in range(len(among)):
        c = ((among[j] - lo) / cell).astype(np.int64)
        key[j] = (c[0] * dims[1] + c[1]) * dims[2] + c[2]
    order = np.argsort(key)
    sorted_key = key[order]
    found = np.empty(len(points), np.int64)
    for i in range(len(points)):
        home = np.minimum(np.maximum(((points[i] - lo) / cell).astype(np.int64), 0), dims - 1)
        best, found[i], ring = np.inf, 0, 0
        while ring <= dims.max() and best > ((ring - 1) * cell) ** 2:
            for x in range(home[0] - ring, home[0] + ring + 1):
                for y in range(home[1] - ring, home[1] + ring + 1):
                    for z in range(home[2] - ring, home[2] + ring + 1):
                        shell = max(abs(x - home[0]), abs(y - home[1]), abs(z - home[2])) == ring
                        if not shell or min(x, y, z) < 0 or x >= dims[0] or y >= dims[1] or z >= dims[2]:
                            continue
                        k = (x * dims[1] + y) * dims[2] + z
                        for j in range(np.searchsorted(sorted_key, k), np.searchsorted(sorted_key, k, "right")):
                            d = ((points[i] - among[order[j]]) ** 2).sum()
                            if d < best:
                                best, found[i] = d, order[j]
            ring += 1
    return found


def _triangles(geom: Geom, state: RenderState) -> MeshPart | None:
    """A geom's positions, skin blends and triangles; None when it holds other primitives or columns of
    a kind this does not read."""
    vdata = geom.get_vertex_data()
    position = vertex_column(vdata, InternalName.get_vertex())
    if position is None or position.dtype != np.float32:
        return None
    table = vdata.get_transform_blend_table()
    blend = vertex_column(vdata, InternalName.get_transform_blend()) if table is not None else None
    if table is not None and blend is None:
        return None
    tris = []
    for k in range(geom.get_num_primitives()):
        prim = geom.get_primitive(k)
        if prim.get_primitive_type() != GeomEnums.PT_polygons:
            return None
        prim = prim.decompose()
        if prim.is_indexed():
            kind = _NUMERIC.get(prim.get_index_type())
            if kind is None:
                return None
            tris.append(np.frombuffer(bytes(prim.get_vertices().get_handle().get_data()), kind).astype(np.int64))
        else:
            tris.append(np.arange(prim.get_first_vertex(), prim.get_first_vertex() + prim.get_num_vertices()))
    cull = state.get_attrib(CullFaceAttrib) if state.has_attrib(CullFaceAttrib) else None
    return MeshPart(position[:, :3].astype(np.float64), None if blend is None else blend[:, 0].astype(np.int64),
                np.concatenate(tris).reshape(-1, 3) if tris else np.zeros((0, 3), np.int64), table,
                cull is not None and cull.get_effective_mode() == CullFaceAttrib.M_cull_none)


def vertex_column(vdata: GeomVertexData, name: InternalName | str) -> np.ndarray | None:
    """One vertex column as an (n, components) array of its own numeric type; None if absent or of a
    numeric type this does not read."""
    fmt = vdata.get_format()
    column = fmt.get_column(name)
    if column is None or column.get_numeric_type() not in _NUMERIC:
        return None
    array = vdata.get_array(fmt.get_array_with(name))
    rows = np.frombuffer(bytes(array.get_handle().get_data()), np.uint8)
    rows = rows.reshape(vdata.get_num_rows(), array.get_array_format().get_stride())
    start, width = column.get_start(), column.get_num_components() * column.get_component_bytes()
    kind = _NUMERIC[column.get_numeric_type()]
    return np.ascontiguousarray(rows[:, start:start + width]).view(kind).reshape(vdata.get_num_rows(), -1)


def _geom_node(name: str, pos: np.ndarray, blend: np.ndarray | None, tris: np.ndarray,
               table: TransformBlendTable | None) -> GeomNode:
    """Positions (and a skin blend index each, animated by Panda on the CPU like the mesh's own) and
    triangles as a GeomNode."""
    array = GeomVertexArrayFormat()
    array.add_column(InternalName.get_vertex(), 3, GeomEnums.NT_float32, GeomEnums.C_point)
    fields = {"names": ["pos"], "formats": [(np.float32, 3)], "offsets": [0]}
    if table is not None:
        array.add_column(InternalName.get_transform_blend(), 1, GeomEnums.NT_uint16, GeomEnums.C_index)
        fields["names"].append("blend")
        fields["formats"].append(np.uint16)
        fields["offsets"].append(array.get_column(InternalName.get_transform_blend()).get_start())
    fmt = GeomVertexFormat()
    fmt.add_array(array)
    if table is not None:
        animation = GeomVertexAnimationSpec()
        animation.set_panda()
        fmt.set_animation(animation)
    vdata = GeomVertexData(name, GeomVertexFormat.register_format(fmt), GeomEnums.UH_static)
    rows = np.zeros(len(pos), np.dtype({**fields, "itemsize": array.get_stride()}))
    rows["pos"] = pos
    if table is not None:
        rows["blend"] = blend
        table.set_rows(SparseArray.lower_on(len(pos)))       # Panda animates only the rows a table names
        vdata.set_transform_blend_table(table)
    vdata.unclean_set_num_rows(len(pos))
    vdata.modify_array_handle(0).set_data(rows.tobytes())
    prim = GeomTriangles(GeomEnums.UH_static)
    prim.set_index_type(GeomEnums.NT_uint32)
    indices = prim.modify_vertices()
    indices.unclean_set_num_rows(tris.size)
    indices.modify_handle().set_data(tris.tobytes())
    geom = Geom(vdata)
    geom.add_primitive(prim)
    node = GeomNode(name)
    node.add_geom(geom)
    return node
