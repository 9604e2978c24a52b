"""synthese.html / synthese.pdf: cover, key figures, the forces and fragilités by public, the enjeux
proposed for the CTG (or the ABS) with the figures behind each one and a chart of their gaps with the
references (chapitres/enjeux.py: the same analysis as the chapter « Synthèse et enjeux » and the
slides), the method, then the « À retenir » of each chapter (build/resultats/)."""

from __future__ import annotations

from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_texte
from diagnostic_territorial.livrables.commun import _jinja, html_en_pdf, _meta
from diagnostic_territorial.livrables.chiffres_cles import IndicateursCles, indicateurs_cles, _lignes_tableau


def _a_retenir(etude) -> tuple[list[dict], list[str], list[str]]:
    """The chapters with findings ({numero, cle, titre, points}), the titles of the chapters that
    ran without any, and the titles of the chapters whose last run failed or never happened: their
    findings are not taken up (a failed run deletes them) and the deliverables say so."""
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.execution.notebooks import etats_chapitres

    trouves = resultats.lire_tous(etude)
    chapitres, sans, echecs = [], [], []
    for c in etats_chapitres(etude):
        if c.cle == "synthese":
            continue
        if c.statut != "ok":
            echecs.append(f"{c.numero}. {c.titre}")
            continue
        points = (trouves.get(c.cle) or {}).get("a_retenir") or []
        if points:  # HTML fragments: the templates print them through the html_assaini filter
            chapitres.append({"numero": c.numero, "cle": c.cle, "titre": c.titre, "points": [str(p) for p in points]})
        else:
            sans.append(f"{c.numero}. {c.titre}")
    return chapitres, sans, echecs


def synthese(etude, ic: IndicateursCles | None = None) -> tuple[Path, Path]:
    from diagnostic_territorial.chapitres import enjeux

    ic = ic or indicateurs_cles(etude)
    chapitres, sans, echecs = _a_retenir(etude)
    colonnes = [ic.ligne("territoire")] + ic.lignes_references()
    analyse = enjeux.analyser(etude)
    contenu = _jinja().get_template("synthese.html.j2").render(
        m=_meta(etude), chapitres=chapitres, sans=sans, echecs=echecs,
        entetes=[c["libelle"] for c in colonnes], lignes=_lignes_tableau(ic, colonnes),
        sources=ic.sources, note_france="France métropolitaine pour Filosofi.",
        s=analyse, regles=enjeux.regles(analyse),
        images=[enjeux.image(enjeux.figure_enjeu(e, largeur=6.0, avec_source=False)) for e in analyse.enjeux],
    )
    dossier = Path(etude.dossier_livrables)
    sortie_html = dossier / "synthese.html"
    ecrire_texte(sortie_html, contenu)
    return sortie_html, html_en_pdf(contenu, dossier / "synthese.pdf", dossier)


# --------------------------------------------------------------------------------------------
# 3. Fiches communes
# --------------------------------------------------------------------------------------------
