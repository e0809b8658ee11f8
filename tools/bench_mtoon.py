"""MToon's frame cost: a VRM whose materials carry MToon, drawn with it and drawn the old way (the glTF
material lit by the set), in both shading modes, measured in one run.

The set is the chroma set with its two hosts replaced by one VRM (Godette from the shared test assets by
default). Loops render offscreen at the same size, interleaved in rounds so that machine noise hits them
alike; the medians are compared. `--picture` also writes the two looks side by side.

    python tools/bench_mtoon.py [--rig PATH.vrm] [--size 1280x720] [--frames 30] [--rounds 3]
                                [--picture rigs/mtoon.png]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.scene.render import OffscreenRenderer, write_png  # noqa: E402
from runtime.scene.stage import Stage  # noqa: E402
from runtime.sets.setfile import load_set  # noqa: E402

from bench import timed  # noqa: E402  (tools/bench.py: warm up, then seconds a frame)

GODETTE = PROJECT.parent / "shared" / "assets" / "models" / "Godette_vrm_v4.vrm"


def one_host_set(folder: Path, rig: Path, shading: str) -> Path:
    """The chroma set (grey, not green) with `rig` as its only host, in the middle."""
    text = (PROJECT / "scenes" / "chroma.toml").read_text()
    text = text[:text.index("[[hosts]]")] + f'[[hosts]]\nname = "Host"\nrig = "{rig}"\nposition = [0.0, 0.0, 0.0]\n'
    text = text.replace('backdrop = "chroma"', 'backdrop = "#8a94a6"')
    path = folder / f"mtoon_{shading}.toml"
    path.write_text(text.replace("floor = false", f'floor = false\nshading = "{shading}"'))
    return path


def renderer(set_path: Path, size: tuple[int, int], mtoon: bool) -> OffscreenRenderer:
    """A renderer of the set; without `mtoon` the stage's MToon hook is skipped, as before MToon existed."""
    hook = Stage._draw_mtoon
    if not mtoon:
        Stage._draw_mtoon = lambda self, model, info: None
    try:
        return OffscreenRenderer(load_set(set_path), size, antialias="off")
    finally:
        Stage._draw_mtoon = hook


def drawing(r: OffscreenRenderer):
    """One frame of `r`: the show's ticks up to it, then the drawing."""
    def step() -> None:
        r.advance()
        r.engine.render_frame()
    return step


def picture(set_path: Path, out: Path) -> None:
    """The old look and MToon side by side, cropped to the host (with a margin)."""
    frames = []
    for mtoon in (False, True):
        with renderer(set_path, (540, 960), mtoon) as r:
            r.look_at_bounds(*r.stage.host_bounds(r.stage.hosts[0]), fov=17.0, elevation=8.0)
            frames.append(r.frame())
    ys, xs = np.nonzero(np.any([np.abs(f.astype(int) - f[0, 0]).sum(-1) > 6 for f in frames], axis=0))
    top, bottom, left, right = max(ys.min() - 16, 0), ys.max() + 17, max(xs.min() - 16, 0), xs.max() + 17
    write_png(out, np.concatenate([f[top:bottom, left:right] for f in frames], axis=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rig", type=Path, default=GODETTE)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--picture", type=Path, help="write the two looks side by side here (PNG)")
    args = ap.parse_args()
    if not args.rig.exists():
        sys.exit(f"{args.rig}: no such rig (Godette is in the shared test assets; pass --rig)")
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        sets = {shading: one_host_set(Path(tmp), args.rig.resolve(), shading) for shading in ("vertex", "pixel")}
        if args.picture:
            picture(sets["pixel"], args.picture)
            print(f"wrote {args.picture}")
        renderers = {(shading, mtoon): renderer(path, size, mtoon)
                     for shading, path in sets.items() for mtoon in (False, True)}
        times: dict[tuple[str, bool], list[float]] = {k: [] for k in renderers}
        for _ in range(args.rounds):
            for key, r in renderers.items():
                for other in renderers.values():       # one buffer (and its shadow map) draws at a time
                    other.set_active(other is r)
                times[key].append(timed(drawing(r), args.frames)[0])     # wall clock
        med = {k: statistics.median(v) for k, v in times.items()}
        first = next(iter(renderers.values()))
        print(f"renderer: {first.renderer_name}, {size[0]}x{size[1]}, {args.rig.name}, "
              f"{args.frames} frames x {args.rounds} rounds")
        for (shading, mtoon), v in med.items():
            print(f"  {shading:6s} {'MToon' if mtoon else 'old look':8s} {v * 1000:7.1f} ms/frame")
        for shading in sets:
            print(f"ratio MToon / old look, {shading} shading: {med[(shading, True)] / med[(shading, False)]:.2f}x")
        for r in renderers.values():
            r.close()


if __name__ == "__main__":
    main()
