"""Resolve a territory code (EPCI SIREN, list of commune INSEE codes or a whole département) into
its communes and its reference territories (département, région, France), from the COG shipped in
referentiel/.

Syntax of code_territoire:
- ``200068815``: SIREN of an EPCI (9 digits);
- ``31003,31010``: INSEE codes of communes (5 characters, ``2A004`` in Corse), separated by commas;
- ``dep:31`` (or ``31``, ``2A``, ``974``): every commune of a département.

References: a territory spread over several départements (a list of communes, an EPCI across a
boundary) is compared with each of them and with each of their régions (`departements`,
`regions`, the main one first: the one holding most communes); `departement` and `region` stay
the main one. The arrondissements municipaux of Paris, Lyon and Marseille are not communes of the
COG: they are refused with the code of their commune.

Pure standard library (csv, gzip) so that the cookiecutter hooks can use it before any
dependency of the study is installed.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from diagnostic_territorial.erreurs import TerritoireInvalide
from diagnostic_territorial import PAQUET

REFERENTIEL = PAQUET / "referentiel"
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
    departement: tuple[str, str] = ("", "")  # the main one (most communes)
    region: tuple[str, str] = ("", "")  # the main département's
    epci: list[tuple[str, str]] = field(default_factory=list)
    geographie: int = GEOGRAPHIE
    # every département / région holding a commune of the territory, the main one first
    departements: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.departements and self.departement[0]:
            self.departements = [self.departement]
        if not self.regions and self.region[0]:
            self.regions = [self.region]

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "code": self.code,
            "nom": self.nom,
            "geographie": self.geographie,
            "departement": {"code": self.departement[0], "nom": self.departement[1]},
            "region": {"code": self.region[0], "nom": self.region[1]},
            "departements": [{"code": c, "nom": n} for c, n in self.departements],
            "regions": [{"code": c, "nom": n} for c, n in self.regions],
            "epci": [{"code": c, "nom": n} for c, n in self.epci],
            "communes": [
                {"code": c.code, "nom": c.nom, "departement": c.departement, "region": c.region, "epci": c.epci}
                for c in self.communes
            ],
        }


# Arrondissements municipaux (not communes of the COG): (first code, last code, commune, name).
ARRONDISSEMENTS_MUNICIPAUX = (
    ("75101", "75120", "75056", "Paris"),
    ("69381", "69389", "69123", "Lyon"),
    ("13201", "13216", "13055", "Marseille"),
)
MAX_SUGGESTIONS = 3


def arrondissement_municipal(code: str) -> tuple[str, str, int] | None:
    """(commune code, commune name, number) when `code` is an arrondissement municipal of Paris,
    Lyon or Marseille (75101 -> ("75056", "Paris", 1)); None otherwise."""
    code = str(code).strip().upper()
    for debut, fin, commune, ville in ARRONDISSEMENTS_MUNICIPAUX:
        if len(code) == len(debut) and debut <= code <= fin:
            return commune, ville, int(code) - int(debut) + 1
    return None


def _departement_du_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _fautes_de_frappe(code: str, connus) -> list[str]:
    """Known codes one typing slip away from `code` (same length): two adjacent characters swapped
    first, then one character replaced. Several equally close codes are no help (and a
    « close » code of another place is misleading): none is returned beyond MAX_SUGGESTIONS."""
    connus = set(connus)
    inversions, substitutions = [], []
    for i in range(len(code) - 1):
        autre = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        if autre != code and autre in connus:
            inversions.append(autre)
    for i in range(len(code)):
        for c in "0123456789AB":
            autre = code[:i] + c + code[i + 1:]
            if autre != code and autre in connus and autre not in inversions:
                substitutions.append(autre)
    candidats = sorted(inversions) + sorted(substitutions)
    if len(candidats) <= MAX_SUGGESTIONS:
        return candidats
    return sorted(inversions) if len(inversions) <= MAX_SUGGESTIONS else []


def _suggestions_commune(code: str) -> str:
    """A hint for an unknown commune code: the Corsican codes (2A/2B) of a 20xxx code, or the
    codes of the same département one typing slip away, with their names. Nothing rather than
    unrelated codes."""
    communes = referentiel()["communes"]
    if code.startswith("20"):
        corses = [c for c in (f"2A{code[2:]}", f"2B{code[2:]}") if c in communes]
        return (" Les communes de Corse ont un code en 2A (Corse-du-Sud) ou 2B (Haute-Corse)"
                + (" : " + ", ".join(f"{c} ({communes[c]['LIBGEO']})" for c in corses) if corses else "") + ".")
    dep = _departement_du_code(code)
    if dep not in referentiel()["departements"]:
        return f" Aucun département n'a le code « {dep} »."
    voisins = _fautes_de_frappe(code, (c for c in communes if _departement_du_code(c) == dep))
    if not voisins:
        return ""
    return (" Vouliez-vous dire : " + ", ".join(f"{c} ({communes[c]['LIBGEO']})" for c in voisins) + " ?")


def _suggestions_departement(code: str) -> str:
    departements = referentiel()["departements"]
    if code == "20":
        return " La Corse compte deux départements : dep:2A (Corse-du-Sud) et dep:2B (Haute-Corse)."
    voisins = _fautes_de_frappe(code, departements)
    if not voisins:
        return ""
    return " Vouliez-vous dire : " + ", ".join(f"dep:{d} ({departements[d]['LIBELLE']})" for d in voisins) + " ?"


def _suggestions_epci(siren: str) -> str:
    epci = referentiel()["epci"]
    voisins = _fautes_de_frappe(siren, (e for e in epci if e != SANS_EPCI))
    if not voisins:
        return ""
    return " Vouliez-vous dire : " + ", ".join(f"{e} ({epci[e]['LIBEPCI']})" for e in voisins) + " ?"


def _commune(code: str) -> Commune:
    ref = referentiel()
    row = ref["communes"].get(code)
    if row is None:
        arrondissement = arrondissement_municipal(code)
        if arrondissement is not None:
            commune, ville, numero = arrondissement
            raise TerritoireInvalide(
                f"« {code} » est le code d'un arrondissement municipal de {ville} "
                f"({numero}{'er' if numero == 1 else 'e'} arrondissement), pas celui d'une commune : "
                f"l'étude porte sur des communes du code officiel géographique {GEOGRAPHIE}, où {ville} est "
                f"une seule commune. Utilisez le code commune {commune} ({ville})."
            )
        ancienne = ref["anciennes"].get(code)
        if ancienne is not None:
            parent = ref["communes"].get(ancienne["COMPARENT"], {})
            raise TerritoireInvalide(
                f"Le code commune « {code} » ({ancienne['LIBELLE']}) n'existe plus en géographie "
                f"{GEOGRAPHIE} : la commune a fusionné dans la commune nouvelle "
                f"« {ancienne['COMPARENT']} » ({parent.get('LIBGEO', '?')}). Utilisez ce code."
            )
        raise TerritoireInvalide(
            f"Code commune inconnu : « {code} » (code officiel géographique {GEOGRAPHIE} ; code INSEE de la "
            "commune, différent de son code postal)."
            + _suggestions_commune(code)
        )
    return Commune(code, row["LIBGEO"], row["DEP"], row["REG"], row["EPCI"])


def _references(communes: list[Commune]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every département and région holding a commune of the territory, (code, name), the main
    one first: the département with most communes (the first listed on a tie) and its région."""
    ref = referentiel()
    departements = [d for d, _ in Counter(c.departement for c in communes).most_common()]
    regions = []
    for dep in departements:
        reg = ref["departements"].get(dep, {}).get("REG") or next(c.region for c in communes if c.departement == dep)
        if reg not in regions:
            regions.append(reg)
    return ([(d, ref["departements"].get(d, {}).get("LIBELLE", d)) for d in departements],
            [(r, ref["regions"].get(r, {}).get("LIBELLE", r)) for r in regions])


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
                + _suggestions_departement(code)
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
                + _suggestions_epci(siren)
            )
        communes = [_commune(c) for c, r in sorted(ref["communes"].items()) if r["EPCI"] == siren]
        deps, regs = _references(communes)
        return Territoire("epci", siren, epci["LIBEPCI"], communes, deps[0], regs[0], [(siren, epci["LIBEPCI"])],
                          departements=deps, regions=regs)
    communes = [_commune(c) for c in codes]
    deps, regs = _references(communes)
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
        deps[0],
        regs[0],
        [(e, ref["epci"][e]["LIBEPCI"]) for e in epcis if e in ref["epci"]],
        departements=deps,
        regions=regs,
    )


def nom_officiel(code_territoire: str) -> str:
    return resoudre(code_territoire).nom
