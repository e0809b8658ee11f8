"""The director, measured from what the hosts do: a looping show played on lazily, glances at a change of
speaker, the listener's nods, looks at a product a line names, viewer answers at the next phrase
boundary, an interrupt at the next word, and a soak in simulated time."""
import json

import numpy as np
from PIL import Image

from runtime.show.live import LiveShow
from runtime.show.script import load_show
from runtime.skeleton import quat
from runtime.skeleton.pose import BONE_INDEX
from runtime.studio.soak import SpeechClock, plot_memory, soak

from helpers import PROJECT

RATE = 60


def live_show(tmp_path, lines, loop=False, gap=0.4, name="s"):
    path = tmp_path / f"{name}.show.toml"
    path.write_text(f'[show]\nset = "{PROJECT / "scenes" / "shop_studio.toml"}"\nloop = {str(loop).lower()}\n'
                    f"gap = {gap}\n[[segments]]\nname = \"one\"\nlines = {json.dumps(lines, ensure_ascii=False)}\n")
    show = load_show(path)
    live = LiveShow(show.spec, show)
    events = []
    live.director.listeners.append(events.append)
    return live, events


def gaze_error(live, h, point_set) -> float:
    """Degrees between host h's line of sight and the direction to a point (set coordinates)."""
    world = live.world
    target = (world.to_host[h] @ [*point_set, 1.0])[:3] - world.gaze.eye_mid[h]
    d = world.gaze.direction[h]
    return float(np.degrees(np.arccos(np.clip(d @ target / np.linalg.norm(d) / np.linalg.norm(target), -1, 1))))


def eyes_of(live, h):
    return live.world.eyes_set[h].mean(axis=0)


def lines_of(events):
    return [e for e in events if e["event"] == "line"]


def test_a_looping_show_plays_on_lazily(tmp_path):
    live, events = live_show(tmp_path, ["Mei: One.", "Jun: Two."], loop=True)
    live.run_until(RATE * 12)
    said = lines_of(events)
    assert [e["text"] for e in said[:6]] == ["One.", "Two."] * 3
    starts = [e["tick"] for e in said if e["text"] == "One."]
    assert len(set(np.diff(starts))) == 1                       # every pass as long as the one before
    assert len(live.director._pending) <= 3                     # laid out just ahead, not hours of it


def test_hosts_glance_at_each_other_when_the_speaker_changes(tmp_path):
    live, events = live_show(tmp_path, ["Mei: Hello everyone, welcome to the shop.", "Jun: Thank you, Mei."])
    live.run_until(RATE * 8)
    jun = lines_of(events)[1]
    assert jun["host"] == "Jun"
    start = jun["tick"]
    live2, _ = live_show(tmp_path, ["Mei: Hello everyone, welcome to the shop.", "Jun: Thank you, Mei."], name="t")
    live2.run_until(start - 2)                                  # just before Jun's first word ...
    assert gaze_error(live2, 1, eyes_of(live2, 0)) < 6.0         # ... he looks at Mei
    live2.run_until(start + 25)                                 # as he speaks, she looks at him
    assert gaze_error(live2, 0, eyes_of(live2, 1)) < 3.0
    # He holds her eyes over the hand-over, then turns to the viewers (or away) to take his turn.
    looks = [e for e in events if e["event"] == "gaze" and e["host"] == "Jun" and start <= e["tick"] <= start + RATE]
    assert looks and looks[0]["target"] in ("camera", "away") and looks[0]["tick"] >= start + RATE // 3


def head_turns(live, h, ticks):
    """Host h's head rotation per tick (quaternions)."""
    out = []
    for tick in ticks:
        live.run_until(tick)
        out.append(live.world.rotations[h, BONE_INDEX["head"]].copy())
    return np.array(out)


