"""Spring bones: hair, skirts and accessories that swing with the body and settle, for every host at once.

Every spring joint of every host is flattened into one set of arrays (hosts in order, each host's joints in
chain order) and stepped by one compiled kernel a tick, in set coordinates, so where a host stands, its hips
and the direction of gravity all count. Per joint, as VRM's spring bones do: the tail keeps its last motion
less the drag (Verlet), is pulled toward its rest direction in its parent's current frame (stiffness) and
by gravity, keeps its length, and is pushed out of the colliders (spheres, capsules) onto the nearest point
its length allows; the joint turns from its rest direction to the new tail. Fixed step 1/rate: no clock.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..skeleton import quat
from ..skeleton.kernels import between, dot3, qconj, qmul, qrot
from ..skeleton.springs import CAPSULE, NO_CENTER, ROOT, Springs

CAPSULE_ROUNDS = 8             # pushes out of a capsule at most per joint and tick (each from its nearest point)


class SpringSystem:
    """The spring joints and colliders of all hosts as flat arrays, their state, and this tick's result."""

    def __init__(self, springs: list[Springs | None], placements: np.ndarray, parents: np.ndarray) -> None:
        present = [(h, s) for h, s in enumerate(springs) if s is not None]
        self.size = sum(s.size for _, s in present)
        self.parents = parents                                  # the canonical skeleton's joint parents
        self.slices = [slice(0, 0)] * len(springs)              # host h's joints in the flat arrays
        self.posed = np.array([s is not None for s in springs])  # the hosts whose bones the kernel poses
        place_rot = quat.from_matrix(placements[:, :3, :3])
        self.place_rot = np.ascontiguousarray(place_rot)        # (H, 4) host frame -> set, as quaternions
        self.place_pos = np.ascontiguousarray(placements[:, :3, 3])
        hosts, joint_parents, collider_start, collider_index, collider_hosts = [], [], [0], [], []
        start, colliders = 0, 0
        for h, s in present:
            self.slices[h] = slice(start, start + s.size)
            hosts += [h] * s.size
            joint_parents += [p + start if p >= 0 else -1 for p in s.parents]
            collider_start += list(s.collider_start[1:] + collider_start[-1])
            collider_index += list(s.collider_index + colliders)
            collider_hosts += [h] * len(s.collider_radii)
            start += s.size
            colliders += len(s.collider_radii)

        def flat(name: str, width: int = 0) -> np.ndarray:
            parts = [getattr(s, name) for _, s in present]
            empty = np.zeros((0, width)) if width else np.zeros(0)
            return np.ascontiguousarray(np.concatenate(parts) if parts else empty)

        self.hosts = np.array(hosts, np.int64)
        self.joint_parents = np.array(joint_parents, np.int64)
        self.bones = flat("bones").astype(np.int64)
        self.offsets, self.tails = flat("offsets", 3), flat("tails", 3)
        self.stiffness, self.drag = flat("stiffness"), flat("drag")
        # Gravity in set coordinates: each host's file gravity turned by where the host stands.
        gravity = flat("gravity_dir", 3) * flat("gravity_power")[:, None]
        self.gravity = np.ascontiguousarray(quat.rotate(self.place_rot[self.hosts], gravity)) if self.size \
            else np.zeros((0, 3))
        self.hit_radius = flat("hit_radius")
        self.center_bones, self.center_offsets = flat("center_bones").astype(np.int64), flat("center_offsets", 3)
        self.collider_start = np.array(collider_start, np.int64)
        self.collider_index = np.array(collider_index, np.int64)
        self.collider_hosts = np.array(collider_hosts, np.int64)
        self.collider_bones = flat("collider_bones").astype(np.int64)
        self.collider_shapes = flat("collider_shapes").astype(np.int64)
        self.collider_heads, self.collider_tails = flat("collider_heads", 3), flat("collider_tails", 3)
        self.collider_radii = flat("collider_radii")
        # State: each tail now and a tick ago (center space; set coordinates without a center).
        self.current, self.previous = np.zeros((self.size, 3)), np.zeros((self.size, 3))
        self.started = np.zeros(self.size, bool)               # a joint not started begins at rest on the pose
        # This tick: each joint's normalised local rotation (host frame), where it and its tail are (set).
        self.rotations = np.tile(np.array([0.0, 0.0, 0.0, 1.0]), (self.size, 1))
        self.heads, self.tail_points = np.zeros((self.size, 3)), np.zeros((self.size, 3))
        self.colliders_now = np.zeros((len(self.collider_radii), 2, 3))     # each collider's ends (set)

    def step(self, rotations: np.ndarray, offsets: np.ndarray, hips: np.ndarray, dt: float) -> None:
        """Advance every joint by one tick from the hosts' canonical poses (H, J, 4), skeleton offsets
        (H, J, 3) and hips offsets (H, 3). A joint's first step starts its tail at rest on the pose."""
        if not self.size:
            return
        step_springs(np.ascontiguousarray(rotations), np.ascontiguousarray(offsets), np.ascontiguousarray(hips),
                     self.parents, self.posed, self.place_rot, self.place_pos, self.hosts, self.joint_parents,
                     self.bones, self.offsets, self.tails, self.stiffness, self.drag, self.gravity, self.hit_radius,
                     self.center_bones, self.center_offsets, self.collider_start, self.collider_index,
                     self.collider_hosts, self.collider_bones, self.collider_shapes, self.collider_heads,
                     self.collider_tails, self.collider_radii, dt, self.started, self.current, self.previous,
                     self.rotations, self.heads, self.tail_points, self.colliders_now)
        self.started[:] = True

    def carry_over(self, old: SpringSystem, hosts: list[int]) -> None:
        """Go on from `old`'s state for `hosts` (their springs unchanged: a rig swapped for another host)."""
        for h in hosts:
            new, was = self.slices[h], old.slices[h]
            for mine, theirs in ((self.current, old.current), (self.previous, old.previous),
                                 (self.started, old.started), (self.rotations, old.rotations)):
                mine[new] = theirs[was]

    def of(self, h: int) -> np.ndarray:
        """Host h's spring joints' local rotations this tick (a copy), in its Springs' order."""
        return self.rotations[self.slices[h]].copy()


