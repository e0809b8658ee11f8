"""A rig's spring bones (hair, skirts, accessories), read from its glTF JSON: VRM 0.x
`extensions.VRM.secondaryAnimation` or VRM 1.0 `extensions.VRMC_springBone` (in any glTF, not only .vrm).

What comes out is rest geometry in the host frame of the canonical skeleton (+X left, +Y up, +Z forward),
normalised as the humanoid is: every spring joint's rest rotation is the identity, so a joint's pose is one
local rotation that the scene maps onto the rig joint as it maps the humanoid's. Each joint hangs from the
nearest spring joint above it, else from the nearest humanoid bone (else from the host's origin); colliders
ride on the nearest humanoid bone at or above their node. No Panda3D and no simulation here
(runtime/controllers/springs.py simulates).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .gltfdata import GltfData
from .pose import BONE_INDEX
from .rig_error import RigError

ROOT = -1                   # a joint or collider that hangs from the host's origin (no humanoid bone above it)
NO_CENTER = -2              # a chain simulated in set coordinates (no center node)
VRM0_END_LENGTH = 0.07      # VRM 0.x: a chain's last joint gets a tail this long, along its own offset
SPHERE, CAPSULE = 0, 1

# VRM 1.0 defaults (VRMC_springBone schema); VRM 0.x groups give every value.
VRM1_DEFAULTS = {"hitRadius": 0.0, "stiffness": 1.0, "gravityPower": 0.0, "gravityDir": [0.0, -1.0, 0.0],
                 "dragForce": 0.5}


@dataclass
class Springs:
    """A rig's spring joints in chain order (a joint's spring parent comes before it) and its colliders."""
    source: str                     # "VRM 0.x secondaryAnimation" or "VRMC_springBone"
    chains: list[str]               # a name per spring (VRM 1.0) or bone group (VRM 0.x)
    nodes: list[str]                # (K,) each joint's rig node name
    chain: np.ndarray               # (K,) which chain each joint belongs to
    parents: np.ndarray             # (K,) the spring joint it hangs from, else -1
    bones: np.ndarray               # (K,) the canonical bone it hangs from when parents is -1, else ROOT
    offsets: np.ndarray             # (K, 3) rest position from the parent's (joint's or bone's) rest position
    tails: np.ndarray               # (K, 3) rest tail - rest position: the direction and length it keeps
    stiffness: np.ndarray           # (K,)
    drag: np.ndarray                # (K,)
    gravity_power: np.ndarray       # (K,)
    gravity_dir: np.ndarray         # (K, 3) host frame
    hit_radius: np.ndarray          # (K,)
    center_bones: np.ndarray        # (K,) the canonical bone of the chain's center node, ROOT, or -2: none
    center_offsets: np.ndarray      # (K, 3) the center node's rest position from that bone's
    collider_start: np.ndarray      # (K + 1,) joint k collides with collider_index[start[k]:start[k + 1]]
    collider_index: np.ndarray
    collider_bones: np.ndarray      # (C,) the canonical bone each collider rides on, or ROOT
    collider_shapes: np.ndarray     # (C,) SPHERE or CAPSULE
    collider_heads: np.ndarray      # (C, 3) sphere centre / capsule start, rest, from the bone's rest position
    collider_tails: np.ndarray      # (C, 3) capsule end (a sphere's: its centre), likewise
    collider_radii: np.ndarray      # (C,)
    rest_positions: np.ndarray      # (K, 3) each joint at rest, host frame
    collider_rest: np.ndarray       # (C, 3) each collider's centre (capsule start) at rest, host frame

    @property
    def size(self) -> int:
        return len(self.nodes)


class _Reader:
    """The shared work of both formats: node lookups, the file's frame, and errors that name the file."""

    def __init__(self, path: Path, doc: dict, world: dict[int, np.ndarray], bones: dict[str, str],
                 rest: dict[str, np.ndarray], frame: np.ndarray, where: str) -> None:
        self.path, self.doc, self.where = path, doc, where
        self.nodes = self.doc["nodes"]
        self.to_host = frame.T                                    # glTF space -> host frame
        self.world = world
        self.parent = {c: i for i, n in enumerate(self.nodes) for c in n.get("children", [])}
        self.bone_of = {name: BONE_INDEX[b] for b, name in bones.items() if b in BONE_INDEX}
        self.bone_rest = {BONE_INDEX[b]: np.asarray(p, float) for b, p in rest.items()}

    def fail(self, at: str, what: str) -> RigError:
        return RigError(f"{self.path}: {self.where} {at}: {what}")

    def node(self, value, at: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(self.nodes):
            raise self.fail(at, f"no node {value!r} (the file has nodes 0..{len(self.nodes) - 1})")
        return value

    def number(self, value, at: str, low: float = 0.0) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value) or value < low:
            raise self.fail(at, f"expected a number >= {low:g}, got {value!r}")
        return float(value)

    def vector(self, value, at: str) -> np.ndarray:
        if isinstance(value, dict):                               # VRM 0.x writes {"x": .., "y": .., "z": ..}
            value = [value.get(k, 0.0) for k in "xyz"]
        if not isinstance(value, list) or len(value) != 3 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise self.fail(at, f"expected three numbers, got {value!r}")
        return np.array(value, float)

    def point(self, i: int, local: np.ndarray | None = None) -> np.ndarray:
        """Node i's rest position (or a point in its local space), host frame."""
        m = self.world[i]
        p = m[:3, 3] if local is None else m[:3, :3] @ local + m[:3, 3]
        return self.to_host @ p

    def direction(self, v: np.ndarray) -> np.ndarray:
        return self.to_host @ v

    def bone_above(self, i: int | None) -> int:
        """The canonical bone of node i or its nearest mapped ancestor; ROOT when there is none."""
        while i is not None:
            name = self.nodes[i].get("name")
            if name in self.bone_of:
                return self.bone_of[name]
            i = self.parent.get(i)
        return ROOT

    def from_bone(self, bone: int, p: np.ndarray) -> np.ndarray:
        return p - self.bone_rest[bone] if bone != ROOT else p

    def depth(self, i: int) -> int:
        d = 0
        while i in self.parent:
            i, d = self.parent[i], d + 1
        return d


