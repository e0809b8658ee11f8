"""Streaming: what platforms ask for, checked on what a real receiver got (ffmpeg listening for RTMP on
127.0.0.1), and a stream that outlives its ingest going away."""
import re
import socket
import subprocess
import sys
import time

import imageio_ffmpeg
import numpy as np
import pytest

from runtime.onair.stream import StreamError, StreamSettings, Streamer, container

from helpers import PROJECT

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen(port: int, out) -> subprocess.Popen:
    """An RTMP ingest: ffmpeg waiting for one publisher, recording what it gets."""
    return subprocess.Popen([FFMPEG, "-hide_banner", "-loglevel", "error", "-listen", "1", "-i",
                             f"rtmp://127.0.0.1:{port}/live/test", "-c", "copy", "-y", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stream(target: str, seconds: float, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "runtime", "render", "scenes/shop_studio.toml", "--seconds",
                             str(seconds), "--size", "320x180", "--fps", "10", "--say",
                             "Mei: Welcome to the shop! This kettle boils a full litre in under three minutes.",
                             "--stream", target, "--quiet", *extra], cwd=PROJECT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def probe(path) -> str:
    return subprocess.run([FFMPEG, "-hide_banner", "-i", str(path)], capture_output=True, text=True).stderr


def durations(path) -> tuple[float, float]:
    """(video, audio) seconds as decoded: frames / fps and samples / rate."""
    frames = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:v", "-f", "rawvideo", "-pix_fmt",
                             "gray", "-"], capture_output=True, check=True).stdout
    fps = float(re.search(r"(\d+(?:\.\d+)?) fps", probe(path)).group(1))
    w, h = map(int, re.search(r", (\d+)x(\d+)", probe(path)).groups())
    audio = subprocess.run([FFMPEG, "-v", "error", "-i", str(path), "-map", "0:a", "-f", "s16le", "-ac", "1", "-ar",
                            "48000", "-"], capture_output=True, check=True).stdout
    return len(frames) / (w * h) / fps, len(audio) / 2 / 48000


@pytest.mark.parametrize("target, message", [
    ("http://example.com/live", "must start with rtmp://, rtmps:// or srt://"),
    ("rtmp:///live", "no host in the URL"),
    ("show.mp4", "a file must end in .flv, .ts or .mkv"),
])
def test_a_bad_target_is_a_clear_error_at_start(target, message):
    with pytest.raises(StreamError, match=re.escape(message)):
        container(target)
    with pytest.raises(StreamError, match="even width and height"):
        Streamer(StreamSettings("x.flv", (641, 360)))


