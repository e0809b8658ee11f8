"""`cohost run`: the set in a window for streamers to capture, hosts idling at the fixed tick.

ShowBase is used here only, for its window and keyboard handling; the simulation is the same Stage
the offscreen renderer drives, advanced by the FixedClock from measured frame times.
"""
from __future__ import annotations

from typing import Callable

from panda3d.core import LColor, loadPrcFileData

from ..clock import FixedClock
from ..tomlfile import srgb_to_linear
from .render import configure_panda
from .setfile import SetSpec
from .stage import Stage, add_backdrop_image, aim_camera


def run_window(spec: SetSpec, size: tuple[int, int], borderless: bool, debug: bool, camera: str | None,
               prepare: Callable[[Stage], None] | None = None, lines: dict | None = None) -> None:
    configure_panda()
    loadPrcFileData("cohost-window", f"win-size {size[0]} {size[1]}\nwindow-title Cohost - {spec.name}\n"
                                     f"undecorated {int(borderless)}\nframebuffer-multisample 1\nmultisamples 4\n"
                                     "audio-library-name p3openal_audio")
    from direct.showbase.ShowBase import ShowBase

    try:
        base = ShowBase(windowType="onscreen")
    except Exception as e:  # no display: say what to do instead
        raise SystemExit(f"cohost run: cannot open a window ({e}). On a machine without a display use "
                         f"'cohost render SCENE --out show.mp4'.") from None
    base.disableMouse()
    base.win.set_clear_color(LColor(*srgb_to_linear(spec.backdrop), 1.0))
    add_backdrop_image(base.win, spec)
    stage = Stage(spec, base.render.attach_new_node("set"))
    if prepare is not None:
        prepare(stage)
    clock = FixedClock(spec.tick_rate)
    names = [c.name for c in spec.cameras]
    state = {"camera": camera or names[0]}
    overlay = None
    if debug:
        from direct.gui.OnscreenText import OnscreenText
        overlay = OnscreenText(text="", pos=(-1.3, 0.92), scale=0.045, align=0, fg=(1, 1, 1, 1),
                               parent=base.aspect2d)

    def use_camera(name: str) -> None:
        state["camera"] = name
        props = base.win.get_properties()
        aim_camera(base.camera, base.camLens, spec.camera(name), props.get_x_size() / max(1, props.get_y_size()))

    def cycle() -> None:
        use_camera(names[(names.index(state["camera"]) + 1) % len(names)])

    use_camera(state["camera"])
    for i, name in enumerate(names[:9]):
        base.accept(str(i + 1), use_camera, [name])
    base.accept("c", cycle)
    base.accept("escape", base.userExit)
    base.accept("window-event", lambda win: use_camera(state["camera"]) if win.is_valid() else None)

    def tick_task(task):
        from direct.showbase.ShowBaseGlobal import globalClock
        previous = [h.pose for h in stage.hosts]
        step = clock.advance(globalClock.get_dt())
        start_sounds(clock.tick - step.ticks + 1, clock.tick)
        stage.run_ticks(clock.tick, step.ticks)
        cut = stage.camera_due(clock.tick - step.ticks + 1, clock.tick)
        if cut is not None and cut != state["camera"]:
            use_camera(cut)
        stage.show(previous if step.ticks == 1 else None, step.alpha)
        if overlay is not None:
            stage.draw_skeletons()
            overlay.setText(f"tick {clock.tick}  t={clock.time:7.2f}s  camera {state['camera']}  "
                            f"fps {globalClock.get_average_frame_rate():4.1f}  dropped {clock.skipped_total_s:.2f}s")
        return task.cont

    sounds = _line_sounds(base, lines or {})

    def start_sounds(first: int, last: int) -> None:
        for tick, sound in sounds:
            if first <= tick <= last:
                sound.play()

    base.taskMgr.add(tick_task, "cohost-tick")
    base.run()


def _line_sounds(base, lines: dict) -> list:
    """(start tick, Panda3D sound) for every line; each plays on the tick its line starts."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="cohost-lines-"))
    sounds = []
    for host, host_lines in lines.items():
        for k, line in enumerate(host_lines):
            path = folder / f"{host}-{k}.wav"
            line.utterance.write_wav(path)
            sounds.append((line.start_tick, base.loader.loadSfx(str(path))))
    return sounds