@dataclass
class _Joint:
    node: int
    tail: np.ndarray             # host frame, rest tail - rest position
    chain: int
    settings: tuple[float, float, float, np.ndarray, float]   # stiffness, drag, gravity power, dir, hit radius
    colliders: list[int]
    center: int | None


def read_springs(path: Path, doc: dict, world: dict[int, np.ndarray], bones: dict[str, str],
                 rest: dict[str, np.ndarray], frame: np.ndarray) -> Springs | None:
    """The spring bones of a rig's glTF `doc` (VRMC_springBone first, else VRM 0.x secondaryAnimation), or
    None when it has none; `world` is RigInfo.node_world, `bones` maps humanoid bones to its node names,
    `rest` and `frame` are rigfile.rest_positions. Raises RigError naming the file for a spring that points at
    no node, a negative radius, or a malformed value."""
    ext = doc.get("extensions", {})
    if "VRMC_springBone" in ext:
        r = _Reader(path, doc, world, bones, rest, frame, "VRMC_springBone")
        joints, colliders, chains = _vrm1(r, ext["VRMC_springBone"])
        source = "VRMC_springBone"
    elif isinstance(ext.get("VRM"), dict) and "secondaryAnimation" in ext["VRM"]:
        r = _Reader(path, doc, world, bones, rest, frame, "VRM secondaryAnimation")
        joints, colliders, chains = _vrm0(r, ext["VRM"]["secondaryAnimation"])
        source = "VRM 0.x secondaryAnimation"
    else:
        return None
    if not joints:
        return None
    return _assemble(r, source, chains, joints, colliders)


