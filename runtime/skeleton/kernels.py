"""The compiled kernels of the animation maths (numba), on plain arrays: blending layers (the blender
has only this implementation), two-bone IK and turning a hand (the gestures' and holds' arms), a joint
chain's world transforms, composing the idle's rotations; and for `PoseJob` (many hosts of one skeleton
playing clips) sampling a clip and local->model.

Scalar quaternion helpers (x, y, z, w tuples) come first; the compiled stages (gaze, blinks, fingers)
build on them. The numpy reference functions (`Clip.sample`, `two_bone_ik`'s many-host case,
`Skeleton.local_to_model`) and these are held to 1e-9 by the tests.
"""
from __future__ import annotations

import numpy as np
from numba import njit

OVERRIDE, ADDITIVE = 0, 1          # layer modes, as the kernels take them

# -- scalar quaternion helpers (x, y, z, w) ------------------------------------------------------------
@njit(cache=True, inline="always")
def dot3(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@njit(cache=True, inline="always")
def qmul(a, b):
    return (a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1],
            a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0],
            a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3],
            a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2])


@njit(cache=True, inline="always")
def qconj(a):
    return (-a[0], -a[1], -a[2], a[3])


@njit(cache=True, inline="always")
def qnorm(a):
    n = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3])
    return (a[0] / n, a[1] / n, a[2] / n, a[3] / n)


@njit(cache=True, inline="always")
def qrot(q, v):
    tx = 2.0 * (q[1] * v[2] - q[2] * v[1])
    ty = 2.0 * (q[2] * v[0] - q[0] * v[2])
    tz = 2.0 * (q[0] * v[1] - q[1] * v[0])
    return (v[0] + q[3] * tx + (q[1] * tz - q[2] * ty),
            v[1] + q[3] * ty + (q[2] * tx - q[0] * tz),
            v[2] + q[3] * tz + (q[0] * ty - q[1] * tx))


@njit(cache=True, inline="always")
def nlerp(a, b, t):
    d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
    s = -1.0 if d < 0 else 1.0
    return qnorm((a[0] * (1 - t) + s * b[0] * t, a[1] * (1 - t) + s * b[1] * t,
                   a[2] * (1 - t) + s * b[2] * t, a[3] * (1 - t) + s * b[3] * t))


@njit(cache=True, inline="always")
def slerp(a, b, t):
    d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
    s = 1.0
    if d < 0:
        s, d = -1.0, -d
    theta = np.arccos(min(d, 1.0))
    sn = np.sin(theta)
    if sn < 1e-6:
        wa, wb = 1 - t, t
    else:
        wa, wb = np.sin((1 - t) * theta) / sn, np.sin(t * theta) / sn
    return qnorm((wa * a[0] + wb * s * b[0], wa * a[1] + wb * s * b[1],
                   wa * a[2] + wb * s * b[2], wa * a[3] + wb * s * b[3]))


@njit(cache=True, inline="always")
def between(a, b):
    na = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    nb = np.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
    a = (a[0] / na, a[1] / na, a[2] / na)
    b = (b[0] / nb, b[1] / nb, b[2] / nb)
    d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    if d < -1 + 1e-9:
        o = (0.0, a[2], -a[1])                      # a x (1, 0, 0)
        if o[1] * o[1] + o[2] * o[2] < 1e-12:
            o = (-a[2], 0.0, a[0])                  # a x (0, 1, 0)
        return qnorm((o[0], o[1], o[2], 0.0))
    return qnorm((a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0], 1.0 + d))


@njit(cache=True, inline="always")
def qaxis(axis, angle):
    """The rotation by `angle` (radians) about the unit `axis`."""
    s = np.sin(angle / 2)
    return (axis[0] * s, axis[1] * s, axis[2] * s, np.cos(angle / 2))


@njit(cache=True)
def turn_joint(rotations, h, j, axis, angle):
    """Host h's joint j turned by `angle` (radians) about the unit `axis`, before its own rotation:
    rotations (H, J, 4) in place. For the few joints a stage turns one at a time."""
    q = qmul(qaxis(axis, angle), (rotations[h, j, 0], rotations[h, j, 1], rotations[h, j, 2], rotations[h, j, 3]))
    for k in range(4):
        rotations[h, j, k] = q[k]


