"""Live lip sync: audio chunks in (a microphone, a stream, a file played in real time), mouth weights out.

The fast path answers every chunk at once from its level and spectrum (well under the 50 ms budget: the
wait is one chunk of audio plus microseconds of arithmetic). When a vosk model is loaded, a worker thread
recognises the same audio; its partial results name the word being spoken, and while it is known the
open mouth takes that word's vowel shapes (from eSpeak NG) in order instead of guessing from the spectrum.
"""
from __future__ import annotations

import json
import queue
import threading
from pathlib import Path

import numpy as np

from ..skeleton.face import VISEMES
from .audio import RATE
from .lipsync import SILENCE_LEVEL, energy_track, load_model, word_phonemes
from .utterance import Voice
from .visemes import VOWELS, V, ipa_visemes

ATTACK, RELEASE = 0.9, 0.35          # per-chunk smoothing of loudness: open fast, close a little slower


class LiveMouth:
    def __init__(self, rate: int = RATE, model_dir: Path | None = None, voice: Voice | None = None) -> None:
        self.rate = rate
        self.voice = voice or Voice()
        self.loudness = 0.0
        self._vowels: list[str] = []
        self._vowel_index = 0
        self._was_open = False
        self._audio: "queue.Queue[np.ndarray | None]" = queue.Queue()
        self._worker = None
        self.partial = ""
        if model_dir is not None:
            self._worker = threading.Thread(target=self._recognise, args=(Path(model_dir),), daemon=True)
            self._worker.start()

    def _recognise(self, model_dir: Path) -> None:
        from vosk import KaldiRecognizer
        rec = KaldiRecognizer(load_model(model_dir), self.rate)
        while (chunk := self._audio.get()) is not None:
            final = rec.AcceptWaveform(chunk.tobytes())
            text = json.loads(rec.Result() if final else rec.PartialResult()).get("text" if final else "partial", "")
            words = text.split()
            if words and words[-1] != self.partial:
                self.partial = words[-1]
                vowels = [v for p in word_phonemes(self.partial, self.voice) for v in ipa_visemes(p.ipa) if v in VOWELS]
                self._vowels, self._vowel_index = vowels, 0

    def feed(self, chunk: np.ndarray) -> np.ndarray:
        """(15,) viseme weights for the newest audio (int16 mono at `rate`)."""
        if self._worker is not None:
            self._audio.put(chunk)
        x = np.asarray(chunk, float) / 32768.0
        level = float(np.sqrt(np.mean(x * x))) if len(x) else 0.0
        spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) if len(x) > 1 else np.zeros(1)
        freqs = np.fft.rfftfreq(len(x), 1 / self.rate) if len(x) > 1 else np.zeros(1)
        centroid = float(spectrum @ freqs / max(spectrum.sum(), 1e-12))
        k = ATTACK if level > self.loudness else RELEASE
        self.loudness += k * (level - self.loudness)
        weights = energy_track(np.array([self.loudness]), np.array([centroid]))[0]
        is_open = self.loudness > SILENCE_LEVEL * 1.5
        if is_open and self._vowels and centroid < 3500:
            if not self._was_open:                      # a new syllable: the word's next vowel
                self._vowel_index = (self._vowel_index + 1) % len(self._vowels)
            loud = 1.0 - weights[V["sil"]]
            weights = np.zeros(len(VISEMES))
            weights[V["sil"]] = 1.0 - loud
            weights[V[self._vowels[self._vowel_index]]] = loud
        self._was_open = is_open
        return weights

    def close(self) -> None:
        if self._worker is not None:
            self._audio.put(None)
            self._worker.join(timeout=10)
