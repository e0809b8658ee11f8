"""A speaking host: lines scheduled on ticks, their viseme tracks on the face, the rest from another
driver (idle, clip). While a line plays the host's speaking flag is up."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton.pose import Driver, Pose
from ..skeleton.rigfile import VISEMES
from ..speech.espeak import Utterance
from ..speech.track import VisemeTrack


@dataclass(frozen=True)
class Line:
    start_tick: int
    utterance: Utterance
    track: VisemeTrack
    gestures: tuple = ()          # planned gestures (runtime.gesture.planner.Planned), line time

    @property
    def end_tick(self) -> int:
        return self.start_tick + self.track.ticks


class SpeakingDriver:
    def __init__(self, body: Driver) -> None:
        self.body = body
        self.lines: list[Line] = []

    def say(self, line: Line) -> None:
        self.lines.append(line)
        self.lines.sort(key=lambda l: l.start_tick)

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
