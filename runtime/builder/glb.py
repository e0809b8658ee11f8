"""A small deterministic glTF 2.0 binary (.glb) writer for skinned, morphing meshes.

Same inputs give the same bytes on every machine: float arrays are snapped to a grid of 2^-20 (about a
micrometre) before they are written, so results that differ in the last bits between CPUs' vector units
or numpy builds (a -2.7e-18 here, a +2.0e-18 there) write the same float32; arrays are little-endian
float32/uint16/uint32 in a fixed order, and the JSON chunk uses sorted keys and fixed separators.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..glbfile import pack_glb
from ..png import png_bytes
from .mesh import Part

FLOAT, USHORT, UINT = 5126, 5123, 5125
ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
LINEAR, LINEAR_MIPMAP_LINEAR, CLAMP_TO_EDGE = 9729, 9987, 33071


@dataclass
class Joint:
    name: str
    parent: int          # index into the joint list, -1 for the root
    position: np.ndarray  # rest position in model space (identity rest rotations)


@dataclass
class Material:
    name: str
    color: tuple[float, float, float]   # linear RGB
    roughness: float = 0.7
    double_sided: bool = False
    texture: np.ndarray | None = None   # (H, W, 3) uint8 sRGB, multiplied by `color`; its parts carry UVs
    outline: float = 0.0                # MToon outline width in metres (0: none)


@dataclass
class Collider:
    joint: int                          # index into the joint list
    offset: tuple[float, float, float]  # from the joint, in its (model-aligned) rest frame
    radius: float


@dataclass
class Spring:
    """One VRMC_springBone chain: joints from the root of a lock to its tip, each the child of the last."""
    name: str
    joints: list[int]
    stiffness: float
    drag: float
    gravity: float
    hit_radius: float


def shade_color(color: tuple[float, float, float]) -> list[float]:
    """MToon's shade: the lit colour darker and warmer (red kept most, blue least), as anime shading paints."""
    return [round(c * k, 5) for c, k in zip(color, (0.72, 0.56, 0.52))]


def _mtoon(material: Material, texture: int | None) -> dict:
    ext = {"specVersion": "1.0", "shadeColorFactor": shade_color(material.color), "shadingToonyFactor": 0.9,
           "shadingShiftFactor": -0.05, "giEqualizationFactor": 0.9, "outlineLightingMixFactor": 1.0,
           "outlineWidthMode": "worldCoordinates" if material.outline else "none",
           "outlineWidthFactor": material.outline,
           "outlineColorFactor": [round(c * 0.25, 5) for c in material.color]}
    if texture is not None:
        ext["shadeMultiplyTexture"] = {"index": texture}
    return ext


def _springs_json(springs: list[Spring], colliders: list[Collider], first_joint: int) -> dict:
    return {
        "specVersion": "1.0",
        "colliders": [{"node": first_joint + c.joint,
                       "shape": {"sphere": {"offset": [round(v, 6) + 0.0 for v in c.offset],
                                            "radius": round(c.radius, 6)}}} for c in colliders],
        "colliderGroups": [{"name": "body", "colliders": list(range(len(colliders)))}],
        "springs": [{"name": s.name, "colliderGroups": [0],
                     "joints": [{"node": first_joint + j, "hitRadius": s.hit_radius, "stiffness": s.stiffness,
                                 "gravityPower": s.gravity, "gravityDir": [0.0, -1.0, 0.0], "dragForce": s.drag}
                                for j in s.joints]} for s in springs],
    }


