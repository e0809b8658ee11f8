"""Render benchmark: Cohost's per-frame cost against bare Panda3D rendering the same models.

Three loops render the shop studio offscreen at the same size, interleaved in rounds so that machine
noise hits them alike, and the medians are compared:
  cohost   - OffscreenRenderer: fixed-tick idle controllers, pose write-back, morph sliders
  static   - bare Panda3D: the same set, both rigs loaded with panda3d-gltf, nothing moving
  animated - bare Panda3D: as static, plus the same joints moved each frame through controlJoint
Also reports the time from `cohost render` start to its first frame (a subprocess, as users run it).

    python tools/bench.py [--size 1280x720] [--frames 40] [--rounds 3]
"""
from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from panda3d.core import NodePath, PandaNode  # noqa: E402

from runtime.scene.render import OffscreenRenderer  # noqa: E402
from runtime.sets.setfile import load_set  # noqa: E402

SCENE = PROJECT / "scenes" / "shop_studio.toml"


def bare_panda(renderer: OffscreenRenderer, animated: bool):
    """Swap Cohost's hosts for raw panda3d-gltf loads of the same files; returns a per-frame step."""
    import gltf

    controls = []
    for host in renderer.stage.hosts:
        host.character.root.hide()
        raw = NodePath(gltf.load_model(str(host.placement.rig)))
        raw.reparent_to(host.holder)
        raw.set_mat(host.character.root.get_mat())
        if animated:
            bundle = raw.find("**/+Character").node().get_bundle(0)
            for name in host.character.info.bones.values():
                node = raw.attach_new_node(PandaNode(name))
                joint = bundle.find_child(name)
                if joint is not None and bundle.control_joint(name, node.node()):
                    node.set_mat(joint.get_default_value())
                    controls.append((node, node.get_hpr()))
    frame = [0]

    def step() -> None:
        frame[0] += 1
        for k, (node, hpr) in enumerate(controls):
            node.set_hpr(hpr[0] + 2 * math.sin(frame[0] / 10 + k), hpr[1], hpr[2])
        renderer.engine.render_frame()
    return step


def timed(step, frames: int) -> float:
    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(frames):
        step()
    return (time.perf_counter() - t) / frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    spec = load_set(SCENE)

    cohost = OffscreenRenderer(spec, size)

    def cohost_step() -> None:
        cohost.advance()
        cohost.engine.render_frame()

    static_r, animated_r = OffscreenRenderer(spec, size), OffscreenRenderer(spec, size)
    loops = {"cohost": cohost_step, "static": bare_panda(static_r, False), "animated": bare_panda(animated_r, True)}
    # Only one buffer renders per engine.render_frame() call: keep the others inactive.
    buffers = {"cohost": cohost.buffer, "static": static_r.buffer, "animated": animated_r.buffer}
    times: dict[str, list[float]] = {k: [] for k in loops}
    for _ in range(args.rounds):
        for name, step in loops.items():
            for other, buf in buffers.items():
                buf.set_active(other == name)
            times[name].append(timed(step, args.frames))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"renderer: {cohost.renderer_name}, {size[0]}x{size[1]}, {args.frames} frames x {args.rounds} rounds")
    for k, v in med.items():
        print(f"  {k:9s} {v * 1000:7.1f} ms/frame")
    print(f"ratio cohost / bare Panda3D static:   {med['cohost'] / med['static']:.2f}x")
    print(f"ratio cohost / bare Panda3D animated: {med['cohost'] / med['animated']:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "runtime", "render", str(SCENE), "--seconds", "0.1",
                              "--fps", "10", "--size", args.size, "--out", tmp, "--quiet"],
                             capture_output=True, text=True, cwd=PROJECT)
        total = time.perf_counter() - t
    first = next((line for line in out.stdout.splitlines() if "first frame after" in line), out.stderr)
    print(f"cohost render: {first.split(';')[-1].strip()}; whole command {total:.2f} s")


if __name__ == "__main__":
    main()
