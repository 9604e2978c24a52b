"""Download a study's extract of a Melodi dataset through Insee's open API (no key).

`GET https://api.insee.fr/melodi/data/<jeu>?GEO=COM-31135&GEO=DEP-31&...&maxResult=...&page=...`
answers JSON pages (`observations[]`, `paging.count` with `totalCount=TRUE`). The API allows 30
requests a minute: requests are spaced (`Client.pause`), and an HTTP 429 (or a 502/503/504) is
retried after the `Retry-After` delay when given, with an exponential backoff otherwise. An
unknown dataset answers HTTP 500.

The extract (the study's communes, its EPCI, départements, régions and France) is written into
data/brut/ in the layout of the bulk files (`DS_<JEU>_<millésime>_data.csv`), so that the same
reader reads a bulk file dropped by hand and an API extract.
"""

from __future__ import annotations

import http.client
import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from diagnostic_territorial.erreurs import DonneeManquante

API = "https://api.insee.fr/melodi"
REQUETES_PAR_MINUTE = 30
TAILLE_PAGE = 100_000  # observations per page (Insee's own client uses up to 100 000)
GEO_PAR_REQUETE = 80  # territories per request (the URL stays short)


@dataclass
class Client:
    base: str = API
    pause: float = 60.0 / REQUETES_PAR_MINUTE + 0.1  # seconds between two requests
    essais: int = 6
    delai: float = 60.0  # network timeout, seconds
    dormir: object = time.sleep
    horloge: object = time.monotonic
    journal: list = field(default_factory=list)  # (url, status) of each request, for tests and the annex
    _dernier: float = -math.inf

    def _attendre(self) -> None:
        attente = self.pause - (self.horloge() - self._dernier)
        if attente > 0:
            self.dormir(attente)
        self._dernier = self.horloge()

    def json(self, chemin: str, parametres: list[tuple[str, str]], quoi: str) -> dict:
        """One API answer; DonneeManquante (French, naming `quoi` and the URL) on failure."""
        url = f"{self.base}{chemin}?{urllib.parse.urlencode(parametres)}"
        for essai in range(self.essais):
            self._attendre()
            requete = urllib.request.Request(url, headers={"User-Agent": "diagnostic-territorial",
                                                           "Accept": "application/json"})
            try:
                with urllib.request.urlopen(requete, timeout=self.delai) as reponse:
                    contenu = reponse.read()
                self.journal.append((url, 200))
                try:
                    return json.loads(contenu.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    raise DonneeManquante(quoi, url, "", "Insee, Melodi", raison="réponse illisible (JSON attendu)") from None
            except urllib.error.HTTPError as exc:
                self.journal.append((url, exc.code))
                if exc.code in (429, 502, 503, 504) and essai + 1 < self.essais:
                    self.dormir(_delai_reessai(exc, essai, self.pause))
                    continue
                raison = {429: "trop de requêtes (limite de 30 par minute) malgré les nouvelles tentatives",
                          500: "jeu de données inconnu de l'API Melodi", 404: "adresse inconnue"}.get(
                    exc.code, f"erreur HTTP {exc.code}")
                raise DonneeManquante(quoi, url, "", "Insee, Melodi", raison=raison) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
                self.journal.append((url, 0))
                raison = getattr(exc, "reason", None) or exc
                raise DonneeManquante(quoi, url, "", "Insee, Melodi", raison=f"réseau injoignable ({raison})") from None
        raise DonneeManquante(quoi, url, "", "Insee, Melodi", raison="trop de tentatives")

    def observations(self, jeu: str, territoires: list[str], filtres: list[tuple[str, str]] = (),
                     taille_page: int = TAILLE_PAGE) -> list[dict]:
        """Every page of the observations of `jeu` for these territories (`COM-31135`, `DEP-31`,
        `FRANCE-F`...): the API has no « next » link, so pages are asked until one is short or
        `paging.count` is reached."""
        pages = []
        for debut in range(0, len(territoires), GEO_PAR_REQUETE):
            lot = territoires[debut:debut + GEO_PAR_REQUETE]
            page = 1
            while True:
                parametres = [("GEO", g) for g in lot] + list(filtres) + [
                    ("maxResult", str(taille_page)), ("page", str(page)), ("totalCount", "TRUE")]
                reponse = self.json(f"/data/{jeu}", parametres, f"{jeu} (API Melodi)")
                pages.append(reponse)
                n = len(reponse.get("observations") or [])
                total = (reponse.get("paging") or {}).get("count")
                if n < taille_page or (total is not None and page * taille_page >= int(total)):
                    break
                page += 1
        return pages


def _delai_reessai(exc: urllib.error.HTTPError, essai: int, pause: float) -> float:
    valeur = exc.headers.get("Retry-After") if exc.headers else None
    if valeur:
        try:
            return max(float(valeur), pause)
        except ValueError:
            pass
    return min(60.0, pause * 2 ** (essai + 1))


def territoires_etude(etude) -> list[str]:
    """The Melodi GEO values of a study: its communes (and arrondissements of Paris, Lyon,
    Marseille), its EPCI, départements, régions and France (France hors Mayotte and métropolitaine)."""
    from diagnostic_territorial.sources import preparation as donnees

    codes = donnees.codes_territoire(etude)
    from diagnostic_territorial.indicateurs.calcul import ARRONDISSEMENTS

    def objet(code: str) -> str:
        return "ARM" if any(d <= code <= f for d, f, _ in ARRONDISSEMENTS) else "COM"

    geos = [f"{objet(code)}-{code}" for code in sorted(codes["commune"])]
    geos += [f"EPCI-{c}" for c in sorted(codes["epci"]) if c and c.isdigit()]
    geos += [f"DEP-{c}" for c in sorted(codes["departement"])]
    geos += [f"REG-{c}" for c in sorted(codes["region"])]
    geos += ["FRANCE-F", "FRANCE-FM"]
    return geos


def pages_vers_observations(pages: list[dict]) -> pd.DataFrame:
    """The API's pages -> a DataFrame in the bulk layout (GEO, GEO_OBJECT, dimensions, TIME_PERIOD,
    OBS_VALUE and the attributes)."""
    from diagnostic_territorial.sources import melodi

    return melodi._observations_json("API Melodi", json.dumps(pages).encode("utf-8"))


def telecharger_etude(fichier, etude, dossier_brut: Path, client: Client | None = None) -> Path:
    """Download the study's extract of the Melodi dataset of `fichier` (a FichierOfficiel with
    `melodi`) into data/brut/ as `DS_<JEU>_<millésime>_data.csv`; DonneeManquante on failure."""
    from diagnostic_territorial.ecriture import _ecrire_atomiquement
    from diagnostic_territorial.sources import catalogue, melodi

    client = client or Client()
    dossier = Path(dossier_brut)
    try:
        pages = client.observations(fichier.melodi, territoires_etude(etude))
    except DonneeManquante as exc:
        raise DonneeManquante(fichier.nom_fichier, exc.url or fichier.adresse, dossier, fichier.source,
                              raison=exc.raison) from None
    df = pages_vers_observations(pages)
    if df.empty:
        raise DonneeManquante(fichier.nom_fichier, fichier.adresse, dossier, fichier.source,
                              raison="l'API n'a renvoyé aucune observation pour les territoires de l'étude")
    annees = sorted({str(a)[:4] for a in df["TIME_PERIOD"]})
    if str(fichier.millesime) not in annees:
        raise DonneeManquante(fichier.nom_fichier, fichier.adresse, dossier, fichier.source,
                              raison=f"l'API sert {', '.join(annees)}, pas {fichier.millesime}")
    cible = dossier / fichier.nom_fichier
    _ecrire_atomiquement(cible, melodi.ecrire_csv(df))
    catalogue.enregistrer_empreinte(dossier, cible)
    return cible
