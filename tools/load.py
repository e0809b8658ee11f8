"""Viewer load on `cohost serve`: many viewers on the chat port at once, to size a show's server.

- `--viewers` connections stay open and send `--rate` messages a second in all (questions, greetings,
  purchases, follows, gifts, a few bad ones), each viewer in turn, so no one passes the per-viewer limit;
  each reply's latency is taken from its message being sent.
- Viewers that come and vanish: every `1 / --churn` s one connects, sends a message and goes, half with
  a TCP reset, half with a close code.
- One viewer that never reads: a socket with a tiny receive buffer, sending ten messages a second and
  reading nothing; when the server cuts it off it comes back.
- The server's resident memory, read from /proc every 5 s.

It prints one line a minute and a report: reply latency p50/p95/p99 (accepted messages, and the others),
replies missing, memory, the non-reader's fate. `--json PATH` writes the figures for a test.

    python tools/load.py --port 8765 --pid 1234 [--viewers 500 --rate 100 --minutes 5]
    python tools/load.py --serve [--minutes 1]       # starts `cohost serve --headless` itself
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import re
import resource
import socket
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

PROJECT = Path(__file__).resolve().parents[1]
OPENING_AT_ONCE = 50           # connections opened together (a listen backlog is about 100)
NON_READER_RATE = 10.0         # messages a second from the viewer that never reads
MEMORY_EVERY_S = 5.0

QUESTIONS = ("How much is the kettle?", "Is the tea in stock?", "What colours does the phone come in?",
             "hello!", "Does the kettle come with a warranty?", "这个水壶多少钱？", "love this show",
             "How fast does the kettle boil?")
GIFTS = ("rose", "rocket", "heart")
PRODUCTS = ("kettle", "phone", "tea")


def message(rng: random.Random, user: str) -> str:
    """One viewer event, in the mix a busy show sees: mostly chat, some purchases, follows and gifts, a
    few that moderation refuses."""
    roll = rng.random()
    if roll < 0.60:
        return json.dumps({"user": user, "text": rng.choice(QUESTIONS)}, ensure_ascii=False)
    if roll < 0.80:
        return json.dumps({"event": "purchase", "user": user, "product": rng.choice(PRODUCTS)})
    if roll < 0.88:
        return json.dumps({"event": "follow", "user": user})
    if roll < 0.97:
        return json.dumps({"event": "gift", "user": user, "gift": rng.choice(GIFTS)})
    return "{not json" if roll < 0.985 else json.dumps({"event": "raid", "user": user})


@dataclass
class Figures:
    seconds: float
    viewers: int
    sent: int = 0
    replies: int = 0
    accepted: int = 0
    spoken: int = 0                        # accepted messages a host put on air (their reply waits for the voice)
    latency_accepted: list[float] = field(default_factory=list)
    latency_refused: list[float] = field(default_factory=list)
    latency_spoken: list[float] = field(default_factory=list)
    minutes: list[dict] = field(default_factory=list)
    vanished: int = 0                      # viewers that came and went
    non_reader_sent: int = 0
    non_reader_cut: list[float] = field(default_factory=list)   # seconds from each of its connects to the server cutting it
    memory_mb: list[tuple[float, float]] = field(default_factory=list)   # (s from start, server RSS MB)
    connect_failures: int = 0
    dropped: int = 0                       # staying viewers whose connection the server closed

    @property
    def missing(self) -> int:
        return self.sent - self.replies

    def p(self, which: str, q: float) -> float:
        values = getattr(self, f"latency_{which}")
        return float(np.percentile(values, q)) if values else float("nan")


class Load:
    def __init__(self, port: int, viewers: int, rate: float, seconds: float, churn: float, pid: int | None,
                 seed: int = 1) -> None:
        self.url = f"ws://127.0.0.1:{port}"
        self.port, self.rate, self.seconds, self.churn, self.pid = port, rate, seconds, churn, pid
        self.rng = random.Random(seed)
        self.figures = Figures(seconds, viewers)
        self.n = viewers
        self.started = 0.0
        self.minute: list[float] = []      # this minute's accepted latencies
        self.minute_sent = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    # -- the viewers that stay ----------------------------------------------------------------------
    async def viewer(self, k: int, ready: asyncio.Event, go: asyncio.Event, done: asyncio.Event) -> None:
        user = f"viewer{k:04d}"
        try:
            ws = await connect(self.url, open_timeout=30, max_size=None)
        except (OSError, asyncio.TimeoutError) as e:
            self.figures.connect_failures += 1
            print(f"viewer {k} could not connect: {e}", file=sys.stderr)
            return
        finally:
            ready.set()
        sent: list[float] = []

        async def read() -> None:
            async for raw in ws:
                reply = json.loads(raw)
                waited = time.monotonic() - sent.pop(0)
                self.figures.replies += 1
                if reply.get("accepted"):
                    self.figures.accepted += 1
                    self.figures.latency_accepted.append(waited)
                    self.minute.append(waited)
                    if reply.get("answer") and reply.get("tick") is not None:
                        self.figures.spoken += 1
                        self.figures.latency_spoken.append(waited)
                else:
                    self.figures.latency_refused.append(waited)
                if done.is_set() and not sent:
                    return

        reader = asyncio.create_task(read())
        try:
            await self._send_in_turn(k, user, ws, sent, go, done)
            await asyncio.wait_for(reader, 30)           # the last replies
        except ConnectionClosed:
            self.figures.dropped += 1
        except asyncio.TimeoutError:
            pass
        finally:
            reader.cancel()
            await ws.close()

    async def _send_in_turn(self, k: int, user: str, ws, sent: list[float], go: asyncio.Event,
                            done: asyncio.Event) -> None:
        await go.wait()
        period = self.n / self.rate                      # each viewer's turn comes round this often
        next_at = self.started + k / self.rate
        rng = random.Random(k)
        while not done.is_set():
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            if done.is_set():
                break
            sent.append(time.monotonic())
            self.figures.sent += 1
            self.minute_sent += 1
            await ws.send(message(rng, user))
            next_at += period

    # -- viewers that come and vanish -----------------------------------------------------------------
    async def vanishing(self, done: asyncio.Event) -> None:
        k = 0
        while not done.is_set():
            await asyncio.sleep(1.0 / self.churn)
            k += 1
            try:
                ws = await connect(self.url, open_timeout=10)
                await ws.send(message(self.rng, f"passer{k}"))
                if k % 2:
                    ws.transport.set_write_buffer_limits(0)
                    sock = ws.transport.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    ws.transport.abort()                 # a TCP reset: the network went
                else:
                    await ws.close(code=1001, reason="app closed")
                self.figures.vanished += 1
            except (OSError, asyncio.TimeoutError) as e:
                print(f"a passing viewer could not connect: {e}", file=sys.stderr)

    # -- the viewer that never reads ------------------------------------------------------------------
    async def non_reader(self, done: asyncio.Event) -> None:
        await asyncio.sleep(min(30.0, self.seconds / 10))   # a baseline first
        while not done.is_set():
            since = time.monotonic()
            sock = await asyncio.to_thread(self._raw_connection)
            loop = asyncio.get_running_loop()
            k = 0
            try:
                while not done.is_set():
                    frame = _masked_text(json.dumps({"user": "deaf", "text": f"anyone there {k}?"}))
                    await asyncio.wait_for(loop.sock_sendall(sock, frame), 10)
                    self.figures.non_reader_sent += 1
                    k += 1
                    await asyncio.sleep(1.0 / NON_READER_RATE)
            except (OSError, asyncio.TimeoutError):
                self.figures.non_reader_cut.append(time.monotonic() - since)
            finally:
                sock.close()

    def _raw_connection(self) -> socket.socket:
        """A WebSocket whose receive buffer is tiny, so the server's replies back up at once."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", self.port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)                         # the handshake's answer, and not a byte more
        sock.setblocking(False)
        return sock

    # -- the server's memory, and a line a minute -----------------------------------------------------
    async def watch(self, done: asyncio.Event) -> None:
        next_minute = 60.0
        while not done.is_set():
            await asyncio.sleep(MEMORY_EVERY_S)
            if self.pid is not None:
                self.figures.memory_mb.append((round(self.elapsed(), 1), resident_mb(self.pid)))
            if self.elapsed() >= next_minute:
                p95 = float(np.percentile(self.minute, 95)) if self.minute else float("nan")
                row = {"minute": int(next_minute // 60), "sent": self.minute_sent, "p95_ms": round(1000 * p95, 1),
                       "rss_mb": self.figures.memory_mb[-1][1] if self.figures.memory_mb else None,
                       "non_reader_cut": len(self.figures.non_reader_cut)}
                self.figures.minutes.append(row)
                print(f"minute {row['minute']}: {row['sent']} sent, accepted p95 {row['p95_ms']} ms, server "
                      f"{row['rss_mb']} MB, non-reader cut off {row['non_reader_cut']} times", flush=True)
                self.minute, self.minute_sent = [], 0
                next_minute += 60.0

    async def run(self) -> Figures:
        ready = [asyncio.Event() for _ in range(self.n)]
        go, done = asyncio.Event(), asyncio.Event()
        viewers = []
        for first in range(0, self.n, OPENING_AT_ONCE):
            batch = range(first, min(first + OPENING_AT_ONCE, self.n))
            viewers += [asyncio.create_task(self.viewer(k, ready[k], go, done)) for k in batch]
            await asyncio.gather(*(ready[k].wait() for k in batch))
        print(f"{self.n - self.figures.connect_failures} viewers connected; {self.rate:g} messages/s for "
              f"{self.seconds:g} s", flush=True)
        self.started = time.monotonic()
        go.set()
        others = [asyncio.create_task(f(done)) for f in (self.vanishing, self.non_reader, self.watch)]
        await asyncio.sleep(self.seconds)
        done.set()
        await asyncio.gather(*viewers)
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        return self.figures


def _masked_text(text: str) -> bytes:
    """A client's WebSocket text frame (clients must mask)."""
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else bytes([0x81, 0xFE]) + struct.pack("!H", len(data))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024, 1)


