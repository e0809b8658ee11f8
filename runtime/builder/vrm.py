"""A built host as a VRM 1.0 file (`.vrm`: a GLB with the `VRMC_vrm` extension) that VTuber apps open.

The builder's glTF already is what VRM 1.0 asks of a model: it faces +Z with its left at +X, stands on
Y = 0 in a T-pose with identity rest rotations, and its joints are named after the VRM humanoid bones.
This adds what a VRM app reads on top:
  - meta: the host's name, authors, the VRM Public License 1.0 and its permissions;
  - humanoid: every bone the builder makes (VRM 1.0 names the thumb Metacarpal/Proximal/Distal);
  - expressions: the VRM presets bound to the face's morphs through the same table the runtime uses to
    drive them (runtime/skeleton/rigfile.py), so a VRM app's "happy" or "aa" looks like Cohost's;
  - lookAt: the eyes are bones, turned as far as the gaze controller turns them (rigs/clips/behaviour.toml).
`VRMC_springBone` and material extensions (`VRMC_materials_mtoon`) the builder wrote are kept as they are
and declared in `extensionsUsed`; the binary buffer is copied untouched, so the bytes are deterministic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..controllers.config import load_behaviour
from ..glbfile import pack_glb, unpack_glb
from ..skeleton.expressions import BLINK, LOOK, MOUTH
from ..skeleton.face import EMOTIONS
from ..skeleton.gltfdata import GltfData, glb_buffer
from ..skeleton.humanoid import BONE_NAMES, VRM1_RENAMES
from ..skeleton.rigfile import VISEME_FROM_VOWELS, channel_morphs, expressions_from_morphs
from .spec import HostSpec

VRM_EXTENSION = "VRMC_vrm"
LICENSE_URL = "https://vrm.dev/licenses/1.0/"
AUTHORS = ["Cohost host builder"]
# What a studio's stream needs: anyone may perform as the host, commercially, without credit; the rest of
# the VRM Public License's questions are answered with its cautious defaults.
PERMISSIONS = {
    "avatarPermission": "everyone", "commercialUsage": "corporation", "creditNotation": "unnecessary",
    "allowRedistribution": True, "modification": "allowModificationRedistribution",
    "allowExcessivelyViolentUsage": False, "allowExcessivelySexualUsage": False,
    "allowPoliticalOrReligiousUsage": False, "allowAntisocialOrHateUsage": False,
}
# The bones VRM 1.0 requires of every humanoid.
REQUIRED_BONES = ("hips", "spine", "head", *(f"{side}{part}" for side in ("left", "right")
                                              for part in ("UpperArm", "LowerArm", "Hand", "UpperLeg", "LowerLeg",
                                                           "Foot")))
VRM1_NAME = {ours: theirs for theirs, ours in VRM1_RENAMES.items()}
# VRM's five mouth presets, each the viseme that the runtime shows with it alone (ee is the viseme E).
VOWEL_VISEME = {vowel: viseme for viseme, mix in VISEME_FROM_VOWELS.items() for vowel, w in mix.items()
                if mix == {vowel: 1.0}}
T_POSE_TOLERANCE_DEG = 5.0


class VrmError(ValueError):
    """A built host that VRM 1.0 cannot describe; the message names the host file and the rule."""


def vrm_from_glb(glb: bytes, spec: HostSpec) -> bytes:
    """The builder's GLB of `spec` as a VRM 1.0 file."""
    doc, binary = unpack_glb(glb)
    nodes = _unique_nodes(doc, spec.source)
    world = GltfData({**doc, "buffers": [glb_buffer(binary)]}, spec.source).node_world()
    position = {name: world[i][:3, 3] for name, i in nodes.items()}
    missing = [b for b in REQUIRED_BONES if b not in nodes]
    if missing:
        raise VrmError(f"{spec.source}: VRM 1.0 requires the bones {', '.join(missing)}")
    _check_rest_pose(position, spec.source)
    doc.setdefault("extensions", {})[VRM_EXTENSION] = {
        "specVersion": "1.0",
        "meta": {"name": spec.name, "version": "1", "authors": AUTHORS, "licenseUrl": LICENSE_URL, **PERMISSIONS},
        "humanoid": {"humanBones": {VRM1_NAME.get(b, b): {"node": nodes[b]} for b in BONE_NAMES if b in nodes}},
        "expressions": {"preset": _expressions(doc)},
        "lookAt": _look_at(position),
    }
    doc["extensionsUsed"] = sorted(set(doc.get("extensionsUsed", [])) | _extensions_in(doc))
    return pack_glb(doc, binary)


