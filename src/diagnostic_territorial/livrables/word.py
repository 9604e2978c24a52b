"""Editable Word deliverables (issue 17): livrables/rapport.docx, synthese.docx and plan-action.docx.

Consultants finish a diagnostic in Word. The report is built from the same executed chapters as
rapport.html and rapport.pdf (``build/notebooks/*.ipynb``, in the order, with the titles and the
« Chapitre en cours de production » box of :mod:`livrables.rapport`), the synthèse from the same
analysis as synthese.html (:mod:`chapitres.enjeux`, :mod:`livrables.chiffres_cles`), the plan
d'action from plan_action.yaml (:mod:`livrables.plan_action`). What the documents are made of:

- real Word styles, so that the consultant restyles the whole document at once: built-in headings
  (« Heading 1-3 », shown « Titre 1-3 » by a French Word), « Caption » (« Légende »), « Title »,
  « Subtitle », « Body Text » (« Corps de texte »), « TOC Heading », « List Bullet », and styles of
  their own: « Source », « À retenir », « À retenir - titre », « Proposition de rédaction »,
  « Note », « Intertitre », « Texte de tableau », « Bandeau », « Titre d'annexe », the table
  style « Tableau du diagnostic »;
- a table of contents field and the lists of figures and of tables (``TOC \\c "Figure"`` and
  ``TOC \\c "Tableau"``), which Word updates (the document asks for it when opened; their text
  until then lists the headings and captions, without page numbers); captions numbered by ``SEQ``
  fields (« Tableau 1 : … », « Figure 2 : … »); page numbers in the footer (``PAGE``/``NUMPAGES``);
- the tables as Word tables, from the data each display recorded (``presentation.
  tableau_d_une_sortie``: the cells formatted the French way, « 21 800 € »), numbers right-aligned,
  the header row marked (repeated on each page, ``w:tblHeader``); the charts and static maps as
  images (``figure_d_une_sortie``, ``carte_d_une_sortie``) with their alternative text (``descr`` of
  the picture); never a reading of the rendered report;
- the texts of the chapters: their Markdown cells, and the outputs without a table, chart or map
  (« À retenir », proposals of wording, the consultant's analysis, notices of missing data, the
  parole des habitants...), whose HTML fragment, written and sanitised by ``presentation``, is
  turned into Word paragraphs, lists and tables by a small converter that knows the report's CSS
  classes (``div.a-retenir``, ``div.proposition``, ``p.source``...); text never becomes markup;
- the annexes of the report (:func:`annexes.annexes_rapport`: plan d'action, sources and
  millésimes, definitions, sources à compléter), the cover (territory, frame CTG/ABS, date,
  « Document de travail » while :func:`rapport.etat_document` says so, the « données simulées »
  banner of the demo) and A4 pages.

A reference document: when the study has ``modele.docx`` at its root, the documents start from it
(python-docx opens it, its body is emptied): its styles, page set-up, headers and footers are
used; a style of the list above that it lacks is added with this module's look, so a model may
define only the styles it wants to change. Headings are numbered (1, 1.1) by a list bound to the
heading styles, unless the model's « Heading 1 » has its own numbering or none is wanted.

The files are written atomically (``ecriture.ecrire_octets``) and reproducibly: the same inputs
give the same bytes (fixed dates in the package and its properties: the generation date).
"""

from __future__ import annotations

import base64
import copy
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

NOM_MODELE = "modele.docx"

# Styles of this module (created when the base document lacks them).
STYLE_SOURCE = "Source"
STYLE_A_RETENIR = "À retenir"
STYLE_A_RETENIR_TITRE = "À retenir - titre"
STYLE_PROPOSITION = "Proposition de rédaction"
STYLE_NOTE = "Note"
STYLE_INTERTITRE = "Intertitre"
STYLE_CELLULE = "Texte de tableau"
STYLE_BANDEAU = "Bandeau"
STYLE_ANNEXE = "Titre d'annexe"
STYLE_COUVERTURE = "Couverture"
STYLE_TABLE = "Tableau du diagnostic"
# Built-in styles (their internal names: Word shows them translated, « Titre 1 », « Légende »...).
STYLE_CORPS = "Body Text"
STYLE_LEGENDE = "Caption"
STYLE_LISTE = "List Bullet"
STYLE_CITATION = "Quote"

# Word's own styles, by the names python-docx gives them: one a model lacks is added as built-in.
STYLES_WORD = frozenset({"Heading 1", "Heading 2", "Heading 3", "Heading 4", "Title", "Subtitle", "TOC Heading",
                         STYLE_CORPS, STYLE_LEGENDE, STYLE_LISTE, STYLE_CITATION, "Header", "Footer"})

GENRE_TABLEAU = "Tableau"
GENRE_FIGURE = "Figure"

# A4, margins of the printed report (rapport.css: 20 mm 18 mm 22 mm 18 mm): 174 mm of text width,
# the width every chart and map is drawn for.
LARGEUR_PAGE_MM = 210
HAUTEUR_PAGE_MM = 297
MARGES_MM = (20, 18, 22, 18)  # top, right, bottom, left
LARGEUR_TEXTE_MM = LARGEUR_PAGE_MM - MARGES_MM[1] - MARGES_MM[3]
HAUTEUR_FIGURE_MM = 165  # at most, as in the PDF (rapport.css)
HAUTEUR_CARTE_MM = 150
DPI_IMAGES = 150  # presentation.DPI_PNG: the images' pixels give their printed size

# The report's colours (rapport.css): accent, greys, the « À retenir » box, alerts.
COULEUR_ACCENT = "1F4E79"
COULEUR_GRIS = "5F6B7A"
COULEUR_FOND_RETENIR = "EEF3F8"
COULEUR_FOND_ENTETE = "DCE6F0"
COULEUR_ALERTE = "9A5B00"
COULEUR_FOND_ALERTE = "FFF4E0"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


# --------------------------------------------------------------------------------------------
# The document: styles, numbering, fields, tables, images
# --------------------------------------------------------------------------------------------


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _element(tag: str, **attributs) -> object:
    from docx.oxml import OxmlElement

    e = OxmlElement(tag)
    for nom, valeur in attributs.items():
        e.set(_qn(f"w:{nom}"), str(valeur))
    return e


def _vider(document) -> None:
    """Remove the body's content of a document opened from a model, keeping its last section's
    page set-up (``w:sectPr``)."""
    corps = document.element.body
    for enfant in list(corps):
        if enfant.tag != _qn("w:sectPr"):
            corps.remove(enfant)


def modele_de(etude) -> Path | None:
    """The study's reference document (``modele.docx`` at its root), if it has one."""
    chemin = Path(etude.racine) / NOM_MODELE
    return chemin if chemin.is_file() else None


@dataclass
class Entree:
    """A heading, a table or a figure, for the cached text of the table of contents and lists."""

    niveau: int  # 1-3 for headings, 0 for captions
    texte: str


