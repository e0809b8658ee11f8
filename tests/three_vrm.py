"""Opening a VRM file in three-vrm (headless Chromium driven by js/vrm_view.js): the test's check and the
README picture's tool both go through here."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

VIEWER = Path(__file__).resolve().parent / "js" / "vrm_view.js"


def find_chromium() -> str | None:
    """The machine's Chromium, under any of its usual names (nothing is downloaded)."""
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)


def view_in_three_vrm(chromium: str | Path, vrm_file: str | Path, folder: str | Path, *expressions: str,
                      closeup: bool = False) -> dict:
    """What three-vrm parsed of `vrm_file`, with its pictures (neutral and each expression) in `folder`;
    RuntimeError with the viewer's output if it failed or the page threw."""
    out = subprocess.run(["node", str(VIEWER), *(["--closeup"] if closeup else []), str(chromium), str(vrm_file),
                          str(folder), *expressions], capture_output=True, text=True, timeout=300)
    if out.returncode:
        raise RuntimeError(f"the three-vrm viewer failed:\n{out.stderr[-3000:]}")
    report = json.loads(out.stdout.splitlines()[-1])
    if report["errors"]:
        raise RuntimeError(f"the page threw: {report['errors']}")
    return report
