"""The built hosts as VRM 1.0 files: what the file holds, the rules it keeps, and what a VTuber app makes of it
(three.js + three-vrm in headless Chromium)."""
import json
import re

import numpy as np
import pytest
from PIL import Image

from runtime.builder.body import build_glb, build_host
from runtime.builder.glb import make_glb
from runtime.glbfile import pack_glb, unpack_glb
from runtime.builder.spec import load_host_spec
from runtime.builder.vrm import VrmError, vrm_from_glb
from runtime.skeleton.humanoid import BONE_NAMES, PARENT
from runtime.skeleton.rigfile import load_rig_info

from helpers import changed_pixels
from three_vrm import view_in_three_vrm
from test_builder import validate

PRESETS = {"aa", "ih", "ou", "ee", "oh", "blink", "blinkLeft", "blinkRight", "happy", "angry", "sad", "relaxed",
           "surprised", "lookUp", "lookDown", "lookLeft", "lookRight", "neutral"}


@pytest.fixture(scope="module")
def mei(project):
    spec = load_host_spec(project / "rigs" / "mei.toml")
    return spec, build_glb(spec)


def _vrm(doc: dict) -> dict:
    return doc["extensions"]["VRMC_vrm"]


@pytest.mark.parametrize("name", ["mei", "jun"])
def test_rebuild_is_byte_identical(project, name):
    spec = load_host_spec(project / "rigs" / f"{name}.toml")
    glb = (project / "rigs" / f"{name}.glb").read_bytes()       # the builder's, as test_builder holds it
    assert vrm_from_glb(glb, spec) == (project / "rigs" / f"{name}.vrm").read_bytes()


