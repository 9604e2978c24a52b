"""What every deliverable shares: Jinja environment, CSS, WeasyPrint (PDF with fixed metadata and
no network), the cover fields of a study."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from diagnostic_territorial import __version__

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.ecriture import date_generation, ecrire_octets
from diagnostic_territorial.livrables.rapport import DOSSIER_TEMPLATES, date_en_francais


DOSSIER_GABARITS = DOSSIER_TEMPLATES / "livrables"
CSS_RAPPORT = DOSSIER_TEMPLATES / "rapport" / "static" / "rapport.css"
CSS_LIVRABLES = DOSSIER_GABARITS / "livrables.css"

_RE_CARTE_INTERACTIVE = re.compile(r'<div class="carte-interactive"><iframe\b[^>]*>\s*</iframe></div>')
_RE_TABLE = re.compile(r'<table class="[^"]*".*?</table>', re.DOTALL)
_RE_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_RE_BIBLIOTHEQUE_CARTES = re.compile(r'<template id="dt-bibliotheque-cartes">.*?</template>', re.DOTALL)


# --------------------------------------------------------------------------------------------
# Common helpers
# --------------------------------------------------------------------------------------------


def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DOSSIER_GABARITS)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals["css_commun"] = lambda: _css_commun()
    env.filters["html_assaini"] = _html_assaini
    return env


def _html_assaini(fragment) -> str:
    """Jinja filter: an HTML fragment (an « À retenir » point) sanitised by :func:`assainir.html`,
    then printed as HTML. Everything else in the templates is escaped (autoescape)."""
    from markupsafe import Markup

    return Markup(assainir.html(fragment))


def _css_commun() -> str:
    from markupsafe import Markup

    return Markup(CSS_RAPPORT.read_text(encoding="utf-8") + "\n" + CSS_LIVRABLES.read_text(encoding="utf-8"))


def _fetcher():
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"file", "data"}, timeout=5)


def _document_weasyprint(contenu_html: str, base: Path):
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported CSS of the lab template
    return HTML(string=contenu_html, base_url=str(base) + "/", url_fetcher=_fetcher()).render()


# Tagged PDF (RGAA, issue 17): PDF/UA-1 gives the structure tree (headings, paragraphs, lists, tables
# with their header cells, figures with their alternative text), /MarkInfo, the document's language
# (/Lang, from <html lang="fr">), its title shown by the reader (DisplayDocTitle) and the XMP
# metadata that declares the conformance; nothing random in it (no document id for PDF/UA-1).
VARIANTE_PDF = "pdf/ua-1"
LANGUE = "fr"


def _octets_pdf(document) -> bytes:
    """The PDF of a WeasyPrint document, tagged (:data:`VARIANTE_PDF`) and reproducible: fixed
    metadata (the creation and modification dates are the generation date, the creator names the
    library and its version) and no file identifier (WeasyPrint would otherwise derive none, or a
    random one for PDF/A). A document without ``<html lang>`` is French."""
    meta = document.metadata
    jour = date_generation().isoformat()
    meta.created = jour
    meta.modified = jour
    meta.generator = f"diagnostic_territorial {__version__}"
    meta.lang = meta.lang or LANGUE
    return document.write_pdf(pdf_identifier=False, pdf_variant=VARIANTE_PDF, uncompressed_pdf=False,
                              custom_metadata=False, xmp_metadata=None)


def _ecrire_pdf(document, sortie: Path) -> Path:
    ecrire_octets(sortie, _octets_pdf(document))
    return Path(sortie)


def html_en_pdf(contenu_html: str, sortie: Path, base: Path | None = None) -> Path:
    """Render an HTML string to PDF (print media, A4 from the CSS), atomically."""
    sortie = Path(sortie)
    return _ecrire_pdf(_document_weasyprint(contenu_html, base or sortie.parent), sortie)


# What every client document says, on its cover and atop each page and slide, when its figures come
# (even in part) from simulated files: the demo (issue 16; annexes.donnees_simulees).
BANDEAU_SIMULE = "Données simulées pour la démonstration"
TEXTE_SIMULE = "Ce document ne décrit pas la situation réelle du territoire : une partie des données est simulée."


@dataclass
class EtatLivrable:
    """Whether a deliverable is a « Document de travail », and why, in French for its cover."""

    travail: bool
    texte: str


def etat_livrable(etude) -> EtatLivrable:
    """The report's state (:func:`rapport.etat_document`, the one function that decides it) for the
    other deliverables (synthèse, slides, plan d'action, Word documents): the same « Document de
    travail », worded for the diagnostic as a whole (the proposals to review are in the report)."""
    from diagnostic_territorial.livrables.rapport import etat_document

    etat = etat_document(etude)
    texte = f"Le diagnostic contient encore {' ; '.join(etat.raisons)}." if etat.raisons else etat.texte
    return EtatLivrable(etat.travail, texte)


def _meta(etude) -> dict:
    from diagnostic_territorial.livrables.rapport import TITRE_DOCUMENT_DE_TRAVAIL

    etat = etat_livrable(etude)
    return {
        "nom_territoire": etude.nom_territoire,
        "sous_titre": etude.sous_titre or "Diagnostic social de territoire",
        "consultant": etude.consultant or "",
        "date_texte": date_en_francais(date_generation()),
        "version": __version__,
        "departement": _noms(getattr(etude, "departements", None) or [etude.departement]),
        "region": _noms(getattr(etude, "regions", None) or [etude.region]),
        "communes": len(etude.communes),
        "simule": _simule(etude),
        "bandeau_simule": BANDEAU_SIMULE,
        "texte_simule": TEXTE_SIMULE,
        # « Document de travail » on the cover and atop each page or slide (etat_livrable)
        "document_de_travail": etat.travail,
        "titre_document_de_travail": TITRE_DOCUMENT_DE_TRAVAIL,
        "etat_texte": etat.texte,
    }


def _simule(etude) -> bool:
    from diagnostic_territorial.livrables.annexes import donnees_simulees

    return donnees_simulees(etude)


def _noms(references) -> str:
    """« Haute-Garonne », « Haute-Garonne et Ariège », « Gironde, Dordogne et Landes »."""
    noms = [str(nom) for _, nom in references]
    return " et ".join([", ".join(noms[:-1]), noms[-1]]) if len(noms) > 1 else (noms[0] if noms else "")


# --------------------------------------------------------------------------------------------
# 1. Rapport PDF and annexes
# --------------------------------------------------------------------------------------------

