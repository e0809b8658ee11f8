"""The painted face of a built-in host: textures drawn with numpy, and the UVs that put them on the head,
the eyeballs and the eyelids.

Every texture is painted in linear RGB from the spec's colours and written as sRGB bytes. The head and lid
textures are *multipliers* of the skin colour (their material's base colour is the skin), so a renderer that
drops textures still draws plain skin; the eyeball's texture is its whole colour. All UVs have their origin
at the top left (glTF's), v growing downward.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..tomlfile import srgb_to_linear
from .paint import blob, grid, mix, smooth, to_srgb_bytes

if TYPE_CHECKING:
    from .figure import Figure

HEAD_SIZE, EYE_SIZE, LID_SIZE = 256, 128, 128
# Each lid's rows use one half of the lid texture, kept apart by a margin so filtering never mixes them.
UPPER_V, LOWER_V = (0.02, 0.48), (0.52, 0.98)


@dataclass(frozen=True)
class FaceLook:
    """What a face style paints differently (iris and pupil radii are in eyeball radii)."""
    iris: tuple[float, float]       # half width, half height
    pupil: float                    # share of the iris
    highlight: float                # radius of the main catch-light
    lash: float                     # lash-line thickness, as a share of the upper lid's rows
    wing: float                     # extra thickness at the outer corner
    blush: float                    # 0..1


FACE_LOOKS = {
    "oval": FaceLook(iris=(0.47, 0.56), pupil=0.42, highlight=0.13, lash=0.16, wing=0.12, blush=0.35),
    "round": FaceLook(iris=(0.52, 0.60), pupil=0.38, highlight=0.16, lash=0.14, wing=0.06, blush=0.5),
    "square": FaceLook(iris=(0.42, 0.48), pupil=0.45, highlight=0.09, lash=0.10, wing=0.03, blush=0.12),
}


def _linear(f: Figure, key: str) -> np.ndarray:
    return np.array(srgb_to_linear(f.spec.colors[key]))


# -- the head ---------------------------------------------------------------------------------------------

def head_uvs(f: Figure, positions: np.ndarray) -> np.ndarray:
    """The face seen from the front, unit head radius to the texture's edges. Points behind the ears all take
    the texture's bottom corners (plain skin), so nothing painted shows on the back of the head."""
    c, r = f.head_c, f.head_r
    uy = np.clip((positions[:, 1] - c[1]) / r[1], -1, 1)
    sx = 1.0 - f.taper * np.clip(-uy, 0, 1) ** 1.5
    ux = np.clip((positions[:, 0] - c[0]) / (r[0] * sx), -1, 1)
    front = positions[:, 2] >= c[2]
    u = np.where(front, 0.5 + 0.5 * ux, np.where(ux >= 0, 1.0, 0.0))
    v = np.where(front, 0.5 - 0.5 * uy, 1.0)
    return np.stack([u, v], -1)


def paint_head(f: Figure) -> np.ndarray:
    """Skin shading, eye sockets, blush, the nose's shadow and a lip tint, as multipliers of the skin."""
    look = FACE_LOOKS[f.spec.face]
    skin = _linear(f, "skin")
    c, r, s, hs = f.head_c, f.head_r, f.s, f.hs
    u, v = grid(HEAD_SIZE)
    uy = 1 - 2 * v
    x = (2 * u - 1) * r[0] * (1.0 - f.taper * np.clip(-uy, 0, 1) ** 1.5)    # model metres, as head_uvs maps
    y = c[1] + uy * r[1]
    img = np.broadcast_to(skin, u.shape + (3,)).copy()
    warm_shadow = skin * np.array([0.86, 0.74, 0.72])
    img = mix(img, warm_shadow, 0.55 * smooth(0.62, 1.0, np.abs(2 * u - 1)))          # the sides turn away
    img = mix(img, warm_shadow, 0.5 * smooth(0.55, 0.95, -uy))                          # under the jaw
    eye_x, eye_y = f.joints["leftEye"][0], f.joints["leftEye"][1]
    for sign in (1, -1):
        socket = blob(x, y, sign * eye_x, eye_y + 0.006 * s * hs, 0.020 * s * hs, 0.013 * s * hs, 0.8)
        img = mix(img, warm_shadow, 0.35 * socket)
        blush = blob(x, y, sign * eye_x * 1.2, eye_y - 0.022 * s * hs, 0.015 * s * hs, 0.0075 * s * hs, 0.9)
        img = mix(img, skin * np.array([1.0, 0.42, 0.45]), look.blush * blush)
    nose_y = c[1] - 0.022 * s * hs
    img = mix(img, warm_shadow * 0.8, 0.7 * blob(x, y, 0.0, nose_y - 0.008 * s * hs, 0.006 * s * hs,
                                                   0.0022 * s * hs, 0.8))
    img = mix(img, warm_shadow, 0.45 * blob(x, y, -0.0045 * s * hs, nose_y + 0.003 * s * hs, 0.0016 * s * hs,
                                               0.009 * s * hs, 0.9))
    img = mix(img, _linear(f, "lips"), 0.45 * blob(x, y, 0.0, f.mouth_y - 0.002 * s, 0.022 * s * hs,
                                                      0.0075 * s * hs, 0.8))
    return to_srgb_bytes(img / skin)


