"""Idle life for a standing host: arms relaxed at the sides, breathing, a slow weight shift, small
head motion and spontaneous blinks. A pure function of (tick, seed): any tick can be evaluated alone,
and two runs with one seed give identical poses.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import quat
from ..skeleton.humanoid import FINGERS
from ..skeleton.pose import BONE_INDEX, CHANNEL_INDEX, Pose

BLINK_SLOT_S = 4.0            # one blink per slot, placed at random inside it: ~15 a minute
BLINK_CLOSE_S, BLINK_OPEN_S = 0.10, 0.20
X, Y, Z = np.eye(3)


class IdleController:
    def __init__(self, seed: int, rate: int = 60) -> None:
        self.seed = seed
        self.rate = rate
        rng = np.random.default_rng(seed)
        self.phases = rng.uniform(0, 2 * np.pi, 8)
        self.breath_period = rng.uniform(3.6, 4.6)       # 13-17 breaths a minute

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
        ph = self.phases
        p = Pose.rest()
        r = p.rotations

        def put(bone: str, axis, deg: float) -> None:
            i = BONE_INDEX[bone]
            r[i] = quat.multiply(quat.from_axis_angle(axis, np.radians(deg)), r[i])

        breath = np.sin(2 * np.pi * t / self.breath_period + ph[0])
        sway = np.sin(2 * np.pi * t / 11.0 + ph[1])
        put("chest", X, -0.8 * breath)
        put("upperChest", X, -0.6 * breath)
        put("spine", Z, 1.2 * sway)
        p.hips_offset[0] = 0.012 * sway
        p.hips_offset[1] = 0.002 * breath
        put("neck", Z, -0.8 * sway)
        put("head", Y, 3.0 * np.sin(2 * np.pi * t / 7.3 + ph[2]) + 1.5 * np.sin(2 * np.pi * t / 3.1 + ph[3]))
        put("head", X, 2.0 * np.sin(2 * np.pi * t / 5.7 + ph[4]))
        for side, s in (("left", 1.0), ("right", -1.0)):
            put(f"{side}Shoulder", Z, -s * (6.0 + 0.6 * breath))
            put(f"{side}UpperArm", Z, -s * (74.0 + 1.2 * np.sin(2 * np.pi * t / 6.1 + ph[5])))
            put(f"{side}UpperArm", Y, s * 6.0)                 # elbows slightly back
            put(f"{side}LowerArm", Y, -s * 18.0)                # a relaxed elbow bend
            put(f"{side}Hand", X, 6.0)
            curl = 14.0 + 2.0 * np.sin(2 * np.pi * t / 4.9 + ph[6] + s)
            for k, finger in enumerate(FINGERS):
                for seg in ("Proximal", "Intermediate", "Distal"):
                    if finger == "Thumb":
                        put(f"{side}Thumb{seg}", Y, -s * 8.0)
                    else:
                        put(f"{side}{finger}{seg}", Z, -s * (curl + 3.0 * k))
        closure = self._blink(t)
        p.face[CHANNEL_INDEX["blinkLeft"]] = closure
        p.face[CHANNEL_INDEX["blinkRight"]] = closure
        p.face[CHANNEL_INDEX["smile"]] = 0.25
        return p
