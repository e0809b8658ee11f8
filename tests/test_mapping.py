"""Bone and face mapping on small hand-written glTF files, one per convention."""
import json

import pytest

from runtime.skeleton.face import VISEMES
from runtime.skeleton.humanoid import match_bone
from runtime.skeleton.rigfile import load_rig_info


def write_gltf(path, node_names, targets=(), extensions=None):
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
           "nodes": [{"name": n} for n in node_names]}
    doc["nodes"][0]["children"] = list(range(1, len(node_names)))
    if targets:
        doc["meshes"] = [{"name": "face", "extras": {"targetNames": list(targets)},
                          "primitives": [{"attributes": {}, "targets": [{} for _ in targets]}]}]
    if extensions:
        doc["extensions"] = extensions
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("name, bone", [
    ("mixamorig:LeftForeArm", "leftLowerArm"), ("mixamorig:RightHandPinky2", "rightLittleIntermediate"),
    ("mixamorig:Spine2", "upperChest"), ("J_Bip_L_UpperArm", "leftUpperArm"), ("J_Bip_C_Neck", "neck"),
    ("J_Bip_R_Thumb3", "rightThumbDistal"), ("upper_arm.L", "leftUpperArm"), ("thigh.R", "rightUpperLeg"),
    ("f_index.02.L", "leftIndexIntermediate"), ("thumb.01.R", "rightThumbProximal"), ("Eye_L", "leftEye"),
    ("leftRingDistal", "leftRingDistal"), ("Hips", "hips"), ("tail_01", None), ("LeftEar", None),
])
def test_name_matching(name, bone):
    assert match_bone(name) == bone


def test_mixamo_rig_with_arkit_face(tmp_path):
    names = ["Armature", "mixamorig:Hips", "mixamorig:Spine", "mixamorig:Head", "mixamorig:LeftArm",
             "mixamorig:RightArm"]
    arkit = ["jawOpen", "mouthFunnel", "mouthPucker", "mouthClose", "eyeBlinkLeft", "eyeBlinkRight",
             "mouthSmileLeft", "mouthSmileRight", "browInnerUp"]
    info = load_rig_info(write_gltf(tmp_path / "m.gltf", names, arkit))
    assert info.bone_source == "bone name matching"
    assert info.bones["leftUpperArm"] == "mixamorig:LeftArm"
    assert info.channel_source == "ARKit blend shapes"
    assert info.morphs_of("aa") == {"jawOpen": 0.9}
    assert info.morphs_of("ou") == {"jawOpen": 0.3, "mouthPucker": 0.9}
    assert info.morphs_of("blinkLeft") == {"eyeBlinkLeft": 1.0}
    assert info.morphs_of("browUp") == {"browInnerUp": 1.0}                  # no outer brows: the inner alone
    assert info.morphs_of("happy") == {"mouthSmileLeft": 0.9, "mouthSmileRight": 0.9}
    assert "angry" not in info.feed                                          # no brows to lower


def test_rig_with_its_own_visemes(tmp_path):
    info = load_rig_info(write_gltf(tmp_path / "v.gltf", ["root", "hips"], [f"viseme_{v}" for v in VISEMES]))
    assert info.channel_source == "the rig's own 15 visemes"
    assert info.morphs_of("PP") == {"viseme_PP": 1.0}


def test_jaw_only_fallback(tmp_path):
    info = load_rig_info(write_gltf(tmp_path / "j.gltf", ["root", "hips", "spine", "head", "jaw"]))
    assert info.jaw_only and info.channel_source == "jaw bone only"
    assert not any("mouth will not move" in w for w in info.warnings)


def test_no_mouth_warns(tmp_path):
    info = load_rig_info(write_gltf(tmp_path / "n.gltf", ["root", "hips", "spine", "head"]))
    assert "no visemes and no jaw: the mouth will not move" in info.warnings


def test_vrm1_expressions_and_thumb_names(tmp_path):
    names = ["root", "Face", "hips_bone", "thumb_a", "thumb_b"]
    ext = {"VRMC_vrm": {
        "humanoid": {"humanBones": {"hips": {"node": 2}, "leftThumbMetacarpal": {"node": 3},
                                    "leftThumbProximal": {"node": 4}}},
        "expressions": {"preset": {
            v: {"morphTargetBinds": [{"node": 1, "index": i, "weight": 1.0}]}
            for i, v in enumerate(["aa", "ih", "ou", "ee", "oh", "blink"])}}}}
    path = write_gltf(tmp_path / "a.vrm", names, ["A", "I", "U", "E", "O", "Blink"], ext)
    doc = json.loads(path.read_text())
    doc["nodes"][1]["mesh"] = 0
    path.write_text(json.dumps(doc))
    info = load_rig_info(path)
    assert info.kind == "VRM 1.0"
    assert info.bones["leftThumbProximal"] == "thumb_a"          # VRM 1.0 Metacarpal is our Proximal
    assert info.bones["leftThumbIntermediate"] == "thumb_b"
    assert info.channel_source == "VRM mouth expressions (aa ih ou ee oh)"
    assert info.morphs_of("E") == {"E": 1.0}
    assert info.morphs_of("CH") == {"I": 0.4, "U": 0.3}
    assert info.morphs_of("blinkLeft") == info.morphs_of("blinkRight") == {"Blink": 0.5}   # one blink, both eyes


def test_duplicate_morph_names_are_made_unique(tmp_path):
    path = write_gltf(tmp_path / "d.gltf", ["root", "a", "b"], ["smile"])
    doc = json.loads(path.read_text())
    doc["meshes"].append(json.loads(json.dumps(doc["meshes"][0])))
    path.write_text(json.dumps(doc))
    assert load_rig_info(path).sliders == ["smile", "smile#1"]


@pytest.mark.parametrize("mapping, at, message", [
    ('[bones]\nhips = "Hips"\nhed = "Head"\n', "hed", "bones.hed: unknown canonical bone 'hed'; did you mean 'head'?"),
    ('[morphs]\naa = "open"\nblinkLft = "blink"\n', "blinkLft",
     "morphs.blinkLft: unknown face channel 'blinkLft'; did you mean 'blinkLeft'?"),
    ('[bone]\nhips = "Hips"\n', "[bone]", "bone: unknown key 'bone'; did you mean 'bones'?"),
])
def test_a_typo_in_a_mapping_file_names_its_line_and_the_nearest_name(tmp_path, mapping, at, message):
    from helpers import assert_error_at
    rig = write_gltf(tmp_path / "r.gltf", ["root", "Hips", "Head"], ["open", "blink"])
    assert_error_at(tmp_path / "m.toml", mapping, lambda path: load_rig_info(rig, path), at, message)
