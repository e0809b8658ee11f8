"""A line a host speaks: its audio and phonemes, its viseme track and planned gestures, on the tick it
starts; where it may be cut short (phrase and word boundaries); and all lines mixed into one track."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..skeleton.face import VISEMES
from .track import VisemeTrack
from .utterance import Utterance, write_wav

PHRASE_PAUSE_S = 0.08        # a pause this long inside a line ends a phrase (eSpeak NG pauses at , . ! ?)
CLOSE_TICKS = 3              # a line cut short closes the mouth over this many ticks
FADE_S = 0.01                # ... and its audio fades out over this long (no click)


@dataclass(frozen=True)
class Mood:
    at: float                     # seconds into the line
    emotion: str                  # one of the face's EMOTIONS, or "neutral"
    weight: float


@dataclass(frozen=True)
class Line:
    start_tick: int
    utterance: Utterance
    track: VisemeTrack
    gestures: tuple = ()          # planned gestures (runtime.gesture.planner.Planned), line time
    moods: tuple[Mood, ...] = ()  # the emotions it carries, in time order

    @property
    def end_tick(self) -> int:
        return self.start_tick + self.track.ticks

    def boundary_after(self, tick: int, phrase: bool = True) -> int:
        """The first tick >= `tick` where the line may stop: the start of a pause between phrases
        (`phrase`), or of a word; the line's end if none is left."""
        u = self.utterance
        if phrase:
            seconds = [p.start for p in u.phonemes if not p.ipa and p.start > 0 and p.end - p.start >= PHRASE_PAUSE_S]
        else:
            seconds = [w.start for w in u.words if w.start > 0]
        ticks = [self.start_tick + math.ceil(s * self.track.rate) for s in seconds]
        return next((t for t in ticks if t >= tick), self.end_tick)

    def cut(self, tick: int) -> "Line":
        """The line stopped at `tick` (a boundary from `boundary_after`): audio, phonemes, words and
        visemes end there, the mouth closes over the last ticks, gestures not yet begun are dropped."""
        keep = max(1, min(self.track.ticks, tick - self.start_tick))
        at = keep / self.track.rate
        u = self.utterance
        n = min(len(u.audio), int(at * u.sample_rate))
        audio = u.audio[:n].astype(np.float64)
        fade = min(n, int(FADE_S * u.sample_rate))
        audio[n - fade:] *= np.linspace(1.0, 0.0, fade)
        phonemes = [replace(p, end=min(p.end, at)) for p in u.phonemes if p.start < at]
        short = replace(u, audio=audio.astype(np.int16), phonemes=phonemes, words=[w for w in u.words if w.start < at])
        weights = self.track.weights[:keep].copy()
        close = np.linspace(0.0, 1.0, min(CLOSE_TICKS, keep) + 1)[1:, None]
        silence = np.eye(len(VISEMES))[0]
        weights[keep - len(close):] = weights[keep - len(close):] * (1 - close) + silence * close
        gestures = tuple(g for g in self.gestures if g.prep_start < at)
        return Line(self.start_tick, short, VisemeTrack(self.track.rate, weights), gestures,
                    tuple(m for m in self.moods if m.at < at))


def mix_audio(lines: list[Line], rate: int, tick_rate: int, seconds: float) -> np.ndarray:
    """All lines' audio placed at their start ticks, as one int16 track `seconds` long."""
    out = np.zeros(int(round(seconds * rate)), np.float64)
    for line in lines:
        if line.utterance.sample_rate != rate:
            raise ValueError("lines to mix share one sample rate")
        start = int(round(line.start_tick * rate / tick_rate))
        audio = line.utterance.audio[: max(0, len(out) - start)].astype(np.float64)
        out[start:start + len(audio)] += audio
    return np.clip(out, -32768, 32767).astype(np.int16)


def write_mix(lines: dict[str, list[Line]], tick_rate: int, seconds: float, path: Path) -> Path | None:
    """Every host's lines mixed into one WAV at `path` (None when nobody speaks)."""
    every = [line for host_lines in lines.values() for line in host_lines]
    if not every:
        return None
    rate = every[0].utterance.sample_rate
    write_wav(path, mix_audio(every, rate, tick_rate, seconds), rate)
    return path
