"""Clips, BVH import, retargeting, the blender and IK."""
import numpy as np
import pytest

from runtime.skeleton import quat
from runtime.skeleton.blend import Layer, blend, mask
from runtime.skeleton.bvh import BvhError, load_bvh, parse_bvh
from runtime.skeleton.clip import breathing
from runtime.skeleton.gltfclip import load_gltf_clips
from runtime.skeleton.humanoid import BONE_NAMES
from runtime.skeleton.ik import two_bone_ik
from runtime.skeleton.retarget import MAIN_CHILD, retarget
from runtime.skeleton.rigfile import load_rig_info, rest_positions
from runtime.skeleton.skeleton import Skeleton

from helpers import ASSETS, PROJECT, assert_file_error, asset

J = len(BONE_NAMES)


def motion(name: str):
    path = ASSETS / "motion" / name
    if not path.exists():
        pytest.skip(f"third-party motion clip not present: {path}")
    return path


def skeleton_of(path) -> Skeleton:
    return Skeleton.canonical(rest_positions(load_rig_info(path))[0])


@pytest.fixture(scope="module")
def mei() -> Skeleton:
    return skeleton_of(PROJECT / "rigs" / "mei.glb")


@pytest.fixture(scope="module")
def walk():
    return load_bvh(motion("cmu_02_02_daz.bvh"))


# -- clips -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, frames, rate, bones", [
    ("cmu_02_02_daz.bvh", 299, 120, 41), ("cmu_12_03.bvh", 566, 120, 26), ("mh_walk1.bvh", 14, 24, 55),
    ("mh_zombieWalk1.bvh", 31, 24, 55), ("mh_face-poseunits.bvh", 60, 24, 55),
])
def test_every_bvh_imports(name, frames, rate, bones):
    clip = load_bvh(motion(name))
    assert (clip.frames, round(clip.rate), int(clip.animated.sum())) == (frames, rate, bones)
    assert np.allclose(np.linalg.norm(clip.rotations, axis=-1), 1.0)


def test_bvh_walk_moves_forward_and_limbs_swing(walk):
    assert walk.hips[-1, 2] > 100                         # the DAZ walk travels along the host's +Z
    knee = BONE_NAMES.index("leftLowerLeg")
    bend = np.degrees(quat.angle_between(walk.rotations[:, knee], quat.IDENTITY))
    assert bend.max() - bend.min() > 30


@pytest.mark.parametrize("text, message", [
    ("HIERARCHY\nROOT\n", r"bad\.bvh:2: ROOT needs a name"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0\n", r"bad\.bvh:4: OFFSET needs 3 numbers"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 2 Xposition\n", r"bad\.bvh:5: CHANNELS says 2 but lists 1"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 1 Wrotation\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n0\n",
     r"bad\.bvh:5: unknown channel Wrotation"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 1 Xrotation\n}\nMOTION\nFrames: 2\nFrame Time: 0.1\n0\n",
     r"bad\.bvh:10: expected 2 frames, found 1"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 1 Xrotation\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n0 1\n",
     r"bad\.bvh:10: frame 0 has 2 values, expected 1"),
    ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\n", r"bad\.bvh:\d+: unbalanced '\{'"),
])
def test_broken_bvh_names_file_and_line(tmp_path, text, message):
    assert_file_error(tmp_path / "bad.bvh", text, parse_bvh, message, BvhError)


def test_gltf_clip_is_interpolated_where_the_loader_freezes():
    """RiggedFigure's clip has two keys; Cohost's sampler moves between them."""
    clip = load_gltf_clips(load_rig_info(asset("RiggedFigure.glb")))[0]
    start, _ = clip.sample(0.0, loop=False)
    mid, _ = clip.sample(clip.duration / 2, loop=False)
    end, _ = clip.sample(clip.duration, loop=False)
    moving = quat.angle_between(start, end) > np.radians(2)
    assert moving.sum() >= 3
    a, b = quat.angle_between(start, mid)[moving], quat.angle_between(mid, end)[moving]
    assert np.all(a > np.radians(0.5)) and np.all(b > np.radians(0.5))


def test_gltf_walk_moves_every_mapped_joint():
    clip = load_gltf_clips(load_rig_info(asset("CesiumMan.glb")))[0]
    a, _ = clip.sample(0.0)
    b, _ = clip.sample(clip.duration * 0.3)
    assert (np.degrees(quat.angle_between(a, b)) > 1).sum() == 19


