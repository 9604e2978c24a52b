"""Demo data: real extracts shipped in donnees_demo/, plus the files simulated for the demo.

`installer_donnees_demo(dossier_brut)` copies the real extracts (Filosofi 2019 and 2016, the
populations légales 2019 under the name of the real file `donnees_communes_pop_2019.csv`, the
whole BPE 2018 and the CAF IRIS 2020 of the demo département) into a study's data/brut/, then
SIMULATES, in the exact layouts of the real published files (see shared/data/reel), the files that
are not available offline:

- the recensement 2023 through Insee Melodi: for every dataset of sources/melodi.toml feeding an
  `rp_*` source, `DS_<JEU>_2023_CSV_FR.zip` holding `DS_<JEU>_2023_data.csv` (long layout
  `GEO;GEO_OBJECT;<dimensions>;[FREQ;]OBS_STATUS;TIME_PERIOD;OBS_VALUE`, censuses 2012, 2017
  and 2023 (2023 only for the detailed tables `DS_RP_TD_*`), values in Java notation
  `2.643564819015E7`) and a small `DS_<JEU>_2023_metadata.csv` (COD_VAR;LIB_VAR;COD_MOD;LIB_MOD).
  Every cell melodi.toml reads is written, with the totals `_T` and the intermediate totals
  (TFN 1 = 11 + 12, EMPSTA_ENQ 1T2 = 1 + 2...), parts summing exactly to totals.
  Rows: the communes of the study's département(s) (arrondissements `ARM` and their commune for
  Paris, Lyon, Marseille) and every EPCI, département, région and France (`F` hors Mayotte, `FM`
  métropolitaine), each the exact sum of a simulation of every commune of France;
- data.caf.fr `s_ben_com_f.csv` (Decembers 2020-2024, every commune, one row a year without
  commune for the allocataires not located), the AAH and AEEH fields of `s_ben_epci_f.csv` and
  `s_ben_dep.csv` (not published by commune) and the taux de couverture petite enfance
  `txcouv_pe_{com,epci,dep}.csv` (2022-2023), `txcouv_pe_nat.csv` (2017-2023) and
  `txcouv_pe_{epci,dep}_hist.csv` (2017-2022);
- Dares `dares_defm_communales-brutes.csv.gz` (demandeurs d'emploi ABC, 2015-T4 to 2024-T4,
  every commune, national `Total` rows), gzip-compressed (about 190 MB of text otherwise),

and lists them in data/brut/simulations.yaml so that every figure drawn from them is labelled
« données simulées ».

The simulation is deterministic (fixed seeds; every random effect is drawn from a generator named
after what it perturbs, so that a commune keeps its profile from one census to the next) and
consistent: populations grow from the real populations légales 2019; within a dataset every part
sums exactly to its totals (values are integers in 1/100 000 of a person, the precision of the
published files); datasets agree with each other (households = main residences, employed
residents = the same count in the activity, commuting and employment datasets); Caf and France
Travail counts derive from the simulated census of the same communes and the crèches of the real
BPE. National levels are close to the real RP 2023 France values read in the real extracts
(population 15-64 42 M, activity rate 75.6 %, unemployment 11.4 %, 17.5 % single-parent
families, 7.8 % vacant dwellings, 57.5 % owners, 14.6 % HLM tenants...).
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import unicodedata
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.ecriture import fichier_temporaire

DOSSIER_DEMO = Path(str(resources.files("diagnostic_territorial_demo") / "donnees_demo"))
MILLESIME_RP = 2023
ANNEES_RP = (2012, 2017, 2023)  # the three censuses of a Melodi RP 2023 file
MILLESIME_POPULATIONS = 2019
FICHIER_POPULATIONS = "donnees_communes_pop_2019.csv"  # the real file's name: it carries its year
DEPARTEMENTS_DEMO = ("31",)  # the demo territory's, when the study's communes are unknown
GRAINE = 31_2023
U = 100_000  # counts are integers in 1/U of a person: parts sum exactly to totals
HORS_COG = "_communes_hors_cog2022.csv"
SEUIL_SECRET = 5
# Zip entries get a fixed date: the same installation gives the same bytes.
DATE_ZIP = (2025, 6, 1, 0, 0, 0)


# --- Allocation helpers (integers) -------------------------------------------------------------


def _repartir(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Split integer totals (n,) along shares (n, k) into integers summing exactly to the totals
    (cumulative rounding: each part within 1 of its exact share, never negative)."""
    total = np.asarray(total, dtype=np.int64)
    cumul = np.cumsum(np.asarray(parts, dtype=float), axis=1)
    somme = cumul[:, -1].copy()
    nulles = somme <= 0
    if nulles.any():  # no share given: equal parts
        cumul[nulles] = np.arange(1, cumul.shape[1] + 1) / cumul.shape[1]
        somme[nulles] = 1.0
    bornes = np.rint(cumul * (total / somme)[:, None]).astype(np.int64)
    bornes[:, -1] = total
    bornes[:, 1:] -= bornes[:, :-1].copy()
    return bornes


def _repartir_plafonne(total: np.ndarray, poids: np.ndarray, plafond: np.ndarray) -> np.ndarray:
    """Like `_repartir`, each part at most its `plafond` (total <= sum of the ceilings): what a
    part cannot take goes to the others in proportion to their room left."""
    total = np.minimum(np.asarray(total, dtype=np.int64), plafond.sum(axis=1))
    parts = _repartir(total, poids)
    for _ in range(10):
        exces = np.clip(parts - plafond, 0, None)
        if not exces.any():
            break
        parts = parts - exces
        place = plafond - parts
        parts = parts + _repartir(exces.sum(axis=1), place.astype(float) + 1e-12 * (place > 0))
    return parts


def _frac(x, taux) -> np.ndarray:
    """floor(x * taux) on integer units (taux: scalar or array broadcastable to x)."""
    return np.floor(np.asarray(x, dtype=np.int64) * np.asarray(taux, dtype=float)).astype(np.int64)


def _alea(*cles) -> np.random.Generator:
    """A generator named by `cles`: the same draws whatever else is simulated."""
    return np.random.default_rng([GRAINE, *[zlib.crc32(str(c).encode("utf-8")) for c in cles]])


# --- Geography ---------------------------------------------------------------------------------


def _departement_du_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def geographie_communes(codes) -> pd.DataFrame:
    """nom, departement, region, epci (SIREN or ""), nomepci, nomdep, nomreg, parent (the commune
    of an arrondissement municipal, else "") for commune codes of the populations légales
    geography (COG 2022 referential, then the shipped COG 2021 extract)."""
    from diagnostic_territorial.territoire.resolution import SANS_EPCI, referentiel

    ref = referentiel()
    extra = {}
    chemin = DOSSIER_DEMO / HORS_COG
    if chemin.exists():
        lignes = chemin.read_text(encoding="utf-8").splitlines()
        entete = lignes[0].split(";")
        extra = {r["CODGEO"]: r for r in (dict(zip(entete, ligne.split(";"))) for ligne in lignes[1:])}
    colonnes = {k: [] for k in ("code", "nom", "departement", "region", "epci", "nomepci", "nomdep", "nomreg",
                                "parent")}
    vide = {}
    for code in codes:
        code = str(code)
        commune = ref["communes"].get(code)
        hors = extra.get(code, vide)
        source = commune or ref["communes"].get(hors.get("COMPARENT", ""), vide)
        dep = source.get("DEP") or _departement_du_code(code)
        epci = source.get("EPCI") or hors.get("EPCI", "")
        if epci == SANS_EPCI or epci not in ref["epci"]:
            epci = ""
        reg = ref["departements"].get(dep, vide).get("REG", "")
        colonnes["code"].append(code)
        colonnes["nom"].append((commune or vide).get("LIBGEO") or hors.get("LIBGEO") or code)
        colonnes["departement"].append(dep)
        colonnes["region"].append(reg)
        colonnes["epci"].append(epci)
        colonnes["nomepci"].append(ref["epci"].get(epci, vide).get("LIBEPCI", ""))
        colonnes["nomdep"].append(ref["departements"].get(dep, vide).get("LIBELLE", dep))
        colonnes["nomreg"].append(ref["regions"].get(reg, vide).get("LIBELLE", reg))
        colonnes["parent"].append("" if commune else hors.get("COMPARENT", ""))
    return pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in colonnes.items()}, dtype=object)


def _creches_bpe(codes: np.ndarray) -> np.ndarray:
    """Number of EAJE (TYPEQU D502) per commune code in the real BPE 2018 shipped with the demo
    (codes of communes merged since 2018 are counted in their commune nouvelle when known)."""
    from diagnostic_territorial.territoire.resolution import referentiel

    chemin = DOSSIER_DEMO / "bpe18_ensemble_csv.zip"
    position = {c: i for i, c in enumerate(codes)}
    resultat = np.zeros(len(codes), dtype=np.int64)
    if not chemin.exists():
        return resultat
    with zipfile.ZipFile(chemin) as archive:
        octets = archive.read("bpe18_ensemble.csv")
    anciennes = referentiel()["anciennes"]
    debut = octets.find(b";D502;")
    while debut >= 0:  # ~10 000 lines out of a million: find them without parsing the file
        ligne = octets[octets.rfind(b"\n", 0, debut) + 1: octets.find(b"\n", debut)].decode("ascii").split(";")
        code = ligne[2]
        if code not in position and code in anciennes:
            code = anciennes[code]["COMPARENT"]
        if code in position:
            resultat[position[code]] += int(ligne[6])
        debut = octets.find(b";D502;", debut + 1)
    return resultat


# Départements whose residents often work abroad (Switzerland, Luxembourg, Germany, Belgium, Monaco).
FRONTALIERS = ("01", "06", "08", "25", "39", "54", "57", "59", "67", "68", "74", "90")
# Départements of mountains and coasts, with many secondary residences.
TOURISTIQUES = ("04", "05", "06", "09", "11", "17", "22", "29", "2A", "2B", "30", "34", "40", "46", "48", "56", "64",
                "65", "66", "73", "74", "83", "85")


class _Contexte:
    """Covariates of every commune and the random effects of one census year.

    A random effect is either lasting (`effet`: the commune's and its département's profile, the
    same draws at every census) or a drift of the census year (`derive`)."""

    def __init__(self, geo: pd.DataFrame, pmun: np.ndarray, annee: int, memoire: dict | None = None):
        self.annee = int(annee)
        self.memoire = {} if memoire is None else memoire  # lasting effects, shared by the censuses
        self.n = len(pmun)
        deps = geo["departement"].to_numpy(dtype=str)
        self.deps, self.dep_idx = np.unique(deps, return_inverse=True)
        self.n_dep = len(self.deps)
        self.pmun = np.asarray(pmun, dtype=float)
        self.urb = np.clip((np.log10(np.maximum(self.pmun, 1.0)) - 2.7) / 2.8, 0.0, 1.0)
        self.rural = (self.pmun < 2_000).astype(float)
        self.dom = np.char.startswith(deps, "97").astype(float)
        self.idf = np.isin(deps, ["75", "92", "93", "94"]).astype(float)
        self.frontalier = np.isin(deps, FRONTALIERS).astype(float)
        self.touristique = np.isin(deps, TOURISTIQUES).astype(float)
        epci = geo["epci"].to_numpy(dtype=str)
        # a commune outside any EPCI is its own group
        epci = np.where(epci == "", np.char.add("sans-", geo["code"].to_numpy(dtype=str)), epci)
        _, self.epci_idx = np.unique(epci, return_inverse=True)

    def _normal(self, cles, forme, sigma):
        return _alea(*cles).standard_normal(forme, dtype=np.float32).astype(float) * sigma

    def effet(self, nom: str, k: int, local: float, dep: float = 0.0) -> np.ndarray:
        cle = (nom, k, local, dep)
        if cle not in self.memoire:
            e = self._normal(("local", nom, k), (self.n, k), local) if local else np.zeros((self.n, k))
            if dep:
                e = e + self._normal(("dep", nom, k), (self.n_dep, k), dep)[self.dep_idx]
            self.memoire[cle] = e
        return self.memoire[cle]

    def derive(self, nom: str, k: int, sigma: float) -> np.ndarray:
        if not sigma:
            return np.zeros((self.n, k))
        return self._normal(("annee", nom, k, self.annee), (self.n, k), sigma)

    def lin(self, **coefs) -> np.ndarray:
        """Sum of covariates (urb, rural, dom, idf, frontalier, touristique) times per-category coefficients."""
        return sum(getattr(self, c)[:, None] * np.asarray(v, dtype=float)[None, :] for c, v in coefs.items())

    def parts(self, nom, base, effets=0.0, local=0.10, dep=0.08, derive=0.03, poids=None) -> np.ndarray:
        """Shares (n, k) around `base`. With `poids` (the counts being split, or a function of
        the shares giving them), the national shares are calibrated to `base`."""
        base = np.asarray(base, dtype=float)
        k = len(base)
        z = (np.log(np.maximum(base, 1e-12))[None, :] + effets + self.effet(nom, k, local, dep)
             + self.derive(nom, k, derive))
        e = np.exp(z - z.max(axis=1, keepdims=True))
        facteur = np.ones(k)
        if poids is not None:  # national shares calibrated: one factor per category
            cible = np.maximum(base / base.sum(), 1e-15)
            for _ in range(6):
                somme = e @ facteur
                w = (poids(e * (facteur / somme[:, None])) if callable(poids) else np.asarray(poids, dtype=float))
                national = facteur * ((w / somme) @ e) / max(float(w.sum()), 1e-12)
                facteur = facteur * cible / np.maximum(national, 1e-15)
        e = e * facteur
        return e / e.sum(axis=1, keepdims=True)

    def taux(self, nom, moyenne, effets=0.0, local=0.15, dep=0.10, derive=0.03, poids=None) -> np.ndarray:
        """A rate (n,) around `moyenne` (logit scale); calibrated nationally with `poids`."""
        logit = np.log(moyenne / (1.0 - moyenne))
        z = logit + effets + self.effet(nom, 1, local, dep)[:, 0] + self.derive(nom, 1, derive)[:, 0]
        if poids is not None:
            w = np.asarray(poids, dtype=float)
            for _ in range(6):
                national = float((w / (1.0 + np.exp(-z))).sum() / max(w.sum(), 1e-12))
                z = z + logit - np.log(national / (1.0 - national))
        return 1.0 / (1.0 + np.exp(-z))




# --- Recensement: every commune of France, three censuses --------------------------------------
# National targets (France hors Mayotte) come from the real RP 2023 extracts of
# shared/data/reel/insee_melodi (rows GEO=F) when they hold the figure.

