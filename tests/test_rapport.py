"""Report assembly: cover, table of contents, numbering, no code, failed chapters, atomic write."""

from __future__ import annotations

import base64
import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from diagnostic_territorial import ecriture

from diagnostic_territorial.livrables import rapport
from diagnostic_territorial.livrables.rapport import ChapitreExecute, assembler, date_en_francais

# 1x1 transparent PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode("ascii")

CODE_SECRET = "calcul_tres_secret = indicateurs.population(etude)"
PARAMETRE = 'etude_yaml = "../etude.yaml"'
PARAMETRE_INJECTE = 'etude_yaml = "/chemin/injecte/etude.yaml"'
AVERTISSEMENT = "FutureWarning: la fonction obsolète"

META = {
    "nom_territoire": "CC Cœur de Garonne",
    "sous_titre": "Diagnostic social de territoire — préalable à la Convention territoriale globale",
    "consultant": "Cabinet Exemple",
    "date": dt.date(2026, 11, 23),
    "version": "0.1.0",
    "communes": 48,
    "departement": "Haute-Garonne",
}


def _notebook_demographie(dossier: Path) -> Path:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [
        new_markdown_cell("# Dynamique démographique\n\nIntroduction du chapitre."),
        new_code_cell(PARAMETRE, metadata={"tags": ["parameters"]}),
        new_code_cell(PARAMETRE_INJECTE, metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("## Évolution de la population\nTexte juste sous le titre."),
        new_code_cell(
            CODE_SECRET,
            outputs=[
                new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
                new_output(
                    "display_data",
                    data={
                        "text/html": '<table class="tableau-dt"><tr><th>Commune</th><td>1 234</td></tr></table>'
                        '<p class="source">Source : Insee, RP 2019</p>',
                        "text/plain": "tableau",
                    },
                ),
                new_output("stream", name="stderr", text=AVERTISSEMENT + "\n"),
            ],
        ),
        new_markdown_cell("### Détail par commune\n\n```python\n# pas un titre\n```"),
        new_markdown_cell("## Structure par âge"),
        new_code_cell(
            "carte = folium.Map()",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/html": '<div class="carte-interactive"><div id="carte-x"></div>'
                        '<script>document.getElementById("carte-x").textContent = "carte";</script></div>',
                        "text/plain": "<folium.Map>",
                    },
                )
            ],
        ),
        new_code_cell("x = 1", outputs=[]),  # nothing to show: dropped
    ]
    chemin = dossier / "01_demographie.ipynb"
    nbformat.write(nb, chemin)
    return chemin


def _notebook_en_echec(dossier: Path) -> Path:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell(
            '<span style="color:red">An Exception was encountered at <a href="#papermill-error-cell">'
            "In [2]</a>.</span>",
            metadata={"tags": ["papermill-error-cell-tag"]},
        ),
        new_markdown_cell("# Dynamique économique\n\n## Emplois"),
        new_code_cell(
            "lire_emplois()",
            outputs=[
                new_output(
                    "error",
                    ename="DonneeManquante",
                    evalue="Fichier manquant : « base-cc-emploi-pop-active-2019.csv »",
                    traceback=["Traceback (most recent call last)", "TRACEBACK_BRUT_VISIBLE"],
                )
            ],
        ),
    ]
    chemin = dossier / "02_economie.ipynb"
    nbformat.write(nb, chemin)
    return chemin


def _notebook_sans_titre(dossier: Path) -> Path:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("Un texte *sans* titre de chapitre."),
        new_code_cell("print('ok')", outputs=[new_output("stream", name="stdout", text="Résultat imprimé\n")]),
    ]
    chemin = dossier / "03_emploi.ipynb"
    nbformat.write(nb, chemin)
    return chemin


@pytest.fixture
def chapitres(tmp_path: Path) -> list[ChapitreExecute]:
    dossier = tmp_path / "build" / "notebooks"
    dossier.mkdir(parents=True)
    return [
        ChapitreExecute(1, "demographie", "Dynamique démographique", _notebook_demographie(dossier), "ok"),
        ChapitreExecute(2, "economie", "Dynamique économique", _notebook_en_echec(dossier), "echec", None),
        ChapitreExecute(3, "emploi", "Dynamique de l'emploi", _notebook_sans_titre(dossier), "ok"),
        ChapitreExecute(4, "cadre_de_vie", "Cadre de vie", None, "absent",
                        "notebook non exécuté (lancez « make notebooks »)"),
    ]


@pytest.fixture
def html(chapitres, tmp_path: Path) -> str:
    sortie = assembler(chapitres, tmp_path / "livrables" / "rapport.html", META)
    assert sortie == tmp_path / "livrables" / "rapport.html"
    return sortie.read_text(encoding="utf-8")


