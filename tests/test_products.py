"""The modelled products: each fills its size box exactly with outward-facing unit normals, has the parts
that make it what it is where they belong, and shows them in a render (pixels)."""
import numpy as np
import pytest

from runtime.scene.product_shapes import ACCENTS, PRODUCT_SHAPES
from runtime.scene.render import OffscreenRenderer
from runtime.sets.setfile import load_set

SIZES = {"kettle": (0.29, 0.17, 0.24), "phone": (0.08, 0.012, 0.16), "gift_box": (0.24, 0.14, 0.1)}


def bounds(parts, names=None):
    pos = np.concatenate([p.mesh[0] for p in parts if names is None or p.name in names])
    return pos.min(0), pos.max(0)


@pytest.mark.parametrize("shape", sorted(PRODUCT_SHAPES))
def test_a_product_fills_its_size_with_outward_unit_normals(shape):
    parts = PRODUCT_SHAPES[shape](SIZES[shape])
    lo, hi = bounds(parts)
    assert np.allclose(hi - lo, SIZES[shape], atol=1e-9) and np.isclose(lo[2], 0.0, atol=1e-12)
    assert np.allclose((lo + hi)[:2], 0.0, atol=1e-9)                  # base centred on the origin
    for part in parts:
        pos, nrm, tris = part.mesh
        assert np.allclose(np.linalg.norm(nrm, axis=1), 1.0, atol=1e-9) and tris.max() < len(pos)
        tri = tris.reshape(-1, 3)
        face = np.cross(pos[tri[:, 1]] - pos[tri[:, 0]], pos[tri[:, 2]] - pos[tri[:, 0]])
        area = np.linalg.norm(face, axis=1)
        wound = (face * nrm[tri].mean(1)).sum(1)[area > 1e-12]             # winding agrees with the normals
        assert (wound > 0).mean() > 0.97, (shape, part.name, (wound > 0).mean())
        assert part.role == "body" or part.role in ACCENTS


def test_the_kettle_has_its_spout_handle_and_lid_where_they_belong():
    parts = {p.name: p for p in PRODUCT_SHAPES["kettle"](SIZES["kettle"])}
    w, d, h = SIZES["kettle"]
    spout_lo, spout_hi = bounds(parts.values(), ["spout"])
    handle_lo, handle_hi = bounds(parts.values(), ["handle"])
    body_lo, body_hi = bounds(parts.values(), ["body"])
    assert spout_hi[0] > body_hi[0] + 0.02 and handle_lo[0] < body_lo[0] - 0.02     # spout +X, handle -X
    assert np.isclose(body_hi[1] - body_lo[1], d, atol=1e-3)                         # the body is as deep as the kettle
    assert bounds(parts.values(), ["lid"])[0][2] > 0.8 * h and bounds(parts.values(), ["knob"])[1][2] > 0.95 * h
    assert spout_hi[2] > 0.75 * h                                                     # it pours from high up


def render_product(tmp_path, project, shape: str, color: str, rotation=(0.0, 0.0, 0.0)) -> np.ndarray:
    """A close-up of one product on the chroma set, 320x320, looking at it from the front."""
    size = SIZES[shape]
    text = (project / "scenes" / "chroma.toml").read_text() + f"""
[[pieces]]
name = "item"
shape = "{shape}"
size = [{size[0]}, {size[1]}, {size[2]}]
position = [0.0, -1.2, 0.9]
rotation = [{rotation[0]}, {rotation[1]}, {rotation[2]}]
color = "{color}"
"""
    (tmp_path / "set.toml").write_text(text)
    with OffscreenRenderer(load_set(tmp_path / "set.toml"), (320, 320)) as r:
        for host in r.stage.hosts:
            host.character.root.hide()
        lo, hi = r.stage.props_bounds("item")
        r.look_at_bounds(lo, hi, elevation=8.0)
        return r.frame().astype(int)


def product_mask(frame: np.ndarray) -> np.ndarray:
    return np.abs(frame - [0, 255, 0]).sum(-1) > 90                 # not the chroma backdrop


def test_the_kettle_renders_with_spout_and_handle_beside_its_body(tmp_path, project):
    frame = render_product(tmp_path, project, "kettle", "#c9ccd1")
    mask = product_mask(frame)
    rows = np.nonzero(mask.any(1))[0]
    top, bottom = rows.min(), rows.max()
    cols = np.arange(mask.shape[1])
    width = np.where(mask, cols, 0).max(1) - np.where(mask, cols, mask.shape[1]).min(1)
    # From the handle to the spout's tip (upper half) the kettle is wider than across its base.
    upper = width[top: top + (bottom - top) // 2].max()
    base = width[bottom - (bottom - top) // 10]
    assert upper > 1.3 * base, (upper, base)
    dark = (frame.sum(-1) < 240) & mask                             # the black base, knob and handle
    assert dark.sum() > 0.04 * mask.sum()


def test_the_phone_shows_a_dark_screen_framed_by_its_colour(tmp_path, project):
    frame = render_product(tmp_path, project, "phone", "#e8e8ec")
    mask = product_mask(frame)
    ys, xs = np.nonzero(mask)
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    assert frame[cy - 20:cy + 20, cx - 10:cx + 10].sum(-1).mean() < 150        # glass: dark
    rim = frame[cy, xs.min() + 1: xs.min() + 3]                                  # the light frame at its edge
    assert rim.sum(-1).mean() > 300, rim


def test_the_gift_box_has_a_gold_ribbon_across_it(tmp_path, project):
    frame = render_product(tmp_path, project, "gift_box", "#3f7a4a", rotation=(20.0, 0.0, 0.0))
    mask = product_mask(frame)
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    gold = mask & (r > g) & (g > b + 20) & (r > 90)
    green = mask & (g > r + 15) & (g > b)
    assert gold.sum() > 0.05 * mask.sum() and green.sum() > 0.4 * mask.sum(), (gold.sum(), green.sum(), mask.sum())
    xs = np.nonzero(gold.any(0))[0]
    ys, xm = np.nonzero(mask)
    middle = (xm.min() + xm.max()) / 2
    assert abs(np.median(np.nonzero(gold)[1]) - middle) < 0.15 * (xm.max() - xm.min()), xs   # the ribbon runs down the middle
