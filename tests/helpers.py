"""Helpers shared by the tests: the third-party assets folder and pixel comparisons."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

PROJECT = Path(__file__).resolve().parents[1]
ASSETS = PROJECT.parent / "shared" / "assets"
MODELS = ASSETS / "models"


def asset(relative: str) -> Path:
    path = MODELS / relative
    if not path.exists():
        pytest.skip(f"third-party test asset not present: {path} (see README, 'Tests')")
    return path


def changed_pixels(a: np.ndarray, b: np.ndarray, threshold: int = 24) -> int:
    return int((np.abs(a.astype(int) - b.astype(int)).sum(axis=-1) > threshold).sum())


def assert_file_error(path: Path, text: str, load, message: str, error: type = ValueError):
    """Write `text` to `path`, load it, and expect `error` whose message matches `message` (a regex)."""
    path.write_text(text)
    with pytest.raises(error, match=message) as caught:
        load(path)
    return caught.value


def assert_error_at(path: Path, text: str, load, at: str, message: str) -> None:
    """Write `text` to `path`, load it, and expect exactly `path:line:col: message`, where line and col are
    where `at` first starts in `text`."""
    from runtime.tomlfile import FileError
    before = text[:text.index(at)]
    line, col = before.count("\n") + 1, len(before) - before.rfind("\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FileError) as caught:
        load(path)
    assert str(caught.value) == f"{path}:{line}:{col}: {message}"