POPULATION_FRANCE = {2012: 65_240_000, 2017: 66_520_000, 2023: 68_050_000}
AGES7 = ("Y_LT15", "Y15T24", "Y25T39", "Y40T54", "Y55T64", "Y65T79", "Y_GE80")
BASE_AGES = {  # national shares: the real RP (F) population 15+, 15-24, 25-54, 55+ and 15-64
    2012: [0.1852, 0.1212, 0.1930, 0.2003, 0.1267, 0.1200, 0.0536],
    2017: [0.1813, 0.1179, 0.1800, 0.2010, 0.1256, 0.1350, 0.0592],
    2023: [0.1693, 0.1196, 0.1760, 0.1946, 0.1280, 0.1500, 0.0625],
}
PART_HOMMES = np.array([0.512, 0.508, 0.490, 0.492, 0.482, 0.462, 0.360])
PCS = ("1", "2", "3", "4", "5", "6", "7", "9")  # no code 8 in Melodi: 9 is the former CS8
BASE_PCS = {  # by age group 15-24, 25-54, 55+
    2012: ([0.002, 0.005, 0.020, 0.075, 0.150, 0.120, 0.0001, 0.628],
           [0.012, 0.050, 0.150, 0.230, 0.240, 0.200, 0.002, 0.116],
           [0.010, 0.035, 0.045, 0.055, 0.070, 0.050, 0.690, 0.045]),
    2023: ([0.002, 0.005, 0.020, 0.075, 0.150, 0.120, 0.0001, 0.628],
           [0.009, 0.050, 0.190, 0.235, 0.225, 0.175, 0.002, 0.114],
           [0.006, 0.033, 0.056, 0.065, 0.070, 0.045, 0.680, 0.045]),
}
BASE_PCS[2017] = tuple(list((np.array(a) + np.array(b)) / 2) for a, b in zip(BASE_PCS[2012], BASE_PCS[2023]))
PART_HOMMES_PCS = np.array([0.72, 0.70, 0.58, 0.48, 0.24, 0.78, 0.46, 0.38])
EFFETS_PCS = {"rural": [1.2, 0.2, -0.5, -0.15, 0.0, 0.2, 0.1, -0.1],
              "urb": [-1.5, -0.1, 0.6, 0.15, 0.0, -0.25, -0.2, 0.2],
              "dom": [0.0, 0.0, -0.4, -0.2, 0.1, -0.2, -0.3, 0.6]}
# Households: one person (11), several persons without family (12), single parent (MF21),
# couple without (MF221) and with (MF222) children; mean size of each type.
TPH = ("11", "12", "MF21", "MF221", "MF222")
BASE_TPH = {2012: [0.345, 0.022, 0.088, 0.267, 0.278], 2017: [0.358, 0.023, 0.094, 0.264, 0.261],
            2023: [0.372, 0.025, 0.100, 0.262, 0.241]}
TAILLE_TPH = {2012: np.array([1.0, 2.3, 2.6, 2.05, 3.86]), 2017: np.array([1.0, 2.3, 2.58, 2.05, 3.82]),
              2023: np.array([1.0, 2.3, 2.55, 2.05, 3.78])}
PART_PERES = {2012: 0.168, 2017: 0.178, 2023: 0.197}
ANCIENNETE = ("Y_LT2", "Y2T4", "Y5T9", "Y10T19", "Y20T29", "Y_GE30")
PIECES = ("R1", "R2", "R3", "R4", "R_GE5")
STATUTS_OCCUPATION = ("100", "211", "212_222", "221", "300")
# Activity (EMPSTA_ENQ) by age group 15-24, 25-54, 55-64 and sex (M, F).
GROUPES_ACTIVITE = ("Y15T24", "Y25T54", "Y55T64")
ACTIVITE = {2012: ((0.420, 0.360), (0.945, 0.850), (0.550, 0.500)),
            2017: ((0.425, 0.365), (0.940, 0.860), (0.600, 0.560)),
            2023: ((0.445, 0.390), (0.940, 0.875), (0.655, 0.615))}
CHOMAGE = {2012: (0.262, 0.120, 0.098), 2017: (0.285, 0.125, 0.112), 2023: (0.232, 0.104, 0.090)}
INACTIFS = ("31", "33", "35", "36")  # retired, pupils and students, homemakers, other
BASE_INACTIFS = {
    2012: ([0.0001, 0.86, 0.02, 0.12], [0.03, 0.10, 0.33, 0.54], [0.80, 0.0001, 0.07, 0.13]),
    2017: ([0.0001, 0.86, 0.02, 0.12], [0.03, 0.10, 0.32, 0.55], [0.72, 0.0001, 0.08, 0.20]),
    2023: ([0.0001, 0.86, 0.02, 0.12], [0.03, 0.10, 0.30, 0.57], [0.67, 0.0001, 0.09, 0.24]),
}
EMPLOI_65_79 = {2012: 0.020, 2017: 0.026, 2023: 0.036}
EDUC = ("001T100_RP", "200_RP", "300_RP", "350T351_RP", "500_RP", "600_RP", "700_RP")
BASE_EDUC_1564 = [0.121, 0.083, 0.202, 0.217, 0.123, 0.115, 0.139]
BASE_DIPLOMES = {2012: [0.300, 0.065, 0.245, 0.160, 0.100, 0.075, 0.055],
                 2017: [0.255, 0.062, 0.240, 0.170, 0.108, 0.090, 0.075],
                 2023: [0.200, 0.060, 0.230, 0.180, 0.112, 0.108, 0.110]}
EFFETS_EDUC = {"urb": [-0.2, 0.0, -0.15, 0.0, 0.05, 0.3, 0.45], "rural": [0.1, 0.0, 0.2, 0.0, -0.05, -0.2, -0.35],
               "dom": [0.5, 0.0, 0.0, 0.0, -0.2, -0.3, -0.4]}
ACTIVITE_EDUC = np.array([0.55, 0.55, 0.80, 0.80, 0.88, 0.89, 0.91])
CHOMAGE_EDUC = np.array([2.0, 1.6, 1.15, 1.0, 0.62, 0.55, 0.50])
# Employed residents: legal form (EMPFORM: 11 self-employed, 12 employers, 13 family helpers,
# 211 permanent or civil servant, 22 fixed term, 23_25 apprentices and trainees, 24 subsidised,
# 26 temporary agency) and part-time rate of each, by sex (M, F).
FORMES = ("11", "12", "13", "211", "22", "23_25", "24", "26")
BASE_FORMES = ([0.085, 0.048, 0.002, 0.755, 0.041, 0.025, 0.004, 0.021],
               [0.062, 0.022, 0.003, 0.806, 0.056, 0.022, 0.006, 0.009])
TEMPS_PARTIEL = (np.array([0.10, 0.10, 0.10, 0.06, 0.15, 0.12, 0.35, 0.08]),
                 np.array([0.22, 0.22, 0.22, 0.26, 0.35, 0.15, 0.50, 0.15]))
TRANSPORTS = ("1", "2", "3", "4", "5", "6")  # none, walk, bicycle, motorised two-wheeler, car, public transport
BASE_TRANSPORTS = {2012: [0.040, 0.065, 0.018, 0.016, 0.718, 0.143],
                   2017: [0.045, 0.060, 0.020, 0.019, 0.711, 0.145],
                   2023: [0.062, 0.055, 0.030, 0.018, 0.705, 0.130]}
LIEUX_TRAVAIL = ("21", "22", "23", "24T30")  # other commune: same département, région, other, abroad
# Births and deaths a year per inhabitant in France over the period ending at each census (real
# orders: 2017-2022, about 4.4 M births and 3.7 M deaths), shared by the local age structure.
NATALITE = {2012: 0.0128, 2017: 0.0121, 2023: 0.0108}
MORTALITE = {2012: 0.0085, 2017: 0.0087, 2023: 0.0093}
SECTEURS_A5 = ("AZ", "BE", "FZ", "GU", "OQ")  # agriculture, industry, construction, trade and services, public
INDICES_PEUPLEMENT = ("SEV_OVER_OCC", "MOD_OVER_OCC", "STD_OCC", "MOD_UNDER_OCC", "SEV_UNDER_OCC", "VSEV_UNDER_OCC")
AGES_SCOLARITE = ("Y2T5", "Y6T10", "Y11T14", "Y15T17", "Y18T24", "Y25T29", "Y_GE30")
SCOLARISATION = [0.76, 0.985, 0.99, 0.955, 0.50, 0.07, 0.006]


class _Cube:
    """The cells of one Melodi dataset for one census: (values of its dimensions, in the order of
    melodi.toml) -> integer counts (n communes,). A dimension not named is at its total `_T`."""

    def __init__(self, jeu: str):
        from diagnostic_territorial.sources import melodi

        self.jeu = jeu
        self.dimensions = melodi.jeux()[jeu].dimensions
        self.cellules: list[tuple[str, ...]] = []
        self.valeurs: list[np.ndarray] = []

    def __call__(self, valeurs, **dims) -> None:
        inconnues = set(dims) - set(self.dimensions)
        if inconnues:
            raise ValueError(f"{self.jeu} : dimension(s) {sorted(inconnues)} inconnue(s)")
        cellule = tuple(str(dims.get(d, "_T")) for d in self.dimensions)
        if cellule in self.cellules:
            raise ValueError(f"{self.jeu} : cellule {cellule} en double")
        valeurs = np.asarray(valeurs, dtype=np.int64)
        if (valeurs < 0).any():
            raise AssertionError(f"simulation {self.jeu} {cellule} : valeur négative")
        self.cellules.append(cellule)
        self.valeurs.append(valeurs)

    def matrice(self) -> np.ndarray:
        return np.column_stack(self.valeurs)


def _populations(ctx: _Contexte) -> dict[int, np.ndarray]:
    """Population municipale of every commune at each census, from the populations légales 2019:
    a growth rate of the département and of the commune, national totals as published."""
    croissance = (0.0035 + ctx.effet("croissance", 1, 0.008, 0.004)[:, 0]
                  + 0.003 * ((ctx.urb > 0.15) & (ctx.urb < 0.55)) - 0.002 * ctx.rural)
    resultat = {}
    for annee, cible in POPULATION_FRANCE.items():
        brut = ctx.pmun * np.exp(croissance * (annee - MILLESIME_POPULATIONS))
        resultat[annee] = np.round(brut * cible / brut.sum()).astype(np.int64)
    return resultat


def _emplois_au_lieu_de_travail(ctx: _Contexte, actifs_occupes: np.ndarray) -> np.ndarray:
    """Jobs located in each commune: the département's employed residents (times a département
    factor: Paris and its business suburbs attract, the outer suburbs send), shared between its
    communes by their employed residents times an attractiveness growing with their size and
    with their weight in their EPCI (the bourg-centre of a rural EPCI, the city of its
    agglomeration). Nationally jobs ~ 98.5 % of employed residents (cross-border workers)."""
    taille = np.maximum(ctx.pmun, 1.0)
    moyenne_epci = (np.bincount(ctx.epci_idx, weights=taille) / np.bincount(ctx.epci_idx))[ctx.epci_idx]
    attraction = np.exp(0.12 * np.log(taille / 1_000.0) + 0.25 * np.log(taille / moyenne_epci)
                        + ctx.effet("attraction", 1, 0.35)[:, 0])
    facteur_dep = np.exp(_alea("dep", "emplois").normal(0.0, 0.05, ctx.n_dep))
    for codes, f in ((("75",), 1.75), (("92",), 1.30), (("93", "94"), 0.88), (("77", "78", "91", "95"), 0.78),
                     (("69", "31", "33", "13", "67", "44", "35", "59", "06", "34", "38"), 1.04)):
        facteur_dep[np.isin(ctx.deps, codes)] *= f
    poids = actifs_occupes * attraction
    somme_poids = np.bincount(ctx.dep_idx, weights=poids, minlength=ctx.n_dep)
    actifs_dep = np.bincount(ctx.dep_idx, weights=actifs_occupes, minlength=ctx.n_dep)
    cible_dep = actifs_dep * facteur_dep
    cible_dep *= 0.985 * actifs_dep.sum() / cible_dep.sum()
    emplois = cible_dep[ctx.dep_idx] * poids / np.maximum(somme_poids[ctx.dep_idx], 1e-9)
    return np.round(emplois).astype(np.int64)


BORNES_AGES7 = (0, 15, 25, 40, 55, 65, 80, 101)  # first single year of each band of AGES7, and the end


def _ages_detailles(ctx, popu, hommes, age0, a0001, a0205, a0610, a1114, a1517, a1519, a1824, a2529, bandes,
                    hommes_bandes) -> _Cube:
    """Single years of age Y0...Y99 and Y_GE100, by sex, consistent with the age
    bands of the other datasets: Y0 + Y1 = 0-1, Y2...Y5 = 2-5, Y15...Y19 = 15-19 (Y_LT20), and so
    on; births slowly falling, deaths growing with age."""
    morceaux = [age0[:, None], (a0001 - age0)[:, None]]

    def etaler(total, debut, fin, pente):
        ages = np.arange(debut, fin + 1)
        poids = np.exp(pente * (ages - debut))[None, :] * np.exp(ctx.effet(f"age{debut}", len(ages), 0.03))
        return _repartir(total, poids)

    y18_19 = a1519 - a1517
    morceaux += [etaler(a0205, 2, 5, 0.010), etaler(a0610, 6, 10, 0.010), etaler(a1114, 11, 14, 0.008),
                 etaler(a1517, 15, 17, 0.0), etaler(y18_19, 18, 19, 0.0), etaler(a1824 - y18_19, 20, 24, 0.0),
                 etaler(a2529, 25, 29, 0.0), etaler(bandes[:, 2] - a2529, 30, 39, 0.0), etaler(bandes[:, 3], 40, 54, 0.0),
                 etaler(bandes[:, 4], 55, 64, -0.005), etaler(bandes[:, 5], 65, 79, -0.03),
                 etaler(bandes[:, 6], 80, 100, -0.16)]
    ages = np.concatenate(morceaux, axis=1)
    # men of each single year: the men of its band (DS_RP_POPULATION_PRINC) shared in proportion
    # of the ages of the band, so that both datasets agree by sex too
    hommes_ages = np.zeros_like(ages)
    for j, (debut, fin) in enumerate(zip(BORNES_AGES7[:-1], BORNES_AGES7[1:])):
        hommes_ages[:, debut:fin] = _repartir(hommes_bandes[:, j], ages[:, debut:fin])
    c = _Cube("DS_RP_TD_POPULATION_AGESEX_PRINC")
    c(popu, RP_MEASURE="POP")
    c(hommes, SEX="M", RP_MEASURE="POP")
    c(popu - hommes, SEX="F", RP_MEASURE="POP")
    for age in range(101):
        code = "Y_GE100" if age == 100 else f"Y{age}"
        c(ages[:, age], AGE=code, RP_MEASURE="POP")
        c(hommes_ages[:, age], SEX="M", AGE=code, RP_MEASURE="POP")
        c(ages[:, age] - hommes_ages[:, age], SEX="F", AGE=code, RP_MEASURE="POP")
    return c


