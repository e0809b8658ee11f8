"""The rig's spring joints driven from a pose's spring rotations, as the humanoid bones are driven.

A pose's spring rotations are normalised (identity = the rig at rest, axes of the host frame); each is
turned into the rig joint's own local matrix with its parent's rest frame, like Character's bones:
local = W_parent^-1 (axis R axis^T) W_parent L_rest.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from panda3d.core import NodePath

from ..skeleton import quat
from ..skeleton.frame import orthonormal
from ..skeleton.springs import Springs

# Takes over a rig joint: (rig name, control node name, what it is) -> (node, rest local 4x4, parent's rest
# world 4x4), or None when it cannot be driven (Character.control).
Control = Callable[[str, str, str], "tuple[NodePath, np.ndarray, np.ndarray] | None"]


class SpringBinds:
    """Control nodes of one character's spring joints, in its Springs' order (those that could be bound)."""

    def __init__(self, springs: Springs | None, control: Control, frame: np.ndarray) -> None:
        """`springs`: the rig's, as its canonical skeleton carries them; `frame`: the character's host frame
        to Panda model space (Character.frame)."""
        self.index: list[int] = []                 # which of the pose's spring rotations each node takes
        self.nodes: list[NodePath] = []
        rest, parent_world = [], []
        for k, name in enumerate(springs.nodes if springs is not None else []):
            bound = control(name, f"spring:{name}", f"spring joint {name}")
            if bound is not None:
                node, local, pw = bound
                self.index.append(k)
                self.nodes.append(node)
                rest.append(local)
                parent_world.append(pw)
        self.size = springs.size if springs is not None else 0
        if not self.nodes:
            return
        self._rest = np.array(rest)
        W = orthonormal(np.array(parent_world)[:, :3, :3])
        self._pre = np.transpose(W, (0, 2, 1))
        self._post = W @ self._rest[:, :3, :3]
        self._axis = frame

    def local_matrices(self, rotations: np.ndarray) -> np.ndarray:
        """(n_bound, 4, 4) Panda-space local matrices of the spring joints for a pose's (K, 4) spring
        rotations; none for a pose without them (the joints stay as they are)."""
        if not self.nodes or len(rotations) != self.size:
            return np.zeros((0, 4, 4))
        r = self._axis @ quat.to_matrix(rotations[self.index]) @ self._axis.T
        out = self._rest.copy()
        out[:, :3, :3] = self._pre @ r @ self._post
        return out
