"""Whether the window can play sound, decided before Panda3D opens its audio library.

Without a sound device OpenAL prints a dozen ALSA errors and the show is silent with no word why; so
the window looks for a device first, and when there is none it says so in one line and runs with
Panda3D's null audio.
"""
from __future__ import annotations

import os
from pathlib import Path


def sound_device(env: dict[str, str] | None = None, dev: Path = Path("/dev/snd")) -> str | None:
    """The sound output found (a PulseAudio/PipeWire server or an ALSA playback device), or None."""
    env = os.environ if env is None else env
    if env.get("PULSE_SERVER"):
        return f"PulseAudio server {env['PULSE_SERVER']}"
    runtime_dir = Path(env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}")
    for socket, name in (("pulse/native", "PulseAudio"), ("pipewire-0", "PipeWire")):
        if (runtime_dir / socket).exists():
            return f"{name} ({runtime_dir / socket})"
    playback = sorted(dev.glob("pcmC*D*p")) if dev.is_dir() else []
    return f"ALSA {playback[0].name}" if playback else None


NO_SOUND = ("cohost: no sound device (no PulseAudio or PipeWire server, nothing in /dev/snd): the hosts "
            "speak silently in the window; 'cohost render SHOW --out show.mp4' keeps their voices")


def audio_library() -> str:
    """Panda3D's `audio-library-name`: OpenAL when there is a device, else the null library, said once."""
    if sound_device() is not None:
        return "p3openal_audio"
    print(NO_SOUND, flush=True)
    return "null"
