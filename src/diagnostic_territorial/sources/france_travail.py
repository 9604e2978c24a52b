"""France Travail / Dares: demandeurs d'emploi inscrits (DEFM) par commune, long format.

The published file is the Dares opendatasoft dataset `dares_defm_communales-brutes` (CSV, `;`,
UTF-8 with BOM, CRLF), one row per commune x catégorie x sexe x tranche d'âge x trimestre. It is
exported either with its labels header

    Date;Code région;Région;Code département;Département;Code commune;Commune;Type de données;
    Catégorie;Sexe;Tranche d'âge;Nombre de demandeurs d'emploi

or with the field names (`date;code_region;...;code_commune;commune;type_de_donnees;categorie;
sexe;tranche_d_age;nombre_de_demandeurs_d_emploi`). Values: `Date` = `2024-T4`, Catégorie `ABC`,
Sexe `Total`/`Hommes`/`Femmes`, Tranche d'âge `Total`, `Moins de 25 ans`, `De 25 à 49 ans`,
`50 ans et plus` (the age split only for Sexe = Total), counts rounded to 5; Paris, Lyon and
Marseille appear both as the commune and by arrondissement (the indicator layer keeps the
commune's own row). Older layouts (`Trimestre` = `2023T4`, `Ensemble`, `25 à 49 ans`...) are read
too. Counts not published (empty cell, `s`, `<5`, `secret`) read as secret (NaN), never 0. Rows of
another `Type de données` than `Brutes` (CVS series) are left out; rows with no commune code
(totals) are left out and counted in the provenance.

Output: tidy table at commune level, millesime = year, only the requested quarter (Q4 by
default), `variable` = `DEFM_<CAT>_<SEXE>_<AGE>` (e.g. `DEFM_ABC_T_TOT`, `DEFM_ABC_F_TOT`,
`DEFM_ABC_T_M25`).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.catalogue import provenance as _provenance
from diagnostic_territorial.sources.schema import contenu_brut, nom_donnees, nombres, table_csv, table_vide, verifier

MOTIF_COMMUNE = r"\d[\dAB]\d{3}"
COLONNES = {
    "codgeo": ("code commune", "code_commune", "codgeo", "code insee de la commune", "depcom", "com"),
    "categorie": ("categorie", "categorie de demandeurs", "cat", "categorie_defm"),
    "sexe": ("sexe", "sex"),
    "age": ("tranche d'age", "tranche_d_age", "tranche_age", "age", "trage"),
    "periode": ("date", "trimestre", "periode", "time_period"),
    "valeur": ("nombre de demandeurs d'emploi", "nombre_de_demandeurs_d_emploi", "valeur", "nombre", "nb_defm",
               "defm", "obs_value"),
}
# Optional column: the Dares dataset says « Brutes » (raw counts); a CVS series is never mixed in.
COLONNE_TYPE = ("type de donnees", "type_de_donnees")
TYPE_BRUT = "brutes"
# Commune codes of aggregate rows (not attributable to a commune): left out, counted.
CODES_TOTAUX = frozenset({"", "total", "ensemble", "zzzzz", "france"})
SEXES = {"ensemble": "T", "t": "T", "total": "T", "hommes": "H", "homme": "H", "h": "H", "femmes": "F", "femme": "F", "f": "F"}
AGES = {
    "ensemble": "TOT", "tot": "TOT", "total": "TOT", "tous ages": "TOT",
    "moins de 25 ans": "M25", "m25": "M25", "< 25 ans": "M25",
    "25 a 49 ans": "2549", "de 25 a 49 ans": "2549", "2549": "2549", "25-49 ans": "2549",
    "50 ans ou plus": "50P", "50 ans et plus": "50P", "50p": "50P",
}
CATEGORIES = {"ABC", "A", "B", "C", "D", "E", "ABCDE"}
MARQUES = frozenset({"s", "secret", "<5", "< 5", "nd", "n.d."})


def _simple(texte: str) -> str:
    texte = unicodedata.normalize("NFKD", str(texte)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", texte.strip().lower().replace("’", "'"))


def _trimestre(texte: str) -> tuple[int, int] | None:
    t = texte.strip().upper()
    for motif, ordre in ((r"(\d{4})\s*-?\s*T([1-4])", (1, 2)), (r"T([1-4])\s*-?\s*(\d{4})", (2, 1)), (r"(\d{4})-Q([1-4])", (1, 2))):
        trouve = re.fullmatch(motif, t)
        if trouve:
            return int(trouve.group(ordre[0])), int(trouve.group(ordre[1]))
    trouve = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", t)
    if trouve and trouve.group(2) in ("03", "06", "09", "12"):
        return int(trouve.group(1)), int(trouve.group(2)) // 3
    return None


def lire(chemin: Path, millesime: int | None = None, trimestre: int = 4) -> pd.DataFrame:
    """Read a DEFM-by-commune file; keep quarter `trimestre` (of year `millesime` when given)."""
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin)
    if not nom_donnees(nom).lower().endswith(".csv"):
        raise FormatInconnu(nom, "format inconnu : fichier CSV (séparateur « ; ») attendu")
    df = table_csv(nom, octets, obligatoires=(), encodages=("utf-8-sig", "cp1252"))
    simples = {_simple(c): c for c in df.columns}
    choisies = {}
    for role, alias in COLONNES.items():
        colonne = next((simples[a] for a in alias if a in simples), None)
        if colonne is None:
            raise FormatInconnu(nom, f"colonne manquante : {role} (noms acceptés : {', '.join(alias[:4])}...)")
        choisies[role] = colonne
    # Rows left out before anything is checked: another series than the raw counts, and aggregate
    # rows with no commune code. `origine` keeps the file's line numbers for the messages.
    garder = np.ones(len(df), dtype=bool)
    colonne_type = next((simples[a] for a in COLONNE_TYPE if a in simples), None)
    if colonne_type is not None:
        # a few distinct labels over millions of rows: each one simplified once
        indices, uniques = pd.factorize(df[colonne_type].astype(str))
        types = np.asarray([_simple(u) for u in uniques], dtype=object)[indices]
        garder &= (types == TYPE_BRUT) | (types == "")
    totaux = df[choisies["codgeo"]].astype(str).str.strip().str.lower().isin(CODES_TOTAUX).to_numpy()
    n_totaux = int((totaux & garder).sum())
    garder &= ~totaux
    origine = np.flatnonzero(garder)
    if not garder.all():
        df = df[garder].reset_index(drop=True)
    # A national file has millions of rows but few distinct labels: every column is factorised and
    # its distinct values checked and converted once (errors still name the first faulty line).
    def distinctes(role):
        indices, uniques = pd.factorize(df[choisies[role]])
        return indices, [str(u) for u in uniques]

    def premiere_ligne(indices, mauvais) -> int:
        return int(np.flatnonzero(np.isin(indices, np.flatnonzero(mauvais)))[0])

    i_code, u_code = distinctes("codgeo")
    u_code = [u.strip() for u in u_code]
    mauvais = [re.fullmatch(MOTIF_COMMUNE, u) is None for u in u_code]
    if any(mauvais):
        i = premiere_ligne(i_code, mauvais)
        raise FormatInconnu(nom, f"colonne {choisies['codgeo']}, ligne {origine[i] + 2} : code commune « {u_code[i_code[i]][:20]} » invalide")
    codes = np.asarray(u_code, dtype=object)[i_code]

    def coder(role, table, quoi):
        indices, uniques = distinctes(role)
        valeurs = [table.get(_simple(x)) for x in uniques]
        mauvais = [v is None for v in valeurs]
        if any(mauvais):
            i = premiere_ligne(indices, mauvais)
            raise FormatInconnu(nom, f"colonne {choisies[role]}, ligne {origine[i] + 2} : {quoi} « {uniques[indices[i]][:30]} » inconnu(e)")
        return indices, valeurs

    i_sexe, u_sexe = coder("sexe", SEXES, "sexe")
    i_age, u_age = coder("age", AGES, "tranche d'âge")
    i_cat, u_brut = distinctes("categorie")
    u_cat = [re.sub(r"^CAT(?:EGORIES?|\.)?\s*", "", u.strip().upper()) for u in u_brut]
    mauvais = [u not in CATEGORIES for u in u_cat]
    if any(mauvais):
        i = premiere_ligne(i_cat, mauvais)
        raise FormatInconnu(nom, f"colonne {choisies['categorie']}, ligne {origine[i] + 2} : catégorie « {u_brut[i_cat[i]][:20]} » inconnue")
    i_per, u_per = distinctes("periode")
    lues = [_trimestre(u) for u in u_per]
    mauvais = [p is None for p in lues]
    if any(mauvais):
        i = premiere_ligne(i_per, mauvais)
        raise FormatInconnu(nom, f"colonne {choisies['periode']}, ligne {origine[i] + 2} : trimestre « {u_per[i_per[i]][:20]} » illisible (aaaaT4 attendu)")
    annees = np.array([p[0] for p in lues], dtype=np.int64)[i_per]
    trimestres = np.array([p[1] for p in lues], dtype=np.int64)[i_per]
    i_val, u_val = distinctes("valeur")
    propres = pd.Series([re.sub(r"[\s\u00a0\u202f]", "", u) for u in u_val], dtype=object)
    try:
        v_u, s_u = nombres(propres, nom, choisies["valeur"], ".", 2, MARQUES)
    except FormatInconnu:  # name the first faulty line of the file, not of the distinct values
        propres_lignes = df[choisies["valeur"]].str.replace(r"[\s\u00a0\u202f]", "", regex=True)
        try:
            nombres(propres_lignes, nom, choisies["valeur"], ".", 2, MARQUES)
        except FormatInconnu as exc:
            trouve = re.search(r"ligne (\d+)", str(exc.detail) if hasattr(exc, "detail") else str(exc))
            if trouve:
                i = int(trouve.group(1)) - 2
                raise FormatInconnu(nom, f"colonne {choisies['valeur']}, ligne {origine[i] + 2} : valeur non numérique "
                                         f"« {propres_lignes.iloc[i][:30]} »") from None
            raise
        raise
    negatif = (v_u < 0).to_numpy()
    if negatif.any():
        i = premiere_ligne(i_val, negatif)
        raise FormatInconnu(nom, f"colonne {choisies['valeur']}, ligne {origine[i] + 2} : effectif négatif")
    valeur = v_u.to_numpy()[i_val]
    secret = s_u.to_numpy()[i_val]
    garder = trimestres == int(trimestre)
    if millesime is not None:
        garder = garder & (annees == int(millesime))
    cle = (i_cat.astype(np.int64) * len(u_sexe) + i_sexe) * len(u_age) + i_age
    i_var, u_var = pd.factorize(cle)
    noms_variables = np.array(
        [f"DEFM_{u_cat[c // (len(u_sexe) * len(u_age))]}_{u_sexe[(c // len(u_age)) % len(u_sexe)]}_{u_age[c % len(u_age)]}"
         for c in u_var], dtype=object)
    variables = noms_variables[i_var]
    tidy = pd.DataFrame(
        {
            "codgeo": codes[garder],
            "niveau": "commune",
            "variable": variables[garder],
            "millesime": annees[garder],
            "valeur": valeur[garder],
            "secret": secret[garder],
        }
    ) if garder.any() else table_vide()
    tidy = tidy.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64", "secret": "bool"})
    doublons = tidy.duplicated(["codgeo", "variable", "millesime"])
    if doublons.any():
        ligne = int(np.flatnonzero(garder)[doublons.to_numpy().nonzero()[0][0]])
        raise FormatInconnu(nom, f"ligne {origine[ligne] + 2} : même commune, catégorie, sexe, âge et trimestre en double")
    annee = int(millesime) if millesime is not None else (int(tidy["millesime"].max()) if len(tidy) else 0)
    officiel = None
    if int(trimestre) == 4 and annee in catalogue.millesimes("france_travail"):
        officiel = catalogue.fichiers("france_travail", annee)[0]
    tidy.attrs["provenance"] = _provenance(
        chemin, nom_donnees(nom), annee, f"France Travail - Dares, demandeurs d'emploi T{trimestre} {annee}",
        f"France Travail - Dares, demandeurs d'emploi inscrits en fin de trimestre (catégories A, B, C) par commune, T{trimestre} {annee}",
        officiel=officiel,
    )
    if n_totaux:
        import dataclasses

        prov = tidy.attrs["provenance"]
        tidy.attrs["provenance"] = dataclasses.replace(prov, extra={**prov.extra, "lignes_sans_commune": n_totaux})
    return verifier(tidy.reset_index(drop=True))
