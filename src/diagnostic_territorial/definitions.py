"""Definitions of the indicators and terms used in the report, for the method annex.

Each definition lists the words that reveal its use in the report (``reperes``, compared without
case): the annex keeps only the definitions whose term appears in the chapters, so that it
describes what the reader actually sees. Reader-facing text is in French (sources: Insee's
definitions, « Définitions, méthodes et qualité »).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    terme: str
    texte: str
    reperes: tuple[str, ...]
    source: str = "Insee, définitions"
    toujours: bool = False  # shown even when no repère is found (method notes)


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "Population municipale",
        "Personnes ayant leur résidence habituelle sur le territoire de la commune, dans un logement ou "
        "une communauté, les personnes détenues, les sans-abri recensés sur la commune et les personnes "
        "résidant habituellement dans une habitation mobile. C'est la population utilisée pour les "
        "statistiques : elle ne compte chaque personne qu'une fois. Les populations légales d'un millésime "
        "(par exemple 2019) entrent en vigueur le 1er janvier de la troisième année suivante (2022).",
        ("population municipale", "habitants"),
        "Insee, populations légales",
    ),
    Definition(
        "Recensement de la population (RP)",
        "Depuis 2004, le recensement est annuel et tournant : les communes de moins de 10 000 habitants "
        "sont recensées exhaustivement une fois tous les cinq ans, les autres par sondage chaque année. "
        "Les résultats d'un millésime (par exemple 2019) s'appuient sur les enquêtes de cinq années "
        "(2017 à 2021). Deux millésimes ne sont comparés qu'à cinq ou six ans d'écart.",
        ("rp ", "recensement"),
        "Insee, recensement de la population",
    ),
    Definition(
        "Évolution annuelle moyenne",
        "Taux de croissance constant qui, appliqué chaque année à la population du premier recensement, "
        "conduit à celle du second : (P fin / P début)^(1/n) − 1, où n est le nombre d'années entre les "
        "deux millésimes. Elle se décompose en solde naturel (naissances moins décès) et solde migratoire "
        "apparent (entrées moins sorties).",
        ("évolution annuelle moyenne", "par an"),
    ),
    Definition(
        "Indice de jeunesse",
        "Nombre de personnes de moins de 20 ans pour 100 personnes de 65 ans ou plus. Un indice supérieur "
        "à 100 indique plus de jeunes que de personnes âgées.",
        ("indice de jeunesse",),
    ),
    Definition(
        "Part des 60 ans ou plus",
        "Population de 60 ans ou plus rapportée à la population totale (recensement). Sur un territoire, "
        "c'est la somme des effectifs des communes rapportée à la somme de leur population, jamais une "
        "moyenne des taux communaux.",
        ("60 ans ou plus",),
    ),
    Definition(
        "Unité de consommation (UC)",
        "Système de pondération qui compare les niveaux de vie de ménages de tailles différentes "
        "(échelle de l'OCDE modifiée) : 1 UC pour le premier adulte du ménage, 0,5 UC pour chaque autre "
        "personne de 14 ans ou plus, 0,3 UC pour chaque enfant de moins de 14 ans.",
        ("unité de consommation", "€/uc", "par uc", "(€/uc"),
        "Insee, Filosofi",
    ),
    Definition(
        "Revenu disponible médian (par unité de consommation)",
        "Revenu disponible du ménage (revenus d'activité, de remplacement, du patrimoine et prestations "
        "sociales, nets des impôts directs) divisé par le nombre d'unités de consommation : c'est le niveau "
        "de vie. La médiane partage les personnes en deux moitiés : la moitié a un niveau de vie inférieur, "
        "l'autre un niveau de vie supérieur. Une médiane ne s'additionne pas et ne se moyenne pas : elle est "
        "lue au niveau où l'Insee la publie (commune, EPCI, département, région, France métropolitaine).",
        ("revenu disponible médian", "médiane", "revenu médian"),
        "Insee, Filosofi",
    ),
    Definition(
        "Déciles et rapport interdécile (D9/D1)",
        "Le premier décile (D1) est le niveau de vie au-dessous duquel se situent les 10 % de personnes les "
        "plus modestes ; le neuvième décile (D9) celui au-dessus duquel se situent les 10 % les plus aisées. "
        "Le rapport interdécile D9/D1 mesure l'écart entre le haut et le bas de la distribution : plus il est "
        "élevé, plus les revenus sont inégaux.",
        ("interdécile", "décile"),
        "Insee, Filosofi",
    ),
    Definition(
        "Part des prestations sociales",
        "Part, dans le revenu disponible de l'ensemble des ménages, des prestations familiales, des minima "
        "sociaux (RSA, prime d'activité, AAH, minimum vieillesse...) et des aides au logement.",
        ("prestations sociales", "minima sociaux"),
        "Insee, Filosofi",
    ),
    Definition(
        "Secret statistique",
        "Une valeur n'est pas publiée lorsqu'elle porterait sur trop peu de ménages ou de personnes pour "
        "garantir l'anonymat (Filosofi : moins de 50 ménages ou 100 personnes ; nos propres comptages : "
        "moins de 5). Elle est notée « s » dans le rapport, jamais remplacée par 0 ; « n.d. » signale une "
        "valeur non disponible dans la source.",
        ("secret statistique", "non publiée", " s "),
        "Insee ; règle du rapport",
        toujours=True,
    ),
    Definition(
        "Territoires de référence",
        "Chaque taux du territoire est présenté à côté de celui du département, de la région et de la "
        "France (France métropolitaine pour Filosofi). Le taux d'un regroupement de communes est le "
        "rapport de la somme des numérateurs à la somme des dénominateurs de ses communes.",
        ("département", "france"),
        "Règle du rapport",
        toujours=True,
    ),
    Definition(
        "Données simulées",
        "Certaines bases ne sont pas disponibles hors ligne pour la démonstration (bases communales du "
        "recensement, fichiers communaux de la Caf, demandeurs d'emploi) : elles sont simulées au format "
        "officiel, en cohérence avec les populations légales réelles, et chaque figure qui en est tirée "
        "porte la mention « données simulées pour la démonstration ». Ces chiffres ne décrivent pas le "
        "territoire réel.",
        ("données simulées",),
        "Règle du rapport",
    ),
)


def _normaliser(texte: str) -> str:
    texte = "".join(" " if unicodedata.category(c) == "Zs" else c for c in texte)
    return " " + re.sub(r"\s+", " ", texte).lower() + " "


def utilisees(texte_rapport: str) -> list[Definition]:
    """The definitions whose term appears in the report text (tags already removed or not)."""
    texte = _normaliser(re.sub(r"<[^>]+>", " ", texte_rapport))
    return [d for d in DEFINITIONS if d.toujours or any(r.lower() in texte for r in d.reperes)]


def html_definitions(definitions: list[Definition]) -> str:
    if not definitions:
        return "<p>Aucun indicateur à définir dans cette version du rapport.</p>"
    items = "".join(
        f"<dt>{html.escape(d.terme)}</dt><dd>{html.escape(d.texte)} "
        f'<span class="def-source">({html.escape(d.source)})</span></dd>'
        for d in definitions
    )
    return f'<dl class="definitions">{items}</dl>'
