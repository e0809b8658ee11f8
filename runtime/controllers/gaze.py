"""Gaze for H hosts at once: saccades on the main sequence, fixation with the vestibulo-ocular reflex,
vergence, and gaze shifts shared between eyes, head, neck and upper chest.

All directions and points are in each host's own frame (+X its left, +Y up, +Z forward, metres).
Per tick: when a host's target changes, a saccade starts from where the eyes look now, lasting
`slope * amplitude + intercept` (the main sequence) with a bell-shaped speed; otherwise the gaze stays on
the target. The head, neck and chest turn toward the target with a critically damped spring, taking the
part of the angle beyond `head_from` (and `body_from`); the eyes are aimed last, from the head where it
actually is this tick, so head motion is cancelled by the eyes (VOR) and near targets converge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..skeleton import quat
from ..skeleton.pose import BONE_INDEX

CHAIN = ("hips", "spine", "chest", "upperChest", "neck", "head", "leftEye", "rightEye")
_CHAIN_INDEX = np.array([BONE_INDEX[b] for b in CHAIN])
_PARENT_IN_CHAIN = (-1, 0, 1, 2, 3, 4, 5, 5)
HEAD_SPLIT = {"neck": 0.4, "head": 0.6}        # how the head's share of a gaze shift is spread
_TURNED = np.array([BONE_INDEX[b] for b in ("upperChest", "neck", "head")])
_EYES = np.array([BONE_INDEX["leftEye"], BONE_INDEX["rightEye"]])
Z = np.array([0.0, 0.0, 1.0])
HEAD_SLOWEST = 2.5              # a head move lasts at most this many times its gaze shift's saccade
PURSUIT_DEG_S = 30.0           # the fastest a moving target is followed smoothly ...
CATCH_UP_DEG = 2.0              # ... before a saccade catches up with it
REFRACTORY_S = 0.08            # the shortest fixation between two saccades
EYE_MARGIN = 0.9                # share of the eyes' range a gaze shift may use while the head catches up


def main_sequence_s(amplitude_deg, slope_ms: float, intercept_ms: float):
    """Saccade duration (seconds) for an amplitude (degrees)."""
    return (slope_ms * np.asarray(amplitude_deg) + intercept_ms) / 1000.0


def saccade_progress(u: np.ndarray) -> np.ndarray:
    """Share of the way covered at u in [0, 1]; the speed is a bell (1 - cos), zero at both ends."""
    u = np.clip(u, 0.0, 1.0)
    return u - np.sin(2 * np.pi * u) / (2 * np.pi)


_SLOWDOWNS = np.linspace(1.0, HEAD_SLOWEST, 16)
_U_COARSE = np.linspace(0.0, 1.0, 41)
_PROGRESS_COARSE = saccade_progress(_U_COARSE)
_HEAD_PROGRESS = saccade_progress(_U_COARSE[None, :] / _SLOWDOWNS[:, None])     # (K, U)


def yaw_pitch(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Yaw (toward +X, the host's left) and pitch (up) of directions (..., 3), radians."""
    return np.arctan2(d[..., 0], d[..., 2]), np.arctan2(d[..., 1], np.hypot(d[..., 0], d[..., 2]))


