"""Accessibility of the client documents (RGAA, issue 17).

HTML: axe-core (shipped inside the PyPI package axe-playwright-python, extra « test »: nothing fetched
at run time) runs in headless Chromium on the page and, separately, inside each map's sandboxed
iframe (a document of its own); any « serious » or « critical » violation fails. PDF: WeasyPrint
writes PDF/UA-1 (livrables.commun._octets_pdf): poppler's pdfinfo says « Tagged: yes », the catalogue
has /Lang fr, the structure tree has its table headers and figures with their alternative text, and
the bytes stay reproducible."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import onglet_chromium, sans_chromium

GRAVES = ("serious", "critical")


# --------------------------------------------------------------------------------------------
# axe-core in Chromium
# --------------------------------------------------------------------------------------------




def _script_axe() -> str:
    """axe.min.js as shipped by axe-playwright-python (declared in the « test » extra)."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def _axe(cadre, script: str) -> list[dict]:
    """axe-core's violations in one frame (the page or a map's iframe), without descending into
    child frames: each frame is checked on its own, with its own copy of axe."""
    cadre.evaluate(script)
    return cadre.evaluate("axe.run(document, {iframes: false, resultTypes: ['violations']})")["violations"]


def _decrire(ou: str, violations: list[dict], impacts) -> list[str]:
    return [f"{ou} : {v['id']} ({v['impact']}) {v['help']} — " + " | ".join(
        f"{n['target']} {n['html'][:140]}" for n in v["nodes"][:3])
        for v in violations if v["impact"] in impacts]


def violations(chemin: Path, impacts=GRAVES, impacts_cadres=GRAVES, diapositives: bool = False) -> list[str]:
    """The axe-core violations of `impacts` in the HTML file `chemin`, and of `impacts_cadres` in each
    of its iframes (the interactive maps), as readable lines. With `diapositives`, the slideshow is
    checked slide by slide (only the current slide is displayed)."""
    script = _script_axe()
    trouvees: list[str] = []
    with onglet_chromium() as onglet:
        onglet.goto(Path(chemin).resolve().as_uri(), wait_until="load")
        iframes = onglet.eval_on_selector_all("iframe", "els => els.length")
        cadres = onglet.frames[1:]
        assert len(cadres) == iframes, f"{iframes} iframes, {len(cadres)} cadres chargés"
        if diapositives:
            nombre = onglet.eval_on_selector_all(".diapo", "els => els.length")
            assert nombre > 1
            for i in range(nombre):
                assert onglet.eval_on_selector(".diapo.active", "e => e.id") == f"diapo-{i + 1}"
                trouvees += _decrire(f"diapositive {i + 1}", _axe(onglet.main_frame, script), impacts)
                onglet.keyboard.press("ArrowRight")
        else:
            trouvees += _decrire("page", _axe(onglet.main_frame, script), impacts)
        for i, cadre in enumerate(cadres, start=1):
            cadre.wait_for_load_state("load")
            trouvees += _decrire(f"iframe {i}", _axe(cadre, script), impacts_cadres)
    return sorted(set(trouvees))


@sans_chromium
def test_axe_voit_les_violations_de_la_page_et_des_cartes(tmp_path):
    """The harness is not blind: an image without text, an unnamed form field and a map document
    without language nor title (inside a sandboxed iframe, like the report's maps) are reported."""
    page = tmp_path / "page.html"
    carte = "&lt;!DOCTYPE html&gt;&lt;html&gt;&lt;body&gt;&lt;p&gt;carte&lt;/p&gt;&lt;/body&gt;&lt;/html&gt;"
    page.write_text(
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Essai</title></head><body><main>"
        "<h1>Essai</h1><img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' width='20' height='20'>"
        f"<iframe title='Carte' sandbox='allow-scripts' srcdoc='{carte}'></iframe>"
        "</main></body></html>", encoding="utf-8")
    lignes = violations(page)
    assert any(ligne.startswith("page : image-alt (critical)") for ligne in lignes), lignes
    assert any(ligne.startswith("iframe 1 : html-has-lang (serious)") for ligne in lignes), lignes
    assert any(ligne.startswith("iframe 1 : document-title (serious)") for ligne in lignes), lignes


