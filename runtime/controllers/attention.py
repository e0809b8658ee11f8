"""What each host looks at, and for how long: the conversation's gaze patterns.

A speaking host mostly addresses the camera and glances at its co-host, looking away first when a long
turn starts; a listening host looks at the speaker more than the speaker looks back; with nobody
speaking, hosts look at the viewers and now and then at each other. On a face the eyes move between
its two eyes and its mouth; on the camera they make small re-fixations. Each decision draws from the
host's own seeded generator, in tick order, so a run repeats exactly.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np

CAMERA_JITTER_M = (0.03, 0.06) # re-fixations on the camera land this far off its centre (~1 degree at 3 m)
CAMERA_REFIX_S = (0.8, 2.2)
MOUTH_BELOW_EYES_M = 0.065


class Look(IntEnum):
    CAMERA = 0
    PARTNER = 1
    AWAY = 2
    POINT = 3              # a product or a point someone asked for


class Role(IntEnum):
    IDLE = 0
    SPEAKING = 1
    LISTENING = 2


class Attention:
    def __init__(self, seeds: list[int], config: dict) -> None:
        self.c = config
        self.rng = [np.random.default_rng([seed, 0x6A2E]) for seed in seeds]
        n = len(seeds)
        self.look = np.full(n, Look.CAMERA)
        self.until = np.zeros(n)              # the current look ends
        self.sub_until = np.zeros(n)          # the current re-fixation / face point ends
        self.sub = np.zeros(n, int)           # which face point (0 left eye, 1 right eye, 2 mouth) or jitter
        self.jitter = np.zeros((n, 3))
        self.away = np.zeros((n, 3))          # direction of a look away (host frame)
        self.point = np.zeros((n, 3))         # a POINT look's target (host frame)
        self.role = np.full(n, Role.IDLE)
        self.target_id = np.zeros(n, int)     # changes whenever the gaze should jump
        self.pinned = np.zeros(n)             # an operator's look holds even through a turn until then
        self.averting = np.zeros(n, bool)     # a long turn's look away comes after its hand-over glance

    def _draw(self, h: int, span: tuple[float, float]) -> float:
        return float(self.rng[h].uniform(*span))

    def _choose(self, h: int, t: float, turn_started: bool, turn_length: float, handing_over: bool = False) -> None:
        rng, role, previous = self.rng[h], self.role[h], self.look[h]
        pattern = self.c[{Role.SPEAKING: "gaze.speaking", Role.LISTENING: "gaze.listening"}.get(role, "gaze.idle")]
        if handing_over:
            # A change of speaker: the one taking the turn meets the other's eyes first (then, for a long
            # turn, looks away), and the one yielding it turns to the new speaker.
            look, span = Look.PARTNER, pattern["handover"]
            self.averting[h] = role == Role.SPEAKING and turn_length >= pattern["aversion_after"]
        elif role == Role.SPEAKING and (self.averting[h] or turn_started and turn_length >= pattern["aversion_after"]):
            self.averting[h] = False
            look, span = Look.AWAY, pattern["aversion"]
            yaw, pitch = rng.choice([-1, 1]) * rng.uniform(0.25, 0.4), rng.choice([-0.25, 0.3])
            self.away[h] = [np.sin(yaw) * np.cos(pitch), np.sin(pitch), np.cos(yaw) * np.cos(pitch)]
        elif previous != Look.PARTNER and rng.random() < pattern["partner_chance"]:
            look, span = Look.PARTNER, pattern["partner"]
        else:
            look, span = Look.CAMERA, pattern["camera"]
        self.look[h], self.until[h], self.sub_until[h] = look, t + self._draw(h, span), t
        self.target_id[h] += 1

    def direct(self, h: int, t: float, look: Look, seconds: float, point: np.ndarray | None = None,
               pin: bool = False) -> None:
        """Make host h look at the camera, into its partner's eyes or at a point (host frame) now, for
        `seconds`, without glancing away (a director's or an operator's call). A pinned look also holds
        when the host takes a turn."""
        if t < self.pinned[h] and not pin:
            return
        self.look[h], self.sub[h], self.until[h], self.sub_until[h] = look, 0, t + seconds, t + seconds
        if point is not None:
            self.point[h] = point
        self.pinned[h] = t + seconds if pin else 0.0
        self.target_id[h] += 1

    def step(self, t: float, roles: np.ndarray, turn_lengths: np.ndarray, has_partner: np.ndarray) -> None:
        """Update every host's look for time t. `roles` (H,) Role; `turn_lengths` (H,) seconds of the line
        a host starts now (0 otherwise)."""
        # Taking the turn redirects the gaze at once; otherwise the current look runs its course.
        # Decided for all hosts at once: only the few whose look changes this tick go through Python.
        taking = (roles == Role.SPEAKING) & (self.role != Role.SPEAKING) & (t >= self.pinned)
        # The speaker changes when one host takes the turn while another had it or still listens to it.
        yielding = (roles == Role.LISTENING) & (self.role != Role.LISTENING) & (t >= self.pinned)
        handover = (taking & (self.role == Role.LISTENING)) | yielding
        self.role[:] = roles
        for h in np.flatnonzero(taking | yielding | (t >= self.until)):
            self._choose(h, t, bool(taking[h]), float(turn_lengths[h]), bool(handover[h] and has_partner[h]))
            if self.look[h] == Look.PARTNER and not has_partner[h]:
                self.look[h] = Look.CAMERA
        for h in np.flatnonzero(t >= self.sub_until):      # after the new looks: a new look ends its sub-look
            rng = self.rng[h]
            if self.look[h] == Look.PARTNER:
                face = self.c["gaze.face"]
                mouth = rng.random() < face["mouth_chance"]
                self.sub[h] = 2 if mouth else (1 - self.sub[h] if self.sub[h] < 2 else int(rng.integers(2)))
                self.sub_until[h] = t + self._draw(h, face["dwell"])
            else:
                angle = rng.uniform(0, 2 * np.pi)               # a re-fixation of at least half a degree
                self.jitter[h] = rng.uniform(*CAMERA_JITTER_M) * np.array([np.cos(angle), np.sin(angle), 0.0])
                self.sub_until[h] = t + self._draw(h, CAMERA_REFIX_S)
            self.target_id[h] += 1

    def targets(self, camera: np.ndarray, partner_eyes: np.ndarray, partner_up: np.ndarray,
                eye_mid: np.ndarray) -> np.ndarray:
        """The point each host fixates now (H, 3), host frames: `camera` (H, 3); the partner's eyes
        (H, 2, 3) and head up (H, 3) in the looking host's frame; `eye_mid` (H, 3) its own eyes."""
        eyes_or_mouth = np.where((self.sub == 2)[:, None],
                                 partner_eyes.mean(axis=1) - MOUTH_BELOW_EYES_M * partner_up,
                                 partner_eyes[np.arange(len(self.sub)), np.minimum(self.sub, 1)])
        choices = np.stack([camera + self.jitter, eyes_or_mouth, eye_mid + 2.0 * self.away, self.point])
        return choices[self.look, np.arange(len(self.look))]
