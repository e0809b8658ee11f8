"""Parser for gesture lexicons (the language is in rigs/gestures/GRAMMAR.md).

Every problem is reported as `file:line:col: message`, all of them in one pass, so an animator fixes a
file in one go. Compositions are resolved after the whole lexicon is read (any order, no cycles).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from .handshapes import HANDSHAPES

HANDS = ("left", "right", "both")
PAIRING = ("mirrored", "parallel")
HEIGHTS = ("head", "chin", "shoulder", "chest", "waist")
SIDEWAYS = ("centre", "periphery", "far")
DISTANCES = ("near", "middle", "extended")
DIRECTIONS = ("up", "down", "forward", "back", "in", "out", "target")
MOTIONS = ("none", "line", "arc", "circle", "wave", "beat", "open", "close")
DIRECTED = ("line", "arc")
TARGETS = ("product", "cohost", "camera", "self", "point")
PHASES = ("prep", "stroke", "hold", "retract")
KEYS = ("hands", "shape", "location", "palm", "fingers", "movement", "target", "phases")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")


class GestureError(ValueError):
    """One or more problems in lexicon files; str() lists them as `file:line:col: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Phase:
    name: str
    duration: float
    sync: bool = False


@dataclass(frozen=True)
class Movement:
    kind: str = "none"
    direction: str | None = None
    amplitude: float = 0.1
    repeat: int = 1


@dataclass(frozen=True)
class Target:
    kind: str
    name: str | None = None
    point: tuple[float, float, float] | None = None


@dataclass(frozen=True)
class Gesture:
    name: str
    source: str                                      # file:line where it is defined
    hands: str = "right"
    pairing: str | None = None
    shape: str = "relaxed"
    location: tuple[str, str, str] = ("chest", "centre", "middle")
    palm: str = "down"
    fingers: str = "forward"
    movement: Movement = Movement()
    target: Target | None = None
    phases: tuple[Phase, ...] = ()
    parts: tuple[tuple[str, int], ...] = ()          # a composition: (gesture, times) in order
    steps: tuple["Gesture", ...] = ()                # resolved: the simple gestures to perform, in order

    @property
    def sync_phase(self) -> Phase:
        return next((p for p in self.phases if p.sync), next(p for p in self.phases if p.name == "stroke"))

    @property
    def duration(self) -> float:
        return sum(p.duration for g in (self.steps or (self,)) for p in g.phases)


@dataclass
class _Token:
    text: str
    col: int


@dataclass
class _Parser:
    path: str
    problems: list[str] = field(default_factory=list)

    def fail(self, line: int, col: int, message: str) -> None:
        self.problems.append(f"{self.path}:{line}:{col}: {message}")

    @staticmethod
    def tokens(text: str, offset: int = 0) -> list[_Token]:
        return [_Token(m.group(), m.start() + 1 + offset) for m in re.finditer(r"[^\s,]+|,", text)]

    def number(self, line: int, tok: _Token | None, what: str, integer: bool = False) -> float | None:
        if tok is None:
            self.fail(line, 0, f"{what}: a number is missing")
            return None
        try:
            value = int(tok.text) if integer else float(tok.text)
        except ValueError:
            self.fail(line, tok.col, f"{what}: bad number {tok.text!r}")
            return None
        if value < 0 or (integer and value < 1):
            self.fail(line, tok.col, f"{what}: {tok.text} must be {'at least 1' if integer else 'positive'}")
            return None
        return value

    def choice(self, line: int, tok: _Token, options: tuple[str, ...], what: str) -> str | None:
        if tok.text not in options:
            self.fail(line, tok.col, f"unknown {what} {tok.text!r}; expected one of {', '.join(options)}")
            return None
        return tok.text

    # -- properties -------------------------------------------------------------------------------------
    def property(self, line: int, key: _Token, toks: list[_Token], fields: dict) -> None:
        words = [t for t in toks if t.text != ","]
        if not words:
            self.fail(line, key.col, f"'{key.text}' needs a value")
            return
        k = key.text
        if k == "hands":
            hands = self.choice(line, words[0], HANDS, "hands")
            if hands:
                fields["hands"] = hands
            if len(words) > 1:
                pairing = self.choice(line, words[1], PAIRING, "pairing of both hands")
                if pairing and hands != "both":
                    self.fail(line, words[1].col, f"'{pairing}' needs hands: both")
                fields["pairing"] = pairing
        elif k == "shape":
            if words[0].text not in HANDSHAPES:
                self.fail(line, words[0].col, f"unknown handshape {words[0].text!r}; known: {', '.join(HANDSHAPES)}")
            else:
                fields["shape"] = words[0].text
        elif k == "location":
            parts = [HEIGHTS, SIDEWAYS, DISTANCES]
            value = list(Gesture.location)
            for i, w in enumerate(words[:3]):
                picked = self.choice(line, w, parts[i], ("height", "sideways position", "distance")[i])
                if picked:
                    value[i] = picked
            for w in words[3:]:
                self.fail(line, w.col, f"unexpected {w.text!r} after the location")
            fields["location"] = tuple(value)
        elif k in ("palm", "fingers"):
            d = self.choice(line, words[0], DIRECTIONS, "direction")
            if d:
                fields[k] = d
        elif k == "movement":
            fields["movement"] = self.movement(line, words)
        elif k == "target":
            fields["target"] = self.target(line, words)
        elif k == "phases":
            fields["phases"] = self.phases(line, key, toks)

    def movement(self, line: int, words: list[_Token]) -> Movement:
        kind = self.choice(line, words[0], MOTIONS, "movement") or "none"
        direction, amplitude, repeat = None, Movement.amplitude, 1
        rest = words[1:]
        if kind in DIRECTED:
            if not rest or rest[0].text in ("amplitude", "repeat"):
                self.fail(line, words[0].col, f"'{kind}' needs a direction ({', '.join(DIRECTIONS)})")
            else:
                direction = self.choice(line, rest[0], DIRECTIONS, "direction")
                rest = rest[1:]
        i = 0
        while i < len(rest):
            w = rest[i]
            nxt = rest[i + 1] if i + 1 < len(rest) else None
            if w.text == "amplitude":
                amplitude = self.number(line, nxt, "amplitude") or amplitude
            elif w.text == "repeat":
                repeat = int(self.number(line, nxt, "repeat", integer=True) or 1)
            else:
                self.fail(line, w.col, f"unknown movement modifier {w.text!r}; expected amplitude or repeat")
                i += 1
                continue
            i += 2
        return Movement(kind, direction, amplitude, repeat)

    def target(self, line: int, words: list[_Token]) -> Target | None:
        kind = self.choice(line, words[0], TARGETS, "target")
        if kind == "point":
            if len(words) != 4:
                self.fail(line, words[0].col, "'point' needs three numbers x y z (metres, set coordinates)")
                return None
            try:
                return Target("point", point=(float(words[1].text), float(words[2].text), float(words[3].text)))
            except ValueError:
                bad = next(w for w in words[1:] if not re.fullmatch(r"-?\d+(\.\d*)?", w.text))
                self.fail(line, bad.col, f"point coordinate: bad number {bad.text!r}")
                return None
        if kind == "product":
            if len(words) > 2:
                self.fail(line, words[2].col, f"unexpected {words[2].text!r} after the product id")
            if len(words) > 1 and not _NAME.match(words[1].text):
                self.fail(line, words[1].col, f"bad product id {words[1].text!r}")
                return None
            return Target("product", words[1].text if len(words) > 1 else None)
        if kind and len(words) > 1:
            self.fail(line, words[1].col, f"unexpected {words[1].text!r} after target {kind}")
        return Target(kind) if kind else None

    def phases(self, line: int, key: _Token, toks: list[_Token]) -> tuple[Phase, ...]:
        groups: list[list[_Token]] = [[]]
        for t in toks:
            if t.text == ",":
                groups.append([])
            else:
                groups[-1].append(t)
        out: list[Phase] = []
        named: set[str] = set()          # phases given, even with a bad duration (no cascading errors)
        for g in groups:
            if not g:
                self.fail(line, key.col, "an empty phase between commas")
                continue
            name = self.choice(line, g[0], PHASES, "phase")
            named.add(g[0].text)
            duration = self.number(line, g[1] if len(g) > 1 else None, f"phase {g[0].text}")
            sync = len(g) > 2 and g[2].text == "sync"
            if len(g) > 2 and not sync:
                self.fail(line, g[2].col, f"unexpected {g[2].text!r} in phase {g[0].text}; only 'sync' may follow")
            if name and duration is not None:
                if any(p.name == name for p in out):
                    self.fail(line, g[0].col, f"phase {name} appears twice")
                out.append(Phase(name, duration, sync))
        if "stroke" not in named:
            self.fail(line, key.col, "phases need a stroke")
        if sum(p.sync for p in out) > 1:
            self.fail(line, key.col, "only one phase can be synchronised to speech")
        order = [PHASES.index(p.name) for p in out]
        if order != sorted(order):
            self.fail(line, key.col, "phases go in the order prep, stroke, hold, retract")
        return tuple(out)

    # -- blocks -----------------------------------------------------------------------------------------
    def parse(self, text: str) -> dict[str, tuple[Gesture, int, int]]:
        gestures: dict[str, tuple[Gesture, int, int]] = {}
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            raw = lines[i].split("#", 1)[0]
            line = i + 1
            toks = self.tokens(raw)
            i += 1
            if not toks:
                continue
            if toks[0].text != "gesture":
                self.fail(line, toks[0].col, f"expected 'gesture NAME {{' or 'gesture NAME = ...', got {toks[0].text!r}")
                continue
            if len(toks) < 3:
                self.fail(line, toks[0].col, "a gesture needs a name and then '{' or '='")
                continue
            name_tok = toks[1]
            if not _NAME.match(name_tok.text):
                self.fail(line, name_tok.col, f"bad gesture name {name_tok.text!r} (letters, digits, _)")
            if name_tok.text in gestures:
                self.fail(line, name_tok.col, f"gesture {name_tok.text!r} is already defined at "
                          f"{gestures[name_tok.text][0].source}")
            source = f"{self.path}:{line}"
            if toks[2].text == "=":
                g = self.composition(line, name_tok.text, source, toks[3:], raw)
            elif toks[2].text == "{":
                if len(toks) > 3:
                    self.fail(line, toks[3].col, "properties go on their own lines after '{'")
                g, i = self.block(lines, i, name_tok.text, source, line)
            else:
                self.fail(line, toks[2].col, f"expected '{{' or '=' after the gesture name, got {toks[2].text!r}")
                continue
            if g is not None:
                gestures[name_tok.text] = (g, line, name_tok.col)
        return gestures

    def block(self, lines: list[str], i: int, name: str, source: str, start: int) -> tuple[Gesture | None, int]:
        fields: dict = {}
        seen: dict[str, int] = {}
        while i < len(lines):
            raw = lines[i].split("#", 1)[0]
            line = i + 1
            i += 1
            stripped = raw.strip()
            if not stripped:
                continue
            if stripped == "}":
                if "phases" not in fields:
                    self.fail(start, 1, f"gesture {name!r} has no phases")
                if "shape" not in fields and "shape" not in seen:
                    self.fail(start, 1, f"gesture {name!r} has no shape")
                fields.setdefault("phases", (Phase("stroke", 0.3),))
                return Gesture(name, source, **{k: v for k, v in fields.items() if v is not None}), i
            if stripped.startswith("gesture "):
                self.fail(start, 1, f"gesture {name!r} is missing its closing '}}'")
                return None, i - 1
            col = raw.index(stripped) + 1
            if ":" not in stripped:
                self.fail(line, col, f"expected 'key: value', got {stripped!r}")
                continue
            key_text, value = stripped.split(":", 1)
            key = _Token(key_text.strip(), col)
            if key.text not in KEYS:
                self.fail(line, col, f"unknown property {key.text!r}; expected one of {', '.join(KEYS)}")
                continue
            if key.text in seen:
                self.fail(line, col, f"{key.text} is already given on line {seen[key.text]}")
                continue
            seen[key.text] = line
            self.property(line, key, self.tokens(value, raw.index(":") + 1), fields)
        self.fail(start, 1, f"gesture {name!r} is missing its closing '}}'")
        return None, i

    def composition(self, line: int, name: str, source: str, toks: list[_Token], raw: str) -> Gesture | None:
        if not toks:
            self.fail(line, len(raw) + 1, "a composition needs at least one gesture after '='")
            return None
        text = raw.split("=", 1)[1]
        offset = raw.index("=") + 1
        pieces = text.split(" with ")
        parts: list[tuple[str, int]] = []
        for tok in self.tokens(pieces[0], offset):
            if tok.text in ("then", "*"):
                continue
            if tok.text.isdigit() and parts:
                parts[-1] = (parts[-1][0], int(tok.text))
            elif _NAME.match(tok.text):
                parts.append((tok.text, 1))
            else:
                self.fail(line, tok.col, f"bad part {tok.text!r}: expected a gesture name, 'then' or '* N'")
        fields: dict = {}
        start = offset + len(pieces[0])
        for piece in pieces[1:]:
            start += len(" with ")
            col = start + len(piece) - len(piece.lstrip()) + 1
            if ":" not in piece:
                self.fail(line, col, f"expected 'key: value' after 'with', got {piece.strip()!r}")
            else:
                key, value = piece.split(":", 1)
                if key.strip() not in KEYS:
                    self.fail(line, col, f"unknown property {key.strip()!r}; expected one of {', '.join(KEYS)}")
                else:
                    self.property(line, _Token(key.strip(), col), self.tokens(value, start + len(key) + 1), fields)
            start += len(piece)
        return Gesture(name, source, parts=tuple(parts), **{k: v for k, v in fields.items() if v is not None})


def _resolve(path: str, gestures: dict[str, tuple[Gesture, int, int]], problems: list[str]) -> dict[str, Gesture]:
    done: dict[str, Gesture] = {}

    def resolve(name: str, stack: tuple[str, ...]) -> Gesture | None:
        if name in done:
            return done[name]
        g, line, col = gestures[name]
        if not g.parts:
            done[name] = replace(g, steps=(g,))
            return done[name]
        steps: list[Gesture] = []
        for part, times in g.parts:
            if part in stack or part == name:
                problems.append(f"{path}:{line}:{col}: gesture {name!r} refers to itself through {part!r}")
                return None
            if part not in gestures:
                problems.append(f"{path}:{line}:{col}: gesture {name!r} uses unknown gesture {part!r}")
                return None
            inner = resolve(part, stack + (name,))
            if inner is None:
                return None
            steps += list(inner.steps) * times
        # Properties given with 'with' apply to every step (a composition has only defaults otherwise).
        defaults = Gesture(name, g.source)
        overrides = {k: getattr(g, k) for k in KEYS if k != "phases" and getattr(g, k) != getattr(defaults, k)}
        steps = [replace(s, **overrides) for s in steps]
        done[name] = replace(g, steps=tuple(steps), phases=tuple(p for s in steps for p in s.phases))
        return done[name]

    for name in gestures:
        resolve(name, ())
    return done


def parse_lexicon(text: str, path: str = "<text>") -> dict[str, Gesture]:
    parser = _Parser(path)
    gestures = parser.parse(text)
    resolved = _resolve(path, gestures, parser.problems)
    if parser.problems:
        raise GestureError(parser.problems)
    return resolved


def load_lexicon(*paths: str | Path) -> dict[str, Gesture]:
    """Every gesture in the files (a later file may not redefine an earlier file's gesture)."""
    out: dict[str, Gesture] = {}
    problems: list[str] = []
    for path in paths:
        try:
            found = parse_lexicon(Path(path).read_text(encoding="utf-8"), str(path))
        except GestureError as e:
            problems += e.problems
            continue
        except OSError as e:
            problems.append(f"{path}:1:1: cannot read: {e.strerror}")
            continue
        for name, g in found.items():
            if name in out:
                problems.append(f"{g.source}:1: gesture {name!r} is already defined at {out[name].source}")
            out[name] = g
    if problems:
        raise GestureError(problems)
    return out
