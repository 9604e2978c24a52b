"""Insee Code officiel géographique (COG) and EPCI composition: plain DataFrames (not tidy), used to
(re)build the référentiel of communes, EPCI, départements and régions.

Published layouts read:
- communes: `communes-01012019.csv`, `communes2020.csv` (lower-case columns: typecom, com, reg, dep,
  arr, tncc, ncc, nccenr, libelle, can, comparent), `commune2021.csv` / `commune_2021.csv`,
  `commune_2022.csv` (upper-case, with CTCD); `,` separator, UTF-8;
- départements (`departement2021.csv`...: DEP, REG, CHEFLIEU, TNCC, NCC, NCCENR, LIBELLE) and régions;
- EPCI composition: `EPCI_2020.csv` (`;`, UTF-8 with BOM: CODGEO, LIBGEO, EPCI, LIBEPCI, DEP, REG)
  and the INSEE workbooks `Intercommunalite_Metropole_au_01-01-aaaa.xlsx` / `EPCI_au_01-01-aaaa.xlsx`
  (sheets EPCI and Composition_communale, 5 title rows, codes header on the 6th row);
- commune movements `mvtcommune_aaaa.csv` (`,`: MOD, DATE_EFF, TYPECOM_AV, COM_AV, TNCC_AV, NCC_AV,
  NCCENR_AV, LIBELLE_AV, TYPECOM_AP, COM_AP, TNCC_AP, NCC_AP, NCCENR_AP, LIBELLE_AP; lower-case
  names before 2021).

Every column is returned as str, upper-case names; codes are never converted to numbers.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources.schema import contenu_brut, table_csv

MOTIF_COMMUNE = r"\d[\dAB]\d{3}"
MOTIF_EPCI = r"\d{9}"
MOTIF_DEP = r"\d[\dAB]\d?"
MOTIF_REG = r"\d{2}"
# Movements that give a commune a new code or merge it into another (COG documentation):
# 31 fusion simple, 32 création de commune nouvelle, 33 fusion-association, 34 transformation de
# fusion-association en fusion simple, 41 changement de code dû à un changement de département,
# 50 changement de code dû à un transfert de chef-lieu.
MODS_PASSAGE = {"31", "32", "33", "34", "41", "50"}


def _csv(chemin: Path, obligatoires, sep: str, membre: str | None = None) -> tuple[str, pd.DataFrame]:
    nom, octets = contenu_brut(Path(chemin), membre)
    entete = octets[:2048].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    # the 2019-2020 files have lower-case column names: compare upper-case
    texte_sep = sep
    colonnes = [c.strip().upper() for c in entete.strip("\r").split(texte_sep)]
    manquantes = [c for c in obligatoires if c not in colonnes]
    if manquantes:
        raise FormatInconnu(nom, f"colonne(s) manquante(s) : {', '.join(manquantes)} (en-tête ligne 1)")
    df = table_csv(nom, octets, obligatoires=(), sep=sep, encodages=("utf-8-sig",))
    df.columns = [c.strip().upper() for c in df.columns]
    return nom, df.apply(lambda s: s.str.strip())


def _verifier(nom: str, df: pd.DataFrame, colonne: str, motif: str, premiere_ligne: int = 2, vide_permis=False) -> None:
    valeurs = df[colonne]
    valide = valeurs.str.fullmatch(motif) | ((valeurs == "") if vide_permis else False)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + premiere_ligne} : code « {valeurs.iloc[i][:20]} » invalide")


def lire_communes(chemin: Path, actuelles: bool = False, membre: str | None = None) -> pd.DataFrame:
    """COG communes (all TYPECOM: COM, COMA, COMD, ARM); `actuelles=True` keeps TYPECOM == "COM"."""
    nom, df = _csv(chemin, ("TYPECOM", "COM", "REG", "DEP", "LIBELLE"), ",", membre)
    _verifier(nom, df, "COM", MOTIF_COMMUNE)
    _verifier(nom, df, "DEP", MOTIF_DEP, vide_permis=True)  # COMA/COMD have no DEP
    types = set(df["TYPECOM"]) - {"COM", "COMA", "COMD", "ARM"}
    if types:
        raise FormatInconnu(nom, f"colonne TYPECOM : type(s) inconnu(s) {sorted(types)}")
    if actuelles:
        df = df[df["TYPECOM"] == "COM"].reset_index(drop=True)
        doublons = df["COM"].duplicated()
        if doublons.any():
            raise FormatInconnu(nom, f"colonne COM : commune « {df['COM'][doublons].iloc[0]} » en double")
    return df


def lire_departements(chemin: Path, membre: str | None = None) -> pd.DataFrame:
    nom, df = _csv(chemin, ("DEP", "REG", "LIBELLE"), ",", membre)
    _verifier(nom, df, "DEP", MOTIF_DEP)
    _verifier(nom, df, "REG", MOTIF_REG)
    return df


def lire_regions(chemin: Path, membre: str | None = None) -> pd.DataFrame:
    nom, df = _csv(chemin, ("REG", "LIBELLE"), ",", membre)
    _verifier(nom, df, "REG", MOTIF_REG)
    return df


def _classeur(chemin: Path, feuille: str, obligatoires) -> tuple[str, pd.DataFrame]:
    nom, octets = contenu_brut(Path(chemin))
    try:
        classeur = pd.ExcelFile(io.BytesIO(octets))
        if feuille not in classeur.sheet_names:
            raise FormatInconnu(nom, f"feuille « {feuille} » introuvable (feuilles : {', '.join(classeur.sheet_names)})")
        df = pd.read_excel(classeur, sheet_name=feuille, header=5, dtype=str, keep_default_na=False, na_filter=False)
    except FormatInconnu:
        raise
    except Exception as exc:  # openpyxl/xlrd raise many unrelated types on a damaged workbook
        raise FormatInconnu(nom, f"classeur Excel illisible ({type(exc).__name__})") from None
    df.columns = [str(c).strip().upper() for c in df.columns]
    manquantes = [c for c in obligatoires if c not in df.columns]
    if manquantes:
        raise FormatInconnu(
            f"{nom} (feuille {feuille})",
            f"colonne(s) {', '.join(manquantes)} introuvable(s) en 6e ligne (mise en page Insee : 5 lignes de titre)",
        )
    return f"{nom} (feuille {feuille})", df.astype(str).apply(lambda s: s.str.strip())


def lire_composition_epci(chemin: Path) -> pd.DataFrame:
    """Commune -> EPCI: CODGEO, LIBGEO, EPCI, LIBEPCI, DEP, REG (CSV `EPCI_2020.csv` or workbook)."""
    colonnes = ("CODGEO", "EPCI", "LIBEPCI")
    if str(chemin).lower().endswith((".xlsx", ".xls")):
        nom, df = _classeur(chemin, "Composition_communale", colonnes)
        premiere = 7
    else:
        nom, df = _csv(chemin, colonnes, ";")
        premiere = 2
    _verifier(nom, df, "CODGEO", MOTIF_COMMUNE, premiere)
    # communes outside any EPCI (îles mono-communales) carry "ZZZZZZZZZ"
    _verifier(nom, df, "EPCI", MOTIF_EPCI + "|Z{9}", premiere)
    doublons = df["CODGEO"].duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne CODGEO, ligne {i + premiere} : commune « {df['CODGEO'].iloc[i]} » en double")
    return df.reset_index(drop=True)


def lire_epci(chemin: Path) -> pd.DataFrame:
    """List of EPCI (sheet EPCI of the workbook): EPCI, LIBEPCI, NATURE_EPCI, NB_COM."""
    nom, df = _classeur(chemin, "EPCI", ("EPCI", "LIBEPCI"))
    _verifier(nom, df, "EPCI", MOTIF_EPCI + "|Z{9}", 7)
    return df


def lire_mouvements(chemin: Path, membre: str | None = None) -> pd.DataFrame:
    """COG commune movements (mvtcommune): one row per (movement, commune before, commune after)."""
    nom, df = _csv(chemin, ("MOD", "DATE_EFF", "TYPECOM_AV", "COM_AV", "TYPECOM_AP", "COM_AP"), ",", membre)
    _verifier(nom, df, "COM_AV", MOTIF_COMMUNE)
    _verifier(nom, df, "COM_AP", MOTIF_COMMUNE)
    _verifier(nom, df, "MOD", r"\d{2}")
    _verifier(nom, df, "DATE_EFF", r"\d{4}-\d{2}-\d{2}")
    return df


def table_passage(mouvements: pd.DataFrame, date_geographie: str) -> dict[str, str]:
    """Old commune code -> commune code in force on `date_geographie` (`2022-01-01`), following
    merges (communes nouvelles) and code changes effective up to that date, transitively."""
    m = mouvements
    utiles = m[
        m["MOD"].isin(MODS_PASSAGE)
        & (m["TYPECOM_AV"] == "COM")
        & (m["TYPECOM_AP"] == "COM")
        & (m["DATE_EFF"] <= date_geographie)
        & (m["COM_AV"] != m["COM_AP"])
    ].sort_values("DATE_EFF", kind="stable")
    passage: dict[str, str] = {}
    for ancien, nouveau in zip(utiles["COM_AV"], utiles["COM_AP"]):
        passage[ancien] = nouveau
    # the commune that absorbs others keeps its own code (a row COM_AV == COM_AP): never remapped
    for ancien in list(passage):
        vus, cible = {ancien}, passage[ancien]
        while cible in passage and cible not in vus:
            vus.add(cible)
            cible = passage[cible]
        passage[ancien] = cible
    return passage


def annee_geographie(nom_fichier: str) -> int | None:
    """The geography year written in an official COG/EPCI file name, if any."""
    trouve = re.search(r"(20\d{2})", nom_fichier)
    return int(trouve.group(1)) if trouve else None
