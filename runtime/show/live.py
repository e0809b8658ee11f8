"""A set on air in real time, headless: the hosts live at the fixed tick (paced by the wall clock), and
viewer events that pass moderation become lines a host speaks, with gestures, from the next free tick.
The host who is not speaking takes the question when it can.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import replace

from ..clock import FixedClock
from ..controllers.behaviour import Cast
from ..controllers.idle import IdleController
from ..gesture.markup import parse_markup
from ..scene.setfile import SetSpec
from ..speech.espeak import LineCache
from ..speech_cmd import cast, host_voice, make_line
from .moderation import Moderator, Rejected
from .responder import Responder, is_mandarin

log = logging.getLogger("cohost.show")
ANSWER_GAP_S = 0.3            # an answer starts this long after the host's current line ends
MAX_MESSAGE = 4 << 20         # WebSocket frames up to this size reach moderation (which refuses them by size)


class LiveShow:
    def __init__(self, spec: SetSpec, blocklist: tuple[str, ...] = ()) -> None:
        from ..motion_cmd import host_skeleton
        self.spec = spec
        skeletons = [host_skeleton(h.rig, h.mapping) for h in spec.hosts]
        self.cast: Cast = cast(spec, skeletons, [IdleController(h.seed, spec.tick_rate) for h in spec.hosts], {})
        self.clock = FixedClock(spec.tick_rate)
        self.tick = -1
        self.moderator = Moderator(blocklist=blocklist)
        self.responder = Responder(spec.products)
        self.on_air = spec.products[0].id if spec.products else None
        self.lines = LineCache()

    def run_ticks(self, elapsed_s: float) -> None:
        """Advance by wall time: every tick that falls due, for every host, in order."""
        self.clock.advance(elapsed_s)
        for tick in range(self.tick + 1, self.clock.tick + 1):
            for h in range(len(self.spec.hosts)):
                self.cast.pose(h, tick)
        self.tick = self.clock.tick

    def _free_host(self) -> tuple[int, int]:
        """(host index, first tick it is free): a host not speaking now, else the one done soonest."""
        gap = round(ANSWER_GAP_S * self.spec.tick_rate)
        best = None
        for h, p in enumerate(self.cast.performers):
            busy = max((line.end_tick + gap for line in p.speech.lines), default=0)
            start = max(self.tick + 1, busy)
            if best is None or start < best[1]:
                best = (h, start)
        return best

    def handle(self, raw: str | bytes, now: float) -> dict:
        """One viewer message -> the reply sent back (never raises: bad input is a refusal)."""
        verdict = self.moderator.check(raw, now)
        if isinstance(verdict, Rejected):
            log.info("rejected a viewer message: %s", verdict.reason)
            return {"accepted": False, "reason": verdict.reason, "tick": self.tick}
        answer = self.responder.respond(verdict, self.on_air)
        if answer is None:
            return {"accepted": True, "answer": None, "tick": self.tick}
        h, start = self._free_host()
        name = self.spec.hosts[h].name
        voice = host_voice(self.spec, name)
        if is_mandarin(answer.text):
            voice = replace(voice, language="cmn")
        spoken = parse_markup(re.sub(r"[\[\]*]", "", answer.text))        # viewers' words carry no markup
        line = make_line(self.spec, name, spoken, start, self.lines, voice)
        performer = self.cast.performers[h]
        performer.speech.say(line)
        performer.gestures.perform(start, list(line.gestures))
        return {"accepted": True, "answer": answer.text, "host": name, "tick": start, "now": self.tick}


async def serve(show: LiveShow, chat_port: int, ready=print) -> None:
    """Tick the show in real time and take viewer events on ws://127.0.0.1:chat_port until cancelled."""
    from websockets.asyncio.server import serve as ws_serve

    async def viewer(connection) -> None:
        async for message in connection:
            reply = show.handle(message, time.monotonic())
            await connection.send(json.dumps(reply, ensure_ascii=False))

    async with ws_serve(viewer, "127.0.0.1", chat_port, max_size=MAX_MESSAGE) as server:
        port = server.sockets[0].getsockname()[1] if server.sockets else chat_port
        show.run_ticks(0.0)                                         # tick 0 is on air before anyone asks
        ready(f"serving {show.spec.name}: viewer chat on ws://127.0.0.1:{port} (Ctrl-C stops)")
        last = time.monotonic()
        while True:
            await asyncio.sleep(1.0 / show.spec.tick_rate)
            now = time.monotonic()
            show.run_ticks(now - last)
            last = now
