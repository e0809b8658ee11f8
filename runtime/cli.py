"""The `cohost` command."""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from .sets.setfile import PROJECT
from .tomlfile import FileError
from .usage import UsageError, check_camera, host_rig, out_path, words

DEFAULT_SCENE = PROJECT / "scenes" / "shop_studio.toml"
DEFAULT_SHOW = PROJECT / "scenes" / "shop_show.toml"

EXAMPLES = """examples:
  cohost run                                   the default show (scenes/shop_show.toml), in a window
  cohost run scenes/shop_studio.toml --say "Mei: Hello!"          a set, with lines to speak
  cohost run scenes/chroma.toml --size 1920x1080 --borderless     clean chroma window for OBS
  cohost render scenes/shop_studio.toml --seconds 5 --out show.mp4
  cohost render scenes/chroma.toml --seconds 1 --fps 30 --size 640x360 --out frames/
  cohost motion walk.bvh --host rigs/jun.glb --out walk.mp4      mocap retargeted onto a host
  cohost record scenes/shop_studio.toml --seconds 10 --out take.npz
  cohost render scenes/shop_studio.toml --seconds 6 --say "Mei: Welcome to the shop!" --out hello.mp4
  cohost say "Hello everyone" --host rigs/jun.glb --out line.wav --track track.json
  cohost lipsync take.wav --text script.txt --out track.json --plot track.png
  cohost puppet --mic --host Mei                 a human voice drives Mei's mouth live
  cohost ask "How much is the kettle?"           the catalogue answer a viewer gets
  cohost serve --chat-port 8765 --api-port 8766  the show on air with chat and the operator API
  cohost chat "Price?" --port 8765               a viewer's question to a running serve
  cohost soak --hours 6                          six hours on air in simulated time
  cohost set scenes/shop_studio.toml             preview a set's cameras and safe areas; live reload
  cohost gesture beat --compare power=1          the gesture lab: two expressivities side by side
  cohost render scenes/pitches.csv --out renders/ --ray     one MP4 per product pitch, on Ray
  cohost inspect avatar.vrm --png avatar.png     is an avatar ready? turntable, mapping, morph sheet
  cohost build-host rigs/mei.toml
"""


RENDER_EXAMPLES = """examples:
  cohost render scenes/shop_show.toml --seconds 30 --out show.mp4
  cohost render scenes/chroma.toml --seconds 1 --fps 30 --size 640x360 --out frames/     numbered PNGs
  cohost render scenes/shop_studio.toml --seconds 6 --say "Mei: Welcome to the shop!" --out hello.mp4
  cohost render pitches.csv --out renders/                 one MP4 per product pitch, with progress
  cohost render shows/ scenes/chroma.toml --out renders/   every *.toml in shows/, and one more
  cohost render pitches.csv --out renders/ --ray           on a Ray started on this machine
  cohost render pitches.csv --out renders/ --ray ray://farm:10001 --retries 3
a pitch CSV has a header row; name and text are needed, host, scene, product (its price card on screen),
camera and seconds are optional: see scenes/pitches.csv
"""

RUN_EXAMPLES = """examples:
  cohost run                                         the shop show (scenes/shop_show.toml) in a window
  cohost run scenes/shop_studio.toml --say "Mei: Hello!" --say "Jun@3: Welcome to the shop!"
  cohost run scenes/shop_studio.toml --camera wide --debug      start on the wide shot; tick and frame rate
  cohost run scenes/chroma.toml --size 1920x1080 --borderless   a clean chroma window for OBS to capture
keys: 1-9 pick a camera, c cycles them, Esc quits
"""

MOTION_EXAMPLES = """examples:
  cohost motion walk.bvh --host Jun                   in a window, retargeted onto Jun (rigs/jun.glb)
  cohost motion walk.bvh --host rigs/mei.glb --travel --out walk.mp4     keep the clip's travel; to MP4
  cohost motion dance.bvh --seconds 4 --speed 0.5 --out frames/          slow motion, numbered PNGs
  cohost motion avatar.glb --name Walk --host Mei      a glTF file's own animation
"""

RECORD_EXAMPLES = """examples:
  cohost record scenes/shop_studio.toml --seconds 30 --out take.npz
  cohost record scenes/shop_studio.toml --seconds 30 --out take.bvh --host Jun       one host, for Blender
  cohost record scenes/shop_studio.toml --say "Mei: Welcome!" --seconds 5 --out hello.npz
  cohost record scenes/shop_studio.toml --lines scenes/dialogue.txt --seconds 600 --report
  cohost record scenes/shop_studio.toml --lines scenes/dialogue.txt --seconds 90 --tick-rate 240 --report
"""

SAY_EXAMPLES = """examples:
  cohost say "Hello everyone" --host Mei --out line.wav         Mei's voice (rigs/mei.toml [voice])
  cohost say "Only thirty-nine dollars!" --host rigs/jun.glb --out line.wav --track track.json --phonemes
  cohost say "这个水壶很好" --host Jun --voice cmn --out tea.wav    another language, Jun's pitch and rate
  cohost say "Welcome to the shop!" --host Jun --piper en_US-joe-medium --out joe.wav --plot joe.png   a neural voice
"""

