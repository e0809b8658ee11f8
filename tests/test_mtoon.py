"""MToon: VRM 0.x and 1.0 materials read, checked, and drawn (pixels of a lit ball, its outline, its holes;
the UV-animation sample's stripes on the show's clock; a skinned VRM still skinned)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from helpers import PROJECT, asset
from mtoon_models import ball_set, sphere_gltf, stripes

from runtime.skeleton.rigfile import RigError, load_rig_info

SHADE = [0.05, 0.05, 0.25]
SIZE = (320, 240)


def render(set_path: Path, frames: int = 1, fps: int = 30) -> list[np.ndarray]:
    from runtime.scene.render import OffscreenRenderer
    from runtime.sets.setfile import load_set
    with OffscreenRenderer(load_set(set_path), size=SIZE, fps=fps) as renderer:
        return list(renderer.frames(frames))


def ball(tmp_path: Path, mtoon: dict, shading: str = "pixel", **model) -> np.ndarray:
    """The ball drawn with these MToon values (a white lit colour and a dark blue shade unless given)."""
    model_path = sphere_gltf(tmp_path / "ball.gltf", {"shadeColorFactor": SHADE, **mtoon}, **model)
    return render(ball_set(tmp_path, model_path, shading))[0]


def backdrop_mask(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame.astype(int) - frame[0, 0].astype(int)).sum(-1) <= 6


def inner(mask: np.ndarray, steps: int = 2) -> np.ndarray:
    """`mask` eroded by `steps` pixels (the antialiased rim left out)."""
    out = mask.copy()
    for _ in range(steps):
        out[1:-1, 1:-1] &= out[:-2, 1:-1] & out[2:, 1:-1] & out[1:-1, :-2] & out[1:-1, 2:]
    return out


def luminance(frame: np.ndarray) -> np.ndarray:
    return frame.astype(float) @ np.array([0.2126, 0.7152, 0.0722])


def ramp_profile(frame: np.ndarray) -> tuple[int, float]:
    """Over the ball's inner pixels: how many luminance levels (of 32) hold at least 1 % of them, and the
    share lying in the transition (more than 15 % of the range from both the shade and the lit level)."""
    lum = luminance(frame)[inner(~backdrop_mask(frame), 3)]
    dark, bright = np.percentile(lum, 2), np.percentile(lum, 98)
    counts = np.histogram(lum, bins=32, range=(0, 256))[0]
    margin = 0.15 * (bright - dark)
    between = ((lum > dark + margin) & (lum < bright - margin)).mean()
    return int((counts >= 0.01 * len(lum)).sum()), float(between)


# -- reading ----------------------------------------------------------------------------------------------
def test_vrm1_materials_are_read_with_their_uv_animation():
    path = asset("VRMC_materials_mtoon_UV_Animation_Test.vrm")
    materials = load_rig_info(path).mtoon
    assert {m.name: (m.scroll_x, m.scroll_y, m.rotation) for m in materials.values()} == {
        "ScrollX": (1.0, 0.0, 0.0), "ScrollY": (0.0, 1.0, 0.0), "ScrollRot": (0.0, 0.0, 1.0)}
    assert all(m.double_sided and m.alpha_mode == "OPAQUE" and m.shade_color == (1.0, 1.0, 1.0)
               for m in materials.values())
    assert [m.shade_texture for m in materials.values()] == [0, 1, 2]


def test_vrm0_mtoon_materials_are_read_and_converted():
    """Godette's Face and Body are VRM 0.x MToon; its logo and backpack are plain glTF."""
    path = asset("Godette_vrm_v4.vrm")
    info = load_rig_info(path)
    doc, materials = info.gltf, info.mtoon
    assert sorted(m.name for m in materials.values()) == ["Body", "Face"]
    body = next(m for m in materials.values() if m.name == "Body")
    props = next(p for p in doc["extensions"]["VRM"]["materialProperties"] if p["name"] == "Body")["floatProperties"]
    # The 0.x ramp runs over N.L in [shift, lerp(1, shift, toony)]; the 1.0 one over
    # [-1 + toony - shift, 1 - toony - shift]: the same band.
    lo0, hi0 = props["_ShadeShift"], 1 + (props["_ShadeShift"] - 1) * props["_ShadeToony"]
    lo1, hi1 = -1 + body.shading_toony - body.shading_shift, 1 - body.shading_toony - body.shading_shift
    assert (lo1, hi1) == pytest.approx((lo0, hi0), abs=1e-6)
    assert body.outline_mode == "screenCoordinates" and body.outline_width == pytest.approx(0.0025)
    assert body.outline_color[1] > 0.5 > body.outline_color[0]          # its teal, made linear
    assert body.alpha_mode == "OPAQUE" and not body.double_sided


