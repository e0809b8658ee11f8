"""Free-form replies to viewers from an OpenAI-compatible chat endpoint (llama.cpp's server, vLLM, Ollama,
or a hosted one), told the catalogue's facts and the catalogue's own answer. Whatever goes wrong — no
server, an error, a slow reply, an empty or malformed answer — the catalogue's answer is said instead.
"""
from __future__ import annotations

import json
import logging
import os
import urllib.request

from .moderation import clean
from .responder import Answer, Responder

log = logging.getLogger("cohost.chat_model")
TIMEOUT_S = 1.2            # a reply later than this would keep the viewer waiting: the catalogue answers
MAX_REPLY = 300            # characters a host says at most
SYSTEM = ("You are a friendly host of a livestream shop. Answer the viewer in one or two short spoken sentences, "
          "in the viewer's language, using only these facts; never invent prices or facts.\n")


def catalogue_text(responder: Responder) -> str:
    return "\n".join(f"- {p.name} (id {p.id}): {p.price:g} {p.currency}; "
                     + "; ".join(f"{k}: {v}" for k, v in p.facts.items()) for p in responder.products.values())


class ChatModel:
    def __init__(self, url: str, model: str = "default", key: str | None = None, timeout: float = TIMEOUT_S) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model, self.timeout = model, timeout
        self.key = key or os.environ.get("COHOST_LLM_KEY")

    def reply(self, question: str, responder: Responder, answer: Answer | None) -> str | None:
        """The endpoint's reply, cleaned to one short line; None if it failed."""
        system = SYSTEM + catalogue_text(responder) + (f"\nThe catalogue's answer: {answer.text}" if answer else "")
        body = {"model": self.model, "max_tokens": 120, "temperature": 0.7,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}]}
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = json.loads(response.read())["choices"][0]["message"]["content"]
            if not isinstance(text, str):
                raise TypeError(f"content is {type(text).__name__}, not text")
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            log.warning("chat model at %s failed (%s); the catalogue answers", self.url, e)
            return None
        return clean(text, MAX_REPLY) or None
