"""VMC over real UDP sockets on 127.0.0.1, decoded and encoded on the other side by python-osc (not
Cohost's own OSC code): a host's bones and blend shapes go out every tick; a tracking app's bones and
blinks drive a host's head, eyes and hands."""
import socket

import numpy as np
from pythonosc.osc_bundle import OscBundle
from pythonosc.udp_client import SimpleUDPClient

from runtime.gesture.markup import parse_markup
from runtime.onair.vmc import VmcIn, VmcOut, VmcReceiver
from runtime.sets.setfile import load_set
from runtime.show.live import LiveShow
from runtime.skeleton import quat
from runtime.skeleton.face import CHANNEL_INDEX
from runtime.skeleton.pose import BONE_INDEX

from helpers import PROJECT

SHOP = PROJECT / "scenes" / "shop_studio.toml"


def listener():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    return sock


def messages(datagram: bytes) -> list:
    assert OscBundle.dgram_is_bundle(datagram)
    bundle = OscBundle(datagram)
    return [bundle.content(k) for k in range(bundle.num_contents)]


def test_a_host_goes_out_bone_by_bone_every_tick():
    app = listener()
    live = LiveShow(load_set(SHOP), outputs=(VmcOut(0, app.getsockname()),))
    live.director.say_live(parse_markup("Hello everyone, and welcome back to the shop!"), 0)
    blinks, vowels, heads = [], [], []
    for tick in range(0, 240):
        live.run_until(tick)
        got = {}
        for m in messages(app.recv(65536)):
            got.setdefault(m.address, []).append(m.params)
        bones = {p[0]: p for p in got["/VMC/Ext/Bone/Pos"]}
        assert len(bones) == len(BONE_INDEX) and {"Hips", "Head", "LeftEye", "RightHand", "LeftLittleDistal"} <= set(bones)
        blends = {name: value for name, value in got["/VMC/Ext/Blend/Val"]}
        assert got["/VMC/Ext/Blend/Apply"] and got["/VMC/Ext/OK"] == [[1]]
        assert abs(got["/VMC/Ext/T"][0][0] - tick / 60) < 1e-4
        pose = live.world.pose(0)
        x, y, z, w = bones["Head"][4:]
        heads.append(quat.angle_between(np.array([x, -y, -z, w]), pose.rotations[BONE_INDEX["head"]]))
        blinks.append(blends["Blink_L"] - pose.face[CHANNEL_INDEX["blinkLeft"]])
        vowels.append(sum(blends[v] for v in "AIUEO"))
    assert max(heads) < 1e-4 and max(np.abs(blinks)) < 1e-4         # Mei's own rotations and blinks, each tick
    assert max(vowels) > 0.5 and max(vowels[-20:]) < 0.05             # her mouth moves as she speaks, then rests


def test_a_tracking_app_drives_head_eyes_and_blinks_and_bad_packets_are_skipped():
    port = listener()
    free = port.getsockname()[1]
    port.close()
    receiver = VmcReceiver(free)
    live = LiveShow(load_set(SHOP), inputs=(VmcIn(1, receiver),))
    app = SimpleUDPClient("127.0.0.1", free)
    turned = quat.from_axis_angle([0.0, 1.0, 0.0], np.radians(25.0))   # Cohost frame: 25 deg to Jun's left
    x, y, z, w = turned
    app.send_message("/VMC/Ext/Bone/Pos", ["Head", 0.0, 0.1, 0.0, float(x), float(-y), float(-z), float(w)])
    app.send_message("/VMC/Ext/Bone/Pos", ["LeftEye", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    app.send_message("/VMC/Ext/Blend/Val", ["Blink_L", 1.0])
    app.send_message("/VMC/Ext/Blend/Val", ["A", 0.8])
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.sendto(b"\x00garbage", ("127.0.0.1", free))
    for tick in range(60):
        live.run_until(tick)
    pose = live.world.pose(1)
    assert quat.angle_between(pose.rotations[BONE_INDEX["head"]], turned) < 1e-5     # not the gaze controller's
    assert quat.angle_between(pose.rotations[BONE_INDEX["leftEye"]], quat.IDENTITY) < 1e-5
    assert pose.face[CHANNEL_INDEX["blinkLeft"]] == 1.0 and pose.face[CHANNEL_INDEX["aa"]] > 0.7
    assert receiver.rejected == 1 and receiver.packets == 4
    mei = live.world.pose(0)
    assert quat.angle_between(mei.rotations[BONE_INDEX["head"]], turned) > 1e-3           # Mei is her own