def _bad_ball(tmp_path: Path, edit) -> Path:
    path = sphere_gltf(tmp_path / "bad.gltf", {})
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["materials"][0].update(alphaMode="CUTOUT"),
     r"unknown alphaMode 'CUTOUT'; expected one of OPAQUE, MASK, BLEND"),
    (lambda d: d["materials"][0]["extensions"]["VRMC_materials_mtoon"].update(shadeMultiplyTexture={"index": 7}),
     r"texture index 7 is out of range \(the file has 0 textures\)"),
    (lambda d: d["materials"][0]["extensions"]["VRMC_materials_mtoon"].update(outlineWidthMode="pixels"),
     r"unknown outlineWidthMode 'pixels'"),
    (lambda d: d["materials"][0]["extensions"]["VRMC_materials_mtoon"].update(shadingToonyFactor="high"),
     r"shadingToonyFactor must be a number, got 'high'"),
    (lambda d: d["materials"][0]["extensions"]["VRMC_materials_mtoon"].update(outlineWidthFactor=-0.5),
     r"outlineWidthFactor must be at least 0, got -0.5"),
])
def test_bad_values_name_the_file_and_material(tmp_path, edit, message):
    """Checked when the rig (or model) file is read: before a set is built or a live swap goes on air."""
    path = _bad_ball(tmp_path, edit)
    with pytest.raises(RigError, match=re.escape(f"{path}: material 0 (ball): ") + message):
        load_rig_info(path)


def test_a_set_with_a_bad_mtoon_model_fails_naming_the_model(tmp_path):
    path = _bad_ball(tmp_path, lambda d: d["materials"][0].update(alphaMode="CUTOUT"))
    with pytest.raises(RigError, match=f"{path}: material 0"):
        render(ball_set(tmp_path, path))


# -- drawing ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shading", ["pixel", "vertex"])
def test_high_toony_is_two_tone_and_low_toony_a_smooth_ramp(tmp_path, shading):
    toony_levels, toony_between = ramp_profile(ball(tmp_path, {"shadingToonyFactor": 0.95}, shading))
    smooth_levels, smooth_between = ramp_profile(ball(tmp_path, {"shadingToonyFactor": 0.0}, shading))
    assert toony_levels <= 5 and toony_between < 0.08, (toony_levels, toony_between)
    assert smooth_levels >= 10 and smooth_between > 0.4, (smooth_levels, smooth_between)


def test_shading_shift_moves_the_terminator(tmp_path):
    """A positive shift lights more of the ball; a negative one less."""
    lit = [float((luminance(ball(tmp_path, {"shadingToonyFactor": 0.95, "shadingShiftFactor": s})) > 200).sum())
           for s in (-0.4, 0.0, 0.4)]
    assert lit[0] < 0.8 * lit[1] and lit[2] > 1.2 * lit[1], lit


def outline_pixels(frame: np.ndarray) -> np.ndarray:
    r, g, b = (frame[..., i].astype(int) for i in range(3))
    return (r > 200) & (g < 60) & (b < 60)


