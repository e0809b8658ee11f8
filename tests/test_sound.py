"""The window looks for a sound device before opening audio, and says so in one line when there is none."""
from pathlib import Path

from runtime.scene.sound import sound_device


def test_no_server_and_no_device_is_none(tmp_path):
    assert sound_device({"XDG_RUNTIME_DIR": str(tmp_path)}, dev=tmp_path / "snd") is None


def test_an_alsa_playback_device_is_found_and_capture_only_is_not(tmp_path):
    dev = tmp_path / "snd"
    dev.mkdir()
    (dev / "pcmC0D0c").touch()                     # a microphone only: nothing to play on
    assert sound_device({"XDG_RUNTIME_DIR": str(tmp_path)}, dev=dev) is None
    (dev / "pcmC0D0p").touch()
    assert sound_device({"XDG_RUNTIME_DIR": str(tmp_path)}, dev=dev) == "ALSA pcmC0D0p"


def test_a_sound_server_socket_or_address_is_found(tmp_path):
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert sound_device({"XDG_RUNTIME_DIR": str(tmp_path)}, dev=Path("/nonexistent")).startswith("PulseAudio")
    assert sound_device({"PULSE_SERVER": "tcp:studio:4713"}, dev=Path("/nonexistent")) == \
        "PulseAudio server tcp:studio:4713"
