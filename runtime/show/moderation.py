"""Viewer events in, checked: JSON of a known type with the fields it needs, a size cap, a per-user rate
limit, control characters stripped, a blocklist. Every rejection carries a reason and is counted; nothing
a viewer sends can raise out of here.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from .viewers import ViewerTable

EVENT_FIELDS = {"chat": ("user", "text"), "follow": ("user",), "gift": ("user", "gift"),
                "purchase": ("user", "product")}
MAX_BYTES = 4096                 # a raw message larger than this is refused unread
MAX_TEXT = 300                   # characters of chat text
MAX_NAME = 40
RATE = (5, 10.0)                 # at most 5 messages per user in any 10 seconds
USERS_TRACKED = 5_000            # viewers the rate limit follows; past this many, the quietest is forgotten


@dataclass(frozen=True)
class Event:
    kind: str
    user: str
    text: str = ""
    gift: str = ""
    product: str = ""
    count: int = 1


@dataclass(frozen=True)
class Rejected:
    reason: str


def clean(text: str, limit: int) -> str:
    """Control and format characters out, whitespace runs to one space, at most `limit` characters."""
    kept = "".join(" " if c in "\t\r\n" else c for c in text
                   if unicodedata.category(c)[0] != "C" or c in "\t\r\n")
    return re.sub(r"\s+", " ", kept).strip()[:limit]


@dataclass
class Moderator:
    blocklist: tuple[str, ...] = ()
    rate: tuple[int, float] = RATE
    counts: Counter = field(default_factory=Counter)               # "accepted" and each rejection reason
    _viewers: ViewerTable = field(init=False)                       # each viewer's last `rate[0]` message times

    def __post_init__(self) -> None:
        self._viewers = ViewerTable(USERS_TRACKED, self.rate[0])

    def check(self, raw: str | bytes, now: float) -> Event | Rejected:
        """An event, or why not; `now` in seconds (any clock that only moves forward)."""
        verdict = self._check(raw, now)
        self.counts["accepted" if isinstance(verdict, Event) else verdict.reason.split(":")[0]] += 1
        return verdict

    def _check(self, raw: str | bytes, now: float) -> Event | Rejected:
        size = len(raw.encode("utf-8", "replace") if isinstance(raw, str) else raw)
        if size > MAX_BYTES:
            return Rejected(f"too large: {size} bytes, at most {MAX_BYTES}")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            return Rejected(f"invalid JSON: {e}")
        if not isinstance(data, dict):
            return Rejected("invalid event: expected a JSON object")
        kind = data.get("event", "chat")
        if kind not in EVENT_FIELDS:
            return Rejected(f"unknown event type: {str(kind)[:40]!r}; expected {', '.join(EVENT_FIELDS)}")
        missing = [f for f in EVENT_FIELDS[kind] if not isinstance(data.get(f), str) or not data.get(f).strip()]
        if missing:
            return Rejected(f"invalid event: {kind} needs text fields {', '.join(missing)}")
        user = clean(data["user"], MAX_NAME)
        if not user:
            return Rejected("invalid event: an empty user name")
        times = self._viewers.times[self._viewers.add(user, now)]
        if (now - times <= self.rate[1]).sum() >= self.rate[0]:
            return Rejected(f"rate limited: {user} sent more than {self.rate[0]} in {self.rate[1]:g} s")
        times[times.argmin()] = now                         # the oldest of its last messages gives way
        text = clean(data.get("text", ""), MAX_TEXT)
        if kind == "chat" and not text:
            return Rejected("invalid event: empty chat text")
        lowered = (user + " " + text).lower()
        if any(word.lower() in lowered for word in self.blocklist):
            return Rejected("blocked word")
        count = data.get("count", 1)
        count = count if isinstance(count, int) and not isinstance(count, bool) and 0 < count < 10000 else 1
        return Event(kind, user, text, clean(data.get("gift", ""), MAX_NAME), clean(data.get("product", ""), MAX_NAME),
                     count)
