"""The one simulation clock: whole ticks at a fixed rate, fed by whatever time the caller measures.

Simulation time is `tick / rate`; nothing in the simulation reads the wall clock. The accumulator is
an exact fraction of ticks (elapsed times are read as fractions with denominators up to 1e6, so a
37 Hz frame time is exactly 1/37 s): long runs never drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Advance:
    ticks: int          # whole ticks to simulate now
    alpha: float        # how far render time is past the last tick, 0 <= alpha < 1
    skipped_s: float    # wall time dropped by the catch-up cap (0 when none)


class FixedClock:
    def __init__(self, rate: int = 60, max_catch_up: int = 8) -> None:
        if rate <= 0:
            raise ValueError(f"tick rate must be positive, got {rate}")
        self.rate = rate
        self.max_catch_up = max_catch_up
        self.tick = 0
        self.skipped_total_s = 0.0
        self._acc = Fraction(0)

    @property
    def time(self) -> float:
        return self.tick / self.rate

    def advance(self, elapsed_s: float) -> Advance:
        """Feed measured elapsed time; returns the ticks due. After a stall, at most `max_catch_up`
        ticks run and the rest of the backlog is dropped and reported, so the loop never spirals."""
        self._acc += max(Fraction(0), Fraction(elapsed_s).limit_denominator(1_000_000)) * self.rate
        due = int(self._acc)
        self._acc -= due
        skipped = 0.0
        if due > self.max_catch_up:
            skipped = (due - self.max_catch_up) / self.rate
            self.skipped_total_s += skipped
            due = self.max_catch_up
        self.tick += due
        return Advance(due, float(self._acc), skipped)
