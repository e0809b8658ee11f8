"""A skeleton as arrays: parents in depth-first order and rest offsets, with batched local->model.

Cohost's skeletons are normalised: every rest rotation is the identity and offsets are in the host's
frame (+X its left, +Y up, +Z forward), so one set of rotations means the same motion on every rig.
Joints are grouped by depth so local->model runs one batched matrix product per level, for any number
of hosts at once (arrays shaped (..., J, ...)).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import quat
from .humanoid import BONE_NAMES, PARENT
from .kernels import chain_world

if TYPE_CHECKING:
    from .springs import Springs


@dataclass
class Skeleton:
    names: tuple[str, ...]
    parents: np.ndarray           # (J,) parent index, -1 for a root; parents precede children
    offsets: np.ndarray           # (J, 3) rest translation from the parent (the root's: from the origin)
    springs: Springs | None = None     # the rig's spring bones, hanging from these joints (springs.py)
    levels: list[np.ndarray] = field(init=False)
    paths: list[np.ndarray] = field(init=False)       # per joint: it and its ancestors, root first

    def __post_init__(self) -> None:
        depth = np.zeros(len(self.parents), int)
        for j, p in enumerate(self.parents):
            if p >= j:
                raise ValueError(f"joint {self.names[j]} comes before its parent {self.names[p]}")
            depth[j] = 0 if p < 0 else depth[p] + 1
        self.levels = [np.nonzero(depth == d)[0] for d in range(depth.max() + 1)]
        self.paths = []
        for j, p in enumerate(self.parents):
            self.paths.append(np.append(self.paths[p], j) if p >= 0 else np.array([j]))

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    @classmethod
    def canonical(cls, rest_positions: dict[str, np.ndarray]) -> "Skeleton":
        """The 55-bone canonical humanoid with a rig's rest positions (host frame). A bone the rig lacks
        sits on its parent (zero offset), so it changes nothing when rotated."""
        names = BONE_NAMES
        world = {}
        for name in names:
            parent = PARENT[name]
            if name in rest_positions:
                world[name] = np.asarray(rest_positions[name], float)
            else:
                world[name] = world[parent] if parent else np.zeros(3)
        parents = np.array([names.index(PARENT[n]) if PARENT[n] else -1 for n in names])
        offsets = np.array([world[n] - (world[PARENT[n]] if PARENT[n] else 0.0) for n in names])
        return cls(names, parents, offsets)

    def rest_pose(self) -> tuple[np.ndarray, np.ndarray]:
        rot = np.zeros((self.size, 4))
        rot[:, 3] = 1.0
        return rot, self.offsets.copy()

    def local_to_model(self, rotations: np.ndarray, translations: np.ndarray | None = None,
                       scales: np.ndarray | None = None) -> np.ndarray:
        """(..., J, 4) local rotations (+ optional (..., J, 3) translations and scales) to (..., J, 4, 4)
        model-space matrices (column vectors)."""
        rotations = np.asarray(rotations, float)
        lead = rotations.shape[:-2]
        local = np.zeros(lead + (self.size, 4, 4))
        local[..., :3, :3] = quat.to_matrix(rotations)
        if scales is not None:
            local[..., :3, :3] *= np.asarray(scales)[..., None, :]
        local[..., :3, 3] = self.offsets if translations is None else translations
        local[..., 3, 3] = 1.0
        model = np.empty_like(local)
        root = self.levels[0]
        model[..., root, :, :] = local[..., root, :, :]
        for joints in self.levels[1:]:
            model[..., joints, :, :] = model[..., self.parents[joints], :, :] @ local[..., joints, :, :]
        return model

    def model_to_local(self, model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of local_to_model (rotation and translation parts)."""
        model = np.asarray(model, float)
        local = model.copy()
        children = np.arange(self.size)[self.parents >= 0]
        inv_parent = np.linalg.inv(model[..., self.parents[children], :, :])
        local[..., children, :, :] = inv_parent @ model[..., children, :, :]
        return quat.from_matrix(local[..., :3, :3]), local[..., :3, 3]

    def path_to(self, joint: int) -> list[int]:
        """The joint and its ancestors, root first."""
        return self.paths[joint].tolist()

    def chain_world(self, rotations: np.ndarray, joint: int) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
        """World rotations and positions of `joint` and its ancestors only (cheaper than local_to_model
        when a job needs one chain, like IK)."""
        rot: dict[int, np.ndarray] = {}
        pos: dict[int, np.ndarray] = {}
        for j in self.path_to(joint):
            p = self.parents[j]
            if p < 0:
                rot[j], pos[j] = rotations[..., j, :], np.broadcast_to(self.offsets[j], rotations.shape[:-2] + (3,))
            else:
                rot[j] = quat.multiply(rot[p], rotations[..., j, :])
                pos[j] = pos[p] + quat.rotate(rot[p], self.offsets[j])
        return rot, pos

    def joint_world(self, rotations: np.ndarray, joint: int) -> tuple[np.ndarray, np.ndarray]:
        """One joint's model-space rotation (4,) and position (3,) for one pose (J, 4), from its chain
        alone (compiled: gestures and holds ask for a few joints every tick)."""
        path = self.paths[joint]
        wrot, wpos = np.empty((len(path), 4)), np.empty((len(path), 3))
        chain_world(self.parents, self.offsets, np.ascontiguousarray(rotations, float), path, wrot, wpos)
        return wrot[-1], wpos[-1]

    def world_positions(self, rotations: np.ndarray, translations: np.ndarray | None = None) -> np.ndarray:
        return self.local_to_model(rotations, translations)[..., :3, 3]