LIPSYNC_EXAMPLES = """examples:
  cohost lipsync take.wav --text script.txt --out track.json --plot track.png     the script aligned to the audio
  cohost lipsync take.wav --text "大家好，欢迎来到直播间" --out track.json            any language eSpeak NG speaks
  cohost lipsync talk.wav --voice ko --out track.json       no script: the bundled Korean vosk model listens
  cohost lipsync take.mp3 --no-vosk --out track.json        from the audio level and spectrum alone
"""

PUPPET_EXAMPLES = """examples:
  cohost puppet --mic --host Mei                      a human voice drives Mei's mouth live (needs sounddevice)
  arecord -f S16_LE -r 16000 -c 1 | cohost puppet -   any raw 16 kHz mono stream on stdin
  cohost puppet take.wav --host Jun --out jun.mp4     a recording, rendered with its sound
  cohost puppet take.wav --scene scenes/chroma.toml --camera full      in a window, on the chroma set
"""
SHADING_HELP = ("pixel: per-pixel light and soft shadows; vertex: lit at the vertices, the cheapest (default: "
                "the set's; pixel unless it says). Rendered and streamed frames are edge-filtered either way")


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1280x720, got {text!r}") from None
    if not (16 <= w <= 7680 and 16 <= h <= 4320):
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range (16..7680 x 16..4320)")
    return w, h


def _bitrate(text: str) -> str:
    """A bitrate as ffmpeg takes it: bits a second, with k or M (2500k, 3M, 800000)."""
    if not re.fullmatch(r"[1-9]\d*(\.\d+)?[kKM]?", text):
        raise argparse.ArgumentTypeError(f"a bitrate looks like 2500k or 3M, got {text!r}")
    return text


def _positive(kind):
    def parse(text: str):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def say_if_compiling() -> None:
    """A first run compiles the tick's numba kernels before the first frame (a minute on two cores), with
    the window black and nothing printed: say so when their cache beside the modules is empty (a cache
    put elsewhere with NUMBA_CACHE_DIR cannot be told from here)."""
    if "NUMBA_CACHE_DIR" not in os.environ and not any(
            (Path(__file__).parent / "controllers" / "__pycache__").glob("*.nbi")):
        print("cohost: first run on this machine: compiling the tick's kernels before the first frame (about a "
              "minute on two cores; later runs start in seconds)", file=sys.stderr)


def cmd_render(args) -> int:
    say_if_compiling()
    return _render().cmd_render(args, DEFAULT_SCENE)


def cmd_run(args) -> int:
    from .scene.window import run_window
    from .show.staging import on_stage
    spec, lines, prepare = on_stage(args.scene, args.say or [], None)
    check_camera(spec, args.camera)                    # before the window: a typo is told, not a traceback
    say_if_compiling()
    spec.shading = args.shading or spec.shading
    run_window(spec, args.size, args.borderless, args.debug, args.camera, prepare, lines)
    return 0


def cmd_serve(args) -> int:
    import asyncio

    from .onair.operator import Operator, api_token
    from .onair.serve import serve
    from .onair.vmc import VmcIn, VmcOut, VmcReceiver, address
    from .sets.setfile import load_set
    from .show.chat_model import ChatModel
    from .show.live import LiveShow
    from .show.script import is_show, load_show
    from .onair.record import ShowRecord, record_path
    show = None
    if args.show or is_show(args.scene):
        show = load_show(args.show or args.scene)
    spec = show.spec if show else load_set(args.scene)
    say_if_compiling()
    record = None
    if not args.no_record:
        try:
            record = ShowRecord(args.record or record_path(args.show or args.scene))
        except ValueError as e:
            raise SystemExit(f"cohost serve: {e}") from None
        show, greeted = record.resume_show(show)
    chat_model = ChatModel(args.llm, args.llm_model) if args.llm else None
    names = [h.name for h in spec.hosts]
    vmc_host = args.vmc_host or names[0]
    if vmc_host not in names:
        raise SystemExit(f"cohost serve: --vmc-host {vmc_host!r} is not on the set; hosts: {', '.join(names)}")
    try:
        send_to = address(args.vmc_out) if args.vmc_out else None
        inputs = (VmcIn(names.index(vmc_host), VmcReceiver(args.vmc_in)),) if args.vmc_in is not None else ()
    except (ValueError, OSError) as e:
        raise SystemExit(f"cohost serve: VMC: {e}") from None
    outputs = (VmcOut(names.index(vmc_host), send_to),) if send_to else ()
    built: dict = {}

    def on_air(skeletons=None) -> LiveShow:
        built["show"] = live = LiveShow(spec, show, tuple(args.block), chat_model, skeletons, inputs, outputs)
        if record is not None:
            for user in greeted:                     # a restarted show does not greet its viewers again
                live.greeted.add(user, 0.0)
            live.director.listeners.append(record.hear)
        return live

    window = stream = None
    if args.stream and not args.headless:
        raise SystemExit("cohost serve: --stream goes with --headless (a window is captured with OBS instead)")
    if args.stream:
        from .onair.broadcast import LiveStream
        from .onair.stream import StreamError, StreamSettings

        def perform(stage):
            live = on_air(stage.skeletons())
            stage.perform(live.ticker)
            stage.follow(live.director)
        try:
            stream = LiveStream(spec, StreamSettings(args.stream, args.size, args.fps, args.video_bitrate), perform,
                                events=lambda kind, **fields: built["show"].director.emit(kind, **fields))
        except StreamError as e:
            raise SystemExit(f"cohost serve: {e}") from None
        live = built["show"]
        live.director.listeners.append(stream.mix.hear)          # the voices, as lines go on air
        print(f"streaming to {args.stream} at {args.size[0]}x{args.size[1]}, {args.fps} fps", flush=True)
    elif args.headless:
        live = on_air()
    else:
        from .scene.window import Window

        def prepare(stage):
            live = on_air(stage.skeletons())
            stage.perform(live.ticker)
            stage.follow(live.director)
            return live.director
        window = Window(spec, args.size, args.borderless, False, None, prepare)
        live = built["show"]
    if send_to:
        print(f"VMC: {vmc_host} sent to udp://{send_to[0]}:{send_to[1]}", flush=True)
    if args.vmc_in is not None:
        print(f"VMC: {vmc_host} driven from udp://127.0.0.1:{args.vmc_in}", flush=True)
    api = None
    if args.api_port is not None:
        token, path = api_token()
        api = Operator(live, token, record)
        print(f"operator API token: {path}", flush=True)

    try:
        asyncio.run(serve(live, args.chat_port, api, args.api_port or 0, args.bind, window,
                          ready=lambda text: print(text, flush=True), stream=stream, record=record))
    except OSError as e:
        raise SystemExit(f"cohost serve: cannot listen on {args.bind}: {e.strerror}") from None
    finally:
        if record is not None:
            record.close()
        if stream is not None:
            s = stream.close()
            print(f"stream: {s.sent} frames sent, {s.repeated} repeated (not ready in time), {s.lost} lost while "
                  f"the ingest was away; {s.drops} drops, {s.reconnects} reconnects")
    counts = ", ".join(f"{k} {v}" for k, v in sorted(live.moderator.counts.items())) or "none"
    print(f"stopped at tick {live.tick}; viewer messages: {counts}; answers: {live.latency_report()}")
    return 0


