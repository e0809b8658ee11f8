"""Render jobs: what a batch render makes (one MP4 each), read from scene and show files, folders of them
or a CSV of product pitches, and checked in full before anything renders, so that a mistake in row 40 is
not found after an hour of rendering."""
from __future__ import annotations

import csv
import math
import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..sets.setfile import SetSpec, load_set
from ..show.script import is_show, load_show
from ..show.staging import SayError, schedule
from ..speech.voices import LineCache
from ..tomlfile import FileError, unknown_name

PITCH_COLUMNS = ("name", "text", "host", "scene", "product", "camera", "seconds")
REQUIRED_COLUMNS = ("name", "text")
TAIL_S = 1.0                     # a pitch's video runs this long after its line ends
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Job:
    """One video to render. Paths are absolute so that any worker of a cluster reads the same files."""
    name: str                    # the output's stem, unique in the batch
    scene: str                   # a set or show file
    out: str                     # the MP4 to write
    seconds: float
    says: tuple[str, ...] = ()   # "Host: text" lines (a set file only)
    camera: str | None = None
    product: str | None = None   # whose price card is on screen throughout
    fps: int = 30
    size: tuple[int, int] = (1280, 720)
    shading: str | None = None


@dataclass(frozen=True)
class Rendered:
    """What a worker sends back: the video itself, so the jobs of a cluster land on this machine."""
    video: bytes
    frames: int
    seconds: float               # wall time on the worker
    worker: str                  # host:pid


