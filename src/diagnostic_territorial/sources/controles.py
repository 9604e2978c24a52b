"""Plausibility checks of a source's values before they reach the cache: a value that cannot be
true (a negative count or median, a share above 100 %, deciles out of order, more people than the
commune's population) is reported by `make donnees` — file, column, territory — and not published
(NaN in the cache, never replaced by a guess).

`controler(tidy, population)` returns (tidy with the impossible values set to NaN, messages).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Variables that may be negative: the share of direct taxes in the disposable income (Filosofi).
NEGATIVES_PERMIS = frozenset({"PIMPOT", "PTSA_NEG"})
# Shares in percent that cannot exceed 100 (a coverage rate can: several places per child).
PARTS_AU_PLUS_100 = frozenset({"TP60", "PPSOC", "PPFAM", "PPMINI", "PPLOGT"})
# Counts of people compared with the commune's population (with a margin: the census, the Caf and
# the Dares count at other dates than the population they are compared with).
PREFIXES_PERSONNES = ("indnbp_", "DEFM_", "P_POP", "C_POP", "P_H", "P_F", "P_ACT", "P_CHOM", "P_SCOL", "P_NSCOL")
MARGE_POPULATION = 1.25
MAX_MESSAGES = 20  # per file: a damaged file is named, not listed line by line


def _message(fichier: str, ligne: pd.Series, raison: str) -> str:
    return (f"{fichier}, colonne {ligne['variable']}, {ligne['niveau']} {ligne['codgeo']} "
            f"({int(ligne['millesime'])}) : {raison} ; valeur écartée")


def controler(tidy: pd.DataFrame, fichier: str, population: dict[str, float] | None = None
              ) -> tuple[pd.DataFrame, list[str]]:
    """The impossible values of a tidy table set to NaN (not secret), and one French message for
    each (file, column, territory)."""
    if tidy.empty:
        return tidy, []
    valeur = tidy["valeur"].to_numpy(dtype="float64")
    variable = tidy["variable"].astype(str)
    raisons = np.full(len(tidy), "", dtype=object)

    negatif = (valeur < 0) & ~variable.isin(NEGATIVES_PERMIS).to_numpy()
    raisons[negatif] = "valeur négative impossible"
    part = variable.isin(PARTS_AU_PLUS_100).to_numpy() & (valeur > 100)
    raisons[part & (raisons == "")] = "part supérieure à 100 %"

    deciles = tidy[variable.isin(["D1", "Q2", "D9"]).to_numpy()]
    if not deciles.empty:
        large = deciles.pivot_table(index=["codgeo", "niveau", "millesime"], columns="variable", values="valeur",
                                    aggfunc="first")
        if {"D1", "Q2", "D9"} <= set(large.columns):
            desordre = (large["D1"] > large["Q2"]) | (large["Q2"] > large["D9"])
            for cle in large.index[desordre.fillna(False).to_numpy()]:
                masque = ((tidy["codgeo"] == cle[0]) & (tidy["niveau"] == cle[1]) & (tidy["millesime"] == cle[2])
                          & variable.isin(["D1", "Q2", "D9"])).to_numpy()
                raisons[masque & (raisons == "")] = "déciles dans un ordre impossible (D1 ≤ médiane ≤ D9)"

    if population:
        communes = (tidy["niveau"] == "commune").to_numpy() & variable.str.startswith(PREFIXES_PERSONNES).to_numpy()
        pop = tidy["codgeo"].map(population).to_numpy(dtype="float64")
        trop = communes & (valeur > MARGE_POPULATION * pop) & (valeur > 10)
        raisons[trop & (raisons == "")] = "plus de personnes que la population de la commune"

    impossibles = raisons != ""
    if not impossibles.any():
        return tidy, []
    messages = [_message(fichier, tidy.iloc[i], raisons[i]) for i in np.flatnonzero(impossibles)[:MAX_MESSAGES]]
    if impossibles.sum() > MAX_MESSAGES:
        messages.append(f"{fichier} : {int(impossibles.sum()) - MAX_MESSAGES} autre(s) valeur(s) impossible(s) écartée(s)")
    sortie = tidy.copy()
    sortie.loc[impossibles, "valeur"] = np.nan
    sortie.attrs = dict(tidy.attrs)
    return sortie, messages
