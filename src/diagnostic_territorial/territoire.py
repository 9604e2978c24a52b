"""Resolve a territory code (EPCI SIREN, list of commune INSEE codes or a whole département) into
its communes and its reference territories (département, région, France), from the COG shipped in
referentiel/.

Syntax of code_territoire:
- ``200068815``: SIREN of an EPCI (9 digits);
- ``31003,31010``: INSEE codes of communes (5 characters, ``2A004`` in Corse), separated by commas;
- ``dep:31`` (or ``31``, ``2A``, ``974``): every commune of a département.

Pure standard library (csv, gzip) so that the cookiecutter hooks can use it before any
dependency of the study is installed.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .erreurs import TerritoireInvalide

REFERENTIEL = Path(__file__).resolve().parent / "referentiel"
GEOGRAPHIE = 2022
SANS_EPCI = "ZZZZZZZZZ"

RE_SIREN = re.compile(r"^\d{9}$")
RE_COMMUNE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
RE_DEPARTEMENT = re.compile(r"^(?:DEP(?:ARTEMENT)?\s*:\s*)?(\d{2}|2[AB]|97\d)$")
PREFIXE_DEPARTEMENT = "dep:"


def _lire_csv(nom: str) -> list[dict]:
    chemin = REFERENTIEL / nom
    ouvrir = gzip.open if nom.endswith(".gz") else open
    with ouvrir(chemin, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def referentiel() -> dict:
    communes = {r["CODGEO"]: r for r in _lire_csv(f"communes_{GEOGRAPHIE}.csv.gz")}
    epci = {r["EPCI"]: r for r in _lire_csv(f"epci_{GEOGRAPHIE}.csv.gz")}
    departements = {r["DEP"]: r for r in _lire_csv(f"departements_{GEOGRAPHIE}.csv")}
    regions = {r["REG"]: r for r in _lire_csv(f"regions_{GEOGRAPHIE}.csv")}
    anciennes = {r["COM"]: r for r in _lire_csv(f"communes_anciennes_{GEOGRAPHIE}.csv.gz")}
    return {
        "communes": communes,
        "epci": epci,
        "departements": departements,
        "regions": regions,
        "anciennes": anciennes,
    }


@dataclass
class Commune:
    code: str
    nom: str
    departement: str
    region: str
    epci: str


@dataclass
class Territoire:
    type: str  # "epci", "communes" or "departement"
    code: str  # normalised code_territoire
    nom: str
    communes: list[Commune] = field(default_factory=list)
    departement: tuple[str, str] = ("", "")
    region: tuple[str, str] = ("", "")
    epci: list[tuple[str, str]] = field(default_factory=list)
    geographie: int = GEOGRAPHIE

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "code": self.code,
            "nom": self.nom,
            "geographie": self.geographie,
            "departement": {"code": self.departement[0], "nom": self.departement[1]},
            "region": {"code": self.region[0], "nom": self.region[1]},
            "epci": [{"code": c, "nom": n} for c, n in self.epci],
            "communes": [
                {"code": c.code, "nom": c.nom, "departement": c.departement, "region": c.region, "epci": c.epci}
                for c in self.communes
            ],
        }


def _suggestions(code: str, connus) -> str:
    proches = difflib.get_close_matches(code, list(connus), n=3, cutoff=0.8)
    return f" Codes proches : {', '.join(proches)}." if proches else ""


def _commune(code: str) -> Commune:
    ref = referentiel()
    row = ref["communes"].get(code)
    if row is None:
        ancienne = ref["anciennes"].get(code)
        if ancienne is not None:
            parent = ref["communes"].get(ancienne["COMPARENT"], {})
            raise TerritoireInvalide(
                f"Le code commune « {code} » ({ancienne['LIBELLE']}) n'existe plus en géographie "
                f"{GEOGRAPHIE} : la commune a fusionné dans la commune nouvelle "
                f"« {ancienne['COMPARENT']} » ({parent.get('LIBGEO', '?')}). Utilisez ce code."
            )
        raise TerritoireInvalide(
            f"Code commune inconnu : « {code} » (code officiel géographique {GEOGRAPHIE})."
            + _suggestions(code, ref["communes"])
        )
    return Commune(code, row["LIBGEO"], row["DEP"], row["REG"], row["EPCI"])


def _references(communes: list[Commune]) -> tuple[tuple[str, str], tuple[str, str]]:
    """Main département / région: the one holding most of the territory's communes."""
    ref = referentiel()
    dep = Counter(c.departement for c in communes).most_common(1)[0][0]
    reg = ref["departements"][dep]["REG"] if dep in ref["departements"] else communes[0].region
    return (dep, ref["departements"].get(dep, {}).get("LIBELLE", dep)), (
        reg,
        ref["regions"].get(reg, {}).get("LIBELLE", reg),
    )