@njit(cache=True)
def slerp_joints(rot, joints, goal, t):
    """rot[joints] (J, 4) in place moved the share `t` of the way to goal (len(joints), 4) by slerp."""
    for n in range(len(joints)):
        j = joints[n]
        q = slerp((rot[j, 0], rot[j, 1], rot[j, 2], rot[j, 3]), (goal[n, 0], goal[n, 1], goal[n, 2], goal[n, 3]), t)
        for k in range(4):
            rot[j, k] = q[k]


@njit(cache=True)
def quat_of_matrix(m):
    """A 3x3 rotation matrix's unit quaternion (Shepperd's method: the numerically best case)."""
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace >= m[0, 0] and trace >= m[1, 1] and trace >= m[2, 2]:
        q = (m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1], 1 + trace)
    elif m[0, 0] >= m[1, 1] and m[0, 0] >= m[2, 2]:
        q = (1 + m[0, 0] - m[1, 1] - m[2, 2], m[0, 1] + m[1, 0], m[0, 2] + m[2, 0], m[2, 1] - m[1, 2])
    elif m[1, 1] >= m[2, 2]:
        q = (m[0, 1] + m[1, 0], 1 + m[1, 1] - m[0, 0] - m[2, 2], m[1, 2] + m[2, 1], m[0, 2] - m[2, 0])
    else:
        q = (m[0, 2] + m[2, 0], m[1, 2] + m[2, 1], 1 + m[2, 2] - m[0, 0] - m[1, 1], m[1, 0] - m[0, 1])
    return qnorm(q)


# -- kernels ---------------------------------------------------------------------------------------------
@njit(cache=True)
def sample_clip(frames, counts, hips, rate, clip, time, loop, rot_out, hips_out):
    n = counts[clip]
    last = n - 1
    duration = last / rate
    f = 0.0
    if duration > 0:
        t = time % duration if loop else min(max(time, 0.0), duration)
        f = t * rate
    i0 = min(int(np.floor(f)), last)
    u = f - i0
    i1 = i0 + 1
    if i1 > last:
        i1 = i1 % last if (loop and last > 0) else last
    for j in range(frames.shape[2]):
        a = (frames[clip, i0, j, 0], frames[clip, i0, j, 1], frames[clip, i0, j, 2], frames[clip, i0, j, 3])
        b = (frames[clip, i1, j, 0], frames[clip, i1, j, 1], frames[clip, i1, j, 2], frames[clip, i1, j, 3])
        q = nlerp(a, b, u)
        for k in range(4):
            rot_out[j, k] = q[k]
    for k in range(3):
        hips_out[k] = hips[clip, i0, k] * (1 - u) + hips[clip, i1, k] * u


@njit(cache=True)
def blend_layers(rots, lhips, weights, hips_weights, masks, modes, priorities, groups, threshold, out_rot, out_hips):
    """rots (L, J, 4), lhips (L, 3), weights (L,), masks (L, J); groups: ascending priorities. A layer
    moves the hips by its `hips_weights` (0 for a layer that leaves them alone)."""
    n_layers, n_joints = rots.shape[0], rots.shape[1]
    for j in range(n_joints):
        out_rot[j, 0] = 0.0
        out_rot[j, 1] = 0.0
        out_rot[j, 2] = 0.0
        out_rot[j, 3] = 1.0
    for k in range(3):
        out_hips[k] = 0.0
    for g in range(groups.shape[0]):
        prio = groups[g]
        first = -1
        hw = gx = gy = gz = 0.0
        for l in range(n_layers):
            if modes[l] == OVERRIDE and priorities[l] == prio:
                if first < 0:
                    first = l
                hw += hips_weights[l]
                gx += hips_weights[l] * lhips[l, 0]
                gy += hips_weights[l] * lhips[l, 1]
                gz += hips_weights[l] * lhips[l, 2]
        if first < 0:
            continue
        for j in range(n_joints):
            ax = ay = az = aw = total = 0.0            # no arrays in the inner loop: it runs for every joint
            for l in range(n_layers):
                if modes[l] != OVERRIDE or priorities[l] != prio:
                    continue
                w = weights[l] * masks[l, j]
                if w == 0.0:
                    continue
                d = (rots[l, j, 0] * rots[first, j, 0] + rots[l, j, 1] * rots[first, j, 1]
                     + rots[l, j, 2] * rots[first, j, 2] + rots[l, j, 3] * rots[first, j, 3])
                ws = -w if d < 0 else w
                ax += ws * rots[l, j, 0]
                ay += ws * rots[l, j, 1]
                az += ws * rots[l, j, 2]
                aw += ws * rots[l, j, 3]
                total += w
            if g > 0 and total == 0.0:
                continue                                # a masked-out joint of a higher layer: unchanged
            if total > 1e-12:
                g_rot = qnorm((ax / total, ay / total, az / total, aw / total))
            else:
                g_rot = (0.0, 0.0, 0.0, 1.0)
            if g == 0:
                short = max(threshold - total, 0.0)
                strength = total / max(total + short, 1e-12)
            else:
                strength = min(max(total, 0.0), 1.0)
            q = nlerp((out_rot[j, 0], out_rot[j, 1], out_rot[j, 2], out_rot[j, 3]), g_rot, strength)
            for k in range(4):
                out_rot[j, k] = q[k]
        hs = (1.0 if hw > 1e-12 else 0.0) if g == 0 else min(max(hw, 0.0), 1.0)
        scale = 1.0 / hw if hw > 1e-12 else 0.0
        out_hips[0] = out_hips[0] * (1 - hs) + gx * scale * hs
        out_hips[1] = out_hips[1] * (1 - hs) + gy * scale * hs
        out_hips[2] = out_hips[2] * (1 - hs) + gz * scale * hs
    for l in range(n_layers):
        if modes[l] != ADDITIVE:
            continue
        for j in range(n_joints):
            delta = (rots[l, j, 0], rots[l, j, 1], rots[l, j, 2], rots[l, j, 3])
            scaled = nlerp((0.0, 0.0, 0.0, 1.0), delta, weights[l] * masks[l, j])
            q = qnorm(qmul((out_rot[j, 0], out_rot[j, 1], out_rot[j, 2], out_rot[j, 3]), scaled))
            for k in range(4):
                out_rot[j, k] = q[k]
        for k in range(3):
            out_hips[k] += hips_weights[l] * lhips[l, k]