class DocumentWord:
    """A python-docx document with the deliverables' styles and helpers to write them.

    `modele`: a .docx whose styles and page set-up are used (its body emptied); None: python-docx's
    default document, set to A4 with the report's margins. `numeroter`: headings 1 and 2 numbered
    by a list bound to their styles (the report), when the model's « Heading 1 » has none."""

    def __init__(self, modele: Path | None = None, numeroter: bool = False):
        import docx

        self.modele = Path(modele) if modele else None
        if self.modele is not None:
            from diagnostic_territorial.erreurs import FormatInconnu

            try:
                self.doc = docx.Document(str(self.modele))
            except Exception as exc:  # noqa: BLE001 - not a Word document: say which file
                raise FormatInconnu(self.modele, f"ce fichier n'est pas un document Word (.docx) lisible "
                                                 f"({type(exc).__name__}) : enregistrez votre modèle au format "
                                                 "« Document Word (*.docx) » ou retirez-le de l'étude") from None
            _vider(self.doc)
        else:
            self.doc = docx.Document()
            self._mise_en_page()
        self.titres: list[Entree] = []
        self.section = ""
        self.legendes: dict[str, list[str]] = {GENRE_TABLEAU: [], GENRE_FIGURE: []}
        self._champs_differes: list = []
        self._num_puces: int | None = None
        self._num_titres: int | None = None
        self._styles()
        self._langue()
        if numeroter:
            self._numeroter_titres()

    # --- Page set-up and styles -----------------------------------------------------------

    def _mise_en_page(self) -> None:
        from docx.shared import Mm

        for section in self.doc.sections:
            section.page_width, section.page_height = Mm(LARGEUR_PAGE_MM), Mm(HAUTEUR_PAGE_MM)
            haut, droite, bas, gauche = MARGES_MM
            section.top_margin, section.right_margin = Mm(haut), Mm(droite)
            section.bottom_margin, section.left_margin = Mm(bas), Mm(gauche)
            section.header_distance, section.footer_distance = Mm(9), Mm(9)

    @property
    def largeur_texte_mm(self) -> float:
        section = self.doc.sections[-1]
        try:
            return (section.page_width - section.left_margin - section.right_margin) / 36000
        except TypeError:  # a model without page size: A4 and the report's margins
            return LARGEUR_TEXTE_MM

    def style(self, nom: str):
        """The style named `nom` (a built-in one by its English name, as python-docx names them),
        looked up once (python-docx reads every style at each look-up; styles are only added)."""
        connus = self.__dict__.setdefault("_styles_par_nom", {})
        if nom not in connus:
            connus[nom] = self.doc.styles[nom]
        return connus[nom]

    def a_style(self, nom: str) -> bool:
        try:
            self.doc.styles[nom]
            return True
        except KeyError:
            return False

    def _nouveau_style(self, nom: str, base: str | None = "Normal", type_=None):
        from docx.enum.style import WD_STYLE_TYPE

        style = self.doc.styles.add_style(nom, type_ or WD_STYLE_TYPE.PARAGRAPH, builtin=nom in STYLES_WORD)
        if base and self.a_style(base):
            style.base_style = self.style(base)
        style.quick_style = True
        return style

    def _styles(self) -> None:
        """Add the styles the base document lacks (a model's own styles are never changed); with
        python-docx's default document, give the built-in ones the report's look."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt, RGBColor

        def creer(nom, base="Normal", taille=None, gras=None, italique=None, couleur=None, avant=None, apres=None,
                  suivant_garde=None, fond=None, bordure=None, retrait=None, aligne=None, plan=None):
            if self.a_style(nom):
                return None
            s = self._nouveau_style(nom, base)
            f, p = s.font, s.paragraph_format
            if taille:
                f.size = Pt(taille)
            if gras is not None:
                f.bold = gras
            if italique is not None:
                f.italic = italique
            if couleur:
                f.color.rgb = RGBColor.from_string(couleur)
            if avant is not None:
                p.space_before = Pt(avant)
            if apres is not None:
                p.space_after = Pt(apres)
            if suivant_garde:
                p.keep_with_next = True
            if retrait is not None:
                p.left_indent = Pt(retrait)
            if aligne is not None:
                p.alignment = aligne
            if fond or bordure:
                _bordure_et_fond(s.element.get_or_add_pPr(), fond, bordure)
            if plan is not None:  # outline level: the table of contents lists it
                _inserer_ppr(s.element.get_or_add_pPr(), _element("w:outlineLvl", val=plan))
            return s

        # Built-in styles a model never used (Word writes only the styles a document uses): added with
        # their built-in names, so that Word still shows them translated and lists the headings.
        for niveau, taille in ((1, 18), (2, 14), (3, 12), (4, 11)):
            creer(f"Heading {niveau}", taille=taille, gras=True, couleur=COULEUR_ACCENT, suivant_garde=True,
                  avant=18 if niveau == 1 else 12, apres=6, plan=niveau - 1)
        creer("Title", taille=30, couleur=COULEUR_ACCENT, apres=6)
        creer("Subtitle", taille=15, couleur=COULEUR_GRIS, apres=6)
        creer("TOC Heading", base="Heading 1", plan=9)
        creer(STYLE_CORPS, apres=6)
        creer(STYLE_LEGENDE, taille=9.5, gras=True, couleur=COULEUR_ACCENT, suivant_garde=True, avant=8, apres=3)
        creer(STYLE_LISTE, base=STYLE_CORPS, apres=2)
        creer(STYLE_CITATION, base=STYLE_CORPS, italique=True, retrait=18)
        creer("Header", taille=8, couleur=COULEUR_GRIS)
        creer("Footer", taille=8, couleur=COULEUR_GRIS)
        if self.modele is None:  # python-docx's default document: the report's look
            normal = self.style("Normal")
            normal.font.name = "Calibri"
            normal.font.size = Pt(10.5)
            normal.paragraph_format.space_after = Pt(4)
            for niveau, taille in ((1, 18), (2, 14), (3, 12)):
                titre = self.style(f"Heading {niveau}")
                titre.font.size = Pt(taille)
                titre.font.color.rgb = RGBColor.from_string(COULEUR_ACCENT)
                titre.paragraph_format.space_before = Pt(18 if niveau == 1 else 12)
                titre.paragraph_format.space_after = Pt(6)
            legende = self.style(STYLE_LEGENDE)
            legende.font.size = Pt(9.5)
            legende.font.italic = False
            legende.font.bold = True
            legende.font.color.rgb = RGBColor.from_string(COULEUR_ACCENT)
            legende.paragraph_format.keep_with_next = True
            legende.paragraph_format.space_before = Pt(8)
            legende.paragraph_format.space_after = Pt(3)
            self.style(STYLE_CORPS).paragraph_format.space_after = Pt(6)
            self.style("Title").font.size = Pt(30)
            self.style("Subtitle").font.size = Pt(15)
            for nom in ("Header", "Footer"):
                self.style(nom).font.size = Pt(8)
                self.style(nom).font.color.rgb = RGBColor.from_string(COULEUR_GRIS)

        creer(STYLE_SOURCE, taille=8.5, italique=True, couleur=COULEUR_GRIS, avant=2, apres=10)
        creer(STYLE_A_RETENIR, base=STYLE_CORPS, taille=10, fond=COULEUR_FOND_RETENIR, bordure=("left", COULEUR_ACCENT),
              avant=0, apres=2, retrait=6)
        creer(STYLE_A_RETENIR_TITRE, base=STYLE_A_RETENIR, gras=True, couleur=COULEUR_ACCENT, suivant_garde=True,
              avant=8)
        creer(STYLE_PROPOSITION, base=STYLE_CORPS, italique=True, bordure=("left", COULEUR_GRIS), retrait=8)
        creer(STYLE_NOTE, base=STYLE_CORPS, taille=9.5, couleur=COULEUR_GRIS, fond="F3F4F6", retrait=6)
        creer(STYLE_INTERTITRE, base=STYLE_CORPS, gras=True, suivant_garde=True, avant=8, apres=3)
        creer(STYLE_CELLULE, taille=8.5, avant=0, apres=0)
        creer(STYLE_BANDEAU, taille=10, gras=True, couleur=COULEUR_ALERTE, fond=COULEUR_FOND_ALERTE,
              bordure=("box", COULEUR_ALERTE), avant=0, apres=6, aligne=WD_ALIGN_PARAGRAPH.CENTER)
        creer(STYLE_COUVERTURE, taille=11, couleur=COULEUR_GRIS, apres=4)
        annexe = creer(STYLE_ANNEXE, base="Heading 1")
        if annexe is not None:  # never numbered with the chapters; in the table of contents (\u)
            ppr = annexe.element.get_or_add_pPr()
            _inserer_ppr(ppr, _numpr(0))
            _inserer_ppr(ppr, _element("w:outlineLvl", val=0))
        if not self.a_style(STYLE_TABLE):
            table = self._nouveau_style(STYLE_TABLE, None, WD_STYLE_TYPE.TABLE)
            base = "Normal Table" if self.a_style("Normal Table") else None
            if base:
                table.base_style = self.style(base)
            _bordures_table(table.element)

    def _langue(self) -> None:
        """French spelling and proofing (the base document's default language when it has none)."""
        styles = self.doc.styles.element
        defauts = styles.find(_qn("w:docDefaults"))
        if defauts is None:
            return
        rpr = defauts.find(_qn("w:rPrDefault") + "/" + _qn("w:rPr"))
        if rpr is None:
            return
        langue = rpr.find(_qn("w:lang"))
        if langue is None:
            langue = _element("w:lang")
            rpr.append(langue)
        if self.modele is None or not langue.get(_qn("w:val")):
            langue.set(_qn("w:val"), "fr-FR")

    # --- Numbering --------------------------------------------------------------------------

    def _numbering(self):
        """The numbering part (created when the model has none: python-docx cannot)."""
        from docx.opc.constants import RELATIONSHIP_TYPE as RT

        try:
            return self.doc.part.part_related_by(RT.NUMBERING).element
        except KeyError:
            from docx.opc.constants import CONTENT_TYPE as CT
            from docx.opc.packuri import PackURI
            from docx.parts.numbering import NumberingPart

            xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:numbering xmlns:w="{W}"/>').encode()
            partie = NumberingPart.load(PackURI("/word/numbering.xml"), CT.WML_NUMBERING, xml, self.doc.part.package)
            self.doc.part.relate_to(partie, RT.NUMBERING)
            return partie.element

    def _nouvelle_numerotation(self, niveaux: list[dict]) -> int:
        """A new abstract numbering (one ``w:lvl`` per dict: format, text, indent, style) and its
        instance; returns the instance's id."""
        numbering = self._numbering()
        abstraits = [int(a.get(_qn("w:abstractNumId"))) for a in numbering.findall(_qn("w:abstractNum"))]
        instances = [int(n.get(_qn("w:numId"))) for n in numbering.findall(_qn("w:num"))]
        id_abstrait = max(abstraits, default=-1) + 1
        id_instance = max(instances, default=0) + 1
        abstrait = _element("w:abstractNum", abstractNumId=id_abstrait)
        abstrait.append(_element("w:multiLevelType", val="multilevel" if len(niveaux) > 1 else "singleLevel"))
        for i, n in enumerate(niveaux):
            lvl = _element("w:lvl", ilvl=i)
            lvl.append(_element("w:start", val=1))
            lvl.append(_element("w:numFmt", val=n["format"]))
            if n.get("style"):
                lvl.append(_element("w:pStyle", val=n["style"]))
            lvl.append(_element("w:lvlText", val=n["texte"]))
            lvl.append(_element("w:lvlJc", val="left"))
            ppr = _element("w:pPr")
            ppr.append(_element("w:ind", left=n["retrait"], hanging=n["suspendu"]))
            lvl.append(ppr)
            if n.get("police"):
                rpr = _element("w:rPr")
                rpr.append(_element("w:rFonts", ascii=n["police"], hAnsi=n["police"], hint="default"))
                lvl.append(rpr)
            abstrait.append(lvl)
        # abstractNum elements come before every num element (schema order)
        premiere_instance = numbering.find(_qn("w:num"))
        if premiere_instance is not None:
            premiere_instance.addprevious(abstrait)
        else:
            numbering.append(abstrait)
        instance = _element("w:num", numId=id_instance)
        instance.append(_element("w:abstractNumId", val=id_abstrait))
        numbering.append(instance)
        return id_instance

    def num_puces(self) -> int:
        if self._num_puces is None:
            self._num_puces = self._nouvelle_numerotation([
                {"format": "bullet", "texte": "•", "retrait": 360 * (i + 1), "suspendu": 240} for i in range(3)])
        return self._num_puces

    def num_ordonnee(self) -> int:
        """A new numbered list (each starts at 1)."""
        return self._nouvelle_numerotation([{"format": "decimal", "texte": f"%{i + 1}.", "retrait": 360 * (i + 1),
                                             "suspendu": 280} for i in range(3)])

    def _numeroter_titres(self) -> None:
        """Number « Heading 1 » and « Heading 2 » (1, 1.1) by a list bound to the styles, unless the
        model numbers them already."""
        titre1 = self.style("Heading 1").element
        ppr = titre1.get_or_add_pPr()
        if ppr.find(_qn("w:numPr")) is not None:
            return
        if self.modele is not None:
            return  # the model's headings are not numbered: its choice
        ids = {n: self.style(f"Heading {n}").style_id for n in (1, 2)}
        self._num_titres = self._nouvelle_numerotation([
            {"format": "decimal", "texte": "%1.", "retrait": 432, "suspendu": 432, "style": ids[1]},
            {"format": "decimal", "texte": "%1.%2", "retrait": 576, "suspendu": 576, "style": ids[2]},
        ])
        for niveau in (1, 2):
            ppr = self.style(f"Heading {niveau}").element.get_or_add_pPr()
            numpr = _numpr(self._num_titres, niveau - 1)
            _inserer_ppr(ppr, numpr)
        # styles based on « Heading 1 » that are not chapters: never numbered
        for nom in ("TOC Heading", STYLE_ANNEXE):
            if self.a_style(nom):
                _inserer_ppr(self.style(nom).element.get_or_add_pPr(), _numpr(0))

    # --- Paragraphs ---------------------------------------------------------------------

    def paragraphe(self, texte: str = "", style: str | None = STYLE_CORPS, conteneur=None, gras: bool = False,
                   italique: bool = False):
        conteneur = conteneur if conteneur is not None else self.doc
        p = conteneur.add_paragraph(style=style if style and self.a_style(style) else None)
        if texte:
            run = p.add_run(texte)
            run.bold = gras or None
            run.italic = italique or None
        return p

    def titre(self, texte: str, niveau: int = 1, style: str | None = None, nouvelle_page: bool = False):
        """A heading (``Heading <niveau>``, or `style`), recorded for the table of contents."""
        p = self.doc.add_paragraph(texte, style=style or f"Heading {niveau}")
        if nouvelle_page:
            p.paragraph_format.page_break_before = True
        numero = ""
        if niveau <= 2:
            self.section = texte  # the caption of a table recorded without a title of its own
        if self._num_titres is not None and style is None and niveau <= 2:
            numero = self._numero_titre(niveau)
        self.titres.append(Entree(niveau, f"{numero} {texte}".strip()))
        return p

    def _numero_titre(self, niveau: int) -> str:
        if niveau == 1:
            self._compteurs = getattr(self, "_compteurs", [0, 0])
            self._compteurs = [self._compteurs[0] + 1, 0]
            return f"{self._compteurs[0]}."
        self._compteurs = getattr(self, "_compteurs", [0, 0])
        self._compteurs[1] += 1
        return f"{self._compteurs[0]}.{self._compteurs[1]}"

    def liste(self, textes: list, style: str | None = STYLE_LISTE, conteneur=None, ordonnee: bool = False) -> None:
        """Bulleted (or numbered) paragraphs; each item is a text or a list of runs (see :func:`runs`)."""
        num = self.num_ordonnee() if ordonnee else self.num_puces()
        for t in textes:
            p = self.paragraphe("", style, conteneur)
            _inserer_ppr(p._p.get_or_add_pPr(), _numpr(num, 0))
            ajouter_runs(p, t if isinstance(t, list) else [Morceau(str(t))])

    def legende(self, genre: str, texte: str, conteneur=None):
        """« Tableau 3 : … » / « Figure 2 : … »: the number is a SEQ field, the caption lists them."""
        self.legendes[genre].append(texte)
        numero = len(self.legendes[genre])
        p = self.paragraphe("", STYLE_LEGENDE, conteneur)
        p.add_run(f"{genre} ")
        champ(p, f" SEQ {genre} \\* ARABIC ", str(numero))
        p.add_run(f"\u00a0: {texte}" if texte else "")
        return p

    def source(self, texte: str, conteneur=None):
        if texte:
            return self.paragraphe(texte, STYLE_SOURCE, conteneur)
        return None

    def saut_de_page(self) -> None:
        from docx.enum.text import WD_BREAK

        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # --- Tables ---------------------------------------------------------------------------

    def tableau(self, contrat: dict, conteneur=None, legende: bool | str = True):
        """A table recorded by ``presentation.tableau`` (its data contract): caption, Word table with
        its header row marked and repeated, numbers right-aligned, then its source line."""
        colonnes = [str(c) for c in contrat.get("colonnes") or []]
        lignes = [[str(v) for v in ligne] for ligne in contrat.get("lignes") or []]
        numeriques = [bool(n) or _colonne_de_nombres(lignes, j)
                      for j, n in enumerate(list(contrat.get("numeriques") or []) + [False] * len(colonnes))]
        if legende:
            self.legende(GENRE_TABLEAU, legende if isinstance(legende, str) else str(contrat.get("titre") or ""),
                         conteneur)
        table = self.table(colonnes, lignes, numeriques, conteneur)
        self.source(str(contrat.get("source") or ""), conteneur)
        return table

    def table(self, colonnes: list[str], lignes: list[list], numeriques: list[bool] | None = None, conteneur=None,
              entete: bool = True, largeurs: list[float] | None = None):
        """A Word table: `colonnes` (header row, marked ``w:tblHeader``), `lignes` (cells: text, or
        a list of paragraphs, each a text or a list of runs), numeric columns right-aligned."""
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        conteneur = conteneur if conteneur is not None else self.doc
        n = max([len(colonnes)] + [len(l) for l in lignes]) if (colonnes or lignes) else 1
        numeriques = list(numeriques or []) + [False] * n
        table = conteneur.add_table(rows=(1 if entete else 0) + len(lignes), cols=n)
        if self.a_style(STYLE_TABLE):
            table.style = self.style(STYLE_TABLE)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        largeur = self.largeur_texte_mm if conteneur is self.doc else self.largeur_texte_mm * 0.6
        largeurs = largeurs or _largeurs(colonnes, lignes, n, largeur)
        for j, l in enumerate(largeurs):
            table.columns[j].width = Mm(l)
        rangs = list(table.rows)
        if entete:
            rang = rangs.pop(0)
            trpr = rang._tr.get_or_add_trPr()
            trpr.append(_element("w:tblHeader"))
            trpr.append(_element("w:cantSplit"))
            for j in range(n):
                cellule = rang.cells[j]
                cellule.width = Mm(largeurs[j])
                _fond_cellule(cellule, COULEUR_FOND_ENTETE)
                p = cellule.paragraphs[0]
                _styler(p, self.style(STYLE_CELLULE))
                if numeriques[j]:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                run = p.add_run(colonnes[j] if j < len(colonnes) else "")
                run.bold = True
        for rang, ligne in zip(rangs, lignes):
            rang._tr.get_or_add_trPr().append(_element("w:cantSplit"))
            for j in range(n):
                cellule = rang.cells[j]
                cellule.width = Mm(largeurs[j])
                valeur = ligne[j] if j < len(ligne) else ""
                self._remplir_cellule(cellule, valeur, WD_ALIGN_PARAGRAPH.RIGHT if numeriques[j] else None)
        return table

    def _remplir_cellule(self, cellule, valeur, alignement=None) -> None:
        paragraphes = valeur if isinstance(valeur, list) and valeur and not isinstance(valeur[0], Morceau) else [valeur]
        premier = True
        for contenu in paragraphes:
            puce = isinstance(contenu, Puce)
            if puce:
                contenu = contenu.contenu
            p = cellule.paragraphs[0] if premier else cellule.add_paragraph()
            premier = False
            _styler(p, self.style(STYLE_CELLULE))
            if alignement is not None:
                p.alignment = alignement
            if puce:
                _inserer_ppr(p._p.get_or_add_pPr(), _numpr(self.num_puces(), 0))
                p.paragraph_format.left_indent = 228600 // 2
            ajouter_runs(p, contenu if isinstance(contenu, list) else [Morceau(str(contenu))])

    # --- Images ---------------------------------------------------------------------------

    def image(self, png: bytes, alt: str, titre: str = "", hauteur_max_mm: float = HAUTEUR_FIGURE_MM,
              largeur_max_mm: float | None = None, conteneur=None):
        """A PNG at its printed size (150 dpi, within the text width and `hauteur_max_mm`), centred,
        its alternative text in the picture's ``descr`` (what a screen reader reads, Word's « Texte de
        remplacement »)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            largeur_px, hauteur_px = im.size
        largeur = largeur_px / DPI_IMAGES * 25.4
        hauteur = hauteur_px / DPI_IMAGES * 25.4
        echelle = min(1.0, (largeur_max_mm or self.largeur_texte_mm) / largeur, hauteur_max_mm / hauteur)
        p = self.paragraphe("", None, conteneur)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.keep_with_next = True
        forme = p.add_run().add_picture(io.BytesIO(png), width=Mm(largeur * echelle), height=Mm(hauteur * echelle))
        docpr = forme._inline.docPr
        docpr.set("descr", " ".join(str(alt or titre or "Image").split()))
        if titre:
            docpr.set("title", " ".join(str(titre).split()))
        return p

    def figure(self, genre: str, donnees: dict, png: bytes, hauteur_max_mm: float = HAUTEUR_FIGURE_MM,
               conteneur=None) -> None:
        """Caption, picture (its alt text), source line: a chart or a map recorded by presentation."""
        titre = str(donnees.get("titre") or "")
        self.legende(genre, titre, conteneur)
        self.image(png, str(donnees.get("alt") or titre), titre, hauteur_max_mm, conteneur=conteneur)
        self.source(str(donnees.get("source") or ""), conteneur)

    # --- Fields ---------------------------------------------------------------------------

    def table_des_matieres(self, instruction: str, vide: str, entrees) -> None:
        """A TOC field (`instruction`); its text, until Word updates it, is filled at the end from
        `entrees()` (the headings or captions written meanwhile), or `vide`."""
        p = self.paragraphe("", None)
        self._champs_differes.append((p, instruction, vide, entrees))

    def _remplir_tables(self) -> None:
        for p, instruction, vide, entrees in self._champs_differes:
            lignes = [(e.niveau, e.texte) for e in entrees()] or [(0, vide)]
            paragraphes = [p]
            for _ in lignes[1:]:
                suivant = copy.deepcopy(p._p)
                paragraphes[-1]._p.addnext(suivant)
                from docx.text.paragraph import Paragraph

                paragraphes.append(Paragraph(suivant, p._parent))
            for i, ((niveau, texte), q) in enumerate(zip(lignes, paragraphes)):
                style = f"toc {niveau}" if niveau else "table of figures"
                _styler(q, self._style_index(style))
                if i == 0:
                    _debut_champ(q, instruction)
                q.add_run(texte)
                if i == len(lignes) - 1:
                    _fin_champ(q)

    def _style_index(self, nom: str):
        """« toc 1 »... and « table of figures »: built-in styles that python-docx's document lacks."""
        from docx.enum.style import WD_STYLE_TYPE
        from docx.shared import Pt

        for s in self.doc.styles:
            if s.type == WD_STYLE_TYPE.PARAGRAPH and s.name and s.name.lower() == nom:
                return s
        style = self.doc.styles.add_style(nom, WD_STYLE_TYPE.PARAGRAPH, builtin=True)
        style.base_style = self.style("Normal")
        niveau = int(nom[-1]) if nom[-1].isdigit() else 1
        style.paragraph_format.left_indent = Pt(12 * (niveau - 1))
        style.paragraph_format.space_after = Pt(2)
        if niveau == 1 and nom.startswith("toc"):
            style.font.bold = True
            style.paragraph_format.space_before = Pt(6)
        return style

    def pied_de_page(self, texte_entete: str = "", alerte: str = "") -> None:
        """Page numbers (« Page 3 / 42 ») in the footer and `texte_entete` (and an `alerte`: document
        de travail, simulated data) in the header of every page but the cover. A model's own non
        empty header and footer are kept."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        section = self.doc.sections[-1]
        section.different_first_page_header_footer = True
        pied = section.footer
        if self.modele is None or not any(p.text.strip() for p in pied.paragraphs):
            p = pied.paragraphs[0] if pied.paragraphs else pied.add_paragraph()
            p.style = self.style("Footer") if self.a_style("Footer") else None
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run("Page ")
            champ(p, " PAGE ", "1")
            p.add_run(" / ")
            champ(p, " NUMPAGES ", "1")
        entete = section.header
        if (self.modele is None or not any(p.text.strip() for p in entete.paragraphs)) and (texte_entete or alerte):
            p = entete.paragraphs[0] if entete.paragraphs else entete.add_paragraph()
            p.style = self.style("Header") if self.a_style("Header") else None
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if alerte:
                r = p.add_run(alerte.upper())
                r.bold = True
                from docx.shared import RGBColor

                r.font.color.rgb = RGBColor.from_string(COULEUR_ALERTE)
                if texte_entete:
                    p.add_run(" — ")
            if texte_entete:
                p.add_run(texte_entete)

    # --- Saving ---------------------------------------------------------------------------

    def proprietes(self, titre: str, auteur: str, sujet: str = "") -> None:
        import datetime as dt

        from diagnostic_territorial.ecriture import date_generation

        jour = date_generation()
        instant = dt.datetime(jour.year, jour.month, jour.day)
        p = self.doc.core_properties
        p.title, p.author, p.subject = titre, auteur or "", sujet
        p.last_modified_by = auteur or ""
        p.language = "fr-FR"
        p.created = p.modified = instant
        p.last_printed = instant
        p.revision = 1
        p.comments = ""
        p.keywords = "diagnostic social de territoire"

    def octets(self) -> bytes:
        """The .docx: the cached tables of contents filled, Word asked to update the fields on
        opening, every member of the package with the generation date (same inputs, same bytes)."""
        from diagnostic_territorial.ecriture import date_generation

        self._remplir_tables()
        _mettre_a_jour_a_l_ouverture(self.doc)
        tampon = io.BytesIO()
        self.doc.save(tampon)
        jour = date_generation()
        horodatage = (max(jour.year, 1980), jour.month, jour.day, 0, 0, 0)
        sortie = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(tampon.getvalue())) as source, \
                zipfile.ZipFile(sortie, "w", zipfile.ZIP_DEFLATED) as cible:
            for info in source.infolist():
                membre = zipfile.ZipInfo(info.filename, date_time=horodatage)
                membre.compress_type = zipfile.ZIP_DEFLATED
                membre.external_attr = 0o644 << 16
                cible.writestr(membre, source.read(info.filename))
        return sortie.getvalue()

    def ecrire(self, sortie: Path) -> Path:
        from diagnostic_territorial.ecriture import ecrire_octets

        ecrire_octets(Path(sortie), self.octets())
        return Path(sortie)


# --- Low-level XML helpers ------------------------------------------------------------------


def _styler(paragraphe, style) -> None:
    """``paragraphe.style = style`` without python-docx's look-up of the default style, which reads
    every style of the document at each call (12 of the 15 s of the demo's rapport.docx, measured)."""
    paragraphe._p.style = style.style_id if style is not None else None


def _numpr(num_id: int, niveau: int = 0):
    numpr = _element("w:numPr")
    numpr.append(_element("w:ilvl", val=niveau))
    numpr.append(_element("w:numId", val=num_id))
    return numpr


# Order of the children of w:pPr (the schema's sequence): a new child goes before the first one
# that must follow it.
_ORDRE_PPR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
              "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
              "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
              "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
              "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange")


def _inserer_ppr(ppr, enfant) -> None:
    """Insert `enfant` into `ppr` at its place in the schema's order (replacing one of the same tag)."""
    nom = enfant.tag.split("}")[1]
    existant = ppr.find(_qn(f"w:{nom}"))
    if existant is not None:
        ppr.replace(existant, enfant)
        return
    rang = _ORDRE_PPR.index(nom)
    for suivant in ppr:
        local = suivant.tag.split("}")[1]
        if local in _ORDRE_PPR and _ORDRE_PPR.index(local) > rang:
            suivant.addprevious(enfant)
            return
    ppr.append(enfant)


def _bordure_et_fond(ppr, fond: str | None, bordure: tuple[str, str] | None) -> None:
    if bordure:
        cote, couleur = bordure
        pbdr = _element("w:pBdr")
        cotes = ("top", "left", "bottom", "right") if cote == "box" else (cote,)
        for c in cotes:
            pbdr.append(_element(f"w:{c}", val="single", sz=18 if cote == "left" else 8, space=6 if c == "left" else 2,
                                 color=couleur))
        _inserer_ppr(ppr, pbdr)
    if fond:
        _inserer_ppr(ppr, _element("w:shd", val="clear", color="auto", fill=fond))


def _bordures_table(style_element) -> None:
    """Thin grey borders between all cells of the table style, small cell margins."""
    tblpr = style_element.find(_qn("w:tblPr"))
    if tblpr is None:
        tblpr = _element("w:tblPr")
        rpr_ou_suivant = style_element.find(_qn("w:trPr"))
        if rpr_ou_suivant is not None:
            rpr_ou_suivant.addprevious(tblpr)
        else:
            style_element.append(tblpr)
    bordures = _element("w:tblBorders")
    for c in ("top", "left", "bottom", "right", "insideH", "insideV"):
        bordures.append(_element(f"w:{c}", val="single", sz=4, space=0, color="A6B0BC"))
    tblpr.append(bordures)
    marges = _element("w:tblCellMar")
    for c, v in (("top", 28), ("left", 85), ("bottom", 28), ("right", 85)):
        marges.append(_element(f"w:{c}", w=v, type="dxa"))
    tblpr.append(marges)


def _fond_cellule(cellule, couleur: str) -> None:
    tcpr = cellule._tc.get_or_add_tcPr()
    tcpr.append(_element("w:shd", val="clear", color="auto", fill=couleur))


def _colonne_de_nombres(lignes: list[list[str]], j: int) -> bool:
    """Every filled cell of column `j` is a number as the tables print them (« 1 877 », « +1,4 pt »,
    « 21 800 € ») or a missing value (« s », « n.d. »)."""
    from diagnostic_territorial.rendu.presentation import lire_nombre

    textes = [l[j] for l in lignes if j < len(l) and isinstance(l[j], str) and l[j].strip()]
    return bool(textes) and all(not isinstance(lire_nombre(t), str) for t in textes)


# Printed width of a character of the tables (8.5 pt) and of a cell's margins, in mm.
MM_PAR_CARACTERE = 1.75
MM_MARGES_CELLULE = 3.5
MM_COLONNE_MIN = 9.0


def _largeurs(colonnes: list[str], lignes: list[list], n: int, total_mm: float) -> list[float]:
    """Column widths (mm): each column's natural width (its longest cell, its header's longest word,
    which never breaks), widened or narrowed in proportion to fill `total_mm`; a header's longest
    word keeps its width when the table is narrowed."""
    def longueur(v) -> int:
        if isinstance(v, list):
            return max([longueur(x) for x in v] or [1])
        if isinstance(v, Puce):
            return longueur(v.contenu) + 2
        if isinstance(v, Morceau):
            return len(v.texte)
        return len(str(v))

    minimales, naturelles = [], []
    for j in range(n):
        entete = str(colonnes[j] if j < len(colonnes) else "")
        mot = max((len(m) for m in entete.split()), default=1)
        minimale = max(MM_COLONNE_MIN, mot * MM_PAR_CARACTERE * 1.1 + MM_MARGES_CELLULE)
        cellules = max([longueur(l[j]) for l in lignes if j < len(l)] + [len(entete) / 2, 1])
        minimales.append(minimale)
        naturelles.append(max(minimale, min(cellules, 60) * MM_PAR_CARACTERE + MM_MARGES_CELLULE))
    somme = sum(naturelles)
    if somme <= total_mm:
        return [total_mm * x / somme for x in naturelles]
    # narrower: what exceeds the minimum width is shared out
    marge = total_mm - sum(minimales)
    if marge <= 0:
        return [total_mm * x / sum(minimales) for x in minimales]
    excedents = [x - m for x, m in zip(naturelles, minimales)]
    return [m + marge * e / (sum(excedents) or 1) for m, e in zip(minimales, excedents)]


def champ(paragraphe, instruction: str, resultat: str) -> None:
    """A complex field (``w:fldChar`` begin / instruction / separate / cached result / end)."""
    _debut_champ(paragraphe, instruction)
    paragraphe.add_run(resultat)
    _fin_champ(paragraphe)


def _debut_champ(paragraphe, instruction: str) -> None:
    r = paragraphe.add_run()._r
    r.append(_element("w:fldChar", fldCharType="begin", dirty="true"))
    r = paragraphe.add_run()._r
    texte = _element("w:instrText")
    texte.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    texte.text = instruction
    r.append(texte)
    r = paragraphe.add_run()._r
    r.append(_element("w:fldChar", fldCharType="separate"))


def _fin_champ(paragraphe) -> None:
    paragraphe.add_run()._r.append(_element("w:fldChar", fldCharType="end"))


# Children of w:settings that come after w:updateFields (the schema's sequence).
_APRES_UPDATEFIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids", "mathPr",
                       "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                       "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown", "smartTagType",
                       "schemaLibrary", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")


def _mettre_a_jour_a_l_ouverture(document) -> None:
    """``w:updateFields``: Word updates the table of contents, the lists and the captions' numbers
    when it opens the document (it asks first)."""
    reglages = document.settings.element
    if reglages.find(_qn("w:updateFields")) is not None:
        return
    element = _element("w:updateFields", val="true")
    for enfant in reglages:
        if enfant.tag.split("}")[1] in _APRES_UPDATEFIELDS:
            enfant.addprevious(element)
            return
    reglages.append(element)


# --------------------------------------------------------------------------------------------
# Runs: text with emphasis
# --------------------------------------------------------------------------------------------


@dataclass
class Morceau:
    """A piece of text and its emphasis (a run)."""

    texte: str
    gras: bool = False
    italique: bool = False
    code: bool = False
    saut: bool = False  # a line break (<br>)


@dataclass
class Puce:
    """A bulleted paragraph in a table cell."""

    contenu: object


def ajouter_runs(paragraphe, morceaux: list[Morceau]) -> None:
    from docx.enum.text import WD_BREAK

    for m in _fusionner(morceaux):
        if m.saut:
            paragraphe.add_run().add_break(WD_BREAK.LINE)
            continue
        run = paragraphe.add_run(m.texte)
        if m.gras:
            run.bold = True
        if m.italique:
            run.italic = True
        if m.code:
            run.font.name = "Consolas"


def _fusionner(morceaux: list[Morceau]) -> list[Morceau]:
    """Adjacent pieces of the same emphasis as one run, spaces collapsed, trimmed at both ends."""
    sortie: list[Morceau] = []
    for m in morceaux:
        if not m.saut:
            texte = re.sub(r"[ \t\r\n\f]+", " ", m.texte)
            if not texte:
                continue
            if sortie and not sortie[-1].saut and (sortie[-1].gras, sortie[-1].italique, sortie[-1].code) == (
                    m.gras, m.italique, m.code):
                sortie[-1] = Morceau(sortie[-1].texte + texte, m.gras, m.italique, m.code)
                continue
            if sortie and not sortie[-1].saut and sortie[-1].texte.endswith(" ") and texte.startswith(" "):
                texte = texte.lstrip(" ")
            sortie.append(Morceau(texte, m.gras, m.italique, m.code))
        else:
            sortie.append(m)
    while sortie and not sortie[0].saut and not sortie[0].texte.strip():
        sortie.pop(0)
    if sortie and not sortie[0].saut:
        sortie[0] = Morceau(sortie[0].texte.lstrip(), sortie[0].gras, sortie[0].italique, sortie[0].code)
    while sortie and (sortie[-1].saut or not sortie[-1].texte.strip()):
        sortie.pop()
    if sortie:
        sortie[-1] = Morceau(sortie[-1].texte.rstrip(), sortie[-1].gras, sortie[-1].italique, sortie[-1].code)
    return sortie


def texte_de(morceaux: list[Morceau]) -> str:
    return "".join("\n" if m.saut else m.texte for m in _fusionner(morceaux))


# --------------------------------------------------------------------------------------------
# HTML fragments of the notebooks' outputs -> Word (paragraphs, lists, tables)
# --------------------------------------------------------------------------------------------

# Elements whose content is never shown (scripts, styles, maps' iframes, images of an output that
# carries no chart: the output's data is used instead).
_IGNORES = frozenset({"script", "style", "iframe", "template", "head", "title", "svg", "noscript", "button"})
_VIDES = frozenset({"br", "img", "hr", "input", "meta", "link", "col", "wbr", "source"})
_INLINE = frozenset({"a", "abbr", "b", "strong", "i", "em", "span", "code", "kbd", "samp", "small", "sub", "sup",
                     "u", "mark", "q", "cite", "time", "data", "var", "del", "ins", "s", "br", "label", "bdi", "dfn"})


@dataclass
class Noeud:
    tag: str
    classes: tuple[str, ...] = ()
    enfants: list = field(default_factory=list)  # Noeud or str


class _Arbre(HTMLParser):
    """A tolerant tree of an HTML fragment (tags lower-cased, attributes reduced to classes)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.racine = Noeud("racine")
        self.pile = [self.racine]

    def handle_starttag(self, tag, attrs):
        classes = tuple(dict(attrs).get("class", "") .split()) if dict(attrs).get("class") else ()
        noeud = Noeud(tag, classes)
        self.pile[-1].enfants.append(noeud)
        if tag not in _VIDES:
            self.pile.append(noeud)

    def handle_startendtag(self, tag, attrs):
        classes = tuple((dict(attrs).get("class") or "").split())
        self.pile[-1].enfants.append(Noeud(tag, classes))

    def handle_endtag(self, tag):
        for i in range(len(self.pile) - 1, 0, -1):
            if self.pile[i].tag == tag:
                del self.pile[i:]
                return

    def handle_data(self, data):
        self.pile[-1].enfants.append(data)


def arbre_html(fragment: str) -> Noeud:
    analyseur = _Arbre()
    analyseur.feed(fragment)
    analyseur.close()
    return analyseur.racine


def _inline(noeud, gras=False, italique=False, code=False) -> list[Morceau]:
    if isinstance(noeud, str):
        return [Morceau(noeud, gras, italique, code)]
    if noeud.tag in _IGNORES or noeud.tag == "img":
        return []
    if noeud.tag == "br":
        return [Morceau("", saut=True)]
    gras = gras or noeud.tag in ("b", "strong", "th")
    italique = italique or noeud.tag in ("i", "em", "cite", "q")
    code = code or noeud.tag in ("code", "kbd", "samp")
    morceaux = []
    for e in noeud.enfants:
        morceaux += _inline(e, gras, italique, code)
    return morceaux


def _texte_noeud(noeud) -> str:
    return texte_de(_inline(noeud))


@dataclass
class _Contexte:
    style: str = STYLE_CORPS
    titre: str | None = None  # style of a box's title paragraph (p.titre)
    liste: str = STYLE_LISTE


# CSS class of a box -> (style of its paragraphs, style of its title paragraph, style of its items)
_BOITES = {
    "a-retenir": (STYLE_A_RETENIR, STYLE_A_RETENIR_TITRE, STYLE_A_RETENIR),
    "proposition": (STYLE_PROPOSITION, STYLE_INTERTITRE, STYLE_PROPOSITION),
    "donnees-manquantes": (STYLE_NOTE, STYLE_NOTE, STYLE_NOTE),
    "chapitre-non-produit": (STYLE_NOTE, STYLE_NOTE, STYLE_NOTE),
    "exemple-plan": (STYLE_NOTE, STYLE_NOTE, STYLE_NOTE),
}
# CSS class of a paragraph -> its style
_PARAGRAPHES = {
    "source": STYLE_SOURCE,
    "titre-tableau": STYLE_INTERTITRE,
    "note": STYLE_NOTE,
    "titre-proposition": STYLE_INTERTITRE,
    "titre-encadre": None,  # the box's title
    "titre": None,
}


class ConvertisseurHtml:
    """An HTML fragment written by the library (sanitised) as Word paragraphs, lists and tables.

    `niveau_titres`: the Word heading level of ``<h3>`` (the report's h1/h2 are chapters and
    sections, written from the notebooks' Markdown); deeper headings follow, at most level 4."""

    def __init__(self, doc: DocumentWord, niveau_titres: int = 3):
        self.doc = doc
        self.niveau_titres = niveau_titres

    def ecrire(self, fragment: str, conteneur=None, contexte: _Contexte | None = None) -> int:
        """Write `fragment`; returns the number of paragraphs and tables written."""
        return self._blocs(arbre_html(fragment).enfants, conteneur, contexte or _Contexte())

    def _blocs(self, enfants: list, conteneur, ctx: _Contexte) -> int:
        ecrits = 0
        tampon: list[Morceau] = []

        def vider():
            nonlocal ecrits, tampon
            if texte_de(tampon).strip():
                p = self.doc.paragraphe("", ctx.style, conteneur)
                ajouter_runs(p, tampon)
                ecrits += 1
            tampon = []

        for e in enfants:
            if isinstance(e, str) or e.tag in _INLINE:
                tampon += _inline(e)
                continue
            vider()
            ecrits += self._bloc(e, conteneur, ctx)
        vider()
        return ecrits

    def _bloc(self, e: Noeud, conteneur, ctx: _Contexte) -> int:
        tag = e.tag
        if tag in _IGNORES or tag in ("img", "hr"):
            return 0
        if tag in ("div", "section", "article", "header", "footer", "main", "aside", "figure", "nav", "body", "html", "details", "summary", "figcaption", "center", "form", "fieldset"):
            boite = next((_BOITES[c] for c in e.classes if c in _BOITES), None)
            if boite is not None:
                ctx = _Contexte(*boite)
            elif "analyse" in e.classes or "commentaire" in e.classes:
                ctx = _Contexte()
            return self._blocs(e.enfants, conteneur, ctx)
        if tag == "p":
            style = ctx.style
            for c in e.classes:
                if c in _PARAGRAPHES:
                    style = _PARAGRAPHES[c] or ctx.titre or STYLE_INTERTITRE
                    break
            morceaux = _inline(e)
            if not texte_de(morceaux).strip():
                return 0
            p = self.doc.paragraphe("", style, conteneur)
            ajouter_runs(p, morceaux)
            return 1
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            texte = _texte_noeud(e)
            if not texte:
                return 0
            if conteneur is not None:
                self.doc.paragraphe(texte, STYLE_INTERTITRE, conteneur)
                return 1
            niveau = min(max(self.niveau_titres + int(tag[1]) - 3, self.niveau_titres), 4)
            self.doc.titre(texte, niveau)
            return 1
        if tag in ("ul", "ol"):
            items = []
            for li in e.enfants:
                if isinstance(li, Noeud) and li.tag == "li":
                    items.append(_inline(li))
                elif isinstance(li, str) and li.strip():
                    items.append([Morceau(li)])
            items = [i for i in items if texte_de(i).strip()]
            if not items:
                return 0
            if "verbatims" in e.classes and self.doc.a_style(STYLE_CITATION):
                for i in items:
                    ajouter_runs(self.doc.paragraphe("", STYLE_CITATION, conteneur), i)
                return len(items)
            self.doc.liste(items, ctx.liste, conteneur, ordonnee=tag == "ol")
            return len(items)
        if tag == "dl":
            return self._definitions(e, conteneur, ctx)
        if tag == "table":
            return self._table(e, conteneur)
        if tag == "blockquote":
            return self._blocs(e.enfants, conteneur, _Contexte(STYLE_CITATION if self.doc.a_style(STYLE_CITATION)
                                                                 else ctx.style))
        if tag == "pre":
            texte = _texte_noeud(e)
            if texte:
                p = self.doc.paragraphe("", ctx.style, conteneur)
                ajouter_runs(p, [Morceau(texte, code=True)])
                return 1
            return 0
        # anything else (li outside a list, dt, td...): its content
        return self._blocs(e.enfants, conteneur, ctx)

    def _definitions(self, e: Noeud, conteneur, ctx: _Contexte) -> int:
        ecrits = 0
        for enfant in e.enfants:
            if not isinstance(enfant, Noeud):
                continue
            if enfant.tag == "dt":
                texte = _texte_noeud(enfant)
                if texte:
                    self.doc.paragraphe(texte, STYLE_INTERTITRE, conteneur)
                    ecrits += 1
            elif enfant.tag == "dd":
                ecrits += self._blocs(enfant.enfants, conteneur, ctx)
            elif enfant.tag == "div":
                ecrits += self._definitions(enfant, conteneur, ctx)
        return ecrits

    def _table(self, e: Noeud, conteneur) -> int:
        entetes: list = []
        lignes: list[list] = []

        def rangs(n: Noeud, dans_entete: bool):
            for enfant in n.enfants:
                if not isinstance(enfant, Noeud):
                    continue
                if enfant.tag in ("thead", "tbody", "tfoot"):
                    rangs(enfant, enfant.tag == "thead")
                elif enfant.tag == "tr":
                    cellules = [c for c in enfant.enfants if isinstance(c, Noeud) and c.tag in ("td", "th")]
                    contenu = [self._contenu_cellule(c) for c in cellules]
                    if dans_entete or (not entetes and not lignes and cellules and all(c.tag == "th" for c in cellules)):
                        entetes.append([texte_de(x[0]) if len(x) == 1 and isinstance(x[0], list) else
                                        " ".join(texte_de(y if isinstance(y, list) else y.contenu) for y in x)
                                        for x in contenu])
                    else:
                        lignes.append(contenu)

        rangs(e, False)
        if not entetes and not lignes:
            return 0
        colonnes = entetes[0] if entetes else []
        n = max([len(colonnes)] + [len(l) for l in lignes])
        numeriques = []
        from diagnostic_territorial.rendu.presentation import lire_nombre

        for j in range(n):
            valeurs = [l[j] for l in lignes if j < len(l)]
            textes = [texte_de(v[0]) for v in valeurs if len(v) == 1 and isinstance(v[0], list)]
            remplis = [t for t in textes if t.strip()]
            numeriques.append(bool(remplis) and len(textes) == len(valeurs)
                              and all(lire_nombre(t) is None or not isinstance(lire_nombre(t), str) for t in remplis))
        self.doc.table(colonnes, lignes, numeriques, conteneur, entete=bool(entetes))
        return 1

    def _contenu_cellule(self, cellule: Noeud) -> list:
        """A cell's paragraphs: lists of runs, and Puce for the items of a list."""
        paragraphes: list = []
        tampon: list[Morceau] = []
        for e in cellule.enfants:
            if isinstance(e, Noeud) and e.tag in ("ul", "ol"):
                if texte_de(tampon).strip():
                    paragraphes.append(tampon)
                tampon = []
                for li in e.enfants:
                    if isinstance(li, Noeud) and li.tag == "li" and _texte_noeud(li):
                        paragraphes.append(Puce(_inline(li)))
            elif isinstance(e, Noeud) and e.tag in ("p", "div"):
                if texte_de(tampon).strip():
                    paragraphes.append(tampon)
                tampon = []
                if _texte_noeud(e):
                    paragraphes.append(_inline(e))
            else:
                tampon += _inline(e)
        if texte_de(tampon).strip() or not paragraphes:
            paragraphes.append(tampon)
        return paragraphes


# --------------------------------------------------------------------------------------------
# Markdown cells -> Word
# --------------------------------------------------------------------------------------------


def _markdown_ast(texte: str) -> list:
    import mistune

    return mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])(texte)


