"""Insee Melodi: the catalogue through which Insee publishes the recensement (RP 2023, with 2017 and
2012 in the same files), the BPE and Filosofi since 2024.

Published layouts read here:

- the bulk files `DS_<JEU>_CSV_FR.zip` holding `DS_<JEU>[_<année>]_data.csv` (and a
  `_metadata.csv`), long format `GEO;GEO_OBJECT;<dimensions...>;TIME_PERIOD;OBS_VALUE` with
  attribute columns (`FREQ`, `OBS_STATUS`, `UNIT_MULT`, `UNIT_MEASURE`...); `;`, UTF-8, decimal
  point, large values in scientific notation (`2.643564819015E7`); `_T` is the total of a
  dimension; `GEO_OBJECT` is COM, ARM (arrondissement municipal), EPCI, DEP, REG, FRANCE (GEO `F`
  France hors Mayotte, `FM` France métropolitaine) and zonings left aside here (AAV2020, ZE2020...);
- the pages of the open Melodi API (JSON: `observations[]` with `dimensions` (GEO written
  `2025-COM-33318`), `attributes`, `measures.OBS_VALUE_NIVEAU.value`), and the CSV this module
  writes from them (same layout as the bulk files).

An observation without a value (empty OBS_VALUE, OBS_STATUS `O`, CONF_STATUS `C`) is masked:
valeur NaN, secret True, never 0.

What the report needs is declared in `melodi.toml` (data, not code): for each dataset, the
cache source it feeds and, for each variable of the report (the names of the former « bases
communales », e.g. `P_POP0014`, `C_FAMMONO`), the cells of the dataset that give it
(`AGE=Y_LT15 RP_MEASURE=POP`; `a|b` sums several values of a dimension; `+` adds cells; a
dimension not named is taken at its total `_T`). The tidy table then has the same variables as
the files of earlier millésimes, so that one catalogue of indicators serves both.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources.schema import contenu_brut, nom_donnees, table_vide, verifier

COLONNES_OBLIGATOIRES = ("GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE")
# Columns that qualify an observation without being one of its dimensions.
ATTRIBUTS = frozenset({"FREQ", "OBS_STATUS", "OBS_STATUS_FR", "CONF_STATUS", "UNIT_MULT", "UNIT_MEASURE",
                       "DECIMALS", "OBS_FLAG", "OBS_QUAL", "OBS_TYPE"})
TOTAL = "_T"
TOUT = "*"  # in a cell: any value of the dimension (the parents of a hierarchy, e.g. BPE domains)
NIVEAUX = {"COM": "commune", "ARM": "commune", "EPCI": "epci", "DEP": "departement", "REG": "region",
           "FRANCE": "france"}
# France as Melodi publishes it: the reference row keeps the one the report compares with.
FRANCES = {"F": "France hors Mayotte", "FM": "France métropolitaine"}
FRANCE_RETENUE = "F"
CODE_FRANCE = "FRM"  # the code of the France reference row in the tidy tables (see indicateurs)
MOTIF_NOM = re.compile(r"(DS_[A-Z0-9_]+?)(?:_(\d{4}))?(?:_data)?\.(csv|json)", re.IGNORECASE)
MOTIF_GEO_API = re.compile(r"(?:(\d{4})-)?([A-Z0-9]+)-(.+)")
MOTIF_COMMUNE = re.compile(r"\d[\dAB]\d{3}")
API = "https://api.insee.fr/melodi"


# --- What the report reads from each dataset (melodi.toml) -------------------------------------


@dataclass(frozen=True)
class Cellule:
    """One or several cells of a dataset summed together: {dimension: values}; a dimension of
    the dataset not named here is read at its total `_T`."""

    valeurs: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def nombre(self) -> int:
        n = 1
        for _, v in self.valeurs:
            n *= 1 if v == (TOUT,) else len(v)
        return n

    def texte(self) -> str:
        return " ".join(f"{d}={'|'.join(v)}" for d, v in self.valeurs)


@dataclass(frozen=True)
class Correspondance:
    variable: str  # variable of the report: P_POP0014, C_FAMMONO...
    cellules: tuple[Cellule, ...]
    precedent: bool = False  # read at the census before each year of the file (section precedents)

    def texte(self) -> str:
        return " + ".join(c.texte() for c in self.cellules) + (" (recensement précédent)" if self.precedent else "")


@dataclass(frozen=True)
class JeuMelodi:
    id: str  # DS_RP_FAMILLE_COMP
    source: str  # cache source key it feeds: rp_couples_familles_menages, bpe, filosofi...
    titre: str
    dimensions: tuple[str, ...]  # dimension columns of the published file (recognition by content)
    correspondances: tuple[Correspondance, ...] = ()
    # Datasets read generically: every value of this dimension becomes a variable (BPE:
    # FACILITY_TYPE -> D502...), restricted to the cells given by `filtre`.
    generique: str = ""
    filtre: tuple[tuple[str, tuple[str, ...]], ...] = ()
    publie_seulement: bool = False  # medians and rates: read at the published level, never summed
    libres: tuple[str, ...] = ()  # dimensions left free for the generic variables
    alias: tuple[str, ...] = ()  # other ids of the same dataset
    # Variables read at the census BEFORE each year of the file and written under that year
    # (série historique: P_POP_DEBUT of 2023 = the population of 2017, the start of the period
    # whose births and deaths the file gives under 2023).
    precedents: tuple[Correspondance, ...] = ()

    def correspondance(self, variable: str) -> Correspondance | None:
        return next((c for c in self.correspondances if c.variable == variable), None)


def _cellules(texte: str, ou: str) -> tuple[Cellule, ...]:
    cellules = []
    for morceau in texte.split("+"):
        valeurs = []
        for terme in morceau.split():
            if "=" not in terme:
                raise ValueError(f"{ou} : « {terme} » n'est pas de la forme DIMENSION=valeur")
            dim, val = terme.split("=", 1)
            valeurs.append((dim.strip(), tuple(v.strip() for v in val.split("|") if v.strip())))
        if not valeurs:
            raise ValueError(f"{ou} : cellule vide")
        cellules.append(Cellule(tuple(valeurs)))
    return tuple(cellules)


@lru_cache(maxsize=1)
def jeux() -> dict[str, JeuMelodi]:
    """The datasets declared in melodi.toml, by id (checked at load: a mistake names its entry)."""
    texte = (resources.files("diagnostic_territorial") / "sources" / "melodi.toml").read_text(encoding="utf-8")
    donnees = tomllib.loads(texte)
    resultat = {}
    for id_, d in donnees.items():
        dims = tuple(d.get("dimensions", ()))
        correspondances = tuple(
            Correspondance(var, _cellules(expr, f"melodi.toml [{id_}] {var}"))
            for var, expr in (d.get("variables") or {}).items()
        )
        precedents = tuple(
            Correspondance(var, _cellules(expr, f"melodi.toml [{id_}.precedents] {var}"), precedent=True)
            for var, expr in (d.get("precedents") or {}).items()
        )
        for c in correspondances + precedents:
            for cellule in c.cellules:
                inconnues = [dim for dim, _ in cellule.valeurs if dim not in dims]
                if inconnues:
                    raise ValueError(f"melodi.toml [{id_}] {c.variable} : dimension(s) {inconnues} absente(s) de "
                                     f"dimensions = {list(dims)}")
        filtre = _cellules(d["filtre"], f"melodi.toml [{id_}] filtre")[0].valeurs if d.get("filtre") else ()
        jeu = JeuMelodi(id_, d["source"], d.get("titre", id_), dims, correspondances, d.get("generique", ""),
                        filtre, bool(d.get("publie_seulement", False)), tuple(d.get("libres", ())),
                        tuple(d.get("alias", ())), precedents)
        resultat[id_] = jeu
        for autre in jeu.alias:
            resultat[autre] = jeu
    return resultat


def jeux_de_source(source: str) -> list[JeuMelodi]:
    """The datasets feeding a cache source, in the order of melodi.toml (each once)."""
    vus = []
    for j in jeux().values():
        if j.source == source and j not in vus:
            vus.append(j)
    return vus


def definition(source: str, variable: str) -> tuple[JeuMelodi, Correspondance] | None:
    """The dataset and cells giving a variable of a source through Melodi, if declared."""
    for jeu in jeux_de_source(source):
        c = jeu.correspondance(variable) or next((p for p in jeu.precedents if p.variable == variable), None)
        if c is not None:
            return jeu, c
        if jeu.generique:
            return jeu, Correspondance(variable, (Cellule(((jeu.generique, (variable,)), *jeu.filtre)),))
    return None


def id_du_nom(nom: str) -> tuple[str, int | None] | None:
    """`DS_RP_FAMILLE_COMP_2023_data.csv` -> ("DS_RP_FAMILLE_COMP", 2023); None for another name."""
    trouve = MOTIF_NOM.fullmatch(nom_donnees(nom))
    if not trouve:
        return None
    return trouve.group(1).upper(), int(trouve.group(2)) if trouve.group(2) else None


def jeu_des_colonnes(colonnes) -> JeuMelodi | None:
    """The declared dataset whose dimensions are exactly these columns' (recognition by content)."""
    dims = {c for c in colonnes if c not in ATTRIBUTS and c not in COLONNES_OBLIGATOIRES}
    for jeu in jeux().values():
        if set(jeu.dimensions) == dims:
            return jeu
    return None


