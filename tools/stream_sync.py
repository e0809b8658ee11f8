"""A long stream, checked where it lands: `cohost render --stream` sends a close-up of Mei saying a line
every 10 s to ffmpeg listening as an RTMP ingest on 127.0.0.1, paced by the clock as on air; the received
recording is decoded and checked as the MP4 test checks a file:

- video and audio durations (frames / fps, samples / rate) and their difference in frames;
- for every line said facing the camera, the lip/audio offset (first frame with the lips apart against
  the voice's onset), in frames, from the first minute to the last: a drift would show as offsets that
  grow;
- frames the sender repeated because drawing fell behind (its own report).

    python tools/stream_sync.py [--minutes 10] [--fps 30] [--size 640x360]
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.studio.lip_sync import line_syncs, mouth_track, read_video  # noqa: E402

SET = PROJECT / "scenes" / "shop_studio.toml"
EVERY_S = 10.0
LINE = "Ah, hello!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].rstrip(":") + ".")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to stream (default 10)")
    parser.add_argument("--fps", type=int, default=30, help="frames a second (default 30)")
    parser.add_argument("--size", default="640x360", help="frame size (default 640x360)")
    parser.add_argument("--keep", metavar="PATH.flv", help="keep the received recording here")
    args = parser.parse_args()
    seconds = 60 * args.minutes
    size = tuple(map(int, args.size.split("x")))
    starts = list(np.arange(1.0, seconds - 2.0, EVERY_S))
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as folder:
        received = Path(args.keep or Path(folder) / "received.flv")
        port = free_port()
        url = f"rtmp://127.0.0.1:{port}/live/check"
        ingest = subprocess.Popen([ffmpeg, "-hide_banner", "-loglevel", "fatal", "-listen", "1", "-i", url, "-c", "copy",
                                   "-y", str(received)])
        time.sleep(0.5)
        says = [f"Mei@{t:g}: {LINE}" for t in starts]
        print(f"streaming {seconds:g} s of {args.size}@{args.fps} to {url}: {len(starts)} lines, one every "
              f"{EVERY_S:g} s", flush=True)
        sender = subprocess.run([sys.executable, "-m", "runtime", "render", str(SET), "--camera", "mei", "--seconds",
                                 str(seconds), "--size", args.size, "--fps", str(args.fps), "--stream", url,
                                 *(a for say in says for a in ("--say", say))],
                                cwd=PROJECT, capture_output=True, text=True)
        ingest.wait(timeout=60)
        if sender.returncode:
            raise SystemExit(sender.stderr)
        print(sender.stdout.strip().splitlines()[-1])
        mouths = mouth_track(SET, says, size, "mei", args.fps, round(seconds * args.fps) + 1)
        rec = read_video(received, mouths)
    fps = rec.fps
    syncs = line_syncs(rec, starts)
    offsets = np.array([s.offset * fps for s in syncs])
    at = np.array([s.line_at for s in syncs])
    print(f"received: video {rec.video_start:.3f}-{rec.video_end:.3f} s ({len(rec.dark)} frames), audio "
          f"{rec.audio_start:.3f}-{rec.audio_end:.3f} s: they end {abs(rec.video_end - rec.audio_end) * fps:.2f} frames "
          f"apart")
    print(f"lip/audio offset over the {len(syncs)} of {len(starts)} lines said facing the camera, in frames: "
          f"mean {offsets.mean():+.2f}, largest {offsets[np.abs(offsets).argmax()]:+.2f}; first minute {offsets[at < 60].mean():+.2f}, last "
          f"minute {offsets[at >= seconds - 60].mean():+.2f}; {int((np.abs(offsets) <= 1 + 1e-6).sum())} within one "
          f"frame")


if __name__ == "__main__":
    main()
