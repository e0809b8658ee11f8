"""Animation benchmark: Cohost's per-tick pose job against Panda3D's Actor, same clips, same host counts.

Cohost, per tick, for H hosts of one skeleton, in one compiled PoseJob call: sample 3 clips (and a
breathing cycle), blend 4 override layers (one masked to the upper body at a higher priority) plus 1
additive layer, two-bone IK on both arms, and local->model for all joints.
Panda3D: H Actors playing the same 3 clips blended with enableBlend/setControlEffect; per tick the
clock advances and every Actor's bundle is updated (force_update: blending and joint net transforms).
The clips are the Khronos Fox's three animations (its front legs stand in for arms). Prints ms per tick
and the ratio Cohost / Actor, interleaved in rounds in one run.

    python tools/bench_anim.py [--hosts 1 2 16 64] [--ticks 60] [--rounds 3]
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

from runtime.skeleton.blend import mask  # noqa: E402
from runtime.skeleton.clip import breathing  # noqa: E402
from runtime.skeleton.gltfclip import load_gltf_clips  # noqa: E402
from runtime.skeleton.posejob import ChainSpec, LayerSpec, PoseJob  # noqa: E402
from runtime.skeleton.rigfile import load_rig_info, rest_positions  # noqa: E402
from runtime.skeleton.skeleton import Skeleton  # noqa: E402

FOX = PROJECT.parent / "shared" / "assets" / "models" / "Fox.glb"
RATE = 60


class CohostJob:
    def __init__(self, hosts: int) -> None:
        info = load_rig_info(FOX)
        skeleton = Skeleton.canonical(rest_positions(info)[0])
        clips = load_gltf_clips(info)[:3] + [breathing(skeleton)]
        layers = [LayerSpec(0), LayerSpec(1), LayerSpec(2), LayerSpec(0, mask=mask("upperBody"), priority=1),
                  LayerSpec(3, mode="additive")]
        chains = [ChainSpec((f"{s}UpperArm", f"{s}LowerArm", f"{s}Hand")) for s in ("left", "right")]
        self.job = PoseJob(skeleton, clips, layers, chains, hosts)
        self.offsets = np.linspace(0.0, 1.0, hosts)
        self.weights = np.tile([0.5, 0.3, 0.2, 0.7, 1.0], (hosts, 1))
        p = skeleton.world_positions(skeleton.rest_pose()[0])
        self.targets = np.stack([np.broadcast_to(p[skeleton.index(f"{s}Hand")] + [0, 5.0, 5.0], (hosts, 3))
                                 for s in ("left", "right")], axis=1)
        self.poles = np.zeros((hosts, 2, 3))
        self.poles[..., 2] = 1.0
        self.tick = 0

    def step(self) -> np.ndarray:
        self.tick += 1
        return self.job.run(self.tick / RATE + self.offsets, self.weights, self.targets, self.poles)


class ActorJob:
    def __init__(self, hosts: int) -> None:
        import gltf
        from direct.actor.Actor import Actor
        from panda3d.core import ClockObject, NodePath

        self.clock = ClockObject.get_global_clock()
        self.clock.set_mode(ClockObject.M_slave)
        self.frame_time = 0.0
        self.clock.set_frame_time(0.0)
        model = NodePath(gltf.load_model(str(FOX)))
        self.actors = []
        for h in range(hosts):
            actor = Actor(model.copy_to(NodePath("h")))
            names = actor.get_anim_names()[:3]
            actor.enable_blend()
            for name, w in zip(names, (0.5, 0.3, 0.2)):
                actor.set_control_effect(name, w)
                actor.loop(name, fromFrame=h % 5)
            self.actors.append(actor)
        self.bundles = [a.get_part_bundle("modelRoot") for a in self.actors]

    def step(self) -> None:
        self.frame_time += 1.0 / RATE
        self.clock.set_frame_time(self.frame_time)
        for bundle in self.bundles:
            bundle.force_update()


def timed(job, ticks: int) -> float:
    for _ in range(3):
        job.step()
    t = time.perf_counter()
    for _ in range(ticks):
        job.step()
    return (time.perf_counter() - t) / ticks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 16, 64])
    ap.add_argument("--ticks", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not FOX.exists():
        raise SystemExit(f"the benchmark uses the Khronos Fox from {FOX}; it is not there")
    print(f"{'hosts':>6} {'cohost ms/tick':>15} {'Actor ms/tick':>14} {'ratio':>7}")
    for n in args.hosts:
        jobs = {"cohost": CohostJob(n), "actor": ActorJob(n)}
        times = {k: [] for k in jobs}
        for _ in range(args.rounds):
            for k, job in jobs.items():
                times[k].append(timed(job, args.ticks))
        c, a = statistics.median(times["cohost"]), statistics.median(times["actor"])
        print(f"{n:>6} {c * 1000:>15.3f} {a * 1000:>14.3f} {c / a:>6.2f}x")
        for actor in jobs["actor"].actors:
            actor.cleanup()


if __name__ == "__main__":
    main()
