"""The compiled per-tick pose job: sample clips, blend layers, solve IK chains and compute model-space
matrices for every host of one skeleton, in one call.

The job is data built once (clips packed into one array, layers as weight/mask/mode/priority tables, IK
chains as index paths) and evaluated flat by numba-compiled kernels, so the per-tick cost does not grow
with Python calls. It blends with the blender's own kernel and follows the numpy reference functions
(`Clip.sample`, `two_bone_ik`, `Skeleton.local_to_model`); the tests hold the two to 1e-9.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .clip import Clip
from .ik import ELBOW_LIMITS
from .kernels import ADDITIVE, OVERRIDE, run_job
from .skeleton import Skeleton


@dataclass(frozen=True)
class LayerSpec:
    clip: int                       # index into the job's clips
    mask: np.ndarray | None = None  # (J,) joint weights
    mode: str = "override"
    priority: int = 0
    speed: float = 1.0
    offset: float = 0.0


@dataclass(frozen=True)
class ChainSpec:
    joints: tuple[str, str, str]    # root, middle, end (e.g. upper arm, lower arm, hand)
    flexion_limits: tuple[float, float] = ELBOW_LIMITS


class PoseJob:
    """Per-tick pose pipeline for `hosts` hosts of one skeleton, built once."""

    def __init__(self, skeleton: Skeleton, clips: list[Clip], layers: list[LayerSpec], chains: list[ChainSpec],
                 hosts: int, threshold: float = 0.1) -> None:
        if not layers:
            raise ValueError("a pose job needs at least one layer")
        rates = {c.rate for c in clips}
        if len(rates) != 1:
            raise ValueError(f"clips in one job share a sample rate; got {sorted(rates)}")
        for i, layer in enumerate(layers):
            if not 0 <= layer.clip < len(clips):
                raise ValueError(f"layer {i} names clip {layer.clip}; the job has {len(clips)} clips")
            if layer.mode not in ("override", "additive"):
                raise ValueError(f"layer {i}: mode must be override or additive, got {layer.mode!r}")
        self.skeleton, self.hosts = skeleton, hosts
        J = skeleton.size
        longest = max(c.frames for c in clips)
        self.frames = np.zeros((len(clips), longest, J, 4))
        self.frames[..., 3] = 1.0
        self.clip_hips = np.zeros((len(clips), longest, 3))
        for i, c in enumerate(clips):
            self.frames[i, :c.frames] = c.rotations
            self.clip_hips[i, :c.frames] = c.hips
        self.counts = np.array([c.frames for c in clips])
        self.rate = float(clips[0].rate)
        self.loop = bool(clips[0].loop)
        self.layer_clip = np.array([l.clip for l in layers])
        self.speeds = np.array([l.speed for l in layers], float)
        self.offsets = np.array([l.offset for l in layers], float)
        self.masks = np.array([np.ones(J) if l.mask is None else np.asarray(l.mask, float) for l in layers])
        self.modes = np.array([OVERRIDE if l.mode == "override" else ADDITIVE for l in layers])
        self.priorities = np.array([l.priority for l in layers])
        self.groups = np.array(sorted({l.priority for l in layers if l.mode == "override"}), dtype=np.int64)
        self.threshold = threshold
        paths = [skeleton.path_to(skeleton.index(c.joints[2])) for c in chains]
        for c, p in zip(chains, paths):
            if [skeleton.names[j] for j in p[-3:]] != list(c.joints):
                raise ValueError(f"IK chain {c.joints} is not a parent-child chain in this skeleton")
        width = max((len(p) for p in paths), default=1)
        self.paths = np.zeros((len(chains), width), np.int64)
        for i, p in enumerate(paths):
            self.paths[i, :len(p)] = p
        self.path_len = np.array([len(p) for p in paths], np.int64)
        self.limits = np.array([c.flexion_limits for c in chains], float).reshape(len(chains), 2)
        self.rotations = np.zeros((hosts, J, 4))
        self.hips = np.zeros((hosts, 3))
        self.model = np.zeros((hosts, J, 4, 4))

    def run(self, times: np.ndarray, weights: np.ndarray, targets: np.ndarray | None = None,
            poles: np.ndarray | None = None, ik_weights: np.ndarray | None = None) -> np.ndarray:
        """times (H,) seconds; weights (H, L); targets and poles (H, C, 3); ik_weights (H, C).
        Fills and returns `self.model` (H, J, 4, 4); `self.rotations` and `self.hips` hold the pose."""
        chains = len(self.paths)
        targets = np.zeros((self.hosts, chains, 3)) if targets is None else targets
        poles = np.zeros((self.hosts, chains, 3)) if poles is None else poles
        ik_weights = np.ones((self.hosts, chains)) if ik_weights is None else ik_weights
        run_job(self.skeleton.parents, self.skeleton.offsets, self.frames, self.counts, self.clip_hips, self.rate,
             self.loop, self.layer_clip, self.speeds, self.offsets, self.masks, self.modes, self.priorities,
             self.groups, self.threshold, self.paths, self.path_len, self.limits,
             np.ascontiguousarray(times, float), np.ascontiguousarray(weights, float),
             np.ascontiguousarray(targets, float), np.ascontiguousarray(poles, float),
             np.ascontiguousarray(ik_weights, float), self.rotations, self.hips, self.model)
        return self.model
