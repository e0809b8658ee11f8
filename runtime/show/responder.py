"""Answers to viewers from the set's product catalogue (the facts in the scene file), in the language they
asked in: which product (by id, name words or aliases, else the one on air), what about it (price,
colours, size, shipping, stock, or any fact named), and thanks and greetings for follows, gifts and
purchases. Keyword retrieval in English and Mandarin: nothing to download, the same answer every time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..sets.setfile import Product
from ..speech.utterance import script_language
from .moderation import Event

# topic -> (English keywords, Mandarin keywords, fact keys that answer it)
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "price": (("price", "cost", "how much", "expensive", "cheap"), ("多少钱", "价格", "价钱", "几块", "贵"), ()),
    "colours": (("colour", "color"), ("颜色", "什么色"), ("colours", "colors")),
    "size": (("size", "how big", "capacity", "dimension", "how large"), ("多大", "尺寸", "容量", "大小"),
             ("size", "capacity", "screen", "weight")),
    "shipping": (("ship", "deliver", "arrive"), ("发货", "包邮", "运费", "快递", "送货", "到货"), ("shipping",)),
    "stock": (("stock", "left", "available", "sold out"), ("库存", "有货", "还有", "剩"), ("stock",)),
}
FACT_WORDS_ZH = {"电池": "battery", "屏幕": "screen", "功率": "power", "重量": "weight", "产地": "origin",
                 "容量": "capacity"}
KEYS_ZH = {"colours": "颜色", "colors": "颜色", "capacity": "容量", "power": "功率", "screen": "屏幕",
           "battery": "电池", "weight": "重量", "origin": "产地", "shipping": "发货", "size": "尺寸"}
STOP = {"the", "and", "for", "with", "gift", "box", "electric"}
CURRENCY_ZH = {"CNY": "元", "RMB": "元", "USD": "美元", "EUR": "欧元", "GBP": "英镑", "JPY": "日元", "KRW": "韩元",
               "HKD": "港元", "TWD": "新台币"}      # "25 USD" as a Chinese viewer says it: 25美元


@dataclass(frozen=True)
class Answer:
    text: str
    product: str | None          # product id the answer is about
    topic: str


def is_mandarin(text: str) -> bool:
    return script_language(text) == "cmn"


def price_zh(price: float, currency: str) -> str:
    return f"{price:g}{CURRENCY_ZH[currency]}" if currency in CURRENCY_ZH else f"{price:g} {currency}"


def _list(values, mandarin: bool) -> str:
    values = [str(v) for v in (values if isinstance(values, list) else [values])]
    if mandarin:
        return "、".join(values)
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


class Responder:
    def __init__(self, products: list[Product]) -> None:
        self.products = {p.id: p for p in products}
        self.words = {p.id: {p.id.lower(), *p.aliases, *([p.name_zh] if p.name_zh else []),
                             *(w for w in re.findall(r"[a-z0-9]+", p.name.lower()) if len(w) > 2 and w not in STOP)}
                      for p in products}

    def product_in(self, text: str) -> str | None:
        lowered = text.lower()
        tokens = set(re.findall(r"[a-z0-9]+", lowered))
        for pid, words in self.words.items():
            if any(w in tokens or (is_mandarin(w) and w in text) for w in words):
                return pid
        return None

    def answer(self, text: str, on_air: str | None = None) -> Answer | None:
        """The catalogue's answer to a question, about the product it names or else the one on air."""
        mandarin, lowered = is_mandarin(text), text.lower()
        mentioned = self.product_in(text)
        topic = next((t for t, (en, zh, _) in TOPICS.items()
                      if any(k in lowered for k in en) or any(k in text for k in zh)), None)
        fact = next((k for k in {k for p in self.products.values() for k in p.facts} if k.lower() in lowered), None) \
            or next((v for k, v in FACT_WORDS_ZH.items() if k in text), None)
        if mentioned is None and fact is not None and (on_air not in self.products
                                                       or fact not in self.products[on_air].facts):
            # "How big is the screen?" while the kettle is on air: the product that has a screen.
            mentioned = next((pid for pid, p in self.products.items() if fact in p.facts), None)
        if mentioned is None and topic is None and fact is None:
            return None                                   # not about the catalogue
        pid = mentioned or on_air
        if pid not in self.products:
            return None
        p = self.products[pid]
        named = fact if fact in p.facts else None
        if topic is None and named is None:
            topic = "price"                               # "what about the kettle?": its price
        name = (p.name_zh or p.name) if mandarin else p.name
        if topic == "price" or (topic is None and named is None):
            return Answer(f"{name}只要{price_zh(p.price, p.currency)}。" if mandarin else
                          f"The {name} is only {p.price:g} {p.currency}.", pid, "price")
        key = named or next((k for k in TOPICS[topic][2] if k in p.facts), None)     # a named fact wins
        if key is None:
            return Answer(f"{name}的这个问题，我们稍后回答。" if mandarin else
                          f"Good question about the {name}; we will check and come back to you.", pid, topic)
        value = _list(p.facts_zh.get(key, p.facts[key]) if mandarin else p.facts[key], mandarin)
        topic = topic or key
        if mandarin:
            if topic == "stock":
                return Answer(f"{name}还有{value}件。", pid, topic)
            return Answer(f"{name}的{KEYS_ZH.get(key, key)}：{value}。", pid, topic)
        phrases = {"colours": f"The {name} comes in {value}.", "shipping": f"Shipping for the {name}: {value}.",
                   "stock": f"We have {value} of the {name} in stock."}
        return Answer(phrases.get(topic, f"The {name}'s {key}: {value}."), pid, topic)

    def respond(self, event: Event, on_air: str | None = None) -> Answer | None:
        """What a host says to a viewer event: an answer to a question, or thanks and greetings."""
        if event.kind == "chat":
            return self.answer(event.text, on_air)
        if event.kind == "follow":
            return Answer(f"欢迎{event.user}！" if is_mandarin(event.user) else f"Welcome, {event.user}!", None, "follow")
        if event.kind == "gift":
            gift = event.gift if event.count == 1 else f"{event.count} {event.gift}"
            return Answer(f"Thank you for the {gift}, {event.user}!", None, "gift")
        pid = self.product_in(event.product) or (event.product if event.product in self.products else None)
        name = self.products[pid].name if pid else event.product
        return Answer(f"Thank you for buying the {name}, {event.user}!", pid, "purchase")
