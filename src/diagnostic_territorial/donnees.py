"""Data preparation for a study: find or download the official files, parse them once into the
parquet cache, and load them restricted to the study's territory and its references.

`etude` is any object with: dossier_brut, dossier_cache (Path), millesimes (dict), communes
(DataFrame: code, nom, departement, region, epci), departement and region ((code, nom) tuples).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .erreurs import DonneeManquante, FormatInconnu
from .sources import bpe, cache, caf, catalogue, filosofi, france_travail, population, rp

# keys of etude.millesimes -> source of the catalogue (rp_precedent is inside the rp file)
SOURCES_ETUDE = {
    "rp": "rp_evol_struct_pop",
    "filosofi": "filosofi",
    "filosofi_precedent": "filosofi",
    "populations_legales": "populations_legales",
    "rp_couples_familles_menages": "rp_couples_familles_menages",
    "rp_logement": "rp_logement",
    "rp_emploi_pop_active": "rp_emploi_pop_active",
    "rp_diplomes_formation": "rp_diplomes_formation",
    "bpe": "bpe",
    "caf": "caf_iris",
    "caf_iris": "caf_iris",
    "caf_communes": "caf_communes",
    "caf_communes_precedent": "caf_communes",
    "caf_txcouv_pe": "caf_txcouv_pe",
    "caf_txcouv_pe_precedent": "caf_txcouv_pe",
    "france_travail": "france_travail",
    "france_travail_precedent": "france_travail",
}
# Sources a full study (one with an "rp" millésime) prepares even when etude.yaml does not name
# them: key -> default millésime (None: the study's RP millésime). The *_precedent keys give the
# earlier millésime of the same source, for evolutions (two millésimes of one source).
SOURCES_PAR_DEFAUT = {
    "rp_couples_familles_menages": None,
    "rp_logement": None,
    "rp_emploi_pop_active": None,
    "rp_diplomes_formation": None,
    "bpe": 2018,
    "caf": 2020,
    "caf_communes": 2020,
    "caf_communes_precedent": 2017,
    "caf_txcouv_pe": 2020,
    "caf_txcouv_pe_precedent": 2017,
    "france_travail": 2020,
    "france_travail_precedent": 2017,
}


@dataclass
class Disponibilite:
    source: str
    millesime: int
    fichier: str
    statut: str  # "ok", "manquant" (absent, not downloadable) or "illisible" (FormatInconnu)
    message: str = ""


def cle_source(source: str) -> str:
    return SOURCES_ETUDE.get(source, source)


def millesime_source(etude, cle: str) -> int | None:
    """The millésime a study uses for a source key of SOURCES_ETUDE (« caf_communes »,
    « france_travail_precedent »...): etude.millesimes first, then SOURCES_PAR_DEFAUT (whose None
    means the study's RP millésime). None when the study names no millésime for the key."""
    millesimes = dict(getattr(etude, "millesimes", None) or {})
    if millesimes.get(cle) is not None:
        return int(millesimes[cle])
    if cle not in SOURCES_PAR_DEFAUT:
        return None
    defaut = SOURCES_PAR_DEFAUT[cle]
    if defaut is None:
        return int(millesimes["rp"]) if millesimes.get("rp") is not None else None
    return int(defaut)


def chemin_cache(etude, source: str, millesime: int) -> Path:
    return Path(etude.dossier_cache) / f"{cle_source(source)}_{int(millesime)}.parquet"


# Sources published as one file holding every year (data.caf.fr exports, demandeurs d'emploi):
# the file is parsed once and each millésime's cache takes its year (`preparer` builds the
# millésimes of one source one after the other; only the files of the last source are kept).
LECTEURS_TOUS_MILLESIMES = {
    "caf_communes": lambda chemin: caf.lire_communes(chemin, None),
    "caf_txcouv_pe": lambda chemin: caf.lire_txcouv_pe(chemin, None),
    "france_travail": lambda chemin: france_travail.lire(chemin, None),
}
_LECTURES: dict = {}


def _lire_un_millesime(fichier: catalogue.FichierOfficiel, chemin: Path) -> pd.DataFrame:
    etat = chemin.stat()
    cle = (fichier.cle, str(chemin), etat.st_mtime_ns, etat.st_size)
    if cle not in _LECTURES:
        if any(k[0] != fichier.cle for k in _LECTURES):
            _LECTURES.clear()
        _LECTURES[cle] = LECTEURS_TOUS_MILLESIMES[fichier.cle](chemin)
    tous = _LECTURES[cle]
    garder = (tous["millesime"] == int(fichier.millesime)).to_numpy()
    if not garder.any():
        annees = ", ".join(str(a) for a in sorted(set(tous["millesime"]))) or "aucune"
        raise FormatInconnu(chemin.name, f"aucune donnée pour {fichier.millesime} dans le fichier "
                                         f"(années présentes : {annees})")
    tidy = tous[garder].reset_index(drop=True)
    tidy.attrs["provenance"] = dataclasses.replace(tous.attrs["provenance"], millesime=int(fichier.millesime))
    return tidy


def _lire_fichier(fichier: catalogue.FichierOfficiel, chemin: Path) -> pd.DataFrame:
    if fichier.cle in LECTEURS_TOUS_MILLESIMES:
        return _lire_un_millesime(fichier, chemin)
    membre = fichier.membre if chemin.suffix.lower() == ".zip" else None
    if fichier.cle == "filosofi":
        return filosofi.lire(chemin, membre=membre)
    if fichier.cle == "rp_evol_struct_pop":
        return rp.lire(chemin, fichier.millesime, membre=membre)
    if fichier.cle == "populations_legales":
        return population.lire(chemin, fichier.millesime)
    if fichier.cle.startswith("rp_"):
        return rp.lire(chemin, fichier.millesime, membre=membre)
    if fichier.cle == "bpe":
        return bpe.lire(chemin, fichier.millesime, membre=membre)
    if fichier.cle == "caf_iris":
        iris = caf.lire_iris(chemin, fichier.millesime)
        tidy = pd.concat([iris, caf.agreger_communes(iris)], ignore_index=True)
        tidy.attrs = dict(iris.attrs)
        return tidy
    raise ValueError(f"source sans lecteur : {fichier.cle}")


def _localiser(etude, fichiers, telecharger: bool) -> tuple[list[Path], list[DonneeManquante]]:
    brut = Path(etude.dossier_brut)
    chemins, manquants = [], []
    for fichier in fichiers:
        chemin = catalogue.trouver(fichier, brut)
        if chemin is None and telecharger:
            try:
                catalogue.telecharger(fichier, brut)
            except DonneeManquante as exc:
                manquants.append(exc)
                continue
            chemin = catalogue.trouver(fichier, brut)
        if chemin is None:
            manquants.append(DonneeManquante(fichier.nom_fichier, fichier.url, brut, fichier.source))
            continue
        chemins.append(chemin)
    return chemins, manquants


def _provenance(fichiers, chemins: list[Path], tables: list[pd.DataFrame], dossier_brut: Path):
    premiere = tables[0].attrs["provenance"]
    simules = catalogue.fichiers_simules(dossier_brut)
    simule = any(
        f.noms_reconnus() & simules or chemin.name.lower() in simules for f, chemin in zip(fichiers, chemins)
    )
    empreintes = {t.attrs["provenance"].fichier: t.attrs["provenance"].sha256 for t in tables}
    return dataclasses.replace(
        premiere,
        source=fichiers[0].source,
        libelle=fichiers[0].libelle,
        fichier=", ".join(f.nom_fichier for f in fichiers),
        url=fichiers[0].url if len({f.url for f in fichiers}) == 1 else premiere.url,
        sha256=premiere.sha256 if len(tables) == 1 else "",
        simule=simule,
        extra={"sha256": empreintes, "urls": sorted({f.url for f in fichiers})},
    )


def _construire(etude, cle: str, millesime: int, telecharger: bool) -> Disponibilite:
    """Build (or keep) the cache of one (source, millésime); raises DonneeManquante/FormatInconnu."""
    fichiers = catalogue.fichiers(cle, millesime)
    noms = ", ".join(f.nom_fichier for f in fichiers)
    chemins, manquants = _localiser(etude, fichiers, telecharger)
    cible = chemin_cache(etude, cle, millesime)
    if manquants:
        if cible.exists():  # data/brut/ was cleaned after the cache was built: keep the cache
            return Disponibilite(cle, millesime, noms, "ok", "cache existant (fichier source absent de data/brut)")
        raise manquants[0] if len(manquants) == 1 else _Manquants(manquants)
    entrees = chemins + [p for p in [Path(etude.dossier_brut) / "simulations.yaml"] if p.exists()]
    if cible.exists() and cible.stat().st_mtime >= max(p.stat().st_mtime for p in entrees):
        return Disponibilite(cle, millesime, noms, "ok", "cache à jour")
    tables = [_lire_fichier(f, p) for f, p in zip(fichiers, chemins)]
    tidy = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    tidy.attrs["provenance"] = _provenance(fichiers, chemins, tables, Path(etude.dossier_brut))
    cache.ecrire(tidy, cible)
    return Disponibilite(cle, millesime, noms, "ok", f"{len(tidy)} valeurs mises en cache dans {cible.name}")


class _Manquants(DonneeManquante):
    """Several files of one source are missing: the message lists them all."""

    def __init__(self, erreurs: list[DonneeManquante]):
        premiere = erreurs[0]
        super().__init__(premiere.fichier, premiere.url, premiere.dossier, premiere.source, premiere.raison)
        self.erreurs = erreurs
        self.args = ("\n".join(str(e) for e in erreurs),)

    def __str__(self) -> str:
        return self.args[0]


def besoins(etude) -> list[tuple[str, int]]:
    """The (source, millésime) pairs the study needs, in a stable order without duplicates."""
    millesimes = dict(etude.millesimes or {})
    if "rp" in millesimes:
        for cle in SOURCES_PAR_DEFAUT:
            millesimes.setdefault(cle, millesime_source(etude, cle))
    vus = []
    for cle, millesime in millesimes.items():
        if cle in SOURCES_ETUDE and millesime is not None and (SOURCES_ETUDE[cle], int(millesime)) not in vus:
            vus.append((SOURCES_ETUDE[cle], int(millesime)))
    return vus


def preparer(etude, telecharger: bool = True) -> list[Disponibilite]:
    """Find (or download) and parse every source the study needs; never stops on one failure."""
    resultats = []
    for cle, millesime in besoins(etude):
        if millesime not in catalogue.millesimes(cle):
            message = (
                f"Millésime {millesime} non pris en charge pour « {cle} » "
                f"(millésimes connus : {', '.join(map(str, catalogue.millesimes(cle)))})."
            )
            resultats.append(Disponibilite(cle, millesime, "", "manquant", message))
            continue
        try:
            resultats.append(_construire(etude, cle, millesime, telecharger))
        except DonneeManquante as exc:
            noms = ", ".join(f.nom_fichier for f in catalogue.fichiers(cle, millesime))
            resultats.append(Disponibilite(cle, millesime, noms, "manquant", str(exc)))
        except FormatInconnu as exc:
            resultats.append(Disponibilite(cle, millesime, exc.fichier, "illisible", str(exc)))
    _LECTURES.clear()
    return resultats


def preparer_contours(etude) -> Disponibilite:
    """The communes' contours for the maps, simplified once here rather than by the first notebook
    that draws a map (notebooks running in parallel then only read them)."""
    from .cartes import ContoursIndisponibles, contours_depuis_cache, tolerance

    codes = list(etude.communes["code"])
    try:
        contours_depuis_cache(codes, etude.dossier_cache)
    except ContoursIndisponibles as exc:
        return Disponibilite("contours_communes", 0, "", "manquant", str(exc))
    return Disponibilite("contours_communes", 0, f"contours_communes_{int(round(tolerance(len(codes))))}m.parquet", "ok",
                         "")


def codes_territoire(etude) -> dict[str, set[str]]:
    """Codes of the territory and its references, by niveau."""
    communes = etude.communes
    return {
        "commune": {str(c) for c in communes["code"]},
        "epci": {str(c) for c in communes["epci"].dropna().unique()},
        "departement": {str(etude.departement[0])},
        "region": {str(etude.region[0])},
        "france": {"FRM"},
    }


def charger(etude, source: str, millesime: int) -> pd.DataFrame:
    """The cached source restricted to the territory's communes, EPCI, département, région and
    France (tidy table with its provenance). Builds the cache from data/brut/ if needed."""
    cle = cle_source(source)
    cible = chemin_cache(etude, cle, millesime)
    if not cible.exists():
        try:
            _construire(etude, cle, int(millesime), telecharger=False)
        finally:
            _LECTURES.clear()
    codes = codes_territoire(etude)
    return cache.lire(cible, niveaux=codes)