def test_build_host_writes_the_vrm_beside_the_glb_or_where_asked(project, tmp_path):
    from test_cli import cohost
    out = cohost("build-host", "rigs/jun.toml", "--out", str(tmp_path / "jun.glb"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "jun.vrm").read_bytes() == (project / "rigs" / "jun.vrm").read_bytes()
    out = cohost("build-host", "rigs/jun.toml", "--out", str(tmp_path / "a.glb"), "--vrm", str(tmp_path / "b.vrm"))
    assert out.returncode == 0 and (tmp_path / "b.vrm").exists() and not (tmp_path / "a.vrm").exists()
    refused = cohost("build-host", "rigs/jun.toml", "--vrm", str(tmp_path / "jun.glb"))
    assert refused.returncode == 2 and "use PATH.vrm" in refused.stderr
    # A host named like one of its meshes: one line saying so, and neither file half written.
    clash = tmp_path / "face.toml"
    clash.write_text((project / "rigs" / "jun.toml").read_text().replace('name = "Jun"', 'name = "Face"'))
    refused = cohost("build-host", str(clash))
    assert refused.returncode == 2 and re.fullmatch(
        rf"cohost build-host: {re.escape(str(clash))}: nodes 0 and \d+ are both named 'Face'; VRM 1.0 needs "
        r"unique node names \(the host is named after a bone or a mesh: rename the host\)\n", refused.stderr)
    assert not clash.with_suffix(".glb").exists() and not clash.with_suffix(".vrm").exists()


def test_the_vrm_holds_meta_humanoid_expressions_and_look_at(project):
    doc, binary = unpack_glb((project / "rigs" / "mei.vrm").read_bytes())
    glb_doc, glb_binary = unpack_glb((project / "rigs" / "mei.glb").read_bytes())
    assert binary == glb_binary and doc["nodes"] == glb_doc["nodes"]      # the model itself is untouched
    vrm = _vrm(doc)
    assert vrm["specVersion"] == "1.0" and "VRMC_vrm" in doc["extensionsUsed"]
    assert vrm["meta"]["name"] == "Mei" and vrm["meta"]["authors"]
    assert vrm["meta"]["licenseUrl"] == "https://vrm.dev/licenses/1.0/"
    bones = vrm["humanoid"]["humanBones"]
    assert len(bones) == len(BONE_NAMES)
    assert {doc["nodes"][b["node"]]["name"] for b in bones.values()} == set(BONE_NAMES)
    # VRM 1.0 names the thumb's three bones Metacarpal, Proximal, Distal.
    assert doc["nodes"][bones["leftThumbMetacarpal"]["node"]]["name"] == "leftThumbProximal"
    assert doc["nodes"][bones["leftThumbDistal"]["node"]]["name"] == "leftThumbDistal"
    assert set(vrm["expressions"]["preset"]) == PRESETS
    look = vrm["lookAt"]
    assert look["type"] == "bone" and 0.05 < look["offsetFromHeadBone"][1] < 0.1 and look["offsetFromHeadBone"][2] > 0


def test_expressions_move_the_morphs_the_runtime_moves_for_them(project):
    """Reading the VRM back gives the same face as the .glb: each preset binds what the runtime's table
    binds for that channel (happy: smile, cheeks and eyes squinting; ee: the viseme E)."""
    glb = load_rig_info(project / "rigs" / "mei.glb")
    vrm = load_rig_info(project / "rigs" / "mei.vrm")
    assert vrm.kind == "VRM 1.0" and vrm.bones == glb.bones and not vrm.missing
    for channel in ("happy", "angry", "sad", "relaxed", "surprised", "blinkLeft", "blinkRight"):
        assert vrm.expressions[channel].morphs == pytest.approx(glb.morphs_of(channel)), channel
    assert vrm.expressions["ee"].morphs == {"E": 1.0} and vrm.expressions["aa"].morphs == {"aa": 1.0}
    assert vrm.expressions["blink"].morphs == {"blinkLeft": 1.0, "blinkRight": 1.0}
    assert vrm.expressions["surprised"].overrides == ("blend", "none", "none")
    # The look-at presets and neutral bind nothing: the eyes are bones (the reader keeps only what binds).
    assert not {"lookUp", "lookDown", "lookLeft", "lookRight", "neutral"} & set(vrm.expressions)
    assert vrm.look is None and "gaze" not in vrm.skipped_controllers()
    assert set(vrm.feed["aa"]) == {"aa"}          # the runtime drives the file's "aa" for the viseme aa


def test_the_builders_spring_bones_and_mtoon_are_kept_and_declared(mei):
    spec, glb = mei
    built, _ = unpack_glb(glb)
    out, _ = unpack_glb(vrm_from_glb(glb, spec))
    assert built["extensions"]["VRMC_springBone"]["springs"]            # Mei's bob swings
    assert out["extensions"]["VRMC_springBone"] == built["extensions"]["VRMC_springBone"]
    assert [m["extensions"] for m in out["materials"]] == [m["extensions"] for m in built["materials"]]
    assert out["extensionsUsed"] == ["VRMC_materials_mtoon", "VRMC_springBone", "VRMC_vrm"]


def _descends_from(bone: str | None, ancestor: str) -> bool:
    while bone and bone != ancestor:
        bone = PARENT.get(bone)                # None past the humanoid (hair joints)
    return bone == ancestor


def test_models_vrm_cannot_describe_are_refused_naming_the_file(mei):
    spec, glb = mei
    doc, binary = unpack_glb(glb)

    def refused(change, message):
        d = json.loads(json.dumps(doc))
        change(d)
        with pytest.raises(VrmError, match=message) as caught:
            vrm_from_glb(pack_glb(d, binary), spec)
        assert str(spec.source) in str(caught.value)

    def rename(old, new):
        return lambda d: next(n for n in d["nodes"] if n.get("name") == old).update(name=new)

    refused(rename("leftFoot", "Face"), r"nodes \d+ and \d+ are both named 'Face'; VRM 1.0 needs unique node names$")
    refused(rename("rightUpperLeg", "thighR"), "requires the bones rightUpperLeg")
    # The left arm down at 45 degrees: an A-pose is not VRM's rest pose.
    joints, meshes, materials, springs, colliders = build_host(spec)
    shoulder = next(j for j in joints if j.name == "leftUpperArm").position.copy()
    down = np.array([[0.7071, 0.7071, 0.0], [-0.7071, 0.7071, 0.0], [0.0, 0.0, 1.0]])
    for j in joints:
        if _descends_from(j.name, "leftUpperArm"):
            j.position = shoulder + down @ (j.position - shoulder)
    a_pose = make_glb(spec.name, joints, meshes, materials, {}, {}, springs, colliders)
    with pytest.raises(VrmError, match="left arm is 45 degrees off the X axis"):
        vrm_from_glb(a_pose, spec)


def test_the_vrm_passes_the_khronos_validator(project, node_tools):
    (report,) = validate(node_tools, project / "rigs" / "mei.vrm")
    assert (report["errors"], report["warnings"]) == (0, 0), report
    assert all(m.startswith("UNSUPPORTED_EXTENSION") for m in report["messages"]), report   # VRMC_vrm itself


@pytest.fixture(scope="module")
def in_three_vrm(project, node_tools, chromium, tmp_path_factory):
    """Mei's VRM as a VTuber app shows it: what three-vrm parsed, and pictures neutral, happy and aa."""
    folder = tmp_path_factory.mktemp("three_vrm")
    report = view_in_three_vrm(chromium, project / "rigs" / "mei.vrm", folder, "happy", "aa")
    pictures = {n: np.asarray(Image.open(folder / f"{n}.png").convert("RGB")) for n in ("neutral", "happy", "aa")}
    return report, pictures


def _springs_and_mtoon(doc: dict) -> tuple[int, int]:
    """The spring joints three-vrm makes of a file (one per joint that has a next one in its chain) and the
    file's MToon materials."""
    springs = doc.get("extensions", {}).get("VRMC_springBone", {}).get("springs", [])
    mtoon = [m for m in doc["materials"] if "VRMC_materials_mtoon" in m.get("extensions", {})]
    return sum(max(len(s["joints"]) - 1, 0) for s in springs), len(mtoon)


def test_three_vrm_reads_the_humanoid_expressions_and_look_at(project, in_three_vrm):
    report, _ = in_three_vrm
    assert report["specVersion"] == "1.0" and report["name"] == "Mei"
    assert report["humanBones"] == len(BONE_NAMES)
    assert set(report["expressions"]) == PRESETS
    assert report["lookAtType"] == "bone"
    # The eyes turn toward a point 20 degrees to the host's left by as much (the range maps are 1:1).
    assert report["look"]["leftEyeYaw"] == pytest.approx(report["look"]["targetYaw"], abs=2.0)
    springs, mtoon = _springs_and_mtoon(unpack_glb((project / "rigs" / "mei.vrm").read_bytes())[0])
    assert report["springJoints"] == springs and (report["mtoonMaterials"] > 0) == (mtoon > 0), report


def test_three_vrm_runs_the_spring_bones_and_mtoon_the_builder_writes(mei, node_tools, chromium, tmp_path):
    """Spring bones and MToon carried from the builder's glTF are what three-vrm makes springs and toon
    materials of (a two-link chain on the left arm and an MToon skin stand in for the builder's own)."""
    spec, glb = mei
    doc, binary = unpack_glb(glb)
    node = {n["name"]: i for i, n in enumerate(doc["nodes"])}
    doc["extensions"] = {"VRMC_springBone": {"specVersion": "1.0", "springs": [
        {"name": "arm", "joints": [{"node": node[b], "stiffness": 1.0, "hitRadius": 0.02}
                                   for b in ("leftUpperArm", "leftLowerArm", "leftHand")]}]}}
    doc["extensionsUsed"] = ["VRMC_springBone"]
    skin = next(m for m in doc["materials"] if m["name"] == "skin")
    skin["extensions"] = {"VRMC_materials_mtoon": {"specVersion": "1.0", "shadeColorFactor": [0.8, 0.5, 0.45]}}
    (tmp_path / "springs.vrm").write_bytes(vrm_from_glb(pack_glb(doc, binary), spec))
    report = view_in_three_vrm(chromium, tmp_path / "springs.vrm", tmp_path)
    assert report["springJoints"] == 2 and report["mtoonMaterials"] >= 1, report
    assert report["humanBones"] == len(BONE_NAMES)


@pytest.mark.parametrize("expression", ["happy", "aa"])
def test_an_expression_changes_the_face_and_nothing_else(in_three_vrm, expression):
    report, pictures = in_three_vrm
    neutral, shown = pictures["neutral"], pictures[expression]
    assert neutral.std() > 20                       # a host was drawn, not a blank canvas
    diff = np.abs(neutral.astype(int) - shown.astype(int)).sum(axis=-1) > 24
    assert changed_pixels(neutral, shown) > 150, expression
    boxes = np.array([report["faceBoxes"]["neutral"], report["faceBoxes"][expression]])
    x0, y0, x1, y1 = *boxes[:, :2].min(axis=0), *boxes[:, 2:].max(axis=0)       # the face, before and after
    h, w = diff.shape
    assert (x1 - x0) * (y1 - y0) < 0.1 * w * h      # the face is a small part of the picture
    ys, xs = np.nonzero(diff)
    margin = 4
    assert xs.min() >= x0 - margin and xs.max() <= x1 + margin and ys.min() >= y0 - margin and ys.max() <= y1 + margin, (
        expression, (xs.min(), ys.min(), xs.max(), ys.max()), (x0, y0, x1, y1))
