"""Pose arrays for the canonical humanoid: what every controller writes and the scene applies."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .face import FACE_CHANNELS
from .humanoid import BONE_NAMES

BONE_INDEX = {name: i for i, name in enumerate(BONE_NAMES)}


@dataclass
class Pose:
    """Normalised local rotations (identity = the rig's rest pose; axes of the host's frame: +Y up,
    +Z forward, +X the host's left), a hips offset in metres, and face channel weights."""
    rotations: np.ndarray   # (B, 4) xyzw
    hips_offset: np.ndarray  # (3,)
    face: np.ndarray        # (len(FACE_CHANNELS),)
    custom: dict[str, float] = field(default_factory=dict)   # a rig's own expressions asked for by name
    springs: np.ndarray = field(default_factory=lambda: np.zeros((0, 4)))   # (K, 4) the rig's spring joints,
                                                                             # normalised local rotations

    @classmethod
    def rest(cls) -> "Pose":
        rot = np.zeros((len(BONE_NAMES), 4))
        rot[:, 3] = 1.0
        return cls(rot, np.zeros(3), np.zeros(len(FACE_CHANNELS)))

    def copy(self) -> "Pose":
        return Pose(self.rotations.copy(), self.hips_offset.copy(), self.face.copy(), dict(self.custom),
                    self.springs.copy())