def _simuler_annee(ctx: _Contexte, pop: np.ndarray) -> tuple[dict[str, _Cube], dict[str, np.ndarray]]:
    """The cells of every Melodi RP dataset for one census, for every commune (integers in 1/U
    of a person), and a summary of the counts the Caf and France Travail files derive from."""
    a = ctx.annee
    n = ctx.n
    urb, rural, dom = ctx.urb, ctx.rural, ctx.dom
    popu = np.asarray(pop, dtype=np.int64) * U
    cubes: dict[str, _Cube] = {}

    # --- Population by sex and age (DS_RP_POPULATION_PRINC)
    effets = ctx.lin(urb=[-0.15, 0.40, 0.30, 0.0, -0.15, -0.25, -0.15], rural=[0.0, -0.15, -0.10, 0.0, 0.10, 0.15, 0.10],
                     dom=[0.40, 0.20, -0.05, -0.05, -0.10, -0.25, -0.50])
    bandes = _repartir(popu, ctx.parts("ages", BASE_AGES[a], effets, local=0.08, dep=0.05, poids=popu))
    hommes = _frac(bandes, np.clip(PART_HOMMES[None, :] + ctx.effet("hommes", 7, 0.012, 0.004), 0.25, 0.75))
    femmes = bandes - hommes
    part_1519 = np.clip(0.52 - 0.10 * urb + ctx.effet("1519", 1, 0.02, 0.01)[:, 0], 0.40, 0.62)
    h1519, f1519 = _frac(hommes[:, 1], part_1519), _frac(femmes[:, 1], part_1519)
    c = cubes["DS_RP_POPULATION_PRINC"] = _Cube("DS_RP_POPULATION_PRINC")
    for sexe, m, m1519 in (("_T", bandes, h1519 + f1519), ("M", hommes, h1519), ("F", femmes, f1519)):
        total, moins20, plus65 = m.sum(axis=1), m[:, 0] + m1519, m[:, 5] + m[:, 6]
        c(total, SEX=sexe, RP_MEASURE="POP")
        for j, age in enumerate(AGES7):
            c(m[:, j], SEX=sexe, AGE=age, RP_MEASURE="POP")
        c(moins20, SEX=sexe, AGE="Y_LT20", RP_MEASURE="POP")
        c(total - moins20 - plus65, SEX=sexe, AGE="Y20T64", RP_MEASURE="POP")
        c(plus65, SEX=sexe, AGE="Y_GE65", RP_MEASURE="POP")
    # finer ages used by the other datasets
    enfants = _repartir(bandes[:, 0], ctx.parts("enfants", [0.125, 0.262, 0.340, 0.273], local=0.03, dep=0.02,
                                                derive=0.01))
    a0001, a0205, a0610, a1114 = enfants.T
    age0 = _frac(a0001, 0.49)
    a1517 = np.minimum(_frac(bandes[:, 1], np.clip(0.31 - 0.06 * urb + ctx.effet("1517", 1, 0.02)[:, 0], 0.15, 0.45)),
                       h1519 + f1519)
    a1824 = bandes[:, 1] - a1517
    a2529 = _frac(bandes[:, 2], np.clip(0.31 + 0.04 * urb + ctx.effet("2529", 1, 0.02)[:, 0], 0.20, 0.45))
    a30p = popu - bandes[:, 0] - bandes[:, 1] - a2529
    if a >= 2023:  # detailed ages (DS_RP_TD_POPULATION_AGESEX_PRINC): published for the RP 2023 only
        cubes["DS_RP_TD_POPULATION_AGESEX_PRINC"] = _ages_detailles(
            ctx, popu, hommes.sum(axis=1), age0, a0001, a0205, a0610, a1114, a1517, h1519 + f1519, a1824, a2529,
            bandes, hommes)

    # --- Residence one year before (DS_RP_MIGRES_PRINC)
    pop1p = popu - age0
    effets = ctx.lin(urb=[-0.10, 0.25, -0.30, 0.10, 0.45, 0.30, 0.70], rural=[0.05, -0.30, 0.20, 0.0, -0.20, 0.0, -0.30],
                     dom=[0.10, 0.0, -0.20, -9.0, 0.30, 1.0, 0.0])
    iran = _repartir(pop1p, ctx.parts("iran", [0.879, 0.036, 0.042, 0.014, 0.021, 0.002, 0.006], effets, 0.15,
                                      poids=pop1p))
    c = cubes["DS_RP_MIGRES_PRINC"] = _Cube("DS_RP_MIGRES_PRINC")
    c(pop1p, AGE="Y_GE1", RP_MEASURE="POP")
    for j, code in enumerate(("11", "12", "21", "22", "23", "24", "25T32")):
        c(iran[:, j], AGE="Y_GE1", PREV_RES_AREA=code, RP_MEASURE="POP")

    # --- Population 15+ by socio-professional category (DS_RP_POPULATION_COMP)
    groupes = {"Y15T24": bandes[:, 1], "Y25T54": bandes[:, 2] + bandes[:, 3], "Y_GE55": bandes[:, 4:].sum(axis=1)}
    effets_pcs = ctx.lin(**EFFETS_PCS)
    par_groupe = {g: _repartir(v, ctx.parts("pcs", BASE_PCS[a][j], effets_pcs, local=0.15, dep=0.12, poids=v))
                  for j, (g, v) in enumerate(groupes.items())}
    pcs = sum(par_groupe.values())
    pcs_h = _frac(pcs, np.clip(PART_HOMMES_PCS[None, :] + ctx.effet("pcs_hommes", 8, 0.03, 0.01), 0.05, 0.95))
    c = cubes["DS_RP_POPULATION_COMP"] = _Cube("DS_RP_POPULATION_COMP")
    for age, m in (*par_groupe.items(), ("Y_GE15", pcs)):
        c(m.sum(axis=1), AGE=age, RP_MEASURE="POP")
        for j, code in enumerate(PCS):
            c(m[:, j], AGE=age, PCS=code, RP_MEASURE="POP")
    for sexe, m in (("M", pcs_h), ("F", pcs - pcs_h)):
        c(m.sum(axis=1), SEX=sexe, AGE="Y_GE15", RP_MEASURE="POP")
        for j, code in enumerate(PCS):
            c(m[:, j], SEX=sexe, AGE="Y_GE15", PCS=code, RP_MEASURE="POP")

    # --- Households (DS_RP_MENAGES_COMP, DS_RP_MENAGES_PRINC) and families (DS_RP_FAMILLE_COMP)
    hors_menage = np.clip(np.array([0.002, 0.030, 0.006, 0.005, 0.006, 0.012, 0.110])[None, :]
                          * np.exp(ctx.effet("hors_menage", 1, 0.6, 0.1)), 0.0, 0.6)
    pm = bandes - _frac(bandes, hors_menage)  # household population by age
    pmen = pm.sum(axis=1)
    tailles = TAILLE_TPH[a][None, :] * np.exp(np.column_stack([np.zeros(n), ctx.effet("taille_tph", 4, 0.04, 0.03)]))
    parts_tph = ctx.parts("tph", BASE_TPH[a], ctx.lin(urb=[0.75, 0.3, 0.1, -0.25, -0.45], rural=[-0.15, -0.2, -0.2, 0.1, 0.05],
                                                      dom=[0.0, 0.0, 0.7, -0.4, -0.1]), local=0.12, dep=0.08,
                          poids=lambda p: pmen / (p * tailles).sum(axis=1))
    menages = np.floor(pmen / (parts_tph * tailles).sum(axis=1)).astype(np.int64)
    tph = _repartir(menages, parts_tph)
    seuls = tph[:, 0]
    pm_tph = np.column_stack([seuls, _repartir(pmen - seuls, tph[:, 1:] * tailles[:, 1:] + 1e-9)])
    hommes_seuls = _frac(seuls, np.clip(0.43 + 0.03 * urb + ctx.effet("hommes_seuls", 1, 0.04)[:, 0], 0.2, 0.7))
    pcs_menages = _repartir(menages, ctx.parts("pcs_menages", [0.012, 0.060, 0.140, 0.160, 0.140, 0.120, 0.330, 0.038],
                                               effets_pcs, local=0.12, dep=0.10, poids=menages))
    c = cubes["DS_RP_MENAGES_COMP"] = _Cube("DS_RP_MENAGES_COMP")
    for mesure, m in (("DWELLINGS", tph), ("DWELLINGS_POPSIZE", pm_tph)):
        c(m.sum(axis=1), RP_MEASURE=mesure)
        c(m[:, 0], TPH="11", RP_MEASURE=mesure)
        if mesure == "DWELLINGS":
            c(hommes_seuls, TPH="110", RP_MEASURE=mesure)
            c(seuls - hommes_seuls, TPH="111", RP_MEASURE=mesure)
        c(m[:, 1], TPH="12", RP_MEASURE=mesure)
        c(m[:, 2:].sum(axis=1), TPH="2", RP_MEASURE=mesure)
        for j, code in enumerate(TPH[2:]):
            c(m[:, 2 + j], TPH=code, RP_MEASURE=mesure)
    for j, code in enumerate(PCS):
        c(pcs_menages[:, j], PCS=code, RP_MEASURE="DWELLINGS")
    # persons living alone, by age (15 or more)
    seules_age = _repartir_plafonne(
        seuls, pm[:, 1:] * np.array([0.060, 0.170, 0.150, 0.200, 0.290, 0.520])[None, :] + 1e-9, pm[:, 1:])
    c = cubes["DS_RP_MENAGES_PRINC"] = _Cube("DS_RP_MENAGES_PRINC")
    c(pmen, RP_MEASURE="DWELLINGS_POPSIZE")
    for j, age in enumerate(AGES7):
        c(pm[:, j], AGE=age, RP_MEASURE="DWELLINGS_POPSIZE")
    c(seules_age.sum(axis=1), RP_MEASURE="ONEPERS")
    for j, age in enumerate(AGES7[1:]):
        c(seules_age[:, j], AGE=age, RP_MEASURE="ONEPERS")
    # families: a household with family holds one family, sometimes two
    familles = np.clip(np.array([1.03, 1.0, 1.0])[None, :] + ctx.effet("familles", 3, 0.02), 0.9, 1.2)
    mono, sans_enfant, avec_enfants = (_frac(tph[:, 2 + j], familles[:, j]) for j in range(3))
    peres = _frac(mono, np.clip(PART_PERES[a] + ctx.effet("peres", 1, 0.025)[:, 0], 0.05, 0.4))
    recomposees = _frac(avec_enfants, np.clip(0.113 + ctx.effet("recomposees", 1, 0.02)[:, 0], 0.02, 0.3))
    nch_mono = _repartir(mono, ctx.parts("nch_mono", [0.08, 0.55, 0.27, 0.07, 0.03], ctx.lin(dom=[0, -0.2, 0, 0.4, 0.6]),
                                         poids=mono))
    nch_couple = _repartir(avec_enfants, ctx.parts("nch_couple", [0.05, 0.36, 0.37, 0.16, 0.06],
                                                   ctx.lin(dom=[0, -0.2, 0, 0.3, 0.6], urb=[0.1, 0.1, 0, -0.05, 0.1]),
                                                   poids=avec_enfants))
    nch = nch_mono + nch_couple
    nch[:, 0] += sans_enfant
    c = cubes["DS_RP_FAMILLE_COMP"] = _Cube("DS_RP_FAMILLE_COMP")
    c(mono + sans_enfant + avec_enfants, RP_MEASURE="NBFAM")
    for code, v in (("1", mono), ("11", peres), ("12", mono - peres), ("21", sans_enfant), ("22", avec_enfants)):
        c(v, TFN=code, RP_MEASURE="NBFAM")
    if a >= 2023:  # blended and traditional families: published from the RP 2023 only
        c(recomposees, TFN="220", RP_MEASURE="NBFAM")
        c(avec_enfants - recomposees, TFN="223", RP_MEASURE="NBFAM")
    for j, code in enumerate(("CH0_Y_LT25", "CH1_Y_LT25", "CH2_Y_LT25", "CH3_Y_LT25", "CH_GE4_Y_LT25")):
        c(nch[:, j], NCH=code, RP_MEASURE="NBFAM")

    # --- Dwellings (DS_RP_LOGEMENT_PRINC): main residences = households
    # (main, secondary and occasional, vacant) shares of the dwellings: national shares of the real
    # RP (F), the weight of a commune being its dwellings (households / main share)
    occupation = ctx.parts("occupation", {2012: [0.830, 0.094, 0.076], 2017: [0.822, 0.096, 0.082],
                                          2023: [0.824, 0.097, 0.079]}[a],
                           ctx.lin(rural=[0.0, 0.5, 0.35], urb=[0.0, -0.3, -0.1], dom=[0.0, 0.3, 0.2],
                                   touristique=[0.0, 1.2, 0.0]), local=0.3, dep=0.35,
                           derive=0.04, poids=lambda p: menages / p[:, 0])
    logements = np.floor(menages / np.maximum(occupation[:, 0], 0.08)).astype(np.int64)
    rsecocc = _frac(logements - menages, occupation[:, 1] / (occupation[:, 1] + occupation[:, 2]))
    logvac = logements - menages - rsecocc
    logements = menages + rsecocc + logvac
    types = _repartir(logements, ctx.parts("tdw", [0.550, 0.435, 0.015], ctx.lin(urb=[-1.6, 1.2, 0.0], rural=[1.2, -1.2, 0.0],
                                                                                   dom=[0.3, -0.3, 0.5]), 0.25, 0.2,
                                           poids=logements))
    statuts = _repartir(menages, ctx.parts("tsh", [0.575, 0.215, 0.042, 0.146, 0.022],
                                           ctx.lin(urb=[-0.9, 0.5, 0.8, 0.4, -0.2], rural=[0.6, -0.1, -0.5, -1.0, 0.3],
                                                   dom=[-0.1, 0.0, 0.0, 0.3, 0.8]), 0.20, 0.15, poids=menages))
    voitures = _repartir(menages, ctx.parts("voitures", {2012: [0.150, 0.475, 0.375], 2017: [0.145, 0.470, 0.385],
                                                         2023: [0.140, 0.465, 0.395]}[a],
                                            ctx.lin(urb=[1.2, 0.1, -0.6], rural=[-1.0, -0.1, 0.4], idf=[1.4, 0.0, -0.8],
                                                    dom=[0.3, 0.0, -0.2]), 0.15, 0.10, poids=menages))
    anciennete = _repartir(menages, ctx.parts("anciennete", [0.11, 0.16, 0.17, 0.20, 0.14, 0.22],
                                              ctx.lin(urb=[0.3, 0.2, 0.1, 0.0, -0.1, -0.3], rural=[-0.2, -0.1, 0, 0, 0.1, 0.2]),
                                              poids=menages))
    pieces = _repartir(menages, ctx.parts("pieces", [0.06, 0.13, 0.215, 0.25, 0.345],
                                          ctx.lin(urb=[1.0, 0.6, 0.2, -0.2, -0.7], rural=[-0.8, -0.5, -0.1, 0.1, 0.4],
                                                  idf=[0.8, 0.5, 0.0, -0.3, -0.6]), 0.12, 0.08, poids=menages))
    nb_pieces = (pieces[:, :4] * np.arange(1, 5)[None, :]).sum(axis=1) + _frac(
        pieces[:, 4], 5.9 + ctx.effet("grands_logements", 1, 0.15)[:, 0])
    c = cubes["DS_RP_LOGEMENT_PRINC"] = _Cube("DS_RP_LOGEMENT_PRINC")
    c(logements, RP_MEASURE="DWELLINGS")
    for code, v in (("DW_MAIN", menages), ("DW_SEC_DW_OCC", rsecocc), ("DW_VAC", logvac)):
        c(v, OCS=code, RP_MEASURE="DWELLINGS")
    for j, code in enumerate(("1", "2", "3T6")):
        c(types[:, j], TDW=code, RP_MEASURE="DWELLINGS")
    c(statuts[:, 0], OCS="DW_MAIN", TSH="100", RP_MEASURE="DWELLINGS")
    c(statuts[:, 1:4].sum(axis=1), OCS="DW_MAIN", TSH="200", RP_MEASURE="DWELLINGS")
    for j, code in enumerate(STATUTS_OCCUPATION[1:]):
        c(statuts[:, 1 + j], OCS="DW_MAIN", TSH=code, RP_MEASURE="DWELLINGS")
    for j, code in enumerate(("C0", "C1", "C_GE2")):
        c(voitures[:, j], OCS="DW_MAIN", CARS=code, RP_MEASURE="DWELLINGS")
    for j, code in enumerate(ANCIENNETE):
        c(anciennete[:, j], OCS="DW_MAIN", L_STAY=code, RP_MEASURE="DWELLINGS")
    for j, code in enumerate(PIECES):
        c(pieces[:, j], OCS="DW_MAIN", NOR=code, RP_MEASURE="DWELLINGS")
    c(nb_pieces, OCS="DW_MAIN", RP_MEASURE="DWELLINGS_ROOMS")
    c(pmen, OCS="DW_MAIN", RP_MEASURE="DWELLINGS_POPSIZE")

    # --- Activity of residents (DS_RP_EMPLOI_LR_PRINC)
    commun_act = ctx.effet("activite", 1, 0.18, 0.12)[:, 0] - 0.5 * dom + 0.1 * rural
    commun_cho = ctx.effet("chomage", 1, 0.25, 0.22)[:, 0] + 0.35 * urb - 0.15 * rural + 1.0 * dom
    pops = {"Y15T24": (hommes[:, 1], femmes[:, 1]), "Y25T54": (hommes[:, 2] + hommes[:, 3], femmes[:, 2] + femmes[:, 3]),
            "Y55T64": (hommes[:, 4], femmes[:, 4])}
    statut = {}  # (groupe, sexe) -> dict EMPSTA_ENQ -> counts
    for j, groupe in enumerate(GROUPES_ACTIVITE):
        inactifs_parts = ctx.parts(f"inactifs{j}", BASE_INACTIFS[a][j], local=0.15, dep=0.10,
                                   poids=pops[groupe][0] + pops[groupe][1])
        for s, sexe in enumerate(("M", "F")):
            p = pops[groupe][s]
            effet_groupe = commun_act - (0.6 * urb if j == 0 else 0.0)
            actifs = _frac(p, ctx.taux(f"act{j}{sexe}", ACTIVITE[a][j][s], effet_groupe, 0.08, 0.04, poids=p))
            chomeurs = _frac(actifs, ctx.taux(f"cho{j}{sexe}", CHOMAGE[a][j], commun_cho, 0.08, 0.04,
                                              poids=p * ACTIVITE[a][j][s]))
            inactifs = _repartir(p - actifs, inactifs_parts)
            statut[groupe, sexe] = {"_T": p, "1T2": actifs, "1": actifs - chomeurs, "2": chomeurs, "3": p - actifs,
                                    "31": inactifs[:, 0], "33": inactifs[:, 1], "35T36": inactifs[:, 2] + inactifs[:, 3],
                                    "35": inactifs[:, 2], "36": inactifs[:, 3]}
    for sexe in ("M", "F"):
        statut["Y15T64", sexe] = {k: sum(statut[g, sexe][k] for g in GROUPES_ACTIVITE) for k in statut["Y15T24", "M"]}
    for groupe in (*GROUPES_ACTIVITE, "Y15T64"):
        statut[groupe, "_T"] = {k: statut[groupe, "M"][k] + statut[groupe, "F"][k] for k in statut[groupe, "M"]}
    occupes_65p = {s: _frac(m[:, 5], EMPLOI_65_79[a] * np.exp(ctx.effet("emploi65", 1, 0.3)[:, 0]))
                   for s, m in (("M", hommes), ("F", femmes))}
    occupes_65p["_T"] = occupes_65p["M"] + occupes_65p["F"]
    occupes = {s: statut["Y15T64", s]["1"] + occupes_65p[s] for s in ("_T", "M", "F")}  # employed 15+
    c = cubes["DS_RP_EMPLOI_LR_PRINC"] = _Cube("DS_RP_EMPLOI_LR_PRINC")
    for sexe in ("_T", "M", "F"):
        for k, v in statut["Y15T64", sexe].items():
            c(v, SEX=sexe, EMPSTA_ENQ=k, AGE="Y15T64", RP_MEASURE="POP")
    for groupe in GROUPES_ACTIVITE:
        for sexe in ("_T", "M", "F"):
            for k in ("_T", "1T2", "1", "2"):
                c(statut[groupe, sexe][k], SEX=sexe, EMPSTA_ENQ=k, AGE=groupe, RP_MEASURE="POP")
    for sexe in ("_T", "M", "F"):
        c(occupes[sexe], SEX=sexe, EMPSTA_ENQ="1", AGE="Y_GE15", RP_MEASURE="POP")
    if a >= 2023:  # the diploma of the 15-64 year olds: published from the RP 2023 only
        t = statut["Y15T64", "_T"]
        pop_educ = _repartir(t["_T"], ctx.parts("educ", BASE_EDUC_1564, ctx.lin(**EFFETS_EDUC), 0.12, 0.08, poids=t["_T"]))
        act_educ = _repartir_plafonne(t["1T2"], pop_educ * ACTIVITE_EDUC[None, :] + 1e-9, pop_educ)
        cho_educ = _repartir_plafonne(t["2"], act_educ * CHOMAGE_EDUC[None, :] + 1e-9, act_educ)
        for j, code in enumerate(EDUC):
            for k, v in (("_T", pop_educ), ("1T2", act_educ), ("1", act_educ - cho_educ), ("2", cho_educ)):
                c(v[:, j], EMPSTA_ENQ=k, AGE="Y15T64", EDUC=code, RP_MEASURE="POP")

    # --- Characteristics of the residents' jobs (DS_RP_ACTIVITE_PRINC)
    c = cubes["DS_RP_ACTIVITE_PRINC"] = _Cube("DS_RP_ACTIVITE_PRINC")
    detail = {}
    for s, sexe in enumerate(("M", "F")):
        formes = ctx.parts(f"formes{sexe}", BASE_FORMES[s], ctx.lin(rural=[0.5, 0.3, 0.5, 0, 0, 0, 0, 0],
                                                                    dom=[0, 0, 0, -0.1, 0.2, 0, 1.0, -0.3]), 0.12, 0.08,
                           poids=occupes[sexe])
        partiel = np.clip(TEMPS_PARTIEL[s][None, :] * np.exp(ctx.effet("temps_partiel", 1, 0.15, 0.08)), 0.01, 0.9)
        cellules = _repartir(occupes[sexe], np.concatenate([formes * (1 - partiel), formes * partiel], axis=1))
        detail[sexe] = (cellules[:, :8], cellules[:, 8:])  # (full time, part time) by legal form
    tout = {"FT": detail["M"][0] + detail["F"][0], "PT": detail["M"][1] + detail["F"][1]}
    groupes_formes = {"_T": slice(0, 8), "1": slice(0, 3), "2": slice(3, 8)}
    total_formes = tout["FT"] + tout["PT"]
    for forme, tranche in groupes_formes.items():
        c(total_formes[:, tranche].sum(axis=1), AGE="Y_GE15", EMPFORM=forme, RP_MEASURE="POP")
        for wk in ("FT", "PT"):
            c(tout[wk][:, tranche].sum(axis=1), AGE="Y_GE15", EMPFORM=forme, WKTIME=wk, RP_MEASURE="POP")
    for j, code in enumerate(FORMES):
        c(total_formes[:, j], AGE="Y_GE15", EMPFORM=code, RP_MEASURE="POP")
    c(total_formes[:, 4:8].sum(axis=1), AGE="Y_GE15", EMPFORM="22T27", RP_MEASURE="POP")
    for sexe in ("M", "F"):
        m = detail[sexe][0] + detail[sexe][1]
        for forme, tranche in groupes_formes.items():
            c(m[:, tranche].sum(axis=1), SEX=sexe, AGE="Y_GE15", EMPFORM=forme, RP_MEASURE="POP")

    # --- Jobs at the place of work (DS_RP_EMPLOI_LT_PRINC)
    emplois = _emplois_au_lieu_de_travail(ctx, occupes["_T"].astype(float))
    non_salaries = np.clip(0.12 + 0.08 * rural + ctx.effet("non_salaries_lt", 1, 0.03)[:, 0], 0.03, 0.6)
    femmes_sal = np.clip(0.505 + ctx.effet("femmes_lt", 1, 0.04)[:, 0], 0.2, 0.8)
    parts_lt = []
    for forme, part_forme, part_f, tp in ((1, non_salaries, 0.36, (0.10, 0.22)), (2, 1 - non_salaries, femmes_sal, (0.08, 0.27))):
        for sexe, part_sexe, tp_sexe in (("M", 1 - part_f, tp[0]), ("F", part_f, tp[1])):
            parts_lt += [part_forme * part_sexe * (1 - tp_sexe), part_forme * part_sexe * tp_sexe]
    lt = _repartir(emplois, np.column_stack(parts_lt))  # (1M FT, 1M PT, 1F FT, 1F PT, 2M FT, 2M PT, 2F FT, 2F PT)
    c = cubes["DS_RP_EMPLOI_LT_PRINC"] = _Cube("DS_RP_EMPLOI_LT_PRINC")
    colonnes_lt = {("1", "M"): [0, 1], ("1", "F"): [2, 3], ("2", "M"): [4, 5], ("2", "F"): [6, 7]}
    for forme in ("_T", "1", "2"):
        formes = ("1", "2") if forme == "_T" else (forme,)
        for sexe in ("_T", "M", "F"):
            sexes = ("M", "F") if sexe == "_T" else (sexe,)
            c(sum(lt[:, colonnes_lt[f, s]].sum(axis=1) for f in formes for s in sexes), EMPFORM=forme, SEX=sexe,
              RP_MEASURE="NBEMP")
        for w, wk in enumerate(("FT", "PT")):
            c(sum(lt[:, colonnes_lt[f, s][w]] for f in formes for s in ("M", "F")), EMPFORM=forme, WKTIME=wk,
              RP_MEASURE="NBEMP")

    # --- Commuting (DS_RP_NAVETTES_PRINC)
    actifs_occupes = occupes["_T"]
    trans = _repartir(actifs_occupes, ctx.parts("transports", BASE_TRANSPORTS[a],
                                                ctx.lin(urb=[0.3, 0.8, 0.9, 0.3, -1.0, 1.6], rural=[0.2, -0.2, -0.4, 0.0, 0.5, -1.5],
                                                        idf=[0.0, 0.4, 0.0, 0.0, -1.3, 1.4], dom=[0.0, 0.0, -1.5, 0.5, 0.3, -0.3]),
                                                0.15, 0.10, poids=actifs_occupes))
    dans_commune = np.minimum(_frac(actifs_occupes, np.clip(0.10 + 0.50 * urb + ctx.effet("travail_commune", 1, 0.05)[:, 0],
                                                             0.02, 0.9)), _frac(emplois, 0.85))
    ailleurs = _repartir(actifs_occupes - dans_commune,
                         ctx.parts("lieu_travail", [0.85, 0.09, 0.05, 0.01], ctx.lin(frontalier=[0, 0, 0, 2.0], dom=[0, -9.0, -0.5, 0.5]),
                                   0.2, 0.3))
    c = cubes["DS_RP_NAVETTES_PRINC"] = _Cube("DS_RP_NAVETTES_PRINC")
    c(actifs_occupes, AGE="Y_GE15", EMPSTA_ENQ="1", RP_MEASURE="POP")
    for j, code in enumerate(TRANSPORTS):
        if a <= 2012 and code in ("3", "4"):
            if code == "3":  # the RP 2012 does not tell bicycles from motorised two-wheelers
                c(trans[:, 2] + trans[:, 3], TRANS="3T4", AGE="Y_GE15", EMPSTA_ENQ="1", RP_MEASURE="POP")
            continue
        c(trans[:, j], TRANS=code, AGE="Y_GE15", EMPSTA_ENQ="1", RP_MEASURE="POP")
    c(dans_commune, WORK_AREA="10", AGE="Y_GE15", EMPSTA_ENQ="1", RP_MEASURE="POP")
    for j, code in enumerate(LIEUX_TRAVAIL):
        c(ailleurs[:, j], WORK_AREA=code, AGE="Y_GE15", EMPSTA_ENQ="1", RP_MEASURE="POP")

    # --- Schooling (DS_RP_EDUCATION_PRINC) and diplomas of the non-enrolled (DS_RP_DIPLOMES_PRINC)
    ages_scol = np.column_stack([a0205, a0610, a1114, a1517, a1824, a2529, a30p])
    effets = np.zeros((n, 7))
    effets[:, 4] = 0.9 * urb - 0.5 * rural
    effets[:, 0] = ctx.effet("scolarisation_2ans", 1, 0.1, 0.3)[:, 0]
    logits = np.log(np.array(SCOLARISATION) / (1 - np.array(SCOLARISATION)))
    z = logits[None, :] + effets + ctx.effet("scolarisation", 7, 0.1, 0.05)
    for _ in range(6):  # national rates as SCOLARISATION
        national = (ages_scol / (1.0 + np.exp(-z))).sum(axis=0) / np.maximum(ages_scol.sum(axis=0), 1)
        z = z + (logits - np.log(national / (1.0 - national)))[None, :]
    scolarises = _frac(ages_scol, 1.0 / (1.0 + np.exp(-z)))
    c = cubes["DS_RP_EDUCATION_PRINC"] = _Cube("DS_RP_EDUCATION_PRINC")
    for stud, m in (("_T", ages_scol), ("1", scolarises), ("0", ages_scol - scolarises)):
        c(m.sum(axis=1), STUD=stud, RP_MEASURE="POP")
        for j, age in enumerate(AGES_SCOLARITE):
            c(m[:, j], AGE=age, STUD=stud, RP_MEASURE="POP")
    non_scolarises = (popu - bandes[:, 0]) - scolarises[:, 3:].sum(axis=1)
    diplomes = _repartir(non_scolarises, ctx.parts("educ", BASE_DIPLOMES[a], ctx.lin(**EFFETS_EDUC), 0.12, 0.08,
                                                   poids=non_scolarises))
    nscol_h = _frac(non_scolarises, np.clip(0.48 + ctx.effet("nscol_hommes", 1, 0.015)[:, 0], 0.3, 0.7))
    c = cubes["DS_RP_DIPLOMES_PRINC"] = _Cube("DS_RP_DIPLOMES_PRINC")
    c(non_scolarises, RP_MEASURE="POP")
    c(nscol_h, SEX="M", RP_MEASURE="POP")
    c(non_scolarises - nscol_h, SEX="F", RP_MEASURE="POP")
    for j, code in enumerate(EDUC):
        if a <= 2012 and code in ("600_RP", "700_RP"):
            continue  # the RP 2012 only publishes bac+3 or more (600T702_RP)
        c(diplomes[:, j], EDUC=code, RP_MEASURE="POP")
    c(diplomes[:, 4:].sum(axis=1), EDUC="500T702_RP", RP_MEASURE="POP")
    c(diplomes[:, 5:].sum(axis=1), EDUC="600T702_RP", RP_MEASURE="POP")

    # --- Historical series (DS_RP_SERIE_HISTORIQUE): population, births and deaths since the
    # previous census (5 years before 2012 and 2017, 6 before 2023), area in km2 (the same at
    # every census: from the commune's size and a lasting effect of its own)
    duree = {2012: 5, 2017: 5, 2023: 6}[a]
    jeunes_adultes = bandes[:, 2] / np.maximum(popu, 1)
    natalite = np.clip(jeunes_adultes / 0.18, 0.3, 2.5) * np.exp(ctx.effet("natalite", 1, 0.10, 0.05)[:, 0])
    agees = (bandes[:, 5] + 3.0 * bandes[:, 6]) / np.maximum(popu, 1)
    mortalite = np.clip(agees / 0.33, 0.2, 4.0) * np.exp(ctx.effet("mortalite", 1, 0.08, 0.04)[:, 0])
    habitants = popu / U
    natalite *= NATALITE[a] * habitants.sum() / max(float((habitants * natalite).sum()), 1e-9)  # national rate
    mortalite *= MORTALITE[a] * habitants.sum() / max(float((habitants * mortalite).sum()), 1e-9)
    naissances = _alea("naissances", a).poisson(np.clip(habitants * natalite * duree, 0, None)).astype(np.int64) * U
    deces = _alea("deces", a).poisson(np.clip(habitants * mortalite * duree, 0, None)).astype(np.int64) * U
    superficie = np.round(10.8 * np.power(np.maximum(ctx.pmun, 1.0) / 450.0, 0.35)
                          * np.exp(ctx.effet("superficie", 1, 0.55, 0.25)[:, 0]) * U).astype(np.int64)
    c = cubes["DS_RP_SERIE_HISTORIQUE"] = _Cube("DS_RP_SERIE_HISTORIQUE")
    c(popu, RP_MEASURE="POP")
    c(naissances, RP_MEASURE="BRTH")
    c(deces, RP_MEASURE="DEATH")
    c(superficie, RP_MEASURE="SUP")

    # --- Jobs at the place of work by sector (DS_RP_EMPLOI_LT_COMP): A5 shares of the real
    # France, more farming in rural communes, more services in towns
    secteurs = _repartir(emplois, ctx.parts("secteurs_lt", [0.025, 0.115, 0.065, 0.465, 0.33],
                                            ctx.lin(rural=[1.4, 0.35, 0.3, -0.25, -0.2], urb=[-1.2, -0.2, -0.2, 0.15, 0.15],
                                                    dom=[0.3, -0.6, 0.1, 0.0, 0.3]), 0.35, 0.2, poids=emplois))
    c = cubes["DS_RP_EMPLOI_LT_COMP"] = _Cube("DS_RP_EMPLOI_LT_COMP")
    c(emplois, RP_MEASURE="NBEMP")
    for j, code in enumerate(SECTEURS_A5):
        c(secteurs[:, j], EMP_ACTIVITY=code, RP_MEASURE="NBEMP")

    # --- Main residences by occupation index (DS_RP_LOGEMENT_COMP): overcrowding in towns, in
    # Île-de-France and overseas, under-occupation in rural communes
    peuplement = _repartir(menages, ctx.parts("peuplement", [0.012, 0.050, 0.255, 0.27, 0.245, 0.168],
                                              ctx.lin(urb=[1.0, 0.8, 0.3, 0.0, -0.3, -0.6], rural=[-0.6, -0.5, -0.2, 0.0, 0.2, 0.4],
                                                      idf=[1.2, 0.9, 0.3, 0.0, -0.4, -0.8], dom=[1.0, 0.8, 0.2, 0.0, -0.3, -0.5]),
                                              0.15, 0.10, poids=menages))
    c = cubes["DS_RP_LOGEMENT_COMP"] = _Cube("DS_RP_LOGEMENT_COMP")
    c(menages, OCS="DW_MAIN", RP_MEASURE="DWELLINGS")
    for j, code in enumerate(INDICES_PEUPLEMENT):
        c(peuplement[:, j], OCS="DW_MAIN", RP_MEASURE="DWELLINGS", OCC_IND=code)

    resume = {
        "pop": popu, "menages": menages, "mono": mono, "couples_enfants": avec_enfants,
        "ch2p": nch[:, 2:].sum(axis=1), "ch3p": nch[:, 3:].sum(axis=1), "enfants_3": a0001 + _frac(a0205, 0.25),
        "hlm": statuts[:, 3], "locataires_prives": statuts[:, 1] + statuts[:, 2], "actifs": statut["Y15T64", "_T"]["1T2"],
        "chomeurs": statut["Y15T64", "_T"]["2"], "chomeurs_1524": statut["Y15T24", "_T"]["2"],
        "chomeurs_2554": statut["Y25T54", "_T"]["2"], "chomeurs_5564": statut["Y55T64", "_T"]["2"],
        "actifs_occupes": actifs_occupes,
    }
    return cubes, resume


