"""The director: plays a show for the cast on the fixed tick, and fits in what happens live.

It takes the show's script entry by entry a little ahead of the clock (a looping show never ends), hands
each line to its host before it starts (the hands prepare early), and directs what the script does not
say: at a change of speaker the hosts glance at each other, a host looks at a product as a line names
it, both look at a product when its segment opens, and into each other's eyes before a line said together.

Live lines (answers to viewers, an operator's lines) go in at the next phrase boundary of whoever is
speaking; the script's lines still to come move back to make room, so nothing is cut mid-word and
nothing is lost. An operator's interrupt stops the speaking host at the next word boundary.

Everything the hosts do is reported as events (dicts, sent as JSON by the operator API): a line starts,
a gesture's stroke, a gaze change, a camera cut, a segment. Keys starting with "_" are for the process
only (the Line, for sound).
"""
from __future__ import annotations

import heapq
import itertools
import logging
from dataclasses import replace
from typing import Callable

import numpy as np

from ..controllers.attention import Look
from ..controllers.hold import CARRY_S, GRASP_S, REACH_S, Hold, piece_prop, side_for
from ..gesture.markup import MarkedLine, parse_markup
from ..gesture.planner import word_times
from ..sets.setfile import SetSpec
from ..speech.line import Line
from ..speech.utterance import Utterance, Voice
from ..speech.voices import LineCache
from ..world.stages import Stage
from ..world.world import World
from .lines import make_line
from .responder import Responder
from .script import Direction, Layout

log = logging.getLogger("cohost.director")
AHEAD_S = 1.0           # a script line goes to its host this long before it starts (hands prepare 0.4 s early)
GLANCE_S = 0.8          # at a change of speaker the one who spoke looks at the new speaker this long
HANDOVER_S = 0.5        # ... and the new speaker looks back at it this long before its first word
MENTION_S = 1.0         # a host looks at a product this long as its line names it
SEGMENT_MOOD_WEIGHT = 0.35   # a segment's mood is a light resting expression, under what lines carry
PRODUCT_LOOK_S = 1.5    # both hosts look at a product this long when its segment opens
LIVE_GAP_S = 0.25       # a live line starts this long after the phrase it waited for; the script resumes as long after it
PHRASE_WAIT_S = 1.0     # a live line waits this long at most for the speaker's phrase to end, else for its word
REACT_S = 1.0           # a host that will answer turns to the viewers for at least this long
RESUME_S = 1.0          # after an interrupt the script goes on this long later
LOOKS = {Look.CAMERA: "camera", Look.PARTNER: "partner", Look.AWAY: "away", Look.POINT: "point"}


