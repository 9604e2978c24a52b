"""The Word deliverables (issue 17, livrables/word.py): rapport.docx, synthese.docx, plan-action.docx.

Fast tests build chapters from real outputs of rendu.presentation (captured as a kernel records
them) and open the document with python-docx; the slow ones read the demo's documents, built by
« make rapport » from the same executed chapters as the HTML and the PDF."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from diagnostic_territorial.livrables import word  # noqa: E402
from diagnostic_territorial.rendu import formats as fm  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# --- helpers --------------------------------------------------------------------------------


def sorties_de(appel) -> list:
    """The outputs a notebook cell running `appel()` records (data and metadata, as papermill
    writes them), captured without a kernel."""
    import nbformat
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    existait = InteractiveShell.initialized()
    InteractiveShell.instance()  # display() publishes rich outputs only inside a shell
    try:
        with capture_output() as capture:
            appel()
    finally:
        if not existait:
            InteractiveShell.clear_instance()
    return [nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata or {}) for o in capture.outputs]


def notebook(tmp_path: Path, cellules: list, nom: str = "chapitre.ipynb") -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    for c in cellules:
        if isinstance(c, str):
            nb.cells.append(nbformat.v4.new_markdown_cell(c))
        else:
            cellule = nbformat.v4.new_code_cell("")
            cellule.outputs = c
            nb.cells.append(cellule)
    chemin = tmp_path / nom
    nbformat.write(nb, str(chemin))
    return chemin


def ouvrir(octets: bytes):
    return docx.Document(io.BytesIO(octets))


def titres(document, style: str = "Heading 1") -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def instructions(document) -> list[str]:
    return [" ".join(t.text.split()) for t in document.element.body.iter(f"{W}instrText")]


def cellules(table) -> list[list[str]]:
    return [[c.text for c in rang.cells] for rang in table.rows]


def tableau_revenus():
    import pandas as pd

    from diagnostic_territorial.rendu import presentation

    df = pd.DataFrame({"Territoire": ["CC Test", "Haute-Garonne"], "Revenu médian": [21800.0, 23380.0],
                       "Part": [0.123, None]})
    return lambda: presentation.tableau(df, "Insee, Filosofi 2021", {"Revenu médian": "euros", "Part": "pourcentage"},
                                        titre="Revenu médian")


def figure_barres():
    import pandas as pd

    from diagnostic_territorial.rendu import graphiques, presentation

    df = pd.DataFrame({"commune": ["Beaufort", "Bérat", "Cazères"], "part": [12.5, 8.0, 17.25]})
    fig = graphiques.barres_horizontales(df, "part", "commune", "Part des familles monoparentales", "Insee, RP 2021")
    return lambda: presentation.figure(fig, "Insee, RP 2021")


# --- the document: styles, tables, images, fields -----------------------------------------


def test_tableau_du_contrat_en_vraie_table_word(tmp_path):
    """A table recorded by presentation.tableau becomes a Word table: the cells the HTML prints
    (« 21 800 € »), numbers right-aligned, header row repeated (w:tblHeader), a numbered caption
    (SEQ Tableau) and the source line in the « Source » style."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    from diagnostic_territorial.rendu import presentation

    sortie = sorties_de(tableau_revenus())[0]
    contrat = presentation.tableau_d_une_sortie(sortie)
    doc = word.DocumentWord()
    doc.tableau(contrat, legende=contrat["titre"])
    d = ouvrir(doc.octets())
    (table,) = d.tables
    attendu = [contrat["colonnes"]] + contrat["lignes"]
    assert cellules(table) == attendu
    assert table.cell(1, 1).text == fm.euros(21800) == "21\u202f800\u00a0€"
    assert table.cell(2, 2).text == fm.NON_DISPONIBLE
    entete = table.rows[0]._tr
    assert entete.find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r._tr.find(f"{W}trPr/{W}tblHeader") is None for r in table.rows[1:])
    assert table.cell(1, 1).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.cell(1, 0).paragraphs[0].alignment != WD_ALIGN_PARAGRAPH.RIGHT
    legende = next(p for p in d.paragraphs if p.style.name == "Caption")
    assert legende.text == "Tableau 1\u00a0: Revenu médian"
    assert "SEQ Tableau \\* ARABIC" in instructions(d)
    assert [p.text for p in d.paragraphs if p.style.name == word.STYLE_SOURCE] == ["Source : Insee, Filosofi 2021"]


