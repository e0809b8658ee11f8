"""Previews for animators: the lexicon reloads while a gesture loops, bad edits keep the last good version,
and `cohost gesture NAME` writes its plot and picture strip."""
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
from panda3d.core import PNMImage

from runtime.gesture.expressivity import Expressivity
from runtime.sets.setfile import single_host_set
from runtime.skeleton.face import FACE_CHANNELS
from runtime.skeleton.rigfile import host_skeleton
from runtime.studio.lab import Lab, LexiconWatcher, Playback, Version, lab_set

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


def lab_for(name, lexicon_path=None, versions=(("A", ""),), say=None, report=lambda _: None):
    rig = PROJECT / "rigs" / "mei.glb"
    skeleton = host_skeleton(rig)
    paths = [lexicon_path or PROJECT / "rigs" / "gestures" / "lexicon.gesture"]
    chosen = [Version(label, LexiconWatcher(paths, report), Expressivity.parse(e)) for label, e in versions]
    spec = lab_set(single_host_set(rig), 1.6, len(chosen))
    return Lab(spec, [skeleton] * len(chosen), chosen, name, say), skeleton


def test_the_lab_scrubs_by_the_tick_and_plays_at_a_chosen_speed():
    lab, _ = lab_for("wave_hello")
    take = lab.takes[0]
    world = SimpleNamespace(rotations=np.zeros((1, 55, 4)), hips=np.zeros((1, 3)), face=np.zeros((1, len(FACE_CHANNELS))))
    playback = Playback(lambda: lab.takes, at=lambda _tick: lab.tick)
    assert lab.playing and lab.length == take.ticks
    lab.scrub(5)
    assert not lab.playing and lab.tick == 5
    playback.run(world, 1234)
    np.testing.assert_array_equal(world.rotations[0], take.rotations[5])    # the playhead, not the clock
    lab.advance()
    assert lab.tick == 5                                       # paused
    lab.toggle()
    lab.change_speed(-1)
    assert lab.speed == 0.5
    for _ in range(10):
        lab.advance()
    assert lab.tick == 10
    lab.advance(6)                                             # a slow frame: six ticks of the clock at once
    assert lab.tick == 13
    lab.scrub(-23)
    assert lab.tick == lab.length - 10                         # wraps around the take
    lab.select(1)
    assert lab.name == lab.names[lab.names.index("wave_hello") + 1] and lab.tick == 0
    assert "paused" in lab.status() and f"tick    0/{lab.length}" in lab.status()


def test_the_lab_plays_the_new_version_right_after_a_reload(tmp_path):
    path = tmp_path / "mine.gesture"
    write(path, GESTURE % "waist", 1_000_000_000)
    lab, skeleton = lab_for("lift", path)
    hand = skeleton.index("rightHand")
    held = round((lab.takes[0].planned.stroke_start + 0.25) * 60)
    before = lab.takes[0].positions[held, hand, 1]
    for _ in range(45):
        lab.advance()
    write(path, GESTURE % "head", 2_000_000_000)
    for _ in range(31):                                        # the next check comes within half a second
        lab.advance()
    assert lab.takes[0].planned.gesture.location[0] == "head"
    assert lab.tick < 31                                       # started again when the new version came
    assert lab.takes[0].positions[held, hand, 1] > before + 0.4     # now at head height


def test_two_hosts_compare_two_expressivities_side_by_side():
    lab, skeleton = lab_for("present_product", versions=(("small", "spatial=-1"), ("big", "spatial=1")))
    assert [h.position[0] for h in lab.spec.hosts] == [-0.75, 0.75]
    small, big = lab.takes
    hand = skeleton.index("rightHand")
    reach = lambda take: np.linalg.norm(take.positions[:, hand] - take.positions[0, hand], axis=-1).max()  # noqa: E731
    assert reach(big) > reach(small) + 0.05
    np.testing.assert_allclose(small.positions[0], big.positions[0], atol=1e-9)   # the same host at rest
    assert "small: rest" in lab.status() and "big: rest" in lab.status()


def test_a_gesture_said_with_a_line_strokes_on_its_stressed_word():
    lab, _ = lab_for("beat", say="This kettle is [beat]*great*.")
    take = lab.takes[0]
    visemes = take.face[:, :15].sum(axis=1)
    start = round(0.6 * 60)
    assert visemes[:start].max() == 0 and visemes[start:start + 60].max() > 0.5      # speech from its tick
    great = next(w for w in take.line.utterance.words if "great" in w.text.lower())
    stroke = take.offset_s + take.planned.stroke_start
    assert great.start - 0.05 <= stroke - take.offset_s <= great.start + 0.3, (stroke, great)   # on its vowel


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
    out = run("beat", "--say", "Look at [nosuch]this.", "--plot", "x.png")
    assert out.returncode != 0 and "--say: gesture 'nosuch' is not in the lexicon" in out.stderr
    out = run("beat", "--compare", "spatial=2", "--plot", "x.png")
    assert out.returncode != 0 and "spatial must be a number from -1 to 1" in out.stderr


def test_a_comparison_said_with_a_line_renders_both_hosts_with_the_sound(tmp_path):
    import imageio_ffmpeg
    video = tmp_path / "beat.mp4"
    out = subprocess.run([sys.executable, "-m", "runtime", "gesture", "beat", "--compare", "spatial=1,power=1",
                          "--say", "Look at [beat]*this*.", "--out", str(video), "--size", "320x180", "--fps", "10",
                          "--quiet"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "(A: neutral)" in out.stdout and "(B: spatial +1.0, power +1.0)" in out.stdout
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(video)], capture_output=True, text=True)
    assert "Audio: aac" in probe.stderr and "Video: h264" in probe.stderr
    reader = imageio_ffmpeg.read_frames(str(video))
    w, h = next(reader)["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]).astype(int)
    moved = np.abs(frames - frames[0]).sum(axis=-1).max(axis=0) > 60          # pixels an arm passed over
    assert moved[:, :w // 2].sum() > 50 and moved[:, w // 2:].sum() > 50      # both hosts gesture
