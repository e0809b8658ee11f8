"""`cohost inspect RIG`: what was mapped onto the canonical humanoid and face channels, and what is missing."""
from __future__ import annotations

from pathlib import Path

from .expressions import Expression
from .face import EXPRESSIONS, VISEMES
from .humanoid import BONE_NAMES, CONTROLLER_BONES, FINGERS
from .rigfile import load_rig_info, skeleton_of
from .springs import CAPSULE, Springs


def describe(path: str | Path, mapping: str | Path | None = None) -> str:
    info = load_rig_info(path, mapping)
    lines = [f"{info.path.name}: {info.kind}, {'skinned' if info.skinned else 'no skin (bones are nodes)'}",
             f"bones: {len(info.bones)}/{len(BONE_NAMES)} mapped from {info.bone_source}"]
    width = max(len(b) for b in BONE_NAMES)
    for bone in BONE_NAMES:
        if bone in info.bones:
            lines.append(f"  {bone:<{width}}  {info.bones[bone]}")
    if info.missing:
        lines.append(f"  missing: {' '.join(info.missing)}")
    fingers = sum(1 for s in ('left', 'right') for f in FINGERS if f"{s}{f}Proximal" in info.bones)
    eyes = all(e in info.bones for e in ("leftEye", "rightEye"))
    visemes = [v for v in VISEMES if v in info.feed]
    lines += [
        f"fingers: {fingers}/10 chains    eyes: {'yes' if eyes else 'no'}    jaw: {'yes' if 'jaw' in info.bones else 'no'}",
        f"visemes: {len(visemes)}/15 from {info.channel_source}" + (" (jaw rotation)" if info.jaw_only else ""),
    ]
    for v in visemes:
        binds = ", ".join(f"{s}*{w:g}" if w != 1 else s for s, w in info.morphs_of(v).items()) or "(closed mouth)"
        lines.append(f"  {v:<4} {binds}")
    for channel in EXPRESSIONS:
        fed = info.feed.get(channel)
        lines.append(f"{channel}: " + (", ".join(_describe(info.expressions[n]) for n in fed) if fed else "missing"))
    if info.custom:
        lines.append(f"custom expressions: {', '.join(info.custom)}")
    if info.look:
        side, most = info.look.horizontal
        reach = f"full at {side / most:.0f} deg to the side" if most >= 1 else f"{most:g} at {side:g} deg to the side"
        lines.append(f"look-at: by expressions (lookUp/Down/Left/Right), {reach}")
    else:
        lines.append("look-at: " + ("eye bones" if eyes else "none (no eye bones, no look expressions)"))
    lines.append(f"spring bones: {_springs(skeleton_of(info).springs)}")
    usable = [c for c in CONTROLLER_BONES if c not in info.skipped_controllers()]
    lines.append(f"controllers: {' '.join(usable) or 'none'}")
    lines += [f"loader fix: {f}" for f in info.fixes]
    lines += [f"warning: {w}" for w in info.warnings]
    return "\n".join(lines)


def _springs(s: Springs | None) -> str:
    if s is None:
        return "none"
    capsules = int((s.collider_shapes == CAPSULE).sum())
    return (f"{len(s.chains)} chains, {s.size} joints, {len(s.collider_radii)} colliders "
            f"({len(s.collider_radii) - capsules} spheres, {capsules} capsules) from {s.source}")


def _describe(e: Expression) -> str:
    """An expression in one phrase: its morphs, other binds and rules."""
    parts = [", ".join(f"{s}*{w:g}" if w != 1 else s for s, w in e.morphs.items())]
    parts += [f"{len(e.colors)} colour binds"] * bool(e.colors) + [f"{len(e.textures)} texture binds"] * bool(e.textures)
    parts += ["binary"] * e.binary
    parts += [f"{o} {g}" for o, g in zip(e.overrides, ("blink", "look-at", "mouth")) if o != "none"]
    return f"{e.name} ({'; '.join(p for p in parts if p)})"
