from pathlib import Path

import pytest

from helpers import PROJECT


@pytest.fixture(scope="session")
def project() -> Path:
    return PROJECT
