"""The stages of a tick but the director and the body (runtime/world/body.py): speech, nods and
breathing, attention, gaze, blinks, fingers, holds, spring bones and the face. Each is a small object validated once at set-up and run as `run(world, tick)`,
reading and writing the World's arrays; the order they run in is the list in runtime/world/tick.py.
"""
from __future__ import annotations

import numpy as np

from ..controllers.attention import Role
from ..controllers.fingers import HAND_JOINTS, hands_rotations
from ..controllers.hold import hold_arm
from ..controllers.nods import backchannel, brow_raises, nod_angle, nod_times, pulse
from ..skeleton.face import BLINKS, CHANNEL_INDEX, EMOTIONS, VISEMES
from ..skeleton.kernels import turn_joint
from ..skeleton.pose import BONE_INDEX
from .world import World, transform

GAZE_BONES = [BONE_INDEX[b] for b in ("upperChest", "neck", "head", "leftEye", "rightEye")]
EXPRESSION_RAMP_S = 0.25       # an expression an operator asks for eases in and out over this long
DEEP_BREATH_S = 0.9            # the deep breath before a long line takes this long
X = np.array([1.0, 0.0, 0.0])
Z = np.array([0.0, 0.0, 1.0])
BLINK_CHANNELS = [CHANNEL_INDEX[b] for b in BLINKS]
EMOTION_CHANNELS = [CHANNEL_INDEX[e] for e in EMOTIONS]
BROW_UP = CHANNEL_INDEX["browUp"]
MOOD_EASE_S = 1.0              # a mood takes about this long to come onto the face or leave it (92 %)
LEFT_EYE, HEAD, CHEST = BONE_INDEX["leftEye"], BONE_INDEX["head"], BONE_INDEX["chest"]
LEFT_SHOULDER, RIGHT_SHOULDER = BONE_INDEX["leftShoulder"], BONE_INDEX["rightShoulder"]


class Stage:
    """A step of the tick. `validate` raises ValueError with a clear message for a bad set-up."""
    name = "stage"
    does = ""

    def validate(self, world: World) -> None:
        pass

    def run(self, world: World, tick: int) -> None:
        raise NotImplementedError


class Speech(Stage):
    name, does = "speech", "the line each host speaks now; its visemes; who speaks, listens, spoke last"

    def __init__(self, mouths: dict | None = None) -> None:
        self.mouths = mouths or {}          # host -> a live mouth (puppet): visemes from audio as it comes

    def validate(self, world: World) -> None:
        unknown = set(self.mouths) - set(range(world.hosts))
        if unknown:
            raise ValueError(f"speech: live mouths for hosts {sorted(unknown)}, but the world has {world.hosts}")

    def run(self, world: World, tick: int) -> None:
        world.starting[:] = 0.0
        world.visemes[:] = 0.0
        world.visemes[:, 0] = 1.0                      # silence: the mouth closed
        for h in range(world.hosts):
            line = world.line_at(h, tick)
            world.now[h] = line
            if line is not None:
                world.visemes[h] = line.track.weights[tick - line.start_tick]
                if line.start_tick == tick:
                    world.starting[h] = line.track.ticks / world.rate
        for h, mouth in self.mouths.items():
            world.visemes[h] = mouth.visemes(tick)
        world.speaking[:] = [line is not None for line in world.now]
        world.voiced[:] = world.speaking
        world.voiced[list(self.mouths)] = True
        world.last_spoke[world.speaking] = tick / world.rate
        world.roles[:] = roles_of(world, tick)
        world.partners[:] = partners_of(world)


