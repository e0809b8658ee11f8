"""Live lip sync (puppet mode): chunks in, mouth out, fast and in step with the voice."""
import subprocess
import sys

import numpy as np
import pytest

from runtime.skeleton.rigfile import host_skeleton
from runtime.speech.audio import RATE, resample
from runtime.speech.espeak import Espeak
from runtime.speech.utterance import Voice, write_wav
from runtime.speech.live import LiveMouth
from runtime.speech.visemes import OPENNESS, jaw_opening, viseme_weights
from runtime.studio.puppet import FileSource, LiveVoice, StreamSource

from helpers import PROJECT, one_host_world

TICK = 60
TEXT = "안녕하세요 여러분. 이 주전자는 정말 빨리 끓어요. 가격은 삼만 원입니다."


@pytest.fixture(scope="module")
def voice_take():
    u = Espeak.get().synthesize(TEXT, Voice("ko", rate=150))
    truth = jaw_opening(viseme_weights(u.phonemes, TICK, u.duration)) > 0.15
    return resample(u.audio, u.sample_rate, RATE), truth


def test_live_mouth_follows_the_voice(voice_take, capsys):
    audio, truth = voice_take
    mouth = LiveMouth(RATE)
    hop = RATE // TICK
    weights = [mouth.feed(audio[k:k + hop]) for k in range(0, len(audio), hop)]
    mouth.close()
    opened = np.array(weights) @ OPENNESS > 0.15
    n = min(len(opened), len(truth))
    agree = (opened[:n] == truth[:n]).mean()
    with capsys.disabled():
        print(f"\n  live path: {agree:.1%} of ticks agree with eSpeak NG's phonemes on open/closed")
    assert agree >= 0.8


def test_live_mouth_opens_in_the_chunk_the_voice_starts():
    """Latency in chunks, not wall time (that is benchmarked): no buffering between audio and mouth, so
    the chunk in which a voice starts already opens the mouth (one chunk = one tick = 16.7 ms)."""
    hop = RATE // TICK
    tone = (np.sin(2 * np.pi * 220 * np.arange(hop) / RATE) * 12000).astype(np.int16)
    mouth = LiveMouth(RATE)
    quiet = [mouth.feed(np.zeros(hop, np.int16)) for _ in range(10)]
    loud = mouth.feed(tone)
    mouth.close()
    assert all(w @ OPENNESS < 0.05 for w in quiet) and loud @ OPENNESS > 0.3


def test_vosk_refines_live_vowels(voice_take):
    from runtime.speech.lipsync import default_model
    model, _ = default_model()
    if model is None:
        pytest.skip("no vosk model installed")
    audio, _ = voice_take
    mouth = LiveMouth(RATE, model, Voice("ko"))
    for k in range(0, len(audio), RATE // TICK):
        mouth.feed(audio[k:k + RATE // TICK])
    mouth.close()
    assert mouth.partial                                   # the worker heard words while the audio streamed


def test_puppet_driver_reads_one_chunk_per_tick(voice_take):
    audio, truth = voice_take
    # The puppet's live voice is the speech stage's mouth for host 0; the face stage puts it on the face.
    voice = LiveVoice(LiveMouth(RATE), FileSource(audio, RATE, TICK))
    world, ticker = one_host_world(host_skeleton(PROJECT / "rigs" / "mei.glb"), 1, mouths={0: voice})
    faces = []
    for t in range(len(truth)):
        ticker.run_until(t)
        assert np.array_equal(world.face[0, :15], world.visemes[0]) and world.voiced[0]
        faces.append(world.face[0, :15].copy())
    faces = np.array(faces)
    assert ((faces @ OPENNESS > 0.15) == truth).mean() >= 0.8
    assert np.allclose(faces.sum(1), 1.0)


def test_stream_source_hands_over_what_arrived():
    s = StreamSource()
    s.push(np.arange(100, dtype=np.int16))
    s.push(np.arange(50, dtype=np.int16))
    assert len(s.chunk(0)) == 150 and len(s.chunk(1)) == 0


def test_puppet_command_renders_with_the_voice(tmp_path, voice_take):
    audio, _ = voice_take
    write_wav(tmp_path / "v.wav", audio[:RATE * 2], RATE)
    out = subprocess.run([sys.executable, "-m", "runtime", "puppet", str(tmp_path / "v.wav"), "--host", "Jun",
                          "--no-vosk", "--out", str(tmp_path / "p.mp4"), "--size", "320x180", "--fps", "15",
                          "--quiet"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import imageio_ffmpeg
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(tmp_path / "p.mp4"))
    assert frames == 30
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(tmp_path / "p.mp4")], capture_output=True,
                           text=True).stderr
    assert "Audio: aac" in probe
