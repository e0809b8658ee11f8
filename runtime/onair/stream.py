"""Streaming a show to a platform's ingest (rtmp://, rtmps://, srt://) or to a file (.flv, .ts, .mkv).

Frames come from the offscreen renderer at the fixed frame rate and the voices' mix on the tick each line
is spoken; the ffmpeg that imageio-ffmpeg ships encodes them as platforms ask: H.264 yuv420p at a constant
bitrate with a keyframe every 2 s, AAC at 48 kHz. Frames go to ffmpeg on its stdin, audio through a named
pipe, each from its own thread, so neither input can stall the other.

The stream never slows the show: when a frame is not ready in time the last one is sent again and the
miss is counted, so video and audio keep the clock's pace. When the ingest goes away, ffmpeg ends; the
show goes on, and a new ffmpeg is started with growing pauses (0.5 s doubling to 4 s) until the ingest
takes it again. Each drop and reconnect is logged and reported to a listener (the operator API).
"""
from __future__ import annotations

import logging
import os
import queue
import resource
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from ..speech.utterance import SAMPLE_RATE

log = logging.getLogger("cohost.stream")
AUDIO_IN_RATE = SAMPLE_RATE     # the voices' rate: ffmpeg resamples to the platform's
AUDIO_OUT_RATE = 48000
KEYFRAME_S = 2.0
RETRY_S = (0.5, 1.0, 2.0, 4.0)  # pauses before each new connection; the last repeats
CONTAINERS = {"rtmp": "flv", "rtmps": "flv", "srt": "mpegts", ".flv": "flv", ".ts": "mpegts", ".mkv": "matroska"}


class StreamError(ValueError):
    """A stream that cannot start: a bad URL, a missing encoder."""


def container(target: str) -> str:
    """ffmpeg's output format for a URL or a file name; a StreamError names what is accepted."""
    scheme = urlparse(target).scheme.lower()
    if "://" in target:
        if scheme not in ("rtmp", "rtmps", "srt"):
            raise StreamError(f"cannot stream to {target!r}: the URL must start with rtmp://, rtmps:// or srt://")
        if not urlparse(target).hostname:
            raise StreamError(f"cannot stream to {target!r}: no host in the URL")
        return CONTAINERS[scheme]
    suffix = Path(target).suffix.lower()
    if suffix not in CONTAINERS:
        raise StreamError(f"cannot stream to {target!r}: a file must end in .flv, .ts or .mkv "
                          "(or give an rtmp://, rtmps:// or srt:// URL)")
    return CONTAINERS[suffix]


def ffmpeg_exe() -> str:
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as e:
        raise StreamError(f"no encoder: the imageio-ffmpeg package and its ffmpeg are needed ({e})") from None


@dataclass
class StreamSettings:
    target: str
    size: tuple[int, int] = (1280, 720)
    fps: int = 30
    video_bitrate: str = "2500k"
    audio_bitrate: str = "128k"

    def command(self, audio_pipe: Path) -> list[str]:
        """ffmpeg's arguments: raw RGB frames on stdin, mono 16-bit audio from `audio_pipe`."""
        w, h = self.size
        rate = self.video_bitrate
        keyframes = str(round(KEYFRAME_S * self.fps))
        return [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",     # a file is replaced
                "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(self.fps), "-i", "pipe:0",
                "-f", "s16le", "-ar", str(AUDIO_IN_RATE), "-ac", "1", "-i", str(audio_pipe),
                "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
                "-b:v", rate, "-minrate", rate, "-maxrate", rate, "-bufsize", rate,
                "-x264-params", "nal-hrd=cbr", "-g", keyframes, "-keyint_min", keyframes, "-sc_threshold", "0",
                "-c:a", "aac", "-b:a", self.audio_bitrate, "-ar", str(AUDIO_OUT_RATE), "-ac", "2",
                "-f", container(self.target), self.target]


