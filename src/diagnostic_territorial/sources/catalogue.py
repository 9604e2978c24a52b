"""Official INSEE files: names as published, download URLs, and how to find or fetch them.

A consultant can always drop a file by hand in `data/brut/` under its official name (the zip
archive or the file it contains); `telecharger` fetches it from insee.fr when online.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..erreurs import DonneeManquante
from .schema import sha256_fichier

LICENCE = "Licence Ouverte / Etalab 2.0"
INSEE = "https://www.insee.fr/fr/statistiques/fichier"


@dataclass(frozen=True)
class FichierOfficiel:
    cle: str  # source key: "filosofi", "rp_evol_struct_pop", "populations_legales"
    source: str  # label used in the mention: "Insee, Filosofi 2019"
    libelle: str  # long label for the sources annex
    millesime: int
    nom_fichier: str  # official name of the data file: FILO2019_DISP_COM.csv
    url: str  # official download URL (often a zip holding several files)
    membre: str = ""  # name of the data file inside the zip ("" when the URL is the file)
    licence: str = LICENCE

    @property
    def nom_archive(self) -> str:
        """Name of the downloaded file: the last part of the URL, or the official file name when
        the URL is an API export (`.../exports/csv?delimiter=%3B`) or a search page."""
        dernier = self.url.rsplit("/", 1)[-1]
        if not dernier or "?" in dernier or "." not in dernier:
            return self.nom_fichier
        return dernier

    def noms_reconnus(self) -> set[str]:
        """Lower-case names under which the file is recognised in data/brut/."""
        noms = {self.nom_fichier, self.nom_archive}
        if self.membre:
            noms.add(self.membre)
        return {n.lower() for n in noms if n}


# --- Filosofi: "Structure et distribution des revenus, inégalité des niveaux de vie" ----------
# (page id, archive suffix, extension of the data files inside the archives)
_FILOSOFI = {
    2016: ("4190006", ".zip", "xls"),
    2017: ("4291712", ".zip", "xlsx"),
    2018: ("5009218", "_csv.zip", "csv"),
    2019: ("6036907", "_csv.zip", "csv"),
    2020: ("6692220", "_csv.zip", "csv"),
    2021: ("7756855", "_csv.zip", "csv"),
}
NIVEAUX_FILOSOFI = {
    "COM": "commune",
    "EPCI": "epci",
    "DEP": "departement",
    "REG": "region",
    "METROPOLE": "france",
}

# --- RP "bases communales" : évolution et structure de la population ------------------------
_RP_EVOL_STRUCT_POP = {
    2017: f"{INSEE}/4515565/base-ccc-evol-struct-pop-2017.zip",
    2018: f"{INSEE}/5395875/base-ccc-evol-struct-pop-2018.zip",
    2019: f"{INSEE}/6456153/base-cc-evol-struct-pop-2019_csv.zip",
    2020: f"{INSEE}/7632446/base-cc-evol-struct-pop-2020_csv.zip",
    2021: f"{INSEE}/8201904/base-cc-evol-struct-pop-2021_csv.zip",
}

# --- Populations légales (millésime = year of the census population, in force 3 years later) --
_POPULATIONS_LEGALES = {
    2017: f"{INSEE}/4265429/ensemble.zip",
    2019: f"{INSEE}/6011070/ensemble.zip",
    2020: f"{INSEE}/6683035/ensemble.zip",
    2021: f"{INSEE}/7739582/ensemble.zip",
}

# --- Other RP bases communales (same layout as evol-struct-pop; the rp reader is generic) ------
# (zip name pattern, member name pattern): official names; the 2017 and 2018 archives are named
# `base-ccc-...` (ccc: "chiffres clés"); from 2019 `_csv.zip` holds an upper-case `.CSV`.
# URLs checked against published references: logement 2019/2020/2021, emploi 2020/2021,
# diplômes 2017/2021, couples-familles 2021 (page 8205182) ; the other page ids follow the INSEE
# publication pages of the same release and must be re-checked when a download fails.
_RP_BASES = {
    "rp_couples_familles_menages": ("coupl-fam-men", "Couples, familles, ménages", {
        2017: "4515503", 2018: "5395878", 2019: "6454652", 2020: "7633206", 2021: "8205182",
    }),
    "rp_logement": ("logement", "Logement", {
        2017: "4515532", 2018: "5395838", 2019: "6543200", 2020: "7631186", 2021: "8202349",
    }),
    "rp_emploi_pop_active": ("emploi-pop-active", "Emploi, population active", {
        2017: "4516122", 2018: "5395871", 2019: "6454126", 2020: "7632867", 2021: "8202916",
    }),
    "rp_diplomes_formation": ("diplomes-formation", "Diplômes, formation", {
        2017: "4516086", 2018: "5395843", 2019: "6454129", 2020: "7631204", 2021: "8202319",
    }),
}


def _url_rp(theme: str, page: str, millesime: int) -> str:
    if millesime <= 2018:
        return f"{INSEE}/{page}/base-ccc-{theme}-{millesime}.zip"
    return f"{INSEE}/{page}/base-cc-{theme}-{millesime}_csv.zip"


def _fabrique_rp(cle: str):
    theme, titre, pages = _RP_BASES[cle]

    def fabrique(millesime: int) -> list[FichierOfficiel]:
        url = _url_rp(theme, pages[millesime], millesime)
        return [
            FichierOfficiel(
                cle=cle,
                source=f"Insee, RP {millesime}",
                libelle=(
                    f"Insee, recensement de la population {millesime}, base communale « {titre} » "
                    f"(contient aussi le recensement {millesime - 6})"
                ),
                millesime=millesime,
                nom_fichier=url.rsplit("/", 1)[-1],
                url=url,
                membre=f"base-cc-{theme}-{millesime}.CSV",
            )
        ]

    return fabrique


# --- BPE: aggregated file `bpeyy_ensemble_csv.zip` --------------------------------------------
# page 3568629 checked for 2018-2020 (INSEE catalogue of DoReMIFaSol); 2021 to be re-checked
_BPE = {
    2018: f"{INSEE}/3568629/bpe18_ensemble_csv.zip",
    2019: f"{INSEE}/3568629/bpe19_ensemble_csv.zip",
    2020: f"{INSEE}/3568629/bpe20_ensemble_csv.zip",
    2021: f"{INSEE}/3568629/bpe21_ensemble_csv.zip",
}


def _bpe(millesime: int) -> list[FichierOfficiel]:
    url = _BPE[millesime]
    return [
        FichierOfficiel(
            cle="bpe",
            source=f"Insee, BPE {millesime}",
            libelle=f"Insee, Base permanente des équipements {millesime} (ensemble des équipements, base communale)",
            millesime=millesime,
            nom_fichier=f"bpe{millesime % 100:02d}_ensemble.csv",
            url=url,
            membre=f"bpe{millesime % 100:02d}_ensemble.csv",
        )
    ]


# --- CAF: allocataires by IRIS ("données CAF par IRIS", data.caf.fr) -------------------------
# No stable direct download URL is known offline: the URL is the data.caf.fr search for the file;
# `telecharger` refuses the HTML page it returns and asks the user to drop the file by hand.
_CAF_IRIS = {
    2016: "https://data.caf.fr/explore/?q=data_CAF_2016_IRIS",
    2020: "https://data.caf.fr/explore/?q=data_CAF_2020_IRIS",
}


def _caf_iris(millesime: int) -> list[FichierOfficiel]:
    nom = f"data_CAF_{millesime}_IRIS.csv"
    return [
        FichierOfficiel(
            cle="caf_iris",
            source=f"Cnaf, allocataires par IRIS {millesime}",
            libelle=f"Cnaf, données allocataires CAF par IRIS au 31 décembre {millesime} (lignes masquées : NOTE non nulle)",
            millesime=millesime,
            nom_fichier=nom,
            url=_CAF_IRIS[millesime],
        )
    ]


# --- CAF data.caf.fr datasets (opendatasoft CSV exports, `;`) ----------------------------------
CAFDATA = "https://data.caf.fr/api/explore/v2.1/catalog/datasets"


def _cafdata(cle: str, jeu: str, source: str, libelle: str):
    def fabrique(millesime: int) -> list[FichierOfficiel]:
        return [
            FichierOfficiel(
                cle=cle,
                source=f"{source} {millesime}",
                libelle=f"{libelle} ({millesime})",
                millesime=millesime,
                nom_fichier=f"{jeu}.csv",
                url=f"{CAFDATA}/{jeu}/exports/csv?delimiter=%3B",
            )
        ]

    return fabrique


# December of each year (s_ben_com_f: dtreffre aaaa-12) / reference year (txcouv_pe: annee). One
# export holds every year: the same file serves several millésimes.
_ANNEES_CAFDATA = {m: "" for m in range(2017, 2024)}

# Taux de couverture petite enfance: one data.caf.fr dataset per level, each read at its own level
# (a rate is never recomputed from the communes): code of the dataset name -> niveau.
NIVEAUX_TXCOUV_PE = {
    "com": "commune",
    "epci": "epci",
    "dep": "departement",
    "reg": "region",
    "fra": "france",
}


def _caf_txcouv_pe(millesime: int) -> list[FichierOfficiel]:
    return [
        FichierOfficiel(
            cle="caf_txcouv_pe",
            source=f"Cnaf, taux de couverture petite enfance {millesime}",
            libelle=(
                "Cnaf / Onape, data.caf.fr, taux de couverture de l'accueil du jeune enfant (places pour "
                f"100 enfants de moins de 3 ans ; communes, EPCI, départements, régions, France) ({millesime})"
            ),
            millesime=millesime,
            nom_fichier=f"txcouv_pe_{code}.csv",
            url=f"{CAFDATA}/txcouv_pe_{code}/exports/csv?delimiter=%3B",
        )
        for code in NIVEAUX_TXCOUV_PE
    ]


# --- France Travail / Dares: demandeurs d'emploi inscrits en fin de trimestre, par commune -----
# No stable direct URL of the commune-level file is known offline: the URL is the Dares page of
# the « statistiques du marché du travail » (STMT) where the files are published; `telecharger`
# refuses the HTML page and asks the user to drop the file by hand under its name.
DARES_STMT = "https://dares.travail-emploi.gouv.fr/enquete-source/les-statistiques-du-marche-du-travail"
_ANNEES_FRANCE_TRAVAIL = {m: "" for m in range(2017, 2024)}


def _france_travail(millesime: int) -> list[FichierOfficiel]:
    return [
        FichierOfficiel(
            cle="france_travail",
            source=f"France Travail - Dares, demandeurs d'emploi T4 {millesime}",
            libelle=(
                "France Travail - Dares, demandeurs d'emploi inscrits en fin de trimestre (catégories A et "
                f"A, B, C) par commune, sexe et âge, 4e trimestre {millesime} (effectifs inférieurs à 5 masqués)"
            ),
            millesime=millesime,
            nom_fichier="demandeurs_emploi_communes_T4.csv",
            url=DARES_STMT,
        )
    ]


SOURCES = (
    "filosofi", "rp_evol_struct_pop", "populations_legales", *_RP_BASES, "bpe", "caf_iris",
    "caf_communes", "caf_txcouv_pe", "france_travail",
)


# 2014-2015: one workbook base-cc-filosofi-yyyy.xls (every niveau) in the published zip
_FILOSOFI_BASE_CC = {
    2014: f"{INSEE}/3126432/filo-revenu-pauvrete-menage-2014.zip",
    2015: f"{INSEE}/3560121/filo-revenu-pauvrete-menage-2015.zip",
}
_FILOSOFI_TOUS = {**_FILOSOFI_BASE_CC, **_FILOSOFI}


def _filosofi(millesime: int) -> list[FichierOfficiel]:
    if millesime in _FILOSOFI_BASE_CC:
        return [
            FichierOfficiel(
                cle="filosofi",
                source=f"Insee, Filosofi {millesime}",
                libelle=(
                    f"Insee, Filosofi {millesime} : revenus, pauvreté et niveau de vie "
                    "(base communale ; communes, EPCI, départements, régions, France métropolitaine)"
                ),
                millesime=millesime,
                nom_fichier=f"base-cc-filosofi-{millesime}.xls",
                url=_FILOSOFI_BASE_CC[millesime],
                membre=f"base-cc-filosofi-{millesime}.xls",
            )
        ]
    page, suffixe, ext = _FILOSOFI[millesime]
    fichiers = []
    for code, niveau in NIVEAUX_FILOSOFI.items():
        zone = "COMMUNES" if code == "COM" else "SUPRA"
        membre = f"FILO{millesime}_DISP_{code}.{ext}"
        fichiers.append(
            FichierOfficiel(
                cle="filosofi",
                source=f"Insee, Filosofi {millesime}",
                libelle=(
                    f"Insee, Filosofi {millesime} : structure et distribution des revenus, "
                    "inégalité des niveaux de vie (revenu disponible ; communes, EPCI, "
                    "départements, régions, France métropolitaine)"
                ),
                millesime=millesime,
                nom_fichier=f"FILO{millesime}_DISP_{code}.csv",
                url=f"{INSEE}/{page}/indic-struct-distrib-revenu-{millesime}-{zone}{suffixe}",
                membre=membre,
            )
        )
    return fichiers


def _rp_evol_struct_pop(millesime: int) -> list[FichierOfficiel]:
    url = _RP_EVOL_STRUCT_POP[millesime]
    return [
        FichierOfficiel(
            cle="rp_evol_struct_pop",
            source=f"Insee, RP {millesime}",
            libelle=(
                f"Insee, recensement de la population {millesime} (exploitation principale), "
                f"base communale « Évolution et structure de la population » "
                f"(contient aussi les recensements {millesime - 6} et {millesime - 11})"
            ),
            millesime=millesime,
            nom_fichier=url.rsplit("/", 1)[-1],
            url=url,
            membre=f"base-cc-evol-struct-pop-{millesime}.CSV",
        )
    ]


def _populations_legales(millesime: int) -> list[FichierOfficiel]:
    return [
        FichierOfficiel(
            cle="populations_legales",
            source=f"Insee, populations légales {millesime}",
            libelle=(
                f"Insee, populations légales {millesime} des communes "
                f"(en vigueur au 1er janvier {millesime + 3})"
            ),
            millesime=millesime,
            nom_fichier="donnees_communes.csv",
            url=_POPULATIONS_LEGALES[millesime],
            membre="donnees_communes.csv",
        )
    ]


_REGISTRE = {
    "filosofi": (_FILOSOFI_TOUS, _filosofi),
    "rp_evol_struct_pop": (_RP_EVOL_STRUCT_POP, _rp_evol_struct_pop),
    "populations_legales": (_POPULATIONS_LEGALES, _populations_legales),
    **{cle: (_RP_BASES[cle][2], _fabrique_rp(cle)) for cle in _RP_BASES},
    "bpe": (_BPE, _bpe),
    "caf_iris": (_CAF_IRIS, _caf_iris),
    "caf_communes": (_ANNEES_CAFDATA, _cafdata(
        "caf_communes", "s_ben_com_f", "Cnaf, allocataires par commune",
        "Cnaf, data.caf.fr, foyers allocataires et personnes couvertes par prestation et par commune",
    )),
    "caf_txcouv_pe": (_ANNEES_CAFDATA, _caf_txcouv_pe),
    "france_travail": (_ANNEES_FRANCE_TRAVAIL, _france_travail),
}

# Sources published under the same file name every year: the millésime cannot be told from the name.
_NOM_SANS_MILLESIME = ("populations_legales", "caf_communes", "caf_txcouv_pe", "france_travail")


def millesimes(cle_source: str) -> list[int]:
    return sorted(_REGISTRE[cle_source][0]) if cle_source in _REGISTRE else []


def fichiers(cle_source: str, millesime: int) -> list[FichierOfficiel]:
    """The official files making up one (source, millésime); ValueError if unknown."""
    if cle_source not in _REGISTRE:
        raise ValueError(f"source inconnue : « {cle_source} » (sources connues : {', '.join(SOURCES)})")
    table, fabrique = _REGISTRE[cle_source]
    if int(millesime) not in table:
        raise ValueError(
            f"millésime {millesime} non pris en charge pour « {cle_source} » "
            f"(millésimes connus : {', '.join(map(str, sorted(table)))})"
        )
    return fabrique(int(millesime))


def chercher(nom_fichier: str) -> FichierOfficiel | None:
    """The registered file published under this name (used to fill provenance), if any."""
    nom = nom_fichier.lower()
    for cle, (table, fabrique) in _REGISTRE.items():
        if cle in _NOM_SANS_MILLESIME:
            continue  # same name every year: cannot tell the millésime from the name
        for m in table:
            for f in fabrique(m):
                if nom in (f.nom_fichier.lower(), f.membre.lower()):
                    return f
    return None


def trouver(fichier: FichierOfficiel, dossier_brut: Path) -> Path | None:
    """The file dropped by hand (or downloaded) in data/brut/ under an official name, if any.

    The data file itself is preferred to the archive; names are compared case-insensitively
    (`.CSV` upper-case inside `_csv.zip`, `.csv.gz` accepted for a CSV).
    """
    dossier = Path(dossier_brut)
    if not dossier.is_dir():
        return None
    present = {p.name.lower(): p for p in dossier.iterdir() if p.is_file()}
    candidats = [fichier.nom_fichier, fichier.membre, fichier.nom_archive]
    for nom in candidats:
        if not nom:
            continue
        for variante in (nom.lower(), nom.lower() + ".gz"):
            if variante in present:
                return present[variante]
    return None


def enregistrer_empreinte(dossier_brut: Path, chemin: Path) -> str:
    """Record the sha256 of a file of data/brut/ in data/brut/checksums.json (atomic write)."""
    dossier = Path(dossier_brut)
    registre = dossier / "checksums.json"
    empreintes = {}
    if registre.exists():
        try:
            empreintes = json.loads(registre.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            empreintes = {}
    empreinte = sha256_fichier(chemin)
    empreintes[Path(chemin).name] = empreinte
    fd, temp = tempfile.mkstemp(dir=dossier, prefix=".checksums.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(empreintes, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")
    os.chmod(temp, 0o644)
    os.replace(temp, registre)
    return empreinte


def telecharger(fichier: FichierOfficiel, dossier_brut: Path, timeout: float = 30) -> Path:
    """Download the official archive into data/brut/ (temp file, then atomic rename).

    Returns the path of the downloaded file; raises DonneeManquante on any network failure.
    """
    dossier = Path(dossier_brut)
    dossier.mkdir(parents=True, exist_ok=True)
    cible = dossier / fichier.nom_archive
    fd, temp = tempfile.mkstemp(dir=dossier, prefix=f".{cible.name}.", suffix=".part")
    try:
        requete = urllib.request.Request(fichier.url, headers={"User-Agent": "diagnostic-territorial"})
        with os.fdopen(fd, "wb") as sortie, urllib.request.urlopen(requete, timeout=timeout) as reponse:
            shutil.copyfileobj(reponse, sortie, 1 << 20)
        if os.path.getsize(temp) == 0:
            raise OSError("réponse vide")
        with open(temp, "rb") as f:
            debut = f.read(512).lstrip().lower()
        if debut.startswith((b"<!doctype html", b"<html")):
            raise OSError("page HTML reçue au lieu du fichier de données")
        os.chmod(temp, 0o644)
        os.replace(temp, cible)
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        Path(temp).unlink(missing_ok=True)
        raison = getattr(exc, "reason", None) or exc
        raise DonneeManquante(
            fichier.nom_fichier, fichier.url, dossier, fichier.source, raison=str(raison)
        ) from None
    enregistrer_empreinte(dossier, cible)
    return cible


def fichiers_simules(dossier_brut: Path) -> set[str]:
    """Lower-case names listed in data/brut/simulations.yaml (files simulated for the demo)."""
    chemin = Path(dossier_brut) / "simulations.yaml"
    if not chemin.exists():
        return set()
    import yaml

    try:
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or []
    except yaml.YAMLError:
        contenu = []
    if isinstance(contenu, dict):  # tolerate {"fichiers": [...]}
        contenu = next(iter(contenu.values()), []) or []
    return {str(n).strip().lower() for n in contenu if isinstance(n, (str, int))}


def est_simule(fichier: FichierOfficiel, dossier_brut: Path) -> bool:
    return bool(fichier.noms_reconnus() & fichiers_simules(dossier_brut))


def provenance(chemin: Path, nom: str, millesime: int, source: str, libelle: str, officiel=None):
    """Provenance of a file read from disk, completed from the registry when the file is known."""
    from datetime import datetime, timezone

    from .schema import Provenance

    officiel = officiel or chercher(nom)
    return Provenance(
        source=officiel.source if officiel else source,
        libelle=officiel.libelle if officiel else libelle,
        millesime=int(millesime),
        fichier=nom,
        url=officiel.url if officiel else "",
        licence=LICENCE,
        sha256=sha256_fichier(chemin),
        date_lecture=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
