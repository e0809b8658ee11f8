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


def screen_point(camera, x: float, y: float, aspect: float, distance: float = 1.0) -> np.ndarray:
    """The set point `distance` metres in front of a camera (a set file's Camera, vertical fov) seen at
    screen position (x, y), each -1 .. 1 from the centre (+y up): where a host looks to look "at" an
    on-screen graphic."""
    eye, centre = np.array(camera.position, float), np.array(camera.look_at, float)
    forward = (centre - eye) / np.linalg.norm(centre - eye)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    half = np.tan(np.radians(camera.fov) / 2)
    return eye + distance * (forward + x * half * aspect * right + y * half * up)


def one_host_world(skeleton, seed: int, placement=None, camera=(0.0, -3.0, 1.5), config: dict | None = None,
                   name: str = "Mei", rate: int = 60, **stages):
    """One host on its own (at the origin unless `placement`), a camera in front: (world, ticker) with the
    standard stages (`stages`: clips=, mouths=, ... for runtime.world.tick.standard_stages)."""
    from runtime.skeleton.take import placement_matrix
    from runtime.world.tick import Ticker, standard_stages
    from runtime.world.world import Host, World
    placement = placement_matrix((0.0, 0.0, 0.0), 0.0) if placement is None else placement
    world = World([Host(name, skeleton, placement, seed)], rate, np.array(camera, float), config)
    return world, Ticker(world, standard_stages(world, **stages))


def send_body(handler, data: bytes, content_type: str, status: int = 200) -> None:
    """A test HTTP server's reply (http.server handler): status, type, length, body."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)
