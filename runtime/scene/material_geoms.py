"""Which of a loaded model's geoms each glTF material draws."""
from __future__ import annotations

from typing import Iterable

from panda3d.core import GeomNode, MaterialAttrib, NodePath, RenderState


def material_geoms(root: NodePath, gltf: dict, wanted: Iterable[int]) -> list[tuple[GeomNode, int, RenderState, int]]:
    """(node, geom index, state, glTF material) for every geom under `root` drawn with one of the glTF materials
    `wanted`, in the scene's order. panda3d-gltf names each Panda material after its glTF material (or matN);
    of two materials with one name, the first is the one found."""
    materials = gltf.get("materials", [])
    names = {materials[m].get("name", f"mat{m}"): m
             for m in sorted((m for m in wanted if 0 <= m < len(materials)), reverse=True)}
    found = []
    for np_ in root.find_all_matches("**/+GeomNode"):
        node = np_.node()
        for i in range(node.get_num_geoms()):
            state = node.get_geom_state(i)
            attrib = state.get_attrib(MaterialAttrib)
            material = attrib.get_material() if attrib else None
            if material is not None and material.get_name() in names:
                found.append((node, i, state, names[material.get_name()]))
    return found
