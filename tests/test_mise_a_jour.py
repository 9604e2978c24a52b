"""A study generated from an older template takes the new template with cruft, and the
consultant's files (analyses/, data/, etude.yaml...) are kept."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

IGNORES = shutil.ignore_patterns(".git", ".venv", "demo", "build", "__pycache__", ".pytest_cache",
                                 ".hypothesis", "*.egg-info")


def git(dossier: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(dossier), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"}).stdout.strip()


@pytest.mark.lent  # copies the template, git, cookiecutter then cruft update in subprocesses
def test_cruft_update_entre_deux_versions_du_modele(racine, tmp_path):
    modele = tmp_path / "modele"
    shutil.copytree(racine, modele, symlinks=True, ignore=IGNORES)
    git(modele, "init", "-q", "-b", "main")
    git(modele, "add", "-A")
    git(modele, "commit", "-q", "-m", "v1")
    v1 = git(modele, "rev-parse", "HEAD")

    etude = Path(cookiecutter(str(modele), no_input=True, output_dir=str(tmp_path / "etudes")))
    etat = json.loads((etude / ".cruft.json").read_text(encoding="utf-8"))
    assert etat["commit"] == v1 and Path(etat["template"]) == modele.resolve()
    assert "analyses" in etat["skip"] and "etude.yaml" in etat["skip"]
    git(etude, "init", "-q", "-b", "main")
    git(etude, "add", "-A")
    git(etude, "commit", "-q", "-m", "génération")
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text("La population croît plus vite que celle du département.\n", encoding="utf-8")
    git(etude, "commit", "-q", "-am", "analyse du consultant")

    # v2 of the template: the study README, the library and an analysis guide change.
    readme = modele / "{{cookiecutter.territoire}}" / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNouveauté de la version 2.\n", encoding="utf-8")
    init = modele / "src" / "diagnostic_territorial" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace('__version__ = "', '__version__ = "9.'),
                    encoding="utf-8")
    guide = modele / "{{cookiecutter.territoire}}" / "analyses" / "demographie.md"
    guide.write_text("<!-- nouveau guide -->\n", encoding="utf-8")
    git(modele, "commit", "-q", "-am", "v2")
    v2 = git(modele, "rev-parse", "HEAD")

    resultat = subprocess.run([sys.executable, "-m", "cruft", "update", "--skip-apply-ask"], cwd=etude,
                              capture_output=True, text=True, timeout=300)
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "Nouveauté de la version 2." in (etude / "README.md").read_text(encoding="utf-8")
    assert '__version__ = "9.' in (etude / "src" / "diagnostic_territorial" / "__init__.py").read_text()
    assert analyse.read_text(encoding="utf-8") == "La population croît plus vite que celle du département.\n"
    assert json.loads((etude / ".cruft.json").read_text(encoding="utf-8"))["commit"] == v2
    assert not list(etude.rglob("*.rej"))


@pytest.fixture
def racine_sans_git(racine, tmp_path):
    copie = tmp_path / "copie"
    shutil.copytree(racine, copie, symlinks=True, ignore=IGNORES)
    return copie


def test_modele_hors_git_pas_de_cruft(racine_sans_git, tmp_path):
    etude = Path(cookiecutter(str(racine_sans_git), no_input=True, output_dir=str(tmp_path / "e")))
    assert not (etude / ".cruft.json").exists()
    assert (etude / "etude.yaml").exists()
