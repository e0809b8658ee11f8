"""`cohost soak`: hours on air in simulated time. The looping show plays headless as fast as the machine
goes (no rendering; each line is synthesised once and reused), viewer traffic is injected at simulated
times (questions in English and Mandarin, greetings, gifts, purchases, floods and broken messages), and the
run reports what a six-hour show needs to hold: ticks, exceptions (0), drift between the speech clock and
the tick clock (0 ticks), resident memory after warm-up and at the end (growth < 1 %), messages handled.
Memory is sampled every simulated minute; the first ten minutes are warm-up (the heap grows to its working
size), then the median of the next ten is compared with the median of the last ten.

The speech clock is a sound device's: it plays the lines' samples as they fall due, one tick's worth at a
time. eSpeak NG's 22050 Hz is 367.5 samples per 60 Hz tick, so the device carries the half sample
exactly; the check is that every line's first sample leaves on the tick its visemes start.
"""
from __future__ import annotations

import ctypes
import gc
import json
import logging
import resource
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ..sets.setfile import load_set
from ..show.live import LiveShow
from ..show.script import is_show, load_show
from ..speech.espeak import Espeak

log = logging.getLogger("cohost.soak")
USERS = 300
WARM_UP_MIN = 10           # simulated minutes before memory settles (caches, the allocator's working size)
QUESTIONS = ("How much is the kettle?", "What colours does the phone come in?", "Is shipping free for the tea?",
             "How big is the screen?", "Do you have the kettle in stock?", "茶叶多少钱？", "手机有什么颜色？",
             "What is the battery like?", "Where is the tea from?", "hello!", "love this show")
MIX = (("chat", 0.8), ("follow", 0.06), ("gift", 0.05), ("purchase", 0.04), ("bad", 0.05))


