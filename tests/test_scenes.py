"""Shipped sets render offscreen: backdrop where nothing stands, hosts inside the frame, determinism."""

import hashlib

import numpy as np
import pytest

from runtime.scene.render import OffscreenRenderer
from runtime.sets.setfile import load_set
from runtime.tomlfile import FileError

from helpers import assert_error_at, assert_file_error

SETS = ["shop_studio", "chroma"]


def _srgb8(color) -> np.ndarray:
    return np.round(np.array(color) * 255).astype(int)


@pytest.fixture(scope="module", params=SETS)
def rendered(request, project):
    spec = load_set(project / "scenes" / f"{request.param}.toml")
    renderer = OffscreenRenderer(spec, (640, 360))
    frame = renderer.frame()
    boxes = [renderer.project(*renderer.stage.host_bounds(h)) for h in renderer.stage.hosts]
    yield spec, frame, boxes
    renderer.close()


def test_backdrop_where_nothing_stands(rendered):
    spec, frame, _ = rendered
    expected = _srgb8(spec.backdrop)
    for y, x in ((2, 2), (2, 637)):                       # top corners: above the set pieces
        assert np.abs(frame[y, x].astype(int) - expected).max() <= 2, (spec.name, frame[y, x], expected)


def test_chroma_corners_are_pure_green(project):
    renderer = OffscreenRenderer(load_set(project / "scenes" / "chroma.toml"), (640, 360))
    frame = renderer.frame()
    renderer.close()
    for y, x in ((0, 0), (0, 639), (359, 0), (359, 639)):
        assert tuple(frame[y, x]) == (0, 255, 0)


def test_each_host_is_in_frame_and_visible(rendered):
    spec, frame, boxes = rendered
    background = _srgb8(spec.backdrop)
    assert len(boxes) == 2
    for (x0, y0, x1, y1), host in zip(boxes, spec.hosts):
        assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1, (host.name, (x0, y0, x1, y1))
        assert y0 < 360 * 0.5, f"{host.name}'s head should be in the upper half of a medium shot"
        region = frame[max(y0, 0):min(y1, 360), x0:x1].astype(int)
        non_background = (np.abs(region - background).sum(axis=-1) > 30).mean()
        assert non_background > 0.25, (host.name, non_background)
        skin_like = ((region[..., 0] > 150) & (region[..., 0] > region[..., 2] + 30)).sum()
        assert skin_like > 50, f"{host.name}: no skin-coloured pixels (face, hands) in its box"


def test_two_renders_are_identical(project):
    def digest():
        renderer = OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (320, 180), fps=30)
        h = hashlib.sha256()
        for frame in renderer.frames(6):
            h.update(frame.tobytes())
        renderer.close()
        return h.hexdigest()
    assert digest() == digest()


def test_a_low_frame_rate_never_slows_the_simulation(project):
    """At 2 fps each frame is 30 ticks on: all of them run (a catch-up cap for wall-clock pacing would run
    8 and play the show at a quarter of its speed against its sound)."""
    renderer = OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (64, 36), fps=2)
    for _ in renderer.frames(4):
        pass
    assert renderer.stage.ticker.world.tick == 3 * 30
    renderer.close()


