"""Virtual set files (scenes/*.toml): backdrop, floor, set pieces, lights, cameras, hosts, products.

Coordinates are metres in the set: +X to the viewer's right, +Y away from the viewer (into the set),
+Z up. A host's `facing` is degrees of turn from facing the viewer (0), positive to its left.
No Panda3D here: this module turns a file into checked data, with `file:line:col` errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..gesture.expressivity import KEYS as EXPRESSIVITY_KEYS
from ..gesture.expressivity import Expressivity
from ..speech.voices import voice_table
from ..tomlfile import FileError, TomlDoc, parse_color, unknown_name
from .lighting import PRESETS, preset_lights

PROJECT = Path(__file__).resolve().parents[2]
SHAPES = ("box", "cylinder", "sphere", "plane", "kettle", "phone", "gift_box", "model")
LIGHT_TYPES = ("ambient", "directional", "point", "spot")
CHROMA_GREEN = (0.0, 1.0, 0.0)
SHADING = ("vertex", "pixel")
# The keys each table may hold: anything else is a typo, reported with the nearest key.
TABLES = ("set", "lights", "cameras", "pieces", "hosts", "products")
SET_KEYS = ("name", "backdrop", "backdrop_image", "floor", "floor_size", "tick_rate", "shading", "lighting")
LIGHT_KEYS = ("name", "type", "color", "intensity", "position", "look_at", "shadows")
CAMERA_KEYS = ("name", "position", "look_at", "fov")
PIECE_KEYS = ("name", "shape", "size", "position", "rotation", "color", "model")
HOST_KEYS = ("name", "rig", "position", "facing", "seed", "mapping", "voice", "expressivity")
PRODUCT_KEYS = ("id", *PIECE_KEYS, "price", "currency", "facts", "aliases", "zh")     # facts: free-form
MANDARIN_KEYS = ("name", "facts", "aliases")     # a product's `zh` table: what a Mandarin answer says


@dataclass
class Piece:
    name: str
    shape: str
    size: tuple[float, float, float]
    position: tuple[float, float, float]
    rotation: tuple[float, float, float]
    color: tuple[float, float, float]
    model: Path | None = None

    @property
    def centre(self) -> tuple[float, float, float]:
        """The middle of the piece (it stands on `position`), in set coordinates: where to look or point."""
        return (self.position[0], self.position[1], self.position[2] + self.size[2] / 2)


@dataclass
class Light:
    name: str
    type: str
    color: tuple[float, float, float]
    intensity: float
    position: tuple[float, float, float]
    look_at: tuple[float, float, float]
    shadows: bool


@dataclass
class Camera:
    name: str
    position: tuple[float, float, float]
    look_at: tuple[float, float, float]
    fov: float


@dataclass
class HostPlacement:
    name: str
    rig: Path
    position: tuple[float, float, float]
    facing: float
    seed: int
    mapping: Path | None = None
    voice: dict = field(default_factory=dict)     # overrides the rig's own [voice]
    expressivity: Expressivity = Expressivity()   # how the host gestures


@dataclass
class Product:
    id: str
    name: str
    piece: Piece
    price: float
    currency: str
    facts: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()                 # other names viewers use for it ("水壶", "teapot")
    name_zh: str = ""                             # in Mandarin answers (else `name`)
    facts_zh: dict[str, Any] = field(default_factory=dict)    # in Mandarin answers, by the same keys as `facts`

    @property
    def card(self) -> str:
        """What its price card shows: "name|price currency"."""
        return f"{self.name}|{self.price:g} {self.currency}"


@dataclass
class SetSpec:
    name: str
    source: Path
    backdrop: tuple[float, float, float]
    chroma: bool
    backdrop_image: Path | None
    floor: tuple[float, float, float] | None
    floor_size: tuple[float, float]
    pieces: list[Piece]
    lights: list[Light]
    cameras: list[Camera]
    hosts: list[HostPlacement]
    products: list[Product]
    tick_rate: int = 60
    shading: str = "pixel"           # "pixel" (per-pixel light, soft shadows, edge filter) or "vertex" (cheapest)

    def camera(self, name: str | None) -> Camera:
        if name is None:
            return self.cameras[0]
        for c in self.cameras:
            if c.name == name:
                return c
        raise KeyError(f"{self.source}: no camera named {name!r}; cameras: {', '.join(c.name for c in self.cameras)}")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.doc = TomlDoc(path)
        self.dir = path.resolve().parent

    def vec(self, table: dict, key: str, n: int, *path: Any, default: Any = ...) -> tuple[float, ...]:
        value = self.doc.get(table, key, list, *path, key, default=default)
        if value is default and default is not ...:
            return tuple(default)
        if len(value) != n or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise self.doc.error(f"expected {n} numbers, got {value!r}", *path, key)
        return tuple(float(v) for v in value)

    def file(self, table: dict, key: str, *path: Any, suffixes: tuple[str, ...] = ()) -> Path:
        value = self.doc.get(table, key, str, *path, key)
        for base in (self.dir, PROJECT, Path.cwd()):
            candidate = (base / value).resolve()
            if candidate.exists():
                if suffixes and candidate.suffix.lower() not in suffixes:
                    raise self.doc.error(f"{value!r} is not a {'/'.join(suffixes)} file", *path, key)
                return candidate
        raise self.doc.error(f"file not found: {value!r} (looked next to the scene file and in the project)",
                             *path, key)

    def color(self, table: dict, key: str, *path: Any, default: Any = ...) -> tuple[float, float, float]:
        if key not in table:
            if default is ...:
                raise self.doc.error(f"missing key '{key}'", *path)
            return default
        return parse_color(self.doc, table[key], *path, key)

    def tables(self, key: str, allowed: tuple[str, ...]) -> list[dict]:
        """The [[key]] entries, each holding only `allowed` keys."""
        value = self.doc.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.doc.error(f"expected a list of tables ([[{key}]])", key)
        for i, t in enumerate(value):
            self.doc.check_keys(t, allowed, key, i)
        return value

    def piece(self, t: dict, path: tuple, name: str) -> Piece:
        d = self.doc
        shape = d.get(t, "shape", str, *path, "shape", default="box")
        if shape not in SHAPES:
            raise d.error(f"unknown shape {shape!r}; expected one of {', '.join(SHAPES)}", *path, "shape")
        model = self.file(t, "model", *path, suffixes=(".glb", ".gltf", ".bam", ".egg")) if shape == "model" else None
        return Piece(name=name, shape=shape, size=self.vec(t, "size", 3, *path, default=(1.0, 1.0, 1.0)),
                     position=self.vec(t, "position", 3, *path, default=(0.0, 0.0, 0.0)),
                     rotation=self.vec(t, "rotation", 3, *path, default=(0.0, 0.0, 0.0)),
                     color=self.color(t, "color", *path, default=(0.7, 0.7, 0.7)), model=model)


def _strings(d: TomlDoc, table: dict, key: str, path: tuple) -> list[str]:
    values = d.get(table, key, list, *path, key, default=[])
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise d.error(f"{key} must be a list of words, got {values!r}", *path, key)
    return values


def _expressivity(d: TomlDoc, host: dict, path: tuple) -> Expressivity:
    table = d.get(host, "expressivity", dict, *path, "expressivity", default={})
    d.check_keys(table, EXPRESSIVITY_KEYS, *path, "expressivity")
    for key, value in table.items():          # one at a time, so an error points at its own line
        try:
            Expressivity.from_table({key: value})
        except ValueError as e:
            raise d.error(str(e), *path, "expressivity", key) from None
    return Expressivity.from_table(table)


def load_set(path: str | Path) -> SetSpec:
    path = Path(path)
    r = _Reader(path)
    d = r.doc
    d.check_keys(d.data, TABLES)
    top = d.get(d.data, "set", dict, "set")
    d.check_keys(top, SET_KEYS, "set")
    name = d.get(top, "name", str, "set", "name")
    backdrop_value = top.get("backdrop", "#30343c")
    chroma = backdrop_value == "chroma"
    backdrop = CHROMA_GREEN if chroma else r.color(top, "backdrop", "set", default=(0.19, 0.2, 0.24))
    image = r.file(top, "backdrop_image", "set", suffixes=(".png", ".jpg", ".jpeg")) if "backdrop_image" in top else None
    floor = None if top.get("floor") is False else r.color(top, "floor", "set", default=(0.45, 0.45, 0.47))
    floor_size = r.vec(top, "floor_size", 2, "set", default=(8.0, 6.0))
    shading = d.get(top, "shading", str, "set", "shading", default="pixel")
    if shading not in SHADING:
        raise d.error(unknown_name(shading, SHADING, "shading"), "set", "shading")
    rate = d.get(top, "tick_rate", int, "set", "tick_rate", default=60)
    if not 10 <= rate <= 480:
        raise d.error(f"tick_rate {rate} is out of range [10, 480]", "set", "tick_rate")

    preset = d.get(top, "lighting", str, "set", "lighting", default=None)
    if preset is not None and preset not in PRESETS:
        raise d.error(unknown_name(preset, PRESETS, "lighting preset"), "set", "lighting")
    lights = [Light(*t) for t in preset_lights(preset)] if preset else []
    for i, t in enumerate(r.tables("lights", LIGHT_KEYS)):
        p = ("lights", i)
        kind = d.get(t, "type", str, *p, "type", default="directional")
        if kind not in LIGHT_TYPES:
            raise d.error(f"unknown light type {kind!r}; expected one of {', '.join(LIGHT_TYPES)}", *p, "type")
        intensity = d.get(t, "intensity", float, *p, "intensity", default=1.0)
        if intensity < 0:
            raise d.error("intensity must not be negative", *p, "intensity")
        lights.append(Light(name=d.get(t, "name", str, *p, "name", default=f"light{i}"), type=kind,
                            color=r.color(t, "color", *p, default=(1.0, 1.0, 1.0)), intensity=intensity,
                            position=r.vec(t, "position", 3, *p, default=(0.0, -3.0, 3.0)),
                            look_at=r.vec(t, "look_at", 3, *p, default=(0.0, 0.0, 1.0)),
                            shadows=d.get(t, "shadows", bool, *p, "shadows", default=False)))
    cameras = []
    for i, t in enumerate(r.tables("cameras", CAMERA_KEYS)):
        p = ("cameras", i)
        fov = d.get(t, "fov", float, *p, "fov", default=40.0)
        if not 5 <= fov <= 120:
            raise d.error(f"fov {fov} is out of range [5, 120]", *p, "fov")
        cameras.append(Camera(name=d.get(t, "name", str, *p, "name"), position=r.vec(t, "position", 3, *p),
                              look_at=r.vec(t, "look_at", 3, *p), fov=fov))
    if not cameras:
        raise d.error("a set needs at least one [[cameras]] entry", "set")
    pieces = [r.piece(t, ("pieces", i), d.get(t, "name", str, "pieces", i, "name", default=f"piece{i}"))
              for i, t in enumerate(r.tables("pieces", PIECE_KEYS))]
    hosts = []
    for i, t in enumerate(r.tables("hosts", HOST_KEYS)):
        p = ("hosts", i)
        hosts.append(HostPlacement(
            name=d.get(t, "name", str, *p, "name"),
            rig=r.file(t, "rig", *p, suffixes=(".glb", ".gltf", ".vrm")),
            position=r.vec(t, "position", 3, *p, default=(0.0, 0.0, 0.0)),
            facing=d.get(t, "facing", float, *p, "facing", default=0.0),
            seed=d.get(t, "seed", int, *p, "seed", default=i + 1),
            mapping=r.file(t, "mapping", *p, suffixes=(".toml",)) if "mapping" in t else None,
            voice=voice_table(d, t, *p), expressivity=_expressivity(d, t, p)))
    products = []
    for i, t in enumerate(r.tables("products", PRODUCT_KEYS)):
        p = ("products", i)
        pid = d.get(t, "id", str, *p, "id")
        price = d.get(t, "price", float, *p, "price")
        if price < 0:
            raise d.error("price must not be negative", *p, "price")
        zh = d.get(t, "zh", dict, *p, "zh", default={})
        d.check_keys(zh, MANDARIN_KEYS, *p, "zh")
        facts = d.get(t, "facts", dict, *p, "facts", default={})
        facts_zh = d.get(zh, "facts", dict, *p, "zh", "facts", default={})
        for key in facts_zh:
            if key not in facts:
                raise d.error(unknown_name(key, facts, "fact"), *p, "zh", "facts")
        aliases = [*_strings(d, t, "aliases", p), *_strings(d, zh, "aliases", (*p, "zh"))]
        products.append(Product(id=pid, name=d.get(t, "name", str, *p, "name"), piece=r.piece(t, p, pid),
                                price=price, currency=d.get(t, "currency", str, *p, "currency", default="USD"),
                                facts=facts, aliases=tuple(a.lower() for a in aliases),
                                name_zh=d.get(zh, "name", str, *p, "zh", "name", default=""), facts_zh=facts_zh))
    seen: set[str] = set()
    for kind, items in (("camera", cameras), ("host", hosts), ("product", products)):
        seen.clear()
        for i, item in enumerate(items):
            key = getattr(item, "id", None) or item.name
            if key in seen:
                raise d.error(f"duplicate {kind} name {key!r}", f"{kind}s" if kind != "product" else "products", i)
            seen.add(key)
    return SetSpec(name=name, source=path, backdrop=backdrop, chroma=chroma, backdrop_image=image, floor=floor,
                   floor_size=floor_size, pieces=pieces, lights=lights, cameras=cameras, hosts=hosts,
                   products=products, tick_rate=rate, shading=shading)


def single_host_set(rig: Path, mapping: Path | None = None, backdrop=(0.22, 0.24, 0.28)) -> SetSpec:
    """A bare set with one host and neutral light, for previews and rig checks."""
    lights = [Light("key", "directional", (1.0, 0.97, 0.92), 1.0, (-2.0, -3.0, 3.0), (0.0, 0.0, 1.0), False),
              Light("fill", "directional", (0.8, 0.85, 1.0), 0.4, (2.5, -2.0, 1.5), (0.0, 0.0, 1.0), False),
              Light("ambient", "ambient", (1.0, 1.0, 1.0), 0.4, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), False)]
    return SetSpec(name=rig.stem, source=rig, backdrop=backdrop, chroma=False, backdrop_image=None, floor=None,
                   floor_size=(1.0, 1.0), pieces=[], lights=lights,
                   cameras=[Camera("front", (0.0, -3.0, 1.0), (0.0, 0.0, 1.0), 30.0)],
                   hosts=[HostPlacement(rig.stem, rig, (0.0, 0.0, 0.0), 0.0, 1, mapping)], products=[])


__all__ = ["FileError", "SetSpec", "load_set", "single_host_set"]