def _petit_rapport(dossier: Path) -> Path:
    """A report assembled by livrables.rapport from a notebook whose outputs come from the
    presentation functions the chapters use (key points, table, chart, map, missing data), with
    an absent chapter, an annex and the « Document de travail » and simulated-data banners."""
    import geopandas as gpd
    import matplotlib
    import nbformat
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
    from shapely.geometry import box

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from diagnostic_territorial.livrables.rapport import Annexe, ChapitreExecute, EtatDocument, assembler
    from diagnostic_territorial.rendu import cartes
    from diagnostic_territorial.rendu import presentation as pr

    def sortie(contenu: str):
        return new_code_cell("x", outputs=[new_output("display_data", data={"text/html": contenu, "text/plain": ""})])

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(["Cazères", "Rieumes"], [4799, 3524])
    ax.set_title("Population municipale 2019")
    cellules = [
        new_markdown_cell("# Dynamique démographique\n\nIntroduction du chapitre."),
        sortie(pr.html_a_retenir(["La population <strong>augmente</strong> de 1,2 % par an."])),
        new_markdown_cell("## Population\n\nVoir le [site de l'Insee](https://www.insee.fr/)."),
        sortie(pr.html_tableau(pd.DataFrame({"Commune": ["Cazères", "Rieumes"], "Population": [4799, 3524]}),
                               "Source : Insee, RP 2019", titre="Population municipale")),
        sortie(pr.html_figure(fig, "Source : Insee, RP 2019")),
        new_markdown_cell("### Par commune"),
        sortie(pr.html_donnees_manquantes("Donnée non disponible pour ce territoire.")),
    ]
    if cartes._ressources_hors_ligne() is not None:  # Leaflet embedded: nothing loaded from the network
        gdf = gpd.GeoDataFrame({"code": ["31001", "31002", "31003"], "nom": ["A", "B", "C"], "valeur": [1.0, 2.0, 3.0]},
                               geometry=[box(1.0, 43.0, 1.1, 43.1), box(1.1, 43.0, 1.2, 43.1),
                                         box(1.2, 43.0, 1.3, 43.1)], crs="EPSG:4326")
        cellules.append(sortie(pr.html_carte(gdf, "valeur", "Population par commune", "Source : Insee", tuiles=False, k=3)))
    nb = new_notebook()
    nb.cells = cellules
    (dossier / "build").mkdir(parents=True)
    chemin = dossier / "build" / "01_demographie.ipynb"
    nbformat.write(nb, chemin)
    chapitres = [ChapitreExecute(1, "demographie", "Dynamique démographique", chemin, "ok"),
                 ChapitreExecute(2, "economie", "Dynamique économique", None, "absent", "non exécuté")]
    meta = {"nom_territoire": "CC Cœur de Garonne", "sous_titre": "Diagnostic social de territoire",
            "consultant": "Cabinet Exemple", "date": dt.date(2026, 11, 23), "version": "0.1.0",
            "communes": 48, "departement": "Haute-Garonne", "simule": True,
            "etat": EtatDocument(True, ["des données simulées pour la démonstration"])}
    annexes = [Annexe("A", "sources", "Sources et millésimes",
                      "<p>Sources citées :</p><ul><li>Insee, RP 2019</li></ul>"
                      '<h2 class="titre-partie">Publications utilisées</h2><p>Insee.</p>')]
    return assembler(chapitres, dossier / "livrables" / "rapport.html", meta, annexes,
                     impression=dossier / "build" / "rapport-impression.html")


@sans_chromium
def test_petit_rapport_assemble_sans_violation(tmp_path):
    """The report's template and CSS: no axe-core violation at all on the page (contrast, language,
    landmarks, heading order, table headers, links, images), none serious or critical in the maps."""
    rapport = _petit_rapport(tmp_path)
    html = rapport.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html and '<th scope="col"' in html
    assert html.count('class="bandeau-') == 2  # both banners are checked too
    assert violations(rapport, impacts=("minor", "moderate", "serious", "critical")) == []


# --------------------------------------------------------------------------------------------
# Tagged PDF
# --------------------------------------------------------------------------------------------


def _pdfinfo(chemin: Path) -> str:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) absent")
    return subprocess.run(["pdfinfo", str(chemin)], capture_output=True, text=True, check=True).stdout


