"""Cnaf (CAF) data: allocataires by IRIS, by commune (data.caf.fr) and taux de couverture.

- `lire_iris`: `data_CAF_yyyy_IRIS.csv`, `;`, CODGEO = 9-character IRIS code (commune code +
  4 digits, `0000` for a commune not split into IRIS), NOTE != 0 = the row is masked (every
  value secret); an empty cell is also secret; 2016 writes thousands with a (narrow) no-break
  space ("2 256"). Niveau `iris`; `agreger_communes` sums the IRIS into communes.
- `lire_communes`: data.caf.fr dataset `s_ben_com_f` (opendatasoft CSV export, `;`): dtreffre
  (reference date), numcomdo (commune code), nomcom, then counts `indfoy_*` (foyers allocataires)
  and `indnbp_*` (personnes couvertes), rounded to 5 by the Cnaf; an empty cell is secret.
  Field names are kept as published (lower case).
- `lire_txcouv_pe`: data.caf.fr datasets `txcouv_pe_com`, `txcouv_pe_epci`, `txcouv_pe_dep`,
  `txcouv_pe_reg`, `txcouv_pe_fra` (`txcouv_pe_nat` accepted): taux de couverture de l'accueil du
  jeune enfant (places pour 100 enfants de moins de 3 ans), a rate read at its own level, never
  recomputed; columns annee, the level's code (numcom, numepci, numdep, numreg; the national file
  may have none) and name, nbenf_moins3, txcouv_eaje_psu, txcouv_eaje, txcouv_assmat,
  txcouv_salar, txcouv_presco, txcouv (decimal point; an empty cell is secret).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..erreurs import FormatInconnu
from . import catalogue
from .schema import assembler, contenu_brut, nom_donnees, nombres, table_csv, table_vide, verifier

MOTIF_IRIS = re.compile(r"\d[\dAB]\d{7}")
MOTIF_COMMUNE = re.compile(r"\d[\dAB]\d{3}")
MOTIF_NOM_IRIS = re.compile(r"data_CAF_(\d{4})_IRIS\.csv", re.IGNORECASE)
TEXTE_IRIS = {"CODGEO", "LIBGEO", "DEPCOM", "LIBCOM", "EPCI", "REG", "NOTE"}
ESPACES = re.compile(r"[\s\u00a0\u202f]")
MARQUES = frozenset({"s", "nd", "n.d.", "ns", "secret"})


MILLIERS = re.compile(r"-?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")


def _nombres(serie: pd.Series, nom: str, colonne: str, decimale: str = ".") -> tuple[pd.Series, pd.Series]:
    """Numbers whose thousands may be separated by a space or a (narrow) no-break space ("2 256");
    a space anywhere else ("2 56") is an error, never silently glued.

    A national file repeats few distinct values (counts rounded to 5): they are converted once;
    an error is then looked for on the whole column, so that it names the first faulty line."""
    indices, uniques = pd.factorize(serie)
    if len(uniques) < len(serie) // 4 and not (indices < 0).any():
        try:
            valeurs, secrets = _nombres_exact(pd.Series(np.asarray(uniques, dtype=object)), nom, colonne, decimale)
        except FormatInconnu:
            _nombres_exact(serie, nom, colonne, decimale)
            raise
        return (pd.Series(valeurs.to_numpy()[indices], index=serie.index, dtype="float64"),
                pd.Series(secrets.to_numpy()[indices], index=serie.index, dtype=bool))
    return _nombres_exact(serie, nom, colonne, decimale)


def _nombres_exact(serie: pd.Series, nom: str, colonne: str, decimale: str = ".") -> tuple[pd.Series, pd.Series]:
    texte = serie.astype(str).str.strip()
    espace = texte.str.contains(ESPACES)
    mal_groupe = espace & ~texte.str.fullmatch(MILLIERS.pattern)
    if mal_groupe.any():
        i = int(mal_groupe.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + 2} : valeur non numérique « {texte.iloc[i][:30]} »")
    return nombres(texte.str.replace(ESPACES, "", regex=True), nom, colonne, decimale, 2, MARQUES)


def _code_invalide(nom: str, codes: pd.Series, colonne: str, motif: re.Pattern, quoi: str) -> None:
    valide = codes.str.fullmatch(motif.pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + 2} : {quoi} « {codes.iloc[i][:20]} » invalide")
    doublons = codes.duplicated()
    if doublons.any():
        i = int(doublons.to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + 2} : code « {codes.iloc[i]} » en double")


def lire_iris(chemin: Path, millesime: int | None = None) -> pd.DataFrame:
    """Read `data_CAF_yyyy_IRIS.csv` into the tidy table, niveau `iris`."""
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin)
    nom_fichier = nom_donnees(nom)
    trouve = MOTIF_NOM_IRIS.fullmatch(nom_fichier)
    if trouve:
        annee = int(trouve.group(1))
        if millesime is not None and int(millesime) != annee:
            raise FormatInconnu(nom, f"le fichier porte le millésime {annee}, {millesime} attendu")
        millesime = annee
    elif millesime is None:
        raise FormatInconnu(nom, "nom de fichier inattendu : data_CAF_aaaa_IRIS.csv attendu (nom officiel)")
    df = table_csv(nom, octets, obligatoires=("CODGEO", "NOTE", "A"), encodages=("utf-8-sig", "cp1252"))
    codes = df["CODGEO"].str.strip()
    _code_invalide(nom, codes, "CODGEO", MOTIF_IRIS, "code IRIS (9 caractères)")
    note = df["NOTE"].str.strip()
    if not note.str.fullmatch(r"\d+").all():
        i = int((~note.str.fullmatch(r"\d+")).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne NOTE, ligne {i + 2} : valeur « {note.iloc[i][:10]} » invalide")
    masque_ligne = (note.astype(int) != 0).to_numpy()
    colonnes = [c for c in df.columns if c not in TEXTE_IRIS]
    valeurs, secrets = [], []
    for colonne in colonnes:
        v, s = _nombres(df[colonne], nom, colonne)
        v = v.to_numpy().copy()
        s = s.to_numpy() | masque_ligne
        v[s] = np.nan
        valeurs.append(v)
        secrets.append(s)
    n = len(df)
    tidy = assembler(
        codes.to_numpy(), "iris", colonnes,
        np.column_stack(valeurs) if colonnes else np.empty((n, 0)),
        np.column_stack(secrets) if colonnes else np.empty((n, 0), bool),
        [int(millesime)] * len(colonnes),
    )
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_fichier, int(millesime), f"Cnaf, allocataires par IRIS {millesime}",
        f"Cnaf, données allocataires CAF par IRIS au 31 décembre {millesime}",
        officiel=catalogue.fichiers("caf_iris", int(millesime))[0]
        if int(millesime) in catalogue.millesimes("caf_iris") else None,
    )
    return verifier(tidy)


def agreger_communes(df: pd.DataFrame) -> pd.DataFrame:
    """Sum an IRIS-level tidy table into communes (the first 5 characters of the IRIS code).

    A commune with at least one secret IRIS for a variable gets valeur NaN and secret True for that
    variable (a partial sum would be a silent wrong value; never 0).
    """
    iris = df[df["niveau"] == "iris"]
    if iris.empty:
        resultat = table_vide()
        resultat.attrs = dict(df.attrs)
        return resultat
    travail = pd.DataFrame(
        {
            "codgeo": iris["codgeo"].str[:5].to_numpy(),
            "variable": iris["variable"].to_numpy(),
            "millesime": iris["millesime"].to_numpy(),
            "valeur": iris["valeur"].to_numpy(),
            "secret": iris["secret"].to_numpy(),
        }
    )
    somme = travail.groupby(["codgeo", "variable", "millesime"], as_index=False, sort=True).agg(
        valeur=("valeur", "sum"), secret=("secret", "any")
    )
    somme.loc[somme["secret"], "valeur"] = np.nan
    somme.insert(1, "niveau", "commune")
    resultat = somme[["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]].astype(
        {"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64", "secret": "bool"}
    )
    resultat.attrs = dict(df.attrs)
    return verifier(resultat)


# --- data.caf.fr datasets ----------------------------------------------------------------------


def _annees(nom: str, serie: pd.Series, colonne: str, origine=None) -> pd.Series:
    texte = serie.astype(str).str.strip()
    trouve = texte.str.extract(r"^(\d{4})(?:-?\d{2}(?:-\d{2})?)?$")[0]
    if trouve.isna().any():
        i = int(trouve.isna().to_numpy().nonzero()[0][0])
        i = int(origine[i]) if origine is not None else i
        raise FormatInconnu(nom, f"colonne {colonne}, ligne {i + 2} : date « {texte.iloc[i][:12]} » invalide (aaaa, aaaamm ou aaaa-mm attendu)")
    return trouve.astype(int)


def _cafdata(nom, df, colonne_code, motif, niveau, colonne_date, variables, millesime, decimale=".",
             origine=None):
    """Tidy table of a data.caf.fr export. `origine` (index of each row of `df` in the file) keeps
    the file's line numbers in the messages when rows were left out beforehand.

    Rows repeated identically (same code, date and values) are kept once; two different rows for
    the same code and date are an error naming both lines."""
    origine = np.arange(len(df)) if origine is None else np.asarray(origine)
    codes = df[colonne_code].astype(str).str.strip()
    valide = codes.str.fullmatch(motif.pattern)
    if not valide.all():
        i = int((~valide).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne {colonne_code}, ligne {origine[i] + 2} : code « {codes.iloc[i][:20]} » invalide")
    annees = _annees(nom, df[colonne_date], colonne_date, origine)
    garder = np.ones(len(df), bool) if millesime is None else (annees == int(millesime)).to_numpy()
    brutes = df[variables].astype(str).apply(lambda c: c.str.strip())
    identiques = pd.concat([codes.rename("__c"), annees.rename("__a"), brutes], axis=1).duplicated().to_numpy()
    garder &= ~identiques
    cles = pd.DataFrame({"c": codes, "a": annees})[garder]
    doublons = cles.duplicated(keep=False)
    if doublons.any():
        lignes = np.flatnonzero(garder)[doublons.to_numpy().nonzero()[0][:2]]
        raise FormatInconnu(nom, f"lignes {origine[lignes[0]] + 2} et {origine[lignes[1]] + 2} : {colonne_code} "
                                 f"« {codes.iloc[lignes[0]]} » deux fois pour la même date avec des valeurs différentes")
    parties = []
    for colonne in variables:
        try:
            v, s = _nombres(df[colonne], nom, colonne, decimale)
        except FormatInconnu as exc:
            raise _relocaliser(exc, nom, origine) from None
        v = v.to_numpy().copy()
        s = s.to_numpy()
        parties.append(
            pd.DataFrame(
                {
                    "codgeo": codes[garder].to_numpy(),
                    "niveau": niveau,
                    "variable": colonne,
                    "millesime": annees[garder].to_numpy().astype("int64"),
                    "valeur": v[garder],
                    "secret": s[garder],
                }
            )
        )
    if not parties or not garder.any():
        return table_vide()
    tidy = pd.concat(parties, ignore_index=True)
    return tidy.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64", "secret": "bool"})


def _relocaliser(exc: FormatInconnu, nom: str, origine) -> FormatInconnu:
    """The same error with the line number of the file (rows were left out before the check)."""
    trouve = re.search(r"ligne (\d+)", exc.detail)
    if not trouve:
        return exc
    i = int(trouve.group(1)) - 2
    return FormatInconnu(nom, exc.detail.replace(trouve.group(0), f"ligne {origine[i] + 2}", 1))


def _lire_cafdata(chemin: Path):
    chemin = Path(chemin)
    nom, octets = contenu_brut(chemin)
    if not nom_donnees(nom).lower().endswith(".csv"):
        raise FormatInconnu(nom, "format inconnu : export CSV (séparateur « ; ») de data.caf.fr attendu")
    df = table_csv(nom, octets, obligatoires=(), encodages=("utf-8-sig",))
    df.columns = [c.strip() for c in df.columns]
    return chemin, nom, df


def _decimale(df: pd.DataFrame, colonnes) -> str:
    """Opendatasoft exports use a decimal point; a file re-saved by a spreadsheet uses commas."""
    for colonne in colonnes:
        if df[colonne].astype(str).str.fullmatch(r"-?\d+,\d+").any():
            return ","
    return "."


def lire_communes(chemin: Path, millesime: int | None = None) -> pd.DataFrame:
    """Read the data.caf.fr `s_ben_com_f` export (commune level); only `millesime` when given.

    Rows with an empty `numcomdo` (allocataires the Cnaf could not locate in a commune, one per
    date) are left out of the communes and counted in the provenance (`extra`); the counts are
    rounded to 5 by the Cnaf (a 0 is a count under 3, kept as published)."""
    chemin, nom, df = _lire_cafdata(chemin)
    manquantes = [c for c in ("numcomdo", "dtreffre") if c not in df.columns]
    if manquantes:
        raise FormatInconnu(nom, f"colonne(s) manquante(s) : {', '.join(manquantes)} (jeu s_ben_com_f de data.caf.fr)")
    variables = [c for c in df.columns if c.startswith(("indfoy_", "indnbp_", "indmtt_", "nbfoy", "nbpers"))]
    if not variables:
        raise FormatInconnu(nom, "aucune colonne indfoy_* ou indnbp_* (jeu s_ben_com_f de data.caf.fr)")
    sans_commune = (df["numcomdo"].astype(str).str.strip() == "").to_numpy()
    origine = np.flatnonzero(~sans_commune)
    non_localises = df[sans_commune]
    if sans_commune.any():
        df = df[~sans_commune].reset_index(drop=True)
    tidy = _cafdata(nom, df, "numcomdo", MOTIF_COMMUNE, "commune", "dtreffre", variables, millesime,
                    _decimale(df, variables), origine)
    annee = int(millesime) if millesime is not None else int(tidy["millesime"].max()) if len(tidy) else 0
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_donnees(nom), annee, f"Cnaf, allocataires par commune {annee}",
        "Cnaf, data.caf.fr (s_ben_com_f), foyers allocataires et montants par prestation et par commune "
        "(effectifs arrondis à 5)",
        officiel=catalogue.fichiers("caf_communes", annee)[0] if annee in catalogue.millesimes("caf_communes") else None,
    )
    if len(non_localises):
        import dataclasses

        prov = tidy.attrs["provenance"]
        tidy.attrs["provenance"] = dataclasses.replace(
            prov, extra={**prov.extra, "lignes_sans_commune": int(len(non_localises))})
    return verifier(tidy)


NIVEAUX_TXCOUV = {
    "com": ("commune", ("numcom", "numcomdo", "code_commune"), MOTIF_COMMUNE),
    "epci": ("epci", ("numepci", "siren_epci", "code_epci"), re.compile(r"\d{9}")),
    "dep": ("departement", ("numdep", "code_departement"), re.compile(r"\d[\dAB]\d?")),
    "reg": ("region", ("numreg", "code_region"), re.compile(r"\d{2}")),
    "fra": ("france", ("numfra", "pays", "code_pays", "national"), re.compile(r".+")),
}
NIVEAUX_TXCOUV["nat"] = NIVEAUX_TXCOUV["fra"]
MOTIF_TXCOUV = re.compile(r"txcouv_pe_(com|epci|dep|reg|fra|nat)(?:_hist)?\.csv", re.IGNORECASE)


def lire_txcouv_pe(chemin: Path, millesime: int | None = None) -> pd.DataFrame:
    """Read a CNAF `txcouv_pe_{com,epci,dep,reg,fra}` export: rates and counts at their level."""
    chemin, nom, df = _lire_cafdata(chemin)
    trouve = MOTIF_TXCOUV.fullmatch(nom_donnees(nom))
    if not trouve:
        raise FormatInconnu(nom, "nom de fichier inattendu : txcouv_pe_com/epci/dep/reg/fra.csv attendu (nom du jeu data.caf.fr)")
    niveau, candidates, motif = NIVEAUX_TXCOUV[trouve.group(1).lower()]
    colonne_code = next((c for c in candidates if c in df.columns), None)
    if colonne_code is None and niveau == "france":
        colonne_code = "numfra"  # the national file may carry no geographic column: every row is France
        df = df.assign(numfra="FRM")
    if colonne_code is None:
        raise FormatInconnu(nom, f"colonne manquante : {candidates[0]} (code géographique du niveau {niveau})")
    if "annee" not in df.columns:
        raise FormatInconnu(nom, "colonne manquante : annee")
    variables = [c for c in df.columns if c.startswith(("txcouv", "tx_", "nbenf", "capacite", "cap_"))]
    if not variables:
        raise FormatInconnu(nom, "aucune colonne txcouv* (taux de couverture)")
    if niveau == "france":
        df = df.assign(**{colonne_code: "FRM"})
    tidy = _cafdata(nom, df, colonne_code, motif, niveau, "annee", variables, millesime, _decimale(df, variables))
    annee = int(millesime) if millesime is not None else int(tidy["millesime"].max()) if len(tidy) else 0
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_donnees(nom), annee, f"Cnaf, taux de couverture petite enfance {annee}",
        f"Cnaf / Onape, taux de couverture de l'accueil du jeune enfant, niveau {niveau}",
        officiel=next(
            (f for f in catalogue.fichiers("caf_txcouv_pe", annee)
             if f.nom_fichier.lower() == f"txcouv_pe_{trouve.group(1).lower().replace('nat', 'fra')}.csv"),
            None,
        ) if annee in catalogue.millesimes("caf_txcouv_pe") else None,
    )
    return verifier(tidy)
