"""Insee Filosofi: « Structure et distribution des revenus, inégalité des niveaux de vie ».

Reads FILOyyyy_DISP_{COM,EPCI,DEP,REG,METROPOLE} in the published CSV layout (`;`, UTF-8 with
BOM, decimal comma) or XLSX/XLS layout (sheet ENSEMBLE, header on the 6th row). An empty cell
(or `s` in the workbooks) is a secret statistique: valeur NaN, secret True. Communes under the
publication threshold are absent from the file: they get no row at all (absent is not secret).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..erreurs import FormatInconnu
from . import catalogue
from .schema import assembler, contenu_brut, nom_donnees, nombres, valeurs_csv, verifier

MOTIF_NOM = re.compile(r"FILO(\d{4})_DISP_(COM|EPCI|DEP|REG|METROPOLE)\.(csv|xlsx|xls)", re.IGNORECASE)
MOTIF_CODE = {
    "commune": re.compile(r"\d[\dAB]\d{3}"),
    "epci": re.compile(r"\d{9}"),
    "departement": re.compile(r"\d[\dAB]\d?"),
    "region": re.compile(r"\d{2}"),
    "france": re.compile(r"1"),
}
IGNOREES = {"CODGEO", "LIBGEO"}


def _lire_classeur(nom: str, octets: bytes) -> pd.DataFrame:
    try:
        classeur = pd.ExcelFile(io.BytesIO(octets))
        feuille = "ENSEMBLE" if "ENSEMBLE" in classeur.sheet_names else classeur.sheet_names[0]
        df = pd.read_excel(classeur, sheet_name=feuille, header=5, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as exc:  # openpyxl/xlrd raise many unrelated types on a damaged workbook
        raise FormatInconnu(nom, f"classeur Excel illisible ({type(exc).__name__})") from None
    df.columns = [str(c).strip() for c in df.columns]
    if "CODGEO" not in df.columns:
        raise FormatInconnu(nom, "colonne CODGEO introuvable en 6e ligne (mise en page Insee : 5 lignes de titre)")
    return df.astype(str)


def lire(chemin: Path, membre: str | None = None) -> pd.DataFrame:
    """Read one Filosofi DISP file (or `membre` of a published zip) into the tidy table."""
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin, membre)
    nom_fichier = nom_donnees(nom)
    trouve = MOTIF_NOM.fullmatch(nom_fichier)
    if not trouve:
        raise FormatInconnu(
            nom, "nom de fichier inattendu : FILOaaaa_DISP_COM/EPCI/DEP/REG/METROPOLE.csv attendu (nom officiel)"
        )
    millesime = int(trouve.group(1))
    niveau = catalogue.NIVEAUX_FILOSOFI[trouve.group(2).upper()]
    yy = f"{millesime % 100:02d}"
    mediane = f"Q2{yy}"

    if trouve.group(3).lower() == "csv":
        textes, colonnes, valeurs, masques = valeurs_csv(
            nom, octets, IGNOREES, ",", obligatoires=("CODGEO", mediane)
        )
        codes, premiere_ligne = textes["CODGEO"], 2
    else:
        df = _lire_classeur(nom, octets)
        if mediane not in df.columns:
            raise FormatInconnu(nom, f"colonne manquante : {mediane} (médiane du niveau de vie)")
        premiere_ligne = 7
        codes, colonnes = df["CODGEO"], [c for c in df.columns if c not in IGNOREES]
        converties = [nombres(df[c], nom, c, ".", premiere_ligne) for c in colonnes]
        valeurs = np.column_stack([v.to_numpy() for v, _ in converties]) if colonnes else np.empty((len(df), 0))
        masques = np.column_stack([m.to_numpy() for _, m in converties]) if colonnes else np.empty((len(df), 0), bool)

    codes = codes.astype(str).str.strip()
    valide = codes.str.fullmatch(MOTIF_CODE[niveau].pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(
            nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code « {codes.iloc[i]} » invalide pour le niveau {niveau}"
        )
    doublons = codes.duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code « {codes.iloc[i]} » en double")
    if niveau == "france":
        codes = pd.Series(["FRM"] * len(codes), dtype="str")

    variables = [c[:-2] if c.endswith(yy) and len(c) > 2 else c for c in colonnes]
    if len(set(variables)) != len(variables):
        raise FormatInconnu(nom, "deux colonnes donnent la même variable une fois le millésime retiré")

    tidy = assembler(
        codes.to_numpy(),
        niveau,
        variables,
        valeurs,
        masques,
        [millesime] * len(variables),
    )
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin,
        nom_fichier,
        millesime,
        f"Insee, Filosofi {millesime}",
        f"Insee, Filosofi {millesime} : revenu disponible, niveau {niveau}",
    )
    return verifier(tidy)