@njit(cache=True)
def blend_hosts(rots, lhips, weights, hips_weights, masks, modes, priorities, groups, threshold, out_rot, out_hips):
    """blend_layers for each host: rots (H, L, J, 4), lhips (H, L, 3), weights and hips_weights (H, L),
    masks (H, L, J)."""
    for h in range(rots.shape[0]):
        blend_layers(rots[h], lhips[h], weights[h], hips_weights[h], masks[h], modes, priorities, groups, threshold,
                     out_rot[h], out_hips[h])


@njit(cache=True)
def chain_world(parents, offsets, rot, path, wrot, wpos):
    for n in range(path.shape[0]):
        j = path[n]
        q = (rot[j, 0], rot[j, 1], rot[j, 2], rot[j, 3])
        o = (offsets[j, 0], offsets[j, 1], offsets[j, 2])
        if n == 0:
            for k in range(4):
                wrot[n, k] = q[k]
            for k in range(3):
                wpos[n, k] = o[k]
        else:
            pq = (wrot[n - 1, 0], wrot[n - 1, 1], wrot[n - 1, 2], wrot[n - 1, 3])
            w = qmul(pq, q)
            r = qrot(pq, o)
            for k in range(4):
                wrot[n, k] = w[k]
            for k in range(3):
                wpos[n, k] = wpos[n - 1, k] + r[k]


