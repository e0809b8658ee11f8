"""Batch render benchmark: jobs per minute for short product pitches on one machine, rendered in a plain
loop against a local Ray (one worker per core), and the overhead Ray adds to each job (Ray with one CPU,
so jobs run one after another as in the loop; its start-up is timed apart).

    python tools/bench_batch.py [--jobs 10] [--seconds 1.5] [--size 320x180]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.batch.farm import LoopPool, RayPool, render_batch  # noqa: E402
from runtime.batch.jobs import Job, read_jobs  # noqa: E402

PITCHES = PROJECT / "scenes" / "pitches.csv"
SHOP = PROJECT / "scenes" / "shop_studio.toml"


def jobs(count: int, seconds: float, size: tuple[int, int], out: Path) -> list[Job]:
    """`count` jobs cycling through the example pitches, each `seconds` long."""
    pitches = read_jobs([str(PITCHES)], out, Job("", "", "", seconds, fps=24, size=size), SHOP)
    return [replace(pitches[i % len(pitches)], name=f"job{i:02d}", out=str(out / f"job{i:02d}.mp4"), seconds=seconds)
            for i in range(count)]


def timed(batch: list[Job], pool) -> float:
    outcomes, wall = render_batch(batch, pool, retries=0, progress=False)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"{len(failed)} job(s) failed: {failed[0].error}")
    return wall


def ray_pool(cpus: int) -> tuple[RayPool, float]:
    started = time.perf_counter()
    pool = RayPool(None, cpus=cpus)
    return pool, time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=10)
    p.add_argument("--seconds", type=float, default=1.5, help="length of each video")
    p.add_argument("--size", default="320x180")
    args = p.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        batch = jobs(args.jobs, args.seconds, size, Path(tmp))
        timed(batch[:1], LoopPool())                     # warm: first imports, speech cache, shader setup
        loop = timed(batch, LoopPool())
        pool, start_one = ray_pool(1)
        serial = timed(batch, pool)
        pool, start_all = ray_pool(cores)
        spread = timed(batch, pool)
    rate = lambda wall: args.jobs / wall * 60  # noqa: E731
    print(f"{args.jobs} jobs of {args.seconds:g} s at {size[0]}x{size[1]}, 24 fps, {cores} cores")
    print(f"  plain loop:            {loop:6.1f} s  {rate(loop):5.1f} jobs/min  (baseline)")
    print(f"  local Ray, {cores} workers:  {spread:6.1f} s  {rate(spread):5.1f} jobs/min  "
          f"{rate(spread) / rate(loop):.2f}x the loop  (+{start_all:.1f} s to start Ray)")
    print(f"  local Ray, 1 worker:   {serial:6.1f} s  {rate(serial):5.1f} jobs/min  "
          f"{rate(serial) / rate(loop):.2f}x the loop  (+{start_one:.1f} s to start Ray)")
    print(f"  Ray's overhead per job: {(serial - loop) / args.jobs * 1000:.0f} ms "
          f"({(serial - loop) / loop * 100:+.1f} % of the loop's {loop / args.jobs:.2f} s a job)")


if __name__ == "__main__":
    main()
