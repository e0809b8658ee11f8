"""The World: the state of every host on a set, as arrays over hosts, in one place.

The stages (runtime/world/stages.py) read and write it in one fixed order every tick
(runtime/world/tick.py); nothing else keeps a host's pose, lines or gestures between ticks. What a
director or an operator asks for (a line, a gesture, a look, an expression, a product to hold) is written
here between ticks and taken up by the stages on the next one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..controllers.attention import Attention, Look
from ..controllers.blink import Blink
from ..controllers.config import load_behaviour
from ..controllers.fingers import Fingers
from ..controllers.gaze import Gaze
from ..controllers.gestures import Gesturer
from ..controllers.hold import Hold
from ..controllers.springs import SpringSystem
from ..gesture.expressivity import Expressivity
from ..gesture.planner import Planned
from ..skeleton.face import EMOTIONS, FACE_CHANNELS, VISEMES
from ..skeleton.humanoid import BONE_NAMES
from ..skeleton.pose import BONE_INDEX, Pose
from ..skeleton.skeleton import Skeleton
from ..speech.line import Line


MOOD_LINGER_S = 0.6            # a line's emotion stays on the face this long after its words


@dataclass
class Host:
    """One host as set up: who it is and where it stands (fixed while the world runs, but for a rig swap)."""
    name: str
    skeleton: Skeleton
    placement: np.ndarray                  # (4, 4): host frame -> set coordinates
    seed: int
    expressivity: Expressivity = field(default_factory=Expressivity)
    targets: dict[str, np.ndarray] = field(default_factory=dict)   # gesture targets, host frame
    gesturer: Gesturer = field(init=False)          # its gestures and holds worked out on its skeleton

    def __post_init__(self) -> None:
        self.gesturer = Gesturer(self.skeleton, self.targets, self.expressivity)


def rest_eyes(skeleton: Skeleton) -> np.ndarray:
    """(2, 3) the eyes at rest, host frame."""
    rest = skeleton.world_positions(skeleton.rest_pose()[0])
    return np.array([rest[BONE_INDEX["leftEye"]], rest[BONE_INDEX["rightEye"]]])


def transform(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points (H, K, 3) through one 4x4 transform per host (H, 4, 4)."""
    return np.einsum("hij,hkj->hki", matrices[:, :3, :3], points) + matrices[:, None, :3, 3]


