"""Hosts cast their shadows through simplified stand-ins that follow their poses."""
from dataclasses import replace

import numpy as np
import pytest
from panda3d.core import CullFaceAttrib, DepthWriteAttrib, NodePath, Thread, TransparencyAttrib

from runtime.scene.lighting import SHADOW_MAP_CAMERA, VIEW_CAMERA
from runtime.scene.render import OffscreenRenderer
from runtime.scene.shadow_proxy import cast_through_proxies, nearest, vertex_column
from runtime.scene.shapes import SHAPES, geom_node
from runtime.sets.setfile import load_set, single_host_set
from runtime.skeleton import quat
from runtime.skeleton.pose import BONE_INDEX, Pose

from helpers import asset


def _triangles(node: NodePath) -> int:
    geoms = node.node()
    return sum(geoms.get_geom(i).get_primitive(k).decompose().get_num_primitives()
               for i in range(geoms.get_num_geoms()) for k in range(geoms.get_geom(i).get_num_primitives()))


def _skinned(node: NodePath) -> np.ndarray:
    """A GeomNode's vertices as Panda's CPU skinning places them now (the model's space)."""
    geoms = node.node()
    return np.concatenate([vertex_column(geoms.get_geom(i).get_animated_vertex_data(True, Thread.get_current_thread()),
                                         "vertex")[:, :3] for i in range(geoms.get_num_geoms())])


def _shadowed(rig) -> OffscreenRenderer:
    spec = single_host_set(rig)
    keyed = replace(spec, lights=[replace(light, shadows=light.name == "key") for light in spec.lights])
    return OffscreenRenderer(keyed, (160, 120))


def test_studio_hosts_cast_through_a_tenth_of_their_triangles(project):
    """Each mesh of 2,000 triangles or more of each studio host (its body and its face) has a stand-in
    that only the shadow camera sees, and the shadow camera no longer sees the mesh."""
    with OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (160, 90)) as renderer:
        for host in renderer.stage.hosts:
            stand_ins = host.character.root.find_all_matches("**/*:shadow")
            meshes = [m for m in host.character.root.find_all_matches("**/+GeomNode")
                      if not m.get_name().endswith((":shadow", ":outline")) and _triangles(m) >= 2000]
            assert stand_ins.get_num_paths() == len(meshes) == 2
            for stand_in in stand_ins:
                mesh = stand_in.get_parent().find(stand_in.get_name().removesuffix(":shadow"))
                assert mesh.is_hidden(SHADOW_MAP_CAMERA) and not mesh.is_hidden(VIEW_CAMERA)
                assert stand_in.is_hidden(VIEW_CAMERA) and not stand_in.is_hidden(SHADOW_MAP_CAMERA)
                kept, whole = _triangles(stand_in), _triangles(mesh)    # a tenth, and at least 1,000
                assert 0.05 * whole < kept <= 1.05 * max(0.1 * whole, 1000) < 0.55 * whole, (stand_in, kept, whole)


@pytest.mark.parametrize("rig", ["mei", "Godette_vrm_v4.vrm"])
def test_stand_in_follows_the_pose(project, rig):
    """Posed with an arm lifted 70° and the head turned, each stand-in vertex keeps its distance to the
    mesh vertex nearest it at rest (it is skinned as the mesh there), and the stand-in spans the posed
    mesh to within 3 cm."""
    path = project / "rigs" / f"{rig}.glb" if "." not in rig else asset(rig)
    lifted = Pose.rest()
    lifted.rotations[BONE_INDEX["leftUpperArm"]] = quat.from_axis_angle((0, 0, 1), np.radians(70))
    lifted.rotations[BONE_INDEX["head"]] = quat.from_axis_angle((0, 1, 0), np.radians(40))
    with _shadowed(path) as renderer:
        character = renderer.stage.hosts[0].character
        stand_ins = list(character.root.find_all_matches("**/*:shadow"))
        assert stand_ins
        skinned = {}
        for name, pose in (("rest", Pose.rest()), ("lifted", lifted)):
            character.apply(pose)
            renderer.frame()                       # the joints are updated as the frame is drawn
            skinned[name] = [(_skinned(s.get_parent().find(s.get_name().removesuffix(":shadow"))), _skinned(s))
                             for s in stand_ins]
        assert max(np.abs(posed[0] - rest[0]).max() for rest, posed in zip(skinned["rest"], skinned["lifted"])) > 0.2
        for stand_in, (mesh, proxy), (posed_mesh, posed_proxy) in zip(stand_ins, skinned["rest"], skinned["lifted"]):
            near = np.array([np.argmin(np.linalg.norm(mesh - p, axis=1)) for p in proxy])
            kept = np.abs(np.linalg.norm(posed_proxy - posed_mesh[near], axis=1)
                          - np.linalg.norm(proxy - mesh[near], axis=1))
            assert np.percentile(kept, 99) < 0.005 and kept.max() < 0.05, (stand_in, kept.max())
            reach = np.abs(np.concatenate([posed_proxy.min(0) - posed_mesh.min(0),
                                           posed_proxy.max(0) - posed_mesh.max(0)]))
            assert reach.max() < 0.03, (stand_in, reach)      # lifted hand and all


