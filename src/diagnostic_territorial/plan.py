"""The report's plan: chapters in order, their notebook, title and the data each one needs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chapitre:
    cle: str
    notebook: str
    titre: str
    apres_les_autres: bool = False  # the synthèse reads what the other chapters found


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
