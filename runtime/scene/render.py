"""Offscreen rendering of a set: EGL (Mesa) when available, else Panda's software renderer.

Built on Panda's GraphicsEngine directly (no ShowBase, nothing put in builtins). Frames come back as
numpy RGB arrays; `render_to` writes them as numbered PNGs or an MP4 with a progress bar.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import numpy as np
from panda3d.core import Camera as PandaCamera
from panda3d.core import (
    CullBinEnums,
    CullBinManager,
    FrameBufferProperties,
    GraphicsEngine,
    GraphicsOutput,
    GraphicsPipe,
    GraphicsPipeSelection,
    LColor,
    NodePath,
    PerspectiveLens,
    Point2,
    Point3,
    Texture,
    WindowProperties,
    loadPrcFileData,
)

from ..png import png_bytes
from ..sets.setfile import Camera, SetSpec
from ..tomlfile import srgb_to_linear
from .overlay import Overlay
from .lighting import VIEW_CAMERA
from .post import leave_alpha, smooth_edges, spare_from_smoothing
from .stage import Stage, add_backdrop_image, aim_camera

log = logging.getLogger(__name__)
ANTIALIAS = ("fxaa", "msaa", "off")
_configured = False


def configure_panda() -> None:
    """Quiet, deterministic Panda3D settings shared by every Cohost renderer."""
    global _configured
    if _configured:
        return
    loadPrcFileData("cohost", "\n".join([
        "audio-library-name null", "notify-level warning", "notify-level-device fatal",
        "notify-level-egldisplay fatal", "framebuffer-srgb true", "sync-video false",
        "textures-power-2 none",        # a frame's texture is the frame's size, as the edge filter reads it
    ]))
    # Opaque geometry nearest first: software GL tests depth before it shades, so what is hidden behind
    # the hosts and the counter is not lit pixel by pixel only to be covered.
    bins = CullBinManager.get_global_ptr()
    bins.set_bin_type(bins.find_bin("opaque"), CullBinEnums.BT_front_to_back)
    _configured = True


_pipe: GraphicsPipe | None = None
_host: GraphicsOutput | None = None


def _shared_pipe() -> tuple[GraphicsPipe, GraphicsOutput | None]:
    """The pipe, and the small buffer whose GL context every renderer in the process draws in (both kept
    for the process's life). With a context per renderer, a renderer's buffers drawn after another
    renderer's could pick up that one's state: the second of two renderers drew its backdrop image lit, or
    black."""
    global _pipe, _host
    if _pipe is None:
        selection = GraphicsPipeSelection.get_global_ptr()
        _pipe = next((pipe for pipe in map(selection.make_module_pipe, ("p3headlessgl", "p3tinydisplay"))
                      if pipe is not None and pipe.is_valid()), None)
        if _pipe is None:
            raise RuntimeError("no offscreen renderer: neither EGL (p3headlessgl) nor p3tinydisplay could start")
        plain = FrameBufferProperties()
        plain.set_rgba_bits(8, 8, 8, 8)
        _host = GraphicsEngine.get_global_ptr().make_output(_pipe, "cohost-host", -100, plain,
                                                            WindowProperties.size(16, 16), GraphicsPipe.BF_refuse_window)
    return _pipe, _host


class OffscreenRenderer:
    """A set rendered to an offscreen buffer, one frame per call, at a fixed frame rate."""

    def __init__(self, spec: SetSpec, size: tuple[int, int] = (1280, 720), camera: str | None = None,
                 fps: int = 30, antialias: str = "fxaa") -> None:
        """`antialias`: "fxaa" (an edge filter over the frame as it is read back, the default), "msaa" (4x
        multisampling, about twice the frame in software GL) or "off"."""
        if antialias not in ANTIALIAS:
            raise ValueError(f"antialias {antialias!r}: use one of {', '.join(ANTIALIAS)}")
        configure_panda()
        self.spec, self.size, self.fps = spec, size, fps
        self.engine = GraphicsEngine.get_global_ptr()
        self.pipe, self.host = _shared_pipe()
        fb = FrameBufferProperties()
        fb.set_rgb_color(True)
        fb.set_rgba_bits(8, 8, 8, 8)
        fb.set_depth_bits(24)
        fb.set_srgb_color(True)
        fb.set_multisamples(4 if antialias == "msaa" else 0)
        # Multisampling needs a framebuffer object, which Panda makes on a host buffer's GL context; a
        # buffer of its own (an EGL pbuffer) takes the request and draws without it.
        self.buffer = None
        if self.host is not None:
            self.buffer = self.engine.make_output(self.pipe, "cohost-offscreen", 0, fb, WindowProperties.size(*size),
                                                  GraphicsPipe.BF_refuse_window, self.host.get_gsg(), self.host)
        if self.buffer is None:
            fb.set_multisamples(0)
            self.buffer = self.engine.make_output(self.pipe, "cohost-offscreen", 0, fb,
                                                  WindowProperties.size(*size), GraphicsPipe.BF_refuse_window)
        if self.buffer is None:
            raise RuntimeError(f"could not open a {size[0]}x{size[1]} offscreen buffer on {self.pipe.get_type()}")
        # The edge filter's scratch, kept from frame to frame (None: no filter).
        self._luma = np.empty((size[1], size[0]), np.float32) if antialias == "fxaa" else None
        self.texture = Texture("frame")
        self.buffer.add_render_texture(self.texture, GraphicsOutput.RTM_copy_ram)
        self.buffer.set_clear_color(LColor(*srgb_to_linear(spec.backdrop), 1.0))
        self.scene = NodePath("scene")
        leave_alpha(self.scene)         # the frame's alpha says where the overlay covers the set
        self.stage = Stage(spec, self.scene.attach_new_node("set"), self.buffer)
        self.lens = PerspectiveLens()
        self.camera = self.scene.attach_new_node(PandaCamera("camera", self.lens))
        self.camera.node().set_camera_mask(VIEW_CAMERA)
        backdrop = add_backdrop_image(self.buffer, spec)
        if backdrop is not None:
            leave_alpha(backdrop)
        self.stage.overlay = Overlay(self.buffer)
        spare_from_smoothing(self.stage.overlay.layer)    # text stays crisp
        region = self.buffer.make_display_region()
        region.set_camera(self.camera)
        self.set_camera(camera)
        self._frames = 0
        self._shown = 0                # frames whose time the simulation has reached

    @property
    def renderer_name(self) -> str:
        gsg = self.buffer.get_gsg()
        return f"{self.pipe.get_type().get_name()} ({gsg.get_driver_renderer()})"

    def set_camera(self, name: str | None) -> None:
        self.aim(self.spec.camera(name))

    def aim(self, camera: Camera, near: float | None = None) -> None:
        """Look through `camera` (its near plane at `near` metres, when the subject is small or close)."""
        self.camera_spec = camera
        aim_camera(self.camera, self.lens, camera, self.size[0] / self.size[1])
        if near is not None:
            self.lens.set_near_far(near, near * 500)

    def look_at_bounds(self, lo: np.ndarray, hi: np.ndarray, fov: float = 30.0, elevation: float = 20.0) -> None:
        """Aim the camera from the front (-Y), a little above, so that the box lo..hi fills the frame."""
        centre, extent = (lo + hi) / 2, np.maximum(hi - lo, 1e-3)
        radius = 0.55 * float(np.linalg.norm(extent))
        distance = radius / np.sin(np.radians(fov) / 2 * min(1.0, self.size[0] / self.size[1]))
        el = np.radians(elevation)
        self.aim(Camera("auto", tuple(centre + distance * np.array([0, -np.cos(el), np.sin(el)])), tuple(centre), fov),
                 near=distance * 0.02)

    def project(self, lo: np.ndarray, hi: np.ndarray) -> tuple[int, int, int, int]:
        """Pixel box (x0, y0, x1, y1), top-left origin, of a world-space box's corners."""
        pts = []
        for corner in np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).T.reshape(-1, 3):
            p = np.where(corner, hi, lo)
            rel = self.camera.get_relative_point(self.scene, Point3(*p))
            film = Point2()
            if not self.lens.project(rel, film):
                film = Point2(np.clip(film[0], -1, 1), np.clip(film[1], -1, 1))
            pts.append(((film[0] + 1) / 2 * self.size[0], (1 - film[1]) / 2 * self.size[1]))
        a = np.array(pts)
        return int(a[:, 0].min()), int(a[:, 1].min()), int(np.ceil(a[:, 0].max())), int(np.ceil(a[:, 1].max()))

    def advance(self) -> None:
        """Simulate the ticks up to the next frame's time, all of them: frame k shows the last tick at or
        before k / fps seconds, exactly (integer arithmetic; no wall clock and no catch-up cap, so a low
        frame rate never slows the show down against its sound)."""
        self._shown += 1
        self.stage.ticker.run_until(self._shown * self.spec.tick_rate // self.fps)
        self._cut()
        self.stage.show()

    def _cut(self) -> None:
        name = self.stage.camera_due(self.stage.ticker.world.tick)
        if name is not None and name != self.camera_spec.name:
            self.set_camera(name)

    def frame(self) -> np.ndarray:
        """Render the current state; (H, W, 3) uint8 RGB, top row first."""
        self.engine.render_frame()
        if self._frames == 0:          # the first copy to RAM lags one frame behind: prime it
            self.engine.render_frame()
        self._frames += 1
        w, h = self.size
        image = np.frombuffer(memoryview(self.texture.get_ram_image_as("BGRA")), np.uint8)
        bgra = image.reshape(self.texture.get_y_size(), self.texture.get_x_size(), 4)[:h, :w]
        return smooth_edges(bgra, self._luma) if self._luma is not None else bgra[::-1, :, 2::-1].copy()

    def reach(self, i: int) -> None:
        """Bring the stage to frame i's time (frames are reached in order, each once)."""
        if i == 0:                     # tick 0, simulated when the stage was given its ticker
            self.present()
        else:
            self.advance()

    def present(self) -> None:
        """Show the world as its ticker has it now (a ticker stepped by someone else: a live show)."""
        self._cut()
        self.stage.show()

    def frames(self, count: int) -> Iterator[np.ndarray]:
        """`count` frames; frame i shows simulation time i / fps (frame 0 is tick 0)."""
        for i in range(count):
            self.reach(i)
            yield self.frame()

    def set_active(self, active: bool) -> None:
        """Draw (or not) on the engine's next frames: the picture and its shadow map."""
        self.buffer.set_active(active)
        if self.stage.shadow_map is not None:
            self.stage.shadow_map.buffer.set_active(active)

    def close(self) -> None:
        if self.buffer is not None:
            self.stage.close()
            self.engine.remove_window(self.buffer)
            self.buffer = None
            self.scene.remove_node()

    def __enter__(self) -> "OffscreenRenderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 array as PNG (stdlib zlib; deterministic bytes)."""
    Path(path).write_bytes(png_bytes(rgb))
