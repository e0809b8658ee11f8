"""The gesture lab: a gesture performed by a host - or by two side by side, to compare two expressivity
settings or two versions of a lexicon - worked out tick by tick up front, so that it can be played,
paused, scrubbed a tick at a time and slowed down, in a window or offscreen. With a line to say, the
gesture is planned onto the line (its stroke on the stressed word) and the mouth speaks it.

The lexicon files are watched: an edit shows at the next check, and a file that no longer parses is
reported with its `file:line:col` problems while the last good version keeps playing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..gesture.expressivity import Expressivity
from ..gesture.grammar import Gesture, GestureError, load_lexicon
from ..gesture.markup import parse_markup
from ..gesture.moods import line_moods
from ..gesture.planner import Planned, plan, schedule
from ..sets.setfile import Camera, Piece, Product, SetSpec
from ..show.lines import line_voice, timed_moods
from ..skeleton.skeleton import Skeleton
from ..skeleton.take import placement_matrix, record
from ..speech.line import Line
from ..speech.track import VisemeTrack
from ..speech.utterance import Voice
from ..speech.voices import LineCache
from ..watch import FileWatcher
from ..world.stages import Stage
from ..world.targets import host_targets
from ..world.tick import Ticker, standard_stages
from ..world.world import Host, World

LEAD_S = 0.6            # the host stands still this long before the gesture (or its line) starts
PAUSE_S = 0.8           # and this long after it ends, before it starts again
CHECK_EVERY_S = 0.5     # how often the lexicon files are looked at
SPEEDS = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0)
SPACING = 1.5           # metres between two hosts compared side by side


class LexiconWatcher(FileWatcher):
    """The newest lexicon that parses. `poll()` re-reads the files when one has changed on disk."""

    def __init__(self, paths: list[Path], report: Callable[[str], None] = print) -> None:
        super().__init__(paths, load_lexicon, GestureError, report,
                         lambda lexicon, paths: f"reloaded {', '.join(p.name for p in paths)}: {len(lexicon)} gestures",
                         lambda e: f"{e}\n(keeping the last good lexicon: {len(e.problems)} problem(s))")

    @property
    def lexicon(self) -> dict[str, Gesture]:
        return self.value


@dataclass
class Version:
    """What one host of the lab performs: a (watched) lexicon at an expressivity."""
    label: str
    watcher: LexiconWatcher
    expressivity: Expressivity


@dataclass
class Take:
    """One host's performance, tick by tick, in its own frame."""
    planned: Planned
    offset_s: float               # when the plan's time 0 is in the take (a line's start)
    rotations: np.ndarray         # (T, J, 4)
    hips: np.ndarray              # (T, 3)
    face: np.ndarray              # (T, channels)
    positions: np.ndarray         # (T, J, 3), host frame
    line: Line | None = None      # what the host says, if anything

    @property
    def ticks(self) -> int:
        return len(self.rotations)

    def marks(self) -> list[tuple[float, str]]:
        return [(t + self.offset_s, label) for t, label in phase_marks(self.planned)]

    def phase_at(self, seconds: float) -> str:
        passed = [label for t, label in self.marks() if t <= seconds]
        return passed[-1] if passed else "rest"


class Playback(Stage):
    """The hosts playing their takes: at the tick simulated, or at the tick `at` maps it to (the lab's
    playhead, not the clock). `takes()` gives the current takes (they are rebuilt after an edit)."""
    name, does = "playback", "each host's recorded take, at the playhead"

    def __init__(self, takes: Callable[[], list[Take]], at: Callable[[int], int] = lambda tick: tick) -> None:
        self.takes, self.at = takes, at

    def validate(self, world: World) -> None:
        if len(self.takes()) != world.hosts:
            raise ValueError(f"playback: {len(self.takes())} takes for {world.hosts} hosts")

    def run(self, world: World, tick: int) -> None:
        for h, take in enumerate(self.takes()):
            k = min(max(self.at(tick), 0), take.ticks - 1)
            world.rotations[h], world.hips[h], world.face[h] = take.rotations[k], take.hips[k], take.face[k]


