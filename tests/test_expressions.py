"""Expressions: the engine's rules (binary, overrides), VRM files' own expressions and look-at, emotions in
lines, shows and operator requests, and the brows on stressed syllables, measured from the output."""
import numpy as np
import pytest

from runtime.gesture.markup import MarkupError, parse_markup
from runtime.gesture.moods import line_moods
from runtime.scene.render import OffscreenRenderer
from runtime.sets.setfile import Camera, single_host_set
from runtime.show.lines import check_gestures
from runtime.show.script import load_show
from runtime.show.staging import performance
from runtime.skeleton.expressions import Expression, ExpressionEngine
from runtime.skeleton.face import CHANNEL_INDEX, FACE_CHANNELS
from runtime.skeleton.pose import BONE_INDEX, Pose
from runtime.skeleton import quat
from runtime.skeleton.take import record
from runtime.speech.voices import LineCache

from helpers import PROJECT, asset, assert_error_at

CONFORMANCE = "VRMC_vrm_expressions_isBinary_Overrides.vrm"
GODETTE = "Godette_vrm_v4.vrm"
LINES = LineCache()


def face(**channels: float) -> np.ndarray:
    f = np.zeros(len(FACE_CHANNELS))
    for name, w in channels.items():
        f[CHANNEL_INDEX[name]] = w
    return f


def engine(**expressions: Expression) -> ExpressionEngine:
    feed = {n: {n: 1.0} for n in expressions if n in CHANNEL_INDEX}
    feed.update({b: {"blink": 0.5} for b in ("blinkLeft", "blinkRight")} if "blink" in expressions else {})
    return ExpressionEngine(expressions, feed, sorted({s for e in expressions.values() for s in e.morphs}))


@pytest.mark.parametrize("override, happy, blink", [
    ("none", 0.3, 1.0),          # nothing taken from the blink
    ("block", 0.3, 0.0),         # any happiness blocks it
    ("block", 0.0, 1.0),
    ("blend", 0.3, 0.7),         # happiness takes its share
])
def test_overrides_take_from_the_blink(override, happy, blink):
    e = engine(happy=Expression("happy", {"smile": 1.0}, overrides=(override, "none", "none")),
               blink=Expression("blink", {"shut": 1.0}))
    out = e.weights(face(happy=happy, blinkLeft=1.0, blinkRight=1.0))
    assert out[e.index["blink"]] == pytest.approx(blink)
    assert out[e.index["happy"]] == pytest.approx(happy)


def test_binary_expressions_snap_and_an_overridden_binary_one_is_off():
    e = engine(happy=Expression("happy", {"smile": 1.0}, binary=True, overrides=("blend", "none", "none")),
               blink=Expression("blink", {"shut": 1.0}, binary=True),
               aa=Expression("aa", {"open": 1.0}))
    out = e.weights(face(happy=0.4, blinkLeft=0.8, blinkRight=0.8))
    assert out[e.index["happy"]] == 0.0 and out[e.index["blink"]] == 1.0     # 0.4 is off: nothing taken
    out = e.weights(face(happy=0.6, blinkLeft=0.8, blinkRight=0.8, aa=0.5))
    assert out[e.index["happy"]] == 1.0 and out[e.index["blink"]] == 0.0
    assert out[e.index["aa"]] == 0.5                                           # the mouth is not overridden
    assert e.morphs(out)[e.sliders.index("smile")] == 1.0


def _window_colour(happy: float, naive: bool) -> np.ndarray:
    """The mean colour of the conformance sample's validation window, with happy at `happy` and the blink
    on; `naive` skips binary and overrides (what the sample is there to catch)."""
    rig = asset(CONFORMANCE)
    with OffscreenRenderer(single_host_set(rig, backdrop=(1, 1, 1)), (240, 240)) as r:
        character = r.stage.hosts[0].character
        lo, hi = (np.array(p) for p in character.root.get_tight_bounds(r.scene))
        window = np.array([0.0, 0.0, (0.85 + 1.35) / 2])               # its big plane, above the meters
        r.aim(Camera("window", tuple(window + [0, -1.2, 0]), tuple(window), 30.0), near=0.05)
        pose = Pose.rest()
        pose.face[:] = face(happy=happy, blinkLeft=1.0, blinkRight=1.0)
        character.apply(pose)
        if naive:
            character.material_binds.apply(np.clip(character.expressions.inputs(pose.face), 0, 1))
        image = r.frame().astype(float)
    return image[90:150, 90:150].reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize("happy", [0.4, 0.6])
def test_the_vrm_conformance_sample_shows_its_check_marks(happy):
    r, g, _ = _window_colour(happy, naive=False)
    assert g > r + 20, (r, g)                                     # green with check marks: right
    r, g, _ = _window_colour(happy, naive=True)
    assert r > g + 20, (r, g)                                     # red with crosses: what a naive engine gets


