"""`cohost gesture`: list or check lexicons, and the gesture lab for animators: a gesture on a host (or on
two side by side, to compare expressivities or lexicon versions), said with a line if wanted, in a window
(play, pause, scrub by tick, speed, live reload of the lexicon) or offscreen as an MP4 or a PNG strip of its
phases, with a plot of wrist paths, joint curves and the viseme track."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .figures import pyplot, save
from .gesture.expressivity import Expressivity
from .gesture.grammar import GestureError, load_lexicon
from .gesture.markup import MarkupError
from .sets.setfile import single_host_set
from .skeleton.rigfile import host_skeleton
from .studio.gesture_plot import path_length, plot_takes
from .studio.lab import Lab, LexiconWatcher, Take, Version, lab_set, play


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
    versions = lab_versions(args)
    rig = Path(args.host)
    skeleton = host_skeleton(rig)
    top = float(skeleton.world_positions(skeleton.rest_pose()[0])[:, 1].max())
    spec = lab_set(single_host_set(rig), top, len(versions))
    voice = None
    if args.say:
        from .show.lines import host_voice
        voice = host_voice(spec, spec.hosts[0].name)
    try:
        lab = Lab(spec, [skeleton] * len(versions), versions, args.name, args.say, voice)
    except (MarkupError, KeyError, ValueError) as e:
        raise SystemExit(f"cohost gesture: --say: {e.args[0] if e.args else e}") from None
    rate = spec.tick_rate
    for version, take in zip(versions, lab.takes):
        for side in sorted(take.planned.hands):
            length = path_length(take.positions[:, skeleton.index(f"{side}Hand")])
            print(f"{args.name} on {rig.name} ({version.label}): {side} wrist path {length:.2f} m "
                  f"over {take.ticks / rate:.2f} s")
        print("  " + ", ".join(f"{label} {t:.2f}s" for t, label in take.marks()))
    labelled = [(v.label if len(versions) > 1 else "", t) for v, t in zip(versions, lab.takes)]
    if args.plot:
        plot_takes(labelled, skeleton, rate, args.plot, f"{args.name} on {rig.name}  ("
                   + " vs ".join(v.label for v in versions) + ")")
        print(f"wrote {args.plot}")
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() == ".png":
        strip(spec, lab.takes, out, f"{args.name}  (" + " vs ".join(v.label for v in versions) + ")")
        print(f"wrote {out}")
    elif out is not None:
        render_takes(spec, lab, out, args)
    elif not args.plot:
        from .studio.lab_window import open_lab
        print(f"playing {args.name}; save {', '.join(args.lexicon)} to see your changes (Esc quits)")
        open_lab(lab, args.size)
    return 0


def lab_versions(args) -> list[Version]:
    """The first host's lexicon and expressivity, and the second's when comparing (--compare for another
    expressivity, --compare-lexicon for another version of the lexicon, or both)."""
    report = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    try:
        mine = Expressivity.parse(args.expressivity or "")
        other = Expressivity.parse(args.compare) if args.compare else mine
    except ValueError as e:
        raise SystemExit(f"cohost gesture: --expressivity/--compare: {e}") from None
    versions = [Version(expressivity_text(mine), LexiconWatcher([Path(p) for p in args.lexicon], report), mine)]
    if args.compare or args.compare_lexicon:
        paths = args.compare_lexicon or args.lexicon
        try:
            watcher = LexiconWatcher([Path(p) for p in paths], report)
        except GestureError as e:
            raise SystemExit(f"{e}\ncohost gesture: --compare-lexicon: {len(e.problems)} problem(s)") from None
        if args.compare_lexicon:
            versions[0].label = f"A: {', '.join(Path(p).name for p in args.lexicon)}, {versions[0].label}"
            label = f"B: {', '.join(Path(p).name for p in paths)}, {expressivity_text(other)}"
        else:
            versions[0].label = f"A: {versions[0].label}"
            label = f"B: {expressivity_text(other)}"
        versions.append(Version(label, watcher, other))
    return versions


def render_takes(spec, lab: Lab, out: Path, args) -> None:
    """The takes offscreen to an MP4 (with the line's sound) or a folder of PNGs."""
    import tempfile

    from .scene.capture import render_to
    from .speech.line import write_mix

    seconds = lab.length / spec.tick_rate
    line = lab.takes[0].line
    with tempfile.TemporaryDirectory() as tmp:
        audio = write_mix({"host": [line]} if line else {}, spec.tick_rate, seconds, Path(tmp) / "line.wav")
        report = render_to(spec, out, seconds=seconds, fps=args.fps, size=args.size, progress=not args.quiet,
                           prepare=play(lambda: lab.takes), audio=audio)
    print(f"wrote {report.frames} frames to {out}")


def expressivity_text(e: Expressivity) -> str:
    return ", ".join(f"{k} {v:+.1f}" for k, v in e.as_dict().items() if v) or "neutral"


def strip(spec, takes: list[Take], out: Path, title: str, size: tuple[int, int] = (560, 640)) -> None:
    """A row of frames at the first take's phase boundaries, each titled with its phase and time."""
    plt = pyplot()

    from .scene.render import OffscreenRenderer

    first = takes[0]
    end = first.offset_s + first.planned.end
    marks = [(t, label) for t, label in first.marks() if label != "end"]
    marks = [marks[0]] + [(t + 0.02, label) for t, label in marks[1:]] + [(end, "end")]
    fps = spec.tick_rate
    wanted = {min(round(t * fps), round(end * fps)): (t, label) for t, label in marks}
    frames: dict[int, np.ndarray] = {}
    size = (size[0] * len(takes), size[1])
    with OffscreenRenderer(spec, size, "front", fps=fps) as renderer:
        play(lambda: takes)(renderer.stage)
        for i, rgb in enumerate(renderer.frames(max(wanted) + 1)):
            if i in wanted:
                frames[i] = rgb.copy()
    scale = 2.6 * len(takes)
    fig, axes = plt.subplots(1, len(frames), figsize=(scale * len(frames), scale * size[1] / size[0] + 0.5))
    for ax, (i, rgb) in zip(np.atleast_1d(axes), sorted(frames.items())):
        t, label = wanted[i]
        ax.imshow(rgb)
        ax.set_title(f"{label}  {t:.2f} s", fontsize=9)
        ax.axis("off")
    save(fig, out, title)