def cmd_soak(args) -> int:
    from .studio.soak import plot_memory, soak
    if args.plot and not Path(args.plot).resolve().parent.is_dir():        # found out now, not hours from now
        raise SystemExit(f"cohost soak: no folder {Path(args.plot).resolve().parent} for --plot")
    try:
        report = soak(Path(args.show), args.minutes / 60 if args.minutes else args.hours, args.chat_per_minute, args.seed, progress=not args.quiet)
    except ValueError as e:
        raise SystemExit(f"cohost soak: {e}") from None
    print(report.format())
    if args.plot:
        plot_memory(report, args.plot)
        print(f"wrote {args.plot}")
    held = report.exceptions == 0 and report.drift_ticks < 1.0 and (report.growth < 0.01 or not report.judged)
    print(("held: no exceptions, no drift" + (", memory flat" if report.judged else "")) if held else "FAILED: see above")
    return 0 if held else 1


def cmd_log(args) -> int:
    from .onair.record import print_log, read_log
    since = None
    if args.since:
        import datetime
        try:
            since = datetime.datetime.fromisoformat(args.since).timestamp()
        except ValueError:
            raise SystemExit(f"cohost log: --since {args.since!r}: expected a date and time like 2026-11-30T14:00")
    try:
        rows = read_log(args.record, since, args.kind)
    except ValueError as e:
        raise SystemExit(f"cohost log: {e}") from None
    if args.csv:
        with open(args.csv, "w", newline="", encoding="utf-8") as f:
            print_log(rows, f, as_csv=True)
        print(f"wrote {len(rows)} rows to {args.csv}")
    else:
        print_log(rows)
    return 0


def cmd_token(args) -> int:
    from .onair.operator import api_token
    token, path = api_token(new=args.new)
    print(token if args.quiet else f"{token}\n(kept in {path}; `cohost token --new` replaces it)")
    return 0


def cmd_chat(args) -> int:
    import json

    from websockets.sync.client import connect
    event = {"event": args.event, "user": args.user, "text": args.text, "gift": args.gift, "product": args.product,
             "count": args.count}
    try:
        with connect(f"ws://127.0.0.1:{args.port}", open_timeout=10) as ws:
            ws.send(json.dumps(event, ensure_ascii=False))
            reply = json.loads(ws.recv(timeout=30))
    except (OSError, TimeoutError) as e:
        raise SystemExit(f"cohost chat: no show answering on ws://127.0.0.1:{args.port} ({e}); "
                         f"start one with 'cohost serve'") from None
    if not reply.get("accepted"):
        print(f"refused: {reply.get('reason') or 'no reason given'}", file=sys.stderr)
        return 1
    if reply.get("reason") and reply.get("host") is None:
        # read but not answered (hosts busy, a failed answer): the viewer gets no line
        print(reply["reason"], file=sys.stderr)
        return 1
    print(f"{reply['host']} at tick {reply['tick']}: {reply['answer']}" if reply.get("answer") else "(no answer)")
    return 0


def cmd_ask(args) -> int:
    from .show.responder import Responder
    from .show.script import set_of
    spec = set_of(args.scene)
    if args.product and args.product not in {p.id for p in spec.products}:
        raise SystemExit(f"cohost ask: no product {args.product!r} in {args.scene}; "
                         f"products: {', '.join(p.id for p in spec.products)}")
    answer = Responder(spec.products).answer(args.question, args.product)
    if answer is None:
        print("cohost ask: the catalogue has no answer (name a product, or say which is on air with --product)",
              file=sys.stderr)
        return 1
    print(answer.text)
    return 0


