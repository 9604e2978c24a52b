"""After rendering: resolve the territory, write etude.yaml, requirements.txt, the library's
reference in the study's pyproject.toml and .cruft.json (so that « cruft update » can bring later
template versions), then make the study a git repository with a first commit and the nbstripout
filter for its notebooks. The work is done by the installed library
(diagnostic_territorial.hooks_modele.apres_generation): this hook needs no path to the template."""

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

CONTEXTE = json.loads({{ cookiecutter | tojson | tojson }})


if __name__ == "__main__":
    hooks_modele.apres_generation(Path.cwd(), CONTEXTE)
