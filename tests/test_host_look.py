"""The built-in hosts' look: painted faces (eye, head and lid textures), hair locks on spring-bone chains,
MToon on every material, and what a face close-up shows."""
import struct
import zlib

import numpy as np
import pytest
from runtime.builder.body import Figure, build_glb, build_host
from runtime.builder.face_paint import eye_uvs, paint_eye, paint_head
from runtime.builder.spec import load_host_spec
from runtime.glbfile import unpack_glb
from runtime.skeleton.humanoid import BONE_NAMES
from runtime.tomlfile import srgb_to_linear

from helpers import PROJECT


def _json(glb: bytes) -> dict:
    return unpack_glb(glb)[0]


def _image(glb: bytes, material: str) -> np.ndarray:
    """The base-colour texture of `material`, decoded from the file's binary chunk."""
    doc, binary = unpack_glb(glb)
    mat = next(m for m in doc["materials"] if m["name"] == material)
    image = doc["images"][doc["textures"][mat["pbrMetallicRoughness"]["baseColorTexture"]["index"]]["source"]]
    view = doc["bufferViews"][image["bufferView"]]
    start = view.get("byteOffset", 0)
    return _decode_png(binary[start:start + view["byteLength"]])


def _decode_png(png: bytes) -> np.ndarray:
    """An 8-bit RGB PNG whose rows are unfiltered, as the builder writes them."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = {}, 8
    while at < len(png):
        size, kind = struct.unpack_from(">I4s", png, at)
        chunks[kind] = chunks.get(kind, b"") + png[at + 8:at + 8 + size]
        at += 12 + size
    w, h, depth, colour = struct.unpack_from(">IIBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(h, 1 + 3 * w)
    assert not rows[:, 0].any()                        # filter type 0 on every row
    return rows[:, 1:].reshape(h, w, 3)


def _spec(tmp_path, **changes):
    """rigs/mei.toml with some lines replaced: colours (iris="#2a8a3a") or styles (hair="ponytail")."""
    text = (PROJECT / "rigs" / "mei.toml").read_text()
    for key, value in changes.items():
        table = "[colors]" if value.startswith("#") else "[style]"
        start = text.index(f"\n{key} = ", text.index(table)) + 1
        end = text.index("\n", start)
        text = text[:start] + f'{key} = "{value}"' + text[end:]
    path = tmp_path / "host.toml"
    path.write_text(text)
    return load_host_spec(path)


def _sample(texture: np.ndarray, u: float, v: float) -> np.ndarray:
    """The mean linear colour of a 3x3 texel patch at (u, v)."""
    h, w, _ = texture.shape
    x, y = int(u * w), int(v * h)
    srgb = texture[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(axis=0) / 255
    return np.array(srgb_to_linear(tuple(srgb)))


def _chroma(c: np.ndarray) -> np.ndarray:
    return np.asarray(c) / np.sum(c)


@pytest.mark.parametrize("iris", ["#5a3a22", "#2a8a3a", "#3050c0"])
def test_the_eye_has_the_spec_iris_where_the_eyeball_looks_out(tmp_path, iris):
    spec = _spec(tmp_path, iris=iris)
    glb = build_glb(spec)
    texture = _image(glb, "eye")
    eye = next(p for p in build_host(spec).meshes["Body"] if p.material == "eye")
    front = eye.uvs[np.argmax(eye.positions[:, 2])]               # the point the gaze goes through
    assert np.allclose(front, [0.5, 0.5], atol=0.05)
    below_pupil = _sample(texture, front[0], front[1] + 0.2)       # the iris's light lower half
    assert np.allclose(_chroma(below_pupil), _chroma(srgb_to_linear(spec.colors["iris"])), atol=0.04), below_pupil
    assert 0.7 < below_pupil.sum() / sum(srgb_to_linear(spec.colors["iris"])) < 1.6
    white = _sample(texture, front[0] + 0.38, front[1] + 0.05)     # beside the iris
    assert white.min() > 0.7 and white.max() - white.min() < 0.08, white
    pupil = _sample(texture, front[0], front[1] - 0.01)
    assert pupil.max() < below_pupil.max() * 0.5


def test_face_styles_paint_different_faces(tmp_path):
    oval, square = (Figure(_spec(tmp_path, face=face)) for face in ("oval", "square"))
    eye_a, eye_b = paint_eye(oval).astype(float), paint_eye(square).astype(float)
    assert np.abs(eye_a - eye_b).sum(axis=-1).mean() > 10          # iris size, catch-lights
    head = paint_head(oval)
    eye = oval.joints["leftEye"]
    cheek = eye_uvs(np.zeros(3), 1.0, np.zeros((1, 3)))[0]        # the texture's centre: the nose bridge
    blush_u = 0.5 + 0.5 * eye[0] * 1.2 / oval.head_r[0]
    blush_v = 0.5 - 0.5 * (eye[1] - 0.022 * oval.s * oval.hs - oval.head_c[1]) / oval.head_r[1]
    r, g, _ = _sample(head, blush_u, blush_v)
    r0, g0, _ = _sample(head, cheek[0], cheek[1] - 0.3)             # the forehead
    assert r / g > 1.15 * r0 / g0                                   # a blush: redder than the forehead


@pytest.fixture(scope="module")
def mei() -> tuple[bytes, dict]:
    glb = (PROJECT / "rigs" / "mei.glb").read_bytes()
    return glb, _json(glb)


def _parent_of(doc: dict) -> dict[int, int]:
    return {c: i for i, n in enumerate(doc["nodes"]) for c in n.get("children", [])}


def test_the_hair_hangs_on_spring_chains_that_the_extension_describes(mei):
    _, doc = mei
    assert "VRMC_springBone" in doc["extensionsUsed"]
    ext = doc["extensions"]["VRMC_springBone"]
    nodes, parent = doc["nodes"], _parent_of(doc)
    skin = set(doc["skins"][0]["joints"])
    names = {n["name"]: i for i, n in enumerate(nodes)}
    assert len(ext["springs"]) == 3                                 # a bob: left, back, right
    for spring in ext["springs"]:
        chain = [j["node"] for j in spring["joints"]]
        assert len(chain) == 4 and set(chain) <= skin
        assert nodes[parent[chain[0]]]["name"] == "head"
        for up, down in zip(chain, chain[1:]):
            assert parent[down] == up and nodes[down]["translation"][1] < 0    # parent to child, hanging down
        for joint in spring["joints"]:
            assert 0 < joint["stiffness"] and 0 <= joint["dragForce"] <= 1 and joint["hitRadius"] > 0
            assert joint["gravityDir"] == [0.0, -1.0, 0.0] and joint["gravityPower"] >= 0
        assert spring["colliderGroups"] == [0]
    colliders = [nodes[c["node"]]["name"] for c in ext["colliders"]]
    assert colliders == ["head", "neck", "upperChest"]
    assert all(c["shape"]["sphere"]["radius"] > 0.03 for c in ext["colliders"])
    assert ext["colliderGroups"] == [{"name": "body", "colliders": [0, 1, 2]}]
    assert all(names[n] in skin for n in ("head", "neck", "upperChest"))


def test_every_hair_joint_carries_hair(tmp_path):
    for style in ("bob", "long", "ponytail", "bun"):
        host = build_host(_spec(tmp_path, hair=style))
        hair = [p for p in host.meshes["Body"] if p.material == "hair"]
        extra = range(len(BONE_NAMES), len(host.joints))
        assert len(extra) >= 8, style
        for j in extra:
            assert any(((p.joints == j) & (p.weights > 0.3)).any() for p in hair), (style, host.joints[j].name)
        assert len(host.springs) == len(extra) // 4


def test_a_ponytail_is_a_chain_of_its_own_and_short_hair_has_none(tmp_path):
    doc = _json(build_glb(_spec(tmp_path, hair="ponytail")))
    springs = {s["name"]: s for s in doc["extensions"]["VRMC_springBone"]["springs"]}
    tail = [doc["nodes"][j["node"]]["name"] for j in springs["ponytail"]["joints"]]
    assert tail == ["ponytail1", "ponytail2", "ponytail3", "ponytailTip"]
    short = _json((PROJECT / "rigs" / "jun.glb").read_bytes())
    assert "extensions" not in short and "VRMC_springBone" not in short["extensionsUsed"]


def test_every_material_is_toon_shaded_with_a_darker_warmer_shade(mei):
    _, doc = mei
    for mat in doc["materials"]:
        toon = mat["extensions"]["VRMC_materials_mtoon"]
        base = np.array(mat["pbrMetallicRoughness"]["baseColorFactor"][:3])
        shade = np.array(toon["shadeColorFactor"])
        assert toon["specVersion"] == "1.0" and toon["shadingToonyFactor"] == pytest.approx(0.9)
        assert np.all(shade < base) and shade[0] / shade[2] > base[0] / base[2], mat["name"]
        texture = mat["pbrMetallicRoughness"].get("baseColorTexture")
        assert toon.get("shadeMultiplyTexture") == texture
    outlined = {m["name"] for m in doc["materials"]
                if m["extensions"]["VRMC_materials_mtoon"]["outlineWidthMode"] == "worldCoordinates"}
    assert {"face", "hair", "top"} <= outlined and not {"eye", "lid", "mouth"} & outlined


def test_a_face_close_up_shows_eye_whites_irises_and_lips_and_a_blink_hides_the_iris():
    from runtime.scene.render import OffscreenRenderer
    from runtime.sets.setfile import Camera, single_host_set
    from runtime.skeleton.face import CHANNEL_INDEX
    from runtime.skeleton.pose import Pose

    spec = load_host_spec(PROJECT / "rigs" / "mei.toml")
    f = Figure(spec)

    def world(p) -> np.ndarray:                   # glTF's Y-up model space to the set's Z-up (host faces -Y)
        return np.array([p[0], -p[2], p[1]])

    head = world(f.head_c)
    with OffscreenRenderer(single_host_set(PROJECT / "rigs" / "mei.glb", backdrop=(0.2, 0.5, 0.2)), (320, 320)) as r:
        r.aim(Camera("face", tuple(head + [0, -0.55, 0.01]), tuple(head), 24.0), near=0.05)
        character = r.stage.hosts[0].character

        def pixel(p) -> np.ndarray:
            x0, y0, x1, y1 = r.project(world(p) - 0.001, world(p) + 0.001)
            return image[(y0 + y1) // 2 - 1:(y0 + y1) // 2 + 2, (x0 + x1) // 2 - 1:(x0 + x1) // 2 + 2].reshape(
                -1, 3).mean(axis=0)

        pose = Pose.rest()
        character.apply(pose)
        image = r.frame().astype(float)
        opened = {}
        for side, sign in (("left", 1), ("right", -1)):
            eye, er = f.joints[f"{side}Eye"], f.eye_r
            iris = pixel(eye + [0, -0.3 * er, er])                  # below the pupil, on the iris
            white = pixel(eye + [sign * 0.7 * er, -0.05 * er, 0.72 * er])    # outer corner of the white
            skin = pixel(eye + [0, -2.2 * er, 0.5 * er])              # the cheek below
            assert iris.sum() < 0.6 * skin.sum() and iris[0] > iris[2], (side, iris, skin)
            assert white.min() > 150 and white.max() - white.min() < 45, (side, white)
            opened[side] = iris
        mouth = np.array([0.0, f.mouth_y - 0.001 * f.s, float(f.face_z(0.0, f.mouth_y))])
        lips = pixel(mouth)
        assert lips[0] > lips[1] + 50 and lips[0] > skin[0] - 60, lips
        pose.face[CHANNEL_INDEX["blinkLeft"]] = pose.face[CHANNEL_INDEX["blinkRight"]] = 1.0
        character.apply(pose)
        image = r.frame().astype(float)
        for side in ("left", "right"):
            eye, er = f.joints[f"{side}Eye"], f.eye_r
            shut = pixel(eye + [0, -0.3 * er, er])
            assert np.abs(shut - opened[side]).sum() > 60, (side, shut, opened[side])


@pytest.mark.parametrize("style", ["bob", "long", "ponytail", "bun"])
def test_at_rest_no_lock_reaches_into_a_collider(tmp_path, style):
    """A spring joint that starts inside a collider would be thrown out on the first tick: the locks hang
    clear of the head, neck and chest."""
    host = build_host(_spec(tmp_path, hair=style))
    positions = np.array([j.position for j in host.joints])
    for spring in host.springs:
        for joint in spring.joints[1:]:                     # the root turns in place; the rest move and collide
            for c in host.colliders:
                centre = positions[c.joint] + c.offset
                gap = np.linalg.norm(positions[joint] - centre) - c.radius - spring.hit_radius
                assert gap > 0, (style, host.joints[joint].name, host.joints[c.joint].name, gap)


def test_the_hair_shines_in_a_band_round_the_head(tmp_path):
    """The sheen lies at one height on every strand: its band of the texture is lighter than the rest, and
    the hair's vertices at that height map into it."""
    from runtime.builder.hair import SHEEN_POLAR, hair_uvs, paint_hair
    for colour in ("#2a1a14", "#16120f", "#d8b070"):
        f = Figure(_spec(tmp_path, hair=colour))
        texture = paint_hair(f).astype(float)
        rows = texture.mean(axis=1).sum(axis=1)              # brightness by v
        band = int(SHEEN_POLAR / 180 * len(rows))
        assert rows[band] > 1.3 * rows[len(rows) * 3 // 4], colour
    f = Figure(_spec(tmp_path, hair="bob"))
    crown = f.head_c + f.head_r * 1.1 * np.array([np.sin(np.radians(SHEEN_POLAR)), np.cos(np.radians(SHEEN_POLAR)), 0])
    assert hair_uvs(f, crown[None])[0, 1] == pytest.approx(SHEEN_POLAR / 180, abs=0.01)