def test_sampling_loop_clamp_speed_offset(walk):
    d = walk.duration
    assert np.allclose(walk.sample(d + 0.25)[0], walk.sample(0.25)[0])                  # loops
    assert np.allclose(walk.sample(d + 0.25, loop=False)[0], walk.sample(d, loop=False)[0])   # clamps
    assert np.allclose(walk.sample(0.5, speed=2.0)[0], walk.sample(1.0)[0])
    assert np.allclose(walk.sample(0.5, offset=0.25)[0], walk.sample(0.75)[0])
    batch, _ = walk.sample(np.array([0.1, 0.6]))
    assert np.allclose(batch[1], walk.sample(0.6)[0])


@pytest.mark.parametrize("mode", ["linear", "cubic", "step"])
def test_interpolation_hits_the_samples(walk, mode):
    k = 37
    rot, hips = walk.sample(k / walk.rate, interpolation=mode)
    assert np.all(quat.angle_between(rot, walk.rotations[k]) < 1e-6)
    assert np.allclose(hips, walk.hips[k])


def test_cubic_follows_the_motion_better_than_linear(walk):
    """Keep every 8th frame; cubic interpolation recovers the dropped frames better than linear."""
    from dataclasses import replace
    coarse = replace(walk, rate=walk.rate / 8, rotations=walk.rotations[::8], hips=walk.hips[::8], loop=False)
    t = np.arange(8, (coarse.frames - 2) * 8) / walk.rate
    truth = walk.rotations[8:(coarse.frames - 2) * 8]
    err = {m: quat.angle_between(coarse.sample(t, interpolation=m)[0], truth).mean() for m in ("linear", "cubic")}
    assert err["cubic"] < 0.8 * err["linear"]


def test_breathing_generator(mei):
    clip = breathing(mei, period=4.0)
    chest = BONE_NAMES.index("chest")
    angles = np.degrees(quat.to_axis_angle(clip.rotations[:, chest])[1])
    assert 0.5 < angles.max() < 1.5 and clip.animated[chest]
    assert np.allclose(clip.sample(0.0)[0], clip.sample(4.0)[0])


# -- retargeting -----------------------------------------------------------------------------------------
def _limb_angles(source_clip, source_rot, target, target_rot):
    ps = source_clip.skeleton.world_positions(source_rot)
    pt = target.world_positions(target_rot)
    worst = 0.0
    for b, c in MAIN_CHILD.items():
        i, j = BONE_NAMES.index(b), BONE_NAMES.index(c)
        ds, dt = ps[..., j, :] - ps[..., i, :], pt[..., j, :] - pt[..., i, :]
        ns, nt = np.linalg.norm(ds, axis=-1), np.linalg.norm(dt, axis=-1)
        if ns.min() < 1e-6 or nt.min() < 1e-6:
            continue
        cos = np.sum(ds * dt, -1) / ns / nt
        worst = max(worst, float(np.degrees(np.arccos(np.clip(cos, -1, 1))).max()))
    return worst


@pytest.mark.parametrize("rig", ["mei.glb", "jun.glb", "Godette_vrm_v4.vrm"])
@pytest.mark.parametrize("clip_name", ["cmu_02_02_daz.bvh", "mh_walk1.bvh"])
def test_retargeted_limbs_keep_their_direction(rig, clip_name):
    clip = load_bvh(motion(clip_name))
    target = skeleton_of(PROJECT / "rigs" / rig if rig.endswith(".glb") and "/" not in rig and
                         (PROJECT / "rigs" / rig).exists() else asset(rig))
    out = retarget(clip, target)
    frames = np.linspace(0, clip.frames - 1, 12).astype(int)
    assert _limb_angles(clip, clip.rotations[frames], target, out.rotations[frames]) < 10.0
    assert np.all(np.isfinite(out.rotations))


def test_retargeted_hips_travel_scales_with_leg_length(walk, mei):
    out = retarget(walk, mei)
    ratio = np.linalg.norm(out.hips[-1]) / np.linalg.norm(walk.hips[-1])
    from runtime.skeleton.retarget import leg_length
    assert abs(ratio - leg_length(mei) / leg_length(walk.skeleton)) < 1e-9


# -- blender ----------------------------------------------------------------------------------------------
def test_blender_rejects_bad_layers():
    with pytest.raises(ValueError, match="layer mode must be one of"):
        Layer(np.zeros((J, 4)), mode="multiply")
    with pytest.raises(ValueError, match="one weight per canonical bone"):
        Layer(np.zeros((J, 4)), mask=np.ones(3))
    with pytest.raises(ValueError, match="unknown mask 'tail'"):
        mask("tail")


