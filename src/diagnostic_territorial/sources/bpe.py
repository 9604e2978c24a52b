"""Insee Base permanente des équipements (BPE).

Two published layouts are read:

- the aggregated `bpeyy_ensemble.csv` (in `bpeyy_ensemble_csv.zip`): `;`, columns
  REG;DEP;DEPCOM;DCIRIS;AN;TYPEQU;NB_EQUIP, one row per commune x IRIS x equipment type;
- the geolocated `BPEyy.csv` (in `BPEyy.zip`): `;`, one row per equipment, columns AN, NOMRS...,
  DEPCOM, ..., TYPEQU, ..., CAPACITE, ... (the order and the set of the other columns vary).

Both become the tidy table at commune level: `variable` = TYPEQU code (`D502`) with the number of
equipments; from the geolocated layout also `<TYPEQU>_CAPACITE` (sum of CAPACITE, NaN when one
equipment of the commune has no capacity). A commune without an equipment type has no row for it
(the BPE lists equipments: absent means none). TYPEQU codes change between millésimes:
`categories(millesime)` maps the report's categories to the codes of that millésime.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.schema import contenu_brut, nom_donnees, nombres, table_csv, verifier

MOTIF_COMMUNE = re.compile(r"\d[\dAB]\d{3}")
MOTIF_TYPEQU = re.compile(r"[A-G]\d{3}")
MOTIF_AGREGE = re.compile(r"bpe(\d{2})_ensemble\.csv", re.IGNORECASE)
MOTIF_XY = re.compile(r"bpe(\d{2})(?:_[a-z_]+)?\.csv", re.IGNORECASE)

# --- TYPEQU codes -> categories of the report, by millésime ------------------------------------
# Codes of the nomenclature used from BPE 2018 to BPE 2020 (checked on bpe18_ensemble.csv).
_CATEGORIES_2018 = {
    "creches_eaje": ["D502"],  # établissement d'accueil du jeune enfant
    "ecoles_maternelles": ["C101", "C102"],  # école maternelle ; maternelle de RPI dispersé
    "ecoles_elementaires": ["C104", "C105"],  # école élémentaire ; élémentaire de RPI dispersé
    "colleges": ["C201"],
    "lycees": ["C301", "C302", "C303", "C304", "C305"],  # général/techno, pro, agricole, SGT, SEP
    "personnes_agees": ["D401", "D402", "D403", "D404", "D405"],  # hébergement, soins, aide, repas
    "services_publics": ["A101", "A104", "A206", "A207", "A208"],  # police, gendarmerie, poste
    "medecins_generalistes": ["D201"],
    "pharmacies": ["D301"],
    # equipment types of the offer of the Convention territoriale globale that the nomenclature of
    # 2018-2020 does not have (no D5xx code but D502 in bpe18_ensemble.csv): an indicator asking
    # for them says so (`absente`), never 0
    "relais_petite_enfance": [],
    "accueils_loisirs": [],
    "centres_sociaux_evs": [],
}
# BPE 2021 and later (the geolocated files, then the Melodi dataset DS_BPE of 2024 and 2025, whose
# FACILITY_TYPE codes are the same TYPEQU codes): new health and school codes (médecin généraliste
# D265, pharmacie D307, écoles C107-C109); the old codes are kept so that a code present in a file
# is never lost. France services and centres sociaux are not equipment types of the BPE files
# read here (no code is invented).
_CATEGORIES_2021 = {
    **_CATEGORIES_2018,
    "creches_eaje": ["D502", "D509"],
    "ecoles_maternelles": ["C101", "C102", "C107"],
    "ecoles_elementaires": ["C104", "C105", "C108", "C109"],
    "medecins_generalistes": ["D201", "D265"],
    "pharmacies": ["D301", "D307"],
    # Convention territoriale globale: relais petite enfance, accueils de loisirs sans hébergement,
    # centres sociaux and espaces de vie sociale. Codes of public third-party code (docs/sources.md),
    # not confirmed on a real file of these millésimes: a code absent from a file gives 0 only where
    # the BPE covers the commune, as for every inventory
    "relais_petite_enfance": ["D504"],
    "accueils_loisirs": ["D505"],
    "centres_sociaux_evs": ["D506", "D508"],
}

LIBELLES_CATEGORIES = {
    "relais_petite_enfance": "les relais petite enfance",
    "accueils_loisirs": "les accueils de loisirs sans hébergement",
    "centres_sociaux_evs": "les centres sociaux et espaces de vie sociale",
}


def categories(millesime: int) -> dict[str, list[str]]:
    """Report categories -> TYPEQU codes of BPE `millesime` (2018 and later)."""
    millesime = int(millesime)
    if millesime < 2018:
        raise ValueError(f"BPE {millesime} : nomenclature des équipements non prise en charge (2018 et après)")
    table = _CATEGORIES_2018 if millesime <= 2020 else _CATEGORIES_2021
    return {k: list(v) for k, v in table.items()}


def absente(categorie: str, millesime: int) -> str:
    """Why a category has no TYPEQU code in BPE `millesime` (French, for the report and make donnees)."""
    quoi = LIBELLES_CATEGORIES.get(categorie, f"la catégorie « {categorie} »")
    return (f"la nomenclature de la BPE {int(millesime)} ne compte pas {quoi} (types d'équipements des "
            "nomenclatures récentes) : indicateur calculable avec une BPE plus récente")


def _annee(yy: str) -> int:
    return 2000 + int(yy)


def _verifier_codes(nom: str, codes: pd.Series, colonne: str, motif: re.Pattern, quoi: str) -> None:
    valide = codes.str.fullmatch(motif.pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + 2} : {quoi} « {codes.iloc[i][:20]} » invalide")


def _millesime(nom: str, df: pd.DataFrame, attendu: int | None) -> int:
    annees = df["AN"].str.strip()
    valide = annees.str.fullmatch(r"\d{4}")
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne AN, ligne {i + 2} : année « {annees.iloc[i][:10]} » invalide")
    distinctes = sorted(str(a) for a in annees.unique())
    if len(distinctes) > 1:
        raise FormatInconnu(nom, f"colonne AN : plusieurs années dans le fichier ({', '.join(distinctes)})")
    millesime = int(distinctes[0]) if distinctes else attendu
    if millesime is None:
        raise FormatInconnu(nom, "fichier sans ligne : millésime inconnu")
    if attendu is not None and millesime != attendu:
        raise FormatInconnu(nom, f"colonne AN : le fichier contient la BPE {millesime}, {attendu} attendu")
    return millesime


def _tidy(codes, variables, valeurs, secrets, millesime) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "codgeo": pd.Series(np.asarray(codes, dtype=object), dtype="str"),
            "niveau": pd.Series(np.full(len(codes), "commune", dtype=object), dtype="str"),
            "variable": pd.Series(np.asarray(variables, dtype=object), dtype="str"),
            "millesime": np.full(len(codes), millesime, dtype="int64"),
            "valeur": np.asarray(valeurs, dtype="float64"),
            "secret": np.asarray(secrets, dtype=bool),
        }
    )
    return df.sort_values(["codgeo", "variable"], kind="stable").reset_index(drop=True)


def _agrege(nom: str, octets: bytes, millesime: int | None):
    df = table_csv(nom, octets, obligatoires=("DEPCOM", "TYPEQU", "NB_EQUIP", "AN"))
    codes = df["DEPCOM"].str.strip()
    types = df["TYPEQU"].str.strip()
    _verifier_codes(nom, codes, "DEPCOM", MOTIF_COMMUNE, "code commune")
    _verifier_codes(nom, types, "TYPEQU", MOTIF_TYPEQU, "type d'équipement")
    millesime = _millesime(nom, df, millesime)
    nombre, vide = nombres(df["NB_EQUIP"], nom, "NB_EQUIP", ".", 2, marques_secret=frozenset())
    if vide.any():
        i = int(vide.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne NB_EQUIP, ligne {i + 2} : cellule vide")
    if (nombre < 0).any() or (nombre != np.floor(nombre)).any():
        i = int(((nombre < 0) | (nombre != np.floor(nombre))).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne NB_EQUIP, ligne {i + 2} : nombre d'équipements « {df['NB_EQUIP'].iloc[i]} » invalide")
    somme = pd.DataFrame({"c": codes, "t": types, "n": nombre}).groupby(["c", "t"], sort=True)["n"].sum()
    codes_, types_ = somme.index.get_level_values(0), somme.index.get_level_values(1)
    return _tidy(codes_.to_numpy(dtype=object), types_.to_numpy(dtype=object), somme.to_numpy(),
                 np.zeros(len(somme), bool), millesime), millesime


def _geolocalise(nom: str, octets: bytes, millesime: int | None):
    # Names and addresses are not used: accept UTF-8 or Windows-1252.
    df = table_csv(nom, octets, obligatoires=("DEPCOM", "TYPEQU", "AN"), encodages=("utf-8-sig", "cp1252"))
    codes = df["DEPCOM"].str.strip()
    types = df["TYPEQU"].str.strip()
    _verifier_codes(nom, codes, "DEPCOM", MOTIF_COMMUNE, "code commune")
    _verifier_codes(nom, types, "TYPEQU", MOTIF_TYPEQU, "type d'équipement")
    millesime = _millesime(nom, df, millesime)
    table = pd.DataFrame({"c": codes, "t": types})
    comptes = table.groupby(["c", "t"], sort=True).size()
    parties = [
        _tidy(
            list(comptes.index.get_level_values(0)), list(comptes.index.get_level_values(1)),
            comptes.to_numpy(dtype="float64"), np.zeros(len(comptes), bool), millesime,
        )
    ]
    if "CAPACITE" in df.columns:
        capacite, vide = nombres(df["CAPACITE"], nom, "CAPACITE", ".", 2, marques_secret=frozenset())
        table["cap"] = capacite.to_numpy()
        table["vide"] = vide.to_numpy()
        # capacity only for the equipment types that carry one somewhere in the file
        types_avec = set(table.loc[~table["vide"], "t"])
        partie = table[table["t"].isin(types_avec)]
        renseigne = partie.groupby(["c", "t"], sort=True).agg(cap=("cap", "sum"), vide=("vide", "any"))
        valeurs = np.where(renseigne["vide"].to_numpy(), np.nan, renseigne["cap"].to_numpy(dtype="float64"))
        parties.append(
            _tidy(
                list(renseigne.index.get_level_values(0)),
                [t + "_CAPACITE" for t in renseigne.index.get_level_values(1)],
                valeurs, np.zeros(len(renseigne), bool), millesime,
            )
        )
    tidy = pd.concat(parties, ignore_index=True)
    return tidy.sort_values(["codgeo", "variable"], kind="stable").reset_index(drop=True), millesime


def lire(chemin: Path, millesime: int | None = None, membre: str | None = None) -> pd.DataFrame:
    """Read a BPE file (aggregated `bpeyy_ensemble` or geolocated `BPEyy` layout, CSV or zip).

    The layout is recognised from the columns (NB_EQUIP: aggregated); `millesime` is checked
    against the AN column when given.
    """
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin, membre)
    nom_fichier = nom_donnees(nom)
    if not nom_fichier.lower().endswith(".csv"):
        raise FormatInconnu(nom, "format inconnu : fichier CSV de la BPE attendu (bpeaa_ensemble.csv ou BPEaa.csv)")
    entete = octets[:4096].split(b"\n", 1)[0]
    if b"NB_EQUIP" in entete:
        tidy, millesime = _agrege(nom, octets, millesime)
        libelle = "nombre d'équipements par commune et type (base agrégée)"
    else:
        tidy, millesime = _geolocalise(nom, octets, millesime)
        libelle = "équipements géolocalisés, comptés par commune et type"
    officiel = None
    if millesime in catalogue.millesimes("bpe"):
        officiel = catalogue.fichiers("bpe", millesime)[0]
        if nom_fichier.lower() != officiel.nom_fichier.lower():
            officiel = None
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_fichier, millesime, f"Insee, BPE {millesime}",
        f"Insee, Base permanente des équipements {millesime} : {libelle}", officiel=officiel,
    )
    return verifier(tidy)


def par_categorie(df: pd.DataFrame, millesime: int | None = None) -> pd.DataFrame:
    """Sum the TYPEQU counts of a tidy BPE table into the report's categories (same schema,
    `variable` = category name). Communes without any equipment of a category get no row."""
    if df.empty:
        return df.copy()
    millesime = int(millesime if millesime is not None else df["millesime"].iloc[0])
    lignes = []
    for categorie, codes in categories(millesime).items():
        partie = df[df["variable"].isin(codes)]
        if partie.empty:
            continue
        somme = partie.groupby(["codgeo", "niveau", "millesime"], as_index=False).agg(
            valeur=("valeur", "sum"), secret=("secret", "any")
        )
        somme["variable"] = categorie
        lignes.append(somme)
    if not lignes:
        from diagnostic_territorial.sources.schema import table_vide

        return table_vide()
    resultat = pd.concat(lignes, ignore_index=True)[["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]]
    resultat.attrs = dict(df.attrs)
    return resultat.astype({"codgeo": "str", "niveau": "str", "variable": "str"})
