"""The expression engine: a rig's expressions and what wins when they meet, as VRM 1.0 defines it.

An expression (happy, blink, "aa", a studio's own "wink") binds morph weights, material colours and
texture transforms. Each tick the canonical face channels (runtime/skeleton/face.py), the eyes' direction
for rigs that look with expressions, and any custom expressions asked for give every expression of the
rig an input weight. Then, in the order the VRM 1.0 specification gives:
  1. `isBinary` expressions output 1 above 0.5 and 0 otherwise;
  2. every expression that overrides blinks, look-at or the mouth takes its share from that group:
     `block` takes all of it while its output is above 0, `blend` takes its output;
  3. the blink, look-at and mouth expressions are scaled by what is left of their group; a binary one
     that loses anything is off.
No Panda3D here: the scene applies the outputs (runtime/scene/character.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .face import CHANNEL_INDEX, EMOTIONS, FACE_CHANNELS, VISEMES

MOUTH = ("aa", "ih", "ou", "ee", "oh")
BLINK = ("blink", "blinkLeft", "blinkRight")
LOOK = ("lookUp", "lookDown", "lookLeft", "lookRight")
PRESETS = MOUTH + BLINK + LOOK + EMOTIONS + ("neutral",)
OVERRIDES = ("none", "block", "blend")


def group_of(name: str) -> int:
    """0 blink, 1 look-at, 2 mouth (the VRM vowels and the 15 visemes), -1 none."""
    if name in BLINK:
        return 0
    if name in LOOK:
        return 1
    if name in MOUTH or name in VISEMES:
        return 2
    return -1


@dataclass
class ColorBind:
    material: int
    kind: str                             # color, emissionColor, shadeColor, matcapColor, rimColor, outlineColor
    target: tuple[float, float, float, float]


@dataclass
class TextureBind:
    material: int
    scale: tuple[float, float]
    offset: tuple[float, float]


@dataclass
class Expression:
    name: str
    morphs: dict[str, float] = field(default_factory=dict)      # morph slider -> weight at full
    colors: list[ColorBind] = field(default_factory=list)
    textures: list[TextureBind] = field(default_factory=list)
    binary: bool = False
    overrides: tuple[str, str, str] = ("none", "none", "none")   # blink, look-at, mouth

    @property
    def empty(self) -> bool:
        return not (self.morphs or self.colors or self.textures)


@dataclass
class LookRange:
    """How far the eyes turn for a look-at expression to reach its output (VRM's range maps): the weight
    grows with the angle up to (input max degrees, output scale), and never passes 1."""
    horizontal: tuple[float, float] = (90.0, 1.0)     # (input max degrees, output scale)
    up: tuple[float, float] = (90.0, 1.0)
    down: tuple[float, float] = (90.0, 1.0)


def look_weights(yaw_deg: float, pitch_deg: float, ranges: LookRange) -> dict[str, float]:
    """lookLeft/Right/Up/Down weights for eyes turned `yaw_deg` to the host's left and `pitch_deg` up."""
    def reach(angle: float, limit: tuple[float, float]) -> float:
        return min(min(abs(angle) / limit[0], 1.0) * limit[1], 1.0) if limit[0] > 0 else 0.0
    side = reach(yaw_deg, ranges.horizontal)
    lift = reach(pitch_deg, ranges.up if pitch_deg > 0 else ranges.down)
    return {"lookLeft": side if yaw_deg > 0 else 0.0, "lookRight": side if yaw_deg < 0 else 0.0,
            "lookUp": lift if pitch_deg > 0 else 0.0, "lookDown": lift if pitch_deg < 0 else 0.0}


class ExpressionEngine:
    """One rig's expressions as arrays: fed from face channels, resolved, turned into morph weights."""

    def __init__(self, expressions: dict[str, Expression], feed: dict[str, dict[str, float]],
                 sliders: list[str], look: LookRange | None = None) -> None:
        self.expressions = expressions
        self.names = list(expressions)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.look = look if all(n in self.index for n in LOOK) else None
        E = len(self.names)
        # canonical channel -> expression inputs
        self.feed = np.zeros((E, len(FACE_CHANNELS)))
        for channel, binds in feed.items():
            for name, w in binds.items():
                self.feed[self.index[name], CHANNEL_INDEX[channel]] += w
        self.group = np.array([group_of(n) for n in self.names], int)
        self.binary = np.array([e.binary for e in expressions.values()], bool)
        self.override = np.array([[OVERRIDES.index(o) for o in e.overrides] for e in expressions.values()],
                                 int).reshape(E, 3)
        self.sliders = [s for s in sliders if any(s in e.morphs for e in expressions.values())]
        slider_index = {s: i for i, s in enumerate(self.sliders)}
        self.morph_matrix = np.zeros((len(self.sliders), E))
        for e, expr in enumerate(expressions.values()):
            for slider, w in expr.morphs.items():
                self.morph_matrix[slider_index[slider], e] += w
        self.materials = [e for e, expr in enumerate(expressions.values()) if expr.colors or expr.textures]

    def inputs(self, face: np.ndarray, eyes: tuple[float, float] | None = None,
               custom: dict[str, float] | None = None) -> np.ndarray:
        """Each expression's input weight: from the face channels, the eyes (yaw, pitch in degrees) when
        the rig looks with expressions, and custom expressions by name."""
        weights = self.feed @ face
        if self.look is not None and eyes is not None:
            for name, w in look_weights(*eyes, self.look).items():
                weights[self.index[name]] = w
        for name, w in (custom or {}).items():
            if name in self.index:
                weights[self.index[name]] = max(weights[self.index[name]], w)
        return weights

    def resolve(self, inputs: np.ndarray) -> np.ndarray:
        """Output weights: binary first, then the overrides (see the module's note)."""
        out = np.clip(inputs, 0.0, 1.0)
        out = np.where(self.binary, (out > 0.5).astype(float), out)
        amount = np.zeros(3)
        for g in range(3):
            block = (self.override[:, g] == 1) & (out > 0.0)
            blend = self.override[:, g] == 2
            own = self.group == g                         # a group does not override itself
            amount[g] = block[~own].sum() + out[blend & ~own].sum()
        left = np.maximum(0.0, 1.0 - amount)
        procedural = self.group >= 0
        scale = np.where(procedural, left[self.group], 1.0)
        out = out * scale
        out[procedural & self.binary & (scale < 1.0)] = 0.0
        return out

    def weights(self, face: np.ndarray, eyes: tuple[float, float] | None = None,
                custom: dict[str, float] | None = None) -> np.ndarray:
        return self.resolve(self.inputs(face, eyes, custom))

    def morphs(self, out: np.ndarray) -> np.ndarray:
        """Morph slider weights (in `self.sliders` order) for resolved outputs."""
        return np.clip(self.morph_matrix @ out, 0.0, 1.0)

    def texture_transforms(self, out: np.ndarray, base: dict[int, tuple[np.ndarray, np.ndarray]]
                           ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Material -> (scale, offset): each bind moves its material from `base` toward its target by its
        expression's output; several binds add up."""
        result = {m: (s.copy(), o.copy()) for m, (s, o) in base.items()}
        for e in self.materials:
            for bind in self.expressions[self.names[e]].textures:
                if bind.material not in base:             # a material the file does not have
                    continue
                s0, o0 = base[bind.material]
                s, o = result[bind.material]
                s += (np.array(bind.scale) - s0) * out[e]
                o += (np.array(bind.offset) - o0) * out[e]
        return result

    def colors(self, out: np.ndarray, base: dict[tuple[int, str], np.ndarray]) -> dict[tuple[int, str], np.ndarray]:
        """(material, kind) -> RGBA, each bind moving it from `base` toward its target by its output."""
        result = {k: v.copy() for k, v in base.items()}
        for e in self.materials:
            for bind in self.expressions[self.names[e]].colors:
                key = (bind.material, bind.kind)
                if key in base:                           # a material it has, a colour it draws
                    result[key] += (np.array(bind.target) - base[key]) * out[e]
        return result
