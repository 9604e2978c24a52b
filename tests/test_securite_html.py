"""Text written by people never becomes executable markup in the HTML deliverables (issue 14).

A corpus of attacks is planted in every kind of text the consultant writes: the Markdown of the
analyses and of qualitatif/, observation_ciblee.yaml (label, comment), plan_action.yaml, etude.yaml
(consultant, sous-titre, nom). The unit tests check the sanitising functions (assainir), the
presentation helpers and the templates; the end-to-end test (« lent ») builds the deliverables of
a copy of the demo study and checks, with an HTML parser, that none of rapport.html, synthese.html,
presentation.slides.html and plan-action.html holds an executable element, attribute or address
from the corpus, while the legitimate text around each attack is still there; and that the PDFs
hold no javascript: link, no JavaScript action and no embedded file.
"""

from __future__ import annotations

import html as html_std
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu import presentation as pr

# --- The corpus -------------------------------------------------------------------------------
# Each attack carries its own marker (XSS01...): found in an executable place, it names the attack.

ATTAQUES = {
    "script": '<script>alert("XSS01")</script>',
    "img_onerror": '<img src=x onerror=alert("XSS02")>',
    "lien_markdown_javascript": '[lien XSS03](javascript:alert("XSS03"))',
    "lien_javascript_casse_melangee": "<a href=\"JaVaScRiPt:alert('XSS04')\">lien XSS04</a>",
    "svg_onload": '<svg onload=alert("XSS05")>',
    "iframe": '<iframe src="https://example.org/XSS06"></iframe>',
    "style_url_javascript": '<style>body{background:url(javascript:alert("XSS07"))}</style>',
    "meta_refresh": '<meta http-equiv="refresh" content="0;url=https://example.org/XSS08">',
    "commentaire_ouvert": '<!--><script>alert("XSS09")</script>-->',
    "commentaire_dans_la_balise": '<scr<!-- -->ipt>alert("XSS10")</scr<!-- -->ipt>',
    "entite_javascript": "<a href=\"&#106;avascript:alert('XSS11')\">lien XSS11</a>",
    "entite_javascript_markdown": "[lien XSS12](&#106;avascript:alert('XSS12'))",
    "tabulation_javascript": "<a href=\"java&#x09;script:alert('XSS13')\">lien XSS13</a>",
    "vbscript": "<a href=\"vbscript:msgbox('XSS14')\">lien XSS14</a>",
    "data_html": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">lien XSS15</a>',
    "object_embed": '<object data="https://example.org/XSS16.swf"></object><embed src="https://example.org/XSS16.swf">',
    "svg_script": '<svg><script>alert("XSS17")</script></svg>',
    "style_expression": "<div style=\"width:expression(alert('XSS18'))\">bloc XSS18</div>",
    "formulaire": "<form action=\"javascript:alert('XSS19')\"><button formaction=\"javascript:alert('XSS19')\">ok</button></form>",
    "base": "<base href=\"javascript:alert('XSS20')//\">",
    "math_xlink": "<math><mtext><a xlink:href=\"javascript:alert('XSS21')\">m</a></mtext></math>",
    "img_svg_data": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "attachement_pdf": '<a rel="attachment" href="file:///etc/passwd">fichier XSS22</a>',
}
CORPUS = "\n\n".join(f"Avant {nom}. {attaque} Après {nom}." for nom, attaque in ATTAQUES.items())
MARQUEUR = re.compile(r"XSS\d\d")
# Attribute values that hold an address (a browser or WeasyPrint follows them).
ATTRIBUTS_URL = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
                 "lowsrc", "dynsrc", "ping", "codebase", "cite", "longdesc", "manifest", "icon"}
ELEMENTS_INTERDITS = {"object", "embed", "applet", "base", "frame", "frameset", "form", "portal"}
IMAGES_SURES = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)


def _adresse(valeur: str) -> str:
    return re.sub(r"[\x00-\x20\x7f-\x9f]", "", html_std.unescape(valeur or "")).lower()


