"""Mocap on hosts, recorded takes, and poses from IK seen in rendered frames."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.controllers.idle import IdleBank
from runtime.scene.render import OffscreenRenderer
from runtime.sets.setfile import single_host_set
from runtime.skeleton.face import FACE_CHANNELS
from runtime.skeleton import quat
from runtime.skeleton.bvh import load_bvh
from runtime.skeleton.humanoid import BONE_NAMES
from runtime.skeleton.ik import two_bone_ik
from runtime.skeleton.pose import Pose
from runtime.skeleton.retarget import MAIN_CHILD, retarget
from runtime.skeleton.rigfile import host_skeleton
from runtime.skeleton.take import placement_matrix, record, save_bvh

from helpers import ASSETS, PROJECT, asset, one_host_world


def motion(name: str):
    path = ASSETS / "motion" / name
    if not path.exists():
        pytest.skip(f"third-party motion clip not present: {path}")
    return path


def cohost(*args):
    return subprocess.run([sys.executable, "-m", "runtime", *args], cwd=PROJECT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("rig", ["jun.glb", "Godette_vrm_v4.vrm"])
def test_retargeted_walk_on_the_rendered_rig(rig):
    """End to end: BVH -> canonical -> rig -> Panda3D joints. Limb directions read back from the loaded
    character stay within 10 degrees of the source's."""
    path = PROJECT / "rigs" / rig if rig == "jun.glb" else asset(rig)
    clip = load_bvh(motion("mh_walk1.bvh"))
    moved = retarget(clip, host_skeleton(path))
    source = clip.skeleton.world_positions(clip.rotations)
    with OffscreenRenderer(single_host_set(path), (64, 64)) as renderer:
        character = renderer.stage.hosts[0].character
        frame = character.frame.T
        worst = 0.0
        for f in range(0, clip.frames, 3):
            character.apply(Pose(moved.rotations[f], np.zeros(3), np.zeros(len(FACE_CHANNELS))))
            pos = character.bone_positions()
            for b, c in MAIN_CHILD.items():
                if b not in pos or c not in pos or "Thumb" in b or "Index" in b or "Little" in b or "Ring" in b \
                        or "Middle" in b:
                    continue
                i, j = BONE_NAMES.index(b), BONE_NAMES.index(c)
                ds = source[f, j] - source[f, i]
                dt = frame @ (pos[c] - pos[b])
                if np.linalg.norm(ds) < 1e-6 or np.linalg.norm(dt) < 1e-6:
                    continue
                worst = max(worst, np.degrees(np.arccos(np.clip(ds @ dt / np.linalg.norm(ds) / np.linalg.norm(dt), -1, 1))))
    assert worst < 10.0


def test_arm_raised_by_ik_shows_above_the_head():
    rig = PROJECT / "rigs" / "mei.glb"
    sk = host_skeleton(rig)
    rest = sk.rest_pose()[0]
    p = sk.world_positions(rest)
    head_top = p[sk.index("head")] + [0, 0.2, 0]
    target = p[sk.index("rightUpperArm")] + [-0.1, 0.45, 0.05]
    arms_down = IdleBank([1]).pose(0)[0][0]
    raised = two_bone_ik(sk, arms_down, ("rightUpperArm", "rightLowerArm", "rightHand"), target,
                         pole=np.array([-1.0, 0.0, -0.5]))
    assert np.linalg.norm(sk.world_positions(raised)[sk.index("rightHand")] - target) < 1e-3
    frames = []
    with OffscreenRenderer(single_host_set(rig), (320, 320)) as renderer:
        host = renderer.stage.hosts[0]
        renderer.look_at_bounds(np.array([-0.6, -0.3, 0.9]), np.array([0.6, 0.3, 2.1]), elevation=0)
        top_world = renderer.scene.get_relative_point(host.character.root, tuple(host.character.frame @ head_top))
        _, head_row, _, _ = renderer.project(np.array(top_world), np.array(top_world))
        for rotations in (arms_down, raised):
            host.character.apply(Pose(rotations, np.zeros(3), np.zeros(len(FACE_CHANNELS))))
            frames.append(renderer.frame().astype(int))
    background = frames[0][0, 0]
    above = lambda f: (np.abs(f[:head_row] - background).sum(-1) > 30).sum()  # noqa: E731
    assert above(frames[0]) < 20 and above(frames[1]) > 150


def test_take_arrays_and_bvh_round_trip(tmp_path):
    rig = PROJECT / "rigs" / "jun.glb"
    sk = host_skeleton(rig)
    _, ticker = one_host_world(sk, 4, placement_matrix((0.5, 0.0, 0.0), 10.0), name="Jun")
    take = record(ticker, 90)
    world = take.world()
    assert world.shape == (90, 1, 55, 4, 4)
    # World matrices put the head above the hips, in set coordinates (+Z up) at the host's mark.
    hips, head = world[0, 0, sk.index("hips"), :3, 3], world[0, 0, sk.index("head"), :3, 3]
    assert head[2] > hips[2] + 0.4 and abs(hips[0] - 0.5) < 0.05
    save_bvh(take, tmp_path / "t.bvh")
    back = load_bvh(tmp_path / "t.bvh")
    assert back.frames == 90 and abs(back.rate - 60) < 1e-3
    assert np.degrees(quat.angle_between(back.rotations, take.rotations[:, 0])).max() < 1e-3


def test_record_command_writes_documented_keys(tmp_path):
    out = cohost("record", "scenes/shop_studio.toml", "--seconds", "0.5", "--out", str(tmp_path / "take.npz"))
    assert out.returncode == 0, out.stderr
    data = np.load(tmp_path / "take.npz")
    assert set(data.files) == {"rate", "ticks", "hosts", "bones", "parents", "rotations", "hips", "world",
                               "morph_names", "morphs", "speaking"}
    assert list(data["hosts"]) == ["Mei", "Jun"] and data["rotations"].shape == (30, 2, 55, 4)
    assert int(data["rate"]) == 60 and data["morph_names"][15] == "blinkLeft"


def test_record_refuses_other_formats(tmp_path):
    out = cohost("record", "scenes/shop_studio.toml", "--out", str(tmp_path / "take.csv"))
    assert out.returncode == 2 and "cannot write" in out.stderr and "use PATH.npz (arrays) or PATH.bvh" in out.stderr


def test_motion_command_renders_a_retargeted_clip(tmp_path):
    out = cohost("motion", str(motion("mh_walk1.bvh")), "--host", "rigs/jun.glb", "--out", str(tmp_path / "m"),
                 "--fps", "6", "--size", "160x120", "--quiet")
    assert out.returncode == 0, out.stderr
    frames = sorted((tmp_path / "m").glob("*.png"))
    assert len(frames) == 3                               # 13 frame steps at 24 fps = 0.54 s at 6 fps
    assert "retargeted onto jun.glb" in out.stdout


def test_motion_command_plays_gltf_animations(tmp_path):
    out = cohost("motion", str(asset("CesiumMan.glb")), "--host", "rigs/mei.glb", "--out", str(tmp_path / "m"),
                 "--fps", "2", "--size", "160x120", "--quiet")
    assert out.returncode == 0, out.stderr
    out = cohost("motion", str(asset("Fox.glb")), "--name", "Gallop", "--out", str(tmp_path / "n"))
    assert out.returncode == 2 and "no animation named 'Gallop'; it has Survey, Walk, Run" in out.stderr
