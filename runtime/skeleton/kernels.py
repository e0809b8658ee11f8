"""The compiled kernels of the animation maths (numba): sampling a clip, blending layers, two-bone IK,
a joint chain's world transforms and local->model, one host at a time on plain arrays.

They follow the numpy reference functions (`Clip.sample`, `blend`, `two_bone_ik`,
`Skeleton.local_to_model`) and the tests hold the two to 1e-9. `two_bone_ik` runs its one-host case here
(the gestures' and holds' arms every tick); `PoseJob` strings them together for many hosts.
"""
from __future__ import annotations

import numpy as np
from numba import njit

OVERRIDE, ADDITIVE = 0, 1          # layer modes, as the kernels take them

# -- scalar quaternion helpers (x, y, z, w) ------------------------------------------------------------
@njit(cache=True, inline="always")
def _qmul(a, b):
    return (a[3] * b[0] + a[0] * b[3] + a[1] * b[2] - a[2] * b[1],
            a[3] * b[1] - a[0] * b[2] + a[1] * b[3] + a[2] * b[0],
            a[3] * b[2] + a[0] * b[1] - a[1] * b[0] + a[2] * b[3],
            a[3] * b[3] - a[0] * b[0] - a[1] * b[1] - a[2] * b[2])


@njit(cache=True, inline="always")
def _qconj(a):
    return (-a[0], -a[1], -a[2], a[3])


@njit(cache=True, inline="always")
def _qnorm(a):
    n = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2] + a[3] * a[3])
    return (a[0] / n, a[1] / n, a[2] / n, a[3] / n)


@njit(cache=True, inline="always")
def _qrot(q, v):
    tx = 2.0 * (q[1] * v[2] - q[2] * v[1])
    ty = 2.0 * (q[2] * v[0] - q[0] * v[2])
    tz = 2.0 * (q[0] * v[1] - q[1] * v[0])
    return (v[0] + q[3] * tx + (q[1] * tz - q[2] * ty),
            v[1] + q[3] * ty + (q[2] * tx - q[0] * tz),
            v[2] + q[3] * tz + (q[0] * ty - q[1] * tx))


@njit(cache=True, inline="always")
def _nlerp(a, b, t):
    d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]
    s = -1.0 if d < 0 else 1.0
    return _qnorm((a[0] * (1 - t) + s * b[0] * t, a[1] * (1 - t) + s * b[1] * t,
                   a[2] * (1 - t) + s * b[2] * t, a[3] * (1 - t) + s * b[3] * t))


@njit(cache=True, inline="always")
def _slerp(a, b, t):
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
    return _qnorm((wa * a[0] + wb * s * b[0], wa * a[1] + wb * s * b[1],
                   wa * a[2] + wb * s * b[2], wa * a[3] + wb * s * b[3]))


@njit(cache=True, inline="always")
def _between(a, b):
    na = np.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    nb = np.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2])
    a = (a[0] / na, a[1] / na, a[2] / na)
    b = (b[0] / nb, b[1] / nb, b[2] / nb)
    d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    if d < -1 + 1e-9:
        o = (0.0, a[2], -a[1])                      # a x (1, 0, 0)
        if o[1] * o[1] + o[2] * o[2] < 1e-12:
            o = (-a[2], 0.0, a[0])                  # a x (0, 1, 0)
        return _qnorm((o[0], o[1], o[2], 0.0))
    return _qnorm((a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0], 1.0 + d))


# -- kernels ---------------------------------------------------------------------------------------------
@njit(cache=True)
def _sample(frames, counts, hips, rate, clip, time, loop, rot_out, hips_out):
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
        q = _nlerp(a, b, u)
        for k in range(4):
            rot_out[j, k] = q[k]
    for k in range(3):
        hips_out[k] = hips[clip, i0, k] * (1 - u) + hips[clip, i1, k] * u


@njit(cache=True)
def _blend(rots, lhips, weights, masks, modes, priorities, groups, threshold, out_rot, out_hips):
    """rots (L, J, 4), lhips (L, 3), weights (L,), masks (L, J); groups: ascending priorities."""
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
        hw = 0.0
        gh = np.zeros(3)
        for l in range(n_layers):
            if modes[l] == OVERRIDE and priorities[l] == prio:
                if first < 0:
                    first = l
                hw += weights[l]
                for k in range(3):
                    gh[k] += weights[l] * lhips[l, k]
        if first < 0:
            continue
        for j in range(n_joints):
            acc = np.zeros(4)
            total = 0.0
            for l in range(n_layers):
                if modes[l] != OVERRIDE or priorities[l] != prio:
                    continue
                w = weights[l] * masks[l, j]
                d = (rots[l, j, 0] * rots[first, j, 0] + rots[l, j, 1] * rots[first, j, 1]
                     + rots[l, j, 2] * rots[first, j, 2] + rots[l, j, 3] * rots[first, j, 3])
                s = -1.0 if d < 0 else 1.0
                for k in range(4):
                    acc[k] += w * s * rots[l, j, k]
                total += w
            if total > 1e-12:
                g_rot = _qnorm((acc[0] / total, acc[1] / total, acc[2] / total, acc[3] / total))
            else:
                g_rot = (0.0, 0.0, 0.0, 1.0)
            if g == 0:
                short = max(threshold - total, 0.0)
                strength = total / max(total + short, 1e-12)
            else:
                strength = min(max(total, 0.0), 1.0)
            q = _nlerp((out_rot[j, 0], out_rot[j, 1], out_rot[j, 2], out_rot[j, 3]), g_rot, strength)
            for k in range(4):
                out_rot[j, k] = q[k]
        hs = (1.0 if hw > 1e-12 else 0.0) if g == 0 else min(max(hw, 0.0), 1.0)
        for k in range(3):
            out_hips[k] = out_hips[k] * (1 - hs) + (gh[k] / hw if hw > 1e-12 else 0.0) * hs
    for l in range(n_layers):
        if modes[l] != ADDITIVE:
            continue
        for j in range(n_joints):
            delta = (rots[l, j, 0], rots[l, j, 1], rots[l, j, 2], rots[l, j, 3])
            scaled = _nlerp((0.0, 0.0, 0.0, 1.0), delta, weights[l] * masks[l, j])
            q = _qnorm(_qmul((out_rot[j, 0], out_rot[j, 1], out_rot[j, 2], out_rot[j, 3]), scaled))
            for k in range(4):
                out_rot[j, k] = q[k]
        for k in range(3):
            out_hips[k] += weights[l] * lhips[l, k]


