"""What a voice is and what it gives: text in, audio and a phoneme timeline out, whatever engine speaks.

Every engine (runtime/speech/espeak.py, runtime/speech/piper.py) returns an Utterance: mono int16 audio
at SAMPLE_RATE, the phonemes (IPA, as eSpeak NG writes them) with their times and stress, and the start of
each word of the text. Lip sync, nods, gestures and the mix read only this.
"""
from __future__ import annotations

import json
import re
import threading
import wave
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Self

import numpy as np

SAMPLE_RATE = 22050          # every engine's audio, resampled where its own rate differs


class SpeechError(RuntimeError):
    """Synthesis could not run (no library, unknown voice); the message says which."""


def script_language(text: str) -> str:
    """The eSpeak NG language a text is most likely in, from its letters: Korean, Mandarin or English."""
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u4e00-\u9fff]", text):
        return "cmn"
    return "en-us"


@lru_cache(maxsize=64)
def _model_family(model: str) -> str | None:
    """A Piper voice's language family: from an installed voice's name (en_US-joe-medium) or a .onnx file's
    config; None when it does not say."""
    if not model.endswith(".onnx"):
        return _family(model)
    try:
        config = json.loads(Path(model + ".json").expanduser().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    code = config.get("language", {}).get("code") or config.get("espeak", {}).get("voice")
    return _family(code) if isinstance(code, str) else None


def _family(code: str) -> str:
    """A language's two-letter family from an eSpeak NG code or a voice name: cmn, zh_CN -> zh; en-us -> en."""
    code = code.lower()
    return "zh" if code.startswith(("cmn", "yue", "zh")) else code[:2]


class Engine:
    """A speech engine the process keeps one of (loading one is slow); each runs its synthesis behind
    its own lock."""
    _instance: "Engine | None" = None
    _lock: threading.Lock

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._lock = threading.Lock()

    @classmethod
    def get(cls) -> Self:
        with cls._lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance


@dataclass(frozen=True)
class Voice:
    language: str = "en-us"     # the language spoken, as eSpeak NG names it: en-us, cmn, ko, ...
    variant: str = ""           # eSpeak variant, e.g. f3, m3
    rate: int = 165             # words per minute
    pitch: int = 50             # 0..100 (eSpeak NG)
    engine: str = "espeak"      # what speaks: one of ENGINES
    model: str = ""             # Piper: an installed voice's name (en_US-joe-medium) or a .onnx file;
                                # a TTS server: its model name
    url: str = ""               # a TTS server (OpenAI-style POST /v1/audio/speech): its base URL
    server_voice: str = ""      # a TTS server: the name it gives the voice
    emotion: str = "neutral"    # how the line is said: one of EMOTIONS

    @property
    def name(self) -> str:
        return f"{self.language}+{self.variant}" if self.variant else self.language

    def for_text(self, text: str) -> "Voice":
        """This voice for `text`: a line written in Hangul or Chinese characters is said in Korean or
        Mandarin (an English voice would spell it out)."""
        written = script_language(text)
        return self.speaking(written) if written != "en-us" and _family(written) != _family(self.language) else self

    def speaking(self, language: str) -> "Voice":
        """This voice for a line in `language`: eSpeak NG speaks them all; a Piper voice speaks its model's
        own (its name starts with it: en_US-joe-medium; a .onnx file's config says it), else eSpeak NG says
        the line at the same rate."""
        family = _model_family(self.model) if self.engine == "piper" else None
        if family is not None and family != _family(language):
            return Voice(language=language, rate=self.rate, emotion=self.emotion)
        return replace(self, language=language)

    @classmethod
    def from_table(cls, table: dict, base: "Voice | None" = None) -> "Voice":
        """A voice from a host or scene [voice] table; missing keys come from `base`."""
        base = base or cls()
        return cls(**{key: kind(table.get(key, getattr(base, key))) for key, kind in VOICE_KEYS.items()})


ENGINES = ("espeak", "piper", "server")
VOICE_KEYS = {"language": str, "variant": str, "rate": int, "pitch": int, "engine": str, "model": str, "url": str,
              "server_voice": str, "emotion": str}
# The VRM 1.0 preset emotions in the voice: rate (times), pitch (added, eSpeak NG's 0..100), volume (times).
# Happy and surprised speak up and faster, sad and relaxed lower and slower, angry louder and clipped.
EMOTIONS = {"neutral": (1.0, 0, 1.0), "happy": (1.08, 8, 1.1), "surprised": (1.05, 14, 1.15),
            "angry": (1.1, 4, 1.3), "sad": (0.85, -8, 0.8), "relaxed": (0.92, -4, 0.9)}


@dataclass(frozen=True)
class Phoneme:
    ipa: str          # without stress marks; "" is a pause
    start: float      # seconds from the start of the line's audio
    end: float
    stressed: bool

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


@dataclass(frozen=True)
class Word:
    text: str
    start: float


@dataclass
class Utterance:
    text: str
    voice: Voice
    sample_rate: int
    audio: np.ndarray                    # int16 mono
    phonemes: list[Phoneme] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def write_wav(self, path: str | Path) -> None:
        write_wav(path, self.audio, self.sample_rate)


def write_wav(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """Mono 16-bit PCM WAV."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(audio).astype("<i2").tobytes())
