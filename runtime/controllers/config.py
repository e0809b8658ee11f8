"""The controllers' parameters (rigs/clips/behaviour.toml): read once, checked, errors as file:line:col."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..tomlfile import TomlDoc

BEHAVIOUR_FILE = Path(__file__).resolve().parents[2] / "rigs" / "clips" / "behaviour.toml"
N, R = "number", "range"                     # a number, or [low, high]
SCHEMA: dict[str, dict[str, str]] = {
    "gaze": dict(saccade_ms_per_degree=N, saccade_intercept_ms=N, eye_yaw=N, eye_up=N, eye_down=N, head_from=N,
                 head_share=N, body_from=N, body_share=N, head_settle=N, head_yaw=N, head_pitch=N),
    "gaze.speaking": dict(camera=R, partner=R, partner_chance=N, handover=R, aversion=R, aversion_after=N),
    "gaze.listening": dict(partner=R, camera=R, partner_chance=N, handover=R, hold_silence=N),
    "gaze.idle": dict(camera=R, partner=R, partner_chance=N),
    "gaze.face": dict(dwell=R, mouth_chance=N),
    "blink": dict(speaking=R, listening=R, close=N, closed=N, open=N, gaze_evoked_above=N, gaze_evoked_chance=N,
                  lid_follow=N),
    "breathing": dict(chest=N, shoulders=N, deep=N, deep_before=N),
    "nods": dict(degrees=N, attack=N, release=N, backchannel_above=N, backchannel_every=N, backchannel_delay=N,
                 backchannel_scale=N),
    "brows": dict(weight=N, above=N, every=N, attack=N, release=N),
}


@lru_cache(maxsize=8)
def load_behaviour(path: Path = BEHAVIOUR_FILE) -> dict[str, dict]:
    """{section: {key: float or (low, high)}}; every key of SCHEMA must be there with the right kind."""
    doc = TomlDoc(path)
    doc.check_keys(doc.data, dict.fromkeys(s.split(".")[0] for s in SCHEMA))
    out: dict[str, dict] = {}
    for section, keys in SCHEMA.items():
        names = section.split(".")
        table = doc.data
        for name in names:
            table = doc.get(table, name, dict, *names[:names.index(name) + 1])
        subsections = [s[len(section) + 1:] for s in SCHEMA if s.startswith(f"{section}.")]
        doc.check_keys(table, [*keys, *subsections], *names)
        values = {}
        for key, kind in keys.items():
            where = (*names, key)
            if kind == N:
                value = doc.get(table, key, (int, float), *where)
                if value < 0:
                    raise doc.error(f"must not be negative, got {value}", *where)
                values[key] = float(value)
            else:
                value = doc.get(table, key, list, *where)
                numbers = len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
                if not numbers or not 0 <= value[0] <= value[1]:
                    raise doc.error(f"expected [low, high] with 0 <= low <= high, got {value!r}", *where)
                values[key] = (float(value[0]), float(value[1]))
        out[section] = values
    return out
