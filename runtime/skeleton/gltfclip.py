"""glTF animations as Clips: key frames sampled (with real interpolation) on a dense grid, forward
kinematics over the file's node hierarchy, and per-bone world deltas mapped to the canonical humanoid."""
from __future__ import annotations

import numpy as np

from . import quat
from .clip import Clip, from_world
from .face import FACE_CHANNELS
from .frame import orthonormal
from .gltfdata import GltfData
from .rigfile import RigInfo, rest_positions
from .skeleton import Skeleton

RATE = 60.0


def _sample(times: np.ndarray, values: np.ndarray, interpolation: str, grid: np.ndarray, rotation: bool) -> np.ndarray:
    if interpolation == "CUBICSPLINE":            # (in-tangent, value, out-tangent) triplets: keep the values
        values = values.reshape(len(times), 3, -1)[:, 1]
    k = np.clip(np.searchsorted(times, grid, side="right") - 1, 0, len(times) - 1)
    k1 = np.minimum(k + 1, len(times) - 1)
    span = np.where(k1 > k, times[k1] - times[k], 1.0)
    u = np.clip((grid - times[k]) / span, 0.0, 1.0)
    if interpolation == "STEP":
        u = np.zeros_like(u)
    if rotation:
        return quat.slerp(quat.normalize(values[k]), quat.normalize(values[k1]), u)
    return values[k] * (1 - u[:, None]) + values[k1] * u[:, None]


def load_gltf_clips(info: RigInfo) -> list[Clip]:
    if not info.animations:
        return []
    data = GltfData(info.gltf, info.path)
    nodes = info.gltf["nodes"]
    parent = {c: i for i, n in enumerate(nodes) for c in n.get("children", [])}
    order = sorted(range(len(nodes)), key=lambda i: len(_chain(i, parent)))
    rest_local = [data.node_local(i) for i in range(len(nodes))]
    positions, frame = rest_positions(info)
    frame_q = quat.from_matrix(frame)
    skeleton = Skeleton.canonical(positions)
    index = {n.get("name"): i for i, n in enumerate(nodes)}
    bone_nodes = {bone: index[name] for bone, name in info.bones.items() if name in index}
    clips = []
    for a, anim in enumerate(info.animations):
        tracks: dict[int, dict[str, np.ndarray]] = {}
        duration = 0.0
        samplers = anim.get("samplers", [])
        for ch in anim.get("channels", []):
            target = ch.get("target", {})
            path, node = target.get("path"), target.get("node")
            if path not in ("rotation", "translation", "scale", "weights") or node is None:
                continue
            sampler = samplers[ch["sampler"]]
            times = data.accessor(sampler["input"])[:, 0]
            duration = max(duration, float(times[-1]))
            tracks.setdefault(node, {})[path] = (times, data.accessor(sampler["output"]),
                                                 sampler.get("interpolation", "LINEAR"))
        grid = np.arange(0.0, duration + 1e-9, 1.0 / RATE)
        if len(grid) < 2:
            grid = np.array([0.0, 1.0 / RATE])
        world = {}
        for i in order:
            local = np.repeat(rest_local[i][None], len(grid), axis=0)
            if any(path != "weights" for path in tracks.get(i, {})):
                m = rest_local[i]
                t, r = m[:3, 3].copy(), quat.from_matrix(orthonormal(m[:3, :3]))
                sc = np.linalg.norm(m[:3, :3], axis=0)
                t = np.repeat(t[None], len(grid), 0)
                r = np.repeat(r[None], len(grid), 0)
                sc = np.repeat(sc[None], len(grid), 0)
                for path, (times, values, interp) in tracks[i].items():
                    if path == "weights":
                        continue
                    v = _sample(times, values, interp, grid, rotation=path == "rotation")
                    if path == "rotation":
                        r = v
                    elif path == "translation":
                        t = v
                    else:
                        sc = v
                local = np.zeros((len(grid), 4, 4))
                local[:, :3, :3] = quat.to_matrix(r) * sc[:, None, :]
                local[:, :3, 3] = t
                local[:, 3, 3] = 1.0
            world[i] = local if i not in parent else world[parent[i]] @ local
        rest_world = {i: _rest_world(i, parent, rest_local) for i in bone_nodes.values()}
        world_rot = {}
        for bone, i in bone_nodes.items():
            g = quat.from_matrix(orthonormal(world[i][:, :3, :3]))
            g0 = quat.from_matrix(orthonormal(rest_world[i][:3, :3]))
            delta = quat.multiply(g, quat.conjugate(g0))
            world_rot[bone] = quat.multiply(quat.multiply(quat.conjugate(frame_q), delta), frame_q)
        hips = np.zeros((len(grid), 3))
        if "hips" in bone_nodes:
            i = bone_nodes["hips"]
            hips = (world[i][:, :3, 3] - rest_world[i][:3, 3]) @ frame
        face, face_animated = _face_tracks(info, tracks, grid)
        clips.append(from_world(anim.get("name") or f"animation{a}", RATE, world_rot, hips, skeleton,
                                face=face, face_animated=face_animated))
    return clips


def _face_tracks(info: RigInfo, tracks: dict, grid: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Morph weight channels mapped back onto face channels that the rig binds to a single morph."""
    slider_values: dict[str, np.ndarray] = {}
    for node, paths in tracks.items():
        if "weights" not in paths:
            continue
        mesh = info.gltf["meshes"][info.gltf["nodes"][node]["mesh"]]
        names = mesh.get("extras", {}).get("targetNames", [])
        times, values, interp = paths["weights"]
        sampled = _sample(times, values.reshape(len(times), -1), interp, grid, rotation=False)
        for k, name in enumerate(names[:sampled.shape[1]]):
            slider_values[name] = sampled[:, k]
    if not slider_values:
        return None, None
    face = np.zeros((len(grid), len(FACE_CHANNELS)))
    animated = np.zeros(len(FACE_CHANNELS), bool)
    for c, channel in enumerate(FACE_CHANNELS):
        binds = info.morphs_of(channel)
        if len(binds) == 1:
            (slider, weight), = binds.items()
            if slider in slider_values and weight > 0:
                face[:, c] = np.clip(slider_values[slider] / weight, 0.0, 1.0)
                animated[c] = True
    return (face, animated) if animated.any() else (None, None)


def _chain(i: int, parent: dict[int, int]) -> list[int]:
    out = [i]
    while out[-1] in parent:
        out.append(parent[out[-1]])
    return out


def _rest_world(i: int, parent: dict[int, int], rest_local: list[np.ndarray]) -> np.ndarray:
    m = np.eye(4)
    for k in reversed(_chain(i, parent)):
        m = m @ rest_local[k]
    return m