class World:
    def __init__(self, cast: list[Host], rate: int, camera: np.ndarray, config: dict | None = None) -> None:
        H, J, F = len(cast), len(BONE_NAMES), len(FACE_CHANNELS)
        self.rate, self.cast = rate, cast
        self.names = [c.name for c in cast]
        self.config = config or load_behaviour()
        self.tick = -1
        # Where the hosts stand, and where each sees the camera and its partner's eyes.
        self.offsets = np.stack([c.skeleton.offsets for c in cast])
        self.placements = np.stack([c.placement for c in cast])
        self.to_host = np.linalg.inv(self.placements)
        self.camera = np.array([(m @ [*camera, 1.0])[:3] for m in self.to_host])
        eyes = np.array([rest_eyes(c.skeleton) for c in cast])
        self.eyes_set = transform(self.placements, eyes)       # (H, 2, 3) this tick's eyes, set coordinates
        self.up_set = self.placements[:, :3, 1].copy()         # (H, 3) this tick's head up, set coordinates
        # This tick's pose: normalised local rotations, hips offset, face channels.
        self.rotations = np.tile(np.array([0.0, 0.0, 0.0, 1.0]), (H, J, 1))
        self.hips = np.zeros((H, 3))
        self.face = np.zeros((H, F))
        # Speech: each host's lines not yet over, in start order; who speaks now.
        self.lines: list[list[Line]] = [[] for _ in cast]
        self.now: list[Line | None] = [None] * H
        self.visemes = np.zeros((H, len(VISEMES)))             # the mouth speech asks for this tick
        self.speaking = np.zeros(H, bool)
        self.voiced = np.zeros(H, bool)                        # the mouth follows a voice: a line or a live one
        self.last_spoke = np.full(H, -1e9)                     # seconds
        self.starting = np.zeros(H)                            # length (s) of a line starting this tick
        self.roles = np.zeros(H, int)                          # Role: speaking, listening or idle
        self.partners = np.zeros(H, int)                       # whom each host turns to: who spoke last
        # Gestures, holds and hands.
        self.plans: list[list[tuple[int, Planned]]] = [[] for _ in cast]     # (start tick, planned)
        self.holds: list[Hold | None] = [None] * H
        self.hand_curls = np.zeros((H, 2, 5))                  # the hand shapes the body asks for this tick
        self.hand_spread = np.zeros((H, 2))
        self.carried: dict[str, np.ndarray] = {}               # product id -> set frame (4x4) of the hand
        # The controllers' state: attention and gaze, blinks, fingers; expressions asked for.
        seeds = [c.seed for c in cast]
        self.attention = Attention(seeds, self.config)
        self.gaze = Gaze(H, self.config["gaze"], eyes.mean(axis=1))
        self.saccades: list = []                               # gaze shifts started this tick
        self.blink = Blink(seeds, self.config["blink"])
        self.closure = np.zeros(H)                             # eyelids this tick
        self.fingers = Fingers(seeds, rate)
        # Expressions asked for: (host, name, from s, to s, weight); a name is a face channel or one of the
        # rig's own expressions. Each host's mood (a segment's) is held under them.
        self.expressions: list[tuple[int, str, float, float, float]] = []
        self.moods = np.zeros((H, len(EMOTIONS)))                          # the mood each host is in
        self.mood_levels = np.zeros((H, len(EMOTIONS)))                    # ... as its face shows it, eased
        self.custom: list[dict[str, float]] = [{} for _ in cast]           # this tick's own expressions
        self.brows = np.zeros(H)                                           # brow raises on stressed syllables
        # Hosts driven from outside (VMC input, a mocap clip) -> the face channels they give this tick; the
        # gaze, nods and fingers leave them alone.
        self.puppets: dict[int, dict[int, float]] = {}
        # Spring bones (hair, skirts, accessories) of every host, simulated after the body is posed.
        self.springs = self._spring_system()

    def _spring_system(self) -> SpringSystem:
        parents = self.cast[0].skeleton.parents if self.cast else np.zeros(0)
        return SpringSystem([c.skeleton.springs for c in self.cast], self.placements, np.asarray(parents, np.int64))

    @property
    def hosts(self) -> int:
        return len(self.cast)

    def pose(self, h: int) -> Pose:
        """Host h's pose this tick (a copy)."""
        return Pose(self.rotations[h].copy(), self.hips[h].copy(), self.face[h].copy(), dict(self.custom[h]),
                    self.springs.of(h))

    # -- what a director or an operator asks for, between ticks ----------------------------------------
    def say(self, h: int, line: Line) -> None:
        """Host h says `line` from its start tick, and makes its planned gestures."""
        self.lines[h].append(line)
        self.lines[h].sort(key=lambda l: l.start_tick)
        self.perform(h, line.start_tick, list(line.gestures))
        start, end = line.start_tick / self.rate, line.end_tick / self.rate
        for k, mood in enumerate(line.moods):      # each until the next, the last a moment past the line
            until = start + line.moods[k + 1].at if k + 1 < len(line.moods) else end + MOOD_LINGER_S
            if mood.emotion != "neutral":
                self.expressions.append((h, mood.emotion, start + mood.at, until, mood.weight))

    def perform(self, h: int, start: int, planned: list[Planned]) -> None:
        self.plans[h] += [(start, p) for p in planned]

    def withdraw(self, h: int, line: Line, keep: Line | None = None) -> None:
        """Take a line back from host h, or cut it to `keep`; its gestures not kept go too."""
        self.lines[h] = [keep if l is line else l for l in self.lines[h] if l is not line or keep is not None]
        kept = {id(g) for g in keep.gestures} if keep else set()
        self.plans[h] = [(start, p) for start, p in self.plans[h]
                         if not (start == line.start_tick and id(p) not in kept and any(p is g for g in line.gestures))]

    def line_at(self, h: int, tick: int) -> Line | None:
        """The line host h speaks at `tick`. Ticks only move forward, so finished lines are dropped as
        they end (a six-hour show does not get slower)."""
        lines = self.lines[h]
        while lines and lines[0].end_tick <= tick:
            lines.pop(0)
        for line in lines:                       # in start order: stop at the first line still to come
            if line.start_tick > tick:
                return None
            if tick < line.end_tick:
                return line
        return None

    def express(self, h: int, tick: int, name: str, weight: float, seconds: float) -> None:
        """Host h shows an expression (an emotion, browUp, or one of its rig's own) at `weight` for
        `seconds` from `tick`; "neutral" ends every emotion it shows."""
        t = tick / self.rate
        ending = EMOTIONS if name == "neutral" else (name,)
        self.expressions = [e if e[0] != h or e[1] not in ending else (*e[:3], min(e[3], t), e[4])
                            for e in self.expressions]
        if name != "neutral":
            self.expressions.append((h, name, t, t + seconds, weight))

    def set_mood(self, h: int, emotion: str, weight: float) -> None:
        """Host h's face rests in `emotion` at `weight` until told otherwise ("neutral": no mood)."""
        self.moods[h] = 0.0
        if emotion != "neutral":
            self.moods[h, EMOTIONS.index(emotion)] = weight

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
        for h in range(self.hosts):
            self.meet(h, tick, seconds)

    def recast(self, h: int, host: Host) -> None:
        """Host h goes on with another body (a rig swapped mid-show): same place, lines and controllers."""
        self.cast[h] = host
        self.offsets[h] = host.skeleton.offsets
        eyes = rest_eyes(host.skeleton)
        self.eyes_set[h] = transform(self.placements[h:h + 1], eyes[None])[0]
        self.gaze.eye_mid[h] = eyes.mean(axis=0)
        springs, self.springs = self.springs, self._spring_system()       # its springs start at rest
        self.springs.carry_over(springs, [k for k in range(self.hosts) if k != h])