def simuler_recensement(geo: pd.DataFrame, pmun: np.ndarray):
    """Simulate the three censuses of every commune; yields (annee, cubes, resume) one census at a
    time (the commune-level cells of a census are dropped once published)."""
    memoire = {}
    ctx = _Contexte(geo, pmun, MILLESIME_RP, memoire)
    populations = _populations(ctx)
    for annee in ANNEES_RP:
        cubes, resume = _simuler_annee(_Contexte(geo, pmun, annee, memoire), populations[annee])
        yield annee, cubes, resume


# --- Melodi files -------------------------------------------------------------------------------


class _Publication:
    """The rows a Melodi file publishes: the communes of some départements (arrondissements of
    Paris, Lyon and Marseille as ARM, with their commune), every EPCI, département, région, France
    hors Mayotte (F) and France métropolitaine (FM), each the exact sum of its simulated communes;
    in the order of the real files (GEO_OBJECT, then GEO)."""

    def __init__(self, geo: pd.DataFrame, departements):
        codes = geo["code"].to_numpy(dtype=str)
        parents = geo["parent"].to_numpy(dtype=str)
        deps = geo["departement"].to_numpy(dtype=str)
        dans = np.isin(deps, list(departements))
        self.arm = np.flatnonzero(dans & (parents != ""))
        self.arm = self.arm[np.argsort(codes[self.arm], kind="stable")]
        self.plm, self.plm_idx = np.unique(parents[self.arm], return_inverse=True)
        self.com = np.flatnonzero(dans & (parents == ""))
        codes_com = np.concatenate([codes[self.com], self.plm])
        self.ordre_com = np.argsort(codes_com, kind="stable")
        self.deps, self.dep_idx = np.unique(deps, return_inverse=True)
        epci = geo["epci"].to_numpy(dtype=str)
        self.epcis, epci_idx = np.unique(epci, return_inverse=True)
        self.epci_idx = epci_idx
        self.epci_garde = self.epcis != ""  # communes outside any EPCI are in no EPCI row
        regions_dep = pd.Series(geo["region"].to_numpy(dtype=str), index=deps).groupby(level=0).first()
        self.regions, self.region_idx = np.unique(regions_dep.reindex(self.deps).to_numpy(dtype=str), return_inverse=True)
        self.metropole = ~np.char.startswith(self.deps, "97")
        blocs = [("ARM", codes[self.arm]), ("COM", codes_com[self.ordre_com]), ("DEP", self.deps),
                 ("EPCI", self.epcis[self.epci_garde]), ("FRANCE", np.array(["F", "FM"])), ("REG", self.regions)]
        self.codes = np.concatenate([c for _, c in blocs]).astype(object)
        self.objets = np.concatenate([np.full(len(c), o, dtype=object) for o, c in blocs])

    @staticmethod
    def _sommes(indices: np.ndarray, colonnes: np.ndarray, taille: int) -> np.ndarray:
        """Sums by group of the rows of a matrix given by its columns (float64, each contiguous):
        exact, the counts being integers below 2**53."""
        sommes = np.stack([np.bincount(indices, weights=c, minlength=taille) for c in colonnes], axis=1)
        return np.rint(sommes).astype(np.int64)

    def agreger(self, matrice: np.ndarray) -> np.ndarray:
        """The published rows of a (communes, cells) integer matrix."""
        colonnes = np.ascontiguousarray(matrice.T, dtype=np.float64)
        arm = matrice[self.arm]
        plm = self._sommes(self.plm_idx, colonnes[:, self.arm], len(self.plm)) if len(self.arm) else arm[:0]
        com = np.concatenate([matrice[self.com], plm])[self.ordre_com]
        dep = self._sommes(self.dep_idx, colonnes, len(self.deps))
        epci = self._sommes(self.epci_idx, colonnes, len(self.epcis))[self.epci_garde]
        france = np.stack([dep.sum(axis=0), dep[self.metropole].sum(axis=0)])
        region = self._sommes(self.region_idx, np.ascontiguousarray(dep.T, dtype=np.float64), len(self.regions))
        return np.concatenate([arm, com, dep, epci, france, region])