def turn(yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Rotation that turns +Z to (yaw, pitch): yaw about +Y after pitch about -X (written out: this runs
    for every host every tick)."""
    sy, cy = np.sin(np.asarray(yaw) / 2), np.cos(np.asarray(yaw) / 2)
    sp, cp = np.sin(np.asarray(pitch) / 2), np.cos(np.asarray(pitch) / 2)
    return np.stack([-cy * sp, sy * cp, sy * sp, cy * cp], axis=-1)


def head_chain(rotations: np.ndarray, offsets: np.ndarray, hips: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World rotation matrices (H, 8, 3, 3) and positions (H, 8, 3) of CHAIN, for hosts with their own bone
    offsets (H, J, 3): different rigs batch together, and only this chain is computed."""
    local = quat.to_matrix(rotations[:, _CHAIN_INDEX])
    off = offsets[:, _CHAIN_INDEX]
    rot = np.empty_like(local)
    pos = np.empty(off.shape)
    rot[:, 0], pos[:, 0] = local[:, 0], off[:, 0] + hips
    for k in range(1, len(CHAIN)):
        parent = _PARENT_IN_CHAIN[k]
        rot[:, k] = rot[:, parent] @ local[:, k]
        pos[:, k] = pos[:, parent] + np.einsum("hij,hj->hi", rot[:, parent], off[:, k])
    return rot, pos


@dataclass
class SaccadeStart:
    host: int
    amplitude_deg: float


class Gaze:
    """The gaze state of H hosts and its per-tick step."""

    def __init__(self, hosts: int, config: dict, eye_mid: np.ndarray) -> None:
        self.c = config
        self.limits = np.radians([config["eye_yaw"], config["eye_up"], config["eye_down"]])
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

    def step(self, t: float, dt: float, target: np.ndarray, target_id: np.ndarray, rotations: np.ndarray,
             offsets: np.ndarray, hips: np.ndarray) -> list[SaccadeStart]:
        """Advance to time t: aim at `target` (H, 3); a changed `target_id` starts a saccade. Writes the
        upper chest, neck, head and eye rotations into `rotations` (H, J, 4) in place; returns the saccades
        that started."""
        c = self.c
        # A new target is taken once the last saccade is over and a short refractory time has passed;
        # until then the eyes stay on the point they were going to (saccades are not re-aimed in flight).
        same = target_id == self.target_id
        accept = ~same & (t >= self.start + self.duration + REFRACTORY_S)
        self.point = np.where((same | accept)[:, None], target, self.point)
        to_target = self.point - self.eye_mid
        distance = np.linalg.norm(to_target, axis=-1)
        wanted = to_target / distance[:, None]
        self.direction_before = self.direction.copy()
        # A target moving faster than the eyes can follow falls behind; a catch-up saccade brings it back.
        free = t >= self.start + self.duration + REFRACTORY_S
        lag = np.degrees(np.arccos(np.clip(np.sum(self.direction * wanted, -1), -1, 1)))
        catch_up = free & same & (lag > CATCH_UP_DEG)
        started = [self._saccade(int(h), t, wanted[h]) for h in np.nonzero(accept | catch_up)[0]]
        self.target_id = np.where(accept, target_id, self.target_id)
        # The eyes: along the saccade; else on the target, following it at most at pursuit speed.
        u = (t - self.start) / np.maximum(self.duration, 1e-9)
        moving = u < 1.0
        step = np.minimum(1.0, np.radians(PURSUIT_DEG_S) * dt / np.maximum(np.radians(lag), 1e-9))
        share = np.where(moving, saccade_progress(u), step)[:, None]
        a = np.where(moving[:, None], self.from_dir, self.direction)
        b = np.where(moving[:, None], self.to_dir, wanted)        # saccades are ballistic: a fixed landing
        angle = np.arccos(np.clip(np.sum(a * b, -1), -1, 1))[:, None]
        slerped = (np.sin((1 - share) * angle) * a + np.sin(share * angle) * b) / np.maximum(np.sin(angle), 1e-9)
        d = np.where(angle > 1e-6, slerped, b)
        self.direction = d / np.linalg.norm(d, axis=-1, keepdims=True)
        # Head and chest take their share of the target's direction. With a gaze shift they move on the
        # saccade's bell, as much slower as the eyes' range allows (the eyes then hold the target while the
        # head arrives); between shifts they follow a moving target smoothly.
        goal = self._goal(wanted)
        for s_ in started:
            h = s_.host
            self.move_from[h], self.move_to[h], self.move_start[h] = self.angles[h], goal[h], t
            self.move_duration[h] = self.duration[h] * self._slowdown(wanted[h], self.angles[h], goal[h], h)
        u = (t - self.move_start) / np.maximum(self.move_duration, 1e-9)
        planned = u < 1.0
        progress = saccade_progress(u)[:, None, None]
        moved = self.move_from + (self.move_to - self.move_from) * progress
        follow = self.angles + (goal - self.angles) * min(1.0, dt / c["head_settle"])
        self.angles = np.where(planned[:, None, None], moved, follow)
        shares = np.stack([self.angles[:, 1], self.angles[:, 0] * HEAD_SPLIT["neck"],
                           self.angles[:, 0] * HEAD_SPLIT["head"]], axis=1)             # (H, 3, 2)
        rotations[:, _TURNED] = quat.multiply(turn(shares[..., 0], shares[..., 1]), rotations[:, _TURNED])
        # The eyes last, from where the head really is: head motion is cancelled (VOR).
        world, pos = self.chain = head_chain(rotations, offsets, hips)     # kept for the caller
        self.eye_mid = (pos[:, 6] + pos[:, 7]) / 2
        point = self.eye_mid + self.direction * distance[:, None]
        local_dir = np.einsum("hji,hkj->hki", world[:, 5], point[:, None] - pos[:, 6:8])   # head^T (point - eye)
        eye_yaw, eye_pitch = yaw_pitch(local_dir)
        eye_yaw = np.clip(eye_yaw, -self.limits[0], self.limits[0])
        eye_pitch = np.clip(eye_pitch, -self.limits[2], self.limits[1])
        rotations[:, _EYES] = turn(eye_yaw, eye_pitch)
        return started

    def _saccade(self, h: int, t: float, wanted: np.ndarray) -> SaccadeStart:
        """Start host h's saccade from where its eyes look now toward `wanted`, on the main sequence."""
        amplitude = float(np.degrees(np.arccos(np.clip(self.direction[h] @ wanted, -1, 1))))
        self.from_dir[h], self.to_dir[h], self.start[h] = self.direction[h], wanted, t
        self.duration[h] = main_sequence_s(amplitude, self.c["saccade_ms_per_degree"], self.c["saccade_intercept_ms"])
        return SaccadeStart(h, amplitude)

    def _goal(self, wanted: np.ndarray) -> np.ndarray:
        """(H, 2, 2): the head's and the chest's (yaw, pitch) share of looking along `wanted`."""
        c = self.c
        yaw_pitch_ = np.stack(yaw_pitch(wanted), -1)
        goal = np.empty((len(wanted), 2, 2))
        for k, (start_deg, share) in enumerate(((c["head_from"], c["head_share"]), (c["body_from"], c["body_share"]))):
            goal[:, k] = np.sign(yaw_pitch_) * np.maximum(np.abs(yaw_pitch_) - np.radians(start_deg), 0.0) * share
        limits = np.radians([c["head_yaw"], c["head_pitch"]])
        goal[:, 0] = np.clip(goal[:, 0], -limits, limits)
        return goal

    def _slowdown(self, wanted: np.ndarray, now: np.ndarray, goal: np.ndarray, h: int) -> float:
        """How many saccade durations the head may take (1 .. HEAD_SLOWEST) with the eyes in range all the
        way: eye-in-head = gaze - head, with the gaze on the saccade's bell over u in [0, 1] and the head on
        the same bell over u / k."""
        target = np.array(yaw_pitch(wanted))
        head_now, head_goal = now.sum(axis=0), goal.sum(axis=0)          # head + chest, (yaw, pitch)
        gaze_now = np.array(yaw_pitch(self.direction_before[h]))
        gaze = gaze_now[:, None, None] + (target - gaze_now)[:, None, None] * _PROGRESS_COARSE[None, None, :]
        head = head_now[:, None, None] + (head_goal - head_now)[:, None, None] * _HEAD_PROGRESS[None]
        eye = gaze - head                                                # (2 axes, K slowdowns, U samples)
        reach = np.array([self.limits[0], self.limits[0]]) * EYE_MARGIN
        up, down = self.limits[1] * EYE_MARGIN, self.limits[2] * EYE_MARGIN
        fits = (np.abs(eye[0]) <= reach[0]).all(axis=-1) & (eye[1] <= up).all(axis=-1) & (eye[1] >= -down).all(axis=-1)
        ok = _SLOWDOWNS[fits]
        return float(ok.max()) if len(ok) else 1.0

    def eye_pitch(self, rotations: np.ndarray) -> np.ndarray:
        """Pitch of the left eye in the head (radians, up positive), for the lids to follow."""
        return yaw_pitch(quat.rotate(rotations[:, _EYES[0]], Z))[1]
