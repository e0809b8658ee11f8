"""Show benchmark: what a live co-hosted show costs and how fast it answers.

1. Tick cost of the default show for its two hosts (director, speech, gestures, holds, controllers) as a
   share of the 16.7 ms a 60 Hz tick has, against the same cast standing idle (controllers only) in the
   same run.
2. Chat-to-reaction latency of `cohost serve` (in process, a real WebSocket client on 127.0.0.1): viewers
   asking 10 questions a second, against one question every 8 seconds (each answered before the next
   comes, so only the speaking host's phrase is waited for). Reaction: the answering host turns to the
   viewers; first word: its first viseme (after the phrase it waits for, and any answer still being said).
   The calm case again with every host on a Piper neural voice (an answer's first sentence is synthesised
   and put on air before the rest).

    python tools/bench_show.py [--seconds 30]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from runtime.onair.serve import serve  # noqa: E402
from runtime.show.live import LiveShow  # noqa: E402
from runtime.show.script import load_show  # noqa: E402

SHOW = PROJECT / "scenes" / "shop_show.toml"
QUESTIONS = ("How much is the kettle?", "What colours does the phone come in?", "Is shipping free for the tea?",
             "How big is the screen?", "茶叶多少钱？", "Do you have the kettle in stock?")


def tick_cost(seconds: float) -> tuple[float, float]:
    """(ms per tick of the show, ms per tick of the idle cast), measured over the same ticks."""
    show = load_show(SHOW)
    playing, idle = LiveShow(show.spec, show), LiveShow(show.spec)
    ticks = round(seconds * show.spec.tick_rate)
    costs = {id(playing): [], id(idle): []}
    for tick in range(ticks):                    # interleaved, so machine noise hits both alike
        for live in (playing, idle):
            start = time.perf_counter()
            live.run_until(tick)
            costs[id(live)].append(time.perf_counter() - start)
    return (float(np.median(costs[id(playing)])) * 1000, float(np.median(costs[id(idle)])) * 1000)


async def latency(per_second: float, seconds: float, piper: str | None = None) -> tuple[np.ndarray, int, int]:
    """Latencies (reaction, first word) of the answered questions, answered and read-while-busy counts;
    with `piper`, every host speaks with that Piper voice."""
    from websockets.asyncio.client import connect
    show = load_show(SHOW)
    for host in show.spec.hosts if piper else []:
        host.voice = {**host.voice, "engine": "piper", "model": piper}
    live = LiveShow(show.spec, show)
    port: asyncio.Future = asyncio.get_running_loop().create_future()
    server = asyncio.ensure_future(serve(live, 0, ready=lambda text: port.set_result(int(text.split(":")[-1].split()[0]))))
    chat = await port
    await asyncio.sleep(2.0)                     # on air a moment before the first question
    async with connect(f"ws://127.0.0.1:{chat}") as ws:
        sent = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            user = f"viewer{sent % 40}"          # 40 viewers, none of them over the rate limit
            await ws.send(json.dumps({"user": user, "text": QUESTIONS[sent % len(QUESTIONS)]}, ensure_ascii=False))
            sent += 1
            await asyncio.sleep(max(0.0, start + sent / per_second - time.monotonic()))
        for _ in range(sent):
            await ws.recv()
    server.cancel()
    return live.latency.copy(), live.answered, live.unanswered


def report(name: str, lat: np.ndarray, answered: int, busy: int) -> tuple[float, float]:
    react, first = lat[:, 0], lat[:, 1]
    print(f"  {name}: {answered} answered, {busy} read while the hosts were busy; reaction p50 {np.median(react):.3f} s "
          f"p95 {np.percentile(react, 95):.3f} s; first word p50 {np.median(first):.2f} s p95 {np.percentile(first, 95):.2f} s")
    return float(np.percentile(react, 95)), float(np.percentile(first, 95))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each measurement (default 30)")
    ap.add_argument("--piper", metavar="MODEL", default="en_US-joe-medium",
                    help="also measure the calm chat with every host on this Piper voice (default %(default)s; "
                         "'' for none)")
    args = ap.parse_args()
    show_ms, idle_ms = tick_cost(args.seconds)
    print(f"tick cost, two hosts, {args.seconds:g} s of the default show (median):")
    print(f"  show {show_ms:.2f} ms = {show_ms / 16.67:.1%} of a 60 Hz tick; idle cast {idle_ms:.2f} ms; "
          f"show / idle = {show_ms / idle_ms:.2f}x")
    print("chat to reaction, cohost serve with a real WebSocket client:")
    calm = report("1 question / 8 s ", *asyncio.run(latency(0.125, 3 * args.seconds)))
    busy = report("10 questions / s", *asyncio.run(latency(10.0, args.seconds)))
    print(f"  busy / calm p95: reaction {busy[0] / calm[0]:.2f}x, first word {busy[1] / calm[1]:.2f}x")
    if args.piper:
        neural = report(f"1 question / 8 s, Piper {args.piper}", *asyncio.run(latency(0.125, 3 * args.seconds, args.piper)))
        print(f"  Piper / eSpeak NG p95: first word {neural[1] / calm[1]:.2f}x")


if __name__ == "__main__":
    main()