def analyser_code(code_territoire: str) -> tuple[str, list[str]]:
    """Split and check the syntax of a code_territoire. Returns (type, codes)."""
    brut = str(code_territoire).strip()
    if not brut:
        raise TerritoireInvalide("Le code du territoire est vide : indiquez un SIREN d'EPCI, des codes commune "
                                 "ou un département (ex. dep:31).")
    dep = RE_DEPARTEMENT.match(brut.upper().replace(" ", ""))
    if dep:
        return "departement", [dep.group(1)]
    morceaux = [m.strip().upper() for m in re.split(r"[,;\s]+", brut) if m.strip()]
    if len(morceaux) == 1 and RE_SIREN.match(morceaux[0]):
        return "epci", morceaux
    mauvais = [m for m in morceaux if not RE_COMMUNE.match(m)]
    if mauvais:
        raise TerritoireInvalide(
            f"Code de territoire mal formé : « {mauvais[0]} ». Attendu : un SIREN d'EPCI (9 chiffres, "
            "ex. 200068815), des codes commune INSEE à 5 caractères séparés par des virgules "
            "(ex. 31003,31010 ; 2A004 pour la Corse-du-Sud) ou un département entier (ex. dep:31, dep:2A)."
        )
    doublons = [c for c, n in Counter(morceaux).items() if n > 1]
    if doublons:
        raise TerritoireInvalide(f"Code commune en double dans la liste : « {doublons[0]} ».")
    return "communes", morceaux


def resoudre(code_territoire: str) -> Territoire:
    """EPCI SIREN, comma-separated commune codes or département -> Territoire (raises TerritoireInvalide)."""
    type_, codes = analyser_code(code_territoire)
    ref = referentiel()
    if type_ == "departement":
        code = codes[0]
        dep = ref["departements"].get(code)
        if dep is None:
            raise TerritoireInvalide(
                f"Département inconnu : « {code} » (code officiel géographique {GEOGRAPHIE} ; "
                "ex. dep:31 pour la Haute-Garonne, dep:2A pour la Corse-du-Sud)."
                + _suggestions(code, ref["departements"])
            )
        communes = [_commune(c) for c, r in sorted(ref["communes"].items()) if r["DEP"] == code]
        reg = dep["REG"]
        epcis = sorted({c.epci for c in communes if c.epci != SANS_EPCI})
        return Territoire(
            "departement", code, dep["LIBELLE"], communes, (code, dep["LIBELLE"]),
            (reg, ref["regions"].get(reg, {}).get("LIBELLE", reg)),
            [(e, ref["epci"][e]["LIBEPCI"]) for e in epcis if e in ref["epci"]],
        )
    if type_ == "epci":
        siren = codes[0]
        epci = ref["epci"].get(siren)
        if epci is None or siren == SANS_EPCI:
            raise TerritoireInvalide(
                f"Le SIREN « {siren} » n'est pas celui d'un EPCI à fiscalité propre "
                f"(liste Insee des intercommunalités au 1er janvier {GEOGRAPHIE})."
                + _suggestions(siren, ref["epci"])
            )
        communes = [_commune(c) for c, r in sorted(ref["communes"].items()) if r["EPCI"] == siren]
        dep, reg = _references(communes)
        return Territoire("epci", siren, epci["LIBEPCI"], communes, dep, reg, [(siren, epci["LIBEPCI"])])
    communes = [_commune(c) for c in codes]
    dep, reg = _references(communes)
    epcis = sorted({c.epci for c in communes if c.epci != SANS_EPCI})
    if len(communes) == 1:
        nom = communes[0].nom
    else:
        nom = f"{communes[0].nom} et {len(communes) - 1} autre" + ("s" if len(communes) > 2 else "") + " commune" + ("s" if len(communes) > 2 else "")
    return Territoire(
        "communes",
        ",".join(codes),
        nom,
        communes,
        dep,
        reg,
        [(e, ref["epci"][e]["LIBEPCI"]) for e in epcis if e in ref["epci"]],
    )


def nom_officiel(code_territoire: str) -> str:
    return resoudre(code_territoire).nom
