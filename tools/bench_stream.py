"""Streaming benchmark: how many live streams this machine sustains, to size servers by.

1. One stream of the default show at 640x360, 960x540 and 1280x720, 30 fps, each for `--seconds`: the
   share of frames that could not be drawn in time (repeated), and the CPU each stream takes (renderer
   and encoder together) as a share of one core.
2. N streams of 640x360@30 at once, N = 1, 2, 3 ...: the largest N with every stream below 1 % repeated
   frames, and the CPU share per stream at that N.

Each stream is a real `cohost render SHOW --stream FILE.flv` process, paced by the clock as on air (a
file instead of an ingest so the network is not measured); CPU is read from the process and its ffmpeg.

    python tools/bench_stream.py [--seconds 20] [--most 6]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SHOW = PROJECT / "scenes" / "shop_show.toml"
SIZES = ("640x360", "960x540", "1280x720")


def streams(count: int, size: str, seconds: float, folder: Path, fps: int) -> list[tuple[float, float, float]]:
    """(repeated share, CPU share of a core, the encoder's share of it) of `count` streams run at once."""
    procs = [subprocess.Popen([sys.executable, "-m", "runtime", "render", str(SHOW), "--seconds", str(seconds),
                               "--size", size, "--fps", str(fps), "--stream", str(folder / f"{size}-{count}-{k}.flv"), "--quiet"],
                              cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
             for k in range(count)]
    started = time.monotonic()
    out = []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)            # the process and its ffmpeg, both waited for
        wall = time.monotonic() - started
        text = proc.stdout.read()
        proc.returncode = os.waitstatus_to_exitcode(status)
        m = re.search(r"streamed (\d+) frames .*?(\d+) repeated.*?encoding took (\d+)%", text)
        if proc.returncode or not m:
            raise SystemExit(f"a stream failed: {text}")
        frames, repeated, encoding = int(m.group(1)), int(m.group(2)), int(m.group(3)) / 100 * seconds
        cpu = usage.ru_utime + usage.ru_stime
        out.append((repeated / frames, cpu / wall, encoding / cpu))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--most", type=int, default=6, help="the most streams tried at once")
    parser.add_argument("--fps", type=int, default=30, help="frames per second of every stream (default 30)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; {args.seconds:g} s per run, including each process's start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fps = args.fps
        print(f"one stream at {fps} fps:")
        for size in SIZES:
            (repeated, cpu, encoding), = streams(1, size, args.seconds, folder, fps)
            print(f"  {size:>9}: {repeated:6.1%} frames repeated, {cpu:5.0%} of a core, {encoding:4.0%} of it encoding")
        best = 0
        for n in range(1, args.most + 1):
            result = streams(n, "640x360", args.seconds, folder, fps)
            worst = max(r for r, _, _ in result)
            share = sum(c for _, c, _ in result) / n
            print(f"  {n} x 640x360@{fps}: worst {worst:6.1%} repeated, {share:5.0%} of a core per stream")
            if worst >= 0.01:
                break
            best = n
        print(f"sustained: {best} stream(s) of 640x360@{fps} with < 1 % repeated frames")


if __name__ == "__main__":
    main()
