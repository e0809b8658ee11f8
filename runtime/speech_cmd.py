"""`cohost say`, and spoken lines for `cohost render` / `cohost run` (--say)."""
from __future__ import annotations

import re
from pathlib import Path

from .controllers.speech import Line, SpeakingDriver, mix_audio
from .scene.setfile import SetSpec
from .skeleton.rigfile import load_rig_info
from .speech.espeak import LineCache, Voice, write_wav
from .speech.track import VisemeTrack

_SAY = re.compile(r"^\s*(?P<host>[^:@]+?)\s*(?:@\s*(?P<at>[0-9.]+))?\s*:\s*(?P<text>.+)$", re.S)


def host_voice(spec: SetSpec, name: str) -> Voice:
    """The host's voice: its rig's [voice] table, then the scene's overrides."""
    host = next(h for h in spec.hosts if h.name == name)
    return Voice.from_table(host.voice, Voice.from_table(load_rig_info(host.rig, host.mapping).voice))


def schedule(spec: SetSpec, says: list[str], cache: LineCache) -> dict[str, list[Line]]:
    """'Host: text' or 'Host@seconds: text' -> lines per host, each starting after the previous one."""
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
        utterance = cache.get(m.group("text").strip(), host_voice(spec, host))
        line = Line(start, utterance, VisemeTrack.from_utterance(utterance, spec.tick_rate))
        lines[host].append(line)
        next_free = max(next_free, line.end_tick)
    return lines


def speaking_prepare(spec: SetSpec, lines: dict[str, list[Line]]):
    """A `prepare(stage)` hook that makes each host speak its lines."""
    def prepare(stage) -> None:
        for host in stage.hosts:
            driver = SpeakingDriver(host.driver)
            for line in lines.get(host.placement.name, []):
                driver.say(line)
            host.driver = driver
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
