"""Load a rig into Panda3D and write canonical poses onto it: the only place poses touch Panda3D.

Bones are driven through control nodes (skinned rigs) or moved directly (rigs whose humanoid bones are
plain nodes); morph sliders through control nodes whose X is the weight. The maths is numpy on 3x3
matrices in the column-vector convention; Panda's row-vector matrices are transposed at the boundary.
"""
from __future__ import annotations

import io
import logging
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
from panda3d.core import (
    CharacterJoint,
    GeomEnums,
    GeomVertexArrayFormat,
    GeomVertexFormat,
    InternalName,
    LMatrix4f,
    NodePath,
    PandaNode,
)

from ..skeleton import quat
from ..skeleton.expressions import ExpressionEngine
from ..skeleton.face import CHANNEL_INDEX, JAW_OPEN
from ..skeleton.frame import Y_UP_TO_Z_UP, detect_frame, orthonormal
from ..skeleton.humanoid import BONE_NAMES, PARENT
from ..skeleton.pose import BONE_INDEX, Pose
from ..skeleton.rigfile import RigError, RigInfo, load_rig_info, skeleton_of
from .expression_binds import ExpressionBinds
from .spring_binds import SpringBinds

log = logging.getLogger(__name__)

JAW_MAX = np.radians(16.0)
LEFT_EYE = BONE_INDEX["leftEye"]


def _to_np(m) -> np.ndarray:
    """Panda LMatrix4 (row vectors) -> numpy 4x4 (column vectors)."""
    return np.array([[m.get_cell(r, c) for c in range(4)] for r in range(4)]).T


def to_panda_matrix(m: np.ndarray) -> LMatrix4f:
    return LMatrix4f(*m.T.reshape(-1))


def load_model(info: RigInfo) -> NodePath:
    """Convert the fixed-up glTF JSON with panda3d-gltf."""
    from gltf._converter import Converter, GltfSettings

    settings = GltfSettings(skip_animations=True)
    converter = Converter(str(info.path.resolve()), settings=settings)
    chatter = io.StringIO()
    try:
        with redirect_stdout(chatter):
            converter.update(info.gltf)
    except Exception as e:  # the loader raises bare KeyErrors/AssertionErrors on files it cannot take
        raise RigError(f"{info.path}: the glTF loader failed: {type(e).__name__}: {e}") from None
    for line in chatter.getvalue().splitlines():
        log.debug("%s: %s", info.path.name, line)
    scene = converter.active_scene
    _first_uvs_as_default(scene)
    return scene


def _first_uvs_as_default(scene: NodePath) -> None:
    """panda3d-gltf names a mesh's first UV set `texcoord.0`, which a GLSL program cannot ask for
    (p3d_MultiTexCoord0 is `texcoord`): the UVs are copied into a `texcoord` column of their own and the
    texture stages that used the first set use it."""
    first, default = InternalName.get_texcoord_name("0"), InternalName.get_texcoord()
    for node in scene.find_all_matches("**/+GeomNode"):
        geom_node = node.node()
        for i in range(geom_node.get_num_geoms()):
            vdata = geom_node.modify_geom(i).modify_vertex_data()
            fmt = vdata.get_format()
            if not fmt.has_column(first) or fmt.has_column(default):
                continue
            source = fmt.get_array(fmt.get_array_with(first))
            column = source.get_column(first)
            raw = np.frombuffer(bytes(vdata.get_array(fmt.get_array_with(first)).get_handle().get_data()), np.uint8)
            rows = raw.reshape(-1, source.get_stride())[:, column.get_start():column.get_start() + 8]
            extended = GeomVertexFormat(fmt)
            extended.add_array(GeomVertexArrayFormat(default, 2, GeomEnums.NT_float32, GeomEnums.C_texcoord))
            vdata.set_format(GeomVertexFormat.register_format(extended))
            uvs = vdata.modify_array(vdata.get_format().get_array_with(default)).modify_handle()
            uvs.copy_data_from(np.ascontiguousarray(rows).tobytes())
    for stage in scene.find_all_texture_stages():
        if stage.get_texcoord_name() == first:
            stage.set_texcoord_name(default)


