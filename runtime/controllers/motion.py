"""Play a clip on a host at the fixed tick: its bones and face channels, the idle face (blinks) elsewhere."""
from __future__ import annotations

import numpy as np

from ..skeleton.clip import Clip
from ..skeleton.pose import Pose
from .idle import IdleController


class ClipPlayer:
    """A host driver: pose(tick) from a clip (already retargeted to the host's skeleton)."""

    def __init__(self, clip: Clip, rate: int, idle: IdleController, in_place: bool = True,
                 speed: float = 1.0) -> None:
        self.clip, self.rate, self.idle, self.speed = clip, rate, idle, speed
        self.in_place = in_place

    def pose(self, tick: int) -> Pose:
        rot, hips = self.clip.sample(tick / self.rate, speed=self.speed)
        if self.in_place:                      # keep the host on its mark: drop horizontal travel
            hips = hips * np.array([0.0, 1.0, 0.0])
        face = self.idle.pose(tick).face
        if self.clip.face_animated is not None:
            own = self.clip.sample_face(tick / self.rate, speed=self.speed)
            face = np.where(self.clip.face_animated, own, face)
        return Pose(rot, hips, face)
