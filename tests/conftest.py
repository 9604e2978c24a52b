import shutil
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


def copie_etude(source: Path, dossier: Path) -> Path:
    """A copy of a study (tests that modify a shared study work on a copy)."""
    return Path(shutil.copytree(source, Path(dossier) / source.name, symlinks=True))


@pytest.fixture(scope="session")
def etude_preparee(tmp_path_factory) -> Path:
    """The demo study generated, its demo data installed and parsed into the cache (« make
    donnees-demo donnees »), not executed; built once for the session. Never modified: tests copy it."""
    from cookiecutter.main import cookiecutter

    chemin = Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(tmp_path_factory.mktemp("preparee"))))
    resultat = make(chemin, "donnees-demo", "donnees")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    return chemin


@pytest.fixture(scope="session")
def etude_executee(etude_preparee, tmp_path_factory) -> Path:
    """The demo study built once for the whole session (a copy of etude_preparee, then « make
    rapport »: executed notebooks and every deliverable). Tests that modify it work on a copy."""
    chemin = copie_etude(etude_preparee, tmp_path_factory.mktemp("demo"))
    resultat = make(chemin, "rapport")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    return chemin
