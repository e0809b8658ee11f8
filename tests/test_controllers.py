"""Gaze, blinks, breathing and nods, measured from the output: joint rotations run through the skeleton,
blink morph weights, and takes of a two-host dialogue analysed like anyone would analyse them."""
import numpy as np
import pytest

from runtime.controllers.config import load_behaviour
from runtime.controllers.gaze import Gaze, main_sequence_s
from runtime.sets.setfile import load_set
from runtime.show.staging import SayError, performance, read_dialogue
from runtime.skeleton import quat
from runtime.skeleton.face import CHANNEL_INDEX
from runtime.skeleton.pose import BONE_INDEX
from runtime.skeleton.rigfile import host_skeleton
from runtime.skeleton.take import placement_matrix, record
from runtime.speech.voices import LineCache
from runtime.studio.report import behaviour_report, find_saccades, gaze_directions
from runtime.world.assemble import world_of
from runtime.world.tick import Ticker, standard_stages

from helpers import PROJECT, assert_error_at, one_host_world, screen_point

CONFIG = load_behaviour()
GAZE = CONFIG["gaze"]
LIMITS = (GAZE["eye_yaw"], GAZE["eye_up"], GAZE["eye_down"])
MEI = host_skeleton(PROJECT / "rigs" / "mei.glb")


LINES = LineCache()                                # one synthesis per line: same inputs, same poses


def dialogue_take(seconds: float, rate: int):
    says = read_dialogue(PROJECT / "scenes" / "dialogue.txt")
    says = says * int(np.ceil(seconds / 40.0))
    _, ticker = performance(PROJECT / "scenes" / "shop_studio.toml", says, gap_s=0.4, tick_rate=rate, cache=LINES)
    return record(ticker, int(seconds * rate))


@pytest.fixture(scope="module")
def ten_minutes():
    take = dialogue_take(600, 60)
    return take, behaviour_report(take, LIMITS)


@pytest.fixture(scope="module")
def fine_take():
    return dialogue_take(90, 240)                  # saccades last 20-250 ms: time them at 240 ticks/s


def test_vor_keeps_the_gaze_on_the_camera_while_the_head_turns():
    rate, camera = 60, np.array([0.0, 1.5, 3.0])
    mid = MEI.world_positions(MEI.rest_pose()[0])[[BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]]].mean(axis=0)
    gaze = Gaze(1, GAZE, mid[None])
    worst = 0.0
    for tick in range(2 * rate):
        rot = MEI.rest_pose()[0][None].copy()
        head_yaw = np.radians(30.0) * min(1.0, tick / rate)               # the body turns the head 30 degrees
        rot[0, BONE_INDEX["head"]] = quat.from_axis_angle([0, 1.0, 0], head_yaw)
        gaze.step(tick / rate, 1 / rate, camera[None], np.array([0]), rot, MEI.offsets[None], np.zeros((1, 3)))
        if tick < 15:
            continue                                                        # the first saccade lands
        world = MEI.local_to_model(rot[0])
        for eye in ("leftEye", "rightEye"):
            m = world[BONE_INDEX[eye]]
            looking, to_camera = m[:3, 2], camera - m[:3, 3]
            worst = max(worst, np.degrees(np.arccos(looking @ to_camera / np.linalg.norm(to_camera))))
    assert worst < 1.0


def test_every_saccade_follows_the_main_sequence(fine_take):
    direction, _ = gaze_directions(fine_take)
    saccades = [s for h in range(2) for s in find_saccades(direction[:, h], fine_take.rate, h)]
    # Timed where the eyes were still before and after: on a moving target the pursuit blurs the ends.
    clear = [s for s in saccades if not s.pursuit]
    assert len(clear) > 80 and len(clear) > 0.5 * len(saccades) and max(s.amplitude for s in clear) > 60
    for s in clear:
        expected = main_sequence_s(s.amplitude, GAZE["saccade_ms_per_degree"], GAZE["saccade_intercept_ms"])
        assert abs(s.duration - expected) <= 0.25 * expected, (s, expected)


def test_a_saccade_cut_off_by_the_end_of_the_take_is_not_timed():
    """Two saccades at 240 ticks/s: the one that lands is found and timed; the one still braking when the
    take ends is left out (its end is not in the take)."""
    u = np.arange(25) / 24
    bell = np.radians(20.0) * (u - np.sin(2 * np.pi * u) / (2 * np.pi))     # 100 ms, as the main sequence has it
    rate, yaw = 240, np.zeros(480)
    yaw[100:125], yaw[125:] = bell, bell[-1]
    # The last: at full speed, braking hard, when the take ends (its last tick still).
    speed = np.radians(np.concatenate([np.linspace(0, 300, 7), np.linspace(300, 100, 7)[1:], [0.0]]))
    yaw[-len(speed):] += np.cumsum(speed) / rate
    direction = np.stack([np.sin(yaw), np.zeros_like(yaw), np.cos(yaw)], -1)
    saccades = find_saccades(direction, rate, 0)
    assert len(saccades) == 1 and abs(saccades[0].onset - 100 / rate) < 3 / rate, saccades


