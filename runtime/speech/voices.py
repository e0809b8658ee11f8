"""Saying a line with the host's voice, whatever engine it names, and keeping prepared lines."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..tomlfile import TomlDoc, unknown_name
from . import ssml
from .espeak import Espeak
from .utterance import EMOTIONS, ENGINES, SAMPLE_RATE, VOICE_KEYS, Phoneme, SpeechError, Utterance, Voice


def synthesize(text: str, voice: Voice) -> Utterance:
    """A line said once (a live answer): synthesised by the voice's engine, not kept; an SSML line
    piece by piece."""
    if ssml.is_ssml(text):
        return _pieces(ssml.parse(text), voice)
    voice = voice.for_text(text)                 # Chinese characters are said in Mandarin, Hangul in Korean
    voice = voice.speaking(voice.language)       # a Piper voice asked for another language: eSpeak NG says it
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


def voice_table(doc: TomlDoc, owner: dict, *path: str | int) -> dict:
    """The `voice` table of a host (rig file or set), each key known and of its kind; {} when absent."""
    voice = doc.get(owner, "voice", dict, *path, "voice", default={})
    doc.check_keys(voice, VOICE_KEYS, *path, "voice")
    for key, kind in VOICE_KEYS.items():
        doc.get(voice, key, kind, *path, "voice", key, default=None)
    engine = voice.get("engine", "espeak")
    if engine not in ENGINES:
        raise doc.error(unknown_name(engine, ENGINES, "engine"), *path, "voice", "engine")
    if voice.get("emotion", "neutral") not in EMOTIONS:
        raise doc.error(unknown_name(voice["emotion"], EMOTIONS, "emotion"), *path, "voice", "emotion")
    if engine == "piper":
        if not voice.get("model"):
            raise doc.error("a Piper voice needs its model: an installed voice (e.g. en_US-joe-medium) or a .onnx "
                            "file", *path, "voice")
        from .piper import model_files            # the voice must be there before the show starts
        try:
            model_files(voice["model"])
        except SpeechError as e:
            raise doc.error(str(e), *path, "voice", "model") from None
    if engine == "server" and not str(voice.get("url", "")).startswith(("http://", "https://")):
        raise doc.error("a TTS server voice needs its url, http://... or https://", *path, "voice")
    return voice


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
