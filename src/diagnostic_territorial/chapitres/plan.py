"""The report's plan: chapters in order, their notebook, title and the data each one needs.

Besides the plan's chapters (``CHAPITRES``, notebooks of the study's ``notebooks/``), a study may
hold the consultant's own notebooks in ``complements/`` (a local survey, a partner's data): each
one is a chapter of the report, placed after the plan's chapters and before those that come after
the others (the synthèse), in the order of the file names; see :func:`complements` and
:func:`chapitres_etude`. The template ships no notebook there (only a LISEZMOI.md), so that
« cruft update » never touches them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from diagnostic_territorial.erreurs import ErreurDiagnostic

# The study's folder of the consultant's own notebooks, and the prefix of their chapter keys (a key
# is also a file name: build/notebooks/<cle>.ipynb, build/resultats/<cle>.json).
DOSSIER_COMPLEMENTS = "complements"
PREFIXE_COMPLEMENT = "complement-"


class ComplementInvalide(ErreurDiagnostic):
    """A notebook of complements/ cannot be read (not JSON, not a notebook)."""


@dataclass(frozen=True)
class Chapitre:
    cle: str
    notebook: str  # file name, in the study's folder `dossier`
    titre: str
    apres_les_autres: bool = False  # the synthèse reads what the other chapters found
    dossier: str = "notebooks"  # « complements » for the consultant's own notebooks

    @property
    def complement(self) -> bool:
        return self.dossier == DOSSIER_COMPLEMENTS

    @property
    def notebook_execute(self) -> str:
        """File name of the executed notebook in build/notebooks/: the plan's own name, or
        « complement-<nom>.ipynb » (one flat folder, no clash with the plan's notebooks)."""
        return f"{self.cle}.ipynb" if self.complement else self.notebook


CHAPITRES: tuple[Chapitre, ...] = (
    Chapitre("demographie", "01_demographie.ipynb", "Dynamique démographique"),
    Chapitre("economie", "02_economie.ipynb", "Dynamique économique"),
    Chapitre("emploi", "03_emploi.ipynb", "Dynamique de l'emploi"),
    Chapitre("cadre_de_vie", "04_cadre_de_vie.ipynb", "Cadre de vie"),
    Chapitre("petite_enfance", "05_petite_enfance.ipynb", "Petite enfance (0-2 ans)"),
    Chapitre("enfance", "06_enfance.ipynb", "Enfance (3-11 ans)"),
    Chapitre("jeunesse", "07_jeunesse.ipynb", "Jeunesse (12-25 ans)"),
    Chapitre("parentalite", "08_parentalite.ipynb", "Parentalité et familles"),
    Chapitre("vie_sociale", "09_vie_sociale.ipynb", "Vie sociale et isolement"),
    Chapitre("acces_aux_droits", "10_acces_aux_droits.ipynb", "Accès aux droits, revenus et pauvreté"),
    Chapitre("thematiques_specifiques", "11_thematiques_specifiques.ipynb", "Thématiques spécifiques"),
    # Survey of the inhabitants and qualitative material of the study (enquete/, qualitatif/).
    Chapitre("parole_habitants", "11b_parole_habitants.ipynb", "Parole des habitants"),
    Chapitre("observation_ciblee", "12_observation_ciblee.ipynb", "Observation ciblée"),
    Chapitre("synthese", "13_synthese.ipynb", "Synthèse et enjeux", apres_les_autres=True),
)


# Thématiques spécifiques a study may retain (cookiecutter question « thematiques », etude.yaml
# etude.thematiques); each one is a section of the chapter « Thématiques spécifiques ».
THEMATIQUES_SPECIFIQUES: dict[str, str] = {
    "nouveaux_habitants": "Nouveaux habitants",
    "pauvrete_precarite": "Pauvreté et précarité",
    "isolement_personnes_agees": "Isolement des personnes âgées",
    "mobilite": "Mobilité",
    "logement": "Logement",
    "insertion": "Insertion professionnelle",
}
AUCUNE_THEMATIQUE = ("aucune", "aucun", "non", "-")


def lire_thematiques(reponse) -> list[str]:
    """« nouveaux_habitants, Mobilité » -> ["nouveaux_habitants", "mobilite"]; a list is accepted too.
    Keys or French names, any case or accents; « aucune » gives []. ValueError (French message
    naming the value and listing the valid ones) for an unknown thématique."""
    import unicodedata

    def cle(texte: str) -> str:
        simple = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii").lower().strip()
        return "_".join(simple.replace("-", " ").replace("'", " ").split())

    morceaux = reponse if isinstance(reponse, (list, tuple)) else str(reponse or "").split(",")
    morceaux = [str(m).strip() for m in morceaux if str(m).strip()]
    if len(morceaux) == 1 and morceaux[0].lower() in AUCUNE_THEMATIQUE:
        return []
    connues = {cle(k): k for k in THEMATIQUES_SPECIFIQUES} | {cle(v): k for k, v in THEMATIQUES_SPECIFIQUES.items()}
    resultat = []
    for m in morceaux:
        trouve = connues.get(cle(m))
        if trouve is None:
            raise ValueError(f"Thématique spécifique inconnue : « {m} ». Thématiques possibles : "
                             f"{', '.join(THEMATIQUES_SPECIFIQUES)} (ou « aucune »).")
        if trouve not in resultat:
            resultat.append(trouve)
    return resultat


def chapitre(cle: str) -> Chapitre:
    for c in CHAPITRES:
        if c.cle == cle:
            return c
    raise KeyError(f"Chapitre inconnu : « {cle} ». Chapitres : {', '.join(c.cle for c in CHAPITRES)}")


# --- The consultant's own notebooks (complements/) -------------------------------------------

def _ordre(nom: str) -> tuple[str, str]:
    """Alphabetical order of file names, ignoring case and accents (« Économie » between « D » and « F »)."""
    simple = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return simple.casefold(), nom


def _titre_du_nom(nom: str) -> str:
    """The title of a notebook without a « # » heading: its file name without the leading number
    and the extension, « _ » as spaces (« 02_donnees_partenaire.ipynb » -> « Donnees partenaire »)."""
    racine = nom[: -len(".ipynb")]
    texte = re.sub(r"^\d+[a-z]?[ _.-]+", "", racine) or racine
    texte = " ".join(texte.replace("_", " ").split()) or racine
    return texte[:1].upper() + texte[1:]


def _premier_titre(cellules: list) -> str | None:
    """The text of the first level-1 heading of the markdown cells (read like the report does:
    not inside a fenced code block nor an HTML box)."""
    from diagnostic_territorial.livrables.rapport import _decouper_markdown

    for cellule in cellules:
        if not isinstance(cellule, dict) or cellule.get("cell_type") != "markdown":
            continue
        source = cellule.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        for morceau in _decouper_markdown(source):
            if isinstance(morceau, tuple) and morceau[0] == 1:
                return morceau[1]
    return None


def _lire_complement(chemin: Path) -> Chapitre:
    nom = f"{DOSSIER_COMPLEMENTS}/{chemin.name}"
    conseil = f"Corrigez-le (ouvrez-le dans JupyterLab) ou retirez-le du dossier {DOSSIER_COMPLEMENTS}/."
    try:
        nb = json.loads(chemin.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ComplementInvalide(f"Notebook complémentaire illisible : « {nom} » n'est pas un fichier texte UTF-8, "
                                 f"donc pas un notebook Jupyter. {conseil}") from None
    except ValueError as e:
        ou = f" (ligne {e.lineno}, colonne {e.colno} : {e.msg})" if isinstance(e, json.JSONDecodeError) else ""
        raise ComplementInvalide(
            f"Notebook complémentaire illisible : « {nom} » n'est pas un JSON valide{ou}, donc pas un notebook "
            f"Jupyter (fichier tronqué, ou marques de conflit git « <<<<<<< » ?). {conseil}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ComplementInvalide(f"Notebook complémentaire illisible : « {nom} » est un JSON mais pas un notebook "
                                 f"Jupyter (pas de liste « cells »). {conseil}")
    titre = _premier_titre(nb["cells"]) or _titre_du_nom(chemin.name)
    return Chapitre(PREFIXE_COMPLEMENT + chemin.name[: -len(".ipynb")], chemin.name, titre,
                    dossier=DOSSIER_COMPLEMENTS)


def complements(racine) -> list[Chapitre]:
    """The consultant's notebooks of <racine>/complements/ as chapters, in the alphabetical order of
    their file names (case and accents ignored; a number prefix « 01_ » chooses the order).

    Only the « *.ipynb » files directly in the folder count: other files (data the notebooks read, the
    LISEZMOI), subfolders and hidden files (« .ipynb_checkpoints/ », « ._x.ipynb ») are not chapters.
    A chapter's key is « complement-<file name without .ipynb> », its title the notebook's first « # »
    heading, or else its file name (:func:`_titre_du_nom`). ComplementInvalide (French message naming
    the file) for a file that is not a notebook (invalid JSON, a git conflict left in it...)."""
    dossier = Path(racine) / DOSSIER_COMPLEMENTS
    if not dossier.is_dir():
        return []
    fichiers = [p for p in dossier.iterdir()
                if p.name.endswith(".ipynb") and not p.name.startswith(".") and p.is_file()]
    return [_lire_complement(p) for p in sorted(fichiers, key=lambda p: _ordre(p.name))]


def chapitres_etude(racine) -> list[Chapitre]:
    """Every chapter of the report of the study at `racine`, in order (their number is their
    position + 1): the plan's chapters, then the consultant's complements, then the chapters that
    come after the others (the synthèse, which takes up the complements' findings too)."""
    avant = [c for c in CHAPITRES if not c.apres_les_autres]
    apres = [c for c in CHAPITRES if c.apres_les_autres]
    return [*avant, *complements(racine), *apres]