def play(takes: Callable[[], list[Take]], at: Callable[[int], int] = lambda tick: tick) -> Callable:
    """A `prepare(stage)` hook: the stage's hosts play these takes."""
    def prepare(stage) -> None:
        world = World([Host(h.name, sk, placement_matrix(h.position, h.facing), h.seed)
                       for h, sk in zip(stage.spec.hosts, stage.skeletons())], stage.spec.tick_rate,
                      np.array(stage.spec.cameras[0].position, float))
        stage.perform(Ticker(world, [Playback(takes, at)]))
    return prepare


class Lab:
    """The gesture being worked on, each host's take of it, and the playhead."""

    def __init__(self, spec: SetSpec, skeletons: list[Skeleton], versions: list[Version], name: str,
                 say: str | None = None, voice: Voice | None = None) -> None:
        self.spec, self.skeletons, self.versions = spec, skeletons, versions
        self.rate = spec.tick_rate
        self.say, self.voice, self.cache = say, voice, LineCache()
        self.name = name
        self.playhead, self.speed, self.playing = 0.0, 1.0, True
        self._until_check = 0
        self.takes: list[Take] = []
        self.build()

    @property
    def names(self) -> list[str]:
        return sorted(self.versions[0].watcher.lexicon)

    @property
    def tick(self) -> int:
        return int(self.playhead)

    @property
    def length(self) -> int:
        return max(t.ticks for t in self.takes)

    def build(self) -> None:
        """Every host's take of the current gesture, from its version's lexicon (the first version's
        when its own lacks the gesture); the playhead back to the start."""
        self.takes = []
        for h, version in enumerate(self.versions):
            g = version.watcher.lexicon.get(self.name) or self.versions[0].watcher.lexicon[self.name]
            self.takes.append(self._perform(h, g, version.expressivity))
        self.playhead = 0.0

    def _perform(self, h: int, g: Gesture, expressivity: Expressivity) -> Take:
        """Host h alone on its mark performing the gesture (with the line), through the show's own tick."""
        place, skeleton = self.spec.hosts[h], self.skeletons[h]
        world = World([Host(place.name, skeleton, placement_matrix(place.position, place.facing), place.seed,
                            expressivity, own_targets(self.spec, h))], self.rate,
                      np.array(self.spec.cameras[0].position, float))
        line = None
        if self.say is None:
            planned, offset = cycle_plan(g, expressivity), 0.0
            world.perform(0, 0, [planned])
            ticks = cycle_ticks(planned, self.rate)
        else:
            marked = parse_markup(self.say if f"[{g.name}" in self.say else f"[{g.name}]{self.say}")
            utterance = self.cache.get(marked.said, line_voice(self.voice or Voice("en-us"), line_moods(marked)))
            lexicon = {**self.versions[h].watcher.lexicon, g.name: g}
            gestures = plan(marked, utterance, lexicon, ["product"], expressivity)
            planned = next((p for p in gestures if p.gesture.name == g.name and p.word in marked.placed), None)
            if planned is None:
                raise ValueError(f"the line {self.say!r} leaves no word for [{g.name}]")
            start, offset = round(LEAD_S * self.rate), LEAD_S
            # Every gesture the line brings (a step may hand over to a beat after it), and its emotions.
            line = Line(start, utterance, VisemeTrack.from_utterance(utterance, self.rate), tuple(gestures),
                        timed_moods(marked, utterance))
            world.say(0, line)
            ticks = round((LEAD_S + max(utterance.duration, planned.end) + PAUSE_S) * self.rate)
        take = record(Ticker(world, standard_stages(world)), ticks)
        rotations = take.rotations[:, 0]
        return Take(planned, offset, rotations, take.hips[:, 0], take.morphs[:, 0],
                    skeleton.world_positions(rotations), line)

    # -- the controls -----------------------------------------------------------------------------
    def select(self, step: int) -> None:
        names = self.names
        self.name = names[(names.index(self.name) + step) % len(names)] if self.name in names else names[0]
        self.build()

    def toggle(self) -> None:
        self.playing = not self.playing

    def scrub(self, ticks: int) -> None:
        """Stop and move the playhead by `ticks` (wrapping around the take)."""
        self.playing = False
        self.playhead = float((self.tick + ticks) % self.length)

    def restart(self) -> None:
        self.playhead = 0.0

    def change_speed(self, step: int) -> None:
        k = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed = SPEEDS[min(max(k + step, 0), len(SPEEDS) - 1)]

    def advance(self, ticks: int = 1) -> None:
        """`ticks` of the window's clock have passed: the playhead moves on at its speed, and now and then the
        lexicon files are looked at (also while paused, so that an edit shows at once)."""
        if self.playing:
            self.playhead = (self.playhead + self.speed * ticks) % self.length
        self._until_check -= ticks
        if self._until_check <= 0:
            self._until_check = round(CHECK_EVERY_S * self.rate)
            changed = [v.watcher.poll() for v in self.versions]
            if any(changed):
                if self.name not in self.names:
                    self.versions[0].watcher.report(f"gesture {self.name!r} is no longer in the lexicon")
                    self.name = self.names[0]
                self.build()

    def status(self) -> str:
        seconds = self.tick / self.rate
        phases = "  ".join(f"{v.label}: {t.phase_at(seconds)}" for v, t in zip(self.versions, self.takes))
        return (f"{self.name}   tick {self.tick:4d}/{self.length}  {seconds:5.2f} s   {phases}   "
                f"speed {self.speed:g}x{'' if self.playing else '   paused'}")