# --- Reading ------------------------------------------------------------------------------------


def _observations_json(nom: str, octets: bytes) -> pd.DataFrame:
    """Rows of one or several pages of the Melodi API (a JSON object, or a list of them)."""
    try:
        contenu = json.loads(octets.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatInconnu(nom, f"JSON illisible ({exc})") from None
    pages = contenu if isinstance(contenu, list) else [contenu]
    lignes = []
    for numero, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not isinstance(page.get("observations"), list):
            raise FormatInconnu(nom, f"page {numero} : champ « observations » absent (réponse de l'API Melodi attendue)")
        for k, obs in enumerate(page["observations"], start=1):
            dims = dict(obs.get("dimensions") or {})
            geo = str(dims.pop("GEO", ""))
            trouve = MOTIF_GEO_API.fullmatch(geo)
            if not trouve:
                raise FormatInconnu(nom, f"page {numero}, observation {k} : GEO « {geo[:30]} » illisible")
            attributs = dict(obs.get("attributes") or {})
            mesure = (obs.get("measures") or {}).get("OBS_VALUE_NIVEAU") or {}
            valeur = mesure.get("value") if isinstance(mesure, dict) else mesure
            lignes.append({"GEO": trouve.group(3), "GEO_OBJECT": trouve.group(2), **dims, **attributs,
                           "OBS_VALUE": "" if valeur is None else str(valeur)})
    if not lignes:
        return pd.DataFrame(columns=list(COLONNES_OBLIGATOIRES))
    return pd.DataFrame(lignes).fillna("").astype(str)


SEUIL_FLUX = 32 << 20  # bytes: larger CSV files are streamed and filtered on the fly


def observations(chemin: Path, membre: str | None = None,
                 codgeos: set[str] | None = None) -> tuple[str, int | None, pd.DataFrame, str]:
    """Read a Melodi file (bulk CSV, zip, gz, or the API's JSON pages).

    Returns (dataset id, millésime in the name or None, DataFrame of strings, name read). With
    `codgeos`, a large national file is streamed and only the rows of these communes and of the
    levels above the communes are kept (a national RP file does not fit in memory as text)."""
    from diagnostic_territorial.sources.schema import table_csv

    chemin = Path(chemin)
    if membre is None and chemin.suffix.lower() == ".zip":
        membre = _membre_donnees(chemin)
    flux = _flux_csv(chemin, membre, codgeos) if codgeos is not None else None
    if flux is not None:
        nom, df = flux
    else:
        nom, octets = contenu_brut(chemin, membre)
        if nom_donnees(nom).lower().endswith(".json"):
            df = _observations_json(nom, octets)
        else:
            df = table_csv(nom, octets, obligatoires=COLONNES_OBLIGATOIRES)
    identifie = id_du_nom(nom_donnees(nom))
    if identifie and identifie[0] in jeux():
        return identifie[0], identifie[1], df, nom
    jeu = jeu_des_colonnes(df.columns)
    if jeu is None:
        dims = sorted(c for c in df.columns if c not in ATTRIBUTS and c not in COLONNES_OBLIGATOIRES)
        raise FormatInconnu(nom, f"jeu Melodi non reconnu (dimensions : {', '.join(dims) or 'aucune'})")
    return jeu.id, identifie[1] if identifie else None, df, nom


def _flux_csv(chemin: Path, membre: str | None, codgeos: set[str]) -> tuple[str, pd.DataFrame] | None:
    """Stream a large CSV (plain or zip member) with pyarrow, keeping the rows of `codgeos` and of
    the EPCI, département, région and France levels. None for a small file (read whole)."""
    import zipfile

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    if chemin.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(chemin)
        except zipfile.BadZipFile:
            return None
        infos = [i for i in archive.infolist() if membre and Path(i.filename).name.lower() == membre.lower()]
        if len(infos) != 1 or infos[0].file_size < SEUIL_FLUX or not membre.lower().endswith(".csv"):
            archive.close()
            return None
        ouvrir, nom = (lambda: archive.open(infos[0])), f"{chemin.name}/{Path(infos[0].filename).name}"
    elif chemin.suffix.lower() == ".csv" and chemin.stat().st_size >= SEUIL_FLUX:
        archive = None
        ouvrir, nom = (lambda: open(chemin, "rb")), chemin.name
    else:
        return None
    try:
        with ouvrir() as f:
            entete = f.readline().decode("utf-8-sig").rstrip("\r\n")
        colonnes = [c.strip() for c in entete.split(";")]
        manquantes = [c for c in COLONNES_OBLIGATOIRES if c not in colonnes]
        if manquantes:
            raise FormatInconnu(nom, f"colonne(s) manquante(s) : {', '.join(manquantes)} (en-tête ligne 1)")
        garder_codes = pa.array(sorted(codgeos), pa.string())
        niveaux_hauts = pa.array(["EPCI", "DEP", "REG", "FRANCE"], pa.string())
        morceaux = []
        with ouvrir() as f:
            lecteur = pacsv.open_csv(
                f, read_options=pacsv.ReadOptions(column_names=colonnes, skip_rows=1, block_size=16 << 20),
                parse_options=pacsv.ParseOptions(delimiter=";", quote_char=False),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in colonnes},
                                                     strings_can_be_null=False))
            for lot in lecteur:
                objet = lot.column(colonnes.index("GEO_OBJECT"))
                geo = lot.column(colonnes.index("GEO"))
                masque = pc.or_(pc.is_in(objet, value_set=niveaux_hauts), pc.is_in(geo, value_set=garder_codes))
                filtre = lot.filter(masque)
                if filtre.num_rows:
                    morceaux.append(filtre)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise FormatInconnu(nom, f"CSV illisible ({str(exc)[:200]})") from None
    finally:
        if archive is not None:
            archive.close()
    if not morceaux:
        return nom, pd.DataFrame(columns=colonnes)
    table = pa.Table.from_batches(morceaux)
    return nom, table.to_pandas().astype(str)


