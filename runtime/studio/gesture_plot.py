"""A picture of a performed gesture for animators tuning a lexicon: the wrist's path from the front and in
3D, its speed, the arm and finger joint angles over time, the face's blinks, emotions and brows and, when
a line is said, the viseme track, with the phases shaded. Two takes (two expressivities or two versions) are drawn over each other."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import pyplot, save
from ..gesture.planner import Planned
from ..skeleton import quat
from ..skeleton.face import CHANNEL_INDEX, EXPRESSIONS, VISEMES
from ..skeleton.skeleton import Skeleton
from .lab import Take

PHASE_COLOURS = {"prep": "#9ecae1", "stroke": "#fb6a4a", "hold": "#fdd0a2", "retract": "#c7e9c0"}
JOINTS = (("UpperArm", "shoulder"), ("LowerArm", "elbow"), ("Hand", "wrist"), ("IndexIntermediate", "index PIP"),
          ("MiddleIntermediate", "middle PIP"))
JOINT_COLOURS = ("#08519c", "#a50f15", "#006d2c", "#54278f", "#8c6d31")
TAKE_COLOURS = ("#333333", "#e6550d")          # the first take, the one compared with it
TAKE_STYLES = ("-", "--")
FACE_COLOURS = ("#969696", "#636363", "#e6550d", "#a50f15", "#3182bd", "#31a354", "#756bb1", "#8c6d31")


def phase_spans(p: Planned, offset: float = 0.0) -> list[tuple[float, float, str]]:
    """(start, end, phase) over the plan's steps; a handed-over step holds until the next one's stroke."""
    spans = []
    for s in p.steps:
        spans += [(s.prep_start, s.stroke_start, "prep"), (s.stroke_start, s.stroke_end, "stroke"),
                  (s.stroke_end, s.end if s.handover else s.hold_end, "hold")]
        if not s.handover:
            spans.append((s.hold_end, s.end, "retract"))
    return [(a + offset, b + offset, name) for a, b, name in spans if b > a]


def path_length(positions: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(positions, axis=0), axis=-1).sum())


def plot_takes(takes: list[tuple[str, Take]], skeleton: Skeleton, rate: int, path: str | Path,
               title: str = "") -> None:
    """One figure for one or two labelled takes of the same gesture; phases shaded for the first."""
    plt = pyplot()
    first = takes[0][1]
    speaking = any(t.line is not None for _, t in takes)
    spans = phase_spans(first.planned, first.offset_s)
    fig = plt.figure(figsize=(12, 12 if speaking else 10))
    rows = [2.2, 1, 1.3, 0.9] + ([1.2] if speaking else [])
    grid = fig.add_gridspec(len(rows), 2, height_ratios=rows)
    front, space = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1], projection="3d")
    speed_ax, angle_ax = fig.add_subplot(grid[1, :]), fig.add_subplot(grid[2, :])
    end = max(t.ticks for _, t in takes) / rate
    for k, (label, take) in enumerate(takes):
        _wrists(front, space, speed_ax, take, skeleton, label, k, rate, spans if k == 0 else None)
        sides = sorted(take.planned.hands)[:1 if len(takes) > 1 else 2]   # comparing: the leading hand only
        for side in sides:
            for (joint, name), colour in zip(JOINTS, JOINT_COLOURS):
                q = take.rotations[:, skeleton.index(f"{side}{joint}")]
                angle = np.degrees(quat.angle_between(q, np.broadcast_to(quat.IDENTITY, q.shape)))
                style = TAKE_STYLES[k] if len(takes) > 1 else ("-", "--")[sides.index(side)]
                angle_ax.plot(np.arange(take.ticks) / rate, angle, style, color=colour, lw=1,
                              label=f"{side} {name}" if k == 0 else None)
        if k > 0:                                  # where the compared take's strokes fall
            for ax in (speed_ax, angle_ax):
                for a, b, name in phase_spans(take.planned, take.offset_s):
                    if name == "stroke":
                        ax.axvline(a, color=TAKE_COLOURS[1], ls=":", lw=1.2)
                        ax.axvline(b, color=TAKE_COLOURS[1], ls=":", lw=1.2)
    body = first.positions[0]
    front.scatter(body[:, 0], body[:, 1], s=4, color="#ccc", zorder=0)
    front.set_aspect("equal")
    front.set_xlabel("x: host's left (m)")
    front.set_ylabel("y: up (m)")
    front.set_title("wrist path, front (o = start)", fontsize=9)
    front.legend(fontsize=7, loc="lower left", markerscale=2)
    space.scatter(body[:, 0], body[:, 2], body[:, 1], s=3, color="#bbb")
    space.set_xlabel("left (m)", fontsize=8)
    space.set_ylabel("forward (m)", fontsize=8)
    space.set_zlabel("up (m)", fontsize=8)
    space.view_init(elev=18, azim=-62)
    space.set_title("wrist path in 3D", fontsize=9)
    axes = [speed_ax, angle_ax, _face(fig.add_subplot(grid[3, :]), first, rate)]
    if speaking:
        axes.append(_visemes(fig.add_subplot(grid[4, :]), first, rate))
    for ax in axes[:2]:
        for a, b, name in spans:
            ax.axvspan(a, b, color=PHASE_COLOURS[name], alpha=0.45, lw=0)
    for ax in axes:
        ax.set_xlim(0, end)
    speed_ax.legend(fontsize=7, loc="upper right")
    angle_ax.legend(fontsize=7, loc="upper right", ncol=2)
    if len(takes) > 1:
        angle_ax.set_title("   ".join(f"{style}  {label}" for style, (label, _) in zip(("solid:", "dashed:"), takes)),
                           fontsize=8)
    speed_ax.set_ylabel("wrist speed (m/s)")
    angle_ax.set_ylabel("rotation from rest (deg)")
    axes[-1].set_xlabel("seconds")
    save(fig, path, title, dpi=100)


def _wrists(front, space, speed_ax, take: Take, skeleton: Skeleton, label: str, k: int, rate: int, spans) -> None:
    """The take's wrist paths (coloured by phase for the first take) and speeds."""
    t = np.arange(take.ticks) / rate
    for side, style in zip(sorted(take.planned.hands), ("-", "--")):
        wrist = take.positions[:, skeleton.index(f"{side}Hand")]
        colour = TAKE_COLOURS[k]
        front.plot(wrist[:, 0], wrist[:, 1], style, color="#999" if k == 0 else colour, lw=0.8 if k == 0 else 1.2,
                   label=f"{label} {side}".strip() if k else None)
        space.plot(wrist[:, 0], wrist[:, 2], wrist[:, 1], style, color=colour, lw=1)
        if spans is not None:
            for name, phase_colour in PHASE_COLOURS.items():
                mask = np.array([any(a <= x < b and n == name for a, b, n in spans) for x in t])
                front.scatter(wrist[mask, 0], wrist[mask, 1], s=6, color=phase_colour,
                              label=name if side == sorted(take.planned.hands)[0] else None)
        front.plot(*wrist[0, [0, 1]], "ko", ms=4)
        speed = np.linalg.norm(np.gradient(wrist, 1 / rate, axis=0), axis=-1)
        speed_ax.plot(t, speed, style, color=colour, lw=1,
                      label=f"{label} {side} wrist ({path_length(wrist):.2f} m path)".strip())


