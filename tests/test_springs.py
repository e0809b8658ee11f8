"""Spring bones: reading VRM 0.x secondaryAnimation and VRM 1.0 VRMC_springBone, and the simulation,
measured in the World (lag and settling after a fast head turn, colliders, gravity, rest, determinism) and
in pixels (Godette's hair moves against her head)."""
import json

import numpy as np
import pytest

from runtime.skeleton import quat
from runtime.skeleton.pose import BONE_INDEX
from runtime.skeleton.rigfile import RigError, host_skeleton
from runtime.skeleton.springs import CAPSULE, NO_CENTER, SPHERE
from runtime.skeleton.take import placement_matrix
from runtime.world.stages import SpringBones, Stage
from runtime.world.tick import Ticker, standard_stages
from runtime.world.world import Host, World

from helpers import asset, changed_pixels

GODETTE = "Godette_vrm_v4.vrm"
HEAD, HIPS, CHEST = BONE_INDEX["head"], BONE_INDEX["hips"], BONE_INDEX["chest"]
UP = np.array([0.0, 1.0, 0.0])                  # host frame
RATE = 60


# -- a small VRM 1.0 rig: a humanoid spine and head, a chain straight forward and one hanging at the side --
def vrm1_rig(tmp_path, front: dict | None = None, side: dict | None = None, edit=None, turned: bool = False):
    """A .gltf with nodes only: hips 1 m up, a head at 1.5 m; joints 6-8 run forward from the head
    (horizontal), 9-11 hang down at its side. `front`/`side` are joint settings; `edit(ext)` spoils it;
    `turned` gives the spring joints rest rotations of their own (their children placed to match)."""
    nodes = [{"name": "root", "children": [1]},
             {"name": "hips", "translation": [0, 1.0, 0], "children": [2]},
             {"name": "spine", "translation": [0, 0.1, 0], "children": [3]},
             {"name": "chest", "translation": [0, 0.1, 0], "children": [4]},
             {"name": "neck", "translation": [0, 0.2, 0], "children": [5]},
             {"name": "head", "translation": [0, 0.1, 0], "children": [6, 9]},
             {"name": "front0", "translation": [0, 0, 0.1], "children": [7]},
             {"name": "front1", "translation": [0, 0, 0.1], "children": [8]},
             {"name": "front2", "translation": [0, 0, 0.1]},
             {"name": "side0", "translation": [0.1, 0, 0], "children": [10]},
             {"name": "side1", "translation": [0, -0.1, 0], "children": [11]},
             {"name": "side2", "translation": [0, -0.1, 0]}]
    if turned:
        for i, (axis, degrees) in {6: ([0, 1.0, 0], 40.0), 7: ([1.0, 0, 0], -30.0), 9: ([0, 0, 1.0], 70.0)}.items():
            q = quat.from_axis_angle(axis, np.radians(degrees))
            nodes[i]["rotation"] = q.tolist()
            for c in nodes[i].get("children", []):
                nodes[c]["translation"] = quat.rotate(quat.conjugate(q), np.array(nodes[c]["translation"])).tolist()
    ext = {"specVersion": "1.0",
           "colliders": [{"node": 5, "shape": {"sphere": {"offset": [0, 0, 0], "radius": 0.08}}},
                         {"node": 3, "shape": {"capsule": {"offset": [-0.1, 0, 0], "radius": 0.05,
                                                           "tail": [0.1, 0, 0]}}}],
           "colliderGroups": [{"name": "head", "colliders": [0]}, {"name": "chest", "colliders": [1]}],
           "springs": [{"name": "front", "colliderGroups": [0],
                        "joints": [{"node": 6, **(front or {})}, {"node": 7, **(front or {})}, {"node": 8}]},
                       {"name": "side", "colliderGroups": [0, 1], "center": 1,
                        "joints": [{"node": 9, **(side or {})}, {"node": 10, **(side or {})}, {"node": 11}]}]}
    if edit:
        edit(ext)
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": nodes,
           "extensionsUsed": ["VRMC_vrm", "VRMC_springBone"],
           "extensions": {"VRMC_vrm": {"specVersion": "1.0", "humanoid": {"humanBones": {
               b: {"node": i} for i, b in enumerate(["hips", "spine", "chest", "neck", "head"], 1)}}},
               "VRMC_springBone": ext}}
    path = tmp_path / "springy.gltf"
    path.write_text(json.dumps(doc))
    return path