def cmd_inspect(args) -> int:
    from .skeleton.inspect import describe
    print(describe(args.rig, args.mapping))
    if args.png:
        from .scene.rig_sheet import rig_sheet
        report = rig_sheet(args.rig, args.png, args.mapping)
        print(f"wrote {args.png}: " + ("ready" if report.ready else "not ready: " + ", ".join(report.problems)))
    return 0


def cmd_inspect_tick(args) -> int:
    from .show.staging import performance
    from .world.tick import describe
    spec, ticker = performance(args.scene, args.say or [])
    costs = ticker.profile(args.ticks) if args.ticks else None
    print(f"one tick of {spec.name} ({len(spec.hosts)} hosts, {spec.tick_rate} ticks a second), stage by stage:")
    print(describe(ticker.stages, costs))
    if costs:
        print(f"    median tick {costs['tick']:.3f} ms over {args.ticks} ticks = "
              f"{costs['tick'] * spec.tick_rate / 10:.1f} % of the {1000 / spec.tick_rate:.1f} ms a tick has")
    return 0


def cmd_build_host(args) -> int:
    from .builder.body import build_file
    for out in build_file(args.spec, args.out, args.vrm):
        print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")
    return 0


# What --out takes, per kind of command (anything else is refused before any work is done).
VIDEO_OUT = out_path({".mp4": "a video"}, folder="numbered PNGs")
GESTURE_OUT = out_path({".mp4": "one cycle", ".png": "a strip of its phases"}, folder="numbered PNGs")
STILL_OUT = out_path({".png": "one PATH_<camera>.png a camera"}, folder="one <camera>.png a camera")
TAKE_OUT = out_path({".npz": "arrays", ".bvh": "one host's mocap"})
WAV_OUT = out_path({".wav": "the audio"})
TRACK_OUT = out_path({".json": "per-tick viseme weights"})
PLOT_OUT = out_path({".png": "a picture"})
HOST_HELP = "a built-in host by name (Mei, Jun: any case) or a rig file (.glb, .gltf, .vrm); default %(default)s"


def _command(sub, name: str, **options) -> argparse.ArgumentParser:
    """A subcommand whose help keeps the line breaks of its examples."""
    return sub.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter, **options)


def _picture_options(p: argparse.ArgumentParser, debug: bool = True) -> None:
    """Frame rate, size, overlay and progress options shared by the commands that make pictures."""
    p.add_argument("--fps", type=_positive(int), default=30, help="frames per second when rendering (default 30)")
    p.add_argument("--size", type=_size, default=(1280, 720), help="frame or window size WxH (default 1280x720)")
    if debug:
        p.add_argument("--debug", action="store_true", help="in a window: tick, camera, frame rate, skeletons")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _speech():
    from . import speech_cmd
    return speech_cmd


def _gesture_command(args) -> int:
    modes = sum((args.name is not None, args.list, args.check is not None))
    if modes != 1:
        raise SystemExit("cohost gesture: give a gesture NAME to preview, or --list, or --check FILE")
    from .gesture_cmd import cmd_gesture
    return cmd_gesture(args)


def _render():
    from . import render_cmd
    return render_cmd