class _Collecteur(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.liens: list[str] = []
        self.scripts_src: list[str] = []
        self.links_href: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.liens.append(attrs["href"][1:])
        if tag == "script" and attrs.get("src"):
            self.scripts_src.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.links_href.append(attrs["href"])


def _collecter(html: str) -> _Collecteur:
    c = _Collecteur()
    c.feed(html)
    return c


def _texte(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def _sommaire(html: str) -> str:
    return re.search(r'<nav[^>]*class="sommaire".*?</nav>', html, flags=re.DOTALL).group(0)


def _corps(html: str) -> str:
    return re.search(r'<main[^>]*class="corps".*?</main>', html, flags=re.DOTALL).group(0)


def test_date_en_francais():
    assert date_en_francais(dt.date(2026, 11, 23)) == "23 novembre 2026"
    assert date_en_francais(dt.date(2027, 3, 1)) == "1er mars 2027"


def test_couverture(html):
    couverture = re.search(r'<header[^>]*class="couverture".*?</header>', html, flags=re.DOTALL).group(0)
    texte = _texte(couverture)
    assert "CC Cœur de Garonne" in texte
    assert "23 novembre 2026" in texte
    assert "Cabinet Exemple" in texte
    assert "0.1.0" not in texte and "diagnostic_territorial" not in texte  # tool version: technical annex only
    assert "préalable à la Convention territoriale globale" in texte
    assert "48 communes" in texte and "Haute-Garonne" in texte
    assert '<html lang="fr">' in html


def test_sommaire_liens_valides(html):
    collecteur = _collecter(html)
    sommaire = _collecter(_sommaire(html))
    assert sommaire.liens == ["chap-1", "chap-1-1", "chap-1-2", "chap-2", "chap-3", "chap-4"]
    for cible in sommaire.liens:
        assert collecteur.ids.count(cible) == 1, cible
    # all ids unique in the whole document
    assert len(collecteur.ids) == len(set(collecteur.ids))
    texte = _texte(_sommaire(html))
    assert "1. Dynamique démographique" in texte
    assert "1.1 Évolution de la population" in texte
    assert "1.2 Structure par âge" in texte
    assert "3. Dynamique de l'emploi" in texte


def test_titres_numerotes(html):
    corps = _corps(html)
    h1 = [_texte(m) for m in re.findall(r"<h1[^>]*>.*?</h1>", corps, flags=re.DOTALL)]
    assert h1 == [
        "1. Dynamique démographique",
        "2. Dynamique économique",
        "3. Dynamique de l'emploi",  # no H1 in the notebook: title from the plan
        "4. Cadre de vie",
    ]
    h2 = [_texte(m) for m in re.findall(r"<h2[^>]*>.*?</h2>", corps, flags=re.DOTALL)]
    assert h2 == ["1.1 Évolution de la population", "1.2 Structure par âge"]
    assert '<h3 class="titre-sous-section" id="chap-1-1-1">Détail par commune</h3>' in corps
    # the text right under a heading is still rendered as markdown, not swallowed as raw HTML
    assert "<p>Texte juste sous le titre.</p>" in corps
    # a '#' line inside a fenced code block is not a heading
    assert "# pas un titre" in corps
    assert len(re.findall(r'<section[^>]*class="chapitre', corps)) == 4


def test_pas_de_code_ni_parametres(html):
    assert CODE_SECRET not in html
    assert "indicateurs.population" not in html
    assert "carte = folium.Map()" not in html
    assert "etude_yaml" not in html
    assert PARAMETRE_INJECTE not in html
    assert "lire_emplois" not in html
    assert "In&nbsp;[" not in html and "Out[" not in html
    assert "jp-CodeMirrorEditor" not in html and "jp-InputPrompt" not in _corps(html)


def test_sorties_conservees_et_filtrees(html):
    corps = _corps(html)
    assert f"data:image/png;base64,{PNG}" in corps
    assert '<p class="source">Source : Insee, RP 2019</p>' in corps
    assert 'class="tableau-dt"' in corps
    assert "Résultat imprimé" in corps  # stdout kept
    assert AVERTISSEMENT not in html  # stderr / warnings dropped
    assert "TRACEBACK_BRUT_VISIBLE" not in html
    assert "An Exception was encountered" not in html  # papermill's banner cell
    # text/html outputs with inline scripts (folium maps) pass through untouched
    assert '<script>document.getElementById("carte-x").textContent = "carte";</script>' in corps
    assert "No description has been provided" not in html  # French alt text instead


def test_autonome_hors_ligne(html):
    collecteur = _collecter(html)
    assert collecteur.scripts_src == []
    assert collecteur.links_href == []
    assert '<script src="http' not in html
    for motif in ("require.js", "mathjax", "MathJax", "cdnjs", "cdn.jsdelivr", "unpkg.com", "fonts.googleapis"):
        assert motif not in html, motif
    assert "@page" in html and "size: A4" in html  # CSS inlined


def test_chapitre_en_echec_et_absent(html, chapitres):
    """The client reads a neutral box; the error (exception, file, command) is for the technical
    annex (rapport.etat_reel), never in the report."""
    corps = _corps(html)
    debut2 = corps.index('id="chap-2"')
    chap2 = corps[debut2: corps.index('id="chap-3"')]
    assert "Chapitre en cours de production" in chap2
    assert "DonneeManquante" not in chap2 and "base-cc-emploi-pop-active-2019.csv" not in chap2
    assert "Emplois" not in chap2  # no partial content of a failed chapter
    chap4 = corps[corps.index('id="chap-4"'):]
    assert "Chapitre en cours de production" in _texte(chap4)
    assert "make notebooks" not in chap4
    assert _texte(_sommaire(html)).count("(en cours de production)") == 2
    statut, erreur, _ = rapport.etat_reel(chapitres[1])
    assert statut == "echec" and "DonneeManquante" in erreur and "base-cc-emploi-pop-active-2019.csv" in erreur
    statut, erreur, _ = rapport.etat_reel(chapitres[3])
    assert statut == "absent" and "make notebooks" in erreur
    assert rapport.etat_reel(chapitres[0])[:2] == ("ok", None)


def test_deterministe(chapitres, tmp_path):
    a = assembler(chapitres, tmp_path / "a" / "rapport.html", META).read_bytes()
    b = assembler(chapitres, tmp_path / "b" / "rapport.html", META).read_bytes()
    assert a == b


def test_ecriture_atomique(chapitres, tmp_path, monkeypatch):
    sortie = tmp_path / "livrables" / "rapport.html"
    assembler(chapitres, sortie, META)
    avant = sortie.read_bytes()

    # crash while rendering
    def rendu_casse(*args, **kwargs):
        raise RuntimeError("plantage simulé")

    with monkeypatch.context() as m:
        m.setattr(rapport, "_rendre", rendu_casse)
        with pytest.raises(RuntimeError):
            assembler(chapitres, sortie, {**META, "nom_territoire": "Autre"})
    assert sortie.read_bytes() == avant

    # crash after the temporary file is written, at the final rename
    def remplacement_casse(src, dst):
        assert Path(src).parent == sortie.parent
        assert Path(src).read_bytes() != avant  # the new report was fully written
        raise OSError("disque plein simulé")

    with monkeypatch.context() as m:
        m.setattr(ecriture.os, "replace", remplacement_casse)
        with pytest.raises(OSError):
            assembler(chapitres, sortie, {**META, "nom_territoire": "Autre"})
    assert sortie.read_bytes() == avant
    assert sorted(p.name for p in sortie.parent.iterdir()) == ["rapport.html"]  # no temp file left


def test_image_markdown_integree(tmp_path):
    dossier = tmp_path / "nb"
    dossier.mkdir()
    (dossier / "logo.png").write_bytes(base64.b64decode(PNG))
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Titre\n\n![Logo](logo.png)")]
    nbformat.write(nb, dossier / "x.ipynb")
    sortie = assembler([ChapitreExecute(1, "x", "X", dossier / "x.ipynb", "ok")], tmp_path / "r.html", META)
    assert f"data:image/png;base64,{PNG}" in sortie.read_text(encoding="utf-8")


def test_carte_folium_intacte(tmp_path):
    folium = pytest.importorskip("folium")
    carte = folium.Map(location=[43.4, 1.1], zoom_start=10, tiles=None)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"nom": "Commune « test »"},
             "geometry": {"type": "Polygon",
                          "coordinates": [[[1.0, 43.3], [1.2, 43.3], [1.2, 43.5], [1.0, 43.3]]]}}]},
        tooltip=folium.GeoJsonTooltip(fields=["nom"]),
    ).add_to(carte)
    fragment = f'<div class="carte-interactive">{carte._repr_html_()}</div>'
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Cartes"),
                new_code_cell("carte", outputs=[new_output("display_data", data={"text/html": fragment})])]
    nbformat.write(nb, tmp_path / "c.ipynb")
    sortie = assembler([ChapitreExecute(1, "c", "Cartes", tmp_path / "c.ipynb", "ok")], tmp_path / "r.html", META)

    class Srcdoc(HTMLParser):
        def __init__(self):
            super().__init__()
            self.valeurs = []

        def handle_starttag(self, tag, attrs):
            if tag == "iframe":
                self.valeurs.append(dict(attrs).get("srcdoc"))

    avant, apres = Srcdoc(), Srcdoc()
    avant.feed(fragment)
    apres.feed(sortie.read_text(encoding="utf-8"))
    assert avant.valeurs and avant.valeurs == apres.valeurs


