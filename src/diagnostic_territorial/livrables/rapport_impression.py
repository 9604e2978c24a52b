"""rapport.pdf: WeasyPrint on the print version of the assembled report (static maps, A4, page
numbers, long tables marked for page breaks)."""

from __future__ import annotations

import re
from pathlib import Path

from diagnostic_territorial.livrables.commun import _RE_CARTE_INTERACTIVE, _RE_TABLE, _RE_SCRIPT, _RE_BIBLIOTHEQUE_CARTES, html_en_pdf


def rapport_pdf(rapport_html: Path, sortie: Path | None = None) -> Path:
    """rapport.pdf from the report's print version (build/rapport-impression.html, written with
    rapport.html by rapport.assembler; a rapport.html given here works too): the folium iframes and
    scripts are dropped before WeasyPrint parses the file, the static maps are shown by the print CSS."""
    rapport_html = Path(rapport_html)
    sortie = Path(sortie) if sortie else rapport_html.with_suffix(".pdf")
    contenu = rapport_html.read_text(encoding="utf-8")
    contenu = _RE_CARTE_INTERACTIVE.sub("", contenu)
    contenu = _RE_BIBLIOTHEQUE_CARTES.sub("", contenu)  # Leaflet, kept once for the maps (cartes_partagees)
    contenu = _RE_SCRIPT.sub("", contenu)
    contenu = _RE_TABLE.sub(_marquer_tableau_long, contenu)
    return html_en_pdf(contenu, sortie, rapport_html.parent)


LIGNES_TABLEAU_LONG = 22


def _marquer_tableau_long(m: re.Match) -> str:
    """A table longer than about half a page may break between rows in the PDF (its header row is
    repeated on each page); shorter tables are never cut."""
    tableau = m.group(0)
    if tableau.count("<tr") <= LIGNES_TABLEAU_LONG:
        return tableau
    return re.sub(r'^<table class="', '<table class="tableau-long ', tableau, count=1)

