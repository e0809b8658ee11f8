"""A show streamed as it plays: a recorded one paced by the clock (`cohost render --stream`), or a live
one drawn as its ticks pass (`cohost serve --stream`), into a Streamer with the voices' mix."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..scene.render import OffscreenRenderer
from ..scene.stage import Stage
from ..sets.setfile import SetSpec
from ..show.staging import on_stage
from ..speech.line import Line
from ..usage import check_camera
from .stream import AUDIO_IN_RATE, Streamer, StreamSettings, StreamStats


def stream_to(spec: SetSpec, settings: StreamSettings, seconds: float | None, camera: str | None = None,
              prepare: Callable[[Stage], None] | None = None, mix: LiveMix | None = None,
              events: Callable[..., None] | None = None, progress: bool = True) -> StreamStats:
    """Stream the set for `seconds` (None: until interrupted) at real time: frame k goes out at k / fps
    after the first, with its share of `mix` (the voices). A frame that cannot be drawn in time is the
    last one again, counted, and the show keeps the clock's pace."""
    renderer = OffscreenRenderer(spec, settings.size, camera, settings.fps)
    if prepare is not None:
        prepare(renderer.stage)
    streamer = Streamer(settings, events)
    mix = mix or LiveMix(spec.tick_rate)
    fps = settings.fps
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=round(seconds * fps) if seconds else None, unit="frame", desc=f"stream {settings.target}",
                   file=sys.stderr)
    start = time.monotonic()
    try:
        k = 0
        while seconds is None or k < round(seconds * fps):
            renderer.reach(k)
            due = start + k / fps
            frame = streamer.frame(renderer.frame, late=time.monotonic() >= due + 1.0 / fps)
            time.sleep(max(0.0, due - time.monotonic()))
            send(streamer, k, frame, mix)
            if bar is not None:
                bar.update(1)
            k += 1
    except KeyboardInterrupt:
        pass
    finally:
        if bar is not None:
            bar.close()
        stats = streamer.close()
        renderer.close()
    return stats


def stream_scene(scene: str | Path, says: list[str], seconds: float, settings: StreamSettings,
                 camera: str | None = None, shading: str | None = None, progress: bool = False) -> StreamStats:
    """A show or a set (with lines to say) streamed for `seconds` with its voices."""
    spec, lines, bring_to_life = on_stage(scene, says, seconds)
    check_camera(spec, camera)
    spec.shading = shading or spec.shading
    mix = LiveMix(spec.tick_rate)
    for host, host_lines in lines.items():
        for line in host_lines:
            mix.add(host, line)
    return stream_to(spec, settings, seconds, camera, bring_to_life, mix, progress=progress)


def send(streamer: Streamer, k: int, frame: bytes, mix: LiveMix) -> None:
    """Frame k and the voices' samples that go with it."""
    streamer.send(frame, mix.samples(*streamer.audio_span(k)).astype("<i2").tobytes())


class LiveMix:
    """The voices of a live show as they are put on air: each line's audio from its start tick, a line cut
    short replaced by what is left of it, read out one frame's samples at a time."""

    def __init__(self, tick_rate: int) -> None:
        self.tick_rate = tick_rate
        self.playing: dict[tuple[str, int], tuple[int, np.ndarray]] = {}   # (host, start tick) -> (first sample, audio)

    def add(self, host: str, line: Line) -> None:
        """Host's line from its start tick (the same line again, shorter, takes its place)."""
        self.playing[(host, line.start_tick)] = (line.start_tick * AUDIO_IN_RATE // self.tick_rate, line.utterance.audio)

    def hear(self, event: dict) -> None:
        """A director's event: a line starts, or is cut short."""
        if event["event"] in ("line", "cut"):
            self.add(event["host"], event["_line"])

    def samples(self, a: int, b: int) -> np.ndarray:
        """Samples a..b of the mix (int16), dropping lines that have ended."""
        out = np.zeros(b - a, np.float64)
        for key, (start, audio) in list(self.playing.items()):
            if start + len(audio) <= a:
                del self.playing[key]
                continue
            lo, hi = max(a, start), min(b, start + len(audio))
            if lo < hi:
                out[lo - a:hi - a] += audio[lo - start:hi - start]
        return np.clip(out, -32768, 32767).astype(np.int16)


class LiveStream:
    """A live show's frames, drawn as its ticks pass, and its voices, into a Streamer. `catch_up(tick)`
    after the show's ticks run sends every frame due by then; one that would be late is the last again."""

    def __init__(self, spec: SetSpec, settings: StreamSettings, prepare: Callable[[Stage], object],
                 events: Callable[..., None] | None = None) -> None:
        self.streamer = Streamer(settings, events)
        self.renderer = OffscreenRenderer(spec, settings.size, None, settings.fps)
        prepare(self.renderer.stage)
        self.mix = LiveMix(spec.tick_rate)
        self.tick_rate, self.fps = spec.tick_rate, settings.fps
        self.next = 0

    def catch_up(self, tick: int) -> None:
        while self.next * self.tick_rate <= tick * self.fps:
            late = (tick * self.fps - self.next * self.tick_rate) >= self.tick_rate   # a frame or more behind
            send(self.streamer, self.next, self.streamer.frame(self._draw, late), self.mix)
            self.next += 1

    def _draw(self) -> np.ndarray:
        self.renderer.present()
        return self.renderer.frame()

    def close(self) -> StreamStats:
        stats = self.streamer.close()
        self.renderer.close()
        return stats
