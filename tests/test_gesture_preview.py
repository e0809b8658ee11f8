"""Previews for animators: the lexicon reloads while a gesture loops, bad edits keep the last good version,
and `cohost gesture NAME` writes its plot and picture strip."""
import os
import subprocess
import sys

import numpy as np
from panda3d.core import PNMImage

from runtime.controllers.idle import IdleController
from runtime.gesture.preview import GestureLoop, LexiconWatcher, cycle_plan, cycle_ticks
from runtime.gesture.realize import GestureDriver
from runtime.motion_cmd import host_skeleton

from helpers import PROJECT

GESTURE = """gesture lift {
    hands: right
    shape: open_palm
    location: %s centre middle
    phases: prep 0.3, stroke 0.2 sync, hold 0.4, retract 0.3
}
"""


def write(path, text, stamp):
    path.write_text(text)
    os.utime(path, ns=(stamp, stamp))                    # distinct times even within one clock tick


def test_an_edit_reloads_and_a_broken_edit_keeps_the_last_good_version(tmp_path):
    path, said = tmp_path / "mine.gesture", []
    write(path, GESTURE % "chest", 1_000_000_000)
    watcher = LexiconWatcher([path], report=said.append)
    assert not watcher.poll()                                        # nothing changed
    write(path, (GESTURE % "chest").replace("open_palm", "open_plam"), 2_000_000_000)
    assert not watcher.poll()
    assert f"{path}:3:12: unknown handshape 'open_plam'" in said[-1] and "keeping the last good" in said[-1]
    assert watcher.lexicon["lift"].shape == "open_palm"
    write(path, GESTURE % "head", 3_000_000_000)
    assert watcher.poll() and watcher.lexicon["lift"].location[0] == "head"


def test_the_loop_plays_the_new_version_right_after_a_reload(tmp_path):
    path = tmp_path / "mine.gesture"
    write(path, GESTURE % "waist", 1_000_000_000)
    skeleton = host_skeleton(PROJECT / "rigs" / "mei.glb")
    watcher = LexiconWatcher([path], report=lambda _: None)
    loop = GestureLoop(GestureDriver(IdleController(1), skeleton, 60), "lift", watcher, 60)
    hand = skeleton.index("rightHand")
    plan = cycle_plan(watcher.lexicon["lift"], loop.gestures.expressivity)
    hold, cycle = int((plan.stroke_start + 0.25) * 60), cycle_ticks(plan, 60)
    edited = 2 * cycle + 10                               # saved during the third cycle's lead-in
    heights, starts = [], set()
    for tick in range(edited + 40 + cycle):               # ticks in order, as the window runs them
        if tick == edited:
            write(path, GESTURE % "head", 2_000_000_000)
        heights.append(skeleton.world_positions(loop.pose(tick).rotations)[hand][1])
        starts.update(start for start, _ in loop.gestures.plans)
    assert abs(heights[cycle + hold] - heights[hold]) < 0.01          # the loop repeats
    assert loop.planned.gesture.location[0] == "head"
    restart = min(t for t in starts if t >= edited)                    # the tick the new version started
    assert edited <= restart <= edited + 30                           # picked up at the next check
    assert heights[restart + hold] > heights[hold] + 0.4              # now at head height


def test_preview_writes_plot_and_strip(tmp_path):
    out = subprocess.run([sys.executable, "-m", "runtime", "gesture", "wave_hello", "--host", "rigs/jun.glb",
                          "--plot", str(tmp_path / "plot.png"), "--out", str(tmp_path / "strip.png")],
                         cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "right wrist path" in out.stdout and "stroke" in out.stdout
    for name in ("plot.png", "strip.png"):
        img = PNMImage()
        assert img.read(str(tmp_path / name)) and img.get_x_size() > 600
    strip = PNMImage()
    strip.read(str(tmp_path / "strip.png"))
    w, h = strip.get_x_size(), strip.get_y_size()
    # The first panel (before the gesture) and the second (its stroke) differ where the arm is raised.
    rows = range(int(h * 0.15), int(h * 0.9), 4)
    panel = lambda k: np.array([[strip.get_xel(int(w * (k + 0.1 + 0.8 * i / 60) / 4), y) for i in range(60)]  # noqa: E731
                                for y in rows])
    assert np.abs(panel(0) - panel(1)).sum(axis=-1).max() > 0.3


def test_preview_errors_are_clear():
    run = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "gesture", *a], cwd=PROJECT,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    out = run("wave")
    assert out.returncode != 0 and "no gesture 'wave'" in out.stderr and "wave_hello" in out.stderr
    out = run("beat", "--expressivity", "power=3", "--plot", "x.png")
    assert out.returncode != 0 and "power must be a number from -1 to 1" in out.stderr
    out = run()
    assert out.returncode != 0 and "give a gesture NAME" in out.stderr
