"""A speaking host: lines scheduled on ticks, their viseme tracks on the face, the rest from another
driver (idle, clip). While a line plays the host's speaking flag is up."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..skeleton.pose import Driver, Pose
from ..skeleton.rigfile import VISEMES
from ..speech.espeak import Utterance
from ..speech.track import VisemeTrack

PHRASE_PAUSE_S = 0.08        # a pause this long inside a line ends a phrase (eSpeak NG pauses at , . ! ?)
CLOSE_TICKS = 3              # a line cut short closes the mouth over this many ticks
FADE_S = 0.01                # ... and its audio fades out over this long (no click)


@dataclass(frozen=True)
class Line:
    start_tick: int
    utterance: Utterance
    track: VisemeTrack
    gestures: tuple = ()          # planned gestures (runtime.gesture.planner.Planned), line time

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
        return Line(self.start_tick, short, VisemeTrack(self.track.rate, weights), gestures)


class SpeakingDriver:
    def __init__(self, body: Driver) -> None:
        self.body = body
        self.lines: list[Line] = []

    def say(self, line: Line) -> None:
        self.lines.append(line)
        self.lines.sort(key=lambda l: l.start_tick)

    def replace(self, old: Line, new: Line | None) -> None:
        """A scheduled line cut short (`new`) or withdrawn (None)."""
        self.lines = [new if line is old else line for line in self.lines if line is not old or new is not None]

    def line_at(self, tick: int) -> Line | None:
        """The line playing at `tick`. Ticks only move forward, so finished lines are dropped as they end
        (a six-hour show does not get slower)."""
        while self.lines and self.lines[0].end_tick <= tick:
            self.lines.pop(0)
        for line in self.lines:                 # in start order: stop at the first line still to come
            if line.start_tick > tick:
                return None
            if tick < line.end_tick:
                return line
        return None

    def pose(self, tick: int) -> Pose:
        pose = self.body.pose(tick)
        line = self.line_at(tick)
        if line is not None:
            pose.face[:len(VISEMES)] = line.track.weights[tick - line.start_tick]
        return pose


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
