"""Show scripts (`scenes/*.show.toml`): a set, and segments played in order — lines per host with gesture
markup, a camera to cut to, a product to present, the language of the segment, a pause — looped for a
24/7 show. Checked against the set at load: every mistake is `file:line:col: what is wrong`.

    [show]
    name = "Kettle, phone and tea"
    set = "shop_studio.toml"          # beside the show file, or from the project
    loop = true
    gap = 0.4                         # seconds between lines

    [[segments]]
    name = "kettle"
    camera = "mei"                    # cut to this camera when the segment starts
    product = "kettle"                # both hosts look at it; questions are about it
    language = "en-us"                # eSpeak NG voice language for the lines (default: each host's own)
    hold = "Mei"                      # she picks the product up, holds it up, and puts it back at the end
    price_line = 2                    # the price card shows from the 2nd line to the segment's end
    pause = 1.0                       # seconds after the segment
    mood = "happy"                    # both faces rest in this emotion through the segment (default neutral)
    lines = ["Mei: This [point_product:kettle]kettle boils in three minutes.", "Jun: Only *39* dollars!",
             "Both: Order now!"]           # said together, in time, after a look at each other
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..gesture.markup import MOODS, MarkupError, parse_markup
from ..sets.setfile import PROJECT, SetSpec, load_set
from ..speech.line import Line
from ..speech.voices import LineCache
from ..tomlfile import TomlDoc, unknown_name
from .lines import check_gestures, host_voice, make_line, unison

UNISON = "Both"                   # 'Both: text' is said by the two hosts together
CONTACT_S = 0.7                   # the hosts look at each other this long before a unison line
SHOW_KEYS = ("name", "set", "loop", "gap")
SEGMENT_KEYS = ("name", "camera", "product", "language", "hold", "price_line", "pause", "mood", "lines")
_LINE = re.compile(r"^\s*(?P<host>[^:]+?)\s*:\s*(?P<text>\S.*)$", re.S)


@dataclass(frozen=True)
class Segment:
    name: str
    lines: tuple[tuple[str, str], ...]        # (host, text with markup)
    camera: str | None = None
    product: str | None = None
    language: str | None = None
    pause: float = 0.0
    hold: str | None = None                   # the host who picks the product up for the segment
    price_line: int | None = None             # the price card shows from this line (1-based) to the end
    mood: str = "neutral"                     # the emotion both hosts' faces rest in through the segment


@dataclass(frozen=True)
class Show:
    name: str
    source: Path
    spec: SetSpec
    segments: tuple[Segment, ...]
    loop: bool = True
    gap: float = 0.4


def is_show(path: str | Path) -> bool:
    """Whether a TOML file is a show script (it has a [show] table) rather than a set (or no file)."""
    return Path(path).is_file() and bool(re.search(r"^\s*\[show\]\s*(#.*)?$", Path(path).read_text(encoding="utf-8"), re.M))


def set_of(path: str | Path) -> SetSpec:
    """The set of a set file, or of a show script (every command that takes a set takes a show too)."""
    return load_show(path).spec if is_show(path) else load_set(path)


def load_show(path: str | Path) -> Show:
    doc = TomlDoc(path)
    doc.check_keys(doc.data, ("show", "segments"))
    head = doc.get(doc.data, "show", dict, "show")
    doc.check_keys(head, SHOW_KEYS, "show")
    set_name = doc.get(head, "set", str, "show", "set")
    set_path = next((p for p in (doc.path.parent / set_name, PROJECT / "scenes" / set_name) if p.exists()), None)
    if set_path is None:
        raise doc.error(f"set file not found: {set_name!r}", "show", "set")
    spec = load_set(set_path)
    hosts, cameras = {h.name for h in spec.hosts}, {c.name for c in spec.cameras}
    products = {p.id for p in spec.products}
    segments = []
    tables = doc.get(doc.data, "segments", list, "segments")
    if not tables:
        raise doc.error("a show needs at least one [[segments]] entry", "show")
    for i, t in enumerate(tables):
        where = ("segments", i)
        doc.check_keys(t, SEGMENT_KEYS, *where)
        lines = []
        for k, text in enumerate(doc.get(t, "lines", list, *where, "lines")):
            m = _LINE.match(text) if isinstance(text, str) else None
            if not m:
                raise doc.error(f"line {k + 1}: expected 'Host: text', got {text!r}", *where, "lines")
            if m.group("host") not in hosts | {UNISON}:
                raise doc.error(f"line {k + 1}: no host {m.group('host')!r} on the set; hosts: {', '.join(sorted(hosts))}",
                                *where, "lines")
            try:
                check_gestures(parse_markup(m.group("text")))
            except MarkupError as e:
                raise doc.error(f"line {k + 1}: {e}", *where, "lines") from None
            lines.append((m.group("host"), m.group("text").strip()))
        camera = doc.get(t, "camera", str, *where, "camera", default=None)
        if camera is not None and camera not in cameras:
            raise doc.error(f"no camera {camera!r} on the set; cameras: {', '.join(sorted(cameras))}", *where, "camera")
        product = doc.get(t, "product", str, *where, "product", default=None)
        if product is not None and product not in products:
            raise doc.error(f"no product {product!r} on the set; products: {', '.join(sorted(products))}",
                            *where, "product")
        hold = doc.get(t, "hold", str, *where, "hold", default=None)
        if hold is not None and hold not in hosts:
            raise doc.error(f"no host {hold!r} to hold the product; hosts: {', '.join(sorted(hosts))}", *where, "hold")
        if hold is not None and product is None:
            raise doc.error("hold needs the segment's product", *where, "hold")
        price_line = doc.get(t, "price_line", int, *where, "price_line", default=None)
        if price_line is not None and (product is None or not 1 <= price_line <= len(lines)):
            raise doc.error(f"price_line needs the segment's product and a line number 1..{len(lines)}",
                            *where, "price_line")
        mood = doc.get(t, "mood", str, *where, "mood", default="neutral")
        if mood not in MOODS:
            raise doc.error(unknown_name(mood, MOODS, "mood"), *where, "mood")
        pause = doc.get(t, "pause", float, *where, "pause", default=0.0)
        if pause < 0:
            raise doc.error("pause must not be negative", *where, "pause")
        segments.append(Segment(doc.get(t, "name", str, *where, "name", default=f"segment {i + 1}"), tuple(lines),
                                camera, product, doc.get(t, "language", str, *where, "language", default=None),
                                pause, hold, price_line, mood))
    gap = doc.get(head, "gap", float, "show", "gap", default=0.4)
    return Show(doc.get(head, "name", str, "show", "name", default=doc.path.stem), doc.path, spec, tuple(segments),
                doc.get(head, "loop", bool, "show", "loop", default=True), gap)


@dataclass(frozen=True)
class Direction:
    """One thing the show does on a tick: a host's line ("line"), a camera cut ("cut", shot), a product
    presented ("focus", product id), a host picking it up ("hold") and putting it back ("put_down"), its
    price card ("price", product id; None hides it), a look at each other ("contact", seconds), a segment
    begins ("segment", name)."""
    tick: int
    kind: str
    host: str | None = None
    line: Line | None = None
    value: str | float | None = None


class Layout:
    """A show laid out on ticks one script entry at a time, from `cursor` on: a looping show never ends,
    so whoever plays it asks for the next entry when the clock nears the cursor, and may move the cursor
    on (an answer to a viewer goes between two lines). Lines are prepared once per host, text and
    language, then placed wherever they fall."""

    def __init__(self, show: Show, cache: LineCache) -> None:
        self.show, self.cache = show, cache
        self.rate = show.spec.tick_rate
        self.cursor = 0
        self.passes = 0                       # completed passes through the segments
        self.segment: Segment | None = None
        self._own = {h.name: host_voice(show.spec, h.name) for h in show.spec.hosts}
        self._prepared: dict[tuple[str, str, str | None], Line] = {}
        self._entries = self._walk()

    def _walk(self):
        while True:
            for seg in self.show.segments:
                yield seg, None
                for k, entry in enumerate(seg.lines):
                    yield seg, (k, entry)
                yield seg, "pause"
            if not self.show.loop:
                return

    def _line(self, host: str, text: str, language: str | None) -> Line:
        """The host's line at tick 0 (unison: the lead voice's timing for every host)."""
        key = (host, text, language)
        if key not in self._prepared:
            voices = {n: v.speaking(language) if language else v for n, v in self._own.items()}
            spec, marked = self.show.spec, parse_markup(text)
            if host == UNISON:                    # the others' takes follow the lead voice's timing
                lead, *others = [h.name for h in spec.hosts]
                together = unison(spec, marked, self.cache, voices)
                for other in others:
                    self._prepared[(f"{UNISON}:{other}", text, language)] = together[other]
                self._prepared[key] = together[lead]
            else:
                self._prepared[key] = make_line(spec, host, marked, 0, self.cache, voices[host])
        return self._prepared[key]

    def prepare(self) -> None:
        """Synthesise and plan every line of one pass now, so playing never waits on speech."""
        for seg in self.show.segments:
            for host, text in seg.lines:
                self._line(host, text, seg.language)

    def next(self) -> list[Direction] | None:
        """The directions of the next script entry, from the cursor (which moves past them); None when a
        show that does not loop is over."""
        entry = next(self._entries, None)
        if entry is None:
            return None
        seg, what = entry
        rate, tick = self.rate, self.cursor
        if what is None:
            self.segment = seg
            out = [Direction(tick, "segment", value=seg.name), Direction(tick, "mood", value=seg.mood)]
            out += [Direction(tick, "cut", value=seg.camera)] if seg.camera else []
            out += [Direction(tick, "hold", seg.hold, value=seg.product)] if seg.hold else []
            return out + ([Direction(tick, "focus", value=seg.product)] if seg.product else [])
        if what == "pause":
            put_down = [Direction(tick, "put_down", seg.hold)] if seg.hold else []
            put_down += [Direction(tick, "price")] if seg.price_line else []
            self.cursor += round(seg.pause * rate)
            self.passes += seg is self.show.segments[-1]
            return put_down
        k, (host, text) = what
        out = [Direction(tick, "price", value=seg.product)] if seg.price_line == k + 1 else []
        if host == UNISON:
            out.append(Direction(tick, "contact", value=CONTACT_S))
            tick += round(CONTACT_S * rate)
            lead = self._line(UNISON, text, seg.language)
            out.append(Direction(tick, "line", self.show.spec.hosts[0].name, replace(lead, start_tick=tick)))
            for h in self.show.spec.hosts[1:]:
                take = self._prepared[(f"{UNISON}:{h.name}", text, seg.language)]
                out.append(Direction(tick, "line", h.name, replace(take, start_tick=tick)))
        else:
            out.append(Direction(tick, "line", host, replace(self._line(host, text, seg.language), start_tick=tick)))
        self.cursor = out[-1].line.end_tick + round(self.show.gap * rate)
        return out


@dataclass
class Programme:
    """A show laid out on ticks: each host's lines, camera cuts and product focus (tick, value)."""
    lines: dict[str, list[Line]]
    cuts: list[tuple[int, str]]
    focus: list[tuple[int, str]]
    end_tick: int
    contact: list[tuple[int, float]] = field(default_factory=list)     # (tick, seconds) of looks at each other


def lay_out(show: Show, cache: LineCache, loops: int = 1) -> Programme:
    """`loops` passes of the show (1 if it does not loop), every line after the one before."""
    layout = Layout(show, cache)
    out = Programme({h.name: [] for h in show.spec.hosts}, [], [], 0)
    while layout.passes < loops and (directions := layout.next()) is not None:
        for d in directions:
            if d.kind == "line":
                out.lines[d.host].append(d.line)
            elif d.kind in ("cut", "focus", "contact"):
                getattr(out, {"cut": "cuts"}.get(d.kind, d.kind)).append((d.tick, d.value))
    out.end_tick = layout.cursor
    return out
