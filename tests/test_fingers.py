"""Fingers: shapes and transitions inside human joint limits, a staggered change, and grasps that rest
each fingertip on a prop's surface, measured from joint rotations and positions."""
import numpy as np
import pytest

from runtime.controllers.fingers import (
    HAND_JOINTS,
    LIMITS,
    Fingers,
    Prop,
    finger_points,
    fingertip,
    grasp,
    hands_rotations,
)
from runtime.gesture.handshapes import HANDSHAPES
from runtime.skeleton import quat
from runtime.skeleton.humanoid import FINGER_SEGMENTS, FINGERS
from runtime.skeleton.rigfile import host_skeleton

from helpers import PROJECT

PALM_M = 0.033                  # from the hand bone to the palm skin
SEGMENT_LIMITS = np.array([LIMITS[seg][1] for seg in FINGER_SEGMENTS])


def joint_angles(rotations: np.ndarray) -> np.ndarray:
    """Rotation angle (degrees) of each finger joint (..., 2, 5, 3) from its local rotation."""
    return np.degrees(quat.angle_between(rotations, np.broadcast_to(quat.IDENTITY, rotations.shape))).reshape(
        rotations.shape[:-2] + (2, 5, 3))


@pytest.mark.parametrize("name", sorted(HANDSHAPES))
def test_every_shape_is_inside_the_joint_limits(name):
    shape = HANDSHAPES[name]
    curls, spread = np.array([[shape.curl, shape.curl]]), np.array([[shape.spread, shape.spread]])
    angles = joint_angles(hands_rotations(curls, spread))[0]
    fingers = angles[:, 1:]                                     # the thumb has its own smaller range
    assert (fingers <= SEGMENT_LIMITS + 15.0).all()             # + spread, which turns the MCP sideways
    flexion = np.array([[85.0, 100.0, 100.0 * 2 / 3]]) * np.array(shape.curl[1:])[:, None]
    assert np.allclose(flexion[:, 2], flexion[:, 1] * 2 / 3)    # DIP follows two thirds of PIP


def test_transitions_stay_inside_the_limits_and_do_not_move_in_lockstep():
    fingers = Fingers([7], 60)
    fist, open_ = (np.array([[HANDSHAPES[n].curl] * 2]) for n in ("fist", "open_palm"))
    spread = np.zeros((1, 2))
    seen = []
    for tick in range(90):
        asked = fist if tick < 30 else open_
        curls = fingers.step(tick / 60, asked, spread)
        angles = joint_angles(hands_rotations(curls, spread))
        assert (angles[..., 1:, :] <= SEGMENT_LIMITS + 1e-6).all() and (curls >= 0).all() and (curls <= 1).all()
        seen.append(curls[0, 0].copy())
    seen = np.array(seen)
    opening = seen[30:45]
    # The index opens first, the little finger last: at some tick they are clearly apart.
    assert (opening[:, 4] - opening[:, 1]).max() > 0.15


def test_fingers_drift_a_little_at_rest():
    fingers = Fingers([3], 60)
    relaxed = np.array([[HANDSHAPES["relaxed"].curl] * 2])
    curls = np.array([fingers.step(t / 60, relaxed, np.zeros((1, 2))) for t in range(600)])
    drift = np.ptp(curls[60:, 0, 0], axis=0)
    assert (drift > 0.005).all() and (drift < 0.1).all()


@pytest.fixture(scope="module", params=["mei.glb", "jun.glb"])
def skeleton(request):
    return host_skeleton(PROJECT / "rigs" / request.param)


@pytest.mark.parametrize("side", ["left", "right"])
def test_grasping_a_6cm_cylinder_rests_every_fingertip_on_it(skeleton, side):
    rot = skeleton.rest_pose()[0]
    pos = skeleton.world_positions(rot)
    palm = (pos[skeleton.index(f"{side}Hand")] + pos[skeleton.index(f"{side}MiddleProximal")]) / 2
    radius = 0.03
    # A 6 cm bottle under the palm (the T-pose palm faces down), across the hand, the palm resting on it.
    bottle = Prop("cylinder", palm + np.array([0, -(radius + PALM_M), 0]), np.array([0, 0, 1.0]), radius,
                  np.array([0.1, 0.0, 0.0]))
    held = grasp(skeleton, rot, side, bottle)
    for f, finger in enumerate(FINGERS):
        tip = bottle.distance(fingertip(skeleton, held, side, f))
        assert 0.0 <= tip <= 0.005, (finger, tip)
        assert bottle.distance(finger_points(skeleton, held, side, f)).min() >= -1e-6, finger
    bent = joint_angles(held[HAND_JOINTS][None])[0]
    assert (bent[..., 1:, :] <= SEGMENT_LIMITS + 1e-6).all()


def test_grasps_of_box_and_sphere_touch_without_passing_through(skeleton):
    rot = skeleton.rest_pose()[0]
    pos = skeleton.world_positions(rot)
    palm = (pos[skeleton.index("rightHand")] + pos[skeleton.index("rightMiddleProximal")]) / 2
    for prop in (Prop("sphere", palm + [0, -0.065, 0], radius=0.04),
                 Prop("box", palm + [0, -0.05, 0], half=np.array([0.03, 0.025, 0.06]))):
        held = grasp(skeleton, rot, "right", prop)
        for f in range(5):
            assert prop.distance(finger_points(skeleton, held, "right", f)).min() >= -1e-6
        for f in (1, 2):                                        # index and middle wrap it (the rest may miss)
            assert prop.distance(fingertip(skeleton, held, "right", f)) <= 0.01     # curved away sideways
