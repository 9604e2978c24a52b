import contextlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))

# Real published files (copied from shared/data/reel, large ones cut to the rows the tests read; see
# tests/fixtures/reel/LISEZMOI.md), and the real files shipped with the demo.
REEL = RACINE / "tests" / "fixtures" / "reel"
DEMO_REELLE = RACINE / "src" / "diagnostic_territorial_demo" / "donnees_demo"
BPE_2018 = DEMO_REELLE / "bpe18_ensemble_csv.zip"  # the whole BPE 2018, as published

CŒUR_DE_GARONNE = "200068815"
# The 48 communes of CC Cœur de Garonne (COG 2022), the demo territory
COMMUNES_CŒUR_DE_GARONNE = (
    "31051 31065 31084 31101 31119 31122 31135 31153 31189 31193 31196 31204 31229 31250 31266 31283 "
    "31292 31299 31309 31317 31318 31324 31327 31349 31353 31359 31362 31367 31370 31382 31387 31406 "
    "31419 31422 31423 31425 31428 31435 31436 31454 31469 31476 31481 31505 31520 31530 31538 31543"
).split()


def vider_caches_referentiel():
    """The COG referential's lookups of indicateurs are cached (lru_cache): a test that replaces the
    referential (test_catalogue's « petite France ») clears them before and after itself."""
    from diagnostic_territorial.indicateurs import calcul as ind

    for f in (ind._communes_du_niveau, ind._lieu, ind.commune_actuelle):
        f.cache_clear()


@pytest.fixture(scope="session")
def racine() -> Path:
    return RACINE


def make(etude: Path, *cibles: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(etude), *cibles, f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, timeout=1200)


def copie_etude(source: Path, dossier: Path) -> Path:
    """A copy of a study (tests that modify a shared study work on a copy)."""
    return Path(shutil.copytree(source, Path(dossier) / source.name, symlinks=True))


def _partagee(tmp_path_factory, nom: str, construire) -> Path:
    """A study built once for the whole run: with pytest-xdist (« make test » runs on every core),
    the first worker builds it under a lock in the run's common temporary folder and the others
    wait, then use it. `construire(dossier)` returns the study's path."""
    import fcntl
    import os

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return construire(tmp_path_factory.mktemp(nom))
    commun = tmp_path_factory.getbasetemp().parent
    with open(commun / f"{nom}.verrou", "w") as verrou:
        fcntl.flock(verrou, fcntl.LOCK_EX)
        prete = commun / f"{nom}.chemin"
        if prete.exists():
            return Path(prete.read_text(encoding="utf-8"))
        dossier = commun / nom
        shutil.rmtree(dossier, ignore_errors=True)  # a previous worker's failed attempt
        dossier.mkdir()
        chemin = construire(dossier)
        prete.write_text(str(chemin), encoding="utf-8")
        return chemin


@pytest.fixture(scope="session")
def etude_preparee(tmp_path_factory) -> Path:
    """The demo study generated, its demo data installed and parsed into the cache (« make
    donnees-demo donnees »), not executed; built once for the run. Never modified: tests copy it."""
    from cookiecutter.main import cookiecutter

    def construire(dossier: Path) -> Path:
        chemin = Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(dossier)))
        resultat = make(chemin, "donnees-demo", "donnees")
        assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
        return chemin

    return _partagee(tmp_path_factory, "preparee", construire)


@pytest.fixture(scope="session")
def etude_executee(etude_preparee, tmp_path_factory) -> Path:
    """The demo study built once for the whole run (a copy of etude_preparee, then « make
    rapport »: executed notebooks and every deliverable). Tests that modify it work on a copy."""
    def construire(dossier: Path) -> Path:
        chemin = copie_etude(etude_preparee, dossier)
        resultat = make(chemin, "rapport")
        assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
        return chemin

    return _partagee(tmp_path_factory, "executee", construire)


# Slow tests (« lent ») are found from their fixtures, so that nobody has to remember the marker:
# a test needing, directly or through another fixture, one that generates, prepares or executes a
# study is marked « lent ». « make test-rapide » (-m "not lent") leaves them out, « make test » runs
# everything; an explicit @pytest.mark.lent still works.
FIXTURES_LENTES = {
    "etude_preparee",  # cookiecutter + « make donnees-demo donnees »
    "etude_executee",  # + « make rapport »: notebooks executed, every deliverable, PDF included
}
# Fixtures of one test file (generic names such as « etude » or « brut » are only slow there)
FIXTURES_LENTES_DU_FICHIER = {
    "test_demo.py": {"brut"},  # the demo data installed (« make donnees-demo »), for the whole of France
    "test_donnees.py": {"demo_preparee"},  # the demo data installed and parsed (« make donnees-demo donnees »)
    "test_execution.py": {"etude"},  # a generated study whose notebooks are executed by Jupyter kernels
    "test_indicateurs_additifs.py": {"bpe_demo"},  # the whole BPE 2018 parsed for the demo study
    "test_reel_etudes.py": {"pays_ajaccien"},  # a generated study prepared from real files
}


@pytest.hookimpl(tryfirst=True)  # before -m selects on the markers
def pytest_collection_modifyitems(config, items):
    for item in items:
        noms = set(getattr(item, "fixturenames", ()))
        if noms & (FIXTURES_LENTES | FIXTURES_LENTES_DU_FICHIER.get(item.path.name, set())):
            item.add_marker(pytest.mark.lent)


# --- Chromium driven by playwright (accessibility of the report, maps drawn in a browser) ----------

def chromium() -> str | None:
    """The system's Chromium (Debian package, « make outils-test ») that playwright drives, or None
    when either is missing (the tests that need them are then skipped)."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("playwright") is None:
        return None
    return next((shutil.which(nom) for nom in ("chromium", "chromium-browser", "google-chrome") if shutil.which(nom)),
                None)


sans_chromium = pytest.mark.skipif(chromium() is None, reason="Chromium ou playwright absent")


@contextlib.contextmanager
def onglet_chromium(largeur: int = 1280, hauteur: int = 900):
    """A tab of a headless Chromium, closed on leaving the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        navigateur = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            yield navigateur.new_page(viewport={"width": largeur, "height": hauteur})
        finally:
            navigateur.close()