class Character:
    """One loaded rig and the binding from canonical poses onto it."""

    def __init__(self, path: str | Path, mapping: str | Path | None = None) -> None:
        self.info = load_rig_info(path, mapping)
        for w in self.info.warnings:
            log.warning("%s: %s", self.info.path.name, w)
        self.root = load_model(self.info)
        self._bundles = [c.node().get_bundle(0) for c in self.root.find_all_matches("**/+Character")]
        self._bind_bones()
        self.skeleton = skeleton_of(self.info)           # the canonical skeleton, with the rig's spring bones
        self.springs = SpringBinds(self.skeleton.springs, self.control, self.frame)
        self._bind_expressions()

    # -- binding -------------------------------------------------------------------------------
    def _joint_tables(self) -> dict[str, tuple[np.ndarray, str | None]]:
        """Rig joint name -> (rest local 4x4, parent name) for every joint or node."""
        table: dict[str, tuple[np.ndarray, str | None]] = {}
        for bundle in self._bundles:
            def walk(group, parent):
                for i in range(group.get_num_children()):
                    child = group.get_child(i)
                    name = child.get_name()
                    if child.is_of_type(CharacterJoint.get_class_type()):
                        table[name] = (_to_np(child.get_default_value()), parent)
                        walk(child, name)
                    else:
                        walk(child, parent)
            walk(bundle, None)
        return table

    def _bind_bones(self) -> None:
        info = self.info
        self._joints = self._joint_tables() if info.skinned else {}
        self._rest_world: dict[str, np.ndarray] = {}
        self._char_nodes = {b.get_name(): NodePath(c.node()) for c in self.root.find_all_matches("**/+Character")
                            for b in [c.node().get_bundle(0)]}
        self.bone_index: list[int] = []
        self.nodes: list[NodePath] = []
        rest_local, parent_world = [], []
        for bone in BONE_NAMES:
            rig_name = info.bones.get(bone)
            bound = self.control(rig_name, f"control:{bone}", f"bone {bone}") if rig_name is not None else None
            if bound is None:
                continue
            node, local, pw = bound
            self.bone_index.append(BONE_INDEX[bone])
            self.nodes.append(node)
            rest_local.append(local)
            parent_world.append(pw)
        # A canonical bone the rig lacks sits on its parent; its rotation is carried by its children.
        bound = {BONE_NAMES[i] for i in self.bone_index}
        self._fold = [(BONE_INDEX[m], np.array([BONE_INDEX[c] for c in BONE_NAMES if PARENT[c] == m]))
                      for m in BONE_NAMES if m not in bound and any(PARENT[c] == m for c in BONE_NAMES)]
        if not self.nodes:
            self._pre = self._post = self._rest = np.zeros((0, 4, 4))
            self._axis, self._hips = Y_UP_TO_Z_UP, None
            return
        self._rest = np.array(rest_local)
        W = np.array([orthonormal(m[:3, :3]) for m in parent_world])
        self._pre = np.transpose(W, (0, 2, 1))                   # W_p^-1
        self._post = W @ self._rest[:, :3, :3]                   # W_p L_b
        self._axis = self._detect_frame(np.array(parent_world) @ self._rest)
        self._hips = self.bone_index.index(BONE_INDEX["hips"]) if BONE_INDEX["hips"] in self.bone_index else None

    def _world_of(self, name: str | None) -> np.ndarray:
        """A skinned rig's joint at rest, in its character's space."""
        if name is None:
            return np.eye(4)
        if name not in self._rest_world:
            local, parent = self._joints[name]
            self._rest_world[name] = self._world_of(parent) @ local
        return self._rest_world[name]

    def control(self, rig_name: str, control: str, what: str) -> tuple[NodePath, np.ndarray, np.ndarray] | None:
        """Take over a rig joint (through a control node named `control`) or a plain node: (the node to
        set, its rest local 4x4, its parent's rest world 4x4 in the rig root's space); None, with a warning
        naming `what`, when it cannot be driven."""
        if rig_name in self._joints:
            local, parent = self._joints[rig_name]
            bundle = next(b for b in self._bundles if b.find_child(rig_name))
            above = _to_np(self._char_nodes[bundle.get_name()].get_mat(self.root))
            node = self.root.attach_new_node(PandaNode(control))
            if not bundle.control_joint(rig_name, node.node()):
                self.info.warnings.append(f"{what} ({rig_name}) could not be controlled")
                return None
            pw = above @ self._world_of(parent)
        else:
            node = self.root.find(f"**/{rig_name}")
            if node.is_empty():
                self.info.warnings.append(f"{what}: node {rig_name!r} not found after loading")
                return None
            local = _to_np(node.get_mat())
            pw = _to_np(node.get_parent().get_mat(self.root))
        node.set_mat(to_panda_matrix(local))
        return node, local, pw

    def _detect_frame(self, model_world: np.ndarray) -> np.ndarray:
        pos = {BONE_NAMES[b]: model_world[i][:3, 3] for i, b in enumerate(self.bone_index)}
        return detect_frame(pos, default_up=(0.0, 0.0, 1.0), default_left=(1.0, 0.0, 0.0))

    def _bind_expressions(self) -> None:
        info = self.info
        self.expressions = ExpressionEngine(info.expressions, info.feed, info.sliders, info.look)
        self.slider_nodes: list[NodePath | None] = []
        for name in self.expressions.sliders:
            node = self.root.attach_new_node(PandaNode(f"slider:{name}"))
            if any(b.control_joint(name, node.node()) for b in self._bundles):
                self.slider_nodes.append(node)
            else:
                node.remove_node()
                self.slider_nodes.append(None)
                info.warnings.append(f"morph {name!r} has no slider after loading")
        self.material_binds = ExpressionBinds(self.root, info.gltf, self.expressions)
        self._jaw_open = np.array([JAW_OPEN[v] if v in JAW_OPEN else 0.0 for v in CHANNEL_INDEX]) \
            if info.jaw_only else None

    # -- writing poses -------------------------------------------------------------------------
    def local_matrices(self, pose: Pose) -> np.ndarray:
        """(n_bound, 4, 4) Panda-space local matrices for `pose`."""
        if not self.nodes:
            return self._rest
        rotations = pose.rotations
        if self._fold:
            rotations = rotations.copy()
            for missing, children in self._fold:
                rotations[children] = quat.multiply(rotations[missing], rotations[children])
        rot = rotations[self.bone_index]
        if self._jaw_open is not None and BONE_INDEX["jaw"] in self.bone_index:
            k = self.bone_index.index(BONE_INDEX["jaw"])
            opening = float(np.clip(self._jaw_open @ pose.face, 0, 1)) * JAW_MAX
            rot = rot.copy()
            rot[k] = quat.multiply(rot[k], quat.from_axis_angle([1.0, 0, 0], opening))
        r = self._axis @ quat.to_matrix(rot) @ self._axis.T
        out = self._rest.copy()
        out[:, :3, :3] = self._pre @ r @ self._post
        if self._hips is not None:
            out[self._hips, :3, 3] += self._pre[self._hips] @ (self._axis @ pose.hips_offset)
        return out

    def expression_weights(self, pose: Pose) -> np.ndarray:
        """The rig's expressions' output weights for `pose` (overrides applied); the eyes' direction
        drives the look-at expressions of a rig that looks with them."""
        eyes = None
        if self.expressions.look is not None:
            x, y, z = quat.rotate(pose.rotations[LEFT_EYE], np.array([0.0, 0.0, 1.0]))
            eyes = (np.degrees(np.arctan2(x, z)), np.degrees(np.arctan2(y, np.hypot(x, z))))
        return self.expressions.weights(pose.face, eyes, pose.custom)

    def apply(self, pose: Pose) -> None:
        for node, m in zip(self.nodes, self.local_matrices(pose)):
            node.set_mat(to_panda_matrix(m))
        for node, m in zip(self.springs.nodes, self.springs.local_matrices(pose.springs)):
            node.set_mat(to_panda_matrix(m))
        if not self.expressions.names:
            return
        out = self.expression_weights(pose)
        for node, w in zip(self.slider_nodes, self.expressions.morphs(out)):
            if node is not None:
                node.set_x(float(w))
        if not self.material_binds.empty:
            self.material_binds.apply(out)

    def bone_positions(self) -> dict[str, np.ndarray]:
        """Where Panda3D has each bound bone now, in the rig root's space: read back from the scene
        graph (after the character's own update), not from our matrices."""
        for bundle in self._bundles:
            bundle.force_update()
        out = {}
        for i, node in zip(self.bone_index, self.nodes):
            name = self.info.bones[BONE_NAMES[i]]
            joint = next((b.find_child(name) for b in self._bundles if b.find_child(name)), None)
            if joint is not None:
                m = LMatrix4f()
                joint.get_net_transform(m)
                char = next(c for c in self.root.find_all_matches("**/+Character")
                            if c.node().get_bundle(0).find_child(name))
                p = char.get_mat(self.root).xform_point(m.get_row3(3))
            else:
                p = node.get_pos(self.root)
            out[BONE_NAMES[i]] = np.array(p)
        return out

    @property
    def frame(self) -> np.ndarray:
        """3x3: host-frame vectors (glTF convention: +X left, +Y up, +Z forward) to Panda model space."""
        return self._axis

    @property
    def upright(self) -> np.ndarray:
        """3x3 rotation that stands this rig upright facing the audience (-Y) in a Panda scene."""
        return Y_UP_TO_Z_UP @ self._axis.T
