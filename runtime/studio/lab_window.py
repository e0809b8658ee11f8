"""The gesture lab's window: the hosts on their set, the lexicon's gestures listed down the left with the
current one marked, each host's label under it, and a status line (tick, time, each host's phase, speed).
The window's clock runs the set; the lab's playhead says which tick of the takes is shown."""
from __future__ import annotations

from .lab import Lab, play

KEYS = """up/down  gesture     space  play/pause     left/right  a tick (shift: 10)
[ ]  slower/faster     home  start     1/2  camera     Esc  quit"""
LIST_ROWS = 34


def open_lab(lab: Lab, size: tuple[int, int]) -> None:
    from direct.gui.OnscreenText import OnscreenText
    from panda3d.core import TextNode

    from ..scene.window import Window

    window = Window(lab.spec, size, False, False, "front", play(lambda: lab.takes, at=lambda _tick: lab.tick))
    base = window.base
    text = dict(fg=(1, 1, 1, 1), shadow=(0, 0, 0, 0.8), bg=(0, 0, 0, 0.45), mayChange=True)
    listing = OnscreenText(text="", pos=(0.06, -0.08), scale=0.036, align=TextNode.A_left,
                           parent=base.a2dTopLeft, **text)
    status = OnscreenText(text="", pos=(0.06, 0.1), scale=0.04, align=TextNode.A_left, parent=base.a2dBottomLeft, **text)
    OnscreenText(text=KEYS, pos=(-0.06, -0.08), scale=0.032, align=TextNode.A_right, parent=base.a2dTopRight,
                 fg=(0.85, 0.85, 0.85, 1), shadow=(0, 0, 0, 0.8))
    if len(lab.versions) > 1:
        for k, version in enumerate(lab.versions):
            OnscreenText(text=version.label, pos=((k - 0.5) * 0.9, 0.2), scale=0.05, parent=base.a2dBottomCenter,
                         fg=(1, 0.85, 0.4, 1), shadow=(0, 0, 0, 0.8))

    def show_listing() -> None:
        names = lab.names
        k = names.index(lab.name) if lab.name in names else 0
        first = min(max(k - LIST_ROWS // 2, 0), max(len(names) - LIST_ROWS, 0))
        listing.setText("\n".join(("> " if n == lab.name else "   ") + n for n in names[first:first + LIST_ROWS]))

    ticker = window.stage.ticker
    shown = [ticker.world.tick]

    def after(task):                                 # every frame, after the window's ticks
        name = lab.name
        # As many ticks as the window's clock ran this frame: the takes play in real time however fast
        # the machine draws (one tick a frame played them at a sixth of their speed in software GL).
        lab.advance(ticker.world.tick - shown[0])
        shown[0] = ticker.world.tick
        if lab.name != name:
            show_listing()
        status.setText(lab.status())
        return task.cont

    def control(action, *args) -> None:
        action(*args)
        show_listing()

    for key, action, args in (("arrow_up", lab.select, (-1,)), ("arrow_down", lab.select, (1,)),
                              ("space", lab.toggle, ()), ("arrow_left", lab.scrub, (-1,)),
                              ("arrow_right", lab.scrub, (1,)), ("shift-arrow_left", lab.scrub, (-10,)),
                              ("shift-arrow_right", lab.scrub, (10,)), ("[", lab.change_speed, (-1,)),
                              ("]", lab.change_speed, (1,)), ("home", lab.restart, ())):
        for event in (key, f"{key}-repeat") if key.startswith(("arrow", "shift")) else (key,):
            base.accept(event, control, [action, *args])
    base.taskMgr.add(after, "cohost-lab", sort=1)
    show_listing()
    base.run()
