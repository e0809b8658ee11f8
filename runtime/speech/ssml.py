"""SSML in, as speech and avatar services take it (W3C SSML 1.1): a line may be `<speak>...</speak>`.

What is honoured, with every engine: `<break>` (a silence of its time or strength), `<prosody rate pitch
volume>`, `<emphasis>` (slower and louder, and a beat on its words), `<say-as interpret-as="cardinal |
characters | currency | date | telephone">`, `<sub alias>`, `<voice xml:lang>` / `<lang xml:lang>` (another
language), `<p>` and `<s>`, and `<bookmark mark="gesture.NAME"/>` (or `gesture.NAME:target`), which places
that lexicon gesture on the next word as `[NAME]` does. `<phoneme>` says its text (engines take no IPA).
The line is said piece by piece, each piece with its own rate, pitch and volume, breaks as silence between.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

from .utterance import Voice

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
BREAKS_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.4, "strong": 0.7, "x-strong": 1.0}
RATES = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
PITCHES = {"x-low": -20, "low": -10, "medium": 0, "default": 0, "high": 10, "x-high": 20}   # eSpeak NG's 0..100
VOLUMES = {"silent": 0.0, "x-soft": 0.25, "soft": 0.5, "medium": 1.0, "default": 1.0, "loud": 1.5, "x-loud": 2.0}
EMPHASIS = {"strong": (0.85, 1.4), "moderate": (0.92, 1.2), "reduced": (1.1, 0.8), "none": (1.0, 1.0)}  # rate, volume
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
CURRENCIES = {"$": "dollars", "USD": "dollars", "€": "euros", "EUR": "euros", "£": "pounds", "GBP": "pounds",
              "¥": "yuan", "CNY": "yuan", "RMB": "yuan", "元": "元"}
TAGS = ("speak", "break", "prosody", "emphasis", "say-as", "sub", "voice", "lang", "p", "s", "bookmark", "phoneme",
        "mark")


class SsmlError(ValueError):
    """Malformed or unknown SSML; the message says where (line:col within the line) and what."""


@dataclass(frozen=True)
class Piece:
    """Words said one way, after a silence."""
    text: str
    pause_s: float = 0.0              # silence before the words
    rate: float = 1.0                 # times the voice's rate
    pitch: int = 0                    # added to the voice's pitch (eSpeak NG, 0..100)
    volume: float = 1.0
    language: str | None = None


@dataclass
class Spoken:
    markup: str                       # the words with gesture markup ([NAME] from bookmarks, *emphasis*)
    pieces: list[Piece]


def is_ssml(text: str) -> bool:
    return text.lstrip().startswith("<speak")


def parse(text: str) -> Spoken:
    """The pieces to say and the line's gesture markup; SsmlError for malformed SSML or unknown tags."""
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as e:
        line, col = e.position
        raise SsmlError(f"SSML {line}:{col + 1}: {str(e).split(':')[0]}") from None
    if _tag(root) != "speak":
        raise SsmlError(f"SSML: the root is <{_tag(root)}>; expected <speak>")
    out = Spoken("", [])
    _walk(root, Piece(""), out)
    out.markup = re.sub(r"\s+", " ", out.markup).strip()
    out.pieces = [replace(p, text=re.sub(r"\s+", " ", p.text).strip()) for p in out.pieces
                  if p.text.strip() or p.pause_s > 0]
    return out


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _add(out: Spoken, style: Piece, text: str | None, marked: str | None = None) -> None:
    """Words in the current style: a new piece when the style changes."""
    if not text:
        return
    out.markup += marked if marked is not None else text
    last = out.pieces[-1] if out.pieces else None
    if last is not None and replace(last, text="", pause_s=0.0) == replace(style, text="", pause_s=0.0):
        out.pieces[-1] = replace(last, text=last.text + text)
    else:
        out.pieces.append(replace(style, text=text))


def _pause(out: Spoken, seconds: float) -> None:
    out.pieces.append(Piece("", pause_s=seconds))
    out.markup += " "


def _walk(element: ET.Element, style: Piece, out: Spoken) -> None:
    tag, a = _tag(element), element.attrib
    if tag not in TAGS:
        raise SsmlError(f"SSML: unknown element <{tag}>; expected one of {', '.join(TAGS)}")
    if tag == "break":
        _pause(out, _break_s(a))
    elif tag == "bookmark" or tag == "mark":
        mark = a.get("mark", a.get("name", ""))
        if mark.startswith("gesture."):
            out.markup += f" [{mark.removeprefix('gesture.')}]"
    else:
        inner = _style(tag, a, style)
        if tag == "say-as":
            spoken = _say_as(a.get("interpret-as", ""), "".join(element.itertext()), a.get("format", ""))
            _add(out, inner, spoken)
        elif tag == "sub":
            if "alias" not in a:
                raise SsmlError("SSML: <sub> needs alias=\"what is said\"")
            _add(out, inner, a["alias"])
        else:
            if tag == "emphasis" and a.get("level", "moderate") in ("strong", "moderate"):
                words = "".join(element.itertext())
                if element.findall("*"):
                    raise SsmlError("SSML: <emphasis> takes words only")
                _add(out, inner, words, f"*{words.strip()}*" if words.strip() else words)
            else:
                _add(out, inner, element.text)
                for child in element:
                    _walk(child, inner, out)
                    _add(out, inner, child.tail)
            if tag in ("p", "s"):
                _pause(out, BREAKS_S["strong" if tag == "p" else "weak"])


