"""Viewers who vanish from a real `cohost serve`: a client closing with an error code (1011) and one whose
TCP connection is reset are normal on air: one INFO line each in the log, no traceback."""
import base64
import os
import re
import socket
import struct
import subprocess
import sys
import time

from websockets.sync.client import connect

from helpers import PROJECT


def test_a_vanished_viewer_is_one_quiet_line(tmp_path):
    log = tmp_path / "serve.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "runtime", "-v", "serve", "scenes/shop_studio.toml",
                                 "--headless", "--chat-port", "0"], cwd=PROJECT, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    try:
        said = proc.stdout.readline()
        port = int(re.search(r"ws://127\.0\.0\.1:(\d+)", said).group(1))
        with connect(f"ws://127.0.0.1:{port}") as ws:              # a viewer whose app fails: close code 1011
            ws.close(code=1011, reason="app crashed")
        with socket.create_connection(("127.0.0.1", port)) as raw:  # a viewer whose network goes: TCP reset
            key = base64.b64encode(os.urandom(16)).decode()
            raw.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            assert raw.recv(4096).startswith(b"HTTP/1.1 101")
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        deadline = time.monotonic() + 10
        while log.read_text().count("viewer connection closed abruptly") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    text = log.read_text()
    assert "Traceback" not in text and "connection handler failed" not in text, text[-3000:]
    assert "INFO viewer connection closed abruptly (1011)" in text
    assert "INFO viewer connection closed abruptly (1006)" in text
