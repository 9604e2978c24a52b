"""Indicators for the territory, its communes and its references, following the data rules:
- additive counts (RP) are summed; a territory's rate is sum of numerators / sum of denominators;
- medians and rates that cannot be aggregated (Filosofi) are read at the level the source
  publishes them (EPCI, département, région, France métropolitaine), never averaged;
- masked cells stay masked (NaN with secret=True), never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .erreurs import DonneeManquante
from .sources.schema import Provenance
from .territoire import referentiel

LIBELLE_TERRITOIRE = "Territoire"
SUFFIXE_SECRET = "__secret"


def _lire_cache(etude, source: str, millesime: int, filtres: list) -> tuple[pd.DataFrame, Provenance | None]:
    """Read only the rows needed from a source's cache (filters pushed down to pyarrow)."""
    import pyarrow.parquet as pq

    from . import donnees
    from .sources import cache, catalogue

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


def _references(etude) -> list[tuple[str, str, str]]:
    """(niveau, codgeo, libelle) of the reference territories, in display order."""
    return [
        ("departement", etude.departement[0], etude.departement[1]),
        ("region", etude.region[0], etude.region[1]),
        ("france", "FRM", "France"),
    ]


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


def additifs(etude, source: str, millesime_fichier: int, variables: list[str],
             millesime: int | None = None) -> tuple[pd.DataFrame, Provenance | None]:
    """Counts for each commune of the territory, the territory (sum of its communes), and the
    département, région and France (sums of all their communes in the source file).

    Returns a table with columns libelle, niveau, codgeo, the variables and <variable>__secret.
    """
    millesime = millesime or millesime_fichier
    df, prov = _lire_cache(etude, source, millesime_fichier,
                           [("variable", "in", list(variables)), ("millesime", "=", int(millesime)),
                            ("niveau", "=", "commune")])
    large = _pivot(df, variables)
    ref = referentiel()["communes"]
    large["departement"] = [ref.get(c, {}).get("DEP") for c in large.index]
    large["region"] = [ref.get(c, {}).get("REG") for c in large.index]
    communes = etude.communes.set_index("code")
    lignes = []
    for code, nom in communes["nom"].sort_values(key=lambda s: s.str.normalize("NFKD")).items():
        if code in large.index:
            bloc = large.loc[[code]]
            lignes.append({"libelle": nom, "niveau": "commune", "codgeo": code, **_somme(bloc, variables)})
        else:
            lignes.append({"libelle": nom, "niveau": "commune", "codgeo": code,
                           **{v: np.nan for v in variables}, **{v + SUFFIXE_SECRET: False for v in variables}})
    dans_territoire = large[large.index.isin(communes.index)]
    lignes.append({"libelle": etude.nom_territoire, "niveau": "territoire", "codgeo": etude.code_territoire,
                   **_somme(dans_territoire, variables)})
    for niveau, code, libelle in _references(etude):
        if niveau == "france":
            bloc = large
        else:
            bloc = large[large[niveau] == code]
        lignes.append({"libelle": libelle, "niveau": niveau, "codgeo": code, **_somme(bloc, variables)})
    return pd.DataFrame(lignes), prov


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
        nom = "France métropolitaine" if niveau == "france" else libelle
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
