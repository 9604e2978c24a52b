import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))


@pytest.fixture(scope="session")
def racine() -> Path:
    return RACINE
