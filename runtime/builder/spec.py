"""Host descriptions: the parametric TOML files in rigs/ that the host builder turns into .glb."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..speech.voices import voice_table
from ..tomlfile import TomlDoc, parse_color

HAIR_STYLES = ("short", "bob", "long", "bun", "ponytail")
OUTFITS = ("trousers", "skirt", "dress")
TOPS = ("sweater", "blouse", "jacket")      # a jacket opens over a shirt in the `inner` colour
SLEEVES = ("long", "three-quarter", "short")
NECKLINES = ("v", "round", "crew")
FACES = ("oval", "round", "square")
COLOR_KEYS = ("skin", "hair", "iris", "lips", "top", "inner", "bottom", "shoes")
OPTIONAL_COLORS = ("nails",)              # unpainted nails: the skin a little lighter and pinker
STYLES = {"hair": HAIR_STYLES, "outfit": OUTFITS, "top": TOPS, "sleeves": SLEEVES, "neckline": NECKLINES,
          "face": FACES}
TABLES = ("host", "colors", "style", "voice")

# name -> (default, min, max) for the body proportions, as multipliers of a 1.70 m average figure.
PROPORTIONS = {
    "height": (1.70, 1.2, 2.2),
    "build": (1.0, 0.7, 1.4),
    "shoulders": (1.0, 0.8, 1.3),
    "hips": (1.0, 0.8, 1.3),
    "chest": (1.0, 0.8, 1.4),
    "head": (1.0, 0.8, 1.3),
    "eyes": (1.0, 0.7, 1.4),
}


@dataclass(frozen=True)
class HostSpec:
    name: str
    proportions: dict[str, float]
    colors: dict[str, tuple[float, float, float]]   # sRGB 0..1
    hair: str
    outfit: str
    top: str
    sleeves: str
    neckline: str
    face: str
    voice: dict[str, object]
    source: Path


def _choice(doc: TomlDoc, table: dict, key: str, options: tuple[str, ...], *path: str) -> str:
    value = doc.get(table, key, str, *path, key, default=options[0])
    if value not in options:
        raise doc.error(f"unknown value {value!r}; expected one of {', '.join(options)}", *path, key)
    return value


def load_host_spec(path: str | Path) -> HostSpec:
    doc = TomlDoc(path)
    doc.check_keys(doc.data, TABLES)
    host = doc.get(doc.data, "host", dict, "host")
    doc.check_keys(host, ("name", *PROPORTIONS), "host")
    name = doc.get(host, "name", str, "host", "name")
    props = {}
    for key, (default, lo, hi) in PROPORTIONS.items():
        value = doc.get(host, key, float, "host", key, default=default)
        if not lo <= value <= hi:
            raise doc.error(f"{value} is out of range [{lo}, {hi}]", "host", key)
        props[key] = value
    colors_table = doc.get(doc.data, "colors", dict, "colors")
    doc.check_keys(colors_table, COLOR_KEYS + OPTIONAL_COLORS, "colors")
    colors = {}
    for key in COLOR_KEYS:
        if key not in colors_table:
            raise doc.error(f"missing colour '{key}'", "colors")
        colors[key] = parse_color(doc, colors_table[key], "colors", key)
    if "nails" in colors_table:
        colors["nails"] = parse_color(doc, colors_table["nails"], "colors", "nails")
    else:
        colors["nails"] = tuple(min(1.0, 0.55 * c + 0.45 * p) for c, p in zip(colors["skin"], (1.0, 0.86, 0.84)))
    style = doc.get(doc.data, "style", dict, "style", default={})
    doc.check_keys(style, STYLES, "style")
    return HostSpec(
        name=name, proportions=props, colors=colors,
        **{key: _choice(doc, style, key, options, "style") for key, options in STYLES.items()},
        voice=dict(voice_table(doc, doc.data)), source=Path(path),
    )
