"""Validate the answers before anything is written. On error: a French message naming the faulty
value, exit 1; cookiecutter then removes the half-created study folder."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path({{ cookiecutter._repo_dir | tojson }}) / "src"))

from diagnostic_territorial.erreurs import ErreurDiagnostic  # noqa: E402
from diagnostic_territorial.etude import verifier_millesime  # noqa: E402
from diagnostic_territorial.territoire import resoudre  # noqa: E402

REPONSES = {
    "territoire": {{ cookiecutter.territoire | tojson }},
    "code_territoire": {{ cookiecutter.code_territoire | tojson }},
    "millesime_rp": {{ cookiecutter.millesime_rp | tojson }},
    "millesime_filosofi": {{ cookiecutter.millesime_filosofi | tojson }},
}


def valider(reponses: dict) -> list[str]:
    erreurs = []
    slug = reponses["territoire"]
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,79}", slug):
        erreurs.append(
            f"Nom de dossier invalide : « {slug} ». Utilisez des minuscules sans accent, des chiffres et "
            "des tirets (ex. cc-coeur-de-garonne)."
        )
    try:
        resoudre(reponses["code_territoire"])
    except ErreurDiagnostic as e:
        erreurs.append(str(e))
    for cle, question in (("rp", "millesime_rp"), ("filosofi", "millesime_filosofi")):
        try:
            verifier_millesime(cle, reponses[question])
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    return erreurs


if __name__ == "__main__":
    problemes = valider(REPONSES)
    if problemes:
        print("\nL'étude n'a pas été créée :", file=sys.stderr)
        for p in problemes:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