@pytest.mark.parametrize("mode, width", [("worldCoordinates", 0.04), ("screenCoordinates", 0.02)])
def test_outline_is_a_ring_round_the_silhouette_and_vanishes_at_width_0(tmp_path, mode, width):
    red = {"outlineWidthMode": mode, "outlineColorFactor": [1.0, 0.0, 0.0], "outlineLightingMixFactor": 0.0}
    plain = ball(tmp_path, {"outlineWidthMode": "none"})
    framed = ball(tmp_path, {**red, "outlineWidthFactor": width})
    assert not outline_pixels(ball(tmp_path, {**red, "outlineWidthFactor": 0.0})).any()
    ring = outline_pixels(framed)
    body = ~backdrop_mask(plain)
    ys, xs = np.nonzero(body)
    centre, radius = np.array([ys.mean(), xs.mean()]), np.sqrt(body.sum() / np.pi)
    ry, rx = np.nonzero(ring)
    distance = np.hypot(ry - centre[0], rx - centre[1])
    assert np.all(distance > 0.9 * radius), "outline pixels inside the ball"
    sectors = np.unique((np.degrees(np.arctan2(ry - centre[0], rx - centre[1])) // 30).astype(int))
    assert len(sectors) == 12, "the outline must go all the way round"
    assert (ring & body).sum() < 0.15 * ring.sum()          # beside the ball, not over it
    assert not outline_pixels(plain).any()


def test_mask_cuts_holes_where_alpha_is_below_the_cutoff(tmp_path):
    texture = stripes(clear=True)
    opaque = ball(tmp_path, {}, texture=texture)
    masked = ball(tmp_path, {}, material={"alphaMode": "MASK", "alphaCutoff": 0.5}, texture=texture)
    disc = inner(~backdrop_mask(opaque), 3)
    assert backdrop_mask(opaque)[disc].mean() < 0.01
    assert backdrop_mask(masked)[disc].mean() > 0.25         # the backdrop (or the far side) seen through


@pytest.mark.parametrize("shading", ["vertex", "pixel"])
def test_uv_animation_follows_the_show_clock(tmp_path, shading):
    """The sample's arrows scroll and turn between tick 0 and tick 15; two runs give the same pictures."""
    rig = asset("VRMC_materials_mtoon_UV_Animation_Test.vrm")
    text = (PROJECT / "scenes" / "chroma.toml").read_text()
    text = text[:text.index("[[hosts]]")] + f'[[hosts]]\nname = "Sample"\nrig = "{rig}"\nposition = [0.0, 0.0, 0.0]\n'
    path = tmp_path / "uv.toml"
    text = text.replace("floor = false", f'floor = false\nshading = "{shading}"')
    path.write_text(text.replace('backdrop = "chroma"', 'backdrop = "#808080"'))
    first = render(path, frames=2, fps=4)                    # tick 0, then tick 15 at 60 Hz
    again = render(path, frames=2, fps=4)
    moved = np.abs(first[0].astype(int) - first[1].astype(int)).sum(-1) > 60
    assert moved.sum() > 300, moved.sum()
    for a, b in zip(first, again):
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_a_skinned_vrm_keeps_its_pose_under_mtoon(tmp_path, monkeypatch):
    """Godette drawn with MToon stands where the old look stands (her skin follows the idle pose), outlined."""
    from runtime.scene.stage import Stage
    rig = asset("Godette_vrm_v4.vrm")
    text = (PROJECT / "scenes" / "chroma.toml").read_text()
    text = text[:text.index("[[hosts]]")] + f'[[hosts]]\nname = "Godette"\nrig = "{rig}"\nposition = [0.0, 0.0, 0.0]\n'
    path = tmp_path / "godette.toml"
    path.write_text(text.replace('floor = false', 'floor = false\nshading = "pixel"'))
    toon = render(path)[0]
    monkeypatch.setattr(Stage, "_draw_mtoon", lambda self, model, info: None)
    old = render(path)[0]
    a, b = ~backdrop_mask(toon), ~backdrop_mask(old)
    assert (a & b).sum() / (a | b).sum() > 0.85                 # the same silhouette, give or take the outline
    assert a.sum() > b.sum()                                    # the outline adds a rim
    changed = int((np.abs(toon.astype(int) - old.astype(int)).sum(-1) > 24).sum())
    assert changed > 0.05 * b.sum(), changed                   # and drawn differently: toon bands, outline


def test_rim_lights_the_edge_not_the_middle(tmp_path):
    """Measured on the shaded side (the lit side is white already)."""
    rim = {"parametricRimColorFactor": [0.0, 1.0, 0.0], "parametricRimFresnelPowerFactor": 3.0,
           "rimLightingMixFactor": 0.0}
    plain, rimmed = ball(tmp_path, {}), ball(tmp_path, rim)
    disc = inner(~backdrop_mask(plain), 2)
    ys, xs = np.nonzero(disc)
    distance = np.hypot(ys - ys.mean(), xs - xs.mean())[luminance(plain)[disc] < 100] / np.sqrt(disc.sum() / np.pi)
    body = disc & (luminance(plain) < 100)
    green = rimmed[..., 1].astype(int)[body] - plain[..., 1].astype(int)[body]
    assert np.median(green[distance > 0.9]) > 60
    assert np.median(green[distance < 0.6]) < 5


def test_blend_shows_the_backdrop_through_a_half_transparent_ball(tmp_path):
    """Half the lit colour and half the backdrop, mixed in linear light (the framebuffer is sRGB)."""
    def linear(rgb: np.ndarray) -> np.ndarray:
        c = rgb.astype(float) / 255
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    opaque = ball(tmp_path, {})
    half = ball(tmp_path, {}, material={"alphaMode": "BLEND",
                                        "pbrMetallicRoughness": {"baseColorFactor": [1.0, 1.0, 1.0, 0.5]}})
    lit = inner(~backdrop_mask(opaque), 3) & (luminance(opaque) > 200)      # the white lit side
    expected = (linear(opaque[lit]) + linear(opaque[0, 0])) / 2
    assert np.abs(linear(half[lit]) - expected).max() < 0.04


def test_emission_brightens_the_shaded_side(tmp_path):
    plain = ball(tmp_path, {})
    glowing = ball(tmp_path, {}, material={"emissiveFactor": [0.0, 0.3, 0.0]})
    shaded = inner(~backdrop_mask(plain), 3) & (luminance(plain) < 100)
    green = glowing[..., 1].astype(int)[shaded] - plain[..., 1].astype(int)[shaded]
    assert shaded.sum() > 1000 and np.median(green) > 60
