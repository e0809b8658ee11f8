"""Binary data of a glTF file (accessors), and each node's rest transform, without Panda3D."""
from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

from . import quat

COMPONENT = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
IN_MEMORY = "_glb_bin"        # the uri of a buffer whose bytes ride along in the document


def glb_buffer(binary: bytes) -> dict:
    """Buffer 0 of a GLB's document, with the file's binary chunk carried in memory."""
    return {"uri": IN_MEMORY, IN_MEMORY: binary, "byteLength": len(binary)}


class GltfData:
    def __init__(self, doc: dict, path: Path) -> None:
        self.doc, self.path = doc, path
        self._buffers: dict[int, bytes] = {}

    def _buffer(self, i: int) -> bytes:
        if i not in self._buffers:
            b = self.doc["buffers"][i]
            uri = b.get("uri", "")
            self._buffers[i] = b[IN_MEMORY] if uri == IN_MEMORY else self.uri_bytes(uri)
        return self._buffers[i]

    def buffer_view(self, index: int) -> bytes:
        """The bytes of a buffer view (an embedded image, say)."""
        view = self.doc["bufferViews"][index]
        start = view.get("byteOffset", 0)
        return self._buffer(view["buffer"])[start:start + view["byteLength"]]

    def uri_bytes(self, uri: str) -> bytes:
        """The bytes a URI names: a data URI's own, or a file beside the glTF's."""
        if uri.startswith("data:"):
            return base64.b64decode(uri.split(",", 1)[1])
        return (self.path.parent / uri).read_bytes()

    def accessor(self, index: int) -> np.ndarray:
        """An accessor as a float array shaped (count, width); normalised integers scaled to 0..1/-1..1."""
        acc = self.doc["accessors"][index]
        dtype = np.dtype(COMPONENT[acc["componentType"]]).newbyteorder("<")
        width, count = WIDTH[acc["type"]], acc["count"]
        out = np.zeros((count, width), np.float64)
        if "bufferView" in acc:
            view = self.doc["bufferViews"][acc["bufferView"]]
            data = self._buffer(view["buffer"])
            start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
            stride = view.get("byteStride") or dtype.itemsize * width
            raw = np.ndarray((count, width), dtype, buffer=data, offset=start, strides=(stride, dtype.itemsize))
            out[:] = raw
            if acc.get("normalized") and dtype.kind in "iu":
                out /= np.iinfo(dtype).max
        return out

    def node_local(self, i: int) -> np.ndarray:
        return self.local_of(self.doc["nodes"][i])

    @staticmethod
    def local_of(node: dict) -> np.ndarray:
        """A node's local 4x4 from its matrix or TRS."""
        if "matrix" in node:
            return np.array(node["matrix"], float).reshape(4, 4).T
        m = np.eye(4)
        m[:3, :3] = quat.to_matrix(np.array(node.get("rotation", [0, 0, 0, 1]), float)) * node.get("scale", [1, 1, 1])
        m[:3, 3] = node.get("translation", [0, 0, 0])
        return m

    def node_world(self) -> dict[int, np.ndarray]:
        """Rest world matrices (glTF space) of every node; skin joints use their inverse bind matrices,
        as the renderer does."""
        parent = {c: i for i, n in enumerate(self.doc["nodes"]) for c in n.get("children", [])}
        world: dict[int, np.ndarray] = {}

        def get(i: int) -> np.ndarray:
            if i not in world:
                world[i] = (get(parent[i]) if i in parent else np.eye(4)) @ self.node_local(i)
            return world[i]

        for i in range(len(self.doc["nodes"])):
            get(i)
        for skin in self.doc.get("skins", []):
            if "inverseBindMatrices" in skin:
                ibm = self.accessor(skin["inverseBindMatrices"]).reshape(-1, 4, 4).transpose(0, 2, 1)
                for joint, m in zip(skin["joints"], ibm):
                    world[joint] = np.linalg.inv(m)
        return world