def _morceaux_md(jetons: list, gras=False, italique=False, code=False) -> list[Morceau]:
    morceaux: list[Morceau] = []
    for j in jetons or []:
        t = j.get("type")
        if t == "text":
            morceaux.append(Morceau(j.get("raw", ""), gras, italique, code))
        elif t == "codespan":
            morceaux.append(Morceau(j.get("raw", ""), gras, italique, True))
        elif t == "strong":
            morceaux += _morceaux_md(j.get("children"), True, italique, code)
        elif t == "emphasis":
            morceaux += _morceaux_md(j.get("children"), gras, True, code)
        elif t in ("linebreak",):
            morceaux.append(Morceau("", saut=True))
        elif t == "softbreak":
            morceaux.append(Morceau(" ", gras, italique, code))
        elif t == "inline_html":
            if re.match(r"<br\s*/?>", j.get("raw", ""), re.IGNORECASE):
                morceaux.append(Morceau("", saut=True))
        elif t == "image":
            continue
        else:  # link, strikethrough...: their text
            morceaux += _morceaux_md(j.get("children"), gras, italique, code)
    return morceaux


class ConvertisseurMarkdown:
    """The Markdown of a notebook's cell (headings already split off by the caller) in Word."""

    def __init__(self, doc: DocumentWord, html_: ConvertisseurHtml):
        self.doc = doc
        self.html = html_

    def ecrire(self, texte: str) -> None:
        self._blocs(_markdown_ast(texte))

    def _blocs(self, jetons: list, style: str = STYLE_CORPS) -> None:
        for j in jetons:
            t = j.get("type")
            if t in ("paragraph", "block_text"):
                morceaux = _morceaux_md(j.get("children"))
                if texte_de(morceaux).strip():
                    ajouter_runs(self.doc.paragraphe("", style), morceaux)
            elif t == "heading":
                niveau = int(j.get("attrs", {}).get("level", 3))
                self.doc.titre(texte_de(_morceaux_md(j.get("children"))), min(max(niveau, 3), 4))
            elif t == "list":
                items = []
                for item in j.get("children") or []:
                    morceaux = []
                    for bloc in item.get("children") or []:
                        if bloc.get("type") in ("paragraph", "block_text"):
                            if morceaux:
                                morceaux.append(Morceau("", saut=True))
                            morceaux += _morceaux_md(bloc.get("children"))
                    items.append(morceaux)
                items = [i for i in items if texte_de(i).strip()]
                if items:
                    self.doc.liste(items, STYLE_LISTE, ordonnee=bool(j.get("attrs", {}).get("ordered")))
            elif t == "block_quote":
                self._blocs(j.get("children") or [], STYLE_CITATION if self.doc.a_style(STYLE_CITATION) else style)
            elif t == "block_code":
                ajouter_runs(self.doc.paragraphe("", style), [Morceau(j.get("raw", "").rstrip(), code=True)])
            elif t == "block_html":
                self.html.ecrire(j.get("raw", ""))
            elif t == "table":
                self._table(j)

    def _table(self, jeton: dict) -> None:
        entetes, lignes = [], []
        for partie in jeton.get("children") or []:
            if partie.get("type") == "table_head":
                entetes = [texte_de(_morceaux_md(c.get("children"))) for c in partie.get("children") or []]
            elif partie.get("type") == "table_body":
                for rang in partie.get("children") or []:
                    lignes.append([[_morceaux_md(c.get("children"))] for c in rang.get("children") or []])
        aligns = [(c.get("attrs") or {}).get("align") for p in jeton.get("children") or []
                  if p.get("type") == "table_head" for c in p.get("children") or []]
        self.doc.table(entetes, lignes, [a == "right" for a in aligns])