def test_the_listener_nods_on_the_speakers_stresses(tmp_path):
    text = "Mei: This kettle is *really* quiet, it boils *fast*, and it looks *great* in every kitchen."
    nodding, _ = live_show(tmp_path, [text], name="a")
    still, _ = live_show(tmp_path, [text], name="b")
    still.world.config = {**still.world.config, "nods": {**still.world.config["nods"], "backchannel_scale": 0.0}}
    ticks = range(0, RATE * 6)
    a, b = head_turns(nodding, 1, ticks), head_turns(still, 1, ticks)
    diff = np.degrees([quat.angle_between(p, q) for p, q in zip(a, b)])
    assert diff[:5].max() < 1e-6                                # the same host otherwise, tick for tick
    assert diff.max() > 1.5                                     # Jun nods to what Mei stresses ...
    nod_ticks = np.flatnonzero(diff > 0.5)
    assert nod_ticks.min() > 0.2 * RATE                         # ... after she starts, not before


def test_hosts_look_at_a_product_as_a_line_names_it(tmp_path):
    live, events = live_show(tmp_path, ["Jun: And now something special, our green tea from Hangzhou."])
    live.run_until(RATE * 6)
    named = [e for e in events if e["event"] == "gaze" and e.get("target") == "product:tea"]
    assert named
    tea = next(p for p in live.spec.products if p.id == "tea").piece.centre
    fresh, _ = live_show(tmp_path, ["Jun: And now something special, our green tea from Hangzhou."], name="f")
    fresh.run_until(named[0]["tick"] + round(0.35 * RATE))
    assert gaze_error(fresh, 0, tea) < 6.0 and gaze_error(fresh, 1, tea) < 6.0


LONG = ("Mei: The kettle holds one point seven litres, and it stays quiet while it works.",
        "Jun: That is a good deal.")