class Encoder:
    """One ffmpeg process and the two threads that feed it; `alive` turns False when it ends."""

    def __init__(self, settings: StreamSettings, folder: Path) -> None:
        self.audio_pipe = folder / f"audio-{time.monotonic_ns()}"
        os.mkfifo(self.audio_pipe)
        self.process = subprocess.Popen(settings.command(self.audio_pipe), stdin=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.video: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.audio: queue.Queue[bytes | None] = queue.Queue(maxsize=64)
        self.alive = True
        self.threads = [threading.Thread(target=self._feed, args=(self.video, lambda: self.process.stdin), daemon=True),
                        threading.Thread(target=self._feed, args=(self.audio, self._open_audio), daemon=True)]
        for t in self.threads:
            t.start()

    def _open_audio(self):
        return open(self.audio_pipe, "wb", buffering=0)       # blocks until ffmpeg opens its end

    def _feed(self, chunks: queue.Queue, opener: Callable) -> None:
        try:
            out = opener()
            while (chunk := chunks.get()) is not None:
                out.write(chunk)
            out.close()
        except (BrokenPipeError, OSError, ValueError):
            self.alive = False

    def send(self, frame: bytes, audio: bytes) -> bool:
        """Queue one frame and its audio; False once ffmpeg has ended (the ingest went away)."""
        if not self.alive or self.process.poll() is not None:
            self.alive = False
            return False
        try:
            self.video.put(frame, timeout=1.0)
            self.audio.put(audio, timeout=1.0)
        except queue.Full:                 # ffmpeg stopped reading: it is stuck on a dead connection
            self.alive = False
        return self.alive

    def close(self, wait_s: float = 10.0) -> str:
        """End the stream (ffmpeg finishes the file or the connection); its error output, if any."""
        for chunks in (self.video, self.audio):
            try:
                chunks.put(None, timeout=1.0)
            except queue.Full:
                pass
        try:
            self.process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.audio_pipe.unlink(missing_ok=True)
        return self.process.stderr.read().decode("utf-8", "replace").strip() if self.process.stderr else ""


@dataclass
class StreamStats:
    frames: int = 0          # frames of the show's time that passed
    sent: int = 0            # frames that reached ffmpeg
    repeated: int = 0        # frames sent again because the next was not ready in time
    lost: int = 0            # frames that passed while there was no connection
    drops: int = 0           # times the ingest went away
    reconnects: int = 0
    encoder_cpu_s: float = 0.0   # CPU seconds the encoders took (read when they have ended)


class Streamer:
    """The show's frames and sound, paced to the clock, through an Encoder that is restarted when the ingest
    goes away. `events(kind, **fields)` hears "stream_drop" (the ingest went away) and "stream_reconnect"
    (on air again, after a second of frames taken)."""

    def __init__(self, settings: StreamSettings, events: Callable[..., None] | None = None) -> None:
        container(settings.target)
        ffmpeg_exe()
        if settings.size[0] % 2 or settings.size[1] % 2:
            raise StreamError(f"H.264 needs an even width and height, got {settings.size[0]}x{settings.size[1]}")
        self.settings, self.events = settings, events or (lambda kind, **fields: None)
        self.stats = StreamStats()
        self._folder = Path(tempfile.mkdtemp(prefix="cohost-stream-"))
        self._encoder: Encoder | None = Encoder(settings, self._folder)
        self._taken = 0                   # frames the current encoder has taken
        self._away_since: float | None = None
        self._retry_at, self._tries = 0.0, 0
        self._last: bytes | None = None       # the frame last drawn

    def frame(self, draw: Callable[[], object], late: bool) -> bytes:
        """The next frame: drawn, or, when it would be late, the last one again (counted)."""
        if self._last is None or not late:
            self._last = draw().tobytes()
        else:
            self.stats.repeated += 1
        return self._last

    def audio_span(self, frame: int) -> tuple[int, int]:
        """The voices' samples (at AUDIO_IN_RATE) that go with frame `frame`: whole samples, no drift."""
        fps = self.settings.fps
        return frame * AUDIO_IN_RATE // fps, (frame + 1) * AUDIO_IN_RATE // fps

    def send(self, frame: bytes, audio: bytes, now: float | None = None) -> None:
        """One frame of the show's time (and its audio), sent if there is a connection."""
        now = time.monotonic() if now is None else now
        self.stats.frames += 1
        if self._encoder is None and now >= self._retry_at:
            self._encoder, self._taken = Encoder(self.settings, self._folder), 0
        if self._encoder is None:
            self.stats.lost += 1
            return
        if not self._encoder.send(frame, audio):
            self._ended(now)
            return
        self.stats.sent += 1
        self._taken += 1
        if self._taken == self.settings.fps and self._away_since is not None:     # a second on air again
            self.stats.reconnects += 1
            away = now - self._away_since
            self._away_since, self._tries = None, 0
            log.warning("stream: on air again at %s after %.1f s away", self.settings.target, away)  # pairs with the drop
            self.events("stream_reconnect", target=self.settings.target, away_s=round(away, 2))

    def _ended(self, now: float) -> None:
        """ffmpeg ended: the ingest went away (or is still away); try again after a growing pause."""
        error = self._encoder.close(wait_s=1.0).splitlines()
        self._encoder = None
        self.stats.lost += 1
        pause = RETRY_S[min(self._tries, len(RETRY_S) - 1)]
        self._tries += 1
        self._retry_at = now + pause
        if self._away_since is None:
            self._away_since = now
            self.stats.drops += 1
            log.warning("stream: %s went away (%s); the show goes on, trying again", self.settings.target,
                        error[-1] if error else "ffmpeg ended")
            self.events("stream_drop", target=self.settings.target, error=error[-1] if error else "")
        else:
            log.info("stream: %s still away; next try in %.1f s", self.settings.target, pause)

    def close(self) -> StreamStats:
        if self._encoder is not None:
            error = self._encoder.close()
            if error:
                log.warning("stream: ffmpeg said: %s", error)
        for leftover in self._folder.iterdir():
            leftover.unlink()
        self._folder.rmdir()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)       # the ffmpeg processes, all waited for
        self.stats.encoder_cpu_s = children.ru_utime + children.ru_stime
        return self.stats
