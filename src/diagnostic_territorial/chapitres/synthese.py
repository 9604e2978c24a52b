"""Chapter « Synthèse et enjeux »: the forces and fragilités of the territory by public, and the
enjeux proposed for the CTG (or the ABS), derived by the explicit rules of chapitres/enjeux.py
from what the other chapters recorded (build/resultats/), with the figures behind each one. The
synthèse deliverable and the slides are built from the same :func:`enjeux.analyser`.

A chapter whose last run failed (build/execution.json, written before the synthèse runs) is named
as such: its findings were deleted with the failure and are not taken up.

The notebook calls one function per ``##`` heading: :func:`afficher_forces_fragilites`,
:func:`afficher_enjeux`, :func:`afficher_methode` (:func:`afficher` does all three, for the
notebooks of studies generated before them)."""

from __future__ import annotations

from diagnostic_territorial.chapitres import enjeux as ej
from diagnostic_territorial.rendu import assainir


def analyser(etude) -> ej.Synthese:
    return ej.analyser(etude)


def _non_produits(etude) -> None:
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.execution.notebooks import etats_chapitres

    trouves = resultats.lire_tous(etude)
    en_echec, en_attente = [], []
    for c in etats_chapitres(etude):
        if c.cle == "synthese":
            continue
        if c.statut == "echec":
            en_echec.append(c.titre)
        elif not (trouves.get(c.cle) or {}).get("a_retenir"):
            en_attente.append(c.titre)
    # Notes the client may read as they are (presentation.donnees_manquantes, client=): no file, no error.
    if en_echec:
        presentation.donnees_manquantes(assainir.texte(
            "Chapitres non produits lors de la dernière exécution, dont les constats ne sont pas repris ici : "
            + ", ".join(en_echec) + "."),
            client="Chapitres en cours de production, dont les constats seront repris dans une prochaine version : "
                   + ", ".join(en_echec) + ".")
    if en_attente:
        note = "Chapitres sans chiffres clés à ce stade (données à intégrer) : " + ", ".join(en_attente) + "."
        presentation.donnees_manquantes(assainir.texte(note), client=note)


def html_forces_fragilites(s: ej.Synthese) -> str:
    """The table of the forces and fragilités by public (escaped text)."""
    t = assainir.texte

    def liste(constats) -> str:
        if not constats:
            return '<span class="vide">—</span>'
        return "<ul>" + "".join(
            f"<li>{t(c.court)} : <strong>{t(c.valeur('territoire'))}</strong> "
            f"({t(c.qualificatif)}{', ' + t(c.noms[c.reference]) + ' : ' + t(c.valeur(c.reference)) if not c.par_evolution else ', ' + t(c.evolution)})</li>"
            for c in constats) + "</ul>"

    gauche = ' style="text-align:left"'
    lignes = "".join(f"<tr><td>{t(p['libelle'])}</td><td{gauche}>{liste(p['forces'])}</td>"
                     f"<td{gauche}>{liste(p['fragilites'])}</td></tr>" for p in s.par_public())
    resume = (f'<p class="introduction-section">{t(str(s.indicateurs_lus))} indicateurs lus comme une force ou une '
              f"fragilité ; {t(str(len(s.forces)))} forces et {t(str(len(s.fragilites)))} fragilités s'écartent de "
              f"leurs références, les {t(str(s.indicateurs_proches))} autres en sont proches.</p>")
    manque = ""
    if s.publics_sans_indicateur:
        manque = ('<div class="donnees-manquantes"><p class="titre">Publics sans indicateur</p><div>'
                  + t("Aucun indicateur chiffré du diagnostic ne décrit encore : " + ", ".join(s.publics_sans_indicateur)
                      + " (données à intégrer, par exemple les allocataires de l'AAH ou de l'AEEH pour le handicap).")
                  + "</div></div>")
    return (resume + '<table class="tableau-dt forces-fragilites"><thead><tr><th scope="col">Public</th>'
            f"<th scope=\"col\"{gauche}>Forces</th><th scope=\"col\"{gauche}>Fragilités</th></tr></thead><tbody>" + lignes + "</tbody></table>"
            + manque)


def html_enjeu(e: ej.Enjeu, numero: int) -> str:
    """One proposed enjeu: its title, public, the fragilités behind it and the points d'appui."""
    t = assainir.texte
    constats = "".join(ej.html_constat(c) for c in e.constats)
    appuis = "".join(ej.html_constat(c) for c in e.appuis)
    return (f'<div class="a-retenir enjeu"><p class="titre-encadre">Enjeu proposé n° {numero} — public : '
            f'{t(e.public_libelle)}</p><p class="titre-enjeu"><strong>{t(e.titre)}</strong></p>'
            f'<p class="sous-titre-enjeu">Constats chiffrés :</p><ul class="constats">{constats}</ul>'
            + (f"<p class=\"sous-titre-enjeu\">Points d'appui :</p><ul class=\"constats\">{appuis}</ul>" if appuis else "")
            + "</div>")


def afficher_forces_fragilites(etude, s: ej.Synthese | None = None) -> None:
    from diagnostic_territorial.rendu import presentation

    s = s or analyser(etude)
    _non_produits(etude)
    if not s.constats:
        note = ("Aucun indicateur des chapitres ne s'écarte de ses références à ce stade : pas de force ni de "
                "fragilité à proposer.")
        presentation.donnees_manquantes(note, client=note)
        return
    presentation._afficher(html_forces_fragilites(s), texte=" ".join(c.texte for c in s.constats))


def afficher_enjeux(etude, s: ej.Synthese | None = None) -> None:
    """Each proposed enjeu with its chart (gaps with the references) and its source line."""
    from diagnostic_territorial.rendu import presentation

    s = s or analyser(etude)
    presentation._afficher(f'<p class="introduction-section"><strong>{assainir.texte(s.titre_enjeux)}.</strong> '
                           f"{assainir.texte(s.avertissement)}</p>", texte=s.avertissement)
    if not s.enjeux:
        note = ("Aucune fragilité nette ou marquée : pas d'enjeu proposé à partir des chiffres ; les ateliers et la "
                "parole des habitants restent à verser au diagnostic.")
        presentation.donnees_manquantes(note, client=note)
    for n, e in enumerate(s.enjeux, start=1):
        presentation._afficher(html_enjeu(e, n), texte=" ".join([e.titre] + [c.texte for c in e.constats + e.appuis]))
        presentation.figure(ej.figure_enjeu(e), e.source)
    if s.vigilance:
        points = [assainir.texte(f"{e.titre} ({e.public_libelle}) : " + " ".join(c.texte for c in e.constats))
                  for e in s.vigilance]
        presentation.a_retenir(points, titre="Autres points de vigilance")


def html_methode(s: ej.Synthese) -> str:
    t = assainir.texte
    return ('<div class="methode-enjeux"><ul>' + "".join(f"<li>{t(r)}</li>" for r in ej.regles(s)) + "</ul>"
            f'<p class="note">{t(s.avertissement)}</p></div>')


def afficher_methode(etude, s: ej.Synthese | None = None) -> None:
    from diagnostic_territorial.rendu import presentation

    s = s or analyser(etude)
    presentation._afficher(html_methode(s), texte="Méthode des enjeux")


def afficher(etude) -> None:
    """The whole chapter: forces and fragilités, proposed enjeux, method."""
    s = analyser(etude)
    afficher_forces_fragilites(etude, s)
    afficher_enjeux(etude, s)
    afficher_methode(etude, s)
