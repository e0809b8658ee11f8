"""The procedural controllers of all hosts on a set, run together once per tick over (H, ...) arrays:
attention and gaze (eyes, head, neck, upper chest), blinks, fingers, and breathing and nods on top of
whatever the hosts' bodies are doing (idle, gestures, speech).

Each host keeps its own driver for the body; `Cast.member(h)` is the driver the stage asks for host h's
pose. The first request of a tick runs every host's body and then the controllers for all hosts at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..gesture.handshapes import HANDSHAPES
from ..gesture.realize import GestureDriver
from ..skeleton import quat
from ..skeleton.pose import BONE_INDEX, CHANNEL_INDEX, Driver, Pose
from ..skeleton.skeleton import Skeleton
from ..speech.visemes import ipa_sounds, is_vowel
from .attention import Attention, Look, Role
from .blink import Blink
from .config import load_behaviour
from .fingers import HAND_JOINTS, Fingers, hands_rotations
from .gaze import Gaze
from .speech import Line, SpeakingDriver

GAZE_BONES = [BONE_INDEX[b] for b in ("upperChest", "neck", "head", "leftEye", "rightEye")]
EXPRESSION_RAMP_S = 0.25       # an expression an operator asks for eases in and out over this long
X = np.array([1.0, 0.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])
DEEP_BREATH_S = 0.9             # the deep breath before a long line takes this long


@dataclass
class Performer:
    skeleton: Skeleton
    placement: np.ndarray           # (4, 4): host frame -> set coordinates
    seed: int
    body: Driver                    # idle, clips, gestures and the mouth
    speech: SpeakingDriver | None = None
    gestures: GestureDriver | None = None      # says which hand shapes the body asks for


def rest_eyes(skeleton: Skeleton) -> np.ndarray:
    """(2, 3) the eyes at rest, host frame."""
    rest = skeleton.world_positions(skeleton.rest_pose()[0])
    return np.array([rest[BONE_INDEX["leftEye"]], rest[BONE_INDEX["rightEye"]]])


def nod_times(line: Line) -> list[tuple[float, float]]:
    """(seconds into the line, strength 0..1) of each stressed vowel, strength from the speech's loudness."""
    u = line.utterance
    audio = u.audio.astype(float)
    peak = max(float(np.sqrt(np.mean(audio ** 2))) * 2.5, 1.0)
    out = []
    for p in u.phonemes:
        if p.stressed and any(is_vowel(sym, v) for sym, v in ipa_sounds(p.ipa)):
            seg = audio[int(p.start * u.sample_rate):int(p.end * u.sample_rate)]
            level = float(np.sqrt(np.mean(seg ** 2))) if len(seg) else 0.0
            out.append((p.start, min(1.0, level / peak)))
    return out


def backchannel(nods: list[tuple[float, float]], nod_config: dict) -> list[tuple[float, float]]:
    """The listener's nods to a line: on the speaker's strongest stresses, a moment later, spaced out."""
    out, last = [], -1e9
    for at, strength in nods:
        if strength >= nod_config["backchannel_above"] and at - last >= nod_config["backchannel_every"]:
            out.append((at + nod_config["backchannel_delay"], strength * nod_config["backchannel_scale"]))
            last = at
    return out


