"""`cohost set SCENE`: the set designer's preview. A window on the set with its hosts idling: keys 1-9 and
c cycle the named cameras, s shows each camera's name with the broadcast safe areas, and the scene file
reloads when it changes on disk (a mistake is printed as file:line:col and the last good set stays).
`--still DIR` renders every named shot to DIR/<camera>.png instead (`--still shot.png`: shot_<camera>.png),
for review without a display.
"""
from __future__ import annotations

from pathlib import Path

from .sets.setfile import SetSpec
from .show.script import set_of
from .tomlfile import FileError
from .usage import check_camera
from .watch import FileWatcher

RELOAD_S = 0.5                 # how often the window looks at the scene file


def render_stills(spec: SetSpec, out: Path, size: tuple[int, int], guides: bool = False) -> list[Path]:
    """Every named camera's view of the set (hosts at rest, tick 0) as a PNG, in the folder `out` or, when
    `out` is a .png path, beside it with the camera's name added; returns the files."""
    from .scene.render import OffscreenRenderer, write_png
    named = out.suffix.lower() == ".png"
    folder = out.parent if named else out
    folder.mkdir(parents=True, exist_ok=True)
    renderer = OffscreenRenderer(spec, size)
    renderer.advance()
    files = []
    for camera in spec.cameras:
        renderer.set_camera(camera.name)
        renderer.stage.overlay.guides(camera.name if guides else None)
        path = folder / (f"{out.stem}_{camera.name}.png" if named else f"{camera.name}.png")
        write_png(path, renderer.frame())
        files.append(path)
    return files


def watch_set(path: Path, report=print) -> FileWatcher:
    return FileWatcher([path], set_of, (FileError, ValueError, OSError), report,
                       lambda spec, paths: f"reloaded {paths[0].name}: {len(spec.cameras)} cameras, "
                                           f"{len(spec.pieces)} pieces, {len(spec.hosts)} hosts",
                       lambda e: f"{e}\n(keeping the last good set)")


def preview(path: Path, size: tuple[int, int], camera: str | None) -> None:
    from panda3d.core import LColor

    from .scene.stage import Stage
    from .scene.window import Window
    from .tomlfile import srgb_to_linear
    watcher = watch_set(path)
    window = Window(watcher.value, size, False, False, camera, None)
    state = {"guides": False, "shown": None, "next": 0.0}

    def toggle() -> None:
        state["guides"] = not state["guides"]

    def reload(spec: SetSpec) -> None:
        overlay = window.stage.overlay
        window.stage.close()
        window.spec, window.names = spec, [c.name for c in spec.cameras]
        window.stage = Stage(spec, window.base.render.attach_new_node("set"), window.base.win)
        window.stage.overlay = overlay
        window.base.win.set_clear_color(LColor(*srgb_to_linear(spec.backdrop), 1.0))
        window.use_camera(window.camera if window.camera in window.names else window.names[0])

    def task(t):
        if t.time >= state["next"]:
            state["next"] = t.time + RELOAD_S
            if watcher.poll():
                reload(watcher.value)
        shown = window.camera if state["guides"] else None
        if shown != state["shown"]:
            window.stage.overlay.guides(shown)
            state["shown"] = shown
        return t.cont

    window.base.accept("s", toggle)
    window.base.taskMgr.add(task, "cohost-set-preview")
    window.base.run()


def cmd_set(args) -> int:
    path = Path(args.scene)
    try:
        spec = set_of(path)
    except (FileError, OSError) as e:
        raise SystemExit(f"cohost set: {e}") from None
    if args.still:
        files = render_stills(spec, Path(args.still), args.size, args.safe)
        print(f"wrote {len(files)} shots to {args.still}: {', '.join(f.name for f in files)}")
        return 0
    check_camera(spec, args.camera)
    preview(path, args.size, args.camera)
    return 0
