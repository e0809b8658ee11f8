"""`cohost inspect RIG --png`: a contact sheet that shows a studio at a glance whether an avatar is ready:
the rig from the front, the side and the back with the canonical skeleton it was mapped to drawn over the
mesh, the mapping table with what is missing, and one close-up of the face per viseme, for the blink, per
emotion and for the brow raise."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from panda3d.core import Point3

from ..figures import pyplot
from ..sets.setfile import Camera, single_host_set
from ..skeleton.face import CHANNEL_INDEX, EMOTIONS, VISEMES
from ..skeleton.humanoid import PARENT
from ..skeleton.inspect import describe
from ..skeleton.pose import Pose
from ..skeleton.rigfile import RigInfo
from .render import OffscreenRenderer

VIEWS = (("front", 0.0), ("side", 90.0), ("back", 180.0))     # camera azimuth around the host, from the front
FACE_SHAPES = VISEMES + ("blink",) + EMOTIONS + ("browUp",)
BLINK = ("blinkLeft", "blinkRight")
FOV = 30.0
VIEW_SIZE = (420, 480)


@dataclass
class SheetReport:
    problems: list[str]            # what keeps the rig from being ready; empty when it is

    @property
    def ready(self) -> bool:
        return not self.problems


def readiness(info: RigInfo) -> list[str]:
    """What a host needs and this rig lacks: every canonical bone the controllers drive, a mouth (visemes or
    a jaw), and blinks."""
    problems = []
    if info.missing:
        problems.append(f"{len(info.missing)} bones missing")
    visemes = sum(v in info.feed for v in VISEMES)
    if visemes < len(VISEMES) and not info.jaw_only:
        problems.append(f"visemes {visemes}/{len(VISEMES)}")
    if not all(b in info.feed for b in BLINK):
        problems.append("no blink")
    return problems


@dataclass
class Shots:
    views: list[tuple[str, np.ndarray, list]]          # (label, RGB, bone segments in pixels)
    faces: list[tuple[str, np.ndarray | None]]        # (shape, RGB close-up, or None where the rig lacks it)
    info: RigInfo


def shoot(rig: Path, mapping: Path | None = None) -> Shots:
    """The rig in its rest pose from every view, and its face in every shape."""
    with OffscreenRenderer(single_host_set(rig, mapping), VIEW_SIZE) as r:
        character = r.stage.hosts[0].character
        character.apply(Pose.rest())
        lo, hi = (np.array(p) for p in character.root.get_tight_bounds(r.scene))
        joints = {name: np.array(r.scene.get_relative_point(character.root, Point3(*p)))
                  for name, p in character.bone_positions().items()}
        views = [(label, *_view(r, lo, hi, azimuth, joints)) for label, azimuth in VIEWS]
        return Shots(views, _faces(r, character, lo, hi, joints), character.info)


def rig_sheet(rig: str | Path, out: str | Path, mapping: str | Path | None = None) -> SheetReport:
    plt = pyplot()
    rig, mapping = Path(rig), Path(mapping) if mapping else None
    shots = shoot(rig, mapping)
    problems = readiness(shots.info)
    fig = plt.figure(figsize=(16, 11.5))
    left, right = fig.subfigures(1, 2, width_ratios=(3.1, 1))
    top, bottom = left.subfigures(2, 1, height_ratios=(1.3, 1.6))
    top.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9, wspace=0.04)
    bottom.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9, wspace=0.06, hspace=0.22)
    for ax, (label, image, bones) in zip(top.subplots(1, 3), shots.views):
        ax.imshow(image)
        for a, b in bones:
            ax.plot([a[0], b[0]], [a[1], b[1]], color="#18e06a", lw=1.4, alpha=0.9)
        dots = np.array([p for pair in bones for p in pair]) if bones else np.zeros((0, 2))
        ax.scatter(dots[:, 0], dots[:, 1], s=6, color="#ffe14d", zorder=3)
        ax.set_title(label, fontsize=11)
        ax.axis("off")
    face_axes = bottom.subplots(3, 8).ravel()
    for ax in face_axes[len(shots.faces):]:
        ax.axis("off")
    for ax, (shape, image) in zip(face_axes, shots.faces):
        if image is None:                       # a grey tile the size of the others
            ax.imshow(np.full((VIEW_SIZE[0], VIEW_SIZE[0], 3), 58, np.uint8))
            ax.text(0.5, 0.5, "missing", color="#ff6b5b", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.imshow(image)
        ax.axis("off")
        ax.set_title(shape, fontsize=10, color="black" if image is not None else "#c0392b")
    table = "\n".join(part for line in describe(rig, mapping).splitlines()
                      for part in textwrap.wrap(line, 64, subsequent_indent="      ", drop_whitespace=False) or [""])
    # The whole table in its column: the more lines a rig needs, the smaller the type.
    lines = table.count("\n") + 1
    right.text(0.02, 0.99, table, family="monospace", fontsize=min(6.3, fig.get_figheight() * 72 / (1.45 * lines)),
               va="top")
    verdict = "ready" if not problems else "not ready: " + ", ".join(problems)
    title = f"{rig.name}: {verdict}"
    fig.suptitle(title, fontsize=min(15.0, 15.0 * 70 / len(title)), color="#1e8449" if not problems else "#c0392b",
                 x=0.38)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return SheetReport(problems)


def _view(r: OffscreenRenderer, lo: np.ndarray, hi: np.ndarray, azimuth: float,
          joints: dict[str, np.ndarray]) -> tuple[np.ndarray, list]:
    """The whole rig from `azimuth` degrees around it, and its bones as pixel segments (child, parent)."""
    centre = (lo + hi) / 2
    half = 0.55 * max(hi[2] - lo[2], (hi[0] - lo[0]) * VIEW_SIZE[1] / VIEW_SIZE[0], 1e-3)
    distance = half / np.tan(np.radians(FOV) / 2) + 0.5 * (hi[1] - lo[1])
    a = np.radians(azimuth)
    r.aim(Camera("view", tuple(centre + distance * np.array([np.sin(a), -np.cos(a), 0.0])), tuple(centre), FOV),
          near=distance * 0.02)
    pixel = {name: np.array(r.project(p, p)[:2], float) for name, p in joints.items()}
    bones = []
    for name in pixel:
        parent = PARENT.get(name)
        while parent is not None and parent not in pixel:
            parent = PARENT.get(parent)        # a bone the rig lacks: draw to the nearest mapped ancestor
        if parent is not None:
            bones.append((pixel[name], pixel[parent]))
    return r.frame().copy(), bones


def _faces(r: OffscreenRenderer, character, lo: np.ndarray, hi: np.ndarray,
           joints: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray | None]]:
    """A close-up of the face per viseme, for the blink and per expression (None where the rig has no such
    shape)."""
    head = joints.get("head", (lo + hi) / 2)
    height = max(hi[2] - head[2], 0.05 * (hi[2] - lo[2]))       # from the head joint to the top of the head
    centre = np.array([head[0], head[1], head[2] + 0.45 * height])
    distance = 0.9 * height / np.tan(np.radians(FOV) / 2)
    r.aim(Camera("face", tuple(centre + np.array([0.0, -distance, 0.0])), tuple(centre), FOV), near=distance * 0.1)
    w, h = VIEW_SIZE
    crop = slice((h - w) // 2, (h - w) // 2 + w)
    out = []
    for shape in FACE_SHAPES:
        channels = BLINK if shape == "blink" else (shape,)
        jaw = character.info.jaw_only and shape in VISEMES
        if not all(c in character.info.feed for c in channels) and not jaw:
            out.append((shape, None))
            continue
        pose = Pose.rest()
        for c in channels:
            pose.face[CHANNEL_INDEX[c]] = 1.0
        character.apply(pose)
        out.append((shape, r.frame()[crop].copy()))
    character.apply(Pose.rest())
    return out