def test_single_layer_reproduces_its_clip(walk):
    rot, hips = walk.sample(0.7)
    out = blend([Layer(rot, 1.0, hips=hips)])
    assert np.allclose(out.rotations, rot) and np.allclose(out.hips, hips)


def test_masked_layer_changes_nothing_outside_its_mask(walk):
    base, _ = walk.sample(0.2)
    other, _ = walk.sample(1.1)
    m = mask("upperBody")
    out = blend([Layer(base, 1.0), Layer(other, 0.8, mask=m, priority=1)])
    outside = m == 0
    assert np.allclose(out.rotations[outside], base[outside])
    inside = (m == 1) & (quat.angle_between(base, other) > 0.05)
    assert np.all(quat.angle_between(out.rotations[inside], base[inside]) > 0.01)


def test_additive_layer_adds_its_delta(mei):
    nod = np.tile(quat.IDENTITY, (J, 1))
    head = BONE_NAMES.index("head")
    nod[head] = quat.from_axis_angle([1.0, 0, 0], np.radians(10))
    base = np.tile(quat.IDENTITY, (J, 1))
    base[head] = quat.from_axis_angle([0, 1.0, 0], np.radians(30))
    out = blend([Layer(base), Layer(nod, 0.5, mode="additive")])
    expected = quat.multiply(base[head], quat.from_axis_angle([1.0, 0, 0], np.radians(5)))
    assert quat.angle_between(out.rotations[head], expected) < 1e-6


def test_same_priority_is_order_independent(walk):
    poses = [walk.sample(t)[0] for t in (0.1, 0.5, 0.9)]
    layers = [Layer(p, w, mask=mask("leftArm") if i == 2 else None) for i, (p, w) in enumerate(zip(poses, (0.2, 0.5, 0.7)))]
    a = blend(layers).rotations
    b = blend(layers[::-1]).rotations
    c = blend([layers[1], layers[2], layers[0]]).rotations
    assert np.all(quat.angle_between(a, b) < 1e-9) and np.all(quat.angle_between(a, c) < 1e-9)


def test_zero_weight_falls_back_to_rest(walk):
    rot, _ = walk.sample(0.4)
    out = blend([Layer(rot, 0.0)])
    assert np.all(quat.angle_between(out.rotations, quat.IDENTITY) < 1e-9)


def test_blending_many_hosts_at_once(walk):
    times = np.array([0.1, 0.4, 0.8, 1.2])
    rot, hips = walk.sample(times)
    other, _ = walk.sample(times + 0.5)
    w = np.array([0.0, 0.3, 0.6, 1.0])
    out = blend([Layer(rot, 1.0), Layer(other, w, priority=1, mask=mask("rightArm"))])
    for h in range(4):
        single = blend([Layer(rot[h], 1.0), Layer(other[h], w[h], priority=1, mask=mask("rightArm"))])
        assert np.allclose(out.rotations[h], single.rotations)


# -- IK -------------------------------------------------------------------------------------------------
ARM = {"left": ("leftUpperArm", "leftLowerArm", "leftHand"), "right": ("rightUpperArm", "rightLowerArm", "rightHand")}


