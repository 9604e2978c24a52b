"""Validate the answers before anything is written. On error: a French message naming the faulty
value, exit 1; cookiecutter then removes the half-created study folder (with an invalid folder name,
a placeholder folder: see reponses_litterales.py). An answer holding template markup (Jinja tags,
see config_yaml.MARQUEURS_MODELE) is refused: answers are data, never templates.

The checks live in the installed library (diagnostic_territorial.hooks_modele), as
cookiecutter-data-science keeps its hook helpers in its package: this hook needs no path to the
template. This file is itself rendered by Jinja: no template tag may appear in it but the one
filling CONTEXTE."""

import json
import sys
from pathlib import Path

try:
    from diagnostic_territorial import hooks_modele
except ImportError as e:
    sys.exit(f"\nL'étude n'a pas été créée : la bibliothèque diagnostic_territorial n'est pas installée pour "
             f"{sys.executable}, l'interpréteur qui lance cookiecutter ({e}). Installez-la dans cet "
             "environnement (dans le dossier du modèle : « make install », ou « python -m pip install -e . »), "
             "puis relancez cookiecutter depuis cet environnement.")

# Every answer, as cookiecutter holds it (the template extension reponses_litterales.py keeps an
# answer holding template markup literal: it reaches this hook unevaluated, and is refused here).
CONTEXTE = json.loads({{ cookiecutter | tojson | tojson }})


if __name__ == "__main__":
    problemes = hooks_modele.valider(CONTEXTE)
    if problemes:
        print("\nL'étude n'a pas été créée :", file=sys.stderr)
        for p in problemes:
            print(f"  - {p}", file=sys.stderr)
        sys.exit(1)
    # Regenerating into an existing study (cookiecutter -f): the consultant's files are set aside
    # here and put back by post_gen_project.py, whatever the template renders over them.
    hooks_modele.mettre_de_cote(Path.cwd())
