"""Write the notebooks of the chapters built from the indicator catalogue (chapitres/generique.py):
one ``##`` heading and one call per section of the chapter's plan, so that the headings of the
notebooks and the plans never drift apart. The plans are data (src/diagnostic_territorial/
catalogue/plans.yaml, validated at load): after retitling or adding a section there, run this
script.

    .venv/bin/python scripts/ecrire_notebooks.py          # rewrite the notebooks
    .venv/bin/python scripts/ecrire_notebooks.py --verifier  # exit 1 if one is out of date (tests)

Cell ids are derived from the chapter and the cell's position: the output is deterministic.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import nbformat

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))

from diagnostic_territorial.chapitres.generique import charger_plans  # noqa: E402
from diagnostic_territorial.erreurs import ErreurDiagnostic  # noqa: E402
from diagnostic_territorial.chapitres.plan import CHAPITRES, THEMATIQUES_SPECIFIQUES  # noqa: E402

DOSSIER = RACINE / "notebooks"
PARAMETRES = '# Paramètres (papermill les remplace ; valeurs par défaut pour JupyterLab)\netude_yaml = "../etude.yaml"'
SI_CONTENU = "si-contenu"
TITRE_PAROLE = "Ce qu'en disent les habitants et les acteurs"
# Chapters with their own module (chapitres/demographie.py, acces_aux_droits.py...) are not written here.
AUTRES = ("demographie", "acces_aux_droits")


def _id(cle: str, n: int) -> str:
    return hashlib.sha1(f"{cle}:{n}".encode()).hexdigest()[:8]


def notebook(cle: str) -> nbformat.NotebookNode:
    c = next(x for x in CHAPITRES if x.cle == cle)
    p = charger_plans()[0][cle]
    v4 = nbformat.v4
    cellules = [
        v4.new_markdown_cell(f"# {c.titre}\n\n{p.introduction}".rstrip()),
        v4.new_code_cell(PARAMETRES, metadata={"tags": ["parameters"]}),
        v4.new_code_cell("from diagnostic_territorial.chapitres import analyse, generique, ouvrir_etude\n\n"
                         f'etude = ouvrir_etude(etude_yaml)\nch = generique.ouvrir(etude, "{cle}")'),
        v4.new_code_cell("ch.a_retenir()"),
    ]
    for s in p.sections:
        if cle == "thematiques_specifiques":
            titre = THEMATIQUES_SPECIFIQUES[s.cle]
            cellules += [v4.new_markdown_cell(f"## {titre}", metadata={"tags": [SI_CONTENU]}),
                         v4.new_code_cell(f'ch.thematique("{s.cle}")')]
        else:
            cellules += [v4.new_markdown_cell(f"## {s.titre}"), v4.new_code_cell(f'ch.section("{s.cle}")')]
    if p.parole and cle != "thematiques_specifiques":
        cellules += [v4.new_markdown_cell(f"## {TITRE_PAROLE}", metadata={"tags": [SI_CONTENU]}),
                     v4.new_code_cell("ch.parole()")]
    cellules += [v4.new_markdown_cell("## Analyse"), v4.new_code_cell(f'analyse(etude, "{cle}")')]
    for n, cellule in enumerate(cellules):
        cellule["id"] = _id(cle, n)
    nb = v4.new_notebook(cells=cellules)
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verifier", action="store_true", help="vérifier sans écrire")
    args = parser.parse_args(argv)
    try:  # validated at load: a wrong plans.yaml is named (file, line, chapter, section, field)
        plans, thematiques = charger_plans()
    except ErreurDiagnostic as e:
        print(e, file=sys.stderr)
        return 1
    assert set(thematiques) == set(THEMATIQUES_SPECIFIQUES), "plan.py et plans.yaml : thématiques différentes"
    perimes = []
    for cle in [c for c in plans if c not in AUTRES]:
        c = next(x for x in CHAPITRES if x.cle == cle)
        chemin = DOSSIER / c.notebook
        texte = nbformat.writes(notebook(cle)) + "\n"
        if chemin.exists() and chemin.read_text(encoding="utf-8") == texte:
            continue
        perimes.append(chemin.name)
        if not args.verifier:
            chemin.write_text(texte, encoding="utf-8")
    if args.verifier and perimes:
        print("Notebooks à régénérer (scripts/ecrire_notebooks.py) : " + ", ".join(perimes))
        return 1
    print("Notebooks à jour." if not perimes else "Notebooks écrits : " + ", ".join(perimes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