def report(f: Figures) -> str:
    ms = lambda which, q: f"{1000 * f.p(which, q):.1f}"  # noqa: E731
    memory = [m for _, m in f.memory_mb]
    lines = [f"{f.sent} messages from {f.viewers} viewers in {f.seconds:g} s ({f.sent / f.seconds:.1f}/s); "
             f"{f.replies} replies, {f.missing} missing; {f.connect_failures} could not connect, "
             f"{f.dropped} cut off by the server",
             f"accepted {f.accepted} (read; thanked, answered or read while the hosts were busy): reply p50 "
             f"{ms('accepted', 50)} ms, p95 {ms('accepted', 95)} ms, p99 {ms('accepted', 99)} ms",
             f"refused {len(f.latency_refused)}: reply p95 {ms('refused', 95)} ms",
             f"answered on air {f.spoken}: reply p50 {ms('spoken', 50)} ms, p95 {ms('spoken', 95)} ms "
             f"(the first sentence synthesised first)",
             f"{f.vanished} viewers came and vanished",
             f"the non-reader sent {f.non_reader_sent}; the server cut it off {len(f.non_reader_cut)} times, "
             f"after {', '.join(f'{s:.0f}' for s in f.non_reader_cut) or '-'} s"]
    if memory:
        lines.append(f"server memory: {memory[0]:.0f} MB at first, {max(memory):.0f} MB at most, "
                     f"{memory[-1]:.0f} MB at the end")
    return "\n".join(lines)


