"""Planned gestures performed on the skeleton: measured from joint positions, not from the plan."""
import numpy as np
import pytest

from runtime.builder.body import build_host
from runtime.builder.spec import load_host_spec
from runtime.controllers.gestures import weight_at
from runtime.gesture.expressivity import Expressivity
from runtime.gesture.grammar import load_lexicon
from runtime.gesture.markup import parse_markup
from runtime.gesture.planner import plan, schedule
from runtime.skeleton.rigfile import host_skeleton
from runtime.skeleton.take import record
from runtime.speech.espeak import Espeak
from runtime.speech.utterance import Voice
from runtime.studio.gesture_plot import path_length
from runtime.world.body import Body
from runtime.world.stages import Fingers
from runtime.world.tick import Ticker
from runtime.world.world import Host, World

from helpers import PROJECT

LEXICON = load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")


class Performed:
    """A host alone performing planned gestures through the body and fingers stages (no gaze turning the
    chest under the arms), every tick recorded in order, as a show runs them."""

    def __init__(self, skeleton, planned, targets=None, expressivity=Expressivity()) -> None:
        world = World([Host("host", skeleton, np.eye(4), 1, expressivity, targets or {})], 60, np.array([0, -3.0, 1.5]))
        world.perform(0, 0, planned)
        self.rotations = record(Ticker(world, [Body(world), Fingers()]), int(max(p.end for p in planned) * 60) + 30
                                ).rotations[:, 0]

    def pose(self, tick: int) -> np.ndarray:
        """Normalised local rotations (J, 4) at `tick`."""
        return self.rotations[tick]


def trace(performed: Performed, ticks: int, skeleton) -> tuple[np.ndarray, np.ndarray]:
    """(rotations (T, J, 4), joint positions (T, J, 3)) of the first `ticks` ticks, host frame."""
    rot = performed.rotations[:ticks]
    return rot, skeleton.world_positions(rot)


@pytest.fixture(scope="module", params=["mei.glb", "jun.glb"])
def skeleton(request):
    return host_skeleton(PROJECT / "rigs" / request.param)


def perform(skeleton, text, targets=None, voice="en-us"):
    line = parse_markup(text)
    planned = plan(line, Espeak.get().synthesize(line.text, Voice(voice)), LEXICON, list(targets or {}))
    return Performed(skeleton, planned, targets), planned


def _direction(p, skeleton, a, b):
    d = p[skeleton.index(b)] - p[skeleton.index(a)]
    return d / np.linalg.norm(d)


@pytest.mark.parametrize("product", [(-0.1, 0.95, 0.6), (-0.6, 1.1, 0.4), (0.2, 0.9, 0.7)])
def test_deictic_index_points_at_the_product(skeleton, product):
    target = np.array(product)
    performed, planned = perform(skeleton, "Look at [point_product:kettle]this kettle.", {"kettle": target})
    (p,) = planned
    pos = skeleton.world_positions(performed.pose(int(p.hold_end * 60)))
    index = _direction(pos, skeleton, "rightIndexProximal", "rightIndexDistal")
    to_target = target - pos[skeleton.index("rightIndexProximal")]
    assert np.degrees(np.arccos(index @ to_target / np.linalg.norm(to_target))) < 10


def extended_fingers(skeleton, pos, side="right"):
    """Fingers whose two segments are within 30 degrees of straight, from joint positions."""
    straight = 0
    for finger in ("Thumb", "Index", "Middle", "Ring", "Little"):
        first = _direction(pos, skeleton, f"{side}{finger}Proximal", f"{side}{finger}Intermediate")
        second = _direction(pos, skeleton, f"{side}{finger}Intermediate", f"{side}{finger}Distal")
        straight += np.degrees(np.arccos(np.clip(first @ second, -1, 1))) < 30
    return straight


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_counting_raises_that_many_fingers(skeleton, n):
    performed, planned = perform(skeleton, f"[count_{n}]number")
    pose = performed.pose(int(planned[0].hold_end * 60))
    assert extended_fingers(skeleton, skeleton.world_positions(pose)) == n


@pytest.mark.parametrize("n, raised", [(6, {"Thumb", "Little"}), (8, {"Thumb", "Index"}), (10, set())])
def test_chinese_numbers_past_five_on_one_hand(skeleton, n, raised):
    performed, planned = perform(skeleton, f"[count_{n}]number")
    pos = skeleton.world_positions(performed.pose(int(planned[0].hold_end * 60)))
    assert extended_fingers(skeleton, pos) == len(raised)


