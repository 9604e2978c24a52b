"""Indicators for the territory, its communes and its references, following the data rules:
- additive counts (RP, BPE, CAF, France Travail) are summed; a territory's rate is sum of
  numerators / sum of denominators; source commune codes are first brought to the study's
  geography (arrondissements, communes nouvelles); a value the source publishes itself at the
  territory's or a reference's level is preferred to a sum; a reference territory the source does
  not cover (an extract) is « n.d. », never a partial sum (see `additifs`);
- medians and rates that cannot be aggregated (Filosofi, CNAF taux de couverture) are read at the
  level the source publishes them (EPCI, département, région, France), never averaged;
- masked cells stay masked (NaN with secret=True), never 0; a sum with a masked part is masked.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.sources.schema import Provenance
from diagnostic_territorial.territoire.resolution import referentiel

LIBELLE_TERRITOIRE = "Territoire"
# Label of the France row of `publies` when the source's national file is not France entière.
LIBELLES_FRANCE = {"filosofi": "France métropolitaine"}
SUFFIXE_SECRET = "__secret"


def _lire_cache(etude, source: str, millesime: int, filtres: list) -> tuple[pd.DataFrame, Provenance | None]:
    """Read only the rows needed from a source's cache (filters pushed down to pyarrow)."""
    import pyarrow.parquet as pq

    from diagnostic_territorial.sources import preparation as donnees
    from diagnostic_territorial.sources import cache, catalogue

    chemin = donnees.chemin_cache(etude, source, millesime)
    if not chemin.exists():
        fichiers = catalogue.fichiers(donnees.cle_source(source), millesime)
        premier = fichiers[0] if fichiers else None
        raise DonneeManquante(
            premier.nom_fichier if premier else f"{source} {millesime}",
            premier.url if premier else "",
            etude.dossier_brut,
            premier.source if premier else source,
            raison="données non préparées ou fichier absent de data/brut (lancez « make donnees »)",
        )
    return pq.read_table(chemin, filters=filtres).to_pandas(), cache.provenance(chemin)


NOMS_NIVEAUX = {"epci": "intercommunalité", "departement": "département", "region": "région"}


def epci_de_reference(etude) -> tuple[str, str] | None:
    """The intercommunalité a list of communes (one commune, the usual ABS of a CCAS) is compared
    with: the EPCI holding all of them; None for an EPCI or a département, for communes of several
    EPCI or without one."""
    if getattr(etude, "type_territoire", "") != "communes":
        return None
    epcis = list(getattr(etude, "epci", None) or [])
    communes = getattr(etude, "communes", None)
    if len(epcis) != 1 or communes is None or "epci" not in communes:
        return None
    code, nom = epcis[0]
    if set(str(e) for e in communes["epci"]) != {str(code)}:
        return None
    return str(code), str(nom)


def _references(etude) -> list[tuple[str, str, str]]:
    """(niveau, codgeo, libelle) of every reference territory, in display order: the EPCI of a list
    of communes (see `epci_de_reference`), each département (the main one first), each région,
    France. A libellé equal to the territory's name or to another reference's (Paris the commune
    and the département, La Réunion the département and the région) gets its level in brackets."""
    principal_dep = tuple(etude.departement)
    principal_reg = tuple(etude.region)
    departements = list(getattr(etude, "departements", None) or [principal_dep])
    regions = list(getattr(etude, "regions", None) or [principal_reg])
    refs = []
    epci = epci_de_reference(etude)
    if epci:
        refs.append(("epci", *epci))
    vus = set()
    for niveau, liste in (("departement", departements), ("region", regions)):
        for code, nom in liste:
            if (niveau, str(code)) not in vus:
                vus.add((niveau, str(code)))
                refs.append((niveau, str(code), str(nom)))
    refs.append(("france", "FRM", "France"))
    noms = [str(getattr(etude, "nom_territoire", ""))] + [libelle for _, _, libelle in refs]
    doublons = {n for n in noms if noms.count(n) > 1}
    return [(niveau, code, f"{libelle} ({NOMS_NIVEAUX[niveau]})" if libelle in doublons and niveau in NOMS_NIVEAUX
             else libelle) for niveau, code, libelle in refs]


def references(etude) -> list[tuple[str, str, str]]:
    """(niveau, codgeo, libelle) of the reference territories (public name of `_references`)."""
    return _references(etude)


