"""`cohost serve`: a show on air in real time with its two WebSocket servers, viewer chat and the operator
API, in one asyncio loop; headless (ticks paced by the wall clock) or in a window (the loop steps Panda3D
a frame at a time). Slow work (speech synthesis, a chat model's reply) runs in a worker thread, so the
hosts keep moving while an answer is prepared.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import resource
import signal
import time
from typing import Any, Awaitable, Callable

from ..show.live import MAX_MESSAGE, LiveShow, Reply
from ..speech.voices import synthesize
from .operator import Operator
from .record import ShowRecord

log = logging.getLogger("cohost.serve")
HEADLESS_CATCH_UP_S = 10      # a headless show runs every tick due after a stall of up to this long
Handler = Callable[[Any], Awaitable[None]]          # a websockets connection handler


async def answer(show: LiveShow, raw: str | bytes, record: ShowRecord | None = None) -> dict:
    """One viewer event: read, prepared off the tick loop, put on air; in the show's record before its
    reply goes out."""
    arrived = time.monotonic()
    read = show.read(raw, arrived)
    turned = time.monotonic() - arrived
    if isinstance(read, tuple):
        event, said, h, voice = read
        show.in_flight += 1
        try:
            spoken = await asyncio.to_thread(show.speak, event, said, voice)
            if spoken:
                first, utterance, rest = spoken
                read = show.put_on_air(h, first, utterance, turned, time.monotonic() - arrived)
                if rest:                          # synthesised while the first sentence is said
                    read = show.go_on(h, read, rest, await asyncio.to_thread(synthesize, rest, voice))
            else:
                read = Reply(True)
        except Exception as e:  # a viewer's message must never stop the show
            show.log_failure(e)
            read = Reply(True, f"not answered: {e}")
        finally:
            show.in_flight -= 1
    reply = show.reply_json(read)
    if record is not None:
        record.viewer(raw, reply)
    return reply


async def serve(show: LiveShow, chat_port: int, api: Operator | None = None, api_port: int = 0,
                bind: str = "127.0.0.1", window=None, ready=print, stream=None, record: ShowRecord | None = None) -> None:
    """Run until SIGINT/SIGTERM (Ctrl-C, a service manager): viewer events on ws://bind:chat_port, the
    operator API on ws://bind:api_port. The signals end the loop between ticks, so everything closes
    cleanly."""
    from websockets.asyncio.server import serve as ws_serve

    raise_open_file_limit()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)

    @quiet_when_gone("viewer")
    async def viewer(connection) -> None:
        async for message in connection:
            await connection.send(json.dumps(await answer(show, message, record), ensure_ascii=False))

    async with contextlib.AsyncExitStack() as stack:
        chat = await stack.enter_async_context(ws_serve(viewer, bind, chat_port, max_size=MAX_MESSAGE))
        said = [f"viewer chat on ws://{bind}:{_port(chat, chat_port)}"]
        if api is not None:
            operator = await stack.enter_async_context(ws_serve(quiet_when_gone("operator")(api.connection), bind,
                                                                api_port, max_size=1 << 20))
            said.append(f"operator API on ws://{bind}:{_port(operator, api_port)}")
        if window is None:
            # Headless, the show keeps the wall clock's pace whatever stalls it (a streamed frame drawn in
            # software GL): ticks are cheap, so every one due runs; only a window's cap drops time.
            show.ticker.clock.max_catch_up = HEADLESS_CATCH_UP_S * show.spec.tick_rate
            show.run_ticks(0.0)                                 # tick 0 is on air before anyone asks
            if stream is not None:
                stream.catch_up(show.tick)
        ready(f"serving {show.spec.name}: {', '.join(said)} (Ctrl-C stops)")
        last = time.monotonic()
        while not stop.is_set():
            if window is not None:
                window.base.taskMgr.step()                     # a frame: its ticks run there
                await asyncio.sleep(0.001)
                continue
            await asyncio.sleep(1.0 / show.spec.tick_rate)
            now = time.monotonic()
            show.run_ticks(now - last)
            last = now
            if stream is not None:
                stream.catch_up(show.tick)              # the frames due by this tick, with their sound


def raise_open_file_limit() -> None:
    """Every viewer is a socket: a soft limit of 1024 open files (common) would refuse viewers long before
    the show is busy, so it is raised to the hard limit the system allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def quiet_when_gone(who: str) -> Callable[[Handler], Handler]:
    """A connection handler for which a client that vanishes (closed with an error code such as 1011, or a
    TCP reset: 1006) is normal on air: one INFO line instead of websockets' 'connection handler failed'
    traceback. A client that goes while its answer is sent (a normal close) is not worth a line at all."""
    from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def handle(connection) -> None:
            try:
                await handler(connection)
            except ConnectionClosedOK:
                pass
            except ConnectionClosedError as e:
                code = e.rcvd.code if e.rcvd is not None else 1006       # no close frame: the TCP link dropped
                log.info("%s connection closed abruptly (%d)", who, code)
        return handle
    return wrap


def _port(server, asked: int) -> int:
    return server.sockets[0].getsockname()[1] if server.sockets else asked
