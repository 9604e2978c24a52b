"""Data preparation for a study: recognise the files of data/brut/ (whatever their names), decide
the millésime of each source (« dernier » = the latest the files provided hold), download what is
missing when online, parse each source once into the parquet cache, and load it restricted to the
study's territory and its references.

The cache carries the study's data, not all of France (`_reduire`): the rows of its communes, EPCI,
départements, régions and France, and, for the sources of counts, its references summed once from
every commune of the national file (so that each figure is the one the whole file gives). Its key
holds the sha256 of the files read, of the code reading them and what the study keeps: a reader
fixed in the library, or a cache written by an earlier version, is rebuilt by « make donnees ».

`etude` is any object with: racine or dossier_brut/dossier_cache (Path), millesimes (dict),
communes (DataFrame: code, nom, departement, region, epci), departement and region ((code, nom)).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from diagnostic_territorial import empreintes as noyau
from diagnostic_territorial.erreurs import DonneeManquante, FormatInconnu
from diagnostic_territorial.sources import bpe, cache, caf, catalogue, controles, filosofi, france_travail, melodi, population, reconnaissance, rp

# Version of the assembly of a cache (this module and sources/cache.py), raised by hand when it
# changes; each reader's own code is followed automatically (MODULES_LECTEURS). A cache built by
# another version is rebuilt. 5: the cache keeps the study's communes and its references only.
VERSION_LECTEURS = 5
# The code reading each layout of data/brut/ (files of sources/): its sha256 is part of the key of
# the caches it fills, so that a reader fixed in the library rebuilds the caches it wrote.
MODULES_LECTEURS = {
    "melodi": ("melodi.py", "melodi.toml"),
    "filosofi": ("filosofi.py",),
    "rp_base_cc": ("rp.py",),
    "populations_legales": ("population.py",),
    "bpe_agregee": ("bpe.py",),
    "bpe_xy": ("bpe.py",),
    "caf_iris": ("caf.py",),
    "caf_communes": ("caf.py",),
    "caf_txcouv_pe": ("caf.py",),
    "france_travail": ("france_travail.py",),
}
MODULES_COMMUNS = ("schema.py", "controles.py")  # parsing helpers and plausibility checks of every reader
# Sources whose values are medians or published rates: read where the source publishes them
# (indicateurs.publies), never summed from communes, so no reference is computed for them.
SOURCES_NON_ADDITIVES = frozenset({"filosofi", "caf_txcouv_pe"})

# keys of etude.millesimes -> source of the catalogue (rp_precedent is inside the rp file)
SOURCES_ETUDE = {
    "rp": "rp_evol_struct_pop",
    "filosofi": "filosofi",
    "filosofi_precedent": "filosofi",
    "populations_legales": "populations_legales",
    "rp_couples_familles_menages": "rp_couples_familles_menages",
    "rp_logement": "rp_logement",
    "rp_emploi_pop_active": "rp_emploi_pop_active",
    "rp_caract_emploi": "rp_caract_emploi",
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
DERNIER = "dernier"
# What a full study (one with an "rp" millésime) reads when etude.yaml does not name a source:
# key -> default request (None: the study's RP millésime, always: every base of the recensement is
# read at the year of « rp », as the catalogue reads it (catalogue.CLE_MILLESIME), so that
# etude.yaml cannot ask « make donnees » for a year no indicator reads; "dernier": the latest held
# by the files provided, or the latest published when nothing is provided).
SOURCES_PAR_DEFAUT = {
    "rp_couples_familles_menages": None,
    "rp_logement": None,
    "rp_emploi_pop_active": None,
    "rp_caract_emploi": None,
    "rp_diplomes_formation": None,
    "filosofi": DERNIER,
    "populations_legales": DERNIER,
    "bpe": DERNIER,
    "caf": DERNIER,
    "caf_communes": DERNIER,
    "caf_txcouv_pe": DERNIER,
    "france_travail": DERNIER,
}


class Precedent(NamedTuple):
    """The previous millésime of a key of etude.millesimes (« rp », « filosofi »...)."""

    cle: str  # key of etude.millesimes giving its year (« rp_precedent »)
    fichier: str  # key of the file holding its data (« rp »: the RP N-6 is inside the file of the RP N)
    ecart: int | None  # years back when etude.yaml does not give it; None: the earliest year the file
    # holds within ECART_MAX years (one export holds every year)


# THE table of previous millésimes, read by `resoudre` (which year) and `millesimes_de` (which file
# and which data: every evolution of the report, catalogue_indicateurs included).
PRECEDENTS = {
    "rp": Precedent("rp_precedent", "rp", 6),
    "filosofi": Precedent("filosofi_precedent", "filosofi_precedent", 3),
    "caf_communes": Precedent("caf_communes_precedent", "caf_communes_precedent", None),
    "caf_txcouv_pe": Precedent("caf_txcouv_pe_precedent", "caf_txcouv_pe_precedent", None),
    "france_travail": Precedent("france_travail_precedent", "france_travail_precedent", None),
}
CLES_PRECEDENTES = frozenset(p.cle for p in PRECEDENTS.values())
ECART_MAX = 10
# Sources whose files hold the main census and earlier ones: a file serves its latest year only.
SOURCES_RP = frozenset(c for c in SOURCES_ETUDE.values() if c.startswith("rp_"))


@dataclass
class Disponibilite:
    source: str
    millesime: int
    fichier: str
    statut: str  # "ok", "manquant" (absent, not downloadable) or "illisible" (FormatInconnu)
    message: str = ""
    relu: str = ""  # why an existing cache was rebuilt (files, reader or study changed), in French


@dataclass
class Piece:
    """A data file of data/brut/ recognised by its content, and the millésimes it can serve."""

    reconnu: reconnaissance.Reconnu
    annees: tuple[int, ...]

    @property
    def source(self) -> str:
        return self.reconnu.source

    @property
    def servis(self) -> tuple[int, ...]:
        if self.source in SOURCES_RP and self.annees:
            return (max(self.annees),)
        return self.annees

    @property
    def nom(self) -> str:
        return self.reconnu.nom


def cle_source(source: str) -> str:
    return SOURCES_ETUDE.get(source, source)


def _dossier_brut(etude) -> Path:
    return Path(etude.dossier_brut)


def _dossier_cache(etude) -> Path:
    return Path(etude.dossier_cache)


# --- Inventory of data/brut/ ----------------------------------------------------------------------


# The files of data/brut/ are hashed by the project's one fingerprint kernel, memoised for this
# process only (by size, date and inode): each « make donnees » reads their content again once.
_EMPREINTES = noyau.Empreintes(None)


def empreinte(chemin: Path) -> str:
    """sha256 of a file of data/brut/: the cache follows the content of the files, not their dates
    (a file replaced by another one carrying an older date is read again). Hashed once per process."""
    return _EMPREINTES.fichier(chemin)


def inventaire(dossier_brut: Path, dossier_cache: Path | None = None) -> tuple[list[Piece], list]:
    """The recognised files of data/brut/ with the years they hold, and the unrecognised ones.
    The years of each file are kept in data/cache/inventaire.json (by name, size and date) so that
    a national file is scanned once."""
    reconnus, inconnus = reconnaissance.inventaire(dossier_brut)
    memoire_chemin = Path(dossier_cache) / "inventaire.json" if dossier_cache else None
    memoire = {}
    if memoire_chemin and memoire_chemin.exists():
        try:
            memoire = json.loads(memoire_chemin.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            memoire = {}
    pieces, nouvelle = [], {}
    for r in reconnus:
        cle = r.nom
        sha = empreinte(r.chemin)
        connu = memoire.get(cle)
        if connu and connu.get("sha256") == sha:
            annees = tuple(connu["annees"])
        else:
            annees = reconnaissance.annees(r)
        nouvelle[cle] = {"sha256": sha, "annees": list(annees)}
        pieces.append(Piece(r, annees))
    if memoire_chemin and nouvelle != memoire and memoire_chemin.parent.exists():
        from diagnostic_territorial.ecriture import _ecrire_atomiquement

        try:
            _ecrire_atomiquement(memoire_chemin, json.dumps(nouvelle, indent=1, sort_keys=True).encode("utf-8"))
        except OSError:
            pass  # a read-only study still works: the years are scanned again next time
    return pieces, inconnus


# --- Millésimes ----------------------------------------------------------------------------------


@dataclass
class Resolution:
    millesimes: dict  # key of etude.millesimes -> year
    explications: dict = field(default_factory=dict)  # key -> French sentence for make donnees
    explicites: set = field(default_factory=set)  # sources whose year etude.yaml gives


def _demandes(millesimes: dict) -> dict:
    """The millésimes requested by etude.yaml completed with the defaults of a full study."""
    demandes = {str(k): v for k, v in (millesimes or {}).items()}
    if demandes.get("rp") is not None:
        for cle, defaut in SOURCES_PAR_DEFAUT.items():
            if defaut is None:
                demandes[cle] = demandes["rp"]  # one RP millésime for every base, whatever is written
            elif demandes.get(cle) is None:
                demandes[cle] = defaut
    return demandes


def _est_dernier(valeur) -> bool:
    return isinstance(valeur, str) and valeur.strip().lower() in (DERNIER, "latest", "dernière", "derniere")


def resoudre(millesimes: dict, pieces: list[Piece]) -> Resolution:
    """Years of every key of etude.millesimes: an explicit year is kept; « dernier » is the latest
    year held by the files of data/brut/ for that source (the latest published when none is
    there: it will be downloaded); previous millésimes follow PRECEDENTS unless given."""
    demandes = _demandes(millesimes)
    resolus, explications, explicites = {}, {}, set()
    servis: dict[str, set[int]] = {}
    noms: dict[str, list[str]] = {}
    for p in pieces:
        if p.reconnu.disposition == "caf_communes" and p.reconnu.detail:
            continue  # the EPCI and département exports complete the communes' year, never decide it
        servis.setdefault(p.source, set()).update(p.servis)
        noms.setdefault(p.source, []).append(p.nom)
    for cle, valeur in demandes.items():
        if cle in CLES_PRECEDENTES or cle.endswith("_precedent"):
            continue
        source = cle_source(cle)
        if _est_dernier(valeur):
            sans_annee = [p.nom for p in pieces if p.source == source and not p.annees and cle != "rp"]
            if sans_annee and not servis.get(source):
                explications[cle] = (f"millésime inconnu : {', '.join(sans_annee)} ne porte pas son année ; "
                                     f"indiquez « {cle}: <année> » dans la section millesimes d'etude.yaml")
            if cle == "rp":
                disponibles = set().union(*(servis.get(s, set()) for s in SOURCES_RP))
            else:
                disponibles = servis.get(source, set())
            if disponibles:
                resolus[cle] = max(disponibles)
                sources = [*SOURCES_RP] if cle == "rp" else [source]
                fichiers = sorted({p.nom for p in pieces if p.source in sources and resolus[cle] in p.servis})
                explications[cle] = (f"{resolus[cle]} : dernier millésime des fichiers fournis "
                                     f"({', '.join(fichiers[:3])}{'…' if len(fichiers) > 3 else ''})")
            elif catalogue.dernier(source) is not None:
                resolus[cle] = catalogue.dernier(source)
                explications.setdefault(
                    cle, f"{resolus[cle]} : dernier millésime publié connu (aucun fichier dans data/brut)")
            continue
        try:
            resolus[cle] = int(valeur)
            explicites.add(source)
        except (TypeError, ValueError):
            continue
    for principale, (cle, _, ecart) in PRECEDENTS.items():
        demande = demandes.get(cle)
        if demande is not None and not _est_dernier(demande):
            try:
                resolus[cle] = int(demande)
            except (TypeError, ValueError):
                pass
            continue
        if principale not in resolus:
            continue
        m = resolus[principale]
        disponibles = sorted(a for a in servis.get(cle_source(principale), set()) if a < m)
        if ecart is not None:
            if cle == "rp_precedent" or not disponibles or (m - ecart) in disponibles:
                resolus[cle] = m - ecart
            else:
                resolus[cle] = disponibles[-1]
                explications[cle] = f"{resolus[cle]} : millésime précédent le plus récent des fichiers fournis"
        else:
            dans_la_fenetre = [a for a in disponibles if a >= m - ECART_MAX]
            if dans_la_fenetre:
                resolus[cle] = dans_la_fenetre[0]
                explications[cle] = f"{resolus[cle]} : plus ancien millésime du fichier (évolution {resolus[cle]}-{m})"
    if "rp" in resolus:  # « dernier » for one base may differ from the RP millésime: the RP's wins
        for cle, defaut in SOURCES_PAR_DEFAUT.items():
            if defaut is None:
                resolus[cle] = resolus["rp"]
                explications.pop(cle, None)
    if "rp" in resolus and "populations_legales" not in resolus:
        resolus["populations_legales"] = resolus["rp"]
    return Resolution(resolus, explications, explicites)


def millesimes_etude(racine: Path, millesimes: dict) -> Resolution:
    """The millésimes of a study (etude.yaml's requests resolved against its data/brut/), read from
    data/cache/millesimes.json when `make donnees` wrote it for the same requests and files."""
    racine = Path(racine)
    brut, dossier_cache = racine / "data" / "brut", racine / "data" / "cache"
    chemin = dossier_cache / "millesimes.json"
    signature = _signature_brut(brut)
    demandes = {str(k): v for k, v in (millesimes or {}).items()}
    if chemin.exists():
        try:
            enregistre = json.loads(chemin.read_text(encoding="utf-8"))
            if enregistre.get("demandes") == demandes and enregistre.get("brut") == signature:
                return Resolution({k: int(v) for k, v in enregistre["millesimes"].items()},
                                  enregistre.get("explications", {}))
        except (ValueError, OSError, KeyError, TypeError):
            pass
    pieces, _ = inventaire(brut, dossier_cache if dossier_cache.exists() else None)
    return resoudre(demandes, pieces)


def _signature_brut(brut: Path) -> dict:
    if not brut.is_dir():
        return {}
    return {p.name: noyau.signature(p) for p in sorted(brut.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _enregistrer_millesimes(etude, resolution: Resolution) -> None:
    from diagnostic_territorial.ecriture import _ecrire_atomiquement

    demandes = {str(k): v for k, v in (getattr(etude, "millesimes_demandes", None) or etude.millesimes).items()}
    contenu = {"demandes": demandes, "brut": _signature_brut(_dossier_brut(etude)),
               "millesimes": resolution.millesimes, "explications": resolution.explications}
    _ecrire_atomiquement(_dossier_cache(etude) / "millesimes.json",
                         json.dumps(contenu, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


class Millesimes(NamedTuple):
    """The millésimes a study reads for a source: its file (data/cache/<source>_<fichier>.parquet)
    and the year of the data inside it (the RP N-6 is inside the RP file of year N)."""

    fichier: int
    donnees: int


def _annee(millesimes: dict, cle: str) -> int | None:
    """The year of a key of etude.millesimes: the resolved year, then the defaults of a full study
    (SOURCES_PAR_DEFAUT: the study's RP millésime, or the latest published). None: nothing gives one."""
    valeur = millesimes.get(cle)
    if valeur is not None and not _est_dernier(valeur):
        return int(valeur)
    if _est_dernier(valeur) or (cle in SOURCES_PAR_DEFAUT and millesimes.get("rp") is not None):
        return catalogue.dernier(cle_source(cle))
    return None


def cle_millesime(cle: str) -> str:
    """The key of etude.millesimes deciding `cle`: a source of the catalogue gives its key
    (« rp_logement » -> « rp », « caf_iris » -> « caf »), any other key is its own."""
    from diagnostic_territorial.indicateurs.catalogue import CLE_MILLESIME

    return CLE_MILLESIME.get(cle, cle)


def millesimes_de(etude, cle: str, precedent: bool = False) -> Millesimes | None:
    """THE millésime decision, asked by every reader of a study (catalogue_indicateurs, observation,
    the chapters, the deliverables): for a key of etude.millesimes (« rp », « filosofi »,
    « caf_communes »...; catalogue_indicateurs.cle_de_source gives the key of a catalogue source),
    the current millésime, or the previous one with `precedent` (PRECEDENTS: the RP N-6 inside the
    file of the RP N, the previous Filosofi file...), as Millesimes(fichier, donnees).

    A source of the catalogue is decided by its key (cle_millesime: every base of the recensement
    by « rp », the Caf file by IRIS by « caf »), so that « make donnees » prepares the year the
    indicators read. The years are those of etude.millesimes (etude.yaml resolved by `resoudre`),
    completed by the defaults of a full study. Raises MillesimeInconnu (naming the key) when nothing
    gives the current millésime; returns None when there is no previous one."""
    from diagnostic_territorial.indicateurs.catalogue import MillesimeInconnu

    cle = cle_millesime(cle)
    millesimes = dict(getattr(etude, "millesimes", None) or {})
    if not precedent:
        m = _annee(millesimes, cle)
        if m is None:
            raise MillesimeInconnu(f"Millésime « {cle} » non déclaré pour cette étude : ajoutez « {cle}: <année> » "
                                   "à la section millesimes d'etude.yaml.")
        return Millesimes(m, m)
    if cle not in PRECEDENTS:
        return None
    p = PRECEDENTS[cle]
    fichier, donnees_ = _annee(millesimes, p.fichier), _annee(millesimes, p.cle)
    if fichier is None or donnees_ is None:
        return None
    return Millesimes(fichier, donnees_)


def millesime_source(etude, cle: str) -> int | None:
    """The millésime a study uses for a key of SOURCES_ETUDE (« caf_communes »,
    « france_travail_precedent »...): that of millesimes_de, None when nothing gives one."""
    from diagnostic_territorial.indicateurs.catalogue import MillesimeInconnu

    try:
        return millesimes_de(etude, cle).fichier
    except MillesimeInconnu:
        return None


def chemin_cache(etude, source: str, millesime: int) -> Path:
    return _dossier_cache(etude) / f"{cle_source(source)}_{int(millesime)}.parquet"


# --- Reading the files of one (source, millésime) ---------------------------------------------------


def _codes_etude(etude) -> set[str]:
    return {str(c) for c in etude.communes["code"]}


def _lire_piece(etude, cle: str, millesime: int, piece: Piece) -> pd.DataFrame:
    r = piece.reconnu
    chemin, membre = r.chemin, r.membre
    if r.disposition == "melodi":
        return melodi.lire(chemin, membre=membre, codgeos=_codes_etude(etude) | _arrondissements(etude))
    if r.disposition == "filosofi":
        return filosofi.lire(chemin, membre=membre)
    if r.disposition == "rp_base_cc":
        return rp.lire(chemin, millesime, membre=membre)
    if r.disposition == "populations_legales":
        return population.lire(chemin, millesime, membre=membre)
    if r.disposition in ("bpe_agregee", "bpe_xy"):
        return bpe.lire(chemin, millesime, membre=membre)
    if r.disposition == "caf_iris":
        iris = caf.lire_iris(chemin, millesime if r.millesime_nom is None else None)
        tidy = pd.concat([iris, caf.agreger_communes(iris)], ignore_index=True)
        tidy.attrs = dict(iris.attrs)
        return tidy
    lecteurs = {"caf_communes": caf.lire_communes, "caf_txcouv_pe": caf.lire_txcouv_pe,
                "france_travail": france_travail.lire}
    if r.disposition in lecteurs:
        tous = _lire_tous_millesimes(r, lecteurs[r.disposition])
        garder = (tous["millesime"] == int(millesime)).to_numpy()
        if not garder.any():
            presentes = ", ".join(str(a) for a in sorted(set(tous["millesime"]))) or "aucune"
            raise FormatInconnu(r.nom, f"aucune donnée pour {millesime} dans le fichier (années présentes : {presentes})")
        tidy = tous[garder].reset_index(drop=True)
        tidy.attrs["provenance"] = dataclasses.replace(tous.attrs["provenance"], millesime=int(millesime))
        return tidy
    raise ValueError(f"disposition sans lecteur : {r.disposition}")


def _commune_actuelle(code: str) -> str:
    from diagnostic_territorial.indicateurs.calcul import commune_actuelle

    return commune_actuelle(str(code))


def _arrondissements(etude) -> set[str]:
    """Arrondissement codes of Paris, Lyon, Marseille when the study holds these communes (the
    sources publish them by arrondissement)."""
    from diagnostic_territorial.indicateurs.calcul import ARRONDISSEMENTS

    codes = _codes_etude(etude)
    sortie = set()
    for debut, fin, commune in ARRONDISSEMENTS:
        if commune in codes:
            sortie |= {str(c) for c in range(int(debut), int(fin) + 1)}
    return sortie


# Files holding every year are parsed once per preparation (each millésime's cache takes its year).
_LECTURES: dict = {}


def _lire_tous_millesimes(r: reconnaissance.Reconnu, lecteur) -> pd.DataFrame:
    cle = (str(r.chemin), r.membre, empreinte(r.chemin))
    if cle not in _LECTURES:
        if len(_LECTURES) > 4:
            _LECTURES.clear()
        chemin = r.chemin
        _LECTURES[cle] = lecteur(chemin, None)
    return _LECTURES[cle]


class _Manquants(DonneeManquante):
    """Several files of one source are missing: one message lists them all, each with its address."""

    def __init__(self, erreurs: list[DonneeManquante]):
        premiere = erreurs[0]
        super().__init__(premiere.fichier, premiere.url, premiere.dossier, premiere.source, premiere.raison)
        self.erreurs = erreurs
        raisons = sorted({e.raison for e in erreurs if e.raison})
        lignes = [f"Fichiers manquants ({premiere.source})"
                  + (f", téléchargement impossible : {' ; '.join(raisons)}" if raisons else "")
                  + f". Téléchargez-les et déposez-les dans {premiere.dossier}/ (tels quels : ils sont reconnus à "
                  "leur contenu) puis relancez « make donnees » :"]
        lignes += [f"      - {e.fichier} : {e.url}" for e in erreurs]
        self.args = ("\n".join(lignes),)

    def __str__(self) -> str:
        return self.args[0]


def _manquant(etude, fichier: catalogue.FichierOfficiel, raison: str = "") -> DonneeManquante:
    return DonneeManquante(fichier.nom_fichier, fichier.adresse, _dossier_brut(etude), fichier.source, raison=raison)


def _pieces_de(pieces: list[Piece], cle: str, millesime: int, explicite: bool = False) -> tuple[list[Piece], list[Piece]]:
    """Files of data/brut/ serving (source, millésime): one per layout and detail (the most recent
    copy when a file was dropped twice: `s_ben_com_f (1).csv`), current before historical. A file
    that does not carry its year (donnees_communes.csv) serves the year etude.yaml gives explicitly."""
    candidates = [p for p in pieces if p.source == cle and int(millesime) in p.servis]
    if not candidates and explicite:
        candidates = [p for p in pieces if p.source == cle and not p.annees]
    garder, doublons = {}, []
    for p in sorted(candidates, key=lambda p: p.reconnu.chemin.stat().st_mtime_ns, reverse=True):
        r = p.reconnu
        cle_copie = (r.disposition, r.detail, reconnaissance._simple(r.membre or "") if r.membre else "",
                     "hist" if "hist" in r.nom.lower() else "")
        if r.disposition in ("melodi",):
            cle_copie = (r.disposition, r.detail)
        if cle_copie in garder:
            doublons.append(p)
        else:
            garder[cle_copie] = p
    choisis = sorted(garder.values(), key=lambda p: ("hist" in p.nom.lower(), p.nom.lower()))
    return choisis, doublons


def _telecharger(etude, cle: str, millesime: int) -> list[DonneeManquante]:
    """Download the official files of (source, millésime) into data/brut/; returns the failures."""
    manquants = []
    for fichier in catalogue.fichiers(cle, millesime):
        try:
            if fichier.melodi:
                from diagnostic_territorial.sources import melodi_api

                try:
                    melodi_api.telecharger_etude(fichier, etude, _dossier_brut(etude))
                except DonneeManquante as exc:  # the bulk file's address is the one to give by hand
                    raise _manquant(etude, fichier, exc.raison) from None
            elif fichier.url:
                catalogue.telecharger(fichier, _dossier_brut(etude))
            else:
                manquants.append(_manquant(etude, fichier, "adresse de téléchargement inconnue"))
        except DonneeManquante as exc:
            manquants.append(exc)
    return manquants


# --- Version of the readers ------------------------------------------------------------------------

_VERSIONS: dict = {}


def version_lecteur(disposition: str) -> str:
    """sha256 (16 hex digits) of the code reading one layout of data/brut/ (its module of sources/,
    MODULES_LECTEURS, and the helpers every reader uses): part of the key of the caches it fills,
    so that a reader fixed in the library rebuilds them at the next « make donnees »."""
    if disposition not in _VERSIONS:
        dossier = Path(__file__).resolve().parent
        textes = []
        for nom in MODULES_LECTEURS.get(disposition, ()) + MODULES_COMMUNS:
            try:
                textes += [nom, (dossier / nom).read_bytes()]
            except OSError:  # sources not shipped (compiled install): the library's version stands for them
                from importlib import metadata

                try:
                    textes += [nom, metadata.version("diagnostic-territorial")]
                except metadata.PackageNotFoundError:
                    textes += [nom, "?"]
        _VERSIONS[disposition] = noyau.empreinte_textes(textes, longueur=16)
    return _VERSIONS[disposition]


def version_sommes() -> str:
    """sha256 (16 hex digits) of what sums the communes of a source into a reference: the code of
    indicateurs that `_references_calculees` and `_zeros_inventaire` reuse, its rules and the
    geography (COG) it sums in. A cache holds references summed once: it follows that code."""
    if "sommes" not in _VERSIONS:
        import inspect

        from diagnostic_territorial.indicateurs import calcul as ind
        from diagnostic_territorial.territoire.resolution import GEOGRAPHIE

        textes = [repr((ind.COUVERTURE_MINIMALE, sorted(ind.SOURCES_INVENTAIRE), ind.ARRONDISSEMENTS, GEOGRAPHIE))]
        for f in (ind._par_commune, ind._somme, ind._communes_du_niveau, ind.commune_actuelle, ind._lieu,
                  ind._departement_du_code):
            try:
                textes.append(inspect.getsource(inspect.unwrap(f)))
            except (OSError, TypeError):
                textes.append(f.__qualname__)
        _VERSIONS["sommes"] = noyau.empreinte_textes(textes, longueur=16)
    return _VERSIONS["sommes"]


# --- What a study's cache keeps: its communes and its references ---------------------------------


def geographie_etude(etude) -> dict[str, set[str]]:
    """Codes a study's cache keeps, by niveau: its communes (with the arrondissements of Paris,
    Lyon and Marseille), the EPCI of its communes, the départements and régions of its communes
    and of its references (and the territory itself when it is an EPCI or a département). Rows
    published under a former commune code are kept with their commune (see `_reduire`); France
    rows are always kept."""
    codes = codes_territoire(etude)
    communes = etude.communes
    geo = {"commune": set(codes["commune"]), "epci": {c for c in codes["epci"] if c},
           "departement": set(codes["departement"]), "region": set(codes["region"])}
    for colonne in ("departement", "region"):
        if colonne in communes:
            geo[colonne] |= {str(c) for c in communes[colonne].dropna() if str(c)}
    type_territoire = str(getattr(etude, "type_territoire", "") or "")
    if type_territoire in ("epci", "departement"):
        geo[type_territoire].add(str(etude.code_territoire))
    return geo


def _perimetre(etude) -> str:
    """Fingerprint of what a study's cache keeps: other communes or references, another cache."""
    from diagnostic_territorial.indicateurs.calcul import references as references_affichees

    geo = {n: sorted(c) for n, c in geographie_etude(etude).items()}
    refs = [[n, str(c)] for n, c, _ in references_affichees(etude)]
    return noyau.empreinte_textes([json.dumps({"geographie": geo, "references": refs}, sort_keys=True)], longueur=16)


def _references_calculees(etude, cle: str, tidy: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The reference territories a study shows (indicateurs.references: the EPCI of a list of
    communes, each département and région, France) summed once from every commune of the source,
    as `indicateurs.additifs` sums them (same code: `_par_commune`, `_somme`): communes brought to
    the study's geography, a secret part makes the sum secret, a missing part makes it unknown, a
    reference the source covers for less than COUVERTURE_MINIMALE of its communes is left out
    (« n.d. » when read, as before). Only the variables the source does not publish itself at
    that level; a reference made of the study's communes only is summed from them when read.
    Returns the rows (at the reference's niveau and code: read like published rows) and the
    references summed (« departement 31 »)."""
    from diagnostic_territorial.indicateurs import calcul as ind
    from diagnostic_territorial.sources.schema import table_vide

    etude_communes = _codes_etude(etude)
    refs = []
    for niveau, code, _ in ind.references(etude):
        attendues = ind._communes_du_niveau(niveau, str(code))
        if attendues and attendues <= etude_communes:
            continue
        refs.append((niveau, str(code), attendues))
    est_commune = (tidy["niveau"] == "commune").to_numpy()
    if not refs or not est_commune.any():
        return table_vide(), []
    # France under the code the source publishes it (indicateurs reads a single France row as FRM)
    france = sorted(set(tidy.loc[(tidy["niveau"] == "france").to_numpy(), "codgeo"].astype(str)))
    code_france = france[0] if len(france) == 1 else "FRM"
    cibles = {(n, code_france if n == "france" else c) for n, c, _ in refs}
    dans_cibles = np.zeros(len(tidy), dtype=bool)
    for n in {n for n, _ in cibles}:
        dans_cibles |= (tidy["niveau"] == n).to_numpy() & tidy["codgeo"].isin(sorted(c for m, c in cibles if m == n)).to_numpy()
    supra = tidy[dans_cibles]
    publies = set(zip(supra["niveau"].astype(str), supra["codgeo"].astype(str), supra["variable"].astype(str),
                      supra["millesime"].astype(int)))
    inventaire = cle in ind.SOURCES_INVENTAIRE
    lignes, calculees = [], set()
    communes = tidy[est_commune]
    for millesime, df in communes.groupby("millesime", sort=True):
        millesime = int(millesime)
        # the order of the cache file (variable, codgeo): the same sums, to the last bit, as from it
        df = df.sort_values(["variable", "codgeo"], kind="stable")
        variables = sorted({str(v) for v in df["variable"].unique()})
        large = ind._par_commune(df, variables, inventaire)
        presentes = frozenset(large.index)
        for niveau, code, attendues in refs:
            if not attendues or len(attendues & presentes) < ind.COUVERTURE_MINIMALE * len(attendues):
                continue  # an extract: « n.d. » when read, as it was from every commune
            if niveau == "france":
                bloc = large
            elif niveau == "epci":
                bloc = large[large.index.isin(attendues)]
            else:
                bloc = large[large[niveau] == code]
            somme = ind._somme(bloc, variables)
            ecrit = code_france if niveau == "france" else code
            nouvelles = [(ecrit, niveau, v, millesime, somme[v], bool(somme[v + ind.SUFFIXE_SECRET]))
                         for v in variables if (niveau, ecrit, v, millesime) not in publies]
            if nouvelles:
                lignes += nouvelles
                calculees.add(f"{niveau} {ecrit}")
    if not lignes:
        return table_vide(), []
    sortie = pd.DataFrame(lignes, columns=["codgeo", "niveau", "variable", "millesime", "valeur", "secret"])
    sortie = sortie.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                            "valeur": "float64", "secret": "bool"})
    return sortie, sorted(calculees)


def _zeros_inventaire(etude, tidy: pd.DataFrame) -> pd.DataFrame:
    """Inventory sources (BPE: a commune without an equipment type has no row for it): an explicit 0
    for every variable a commune of the study has no row for, when the source covers the commune's
    département — what `indicateurs.additifs` concludes from every commune of the département,
    kept once the other communes are left out of the cache. A commune of a département the source
    does not cover stays without a row (unknown, « n.d. »). The 0 goes on a code the source already
    uses for the commune (an arrondissement, a former commune), never beside it."""
    from diagnostic_territorial.indicateurs import calcul as ind
    from diagnostic_territorial.sources.schema import table_vide
    from diagnostic_territorial.territoire.resolution import referentiel

    ref = referentiel()["communes"]
    etude_communes = sorted(_codes_etude(etude))
    communes = tidy[(tidy["niveau"] == "commune").to_numpy()]
    lignes = []
    for millesime, df in communes.groupby("millesime", sort=True):
        parent = {str(c): ind.commune_actuelle(str(c)) for c in df["codgeo"].unique()}
        presentes = frozenset(parent.values())
        codes_de: dict[str, list[str]] = {}
        for code, commune in parent.items():
            codes_de.setdefault(commune, []).append(code)
        etude_df = df[df["codgeo"].isin([c for commune in etude_communes for c in codes_de.get(commune, [])])]
        vues: dict[str, set[str]] = {}
        for code, variable in zip(etude_df["codgeo"].astype(str), etude_df["variable"].astype(str)):
            vues.setdefault(parent[code], set()).add(variable)
        variables = sorted({str(v) for v in df["variable"].unique()})
        couverture: dict[str, bool] = {}
        for commune in etude_communes:
            dep = ref.get(commune, {}).get("DEP") or ind._departement_du_code(commune)
            if dep not in couverture:
                attendues = ind._communes_du_niveau("departement", dep)
                couverture[dep] = bool(attendues) and len(attendues & presentes) >= ind.COUVERTURE_MINIMALE * len(attendues)
            if not couverture[dep]:
                continue
            code = min(codes_de[commune]) if commune in codes_de else commune
            deja = vues.get(commune, set())
            lignes += [(code, "commune", v, int(millesime), 0.0, False) for v in variables if v not in deja]
    if not lignes:
        return table_vide()
    sortie = pd.DataFrame(lignes, columns=["codgeo", "niveau", "variable", "millesime", "valeur", "secret"])
    return sortie.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                          "valeur": "float64", "secret": "bool"})


def _reduire(etude, cle: str, tidy: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a source a study reads, instead of the whole of France: the rows of its communes
    (under any code the source uses for them: arrondissements, former communes; their IRIS), of
    its EPCI, départements and régions (geographie_etude), every France row; for a source of
    counts, the references summed once from every commune of the file (`_references_calculees`)
    and, for an inventory, the explicit zeros of its communes (`_zeros_inventaire`), so that every
    figure of the report is the one the whole file gives. Returns (rows, references summed)."""
    from diagnostic_territorial.indicateurs.calcul import SOURCES_INVENTAIRE, commune_actuelle

    geo = geographie_etude(etude)
    etude_communes = _codes_etude(etude)
    niveau, codgeo = tidy["niveau"], tidy["codgeo"]
    garder = (niveau == "france").to_numpy().copy()
    for n in ("epci", "departement", "region"):
        garder |= (niveau == n).to_numpy() & codgeo.isin(sorted(geo[n])).to_numpy()
    for n, commune_de in (("commune", lambda c: c), ("iris", lambda c: c[:5])):
        est = (niveau == n).to_numpy()
        if est.any():
            codes = [c for c in (str(x) for x in codgeo[est].unique())
                     if c in geo["commune"] or commune_actuelle(commune_de(c)) in etude_communes]
            garder |= est & codgeo.isin(codes).to_numpy()
    morceaux = [tidy[garder]]
    calculees: list[str] = []
    if cle not in SOURCES_NON_ADDITIVES:
        references, calculees = _references_calculees(etude, cle, tidy)
        morceaux.append(references)
        if cle in SOURCES_INVENTAIRE:
            morceaux.append(_zeros_inventaire(etude, tidy))
    morceaux = [m for m in morceaux if not m.empty] or [morceaux[0]]
    reduit = pd.concat(morceaux, ignore_index=True) if len(morceaux) > 1 else morceaux[0].reset_index(drop=True)
    reduit.attrs = dict(tidy.attrs)
    return reduit, calculees


def _empreinte_entrees(etude, cle: str, choisis: list[Piece]) -> dict:
    """The key of a cache: the files read (sha256), the code reading them (VERSION_LECTEURS, each
    reader's version, the sums of the references for a source of counts) and what the study keeps."""
    return {"version": VERSION_LECTEURS, "perimetre": _perimetre(etude),
            "lecteurs": {p.reconnu.disposition: version_lecteur(p.reconnu.disposition) for p in choisis},
            "sommes": version_sommes() if cle not in SOURCES_NON_ADDITIVES else "",
            "fichiers": {p.nom: empreinte(p.reconnu.chemin) for p in choisis}}


def _lecteurs_modifies(avant, apres) -> str:
    avant = avant if isinstance(avant, dict) else {}
    changes = sorted(d for d, v in apres.items() if avant.get(d) != v)
    noms = ", ".join(f"« {reconnaissance.PAR_CLE[d].libelle if d in reconnaissance.PAR_CLE else d} »" for d in changes)
    return f"lecteur {noms} modifié depuis la mise en cache" if changes else "lecteurs modifiés depuis la mise en cache"


# Why a cache is rebuilt, one reason per component of its key that changed (empreintes.raisons).
LIBELLES_ENTREES = {
    "perimetre": "communes ou références de l'étude modifiées",
    "lecteurs": _lecteurs_modifies,
    "sommes": "calcul des références modifié depuis la mise en cache",
    "fichiers": "fichiers de data/brut modifiés",
    "simulations": "fichiers déclarés simulés (data/brut/simulations.yaml) modifiés",
}


def _raison_relecture(ancien: dict | None, nouveau: dict) -> str:
    """Why an existing cache is rebuilt, in French (`ancien`: the key its provenance holds, None
    when it holds none): « lecteur « Insee, Filosofi » modifié depuis la mise en cache : fichiers
    relus », « fichiers de data/brut modifiés (FILO2019_DISP_COM.csv modifié) : fichiers relus »."""
    if not isinstance(ancien, dict) or ancien.get("version") != nouveau["version"] or "lecteurs" not in ancien:
        return "cache écrit par une version antérieure des lecteurs de la bibliothèque : fichiers relus"
    raisons = noyau.raisons(ancien, nouveau, LIBELLES_ENTREES)
    return f"{', '.join(raisons)} : fichiers relus" if raisons else ""


def _provenance(etude, cle: str, millesime: int, choisis: list[Piece], tables: list[pd.DataFrame], entrees: dict):
    premiere = tables[0].attrs["provenance"]
    officiels = []
    try:
        officiels = catalogue.fichiers(cle, millesime)
    except ValueError:
        pass
    officiel = next((f for f in officiels if f.melodi and f.melodi == choisis[0].reconnu.detail), None) or (
        officiels[0] if officiels else None)
    simules = catalogue.fichiers_simules(_dossier_brut(etude))
    simule = any(p.reconnu.chemin.name.lower() in simules or (p.reconnu.membre or "").lower() in simules
                 or any(f.noms_reconnus() & simules for f in officiels if p.reconnu.chemin.name.lower() in f.noms_reconnus())
                 for p in choisis)
    absentes = {}
    for t in tables:
        for variable, raison in (t.attrs["provenance"].extra or {}).get("variables_absentes", {}).items():
            absentes.setdefault(variable, f"{raison} ({t.attrs['provenance'].fichier})")
    presentes = set()
    for t in tables:
        presentes |= set(t["variable"].unique())
    absentes = {v: r for v, r in absentes.items() if v not in presentes}
    france = next((t.attrs["provenance"].extra.get("france") for t in tables
                   if (t.attrs["provenance"].extra or {}).get("france")), "")
    return dataclasses.replace(
        premiere,
        source=officiel.source if officiel else premiere.source,
        libelle=officiel.libelle if officiel and len(choisis) > 1 else premiere.libelle,
        millesime=int(millesime),
        fichier=", ".join(p.nom for p in choisis),
        url=officiel.url if officiel else premiere.url,
        sha256=premiere.sha256 if len(tables) == 1 else "",
        simule=simule,
        extra={"sha256": {t.attrs["provenance"].fichier: t.attrs["provenance"].sha256 for t in tables},
               "urls": sorted({f.url for f in officiels if f.url}), "variables_absentes": absentes,
               "france": france, "entrees": entrees,
               "lignes_sans_commune": sum(int((t.attrs["provenance"].extra or {}).get("lignes_sans_commune", 0))
                                          for t in tables)},
    )


def _construire(etude, cle: str, millesime: int, telecharger: bool, pieces: list[Piece] | None = None,
                utilisation: dict | None = None, explicite: bool | None = None) -> Disponibilite:
    """Build (or keep) the cache of one (source, millésime); raises DonneeManquante/FormatInconnu."""
    if pieces is None:
        pieces, _ = inventaire(_dossier_brut(etude), _dossier_cache(etude))
    if explicite is None:
        demandes = getattr(etude, "millesimes_demandes", None) or getattr(etude, "millesimes", None) or {}
        explicite = any(cle_source(k) == cle and not _est_dernier(v) and v is not None for k, v in demandes.items())
    choisis, doublons = _pieces_de(pieces, cle, millesime, explicite)
    cible = chemin_cache(etude, cle, millesime)
    vides = [p for p in pieces if p.source == cle and not p.annees
             and p.reconnu.disposition in reconnaissance.COLONNES_ANNEE]
    # The Caf exports by EPCI and département only complete the communes' file: they never stand in
    # for it (a cache built from them alone would publish the communes' figures as missing).
    principaux = [p for p in choisis if not (p.reconnu.disposition == "caf_communes" and p.reconnu.detail)]
    if not principaux and vides:  # a file of this source holds no row at all: never fall back on a stale cache
        cible.unlink(missing_ok=True)
        raise FormatInconnu(vides[0].nom, "aucune ligne de données (en-tête seul) : le fichier est incomplet")
    if not choisis:
        try:
            officiels = catalogue.fichiers(cle, millesime)
        except ValueError as exc:
            raise DonneeManquante(f"{cle} {millesime}", "", _dossier_brut(etude), cle, raison=str(exc)) from None
        manquants = _telecharger(etude, cle, millesime) if telecharger else [
            _manquant(etude, f) for f in officiels]
        pieces, _ = inventaire(_dossier_brut(etude), _dossier_cache(etude))
        choisis, doublons = _pieces_de(pieces, cle, millesime, explicite)
        if not choisis:
            if cible.exists():  # data/brut/ was cleaned after the cache was built: keep the cache
                return Disponibilite(cle, millesime, cible.name, "ok", "cache existant (fichier source absent de data/brut)")
            manquants = manquants or [_manquant(etude, f) for f in officiels]
            raise manquants[0] if len(manquants) == 1 else _Manquants(manquants)
    noms = ", ".join(p.nom for p in choisis)
    if utilisation is not None:
        for p in choisis:
            utilisation.setdefault(p.nom, []).append((cle, int(millesime)))
        for p in doublons:
            utilisation.setdefault(p.nom, []).append(("doublon", int(millesime)))
    entrees = _empreinte_entrees(etude, cle, choisis)
    simulations = _dossier_brut(etude) / "simulations.yaml"
    simules = sorted(catalogue.fichiers_simules(_dossier_brut(etude))) if simulations.exists() else []
    entrees["simulations"] = simules  # a file declared simulated (or no longer) changes the mention
    raison = ""
    if cible.exists():
        try:
            prov = cache.provenance(cible)
        except (OSError, ValueError):  # an unreadable cache is rebuilt
            prov = None
        if prov is not None and (prov.extra or {}).get("entrees") == entrees:
            return Disponibilite(cle, millesime, noms, "ok", "cache à jour")
        raison = ("cache illisible : fichiers relus" if prov is None
                  else _raison_relecture((prov.extra or {}).get("entrees"), entrees))
    try:
        tables = [_lire_piece(etude, cle, millesime, p) for p in choisis]
    except FormatInconnu:
        cible.unlink(missing_ok=True)  # the files changed and cannot be read: no stale cache is used
        raise
    for p, t in zip(choisis, tables):
        if t.empty and p.reconnu.disposition not in ("melodi",):  # Melodi: its reader names it
            cible.unlink(missing_ok=True)
            raise FormatInconnu(p.nom, "aucune ligne de données (en-tête seul) : le fichier est incomplet")
    population = _population_communes(etude, tables, pieces)
    anomalies = []
    for k, (p, t) in enumerate(zip(choisis, tables)):
        tables[k], messages = controles.controler(t, p.nom, population)
        anomalies += messages
    codes = codes_territoire(etude)
    utiles = {}  # each file: has it a row for the study's communes or one of its references?
    for p, t in zip(choisis, tables):
        masque = pd.Series(False, index=t.index)
        for niveau, liste in codes.items():
            masque |= (t["niveau"] == niveau) & t["codgeo"].isin(liste)
        if (t["niveau"] == "iris").any() or (t["niveau"] == "commune").any():
            indices, uniques = pd.factorize(t["codgeo"])  # each distinct code looked up once
            actuelles = np.asarray([_commune_actuelle(u) for u in uniques], dtype=object)
            dans = np.isin(actuelles, list(codes["commune"]))[indices] & (indices >= 0)
            masque |= (t["niveau"] == "commune").to_numpy() & dans
        utiles[p.nom] = bool(masque.any())
    tidy = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    if len(tables) > 1:  # the same variable from two files (current and historical): the first wins
        tidy = tidy.drop_duplicates(["codgeo", "niveau", "variable", "millesime"], keep="first").reset_index(drop=True)
    tidy.attrs["provenance"] = _provenance(etude, cle, millesime, choisis, tables, entrees)
    tidy.attrs["provenance"].extra["utiles"] = utiles
    tidy.attrs["provenance"].extra["anomalies"] = anomalies
    reduit, calculees = _reduire(etude, cle, tidy)
    reduit.attrs["provenance"].extra["references_calculees"] = calculees
    cache.ecrire(reduit, cible)
    message = (f"{len(reduit)} valeurs de l'étude et de ses références mises en cache dans {cible.name} "
               f"(sur {len(tidy)} lues)")
    return Disponibilite(cle, millesime, noms, "ok", f"{raison} ; {message}" if raison else message, relu=raison)


def _population_communes(etude, tables: list[pd.DataFrame], pieces: list[Piece] | None = None) -> dict[str, float]:
    """Population of the communes to check counts against: the recensement's own P_POP when the
    table holds it, else the populations légales of every commune read from data/brut/ (the cache
    holds the study's communes only: the communes summed into the references are checked too),
    else those of the cache (none: no check)."""
    for t in tables:
        pop = t[(t["variable"] == "P_POP") & (t["niveau"] == "commune")]
        if not pop.empty:
            return dict(zip(pop["codgeo"], pop.groupby("codgeo")["valeur"].transform("max")))
    millesime = millesime_source(etude, "populations_legales")
    if pieces and millesime is not None:
        choisis, _ = _pieces_de(pieces, "populations_legales", millesime, explicite=True)
        if choisis and choisis[0].reconnu.disposition == "populations_legales":
            r = choisis[0].reconnu
            cle = ("populations", str(r.chemin), r.membre, empreinte(r.chemin), int(millesime))
            if cle not in _LECTURES:
                try:
                    _LECTURES[cle] = population.lire(r.chemin, millesime, membre=r.membre)
                except FormatInconnu:
                    _LECTURES[cle] = None
            t = _LECTURES[cle]
            if t is not None:
                t = t[(t["variable"] == "PMUN") & (t["niveau"] == "commune")]
                return dict(zip(t["codgeo"], t["valeur"]))
    caches = sorted(_dossier_cache(etude).glob("populations_legales_*.parquet"))
    if not caches:
        return {}
    t = cache.lire(caches[-1])
    t = t[(t["variable"] == "PMUN") & (t["niveau"] == "commune")]
    return dict(zip(t["codgeo"], t["valeur"]))


def besoins(etude) -> list[tuple[str, int]]:
    """The (source, millésime) pairs the study needs, in a stable order without duplicates: the
    year of each is millesimes_de's, the one the indicators read."""
    cles = list(etude.millesimes or {})
    if "rp" in cles:
        cles += [cle for cle in SOURCES_PAR_DEFAUT if cle not in cles]
    vus = []
    for cle in cles:
        millesime = millesime_source(etude, cle) if cle in SOURCES_ETUDE else None
        if millesime is None:
            continue
        paire = (SOURCES_ETUDE[cle], int(millesime))
        if paire not in vus:
            vus.append(paire)
    return vus


@dataclass
class Rapport:
    """What `make donnees` found: each (source, millésime), each file of data/brut/ and its use."""

    disponibilites: list[Disponibilite]
    fichiers: dict  # file name -> [(source, millésime)] it served ("doublon": a copy left aside)
    inconnus: list  # reconnaissance.NonReconnu
    millesimes: Resolution | None = None
    sans_commune: dict = field(default_factory=dict)  # file name -> True when no row for the study


def preparer(etude, telecharger: bool = True, rapport: bool = False):
    """Find (or download) and parse every source the study needs; never stops on one failure.

    Returns the list of Disponibilite (and, with `rapport=True`, a Rapport of every file)."""
    pieces, inconnus = inventaire(_dossier_brut(etude), _dossier_cache(etude))
    demandes = getattr(etude, "millesimes_demandes", None)
    resolution = None
    if demandes is not None:
        resolution = resoudre(demandes, pieces)
        etude.millesimes = resolution.millesimes
    resultats, utilisation = [], {}
    for cle, millesime in besoins(etude):
        if millesime not in catalogue.millesimes(cle) and cle not in catalogue.TOUS_MILLESIMES and not any(
                p.source == cle and millesime in p.servis for p in pieces):
            message = (
                f"Millésime {millesime} non pris en charge pour « {cle} » "
                f"(millésimes connus : {', '.join(map(str, catalogue.millesimes(cle)))})."
            )
            resultats.append(Disponibilite(cle, millesime, "", "manquant", message))
            continue
        try:
            resultats.append(_construire(etude, cle, millesime, telecharger, pieces, utilisation,
                                         (cle in resolution.explicites) if resolution is not None else None))
        except DonneeManquante as exc:
            resultats.append(Disponibilite(cle, millesime, exc.fichier, "manquant", str(exc)))
        except FormatInconnu as exc:
            resultats.append(Disponibilite(cle, millesime, exc.fichier, "illisible", str(exc)))
        pieces, inconnus = inventaire(_dossier_brut(etude), _dossier_cache(etude))  # downloads
    if resolution is not None:
        resolution = resoudre(demandes, pieces)
        _dossier_cache(etude).mkdir(parents=True, exist_ok=True)
        _enregistrer_millesimes(etude, resolution)
    _LECTURES.clear()
    if not rapport:
        return resultats
    sans_commune = {}
    for d in resultats:
        if d.statut == "ok" and chemin_cache(etude, d.source, d.millesime).exists():
            prov = cache.provenance(chemin_cache(etude, d.source, d.millesime))
            for nom, utile in ((prov.extra or {}).get("utiles") or {}).items() if prov else []:
                sans_commune[nom] = sans_commune.get(nom, True) and not utile
    for p in pieces:
        utilisation.setdefault(p.nom, [])
    return resultats, Rapport(resultats, utilisation, inconnus, resolution, sans_commune)


def preparer_contours(etude) -> Disponibilite:
    """The communes' contours for the maps, simplified once here rather than by the first notebook
    that draws a map (notebooks running in parallel then only read them)."""
    from diagnostic_territorial.rendu.cartes import ContoursIndisponibles, contours_depuis_cache, tolerance

    codes = list(etude.communes["code"])
    try:
        contours_depuis_cache(codes, etude.dossier_cache)
    except ContoursIndisponibles as exc:
        return Disponibilite("contours_communes", 0, "", "manquant", str(exc))
    return Disponibilite("contours_communes", 0, f"contours_communes_{int(round(tolerance(len(codes))))}m.parquet", "ok",
                         "")


def references(etude) -> list[tuple[str, str, str]]:
    """(niveau, code, libellé) of the study's reference territories (several départements and
    régions for a list of communes across départements)."""
    deps = list(getattr(etude, "departements", None) or [etude.departement])
    regs = list(getattr(etude, "regions", None) or [etude.region])
    return ([("departement", str(c), n) for c, n in deps] + [("region", str(c), n) for c, n in regs]
            + [("france", "FRM", "France")])


def codes_territoire(etude) -> dict[str, set[str]]:
    """Codes of the territory and its references, by niveau."""
    communes = etude.communes
    refs = references(etude)
    return {
        "commune": {str(c) for c in communes["code"]} | _arrondissements(etude),
        "epci": {str(c) for c in communes["epci"].dropna().unique()},
        "departement": {c for n, c, _ in refs if n == "departement"},
        "region": {c for n, c, _ in refs if n == "region"},
        "france": {"FRM"},
    }


def charger(etude, source: str, millesime: int) -> pd.DataFrame:
    """The cached source restricted to the territory's communes, EPCI, département, région and
    France (tidy table with its provenance): the rows the source publishes and, for a source of
    counts, the references summed once from the national file (see `_reduire`). Builds the cache
    from data/brut/ if needed."""
    cle = cle_source(source)
    cible = chemin_cache(etude, cle, millesime)
    if not cible.exists():
        try:
            _construire(etude, cle, int(millesime), telecharger=False)
        finally:
            _LECTURES.clear()
    codes = codes_territoire(etude)
    return cache.lire(cible, niveaux=codes)
