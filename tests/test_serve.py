"""`cohost serve` on air: a real server process, a real WebSocket client on 127.0.0.1. Questions get
catalogue answers spoken by a host; floods, huge and broken messages are refused with a reason while the
show keeps ticking."""
import json
import re
import subprocess
import sys
import time

import pytest
from websockets.sync.client import connect

from helpers import PROJECT


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "serve", "--headless", "--chat-port", "0",
                             "--block", "scam"], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()                                  # "serving ...: viewer chat on ws://..."
    match = re.search(r"ws://127\.0\.0\.1:(\d+)", line)
    assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
    yield int(match.group(1))
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    assert "viewer messages:" in out                               # it reports what it took and refused


def ask(port, payload):
    with connect(f"ws://127.0.0.1:{port}", max_size=None) as ws:
        ws.send(payload if isinstance(payload, (str, bytes)) else json.dumps(payload))
        return json.loads(ws.recv(timeout=30))


def test_a_price_question_gets_the_catalogue_price(server):
    reply = ask(server, {"user": "ana", "text": "How much is the kettle?"})
    assert reply["accepted"] and "39" in reply["answer"] and reply["host"] in ("Mei", "Jun")
    assert reply["tick"] > reply["now"] >= 0                       # spoken from the next free tick


def test_bad_messages_are_refused_and_the_show_keeps_ticking(server):
    first = ask(server, {"user": "bo", "text": "hello"})
    refusals = [ask(server, "x" * (1 << 20)), ask(server, "{not json"), ask(server, {"event": "raid", "user": "x"}),
                ask(server, {"user": "cy", "text": "this is a scam"})]
    reasons = [r["reason"] for r in refusals]
    assert not any(r["accepted"] for r in refusals)
    assert reasons[0].startswith("too large") and reasons[1].startswith("invalid JSON")
    assert reasons[2].startswith("unknown event type") and reasons[3] == "blocked word"
    time.sleep(0.3)
    later = ask(server, {"user": "dee", "text": "What colours does the phone come in?"})
    assert later["accepted"] and "midnight blue" in later["answer"]
    assert later["now"] > first["tick"]                            # time went on through all of it


def test_two_hundred_messages_a_second_from_one_user(server):
    with connect(f"ws://127.0.0.1:{server}") as ws:
        for k in range(200):
            ws.send(json.dumps({"user": "flood", "text": f"price of the tea {k}?"}))
        replies = [json.loads(ws.recv(timeout=30)) for _ in range(200)]
    accepted = [r for r in replies if r["accepted"]]
    assert len(accepted) == 5 and all("rate limited" in r["reason"] for r in replies if not r["accepted"])


def test_cohost_chat_command(server):
    out = subprocess.run([sys.executable, "-m", "runtime", "chat", "Is the tea in stock?", "--user", "eve",
                          "--port", str(server)], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "500" in out.stdout and " at tick " in out.stdout
    out = subprocess.run([sys.executable, "-m", "runtime", "chat", "hi", "--port", "9"], cwd=PROJECT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "no show answering" in out.stderr
