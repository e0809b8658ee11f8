"""A picture of a viseme track over the waveform, for animators checking lip sync."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..figures import pyplot, save
from ..skeleton.face import VISEMES
from ..speech.track import VisemeTrack


def label(word: str) -> str:
    """A word as the plot labels it: the bundled font has Latin and IPA but no CJK glyphs, so Chinese and
    Korean words are shown by their IPA."""
    if all(ord(c) < 0x2E80 for c in word):
        return word
    from ..speech.lipsync import word_ipa
    from ..speech.utterance import Voice, script_language
    return word_ipa(word, Voice(script_language(word)))


def plot_track(track: VisemeTrack, audio: np.ndarray, rate: int, path: str | Path, title: str = "",
               labels: list[tuple[float, float, str]] | None = None) -> None:
    """Waveform with labelled word spans, the 15 viseme weights as a heat map, and the jaw opening."""
    plt = pyplot()

    t_audio = np.arange(len(audio)) / rate
    t_track = np.arange(track.ticks) / track.rate
    fig, (ax_wave, ax_vis, ax_jaw) = plt.subplots(3, 1, figsize=(12, 6.5), sharex=True,
                                                  gridspec_kw={"height_ratios": [1, 2, 1]})
    ax_wave.plot(t_audio, audio / 32768.0, lw=0.4, color="#444")
    ax_wave.set_ylabel("audio")
    for start, end, label in labels or []:
        ax_wave.axvspan(start, end, color="#4c8bf5", alpha=0.12)
        ax_wave.text(start, 0.9, label, fontsize=7, va="top")
    ax_vis.imshow(track.weights.T, aspect="auto", origin="lower", interpolation="nearest", cmap="magma",
                  extent=(0, track.ticks / track.rate, -0.5, len(VISEMES) - 0.5), vmin=0, vmax=1)
    ax_vis.set_yticks(range(len(VISEMES)), VISEMES, fontsize=7)
    ax_vis.set_ylabel("viseme weight")
    ax_jaw.plot(t_track, track.jaw, color="#c8323c")
    ax_jaw.set_ylim(0, 1.05)
    ax_jaw.set_ylabel("jaw open")
    ax_jaw.set_xlabel("seconds")
    save(fig, path, title)
