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
from ..skeleton.blend import Layer, blend, mask
from ..skeleton.pose import BONE_INDEX
from .stages import Stage
from .world import World

RELAXED = HANDSHAPES["relaxed"]
LEAN_BONES = [BONE_INDEX["spine"], BONE_INDEX["chest"]]
X = np.array([1.0, 0.0, 0.0])


class Body(Stage):
    name, does = "body", "idle, mocap clips and gestures as blender layers; a lean toward a far product"

    def __init__(self, world: World, clips: dict | None = None) -> None:
        self.idle = IdleBank([c.seed for c in world.cast], world.rate)
        self.clips = clips or {}              # host -> a clip player (mocap): pose(tick), face(tick)
        self.arms = {side: mask(f"{side}Arm") for side in ("left", "right")}

    def validate(self, world: World) -> None:
        unknown = set(self.clips) - set(range(world.hosts))
        if unknown:
            raise ValueError(f"body: clips for hosts {sorted(unknown)}, but the world has {world.hosts} hosts")

    def run(self, world: World, tick: int) -> None:
        rate, H = world.rate, world.hosts
        rot, hips = self.idle.pose(tick)
        layers = [Layer(rot, hips=hips)]
        if self.clips:
            played, played_hips, weight = rot.copy(), hips.copy(), np.zeros(H)
            for h, clip in self.clips.items():
                played[h], played_hips[h] = clip.pose(tick)
                weight[h] = 1.0
                world.puppets[h] = clip.face(tick)       # a mocap host is driven from outside
            layers.append(Layer(played, weight=weight, priority=1, hips=played_hips))
            rot = np.where(weight[:, None, None] > 0, played, rot)
        world.hand_curls[:] = RELAXED.curl
        world.hand_spread[:] = RELAXED.spread
        slots: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []        # gesture layers: rotations, weights, masks
        lean = np.zeros(H)
        for h in range(H):
            hold = world.holds[h]
            if hold is not None and hold.over(tick, rate):
                world.holds[h] = hold = None
            held = None
            if hold is not None:
                arm, at_product, _, _ = hold.phase(tick, rate)
                held = hold.side if arm > 0 else None
                if arm * at_product > 0:
                    if hold.lean is None:                # worked out once per hold
                        hold.lean = lean_for(world.cast[h].skeleton, rot[h], hold.side, hold)
                    lean[h] = hold.lean * arm * at_product
            # Ticks only move forward: drop gestures that have ended, so the cost stays flat over a long show.
            world.plans[h] = [(start, p) for start, p in world.plans[h] if tick < start + p.end * rate + 1]
            if not world.plans[h]:
                continue
            for k, (arm_rot, side, w, shape) in enumerate(world.cast[h].gesturer.layers(rot[h], world.plans[h], tick, rate, held)):
                if k == len(slots):
                    slots.append((rot.copy(), np.zeros(H), np.zeros((H, len(rot[0])))))
                slots[k][0][h], slots[k][1][h], slots[k][2][h] = arm_rot, w, self.arms[side]
                s = 0 if side == "left" else 1
                world.hand_curls[h, s] += (np.array(shape.curl) - world.hand_curls[h, s]) * w
                world.hand_spread[h, s] += (shape.spread - world.hand_spread[h, s]) * w
        layers += [Layer(r, weight=w, mask=m, priority=2 + k) for k, (r, w, m) in enumerate(slots)]
        if lean.any():
            bend = np.tile(quat.IDENTITY, (H, len(rot[0]), 1))
            bend[:, LEAN_BONES] = quat.from_axis_angle(X, lean / 2)[:, None]
            layers.append(Layer(bend, mode="additive"))
        if len(layers) == 1:                     # idle only: nothing to blend
            world.rotations[:], world.hips[:] = rot, hips
        else:
            out = blend(layers)
            world.rotations[:], world.hips[:] = out.rotations, out.hips
        world.face[:] = self.idle.face
