"""From a spoken line to timed gestures: explicit markup first, then rules over the words (English and
Mandarin), strokes on stressed syllables, preparations fitted in before them, one gesture per hand at a
time, and co-articulation between close gestures.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..speech.utterance import Utterance
from ..speech.visemes import ipa_sounds, is_vowel
from .expressivity import Expressivity
from .grammar import Gesture
from .markup import MarkedLine

COARTICULATE_S = 0.6         # a next stroke this soon after a hold skips the retraction in between
LEAD_IN_S = 0.4              # hands may start preparing this long before the line's first sound

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
# Plain numbers count on the fingers only in an enumeration: when the next or previous number is said too.
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, **{str(n): n for n in range(1, 11)}, **{c: n for n, c in enumerate("一二三四五六七八九十", 1)}}


@dataclass(frozen=True)
class Timed:
    """One simple gesture of a plan on the line's clock (seconds). The weight rises over the preparation,
    is full from the stroke to `hold_end`, then falls over the retraction until `end`; with `handover` the
    hand goes straight on to the next gesture, which takes it over at `end`, so there is no retraction."""
    gesture: Gesture
    prep_start: float
    stroke_start: float
    stroke_end: float            # the stroke's movement is done
    hold_end: float
    end: float
    repeats: int = 1             # how often the movement is made, after the host's repetition
    handover: bool = False

    @property
    def free_at(self) -> float:
        """When the hand may start preparing something else."""
        return self.hold_end if self.handover else self.end


@dataclass(frozen=True)
class Planned:
    gesture: Gesture
    word: int                    # index in the line's words (-1: not tied to a word)
    target: str | None
    steps: tuple[Timed, ...]     # the simple gestures, in order
    hands: frozenset[str]

    prep_start = property(lambda self: self.steps[0].prep_start)
    stroke_start = property(lambda self: self.steps[0].stroke_start)
    hold_end = property(lambda self: self.steps[-1].hold_end)
    end = property(lambda self: self.steps[-1].end)
    free_at = property(lambda self: self.steps[-1].free_at)

    @property
    def prep(self) -> float:
        return self.stroke_start - self.prep_start


def _hands(g: Gesture) -> frozenset[str]:
    hands = {s.hands for s in g.steps or (g,)}
    return frozenset({"left", "right"} if "both" in hands else hands)


def timeline(g: Gesture, sync_at: float, expressivity: Expressivity = Expressivity()) -> tuple[Timed, ...]:
    """The steps of `g` with its sync phase starting at `sync_at` (seconds). Strokes last as long as the
    host's temporal extent and repetition make them; each step prepares while the one before holds, and a
    hand going on to its next step skips the retraction in between."""
    out: list[Timed] = []
    for k, step in enumerate(g.steps or (g,)):
        d = {p.name: p.duration for p in step.phases}
        written = step.movement.repeat
        repeats = expressivity.repeats(written) if step.movement.kind != "none" else 1
        stroke = d["stroke"] * expressivity.stroke_time * repeats / written
        if k == 0:
            offset = {"prep": -d.get("prep", 0.0), "stroke": 0.0, "hold": stroke,
                      "retract": stroke + d.get("hold", 0.0)}[step.sync_phase.name]
            stroke_start = sync_at - offset
        else:
            before, now = _hands(out[-1].gesture), _hands(step)
            # The other hand may prepare during the hold; a shared hand finishes its retraction first.
            ready = out[-1].end if before & now and before != now else out[-1].hold_end
            stroke_start = ready + d.get("prep", 0.0)
            if before == now:
                out[-1] = replace(out[-1], end=stroke_start, handover=True)
        hold_end = stroke_start + stroke + d.get("hold", 0.0)
        out.append(Timed(step, stroke_start - d.get("prep", 0.0), stroke_start, stroke_start + stroke, hold_end,
                         hold_end + d.get("retract", 0.0), repeats))
    return tuple(out)


def schedule(g: Gesture, sync_at: float, expressivity: Expressivity = Expressivity(),
             target: str | None = None) -> Planned:
    """A gesture on its own (a preview, an operator's command), its sync phase at `sync_at`."""
    return Planned(g, -1, target, timeline(g, sync_at, expressivity), _hands(g))


CJK_NUMERALS = "零一二两三四五六七八九十百千万"


def _in_compound_numeral(words: list[str], k: int) -> bool:
    """A Chinese numeral next to another one is a digit of a larger number (三十九), not a count."""
    return words[k] in CJK_NUMERALS and any(0 <= j < len(words) and words[j] in CJK_NUMERALS for j in (k - 1, k + 1))


def rule_gestures(line: MarkedLine, products: list[str]) -> dict[int, str]:
    """word index -> gesture name from the rules (markup is applied separately and wins)."""
    words = [w.text.lower() for w in line.words]
    out: dict[int, str] = {}
    product_words = {p.lower() for p in products}
    said = {NUMBERS[w] for w in words if w in NUMBERS}
    counted = {k: NUMBERS[w] for k, w in enumerate(words)
               if w in NUMBERS and ({NUMBERS[w] - 1, NUMBERS[w] + 1} & said)
               and not _in_compound_numeral(words, k)}
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
            elif k in counted and (k == 0 or words[k - 1] != "第"):
                out.setdefault(k, f"count_{counted[k]}")
            elif line.words[k].emphasised:
                out.setdefault(k, "beat")
    return out


def word_times(line: MarkedLine, utterance: Utterance) -> list[tuple[float, float]]:
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


def _busy_until(a: Planned, b: Planned) -> float:
    """Until when `a` keeps its hands from `b`: a gesture on the very same hands may cut a's hold short
    (counting on, pointing again), any other only starts after a's hold."""
    same = _hands(a.steps[-1].gesture) == _hands(b.steps[0].gesture)
    return a.steps[-1].stroke_end if same else a.hold_end


def plan(line: MarkedLine, utterance: Utterance, lexicon: dict[str, Gesture],
         products: list[str] = (), expressivity: Expressivity = Expressivity()) -> list[Planned]:
    """Timed gestures for a spoken line. Strokes start on the stressed syllable of their word; when there is
    no time for the whole preparation it is shortened, never the stroke moved late; a hand does one gesture
    at a time (markup outranks rules; otherwise the earlier gesture keeps the hand)."""
    chosen: dict[int, tuple[str, str | None, bool]] = {k: (g, t, True) for k, (g, t) in line.placed.items()}
    for k, (name, _, _) in chosen.items():
        if name not in lexicon:
            raise KeyError(f"gesture {name!r} is not in the lexicon")
    for k, g in rule_gestures(line, list(products)).items():
        if g in lexicon:                                  # a lexicon may leave some rule gestures out
            chosen.setdefault(k, (g, None, False))
    times = word_times(line, utterance)
    candidates = []
    for k, (name, target, explicit) in sorted(chosen.items()):
        onset = stressed_onset(utterance, *times[k])
        candidates.append((explicit, replace(schedule(lexicon[name], onset, expressivity, target), word=k)))
    # Explicit gestures claim their hands first; then rules, in time order, only where a hand is free.
    kept: list[Planned] = []
    for explicit_pass in (True, False):
        for explicit, p in sorted(candidates, key=lambda c: c[1].stroke_start):
            if explicit != explicit_pass:
                continue
            clash = any(p.hands & q.hands and p.stroke_start < _busy_until(q, p) and q.stroke_start < _busy_until(p, q)
                        for q in kept)
            if not clash:
                kept.append(p)
    kept.sort(key=lambda p: p.stroke_start)
    out: list[Planned] = []
    for p in kept:
        first = p.steps[0]
        hands = _hands(first.gesture)
        k = next((i for i in range(len(out) - 1, -1, -1) if _hands(out[i].steps[-1].gesture) & hands), None)
        if k is not None:
            prev = out[k]
            last = prev.steps[-1]
            gap = p.stroke_start - last.hold_end
            threshold = max(COARTICULATE_S * expressivity.coarticulation, last.end - last.hold_end)
            if _hands(last.gesture) == hands and gap < threshold:
                # Co-articulation: the hand goes straight on to the next gesture, no retraction between;
                # the next one's preparation may cut this one's hold short.
                hold_end = min(last.hold_end, max(last.stroke_end, p.prep_start))
                out[k] = replace(prev, steps=prev.steps[:-1] + (
                    replace(last, hold_end=hold_end, end=p.stroke_start, handover=True),))
        # The hands are free once every earlier step that used them has let go.
        free_at = max([-LEAD_IN_S] + [s.free_at for q in out for s in q.steps if _hands(s.gesture) & hands])
        prep_start = min(max(first.prep_start, free_at), first.stroke_start)          # shorten, never delay
        out.append(replace(p, steps=(replace(first, prep_start=prep_start),) + p.steps[1:]))
    return out
