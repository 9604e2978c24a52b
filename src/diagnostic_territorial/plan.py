"""The report's plan: chapters in order, their notebook, title and the data each one needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chapitre:
    cle: str
    notebook: str
    titre: str
    # Sources the chapter needs that the library cannot read yet: stated in the chapter
    # ("données manquantes") instead of invented figures.
    sources_attendues: tuple[str, ...] = field(default_factory=tuple)
    apres_les_autres: bool = False  # the synthèse reads what the other chapters found


CHAPITRES: tuple[Chapitre, ...] = (
    Chapitre("demographie", "01_demographie.ipynb", "Dynamique démographique"),
    Chapitre(
        "economie",
        "02_economie.ipynb",
        "Dynamique économique",
        ("Insee, RP base communale emploi-population active (EMPLT, ACTOCC15P)",
         "Insee, SIRENE / Flores (établissements par secteur)"),
    ),
    Chapitre(
        "emploi",
        "03_emploi.ipynb",
        "Dynamique de l'emploi",
        ("Insee, RP base communale emploi-population active (ACT1564, CHOM1564)",
         "Insee, RP base communale diplômes-formation (NSCOL15P_DIPLMIN)",
         "France Travail / Dares, demandeurs d'emploi par commune (DEFM cat. ABC, T4)"),
    ),
    Chapitre(
        "cadre_de_vie",
        "04_cadre_de_vie.ipynb",
        "Cadre de vie",
        ("Insee, RP base communale logement (LOGVAC, RP_PROP, RP_LOCHLMV)",
         "Insee, Base permanente des équipements (BPE)"),
    ),
    Chapitre(
        "petite_enfance",
        "05_petite_enfance.ipynb",
        "Petite enfance (0-2 ans)",
        ("Cnaf, taux de couverture petite enfance (txcouv_pe)",
         "Caf, allocataires par commune (data.caf.fr, s_ben_com_f : PAJE, CMG)",
         "Insee, Base permanente des équipements (EAJE D502)"),
    ),
    Chapitre(
        "enfance",
        "06_enfance.ipynb",
        "Enfance (3-11 ans)",
        ("Insee, RP base communale diplômes-formation (SCOL0610)",
         "Insee, Base permanente des équipements (écoles C1xx)"),
    ),
    Chapitre(
        "jeunesse",
        "07_jeunesse.ipynb",
        "Jeunesse (12-25 ans)",
        ("Insee, RP base communale diplômes-formation (SCOL1824)",
         "Caf, allocataires par commune (A_ETUD, A_NETUD_24)"),
    ),
    Chapitre(
        "parentalite",
        "08_parentalite.ipynb",
        "Parentalité et familles",
        ("Insee, RP base communale couples-familles-ménages (FAMMONO, COUPAENF)",
         "Caf, allocataires par commune (AM, ASF, AF)"),
    ),
    Chapitre(
        "vie_sociale",
        "09_vie_sociale.ipynb",
        "Vie sociale et isolement",
        ("Insee, RP base communale couples-familles-ménages (POP15P_PSEUL, MENPSEUL)",
         "Insee, Base permanente des équipements (centres sociaux, associations)"),
    ),
    Chapitre("acces_aux_droits", "10_acces_aux_droits.ipynb", "Accès aux droits, revenus et pauvreté"),
    Chapitre(
        "thematiques_specifiques",
        "11_thematiques_specifiques.ipynb",
        "Thématiques spécifiques",
        ("Insee, RP base communale logement (MEN_ANEM0002 : nouveaux habitants)",
         "sources propres à chaque thématique retenue avec les acteurs locaux"),
    ),
    # Survey of the inhabitants and qualitative material of the study (enquete/, qualitatif/).
    Chapitre("parole_habitants", "11b_parole_habitants.ipynb", "Parole des habitants"),
    Chapitre("observation_ciblee", "12_observation_ciblee.ipynb", "Observation ciblée"),
    Chapitre("synthese", "13_synthese.ipynb", "Synthèse et enjeux", apres_les_autres=True),
)


def chapitre(cle: str) -> Chapitre:
    for c in CHAPITRES:
        if c.cle == cle:
            return c
    raise KeyError(f"Chapitre inconnu : « {cle} ». Chapitres : {', '.join(c.cle for c in CHAPITRES)}")