@njit(cache=True, inline="always")
def _frame(bone, h, model_rot, model_pos, place_rot, place_pos):
    """Set-coordinate rotation and position of a canonical bone of host h (ROOT: the host's origin)."""
    if bone == ROOT:
        return ((place_rot[h, 0], place_rot[h, 1], place_rot[h, 2], place_rot[h, 3]),
                (place_pos[h, 0], place_pos[h, 1], place_pos[h, 2]))
    return ((model_rot[h, bone, 0], model_rot[h, bone, 1], model_rot[h, bone, 2], model_rot[h, bone, 3]),
            (model_pos[h, bone, 0], model_pos[h, bone, 1], model_pos[h, bone, 2]))


@njit(cache=True, inline="always")
def _at(frame_rot, frame_pos, v):
    r = qrot(frame_rot, (v[0], v[1], v[2]))
    return (frame_pos[0] + r[0], frame_pos[1] + r[1], frame_pos[2] + r[2])


@njit(cache=True, inline="always")
def _sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


@njit(cache=True, inline="always")
def _along(origin, v, length):
    """origin + v scaled to `length` (origin itself for a zero v)."""
    n = np.sqrt(dot3(v, v))
    if n < 1e-12:
        return origin
    s = length / n
    return (origin[0] + v[0] * s, origin[1] + v[1] * s, origin[2] + v[2] * s)


