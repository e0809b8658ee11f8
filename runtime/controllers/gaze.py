"""Gaze for H hosts at once: saccades on the main sequence, fixation with the vestibulo-ocular reflex,
vergence, and gaze shifts shared between eyes, head, neck and upper chest.

All directions and points are in each host's own frame (+X its left, +Y up, +Z forward, metres).
Per tick: when a host's target changes, a saccade starts from where the eyes look now, lasting
`slope * amplitude + intercept` (the main sequence) with a bell-shaped speed; otherwise the gaze stays on
the target. The head, neck and chest turn toward the target with a critically damped spring, taking the
part of the angle beyond `head_from` (and `body_from`); the eyes are aimed last, from the head where it
actually is this tick, so head motion is cancelled by the eyes (VOR) and near targets converge.

The step runs every tick for every host, so it is one compiled kernel (`_step`) over plain arrays; the
class keeps the state and hands the saccades that started to the blinks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numba import njit

from ..skeleton.kernels import dot3, qconj, qmul, qrot
from ..skeleton.pose import BONE_INDEX

CHAIN = np.array([BONE_INDEX[b] for b in ("hips", "spine", "chest", "upperChest", "neck", "head", "leftEye",
                                          "rightEye")])
PARENT_IN_CHAIN = np.array([-1, 0, 1, 2, 3, 4, 5, 5])
HEAD, LEFT_EYE, RIGHT_EYE = 5, 6, 7                      # in CHAIN
TURNED = np.array([BONE_INDEX[b] for b in ("upperChest", "neck", "head")])
EYES = np.array([BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]])
NECK_SHARE, HEAD_SHARE = 0.4, 0.6   # how the head's share of a gaze shift is spread over neck and head
Z = np.array([0.0, 0.0, 1.0])
HEAD_SLOWEST = 2.5              # a head move lasts at most this many times its gaze shift's saccade
PURSUIT_DEG_S = 30.0           # the fastest a moving target is followed smoothly ...
CATCH_UP_DEG = 2.0              # ... before a saccade catches up with it
REFRACTORY_S = 0.08            # the shortest fixation between two saccades
EYE_MARGIN = 0.9                # share of the eyes' range a gaze shift may use while the head catches up


def main_sequence_s(amplitude_deg, slope_ms: float, intercept_ms: float):
    """Saccade duration (seconds) for an amplitude (degrees)."""
    return (slope_ms * np.asarray(amplitude_deg) + intercept_ms) / 1000.0


@njit(cache=True)
def saccade_progress(u):
    """Share of the way covered at u in [0, 1]; the speed is a bell (1 - cos), zero at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u - np.sin(2 * np.pi * u) / (2 * np.pi)


SLOWDOWNS = np.linspace(1.0, HEAD_SLOWEST, 16)
_U = np.linspace(0.0, 1.0, 41)
GAZE_PROGRESS = _U - np.sin(2 * np.pi * _U) / (2 * np.pi)                       # saccade_progress, (U,)
HEAD_PROGRESS = (_U / SLOWDOWNS[:, None]) - np.sin(2 * np.pi * _U / SLOWDOWNS[:, None]) / (2 * np.pi)   # (K, U)


