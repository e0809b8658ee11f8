"""Lips against the voice in a video as it was written or received (an MP4, a stream's recording): for each
line, the time the voice starts and the first frame in which the host's lips part, in a close-up whose
mouth stays where the set puts it. Their difference is the lip/audio offset a viewer sees.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from ..skeleton import quat


AUDIO_RATE = 22050
MOUTH_BOX = (14, 10)           # half width, half height in pixels of the patch read around the lips (640x360)
DARK = 250                     # a pixel of the open mouth: its R+G+B below this
OPEN_SHARE = 0.25              # lips apart: a quarter of the way from the closed mouth to the line's widest
FACING = np.cos(np.radians(20))   # a line is measured when the face is within 20 degrees of the camera
QUIET_S = 0.4                  # before each line, this long is taken as the closed mouth and the silence
LIPS_FROM_HEAD = np.array([0.0, 0.005, 0.095])   # m, host frame (+Y up, +Z forward) at rest
LOUD_SHARE = 0.05              # the voice starts where it first reaches this share of its loudest


@dataclass(frozen=True)
class LineSync:
    line_at: float             # when the line was asked to start, s
    voice_at: float            # the audio onset, s
    lips_at: float             # the first frame with the lips apart, s

    @property
    def offset(self) -> float:
        """Lips minus voice, s: positive when the picture is late."""
        return self.lips_at - self.voice_at


@dataclass(frozen=True)
class MouthTrack:
    """Where a host's lips are in each frame, and how squarely its face is turned to the camera."""
    pixels: np.ndarray         # (frames, 2) x, y
    facing: np.ndarray         # (frames,) cosine of the angle between the face's forward and the camera


def mouth_track(scene: str | Path, says: list[str], size: tuple[int, int], camera: str, fps: int, count: int,
                host: int = 0) -> MouthTrack:
    """The lips of a host in each of `count` frames of a render of `scene` with lines `says` (as `cohost
    render` makes it; the show is deterministic, so this is where they were in the video). The head moves
    and turns: a fixed patch would drift off the mouth."""
    from ..scene.render import OffscreenRenderer
    from ..show.staging import on_stage
    spec, _, bring_to_life = on_stage(scene, says, count / fps)
    pixels, facing = np.zeros((count, 2), int), np.zeros(count)
    with OffscreenRenderer(spec, size, camera=camera, fps=fps, antialias="off") as r:      # posed, not drawn
        bring_to_life(r.stage)
        character = r.stage.hosts[host].character
        skeleton = r.stage.skeletons()[host]
        head_bone = skeleton.index("head")
        for i in range(count):
            r.reach(i)
            # The lips sit in front of the head (host frame), turned with it: its rotation from rest.
            turned, _ = skeleton.joint_world(r.stage.ticker.world.pose(host).rotations, head_bone)
            lips = character.bone_positions()["head"] + character.frame @ quat.rotate(turned, LIPS_FROM_HEAD)
            point = np.array(r.scene.get_relative_point(character.root, tuple(lips)))
            pixels[i] = r.project(point, point)[:2]
            ahead = character.frame @ quat.rotate(turned, np.array([0.0, 0.0, 1.0]))
            forward = np.array(r.scene.get_relative_vector(character.root, tuple(ahead)))
            to_camera = np.array(r.camera.get_pos(r.scene)) - point
            facing[i] = forward @ to_camera / (np.linalg.norm(forward) * np.linalg.norm(to_camera))
    return MouthTrack(pixels, facing)


@dataclass
class Recording:
    """What a viewer's player has of a video: the lips' darkness frame by frame and the sound, each on the
    file's own timeline (a stream's video may start after its audio, which begins with the AAC encoder's
    priming samples)."""
    dark: np.ndarray           # dark pixels around the lips, per frame
    facing: np.ndarray         # how squarely the face is turned to the camera, per frame (MouthTrack.facing)
    fps: float
    video_start: float         # s: the first frame's timestamp
    audio: np.ndarray          # mono, AUDIO_RATE
    audio_start: float         # s: the first sample's timestamp

    @property
    def video_end(self) -> float:
        return self.video_start + len(self.dark) / self.fps

    @property
    def audio_end(self) -> float:
        return self.audio_start + len(self.audio) / AUDIO_RATE


def read_video(video: str | Path, mouths: MouthTrack) -> Recording:
    """A video file's lips (where `mouths` has them in each frame) and sound; frames are read one at a
    time, so a long recording fits in memory."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    w, h = meta["size"]
    dx, dy = MOUTH_BOX
    dark = np.array([int((np.frombuffer(f, np.uint8).reshape(h, w, 3)[y - dy:y + dy, x - dx:x + dx].astype(int)
                          .sum(-1) < DARK).sum()) for f, (x, y) in zip(reader, mouths.pixels)])
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", str(video), "-f", "s16le", "-ac", "1", "-ar", str(AUDIO_RATE),
                          "-"], capture_output=True, check=True).stdout
    fps = float(meta["fps"])
    if not fps:                                        # a stream's container may not say; its codec does
        info = subprocess.run([ffmpeg, "-hide_banner", "-i", str(video)], capture_output=True, text=True).stderr
        fps = float(re.search(r"(\d+(?:\.\d+)?) fps", info).group(1))
    return Recording(dark, mouths.facing[:len(dark)], fps, _first_timestamp(video, "v"),
                     np.frombuffer(raw, np.int16).astype(float), _first_timestamp(video, "a"))


def _first_timestamp(video: str | Path, stream: str) -> float:
    show = "showinfo" if stream == "v" else "ashowinfo"
    info = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(video), "-map", f"0:{stream}",
                           f"-frames:{stream}", "1", f"-{stream}f" if stream == "v" else "-af", show, "-f", "null", "-"],
                          capture_output=True, text=True).stderr
    return float(re.search(r"pts_time:(-?[\d.]+)", info).group(1))


def line_syncs(rec: Recording, starts: list[float], span_s: float = 1.0) -> list[LineSync]:
    """The voice onset and the lips' parting of each line asked to start at `starts` (s), each line
    after at least QUIET_S of silence with the mouth closed; found within `span_s` of its start. A line
    said with the face turned away from the camera is left out: its lips are not seen from the front."""
    out = []
    frame = lambda t: int(round((t - rec.video_start) * rec.fps))            # noqa: E731
    sample = lambda t: int(round((t - rec.audio_start) * AUDIO_RATE))        # noqa: E731
    for start in starts:
        if rec.facing[max(0, frame(start - QUIET_S)):frame(start + span_s)].min(initial=1.0) < FACING:
            continue
        closed = rec.dark[max(0, frame(start - QUIET_S)):max(1, frame(start) - 2)].max()
        first = max(0, frame(start - QUIET_S / 2))
        during = rec.dark[first:frame(start + span_s)]
        opened = np.nonzero(during > closed + OPEN_SHARE * (during.max() - closed))[0]
        a0 = max(0, sample(start - QUIET_S / 2))
        window = np.abs(rec.audio[a0:sample(start + span_s)])
        loud = np.nonzero(window > LOUD_SHARE * window.max())[0] if window.size and window.max() > 0 else []
        if len(opened) and len(loud):
            out.append(LineSync(start, rec.audio_start + (a0 + loud[0]) / AUDIO_RATE,
                                rec.video_start + (first + opened[0]) / rec.fps))
    return out