@pytest.mark.parametrize("extra, message", [
    (["--stream", "http://example.com/live"], "cohost render: cannot stream to 'http://example.com/live': the URL"),
    (["--stream", "show.flv", "--video-bitrate", "lots"], "a bitrate looks like 2500k or 3M, got 'lots'"),
])
def test_a_bad_stream_on_the_command_line_is_one_clear_line(extra, message):
    out = subprocess.run([sys.executable, "-m", "runtime", "render", "scenes/shop_studio.toml", "--seconds", "1",
                          *extra], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and message in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_the_stream_is_what_platforms_ask_for(tmp_path):
    port, received = free_port(), tmp_path / "received.flv"
    ingest = listen(port, received)
    time.sleep(0.5)
    sender = stream(f"rtmp://127.0.0.1:{port}/live/test", 6, "--video-bitrate", "800k")
    out, err = sender.communicate(timeout=120)
    assert sender.returncode == 0, err
    ingest.wait(timeout=20)
    info = probe(received)
    assert re.search(r"Video: h264 .*yuv420p.*320x180", info) and "10 fps" in info, info
    assert re.search(r"Audio: aac .*48000 Hz, stereo", info), info
    video, audio = durations(received)
    assert abs(video - 6.0) <= 0.1 + 1e-9 and abs(audio - video) <= 0.1 + 0.025, (video, audio)   # a frame
    keyframes = subprocess.run([FFMPEG, "-hide_banner", "-skip_frame", "nokey", "-i", str(received), "-vf",
                                "showinfo", "-f", "null", "-"], capture_output=True, text=True).stderr
    times = [float(t) for t in re.findall(r"pts_time:([\d.]+)", keyframes)]
    assert len(times) >= 3 and np.allclose(np.diff(times), 2.0, atol=0.11), times     # a keyframe every 2 s
    assert "0 drops" in out


def test_lips_and_voice_arrive_together(tmp_path):
    """The MP4 test's check on what an RTMP ingest received: at each line the lips part within a frame
    of the voice's onset. Drawn as a machine without a GPU streams (README: size it to the machine: lit per
    vertex, 15 fps), so that drawing keeps up and what is measured is the stream's timing."""
    from runtime.studio.lip_sync import line_syncs, mouth_track, read_video
    port, received, fps, starts = free_port(), tmp_path / "received.flv", 15, [0.8, 2.8]
    says = [f"Mei@{t}: Ah, hello!" for t in starts]
    ingest = listen(port, received)
    time.sleep(0.5)
    sender = subprocess.run([sys.executable, "-m", "runtime", "render", "scenes/shop_studio.toml", "--camera", "mei",
                             "--seconds", "4.5", "--size", "640x360", "--fps", str(fps), "--shading", "vertex", "--stream",
                             f"rtmp://127.0.0.1:{port}/live/test", "--quiet", *(a for s in says for a in ("--say", s))],
                            cwd=PROJECT, capture_output=True, text=True, timeout=120)
    ingest.wait(timeout=20)
    assert sender.returncode == 0, sender.stderr
    mouths = mouth_track(PROJECT / "scenes" / "shop_studio.toml", says, (640, 360), "mei", fps, int(4.5 * fps) + 1)
    syncs = line_syncs(read_video(received, mouths), starts)
    assert len(syncs) == 2 and all(abs(s.offset) <= 1.0 / fps + 1e-6 for s in syncs), syncs


def test_the_show_goes_on_when_the_ingest_goes_away_and_comes_back(tmp_path):
    port = free_port()
    first = listen(port, tmp_path / "first.flv")
    time.sleep(0.5)
    sender = stream(f"rtmp://127.0.0.1:{port}/live/test", 16)
    time.sleep(5.0)
    first.kill()                                      # the ingest goes away mid-stream
    first.wait()
    time.sleep(3.0)
    back = time.monotonic()
    second = listen(port, tmp_path / "second.flv")    # ... and comes back
    out, err = sender.communicate(timeout=120)
    second.wait(timeout=20)
    assert sender.returncode == 0, err
    assert "1 drops, 1 reconnects" in out, out
    assert "went away" in err                         # one log line for the drop
    video, _ = durations(tmp_path / "second.flv")
    ended = time.monotonic()
    # The second recording holds what was streamed after the ingest came back, less the time to reconnect.
    assert video >= (ended - back) - 5.0 - 1.0, (video, ended - back)


def test_serve_streams_its_live_answers_and_tells_the_operator_of_drops(tmp_path):
    """A served show streamed to an RTMP ingest that is killed and restarted: the show answers a viewer
    throughout, the operator hears the drop and the reconnect, and the second recording carries the
    answer's voice with video and audio a frame apart at most."""
    import json
    import os
    from websockets.sync.client import connect
    port, config = free_port(), tmp_path / "config"
    first = listen(port, tmp_path / "first.flv")
    time.sleep(0.5)
    serve = subprocess.Popen([sys.executable, "-m", "runtime", "serve", "--headless", "--chat-port", "0",
                              "--api-port", "0", "--stream", f"rtmp://127.0.0.1:{port}/live/test", "--size", "320x180",
                              "--fps", "10"], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "XDG_CONFIG_HOME": str(config)})
    said = "".join(serve.stdout.readline() for _ in range(3))
    chat, api = map(int, re.findall(r"ws://127\.0\.0\.1:(\d+)", said))
    token = (config / "cohost" / "api-token").read_text().strip()
    try:
        with connect(f"ws://127.0.0.1:{api}") as operator:
            operator.send(json.dumps({"request": "auth", "token": token}))
            time.sleep(3.0)
            first.kill()
            first.wait()

            def wait_for(kind: str, seconds: float) -> dict:
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    event = json.loads(operator.recv(timeout=seconds))
                    if event.get("event") == kind:
                        return event
                raise AssertionError(f"no {kind} event")
            wait_for("stream_drop", 10.0)
            time.sleep(2.0)
            second = listen(port, tmp_path / "second.flv")
            back = time.monotonic()
            wait_for("stream_reconnect", 10.0)
            assert time.monotonic() - back <= 5.0 + 1.0          # on air within 5 s (+ the second it proves it)
            with connect(f"ws://127.0.0.1:{chat}") as viewer:
                viewer.send(json.dumps({"user": "ana", "text": "How much is the kettle?"}))
                assert json.loads(viewer.recv(timeout=30))["accepted"]
            time.sleep(6.0)
    finally:
        serve.terminate()
        out, err = serve.communicate(timeout=30)
    second.wait(timeout=20)
    assert "1 drops, 1 reconnects" in out, out + err
    video, audio = durations(tmp_path / "second.flv")
    assert video > 5.0 and abs(video - audio) <= 0.1 + 0.025, (video, audio)
    sound = subprocess.run([FFMPEG, "-v", "error", "-i", str(tmp_path / "second.flv"), "-f", "s16le", "-ac", "1",
                            "-ar", "16000", "-"], capture_output=True).stdout
    level = np.abs(np.frombuffer(sound, np.int16).astype(float))
    assert level.max() > 3000                                   # the answer (and the show's lines) were heard


def test_srt_reaches_an_srt_listener(tmp_path):
    port, received = free_port(), tmp_path / "received.ts"
    ingest = subprocess.Popen([FFMPEG, "-hide_banner", "-loglevel", "error", "-i",
                               f"srt://127.0.0.1:{port}?mode=listener", "-c", "copy", "-y", str(received)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    sender = stream(f"srt://127.0.0.1:{port}", 4)
    out, err = sender.communicate(timeout=120)
    ingest.wait(timeout=20)
    assert sender.returncode == 0 and "0 drops" in out, err
    info = probe(received)
    assert "Video: h264" in info and "Audio: aac" in info, info
    # The listener joins a moment in (SRT's handshake): what it got is whole, within two frames.
    video, audio = durations(received)
    assert video > 3.0 and abs(video - audio) <= 0.2 + 0.025, (video, audio)
