"""TOML loading with errors that name `file:line:col` and the key, for scene, host and mapping files."""
from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class FileError(ValueError):
    """A problem in a user's file; str() is `file:line:col: message`."""

    def __init__(self, path: str | Path, line: int, col: int, message: str) -> None:
        self.path, self.line, self.col, self.message = str(path), line, col, message
        super().__init__(f"{path}:{line}:{col}: {message}")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice nearest to `word` in spelling (any case), if one is close: for "did you mean"."""
    by_lower = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return by_lower[close[0]] if close else None


def unknown_name(name: str, allowed: Iterable[str], what: str = "key") -> str:
    """`unknown key 'fvo'; did you mean 'fov'?`, or the allowed names when none is close (a typo must not
    pass silently, and the fix should be in the message)."""
    allowed = list(allowed)
    near = closest(name, allowed)
    hint = f"did you mean {near!r}?" if near else f"expected one of {', '.join(allowed) or 'none'}"
    return f"unknown {what} {name!r}; {hint}"


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


class TomlDoc:
    """A parsed TOML file that can say on which line a key was written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.text = self.path.read_text(encoding="utf-8")
        except OSError as e:
            raise FileError(path, 1, 1, f"cannot read file: {e.strerror}") from None
        try:
            self.data: dict[str, Any] = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as e:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
            raise FileError(path, line, col, f"TOML syntax: {msg}") from None
        self._lines = self.text.splitlines()

    def _header(self, name: str, nth: int = 0, start: int = 0) -> int:
        """1-based line of the `nth` header [name] or [[name]] from line index `start` on; 0 when none."""
        for i in range(start, len(self._lines)):
            m = _HEADER.match(self._lines[i])
            if m and m.group(1).replace(" ", "") == name:
                if nth == 0 or not self._lines[i].lstrip().startswith("[["):
                    return i + 1
                nth -= 1
        return 0

    def line_of(self, *path: str | int) -> tuple[int, int]:
        """(line, col) of the key at `path` (table names, array indices, key); best effort."""
        tables = [p for p in path if isinstance(p, str)]
        indices = [p for p in path if isinstance(p, int)]
        # The header of the innermost table in the path: an array element's [[header]] counted by its
        # index, and any sub-table of it looked for after that.
        element = self._header(tables[0], indices[0]) if tables and indices else 0
        header_line, table = 0, ""
        for depth in range(len(tables), 0, -1):
            want = ".".join(tables[:depth])
            header_line = element if depth == 1 and indices else self._header(want, start=max(element - 1, 0))
            if header_line:
                table = want
                break
        key = tables[-1] if tables else None
        owner = tables[-2] if len(tables) > 1 else None
        inline = re.compile(rf"[{{,]\s*({re.escape(key)})\s*=") if key else None
        if key and table != ".".join(tables):
            for i in range(header_line, len(self._lines)):
                if _HEADER.match(self._lines[i]):           # the next table starts: the key is not here
                    break
                m = _KEY.match(self._lines[i])
                name = m.group(1).strip("\"'").split(".")[-1] if m else None
                if name == owner and (inner := inline.search(self._lines[i])):      # key = { ..., owner = ... }
                    return i + 1, inner.start(1) + 1
                if name == key:
                    return i + 1, self._lines[i].index(m.group(1)) + 1
        return max(header_line, 1), 1

    def error(self, message: str, *path: str | int) -> FileError:
        line, col = self.line_of(*path)
        where = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        return FileError(self.path, line, col, f"{where}: {message}" if where else message)

    def check_keys(self, table: dict, allowed: Iterable[str], *path: str | int, what: str = "key") -> None:
        """Every key of `table` (found at `path`) must be in `allowed`; the first that is not is an error
        at its own line."""
        allowed = list(allowed)
        for key in table:
            if key not in allowed:
                raise self.error(unknown_name(key, allowed, what), *path, key)

    def get(self, table: dict, key: str, kind: type | tuple, *path: str | int, default: Any = ...,
            ) -> Any:
        """table[key] checked against `kind`; a missing key without a default is an error."""
        if key not in table:
            if default is ...:
                raise self.error(f"missing key '{key}'", *path[:-1] if path and path[-1] == key else path)
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds).replace("str", "string").replace("float", "number")
            raise self.error(f"expected {names}, got {type(table[key]).__name__} {table[key]!r}", *path)
        return value


def parse_color(doc: TomlDoc, value: Any, *path: str | int) -> tuple[float, float, float]:
    """'#rrggbb' or [r, g, b] in 0..1 (sRGB, as designers pick colours)."""
    if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        return tuple(int(value[i:i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, (int, float)) for v in value):
        if all(0 <= v <= 1 for v in value):
            return tuple(float(v) for v in value)  # type: ignore[return-value]
    raise doc.error(f"expected a colour '#rrggbb' or [r, g, b] in 0..1, got {value!r}", *path)


def srgb_to_linear(c: tuple[float, float, float]) -> tuple[float, float, float]:
    return tuple(v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c)  # type: ignore[return-value]
