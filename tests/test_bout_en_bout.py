"""End to end: generate the demo study, run « make donnees-demo rapport » in it with this
interpreter, and read the report a client would get."""

import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

from diagnostic_territorial.chapitres.plan import CHAPITRES

pytestmark = pytest.mark.lent


def texte_normalise(html: str) -> str:
    """Report text with tags removed and every kind of space turned into a plain space."""
    sans_balises = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", "".join(" " if unicodedata.category(c) == "Zs" else c for c in sans_balises))


def make(etude: Path, *cibles: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(etude), *cibles, f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def etude(etude_executee) -> Path:
    """The demo study built once per session by conftest.py (« make donnees-demo rapport »)."""
    return etude_executee


@pytest.fixture(scope="module")
def rapport(etude) -> str:
    return (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")


def test_tous_les_chapitres_executes(etude):
    journal = json.loads((etude / "build" / "execution.json").read_text(encoding="utf-8"))
    assert {c.cle for c in CHAPITRES} == set(journal)
    assert all(e["statut"] == "ok" for e in journal.values()), journal
    # ch.section(...) returns an object to explore: the cell that made it never shows it a second time
    for c in CHAPITRES:
        nb = nbformat.read(etude / "build" / "notebooks" / c.notebook, as_version=4)
        resultats = [s for cellule in nb.cells for s in cellule.get("outputs", []) if s.get("output_type") == "execute_result"]
        assert resultats == [], (c.cle, resultats[:1])
    for c in CHAPITRES:
        nb = nbformat.read(etude / "build" / "notebooks" / c.notebook, as_version=4)
        erreurs = [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not erreurs, (c.notebook, erreurs)


def test_couverture_sommaire_et_chapitres_numerotes(rapport):
    texte = texte_normalise(rapport)
    assert "CC Cœur de Garonne" in texte
    assert "Sommaire" in texte
    for numero, c in enumerate(CHAPITRES, start=1):
        assert f"{numero}. {c.titre}" in texte, c.titre
    assert "1.1 Population et évolution" in texte
    assert '<script src="http' not in rapport


def test_aucun_code_dans_le_rapport(rapport):
    for fragment in ("ouvrir_etude(", "etude_yaml", "import ", "demographie.afficher"):
        assert fragment not in rapport, fragment


def test_chiffres_reels_connus(rapport):
    texte = texte_normalise(rapport)
    # Filosofi 2019, fichier EPCI : revenu médian de la CC Cœur de Garonne (Q219 = 21800)
    assert "21 800 €" in texte
    # Populations légales 2019 : somme des populations municipales des 48 communes
    assert "34 937" in texte
    # Haute-Garonne, Filosofi 2019 : médiane 23 380 €
    assert "23 380 €" in texte


def test_sources_et_donnees_simulees_signalees(rapport):
    texte = texte_normalise(rapport)
    assert "Source : Insee, Filosofi 2019" in texte
    assert "données simulées pour la démonstration" in texte
    assert "n'est pas encore alimenté" not in texte  # every chapter is fed by the catalogue


# Chapters whose indicators exist at commune level: at least one map each.
CHAPITRES_CARTES = ("demographie", "economie", "emploi", "cadre_de_vie", "petite_enfance", "enfance", "jeunesse",
                    "parentalite", "vie_sociale", "acces_aux_droits", "thematiques_specifiques",
                    "observation_ciblee")


def _html_sorties(nb) -> str:
    morceaux = []
    for cellule in nb.cells:
        for sortie in cellule.get("outputs", []):
            morceaux.append(sortie.get("data", {}).get("text/html", ""))
    return "\n".join(m if isinstance(m, str) else "".join(m) for m in morceaux)


@pytest.mark.parametrize("cle", CHAPITRES_CARTES)
def test_chapitre_graphique_carte_et_source_sous_chaque_figure(etude, cle):
    """Each chapter notebook: no error, an « À retenir » box, at least one chart and one map
    (static PNG for the PDF and folium for the HTML), and a source line right under every chart,
    table and map."""
    c = next(x for x in CHAPITRES if x.cle == cle)
    nb = nbformat.read(etude / "build" / "notebooks" / c.notebook, as_version=4)
    assert not [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    sorties = _html_sorties(nb)
    assert 'class="a-retenir"' in sorties
    assert sorties.count('<div class="figure">') >= 1, cle
    assert sorties.count('<div class="carte-interactive">') >= 1, cle
    assert sorties.count('<div class="carte-statique">') >= 1, cle
    for motif in (r'<div class="figure">.*?</div>', r'<div class="carte-statique">.*?</div>',
                  r'</table>'):
        for m in re.finditer(motif, sorties, flags=re.S):
            suite = sorties[m.end():m.end() + 40]
            assert suite.startswith('<p class="source">Source : '), (cle, motif, suite)
    assert "Données manquantes" not in sorties, cle  # the demo has every source of every chapter


def test_thematiques_retenues_seules_dans_le_rapport(rapport, etude):
    texte = texte_normalise(rapport)
    for titre in ("Nouveaux habitants", "Pauvreté et précarité", "Isolement des personnes âgées", "Mobilité",
                  "Logement", "Insertion professionnelle"):
        assert re.search(r"11\.\d+ " + titre, texte), titre


def test_notebook_executable_dans_jupyter_sans_papermill(etude):
    """A notebook runs top to bottom on its defaults (etude_yaml = '../etude.yaml')."""
    from nbclient import NotebookClient

    nb = nbformat.read(etude / "notebooks" / "10_acces_aux_droits.ipynb", as_version=4)
    env_avant = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(etude / "src")
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(etude / "notebooks")}}).execute()
    finally:
        if env_avant is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = env_avant
    sorties = json.dumps([c.get("outputs", []) for c in nb.cells], ensure_ascii=False)
    assert "a-retenir" in sorties


def test_chapitre_en_echec_signale_sans_perdre_les_autres(etude, tmp_path):
    # on a copy: the shared demo study stays intact for the other test files
    etude = Path(shutil.copytree(etude, tmp_path / etude.name, symlinks=True))
    chemin = etude / "notebooks" / "02_economie.ipynb"
    nb = nbformat.read(chemin, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('panne volontaire')"))
    nbformat.write(nb, chemin)
    dt = [sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml")]
    env = {**os.environ, "PYTHONPATH": str(etude / "src")}
    execution = subprocess.run(dt + ["notebooks", "--chapitres", "economie"], capture_output=True, text=True,
                               env=env, cwd=etude)
    assert execution.returncode == 1
    assert "ÉCHEC chapitre 2 « Dynamique économique »" in execution.stdout
    assert "panne volontaire" in execution.stdout
    garde = nbformat.read(etude / "build" / "notebooks" / "02_economie.ipynb", as_version=4)
    assert any(o.get("ename") == "ValueError" for c in garde.cells for o in c.get("outputs", []))
    assemblage = subprocess.run(dt + ["assembler"], capture_output=True, text=True, env=env, cwd=etude)
    assert assemblage.returncode == 0, assemblage.stderr
    texte = texte_normalise((etude / "livrables" / "rapport.html").read_text(encoding="utf-8"))
    assert "2. Dynamique économique" in texte
    assert "Chapitre en cours de production" in texte and "panne volontaire" not in texte
    assert "1. Dynamique démographique" in texte and "21 800 €" in texte
