"""Render benchmark: Cohost's per-frame cost against bare Panda3D rendering the same models, and what each
part of the full look costs.

Loops render the shop studio offscreen at the same size, interleaved in rounds so that machine noise
hits them alike, and the medians are compared:
  cohost   - OffscreenRenderer lit per vertex, no anti-aliasing (the look before per-pixel light was the
             default): fixed-tick idle controllers, pose write-back, morph sliders
  static   - bare Panda3D: the same set lit per vertex, both rigs loaded with panda3d-gltf, nothing moving
  animated - bare Panda3D: as static, plus the same joints moved each frame through controlJoint
  and cohost with the look's parts added: 4x multisampling; per-pixel light; per-pixel light with soft
  shadows; and the default look: per-pixel light, soft shadows and the edge filter.
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
from dataclasses import replace
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from panda3d.core import PandaNode  # noqa: E402

from runtime.scene.character import load_model  # noqa: E402
from runtime.scene.render import OffscreenRenderer  # noqa: E402
from runtime.sets.setfile import load_set  # noqa: E402
from runtime.skeleton.rigfile import load_rig_info  # noqa: E402

SCENE = PROJECT / "scenes" / "shop_studio.toml"


def bare_panda(renderer: OffscreenRenderer, animated: bool):
    """Swap Cohost's hosts for plain panda3d-gltf loads of the same files (their JSON with the loader's
    fix-ups: the built hosts' skinned meshes sit beside the armature, which panda3d-gltf 1.3 cannot take
    as they are); returns a per-frame step."""
    controls = []
    for host in renderer.stage.hosts:
        host.character.root.hide()
        raw = load_model(load_rig_info(host.placement.rig))
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


def timed(step, frames: int) -> tuple[float, float]:
    """Seconds a frame: wall clock, and the process's CPU time over all its threads (software GL draws on
    several; the CPU time is the work, less shaken by other load on the machine)."""
    for _ in range(3):
        step()
    t, cpu = time.perf_counter(), time.process_time()
    for _ in range(frames):
        step()
    return (time.perf_counter() - t) / frames, (time.process_time() - cpu) / frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    spec = replace(load_set(SCENE), shading="vertex")
    pixel = replace(spec, shading="pixel")
    unshadowed = replace(pixel, lights=[replace(light, shadows=False) for light in spec.lights])

    def cohost_loop(renderer: OffscreenRenderer):
        def step() -> None:         # a frame as users get it: drawn, read back, edge-filtered where asked
            renderer.advance()
            renderer.frame()
        return step

    renderers = {"cohost": OffscreenRenderer(spec, size, antialias="off"),
                 "static": OffscreenRenderer(spec, size, antialias="off"),
                 "animated": OffscreenRenderer(spec, size, antialias="off"),
                 "+msaa": OffscreenRenderer(spec, size, antialias="msaa"),
                 "pixel": OffscreenRenderer(unshadowed, size, antialias="off"),
                 "+shadows": OffscreenRenderer(pixel, size, antialias="off"),
                 "default": OffscreenRenderer(pixel, size, antialias="fxaa")}
    loops = {name: cohost_loop(r) for name, r in renderers.items()}
    loops["static"] = bare_panda(renderers["static"], False)
    loops["animated"] = bare_panda(renderers["animated"], True)
    cohost = renderers["cohost"]
    # Only one buffer renders per engine.render_frame() call: keep the others (and their shadow maps) inactive.
    times: dict[str, list[tuple[float, float]]] = {k: [] for k in loops}
    for _ in range(args.rounds):
        for name, step in loops.items():
            for other, renderer in renderers.items():
                renderer.set_active(other == name)
            times[name].append(timed(step, args.frames))
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    print(f"renderer: {cohost.renderer_name}, {size[0]}x{size[1]}, {args.frames} frames x {args.rounds} rounds")
    print(f"  {'':9s} {'wall':>7s}   {'cpu':>7s}  (ms/frame)")
    for k in med:
        print(f"  {k:9s} {med[k] * 1000:7.1f}   {cpu[k] * 1000:7.1f}")
    print("ratios (wall, cpu):")
    print(f"  cohost / bare Panda3D static:   {med['cohost'] / med['static']:.2f}x  {cpu['cohost'] / cpu['static']:.2f}x")
    print(f"  cohost / bare Panda3D animated: {med['cohost'] / med['animated']:.2f}x  "
          f"{cpu['cohost'] / cpu['animated']:.2f}x")
    looks = {"+msaa": "4x multisampling", "pixel": "per-pixel light", "+shadows": "per-pixel light, soft shadows",
             "default": "the default look (per-pixel light, soft shadows, edge filter)"}
    for name, what in looks.items():
        print(f"  {what} / cohost lit per vertex: {med[name] / med['cohost']:.2f}x  {cpu[name] / cpu['cohost']:.2f}x")

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