@pytest.mark.parametrize("text, voice", [("One, two, three.", "en-us"), ("一、二、三。", "cmn")])
def test_counting_aloud_shows_one_two_three_fingers(skeleton, text, voice):
    performed, planned = perform(skeleton, text, voice=voice)          # no markup: the enumeration rule
    assert [p.gesture.name for p in planned] == ["count_1", "count_2", "count_3"]
    shown = []
    for tick in range(int(planned[-1].end * 60)):                  # ticks in order, as a show runs them
        pose = performed.pose(tick)
        if any(tick == int(p.steps[0].stroke_end * 60) + 1 for p in planned):
            shown.append(extended_fingers(skeleton, skeleton.world_positions(pose)))
    assert shown == [1, 2, 3]


def test_wave_raises_the_hand_and_puts_it_back(skeleton):
    performed, (p,) = perform(skeleton, "[wave_hello]Hello")
    hand = lambda tick: skeleton.world_positions(performed.pose(tick))[skeleton.index("rightHand")]  # noqa: E731
    shoulder = skeleton.world_positions(skeleton.rest_pose()[0])[skeleton.index("rightUpperArm")]
    assert hand(int(p.stroke_start * 60) + 2)[1] > shoulder[1]          # up during the stroke
    assert hand(int(p.end * 60) + 2)[1] < shoulder[1] - 0.3             # down again after the retraction


def test_weights_rise_hold_and_fall():
    _, (p,) = perform(host_skeleton(PROJECT / "rigs" / "mei.glb"), "[beat]one")
    (step,) = p.steps
    ts = np.linspace(p.prep_start - 0.1, p.end + 0.1, 200)
    w = np.array([weight_at(step, t) for t in ts])
    assert w[0] == 0 and w[-1] == 0 and w.max() == 1.0
    rising = ts < p.stroke_start
    assert np.all(np.diff(w[rising]) >= 0)
    assert np.all(w[(ts >= p.stroke_start) & (ts <= p.hold_end)] == 1.0)


def alone(skeleton, name, expressivity=Expressivity(), targets=None, lexicon=LEXICON):
    """A gesture performed on its own (no speech), its sync phase 1 s in; (plan, positions per tick)."""
    p = schedule(lexicon[name], 1.0, expressivity)
    return p, trace(Performed(skeleton, [p], targets, expressivity), int((p.end + 0.3) * 60), skeleton)[1]


def stroke(p, positions, side="right", step=0):
    s = p.steps[step]
    return positions[int(np.ceil(s.stroke_start * 60)):int(s.stroke_end * 60) + 1, SKELETON.index(f"{side}Hand")]


SKELETON = host_skeleton(PROJECT / "rigs" / "mei.glb")


@pytest.fixture(scope="module")
def mei_top() -> np.ndarray:
    """The points of Mei's built top, where the hands must not go (built once, for the tests that ask)."""
    body = build_host(load_host_spec(PROJECT / "rigs" / "mei.toml")).meshes["Body"]
    return np.vstack([part.positions for part in body if part.material == "top"])


@pytest.mark.parametrize("spatial", [-1.0, 0.0])
@pytest.mark.parametrize("name", ["thank_you", "heart_hands"])
def test_hands_together_hold_in_front_of_the_body(name, spatial, mei_top):
    """Hands brought together before the chest hold in front of the top, not inside it: through the hold
    both wrists clear the front of Mei's built top at their height by more than a forearm's thickness."""
    p, pos = alone(SKELETON, name, Expressivity(spatial=spatial))
    step = p.steps[0]
    for side in ("left", "right"):
        for wrist in pos[int(step.stroke_end * 60):int(step.hold_end * 60), SKELETON.index(f"{side}Hand")]:
            front = mei_top[np.abs(mei_top[:, 1] - wrist[1]) < 0.02, 2].max()
            assert wrist[2] - front > 0.03, (side, wrist[2] - front)


def test_spatial_extent_lengthens_the_wrist_path():
    for name in ("come_closer", "wave_hello", "round_shape"):
        lengths = [path_length(alone(SKELETON, name, Expressivity(spatial=e))[1][:, SKELETON.index("rightHand")])
                   for e in (-1.0, 0.0, 1.0)]
        assert lengths[0] < lengths[1] < lengths[2] and lengths[2] > 1.3 * lengths[0], (name, lengths)


def test_temporal_extent_speeds_up_the_stroke():
    peak = {}
    for e in (-1.0, 1.0):
        p, pos = alone(SKELETON, "come_closer", Expressivity(temporal=e))
        peak[e] = np.linalg.norm(np.diff(stroke(p, pos), axis=0), axis=-1).max() * 60
        assert p.steps[0].stroke_end - p.steps[0].stroke_start == pytest.approx(0.6 * (1 - 0.35 * e))
    assert peak[1.0] > 1.5 * peak[-1.0]


