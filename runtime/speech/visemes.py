"""From eSpeak NG's IPA phonemes to the 15 Oculus visemes, and coarticulated per-tick weights.

One IPA table serves every language eSpeak speaks (English, Mandarin and Korean are tested). A phoneme
made of several sounds (a diphthong 'aɪ', a syllabic 'əl') is split into equal parts.

Coarticulation follows Cohen and Massaro's dominance model: each part has a dominance that peaks at its
centre and decays exponentially on either side; the weight of a viseme at time t is its parts' share of
the total dominance. Bilabials (PP) and labiodentals (FF) dominate strongly and start early, so the lips
close before /p b m/ sounds; pauses dominate too, so the mouth closes in silences. Jaw opening follows the
vowels' openness.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..skeleton.face import JAW_OPEN, VISEMES
from .utterance import Phoneme

V = {name: i for i, name in enumerate(VISEMES)}

IPA_VISEME: dict[str, str] = {}
for _viseme, _symbols in {
    "PP": "p b m ɓ",
    "FF": "f v ʋ ɸ β",
    "TH": "θ ð",
    "DD": "t d ɾ ʈ ɖ",
    "kk": "k ɡ g x χ ɣ q ʁ h ɦ ʔ",
    "CH": "tʃ dʒ ʃ ʒ tɕ dʑ ɕ ʑ tʂ ʈʂ ʂ c ɟ ç",
    "SS": "s z ts dz",
    "nn": "n ŋ ɲ ɳ l ɫ ɭ ʎ",
    "RR": "ɹ r ɻ ʐ ɚ ɝ",
    "aa": "a ɑ ɐ æ ʌ ä",
    "E": "e ɛ ə ø œ ɜ",
    "ih": "i ɪ y ɨ j ʏ",
    "oh": "o ɔ ɒ ɤ",
    "ou": "u ʊ ɯ w ɥ ʉ",
}.items():
    for _s in _symbols.split():
        IPA_VISEME[_s] = _viseme
_LONGEST = sorted(IPA_VISEME, key=len, reverse=True)
_IGNORED = re.compile(r"[ːˑ.ʰʲʷ̩̯̃0-9-]")

# Dominance: strength, and how far it reaches before and after the centre (seconds, plus 30 % of half the part).
DOMINANCE = {"vowel": (1.0, 0.035, 0.035), "consonant": (0.8, 0.025, 0.025),
             "PP": (5.0, 0.080, 0.030), "FF": (3.0, 0.050, 0.030), "sil": (2.0, 0.020, 0.020)}
VOWELS = {"aa", "E", "ih", "oh", "ou"}
GLIDES = {"j", "w", "ɥ"}             # vowel-like mouth shapes, consonant timing


def ipa_sounds(ipa: str) -> list[tuple[str, str]]:
    """(IPA symbol, viseme) for each sound of one eSpeak phoneme ('' is a pause: [("", "sil")]);
    unknown symbols are skipped."""
    text = _IGNORED.sub("", ipa)
    out = []
    while text:
        match = next((s for s in _LONGEST if text.startswith(s)), None)
        if match is None:
            text = text[1:]
            continue
        out.append((match, IPA_VISEME[match]))
        text = text[len(match):]
    return out or [("", "sil")]


def ipa_visemes(ipa: str) -> list[str]:
    return [v for _, v in ipa_sounds(ipa)]


def is_vowel(symbol: str, viseme: str) -> bool:
    return viseme in VOWELS and symbol not in GLIDES


@dataclass(frozen=True)
class Part:
    viseme: str
    start: float
    end: float
    vowel: bool

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


def parts(phonemes: list[Phoneme]) -> list[Part]:
    out = []
    for p in phonemes:
        seq = ipa_sounds(p.ipa)
        step = (p.end - p.start) / len(seq)
        out += [Part(v, p.start + k * step, p.start + (k + 1) * step, is_vowel(sym, v)) for k, (sym, v) in enumerate(seq)]
    return out


def _dominance_params(part: Part) -> tuple[float, float, float]:
    if part.viseme in DOMINANCE:
        return DOMINANCE[part.viseme]
    return DOMINANCE["vowel" if part.vowel else "consonant"]


def viseme_weights(phonemes: list[Phoneme], rate: int, duration: float) -> np.ndarray:
    """(T, 15) viseme weights at ticks 0..T-1 (tick k is at k / rate seconds); each row sums to 1."""
    segs = parts(phonemes)
    ticks = int(np.ceil(duration * rate)) + 1
    t = np.arange(ticks) / rate
    if not segs:
        out = np.zeros((ticks, len(VISEMES)))
        out[:, V["sil"]] = 1.0
        return out
    centre = np.array([s.centre for s in segs])
    half = np.array([(s.end - s.start) / 2 for s in segs])
    params = np.array([_dominance_params(s) for s in segs])
    # Long sounds reach a little further, but not their whole length: a long vowel must not hold the
    # mouth open deep into the pause after it.
    alpha, before, after = params[:, 0], params[:, 1] + 0.3 * half, params[:, 2] + 0.3 * half
    dt = t[:, None] - centre[None, :]                                     # (T, S)
    reach = np.where(dt < 0, before[None, :], after[None, :])
    dom = alpha[None, :] * np.exp(-np.abs(dt) / reach)
    onehot = np.zeros((len(segs), len(VISEMES)))
    onehot[np.arange(len(segs)), [V[s.viseme] for s in segs]] = 1.0
    weights = dom @ onehot
    weights[:, V["sil"]] += 1e-9          # far from every sound the mouth rests
    return weights / weights.sum(axis=1, keepdims=True)


OPENNESS = np.array([JAW_OPEN[v] for v in VISEMES])


def jaw_opening(weights: np.ndarray) -> np.ndarray:
    """0 (closed) .. 1 (wide) per tick, from the visemes' openness."""
    return weights @ OPENNESS
