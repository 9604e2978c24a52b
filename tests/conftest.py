import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))


@pytest.fixture(scope="session")
def racine() -> Path:
    return RACINE


def make(etude: Path, *cibles: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(etude), *cibles, f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="session")
def etude_executee(tmp_path_factory) -> Path:
    """The demo study generated and built once for the whole session (« make donnees-demo rapport »:
    data, executed notebooks and every deliverable). Tests that modify it work on a copy."""
    from cookiecutter.main import cookiecutter

    chemin = Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(tmp_path_factory.mktemp("demo"))))
    resultat = make(chemin, "donnees-demo", "rapport")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    return chemin
