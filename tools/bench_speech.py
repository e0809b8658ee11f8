"""Speech benchmarks, each measured in this run:
  - preparing a line (eSpeak NG synthesis + phoneme timeline + viseme track), as a real-time factor;
  - the per-tick cost of evaluating mouth weights for 2 speaking hosts, as a share of a 60 Hz tick;
  - the live path's latency from an audio chunk to mouth weights (one chunk of waiting + compute);
  - a Piper neural voice (en_US-joe-medium) preparing the same line, as a real-time factor;
  - recorded speech: forced alignment of a script (DTW against eSpeak NG) and vosk's free recognition
    (Korean model), as real-time factors.

    python tools/bench_speech.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.sets.setfile import load_set  # noqa: E402
from runtime.show.staging import speaking_world  # noqa: E402
from runtime.skeleton.rigfile import host_skeleton  # noqa: E402
from runtime.speech.audio import RATE, resample  # noqa: E402
from runtime.speech.espeak import Espeak  # noqa: E402
from runtime.speech.line import Line  # noqa: E402
from runtime.speech.lipsync import default_model, recognise  # noqa: E402
from runtime.speech.live import LiveMouth  # noqa: E402
from runtime.speech.track import VisemeTrack  # noqa: E402
from runtime.speech.utterance import Voice  # noqa: E402
from runtime.world.stages import Speech  # noqa: E402

LINES = {
    "en-us": "Welcome back, everyone! Today we have the Aroma electric kettle: one point seven litres, "
             "eighteen hundred watts, and it boils in three minutes. Only thirty-nine dollars, shipping is free.",
    "cmn": "大家好，欢迎来到直播间。今天给大家介绍这款电水壶，一点七升，三分钟就能烧开，只要三十九美元，包邮。",
    "ko": "안녕하세요 여러분. 이 주전자는 정말 빨리 끓어요. 가격은 삼만 원입니다. 지금 바로 주문하세요.",
}


def prepare_rtf(text: str, voice: Voice) -> tuple[float, float]:
    """(real-time factor, seconds of speech) of preparing a line: synthesis and viseme track, median of 3."""
    from runtime.speech.voices import synthesize
    times, seconds = [], 0.0
    for _ in range(3):
        t = time.perf_counter()
        u = synthesize(text, voice)
        VisemeTrack.from_utterance(u, 60)
        times.append(time.perf_counter() - t)
        seconds = u.duration
    return statistics.median(times) / seconds, seconds


def line_rtf() -> None:
    Espeak.get().synthesize("warm up", Voice())
    for language, text in LINES.items():
        rtf, seconds = prepare_rtf(text, Voice(language))
        print(f"  prepare a line, {language:6s}: {rtf:.3f} x real time ({seconds:.1f} s of speech)")


def tick_cost() -> None:
    """The speech stage for 2 hosts speaking, against the same stage with nobody speaking."""
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    skeletons = [host_skeleton(h.rig, h.mapping) for h in spec.hosts]
    lines = {}
    for (language, text), host in zip((("en-us", LINES["en-us"]), ("cmn", LINES["cmn"])), spec.hosts):
        u = Espeak.get().synthesize(text, Voice(language))
        lines[host.name] = [Line(0, u, VisemeTrack.from_utterance(u, 60))]
    for name, world in (("speaking", speaking_world(spec, skeletons, lines)), ("idle only", speaking_world(spec, skeletons, {}))):
        stage, t = Speech(), time.perf_counter()
        for tick in range(600):
            stage.run(world, tick)
        per_tick = (time.perf_counter() - t) / 600
        print(f"  the speech stage for 2 hosts, {name:9s}: {per_tick * 1e3:.3f} ms per tick "
              f"({per_tick * 60:.2%} of a 60 Hz tick)")


def live_latency() -> None:
    u = Espeak.get().synthesize(LINES["ko"], Voice("ko"))
    audio = resample(u.audio, u.sample_rate, RATE)
    hop = RATE // 60
    mouth = LiveMouth(RATE)
    compute = []
    for k in range(0, len(audio), hop):
        t = time.perf_counter()
        mouth.feed(audio[k:k + hop])
        compute.append(time.perf_counter() - t)
    mouth.close()
    p50, p99 = np.percentile(compute, [50, 99]) * 1e3
    print(f"  live path: chunk {hop / RATE * 1e3:.1f} ms + compute p50 {p50:.3f} ms / p99 {p99:.3f} ms "
          f"= latency {hop / RATE * 1e3 + p99:.1f} ms (budget 50 ms)")


def piper_rtf() -> None:
    from runtime.speech.utterance import SpeechError
    from runtime.speech.voices import synthesize
    voice = Voice(engine="piper", model="en_US-joe-medium")
    try:
        synthesize("warm up", voice)                         # loads the model (1-2 s), once a process
    except SpeechError as e:                                 # the voices extra is not installed
        print(f"  Piper: {e}")
        return
    rtf, seconds = prepare_rtf(LINES["en-us"], voice)
    print(f"  prepare a line, Piper en_US-joe-medium: {rtf:.3f} x real time ({seconds:.1f} s of speech)")


def recorded_rtf() -> None:
    from runtime.speech.align import forced_alignment
    u = Espeak.get().synthesize(LINES["en-us"], Voice("en-us", variant="f3", rate=140))
    audio = resample(u.audio, u.sample_rate, RATE)
    forced_alignment(audio[:RATE], "warm up", Voice())        # compiles the warping once
    t = time.perf_counter()
    forced_alignment(audio, LINES["en-us"], Voice())
    print(f"  forced alignment of a script: {(time.perf_counter() - t) / u.duration:.3f} x real time "
          f"({u.duration:.1f} s of speech)")
    model, _ = default_model()
    if model is None:
        print("  vosk: no model installed")
        return
    u = Espeak.get().synthesize(LINES["ko"], Voice("ko", rate=150))
    audio = resample(u.audio, u.sample_rate, RATE)
    recognise(audio[:RATE], model)                        # load the model once
    t = time.perf_counter()
    recognise(audio, model)
    print(f"  vosk free recognition (Korean): {(time.perf_counter() - t) / u.duration:.3f} x real time")


def main() -> None:
    print("line preparation:")
    line_rtf()
    piper_rtf()
    print("per tick:")
    tick_cost()
    print("live:")
    live_latency()
    print("recorded audio:")
    recorded_rtf()


if __name__ == "__main__":
    main()
