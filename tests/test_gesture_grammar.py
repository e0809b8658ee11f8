"""The gesture language: the shipped lexicon, compositions, and a clear message for every broken definition."""
import subprocess
import sys

import pytest

from runtime.gesture.grammar import GestureError, load_lexicon, parse_lexicon
from runtime.gesture.handshapes import HANDSHAPES

from helpers import PROJECT

LEXICON = PROJECT / "rigs" / "gestures" / "lexicon.gesture"
REQUIRED = ["wave_hello", "welcome", "point_product", "present_product", "beat", "beat_double", "count_1",
            "count_2", "count_3", "count_4", "count_5", "size_big", "size_small", "round_shape", "contrast",
            "come_closer", "thumbs_up", "heart_hands", "price_emphasis", "shrug", "self_reference", "listing",
            "thinking", "thank_you"]

GOOD = """gesture g {
    hands: right
    shape: point
    phases: prep 0.3, stroke 0.2 sync, retract 0.3
}
"""


def test_shipped_lexicon_has_the_presenter_gestures():
    lexicon = load_lexicon(LEXICON)
    assert len(lexicon) >= 25 and set(REQUIRED) <= set(lexicon)
    for g in lexicon.values():
        assert g.steps and all(s.shape in HANDSHAPES for s in g.steps)
        assert any(p.name == "stroke" for s in g.steps for p in s.phases)


def test_counting_shapes_raise_that_many_fingers():
    lexicon = load_lexicon(LEXICON)
    for n in range(1, 6):
        assert sum(HANDSHAPES[lexicon[f"count_{n}"].shape].extended) == n


def test_compositions_resolve_in_order_with_overrides():
    lexicon = load_lexicon(LEXICON)
    assert [s.name for s in lexicon["contrast"].steps] == ["present_left", "present_right"]
    assert [s.name for s in lexicon["beat_double"].steps] == ["beat", "beat"]
    assert lexicon["point_kettle"].steps[0].target.name == "kettle"
    assert lexicon["listing"].duration == pytest.approx(3 * (0.3 + 0.2 + 0.6 + 0.35))
    assert lexicon["wave_hello"].sync_phase.name == "stroke"


def test_definitions_in_any_order():
    text = "gesture twice = g * 2\n" + GOOD
    assert len(parse_lexicon(text)["twice"].steps) == 2


BROKEN = [
    (GOOD.replace("shape: point", "shape: claw"), "3:12: unknown handshape 'claw'"),
    (GOOD.replace("phases: prep 0.3, stroke 0.2 sync, retract 0.3", "phases: prep 0.3, retract 0.3"),
     "4:5: phases need a stroke"),
    (GOOD.replace("stroke 0.2", "stroke fast"), "4:30: phase stroke: bad number 'fast'"),
    (GOOD.replace("stroke 0.2", "stroke -1"), "4:30: phase stroke: -1 must be positive"),
    (GOOD.replace("prep 0.3,", "reach 0.3,"), "4:13: unknown phase 'reach'"),
    (GOOD.replace("retract 0.3", "retract 0.3 sync"), "4:5: only one phase can be synchronised to speech"),
    (GOOD.replace("prep 0.3, stroke 0.2 sync", "stroke 0.2 sync, prep 0.3"),
     "4:5: phases go in the order prep, stroke, hold, retract"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    target: moon\n"), "3:13: unknown target 'moon'"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    target: point 1 two 3\n"),
     "3:21: point coordinate: bad number 'two'"),
    (GOOD.replace("hands: right", "hands: three"), "2:12: unknown hands 'three'"),
    (GOOD.replace("hands: right", "hands: right mirrored"), "2:18: 'mirrored' needs hands: both"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    movement: spin\n"), "3:15: unknown movement 'spin'"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    movement: line\n"),
     "3:15: 'line' needs a direction"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    movement: wave repeat 2.5\n"),
     "3:27: repeat: bad number '2.5'"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    location: chest sideways\n"),
     "3:21: unknown sideways position 'sideways'"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    colour: red\n"), "3:5: unknown property 'colour'"),
    (GOOD.replace("    hands: right\n", "    hands: right\n    hands: left\n"), "3:5: hands is already given on line 2"),
    (GOOD.replace("    hands: right\n", "    hands right\n"), "2:5: expected 'key: value', got 'hands right'"),
    (GOOD.replace("}", ""), "1:1: gesture 'g' is missing its closing '}'"),
    (GOOD + "gesture h = g then nod\n", "6:9: gesture 'h' uses unknown gesture 'nod'"),
    (GOOD + "gesture a = b\ngesture b = a\n", "gesture 'a' refers to itself through 'b'"),
    (GOOD + GOOD, "6:9: gesture 'g' is already defined at"),
    (GOOD + "gesture h g\n", "6:11: expected '{' or '=' after the gesture name, got 'g'"),
    (GOOD + "wave {\n", "6:1: expected 'gesture NAME {' or 'gesture NAME = ...', got 'wave'"),
    (GOOD + "gesture h = g with colour: red\n", "6:20: unknown property 'colour'"),
]


@pytest.mark.parametrize("text, message", BROKEN, ids=[m.split(": ", 1)[-1][:40] for _, m in BROKEN])
def test_broken_definitions_name_line_column_and_cause(text, message):
    with pytest.raises(GestureError) as err:
        parse_lexicon(text, "my.gesture")
    assert any(message in p for p in err.value.problems), err.value.problems
    assert all(p.startswith("my.gesture:") for p in err.value.problems)


def test_every_problem_is_reported_at_once():
    text = GOOD.replace("shape: point", "shape: claw").replace("stroke 0.2", "stroke fast") + "gesture x y\n"
    with pytest.raises(GestureError) as err:
        parse_lexicon(text, "my.gesture")
    assert len(err.value.problems) == 3


def cohost(*args):
    return subprocess.run([sys.executable, "-m", "runtime", "gesture", *args], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120)


def test_gesture_list_and_check_commands(tmp_path):
    out = cohost("--list")
    assert out.returncode == 0 and out.stdout.split() == sorted(load_lexicon(LEXICON))
    assert cohost("--check", str(LEXICON)).returncode == 0
    bad = tmp_path / "bad.gesture"
    bad.write_text(GOOD.replace("shape: point", "shape: claw"))
    out = cohost("--check", str(bad))
    assert out.returncode == 1 and f"{bad}:3:12: unknown handshape 'claw'" in out.stderr