def test_a_viewer_answer_waits_for_the_phrase_boundary(tmp_path):
    live, events = live_show(tmp_path, list(LONG))
    live.run_until(RATE * 3 // 2)                               # "... seven litres|, and it stays ..."
    speaking = live.world.line_at(0, live.tick)
    reply = live.handle(json.dumps({"user": "ana", "text": "How much is the tea?"}), 0.5)
    assert reply["accepted"] and "25" in reply["answer"] and reply["host"] == "Jun"
    cut = live.world.lines[0][0]
    pause = next(p for p in speaking.utterance.phonemes if not p.ipa and p.start > 1.5 and p.end - p.start > 0.08)
    assert cut.end_tick == speaking.start_tick + int(np.ceil(pause.start * RATE))   # at the pause after "litres,"
    assert cut.end_tick < speaking.end_tick and not any(w.start >= pause.start for w in cut.utterance.words)
    assert np.abs(cut.utterance.audio[-50:].astype(float)).max() < 300            # faded out, no click
    assert reply["tick"] >= cut.end_tick                                            # the answer after her phrase
    live.run_until(RATE * 15)
    said = lines_of(events)
    order = [(e["host"], e["tick"]) for e in said]
    answer = next(t for h, t in order if h == "Jun")
    later = [t for h, t in order if t > answer]
    assert said[1]["text"] == "Hi ana!" and said[2]["text"].startswith("The West Lake green tea gift box")
    assert said[3]["text"] == "That is a good deal."
    assert later and later[0] >= reply["tick"] + round(0.25 * RATE)                 # the script resumes after it


def test_an_answer_is_said_sentence_by_sentence_without_a_gap(tmp_path):
    """The first sentence goes on air as soon as it is synthesised; the rest follows it at once."""
    live, events = live_show(tmp_path, list(LONG))
    live.run_until(RATE)
    reply = live.handle(json.dumps({"user": "ana", "text": "How much is the tea?"}), 0.5)
    assert reply["answer"] == "Hi ana! The West Lake green tea gift box is only 25 USD."
    first, rest = live.world.lines[live.world.names.index(reply["host"])][:2]
    assert first.utterance.text == "Hi ana!" and rest.utterance.text.startswith("The West Lake")
    assert first.start_tick == reply["tick"] and rest.start_tick == first.end_tick + round(0.25 * RATE)


def test_the_answering_host_turns_to_the_viewers_before_its_answer_is_synthesised(tmp_path):
    from runtime.controllers.attention import Look
    live, _ = live_show(tmp_path, list(LONG))
    live.run_until(RATE)
    _, _, h, _ = live.read(json.dumps({"user": "ana", "text": "How much is the tea?"}), 0.5)
    live.run_until(live.tick + 1)                      # nothing synthesised yet: the host already turns
    assert live.world.attention.look[h] == Look.CAMERA


def test_a_phrase_too_long_to_wait_for_yields_at_the_next_word(tmp_path):
    live, _ = live_show(tmp_path, list(LONG))
    live.run_until(RATE // 2)                                   # "The kettle hol|ds": the comma is 1.7 s away
    speaking = live.world.line_at(0, live.tick)
    reply = live.handle(json.dumps({"user": "ana", "text": "How much is the tea?"}), 0.5)
    cut = live.world.lines[0][0]
    words = [speaking.start_tick + int(np.ceil(w.start * RATE)) for w in speaking.utterance.words]
    assert cut.end_tick in words and cut.end_tick - live.tick <= RATE       # at a word's start, within a second
    assert reply["tick"] - live.tick <= 1.5 * RATE                          # the answer's first word within 1.5 s


def test_an_interrupt_stops_at_the_next_word_and_both_hosts_react_within_200_ms(tmp_path):
    live, events = live_show(tmp_path, ["Mei: The kettle holds one point seven litres, and it stays quiet while "
                                        "it works."])
    live.run_until(RATE * 2)
    line = live.world.line_at(0, live.tick)
    stop = live.director.interrupt()
    word_ticks = {line.start_tick + int(np.ceil(w.start * RATE)) for w in line.utterance.words}
    assert stop in word_ticks and stop - live.tick <= 0.6 * RATE                 # at a word, not mid-word
    live.run_until(live.tick + round(0.2 * RATE))
    camera = live.spec.cameras[0].position
    for h in range(2):
        assert gaze_error(live, h, camera) < 6.0                                  # both face the viewers
    assert live.world.line_at(0, stop) is None
    assert [e for e in events if e["event"] == "interrupt"]


def test_the_speech_clock_carries_half_samples():
    clock = SpeechClock(22050, 60)                    # 367.5 samples a tick
    clock.advance(999_999)
    assert clock.samples == 1_000_000 * 22050 // 60   # a million ticks later, not a sample off
    clock.on_event({"event": "line", "tick": 1_000_000})
    assert clock.drift_ticks < 1 / 367


def test_ten_minutes_on_air_hold(tmp_path):
    report = soak(PROJECT / "scenes" / "shop_show.toml", hours=10 / 60, per_minute=12, progress=False)
    assert report.ticks == 10 * 60 * RATE
    assert report.exceptions == 0
    assert report.drift_ticks < 1 / 367                # under one sample at 22050 Hz
    assert not report.judged and report.growth < 0.05  # memory is judged over longer runs (cohost soak)
    assert report.lines > 100 and report.answered > 20
    assert report.messages["accepted"] > 80 and sum(report.messages.values()) > report.messages["accepted"]
    minutes, resident, own, files = zip(*report.samples)
    assert minutes == tuple(range(11)) and all(abs(r - o - f) < 2**20 for r, o, f in zip(resident, own, files))
    plot_memory(report, tmp_path / "memory.png")
    picture = np.asarray(Image.open(tmp_path / "memory.png").convert("L"))
    assert picture.shape[1] > 800 and picture.std() > 10               # lines drawn, not a blank page


def hold_show(tmp_path, line):
    path = tmp_path / "hold.show.toml"
    path.write_text(f'[show]\nset = "{PROJECT / "scenes" / "shop_studio.toml"}"\nloop = false\n'
                    f'[[segments]]\nproduct = "kettle"\nhold = "Mei"\nlines = ["{line}"]\n')
    show = load_show(path)
    return LiveShow(show.spec, show)


def test_a_host_picks_the_product_up_shows_it_and_puts_it_back(tmp_path):
    live = hold_show(tmp_path, "Mei: Look at this kettle, it boils a full litre in under three minutes.")
    frames, heights, hold = {}, [], None
    for tick in range(RATE * 9):
        live.run_until(tick)
        hold = live.world.holds[0] or hold
        if "kettle" in live.world.carried:
            frames.setdefault("first", live.world.carried["kettle"].copy())
            frames["last"] = live.world.carried["kettle"].copy()
            heights.append(frames["last"][2, 3])
    assert hold.grip is not None                                        # the fingers closed on it
    assert max(heights) - heights[0] > 0.12                             # lifted up to the viewers
    moved = frames["last"] @ np.linalg.inv(frames["first"])             # where the hand took it to, and left it
    turned = np.degrees(np.arccos(np.clip((np.trace(moved[:3, :3]) - 1) / 2, -1.0, 1.0)))
    assert np.linalg.norm(moved[:3, 3]) < 0.002 and turned < 0.5
    assert live.world.holds[0] is None and not live.world.carried


def test_holding_a_product_the_host_gestures_with_the_free_hand(tmp_path):
    live = hold_show(tmp_path, "Mei: It is light, and [present_product:kettle]it stays quiet while it works.")
    sk = live.world.cast[0].skeleton
    left, right = sk.index("leftHand"), sk.index("rightHand")
    wrists = []
    hold = None
    for tick in range(RATE * 5):
        live.run_until(tick)
        hold = live.world.holds[0] or hold
        if hold.release is not None and tick >= hold.release:           # putting it back: over
            break
        if tick > RATE * 2:                                             # held up by now
            rot = live.world.rotations[0]
            wrists.append(sk.world_positions(rot)[[left, right]])
    wrists = np.array(wrists)
    assert hold.side == "right" and len(wrists) > RATE
    still, free = wrists[:, 1], wrists[:, 0]
    assert np.ptp(still, axis=0).max() < 0.03                           # the right hand keeps the kettle up
    assert np.linalg.norm(np.diff(free, axis=0), axis=1).sum() > 0.3     # the left one presents it


def test_a_question_read_while_the_hosts_are_busy_is_not_answered_and_its_viewer_is_greeted_later(tmp_path):
    live, _ = live_show(tmp_path, ["Mei: Welcome to the shop, everyone."])
    live.run_until(RATE)
    first = live.handle(json.dumps({"user": "ben", "text": "How much is the kettle?"}), 1.0)
    busy = live.handle(json.dumps({"user": "ana", "text": "Is the tea in stock?"}), 1.1)
    assert first["host"] and "39" in first["answer"]
    assert busy == {"accepted": True, "now": live.tick, "reason": "hosts busy: read, not answered",
                    "answer": None, "host": None, "tick": None}              # no answer claimed that is never said
    live.run_until(live.tick + RATE * 8)                                     # ben's answer said
    later = live.handle(json.dumps({"user": "ana", "text": "What colours does the phone come in?"}), 9.0)
    assert later["answer"].startswith("Hi ana!") and "midnight blue" in later["answer"]


def test_an_answer_is_split_at_its_sentences_not_at_a_decimal_point():
    from runtime.show.live import first_sentence
    assert first_sentence("The kettle's capacity: 1.7 L. It boils fast.") == ("The kettle's capacity: 1.7 L.",
                                                                            "It boils fast.")
    assert first_sentence("只要39美元。今天包邮！") == ("只要39美元。", "今天包邮！")
    assert first_sentence("Version 2.5 ships today") == ("Version 2.5 ships today", "")
