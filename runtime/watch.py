"""Files that reload while a tool runs: the newest version that loads, the last good one kept (and the
mistake reported) when an edit does not."""
from __future__ import annotations

from pathlib import Path
from typing import Callable


class FileWatcher:
    def __init__(self, paths: list[Path], load: Callable, errors: type[Exception] | tuple[type[Exception], ...],
                 report: Callable[[str], None], loaded: Callable[[object, list[Path]], str],
                 kept: Callable[[Exception], str]) -> None:
        self.paths, self.load, self.errors = [Path(p) for p in paths], load, errors
        self.report, self.loaded, self.kept = report, loaded, kept
        self.value = load(*self.paths)                 # the first load must succeed
        self._stamps = self._stat()

    def _stat(self) -> list[tuple[int, int]]:
        out = []
        for p in self.paths:
            try:
                st = p.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((0, 0))
        return out

    def poll(self) -> bool:
        """True when the files changed and loaded: `value` is the new version."""
        stamps = self._stat()
        if stamps == self._stamps:
            return False
        self._stamps = stamps
        try:
            self.value = self.load(*self.paths)
        except self.errors as e:
            self.report(self.kept(e))
            return False
        self.report(self.loaded(self.value, self.paths))
        return True