def test_stand_ins_cast_the_hosts_shadows(project):
    """The studio frame with the hosts casting through stand-ins is the frame with their own meshes
    casting, but for a few pixels; and the hosts' shadows are there (hiding them changes many more)."""
    def frame(cast: str) -> np.ndarray:
        with OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (640, 360), camera="medium") as r:
            for host in r.stage.hosts:
                for stand_in in host.character.root.find_all_matches("**/*:shadow"):
                    mesh = stand_in.get_parent().find(stand_in.get_name().removesuffix(":shadow"))
                    if cast != "stand-ins":
                        stand_in.hide(SHADOW_MAP_CAMERA)
                    if cast == "meshes":
                        mesh.show(SHADOW_MAP_CAMERA)
            return r.frame().astype(int)

    stand_ins, meshes, none = frame("stand-ins"), frame("meshes"), frame("none")
    darker = lambda a, b: ((b - a).sum(-1) > 30).sum()         # noqa: E731
    assert darker(stand_ins, none) > 2000                        # the hosts cast shadows
    assert abs(darker(stand_ins, none) - darker(meshes, none)) < 0.05 * darker(meshes, none)
    assert (np.abs(stand_ins - meshes).sum(-1) > 30).sum() < 0.1 * darker(meshes, none)


def test_a_rigid_prop_casts_through_a_stand_in_of_its_shape():
    """A 4,608-triangle ball (a prop, not skinned): a stand-in of 1,000 triangles, still a ball of the
    same radius; a 12-triangle box is left to cast as itself."""
    prop = NodePath("prop")
    ball = prop.attach_new_node(geom_node("ball", *SHAPES["sphere"]((0.4, 0.4, 0.4), rows=48, cols=48)))
    prop.attach_new_node(geom_node("box", *SHAPES["box"]((0.2, 0.2, 0.2))))
    assert cast_through_proxies(prop) == 1
    stand_in = prop.find("ball:shadow")
    assert ball.is_hidden(SHADOW_MAP_CAMERA) and not prop.find("box").is_hidden(SHADOW_MAP_CAMERA)
    assert 400 <= _triangles(stand_in) <= 1050 and _triangles(ball) == 4608
    radius = np.linalg.norm(_skinned(stand_in) - (0, 0, 0.2), axis=1)
    assert np.abs(radius - 0.2).max() < 0.01, (radius.min(), radius.max())


def _ball(name: str = "ball") -> NodePath:
    return NodePath(geom_node(name, *SHAPES["sphere"]((0.4, 0.4, 0.4), rows=48, cols=48)))


def test_a_mesh_placed_twice_casts_at_both_places():
    """One GeomNode under two parents (as panda3d-gltf places a mesh several nodes use): one stand-in,
    placed beside both copies, and both copies hidden from the shadow camera."""
    prop, ball = NodePath("prop"), _ball()
    for x in (-1.0, 1.0):
        ball.instance_to(prop.attach_new_node(f"at{x}")).get_parent().set_x(x)
    assert cast_through_proxies(prop) == 1
    for copy in prop.find_all_matches("*/ball"):
        assert copy.is_hidden(SHADOW_MAP_CAMERA)
        stand_in = copy.get_parent().find("ball:shadow")
        assert not stand_in.is_empty() and not stand_in.is_hidden(SHADOW_MAP_CAMERA)


def test_a_stand_in_keeps_two_sides_and_leaves_out_what_writes_no_depth():
    """A double-sided mesh's stand-in is drawn from both sides into the map, as the mesh was; a blended
    geom (no depth written, so no shadow) is left out of the stand-in."""
    prop, ball = NodePath("prop"), _ball()
    ball.set_two_sided(True)
    glass = ball.node().get_geom(0).make_copy()
    ball.node().add_geom(glass, ball.node().get_geom_state(0).set_attrib(
        TransparencyAttrib.make(TransparencyAttrib.M_alpha)).set_attrib(
        DepthWriteAttrib.make(DepthWriteAttrib.M_off)))
    ball.reparent_to(prop)
    cast_through_proxies(prop)
    stand_in = prop.find("ball:shadow")
    assert stand_in.node().get_attrib(CullFaceAttrib).get_effective_mode() == CullFaceAttrib.M_cull_none
    assert 900 <= _triangles(stand_in) <= 1050              # a tenth of one ball, not of two


def test_the_nearest_search_is_exact():
    """The grid search finds the same nearest point as comparing every pair, for points off a surface."""
    rng = np.random.default_rng(7)
    surface = rng.normal(size=(20_000, 3))
    surface *= np.array([0.3, 0.2, 0.9]) / np.linalg.norm(surface, axis=1, keepdims=True)
    points = surface[rng.integers(0, len(surface), 2000)] + rng.normal(scale=0.01, size=(2000, 3))
    found = nearest(points, surface)
    brute = np.array([np.argmin(((surface - p) ** 2).sum(1)) for p in points])
    assert np.array_equal(((points - surface[found]) ** 2).sum(1), ((points - surface[brute]) ** 2).sum(1))
