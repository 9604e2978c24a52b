"""Insee populations légales des communes: `donnees_communes.csv` of the published `ensemble.zip`.

Two published layouts: `REG;DEP;COM;PMUN;PCAP;PTOT` (COM is the commune code) and the newer
`CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT` (COM is the name; the code is
CODDEP + CODCOM). Returns PMUN (municipale), PCAP (comptée à part), PTOT (totale), commune level.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.schema import assembler, contenu_brut, nom_donnees, valeurs_csv, verifier

VARIABLES = ("PMUN", "PCAP", "PTOT")
MOTIF_COMMUNE = re.compile(r"\d[\dAB]\d{3}")


def _codes(df: pd.DataFrame, nom: str) -> pd.Series:
    if {"CODDEP", "CODCOM"} <= set(df.columns):
        dep = df["CODDEP"].str.strip()
        com = df["CODCOM"].str.strip()
        # DOM: CODDEP has 3 characters and the commune part 2 (97101 = 971 + 01)
        return pd.Series(
            np.where(dep.str.len() == 3, dep + com.str[-2:], dep.str.zfill(2) + com.str.zfill(3)),
            dtype="str",
        )
    if "COM" in df.columns:
        return df["COM"].str.strip()
    raise FormatInconnu(nom, "colonne manquante : COM (ou CODDEP et CODCOM) pour le code commune")


def lire(chemin: Path, millesime: int, membre: str | None = "donnees_communes.csv") -> pd.DataFrame:
    """Read donnees_communes.csv (or the ensemble.zip holding it; `.csv.gz` accepted).

    The file does not carry its millésime: give it (year of the census population, e.g. 2019 for
    the populations in force on 1 January 2022).
    """
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin, membre if chemin.suffix.lower() == ".zip" else None)
    # Only codes and counts are used: the names may be in any 8-bit encoding.
    textes, colonnes, tableau, vides = valeurs_csv(
        nom, octets, (), ".", obligatoires=VARIABLES, encodages=("utf-8-sig", "cp1252"),
        marques_secret=frozenset(), colonnes_valeurs=VARIABLES,
    )
    codes = _codes(textes, nom)
    valide = codes.str.fullmatch(MOTIF_COMMUNE.pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"ligne {i + 2} : code commune « {codes.iloc[i]} » invalide")
    doublons = codes.duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"ligne {i + 2} : commune « {codes.iloc[i]} » en double")
    if vides.any():
        i, j = (int(x[0]) for x in vides.nonzero())
        raise FormatInconnu(nom, f"colonne {colonnes[j]}, ligne {i + 2} : cellule vide")
    tableau = tableau[:, [colonnes.index(v) for v in VARIABLES]]
    tidy = assembler(
        codes.to_numpy(), "commune", list(VARIABLES), tableau, np.zeros(tableau.shape, bool), [millesime] * 3
    )
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin,
        nom_donnees(nom),
        millesime,
        f"Insee, populations légales {millesime}",
        f"Insee, populations légales {millesime} des communes (en vigueur au 1er janvier {millesime + 3})",
        officiel=next(iter(catalogue.fichiers("populations_legales", millesime)), None)
        if millesime in catalogue.millesimes("populations_legales")
        else None,
    )
    return verifier(tidy)