@njit(cache=True)
def two_bone(parents, offsets, rot, path, target, pole, weight, lo, hi):
    """IK on rot (J, 4) in place; path = root of the skeleton .. chain root, middle, end."""
    m = path.shape[0]
    wrot = np.empty((m, 4))
    wpos = np.empty((m, 3))
    chain_world(parents, offsets, rot, path, wrot, wpos)
    ia, ib, ic = m - 3, m - 2, m - 1
    a = (wpos[ia, 0], wpos[ia, 1], wpos[ia, 2])
    b = (wpos[ib, 0], wpos[ib, 1], wpos[ib, 2])
    c = (wpos[ic, 0], wpos[ic, 1], wpos[ic, 2])
    l1 = np.sqrt((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2 + (b[2] - a[2]) ** 2)
    l2 = np.sqrt((c[0] - b[0]) ** 2 + (c[1] - b[1]) ** 2 + (c[2] - b[2]) ** 2)
    tt = (target[0] - a[0], target[1] - a[1], target[2] - a[2])
    dist = np.sqrt(tt[0] ** 2 + tt[1] ** 2 + tt[2] ** 2)
    inv = 1.0 / max(dist, 1e-9)
    u = (tt[0] * inv, tt[1] * inv, tt[2] * inv)
    d_max = np.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(lo))
    d_min = np.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(hi))
    d = min(max(dist, d_min), d_max)
    cs = min(max((l1 * l1 + d * d - l2 * l2) / max(2 * l1 * d, 1e-12), -1.0), 1.0)
    alpha = np.arccos(cs)
    pu = pole[0] * u[0] + pole[1] * u[1] + pole[2] * u[2]
    v = (pole[0] - u[0] * pu, pole[1] - u[1] * pu, pole[2] - u[2] * pu)
    if v[0] ** 2 + v[1] ** 2 + v[2] ** 2 < 1e-12:
        v = (u[1], -u[0], 0.0)                      # u x (0, 0, 1)
    nv = np.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    nv = max(nv, 1e-12)
    v = (v[0] / nv, v[1] / nv, v[2] / nv)
    ca, sa = np.cos(alpha), np.sin(alpha)
    elbow = (a[0] + l1 * (ca * u[0] + sa * v[0]), a[1] + l1 * (ca * u[1] + sa * v[1]), a[2] + l1 * (ca * u[2] + sa * v[2]))
    reach = (a[0] + u[0] * d, a[1] + u[1] * d, a[2] + u[2] * d)
    r1 = between((b[0] - a[0], b[1] - a[1], b[2] - a[2]), (elbow[0] - a[0], elbow[1] - a[1], elbow[2] - a[2]))
    rc = qrot(r1, (c[0] - a[0], c[1] - a[1], c[2] - a[2]))
    c_after = (a[0] + rc[0], a[1] + rc[1], a[2] + rc[2])
    r2 = between((c_after[0] - elbow[0], c_after[1] - elbow[1], c_after[2] - elbow[2]),
                  (reach[0] - elbow[0], reach[1] - elbow[1], reach[2] - elbow[2]))
    if ia > 0:
        wp = (wrot[ia - 1, 0], wrot[ia - 1, 1], wrot[ia - 1, 2], wrot[ia - 1, 3])
    else:
        wp = (0.0, 0.0, 0.0, 1.0)
    w1 = (wrot[ia, 0], wrot[ia, 1], wrot[ia, 2], wrot[ia, 3])
    w2 = (wrot[ib, 0], wrot[ib, 1], wrot[ib, 2], wrot[ib, 3])
    new_a = qnorm(qmul(qconj(wp), qmul(r1, w1)))
    new_b = qnorm(qmul(qconj(qmul(r1, w1)), qmul(r2, qmul(r1, w2))))
    ja, jb = path[ia], path[ib]
    qa = slerp((rot[ja, 0], rot[ja, 1], rot[ja, 2], rot[ja, 3]), new_a, weight)
    qb = slerp((rot[jb, 0], rot[jb, 1], rot[jb, 2], rot[jb, 3]), new_b, weight)
    for k in range(4):
        rot[ja, k] = qa[k]
        rot[jb, k] = qb[k]


@njit(cache=True)
def turn_end(parents, offsets, rot, path, wanted, weight, near, max_twist):
    """Turn the end joint of `path` (root .. upper, middle, end) to the world rotation `wanted`, on rot
    (J, 4) in place: the middle joint takes the twist about its own axis (so the end stays where it is),
    at most `max_twist`, the end joint the remaining swing; both at `weight`. `near` (nan for none) is
    the twist taken last time: a twist passing half a turn keeps going the same way instead of flipping.
    Returns the twist taken (radians, about the middle bone toward the end)."""
    m = path.shape[0]
    wrot, wpos = np.empty((m, 4)), np.empty((m, 3))
    chain_world(parents, offsets, rot, path, wrot, wpos)
    upper = (wrot[m - 3, 0], wrot[m - 3, 1], wrot[m - 3, 2], wrot[m - 3, 3])
    middle = (wrot[m - 2, 0], wrot[m - 2, 1], wrot[m - 2, 2], wrot[m - 2, 3])
    end = (wrot[m - 1, 0], wrot[m - 1, 1], wrot[m - 1, 2], wrot[m - 1, 3])
    delta = qmul(wanted, qconj(end))
    bone = wpos[m - 1] - wpos[m - 2]
    bone = bone / max(np.sqrt(bone[0] ** 2 + bone[1] ** 2 + bone[2] ** 2), 1e-9)
    along = delta[0] * bone[0] + delta[1] * bone[1] + delta[2] * bone[2]
    twist = (bone[0] * along, bone[1] * along, bone[2] * along, delta[3])
    signed = 0.0
    if np.sqrt(twist[0] ** 2 + twist[1] ** 2 + twist[2] ** 2 + twist[3] ** 2) >= 1e-9:
        twist = qnorm(twist)
        s = 1.0 if twist[3] >= 0 else -1.0
        sine = np.sqrt(twist[0] ** 2 + twist[1] ** 2 + twist[2] ** 2)
        signed = 2.0 * np.arctan2(sine, s * twist[3])
        if s * (twist[0] * bone[0] + twist[1] * bone[1] + twist[2] * bone[2]) < 0:
            signed = -signed
    if not np.isnan(near) and abs(signed - near) > np.pi:
        signed -= np.copysign(2 * np.pi, signed - near)
    signed = min(max(signed, -max_twist), max_twist)
    middle_world = qmul(qaxis(bone, signed), middle)
    j, k = path[m - 2], path[m - 1]
    a = slerp((rot[j, 0], rot[j, 1], rot[j, 2], rot[j, 3]), qnorm(qmul(qconj(upper), middle_world)), weight)
    b = slerp((rot[k, 0], rot[k, 1], rot[k, 2], rot[k, 3]), qnorm(qmul(qconj(middle_world), wanted)), weight)
    for c in range(4):
        rot[j, c], rot[k, c] = a[c], b[c]
    return signed