class Inspecteur(HTMLParser):
    """Everything in a document that a browser would execute or follow, as (attack marker or
    detail) strings. The documents of sandboxed iframes (the folium maps: scripts allowed, opaque
    origin, no dialog, no access to the report) are inspected for markup only: their own scripts
    are the map's, and cannot reach the report."""

    def __init__(self, isole: bool = False):
        super().__init__(convert_charrefs=True)
        self.isole = isole
        self.problemes: list[str] = []
        self._dans: str | None = None
        self._texte: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._examiner(tag, attrs)
        if tag in ("script", "style"):
            self._dans, self._texte = tag, []

    def handle_startendtag(self, tag, attrs):
        self._examiner(tag, attrs)

    def handle_endtag(self, tag):
        if tag == self._dans:
            contenu = "".join(self._texte)
            if tag == "script" and not self.isole and MARQUEUR.search(contenu):
                self.problemes.append(f"<script> : {MARQUEUR.findall(contenu)}")
            if tag == "style" and (MARQUEUR.search(contenu) or re.search(r"javascript:|expression\(",
                                                                         contenu, re.IGNORECASE)):
                self.problemes.append(f"<style> : {contenu[:80]}")
            self._dans = None

    def handle_data(self, data):
        if self._dans:
            self._texte.append(data)

    def _examiner(self, tag, attrs):
        valeurs = dict(attrs)
        if tag in ELEMENTS_INTERDITS:
            self.problemes.append(f"<{tag}> {valeurs}")
        if tag == "meta" and (valeurs.get("http-equiv") or "").lower() in ("refresh", "set-cookie"):
            self.problemes.append(f"<meta http-equiv> {valeurs}")
        if tag == "iframe":
            jetons = (valeurs.get("sandbox") or "").split() if "sandbox" in valeurs else None
            if "src" in valeurs or jetons is None or "allow-same-origin" in jetons or "allow-modals" in jetons:
                self.problemes.append(f"<iframe> non isolé : {str(valeurs)[:120]}")
            if "srcdoc" in valeurs:
                isole = jetons is not None and "allow-same-origin" not in jetons
                self.problemes += [f"iframe : {p}" for p in problemes(valeurs["srcdoc"] or "", isole)]
        for nom, valeur in attrs:
            nom = nom.lower()
            if nom.startswith("on"):
                self.problemes.append(f"<{tag} {nom}={valeur!r}>")
            elif nom in ATTRIBUTS_URL:
                adresse = _adresse(valeur)
                if adresse.startswith(("javascript:", "vbscript:", "file:")):
                    self.problemes.append(f"<{tag} {nom}={valeur!r}>")
                elif adresse.startswith("data:") and not (tag == "img" and nom == "src" and IMAGES_SURES.match(adresse)):
                    self.problemes.append(f"<{tag} {nom}={valeur[:60]!r}>")
            elif nom == "style" and re.search(r"javascript:|expression\(|url\(", _adresse(valeur)):
                self.problemes.append(f"<{tag} style={valeur!r}>")
            elif nom == "rel" and "attachment" in (valeur or "").lower():
                self.problemes.append(f"<{tag} rel=attachment>")


_RE_TEXTE_BRUT = re.compile(r"(<(script|style)\b[^>]*>.*?</\2\s*>)", re.DOTALL | re.IGNORECASE)
# Comments as a browser ends them (HTML5): « <!--> » and « <!---> » are whole comments, « --!> »
# closes one. Python's parser would read « <!--><script>...--> » as one comment.
_RE_COMMENTAIRE = re.compile(r"<!--(?:>|->|.*?(?:--!?>|\Z))", re.DOTALL)


def _sans_commentaires(document: str) -> str:
    morceaux = _RE_TEXTE_BRUT.split(document)
    sortie = []
    i = 0
    while i < len(morceaux):
        sortie.append(_RE_COMMENTAIRE.sub("", morceaux[i]))
        if i + 1 < len(morceaux):
            sortie.append(morceaux[i + 1])  # a script or style element, kept whole
        i += 3
    return "".join(sortie)


def problemes(document: str, isole: bool = False) -> list[str]:
    inspecteur = Inspecteur(isole=isole)
    inspecteur.feed(_sans_commentaires(document))
    inspecteur.close()
    return inspecteur.problemes


def texte_visible(document: str) -> str:
    """The text a reader sees (tags removed, entities decoded, spaces normalised)."""
    sans_balises = re.sub(r"<(script|style)\b.*?</\1>", " ", document, flags=re.DOTALL | re.IGNORECASE)
    texte = html_std.unescape(re.sub(r"<[^>]+>", " ", sans_balises))
    return re.sub(r"\s+", " ", texte.replace("\u00a0", " ").replace("\u202f", " "))


