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


def indicateurs_cles(etude) -> IndicateursCles:
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
    calcul.precharger([id_ for _, id_, _ in INDICATEURS_CLES])
    for cle, id_, modele in INDICATEURS_CLES:
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

