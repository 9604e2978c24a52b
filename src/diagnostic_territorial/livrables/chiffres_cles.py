"""Key indicators of the synthèse and the fiches communes, computed once for all communes and the
references by the catalogue's one engine (catalogue_indicateurs.Calcul), like every figure of the
chapters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd


@dataclass
class Indicateur:
    cle: str
    libelle: str
    format: Callable
    source: str


@dataclass
class IndicateursCles:
    table: pd.DataFrame  # one row per commune, the territoire and each reference (indicateurs.references)
    indicateurs: list[Indicateur]
    sources: list[str]
    manquantes: list[str]
    references: list[tuple[str, str, str]] = None  # (niveau, codgeo, libelle), display order

    def lignes_references(self, niveaux: tuple[str, ...] = ("epci", "departement", "region", "france")
                          ) -> list[pd.Series]:
        """The rows of the references of these niveaux, in display order."""
        return [self.ligne(n, code) for n, code, _ in (self.references or []) if n in niveaux]

    def ligne(self, niveau: str, codgeo: str | None = None) -> pd.Series:
        t = self.table[self.table["niveau"] == niveau]
        if codgeo is not None:
            t = t[t["codgeo"] == codgeo]
        return t.iloc[0]

    def texte(self, ligne: pd.Series, cle: str) -> str:
        ind = next(i for i in self.indicateurs if i.cle == cle)
        v = ligne.get(cle)
        return ind.format(v, secret=bool(ligne.get(cle + "__secret", False)))


# Key indicators of the synthèse and the fiches communes: (key used by the templates, catalogue id,
# label: {libelle} / {court} of the indicator, {annee} of its data, {debut} of an evolution's start).
LIBELLE_CLE = "{libelle} ({annee})"
INDICATEURS_CLES = (
    ("pop", "population_municipale", "{libelle} {annee}"),
    ("tcam", "evolution_population", "{court} {debut}-{annee}"),
    ("part_0014", "part_0_14", LIBELLE_CLE), ("part_60p", "part_60_plus", LIBELLE_CLE),
    ("ij", "indice_jeunesse", LIBELLE_CLE), ("chomage", "taux_chomage", LIBELLE_CLE),
    ("monoparentales", "part_familles_monoparentales", LIBELLE_CLE), ("q2", "revenu_median", LIBELLE_CLE),
    ("rd", "rapport_interdecile", LIBELLE_CLE), ("ppsoc", "part_prestations_sociales", LIBELLE_CLE),
    ("tp60", "taux_pauvrete", LIBELLE_CLE),
)
# An indicator the sources do not publish for the study (the poverty rate is in the Filosofi
# « Pauvres » files and Filosofi 2023, not in the DISP files) is left out with the reason.

# The fiches communes: beside the key indicators, what a Caf and a commune look at, by theme
# (Caf, emploi, logement, équipements), compared with the territory and the département, on two
# pages at most. Rates only in the comparison: a count is not compared with a département's total.
THEMES_FICHE: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Population", (
        ("pop", "population_municipale", "{libelle} {annee}"),
        ("tcam", "evolution_population", "{court} {debut}-{annee}"),
        ("densite", "densite_population", LIBELLE_CLE),
        ("part_0014", "part_0_14", LIBELLE_CLE), ("part_60p", "part_60_plus", LIBELLE_CLE),
        ("ij", "indice_jeunesse", LIBELLE_CLE))),
    ("Familles et allocataires de la Caf", (
        ("monoparentales", "part_familles_monoparentales", LIBELLE_CLE),
        ("nombreuses", "part_familles_nombreuses", LIBELLE_CLE),
        ("couverts_caf", "part_population_couverte_caf", LIBELLE_CLE),
        ("rsa", "part_allocataires_rsa", LIBELLE_CLE),
        ("aide_logement", "part_allocataires_aide_logement", LIBELLE_CLE),
        ("accueil_jeune_enfant", "taux_couverture_accueil", LIBELLE_CLE))),
    ("Revenus et pauvreté", (
        ("q2", "revenu_median", LIBELLE_CLE), ("tp60", "taux_pauvrete", LIBELLE_CLE),
        ("rd", "rapport_interdecile", LIBELLE_CLE), ("ppsoc", "part_prestations_sociales", LIBELLE_CLE))),
    ("Emploi", (
        ("emploi", "taux_emploi", LIBELLE_CLE), ("chomage", "taux_chomage", LIBELLE_CLE),
        ("precaires", "part_emplois_precaires", LIBELLE_CLE),
        ("demandeurs", "demandeurs_pour_100_actifs", LIBELLE_CLE))),
    ("Logement", (
        ("proprietaires", "part_proprietaires", LIBELLE_CLE), ("hlm", "part_locataires_hlm", LIBELLE_CLE),
        ("vacants", "part_logements_vacants", LIBELLE_CLE), ("suroccupation", "part_suroccupation", LIBELLE_CLE))),
    ("Services de santé et de proximité", (
        ("medecins", "medecins_pour_1000", LIBELLE_CLE), ("pharmacies", "pharmacies_pour_1000", LIBELLE_CLE),
        ("personnes_agees", "equipements_personnes_agees_pour_1000", LIBELLE_CLE))),
)
# The équipements counted in the commune (and the territory), not compared with a département.
EQUIPEMENTS_FICHE: tuple[tuple[str, str, str], ...] = (
    ("creches", "creches", LIBELLE_CLE), ("rpe", "relais_petite_enfance", LIBELLE_CLE),
    ("maternelles", "ecoles_maternelles", LIBELLE_CLE), ("elementaires", "ecoles_elementaires", LIBELLE_CLE),
    ("colleges", "colleges", LIBELLE_CLE), ("alsh", "accueils_loisirs", LIBELLE_CLE),
    ("centres_sociaux", "centres_sociaux_evs", LIBELLE_CLE),
)


def cles_fiche() -> tuple[tuple[str, str, str], ...]:
    """Every indicator of a fiche commune, once: the themes, then the équipements."""
    vus, cles = set(), []
    for _, indicateurs in THEMES_FICHE:
        for cle in indicateurs:
            if cle[0] not in vus:
                vus.add(cle[0])
                cles.append(cle)
    return (*cles, *(c for c in EQUIPEMENTS_FICHE if c[0] not in vus))


def indicateurs_fiche(etude) -> IndicateursCles:
    """The indicators of the fiches communes (:data:`THEMES_FICHE`, :data:`EQUIPEMENTS_FICHE`)."""
    return indicateurs_cles(etude, cles_fiche())


def indicateurs_cles(etude, cles: tuple[tuple[str, str, str], ...] = INDICATEURS_CLES) -> IndicateursCles:
    """Population, evolution, age and income indicators for every commune of the territory, the
    territory and its references: indicators of the catalogue computed by its one engine
    (catalogue_indicateurs.Calcul), as in the chapters: ratios of sums, medians read where they are
    published, the same secret statistique. An indicator without any value is left out and said
    why (``manquantes``)."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.erreurs import DonneeManquante
    from diagnostic_territorial.indicateurs.calcul import references

    refs = references(etude)
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    table = pd.DataFrame(
        [(c, "commune", noms[c]) for c in etude.communes["code"]]
        + [(etude.code_territoire, "territoire", etude.nom_territoire)]
        + [(code, niveau, libelle) for niveau, code, libelle in refs],
        columns=["codgeo", "niveau", "libelle"],
    )
    indicateurs: list[Indicateur] = []
    sources: list[str] = []
    manquantes: list[str] = []

    def src(mention: str) -> str:
        m = re.sub(r"^Source\s*:\s*", "", mention or "")
        if m and m not in sources:
            sources.append(m)
        return m

    calcul = ci.Calcul(etude)
    calcul.precharger([id_ for _, id_, _ in cles])
    for cle, id_, modele in cles:
        i = calcul.indicateur(id_)
        try:
            valeurs, mention = calcul.calculer(id_)
            annees = ci.millesimes_evolution(etude, i) if i.evolution else (None, ci.millesimes(etude, i))
        except (DonneeManquante, ci.MillesimeInconnu) as e:
            if str(e) not in manquantes:
                manquantes.append(str(e))
            continue
        if valeurs["valeur"].isna().all() and not valeurs["secret"].any():
            manquantes.append(f"{i.libelle} : non disponible ({ci.raison_vide(calcul, id_, valeurs)}).")
            continue
        garde = valeurs[["codgeo", "niveau", "valeur", "secret"]].rename(columns={"valeur": cle, "secret": cle + "__secret"})
        table = table.merge(garde, on=["codgeo", "niveau"], how="left")
        if cle == "pop":  # the share of the territory's population living in each commune
            territoire = table.loc[table["niveau"] == "territoire", "pop"].iloc[0]
            table["part_territoire"] = np.where(table["niveau"] == "commune", table["pop"] / territoire, np.nan)
        debut, fin = annees
        libelle = modele.format(libelle=i.libelle, court=i.libelle_court, annee=fin[1],
                                debut=debut[1] if debut else "")
        indicateurs.append(Indicateur(cle, libelle, lambda v, secret=False, i=i: ci.formater(i, v, secret),
                                      src(mention)))
    return IndicateursCles(table, indicateurs, sources, manquantes, refs)


def _lignes_tableau(ic: IndicateursCles, colonnes: list[pd.Series]) -> list[dict]:
    return [{"libelle": i.libelle, "valeurs": [ic.texte(c, i.cle) for c in colonnes]} for i in ic.indicateurs]


# --------------------------------------------------------------------------------------------
# 2. Synthèse
# --------------------------------------------------------------------------------------------