def test_l_inspecteur_voit_chaque_attaque_brute():
    """The checks below mean something: every attack, left raw, is caught (or is removed by the
    first step any browser applies, the comment)."""
    for nom, attaque in ATTAQUES.items():
        if nom in ("lien_markdown_javascript", "entite_javascript_markdown", "commentaire_dans_la_balise"):
            continue  # Markdown syntax or a broken tag: harmless as raw HTML, checked once rendered
        assert problemes(attaque), nom


# --- assainir: unit tests ------------------------------------------------------------------------


@pytest.mark.parametrize("nom", list(ATTAQUES))
def test_markdown_assaini_sans_markup_executable(nom):
    source = f"Avant {nom}.\n\n{ATTAQUES[nom]}\n\nAprès {nom}."
    rendu = assainir.markdown(source)
    assert problemes(rendu) == [], rendu
    assert not re.search(r"<(script|iframe|object|embed|svg|math|style|meta|base|form)\b", rendu, re.IGNORECASE)
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", rendu, re.IGNORECASE)
    assert f"Avant {nom}." in rendu and f"Après {nom}." in rendu


@pytest.mark.parametrize("nom", list(ATTAQUES))
def test_html_assaini_sans_markup_executable(nom):
    rendu = assainir.html(f"<strong>Avant</strong> {ATTAQUES[nom]} après")
    assert problemes(rendu) == [], rendu
    assert rendu.startswith("<strong>Avant</strong>") and rendu.endswith("après")


@pytest.mark.parametrize("nom", list(ATTAQUES))
def test_texte_echappe_tout(nom):
    rendu = assainir.texte(ATTAQUES[nom])
    assert "<" not in rendu and ">" not in rendu and '"' not in rendu
    assert html_std.unescape(rendu) == ATTAQUES[nom]  # shown exactly as written


def test_markdown_legitime_rendu():
    source = (
        "# Lecture\n\nLa population **croît** de *1 %* par an, ~~pas plus~~ et `P_POP` le dit[^1].\n\n"
        "## Contrastes\n\n- un\n- deux\n\n1. premier\n2. second\n\n> Une citation d'élu.\n\n"
        "| Commune | Part |\n|:--|--:|\n| Cazères | 12 % |\n\n"
        "[Insee](https://www.insee.fr/fr/statistiques) · [Caf](http://www.caf.fr) · "
        "[écrire](mailto:etude@exemple.fr) · [plus bas](#contrastes)\n\n"
        "![Carte](data:image/png;base64,iVBORw0KGgo=) ![Logo](images/logo.png) "
        "![Distante](https://exemple.fr/pixel.png)\n\n"
        "```\ncode\n```\n\nA < B & C > D.\n\n[^1]: Recensement 2023.\n"
    )
    rendu = assainir.markdown(source)
    for attendu in ("<h1>Lecture</h1>", "<strong>croît</strong>", "<em>1 %</em>", "<del>pas plus</del>",
                    "<code>P_POP</code>", "<li>un</li>", "<ol>", "<blockquote>", "<table>",
                    '<th style="text-align:left">Commune</th>', '<td style="text-align:right">12 %</td>',
                    'href="https://www.insee.fr/fr/statistiques"', 'href="http://www.caf.fr"',
                    'href="mailto:etude@exemple.fr"', 'href="#contrastes"', 'rel="noopener noreferrer"',
                    'src="data:image/png;base64,iVBORw0KGgo="', 'src="images/logo.png"', "<pre><code>code",
                    "A &lt; B &amp; C &gt; D.", 'id="fn-1"', 'href="#fn-1"', "Recensement 2023."):
        assert attendu in rendu, attendu
    # remote image: removed address (the report calls no server), alternative text kept
    assert "exemple.fr/pixel.png" not in rendu and 'alt="Distante"' in rendu
    assert problemes(rendu) == []


def test_texte_francais_inchange():
    point = "Part des 80 ans : <strong>7,3\u00a0%</strong> (Haute-Garonne : 6,4\u00a0%) ; 34\u202f937 habitants."
    assert assainir.html(point) == point
    assert assainir.texte("Cœur de Garonne & « Savès »") == "Cœur de Garonne &amp; « Savès »"
    assert assainir.texte(None) == "" and assainir.html(None) == ""