class Drive(Stage):
    """The body, as a test wants it: `pose(world, tick)` writes the canonical rotations and hips."""
    name = "drive"

    def __init__(self, pose) -> None:
        self.pose = pose

    def run(self, world: World, tick: int) -> None:
        self.pose(world, tick)


def springs_world(skeleton, pose=lambda world, tick: None, facing: float = 0.0):
    world = World([Host("H", skeleton, placement_matrix((0.3, 0.2, 0.0), facing), 1)], RATE, np.array([0, -3.0, 1.5]))
    return world, Ticker(world, [Drive(pose), SpringBones()])


def head_turn(degrees: float, start: int, ticks: int):
    """The head turns `degrees` to the host's left about its up axis, from `start` over `ticks` ticks."""
    def pose(world, tick):
        k = np.clip((tick - start) / ticks, 0.0, 1.0)
        world.rotations[0, HEAD] = quat.from_axis_angle(UP, np.radians(degrees) * k)
    return pose


def in_head_frame(world: World) -> np.ndarray:
    """(K, 3) each spring joint's direction (head to tail), unit, in the frame of host 0's head."""
    s = world.springs
    turn = quat.multiply(s.place_rot[0], world.rotations[0, HEAD])
    d = s.tail_points - s.heads
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return quat.rotate(quat.conjugate(turn), d)


def yaw(v: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(v[..., 0], v[..., 2]))


# -- reading ---------------------------------------------------------------------------------------------
def test_godette_has_three_spring_groups_and_two_collider_groups():
    s = host_skeleton(asset(GODETTE)).springs
    assert s.source == "VRM 0.x secondaryAnimation" and len(s.chains) == 3
    # Roots and everything under them are joints: 4 front locks, the ribbon and 3 hair balls, each with its end.
    assert s.size == 16 and sorted(np.bincount(s.chain)) == [2, 6, 8]
    roots = [s.nodes[k] for k in range(s.size) if s.parents[k] < 0]
    assert {s.bones[s.nodes.index(n)] for n in roots if n.startswith(("Front", "Hair"))} == {HEAD}
    assert s.bones[s.nodes.index("Ribbon")] == CHEST
    ends = [k for k, n in enumerate(s.nodes) if n.lower().endswith("_end")]
    assert np.allclose(np.linalg.norm(s.tails[ends], axis=1), 0.07)          # VRM 0.x: a 7 cm last tail
    assert all(s.parents[k] >= 0 for k in ends)
    # Two collider groups: two spheres on the chest, two on the head; the hair collides with the head's.
    assert sorted(s.collider_radii.round(3)) == [0.1, 0.15, 0.217, 1.0]
    assert list(s.collider_shapes) == [SPHERE] * 4
    hair = s.nodes.index("FrontHair_Center_L")
    own = s.collider_index[s.collider_start[hair]:s.collider_start[hair + 1]]
    assert set(s.collider_bones[own]) == {HEAD}
    # VRM 0.x offsets have Z reversed: the head's big sphere (offset z = 0.07 in the file) sits in front.
    big = int(np.argmax(s.collider_radii))
    head_rest = host_skeleton(asset(GODETTE)).world_positions(np.tile([0, 0, 0, 1.0], (55, 1)))[HEAD]
    assert s.collider_rest[big] - head_rest == pytest.approx([0.0, 1.31, 0.07], abs=1e-3)


def test_the_rig_inspector_lists_the_spring_bones():
    from runtime.skeleton.inspect import describe
    assert "spring bones: 3 chains, 16 joints, 4 colliders (4 spheres, 0 capsules) from VRM 0.x secondaryAnimation" \
        in describe(asset(GODETTE)).splitlines()


