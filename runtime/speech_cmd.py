"""`cohost say`, and spoken lines for `cohost render` / `cohost run` (--say)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .controllers.behaviour import Cast, Performer
from .controllers.speech import Line, SpeakingDriver, mix_audio
from .gesture.grammar import load_lexicon
from .gesture.markup import MarkedLine, MarkupError, parse_markup
from .gesture.planner import plan
from .gesture.realize import GestureDriver
from .scene.setfile import PROJECT, SetSpec
from .skeleton.rigfile import load_rig_info
from .speech.espeak import LineCache, Utterance, Voice, write_wav
from .speech.track import VisemeTrack

PRODUCT_LOOK_S = 1.5         # hosts look at a product this long when a show presents it
_SAY = re.compile(r"^\s*(?P<host>[^:@]+?)\s*(?:@\s*(?P<at>[0-9.]+))?\s*:\s*(?P<text>.+)$", re.S)


@lru_cache(maxsize=32)
def rig_voice(rig: Path, mapping: Path | None) -> Voice:
    """A rig's own [voice] table (read once per rig: lines and live answers ask for it often)."""
    return Voice.from_table(load_rig_info(rig, mapping).voice)


def host_voice(spec: SetSpec, name: str) -> Voice:
    """The host's voice: its rig's [voice] table, then the scene's overrides."""
    host = next(h for h in spec.hosts if h.name == name)
    return Voice.from_table(host.voice, rig_voice(host.rig, host.mapping))


def make_line(spec: SetSpec, host: str, marked: MarkedLine, start: int, cache: LineCache,
              voice: Voice | None = None, utterance: Utterance | None = None) -> Line:
    """A host's line from `start` (tick): synthesised with its voice (or `voice`) unless `utterance` is
    given, gestures planned."""
    utterance = utterance or cache.get(marked.text, voice or host_voice(spec, host))
    placement = next(h for h in spec.hosts if h.name == host)
    gestures = plan(marked, utterance, lexicon(), [p.id for p in spec.products], placement.expressivity)
    return Line(start, utterance, VisemeTrack.from_utterance(utterance, spec.tick_rate), tuple(gestures))


def schedule(spec: SetSpec, says: list[str], cache: LineCache, gap_s: float = 0.0) -> dict[str, list[Line]]:
    """'Host: text' or 'Host@seconds: text' -> lines per host, each starting `gap_s` after the previous one.
    The text may carry gesture markup ([gesture], [gesture:product], *stress*); it is not spoken."""
    names = [h.name for h in spec.hosts]
    lines: dict[str, list[Line]] = {n: [] for n in names}
    next_free = 0
    for say in says:
        m = _SAY.match(say)
        if not m:
            raise SystemExit(f"cohost: --say wants 'Host: text' or 'Host@seconds: text', got {say!r}")
        host = m.group("host")
        if host not in names:
            raise SystemExit(f"cohost: --say names {host!r}; the set's hosts are {', '.join(names)}")
        start = round(float(m.group("at")) * spec.tick_rate) if m.group("at") else next_free
        try:
            marked = parse_markup(m.group("text").strip())
        except MarkupError as e:
            raise SystemExit(f"cohost: --say {say!r}: {e}") from None
        line = make_line(spec, host, marked, start, cache)
        lines[host].append(line)
        next_free = max(next_free, line.end_tick + round(gap_s * spec.tick_rate))
    return lines


def cast(spec: SetSpec, skeletons: list, bodies: list, lines: dict[str, list[Line]]) -> Cast:
    """Every host of the set alive: its body driver (idle, clips) under its gestures and lines, and the
    procedural controllers (gaze, blinks, fingers, breathing, nods) for all hosts together."""
    from .gesture.targets import host_targets
    from .skeleton.take import placement_matrix

    performers = []
    for place, skeleton, body in zip(spec.hosts, skeletons, bodies):
        gestures = GestureDriver(body, skeleton, spec.tick_rate, host_targets(spec, place), place.expressivity)
        gestures.set_fingers = False                  # the cast's finger controller shapes the hands
        speech = SpeakingDriver(gestures)
        for line in lines.get(place.name, []):
            speech.say(line)
            gestures.perform(line.start_tick, list(line.gestures))
        performers.append(Performer(skeleton, placement_matrix(place.position, place.facing), place.seed, speech,
                                    speech, gestures))
    return Cast(performers, spec.tick_rate, np.array(spec.cameras[0].position))


def speaking_prepare(spec: SetSpec, lines: dict[str, list[Line]], cuts: list[tuple[int, str]] = (),
                     focus: list[tuple[int, str]] = (), contact: list[tuple[int, float]] = ()):
    """A `prepare(stage)` hook that brings the stage's hosts to life with their lines and gestures, and a
    show's directions: camera cuts, products both hosts turn to look at (tick, name), and looks at each
    other (tick, seconds) before a line said together."""
    from .skeleton.rigfile import rest_positions
    from .skeleton.skeleton import Skeleton

    def prepare(stage) -> None:
        skeletons = [Skeleton.canonical(rest_positions(h.character.info)[0]) for h in stage.hosts]  # as loaded
        everyone = cast(spec, skeletons, [h.driver for h in stage.hosts], lines)
        for h, host in enumerate(stage.hosts):
            host.driver = everyone.member(h)
        stage.camera_cues = dict(cuts)
        centres = {p.id: np.array(p.piece.centre) for p in spec.products}
        for tick, product in focus:
            point = centres[product]
            everyone.cues.setdefault(tick, []).extend(
                (lambda h=h, t=tick, p=point: everyone.look_at(h, t, p, PRODUCT_LOOK_S)) for h in range(len(stage.hosts)))
        for tick, seconds in contact:
            everyone.cues.setdefault(tick, []).append(lambda t=tick, s=seconds: everyone.eye_contact(t, s))
    return prepare


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")


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
