"""A study generated from an older template takes the new template with cruft, and the
consultant's files (analyses/, data/, etude.yaml...) are kept; a notebook saved with its outputs in
JupyterLab gets in the way neither of git nor of cruft (nbstripout filter)."""

import importlib.util
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


def modele_v1(racine: Path, tmp_path: Path) -> tuple[Path, str]:
    """A git clone of the template (its first version) and its commit."""
    modele = tmp_path / "modele"
    shutil.copytree(racine, modele, symlinks=True, ignore=IGNORES)
    git(modele, "init", "-q", "-b", "main")
    git(modele, "add", "-A")
    git(modele, "commit", "-q", "-m", "v1")
    return modele, git(modele, "rev-parse", "HEAD")


def generer(modele: Path, v1: str, tmp_path: Path) -> Path:
    """A study of the template's first version: a git repository with its first commit."""
    etude = Path(cookiecutter(str(modele), no_input=True, output_dir=str(tmp_path / "etudes")))
    etat = json.loads((etude / ".cruft.json").read_text(encoding="utf-8"))
    assert etat["commit"] == v1 and Path(etat["template"]) == modele.resolve()
    assert "analyses" in etat["skip"] and "etude.yaml" in etat["skip"]
    assert git(etude, "rev-list", "--count", "HEAD") == "1"  # the first commit, made by the hook
    assert git(etude, "status", "--porcelain") == ""
    return etude


def cruft_update(etude: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cruft", "update", "--skip-apply-ask"], cwd=etude,
                          capture_output=True, text=True, timeout=300)


def reference_bibliotheque(etude: Path) -> str:
    texte = (etude / "pyproject.toml").read_text(encoding="utf-8")
    return next(ligne for ligne in texte.splitlines() if '"diagnostic-territorial @' in ligne)


@pytest.mark.lent  # copies the template, git, cookiecutter then cruft update in subprocesses
def test_cruft_update_entre_deux_versions_du_modele(racine, tmp_path):
    modele, v1 = modele_v1(racine, tmp_path)
    etude = generer(modele, v1, tmp_path)
    assert reference_bibliotheque(etude).endswith(f'@{v1}",')
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text("La population croît plus vite que celle du département.\n", encoding="utf-8")
    git(etude, "commit", "-q", "-am", "analyse du consultant")

    # v2 of the template: the study README and an analysis guide change.
    readme = modele / "{{cookiecutter.territoire}}" / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNouveauté de la version 2.\n", encoding="utf-8")
    guide = modele / "{{cookiecutter.territoire}}" / "analyses" / "demographie.md"
    guide.write_text("<!-- nouveau guide -->\n", encoding="utf-8")
    git(modele, "commit", "-q", "-am", "v2")
    v2 = git(modele, "rev-parse", "HEAD")

    resultat = cruft_update(etude)
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "Nouveauté de la version 2." in (etude / "README.md").read_text(encoding="utf-8")
    # The library the study installs (make env) follows the template: its commit moved forward.
    assert reference_bibliotheque(etude).endswith(f'@{v2}",')
    assert analyse.read_text(encoding="utf-8") == "La population croît plus vite que celle du département.\n"
    assert json.loads((etude / ".cruft.json").read_text(encoding="utf-8"))["commit"] == v2
    assert not list(etude.rglob("*.rej"))
    # cruft's renderings of the template brought no repository of their own into the study
    assert [p for p in etude.rglob(".git") if p != etude / ".git"] == []
    assert git(etude, "rev-list", "--count", "HEAD") == "2"


