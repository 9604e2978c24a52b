"""presentation.slides.html: a self-contained offline slideshow for the restitution, built from the
same analysis as the chapter « Synthèse et enjeux » (chapitres/enjeux.py): a title slide, a slide
that says how to read the proposals, then for each proposed enjeu a slide (its findings and the
chart of their gaps with the references) followed by a slide per key finding (its value against the
département, the région and France, as bars), the points d'appui, the points of vigilance and the
method. Every chart is a PNG embedded as a ``data:`` address with its source line under it: the
file opens without network."""

from __future__ import annotations

from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_texte
from diagnostic_territorial.livrables.commun import _jinja, _meta
from diagnostic_territorial.livrables.synthese import _a_retenir

N_CONSTATS_PAR_ENJEU = 2  # finding slides after each enjeu's slide
N_APPUIS = 3  # forces shown one by one after the enjeux
DPI = 150


def diapositives(etude) -> tuple[list[dict], list[str], object]:
    """The slides after the title one: dicts with a ``type`` (« lecture », « enjeu », « constat »,
    « vigilance », « methode »), their texts and image; the failed chapters; the analysis."""
    from diagnostic_territorial.chapitres import enjeux as ej

    _, _, echecs = _a_retenir(etude)
    s = ej.analyser(etude)
    diapos = [{"type": "lecture", "rubrique": "Lecture"}]
    for n, e in enumerate(s.enjeux, start=1):
        diapos.append({"type": "enjeu", "rubrique": f"Enjeu proposé n° {n} · {e.public_libelle}", "enjeu": e,
                       "image": ej.image(ej.figure_enjeu(e, largeur=5.0, avec_source=False), DPI),
                       "source": e.source})
        for c in e.constats[:N_CONSTATS_PAR_ENJEU]:
            diapos.append(_diapo_constat(c, f"Enjeu n° {n} · constat"))
    cles = {c.id for e in s.enjeux for c in e.constats[:N_CONSTATS_PAR_ENJEU]}
    for c in [c for c in s.forces if c.id not in cles][:N_APPUIS]:
        diapos.append(_diapo_constat(c, "Point d'appui du territoire"))
    if s.vigilance:  # with the chart of the first of them
        premier = s.vigilance[0].constats[0]
        diapos.append({"type": "vigilance", "rubrique": "Autres points de vigilance", "groupes": s.vigilance,
                       "constat": premier, "source": premier.source,
                       "image": ej.image(ej.figure_constat(premier, largeur=4.6, hauteur=3.3, avec_source=False), DPI)})
    diapos.append({"type": "methode", "rubrique": "Méthode", "regles": ej.regles(s)})
    return diapos, echecs, s


def _diapo_constat(c, rubrique: str) -> dict:
    from diagnostic_territorial.chapitres import enjeux as ej

    return {"type": "constat", "rubrique": rubrique, "constat": c,
            "image": ej.image(ej.figure_constat(c, largeur=4.6, hauteur=3.3, avec_source=False), DPI),
            "source": c.source}


def presentation(etude) -> Path:
    """livrables/presentation.slides.html (see the module's docstring)."""
    diapos, echecs, s = diapositives(etude)
    contenu = _jinja().get_template("presentation.html.j2").render(m=_meta(etude), diapos=diapos, echecs=echecs, s=s)
    sortie = Path(etude.dossier_livrables) / "presentation.slides.html"
    ecrire_texte(sortie, contenu)
    return sortie


# --------------------------------------------------------------------------------------------
# 5. Plan d'action (standalone)
# --------------------------------------------------------------------------------------------
