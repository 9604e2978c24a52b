"""After rendering: copy what must not meet Jinja (notebooks, the library), resolve the territory
and write etude.yaml and the study's environment files."""

import os
import shutil
import sys
import tomllib
from pathlib import Path


def _dossier_modele(repo_dir: str) -> Path:
    """The template folder. cookiecutter passes it as typed (« cookiecutter . » gives "."), and
    runs hooks from inside the new study: resolve a relative path from the caller's folder."""
    chemin = Path(repo_dir)
    candidats = [chemin] if chemin.is_absolute() else [
        Path(os.environ.get("PWD", "")) / chemin, Path.cwd().parent / chemin, Path.cwd() / chemin]
    for candidat in candidats:
        if (candidat / "cookiecutter.json").is_file() and (candidat / "src" / "diagnostic_territorial").is_dir():
            return candidat.resolve()
    sys.exit(f"Modèle introuvable depuis « {repo_dir} » : relancez cookiecutter avec le chemin absolu du modèle.")


TEMPLATE = _dossier_modele({{ cookiecutter._repo_dir | tojson }})
sys.path.insert(0, str(TEMPLATE / "src"))

from diagnostic_territorial.etude import ecrire_etude_yaml  # noqa: E402
from diagnostic_territorial.territoire import resoudre  # noqa: E402

ETUDE = Path.cwd()
IGNORES = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")


def copier_arbre(source: Path, cible: Path) -> None:
    shutil.copytree(source, cible, ignore=IGNORES, dirs_exist_ok=True)


def ecrire_requirements() -> None:
    projet = tomllib.loads((TEMPLATE / "pyproject.toml").read_text(encoding="utf-8"))
    deps = projet["project"]["dependencies"]
    texte = "# Dépendances de l'étude (identiques à environment.yml) : pip install -r requirements.txt\n"
    (ETUDE / "requirements.txt").write_text(texte + "\n".join(deps) + "\n", encoding="utf-8")


def main() -> None:
    territoire = resoudre({{ cookiecutter.code_territoire | tojson }})
    copier_arbre(TEMPLATE / "notebooks", ETUDE / "notebooks")
    copier_arbre(TEMPLATE / "src" / "diagnostic_territorial", ETUDE / "src" / "diagnostic_territorial")
    shutil.copy2(TEMPLATE / "environment.yml", ETUDE / "environment.yml")
    # Same src/ layout as the template: « pip install -e . » in the study installs its own copy.
    shutil.copy2(TEMPLATE / "pyproject.toml", ETUDE / "pyproject.toml")
    ecrire_requirements()
    ecrire_etude_yaml(
        ETUDE / "etude.yaml",
        territoire,
        slug={{ cookiecutter.territoire | tojson }},
        consultant={{ cookiecutter.consultant | tojson }},
        rp=int({{ cookiecutter.millesime_rp | tojson }}),
        filosofi=int({{ cookiecutter.millesime_filosofi | tojson }}),
        sous_titre={{ cookiecutter.cadre | tojson }},
    )
    print(f"\nÉtude « {territoire.nom} » créée dans {ETUDE} ({len(territoire.communes)} communes).")
    print("Étapes suivantes : cd dans ce dossier, puis « make rapport » (voir README.md).")


if __name__ == "__main__":
    main()