class Director(Stage):
    name, does = "director", "the show's script on the tick: lines handed on, looks, cuts, products; live lines fitted in"

    def __init__(self, spec: SetSpec, world: World, cache: LineCache, layout: Layout | None = None,
                 ahead_s: float = AHEAD_S) -> None:
        self.spec, self.world, self.cache, self.layout = spec, world, cache, layout
        self.rate = spec.tick_rate
        self.ahead = round(ahead_s * self.rate)
        self.names = [h.name for h in spec.hosts]
        self.responder = Responder(spec.products)
        self.centres = {p.id: np.array(p.piece.centre) for p in spec.products}
        self.listeners: list[Callable[[dict], None]] = []
        self.camera_cues: dict[int, str] = {}            # tick -> shot, read by the stage
        self.segment: str | None = None
        self.product: str | None = None                  # the product on air
        self.card: str | None = None                     # the price card on screen: "name|price"
        self.tick = -1
        self._pending: list[Direction] = []              # from the layout, not yet handed on
        self._handed: list[tuple[int, Line]] = []        # script lines given to a host, not yet started
        self._live: list[tuple[int, Line]] = []          # live lines not yet over (one never cuts another)
        self._playing: list[Line | None] = [None] * len(self.names)
        self._last_speaker: int | None = None
        self._due: list[tuple[int, int, Callable[[], None]]] = []     # (tick, order, call) later on
        self._order = itertools.count()
        self._looks = world.attention.look.copy()

    # -- the tick ----------------------------------------------------------------------------------
    def validate(self, world: World) -> None:
        if world is not self.world:
            raise ValueError("director: set up for another world than the one it is run on")
        missing = [h.name for h in self.spec.hosts if h.name not in world.names]
        if missing:
            raise ValueError(f"director: the show's hosts {', '.join(missing)} are not in the world "
                             f"({', '.join(world.names)})")

    def run(self, world: World, tick: int) -> None:
        """First thing on every tick."""
        self.tick = tick
        while self.layout is not None and self.layout.cursor <= tick + self.ahead:
            directions = self.layout.next()
            if directions is None:
                self.layout = None
            else:
                self._pending += directions
        # Lines go to their host `ahead` early (the hands prepare before the first word), the rest on time.
        due = [d for d in self._pending if d.tick - (self.ahead if d.kind == "line" else 0) <= tick]
        if due:
            self._pending = [d for d in self._pending if all(d is not e for e in due)]
            for d in due:
                self._direct(d)
        while self._due and self._due[0][0] <= tick:
            heapq.heappop(self._due)[2]()
        self._watch(tick)

    def later(self, tick: int, call: Callable[[], None]) -> None:
        heapq.heappush(self._due, (tick, next(self._order), call))

    def emit(self, kind: str, **fields) -> None:
        event = {"event": kind, **fields}
        for listener in self.listeners:
            listener(event)

    def _direct(self, d: Direction) -> None:
        if d.kind == "line":
            h = self.names.index(d.host)
            self._hand(h, d.line)
            self._handed.append((h, d.line))
        elif d.kind == "segment":
            self.segment = d.value
            self.emit("segment", name=d.value, tick=d.tick)
        elif d.kind == "mood":
            for h in range(len(self.names)):
                self.world.set_mood(h, d.value, SEGMENT_MOOD_WEIGHT)
        elif d.kind == "cut":
            self.cut_to(d.value, d.tick)
        elif d.kind == "focus":
            self.present(d.value, d.tick)
        elif d.kind == "price":
            self.reveal_price(d.value, d.tick)
        elif d.kind == "hold":
            self.pick_up(self.names.index(d.host), d.value, d.tick)
        elif d.kind == "put_down":
            self.put_down(self.names.index(d.host), d.tick)
        elif d.kind == "contact":
            self.world.eye_contact(d.tick, d.value)
            self.emit("gaze", host="all", target="each other", tick=d.tick)

    def _hand(self, h: int, line: Line) -> None:
        self.world.say(h, line)

    def _withdraw(self, h: int, line: Line, keep: Line | None = None) -> None:
        """Take a line back from its host, or cut it to `keep`; gestures not kept go too."""
        self.world.withdraw(h, line, keep)
        if keep is not None:
            self.later(keep.end_tick, lambda: self.emit("cut", host=self.names[h], tick=keep.end_tick, _line=keep))

    def _watch(self, tick: int) -> None:
        """Report and direct what starts on this tick: lines (with the glances at a change of speaker,
        looks at products named), and changes of gaze."""
        self._handed = [(h, l) for h, l in self._handed if l.start_tick > tick]
        self._live = [(h, l) for h, l in self._live if l.end_tick > tick]
        for h in range(self.world.hosts):
            line = self.world.line_at(h, tick)
            if line is not None and line is not self._playing[h] and line.start_tick == tick:
                self._started(h, line, tick)
            elif line is None and self._playing[h] is not None:
                self._ended(h, tick)
            self._playing[h] = line
        looks = self.world.attention.look
        for h in np.flatnonzero(looks != self._looks):
            self.emit("gaze", host=self.names[h], target=LOOKS[Look(looks[h])], tick=tick)
        self._looks = looks.copy()

    def _started(self, h: int, line: Line, tick: int) -> None:
        self.emit("line", host=self.names[h], text=line.utterance.text.strip(), tick=tick, segment=self.segment, _line=line)
        previous = self._last_speaker
        if previous is not None and previous != h and self._playing[previous] is None:
            self.world.meet(previous, tick, GLANCE_S)
        self._last_speaker = h
        for planned in line.gestures:
            stroke = tick + round(planned.stroke_start * self.rate)
            self.later(max(stroke, tick), lambda h=h, p=planned, at=stroke: any(q is p for _, q in self.world.plans[h])
                       and self.emit("gesture", host=self.names[h], gesture=p.gesture.name, target=p.target, tick=at))
        self._mentions(h, line, tick)

    def _ended(self, h: int, tick: int) -> None:
        """A host finished a line: if the other host speaks next, it looks over first."""
        upcoming = sorted((l.start_tick, k) for k, l in self._handed + self._live if 0 < l.start_tick - tick <= self.ahead)
        if upcoming and upcoming[0][1] != h:
            start, nxt = upcoming[0]
            at = max(tick, start - round(HANDOVER_S * self.rate))
            if start - at > 1:
                self.later(at, lambda: self.world.meet(nxt, at, (start - at) / self.rate))

    def _mentions(self, h: int, line: Line, tick: int) -> None:
        """The speaker (and the listener) look at a product as the line names it."""
        marked = parse_markup(line.utterance.text)
        for (start, _), word in zip(word_times(marked, line.utterance), marked.words):
            pid = self.responder.product_in(word.text)
            if pid is None:
                continue
            at = tick + round(start * self.rate)
            for k in range(len(self.names)):
                self.later(at, lambda k=k, at=at, pid=pid, line=line: (self.world.line_at(h, at) is line)
                           and self.world.look_at(k, at, self.centres[pid], MENTION_S))
            self.later(at, lambda at=at, pid=pid: self.emit("gaze", host="all", target=f"product:{pid}", tick=at))
            return                                   # one look per line: the first product named

    # -- what the show and the operator ask for -----------------------------------------------------
    def cut_to(self, shot: str, tick: int) -> None:
        if len(self.camera_cues) > 64:                   # a long show: forget cuts long past (in place: the stage reads it)
            for old in [t for t in self.camera_cues if t < tick - self.rate]:
                del self.camera_cues[old]
        self.camera_cues[tick] = shot
        self.emit("camera", shot=shot, tick=tick)

    def present(self, product: str, tick: int) -> None:
        self.product = product
        for h in range(len(self.names)):
            self.world.look_at(h, tick, self.centres[product], PRODUCT_LOOK_S)
        self.emit("product", product=product, tick=tick)

    def reveal_price(self, product: str | None, tick: int) -> None:
        """Show a product's price card on screen (None: take it off)."""
        p = next((p for p in self.spec.products if p.id == product), None)
        self.card = p.card if p else None
        self.emit("price", product=product, price=p.price if p else None, tick=tick)

    def pick_up(self, h: int, product: str, tick: int) -> str:
        """Host h picks the product up from `tick` (the hand on its side), holds it up to the viewers and
        gestures with the other hand; returns the hand."""
        piece = next(p.piece for p in self.spec.products if p.id == product)
        prop = piece_prop(piece, self.world.to_host[h])
        hand = side_for(prop)
        self.world.holds[h] = Hold(product, hand, tick, prop)
        self.world.look_at(h, tick, self.centres[product], REACH_S + GRASP_S)
        self.emit("hold", host=self.names[h], product=product, hand=hand, tick=tick)
        return hand

    def put_down(self, h: int, tick: int) -> str | None:
        """Host h puts back what it holds, from `tick`; returns the product, if there was one."""
        hold = self.world.holds[h]
        if hold is None or hold.release is not None:
            return None
        hold.release = max(tick, hold.start + round((REACH_S + GRASP_S + CARRY_S) * self.rate))
        self.later(hold.release, lambda: self.world.look_at(h, hold.release, self.centres[hold.product], CARRY_S))
        self.emit("put_down", host=self.names[h], product=hold.product, tick=hold.release)
        return hold.product

    def speaking(self, tick: int) -> list[tuple[int, Line]]:
        return [(h, line) for h in range(self.world.hosts) if (line := self.world.line_at(h, tick)) is not None]

    def free_host(self) -> int:
        """Who takes a live line: a host not speaking now and with nothing of its own coming, else the first."""
        now = self.tick + 1
        busy = {h for h, _ in self.speaking(now)} | {h for h, _ in self._live}
        return next((h for h in range(len(self.names)) if h not in busy), 0)

    def waiting(self) -> int:
        """Live lines handed on and not yet started."""
        return sum(l.start_tick > self.tick for _, l in self._live)

    def turn_to_viewers(self, h: int) -> None:
        """Host h, who will answer a viewer, turns to the viewers now, while its answer is prepared."""
        self.world.address(h, self.tick + 1, REACT_S)

    def say_live(self, marked: MarkedLine, host: int | None = None, voice: Voice | None = None,
                 utterance: Utterance | None = None) -> tuple[int, Line]:
        """A live line at the next phrase boundary (after other live lines waiting): the host turns to the
        viewers at once, the speaking host finishes its phrase (or, if that is more than PHRASE_WAIT_S
        away, its word), the script's next lines move back."""
        h = self.free_host() if host is None else host
        now = self.tick + 1
        start = max([now] + [l.end_tick + round(LIVE_GAP_S * self.rate) for _, l in self._live])
        for k, line in self.speaking(now):
            boundary = line.boundary_after(now)
            if boundary - now > PHRASE_WAIT_S * self.rate:      # a long phrase: stop at the end of a word
                boundary = line.boundary_after(now, phrase=False)
            if boundary < line.end_tick and not any(l is line for _, l in self._live):
                self._withdraw(k, line, line.cut(boundary))
            start = max(start, boundary + round(LIVE_GAP_S * self.rate))
        name = self.names[h]
        line = make_line(self.spec, name, marked, start, self.cache, voice, utterance)
        self.world.address(h, now, max(REACT_S, (start - now) / self.rate))
        self._make_room(line.end_tick + round(LIVE_GAP_S * self.rate))
        self._hand(h, line)
        self._live.append((h, line))
        return h, line

    def interrupt(self) -> int:
        """Stop the speaking hosts at their next word boundary, drop live lines waiting, move the script
        on by RESUME_S; every host turns to the viewers now. Returns the tick the last voice stops."""
        now = self.tick + 1
        stop = now
        for k, line in self.speaking(now):
            boundary = line.boundary_after(now, phrase=False)
            if boundary < line.end_tick:
                self._withdraw(k, line, line.cut(boundary))
            stop = max(stop, boundary)
        for k, line in self._live:
            if line.start_tick > self.tick:
                self._withdraw(k, line)
        self._live = []
        for h in range(len(self.names)):
            self.world.address(h, now, RESUME_S + (stop - now) / self.rate)
        self._make_room(stop + round(RESUME_S * self.rate))
        self.emit("interrupt", tick=now, stops=stop)
        return stop

    def _make_room(self, until: int) -> None:
        """Script lines not yet started move later so the first of them starts at `until`."""
        firsts = [l.start_tick for _, l in self._handed] + [d.tick for d in self._pending]
        if self.layout is not None:
            firsts.append(self.layout.cursor)
        shift = until - min(firsts, default=until)
        if shift <= 0:
            return
        moved = []
        for h, line in self._handed:
            self._withdraw(h, line)
            moved.append(Direction(line.start_tick + shift, "line", self.names[h], replace(line, start_tick=line.start_tick + shift)))
        self._handed = []
        self._pending = sorted(moved + [replace(d, tick=d.tick + shift, line=replace(d.line, start_tick=d.line.start_tick + shift)
                                                if d.line else None) for d in self._pending], key=lambda d: d.tick)
        if self.layout is not None:
            self.layout.cursor += shift

    def state(self) -> dict:
        now = self.tick
        return {"tick": now, "segment": self.segment, "product": self.product,
                "speaking": [self.names[h] for h, _ in self.speaking(max(now, 0))],
                "live_waiting": self.waiting(), "script_waiting": len(self._handed) + len(self._pending),
                "camera": self.camera_cues[max(self.camera_cues)] if self.camera_cues else None}
