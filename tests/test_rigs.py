"""Every shared third-party model and both built-in hosts load, map, and can be posed with arrays."""
import numpy as np
import pytest
from panda3d.core import Point3

from runtime.scene.render import OffscreenRenderer
from runtime.sets.setfile import single_host_set
from runtime.skeleton import quat
from runtime.skeleton.face import CHANNEL_INDEX
from runtime.skeleton.pose import BONE_INDEX, Pose
from runtime.skeleton.rigfile import RigError, load_rig_info

from helpers import PROJECT, asset, changed_pixels

# file, kind, mapped bones at least, face channels source, expected loader fixes (substrings)
EXPECTED = {
    "Godette_vrm_v4.vrm": ("VRM 0.x", 45, "VRM mouth expressions", ["wrapped 4 top-level nodes", "read as GLB"]),
    "debug_robot.vrm": ("VRM 1.0", 53, "none", ["plain nodes"]),
    "VRMC_materials_mtoon_UV_Animation_Test.vrm": ("VRM 1.0", 53, "none", ["plain nodes"]),
    "RiggedFigure.glb": ("glTF 2.0", 19, "none", ["animations left to Cohost"]),
    "CesiumMan.glb": ("glTF 2.0", 19, "none", ["animations left to Cohost", "moved the transform of 'Z_UP'"]),
    "Fox.glb": ("glTF 2.0", 17, "none", ["wrapped 2 top-level nodes", "animations left to Cohost"]),
    "AnimatedMorphCube/AnimatedMorphCube.gltf": ("glTF 2.0", 0, "mapping file", ["animations left to Cohost"]),
    "MorphPrimitivesTest/MorphPrimitivesTest.gltf": ("glTF 2.0", 0, "mapping file", []),
}
BUILT_IN = {"mei.glb": ("glTF 2.0", 55, "the rig's own 15 visemes", [])}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_model_maps(name):
    kind, bones, channels, fixes = EXPECTED[name]
    info = load_rig_info(asset(name))
    assert info.kind == kind
    assert len(info.bones) >= bones
    assert info.channel_source.startswith(channels)
    for fix in fixes:
        assert any(fix in f for f in info.fixes), (fix, info.fixes)


def test_godette_maps_vrm_mouth_and_blinks():
    info = load_rig_info(asset("Godette_vrm_v4.vrm"))
    assert info.morphs_of("aa") == {"ah": 1.0}
    # Its Blink_L/Blink_R are binary: both eyes close together with its continuous Blink.
    assert info.morphs_of("blinkLeft") == {"blink_left": 0.5, "blink_right": 0.5}
    assert info.morphs_of("happy") == {"oh": 0.5, "look_up": 0.25}              # its Joy
    assert info.bones["leftIndexProximal"] == "Finger.l_Armature"
    assert info.look is not None                                                 # it looks with expressions
    assert not any("gaze controller skipped" in w for w in info.warnings)


def test_built_in_host_maps_everything(project):
    info = load_rig_info(project / "rigs" / "jun.glb")
    assert info.missing == [] and info.warnings == []
    assert info.channel_source == "the rig's own 15 visemes"


def test_broken_files_name_the_file_and_cause(tmp_path):
    bad = tmp_path / "broken.glb"
    bad.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 8)
    with pytest.raises(RigError, match=r"broken\.glb: not a valid GLB file"):
        load_rig_info(bad)
    notjson = tmp_path / "notes.gltf"
    notjson.write_text("hello")
    with pytest.raises(RigError, match=r"notes\.gltf: neither GLB nor glTF JSON"):
        load_rig_info(notjson)
    with pytest.raises(RigError, match=r"missing\.vrm: no such rig file"):
        load_rig_info(tmp_path / "missing.vrm")


def test_bad_mapping_file_is_reported(tmp_path):
    rig = asset("CesiumMan.glb")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[bones]\nhips = "Skeleton_torso_joint_1"\nhead = "no_such_joint"\n')
    from runtime.tomlfile import FileError
    with pytest.raises(FileError, match=r"m\.toml:3:1: bones\.head: no node named 'no_such_joint'"):
        load_rig_info(rig, mapping)


ALL_RIGS = ["mei.glb", "jun.glb"] + sorted(n for n in EXPECTED if not n.startswith(("Animated", "Morph")))


@pytest.mark.parametrize("name", ALL_RIGS)
def test_normalised_rotation_turns_bones_exactly(name):
    """Rotating a canonical bone by q turns its child's world direction by q, as read back from Panda's
    joints, on every rig (whatever its rest rotations, axes, facing or skinning). The host frame is
    upright with its left hand on +X."""
    path = PROJECT / "rigs" / name if name in ("mei.glb", "jun.glb") else asset(name)
    with OffscreenRenderer(single_host_set(path), (64, 64)) as renderer:
        _check_rotations(renderer.stage.hosts[0].character, quadruped=name == "Fox.glb")


