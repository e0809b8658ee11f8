"""Offscreen renders to disk: an MP4 (ffmpeg from imageio-ffmpeg) or a folder of numbered PNGs."""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..sets.setfile import SetSpec
from ..show.staging import on_stage
from ..speech.line import write_mix
from ..usage import check_camera
from .render import OffscreenRenderer, write_png
from .stage import Stage


@dataclass
class RenderReport:
    frames: int
    renderer: str
    first_frame_s: float     # from `started` (command start) to the first frame in hand
    per_frame_s: float


def render_to(spec: SetSpec, out: Path, seconds: float, fps: int, size: tuple[int, int], camera: str | None = None,
              progress: bool = True, started: float | None = None,
              prepare: Callable[[Stage], None] | None = None, audio: Path | None = None) -> RenderReport:
    """Render `seconds` of the set; `prepare(stage)` may swap host drivers before the first frame.
    `audio` (a WAV starting at tick 0) is muxed into an MP4, or copied into a PNG folder."""
    started = time.perf_counter() if started is None else started
    count = max(1, round(seconds * fps))
    video = out.suffix.lower() == ".mp4"
    if video and (size[0] % 2 or size[1] % 2):
        raise ValueError(f"MP4 frames need an even width and height, got {size[0]}x{size[1]}")
    if video:
        out.parent.mkdir(parents=True, exist_ok=True)
    else:
        out.mkdir(parents=True, exist_ok=True)
        if audio:
            shutil.copyfile(audio, out / "audio.wav")
    renderer = OffscreenRenderer(spec, size, camera, fps)
    if prepare is not None:
        prepare(renderer.stage)
    writer = None
    if video:
        import imageio_ffmpeg
        writer = imageio_ffmpeg.write_frames(str(out), size, fps=fps, codec="libx264", pix_fmt_in="rgb24",
                                             quality=8, macro_block_size=2, ffmpeg_log_level="error",
                                             audio_path=str(audio) if audio else None,
                                             audio_codec="aac" if audio else None,
                                             output_params=["-threads", "1"] + (["-shortest"] if audio else []))
        writer.send(None)
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=count, unit="frame", desc=f"render {out.name}", file=sys.stderr, leave=True)
    first = None
    loop_start = time.perf_counter()
    try:
        for i, frame in enumerate(renderer.frames(count)):
            if first is None:
                first = time.perf_counter() - started
            if writer is not None:
                writer.send(frame.tobytes())
            else:
                write_png(out / f"frame_{i:05d}.png", frame)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
        name = renderer.renderer_name
        renderer.close()
    return RenderReport(count, name, first or 0.0, (time.perf_counter() - loop_start) / count)


def render_scene(scene: str | Path, says: list[str], seconds: float, out: Path, fps: int, size: tuple[int, int],
                 camera: str | None = None, shading: str | None = None, product: str | None = None,
                 progress: bool = False, started: float | None = None):
    """A show or a set (with lines to say) rendered to an MP4 with its sound, or a PNG folder; `product`'s
    price card on screen throughout. Returns the renderer's report."""
    spec, lines, bring_to_life = on_stage(scene, says, seconds)
    check_camera(spec, camera)                       # a typo is told before the renderer opens, not a KeyError
    spec.shading = shading or spec.shading
    card = next((p.card for p in spec.products if p.id == product), None)

    def prepare(stage) -> None:
        bring_to_life(stage)
        if card is not None:
            stage.card = lambda: card

    with tempfile.TemporaryDirectory(prefix="cohost-render-") as tmp:
        audio = write_mix(lines, spec.tick_rate, seconds, Path(tmp) / "lines.wav")
        return render_to(spec, out, seconds=seconds, fps=fps, size=size, camera=camera, progress=progress,
                         started=started, prepare=prepare, audio=audio)