def test_vrmc_spring_bone_is_read_from_any_gltf(tmp_path):
    s = host_skeleton(vrm1_rig(tmp_path, front={"stiffness": 2.0, "gravityPower": 0.5, "dragForce": 0.3,
                                                "hitRadius": 0.01, "gravityDir": [1, 0, 0]})).springs
    assert s.source == "VRMC_springBone" and s.chains == ["front", "side"]
    assert s.nodes == ["front0", "side0", "front1", "side1"]      # a spring's last joint is its tail only
    front0, side0, front1, _ = range(4)
    assert s.parents.tolist() == [-1, -1, front0, side0] and s.bones[front0] == HEAD
    assert s.tails[front1] == pytest.approx([0, 0, 0.1]) and s.tails[side0] == pytest.approx([0, -0.1, 0])
    assert (s.stiffness[front0], s.gravity_power[front0], s.drag[front0], s.hit_radius[front0]) == (2.0, 0.5, 0.3, 0.01)
    assert s.gravity_dir[front0] == pytest.approx([1, 0, 0])
    assert (s.stiffness[side0], s.drag[side0], s.gravity_power[side0]) == (1.0, 0.5, 0.0)   # the schema's defaults
    assert s.gravity_dir[side0] == pytest.approx([0, -1, 0])
    assert s.center_bones[side0] == HIPS and s.center_bones[front0] == NO_CENTER
    assert list(s.collider_shapes) == [SPHERE, CAPSULE]
    assert s.collider_heads[1] == pytest.approx([-0.1, 0, 0]) and s.collider_tails[1] == pytest.approx([0.1, 0, 0])
    side_colliders = s.collider_index[s.collider_start[side0]:s.collider_start[side0 + 1]]
    assert sorted(side_colliders) == [0, 1]


@pytest.mark.parametrize("edit, where, what", [
    (lambda e: e["springs"][0]["joints"][1].update(node=99), "springs[0].joints[1].node", "no node 99"),
    (lambda e: e["colliders"][0]["shape"]["sphere"].update(radius=-0.1), "colliders[0].shape.sphere.radius",
     "expected a number >= 0, got -0.1"),
    (lambda e: e["springs"][1]["colliderGroups"].append(5), "springs[1].colliderGroups[2]", "no collider group 5"),
    (lambda e: e["springs"][0]["joints"][0].update(stiffness="stiff"), "springs[0].joints[0].stiffness",
     "expected a number"),
])
def test_a_bad_spring_fails_naming_the_file_and_the_entry(tmp_path, edit, where, what):
    path = vrm1_rig(tmp_path, edit=edit)
    with pytest.raises(RigError) as caught:
        host_skeleton(path)
    assert str(caught.value).startswith(f"{path}: VRMC_springBone {where}: {what}")


def test_a_bad_vrm0_collider_fails_naming_the_file(tmp_path):
    path = tmp_path / "bad.gltf"
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
           "nodes": [{"name": "hips", "translation": [0, 1, 0], "children": [1]},
                     {"name": "head", "translation": [0, 0.5, 0], "children": [2]},
                     {"name": "hair", "translation": [0, 0.1, 0]}],
           "extensions": {"VRM": {"humanoid": {"humanBones": [{"bone": "hips", "node": 0}, {"bone": "head", "node": 1}]},
                                  "secondaryAnimation": {
                                      "boneGroups": [{"bones": [2], "colliderGroups": [0]}],
                                      "colliderGroups": [{"node": 1, "colliders": [{"offset": {"x": 0, "y": 0, "z": 0},
                                                                                    "radius": -1}]}]}}}}
    path.write_text(json.dumps(doc))
    with pytest.raises(RigError, match=rf"^{path}: VRM secondaryAnimation colliderGroups\[0\]\.colliders\[0\]\.radius: "
                                       r"expected a number >= 0, got -1"):
        host_skeleton(path)