# --------------------------------------------------------------------------------------------
# rapport.docx
# --------------------------------------------------------------------------------------------


TITRE_RAPPORT = "Rapport de diagnostic"


def _meta(etude) -> dict:
    from diagnostic_territorial.livrables.commun import _meta as meta_livrables

    return meta_livrables(etude)


def _etat(etude):
    """« Document de travail » of the synthèse and the plan d'action, decided as for the report
    (livrables.commun.etat_livrable, from rapport.etat_document)."""
    from diagnostic_territorial.livrables.commun import etat_livrable

    return etat_livrable(etude)


def couverture(doc: DocumentWord, m: dict, titre_document: str, etat=None) -> None:
    """The cover: simulated-data banner, « Document de travail » and why, the territory, the
    document's title, the study's frame (CTG, ABS), who made it and when; then a page break."""
    from docx.shared import Pt

    from diagnostic_territorial.livrables.rapport import TITRE_DOCUMENT_DE_TRAVAIL

    if m.get("simule"):
        doc.paragraphe(m.get("bandeau_simule", ""), STYLE_BANDEAU)
        doc.paragraphe(m.get("texte_simule", ""), STYLE_NOTE)
    if etat is not None and etat.travail:
        doc.paragraphe(TITRE_DOCUMENT_DE_TRAVAIL.upper(), STYLE_BANDEAU)
        doc.paragraphe(etat.texte, STYLE_NOTE)
    espace = doc.paragraphe("", None)
    espace.paragraph_format.space_before = Pt(90)
    communes = int(m.get("communes") or 0)
    perimetre = " · ".join(x for x in (f"{communes} commune{'s' if communes > 1 else ''}" if communes else "",
                                        str(m.get("departement") or "")) if x)
    if perimetre:
        doc.paragraphe(perimetre, STYLE_COUVERTURE)
    doc.paragraphe(str(m.get("nom_territoire") or ""), "Title")
    doc.paragraphe(titre_document, "Subtitle")
    if m.get("sous_titre") and m.get("sous_titre") != titre_document:
        doc.paragraphe(str(m["sous_titre"]), STYLE_COUVERTURE)
    espace = doc.paragraphe("", None)
    espace.paragraph_format.space_before = Pt(150)
    if m.get("consultant"):
        p = doc.paragraphe("", STYLE_COUVERTURE)
        ajouter_runs(p, [Morceau("Réalisé par : ", gras=True), Morceau(str(m["consultant"]))])
    p = doc.paragraphe("", STYLE_COUVERTURE)
    ajouter_runs(p, [Morceau("Date : ", gras=True), Morceau(str(m.get("date_texte") or ""))])
    doc.saut_de_page()


