"""What the hosts did, measured from a take's arrays (what anyone can analyse), not from the controllers'
bookkeeping: saccades from the eyes' angular velocity, blinks from the blink morph, gaze-at-partner shares
from world eye directions, eye joint-limit violations, breathing rate from the chest.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..controllers.gaze import main_sequence_s, yaw_pitch
from ..skeleton import quat
from ..skeleton.face import CHANNEL_INDEX
from ..skeleton.pose import BONE_INDEX
from ..skeleton.take import Take

SACCADE_ON_DEG_S = 3.0          # eye-in-world speed above which the gaze is moving (fixation and VOR stay below)
SACCADE_PEAK_DEG_S = 40.0       # and every saccade is faster than this at its peak
PURSUIT_SHARE = 0.35            # a run whose peak speed is below this share of a saccade's of its size is
                                # the eyes following a moving face (pursuit), not a saccade
PURSUIT_TICKS = 3               # ticks before a saccade that tell whether the eyes were following a target
LANDED_SHARE = 0.15             # a saccade has landed below this share of its peak speed ...
LANDED_ACCEL_SHARE = 0.2        # ... once its deceleration is below this share of its hardest
ACCEL_SHARE = 0.05              # a saccade starts and ends where its acceleration passes this share of its peak
AT_PARTNER_DEG = 8.0            # a gaze this close to the partner's eyes is "at the partner"
HANDOVER_GAP_S = 2.0            # a host starting to speak this soon after its partner takes the turn from it
HANDOVER_WINDOW_S = 1.0         # eye contact around a hand-over counts this long before and after it ...
MUTUAL_S = 0.2                  # ... when the two hold each other's eyes at least this long
BLINK_CLOSED = 0.8              # a blink closes the lids at least this far
EVOKED_WINDOW_S = (-0.1, 0.25)  # a blink starting this close to a saccade's onset goes with it
MAIN_SEQUENCE = (2.2, 21.0)     # typical human ms/degree and ms, to tell saccades from pursuit
MIN_RATE_FOR_DURATIONS = 200    # ticks per second needed to time saccades (a 5 degree one lasts 32 ms)


@dataclass
class Saccade:
    host: int
    onset: float          # seconds
    duration: float
    amplitude: float      # degrees
    pursuit: bool = False  # the eyes were following a moving target as it began: its onset is blurred


@dataclass
class HostReport:
    name: str
    blinks_speaking: float          # per minute
    blinks_listening: float
    at_partner_speaking: float      # share of ticks
    at_partner_listening: float
    evoked: tuple[int, int]         # (gaze shifts above 30 degrees carrying a blink, all of them)
    handovers: tuple[int, int]      # (turns it takes from its partner with eye contact around them, all of them)
    limit_violations: int           # ticks with an eye beyond its limits
    breaths_per_minute: float
    saccades: list[Saccade] = field(default_factory=list)


def gaze_directions(take: Take) -> tuple[np.ndarray, np.ndarray]:
    """Cyclopean gaze directions (T, H, 3) and eye midpoints (T, H, 3) in set coordinates."""
    eyes = take.world([BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]]).astype(float)
    # Each eye looks along its own +Z (normalised rest frame), turned into set coordinates by its matrix.
    forward = eyes[..., :3, 2].sum(axis=2)
    forward /= np.linalg.norm(forward, axis=-1, keepdims=True)
    return forward, eyes[..., :3, 3].mean(axis=2)


def find_saccades(direction: np.ndarray, rate: int, host: int) -> list[Saccade]:
    """Saccades in a gaze-direction track (T, 3): runs of eye-in-world speed above SACCADE_ON_DEG_S that
    are fast for their size. A saccade lasts while the eyes accelerate and then decelerate hard (above
    ACCEL_SHARE of its peak acceleration): the slow drift of the eyes following a moving face or the head
    still arriving is not part of it. Onset and end are interpolated between ticks."""
    cos = np.clip(np.sum(direction[1:] * direction[:-1], axis=-1), -1, 1)
    speed = np.degrees(np.arccos(cos)) * rate                 # at tick k + 0.5
    accel = np.diff(speed) * rate                             # at tick k + 1
    moving = speed > SACCADE_ON_DEG_S
    edges = np.diff(moving.astype(int))
    starts, ends = np.nonzero(edges == 1)[0] + 1, np.nonzero(edges == -1)[0] + 1
    out = []
    for a, b in zip(starts, ends[ends > starts[0]] if len(starts) else []):
        peak = int(a + np.argmax(speed[a:b]))                 # speed[peak] at peak + 0.5
        if peak < 2 or peak + 2 >= len(speed):
            continue
        rise, fall = accel[max(0, a - 2):peak].max(initial=0.0), -accel[peak:b + 1].min(initial=0.0)
        up, down = ACCEL_SHARE * rise, ACCEL_SHARE * fall
        i = peak - 1                                          # accel[i] between speed[i] and speed[i + 1]
        while i > 0 and accel[i - 1] > up:
            i -= 1
        j = peak
        # The fall ends where the deceleration fades; once the eyes are nearly stopped, a slower fade is the
        # eyes catching up with a moving target (pursuit), not the saccade.
        while j + 1 < len(accel) and accel[j + 1] < -down and not (
                speed[j + 1] < LANDED_SHARE * speed[peak] and accel[j + 1] > -LANDED_ACCEL_SHARE * fall):
            j += 1
        if j + 1 >= len(accel):
            continue                                          # still under way when the take ends
        # accel[k] sits at tick k + 1; interpolate where it crosses the thresholds.
        def between(level: float, k: int) -> float:
            span = accel[k + 1] - accel[k]
            return float(np.clip((level - accel[k]) / span, 0.0, 1.0)) if span else 0.0

        onset, end = i + between(up, i - 1), j + 1 + between(-down, j)
        amplitude = np.degrees(np.arccos(np.clip(direction[int(onset)] @ direction[min(len(direction) - 1,
                                                                                     int(np.ceil(end)))], -1, 1)))
        # Saccades are fast for their size (a bell over the main-sequence duration peaks at 2 A / D).
        saccade_peak = 2 * amplitude / main_sequence_s(amplitude, *MAIN_SEQUENCE)
        if speed[peak] < max(SACCADE_PEAK_DEG_S, PURSUIT_SHARE * saccade_peak):
            continue
        # Second differences spread the acceleration over one tick more than the movement takes.
        before = speed[max(0, int(onset) - PURSUIT_TICKS):int(onset)]
        out.append(Saccade(host, (onset + 0.5) / rate, (end - onset - 1.0) / rate, float(amplitude),
                           bool((before > SACCADE_ON_DEG_S).any())))
    return out


def blink_onsets(closure: np.ndarray, rate: int) -> np.ndarray:
    """Seconds at which the lids start closing for each blink that closes them past BLINK_CLOSED."""
    closed = closure > BLINK_CLOSED
    starts = np.nonzero(np.diff(closed.astype(int)) == 1)[0] + 1
    onsets = []
    for s in starts:
        k = s
        while k > 0 and closure[k - 1] < closure[k] and closure[k - 1] > 0.02:
            k -= 1
        onsets.append(k / rate)
    return np.array(onsets)


def breathing_rate(take: Take, h: int) -> float:
    """Breaths per minute: the strongest period between 2 and 8 s in the chest's pitch."""
    q = take.rotations[:, h, BONE_INDEX["chest"]]
    pitch = 2 * np.arctan2(q[:, 0], q[:, 3])
    pitch = pitch - pitch.mean()
    spectrum = np.abs(np.fft.rfft(pitch * np.hanning(len(pitch))))
    freq = np.fft.rfftfreq(len(pitch), 1.0 / take.rate)
    band = (freq > 1 / 8.0) & (freq < 1 / 2.0)
    return float(freq[band][np.argmax(spectrum[band])] * 60) if band.any() else float("nan")


