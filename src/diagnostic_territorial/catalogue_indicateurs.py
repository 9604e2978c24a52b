"""Declarative catalogue of indicators: notebooks ask for an indicator by id; nobody writes a
formula twice. Territory values are ratios of sums; indicators that cannot be aggregated
(medians, published rates) are read at the level where the source publishes them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import indicateurs as ind


@dataclass(frozen=True)
class Indicateur:
    id: str
    libelle: str
    chapitre: str
    source: str  # cache key: "rp_evol_struct_pop", "filosofi", "populations_legales"...
    millesime: str  # key of etude.millesimes giving the file's millésime: "rp", "filosofi"...
    numerateur: tuple[str, ...]
    denominateur: tuple[str, ...] = ()
    unite: str = "part"  # part (ratio shown in %), nombre, euros, indice, decimal
    facteur: float = 1.0
    agregeable: bool = True  # False: read at the published level (ind.publies), never aggregated
    definition: str = ""

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(self.numerateur + self.denominateur))


def _rp(id_, libelle, chapitre, num, den, unite="part", facteur=1.0, definition=""):
    return Indicateur(id_, libelle, chapitre, "rp_evol_struct_pop", "rp", tuple(num), tuple(den), unite, facteur,
                      True, definition)


def _filo(id_, libelle, variable, unite, definition=""):
    return Indicateur(id_, libelle, "acces_aux_droits", "filosofi", "filosofi", (variable,), (), unite, 1.0, False,
                      definition)


CATALOGUE: dict[str, Indicateur] = {i.id: i for i in [
    Indicateur("population_municipale", "Population municipale", "demographie", "populations_legales",
               "populations_legales", ("PMUN",), (), "nombre",
               definition="Personnes ayant leur résidence habituelle sur le territoire de la commune."),
    _rp("population_rp", "Population (recensement)", "demographie", ["P_POP"], [], "nombre"),
    _rp("part_0_14", "Part des 0-14 ans", "demographie", ["P_POP0014"], ["P_POP"]),
    _rp("part_15_29", "Part des 15-29 ans", "demographie", ["P_POP1529"], ["P_POP"]),
    _rp("part_60_plus", "Part des 60 ans ou plus", "demographie", ["P_POP6074", "P_POP7589", "P_POP90P"], ["P_POP"]),
    _rp("part_75_plus", "Part des 75 ans ou plus", "demographie", ["P_POP7589", "P_POP90P"], ["P_POP"]),
    _rp("indice_jeunesse", "Indice de jeunesse", "demographie", ["P_H0019", "P_F0019"], ["P_H65P", "P_F65P"],
        "indice", 100.0, "Moins de 20 ans pour 100 personnes de 65 ans ou plus."),
    _rp("part_femmes", "Part des femmes", "demographie", ["P_POPF"], ["P_POP"]),
    _rp("part_nouveaux_arrivants", "Part des habitants arrivés dans un autre logement depuis moins d'un an",
        "thematiques_specifiques", ["P_POP01P_IRAN2", "P_POP01P_IRAN3", "P_POP01P_IRAN4", "P_POP01P_IRAN5",
                                    "P_POP01P_IRAN6", "P_POP01P_IRAN7"], ["P_POP01P"],
        definition="Personnes d'un an ou plus qui résidaient un an auparavant dans un autre logement."),
    _rp("part_ouvriers", "Part des ouvriers parmi les 15 ans ou plus", "demographie", ["C_POP15P_CS6"], ["C_POP15P"]),
    _rp("part_retraites", "Part des retraités parmi les 15 ans ou plus", "demographie", ["C_POP15P_CS7"],
        ["C_POP15P"]),
    _filo("revenu_median", "Revenu disponible médian par unité de consommation", "Q2", "euros",
          "Revenu qui partage les personnes en deux moitiés égales, par unité de consommation (UC)."),
    _filo("rapport_interdecile", "Rapport interdécile D9/D1", "RD", "decimal"),
    _filo("part_prestations_sociales", "Part des prestations sociales dans le revenu disponible", "PPSOC",
          "decimal"),
    _filo("part_minima_sociaux", "Part des minima sociaux dans le revenu disponible", "PPMINI", "decimal"),
]}


def indicateur(id_: str) -> Indicateur:
    try:
        return CATALOGUE[id_]
    except KeyError:
        import difflib

        proches = difflib.get_close_matches(id_, CATALOGUE, n=3, cutoff=0.5)
        raise KeyError(f"Indicateur inconnu : « {id_} »." + (f" Indicateurs proches : {', '.join(proches)}."
                                                             if proches else "")) from None


def calculer(etude, id_: str, millesime: int | None = None) -> tuple[pd.DataFrame, str]:
    """Value of an indicator for each commune, the territory and its references.

    Returns (table with columns libelle, niveau, codgeo, valeur, secret ; source mention).
    `millesime` selects an earlier millésime inside the same file (e.g. rp_precedent for RP).
    """
    i = indicateur(id_)
    fichier = etude.millesimes[i.millesime]
    if i.agregeable:
        table, prov = ind.additifs(etude, i.source, fichier, i.variables, millesime or fichier)
        if i.denominateur:
            valeur = ind.ratio(table, list(i.numerateur), list(i.denominateur), i.facteur)
        else:
            valeur = table[list(i.numerateur)].sum(axis=1, min_count=len(i.numerateur)) * i.facteur
    else:
        table, prov = ind.publies(etude, i.source, millesime or fichier, i.variables)
        valeur = table[i.numerateur[0]] * i.facteur
    secret = ind.secret(table, i.variables)
    sortie = table[["libelle", "niveau", "codgeo"]].copy()
    sortie["valeur"] = valeur.where(~secret, np.nan)
    sortie["secret"] = secret
    mention = prov.mention() if prov else f"Source : {i.source} {fichier}"
    return sortie, mention
