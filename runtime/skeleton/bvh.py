"""BVH motion files: parse, map the joints onto the canonical humanoid, and turn into a Clip."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import quat
from .clip import Clip, from_world
from .frame import detect_frame
from .humanoid import FINGER_SEGMENTS, match_bone
from .skeleton import Skeleton


class BvhError(ValueError):
    """A malformed BVH file; the message is `file:line: what is wrong`."""


@dataclass
class Bvh:
    names: list[str]
    parents: list[int]
    offsets: np.ndarray              # (N, 3)
    channels: list[list[str]]        # per joint, e.g. ["Xposition", ..., "Zrotation"]
    frame_time: float
    motion: np.ndarray               # (F, total channels)


def parse_bvh(path: str | Path) -> Bvh:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise BvhError(f"{path}:1: cannot read: {e.strerror}") from None
    names, parents, offsets, channels = [], [], [], []
    stack: list[int] = []
    i, pending_end = 0, False

    def fail(line_no: int, message: str):
        raise BvhError(f"{path}:{line_no + 1}: {message}")

    while i < len(lines):
        words = lines[i].split()
        if not words:
            i += 1
            continue
        key = words[0].upper()
        if key in ("ROOT", "JOINT"):
            if len(words) < 2:
                fail(i, f"{key} needs a name")
            names.append(words[1])
            parents.append(stack[-1] if stack else -1)
            offsets.append(np.zeros(3))
            channels.append([])
        elif key == "END":
            pending_end = True
        elif key == "{":
            stack.append(-2 if pending_end else len(names) - 1)
            pending_end = False
        elif key == "}":
            if not stack:
                fail(i, "unbalanced '}'")
            stack.pop()
        elif key == "OFFSET":
            if len(words) != 4:
                fail(i, "OFFSET needs 3 numbers")
            if stack and stack[-1] >= 0:
                try:
                    offsets[stack[-1]] = np.array([float(v) for v in words[1:]])
                except ValueError:
                    fail(i, f"bad number in OFFSET: {' '.join(words[1:])}")
        elif key == "CHANNELS":
            try:
                n = int(words[1])
            except (IndexError, ValueError):
                fail(i, "CHANNELS needs a count")
            if len(words) != n + 2:
                fail(i, f"CHANNELS says {n} but lists {len(words) - 2}")
            bad = [w for w in words[2:] if w.lower()[1:] not in ("position", "rotation") or w[0].lower() not in "xyz"]
            if bad:
                fail(i, f"unknown channel {bad[0]}")
            channels[-1] = words[2:]
        elif key == "MOTION":
            break
        i += 1
    if not names:
        fail(0, "no HIERARCHY joints found")
    if stack:
        fail(i, "unbalanced '{' in HIERARCHY")
    try:
        frames = int(re.split(r"[:\s]+", lines[i + 1].strip())[1])
        frame_time = float(re.split(r":\s*", lines[i + 2].strip())[1])
    except (IndexError, ValueError):
        fail(min(i + 1, len(lines) - 1), "MOTION needs 'Frames: N' and 'Frame Time: T'")
    total = sum(len(c) for c in channels)
    rows = []
    for k in range(frames):
        line_no = i + 3 + k
        if line_no >= len(lines):
            fail(line_no - 1, f"expected {frames} frames, found {k}")
        try:
            row = [float(v) for v in lines[line_no].split()]
        except ValueError:
            fail(line_no, "bad number in frame data")
        if len(row) != total:
            fail(line_no, f"frame {k} has {len(row)} values, expected {total}")
        rows.append(row)
    if frame_time <= 0:
        fail(i + 2, f"Frame Time must be positive, got {frame_time}")
    return Bvh(names, parents, np.array(offsets), channels, frame_time, np.array(rows).reshape(frames, total))


# Joint names of common BVH conventions that plain name matching does not cover.
_CONVENTIONS: dict[str, dict[str, str]] = {
    "cmu": {"Hips": "hips", "LowerBack": "spine", "Spine": "chest", "Spine1": "upperChest", "Neck1": "neck",
            "Head": "head", "LThumb": "leftThumbProximal", "RThumb": "rightThumbProximal",
            "LeftHandIndex1": "leftIndexProximal", "RightHandIndex1": "rightIndexProximal"},
    "daz": {"hip": "hips", "abdomen": "spine", "chest": "chest", "neck": "neck", "head": "head"},
    "makehuman-default": {"root": "hips", "spine05": "spine", "spine03": "chest", "spine01": "upperChest",
                          "neck01": "neck", "head": "head", "jaw": "jaw"},
    "makehuman": {"Root": "hips", "Spine1": "spine", "Spine2": "chest", "Spine3": "upperChest", "Neck": "neck",
                  "Head": "head", "Jaw": "jaw"},
}
for _s, _S, _lr in (("left", "L", "l"), ("right", "R", "r")):
    _CONVENTIONS["daz"].update({f"{_lr}Collar": f"{_s}Shoulder", f"{_lr}Shldr": f"{_s}UpperArm",
                                f"{_lr}ForeArm": f"{_s}LowerArm", f"{_lr}Hand": f"{_s}Hand",
                                f"{_lr}Thigh": f"{_s}UpperLeg", f"{_lr}Shin": f"{_s}LowerLeg", f"{_lr}Foot": f"{_s}Foot",
                                f"{_s}Eye": f"{_s}Eye"})
    for _daz, _finger in (("Thumb", "Thumb"), ("Index", "Index"), ("Mid", "Middle"), ("Ring", "Ring"), ("Pinky", "Little")):
        for _k, _seg in enumerate(FINGER_SEGMENTS[:2], start=1):
            _CONVENTIONS["daz"][f"{_lr}{_daz}{_k}"] = f"{_s}{_finger}{_seg}"
    _CONVENTIONS["makehuman"].update({f"Clavicle_{_S}": f"{_s}Shoulder", f"UpArm_{_S}": f"{_s}UpperArm",
                                      f"LoArm_{_S}": f"{_s}LowerArm", f"Hand_{_S}": f"{_s}Hand",
                                      f"UpLeg_{_S}": f"{_s}UpperLeg", f"LoLeg_{_S}": f"{_s}LowerLeg",
                                      f"Foot_{_S}": f"{_s}Foot", f"Toe_{_S}": f"{_s}Toes", f"Eye_{_S}": f"{_s}Eye"})
    _CONVENTIONS["makehuman-default"].update({
        f"clavicle.{_S}": f"{_s}Shoulder", f"upperarm01.{_S}": f"{_s}UpperArm", f"lowerarm01.{_S}": f"{_s}LowerArm",
        f"wrist.{_S}": f"{_s}Hand", f"upperleg01.{_S}": f"{_s}UpperLeg", f"lowerleg01.{_S}": f"{_s}LowerLeg",
        f"foot.{_S}": f"{_s}Foot", f"toe1-1.{_S}": f"{_s}Toes", f"eye.{_S}": f"{_s}Eye"})
    for _n, _finger in enumerate(("Thumb", "Index", "Middle", "Ring", "Little"), start=1):
        for _k, _seg in enumerate(FINGER_SEGMENTS, start=1):
            _CONVENTIONS["makehuman-default"][f"finger{_n}-{_k}.{_S}"] = f"{_s}{_finger}{_seg}"
    for _mh, _finger in (("Thumb", "Thumb"), ("Index", "Index"), ("Middle", "Middle"), ("Ring", "Ring"),
                         ("Pinky", "Little")):
        for _k, _seg in enumerate(FINGER_SEGMENTS, start=1):
            _CONVENTIONS["makehuman"][f"{_mh}{_k}_{_S}"] = f"{_s}{_finger}{_seg}"


def map_bvh_joints(names: list[str]) -> dict[str, str]:
    """canonical bone -> BVH joint, using the convention that matches the most joints, then name matching."""
    best = max(_CONVENTIONS.values(), key=lambda table: sum(n in table for n in names))
    out: dict[str, str] = {}
    for n in names:
        bone = best.get(n) or match_bone(n)
        if bone and bone not in out:
            out[bone] = n
    return out


def _local_rotations(bvh: Bvh) -> tuple[np.ndarray, np.ndarray]:
    """Per joint local rotations (F, N, 4) and the root translation (F, 3), from the channel values."""
    frames = len(bvh.motion)
    rot = np.zeros((frames, len(bvh.names), 4))
    rot[..., 3] = 1.0
    root = np.zeros((frames, 3))
    col = 0
    for j, chans in enumerate(bvh.channels):
        for c in chans:
            values = bvh.motion[:, col]
            axis = np.eye(3)["xyz".index(c[0].lower())]
            if c.lower().endswith("rotation"):
                rot[:, j] = quat.multiply(rot[:, j], quat.from_axis_angle(np.broadcast_to(axis, (frames, 3)),
                                                                          np.radians(values)))
            elif j == 0:
                root[:, "xyz".index(c[0].lower())] = values
            col += 1
    return rot, root


def load_bvh(path: str | Path) -> Clip:
    bvh = parse_bvh(path)
    mapping = map_bvh_joints(bvh.names)
    if "hips" not in mapping:
        raise BvhError(f"{path}:1: no hips joint recognised among {', '.join(bvh.names[:8])}, ...")
    local, root = _local_rotations(bvh)
    # Rest: zero rotations. World positions at rest give the file's frame (which way is up and left).
    rest = np.zeros((len(bvh.names), 3))
    for j, p in enumerate(bvh.parents):
        rest[j] = bvh.offsets[j] + (rest[p] if p >= 0 else 0.0)
    frame = detect_frame({b: rest[bvh.names.index(n)] for b, n in mapping.items()},
                         default_up=(0.0, 1.0, 0.0), default_left=(1.0, 0.0, 0.0))
    frame_q = quat.from_matrix(frame)
    world = np.zeros_like(local)
    for j, p in enumerate(bvh.parents):
        world[:, j] = local[:, j] if p < 0 else quat.multiply(world[:, p], local[:, j])
    world_rot = {b: quat.multiply(quat.multiply(quat.conjugate(frame_q), world[:, bvh.names.index(n)]), frame_q)
                 for b, n in mapping.items()}
    # The hips offset is the root's travel since the first frame (file units; retargeting rescales it).
    hips = (root - root[0]) @ frame
    skeleton = Skeleton.canonical({b: rest[bvh.names.index(n)] @ frame for b, n in mapping.items()})
    return from_world(Path(path).stem, 1.0 / bvh.frame_time, world_rot, hips, skeleton)
