"""Blinks for H hosts: spontaneous at each host's own rate (higher while speaking), gaze-evoked with large
gaze shifts, a fast close and a slower open, and upper lids that follow the eyes down.

Spontaneous blinks are a renewal process: after any blink the next one comes after an interval drawn
around the host's rate for what it is doing, so gaze-evoked blinks take the place of spontaneous ones
rather than adding to them. Each host also keeps count of its blinks in each role: when a dialogue with
quick turns (and so many large gaze shifts) takes it above its rate, fewer shifts bring a blink and the
spontaneous ones slow down, so every role blinks at its own rate.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..skeleton.kernels import qrot

GAMMA_SHAPE = 4.0             # intervals between blinks: regular-ish, never a burst
MIN_INTERVAL_S = 0.6
EVOKED_AFTER_S = 0.5          # a gaze shift this soon after a blink does not bring another
RATE_MEMORY_S = 120.0         # a role's blink count and time are forgotten over about this long in the role
RATE_SETTLE_S = 6.0           # ... and are not trusted before this much time in it
LID_FULL_DOWN = np.radians(30.0)     # eyes looking this far down take the lids down by `lid_follow`


class Blink:
    def __init__(self, seeds: list[int], config: dict) -> None:
        self.c = config
        self.rng = [np.random.default_rng([seed, 0xB1]) for seed in seeds]
        # Each host's own rates, from the lower half of each range (evoked blinks included).
        self.rates = np.array([[lo + (hi - lo) * r.uniform(0.1, 0.4) for lo, hi in (config["listening"],
                                                                             config["speaking"])]
                               for r in self.rng])                     # (H, 2): listening/idle, speaking
        self.count = np.zeros((len(seeds), 2))                         # blinks in each role, decaying
        self.time = np.zeros((len(seeds), 2))                          # seconds in each role, decaying
        self.t = 0.0
        self.start = np.full(len(seeds), -10.0)                        # the last blink started
        self.next = np.array([self._interval(h, False) for h in range(len(seeds))])
        self.speaking = np.zeros(len(seeds), bool)

    def _excess(self, h: int, speaking: bool) -> float:
        """How far the host's blinks in this role run above its rate (1 = on it; up to 3)."""
        r = int(speaking)
        measured = 60.0 * self.count[h, r] / max(self.time[h, r], RATE_SETTLE_S)
        return float(np.clip(measured / self.rates[h, r], 1.0, 3.0))

    def _interval(self, h: int, speaking: bool) -> float:
        mean = 60.0 / self.rates[h, int(speaking)] * self._excess(h, speaking) ** 4
        return max(MIN_INTERVAL_S, float(self.rng[h].gamma(GAMMA_SHAPE, mean / GAMMA_SHAPE)))

    def trigger(self, h: int, t: float, speaking: bool) -> None:
        if t - self.start[h] > self.c["close"] + self.c["closed"] + self.c["open"]:   # not while blinking
            self.start[h] = t
            self.count[h, int(speaking)] += 1.0
            self.next[h] = t + self._interval(h, speaking)

    def gaze_shift(self, h: int, t: float, amplitude_deg: float, speaking: bool) -> None:
        if amplitude_deg > self.c["gaze_evoked_above"] and t - self.start[h] > EVOKED_AFTER_S \
                and self.rng[h].random() < self.c["gaze_evoked_chance"] / self._excess(h, speaking):
            self.trigger(h, t, speaking)

    def step(self, t: float, speaking: np.ndarray, eyes: np.ndarray) -> np.ndarray:
        """Lid closure (H,) 0..1 at time t; `eyes` (H, 4) each host's left eye rotation in its head."""
        dt, self.t = t - self.t, t
        role = self.speaking.astype(int)
        forget = np.exp(-dt / RATE_MEMORY_S)
        hosts = np.arange(len(role))
        self.count[hosts, role] *= forget
        self.time[hosts, role] = self.time[hosts, role] * forget + dt
        for h in np.flatnonzero(speaking != self.speaking):
            # The rate changes with the role: the time left to the next blink scales with it.
            old, new = self.rates[h, int(self.speaking[h])], self.rates[h, int(speaking[h])]
            self.next[h] = t + max(0.0, self.next[h] - t) * old / new
        self.speaking = speaking.copy()
        for h in np.flatnonzero(t >= self.next):
            self.trigger(int(h), t, bool(speaking[h]))
        c = self.c
        closure = np.empty(len(self.start))
        _lids(t, self.start, eyes, c["close"], c["closed"], c["open"], c["lid_follow"], closure)
        return closure


@njit(cache=True)
def _lids(t, start, eyes, close, closed, open_, follow, out):
    """Each host's lid closure: its blink (an accelerating shut, held, a slower open), or more where
    the upper lid follows the eye down."""
    for h in range(len(start)):
        dt = t - start[h]
        if dt < 0:
            blink = 0.0
        elif dt < close:
            blink = (dt / close) ** 2
        elif dt < close + closed:
            blink = 1.0
        else:
            blink = (1.0 - min((dt - close - closed) / open_, 1.0)) ** 2
        x, y, z = qrot((eyes[h, 0], eyes[h, 1], eyes[h, 2], eyes[h, 3]), (0.0, 0.0, 1.0))   # where the eye looks
        pitch = np.arctan2(y, np.sqrt(x * x + z * z))
        down = min(max(-pitch / LID_FULL_DOWN, 0.0), 1.0) * follow
        out[h] = max(blink, down)