def behaviour_report(take: Take, eye_limits_deg: tuple[float, float, float]) -> list[HostReport]:
    direction, eye_mid = gaze_directions(take)
    T, H = take.speaking.shape
    rate = take.rate
    minutes = lambda mask: mask.sum() / rate / 60.0  # noqa: E731
    at = np.zeros((T, H), bool)                       # each host looking at its partner's eyes
    for h in range(H if H > 1 else 0):
        to_partner = eye_mid[:, (h + 1) % H] - eye_mid[:, h]
        to_partner /= np.linalg.norm(to_partner, axis=-1, keepdims=True)
        at[:, h] = np.degrees(np.arccos(np.clip(np.sum(direction[:, h] * to_partner, -1), -1, 1))) < AT_PARTNER_DEG
    reports = []
    for h in range(H):
        partner = (h + 1) % H
        speaking = take.speaking[:, h]
        listening = take.speaking[:, partner] & ~speaking if H > 1 else np.zeros(T, bool)
        at_partner = at[:, h]
        closure = take.morphs[:, h, CHANNEL_INDEX["blinkLeft"]]
        onsets = blink_onsets(closure, rate)
        ticks = (onsets * rate).astype(int)
        saccades = find_saccades(direction[:, h], rate, h)
        large = [s for s in saccades if s.amplitude > 30.0]
        evoked = sum(any(EVOKED_WINDOW_S[0] <= o - s.onset <= EVOKED_WINDOW_S[1] for o in onsets) for s in large)
        yaw, pitch = (np.degrees(a) for a in yaw_pitch(_eye_forward(take.rotations[:, h])))
        beyond = (np.abs(yaw) > eye_limits_deg[0] + 0.1) | (pitch > eye_limits_deg[1] + 0.1) \
            | (pitch < -eye_limits_deg[2] - 0.1)
        reports.append(HostReport(
            take.hosts[h],
            blinks_speaking=np.sum(speaking[ticks]) / max(minutes(speaking), 1e-9),
            blinks_listening=np.sum(~speaking[ticks]) / max(minutes(~speaking), 1e-9),
            at_partner_speaking=float(at_partner[speaking].mean()) if speaking.any() else float("nan"),
            at_partner_listening=float(at_partner[listening].mean()) if listening.any() else float("nan"),
            evoked=(evoked, len(large)), handovers=handovers(take.speaking, at, h, rate),
            limit_violations=int(beyond.any(axis=-1).sum()),
            breaths_per_minute=breathing_rate(take, h),
            saccades=saccades if rate >= MIN_RATE_FOR_DURATIONS else []))
    return reports