# -- simulation ------------------------------------------------------------------------------------------
def test_after_a_fast_head_turn_the_hair_lags_then_settles_within_a_second_and_a_half():
    world, ticker = springs_world(host_skeleton(asset(GODETTE)), head_turn(60.0, start=30, ticks=6))
    s = world.cast[0].skeleton.springs
    tips = [s.nodes.index(n) for n in ("FrontHair_Center_L", "FrontHair_Center_R", "HairBall_L", "HairBall_R")]
    ticker.run_until(29)
    settled = in_head_frame(world)[tips]                        # before the turn (colliders may bend some)
    lags, deviation = [], []
    for tick in range(30, 30 + 2 * RATE):
        ticker.run_until(tick)
        now = in_head_frame(world)[tips]
        lags.append(yaw(now) - yaw(settled))                    # + = toward the turn, - = behind it
        deviation.append(np.degrees(np.arccos(np.clip(np.sum(now * settled, axis=1), -1, 1))).max())
    lags, deviation = np.array(lags), np.array(deviation)
    # During the turn every tip swings behind the head (about the up axis, against the turn).
    assert (lags[:6].min(axis=0) < -5.0).all(), lags[:6]
    behind = -lags.min()
    # After the turn ends (tick 36) the hair comes back to where it hung, to within 1 degree, for good.
    still = np.nonzero(deviation > 1.0)[0]
    settle_ticks = int(still[-1]) + 1 - 6 if len(still) else 0
    assert settle_ticks <= 1.5 * RATE, (settle_ticks, deviation)
    assert deviation[-RATE:].max() < 0.2
    print(f"lag behind the head: {behind:.1f} degrees; settled to 1 degree {settle_ticks} ticks after the turn")


def _moving_body(world, tick):
    """Nods, head turns both ways, a chest bend and a hips bob: a lively few seconds."""
    t = tick / RATE
    world.rotations[0, HEAD] = quat.multiply(quat.from_axis_angle(UP, np.radians(70) * np.sin(3.0 * t)),
                                             quat.from_axis_angle([1.0, 0, 0], np.radians(25) * np.sin(5.0 * t)))
    world.rotations[0, CHEST] = quat.from_axis_angle([0, 0, 1.0], np.radians(20) * np.sin(2.0 * t))
    world.hips[0] = [0.0, 0.05 * np.sin(7.0 * t), 0.0]


def test_no_tail_is_ever_inside_a_collider():
    world, ticker = springs_world(host_skeleton(asset(GODETTE)), _moving_body)
    s = world.springs
    deepest = -np.inf
    for tick in range(4 * RATE):
        ticker.run_until(tick)
        for k in range(s.size):
            for c in s.collider_index[s.collider_start[k]:s.collider_start[k + 1]]:
                reach = s.collider_radii[c] + s.hit_radius[k]
                deepest = max(deepest, reach - np.linalg.norm(s.tail_points[k] - s.colliders_now[c, 0]))
    assert deepest <= 1e-6, deepest


def test_a_capsule_keeps_a_tail_out(tmp_path):
    """A capsule across the chest, through where the side chain hangs at rest: the chain is pushed out of it
    on the first tick and stays out while the chest swings."""
    def across(ext):
        ext["colliders"][1]["shape"]["capsule"].update(offset=[-0.2, 0.22, 0], tail=[0.2, 0.22, 0])
    swing = lambda w, t: w.rotations[0].__setitem__(CHEST, quat.from_axis_angle([0, 0, 1.0], np.radians(40) * np.sin(t / 8)))
    world, ticker = springs_world(host_skeleton(vrm1_rig(tmp_path, side={"gravityPower": 1.0}, edit=across)), swing)
    s = world.springs
    near = np.inf
    for tick in range(2 * RATE):
        ticker.run_until(tick)
        a, b = s.colliders_now[1]
        for k in (1, 3):                                     # the side joints
            p = s.tail_points[k]
            u = np.clip((p - a) @ (b - a) / ((b - a) @ (b - a)), 0, 1)
            near = min(near, np.linalg.norm(p - (a + u * (b - a))) - 0.05)
    assert near >= -1e-6, near
    pushed = np.degrees(2 * np.arccos(min(abs(world.pose(0).springs[1, 3]), 1.0)))
    assert pushed > 10, pushed                               # out of the way it hung


def test_two_runs_give_identical_spring_poses():
    runs = []
    for _ in range(2):
        world, ticker = springs_world(host_skeleton(asset(GODETTE)), _moving_body)
        poses = []
        for tick in range(2 * RATE):
            ticker.run_until(tick)
            poses.append(world.pose(0).springs)
        runs.append(np.array(poses))
    assert np.array_equal(runs[0], runs[1])
    assert np.abs(runs[0][:, :, :3]).max() > 0.05            # and they did move


