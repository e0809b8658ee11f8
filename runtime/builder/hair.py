"""Hair of a built-in host: a cap for volume, a fringe of tapered strands over the forehead, and locks that
hang (skinned to joint chains of their own under the head, which VRMC_springBone swings).

A strand is a flat ribbon swept along a path, thin across the head and wide along it, tapering to a point.
Each style (spec.HAIR_STYLES) says where its hairline lies, how long its locks are, and which chains it has.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..skeleton.pose import BONE_INDEX
from ..tomlfile import srgb_to_linear
from .glb import Collider, Spring
from .mesh import Part, chain_weights, close_grid, ellipsoid, polyline, rigid, skinned_tube, tube
from .paint import grid, smooth, to_srgb_bytes

if TYPE_CHECKING:
    from .figure import Figure

HAIR_LIMITS = {  # hairline polar angle (deg from the crown) at front, sides, back
    "short": (62, 92, 118), "bob": (64, 118, 126), "long": (60, 108, 118), "bun": (58, 98, 130),
    "ponytail": (58, 98, 130),                # tied back: the hair covers the skull down to the nape
}
# Where a style's hanging locks end (metres below the head centre, for a 1.70 m host), and the azimuths
# (deg, 0 = the face, 90 = the host's left) of its chains; each lock follows the chain nearest it.
LOCK_DROP = {"bob": 0.10, "long": 0.33, "bun": 0.085, "ponytail": 0.085}
CHAINS = {"short": (), "bob": (80, 180, 280), "long": (80, 135, 180, 225, 280), "bun": (80, 280),
          "ponytail": (80, 280)}
# Lock azimuths: side locks framing the face, and (bob, long) locks all round the back.
LOCK_AZIMUTHS = {"bob": np.arange(60, 301, 12), "long": np.arange(60, 301, 12), "bun": np.array([66, 78, 282, 294]),
                 "ponytail": np.array([66, 78, 282, 294])}
SPRING = {"stiffness": 0.8, "drag": 0.35, "gravity": 0.15}
HIT_RADIUS = 0.012                               # a lock's reach round each spring joint (m, for a 1.70 m host)
BANGS = 9                                        # fringe strands across the forehead
# The sheen ("angel ring"): a band round the head this far from the crown (deg), its edges zig-zagging along
# the strands; its light is the hair's own colour (linear) times a gain plus a lift, so black hair shines too.
SHEEN_POLAR, SHEEN_WIDTH, SHEEN_ZIGZAG, SHEEN_GAIN, SHEEN_LIFT = 52.0, 8.0, 3.0, 2.0, 0.05
HAIR_SIZE = 128


JointSpec = tuple[str, str, np.ndarray]          # name, parent name, rest position (model space)


@dataclass
class Hair:
    parts: list[Part]
    joints: list[JointSpec]                      # past the humanoid's, in index order
    springs: list[Spring]
    colliders: list[Collider]


def hair_uvs(f: Figure, positions: np.ndarray) -> np.ndarray:
    """Round the head: u by azimuth, v by the polar angle from the crown (0..180 deg to 0..1), so the sheen's
    band lies at one height across the cap, the fringe and the locks alike."""
    d = (positions - f.head_c) / f.head_r
    az = np.arctan2(d[:, 0], d[:, 2])
    polar = np.arctan2(np.hypot(d[:, 0], d[:, 2]), d[:, 1])
    return np.stack([0.5 + az / (2 * np.pi), polar / np.pi], -1)


def hair_color(f: Figure) -> tuple[float, float, float]:
    """The hair material's base colour: the sheen's; the texture darkens the rest to the spec's colour."""
    hair = np.array(srgb_to_linear(f.spec.colors["hair"]))
    return tuple(float(v) for v in np.minimum(hair * SHEEN_GAIN + SHEEN_LIFT, 1.0))


