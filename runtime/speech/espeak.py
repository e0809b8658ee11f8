"""Speech synthesis with exact phoneme timing: eSpeak NG through pyttsx3's own ctypes binding.

pyttsx3 drives libespeak-ng; Cohost uses the same binding with phoneme events switched on, so each
phoneme arrives (as IPA) with its sample position in the audio it belongs to. The library and its data
come from the espeakng-loader wheel: nothing is installed system-wide or fetched at run time.
eSpeak NG is a process-wide engine, so synthesis is serialised behind one lock.
"""
from __future__ import annotations

import ctypes
import os

import numpy as np

from .utterance import SAMPLE_RATE, Engine, Phoneme, SpeechError, Utterance, Voice, Word

EVENT_END_OF_LIST, EVENT_WORD, EVENT_PHONEME = 0, 1, 7
INIT_PHONEME_EVENTS, INIT_PHONEME_IPA = 0x0001, 0x0002
WORDGAP = 7                  # espeakWORDGAP in speak_lib.h (pyttsx3's binding does not name it)
STRESS_MARKS = "ˈˌ"
NOISE_SEED = 1


class _EventId(ctypes.Union):
    _fields_ = (("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8))


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h; pyttsx3's declaration lacks the phoneme `string` member.
    _fields_ = (("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId))


RESTING = Voice()                # the voice eSpeak NG holds between lines


class Espeak(Engine):
    """The process's eSpeak NG engine."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:
            raise SpeechError("the espeakng-loader package is missing (pip install espeakng-loader)") from e
        data = espeakng_loader.get_data_path()
        # Load the wheel's library under its soname first, so pyttsx3's binding binds to it; locally, so
        # its symbols do not stand in for those of the eSpeak NG that Piper carries inside its own module.
        library = ctypes.CDLL(espeakng_loader.get_library_path())
        # Its breath and roughness noise comes from a generator seeded from the clock: seeded before each
        # line, a line sounds the same in every run and whatever was said before it.
        self._seed = library.espeak_ng_SetRandSeed
        self._seed.argtypes, self._seed.restype = (ctypes.c_long,), None
        os.environ.setdefault("ESPEAK_DATA_PATH", data)
        from pyttsx3.drivers import _espeak
        self._e = _espeak
        self.sample_rate = _espeak.Initialize(_espeak.AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(),
                                              INIT_PHONEME_EVENTS | INIT_PHONEME_IPA)
        if self.sample_rate != SAMPLE_RATE:
            raise SpeechError(f"eSpeak NG failed to initialise with data at {data} (rate {self.sample_rate})")
        # Language codes eSpeak NG knows (it would silently fall back to a default for others).
        self.languages = {v.languages[1:].decode("ascii", "ignore").lower() for v in _espeak.ListVoices(None)}
        self._chunks: list[bytes] = []
        self._events: list[tuple[int, int, str, int, int]] = []
        self._callback = _espeak.t_espeak_callback(self._on_synth)     # kept alive with the engine
        _espeak.SetSynthCallback(self._callback)

    def _on_synth(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        ev = ctypes.cast(events, ctypes.POINTER(_Event))
        i = 0
        while ev[i].type != EVENT_END_OF_LIST:
            e = ev[i]
            if e.type == EVENT_PHONEME:
                self._events.append((e.type, e.sample, e.id.string.decode("utf-8", "replace"), 0, 0))
            elif e.type == EVENT_WORD:
                self._events.append((e.type, e.sample, "", e.text_position, e.length))
            i += 1
        return 0

    def synthesize(self, text: str, voice: Voice) -> Utterance:
        e = self._e
        if voice.language.lower() not in self.languages:
            raise SpeechError(f"eSpeak NG has no voice {voice.language!r} (it has e.g. en-us, cmn, ko, ja, de, fr)")
        with self._lock:
            if e.SetVoiceByName(voice.name.encode()) != e.EE_OK:
                raise SpeechError(f"eSpeak NG has no voice {voice.name!r}")
            # eSpeak NG keeps parameters between voices: set every one, so a line sounds the same
            # whatever was spoken before it.
            for parameter, value in ((e.RATE, voice.rate), (e.PITCH, voice.pitch), (e.RANGE, 50),
                                     (e.VOLUME, 100), (WORDGAP, 0), (e.PUNCTUATION, 0), (e.CAPITALS, 0)):
                e.SetParameter(parameter, int(value), 0)
            self._chunks, self._events = [], []
            self._seed(NOISE_SEED)
            encoded = text.encode("utf-8")
            if e.Synth(encoded, flags=e.CHARS_UTF8 | e.ENDPAUSE) != e.EE_OK:
                raise SpeechError(f"eSpeak NG could not synthesise {text!r}")
            audio = np.frombuffer(b"".join(self._chunks), np.int16).copy()
            events, self._chunks, self._events = self._events, [], []     # the engine keeps nothing of a line
            if voice.language != RESTING.language:
                # Between lines the engine rests on a small dictionary, so its memory does not depend on
                # the language spoken last (Mandarin's alone is 1.5 MB).
                e.SetVoiceByName(RESTING.name.encode())
        rate = self.sample_rate
        raw = [(s / rate, ipa) for kind, s, ipa, _, _ in events if kind == EVENT_PHONEME]
        phonemes = []
        for k, (start, ipa) in enumerate(raw):
            end = raw[k + 1][0] if k + 1 < len(raw) else len(audio) / rate
            if end > start:
                phonemes.append(Phoneme(ipa.strip(STRESS_MARKS), start, end, any(m in ipa for m in STRESS_MARKS)))
        words = [Word(text[pos - 1:pos - 1 + length], s / rate)      # positions count characters, from 1
                 for kind, s, _, pos, length in events if kind == EVENT_WORD]
        return Utterance(text, voice, rate, audio, phonemes, words)
