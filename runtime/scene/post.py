"""Edge smoothing (in the manner of FXAA), done on the CPU to the frame as it comes back from GL.

Software GL pays about 20 ms of CPU for any full-frame pass that reads a texture at 1280x720, before the
filter does anything; the frame is read back anyway, and this filter over it costs a few milliseconds on
two threads. It works on the 8-bit sRGB values, which are close to how the eye sees contrast.

Each pixel of a stair-stepped edge moves toward its neighbour across the edge by how much it stands out:
five reads, one blend. Text and cards drawn over the set stay crisp: the set is drawn without touching the
frame's alpha (it stays 1), the overlay lowers it wherever it draws (`spare_from_smoothing`), and only
pixels wholly of the set are smoothed.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from panda3d.core import ColorBlendAttrib, ColorWriteAttrib, NodePath

EDGE_MIN = 1.0 / 24.0     # contrast below this is not an edge (absolute) ...
EDGE_SHARE = 1.0 / 8.0    # ... nor below this share of the local brightest
STRENGTH = 0.75           # the most a pixel moves toward its neighbour


def leave_alpha(root: NodePath) -> None:
    """Draw `root` without writing the frame's alpha, which stays at the clear colour's 1."""
    root.set_attrib(ColorWriteAttrib.make(ColorWriteAttrib.C_rgb))


def spare_from_smoothing(layer: NodePath) -> None:
    """Draw `layer` (text, cards) over the frame blended as usual, lowering the frame's alpha by its own:
    wherever it draws, the filter leaves the pixel alone."""
    layer.set_attrib(ColorBlendAttrib.make(
        ColorBlendAttrib.M_add, ColorBlendAttrib.O_incoming_alpha, ColorBlendAttrib.O_one_minus_incoming_alpha,
        ColorBlendAttrib.M_add, ColorBlendAttrib.O_zero, ColorBlendAttrib.O_one_minus_incoming_alpha))


def smooth_edges(bgra: np.ndarray, luma: np.ndarray) -> np.ndarray:
    """(H, W, 3) RGB, top row first, from GL's (H, W, 4) BGRA, bottom row first, with edges smoothed;
    `luma`: an (H, W) float32 scratch array the caller keeps from frame to frame."""
    out = np.empty((*bgra.shape[:2], 3), np.uint8)
    _smooth(bgra, luma, out)
    return out


@njit(parallel=True, cache=True)
def _smooth(bgra: np.ndarray, luma: np.ndarray, out: np.ndarray) -> None:
    h, w = bgra.shape[0], bgra.shape[1]
    for y in prange(h):
        for x in range(w):
            luma[y, x] = (0.114 * bgra[y, x, 0] + 0.587 * bgra[y, x, 1] + 0.299 * bgra[y, x, 2]) * (1.0 / 255.0)
    for y in prange(h):
        _smooth_row(bgra, luma, np.int64(y), out)    # prange counts in unsigned integers; rows are signed


@njit(cache=True)
def _smooth_row(bgra: np.ndarray, luma: np.ndarray, y: int, out: np.ndarray) -> None:
    h, w = luma.shape
    up, down = min(y + 1, h - 1), max(y - 1, 0)     # reads stay inside the frame
    row = h - 1 - y
    for x in range(w):
        right, left = min(x + 1, w - 1), max(x - 1, 0)
        lc, ln, ls, le, lw = luma[y, x], luma[up, x], luma[down, x], luma[y, right], luma[y, left]
        high = max(lc, ln, ls, le, lw)
        contrast = high - min(lc, ln, ls, le, lw)
        oy = y
        ox = x
        amount = 0.0
        if bgra[y, x, 3] == 255 and contrast >= max(EDGE_MIN, high * EDGE_SHARE):
            # How far the pixel stands out of its neighbours' average, as a share of the local contrast
            # (a step of a stair-stepped edge stands out most), squared.
            lift = min(abs(0.25 * (ln + ls + le + lw) - lc) / contrast, 1.0)
            amount = STRENGTH * lift * lift
            # Toward the neighbour on the steeper side of the steeper axis.
            if abs(ln + ls - 2.0 * lc) >= abs(le + lw - 2.0 * lc):
                oy = down if abs(ln - lc) < abs(ls - lc) else up
            else:
                ox = left if abs(le - lc) < abs(lw - lc) else right
        for k in range(3):
            c = float(bgra[y, x, 2 - k])
            out[row, x, k] = np.uint8(c + (float(bgra[oy, ox, 2 - k]) - c) * amount + 0.5)
