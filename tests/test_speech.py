"""Speech: eSpeak NG phoneme timing, visemes with coarticulation, tracks, spoken lines in renders."""
import json
import subprocess
import sys

import numpy as np
import pytest

from runtime.skeleton.face import VISEMES
from runtime.speech.espeak import Espeak
from runtime.speech.utterance import SpeechError, Voice
from runtime.speech.voices import LineCache
from runtime.speech.track import TrackError, VisemeTrack
from runtime.speech.visemes import V, ipa_visemes, jaw_opening, parts, viseme_weights

from helpers import PROJECT

RATE = 60
SENTENCES = {
    "en": (Voice("en-us"), "Buy my amazing phone, maybe the best purchase of May. Bob's mom made a big pie."),
    "cmn": (Voice("cmn"), "大家好，欢迎来到直播间。买吧，便宜又漂亮，八百块。妈妈不忙。"),
}


@pytest.fixture(scope="module", params=sorted(SENTENCES))
def spoken(request):
    voice, text = SENTENCES[request.param]
    u = Espeak.get().synthesize(text, voice)
    return u, viseme_weights(u.phonemes, RATE, u.duration)


def test_synthesis_gives_audio_phonemes_and_words():
    for voice, text, first in ((Voice("en-us"), "Hello there", "Hello"), (Voice("cmn"), "大家好", "大"),
                               (Voice("ko"), "안녕하세요 여러분", "안녕하세요")):
        u = Espeak.get().synthesize(text, voice)
        assert u.duration > 0.4 and np.abs(u.audio).max() > 1000
        starts = [p.start for p in u.phonemes]
        assert starts == sorted(starts) and u.phonemes[-1].end <= u.duration + 1e-9
        assert u.words[0].text == first


def test_phoneme_times_match_the_audio():
    """The phoneme timeline is the audio's: pauses are quiet, vowels are loud."""
    u = Espeak.get().synthesize("Papa, a banana. Mama, a melon.", Voice("en-us"))
    level = lambda p: np.sqrt(np.mean(u.audio[int(p.start * u.sample_rate):int(p.end * u.sample_rate)].astype(float) ** 2))  # noqa: E731
    pauses = [level(p) for p in u.phonemes if p.ipa == "" and p.end - p.start > 0.1]
    vowels = [level(p) for p in u.phonemes if ipa_visemes(p.ipa) == ["aa"]]
    assert pauses and vowels and max(pauses) < 0.1 * np.median(vowels)


def test_unknown_voice_is_named():
    with pytest.raises(SpeechError, match="eSpeak NG has no voice 'klingon'"):
        Espeak.get().synthesize("hi", Voice("klingon"))


def test_the_engine_memory_does_not_depend_on_the_language_spoken_last():
    """eSpeak NG holds one language's dictionary (Mandarin's is 1.5 MB): after a Mandarin line it goes back to
    resting on English, so a live show's resident memory does not step with its last answer."""
    from runtime.studio.soak import memory_now
    engine = Espeak.get()
    engine.synthesize("How much is the kettle?", Voice("en-us"))
    english = memory_now()[1]
    engine.synthesize("茶叶多少钱？一百二十八元。", Voice("cmn"))
    assert memory_now()[1] - english < 0.4 * 2**20


def test_lines_are_cached_by_text_and_voice():
    cache = LineCache()
    a = cache.get("Welcome!", Voice("en-us"))
    assert cache.get("Welcome!", Voice("en-us")) is a
    assert cache.get("Welcome!", Voice("en-us", pitch=80)) is not a


@pytest.mark.parametrize("ipa, visemes", [
    ("p", ["PP"]), ("m", ["PP"]), ("f", ["FF"]), ("θ", ["TH"]), ("tʃ", ["CH"]), ("tɕ", ["CH"]), ("ts.", ["SS"]),
    ("aɪ", ["aa", "ih"]), ("oʊ", ["oh", "ou"]), ("əl", ["E", "nn"]), ("ˈiː", ["ih"]), ("", ["sil"]), ("ɹ", ["RR"]),
])
def test_ipa_to_visemes(ipa, visemes):
    assert ipa_visemes(ipa) == visemes


def test_weights_are_a_blend(spoken):
    _, w = spoken
    assert np.allclose(w.sum(axis=1), 1.0) and w.min() >= 0


def test_bilabials_close_the_lips(spoken):
    """Every /p b m/: PP dominates at its midpoint tick, and at its onset the lips are already closed."""
    u, w = spoken
    bilabials = [p for p in parts(u.phonemes) if p.viseme == "PP"]
    assert len(bilabials) >= 6
    for p in bilabials:
        mid, onset = int(round(p.centre * RATE)), int(round(p.start * RATE))
        assert VISEMES[w[mid].argmax()] == "PP", (p, w[mid])
        assert VISEMES[w[onset].argmax()] == "PP" and jaw_opening(w[onset]) < 0.25, (p, w[onset])


def test_silence_closes_the_mouth(spoken):
    """In every pause of 200 ms or more the mouth is closed, once a 100 ms closing (after the last sound)
    and opening (before the next) are allowed: 80 ms of motion plus eSpeak NG's timing, which varies by up
    to ~11 ms from one synthesis to the next."""
    u, w = spoken
    pauses = [p for p in u.phonemes if p.ipa == "" and p.end - p.start >= 0.2]
    assert pauses
    jaw = jaw_opening(w)
    vowels = [V[v] for v in ("aa", "E", "ih", "oh", "ou")]
    for p in pauses:
        inner = np.arange(int(np.ceil((p.start + 0.1) * RATE)), int((p.end - 0.1) * RATE))
        assert len(inner) and np.all(jaw[inner] < 0.1) and np.all(w[inner][:, vowels].sum(1) < 0.1)


