"""Validate the answers before anything is written. On error: a French message naming the faulty
value, exit 1; cookiecutter then removes the half-created study folder (with an invalid folder name,
a placeholder folder: see reponses_litterales.py). An answer holding template markup (Jinja tags,
see config_yaml.MARQUEURS_MODELE) is refused: answers are data, never templates.
This file is itself rendered by Jinja: no template tag may appear in it but those filling REPONSES."""

import os
import sys
from pathlib import Path


def dossier_modele(repo_dir: str, template: str) -> Path:
    """The template folder. cookiecutter runs hooks from inside the new study while its own
    process sits in the template folder; it passes _repo_dir as typed (« cookiecutter . » gives
    "."), and cruft passes only _template."""
    candidats = []
    try:  # the cookiecutter (or cruft) process works in the template folder while hooks run
        candidats.append(Path(os.readlink(f"/proc/{os.getppid()}/cwd")))
    except OSError:
        pass
    for chemin in (repo_dir, template):
        if chemin:
            chemin = Path(chemin)
            candidats += [chemin] if chemin.is_absolute() else [Path(os.environ.get("PWD", "")) / chemin]
    for candidat in candidats:
        if (candidat / "cookiecutter.json").is_file() and (candidat / "src" / "diagnostic_territorial").is_dir():
            return candidat.resolve()
    sys.exit(f"Modèle introuvable depuis « {repo_dir or template} » : relancez cookiecutter avec le chemin "
             "absolu du modèle.")


sys.path.insert(0, str(dossier_modele({{ cookiecutter.get("_repo_dir", "") | tojson }},
                                      {{ cookiecutter.get("_template", "") | tojson }}) / "src"))

import json  # noqa: E402

from diagnostic_territorial.config_yaml import message_modele  # noqa: E402
from diagnostic_territorial.erreurs import ErreurDiagnostic  # noqa: E402
from diagnostic_territorial.etude import libelle_cadre, probleme_nom_dossier, verifier_millesime  # noqa: E402
from diagnostic_territorial.plan import lire_thematiques  # noqa: E402
from diagnostic_territorial.territoire import resoudre  # noqa: E402

# Every answer, as cookiecutter holds it (the template extension reponses_litterales.py keeps an
# answer holding template markup literal: it reaches this hook unevaluated, and is refused here).
CONTEXTE = json.loads({{ cookiecutter | tojson | tojson }})
REPONSES = {cle: valeur for cle, valeur in CONTEXTE.items() if not cle.startswith("_")}


def valider(reponses: dict) -> list[str]:
    erreurs = []
    suspectes = set()
    for cle, valeur in reponses.items():
        message = message_modele(f"Réponse « {cle} »", valeur)
        if message:
            suspectes.add(cle)
            erreurs.append(message)
    if "territoire" not in suspectes:
        probleme = probleme_nom_dossier(reponses.get("territoire"))
        if probleme:
            erreurs.append(probleme)
    if "code_territoire" not in suspectes:
        try:
            resoudre(reponses["code_territoire"])
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    for cle, question in (("rp", "millesime_rp"), ("filosofi", "millesime_filosofi")):
        if question in suspectes:
            continue
        try:
            verifier_millesime(cle, reponses[question])
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    if "cadre" not in suspectes:
        try:
            libelle_cadre(reponses.get("cadre"), CONTEXTE["_cadres"])
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    if "thematiques" not in suspectes:
        try:
            lire_thematiques(reponses.get("thematiques", "aucune"))
        except ValueError as e:
            erreurs.append(str(e))
    return erreurs


# Regenerating into an existing study (cookiecutter -f): the consultant's files are set aside
# here and put back by post_gen_project.py, whatever the template renders over them.
FICHIERS_DU_CONSULTANT = ["etude.yaml", "analyses", "plan_action.yaml", "observation_ciblee.yaml", "enquete",
                          "qualitatif"]
SAUVEGARDE = ".sauvegarde-regeneration"


def mettre_de_cote() -> None:
    import shutil

    etude = Path.cwd()
    if not (etude / "etude.yaml").exists():
        return
    sauvegarde = etude / SAUVEGARDE
    sauvegarde.mkdir(exist_ok=True)
    for nom in FICHIERS_DU_CONSULTANT:
        source = etude / nom
        if source.is_dir():
            shutil.copytree(source, sauvegarde / nom, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, sauvegarde / nom)


if __name__ == "__main__":
    problemes = valider(REPONSES)
    if problemes:
        print("\nL'étude n'a pas été créée :", file=sys.stderr)
        for p in problemes:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
    mettre_de_cote()