def test_hosts_move_while_idling(project):
    renderer = OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (320, 180), fps=10)
    frames = list(renderer.frames(12))
    renderer.close()
    assert not np.array_equal(frames[0], frames[-1])


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('name = "Shop studio"\n', ''), r"shop\.toml:\d+:1: set: missing key 'name'"),
    (lambda t: t.replace('fov = 34', 'fov = "wide"'), r"shop\.toml:\d+:1: cameras\[0\]\.fov: expected number, got str"),
    (lambda t: t.replace('rig = "rigs/jun.glb"', 'rig = "rigs/nobody.glb"'),
     r"shop\.toml:\d+:1: hosts\[1\]\.rig: file not found: 'rigs/nobody.glb'"),
    (lambda t: t.replace('shape = "cylinder"', 'shape = "torus"', 1),
     r"shop\.toml:\d+:1: pieces\[\d\]\.shape: unknown shape 'torus'"),
    (lambda t: t.replace('price = 39.0', 'price = -1'), r"products\[0\]\.price: price must not be negative"),
    (lambda t: t.replace('backdrop = "#3b4a5c"', 'backdrop = "#3b4a5"'), r"set\.backdrop: expected a colour"),
    (lambda t: t + "\n[[cameras]]\nname = \"medium\"\nposition = [0, 0, 1]\nlook_at = [0, 1, 1]\n",
     r"duplicate camera name 'medium'"),
    (lambda t: t.replace('[set]', '[set', 1), r"shop\.toml:\d+:\d+: TOML syntax"),
    (lambda t: t.replace('power = 0.3', 'power = 3'),
     r"shop\.toml:\d+:\d+: hosts\[0\]\.expressivity\.power: .* from -1 to 1, got 3"),
])
def test_scene_errors_name_file_line_and_key(tmp_path, project, edit, message):
    text = (project / "scenes" / "shop_studio.toml").read_text()
    # rigs/ paths resolve from the project when not beside the file
    assert_file_error(tmp_path / "shop.toml", edit(text), load_set, message, FileError)


def test_expressivity_error_points_into_the_inline_table(tmp_path, project):
    text = (project / "scenes" / "shop_studio.toml").read_text().replace('power = 0.3', 'power = "high"')
    err = assert_file_error(tmp_path / "shop.toml", text, load_set, "power", FileError)
    assert text.splitlines()[err.line - 1][err.col - 1:].startswith('power = "high"')


def test_error_line_points_at_the_key(tmp_path, project):
    text = (project / "scenes" / "shop_studio.toml").read_text().replace('fov = 34', 'fov = "wide"')
    err = assert_file_error(tmp_path / "shop.toml", text, load_set, "fov", FileError)
    assert text.splitlines()[err.line - 1].startswith("fov = ")


def test_backdrop_image_fills_the_background(tmp_path, project):
    from runtime.scene.render import write_png
    image = np.zeros((64, 64, 3), np.uint8)
    image[:32] = (200, 40, 160)                           # top half magenta, bottom half blue
    image[32:] = (30, 60, 200)
    write_png(tmp_path / "wall.png", image)
    text = (project / "scenes" / "chroma.toml").read_text().replace(
        'backdrop = "chroma"', 'backdrop = "#000000"\nbackdrop_image = "wall.png"')
    (tmp_path / "set.toml").write_text(text)
    with OffscreenRenderer(load_set(tmp_path / "set.toml"), (320, 180)) as renderer:
        frame = renderer.frame().astype(int)
    assert np.abs(frame[2, 2] - [200, 40, 160]).max() <= 3
    assert np.abs(frame[177, 2] - [30, 60, 200]).max() <= 3