@njit(cache=True)
def local_to_model(parents, offsets, rot, hips, out):
    for j in range(parents.shape[0]):
        x, y, z, w = rot[j, 0], rot[j, 1], rot[j, 2], rot[j, 3]
        local = np.empty((4, 4))
        local[0, 0] = 1 - 2 * (y * y + z * z)
        local[0, 1] = 2 * (x * y - z * w)
        local[0, 2] = 2 * (x * z + y * w)
        local[1, 0] = 2 * (x * y + z * w)
        local[1, 1] = 1 - 2 * (x * x + z * z)
        local[1, 2] = 2 * (y * z - x * w)
        local[2, 0] = 2 * (x * z - y * w)
        local[2, 1] = 2 * (y * z + x * w)
        local[2, 2] = 1 - 2 * (x * x + y * y)
        for k in range(3):
            local[k, 3] = offsets[j, k] + (hips[k] if j == 0 else 0.0)
            local[3, k] = 0.0
        local[3, 3] = 1.0
        p = parents[j]
        if p < 0:
            out[j] = local
        else:
            for r in range(4):
                for c in range(4):
                    out[j, r, c] = (out[p, r, 0] * local[0, c] + out[p, r, 1] * local[1, c]
                                    + out[p, r, 2] * local[2, c] + out[p, r, 3] * local[3, c])


@njit(cache=True)
def run_job(parents, offsets, frames, counts, clip_hips, rate, loop, layer_clip, speeds, offs, masks, modes,
            priorities, groups, threshold, paths, path_len, limits, times, weights, targets, poles, ik_weights,
            out_rot, out_hips, out_model):
    n_hosts, n_layers, n_joints = times.shape[0], layer_clip.shape[0], parents.shape[0]
    rots = np.empty((n_layers, n_joints, 4))
    lhips = np.empty((n_layers, 3))
    for h in range(n_hosts):
        for l in range(n_layers):
            sample_clip(frames, counts, clip_hips, rate, layer_clip[l], times[h] * speeds[l] + offs[l], loop,
                        rots[l], lhips[l])
        blend_layers(rots, lhips, weights[h], weights[h], masks, modes, priorities, groups, threshold, out_rot[h],
                     out_hips[h])
        for c in range(paths.shape[0]):
            two_bone(parents, offsets, out_rot[h], paths[c, :path_len[c]], targets[h, c], poles[h, c],
                     ik_weights[h, c], limits[c, 0], limits[c, 1])
        local_to_model(parents, offsets, out_rot[h], out_hips[h], out_model[h])


@njit(cache=True)
def compose_rows(angles, axes, bones, out):
    """out (H, J, 4) = identity, then for each row r in order: out[h, bones[r]] = q(axes[r], angles[h, r])
    * out[h, bones[r]] (a bone's later rows turn after its earlier ones). axes are unit vectors."""
    for h in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[h, j, 0] = 0.0
            out[h, j, 1] = 0.0
            out[h, j, 2] = 0.0
            out[h, j, 3] = 1.0
        for r in range(bones.shape[0]):
            half = angles[h, r] / 2.0
            s = np.sin(half)
            q = (axes[r, 0] * s, axes[r, 1] * s, axes[r, 2] * s, np.cos(half))
            j = bones[r]
            p = qmul(q, (out[h, j, 0], out[h, j, 1], out[h, j, 2], out[h, j, 3]))
            for k in range(4):
                out[h, j, k] = p[k]