def test_une_colonne_de_nombres_formates_par_le_chapitre_est_alignee_a_droite():
    """« +1,4 pt » or « -157,8 % »: numbers the chapter formatted itself are right-aligned too."""
    lignes = [["Naissances", "+1,6 %"], ["Solde", "-157,8 %"], ["Part", "+1,4 pt"], ["Autre", "s"]]
    assert word._colonne_de_nombres(lignes, 1)
    assert not word._colonne_de_nombres(lignes, 0)
    assert not word._colonne_de_nombres([["31069"], ["Beaufort"]], 0)


def test_figure_en_image_avec_son_texte_alternatif(tmp_path):
    from diagnostic_territorial.rendu import presentation

    sortie = sorties_de(figure_barres())[0]
    donnees, png = presentation.figure_d_une_sortie(sortie)
    assert donnees["alt"] and donnees["alt"] != donnees["titre"]
    doc = word.DocumentWord()
    doc.figure(word.GENRE_FIGURE, donnees, png)
    d = ouvrir(doc.octets())
    (image,) = d.inline_shapes
    assert image._inline.docPr.get("descr") == " ".join(donnees["alt"].split())
    assert image.width <= docx.shared.Mm(word.LARGEUR_TEXTE_MM) + 1
    assert any(p.text == f"Figure 1\u00a0: {donnees['titre']}" for p in d.paragraphs)
    assert "SEQ Figure \\* ARABIC" in instructions(d)


def test_texte_html_en_styles_word():
    """« À retenir » (title, bullets, bold kept), a proposal of wording and a missing-data notice,
    written by presentation, become paragraphs of the document's own styles; markup in a point is
    never shown as text."""
    from diagnostic_territorial.rendu import presentation

    doc = word.DocumentWord()
    conv = word.ConvertisseurHtml(doc)
    conv.ecrire(presentation.html_a_retenir(["<strong>34 937</strong> habitants", "Âge & <em>sexe</em>"]))
    conv.ecrire(presentation.html_proposition(["Premier paragraphe.", "Second paragraphe."]))
    conv.ecrire(presentation.html_donnee_non_disponible())
    d = ouvrir(doc.octets())
    styles = [(p.style.name, p.text) for p in d.paragraphs]
    assert styles == [
        (word.STYLE_A_RETENIR_TITRE, "À retenir"),
        (word.STYLE_A_RETENIR, "34 937 habitants"),
        (word.STYLE_A_RETENIR, "Âge & sexe"),
        (word.STYLE_INTERTITRE, presentation.TITRE_PROPOSITION),
        (word.STYLE_PROPOSITION, "Premier paragraphe."),
        (word.STYLE_PROPOSITION, "Second paragraphe."),
        (word.STYLE_NOTE, presentation.MESSAGE_NON_DISPONIBLE),
    ]
    point = d.paragraphs[1]
    assert [(r.text, bool(r.bold)) for r in point.runs] == [("34 937", True), (" habitants", False)]
    assert point._p.find(f"{W}pPr/{W}numPr") is not None  # a real bulleted item
    assert "<" not in "".join(p.text for p in d.paragraphs)


def test_chapitre_depuis_le_notebook_execute(tmp_path):
    """A chapter: its « # » title as « Heading 1 », its « ## » sections as « Heading 2 », its
    Markdown text, its tables, charts and texts in order; cells tagged parameters are left out;
    a chapter not produced keeps its title and the neutral box of the HTML report."""
    import nbformat

    from diagnostic_territorial.livrables.rapport import TITRE_NON_PRODUIT, ChapitreExecute
    from diagnostic_territorial.rendu import presentation

    parametres = nbformat.v4.new_code_cell("etude_yaml = 'x'")
    parametres.metadata["tags"] = ["parameters"]
    parametres.outputs = [nbformat.v4.new_output("stream", name="stdout", text="NE PAS MONTRER")]
    chemin = notebook(tmp_path, [
        "# Revenus et *pauvreté*\n\nLe revenu **médian** des habitants.",
        sorties_de(lambda: presentation.a_retenir(["Revenu médian : <strong>21 800 €</strong>"])),
        "## Revenu médian",
        sorties_de(tableau_revenus()),
        sorties_de(figure_barres()),
        "### Détail\n\n- un\n- deux",
    ])
    nb = nbformat.read(str(chemin), as_version=4)
    nb.cells.insert(0, parametres)
    nbformat.write(nb, str(chemin))
    doc = word.DocumentWord(numeroter=True)
    ecrivain = word._Chapitres(doc)
    ecrivain.chapitre(ChapitreExecute(1, "acces_aux_droits", "Titre du plan", chemin, "ok"))
    ecrivain.chapitre(ChapitreExecute(2, "emploi", "Dynamique de l'emploi", None, "absent"))
    d = ouvrir(doc.octets())
    assert titres(d) == ["Revenus et pauvreté", "Dynamique de l'emploi"]
    assert titres(d, "Heading 2") == ["Revenu médian"]
    assert titres(d, "Heading 3") == ["Détail"]
    textes = [p.text for p in d.paragraphs]
    assert "Le revenu médian des habitants." in textes
    assert "NE PAS MONTRER" not in "\n".join(textes)
    assert textes.index("Revenu médian") < textes.index("Tableau 1\u00a0: Revenu médian") < textes.index(
        "Figure 1\u00a0: Part des familles monoparentales")
    assert len(d.tables) == 1 and len(d.inline_shapes) == 1
    assert [p.text for p in d.paragraphs if p.style.name == "List Bullet"] == ["un", "deux"]
    assert textes[-1] == word_texte_non_produit() and textes[-2] == TITRE_NON_PRODUIT
    # headings numbered by Word (a list bound to the heading styles), not typed in the text
    assert d.styles["Heading 1"].element.find(f"{W}pPr/{W}numPr") is not None


