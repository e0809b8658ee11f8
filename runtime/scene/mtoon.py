"""MToon drawn in Panda3D: the toon look of VTuber apps, for the geoms whose glTF material carries MToon.

The program is written for the set's own lights, one straight line per light, as runtime.scene.lighting
writes its per-pixel program (software GL runs unrolled code far faster than a loop); it works in either
shading mode, since it takes the same light inputs (`p3d_LightSource`, the ambient light model, and in
"pixel" sets the shadow map). Per light, N.L plus the shading shift is ramped from the shade colour to the
lit colour over a band whose width falls as the toony factor rises; ambient light lights the base colour,
the sum capped at the lit colour; a parametric rim (fresnel power, lift, mixed with the light) and emission
are added.

- Outline: an inverted hull. A second node draws the same geoms (so skinning and morphs reach it) with their
  front faces culled, pushed out along the normals by a width in metres (world coordinates) or in a
  fraction of the screen's height (screen coordinates), in the outline colour (mixed with the light).
- Alpha: OPAQUE ignores alpha; MASK discards below the cutoff; BLEND blends and writes no depth.
- UV animation: scroll and rotation at the show's time, `cohost_time` (tick / rate, set by the stage; never
  the wall clock), scaled by the mask texture's blue channel.

Panda animates skinned vertices on the CPU for programs like this one that do not ask for hardware
skinning, as for the per-pixel program.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from panda3d.core import (
    CullFaceAttrib,
    DepthWriteAttrib,
    GeomNode,
    NodePath,
    PNMImage,
    PTA_float,
    RenderState,
    SamplerState,
    Shader,
    ShaderAttrib,
    StringStream,
    Texture,
    TransparencyAttrib,
)

from ..skeleton.gltfdata import GltfData
from ..skeleton.mtoon_material import ALPHA_MODES, OUTLINE_MODES, MToon
from ..skeleton.rigfile import RigError, RigInfo
from .lighting import LIGHT_SOURCES, SHADOW_BIAS, SHADOW_MAP_CAMERA, LitLight, light_direction, shadow_placement
from .material_geoms import material_geoms

TIME_INPUT = "cohost_time"         # seconds of show time: a PTA_float the stage updates each frame

VERTEX_BODY = """
uniform mat4 p3d_ModelViewMatrix;
uniform mat4 p3d_ProjectionMatrix;
uniform mat4 p3d_ModelMatrix;
uniform mat3 p3d_NormalMatrix;
uniform mat4 p3d_TextureMatrix[1];
#ifdef SHADOWED
SHADOW_PLACEMENT#endif
uniform vec2 mtoon_outline;              // width, mode (1 world metres, 2 fraction of the screen's height)
in vec4 p3d_Vertex;
in vec3 p3d_Normal;
in vec2 p3d_MultiTexCoord0;
out vec3 v_position;
out vec3 v_normal;
out vec2 v_uv;
#ifdef SHADOWED
out vec4 v_shadow;
#endif

void main() {
    vec4 view = p3d_ModelViewMatrix * p3d_Vertex;
    vec3 n = normalize(p3d_NormalMatrix * p3d_Normal);
#ifdef OUTLINE
    if (mtoon_outline.y == 1.0) view.xyz += n * mtoon_outline.x;
#endif
    gl_Position = p3d_ProjectionMatrix * view;
#ifdef OUTLINE
    if (mtoon_outline.y == 2.0) {
        // The normal's direction on screen, in units of equal length across and up; rows 0 and 1 of the
        // projection give the lens's x and y scales (Panda's camera looks along +Y, so they are not diagonal).
        mat4 p = p3d_ProjectionMatrix;
        float aspect = length(vec3(p[0][1], p[1][1], p[2][1])) / length(vec3(p[0][0], p[1][0], p[2][0]));
        vec2 dir = (p * vec4(n, 0.0)).xy * vec2(aspect, 1.0);
        dir = length(dir) > 1e-6 ? normalize(dir) : vec2(0.0);
        gl_Position.xy += dir * vec2(1.0 / aspect, 1.0) * 2.0 * mtoon_outline.x * gl_Position.w;
    }
#endif
    v_position = view.xyz;
    v_normal = n;
    v_uv = (p3d_TextureMatrix[0] * vec4(p3d_MultiTexCoord0, 0.0, 1.0)).xy;
#ifdef SHADOWED
    v_shadow = shadow_place(p3d_ModelMatrix, p3d_Vertex, p3d_Normal);
#endif
}
"""

FRAGMENT_HEAD = """#version 130
""" + LIGHT_SOURCES + """uniform struct {{ vec4 ambient; }} p3d_LightModel;
uniform struct {{ vec4 emission; vec4 baseColor; }} p3d_Material;
uniform vec4 p3d_ColorScale;
uniform sampler2D p3d_Texture0;
uniform sampler2D mtoon_shade_texture;
uniform sampler2D mtoon_uv_mask;
uniform float cohost_time;
uniform vec3 mtoon_shade;               // shade colour
uniform vec2 mtoon_ramp;                // shading shift, shading toony
uniform vec4 mtoon_rim;                 // rim colour, fresnel power
uniform vec2 mtoon_rim_shape;           // lift, lighting mix
uniform vec4 mtoon_outline_color;       // colour, lighting mix
uniform vec3 mtoon_uv_speed;            // scroll (Panda's UV axes, units/s), turns/s
uniform float mtoon_alpha_cutoff;
in vec3 v_position;
in vec3 v_normal;
in vec2 v_uv;
out vec4 frag;