def test_a_rig_without_eye_bones_looks_with_its_expressions():
    from runtime.scene.character import Character
    godette = Character(asset(GODETTE))
    assert godette.expressions.look is not None
    pose = Pose.rest()
    pose.rotations[BONE_INDEX["leftEye"]] = quat.from_axis_angle([0, 1.0, 0], np.radians(20))   # to her left
    out = godette.expression_weights(pose)
    names = godette.expressions.index
    # VRM 0.x: weight = angle / xRange * yRange, up to 1 (her file: 90 degrees and 7.1)
    assert out[names["lookLeft"]] == pytest.approx(min(20 / 90 * 7.1, 1.0), abs=0.01) and out[names["lookRight"]] == 0
    pose.rotations[BONE_INDEX["leftEye"]] = quat.from_axis_angle([1.0, 0, 0], np.radians(5))     # down
    out = godette.expression_weights(pose)
    assert out[names["lookDown"]] == pytest.approx(5 / 90 * 3.9, abs=0.01) and out[names["lookUp"]] == 0
    sliders = dict(zip(godette.expressions.sliders, godette.expressions.morphs(out)))
    assert sliders["look_down"] > 0.1 and sliders["look_left"] == 0


def test_emotion_marks_and_the_defaults_read_from_the_text():
    marked = parse_markup("[happy]Hello! That is [surprised]*huge*.")
    assert marked.text == "Hello! That is huge." and not marked.placed
    assert line_moods(marked) == [(0, "happy", 0.8), (3, "surprised", 0.8)]
    assert line_moods(parse_markup("Wow, look at this kettle.")) == [(0, "surprised", 0.7)]
    assert line_moods(parse_markup("Today everything is half price!"))[0][1:] == ("happy", 0.8)
    assert line_moods(parse_markup("大家好！这款绿茶来自杭州。"))[0][:2] == (0, "happy")
    assert line_moods(parse_markup("哇，真便宜"))[0][:2] == (0, "surprised")
    assert line_moods(parse_markup("Sorry, the black one is sold out."))[0][1] == "sad"
    assert line_moods(parse_markup("It holds one point seven litres.")) == []
    with pytest.raises(MarkupError, match=r"no gesture 'hapy' .*did you mean the emotion \[happy\]\?"):
        check_gestures(parse_markup("[hapy]Hello"))                       # a typo is not silently a gesture
    with pytest.raises(MarkupError, match=r"\[happy:kettle\]: an emotion takes no target"):
        parse_markup("[happy:kettle]Hello")


def _take(says: list[str], seconds: float):
    _, ticker = performance(PROJECT / "scenes" / "shop_studio.toml", says, gap_s=0.4, cache=LINES)
    return record(ticker, int(seconds * ticker.world.rate)), ticker.world


def test_a_line_shows_its_emotion_from_its_word_and_lets_it_go_after():
    take, _ = _take(["Mei: It holds one point seven litres, and it is [surprised]*huge*."], 6.0)
    surprised = take.morphs[:, 0, CHANNEL_INDEX["surprised"]]
    speaking = take.speaking[:, 0]
    start, end = np.flatnonzero(speaking)[[0, -1]]
    rises = np.flatnonzero(surprised > 0.4)
    assert len(rises) and rises[0] > start + 1.0 * take.rate                # from "huge", late in the line
    assert surprised[end + int(1.5 * take.rate):].max() == 0.0            # gone soon after the line
    assert take.morphs[:, 1, CHANNEL_INDEX["surprised"]].max() == 0.0     # Jun was not surprised


def test_the_speakers_brows_rise_on_strong_stresses_and_the_listeners_do_not():
    take, _ = _take(["Mei: This kettle boils a full litre in under three minutes, and it stays quiet."], 5.0)
    brows = take.morphs[:, :, CHANNEL_INDEX["browUp"]]
    assert 0.2 < brows[:, 0].max() <= 0.45 + 1e-9
    raised = brows[:, 0] > 0.1
    assert 0.03 < raised[take.speaking[:, 0]].mean() < 0.5                # raises, not a held brow
    assert brows[:, 1].max() == 0.0


