"""`cohost motion` and `cohost record`: mocap on a host, and headless takes of a set."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .controllers.motion import ClipPlayer
from .sets.setfile import Camera, SetSpec, single_host_set
from .skeleton.bvh import load_bvh
from .skeleton.clip import Clip
from .skeleton.gltfclip import load_gltf_clips
from .skeleton.retarget import retarget
from .skeleton.rigfile import RigError, host_skeleton, load_rig_info
from .skeleton.skeleton import Skeleton
from .skeleton.take import record, save_bvh, save_npz
from .world.assemble import world_of
from .world.tick import Ticker, standard_stages


def load_clip(path: Path, name: str | None) -> Clip:
    if path.suffix.lower() == ".bvh":
        return load_bvh(path)
    clips = load_gltf_clips(load_rig_info(path))
    if not clips:
        raise RigError(f"{path}: has no animations")
    if name is None:
        return clips[0]
    for clip in clips:
        if clip.name == name:
            return clip
    raise RigError(f"{path}: no animation named {name!r}; it has {', '.join(c.name for c in clips)}")


def motion_set(rig: Path) -> tuple[SetSpec, Skeleton]:
    """A bare set with the host framed full length from the front."""
    skeleton = host_skeleton(rig)
    spec = single_host_set(rig)
    top = float(skeleton.world_positions(skeleton.rest_pose()[0])[:, 1].max()) + 0.15
    distance = 0.62 * top / np.tan(np.radians(17.5))
    spec.cameras = [Camera("full", (0.0, -distance, 0.55 * top), (0.0, 0.0, 0.5 * top), 35.0)]
    return spec, skeleton


def cmd_motion(args) -> int:
    clip = load_clip(Path(args.clip), args.name)
    rig = Path(args.host)
    spec, skeleton = motion_set(rig)
    moved = retarget(clip, skeleton)

    def prepare(stage) -> None:
        world = world_of(spec, stage.skeletons())
        player = ClipPlayer(moved, spec.tick_rate, in_place=not args.travel, speed=args.speed)
        stage.perform(Ticker(world, standard_stages(world, clips={0: player})))

    seconds = args.seconds or moved.duration / args.speed
    print(f"{clip.name}: {clip.frames} frames at {clip.rate:g} fps ({clip.duration:.2f} s), "
          f"{int(clip.animated.sum())} canonical bones, retargeted onto {rig.name}")
    if args.out:
        from .scene.capture import render_to
        report = render_to(spec, Path(args.out), seconds=seconds, fps=args.fps, size=args.size,
                           progress=not args.quiet, prepare=prepare)
        print(f"wrote {report.frames} frames to {args.out}")
    else:
        from .scene.window import run_window
        run_window(spec, args.size, False, args.debug, None, prepare)
    return 0


def cmd_record(args) -> int:
    from .controllers.config import load_behaviour
    from .show.staging import performance, read_dialogue
    from .studio.report import behaviour_report, format_report

    out = Path(args.out) if args.out else None
    if out is None and not args.report:
        raise SystemExit("cohost record: give --out take.npz|take.bvh, or --report, or both")
    says = list(args.say or [])
    if args.lines:
        dialogue = read_dialogue(Path(args.lines))
        says += dialogue * max(1, int(np.ceil(args.seconds / max(1.0, 2.0 * len(dialogue)))))   # loop to fill the take
    spec, ticker = performance(args.scene, says, args.gap, args.tick_rate)
    names = [h.name for h in spec.hosts]
    if not names:
        raise SystemExit(f"cohost record: {spec.source} has no hosts")
    ticks = max(1, round(args.seconds * spec.tick_rate))
    bar = None
    if not args.quiet:
        from tqdm import tqdm
        bar = tqdm(total=ticks, unit="tick", desc=f"record {out.name if out else 'take'}", file=sys.stderr)
    take = record(ticker, ticks, bar.update if bar else None)
    if bar:
        bar.close()
    if out is not None and out.suffix.lower() == ".npz":
        save_npz(take, out)
    elif out is not None:
        save_bvh(take, out, names.index(args.host) if args.host else 0)
    if out is not None:
        print(f"wrote {ticks} ticks of {', '.join(names)} to {out}")
    if args.report:
        config = load_behaviour()
        gaze = config["gaze"]
        print(format_report(behaviour_report(take, (gaze["eye_yaw"], gaze["eye_up"], gaze["eye_down"])), take, config))
    return 0