def _entete(m: dict, titre_document: str, etat=None) -> tuple[str, str]:
    from diagnostic_territorial.livrables.rapport import TITRE_DOCUMENT_DE_TRAVAIL

    alertes = []
    if etat is not None and etat.travail:
        alertes.append(TITRE_DOCUMENT_DE_TRAVAIL)
    if m.get("simule"):
        alertes.append(str(m.get("bandeau_simule") or ""))
    return f"{m.get('nom_territoire', '')} — {titre_document}", " · ".join(a for a in alertes if a)


def sommaire(doc: DocumentWord, figures: bool = True) -> None:
    """The table of contents field, then the lists of figures and of tables, on their own pages."""
    doc.paragraphe("Sommaire", "TOC Heading" if doc.a_style("TOC Heading") else STYLE_INTERTITRE)
    doc.table_des_matieres(' TOC \\o "1-3" \\h \\z \\u ',
                           "Table des matières : clic droit, « Mettre à jour les champs ».",
                           lambda: [t for t in doc.titres if t.niveau <= 3])
    if figures:
        doc.saut_de_page()
        for genre, titre in ((GENRE_FIGURE, "Liste des figures"), (GENRE_TABLEAU, "Liste des tableaux")):
            doc.paragraphe(titre, "TOC Heading" if doc.a_style("TOC Heading") else STYLE_INTERTITRE)
            doc.table_des_matieres(f' TOC \\h \\z \\c "{genre}" ', "Aucune entrée.",
                                   lambda genre=genre: [Entree(0, f"{genre} {i}\u00a0: {t}")
                                                        for i, t in enumerate(doc.legendes[genre], start=1)])
    doc.saut_de_page()