def test_vowel_peaks_sit_on_the_phoneme_centre(spoken):
    """Each vowel's viseme peaks within one tick of the vowel's centre (vowels whose neighbours have
    another viseme; two neighbours with one viseme share a single plateau)."""
    u, w = spoken
    segs = parts(u.phonemes)
    checked = 0
    for k, p in enumerate(segs):
        if not p.vowel or (k and segs[k - 1].viseme == p.viseme) or (k + 1 < len(segs) and segs[k + 1].viseme == p.viseme):
            continue
        lo, hi = int(np.floor(p.start * RATE)), int(np.ceil(p.end * RATE))
        peak = lo + int(np.argmax(w[lo:hi + 1, V[p.viseme]]))
        assert abs(peak - p.centre * RATE) <= 1.0, (p, peak)
        checked += 1
    assert checked >= 15


def test_track_json_round_trip_and_errors(tmp_path):
    u = Espeak.get().synthesize("Good morning", Voice("en-us"))
    track = VisemeTrack.from_utterance(u)
    track.save(tmp_path / "t.json")
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["rate"] == 60 and data["visemes"] == list(VISEMES) and len(data["weights"][0]) == 15
    back = VisemeTrack.load(tmp_path / "t.json")
    assert np.allclose(back.weights, track.weights, atol=1e-4)
    (tmp_path / "bad.json").write_text(json.dumps({"rate": 60, "visemes": ["aa"], "weights": []}))
    with pytest.raises(TrackError, match="bad.json: 'visemes' must list the 15 Oculus visemes"):
        VisemeTrack.load(tmp_path / "bad.json")


def cohost(*args):
    return subprocess.run([sys.executable, "-m", "runtime", *args], cwd=PROJECT, capture_output=True, text=True,
                          timeout=600)


def test_say_command_writes_audio_and_track(tmp_path):
    out = cohost("say", "大家好", "--host", "rigs/jun.glb", "--voice", "cmn", "--out", str(tmp_path / "l.wav"),
                 "--track", str(tmp_path / "t.json"))
    assert out.returncode == 0, out.stderr
    assert "cmn+m3" in out.stdout                         # the host's variant, the requested language
    track = VisemeTrack.load(tmp_path / "t.json")
    import wave
    with wave.open(str(tmp_path / "l.wav")) as w:
        seconds = w.getnframes() / w.getframerate()
    assert abs(track.ticks - seconds * 60) <= 1.5


def test_rendered_mp4_lips_and_audio_start_together(tmp_path):
    """In a rendered MP4 the first frame with lips apart and the audio onset are at most a frame apart."""
    from runtime.studio.lip_sync import line_syncs, mouth_track, read_video
    fps, start, say = 30, 0.5, "Mei@0.5: Ah, hello!"
    video = tmp_path / "line.mp4"
    out = cohost("render", "scenes/shop_studio.toml", "--seconds", "2", "--fps", str(fps), "--size", "640x360",
                 "--camera", "mei", "--say", say, "--out", str(video), "--quiet")
    assert out.returncode == 0, out.stderr
    mouths = mouth_track(PROJECT / "scenes" / "shop_studio.toml", [say], (640, 360), "mei", fps, 2 * fps)
    (sync,) = line_syncs(read_video(video, mouths), [start])
    assert abs(sync.offset) <= 1.0 / fps + 1e-6, sync


def test_host_voices_come_from_the_rig_and_the_scene(tmp_path):
    from runtime.sets.setfile import load_set
    from runtime.show.lines import host_voice
    from runtime.tomlfile import FileError
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    assert host_voice(spec, "Mei") == Voice("en-us", "f3", 165, 60)            # rigs/mei.toml [voice]
    text = (PROJECT / "scenes" / "shop_studio.toml").read_text().replace(
        'seed = 22', 'seed = 22\nvoice = { language = "cmn", rate = 150 }')
    (tmp_path / "s.toml").write_text(text)
    assert host_voice(load_set(tmp_path / "s.toml"), "Jun") == Voice("cmn", "m3", 150, 40)
    (tmp_path / "bad.toml").write_text(text.replace('rate = 150', 'speed = 150'))
    with pytest.raises(FileError, match=r"bad\.toml:\d+:\d+: hosts\[1\]\.voice\.speed: unknown key 'speed'; "
                                        r"expected one of language, variant"):
        load_set(tmp_path / "bad.toml")


def test_say_lines_follow_each_other(tmp_path):
    from runtime.sets.setfile import load_set
    from runtime.show.staging import SayError, schedule
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    lines = schedule(spec, ["Mei: Hello!", "Jun: Hi there.", "Mei@5: Later."], LineCache())
    first, later = lines["Mei"]
    (second,) = lines["Jun"]
    assert first.start_tick == 0 and second.start_tick == first.end_tick and later.start_tick == 300
    with pytest.raises(SayError, match="hosts are Mei, Jun"):
        schedule(spec, ["Bob: hi"], LineCache())


def test_say_markup_plans_gestures_and_is_not_spoken():
    from runtime.sets.setfile import load_set
    from runtime.show.staging import schedule
    spec = load_set(PROJECT / "scenes" / "shop_studio.toml")
    (line,) = schedule(spec, ["Mei: [wave_hello]Hello! This kettle is *great*."], LineCache())["Mei"]
    assert line.utterance.text == "Hello! This kettle is great."
    names = [g.gesture.name for g in line.gestures]
    assert names[0] == "wave_hello" and "point_product" in names
