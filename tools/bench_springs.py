"""Spring bones benchmark: what the spring stage costs per tick, as a ratio to the rest of the World tick
(every other stage: the body idling, gaze, blinks, fingers, the face), both measured in the same ticks.

1. Godette alone (16 spring joints in 3 groups, 4 sphere colliders).
2. 16 Godettes on one set (256 spring joints), all in the stage's one batched update.
3. A rig without spring bones (the built-in Jun, whose short hair has none): what the stage costs it.

    python tools/bench_springs.py [--seconds 10] [--hosts 16]
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.sets.setfile import single_host_set  # noqa: E402
from runtime.skeleton.rigfile import host_skeleton  # noqa: E402
from runtime.world.assemble import world_of  # noqa: E402
from runtime.world.tick import standard_stages, step, validate  # noqa: E402

GODETTE = PROJECT.parent / "shared" / "assets" / "models" / "Godette_vrm_v4.vrm"     # as the tests find it
JUN = PROJECT / "rigs" / "jun.glb"          # short hair: no spring bones
WARM_UP = 30                   # ticks first, so numba's compiling is not measured


def measure(rig: Path, hosts: int, seconds: float) -> tuple[float, float, int]:
    """(median ms of the spring stage, median ms of the rest of the tick, spring joints) for `hosts` hosts
    of `rig` idling in a row on a bare set."""
    spec = single_host_set(rig)
    spec = replace(spec, hosts=[replace(spec.hosts[0], name=f"H{k}", position=((k - (hosts - 1) / 2) * 0.9, 0.0, 0.0),
                                        seed=k + 1) for k in range(hosts)])
    skeleton = host_skeleton(rig)
    world = world_of(spec, [skeleton] * hosts)
    stages = standard_stages(world)
    validate(world, stages)
    costs: dict[str, list[float]] = {s.name: [] for s in stages}
    totals = []
    ticks = round(seconds * spec.tick_rate)
    for tick in range(WARM_UP + ticks):
        began = time.perf_counter()
        step(world, stages, tick, costs)
        totals.append(time.perf_counter() - began)
    springs = np.array(costs["springs"][WARM_UP:])
    rest = np.array(totals[WARM_UP:]) - springs
    return float(np.median(springs)) * 1000, float(np.median(rest)) * 1000, world.springs.size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="simulated seconds per measurement (default 10)")
    ap.add_argument("--hosts", type=int, default=16, help="hosts in the crowd (default 16)")
    ap.add_argument("--rig", type=Path, default=GODETTE, help="a rig with spring bones (default: Godette)")
    args = ap.parse_args()
    if not args.rig.exists():
        sys.exit(f"no rig {args.rig} (Godette is in the shared test assets; see README, 'Tests')")
    for hosts in (1, args.hosts):
        springs, rest, joints = measure(args.rig, hosts, args.seconds)
        print(f"{args.rig.stem} x {hosts} ({joints} spring joints): springs {springs:.3f} ms, rest of the tick "
              f"{rest:.3f} ms, springs / rest = {springs / rest:.3f}x ({springs / 16.67:.2%} of a 60 Hz tick)")
    springs, rest, joints = measure(JUN, 1, args.seconds)
    print(f"{JUN.stem} x 1 ({joints} spring joints): springs {springs * 1000:.1f} us, rest of the tick {rest:.3f} ms, "
          f"springs / rest = {springs / rest:.4f}x ({springs / 16.67:.3%} of a 60 Hz tick)")


if __name__ == "__main__":
    main()
