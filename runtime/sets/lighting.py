"""Studio lighting presets for sets (`[set] lighting = "studio"`): a key, a fill and a rim light and an
ambient level, placed for hosts standing near the set's origin (heads about 1.5 m up) and a camera in
front (-Y). A set's own [[lights]] are added to its preset's.
"""
from __future__ import annotations

# name: [(light name, type, sRGB colour, intensity, position, look_at, casts shadows)]
PRESETS: dict[str, list[tuple]] = {
    # Three-point light for a shop: a warm key high on the left casting soft shadows, a cool fill on
    # the right at half its strength, a white rim from behind to lift the hosts off the set.
    "studio": [("key", "directional", "#fff1e0", 1.0, (-2.5, -3.5, 3.5), (0.0, 0.0, 1.2), True),
               ("fill", "directional", "#cfe0ff", 0.45, (3.0, -3.0, 2.0), (0.0, 0.0, 1.2), False),
               ("rim", "directional", "#ffffff", 0.5, (0.0, 3.0, 3.0), (0.0, 0.0, 1.4), False),
               ("ambient", "ambient", "#ffffff", 0.35, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)],
    # High key, for a bright catalogue look: a frontal key, a strong fill, little contrast.
    "bright": [("key", "directional", "#fffaf2", 0.85, (-1.5, -4.0, 3.0), (0.0, 0.0, 1.2), True),
               ("fill", "directional", "#eef4ff", 0.7, (2.5, -3.5, 2.0), (0.0, 0.0, 1.2), False),
               ("rim", "directional", "#ffffff", 0.35, (0.0, 3.0, 3.0), (0.0, 0.0, 1.4), False),
               ("ambient", "ambient", "#ffffff", 0.5, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)],
    # Low key, for an evening or a launch: a hard side key, almost no fill, a warm rim.
    "dramatic": [("key", "directional", "#ffe8cc", 1.25, (-3.5, -1.5, 2.5), (0.0, 0.0, 1.2), True),
                 ("fill", "directional", "#aabfff", 0.12, (3.0, -3.0, 2.0), (0.0, 0.0, 1.2), False),
                 ("rim", "directional", "#ffc27a", 0.9, (1.5, 3.0, 2.5), (0.0, 0.0, 1.4), False),
                 ("ambient", "ambient", "#ffffff", 0.12, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)],
}


def preset_lights(name: str) -> list[tuple]:
    """(name, type, sRGB colour in 0..1, intensity, position, look_at, shadows) of each light of a preset."""
    return [(n, kind, tuple(int(color[i:i + 2], 16) / 255.0 for i in (1, 3, 5)), intensity, pos, at, shadows)
            for n, kind, color, intensity, pos, at, shadows in PRESETS[name]]
