"""glTF files written for the MToon tests: a UV sphere with one MToon material, in a set of its own."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from runtime.png import png_bytes

HOST = Path(__file__).resolve().parents[1] / "rigs" / "mei.glb"


def stripes(count: int = 8, size: int = 64, clear: bool = False) -> np.ndarray:
    """Vertical stripes, white and dark grey (`clear`: the grey ones fully transparent)."""
    rgba = np.full((size, size, 4), 255, np.uint8)
    dark = (np.arange(size) * count // size) % 2 == 1
    rgba[:, dark, :3] = 40
    if clear:
        rgba[:, dark, 3] = 0
    return rgba


def sphere_gltf(path: Path, mtoon: dict, material: dict | None = None, texture: np.ndarray | None = None,
                rows: int = 32, cols: int = 48) -> Path:
    """A unit-diameter UV sphere (glTF: Y up) whose one material carries `mtoon` (VRMC_materials_mtoon);
    `material`: further glTF material keys; `texture`: its base colour (and shade) texture."""
    t, p = np.meshgrid(np.linspace(0, np.pi, rows + 1), np.linspace(0, 2 * np.pi, cols + 1), indexing="ij")
    unit = np.stack([np.sin(t) * np.cos(p), np.cos(t), np.sin(t) * np.sin(p)], -1).reshape(-1, 3)
    uv = np.stack([p / (2 * np.pi), t / np.pi], -1).reshape(-1, 2)
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    a = r * (cols + 1) + c
    tris = np.stack([a, a + 1, a + cols + 1, a + 1, a + cols + 2, a + cols + 1], -1).reshape(-1).astype(np.uint32)
    blobs = [(unit * 0.5).astype(np.float32).tobytes(), unit.astype(np.float32).tobytes(),
             uv.astype(np.float32).tobytes(), tris.tobytes()]
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    data = b"".join(blobs)
    n = len(unit)
    doc = {
        "asset": {"version": "2.0"},
        "extensionsUsed": ["VRMC_materials_mtoon"],
        "scenes": [{"nodes": [0]}], "scene": 0,
        "nodes": [{"name": "ball", "mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2}, "indices": 3,
                                    "material": 0}]}],
        "buffers": [{"byteLength": len(data),
                     "uri": "data:application/octet-stream;base64," + base64.b64encode(data).decode()}],
        "bufferViews": [{"buffer": 0, "byteOffset": int(offsets[i]), "byteLength": int(offsets[i + 1] - offsets[i])}
                        for i in range(4)],
        "accessors": [
            {"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3", "min": [-0.5] * 3, "max": [0.5] * 3},
            {"bufferView": 1, "componentType": 5126, "count": n, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5126, "count": n, "type": "VEC2"},
            {"bufferView": 3, "componentType": 5125, "count": len(tris), "type": "SCALAR"},
        ],
        "materials": [{"name": "ball", "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1]},
                       "extensions": {"VRMC_materials_mtoon": {"specVersion": "1.0", **mtoon}}, **(material or {})}],
    }
    if texture is not None:
        png = "data:image/png;base64," + base64.b64encode(png_bytes(texture)).decode()
        doc["images"] = [{"uri": png}]
        doc["textures"] = [{"source": 0}]
        doc["materials"][0]["pbrMetallicRoughness"]["baseColorTexture"] = {"index": 0}
    path.write_text(json.dumps(doc))
    return path


def ball_set(folder: Path, model: Path, shading: str = "pixel", backdrop: str = "#2040c0") -> Path:
    """A set with the ball 1 m across at 1 m height, one light from the left, no ambient light (and a
    built-in host behind the camera: a set needs one)."""
    path = folder / f"ball_{shading}.toml"
    path.write_text(f"""
[set]
name = "ball"
backdrop = "{backdrop}"
floor = false
shading = "{shading}"

[[lights]]
name = "key"
type = "directional"
color = "#ffffff"
intensity = 1.0
position = [-3.0, -1.0, 1.0]
look_at = [0.0, 0.0, 1.0]

[[pieces]]
name = "ball"
shape = "model"
model = "{model}"
size = [1.0, 1.0, 1.0]
position = [0.0, 0.0, 0.5]

[[cameras]]
name = "front"
position = [0.0, -4.0, 1.0]
look_at = [0.0, 0.0, 1.0]
fov = 22

[[hosts]]
name = "Mei"
rig = "{HOST}"
position = [0.0, -8.0, 0.0]
""")
    return path
