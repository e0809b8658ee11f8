"""Planned gestures performed on the skeleton: measured from joint positions, not from the plan."""
import numpy as np
import pytest

from runtime.controllers.idle import IdleController
from runtime.gesture.grammar import load_lexicon
from runtime.gesture.markup import parse_markup
from runtime.gesture.planner import plan
from runtime.gesture.realize import GestureDriver, weight_at
from runtime.motion_cmd import host_skeleton
from runtime.speech.espeak import Espeak, Voice

from helpers import PROJECT

LEXICON = load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")


@pytest.fixture(scope="module", params=["mei.glb", "jun.glb"])
def skeleton(request):
    return host_skeleton(PROJECT / "rigs" / request.param)


def perform(skeleton, text, targets=None):
    line = parse_markup(text)
    planned = plan(line, Espeak.get().synthesize(line.text, Voice("en-us")), LEXICON, list(targets or {}))
    driver = GestureDriver(IdleController(1), skeleton, 60, targets)
    driver.perform(0, planned)
    return driver, planned


def _direction(p, skeleton, a, b):
    d = p[skeleton.index(b)] - p[skeleton.index(a)]
    return d / np.linalg.norm(d)


@pytest.mark.parametrize("product", [(-0.1, 0.95, 0.6), (-0.6, 1.1, 0.4), (0.2, 0.9, 0.7)])
def test_deictic_index_points_at_the_product(skeleton, product):
    target = np.array(product)
    driver, planned = perform(skeleton, "Look at [point_product:kettle]this kettle.", {"kettle": target})
    (p,) = planned
    pos = skeleton.world_positions(driver.pose(int(p.stroke_end * 60)).rotations)
    index = _direction(pos, skeleton, "rightIndexProximal", "rightIndexDistal")
    to_target = target - pos[skeleton.index("rightIndexProximal")]
    assert np.degrees(np.arccos(index @ to_target / np.linalg.norm(to_target))) < 10


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_counting_raises_that_many_fingers(skeleton, n):
    driver, planned = perform(skeleton, f"[count_{n}]number")
    pos = skeleton.world_positions(driver.pose(int(planned[0].stroke_end * 60)).rotations)
    straight = 0
    for finger in ("Thumb", "Index", "Middle", "Ring", "Little"):
        first = _direction(pos, skeleton, f"right{finger}Proximal", f"right{finger}Intermediate")
        second = _direction(pos, skeleton, f"right{finger}Intermediate", f"right{finger}Distal")
        straight += np.degrees(np.arccos(np.clip(first @ second, -1, 1))) < 30
    assert straight == n


def test_wave_raises_the_hand_and_puts_it_back(skeleton):
    driver, (p,) = perform(skeleton, "[wave_hello]Hello")
    hand = lambda tick: skeleton.world_positions(driver.pose(tick).rotations)[skeleton.index("rightHand")]  # noqa: E731
    shoulder = skeleton.world_positions(skeleton.rest_pose()[0])[skeleton.index("rightUpperArm")]
    assert hand(int(p.stroke_start * 60) + 2)[1] > shoulder[1]          # up during the stroke
    assert hand(int(p.end * 60) + 2)[1] < shoulder[1] - 0.3             # down again after the retraction


def test_weights_rise_hold_and_fall():
    _, (p,) = perform(host_skeleton(PROJECT / "rigs" / "mei.glb"), "[beat]one")
    ts = np.linspace(p.prep_start - 0.1, p.end + 0.1, 200)
    w = np.array([weight_at(p, t) for t in ts])
    assert w[0] == 0 and w[-1] == 0 and w.max() == 1.0
    rising = ts < p.stroke_start
    assert np.all(np.diff(w[rising]) >= 0)
    assert np.all(w[(ts >= p.stroke_start) & (ts <= p.stroke_end)] == 1.0)
