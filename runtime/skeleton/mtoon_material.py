"""MToon materials as a glTF file declares them (VRM 1.0 `VRMC_materials_mtoon`, or a VRM 0.x
`materialProperties` entry with the shader "VRM/MToon"), read into one form: VRM 1.0's.

No Panda3D here: plain values, checked, with errors that name the file and the material. VRM 0.x values are
converted as three-vrm migrates them: colours from sRGB to linear, the shade shift/toony ramp remapped onto
1.0's (the same band of N.L), outline widths from centimetres, scroll Y and blend modes onto glTF's terms.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..tomlfile import srgb_to_linear
from .rig_error import RigError

ALPHA_MODES = ("OPAQUE", "MASK", "BLEND")
OUTLINE_MODES = ("none", "worldCoordinates", "screenCoordinates")
VRM0_SHADER = "VRM/MToon"


@dataclass(frozen=True)
class MToon:
    """One material's MToon parameters (VRM 1.0 names and units; colours linear)."""
    name: str
    alpha_mode: str = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    shade_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    shade_texture: int | None = None            # glTF texture index (multiplies the shade colour)
    shading_shift: float = 0.0
    shading_toony: float = 0.9
    rim_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rim_fresnel_power: float = 5.0
    rim_lift: float = 0.0
    rim_lighting_mix: float = 1.0
    outline_mode: str = "none"
    outline_width: float = 0.0                  # metres (world) or a fraction of the screen's height
    outline_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    outline_lighting_mix: float = 1.0
    uv_mask_texture: int | None = None          # blue channel scales the UV animation
    scroll_x: float = 0.0                       # UV units per second, glTF's UV axes (v down)
    scroll_y: float = 0.0
    rotation: float = 0.0                       # turns per second about the UV centre

    @property
    def outlined(self) -> bool:
        return self.outline_mode != "none" and self.outline_width > 0.0

    @property
    def uv_animated(self) -> bool:
        return any(v != 0.0 for v in (self.scroll_x, self.scroll_y, self.rotation))


class _Reader:
    """Checked reads of one material's values; errors say `file: material i (name): what`."""

    def __init__(self, path: Path, doc: dict, index: int) -> None:
        self.path, self.doc, self.index = path, doc, index
        self.name = str(doc["materials"][index].get("name", ""))

    def error(self, what: str) -> RigError:
        return RigError(f"{self.path}: material {self.index} ({self.name}): {what}")

    def number(self, table: dict, key: str, default: float, least: float | None = None) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.error(f"{key} must be a number, got {value!r}")
        if least is not None and value < least:
            raise self.error(f"{key} must be at least {least:g}, got {value!r}")
        return float(value)

    def color(self, table: dict, key: str, default: tuple, srgb: bool = False) -> tuple[float, float, float]:
        value = table.get(key, default)
        if not isinstance(value, (list, tuple)) or len(value) < 3 or \
                not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[:3]):
            raise self.error(f"{key} must be a colour of 3 or 4 numbers, got {value!r}")
        rgb = tuple(float(v) for v in value[:3])
        return srgb_to_linear(rgb) if srgb else rgb

    def texture(self, index) -> int | None:
        if index is None:
            return None
        count = len(self.doc.get("textures", []))
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise self.error(f"texture index {index!r} is out of range (the file has {count} textures)")
        return index

    def texture_of(self, table: dict, key: str) -> int | None:
        ref = table.get(key)
        if ref is None:
            return None
        if not isinstance(ref, dict):
            raise self.error(f"{key} must be a texture reference {{\"index\": n}}, got {ref!r}")
        return self.texture(ref.get("index"))


def _gltf_side(r: _Reader, material: dict) -> dict:
    """alphaMode, alphaCutoff and doubleSided as glTF has them, checked."""
    mode = material.get("alphaMode", "OPAQUE")
    if mode not in ALPHA_MODES:
        raise r.error(f"unknown alphaMode {mode!r}; expected one of {', '.join(ALPHA_MODES)}")
    sided = material.get("doubleSided", False)
    if not isinstance(sided, bool):
        raise r.error(f"doubleSided must be true or false, got {sided!r}")
    return {"alpha_mode": mode, "alpha_cutoff": r.number(material, "alphaCutoff", 0.5), "double_sided": sided}