def paint_hair(f: Figure) -> np.ndarray:
    """The sheen band over the hair's own colour, as multipliers of `hair_color`."""
    hair = np.array(srgb_to_linear(f.spec.colors["hair"]))
    base = np.array(hair_color(f))
    u, v = grid(HAIR_SIZE)
    centre = (SHEEN_POLAR + SHEEN_ZIGZAG * np.abs(((u * 36) % 2) - 1) * 2 - SHEEN_ZIGZAG) / 180
    band = 1 - smooth(0.3, 1.0, np.abs(v - centre) / (SHEEN_WIDTH / 180))
    img = hair[None, None] * (1 - band[..., None]) + base[None, None] * band[..., None]
    return to_srgb_bytes(img / base)


def _surface(f: Figure, polar: np.ndarray, az: np.ndarray, lift: np.ndarray) -> np.ndarray:
    """Points over the head at polar angle from the crown and azimuth (radians), `lift` times the head radii."""
    unit = np.stack([np.sin(polar) * np.sin(az), np.cos(polar), np.sin(polar) * np.cos(az)], -1)
    return f.head_c + unit * f.head_r * np.asarray(lift)[..., None]


def _ribbon(path: np.ndarray, width: float, thickness: float, outward: np.ndarray, tip: float = 0.08
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A strand: flat (thin along `outward`), `width` wide, tapering to `tip` of that at the path's end."""
    taper = np.linspace(1.0, tip, len(path)) ** 0.8
    return tube(path, thickness * taper, cols=6, up_hint=outward, flatten=width / thickness, cap_rows=1)


def _hairline(style: str, az: np.ndarray) -> np.ndarray:
    """The hairline's polar angle (radians) at azimuth `az`: through the style's front, sides and back."""
    front, sides, back = (np.radians(v) for v in HAIR_LIMITS[style])
    a = ((front + back) / 2 + sides) / 2
    b, cc = (front - back) / 2, ((front + back) / 2 - sides) / 2
    return a + b * np.cos(az) + cc * np.cos(2 * az)


def _cap(f: Figure) -> Part:
    """The volume of the hair: a shell over the skull down to the style's hairline."""
    s, c, r = f.s, f.head_c, f.head_r
    style = f.spec.hair
    az = np.linspace(0, 2 * np.pi, 36, endpoint=False)           # 0 = front (+Z), pi/2 = host's left
    limit = _hairline(style, az)
    k = np.linspace(0.06, 1.0, 14)[:, None]
    polar = k * limit[None, :]
    flare = 1 + (0.14 if style == "bob" else 0.05) * np.clip((polar - np.radians(80)) / np.radians(45), 0, 1)
    rad = r * np.array([1.10, 1.07, 1.09])
    unit = np.stack([np.sin(polar) * np.sin(az), np.cos(polar), np.sin(polar) * np.cos(az)], -1)
    centre = c + np.array([0, 0.006, -0.006]) * s
    pos, idx = close_grid(centre + unit * rad * flare[..., None], start_cap=True, end_cap=False)
    pos[-1] = centre + [0, rad[1], 0]
    return Part("hair", pos, idx, *rigid(len(pos), BONE_INDEX["head"]))


def _bangs(f: Figure) -> list[Part]:
    """Fringe strands from the crown over the forehead, parted a little off centre, ending at uneven lengths
    above the brows."""
    s, head = f.s, BONE_INDEX["head"]
    front = np.radians(HAIR_LIMITS[f.spec.hair][0])
    parts = []
    for i, az0 in enumerate(np.radians(np.linspace(-62, 62, BANGS))):
        reach = front + np.radians(5 + 4 * ((i * 7) % 3) - 3 * abs(az0))     # a repeatable ragged edge
        t = np.linspace(0, 1, 10)
        polar = np.radians(18) + (reach - np.radians(18)) * t
        az = np.radians(8) + (az0 - np.radians(8)) * (0.35 + 0.75 * t)          # swept from a parting
        lift = 1.10 - 0.065 * t ** 2
        path = _surface(f, polar, az, lift)
        outward = path[0] - f.head_c
        pos, idx, _ = _ribbon(path, 0.026 * s, 0.004 * s, outward)
        parts.append(Part("hair", pos, idx, *rigid(len(pos), head)))
    return parts


def _short_locks(f: Figure) -> list[Part]:
    """Short hair: locks combed back over the skull from the crown, ending in points just past the hairline."""
    s, head = f.s, BONE_INDEX["head"]
    parts = []
    for az in np.radians(np.arange(66, 295, 14)):
        t = np.linspace(0, 1, 9)
        polar = np.radians(24) + (_hairline("short", az) + np.radians(7) - np.radians(24)) * t
        path = _surface(f, polar, np.full_like(polar, az), 1.10 + 0.03 * t)
        pos, idx, _ = _ribbon(path, 0.04 * s, 0.005 * s, path[0] - f.head_c)
        parts.append(Part("hair", pos, idx, *rigid(len(pos), head)))
    return parts


def _lock_path(f: Figure, az: float, drop: float) -> np.ndarray:
    """Over the skull from near the crown to the widest point of the head, then hanging straight down (a
    little outward) to `drop` below the head centre."""
    s = f.s
    polar = np.radians(np.linspace(30, 96, 7))
    over = _surface(f, polar, np.full_like(polar, az), np.linspace(1.09, 1.13, len(polar)))
    bottom = f.head_c[1] - drop * s
    t = np.linspace(0, 1, 6)[1:, None]
    out = np.array([np.sin(az), 0.0, np.cos(az)])
    hang = over[-1] + t * (np.array([0.0, bottom - over[-1][1], 0.0]) + out * 0.012 * s)
    return _drape(f, polyline(np.vstack([over, hang]), 2), out)


def _collider_spheres(f: Figure) -> list[tuple[str, np.ndarray, float]]:
    """(joint, offset from it, radius) of the spheres the locks may not enter: head, neck, upper chest."""
    s, jt = f.s, f.joints
    return [("head", f.head_c - jt["head"] + np.array([0, 0, -0.005 * s]), float(f.head_r[0])),
            ("neck", np.array([0.0, 0.03 * s, 0.0]), 0.055 * s),
            ("upperChest", np.array([0.0, 0.02 * s, -0.01 * s]), 0.11 * s * f.build)]


def _drape(f: Figure, points: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Move each point out along `out` until it clears every collider by more than a lock's reach, so that
    at rest no spring joint starts inside one (the simulation would throw the hair out at the first tick)."""
    pts = points.copy()
    for joint, offset, radius in _collider_spheres(f):
        d = pts - (f.joints[joint] + offset)
        reach = radius + (HIT_RADIUS + 0.004) * f.s
        b = d @ out                                  # |d + t out| = reach, the larger root
        disc = b ** 2 - (d * d).sum(axis=1) + reach ** 2
        pts += np.maximum(-b + np.sqrt(np.maximum(disc, 0.0)), 0.0)[:, None] * (disc > 0)[:, None] * out
    return pts


def _chain_joints(f: Figure, name: str, az: float, drop: float) -> list[JointSpec]:
    """Three joints down a hanging lock from the head's widest point, and one at its tip."""
    path = _lock_path(f, az, drop)
    start = 12                                    # the last point over the skull (7 points, 2 samples per gap)
    ys = np.linspace(path[start][1], path[-1][1], 4)
    joints, parent = [], "head"
    for k, y in enumerate(ys):
        joint = f"{name}{k + 1}" if k < 3 else f"{name}Tip"
        point = path[start + np.argmin(np.abs(path[start:, 1] - y))].copy()
        point[1] = y
        joints.append((joint, parent, point))
        parent = joint
    return joints


def _chain_name(az_deg: float) -> str:
    """hairLeft, hairBackLeft, hairBack, hairBackRight, hairRight (the host's own left is +X, azimuth 90)."""
    for limit, side in ((110, "Left"), (170, "BackLeft"), (190, "Back"), (250, "BackRight"), (360, "Right")):
        if az_deg < limit:
            return f"hair{side}"
    raise ValueError(f"azimuth {az_deg} is not in 0..360")


def _ponytail(f: Figure, index: dict[str, int]) -> tuple[Part, list[JointSpec]]:
    """A tail tied at the back of the head, on a chain of its own (`index` gains its joints)."""
    s, c, r = f.s, f.head_c, f.head_r
    back = c + np.array([0, 0.01 * s, -r[2] * 1.09])
    pts = _drape(f, np.array([back + np.array([0, 0.0, 0.01]) * s, back + np.array([0, -0.06, -0.03]) * s,
                              back + np.array([0, -0.16, -0.035]) * s, back + np.array([0, -0.24, -0.02]) * s]),
                 np.array([0.0, 0.0, -1.0]))
    pts[0] = back + np.array([0, 0.0, 0.01]) * s              # the root stays where the tail is tied
    joints = [("ponytail1", "head", pts[0]), ("ponytail2", "ponytail1", pts[1]), ("ponytail3", "ponytail2", pts[2]),
              ("ponytailTip", "ponytail3", pts[3])]
    for name, _, _ in joints:
        index[name] = len(index)
    seg = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    tail = skinned_tube("hair", pts, [0.026 * s, 0.03 * s, 0.024 * s, 0.012 * s], [index[n] for n, _, _ in joints],
                        0.03 * s, per_segment=6, cols=10, bounds=[*seg[:3], seg[3] - 0.01 * s], up_hint=(1, 0, 0))
    return tail, joints


def _hanging_locks(f: Figure, index: dict[str, int]) -> tuple[list[Part], list[JointSpec], list[list[str]]]:
    """The style's joint chains, and its locks, each skinned down the chain nearest it (`index` gains the
    chains' joints)."""
    s, style = f.s, f.spec.hair
    chains: dict[float, list[JointSpec]] = {}
    for az in CHAINS[style]:
        chains[az] = _chain_joints(f, _chain_name(az), np.radians(az), LOCK_DROP[style])
        for name, _, _ in chains[az]:
            index[name] = len(index)
    parts = []
    for az_deg in LOCK_AZIMUTHS.get(style, ()):
        az = np.radians(az_deg)
        outward = np.array([np.sin(az), 0.0, np.cos(az)])
        pos, idx, _ = _ribbon(_lock_path(f, az, LOCK_DROP[style]), 0.044 * s, 0.005 * s, outward,
                              tip=0.3 if style == "bob" else 0.1)           # a bob's ends are blunt
        chain = chains[min(chains, key=lambda c: abs((c - az_deg + 180) % 360 - 180))]
        ys = [p[1] for _, _, p in chain]
        bounds = [-1e9, *(-y for y in ys[:3]), -(ys[3] + 0.006 * s)]         # the tip joint owns the end
        bones = [index["head"], *(index[name] for name, _, _ in chain)]
        parts.append(Part("hair", pos, idx, *chain_weights(-pos[:, 1], bounds, bones, 0.012 * s)))
    joints = [j for chain in chains.values() for j in chain]
    return parts, joints, [[name for name, _, _ in chain] for chain in chains.values()]


def build_hair(f: Figure) -> Hair:
    s, style = f.s, f.spec.hair
    index = dict(BONE_INDEX)                      # gains the hair's joints
    parts = [_cap(f), *_bangs(f)]
    joints: list[JointSpec] = []
    chains: list[list[str]] = []
    if style == "short":
        parts += _short_locks(f)
    if style == "bun":
        back = f.head_c + np.array([0, 0.045, -0.02]) * s + np.array([0, 0, -f.head_r[2] * 1.09])
        bpos, bidx = ellipsoid(back, np.array([0.042, 0.04, 0.038]) * s, 10, 14)
        parts.append(Part("hair", bpos, bidx, *rigid(len(bpos), index["head"])))
    if style == "ponytail":
        tail, tail_joints = _ponytail(f, index)
        parts.append(tail)
        joints += tail_joints
        chains.append([name for name, _, _ in tail_joints])
    locks, lock_joints, lock_chains = _hanging_locks(f, index)
    parts += locks
    joints += lock_joints
    chains += lock_chains
    for part in parts:
        part.uvs = hair_uvs(f, part.positions)
    springs = [Spring(chain[0].removesuffix("1"), [index[n] for n in chain], hit_radius=HIT_RADIUS * s, **SPRING)
               for chain in chains]
    return Hair(parts, joints, springs, _colliders(f, index))


def _colliders(f: Figure, index: dict[str, int]) -> list[Collider]:
    return [Collider(index[joint], tuple(float(v) for v in offset), radius)
            for joint, offset, radius in _collider_spheres(f)]
