"""What a show remembers per viewer, in tables sized once at start: a show on air for days meets more
viewers than it can keep, and a memory that grows with its audience would not hold for six hours.

Rows are found by the hash of the viewer's name; when the table is full the viewer seen longest ago gives
up its row (the quietest are the ones worth forgetting).
"""
from __future__ import annotations

import numpy as np


class ViewerTable:
    """Up to `capacity` viewers, each with `columns` times (seconds) of its own, -inf until set."""

    def __init__(self, capacity: int, columns: int = 0) -> None:
        self.keys = np.zeros(capacity, np.int64)
        self.seen = np.full(capacity, -np.inf)                  # -inf: a free row
        self.times = np.full((capacity, columns), -np.inf)

    def __len__(self) -> int:
        return int(np.isfinite(self.seen).sum())

    def __contains__(self, user: str) -> bool:
        return self.find(user) is not None

    def find(self, user: str) -> int | None:
        for row in np.flatnonzero(self.keys == hash(user)):
            if np.isfinite(self.seen[row]):
                return int(row)
        return None

    def add(self, user: str, now: float) -> int:
        """The viewer's row (a fresh one the first time), marked as seen `now`."""
        row = self.find(user)
        if row is None:
            row = int(np.argmin(self.seen))                  # a free row, else the one seen longest ago
            self.keys[row] = hash(user)
            self.times[row] = -np.inf
        self.seen[row] = now
        return row