def start_server(record: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "serve", "--headless", "--chat-port", "0", "--record",
                             str(record)], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    port = re.search(r"ws://127\.0\.0\.1:(\d+)", line)
    if not port:
        raise SystemExit(f"cohost serve did not start: {line}{proc.stderr.read()}")
    return proc, int(port.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, help="the show's chat port")
    parser.add_argument("--pid", type=int, help="the server's process id, to follow its memory")
    parser.add_argument("--serve", action="store_true", help="start `cohost serve --headless` and drive that")
    parser.add_argument("--viewers", type=int, default=500, help="connections open throughout (default 500)")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="messages a second from all viewers together (default 100)")
    parser.add_argument("--churn", type=float, default=2.0, help="viewers that come and vanish, a second (default 2)")
    parser.add_argument("--minutes", type=float, default=5.0, help="how long (default 5)")
    parser.add_argument("--json", metavar="PATH", help="write the figures here")
    args = parser.parse_args()
    if args.serve == (args.port is not None):
        parser.error("give --port (a show already serving) or --serve")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.viewers)), hard))
    proc = None
    if args.serve:
        folder = Path(os.environ.get("TMPDIR", "/tmp"))
        proc, args.port = start_server(folder / f"cohost-load-{os.getpid()}.db")
        args.pid = proc.pid
    try:
        figures = asyncio.run(Load(args.port, args.viewers, args.rate, 60 * args.minutes, args.churn, args.pid).run())
    finally:
        if proc is not None:
            proc.terminate()
            proc.communicate(timeout=30)
    print(report(figures))
    if args.json:
        Path(args.json).write_text(json.dumps({**asdict(figures), "missing": figures.missing}))


if __name__ == "__main__":
    main()
