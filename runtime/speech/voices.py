"""Saying a line with the host's voice, whatever engine it names, and keeping prepared lines."""
from __future__ import annotations

from .espeak import Espeak
from ..tomlfile import unknown_name
from .utterance import ENGINES, SpeechError, Utterance, Voice


def synthesize(text: str, voice: Voice) -> Utterance:
    """A line said once (a live answer): synthesised by the voice's engine, not kept."""
    if voice.engine == "espeak":
        return Espeak.get().synthesize(text, voice)
    if voice.engine == "piper":
        from .piper import Piper          # the neural voices are an extra: loaded when a host uses one
        return Piper.get().synthesize(text, voice)
    if voice.engine == "server":
        from . import server
        return server.synthesize(text, voice)
    raise SpeechError(unknown_name(voice.engine, ENGINES, "voice engine"))


class LineCache:
    """Prepared lines keyed by text and voice, so a show never waits on synthesis twice. (eSpeak NG's
    output also varies by a few milliseconds from one synthesis to the next: a cached line stays the same.)"""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._lines: dict[tuple[str, Voice], Utterance] = {}

    def get(self, text: str, voice: Voice) -> Utterance:
        key = (text, voice)
        if key not in self._lines:
            if len(self._lines) >= self.size:
                self._lines.pop(next(iter(self._lines)))
            self._lines[key] = synthesize(text, voice)
        return self._lines[key]