def word_texte_non_produit():
    from diagnostic_territorial.livrables.rapport import TEXTE_NON_PRODUIT

    return TEXTE_NON_PRODUIT


def test_table_des_matieres_et_listes_sont_des_champs(tmp_path):
    """The table of contents and the lists of figures and tables are TOC fields Word updates (it is
    asked to when opening the document); until then they list the headings and captions."""
    doc = word.DocumentWord(numeroter=True)
    word.sommaire(doc)
    doc.titre("Démographie", 1)
    doc.titre("Population", 2)
    doc.legende(word.GENRE_TABLEAU, "Population par commune")
    d = ouvrir(doc.octets())
    champs = instructions(d)
    assert 'TOC \\o "1-3" \\h \\z \\u' in champs
    assert 'TOC \\h \\z \\c "Figure"' in champs and 'TOC \\h \\z \\c "Tableau"' in champs
    entrees = [p.text for p in d.paragraphs if re.fullmatch(r"toc \d", p.style.name.lower())]
    assert entrees == ["1. Démographie", "1.1 Population"]
    assert [p.text for p in d.paragraphs if p.style.name.lower() == "table of figures"] == [
        "Aucune entrée.", "Tableau 1\u00a0: Population par commune"]
    assert d.settings.element.find(f"{W}updateFields") is not None
    # the table of contents' own heading is never numbered as a chapter
    assert d.styles["TOC Heading"].element.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val") == "0"


def test_a4_pied_de_page_numerote_et_octets_reproductibles(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")

    def construire() -> bytes:
        doc = word.DocumentWord()
        doc.proprietes("Titre", "Cabinet")
        doc.pied_de_page("CC Test — Rapport", "Document de travail")
        doc.titre("Chapitre", 1)
        return doc.octets()

    octets = construire()
    assert octets == construire()
    d = ouvrir(octets)
    section = d.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.left_margin.mm) == word.MARGES_MM[3]
    pied = section.footer.paragraphs[0]
    assert pied.text.startswith("Page 1 / 1")
    assert [t.text.strip() for t in pied._p.iter(f"{W}instrText")] == ["PAGE", "NUMPAGES"]
    assert section.different_first_page_header_footer  # no header nor footer on the cover
    assert "DOCUMENT DE TRAVAIL" in section.header.paragraphs[0].text
    assert d.core_properties.created.year == 2026