def test_a_chain_at_rest_stays_at_rest(tmp_path):
    world, ticker = springs_world(host_skeleton(vrm1_rig(tmp_path, front={"stiffness": 1.0})), facing=35.0)
    ticker.run_until(5 * RATE)
    assert np.abs(world.springs.rotations - [0, 0, 0, 1.0]).max() < 1e-9
    rest = world.cast[0].skeleton.springs.rest_positions
    placed = rest @ world.placements[0, :3, :3].T + world.placements[0, :3, 3]
    assert np.abs(world.springs.heads - placed).max() < 1e-9


@pytest.mark.parametrize("facing", [0.0, 90.0])
def test_gravity_pulls_a_horizontal_chain_down(tmp_path, facing):
    world, ticker = springs_world(host_skeleton(vrm1_rig(tmp_path, front={"stiffness": 1.0, "gravityPower": 1.0})),
                                  facing=facing)
    front_tip = 2                                             # front1: its tail is the chain's end
    ticker.run_until(0)
    start = world.springs.tail_points[front_tip].copy()
    ticker.run_until(3 * RATE)
    end = world.springs.tail_points[front_tip]
    # Set coordinates are Z up, whichever way the host faces; stiffness 1 against gravity 1 droops ~45 degrees.
    assert 0.05 < start[2] - end[2] < 0.2, (start, end)      # the chain is 0.2 m long


def test_springs_follow_the_hips_and_where_the_host_stands(tmp_path):
    """A hips offset carries the chains' roots and the colliders with it, in set coordinates; the front
    chain's tail lags behind, the side chain's (its center is the hips) moves with them."""
    skeleton = host_skeleton(vrm1_rig(tmp_path))
    world, ticker = springs_world(skeleton, lambda w, t: w.hips.__setitem__(0, [0.0, 0.2, 0.0] if t else 0.0),
                                  facing=90.0)
    s = world.springs
    ticker.run_until(0)
    heads, colliders = s.heads.copy(), s.colliders_now.copy()
    ticker.run_until(1)
    roots = s.joint_parents < 0
    up = [0.0, 0.0, 0.2]                                      # host +Y is set +Z
    assert s.heads[roots] - heads[roots] == pytest.approx(np.tile(up, (2, 1)), abs=1e-9)
    assert (s.colliders_now - colliders).reshape(-1, 3) == pytest.approx(np.tile(up, (4, 1)), abs=1e-9)
    front1, side1 = 2, 3
    assert (s.heads - heads)[front1, 2] < 0.2 - 0.01
    assert (s.heads - heads)[side1] == pytest.approx(up, abs=1e-9)


def test_one_batched_update_serves_every_host_alike():
    """Three hosts in one world, the middle one without spring bones: the two Godettes, standing apart and
    turning their heads alike, swing alike."""
    from runtime.skeleton.skeleton import Skeleton
    godette = host_skeleton(asset(GODETTE))
    bare = Skeleton.canonical({"hips": np.array([0, 1.0, 0]), "head": np.array([0, 1.6, 0])})
    cast = [Host(f"H{k}", sk, placement_matrix((1.5 * k, 0.0, 0.0), 20.0), 1) for k, sk in enumerate([godette, bare, godette])]
    world = World(cast, RATE, np.zeros(3))

    def turn(w, tick):
        w.rotations[:, HEAD] = quat.from_axis_angle(UP, np.radians(50.0) * np.clip((tick - 5) / 6, 0, 1))
    ticker = Ticker(world, [Drive(turn), SpringBones()])
    ticker.run_until(20)
    first, middle, last = (world.pose(h).springs for h in range(3))
    assert middle.shape == (0, 4) and world.springs.size == 2 * godette.springs.size
    assert np.abs(first[:, :3]).max() > 0.05 and np.abs(first - last).max() < 1e-6


