"""Putting a set or a show on a stage: lines to say ('Host: text', 'Host@seconds: text', 'Both: text'),
or a show script played by its director, as the ticker a stage, a render or a take runs.

A `prepare(stage)` hook made here hands the scene's stage (runtime/scene/stage.py, or anything with
`skeletons()` and `perform(ticker)`) a world alive with these lines; for a show it returns the director.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

from ..gesture.markup import MarkupError, parse_markup
from ..sets.setfile import SetSpec, load_set
from ..skeleton.rigfile import host_skeleton
from ..speech.line import Line
from ..speech.voices import LineCache
from ..world.assemble import world_of
from ..world.stages import Stage
from ..world.tick import Ticker, standard_stages
from ..world.world import World
from .director import AHEAD_S, Director
from .lines import check_gestures, make_line, unison
from .script import UNISON, Layout, is_show, lay_out, load_show

_SAY = re.compile(r"^\s*(?P<host>[^:@]+?)\s*(?:@\s*(?P<at>[0-9.]+))?\s*:\s*(?P<text>.+)$", re.S)


class SayError(ValueError):
    """A line to say that cannot be: its form, its host or its markup."""


def schedule(spec: SetSpec, says: list[str], cache: LineCache, gap_s: float = 0.0) -> dict[str, list[Line]]:
    """'Host: text', 'Host@seconds: text' or 'Both: text' (every host together, in time with the first)
    -> lines per host, each starting `gap_s` after the previous one. The text may carry gesture markup
    ([gesture], [gesture:product], *stress*); it is not spoken."""
    names = [h.name for h in spec.hosts]
    lines: dict[str, list[Line]] = {n: [] for n in names}
    next_free = 0
    for say in says:
        m = _SAY.match(say)
        if not m:
            raise SayError(f"a line to say wants 'Host: text', 'Host@seconds: text' or 'Both: text', got {say!r}")
        host = m.group("host")
        if host not in names and host != UNISON:
            raise SayError(f"{say!r} names {host!r}; the set's hosts are {', '.join(names)} (or {UNISON})")
        start = round(float(m.group("at")) * spec.tick_rate) if m.group("at") else next_free
        try:
            marked = check_gestures(parse_markup(m.group("text").strip()))
        except MarkupError as e:
            raise SayError(f"{say!r}: {e}") from None
        said = unison(spec, marked, cache) if host == UNISON else {host: make_line(spec, host, marked, 0, cache)}
        for name, line in said.items():
            lines[name].append(replace(line, start_tick=start))
        next_free = max(next_free, start + max(l.track.ticks for l in said.values()) + round(gap_s * spec.tick_rate))
    return lines


def speaking_world(spec: SetSpec, skeletons: list, lines: dict[str, list[Line]]) -> World:
    """The set's hosts with these lines (and their gestures) to say."""
    world = world_of(spec, skeletons)
    for h, name in enumerate(world.names):
        for line in lines.get(name, []):
            world.say(h, line)
    return world


def speaking(spec: SetSpec, lines: dict[str, list[Line]]) -> Callable:
    """A `prepare(stage)` hook: the stage's hosts alive with these lines and their gestures."""
    def prepare(stage) -> None:
        world = speaking_world(spec, stage.skeletons(), lines)
        stage.perform(Ticker(world, standard_stages(world)))
    return prepare


def direct(spec: SetSpec, show, skeletons: list, cache: LineCache, ahead_s: float = AHEAD_S,
           inputs: tuple[Stage, ...] = (), outputs: tuple[Stage, ...] = ()) -> tuple[Ticker, Director]:
    """The set's hosts directed through a show script (or, with `show` None, by a director that only
    fits in what happens live), every line of one pass prepared up front."""
    world = world_of(spec, skeletons)
    layout = None
    if show is not None:
        layout = Layout(show, cache)
        layout.prepare()
    director = Director(spec, world, cache, layout, ahead_s)
    return Ticker(world, standard_stages(world, director, inputs=inputs, outputs=outputs)), director


def directed(show, cache: LineCache, ahead_s: float | None = None) -> Callable:
    """A `prepare(stage)` hook: the stage's hosts alive, directed through a show script (ahead_s: how far
    ahead lines are handed on; a render hands on all of them at once). Returns the director."""
    def prepare(stage) -> Director:
        ticker, director = direct(show.spec, show, stage.skeletons(), cache, ahead_s or AHEAD_S)
        stage.perform(ticker)
        stage.follow(director)
        return director
    return prepare


def performance(scene: str | Path, says: list[str], gap_s: float = 0.0, tick_rate: int | None = None,
                cache: LineCache | None = None) -> tuple[SetSpec, Ticker]:
    """A show played by its director, or a set with lines to say, on the hosts' own rigs, without a
    scene: for takes and reports. `tick_rate` overrides the set's."""
    cache = cache or LineCache()
    if is_show(scene):
        if says:
            raise SayError("lines to say go with a set file; a show script has its own lines")
        show = load_show(scene)
        show.spec.tick_rate = tick_rate or show.spec.tick_rate
        return show.spec, direct(show.spec, show, rig_skeletons(show.spec), cache)[0]
    spec = load_set(scene)
    spec.tick_rate = tick_rate or spec.tick_rate
    world = speaking_world(spec, rig_skeletons(spec), schedule(spec, says, cache, gap_s))
    return spec, Ticker(world, standard_stages(world))


def rig_skeletons(spec: SetSpec) -> list:
    """The canonical skeletons of the set's hosts, read from their rig files."""
    return [host_skeleton(h.rig, h.mapping) for h in spec.hosts]


def on_stage(scene: str | Path, says: list[str], seconds: float | None, cache: LineCache | None = None):
    """The set, its lines up front (for a render's sound track) and the hook that brings the stage to life:
    a show script through its director (played as it goes: `seconds` None), or a set file with lines to say."""
    cache = cache or LineCache()
    if is_show(scene):
        if says:
            raise SayError("lines to say go with a set file; a show script has its own lines")
        show = load_show(scene)
        if seconds is None:
            return show.spec, {}, directed(show, cache)
        one = lay_out(show, cache)
        programme = lay_out(show, cache, max(1, math.ceil(seconds * show.spec.tick_rate / max(one.end_tick, 1))))
        return show.spec, programme.lines, directed(show, cache, seconds)
    spec = load_set(scene)
    lines = schedule(spec, says, cache)
    return spec, lines, speaking(spec, lines)


def read_dialogue(path: Path) -> list[str]:
    """'Host: text' lines of a dialogue file ('#' starts a comment), for `record --lines`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise SayError(f"{path}: cannot read: {e.strerror}") from None
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line:
            if ":" not in line:
                raise SayError(f"{path}:{number}:1: expected 'Host: text', got {line!r}")
            out.append(line)
    return out
