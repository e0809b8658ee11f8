"""The README's picture of a built host's VRM file as a VTuber app shows it: three.js + three-vrm in headless
Chromium (tests/js/vrm_view.js, the test's own viewer, in close-up), neutral and with expressions side by side.

    python tools/vrm_picture.py [rigs/mei.vrm] [--out rigs/mei_vrm.png] [--expressions happy aa surprised]

Needs node with tests/js's packages (`npm ci` there) and Chromium (`apt-get install chromium`).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT / "tests"))

from three_vrm import find_chromium, view_in_three_vrm  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vrm", nargs="?", default=str(PROJECT / "rigs" / "mei.vrm"))
    p.add_argument("--out", default=str(PROJECT / "rigs" / "mei_vrm.png"))
    p.add_argument("--expressions", nargs="+", default=["happy", "aa", "surprised"])
    args = p.parse_args()
    chromium = find_chromium()
    if not chromium or not shutil.which("node"):
        sys.exit("vrm_picture: needs node and Chromium (apt-get install nodejs chromium)")
    with tempfile.TemporaryDirectory() as folder:
        try:
            report = view_in_three_vrm(chromium, args.vrm, folder, *args.expressions, closeup=True)
        except RuntimeError as e:
            sys.exit(f"vrm_picture: {e}")
        names = ["neutral", *args.expressions]
        pictures = [np.asarray(Image.open(Path(folder) / f"{n}.png").convert("RGB")) for n in names]
    Image.fromarray(np.hstack(pictures)).save(args.out, optimize=True)
    print(f"wrote {args.out}: {', '.join(names)} as three-vrm shows them; it parsed "
          f"{report['humanBones']} humanoid bones, {len(report['expressions'])} expressions, "
          f"look-at by {report['lookAtType']}, {report['springJoints']} spring joints, "
          f"{report['mtoonMaterials']} MToon materials of {report['materials']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
