"""A host's gesturing style: Greta's five expressivity parameters, each from -1 to 1 (0 is neutral).

- spatial: how far from the body the hands work and how wide the movements are;
- temporal: how fast strokes are (1 quick, -1 sluggish);
- fluidity: how smoothly one gesture flows into the next (co-articulation over longer gaps, softer curves);
- power: how hard strokes accelerate and how far they overshoot their end before settling;
- repetition: how often a stroke's movement repeats.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

KEYS = ("spatial", "temporal", "fluidity", "power", "repetition")


@dataclass(frozen=True)
class Expressivity:
    spatial: float = 0.0
    temporal: float = 0.0
    fluidity: float = 0.0
    power: float = 0.0
    repetition: float = 0.0

    @classmethod
    def from_table(cls, table: dict) -> "Expressivity":
        """From a `{spatial = 0.5, ...}` table; raises ValueError naming the bad key or value."""
        for key, value in table.items():
            if key not in KEYS:
                raise ValueError(f"unknown expressivity '{key}'; expected {', '.join(KEYS)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1:
                raise ValueError(f"expressivity {key} must be a number from -1 to 1, got {value!r}")
        return cls(**{k: float(v) for k, v in table.items()})

    @classmethod
    def parse(cls, text: str) -> "Expressivity":
        """From the command line's 'spatial=0.5,power=-1'."""
        table = {}
        for item in filter(None, (s.strip() for s in text.split(","))):
            key, _, value = item.partition("=")
            try:
                table[key.strip()] = float(value)
            except ValueError:
                raise ValueError(f"expressivity {item!r}: expected KEY=NUMBER") from None
        return cls.from_table(table)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # -- what each parameter does -------------------------------------------------------------------------
    @property
    def space(self) -> float:
        """Scale of distances from the body and of movement amplitudes (0.5 .. 1.5)."""
        return 1.0 + 0.5 * self.spatial

    @property
    def stroke_time(self) -> float:
        """Scale of stroke durations (0.65 quick .. 1.35 sluggish)."""
        return 1.0 - 0.35 * self.temporal

    @property
    def coarticulation(self) -> float:
        """Scale of the gap over which a hand goes straight on to its next gesture (0.4 .. 1.6)."""
        return 1.0 + 0.6 * self.fluidity

    @property
    def overshoot(self) -> float:
        """How far past its end a stroke swings, as a share of its amplitude (0 .. 0.3)."""
        return 0.15 * (1.0 + self.power)

    @property
    def sharpness(self) -> float:
        """Exponent of the stroke's acceleration: above 1 it starts slow and snaps (power, low fluidity)."""
        return max(0.5, 1.0 + 0.6 * self.power - 0.3 * self.fluidity)

    def repeats(self, count: int) -> int:
        """A movement written to repeat `count` times, as this host does it."""
        return max(1, round(count * (1.0 + 0.5 * self.repetition) + 0.01))
