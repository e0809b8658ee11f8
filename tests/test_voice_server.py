"""A voice from a real TTS server on 127.0.0.1 (OpenAI-style, Piper behind it): its audio, timing found by
forced alignment, and the local voice taking over when the server is down, silent or refuses."""
import logging
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from runtime.sets.setfile import load_set
from runtime.speech import server
from runtime.speech.utterance import Voice
from runtime.speech.visemes import jaw_opening, viseme_weights
from runtime.speech.voices import synthesize
from runtime.tomlfile import FileError

from helpers import PROJECT

TEXT = "Welcome to the shop! This kettle boils a full litre in three minutes."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def url():
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(PROJECT / "tests" / "tts_server.py"), str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_host_speaks_through_a_tts_server(url):
    said = synthesize(TEXT, Voice(engine="server", url=url, model="tts-1", server_voice="joe"))
    truth = synthesize(TEXT, Voice(engine="piper", model="en_US-joe-medium"))     # the same voice, its own timing
    assert said.voice.engine == "server" and abs(said.duration - truth.duration) < 0.05
    got, want = (viseme_weights(u.phonemes, 60, truth.duration) for u in (said, truth))
    n = min(len(got), len(want))
    assert np.mean((jaw_opening(got[:n]) > 0.15) == (jaw_opening(want[:n]) > 0.15)) >= 0.85
    assert [w.text for w in said.words][:3] == ["Welcome", "to", "the"]


def test_the_rate_reaches_the_server(url):
    normal = synthesize(TEXT, Voice(engine="server", url=url))
    slow = synthesize(TEXT, Voice(engine="server", url=url, rate=110))
    assert 1.3 < slow.duration / normal.duration < 1.7                 # 165 / 110 = 1.5


def test_a_failing_server_hands_the_line_to_the_local_voice(url, caplog):
    closed = f"http://127.0.0.1:{free_port()}"
    with socket.socket() as silent:                  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        mute = f"http://127.0.0.1:{silent.getsockname()[1]}"
        cases = ((closed, "did not answer"), (mute, "did not answer: timed out"), (url + "/nowhere", "answered 404"))
        for where, why in cases:
            caplog.clear()
            began = time.perf_counter()
            with caplog.at_level(logging.WARNING):
                said = server.synthesize(TEXT, Voice(engine="server", url=where, language="en-us"), timeout=1.0)
            assert said.voice.engine == "espeak" and len(said.phonemes) > 20, where
            assert why in caplog.text and "eSpeak NG says the line instead" in caplog.text, caplog.text
            assert time.perf_counter() - began < 5.0


def test_a_server_voice_needs_its_url(tmp_path):
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace(
        'name = "Jun"\n', 'name = "Jun"\nvoice = { engine = "server", model = "tts-1" }\n')
    (tmp_path / "shop.toml").write_text(text)
    with pytest.raises(FileError, match=r"shop\.toml:\d+:\d+: .*a TTS server voice needs its url"):
        load_set(tmp_path / "shop.toml")
