"""Free-form replies from an OpenAI-compatible endpoint: a real HTTP server on 127.0.0.1 that speaks the
chat completions protocol. Its reply is said; when it is down, slow, failing or says something a host
has nothing to say, the catalogue answers."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from runtime.sets.setfile import load_set
from runtime.show.chat_model import ChatModel
from runtime.show.live import LiveShow

from helpers import PROJECT, send_body

SHOP = load_set(PROJECT / "scenes" / "shop_studio.toml")


class Endpoint(BaseHTTPRequestHandler):
    reply, delay, status, seen = "", 0.0, 200, []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        time.sleep(self.delay)
        out = json.dumps({"choices": [{"message": {"role": "assistant", "content": self.reply}}]}).encode()
        send_body(self, out, "application/json", self.status)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def ask(url, text, **endpoint):
    for key, value in {"reply": "", "delay": 0.0, "status": 200, **endpoint}.items():
        setattr(Endpoint, key, value)
    Endpoint.seen = []
    show = LiveShow(SHOP, chat_model=ChatModel(url, "local-model", key="sk-test", timeout=0.5))
    show.greeted.add("ana", 0.0)                             # greeted before: the reply is the answer alone
    started = time.perf_counter()
    reply = show.handle(json.dumps({"user": "ana", "text": text}), 0.0)
    return reply, time.perf_counter() - started


def test_the_endpoints_reply_is_said_and_it_was_told_the_catalogue(endpoint):
    reply, _ = ask(endpoint, "Would the kettle make a good gift?", reply="Yes! At 39 dollars the kettle is a lovely gift.")
    assert reply["answer"] == "Yes! At 39 dollars the kettle is a lovely gift." and reply["host"]
    path, auth, body = Endpoint.seen[0]
    assert path == "/v1/chat/completions" and auth == "Bearer sk-test" and body["model"] == "local-model"
    assert "39" in body["messages"][0]["content"] and "Nova 12 smartphone" in body["messages"][0]["content"]
    assert body["messages"][1] == {"role": "user", "content": "Would the kettle make a good gift?"}


def test_a_question_the_catalogue_cannot_answer_goes_to_the_endpoint(endpoint):
    reply, _ = ask(endpoint, "Do you like working here?", reply="I love it, [thanks] for asking!")
    assert reply["answer"] == "I love it, thanks for asking!"                # markup-like brackets are not said


@pytest.mark.parametrize("trouble", [dict(status=500), dict(delay=1.5), dict(reply=None), dict(reply="  ")])
def test_the_catalogue_answers_when_the_endpoint_fails(endpoint, trouble):
    reply, took = ask(endpoint, "How much is the kettle?", **trouble)
    assert reply["accepted"] and "39" in reply["answer"] and reply["answer"].startswith("The Aroma")
    assert took < 1.4                                        # a slow endpoint is not waited for


def test_no_server_at_all():
    reply, _ = ask("http://127.0.0.1:9/v1", "How much is the tea?")
    assert "25" in reply["answer"]
