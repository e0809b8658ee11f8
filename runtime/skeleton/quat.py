"""Vectorised quaternion maths. Quaternions are (..., 4) arrays in (x, y, z, w) order, as in glTF."""
from __future__ import annotations

import numpy as np

IDENTITY = np.array([0.0, 0.0, 0.0, 1.0])


def multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product a*b (apply b first, then a), broadcasting over leading axes."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    if a.ndim == 1 and b.ndim == 1:              # one rotation: plain floats beat sixteen array slices
        ax, ay, az, aw = a.tolist()
        bx, by, bz, bw = b.tolist()
        return np.array([aw * bx + ax * bw + ay * bz - az * by, aw * by - ax * bz + ay * bw + az * bx,
                         aw * bz + ax * by - ay * bx + az * bw, aw * bw - ax * bx - ay * by - az * bz])
    ax, ay, az, aw = a[..., 0], a[..., 1], a[..., 2], a[..., 3]
    bx, by, bz, bw = b[..., 0], b[..., 1], b[..., 2], b[..., 3]
    out = np.empty(np.broadcast_shapes(a.shape, b.shape))
    out[..., 0] = aw * bx + ax * bw + ay * bz - az * by
    out[..., 1] = aw * by - ax * bz + ay * bw + az * bx
    out[..., 2] = aw * bz + ax * by - ay * bx + az * bw
    out[..., 3] = aw * bw - ax * bx - ay * by - az * bz
    return out


def conjugate(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, float)
    return np.concatenate([-q[..., :3], q[..., 3:]], axis=-1)


def normalize(q: np.ndarray) -> np.ndarray:
    q = np.asarray(q, float)
    return q / np.sqrt(np.sum(q * q, axis=-1, keepdims=True))


