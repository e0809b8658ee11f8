"""Voices: a Piper neural voice with its own phoneme timing, alongside eSpeak NG, measured from the audio,
the phoneme timeline, the lips it drives and a show that uses it."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.show.staging import performance
from runtime.skeleton.face import VISEMES
from runtime.speech.espeak import Espeak
from runtime.speech.track import VisemeTrack
from runtime.speech.utterance import SAMPLE_RATE, SpeechError, Voice
from runtime.speech.voices import synthesize
from runtime.tomlfile import FileError
from runtime.sets.setfile import load_set

from helpers import PROJECT

JOE = Voice(engine="piper", model="en_US-joe-medium")
TEXT = "Welcome to the shop! This green tea is only 25 dollars, my friend."


@pytest.fixture(scope="module")
def joe():
    return synthesize(TEXT, JOE)


def test_a_piper_voice_gives_audio_phonemes_and_words(joe):
    assert joe.sample_rate == SAMPLE_RATE and 2.0 < joe.duration < 8.0
    starts, ends = np.array([p.start for p in joe.phonemes]), np.array([p.end for p in joe.phonemes])
    assert starts[0] == 0.0 and np.allclose(starts[1:], ends[:-1]) and (ends > starts).all()
    assert abs(ends[-1] - joe.duration) < 2 / SAMPLE_RATE           # the timeline covers the audio exactly
    assert sum(p.stressed for p in joe.phonemes) >= 8              # welcome, shop, green, tea, only, ...
    espeak = Espeak.get().synthesize(TEXT, Voice())
    assert [w.text for w in joe.words] == [w.text for w in espeak.words]
    assert all(a.start < b.start for a, b in zip(joe.words, joe.words[1:]))
    shop = next(w for w in joe.words if w.text == "shop")
    sh = next(p for p in joe.phonemes if p.ipa == "ʃ")
    assert abs(shop.start - sh.start) < 1e-9                       # a word starts at its first sound


def test_the_timeline_matches_the_audio(joe):
    """Vowels are loud and the pauses between sentences quiet, where the alignment puts them."""
    audio = joe.audio.astype(float)

    def rms(p):
        seg = audio[int(p.start * SAMPLE_RATE):int(p.end * SAMPLE_RATE)]
        return np.sqrt(np.mean(seg ** 2))
    vowels = [rms(p) for p in joe.phonemes if p.ipa[:1] in "aɛɪiɑʌoʊə"]
    pauses = [rms(p) for p in joe.phonemes if p.ipa == "" and p.end - p.start > 0.05]
    assert len(pauses) >= 2 and np.median(vowels) > 8 * np.median(pauses)


def test_the_lips_close_on_m_and_open_on_ah(joe):
    track = VisemeTrack.from_utterance(joe, 60)
    pp, aa = VISEMES.index("PP"), VISEMES.index("aa")
    closed = [p for p in joe.phonemes if p.ipa == "m"]
    open_ = [p for p in joe.phonemes if p.ipa == "ɑː"]
    assert closed and open_
    for p in closed:
        assert track.weights[int(p.centre * 60), pp] > 0.5, p
    for p in open_:
        assert track.weights[int(p.centre * 60)].argmax() == aa, p


def test_a_slower_rate_makes_longer_speech(joe):
    slow = synthesize(TEXT, Voice(engine="piper", model="en_US-joe-medium", rate=120))
    assert 1.2 < slow.duration / joe.duration < 1.5                # 165 / 120 = 1.375


def test_a_host_speaks_with_piper_in_a_show(tmp_path):
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace('rig = "rigs/', f'rig = "{PROJECT}/rigs/')
    text = text.replace('name = "Jun"\n', 'name = "Jun"\nvoice = { engine = "piper", model = "en_US-joe-medium" }\n')
    (tmp_path / "shop.toml").write_text(text)
    _, ticker = performance(tmp_path / "shop.toml", ["Jun: Hello, and welcome!", "Mei: Hello!"])
    jun, mei = (ticker.world.lines[ticker.world.names.index(n)][0] for n in ("Jun", "Mei"))
    assert jun.utterance.voice.engine == "piper" and mei.utterance.voice.engine == "espeak"
    assert jun.utterance.duration * 60 <= jun.track.ticks <= jun.utterance.duration * 60 + 10
    vowel = next(p for p in jun.utterance.phonemes if p.stressed)      # the 'ɛ' of "Hello"
    ticker.run_until(jun.start_tick + round(vowel.centre * 60))
    h = ticker.world.names.index("Jun")
    assert ticker.world.speaking[h] and ticker.world.visemes[h, 0] < 0.5     # the mouth open on his vowel


@pytest.mark.parametrize("voice, message", [
    ('{ engine = "pipr" }', "voice.engine: unknown engine 'pipr'; did you mean 'piper'?"),
    ('{ engine = "piper" }', "a Piper voice needs its model"),
])
def test_a_bad_voice_is_named_where_it_is_written(tmp_path, voice, message):
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace('name = "Jun"\n', f'name = "Jun"\nvoice = {voice}\n')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError) as error:
        load_set(tmp_path / "shop.toml")
    line = text.splitlines().index(f"voice = {voice}") + 1
    assert f"shop.toml:{line}:" in str(error.value) and message in str(error.value)


def test_a_missing_piper_voice_says_what_is_installed(tmp_path):
    with pytest.raises(SpeechError, match=r"no Piper voice 'en_GB-nobody' is installed \(installed: .*en_US-joe-medium"):
        synthesize("Hello", Voice(engine="piper", model="en_GB-nobody"))
    with pytest.raises(SpeechError, match=r"nobody\.onnx not found"):
        synthesize("Hello", Voice(engine="piper", model=str(tmp_path / "nobody.onnx")))


def test_espeak_and_piper_share_a_process():
    """Piper carries its own eSpeak NG: both engines speak in one process, in either order."""
    code = ("from runtime.speech.voices import synthesize\nfrom runtime.speech.utterance import Voice\n"
            "a = synthesize('Hello there.', Voice())\n"
            "b = synthesize('Hello there.', Voice(engine='piper', model='en_US-joe-medium'))\n"
            "c = synthesize('Hello there.', Voice())\n"
            "print(len(a.phonemes), len(b.phonemes), len(c.phonemes))\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    first, piper, again = map(int, run.stdout.split())
    assert first == again and piper >= first - 2


def test_a_neural_voice_hands_other_languages_to_espeak():
    """A Mandarin answer or segment for a host with an English Piper voice is said by eSpeak NG in Mandarin."""
    assert JOE.speaking("cmn") == Voice(language="cmn", rate=JOE.rate)
    assert JOE.speaking("en-gb") == Voice(language="en-gb", engine="piper", model="en_US-joe-medium")
    assert Voice(variant="f3").speaking("cmn") == Voice(language="cmn", variant="f3")
    chinese = Voice(engine="piper", model="/voices/zh_CN-huayan-medium.onnx")
    assert chinese.speaking("cmn").engine == "piper"


def test_cohost_say_with_a_neural_voice_writes_audio_and_a_plot(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "say", *a], cwd=PROJECT,  # noqa: E731
                                    capture_output=True, text=True, timeout=300)
    out = run("Welcome to the shop!", "--host", "Jun", "--piper", "en_US-joe-medium", "--out", str(tmp_path / "j.wav"),
              "--plot", str(tmp_path / "j.png"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("en_US-joe-medium: ") and (tmp_path / "j.png").stat().st_size > 20000
    import wave
    with wave.open(str(tmp_path / "j.wav")) as w:
        assert w.getframerate() == SAMPLE_RATE and 0.8 < w.getnframes() / SAMPLE_RATE < 3.0
    out = run("Hi", "--plot", str(tmp_path / "j.jpg"))
    assert out.returncode == 2 and "j.jpg" in out.stderr


@pytest.mark.parametrize("engine", [Voice(), JOE])
def test_an_emotion_is_heard_in_rate_and_loudness(engine):
    from dataclasses import replace
    line = "Thank you so much for your order, it ships today."
    neutral, happy, sad = (synthesize(line, replace(engine, emotion=e)) for e in ("neutral", "happy", "sad"))

    def loudness(u):
        return float(np.sqrt(np.mean(u.audio.astype(float) ** 2)))
    assert happy.duration < neutral.duration < sad.duration
    assert loudness(sad) < loudness(neutral) < loudness(happy)
    assert happy.voice.emotion == "happy" and len(happy.phonemes) > 20


def test_an_unknown_emotion_is_named_where_it_is_written(tmp_path):
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace(
        'name = "Jun"\n', 'name = "Jun"\nvoice = { emotion = "hapy" }\n')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError, match=r"shop\.toml:\d+:\d+: hosts\[1\]\.voice\.emotion: unknown emotion 'hapy'; "
                                        r"did you mean 'happy'\?"):
        load_set(tmp_path / "shop.toml")


def test_chinese_characters_are_said_in_mandarin_whatever_the_voice():
    for voice in (Voice(variant="m3"), JOE):
        said = synthesize("大家好，欢迎来到直播间。", voice)
        assert said.voice.language == "cmn" and said.voice.engine == "espeak", voice
        assert sum(p.ipa != "" for p in said.phonemes) >= 15         # spoken, not spelt out as "Chinese letter"


def test_a_broken_or_missing_piper_voice_is_a_clear_error(tmp_path):
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    (tmp_path / "broken.onnx.json").write_text("{}")
    with pytest.raises(SpeechError, match=r"Piper could not load the voice .*broken\.onnx .*is it a Piper \.onnx"):
        synthesize("Hello", Voice(engine="piper", model=str(tmp_path / "broken.onnx")))
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace(
        'name = "Jun"\n', 'name = "Jun"\nvoice = { engine = "piper", model = "en_GB-nobody" }\n')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError, match=r"shop\.toml:\d+:\d+: hosts\[1\]\.voice\.model: no Piper voice 'en_GB-nobody'"):
        load_set(tmp_path / "shop.toml")
