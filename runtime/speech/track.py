"""Viseme tracks: per-tick weights of the 15 Oculus visemes, as shows play them and tools exchange them.

JSON form: {"rate": 60, "visemes": [the 15 names in Oculus order], "weights": [[15 floats] per tick]}.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..skeleton.face import FACE_CHANNELS, VISEMES
from .utterance import Utterance
from .visemes import jaw_opening, viseme_weights


class TrackError(ValueError):
    """A malformed track file; the message names the file and what is wrong."""


@dataclass
class VisemeTrack:
    rate: int
    weights: np.ndarray          # (T, 15), rows sum to 1

    @classmethod
    def from_utterance(cls, utterance: Utterance, rate: int = 60) -> "VisemeTrack":
        return cls(rate, viseme_weights(utterance.phonemes, rate, utterance.duration))

    @property
    def ticks(self) -> int:
        return len(self.weights)

    @property
    def jaw(self) -> np.ndarray:
        return jaw_opening(self.weights)

    def face(self, tick: int) -> np.ndarray:
        """(20,) face channel weights at `tick` (visemes; silence after the end)."""
        out = np.zeros(len(FACE_CHANNELS))
        if 0 <= tick < self.ticks:
            out[:len(VISEMES)] = self.weights[tick]
        else:
            out[0] = 1.0
        return out

    def to_json(self) -> dict:
        return {"rate": self.rate, "visemes": list(VISEMES),
                "weights": [[round(float(w), 4) for w in row] for row in self.weights]}

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")))

    @classmethod
    def load(cls, path: str | Path) -> "VisemeTrack":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as e:
            raise TrackError(f"{path}: not a readable JSON track ({e})") from None
        if not isinstance(data, dict) or not isinstance(data.get("rate"), int) or data["rate"] <= 0:
            raise TrackError(f"{path}: 'rate' must be a positive integer")
        if data.get("visemes") != list(VISEMES):
            raise TrackError(f"{path}: 'visemes' must list the 15 Oculus visemes in order: {' '.join(VISEMES)}")
        weights = np.asarray(data.get("weights"), float)
        if weights.ndim != 2 or weights.shape[1] != len(VISEMES):
            raise TrackError(f"{path}: 'weights' must be a list of rows of {len(VISEMES)} numbers")
        return cls(data["rate"], weights)
