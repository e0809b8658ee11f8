"""What a host says: its voice, its lines synthesised and their gestures planned, checked against the
lexicon. Shared by renders, windows, live shows and the director."""
from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..gesture.grammar import load_lexicon
from ..gesture.markup import MOODS, MarkedLine, MarkupError
from ..gesture.moods import line_moods
from ..gesture.planner import plan, word_times
from ..sets.setfile import PROJECT, SetSpec
from ..skeleton.rigfile import load_rig_info
from ..speech.line import Line, Mood
from ..speech.track import VisemeTrack
from ..speech.unison import align
from ..speech.utterance import Utterance, Voice
from ..speech.voices import LineCache
from ..tomlfile import closest


@lru_cache(maxsize=32)
def rig_voice(rig: Path, mapping: Path | None) -> Voice:
    """A rig's own [voice] table (read once per rig: lines and live answers ask for it often)."""
    return Voice.from_table(load_rig_info(rig, mapping).voice)


@lru_cache(maxsize=32)
def rig_expressions(rig: Path, mapping: Path | None) -> tuple[str, ...]:
    """The names of a rig's own (custom) expressions, beside the emotions every host has."""
    return tuple(load_rig_info(rig, mapping).custom)


def host_voice(spec: SetSpec, name: str) -> Voice:
    """The host's voice: its rig's [voice] table, then the scene's overrides."""
    host = next(h for h in spec.hosts if h.name == name)
    return Voice.from_table(host.voice, rig_voice(host.rig, host.mapping))


def make_line(spec: SetSpec, host: str, marked: MarkedLine, start: int, cache: LineCache,
              voice: Voice | None = None, utterance: Utterance | None = None) -> Line:
    """A host's line from `start` (tick): synthesised with its voice (or `voice`) unless `utterance` is
    given, gestures planned, its emotions on its words (an emotion from its first word is in the voice
    too, unless the voice has its own)."""
    moods = line_moods(marked)
    utterance = utterance or cache.get(marked.said, line_voice(voice or host_voice(spec, host), moods))
    placement = next(h for h in spec.hosts if h.name == host)
    gestures = plan(marked, utterance, lexicon(), [p.id for p in spec.products], placement.expressivity)
    return Line(start, utterance, VisemeTrack.from_utterance(utterance, spec.tick_rate), tuple(gestures),
                timed_moods(marked, utterance, moods))


def line_voice(voice: Voice, moods: list[tuple[int, str, float]]) -> Voice:
    """The voice a line is said in: with the emotion on its first word, unless the voice has its own."""
    if moods and moods[0][0] == 0 and voice.emotion == "neutral":
        return replace(voice, emotion=moods[0][1])
    return voice


def timed_moods(marked: MarkedLine, utterance: Utterance, moods: list | None = None) -> tuple[Mood, ...]:
    """The line's emotions (`line_moods`, unless given) at the times its words are said."""
    times = word_times(marked, utterance)
    return tuple(Mood(times[k][0] if k < len(times) else 0.0, emotion, weight)
                 for k, emotion, weight in (line_moods(marked) if moods is None else moods))


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
        moods = [f"[{name}]: did you mean the emotion [{closest(name, MOODS)}]?" for name in unknown
                 if closest(name, MOODS)]
        raise MarkupError(f"no gesture {', '.join(map(repr, unknown))} in the lexicon (`cohost gesture --list`)"
                          + "".join(f"; {m}" for m in moods))
    return marked


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")
