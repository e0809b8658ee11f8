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
