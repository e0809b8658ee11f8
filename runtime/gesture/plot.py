"""A picture of one performed gesture: the wrist's path from the front and from above, its speed, and
the arm and finger joint angles over time, with the phases shaded, for animators tuning a lexicon."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import pyplot, save
from ..skeleton import quat
from ..skeleton.skeleton import Skeleton
from .planner import Planned

PHASE_COLOURS = {"prep": "#9ecae1", "stroke": "#fb6a4a", "hold": "#fdd0a2", "retract": "#c7e9c0"}
JOINTS = (("UpperArm", "shoulder"), ("LowerArm", "elbow"), ("Hand", "wrist"), ("IndexIntermediate", "index PIP"),
          ("MiddleIntermediate", "middle PIP"))


def phase_spans(p: Planned) -> list[tuple[float, float, str]]:
    """(start, end, phase) over the plan's steps; a handed-over step holds until the next one's stroke."""
    spans = []
    for s in p.steps:
        spans += [(s.prep_start, s.stroke_start, "prep"), (s.stroke_start, s.stroke_end, "stroke"),
                  (s.stroke_end, s.end if s.handover else s.hold_end, "hold")]
        if not s.handover:
            spans.append((s.hold_end, s.end, "retract"))
    return [sp for sp in spans if sp[1] > sp[0]]


def path_length(positions: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(positions, axis=0), axis=-1).sum())


def plot_gesture(p: Planned, rotations: np.ndarray, positions: np.ndarray, skeleton: Skeleton, rate: int,
                 path: str | Path, title: str = "") -> None:
    plt = pyplot()

    sides = sorted(p.hands)
    t = np.arange(len(rotations)) / rate
    spans = phase_spans(p)

    def phase_of(time: float) -> str | None:
        return next((name for a, b, name in spans if a <= time < b), None)

    fig = plt.figure(figsize=(12, 8))
    grid = fig.add_gridspec(3, 2, height_ratios=[2.2, 1, 1.3])
    front, top = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    speed_ax, angle_ax = fig.add_subplot(grid[1, :]), fig.add_subplot(grid[2, :])
    for side, style in zip(sides, ("-", "--")):
        wrist = positions[:, skeleton.index(f"{side}Hand")]
        for ax, (a, b) in ((front, (0, 1)), (top, (0, 2))):
            ax.plot(wrist[:, a], wrist[:, b], style, color="#999", lw=0.8)
            for name, colour in PHASE_COLOURS.items():
                mask = np.array([phase_of(x) == name for x in t])
                ax.scatter(wrist[mask, a], wrist[mask, b], s=6, color=colour, label=name if side == sides[0] else None)
            ax.plot(*wrist[0, [a, b]], "ko", ms=4)
        speed = np.linalg.norm(np.gradient(wrist, 1 / rate, axis=0), axis=-1)
        speed_ax.plot(t, speed, style, color="#333", lw=1, label=f"{side} wrist ({path_length(wrist):.2f} m path)")
        for (joint, label), colour in zip(JOINTS, ("#08519c", "#a50f15", "#006d2c", "#54278f", "#8c6d31")):
            q = rotations[:, skeleton.index(f"{side}{joint}")]
            angle = np.degrees(quat.angle_between(q, np.broadcast_to(quat.IDENTITY, q.shape)))
            angle_ax.plot(t, angle, style, color=colour, lw=1, label=f"{side} {label}")
    body = positions[0]
    for ax, (a, b), labels in ((front, (0, 1), ("x: host's left (m)", "y: up (m)")),
                               (top, (0, 2), ("x: host's left (m)", "z: forward (m)"))):
        ax.scatter(body[:, a], body[:, b], s=4, color="#ccc", zorder=0)
        ax.set_aspect("equal")
        ax.set_xlabel(labels[0])
        ax.set_ylabel(labels[1])
    front.set_title("wrist path, front (o = start)", fontsize=9)
    top.set_title("wrist path, from above", fontsize=9)
    front.legend(fontsize=7, loc="lower left", markerscale=2)
    for ax in (speed_ax, angle_ax):
        for a, b, name in spans:
            ax.axvspan(a, b, color=PHASE_COLOURS[name], alpha=0.45, lw=0)
        ax.legend(fontsize=7, loc="upper right", ncol=2)
        ax.set_xlim(0, t[-1])
    speed_ax.set_ylabel("wrist speed (m/s)")
    angle_ax.set_ylabel("rotation from rest (deg)")
    angle_ax.set_xlabel("seconds")
    save(fig, path, title, dpi=100)