def _style(tag: str, a: dict, style: Piece) -> Piece:
    if tag == "prosody":
        return replace(style, rate=style.rate * _prosody("rate", a.get("rate"), RATES, RATE_UNITS, 1.0),
                       pitch=style.pitch + round(_prosody("pitch", a.get("pitch"), PITCHES, PITCH_UNITS, 0.0)),
                       volume=style.volume * _prosody("volume", a.get("volume"), VOLUMES, VOLUME_UNITS, 1.0))
    if tag == "emphasis":
        rate, volume = EMPHASIS.get(a.get("level", "moderate"), (None, None))
        if rate is None:
            raise SsmlError(f"SSML: <emphasis level=\"{a['level']}\">: expected one of {', '.join(EMPHASIS)}")
        return replace(style, rate=style.rate * rate, volume=style.volume * volume)
    if tag in ("voice", "lang", "speak") and XML_LANG in a:
        return replace(style, language=a[XML_LANG].lower())
    return style


def _signed(sign: str, number: float) -> float:
    return -number if sign == "-" else number


def _percent(sign: str, number: float) -> float:
    """N% of the default, or +N% / -N% from it, as a multiplier."""
    return 1 + _signed(sign, number) / 100 if sign else number / 100


RATE_UNITS = {"%": _percent}
VOLUME_UNITS = {"%": _percent, "dB": lambda sign, n: 10 ** (_signed(sign, n) / 20)}
PITCH_UNITS = {"%": lambda sign, n: _signed(sign, n) * 0.5, "st": lambda sign, n: _signed(sign, n) * 3.0,
               "Hz": lambda sign, n: _signed(sign, n) * 0.25}        # as eSpeak NG pitch units (0..100)


def _prosody(what: str, value: str | None, names: dict, units: dict, neutral: float) -> float:
    """A prosody attribute: one of its names, or a number in one of its units."""
    if value is None:
        return neutral
    value = value.strip()
    if value in names:
        return names[value]
    m = re.fullmatch(r"([+-]?)(\d+(?:\.\d+)?)([A-Za-z%]+)", value)
    if m and m.group(3) in units:
        return units[m.group(3)](m.group(1), float(m.group(2)))
    raise SsmlError(f"SSML: <prosody {what}=\"{value}\">: expected one of {', '.join(names)}, or a number in "
                    f"{', '.join(units)} (e.g. +10{next(iter(units))})")


def _break_s(a: dict) -> float:
    if "time" in a:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s)", a["time"].strip())
        if not m:
            raise SsmlError(f"SSML: <break time=\"{a['time']}\">: expected e.g. 500ms or 1.5s")
        return float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    strength = a.get("strength", "medium")
    if strength not in BREAKS_S:
        raise SsmlError(f"SSML: <break strength=\"{strength}\">: expected one of {', '.join(BREAKS_S)}")
    return BREAKS_S[strength]


def _say_as(kind: str, text: str, fmt: str) -> str:
    """What a <say-as> is read as."""
    text = text.strip()
    if kind in ("cardinal", "number"):
        return text.replace(",", "")
    if kind in ("characters", "spell-out"):
        return " ".join(c for c in text if not c.isspace())
    if kind == "telephone":
        groups = re.findall(r"\d+", text)
        return ", ".join(" ".join(g) for g in groups)
    if kind == "currency":
        m = re.fullmatch(r"([^\d\s]*)\s*([\d,]+(?:\.\d+)?)\s*([^\d\s]*)", text)
        if not m or not (m.group(1) or m.group(3)):
            raise SsmlError(f"SSML: <say-as interpret-as=\"currency\">{text}: expected e.g. $25.50 or 25 USD")
        unit = CURRENCIES.get(m.group(1) or m.group(3), m.group(1) or m.group(3))
        whole, _, cents = m.group(2).replace(",", "").partition(".")
        return f"{whole} {unit}" + (f" {int(cents):d} cents" if cents and int(cents) and unit != "元" else "")
    if kind == "date":
        numbers = [int(n) for n in re.findall(r"\d+", text)]
        order = fmt or ("ymd" if re.match(r"\d{4}", text) else "mdy")
        if len(numbers) != 3 or sorted(order) != ["d", "m", "y"]:
            raise SsmlError(f"SSML: <say-as interpret-as=\"date\">{text}: expected three numbers and format ymd, mdy or dmy")
        date = dict(zip(order, numbers))
        if not 1 <= date["m"] <= 12:
            raise SsmlError(f"SSML: <say-as interpret-as=\"date\">{text}: no month {date['m']}")
        return f"{MONTHS[date['m'] - 1]} {date['d']}, {date['y']}"
    raise SsmlError(f"SSML: <say-as interpret-as=\"{kind}\">: expected cardinal, characters, currency, date or telephone")


def voice_for(piece: Piece, voice: Voice) -> Voice:
    """The host's voice changed the way a piece asks."""
    out = voice.speaking(piece.language) if piece.language else voice
    return replace(out, rate=max(40, round(out.rate * piece.rate)), pitch=min(100, max(0, out.pitch + piece.pitch)))
