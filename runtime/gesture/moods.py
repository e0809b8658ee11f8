"""The emotions a line carries: written in it (`[happy] Welcome back!`, `[neutral]` to end one), or, in a
line without such marks, light defaults read from its words in English and Mandarin: greetings and thanks
smile, "wow"/"哇" is surprise, a discount is said with delight, an apology is sorry.
"""
from __future__ import annotations

import re

from .markup import MarkedLine

MARKED_WEIGHT = 0.8            # an emotion written in a line shows this strongly
# (pattern, emotion, weight): the first match in a line sets its mood from that word on.
DEFAULTS: tuple[tuple[re.Pattern, str, float], ...] = tuple((re.compile(p, re.IGNORECASE), e, w) for p, e, w in (
    (r"\b(wow|whoa|amazing|incredible|unbelievable)\b|哇|天哪|真的吗|不敢相信", "surprised", 0.7),
    (r"\b(discount|\d+ ?% off|half price|on sale|deal|save|bargain|free shipping)\b|折扣|优惠|打折|半价|便宜|省钱|包邮",
     "happy", 0.8),
    (r"\b(sorry|unfortunately|sold out|apologi[sz]e)\b|抱歉|对不起|可惜|卖完|售罄", "sad", 0.5),
    (r"\b(hello|hi|hey|welcome|thanks|thank you|good (morning|afternoon|evening))\b|你好|大家好|欢迎|谢谢|感谢",
     "happy", 0.6),
))


def line_moods(marked: MarkedLine) -> list[tuple[int, str, float]]:
    """(word index, emotion, weight) in word order: the line's own marks, else at most one default."""
    if marked.moods:
        return [(k, e, MARKED_WEIGHT) for k, e in sorted(marked.moods.items())]
    for pattern, emotion, weight in DEFAULTS:
        m = pattern.search(marked.text)
        if m:
            k = next((i for i, w in enumerate(marked.words) if w.start + len(w.text) > m.start()), 0)
            return [(k, emotion, weight)]
    return []
