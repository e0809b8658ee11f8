"""Forced alignment: speech the aligner did not render itself (a Piper voice, eSpeak NG at other voices and
rates, Mandarin), aligned to its script, scored against the engine's own phoneme timing."""
import numpy as np
import pytest

from runtime.skeleton.face import VISEMES
from runtime.speech.align import features, forced_alignment
from runtime.speech.audio import RATE, resample
from runtime.speech.utterance import Voice
from runtime.speech.visemes import jaw_opening, viseme_weights
from runtime.speech.voices import synthesize

ENGLISH = ("Welcome back to the shop, everyone! Today we have a beautiful kettle, made of brushed steel. "
           "It boils a full litre in three minutes, and it keeps your tea warm for an hour. "
           "The price is only thirty nine dollars, but just for this morning.")
MANDARIN = "大家好，欢迎来到直播间。这个水壶很漂亮，三分钟就能烧开一升水，只要三十九块钱。"
CASES = {
    "Piper joe": (ENGLISH, Voice(engine="piper", model="en_US-joe-medium")),
    "eSpeak NG f3, slow": (ENGLISH, Voice(variant="f3", rate=130)),
    "eSpeak NG m3, fast and low": (ENGLISH, Voice(variant="m3", rate=210, pitch=30)),
    "eSpeak NG Mandarin": (MANDARIN, Voice(language="cmn", variant="f2", rate=140)),
}
OPEN = 0.15


@pytest.mark.parametrize("case", CASES)
def test_aligned_lips_agree_with_the_engines_own_timing(case, capsys):
    text, voice = CASES[case]
    spoken = synthesize(text, voice)
    truth = viseme_weights(spoken.phonemes, 60, spoken.duration)
    phonemes, words = forced_alignment(resample(spoken.audio, spoken.sample_rate, RATE), text,
                                       Voice(language=voice.language))
    got = viseme_weights(phonemes, 60, spoken.duration)
    n = min(len(got), len(truth))
    agree = float(np.mean((jaw_opening(got[:n]) > OPEN) == (jaw_opening(truth[:n]) > OPEN)))
    bilabials = [p.centre for p in spoken.phonemes if p.ipa in ("p", "b", "m")]
    pp = float(np.mean([got[min(int(c * 60), n - 1)].argmax() == VISEMES.index("PP") for c in bilabials]))
    with capsys.disabled():
        print(f"\n  {case}: open/closed agree {agree:.1%}, PP at {pp:.0%} of {len(bilabials)} bilabials")
    assert agree >= 0.85
    if voice.language == "en-us":
        assert pp >= 0.8
    assert all(a.start <= b.start for a, b in zip(words, words[1:])) and words[-1].start < spoken.duration


def test_features_do_not_depend_on_loudness():
    """Each utterance is normalised on its own: the same speech quieter gives the same frames (but for the
    silence around it, whose level is the floor of the logarithm)."""
    speech = synthesize("Only thirty nine dollars.", Voice())
    audio = resample(speech.audio, speech.sample_rate, RATE)
    loud, quiet = features(audio), features((audio * 0.25).astype(np.int16))
    difference = np.abs(loud - quiet)
    assert loud.shape == quiet.shape and np.median(difference) < 0.01 and np.percentile(difference, 95) < 0.1
