"""Cnaf (CAF) data: allocataires by IRIS, by commune (data.caf.fr) and taux de couverture.

- `lire_iris`: `data_CAF_yyyy_IRIS.csv`, `;`, CODGEO = 9-character IRIS code (commune code +
  4 digits, `0000` for a commune not split into IRIS), NOTE != 0 = the row is masked (every
  value secret); an empty cell is also secret; 2016 writes thousands with a (narrow) no-break
  space ("2 256"). Niveau `iris`; `agreger_communes` sums the IRIS into communes.
- `lire_communes`: data.caf.fr dataset `s_ben_com_f` (opendatasoft CSV export, `;`): dtreffre
  (reference date), numcomdo (commune code), nomcom, then counts `indfoy_*` (foyers allocataires)
  and `indnbp_*` (personnes couvertes), rounded to 5 by the Cnaf; an empty cell is secret.
  Field names are kept as published (lower case).
- `lire_txcouv_pe`: data.caf.fr datasets `txcouv_pe_com` (communes over 10 000 inhabitants and
  arrondissements of Paris/Lyon/Marseille), `txcouv_pe_epci`, `txcouv_pe_dep`, `txcouv_pe_nat`
  (France; not `_fra`), the région file (code `numregi`), and `txcouv_pe_{epci,dep}_hist`
  (2017-2022, overlapping the current 2022-2023 on one year: `fusionner_txcouv_pe`): taux de
  couverture de l'accueil du jeune enfant (places pour 100 enfants de moins de 3 ans), read at its
  own level, never recomputed. Fields carry the level as a suffix (`txcouv_com`,
  `txcouv_eaje_epci`, `txcouv_am_ind_dep`...), which tells the level whatever the file's name;
  codes `numcom`, `numepci`, `numdep`, `numregi`, the national file has `national` (« FRANCE
  ENTIERE HORS MAYOTTE ») and a date as `annee`; placeholder rows `XX` are left out. No count of
  children is published.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import catalogue
from diagnostic_territorial.sources.schema import assembler, contenu_brut, nom_donnees, nombres, table_csv, table_vide, verifier

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
    garder = garder & ~identiques
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


# The same dataset at three levels (« Toutes prestations », data.caf.fr): the code column tells
# the level. The EPCI and département exports also carry the prestations of disability (AAH,
# AEEH: `indfoy_aah`, `indben_aah`, `indfoy_aeeh`, `indben_aeeh`...) that the commune export
# does not have; s_ben_dep is monthly (since 2016), s_ben_com_f and s_ben_epci_f hold Decembers.
NIVEAUX_SBEN = (
    ("numcomdo", "commune", MOTIF_COMMUNE, "s_ben_com_f"),
    ("numepci", "epci", re.compile(r"\d{9}"), "s_ben_epci_f"),
    ("numdep", "departement", re.compile(r"\d[\dAB]|97\d"), "s_ben_dep"),
)
PREFIXES_SBEN = ("indfoy_", "indnbp_", "indmtt_", "indben_", "nbfoy", "nbpers")
MOIS = re.compile(r"^\s*\d{4}-?(\d{2})")


def niveau_sben(colonnes) -> tuple[str, str, re.Pattern, str] | None:
    """(code column, niveau, code pattern, dataset) of a « Toutes prestations » export from its
    columns (the commune's code first: an EPCI or commune export may also carry numdep)."""
    minuscules = {str(c).strip().lower() for c in colonnes}
    return next((n for n in NIVEAUX_SBEN if n[0] in minuscules), None)


def lire_communes(chemin: Path, millesime: int | None = None) -> pd.DataFrame:
    """Read a data.caf.fr « Toutes prestations » export: `s_ben_com_f` (communes, numcomdo),
    `s_ben_epci_f` (EPCI, numepci) or `s_ben_dep` (départements, numdep, monthly: only Decembers
    are kept, like the other two); only `millesime` when given.

    Rows with an empty code (allocataires the Cnaf could not locate, one per date) or a placeholder
    code (`XX`) are left out and counted in the provenance (`extra`); the counts are rounded to 5 by
    the Cnaf at the commune and EPCI levels (a 0 is a count under 3, kept as published)."""
    chemin, nom, df = _lire_cafdata(chemin)
    trouve = niveau_sben(df.columns)
    if trouve is None or "dtreffre" not in df.columns:
        manquantes = [c for c in ("dtreffre",) if c not in df.columns] + ([] if trouve else ["numcomdo"])
        raise FormatInconnu(nom, f"colonne(s) manquante(s) : {', '.join(manquantes)} (jeux s_ben_com_f, "
                                 "s_ben_epci_f ou s_ben_dep de data.caf.fr)")
    colonne_code, niveau, motif, jeu = trouve
    df.columns = [c.lower() if c.lower() == colonne_code else c for c in df.columns]
    variables = [c for c in df.columns if c.startswith(PREFIXES_SBEN)]
    if not variables:
        raise FormatInconnu(nom, f"aucune colonne indfoy_* ou indnbp_* (jeu {jeu} de data.caf.fr)")
    codes = df[colonne_code].astype(str).str.strip()
    sans_code = ((codes == "") | codes.str.fullmatch(r"X+", case=False)).to_numpy()
    mois = df["dtreffre"].astype(str).str.extract(MOIS)[0]
    autres_mois = (mois.notna() & (mois != "12")).to_numpy()  # s_ben_dep: every month
    garder = ~sans_code & ~autres_mois
    origine = np.flatnonzero(garder)
    non_localises = int((sans_code & ~autres_mois).sum())
    df = df[garder].reset_index(drop=True)
    doublons_ecartes = 0
    if niveau != "commune" and len(df):  # technical repeated rows of the same territory and date:
        cles = pd.DataFrame({"c": df[colonne_code].astype(str).str.strip(), "d": df["dtreffre"].astype(str).str.strip()})
        if cles.duplicated().any():  # the fullest one (most foyers) is kept
            ordre = pd.to_numeric(df.get("indfoy_ndur", pd.Series(0, index=df.index)), errors="coerce").fillna(-1)
            rang = ordre.rank(method="first", ascending=False)
            meilleur = rang.groupby([cles["c"], cles["d"]]).transform("min") == rang
            doublons_ecartes = int((~meilleur).sum())
            origine = origine[meilleur.to_numpy()]
            df = df[meilleur.to_numpy()].reset_index(drop=True)
    tidy = _cafdata(nom, df, colonne_code, motif, niveau, "dtreffre", variables, millesime,
                    _decimale(df, variables), origine)
    annee = int(millesime) if millesime is not None else int(tidy["millesime"].max()) if len(tidy) else 0
    libelle = {"commune": "par commune", "epci": "par intercommunalité", "departement": "par département"}[niveau]
    tidy.attrs["provenance"] = catalogue.provenance(
        chemin, nom_donnees(nom), annee, f"Cnaf, allocataires {libelle} {annee}",
        f"Cnaf, data.caf.fr ({jeu}), foyers allocataires et montants par prestation {libelle}"
        + (" (effectifs arrondis à 5)" if niveau != "departement" else ""),
        officiel=catalogue.fichiers("caf_communes", annee)[0]
        if niveau == "commune" and annee in catalogue.millesimes("caf_communes") else None,
    )
    extra = {"jeu": jeu, "niveau": niveau}
    if non_localises:
        extra["lignes_sans_commune"] = non_localises
    if autres_mois.any():
        extra["mois_ecartes"] = int(autres_mois.sum())
    if doublons_ecartes:
        extra["doublons_ecartes"] = doublons_ecartes
    import dataclasses

    prov = tidy.attrs["provenance"]
    tidy.attrs["provenance"] = dataclasses.replace(prov, extra={**prov.extra, **extra})
    return verifier(tidy)


# --- data.caf.fr: taux de couverture petite enfance (txcouv_pe_*) ------------------------------

# Level suffix carried by every rate field (`txcouv_{s}`, `txcouv_eaje_{s}`...) -> niveau.
SUFFIXES_TXCOUV = {"com": "commune", "epci": "epci", "dep": "departement", "reg": "region", "regi": "region",
                   "nat": "france", "fra": "france"}
# niveau -> (code columns, name columns, code pattern, level code in the data.caf.fr dataset id).
# The commune file also carries numepci/numdep, the EPCI file numdep, the département file numregi:
# the code read is the one of the level told by the fields.
NIVEAUX_TXCOUV = {
    "commune": (("numcom",), ("nomcom",), MOTIF_COMMUNE, "com"),
    "epci": (("numepci",), ("nomepci",), re.compile(r"\d{9}"), "epci"),
    "departement": (("numdep",), ("nomdep",), re.compile(r"\d[\dAB]|97\d"), "dep"),
    "region": (("numregi", "numreg"), ("nomregi", "nomreg"), re.compile(r"\d{2}"), "reg"),
    "france": ((), ("national",), re.compile(r"FRM"), "nat"),
}
# Field stem (level suffix removed) -> variable of the tidy table. The national file is documented
# with two spellings (`txcouv_psu_col_nat` or `txcouv_psu_nat`, `txcouv_am_ind_nat` or
# `txcouv_am_nat`, `txcouv_gad_ind_nat` or `txcouv_gad_nat`): both give the same variable.
VARIABLES_TXCOUV = {
    "txcouv": "txcouv",  # global: places for 100 children under 3 (may exceed 100)
    "txcouv_eaje": "txcouv_eaje",  # accueil collectif (EAJE) = PSU + hors PSU
    "txcouv_psu_col": "txcouv_psu_col", "txcouv_psu": "txcouv_psu_col",  # EAJE financed by the PSU
    "txcouv_hors_psu_col": "txcouv_hors_psu_col", "txcouv_hors_psu": "txcouv_hors_psu_col",  # EAJE hors PSU
    "txcouv_ind": "txcouv_ind",  # accueil individuel = assistants maternels + salarié à domicile
    "txcouv_am_ind": "txcouv_am_ind", "txcouv_am": "txcouv_am_ind",  # assistants maternels
    "txcouv_gad_ind": "txcouv_gad_ind", "txcouv_gad": "txcouv_gad_ind",  # salarié(e) à domicile
    "txcouv_prescol": "txcouv_prescol",  # préscolarisation (école avant 3 ans)
}
CHAMP_TXCOUV = re.compile(r"(txcouv(?:_[a-z0-9]+)*?)_(com|epci|dep|regi|reg|nat|fra)")
NOM_TXCOUV = re.compile(r"txcouv_pe_(com|epci|dep|regi|reg|nat|fra)(_hist)?(?![a-z])", re.IGNORECASE)
FACTICE = re.compile(r"X+", re.IGNORECASE)
ANNEE_TXCOUV = re.compile(
    r"(\d{4})(?:-\d{2}(?:-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?")
ANNEE_TXCOUV_FR = re.compile(r"\d{2}/\d{2}/(\d{4})")
MOTS_FRANCE = {"france": "France", "entiere": "entière", "metropolitaine": "métropolitaine", "mayotte": "Mayotte",
               "drom": "DROM", "dom": "DOM", "com": "COM"}


def niveau_txcouv_pe(colonnes) -> str | None:
    """Niveau told by the rate fields of a `txcouv_pe_*` file (`txcouv_epci` -> `epci`), whatever the
    file's name; None when no field carries one level suffix."""
    niveaux = {SUFFIXES_TXCOUV[t.group(2)] for c in colonnes
               if (t := CHAMP_TXCOUV.fullmatch(str(c).strip().lower()))}
    return niveaux.pop() if len(niveaux) == 1 else None


def _libelle_france(texte: str) -> str:
    """« FRANCE ENTIERE HORS MAYOTTE » -> « France entière hors Mayotte » (a label not in capitals is kept)."""
    if texte != texte.upper():
        return texte
    mots = [MOTS_FRANCE.get(m.lower(), m.lower()) for m in texte.split()]
    libelle = " ".join(mots)
    return libelle[:1].upper() + libelle[1:]


def _champs_txcouv(nom: str, colonnes: list[str]) -> tuple[str, dict[str, str]]:
    """(niveau, {field: variable}) of the rate fields `txcouv*_{s}`; FormatInconnu names the column
    at fault (no level suffix, several levels, two spellings of one variable)."""
    niveaux: dict[str, list[str]] = {}
    souches: dict[str, str] = {}
    for colonne in colonnes:
        if not colonne.lower().startswith("txcouv"):
            continue
        trouve = CHAMP_TXCOUV.fullmatch(colonne.lower())
        if not trouve:
            raise FormatInconnu(nom, f"colonne {colonne} (en-tête, ligne 1) : champ de taux sans suffixe de niveau "
                                     "(data.caf.fr publie txcouv_com, txcouv_eaje_epci, txcouv_am_ind_dep...)")
        niveaux.setdefault(SUFFIXES_TXCOUV[trouve.group(2)], []).append(colonne)
        souches[colonne] = trouve.group(1)
    if not souches:
        raise FormatInconnu(nom, "aucune colonne txcouv_* (jeu txcouv_pe_* de data.caf.fr, taux de couverture "
                                 "petite enfance)")
    if len(niveaux) > 1:
        detail = ", ".join(f"{cols[0]} ({niveau})" for niveau, cols in niveaux.items())
        raise FormatInconnu(nom, f"champs de taux de plusieurs niveaux dans un même fichier : {detail}")
    variables: dict[str, str] = {}
    for colonne, souche in souches.items():
        variable = VARIABLES_TXCOUV.get(souche, souche)
        autre = next((c for c, v in variables.items() if v == variable), None)
        if autre is not None:
            raise FormatInconnu(nom, f"colonnes {autre} et {colonne} (en-tête, ligne 1) : deux champs pour le même "
                                     f"taux ({variable})")
        variables[colonne] = variable
    return next(iter(niveaux)), variables


def lire_txcouv_pe(chemin: Path, millesime: int | None = None) -> pd.DataFrame:
    """Read a data.caf.fr `txcouv_pe_{com,epci,dep,nat}` export (also `txcouv_pe_{epci,dep}_hist` and
    the région file, code `numregi`): rates read at their own level, never recomputed; every year
    of the file when `millesime` is None.

    The level is told by the fields' suffix (`txcouv_com`...), so a file saved as
    `txcouv_pe_com (1).csv` or under another name is read; a name announcing another level is an
    error. Variables lose the suffix (`txcouv_am_ind_epci` -> `txcouv_am_ind`; the national
    spellings `txcouv_psu_nat`, `txcouv_am_nat`, `txcouv_gad_nat` give `txcouv_psu_col`,
    `txcouv_am_ind`, `txcouv_gad_ind`). `annee` is a year or a date (national file). Placeholder
    rows (code and name `XX`, `XXX`...) are left out and counted in the provenance (`extra`
    `lignes_factices`), with the dataset id (`jeu`) and, for the national file, which France
    (`france`, from the `national` column). Decimal point or comma; an empty cell is secret."""
    import dataclasses

    chemin, nom, df = _lire_cafdata(chemin)
    colonnes = {c.lower(): c for c in df.columns}
    if len(colonnes) != len(df.columns):
        raise FormatInconnu(nom, "en-tête (ligne 1) : deux colonnes de même nom à la casse près")
    if "annee" not in colonnes:
        raise FormatInconnu(nom, "colonne manquante : annee (jeu txcouv_pe_* de data.caf.fr, export CSV avec les "
                                 "noms des champs et non leurs libellés)")
    niveau, variables = _champs_txcouv(nom, list(df.columns))
    nom_fichier = nom_donnees(nom)
    au_nom = NOM_TXCOUV.search(nom_fichier)
    if au_nom and SUFFIXES_TXCOUV[au_nom.group(1).lower()] != niveau:
        raise FormatInconnu(nom, f"le nom du fichier annonce le niveau {SUFFIXES_TXCOUV[au_nom.group(1).lower()]} "
                                 f"mais ses champs ({next(iter(variables))}...) sont ceux du niveau {niveau}")
    colonnes_code, colonnes_nom, motif, code_jeu = NIVEAUX_TXCOUV[niveau]
    colonne_nom = next((colonnes[c] for c in colonnes_nom if c in colonnes), None)
    libelles = df[colonne_nom].astype(str).str.strip() if colonne_nom else None
    if niveau == "france":
        colonne_code = colonne_nom or "national"
        codes = pd.Series("FRM", index=df.index, dtype=object)
        factice = np.zeros(len(df), bool)
    else:
        colonne_code = next((colonnes[c] for c in colonnes_code if c in colonnes), None)
        if colonne_code is None:
            raise FormatInconnu(nom, f"colonne manquante : {colonnes_code[0]} (code du niveau {niveau} des champs "
                                     f"{next(iter(variables))}...)")
        codes = df[colonne_code].astype(str).str.strip()
        if niveau == "region":
            codes = codes.str.replace(r"^(\d)$", r"0\1", regex=True)  # an integer field: « 1 » for Guadeloupe
        code_x = codes.str.fullmatch(FACTICE.pattern, flags=re.IGNORECASE).to_numpy(bool)
        if libelles is None:
            factice = code_x
        else:
            nom_x = libelles.str.fullmatch(FACTICE.pattern, flags=re.IGNORECASE).to_numpy(bool)
            factice = ((code_x | (codes == "").to_numpy()) & (nom_x | (libelles == "").to_numpy())
                       & (code_x | nom_x))
    origine = np.flatnonzero(~factice)
    colonne_annee = colonnes["annee"]
    texte = df[colonne_annee].astype(str).str.strip()[~factice].reset_index(drop=True)
    annees = texte.str.extract(f"^{ANNEE_TXCOUV.pattern}$")[0].fillna(
        texte.str.extract(f"^{ANNEE_TXCOUV_FR.pattern}$")[0])
    if annees.isna().any():
        i = int(np.flatnonzero(annees.isna().to_numpy())[0])
        raise FormatInconnu(nom, f"colonne {colonne_annee}, ligne {origine[i] + 2} : année « {texte.iloc[i][:25]} » "
                                 "invalide (aaaa ou date aaaa-mm-jj attendue)")
    travail = df.loc[~factice, list(variables)].reset_index(drop=True)
    travail[colonne_code] = codes[~factice].to_numpy()
    travail[colonne_annee] = annees.to_numpy()
    # every year is checked (duplicates, numbers), then `millesime` is kept
    tidy = _cafdata(nom, travail, colonne_code, motif, niveau, colonne_annee, list(variables), None,
                    _decimale(travail, list(variables)), origine)
    if millesime is not None:
        tidy = tidy[tidy["millesime"] == int(millesime)].reset_index(drop=True)
    tidy["variable"] = tidy["variable"].map(variables).astype("str")

    annee = int(millesime) if millesime is not None else int(tidy["millesime"].max()) if len(tidy) else 0
    jeu = f"txcouv_pe_{code_jeu}" + ("_hist" if au_nom and au_nom.group(2) else "")
    noms_officiels = {f"{jeu}.csv"} | ({"txcouv_pe_fra.csv"} if jeu == "txcouv_pe_nat" else set())
    publies = {m: [f for f in catalogue.fichiers("caf_txcouv_pe", m) if f.nom_fichier.lower() in noms_officiels]
               for m in catalogue.millesimes("caf_txcouv_pe")}
    officiel = (publies.get(annee) or [None])[0]
    # the same dataset registered for other years only (a `_hist` file read for its last year): its URL
    url = next((f[0].url for f in publies.values() if f), "")
    prov = catalogue.provenance(
        chemin, nom_fichier, annee, f"Cnaf, taux de couverture petite enfance {annee}",
        f"Cnaf / Onape, data.caf.fr ({jeu}), taux de couverture de l'accueil du jeune enfant (places pour 100 "
        f"enfants de moins de 3 ans), niveau {niveau}",
        officiel=officiel,
    )
    extra = {"jeu": jeu, "niveau": niveau}
    if int(factice.sum()):
        extra["lignes_factices"] = int(factice.sum())
    if niveau == "france" and libelles is not None:
        lues = pd.DataFrame({"annee": annees.astype(int).to_numpy(), "libelle": libelles[~factice].to_numpy()})
        if millesime is not None:
            lues = lues[lues["annee"] == int(millesime)]
        lues = lues[lues["libelle"] != ""].drop_duplicates().sort_values("annee")
        if len(lues):
            extra["france"] = _libelle_france(lues["libelle"].iloc[-1])
            if lues["libelle"].nunique() > 1:
                extra["france_par_annee"] = {int(a): _libelle_france(t) for a, t in zip(lues["annee"], lues["libelle"])}
    tidy.attrs["provenance"] = dataclasses.replace(prov, url=prov.url or url, extra={**prov.extra, **extra})
    return verifier(tidy)


def fusionner_txcouv_pe(courant: pd.DataFrame, historique: pd.DataFrame) -> pd.DataFrame:
    """One table from a current `txcouv_pe_*` dataset (its last two years) and the `_hist` dataset of
    the same level (2017 onwards), both read by `lire_txcouv_pe`.

    A year published in both (the Cnaf revises it: the two may differ) is taken from the current
    dataset alone, for every territory of the level: two vintages are never mixed within a year.
    Provenance: the current dataset's, with `extra` `historique` (file), `millesimes_historique`
    (years taken from it) and `millesimes_remplaces` (years of the historical file left out)."""
    import dataclasses

    prov_c, prov_h = courant.attrs.get("provenance"), historique.attrs.get("provenance")
    niveaux_c, niveaux_h = set(courant["niveau"]), set(historique["niveau"])
    if niveaux_c and niveaux_h and niveaux_c != niveaux_h:
        raise FormatInconnu(prov_h.fichier if prov_h else "historique",
                            f"niveau {', '.join(sorted(niveaux_h))} alors que le fichier courant "
                            f"{prov_c.fichier if prov_c else ''} est au niveau {', '.join(sorted(niveaux_c))}")
    annees_c = set(courant["millesime"].astype(int))
    remplace = historique["millesime"].astype(int).isin(annees_c).to_numpy()
    resultat = pd.concat([historique[~remplace], courant], ignore_index=True)
    resultat = resultat.astype({c: t for c, t in courant.dtypes.items()}) if len(resultat) else table_vide()
    if prov_c is not None:
        extra = {
            "historique": prov_h.fichier if prov_h else "",
            "millesimes_historique": sorted(set(historique.loc[~remplace, "millesime"].astype(int))),
            "millesimes_remplaces": sorted(set(historique.loc[remplace, "millesime"].astype(int))),
        }
        resultat.attrs["provenance"] = dataclasses.replace(prov_c, extra={**prov_c.extra, **extra})
    return verifier(resultat)