@pytest.mark.parametrize("url, image, attendu", [
    ("https://www.insee.fr", False, True), ("http://caf.fr/x?a=1#b", False, True),
    ("mailto:a@b.fr", False, True), ("#ancre", False, True), ("page.html", False, True),
    ("javascript:alert(1)", False, False), (" JaVaScRiPt:alert(1)", False, False),
    ("&#106;avascript:alert(1)", False, False), ("java\tscript:alert(1)", False, False),
    ("javascript%3Aalert(1)", False, False), ("vbscript:x", False, False), ("data:text/html,x", False, False),
    ("file:///etc/passwd", False, False), ("data:image/png;base64,AAAA", True, True),
    ("data:image/jpeg;base64,AAAA", True, True), ("data:image/svg+xml;base64,AAAA", True, False),
    ("data:text/html;base64,AAAA", True, False), ("https://exemple.fr/p.png", True, False),
    ("images/logo.png", True, True), ("../../etc/x.png", True, False), ("/dev/zero", True, False),
])
def test_url_autorisee(url, image, attendu):
    assert assainir.url_autorisee(url, image=image) is attendu


# --- presentation helpers -------------------------------------------------------------------------


def test_analyse_piegee(tmp_path):
    chemin = tmp_path / "analyses" / "demographie.md"
    chemin.parent.mkdir()
    chemin.write_text("<!-- guide -->\n" + CORPUS + "\n\nLa population **croît**.\n", encoding="utf-8")
    rendu = pr.html_analyse(chemin)
    assert rendu.startswith('<div class="analyse">')
    assert problemes(rendu) == []
    assert "<strong>croît</strong>" in rendu
    for nom in ATTAQUES:
        assert f"Avant {nom}." in rendu and f"Après {nom}." in rendu, nom


def test_points_et_messages_assainis():
    rendu = pr.html_a_retenir([f"<strong>12 %</strong> {a}" for a in ATTAQUES.values()], titre=ATTAQUES["script"])
    assert problemes(rendu) == [] and rendu.count("<strong>12 %</strong>") == len(ATTAQUES)
    assert "&lt;script&gt;" in rendu  # the title is text
    rendu = pr.html_donnees_manquantes("Fichier absent : <code>base.zip</code> " + CORPUS)
    assert problemes(rendu) == [] and "<code>base.zip</code>" in rendu


def test_tableau_et_source_echappes():
    import pandas as pd

    rendu = pr.html_tableau(pd.DataFrame({ATTAQUES["img_onerror"]: [ATTAQUES["script"]]}), ATTAQUES["svg_onload"])
    assert problemes(rendu) == [] and "<script" not in rendu and "<img" not in rendu


def test_qualitatif_assaini(tmp_path):
    from types import SimpleNamespace

    from diagnostic_territorial.enquete import qualitatif

    (tmp_path / "qualitatif").mkdir()
    (tmp_path / "qualitatif" / "jeunesse.md").write_text("## Ateliers\n\n" + CORPUS, encoding="utf-8")
    rendu = qualitatif.html_synthese(SimpleNamespace(racine=tmp_path), "jeunesse")
    assert problemes(rendu) == [] and "<h4>Ateliers</h4>" in rendu and "Après base." in rendu


def _gdf_carte(libelle_commune: str = "Commune"):
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame({"code": ["31001", "31002", "31003"], "nom": [libelle_commune, "B", "C"],
                             "valeur": [1.0, 2.0, 3.0]},
                            geometry=[box(1.0, 43.0, 1.1, 43.1), box(1.1, 43.0, 1.2, 43.1), box(1.2, 43.0, 1.3, 43.1)],
                            crs="EPSG:4326")


def test_carte_dans_un_bac_a_sable():
    """The interactive map runs in a sandboxed iframe (scripts, nothing else): whatever a label in
    its legend or tooltip holds cannot reach the report, open a dialog or navigate it."""
    rendu = pr.html_carte(_gdf_carte(), "valeur", ATTAQUES["img_onerror"], "Source : test",
                          legende=ATTAQUES["svg_onload"], tuiles=False)
    iframe = re.search(r"<iframe\b[^>]*>", rendu).group(0)
    assert f'sandbox="{pr.SANDBOX_CARTE}"' in iframe and pr.SANDBOX_CARTE == "allow-scripts"
    assert problemes(rendu) == []


