"""Quaternion and skeleton maths: properties that must hold for any input."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from runtime.skeleton import quat
from runtime.skeleton.rigfile import load_rig_info, rest_positions
from runtime.skeleton.skeleton import Skeleton

from helpers import PROJECT

finite = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False)
quats = arrays(np.float64, (4,), elements=finite).filter(lambda q: np.linalg.norm(q) > 0.1).map(quat.normalize)


@given(st.lists(quats, min_size=1, max_size=12), st.floats(0, 1))
def test_unit_norm_kept_after_any_chain(qs, t):
    q = qs[0]
    for r in qs[1:]:
        q = quat.multiply(q, r)
        q = quat.slerp(q, r, t)
        q = quat.nlerp(q, quat.conjugate(r), t)
        q = quat.from_matrix(quat.to_matrix(q))
    assert abs(np.linalg.norm(q) - 1) < 1e-9


@given(quats, quats)
def test_slerp_endpoints_and_midpoint(a, b):
    assert quat.angle_between(quat.slerp(a, b, 0.0), a) < 1e-6
    assert quat.angle_between(quat.slerp(a, b, 1.0), b) < 1e-6
    mid = quat.slerp(a, b, 0.5)
    whole = quat.angle_between(a, b)
    assert abs(quat.angle_between(a, mid) - whole / 2) < 1e-6
    assert abs(quat.angle_between(mid, b) - whole / 2) < 1e-6


@given(arrays(np.float64, (3,), elements=st.floats(-1.4, 1.4)), st.sampled_from(["xyz", "zyx", "yxz", "zxy"]))
def test_euler_round_trip(angles, order):
    q = quat.from_euler(angles, order)
    assert quat.angle_between(quat.from_euler(quat.to_euler(q, order), order), q) < 1e-6


@given(quats)
def test_axis_angle_round_trip(q):
    axis, angle = quat.to_axis_angle(q)
    assert quat.angle_between(quat.from_axis_angle(axis, angle), q) < 1e-6


@given(arrays(np.float64, (3,), elements=finite).filter(lambda v: np.linalg.norm(v) > 0.1),
       arrays(np.float64, (3,), elements=finite).filter(lambda v: np.linalg.norm(v) > 0.1))
def test_between_maps_a_onto_b(a, b):
    r = quat.rotate(quat.between(a, b), a)
    assert np.allclose(r / np.linalg.norm(r), b / np.linalg.norm(b), atol=1e-6)


def test_between_opposite_directions():
    r = quat.rotate(quat.between([1.0, 0, 0], [-1.0, 0, 0]), [1.0, 0, 0])
    assert np.allclose(r, [-1, 0, 0])


@pytest.fixture(scope="module")
def mei() -> Skeleton:
    return Skeleton.canonical(rest_positions(load_rig_info(PROJECT / "rigs" / "mei.glb"))[0])


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (3, 55, 4), elements=finite).filter(lambda q: np.all(np.linalg.norm(q, axis=-1) > 0.1)))
def test_local_model_local_round_trip(mei, rotations):
    rotations = quat.normalize(rotations)
    model = mei.local_to_model(rotations)
    back, offsets = mei.model_to_local(model)
    assert np.all(quat.angle_between(back, rotations) < 1e-6)
    assert np.allclose(offsets, mei.offsets, atol=1e-6)


def test_local_to_model_batches_hosts_like_one_at_a_time(mei):
    rng = np.random.default_rng(1)
    rot = quat.normalize(rng.normal(size=(4, 55, 4)))
    batched = mei.local_to_model(rot)
    for h in range(4):
        assert np.allclose(batched[h], mei.local_to_model(rot[h]))


def test_skeleton_rejects_child_before_parent():
    with pytest.raises(ValueError, match="comes before its parent"):
        Skeleton(("a", "b"), np.array([1, -1]), np.zeros((2, 3)))


def test_one_rotation_takes_the_same_arithmetic_as_a_batch():
    """multiply and rotate have a plain-float path for a single quaternion (the IK and hand chains use it
    every tick): it must give the batch's results to the last bit."""
    rng = np.random.default_rng(11)
    a, b, v = rng.normal(size=(500, 4)), rng.normal(size=(500, 4)), rng.normal(size=(500, 3))
    single = np.array([quat.multiply(p, q) for p, q in zip(a, b)])
    turned = np.array([quat.rotate(p, w) for p, w in zip(a, v)])
    assert np.array_equal(single, quat.multiply(a, b)) and np.array_equal(turned, quat.rotate(a, v))
