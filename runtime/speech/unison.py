"""Speaking in unison: a second voice's take of the same text, time-aligned onto the first voice's
phoneme timeline, so both mouths and both audio tracks move together.

Same text in the same language gives the same phoneme sequence whatever the voice variant; each of the
second take's phonemes is stretched (audio resampled) to the first take's duration for it. If the two
sequences differ, the whole second take is stretched to the first one's length.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .utterance import Utterance


def _stretch(audio: np.ndarray, length: int) -> np.ndarray:
    if length <= 0:
        return np.zeros(0)
    if len(audio) == 0:
        return np.zeros(length)
    return np.interp(np.linspace(0, len(audio) - 1, length), np.arange(len(audio)), audio.astype(float))


def align(second: Utterance, first: Utterance) -> Utterance:
    """`second` retimed onto `first`: its audio stretched phoneme by phoneme, its phonemes and words given
    `first`'s times. Both must be at one sample rate."""
    if second.sample_rate != first.sample_rate:
        raise ValueError("unison takes need one sample rate")
    rate = first.sample_rate
    same = [p.ipa for p in second.phonemes] == [p.ipa for p in first.phonemes] and first.phonemes
    if same:
        # Cut both at their phoneme boundaries (with the head and tail outside the phonemes).
        cuts_b = [0.0] + [p.start for p in second.phonemes] + [second.phonemes[-1].end, second.duration]
        cuts_a = [0.0] + [p.start for p in first.phonemes] + [first.phonemes[-1].end, first.duration]
    else:
        cuts_b, cuts_a = [0.0, second.duration], [0.0, first.duration]
    pieces = []
    for (b0, b1), (a0, a1) in zip(zip(cuts_b, cuts_b[1:]), zip(cuts_a, cuts_a[1:])):
        segment = second.audio[int(round(b0 * rate)):int(round(b1 * rate))]
        pieces.append(_stretch(segment, int(round(a1 * rate)) - int(round(a0 * rate))))
    audio = np.clip(np.concatenate(pieces), -32768, 32767).astype(np.int16)[:len(first.audio)]
    audio = np.pad(audio, (0, len(first.audio) - len(audio)))
    phonemes = [replace(b, start=a.start, end=a.end) for a, b in zip(first.phonemes, second.phonemes)] if same \
        else list(first.phonemes)
    return replace(second, audio=audio, phonemes=phonemes, words=list(first.words))