@pytest.mark.parametrize("rig", ["mei.glb", "jun.glb"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_reachable_targets_are_reached_within_a_millimetre(rig, side):
    sk = skeleton_of(PROJECT / "rigs" / rig)
    s = 1.0 if side == "left" else -1.0
    shoulder = sk.world_positions(sk.rest_pose()[0])[sk.index(ARM[side][0])]
    rng = np.random.default_rng(3)
    directions = rng.normal(size=(40, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    targets = shoulder + directions * rng.uniform(0.15, 0.45, size=(40, 1))
    rot = np.broadcast_to(sk.rest_pose()[0], (40, J, 4))
    pole = np.broadcast_to([s * 0.2, -1.0, -0.5], (40, 3))
    new = two_bone_ik(sk, rot, ARM[side], targets, pole)
    hands = sk.world_positions(new)[:, sk.index(ARM[side][2])]
    assert np.linalg.norm(hands - targets, axis=1).max() < 1e-3


def test_unreachable_target_gives_straight_arm_pointing_at_it(mei):
    rot = mei.rest_pose()[0]
    target = np.array([2.0, 3.0, 1.0])
    new = two_bone_ik(mei, rot, ARM["right"], target, pole=np.array([0, -1.0, 0]))
    p = mei.world_positions(new)
    a, b, c = (p[mei.index(n)] for n in ARM["right"])
    assert np.all(np.isfinite(new))
    assert np.degrees(quat.angle_between(quat.between(b - a, c - b), quat.IDENTITY)) < 0.01   # straight
    cos = (c - a) @ (target - a) / np.linalg.norm(c - a) / np.linalg.norm(target - a)
    assert cos > 1 - 1e-9


def test_elbow_respects_its_limit(mei):
    rot = mei.rest_pose()[0]
    shoulder = mei.world_positions(rot)[mei.index("leftUpperArm")]
    new = two_bone_ik(mei, rot, ARM["left"], shoulder + [0.01, 0, 0.01], pole=np.array([0, -1.0, 0]),
                      flexion_limits=(0.0, np.radians(120)))
    p = mei.world_positions(new)
    a, b, c = (p[mei.index(n)] for n in ARM["left"])
    flexion = np.degrees(np.arccos((b - a) @ (c - b) / np.linalg.norm(b - a) / np.linalg.norm(c - b)))
    assert flexion <= 120 + 1e-6


def test_ik_weight_blends(mei):
    rot = mei.rest_pose()[0]
    target = np.array([0.3, 1.2, 0.35])
    half = two_bone_ik(mei, rot, ARM["left"], target, pole=np.array([0, -1.0, 0]), weight=0.5)
    full = two_bone_ik(mei, rot, ARM["left"], target, pole=np.array([0, -1.0, 0]))
    k = mei.index("leftUpperArm")
    assert abs(quat.angle_between(half[k], rot[k]) - quat.angle_between(full[k], rot[k]) / 2) < 1e-6


def test_gltf_morph_weights_become_face_channels():
    """AnimatedMorphCube animates its morph weights; its mapping file binds morph 0 to the aa viseme."""
    clip = load_gltf_clips(load_rig_info(asset("AnimatedMorphCube/AnimatedMorphCube.gltf")))[0]
    aa = 10
    assert clip.face_animated[aa] and clip.face_animated.sum() == 1
    track = clip.sample_face(np.linspace(0, clip.duration, 50), loop=False)[:, aa]
    assert track.min() < 0.05 and track.max() > 0.95


def test_clip_player_uses_clip_face_and_stage_blinks():
    # Renamed from ..._and_idle_blinks: the idle clip no longer blinks, the blink stage does; a clip player
    # gives the body stage its pose and only the face channels its clip animates.
    from runtime.controllers.motion import ClipPlayer
    from runtime.skeleton.rigfile import host_skeleton
    from runtime.skeleton.take import record

    from helpers import one_host_world
    clip = load_gltf_clips(load_rig_info(asset("AnimatedMorphCube/AnimatedMorphCube.gltf")))[0]
    player = ClipPlayer(clip, 60)
    assert set(player.face(0)) == {10}                    # the clip animates aa only
    _, ticker = one_host_world(host_skeleton(PROJECT / "rigs" / "mei.glb"), 2, clips={0: player})
    faces = record(ticker, 600).morphs[::3, 0]
    assert faces[:, 10].max() > 0.9                       # aa from the clip
    assert faces[:, 15].max() > 0.8                       # blinkLeft from the blink stage


def test_one_host_ik_runs_the_compiled_kernel_with_the_same_rules():
    """A single host's two-bone IK (the gestures' and holds' arms, every tick) runs a numba kernel; it must
    agree with the batched numpy solution it stands for."""
    from runtime.skeleton import quat
    from runtime.skeleton.ik import two_bone_ik
    from runtime.skeleton.rigfile import host_skeleton
    sk = host_skeleton(PROJECT / "rigs" / "mei.glb")
    rng = np.random.default_rng(3)
    chain = ("rightUpperArm", "rightLowerArm", "rightHand")
    for _ in range(50):
        rot = quat.normalize(rng.normal(size=(55, 4)) * 0.2 + [0.0, 0.0, 0.0, 1.0])
        target, pole, w = rng.normal(size=3) * 0.3 + [-0.3, 1.2, 0.3], np.array([-0.6, -1.0, -0.4]), rng.uniform()
        one = two_bone_ik(sk, rot, chain, target, pole, w)
        batch = two_bone_ik(sk, rot[None], chain, target[None], pole[None], np.array([w]))[0]
        assert np.abs(one - batch).max() < 1e-12
