"""Per-pixel lighting: the GLSL program written for a set's own lights.

The fragment program is generated, not general: one straight line of code per light, its shadow taps
only where that light casts one. Software GL (llvmpipe) runs a shader over blocks of pixels at once, and a
loop over a uniform light count with branches inside cost it nearly four times the unrolled code. The
key light (and any light casting shadows) is lit per pixel; fills and rims per vertex.

- Lambert diffuse and Blinn specular, from the material's colours and shininess, or from a glTF
  material's base colour, metallic and roughness.
- Soft shadows: four taps of the shadow map, each filtered by the hardware (a 2x2 comparison), so the
  edge is a smooth ramp about three texels wide.
- Output in linear light with a highlight shoulder: values up to SHOULDER pass unchanged, brighter ones
  roll off towards white instead of clipping (the framebuffer converts to sRGB); dithered by a fixed
  pattern of half an sRGB step, so smooth shading does not band.
"""
from __future__ import annotations

from dataclasses import dataclass

from panda3d.core import (
    BitMask32,
    Camera,
    ColorWriteAttrib,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    LightAttrib,
    LMatrix4,
    NodePath,
    OrthographicLens,
    PandaNode,
    PerspectiveLens,
    RenderState,
    SamplerState,
    Shader,
    ShaderAttrib,
    Texture,
    WindowProperties,
)

SHADOW_MAP = 1024              # texels a side
SHADOW_OFFSET_TEXELS = 2.0     # a point is looked up this far off its surface: no self-shadowing acne
SHOULDER = 0.8                 # linear values above this are compressed toward 1.0
# Camera masks: a node hidden from SHADOW_MAP_CAMERA casts no shadow; views see it, their mask (VIEW_CAMERA)
# leaving that bit out.
SHADOW_MAP_CAMERA = BitMask32.bit(20)
VIEW_CAMERA = PandaNode.get_all_camera_mask() & ~SHADOW_MAP_CAMERA

# The shadow map's program: depth only (software GL took longer over the same hosts through the
# fixed-function pipeline).
DEPTH_VERTEX = """#version 130
uniform mat4 p3d_ModelViewProjectionMatrix;
in vec4 p3d_Vertex;
void main() { gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex; }
"""
DEPTH_FRAGMENT = """#version 130
void main() {}
"""

# The lights as Panda hands them to a program, in the set's order (a format string: `count` lights).
LIGHT_SOURCES = """uniform struct p3d_LightSourceParameters {{
    vec4 color;
    vec4 position;              // view space; w = 0 for a directional light
}} p3d_LightSource[{count}];
"""
SHADOW_BIAS = 0.0008           # depth a point's shadow lookup is moved toward the light, against acne

# Where a vertex falls in the shadow map, pushed off its surface along the normal so that a surface does
# not shadow itself (a format string: `offset` metres). Both vertex programs place their vertices so.
SHADOW_PLACEMENT = """uniform mat4 cohost_shadow_matrix;          // world to shadow map texture coordinates and depth
vec4 shadow_place(mat4 model, vec4 vertex, vec3 normal) {{
    vec3 world_normal = normalize(mat3(model) * normal);
    return cohost_shadow_matrix * vec4((model * vertex).xyz + world_normal * {offset}, 1.0);
}}
"""

VERTEX_SOURCE = """#version 130
// Positions and normals in view space for the fragment program; where the point falls in the shadow map
// (pushed off its surface along the normal by two texels, so a surface does not shadow itself); the
// diffuse light of the lights lit per vertex.
uniform mat4 p3d_ModelViewProjectionMatrix;
uniform mat4 p3d_ModelViewMatrix;
uniform mat4 p3d_ModelMatrix;
uniform mat3 p3d_NormalMatrix;
uniform mat4 p3d_TextureMatrix[1];           // a texture's offset and scale (expressions animate them)
""" + LIGHT_SOURCES + """{material}{shadow_placement}in vec4 p3d_Vertex;
in vec3 p3d_Normal;
in vec2 p3d_MultiTexCoord0;
in vec4 p3d_Color;
out vec3 v_position;
out vec3 v_normal;
out vec2 v_uv;
out vec4 v_color;
out vec4 v_shadow;
out vec3 v_diffuse;
flat out float v_shininess;

void main() {{
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
    v_position = (p3d_ModelViewMatrix * p3d_Vertex).xyz;
    v_normal = normalize(p3d_NormalMatrix * p3d_Normal);
    v_uv = (p3d_TextureMatrix[0] * vec4(p3d_MultiTexCoord0, 0.0, 1.0)).xy;
    v_color = p3d_Color;
    v_shadow = shadow_place(p3d_ModelMatrix, p3d_Vertex, p3d_Normal);
    // A glTF roughness as a Blinn exponent; a classic material's own shininess.
    float r4 = pow(max(p3d_Material.roughness, 0.05), 4.0);
    v_shininess = p3d_Material.shininess >= 1.0 ? p3d_Material.shininess : clamp(2.0 / r4 - 2.0, 1.0, 512.0);
    v_diffuse = vec3(0.0);
{vertex_lights}}}
"""