# -- the eyes ---------------------------------------------------------------------------------------------

def eye_uvs(centre: np.ndarray, radius: float, positions: np.ndarray) -> np.ndarray:
    """The eyeball seen along +Z (its gaze at rest): the iris is painted round the texture's centre."""
    d = (positions - centre) / radius
    return np.stack([0.5 + 0.5 * d[:, 0], 0.5 - 0.5 * d[:, 1]], -1)


def paint_eye(f: Figure) -> np.ndarray:
    """An anime eye: white with the upper lid's shadow, a tall iris dark at the top and light below, a dark
    rim, the pupil and two catch-lights (up and to the host's right, the same on both eyes)."""
    look = FACE_LOOKS[f.spec.face]
    iris = _linear(f, "iris")
    u, v = grid(EYE_SIZE)
    x, y = 2 * u - 1, 1 - 2 * v
    img = np.broadcast_to(np.array([0.88, 0.88, 0.9]), u.shape + (3,)).copy()
    img = mix(img, [0.52, 0.55, 0.66], smooth(0.12, 0.5, y))              # the lid's shadow on the white
    cy = -0.03
    rx, ry = look.iris
    d = np.hypot(x / rx, (y - cy) / ry)
    top_to_bottom = np.clip((cy + ry - y) / (2 * ry), 0, 1)
    iris_col = iris * (0.35 + 1.25 * top_to_bottom[..., None] ** 1.5)      # the spec's hue, lit from below
    iris_col = mix(iris_col, iris * 0.25, smooth(0.78, 0.95, d))          # the limbal ring
    inside = 1.0 - smooth(0.96, 1.04, d)
    img = img * (1 - inside[..., None]) + iris_col * inside[..., None]
    pupil = blob(x, y, 0.0, cy + 0.04, rx * look.pupil, ry * look.pupil, 0.25)
    img = mix(img, iris * 0.08, pupil)
    h = look.highlight
    img = mix(img, [1.0, 1.0, 1.0], blob(x, y, -0.42 * rx, cy + 0.42 * ry, h, h * 1.1, 0.3))
    img = mix(img, [1.0, 1.0, 1.0], 0.85 * blob(x, y, 0.45 * rx, cy - 0.5 * ry, h * 0.45, h * 0.45, 0.4))
    return to_srgb_bytes(img)


# -- the lids ---------------------------------------------------------------------------------------------

def lid_uvs(rows: int, cols: int, sign: int, upper: bool) -> np.ndarray:
    """UVs of a lid grid: u from the inner corner (0) to the outer (1), v down the rows (the upper lid from
    behind the eye to its edge, the lower lid from its rim down)."""
    u = np.linspace(0, 1, cols)
    if sign < 0:                                 # the right eye's columns run from its outer corner inward
        u = u[::-1]
    v0, v1 = UPPER_V if upper else LOWER_V
    v = v0 + (v1 - v0) * np.linspace(0, 1, rows)
    uu, vv = np.meshgrid(u, v, indexing="xy")
    return np.stack([uu, vv], -1).reshape(-1, 2)


def paint_lids(f: Figure) -> np.ndarray:
    """Skin with the lash line (thickening to a wing at the outer corner), the double-lid crease above it,
    and a faint lower lash line, as multipliers of the skin."""
    look = FACE_LOOKS[f.spec.face]
    skin = _linear(f, "skin")
    lash = _linear(f, "hair") * 0.5 + 0.004
    u, v = grid(LID_SIZE)
    img = np.broadcast_to(skin, u.shape + (3,)).copy()
    t = (v - UPPER_V[0]) / (UPPER_V[1] - UPPER_V[0])                   # 0 behind the eye, 1 at the lid's edge
    width = (look.lash + look.wing * smooth(0.55, 1.0, u)) * (0.45 + 0.55 * smooth(0.0, 0.3, u))
    upper = (v < 0.5) & (t > 1 - width - 0.04)
    img = mix(img, lash, upper * smooth(1 - width - 0.04, 1 - width, t))
    crease = np.exp(-(((t - (0.74 - width)) / 0.025) ** 2)) * smooth(0.15, 0.45, u) * (1 - smooth(0.85, 1.0, u))
    img = mix(img, skin * np.array([0.55, 0.4, 0.38]), 0.6 * crease * (v < 0.5))
    t_low = (v - LOWER_V[0]) / (LOWER_V[1] - LOWER_V[0])                 # 0 at the rim
    lower = (v > 0.5) * (1 - smooth(0.02, 0.07, t_low)) * smooth(0.35, 0.8, u)
    img = mix(img, lash, 0.55 * lower)
    return to_srgb_bytes(img / skin)