def _membre_donnees(chemin: Path) -> str | None:
    """The data member of a Melodi zip (`*_data.csv`; metadata files are left aside)."""
    import zipfile

    try:
        with zipfile.ZipFile(chemin) as archive:
            noms = [n for n in archive.namelist() if not n.endswith("/")]
    except zipfile.BadZipFile:
        return None  # contenu_brut names the fault
    donnees = [n for n in noms if n.lower().endswith("_data.csv")]
    if len(donnees) == 1:
        return Path(donnees[0]).name
    return None


def _valeurs(nom: str, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(values, masked) of the observations; UNIT_MULT applied; a bad number names its line."""
    from diagnostic_territorial.sources.schema import nombres

    texte = df["OBS_VALUE"].astype(str).str.strip()
    valeur, vide = nombres(texte, nom, "OBS_VALUE", ".", 2, marques_secret=frozenset({"s", "nd", "n.d.", "c"}))
    valeur = np.array(valeur.to_numpy(dtype="float64"), copy=True)
    masque = np.array(vide.to_numpy(dtype=bool), copy=True)
    if "OBS_STATUS" in df.columns:
        masque = masque | (df["OBS_STATUS"].astype(str).str.strip().str.upper() == "O").to_numpy()
    if "CONF_STATUS" in df.columns:
        masque = masque | df["CONF_STATUS"].astype(str).str.strip().str.upper().isin(["C", "D", "N"]).to_numpy()
    if "UNIT_MULT" in df.columns:
        mult = pd.to_numeric(df["UNIT_MULT"].astype(str).str.strip().replace("", "0"), errors="coerce")
        if mult.isna().any():
            i = int(mult.isna().to_numpy().nonzero()[0][0])
            raise FormatInconnu(nom, f"colonne UNIT_MULT, ligne {i + 2} : « {df['UNIT_MULT'].iloc[i]} » invalide")
        valeur = valeur * np.power(10.0, mult.to_numpy(dtype="float64"))
    valeur[masque] = np.nan
    return valeur, masque


def _geographie(nom: str, df: pd.DataFrame, france: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(keep, codgeo, niveau) of each observation: the levels of the report only."""
    objets = df["GEO_OBJECT"].astype(str).str.strip().str.upper()
    geo = df["GEO"].astype(str).str.strip()
    niveau = objets.map(NIVEAUX)
    est_france = (objets == "FRANCE").to_numpy()
    garder = niveau.notna().to_numpy() & (~est_france | (geo == france).to_numpy())
    communes = garder & (niveau == "commune").to_numpy()
    mauvais = communes & ~geo.str.fullmatch(MOTIF_COMMUNE.pattern).to_numpy()
    if mauvais.any():
        i = int(np.flatnonzero(mauvais)[0])
        raise FormatInconnu(nom, f"colonne GEO, ligne {i + 2} : code commune « {geo.iloc[i][:20]} » invalide")
    codes = np.where(est_france, CODE_FRANCE, geo.to_numpy(dtype=object))
    return garder, codes, niveau.fillna("").to_numpy(dtype=object)


def _choix_dimension(valeurs: np.ndarray, nommees: tuple[str, ...] | None, distinctes: set[str]) -> np.ndarray | None:
    """Rows of a dimension kept for a cell: the values named, else its total `_T`, else its only
    value; None when the dimension is not named and has several values but no total (ambiguous)."""
    if nommees == (TOUT,):
        return np.ones(len(valeurs), bool)
    if nommees is not None:
        return np.isin(valeurs, nommees)
    if TOTAL in distinctes:
        return valeurs == TOTAL
    if len(distinctes) == 1:
        return np.ones(len(valeurs), bool)
    return None


def vers_tidy(jeu: JeuMelodi, df: pd.DataFrame, nom: str, france: str | None = None,
              codgeos: set[str] | None = None) -> tuple[pd.DataFrame, dict[str, str], str]:
    """Observations of one dataset -> tidy table of the report's variables.

    The dimensions are the file's columns other than GEO, GEO_OBJECT, TIME_PERIOD, OBS_VALUE and
    the attributes: a cell names some of them; the others are read at their total `_T` (or their
    only value). Returns (tidy, absentes, france): `absentes` names the declared variables with no
    cell in the file ({variable: reason}), so that an indicator that cannot be computed says why;
    `france` is the France the file publishes (« France hors Mayotte »...). `codgeos` keeps only
    these communes (with the published EPCI, département, région and France rows)."""
    dimensions = [c for c in df.columns if c not in COLONNES_OBLIGATOIRES and c not in ATTRIBUTS]
    annees = df["TIME_PERIOD"].astype(str).str.strip().str[:4]
    if not annees.str.fullmatch(r"\d{4}").all():
        i = int((~annees.str.fullmatch(r"\d{4}")).to_numpy().nonzero()[0][0])
        raise FormatInconnu(nom, f"colonne TIME_PERIOD, ligne {i + 2} : année « {df['TIME_PERIOD'].iloc[i][:12]} » invalide")
    objets = df["GEO_OBJECT"].astype(str).str.strip().str.upper()
    presentes = set(df.loc[(objets == "FRANCE").to_numpy(), "GEO"].astype(str).str.strip())
    if france is None:
        france = next((f for f in (FRANCE_RETENUE, "FM") if f in presentes), FRANCE_RETENUE)
    garder, codes, niveaux = _geographie(nom, df, france)
    if codgeos is not None:
        garder = garder & ((niveaux != "commune") | np.isin(codes, list(codgeos)))
    idx = np.flatnonzero(garder)
    sous = df.iloc[idx].reset_index(drop=True)
    valeur, masque = _valeurs(nom, sous)
    base = pd.DataFrame({"codgeo": codes[idx], "niveau": niveaux[idx],
                         "millesime": annees.to_numpy()[idx].astype(int), "valeur": valeur, "secret": masque})
    dims = {d: sous[d].astype(str).str.strip().to_numpy(dtype=object) for d in dimensions}
    distinctes = {d: set(v) for d, v in dims.items()}
    correspondances = list(jeu.correspondances)
    if jeu.generique and jeu.generique in dims:
        selection = dims[jeu.generique] != TOTAL
        for d, v in jeu.filtre:
            selection = selection & (np.isin(dims[d], v) if d in dims else False)
        types = sorted(set(dims[jeu.generique][selection]))
        libres = tuple((d, (TOUT,)) for d in jeu.libres if d in dims)
        correspondances += [Correspondance(t, (Cellule(((jeu.generique, (t,)), *jeu.filtre, *libres)),))
                            for t in types]
    parties, absentes = [], {}
    precedents = {c.variable for c in jeu.precedents}
    for c in correspondances + list(jeu.precedents):
        morceaux, raison = [], ""
        for cellule in c.cellules:
            nommees = dict(cellule.valeurs)
            manquantes = [d for d in nommees if d not in dims]
            if manquantes:
                raison = f"dimension {', '.join(manquantes)} absente du fichier"
                break
            choix = np.ones(len(sous), bool)
            for d in dimensions:
                retenu = _choix_dimension(dims[d], nommees.get(d), distinctes[d])
                if retenu is None:
                    raison = f"dimension {d} sans total (_T) ni valeur précisée"
                    break
                choix = choix & retenu
            if raison:
                break
            morceaux.append((base[choix], cellule.nombre))
        if raison or not any(len(m) for m, _ in morceaux):
            absentes[c.variable] = raison or f"aucune observation pour {c.texte()}"
            continue
        attendu = sum(n for _, n in morceaux)
        tout = pd.concat([m for m, _ in morceaux if len(m)], ignore_index=True)
        somme = tout.groupby(["codgeo", "niveau", "millesime"], sort=False).agg(
            valeur=("valeur", "sum"), secret=("secret", "any"), n=("valeur", "size")).reset_index()
        incomplet = somme["n"].to_numpy() < attendu
        somme.loc[somme["secret"].to_numpy() | incomplet, "valeur"] = np.nan
        somme["variable"] = c.variable
        if c.variable in precedents:  # each census's value goes under the next census of the file
            annees_c = sorted(set(int(a) for a in somme["millesime"]))
            suivante = dict(zip(annees_c[:-1], annees_c[1:]))
            somme = somme[somme["millesime"].isin(list(suivante))].copy()
            somme["millesime"] = somme["millesime"].map(suivante).astype("int64")
            if somme.empty:
                absentes[c.variable] = f"un seul recensement dans le fichier pour {c.texte()}"
                continue
        parties.append(somme[["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]])
    tidy = pd.concat(parties, ignore_index=True) if parties else table_vide()
    tidy = tidy.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                        "valeur": "float64", "secret": "bool"})
    doublons = tidy.duplicated(["codgeo", "niveau", "variable", "millesime"])
    if doublons.any():
        ligne = tidy[doublons].iloc[0]
        raise FormatInconnu(nom, f"observations en double pour {ligne['codgeo']}, {ligne['variable']}, "
                                 f"{ligne['millesime']} (mêmes dimensions, même année)")
    tidy = tidy.sort_values(["variable", "millesime", "niveau", "codgeo"], kind="stable").reset_index(drop=True)
    return tidy, absentes, (FRANCES.get(france, france) if france in presentes else "")


def lire(chemin: Path, millesime: int | None = None, membre: str | None = None,
         codgeos: set[str] | None = None) -> pd.DataFrame:
    """Read a Melodi file into the tidy table of its cache source.

    `millesime` is the main year of the file (2023 for the RP 2023, which also holds 2017 and
    2012): checked against TIME_PERIOD when given. The provenance says which dataset, which France
    and which declared variables the file does not hold (`extra["variables_absentes"]`)."""
    from diagnostic_territorial.sources import catalogue

    chemin = Path(chemin)
    id_, annee_nom, df, nom = observations(chemin, membre, codgeos)
    jeu = jeux()[id_]
    if df.empty:
        raise FormatInconnu(nom, "aucune observation (en-tête seul)")
    tidy, absentes, france = vers_tidy(jeu, df, nom, codgeos=codgeos)
    annees = sorted({int(a[:4]) for a in df["TIME_PERIOD"].astype(str).str.strip() if a[:4].isdigit()})
    principal = max(annees) if annees else (annee_nom or 0)
    if millesime is not None and int(millesime) not in annees:
        raise FormatInconnu(nom, f"le fichier contient {', '.join(map(str, annees))}, {millesime} attendu")
    principal = int(millesime) if millesime is not None else principal
    officiel = catalogue.officiel_melodi(id_, principal)
    prov = catalogue.provenance(
        chemin, nom_donnees(nom), principal, officiel.source if officiel else f"Insee, {jeu.titre} {principal}",
        officiel.libelle if officiel else f"Insee, Melodi {id_} ({jeu.titre})", officiel=officiel,
    )
    tidy.attrs["provenance"] = dataclasses.replace(prov, extra={
        **prov.extra, "jeu": id_, "annees": annees, "france": france,
        "variables_absentes": absentes})
    return verifier(tidy)


def ecrire_csv(df: pd.DataFrame) -> bytes:
    """Observations -> the bulk file layout (`;`, GEO and GEO_OBJECT first, TIME_PERIOD and
    OBS_VALUE last)."""
    autres = [c for c in df.columns if c not in COLONNES_OBLIGATOIRES]
    colonnes = ["GEO", "GEO_OBJECT", *autres, "TIME_PERIOD", "OBS_VALUE"]
    tampon = io.StringIO()
    df[colonnes].to_csv(tampon, sep=";", index=False, lineterminator="\n")
    return tampon.getvalue().encode("utf-8")