def _vrm1(r: _Reader, ext: dict) -> tuple[list[_Joint], list[tuple], list[str]]:
    colliders = []
    for c, col in enumerate(ext.get("colliders", [])):
        at = f"colliders[{c}]"
        node = r.node(col.get("node"), f"{at}.node")
        shape = col.get("shape", {})
        if "sphere" in shape:
            s = shape["sphere"]
            head = r.vector(s.get("offset", [0.0, 0.0, 0.0]), f"{at}.shape.sphere.offset")
            colliders.append((node, SPHERE, head, head, r.number(s.get("radius", 0.0), f"{at}.shape.sphere.radius")))
        elif "capsule" in shape:
            s = shape["capsule"]
            head = r.vector(s.get("offset", [0.0, 0.0, 0.0]), f"{at}.shape.capsule.offset")
            tail = r.vector(s.get("tail", [0.0, 0.0, 0.0]), f"{at}.shape.capsule.tail")
            colliders.append((node, CAPSULE, head, tail, r.number(s.get("radius", 0.0), f"{at}.shape.capsule.radius")))
        else:
            raise r.fail(f"{at}.shape", f"expected a sphere or a capsule, got {sorted(shape)!r}")
    groups = []
    for g, group in enumerate(ext.get("colliderGroups", [])):
        members = group.get("colliders", [])
        for k, c in enumerate(members):
            if not isinstance(c, int) or not 0 <= c < len(colliders):
                raise r.fail(f"colliderGroups[{g}].colliders[{k}]", f"no collider {c!r} (the file has {len(colliders)})")
        groups.append(list(members))
    joints: list[_Joint] = []
    chains = []
    for s, spring in enumerate(ext.get("springs", [])):
        chains.append(spring.get("name") or f"spring {s}")
        used = _groups_colliders(r, spring.get("colliderGroups", []), groups, f"springs[{s}].colliderGroups")
        center = r.node(spring["center"], f"springs[{s}].center") if "center" in spring else None
        schema = spring.get("joints", [])
        nodes = [r.node(j.get("node"), f"springs[{s}].joints[{k}].node") for k, j in enumerate(schema)]
        for k, j in enumerate(schema[:-1]):              # the last joint is only the tail of the one before
            at = f"springs[{s}].joints[{k}]"
            v = {key: j.get(key, default) for key, default in VRM1_DEFAULTS.items()}
            settings = (r.number(v["stiffness"], f"{at}.stiffness"), r.number(v["dragForce"], f"{at}.dragForce"),
                        r.number(v["gravityPower"], f"{at}.gravityPower"),
                        r.direction(r.vector(v["gravityDir"], f"{at}.gravityDir")),
                        r.number(v["hitRadius"], f"{at}.hitRadius"))
            joints.append(_Joint(nodes[k], r.point(nodes[k + 1]) - r.point(nodes[k]), s, settings, used, center))
    return joints, colliders, chains


def _vrm0(r: _Reader, sa: dict) -> tuple[list[_Joint], list[tuple], list[str]]:
    colliders, groups = [], []
    for g, group in enumerate(sa.get("colliderGroups", [])):
        node = r.node(group.get("node"), f"colliderGroups[{g}].node")
        members = []
        for k, col in enumerate(group.get("colliders", [])):
            at = f"colliderGroups[{g}].colliders[{k}]"
            offset = r.vector(col.get("offset", [0.0, 0.0, 0.0]), f"{at}.offset")
            offset[2] = -offset[2]          # VRM 0.x stores collider offsets with Z reversed (as three-vrm reads them)
            members.append(len(colliders))
            colliders.append((node, SPHERE, offset, offset, r.number(col.get("radius", 0.0), f"{at}.radius")))
        groups.append(members)
    joints: list[_Joint] = []
    chains = []
    seen: set[int] = set()
    for b, group in enumerate(sa.get("boneGroups", [])):
        at = f"boneGroups[{b}]"
        chains.append(group.get("comment") or f"bone group {b}")
        used = _groups_colliders(r, group.get("colliderGroups", []), groups, f"{at}.colliderGroups")
        center = group.get("center", -1)
        center = None if center == -1 or center is None else r.node(center, f"{at}.center")
        settings = (r.number(group.get("stiffiness", group.get("stiffness", 1.0)), f"{at}.stiffiness"),
                    r.number(group.get("dragForce", 0.4), f"{at}.dragForce"),
                    r.number(group.get("gravityPower", 0.0), f"{at}.gravityPower"),
                    r.direction(r.vector(group.get("gravityDir", [0.0, -1.0, 0.0]), f"{at}.gravityDir")),
                    r.number(group.get("hitRadius", 0.0), f"{at}.hitRadius"))
        for k, root in enumerate(group.get("bones", [])):
            stack = [r.node(root, f"{at}.bones[{k}]")]
            while stack:                                    # the root and everything under it, each a joint
                i = stack.pop()
                children = r.nodes[i].get("children", [])
                stack.extend(reversed(children))
                if i in seen:
                    continue
                seen.add(i)
                if children:
                    tail = r.point(children[0]) - r.point(i)
                else:
                    own = GltfData.local_of(r.nodes[i])[:3, 3]
                    n = np.linalg.norm(own)
                    local = own / n * VRM0_END_LENGTH if n > 1e-9 else np.array([0.0, -VRM0_END_LENGTH, 0.0])
                    tail = r.point(i, local) - r.point(i)
                joints.append(_Joint(i, tail, b, settings, used, center))
    return joints, colliders, chains


