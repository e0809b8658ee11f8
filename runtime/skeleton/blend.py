"""The layered blender: override layers by priority with per-joint masks, then additive layers.

Like ozz-animation's blending job it never allocates per-joint objects; every array may carry leading
host axes (H, J, 4). Rules:
- Override layers of one priority are a weighted average (order-independent): weights x masks are
  normalised per joint, quaternions sign-fixed against the first before accumulating.
- Priorities stack: each higher group replaces the result below it in proportion to its summed
  weight (at most 1) on each joint, so a masked upper-body layer leaves the legs alone.
- Where the lowest group's weight is under `threshold`, the rest pose makes up the difference.
- Additive layers come last: their delta from a reference pose, scaled by weight x mask, is multiplied
  onto the local rotation (and added to the hips offset and morph weights).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import quat
from .humanoid import BONE_NAMES, FINGER_SEGMENTS, FINGERS

J = len(BONE_NAMES)
MODES = ("override", "additive")


@dataclass
class Layer:
    rotations: np.ndarray                    # (..., J, 4)
    weight: float | np.ndarray = 1.0         # scalar or (...,) per host
    mask: np.ndarray | None = None           # (J,) or (..., J) per host: joint weights 0..1; None = every joint
    mode: str = "override"
    priority: int = 0
    hips: np.ndarray | None = None           # (..., 3)
    morphs: np.ndarray | None = None         # (..., M)
    reference: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None  # additive: rot, hips, morphs

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"layer mode must be one of {MODES}, got {self.mode!r}")
        if self.mask is not None and np.shape(self.mask)[-1:] != (J,):
            raise ValueError(f"a mask has one weight per canonical bone ({J}), got shape {np.shape(self.mask)}")


@dataclass
class Blended:
    rotations: np.ndarray
    hips: np.ndarray
    morphs: np.ndarray | None = field(default=None)


def _joint_weights(layer: Layer) -> np.ndarray:
    w = np.asarray(layer.weight, float)[..., None]                       # (..., 1)
    return w * (np.ones(J) if layer.mask is None else np.asarray(layer.mask, float))


def _average(layers: list[Layer], lead: tuple, morph_size: int | None):
    """Weighted average of one priority group: rotations, hips, morphs, and the weight behind each
    (per joint for rotations, per host for hips and morphs)."""
    total = np.zeros(lead + (J,))
    acc = np.zeros(lead + (J, 4))
    hips, hips_w = np.zeros(lead + (3,)), np.zeros(lead)
    morphs, morph_w = (np.zeros(lead + (morph_size,)), np.zeros(lead)) if morph_size else (None, None)
    ref = np.broadcast_to(layers[0].rotations, lead + (J, 4))
    for layer in layers:
        w = np.broadcast_to(_joint_weights(layer), lead + (J,))
        q = np.broadcast_to(layer.rotations, lead + (J, 4))
        q = np.where(np.sum(q * ref, -1, keepdims=True) < 0, -q, q)
        acc += w[..., None] * q
        total += w
        wh = np.broadcast_to(np.asarray(layer.weight, float), lead)
        if layer.hips is not None:
            hips += wh[..., None] * layer.hips
            hips_w += wh
        if morphs is not None and layer.morphs is not None:
            morphs += wh[..., None] * layer.morphs
            morph_w += wh
    rot = np.where(total[..., None] > 1e-12, acc / np.where(total > 1e-12, total, 1.0)[..., None], quat.IDENTITY)
    hips = hips / np.where(hips_w > 1e-12, hips_w, 1.0)[..., None]
    if morphs is not None:
        morphs = morphs / np.where(morph_w > 1e-12, morph_w, 1.0)[..., None]
    return quat.normalize(rot), total, hips, hips_w, morphs, morph_w


def blend(layers: list[Layer], rest: np.ndarray | None = None, threshold: float = 0.1) -> Blended:
    """Blend layers into one pose. `rest` (J, 4) defaults to identity (the normalised rest pose)."""
    overrides = [l for l in layers if l.mode == "override"]
    additives = [l for l in layers if l.mode == "additive"]
    shapes = [np.shape(l.rotations)[:-2] for l in layers] + [np.shape(l.weight) for l in layers]
    lead = np.broadcast_shapes(*shapes) if shapes else ()
    morph_size = next((np.shape(l.morphs)[-1] for l in layers if l.morphs is not None), None)
    rest = np.broadcast_to(quat.IDENTITY if rest is None else rest, lead + (J, 4))
    rot = rest.copy()
    hips = np.zeros(lead + (3,))
    morphs = np.zeros(lead + (morph_size,)) if morph_size else None
    for n, priority in enumerate(sorted({l.priority for l in overrides})):
        group = [l for l in overrides if l.priority == priority]
        g_rot, total, g_hips, hips_w, g_morphs, morph_w = _average(group, lead, morph_size)
        if n == 0:
            # Lowest group: normalised; the rest pose only fills in below the threshold.
            short = np.clip(threshold - total, 0.0, None)
            strength = total / np.maximum(total + short, 1e-12)
        else:
            strength = np.clip(total, 0.0, 1.0)
        rot = quat.nlerp(rot, g_rot, strength)
        hips = _layer_over(hips, g_hips, hips_w, n == 0)
        if morphs is not None:
            morphs = _layer_over(morphs, g_morphs, morph_w, n == 0)
    for layer in additives:
        ref_rot, ref_hips, ref_morphs = layer.reference or (quat.IDENTITY, None, None)
        delta = quat.multiply(quat.conjugate(np.broadcast_to(ref_rot, np.shape(layer.rotations))), layer.rotations)
        w = np.broadcast_to(_joint_weights(layer), lead + (J,))
        rot = quat.multiply(rot, quat.nlerp(np.broadcast_to(quat.IDENTITY, delta.shape), delta, w))
        wh = np.broadcast_to(np.asarray(layer.weight, float), lead)[..., None]
        if layer.hips is not None:
            hips = hips + wh * (layer.hips - (0.0 if ref_hips is None else ref_hips))
        if morphs is not None and layer.morphs is not None:
            morphs = morphs + wh * (layer.morphs - (0.0 if ref_morphs is None else ref_morphs))
    return Blended(quat.normalize(rot), hips, morphs)


def _layer_over(below: np.ndarray, group: np.ndarray, weight: np.ndarray, lowest: bool) -> np.ndarray:
    """Hips and morphs: the lowest group is normalised, higher groups replace in proportion to weight."""
    strength = (weight > 1e-12) * 1.0 if lowest else np.clip(weight, 0.0, 1.0)
    return below * (1 - strength[..., None]) + group * strength[..., None]


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
