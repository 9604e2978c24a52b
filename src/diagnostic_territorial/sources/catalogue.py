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
        return self.url.rsplit("/", 1)[-1]

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

SOURCES = ("filosofi", "rp_evol_struct_pop", "populations_legales")


def _filosofi(millesime: int) -> list[FichierOfficiel]:
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
    "filosofi": (_FILOSOFI, _filosofi),
    "rp_evol_struct_pop": (_RP_EVOL_STRUCT_POP, _rp_evol_struct_pop),
    "populations_legales": (_POPULATIONS_LEGALES, _populations_legales),
}


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
        if cle == "populations_legales":
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
