import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

from helpers import PROJECT
from three_vrm import find_chromium

# Property tests check values, not speed: no per-example deadline on a shared machine.
settings.register_profile("cohost", deadline=None)
settings.load_profile("cohost")


@pytest.fixture(scope="session")
def project() -> Path:
    return PROJECT


@pytest.fixture(scope="session", autouse=True)
def own_records(tmp_path_factory):
    """Shows served by the tests keep their records here, not in the user's data dir: one test's killed
    show must not make the next one go on from its segment."""
    import os
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def node_tools() -> Path:
    """tests/js with its npm packages (the Khronos glTF Validator, three.js and three-vrm, puppeteer-core),
    installed once from its lockfile. Where node or npm is missing the tests that need them are skipped,
    saying so."""
    folder = PROJECT / "tests" / "js"
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are not installed: this check runs the Khronos glTF Validator or three-vrm "
                    "from npm")
    wanted = json.loads((folder / "package.json").read_text())["dependencies"]
    if not all((folder / "node_modules" / name).is_dir() for name in wanted):
        out = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=folder, capture_output=True,
                             text=True, timeout=900)
        assert out.returncode == 0, f"npm ci in {folder} failed:\n{out.stderr[-2000:]}"
    return folder


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The machine's Chromium, which the VTuber app check drives headless (nothing is downloaded)."""
    found = find_chromium()
    if not found:
        pytest.skip("Chromium is not installed (apt-get install chromium): this check opens the host's VRM file "
                    "with three-vrm in headless Chromium")
    return Path(found)