def from_axis_angle(axis, angle) -> np.ndarray:
    """Rotation of `angle` radians about `axis` (broadcasts)."""
    axis = np.asarray(axis, float)
    axis = axis / np.linalg.norm(axis, axis=-1, keepdims=True)
    half = np.asarray(angle, float)[..., None] / 2.0
    return np.concatenate([axis * np.sin(half), np.cos(half)], axis=-1)


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.empty(np.broadcast_shapes(u.shape, v.shape))
    out[..., 0] = u[..., 1] * v[..., 2] - u[..., 2] * v[..., 1]
    out[..., 1] = u[..., 2] * v[..., 0] - u[..., 0] * v[..., 2]
    out[..., 2] = u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]
    return out


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Rotate vectors v (..., 3) by unit quaternions q (..., 4)."""
    q = np.asarray(q, float)
    v = np.asarray(v, float)
    if q.ndim == 1 and v.ndim == 1:              # one vector: plain floats, the same arithmetic
        ux, uy, uz, w = q.tolist()
        vx, vy, vz = v.tolist()
        tx, ty, tz = 2.0 * (uy * vz - uz * vy), 2.0 * (uz * vx - ux * vz), 2.0 * (ux * vy - uy * vx)
        return np.array([vx + w * tx + (uy * tz - uz * ty), vy + w * ty + (uz * tx - ux * tz),
                         vz + w * tz + (ux * ty - uy * tx)])
    u, w = q[..., :3], q[..., 3:]
    t = 2.0 * _cross(u, v)
    return v + w * t + _cross(u, t)


def to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions to (..., 3, 3) rotation matrices (column vectors)."""
    q = np.asarray(q, float)
    x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    m = np.empty(q.shape[:-1] + (3, 3))
    m[..., 0, 0] = 1 - 2 * (y * y + z * z)
    m[..., 0, 1] = 2 * (x * y - z * w)
    m[..., 0, 2] = 2 * (x * z + y * w)
    m[..., 1, 0] = 2 * (x * y + z * w)
    m[..., 1, 1] = 1 - 2 * (x * x + z * z)
    m[..., 1, 2] = 2 * (y * z - x * w)
    m[..., 2, 0] = 2 * (x * z - y * w)
    m[..., 2, 1] = 2 * (y * z + x * w)
    m[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return m


def from_matrix(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices to unit quaternions (Shepperd's method, all cases computed and the
    numerically best one picked per element)."""
    m = np.asarray(m, float)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    trace = m00 + m11 + m22
    cands = np.stack([
        np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1], 1 + trace], -1),
        np.stack([1 + m00 - m11 - m22, m[..., 0, 1] + m[..., 1, 0], m[..., 0, 2] + m[..., 2, 0], m[..., 2, 1] - m[..., 1, 2]], -1),
        np.stack([m[..., 0, 1] + m[..., 1, 0], 1 + m11 - m00 - m22, m[..., 1, 2] + m[..., 2, 1], m[..., 0, 2] - m[..., 2, 0]], -1),
        np.stack([m[..., 0, 2] + m[..., 2, 0], m[..., 1, 2] + m[..., 2, 1], 1 + m22 - m00 - m11, m[..., 1, 0] - m[..., 0, 1]], -1),
    ], axis=-2)
    pick = np.argmax(np.stack([trace, m00, m11, m22], -1), axis=-1)
    q = np.take_along_axis(cands, pick[..., None, None], axis=-2)[..., 0, :]
    return normalize(q)


def angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians between the rotations a and b."""
    d = np.abs(np.sum(normalize(a) * normalize(b), axis=-1))
    return 2.0 * np.arccos(np.clip(d, -1.0, 1.0))


def nlerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Normalised lerp along the shortest path."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    b = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -b, b)
    t = np.asarray(t, float)[..., None]
    return normalize(a * (1 - t) + b * t)


def slerp(a: np.ndarray, b: np.ndarray, t) -> np.ndarray:
    """Spherical linear interpolation along the shortest path (falls back to nlerp when a ~ b)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    dot = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(dot < 0, -b, b)
    dot = np.abs(dot)
    t = np.asarray(t, float)[..., None]
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin = np.sin(theta)
    close = sin < 1e-6
    safe = np.where(close, 1.0, sin)
    wa = np.where(close, 1 - t, np.sin((1 - t) * theta) / safe)
    wb = np.where(close, t, np.sin(t * theta) / safe)
    return normalize(wa * a + wb * b)


def to_axis_angle(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit axis (..., 3) and angle in radians (...,) in [0, pi]."""
    q = normalize(q)
    q = np.where(q[..., 3:] < 0, -q, q)
    s = np.linalg.norm(q[..., :3], axis=-1)
    angle = 2.0 * np.arctan2(s, q[..., 3])
    axis = np.where(s[..., None] > 1e-12, q[..., :3] / np.where(s > 1e-12, s, 1.0)[..., None], [1.0, 0.0, 0.0])
    return axis, angle


_AXES = {"x": np.array([1.0, 0, 0]), "y": np.array([0, 1.0, 0]), "z": np.array([0, 0, 1.0])}


def from_euler(angles, order: str = "xyz") -> np.ndarray:
    """Intrinsic rotations, radians: 'xyz' applies X first (about the fixed frame), then Y, then Z;
    so from_euler([a, b, c], 'xyz') == Rz(c) * Ry(b) * Rx(a)."""
    angles = np.asarray(angles, float)
    q = None
    for i, axis in enumerate(order.lower()):
        r = from_axis_angle(np.broadcast_to(_AXES[axis], angles.shape[:-1] + (3,)), angles[..., i])
        q = r if q is None else multiply(r, q)
    return q


def to_euler(q: np.ndarray, order: str = "xyz") -> np.ndarray:
    """Inverse of from_euler for the Tait-Bryan orders (angles in radians)."""
    m = to_matrix(q)
    i, j, k = ("xyz".index(a) for a in order.lower())
    sign = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    # R = R_k(c) R_j(b) R_i(a): read b from the (k, i) element, a and c from the rest.
    b = np.arcsin(np.clip(-sign * m[..., k, i], -1.0, 1.0))
    a = np.arctan2(sign * m[..., k, j], m[..., k, k])
    c = np.arctan2(sign * m[..., j, i], m[..., i, i])
    return np.stack([a, b, c], axis=-1)


def between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotation taking direction a onto direction b (antiparallel: a half turn)."""
    a = np.asarray(a, float) / np.linalg.norm(a, axis=-1, keepdims=True)
    b = np.asarray(b, float) / np.linalg.norm(b, axis=-1, keepdims=True)
    c = np.cross(a, b)
    d = np.sum(a * b, axis=-1, keepdims=True)
    q = np.concatenate([c, 1.0 + d], axis=-1)
    opposite = (d[..., 0] < -1 + 1e-6)
    if np.any(opposite):
        # Nearly opposite: a half turn takes a to -a, then the small (well-conditioned) turn from -a to b.
        ortho = np.cross(a, [1.0, 0, 0])
        ortho = np.where(np.linalg.norm(ortho, axis=-1, keepdims=True) < 1e-6, np.cross(a, [0, 1.0, 0]), ortho)
        half = np.concatenate([ortho / np.linalg.norm(ortho, axis=-1, keepdims=True), np.zeros_like(d)], -1)
        rest = np.concatenate([np.cross(-a, b), 1.0 - d], axis=-1)
        q = np.where(opposite[..., None], multiply(normalize(rest), half), q)
    return normalize(q)


def look_rotation(forward: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """Rotation taking +Z to `forward` and +Y as close to `up` as possible."""
    f = np.asarray(forward, float)
    f = f / np.linalg.norm(f, axis=-1, keepdims=True)
    r = np.cross(np.broadcast_to(np.asarray(up, float), f.shape), f)
    bad = np.linalg.norm(r, axis=-1, keepdims=True) < 1e-9
    r = np.where(bad, np.cross([1.0, 0.0, 0.0], f), r)
    r = np.where(np.linalg.norm(r, axis=-1, keepdims=True) < 1e-9, np.cross([0.0, 0.0, 1.0], f), r)
    r = r / np.linalg.norm(r, axis=-1, keepdims=True)
    u = np.cross(f, r)
    return from_matrix(np.stack([r, u, f], axis=-1))