def test_a_rig_swap_leaves_the_other_hosts_springs_swinging():
    godette = host_skeleton(asset(GODETTE))

    def run(swap: bool) -> tuple[np.ndarray, np.ndarray]:
        cast = [Host(f"H{k}", godette, placement_matrix((1.5 * k, 0.0, 0.0), 0.0), 1) for k in range(2)]
        world = World(cast, RATE, np.zeros(3))
        shake = lambda w, t: w.rotations[:, HEAD].__setitem__(slice(None), quat.from_axis_angle(
            UP, np.radians(40.0) * np.sin(t / 4)))
        ticker = Ticker(world, [Drive(shake), SpringBones()])
        ticker.run_until(14)                                 # mid-swing
        if swap:
            world.recast(1, Host("H1", godette, cast[1].placement, 1))
        ticker.run_until(20)
        return world.pose(0).springs, world.pose(1).springs

    (kept, swapped), (plain0, plain1) = run(True), run(False)
    assert np.array_equal(kept, plain0)                      # host 0 swings on as if nothing happened
    assert np.abs(swapped - plain1).max() > 0.01             # host 1 started again, at rest on its pose


def test_a_rig_without_springs_adds_no_spring_work():
    from runtime.skeleton.skeleton import Skeleton
    skeleton = Skeleton.canonical({"hips": np.array([0, 1.0, 0]), "head": np.array([0, 1.6, 0])})
    world = World([Host("H", skeleton, np.eye(4), 1)], RATE, np.zeros(3))
    assert world.springs.size == 0 and world.pose(0).springs.shape == (0, 4)
    names = [s.name for s in standard_stages(world)]
    assert names.index("holds") < names.index("springs") < names.index("face")


# -- the scene -------------------------------------------------------------------------------------------
def test_the_scene_puts_each_rig_joint_where_the_simulation_has_it(tmp_path):
    """Spring joints with rest rotations of their own, drooping under gravity after a head turn: the rig's
    joints, read back from Panda3D, are where the simulation put each joint and tail."""
    from runtime.scene.character import Character
    path = vrm1_rig(tmp_path, front={"stiffness": 1.0, "gravityPower": 1.0}, side={"gravityPower": 0.5},
                    turned=True)
    world, ticker = springs_world(host_skeleton(path), head_turn(40.0, start=5, ticks=10))
    ticker.run_until(30)                                    # mid-swing
    character = Character(path)
    character.apply(world.pose(0))
    s = world.springs
    to_host = world.to_host[0]
    for k, node in enumerate(world.cast[0].skeleton.springs.nodes):
        for name, point in ((node, s.heads[k]), (_tail_node(node), s.tail_points[k])):
            expected = character.frame @ (to_host[:3, :3] @ point + to_host[:3, 3])
            got = np.array(character.root.find(f"**/{name}").get_pos(character.root))
            assert got == pytest.approx(expected, abs=1e-4), name
    assert np.degrees(2 * np.arccos(np.abs(world.pose(0).springs[:, 3]))).max() > 10      # they did swing


def _tail_node(node: str) -> str:
    return node[:-1] + str(int(node[-1]) + 1)


# -- pixels ----------------------------------------------------------------------------------------------
def test_godettes_hair_moves_against_her_head_in_the_picture():
    """The head held still at one angle: the frame while the hair still swings from the turn differs from
    the frame once it has settled, and two settled frames do not."""
    from runtime.scene.render import OffscreenRenderer
    from runtime.sets.setfile import Camera, single_host_set
    from runtime.world.assemble import world_of
    with OffscreenRenderer(single_host_set(asset(GODETTE), backdrop=(1, 1, 1)), (200, 200)) as r:
        world = world_of(r.spec, r.stage.skeletons())
        r.stage.perform(Ticker(world, [Drive(head_turn(50.0, start=10, ticks=6)), SpringBones()]))
        head = np.array([0.0, 0.0, 1.2])
        r.aim(Camera("face", tuple(head + [0.0, -1.0, 0.1]), tuple(head), 30.0), near=0.05)
        frames = {}
        for tick in (18, 150, 180):
            r.stage.ticker.run_until(tick)
            r.stage.show()
            frames[tick] = r.frame()
    swinging = changed_pixels(frames[18], frames[180])
    settled = changed_pixels(frames[150], frames[180])
    assert settled < 20 and swinging > 800, (swinging, settled)
    print(f"pixels changed with the head still: {swinging} while the hair swings, {settled} once settled")