def test_gltf_prop_on_the_set(tmp_path, project):
    from helpers import asset
    fox = asset("Fox.glb")
    text = (project / "scenes" / "chroma.toml").read_text() + f"""
[[pieces]]
name = "fox"
shape = "model"
model = "{fox}"
size = [0.3, 0.8, 0.6]
position = [0.0, -1.0, 0.0]
"""
    (tmp_path / "set.toml").write_text(text)
    spec = load_set(tmp_path / "set.toml")
    with OffscreenRenderer(spec, (320, 180), camera="full") as renderer:
        frame = renderer.frame().astype(int)
        x0, y0, x1, y1 = renderer.project(*[np.array(v) for v in renderer.stage.props_bounds("fox")])
        lo, hi = renderer.stage.props_bounds("fox")
    region = frame[y0:y1, x0:x1]
    assert (np.abs(region - [0, 255, 0]).sum(-1) > 60).mean() > 0.2
    # Scaled as a whole to fit its size box (one side touching it), standing on its position.
    size = np.array([0.3, 0.8, 0.6])
    assert np.allclose([lo[2], (lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2], [0.0, 0.0, -1.0], atol=1e-3), (lo, hi)
    assert np.all(hi - lo <= size + 1e-3) and np.any(np.abs(hi - lo - size) < 1e-3), (lo, hi)


@pytest.mark.parametrize("old, new, at, message", [
    ("fov = 30", "fvo = 30", "fvo", "cameras[2].fvo: unknown key 'fvo'; did you mean 'fov'?"),
    ('lighting = "studio"', 'lighting = "studo"', 'lighting = "studo"',
     "set.lighting: unknown lighting preset 'studo'; did you mean 'studio'?"),
    ("[[cameras]]", '[[lights]]\nname = "lamp"\nintensty = 0.5\n\n[[cameras]]', "intensty",
     "lights[0].intensty: unknown key 'intensty'; did you mean 'intensity'?"),
    ("facing = -8", "facng = -8", "facng", "hosts[1].facng: unknown key 'facng'; did you mean 'facing'?"),
    ('shape = "cylinder"', 'shapex = "cylinder"', "shapex",
     "pieces[5].shapex: unknown key 'shapex'; did you mean 'shape'?"),
    ('currency = "USD"', 'curency = "USD"', "curency",
     "products[0].curency: unknown key 'curency'; did you mean 'currency'?"),
    ("seed = 22", 'seed = 22\nvoice = { language = "cmn", rat = 150 }', "rat =",
     "hosts[1].voice.rat: unknown key 'rat'; did you mean 'rate'?"),
    ("fluidity = 0.5", "fluidty = 0.5", "fluidty",
     "hosts[1].expressivity.fluidty: unknown key 'fluidty'; did you mean 'fluidity'?"),
    ("[[cameras]]", "[[camras]]", "[[camras]]", "camras: unknown key 'camras'; did you mean 'cameras'?"),
    ("tick_rate = 60", "zzz = 60", "zzz", "set.zzz: unknown key 'zzz'; expected one of name, backdrop, backdrop_image, "
     "floor, floor_size, tick_rate, shading, lighting"),
])
def test_a_typo_in_any_table_names_its_line_and_the_nearest_key(tmp_path, project, old, new, at, message):
    text = (project / "scenes" / "shop_studio.toml").read_text().replace(old, new, 1)
    assert_error_at(tmp_path / "shop.toml", text, load_set, at, message)


def test_a_typo_in_a_sub_table_points_into_its_own_array_entry(tmp_path, project):
    text = (project / "scenes" / "shop_studio.toml").read_text()
    text = text.replace("repetition = 0.2 }", "repetition = 0.2 }\n\n[hosts.voice]\nrate = 150")
    text = text.replace("repetition = 0.0 }", "repetition = 0.0 }\n\n[hosts.voice]\nrat = 150")
    assert_error_at(tmp_path / "shop.toml", text, load_set, "rat =",
                    "hosts[1].voice.rat: unknown key 'rat'; did you mean 'rate'?")


def test_product_facts_are_free_form(tmp_path, project):
    text = (project / "scenes" / "shop_studio.toml").read_text().replace('stock = 240', 'warranty = "2 years"')
    (tmp_path / "shop.toml").write_text(text)
    assert load_set(tmp_path / "shop.toml").products[0].facts["warranty"] == "2 years"


def test_unknown_set_key_is_named(tmp_path, project):
    text = (project / "scenes" / "chroma.toml").read_text().replace('floor = false', 'flor = false')
    assert_file_error(tmp_path / "set.toml", text, load_set, r"set\.toml:\d+:1: set\.flor: unknown key 'flor'",
                      FileError)


def test_pixel_shading_casts_soft_shadows(project):
    """Under per-pixel light the studio key light's shadow darkens the wall and the counter behind and
    under the hosts, shelves and products, and its edge is a ramp, not a step."""
    def frame(shadows: bool) -> np.ndarray:
        spec = load_set(project / "scenes" / "shop_studio.toml")
        spec.shading = "pixel"
        assert any(light.shadows for light in spec.lights)
        for light in spec.lights:
            light.shadows = light.shadows and shadows
        with OffscreenRenderer(spec, (640, 360)) as renderer:
            return renderer.frame().astype(int)

    lit, shadowed = frame(False), frame(True)
    darker = (lit - shadowed).sum(-1)
    assert (darker > 45).sum() > 3000                       # shadows fall on the wall and the counter
    assert ((shadowed - lit).sum(-1) > 45).sum() < 200      # and nothing gets brighter
    # A soft edge: along the shelf's shadow on the wall, darkening rises over several pixels.
    ramp = ((darker > 6) & (darker < 0.6 * np.percentile(darker[darker > 45], 90))).sum()
    assert ramp > 0.4 * (darker > 45).sum(), ramp            # 0.47 with four taps; one tap gives 0.33


@pytest.mark.parametrize("antialias", ["fxaa", "msaa"])
def test_edges_are_antialiased(project, antialias):
    """The edge filter (the default) and multisampling take effect: against the same frame drawn without
    them, the pixels that change lie on edges, and there are many of them."""
    def frame(antialias: str) -> np.ndarray:
        with OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (640, 360), camera="medium",
                               antialias=antialias) as renderer:
            return renderer.frame().astype(int)

    smooth, hard = frame(antialias), frame("off")
    changed = np.abs(smooth - hard).sum(-1) > 24
    step = np.zeros(hard.shape[:2], bool)                  # where the unsmoothed frame jumps to a neighbour
    step[:, 1:] |= np.abs(np.diff(hard, axis=1)).sum(-1) > 40
    step[1:, :] |= np.abs(np.diff(hard, axis=0)).sum(-1) > 40
    near_step = step | np.roll(step, 1, 0) | np.roll(step, 1, 1) | np.roll(step, -1, 0) | np.roll(step, -1, 1)
    assert changed.sum() > 1500 and (changed & near_step).sum() > 0.9 * changed.sum(), changed.sum()