def yaw_pitch(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw (toward +X, the host's left) and pitch (up) of directions (..., 3), radians."""
    return np.arctan2(d[..., 0], d[..., 2]), np.arctan2(d[..., 1], np.hypot(d[..., 0], d[..., 2]))


@njit(cache=True, inline="always")
def _yaw_pitch(x, y, z):
    return np.arctan2(x, z), np.arctan2(y, np.sqrt(x * x + z * z))


@njit(cache=True, inline="always")
def _turn(yaw, pitch):
    """Rotation that turns +Z to (yaw, pitch): yaw about +Y after pitch about -X."""
    sy, cy, sp, cp = np.sin(yaw / 2), np.cos(yaw / 2), np.sin(pitch / 2), np.cos(pitch / 2)
    return (-cy * sp, sy * cp, sy * sp, cy * cp)


class Limits(NamedTuple):
    """The gaze's parameters (behaviour.toml [gaze]) in the units the kernel takes: radians, seconds."""
    eye_yaw: float
    eye_up: float
    eye_down: float
    slope_s: float                  # saccade seconds per degree ...
    intercept_s: float              # ... and at zero degrees
    head_from: float
    head_share: float
    body_from: float
    body_share: float
    head_yaw: float
    head_pitch: float
    head_settle: float

    @classmethod
    def of(cls, c: dict) -> "Limits":
        r = np.radians
        return cls(r(c["eye_yaw"]), r(c["eye_up"]), r(c["eye_down"]), c["saccade_ms_per_degree"] / 1000,
                   c["saccade_intercept_ms"] / 1000, r(c["head_from"]), c["head_share"], r(c["body_from"]),
                   c["body_share"], r(c["head_yaw"]), r(c["head_pitch"]), c["head_settle"])


@njit(cache=True, inline="always")
def _share(angle, start, share, limit):
    """A head's or chest's part of a gaze angle: what lies beyond `start`, times `share`, within `limit`."""
    part = np.sign(angle) * max(abs(angle) - start, 0.0) * share
    return min(max(part, -limit), limit)


@njit(cache=True)
def _slowdown(gaze_now, target, head_now, head_goal, lim):
    """How many saccade durations the head may take (1 .. HEAD_SLOWEST) with the eyes in range all the
    way: eye-in-head = gaze - head, with the gaze on the saccade's bell over u in [0, 1] and the head on
    the same bell over u / k. All four are (yaw, pitch); the head's is head plus chest."""
    reach, up, down = lim.eye_yaw * EYE_MARGIN, lim.eye_up * EYE_MARGIN, lim.eye_down * EYE_MARGIN
    for k in range(len(SLOWDOWNS) - 1, -1, -1):
        fits = True
        for i in range(len(GAZE_PROGRESS)):
            eye_yaw = (gaze_now[0] + (target[0] - gaze_now[0]) * GAZE_PROGRESS[i]
                       - head_now[0] - (head_goal[0] - head_now[0]) * HEAD_PROGRESS[k, i])
            eye_pitch = (gaze_now[1] + (target[1] - gaze_now[1]) * GAZE_PROGRESS[i]
                         - head_now[1] - (head_goal[1] - head_now[1]) * HEAD_PROGRESS[k, i])
            if abs(eye_yaw) > reach or eye_pitch > up or eye_pitch < -down:
                fits = False
                break
        if fits:
            return SLOWDOWNS[k]
    return 1.0


@njit(cache=True, inline="always")
def _put(row, values):
    for c in range(len(row)):
        row[c] = values[c]


@njit(cache=True, inline="always")
def _quat(a):
    return (a[0], a[1], a[2], a[3])


@njit(cache=True)
def _step(t, dt, target, target_id, rotations, offsets, hips, lim, g, started, amplitudes):
    """One tick for every host; `g` the state arrays (see Gaze.__init__), updated in place."""
    (direction, from_dir, to_dir, point, eye_mid, last_id, start, duration, angles, move_from, move_to,
     move_start, move_duration, eyes, head_up) = g
    wrot = np.empty((len(CHAIN), 4))
    wpos = np.empty((len(CHAIN), 3))
    goal = np.empty((2, 2))
    for h in range(len(direction)):
        # A new target is taken once the last saccade is over and a short refractory time has passed;
        # until then the eyes stay on the point they were going to (saccades are not re-aimed in flight).
        same = target_id[h] == last_id[h]
        free = t >= start[h] + duration[h] + REFRACTORY_S
        accept = free and not same
        if same or accept:
            point[h] = target[h]
        to = point[h] - eye_mid[h]
        distance = np.sqrt(dot3(to, to))
        wanted = to / distance
        before = direction[h].copy()
        lag = np.degrees(np.arccos(min(max(dot3(before, wanted), -1.0), 1.0)))
        # A target moving faster than the eyes can follow falls behind; a catch-up saccade brings it back.
        began = accept or (free and same and lag > CATCH_UP_DEG)
        if began:
            from_dir[h], to_dir[h], start[h] = before, wanted, t
            duration[h] = lim.slope_s * lag + lim.intercept_s
            started[h], amplitudes[h] = True, lag
        if accept:
            last_id[h] = target_id[h]
        # The eyes: along the saccade (ballistic: a fixed landing); else on the target, following it at
        # most at pursuit speed.
        u = (t - start[h]) / max(duration[h], 1e-9)
        if u < 1.0:
            share, a, b = saccade_progress(u), from_dir[h].copy(), to_dir[h].copy()
        else:
            share, a, b = min(1.0, np.radians(PURSUIT_DEG_S) * dt / max(np.radians(lag), 1e-9)), before, wanted
        angle = np.arccos(min(max(dot3(a, b), -1.0), 1.0))
        d = b
        if angle > 1e-6:
            d = (np.sin((1 - share) * angle) * a + np.sin(share * angle) * b) / max(np.sin(angle), 1e-9)
        direction[h] = d / np.sqrt(dot3(d, d))
        # Head and chest take their share of the target's direction. With a gaze shift they move on the
        # saccade's bell, as much slower as the eyes' range allows (the eyes then hold the target while the
        # head arrives); between shifts they follow a moving target smoothly.
        yaw, pitch = _yaw_pitch(wanted[0], wanted[1], wanted[2])
        goal[0, 0] = _share(yaw, lim.head_from, lim.head_share, lim.head_yaw)
        goal[0, 1] = _share(pitch, lim.head_from, lim.head_share, lim.head_pitch)
        goal[1, 0] = _share(yaw, lim.body_from, lim.body_share, np.inf)
        goal[1, 1] = _share(pitch, lim.body_from, lim.body_share, np.inf)
        if began:
            move_from[h], move_to[h], move_start[h] = angles[h], goal, t
            move_duration[h] = duration[h] * _slowdown(
                _yaw_pitch(before[0], before[1], before[2]), (yaw, pitch),
                (angles[h, 0, 0] + angles[h, 1, 0], angles[h, 0, 1] + angles[h, 1, 1]),
                (goal[0, 0] + goal[1, 0], goal[0, 1] + goal[1, 1]), lim)
        u = (t - move_start[h]) / max(move_duration[h], 1e-9)
        if u < 1.0:
            angles[h] = move_from[h] + (move_to[h] - move_from[h]) * saccade_progress(u)
        else:
            angles[h] = angles[h] + (goal - angles[h]) * min(1.0, dt / lim.head_settle)
        # The chest's share on the upper chest; the head's spread over neck and head.
        for k in range(3):
            part, share = (1, 1.0) if k == 0 else (0, NECK_SHARE if k == 1 else HEAD_SHARE)
            _put(rotations[h, TURNED[k]], qmul(_turn(angles[h, part, 0] * share, angles[h, part, 1] * share),
                                               _quat(rotations[h, TURNED[k]])))
        # The head chain where it is now; then the eyes, aimed from there: head motion is cancelled (VOR).
        for n in range(len(CHAIN)):
            j = CHAIN[n]
            local = _quat(rotations[h, j])
            if n == 0:
                _put(wrot[0], local)
                wpos[0] = offsets[h, j] + hips[h]
            else:
                parent = _quat(wrot[PARENT_IN_CHAIN[n]])
                _put(wrot[n], qmul(parent, local))
                o = qrot(parent, (offsets[h, j, 0], offsets[h, j, 1], offsets[h, j, 2]))
                for c in range(3):
                    wpos[n, c] = wpos[PARENT_IN_CHAIN[n], c] + o[c]
        eye_mid[h] = (wpos[LEFT_EYE] + wpos[RIGHT_EYE]) / 2
        head = _quat(wrot[HEAD])
        _put(head_up[h], qrot(head, (0.0, 1.0, 0.0)))
        looked_at = eye_mid[h] + direction[h] * distance
        for e in range(2):
            eyes[h, e] = wpos[LEFT_EYE + e]
            v = looked_at - wpos[LEFT_EYE + e]
            x, y, z = qrot(qconj(head), (v[0], v[1], v[2]))
            eye_yaw, eye_pitch = _yaw_pitch(x, y, z)
            eye_yaw = min(max(eye_yaw, -lim.eye_yaw), lim.eye_yaw)
            eye_pitch = min(max(eye_pitch, -lim.eye_down), lim.eye_up)
            _put(rotations[h, EYES[e]], _turn(eye_yaw, eye_pitch))


@dataclass
class SaccadeStart:
    host: int
    amplitude_deg: float


class Gaze:
    """The gaze state of H hosts and its per-tick step."""

    def __init__(self, hosts: int, config: dict, eye_mid: np.ndarray) -> None:
        self.limits = Limits.of(config)
        self.direction = np.tile(Z, (hosts, 1))              # where the eyes look now (cyclopean)
        self.eye_mid = eye_mid.astype(float).copy()          # (H, 3) between the eyes, last tick
        self.target_id = np.full(hosts, -1)
        self.point = self.eye_mid + Z                         # the point being fixated or jumped to
        self.from_dir, self.to_dir = self.direction.copy(), self.direction.copy()
        self.start = np.full(hosts, -1.0)
        self.duration = np.zeros(hosts)
        self.angles = np.zeros((hosts, 2, 2))                # head and chest (yaw, pitch), radians
        self.move_from, self.move_to = self.angles.copy(), self.angles.copy()
        self.move_start, self.move_duration = np.zeros(hosts), np.zeros(hosts)
        self.eyes = np.zeros((hosts, 2, 3))                  # after a step: the eyes and ...
        self.head_up = np.zeros((hosts, 3))                  # ... the head's up, host frame

    def step(self, t: float, dt: float, target: np.ndarray, target_id: np.ndarray, rotations: np.ndarray,
             offsets: np.ndarray, hips: np.ndarray) -> list[SaccadeStart]:
        """Advance to time t: aim at `target` (H, 3); a changed `target_id` starts a saccade. Writes the
        upper chest, neck, head and eye rotations into `rotations` (H, J, 4) in place; returns the saccades
        that started."""
        started, amplitudes = np.zeros(len(target), bool), np.zeros(len(target))
        state = (self.direction, self.from_dir, self.to_dir, self.point, self.eye_mid, self.target_id, self.start,
                 self.duration, self.angles, self.move_from, self.move_to, self.move_start, self.move_duration,
                 self.eyes, self.head_up)
        _step(t, dt, np.ascontiguousarray(target, float), np.asarray(target_id), rotations, offsets, hips,
              self.limits, state, started, amplitudes)
        return [SaccadeStart(int(h), float(amplitudes[h])) for h in np.flatnonzero(started)]
