"""Assemble the executed chapter notebooks into one self-contained HTML report.

The notebooks written by papermill (``build/notebooks/<chapitre>.ipynb``) are merged into a single
notebook, prepared for the reader, then rendered once by nbconvert's ``HTMLExporter`` with the
project's template (``templates/rapport``: cover page, table of contents, print CSS, no CDN):

- the first ``#`` heading of each notebook becomes the numbered chapter title ("1. ..."), its
  ``##`` sections are numbered "1.1", "1.2"..., ``###`` headings keep no number; every heading gets a
  stable id (``chap-1``, ``chap-1-2``, ``chap-1-2-1``) used by the table of contents;
- code is never shown: inputs are excluded, cells tagged ``parameters``, ``injected-parameters``
  or ``papermill-error-cell-tag`` are removed, as are stderr streams (warnings, progress bars) and
  raw error outputs;
- a failed or absent chapter keeps its numbered heading and shows a neutral "Chapitre en cours de
  production" box: it is never silently dropped, and its error (exception, notebook, log) goes to the
  technical annex (``annexes.annexe_technique``) and the terminal, never to the client's report;
- the file is written atomically (``ecriture.ecrire_texte``: temporary file in the same folder, then renamed);
- the output is reproducible: the same notebooks give the same bytes, except for the one line that
  carries the generation date (``date_generation``: today, or ``SOURCE_DATE_EPOCH`` when set);
- text written by people never becomes markup: the cover's fields (etude.yaml) are escaped by the
  template, the error summaries and annex titles by :func:`assainir.texte`, headings are sanitised
  by :func:`assainir.html`; the consultant's Markdown (analyses, qualitatif) and the « À retenir »
  points were already sanitised by ``presentation`` when the notebooks ran. The notebooks themselves
  (markdown cells, outputs) are code of the study, rendered as they are: whoever edits a notebook
  runs Python anyway.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import html
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_notebook, new_raw_cell

from diagnostic_territorial.rendu import assainir

from diagnostic_territorial.rendu import cartes_partagees
from diagnostic_territorial.ecriture import date_generation, ecrire_texte
from diagnostic_territorial import PAQUET

DOSSIER_TEMPLATES = PAQUET / "templates"
NOM_TEMPLATE = "rapport"

# Cells carrying one of these tags never reach the report.
TAGS_RETIRES = frozenset(
    {
        "parameters",
        "injected-parameters",
        "papermill-error-cell-tag",
        "remove-cell",
        "remove_cell",
    }
)
# A markdown cell with this tag (an optional section's heading) is dropped when its section shows
# nothing (e.g. a thématique spécifique the study did not retain).
TAG_SI_CONTENU = "si-contenu"
# What a section shows when its notebook displayed nothing under its heading (a source that does
# not cover the territory, a function that found nothing to show): never a heading alone.
SECTION_SANS_CONTENU = ('<p class="section-sans-contenu"><em>Pas de donnée publiée pour cette section sur ce '
                        "territoire dans cette version du diagnostic.</em></p>")
# Outputs that would need a live kernel or JupyterLab: fall back to the next representation.
MIMETYPES_RETIRES = ("application/vnd.jupyter.widget-view+json",)

LONGUEUR_MAX_ERREUR = 300

_RE_TITRE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RE_CLOTURE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RE_IMAGE_MD = re.compile(r"(!\[[^\]]*\]\()(<[^>]+>|[^)\s]+)")
_RE_DIV_OUVRANT = re.compile(r"<div\b", re.IGNORECASE)
_RE_DIV_FERMANT = re.compile(r"</div\s*>", re.IGNORECASE)
_RE_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython's warning when parallel kernels share one history database: noise from the run, not
# report content (and a different session number on each run).
_RE_BRUIT_IPYTHON = re.compile(
    r"^ERROR! Session/line number was not unique in database\. History logging moved to new session \d+\n?",
    re.MULTILINE,
)


@dataclass
class ChapitreExecute:
    numero: int  # chapter number in the report (1..n)
    cle: str  # e.g. "demographie"
    titre: str  # e.g. "Dynamique démographique"
    chemin: Path | None  # executed notebook (papermill output), None if not produced
    statut: str  # "ok", "echec" (failed: notebook kept with traceback), "absent"
    erreur: str | None = None  # short French error summary for failed chapters


@dataclass
class Annexe:
    """A section appended after the chapters (plan d'action, sources, method), already in HTML."""

    lettre: str  # "A", "B"...
    cle: str  # e.g. "sources": anchor "annexe-sources"
    titre: str  # e.g. "Sources et millésimes"
    html: str  # body (no heading: the assembly writes the numbered one)


@dataclass
class _Titre:
    """A numbered heading, as shown in the body and in the table of contents."""

    numero: str  # "1", "1.2"
    ancre: str  # "chap-1", "chap-1-2"
    titre_html: str  # inline HTML (the heading text may carry emphasis, code...)
    titre_texte: str  # same without tags, for the table of contents and running header


@dataclass
class _ChapitrePrepare:
    titre: _Titre
    produit: bool
    sections: list[_Titre] = field(default_factory=list)
    cellules: list = field(default_factory=list)
    annexe: bool = False


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


# A map as presentation.html_carte writes it: the interactive map, then its static image.
_RE_CARTE_STATIQUE_DOUBLEE = re.compile(r'(</iframe></div>)<div class="carte-statique"><img [^>]*></div>')


def assembler(chapitres: list[ChapitreExecute], sortie: Path, meta: dict,
              annexes: list[Annexe] | None = None, impression: Path | None = None) -> Path:
    """Merge the executed notebooks into the single HTML file ``sortie`` and return its path.

    ``meta``: ``nom_territoire``, ``sous_titre``, ``consultant``, ``date`` (``datetime.date``),
    ``version``, optionally ``communes`` (number of communes), ``departement`` (name) and
    ``etat`` (:class:`EtatDocument`: a working document says so on its cover and atop each page).
    ``annexes`` are appended after the chapters (« Annexe A. ... ») and listed in the sommaire.
    With ``impression``, that file gets the same report with each map's static image (the source
    of the PDF), and ``sortie`` keeps only the interactive maps (the screen report: the static
    images were hidden there, and weighed a third of the file).
    The previous report is left untouched if anything fails before the final rename.
    """
    sortie = Path(sortie)
    prepares = [_preparer_chapitre(c) for c in sorted(chapitres, key=lambda c: c.numero)]
    prepares += [_preparer_annexe(a) for a in (annexes or [])]
    contenu = _rendre(prepares, meta)
    ecran = _RE_CARTE_STATIQUE_DOUBLEE.sub(r"\1", contenu) if impression is not None else contenu
    ecrire_texte(sortie, ecran)
    if impression is not None:
        ecrire_texte(Path(impression), contenu)
    return sortie


# --------------------------------------------------------------------------------------------
# « Document de travail »
# --------------------------------------------------------------------------------------------

TITRE_DOCUMENT_DE_TRAVAIL = "Document de travail"


@dataclass
class EtatDocument:
    """Whether the report is a working document, and why (French, for the client's cover: no file
    name, no command). ``propositions``: {chapitre: proposals not reviewed}, for the terminal."""

    travail: bool
    raisons: list[str] = field(default_factory=list)
    propositions: dict = field(default_factory=dict)

    @property
    def texte(self) -> str:
        """« Ce document contient encore : 12 propositions de rédaction à relire ; ... »."""
        if not self.raisons:
            return "Version provisoire, en attente de validation."
        return "Ce document contient encore " + " ; ".join(self.raisons) + "."


def etat_document(etude) -> EtatDocument:
    """A report is a « Document de travail » until etude.yaml says ``version_finale: true`` and
    nothing in it is left to review: the proposals written from the figures
    (build/resultats/<chapitre>.json, ``propositions``: a chapter whose analyses/<chapitre>.md is
    still empty), the example plan d'action shipped with the template, simulated data."""
    from diagnostic_territorial.chapitres import resultats

    propositions = resultats.propositions_a_relire(etude)
    raisons = []
    n = sum(propositions.values())
    if n:
        raisons.append(f"{n} proposition{'s' if n > 1 else ''} de rédaction à relire")
    if _plan_action_exemple(etude):
        raisons.append("le plan d'action d'exemple fourni avec le modèle")
    if _donnees_simulees(etude):
        raisons.append("des données simulées pour la démonstration")
    return EtatDocument(travail=bool(raisons) or not getattr(etude, "version_finale", False),
                        raisons=raisons, propositions=propositions)


# The introduction of the example plan_action.yaml of the template (replaced by the consultant's).
MARQUE_PLAN_EXEMPLE = "Exemple fourni avec le modèle"


def _plan_action_exemple(etude) -> bool:
    """The study's plan_action.yaml is still the template's example (livrables.plan_action.est_exemple
    when it exists, else the example's introduction is still there)."""
    chemin = Path(etude.racine) / "plan_action.yaml"
    if not chemin.exists():
        return False
    try:
        from diagnostic_territorial.livrables.plan_action import est_exemple
    except ImportError:
        est_exemple = None
    try:
        if est_exemple is not None:
            return bool(est_exemple(chemin))
        return MARQUE_PLAN_EXEMPLE.lower() in chemin.read_text(encoding="utf-8").lower()
    except (OSError, UnicodeDecodeError, ValueError):
        return False


def _donnees_simulees(etude) -> bool:
    """One decision for the cover's « Document de travail » and the simulated-data banner."""
    from diagnostic_territorial.livrables.annexes import donnees_simulees

    return donnees_simulees(etude)


def date_en_francais(date: dt.date) -> str:
    """« 23 novembre 2026 », « 1er mars 2027 »."""
    from babel.dates import format_date

    texte = format_date(date, format="long", locale="fr_FR")
    return re.sub(r"^1 ", "1er ", texte)


# --------------------------------------------------------------------------------------------
# Preparing one chapter
# --------------------------------------------------------------------------------------------


def etat_reel(chapitre: ChapitreExecute) -> tuple[str, str | None, object]:
    """(status, error summary, notebook) of a chapter as the report shows it: the journal's status,
    corrected by what the executed notebook itself says (unreadable, error output). The error
    summary (None when the chapter is produced) is for the technical annex and the terminal."""
    nb = None
    erreur = chapitre.erreur
    statut = chapitre.statut
    if chapitre.chemin is not None and Path(chapitre.chemin).exists():
        try:
            nb = nbformat.read(str(chapitre.chemin), as_version=4)
        except Exception as exc:  # unreadable JSON, invalid notebook...
            statut = "echec"
            erreur = erreur or f"notebook illisible ({type(exc).__name__} : {exc})"
    elif statut == "ok":
        statut = "absent"
    if statut == "ok" and nb is not None and _a_echoue(nb):
        # stale or missing execution journal: the notebook itself says the run failed
        statut = "echec"
    if statut == "ok" and nb is not None:
        return statut, None, nb
    if not erreur:
        erreur = _erreur_du_notebook(nb) if nb is not None else None
    if not erreur:
        erreur = (
            "le notebook de ce chapitre n'a pas été exécuté"
            if statut == "absent"
            else "l'exécution du notebook a échoué"
        )
    return statut, _abreger(erreur), nb


def _preparer_chapitre(chapitre: ChapitreExecute) -> _ChapitrePrepare:
    n = chapitre.numero
    statut, _erreur, nb = etat_reel(chapitre)
    if statut == "ok" and nb is not None:
        return _chapitre_produit(chapitre, nb)

    # Failed or absent: numbered heading (the notebook's own title when readable) and a neutral box.
    titre_source = _premier_titre(nb) if nb is not None else None
    titre = _titre(str(n), f"chap-{n}", titre_source or chapitre.titre)
    cellules = [
        _cellule_html(_ouverture_chapitre(titre, produit=False)),
        _cellule_html(_encadre_non_produit()),
        _cellule_html("</section>"),
    ]
    return _ChapitrePrepare(titre=titre, produit=False, cellules=cellules)


def _chapitre_produit(chapitre: ChapitreExecute, nb) -> _ChapitrePrepare:
    n = chapitre.numero
    dossier = Path(chapitre.chemin).resolve().parent
    titre: _Titre | None = None
    sections: list[_Titre] = []
    sous_sections = 0
    corps: list = []

    vides = _sections_facultatives_vides(nb.cells)
    section_sans_contenu = False  # a section heading not yet followed by anything the reader can read

    def fermer_section() -> None:
        if section_sans_contenu:  # never a title alone: say the section has nothing for this territory
            corps.append(_cellule_html(SECTION_SANS_CONTENU))

    for position, cellule in enumerate(nb.cells):
        if TAGS_RETIRES.intersection(cellule.get("metadata", {}).get("tags", [])) or position in vides:
            continue
        if cellule.cell_type == "code":
            sorties = _sorties_lisibles(cellule.get("outputs", []))
            if not sorties:
                continue
            cellule = copy.deepcopy(cellule)
            cellule.outputs = sorties
            cellule.source = ""  # never shown; keeps the code out of the file entirely
            corps.append(cellule)
            section_sans_contenu = False
        elif cellule.cell_type == "markdown":
            for morceau in _decouper_markdown(cellule.source):
                if isinstance(morceau, str):
                    corps.append(_cellule_markdown(morceau, cellule, dossier))
                    section_sans_contenu = section_sans_contenu and not morceau.strip()
                    continue
                niveau, texte = morceau
                if niveau == 1 and titre is None:
                    titre = _titre(str(n), f"chap-{n}", texte)
                elif niveau <= 2:  # sections (a stray second "#" is treated as a section)
                    fermer_section()
                    section_sans_contenu = True
                    sections.append(_titre(f"{n}.{len(sections) + 1}", f"chap-{n}-{len(sections) + 1}", texte))
                    sous_sections = 0
                    corps.append(_cellule_html(_balise_section(sections[-1])))
                elif niveau == 3:
                    sous_sections += 1
                    ancre = f"chap-{n}-{len(sections)}-{sous_sections}"
                    t = _titre("", ancre, texte)
                    corps.append(_cellule_html(f'<h3 class="titre-sous-section" id="{ancre}">{t.titre_html}</h3>'))
                else:
                    t = _titre("", "", texte)
                    corps.append(_cellule_html(f"<h{niveau}>{t.titre_html}</h{niveau}>"))
        elif cellule.cell_type == "raw" and cellule.metadata.get("raw_mimetype", "").lower() == "text/html":
            corps.append(copy.deepcopy(cellule))  # other raw cells are notes, not report content
            section_sans_contenu = False
    fermer_section()

    if titre is None:
        titre = _titre(str(n), f"chap-{n}", chapitre.titre)
    cellules = [_cellule_html(_ouverture_chapitre(titre, produit=True)), *corps, _cellule_html("</section>")]
    return _ChapitrePrepare(titre=titre, produit=True, sections=sections, cellules=cellules)


def _sections_facultatives_vides(cellules) -> set[int]:
    """Positions of the markdown cells tagged ``si-contenu`` (an optional section's heading, e.g. a
    thématique the study did not retain) whose section produced no readable output: the cells up
    to the next markdown cell that holds a heading."""
    vides = set()
    for i, cellule in enumerate(cellules):
        if cellule.cell_type != "markdown" or TAG_SI_CONTENU not in cellule.get("metadata", {}).get("tags", []):
            continue
        contenu = False
        for suivante in cellules[i + 1:]:
            if suivante.cell_type == "markdown" and any(isinstance(m, tuple) for m in _decouper_markdown(suivante.source)):
                break
            if suivante.cell_type == "code" and _sorties_lisibles(suivante.get("outputs", [])):
                contenu = True
                break
        if not contenu:
            vides.add(i)
    return vides


def _preparer_annexe(annexe: Annexe) -> _ChapitrePrepare:
    ancre = f"annexe-{re.sub(r'[^a-z0-9-]', '-', annexe.cle.lower())}"
    titre = _Titre(numero=f"Annexe {annexe.lettre}", ancre=ancre, titre_html=assainir.texte(annexe.titre),
                   titre_texte=annexe.titre)
    ouverture = (
        f'<section class="chapitre annexe" aria-labelledby="{ancre}">\n'
        f'<h1 class="titre-chapitre" id="{ancre}"><span class="numero">{titre.numero}.</span> '
        f"{titre.titre_html}</h1>"
    )
    cellules = [_cellule_html(ouverture), _cellule_html(annexe.html), _cellule_html("</section>")]
    return _ChapitrePrepare(titre=titre, produit=True, cellules=cellules, annexe=True)


def _a_echoue(nb) -> bool:
    if nb.metadata.get("papermill", {}).get("exception"):
        return True
    return any(
        "papermill-error-cell-tag" in c.get("metadata", {}).get("tags", [])
        or any(o.get("output_type") == "error" for o in c.get("outputs", []))
        for c in nb.cells
    )


def _sorties_lisibles(sorties: list) -> list:
    """Outputs the reader sees: no stderr (warnings, progress bars), no raw tracebacks."""
    gardees = []
    for sortie in sorties:
        if sortie.get("output_type") == "error":
            continue
        if sortie.get("output_type") == "stream" and sortie.get("name") != "stdout":
            continue
        if sortie.get("output_type") == "stream":
            texte = sortie.get("text", "")
            texte = "".join(texte) if isinstance(texte, list) else texte
            nettoye = _RE_BRUIT_IPYTHON.sub("", texte)
            if not nettoye.strip():
                continue
            if nettoye != texte:
                sortie = copy.deepcopy(sortie)
                sortie["text"] = nettoye
        if "data" in sortie:
            sortie = copy.deepcopy(sortie)
            for mime in MIMETYPES_RETIRES:
                sortie["data"].pop(mime, None)
            if not sortie["data"]:
                continue
        gardees.append(sortie)
    return gardees


def _decouper_markdown(source: str) -> list:
    """Split a markdown cell into text chunks (str) and ATX headings ((level, text)).

    Headings inside fenced code blocks or inside an open ``<div>`` (an HTML box written in
    markdown) are left alone: splitting there would break the box apart."""
    morceaux: list = []
    tampon: list[str] = []
    cloture: str | None = None
    divs_ouverts = 0
    for ligne in source.splitlines():
        m_cloture = _RE_CLOTURE.match(ligne)
        if cloture is not None:
            if m_cloture and m_cloture.group(1)[0] == cloture[0] and len(m_cloture.group(1)) >= len(cloture):
                cloture = None
            tampon.append(ligne)
            continue
        if m_cloture:
            cloture = m_cloture.group(1)
            tampon.append(ligne)
            continue
        m_titre = _RE_TITRE.match(ligne)
        if m_titre and (m_titre.group(2) or "").strip() and divs_ouverts <= 0:
            if "".join(tampon).strip():
                morceaux.append("\n".join(tampon))
            tampon = []
            morceaux.append((len(m_titre.group(1)), m_titre.group(2).strip()))
        else:
            divs_ouverts += len(_RE_DIV_OUVRANT.findall(ligne)) - len(_RE_DIV_FERMANT.findall(ligne))
            tampon.append(ligne)
    if "".join(tampon).strip():
        morceaux.append("\n".join(tampon))
    return morceaux


def _premier_titre(nb) -> str | None:
    for cellule in nb.cells:
        if cellule.cell_type != "markdown":
            continue
        for morceau in _decouper_markdown(cellule.source):
            if isinstance(morceau, tuple) and morceau[0] == 1:
                return morceau[1]
    return None


def _erreur_du_notebook(nb) -> str | None:
    """Short summary of the first error output left by papermill, e.g. « KeyError : 'P19_POP' »."""
    for cellule in nb.cells:
        for sortie in cellule.get("outputs", []):
            if sortie.get("output_type") == "error":
                ename = _RE_ANSI.sub("", sortie.get("ename", "Erreur"))
                evalue = _RE_ANSI.sub("", sortie.get("evalue", "")).strip()
                return _abreger(f"{ename} : {evalue}" if evalue else ename)
    return None


def _abreger(texte: str) -> str:
    texte = " ".join(texte.split())
    if len(texte) > LONGUEUR_MAX_ERREUR:
        texte = texte[: LONGUEUR_MAX_ERREUR - 1].rstrip() + "…"
    return texte


# --------------------------------------------------------------------------------------------
# HTML pieces
# --------------------------------------------------------------------------------------------


def _titre(numero: str, ancre: str, texte_markdown: str) -> _Titre:
    titre_html = _markdown_en_ligne(texte_markdown)
    titre_texte = re.sub(r"<[^>]+>", "", titre_html).strip()
    return _Titre(numero=numero, ancre=ancre, titre_html=titre_html, titre_texte=titre_texte)


def _markdown_en_ligne(texte: str) -> str:
    """Inline markdown of a heading (emphasis, code) as HTML, without the <p> wrapper."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendu = markdown2html_mistune(texte).strip()
    m = re.fullmatch(r"<p>(.*)</p>", rendu, flags=re.DOTALL)
    if m:
        return assainir.html(m.group(1).strip())
    return assainir.texte(texte)


def _ouverture_chapitre(titre: _Titre, produit: bool) -> str:
    classe = "chapitre" if produit else "chapitre non-produit"
    return (
        f'<section class="{classe}" aria-labelledby="{titre.ancre}">\n'
        f'<h1 class="titre-chapitre" id="{titre.ancre}">'
        f'<span class="numero">{titre.numero}.</span> {titre.titre_html}</h1>'
    )


def _balise_section(titre: _Titre) -> str:
    return (
        f'<h2 class="titre-section" id="{titre.ancre}">'
        f'<span class="numero">{titre.numero}</span> {titre.titre_html}</h2>'
    )


# What the client reads in place of a chapter that failed or was not executed: the reason (an
# exception, a file, a command) is the consultant's, in the technical annex and the terminal.
TITRE_NON_PRODUIT = "Chapitre en cours de production"
TEXTE_NON_PRODUIT = "Ce chapitre sera intégré dans une prochaine version du rapport."


def _encadre_non_produit() -> str:
    """The neutral box of a chapter that is not produced (its error: :func:`etat_reel`, for the
    technical annex)."""
    return (
        '<div class="chapitre-non-produit" role="note">\n'
        f'<p class="titre-encadre">{TITRE_NON_PRODUIT}</p>\n'
        f"<p>{TEXTE_NON_PRODUIT}</p>\n"
        "</div>"
    )


def _cellule_html(source: str):
    return new_raw_cell(source, metadata={"raw_mimetype": "text/html"})


def _cellule_markdown(source: str, origine, dossier: Path):
    pieces_jointes = copy.deepcopy(origine.get("attachments", {})) or {}
    source = _integrer_images(source, pieces_jointes, dossier)
    cellule = new_markdown_cell(source)
    if pieces_jointes:
        cellule["attachments"] = pieces_jointes
    tags = origine.get("metadata", {}).get("tags")
    if tags:
        cellule.metadata["tags"] = list(tags)
    return cellule


def _integrer_images(source: str, pieces_jointes: dict, dossier: Path) -> str:
    """Turn ``![..](figure.png)`` pointing next to the notebook into an attachment (base64),
    so the report stays one file whatever folder it is opened from."""

    def remplacer(m: re.Match) -> str:
        cible = m.group(2).strip("<>")
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", cible) or cible.startswith(("#", "/")):
            return m.group(0)
        chemin = (dossier / cible).resolve()
        mime, _ = mimetypes.guess_type(str(chemin))
        if not chemin.is_file() or not (mime or "").startswith("image/"):
            return m.group(0)
        nom = "img-" + re.sub(r"[^A-Za-z0-9_.-]", "_", cible)
        pieces_jointes[nom] = {mime: base64.b64encode(chemin.read_bytes()).decode("ascii")}
        return f"{m.group(1)}attachment:{nom}"

    return _RE_IMAGE_MD.sub(remplacer, source)


# --------------------------------------------------------------------------------------------
# Rendering and writing
# --------------------------------------------------------------------------------------------


def _rendre(chapitres: list[_ChapitrePrepare], meta: dict) -> str:
    from nbconvert import HTMLExporter

    nb = new_notebook(metadata={"language_info": {"name": "python"}})
    bibliotheque = None
    for i, chapitre in enumerate(chapitres, start=1):
        for j, cellule in enumerate(chapitre.cellules):
            cellule["id"] = f"c{i}-{j}"  # deterministic, unique across merged notebooks
            for k, sortie in enumerate(cellule.get("outputs", [])):
                donnees = sortie.get("data", {})
                if "application/javascript" in donnees:
                    sortie.setdefault("metadata", {})["dt_id"] = f"js-{i}-{j}-{k}"
                if "text/html" in donnees:  # interactive maps: Leaflet once for the whole report
                    texte = donnees["text/html"]
                    texte = "".join(texte) if isinstance(texte, list) else texte
                    texte, trouvee = cartes_partagees.alleger_sortie(texte)
                    if trouvee is not None:
                        donnees["text/html"] = texte
                        bibliotheque = bibliotheque or trouvee
            nb.cells.append(cellule)

    exporter = HTMLExporter(
        template_name=NOM_TEMPLATE,
        extra_template_basedirs=[str(DOSSIER_TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        language_code="fr",
    )
    contexte = _contexte(chapitres, meta)
    contexte["bibliotheque_cartes"] = cartes_partagees.hote(bibliotheque) if bibliotheque else ""
    resources = {"metadata": {"name": "rapport", "path": ""}, "rapport": contexte}
    contenu, _ = exporter.from_notebook_node(nb, resources=resources)
    return contenu


def _contexte(chapitres: list[_ChapitrePrepare], meta: dict) -> dict:
    nom = str(meta.get("nom_territoire") or "Territoire")
    sous_titre = str(meta.get("sous_titre") or "Diagnostic social de territoire")
    date = meta.get("date") or date_generation()
    perimetre = []
    communes = meta.get("communes")
    if communes:
        perimetre.append(f"{communes} commune{'s' if int(communes) > 1 else ''}")
    if meta.get("departement"):
        perimetre.append(str(meta["departement"]))
    etat = meta.get("etat")
    from diagnostic_territorial.livrables.commun import BANDEAU_SIMULE, TEXTE_SIMULE

    return {
        "document_de_travail": bool(etat is not None and etat.travail),
        "titre_document_de_travail": TITRE_DOCUMENT_DE_TRAVAIL,
        "etat_texte": etat.texte if etat is not None else "",
        # simulated data (the demo): a banner on the cover and atop every page (livrables.commun)
        "simule": bool(meta.get("simule")),
        "bandeau_simule": BANDEAU_SIMULE,
        "texte_simule": TEXTE_SIMULE,
        "nom_territoire": nom,
        "sous_titre": sous_titre,
        "titre_document": f"{nom} — {sous_titre}",
        "consultant": str(meta.get("consultant") or ""),
        "date_texte": date_en_francais(date),
        "version": str(meta.get("version") or ""),
        "perimetre": " · ".join(perimetre),
        "chapitres": [
            {
                "numero": c.titre.numero,
                "ancre": c.titre.ancre,
                "titre_texte": html.escape(html.unescape(c.titre.titre_texte), quote=False),
                "produit": c.produit,
                "annexe": c.annexe,
                "sections": [
                    {
                        "numero": s.numero,
                        "ancre": s.ancre,
                        "titre_texte": html.escape(html.unescape(s.titre_texte), quote=False),
                    }
                    for s in c.sections
                ],
            }
            for c in chapitres
        ],
    }
