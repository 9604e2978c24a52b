"""Insee Filosofi: « Structure et distribution des revenus, inégalité des niveaux de vie ».

2014-2015 (and 2016, also published so): one workbook `base-cc-filosofi-yyyy.xls` with a sheet per
niveau (COM, EPCI, DEP, REG, METRO or METROPOLE; ARR, AU2010, UU2010, ZE2010 are ignored), 5 title
rows, header on the 6th row; its names `MEDyy`, `NBMENFISCyy`, `NBPERSMENFISCyy` become `Q2`,
`NBMEN`, `NBPERS` as in the later DISP files (the other names are the same).

Reads FILOyyyy_DISP_{COM,EPCI,DEP,REG,METROPOLE} and the poverty rates published beside them,
FILOyyyy_DISP_Pauvres_{COM,...} (`PAUVRES` in capitals from 2020: TP60yy the poverty rate at 60 %
of the median standard of living, TP60AGE1yy... by age, TP60TOL1yy... by tenure), in the published CSV layout (`;`, UTF-8 with
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

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.schema import assembler, contenu_brut, nom_donnees, nombres, valeurs_csv, verifier

MOTIF_NOM = re.compile(r"FILO(\d{4})_DISP_(PAUVRES_)?(COM|EPCI|DEP|REG|METROPOLE)\.(csv|xlsx|xls)", re.IGNORECASE)
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


MOTIF_BASE_CC = re.compile(r"base-cc-filosofi-(\d{4})\.(xls|xlsx)", re.IGNORECASE)
FEUILLES_BASE_CC = {"COM": "commune", "EPCI": "epci", "DEP": "departement", "REG": "region", "METRO": "france", "METROPOLE": "france"}
RENOMMAGES_BASE_CC = {"MED": "Q2", "NBMENFISC": "NBMEN", "NBPERSMENFISC": "NBPERS"}


def _codes_valides(nom: str, codes: pd.Series, niveau: str, premiere_ligne: int) -> pd.Series:
    codes = codes.astype(str).str.strip()
    if niveau is None:
        niveau = _niveau_des_codes(nom, codes)
    valide = codes.str.fullmatch(MOTIF_CODE[niveau].pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(
            nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code « {codes.iloc[i][:20]} » invalide pour le niveau {niveau}"
        )
    doublons = codes.duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne CODGEO, ligne {i + premiere_ligne} : code « {codes.iloc[i]} » en double")
    return codes


def _lire_base_cc(chemin: Path, nom: str, octets: bytes, millesime: int) -> pd.DataFrame:
    yy = f"{millesime % 100:02d}"
    try:
        classeur = pd.ExcelFile(io.BytesIO(octets))
        feuilles = [f for f in classeur.sheet_names if f.strip().upper() in FEUILLES_BASE_CC]
        if not feuilles:
            raise FormatInconnu(nom, f"aucune feuille COM, EPCI, DEP, REG ou METRO (feuilles : {', '.join(classeur.sheet_names)})")
        lues = [
            (f, pd.read_excel(classeur, sheet_name=f, header=5, dtype=str, keep_default_na=False, na_filter=False))
            for f in feuilles
        ]
    except FormatInconnu:
        raise
    except Exception as exc:  # xlrd/openpyxl raise many unrelated types on a damaged workbook
        raise FormatInconnu(nom, f"classeur Excel illisible ({type(exc).__name__})") from None
    tables = []
    for feuille, df in lues:
        ou = f"{nom} (feuille {feuille})"
        niveau = FEUILLES_BASE_CC[feuille.strip().upper()]
        df.columns = [str(c).strip() for c in df.columns]
        mediane = f"MED{yy}"
        for requise in ("CODGEO", mediane):
            if requise not in df.columns:
                raise FormatInconnu(ou, f"colonne {requise} introuvable en 6e ligne (mise en page Insee : 5 lignes de titre)")
        df = df.astype(str)
        codes = _codes_valides(ou, df["CODGEO"], niveau, 7)
        if niveau == "france":
            codes = pd.Series(["FRM"] * len(codes), dtype="str")
        colonnes = [c for c in df.columns if c not in IGNOREES and not c.startswith("Unnamed")]
        variables = []
        for c in colonnes:
            v = c[:-2] if c.endswith(yy) and len(c) > 2 else c
            variables.append(RENOMMAGES_BASE_CC.get(v, v))
        if len(set(variables)) != len(variables):
            raise FormatInconnu(ou, "deux colonnes donnent la même variable une fois le millésime retiré")
        converties = [nombres(df[c], ou, c, ".", 7) for c in colonnes]
        n = len(df)
        valeurs = np.column_stack([v.to_numpy() for v, _ in converties]) if colonnes else np.empty((n, 0))
        masques = np.column_stack([m.to_numpy() for _, m in converties]) if colonnes else np.empty((n, 0), bool)
        tables.append(assembler(codes.to_numpy(), niveau, variables, valeurs, masques, [millesime] * len(variables)))
    tidy = pd.concat(tables, ignore_index=True)
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_donnees(nom), millesime, f"Insee, Filosofi {millesime}",
        f"Insee, Filosofi {millesime} : revenus, pauvreté et niveau de vie (base communale base-cc-filosofi)",
    )
    return verifier(tidy)


def _selon_contenu(nom: str, octets: bytes) -> tuple[int, bool]:
    """(millésime, poverty file) of a renamed file, from the median's column (Q2aa) or, in the
    « Pauvres » file, the poverty rate's (TP60aa)."""
    entete = octets[:4096].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    trouve = re.search(r"(?:^|;)Q2(\d\d)(?:;|$)", entete.strip())
    if trouve:
        return 2000 + int(trouve.group(1)), False
    trouve = re.search(r"(?:^|;)TP60(\d\d)(?:;|$)", entete.strip())
    if trouve:
        return 2000 + int(trouve.group(1)), True
    raise FormatInconnu(nom, "colonne Q2aa (médiane du niveau de vie) ou TP60aa (taux de pauvreté) introuvable : "
                             "fichier Filosofi DISP attendu")


