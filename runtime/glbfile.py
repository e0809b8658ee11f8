"""GLB, glTF's binary container: a JSON chunk, then (optionally) one binary chunk."""
from __future__ import annotations

import json
import struct


def pack_glb(doc: dict, binary: bytes) -> bytes:
    """A GLB of a JSON document and its binary buffer: sorted keys and fixed separators, so the same
    document gives the same bytes."""
    js = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    js += b" " * (-len(js) % 4)
    bin_chunk = binary + b"\0" * (-len(binary) % 4)
    return b"".join([
        struct.pack("<4sII", b"glTF", 2, 12 + 8 + len(js) + 8 + len(bin_chunk)),
        struct.pack("<I4s", len(js), b"JSON"), js,
        struct.pack("<I4s", len(bin_chunk), b"BIN\0"), bin_chunk,
    ])


def unpack_glb(raw: bytes) -> tuple[dict, bytes | None]:
    """The JSON document and the binary chunk (None if there is none) of a GLB; ValueError says what is
    wrong with one that is not."""
    if raw[:4] != b"glTF":
        raise ValueError("it does not start with 'glTF'")
    try:
        size, kind = struct.unpack_from("<I4s", raw, 12)
        if kind != b"JSON":
            raise ValueError("the first chunk is not JSON")
        doc = json.loads(raw[20:20 + size])
        offset = 20 + size
        binary = None
        if offset + 8 <= len(raw):
            bin_size, bin_kind = struct.unpack_from("<I4s", raw, offset)
            if bin_kind == b"BIN\0":
                binary = raw[offset + 8:offset + 8 + bin_size]
    except (struct.error, UnicodeDecodeError) as e:
        raise ValueError(str(e)) from None
    return doc, binary
