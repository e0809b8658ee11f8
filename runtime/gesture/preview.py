"""One gesture, over and over, on one host, for animators tuning a lexicon.

The lexicon files are watched: an edit is picked up on the next check, a file that no longer parses is
reported with its `file:line:col` problems and the last good version keeps playing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ..scene.setfile import Camera, Piece, Product, SetSpec
from ..skeleton.pose import Driver, Pose
from ..watch import FileWatcher
from .expressivity import Expressivity
from .grammar import Gesture, GestureError, load_lexicon
from .planner import Planned, schedule
from .realize import GestureDriver

LEAD_S = 0.6            # the host stands still this long before the gesture starts preparing
PAUSE_S = 0.8           # and this long after it ends, before it starts again
CHECK_EVERY_S = 0.5     # how often the lexicon files are looked at


class LexiconWatcher(FileWatcher):
    """The newest lexicon that parses. `poll()` re-reads the files when one has changed on disk."""

    def __init__(self, paths: list[Path], report: Callable[[str], None] = print) -> None:
        super().__init__(paths, load_lexicon, GestureError, report,
                         lambda lexicon, paths: f"reloaded {', '.join(p.name for p in paths)}: {len(lexicon)} gestures",
                         lambda e: f"{e}\n(keeping the last good lexicon: {len(e.problems)} problem(s))")

    @property
    def lexicon(self) -> dict[str, Gesture]:
        return self.value


class GestureLoop:
    """A driver performing the lexicon's gesture `name` in a loop, starting again right after a reload."""

    def __init__(self, gestures: GestureDriver, name: str, watcher: LexiconWatcher, rate: int,
                 target: str | None = None) -> None:
        self.gestures, self.name, self.watcher, self.rate, self.target = gestures, name, watcher, rate, target
        self.planned: Planned | None = None
        self._next_start = 0
        self._next_check = 0

    def pose(self, tick: int) -> Pose:
        if tick >= self._next_check:
            self._next_check = tick + round(CHECK_EVERY_S * self.rate)
            if self.watcher.poll():
                self._next_start = tick
        if tick >= self._next_start:
            self._start(tick)
        return self.gestures.pose(tick)

    def _start(self, tick: int) -> None:
        g = self.watcher.lexicon.get(self.name)
        if g is None:
            self.watcher.report(f"gesture {self.name!r} is no longer in the lexicon; playing the last version")
            g = self.planned.gesture if self.planned else None
        if g is None:
            return
        self.planned = cycle_plan(g, self.gestures.expressivity, self.target)
        self.gestures.clear()
        self.gestures.perform(tick, [self.planned])
        self._next_start = tick + cycle_ticks(self.planned, self.rate)


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


def preview_set(spec: SetSpec, top: float) -> SetSpec:
    """The host's bare set with a product on a pedestal at its right hand, framed from the thighs up
    (front) and from its right (side), for gestures to aim at and be seen from two sides."""
    spec.pieces = [PEDESTAL]
    spec.products = [PRODUCT]
    centre = (-0.15, 0.0, 0.72 * top)
    spec.cameras = [Camera("front", (-0.3, -2.6, 0.75 * top), centre, 36.0),
                    Camera("side", (-2.4, -1.9, 0.8 * top), centre, 36.0)]
    return spec


def trace(driver: Driver, ticks: int, skeleton) -> tuple[np.ndarray, np.ndarray]:
    """(rotations (T, J, 4), joint positions (T, J, 3)) of `ticks` ticks of a driver, host frame."""
    rot = np.stack([driver.pose(t).rotations for t in range(ticks)])
    return rot, skeleton.world_positions(rot)