def _motion():
    from . import motion_cmd
    return motion_cmd


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cohost", description="Digital-human hosts for livestream shops.",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-v", "--verbose", action="store_true", help="log loader details")
    sub = p.add_subparsers(dest="command")

    run = _command(sub, "run", help="play a show or a set in a window (default: the shop show)", epilog=RUN_EXAMPLES)
    run.add_argument("scene", nargs="?", default=str(DEFAULT_SHOW),
                     help="show script (scenes/*show.toml) or set file (scenes/*.toml)")
    run.add_argument("--size", type=_size, default=(1280, 720), help="window size WxH (default 1280x720)")
    run.add_argument("--borderless", action="store_true", help="no window frame, for window capture")
    run.add_argument("--debug", action="store_true", help="show tick, camera and frame-rate overlay")
    run.add_argument("--camera", help="start on this named camera (keys 1-9 switch, c cycles)")
    run.add_argument("--shading", choices=("vertex", "pixel"), help=SHADING_HELP)
    run.add_argument("--say", action="append", metavar="HOST[@SECONDS]: TEXT",
                     help="a line for a host to speak (repeatable; lines follow each other unless timed)")
    run.set_defaults(func=cmd_run)

    render = _command(sub, "render", help="render shows or sets offscreen: one to MP4 or PNGs, many to one MP4 each "
                                           "(a folder, a CSV of product pitches), locally or on Ray",
                            epilog=RENDER_EXAMPLES)
    render.add_argument("scene", nargs="+", help="show scripts, set files, folders of them, or CSVs of product pitches")
    render.add_argument("--seconds", type=_positive(float), default=5.0,
                        help="length (default 5; a pitch runs to its line's end plus 1 s)")
    _picture_options(render, debug=False)
    render.add_argument("--camera", help="named camera (default: the first in the scene)")
    where = render.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=VIDEO_OUT, help="PATH.mp4 or a folder of numbered PNGs; "
                                                     "with many jobs: the folder for one MP4 per job")
    where.add_argument("--stream", metavar="URL", help="stream in real time to rtmp://, rtmps://, srt:// or a "
                                                       ".flv/.ts/.mkv file (H.264 CBR, AAC 48 kHz)")
    render.add_argument("--video-bitrate", type=_bitrate, default="2500k",
                        help="the stream's constant video bitrate (default 2500k)")
    render.add_argument("--shading", choices=("vertex", "pixel"), help=SHADING_HELP)
    render.add_argument("--say", action="append", metavar="HOST[@SECONDS]: TEXT",
                        help="a line for a host to speak, muxed into the MP4 (repeatable)")
    render.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                        help="spread the jobs over a Ray cluster (ray://HOST:10001 or HOST:6379); "
                             "alone: start Ray on this machine")
    render.add_argument("--retries", type=int, default=2,
                        help="times a failed job is tried again (default %(default)s)")
    render.set_defaults(func=cmd_render)

    motion = _command(sub, "motion", help="play a mocap clip (BVH or glTF animation) retargeted onto a host",
                            epilog=MOTION_EXAMPLES)
    motion.add_argument("clip", help=".bvh file, or a .glb/.gltf with animations")
    motion.add_argument("--host", type=host_rig, default="Mei", help=f"who plays it: {HOST_HELP}")
    motion.add_argument("--name", help="animation name inside a glTF file (default: the first)")
    motion.add_argument("--out", type=VIDEO_OUT, help="PATH.mp4 or a folder for PNGs (default: a window)")
    motion.add_argument("--seconds", type=_positive(float), help="length (default: one pass of the clip)")
    motion.add_argument("--speed", type=_positive(float), default=1.0, help="playback speed (default 1)")
    motion.add_argument("--travel", action="store_true", help="keep the clip's travel (default: in place)")
    _picture_options(motion)
    motion.set_defaults(func=lambda a: _motion().cmd_motion(a))

    rec = _command(sub, "record", help="run a set headless at the fixed tick and save the performance",
                         epilog=RECORD_EXAMPLES)
    rec.add_argument("scene", help="scene file (scenes/*.toml)")
    rec.add_argument("--seconds", type=_positive(float), default=10.0, help="length of the take (default %(default)s)")
    rec.add_argument("--out", type=TAKE_OUT, help="take.npz (arrays, see README) or take.bvh (one host)")
    rec.add_argument("--host", help="with .bvh: which host (default: the first)")
    rec.add_argument("--say", action="append", metavar="HOST[@SECONDS]: TEXT", help="a line to speak (repeatable)")
    rec.add_argument("--lines", metavar="FILE", help="a dialogue: 'Host: text' lines, looped to fill the take")
    rec.add_argument("--gap", type=float, default=0.4, help="seconds between lines (default %(default)s)")
    rec.add_argument("--tick-rate", type=_positive(int), help="ticks per second (default: the set's; 240 times saccades)")
    rec.add_argument("--report", action="store_true",
                     help="print the behaviour report: blinks, saccades, gaze shares, eye limits, breathing")
    rec.add_argument("--quiet", action="store_true", help="no progress bar")
    rec.set_defaults(func=lambda a: _motion().cmd_record(a))

    say = _command(sub, "say", help="synthesise a line with a host's voice: audio and viseme track",
                         epilog=SAY_EXAMPLES)
    say.add_argument("text", type=words, help="the words to say")
    say.add_argument("--host", type=host_rig, default="Mei", help=f"whose voice: {HOST_HELP}")
    say.add_argument("--voice", help="eSpeak NG voice (en-us, cmn, ko, ...); default: the host's")
    say.add_argument("--rate", type=_positive(int), help="words per minute (default: the host's)")
    say.add_argument("--pitch", type=int, help="0..100 (default: the host's; eSpeak NG only)")
    say.add_argument("--emotion", choices=("neutral", "happy", "surprised", "angry", "sad", "relaxed"),
                     help="how the line is said (rate, pitch and loudness); default: the host's")
    say.add_argument("--piper", metavar="MODEL",
                     help="speak with a Piper neural voice: an installed one (en_US-joe-medium) or a .onnx file")
    say.add_argument("--out", type=WAV_OUT, help="line.wav: the audio")
    say.add_argument("--track", type=TRACK_OUT, help="track.json (per-tick viseme weights)")
    say.add_argument("--tick-rate", type=_positive(int), default=60,
                     help="track ticks per second (default %(default)s)")
    say.add_argument("--phonemes", dest="verbose_phonemes", action="store_true", help="list the phoneme timeline")
    say.add_argument("--plot", type=PLOT_OUT, help="line.png: the viseme track over the waveform, words marked")
    say.set_defaults(func=lambda a: _speech().cmd_say(a))

    sync = _command(sub, "lipsync", help="a viseme track from a voice recording (its script aligned, vosk, or the audio alone)",
                          epilog=LIPSYNC_EXAMPLES)
    sync.add_argument("audio", help="WAV, MP3, MP4 ... (anything ffmpeg reads)")
    sync.add_argument("--text", help="the script: text, or a file holding it (aligned to the audio)")
    sync.add_argument("--vosk-model", help="without a script: a vosk model folder of the speech's language "
                                           "(default: the bundled Korean model, for Korean)")
    sync.add_argument("--no-vosk", action="store_true", help="drive the mouth from the audio level and spectrum only")
    sync.add_argument("--voice", help="the speech's eSpeak NG language (default: from the script's letters, "
                                      "else en-us)")
    sync.add_argument("--out", required=True, type=TRACK_OUT, help="track.json: per-tick viseme weights")
    sync.add_argument("--plot", help="track.png: the track over the waveform")
    sync.add_argument("--tick-rate", type=_positive(int), default=60,
                      help="track ticks per second (default %(default)s)")
    sync.set_defaults(func=lambda a: _speech().cmd_lipsync(a))

    puppet = _command(sub, "puppet", help="drive a host's mouth live from a voice (file, stdin PCM or microphone)",
                            epilog=PUPPET_EXAMPLES)
    puppet.add_argument("audio", nargs="?", help="audio file, or '-' for raw s16le 16 kHz mono PCM on stdin")
    puppet.add_argument("--mic", action="store_true", help="listen to the microphone (needs sounddevice)")
    puppet.add_argument("--scene", default=str(DEFAULT_SCENE),
                        help="set file the host stands in (default: the shop studio)")
    puppet.add_argument("--host", help="which host speaks (default: the first)")
    puppet.add_argument("--vosk-model", help="vosk model folder to refine vowels (default: the bundled Korean "
                                             "one, for Korean)")
    puppet.add_argument("--no-vosk", action="store_true", help="level and spectrum only")
    puppet.add_argument("--voice", help="the speech's eSpeak NG language (default en-us)")
    puppet.add_argument("--out", type=VIDEO_OUT, help="render offscreen to PATH.mp4 or a folder instead of a window")
    puppet.add_argument("--camera", help="named camera (default: the set's first)")
    _picture_options(puppet)
    puppet.set_defaults(func=lambda a: _speech().cmd_puppet(a))

    gesture = _command(sub, "gesture", help="the gesture lab: preview, compare and plot a gesture; list or check a lexicon",
                             epilog="examples:\n  cohost gesture --list\n  cohost gesture --check my_gestures.gesture\n"
                                    "  cohost gesture wave_hello            window: up/down gesture, space play/pause,\n"
                                    "                                      left/right a tick, [ ] speed; edits to the lexicon show live\n"
                                    "  cohost gesture beat --compare power=1,spatial=0.5      two hosts side by side\n"
                                    "  cohost gesture beat --lexicon mine.gesture --compare-lexicon rigs/gestures/lexicon.gesture\n"
                                    "  cohost gesture point_product --host rigs/jun.glb --out point.mp4 --plot point.png\n"
                                    "  cohost gesture beat --say \"This kettle is [beat]*great*.\" --plot beat.png   with the viseme track\n"
                                    "  cohost gesture beat --expressivity power=1 --compare power=-1 --out beat.png   strip of phases\n"
                                    "the language: rigs/gestures/GRAMMAR.md")
    gesture.add_argument("name", nargs="?", help="the gesture to preview")
    gesture.add_argument("--list", action="store_true", help="print the lexicon's gesture names, one a line")
    gesture.add_argument("--check", metavar="FILE", help="validate a lexicon file; exit 1 with every problem found")
    gesture.add_argument("--lexicon", nargs="+", default=[str(PROJECT / "rigs" / "gestures" / "lexicon.gesture")],
                         help="lexicon files (default: rigs/gestures/lexicon.gesture)")
    gesture.add_argument("--host", type=host_rig, default="Mei", help=f"who performs: {HOST_HELP}")
    gesture.add_argument("--expressivity", metavar="K=V,...",
                         help="spatial, temporal, fluidity, power, repetition from -1 to 1 (default all 0)")
    gesture.add_argument("--compare", metavar="K=V,...", help="a second host beside the first with this expressivity")
    gesture.add_argument("--compare-lexicon", nargs="+", metavar="FILE",
                         help="a second host performing the gesture from these lexicon files (another version)")
    gesture.add_argument("--say", metavar="TEXT", help="a line the host says with the gesture on its first word, or "
                                                       "where [NAME] is placed in it (*word* marks stress)")
    gesture.add_argument("--out", type=GESTURE_OUT, help="render offscreen: PATH.mp4 (one cycle), PATH.png (a strip "
                                                         "of its phases) or a folder of numbered PNGs")
    gesture.add_argument("--plot", help="PATH.png: wrist paths, speed, joint curves and visemes with the phases marked")
    _picture_options(gesture)
    gesture.set_defaults(func=_gesture_command)

    serve = _command(sub, "serve", help="put a show on air in real time: viewer chat and the operator API over WebSocket",
                           epilog="examples:\n  cohost serve --headless --chat-port 8765 --api-port 8766\n"
                                  '  cohost chat "How much is the kettle?" --user ana --port 8765\n'
                                  "  cohost serve scenes/shop_studio.toml --headless     a set with no script: hosts idle, answer chat\n"
                                  "  cohost serve --llm http://127.0.0.1:8080/v1 --llm-model qwen2.5   free-form replies")
    serve.add_argument("scene", nargs="?", default=str(DEFAULT_SHOW), help="show or set file (default: the shop show)")
    serve.add_argument("--show", help="a show script to play (its set is the scene)")
    serve.add_argument("--chat-port", type=int, default=8765,
                       help="viewer events on ws://BIND:PORT (default %(default)s; 0: any free port)")
    serve.add_argument("--api-port", type=int, help="the operator API on ws://BIND:PORT (0: any free port; off if not given)")
    serve.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--headless", action="store_true", help="no window (servers, tests)")
    serve.add_argument("--size", type=_size, default=(1280, 720), help="window or stream size (default 1280x720)")
    serve.add_argument("--stream", metavar="URL", help="stream the show with its voices to rtmp://, rtmps://, srt:// "
                                                       "or a .flv/.ts/.mkv file (needs --headless)")
    serve.add_argument("--fps", type=_positive(int), default=30, help="the stream's frames per second (default 30)")
    serve.add_argument("--record", metavar="PATH.db", help="the show's record (SQLite); default: one per show in "
                                                           "~/.local/share/cohost/records/; a restart goes on from it")
    serve.add_argument("--no-record", action="store_true", help="keep no record (and start from the beginning)")
    serve.add_argument("--video-bitrate", type=_bitrate, default="2500k",
                       help="the stream's constant video bitrate (default 2500k)")
    serve.add_argument("--borderless", action="store_true", help="window without decorations (for capture)")
    serve.add_argument("--block", nargs="+", default=[], metavar="WORD", help="refuse messages with these words")
    serve.add_argument("--vmc-out", metavar="[HOST:]PORT", help="send a host's bones and blend shapes over VMC "
                                                            "(OSC/UDP; VSeeFace and Warudo listen on 39539)")
    serve.add_argument("--vmc-in", metavar="PORT", type=int, help="let a tracking app drive the host's head, eyes "
                                                                   "and hands over VMC on this UDP port")
    serve.add_argument("--vmc-host", help="the host VMC mirrors or drives (default: the set's first)")
    serve.add_argument("--llm", metavar="URL", help="an OpenAI-compatible endpoint (base URL ending in /v1) for "
                                                    "free-form replies; key from $COHOST_LLM_KEY; the catalogue answers if it fails")
    serve.add_argument("--llm-model", default="default", help="model name sent to the endpoint (default %(default)s)")
    serve.set_defaults(func=cmd_serve)

    soak = _command(sub, "soak", help="hours of the looping show in simulated time, with viewer traffic; reports "
                                       "exceptions, clock drift and memory",
                          epilog="examples:\n  cohost soak --hours 6 --plot soak.png\n  cohost soak --minutes 10 --chat-per-minute 30")
    soak.add_argument("show", nargs="?", default=str(DEFAULT_SHOW),
                      help="a looping show, or a set whose hosts idle and answer chat (default: the shop show)")
    length = soak.add_mutually_exclusive_group()
    length.add_argument("--hours", type=_positive(float), default=6.0, help="simulated hours (default 6)")
    length.add_argument("--minutes", type=_positive(float), help="simulated minutes instead")
    soak.add_argument("--chat-per-minute", type=_positive(float), default=6.0, help="viewer messages a minute (default 6)")
    soak.add_argument("--seed", type=int, default=1, help="seed of the viewer traffic (default %(default)s)")
    soak.add_argument("--quiet", action="store_true", help="no progress bar")
    soak.add_argument("--plot", metavar="PNG", help="resident memory over the run (own and mapped files) to a picture")
    soak.set_defaults(func=cmd_soak)

    from .set_cmd import cmd_set
    set_ = _command(sub, "set", help="preview a set: cameras, safe areas, live reload; or every shot to PNG",
                          epilog="examples:\n  cohost set scenes/shop_studio.toml            window: 1-9/c cameras, s safe areas\n"
                                 "  cohost set scenes/shop_studio.toml --still shots/ --safe   every named shot to PNG")
    set_.add_argument("scene", nargs="?", default=str(DEFAULT_SCENE), help="set file (default: the shop studio)")
    set_.add_argument("--still", metavar="DIR|SHOT.png", type=STILL_OUT, help="render every named camera to DIR/<camera>.png "
                                                               "(or SHOT_<camera>.png) and exit")
    set_.add_argument("--safe", action="store_true", help="with --still: draw the camera name and safe areas")
    set_.add_argument("--camera", help="start on this camera")
    set_.add_argument("--size", type=_size, default=(1280, 720), help="window or image size (default 1280x720)")
    set_.set_defaults(func=cmd_set)

    log_ = _command(sub, "log", help="print or export a show's record: viewer events, lines, operator requests",
                          epilog="examples:\n  cohost log ~/.local/share/cohost/records/shop_show.db\n"
                                 "  cohost log show.db --kind viewer --since 2026-11-30T14:00\n"
                                 "  cohost log show.db --kind line operator --csv lines.csv")
    log_.add_argument("record", help="the show's .db file (cohost serve says where it keeps it)")
    log_.add_argument("--since", metavar="DATETIME", help="rows from this local time on (2026-11-30T14:00)")
    log_.add_argument("--kind", nargs="+", metavar="KIND", help="viewer, line, operator, segment, stream, show")
    log_.add_argument("--csv", metavar="PATH", help="write the rows as CSV instead")
    log_.set_defaults(func=cmd_log)

    token = _command(sub, "token", help="print the operator API token (made on first use, kept in your config dir)",
                           epilog="examples:\n  cohost token               where it is kept, and the token\n"
                                  "  cohost token --quiet       the token alone, for scripts\n"
                                  "  cohost token --new         a new one (clients must use it from now on)")
    token.add_argument("--new", action="store_true", help="replace it with a new token")
    token.add_argument("--quiet", action="store_true", help="print the token only")
    token.set_defaults(func=cmd_token)

    chat = _command(sub, "chat", help="send one viewer event to a running `cohost serve` and print the reply",
                          epilog='examples:\n  cohost chat "How much is the kettle?" --user ana\n'
                                 "  cohost chat --event follow --user ana\n"
                                 "  cohost chat --event gift --gift roses --count 3 --user ana\n"
                                 "  cohost chat --event purchase --product kettle --user ana --port 8765")
    chat.add_argument("text", nargs="?", default="", help="the chat message")
    chat.add_argument("--user", default="viewer", help="the viewer's name (default %(default)s)")
    chat.add_argument("--event", choices=("chat", "follow", "gift", "purchase"), default="chat",
                      help="what the viewer did (default %(default)s)")
    chat.add_argument("--gift", default="", help="with --event gift: what was given")
    chat.add_argument("--product", default="", help="with --event purchase: what was bought")
    chat.add_argument("--count", type=_positive(int), default=1, help="with --event gift: how many (default %(default)s)")
    chat.add_argument("--port", type=int, default=8765,
                      help="the show's chat port on 127.0.0.1, serve's --chat-port (default %(default)s)")
    chat.set_defaults(func=cmd_chat)

    ask = _command(sub, "ask", help="what the hosts answer a viewer's question, from the set's product catalogue",
                         epilog='examples:\n  cohost ask "How much is the kettle?"\n  cohost ask "有什么颜色？" --product phone')
    ask.add_argument("question", help="what a viewer asks, in English or Mandarin")
    ask.add_argument("--scene", default=str(DEFAULT_SCENE), help="set whose products answer (default: the shop studio)")
    ask.add_argument("--product", help="the product on air, for questions that do not name one")
    ask.set_defaults(func=cmd_ask)

    inspect = _command(sub, "inspect", help="show how a rig maps onto the canonical humanoid; --png: a contact sheet",
                             epilog="examples:\n  cohost inspect rigs/mei.glb\n"
                                    "  cohost inspect avatar.vrm --png avatar.png    front/side/back with the skeleton, "
                                    "the mapping, a face per viseme, the blink, each emotion\n"
                                    "  cohost inspect robot.glb --mapping rigs/mappings/robot.toml --png robot.png")
    inspect.add_argument("rig", help=".glb, .gltf or .vrm file")
    inspect.add_argument("--mapping", help="mapping file (default: rigs/mappings/NAME.toml if present)")
    inspect.add_argument("--png", metavar="PATH", help="write the contact sheet: turntable with the canonical "
                                                       "skeleton drawn over, mapping table, morph sheet")
    inspect.set_defaults(func=cmd_inspect)

    tick = _command(sub, "inspect-tick", help="list the stages one tick runs, in order; --ticks: what each costs",
                          epilog="examples:\n  cohost inspect-tick                               the default show's stages\n"
                                 "  cohost inspect-tick --ticks 600                   and each one's median cost "
                                 "over 10 s of it\n"
                                 "  cohost inspect-tick scenes/shop_studio.toml --say \"Mei: Hello!\" --ticks 300")
    tick.add_argument("scene", nargs="?", default=str(DEFAULT_SHOW), help="show or set file (default: the shop show)")
    tick.add_argument("--say", action="append", metavar="HOST[@SECONDS]: TEXT",
                      help="with a set file: a line to speak (repeatable; 'Both: ...' for every host)")
    tick.add_argument("--ticks", type=int, default=0, help="run this many ticks and print each stage's median cost "
                                                           "(default %(default)s: only the list)")
    tick.set_defaults(func=cmd_inspect_tick)

    build = _command(sub, "build-host", help="build a host .glb and its VRM 1.0 .vrm from its description "
                                             "(rigs/*.toml)",
                     epilog="examples:\n  cohost build-host rigs/mei.toml                 writes rigs/mei.glb and "
                            "rigs/mei.vrm\n"
                            "  cohost build-host my_host.toml --out rigs/lin.glb --vrm ~/avatars/lin.vrm")
    build.add_argument("spec", help="host description, e.g. rigs/mei.toml")
    build.add_argument("--out", type=out_path({".glb": "the host for Cohost"}),
                       help="output .glb (default: next to the description)")
    build.add_argument("--vrm", type=out_path({".vrm": "the host for VTuber apps"}),
                       help="output VRM 1.0 file (default: the .glb's path ending in .vrm)")
    build.set_defaults(func=cmd_build_host)
    return p


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()              # here, so a reader gone away is caught below, not at exit
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise                           # another pipe broke (ffmpeg's, say): a real failure
        # The reader of our output went away (`cohost gesture --list | head -1`): nothing more to say.
        # Point stdout at devnull so the interpreter's last flush does not fail again (Python's recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141                          # 128 + SIGPIPE, as a shell reports a command whose pipe closed


def _stdout_reader_gone() -> bool:
    """Is stdout a pipe whose reader has closed it? Linux says so with POLLERR; elsewhere any broken pipe
    is taken for stdout's, as in Python's recipe."""
    if not sys.platform.startswith("linux"):
        return True
    import select
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (OSError, ValueError):                      # no real stdout (replaced, closed): it was the one
        return True


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(message)s")
    if args.command is None:
        args = parser().parse_args(["run", *(argv or sys.argv[1:])])
    from .builder.vrm import VrmError
    from .show.staging import SayError
    from .skeleton.bvh import BvhError
    from .skeleton.rigfile import RigError
    from .speech.ssml import SsmlError
    from .speech.track import TrackError
    from .speech.utterance import SpeechError
    try:
        return args.func(args)
    except (UsageError, FileError, RigError, BvhError, SpeechError, SsmlError, TrackError, SayError,
            VrmError) as e:
        print(f"cohost {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
