"""Show scripts: the default show's content, errors with file:line:col, the layout on ticks, and a render
that cuts cameras on cue."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.show.script import is_show, lay_out, load_show
from runtime.speech.voices import LineCache
from runtime.tomlfile import FileError

from helpers import PROJECT, assert_error_at, assert_file_error, changed_pixels

SHOW = PROJECT / "scenes" / "shop_show.toml"
CACHE = LineCache()


def test_the_default_show_is_a_real_shop_segment():
    show = load_show(SHOW)
    programme = lay_out(show, CACHE)
    assert programme.end_tick / show.spec.tick_rate >= 120                       # at least two minutes
    assert len({p for _, p in programme.focus}) >= 2                             # products presented
    assert {h.name for h in show.spec.hosts} == {"Mei", "Jun"} and all(programme.lines.values())
    mandarin = [s for s in show.segments if s.language == "cmn"]
    assert mandarin and all(any("\u4e00" <= c <= "\u9fff" for c in text) for s in mandarin for _, text in s.lines)
    lines = sorted((line.start_tick, line.end_tick) for host in programme.lines.values() for line in host)
    assert all(b[0] >= a[1] or b[0] == a[0] for a, b in zip(lines, lines[1:]))  # one at a time, or together
    assert is_show(SHOW) and not is_show(PROJECT / "scenes" / "shop_studio.toml")


def test_a_looping_show_repeats():
    show = load_show(SHOW)
    once, twice = lay_out(show, CACHE), lay_out(show, CACHE, loops=2)
    assert twice.end_tick == 2 * once.end_tick and len(twice.cuts) == 2 * len(once.cuts)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace('"Mei: Hello everyone', '"May: Hello everyone'), r"segments\[0\]\.lines: line 1: no host 'May'"),
    (lambda t: t.replace('camera = "jun"', 'camera = "drone"'), r"segments\[2\]\.camera: no camera 'drone'"),
    (lambda t: t.replace('hold = "Mei"', 'hold = "Lin"'), r"segments\[1\]\.hold: no host 'Lin' to hold"),
    (lambda t: t.replace('price_line = 6 ', 'price_line = 60'), r"segments\[1\]\.price_line: price_line needs .* 1\.\.8"),
    (lambda t: t.replace('[point_product:kettle]this', '[point_prodcut:kettle]this'),
     r"line 1: no gesture 'point_prodcut' in the lexicon"),
    (lambda t: t.replace('product = "phone"', 'product = "toaster"'), r"segments\[2\]\.product: no product 'toaster'"),
    (lambda t: t.replace('[point_product:kettle]this', '[point_product:kettle this'), r"line 1: column \d+: a '\['"),
    (lambda t: t.replace('set = "shop_studio.toml"', 'set = "nowhere.toml"'), r"show\.set: set file not found"),
    (lambda t: t.replace("pause = 1.0", "pause = -1.0"), r"segments\[4\]\.pause: pause must not be negative"),
    (lambda t: t.replace('    "Jun: What about the price?",\n', '    "What about the price?",\n'),
     r"line 5: expected 'Host: text'"),
])
def test_show_errors_name_file_line_and_key(tmp_path, edit, message):
    text = SHOW.read_text(encoding="utf-8")
    err = assert_file_error(tmp_path / "my.show.toml", edit(text), load_show, message, FileError)
    assert err.path.endswith("my.show.toml") and err.line > 1


TWO_SEGMENTS = ('[show]\nset = "shop_studio.toml"\nloop = false\n\n'
                '[[segments]]\ncamera = "wide"\nlines = ["Mei: Hello."]\n\n'
                '[[segments]]\ncamera = "mei"\nlines = ["Jun: Hi."]\n')


@pytest.mark.parametrize("old, new, at, message", [
    ('camera = "mei"', 'camra = "mei"', "camra", "segments[1].camra: unknown key 'camra'; did you mean 'camera'?"),
    ("loop = false", "lop = false", "lop", "show.lop: unknown key 'lop'; did you mean 'loop'?"),
    ("[[segments]]", "[[segment]]", "[[segment]]", "segment: unknown key 'segment'; did you mean 'segments'?"),
])
def test_a_typo_in_a_show_names_its_line_and_the_nearest_key(tmp_path, old, new, at, message):
    assert_error_at(tmp_path / "typo.show.toml", TWO_SEGMENTS.replace(old, new, 1), load_show, at, message)


def test_render_cuts_cameras_on_cue(tmp_path):
    show = tmp_path / "cuts.show.toml"
    show.write_text('[show]\nset = "shop_studio.toml"\nloop = false\n'
                    '[[segments]]\ncamera = "wide"\nlines = ["Mei: Hello."]\n'
                    '[[segments]]\ncamera = "jun"\nproduct = "tea"\nlines = ["Jun: This tea is from Hangzhou."]\n')
    out = subprocess.run([sys.executable, "-m", "runtime", "render", str(show), "--seconds", "3", "--fps", "10",
                          "--size", "160x90", "--out", str(tmp_path / "frames"), "--quiet"], cwd=PROJECT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    from panda3d.core import PNMImage
    frames = sorted((tmp_path / "frames").glob("frame_*.png"))

    def pixels(path):
        img = PNMImage()
        img.read(str(path))
        return np.array([[img.get_xel(x, y) for x in range(0, 160, 4)] for y in range(0, 90, 4)]) * 255
    cut = round(lay_out(load_show(show), CACHE).cuts[1][0] / 60 * 10)           # the frame of the second cut
    before, after = pixels(frames[cut - 2]), pixels(frames[min(cut + 2, len(frames) - 1)])
    assert changed_pixels(before.astype(np.uint8), after.astype(np.uint8)) > 0.5 * before.shape[0] * before.shape[1]


def test_a_price_card_shows_in_the_frame(tmp_path):
    def render(price_line):
        show = tmp_path / f"price{price_line}.show.toml"
        show.write_text('[show]\nset = "shop_studio.toml"\nloop = false\n[[segments]]\nproduct = "tea"\n'
                        + (f"price_line = {price_line}\n" if price_line else "") + 'lines = ["Jun: Only 25 dollars."]\n')
        out = subprocess.run([sys.executable, "-m", "runtime", "render", str(show), "--seconds", "1", "--fps", "8",
                              "--size", "320x180", "--out", str(tmp_path / f"f{price_line}"), "--quiet"],
                             cwd=PROJECT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        from panda3d.core import PNMImage
        img = PNMImage()
        img.read(str(tmp_path / f"f{price_line}" / "frame_00004.png"))
        return np.array([[img.get_xel(x, y) for x in range(320)] for y in range(180)])
    card, plain = render(1), render(None)
    corner = (slice(152, 172), slice(10, 125))                 # lower left, inside the card
    assert np.median(card[corner].mean(-1)) < 0.6 * np.median(plain[corner].mean(-1))    # a dark card ...
    yellow = card[corner][..., 0] - card[corner][..., 2] > 0.35                # red well over blue
    assert yellow.sum() > 20 and not (plain[corner][..., 0] - plain[corner][..., 2] > 0.35).any()  # the price
    rest = (slice(0, 140), slice(0, 320))
    assert np.abs(card[rest] - plain[rest]).mean() < 0.01      # and nothing else changed


def test_unison_lines_start_together_and_stay_within_a_tick():
    show = load_show(SHOW)
    programme = lay_out(show, CACHE)
    mei, jun = programme.lines["Mei"], programme.lines["Jun"]
    pairs = [(a, b) for a in mei for b in jun if a.start_tick == b.start_tick]
    assert len(pairs) == 2 and len(programme.contact) == 2
    for a, b in pairs:
        assert a.utterance.voice.name != b.utterance.voice.name                 # two voices ...
        assert a.track.ticks == b.track.ticks
        jaw_a, jaw_b = a.track.jaw, b.track.jaw
        # ... one timing: every mouth movement of one is matched by the other within a tick.
        for t in range(len(jaw_a)):
            near = jaw_b[max(0, t - 1):t + 2]
            assert near.min() - 0.05 <= jaw_a[t] <= near.max() + 0.05
        audio_a, audio_b = (np.abs(u.utterance.audio.astype(float)) > 500 for u in (a, b))
        assert abs(int(np.argmax(audio_a)) - int(np.argmax(audio_b))) <= 48000 // 60   # sound starts together
    for (tick, seconds), (a, _) in zip(programme.contact, pairs):
        assert a.start_tick == tick + round(seconds * 60)                        # the look comes first


def test_hosts_look_at_each_other_before_a_unison_line():
    from runtime.show.staging import speaking_world
    from runtime.skeleton.pose import BONE_INDEX
    from runtime.skeleton.rigfile import host_skeleton
    from runtime.skeleton.take import record
    from runtime.world.tick import Ticker, standard_stages
    show = load_show(SHOW)
    programme = lay_out(show, CACHE)
    spec = show.spec
    skeletons = [host_skeleton(h.rig) for h in spec.hosts]
    world = speaking_world(spec, skeletons, programme.lines)
    ticker = Ticker(world, standard_stages(world))
    tick, seconds = programme.contact[0]
    ticker.run_until(tick - 1)
    world.eye_contact(tick, seconds)                     # asked for between ticks, as a director cues it
    end = tick + round(seconds * 60)
    take = record(ticker, end - tick)                    # ticks tick .. end - 1
    eyes = take.world([BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]]).astype(float)[end - 5 - tick]  # (H, 2, 4, 4)
    for h in range(2):
        looking = eyes[h, :, :3, 2].sum(axis=0)
        to_partner = eyes[1 - h, :, :3, 3].mean(axis=0) - eyes[h, :, :3, 3].mean(axis=0)
        cos = looking @ to_partner / np.linalg.norm(looking) / np.linalg.norm(to_partner)
        assert np.degrees(np.arccos(cos)) < 3.0
