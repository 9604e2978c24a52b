"""Chapter « Synthèse et enjeux »: the key findings each chapter recorded (build/resultats/)."""

from __future__ import annotations

from .. import resultats
from ..plan import CHAPITRES


def afficher(etude):
    from .. import presentation

    trouves = resultats.lire_tous(etude)
    en_attente = []
    for c in CHAPITRES:
        if c.cle == "synthese":
            continue
        r = trouves.get(c.cle)
        if r and r.get("a_retenir"):
            presentation.a_retenir(r["a_retenir"], titre=c.titre)
        else:
            en_attente.append(c.titre)
    if en_attente:
        presentation.donnees_manquantes(
            "Chapitres sans chiffres clés à ce stade (données à intégrer) : " + ", ".join(en_attente) + "."
        )
