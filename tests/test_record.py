"""The show's record: a real `cohost serve` killed with SIGKILL in a burst of purchases keeps every event it
answered, and a restart goes on from the segment it was in, knowing its viewers; `cohost log` reads it."""
import json
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from websockets.sync.client import connect

from runtime.onair.record import ShowRecord, read_log

from helpers import PROJECT


def serve(record, *extra: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([sys.executable, "-m", "runtime", "serve", "--headless", "--chat-port", "0", "--record",
                             str(record), *extra], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline()
    port = re.search(r"ws://127\.0\.0\.1:(\d+)", line)
    assert port, (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, int(port.group(1))


def buy(port: int, user: str, count: int, replies: list[dict], first: threading.Event) -> None:
    """Purchases one after another, each reply kept as it comes (the show may be killed at any point)."""
    with connect(f"ws://127.0.0.1:{port}") as ws:
        for k in range(count):
            ws.send(json.dumps({"event": "purchase", "user": user, "product": "kettle", "count": k + 1}))
            replies.append(json.loads(ws.recv(timeout=30)))
            first.set()


def test_a_killed_show_keeps_what_it_answered_and_goes_on_where_it_was(tmp_path):
    record = tmp_path / "show.db"
    proc, port = serve(record)
    time.sleep(9.0)                                           # into the show's second segment
    with connect(f"ws://127.0.0.1:{port}") as ws:
        ws.send(json.dumps({"user": "ana", "text": "hello"}))
        assert "Hi ana" in json.loads(ws.recv(timeout=30))["answer"]
    replies, first = [], threading.Event()
    with ThreadPoolExecutor(4) as pool:                       # a burst, killed in the middle of it
        burst = [pool.submit(buy, port, f"buyer{b}", 20, replies, first) for b in range(4)]
        assert first.wait(30)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for f in burst:
            f.exception()                                     # connections cut by the kill
    answered = [r for r in replies if r["accepted"]]
    assert 0 < len(answered) < 80, len(answered)              # killed during the burst
    rows = read_log(record, kinds=["viewer"])
    kept = {(r[5], r[9], r[10]) for r in rows}                # (user, verdict, answer or why not)
    for reply in answered:
        said = reply["answer"] or reply.get("reason")
        assert any(verdict == "accepted" and detail == said for _, verdict, detail in kept), reply
    segments = [r[8] for r in read_log(record, kinds=["segment"])]
    started = time.monotonic()
    proc, port = serve(record)
    up = time.monotonic() - started
    try:
        with connect(f"ws://127.0.0.1:{port}") as ws:
            ws.send(json.dumps({"user": "ana", "text": "What colours does the phone come in?"}))
            again = json.loads(ws.recv(timeout=30))
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert up <= 5.0, up                                      # on air again within 5 s
    assert f"going on from segment {segments[-1]!r}" in err
    assert read_log(record, kinds=["segment"])[-1][8] == segments[-1]   # the restart opened on it
    assert again["accepted"] and "Hi ana" not in again["answer"]       # she was greeted before the crash


def test_a_clean_stop_starts_the_next_show_from_the_top(tmp_path):
    record = tmp_path / "show.db"
    for _ in range(2):
        proc, _ = serve(record)
        time.sleep(9.0)
        proc.terminate()
        _, err = proc.communicate(timeout=30)
        assert "going on from" not in err
    segments = [r[8] for r in read_log(record, kinds=["segment"])]
    assert segments.count("opening") == 2 and segments[0] == "opening"


def test_cohost_log_prints_filters_and_exports(tmp_path):
    record = tmp_path / "show.db"
    proc, port = serve(record, "--block", "scam")
    try:
        time.sleep(1.0)
        with connect(f"ws://127.0.0.1:{port}") as ws:
            for text in ("hello", "this is a scam"):
                ws.send(json.dumps({"user": "bo", "text": text}))
                ws.recv(timeout=30)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    log = lambda *a: subprocess.run([sys.executable, "-m", "runtime", "log", str(record), *a], cwd=PROJECT,  # noqa: E731
                                    capture_output=True, text=True)
    out = log("--kind", "viewer").stdout.splitlines()
    assert len(out) == 2 and "[accepted]" in out[0] and "[refused] -> blocked word" in out[1]
    assert any(" line " in row and "Hello everyone!" in row for row in log().stdout.splitlines())
    assert log("--kind", "viewer", "--since", "2999-01-01T00:00").stdout == ""
    csv_file = tmp_path / "rows.csv"
    assert log("--csv", str(csv_file)).returncode == 0
    assert csv_file.read_text().splitlines()[0] == "id,wall,tick,kind,host,user,text,language,segment,verdict,detail"
    bad = log("--kind", "viewr")
    assert bad.returncode != 0 and "unknown kind 'viewr'" in bad.stderr
    missing = subprocess.run([sys.executable, "-m", "runtime", "log", str(tmp_path / "none.db")], cwd=PROJECT,
                             capture_output=True, text=True)
    assert "none.db: no such show record" in missing.stderr


@pytest.mark.parametrize("since", ["yesterday", "30/11/2026"])
def test_a_bad_since_is_a_clear_error(tmp_path, since):
    (tmp_path / "s.db").write_bytes(b"")
    out = subprocess.run([sys.executable, "-m", "runtime", "log", str(tmp_path / "s.db"), "--since", since],
                         cwd=PROJECT, capture_output=True, text=True)
    assert out.returncode != 0 and "expected a date and time like 2026-11-30T14:00" in out.stderr


def test_a_question_read_while_the_hosts_were_busy_keeps_its_reason_and_greets_no_one(tmp_path):
    record = ShowRecord(tmp_path / "show.db")
    record.viewer('{"user": "ben", "text": "How much is the kettle?"}',
                  {"accepted": True, "now": 5, "answer": "Hi ben! The kettle is 39 USD.", "host": "Jun", "tick": 9})
    record.viewer('{"user": "ana", "text": "Is the tea in stock?"}',
                  {"accepted": True, "now": 6, "reason": "hosts busy: read, not answered", "answer": None,
                   "host": None, "tick": None})
    rows = read_log(tmp_path / "show.db", kinds=["viewer"])
    assert [(r[5], r[9], r[10]) for r in rows] == [("ben", "accepted", "Hi ben! The kettle is 39 USD."),
                                                    ("ana", "accepted", "hosts busy: read, not answered")]
    assert record.resume().greeted == ["ben"]                # ana was never greeted: she is, next time
