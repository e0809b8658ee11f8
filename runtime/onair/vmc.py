"""The VMC protocol (Virtual Motion Capture: OSC over UDP), both ways.

Out: a host's bones and blend shapes every tick, so VSeeFace/Warudo-style apps can mirror it —
`/VMC/Ext/Root/Pos`, `/VMC/Ext/Bone/Pos` (Unity humanoid bone names, local position and rotation),
`/VMC/Ext/Blend/Val` (VRM presets A I U E O, Blink_L, Blink_R, Joy, Angry, Surprised) and
`/VMC/Ext/Blend/Apply`, with `/VMC/Ext/OK` and `/VMC/Ext/T`, in one OSC bundle per tick.

In: a performer's tracking app drives a host's head, eyes and hands (and blinks and mouth): the bones
and blend values last received replace the host's own for those parts.

Coordinates: Cohost's host frame is right-handed (+X the host's left, +Y up, +Z forward); Unity's is
left-handed with +X to the avatar's right. Positions flip x; rotations (x, y, z, w) become (x, -y, -z, w).
"""
from __future__ import annotations

import logging
import socket
import struct

import numpy as np

from ..skeleton.face import CHANNEL_INDEX, VISEMES
from ..skeleton.pose import BONE_INDEX
from ..skeleton.rigfile import VISEME_FROM_VOWELS
from ..world.stages import Stage
from ..world.world import World

log = logging.getLogger("cohost.vmc")
DEFAULT_PORT = 39539
VOWELS = {"aa": "A", "ih": "I", "ou": "U", "ee": "E", "oh": "O"}
EXPRESSIONS = {"blinkLeft": "Blink_L", "blinkRight": "Blink_R", "happy": "Joy", "angry": "Angry", "sad": "Sorrow",
               "relaxed": "Fun", "surprised": "Surprised"}        # the VRM 0.x names VMC sends
DRIVEN = ("neck", "head", "leftEye", "rightEye", *(n for n in BONE_INDEX if n.startswith(("left", "right"))
                                                   and any(p in n for p in ("Arm", "Hand", "Thumb", "Index",
                                                                            "Middle", "Ring", "Little"))))
# Mouth shapes from the five vowels a tracking app sends: each vowel is its viseme.
VISEME_OF = {"A": "aa", "I": "ih", "U": "ou", "E": "E", "O": "oh"}
VOWEL_MIX = np.array([[VISEME_FROM_VOWELS[v].get(k, 0.0) for k in VOWELS] for v in VISEMES])   # (15, 5)


def unity_name(bone: str) -> str:
    return bone[0].upper() + bone[1:]


def to_unity(q: np.ndarray) -> np.ndarray:
    """A rotation (x, y, z, w) between the two handednesses (its own inverse)."""
    return np.array([q[0], -q[1], -q[2], q[3]])


# -- OSC --------------------------------------------------------------------------------------------
def _pad(data: bytes) -> bytes:
    return data + b"\0" * (4 - len(data) % 4)


def osc_message(address: str, *args) -> bytes:
    tags, body = ",", b""
    for a in args:
        if isinstance(a, str):
            tags, body = tags + "s", body + _pad(a.encode())
        elif isinstance(a, (int, np.integer)) and not isinstance(a, bool):
            tags, body = tags + "i", body + struct.pack(">i", int(a))
        else:
            tags, body = tags + "f", body + struct.pack(">f", float(a))
    return _pad(address.encode()) + _pad(tags.encode()) + body


def osc_bundle(messages: list[bytes]) -> bytes:
    out = _pad(b"#bundle") + struct.pack(">Q", 1)                # timetag 1: immediately
    return out + b"".join(struct.pack(">i", len(m)) + m for m in messages)


def _string(data: bytes, at: int) -> tuple[str, int]:
    end = data.index(b"\0", at)
    return data[at:end].decode("utf-8", "replace"), (end // 4 + 1) * 4


def osc_parse(data: bytes) -> list[tuple[str, list]]:
    """(address, arguments) of every message in a packet (bundles opened); ValueError if malformed."""
    try:
        return _parse(data)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"malformed OSC packet: {e}") from None


def _parse(data: bytes) -> list[tuple[str, list]]:
    if data.startswith(b"#bundle\0"):
        out, at = [], 16
        while at < len(data):
            (size,) = struct.unpack_from(">i", data, at)
            out += _parse(data[at + 4:at + 4 + size])
            at += 4 + size
        return out
    address, at = _string(data, 0)
    tags, at = _string(data, at)
    if not address.startswith("/") or not tags.startswith(","):
        raise ValueError("not an OSC message")
    args: list = []
    for tag in tags[1:]:
        if tag == "s":
            value, at = _string(data, at)
        elif tag in "if":
            (value,) = struct.unpack_from(">i" if tag == "i" else ">f", data, at)
            at += 4
        elif tag in "TF":
            value = tag == "T"
        else:
            raise ValueError(f"OSC type {tag!r} is not used by VMC")
        args.append(value)
    return [(address, args)]


