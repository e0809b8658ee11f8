"""A set or a show on air in real time: the hosts live at the fixed tick (paced by the wall clock), the
director plays the show, and viewer events that pass moderation become lines the free host speaks at the
next phrase boundary. Headless here; `cohost serve` without --headless drives a window with the same
show (runtime/onair/serve.py).
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..gesture.markup import parse_markup
from ..sets.setfile import PROJECT, HostPlacement, SetSpec
from ..skeleton.rigfile import host_skeleton
from ..skeleton.skeleton import Skeleton
from ..speech.utterance import Utterance, Voice
from ..speech.voices import LineCache, synthesize
from ..world.assemble import host_of
from ..world.stages import Stage
from .lines import host_voice
from .moderation import Event, Moderator, Rejected
from .responder import Answer, Responder, is_mandarin
from .script import Show
from .staging import direct, rig_skeletons
from .viewers import ViewerTable

log = logging.getLogger("cohost.show")
MAX_MESSAGE = 4 << 20         # WebSocket frames up to this size reach moderation (which refuses them by size)
MAX_WAITING = 1               # answers waiting to be said; questions beyond are read, not answered (a fresh
                              # answer beats a queue of stale ones)
VIEWERS_KEPT = 10_000         # viewers remembered as greeted
LATENCIES_KEPT = 10_000       # the latest answers' latencies, for the report


def first_sentence(text: str) -> tuple[str, str]:
    """(the first sentence, the rest): an answer's first sentence is said while the rest is synthesised."""
    m = re.search(r"(?<=[.!?])\s+(?=\S)|(?<=[。！？])\s*(?=\S)", text)     # "1.7 L" is not two sentences
    return (text[:m.start()].strip(), text[m.end():].strip()) if m else (text, "")


@dataclass
class Reply:
    """What becomes of one viewer event: refused, read, or answered by a host from a tick."""
    accepted: bool
    reason: str = ""
    answer: str | None = None
    host: str | None = None
    tick: int | None = None


