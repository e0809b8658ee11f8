"""`cohost gesture`: list or check lexicons, and preview one gesture on a host for animators: in a window
that reloads the lexicon when it is saved, or offscreen as an MP4 or a PNG strip of its phases, with a
plot of the wrist path and joint curves."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .controllers.idle import IdleController
from .figures import pyplot, save
from .gesture.expressivity import Expressivity
from .gesture.grammar import GestureError, load_lexicon
from .gesture.plot import path_length, plot_gesture
from .gesture.preview import (
    GestureLoop,
    LexiconWatcher,
    cycle_plan,
    cycle_ticks,
    phase_marks,
    preview_set,
    trace,
)
from .gesture.realize import GestureDriver
from .gesture.targets import host_targets
from .motion_cmd import host_skeleton
from .scene.setfile import single_host_set


def cmd_gesture(args) -> int:
    paths = [args.check] if args.check else args.lexicon
    try:
        lexicon = load_lexicon(*paths)
    except GestureError as e:
        print(str(e), file=sys.stderr)
        print(f"cohost gesture: {len(e.problems)} problem(s)", file=sys.stderr)
        return 1
    if args.check:
        print(f"{args.check}: {len(lexicon)} gestures, no problems")
    elif args.list:
        for name in sorted(lexicon):
            print(name)
    else:
        return preview(args, lexicon)
    return 0


def preview(args, lexicon: dict) -> int:
    if args.name not in lexicon:
        close = [n for n in sorted(lexicon) if args.name.split("_")[0] in n]
        raise SystemExit(f"cohost gesture: no gesture {args.name!r} in {', '.join(args.lexicon)}"
                         + (f"; did you mean {', '.join(close)}?" if close else "; see cohost gesture --list"))
    try:
        expressivity = Expressivity.parse(args.expressivity or "")
    except ValueError as e:
        raise SystemExit(f"cohost gesture: --expressivity: {e}") from None
    rig = Path(args.host)
    skeleton = host_skeleton(rig)
    top = float(skeleton.world_positions(skeleton.rest_pose()[0])[:, 1].max())
    spec = preview_set(single_host_set(rig), top)
    rate = spec.tick_rate
    planned = cycle_plan(lexicon[args.name], expressivity)
    ticks = cycle_ticks(planned, rate)

    def gestures() -> GestureDriver:
        return GestureDriver(IdleController(1, rate), skeleton, rate, host_targets(spec, spec.hosts[0]), expressivity)

    rotations, positions = trace(gestures_with(gestures(), planned), ticks, skeleton)
    for side in sorted(planned.hands):
        length = path_length(positions[:, skeleton.index(f"{side}Hand")])
        print(f"{args.name} on {rig.name}: {side} wrist path {length:.2f} m over {ticks / rate:.2f} s")
    print("  " + ", ".join(f"{label} {t:.2f}s" for t, label in phase_marks(planned)))
    if args.plot:
        plot_gesture(planned, rotations, positions, skeleton, rate, args.plot,
                     f"{args.name} on {rig.name}  (expressivity: {expressivity_text(expressivity)})")
        print(f"wrote {args.plot}")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() == ".png":
        strip(spec, planned, lambda: gestures_with(gestures(), planned), out, args.name)
        print(f"wrote {out}")
    elif out is not None:
        from .scene.capture import render_to

        def prepare(stage) -> None:
            stage.hosts[0].driver = gestures_with(gestures(), planned)

        report = render_to(spec, out, seconds=ticks / rate, fps=args.fps, size=args.size, progress=not args.quiet,
                           prepare=prepare)
        print(f"wrote {report.frames} frames to {out}")
    elif not args.plot:
        from .scene.window import run_window
        watcher = LexiconWatcher(args.lexicon, report=lambda text: print(text, file=sys.stderr, flush=True))

        def prepare(stage) -> None:
            stage.hosts[0].driver = GestureLoop(gestures(), args.name, watcher, rate)

        print(f"playing {args.name} in a loop; save {', '.join(args.lexicon)} to see your changes (Esc quits)")
        run_window(spec, args.size, False, args.debug, None, prepare)
    return 0


def gestures_with(driver: GestureDriver, planned) -> GestureDriver:
    driver.perform(0, [planned])
    return driver


def expressivity_text(e: Expressivity) -> str:
    return ", ".join(f"{k} {v:+.1f}" for k, v in e.as_dict().items() if v) or "neutral"


def strip(spec, planned, make_driver, out: Path, name: str, size: tuple[int, int] = (560, 640)) -> None:
    """A row of frames at the gesture's phase boundaries, each titled with its phase and time."""
    plt = pyplot()

    from .scene.render import OffscreenRenderer

    marks = [(t, label) for t, label in phase_marks(planned) if label != "end"]
    marks = [marks[0]] + [(t + 0.02, label) for t, label in marks[1:]] + [(planned.end, "end")]
    fps = spec.tick_rate
    wanted = {min(round(t * fps), round(planned.end * fps)): (t, label) for t, label in marks}
    frames: dict[int, np.ndarray] = {}
    with OffscreenRenderer(spec, size, "front", fps=fps) as renderer:
        renderer.stage.hosts[0].driver = make_driver()
        for i, rgb in enumerate(renderer.frames(max(wanted) + 1)):
            if i in wanted:
                frames[i] = rgb.copy()
    fig, axes = plt.subplots(1, len(frames), figsize=(2.6 * len(frames), 2.6 * size[1] / size[0] + 0.5))
    for ax, (i, rgb) in zip(np.atleast_1d(axes), sorted(frames.items())):
        t, label = wanted[i]
        ax.imshow(rgb)
        ax.set_title(f"{label}  {t:.2f} s", fontsize=9)
        ax.axis("off")
    save(fig, out, name)
