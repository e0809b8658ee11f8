"""`cohost inspect RIG --png`: the skeleton drawn where the mesh is, a face per viseme that differs where
the rig has the shape and is marked missing where it has not, and a verdict on readiness."""
import subprocess
import sys

import numpy as np

from runtime.scene.rig_sheet import FACE_SHAPES, readiness, shoot

from helpers import PROJECT, asset, changed_pixels

MEI = PROJECT / "rigs" / "mei.glb"


def on_mesh(image: np.ndarray, point, backdrop: np.ndarray) -> bool:
    x, y = (int(round(v)) for v in point)
    return bool(np.abs(image[y - 1:y + 2, x - 1:x + 2].astype(int) - backdrop).sum(-1).min() > 30)


def test_the_skeleton_lies_on_the_mesh_from_every_side_and_every_mouth_shape_shows():
    shots = shoot(MEI)
    assert [label for label, _, _ in shots.views] == ["front", "side", "back"]
    for label, image, bones in shots.views:
        backdrop = image[2, 2].astype(int)
        joints = [child for child, _ in bones]
        assert len(bones) >= 50, label
        share = np.mean([on_mesh(image, p, backdrop) for p in joints])
        assert share > 0.9, (label, share)            # the bones sit inside the body, not beside it
    front, side = shots.views[0][2], shots.views[1][2]
    width = lambda bones: np.ptp([p[0] for pair in bones for p in pair])  # noqa: E731
    assert width(front) > 3 * width(side)              # arms spread in front, one behind the other from the side
    faces = dict(shots.faces)
    assert list(faces) == list(FACE_SHAPES) and all(f is not None for f in faces.values())
    for shape in ("aa", "oh", "blink"):
        assert changed_pixels(faces[shape], faces["sil"]) > 150, shape
    assert readiness(shots.info) == []


def test_a_rig_without_a_face_is_not_ready_and_says_why(tmp_path):
    rig = asset("CesiumMan.glb")
    out = subprocess.run([sys.executable, "-m", "runtime", "inspect", str(rig), "--png", str(tmp_path / "c.png")],
                         cwd=PROJECT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"wrote {tmp_path / 'c.png'}: not ready: 36 bones missing, visemes 0/15, no blink" in out.stdout
    assert (tmp_path / "c.png").stat().st_size > 50_000
    shots = shoot(rig)
    assert all(face is None for _, face in shots.faces)