@njit(cache=True, inline="always")
def _push_out(tail, head, length, centre, reach):
    """The point nearest `tail` on the sphere of `length` about `head` that is at least `reach` from
    `centre` (tail itself when it already is): on the circle where the two spheres meet."""
    d = _sub(tail, centre)
    if dot3(d, d) >= reach * reach:
        return tail
    axis = _sub(centre, head)
    dc = np.sqrt(dot3(axis, axis))
    if dc < 1e-9:                              # the joint sits at the collider's centre: nowhere better
        return tail
    u = (axis[0] / dc, axis[1] / dc, axis[2] / dc)
    a = (length * length + dc * dc - reach * reach) / (2.0 * dc)
    if a <= -length:                           # the whole reach of the joint is inside: point away from it
        return (head[0] - u[0] * length, head[1] - u[1] * length, head[2] - u[2] * length)
    r = np.sqrt(max(length * length - a * a, 0.0))
    t = _sub(tail, head)
    k = dot3(t, u)
    w = (t[0] - u[0] * k, t[1] - u[1] * k, t[2] - u[2] * k)
    wn = np.sqrt(dot3(w, w))
    if wn < 1e-12:                             # straight at the centre: any side will do; take one
        w = (u[1], -u[0], 0.0) if abs(u[2]) < 0.9 else (0.0, u[2], -u[1])
        wn = np.sqrt(dot3(w, w))
    return (head[0] + u[0] * a + w[0] / wn * r, head[1] + u[1] * a + w[1] / wn * r,
            head[2] + u[2] * a + w[2] / wn * r)


