"""One tick, as data: the ordered list of stages, validated once, and the one loop every consumer runs.

    stages = standard_stages(world, director=..., clips=..., mouths=...)
    validate(world, stages)                      # a bad set-up fails here, with a clear message
    for tick in ...: step(world, stages, tick)   # each stage reads and writes the world's arrays

The window, offscreen renders, `serve`, the soak, `record`, the gesture lab and batch jobs all call
`step`; how they pace it (the wall clock, a fixed frame rate, as fast as possible) is theirs.
`cohost inspect-tick` prints the list.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from ..clock import Advance, FixedClock
from .body import Body
from .stages import Attention, Blink, Face, Fingers, Gaze, Holds, Nods, Speech, SpringBones, Stage
from .world import World


def standard_stages(world: World, director: Stage | None = None, clips: dict | None = None,
                    mouths: dict | None = None, inputs: Sequence[Stage] = (), outputs: Sequence[Stage] = ()) -> list[Stage]:
    """The tick's stages in order: the director (a show), speech, the body, outside input (VMC), nods and
    breathing, attention, gaze, blinks, fingers, holds, spring bones, the face, then outputs (VMC out)."""
    return [*([director] if director is not None else []), Speech(mouths), Body(world, clips), *inputs,
            Nods(), Attention(), Gaze(), Blink(), Fingers(), Holds(), SpringBones(), Face(), *outputs]


def validate(world: World, stages: Sequence[Stage]) -> None:
    for stage in stages:
        stage.validate(world)


def step(world: World, stages: Sequence[Stage], tick: int, costs: dict[str, list[float]] | None = None) -> None:
    """Simulate one tick for every host; with `costs`, each stage's seconds are appended under its name."""
    world.tick = tick
    for stage in stages:
        start = time.perf_counter() if costs is not None else 0.0
        stage.run(world, tick)
        if costs is not None:
            costs[stage.name].append(time.perf_counter() - start)


def describe(stages: Sequence[Stage], costs: dict[str, float] | None = None) -> str:
    """The stages in the order they run, one a line, with each one's median cost (ms) when measured:
    what `cohost inspect-tick` prints."""
    width = max(len(s.name) for s in stages)
    cost = (lambda s: f"{costs[s.name]:7.3f} ms  ") if costs else (lambda s: "")
    return "\n".join(f"{i:2d}. {s.name:<{width}}  {cost(s)}{s.does}" for i, s in enumerate(stages, 1))


class Ticker:
    """A world and its stages, stepped tick after tick: to a tick (`run_until`: record, the soak, batch
    jobs, and offscreen renders to each frame's exact time), or paced by a FixedClock fed wall time
    (`advance`: a window, serve)."""

    def __init__(self, world: World, stages: Sequence[Stage]) -> None:
        validate(world, stages)
        self.world, self.stages = world, list(stages)
        self.clock = FixedClock(world.rate)

    def run_until(self, last: int) -> None:
        for tick in range(self.world.tick + 1, last + 1):
            step(self.world, self.stages, tick)

    def advance(self, seconds: float) -> Advance:
        """The ticks that fall due in `seconds` more of time, each simulated in order."""
        due = self.clock.advance(seconds)
        self.run_until(self.clock.tick)
        return due

    def profile(self, ticks: int) -> dict[str, float]:
        """Run `ticks` more ticks timing each stage; the median milliseconds per stage and in all."""
        costs: dict[str, list[float]] = {s.name: [] for s in self.stages} | {"tick": []}
        for tick in range(self.world.tick + 1, self.world.tick + 1 + ticks):
            began = time.perf_counter()
            step(self.world, self.stages, tick, costs)
            costs["tick"].append(time.perf_counter() - began)
        return {name: float(np.median(c)) * 1000 for name, c in costs.items()}