def test_statut_ok_mais_notebook_en_echec(tmp_path):
    """A stale journal says "ok" but papermill's output notebook records the failure."""
    chemin = _notebook_en_echec(tmp_path)
    sortie = assembler([ChapitreExecute(1, "economie", "Dynamique économique", chemin, "ok")],
                       tmp_path / "r.html", META)
    texte = sortie.read_text(encoding="utf-8")
    assert "Chapitre en cours de production" in texte and "TRACEBACK_BRUT_VISIBLE" not in texte


def test_titre_dans_un_encadre_html_non_decoupe(tmp_path):
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Titre\n\n<div class=\"a-retenir\">\n\n### À retenir\n\n- un point\n\n</div>")]
    nbformat.write(nb, tmp_path / "x.ipynb")
    sortie = assembler([ChapitreExecute(1, "x", "X", tmp_path / "x.ipynb", "ok")], tmp_path / "r.html", META)
    corps = _corps(sortie.read_text(encoding="utf-8"))
    encadre = re.search(r'<div class="a-retenir">.*?</div>', corps, flags=re.DOTALL).group(0)
    assert "À retenir" in encadre and "un point" in encadre


def test_titres_echappes_et_mis_en_forme(tmp_path):
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Emploi & *chômage*\n\n## Revenus < 1 000 €")]
    nbformat.write(nb, tmp_path / "x.ipynb")
    texte = assembler([ChapitreExecute(1, "x", "X", tmp_path / "x.ipynb", "ok")], tmp_path / "r.html", META).read_text(
        encoding="utf-8")
    assert '<span class="numero">1.</span> Emploi &amp; <em>chômage</em></h1>' in texte
    sommaire = _sommaire(texte)
    assert "Emploi &amp; chômage" in sommaire and "&amp;amp;" not in texte
    assert "Revenus &lt; 1 000 €" in sommaire


