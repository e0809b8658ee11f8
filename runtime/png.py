"""PNG encoding with the same bytes everywhere: the pixel rows go into stored (uncompressed) deflate blocks,
so the output never depends on which zlib (or zlib-ng) the machine has, only on the pixels."""
from __future__ import annotations

import struct
import zlib

import numpy as np

_BLOCK = 65535                     # the most a stored deflate block holds


def _stored_zlib(data: bytes) -> bytes:
    blocks = [b"\x78\x01"]
    for start in range(0, max(len(data), 1), _BLOCK):
        piece = data[start:start + _BLOCK]
        final = start + _BLOCK >= len(data)
        blocks.append(struct.pack("<BHH", int(final), len(piece), len(piece) ^ 0xFFFF) + piece)
    blocks.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(blocks)


def png_bytes(pixels: np.ndarray, compress: bool = True) -> bytes:
    """An (H, W, 3) RGB or (H, W, 4) RGBA uint8 array as PNG. `compress=False` writes stored blocks: bytes
    that depend on the pixels alone (for files that must rebuild byte for byte on any machine)."""
    h, w, channels = pixels.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8),
                          np.ascontiguousarray(pixels, np.uint8).reshape(h, w * channels)], axis=1).tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    body = zlib.compress(raw, 6) if compress else _stored_zlib(raw)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, {3: 2, 4: 6}[channels], 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))