# Declared alike in both programs: GLSL links a uniform shared by two stages only if its type is the same.
MATERIAL = """uniform struct {
    vec4 emission;
    vec3 specular;
    float shininess;
    vec4 baseColor;             // a glTF material's; the diffuse colour of a classic one
    float roughness;
    float metallic;
} p3d_Material;
"""

FRAGMENT_HEAD = """#version 130
""" + LIGHT_SOURCES + """uniform sampler2DShadow cohost_shadow_map;
uniform struct {{ vec4 ambient; }} p3d_LightModel;
{material}uniform vec4 p3d_ColorScale;
uniform sampler2D p3d_Texture0;
in vec3 v_position;
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;
in vec4 v_shadow;
in vec3 v_diffuse;
flat in float v_shininess;
out vec4 frag;

// Four taps of the map, each filtered by the hardware (a 2x2 comparison): the edge is a ramp about three
// texels wide.
float soft_shadow() {{
    vec3 c = v_shadow.xyz / v_shadow.w;
    c.z -= {bias};
    float t = 0.75 / {texels}.0;
    return 0.25 * (texture(cohost_shadow_map, c + vec3(-t, -t, 0.0)) + texture(cohost_shadow_map, c + vec3(t, -t, 0.0))
                 + texture(cohost_shadow_map, c + vec3(-t, t, 0.0)) + texture(cohost_shadow_map, c + vec3(t, t, 0.0)));
}}

// Blinn's highlight, pow(h, n) taken as exp(n (h - 1)) (ln h ~ h - 1 near 1): one exponential instead
// of a logarithm and an exponential per pixel, the same where the highlight is bright.
vec3 shade(vec3 l, vec3 color, float shadow, vec3 n, vec3 view, vec3 diffuse, vec3 specular) {{
    float d = max(dot(n, l), 0.0);
    float h = max(dot(n, normalize(l + view)), 0.0);
    float spec = step(1e-6, d) * exp2(v_shininess * 1.442695 * (h - 1.0));
    return color * shadow * (d * diffuse + spec * specular);
}}

// Linear values up to {shoulder} pass unchanged; a brighter colour rolls off towards 1 (a rational curve
// with the same slope at the knee) instead of clipping, scaled as a whole by its brightest channel so a
// highlight keeps its hue.
vec3 shoulder(vec3 x) {{
    float top = max(max(x.r, x.g), x.b);
    float over = max(top - {shoulder}, 0.0);
    return x * ((min(top, {shoulder}) + over * (1.0 - {shoulder}) / (over + (1.0 - {shoulder}))) / max(top, 1e-6));
}}

// Half a step of 8-bit sRGB of noise, fixed per pixel (interleaved gradient noise): a smooth highlight
// on a dark surface would otherwise show bands one sRGB step apart. Sized by the brightest channel.
vec3 dither(vec3 x) {{
    float noise = fract(52.9829189 * fract(dot(gl_FragCoord.xy, vec2(0.06711056, 0.00583715)))) - 0.5;
    return x + noise * 2.2 / 255.0 * sqrt(max(max(x.r, x.g), max(x.b, 1e-4)));
}}

void main() {{
    vec4 base = p3d_Material.baseColor * v_color * texture(p3d_Texture0, v_uv) * p3d_ColorScale;
    // Metallic-roughness as Blinn-Phong: a metal reflects in its own colour and diffuses nothing; a
    // dielectric has at least a 4 % highlight; a classic material keeps its specular.
    float metal = p3d_Material.metallic;
    vec3 diffuse = base.rgb * (1.0 - metal);
    vec3 specular = max(mix(p3d_Material.specular, base.rgb, metal), vec3(0.04 * (1.0 - metal)));
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    vec3 view = normalize(-v_position);
    vec3 light = (p3d_LightModel.ambient.rgb + v_diffuse) * diffuse + p3d_Material.emission.rgb;
"""


@dataclass(frozen=True)
class LitLight:
    """A light as the programs see it, in the order Panda hands lights over (by priority): lit per pixel
    (diffuse, highlight, its shadow if it casts one) or per vertex (diffuse only, interpolated)."""
    shadowed: bool
    per_pixel: bool
    directional: bool


def light_direction(i: int, light: LitLight, position: str) -> str:
    """GLSL for the direction towards light i (view space) from a point at `position`: a directional
    light's is the same everywhere (Panda gives it normalised)."""
    if light.directional:
        return f"p3d_LightSource[{i}].position.xyz"
    return f"normalize(p3d_LightSource[{i}].position.xyz - {position})"


