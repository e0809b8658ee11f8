"""Small painting tools for the builder's textures: soft shapes and colour mixing over a texel grid, in
linear RGB, and the conversion to sRGB bytes."""
from __future__ import annotations

import numpy as np


def smooth(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    """0 below edge0, 1 above edge1, a smooth step between."""
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def blob(x: np.ndarray, y: np.ndarray, cx: float, cy: float, rx: float, ry: float, soft: float = 0.5) -> np.ndarray:
    """1 inside an ellipse, fading to 0 over the outer `soft` share of its radius."""
    d = np.hypot((x - cx) / rx, (y - cy) / ry)
    return 1.0 - smooth(1.0 - soft, 1.0, d)


def mix(image: np.ndarray, color, amount: np.ndarray) -> np.ndarray:
    a = np.clip(amount, 0.0, 1.0)[..., None]
    return image * (1 - a) + np.asarray(color, float) * a


def to_srgb_bytes(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    s = np.where(c <= 0.0031308, c * 12.92, 1.055 * c ** (1 / 2.4) - 0.055)
    return np.round(s * 255).astype(np.uint8)


def grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Texel centres as (u, v), each (size, size)."""
    t = (np.arange(size) + 0.5) / size
    return np.meshgrid(t, t, indexing="xy")
