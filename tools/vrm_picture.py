"""The README's picture of a built host's VRM file as a VTuber app shows it: three.js + three-vrm in headless
Chromium (tests/js/vrm_view.js, the test's own viewer, in close-up), neutral and with expressions side by side.

    python tools/vrm_picture.py [rigs/mei.vrm] [--out rigs/mei_vrm.png] [--expressions happy aa surprised]

Needs node with tests/js's packages (`npm ci` there) and Chromium (`apt-get install chromium`).
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

PROJECT = Path(__file__).resolve().parents[1]
VIEWER = PROJECT / "tests" / "js" / "vrm_view.js"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("vrm", nargs="?", default=str(PROJECT / "rigs" / "mei.vrm"))
    p.add_argument("--out", default=str(PROJECT / "rigs" / "mei_vrm.png"))
    p.add_argument("--expressions", nargs="+", default=["happy", "aa", "surprised"])
    args = p.parse_args()
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if not chromium or not shutil.which("node"):
        sys.exit("vrm_picture: needs node and Chromium (apt-get install nodejs chromium)")
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run(["node", str(VIEWER), "--closeup", chromium, args.vrm, folder, *args.expressions],
                             capture_output=True, text=True, timeout=300)
        if out.returncode:
            sys.exit(f"vrm_picture: the viewer failed:\n{out.stderr[-2000:]}")
        report = json.loads(out.stdout.splitlines()[-1])
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
