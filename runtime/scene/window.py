"""`cohost run`: the set in a window for streamers to capture, hosts idling at the fixed tick.

ShowBase is used here only, for its window and keyboard handling; the simulation is the same Stage
the offscreen renderer drives, advanced by the FixedClock from measured frame times.
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Callable

from panda3d.core import LColor, loadPrcFileData

from ..sets.setfile import SetSpec
from ..tomlfile import srgb_to_linear
from .lighting import VIEW_CAMERA
from .overlay import Overlay
from .render import configure_panda
from .sound import audio_library
from .stage import Stage, add_backdrop_image, aim_camera


class Window:
    """The set on screen: the stage advanced by the FixedClock from measured frame times, keys 1-9 / c for
    cameras, a show's cuts followed. `prepare(stage)` brings the hosts to life; when it returns a
    director, lines sound as they start and a rig swapped mid-show is reloaded."""

    def __init__(self, spec: SetSpec, size: tuple[int, int], borderless: bool, debug: bool, camera: str | None,
                 prepare: Callable[[Stage], object] | None = None, lines: dict | None = None) -> None:
        configure_panda()
        loadPrcFileData("cohost-window", f"win-size {size[0]} {size[1]}\nwindow-title Cohost - {spec.name}\n"
                                         f"undecorated {int(borderless)}\nframebuffer-multisample 1\nmultisamples 4\n"
                                         f"audio-library-name {audio_library()}")
        from direct.showbase.ShowBase import ShowBase

        try:
            self.base = base = ShowBase(windowType="onscreen")
        except Exception as e:  # no display: say what to do instead
            raise SystemExit(f"cohost: cannot open a window ({e}). On a machine without a display use "
                             f"'cohost render SCENE --out show.mp4' or 'cohost serve --headless'.") from None
        base.disableMouse()
        base.cam.node().set_camera_mask(VIEW_CAMERA)
        base.win.set_clear_color(LColor(*srgb_to_linear(spec.backdrop), 1.0))
        add_backdrop_image(base.win, spec)
        self.spec = spec
        self.stage = Stage(spec, base.render.attach_new_node("set"), base.win)
        self.stage.overlay = Overlay(base.win)
        self.names = [c.name for c in spec.cameras]
        self.camera = camera or self.names[0]
        self.overlay = None
        if debug:
            from direct.gui.OnscreenText import OnscreenText
            self.overlay = OnscreenText(text="", pos=(-1.3, 0.92), scale=0.045, align=0, fg=(1, 1, 1, 1),
                                        parent=base.aspect2d)
        self.use_camera(self.camera)
        for i, name in enumerate(self.names[:9]):
            base.accept(str(i + 1), self.use_camera, [name])
        base.accept("c", lambda: self.use_camera(self.names[(self.names.index(self.camera) + 1) % len(self.names)]))
        base.accept("escape", base.userExit)
        base.accept("window-event", lambda win: self.use_camera(self.camera) if win.is_valid() else None)
        self._files = tempfile.TemporaryDirectory(prefix="cohost-lines-")     # removed when the window goes
        self._folder = Path(self._files.name)
        self._sounds = _line_sounds(base, lines or {}, self._folder)
        self._playing: dict[str, object] = {}
        director = prepare(self.stage) if prepare is not None else None
        if director is not None:
            director.listeners.append(self._on_event)
        base.taskMgr.add(self._tick_task, "cohost-tick")

    def use_camera(self, name: str) -> None:
        self.camera = name
        props = self.base.win.get_properties()
        aim_camera(self.base.camera, self.base.camLens, self.spec.camera(name),
                   props.get_x_size() / max(1, props.get_y_size()))

    def _on_event(self, event: dict) -> None:
        """A director's line starts (its sound plays), is cut (the sound stops), a rig is swapped."""
        kind = event["event"]
        if kind == "line":
            path = self._folder / f"{event['host']}-{event['tick']}.wav"
            event["_line"].utterance.write_wav(path)
            sound = self.base.loader.loadSfx(str(path))
            path.unlink()
            sound.play()
            self._playing[event["host"]] = sound
        elif kind == "cut" and event["host"] in self._playing:
            self._playing.pop(event["host"]).stop()
        elif kind == "rig":
            h = [p.name for p in self.spec.hosts].index(event["host"])
            self.stage.replace_host(h, event["_place"])

    def _tick_task(self, task):
        from direct.showbase.ShowBaseGlobal import globalClock
        stage = self.stage
        previous = stage.poses()
        first = stage.ticker.world.tick + 1
        step = stage.ticker.advance(globalClock.get_dt())
        clock = stage.ticker.clock
        for tick, sound in self._sounds:
            if first <= tick <= clock.tick:
                sound.play()
        cut = stage.camera_due(clock.tick)
        if cut is not None and cut != self.camera:
            self.use_camera(cut)
        stage.show(previous if step.ticks == 1 and len(previous) == len(stage.hosts) else None, step.alpha)
        if self.overlay is not None:
            stage.draw_skeletons()
            self.overlay.setText(f"tick {clock.tick}  t={clock.time:7.2f}s  camera {self.camera}  "
                                 f"fps {globalClock.get_average_frame_rate():4.1f}  dropped {clock.skipped_total_s:.2f}s")
        return task.cont


def run_window(spec: SetSpec, size: tuple[int, int], borderless: bool, debug: bool, camera: str | None,
               prepare: Callable[[Stage], object] | None = None, lines: dict | None = None) -> None:
    Window(spec, size, borderless, debug, camera, prepare, lines).base.run()


def _line_sounds(base, lines: dict, folder: Path) -> list:
    """(start tick, Panda3D sound) for every line given up front; each plays on the tick its line starts."""
    sounds = []
    for host, host_lines in lines.items():
        for k, line in enumerate(host_lines):
            path = folder / f"{host}-{k}.wav"
            line.utterance.write_wav(path)
            sounds.append((line.start_tick, base.loader.loadSfx(str(path))))
    return sounds