def _unique_nodes(doc: dict, source: Path) -> dict[str, int]:
    """Node name -> index; VRM apps find bones and meshes by name, so every name must be unique."""
    index: dict[str, int] = {}
    for i, node in enumerate(doc["nodes"]):
        name = node.get("name", "")
        if not name:
            raise VrmError(f"{source}: node {i} has no name; VRM 1.0 needs every node named, each differently")
        if name in index:
            hint = " (the host is named after a bone or a mesh: rename the host)" if index[name] == 0 else ""
            raise VrmError(f"{source}: nodes {index[name]} and {i} are both named {name!r}; VRM 1.0 needs "
                           f"unique node names{hint}")
        index[name] = i
    return index


def _check_rest_pose(position: dict[str, np.ndarray], source: Path) -> None:
    """VRM 1.0's rest pose: facing +Z with the left side at +X, arms straight out along X (a T-pose)."""
    if not position["leftHand"][0] > 0 > position["rightHand"][0]:
        raise VrmError(f"{source}: the host's left hand is not at +X, as VRM 1.0 requires")
    if "leftToes" in position and position["leftToes"][2] <= position["leftFoot"][2]:
        raise VrmError(f"{source}: the host does not face +Z, as VRM 1.0 requires")
    for side, sign in (("left", 1.0), ("right", -1.0)):
        arm = position[f"{side}Hand"] - position[f"{side}UpperArm"]
        angle = np.degrees(np.arccos(np.clip(sign * arm[0] / np.linalg.norm(arm), -1.0, 1.0)))
        if angle > T_POSE_TOLERANCE_DEG:
            raise VrmError(f"{source}: the {side} arm is {angle:.0f} degrees off the X axis; VRM 1.0's rest "
                           f"pose is a T-pose")


def _expressions(doc: dict) -> dict[str, dict]:
    """Every VRM preset, bound to the morphs the runtime moves for it; look-at presets are left empty (the
    eyes are bones), and so is neutral (the rest face)."""
    targets = {name: (node_index, t)
               for node_index, node in enumerate(doc["nodes"]) if "mesh" in node
               for t, name in enumerate(doc["meshes"][node["mesh"]].get("extras", {}).get("targetNames", []))}
    _, made, feed = expressions_from_morphs(list(targets), {})

    def preset(channels: tuple[str, ...], overrides: tuple[str, str, str] = ("none", "none", "none")) -> dict:
        weights: dict[str, float] = {}
        for channel in channels:
            for slider, w in channel_morphs(made, feed, channel).items():
                weights[slider] = weights.get(slider, 0.0) + w
        binds = [{"node": targets[s][0], "index": targets[s][1], "weight": round(min(w, 1.0), 6)}
                 for s, w in sorted(weights.items(), key=lambda sw: targets[sw[0]])]
        return {"morphTargetBinds": binds, "isBinary": False, "overrideBlink": overrides[0],
                "overrideLookAt": overrides[1], "overrideMouth": overrides[2]}

    out = {vowel: preset((VOWEL_VISEME[vowel],)) for vowel in MOUTH}
    out["blink"] = preset(BLINK[1:])
    out.update({b: preset((b,)) for b in BLINK[1:]})
    out.update({e: preset((e,), made[e].overrides if e in made else ("none",) * 3) for e in EMOTIONS})
    out.update({look: preset(()) for look in LOOK})
    out["neutral"] = preset(())
    return out


def _look_at(position: dict[str, np.ndarray]) -> dict:
    """Eye bones turned as the gaze controller turns them: an app's gaze angle is the eyes' angle, up to
    their limits."""
    gaze = load_behaviour()["gaze"]
    between_eyes = (position["leftEye"] + position["rightEye"]) / 2.0

    def reach(limit: float) -> dict:
        return {"inputMaxValue": float(limit), "outputScale": float(limit)}

    return {"type": "bone",
            "offsetFromHeadBone": [round(float(v), 6) + 0.0 for v in between_eyes - position["head"]],
            "rangeMapHorizontalInner": reach(gaze["eye_yaw"]), "rangeMapHorizontalOuter": reach(gaze["eye_yaw"]),
            "rangeMapVerticalUp": reach(gaze["eye_up"]), "rangeMapVerticalDown": reach(gaze["eye_down"])}


def _extensions_in(value) -> set[str]:
    """The names of every extension used anywhere in a glTF document: at the top, on materials (MToon),
    on their texture infos (texture transforms), on nodes."""
    if isinstance(value, dict):
        found = set(value.get("extensions", {}))
        return found.union(*(_extensions_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_extensions_in(v) for v in value))
    return set()
