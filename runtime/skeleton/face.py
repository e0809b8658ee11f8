"""The canonical face: the channels every controller writes and every rig's expressions are fed from.

The 15 visemes of Oculus/Meta, the two blinks, the five emotions of VRM 1.0 and a brow raise, in this
order (a pose's face array follows it). A rig's own expressions (runtime/skeleton/expressions.py) turn
these into morph weights, material colours and texture transforms.
"""
from __future__ import annotations

VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou")
BLINKS = ("blinkLeft", "blinkRight")
EMOTIONS = ("happy", "angry", "sad", "relaxed", "surprised")
EXPRESSIONS = BLINKS + EMOTIONS + ("browUp",)
FACE_CHANNELS = VISEMES + EXPRESSIONS
CHANNEL_INDEX = {name: i for i, name in enumerate(FACE_CHANNELS)}
# How open each viseme holds the jaw (0 shut .. 1 wide): for rigs with a jaw bone and no mouth shapes,
# and for the jaw's share of speech.
JAW_OPEN = {"sil": 0.0, "PP": 0.0, "FF": 0.1, "TH": 0.25, "DD": 0.3, "kk": 0.4, "CH": 0.25, "SS": 0.1,
            "nn": 0.2, "RR": 0.25, "aa": 1.0, "E": 0.55, "ih": 0.4, "oh": 0.75, "ou": 0.35}
