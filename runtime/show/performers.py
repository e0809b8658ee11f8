"""The hosts of a set as performers: their voices, their lines (speech and planned gestures), and the
cast that brings them to life with procedural controllers. Shared by renders, windows, live shows and
the director."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from ..controllers.behaviour import Cast, Performer
from ..controllers.speech import Line, SpeakingDriver
from ..gesture.grammar import load_lexicon
from ..gesture.markup import MarkedLine, MarkupError
from ..gesture.planner import plan
from ..gesture.realize import GestureDriver
from ..scene.setfile import PROJECT, HostPlacement, SetSpec
from ..skeleton.pose import Driver
from ..skeleton.rigfile import load_rig_info
from ..skeleton.skeleton import Skeleton
from ..speech.espeak import LineCache, Utterance, Voice
from ..speech.track import VisemeTrack


@lru_cache(maxsize=32)
def rig_voice(rig: Path, mapping: Path | None) -> Voice:
    """A rig's own [voice] table (read once per rig: lines and live answers ask for it often)."""
    return Voice.from_table(load_rig_info(rig, mapping).voice)


def host_voice(spec: SetSpec, name: str) -> Voice:
    """The host's voice: its rig's [voice] table, then the scene's overrides."""
    host = next(h for h in spec.hosts if h.name == name)
    return Voice.from_table(host.voice, rig_voice(host.rig, host.mapping))


def make_line(spec: SetSpec, host: str, marked: MarkedLine, start: int, cache: LineCache,
              voice: Voice | None = None, utterance: Utterance | None = None) -> Line:
    """A host's line from `start` (tick): synthesised with its voice (or `voice`) unless `utterance` is
    given, gestures planned."""
    utterance = utterance or cache.get(marked.text, voice or host_voice(spec, host))
    placement = next(h for h in spec.hosts if h.name == host)
    gestures = plan(marked, utterance, lexicon(), [p.id for p in spec.products], placement.expressivity)
    return Line(start, utterance, VisemeTrack.from_utterance(utterance, spec.tick_rate), tuple(gestures))


def performer(spec: SetSpec, place: HostPlacement, skeleton: Skeleton, body: Driver) -> Performer:
    """A host alive: its body driver (idle, clips) under its gestures and lines."""
    from ..gesture.targets import host_targets
    from ..skeleton.take import placement_matrix

    gestures = GestureDriver(body, skeleton, spec.tick_rate, host_targets(spec, place), place.expressivity)
    gestures.set_fingers = False                  # the cast's finger controller shapes the hands
    speech = SpeakingDriver(gestures)
    return Performer(skeleton, placement_matrix(place.position, place.facing), place.seed, speech, speech, gestures)


def cast(spec: SetSpec, skeletons: list, bodies: list, lines: dict[str, list[Line]]) -> Cast:
    """Every host of the set alive with its lines, and the procedural controllers (gaze, blinks, fingers,
    breathing, nods) for all hosts together."""
    performers = []
    for place, skeleton, body in zip(spec.hosts, skeletons, bodies):
        p = performer(spec, place, skeleton, body)
        for line in lines.get(place.name, []):
            p.speech.say(line)
            p.gestures.perform(line.start_tick, list(line.gestures))
        performers.append(p)
    return Cast(performers, spec.tick_rate, np.array(spec.cameras[0].position))


def check_gestures(marked: MarkedLine) -> MarkedLine:
    """The line, if every gesture it names is in the lexicon; else a MarkupError naming the others."""
    unknown = sorted({g for g, _ in marked.placed.values()} - lexicon().keys())
    if unknown:
        raise MarkupError(f"no gesture {', '.join(map(repr, unknown))} in the lexicon (`cohost gesture --list`)")
    return marked


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")