def _texte_titre(texte_markdown: str) -> str:
    from diagnostic_territorial.livrables.rapport import _titre

    return html.unescape(_titre("", "", texte_markdown).titre_texte).strip()


def _mime(sortie, mime: str) -> str:
    v = (sortie.get("data") or {}).get(mime)
    if v is None:
        return ""
    return "".join(v) if isinstance(v, list) else str(v)


class _Chapitres:
    """Writes the chapters of the report into a DocumentWord."""

    def __init__(self, doc: DocumentWord):
        self.doc = doc
        self.html = ConvertisseurHtml(doc)
        self.markdown = ConvertisseurMarkdown(doc, self.html)
        self.titre_tableau: str | None = None  # « Les communes du territoire », before a table

    def _titre_en_attente(self) -> str | None:
        """The table title shown just before (p.titre-tableau), written as a heading of its own
        unless the next output is a table that takes it as its caption."""
        titre, self.titre_tableau = self.titre_tableau, None
        return titre

    def _vider_titre(self) -> None:
        titre = self._titre_en_attente()
        if titre:
            self.doc.paragraphe(titre, STYLE_INTERTITRE)

    def _legende_tableau(self, tableau_: dict) -> str:
        """A table's caption: its recorded title; when it recorded none (its first column's
        header), the title shown just before it, else its section's."""
        titre = str(tableau_.get("titre") or "").strip()
        colonnes = [str(c) for c in tableau_.get("colonnes") or []]
        attente = self._titre_en_attente()
        if titre and not (colonnes and titre == colonnes[0]):
            if attente:
                self.doc.paragraphe(attente, STYLE_INTERTITRE)
            return titre
        return attente or self.doc.section or titre

    def chapitre(self, chapitre) -> None:
        from diagnostic_territorial.livrables.rapport import (TEXTE_NON_PRODUIT, TITRE_NON_PRODUIT, _premier_titre,
                                                              etat_reel)

        statut, _erreur, nb = etat_reel(chapitre)
        if statut != "ok" or nb is None:
            titre = (_premier_titre(nb) if nb is not None else None) or chapitre.titre
            self.doc.titre(_texte_titre(titre), 1, nouvelle_page=True)
            self.doc.paragraphe(TITRE_NON_PRODUIT, STYLE_NOTE, gras=True)
            self.doc.paragraphe(TEXTE_NON_PRODUIT, STYLE_NOTE)
            return
        self._produit(chapitre, nb)

    def _produit(self, chapitre, nb) -> None:
        from diagnostic_territorial.livrables.rapport import (TAGS_RETIRES, _decouper_markdown,
                                                              _sections_facultatives_vides, _sorties_lisibles)

        titre_ecrit = False
        vides = _sections_facultatives_vides(nb.cells)
        en_attente: list = []  # content before the chapter's « # » heading

        def ouvrir():
            nonlocal titre_ecrit
            if not titre_ecrit:
                self.doc.titre(_texte_titre(chapitre.titre), 1, nouvelle_page=True)
                titre_ecrit = True

        for position, cellule in enumerate(nb.cells):
            if TAGS_RETIRES.intersection(cellule.get("metadata", {}).get("tags", [])) or position in vides:
                continue
            if cellule.cell_type == "markdown":
                self._vider_titre()
                for morceau in _decouper_markdown(cellule.source):
                    if isinstance(morceau, tuple):
                        niveau, texte = morceau
                        if niveau == 1 and not titre_ecrit:
                            self.doc.titre(_texte_titre(texte), 1, nouvelle_page=True)
                            titre_ecrit = True
                            for attente in en_attente:
                                attente()
                            en_attente = []
                            continue
                        ouvrir()
                        self.doc.titre(_texte_titre(texte), 2 if niveau <= 2 else min(niveau, 4))
                    elif titre_ecrit:
                        self.markdown.ecrire(morceau)
                    else:
                        en_attente.append(lambda m=morceau: self.markdown.ecrire(m))
            elif cellule.cell_type == "code":
                for sortie in _sorties_lisibles(cellule.get("outputs", [])):
                    if titre_ecrit:
                        self.sortie(sortie, chapitre)
                    else:
                        en_attente.append(lambda s=sortie: self.sortie(s, chapitre))
        ouvrir()
        for attente in en_attente:
            attente()
        self._vider_titre()

    def sortie(self, sortie, chapitre) -> None:
        """One output: its table, chart or map from the data it recorded; else its text."""
        from diagnostic_territorial.rendu import presentation

        tableau_ = presentation.tableau_d_une_sortie(sortie)
        contenu = _mime(sortie, "text/html")
        if tableau_ is not None:
            legende = self._legende_tableau(tableau_)
            for note in _notes(contenu):  # why a map is replaced by its values (cartes.trop_masquee)
                self.doc.paragraphe(note, STYLE_NOTE)
            self.doc.tableau(tableau_, legende=legende)
            return
        titre_seul = _titre_tableau_seul(contenu) if contenu else None
        if titre_seul:
            self._vider_titre()
            self.titre_tableau = titre_seul
            return
        self._vider_titre()
        figure_ = presentation.figure_d_une_sortie(sortie)
        if figure_ is not None:
            self.doc.figure(GENRE_FIGURE, *figure_)
            return
        carte_ = presentation.carte_d_une_sortie(sortie)
        if carte_ is not None:
            self.doc.figure(GENRE_FIGURE, *carte_, hauteur_max_mm=HAUTEUR_CARTE_MM)
            return
        if sortie.get("output_type") == "stream":
            texte = sortie.get("text", "")
            texte = "".join(texte) if isinstance(texte, list) else texte
            for ligne in texte.strip().splitlines():
                if ligne.strip():
                    self.doc.paragraphe(ligne.strip(), STYLE_CORPS)
            return
        if contenu:
            if self.html.ecrire(contenu):
                return
            texte = presentation.texte_d_une_sortie(sortie)
            if texte:
                self.doc.paragraphe(texte, STYLE_CORPS)
            return
        if _mime(sortie, "text/markdown"):
            self.markdown.ecrire(_mime(sortie, "text/markdown"))
            return
        png = _mime(sortie, "image/png")
        if png:  # a chart a consultant's notebook displayed itself: no recorded title or alt text
            titre = f"Graphique du chapitre « {chapitre.titre} »"
            self.doc.legende(GENRE_FIGURE, "")
            self.doc.image(base64.b64decode(png), titre)
            return
        texte = _mime(sortie, "text/plain")
        if texte.strip() and sortie.get("output_type") in ("execute_result", "display_data"):
            self.doc.paragraphe(texte.strip(), STYLE_CORPS)


