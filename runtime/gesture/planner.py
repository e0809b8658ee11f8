"""From a spoken line to timed gestures: explicit markup first, then rules over the words (English and
Mandarin), strokes on stressed syllables, preparations fitted in before them, one gesture per hand at a
time, and co-articulation between close gestures.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..speech.espeak import Utterance
from ..speech.visemes import ipa_sounds, is_vowel
from .grammar import Gesture
from .markup import MarkedLine

COARTICULATE_S = 0.6         # a next stroke this soon after a hold skips the retraction in between

# Word rules: (gesture, English words, Mandarin words). Checked in order; the first match wins.
RULES: list[tuple[str, set[str], tuple[str, ...]]] = [
    ("wave_hello", {"hello", "hi", "hey"}, ("大家好", "你好")),
    ("welcome", {"welcome"}, ("欢迎",)),
    ("thank_you", {"thanks", "thank"}, ("谢谢",)),
    ("contrast", {"but", "however"}, ("但是", "不过")),
    ("point_product", {"this", "that", "these", "those"}, ("这款", "这个", "这")),
    ("size_big", {"big", "large", "huge", "giant"}, ("很大",)),
    ("size_small", {"small", "tiny", "little", "compact"}, ("小巧", "很小")),
    ("price_emphasis", {"dollars", "dollar", "price", "yuan"}, ("元", "块", "价格")),
]
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
            "第一": 1, "第二": 2, "第三": 3, "第四": 4, "第五": 5}


@dataclass(frozen=True)
class Planned:
    gesture: Gesture
    word: int                    # index in the line's words
    target: str | None
    prep_start: float            # seconds from the start of the line
    stroke_start: float
    stroke_end: float
    end: float                   # after the retraction (or the hold, when the next gesture follows on)
    hands: frozenset[str]

    @property
    def prep(self) -> float:
        return self.stroke_start - self.prep_start


def rule_gestures(line: MarkedLine, products: list[str]) -> dict[int, str]:
    """word index -> gesture name from the rules (markup is applied separately and wins)."""
    words = [w.text.lower() for w in line.words]
    out: dict[int, str] = {}
    product_words = {p.lower() for p in products}
    for k, word in enumerate(words):
        joined = "".join(words[k:k + 3])                       # Mandarin rules span characters
        for gesture, english, mandarin in RULES:
            if word in english or any(joined.startswith(m) for m in mandarin):
                out.setdefault(k, gesture)
                break
        else:
            if word in product_words:
                out.setdefault(k, "point_product")
            elif word in ORDINALS or "".join(words[k:k + 2]) in ORDINALS:
                n = ORDINALS.get(word) or ORDINALS["".join(words[k:k + 2])]
                out.setdefault(k, f"count_{n}")
            elif line.words[k].emphasised:
                out.setdefault(k, "beat")
    return out


def _word_times(line: MarkedLine, utterance: Utterance) -> list[tuple[float, float]]:
    """(start, end) seconds of each marked word from eSpeak NG's word events, matched by text in order;
    a word ends where eSpeak's next word starts."""
    starts = sorted(e.start for e in utterance.words)
    by_text: dict[str, list[float]] = {}
    for event in utterance.words:
        by_text.setdefault(event.text, []).append(event.start)
    used: dict[str, int] = {}
    out = []
    for k, w in enumerate(line.words):
        seen = used.get(w.text, 0)
        candidates = by_text.get(w.text, [])
        if seen < len(candidates):
            start = candidates[seen]
            used[w.text] = seen + 1
        else:                                   # eSpeak cut this word differently: keep the event order
            start = starts[min(k, len(starts) - 1)] if starts else 0.0
        end = next((s for s in starts if s > start), utterance.duration)
        out.append((start, end))
    return out


def stressed_onset(utterance: Utterance, start: float, end: float) -> float:
    """Onset of the stressed vowel in [start, end): the first stressed vowel, else the first vowel."""
    vowels = [p for p in utterance.phonemes if start - 1e-6 <= p.start < end
              and any(is_vowel(sym, v) for sym, v in ipa_sounds(p.ipa))]
    stressed = [p for p in vowels if p.stressed]
    chosen = (stressed or vowels)
    return chosen[0].start if chosen else start


def _hands(g: Gesture) -> frozenset[str]:
    hands = {s.hands for s in g.steps}
    return frozenset({"left", "right"} if "both" in hands else hands)


def plan(line: MarkedLine, utterance: Utterance, lexicon: dict[str, Gesture],
         products: list[str] = ()) -> list[Planned]:
    """Timed gestures for a spoken line. Strokes start on the stressed syllable of their word; when there is
    no time for the whole preparation it is shortened, never the stroke moved late; a hand does one gesture
    at a time (markup outranks rules; otherwise the earlier gesture keeps the hand)."""
    chosen: dict[int, tuple[str, str | None, bool]] = {k: (g, t, True) for k, (g, t) in line.placed.items()}
    for k, g in rule_gestures(line, list(products)).items():
        chosen.setdefault(k, (g, None, False))
    for k, (name, _, _) in chosen.items():
        if name not in lexicon:
            raise KeyError(f"gesture {name!r} is not in the lexicon")
    times = _word_times(line, utterance)
    candidates = []
    for k, (name, target, explicit) in sorted(chosen.items()):
        g = lexicon[name]
        onset = stressed_onset(utterance, *times[k])
        steps = g.steps or (g,)
        first, last = steps[0], steps[-1]
        prep = sum(p.duration for p in first.phases if p.name == "prep")
        before_stroke = sum(p.duration for p in first.phases[:[p.name for p in first.phases].index("stroke")]
                            if p.name != "prep")
        body = sum(p.duration for s in steps for p in s.phases if p.name in ("stroke", "hold")) + \
            sum(p.duration for s in steps[1:] for p in s.phases if p.name in ("prep", "retract"))
        retract = sum(p.duration for p in last.phases if p.name == "retract")
        stroke_start = onset - before_stroke
        stroke_end = stroke_start + body
        candidates.append([explicit, Planned(g, k, target, stroke_start - prep, stroke_start, stroke_end,
                                             stroke_end + retract, _hands(g))])
    # Explicit gestures claim their hands first; then rules, in time order, only where a hand is free.
    kept: list[Planned] = []
    for explicit_pass in (True, False):
        for explicit, p in sorted(candidates, key=lambda c: c[1].stroke_start):
            if explicit != explicit_pass:
                continue
            clash = any(p.hands & q.hands and p.stroke_start < q.stroke_end and q.stroke_start < p.stroke_end
                        for q in kept)
            if not clash:
                kept.append(p)
    kept.sort(key=lambda p: p.stroke_start)
    out: list[Planned] = []
    for p in kept:
        k = next((i for i in range(len(out) - 1, -1, -1) if out[i].hands & p.hands), None)
        busy_until = 0.0
        if k is not None:
            prev = out[k]
            gap = p.stroke_start - prev.stroke_end
            if gap < max(COARTICULATE_S, prev.end - prev.stroke_end):
                # Co-articulation: the hand goes straight on to the next gesture, no retraction between.
                prev = replace(prev, end=prev.stroke_end)
                out[k] = prev
            busy_until = prev.end
        prep_start = min(max(p.prep_start, busy_until), p.stroke_start)          # shorten, never delay
        out.append(replace(p, prep_start=prep_start))
    return out