def _valeurs_java(unites: np.ndarray):
    """Integers in 1/U -> the text of the published values: Java's Double.toString, as Insee's
    files write them (`9092.37544`, `0.0`, `12.5`, `2.643564819015E7`, `5.0E-4`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    unites = np.asarray(unites, dtype=np.int64).ravel()
    entier, fraction = np.divmod(unites, U)
    texte_fraction = pc.utf8_rtrim(pc.utf8_lpad(pc.cast(pa.array(fraction), pa.string()), 5, "0"), "0")
    texte_fraction = pc.if_else(pc.equal(texte_fraction, ""), pa.scalar("0"), texte_fraction)
    texte = pc.binary_join_element_wise(pc.cast(pa.array(entier), pa.string()), texte_fraction, ".")
    scientifique = (entier >= 10_000_000) | ((unites > 0) & (unites < U // 1000))
    if scientifique.any():
        def java(k: int) -> str:
            chiffres = str(k)
            significatifs = chiffres.rstrip("0")
            return f"{significatifs[0]}.{significatifs[1:] or '0'}E{len(chiffres) - 1 - 5}"

        remplacements = pa.array([java(int(k)) for k in unites[scientifique]], pa.string())
        texte = pc.replace_with_mask(texte, pa.array(scientifique), remplacements)
    return texte


LIBELLES_MELODI = {
    "SEX": ("Sexe", {"_T": "Total", "M": "Hommes", "F": "Femmes"}),
    "AGE": ("Âge", {"_T": "Total", "Y_LT15": "Moins de 15 ans", "Y15T24": "15 à 24 ans", "Y25T39": "25 à 39 ans",
                    "Y40T54": "40 à 54 ans", "Y55T64": "55 à 64 ans", "Y65T79": "65 à 79 ans", "Y_GE80": "80 ans ou plus",
                    "Y_LT20": "Moins de 20 ans", "Y20T64": "20 à 64 ans", "Y_GE65": "65 ans ou plus",
                    "Y_GE15": "15 ans ou plus", "Y25T54": "25 à 54 ans", "Y_GE55": "55 ans ou plus",
                    "Y15T64": "15 à 64 ans", "Y_GE1": "1 an ou plus", "Y2T5": "2 à 5 ans", "Y6T10": "6 à 10 ans",
                    "Y11T14": "11 à 14 ans", "Y15T17": "15 à 17 ans", "Y18T24": "18 à 24 ans", "Y25T29": "25 à 29 ans",
                    "Y_GE30": "30 ans ou plus"}),
    "RP_MEASURE": ("Mesure", {"POP": "Population", "NBFAM": "Nombre de familles", "DWELLINGS": "Nombre de logements",
                              "DWELLINGS_POPSIZE": "Population des ménages", "ONEPERS": "Personnes vivant seules",
                              "DWELLINGS_ROOMS": "Nombre de pièces des résidences principales",
                              "NBEMP": "Nombre d'emplois au lieu de travail", "BRTH": "Naissances",
                              "DEATH": "Décès", "SUP": "Superficie (km²)"}),
    "PCS": ("Catégorie socioprofessionnelle", {
        "_T": "Total", "1": "Agriculteurs exploitants", "2": "Artisans, commerçants, chefs d'entreprise",
        "3": "Cadres et professions intellectuelles supérieures", "4": "Professions intermédiaires", "5": "Employés",
        "6": "Ouvriers", "7": "Retraités", "9": "Autres personnes sans activité professionnelle"}),
    "PREV_RES_AREA": ("Lieu de résidence un an auparavant", {
        "_T": "Total", "11": "Même logement", "12": "Autre logement de la même commune",
        "21": "Autre commune du même département", "22": "Autre département de la même région",
        "23": "Autre région de France métropolitaine", "24": "Outre-mer", "25T32": "Hors de France"}),
    "TFN": ("Type de famille", {"_T": "Total", "1": "Familles monoparentales", "11": "Pères seuls avec enfant(s)",
                                "12": "Mères seules avec enfant(s)", "21": "Couples sans enfant",
                                "22": "Couples avec enfant(s)", "220": "Familles recomposées",
                                "223": "Familles traditionnelles"}),
    "NCH": ("Nombre d'enfants de moins de 25 ans", {
        "_T": "Total", "CH0_Y_LT25": "Aucun enfant de moins de 25 ans", "CH1_Y_LT25": "1 enfant de moins de 25 ans",
        "CH2_Y_LT25": "2 enfants de moins de 25 ans", "CH3_Y_LT25": "3 enfants de moins de 25 ans",
        "CH_GE4_Y_LT25": "4 enfants ou plus de moins de 25 ans"}),
    "TPH": ("Type de ménage", {"_T": "Total", "11": "Ménages d'une personne", "110": "Hommes seuls",
                               "111": "Femmes seules", "12": "Ménages de plusieurs personnes sans famille",
                               "2": "Ménages avec famille(s)", "MF21": "Famille monoparentale",
                               "MF221": "Couple sans enfant", "MF222": "Couple avec enfant(s)"}),
    "COUPLE": ("Vie en couple", {"_T": "Total"}),
    "CIVIL_STATUS": ("État matrimonial", {"_T": "Total"}),
    "OCS": ("Catégorie de logement", {"_T": "Total", "DW_MAIN": "Résidences principales",
                                      "DW_SEC_DW_OCC": "Résidences secondaires et logements occasionnels",
                                      "DW_VAC": "Logements vacants"}),
    "L_STAY": ("Ancienneté d'emménagement", {"_T": "Total", "Y_LT2": "Moins de 2 ans", "Y2T4": "2 à 4 ans",
                                             "Y5T9": "5 à 9 ans", "Y10T19": "10 à 19 ans", "Y20T29": "20 à 29 ans",
                                             "Y_GE30": "30 ans ou plus"}),
    "TDW": ("Type de logement", {"_T": "Total", "1": "Maisons", "2": "Appartements", "3T6": "Autres"}),
    "CARS": ("Nombre de voitures", {"_T": "Total", "C0": "Aucune voiture", "C1": "Une voiture",
                                    "C_GE2": "Deux voitures ou plus"}),
    "CARPARK": ("Place de stationnement", {"_T": "Total"}),
    "NOR": ("Nombre de pièces", {"_T": "Total", "R1": "1 pièce", "R2": "2 pièces", "R3": "3 pièces",
                                 "R4": "4 pièces", "R_GE5": "5 pièces ou plus"}),
    "TSH": ("Statut d'occupation", {"_T": "Total", "100": "Propriétaires", "200": "Locataires",
                                    "211": "Locataires d'un logement loué vide non HLM",
                                    "212_222": "Locataires d'un logement loué meublé ou d'une chambre d'hôtel",
                                    "221": "Locataires d'un logement HLM loué vide", "300": "Logés gratuitement"}),
    "BUILD_END": ("Période d'achèvement", {"_T": "Total"}),
    "NRG_SRC": ("Combustible principal", {"_T": "Total"}),
    "EMPSTA_ENQ": ("Type d'activité", {"_T": "Total", "1T2": "Actifs", "1": "Actifs ayant un emploi",
                                       "2": "Chômeurs", "3": "Inactifs", "31": "Retraités ou préretraités",
                                       "33": "Élèves, étudiants et stagiaires non rémunérés",
                                       "35T36": "Autres inactifs", "35": "Femmes ou hommes au foyer",
                                       "36": "Autres inactifs hors personnes au foyer"}),
    "EDUC": ("Diplôme le plus élevé", {
        "_T": "Total", "001T100_RP": "Aucun diplôme ou certificat d'études primaires",
        "200_RP": "BEPC, brevet des collèges, DNB", "300_RP": "CAP, BEP ou équivalent",
        "350T351_RP": "Baccalauréat, brevet professionnel ou équivalent", "500_RP": "Bac+2",
        "600_RP": "Bac+3 ou bac+4", "700_RP": "Bac+5 ou plus", "500T702_RP": "Diplôme de l'enseignement supérieur",
        "600T702_RP": "Bac+3 ou plus"}),
    "EMPFORM": ("Statut et condition d'emploi", {
        "_T": "Total", "1": "Non-salariés", "11": "Indépendants", "12": "Employeurs", "13": "Aides familiaux",
        "2": "Salariés", "211": "Titulaires de la fonction publique et contrats à durée indéterminée",
        "22T27": "Contrats à durée limitée", "22": "Contrats à durée déterminée", "23_25": "Apprentissage, stage",
        "24": "Emplois aidés", "26": "Intérim"}),
    "WKTIME": ("Temps de travail", {"_T": "Total", "FT": "Temps complet", "PT": "Temps partiel"}),
    "TRANS": ("Mode de transport principal", {
        "_T": "Total", "1": "Pas de déplacement", "2": "Marche à pied", "3": "Vélo", "4": "Deux-roues motorisé",
        "3T4": "Deux-roues", "5": "Voiture, camion, fourgonnette", "6": "Transports en commun"}),
    "WORK_AREA": ("Lieu de travail", {
        "_T": "Total", "10": "Dans la commune de résidence", "21": "Autre commune du département de résidence",
        "22": "Autre département de la région de résidence", "23": "Autre région de France métropolitaine",
        "24T30": "Hors de France métropolitaine"}),
    "STUD": ("Inscription dans un établissement d'enseignement", {"_T": "Total", "1": "Scolarisés",
                                                                 "0": "Non scolarisés"}),
    "STUD_AREA": ("Lieu d'études", {"_T": "Total"}),
    "EMP_ACTIVITY": ("Secteur d'activité", {
        "_T": "Total", "AZ": "Agriculture", "BE": "Industrie", "FZ": "Construction",
        "GU": "Commerce, transports et services divers",
        "OQ": "Administration publique, enseignement, santé et action sociale"}),
    "OCC_IND": ("Indice de peuplement", {
        "_T": "Total", "SEV_OVER_OCC": "Suroccupation accentuée", "MOD_OVER_OCC": "Suroccupation modérée",
        "STD_OCC": "Occupation normale", "MOD_UNDER_OCC": "Sous-occupation modérée",
        "SEV_UNDER_OCC": "Sous-occupation prononcée", "VSEV_UNDER_OCC": "Sous-occupation très accentuée"}),
}
ATTRIBUTS_MELODI = {"FREQ": ("Fréquence", {"A": "Annuelle"}),
                    "OBS_STATUS": ("Statut de l'observation", {"A": "Valeur normale"}),
                    "TIME_PERIOD": ("Période", {})}


def _libelle_age(code: str) -> str:
    """Label of a single year of age (`Y0` -> « 0 an », `Y_GE100` -> « 100 ans ou plus »)."""
    if code.startswith("Y_GE") and code[4:].isdigit():
        return f"{int(code[4:])} ans ou plus"
    if code.startswith("Y") and code[1:].isdigit():
        return f"{int(code[1:])} an" + ("s" if int(code[1:]) > 1 else "")
    return code


def _avec_freq(jeu: str) -> bool:
    """The real extracts write a FREQ column, except DS_RP_FAMILLE_COMP's."""
    return jeu != "DS_RP_FAMILLE_COMP"