def _vrm1(r: _Reader, material: dict, ext: dict) -> MToon:
    pbr = material.get("pbrMetallicRoughness", {})
    r.texture_of(pbr, "baseColorTexture")
    mode = ext.get("outlineWidthMode", "none")
    if mode not in OUTLINE_MODES:
        raise r.error(f"unknown outlineWidthMode {mode!r}; expected one of {', '.join(OUTLINE_MODES)}")
    return MToon(
        name=r.name, **_gltf_side(r, material),
        shade_color=r.color(ext, "shadeColorFactor", (0.0, 0.0, 0.0)),
        shade_texture=r.texture_of(ext, "shadeMultiplyTexture"),
        shading_shift=r.number(ext, "shadingShiftFactor", 0.0),
        shading_toony=r.number(ext, "shadingToonyFactor", 0.9),
        rim_color=r.color(ext, "parametricRimColorFactor", (0.0, 0.0, 0.0)),
        rim_fresnel_power=r.number(ext, "parametricRimFresnelPowerFactor", 5.0),
        rim_lift=r.number(ext, "parametricRimLiftFactor", 0.0),
        rim_lighting_mix=r.number(ext, "rimLightingMixFactor", 1.0),
        outline_mode=mode,
        outline_width=r.number(ext, "outlineWidthFactor", 0.0, least=0.0),
        outline_color=r.color(ext, "outlineColorFactor", (0.0, 0.0, 0.0)),
        outline_lighting_mix=r.number(ext, "outlineLightingMixFactor", 1.0),
        uv_mask_texture=r.texture_of(ext, "uvAnimationMaskTexture"),
        scroll_x=r.number(ext, "uvAnimationScrollXSpeedFactor", 0.0),
        scroll_y=r.number(ext, "uvAnimationScrollYSpeedFactor", 0.0),
        rotation=r.number(ext, "uvAnimationRotationSpeedFactor", 0.0),
    )


def _vrm0(r: _Reader, props: dict) -> MToon:
    floats, vectors = props.get("floatProperties", {}), props.get("vectorProperties", {})
    textures = props.get("textureProperties", {})
    for index in textures.values():
        r.texture(index)
    blend = int(r.number(floats, "_BlendMode", 0))
    if blend not in (0, 1, 2, 3):
        raise r.error(f"unknown _BlendMode {blend}; expected 0 (opaque), 1 (cutout), 2 or 3 (transparent)")
    width_mode = int(r.number(floats, "_OutlineWidthMode", 0))
    if width_mode not in (0, 1, 2):
        raise r.error(f"unknown _OutlineWidthMode {width_mode}; expected 0 (none), 1 (world) or 2 (screen)")
    # 0.x ramps N.L over [shift, lerp(1, shift, toony)]; 1.0 over [-1 + toony, 1 - toony] - shift: the same band.
    shift0, toony0 = r.number(floats, "_ShadeShift", 0.0), r.number(floats, "_ShadeToony", 0.9)
    toony = toony0 + (1.0 - toony0) * (0.5 + 0.5 * shift0)
    mixed = int(r.number(floats, "_OutlineColorMode", 0)) == 1
    return MToon(
        name=r.name,
        alpha_mode=("OPAQUE", "MASK", "BLEND", "BLEND")[blend],
        alpha_cutoff=r.number(floats, "_Cutoff", 0.5),
        double_sided=int(r.number(floats, "_CullMode", 2)) == 0,
        shade_color=r.color(vectors, "_ShadeColor", (0.97, 0.81, 0.86), srgb=True),
        shade_texture=textures.get("_ShadeTexture"),
        shading_shift=-shift0 - (1.0 - toony),
        shading_toony=toony,
        rim_color=r.color(vectors, "_RimColor", (0.0, 0.0, 0.0), srgb=True),
        rim_fresnel_power=r.number(floats, "_RimFresnelPower", 1.0),
        rim_lift=r.number(floats, "_RimLift", 0.0),
        rim_lighting_mix=r.number(floats, "_RimLightingMix", 0.0),
        outline_mode=OUTLINE_MODES[width_mode],
        outline_width=0.01 * r.number(floats, "_OutlineWidth", 0.0, least=0.0) * (0.5 if width_mode == 2 else 1.0),
        outline_color=r.color(vectors, "_OutlineColor", (0.0, 0.0, 0.0), srgb=True),
        outline_lighting_mix=r.number(floats, "_OutlineLightingMix", 1.0) if mixed else 0.0,
        uv_mask_texture=textures.get("_UvAnimMaskTexture"),
        scroll_x=r.number(floats, "_UvAnimScrollX", 0.0),
        scroll_y=-r.number(floats, "_UvAnimScrollY", 0.0),        # Unity's V runs up, glTF's down
        rotation=r.number(floats, "_UvAnimRotation", 0.0),
    )


def read_mtoon(doc: dict, path: Path) -> dict[int, MToon]:
    """glTF material index -> its MToon parameters, for the materials that carry MToon (VRM 1.0's
    extension first; else the VRM 0.x property entry of the same index). Empty when none do."""
    materials = doc.get("materials", [])
    vrm0 = doc.get("extensions", {}).get("VRM", {}).get("materialProperties", [])
    out: dict[int, MToon] = {}
    for i, material in enumerate(materials):
        r = _Reader(path, doc, i)
        ext = material.get("extensions", {}).get("VRMC_materials_mtoon")
        if ext is not None:
            if not isinstance(ext, dict):
                raise r.error(f"VRMC_materials_mtoon must be an object, got {ext!r}")
            out[i] = _vrm1(r, material, ext)
        elif i < len(vrm0) and isinstance(vrm0[i], dict) and vrm0[i].get("shader") == VRM0_SHADER:
            _gltf_side(r, material)        # checked, though 0.x's own _BlendMode and _CullMode decide
            out[i] = _vrm0(r, vrm0[i])
    return out
