"""Key indicators of the synthèse and the fiches communes, computed once for all communes and the
references by the catalogue's engine (indicateurs.calcul)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import formats as fm


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


# Key indicators of the synthèse and the fiches communes: (key used by the templates, catalogue id).
INDICATEURS_CLES = (
    ("part_0014", "part_0_14"), ("part_60p", "part_60_plus"), ("ij", "indice_jeunesse"),
    ("chomage", "taux_chomage"), ("monoparentales", "part_familles_monoparentales"),
    ("q2", "revenu_median"), ("rd", "rapport_interdecile"), ("ppsoc", "part_prestations_sociales"),
    ("tp60", "taux_pauvrete"),
)
# Shown only when the source publishes them for the study (the poverty rate is in the Filosofi
# « Pauvres » files and Filosofi 2023, not in the DISP files): otherwise left out with the reason.
SI_PUBLIES = frozenset({"tp60"})


def indicateurs_cles(etude) -> IndicateursCles:
    """Population, evolution, age and income indicators for every commune of the territory, the
    territory and its references, from the caches (the same code as the chapters: ratios of sums,
    Filosofi read where it is published)."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.chapitres import demographie
    from diagnostic_territorial.erreurs import DonneeManquante

    from diagnostic_territorial.indicateurs.calcul import references

    d = demographie.calculer(etude)
    refs = references(etude)
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    cles = pd.DataFrame(
        [(c, "commune", noms[c]) for c in etude.communes["code"]]
        + [(etude.code_territoire, "territoire", etude.nom_territoire)]
        + [(code, niveau, libelle) for niveau, code, libelle in refs],
        columns=["codgeo", "niveau", "libelle"],
    )
    table = cles.copy()
    indicateurs: list[Indicateur] = []
    sources: list[str] = []

    def fusionner(valeurs: pd.DataFrame, colonnes: dict[str, str]):
        nonlocal table
        garde = valeurs[["codgeo", "niveau", *colonnes]].rename(columns=colonnes)
        table = table.merge(garde, on=["codgeo", "niveau"], how="left")

    def src(mention: str) -> str:
        m = re.sub(r"^Source\s*:\s*", "", mention or "")
        if m and m not in sources:
            sources.append(m)
        return m

    pl_annee = d.annee_population_legale or d.rp
    if d.population_legale is not None:
        pl = d.population_legale.copy()
        ter = float(pl.loc[pl["niveau"] == "territoire", "PMUN"].iloc[0])
        pl["part_territoire"] = np.where(pl["niveau"] == "commune", pl["PMUN"] / ter, np.nan)
        fusionner(pl, {"PMUN": "pop", "PMUN__secret": "pop__secret", "part_territoire": "part_territoire"})
        s = src(d.mention_population_legale)
        indicateurs.append(Indicateur("pop", f"Population municipale {pl_annee}", fm.nombre, s))
    if d.rp_actuel is not None:
        fusionner(demographie.croissance(d), {"tcam": "tcam"})
        indicateurs.append(Indicateur("tcam", f"Évolution annuelle moyenne {d.rp_precedent}-{d.rp}",
                                      lambda v, secret=False: fm.evolution(v, 2, secret=secret), src(d.mention_rp)))
    calcul = ci.Calcul(etude)
    calcul.precharger([id_ for _, id_ in INDICATEURS_CLES])
    manquantes = list(d.manquantes)
    for cle, id_ in INDICATEURS_CLES:
        i = ci.indicateur(id_)
        try:
            valeurs, mention = calcul.calculer(id_)
        except (DonneeManquante, ci.MillesimeInconnu) as e:
            if str(e) not in manquantes:
                manquantes.append(str(e))
            continue
        if cle in SI_PUBLIES and valeurs["valeur"].isna().all() and not valeurs["secret"].any():
            manquantes.append(f"{i.libelle} : non disponible ({ci.raison_vide(calcul, id_, valeurs)}).")
            continue
        fusionner(valeurs.rename(columns={"valeur": cle, "secret": cle + "__secret"}),
                  {cle: cle, cle + "__secret": cle + "__secret"})
        indicateurs.append(Indicateur(cle, f"{i.libelle} ({ci.millesimes(etude, i)[1]})",
                                      lambda v, secret=False, i=i: ci.formater(i, v, secret), src(mention)))
    return IndicateursCles(table, indicateurs, sources, manquantes, refs)


def _lignes_tableau(ic: IndicateursCles, colonnes: list[pd.Series]) -> list[dict]:
    return [{"libelle": i.libelle, "valeurs": [ic.texte(c, i.cle) for c in colonnes]} for i in ic.indicateurs]


# --------------------------------------------------------------------------------------------
# 2. Synthèse
# --------------------------------------------------------------------------------------------

