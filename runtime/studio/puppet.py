"""Puppet mode: a human voice drives a host's mouth live, through the live lip-sync path."""
from __future__ import annotations

import sys
import threading

import numpy as np

from ..skeleton.face import VISEMES
from ..speech.live import LiveMouth


class FileSource:
    """A whole recording, cut into exact tick-sized chunks (offscreen renders)."""

    def __init__(self, audio: np.ndarray, rate: int, tick_rate: int) -> None:
        self.audio, self.rate, self.tick_rate = audio, rate, tick_rate

    def chunk(self, tick: int) -> np.ndarray:
        a = int(round(tick * self.rate / self.tick_rate))
        b = int(round((tick + 1) * self.rate / self.tick_rate))
        return self.audio[a:b]


class StreamSource:
    """Audio arriving in real time (a microphone, stdin, a file being played); each tick takes what came."""

    def __init__(self) -> None:
        self._pending: list[np.ndarray] = []
        self._lock = threading.Lock()

    def push(self, samples: np.ndarray) -> None:
        with self._lock:
            self._pending.append(np.asarray(samples, np.int16))

    def chunk(self, tick: int) -> np.ndarray:
        with self._lock:
            out = np.concatenate(self._pending) if self._pending else np.zeros(0, np.int16)
            self._pending.clear()
        return out

    def read_stdin(self, rate: int, tick_rate: int) -> None:
        """Raw s16le mono PCM at `rate` on stdin, in a background thread."""
        block = 2 * (rate // tick_rate)

        def pump() -> None:
            while data := sys.stdin.buffer.read(block):
                self.push(np.frombuffer(data[: len(data) // 2 * 2], "<i2"))
        threading.Thread(target=pump, daemon=True).start()

    def read_microphone(self, rate: int, tick_rate: int):
        try:
            import sounddevice
        except ImportError:
            raise SystemExit("cohost puppet --mic needs the sounddevice package (pip install sounddevice)") from None
        stream = sounddevice.InputStream(samplerate=rate, channels=1, dtype="int16", blocksize=rate // tick_rate,
                                         callback=lambda data, *_: self.push(data[:, 0].copy()))
        stream.start()
        return stream


class LiveVoice:
    """A host's mouth from live audio, one chunk per tick, for the speech stage (`visemes(tick)`)."""

    def __init__(self, mouth: LiveMouth, source) -> None:
        self.mouth, self.source = mouth, source
        self._last = np.zeros(len(VISEMES))
        self._last[0] = 1.0

    def visemes(self, tick: int) -> np.ndarray:
        chunk = self.source.chunk(tick)
        if len(chunk):
            self._last = self.mouth.feed(chunk)
        return self._last
