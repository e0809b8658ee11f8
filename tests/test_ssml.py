"""SSML lines: what each element does to the words, the audio and the timeline, gestures from bookmarks,
and clear errors, in a show as much as alone."""
import numpy as np
import pytest

from runtime.gesture.markup import MarkupError, parse_markup
from runtime.show.staging import performance
from runtime.speech.ssml import parse
from runtime.speech.utterance import SAMPLE_RATE, Voice
from runtime.speech.voices import synthesize
from runtime.tomlfile import FileError

from helpers import PROJECT

SHOP = PROJECT / "scenes" / "shop_studio.toml"


def rms(u, start: float, end: float) -> float:
    seg = u.audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)].astype(float)
    return float(np.sqrt(np.mean(seg ** 2))) if len(seg) else 0.0


def test_every_element_changes_what_is_said():
    spoken = parse('<speak>Only <say-as interpret-as="currency">$39.50</say-as>, <sub alias="for free">free</sub>'
                   ' on <say-as interpret-as="date" format="ymd">2026-12-01</say-as>. Call '
                   '<say-as interpret-as="telephone">555-0123</say-as>, <say-as interpret-as="characters">TV</say-as>'
                   ' <say-as interpret-as="cardinal">12,000</say-as> <voice xml:lang="cmn">大家好</voice></speak>')
    assert spoken.markup == ("Only 39 dollars 50 cents, for free on December 1, 2026. Call 5 5 5, 0 1 2 3, T V 12000 "
                             "大家好")
    assert spoken.pieces[-1].language == "cmn" and spoken.pieces[-1].text == "大家好"


def test_prosody_and_emphasis_set_each_pieces_voice():
    spoken = parse('<speak><prosody rate="slow" pitch="+2st" volume="+6dB">slowly <emphasis level="strong">'
                   'now</emphasis></prosody> <prosody rate="150%">quick</prosody></speak>')
    slow, now, quick = spoken.pieces
    assert (slow.rate, slow.pitch, round(slow.volume, 2)) == (0.8, 6, 2.0)
    assert now.rate == pytest.approx(slow.rate * 0.85) and now.volume == pytest.approx(slow.volume * 1.4)
    assert quick.rate == 1.5 and spoken.markup == "slowly *now* quick"


def test_a_break_is_silence_of_its_length_in_the_audio_and_the_timeline():
    u = synthesize('<speak>Welcome back everyone. <break time="800ms"/> The kettle is here.</speak>', Voice())
    pause = next(p for p in u.phonemes if p.ipa == "" and abs(p.end - p.start - 0.8) < 1e-9)
    assert rms(u, pause.start, pause.end) < 1.0 < rms(u, 0.0, pause.start)
    kettle = next(w for w in u.words if w.text == "kettle")
    assert kettle.start > pause.end                            # the words after the break come after it


def test_rate_and_volume_reach_the_audio():
    text = "This kettle boils a full litre in three minutes."
    plain = synthesize(f"<speak>{text}</speak>", Voice())
    slow = synthesize(f'<speak><prosody rate="x-slow">{text}</prosody></speak>', Voice())
    soft = synthesize(f'<speak><prosody volume="x-soft">{text}</prosody></speak>', Voice())
    assert 1.4 < slow.duration / plain.duration < 1.9          # 165 words a minute down to 99
    assert 0.2 < rms(soft, 0, soft.duration) / rms(plain, 0, plain.duration) < 0.3


def test_a_neural_voice_takes_ssml_too():
    u = synthesize('<speak>Hello there. <break time="1s"/> Welcome!</speak>',
                   Voice(engine="piper", model="en_US-joe-medium"))
    assert any(p.ipa == "" and abs(p.end - p.start - 1.0) < 1e-9 for p in u.phonemes)
    assert [w.text for w in u.words] == ["Hello", "there", "Welcome"]


def test_a_bookmark_places_a_gesture_in_a_show():
    line = ('Mei: <speak>Look at <bookmark mark="gesture.point_product:kettle"/>this kettle, '
            '<emphasis>so</emphasis> shiny!</speak>')
    marked = parse_markup(line.split(": ", 1)[1])
    assert marked.placed == {2: ("point_product", "kettle")} and [w.text for w in marked.words if w.emphasised] == ["so"]
    _, ticker = performance(SHOP, [line])
    said = ticker.world.lines[0][0]
    assert said.utterance.text == "Look at this kettle, so shiny!"
    assert any(p.gesture.name == "point_product" and p.target == "kettle" for p in said.gestures)


@pytest.mark.parametrize("line, message", [
    ('<speak>Hello <break time="fast"/></speak>', 'SSML: <break time="fast">: expected e.g. 500ms or 1.5s'),
    ("<speak>Hello <b>there</b></speak>", "SSML: unknown element <b>; expected one of speak, break"),
    ('<speak>Hello <prosody rate="x">there</speak>', "SSML 1:39: mismatched tag"),
    ('<speak><say-as interpret-as="date">2026-13-01</say-as></speak>', "no month 13"),
    ('Hello <break time="1s"/> there', "SSML must be the whole line, inside <speak>...</speak>"),
])
def test_bad_ssml_is_a_clear_error(line, message):
    with pytest.raises(MarkupError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_markup(line)


def test_bad_ssml_in_a_show_script_names_its_file_and_line(tmp_path):
    show = (PROJECT / "scenes" / "shop_show.toml").read_text()
    first = next(l for l in show.splitlines() if l.strip().startswith('"Mei:'))
    bad = first.replace('"Mei: ', '"Mei: <speak>Hello <break time=5/></speak> ', 1)
    (tmp_path / "show.toml").write_text(show.replace(first, bad, 1).replace('set = "', f'set = "{PROJECT}/scenes/', 1))
    from runtime.show.script import load_show
    with pytest.raises(FileError, match=r"show\.toml:\d+:\d+: .*SSML 1:\d+: not well-formed"):
        load_show(tmp_path / "show.toml")


def test_cohost_say_refuses_bad_ssml_clearly():
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "runtime", "say", '<speak>Hi <break time="soon"/></speak>'],
                         cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stderr.strip() == (
        'cohost say: SSML: <break time="soon">: expected e.g. 500ms or 1.5s') and "Traceback" not in out.stderr