def test_edge_filter_leaves_the_price_card_sharp(project):
    """The filter smooths the set's edges, not the text and card drawn over it: inside the card the
    filtered frame is the unfiltered one, pixel for pixel, while elsewhere edges change."""
    def frame(antialias: str) -> np.ndarray:
        with OffscreenRenderer(load_set(project / "scenes" / "shop_studio.toml"), (640, 360), camera="medium",
                               antialias=antialias) as renderer:
            renderer.stage.overlay.price("Kettle|39 USD")
            return renderer.frame().astype(int)

    smooth, hard = frame("fxaa"), frame("off")
    card = (slice(300, 348), slice(14, 255))                 # inside the card: x -0.96..-0.2, y -0.94..-0.66
    text_edges = (np.abs(np.diff(hard[card], axis=1)).sum(-1) > 120).sum()
    assert text_edges > 100                                   # the card holds sharp text ...
    assert np.array_equal(smooth[card], hard[card])           # ... which the filter leaves alone
    assert (np.abs(smooth - hard).sum(-1) > 24).sum() > 500   # while the set's edges are smoothed


def test_unknown_shading_is_named(tmp_path, project):
    text = (project / "scenes" / "shop_studio.toml").read_text().replace('[set]\n', '[set]\nshading = "ray"\n')
    assert_file_error(tmp_path / "s.toml", text, load_set,
                      r"s\.toml:\d+:1: set\.shading: unknown shading .ray.; expected one of vertex, pixel", FileError)


def test_lighting_presets_light_the_set_differently(tmp_path, project):
    """The same set under each preset: the same four lights, "bright" brighter than "studio" and
    "dramatic" much darker."""
    text = (project / "scenes" / "shop_studio.toml").read_text()
    frames = {}
    for preset in ("studio", "bright", "dramatic"):
        (tmp_path / f"{preset}.toml").write_text(text.replace('lighting = "studio"', f'lighting = "{preset}"'))
        spec = load_set(tmp_path / f"{preset}.toml")
        assert [light.name for light in spec.lights] == ["key", "fill", "rim", "ambient"]
        with OffscreenRenderer(spec, (320, 180), camera="mei") as renderer:
            frames[preset] = renderer.frame().astype(float)
    mean = {k: f.mean() for k, f in frames.items()}
    assert mean["bright"] > mean["studio"] + 5 and mean["dramatic"] < mean["studio"] - 15, mean
