"""What a host says: its voice, its lines synthesised and their gestures planned, checked against the
lexicon. Shared by renders, windows, live shows and the director."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..gesture.grammar import load_lexicon
from ..gesture.markup import MarkedLine, MarkupError
from ..gesture.planner import plan
from ..sets.setfile import PROJECT, SetSpec
from ..skeleton.rigfile import load_rig_info
from ..speech.line import Line
from ..speech.track import VisemeTrack
from ..speech.unison import align
from ..speech.utterance import Utterance, Voice
from ..speech.voices import LineCache


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
    utterance = utterance or cache.get(marked.said, voice or host_voice(spec, host))
    placement = next(h for h in spec.hosts if h.name == host)
    gestures = plan(marked, utterance, lexicon(), [p.id for p in spec.products], placement.expressivity)
    return Line(start, utterance, VisemeTrack.from_utterance(utterance, spec.tick_rate), tuple(gestures))


def unison(spec: SetSpec, marked: MarkedLine, cache: LineCache, voices: dict[str, Voice] | None = None) -> dict[str, Line]:
    """A line every host says together from tick 0: the first host leads, the others' takes follow its
    timing phoneme by phoneme (so their mouths stay within a tick). `voices`: each host's, if not its own."""
    voices = voices or {h.name: host_voice(spec, h.name) for h in spec.hosts}
    lead, *others = [h.name for h in spec.hosts]
    first = make_line(spec, lead, marked, 0, cache, voices[lead])
    lines = {lead: first}
    for other in others:
        take = align(cache.get(marked.said, voices[other]), first.utterance)
        lines[other] = make_line(spec, other, marked, 0, cache, utterance=take)
    return lines


def check_gestures(marked: MarkedLine) -> MarkedLine:
    """The line, if every gesture it names is in the lexicon; else a MarkupError naming the others."""
    unknown = sorted({g for g, _ in marked.placed.values()} - lexicon().keys())
    if unknown:
        raise MarkupError(f"no gesture {', '.join(map(repr, unknown))} in the lexicon (`cohost gesture --list`)")
    return marked


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")
