"""The `cohost` command as a user runs it: real subprocesses, files on disk, exit codes."""
import subprocess
import sys

import imageio_ffmpeg
import pytest
from panda3d.core import PNMImage

from helpers import PROJECT, asset


def cohost(*args: str, cwd=PROJECT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "runtime", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_help_lists_commands_with_examples():
    out = cohost("--help")
    assert out.returncode == 0
    for word in ("run", "render", "inspect", "build-host", "examples:"):
        assert word in out.stdout


def test_every_command_has_examples_in_its_help():
    from runtime.cli import parser
    commands = next(a for a in parser()._actions if a.dest == "command").choices
    assert len(commands) >= 16
    missing = [name for name, p in commands.items() if f"cohost {name}" not in p.format_help().split("examples:")[-1]]
    assert missing == []


def test_render_png_folder(tmp_path):
    out = cohost("render", "scenes/chroma.toml", "--seconds", "0.3", "--fps", "10", "--size", "160x90",
                 "--out", str(tmp_path / "frames"))
    assert out.returncode == 0, out.stderr
    files = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert [f.name for f in files] == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    img = PNMImage()
    assert img.read(str(files[0]))
    assert (img.get_x_size(), img.get_y_size()) == (160, 90)
    assert tuple(round(c * 255) for c in img.get_xel(0, 0)) == (0, 255, 0)
    assert "first frame after" in out.stdout and "3/3" in out.stderr      # report and progress bar


def test_render_mp4(tmp_path):
    video = tmp_path / "show.mp4"
    out = cohost("render", "scenes/shop_studio.toml", "--seconds", "1", "--fps", "12", "--size", "320x180",
                 "--out", str(video), "--camera", "wide", "--quiet")
    assert out.returncode == 0, out.stderr
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(video))
    assert frames == 12 and abs(seconds - 1.0) < 0.1


def test_broken_scene_exits_2_with_file_and_line(tmp_path):
    scene = tmp_path / "bad.toml"
    scene.write_text('[set]\nname = "x"\n\n[[cameras]]\nname = "a"\nposition = [0, 0]\nlook_at = [0, 1, 1]\n')
    out = cohost("render", str(scene), "--out", str(tmp_path / "o"))
    assert out.returncode == 2
    assert f"{scene}:6:1: cameras[0].position: expected 3 numbers, got [0, 0]" in out.stderr


def test_bad_size_is_refused():
    out = cohost("render", "scenes/chroma.toml", "--size", "big", "--out", "x")
    assert out.returncode == 2 and "size must look like 1280x720" in out.stderr


def test_inspect_reports_mapping_and_gaps():
    out = cohost("inspect", str(asset("Godette_vrm_v4.vrm")))
    assert out.returncode == 0, out.stderr
    assert "VRM 0.x" in out.stdout and "45/55 mapped from VRM 0.x humanoid" in out.stdout
    assert "missing: upperChest leftEye rightEye jaw" in out.stdout
    assert "fingers: 8/10 chains    eyes: no" in out.stdout
    assert "visemes: 15/15 from VRM mouth expressions" in out.stdout
    assert "warning: gaze controller skipped: missing leftEye, rightEye" in out.stdout


def test_inspect_built_in_host_is_complete():
    out = cohost("inspect", "rigs/mei.glb")
    assert "55/55 mapped" in out.stdout and "fingers: 10/10 chains    eyes: yes    jaw: yes" in out.stdout
    assert "warning" not in out.stdout


def test_inspect_broken_file(tmp_path):
    bad = tmp_path / "x.vrm"
    bad.write_bytes(b"not a model")
    out = cohost("inspect", str(bad))
    assert out.returncode == 2 and f"{bad}: neither GLB nor glTF JSON" in out.stderr


def test_build_host_writes_identical_file(tmp_path):
    out = cohost("build-host", "rigs/jun.toml", "--out", str(tmp_path / "jun.glb"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "jun.glb").read_bytes() == (PROJECT / "rigs" / "jun.glb").read_bytes()


@pytest.mark.parametrize("args", [["run", "--size", "0x0"], ["render", "scenes/chroma.toml"]])
def test_usage_errors(args):
    assert cohost(*args).returncode == 2