def test_a_segments_mood_rests_on_both_faces(tmp_path):
    show = (PROJECT / "scenes" / "shop_show.toml").read_text()
    take_happy = _show_take(tmp_path, show, 8.0)
    happy = take_happy.morphs[:, :, CHANNEL_INDEX["happy"]]
    assert happy[:5].max() < 0.3 and (happy[2 * take_happy.rate:] >= 0.34).all()    # the opening's, eased in
    neutral = _show_take(tmp_path, show.replace('mood = "happy"', 'mood = "neutral"', 1), 8.0)
    assert neutral.morphs[:, :, CHANNEL_INDEX["happy"]].min() == pytest.approx(0.2)   # the resting smile
    sad = _show_take(tmp_path, show.replace('mood = "happy"', 'mood = "sad"', 1), 8.0)
    assert (sad.morphs[2 * sad.rate:, :, CHANNEL_INDEX["sad"]] >= 0.34).all()
    happy = sad.morphs[2 * sad.rate:, :, CHANNEL_INDEX["happy"]]
    assert happy.min(axis=0).max() < 0.1                    # the sad mood takes the resting smile's place


def _show_take(tmp_path, text: str, seconds: float):
    path = tmp_path / "s.toml"
    path.write_text(text.replace('set = "shop_studio.toml"', f'set = "{PROJECT / "scenes" / "shop_studio.toml"}"'))
    _, ticker = performance(path, [], cache=LINES)
    return record(ticker, int(seconds * ticker.world.rate))


def test_a_bad_mood_in_a_show_names_its_line(tmp_path):
    text = (PROJECT / "scenes" / "shop_show.toml").read_text().replace('set = "shop_studio.toml"',
                                                                       f'set = "{PROJECT / "scenes" / "shop_studio.toml"}"')
    assert_error_at(tmp_path / "s.toml", text.replace('mood = "happy"', 'mood = "hapy"', 1), load_show,
                    'mood = "hapy"', "segments[0].mood: unknown mood 'hapy'; did you mean 'happy'?")


def test_a_line_said_happily_sounds_different():
    from runtime.show.lines import make_line
    from runtime.sets.setfile import load_set
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    plain = make_line(spec, "Mei", parse_markup("The kettle is here."), 0, LINES)
    happy = make_line(spec, "Mei", parse_markup("[happy]The kettle is here."), 0, LINES)
    assert happy.moods[0].emotion == "happy" and not plain.moods
    assert happy.utterance.duration != pytest.approx(plain.utterance.duration, rel=0.02)


def test_expressions_asked_for_ease_in_and_neutral_ends_them():
    from runtime.skeleton.rigfile import host_skeleton
    from helpers import one_host_world
    world, ticker = one_host_world(host_skeleton(PROJECT / "rigs" / "mei.glb"), 3)
    world.express(0, 0, "angry", 0.9, 10.0)
    world.express(0, 0, "wink", 1.0, 10.0)                 # a rig's own expression, by name
    ticker.run_until(59)
    pose = world.pose(0)
    assert pose.face[CHANNEL_INDEX["angry"]] == pytest.approx(0.9) and pose.custom == {"wink": 1.0}
    world.express(0, 60, "neutral", 0.0, 0.0)
    ticker.run_until(119)
    assert world.pose(0).face[CHANNEL_INDEX["angry"]] == 0.0 and world.pose(0).custom == {"wink": 1.0}
    wink = engine(wink=Expression("wink", {"eyeBlinkLeft": 1.0}))
    assert wink.morphs(wink.weights(world.pose(0).face, custom=world.pose(0).custom)).tolist() == [1.0]


def test_an_expression_moves_a_material_colour(tmp_path):
    """The conformance sample with one more bind: happy turns its window's base colour blue."""
    import json
    import struct
    raw = asset(CONFORMANCE).read_bytes()
    size = struct.unpack_from("<I", raw, 12)[0]
    doc = json.loads(raw[20:20 + size])
    doc["extensions"]["VRMC_vrm"]["expressions"]["preset"]["happy"]["materialColorBinds"] = [
        {"material": 0, "type": "color", "targetValue": [0.0, 0.0, 1.0, 1.0]}]
    text = json.dumps(doc).encode()
    text += b" " * (-len(text) % 4)
    rest = raw[20 + size:]
    path = tmp_path / "blue.vrm"
    path.write_bytes(b"glTF" + struct.pack("<II", 2, 20 + len(text) + len(rest)) + struct.pack("<I", len(text))
                     + b"JSON" + text + rest)
    colours = []
    with OffscreenRenderer(single_host_set(path, backdrop=(1, 1, 1)), (240, 240)) as r:
        character = r.stage.hosts[0].character
        window = np.array([0.0, 0.0, (0.85 + 1.35) / 2])
        r.aim(Camera("window", tuple(window + [0, -1.2, 0]), tuple(window), 30.0), near=0.05)
        for happy in (0.0, 1.0):
            pose = Pose.rest()
            pose.face[:] = face(happy=happy)
            character.apply(pose)
            colours.append(r.frame()[90:150, 90:150].reshape(-1, 3).mean(axis=0))
    (r0, g0, b0), (r1, g1, b1) = colours
    assert b1 > g1 + 20 and r1 < r0 - 20 and g1 < g0 - 20, colours     # the window's texture tinted blue
