"""Markup and rules to timed gestures on a real eSpeak NG timeline."""
import pytest

from runtime.gesture.grammar import load_lexicon
from runtime.gesture.markup import MarkupError, parse_markup
from runtime.gesture.planner import plan, rule_gestures, stressed_onset
from runtime.speech.espeak import Espeak
from runtime.speech.utterance import Voice

from helpers import PROJECT

TICK = 1 / 60
LEXICON = load_lexicon(PROJECT / "rigs" / "gestures" / "lexicon.gesture")
LINES = {
    "en": (Voice("en-us"), "Hello everyone! This [point_product:kettle]kettle boils *fast*, but it is small. "
                           "First the price: thirty nine dollars."),
    "cmn": (Voice("cmn"), "大家好，欢迎来到直播间。这款水壶很小巧，但是很好用。第一，价格三十九元。"),
}


def test_markup_is_removed_from_the_spoken_text():
    line = parse_markup("This [point_product:phone]phone has a *huge* battery")
    assert line.text == "This phone has a huge battery"
    assert [w.text for w in line.words] == ["This", "phone", "has", "a", "huge", "battery"]
    assert line.placed == {1: ("point_product", "phone")}
    assert [w.emphasised for w in line.words] == [False, False, False, False, True, False]


@pytest.mark.parametrize("text, message", [
    ("a *huge battery", "never closed"), ("a [point phone", r"a '\[' that is not"), ("phone [beat]", "has no word after it"),
])
def test_bad_markup_is_explained(text, message):
    with pytest.raises(MarkupError, match=message):
        parse_markup(text)


def test_mandarin_words_are_characters():
    assert [w.text for w in parse_markup("大家好，欢迎").words] == ["大", "家", "好", "欢", "迎"]


@pytest.mark.parametrize("text, expected", [
    ("Hello and welcome", {0: "wave_hello", 2: "welcome"}),
    ("this is huge but small", {0: "point_product", 2: "size_big", 3: "contrast", 4: "size_small"}),
    ("first and second", {0: "count_1", 2: "count_2"}),
    ("only nine dollars, thanks", {2: "price_emphasis", 3: "thank_you"}),
    ("the kettle is *really* good", {1: "point_product", 3: "beat"}),
    ("大家好", {0: "wave_hello"}), ("但是这款", {0: "contrast", 2: "point_product"}), ("第二", {0: "count_2"}),
    ("六、七、八", {0: "count_6", 2: "count_7", 4: "count_8"}), ("三十九元", {3: "price_emphasis"}),
    ("this one is nice", {0: "point_product"}),
])
def test_rules_in_english_and_mandarin(text, expected):
    assert rule_gestures(parse_markup(text), ["kettle"]) == expected


@pytest.fixture(scope="module", params=sorted(LINES))
def planned(request):
    voice, text = LINES[request.param]
    line = parse_markup(text)
    utterance = Espeak.get().synthesize(line.text, voice)
    return line, utterance, plan(line, utterance, LEXICON, ["kettle"])


def test_strokes_start_on_the_stressed_syllable(planned):
    line, utterance, gestures = planned
    assert len(gestures) >= 4
    for g in gestures:
        word = line.words[g.word]
        event = next(e for e in utterance.words if e.text == word.text)
        later = [e.start for e in utterance.words if e.start > event.start]
        syllable = stressed_onset(utterance, event.start, min(later) if later else utterance.duration)
        first = g.gesture.steps[0]
        before = sum(p.duration for p in first.phases[:[p.name for p in first.phases].index("stroke")]
                     if p.name != "prep")
        assert abs(g.stroke_start + before - syllable) <= TICK, (g.gesture.name, word.text)


def test_one_gesture_per_hand_at_a_time(planned):
    _, _, gestures = planned
    hands = lambda step: {"left", "right"} if step.gesture.hands == "both" else {step.gesture.hands}  # noqa: E731
    for i, a in enumerate(gestures):
        for b in gestures[i + 1:]:
            for sa in a.steps:
                for sb in b.steps:
                    if hands(sa) & hands(sb):
                        assert sb.prep_start >= sa.free_at - 1e-9, (a.gesture.name, b.gesture.name)


def test_preparation_is_shortened_never_the_stroke_moved(planned):
    _, _, gestures = planned
    assert all(g.prep_start <= g.stroke_start for g in gestures)
    full = {g.gesture.name: sum(p.duration for p in g.gesture.steps[0].phases if p.name == "prep") for g in gestures}
    assert any(g.prep < full[g.gesture.name] - 1e-9 for g in gestures)   # some had to be shortened


def test_markup_outranks_rules():
    line = parse_markup("This [present_product]kettle is great")
    u = Espeak.get().synthesize(line.text, Voice("en-us"))
    names = {line.words[g.word].text: g.gesture.name for g in plan(line, u, LEXICON, ["kettle"])}
    assert names.get("kettle") == "present_product" and "This" not in names


def test_close_gestures_coarticulate():
    line = parse_markup("[beat]one [beat]two")
    u = Espeak.get().synthesize(line.text, Voice("en-us"))
    first, second = plan(line, u, LEXICON)
    assert first.steps[-1].handover and first.end == second.stroke_start     # no retraction in between
    assert second.prep_start >= first.hold_end - 1e-9


def test_long_retractions_never_overlap_the_next_gesture():
    from runtime.gesture.grammar import parse_lexicon
    slow = parse_lexicon("""gesture slow {
    hands: right
    shape: point
    phases: prep 0.3, stroke 0.2, retract 2.0
}
""")
    line = parse_markup("[slow]look at the red kettle and [slow]go")
    u = Espeak.get().synthesize(line.text, Voice("en-us"))
    first, second = plan(line, u, slow)
    assert second.prep_start >= first.hold_end - 1e-9 and first.end == second.stroke_start