def metadonnees_melodi(jeu: str, cellules) -> bytes:
    """`DS_<JEU>_<année>_metadata.csv`: COD_VAR;LIB_VAR;COD_MOD;LIB_MOD, the dimensions and their
    values used in the data file."""
    from diagnostic_territorial.sources import melodi

    dimensions = melodi.jeux()[jeu].dimensions
    lignes = ["COD_VAR;LIB_VAR;COD_MOD;LIB_MOD"]
    for i, dim in enumerate(dimensions):
        libelle, modalites = LIBELLES_MELODI.get(dim, (dim, {}))
        for code in sorted({c[i] for c in cellules}, key=lambda v: (v != "_T", v)):
            lignes.append(f"{dim};{libelle};{code};{modalites.get(code) or _libelle_age(code)}")
    for attribut, (libelle, modalites) in ATTRIBUTS_MELODI.items():
        if attribut == "FREQ" and not _avec_freq(jeu):
            continue
        for code, texte in (modalites or {"": ""}).items():
            lignes.append(f"{attribut};{libelle};{code};{texte}")
    return ("\n".join(lignes) + "\n").encode("utf-8")


def donnees_melodi(jeu: str, publication: _Publication, par_annee: dict[int, tuple[list, np.ndarray]]) -> bytes:
    """The data file of one Melodi dataset: the published rows (`publication`) of every census,
    `par_annee[annee] = (cells, published values (rows, cells))`, ordered by territory, census
    and cell like the real files."""
    from diagnostic_territorial.sources import melodi

    dimensions = melodi.jeux()[jeu].dimensions
    annees = sorted(par_annee)
    attributs = ["A;A"] if _avec_freq(jeu) else ["A"]  # FREQ (annual), OBS_STATUS (normal value)
    milieux = [";".join([*cellule, *attributs, str(a)]) + ";" for a in annees for cellule in par_annee[a][0]]
    valeurs = np.concatenate([par_annee[a][1] for a in annees], axis=1)
    lignes, k = valeurs.shape
    debuts = [f"{code};{objet};" for code, objet in zip(publication.codes, publication.objets)]
    entete = ";".join(["GEO", "GEO_OBJECT", *dimensions, *(["FREQ"] if _avec_freq(jeu) else []), "OBS_STATUS",
                       "TIME_PERIOD", "OBS_VALUE"]) + "\n"
    return entete.encode("utf-8") + _lignes_texte(
        debuts, milieux, None, np.repeat(np.arange(lignes, dtype=np.int32), k), np.tile(np.arange(k, dtype=np.int32), lignes),
        textes_valeurs=_valeurs_java(valeurs), fin="\n")


def nom_fichier_melodi(jeu: str, millesime: int = MILLESIME_RP) -> tuple[str, str, str]:
    """(archive, data member, metadata member) of a Melodi bulk file."""
    return f"{jeu}_{millesime}_CSV_FR.zip", f"{jeu}_{millesime}_data.csv", f"{jeu}_{millesime}_metadata.csv"


def _ecrire_zip(chemin: Path, membres: dict[str, bytes]) -> None:
    """A zip of `membres` (fixed dates: the same data give the same bytes), written atomically
    (``ecriture.fichier_temporaire``)."""
    with fichier_temporaire(chemin) as temp, zipfile.ZipFile(temp, "w") as archive:
        for nom, contenu in membres.items():
            info = zipfile.ZipInfo(nom, date_time=DATE_ZIP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, contenu, compresslevel=1)


def _ecrire_octets(chemin: Path, contenu, compresser: bool = False) -> None:
    """Write bytes (or an iterable of bytes), gzip-compressed when `compresser`, atomically
    (``ecriture.fichier_temporaire``)."""
    morceaux = [contenu] if isinstance(contenu, bytes) else contenu
    with fichier_temporaire(chemin) as temp, open(temp, "wb") as brut:
        sortie = gzip.GzipFile(filename="", mode="wb", fileobj=brut, compresslevel=3, mtime=0) if compresser else brut
        for morceau in morceaux:
            sortie.write(morceau)
        if compresser:
            sortie.close()


def _jeux_rp() -> list[str]:
    """The Melodi datasets of melodi.toml that feed a recensement source (`rp_*`), each once."""
    from diagnostic_territorial.sources import melodi

    vus = []
    for jeu in melodi.jeux().values():
        if jeu.source.startswith("rp_") and jeu.id not in vus:
            vus.append(jeu.id)
    return vus


# --- Caf and France Travail files, derived from the simulated census ---------------------------


def _etat_rp(resumes: dict[int, dict[str, np.ndarray]], annee: int) -> dict[str, np.ndarray]:
    """Census counts (persons, floats) of every commune in `annee`: linear between the two
    censuses around it, extrapolated beyond the last one (never negative)."""
    annees = sorted(resumes)
    avant = max([a for a in annees if a <= annee] or [annees[0]])
    apres = min([a for a in annees if a > annee] or [annees[-1]])
    if avant == apres:
        avant = annees[-2] if apres == annees[-1] else avant
    poids = (annee - avant) / (apres - avant)
    return {k: np.clip((resumes[avant][k] + (resumes[apres][k] - resumes[avant][k]) * poids) / U, 0, None)
            for k in resumes[apres]}


def _arrondi_5(n) -> np.ndarray:
    """Rounded to the nearest multiple of 5, as the Cnaf and the Dares publish counts (1-2 -> 0)."""
    return ((np.asarray(n, dtype=np.int64) + 2) // 5) * 5


def _nom_caf(nom: str) -> str:
    """Commune names as data.caf.fr writes them: upper case, no accent, hyphens as spaces."""
    nom = nom.replace("Œ", "OE").replace("œ", "oe").replace("Æ", "AE").replace("æ", "ae")
    nom = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return nom.replace("-", " ").upper()


def _texte(valeurs):
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pa.array(np.asarray(valeurs, dtype=np.int64)), pa.string())