def screen_point(camera, x: float, y: float, aspect: float, distance: float = 1.0) -> np.ndarray:
    """The set point `distance` metres in front of a camera (a set file's Camera, vertical fov) seen at
    screen position (x, y), each -1 .. 1 from the centre (+y up): where a host looks to look "at" an
    on-screen graphic."""
    eye, centre = np.array(camera.position, float), np.array(camera.look_at, float)
    forward = (centre - eye) / np.linalg.norm(centre - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    half = np.tan(np.radians(camera.fov) / 2)
    return eye + distance * (forward + x * half * aspect * right + y * half * up)


def transform(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (H, K, 3) through one 4x4 transform per host (H, 4, 4)."""
    return np.einsum("hij,hkj->hki", matrices[:, :3, :3], points) + matrices[:, None, :3, 3]


class _Member:
    def __init__(self, cast: "Cast", h: int) -> None:
        self.cast, self.h = cast, h

    def pose(self, tick: int) -> Pose:
        return self.cast.pose(self.h, tick)


class Cast:
    def __init__(self, performers: list[Performer], rate: int, camera: np.ndarray, config: dict | None = None) -> None:
        self.performers, self.rate = performers, rate
        self.c = config or load_behaviour()
        H = len(performers)
        self.offsets = np.stack([p.skeleton.offsets for p in performers])
        self.placements = np.stack([p.placement for p in performers])
        self.to_host = np.linalg.inv(self.placements)
        self.camera = np.array([(m @ [*camera, 1.0])[:3] for m in self.to_host])
        eyes = np.array([rest_eyes(p.skeleton) for p in performers])
        self.eyes_set = transform(self.placements, eyes)
        self.up_set = self.placements[:, :3, 1].copy()
        seeds = [p.seed for p in performers]
        self.attention = Attention(seeds, self.c)
        self.gaze = Gaze(H, self.c["gaze"], eyes.mean(axis=1))
        self.blink = Blink(seeds, self.c["blink"])
        self.fingers = Fingers(seeds, rate)
        relaxed = HANDSHAPES["relaxed"]
        self._relaxed = (np.tile(np.array(relaxed.curl), (2, 1)), np.full(2, relaxed.spread))
        self._nods: dict[int, tuple[list, list]] = {}     # id(line) -> the speaker's and a listener's nods
        self._tick: int | None = None
        self._poses: list[Pose] = []
        self.speaking = np.zeros(H, bool)
        self.last_spoke = np.full(H, -1e9)          # seconds
        self.cues: dict[int, list[Callable[[], None]]] = {}     # tick -> a director's calls, run before it
        self.director: Callable[[int], None] | None = None      # called first on every tick
        self.expressions: list[tuple[int, int, float, float, float]] = []   # (host, channel, from s, to s, weight)
        self.carried: dict[str, np.ndarray] = {}     # product id -> the set frame (4x4) of the hand holding it
        self.puppets: set[int] = set()               # hosts whose head, eyes and blinks come from outside (VMC)
        self.after: list[Callable[[int, list[Pose]], None]] = []   # called with every tick's poses (VMC out)

    def member(self, h: int) -> Driver:
        return _Member(self, h)

    def recast(self, h: int, performer: Performer) -> None:
        """Host h goes on with another body (a rig swapped mid-show): same place, same controllers."""
        self.performers[h] = performer
        self.offsets[h] = performer.skeleton.offsets
        eyes = rest_eyes(performer.skeleton)
        self.eyes_set[h] = transform(self.placements[h:h + 1], eyes[None])[0]
        self.gaze.eye_mid[h] = eyes.mean(axis=0)

    def express(self, h: int, tick: int, channel: str, weight: float, seconds: float) -> None:
        """Host h shows an expression (smile, browUp, browDown) at `weight` for `seconds` from `tick`."""
        t = tick / self.rate
        self.expressions = [e for e in self.expressions if e[0] != h or e[1] != CHANNEL_INDEX[channel]]
        self.expressions.append((h, CHANNEL_INDEX[channel], t, t + seconds, weight))

    def look_at(self, h: int, tick: int, point: np.ndarray, seconds: float, pin: bool = False) -> None:
        """Host h looks at a point in set coordinates (a product, a spot on the screen) from `tick` on."""
        host_point = (self.to_host[h] @ [*point, 1.0])[:3]
        self.attention.direct(h, tick / self.rate, Look.POINT, seconds, host_point, pin)

    def meet(self, h: int, tick: int, seconds: float, pin: bool = False) -> None:
        """Host h looks into its partner's eyes from `tick` on, following them as they turn."""
        self.attention.direct(h, tick / self.rate, Look.PARTNER, seconds, pin=pin)

    def address(self, h: int, tick: int, seconds: float, pin: bool = False) -> None:
        """Host h turns to the viewers (the camera) from `tick` on."""
        self.attention.direct(h, tick / self.rate, Look.CAMERA, seconds, pin=pin)

    def eye_contact(self, tick: int, seconds: float) -> None:
        """Every host looks into its partner's eyes (two hosts: at each other) from `tick` on."""
        for h in range(len(self.performers)):
            self.meet(h, tick, seconds)

    def pose(self, h: int, tick: int) -> Pose:
        if tick != self._tick:
            self._step(tick)
        return self._poses[h]

    # -- one tick for every host -----------------------------------------------------------------------
    def _lines(self, tick: int) -> tuple[list[Line | None], np.ndarray]:
        """The line each host is speaking at `tick`, and the length of lines starting on this tick."""
        now, starting = [], np.zeros(len(self.performers))
        for h, p in enumerate(self.performers):
            line = p.speech.line_at(tick) if p.speech is not None else None
            now.append(line)
            if line is not None and line.start_tick == tick:
                starting[h] = line.track.ticks / self.rate
        return now, starting

    def _partners(self) -> np.ndarray:
        """Whom each host turns to: the other host who spoke last (the first such on a tie)."""
        H = len(self.performers)
        if H < 2:
            return np.zeros(H, int)
        order = np.argsort(-self.last_spoke, kind="stable")
        return np.where(np.arange(H) == order[0], order[1], order[0])

    def _breathing(self, tick: int, rot: np.ndarray, now: list[Line | None]) -> None:
        """A deeper breath in the moment before a long line, on top of the body's own breathing (the idle
        clip breathes 13-17 times a minute)."""
        b = self.c["breathing"]
        for h, p in enumerate(self.performers):
            if p.speech is None or now[h] is not None:
                continue
            upcoming = next((line for line in p.speech.lines if line.start_tick > tick), None)
            if upcoming is None or upcoming.track.ticks / self.rate < b["deep_before"]:
                continue
            u = 1.0 - (upcoming.start_tick - tick) / (DEEP_BREATH_S * self.rate)
            if 0.0 <= u <= 1.0:
                inhale = np.sin(np.pi * u) * (b["deep"] - 1.0)
                for bone, deg, axis in (("chest", -b["chest"], X), ("leftShoulder", b["shoulders"], Z),
                                        ("rightShoulder", -b["shoulders"], Z)):
                    j = BONE_INDEX[bone]
                    rot[h, j] = quat.multiply(quat.from_axis_angle(axis, np.radians(deg * inhale)), rot[h, j])

    def _holds(self, tick: int, rot: np.ndarray, hips: np.ndarray) -> None:
        """Fingers closed round a product in hand, and where each product in a hand is now."""
        self.carried.clear()
        for h, p in enumerate(self.performers):
            hold = p.gestures.hold if p.gestures is not None else None
            if hold is None:
                continue
            layer = p.gestures.holding
            arm, at_product, _, attached = hold.phase(tick, self.rate)
            if arm > 0 and at_product > 0:     # taking or leaving it: land exactly, wherever the gaze turned the chest
                rot[h] = p.gestures.hold_arm(rot[h], tick, lean=False, hips=hips[h])[0]
            if layer.fingers is not None and p.gestures.grip_closed > 0:
                joints, grasped = layer.fingers
                rot[h, joints] = quat.slerp(rot[h, joints], grasped, p.gestures.grip_closed)
            if attached:
                hand = layer.hand_matrix(rot[h], hold.side)
                hand[:3, 3] += hips[h]
                self.carried[hold.product] = self.placements[h] @ hand

    def _nod(self, t_line: float, nods: list[tuple[float, float]]) -> float:
        n = self.c["nods"]
        angle = 0.0
        for at, strength in nods:
            dt = t_line - at
            if 0 <= dt < n["attack"]:
                angle = max(angle, strength * np.sin(0.5 * np.pi * dt / n["attack"]))
            elif n["attack"] <= dt < n["attack"] + n["release"]:
                angle = max(angle, strength * np.cos(0.5 * np.pi * (dt - n["attack"]) / n["release"]))
        return np.radians(n["degrees"]) * angle

    def _step(self, tick: int) -> None:
        t, H = tick / self.rate, len(self.performers)
        if self.director is not None:
            self.director(tick)
        for cue in self.cues.pop(tick, []):
            cue()
        poses = [p.body.pose(tick) for p in self.performers]
        rot = np.stack([p.rotations for p in poses])
        hips = np.stack([p.hips_offset for p in poses])
        now, starting = self._lines(tick)
        self.speaking = np.array([line is not None for line in now])
        self.last_spoke[self.speaking] = t
        # A short pause between lines keeps the listener listening (to whoever spoke last).
        recent = t - self.last_spoke < self.c["gaze.listening"]["hold_silence"]
        others = recent.sum() - recent > 0                                   # someone else spoke lately
        roles = np.where(self.speaking, Role.SPEAKING, np.where(others, Role.LISTENING, Role.IDLE))
        # Nods on stressed syllables, the listener's smaller and fewer a moment later (back-channel);
        # before the gaze, so the eyes hold their target through them (VOR).
        partners = self._partners()
        live = set()
        for h, line in enumerate(now):
            if line is not None:
                live.add(id(line))
                if id(line) not in self._nods:
                    nods = nod_times(line)
                    self._nods[id(line)] = nods, backchannel(nods, self.c["nods"])
        nodding, angles = [], []
        for h in range(H):
            line = now[h] if now[h] is not None else (now[partners[h]] if roles[h] == Role.LISTENING else None)
            if line is not None:
                nods = self._nods[id(line)][0 if line is now[h] else 1]
                nodding.append(h)
                angles.append(self._nod((tick - line.start_tick) / self.rate, nods))
        if nodding:                                      # one rotation for every nodding head
            j = BONE_INDEX["head"]
            rot[nodding, j] = quat.multiply(quat.from_axis_angle(X, np.array(angles)), rot[nodding, j])
        if len(self._nods) > len(live):                  # forget the nods of lines that have ended
            self._nods = {k: v for k, v in self._nods.items() if k in live}
        self._breathing(tick, rot, now)
        # Attention, then gaze: targets in each host's frame, the partner's eyes from the last tick.
        self.attention.step(t, roles, starting, np.array([H > 1] * H))
        partner_eyes = transform(self.to_host, self.eyes_set[partners])         # into each looker's frame
        partner_up = np.einsum("hij,hj->hi", self.to_host[:, :3, :3], self.up_set[partners])
        targets = self.attention.targets(self.camera, partner_eyes, partner_up, self.gaze.eye_mid)
        puppets = sorted(self.puppets)
        tracked = rot[np.ix_(puppets, GAZE_BONES)] if puppets else None
        saccades = self.gaze.step(t, 1.0 / self.rate, targets, self.attention.target_id, rot, self.offsets, hips)
        if puppets:
            rot[np.ix_(puppets, GAZE_BONES)] = tracked                      # a performer's own head and eyes
        for s in saccades:
            self.blink.gaze_shift(s.host, t, s.amplitude_deg, bool(self.speaking[s.host]))
        closure = self.blink.step(t, self.speaking, self.gaze.eye_pitch(rot))
        # Fingers: the requested shapes, reached finger by finger, with a little drift at rest.
        asked = [(p.gestures.hand_curls, p.gestures.hand_spread) if p.gestures else self._relaxed
                 for p in self.performers]
        curls = self.fingers.step(t, np.array([a[0] for a in asked]), np.array([a[1] for a in asked]))
        rot[:, HAND_JOINTS] = hands_rotations(curls, self.fingers.spread)
        self._holds(tick, rot, hips)
        # Where every host's eyes are now, in set coordinates, for the others to look at next tick.
        world, pos = self.gaze.chain
        self.eyes_set = transform(self.placements, pos[:, 6:8])
        self.up_set = np.einsum("hij,hj->hi", self.placements[:, :3, :3], world[:, 5, :, 1])
        for h, pose in enumerate(poses):
            pose.rotations = rot[h]
            if h not in self.puppets:
                pose.face[CHANNEL_INDEX["blinkLeft"]] = closure[h]
                pose.face[CHANNEL_INDEX["blinkRight"]] = closure[h]
        self.expressions = [e for e in self.expressions if e[3] + EXPRESSION_RAMP_S > t]
        for h, channel, start, end, weight in self.expressions:
            ease = np.clip(min(t - start, end + EXPRESSION_RAMP_S - t) / EXPRESSION_RAMP_S, 0.0, 1.0)
            poses[h].face[channel] = max(poses[h].face[channel], weight * ease)
        self._poses, self._tick = poses, tick
        for call in self.after:
            call(tick, poses)
