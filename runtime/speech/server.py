"""A studio's own voice from a TTS server that speaks the OpenAI-style `POST /v1/audio/speech` (what hosted
and local TTS servers offer, e.g. for a cloned voice).

The server gives audio only: its phonemes and words come from forced alignment to eSpeak NG saying the
same text (runtime/speech/align.py). A server that is down, slow or answers with an error never stops a
show: the line is said by eSpeak NG in the voice's language instead, and the log says why.
"""
from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
import wave

import numpy as np

from .align import forced_alignment
from .audio import RATE, resample, wav_samples
from .espeak import Espeak
from .utterance import SAMPLE_RATE, SpeechError, Utterance, Voice

log = logging.getLogger(__name__)
TIMEOUT_S = 10.0             # the longest a line waits for the server before the local voice says it
DEFAULT_RATE = 165           # words per minute at the server's speed 1.0


def request(text: str, voice: Voice, timeout: float) -> bytes:
    """The server's WAV for `text`; SpeechError naming the server and what went wrong."""
    body = json.dumps({"model": voice.model, "input": text, "voice": voice.server_voice, "response_format": "wav",
                       "speed": voice.rate / DEFAULT_RATE}).encode()
    url = voice.url.rstrip("/") + "/v1/audio/speech"
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            return answer.read()
    except urllib.error.HTTPError as e:
        raise SpeechError(f"TTS server {url} answered {e.code}: {e.read()[:200].decode(errors='replace')}") from e
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise SpeechError(f"TTS server {url} did not answer: {reason}") from e


def fetch(text: str, voice: Voice, timeout: float) -> tuple[np.ndarray, int]:
    """The server's audio for `text` (mono samples, rate); SpeechError for no answer or no WAV."""
    data = request(text, voice, timeout)
    try:
        return wav_samples(io.BytesIO(data))
    except (ValueError, wave.Error, EOFError) as e:
        raise SpeechError(f"TTS server sent no 16-bit PCM WAV ({e})") from e


def synthesize(text: str, voice: Voice, timeout: float = TIMEOUT_S) -> Utterance:
    """The line from the server, its timing aligned; from eSpeak NG when the server fails."""
    try:
        audio, rate = fetch(text, voice, timeout)
    except SpeechError as e:
        local = Voice(language=voice.language, rate=voice.rate)
        log.warning("%s; eSpeak NG says the line instead", e)
        return Espeak.get().synthesize(text, local)
    audio = resample(audio, rate, SAMPLE_RATE)
    phonemes, words = forced_alignment(resample(audio, SAMPLE_RATE, RATE), text, voice)
    return Utterance(text, voice, SAMPLE_RATE, audio, phonemes, words)