def _check_rotations(character, quadruped: bool) -> None:
    character.apply(Pose.rest())
    rest = character.bone_positions()
    frame = character.frame.T                               # Panda model space -> host frame
    up = frame @ (rest["head"] - rest["hips"])
    assert up[1] > (0.0 if quadruped else 0.8 * np.linalg.norm(up))
    standing = character.upright @ character.frame           # host frame -> upright set frame
    assert np.allclose(standing @ [0, 1, 0], [0, 0, 1]) and np.allclose(standing @ [0, 0, 1], [0, -1, 0])
    assert (frame @ (rest["leftUpperArm"] - rest["rightUpperArm"]))[0] > 0
    q = quat.from_axis_angle([0.3, 0.2, 1.0], np.radians(50))
    checked = 0
    for bone, child in (("leftUpperArm", "leftLowerArm"), ("head", "leftEye"), ("spine", "chest"),
                        ("rightLowerArm", "rightHand"), ("leftUpperLeg", "leftLowerLeg")):
        if bone not in rest or child not in rest:
            continue
        pose = Pose.rest()
        pose.rotations[BONE_INDEX[bone]] = q
        character.apply(pose)
        moved = character.bone_positions()
        expected = quat.rotate(q, frame @ (rest[child] - rest[bone]))
        actual = frame @ (moved[child] - moved[bone])
        cos = expected @ actual / np.linalg.norm(expected) / np.linalg.norm(actual)
        assert np.degrees(np.arccos(min(1.0, cos))) < 0.1, (bone, child)
        checked += 1
    assert checked >= 3


def _posed() -> Pose:
    pose = Pose.rest()
    pose.rotations[BONE_INDEX["head"]] = quat.from_axis_angle([0, 1, 0], np.radians(45))
    for side, s in (("left", 1), ("right", -1)):
        pose.rotations[BONE_INDEX[f"{side}UpperArm"]] = quat.from_axis_angle([0, 0, 1], np.radians(-60 * s))
    pose.face[CHANNEL_INDEX["aa"]] = 1.0
    return pose


def _render_pair(path, skeleton: bool):
    with OffscreenRenderer(single_host_set(path), (320, 320)) as renderer:
        host = renderer.stage.hosts[0]
        frames = []
        for pose in (Pose.rest(), _posed()):
            host.character.apply(pose)
            if len(frames) == 0:
                renderer.look_at_bounds(*renderer.stage.host_bounds(host))
            if skeleton:
                renderer.stage.draw_skeletons()
            frames.append(renderer.frame())
    return frames


POSABLE = [n for n in sorted(EXPECTED) if not n.startswith("VRMC_")]


@pytest.mark.parametrize("name", POSABLE)
def test_posing_shared_model_changes_the_frame(name):
    rest, posed = _render_pair(asset(name), skeleton=False)
    assert (np.abs(rest.astype(int) - rest[0, 0]).sum(-1) > 30).sum() > 500, "the model is not in the frame"
    assert changed_pixels(rest, posed) > 300


def test_posing_bone_only_rig_moves_its_skeleton():
    """The MToon test VRM has humanoid nodes but no geometry on them: the skeleton overlay shows the pose."""
    rest, posed = _render_pair(asset("VRMC_materials_mtoon_UV_Animation_Test.vrm"), skeleton=True)
    assert changed_pixels(rest, posed) > 100


@pytest.mark.parametrize("name", ["mei.glb", "jun.glb"])
def test_posing_built_in_host(name):
    rest, posed = _render_pair(PROJECT / "rigs" / name, skeleton=False)
    assert changed_pixels(rest, posed) > 2000


def test_open_mouth_changes_only_the_face(project):
    """aa on the built-in host moves the lips and nothing below the neck."""
    with OffscreenRenderer(single_host_set(project / "rigs" / "mei.glb"), (400, 400)) as renderer:
        host = renderer.stage.hosts[0]
        pose = Pose.rest()
        host.character.apply(pose)
        head = host.character.bone_positions()["head"]
        renderer.look_at_bounds(head + [-0.12, -0.12, -0.05], head + [0.12, 0.12, 0.2], elevation=0)
        closed = renderer.frame()
        pose.face[CHANNEL_INDEX["aa"]] = 1.0
        host.character.apply(pose)
        opened = renderer.frame()
    diff = np.abs(closed.astype(int) - opened.astype(int)).sum(-1) > 30
    ys, xs = np.nonzero(diff)
    assert len(ys) > 150
    assert 150 < xs.mean() < 250                         # centred: the mouth, not a hand
    # The open mouth shows its dark inside: darker than anything there while it was closed.
    assert opened[diff].astype(int).sum(-1).min() < closed[diff].astype(int).sum(-1).min() - 40


SKINNED = ["mei.glb", "CesiumMan.glb", "RiggedFigure.glb", "Fox.glb", "Godette_vrm_v4.vrm"]


@pytest.mark.parametrize("name", SKINNED)
def test_skeleton_sits_inside_the_mesh(name):
    """Joints projected into the rendered frame land on the model: the loader's skeleton and mesh agree."""
    path = PROJECT / "rigs" / name if name == "mei.glb" else asset(name)
    with OffscreenRenderer(single_host_set(path), (320, 320)) as renderer:
        host = renderer.stage.hosts[0]
        host.character.apply(Pose.rest())
        renderer.look_at_bounds(*renderer.stage.host_bounds(host))
        frame = renderer.frame().astype(int)
        background = frame[0, 0]
        hits = []
        for p in host.character.bone_positions().values():
            world = np.array(renderer.scene.get_relative_point(host.character.root, Point3(*p)))
            x0, y0, _, _ = renderer.project(world, world)
            patch = frame[max(y0 - 3, 0):y0 + 4, max(x0 - 3, 0):x0 + 4]
            hits.append(bool((np.abs(patch - background).sum(-1) > 30).any()))
    assert np.mean(hits) > 0.8, f"{sum(hits)}/{len(hits)} joints on the mesh"
