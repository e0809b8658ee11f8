from pathlib import Path

import pytest
from hypothesis import settings

from helpers import PROJECT

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