class Nods(Stage):
    name, does = ("nods", "nods on stressed syllables (the listener's smaller, later), brows up on the strongest; "
                          "a deep breath before a long line")

    def __init__(self) -> None:
        # (line start, speaker) -> its nods, a listener's, its brow raises
        self._nods: dict[tuple[int, int], tuple[list, list, list]] = {}

    def run(self, world: World, tick: int) -> None:
        partners, roles = world.partners, world.roles
        config, brows = world.config["nods"], world.config["brows"]
        world.brows[:] = 0.0
        live = set()
        for h in range(world.hosts):
            line = world.now[h] if world.now[h] is not None else (
                world.now[partners[h]] if roles[h] == Role.LISTENING else None)
            if line is None or h in world.puppets:
                continue
            speaker = h if line is world.now[h] else int(partners[h])
            key = (line.start_tick, speaker)
            live.add(key)
            if key not in self._nods:
                nods = nod_times(line)
                self._nods[key] = nods, backchannel(nods, config), brow_raises(nods, brows)
            t_line = (tick - line.start_tick) / world.rate
            angle = nod_angle(t_line, self._nods[key][0 if speaker == h else 1], config)
            if angle:
                turn_joint(world.rotations, h, HEAD, X, angle)
            if speaker == h:
                world.brows[h] = brows["weight"] * pulse(t_line, self._nods[key][2], brows["attack"], brows["release"])
        if len(self._nods) > len(live):                  # forget the nods of lines that have ended
            self._nods = {k: v for k, v in self._nods.items() if k in live}
        self._breathe(world, tick)

    @staticmethod
    def _breathe(world: World, tick: int) -> None:
        """A deeper breath in the moment before a long line, on top of the body's own breathing."""
        b = world.config["breathing"]
        for h in range(world.hosts):
            if world.now[h] is not None or h in world.puppets:
                continue
            upcoming = next((line for line in world.lines[h] if line.start_tick > tick), None)
            if upcoming is None or upcoming.start_tick - tick > DEEP_BREATH_S * world.rate \
                    or upcoming.track.ticks / world.rate < b["deep_before"]:
                continue
            u = 1.0 - (upcoming.start_tick - tick) / (DEEP_BREATH_S * world.rate)
            inhale = np.sin(np.pi * u) * (b["deep"] - 1.0)
            for j, deg, axis in ((CHEST, -b["chest"], X), (LEFT_SHOULDER, b["shoulders"], Z),
                                 (RIGHT_SHOULDER, -b["shoulders"], Z)):
                turn_joint(world.rotations, h, j, axis, np.radians(deg * inhale))


def partners_of(world: World) -> np.ndarray:
    """Whom each host turns to: the other host who spoke last (the first such on a tie)."""
    if world.hosts < 2:
        return np.zeros(world.hosts, int)
    order = np.argsort(-world.last_spoke, kind="stable")
    return np.where(np.arange(world.hosts) == order[0], order[1], order[0])


def roles_of(world: World, tick: int) -> np.ndarray:
    """Speaking, listening (someone else spoke lately: a short pause keeps the listener listening) or idle."""
    recent = tick / world.rate - world.last_spoke < world.config["gaze.listening"]["hold_silence"]
    others = recent.sum() - recent > 0
    return np.where(world.speaking, Role.SPEAKING, np.where(others, Role.LISTENING, Role.IDLE))


class Attention(Stage):
    name, does = "attention", "what each host looks at: camera, partner, away or a point, for how long"

    def run(self, world: World, tick: int) -> None:
        world.attention.step(tick / world.rate, world.roles, world.starting, np.full(world.hosts, world.hosts > 1))


class Gaze(Stage):
    name, does = "gaze", "saccades and head, neck and chest turns toward the target; the eyes aimed last (VOR)"

    def run(self, world: World, tick: int) -> None:
        partners = world.partners
        partner_eyes = transform(world.to_host, world.eyes_set[partners])          # into each looker's frame
        partner_up = np.einsum("hij,hj->hi", world.to_host[:, :3, :3], world.up_set[partners])
        targets = world.attention.targets(world.camera, partner_eyes, partner_up, world.gaze.eye_mid)
        puppets = sorted(world.puppets)
        tracked = world.rotations[np.ix_(puppets, GAZE_BONES)] if puppets else None
        world.saccades = world.gaze.step(tick / world.rate, 1.0 / world.rate, targets, world.attention.target_id,
                                         world.rotations, world.offsets, world.hips)
        if puppets:
            world.rotations[np.ix_(puppets, GAZE_BONES)] = tracked               # a performer's own head and eyes
        # Where every host's eyes are now, in set coordinates, for the others to look at next tick.
        world.eyes_set = transform(world.placements, world.gaze.eyes)
        world.up_set = np.einsum("hij,hj->hi", world.placements[:, :3, :3], world.gaze.head_up)