def test_infobulle_de_carte_echappe_le_libelle():
    import json

    from diagnostic_territorial.rendu import cartes

    document = cartes.html_carte(cartes.carte_interactive(_gdf_carte(), "valeur", "Titre", "Source : test",
                                                          legende=ATTAQUES["img_onerror"], tuiles=False))
    alias = re.search(r"let aliases = (\[.*?\]);", document).group(1)
    assert all("<" not in a for a in json.loads(alias))


# --- templates of the deliverables ------------------------------------------------------------------


def _meta_piegee() -> dict:
    return {"nom_territoire": "Territoire " + ATTAQUES["script"], "sous_titre": "Sous-titre " + ATTAQUES["img_onerror"],
            "consultant": "Cabinet " + ATTAQUES["svg_onload"], "date_texte": "1er mars 2027", "version": "0.1.0",
            "departement": "Haute-Garonne", "region": "Occitanie", "communes": 2, "simule": False}


def test_gabarits_synthese_diaporama(tmp_path):
    from diagnostic_territorial.livrables import commun as livrables

    env = livrables._jinja()
    points = ["<strong>12 %</strong> des habitants " + a for a in ATTAQUES.values()]
    chapitres = [{"numero": 1, "cle": "demographie", "titre": "Démographie " + ATTAQUES["script"], "points": points}]
    from diagnostic_territorial.chapitres import enjeux

    # The enjeux name the territory and its references as etude.yaml writes them.
    noms = {"territoire": "Territoire " + ATTAQUES["script"], "departement": "Dép " + ATTAQUES["img_onerror"],
            "region": "Région " + ATTAQUES["svg_onload"], "france": "France"}
    analyse = enjeux.deriver({"acces_aux_droits": {"chiffres": {"indicateurs": {"taux_pauvrete": {
        "territoire": 18.0, "departement": 12.0, "region": 14.0, "france": 14.5, "annee": 2021,
        "source": "Source : " + ATTAQUES["iframe"]}}}}}, noms)
    synthese = env.get_template("synthese.html.j2").render(
        m=_meta_piegee(), chapitres=chapitres, sans=[ATTAQUES["iframe"]], entetes=[ATTAQUES["meta_refresh"]],
        lignes=[{"libelle": ATTAQUES["img_onerror"], "valeurs": ["1"]}], sources=[ATTAQUES["script"]], note_france="",
        echecs=["2. Emploi " + ATTAQUES["script"]], s=analyse, images=["data:image/png;base64,AAAA"],
        regles=list(ATTAQUES.values()))
    c = analyse.constats[0]
    diapos = [{"type": "lecture", "rubrique": ATTAQUES["script"]},
              {"type": "enjeu", "rubrique": ATTAQUES["script"], "enjeu": analyse.enjeux[0],
               "image": "data:image/png;base64,AAAA", "source": c.source},
              {"type": "constat", "rubrique": ATTAQUES["script"], "constat": c, "image": "data:image/png;base64,AAAA",
               "source": c.source},
              {"type": "methode", "rubrique": "Méthode", "regles": list(ATTAQUES.values())}]
    diaporama = env.get_template("presentation.html.j2").render(m=_meta_piegee(), diapos=diapos, s=analyse,
                                                               echecs=["2. Emploi " + ATTAQUES["img_onerror"]])
    assert synthese.count("<strong>12 %</strong> des habitants") == len(ATTAQUES)  # « À retenir » of the chapters
    for document in (synthese, diaporama):
        assert problemes(document) == []
        visible = texte_visible(document)
        assert "Cabinet <svg onload=alert(\"XSS05\")>" in visible  # the consultant's name, as written
        assert 'Territoire <script>alert("XSS01")</script>' in visible
        assert 'Dép <img src=x onerror=alert("XSS02")>' in visible  # the département's name, as written
        assert ATTAQUES["formulaire"] in visible  # a rule of the method, as written