def _pivot(df: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    valeurs = df.pivot_table(index="codgeo", columns="variable", values="valeur", aggfunc="first", dropna=False)
    secrets = df.pivot_table(index="codgeo", columns="variable", values="secret", aggfunc="max", dropna=False)
    sortie = pd.DataFrame(index=valeurs.index)
    for v in variables:
        sortie[v] = valeurs[v] if v in valeurs else np.nan
        sortie[v + SUFFIXE_SECRET] = (secrets[v].fillna(False).astype(bool) if v in secrets else False)
    return sortie


def _somme(bloc: pd.DataFrame, variables: list[str]) -> dict:
    ligne = {}
    for v in variables:
        secret = bool(bloc[v + SUFFIXE_SECRET].any()) if len(bloc) else False
        absent = bloc[v].isna().any() or len(bloc) == 0
        ligne[v] = np.nan if (secret or absent) else float(bloc[v].sum())
        ligne[v + SUFFIXE_SECRET] = secret
    return ligne


# --- Geography and coverage of a source (additive counts) -------------------------------------

# A reference territory (département, région, France) is summed from a source only when the
# source has rows for at least this share of its communes (COG referential); otherwise it is
# « n.d. »: an extract (one département, the IRIS-split communes only) never gives a partial sum.
COUVERTURE_MINIMALE = 0.90
# Sources that list what exists (BPE: one row per commune x equipment type present): a commune
# without a row for a variable has none, when the source covers its département.
SOURCES_INVENTAIRE = frozenset({"bpe"})
# Arrondissements municipaux -> their commune (sources count Paris, Lyon, Marseille by arrondissement).
ARRONDISSEMENTS = (("75101", "75120", "75056"), ("13201", "13216", "13055"), ("69381", "69389", "69123"))


def _departement_du_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


@lru_cache(maxsize=None)
def commune_actuelle(code: str) -> str:
    """Commune of the study's geography (COG referential) holding a source's commune code:
    arrondissement municipal -> its commune, commune merged into a commune nouvelle (commune
    déléguée or associée of the referential) -> the commune nouvelle; other codes unchanged."""
    code = str(code)
    for debut, fin, commune in ARRONDISSEMENTS:
        if debut <= code <= fin:
            return commune
    ref = referentiel()
    for _ in range(5):  # a commune nouvelle may itself have merged again
        if code in ref["communes"] or code not in ref["anciennes"]:
            return code
        parent = ref["anciennes"][code]["COMPARENT"]
        if not parent or parent == code:
            return code
        code = parent
    return code


@lru_cache(maxsize=None)
def _lieu(commune: str) -> tuple[str, str | None]:
    """(département, région) of a commune of the study's geography (code prefix when unknown)."""
    ref = referentiel()
    ligne = ref["communes"].get(commune)
    if ligne:
        return ligne["DEP"], ligne["REG"]
    dep = _departement_du_code(commune)
    return dep, ref["departements"].get(dep, {}).get("REG")


@lru_cache(maxsize=256)
def _communes_du_niveau(niveau: str, code: str) -> frozenset[str]:
    """Communes of an EPCI, a département, a région or France in the COG referential."""
    communes = referentiel()["communes"]
    if niveau == "france":
        return frozenset(communes)
    cle = {"epci": "EPCI", "departement": "DEP", "region": "REG"}[niveau]
    return frozenset(c for c, r in communes.items() if r[cle] == code)


_PRESENCE: dict = {}


def _communes_presentes(chemin, millesime: int) -> frozenset[str]:
    """Communes (study geography) with at least one row in a cached source for one millésime."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    cle = (str(chemin), chemin.stat().st_mtime_ns, int(millesime))
    if cle not in _PRESENCE:
        table = pq.read_table(chemin, columns=["codgeo"],
                              filters=[("niveau", "=", "commune"), ("millesime", "=", int(millesime))])
        codes = pc.unique(table["codgeo"].combine_chunks()).to_pylist()
        if len(_PRESENCE) > 32:
            _PRESENCE.clear()
        _PRESENCE[cle] = frozenset(commune_actuelle(c) for c in codes)
    return _PRESENCE[cle]


def _factoriser(serie: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(integer code of each value, distinct values) of a string column, without a Python object
    per row (Arrow dictionary encoding)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    tableau = pa.array(serie.astype("str"))
    if isinstance(tableau, pa.ChunkedArray):
        tableau = tableau.combine_chunks()
    tableau = pc.dictionary_encode(tableau)
    return tableau.indices.to_numpy(zero_copy_only=False).astype(np.int64), tableau.dictionary.to_pylist()


def _par_commune(df: pd.DataFrame, variables: list[str], inventaire: bool) -> pd.DataFrame:
    """Commune rows of a tidy table -> one row per commune of the study's geography (index) with
    the variables and <variable>__secret, plus departement and region. Parts of one commune
    (arrondissements, former communes of a commune nouvelle) are summed: a secret part makes the
    sum secret, a missing part makes it NaN (inventory sources: a missing row counts 0)."""
    colonnes = variables + [v + SUFFIXE_SECRET for v in variables] + ["departement", "region"]
    if df.empty:
        return pd.DataFrame(columns=colonnes, index=pd.Index([], name="commune"))
    i_code, codes = _factoriser(df["codgeo"])
    parents_codes = [commune_actuelle(c) for c in codes]
    propres = set(codes)
    # an arrondissement is ignored when the source also has its commune's own row
    garder = np.array([p == c or p not in propres or not any(d <= c <= f for d, f, _ in ARRONDISSEMENTS)
                       for c, p in zip(codes, parents_codes)], dtype=bool)
    i_parent, parents = pd.factorize(np.asarray(parents_codes, dtype=object))
    parents = [str(p) for p in parents]
    n_parents = len(parents)
    parties = np.bincount(i_parent[garder], minlength=n_parents)  # source codes per commune
    i_var, noms = _factoriser(df["variable"])
    n_var = len(noms)
    lignes = garder[i_code]
    cle = (i_parent[i_code] * n_var + i_var)[lignes]
    valeur = df["valeur"].to_numpy(dtype=float)[lignes]
    secret = df["secret"].to_numpy(dtype=bool)[lignes]
    manque = np.isnan(valeur) & ~secret
    taille = n_parents * n_var
    somme = np.bincount(cle, weights=np.where(np.isnan(valeur), 0.0, valeur), minlength=taille).reshape(n_parents, n_var)
    secrets = np.bincount(cle, weights=secret, minlength=taille).reshape(n_parents, n_var) > 0
    manques = np.bincount(cle, weights=manque, minlength=taille).reshape(n_parents, n_var) > 0
    nombre = np.bincount(cle, minlength=taille).reshape(n_parents, n_var)
    # no row for the variable (for a part of the commune): unknown, or none of it for an inventory
    absent = (nombre == 0) if inventaire else (nombre < parties[:, None])
    somme = np.where(secrets | manques | (absent & ~np.asarray(inventaire)), np.nan, somme)
    garder_parents = parties > 0
    index = pd.Index(np.asarray(parents, dtype=object)[garder_parents], name="commune", dtype=object)
    sortie = {}
    for v in variables:
        if v in noms:
            j = noms.index(v)
            sortie[v] = somme[garder_parents, j]
            sortie[v + SUFFIXE_SECRET] = secrets[garder_parents, j]
        else:
            sortie[v] = np.full(len(index), 0.0 if inventaire else np.nan)
            sortie[v + SUFFIXE_SECRET] = np.zeros(len(index), dtype=bool)
    lieux = [_lieu(c) for c in index]
    sortie["departement"] = [d for d, _ in lieux]
    sortie["region"] = [r for _, r in lieux]
    return pd.DataFrame(sortie, index=index, columns=colonnes)


def _vide(variables: list[str]) -> dict:
    return {**{v: np.nan for v in variables}, **{v + SUFFIXE_SECRET: False for v in variables}}


def _zero(variables: list[str]) -> dict:
    return {**{v: 0.0 for v in variables}, **{v + SUFFIXE_SECRET: False for v in variables}}


def _publies_par_niveau(df: pd.DataFrame, variables: list[str], codes: set | None = None) -> dict[tuple[str, str], dict]:
    """Rows the source publishes itself above the communes: {(niveau, codgeo): {variable: (valeur,
    secret)}} (only the variables present in the row; only the territories of `codes` when given:
    a Melodi file publishes every EPCI of France)."""
    sortie: dict = {}
    supra = df[(df["niveau"] != "commune") & df["variable"].isin(list(variables))]
    if codes is not None:
        supra = supra[supra["codgeo"].isin(list(codes)) | (supra["niveau"] == "france")]
    for niveau, code, variable, valeur, secret in zip(supra["niveau"], supra["codgeo"], supra["variable"],
                                                      supra["valeur"], supra["secret"]):
        if variable in variables:
            sortie.setdefault((str(niveau), str(code)), {})[str(variable)] = (float(valeur), bool(secret))
    france = [k for k in sortie if k[0] == "france"]
    if ("france", "FRM") not in sortie and len(france) == 1:
        sortie[("france", "FRM")] = sortie[france[0]]
    return sortie


def _avec_publies(ligne: dict, publie: dict | None) -> dict:
    """A computed row where the source's own published values (if any) replace the sums."""
    if not publie:
        return ligne
    ligne = dict(ligne)
    for v, (valeur, secret) in publie.items():
        ligne[v] = np.nan if secret else valeur
        ligne[v + SUFFIXE_SECRET] = secret
    return ligne


def additifs(etude, source: str, millesime_fichier: int, variables: list[str],
             millesime: int | None = None) -> tuple[pd.DataFrame, Provenance | None]:
    """Counts for each commune of the territory, the territory (sum of its communes), and each
    reference of `_references` (the EPCI of a list of communes, every département and région of the
    territory, France): each one the sum of all ITS communes in the source file, never an average
    nor a share of another reference.

    - Geography: the source's commune codes are brought to the study's geography first
      (arrondissements municipaux into their commune, former communes into their commune
      nouvelle, see `commune_actuelle`), so that no commune of the study is silently missing.
    - A value the source publishes itself at the territory's level (the EPCI's row when the
      territory is an EPCI, the département's when it is a département) or at a reference level
      (EPCI, département, région, France rows of the cache) is used instead of a sum of communes.
    - A reference territory is summed only when the source has rows for at least
      COUVERTURE_MINIMALE of its communes (COG referential); otherwise its values are NaN (secret
      False: « n.d. »), never a partial sum. A commune of the study without a row in the source is
      NaN, and so is the territory's sum, except for inventory sources (BPE: no row, none of it)
      where the source covers the commune's département.
    - Secrecy is contagious: a sum with a secret part is secret (NaN), never a partial sum.

    Returns a table with columns libelle, niveau, codgeo, the variables and <variable>__secret.
    """
    from diagnostic_territorial.sources import preparation as donnees

    variables = list(dict.fromkeys(variables))
    millesime = int(millesime or millesime_fichier)
    df, prov = _lire_cache(etude, source, millesime_fichier,
                           [("variable", "in", list(variables)), ("millesime", "=", millesime),
                            ("niveau", "in", ["commune", "epci", "departement", "region", "france"])])
    chemin = donnees.chemin_cache(etude, source, millesime_fichier)
    inventaire = donnees.cle_source(source) in SOURCES_INVENTAIRE
    communes_source = df[df["niveau"] == "commune"]
    large = _par_commune(communes_source, variables, inventaire)
    publies_ = _publies_par_niveau(df, variables, {str(etude.code_territoire)} | {str(c) for _, c, _ in _references(etude)}
                                   if hasattr(etude, "code_territoire") else None)

    presentes_variables = frozenset(large.index)
    couvertures: dict = {}

    def couvert(niveau: str, code: str) -> bool:
        if (niveau, code) not in couvertures:
            attendues = _communes_du_niveau(niveau, code)
            seuil = COUVERTURE_MINIMALE * len(attendues)
            ok = bool(attendues) and len(attendues & presentes_variables) >= seuil
            if not ok and attendues and inventaire:  # equipment types absent from most communes:
                ok = len(attendues & _communes_presentes(chemin, millesime)) >= seuil  # any row counts
            couvertures[(niveau, code)] = ok
        return couvertures[(niveau, code)]

    ref = referentiel()["communes"]
    communes = etude.communes.set_index("code")
    lignes = []
    valeurs_communes = []
    for code, nom in communes["nom"].sort_values(key=lambda s: s.str.normalize("NFKD")).items():
        code = str(code)
        if code in large.index:
            valeurs = {k: large.at[code, k] for k in [*variables, *(v + SUFFIXE_SECRET for v in variables)]}
            valeurs = {k: (bool(x) if k.endswith(SUFFIXE_SECRET) else float(x)) for k, x in valeurs.items()}
        elif inventaire and couvert("departement", ref.get(code, {}).get("DEP") or _departement_du_code(code)):
            valeurs = _zero(variables)
        else:
            valeurs = _vide(variables)
        valeurs_communes.append(valeurs)
        lignes.append({"libelle": nom, "niveau": "commune", "codgeo": code, **valeurs})
    territoire = _somme(pd.DataFrame(valeurs_communes, columns=list(_vide(variables))), variables)
    type_territoire = getattr(etude, "type_territoire", "")
    if type_territoire in ("epci", "departement"):
        niveau = "epci" if type_territoire == "epci" else "departement"
        territoire = _avec_publies(territoire, publies_.get((niveau, str(etude.code_territoire))))
    lignes.append({"libelle": etude.nom_territoire, "niveau": "territoire", "codgeo": etude.code_territoire,
                   **territoire})
    for niveau, code, libelle in _references(etude):
        code = str(code)
        if niveau == "france":
            bloc = large
        elif niveau == "epci":
            bloc = large[large.index.isin(_communes_du_niveau("epci", code))]
        else:
            bloc = large[large[niveau] == code]
        calcule = _somme(bloc, variables) if couvert(niveau, code) else _vide(variables)
        publie = publies_.get((niveau, code))
        if niveau == "france" and publie:  # the France the source publishes (« France hors Mayotte »)
            libelle = libelle_france(source, prov, libelle)
        lignes.append({"libelle": libelle, "niveau": niveau, "codgeo": code, **_avec_publies(calcule, publie)})
    return pd.DataFrame(lignes), prov


def libelle_france(source: str, prov: Provenance | None, defaut: str = "France") -> str:
    """The name of the France a source publishes: « France hors Mayotte » (recensement, Melodi F),
    « France métropolitaine » (Filosofi files), « France entière hors Mayotte » (Cnaf)..."""
    from diagnostic_territorial.sources import preparation as donnees

    france = ((prov.extra or {}).get("france") if prov is not None else "") or ""
    if france:
        return france[0].upper() + france[1:]
    return LIBELLES_FRANCE.get(donnees.cle_source(source), defaut)


def publies(etude, source: str, millesime: int, variables: list[str]) -> tuple[pd.DataFrame, Provenance | None]:
    """Values read at the level where the source publishes them (no aggregation).

    The territory's row is the EPCI's published row when the territory is one EPCI; for a list
    of communes it is left empty (a median cannot be computed from communes' medians), except for
    a single commune.
    """
    codes = set(etude.communes["code"])
    df, prov = _lire_cache(etude, source, millesime, [("variable", "in", list(variables))])
    large = _pivot(df.assign(codgeo=df["niveau"].astype(str) + ":" + df["codgeo"].astype(str)), variables)
    vide = {**{v: np.nan for v in variables}, **{v + SUFFIXE_SECRET: False for v in variables}}

    def ligne(niveau: str, code: str) -> dict:
        cle = f"{niveau}:{code}"
        if cle in large.index:
            return large.loc[cle].to_dict()
        return dict(vide)

    lignes = []
    communes = etude.communes.set_index("code")
    for code, nom in communes["nom"].sort_values(key=lambda s: s.str.normalize("NFKD")).items():
        lignes.append({"libelle": nom, "niveau": "commune", "codgeo": code, **ligne("commune", code)})
    if etude.type_territoire == "epci":
        territoire = ligne("epci", etude.code_territoire)
    elif etude.type_territoire == "departement":
        territoire = ligne("departement", etude.code_territoire)
    elif len(codes) == 1:
        territoire = ligne("commune", next(iter(codes)))
    else:
        territoire = dict(vide)
    lignes.append({"libelle": etude.nom_territoire, "niveau": "territoire", "codgeo": etude.code_territoire,
                   **territoire})
    for niveau, code, libelle in _references(etude):
        # the France the source publishes (Filosofi's national file is France métropolitaine)
        nom = libelle_france(source, prov, libelle) if niveau == "france" else libelle
        lignes.append({"libelle": nom, "niveau": niveau, "codgeo": code, **ligne(niveau, code)})
    return pd.DataFrame(lignes), prov


def ratio(table: pd.DataFrame, numerateur: str | list[str], denominateur: str | list[str],
          facteur: float = 1.0) -> pd.Series:
    """Row-wise ratio of sums (numerators and denominators may be lists of variables to add)."""
    num = [numerateur] if isinstance(numerateur, str) else list(numerateur)
    den = [denominateur] if isinstance(denominateur, str) else list(denominateur)
    n = table[num].sum(axis=1, min_count=len(num))
    d = table[den].sum(axis=1, min_count=len(den))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = n / d.where(d != 0)
    return r * facteur


def secret(table: pd.DataFrame, variables: str | list[str]) -> pd.Series:
    variables = [variables] if isinstance(variables, str) else list(variables)
    return table[[v + SUFFIXE_SECRET for v in variables]].any(axis=1)


def taux_croissance_annuel(fin: pd.Series, debut: pd.Series, annees: int) -> pd.Series:
    """Annual average growth rate (P_fin / P_debut)^(1/n) - 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (fin / debut.where(debut > 0)) ** (1.0 / annees) - 1.0
