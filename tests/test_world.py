"""The World and its tick: one ordered list of stages, validated at set-up, the same for every consumer;
poses that hold against the reference recorded before the tick was rebuilt."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.sets.setfile import load_set
from runtime.show.staging import performance, speaking_world
from runtime.skeleton.blend import mask
from runtime.skeleton.rigfile import host_skeleton
from runtime.speech.voices import LineCache
from runtime.world.body import Body
from runtime.world.stages import Speech
from runtime.world.tick import Ticker, describe, standard_stages

from helpers import PROJECT

SHOP = PROJECT / "scenes" / "shop_studio.toml"
ORDER = ["director", "speech", "body", "nods", "attention", "gaze", "blink", "fingers", "holds", "springs", "face"]


def shop_world():
    spec = load_set(SHOP)
    return speaking_world(spec, [host_skeleton(h.rig, h.mapping) for h in spec.hosts], {})


def test_the_tick_is_one_ordered_list_of_stages_that_can_be_printed():
    spec, ticker = performance(PROJECT / "scenes" / "shop_show.toml", [])
    assert [s.name for s in ticker.stages] == ORDER
    listing = describe(ticker.stages).splitlines()
    assert [line.split()[1] for line in listing] == ORDER and listing[2].startswith(" 3. body")
    _, idle = performance(SHOP, [])
    assert [s.name for s in idle.stages] == ORDER[1:]                   # a set without a script: no director


@pytest.mark.parametrize("stage, message", [
    (lambda w: Body(w, clips={5: None}), r"body: clips for hosts \[5\], but the world has 2 hosts"),
    (lambda w: Speech({2: None}), r"speech: live mouths for hosts \[2\], but the world has 2"),
])
def test_a_bad_set_up_fails_when_the_stages_are_validated(stage, message):
    world = shop_world()
    with pytest.raises(ValueError, match=message):
        Ticker(world, [*standard_stages(world), stage(world)])


def test_a_director_for_another_world_is_refused():
    _, ticker = performance(PROJECT / "scenes" / "shop_show.toml", [])
    director = ticker.stages[0]
    other = shop_world()
    with pytest.raises(ValueError, match="director: set up for another world"):
        Ticker(other, standard_stages(other, director))


def test_same_inputs_and_seeds_give_identical_poses():
    cache, says = LineCache(), ["Mei: [wave_hello]Hello everyone!", "Both: Welcome to the shop!"]
    takes = []
    for _ in range(2):
        _, ticker = performance(SHOP, says, cache=cache)
        rotations = []
        for tick in range(0, 400):
            ticker.run_until(tick)
            rotations.append(ticker.world.rotations.copy())
        takes.append(np.array(rotations))
    assert np.array_equal(*takes)


def test_both_hosts_speak_a_both_line_in_time():
    spec, ticker = performance(SHOP, ["Both: Order now!"])
    mei, jun = (ticker.world.lines[h][0] for h in range(2))
    assert mei.start_tick == jun.start_tick and abs(mei.track.ticks - jun.track.ticks) <= 1


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Degrees between rotations, from the chord (accurate for small angles, even from float32)."""
    a, b = a.astype(float), b.astype(float)
    b = np.where(np.sum(a * b, -1, keepdims=True) < 0, -b, b)
    return np.degrees(4 * np.arcsin(np.clip(np.linalg.norm(a - b, axis=-1) / 2, 0.0, 1.0)))


def test_poses_hold_against_the_reference(tmp_path):
    """The default show and the shop dialogue, 40 s each, against tests/data/pose_reference.npz: a change
    to the tick's code must not move a host unless it means to (then the reference is re-recorded with
    tools/pose_reference.py, in a fresh process as here, and the change says why). The bounds leave room for
    another CPU's rounding, not for a change of behaviour: face and hips, every joint outside the arms
    within a twentieth of a degree in the dialogue, the arms wherever they are not blended."""
    out = tmp_path / "poses.npz"
    run = subprocess.run([sys.executable, str(PROJECT / "tools" / "pose_reference.py"), str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    new, ref = np.load(out), np.load(PROJECT / "tests" / "data" / "pose_reference.npz")
    arms = mask("leftArm", "rightArm")[ref["joints"]] > 0
    for take, body_deg, face in (("dialogue", 0.05, 1e-4), ("show", 0.5, 2e-3)):
        angle = _angles(new[f"{take}_rotations"], ref[f"{take}_rotations"])       # (samples, hosts, joints)
        assert np.abs(new[f"{take}_hips"] - ref[f"{take}_hips"]).max() < 1e-9
        assert np.abs(new[f"{take}_face"] - ref[f"{take}_face"]).max() < face, take
        assert angle[:, :, ~arms].max() < body_deg, take
        still = ~new[f"{take}_blended"]
        assert still.mean() > 0.6 and angle[:, :, arms][still].max() < 0.01, take