def test_listeners_look_at_the_speaker_more_than_speakers_look_back(ten_minutes):
    _, reports = ten_minutes
    for r in reports:
        assert r.at_partner_listening > r.at_partner_speaking + 0.1, r
        assert r.at_partner_speaking > 0.02                                  # speakers do glance


def test_co_hosts_look_at_each_other_like_co_hosts(ten_minutes):
    _, reports = ten_minutes
    for r in reports:
        assert r.at_partner_listening >= 0.4, r          # the listener mostly on the speaker ...
        assert 0.1 <= r.at_partner_speaking < 0.5, r      # ... the speaker mostly on the viewers
        met, turns = r.handovers
        assert turns > 50 and met >= 0.8 * turns, r       # eye contact around the change of speaker


def test_blink_rates_stay_in_their_configured_ranges(ten_minutes):
    _, reports = ten_minutes
    blink = CONFIG["blink"]
    for r in reports:
        assert blink["speaking"][0] <= r.blinks_speaking <= blink["speaking"][1], r
        assert blink["listening"][0] <= r.blinks_listening <= blink["listening"][1], r
        assert r.blinks_listening < r.blinks_speaking


def test_large_gaze_shifts_carry_a_blink(ten_minutes):
    _, reports = ten_minutes
    carried, shifts = (sum(r.evoked[k] for r in reports) for k in (0, 1))
    assert shifts > 50 and carried >= 0.6 * shifts


def test_eyes_stay_inside_their_limits(ten_minutes):
    take, reports = ten_minutes
    assert all(r.limit_violations == 0 for r in reports)
    eyes = take.rotations[:, :, [BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]]]
    d = quat.rotate(eyes, np.array([0.0, 0.0, 1.0]))
    assert np.degrees(np.abs(np.arctan2(d[..., 0], d[..., 2]))).max() <= GAZE["eye_yaw"] + 1e-6


def test_breathing_rate_from_the_chest(ten_minutes):
    _, reports = ten_minutes
    assert all(12 <= r.breaths_per_minute <= 20 for r in reports)


def test_blinks_close_fast_and_open_slowly(fine_take):
    closure = fine_take.morphs[:, 0, CHANNEL_INDEX["blinkLeft"]]
    rate, level = fine_take.rate, 0.4                 # above what the lids take from looking down
    shut = np.nonzero((closure[1:] >= 0.999) & (closure[:-1] < 0.999))[0] + 1
    assert len(shut) > 5
    for k in shut[:8]:
        start = k
        while closure[start - 1] > level:
            start -= 1
        end = k
        while closure[end + 1] >= 0.999:
            end += 1
        opened = end
        while closure[opened + 1] > level:
            opened += 1
        closing, opening = (k - start) / rate, (opened - end) / rate
        assert closing <= 0.1 and opening > 1.5 * closing, (closing, opening)


def test_same_seed_same_poses():
    a, b = (dialogue_take(3, 60) for _ in range(2))
    assert np.array_equal(a.rotations, b.rotations) and np.array_equal(a.morphs, b.morphs)


def test_record_report_command(tmp_path):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "runtime", "record", "scenes/shop_studio.toml", "--seconds", "20",
                          "--lines", "scenes/dialogue.txt", "--report", "--quiet", "--out", str(tmp_path / "t.npz")],
                         cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for text in ("blinks/min", "gaze at partner", "gaze shifts > 30 deg", "joint-limit violations: 0",
                 "breaths/min", "--tick-rate 240"):
        assert text in out.stdout
    data = np.load(tmp_path / "t.npz")
    assert data["speaking"].any(axis=0).all()                         # both hosts speak in the take


