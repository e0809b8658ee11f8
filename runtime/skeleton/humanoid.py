"""The canonical humanoid: VRM humanoid bone names, their hierarchy, and name matching for common rigs.

Controllers speak these names only; every rig is mapped onto them once at load time.
"""
from __future__ import annotations

import re

FINGERS = ("Thumb", "Index", "Middle", "Ring", "Little")
FINGER_SEGMENTS = ("Proximal", "Intermediate", "Distal")


def _side(side: str) -> list[tuple[str, str]]:
    arm = [
        (f"{side}Shoulder", "upperChest"),
        (f"{side}UpperArm", f"{side}Shoulder"),
        (f"{side}LowerArm", f"{side}UpperArm"),
        (f"{side}Hand", f"{side}LowerArm"),
    ]
    for finger in FINGERS:
        parent = f"{side}Hand"
        for seg in FINGER_SEGMENTS:
            arm.append((f"{side}{finger}{seg}", parent))
            parent = f"{side}{finger}{seg}"
    leg = [
        (f"{side}UpperLeg", "hips"),
        (f"{side}LowerLeg", f"{side}UpperLeg"),
        (f"{side}Foot", f"{side}LowerLeg"),
        (f"{side}Toes", f"{side}Foot"),
    ]
    return arm + leg


# (bone, canonical parent) in depth-first order: a parent always precedes its children.
BONES: tuple[tuple[str, str | None], ...] = tuple(
    [("hips", None), ("spine", "hips"), ("chest", "spine"), ("upperChest", "chest"),
     ("neck", "upperChest"), ("head", "neck"), ("leftEye", "head"), ("rightEye", "head"), ("jaw", "head")]
    + _side("left") + _side("right")
)
BONE_NAMES: tuple[str, ...] = tuple(b for b, _ in BONES)
PARENT: dict[str, str | None] = dict(BONES)

# Bones a rig must have to be driven at all, and the bones each controller needs.
REQUIRED = ("hips", "spine", "head")
CONTROLLER_BONES: dict[str, tuple[str, ...]] = {
    "body": ("hips", "spine", "head"),
    "arms": ("leftUpperArm", "leftLowerArm", "leftHand", "rightUpperArm", "rightLowerArm", "rightHand"),
    "gaze": ("leftEye", "rightEye"),
    "fingers": tuple(f"{s}{f}{g}" for s in ("left", "right") for f in FINGERS for g in FINGER_SEGMENTS),
    "jaw": ("jaw",),
}

# VRM 1.0 renamed the thumb chain: Metacarpal/Proximal/Distal are 0.x Proximal/Intermediate/Distal.
VRM1_RENAMES = {
    f"{s}Thumb{new}": f"{s}Thumb{old}"
    for s in ("left", "right")
    for new, old in (("Metacarpal", "Proximal"), ("Proximal", "Intermediate"), ("Distal", "Distal"))
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _aliases() -> dict[str, str]:
    """Normalised rig bone name -> canonical bone, for Mixamo, Rigify/Blender, VRoid and plain names."""
    table: dict[str, str] = {}

    def add(alias: str, bone: str) -> None:
        table.setdefault(_key(alias), bone)

    for bone in BONE_NAMES:
        add(bone, bone)
    mixamo_center = {"hips": "Hips", "spine": "Spine", "chest": "Spine1", "upperChest": "Spine2",
                     "neck": "Neck", "head": "Head"}
    vroid_center = {"hips": "Hips", "spine": "Spine", "chest": "Chest", "upperChest": "UpperChest",
                    "neck": "Neck", "head": "Head"}
    for bone, m in mixamo_center.items():
        add(f"mixamorig:{m}", bone)
        add(f"mixamorig_{m}", bone)
    for bone, v in vroid_center.items():
        add(f"J_Bip_C_{v}", bone)
    for side, s, lr in (("left", "L", "Left"), ("right", "R", "Right")):
        limbs = {"Shoulder": ("Shoulder", "Shoulder", "shoulder"), "UpperArm": ("Arm", "UpperArm", "upper_arm"),
                 "LowerArm": ("ForeArm", "LowerArm", "forearm"), "Hand": ("Hand", "Hand", "hand"),
                 "UpperLeg": ("UpLeg", "UpperLeg", "thigh"), "LowerLeg": ("Leg", "LowerLeg", "shin"),
                 "Foot": ("Foot", "Foot", "foot"), "Toes": ("ToeBase", "ToeBase", "toe")}
        for part, (mixamo, vroid, rigify) in limbs.items():
            bone = f"{side}{part}"
            add(f"mixamorig:{lr}{mixamo}", bone)
            add(f"mixamorig_{lr}{mixamo}", bone)
            add(f"J_Bip_{s}_{vroid}", bone)
            add(f"{rigify}.{s}", bone)
            add(f"{rigify}_{s}", bone)
            add(f"{lr}{mixamo}", bone)
        add(f"Eye_{s}", f"{side}Eye")
        add(f"eye.{s}", f"{side}Eye")
        add(f"J_Adj_{s}_FaceEye", f"{side}Eye")
        mixamo_fingers = {"Thumb": "Thumb", "Index": "Index", "Middle": "Middle", "Ring": "Ring", "Little": "Pinky"}
        rigify_fingers = {"Thumb": "thumb", "Index": "f_index", "Middle": "f_middle", "Ring": "f_ring",
                          "Little": "f_pinky"}
        for finger in FINGERS:
            for i, seg in enumerate(FINGER_SEGMENTS, start=1):
                bone = f"{side}{finger}{seg}"
                add(f"mixamorig:{lr}Hand{mixamo_fingers[finger]}{i}", bone)
                add(f"mixamorig_{lr}Hand{mixamo_fingers[finger]}{i}", bone)
                add(f"J_Bip_{s}_{finger}{i}", bone)
                add(f"{rigify_fingers[finger]}.0{i}.{s}", bone)
    return table


ALIASES = _aliases()


def match_bone(name: str) -> str | None:
    """The canonical bone a rig's bone name stands for, or None."""
    return ALIASES.get(_key(name))