#ifdef SHADOWED
uniform sampler2DShadow cohost_shadow_map;
in vec4 v_shadow;

// One hardware-filtered tap: toon shading wants a crisp shadow edge.
float shadow() {{
    vec4 c = v_shadow;
    c.z -= {bias} * c.w;
    return textureProj(cohost_shadow_map, c);
}}
#endif

// The lit share of a light: N.L shifted, ramped over a band 2 (1 - toony) wide, darkened by its shadow.
float ramp(vec3 n, vec3 l, float shadowed) {{
    float x = dot(n, l) + mtoon_ramp.x;
    float toony = mtoon_ramp.y;
    return clamp((x + 1.0 - toony) / max(2.0 - 2.0 * toony, 1e-4), 0.0, 1.0) * shadowed;
}}

void main() {{
#ifdef UV_ANIMATION
    float t = cohost_time * texture(mtoon_uv_mask, v_uv).b;
    float turn = 6.2831853 * mtoon_uv_speed.z * t;
    vec2 uv = v_uv + mtoon_uv_speed.xy * t - 0.5;
    uv = mat2(cos(turn), sin(turn), -sin(turn), cos(turn)) * uv + 0.5;
#else
    vec2 uv = v_uv;
#endif
    vec4 texel = texture(p3d_Texture0, uv);
    vec4 base = p3d_Material.baseColor * texel * p3d_ColorScale;
#if ALPHA_MODE == 1
    if (base.a < mtoon_alpha_cutoff) discard;
#endif
    float alpha = ALPHA_MODE == 2 ? base.a : 1.0;
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
#if SHADE_TEXTURE == 1
    vec3 shade = mtoon_shade * texel.rgb;       // the base colour's texture is the shade's too
#elif SHADE_TEXTURE == 2
    vec3 shade = mtoon_shade * texture(mtoon_shade_texture, uv).rgb;
#else
    vec3 shade = mtoon_shade;
#endif
    vec3 direct = vec3(0.0);
    vec3 light = p3d_LightModel.ambient.rgb;
"""

LIGHT_LINE = ("    light += p3d_LightSource[{i}].color.rgb;\n"
              "    direct += p3d_LightSource[{i}].color.rgb * mix(shade, base.rgb, "
              "ramp(n, {direction}, {shadow}));\n")
OUTLINE_LIGHT_LINE = "    light += p3d_LightSource[{i}].color.rgb;\n"

SURFACE_TAIL = """    // Never brighter than the lit colour (as MToon 0.x caps it): a set's key, fill and ambient
    // light add up past 1, which toon shading, flat across each band, would show as bands burnt white.
    vec3 color = min(direct + p3d_LightModel.ambient.rgb * base.rgb, base.rgb);
    color += p3d_Material.emission.rgb;
#ifdef RIM
    float facing = clamp(1.0 - dot(n, normalize(-v_position)) + mtoon_rim_shape.x, 0.0, 1.0);
    color += mtoon_rim.rgb * pow(facing, mtoon_rim.a) * mix(vec3(1.0), light, mtoon_rim_shape.y);
#endif
    frag = vec4(color, alpha);
}
"""

OUTLINE_TAIL = """    vec3 lit = mix(vec3(1.0), min(light, vec3(1.0)), mtoon_outline_color.a);
    frag = vec4(mtoon_outline_color.rgb * lit, alpha);
}
"""


def vertex_source(shadow_span: float, outline: bool, shadowed: bool) -> str:
    """The vertex program (`outline`: the hull's, pushed out along the normals; `shadowed`: a light casts
    shadows, so each vertex is placed in the shadow map)."""
    defines = ("#define OUTLINE\n" if outline else "") + ("#define SHADOWED\n" if shadowed else "")
    return "#version 130\n" + defines + VERTEX_BODY.replace("SHADOW_PLACEMENT", shadow_placement(shadow_span))


@dataclass(frozen=True)
class Variant:
    """What a material's program computes at all: software GL pays for every texture read and every line,
    so a material without UV animation or rim, or whose shade texture is its base texture, skips them."""
    outline: bool
    uv_animation: bool
    shade_texture: int          # 0 none, 1 the base colour's texture, 2 a texture of its own
    alpha_mode: int             # 0 OPAQUE, 1 MASK, 2 BLEND
    rim: bool

    @classmethod
    def of(cls, m: MToon, base_texture: int | None, outline: bool) -> Variant:
        shade = 0 if m.shade_texture is None else 1 if m.shade_texture == base_texture else 2
        return cls(outline, m.uv_animated, shade, ALPHA_MODES.index(m.alpha_mode), any(m.rim_color))

    @property
    def defines(self) -> str:
        flags = [("OUTLINE", self.outline), ("UV_ANIMATION", self.uv_animation), ("RIM", self.rim)]
        return "".join(f"#define {name}\n" for name, on in flags if on) + \
            f"#define SHADE_TEXTURE {self.shade_texture}\n#define ALPHA_MODE {self.alpha_mode}\n"


def fragment_source(lights: list[LitLight], variant: Variant) -> str:
    """The fragment program for these lights and this kind of material (the surface's, or the outline's)."""
    outline = variant.outline
    head = FRAGMENT_HEAD.format(count=max(1, len(lights)), bias=SHADOW_BIAS)
    defines = variant.defines + ("#define SHADOWED\n" if any(light.shadowed for light in lights) else "")
    lines = [head.replace("#version 130\n", "#version 130\n" + defines, 1)]
    for i, light in enumerate(lights):
        line = OUTLINE_LIGHT_LINE if outline else LIGHT_LINE
        lines.append(line.format(i=i, shadow="shadow()" if light.shadowed else "1.0",
                                 direction=light_direction(i, light, "v_position")))
    lines.append(OUTLINE_TAIL if outline else SURFACE_TAIL)
    return "".join(lines)


def _white() -> Texture:
    texture = Texture("mtoon-white")
    texture.setup_2d_texture(1, 1, Texture.T_unsigned_byte, Texture.F_rgba8)
    texture.set_ram_image(b"\xff\xff\xff\xff")
    return texture


class _Textures:
    """The file's textures that MToon reads beside the base colour, loaded once each."""

    def __init__(self, doc: dict, path: Path) -> None:
        self.doc, self.path, self.data = doc, path, GltfData(doc, path)
        self.loaded: dict[tuple[int, bool], Texture] = {}
        self.white = _white()

    def get(self, index: int | None, srgb: bool) -> Texture:
        if index is None:
            return self.white
        if (index, srgb) not in self.loaded:
            self.loaded[(index, srgb)] = self._load(index, srgb)
        return self.loaded[(index, srgb)]

    def _load(self, index: int, srgb: bool) -> Texture:
        source = self.doc["textures"][index].get("source")
        images = self.doc.get("images", [])
        if not isinstance(source, int) or not 0 <= source < len(images):
            raise RigError(f"{self.path}: texture {index}: image {source!r} is out of range "
                           f"(the file has {len(images)} images)")
        image = images[source]
        if "bufferView" in image:
            raw = self.data.buffer_view(image["bufferView"])
        else:
            raw = self.data.uri_bytes(image.get("uri", ""))
        pnm = PNMImage()
        if not pnm.read(StringStream(raw)):
            raise RigError(f"{self.path}: texture {index}: image {source} cannot be read")
        texture = Texture(f"mtoon-{index}")
        texture.load(pnm)
        if srgb:
            texture.set_format(Texture.F_srgb_alpha if texture.get_num_components() == 4 else Texture.F_srgb)
        texture.set_minfilter(SamplerState.FT_linear_mipmap_linear)
        texture.set_magfilter(SamplerState.FT_linear)
        return texture


