"""Insee recensement de la population, « bases communales » (base-cc-*).

Published layouts: CSV (`;`, decimal point, a `_csv.zip` holding an upper-case `.CSV`, possibly
with a `meta_*.CSV` documentation file) and XLSX (sheets COM_aaaa / ARM_aaaa, 5 title rows, header
on the 6th row, columns CODGEO, REG, DEP, LIBGEO then the variables). Variables are named
`P19_POP0014` (population, 2019), `C19_POP15P_CS1` (complementary exploitation); one file also
holds earlier censuses (`P13_`, `P08_`). They become `P_POP0014` / `C_POP15P_CS1` with their own
millésime (2019, 2013, 2008). Values are weighted counts (decimals), NaN when the cell is empty.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.schema import assembler, contenu_brut, nom_donnees, nombres, valeurs_csv, verifier

MOTIF_VARIABLE = re.compile(r"([PC])(\d{2})_([A-Z0-9_]+)")
MOTIF_FEUILLE = re.compile(r"(COM|ARM)_\d{4}")
MOTIF_COMMUNE = r"\d[\dAB]\d{3}"
IGNOREES = {"LIBGEO", "REG", "DEP", "ARR", "LIBELLE"}
# Variables renamed by Insee between millésimes: name of the report <- names in some files. The
# RP 2022 « caractéristiques de l'emploi » base gives the commuting modes in the principal
# exploitation under new names (P22_ACTOCC15P_VOITURE...); some 2019 files say CHOMEUR1564.
SYNONYMES = {
    "C_ACTOCC15P_PAS": ("P_ACTOCC15P_PASTRANS",),
    "C_ACTOCC15P_MAR": ("P_ACTOCC15P_MARCHE",),
    "C_ACTOCC15P_VELO": ("P_ACTOCC15P_VELO",),
    "C_ACTOCC15P_2ROUESMOT": ("P_ACTOCC15P_2ROUESMOT",),
    "C_ACTOCC15P_VOIT": ("P_ACTOCC15P_VOITURE",),
    "C_ACTOCC15P_TCOM": ("P_ACTOCC15P_COMMUN",),
    "P_CHOM1564": ("P_CHOMEUR1564",),
}
# The total of the commuting modes, only in a file that gives the modes under their new names.
TOTAL_MODES = ("C_ACTOCC15P", "P_ACTOCC15P", "P_ACTOCC15P_VOITURE")


def annee(yy: str) -> int:
    n = int(yy)
    return 2000 + n if n < 60 else 1900 + n


def _feuilles(nom: str, octets: bytes) -> list[tuple[str, pd.DataFrame]]:
    try:
        classeur = pd.ExcelFile(io.BytesIO(octets))
        noms = [f for f in classeur.sheet_names if MOTIF_FEUILLE.fullmatch(f)]
        if not noms:
            raise FormatInconnu(
                nom, f"feuille COM_aaaa introuvable (feuilles : {', '.join(classeur.sheet_names)})"
            )
        feuilles = [
            (f, pd.read_excel(classeur, sheet_name=f, header=5, dtype=str, keep_default_na=False, na_filter=False))
            for f in noms
        ]
    except FormatInconnu:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many unrelated types on a damaged workbook
        raise FormatInconnu(nom, f"classeur Excel illisible ({type(exc).__name__})") from None
    resultat = []
    for feuille, df in feuilles:
        df.columns = [str(c).strip() for c in df.columns]
        if "CODGEO" not in df.columns:
            raise FormatInconnu(
                f"{nom} (feuille {feuille})",
                "colonne CODGEO introuvable en 6e ligne (mise en page Insee : 5 lignes de titre)",
            )
        resultat.append((f"{nom} (feuille {feuille})", df.astype(str)))
    return resultat


def _verifier_codes(nom: str, codes: pd.Series, premiere_ligne: int) -> np.ndarray:
    codes = codes.astype(str).str.strip()
    valide = codes.str.fullmatch(MOTIF_COMMUNE)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code commune « {codes.iloc[i]} » invalide")
    doublons = codes.duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code « {codes.iloc[i]} » en double")
    return codes.to_numpy()


def _variables(nom: str, colonnes: list[str]) -> tuple[list[str], list[int]]:
    variables, millesimes = [], []
    for colonne in colonnes:
        trouve = MOTIF_VARIABLE.fullmatch(colonne)
        if not trouve:
            raise FormatInconnu(nom, f"colonne inattendue « {colonne} » (variables Paa_... ou Caa_... attendues)")
        variables.append(f"{trouve.group(1)}_{trouve.group(3)}")
        millesimes.append(annee(trouve.group(2)))
    if not variables:
        raise FormatInconnu(nom, "aucune variable du recensement (colonnes P19_..., C19_...)")
    return variables, millesimes


def _partie_csv(nom: str, octets: bytes):
    # Only codes and numbers are used: the file may be in UTF-8 or Windows-1252.
    textes, colonnes, valeurs, _ = valeurs_csv(
        nom, octets, {"CODGEO"} | IGNOREES, ".", encodages=("utf-8-sig", "cp1252"), marques_secret=frozenset()
    )
    return _verifier_codes(nom, textes["CODGEO"], 2), *_variables(nom, colonnes), valeurs


def _partie_classeur(nom: str, df: pd.DataFrame):
    colonnes = [c for c in df.columns if c != "CODGEO" and c.upper() not in IGNOREES]
    variables, millesimes = _variables(nom, colonnes)
    valeurs = np.column_stack(
        [nombres(df[c], nom, c, ".", 7, marques_secret=frozenset())[0].to_numpy() for c in colonnes]
    )
    return _verifier_codes(nom, df["CODGEO"], 7), variables, millesimes, valeurs


def _officiel(nom_fichier: str, millesime: int):
    """The registered file of this base communale (the xlsx and CSV layouts share one entry)."""
    nom = nom_fichier.lower()
    for cle in catalogue.SOURCES:
        if not cle.startswith("rp_") or millesime not in catalogue.millesimes(cle):
            continue
        officiel = catalogue.fichiers(cle, millesime)[0]
        souche = officiel.membre.lower().rsplit("-", 1)[0]  # base-cc-logement
        if nom.startswith(souche + "-") or nom.startswith(souche.replace("base-cc-", "base-ccc-") + "-"):
            return officiel
    return None


def _synonymes(tidy: pd.DataFrame) -> pd.DataFrame:
    """Add the report's name of a variable a file gives under another name (see SYNONYMES)."""
    presentes = set(tidy["variable"].unique())
    ajouts = []
    paires = [(nom, autres) for nom, autres in SYNONYMES.items()]
    if TOTAL_MODES[2] in presentes:
        paires.append((TOTAL_MODES[0], (TOTAL_MODES[1],)))
    for nom, autres in paires:
        if nom in presentes:
            continue
        autre = next((a for a in autres if a in presentes), None)
        if autre is not None:
            ajouts.append(tidy[tidy["variable"] == autre].assign(variable=nom))
    if not ajouts:
        return tidy
    return pd.concat([tidy, *ajouts], ignore_index=True)