def ecrire_comme_jupyterlab(chemin: Path, nb: dict) -> None:
    """JupyterLab's own way of writing a notebook (nbformat: sorted keys, one-space indent)."""
    chemin.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def executer_comme_jupyterlab(nb: dict, execution: int) -> None:
    """What running every cell and saving in JupyterLab writes into the notebook."""
    for n, cellule in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cellule["execution_count"] = execution * 100 + n
        cellule["outputs"] = [
            {"name": "stdout", "output_type": "stream", "text": [f"Exécution {execution}, cellule {n}\n"]},
            {"data": {"text/html": ["<table><tr><td>12 345 habitants</td></tr></table>"],
                      "text/plain": ["12 345 habitants"]},
             "execution_count": execution * 100 + n, "metadata": {}, "output_type": "execute_result"},
        ]
        cellule["metadata"]["execution"] = {"iopub.execute_input": f"2026-01-0{execution}T10:00:00.000Z"}
    nb["metadata"]["kernelspec"]["display_name"] = "Python 3 (ipykernel)"
    nb["metadata"]["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": f"3.11.{execution}",
    }


@pytest.mark.lent  # copies the template, git, cookiecutter then cruft update in subprocesses
def test_notebook_enregistre_avec_ses_sorties_ne_bloque_pas_cruft_update(racine, tmp_path):
    if importlib.util.find_spec("nbstripout") is None:
        pytest.skip("nbstripout absent de l'environnement : le filtre git des notebooks n'est pas configuré")
    modele, v1 = modele_v1(racine, tmp_path)
    etude = generer(modele, v1, tmp_path)
    chemin = etude / "notebooks" / "01_demographie.ipynb"

    # The consultant adds a cell of their own, runs the notebook in JupyterLab, saves and commits.
    nb = json.loads(chemin.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "markdown", "id": "lecture-consultant", "metadata": {},
                        "source": ["Lecture du consultant : la population vieillit plus vite qu'ailleurs."]})
    executer_comme_jupyterlab(nb, 1)
    ecrire_comme_jupyterlab(chemin, nb)
    git(etude, "add", "-A")
    git(etude, "commit", "-q", "-m", "lecture du consultant")
    enregistre = git(etude, "show", "HEAD:notebooks/01_demographie.ipynb")
    assert "Lecture du consultant" in enregistre
    assert "12 345 habitants" not in enregistre and "Exécution 1" not in enregistre  # outputs never reach git
    assert '"version": "3.11.1"' not in enregistre and '"execution_count": null' in enregistre

    # Run and saved again, not committed: for git, nothing changed (cruft refuses a dirty tree).
    executer_comme_jupyterlab(nb, 2)
    ecrire_comme_jupyterlab(chemin, nb)
    assert "Exécution 2" in chemin.read_text(encoding="utf-8")
    assert git(etude, "status", "--porcelain") == ""

    # v2 of the template rewrites the notebook's introduction (the template's notebooks are written
    # as JupyterLab writes them, without outputs).
    gabarit = modele / "{{cookiecutter.territoire}}" / "notebooks" / "01_demographie.ipynb"
    nb_modele = json.loads(gabarit.read_text(encoding="utf-8"))
    nb_modele["cells"][0]["source"][0] = "# Dynamique démographique (version 2)\n"
    ecrire_comme_jupyterlab(gabarit, nb_modele)
    git(modele, "commit", "-q", "-am", "v2")
    v2 = git(modele, "rev-parse", "HEAD")

    resultat = cruft_update(etude)
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr
    assert "Good work" in resultat.stdout, resultat.stdout + resultat.stderr
    assert not list(etude.rglob("*.rej"))
    texte = chemin.read_text(encoding="utf-8")
    assert "# Dynamique démographique (version 2)" in texte  # the template's change
    assert "Lecture du consultant : la population vieillit plus vite qu'ailleurs." in texte  # the consultant's
    json.loads(texte)
    assert json.loads((etude / ".cruft.json").read_text(encoding="utf-8"))["commit"] == v2


@pytest.fixture
def racine_sans_git(racine, tmp_path):
    copie = tmp_path / "copie"
    shutil.copytree(racine, copie, symlinks=True, ignore=IGNORES)
    return copie


def test_modele_hors_git_pas_de_cruft(racine_sans_git, tmp_path):
    etude = Path(cookiecutter(str(racine_sans_git), no_input=True, output_dir=str(tmp_path / "e")))
    assert not (etude / ".cruft.json").exists()
    assert (etude / "etude.yaml").exists()