# -- out ----------------------------------------------------------------------------------------------
class VmcOut(Stage):
    """Sends host h's pose every tick to a VMC receiver (UDP, default 127.0.0.1:39539): the last stage."""
    name, does = "vmc out", "one host's bones and blend shapes sent over VMC"

    def __init__(self, h: int, address: tuple[str, int]) -> None:
        self.h, self.address = h, address
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def validate(self, world: World) -> None:
        if not 0 <= self.h < world.hosts:
            raise ValueError(f"vmc out: no host {self.h} (the world has {world.hosts})")

    def packet(self, world: World, tick: int) -> bytes:
        flip = np.array([-1.0, 1.0, 1.0])
        pose, host = world.pose(self.h), world.cast[self.h]
        messages = [osc_message("/VMC/Ext/OK", 1), osc_message("/VMC/Ext/T", tick / world.rate),
                    osc_message("/VMC/Ext/Root/Pos", "root", *(host.placement[:3, 3] * flip), 0.0, 0.0, 0.0, 1.0)]
        offsets = host.skeleton.offsets * flip
        for bone, j in BONE_INDEX.items():
            q = to_unity(pose.rotations[j])
            offset = offsets[j] + (pose.hips_offset * flip if bone == "hips" else 0.0)
            messages.append(osc_message("/VMC/Ext/Bone/Pos", unity_name(bone), *offset, *q))
        vowels = pose.face[:len(VISEMES)] @ VOWEL_MIX
        for k, name in enumerate(VOWELS.values()):
            messages.append(osc_message("/VMC/Ext/Blend/Val", name, min(1.0, vowels[k])))
        for channel, name in EXPRESSIONS.items():
            messages.append(osc_message("/VMC/Ext/Blend/Val", name, pose.face[CHANNEL_INDEX[channel]]))
        messages.append(osc_message("/VMC/Ext/Blend/Apply"))
        return osc_bundle(messages)

    def run(self, world: World, tick: int) -> None:
        try:
            self.socket.sendto(self.packet(world, tick), self.address)
        except OSError as e:                  # nobody listening, a full buffer: the show goes on
            log.debug("VMC send failed: %s", e)


# -- in -----------------------------------------------------------------------------------------------
class VmcReceiver:
    """Listens on UDP for a tracking app; keeps the latest rotation of each bone and each blend value."""

    def __init__(self, port: int, bind: str = "127.0.0.1") -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind((bind, port))
        self.socket.setblocking(False)
        self.port = self.socket.getsockname()[1]
        self.bones: dict[str, np.ndarray] = {}       # canonical name -> local rotation, Cohost's frame
        self.blends: dict[str, float] = {}
        self.packets = self.rejected = 0

    def poll(self) -> None:
        """Take every datagram waiting; a malformed one is counted and skipped."""
        while True:
            try:
                data = self.socket.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            try:
                messages = osc_parse(data)
            except ValueError as e:
                self.rejected += 1
                log.info("VMC input skipped: %s", e)
                continue
            self.packets += 1
            for address, args in messages:
                self._take(address, args)

    def _take(self, address: str, args: list) -> None:
        if address == "/VMC/Ext/Bone/Pos" and len(args) == 8 and isinstance(args[0], str):
            bone = args[0][0].lower() + args[0][1:]
            q = np.array(args[4:8], float)
            if bone in BONE_INDEX and np.isfinite(q).all() and np.linalg.norm(q) > 1e-6:
                self.bones[bone] = to_unity(q / np.linalg.norm(q))
        elif address == "/VMC/Ext/Blend/Val" and len(args) == 2 and isinstance(args[0], str):
            value = float(args[1])
            if np.isfinite(value):
                self.blends[args[0]] = min(1.0, max(0.0, value))


class VmcIn(Stage):
    """Host h's head, eyes and hands (and blinks and mouth) from VMC input: right after the body, so the
    gaze and the fingers leave them alone."""
    name, does = "vmc in", "a performer's tracked head, eyes, hands and face from VMC"

    def __init__(self, h: int, receiver: VmcReceiver) -> None:
        self.h, self.receiver = h, receiver

    def validate(self, world: World) -> None:
        if not 0 <= self.h < world.hosts:
            raise ValueError(f"vmc in: no host {self.h} (the world has {world.hosts})")

    def run(self, world: World, tick: int) -> None:
        self.receiver.poll()
        for bone, q in self.receiver.bones.items():
            if bone in DRIVEN:
                world.rotations[self.h, BONE_INDEX[bone]] = q
        blends = self.receiver.blends
        face = {CHANNEL_INDEX[channel]: blends[name] for channel, name in EXPRESSIONS.items() if name in blends}
        mouth = {VISEME_OF[v]: blends[v] for v in VISEME_OF if v in blends}
        if mouth:
            weights = np.zeros(len(VISEMES))
            for viseme, w in mouth.items():
                weights[VISEMES.index(viseme)] = w
            weights[0] = max(0.0, 1.0 - weights.sum())
            face.update(enumerate(weights / weights.sum()))
        world.puppets[self.h] = face


def address(text: str) -> tuple[str, int]:
    """'PORT' or 'HOST:PORT' -> (host, port); 127.0.0.1 unless given."""
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise ValueError(f"expected PORT or HOST:PORT, got {text!r}") from None
    if not 0 <= number < 65536:
        raise ValueError(f"port out of range: {number}")
    return host or "127.0.0.1", number
