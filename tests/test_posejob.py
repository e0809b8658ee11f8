"""The compiled pose job gives the numpy reference's poses, for any number of hosts."""
import numpy as np
import pytest

from runtime.skeleton import quat
from runtime.skeleton.blend import Layer, blend, mask
from runtime.skeleton.bvh import load_bvh
from runtime.skeleton.clip import breathing
from runtime.skeleton.ik import two_bone_ik
from runtime.skeleton.posejob import ChainSpec, LayerSpec, PoseJob
from runtime.skeleton.retarget import retarget
from runtime.skeleton.rigfile import load_rig_info, rest_positions
from runtime.skeleton.skeleton import Skeleton

from helpers import ASSETS, PROJECT

ARMS = [ChainSpec((f"{s}UpperArm", f"{s}LowerArm", f"{s}Hand")) for s in ("left", "right")]


@pytest.fixture(scope="module")
def setup():
    skeleton = Skeleton.canonical(rest_positions(load_rig_info(PROJECT / "rigs" / "jun.glb"))[0])
    paths = [ASSETS / "motion" / n for n in ("mh_walk1.bvh", "mh_zombieWalk1.bvh")]
    if not all(p.exists() for p in paths):
        pytest.skip("third-party motion clips not present")
    clips = [retarget(load_bvh(p), skeleton) for p in paths]
    clips.append(breathing(skeleton))
    clips = [c if c.rate == 24 else _resample(c, 24) for c in clips]
    return skeleton, clips


def _resample(clip, rate):
    from dataclasses import replace
    t = np.arange(0, int(clip.duration * rate) + 1) / rate
    rot, hips = clip.sample(t, loop=False)
    return replace(clip, rate=rate, rotations=rot, hips=hips)


def test_invalid_jobs_are_refused(setup):
    skeleton, clips = setup
    with pytest.raises(ValueError, match="at least one layer"):
        PoseJob(skeleton, clips, [], [], 1)
    with pytest.raises(ValueError, match="layer 0 names clip 7; the job has 3 clips"):
        PoseJob(skeleton, clips, [LayerSpec(7)], [], 1)
    with pytest.raises(ValueError, match="not a parent-child chain"):
        PoseJob(skeleton, clips, [LayerSpec(0)], [ChainSpec(("leftUpperArm", "leftHand", "leftLowerArm"))], 1)
    with pytest.raises(ValueError, match="share a sample rate"):
        PoseJob(skeleton, [clips[0], _resample(clips[1], 30)], [LayerSpec(0)], [], 1)


@pytest.mark.parametrize("hosts", [1, 5])
def test_job_matches_the_numpy_reference(setup, hosts):
    skeleton, clips = setup
    upper = mask("upperBody")
    specs = [LayerSpec(0), LayerSpec(1, speed=1.3, offset=0.2), LayerSpec(0, mask=upper, priority=1, offset=0.5),
             LayerSpec(2, mode="additive")]
    job = PoseJob(skeleton, clips, specs, ARMS, hosts)
    rng = np.random.default_rng(7)
    times = rng.uniform(0, 3, hosts)
    weights = rng.uniform(0.1, 1.0, (hosts, len(specs)))
    p = skeleton.world_positions(skeleton.rest_pose()[0])
    targets = np.stack([p[skeleton.index(f"{s}UpperArm")] + rng.normal(0, 0.2, (hosts, 3)) for s in ("left", "right")], 1)
    poles = np.broadcast_to([0.0, -1.0, -0.5], (hosts, 2, 3)).copy()
    ik_w = rng.uniform(0.3, 1.0, (hosts, 2))
    model = job.run(times, weights, targets, poles, ik_w)

    samples = [clips[s.clip].sample(times * s.speed + s.offset) for s in specs]
    layers = [Layer(r, weights[:, i], mask=s.mask, mode=s.mode, priority=s.priority, hips=h)
              for i, (s, (r, h)) in enumerate(zip(specs, samples))]
    ref = blend(layers)
    rot = ref.rotations
    for c, chain in enumerate(ARMS):
        rot = two_bone_ik(skeleton, rot, chain.joints, targets[:, c], poles[:, c], ik_w[:, c])
    trans = np.broadcast_to(skeleton.offsets, (hosts,) + skeleton.offsets.shape).copy()
    trans[:, 0] += ref.hips
    assert np.all(quat.angle_between(job.rotations, rot) < 1e-9)
    assert np.allclose(job.hips, ref.hips, atol=1e-12)
    assert np.allclose(model, skeleton.local_to_model(rot, trans), atol=1e-9)
