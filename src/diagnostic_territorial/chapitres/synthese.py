"""Chapter « Synthèse et enjeux »: the key findings each chapter recorded (build/resultats/).

A chapter whose last run failed (build/execution.json, written before the synthèse runs) is named
as such: its findings were deleted with the failure and are not taken up."""

from __future__ import annotations

from diagnostic_territorial.chapitres import resultats


def afficher(etude):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.execution.notebooks import etats_chapitres

    trouves = resultats.lire_tous(etude)
    en_attente, en_echec = [], []
    for c in etats_chapitres(etude):
        if c.cle == "synthese":
            continue
        r = trouves.get(c.cle)
        if c.statut == "echec":
            en_echec.append(c.titre)
        elif r and r.get("a_retenir"):
            presentation.a_retenir(r["a_retenir"], titre=c.titre)
        else:
            en_attente.append(c.titre)
    if en_echec:
        presentation.donnees_manquantes(
            "Chapitres non produits lors de la dernière exécution, dont les constats ne sont pas repris ici : "
            + ", ".join(en_echec) + "."
        )
    if en_attente:
        presentation.donnees_manquantes(
            "Chapitres sans chiffres clés à ce stade (données à intégrer) : " + ", ".join(en_attente) + "."
        )
