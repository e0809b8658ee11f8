"""A set's hosts as a World: who stands where, on which skeleton, aiming gestures at what."""
from __future__ import annotations

import numpy as np

from ..sets.setfile import SetSpec
from ..skeleton.skeleton import Skeleton
from ..skeleton.take import placement_matrix
from .targets import host_targets
from .world import Host, World


def host_of(spec: SetSpec, h: int, skeleton: Skeleton) -> Host:
    place = spec.hosts[h]
    return Host(place.name, skeleton, placement_matrix(place.position, place.facing), place.seed,
                place.expressivity, host_targets(spec, place))


def world_of(spec: SetSpec, skeletons: list[Skeleton], config: dict | None = None) -> World:
    """The set's hosts, standing where the set puts them, the camera its first (the viewers)."""
    return World([host_of(spec, h, sk) for h, sk in enumerate(skeletons)], spec.tick_rate,
                 np.array(spec.cameras[0].position, float), config)