def test_section_facultative_sans_contenu_retiree(tmp_path):
    """A heading tagged « si-contenu » (a thématique spécifique the study did not retain) is dropped
    with its section when its code cells show nothing; kept, and numbered, otherwise."""
    nb = new_notebook()
    html_ok = {"text/html": '<p>Mobilité : 12,3 %</p>', "text/plain": "x"}
    nb.cells = [
        new_markdown_cell("# Thématiques spécifiques"),
        new_markdown_cell("## Nouveaux habitants", metadata={"tags": ["si-contenu"]}),
        new_code_cell('ch.thematique("nouveaux_habitants")', outputs=[]),
        new_markdown_cell("## Mobilité", metadata={"tags": ["si-contenu"]}),
        new_code_cell('ch.thematique("mobilite")', outputs=[new_output("display_data", data=html_ok)]),
        new_markdown_cell("## Analyse"),
        new_code_cell("analyse()", outputs=[new_output("display_data", data=html_ok)]),
    ]
    nbformat.write(nb, tmp_path / "t.ipynb")
    texte = assembler([ChapitreExecute(11, "t", "T", tmp_path / "t.ipynb", "ok")], tmp_path / "r.html",
                      META).read_text(encoding="utf-8")
    assert "Nouveaux habitants" not in texte
    assert re.search(r'<span class="numero">11\.1</span>\s*Mobilité', texte)
    assert re.search(r'<span class="numero">11\.2</span>\s*Analyse', texte)


def test_section_sans_rien_a_montrer_jamais_titre_seul(tmp_path):
    """A section whose cells show nothing (and whose heading is not « si-contenu ») keeps its
    heading with one neutral sentence, never a heading alone; a section with text or an output
    gets no sentence, a sub-heading alone is no content."""
    from diagnostic_territorial.livrables.rapport import SECTION_SANS_CONTENU

    nb = new_notebook()
    html_ok = {"text/html": "<p>Population : 34 937</p>", "text/plain": "x"}
    nb.cells = [
        new_markdown_cell("# Dynamique démographique"),
        new_markdown_cell("## Population"),
        new_code_cell("afficher_population()", outputs=[new_output("display_data", data=html_ok)]),
        new_markdown_cell("## Structure par âge\n\n### Pyramide"),
        new_code_cell("afficher_pyramide()", outputs=[]),
        new_markdown_cell("## Densité\n\nLa densité rapporte la population à la superficie."),
        new_markdown_cell("## Analyse"),
        new_code_cell("analyse()", outputs=[]),
    ]
    nbformat.write(nb, tmp_path / "d.ipynb")
    texte = assembler([ChapitreExecute(1, "d", "D", tmp_path / "d.ipynb", "ok")], tmp_path / "r.html",
                      META).read_text(encoding="utf-8")
    assert texte.count(SECTION_SANS_CONTENU) == 2
    sections = re.split(r'<h2 class="titre-section"', texte)[1:]
    avec = [SECTION_SANS_CONTENU in s for s in sections]
    assert avec == [False, True, False, True]  # Population, Structure par âge, Densité, Analyse
