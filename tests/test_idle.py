"""The idle clip file in rigs/clips: hosts never stand in a T-pose, and a broken file says where."""
import numpy as np
import pytest

from runtime.controllers.idle import IDLE_FILE, IdleBank, load_idle_clip
from runtime.skeleton.rigfile import load_rig_info, rest_positions
from runtime.skeleton.skeleton import Skeleton
from runtime.tomlfile import FileError

from helpers import PROJECT, assert_error_at, assert_file_error


@pytest.mark.parametrize("rig", ["mei.glb", "jun.glb"])
def test_idle_hands_hang_by_the_hips(rig):
    sk = Skeleton.canonical(rest_positions(load_rig_info(PROJECT / "rigs" / rig))[0])
    for tick in (0, 500, 1700):
        p = sk.world_positions(IdleBank([9]).pose(tick)[0][0])
        for side in ("left", "right"):
            hand, shoulder = p[sk.index(f"{side}Hand")], p[sk.index(f"{side}UpperArm")]
            assert shoulder[1] - hand[1] > 0.35                        # well below the shoulder
            assert abs(hand[0]) < abs(shoulder[0]) + 0.15              # beside the body, not out to the side


def test_mirrored_rows_are_symmetric():
    """Left and right arms turn by opposite angles about y and z, so the idle pose is symmetric."""
    from runtime.skeleton.pose import BONE_INDEX
    clip = load_idle_clip()
    for bone in ("UpperArm", "LowerArm", "Shoulder", "IndexProximal"):
        left = np.nonzero(clip.bones == BONE_INDEX[f"left{bone}"])[0]
        right = np.nonzero(clip.bones == BONE_INDEX[f"right{bone}"])[0]
        assert len(left) == len(right) > 0
        for i, j in zip(left, right):
            flip = -1.0 if clip.axes[i][0] == 0 else 1.0
            assert clip.offsets[j] == flip * clip.offsets[i]
            assert np.array_equal(clip.amplitudes[j], flip * clip.amplitudes[i])


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('bone = "neck"', 'bone = "tail"'), r"idle\.toml:\d+:1: rotate\[3\]\.bone: unknown bone 'tail'"),
    (lambda t: t.replace('axis = "z"\nwave = { sway = 1.2 }', 'axis = "w"\nwave = { sway = 1.2 }'),
     r"idle\.toml:\d+:1: rotate\[2\]\.axis: axis must be x, y or z, got 'w'"),
    (lambda t: t.replace('wave = { sway = -0.8 }', 'wave = { swing = -0.8 }'),
     r"rotate\[3\]\.wave\.swing: unknown oscillator 'swing'; expected one of breath, sway"),
    (lambda t: t.replace('sway = { period = 11.0 }', 'sway = { period = -1.0 }'),
     r"oscillators\.sway: period must be positive"),
])
def test_broken_idle_file_names_the_line(tmp_path, edit, message):
    assert_file_error(tmp_path / "idle.toml", edit(IDLE_FILE.read_text()), load_idle_clip, message, FileError)


@pytest.mark.parametrize("old, new, at, message", [
    ("head_yaw_fast = 1.5", "head_yw_fast = 1.5", "head_yw_fast",
     "rotate[4].wave.head_yw_fast: unknown oscillator 'head_yw_fast'; did you mean 'head_yaw_fast'?"),
    ('"leftShoulder"\nside', '"leftShoulder"\nsid', "sid =", "rotate[6].sid: unknown key 'sid'; did you mean 'side'?"),
    ("sway = { period = 11.0 }", "sway = { perod = 11.0 }", "perod",
     "oscillators.sway.perod: unknown key 'perod'; did you mean 'period'?"),
    ("sway = { x = 0.012 }", "sway = { q = 0.012 }", "q =", "hips.sway.q: unknown key 'q'; expected one of x, y, z"),
    ("breath = { y = 0.002 }", "breth = { y = 0.002 }", "breth",
     "hips.breth: unknown oscillator 'breth'; did you mean 'breath'?"),
    ("happy = 0.2", "hapy = 0.2", "hapy", "face.hapy: unknown face channel 'hapy'; did you mean 'happy'?"),
    ('[[rotate]]\nbone = "chest"', '[[rotat]]\nbone = "chest"', "[[rotat]]", "rotat: unknown key 'rotat'; did you mean 'rotate'?"),
])
def test_a_typo_in_the_idle_file_names_its_line_and_the_nearest_key(tmp_path, old, new, at, message):
    assert_error_at(tmp_path / "idle.toml", IDLE_FILE.read_text().replace(old, new, 1), load_idle_clip, at, message)
