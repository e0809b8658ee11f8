"""Stand-ins that cast a model's shadow: each of its meshes simplified to a tenth of its triangles.

The shadow map draws every caster a second time each frame, and in software GL a host's tens of thousands
of small triangles cost nearly as much there as in the picture: about a sixth of the default frame for the
two studio hosts. A soft shadow on a wall shows a shape, not facets, so each mesh casts through a simplified
copy of itself (quadric edge collapse, fast-simplification), skinned to the same joints, that only the
shadow camera sees; the mesh itself is hidden from that camera.
"""
from __future__ import annotations

import fast_simplification
import numpy as np
from numba import njit
from panda3d.core import (
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
    SparseArray,
    TransformBlendTable,
)

from .lighting import SHADOW_MAP_CAMERA, VIEW_CAMERA

KEPT = 0.1                 # of a mesh's triangles, in its stand-in ...
FEWEST = 1000              # ... and no fewer: a mesh of under twice this many casts as itself
WELD = 1e5                 # vertices at one position (to 10 µm) with one skin weighting are one vertex
_NUMERIC = {GeomEnums.NT_float32: np.float32, GeomEnums.NT_uint8: np.uint8, GeomEnums.NT_uint16: np.uint16,
            GeomEnums.NT_uint32: np.uint32}


def cast_through_proxies(model: NodePath) -> int:
    """Give each mesh of `model` that casts a shadow a simplified stand-in for the shadow map; how many."""
    made = 0
    for node in model.find_all_matches("**/+GeomNode"):
        if node.is_hidden(SHADOW_MAP_CAMERA):
            continue
        proxy = _proxy(node.node())
        if proxy is None:
            continue
        stand_in = node.get_parent().attach_new_node(proxy)
        stand_in.set_transform(node.get_transform())
        stand_in.hide(VIEW_CAMERA)
        node.hide(SHADOW_MAP_CAMERA)
        made += 1
    return made


def _proxy(node: GeomNode) -> GeomNode | None:
    """The stand-in for one GeomNode's triangles, merged into one mesh; None where it would not pay (a
    small mesh, skinned and rigid parts mixed, vertex columns of a kind this does not read)."""
    parts = [_triangles(node.get_geom(i)) for i in range(node.get_num_geoms())]
    if not parts or any(part is None for part in parts):
        return None
    skinned = {part[3] is not None for part in parts}
    if len(skinned) > 1 or sum(len(part[2]) for part in parts) < 2 * FEWEST:
        return None
    table = TransformBlendTable() if skinned.pop() else None
    positions, blends, triangles, offset = [], [], [], 0
    for pos, blend, tris, own in parts:
        if table is not None:           # the parts' blends as entries of the one table
            blend = np.array([table.add_blend(own.get_blend(k)) for k in range(own.get_num_blends())],
                             np.int64)[blend]
        positions.append(pos)
        blends.append(blend if blend is not None else np.zeros(len(pos), np.int64))
        triangles.append(tris + offset)
        offset += len(pos)
    pos, blend, tris = np.concatenate(positions), np.concatenate(blends), np.concatenate(triangles)
    # Welded first: a UV seam otherwise splits the surface into pieces whose borders would not simplify.
    _, first, welded = np.unique(np.column_stack([np.round(pos * WELD).astype(np.int64), blend]), axis=0,
                                 return_index=True, return_inverse=True)
    pos, blend, tris = pos[first], blend[first], welded.reshape(-1)[tris].astype(np.int32)
    kept_pos, kept_tris = fast_simplification.simplify(pos, tris, target_count=max(FEWEST, int(len(tris) * KEPT)))
    # The simplified vertices stand where the collapses put them, on the planes of the triangles they
    # replace (a rounded surface does not shrink to its chords); each is skinned as the mesh vertex
    # nearest it.
    blend = blend[_nearest(kept_pos, pos)] if table is not None else None
    return _geom_node(f"{node.get_name()}:shadow", kept_pos, blend, np.asarray(kept_tris, np.uint32), table)


@njit(cache=True)
def _nearest(points: np.ndarray, among: np.ndarray) -> np.ndarray:
    """For each of `points`, the index of the nearest of `among` (a few thousand against tens of
    thousands, once per mesh as it loads)."""
    found = np.empty(len(points), np.int64)
    for i in range(len(points)):
        best, found[i] = np.inf, 0
        for j in range(len(among)):
            d = ((points[i, 0] - among[j, 0]) ** 2 + (points[i, 1] - among[j, 1]) ** 2
                 + (points[i, 2] - among[j, 2]) ** 2)
            if d < best:
                best, found[i] = d, j
    return found


def _triangles(geom: Geom) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, TransformBlendTable | None] | None:
    """A geom's positions, skin blend per vertex (None when rigid), triangles and blend table; None when
    it holds other primitives or columns of a kind this does not read."""
    vdata = geom.get_vertex_data()
    position = _column(vdata, InternalName.get_vertex())
    if position is None or position.dtype != np.float32:
        return None
    table = vdata.get_transform_blend_table()
    blend = _column(vdata, InternalName.get_transform_blend()) if table is not None else None
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
    tris = np.concatenate(tris).reshape(-1, 3) if tris else np.zeros((0, 3), np.int64)
    return position[:, :3].astype(np.float64), None if blend is None else blend[:, 0].astype(np.int64), tris, table


def _column(vdata: GeomVertexData, name: InternalName) -> np.ndarray | None:
    """One vertex column as an (n, components) array of its own numeric type; None if absent or unread."""
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