def test_modele_docx_de_l_etude(tmp_path):
    """modele.docx: its styles are used (a style it defines keeps its look, one it lacks is added),
    its content is emptied; a file that is not a Word document is named in French."""
    from docx.shared import Pt, RGBColor

    from diagnostic_territorial.erreurs import ErreurDiagnostic

    modele = docx.Document()
    modele.add_paragraph("Texte du modèle à ne pas reprendre")
    source = modele.styles.add_style(word.STYLE_SOURCE, docx.enum.style.WD_STYLE_TYPE.PARAGRAPH)
    source.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    modele.styles["Heading 1"].font.size = Pt(26)
    chemin = tmp_path / word.NOM_MODELE
    modele.save(str(chemin))

    doc = word.DocumentWord(chemin, numeroter=True)
    doc.titre("Chapitre", 1)
    doc.source("Source : Insee")
    d = ouvrir(doc.octets())
    assert "Texte du modèle" not in "\n".join(p.text for p in d.paragraphs)
    assert d.styles[word.STYLE_SOURCE].font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert d.styles["Heading 1"].font.size == Pt(26)
    assert word.STYLE_A_RETENIR in [s.name for s in d.styles]  # the model lacks it: added
    # the model's headings are not numbered: its choice is kept
    assert d.styles["Heading 1"].element.find(f"{W}pPr/{W}numPr") is None

    # a model without numbering definitions (never used a list): they are added for the bullets
    sans = tmp_path / "sans-numerotation.docx"
    with zipfile.ZipFile(chemin) as source, zipfile.ZipFile(sans, "w") as cible:
        for info in source.infolist():
            contenu = source.read(info.filename)
            if info.filename == "word/numbering.xml":
                continue
            if info.filename in ("word/_rels/document.xml.rels", "[Content_Types].xml"):
                contenu = re.sub(rb"<(Relationship|Override)[^>]*numbering[^>]*/>", b"", contenu)
            cible.writestr(info, contenu)
    doc = word.DocumentWord(sans)
    doc.liste(["premier point"])
    octets = doc.octets()
    with zipfile.ZipFile(io.BytesIO(octets)) as z:
        assert "word/numbering.xml" in z.namelist()
        assert b"numbering+xml" in z.read("[Content_Types].xml")
    (point,) = ouvrir(octets).paragraphs
    numid = point._p.find(f"{W}pPr/{W}numPr/{W}numId").get(f"{W}val")
    assert f'w:numId="{numid}"'.encode() in zipfile.ZipFile(io.BytesIO(octets)).read("word/numbering.xml")

    faux = tmp_path / "faux" / word.NOM_MODELE
    faux.parent.mkdir()
    faux.write_text("pas un docx", encoding="utf-8")
    with pytest.raises(ErreurDiagnostic, match=re.escape(str(faux))):
        word.DocumentWord(faux)


def test_modele_word_ne_refait_que_les_documents_word():
    """modele.docx is an input of the Word documents only (a_jour.ENTREES): changing it does not
    rebuild the HTML and PDF ones."""
    from diagnostic_territorial.execution import a_jour

    toutes = {"yaml:etude.yaml": "a", "notebooks": {}, "date": "d", "bibliotheque": "b", "modele-word": "m",
              "donnees": "x", "resultats": {}, "yaml:plan_action.yaml": "p"}
    assert "modele-word" in a_jour.entrees("rapport-docx", toutes)
    assert set(a_jour.entrees("rapport-docx", toutes)) == set(toutes)
    for nom in ("rapport-html", "rapport-pdf", "synthese", "plan-action"):
        assert "modele-word" not in a_jour.entrees(nom, toutes)
    assert set(a_jour.entrees("plan-action-docx", toutes)) == {"yaml:etude.yaml", "date", "bibliotheque",
                                                              "yaml:plan_action.yaml", "modele-word",
                                                              "resultats"}  # « Document de travail »


# --- the demo's documents -----------------------------------------------------------------


def _attendus(etude):
    """The chapters' titles as the HTML report numbers them, and the tables each one recorded."""
    from diagnostic_territorial.execution.notebooks import etats_chapitres
    from diagnostic_territorial.livrables.rapport import _premier_titre, etat_reel
    from diagnostic_territorial.rendu import presentation

    chapitres = []
    for c in etats_chapitres(etude):
        statut, _, nb = etat_reel(c)
        titre = (_premier_titre(nb) if nb is not None else None) or c.titre
        tableaux = []
        if nb is not None and statut == "ok":
            tableaux = [t for cellule in nb.cells for s in cellule.get("outputs", [])
                        if (t := presentation.tableau_d_une_sortie(s)) is not None]
        chapitres.append((word._texte_titre(titre), tableaux))
    return chapitres


