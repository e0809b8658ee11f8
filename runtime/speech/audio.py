"""Reading audio files and measuring them: any format ffmpeg reads (from imageio-ffmpeg), as 16 kHz mono."""
from __future__ import annotations

import subprocess
import wave
from pathlib import Path
from typing import BinaryIO

import numpy as np

RATE = 16000


def read_audio(path: str | Path, rate: int = RATE) -> np.ndarray:
    """int16 mono samples at `rate`."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such audio file")
    if path.suffix.lower() == ".wav":
        try:
            x, source_rate = wav_samples(path)
            return resample(x, source_rate, rate)
        except (ValueError, wave.Error, EOFError):
            pass                                   # another WAV encoding: ffmpeg reads it
    import imageio_ffmpeg
    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1",
                          "-ar", str(rate), "-"], capture_output=True)
    if out.returncode != 0:
        raise ValueError(f"{path}: cannot decode audio: {out.stderr.decode(errors='replace').strip()[:200]}")
    return np.frombuffer(out.stdout, "<i2").copy()


def wav_samples(source: str | Path | BinaryIO) -> tuple[np.ndarray, int]:
    """(int16 mono samples, their rate) of a 16-bit PCM WAV file or stream, channels mixed; ValueError for
    other sample widths."""
    with wave.open(source if not isinstance(source, Path) else str(source)) as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{8 * w.getsampwidth()}-bit audio; 16-bit PCM WAV expected")
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, w.getnchannels())
        return (x[:, 0].copy() if x.shape[1] == 1 else x.mean(axis=1).astype(np.int16)), w.getframerate()


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst:
        return np.asarray(x, np.int16)
    n = int(len(x) * dst / src)
    return np.interp(np.arange(n) * src / dst, np.arange(len(x)), np.asarray(x, float)).astype(np.int16)


def frame_features(x: np.ndarray, rate: int, tick_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Per tick: RMS level (0..1 of full scale) and spectral centroid (Hz) of the audio around the tick."""
    hop = rate / tick_rate
    ticks = int(np.ceil(len(x) / hop)) + 1
    win = int(2 * hop)
    level = np.zeros(ticks)
    centroid = np.zeros(ticks)
    freqs = np.fft.rfftfreq(win, 1 / rate)
    window = np.hanning(win)
    xf = np.asarray(x, float) / 32768.0
    for k in range(ticks):
        start = int(k * hop - win / 2)
        seg = xf[max(start, 0):max(start + win, 0)]
        if len(seg) < win:
            seg = np.pad(seg, (0, win - len(seg)))
        level[k] = np.sqrt(np.mean(seg ** 2))
        spec = np.abs(np.fft.rfft(seg * window))
        centroid[k] = (spec @ freqs) / max(spec.sum(), 1e-12)
    return level, centroid
