"""Play a mocap clip on a host at the fixed tick: its bones, and the face channels it animates."""
from __future__ import annotations

import numpy as np

from ..skeleton.clip import Clip


class ClipPlayer:
    """A clip (already retargeted to the host's skeleton) for the body stage: pose(tick), face(tick)."""

    def __init__(self, clip: Clip, rate: int, in_place: bool = True, speed: float = 1.0) -> None:
        self.clip, self.rate, self.speed = clip, rate, speed
        self.in_place = in_place

    def pose(self, tick: int) -> tuple[np.ndarray, np.ndarray]:
        """Local rotations (J, 4) and the hips offset (3,)."""
        rot, hips = self.clip.sample(tick / self.rate, speed=self.speed)
        if self.in_place:                      # keep the host on its mark: drop horizontal travel
            hips = hips * np.array([0.0, 1.0, 0.0])
        return rot, hips

    def face(self, tick: int) -> dict[int, float]:
        """The face channels the clip animates (channel index -> weight); the rest are the host's own."""
        if self.clip.face_animated is None:
            return {}
        own = self.clip.sample_face(tick / self.rate, speed=self.speed)
        return {int(k): float(own[k]) for k in np.flatnonzero(self.clip.face_animated)}