class LiveShow:
    def __init__(self, spec: SetSpec, show: Show | None = None, blocklist: tuple[str, ...] = (),
                 chat_model=None, skeletons: list[Skeleton] | None = None, inputs: tuple[Stage, ...] = (),
                 outputs: tuple[Stage, ...] = ()) -> None:
        self.spec = spec
        self.cache = LineCache()
        self.ticker, self.director = direct(spec, show, skeletons or rig_skeletons(spec), self.cache,
                                            inputs=inputs, outputs=outputs)
        self.world = self.ticker.world
        self.moderator = Moderator(blocklist=blocklist)
        self.responder = Responder(spec.products)
        self.chat_model = chat_model
        self.greeted = ViewerTable(VIEWERS_KEPT)
        self._latency = np.zeros((LATENCIES_KEPT, 2))   # (reaction s, first viseme s) per answer, a ring
        self.answered = 0
        self.unanswered = 0
        self.in_flight = 0                              # answers being prepared off the tick loop

    @property
    def tick(self) -> int:
        """The last tick simulated."""
        return self.world.tick

    @staticmethod
    def load_rig(rig: str):
        """(path, skeleton) of a rig file, relative to here or the project (slow: off the tick loop)."""
        path = Path(rig) if Path(rig).is_absolute() else next(
            (p for p in (Path.cwd() / rig, PROJECT / rig) if p.exists()), PROJECT / rig)
        if not path.is_file():
            raise FileNotFoundError(f"no rig file {rig!r}")
        return path, host_skeleton(path)

    def swap_rig(self, h: int, path: Path, skeleton) -> HostPlacement:
        """Host h goes on in another rig (or outfit) from the next tick, lines, gestures and what it holds
        carried over."""
        place = replace(self.spec.hosts[h], rig=path, mapping=None)
        self.spec.hosts[h] = place
        self.world.recast(h, host_of(self.spec, h, skeleton))
        self.director.emit("rig", host=place.name, rig=str(path), tick=self.tick + 1, _place=place)
        return place

    def run_ticks(self, elapsed_s: float) -> None:
        """Advance by wall time: every tick that falls due, for every host, in order."""
        self.ticker.advance(elapsed_s)

    def run_until(self, last: int) -> None:
        self.ticker.run_until(last)

    # -- a viewer event, in three steps: read it (fast), say it (slow: synthesis), put it on air -----
    def read(self, raw: str | bytes, now: float) -> Reply | tuple[Event, Answer, int, Voice]:
        """A refusal or an event nobody answers (a Reply), or what to say, by which host, in which voice."""
        verdict = self.moderator.check(raw, now)
        if isinstance(verdict, Rejected):
            log.info("rejected a viewer message: %s", verdict.reason)
            return Reply(False, verdict.reason)
        answer = self.responder.respond(verdict, self.director.product or self._first_product())
        answer = self._greeting(verdict, answer)
        if answer is None and self.chat_model is not None and verdict.kind == "chat":
            answer = Answer("", None, "free")          # nothing in the catalogue: the chat model may know
        if answer is None:
            return Reply(True)
        if self.director.waiting() + self.in_flight >= MAX_WAITING:
            self.unanswered += 1                       # not said: a first message is greeted next time
            return Reply(True, "hosts busy: read, not answered")
        if verdict.kind == "chat":
            self.greeted.add(verdict.user, now)        # greeted now, in the answer about to be said
        h = self.director.free_host()
        self.director.turn_to_viewers(h)
        voice = host_voice(self.spec, self.spec.hosts[h].name)       # a Mandarin answer is said in Mandarin
        return verdict, answer, h, voice

    def _first_product(self) -> str | None:
        return self.spec.products[0].id if self.spec.products else None

    def _greeting(self, event: Event, answer: Answer | None) -> Answer | None:
        """A viewer's first chat message is greeted by name (with the answer, if there is one)."""
        if event.kind != "chat" or event.user in self.greeted:
            return answer
        hello = f"{event.user}你好！" if answer and is_mandarin(answer.text) else f"Hi {event.user}!"
        return Answer(f"{hello} {answer.text}" if answer else hello, answer.product if answer else None, "greeting")

    def speak(self, event: Event, answer: Answer, voice: Voice) -> tuple[str, Utterance, str] | None:
        """The answer's words (free-form from the chat model when one is set, else the catalogue's), its first
        sentence synthesised and the rest to synthesise while that is said; None when there is nothing to
        say. Slow: runs off the tick loop in a live show."""
        text = answer.text
        if self.chat_model is not None and event.kind == "chat":
            text = self.chat_model.reply(event.text, self.responder, answer if answer.text else None) or text
        spoken = re.sub(r"[\[\]*]", "", text).strip()    # viewers' words carry no markup
        if not spoken:
            return None
        first, rest = first_sentence(spoken)
        return first, synthesize(first, voice), rest

    def put_on_air(self, h: int, spoken: str, utterance: Utterance, turned: float, waited: float) -> Reply:
        """The answer goes to host h at the next phrase boundary; `turned` and `waited`: seconds from its
        arrival to host h turning to the viewers, and to now."""
        _, line = self.director.say_live(parse_markup(spoken), h, utterance=utterance)
        rate = self.spec.tick_rate
        self._latency[self.answered % LATENCIES_KEPT] = turned + 1 / rate, waited + (line.start_tick - self.tick) / rate
        self.answered += 1
        return Reply(True, answer=spoken, host=self.spec.hosts[h].name, tick=line.start_tick)

    def go_on(self, h: int, reply: Reply, rest: str, utterance: Utterance) -> Reply:
        """The rest of an answer, said by host h right after its first sentence."""
        self.director.say_live(parse_markup(rest), h, utterance=utterance)
        return replace(reply, answer=f"{reply.answer} {rest}")

    def handle(self, raw: str | bytes, now: float) -> dict:
        """One viewer event, all three steps at once (tests, the soak): the reply as sent back."""
        arrived = time.perf_counter()
        read = self.read(raw, now)
        turned = time.perf_counter() - arrived
        if isinstance(read, tuple):
            event, answer, h, voice = read
            said = self.speak(event, answer, voice)
            if said:
                first, utterance, rest = said
                read = self.put_on_air(h, first, utterance, turned, time.perf_counter() - arrived)
                if rest:
                    read = self.go_on(h, read, rest, synthesize(rest, voice))
            else:
                read = Reply(True)
        return self.reply_json(read)

    @staticmethod
    def log_failure(error: Exception) -> None:
        log.error("a viewer event failed and was skipped: %s", error, exc_info=error)

    def reply_json(self, reply: Reply) -> dict:
        out = {"accepted": reply.accepted, "now": self.tick}
        if reply.reason:
            out["reason"] = reply.reason
        if reply.accepted:
            out.update(answer=reply.answer, host=reply.host, tick=reply.tick)
        return out

    @property
    def latency(self) -> np.ndarray:
        """(reaction s, first viseme s) of the latest answers (up to LATENCIES_KEPT), in no particular order."""
        return self._latency[:min(self.answered, LATENCIES_KEPT)]

    def latency_report(self) -> str:
        if not self.answered:
            return "no answers"
        react, first = self.latency.T
        return (f"{self.answered} answered, {self.unanswered} read while busy; reaction p50 {np.median(react):.2f} s "
                f"p95 {np.percentile(react, 95):.2f} s; first word p50 {np.median(first):.2f} s "
                f"p95 {np.percentile(first, 95):.2f} s")
