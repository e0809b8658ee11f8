"""Nods on stressed syllables: the speaker's, as deep as the speech there is loud, and the listener's
back-channel nods, smaller and a moment later, on the speaker's strongest stresses; the speaker's brows
rise with its strongest stresses."""
from __future__ import annotations

import numpy as np

from ..speech.line import Line
from ..speech.visemes import ipa_sounds, is_vowel


def nod_times(line: Line) -> list[tuple[float, float]]:
    """(seconds into the line, strength 0..1) of each stressed vowel, strength from the speech's loudness."""
    u = line.utterance
    audio = u.audio.astype(float)
    peak = max(float(np.sqrt(np.mean(audio ** 2))) * 2.5, 1.0)
    out = []
    for p in u.phonemes:
        if p.stressed and any(is_vowel(sym, v) for sym, v in ipa_sounds(p.ipa)):
            seg = audio[int(p.start * u.sample_rate):int(p.end * u.sample_rate)]
            level = float(np.sqrt(np.mean(seg ** 2))) if len(seg) else 0.0
            out.append((p.start, min(1.0, level / peak)))
    return out


def backchannel(nods: list[tuple[float, float]], config: dict) -> list[tuple[float, float]]:
    """The listener's nods to a line: on the speaker's strongest stresses, a moment later, spaced out."""
    out, last = [], -1e9
    for at, strength in nods:
        if strength >= config["backchannel_above"] and at - last >= config["backchannel_every"]:
            out.append((at + config["backchannel_delay"], strength * config["backchannel_scale"]))
            last = at
    return out


def brow_raises(nods: list[tuple[float, float]], config: dict) -> list[tuple[float, float]]:
    """The speaker's brow raises in a line: on its strongest stresses, spaced out."""
    out, last = [], -1e9
    for at, strength in nods:
        if strength >= config["above"] and at - last >= config["every"]:
            out.append((at, strength))
            last = at
    return out


def pulse(t_line: float, events: list[tuple[float, float]], attack: float, release: float) -> float:
    """0..1 `t_line` seconds into a line: each event rises over `attack` and falls over `release`, as
    strong as it is; overlapping events take the strongest."""
    level = 0.0
    for at, strength in events:
        dt = t_line - at
        if 0 <= dt < attack:
            level = max(level, strength * np.sin(0.5 * np.pi * dt / attack))
        elif attack <= dt < attack + release:
            level = max(level, strength * np.cos(0.5 * np.pi * (dt - attack) / release))
    return level


def nod_angle(t_line: float, nods: list[tuple[float, float]], config: dict) -> float:
    """The head's nod (radians, down) `t_line` seconds into a line."""
    return np.radians(config["degrees"]) * pulse(t_line, nods, config["attack"], config["release"])
