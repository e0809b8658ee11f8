"""The `cohost` command as a user runs it: real subprocesses, files on disk, exit codes."""
import json
import subprocess
import sys
import threading

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


def test_every_command_has_its_own_examples_and_every_option_a_help():
    from runtime.cli import EXAMPLES, parser
    commands = next(a for a in parser()._actions if a.dest == "command").choices
    assert len(commands) >= 16
    borrowed = [name for name, p in commands.items() if p.epilog == EXAMPLES]     # the global list is not theirs
    missing = [name for name, p in commands.items() if f"cohost {name}" not in (p.epilog or "").split("examples:")[-1]]
    silent = [f"{name} {a.option_strings[0] if a.option_strings else a.dest}" for name, p in commands.items()
              for a in p._actions if not (a.help or "").strip()]
    assert (borrowed, missing, silent) == ([], [], [])
    for p in commands.values():
        p.format_help()                                         # every %(default)s in a help text expands


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


def test_a_typo_in_a_scene_exits_2_with_the_nearest_key(tmp_path):
    scene = tmp_path / "typo.toml"
    scene.write_text((PROJECT / "scenes" / "chroma.toml").read_text().replace("fov = 40", "fvo = 40", 1))
    out = cohost("render", str(scene), "--seconds", "0.1", "--out", str(tmp_path / "frames"))
    assert out.returncode == 2
    assert f"{scene}:33:1: cameras[0].fvo: unknown key 'fvo'; did you mean 'fov'?" in out.stderr
    assert "Traceback" not in out.stderr


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
    assert "look-at: by expressions (lookUp/Down/Left/Right)" in out.stdout      # no eyes: her gaze is morphs
    assert "happy: happy (oh*0.5, look_up*0.25)" in out.stdout and "surprised: missing" in out.stdout


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


# -- a new user's mistakes: a clear `cohost COMMAND: ...` message, a non-zero exit, never a traceback --------

def refused(out: subprocess.CompletedProcess, message: str, code: int = 2) -> None:
    assert out.returncode == code and message in out.stderr and "Traceback" not in out.stderr, out.stderr


@pytest.mark.parametrize("command", [["render", "--out", "never.mp4"], ["run"]])
def test_an_unknown_camera_is_named_with_the_cameras_the_set_has(command, tmp_path):
    from runtime.sets.setfile import load_set
    cameras = ", ".join(c.name for c in load_set(PROJECT / "scenes" / "shop_studio.toml").cameras)
    out = cohost(command[0], "scenes/shop_studio.toml", "--camera", "wdie", *command[1:])
    refused(out, f"cohost {command[0]}: scenes/shop_studio.toml has no camera 'wdie'; "
                 f"its cameras: {cameras}; did you mean 'wide'?")
    assert not (PROJECT / "never.mp4").exists()


@pytest.mark.parametrize("text", ["", "  \n "])
def test_say_refuses_empty_text(text, tmp_path):
    out = cohost("say", text, "--out", str(tmp_path / "line.wav"))
    refused(out, "cohost say: error: argument text: the text is empty")
    assert not (tmp_path / "line.wav").exists()


@pytest.mark.parametrize("args, accepted", [
    (["render", "scenes/chroma.toml", "--out", "x.avi"], "use PATH.mp4 (a video) or a folder (numbered PNGs"),
    (["render", "scenes/chroma.toml", "--out", "x.mp4/"], "use PATH.mp4 (a video) or a folder"),
    (["motion", "walk.bvh", "--out", "walk.mov"], "use PATH.mp4 (a video) or a folder"),
    (["puppet", "take.wav", "--out", "x.avi"], "use PATH.mp4 (a video) or a folder"),
    (["gesture", "beat", "--out", "beat.gif"],
     "use PATH.mp4 (one cycle) or PATH.png (a strip of its phases) or a folder"),
    (["set", "--still", "shot.jpg"], "use PATH.png (one PATH_<camera>.png a camera) or a folder"),
    (["record", "scenes/shop_studio.toml", "--out", "take.mp4"], "use PATH.npz (arrays) or PATH.bvh"),
    (["say", "Hello", "--out", "line.mp3"], "use PATH.wav (the audio)"),
    (["lipsync", "take.wav", "--out", "track.csv"], "use PATH.json (per-tick viseme weights)"),
])
def test_out_must_be_a_kind_the_command_writes(args, accepted):
    out = cohost(*args)
    refused(out, f"cohost {args[0]}: error: argument {args[-2]}: cannot write {args[-1]!r}: {accepted}")


def test_out_paths_that_are_accepted(tmp_path):
    from runtime.cli import GESTURE_OUT, STILL_OUT, VIDEO_OUT
    (tmp_path / "takes.v2").mkdir()
    for path in ("show.mp4", "SHOW.MP4", "frames", "frames/", "frames.v2/", str(tmp_path / "takes.v2")):
        assert VIDEO_OUT(path) == path
    assert GESTURE_OUT("strip.png") == "strip.png" and STILL_OUT("shots/") == "shots/"


def test_a_closed_pipe_ends_the_output_quietly():
    """`cohost gesture --list | head -1`: the reader is gone before cohost writes."""
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "gesture", "--list"], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and err == ""


@pytest.mark.parametrize("name, voice", [("Mei", "en-us+f3"), ("jun", "en-us+m3")])
def test_say_takes_a_host_by_name(name, voice, tmp_path):
    out = cohost("say", "Hello", "--host", name, "--out", str(tmp_path / "line.wav"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"{voice}: ") and (tmp_path / "line.wav").stat().st_size > 1000


def test_say_names_the_hosts_it_knows():
    refused(cohost("say", "Hello", "--host", "Mai"),
            "cohost say: error: argument --host: no host 'Mai': give a rig file (.glb, .gltf, .vrm) "
            "or a built-in host: Aya, Jun, Ken, Mei; did you mean 'Mei'?")


@pytest.fixture
def refusing_show():
    """A show on 127.0.0.1 that answers each viewer event with the next of `replies`."""
    from websockets.sync.server import serve
    replies = []

    def reply(ws):
        for _ in ws:
            ws.send(json.dumps(replies.pop(0)))

    with serve(reply, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield server.socket.getsockname()[1], replies
        server.shutdown()


@pytest.mark.parametrize("reply, said", [
    ({"accepted": False, "now": 12, "reason": "rate limited"}, "refused: rate limited"),
    ({"accepted": True, "now": 12, "reason": "hosts busy: read, not answered", "answer": None,
      "host": None, "tick": None}, "hosts busy: read, not answered"),
])
def test_chat_prints_a_refusal_and_its_reason(refusing_show, reply, said):
    port, replies = refusing_show
    replies.append(reply)
    out = cohost("chat", "How much is the kettle?", "--port", str(port))
    refused(out, said, code=1)
    assert out.stdout == ""


def test_a_first_run_says_it_is_compiling(tmp_path, monkeypatch, capsys):
    """Before numba has cached the tick's kernels, `run` and `render` say why the first frame is late;
    once they are cached, nothing is said."""
    from runtime import cli
    cache = tmp_path / "controllers" / "__pycache__"
    cache.mkdir(parents=True)
    monkeypatch.setattr(cli, "__file__", str(tmp_path / "cli.py"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    cli.say_if_compiling()
    assert "compiling the tick's kernels" in capsys.readouterr().err
    (cache / "gaze._step-142.py311.nbi").write_bytes(b"")
    cli.say_if_compiling()
    assert capsys.readouterr().err == ""
