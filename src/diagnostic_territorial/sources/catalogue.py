"""Official INSEE files: names as published, download URLs, and how to find or fetch them.

A consultant can always drop a file by hand in `data/brut/` under its official name (the zip
archive or the file it contains); `telecharger` fetches it from insee.fr when online.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_json, fichier_temporaire
from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.sources.schema import sha256_fichier

LICENCE = "Licence Ouverte / Etalab 2.0"
INSEE = "https://www.insee.fr/fr/statistiques/fichier"


@dataclass(frozen=True)
class FichierOfficiel:
    cle: str  # source key: "filosofi", "rp_evol_struct_pop", "populations_legales"
    source: str  # label used in the mention: "Insee, Filosofi 2019"
    libelle: str  # long label for the sources annex
    millesime: int
    nom_fichier: str  # official name of the data file: FILO2019_DISP_COM.csv
    url: str  # official download URL (often a zip holding several files); "" when unknown
    membre: str = ""  # name of the data file inside the zip ("" when the URL is the file)
    licence: str = LICENCE
    melodi: str = ""  # Melodi dataset id (DS_RP_LOGEMENT_PRINC): downloaded through the open API
    recherche: str = ""  # what to look for on the publisher's site when the URL is unknown

    @property
    def nom_archive(self) -> str:
        """Name of the downloaded file: the last part of the URL, or the official file name when
        the URL is an API export (`.../exports/csv?delimiter=%3B`) or a search page."""
        dernier = self.url.rsplit("/", 1)[-1]
        if not dernier or "?" in dernier or "." not in dernier:
            return self.nom_fichier
        return dernier

    @property
    def adresse(self) -> str:
        """Where a consultant gets the file by hand (the URL, or what to search for)."""
        if self.url:
            return self.url
        return f"insee.fr (adresse exacte inconnue : cherchez « {self.recherche or self.nom_archive} »)"

    def noms_reconnus(self) -> set[str]:
        """Lower-case names under which the file is recognised in data/brut/."""
        noms = {self.nom_fichier, self.nom_archive}
        if self.membre:
            noms.add(self.membre)
        return {n.lower() for n in noms if n}


MELODI = "https://api.insee.fr/melodi"

# --- Filosofi: "Structure et distribution des revenus, inégalité des niveaux de vie" ----------
# (page id, suffix of the COMMUNES archive, suffix of the SUPRA archive, extension of the data
# files inside them). Checked against published evidence (docs/sources.md): 2016 and 2017 are
# workbooks; 2021 SUPRA is only published as XLSX. Filosofi 2022 was not published; 2023 is a
# Melodi dataset (DS_FILOSOFI_CC).
_FILOSOFI = {
    2016: ("4190006", ".zip", ".zip", "xls"),
    2017: ("4291712", ".zip", ".zip", "xlsx"),
    2018: ("5009218", "_csv.zip", "_csv.zip", "csv"),
    2019: ("6036907", "_csv.zip", "_csv.zip", "csv"),
    2020: ("6692220", "_csv.zip", "_csv.zip", "csv"),
    2021: ("7756855", "_csv.zip", "_XLSX.zip", "csv"),
}
_FILOSOFI_MELODI = {2023: f"{INSEE}/8984752/FILOSOFI_CC_csv.zip"}
NIVEAUX_FILOSOFI = {
    "COM": "commune",
    "EPCI": "epci",
    "DEP": "departement",
    "REG": "region",
    "METROPOLE": "france",
}

# --- RP « bases communales » (base chiffres clés) ----------------------------------------------
# theme of the file name, title, {millésime: page id or None when the page is not known}. Names:
# `base-ccc-<thème>-<aaaa>.zip` up to 2019, `base-cc-<thème>-<aaaa>_csv.zip` from 2020; the data
# member is `base-cc-<thème>-<aaaa>.CSV` (`_v2` for emploi 2020: any member of that stem is
# read). Page ids checked against published evidence (docs/sources.md); None: no public evidence,
# the consultant is told what to look for. From the RP 2023 the recensement is published through
# Melodi only (datasets in melodi.toml).
_RP_BASES = {
    "rp_evol_struct_pop": ("evol-struct-pop", "Évolution et structure de la population", {
        2017: "4515565", 2018: "5395875", 2019: "6456153", 2020: "7632446", 2021: "8201904", 2022: "8581696",
    }),
    "rp_couples_familles_menages": ("coupl-fam-men", "Couples, familles, ménages", {
        2017: "4515503", 2018: None, 2019: None, 2020: "7633206", 2021: "8205182", 2022: "8582452",
    }),
    "rp_logement": ("logement", "Logement", {
        2017: "4515532", 2018: None, 2019: None, 2020: "7631186", 2021: "8202349", 2022: "8581474",
    }),
    "rp_emploi_pop_active": ("emploi-pop-active", "Emploi, population active", {
        2017: "4516122", 2018: "5395838", 2019: "6454652", 2020: "7632867", 2021: "8202916", 2022: "8581444",
    }),
    "rp_caract_emploi": ("caract_emp", "Caractéristiques de l'emploi", {2021: None, 2022: "8581424"}),
    "rp_diplomes_formation": ("diplomes-formation", "Diplômes, formation", {
        2017: "4516086", 2018: "5395843", 2019: "6454124", 2020: "7631204", 2021: "8202319", 2022: None,
    }),
}
RP_MELODI = (2023,)  # millésimes of the recensement published through Melodi only


def _fichiers_melodi(cle: str, millesime: int, mention: str, libelle: str) -> list[FichierOfficiel]:
    from diagnostic_territorial.sources import melodi

    return [
        FichierOfficiel(
            cle=cle, source=mention, libelle=f"{libelle} — Melodi {jeu.id} ({jeu.titre})", millesime=millesime,
            nom_fichier=f"{jeu.id}_{millesime}_data.csv", url=f"{MELODI}/file/{jeu.id}/{jeu.id}_{millesime}_CSV_FR",
            membre=f"{jeu.id}_{millesime}_data.csv", melodi=jeu.id,
        )
        for jeu in melodi.jeux_de_source(cle)
    ]


def _fabrique_rp(cle: str):
    theme, titre, pages = _RP_BASES[cle]

    def fabrique(millesime: int) -> list[FichierOfficiel]:
        mention = f"Insee, RP {millesime}"
        if millesime in RP_MELODI:
            return _fichiers_melodi(cle, millesime, mention, f"Insee, recensement de la population {millesime} "
                                    f"(contient aussi les recensements {millesime - 6} et {millesime - 11})")
        archive = (f"base-ccc-{theme}-{millesime}.zip" if millesime <= 2019
                   else f"base-cc-{theme}-{millesime}_csv.zip")
        page = pages[millesime]
        return [
            FichierOfficiel(
                cle=cle,
                source=mention,
                libelle=(
                    f"Insee, recensement de la population {millesime}, base communale « {titre} » "
                    f"(contient aussi le recensement {millesime - 6})"
                ),
                millesime=millesime,
                nom_fichier=archive,
                url=f"{INSEE}/{page}/{archive}" if page else "",
                membre=f"base-cc-{theme}-{millesime}.CSV",
                recherche=archive,
            )
        ]

    return fabrique


def _millesimes_rp(cle: str) -> dict:
    return {**_RP_BASES[cle][2], **{m: "" for m in RP_MELODI}}


# --- BPE -------------------------------------------------------------------------------------
# 2018-2020: aggregated `bpeaa_ensemble_csv.zip` (page 3568629; historical links, the 2020 one is
# reported dead); 2021: the geolocated `bpe21_ensemble_xy_csv.zip` (page 3568638; the aggregated
# 2021 file was withdrawn in December 2024); 2023: the geolocated `BPE23.zip` (page 8217525);
# from 2024 the BPE is the Melodi dataset DS_BPE.
_BPE = {
    2018: (f"{INSEE}/3568629/bpe18_ensemble_csv.zip", "bpe18_ensemble.csv"),
    2019: (f"{INSEE}/3568629/bpe19_ensemble_csv.zip", "bpe19_ensemble.csv"),
    2020: (f"{INSEE}/3568629/bpe20_ensemble_csv.zip", "bpe20_ensemble.csv"),
    2021: (f"{INSEE}/3568638/bpe21_ensemble_xy_csv.zip", "bpe21_ensemble_xy.csv"),
    2023: (f"{INSEE}/8217525/BPE23.zip", "BPE23.csv"),
}
BPE_MELODI = (2024, 2025)


def _bpe(millesime: int) -> list[FichierOfficiel]:
    mention = f"Insee, BPE {millesime}"
    libelle = f"Insee, Base permanente des équipements {millesime}"
    if millesime in BPE_MELODI:
        return _fichiers_melodi("bpe", millesime, mention, libelle)
    url, membre = _BPE[millesime]
    return [
        FichierOfficiel(
            cle="bpe",
            source=mention,
            libelle=f"{libelle} ({'équipements géolocalisés' if '_xy' in url or 'BPE2' in url else 'base communale'})",
            millesime=millesime,
            nom_fichier=membre,
            url=url,
            membre=membre,
        )
    ]


# --- CAF: allocataires by IRIS ("données CAF par IRIS", data.caf.fr) -------------------------
# No stable direct download URL is known: the consultant is told what to look for.
_CAF_IRIS = {2016: "", 2020: ""}


def _caf_iris(millesime: int) -> list[FichierOfficiel]:
    nom = f"data_CAF_{millesime}_IRIS.csv"
    return [
        FichierOfficiel(
            cle="caf_iris",
            source=f"Cnaf, allocataires par IRIS {millesime}",
            libelle=f"Cnaf, données allocataires CAF par IRIS au 31 décembre {millesime} (lignes masquées : NOTE non nulle)",
            millesime=millesime,
            nom_fichier=nom,
            url=f"https://data.caf.fr/explore/?q=data_CAF_{millesime}_IRIS",
        )
    ]


# --- CAF data.caf.fr datasets (opendatasoft CSV exports, `;`) ----------------------------------
# One export holds every year: the same file serves several millésimes; the years listed here are
# those known to be published (a file holding another year is read all the same).
CAFDATA = "https://data.caf.fr/api/explore/v2.1/catalog/datasets"
_ANNEES_CAF_COMMUNES = {m: "" for m in range(2020, 2025)}  # s_ben_com_f: Decembers 2020-2024


def _caf_communes(millesime: int) -> list[FichierOfficiel]:
    return [
        FichierOfficiel(
            cle="caf_communes",
            source=f"Cnaf, allocataires par commune, décembre {millesime}",
            libelle=(f"Cnaf, data.caf.fr (s_ben_com_f), foyers allocataires par prestation et par commune, décembre "
                     f"{millesime} (effectifs arrondis à 5 ; allocataires non localisés exclus)"),
            millesime=millesime,
            nom_fichier="s_ben_com_f.csv",
            url=f"{CAFDATA}/s_ben_com_f/exports/csv?delimiter=%3B",
        )
    ]


# Taux de couverture petite enfance: one data.caf.fr dataset per level, each read at its own level
# (a rate is never recomputed from the communes); the current datasets hold the last two years,
# the `_hist` ones 2017-2022 (the current one wins on their common year). No region dataset of
# data.caf.fr is known (a file with a `numregi` code is read all the same); the commune dataset
# only covers communes of more than 10 000 inhabitants.
NIVEAUX_TXCOUV_PE = {
    "com": "commune",
    "epci": "epci",
    "dep": "departement",
    "nat": "france",
}
_ANNEES_TXCOUV = {m: "" for m in range(2017, 2024)}


def _caf_txcouv_pe(millesime: int) -> list[FichierOfficiel]:
    jeux = ["txcouv_pe_com", "txcouv_pe_epci", "txcouv_pe_dep", "txcouv_pe_nat"]
    if millesime <= 2021:
        jeux = ["txcouv_pe_epci_hist", "txcouv_pe_dep_hist", "txcouv_pe_nat"]
    return [
        FichierOfficiel(
            cle="caf_txcouv_pe",
            source=f"Cnaf, taux de couverture petite enfance {millesime}",
            libelle=(
                "Cnaf / Onape, data.caf.fr, taux de couverture de l'accueil du jeune enfant (places pour "
                f"100 enfants de moins de 3 ans ; communes de plus de 10 000 habitants, EPCI, départements, "
                f"France) ({millesime})"
            ),
            millesime=millesime,
            nom_fichier=f"{jeu}.csv",
            url=f"{CAFDATA}/{jeu}/exports/csv?delimiter=%3B",
        )
        for jeu in jeux
    ]


# --- France Travail / Dares: demandeurs d'emploi inscrits en fin de trimestre, par commune -----
# Dares opendatasoft dataset `dares_defm_communales-brutes`: catégorie ABC, fourth quarters from
# 2015-T4, counts rounded to 5; `use_labels=true` gives the labels header.
DARES = "https://data.dares.travail-emploi.gouv.fr/api/explore/v2.1/catalog/datasets"
_ANNEES_FRANCE_TRAVAIL = {m: "" for m in range(2015, 2025)}


def _france_travail(millesime: int) -> list[FichierOfficiel]:
    return [
        FichierOfficiel(
            cle="france_travail",
            source=f"France Travail - Dares, demandeurs d'emploi fin {millesime}",
            libelle=(
                "France Travail - Dares, demandeurs d'emploi inscrits en catégories A, B, C en fin de trimestre "
                f"par commune, sexe et âge, 4e trimestre {millesime} (données brutes, effectifs arrondis à 5)"
            ),
            millesime=millesime,
            nom_fichier="dares_defm_communales-brutes.csv",
            url=f"{DARES}/dares_defm_communales-brutes/exports/csv?use_labels=true&delimiter=%3B",
        )
    ]


SOURCES = (
    "filosofi", "rp_evol_struct_pop", "populations_legales", *[c for c in _RP_BASES if c != "rp_evol_struct_pop"],
    "bpe", "caf_iris", "caf_communes", "caf_txcouv_pe", "france_travail",
)


# 2014-2015: one workbook base-cc-filosofi-yyyy.xls (every niveau) in the published zip
_FILOSOFI_BASE_CC = {
    2014: f"{INSEE}/3126432/filo-revenu-pauvrete-menage-2014.zip",
    2015: f"{INSEE}/3560121/filo-revenu-pauvrete-menage-2015.zip",
}
_FILOSOFI_TOUS = {**_FILOSOFI_BASE_CC, **_FILOSOFI, **_FILOSOFI_MELODI}


def _filosofi(millesime: int) -> list[FichierOfficiel]:
    libelle = (f"Insee, Filosofi {millesime} : revenus, pauvreté et niveau de vie "
               "(communes, EPCI, départements, régions, France métropolitaine)")
    if millesime in _FILOSOFI_MELODI:
        from diagnostic_territorial.sources import melodi

        jeu = melodi.jeux()["DS_FILOSOFI_CC"]
        return [FichierOfficiel(
            cle="filosofi", source=f"Insee, Filosofi {millesime}", libelle=f"{libelle} — Melodi {jeu.id}",
            millesime=millesime, nom_fichier=f"{jeu.id}_{millesime}_data.csv", url=_FILOSOFI_MELODI[millesime],
            membre=f"{jeu.id}_{millesime}_data.csv", melodi=jeu.id)]
    if millesime in _FILOSOFI_BASE_CC:
        return [
            FichierOfficiel(
                cle="filosofi",
                source=f"Insee, Filosofi {millesime}",
                libelle=libelle + " (base communale)",
                millesime=millesime,
                nom_fichier=f"base-cc-filosofi-{millesime}.xls",
                url=_FILOSOFI_BASE_CC[millesime],
                membre=f"base-cc-filosofi-{millesime}.xls",
            )
        ]
    page, suffixe_com, suffixe_supra, ext = _FILOSOFI[millesime]
    fichiers = []
    for code, niveau in NIVEAUX_FILOSOFI.items():
        zone, suffixe = ("COMMUNES", suffixe_com) if code == "COM" else ("SUPRA", suffixe_supra)
        extension = "xlsx" if suffixe.lower() == "_xlsx.zip" else ext
        membre = f"FILO{millesime}_DISP_{code}.{extension}"
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
                nom_fichier=membre,
                url=f"{INSEE}/{page}/indic-struct-distrib-revenu-{millesime}-{zone}{suffixe}",
                membre=membre,
            )
        )
    return fichiers


def _rp_evol_struct_pop(millesime: int) -> list[FichierOfficiel]:
    return _fabrique_rp("rp_evol_struct_pop")(millesime)


# --- Populations légales (millésime = year of the census population, in force 3 years later) --
# `ensemble.zip` holds donnees_communes.csv (which does not carry its millésime); from the
# populations légales 2023 the Melodi dataset DS_POPULATIONS_REFERENCE (with TIME_PERIOD).
_POPULATIONS_LEGALES = {
    2017: f"{INSEE}/4265429/ensemble.zip",
    2019: f"{INSEE}/6011070/ensemble.zip",
    2020: f"{INSEE}/6683035/ensemble.zip",
    2021: f"{INSEE}/7739582/ensemble.zip",
    2022: f"{INSEE}/8680726/ensemble.zip",
}
POPULATIONS_MELODI = (2023,)


def _populations_legales(millesime: int) -> list[FichierOfficiel]:
    mention = f"Insee, populations légales {millesime}"
    libelle = f"Insee, populations légales {millesime} des communes (en vigueur au 1er janvier {millesime + 3})"
    if millesime in POPULATIONS_MELODI:
        return _fichiers_melodi("populations_legales", millesime, mention, libelle)
    return [
        FichierOfficiel(
            cle="populations_legales",
            source=mention,
            libelle=libelle,
            millesime=millesime,
            nom_fichier="donnees_communes.csv",
            url=_POPULATIONS_LEGALES[millesime],
            membre="donnees_communes.csv",
        )
    ]


_REGISTRE = {
    "filosofi": (_FILOSOFI_TOUS, _filosofi),
    "populations_legales": ({**_POPULATIONS_LEGALES, **{m: "" for m in POPULATIONS_MELODI}}, _populations_legales),
    **{cle: (_millesimes_rp(cle), _fabrique_rp(cle)) for cle in _RP_BASES},
    "bpe": ({**_BPE, **{m: "" for m in BPE_MELODI}}, _bpe),
    "caf_iris": (_CAF_IRIS, _caf_iris),
    "caf_communes": (_ANNEES_CAF_COMMUNES, _caf_communes),
    "caf_txcouv_pe": (_ANNEES_TXCOUV, _caf_txcouv_pe),
    "france_travail": (_ANNEES_FRANCE_TRAVAIL, _france_travail),
}

# Sources published under the same file name every year: the millésime cannot be told from the name.
_NOM_SANS_MILLESIME = ("populations_legales", "caf_communes", "caf_txcouv_pe", "france_travail")
# Sources published as one file holding every year: any year the file holds can be used.
TOUS_MILLESIMES = ("caf_communes", "caf_txcouv_pe", "france_travail")


def millesimes(cle_source: str) -> list[int]:
    return sorted(_REGISTRE[cle_source][0]) if cle_source in _REGISTRE else []


def dernier(cle_source: str) -> int | None:
    """The latest millésime known to be published for a source (used offline of any file)."""
    connus = millesimes(cle_source)
    return connus[-1] if connus else None


def fichiers(cle_source: str, millesime: int) -> list[FichierOfficiel]:
    """The official files making up one (source, millésime); ValueError if unknown."""
    if cle_source not in _REGISTRE:
        raise ValueError(f"source inconnue : « {cle_source} » (sources connues : {', '.join(SOURCES)})")
    table, fabrique = _REGISTRE[cle_source]
    if int(millesime) not in table:
        if cle_source in TOUS_MILLESIMES:  # one export holds every year: the same file
            return fabrique(int(millesime))
        raise ValueError(
            f"millésime {millesime} non pris en charge pour « {cle_source} » "
            f"(millésimes connus : {', '.join(map(str, sorted(table)))})"
        )
    return fabrique(int(millesime))


def officiel_melodi(jeu: str, millesime: int) -> FichierOfficiel | None:
    """The registered Melodi file of a dataset and millésime, if any."""
    from diagnostic_territorial.sources import melodi

    definition = melodi.jeux().get(jeu)
    if definition is None or int(millesime) not in millesimes(definition.source):
        return None
    return next((f for f in fichiers(definition.source, int(millesime)) if f.melodi == definition.id), None)


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
    ecrire_json(registre, empreintes, indent=2, fin="\n")
    return empreinte


def telecharger(fichier: FichierOfficiel, dossier_brut: Path, timeout: float = 30) -> Path:
    """Download the official archive into data/brut/ (``ecriture.fichier_temporaire``: nothing is
    left under the official name unless the whole file arrived).

    Returns the path of the downloaded file; raises DonneeManquante on any network failure. A folder
    that cannot be written (read-only) raises the OSError (French message of the command line).
    """
    dossier = Path(dossier_brut)
    cible = dossier / fichier.nom_archive
    with fichier_temporaire(cible) as temp:
        try:
            requete = urllib.request.Request(fichier.url, headers={"User-Agent": "diagnostic-territorial"})
            with open(temp, "wb") as sortie, urllib.request.urlopen(requete, timeout=timeout) as reponse:
                shutil.copyfileobj(reponse, sortie, 1 << 20)
            if os.path.getsize(temp) == 0:
                raise OSError("réponse vide")
            with open(temp, "rb") as f:
                debut = f.read(512).lstrip().lower()
            if debut.startswith((b"<!doctype html", b"<html")):
                raise OSError("page HTML reçue au lieu du fichier de données")
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
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

    from diagnostic_territorial.sources.schema import Provenance

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