def _groups_colliders(r: _Reader, indices, groups: list[list[int]], at: str) -> list[int]:
    out: list[int] = []
    for k, g in enumerate(indices):
        if not isinstance(g, int) or not 0 <= g < len(groups):
            raise r.fail(f"{at}[{k}]", f"no collider group {g!r} (the file has {len(groups)})")
        out += [c for c in groups[g] if c not in out]
    return out


def _assemble(r: _Reader, source: str, chains: list[str], joints: list[_Joint], colliders: list[tuple]) -> Springs:
    # A node listed twice is simulated once (its first listing); parents before children.
    unique: dict[int, _Joint] = {}
    for j in joints:
        unique.setdefault(j.node, j)
    ordered = sorted(unique.values(), key=lambda j: r.depth(j.node))
    index = {j.node: k for k, j in enumerate(ordered)}
    K = len(ordered)
    parents, bones = np.full(K, -1), np.full(K, ROOT)
    offsets, rest = np.zeros((K, 3)), np.array([r.point(j.node) for j in ordered])
    center_bones, center_offsets = np.full(K, NO_CENTER), np.zeros((K, 3))
    for k, j in enumerate(ordered):
        above = r.parent.get(j.node)
        while above is not None and above not in index and r.nodes[above].get("name") not in r.bone_of:
            above = r.parent.get(above)
        if above is not None and above in index:
            parents[k] = index[above]
            offsets[k] = rest[k] - rest[parents[k]]
        else:
            bones[k] = r.bone_above(above)
            offsets[k] = r.from_bone(bones[k], rest[k])
        if j.center is not None:
            center_bones[k] = r.bone_above(j.center)
            center_offsets[k] = r.from_bone(center_bones[k], r.point(j.center))
    start = np.cumsum([0] + [len(j.colliders) for j in ordered])
    c_bones = np.array([r.bone_above(node) for node, *_ in colliders], int).reshape(-1)
    heads = np.array([r.point(node, head) for node, _, head, _, _ in colliders]).reshape(-1, 3)
    tails = np.array([r.point(node, tail) for node, _, _, tail, _ in colliders]).reshape(-1, 3)
    return Springs(
        source=source, chains=chains, nodes=[r.nodes[j.node]["name"] for j in ordered],
        chain=np.array([j.chain for j in ordered]), parents=parents, bones=bones, offsets=offsets,
        tails=np.array([j.tail for j in ordered]),
        stiffness=np.array([j.settings[0] for j in ordered]), drag=np.array([j.settings[1] for j in ordered]),
        gravity_power=np.array([j.settings[2] for j in ordered]),
        gravity_dir=np.array([j.settings[3] for j in ordered]), hit_radius=np.array([j.settings[4] for j in ordered]),
        center_bones=center_bones, center_offsets=center_offsets,
        collider_start=start, collider_index=np.array([c for j in ordered for c in j.colliders], int),
        collider_bones=c_bones, collider_shapes=np.array([shape for _, shape, *_ in colliders], int),
        collider_heads=np.array([r.from_bone(b, p) for b, p in zip(c_bones, heads)]).reshape(-1, 3),
        collider_tails=np.array([r.from_bone(b, p) for b, p in zip(c_bones, tails)]).reshape(-1, 3),
        collider_radii=np.array([radius for *_, radius in colliders], float),
        rest_positions=rest, collider_rest=heads)