class JobError(ValueError):
    """Every problem found in a batch's inputs, one `file:line: message` each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class _Reader:
    """Reads inputs into jobs, collecting problems instead of stopping at the first."""
    template: Job                                   # fps, size, seconds, camera and shading for every job
    out_dir: Path
    default_scene: Path
    jobs: list[Job] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sets: dict[Path, SetSpec] = field(default_factory=dict)
    cache: LineCache = field(default_factory=LineCache)

    def add(self, name: str, where: str, **fields) -> None:
        out = self.out_dir / f"{name}.mp4"
        same = next((j for j in self.jobs if j.name == name), None)
        if same is not None:
            self.problems.append(f"{where}: a second job named {name!r} would overwrite {out} "
                                 f"(the first comes from {same.scene})")
            return
        self.jobs.append(replace(self.template, name=name, out=str(out), **fields))

    def scene_file(self, path: Path) -> None:
        try:
            spec = load_show(path).spec if is_show(path) else load_set(path)
        except FileError as e:
            self.problems.append(str(e))
            return
        if self._camera_problem(spec, self.template.camera, str(path)):
            return
        self.add(path.stem, str(path), scene=str(path.resolve()))

    def folder(self, path: Path) -> None:
        scenes = sorted(path.glob("*.toml"))
        if not scenes:
            self.problems.append(f"{path}: no scene or show files (*.toml) in this folder")
        for scene in scenes:
            self.scene_file(scene)

    def pitches(self, path: Path) -> None:
        try:
            self._read_pitches(path)
        except UnicodeDecodeError as e:
            self.problems.append(f"{path}: not UTF-8 text ({e.reason} at byte {e.start}); save it as UTF-8 CSV")
        except csv.Error as e:
            self.problems.append(f"{path}: not a readable CSV: {e}")

    def _read_pitches(self, path: Path) -> None:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            header = [f"{path}:1: {unknown_name(c, PITCH_COLUMNS, 'column')}"
                      for c in columns if c not in PITCH_COLUMNS]
            header += [f"{path}:1: missing column {c!r} (name and text are needed)"
                       for c in REQUIRED_COLUMNS if c not in columns]
            if header:
                self.problems += header
                return
            rows = 0
            for row in reader:
                rows += 1
                self._pitch(path, reader.line_num, {k: (v or "").strip() for k, v in row.items() if k})
            if rows == 0:
                self.problems.append(f"{path}:1: no pitches under the header")

    def _pitch(self, path: Path, line: int, row: dict[str, str]) -> None:
        where = f"{path}:{line}"
        name, text = row["name"], row["text"]
        if not _NAME.match(name):
            self.problems.append(f"{where}: name {name!r} must be a file name (letters, digits, - _ .)")
            return
        if not text:
            self.problems.append(f"{where}: {name} has no text to say")
            return
        scene = Path(row.get("scene") or self.default_scene)
        scene = scene if scene.is_absolute() else (path.parent / scene)
        spec = self._set(scene, where)
        if spec is None:
            return
        hosts = [h.name for h in spec.hosts]
        host = row.get("host") or hosts[0]
        if host not in hosts:
            self.problems.append(f"{where}: no host {host!r} in {scene.name}; hosts: {', '.join(hosts)}")
            return
        product = row.get("product") or None
        if product is not None:
            found = next((p for p in spec.products if product in (p.id, p.name)), None)
            if found is None:
                self.problems.append(f"{where}: no product {product!r} in {scene.name}; products: "
                                     f"{', '.join(p.id for p in spec.products) or 'none'}")
                return
            product = found.id
        camera = row.get("camera") or self.template.camera
        if self._camera_problem(spec, camera, where):
            return
        say = f"{host}: {text}"
        try:
            (line_said,) = schedule(spec, [say], self.cache)[host]
        except SayError as e:
            self.problems.append(f"{where}: {e}")
            return
        seconds = line_said.end_tick / spec.tick_rate + TAIL_S
        if row.get("seconds"):
            try:
                seconds = float(row["seconds"])
            except ValueError:
                seconds = math.nan
            if not seconds > 0:
                self.problems.append(f"{where}: seconds must be a positive number, got {row['seconds']!r}")
                return
        self.add(name, where, scene=str(scene.resolve()), seconds=seconds, says=(say,), camera=camera,
                 product=product)

    def _set(self, scene: Path, where: str) -> SetSpec | None:
        if scene not in self.sets:
            if not scene.is_file():
                self.problems.append(f"{where}: no scene file {scene}")
                return None
            if is_show(scene):
                self.problems.append(f"{where}: {scene.name} is a show script; a pitch needs a set file")
                return None
            try:
                self.sets[scene] = load_set(scene)
            except FileError as e:
                self.problems.append(f"{where}: in its scene: {e}")
                return None
        return self.sets[scene]

    def _camera_problem(self, spec: SetSpec, camera: str | None, where: str) -> bool:
        names = [c.name for c in spec.cameras]
        if camera is not None and camera not in names:
            self.problems.append(f"{where}: no camera {camera!r} in {spec.source.name}; cameras: {', '.join(names)}")
            return True
        return False


def read_jobs(inputs: list[str], out_dir: Path, template: Job, default_scene: Path) -> list[Job]:
    """Jobs from scene/show files, folders of them (every *.toml) and CSVs of pitches; raises JobError with
    every problem found."""
    reader = _Reader(template, out_dir.resolve(), default_scene)
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            reader.folder(path)
        elif not path.is_file():
            reader.problems.append(f"{path}: no such file or folder")
        elif path.suffix.lower() == ".csv":
            reader.pitches(path)
        else:
            reader.scene_file(path)
    if reader.problems:
        raise JobError(reader.problems)
    return reader.jobs


def render_job(job: Job) -> Rendered:
    """Render one job to an MP4 in a temporary folder and hand back its bytes (runs on any worker)."""
    from ..scene.capture import render_scene

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cohost-job-") as tmp:
        video = Path(tmp) / f"{job.name}.mp4"
        report = render_scene(job.scene, list(job.says), job.seconds, video, job.fps, job.size, job.camera,
                              job.shading, job.product)
        return Rendered(video.read_bytes(), report.frames, time.perf_counter() - started,
                        f"{socket.gethostname()}:{os.getpid()}")
