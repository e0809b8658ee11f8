"""Saying a line with the host's voice, whatever engine it names, and keeping prepared lines."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..tomlfile import unknown_name
from . import ssml
from .espeak import Espeak
from .utterance import EMOTIONS, ENGINES, SAMPLE_RATE, Phoneme, SpeechError, Utterance, Voice


def synthesize(text: str, voice: Voice) -> Utterance:
    """A line said once (a live answer): synthesised by the voice's engine, not kept; an SSML line
    piece by piece."""
    if ssml.is_ssml(text):
        return _pieces(ssml.parse(text), voice)
    if voice.emotion != "neutral":
        return _with_emotion(text, voice)
    if voice.engine == "espeak":
        return Espeak.get().synthesize(text, voice)
    if voice.engine == "piper":                 # the neural voices are an extra: loaded when a host uses one
        from .piper import Piper
        return Piper.get().synthesize(text, voice)
    if voice.engine == "server":
        from . import server
        return server.synthesize(text, voice)
    raise SpeechError(unknown_name(voice.engine, ENGINES, "voice engine"))


def _with_emotion(text: str, voice: Voice) -> Utterance:
    """The line said with the voice's emotion: its rate, pitch (eSpeak NG) and loudness moved (EMOTIONS)."""
    rate, pitch, volume = EMOTIONS[voice.emotion]
    plain = replace(voice, emotion="neutral", rate=round(voice.rate * rate), pitch=min(100, max(0, voice.pitch + pitch)))
    said = synthesize(text, plain)
    return replace(said, voice=voice, audio=_louder(said.audio, volume))


def _pieces(spoken: ssml.Spoken, voice: Voice) -> Utterance:
    """An SSML line: each piece in its own rate, pitch and volume, breaks as silence, one timeline."""
    audio, phonemes, words, at = [], [], [], 0.0
    for piece in spoken.pieces:
        if piece.pause_s:
            audio.append(np.zeros(round(piece.pause_s * SAMPLE_RATE), np.int16))
            phonemes.append(Phoneme("", at, at + piece.pause_s, False))
            at += piece.pause_s
        if piece.text:
            u = synthesize(piece.text, ssml.voice_for(piece, voice))
            audio.append(_louder(u.audio, piece.volume))
            phonemes += [replace(p, start=p.start + at, end=p.end + at) for p in u.phonemes]
            words += [replace(w, start=w.start + at) for w in u.words]
            at += u.duration
    text = " ".join(p.text for p in spoken.pieces if p.text)
    return Utterance(text, voice, SAMPLE_RATE, np.concatenate(audio or [np.zeros(0, np.int16)]), phonemes, words)


def _louder(audio: np.ndarray, volume: float) -> np.ndarray:
    return np.clip(audio * volume, -32768, 32767).astype(np.int16)


class LineCache:
    """Prepared lines keyed by text and voice, so a show never waits on synthesis twice. (eSpeak NG's
    output also varies by a few milliseconds from one synthesis to the next: a cached line stays the same.)"""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._lines: dict[tuple[str, Voice], Utterance] = {}

    def get(self, text: str, voice: Voice) -> Utterance:
        key = (text, voice)
        if key not in self._lines:
            if len(self._lines) >= self.size:
                self._lines.pop(next(iter(self._lines)))
            self._lines[key] = synthesize(text, voice)
        return self._lines[key]
