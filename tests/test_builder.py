import json
import subprocess

import numpy as np
import pytest

from runtime.builder.body import ARKIT, TARGET_NAMES, VISEMES, Figure, build_glb, build_host
from runtime.builder.glb import Joint, make_glb
from runtime.builder.mesh import Part
from runtime.builder.spec import load_host_spec
from runtime.glbfile import pack_glb, unpack_glb
from runtime.skeleton.humanoid import BONE_NAMES, FINGERS
from runtime.tomlfile import FileError

from helpers import assert_error_at, assert_file_error


def validate(node_tools, *files) -> list[dict]:
    out = subprocess.run(["node", str(node_tools / "validate.js"), *map(str, files)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return [json.loads(line) for line in out.stdout.splitlines()]


def test_the_built_hosts_pass_the_khronos_gltf_validator(project, node_tools, tmp_path):
    hosts = sorted((project / "rigs").glob("*.toml"))
    assert len(hosts) >= 4
    reports = validate(node_tools, *(host.with_suffix(".glb") for host in hosts))
    assert [(r["errors"], r["warnings"]) for r in reports] == [(0, 0)] * len(hosts), reports
    # Its only notes: it cannot check the VRM extensions (MToon, spring bones); those have tests of their own.
    notes = [m for r in reports for m in r["messages"]]
    assert len(notes) == sum(r["infos"] for r in reports) and all(
        m.startswith("UNSUPPORTED_EXTENSION") and "'VRMC_" in m for m in notes), notes
    # The check can fail: the meshes moved under the armature's root, as the builder once wrote them.
    glb = (project / "rigs" / "mei.glb").read_bytes()
    doc, binary = unpack_glb(glb)
    meshes = [i for i, n in enumerate(doc["nodes"]) if "mesh" in n]
    doc["nodes"][0]["children"] += meshes
    doc["scenes"][0]["nodes"] = [0]
    (tmp_path / "nested.glb").write_bytes(pack_glb(doc, binary))
    (report,) = validate(node_tools, tmp_path / "nested.glb")
    warned = [m for m in report["messages"] if not m.startswith("UNSUPPORTED_EXTENSION")]
    assert report["warnings"] == 2 and all("NODE_SKINNED_MESH_NON_ROOT" in m for m in warned), report


@pytest.mark.parametrize("name", ["mei", "jun", "aya", "ken"])
def test_rebuild_is_byte_identical(project, name):
    committed = (project / "rigs" / f"{name}.glb").read_bytes()
    assert build_glb(load_host_spec(project / "rigs" / f"{name}.toml")) == committed


def test_written_bytes_do_not_depend_on_the_last_bits(project):
    """Another CPU's vector unit or numpy build rounds differently in the last bits (a value near zero came
    out -2.66e-18 on one machine and +1.99e-18 on another): the file written must be the same."""
    spec = load_host_spec(project / "rigs" / "mei.toml")
    joints, meshes, materials, springs, colliders = build_host(spec)
    rng = np.random.default_rng(7)

    def other_cpu(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        ulps = rng.integers(-2, 3, a.shape) * np.spacing(np.abs(a))       # a couple of ulps either way
        tiny = np.where(np.abs(a) < 1e-15, rng.choice([-3e-18, 2e-18], a.shape), 0.0)  # signs of ~zero flip
        return a + ulps + tiny

    moved_joints = [Joint(j.name, j.parent, other_cpu(j.position)) for j in joints]
    moved_meshes = {name: [Part(p.material, other_cpu(p.positions), p.indices, p.joints, other_cpu(p.weights),
                                {m: other_cpu(d) for m, d in p.morphs.items()},
                                None if p.uvs is None else other_cpu(p.uvs)) for p in parts]
                    for name, parts in meshes.items()}
    targets = {"Face": list(TARGET_NAMES)}
    assert (make_glb(spec.name, moved_joints, moved_meshes, materials, targets, {}, springs, colliders)
            == make_glb(spec.name, joints, meshes, materials, targets, {}, springs, colliders))


@pytest.mark.parametrize("name", ["mei", "jun"])
def test_built_host_has_full_humanoid_and_face(project, name):
    doc, _ = unpack_glb((project / "rigs" / f"{name}.glb").read_bytes())
    joint_names = [doc["nodes"][j]["name"] for j in doc["skins"][0]["joints"]]
    assert joint_names[:len(BONE_NAMES)] == list(BONE_NAMES)          # then the hair's chains
    for side in ("left", "right"):
        for finger in FINGERS:
            assert all(f"{side}{finger}{seg}" in joint_names for seg in ("Proximal", "Intermediate", "Distal"))
    face = next(m for m in doc["meshes"] if m["name"] == "Face")
    assert face["extras"]["targetNames"] == list(TARGET_NAMES)
    assert all(len(p["targets"]) == len(TARGET_NAMES) for p in face["primitives"])


def test_skin_weights_are_normalised_and_morphs_move_the_mouth(project):
    joints, meshes, *_ = build_host(load_host_spec(project / "rigs" / "mei.toml"))
    for part in meshes["Body"] + meshes["Face"]:
        assert np.allclose(part.weights.sum(axis=1), 1.0)
        assert part.joints.max() < len(joints)
    lips = [p for p in meshes["Face"] if p.material == "lips"]
    opening = max(np.abs(p.morphs["aa"][:, 1]).max() for p in lips)
    closed = max(np.abs(p.morphs["sil"]).max() for p in lips)
    assert opening > 0.01 and closed == 0.0                 # aa drops the lower lip by more than 1 cm


@pytest.fixture(scope="module")
def mei_face(project) -> tuple[Figure, list[Part]]:
    spec = load_host_spec(project / "rigs" / "mei.toml")
    return Figure(spec), build_host(spec)[1]["Face"]


def _with(part: Part, name: str) -> bool:
    return name in part.morphs


def _stacked(parts: list[Part], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Rest positions and `name`'s deltas of every face vertex (zero where a part lacks the morph)."""
    return (np.vstack([p.positions for p in parts]),
            np.vstack([p.morphs.get(name, np.zeros_like(p.positions)) for p in parts]))


def test_face_has_the_arkit_expression_morphs_and_not_the_old_ones():
    assert TARGET_NAMES[:len(VISEMES)] == VISEMES
    assert set(ARKIT) <= set(TARGET_NAMES) and len(set(TARGET_NAMES)) == len(TARGET_NAMES) == 33
    assert not {"smile", "browUp", "browDown"} & set(TARGET_NAMES)


def _mirror_part(part: Part, parts: list[Part]) -> tuple[Part, np.ndarray]:
    """The part that is `part` mirrored across the midline (itself for the lips), and each vertex's twin."""
    mirrored = part.positions * [-1, 1, 1]
    for other in parts:
        if len(other.positions) == len(part.positions):
            twin = np.argmin(np.linalg.norm(other.positions[None] - mirrored[:, None], axis=2), axis=1)
            if np.allclose(other.positions[twin], mirrored, atol=1e-9):
                return other, twin
    raise AssertionError(f"no mirror image of a {part.material} part")


@pytest.mark.parametrize("left", [n for n in ARKIT if n.endswith("Left")])
def test_a_left_morph_moves_only_the_left_side_and_its_right_twin_mirrors_it(mei_face, left):
    _, parts = mei_face
    right = left.replace("Left", "Right")
    pos, delta = _stacked(parts, left)
    assert np.linalg.norm(delta, axis=1).max() > 0.0015         # a clear movement: over 1.5 mm somewhere
    assert pos[np.linalg.norm(delta, axis=1) > 1e-9, 0].min() > -1e-9   # the host's left is +X
    for part in parts:
        other, twin = _mirror_part(part, parts)
        mirrored = part.morphs.get(left, np.zeros_like(part.positions)) * [-1, 1, 1]
        assert np.allclose(other.morphs.get(right, np.zeros_like(other.positions))[twin], mirrored, atol=1e-9)


def test_mouth_morphs_move_the_corners_and_the_lower_lip(mei_face):
    _, parts = mei_face
    upper, lower = (p for p in parts if p.material == "lips")
    for lip in (upper, lower):
        corner = np.argmax(lip.positions[:, 0])                   # the host's left mouth corner
        assert lip.morphs["mouthSmileLeft"][corner, 1] > 0.004    # up, and out to the side
        assert lip.morphs["mouthSmileLeft"][corner, 0] > 0.001
        assert lip.morphs["mouthFrownLeft"][corner, 1] < -0.003
    assert lower.morphs["jawForward"][:, 2].min() > 0.002 and not upper.morphs["jawForward"].any()


def test_eye_morphs_move_the_lids(mei_face):
    _, parts = mei_face
    upper = next(p for p in parts if _with(p, "blinkLeft"))
    lower = next(p for p in parts if _with(p, "cheekSquintLeft"))
    edge = upper.positions[:, 1] == upper.positions[:, 1].min()
    rim = lower.positions[:, 1] == lower.positions[:, 1].max()
    assert upper.morphs["eyeWideLeft"][edge, 1].max() > 0.0015
    assert upper.morphs["eyeSquintLeft"][edge, 1].max() < 0 < lower.morphs["eyeSquintLeft"][rim, 1].min()
    assert lower.morphs["cheekSquintLeft"][rim, 1].max() > 0.0015
    assert lower.morphs["cheekSquintLeft"][:, 2].max() > 0.001              # the cheek pushes forward too
    assert not upper.morphs["eyeWideLeft"][:, [0, 2]].any()                 # straight up: clear of the eye


@pytest.mark.parametrize("combo", [{}, {"eyeWideLeft": 1.0}, {"eyeSquintLeft": 1.0, "cheekSquintLeft": 1.0},
                                   {"eyeWideLeft": 1.0, "eyeSquintLeft": 1.0, "cheekSquintLeft": 1.0}])
def test_a_blink_shuts_the_eye_whatever_else_the_lids_do(mei_face, combo):
    """Morphs add up: with eyeWide holding the upper lid up, a full blink still takes its edge below the
    lower lid's rim and behind it, and at no weight through the eyeball."""
    figure, parts = mei_face
    upper = next(p for p in parts if _with(p, "blinkLeft"))
    lower = next(p for p in parts if _with(p, "cheekSquintLeft"))
    centre = figure.joints["leftEye"]

    def pose(part: Part, blink: float) -> np.ndarray:
        return part.positions + sum(w * part.morphs.get(n, 0) for n, w in {**combo, "blinkLeft": blink}.items())

    def from_axis(points: np.ndarray) -> np.ndarray:            # distance from the eye's vertical axis
        return np.hypot(points[:, 0] - centre[0], points[:, 2] - centre[2])

    edge = upper.positions[:, 1] == upper.positions[:, 1].min()
    rim = lower.positions[:, 1] == lower.positions[:, 1].max()
    shut, lid = pose(upper, 1.0)[edge], pose(lower, 0.0)[rim]
    assert shut[:, 1].max() < lid[:, 1].min() and from_axis(shut).max() < from_axis(lid).min()
    for blink in np.linspace(0, 1, 11):
        assert np.linalg.norm(pose(upper, blink) - centre, axis=1).min() > figure.eye_r


def test_brow_morphs(mei_face):
    _, parts = mei_face
    brow = next(p for p in parts if _with(p, "browDownLeft"))
    inner, outer = np.argmin(brow.positions[:, 0]), np.argmax(brow.positions[:, 0])
    raised = brow.morphs["browInnerUp"][:, 1]
    assert raised[inner] > 0.004 and raised[inner] > 3 * raised[outer]
    raised = brow.morphs["browOuterUpLeft"][:, 1]
    assert raised[outer] > 0.003 and raised[outer] > 3 * raised[inner]
    down = brow.morphs["browDownLeft"]
    assert down[:, 1].max() < -0.002 and down[:, 0].max() < -0.0005       # down, and toward the middle
    right = next(p for p in parts if _with(p, "browDownRight"))
    assert right.morphs["browInnerUp"][:, 1].max() > 0.004                 # browInnerUp raises both brows


def test_elbow_blends_between_bones(project):
    """Smooth skinning: across the elbow the forearm's weight rises gradually along the arm (no tearing)."""
    joints, meshes, *_ = build_host(load_host_spec(project / "rigs" / "jun.toml"))
    upper, lower = BONE_NAMES.index("leftUpperArm"), BONE_NAMES.index("leftLowerArm")
    xs, ws = [], []
    for part in meshes["Body"]:
        w_lower = np.where(part.joints == lower, part.weights, 0).sum(axis=1)
        w_upper = np.where(part.joints == upper, part.weights, 0).sum(axis=1)
        blended = (w_lower > 0.05) & (w_upper > 0.05)
        xs.append(part.positions[blended, 0])
        ws.append(w_lower[blended])
    x, w = np.concatenate(xs), np.concatenate(ws)
    levels = np.unique(np.round(w, 3))
    assert len(levels) >= 2 and len(x) >= 28              # at least two rings share the two bones
    order = np.argsort(x)
    assert np.all(np.diff(w[order]) >= -1e-6)             # the forearm's share only grows toward the hand


@pytest.mark.parametrize("text, message", [
    ('[host]\nname = "A"\nheight = "tall"\n[colors]\n', r"host.toml:3:1: host.height: expected number"),
    ('[host]\nname = "A"\nheight = 3.5\n', r"host.toml:3:1: host.height: 3.5 is out of range"),
    ('[host]\nname = "A"\n[colors]\nskin = "pink"\n', r"host.toml:4:1: colors.skin: expected a colour"),
    ('[host]\nname = "A"\n[colors]\nskin = "#ffffff"\n', r"host.toml:3:1: colors: missing colour 'hair'"),
    ('[host\nname = "A"\n', r"host.toml:1:\d+: TOML syntax"),
])
def test_host_file_errors_name_the_line(tmp_path, text, message):
    assert_file_error(tmp_path / "host.toml", text, load_host_spec, message, FileError)


@pytest.mark.parametrize("old, new, at, message", [
    ("shoulders = 0.92", "shoulder = 0.92", "shoulder",
     "host.shoulder: unknown key 'shoulder'; did you mean 'shoulders'?"),
    ('skin = "', 'skn = "', "skn", "colors.skn: unknown key 'skn'; did you mean 'skin'?"),
    ('neckline = "v"', 'neckine = "v"', "neckine", "style.neckine: unknown key 'neckine'; did you mean 'neckline'?"),
    ("pitch = 60", "pich = 60", "pich", "voice.pich: unknown key 'pich'; did you mean 'pitch'?"),
    ("rate = 165", 'rate = "fast"', "rate", "voice.rate: expected int, got str 'fast'"),
    ("[style]", "[styel]", "[styel]", "styel: unknown key 'styel'; did you mean 'style'?"),
])
def test_a_typo_in_a_host_file_names_its_line_and_the_nearest_key(tmp_path, project, old, new, at, message):
    text = (project / "rigs" / "mei.toml").read_text().replace(old, new, 1)
    assert_error_at(tmp_path / "host.toml", text, load_host_spec, at, message)


def test_unknown_style_is_named(tmp_path, project):
    text = (project / "rigs" / "mei.toml").read_text().replace('hair = "bob"', 'hair = "mohawk"')
    assert_file_error(tmp_path / "host.toml", text, load_host_spec,
                      r"style.hair: unknown value 'mohawk'; expected one of short, bob", FileError)


@pytest.mark.parametrize("old, new, message", [
    ('top = "blouse"', 'top = "jackett"', "style.top: unknown value 'jackett'; expected one of sweater, blouse, jacket"),
    ('sleeves = "long"', 'sleeves = "3/4"', "style.sleeves: unknown value '3/4'; expected one of long, three-quarter, short"),
    ('[colors]', '[colors]\nnail = "#ff0000"', "colors.nail: unknown key 'nail'; did you mean 'nails'?"),
])
def test_a_wrong_outfit_option_names_its_line(tmp_path, project, old, new, message):
    text = (project / "rigs" / "mei.toml").read_text().replace(old, new, 1)
    at = new.split("\n")[-1]
    assert_error_at(tmp_path / "host.toml", text, load_host_spec, at, message)