def _structure(chemin: Path) -> list[tuple[str, str | None]]:
    """(structure type, alternative text) of every element of the PDF's structure tree."""
    from pypdf import PdfReader

    racine = PdfReader(chemin).trailer["/Root"]
    elements = []

    def parcourir(noeud):
        noeud = noeud.get_object() if hasattr(noeud, "get_object") else noeud
        if isinstance(noeud, list):
            for n in noeud:
                parcourir(n)
        elif isinstance(noeud, dict):
            if "/S" in noeud:
                elements.append((str(noeud["/S"]), str(noeud["/Alt"]) if "/Alt" in noeud else None))
            if "/K" in noeud:
                parcourir(noeud["/K"])

    parcourir(racine["/StructTreeRoot"])
    return elements


def verifier_pdf_balise(chemin: Path) -> None:
    """Tagged (pdfinfo), in French, PDF/UA-1 declared, its title shown by the reader."""
    from pypdf import PdfReader

    assert re.search(r"^Tagged:\s+yes$", _pdfinfo(chemin), re.MULTILINE), chemin.name
    lecteur = PdfReader(chemin)
    catalogue = lecteur.trailer["/Root"]
    assert catalogue["/Lang"] == "fr", chemin.name
    assert bool(catalogue["/MarkInfo"]["/Marked"])
    assert bool(catalogue["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = catalogue["/Metadata"].get_object().get_data().decode("utf-8")
    assert 'pdfuaid:part="1"' in xmp, chemin.name
    assert lecteur.metadata.title


PETIT_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Fiche de Cazères</title></head>
<body><h1>Cazères</h1><p>Population municipale : 4 799 habitants.</p>
<table><thead><tr><th scope="col">Commune</th><th scope="col">Population</th></tr></thead>
<tbody><tr><td>Cazères</td><td>4 799</td></tr></tbody></table>
<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7" alt="Carte de situation de Cazères"
 style="width:2cm;height:2cm">
</body></html>"""


def test_pdf_balise_depuis_un_petit_html(tmp_path, monkeypatch):
    """html_en_pdf (all the deliverables' PDFs go through _octets_pdf): tagged, /Lang fr even when the
    HTML says no language, table headers and the image's alternative text in the structure tree,
    and the same bytes twice (fixed dates, no random identifier)."""
    from diagnostic_territorial.livrables.commun import html_en_pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767268800")  # 2026-01-01 12:00 UTC
    premier = html_en_pdf(PETIT_HTML, tmp_path / "a.pdf")
    second = html_en_pdf(PETIT_HTML, tmp_path / "b.pdf")
    assert premier.read_bytes() == second.read_bytes()
    verifier_pdf_balise(premier)
    structure = _structure(premier)
    types = [s for s, _ in structure]
    assert "/H1" in types and "/Table" in types and types.count("/TH") == 2 and types.count("/TD") == 2
    assert ("/Figure", "Carte de situation de Cazères") in structure
    from pypdf import PdfReader

    assert PdfReader(premier).metadata["/CreationDate"].startswith("D:20260101")


# --------------------------------------------------------------------------------------------
# The demo's deliverables (slow: the executed demo study)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def livrables(etude_executee) -> Path:
    return etude_executee / "livrables"


@sans_chromium
def test_rapport_de_la_demo_sans_violation_grave(livrables):
    """The demo's screen report, with its 30-odd interactive maps, each checked in its iframe."""
    assert violations(livrables / "rapport.html") == []


@sans_chromium
@pytest.mark.parametrize("nom", ["synthese.html", "plan-action.html"])
def test_synthese_et_plan_de_la_demo_sans_violation_grave(livrables, nom):
    assert violations(livrables / nom) == []


@sans_chromium
def test_diaporama_de_la_demo_sans_violation_grave(livrables):
    assert violations(livrables / "presentation.slides.html", diapositives=True) == []


@pytest.mark.parametrize("nom", ["rapport.pdf", "synthese.pdf", "plan-action.pdf", "fiches-communes.pdf"])
def test_pdf_de_la_demo_balises(livrables, nom):
    verifier_pdf_balise(livrables / nom)


def test_fiche_commune_seule_balisee(livrables):
    """A fiche's own PDF (a copy of one page of the recueil) keeps its structure: its commune as H1
    and its table with header cells."""
    fiche = sorted((livrables / "fiches-communes").glob("*.pdf"))[0]
    verifier_pdf_balise(fiche)
    types = [s for s, _ in _structure(fiche)]
    assert types.count("/H1") == 1 and "/TH" in types
