"""`cohost set`: every named shot to PNG (with the safe areas drawn where they belong), and the scene file
reloading with the last good set kept on a mistake."""
import subprocess
import sys

import numpy as np
from panda3d.core import PNMImage

from runtime.set_cmd import watch_set
from runtime.sets.setfile import load_set

from helpers import PROJECT

SHOP = PROJECT / "scenes" / "shop_studio.toml"


def pixels(path):
    img = PNMImage()
    assert img.read(str(path))
    return np.array([[img.get_xel(x, y) for x in range(img.get_x_size())] for y in range(img.get_y_size())])


def test_every_named_shot_is_rendered_with_its_safe_areas(tmp_path):
    for still, extra in (("plain", []), ("safe/shot.png", ["--safe"])):       # a folder, or a name to add to
        out = subprocess.run([sys.executable, "-m", "runtime", "set", str(SHOP), "--still", str(tmp_path / still),
                              "--size", "320x180", *extra], cwd=PROJECT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
    names = [c.name for c in load_set(SHOP).cameras]
    shots = {n: pixels(tmp_path / "plain" / f"{n}.png") for n in names}
    assert len(shots) == 6
    for a in names:                                               # six different views
        for b in names:
            if a < b:
                assert np.abs(shots[a] - shots[b]).mean() > 0.03, (a, b)
    assert sorted(p.name for p in (tmp_path / "safe").iterdir()) == sorted(f"shot_{n}.png" for n in names)
    safe = pixels(tmp_path / "safe" / "shot_wide.png")
    x = round((1 - 0.93) / 2 * 320)                               # the action-safe frame's left edge
    column = safe[40:140, x - 1:x + 2]
    green = (column[..., 1] - column[..., 0] > 0.3).any(axis=1)
    assert green.mean() > 0.9                                     # a green line down the whole edge
    assert np.abs(safe[60:120, 100:220] - shots["wide"][60:120, 100:220]).mean() < 0.01   # the set untouched


def test_the_set_reloads_and_a_mistake_keeps_the_last_good_one(tmp_path):
    path = tmp_path / "studio.toml"
    text = SHOP.read_text().replace("rigs/", str(PROJECT / "rigs") + "/")
    path.write_text(text)
    said = []
    watcher = watch_set(path, said.append)
    assert not watcher.poll()
    path.write_text(text.replace('fov = 34', 'fov = "wide"'))
    assert not watcher.poll() and watcher.value.camera("medium").fov == 34
    assert "studio.toml:" in said[-1] and "keeping the last good set" in said[-1]
    path.write_text(text.replace('fov = 34', 'fov = 40'))
    assert watcher.poll() and watcher.value.camera("medium").fov == 40 and said[-1].startswith("reloaded studio.toml")