def _niveau_des_codes(nom: str, codes: pd.Series) -> str:
    """The level of a Filosofi DISP file from its codes (file renamed by the browser)."""
    for niveau in ("commune", "epci"):
        if len(codes) and codes.str.fullmatch(MOTIF_CODE[niveau].pattern).all():
            return niveau
    if len(codes) == 1 and codes.iloc[0] in ("1", "FRM", "FM", "METRO"):
        return "france"
    if len(codes) and codes.str.fullmatch(MOTIF_CODE["departement"].pattern).all():
        return "departement" if len(codes) > 20 else "region"
    raise FormatInconnu(nom, "niveau géographique introuvable (codes ni communes, ni EPCI, ni départements, ni régions)")


def lire(chemin: Path, membre: str | None = None) -> pd.DataFrame:
    """Read one Filosofi DISP file (or `membre` of a published zip) into the tidy table; a
    `base-cc-filosofi-yyyy.xls` workbook gives every niveau at once."""
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin, membre)
    nom_fichier = nom_donnees(nom)
    base_cc = MOTIF_BASE_CC.fullmatch(nom_fichier)
    if base_cc:
        return _lire_base_cc(chemin, nom, octets, int(base_cc.group(1)))
    trouve = MOTIF_NOM.fullmatch(nom_fichier)
    extension = nom_fichier.rsplit(".", 1)[-1].lower()
    if trouve:
        millesime = int(trouve.group(1))
        pauvres = bool(trouve.group(2))
        niveau = catalogue.NIVEAUX_FILOSOFI[trouve.group(3).upper()]
    elif extension in ("csv", "txt", "gz"):
        # a renamed file (« FILO2019_DISP_COM (1).csv »): the millésime from the median's column
        # name, the level from the codes
        (millesime, pauvres), niveau = _selon_contenu(nom, octets), None
        extension = "csv"
    else:
        raise FormatInconnu(
            nom, "nom de fichier inattendu : FILOaaaa_DISP_COM/EPCI/DEP/REG/METROPOLE attendu (nom officiel)"
        )
    yy = f"{millesime % 100:02d}"
    mediane = f"TP60{yy}" if pauvres else f"Q2{yy}"

    if extension == "csv":
        textes, colonnes, valeurs, masques = valeurs_csv(
            nom, octets, IGNOREES, ",", obligatoires=("CODGEO", mediane)
        )
        codes, premiere_ligne = textes["CODGEO"], 2
    else:
        df = _lire_classeur(nom, octets)
        if mediane not in df.columns:
            quoi = "taux de pauvreté" if pauvres else "médiane du niveau de vie"
            raise FormatInconnu(nom, f"colonne manquante : {mediane} ({quoi})")
        premiere_ligne = 7
        codes, colonnes = df["CODGEO"], [c for c in df.columns if c not in IGNOREES]
        converties = [nombres(df[c], nom, c, ".", premiere_ligne) for c in colonnes]
        valeurs = np.column_stack([v.to_numpy() for v, _ in converties]) if colonnes else np.empty((len(df), 0))
        masques = np.column_stack([m.to_numpy() for _, m in converties]) if colonnes else np.empty((len(df), 0), bool)

    codes = codes.astype(str).str.strip()
    if niveau is None:
        niveau = _niveau_des_codes(nom, codes)
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
        f"Insee, Filosofi {millesime} : " + ("taux de pauvreté" if pauvres else "revenu disponible") + f", niveau {niveau}",
    )
    return verifier(tidy)