@njit(cache=True)
def step_springs(rotations, offsets, hips, parents, posed, place_rot, place_pos, hosts, joint_parents, bones,
                 joint_offsets, tails, stiffness, drag, gravity, hit_radius, center_bones, center_offsets,
                 collider_start, collider_index, collider_hosts, collider_bones, collider_shapes, collider_heads,
                 collider_tails, collider_radii, dt, started, current, previous, out_rot, out_heads, out_tails,
                 out_colliders):
    H, J = rotations.shape[0], rotations.shape[1]
    # The canonical bones in set coordinates (rotation from rest, position) of every host with spring bones.
    model_rot, model_pos = np.empty((H, J, 4)), np.empty((H, J, 3))
    for h in range(H):
        if not posed[h]:
            continue
        pr = (place_rot[h, 0], place_rot[h, 1], place_rot[h, 2], place_rot[h, 3])
        for j in range(J):
            q = (rotations[h, j, 0], rotations[h, j, 1], rotations[h, j, 2], rotations[h, j, 3])
            p = parents[j]
            if p < 0:
                w = qmul(pr, q)
                pos = _at(pr, (place_pos[h, 0], place_pos[h, 1], place_pos[h, 2]),
                          (offsets[h, j, 0] + hips[h, 0], offsets[h, j, 1] + hips[h, 1], offsets[h, j, 2] + hips[h, 2]))
            else:
                parent_rot = (model_rot[h, p, 0], model_rot[h, p, 1], model_rot[h, p, 2], model_rot[h, p, 3])
                w = qmul(parent_rot, q)
                pos = _at(parent_rot, (model_pos[h, p, 0], model_pos[h, p, 1], model_pos[h, p, 2]), offsets[h, j])
            for k in range(4):
                model_rot[h, j, k] = w[k]
            for k in range(3):
                model_pos[h, j, k] = pos[k]
    for c in range(collider_radii.shape[0]):
        fr, fp = _frame(collider_bones[c], collider_hosts[c], model_rot, model_pos, place_rot, place_pos)
        a, b = _at(fr, fp, collider_heads[c]), _at(fr, fp, collider_tails[c])
        for k in range(3):
            out_colliders[c, 0, k] = a[k]
            out_colliders[c, 1, k] = b[k]
    joint_rot = np.empty((hosts.shape[0], 4))          # each joint's rotation this tick, set coordinates
    for i in range(hosts.shape[0]):                   # chain order: a joint's parent is done before it
        h = hosts[i]
        if joint_parents[i] >= 0:
            p = joint_parents[i]
            parent_rot = (joint_rot[p, 0], joint_rot[p, 1], joint_rot[p, 2], joint_rot[p, 3])
            parent_pos = (out_heads[p, 0], out_heads[p, 1], out_heads[p, 2])
        else:
            parent_rot, parent_pos = _frame(bones[i], h, model_rot, model_pos, place_rot, place_pos)
        head = _at(parent_rot, parent_pos, joint_offsets[i])
        rest_dir = qrot(parent_rot, (tails[i, 0], tails[i, 1], tails[i, 2]))
        length = np.sqrt(dot3(rest_dir, rest_dir))
        has_center = center_bones[i] != NO_CENTER
        center_rot, center_pos = (0.0, 0.0, 0.0, 1.0), (0.0, 0.0, 0.0)
        if has_center:
            cr, cp = _frame(center_bones[i], h, model_rot, model_pos, place_rot, place_pos)
            center_rot, center_pos = cr, _at(cr, cp, center_offsets[i])
        if not started[i]:
            now = (head[0] + rest_dir[0], head[1] + rest_dir[1], head[2] + rest_dir[2])
            before = now
        elif has_center:
            now = _at(center_rot, center_pos, current[i])
            before = _at(center_rot, center_pos, previous[i])
        else:
            now = (current[i, 0], current[i, 1], current[i, 2])
            before = (previous[i, 0], previous[i, 1], previous[i, 2])
        pull = stiffness[i] * dt / max(length, 1e-12)
        keep = 1.0 - drag[i]
        nxt = (now[0] + (now[0] - before[0]) * keep + rest_dir[0] * pull + gravity[i, 0] * dt,
               now[1] + (now[1] - before[1]) * keep + rest_dir[1] * pull + gravity[i, 1] * dt,
               now[2] + (now[2] - before[2]) * keep + rest_dir[2] * pull + gravity[i, 2] * dt)
        nxt = _along(head, _sub(nxt, head), length)
        for n in range(collider_start[i], collider_start[i + 1]):
            c = collider_index[n]
            a = (out_colliders[c, 0, 0], out_colliders[c, 0, 1], out_colliders[c, 0, 2])
            reach = collider_radii[c] + hit_radius[i]
            if collider_shapes[c] != CAPSULE:
                nxt = _push_out(nxt, head, length, a, reach)
                continue
            # A capsule: out of the sphere about the segment's nearest point, which moves as the tail does;
            # a few rounds settle it.
            seg = _sub((out_colliders[c, 1, 0], out_colliders[c, 1, 1], out_colliders[c, 1, 2]), a)
            s2 = dot3(seg, seg)
            for _ in range(CAPSULE_ROUNDS):
                s = min(max(dot3(_sub(nxt, a), seg) / s2, 0.0), 1.0) if s2 > 1e-18 else 0.0
                centre = (a[0] + seg[0] * s, a[1] + seg[1] * s, a[2] + seg[2] * s)
                d = _sub(nxt, centre)
                if dot3(d, d) >= reach * reach:
                    break
                nxt = _push_out(nxt, head, length, centre, reach)
        # Keep the new tail (and the last one as the one before) in center space.
        if has_center:
            inv = qconj(center_rot)
            moved, kept = qrot(inv, _sub(nxt, center_pos)), qrot(inv, _sub(now, center_pos))
        else:
            moved, kept = nxt, now
        for k in range(3):
            previous[i, k] = kept[k]
            current[i, k] = moved[k]
            out_heads[i, k] = head[k]
            out_tails[i, k] = nxt[k]
        # The joint turns from its rest direction to the tail; local = parent^-1 * turn * parent.
        world = parent_rot
        if length > 1e-12:
            world = qmul(between(rest_dir, _sub(nxt, head)), parent_rot)
        local = qmul(qconj(parent_rot), world)
        for k in range(4):
            joint_rot[i, k] = world[k]
            out_rot[i, k] = local[k]
