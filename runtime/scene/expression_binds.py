"""Expressions that bind material colours or texture transforms, applied to a loaded model.

panda3d-gltf gives each glTF material a Panda Material of the same name and turns KHR_texture_transform
into a TexMatrixAttrib; an expression moves those from the file's values toward its targets. Colour kinds
that only MToon draws (shade, rim, outline, matcap) have nothing to move here.
"""
from __future__ import annotations

import numpy as np
from panda3d.core import (GeomNode, LColor, Mat3, Material, MaterialAttrib, NodePath, RenderState, TexMatrixAttrib,
                          TextureAttrib, TransformState)

from ..skeleton.expressions import ExpressionEngine, TextureBind
from .material_geoms import material_geoms


def _panda_texture_matrix(scale: np.ndarray, offset: np.ndarray) -> TransformState:
    """glTF's UV transform (origin at the top left) as Panda's (origin at the bottom left)."""
    mat = Mat3.translate_mat(0, -1) * Mat3.scale_mat(float(scale[0]), float(scale[1])) * Mat3.translate_mat(0, 1)
    mat *= Mat3.translate_mat(float(offset[0]), -float(offset[1]))
    return TransformState.make_mat3(mat)


class ExpressionBinds:
    """The geoms each bound material is drawn with, their states as loaded, and the materials' values in
    the file; `apply` sets this tick's colours and texture transforms."""

    def __init__(self, root: NodePath, gltf: dict, engine: ExpressionEngine) -> None:
        self.engine = engine
        binds = [b for e in engine.materials for b in (*engine.expressions[engine.names[e]].colors,
                                                       *engine.expressions[engine.names[e]].textures)]
        materials = gltf.get("materials", [])
        wanted = {b.material for b in binds if 0 <= b.material < len(materials)}
        self.geoms: dict[int, list[tuple[GeomNode, int, RenderState]]] = {m: [] for m in wanted}
        for node, i, state, m in material_geoms(root, gltf, wanted):
            self.geoms[m].append((node, i, state))
        self.textures: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.colors: dict[tuple[int, str], np.ndarray] = {}
        for b in binds:
            if b.material not in wanted:
                continue
            pbr = materials[b.material].get("pbrMetallicRoughness", {})
            if isinstance(b, TextureBind):
                t = pbr.get("baseColorTexture", {}).get("extensions", {}).get("KHR_texture_transform", {})
                self.textures[b.material] = (np.array(t.get("scale", (1.0, 1.0)), float),
                                             np.array(t.get("offset", (0.0, 0.0)), float))
            elif b.kind == "color":
                self.colors[(b.material, b.kind)] = np.array(pbr.get("baseColorFactor", (1.0, 1.0, 1.0, 1.0)), float)
            elif b.kind == "emissionColor":
                self.colors[(b.material, b.kind)] = np.array([*materials[b.material].get("emissiveFactor", (0, 0, 0)), 1.0])

        self._applied: np.ndarray | None = None       # the outputs of the bound expressions last applied

    @property
    def empty(self) -> bool:
        return not (self.textures or self.colors)

    def apply(self, out: np.ndarray) -> None:
        """Set the bound materials for resolved expression outputs `out` (nothing to do if theirs have not
        changed since the last frame)."""
        bound = out[self.engine.materials]
        if self._applied is not None and np.array_equal(bound, self._applied):
            return
        self._applied = bound.copy()
        for m, (scale, offset) in self.engine.texture_transforms(out, self.textures).items():
            transform = _panda_texture_matrix(scale, offset)
            for node, i, state in self.geoms[m]:
                textures = state.get_attrib(TextureAttrib)
                if textures and textures.get_num_on_stages():
                    stage = textures.get_on_stage(0)
                    node.set_geom_state(i, node.get_geom_state(i).set_attrib(TexMatrixAttrib.make(stage, transform)))
        colors = self.engine.colors(out, self.colors)
        for m in {m for m, _ in colors}:
            for node, i, state in self.geoms[m]:
                state = node.get_geom_state(i)                   # with this tick's texture transform
                material = Material(state.get_attrib(MaterialAttrib).get_material())
                if (m, "color") in colors:
                    material.set_base_color(LColor(*colors[(m, "color")]))
                if (m, "emissionColor") in colors:
                    material.set_emission(LColor(*colors[(m, "emissionColor")]))
                node.set_geom_state(i, state.set_attrib(MaterialAttrib.make(material)))