class SpeechClock:
    """A sound device fed one tick's samples at a time: where each line's audio starts, in samples."""

    def __init__(self, sample_rate: int, tick_rate: int) -> None:
        self.sample_rate, self.tick_rate = sample_rate, tick_rate
        self.samples = 0                     # played so far
        self.drift_ticks = 0.0               # the worst line start, speech clock against tick clock (< 1 sample: 0)
        self.lines = 0

    def advance(self, tick: int) -> None:
        """Play every sample due before `tick + 1` starts (whole samples; the fraction carries over)."""
        self.samples = -(-(tick + 1) * self.sample_rate // self.tick_rate)

    def on_event(self, event: dict) -> None:
        if event["event"] != "line":
            return
        # The line starts playing with the next sample the device takes, at the start of this tick.
        started = self.samples / self.sample_rate * self.tick_rate
        self.drift_ticks = max(self.drift_ticks, abs(started - event["tick"]))
        self.lines += 1


@dataclass
class SoakReport:
    simulated_s: float
    ticks: int
    wall_s: float
    exceptions: int
    drift_ticks: float
    rss_warm: int              # bytes: median over the ten minutes after the warm-up ...
    rss_end: int               # ... and over the last ten minutes
    samples: list              # (simulated minute, resident, own, files bytes), one a minute
    lines: int
    messages: dict
    answered: int
    judged: bool               # long enough (30 min) for memory to be judged at all

    @property
    def growth(self) -> float:
        return (self.rss_end - self.rss_warm) / self.rss_warm

    def format(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(self.messages.items()))
        return (f"simulated {self.simulated_s / 3600:.2f} h ({self.ticks} ticks) in {self.wall_s / 60:.1f} min "
                f"({self.simulated_s / max(self.wall_s, 1e-9):.1f}x real time)\n"
                f"exceptions: {self.exceptions}\n"
                f"speech clock vs tick clock: {self.drift_ticks:.3f} ticks at worst over {self.lines} lines\n"
                f"resident memory: {self.rss_warm / 2**20:.1f} MiB after warming up, {self.rss_end / 2**20:.1f} MiB "
                f"at the end ({self.growth * 100:+.2f} %)"
                + ("" if self.judged else f"; a run under {3 * WARM_UP_MIN} min is too short to judge memory") + "\n"
                f"viewer messages: {counts}; answers spoken: {self.answered}")


def memory_now() -> tuple[int, int, int]:
    """Resident bytes now, and the part that is the process's own (heap, arrays) and mapped files (code paged
    in as it first runs): after garbage collection and handing free heap back to the system, so the figures
    follow what is alive, not how the allocator happens to hold it."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return tuple(int(status[k].split()[0]) * 1024 for k in ("VmRSS", "RssAnon", "RssFile"))
    except (OSError, KeyError, ValueError):                 # not glibc Linux: the peak is what there is
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 0, 0


def traffic(rng: np.random.Generator) -> str:
    """One viewer message of the injected mix."""
    user = f"viewer{int(rng.integers(USERS))}"
    kinds, weights = zip(*MIX)
    kind = kinds[int(rng.choice(len(kinds), p=weights))]
    if kind == "chat":
        return json.dumps({"user": user, "text": QUESTIONS[int(rng.integers(len(QUESTIONS)))]}, ensure_ascii=False)
    if kind == "follow":
        return json.dumps({"event": "follow", "user": user})
    if kind == "gift":
        return json.dumps({"event": "gift", "user": user, "gift": "rose", "count": int(rng.integers(1, 5))})
    if kind == "purchase":
        return json.dumps({"event": "purchase", "user": user, "product": ["kettle", "phone", "tea"][int(rng.integers(3))]})
    return ["{not json", "x" * 5000, json.dumps({"event": "raid", "user": user})][int(rng.integers(3))]


def soak(show_path: Path, hours: float, per_minute: float = 6.0, seed: int = 1, progress: bool = True) -> SoakReport:
    show = load_show(show_path) if is_show(show_path) else None        # a set: hosts idle and answer chat
    if show is not None and not show.loop:
        raise ValueError(f"{show_path}: a soak needs a show that loops (loop = true)")
    spec = show.spec if show is not None else load_set(show_path)
    live = LiveShow(spec, show)
    rate = spec.tick_rate
    clock = SpeechClock(Espeak.get().sample_rate, rate)
    live.director.listeners.append(clock.on_event)
    rng = np.random.default_rng(seed)
    total = round(hours * 3600 * rate)
    next_message = rng.exponential(60.0 / per_minute)
    exceptions, samples = 0, []                 # (simulated minute, resident, own, files bytes)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=round(hours * 3600), unit="sim s", desc="soak", mininterval=1.0)
    started = time.perf_counter()
    for tick in range(total):
        t = tick / rate
        try:
            while next_message <= t:
                live.handle(traffic(rng), t)
                next_message += rng.exponential(60.0 / per_minute)
            clock.advance(tick - 1)                          # the device has played every tick before this one
            live.run_until(tick)
        except Exception:  # counted and reported: a soak finds what would stop a live show
            exceptions += 1
            log.exception("tick %d failed", tick)
        if tick % (60 * rate) == 0:
            samples.append((tick // (60 * rate), *memory_now()))
        if bar is not None and tick % rate == 0:
            bar.update(1)
        if tick and tick % (3600 * rate) == 0:                 # an hour on air: say how it holds so far
            say = bar.write if bar is not None else partial(print, flush=True)     # seen at once in a log file
            _, resident, own, files = (b / 2**20 for b in samples[-1])
            say(f"{tick // (3600 * rate)} h: {exceptions} exceptions, drift {clock.drift_ticks:.3f} ticks, "
                f"resident {resident:.1f} MiB (own {own:.1f}, files {files:.1f}), {live.answered} answers")
    if bar is not None:
        bar.close()
    samples.append((total // (60 * rate), *memory_now()))
    warm = [b for m, b, *_ in samples if WARM_UP_MIN <= m < 2 * WARM_UP_MIN] or [samples[0][1]]
    end = [b for m, b, *_ in samples if m > samples[-1][0] - WARM_UP_MIN] or [samples[-1][1]]
    return SoakReport(total / rate, total, time.perf_counter() - started, exceptions, clock.drift_ticks,
                      int(np.median(warm)), int(np.median(end)), samples, clock.lines, dict(live.moderator.counts),
                      live.answered, samples[-1][0] >= 3 * WARM_UP_MIN)


def plot_memory(report: SoakReport, path: str | Path) -> None:
    """Resident memory over the run with the two windows its growth is judged on, and below it the
    process's own memory and mapped files (which of them moved)."""
    from ..figures import pyplot, save
    minutes, resident, own, files = (np.array(c, float) for c in zip(*report.samples))
    hours, last = minutes / 60, minutes[-1]
    fig, (top, bottom) = pyplot().subplots(2, 1, figsize=(9, 5), sharex=True)
    top.plot(hours, resident / 2**20, label="resident", lw=1.2)
    if report.judged:
        top.axvspan(WARM_UP_MIN / 60, 2 * WARM_UP_MIN / 60, color="tab:green", alpha=0.15, label="after warm-up")
        top.axvspan((last - WARM_UP_MIN) / 60, last / 60, color="tab:red", alpha=0.15, label="end")
        top.axhline(report.rss_warm * 1.01 / 2**20, color="tab:red", ls=":", lw=1, label="+1 % of after warm-up")
    top.set_ylabel("MiB")
    top.legend(fontsize=7, loc="lower right")
    bottom.plot(hours, own / 2**20, label="own (heap, arrays)", lw=1.2, color="tab:orange")
    bottom.plot(hours, files / 2**20, label="mapped files (code)", lw=1.2, color="tab:green")
    bottom.set_xlabel("simulated hours")
    bottom.set_ylabel("MiB")
    bottom.legend(fontsize=7, loc="center right")
    verdict = f"{report.growth * 100:+.2f} %" if report.judged else "too short to judge"
    save(fig, path, f"cohost soak: resident memory {report.rss_warm / 2**20:.1f} -> {report.rss_end / 2**20:.1f} MiB "
                    f"({verdict})")