def _notes(fragment: str) -> list[str]:
    """The texts of the ``<p class="note">`` at the top of an output's HTML fragment."""
    if not fragment or "note" not in fragment:
        return []
    return [t for t in (_texte_noeud(e) for e in arbre_html(fragment).enfants
                        if isinstance(e, Noeud) and e.tag == "p" and "note" in e.classes) if t]


def _titre_tableau_seul(fragment: str) -> str | None:
    """The text of an output that is only a table's title (``<p class="titre-tableau">``)."""
    if "titre-tableau" not in fragment:
        return None
    noeuds = [e for e in arbre_html(fragment).enfants if not (isinstance(e, str) and not e.strip())]
    if len(noeuds) == 1 and isinstance(noeuds[0], Noeud) and noeuds[0].tag == "p" and "titre-tableau" in noeuds[0].classes:
        return _texte_noeud(noeuds[0]) or None
    return None


def rapport_docx(etude, sortie: Path | None = None) -> Path:
    """livrables/rapport.docx: cover, contents, the executed chapters, the annexes."""
    from diagnostic_territorial.execution.notebooks import etats_chapitres
    from diagnostic_territorial.livrables.annexes import annexes_rapport
    from diagnostic_territorial.livrables.rapport import etat_document

    chapitres = etats_chapitres(etude)
    etat = etat_document(etude)
    m = _meta(etude)
    doc = DocumentWord(modele_de(etude), numeroter=True)
    titre_document = m["sous_titre"]
    doc.proprietes(f"{m['nom_territoire']} — {titre_document}", m.get("consultant", ""), titre_document)
    couverture(doc, m, TITRE_RAPPORT, etat)
    doc.pied_de_page(*_entete(m, TITRE_RAPPORT, etat))
    sommaire(doc)
    ecrivain = _Chapitres(doc)
    for chapitre in sorted(chapitres, key=lambda c: c.numero):
        ecrivain.chapitre(chapitre)
    annexes, _avertissements = annexes_rapport(etude, [c.chemin for c in chapitres if c.chemin is not None])
    for annexe in annexes:
        doc.titre(f"Annexe {annexe.lettre}. {annexe.titre}", 1, style=STYLE_ANNEXE, nouvelle_page=True)
        plan = _plan_ou_none(etude) if annexe.cle == "plan-action" else None
        if plan is not None:
            fiches_action(doc, *plan, niveau=3)
        else:
            ecrivain.html.ecrire(annexe.html)
    sortie = Path(sortie) if sortie else Path(etude.dossier_livrables) / "rapport.docx"
    return doc.ecrire(sortie)


def _plan_ou_none(etude):
    from diagnostic_territorial.livrables.plan_action import PlanActionInvalide, charger, est_exemple

    chemin = Path(etude.racine) / "plan_action.yaml"
    try:
        return charger(chemin), est_exemple(chemin)
    except PlanActionInvalide:
        return None


# --------------------------------------------------------------------------------------------
# Plan d'action
# --------------------------------------------------------------------------------------------