def _csv_publie(colonnes: dict, bom: bool = True, fin: str = "\r\n") -> bytes:
    """`;` CSV as the opendatasoft exports write it (UTF-8 with BOM, CRLF, no quotes): `colonnes`
    maps each column to an Arrow array or a numpy array of texts."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.table({c: v if isinstance(v, (pa.Array, pa.ChunkedArray)) else pa.array(np.asarray(v, dtype=object),
                                                                                       pa.string())
                      for c, v in colonnes.items()})
    tampon = io.BytesIO()
    tampon.write((("\ufeff" if bom else "") + ";".join(colonnes) + "\n").encode("utf-8"))
    pacsv.write_csv(table, tampon, pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none"))
    texte = tampon.getvalue()  # (WriteOptions(eol=...) needs a recent pyarrow; no field holds a newline)
    return texte if fin == "\n" else texte.replace(b"\n", fin.encode("ascii"))


ANNEES_CAF = tuple(range(2020, 2025))  # s_ben_com_f: Decembers 2020 to 2024
PRESTATIONS_CAF = ("af", "cf", "asf", "ab", "cmg", "apl", "als", "alf", "rsa", "ppa")
COLONNES_CAF = ["dtreffre", "numcomdo", "nomcom", "indfoy_ndur", "indnbp_ndur", "indfoy_af", "indfoy_cf",
                "indfoy_asf", "indfoy_ab", "indfoy_cmg", "indfoy_apl", "indfoy_als", "indfoy_alf", "indfoy_rsa",
                "indmtt_rsa", "indfoy_ppa", "indmtt_ppa"]
# national trends of the beneficiaries (RSA: the 2020 peak) and of the monthly amounts per foyer
TENDANCE_CAF = {"rsa": {2020: 1.10, 2021: 1.04, 2022: 0.99, 2023: 0.97, 2024: 0.98},
                "ppa": {2020: 0.97, 2021: 0.95, 2022: 1.00, 2023: 1.00, 2024: 1.00}}
MONTANT_MOYEN = {"rsa": {2020: 497, 2021: 500, 2022: 515, 2023: 535, 2024: 545},
                 "ppa": {2020: 165, 2021: 166, 2022: 178, 2023: 188, 2024: 192}}


def simuler_caf_communes(geo: pd.DataFrame, resumes: dict) -> bytes:
    """data.caf.fr `s_ben_com_f.csv`: foyers allocataires (indfoy_*), personnes couvertes
    (indnbp_ndur) and December amounts (indmtt_*, euros) per commune, Decembers 2020-2024; one
    row a year without commune code (allocataires not located); counts rounded to 5, amounts to
    100 euros, Paris, Lyon and Marseille by arrondissement only."""
    n = len(geo)
    local = {k: np.exp(_alea("caf_local", k).normal(0.0, s, n)) for k, s in (
        ("af", 0.08), ("cf", 0.15), ("asf", 0.15), ("ab", 0.08), ("cmg", 0.20), ("apl", 0.15), ("als", 0.15),
        ("alf", 0.15), ("rsa", 0.25), ("ppa", 0.12), ("mtt_rsa", 0.06), ("mtt_ppa", 0.06))}
    rural = (_etat_rp(resumes, 2023)["pop"] < 2_000).astype(float)
    colonnes = {c: [] for c in COLONNES_CAF}
    codes = geo["code"].to_numpy(dtype=object)
    noms = np.array([_nom_caf(str(x)) for x in geo["nom"]], dtype=object)
    for annee in sorted(ANNEES_CAF, reverse=True):
        rp = _etat_rp(resumes, annee)
        rng = _alea("caf", annee)
        tirer = lambda moyenne: rng.poisson(np.clip(moyenne, 0, None)).astype(np.int64)  # noqa: E731
        chomage = rp["chomeurs"] / np.maximum(rp["actifs"], 1e-9)
        relatif = np.clip(np.where(rp["actifs"] > 0, chomage, 0.11) / 0.114, 0.2, 4.0)
        enfants = rp["enfants_3"]
        c = {
            "af": tirer(0.86 * rp["ch2p"] * local["af"] * (1.02 - 0.01 * (annee - 2020))),
            "cf": tirer(0.42 * rp["ch3p"] * local["cf"]),
            "asf": tirer(0.24 * rp["mono"] * local["asf"]),
            "ab": np.minimum(tirer(0.50 * enfants * local["ab"]), np.floor(enfants).astype(np.int64)),
            "cmg": np.minimum(tirer(0.34 * enfants * (1 + 0.3 * rural) * local["cmg"]), np.floor(enfants).astype(np.int64)),
            "apl": tirer((0.45 * rp["hlm"] + 0.07 * rp["locataires_prives"]) * local["apl"]),
            "als": tirer(0.27 * rp["locataires_prives"] * local["als"]),
            "alf": tirer(0.12 * rp["locataires_prives"] * local["alf"]),
            "rsa": tirer(0.059 * rp["menages"] * relatif ** 1.2 * TENDANCE_CAF["rsa"][annee] * local["rsa"]),
            "ppa": tirer(0.16 * rp["actifs_occupes"] * relatif ** 0.3 * TENDANCE_CAF["ppa"][annee] * local["ppa"]),
        }
        somme = sum(c[k] for k in PRESTATIONS_CAF)
        maximum = np.max(np.column_stack([c[k] for k in PRESTATIONS_CAF]), axis=1)
        ndur = np.maximum(np.minimum(np.round(0.68 * somme), np.floor(0.95 * rp["menages"])), maximum).astype(np.int64)
        nbp = np.round(1.45 * ndur + 1.9 * c["af"] + 1.0 * c["ab"] + 0.8 * c["asf"])
        nbp = np.maximum(np.minimum(nbp, np.floor(0.92 * rp["pop"])), ndur).astype(np.int64)
        montants = {k: np.round(c[k] * MONTANT_MOYEN[k][annee] * local[f"mtt_{k}"] / 100.0).astype(np.int64) * 100
                    for k in ("rsa", "ppa")}
        publies = {"indfoy_ndur": _arrondi_5(ndur), "indnbp_ndur": _arrondi_5(nbp),
                   **{f"indfoy_{k}": _arrondi_5(c[k]) for k in PRESTATIONS_CAF}}
        for k in ("rsa", "ppa"):  # no amount shown for a count shown as 0
            publies[f"indmtt_{k}"] = np.where(publies[f"indfoy_{k}"] > 0, montants[k], 0)
        # allocataires not located in a commune: one row, a few per thousand of the national counts
        hors = {k: int(_arrondi_5(round(0.0035 * v.sum())))
                for k, v in (("indfoy_ndur", ndur), ("indnbp_ndur", nbp), *((f"indfoy_{p}", c[p]) for p in PRESTATIONS_CAF))}
        for k in ("rsa", "ppa"):
            hors[f"indmtt_{k}"] = int(round(0.0035 * montants[k].sum() / 100.0)) * 100
        colonnes["dtreffre"].append(np.full(n + 1, f"{annee}-12", dtype=object))
        colonnes["numcomdo"].append(np.append(codes, ""))
        colonnes["nomcom"].append(np.append(noms, ""))
        for k in COLONNES_CAF[3:]:
            colonnes[k].append(np.append(publies[k], hors[k]))
    return _csv_publie({k: _texte(np.concatenate(v)) if k.startswith("ind") else np.concatenate(v)
                        for k, v in colonnes.items()})


# AAH and AEEH: data.caf.fr publishes them by EPCI (s_ben_epci_f, Decembers) and département
# (s_ben_dep, every month), not by commune. The demo writes a partial export of each (the fields
# of disability only, as a `select=` export gives), so that the figures of the communes' file
# (summed references) are untouched.
COLONNES_HANDICAP = ["indfoy_aah", "indben_aah", "indfoy_aeeh", "indben_aeeh"]
TENDANCE_HANDICAP = {"aah": 0.025, "aeeh": 0.065}  # yearly growth of the beneficiaries


def _handicap_communes(geo: pd.DataFrame, resumes: dict, annee: int, mois: int = 12) -> dict[str, np.ndarray]:
    """Expected foyers and beneficiaries of the AAH and AEEH of every commune (floats) in a month:
    about 1.8 % of the inhabitants receive the AAH (more where unemployment is high), 3 % of the
    families with children the AEEH in 2020; a lasting local effect, a slow national growth."""
    rp = _etat_rp(resumes, annee)
    n = len(geo)
    local = {k: np.exp(_alea("handicap_local", k).normal(0.0, 0.22, n)) for k in ("aah", "aeeh")}
    chomage = rp["chomeurs"] / np.maximum(rp["actifs"], 1e-9)
    relatif = np.clip(np.where(rp["actifs"] > 0, chomage, 0.11) / 0.114, 0.3, 3.0)
    temps = (annee - 2020) + (mois - 12) / 12.0
    aah = 0.0175 * rp["pop"] * relatif ** 0.4 * local["aah"] * (1 + TENDANCE_HANDICAP["aah"]) ** temps
    familles = rp["couples_enfants"] + rp["mono"]
    aeeh = 0.032 * familles * local["aeeh"] * (1 + TENDANCE_HANDICAP["aeeh"]) ** temps
    return {"indfoy_aah": aah, "indben_aah": aah * 1.015, "indfoy_aeeh": aeeh, "indben_aeeh": aeeh * 1.09}


def simuler_caf_handicap(geo: pd.DataFrame, resumes: dict) -> dict[str, bytes]:
    """`s_ben_epci_f.csv` (Decembers 2020-2024, counts rounded to 5) and `s_ben_dep.csv` (every
    month of 2020-2024, exact counts) with the AAH and AEEH fields only."""
    parents = set(geo["parent"].astype(str)) - {""}
    propres = ~geo["code"].astype(str).isin(parents).to_numpy()  # Paris counted once (arrondissements)
    epci = geo["epci"].astype(str).to_numpy()
    deps = geo["departement"].astype(str).to_numpy()
    codes_epci = sorted({e for e, p in zip(epci, propres) if p and e})
    codes_dep = sorted(set(deps[propres]))
    nom_epci = dict(zip(epci, geo["nomepci"].astype(str)))
    nom_dep = dict(zip(deps, geo["nomdep"].astype(str)))

    def sommes(valeurs: np.ndarray, cles: np.ndarray, liste: list[str]) -> np.ndarray:
        index = {c: i for i, c in enumerate(liste)}
        garder = propres & np.isin(cles, liste)
        return np.bincount([index[c] for c in cles[garder]], weights=valeurs[garder], minlength=len(liste))

    fichiers = {}
    lignes = {c: [] for c in ["dtreffre", "numepci", "nomepci", *COLONNES_HANDICAP]}
    for annee in ANNEES_CAF:
        attendus = _handicap_communes(geo, resumes, annee)
        for k in COLONNES_HANDICAP:
            lignes[k].append(_arrondi_5(np.round(sommes(attendus[k], epci, codes_epci))))
        lignes["dtreffre"].append(np.full(len(codes_epci), f"{annee}-12", dtype=object))
        lignes["numepci"].append(np.array(codes_epci, dtype=object))
        lignes["nomepci"].append(np.array([_nom_caf(nom_epci[c]) for c in codes_epci], dtype=object))
    fichiers["s_ben_epci_f.csv"] = _csv_publie({k: _texte(np.concatenate(v)) if k.startswith("ind") else np.concatenate(v)
                                                for k, v in lignes.items()})
    lignes = {c: [] for c in ["dtreffre", "numdep", "nomdep", *COLONNES_HANDICAP]}
    for annee in ANNEES_CAF:
        for mois in range(1, 13):
            attendus = _handicap_communes(geo, resumes, annee, mois)
            for k in COLONNES_HANDICAP:
                lignes[k].append(np.round(sommes(attendus[k], deps, codes_dep)).astype(np.int64))
            lignes["dtreffre"].append(np.full(len(codes_dep), f"{annee}-{mois:02d}", dtype=object))
            lignes["numdep"].append(np.array(codes_dep, dtype=object))
            lignes["nomdep"].append(np.array([_nom_caf(nom_dep[c]) for c in codes_dep], dtype=object))
    fichiers["s_ben_dep.csv"] = _csv_publie({k: _texte(np.concatenate(v)) if k.startswith("ind") else np.concatenate(v)
                                             for k, v in lignes.items()})
    return fichiers


# Taux de couverture petite enfance (Onape/Cnaf): places for 100 children under 3, by kind of care.
ANNEES_TXCOUV = tuple(range(2017, 2024))
ANNEES_TXCOUV_COURANT = (2022, 2023)  # the current datasets; `_hist` ones: 2017-2022
COMPOSANTES_TXCOUV = ("psu_col", "hors_psu_col", "am_ind", "gad_ind", "prescol")
ORDRE_TXCOUV = ("psu_col", "hors_psu_col", "eaje", "prescol", "am_ind", "gad_ind", "ind", "")
SEUIL_TXCOUV_COMMUNES = 10_000


def _places_accueil(geo: pd.DataFrame, resumes: dict, creches: np.ndarray, pmun: np.ndarray) -> dict:
    """{annee: (children under 3, places by component (n, 5))} for every commune, 2017-2023."""
    n = len(geo)
    urb = np.clip((np.log10(np.maximum(pmun, 1.0)) - 2.7) / 2.8, 0.0, 1.0)
    rural = (pmun < 2_000).astype(float)
    deps, dep_idx = np.unique(geo["departement"].to_numpy(dtype=str), return_inverse=True)
    fixe = {k: _alea("txcouv_local", k).normal(0.0, s, n) for k, s in (("taille", 0.25), ("hors_psu", 0.5),
                                                                        ("am", 0.3), ("gad", 0.5), ("prescol", 0.3))}
    dep = {k: _alea("txcouv_dep", k).normal(0.0, s, len(deps))[dep_idx] for k, s in (("am", 0.2), ("prescol", 0.6))}
    resultat = {}
    for annee in ANNEES_TXCOUV:
        enfants = _etat_rp(resumes, annee)["enfants_3"]
        ecart = annee - 2023
        psu = creches * 33.0 * np.exp(fixe["taille"]) * (1 + 0.012 * ecart)
        hors_psu = enfants * 0.036 * np.exp(fixe["hors_psu"] + 0.3 * urb - 0.4 * rural) * (1 + 0.08 * ecart)
        am = enfants * 0.30 * np.exp(0.25 * rural + fixe["am"] + dep["am"]) * (1 - 0.008 * ecart)
        gad = enfants * 0.015 * np.exp(0.8 * urb + fixe["gad"]) * (1 + 0.01 * ecart)
        prescol = enfants * 0.030 * np.exp(fixe["prescol"] + dep["prescol"]) * (1 - 0.035 * ecart)
        resultat[annee] = (enfants, np.column_stack([psu, hors_psu, am, gad, prescol]))
    # national rates of 2023 as published by the Onape (PSU 19.9, hors PSU 3.6, assistants
    # maternels 31.9, garde à domicile 2.2, préscolarisation 3.3: global 60.9)
    enfants, places = resultat[2023]
    echelle = np.array([19.9, 3.6, 31.9, 2.2, 3.3]) / (100.0 * places.sum(axis=0) / enfants.sum())
    return {a: (e, p * echelle[None, :]) for a, (e, p) in resultat.items()}


def _taux_txcouv(enfants: np.ndarray, places: np.ndarray) -> dict[str, np.ndarray]:
    """Rates (one decimal) of each component and of the subtotals, from summed places."""
    avec = enfants > 0
    def taux(p):
        return np.where(avec, np.round(100.0 * p / np.where(avec, enfants, 1.0), 1), np.nan)
    psu, hors_psu, am, gad, prescol = places.T
    return {"": taux(places.sum(axis=1)), "eaje": taux(psu + hors_psu), "psu_col": taux(psu),
            "hors_psu_col": taux(hors_psu), "am_ind": taux(am), "gad_ind": taux(gad), "ind": taux(am + gad),
            "prescol": taux(prescol)}


def _texte_taux(valeurs: np.ndarray) -> np.ndarray:
    return np.array(["" if np.isnan(v) else f"{v:.1f}" for v in valeurs], dtype=object)


def simuler_txcouv(geo: pd.DataFrame, resumes: dict, pmun: np.ndarray, creches=None) -> dict[str, bytes]:
    """data.caf.fr `txcouv_pe_com` (communes of more than 10 000 inhabitants), `txcouv_pe_epci`
    (with its placeholder row `XX`), `txcouv_pe_dep`, `txcouv_pe_nat` (2022-2023; the national
    file has every year since 2017, `annee` written as a date, and a `national` column) and
    `txcouv_pe_{epci,dep}_hist` (2017-2022, the 2022 rates slightly revised). A level's rate is
    its places over its children under 3, each summed over its communes."""
    codes = geo["code"].to_numpy(dtype=str)
    places = _places_accueil(geo, resumes, _creches_bpe(codes) if creches is None else creches, pmun)
    epci = geo["epci"].to_numpy(dtype=str)
    deps = geo["departement"].to_numpy(dtype=str)
    noms = lambda valeurs: np.array([str(v) for v in valeurs], dtype=object)  # noqa: E731
    # the département of an EPCI: that of most of its inhabitants
    table = pd.DataFrame({"epci": epci, "dep": deps, "pop": pmun})
    table = table[table["epci"] != ""].groupby(["epci", "dep"], as_index=False)["pop"].sum()
    dep_epci = table.sort_values(["epci", "pop"], ascending=[True, False]).drop_duplicates("epci")
    dep_epci = dict(zip(dep_epci["epci"], dep_epci["dep"]))
    noms_dep = dict(zip(deps, geo["nomdep"]))
    regions = dict(zip(deps, geo["region"]))
    noms_reg = dict(zip(geo["region"], geo["nomreg"]))
    noms_epci = dict(zip(epci, geo["nomepci"]))
    noms_com = dict(zip(codes, geo["nom"]))

    def niveau(cle: np.ndarray, annee: int, revision: float = 0.0):
        enfants, p = places[annee]
        garder = cle != ""
        uniques, inverse = np.unique(cle[garder], return_inverse=True)
        e = np.bincount(inverse, weights=enfants[garder], minlength=len(uniques)) * (1 + revision)
        somme = np.column_stack([np.bincount(inverse, weights=p[garder, j], minlength=len(uniques)) for j in range(5)])
        return uniques, _taux_txcouv(e, somme)

    fichiers = {}
    def ecrire(nom, suffixe, annees, cle, identite, revision_2022=0.0, date=False, factice=None):
        colonnes = None
        for annee in annees:
            uniques, taux = niveau(cle, annee, revision_2022 if annee == 2022 else 0.0)
            bloc = {"annee": np.full(len(uniques), f"{annee}-01-01" if date else str(annee), dtype=object),
                    **identite(uniques)}
            for composante in ORDRE_TXCOUV:
                bloc[f"txcouv_{composante + '_' if composante else ''}{suffixe}"] = _texte_taux(taux[composante])
            if factice and annee == annees[-1]:
                for k in bloc:
                    bloc[k] = np.append(bloc[k], factice.get(k, ""))
            colonnes = bloc if colonnes is None else {k: np.concatenate([colonnes[k], v]) for k, v in bloc.items()}
        fichiers[nom] = _csv_publie(colonnes)

    grandes = np.where(pmun > SEUIL_TXCOUV_COMMUNES, codes, "")
    position = {c: i for i, c in enumerate(codes)}
    identite_com = lambda u: {  # noqa: E731
        "numcom": u, "nomcom": noms(noms_com[c] for c in u),
        "numepci": np.array([epci[position[c]] for c in u], dtype=object),
        "nomepci": noms(noms_epci.get(epci[position[c]], "") for c in u),
        "numdep": np.array([deps[position[c]] for c in u], dtype=object),
        "nomdep": noms(noms_dep[deps[position[c]]] for c in u)}
    identite_epci = lambda u: {  # noqa: E731
        "numepci": u, "nomepci": noms(noms_epci[c] for c in u), "numdep": np.array([dep_epci[c] for c in u], dtype=object),
        "nomdep": noms(noms_dep[dep_epci[c]] for c in u)}
    identite_dep = lambda u: {  # noqa: E731
        "numdep": u, "nomdep": noms(noms_dep[c] for c in u), "numregi": np.array([regions[c] for c in u], dtype=object),
        "nomregi": noms(noms_reg[regions[c]] for c in u)}
    # the placeholder row of the real EPCI file: code and name XX, the highest rate of France
    factice = {"annee": str(ANNEES_TXCOUV_COURANT[-1]), "numepci": "XX", "nomepci": "XX",
               "txcouv_epci": "195.8", "txcouv_eaje_epci": "120.0",
               "txcouv_psu_col_epci": "100.0", "txcouv_hors_psu_col_epci": "20.0", "txcouv_am_ind_epci": "70.0",
               "txcouv_gad_ind_epci": "5.8", "txcouv_ind_epci": "75.8", "txcouv_prescol_epci": "0.0"}
    ecrire("txcouv_pe_com.csv", "com", ANNEES_TXCOUV_COURANT, grandes, identite_com)
    ecrire("txcouv_pe_epci.csv", "epci", ANNEES_TXCOUV_COURANT, epci, identite_epci, factice=factice)
    ecrire("txcouv_pe_dep.csv", "dep", ANNEES_TXCOUV_COURANT, deps, identite_dep)
    ecrire("txcouv_pe_nat.csv", "nat", ANNEES_TXCOUV, np.full(len(codes), "F"),
           lambda u: {"national": np.full(len(u), "FRANCE ENTIERE HORS MAYOTTE", dtype=object)}, date=True)
    historiques = tuple(a for a in ANNEES_TXCOUV if a <= ANNEES_TXCOUV_COURANT[0])
    ecrire("txcouv_pe_epci_hist.csv", "epci", historiques, epci, identite_epci, revision_2022=0.004)
    ecrire("txcouv_pe_dep_hist.csv", "dep", historiques, deps, identite_dep, revision_2022=0.004)
    return fichiers


ANNEES_DEFM = tuple(range(2015, 2025))  # fourth quarters 2015-T4 to 2024-T4
FICHIER_DEFM = "dares_defm_communales-brutes.csv"
# The whole export is ~2.1 million rows (190 MB of text): installed gzip-compressed, a form the
# reader and `catalogue.trouver` accept.
FICHIER_DEFM_INSTALLE = FICHIER_DEFM + ".gz"
ENTETE_DEFM = ["Date", "Code région", "Région", "Code département", "Département", "Code commune", "Commune",
               "Type de données", "Catégorie", "Sexe", "Tranche d'âge", "Nombre de demandeurs d'emploi"]
# registered jobseekers ABC per unemployed person of the census (ABC includes reduced activity)
DEFM_PAR_CHOMEUR = {2015: 1.41, 2016: 1.38, 2017: 1.40, 2018: 1.44, 2019: 1.43, 2020: 1.56, 2021: 1.51, 2022: 1.47,
                    2023: 1.50, 2024: 1.57}
CELLULES_DEFM = (("Total", "Total"), ("Hommes", "Total"), ("Femmes", "Total"), ("Total", "Moins de 25 ans"),
                 ("Total", "De 25 à 49 ans"), ("Total", "50 ans et plus"))


def _lignes_texte(debuts, fins, valeurs, indices_debut, indices_fin, textes_valeurs=None, fin="\r\n") -> bytes:
    """CSV lines `debut + fin + valeur + end of line`, built by Arrow (no Python object per
    line): the data buffer of the resulting string array is the text of the lines, end to end."""
    import pyarrow as pa
    import pyarrow.compute as pc

    lignes = pc.binary_join_element_wise(
        pc.take(pa.array(list(debuts), pa.string()), pa.array(indices_debut)),
        pc.take(pa.array(list(fins), pa.string()), pa.array(indices_fin)),
        _texte(valeurs) if textes_valeurs is None else textes_valeurs, pa.scalar(fin), "")
    _, decalages, donnees = lignes.buffers()
    bornes = np.frombuffer(decalages, dtype=np.int32)[lignes.offset: lignes.offset + len(lignes) + 1]
    return donnees.to_pybytes()[bornes[0]: bornes[-1]]


def simuler_defm(geo: pd.DataFrame, resumes: dict) -> bytes:
    """Dares `dares_defm_communales-brutes` (labels header): demandeurs d'emploi ABC at the fourth
    quarter, raw data, by commune, 2015-T4 to 2024-T4, total / by sex / by age band (for both
    sexes), counts rounded to 5; Paris, Lyon and Marseille published both whole and by
    arrondissement; national rows with the commune code « Total » as in the real export."""
    return b"".join(morceaux_defm(geo, resumes))


def morceaux_defm(geo: pd.DataFrame, resumes: dict):
    """The text of `simuler_defm`, one quarter at a time (the whole is ~190 MB)."""
    n = len(geo)
    parents = geo["parent"].to_numpy(dtype=str)
    plm = sorted(set(parents) - {""})
    # the published communes: every commune of the file, plus the three cities split into arrondissements
    premiers = [int(np.flatnonzero(parents == c)[0]) for c in plm]
    geo_pub = pd.concat([geo, pd.DataFrame({
        "code": plm, "nom": [{"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}.get(c, c) for c in plm],
        **{k: geo[k].to_numpy()[premiers] for k in ("departement", "region", "nomdep", "nomreg")}})],
        ignore_index=True)
    geo_pub = geo_pub.sort_values("code", kind="stable")
    ordre = geo_pub.index.to_numpy()
    m = len(geo_pub)
    debut_commune = [f"{r};{nr};{d};{nd};{c};{nc};Brutes;ABC;" for r, nr, d, nd, c, nc in zip(
        geo_pub["region"], geo_pub["nomreg"], geo_pub["departement"], geo_pub["nomdep"], geo_pub["code"], geo_pub["nom"])]
    fins = [f"{sexe};{age};" for sexe, age in CELLULES_DEFM]
    indices_commune = np.repeat(np.arange(m, dtype=np.int32), 6)
    indices_cellule = np.tile(np.arange(6, dtype=np.int32), m)
    local = np.exp(_alea("defm_local").normal(0.0, 0.15, n))
    femmes_part = np.clip(0.51 + _alea("defm_femmes").normal(0.0, 0.03, n), 0.3, 0.7)
    metropole = ~geo["departement"].astype(str).str.startswith("97").to_numpy()
    yield ("\ufeff" + ";".join(ENTETE_DEFM) + "\r\n").encode("utf-8")
    for annee in ANNEES_DEFM:
        rp = _etat_rp(resumes, annee)
        rng = _alea("defm", annee)
        abc = rng.poisson(DEFM_PAR_CHOMEUR[annee] * rp["chomeurs"] * local).astype(np.int64)
        chomeurs = np.maximum(rp["chomeurs"], 1e-9)
        jeunes = np.clip(0.80 * rp["chomeurs_1524"] / chomeurs * (1.1 - 0.02 * (annee - 2015)), 0.03, 0.4)
        seniors = np.clip(1.25 * (rp["chomeurs_5564"] + 0.17 * rp["chomeurs_2554"]) / chomeurs
                          * (0.9 + 0.02 * (annee - 2015)), 0.08, 0.5)
        seniors = np.minimum(seniors, 0.95 - jeunes)
        ages = rng.multinomial(abc, np.column_stack([jeunes, 1 - jeunes - seniors, seniors]))
        femmes = rng.binomial(abc, femmes_part)
        vrais = np.column_stack([abc, abc - femmes, femmes, ages])  # the six published cells
        par_ville = np.vstack([vrais[parents == c].sum(axis=0) for c in plm]) if plm else vrais[:0]
        publies = _arrondi_5(np.concatenate([vrais, par_ville])[ordre])
        date = f"{annee}-T4;"
        yield _lignes_texte([date + d for d in debut_commune], fins, publies.ravel(), indices_commune,
                            indices_cellule)
        # national rows: metropolitan total and jobseekers not located, under the code « Total »
        total = vrais[metropole].sum(axis=0)
        non_localises = rng.poisson(0.0012 * total[:3])
        debuts = [f"{date}Total;Total;Total;Total;Total;{libelle};Brutes;ABC;"
                  for libelle in ("Total France métropolitaine", "Non localisés en France métropolitaine")]
        yield _lignes_texte(debuts, fins, _arrondi_5(np.concatenate([total, non_localises])),
                            np.array([0] * 6 + [1] * 3, np.int32), np.array([*range(6), *range(3)], np.int32))


# --- Installation ---------------------------------------------------------------------------------


def _declarer_simulation(dossier_brut: Path, nom: str) -> None:
    _declarer_simulations(dossier_brut, [nom])


def _declarer_simulations(dossier_brut: Path, noms_nouveaux) -> None:
    import yaml

    chemin = Path(dossier_brut) / "simulations.yaml"
    noms = []
    if chemin.exists():
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or []
        noms = [str(x) for x in contenu] if isinstance(contenu, list) else []
    anciens = {n.lower() for n in ANCIENS_FICHIERS}
    noms = [n for n in noms if n.lower() not in anciens]
    for nom in noms_nouveaux:
        if nom not in noms:
            noms.append(nom)
    entete = (
        "# Fichiers SIMULÉS pour la démonstration (mise en page officielle, valeurs fictives).\n"
        "# Toute figure qui en est tirée porte la mention « données simulées ».\n"
    )
    chemin.write_text(entete + yaml.safe_dump(noms, allow_unicode=True), encoding="utf-8")


# Former simulated files of the demo (RP 2019 bases communales, earlier Caf and France Travail
# layouts): removed from data/brut/ when the demo data are installed again.
ANCIENS_FICHIERS = (
    *(f"base-cc-{t}-2019_csv.zip" for t in ("evol-struct-pop", "coupl-fam-men", "logement", "emploi-pop-active",
                                             "diplomes-formation")),
    "txcouv_pe_reg.csv", "txcouv_pe_fra.csv", "demandeurs_emploi_communes_T4.csv.gz", "donnees_communes.csv",
)


def _departements_etude(dossier_brut: Path, communes) -> list[str]:
    """The départements whose communes the Melodi files publish: those of `communes` (codes), or
    of the study's etude.yaml (data/brut/../../etude.yaml), or the demo territory's."""
    if communes is None:
        chemin = Path(dossier_brut).resolve().parent.parent / "etude.yaml"
        if chemin.exists():
            import yaml

            try:
                territoire = (yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}).get("territoire") or {}
                communes = [str(c["code"]) for c in territoire.get("communes") or [] if isinstance(c, dict)]
            except (yaml.YAMLError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
                communes = None
    if not communes:
        return list(DEPARTEMENTS_DEMO)
    from diagnostic_territorial.territoire.resolution import referentiel

    ref = referentiel()["communes"]
    return sorted({ref.get(str(c), {}).get("DEP") or _departement_du_code(str(c)) for c in communes})


def installer_donnees_demo(dossier_brut: Path, communes=None) -> list[Path]:
    """Copy the real demo extracts into data/brut/ and simulate the files not available offline
    (see the module docstring); returns the installed files.

    `communes`: codes of the study's communes, whose départements the Melodi files publish
    commune by commune (default: the communes of the study's etude.yaml, else Haute-Garonne)."""
    from diagnostic_territorial.sources import population

    dossier = Path(dossier_brut)
    dossier.mkdir(parents=True, exist_ok=True)
    for ancien in ANCIENS_FICHIERS:
        (dossier / ancien).unlink(missing_ok=True)
    installes = []
    for source in sorted(DOSSIER_DEMO.iterdir()):
        if source.name.startswith((".", "_", "enquete_")) or source.suffix in (".py", ".md"):
            continue  # the survey export is installed in enquete/ by installer_enquete_demo
        if source.name.endswith(".gz"):
            cible = dossier / source.name[:-3]
            with gzip.open(source, "rb") as entree, open(cible, "wb") as sortie:
                shutil.copyfileobj(entree, sortie)
        else:
            cible = dossier / source.name
            shutil.copyfile(source, cible)
        installes.append(cible)

    pop = population.lire(dossier / FICHIER_POPULATIONS, MILLESIME_POPULATIONS)
    pmun_table = pop[pop["variable"] == "PMUN"].sort_values("codgeo")
    geo = geographie_communes(pmun_table["codgeo"].to_numpy())
    pmun = pmun_table["valeur"].to_numpy(dtype=float)
    publication = _Publication(geo, _departements_etude(dossier, communes))
    jeux = _jeux_rp()
    resumes = {}
    simules = []
    # numpy, Arrow and zlib release the GIL: the published rows of a census are summed, and the
    # files formatted and compressed, by threads while the next census is simulated.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as ecrivains:
        creches = ecrivains.submit(_creches_bpe, geo["code"].to_numpy(dtype=str))
        agregats = {jeu: {} for jeu in jeux}
        for annee, cubes, resume in simuler_recensement(geo, pmun):
            resumes[annee] = resume
            for jeu in jeux:
                if jeu in cubes:  # detailed tables: the RP 2023 only
                    agregats[jeu][annee] = ecrivains.submit(
                        lambda cube: (cube.cellules, publication.agreger(cube.matrice())), cubes[jeu])
            del cubes
        publies = {jeu: {annee: travail.result() for annee, travail in par_annee.items()}
                   for jeu, par_annee in agregats.items()}
        travaux = []

        def ecrire_melodi(jeu):
            archive, membre, meta = nom_fichier_melodi(jeu)
            cellules = [c for a in sorted(publies[jeu]) for c in publies[jeu][a][0]]
            _ecrire_zip(dossier / archive, {membre: donnees_melodi(jeu, publication, publies[jeu]),
                                            meta: metadonnees_melodi(jeu, cellules)})

        travaux.append(ecrivains.submit(lambda: _ecrire_octets(dossier / FICHIER_DEFM_INSTALLE,
                                                               morceaux_defm(geo, resumes), compresser=True)))
        simules.append(dossier / FICHIER_DEFM_INSTALLE)
        for jeu in jeux:
            travaux.append(ecrivains.submit(ecrire_melodi, jeu))
            simules.append(dossier / nom_fichier_melodi(jeu)[0])
        _ecrire_octets(dossier / "s_ben_com_f.csv", simuler_caf_communes(geo, resumes))
        simules.append(dossier / "s_ben_com_f.csv")
        for nom, contenu in simuler_caf_handicap(geo, resumes).items():
            _ecrire_octets(dossier / nom, contenu)
            simules.append(dossier / nom)
        for nom, contenu in simuler_txcouv(geo, resumes, pmun, creches.result()).items():
            _ecrire_octets(dossier / nom, contenu)
            simules.append(dossier / nom)
        for travail in travaux:
            travail.result()
    _declarer_simulations(dossier, [chemin.name for chemin in simules])
    return installes + simules
