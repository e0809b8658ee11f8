"""The layered blender: override layers by priority with per-joint masks, then additive layers.

Like ozz-animation's blending job it never allocates per-joint objects; every array may carry leading
host axes (H, J, 4). Rules:
- Override layers of one priority are a weighted average (order-independent): weights x masks are
  normalised per joint, quaternions sign-fixed against the first before accumulating.
- Priorities stack: each higher group replaces the result below it in proportion to its summed
  weight (at most 1) on each joint, so a masked upper-body layer leaves the legs alone.
- Where the lowest group's weight is under `threshold`, the rest pose makes up the difference.
- Additive layers come last: their delta from the rest pose, scaled by weight x mask, is multiplied
  onto the local rotation (and added to the hips offset).
One implementation, compiled (runtime/skeleton/kernels.py): the show's body stage runs it every tick.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .humanoid import BONE_NAMES, FINGER_SEGMENTS, FINGERS
from .kernels import blend_hosts

J = len(BONE_NAMES)
MODES = ("override", "additive")            # in the order of the kernels' OVERRIDE, ADDITIVE
BLEND_THRESHOLD = 0.1                        # below this weight the lowest layers give way to the rest pose


@dataclass
class Layer:
    rotations: np.ndarray                    # (..., J, 4)
    weight: float | np.ndarray = 1.0         # scalar or (...,) per host
    mask: np.ndarray | None = None           # (J,) or (..., J) per host: joint weights 0..1; None = every joint
    mode: str = "override"
    priority: int = 0
    hips: np.ndarray | None = None           # (..., 3); None leaves the hips to the other layers

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"layer mode must be one of {MODES}, got {self.mode!r}")
        if self.mask is not None and np.shape(self.mask)[-1:] != (J,):
            raise ValueError(f"a mask has one weight per canonical bone ({J}), got shape {np.shape(self.mask)}")


@dataclass
class Blended:
    rotations: np.ndarray
    hips: np.ndarray


def blend(layers: list[Layer], threshold: float = BLEND_THRESHOLD) -> Blended:
    """Blend layers into one pose, host by host in the compiled kernel (skeleton/kernels.py). Additive
    layers are deltas from the rest pose (identity)."""
    lead = np.broadcast_shapes(*[np.shape(l.rotations)[:-2] for l in layers], *[np.shape(l.weight) for l in layers])
    n, count = int(np.prod(lead)), len(layers)
    # Host axes first, layers next; assignment broadcasts each layer over the hosts.
    rots, hips = np.empty(lead + (count, J, 4)), np.zeros(lead + (count, 3))
    weights, hips_weights, masks = np.empty(lead + (count,)), np.zeros(lead + (count,)), np.ones(lead + (count, J))
    for l, layer in enumerate(layers):
        rots[..., l, :, :] = layer.rotations
        weights[..., l] = layer.weight
        if layer.mask is not None:
            masks[..., l, :] = layer.mask
        if layer.hips is not None:
            hips[..., l, :] = layer.hips
            hips_weights[..., l] = layer.weight
    modes = np.array([MODES.index(l.mode) for l in layers])
    priorities = np.array([l.priority for l in layers])
    groups = np.array(sorted({l.priority for l in layers if l.mode == "override"}), dtype=np.int64)
    out_rot, out_hips = np.empty((n, J, 4)), np.empty((n, 3))
    blend_hosts(rots.reshape(n, count, J, 4), hips.reshape(n, count, 3), weights.reshape(n, count),
                hips_weights.reshape(n, count), masks.reshape(n, count, J), modes, priorities, groups, threshold,
                out_rot, out_hips)
    return Blended(out_rot.reshape(lead + (J, 4)), out_hips.reshape(lead + (3,)))


# -- masks ---------------------------------------------------------------------------------------------
def _names(*groups: str) -> set[str]:
    out: set[str] = set()
    for g in groups:
        if g in ("leftHand", "rightHand"):
            side = g[:-4]
            out |= {g} | {f"{side}{f}{s}" for f in FINGERS for s in FINGER_SEGMENTS}
        elif g in ("leftArm", "rightArm"):
            side = g[:-3]
            out |= {f"{side}Shoulder", f"{side}UpperArm", f"{side}LowerArm"} | _names(f"{side}Hand")
        elif g == "head":
            out |= {"neck", "head", "leftEye", "rightEye", "jaw"}
        elif g == "face":
            out |= {"leftEye", "rightEye", "jaw"}
        elif g == "spine":
            out |= {"spine", "chest", "upperChest"}
        elif g == "upperBody":
            out |= _names("spine", "head", "leftArm", "rightArm")
        elif g == "lowerBody":
            out |= {"hips"} | {f"{s}{p}" for s in ("left", "right") for p in ("UpperLeg", "LowerLeg", "Foot", "Toes")}
        else:
            raise ValueError(f"unknown mask {g!r}; expected one of {', '.join(MASKS)}")
    return out


MASKS = ("upperBody", "lowerBody", "spine", "head", "face", "leftArm", "rightArm", "leftHand", "rightHand")


def mask(*groups: str) -> np.ndarray:
    """(J,) joint weights: 1 on the named body parts, 0 elsewhere."""
    names = _names(*groups)
    return np.array([1.0 if b in names else 0.0 for b in BONE_NAMES])
