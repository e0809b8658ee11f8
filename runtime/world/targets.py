"""Where gestures can aim, in one host's frame: the set's products (the middle of each piece) and the camera."""
from __future__ import annotations

import numpy as np

from ..sets.setfile import HostPlacement, SetSpec
from ..skeleton.take import placement_matrix


def host_targets(spec: SetSpec, host: HostPlacement) -> dict[str, np.ndarray]:
    to_host = np.linalg.inv(placement_matrix(host.position, host.facing))
    targets = {p.id: (to_host @ [*p.piece.centre, 1.0])[:3] for p in spec.products}
    targets["camera"] = (to_host @ [*spec.cameras[0].position, 1.0])[:3]
    others = [h for h in spec.hosts if h is not host]
    if others:                                       # the co-host's face, roughly: 1.5 m up from its feet
        targets["cohost"] = (to_host @ [others[0].position[0], others[0].position[1], 1.5, 1.0])[:3]
    return targets