class _Buffer:
    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def add_view(self, raw: bytes, target: int | None = None) -> int:
        """A buffer view of `raw` (an embedded image, or an accessor's data), 4-byte aligned."""
        while len(self.data) % 4:
            self.data.append(0)
        view = {"buffer": 0, "byteOffset": len(self.data), "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        self.data.extend(raw)
        self.views.append(view)
        return len(self.views) - 1

    def add(self, array: np.ndarray, component: int, kind: str, target: int | None,
            with_bounds: bool = False) -> int:
        dtype = {FLOAT: "<f4", USHORT: "<u2", UINT: "<u4"}[component]
        view = self.add_view(np.ascontiguousarray(array, dtype=dtype).tobytes(), target)
        acc = {"bufferView": view, "componentType": component,
               "count": int(array.shape[0]), "type": kind}
        if with_bounds:
            a = np.asarray(array, dtype=np.float32)
            acc["min"] = [float(v) for v in a.min(axis=0)]
            acc["max"] = [float(v) for v in a.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


GRID = 2.0 ** 20


def snap(values: np.ndarray) -> np.ndarray:
    """Round to the writer's grid; `+ 0.0` turns the -0.0 of a tiny negative value into +0.0."""
    return np.round(np.asarray(values, dtype=np.float64) * GRID) / GRID + 0.0


def snap_weights(weights: np.ndarray) -> np.ndarray:
    """Snapped skin weights whose rows still sum to exactly 1: the largest weight takes the remainder."""
    w = snap(weights)
    rows, top = np.arange(len(w)), np.argmax(w, axis=1)
    w[rows, top] = 0.0
    w[rows, top] = 1.0 - w.sum(axis=1)
    return w


def _snapped(part: Part) -> Part:
    return Part(part.material, snap(part.positions), part.indices, part.joints, snap_weights(part.weights),
                {name: snap(delta) for name, delta in part.morphs.items()},
                None if part.uvs is None else snap(part.uvs))


def _merge(parts: list[Part], target_names: list[str]) -> Part:
    """Concatenate parts that share a material into one primitive."""
    offset, idx = 0, []
    for p in parts:
        idx.append(p.indices + offset)
        offset += len(p.positions)
    morphs = {name: np.vstack([p.morphs.get(name, np.zeros_like(p.positions)) for p in parts])
              for name in target_names}
    textured = [p.uvs is not None for p in parts]
    if any(textured) and not all(textured):
        raise ValueError(f"material {parts[0].material!r}: some of its parts have UVs and some have none")
    uvs = np.vstack([p.uvs for p in parts]) if all(textured) else None
    return Part(parts[0].material, np.vstack([p.positions for p in parts]), np.concatenate(idx),
                np.vstack([p.joints for p in parts]), np.vstack([p.weights for p in parts]), morphs, uvs)


def make_glb(name: str, joints: list[Joint], meshes: dict[str, list[Part]],
             materials: list[Material], target_names: dict[str, list[str]], extras: dict,
             springs: list[Spring] = (), colliders: list[Collider] = ()) -> bytes:
    """One skinned character as GLB bytes: a root node holding the armature, and every mesh (one skin) as a root
    node of its own beside it (glTF ignores a skinned mesh's parents, and its validator warns of them).
    Materials carry VRMC_materials_mtoon; `springs` and `colliders` become VRMC_springBone."""
    buf = _Buffer()
    used = {p.material for parts in meshes.values() for p in parts}
    materials = [m for m in materials if m.name in used]          # an unused one is a validator's note
    mat_index = {m.name: i for i, m in enumerate(materials)}
    nodes: list[dict] = [{"name": name, "children": []}]
    first_joint = 1
    for j in joints:
        parent_pos = joints[j.parent].position if j.parent >= 0 else np.zeros(3)
        node = {"name": j.name}
        t = [round(float(v), 6) + 0.0 for v in (j.position - parent_pos)]   # no -0.0
        if any(t):
            node["translation"] = t
        nodes.append(node)
    for i, j in enumerate(joints):
        if j.parent >= 0:
            nodes[first_joint + j.parent].setdefault("children", []).append(first_joint + i)
        else:
            nodes[0]["children"].append(first_joint + i)

    ibm = np.zeros((len(joints), 4, 4), np.float32)
    for i, j in enumerate(joints):
        m = np.eye(4)
        m[:3, 3] = 0.0 - np.round(j.position, 6)    # 0.0 - x: never -0.0
        ibm[i] = m.T      # glTF stores column-major
    skin = {"joints": list(range(first_joint, first_joint + len(joints))),
            "inverseBindMatrices": buf.add(ibm.reshape(len(joints), 16), FLOAT, "MAT4", None),
            "skeleton": first_joint}

    gl_meshes = []
    for mesh_name, parts in meshes.items():
        names = target_names.get(mesh_name, [])
        prims = []
        for mat in materials:
            group = [p for p in parts if p.material == mat.name]
            if not group:
                continue
            part = _snapped(_merge(group, names))
            attrs = {
                "POSITION": buf.add(part.positions, FLOAT, "VEC3", ARRAY_BUFFER, with_bounds=True),
                "NORMAL": buf.add(snap(part.normals), FLOAT, "VEC3", ARRAY_BUFFER),
                "JOINTS_0": buf.add(np.where(part.weights > 0, part.joints, 0), USHORT, "VEC4", ARRAY_BUFFER),
                "WEIGHTS_0": buf.add(part.weights, FLOAT, "VEC4", ARRAY_BUFFER),
            }
            if part.uvs is not None:
                attrs["TEXCOORD_0"] = buf.add(part.uvs, FLOAT, "VEC2", ARRAY_BUFFER)
            big = len(part.positions) > 65535
            prim = {"attributes": attrs, "material": mat_index[mat.name], "mode": 4,
                    "indices": buf.add(part.indices, UINT if big else USHORT, "SCALAR", ELEMENT_ARRAY_BUFFER)}
            if names:
                prim["targets"] = [{"POSITION": buf.add(part.morphs[n], FLOAT, "VEC3", ARRAY_BUFFER,
                                                        with_bounds=True)} for n in names]
            prims.append(prim)
        mesh = {"name": mesh_name, "primitives": prims}
        if names:
            mesh["extras"] = {"targetNames": list(names)}
            mesh["weights"] = [0.0] * len(names)
        gl_meshes.append(mesh)
        nodes.append({"name": mesh_name, "mesh": len(gl_meshes) - 1, "skin": 0})

    images, gl_materials = [], []
    for m in materials:
        pbr = {"baseColorFactor": [round(c, 5) for c in m.color] + [1.0], "metallicFactor": 0.0,
               "roughnessFactor": m.roughness}
        texture = None
        if m.texture is not None:
            texture = len(images)
            pbr["baseColorTexture"] = {"index": texture}
            view = buf.add_view(png_bytes(m.texture, compress=False))
            images.append({"bufferView": view, "mimeType": "image/png", "name": m.name})
        gl_materials.append({"name": m.name, "doubleSided": m.double_sided, "pbrMetallicRoughness": pbr,
                             "extensions": {"VRMC_materials_mtoon": _mtoon(m, texture)}})
    doc = {
        "asset": {"version": "2.0", "generator": "cohost host builder"},
        "scene": 0, "scenes": [{"nodes": [0] + [i for i, n in enumerate(nodes) if "mesh" in n]}],
        "nodes": nodes, "skins": [skin], "meshes": gl_meshes, "materials": gl_materials,
        "accessors": buf.accessors, "bufferViews": buf.views,
        "buffers": [{"byteLength": len(buf.data)}],
        "extensionsUsed": ["VRMC_materials_mtoon"],
        "extras": extras,
    }
    if images:
        doc["images"] = images
        doc["samplers"] = [{"magFilter": LINEAR, "minFilter": LINEAR_MIPMAP_LINEAR, "wrapS": CLAMP_TO_EDGE,
                            "wrapT": CLAMP_TO_EDGE}]
        doc["textures"] = [{"sampler": 0, "source": i} for i in range(len(images))]
    if springs:
        doc["extensions"] = {"VRMC_springBone": _springs_json(list(springs), list(colliders), first_joint)}
        doc["extensionsUsed"].append("VRMC_springBone")
    return pack_glb(doc, bytes(buf.data))