class MToonLook:
    """A loaded model's MToon materials, drawn with a set's lights: each MToon geom gets the program and its
    material's values; outlined ones get a hull beside them."""

    def __init__(self, model: NodePath, info: RigInfo) -> None:
        """`model`: `info`'s file as loaded."""
        self._model = model
        doc, materials = info.gltf, info.mtoon
        self._textures = _Textures(doc, info.path)
        self._geoms: list[tuple[GeomNode, int, MToon, int | None]] = []      # node, geom, MToon, base texture
        for node, i, _, index in material_geoms(model, doc, materials):
            base = doc["materials"][index].get("pbrMetallicRoughness", {}).get("baseColorTexture", {})
            self._geoms.append((node, i, materials[index], base.get("index")))

    @property
    def empty(self) -> bool:
        return not self._geoms

    def draw(self, lights: list[LitLight], shadow_span: float, clock: PTA_float) -> None:
        """Give the MToon geoms the program for these lights (the set's, in its order); `clock[0]` is the
        show's time in seconds, kept by the stage."""
        shadowed = any(light.shadowed for light in lights)

        programs: dict[Variant, Shader] = {}

        def program(variant: Variant) -> Shader:         # written once for all the materials of a kind
            if variant not in programs:
                vertex = vertex_source(shadow_span, variant.outline, shadowed)
                fragment = fragment_source(lights, variant)
                programs[variant] = Shader.make(Shader.SL_GLSL, vertex=vertex, fragment=fragment)
            return programs[variant]

        self._model.set_shader_input(TIME_INPUT, clock)
        hulls: dict[GeomNode, GeomNode] = {}
        for node, i, mtoon, base_texture in self._geoms:
            state = node.get_geom_state(i)
            surface = Variant.of(mtoon, base_texture, outline=False)
            node.set_geom_state(i, self._state(state, surface, program(surface), mtoon))
            if mtoon.outlined:
                if node not in hulls:
                    hulls[node] = GeomNode(f"{node.get_name()}:outline")
                    NodePath(node).attach_new_node(hulls[node]).hide(SHADOW_MAP_CAMERA)   # the surface casts
                hull = Variant.of(mtoon, base_texture, outline=True)
                hulls[node].add_geom(node.modify_geom(i), self._state(state, hull, program(hull), mtoon))

    def _state(self, state: RenderState, variant: Variant, shader: Shader, m: MToon) -> RenderState:
        textures = self._textures
        attrib = ShaderAttrib.make(shader)
        for name, value in (
            ("mtoon_shade", m.shade_color),
            ("mtoon_ramp", (m.shading_shift, m.shading_toony)),
            ("mtoon_rim", (*m.rim_color, m.rim_fresnel_power)),
            ("mtoon_rim_shape", (m.rim_lift, m.rim_lighting_mix)),
            ("mtoon_outline", (m.outline_width, float(OUTLINE_MODES.index(m.outline_mode)))),
            ("mtoon_outline_color", (*m.outline_color, m.outline_lighting_mix)),
            # glTF's V runs down and Panda's up: scroll Y and the turn change sign.
            ("mtoon_uv_speed", (m.scroll_x, -m.scroll_y, -m.rotation)),
            ("mtoon_alpha_cutoff", m.alpha_cutoff),
            ("mtoon_shade_texture", textures.get(m.shade_texture if variant.shade_texture == 2 else None, True)),
            ("mtoon_uv_mask", textures.get(m.uv_mask_texture if variant.uv_animation else None, False)),
        ):
            attrib = attrib.set_shader_input(name, value)
        state = state.set_attrib(attrib)
        blend = m.alpha_mode == "BLEND"
        state = state.set_attrib(TransparencyAttrib.make(TransparencyAttrib.M_alpha if blend
                                                         else TransparencyAttrib.M_none))
        if blend:
            state = state.set_attrib(DepthWriteAttrib.make(DepthWriteAttrib.M_off))
        if variant.outline:
            return state.set_attrib(CullFaceAttrib.make_reverse())
        return state.set_attrib(CullFaceAttrib.make(CullFaceAttrib.M_cull_none if m.double_sided
                                                    else CullFaceAttrib.M_cull_clockwise))