def test_bad_dialogue_line_names_file_and_line(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("Mei: hello\nthis line has no host\n")
    with pytest.raises(SayError, match=r"d\.txt:2:1: expected 'Host: text'"):
        read_dialogue(path)


@pytest.mark.parametrize("where", ["product", "screen"])
def test_a_host_looks_at_a_product_or_a_screen_position(where):
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    skeletons = [host_skeleton(h.rig) for h in spec.hosts]
    world = world_of(spec, skeletons)
    ticker = Ticker(world, standard_stages(world))
    product = spec.products[0].piece
    point = (np.array(product.centre) if where == "product"
             else screen_point(spec.cameras[0], -0.6, 0.5, 16 / 9))
    ticker.run_until(0)
    world.look_at(0, 0, point, 2.0)
    placement = placement_matrix(spec.hosts[0].position, spec.hosts[0].facing)
    ticker.run_until(59)
    pose = world.pose(0)
    at = placement @ skeletons[0].local_to_model(pose.rotations)
    for eye in ("leftEye", "rightEye"):
        m = at[BONE_INDEX[eye]]
        to_point = point - m[:3, 3]
        assert np.degrees(np.arccos(m[:3, 2] @ to_point / np.linalg.norm(to_point))) < 1.5


def _one_line_take(config, text="Welcome back! This kettle boils a full litre in under three minutes.", seconds=6):
    """Mei says one line starting at 1.5 s; returns (take, the line)."""
    from runtime.speech.utterance import Voice
    from runtime.speech.line import Line
    from runtime.speech.track import VisemeTrack
    utterance = LINES.get(text, Voice("en-us"))
    line = Line(90, utterance, VisemeTrack.from_utterance(utterance, 60))
    world, ticker = one_host_world(MEI, 5, config=config)
    world.say(0, line)
    take = record(ticker, seconds * 60)
    return take, line


def _with(section: str, **values) -> dict:
    return {**CONFIG, section: {**CONFIG[section], **values}}


def test_the_head_nods_on_stressed_syllables():
    (nodding, line), (still, _) = _one_line_take(CONFIG), _one_line_take(_with("nods", degrees=0.0))
    head = BONE_INDEX["head"]
    pitch = lambda take: np.degrees(2 * np.arcsin(take.rotations[:, 0, head, 0]))  # noqa: E731
    diff = pitch(nodding) - pitch(still)
    stressed = [p.start for p in line.utterance.phonemes if p.stressed]
    at = [line.start_tick + int(s * 60) + 7 for s in stressed]                 # the nod's bottom, 0.12 s in
    assert np.max(diff[at]) > 1.5 and np.abs(diff[:line.start_tick]).max() < 1e-9


def test_a_deeper_breath_before_a_long_line():
    (deep, line), (plain, _) = _one_line_take(CONFIG), _one_line_take(_with("breathing", deep=1.0))
    chest = BONE_INDEX["chest"]
    angle = lambda take: np.degrees(2 * np.arcsin(take.rotations[:, 0, chest, 0]))  # noqa: E731
    before = slice(line.start_tick - 54, line.start_tick)                     # the 0.9 s before it starts
    assert np.abs(angle(deep)[before] - angle(plain)[before]).max() > 0.5
    assert np.abs(angle(deep)[:before.start] - angle(plain)[:before.start]).max() < 1e-9


def test_upper_lids_follow_the_eyes_down():
    world, ticker = one_host_world(MEI, 5)
    ticker.run_until(0)
    world.look_at(0, 0, np.array([0.0, -0.6, 0.8]), 5.0)                     # the counter below her
    lids = []
    for t in range(1, 240):
        ticker.run_until(t)
        lids.append(world.face[0, CHANNEL_INDEX["blinkLeft"]])
    lids = lids[30:]                                                         # once down
    assert np.median(lids) > 0.15 and min(lids) > 0.1                      # lowered, not a blink


@pytest.mark.parametrize("old, new, at, message", [
    ("partner_chance = 0.45", "partner_chanse = 0.45", "partner_chanse",
     "gaze.listening.partner_chanse: unknown key 'partner_chanse'; did you mean 'partner_chance'?"),
    ("[gaze.idle]", "[gaze.idel]", "[gaze.idel]", "gaze.idel: unknown key 'idel'; did you mean 'idle'?"),
    ("lid_follow = 0.35", "lid_folow = 0.35", "lid_folow",
     "blink.lid_folow: unknown key 'lid_folow'; did you mean 'lid_follow'?"),
    ("[nods]", "[nod]", "[nod]", "nod: unknown key 'nod'; did you mean 'nods'?"),
])
def test_a_typo_in_the_behaviour_file_names_its_line_and_the_nearest_key(tmp_path, old, new, at, message):
    from runtime.controllers.config import BEHAVIOUR_FILE
    text = BEHAVIOUR_FILE.read_text().replace(old, new, 1)
    assert_error_at(tmp_path / "behaviour.toml", text, load_behaviour, at, message)
