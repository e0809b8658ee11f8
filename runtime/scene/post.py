"""Edge smoothing after the frame (in the manner of FXAA): the picture drawn into a texture, then copied
through a filter that finds edges by their contrast and blends across them.

Multisampling in software GL costs about twice the frame; this pass costs a fraction of one.
"""
from __future__ import annotations

from panda3d.core import (
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    Shader,
    Texture,
    WindowProperties,
)

from .overlay import full_frame_card, screen_layer

VERTEX = """#version 130
uniform mat4 p3d_ModelViewProjectionMatrix;
in vec4 p3d_Vertex;
void main() {
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
}
"""

# Reads come back in linear light (the frame texture is sRGB): contrast is judged on their square root,
# close to how the eye sees it. Software GL runs every line for every pixel (a branch saves nothing), so
# the filter is one blend from five unfiltered reads: each pixel of a stair-stepped edge moves toward its
# neighbour across the edge by how much it stands out.
FRAGMENT = """#version 130
uniform sampler2D picture;
out vec4 frag;

const float EDGE_MIN = 1.0 / 24.0;  // contrast below this is not an edge (absolute) ...
const float EDGE_SHARE = 1.0 / 8.0; // ... nor below this share of the local brightest

float luma(vec3 rgb) { return sqrt(dot(rgb, vec3(0.299, 0.587, 0.114))); }

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy), last = textureSize(picture, 0) - 1;    // reads stay inside the frame
    vec4 c = texelFetch(picture, p, 0);
    vec3 n = texelFetch(picture, min(p + ivec2(0, 1), last), 0).rgb;
    vec3 s = texelFetch(picture, max(p - ivec2(0, 1), 0), 0).rgb;
    vec3 e = texelFetch(picture, min(p + ivec2(1, 0), last), 0).rgb;
    vec3 w = texelFetch(picture, max(p - ivec2(1, 0), 0), 0).rgb;
    float lc = luma(c.rgb), ln = luma(n), ls = luma(s), le = luma(e), lw = luma(w);
    float low = min(lc, min(min(ln, ls), min(le, lw))), high = max(lc, max(max(ln, ls), max(le, lw)));
    float range = high - low;
    // How far the pixel stands out of its neighbours' average, as a share of the local contrast: a step
    // of a stair-stepped edge stands out most. Squared, and none where there is no edge.
    float lift = clamp(abs(0.25 * (ln + ls + le + lw) - lc) / max(range, 1e-4), 0.0, 1.0);
    float amount = step(max(EDGE_MIN, high * EDGE_SHARE), range) * 0.75 * lift * lift;
    // Blend across the edge: toward the neighbour on the steeper side of the steeper axis.
    bool across_rows = abs(ln + ls - 2.0 * lc) >= abs(le + lw - 2.0 * lc);
    vec3 other = across_rows ? (abs(ln - lc) >= abs(ls - lc) ? n : s) : (abs(le - lc) >= abs(lw - lc) ? e : w);
    frag = vec4(mix(c.rgb, other, amount), c.a);
}
"""


class EdgeSmoothing:
    """Draws `scene` (a buffer whose colour goes to a texture) through the filter into a buffer of its own,
    `output`, sorted after it: what is read back or shown is taken from `output`."""

    def __init__(self, scene: GraphicsOutput, size: tuple[int, int], fb: FrameBufferProperties) -> None:
        self.picture = Texture("cohost-picture")              # read pixel by pixel, not filtered
        scene.add_render_texture(self.picture, GraphicsOutput.RTM_bind_or_copy, GraphicsOutput.RTP_color)
        host = scene.get_host() or scene
        self.output = scene.get_engine().make_output(scene.get_pipe(), "cohost-smoothed", scene.get_sort() + 1, fb,
                                                     WindowProperties.size(*size), GraphicsPipe.BF_refuse_window,
                                                     host.get_gsg(), host)
        if self.output is None:
            raise RuntimeError("could not open a buffer for edge smoothing")
        self.output.set_clear_color_active(False)
        self.layer = screen_layer(self.output, "cohost-smoothing", 0)
        quad = full_frame_card(self.layer, "cohost-smoothed")
        quad.set_shader(Shader.make(Shader.SL_GLSL, vertex=VERTEX, fragment=FRAGMENT))
        quad.set_shader_input("picture", self.picture)

    def close(self) -> None:
        self.output.get_engine().remove_window(self.output)
        self.layer.remove_node()