def lire(chemin: Path, millesime: int | None = None, membre: str | None = None) -> pd.DataFrame:
    """Read a base communale (CSV, `_csv.zip` or XLSX) into the tidy table.

    `millesime` is the main census of the file (2019 for base-cc-evol-struct-pop-2019); it is
    checked against the columns. Earlier censuses in the same file keep their own millésime.
    """
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin, membre)
    nom_fichier = nom_donnees(nom)
    extension = nom_fichier.rsplit(".", 1)[-1].lower()
    if extension == "csv":
        parties = [_partie_csv(nom, octets)]
    elif extension in ("xlsx", "xls"):
        parties = [_partie_classeur(n, df) for n, df in _feuilles(nom, octets)]
    else:
        raise FormatInconnu(nom, "format inconnu : fichier .CSV, _csv.zip ou .xlsx attendu")

    tables, annees = [], set()
    for codes, variables, millesimes, valeurs in parties:
        annees.update(millesimes)
        tables.append(
            assembler(codes, "commune", variables, valeurs, np.zeros(valeurs.shape, bool), millesimes)
        )
    tidy = _synonymes(pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0])
    principal = max(annees)
    if millesime is not None and int(millesime) != principal:
        raise FormatInconnu(nom, f"le fichier contient le recensement {principal}, {millesime} attendu")
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin,
        nom_fichier,
        principal,
        f"Insee, RP {principal}",
        f"Insee, recensement de la population {principal}, base communale {nom_fichier}",
        officiel=_officiel(nom_fichier, principal),
    )
    return verifier(tidy)
