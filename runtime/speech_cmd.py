"""`cohost say`, `cohost lipsync` and `cohost puppet`; the mixed sound track of lines for renders."""
from __future__ import annotations

from pathlib import Path

from .skeleton.rigfile import load_rig_info
from .speech.track import VisemeTrack
from .speech.utterance import Voice
from .speech.voices import LineCache
from .usage import UsageError, check_camera


def cmd_say(args) -> int:
    info = load_rig_info(args.host)
    asked = (("language", args.voice), ("rate", args.rate), ("pitch", args.pitch),
             ("engine", args.piper and "piper"), ("model", args.piper), ("emotion", args.emotion))
    voice = Voice.from_table({k: v for k, v in asked if v is not None}, Voice.from_table(info.voice))
    from .gesture.markup import MarkupError, parse_markup
    from .show.lines import check_gestures
    try:
        marked = check_gestures(parse_markup(args.text))       # gesture markup is not said; SSML is
    except MarkupError as e:
        raise UsageError(str(e)) from None
    utterance = LineCache().get(marked.said, voice)
    track = VisemeTrack.from_utterance(utterance, args.tick_rate)
    if args.out:
        utterance.write_wav(args.out)
    if args.track:
        track.save(args.track)
    said = utterance.voice                       # as spoken: Chinese characters in Mandarin, say
    speaker = (said.model if said.engine == "piper" else said.name) + \
        (f", {said.emotion}" if said.emotion != "neutral" else "")
    print(f"{speaker}: {utterance.duration:.2f} s, {len(utterance.phonemes)} phonemes, {track.ticks} ticks"
          + (f"; wrote {args.out}" if args.out else "") + (f"; wrote {args.track}" if args.track else ""))
    if args.plot:
        from .studio.speech_plot import label, plot_track
        ends = [w.start for w in utterance.words[1:]] + [utterance.duration]
        plot_track(track, utterance.audio, utterance.sample_rate, args.plot, f"{speaker}: " + " ".join(map(label, utterance.text.split())),
                   [(w.start, end, label(w.text)) for w, end in zip(utterance.words, ends)])
        print(f"wrote {args.plot}")
    for p in utterance.phonemes if args.verbose_phonemes else []:
        print(f"  {p.start:7.3f} {p.end:7.3f}  {p.ipa or '(pause)'}{'  stressed' if p.stressed else ''}")
    return 0


def _vosk_choice(args, command: str, script: str | None = None) -> tuple[Path | None, Voice]:
    """The speech's language (--voice, else the script's script: Hangul, Chinese or Latin) as an eSpeak NG
    voice, and the vosk model for free recognition: --vosk-model, else the bundled one only where it is of
    that language (a model of another language hears nonsense), none with --no-vosk."""
    from .speech.lipsync import default_model
    from .speech.utterance import script_language
    bundled, bundled_language = default_model()
    language = args.voice or (script_language(script) if script else "en-us")
    if args.no_vosk:
        model = None
    elif args.vosk_model:
        model = Path(args.vosk_model)
        if not model.exists():
            raise SystemExit(f"cohost {command}: vosk model folder not found: {model}")
    else:
        model = bundled if bundled_language == language else None
    return model, Voice(language)


def cmd_lipsync(args) -> int:
    from .speech.audio import RATE, read_audio
    from .speech.lipsync import lipsync
    script = None
    if args.text:
        path = Path(args.text)
        if not path.exists() and path.suffix in (".txt", ".md", ".srt"):
            raise SystemExit(f"cohost lipsync: {path}: no such script file")
        script = path.read_text(encoding="utf-8") if path.exists() else args.text
    try:
        audio = read_audio(args.audio)
    except (FileNotFoundError, ValueError) as e:
        raise SystemExit(f"cohost lipsync: {e}") from None
    model, voice = _vosk_choice(args, "lipsync", script)
    try:
        result = lipsync(audio, args.tick_rate, script, model, voice)
    except ValueError as e:
        raise SystemExit(f"cohost lipsync: {e}") from None
    result.track.save(args.out)
    print(f"{args.audio}: {len(audio) / RATE:.2f} s, {result.track.ticks} ticks from {result.method}; wrote {args.out}")
    if args.plot:
        from .studio.speech_plot import label, plot_track
        labels = [(w.start, w.end, label(w.text)) for w in result.words]
        plot_track(result.track, audio, RATE, args.plot, f"{Path(args.audio).name}: {result.method}", labels)
        print(f"wrote {args.plot}")
    return 0


def cmd_puppet(args) -> int:
    """A host's mouth follows a voice: a file (rendered with --out, or played live in a window), raw PCM on
    stdin ('-'), or the microphone (--mic)."""
    import tempfile

    from .show.script import set_of
    from .speech.audio import RATE, read_audio
    from .speech.live import LiveMouth
    from .speech.utterance import write_wav
    from .studio.puppet import FileSource, LiveVoice, StreamSource
    from .world.assemble import world_of
    from .world.tick import Ticker, standard_stages
    spec = set_of(args.scene)
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
        world = world_of(spec, stage.skeletons())
        stage.perform(Ticker(world, standard_stages(world, mouths={names.index(host): LiveVoice(mouth, source)})))

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
