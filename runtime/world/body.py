"""The body stage: every host's idle life, mocap clips and planned gestures as layers of the blender.

Bottom to top: the idle clip for all hosts at once (breathing, weight shift, head motion); a mocap clip
over the whole body where a host plays one; each gesture step as an arm layer, in the order of its
stroke, at its weight; the lean toward a product beyond the arm as an additive layer on spine and chest.
The hand shapes the gestures ask for go to the fingers stage; the arm holding a product is the holds
stage's (it is solved there once, after the gaze).
"""
from __future__ import annotations

import numpy as np

from ..controllers.hold import lean_for
from ..controllers.idle import IdleBank
from ..gesture.handshapes import HANDSHAPES
from ..skeleton import quat
from ..skeleton.blend import BLEND_THRESHOLD, mask
from ..skeleton.kernels import ADDITIVE, OVERRIDE, blend_layers
from ..skeleton.pose import BONE_INDEX
from .stages import Stage
from .world import World

RELAXED = HANDSHAPES["relaxed"]
LEAN_BONES = [BONE_INDEX["spine"], BONE_INDEX["chest"]]
X = np.array([1.0, 0.0, 0.0])
IDLE, CLIP, GESTURES = 0, 1, 2                 # the layers' slots; gestures take the next MAX_GESTURES
MAX_GESTURES = 6                               # arm layers at once (two hands, overlapping steps)
LEAN = GESTURES + MAX_GESTURES


class Body(Stage):
    name, does = "body", "idle, mocap clips and gestures as blender layers; a lean toward a far product"

    def __init__(self, world: World, clips: dict | None = None) -> None:
        self.idle = IdleBank([c.seed for c in world.cast], world.rate)
        self.clips = clips or {}              # host -> a clip player (mocap): pose(tick), face(tick)
        self.arms = {side: mask(f"{side}Arm") for side in ("left", "right")}
        # Every host's layers, allocated once and filled each tick (a slot at weight 0 does nothing):
        # idle, clip, the gesture slots in stroke order, the lean (additive).
        H, J, L = world.hosts, len(BONE_INDEX), LEAN + 1
        self.rots, self.hips = np.tile(quat.IDENTITY, (H, L, J, 1)), np.zeros((H, L, 3))
        self.weights, self.hips_weights, self.masks = np.zeros((H, L)), np.zeros((H, L)), np.ones((H, L, J))
        self.weights[:, IDLE] = self.hips_weights[:, IDLE] = 1.0
        self.modes = np.array([OVERRIDE] * LEAN + [ADDITIVE])
        self.priorities = np.arange(L)
        self.priorities[LEAN] = 0

    def validate(self, world: World) -> None:
        unknown = set(self.clips) - set(range(world.hosts))
        if unknown:
            raise ValueError(f"body: clips for hosts {sorted(unknown)}, but the world has {world.hosts} hosts")

    def run(self, world: World, tick: int) -> None:
        rate = world.rate
        rot, hips = self.idle.pose(tick)
        world.face[:] = self.idle.face
        world.hand_curls[:] = RELAXED.curl
        world.hand_spread[:] = RELAXED.spread
        world.rotations[:], world.hips[:] = rot, hips
        self.weights[:, CLIP:] = 0.0                         # the idle layer is always there at full weight
        for h in range(world.hosts):
            base = rot[h]
            if h in self.clips:
                base, played_hips = self.clips[h].pose(tick)
                world.puppets[h] = self.clips[h].face(tick)      # a mocap host is driven from outside
                self.rots[h, CLIP], self.hips[h, CLIP] = base, played_hips
                self.weights[h, CLIP] = self.hips_weights[h, CLIP] = 1.0
            lean = self._lean(world, h, base, tick, rate)
            if lean:
                self.rots[h, LEAN, LEAN_BONES] = quat.from_axis_angle(X, lean / 2)
                self.weights[h, LEAN] = 1.0
            gestures = self._gestures(world, h, base, tick, rate)
            if gestures or lean or h in self.clips:          # else the idle pose, already in the world, stands
                self.rots[h, IDLE], self.hips[h, IDLE] = rot[h], hips[h]
                blend_layers(self.rots[h], self.hips[h], self.weights[h], self.hips_weights[h], self.masks[h],
                             self.modes, self.priorities, self.priorities[:LEAN], BLEND_THRESHOLD, world.rotations[h],
                             world.hips[h])

    @staticmethod
    def _lean(world: World, h: int, rot: np.ndarray, tick: int, rate: int) -> float:
        """How far host h leans toward a product beyond its arm now (radians), while its hold reaches for
        it or puts it back; a hold that is over is let go."""
        hold = world.holds[h]
        if hold is not None and hold.over(tick, rate):
            world.holds[h] = hold = None
        if hold is None:
            return 0.0
        arm, at_product, _, _ = hold.phase(tick, rate)
        if arm * at_product <= 0:
            return 0.0
        if hold.lean is None:                        # worked out once per hold
            hold.lean = lean_for(world.cast[h].skeleton, rot, hold.side, hold)
        return hold.lean * arm * at_product

    def _gestures(self, world: World, h: int, rot: np.ndarray, tick: int, rate: int) -> int:
        """Fill host h's gesture slots (arm pose, weight, arm mask), in the order of their strokes; the
        hand shapes they ask for go to the fingers. A hand holding a product does not gesture. Returns
        how many slots are in use."""
        # Ticks only move forward: drop gestures that have ended, so the cost stays flat over a long show.
        world.plans[h] = [(start, p) for start, p in world.plans[h] if tick < start + p.end * rate + 1]
        if not world.plans[h]:
            return 0
        hold = world.holds[h]
        held = hold.side if hold is not None and hold.phase(tick, rate)[0] > 0 else None
        layers = world.cast[h].gesturer.layers(rot, world.plans[h], tick, rate, held, self.rots[h, GESTURES:LEAN])
        for k, (side, w, shape) in enumerate(layers):
            self.weights[h, GESTURES + k], self.masks[h, GESTURES + k] = w, self.arms[side]
            s = 0 if side == "left" else 1
            world.hand_curls[h, s] += (np.array(shape.curl) - world.hand_curls[h, s]) * w
            world.hand_spread[h, s] += (shape.spread - world.hand_spread[h, s]) * w
        return len(layers)