def test_rapport_docx_de_la_demo(etude_executee):
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.configuration.etude import Etude

    etude = Etude.charger(etude_executee / "etude.yaml")
    chemin = etude_executee / "livrables" / "rapport.docx"
    assert chemin.is_file(), "make rapport n'a pas écrit livrables/rapport.docx"
    d = docx.Document(str(chemin))
    attendus = _attendus(etude)
    # the chapters' titles, in the report's order, then the annexes
    assert titres(d) == [t for t, _ in attendus]
    annexes = titres(d, word.STYLE_ANNEXE)
    assert annexes[0].startswith("Annexe A.") and any("Sources et millésimes" in a for a in annexes)
    # at least one Word table per chapter that recorded one, with the chapter's own cells
    corps = d.element.body
    positions = [i for i, e in enumerate(corps) if e.tag == f"{W}p" and e.find(f"{W}pPr/{W}pStyle") is not None
                 and e.find(f"{W}pPr/{W}pStyle").get(f"{W}val") == d.styles["Heading 1"].style_id]
    positions.append(len(corps))
    tables_xml = {id(t._tbl): t for t in d.tables}
    for (titre, tableaux), debut, fin in zip(attendus, positions, positions[1:]):
        dans = [tables_xml[id(e)] for e in list(corps)[debut:fin] if id(e) in tables_xml]
        if tableaux:
            assert len(dans) >= len(tableaux), titre
            premier = tableaux[0]
            assert cellules(dans[0])[0] == [str(c) for c in premier["colonnes"]], titre
    # the territory's median income (Filosofi), formatted the French way, in a Word table
    revenu = resultats.lire_tous(etude)["acces_aux_droits"]["chiffres"]["indicateurs"]["revenu_median"]["territoire"]
    texte = fm.euros(revenu)
    assert re.fullmatch(r"\d{2}\u202f\d{3}\u00a0€", texte)
    assert any(texte in c.text for t in d.tables for r in t.rows for c in r.cells)
    # every picture has its alternative text; the contents field is there
    assert len(d.inline_shapes) > 10
    assert all((s._inline.docPr.get("descr") or "").strip() for s in d.inline_shapes)
    assert any(i.startswith("TOC \\o") for i in instructions(d))
    # the cover says what the HTML's says: working document, simulated data, the frame
    couverture = "\n".join(p.text for p in d.paragraphs[:12])
    assert "DOCUMENT DE TRAVAIL" in couverture and "Données simulées pour la démonstration" in couverture
    assert etude.sous_titre in couverture and etude.nom_territoire in couverture
    # the client's document names no file, no command
    texte_complet = "\n".join(p.text for p in d.paragraphs)
    assert "make " not in texte_complet and ".ipynb" not in texte_complet and "Traceback" not in texte_complet


def test_synthese_et_plan_action_docx_de_la_demo(etude_executee):
    from diagnostic_territorial.chapitres import enjeux
    from diagnostic_territorial.configuration.etude import Etude
    from diagnostic_territorial.livrables.plan_action import charger

    etude = Etude.charger(etude_executee / "etude.yaml")
    s = docx.Document(str(etude_executee / "livrables" / "synthese.docx"))
    analyse = enjeux.analyser(etude)
    assert titres(s)[:2] == ["Chiffres clés", "Forces et fragilités"]
    assert titres(s, "Heading 2")[:len(analyse.enjeux)] == [
        f"Enjeu proposé n° {i} : {e.titre}" for i, e in enumerate(analyse.enjeux, start=1)]
    assert len(s.inline_shapes) == len(analyse.enjeux)
    assert all(x._inline.docPr.get("descr") for x in s.inline_shapes)
    plan = charger(etude_executee / "plan_action.yaml")
    a = docx.Document(str(etude_executee / "livrables" / "plan-action.docx"))
    assert len(a.tables) == len(plan.fiches)
    assert cellules(a.tables[0])[0] == ["Objectif", plan.fiches[0].objectif]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) absent")
def test_libreoffice_convertit_le_rapport_en_pdf(etude_executee, tmp_path):
    source = etude_executee / "livrables" / "rapport.docx"
    resultat = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profil'}", "--headless",
                               "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                              capture_output=True, text=True, timeout=900)
    pdf = tmp_path / "rapport.pdf"
    assert resultat.returncode == 0 and pdf.is_file(), resultat.stderr[-2000:]
    from pypdf import PdfReader

    lecteur = PdfReader(str(pdf))
    assert len(lecteur.pages) > 20
    texte = lecteur.pages[0].extract_text()
    assert "Rapport de diagnostic" in texte


def test_le_docx_est_un_paquet_valide(tmp_path):
    """Every part of the package is well-formed XML and the numbering part exists (bullets)."""
    from xml.etree import ElementTree as etree

    doc = word.DocumentWord()
    doc.liste(["un", "deux"])
    octets = doc.octets()
    with zipfile.ZipFile(io.BytesIO(octets)) as z:
        for nom in z.namelist():
            if nom.endswith(".xml") or nom.endswith(".rels"):
                etree.fromstring(z.read(nom))
        assert "word/numbering.xml" in z.namelist()
        assert {i.date_time for i in z.infolist()} and len({i.date_time for i in z.infolist()}) == 1