def handovers(speaking: np.ndarray, at: np.ndarray, h: int, rate: int) -> tuple[int, int]:
    """(turns host h takes from its partner with the two looking at each other around the hand-over, all
    such turns): a turn is taken when h starts speaking within HANDOVER_GAP_S of the partner's last word;
    eye contact is both at the other's eyes together for MUTUAL_S within HANDOVER_WINDOW_S of h's start."""
    if speaking.shape[1] < 2:
        return 0, 0
    partner = (h + 1) % speaking.shape[1]
    starts = np.flatnonzero(speaking[1:, h] & ~speaking[:-1, h]) + 1
    mutual = at[:, h] & at[:, partner]
    window, need = round(HANDOVER_WINDOW_S * rate), round(MUTUAL_S * rate)
    taken = met = 0
    for start in starts:
        spoke = np.flatnonzero(speaking[:start, partner])
        if not len(spoke) or start - spoke[-1] > HANDOVER_GAP_S * rate:
            continue
        taken += 1
        run = mutual[max(0, start - window):start + window].astype(int)
        longest = np.max(np.diff(np.flatnonzero(np.diff(np.r_[0, run, 0])))[::2], initial=0)
        met += longest >= need
    return met, taken


def _eye_forward(rotations: np.ndarray) -> np.ndarray:
    """Both eyes' forward directions in the head (T, 2, 3), from their local rotations."""
    q = rotations[:, [BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]]]
    return quat.rotate(q, np.array([0.0, 0.0, 1.0]))


def _span(pair: tuple[float, float]) -> str:
    return f"{pair[0]:g}-{pair[1]:g}"


def format_report(reports: list[HostReport], take: Take, config: dict) -> str:
    """The report as text, for animators tuning rigs/clips/behaviour.toml."""
    b, g = config["blink"], config["gaze"]
    lines = [f"behaviour of {len(take.rotations) / take.rate / 60:.1f} minutes at {take.rate} ticks/s "
             f"(measured from the take's arrays)"]
    for r in reports:
        lines += [f"{r.name}:",
                  f"  blinks/min    speaking {r.blinks_speaking:5.1f}  (configured {_span(b['speaking'])})"
                  f"   listening/idle {r.blinks_listening:5.1f}  (configured {_span(b['listening'])})",
                  f"  gaze at partner  while speaking {r.at_partner_speaking:6.1%}   while listening "
                  f"{r.at_partner_listening:6.1%}",
                  f"  turns taken with eye contact around the hand-over: {r.handovers[0]}/{r.handovers[1]}",
                  f"  gaze shifts > 30 deg with a blink: {r.evoked[0]}/{r.evoked[1]}",
                  f"  eye joint-limit violations: {r.limit_violations} ticks",
                  f"  breathing: {r.breaths_per_minute:.1f} breaths/min"]
        clear = [s for s in r.saccades if not s.pursuit]
        if clear:
            amp = np.array([s.amplitude for s in clear])
            dur = np.array([s.duration for s in clear]) * 1000
            expected = main_sequence_s(amp, g["saccade_ms_per_degree"], g["saccade_intercept_ms"]) * 1000
            slope, intercept = np.polyfit(amp, dur, 1) if len(amp) > 1 else (float("nan"), float("nan"))
            within = np.mean(np.abs(dur - expected) <= 0.25 * expected)
            lines.append(f"  saccades: {len(amp)}, amplitude median {np.median(amp):.1f} deg (max {amp.max():.0f}); "
                         f"duration = {slope:.2f} ms/deg x A + {intercept:.1f} ms (configured "
                         f"{g['saccade_ms_per_degree']:g} x A + {g['saccade_intercept_ms']:g}); "
                         f"{within:.0%} within 25 % of the main sequence ({len(r.saccades) - len(clear)} more "
                         "begun on a moving target, not timed)")
            for s in clear[:6]:
                lines.append(f"    at {s.onset:7.2f} s  {s.amplitude:5.1f} deg  {s.duration * 1000:5.1f} ms")
        else:
            lines.append(f"  saccades: record at {MIN_RATE_FOR_DURATIONS}+ ticks/s (--tick-rate 240) to time them")
    return "\n".join(lines)
