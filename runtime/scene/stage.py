"""Build the Panda3D scene graph of a virtual set and drive its hosts at the fixed tick."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from panda3d.core import (
    AmbientLight,
    DirectionalLight,
    GraphicsOutput,
    LineSegs,
    LMatrix4,
    Material,
    NodePath,
    PandaNode,
    PerspectiveLens,
    Point3,
    PointLight,
    PTA_float,
    Shader,
    Spotlight,
    Texture,
    Vec3,
)

from ..sets.setfile import Camera, HostPlacement, Piece, SetSpec
from ..skeleton import quat
from ..skeleton.humanoid import PARENT
from ..skeleton.pose import Pose
from ..skeleton.rigfile import RigInfo
from ..tomlfile import srgb_to_linear
from ..world.assemble import world_of
from ..world.tick import Ticker, standard_stages
from .character import Character, to_panda_matrix
from .lighting import LitLight, ShadowMap, fragment_source, vertex_source
from .mtoon import MToonLook
from .overlay import full_frame_card, screen_layer
from .product_shapes import ACCENTS, PRODUCT_SHAPES
from .shadow_proxy import cast_through_proxies
from .shapes import SHAPES, geom_node


def _fit_model(model: NodePath, size) -> None:
    """Scale a model uniformly to fit in `size` (w, d, h metres), its base centred on its parent's origin,
    as the built-in shapes stand."""
    lo, hi = (np.array(v) for v in model.get_tight_bounds(model.get_parent()))
    model.set_scale(model.get_scale() * float(np.min(np.asarray(size) / np.maximum(hi - lo, 1e-9))))
    lo, hi = (np.array(v) for v in model.get_tight_bounds(model.get_parent()))
    model.set_pos(model.get_pos() - Vec3(*((lo + hi) / 2)[:2], lo[2]))


def _material(color) -> Material:
    """A set piece's material: its sRGB colour with a faint, broad highlight."""
    return _linear_material(srgb_to_linear(color), 0.08, 24.0)


def _gloss_material(lin, gloss: float) -> Material:
    """A product part's material: `gloss` 0..1 from a matte finish to a tight, bright highlight (steel, glass)."""
    return _linear_material(lin, gloss, 24.0 + 100.0 * gloss)


def _linear_material(lin, specular: float, shininess: float) -> Material:
    m = Material()
    m.set_diffuse((*lin, 1.0))
    m.set_ambient((*lin, 1.0))
    m.set_specular((specular, specular, specular, 1.0))
    m.set_shininess(shininess)
    return m


@dataclass
class Host:
    placement: HostPlacement
    character: Character
    holder: NodePath


