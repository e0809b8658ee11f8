"""`cohost say`, and spoken lines for `cohost render` / `cohost run` (--say)."""
from __future__ import annotations

import math
import re
from pathlib import Path

from .controllers.speech import Line, mix_audio
from .gesture.markup import MarkupError, parse_markup
from .scene.setfile import SetSpec
from .show.performers import cast, check_gestures, make_line
from .skeleton.rigfile import load_rig_info
from .speech.espeak import LineCache, Voice, write_wav
from .speech.track import VisemeTrack
from .usage import check_camera

_SAY = re.compile(r"^\s*(?P<host>[^:@]+?)\s*(?:@\s*(?P<at>[0-9.]+))?\s*:\s*(?P<text>.+)$", re.S)


class SayError(ValueError):
    """A line to say that cannot be: its form, its host or its markup."""


def schedule(spec: SetSpec, says: list[str], cache: LineCache, gap_s: float = 0.0) -> dict[str, list[Line]]:
    """'Host: text' or 'Host@seconds: text' -> lines per host, each starting `gap_s` after the previous one.
    The text may carry gesture markup ([gesture], [gesture:product], *stress*); it is not spoken."""
    names = [h.name for h in spec.hosts]
    lines: dict[str, list[Line]] = {n: [] for n in names}
    next_free = 0
    for say in says:
        m = _SAY.match(say)
        if not m:
            raise SayError(f"a line to say wants 'Host: text' or 'Host@seconds: text', got {say!r}")
        host = m.group("host")
        if host not in names:
            raise SayError(f"{say!r} names {host!r}; the set's hosts are {', '.join(names)}")
        start = round(float(m.group("at")) * spec.tick_rate) if m.group("at") else next_free
        try:
            marked = check_gestures(parse_markup(m.group("text").strip()))
        except MarkupError as e:
            raise SayError(f"{say!r}: {e}") from None
        line = make_line(spec, host, marked, start, cache)
        lines[host].append(line)
        next_free = max(next_free, line.end_tick + round(gap_s * spec.tick_rate))
    return lines


def on_stage(scene: str | Path, says: list[str], seconds: float | None, cache: LineCache | None = None):
    """The set, its lines up front (for a render's sound track) and the hook that brings the stage to life:
    a show script through its director (played as it goes: `seconds` None), or a set file with lines to say."""
    from .scene.setfile import load_set
    from .show.script import is_show, lay_out, load_show
    cache = cache or LineCache()
    if Path(scene).is_file() and is_show(scene):
        if says:
            raise SayError("lines to say go with a set file; a show script has its own lines")
        show = load_show(scene)
        if seconds is None:
            return show.spec, {}, show_prepare(show, cache)
        one = lay_out(show, cache)
        programme = lay_out(show, cache, max(1, math.ceil(seconds * show.spec.tick_rate / max(one.end_tick, 1))))
        return show.spec, programme.lines, show_prepare(show, cache, seconds)
    spec = load_set(scene)
    lines = schedule(spec, says, cache)
    return spec, lines, speaking_prepare(spec, lines)


def stage_skeletons(stage) -> list:
    """The canonical skeletons of the stage's hosts, as loaded."""
    from .skeleton.rigfile import rest_positions
    from .skeleton.skeleton import Skeleton
    return [Skeleton.canonical(rest_positions(h.character.info)[0]) for h in stage.hosts]


def stage_cast(spec: SetSpec, stage, lines: dict[str, list[Line]]):
    """The stage's hosts (as loaded) brought to life by one cast, with their lines; returns the cast."""
    everyone = cast(spec, stage_skeletons(stage), [h.driver for h in stage.hosts], lines)
    for h, host in enumerate(stage.hosts):
        host.driver = everyone.member(h)
    return everyone


def speaking_prepare(spec: SetSpec, lines: dict[str, list[Line]]):
    """A `prepare(stage)` hook: the stage's hosts alive with these lines and their gestures."""
    def prepare(stage) -> None:
        stage_cast(spec, stage, lines)
    return prepare


def show_prepare(show, cache: LineCache, ahead_s: float | None = None):
    """A `prepare(stage)` hook: the stage's hosts alive, directed through a show script (ahead_s: how far
    ahead lines are handed on; a render hands on all of them at once). Returns the director."""
    from .show.director import AHEAD_S, Director
    from .show.script import Layout

    def prepare(stage):
        layout = Layout(show, cache)
        layout.prepare()
        director = Director(show.spec, stage_cast(show.spec, stage, {}), cache, layout, ahead_s or AHEAD_S)
        stage.follow(director)
        return director
    return prepare


def cmd_say(args) -> int:
    info = load_rig_info(args.host)
    voice = Voice.from_table({k: v for k, v in (("language", args.voice), ("rate", args.rate), ("pitch", args.pitch))
                              if v is not None}, Voice.from_table(info.voice))
    utterance = LineCache().get(args.text, voice)
    track = VisemeTrack.from_utterance(utterance, args.tick_rate)
    if args.out:
        utterance.write_wav(args.out)
    if args.track:
        track.save(args.track)
    print(f"{voice.name}: {utterance.duration:.2f} s, {len(utterance.phonemes)} phonemes, {track.ticks} ticks"
          + (f"; wrote {args.out}" if args.out else "") + (f"; wrote {args.track}" if args.track else ""))
    for p in utterance.phonemes if args.verbose_phonemes else []:
        print(f"  {p.start:7.3f} {p.end:7.3f}  {p.ipa or '(pause)'}{'  stressed' if p.stressed else ''}")
    return 0