def test_power_overshoots_the_stroke_end():
    past = {}
    for e in (-1.0, 1.0):
        p, pos = alone(SKELETON, "present_left", Expressivity(power=e))     # arc out, 15 cm
        x = stroke(p, pos, "left")[:, 0]
        past[e] = x.max() - x[-1]                  # how far out it went beyond where it settles
    assert past[-1.0] < 0.002 and past[1.0] > 0.01


def test_repetition_adds_passes():
    for e, passes in ((0.0, 2), (1.0, 3)):           # come_closer: line back, repeat 2 (no power: no overshoot)
        p, pos = alone(SKELETON, "come_closer", Expressivity(repetition=e, power=-1))
        dz = np.diff(stroke(p, pos)[:, 2])
        turns = np.sum(np.diff(np.sign(dz[np.abs(dz) > 5e-4])) != 0)          # ignore the idle sway
        assert p.steps[0].repeats == passes and turns == passes - 1


def test_wave_swings_side_to_side_three_times():
    p, pos = alone(SKELETON, "wave_hello")
    x = stroke(p, pos)[:, 0]
    turns = np.sum(np.diff(np.sign(np.diff(x))) != 0)
    assert turns == 6 and np.ptp(x) > 0.15                # 3 waves, each out and back, 12 cm each way


def test_circle_closes_and_has_its_size():
    p, pos = alone(SKELETON, "round_shape")
    for side in ("left", "right"):
        path = stroke(p, pos, side)
        assert np.linalg.norm(path[0] - path[-1]) < 0.02
        assert 0.18 < np.ptp(path[:, 0]) < 0.3 and 0.18 < np.ptp(path[:, 1]) < 0.3     # 12 cm radius
    left, right = stroke(p, pos, "left"), stroke(p, pos, "right")
    assert np.allclose(left[:, 0], -right[:, 0], atol=0.02)          # mirrored


def test_beats_drop_and_rise_again():
    p, pos = alone(SKELETON, "beat_double")
    for k in range(2):
        y = stroke(p, pos, step=k)[:, 1]
        assert y[0] - y.min() > 0.05 and abs(y[-1] - y[0]) < 0.01


def _palm_normal(pos, side):
    hand, index, little = (pos[SKELETON.index(f"{side}{b}")] for b in ("Hand", "IndexProximal", "LittleProximal"))
    n = np.cross(index - hand, little - hand)
    return n / np.linalg.norm(n)


@pytest.mark.parametrize("name, side, palm", [("present_product", "right", (0, 1, 0)), ("count_2", "right", (0, 0, 1)),
                                              ("wave_hello", "right", (0, 0, 1)), ("beat", "right", (1, 0, 0)),
                                              ("size_big", "left", (-1, 0, 0)), ("shrug", "left", (0, 1, 0))])
def test_palm_faces_its_written_direction(name, side, palm):
    rest = SKELETON.world_positions(SKELETON.rest_pose()[0])
    sign = -np.sign(_palm_normal(rest, side)[1])                    # at rest the palm faces down
    p, pos = alone(SKELETON, name)
    at = int(p.steps[0].stroke_end * 60)
    normal = sign * _palm_normal(pos[at], side)
    assert np.degrees(np.arccos(np.clip(normal @ palm, -1, 1))) < 25


def test_contrast_uses_one_hand_then_the_other():
    p, pos = alone(SKELETON, "contrast")
    first, second = p.steps
    assert first.gesture.hands == "left" and second.gesture.hands == "right"
    assert second.stroke_start >= first.hold_end
    moved = lambda side, t: np.linalg.norm(pos[int(t * 60), SKELETON.index(f"{side}Hand")]  # noqa: E731
                                           - pos[0, SKELETON.index(f"{side}Hand")])
    assert moved("left", first.stroke_end) > 0.3 and moved("right", first.stroke_end) < 0.05
    assert moved("right", second.stroke_end) > 0.3 and moved("left", second.stroke_end) < 0.1   # left back down


def test_coarticulated_gestures_flow_without_a_jump():
    performed, planned = perform(SKELETON, "[count_1]one, [count_2]two, and [beat]three")
    assert any(p.steps[-1].handover for p in planned)
    _, pos = trace(performed, int(planned[-1].end * 60) + 10, SKELETON)
    wrist = pos[int(planned[0].stroke_start * 60):, SKELETON.index("rightHand")]      # after the first preparation
    assert np.linalg.norm(np.diff(wrist, axis=0), axis=-1).max() < 0.06       # < 3.6 m/s at 60 Hz: no pop
