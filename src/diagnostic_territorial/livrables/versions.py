"""Versions of the software that produced a report, for its technical annex.

The figures depend on the data files (their checksums are in the annex) and on the code that reads
and computes them: the library and the packages it relies on. `versions()` reads the installed
versions of the key ones; `html_versions()` shows them as a small table, with the version of the
lock file (requirements-verrou.txt, shipped with the library, installed by a study's « make env »)
next to any package that differs from it."""

import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from diagnostic_territorial import __version__

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial import PAQUET

ABSENT = "absent"
VERROU = PAQUET / "requirements-verrou.txt"

# Distribution names, in the order of the table: reading the data, computing, charts and maps,
# running the notebooks, writing the deliverables.
PAQUETS = (
    "pandas", "numpy", "pyarrow", "openpyxl", "scipy",
    "geopandas", "shapely", "mapclassify", "matplotlib", "seaborn", "folium", "folium-offline",
    "papermill", "nbconvert", "nbformat", "ipykernel",
    "weasyprint", "nh3", "python-docx",
)


def _nom(nom: str) -> str:
    """Normalised distribution name (PEP 503): « Folium_Offline » and « folium-offline » are one."""
    return re.sub(r"[-_.]+", "-", nom).lower()


def versions() -> dict[str, str]:
    """{name: installed version} of Python, the library and the key packages; « absent » for a
    package that is not installed."""
    resultat = {"python": platform.python_version(), "diagnostic_territorial": __version__}
    for paquet in PAQUETS:
        try:
            resultat[paquet] = version(paquet)
        except PackageNotFoundError:
            resultat[paquet] = ABSENT
    return resultat


def verrou(chemin: Path = VERROU) -> dict[str, str]:
    """{normalised name: version} pinned by the lock file; empty when there is none."""
    try:
        lignes = chemin.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    epingles = {}
    for ligne in lignes:
        ligne = ligne.split("#", 1)[0].strip()
        if "==" in ligne:
            nom, _, ver = ligne.partition("==")
            epingles[_nom(nom.strip())] = ver.strip()
    return epingles


def html_versions(installees: dict[str, str] | None = None, verrouillees: dict[str, str] | None = None) -> str:
    """The annex paragraph and table of versions (escaped)."""
    installees = versions() if installees is None else installees
    verrouillees = verrou() if verrouillees is None else verrouillees
    lignes = []
    for nom, ver in installees.items():
        attendue = verrouillees.get(_nom(nom))
        cellule = assainir.texte(ver)
        if attendue and attendue != ver:
            cellule += f" <em>(verrou : {assainir.texte(attendue)})</em>"
        lignes.append(f"<tr><td>{assainir.texte(nom)}</td><td>{cellule}</td></tr>")
    # A document for the client: no path, no command (the lock file is named in the technical docs).
    return ("<p>Logiciels utilisés pour produire ce rapport (les versions exactes de tout "
            "l'environnement sont fixées par le fichier de verrouillage livré avec l'outil) :</p>"
            '<table class="versions"><thead><tr><th scope="col">Logiciel</th><th scope="col">Version</th></tr></thead>'
            f"<tbody>{''.join(lignes)}</tbody></table>")
