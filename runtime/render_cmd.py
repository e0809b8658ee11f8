"""`cohost render`: one scene or show to an MP4 or a PNG folder; or many (files, folders of them, CSVs of
product pitches) to one MP4 each, one after another or over a Ray cluster."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .batch.jobs import Job, JobError, read_jobs


def cmd_render(args, default_scene: Path) -> int:
    if is_batch(args):
        return render_many(args, default_scene)
    started = time.perf_counter()
    (scene,) = args.scene
    if args.stream:
        from .onair.broadcast import stream_scene
        from .onair.stream import StreamError, StreamSettings
        try:
            stats = stream_scene(scene, args.say or [], args.seconds,
                                 StreamSettings(args.stream, args.size, args.fps, args.video_bitrate), args.camera,
                                 args.shading, progress=not args.quiet)
        except StreamError as e:
            raise SystemExit(f"cohost render: {e}") from None
        print(f"streamed {stats.frames} frames to {args.stream}: {stats.sent} sent, {stats.repeated} repeated "
              f"(not ready in time), {stats.lost} lost while the ingest was away; {stats.drops} drops, "
              f"{stats.reconnects} reconnects; encoding took {stats.encoder_cpu_s / args.seconds:.0%} of a core")
        return 0
    from .scene.capture import render_scene
    report = render_scene(scene, args.say or [], args.seconds, Path(args.out), args.fps, args.size, args.camera,
                          args.shading, progress=not args.quiet, started=started)
    print(f"wrote {report.frames} frames to {args.out} ({report.renderer}); first frame after "
          f"{report.first_frame_s:.2f} s, {report.per_frame_s * 1000:.1f} ms per frame")
    return 0


def is_batch(args) -> bool:
    """Many inputs, a folder, a CSV of pitches, or --ray: one MP4 per job into the --out folder."""
    return (len(args.scene) > 1 or args.ray is not None
            or any(Path(s).is_dir() or s.lower().endswith(".csv") for s in args.scene))


def render_many(args, default_scene: Path) -> int:
    from .batch.farm import LoopPool, RayPool, render_batch, summary
    out_dir = Path(args.out)
    if out_dir.suffix.lower() == ".mp4":
        raise SystemExit(f"cohost render: with many jobs --out is a folder (one MP4 per job), got {args.out}")
    if args.say:
        raise SystemExit("cohost render: --say goes with one scene; give a CSV of pitches for lines per job")
    if args.size[0] % 2 or args.size[1] % 2:
        raise SystemExit(f"cohost render: MP4 frames need an even width and height, got {args.size[0]}x{args.size[1]}")
    template = Job("", "", "", args.seconds, camera=args.camera, fps=args.fps, size=args.size, shading=args.shading)
    try:
        jobs = read_jobs(args.scene, out_dir, template, default_scene)
    except JobError as e:
        print(str(e), file=sys.stderr)
        print(f"cohost render: {len(e.problems)} problem(s); nothing rendered", file=sys.stderr)
        return 2
    pool = LoopPool() if args.ray is None else RayPool(args.ray or None)
    print(f"{len(jobs)} job(s) on {pool.where}", file=sys.stderr)
    outcomes, wall = render_batch(jobs, pool, args.retries, not args.quiet)
    print(summary(outcomes, wall, pool.where))
    return 0 if all(o.ok for o in outcomes) else 1