@njit(cache=True)
def _chain_world(parents, offsets, rot, path, wrot, wpos):
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
            w = _qmul(pq, q)
            r = _qrot(pq, o)
            for k in range(4):
                wrot[n, k] = w[k]
            for k in range(3):
                wpos[n, k] = wpos[n - 1, k] + r[k]


@njit(cache=True)
def _two_bone(parents, offsets, rot, path, target, pole, weight, lo, hi):
    """IK on rot (J, 4) in place; path = root of the skeleton .. chain root, middle, end."""
    m = path.shape[0]
    wrot = np.empty((m, 4))
    wpos = np.empty((m, 3))
    _chain_world(parents, offsets, rot, path, wrot, wpos)
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
    r1 = _between((b[0] - a[0], b[1] - a[1], b[2] - a[2]), (elbow[0] - a[0], elbow[1] - a[1], elbow[2] - a[2]))
    rc = _qrot(r1, (c[0] - a[0], c[1] - a[1], c[2] - a[2]))
    c_after = (a[0] + rc[0], a[1] + rc[1], a[2] + rc[2])
    r2 = _between((c_after[0] - elbow[0], c_after[1] - elbow[1], c_after[2] - elbow[2]),
                  (reach[0] - elbow[0], reach[1] - elbow[1], reach[2] - elbow[2]))
    if ia > 0:
        wp = (wrot[ia - 1, 0], wrot[ia - 1, 1], wrot[ia - 1, 2], wrot[ia - 1, 3])
    else:
        wp = (0.0, 0.0, 0.0, 1.0)
    w1 = (wrot[ia, 0], wrot[ia, 1], wrot[ia, 2], wrot[ia, 3])
    w2 = (wrot[ib, 0], wrot[ib, 1], wrot[ib, 2], wrot[ib, 3])
    new_a = _qnorm(_qmul(_qconj(wp), _qmul(r1, w1)))
    new_b = _qnorm(_qmul(_qconj(_qmul(r1, w1)), _qmul(r2, _qmul(r1, w2))))
    ja, jb = path[ia], path[ib]
    qa = _slerp((rot[ja, 0], rot[ja, 1], rot[ja, 2], rot[ja, 3]), new_a, weight)
    qb = _slerp((rot[jb, 0], rot[jb, 1], rot[jb, 2], rot[jb, 3]), new_b, weight)
    for k in range(4):
        rot[ja, k] = qa[k]
        rot[jb, k] = qb[k]


@njit(cache=True)
def _local_to_model(parents, offsets, rot, hips, out):
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
def _run(parents, offsets, frames, counts, clip_hips, rate, loop, layer_clip, speeds, offs, masks, modes,
         priorities, groups, threshold, paths, path_len, limits, times, weights, targets, poles, ik_weights,
         out_rot, out_hips, out_model):
    n_hosts, n_layers, n_joints = times.shape[0], layer_clip.shape[0], parents.shape[0]
    rots = np.empty((n_layers, n_joints, 4))
    lhips = np.empty((n_layers, 3))
    for h in range(n_hosts):
        for l in range(n_layers):
            _sample(frames, counts, clip_hips, rate, layer_clip[l], times[h] * speeds[l] + offs[l], loop,
                    rots[l], lhips[l])
        _blend(rots, lhips, weights[h], masks, modes, priorities, groups, threshold, out_rot[h], out_hips[h])
        for c in range(paths.shape[0]):
            _two_bone(parents, offsets, out_rot[h], paths[c, :path_len[c]], targets[h, c], poles[h, c],
                      ik_weights[h, c], limits[c, 0], limits[c, 1])
        _local_to_model(parents, offsets, out_rot[h], out_hips[h], out_model[h])


@njit(cache=True)
def _compose_rows(angles, axes, bones, out):
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
            p = _qmul(q, (out[h, j, 0], out[h, j, 1], out[h, j, 2], out[h, j, 3]))
            for k in range(4):
                out[h, j, k] = p[k]
