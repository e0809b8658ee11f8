"""Gesture markup in spoken lines: `This [point_product]phone has a *huge* battery.`

`[gesture]` places a gesture on the word after it; `[gesture:product_id]` also names its target;
`[happy]` (any VRM emotion, or `[neutral]`) sets the face's emotion from the word after it;
`*word*` stresses a word (it gets a beat unless something else is placed there). The markup is removed
from the text that is spoken. A line in SSML (runtime/speech/ssml.py) brings its gestures as bookmarks
and its stresses as <emphasis>. Words are cut as eSpeak NG cuts them: runs of letters and digits, and every
CJK character on its own, so planned words line up with the phoneme timeline.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..skeleton.face import EMOTIONS
from ..speech.ssml import SsmlError, is_ssml
from ..speech.ssml import parse as parse_ssml

MOODS = (*EMOTIONS, "neutral")
_SSML_TAG = re.compile(r"<\s*/?\s*(speak|break|prosody|emphasis|say-as|sub|voice|lang|bookmark|mark|phoneme|p|s)\b")
_MARK = re.compile(r"\[([A-Za-z][A-Za-z0-9_]*)(?::([A-Za-z][A-Za-z0-9_]*))?\]")
_WORD = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af]|[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


class MarkupError(ValueError):
    pass


@dataclass(frozen=True)
class Word:
    text: str
    start: int            # character offset in the clean text
    emphasised: bool = False


@dataclass
class MarkedLine:
    text: str                                             # what is spoken
    words: list[Word]
    placed: dict[int, tuple[str, str | None]] = field(default_factory=dict)   # word index -> (gesture, target)
    moods: dict[int, str] = field(default_factory=dict)   # word index -> emotion written there
    ssml: str = ""                                        # the line as written, when it is SSML

    @property
    def said(self) -> str:
        """What is synthesised: the SSML as written (its prosody and breaks), else the clean text."""
        return self.ssml or self.text


def parse_markup(line: str) -> MarkedLine:
    """The line's words, stresses and gestures; an SSML line (`<speak>...`) through its own markup."""
    if is_ssml(line):
        try:
            spoken = parse_ssml(line)
        except SsmlError as e:
            raise MarkupError(str(e)) from None
        return replace(_parse(spoken.markup), ssml=line)
    if _SSML_TAG.search(line):
        raise MarkupError("SSML must be the whole line, inside <speak>...</speak>: "
                          f"{line[:_SSML_TAG.search(line).start() + 20]!r}...")
    return _parse(line)


def _parse(line: str) -> MarkedLine:
    clean: list[str] = []
    pending: list[tuple[str, str | None, int]] = []       # gestures waiting for their word
    emphasis_spans: list[tuple[int, int]] = []
    i, emphasis_from = 0, None
    while i < len(line):
        m = _MARK.match(line, i)
        if m:
            pending.append((m.group(1), m.group(2), len("".join(clean))))
            i = m.end()
            continue
        if line[i] == "[":
            raise MarkupError(f"column {i + 1}: a '[' that is not [gesture] or [gesture:target]: {line[i:i + 20]!r}")
        if line[i] == "*":
            if emphasis_from is None:
                emphasis_from = len("".join(clean))
            else:
                emphasis_spans.append((emphasis_from, len("".join(clean))))
                emphasis_from = None
            i += 1
            continue
        clean.append(line[i])
        i += 1
    if emphasis_from is not None:
        raise MarkupError("an '*' that opens emphasis is never closed")
    text = "".join(clean)
    words = [Word(m.group(), m.start(), any(a <= m.start() < b for a, b in emphasis_spans))
             for m in _WORD.finditer(text)]
    placed, moods = {}, {}
    for name, target, at in pending:
        index = next((k for k, w in enumerate(words) if w.start >= at), None)
        if index is None:
            raise MarkupError(f"[{name}] has no word after it")
        if name in MOODS:
            if target is not None:
                raise MarkupError(f"[{name}:{target}]: an emotion takes no target")
            moods[index] = name
        else:
            placed[index] = (name, target)
    return MarkedLine(text, words, placed, moods=moods)
