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
    pause = 1.0                       # seconds after the segment
    lines = ["Mei: This [point_product:kettle]kettle boils in three minutes.", "Jun: Only *39* dollars!",
             "Both: Order now!"]           # said together, in time, after a look at each other
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..controllers.speech import Line
from ..gesture.markup import MarkupError, parse_markup
from ..scene.setfile import PROJECT, SetSpec, load_set
from ..speech.espeak import LineCache
from ..speech.unison import align
from ..speech_cmd import host_voice, make_line
from ..tomlfile import TomlDoc

UNISON = "Both"                   # 'Both: text' is said by the two hosts together
CONTACT_S = 0.7                   # the hosts look at each other this long before a unison line
_LINE = re.compile(r"^\s*(?P<host>[^:]+?)\s*:\s*(?P<text>\S.*)$", re.S)


@dataclass(frozen=True)
class Segment:
    name: str
    lines: tuple[tuple[str, str], ...]        # (host, text with markup)
    camera: str | None = None
    product: str | None = None
    language: str | None = None
    pause: float = 0.0


@dataclass(frozen=True)
class Show:
    name: str
    source: Path
    spec: SetSpec
    segments: tuple[Segment, ...]
    loop: bool = True
    gap: float = 0.4


def is_show(path: str | Path) -> bool:
    """Whether a TOML file is a show script (it has a [show] table) rather than a set."""
    return bool(re.search(r"^\s*\[show\]\s*(#.*)?$", Path(path).read_text(encoding="utf-8"), re.M))


def load_show(path: str | Path) -> Show:
    doc = TomlDoc(path)
    head = doc.get(doc.data, "show", dict, "show")
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
        lines = []
        for k, text in enumerate(doc.get(t, "lines", list, *where, "lines")):
            m = _LINE.match(text) if isinstance(text, str) else None
            if not m:
                raise doc.error(f"line {k + 1}: expected 'Host: text', got {text!r}", *where, "lines")
            if m.group("host") not in hosts | {UNISON}:
                raise doc.error(f"line {k + 1}: no host {m.group('host')!r} on the set; hosts: {', '.join(sorted(hosts))}",
                                *where, "lines")
            try:
                parse_markup(m.group("text"))
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
        pause = doc.get(t, "pause", float, *where, "pause", default=0.0)
        if pause < 0:
            raise doc.error("pause must not be negative", *where, "pause")
        segments.append(Segment(doc.get(t, "name", str, *where, "name", default=f"segment {i + 1}"), tuple(lines),
                                camera, product, doc.get(t, "language", str, *where, "language", default=None),
                                pause))
    gap = doc.get(head, "gap", float, "show", "gap", default=0.4)
    return Show(doc.get(head, "name", str, "show", "name", default=doc.path.stem), doc.path, spec, tuple(segments),
                doc.get(head, "loop", bool, "show", "loop", default=True), gap)


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
    spec, rate = show.spec, show.spec.tick_rate
    out = Programme({h.name: [] for h in spec.hosts}, [], [], 0)
    tick = 0
    own = {h.name: host_voice(spec, h.name) for h in spec.hosts}
    for _ in range(loops if show.loop else 1):
        for seg in show.segments:
            if seg.camera:
                out.cuts.append((tick, seg.camera))
            if seg.product:
                out.focus.append((tick, seg.product))
            voices = {name: replace(v, language=seg.language) for name, v in own.items()} if seg.language else own
            for host, text in seg.lines:
                marked = parse_markup(text)
                if host == UNISON:
                    out.contact.append((tick, CONTACT_S))
                    tick += round(CONTACT_S * rate)
                    lead, *others = [h.name for h in spec.hosts]
                    line = make_line(spec, lead, marked, tick, cache, voices[lead])
                    out.lines[lead].append(line)
                    for other in others:              # the others' takes follow the lead voice's timing
                        take = align(cache.get(marked.text, voices[other]), line.utterance)
                        out.lines[other].append(make_line(spec, other, marked, tick, cache, utterance=take))
                else:
                    line = make_line(spec, host, marked, tick, cache, voices[host])
                    out.lines[host].append(line)
                tick = line.end_tick + round(show.gap * rate)
            tick += round(seg.pause * rate)
    out.end_tick = tick
    return out