def own_targets(spec: SetSpec, h: int) -> dict[str, np.ndarray]:
    """Host h's gesture targets, with its own product as "product" (each compared host has one)."""
    place = spec.hosts[h]
    mine = [p for p in spec.products if p.id == product_id(h)]
    return host_targets(replace(spec, products=[replace(p, id=PRODUCT.id) for p in mine]), place)


def product_id(h: int) -> str:
    """The id of host h's product in the lab's set: "product", "product_1"."""
    return PRODUCT.id + ("" if h == 0 else f"_{h}")


def cycle_plan(g: Gesture, expressivity: Expressivity, target: str | None = None) -> Planned:
    """The gesture with its preparation starting LEAD_S seconds in."""
    probe = schedule(g, 0.0, expressivity, target)
    return schedule(g, LEAD_S - probe.prep_start, expressivity, target)


def cycle_ticks(p: Planned, rate: int) -> int:
    return round((p.end + PAUSE_S) * rate)


def phase_marks(p: Planned) -> list[tuple[float, str]]:
    """(seconds, label) of every phase boundary of every step, for plots and picture strips."""
    marks = []
    for k, s in enumerate(p.steps):
        tag = f" {k + 1}" if len(p.steps) > 1 else ""
        marks += [(s.prep_start, f"prep{tag}"), (s.stroke_start, f"stroke{tag}"), (s.stroke_end, f"hold{tag}"),
                  (s.hold_end, "handover" if s.handover else f"retract{tag}")]
    marks.append((p.end, "end"))
    return marks


# Pieces stand on their position (the middle of their base).
PRODUCT = Product("product", "Product", Piece("product", "box", (0.14, 0.1, 0.2), (-0.6, -0.45, 0.9), (0, 0, 0),
                                             (0.85, 0.25, 0.2)), 0.0, "")
PEDESTAL = Piece("pedestal", "cylinder", (0.3, 0.3, 0.9), (-0.6, -0.45, 0.0), (0, 0, 0), (0.8, 0.8, 0.82))


def lab_set(spec: SetSpec, top: float, hosts: int = 1) -> SetSpec:
    """The host's bare set with a product on a pedestal at each host's right hand, framed from the thighs up
    from the front and from the hosts' right; `hosts` 2 puts a second copy of the host beside the first."""
    first = spec.hosts[0]
    offsets = [SPACING * (k - (hosts - 1) / 2) for k in range(hosts)]
    spec.hosts = [replace(first, name=first.name if k == 0 else f"{first.name} {chr(65 + k)}",
                          position=(dx, 0.0, 0.0)) for k, dx in enumerate(offsets)]
    shift = lambda piece, dx: replace(piece, position=(piece.position[0] + dx, *piece.position[1:]))  # noqa: E731
    spec.pieces = [shift(PEDESTAL, dx) for dx in offsets]
    spec.products = [replace(PRODUCT, id=product_id(k), piece=shift(PRODUCT.piece, dx)) for k, dx in enumerate(offsets)]
    wider = 1.0 + 0.25 * (hosts - 1)             # two hosts: a little farther, and the first's pedestal in
    centre = (-0.15 * wider, 0.0, 0.72 * top)
    spec.cameras = [Camera("front", (centre[0] - 0.15, -2.6 * wider, 0.75 * top), centre, 36.0),
                    Camera("side", (-2.4 * wider, -1.9 * wider, 0.8 * top), centre, 36.0)]
    return spec
