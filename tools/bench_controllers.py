"""Controller benchmark: the per-tick cost of the procedural controllers (attention and gaze, blinks,
fingers, breathing and nods) for H hosts at once, against the blender's cost (the PoseJob of
tools/bench_anim.py: 3 clips, 5 layers, arm IK, local->model) for the same number of hosts, in one run.

The hosts stand in rows in front of one camera and take turns speaking a line, so every controller
works: roles change, gaze shifts, blinks, nods, hand shapes. Their bodies replay a fixed pose, so only
the controllers are timed. Prints ms per tick and the ratio controllers / blender, interleaved in rounds.

    python tools/bench_controllers.py [--hosts 2 64] [--ticks 120] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tools"))

from bench_anim import RATE, CohostJob  # noqa: E402
from runtime.controllers.behaviour import Cast, Performer  # noqa: E402
from runtime.controllers.idle import IdleController  # noqa: E402
from runtime.controllers.speech import Line, SpeakingDriver  # noqa: E402
from runtime.motion_cmd import host_skeleton  # noqa: E402
from runtime.skeleton.take import placement_matrix  # noqa: E402
from runtime.speech.espeak import Espeak, Voice  # noqa: E402
from runtime.speech.track import VisemeTrack  # noqa: E402


class FixedBody:
    """A body that holds one pose (a copy each tick, as a real driver hands out)."""

    def __init__(self, pose) -> None:
        self.pose_ = pose

    def pose(self, tick: int):
        return self.pose_.copy()


def cast_for(hosts: int) -> Cast:
    skeleton = host_skeleton(PROJECT / "rigs" / "mei.glb")
    utterance = Espeak.get().synthesize("Welcome back! This kettle boils water in three minutes.", Voice("en-us"))
    track = VisemeTrack.from_utterance(utterance, RATE)
    performers = []
    for h in range(hosts):
        speech = SpeakingDriver(FixedBody(IdleController(h + 1, RATE).pose(0)))
        for k in range(40):                                   # turns: host h speaks every hosts-th line
            if k % hosts == h % max(hosts, 1):
                speech.say(Line(k * (track.ticks + 20), utterance, track))
        position = ((h % 8) * 0.9 - 3.2, (h // 8) * 0.9, 0.0)
        performers.append(Performer(skeleton, placement_matrix(position, 0.0), h + 1, speech, speech))
    return Cast(performers, RATE, np.array([0.0, -4.0, 1.5]))


def time_cast(cast: Cast, start: int, ticks: int) -> float:
    t0 = time.perf_counter()
    for tick in range(start, start + ticks):
        cast.pose(0, tick)
    return (time.perf_counter() - t0) / ticks * 1000


def time_job(job: CohostJob, ticks: int) -> float:
    t0 = time.perf_counter()
    for _ in range(ticks):
        job.step()
    return (time.perf_counter() - t0) / ticks * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[2, 64])
    parser.add_argument("--ticks", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{'hosts':>5}  {'controllers ms/tick':>19}  {'blender ms/tick':>15}  {'ratio':>6}")
    for hosts in args.hosts:
        cast, job = cast_for(hosts), CohostJob(hosts)
        time_cast(cast, 0, 10), time_job(job, 10)                     # warm up (numba compiles the job)
        ours, theirs = [], []
        for r in range(args.rounds):
            ours.append(time_cast(cast, 10 + r * args.ticks, args.ticks))
            theirs.append(time_job(job, args.ticks))
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{hosts:>5}  {a:>19.3f}  {b:>15.3f}  {a / b:>5.2f}x")


if __name__ == "__main__":
    main()