def test_plan_action_piege(tmp_path):
    from diagnostic_territorial.livrables import annexes, commun
    from diagnostic_territorial.livrables.plan_action import charger

    valeur = "Texte " + ATTAQUES["img_onerror"] + " " + ATTAQUES["lien_javascript_casse_melangee"]
    fiche = {"titre": "Action " + ATTAQUES["script"], "objectif": valeur, "public": valeur, "porteur": valeur,
             "calendrier": valeur, "indicateurs_de_suivi": [valeur], "constats_lies": [valeur, {"constat": valeur}],
             "partenaires": [valeur], "budget": valeur, "description": valeur}
    chemin = tmp_path / "plan_action.yaml"
    chemin.write_text(yaml.safe_dump({"titre": "Plan " + ATTAQUES["svg_onload"], "introduction": valeur,
                                      "fiches": [fiche]}, allow_unicode=True), encoding="utf-8")
    document = commun._jinja().get_template("plan_action.html.j2").render(m=_meta_piegee(), plan=charger(chemin))
    annexe = annexes._html_plan_annexe(chemin, [])
    for rendu in (document, annexe):
        assert problemes(rendu) == []
        assert texte_visible(rendu).count(valeur) >= 10
    # an invalid plan: its messages quote the file; the client reads a neutral box, the technical
    # annex lists them, escaped too
    fiche_invalide = dict(fiche, **{"<img src=x onerror=alert('XSS23')>": "x"})
    chemin.write_text(yaml.safe_dump({"fiches": [fiche_invalide]}, allow_unicode=True), encoding="utf-8")
    avertissements = []
    annexe = annexes._html_plan_annexe(chemin, avertissements)
    assert avertissements and problemes(annexe) == [] and "XSS23" not in texte_visible(annexe)
    from types import SimpleNamespace

    etude = SimpleNamespace(racine=tmp_path, dossier_cache=tmp_path / "cache", dossier_brut=tmp_path / "brut",
                            millesimes=None)
    technique = annexes.html_annexe_technique(etude, [], avertissements, diagnostics=[])
    assert problemes(technique) == [] and "XSS23" in texte_visible(technique)


def test_couverture_du_rapport_echappee(tmp_path):
    import datetime as dt

    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from diagnostic_territorial.livrables.rapport import Annexe, ChapitreExecute, assembler

    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Démographie"),
                new_code_cell("x", outputs=[new_output("display_data",
                                                       data={"text/html": pr.html_a_retenir([CORPUS])})])]
    nbformat.write(nb, tmp_path / "d.ipynb")
    meta = dict(_meta_piegee(), date=dt.date(2027, 3, 1))
    chapitres = [ChapitreExecute(1, "demographie", "Démographie", tmp_path / "d.ipynb", "ok"),
                 ChapitreExecute(2, "economie", "Économie", None, "absent", "erreur " + ATTAQUES["script"])]
    sortie = assembler(chapitres, tmp_path / "r.html", meta,
                       annexes=[Annexe("A", "x", "Annexe " + ATTAQUES["img_onerror"], "<p>corps</p>")])
    document = sortie.read_text(encoding="utf-8")
    assert problemes(document) == []
    visible = texte_visible(document)
    assert "Cabinet <svg onload=alert(\"XSS05\")>" in visible and "Sous-titre <img src=x" in visible
    # a chapter's error is for the technical annex, never the client
    assert 'erreur <script>alert("XSS01")' not in visible and "Chapitre en cours de production" in visible


# --- end to end: the deliverables of a study ------------------------------------------------------

LIVRABLES_HTML = ("rapport.html", "synthese.html", "presentation.slides.html", "plan-action.html")