def _face(ax, take: Take, rate: int):
    """The face channels beyond the mouth over time: blinks, emotions, brows."""
    t = np.arange(take.ticks) / rate
    for name, colour in zip(EXPRESSIONS, FACE_COLOURS):
        weights = take.face[:, CHANNEL_INDEX[name]]
        if name != "blinkRight" or not np.allclose(weights, take.face[:, CHANNEL_INDEX["blinkLeft"]]):
            ax.plot(t, weights, color=colour, lw=1, label=name if name != "blinkLeft" else "blinks")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("face")
    ax.legend(fontsize=7, loc="upper right", ncol=len(EXPRESSIONS))
    return ax


def _visemes(ax, take: Take, rate: int):
    """The viseme weights over time (one row per viseme) with the gesture's stroke marked."""
    weights = take.face[:, :len(VISEMES)].T
    ax.imshow(weights, aspect="auto", origin="lower", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
              extent=(0, take.ticks / rate, -0.5, len(VISEMES) - 0.5))
    ax.set_yticks(range(len(VISEMES)), VISEMES, fontsize=6)
    ax.set_ylabel("visemes")
    for t, label in take.marks():                  # the gesture's phases over the speech
        name = label.split()[0]
        ax.axvline(t, color=PHASE_COLOURS.get(name, "#777"), lw=1.5)
        ax.text(t, len(VISEMES) - 0.5, f" {label}", fontsize=6, va="bottom", rotation=90)
    if take.line is not None:
        ax.set_title(f"“{take.line.utterance.text}”", fontsize=8, pad=22)
    return ax
