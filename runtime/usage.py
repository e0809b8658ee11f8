"""Checks of what a user typed on the `cohost` command line, shared by the commands: output paths, camera
names, host names. Each fails with a message that says what is accepted, so `cli.main` can print it as
`cohost COMMAND: message` (exit 2) or argparse as a usage error (also exit 2), never as a traceback."""
from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path
from typing import Callable

from .sets.setfile import PROJECT, SetSpec
from .tomlfile import closest

RIGS = PROJECT / "rigs"


class UsageError(ValueError):
    """Something on the command line that cannot be done: printed without a traceback, exit 2."""


def did_you_mean(word: str, choices: list[str]) -> str:
    """'; did you mean 'x'?' when a choice is close to `word` (in any case), else ''."""
    near = closest(word, choices)
    return f"; did you mean {near!r}?" if near else ""


def check_camera(spec: SetSpec, camera: str | None) -> None:
    """A named camera must be one of the set's (checked before a window or a renderer opens)."""
    names = [c.name for c in spec.cameras]
    if camera is not None and camera not in names:
        raise UsageError(f"{spec.source} has no camera {camera!r}; its cameras: {', '.join(names)}"
                         + did_you_mean(camera, names))


def is_folder(path: str) -> bool:
    """An output path meant as a folder: it is one already, ends in a slash, or has no suffix."""
    return path.endswith(("/", os.sep)) or Path(path).is_dir() or not Path(path).suffix


def out_path(kinds: dict[str, str], folder: str | None = None) -> Callable[[str], str]:
    """An argparse type for an output path: one ending in a suffix of `kinds` (suffix -> what it holds), or,
    when `folder` says what goes in one, a folder. `--out x.avi` is refused up front instead of becoming
    a folder named x.avi."""
    accepted = [f"PATH{suffix} ({what})" for suffix, what in kinds.items()]
    accepted += [f"a folder ({folder}; no suffix, or ending in /)"] if folder else []

    def check(path: str) -> str:
        suffix, as_folder = Path(path).suffix.lower(), is_folder(path)
        # 'x.mp4/' is neither: the writers go by the suffix, so it would not become the folder asked for.
        if (suffix in kinds and not as_folder) or (folder and as_folder and suffix not in kinds):
            return path
        raise argparse.ArgumentTypeError(f"cannot write {path!r}: use {' or '.join(accepted)}")
    return check


def built_in_hosts() -> dict[str, Path]:
    """The built-in hosts' names -> their rigs: rigs/NAME.toml describes rigs/NAME.glb."""
    hosts = {}
    for spec in sorted(RIGS.glob("*.toml")):
        try:
            name = tomllib.loads(spec.read_text(encoding="utf-8")).get("host", {}).get("name")
        except (OSError, tomllib.TOMLDecodeError):
            continue                        # a broken description is `cohost build-host`'s to report
        if name and spec.with_suffix(".glb").exists():
            hosts[name] = spec.with_suffix(".glb")
    return hosts


def host_rig(text: str) -> Path:
    """An argparse type for --host: a rig file, or a built-in host's name in any case (Mei -> rigs/mei.glb)."""
    path = Path(text)
    if path.suffix or path.exists() or os.sep in text:
        return path                         # a path: a missing or broken file is the rig loader's to report
    hosts = built_in_hosts()
    by_lower = {name.lower(): rig for name, rig in hosts.items()}
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    raise argparse.ArgumentTypeError(f"no host {text!r}: give a rig file (.glb, .gltf, .vrm) or a built-in host: "
                                     f"{', '.join(sorted(hosts))}" + did_you_mean(text, sorted(hosts)))


def words(value: str) -> str:
    """An argparse type for words to say: not empty, not only spaces."""
    if not value.strip():
        raise argparse.ArgumentTypeError("the text is empty: give the words to say")
    return value
