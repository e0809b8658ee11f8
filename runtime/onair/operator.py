"""The operator's control API: a WebSocket JSON API (in the spirit of VTube Studio's public API) to run a
live show by hand, and the show's event stream.

Every message is a JSON object. The first must authenticate with the token stored in the user's config
dir (`cohost token` prints it; it is made once, readable by its owner only):

    -> {"request": "auth", "token": "…"}                 <- {"ok": true, "request": "auth", "hosts": [...]}

then any request, with an optional "id" echoed in the reply:

    {"request": "state"}                                      segment, product, speaking hosts, queues, tick
    {"request": "say", "text": "Hello [wave_hello]!", "host": "Mei", "interrupt": false}
    {"request": "gesture", "host": "Jun", "gesture": "thanks"}
    {"request": "expression", "host": "Mei", "expression": "happy", "weight": 0.8, "seconds": 2}
    {"request": "gaze", "host": "Mei", "target": "camera" | "partner" | "<product id>" | [x, y, z], "seconds": 2}
    {"request": "camera", "shot": "product"}
    {"request": "product", "product": "tea"}                  present it: both hosts look, the catalogue's on air
    {"request": "price", "product": "tea"}                    its price card on screen (null takes it off)
    {"request": "hold", "host": "Jun", "product": "tea"}      pick it up and hold it up (the other hand gestures)
    {"request": "put_down", "host": "Jun"}                    and put it back
    {"request": "interrupt"}                                  the speaking host stops at the next word boundary
    {"request": "swap", "host": "Jun", "rig": "rigs/jun.glb"} another rig or outfit, without stopping

Replies are {"ok": true, "request": …, …} or {"ok": false, "error": "what is wrong"}. After auth the
connection also receives the show's events as {"event": "line" | "gesture" | "gaze" | "camera" | …, "tick": …}
(send "events": false with auth to turn them off).
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

import numpy as np

from ..gesture.markup import MarkupError, parse_markup
from ..gesture.planner import schedule
from ..show.lines import check_gestures, host_voice, lexicon, rig_expressions
from ..skeleton.face import EMOTIONS
from ..skeleton.rigfile import VRM0_PRESETS
from ..speech.voices import synthesize
from ..tomlfile import unknown_name

log = logging.getLogger("cohost.operator")
EVENTS_QUEUED = 1000          # events held for a slow operator client before the oldest are dropped
DEFAULT_SECONDS = 2.0
WRONG_TOKEN_DELAY_S = 0.25    # the first wrong token's wait; each next one from the same address doubles it ...
WRONG_TOKEN_DELAY_MAX_S = 8.0  # ... up to this
FACE = (*EMOTIONS, "browUp", "neutral")       # and each rig's own expressions
FACE_ALIASES = {"smile": "happy", **{old: new for old, new in VRM0_PRESETS.items() if new in EMOTIONS}}  # VRM 0.x
REQUESTS = ("auth", "state", "say", "gesture", "expression", "gaze", "camera", "product", "price", "hold", "put_down",
            "interrupt", "swap")


def token_path() -> Path:
    from platformdirs import user_config_dir
    return Path(user_config_dir("cohost")) / "api-token"


def api_token(new: bool = False) -> tuple[str, Path]:
    """The operator token (made on first use, or anew with `new`) and the file it is kept in."""
    path = token_path()
    if path.exists() and not new:
        return path.read_text().strip(), path
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    return token, path


class RequestError(ValueError):
    """A request the show cannot do; the message says why."""


class Operator:
    def __init__(self, show, token: str, record=None) -> None:
        self.show, self.token, self.record = show, token, record      # record: the show's ShowRecord, if kept
        self.director = show.director
        self.names = [h.name for h in show.spec.hosts]
        self.subscribers: set[asyncio.Queue] = set()
        self.failures: dict[str, int] = {}          # address -> wrong tokens in a row
        self.director.listeners.append(self.publish)

    def publish(self, event: dict) -> None:
        message = json.dumps({k: v for k, v in event.items() if not k.startswith("_")}, ensure_ascii=False)
        for queue in self.subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(message)

    # -- one request ------------------------------------------------------------------------------
    def _host(self, data: dict, required: bool = True) -> int | None:
        name = data.get("host")
        if name is None and not required:
            return None
        if name is None:
            raise RequestError(f"this request needs \"host\": one of {', '.join(self.names)}")
        if name not in self.names:
            raise RequestError(f"no host {name!r}; hosts: {', '.join(self.names)}")
        return self.names.index(name)

    def _seconds(self, data: dict) -> float:
        seconds = data.get("seconds", DEFAULT_SECONDS)
        if not isinstance(seconds, (int, float)) or not 0 < seconds <= 600:
            raise RequestError(f"seconds must be a number in (0, 600], got {seconds!r}")
        return float(seconds)

    async def request(self, data: dict) -> dict:
        kind = data.get("request")
        if kind not in REQUESTS:
            raise RequestError(f"unknown request {str(kind)[:40]!r}; requests: {', '.join(REQUESTS[1:])}")
        d, now = self.director, self.show.tick + 1
        if kind == "state":
            return {**d.state(), "hosts": self.names, "rigs": [str(h.rig) for h in self.show.spec.hosts]}
        if kind == "say":
            return await self._say(data)
        if kind == "gesture":
            h = self._host(data)
            g = lexicon().get(data.get("gesture"))
            if g is None:
                raise RequestError(f"no gesture {data.get('gesture')!r}; `cohost gesture --list` lists them")
            planned = schedule(g, 0.0, self.show.spec.hosts[h].expressivity, data.get("target"))
            d.world.perform(h, now - round(planned.prep_start * self.show.spec.tick_rate), [planned])
            d.emit("gesture", host=self.names[h], gesture=g.name, target=data.get("target"), tick=now)
            return {"tick": now}
        if kind == "expression":
            h = self._host(data)
            place = self.show.spec.hosts[h]
            known = (*FACE, *rig_expressions(place.rig, place.mapping))
            asked = data.get("expression")
            if not isinstance(asked, str):
                raise RequestError(f"an expression request needs \"expression\": one of {', '.join(known)}")
            name = FACE_ALIASES.get(asked.lower(), asked if asked in known else asked.lower())
            if name not in known:
                raise RequestError(unknown_name(asked, known, "expression") + f" ({self.names[h]} has: {', '.join(known)})")
            weight = data.get("weight", 1.0)
            if not isinstance(weight, (int, float)) or not 0 <= weight <= 1:
                raise RequestError(f"weight must be 0..1, got {weight!r}")
            d.world.express(h, now, name, float(weight), self._seconds(data))
            return {"tick": now}
        if kind == "gaze":
            return self._gaze(data, now)
        if kind == "camera":
            shots = [c.name for c in self.show.spec.cameras]
            if data.get("shot") not in shots:
                raise RequestError(f"no camera {data.get('shot')!r}; cameras: {', '.join(shots)}")
            d.cut_to(data["shot"], now)
            return {"tick": now}
        if kind == "product":
            if data.get("product") not in d.centres:
                raise RequestError(f"no product {data.get('product')!r}; products: {', '.join(d.centres)}")
            d.present(data["product"], now)
            return {"tick": now}
        if kind in ("price", "hold"):
            product = data.get("product")
            if product not in d.centres and not (kind == "price" and product is None):
                raise RequestError(f"no product {product!r}; products: {', '.join(d.centres)}")
            if kind == "price":
                d.reveal_price(product, now)
                return {"tick": now}
            h = self._host(data)
            if d.world.holds[h] is not None:
                raise RequestError(f"{self.names[h]} is holding a product already; put_down first")
            holder = next((self.names[k] for k, hold in enumerate(d.world.holds)
                           if hold is not None and hold.product == product), None)
            if holder is not None:
                raise RequestError(f"{holder} has the {product}")
            return {"tick": now, "hand": d.pick_up(h, product, now)}
        if kind == "put_down":
            product = d.put_down(self._host(data), now)
            if product is None:
                raise RequestError(f"{data['host']} is not holding anything")
            return {"tick": now, "product": product}
        if kind == "interrupt":
            return {"tick": now, "stops": d.interrupt()}
        if kind == "swap":
            h = self._host(data)
            try:
                path, skeleton = await asyncio.to_thread(self.show.load_rig, str(data.get("rig")))
            except (OSError, ValueError) as e:
                raise RequestError(f"cannot swap {self.names[h]}'s rig: {e}") from None
            self.show.swap_rig(h, path, skeleton)
            return {"tick": self.show.tick + 1, "rig": str(path)}
        raise RequestError("authenticated already")

    async def _say(self, data: dict) -> dict:
        text = data.get("text")
        if not isinstance(text, str) or not text.strip():
            raise RequestError("say needs \"text\"")
        try:
            marked = check_gestures(parse_markup(text))
        except MarkupError as e:
            raise RequestError(f"text: {e}") from None
        h = self._host(data, required=False)
        h = self.director.free_host() if h is None else h
        if data.get("interrupt"):
            self.director.interrupt()
        voice = host_voice(self.show.spec, self.names[h])
        utterance = await asyncio.to_thread(synthesize, marked.said, voice)
        _, line = self.director.say_live(marked, h, utterance=utterance)
        return {"host": self.names[h], "tick": line.start_tick, "ends": line.end_tick}

    def _gaze(self, data: dict, now: int) -> dict:
        h = self._host(data)
        target, seconds, d = data.get("target"), self._seconds(data), self.director
        if target == "camera":
            d.world.address(h, now, seconds, pin=True)
        elif target == "partner":
            d.world.meet(h, now, seconds, pin=True)
        elif target in d.centres:
            d.world.look_at(h, now, d.centres[target], seconds, pin=True)
        elif isinstance(target, list) and len(target) == 3 and all(isinstance(v, (int, float)) for v in target):
            d.world.look_at(h, now, np.array(target, float), seconds, pin=True)
        else:
            raise RequestError(f"gaze target must be camera, partner, a product ({', '.join(d.centres)}) "
                               f"or [x, y, z] in set metres; got {target!r}")
        return {"tick": now}

    # -- one connection ---------------------------------------------------------------------------
    async def connection(self, ws) -> None:
        queue: asyncio.Queue | None = None
        sender = None
        try:
            async for raw in ws:
                try:
                    data = json.loads(raw)
                    if not isinstance(data, dict):
                        raise ValueError("expected a JSON object")
                except ValueError as e:
                    await ws.send(json.dumps({"ok": False, "error": f"invalid JSON: {e}"}))
                    continue
                reply: dict = {"request": data.get("request")}
                if "id" in data:
                    reply["id"] = data["id"]
                if queue is None:
                    if data.get("request") != "auth":
                        await ws.send(json.dumps({**reply, "ok": False, "error": 'not authenticated: send '
                                                  '{"request": "auth", "token": "..."} first (cohost token prints it)'}))
                        continue
                    peer = (ws.remote_address or ("?",))[0]
                    if not hmac.compare_digest(str(data.get("token", "")).encode(), self.token.encode()):
                        # Each wrong token from the same address waits longer before its refusal: guessing
                        # a token gets slower and slower, and the show is not slowed (only this client waits).
                        self.failures[peer] = self.failures.get(peer, 0) + 1
                        delay = min(WRONG_TOKEN_DELAY_S * 2 ** (self.failures[peer] - 1), WRONG_TOKEN_DELAY_MAX_S)
                        log.warning("operator API: a wrong token from %s was refused (%d in a row; %.2f s wait)",
                                    peer, self.failures[peer], delay)
                        await asyncio.sleep(delay)
                        await ws.send(json.dumps({**reply, "ok": False, "error": "wrong token"}))
                        await ws.close(4001, "wrong token")
                        return
                    self.failures.pop(peer, None)
                    queue = asyncio.Queue(EVENTS_QUEUED)
                    if data.get("events", True):
                        self.subscribers.add(queue)
                        sender = asyncio.ensure_future(self._send_events(ws, queue))
                    await ws.send(json.dumps({**reply, "ok": True, "hosts": self.names}))
                    continue
                try:
                    reply = {**reply, "ok": True, **await self.request(data)}
                except RequestError as e:
                    reply = {**reply, "ok": False, "error": str(e)}
                except Exception as e:  # an operator's request must never stop the show
                    log.exception("operator request %r failed", data.get("request"))
                    reply = {**reply, "ok": False, "error": f"failed: {e}"}
                if self.record is not None:
                    self.record.operator(data, reply)
                await ws.send(json.dumps(reply, ensure_ascii=False))
        finally:
            if queue is not None:
                self.subscribers.discard(queue)
            if sender is not None:
                sender.cancel()

    @staticmethod
    async def _send_events(ws, queue: asyncio.Queue) -> None:
        while True:
            await ws.send(await queue.get())