class Blink(Stage):
    name, does = "blink", "spontaneous and gaze-evoked blinks; the lids follow the eyes down"

    def run(self, world: World, tick: int) -> None:
        t = tick / world.rate
        for s in world.saccades:
            world.blink.gaze_shift(s.host, t, s.amplitude_deg, bool(world.speaking[s.host]))
        world.closure = world.blink.step(t, world.speaking, world.rotations[:, LEFT_EYE])


class Fingers(Stage):
    name, does = "fingers", "the hand shapes asked for, reached finger by finger, with a little drift"

    def run(self, world: World, tick: int) -> None:
        curls = world.fingers.step(tick / world.rate, world.hand_curls, world.hand_spread)
        hands = hands_rotations(curls, world.fingers.spread)
        if world.puppets:                                                   # a performer's own fingers stay
            own = [h for h in range(world.hosts) if h not in world.puppets]
            world.rotations[np.ix_(own, HAND_JOINTS)] = hands[own]
        else:
            world.rotations[:, HAND_JOINTS] = hands


class Holds(Stage):
    name, does = "holds", "the arm holding a product (solved once, after the gaze), the grip, where products are"

    def run(self, world: World, tick: int) -> None:
        world.carried.clear()
        for h, hold in enumerate(world.holds):
            if hold is None:
                continue
            world.rotations[h], attached = hold_arm(world.cast[h].gesturer, world.rotations[h], hold, tick, world.rate,
                                                    world.hips[h])
            if attached is not None:
                world.carried[hold.product] = world.placements[h] @ attached


class SpringBones(Stage):
    name, does = "springs", "hair, skirts and accessories swing with the body and settle (spring bones, colliders)"

    def run(self, world: World, tick: int) -> None:
        world.springs.step(world.rotations, world.offsets, world.hips, 1.0 / world.rate)


class Face(Stage):
    name, does = "face", "the face channels: the body's, then visemes, blinks, moods, expressions, brows; a performer's own"

    def run(self, world: World, tick: int) -> None:
        face = world.face
        voiced = world.voiced
        face[voiced, :len(VISEMES)] = world.visemes[voiced]
        face[:, BLINK_CHANNELS] = world.closure[:, None]
        resting = face[:, EMOTION_CHANNELS].copy()          # the body's resting face (idle.toml: a slight smile)
        self._ease_moods(world)
        face[:, EMOTION_CHANNELS] = world.mood_levels
        face[:, BROW_UP] = np.maximum(face[:, BROW_UP], world.brows)
        t = tick / world.rate
        world.expressions = [e for e in world.expressions if e[3] + EXPRESSION_RAMP_S > t]
        for custom in world.custom:
            custom.clear()
        for h, name, start, end, weight in world.expressions:
            ease = np.clip(min(t - start, end + EXPRESSION_RAMP_S - t) / EXPRESSION_RAMP_S, 0.0, 1.0)
            if name in CHANNEL_INDEX:
                c = CHANNEL_INDEX[name]
                face[h, c] = max(face[h, c], weight * ease)
            elif ease > 0:
                world.custom[h][name] = max(world.custom[h].get(name, 0.0), weight * ease)
        # Another emotion shown takes the place of the resting face: gone once that emotion is at half.
        asked = face[:, EMOTION_CHANNELS]
        top, second = (np.partition(asked, -2, axis=1)[:, k] for k in (-1, -2))
        others = np.where(asked == top[:, None], second[:, None], top[:, None])   # each channel: the strongest other
        face[:, EMOTION_CHANNELS] = np.maximum(asked, resting * np.clip(1.0 - 2.0 * others, 0.0, 1.0))
        for h, given in world.puppets.items():
            for channel, value in given.items():
                face[h, channel] = value

    @staticmethod
    def _ease_moods(world: World) -> None:
        """Each host's mood on its face, eased toward the mood it is in (a segment's change of mood is seen,
        not cut): most of the way in about MOOD_EASE_S."""
        world.mood_levels += (world.moods - world.mood_levels) * min(1.0, 2.5 / (MOOD_EASE_S * world.rate))
