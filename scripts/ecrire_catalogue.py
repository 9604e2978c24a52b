"""Write docs/indicateurs.md from the catalogue of indicators and sources/melodi.toml: for each
indicator, its formula on the variables of the former « bases communales » (RP 2022 and before,
Filosofi files...) and the Melodi dataset and cells that give each variable since 2024.

    .venv/bin/python scripts/ecrire_catalogue.py            # rewrite docs/indicateurs.md
    .venv/bin/python scripts/ecrire_catalogue.py --verifier # exit 1 if it is out of date (tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))

from diagnostic_territorial.indicateurs import catalogue as ci

CIBLE = RACINE / "docs" / "indicateurs.md"


def _formule(i: ci.Indicateur) -> str:
    def somme(termes):
        texte = " + ".join(t for t in termes).replace("+ -", "− ")
        return f"({texte})" if len(termes) > 1 else texte

    texte = somme(i.numerateur)
    if i.denominateur:
        texte += f" / {somme(i.denominateur)}"
    if i.facteur != 1:
        texte += f" × {i.facteur:g}"
    if i.source_denominateur and i.source_denominateur != i.source:
        texte += f" (dénominateur : {i.source_denominateur})"
    if i.evolution:
        texte = f"({texte} N / {texte} N-k)^(1/k) − 1, évolution annuelle moyenne depuis le millésime précédent"
    return texte


def contenu() -> str:
    lignes = [
        "# Catalogue des indicateurs",
        "",
        "Écrit par `scripts/ecrire_catalogue.py` depuis `src/diagnostic_territorial/indicateurs/catalogue.py` et",
        "`src/diagnostic_territorial/sources/melodi.toml` : ne pas modifier à la main.",
        "",
        "Pour chaque indicateur : sa formule sur les variables des anciennes bases communales (noms sans",
        "millésime : `P_POP0014` pour `P19_POP0014`) et, pour les sources publiées par Melodi depuis 2024,",
        "le jeu et les cellules qui donnent chaque variable (une dimension non nommée est prise à son",
        "total `_T`). « publié » : lu au niveau où la source le publie, jamais recalculé.",
        "",
    ]
    par_chapitre: dict[str, list[ci.Indicateur]] = {}
    for i in ci.CATALOGUE.values():
        par_chapitre.setdefault(i.chapitre, []).append(i)
    for chapitre, indicateurs in par_chapitre.items():
        lignes += [f"## {chapitre}", "", "| indicateur | source | formule | Melodi |", "|---|---|---|---|"]
        for i in indicateurs:
            melodi = "<br>".join(f"`{v}` : {jeu} `{c}`" for v, jeu, c in ci.definitions_melodi(i)) or "—"
            formule = f"`{_formule(i)}`" + ("" if i.agregeable else " (publié)")
            melodi = melodi.replace("|", "\\|")  # a table cell: « a|b » (sum of values) escaped
            lignes.append(f"| `{i.id}` {i.libelle} | {i.source} | {formule} | {melodi} |")
        lignes.append("")
    return "\n".join(lignes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verifier", action="store_true")
    args = parser.parse_args()
    texte = contenu()
    if args.verifier:
        if not CIBLE.exists() or CIBLE.read_text(encoding="utf-8") != texte:
            print("docs/indicateurs.md n'est pas à jour : lancez scripts/ecrire_catalogue.py")
            return 1
        print("docs/indicateurs.md à jour.")
        return 0
    CIBLE.write_text(texte, encoding="utf-8")
    print(f"Écrit : {CIBLE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
