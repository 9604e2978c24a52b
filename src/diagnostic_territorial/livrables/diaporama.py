"""presentation.slides.html: a self-contained offline slideshow, one slide per key finding."""

from __future__ import annotations

from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_texte
from diagnostic_territorial.livrables.commun import _jinja, _meta
from diagnostic_territorial.livrables.synthese import _a_retenir


def presentation(etude) -> Path:
    """livrables/presentation.slides.html: title slide + one slide per « À retenir » point."""
    chapitres, _, echecs = _a_retenir(etude)
    diapos = []
    for c in chapitres:
        for j, p in enumerate(c["points"], start=1):
            diapos.append({"chapitre": f"{c['numero']}. {c['titre']}", "point": p,
                           "rang": f"{j}/{len(c['points'])}"})
    contenu = _jinja().get_template("presentation.html.j2").render(m=_meta(etude), diapos=diapos, echecs=echecs)
    sortie = Path(etude.dossier_livrables) / "presentation.slides.html"
    ecrire_texte(sortie, contenu)
    return sortie


# --------------------------------------------------------------------------------------------
# 5. Plan d'action (standalone)
# --------------------------------------------------------------------------------------------

