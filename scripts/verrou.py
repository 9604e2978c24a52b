"""Write the lock file of a study's environment from the current environment (« make verrou »).

The lock holds an exact pin (==) for every package a study installs: the dependencies of
diagnostic-territorial and of its extras « jupyter » and « distribue », followed recursively through
the installed packages' metadata (environment markers evaluated here). The test tools of the root
environment (pytest, playwright...) and the project itself are left out. A study's « make env » uses
the file as pip constraints, so a study created today and one recreated in a year get the same
versions.

    .venv/bin/python scripts/verrou.py [--sortie src/diagnostic_territorial/requirements-verrou.txt]
"""

import argparse
import platform
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

RACINE = Path(__file__).resolve().parents[1]
PROJET = "diagnostic-territorial"
EXTRAS = ("jupyter", "distribue")
SORTIE = RACINE / "src" / "diagnostic_territorial" / "requirements-verrou.txt"


def _retenue(req: Requirement, extras: frozenset[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in (extras | {""}))


def exigences_du_projet(extras: tuple[str, ...] = EXTRAS) -> list[Requirement]:
    """The dependencies and `extras` declared in pyproject.toml (read there, not from the installed
    metadata, which is only refreshed by a new « pip install -e »)."""
    projet = tomllib.loads((RACINE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    textes = list(projet["dependencies"])
    for extra in extras:
        textes += projet["optional-dependencies"][extra]
    return [Requirement(t) for t in textes]


def fermeture(extras: tuple[str, ...] = EXTRAS) -> dict[str, str]:
    """{distribution name: installed version} of everything the project with `extras` needs."""
    vus: dict[str, frozenset[str]] = {}
    versions: dict[str, str] = {}
    pile = [(r.name, frozenset(r.extras), "pyproject.toml") for r in exigences_du_projet(extras)
            if r.marker is None or r.marker.evaluate({"extra": ""})]
    while pile:
        nom, demandes, parent = pile.pop()
        cle = canonicalize_name(nom)
        if cle in vus and demandes <= vus[cle]:
            continue
        try:
            dist = distribution(nom)
        except PackageNotFoundError:
            sys.exit(f"« {nom} » (requis par {parent}) n'est pas installé dans {sys.prefix} : "
                     f"lancez « make install » puis « make verrou ».")
        demandes = demandes | vus.get(cle, frozenset())
        vus[cle] = demandes
        versions[dist.metadata["Name"]] = dist.version
        for texte in dist.requires or []:
            req = Requirement(texte)
            if _retenue(req, demandes):
                pile.append((req.name, frozenset(req.extras), dist.metadata["Name"]))
    return {n: v for n, v in versions.items() if canonicalize_name(n) != canonicalize_name(PROJET)}


def texte_verrou(versions: dict[str, str]) -> str:
    entete = [
        "# Versions exactes de l'environnement d'une étude, testées ensemble avec cette version de",
        "# diagnostic_territorial (dépendances et options « jupyter » et « distribue »).",
        "# Écrit par « make verrou » dans le dépôt du modèle : ne pas modifier à la main.",
        f"# Python {platform.python_version()}, {platform.system()} {platform.machine()}.",
        "# « make env » l'utilise comme contraintes : pip install -c <ce fichier> -e '.[jupyter]'",
    ]
    lignes = [f"{n}=={v}" for n, v in sorted(versions.items(), key=lambda nv: canonicalize_name(nv[0]))]
    return "\n".join(entete + lignes) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Écrit le fichier de verrouillage de l'environnement d'une étude.")
    parser.add_argument("--sortie", type=Path, default=SORTIE)
    args = parser.parse_args(argv)
    versions = fermeture()
    args.sortie.write_text(texte_verrou(versions), encoding="utf-8")
    print(f"{len(versions)} paquets verrouillés dans {args.sortie}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