def fiches_action(doc: DocumentWord, plan, exemple: bool, niveau: int = 2) -> None:
    """The fiches actions (the same fields as plan-action.html): a heading and a two-column table
    (field, value) per fiche."""
    from diagnostic_territorial.livrables.plan_action import LIBELLES

    if exemple:
        doc.paragraphe("Exemple", STYLE_NOTE, gras=True)
        doc.paragraphe("Fiches d'illustration, à remplacer par les actions retenues avec les partenaires du "
                       "diagnostic.", STYLE_NOTE)
    if plan.introduction:
        doc.paragraphe(plan.introduction, STYLE_CORPS)
    n = len(plan.fiches)
    doc.paragraphe(f"{n} fiche{'s' if n > 1 else ''} action{'s' if n > 1 else ''}.", STYLE_CORPS)
    for f in plan.fiches:
        doc.titre(f"{'Exemple de fiche' if exemple else 'Fiche'} {f.numero} — {f.titre}", niveau)
        lignes = [[LIBELLES["objectif"], f.objectif]]
        if f.description:
            lignes.append([LIBELLES["description"], f.description])
        lignes += [[LIBELLES["public"], f.public], [LIBELLES["porteur"], f.porteur]]
        if f.partenaires:
            lignes.append([LIBELLES["partenaires"], ", ".join(f.partenaires)])
        lignes.append([LIBELLES["calendrier"], f.calendrier])
        if f.priorite:
            lignes.append([LIBELLES["priorite"], f.priorite.capitalize()])
        if f.budget:
            lignes.append([LIBELLES["budget"], f.budget])
        lignes.append([LIBELLES["indicateurs_de_suivi"], [Puce(i) for i in f.indicateurs_de_suivi]])
        constats = []
        for c in f.constats_lies:
            morceaux = []
            if c.chapitre_titre:
                morceaux.append(Morceau(f"Chapitre {c.chapitre_numero}, {c.chapitre_titre}", italique=True))
                if c.texte:
                    morceaux.append(Morceau(" : "))
            morceaux.append(Morceau(c.texte))
            constats.append(Puce(morceaux))
        lignes.append([LIBELLES["constats_lies"], constats])
        lignes = [[[[Morceau(str(champ_), gras=True)]], valeur if isinstance(valeur, list) else [[Morceau(str(valeur))]]]
                  for champ_, valeur in lignes]
        largeur = doc.largeur_texte_mm
        doc.table([], lignes, [False, False], entete=False, largeurs=[largeur * 0.27, largeur * 0.73])
        doc.paragraphe("", None)


def plan_action_docx(etude) -> Path:
    """livrables/plan-action.docx from plan_action.yaml; raises PlanActionInvalide (French, lines)."""
    from diagnostic_territorial.livrables.plan_action import charger, est_exemple

    chemin = Path(etude.racine) / "plan_action.yaml"
    plan = charger(chemin)
    exemple = est_exemple(chemin)
    m = _meta(etude)
    etat = _etat(etude)
    titre = plan.titre + (" (exemple)" if exemple else "")
    doc = DocumentWord(modele_de(etude))
    doc.proprietes(f"{m['nom_territoire']} — {titre}", m.get("consultant", ""), m["sous_titre"])
    couverture(doc, m, titre, etat)
    doc.pied_de_page(*_entete(m, titre, etat))
    doc.titre(titre, 1)
    fiches_action(doc, plan, exemple, niveau=2)
    return doc.ecrire(Path(etude.dossier_livrables) / "plan-action.docx")


# --------------------------------------------------------------------------------------------
# synthese.docx
# --------------------------------------------------------------------------------------------


def synthese_docx(etude, ic=None) -> Path:
    """livrables/synthese.docx: the same content as synthese.html (key figures, forces and
    fragilités by public, proposed enjeux with their chart, method, « À retenir » of each chapter)."""
    from diagnostic_territorial.chapitres import enjeux
    from diagnostic_territorial.livrables.chiffres_cles import _lignes_tableau, indicateurs_cles
    from diagnostic_territorial.livrables.synthese import _a_retenir

    ic = ic or indicateurs_cles(etude)
    chapitres, sans, echecs = _a_retenir(etude)
    colonnes = [ic.ligne("territoire")] + ic.lignes_references()
    s = enjeux.analyser(etude)
    m = _meta(etude)
    etat = _etat(etude)
    titre_document = "Synthèse du diagnostic"
    doc = DocumentWord(modele_de(etude))
    doc.proprietes(f"{m['nom_territoire']} — {titre_document}", m.get("consultant", ""), m["sous_titre"])
    couverture(doc, m, titre_document, etat)
    doc.pied_de_page(*_entete(m, titre_document, etat))
    html_ = ConvertisseurHtml(doc)

    # Key figures
    doc.titre("Chiffres clés", 1)
    entetes = ["Indicateur"] + [str(c["libelle"]) for c in colonnes]
    lignes = [[l["libelle"], *l["valeurs"]] for l in _lignes_tableau(ic, colonnes)]
    doc.legende(GENRE_TABLEAU, "Chiffres clés du territoire et de ses références")
    doc.table(entetes, lignes, [False] + [True] * len(colonnes))
    doc.source(f"Source{'s' if len(ic.sources) > 1 else ''} : {' ; '.join(ic.sources)}. France métropolitaine pour "
               "Filosofi. s : secret statistique ; n.d. : non disponible.")

    # Forces and fragilités
    doc.titre("Forces et fragilités", 1, nouvelle_page=True)
    if s.constats:
        doc.paragraphe(f"{s.indicateurs_lus} indicateurs lus comme une force ou une fragilité : {len(s.forces)} forces "
                       f"et {len(s.fragilites)} fragilités s'écartent de leurs références, les "
                       f"{s.indicateurs_proches} autres en sont proches. Valeurs du territoire, puis de sa référence.")

        def items(liste):
            if not liste:
                return [[Morceau("—")]]
            sortie = []
            for c in liste[:4]:
                reference = c.evolution if c.par_evolution else f"{c.noms[c.reference]} : {c.valeur(c.reference)}"
                sortie.append(Puce([Morceau(f"{c.court} : "), Morceau(c.valeur("territoire"), gras=True),
                                    Morceau(f" ({reference})")]))
            if len(liste) > 4:
                reste = len(liste) - 4
                sortie.append(Puce([Morceau(f"et {reste} autre{'s' if reste > 1 else ''} (rapport, chapitre "
                                            "« Synthèse et enjeux »)", italique=True)]))
            return sortie

        doc.legende(GENRE_TABLEAU, "Forces et fragilités par public")
        largeur = doc.largeur_texte_mm
        doc.table(["Public", "Forces", "Fragilités"],
                  [[p["libelle"], items(p["forces"]), items(p["fragilites"])] for p in s.par_public()],
                  [False, False, False], largeurs=[largeur * 0.18, largeur * 0.41, largeur * 0.41])
    else:
        doc.paragraphe("Pas de force ni de fragilité", STYLE_NOTE, gras=True)
        doc.paragraphe("Aucun indicateur des chapitres ne s'écarte de ses références à ce stade.", STYLE_NOTE)
    if s.publics_sans_indicateur:
        doc.paragraphe("Publics sans indicateur", STYLE_NOTE, gras=True)
        doc.paragraphe("Aucun indicateur chiffré du diagnostic ne décrit encore : "
                       f"{', '.join(s.publics_sans_indicateur)} (données à intégrer).", STYLE_NOTE)

    # Enjeux
    doc.titre(s.titre_enjeux, 1, nouvelle_page=True)
    doc.paragraphe(s.avertissement, STYLE_INTERTITRE)
    for numero, e in enumerate(s.enjeux, start=1):
        doc.titre(f"Enjeu proposé n° {numero} : {e.titre}", 2)
        doc.paragraphe(f"Public : {e.public_libelle}", STYLE_COUVERTURE)
        doc.paragraphe("Constats chiffrés", STYLE_INTERTITRE)
        doc.liste([[Morceau(c.texte)] + ([Morceau(f" (effectif concerné : {c.effectif_texte})", italique=True)]
                                         if c.effectif_texte else []) for c in e.constats])
        if e.appuis:
            doc.paragraphe("Points d'appui", STYLE_INTERTITRE)
            doc.liste([c.texte for c in e.appuis])
        fig = enjeux.figure_enjeu(e, largeur=6.0, avec_source=False)
        png = base64.b64decode(enjeux.image(fig).split(",", 1)[1])
        titre_figure = f"Écart aux références des constats de l'enjeu « {e.titre} »"
        alt = (f"{titre_figure} : " + " ; ".join(
            f"{c.court} {c.valeur('territoire')} contre {c.valeur(c.reference)} ({c.noms[c.reference]})"
            if not c.par_evolution else f"{c.court} {c.valeur('territoire')}, {c.evolution}"
            for c in e.constats + e.appuis))
        doc.figure(GENRE_FIGURE, {"titre": titre_figure, "alt": alt, "source": e.source}, png)
    if not s.enjeux:
        doc.paragraphe("Pas d'enjeu proposé", STYLE_NOTE, gras=True)
        doc.paragraphe("Aucune fragilité nette ou marquée dans les chiffres : les ateliers et la parole des habitants "
                       "restent à verser au diagnostic.", STYLE_NOTE)
    if s.vigilance:
        doc.paragraphe("Autres points de vigilance", STYLE_A_RETENIR_TITRE)
        doc.liste([f"{e.titre} ({e.public_libelle}) : " + " ".join(c.texte for c in e.constats) for e in s.vigilance],
                  STYLE_A_RETENIR)
    doc.titre("Méthode", 2)
    doc.liste(enjeux.regles(s))

    # « À retenir » of each chapter
    doc.titre("Ce qu'il faut retenir de chaque chapitre", 1, nouvelle_page=True)
    for c in chapitres:
        doc.paragraphe(f"{c['numero']}. {c['titre']}", STYLE_A_RETENIR_TITRE)
        html_.ecrire("<ul>" + "".join(f"<li>{p}</li>" for p in c["points"]) + "</ul>",
                     contexte=_Contexte(STYLE_A_RETENIR, STYLE_A_RETENIR_TITRE, STYLE_A_RETENIR))
    if echecs:
        doc.paragraphe("Chapitres en cours de production", STYLE_NOTE, gras=True)
        doc.paragraphe(f"Leurs constats seront repris dans une prochaine version : {', '.join(echecs)}.", STYLE_NOTE)
    if sans:
        doc.paragraphe("Chapitres sans chiffres clés à ce stade", STYLE_NOTE, gras=True)
        doc.paragraphe(f"Données à intégrer pour : {', '.join(sans)}.", STYLE_NOTE)
    return doc.ecrire(Path(etude.dossier_livrables) / "synthese.docx")
