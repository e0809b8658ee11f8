#version 130
// Lambert diffuse + Blinn specular for up to 4 lights, with shadow maps where a light casts them.
// Colours are linear; the framebuffer converts to sRGB.
uniform struct p3d_LightSourceParameters {
    vec4 color;
    vec4 position;              // view space; w = 0 for directional lights
    sampler2DShadow shadowMap;
    mat4 shadowViewMatrix;
} p3d_LightSource[4];
uniform struct { vec4 ambient; } p3d_LightModel;
uniform struct {
    vec4 ambient;
    vec4 diffuse;
    vec3 specular;
    float shininess;
} p3d_Material;
uniform vec4 p3d_ColorScale;
uniform sampler2D p3d_Texture0;
uniform int cohost_shadowed[4];
uniform int cohost_lights;          // how many of p3d_LightSource are set
in vec3 v_position;
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;
out vec4 frag;

float shadow(int i, vec3 n, vec3 l) {
    if (cohost_shadowed[i] == 0) return 1.0;
    vec4 coord = p3d_LightSource[i].shadowViewMatrix * vec4(v_position + n * 0.01, 1.0);
    float lit = 0.0;
    vec2 texel = vec2(1.0 / 2048.0) * coord.w;
    for (int x = -1; x <= 1; ++x)
        for (int y = -1; y <= 1; ++y)
            lit += textureProj(p3d_LightSource[i].shadowMap, coord + vec4(vec2(x, y) * texel, -0.0008 * coord.w, 0.0));
    return lit / 9.0;
}

void main() {
    vec4 base = p3d_Material.diffuse * v_color * texture(p3d_Texture0, v_uv) * p3d_ColorScale;
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    vec3 view = normalize(-v_position);
    vec3 light = p3d_LightModel.ambient.rgb * base.rgb;
    for (int i = 0; i < cohost_lights; ++i) {
        vec4 pos = p3d_LightSource[i].position;
        vec3 l = pos.w == 0.0 ? normalize(pos.xyz) : normalize(pos.xyz - v_position);
        float d = max(dot(n, l), 0.0);
        if (d <= 0.0) continue;
        float s = shadow(i, n, l);
        vec3 h = normalize(l + view);
        float spec = pow(max(dot(n, h), 0.0), max(p3d_Material.shininess, 1.0));
        light += p3d_LightSource[i].color.rgb * s * (d * base.rgb + spec * p3d_Material.specular);
    }
    frag = vec4(light, base.a);
}