def _planter(etude: Path) -> dict[str, str]:
    """Plant the corpus in every text the consultant writes; returns {where: legitimate text}."""
    legitimes = {}
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text(analyse.read_text(encoding="utf-8") + "\nLecture du consultant : la population vieillit.\n\n"
                       + CORPUS + "\n\nFin de la lecture du consultant.\n", encoding="utf-8")
    legitimes["analyse"] = "Lecture du consultant : la population vieillit."
    constats = etude / "qualitatif" / "constats_partages.md"
    constats.write_text("- Constat partagé en atelier : manque de places en crèche.\n\n" + CORPUS + "\n",
                        encoding="utf-8")
    legitimes["qualitatif"] = "Constat partagé en atelier : manque de places en crèche."

    chemin = etude / "observation_ciblee.yaml"
    obs = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    premier = obs["indicateurs"][0]
    premier["libelle"] = "Part des 80 ans ou plus " + ATTAQUES["img_onerror"]
    premier["commentaire"] = "Retenu avec le CCAS. " + " ".join(ATTAQUES.values())
    chemin.write_text(yaml.safe_dump(obs, allow_unicode=True, sort_keys=False), encoding="utf-8")
    legitimes["observation"] = "Part des 80 ans ou plus"
    legitimes["commentaire"] = "Retenu avec le CCAS."

    chemin = etude / "plan_action.yaml"
    plan = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    plan["fiches"][0]["objectif"] = "Réduire le non-recours. " + " ".join(ATTAQUES.values())
    plan["fiches"][0]["porteur"] = "CIAS " + ATTAQUES["script"]
    chemin.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    legitimes["plan"] = "Réduire le non-recours."

    chemin = etude / "etude.yaml"
    config = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    config["etude"]["consultant"] = "Cabinet Dupont " + ATTAQUES["svg_onload"]
    config["etude"]["sous_titre"] = "Diagnostic CTG " + ATTAQUES["lien_javascript_casse_melangee"]
    config["territoire"]["nom"] = "CC Cœur de Garonne " + ATTAQUES["img_onerror"]
    chemin.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    legitimes["consultant"] = "Cabinet Dupont"
    return legitimes


def _pdf_sans_action(chemin: Path) -> list[str]:
    """JavaScript or dangerous link actions and embedded files of a PDF."""
    from pypdf import PdfReader

    lecteur = PdfReader(chemin)
    trouves = []
    racine = lecteur.trailer["/Root"]
    noms = racine.get("/Names")
    if noms is not None:
        noms = noms.get_object()
        for cle in ("/JavaScript", "/EmbeddedFiles"):
            if cle in noms:
                trouves.append(f"{chemin.name} : {cle}")
    if "/OpenAction" in racine:
        trouves.append(f"{chemin.name} : /OpenAction")
    for numero, page in enumerate(lecteur.pages, start=1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/FileAttachment":
                trouves.append(f"{chemin.name} p. {numero} : pièce jointe")
            action = annotation.get("/A")
            if action is None:
                continue
            action = action.get_object()
            if action.get("/S") in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                trouves.append(f"{chemin.name} p. {numero} : action {action.get('/S')}")
            uri = _adresse(str(action.get("/URI") or ""))
            if uri.startswith(("javascript:", "vbscript:", "data:", "file:")):
                trouves.append(f"{chemin.name} p. {numero} : lien {uri[:60]}")
    return trouves


@pytest.mark.lent
def test_livrables_d_une_etude_piegee(etude_executee, tmp_path):
    from conftest import copie_etude, make

    etude = copie_etude(etude_executee, tmp_path)
    legitimes = _planter(etude)
    resultat = make(etude, "notebooks", "rapport-pdf", "synthese", "presentation", "plan-action")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    livrables = etude / "livrables"
    textes = {}
    for nom in LIVRABLES_HTML:
        document = (livrables / nom).read_text(encoding="utf-8")
        assert problemes(document) == [], nom
        textes[nom] = texte_visible(document)
    # the legitimate text around the attacks is still there, escaped or rendered
    rapport = textes["rapport.html"]
    for cle in ("analyse", "qualitatif", "observation", "commentaire", "plan", "consultant"):
        assert legitimes[cle] in rapport, cle
    assert "Fin de la lecture du consultant." in rapport and "Après script." in rapport
    assert legitimes["observation"] in textes["synthese.html"] and legitimes["consultant"] in textes["synthese.html"]
    assert legitimes["observation"] in textes["presentation.slides.html"]
    assert legitimes["consultant"] in textes["presentation.slides.html"]
    assert legitimes["plan"] in textes["plan-action.html"] and legitimes["consultant"] in textes["plan-action.html"]
    # the attacks written as plain text in the YAML files are shown as written
    assert 'CIAS <script>alert("XSS01")</script>' in textes["plan-action.html"]
    assert 'Cabinet Dupont <svg onload=alert("XSS05")>' in textes["synthese.html"]

    from pypdf import PdfReader

    pdfs = [livrables / n for n in ("rapport.pdf", "synthese.pdf", "plan-action.pdf")]
    assert [p for pdf in pdfs for p in _pdf_sans_action(pdf)] == []
    texte_rapport = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(livrables / "rapport.pdf").pages))
    assert "Lecture du consultant" in texte_rapport and "Réduire le non-recours." in texte_rapport