class Stage:
    """The set's scene graph under `root`, its cameras, and its hosts, posed from a World stepped by its
    ticker (the hosts idling with their controllers, until `perform` hands it a show's)."""

    def __init__(self, spec: SetSpec, root: NodePath | None = None, output: GraphicsOutput | None = None) -> None:
        """`output`: where the set is drawn (a window or buffer), to draw its shadow map alongside."""
        self.spec = spec
        self.shadow_map: ShadowMap | None = None
        self.root = root if root is not None else NodePath(PandaNode("set"))
        self.props: dict[str, NodePath] = {}
        self._clock = PTA_float.empty_array(1)       # show time for MToon's UV animation: tick / rate
        self._shadow_span = max(spec.floor_size) + 2.0    # metres a shadow map covers
        self._lit: list[LitLight] = []                  # the lights as shaders see them, in the set's order
        self._lights(output)
        if spec.floor is not None:
            fw, fd = spec.floor_size
            self._piece(Piece("floor", "plane", (fw, fd, 0.0), (0.0, fd / 2 - 2.0, 0.0), (0, 0, 0), spec.floor))
        for piece in spec.pieces:
            self._piece(piece)
        for product in spec.products:
            self.props[product.id] = self._piece(product.piece)
        self.hosts = [self._host(h) for h in spec.hosts]
        self.camera_cues: dict[int, str] = {}        # tick -> camera to cut to (a show's directions)
        self._grips: dict[str, NodePath] = {}
        self.overlay = None                          # runtime.scene.overlay.Overlay, where there is a frame
        self.card: Callable[[], str | None] = lambda: None     # the price card to show now, if any
        self._skeleton: NodePath | None = None
        world = world_of(spec, self.skeletons())
        self.perform(Ticker(world, standard_stages(world)))

    def skeletons(self) -> list:
        """The canonical skeletons of the hosts, as loaded."""
        return [h.character.skeleton for h in self.hosts]

    def perform(self, ticker: Ticker) -> None:
        """Pose the hosts from this ticker's world from now on; its first tick is simulated at once."""
        self.ticker, self._cuts_seen = ticker, 0
        ticker.run_until(0)
        self.show()

    def _piece(self, piece: Piece) -> NodePath:
        if piece.shape == "model":
            from ..skeleton.rigfile import load_rig_info
            from .character import load_model
            np_ = self.root.attach_new_node(piece.name)
            info = load_rig_info(piece.model)
            model = load_model(info)
            model.reparent_to(np_)
            _fit_model(model, piece.size)
            self._dress(model, info)
        elif piece.shape in PRODUCT_SHAPES:
            np_ = self.root.attach_new_node(piece.name)
            body = srgb_to_linear(piece.color)
            for part in PRODUCT_SHAPES[piece.shape](piece.size):
                child = np_.attach_new_node(geom_node(part.name, *part.mesh))
                child.set_material(_gloss_material(body if part.role == "body" else ACCENTS[part.role],
                                                   part.gloss), 1)
        else:
            pos, nrm, tris = SHAPES[piece.shape](piece.size)
            np_ = self.root.attach_new_node(geom_node(piece.name, pos, nrm, tris))
            np_.set_material(_material(piece.color), 1)
        np_.set_pos(*piece.position)
        np_.set_hpr(*piece.rotation)
        np_.set_name(piece.name)
        return np_

    def _lights(self, output: GraphicsOutput | None) -> None:
        lit: list[tuple[NodePath, bool]] = []
        for light in self.spec.lights:
            color = tuple(c * light.intensity for c in srgb_to_linear(light.color)) + (1.0,)
            if light.type == "ambient":
                node = AmbientLight(light.name)
            elif light.type == "directional":
                node = DirectionalLight(light.name)
            elif light.type == "point":
                node = PointLight(light.name)
            else:
                node = Spotlight(light.name)
                node.set_lens(PerspectiveLens())
            node.set_color(color)
            np_ = self.root.attach_new_node(node)
            np_.set_pos(*light.position)
            if light.type in ("directional", "spot"):
                np_.look_at(*light.look_at)
            self.root.set_light(np_)
            if light.type != "ambient":
                lit.append((np_, light.shadows))
        for k, (np_, _) in enumerate(lit):
            # A program's light k must be the set's light k (MToon's in either shading mode): Panda orders
            # the lights it hands a shader by priority, and lights of equal priority by address.
            np_.node().set_priority(len(lit) - k)
        caster = self._shadows(lit, output) if self.spec.shading == "pixel" else None
        self._lit = self._lit_lights(lit, caster)
        if self.spec.shading == "pixel":
            self.root.set_shader(Shader.make(Shader.SL_GLSL, vertex=vertex_source(self._lit, self._shadow_span),
                                             fragment=fragment_source(self._lit)))

    def _lit_lights(self, lit: list[tuple[NodePath, bool]], caster: NodePath | None) -> list[LitLight]:
        """The lights as the programs see them. The key (the set's first light) and the light casting
        shadows are lit per pixel; fills and rims, broad and soft, per vertex at a fraction of the cost."""
        casts = [caster is not None and np_ == caster for np_, _ in lit]
        return [LitLight(casts[k] and self.shadow_map is not None, k == 0 or casts[k],
                         isinstance(np_.node(), DirectionalLight)) for k, (np_, _) in enumerate(lit)]

    def _shadows(self, lit: list[tuple[NodePath, bool]], output: GraphicsOutput | None) -> NodePath | None:
        """Soft shadows for per-pixel lighting from the first light that casts them (its map spans the
        set's floor), when there is an output to draw the map with; that light."""
        self.root.set_shader_input("cohost_shadow_matrix", LMatrix4.ident_mat())
        caster = next((np_ for np_, shadows in lit if shadows and isinstance(np_.node(), (DirectionalLight, Spotlight))),
                      None)
        if caster is not None and output is not None:
            self.shadow_map = ShadowMap(self.root, caster, self._shadow_span, output)
        return caster

    def _dress(self, model: NodePath, info: RigInfo) -> None:
        """A loaded model (a host or a glTF prop) as the set draws it: its MToon materials, and where the set
        casts shadows, stand-ins that cast them."""
        self._draw_mtoon(model, info)
        if self.shadow_map is not None:
            cast_through_proxies(model)

    def _draw_mtoon(self, model: NodePath, info: RigInfo) -> None:
        """A model whose materials carry MToon draws them so, with the set's lights, in either shading mode."""
        look = MToonLook(model, info)
        if not look.empty:
            look.draw(self._lit, self._shadow_span, self._clock)

    def close(self) -> None:
        """Let go of what the stage drew with (its shadow map's buffer) and its scene graph."""
        if self.shadow_map is not None:
            self.shadow_map.close()
            self.shadow_map = None
        self.root.remove_node()

    def _host(self, placement: HostPlacement) -> Host:
        character = Character(placement.rig, placement.mapping)
        self._dress(character.root, character.info)
        holder = self.root.attach_new_node(f"host:{placement.name}")
        holder.set_pos(*placement.position)
        holder.set_h(placement.facing)
        # Every host stands upright facing the audience at facing 0, however its file was authored.
        upright = np.eye(4)
        upright[:3, :3] = character.upright
        character.root.reparent_to(holder)
        character.root.set_mat(to_panda_matrix(upright))
        return Host(placement, character, holder)

    def follow(self, director) -> None:
        """Take a show director's camera cuts and price card."""
        self.camera_cues = director.camera_cues
        self.card = lambda: director.card

    def _carry(self) -> None:
        """Products in a hand go where the hand goes (attached as it closes, left where it lets go)."""
        carried = self.ticker.world.carried
        for pid, frame in carried.items():
            grip = self._grips.get(pid) or self.root.attach_new_node(f"grip:{pid}")
            self._grips[pid] = grip
            grip.set_mat(to_panda_matrix(frame))
            if self.props[pid].get_parent() != grip:
                self.props[pid].wrt_reparent_to(grip)
        for pid, grip in self._grips.items():
            if pid not in carried and self.props[pid].get_parent() == grip:
                self.props[pid].wrt_reparent_to(self.root)

    def replace_host(self, h: int, placement: HostPlacement) -> None:
        """Another rig for host h, at once (a swap mid-show); the world goes on posing it."""
        self.hosts[h].holder.remove_node()
        self.hosts[h] = self._host(placement)
        self.hosts[h].character.apply(self.ticker.world.pose(h))

    def camera_due(self, last: int) -> str | None:
        """The camera a show cuts to in the ticks up to `last` not asked about before (the latest cut), if
        any: from tick 0 on, so a show that opens with a cut opens on its shot."""
        due = [self.camera_cues[t] for t in range(self._cuts_seen, last + 1) if t in self.camera_cues]
        self._cuts_seen = last + 1
        return due[-1] if due else None

    def poses(self) -> list[Pose]:
        """The hosts' poses this tick (copies)."""
        return [self.ticker.world.pose(h) for h in range(len(self.hosts))]

    def show(self, previous: list[Pose] | None = None, alpha: float = 0.0) -> None:
        """Write the hosts' poses into the graph, interpolated from `previous` by `alpha`."""
        self._clock[0] = self.ticker.world.tick / self.ticker.world.rate
        for i, host in enumerate(self.hosts):
            pose = self.ticker.world.pose(i)
            if previous is not None and alpha > 0.0:
                pose = interpolate(previous[i], pose, alpha)
            host.character.apply(pose)
        self._carry()
        if self.overlay is not None:
            self.overlay.price(self.card())

    def draw_skeletons(self) -> None:
        """Overlay each host's mapped skeleton (lines between canonical bones), drawn on top."""
        if self._skeleton is not None:
            self._skeleton.remove_node()
        lines = LineSegs("skeleton")
        lines.set_thickness(2.0)
        lines.set_color(1.0, 0.85, 0.1, 1.0)
        for host in self.hosts:
            pos = host.character.bone_positions()
            to_set = host.character.root.get_mat(self.root)
            for bone, p in pos.items():
                parent = PARENT[bone]
                while parent is not None and parent not in pos:
                    parent = PARENT[parent]
                if parent is not None:
                    lines.move_to(to_set.xform_point(Point3(*pos[parent])))
                    lines.draw_to(to_set.xform_point(Point3(*p)))
        self._skeleton = self.root.attach_new_node(lines.create())
        self._skeleton.set_light_off(1)
        self._skeleton.set_depth_test(False)
        self._skeleton.set_depth_write(False)
        self._skeleton.set_bin("fixed", 100)

    def props_bounds(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.root.find(f"**/{name}").get_tight_bounds(self.root)
        return np.array(lo), np.array(hi)

    def host_bounds(self, host: Host) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = host.character.root.get_tight_bounds(self.root)
        return np.array(lo), np.array(hi)


def add_backdrop_image(output, spec: SetSpec) -> NodePath | None:
    """Draw the set's backdrop image (stretched to the frame) behind everything `output` renders; the card
    that shows it, if the set has one."""
    if spec.backdrop_image is None:
        return None
    texture = Texture("backdrop")
    if not texture.read(str(spec.backdrop_image)):
        raise ValueError(f"{spec.source}: cannot read backdrop image {spec.backdrop_image}")
    texture.set_format(Texture.F_srgb)
    # Drawn first, writing no depth, so the set draws over it.
    card = full_frame_card(screen_layer(output, "backdrop", -10), "backdrop")
    card.set_texture(texture)
    return card


def interpolate(a: Pose, b: Pose, t: float) -> Pose:
    """Normalised lerp between two poses (shortest path per joint)."""
    rot = _nlerp(a.rotations, b.rotations, t)
    return Pose(rot, a.hips_offset * (1 - t) + b.hips_offset * t, a.face * (1 - t) + b.face * t,
                springs=_nlerp(a.springs, b.springs, t) if len(a.springs) == len(b.springs) else b.springs)


def _nlerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    sign = np.where(np.sum(a * b, axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return quat.normalize(a * (1 - t) + b * sign * t)


def aim_camera(cam: NodePath, lens, camera: Camera, aspect: float) -> None:
    """Point a camera; `fov` in the set file is the vertical field of view."""
    cam.set_pos(*camera.position)
    cam.look_at(*camera.look_at)
    vertical = np.radians(camera.fov)
    horizontal = 2 * np.degrees(np.arctan(np.tan(vertical / 2) * aspect))
    lens.set_fov(horizontal, camera.fov)
    lens.set_near_far(0.05, 100.0)
