"""Read a glTF/GLB/VRM file, map it onto the canonical humanoid and face channels, and prepare its JSON
for panda3d-gltf (working around the loader problems listed in the README). No Panda3D here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from ..glbfile import unpack_glb
from ..tomlfile import TomlDoc
from .expressions import BLINK, LOOK, OVERRIDES, PRESETS, ColorBind, Expression, LookRange, TextureBind
from .face import EMOTIONS, FACE_CHANNELS, VISEMES
from .frame import detect_frame
from .gltfdata import GltfData, glb_buffer
from .humanoid import BONE_NAMES, CONTROLLER_BONES, REQUIRED, VRM1_RENAMES, match_bone
from .mtoon_material import MToon, read_mtoon
from .rig_error import RigError
from .skeleton import Skeleton
from .springs import read_springs

# Visemes expressed with VRM's five mouth shapes (aa ih ou ee oh), for rigs that only have those.
VISEME_FROM_VOWELS: dict[str, dict[str, float]] = {
    "sil": {}, "PP": {}, "FF": {"ih": 0.2}, "TH": {"aa": 0.25}, "DD": {"aa": 0.3, "ih": 0.2},
    "kk": {"aa": 0.4}, "CH": {"ih": 0.4, "ou": 0.3}, "SS": {"ih": 0.4}, "nn": {"aa": 0.2},
    "RR": {"ou": 0.5}, "aa": {"aa": 1.0}, "E": {"ee": 1.0}, "ih": {"ih": 1.0}, "oh": {"oh": 1.0},
    "ou": {"ou": 1.0},
}
# Visemes from ARKit blend shapes.
VISEME_FROM_ARKIT: dict[str, dict[str, float]] = {
    "sil": {}, "PP": {"mouthClose": 0.6, "mouthPressLeft": 0.5, "mouthPressRight": 0.5},
    "FF": {"mouthRollLower": 0.6, "jawOpen": 0.1}, "TH": {"jawOpen": 0.2}, "DD": {"jawOpen": 0.3},
    "kk": {"jawOpen": 0.4}, "CH": {"jawOpen": 0.25, "mouthFunnel": 0.5}, "SS": {"jawOpen": 0.1},
    "nn": {"jawOpen": 0.2}, "RR": {"jawOpen": 0.25, "mouthPucker": 0.5}, "aa": {"jawOpen": 0.9},
    "E": {"jawOpen": 0.5, "mouthStretchLeft": 0.5, "mouthStretchRight": 0.5},
    "ih": {"jawOpen": 0.35, "mouthSmileLeft": 0.3, "mouthSmileRight": 0.3},
    "oh": {"jawOpen": 0.6, "mouthFunnel": 0.7}, "ou": {"jawOpen": 0.3, "mouthPucker": 0.9},
}
# Emotions (and the brow raise) from ARKit blend shapes; the built-in hosts have these too.
EMOTIONS_FROM_ARKIT: dict[str, dict[str, float]] = {
    "happy": {"mouthSmileLeft": 0.9, "mouthSmileRight": 0.9, "cheekSquintLeft": 0.6, "cheekSquintRight": 0.6,
              "eyeSquintLeft": 0.35, "eyeSquintRight": 0.35},
    "angry": {"browDownLeft": 1.0, "browDownRight": 1.0, "eyeSquintLeft": 0.3, "eyeSquintRight": 0.3,
              "mouthFrownLeft": 0.5, "mouthFrownRight": 0.5, "jawForward": 0.2},
    "sad": {"browInnerUp": 1.0, "mouthFrownLeft": 0.7, "mouthFrownRight": 0.7, "eyeSquintLeft": 0.15,
            "eyeSquintRight": 0.15},
    "relaxed": {"mouthSmileLeft": 0.45, "mouthSmileRight": 0.45, "cheekSquintLeft": 0.2, "cheekSquintRight": 0.2,
                "eyeSquintLeft": 0.5, "eyeSquintRight": 0.5, "browInnerUp": 0.1},
    "surprised": {"browInnerUp": 0.9, "browOuterUpLeft": 1.0, "browOuterUpRight": 1.0, "eyeWideLeft": 1.0,
                  "eyeWideRight": 1.0, "jawOpen": 0.25},
    "browUp": {"browInnerUp": 0.6, "browOuterUpLeft": 0.8, "browOuterUpRight": 0.8},
}
# A shape a rig lacks, made by another it has (the built-in hosts open the jaw with their viseme).
STAND_INS = {"jawOpen": ("aa",)}
# Surprise widens the eyes: blinks fade as it grows (VRM's "blend" override).
ARKIT_OVERRIDES = {"surprised": ("blend", "none", "none")}
# Single morphs that some rigs name after what they show.
MORPH_ALIASES = {
    "blinkLeft": ("blinkLeft", "blink_l", "eyeBlinkLeft", "blink_left"),
    "blinkRight": ("blinkRight", "blink_r", "eyeBlinkRight", "blink_right"),
    "happy": ("happy", "joy", "smile", "mouthSmile"),
    "angry": ("angry",),
    "sad": ("sad", "sorrow"),
    "relaxed": ("relaxed", "fun"),
    "surprised": ("surprised",),
    "browUp": ("browUp", "browInnerUp"),
}
VRM0_PRESETS = {"a": "aa", "i": "ih", "u": "ou", "e": "ee", "o": "oh", "blink": "blink", "blink_l": "blinkLeft",
                "blink_r": "blinkRight", "joy": "happy", "angry": "angry", "sorrow": "sad", "fun": "relaxed",
                "lookup": "lookUp", "lookdown": "lookDown", "lookleft": "lookLeft", "lookright": "lookRight",
                "neutral": "neutral"}
VRM0_COLORS = {"_Color": "color", "_EmissionColor": "emissionColor", "_ShadeColor": "shadeColor",
               "_RimColor": "rimColor", "_OutlineColor": "outlineColor"}

MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "rigs" / "mappings"



@dataclass
class RigInfo:
    path: Path
    gltf: dict                        # the JSON to hand to the loader (fixed up); buffer 0 may hold GLB bytes
    kind: str                         # "glTF 2.0", "VRM 0.x", "VRM 1.0"
    bones: dict[str, str]             # canonical bone -> rig node name
    bone_source: str
    expressions: dict[str, Expression]      # the rig's expressions: its own, and those made for it
    feed: dict[str, dict[str, float]]       # face channel -> {expression: weight}
    channel_source: str                     # where the visemes come from
    sliders: list[str]                # every morph slider name, in file order
    skinned: bool
    jaw_only: bool = False
    fixes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    animations: list[dict] = field(default_factory=list)   # glTF animations, for Cohost's clip sampler
    voice: dict = field(default_factory=dict)               # the host builder's [voice] table, if any
    look: LookRange | None = None                           # the file looks with expressions, in these ranges
    mtoon: dict[int, MToon] = field(default_factory=dict)   # material index -> its MToon, where it has one

    @property
    def missing(self) -> list[str]:
        return [b for b in BONE_NAMES if b not in self.bones]

    def morphs_of(self, channel: str) -> dict[str, float]:
        """The morph sliders a face channel moves at full weight, through the expressions it feeds (before
        any override)."""
        return channel_morphs(self.expressions, self.feed, channel)

    @property
    def custom(self) -> list[str]:
        """The rig's own expressions beyond the VRM presets and the face channels: asked for by name."""
        return [n for n in self.expressions if n not in PRESETS and n not in FACE_CHANNELS]

    def skipped_controllers(self) -> list[str]:
        skipped = [c for c, needed in CONTROLLER_BONES.items() if any(b not in self.bones for b in needed)]
        return [c for c in skipped if not (c == "gaze" and self.look)]     # eyes by expressions

    @cached_property
    def node_world(self) -> dict[int, np.ndarray]:
        """Every node's rest world matrix (GltfData.node_world), worked out once: the skeleton and the
        spring bones both stand on it."""
        return GltfData(self.gltf, self.path).node_world()