def fragment_source(lights: list[LitLight]) -> str:
    """The fragment program for these lights (at least one; an ambient light is not among them)."""
    count = max(1, len(lights))
    lines = [FRAGMENT_HEAD.format(count=count, texels=SHADOW_MAP, shoulder=f"{SHOULDER:.3f}", material=MATERIAL,
                                  bias=SHADOW_BIAS)]
    for i, light in enumerate(lights):
        if light.per_pixel:
            shadow = "soft_shadow()" if light.shadowed else "1.0"
            lines.append(f"    light += shade({light_direction(i, light, 'v_position')}, p3d_LightSource[{i}].color.rgb, "
                         f"{shadow}, n, view, diffuse, specular);\n")
    lines.append("    frag = vec4(dither(shoulder(light)), base.a);\n}\n")
    return "".join(lines)


def vertex_source(lights: list[LitLight], shadow_span: float) -> str:
    """The vertex program; `shadow_span`: metres the shadow map covers (the offset is in its texels)."""
    per_vertex = "".join(f"    v_diffuse += p3d_LightSource[{i}].color.rgb * max(dot(v_normal, "
                         f"{light_direction(i, light, 'v_position')}), 0.0);\n"
                         for i, light in enumerate(lights) if not light.per_pixel)
    return VERTEX_SOURCE.format(count=max(1, len(lights)), vertex_lights=per_vertex, material=MATERIAL,
                                shadow_placement=shadow_placement(shadow_span))


def shadow_placement(shadow_span: float) -> str:
    """GLSL of `shadow_place` for a shadow map spanning `shadow_span` metres (the offset is in its texels)."""
    return SHADOW_PLACEMENT.format(offset=f"{SHADOW_OFFSET_TEXELS * shadow_span / SHADOW_MAP:.5f}")


class ShadowMap:
    """The scene's depth seen from one light, drawn into a buffer of its own before each frame, for the
    fragment program's soft shadows (`cohost_shadow_map`, `cohost_shadow_matrix` on the scene's root).

    Panda3D's own shadow casters make their buffer on the first frame that needs it, from inside the
    frame; made that way it also turned multisampling off for the picture, so this one is made up front."""

    def __init__(self, root: NodePath, light: NodePath, span: float, output: GraphicsOutput) -> None:
        self.texture = Texture("cohost-shadow")
        self.texture.set_minfilter(SamplerState.FT_shadow)
        self.texture.set_magfilter(SamplerState.FT_shadow)
        for set_wrap in (self.texture.set_wrap_u, self.texture.set_wrap_v):
            set_wrap(SamplerState.WM_border_color)
        self.texture.set_border_color((1, 1, 1, 1))               # outside the map: lit
        fb = FrameBufferProperties()
        fb.set_depth_bits(24)
        host = output.get_host() or output
        self.buffer = output.get_engine().make_output(
            output.get_pipe(), "cohost-shadow", -10, fb, WindowProperties.size(SHADOW_MAP, SHADOW_MAP),
            GraphicsPipe.BF_refuse_window, host.get_gsg(), host)
        if self.buffer is None:
            raise RuntimeError("could not open a buffer for the shadow map")
        self.buffer.add_render_texture(self.texture, GraphicsOutput.RTM_bind_or_copy, GraphicsOutput.RTP_depth)
        self.buffer.set_clear_color_active(False)
        self.buffer.set_clear_depth_active(True)
        lens = light.node().get_lens() if isinstance(light.node().get_lens(), PerspectiveLens) else OrthographicLens()
        if isinstance(lens, OrthographicLens):
            lens.set_film_size(span, span)
            lens.set_near_far(0.1, 4 * span)
        camera = Camera("cohost-shadow", lens)
        camera.set_camera_mask(SHADOW_MAP_CAMERA)
        depth_only = Shader.make(Shader.SL_GLSL, vertex=DEPTH_VERTEX, fragment=DEPTH_FRAGMENT)
        camera.set_initial_state(RenderState.make(ColorWriteAttrib.make(ColorWriteAttrib.C_off),
                                                  LightAttrib.make_all_off(), ShaderAttrib.make(depth_only), 1000))
        self.camera = light.attach_new_node(camera)
        region = self.buffer.make_display_region()
        region.set_camera(self.camera)
        top = root.get_top()
        bias = LMatrix4.translate_mat(1.0, 1.0, 1.0) * LMatrix4.scale_mat(0.5)
        root.set_shader_input("cohost_shadow_map", self.texture)
        root.set_shader_input("cohost_shadow_matrix", top.get_mat(self.camera) * lens.get_projection_mat() * bias)

    def close(self) -> None:
        self.buffer.get_engine().remove_window(self.buffer)
        self.camera.remove_node()
