"""The hand-shape vocabulary gestures name: per-finger curl (0 straight .. 1 fully bent) and spread.

Order of fingers: thumb, index, middle, ring, little. `extended` lists the fingers that count as raised
(for counting gestures and their tests).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HandShape:
    curl: tuple[float, float, float, float, float]
    spread: float = 0.0           # 0 fingers together .. 1 fanned out

    @property
    def extended(self) -> tuple[bool, ...]:
        return tuple(c < 0.35 for c in self.curl)


HANDSHAPES: dict[str, HandShape] = {
    "relaxed": HandShape((0.25, 0.25, 0.3, 0.35, 0.4), 0.2),
    "open_palm": HandShape((0.05, 0.0, 0.0, 0.0, 0.0), 0.5),
    "flat": HandShape((0.1, 0.0, 0.0, 0.0, 0.0), 0.0),
    "fist": HandShape((0.8, 1.0, 1.0, 1.0, 1.0)),
    "point": HandShape((0.8, 0.0, 1.0, 1.0, 1.0)),
    "pinch": HandShape((0.5, 0.55, 0.2, 0.15, 0.1), 0.3),
    "ok": HandShape((0.5, 0.6, 0.0, 0.0, 0.0), 0.4),
    "thumbs_up": HandShape((0.0, 1.0, 1.0, 1.0, 1.0)),
    "count_1": HandShape((0.8, 0.0, 1.0, 1.0, 1.0), 0.1),
    "count_2": HandShape((0.8, 0.0, 0.0, 1.0, 1.0), 0.4),
    "count_3": HandShape((0.8, 0.0, 0.0, 0.0, 1.0), 0.4),
    "count_4": HandShape((0.8, 0.0, 0.0, 0.0, 0.0), 0.4),
    "count_5": HandShape((0.0, 0.0, 0.0, 0.0, 0.0), 0.6),
    # Chinese one-hand numbers six to ten (ten: a fist; some regions cross index and middle instead).
    "cn_6": HandShape((0.0, 1.0, 1.0, 1.0, 0.0), 0.6),            # thumb and little finger out
    "cn_7": HandShape((0.5, 0.5, 0.5, 1.0, 1.0)),                 # thumb, index and middle tips together
    "cn_8": HandShape((0.0, 0.0, 1.0, 1.0, 1.0), 0.6),            # thumb and index: an L
    "cn_9": HandShape((0.8, 0.6, 1.0, 1.0, 1.0)),                 # index hooked
    "cn_10": HandShape((0.8, 1.0, 1.0, 1.0, 1.0)),                # a fist
    "heart_half": HandShape((0.3, 0.5, 0.5, 0.55, 0.6), 0.0),
    "grasp_cylinder": HandShape((0.45, 0.55, 0.55, 0.55, 0.55), 0.1),
    "grasp_box": HandShape((0.35, 0.4, 0.4, 0.4, 0.4), 0.1),
    "grasp_sphere": HandShape((0.4, 0.45, 0.45, 0.45, 0.45), 0.5),
}
