"""On-screen graphics over the set: the price card a show reveals with a product, and for set designers
the camera's name with the broadcast safe areas. Drawn in a 2D layer of the window or the offscreen
buffer, above the set (what a streamer's viewers see in the frame)."""
from __future__ import annotations

from panda3d.core import Camera as PandaCamera
from panda3d.core import (
    CardMaker,
    LineSegs,
    NodePath,
    OrthographicLens,
    TextNode,
    TransparencyAttrib,
)

CARD_COLOUR = (0.05, 0.05, 0.07, 0.9)
PRICE_COLOUR = (1.0, 0.82, 0.25, 1.0)
SAFE_AREAS = ((0.93, (0.2, 1.0, 0.4, 1.0)), (0.90, (1.0, 0.35, 0.3, 1.0)))   # action safe, title safe


def screen_layer(output, name: str, sort: int) -> NodePath:
    """A 2D layer over the whole of `output` (x and y from -1 to 1), drawn in a display region of its own at
    `sort` among the output's regions, without depth."""
    layer = NodePath(f"{name}-layer")
    layer.set_depth_test(False)
    layer.set_depth_write(False)
    lens = OrthographicLens()
    lens.set_film_size(2, 2)
    lens.set_near_far(-10, 10)
    region = output.make_display_region()
    region.set_sort(sort)
    region.set_camera(layer.attach_new_node(PandaCamera(f"{name}-camera", lens)))
    return layer


def full_frame_card(layer: NodePath, name: str) -> NodePath:
    """A card covering the whole of a screen layer."""
    card = CardMaker(name)
    card.set_frame(-1, 1, -1, 1)
    node = layer.attach_new_node(card.generate())
    node.set_y(1)
    return node


class Overlay:
    def __init__(self, output) -> None:
        self.layer = screen_layer(output, "overlay", 20)         # drawn last, over the set
        self.aspect = output.get_x_size() / max(1, output.get_y_size())
        self.card: NodePath | None = None
        self.shown: str | None = None
        self.guide: NodePath | None = None

    def price(self, text: str | None) -> None:
        """Show a price card ("Name|39 USD") at the lower left, or none."""
        if text == self.shown:
            return
        if self.card is not None:
            self.card.remove_node()
            self.card = None
        self.shown = text
        if text is None:
            return
        name, price = text.split("|")
        self.card = self.layer.attach_new_node("price-card")
        self.card.set_transparency(TransparencyAttrib.M_alpha)
        back = CardMaker("price-back")
        back.set_frame(-0.96, -0.2, -0.94, -0.66)
        back.set_color(*CARD_COLOUR)
        backing = self.card.attach_new_node(back.generate())
        backing.set_bin("fixed", 0)
        for words, size, z, colour in ((name, 0.06, -0.74, (1, 1, 1, 1)), (price, 0.11, -0.89, PRICE_COLOUR)):
            node = TextNode("price-text")
            node.set_text(words)
            node.set_text_color(*colour)
            text_np = self.card.attach_new_node(node)
            text_np.set_scale(size / self.aspect, 1, size)
            text_np.set_pos(-0.93, 0, z)
            text_np.set_bin("fixed", 1)                 # over the card

    def guides(self, camera: str | None) -> None:
        """The camera's name and the action-safe (93 %) and title-safe (90 %) frames; None hides them."""
        if self.guide is not None:
            self.guide.remove_node()
            self.guide = None
        if camera is None:
            return
        self.guide = self.layer.attach_new_node("guides")
        for share, colour in SAFE_AREAS:
            lines = LineSegs("safe")
            lines.set_color(*colour)
            lines.set_thickness(2)
            lines.move_to(-share, 0, -share)
            for x, z in ((share, -share), (share, share), (-share, share), (-share, -share)):
                lines.draw_to(x, 0, z)
            self.guide.attach_new_node(lines.create()).set_bin("fixed", 2)
        label = TextNode("camera-name")
        label.set_text(f"{camera}   (action safe 93 %, title safe 90 %)")
        label.set_text_color(1, 1, 1, 1)
        label.set_shadow(0.05, 0.05)
        text = self.guide.attach_new_node(label)
        text.set_scale(0.065 / self.aspect, 1, 0.065)
        text.set_pos(-0.86, 0, 0.8)
        text.set_bin("fixed", 3)
