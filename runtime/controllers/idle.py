"""Idle life for a standing host: arms relaxed at the sides, breathing, a slow weight shift, small
head motion and spontaneous blinks. A pure function of (tick, seed): any tick can be evaluated alone,
and two runs with one seed give identical poses.

The motion is a fixed table of (bone, axis, angle = offset + sum of sines); each tick evaluates all
angles as one array and composes them in layers (a bone's second rotation is applied after its first).
"""
from __future__ import annotations

import numpy as np

from ..skeleton import quat
from ..skeleton.humanoid import FINGERS
from ..skeleton.pose import BONE_INDEX, CHANNEL_INDEX, Pose

BLINK_SLOT_S = 4.0            # one blink per slot, placed at random inside it: ~15 a minute
BLINK_CLOSE_S, BLINK_OPEN_S = 0.10, 0.20
X, Y, Z = np.eye(3)

# Periods (s) of the slow oscillators; the phase of each comes from the host's seed.
BREATH, SWAY, HEAD_YAW, HEAD_YAW_FAST, HEAD_PITCH, ARM, FINGER = range(7)
PERIODS = np.array([4.0, 11.0, 7.3, 3.1, 5.7, 6.1, 4.9])   # BREATH's period is drawn per host


def _table() -> list[tuple[str, np.ndarray, float, dict[int, float]]]:
    """(bone, axis, offset deg, {oscillator: amplitude deg}) in application order."""
    rows = [
        ("chest", X, 0.0, {BREATH: -0.8}), ("upperChest", X, 0.0, {BREATH: -0.6}),
        ("spine", Z, 0.0, {SWAY: 1.2}), ("neck", Z, 0.0, {SWAY: -0.8}),
        ("head", Y, 0.0, {HEAD_YAW: 3.0, HEAD_YAW_FAST: 1.5}), ("head", X, 0.0, {HEAD_PITCH: 2.0}),
    ]
    for side, s in (("left", 1.0), ("right", -1.0)):
        rows += [
            (f"{side}Shoulder", Z, -s * 6.0, {BREATH: -s * 0.6}),
            (f"{side}UpperArm", Z, -s * 74.0, {ARM: -s * 1.2}),
            (f"{side}UpperArm", Y, s * 6.0, {}),                      # elbows slightly back
            (f"{side}LowerArm", Y, -s * 18.0, {}),                    # a relaxed elbow bend
            (f"{side}Hand", X, 6.0, {}),
        ]
        for k, finger in enumerate(FINGERS):
            for seg in ("Proximal", "Intermediate", "Distal"):
                if finger == "Thumb":
                    rows.append((f"{side}Thumb{seg}", Y, -s * 8.0, {}))
                else:
                    rows.append((f"{side}{finger}{seg}", Z, -s * (14.0 + 3.0 * k), {FINGER: -s * 2.0}))
    return rows


class IdleController:
    def __init__(self, seed: int, rate: int = 60) -> None:
        self.seed = seed
        self.rate = rate
        rng = np.random.default_rng(seed)
        self.phases = rng.uniform(0, 2 * np.pi, len(PERIODS))
        self.periods = PERIODS.copy()
        self.periods[BREATH] = rng.uniform(3.6, 4.6)        # 13-17 breaths a minute
        rows = _table()
        self._bones = np.array([BONE_INDEX[b] for b, *_ in rows])
        self._axes = np.array([a for _, a, _, _ in rows])
        self._offset = np.radians([o for _, _, o, _ in rows])
        self._amp = np.zeros((len(rows), len(PERIODS)))
        for i, (_, _, _, amps) in enumerate(rows):
            for osc, amp in amps.items():
                self._amp[i, osc] = np.radians(amp)
        # Layer k holds each bone's k-th rotation, so a layer never names a bone twice.
        layer = self._layers(self._bones)
        self._layer_rows = [np.nonzero(layer == k)[0] for k in range(layer.max() + 1)]

    @staticmethod
    def _layers(bones: np.ndarray) -> np.ndarray:
        count: dict[int, int] = {}
        out = np.empty(len(bones), int)
        for i, b in enumerate(bones):
            out[i] = count.get(int(b), 0)
            count[int(b)] = out[i] + 1
        return out

    def _oscillators(self, t: float) -> np.ndarray:
        return np.sin(2 * np.pi * t / self.periods + self.phases)

    def _blink(self, t: float) -> float:
        """Eyelid closure 0..1 at time t: fast close, slower open."""
        slot = int(t // BLINK_SLOT_S)
        weight = 0.0
        for s in (slot - 1, slot):
            if s < 0:
                continue
            start = s * BLINK_SLOT_S + np.random.default_rng([self.seed, s]).uniform(0.2, BLINK_SLOT_S - 0.4)
            dt = t - start
            if 0 <= dt < BLINK_CLOSE_S:
                weight = max(weight, dt / BLINK_CLOSE_S)
            elif BLINK_CLOSE_S <= dt < BLINK_CLOSE_S + BLINK_OPEN_S:
                weight = max(weight, 1 - (dt - BLINK_CLOSE_S) / BLINK_OPEN_S)
        return weight

    def pose(self, tick: int) -> Pose:
        t = tick / self.rate
        osc = self._oscillators(t)
        q = quat.from_axis_angle(self._axes, self._offset + self._amp @ osc)
        p = Pose.rest()
        for rows in self._layer_rows:
            bones = self._bones[rows]
            p.rotations[bones] = quat.multiply(q[rows], p.rotations[bones])
        p.hips_offset[0] = 0.012 * osc[SWAY]
        p.hips_offset[1] = 0.002 * osc[BREATH]
        closure = self._blink(t)
        p.face[CHANNEL_INDEX["blinkLeft"]] = closure
        p.face[CHANNEL_INDEX["blinkRight"]] = closure
        p.face[CHANNEL_INDEX["smile"]] = 0.25
        return p
