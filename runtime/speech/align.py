"""Forced alignment without a recogniser: a recording of a known script gets eSpeak NG's phoneme timing.

eSpeak NG says the script (its phoneme timing is exact); both signals become MFCC frames (10 ms, with
their deltas, each normalised over its own utterance so two different voices compare); dynamic time
warping finds the cheapest monotonic match of the two; every phoneme and word boundary of eSpeak NG's
rendering is carried over to the recording along that path. It works for every language eSpeak NG speaks,
and for audio whose engine gives no timing (a TTS server, a studio's cloned voice, a presenter's take).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from numba import njit

from .audio import RATE, resample
from .espeak import Espeak
from .utterance import Phoneme, Utterance, Voice, Word

HOP_S = 0.010                  # one feature frame
WINDOW = 512                   # samples at 16 kHz (32 ms)
BANDS, COEFFS = 26, 13         # mel bands, cepstral coefficients kept
LOW_HZ, HIGH_HZ = 80.0, 7600.0


def _mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _filterbank() -> np.ndarray:
    """(BANDS, WINDOW // 2 + 1) triangular mel filters."""
    edges = 700.0 * (10 ** (np.linspace(_mel(LOW_HZ), _mel(HIGH_HZ), BANDS + 2) / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(WINDOW, 1 / RATE)
    rise = (bins[None, :] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    fall = (edges[2:, None] - bins[None, :]) / (edges[2:, None] - edges[1:-1, None])
    return np.clip(np.minimum(rise, fall), 0.0, None)


FILTERS = _filterbank()
DCT = np.cos(np.pi / BANDS * (np.arange(BANDS)[None, :] + 0.5) * np.arange(COEFFS)[:, None])   # (COEFFS, BANDS)


def features(audio: np.ndarray) -> np.ndarray:
    """(frames, 2 * COEFFS): MFCCs and their deltas of 16 kHz audio, normalised per coefficient."""
    x = np.asarray(audio, float) / 32768.0
    hop = int(HOP_S * RATE)
    x = np.pad(x, (WINDOW // 2, WINDOW // 2))
    count = max(1, 1 + (len(x) - WINDOW) // hop)
    frames = np.lib.stride_tricks.sliding_window_view(x, WINDOW)[::hop][:count] * np.hanning(WINDOW)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mfcc = np.log(power @ FILTERS.T + 1e-10) @ DCT.T
    delta = np.gradient(mfcc, axis=0) if len(mfcc) > 1 else np.zeros_like(mfcc)
    out = np.concatenate([mfcc, delta], axis=1)
    return (out - out.mean(axis=0)) / (out.std(axis=0) + 1e-8)


@njit(cache=True)
def _warp(a, b):
    """The cheapest monotonic path from (0, 0) to the ends of frame sequences a (N, D) and b (M, D):
    for each frame of a, the first frame of b it meets."""
    n, m = len(a), len(b)
    steps = np.zeros((n, m), np.uint8)           # 0 diagonal, 1 from above (a advances), 2 from the left
    above = np.full(m, np.inf)
    for i in range(n):
        row = np.empty(m)
        for j in range(m):
            d = 0.0
            for k in range(a.shape[1]):
                diff = a[i, k] - b[j, k]
                d += diff * diff
            d = np.sqrt(d)
            if i == 0 and j == 0:
                row[j] = d
                continue
            best, step = np.inf, 0
            if i > 0 and j > 0 and above[j - 1] < best:
                best, step = above[j - 1], 0
            if i > 0 and above[j] < best:
                best, step = above[j], 1
            if j > 0 and row[j - 1] < best:
                best, step = row[j - 1], 2
            row[j] = d + best
            steps[i, j] = step
        above = row
    first = np.full(n, m - 1)
    i, j = n - 1, m - 1
    while i > 0 or j > 0:
        first[i] = j
        step = steps[i, j]
        if step == 0:
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    first[0] = 0
    return first


def align_to(reference: Utterance, audio: np.ndarray) -> tuple[list[Phoneme], list[Word]]:
    """`reference` (eSpeak NG saying the script) carried onto `audio` (16 kHz, the same words spoken):
    its phonemes and words with their times in the recording."""
    ours = features(resample(reference.audio, reference.sample_rate, RATE))
    theirs = features(audio)
    first = _warp(ours, theirs)
    duration = len(audio) / RATE

    def moved(t: float) -> float:
        i = min(int(round(t / HOP_S)), len(first) - 1)
        return min(first[i] * HOP_S, duration)
    phonemes = []
    for p in reference.phonemes:
        start, end = moved(p.start), moved(p.end) if p is not reference.phonemes[-1] else duration
        if end > start:
            phonemes.append(replace(p, start=start, end=end))
    return phonemes, [Word(w.text, moved(w.start)) for w in reference.words]


def forced_alignment(audio: np.ndarray, script: str, voice: Voice) -> tuple[list[Phoneme], list[Word]]:
    """Phonemes and words of `script` in the 16 kHz recording `audio`, in `voice`'s language."""
    return align_to(Espeak.get().synthesize(script, Voice(language=voice.language, variant=voice.variant)), audio)