def audio_for(lines: dict[str, list[Line]], tick_rate: int, seconds: float, path: Path) -> Path | None:
    """Mix every line into one WAV at `path` (None when nobody speaks)."""
    every = [line for host_lines in lines.values() for line in host_lines]
    if not every:
        return None
    rate = every[0].utterance.sample_rate
    write_wav(path, mix_audio(every, rate, tick_rate, seconds), rate)
    return path


def _vosk_choice(args, command: str) -> tuple[Path | None, Voice]:
    """The vosk model (--vosk-model, else the bundled one, or none with --no-vosk) and the eSpeak NG voice
    for its words (--voice, else the bundled model's language, else English)."""
    from .speech.lipsync import default_model
    bundled, language = default_model()
    model = None if args.no_vosk else (Path(args.vosk_model) if args.vosk_model else bundled)
    if model is not None and not model.exists():
        raise SystemExit(f"cohost {command}: vosk model folder not found: {model}")
    return model, Voice(args.voice or (language if model == bundled else "en-us"))


def cmd_lipsync(args) -> int:
    from .speech.audio import RATE, read_audio
    from .speech.lipsync import lipsync
    try:
        audio = read_audio(args.audio)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"cohost lipsync: {e}") from None
    script = None
    if args.text:
        path = Path(args.text)
        script = path.read_text(encoding="utf-8") if path.exists() else args.text
    model, voice = _vosk_choice(args, "lipsync")
    try:
        result = lipsync(audio, args.tick_rate, script, model, voice)
    except ValueError as e:
        raise SystemExit(f"cohost lipsync: {e}") from None
    result.track.save(args.out)
    print(f"{args.audio}: {len(audio) / RATE:.2f} s, {result.track.ticks} ticks from {result.method}; wrote {args.out}")
    if args.plot:
        from .speech.lipsync import word_ipa
        from .speech.plot import plot_track
        # The bundled font has Latin and IPA but no CJK glyphs: such words are labelled with their IPA.
        labels = [(w.start, w.end, w.text if all(ord(c) < 0x2E80 for c in w.text) else word_ipa(w.text, voice))
                  for w in result.words]
        plot_track(result.track, audio, RATE, args.plot, f"{Path(args.audio).name}: {result.method}", labels)
        print(f"wrote {args.plot}")
    return 0


def cmd_puppet(args) -> int:
    """A host's mouth follows a voice: a file (rendered with --out, or played live in a window), raw PCM on
    stdin ('-'), or the microphone (--mic)."""
    import tempfile

    from .controllers.puppet import FileSource, PuppetDriver, StreamSource
    from .scene.setfile import load_set
    from .speech.audio import RATE, read_audio
    from .speech.espeak import write_wav
    from .speech.live import LiveMouth
    spec = load_set(args.scene)
    names = [h.name for h in spec.hosts]
    host = args.host or names[0]
    if host not in names:
        raise SystemExit(f"cohost puppet: no host {host!r} in {spec.source}; hosts: {', '.join(names)}")
    check_camera(spec, args.camera)
    model, voice = _vosk_choice(args, "puppet")
    mouth = LiveMouth(RATE, model, voice)
    audio = None
    if args.mic:
        source = StreamSource()
    elif args.audio == "-":
        source = StreamSource()
        source.read_stdin(RATE, spec.tick_rate)
    else:
        if not args.audio:
            raise SystemExit("cohost puppet: give an audio file, '-' for PCM on stdin, or --mic")
        try:
            audio = read_audio(args.audio)
        except (FileNotFoundError, ValueError) as e:
            raise SystemExit(f"cohost puppet: {e}") from None
        source = FileSource(audio, RATE, spec.tick_rate) if args.out else StreamSource()

    def prepare(stage) -> None:
        for h in stage.hosts:
            if h.placement.name == host:
                h.driver = PuppetDriver(h.driver, mouth, source)

    try:
        if args.out:
            if audio is None:
                raise SystemExit("cohost puppet: --out renders a recording; give an audio file")
            from .scene.capture import render_to
            with tempfile.TemporaryDirectory() as tmp:
                wav = Path(tmp) / "voice.wav"
                write_wav(wav, audio, RATE)
                report = render_to(spec, Path(args.out), seconds=len(audio) / RATE, fps=args.fps, size=args.size,
                                   camera=args.camera, progress=not args.quiet, prepare=prepare, audio=wav)
            print(f"wrote {report.frames} frames of {host} speaking to {args.out}")
            return 0
        from .scene.window import run_window
        stream = source.read_microphone(RATE, spec.tick_rate) if args.mic else None
        if audio is not None:
            _play_into(source, audio, RATE)
        run_window(spec, args.size, False, args.debug, args.camera, prepare)
        if stream is not None:
            stream.stop()
    finally:
        mouth.close()
    return 0


def _play_into(source, audio, rate: int) -> None:
    """Feed a recording into a stream source at real-time pace (as a microphone would)."""
    import threading
    import time

    def pump() -> None:
        start, block = time.perf_counter(), rate // 100
        for k in range(0, len(audio), block):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            source.push(audio[k:k + block])
    threading.Thread(target=pump, daemon=True).start()