def channel_morphs(expressions: dict[str, Expression], feed: dict[str, dict[str, float]],
                   channel: str) -> dict[str, float]:
    """The morph sliders a face channel moves at full weight, through the expressions it feeds."""
    out: dict[str, float] = {}
    for name, w in feed.get(channel, {}).items():
        for slider, bw in expressions[name].morphs.items():
            out[slider] = out.get(slider, 0.0) + w * bw
    return out


def read_gltf_json(path: Path) -> dict:
    """The glTF JSON of a .gltf, .glb or .vrm file; a GLB's binary chunk rides along in buffer 0."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise RigError(f"{path}: cannot read: {e.strerror}") from None
    if raw[:4] == b"glTF":
        try:
            doc, binary = unpack_glb(raw)
        except ValueError as e:
            raise RigError(f"{path}: not a valid GLB file ({e})") from None
        if binary is not None:
            doc.setdefault("buffers", [{}])
            doc["buffers"][0] = glb_buffer(binary)
        return doc
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise RigError(f"{path}: neither GLB nor glTF JSON ({e})") from None


def _node_names(doc: dict) -> list[str]:
    names, seen = [], set()
    for i, node in enumerate(doc.get("nodes", [])):
        name = node.get("name") or f"node{i}"
        if name in seen:                      # the loader finds joints by name: keep them unique
            name = f"{name}.{i}"
        node["name"] = name
        seen.add(name)
        names.append(name)
    return names


def _set_matrix(node: dict, m: np.ndarray) -> None:
    for key in ("translation", "rotation", "scale"):
        node.pop(key, None)
    node["matrix"] = [float(v) for v in m.T.reshape(-1)]


def _push_down_skeleton_ancestors(doc: dict, fixes: list[str]) -> None:
    """The loader builds joint binds from the skeleton root's own transform and ignores the transforms
    above it (CesiumMan's Z_UP node): move those down into their children, which keeps every world
    transform as it was."""
    nodes = doc["nodes"]
    parent = {c: i for i, n in enumerate(nodes) for c in n.get("children", [])}

    def path(i: int) -> list[int]:
        out = [i]
        while out[0] in parent:
            out.insert(0, parent[out[0]])
        return out

    for skin_id, skin in enumerate(doc.get("skins", [])):
        members = list(skin.get("joints", [])) + [i for i, n in enumerate(nodes) if n.get("skin") == skin_id]
        paths = [path(i) for i in members]
        common = paths[0]
        for p in paths[1:]:
            k = 0
            while k < min(len(common), len(p)) and common[k] == p[k]:
                k += 1
            common = common[:k]
        for ancestor in common[:-1]:
            m = GltfData.local_of(nodes[ancestor])
            if np.allclose(m, np.eye(4)):
                continue
            for child in nodes[ancestor].get("children", []):
                _set_matrix(nodes[child], m @ GltfData.local_of(nodes[child]))
            _set_matrix(nodes[ancestor], np.eye(4))
            fixes.append(f"moved the transform of '{nodes[ancestor].get('name')}' into its children "
                         f"(the loader ignores transforms above a skeleton)")


def _fix_for_loader(doc: dict, fixes: list[str]) -> list[dict]:
    """Rewrite the JSON where panda3d-gltf 1.3 would drop or break the character; returns the
    animations taken out of it."""
    scene = doc.get("scenes", [{}])[doc.get("scene", 0)]
    roots = scene.get("nodes", [])
    if len(roots) > 1:
        doc["nodes"].append({"name": "cohost_root", "children": list(roots)})
        scene["nodes"] = [len(doc["nodes"]) - 1]
        doc["scenes"] = [scene]
        doc["scene"] = 0
        fixes.append(f"wrapped {len(roots)} top-level nodes under one root (skinned meshes beside the armature)")
    _push_down_skeleton_ancestors(doc, fixes)
    # Animations are sampled by Cohost's own clip sampler; the loader's is not interpolated.
    animations = doc.pop("animations", [])
    if animations:
        fixes.append("animations left to Cohost's sampler (the loader does not interpolate keys)")
    # Morph target names: take them from the mesh, else from its primitives, and keep them unique.
    used: set[str] = set()
    for mi, mesh in enumerate(doc.get("meshes", [])):
        count = max((len(p.get("targets", [])) for p in mesh.get("primitives", [])), default=0)
        if not count:
            continue
        extras = mesh.setdefault("extras", {})
        names = list(extras.get("targetNames") or [])
        if not names:
            for prim in mesh["primitives"]:
                names = list(prim.get("extras", {}).get("targetNames") or [])
                if names:
                    fixes.append(f"mesh {mesh.get('name', mi)}: morph names taken from its primitives")
                    break
        names += [str(i) for i in range(len(names), count)]
        unique = []
        for n in names[:count]:
            u = n if n not in used else f"{n}#{mi}"
            used.add(u)
            unique.append(u)
        extras["targetNames"] = unique
        if len(mesh.get("weights", [])) != count:
            mesh["weights"] = [0.0] * count
    return animations


def _vrm_bones(doc: dict, names: list[str]) -> tuple[str, dict[str, str]]:
    ext = doc.get("extensions", {})
    bones: dict[str, str] = {}
    if "VRMC_vrm" in ext:
        for bone, entry in ext["VRMC_vrm"].get("humanoid", {}).get("humanBones", {}).items():
            bone = VRM1_RENAMES.get(bone, bone)
            if bone in BONE_NAMES and isinstance(entry, dict) and 0 <= entry.get("node", -1) < len(names):
                bones[bone] = names[entry["node"]]
        return "VRM 1.0", bones
    if "VRM" in ext:
        for entry in ext["VRM"].get("humanoid", {}).get("humanBones", []):
            bone = entry.get("bone")
            if bone in BONE_NAMES and 0 <= entry.get("node", -1) < len(names):
                bones[bone] = names[entry["node"]]
        return "VRM 0.x", bones
    return "glTF 2.0", bones


def _target_name(doc: dict, mesh_index: int, target: int) -> str | None:
    meshes = doc.get("meshes", [])
    if 0 <= mesh_index < len(meshes):
        names = meshes[mesh_index].get("extras", {}).get("targetNames", [])
        if 0 <= target < len(names):
            return names[target]
    return None


def _overrides(e: dict) -> tuple[str, str, str]:
    return tuple(e.get(k) if e.get(k) in OVERRIDES else "none"
                 for k in ("overrideBlink", "overrideLookAt", "overrideMouth"))


def _vrm1_expressions(doc: dict, vrm: dict) -> dict[str, Expression]:
    out: dict[str, Expression] = {}
    for group in ("preset", "custom"):
        for name, e in vrm.get("expressions", {}).get(group, {}).items():
            morphs = {}
            for b in e.get("morphTargetBinds", []):
                node = doc["nodes"][b["node"]] if 0 <= b.get("node", -1) < len(doc["nodes"]) else {}
                t = _target_name(doc, node.get("mesh", -1), b.get("index", -1))
                if t:
                    morphs[t] = morphs.get(t, 0.0) + float(b.get("weight", 1.0))
            colors = [ColorBind(b["material"], b.get("type", "color"), tuple(b["targetValue"]))
                      for b in e.get("materialColorBinds", []) if "material" in b and len(b.get("targetValue", [])) == 4]
            textures = [TextureBind(b["material"], tuple(b.get("scale", (1.0, 1.0))), tuple(b.get("offset", (0.0, 0.0))))
                        for b in e.get("textureTransformBinds", []) if "material" in b]
            out[name] = Expression(name, morphs, colors, textures, bool(e.get("isBinary", False)), _overrides(e))
    return out


def _vrm0_expressions(doc: dict, vrm: dict) -> dict[str, Expression]:
    materials = {m.get("name"): i for i, m in enumerate(doc.get("materials", []))}
    out: dict[str, Expression] = {}
    for g in vrm.get("blendShapeMaster", {}).get("blendShapeGroups", []):
        name = VRM0_PRESETS.get(g.get("presetName", ""), g.get("name", ""))
        morphs = {}
        for b in g.get("binds", []):
            t = _target_name(doc, b.get("mesh", -1), b.get("index", -1))
            if t:
                morphs[t] = morphs.get(t, 0.0) + float(b.get("weight", 100)) / 100.0
        colors, textures = [], []
        for v in g.get("materialValues", []):
            m, prop, value = materials.get(v.get("materialName")), v.get("propertyName"), v.get("targetValue", [])
            if m is None or len(value) != 4:
                continue
            if prop in VRM0_COLORS:
                colors.append(ColorBind(m, VRM0_COLORS[prop], tuple(value)))
            elif prop == "_MainTex_ST":
                textures.append(TextureBind(m, tuple(value[:2]), tuple(value[2:])))
        if name:
            out[name] = Expression(name, morphs, colors, textures, bool(g.get("isBinary", False)))
    return out


def _look_range(vrm1: dict | None, vrm0: dict | None) -> LookRange | None:
    """The ranges of a file that looks with expressions (VRM 1.0 "expression", VRM 0.x "BlendShape")."""
    if vrm1 is not None:
        look = vrm1.get("lookAt", {})
        if look.get("type") != "expression":
            return None
        def rng(key: str) -> tuple[float, float]:
            m = look.get(key, {})
            return float(m.get("inputMaxValue", 90.0)), float(m.get("outputScale", 1.0))
        return LookRange(rng("rangeMapHorizontalOuter"), rng("rangeMapVerticalUp"), rng("rangeMapVerticalDown"))
    if vrm0 is not None:
        first = vrm0.get("firstPerson", {})
        if first.get("lookAtTypeName") != "BlendShape":
            return None
        def rng(key: str) -> tuple[float, float]:          # the curve's shape is taken as a straight line
            m = first.get(key, {})
            return float(m.get("xRange", 90.0)), float(m.get("yRange", 1.0))
        return LookRange(rng("lookAtHorizontalOuter"), rng("lookAtVerticalUp"), rng("lookAtVerticalDown"))
    return None


def _file_expressions(doc: dict) -> tuple[dict[str, Expression], LookRange | None]:
    """A VRM file's own expressions (VRM 1.0 vocabulary) and its look-at ranges, if it looks with them."""
    ext = doc.get("extensions", {})
    if "VRMC_vrm" in ext:
        return _vrm1_expressions(doc, ext["VRMC_vrm"]), _look_range(ext["VRMC_vrm"], None)
    if "VRM" in ext:
        return _vrm0_expressions(doc, ext["VRM"]), _look_range(None, ext["VRM"])
    return {}, None


def expressions_from_morphs(sliders: list[str], own: dict[str, Expression]
                            ) -> tuple[str, dict[str, Expression], dict[str, dict[str, float]]]:
    """Where the visemes come from; the rig's expressions (its own, and those made for it from its morph
    names); which expressions each face channel feeds."""
    lower = {s.lower().split("#")[0]: s for s in sliders}
    exprs = {n: e for n, e in own.items() if not e.empty}
    feed: dict[str, dict[str, float]] = {}

    def made(name: str, morphs: dict[str, float], overrides=("none", "none", "none")) -> None:
        exprs[name] = Expression(name, morphs, overrides=overrides)
        feed[name] = {name: 1.0}

    visemes = {v: lower.get(v.lower()) or lower.get(f"viseme_{v}".lower()) for v in VISEMES}
    if all(visemes.values()):
        source = "the rig's own 15 visemes"
        for v in VISEMES:
            made(v, {visemes[v]: 1.0})
    elif all(k in exprs for k in ("aa", "ih", "ou", "ee", "oh")):
        source = "VRM mouth expressions (aa ih ou ee oh)"
        feed.update({v: dict(mix) for v, mix in VISEME_FROM_VOWELS.items()})
    elif "jawopen" in lower:
        source = "ARKit blend shapes"
        for v, mix in VISEME_FROM_ARKIT.items():
            made(v, {lower[k.lower()]: w for k, w in mix.items() if k.lower() in lower})
    else:
        source = ""
    # Blinks: the file's own when they are continuous; one "blink" shared by both eyes; else morphs.
    if all(b in exprs and not exprs[b].binary for b in BLINK[1:]):
        feed.update({b: {b: 1.0} for b in BLINK[1:]})
    elif "blink" in exprs:
        feed.update({b: {"blink": 0.5} for b in BLINK[1:]})
    for channel in (*BLINK[1:], *EMOTIONS, "browUp"):
        if channel in feed:
            continue
        if channel in exprs:
            feed[channel] = {channel: 1.0}
            continue
        arkit = {}
        for shape, w in EMOTIONS_FROM_ARKIT.get(channel, {}).items():
            found = next((lower[n.lower()] for n in (shape, *STAND_INS.get(shape, ())) if n.lower() in lower), None)
            if found:
                arkit[found] = w
        if len(arkit) >= 2:
            made(channel, arkit, ARKIT_OVERRIDES.get(channel, ("none", "none", "none")))
            continue
        alias = next((lower[a.lower()] for a in MORPH_ALIASES[channel] if a.lower() in lower), None)
        if alias:
            made(channel, {alias: 1.0})
    return source, exprs, feed


def _mapping_file(path: Path, explicit: Path | None) -> Path | None:
    if explicit:
        return explicit
    for candidate in (path.with_suffix(".mapping.toml"), MAPPINGS_DIR / f"{path.stem}.toml"):
        if candidate.exists():
            return candidate
    return None


def _apply_mapping(mapping: Path, names: list[str], sliders: list[str], bones: dict[str, str],
                   exprs: dict[str, Expression], feed: dict[str, dict[str, float]]) -> bool:
    """Apply a mapping file; True when it mapped face channels."""
    doc = TomlDoc(mapping)
    doc.check_keys(doc.data, ("bones", "morphs"))
    bone_table = doc.get(doc.data, "bones", dict, "bones", default={})
    doc.check_keys(bone_table, BONE_NAMES, "bones", what="canonical bone")
    for bone, node in bone_table.items():
        if not isinstance(node, str) or node not in names:
            raise doc.error(f"no node named {node!r} in the rig", "bones", bone)
        bones[bone] = node
    morph_table = doc.get(doc.data, "morphs", dict, "morphs", default={})
    doc.check_keys(morph_table, FACE_CHANNELS, "morphs", what="face channel")
    for channel, value in morph_table.items():
        binds = {value: 1.0} if isinstance(value, str) else value
        if not isinstance(binds, dict) or any(s not in sliders for s in binds):
            raise doc.error(f"morph {value!r} is not among the rig's morphs ({', '.join(sliders) or 'none'})",
                            "morphs", channel)
        exprs[channel] = Expression(channel, {s: float(w) for s, w in binds.items()})
        feed[channel] = {channel: 1.0}
    return bool(doc.data.get("morphs"))


def load_rig_info(path: str | Path, mapping: str | Path | None = None) -> RigInfo:
    path = Path(path)
    if not path.exists():
        raise RigError(f"{path}: no such rig file")
    doc = read_gltf_json(path)
    if not isinstance(doc.get("nodes"), list) or not doc.get("scenes"):
        raise RigError(f"{path}: the glTF has no nodes or no scene")
    fixes: list[str] = []
    if path.suffix.lower() == ".vrm":
        fixes.append("read as GLB (.vrm is not a registered loader extension)")
    names = _node_names(doc)
    animations = _fix_for_loader(doc, fixes)
    kind, bones = _vrm_bones(doc, names)
    source = f"{kind} humanoid" if bones else ""
    if not bones:
        for name in names:
            bone = match_bone(name)
            if bone and bone not in bones:
                bones[bone] = name
        source = "bone name matching" if bones else ""
    sliders = [n for m in doc.get("meshes", []) for n in m.get("extras", {}).get("targetNames", [])]
    own, look = _file_expressions(doc)
    channel_source, exprs, feed = expressions_from_morphs(sliders, own)
    mapping_path = _mapping_file(path, Path(mapping) if mapping else None)
    if mapping_path:
        if _apply_mapping(mapping_path, names, sliders, bones, exprs, feed):
            channel_source = f"mapping file {mapping_path.name}"
        source = f"mapping file {mapping_path.name}" + (f" + {source}" if source else "")
    jaw_only = not any(c in feed for c in VISEMES) and "jaw" in bones
    if jaw_only:
        channel_source = "jaw bone only"
    info = RigInfo(path=path, gltf=doc, kind=kind, bones=bones, bone_source=source or "none",
                   expressions=exprs, feed=feed, channel_source=channel_source or "none", sliders=sliders,
                   skinned=bool(doc.get("skins")), jaw_only=jaw_only, fixes=fixes, animations=animations,
                   voice=dict(doc.get("extras", {}).get("cohost", {}).get("voice", {})),
                   look=look if all(n in exprs for n in LOOK) and "leftEye" not in bones else None,
                   mtoon=read_mtoon(doc, path))
    if not info.skinned and bones:
        info.fixes.append("humanoid bones are plain nodes (no skin): they are moved as nodes")
    for b in REQUIRED:
        if b not in bones:
            info.warnings.append(f"missing bone '{b}': the host cannot move its body")
    for ctrl in info.skipped_controllers():
        needed = [b for b in CONTROLLER_BONES[ctrl] if b not in bones]
        info.warnings.append(f"{ctrl} controller skipped: missing {', '.join(needed[:4])}"
                             + (f" (+{len(needed) - 4} more)" if len(needed) > 4 else ""))
    if not any(c in feed for c in VISEMES) and not jaw_only:
        info.warnings.append("no visemes and no jaw: the mouth will not move")
    return info


def rest_positions(info: RigInfo) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Rest positions of the mapped bones in the host frame (+X left, +Y up, +Z forward), and the 3x3
    taking host-frame vectors into the file's glTF space."""
    index = {n.get("name"): i for i, n in enumerate(info.gltf["nodes"])}
    pos = {bone: info.node_world[index[node]][:3, 3] for bone, node in info.bones.items() if node in index}
    frame = detect_frame(pos, default_up=(0.0, 1.0, 0.0), default_left=(1.0, 0.0, 0.0))
    return {bone: frame.T @ p for bone, p in pos.items()}, frame


def skeleton_of(info: RigInfo) -> Skeleton:
    """The canonical skeleton of a loaded rig, at its rest pose, with the rig's spring bones."""
    rest, frame = rest_positions(info)
    skeleton = Skeleton.canonical(rest)
    skeleton.springs = read_springs(info.path, info.gltf, info.node_world, info.bones, rest, frame)
    return skeleton


def host_skeleton(rig: str | Path, mapping: Path | None = None) -> Skeleton:
    """The canonical skeleton of a rig file (mapped with `mapping` when given)."""
    return skeleton_of(load_rig_info(rig, mapping))
