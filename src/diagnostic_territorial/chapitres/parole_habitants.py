"""Chapter « Parole des habitants »: the survey of the population (sample, key results per theme,
cross-tabulations), the summaries of interviews and workshops, and the shared findings.

Every figure comes from :mod:`diagnostic_territorial.enquete`, already protected (secret under
the study's threshold, secondary suppression); free text is shown only when etude.yaml opts in,
masked. Without a survey file the chapter says so and shows no figure."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial import enquete as eq
from diagnostic_territorial.enquete import qualitatif
from diagnostic_territorial.chapitres.plan import CHAPITRES

CLE = "parole_habitants"
TYPES_TABULES = ("unique", "multiple", "echelle")


@dataclass
class ParoleHabitants:
    enquete: eq.Enquete | None = None
    mention: str = ""
    absente: str = ""
    marges: dict = field(default_factory=dict)
    mention_rp: str = ""


def calculer(etude) -> ParoleHabitants:
    p = ParoleHabitants()
    try:
        p.enquete = eq.charger_enquete(etude)
    except eq.EnqueteAbsente as e:
        p.absente = str(e)
        return p
    p.mention = eq.mention(p.enquete)
    try:
        p.marges, p.mention_rp = eq.marges_rp(etude, p.enquete.questionnaire)
    except Exception:  # noqa: BLE001 - the RP is only a comparison here
        p.marges = {}
    return p


def _titre_theme(cle: str | None) -> str:
    for c in CHAPITRES:
        if c.cle == cle:
            return c.titre
    return "Autres questions" if not cle else cle.replace("_", " ").capitalize()


def _questions_par_theme(p: ParoleHabitants) -> dict[str, list]:
    themes: dict[str, list] = {}
    ordre = {c.cle: i for i, c in enumerate(CHAPITRES)}
    for q in p.enquete.questionnaire.questions:
        if q.type in TYPES_TABULES:
            themes.setdefault(q.theme or "", []).append(q)
    return dict(sorted(themes.items(), key=lambda kv: ordre.get(kv[0], len(ordre))))


def _premiere(t: eq.Tableau) -> tuple[str, float] | None:
    """Most frequent published answer (its label and share), excluding "none" answers."""
    pub = t.publie()
    pub = pub[(pub["modalite"] != "Répondants") & ~pub["secret"] & pub["part"].notna()]
    pub = pub[~pub["modalite"].str.lower().str.startswith("aucun")]
    if pub.empty:
        return None
    ligne = pub.sort_values("part", ascending=False).iloc[0]
    return ligne["modalite"], float(ligne["part"])


def points_cles(etude, p: ParoleHabitants) -> list[str]:
    if p.enquete is None:
        return []
    e = p.enquete
    simule = " (réponses simulées pour la démonstration)" if e.questionnaire.simule else ""
    if not eq.protection.publiable(e.n, e.seuil):  # under the threshold: not even their number
        return [f"Moins de {e.seuil} habitants ont répondu au questionnaire{simule} : aucun résultat n'est "
                "publié (secret statistique)."]
    points = [f"{fm.nombre(e.n)} habitants ont répondu au questionnaire" + simule
              + (f" ; résultats redressés sur l'âge et le sexe (taille effective {e.n_effectif_publie()})."
                 if e.poids is not None else " ; résultats non redressés.")]
    for theme, questions in _questions_par_theme(p).items():
        q = questions[0]
        t = eq.tabuler(e, q.cle)
        haut = _premiere(t)
        if haut:
            points.append(f"{_titre_theme(theme)} — {html.escape(q.libelle)} : « {html.escape(haut[0])} » "
                          f"pour {fm.pourcentage(haut[1], 0)} des répondants.")
    return points[:6]


# --- display ---------------------------------------------------------------------------------

def afficher_a_retenir(etude, p: ParoleHabitants):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats

    points = points_cles(etude, p)
    constats = qualitatif.constats_partages(etude)
    repondants = p.enquete.n if p.enquete else 0
    if p.enquete is not None and not eq.protection.publiable(repondants, p.enquete.seuil):
        repondants = None  # secret: under the threshold, the synthèse does not get it either
    resultats.enregistrer(etude, CLE, points, {"repondants": repondants, "constats_partages": constats})
    if p.enquete is None:
        return presentation.donnees_manquantes(
            html.escape(p.absente) + "<br>Aucun chiffre d'enquête n'est affiché : voir enquete/LISEZMOI.md "
            "pour importer un export LimeSurvey, KoboToolbox, Framaforms, Google Forms ou une saisie papier.")
    return presentation.a_retenir(points)


def afficher_echantillon(etude, p: ParoleHabitants):
    """Respondents by sex, age and commune, beside the population of the territory (RP)."""
    from diagnostic_territorial.rendu import presentation

    if p.enquete is None:
        return None
    e = p.enquete
    sources = [p.mention] + ([p.mention_rp] if p.marges else [])
    for type_ in ("sexe", "tranche_age", "commune"):
        q = e.questionnaire.par_type(type_)
        if q is None:
            continue
        t = eq.tabuler(e, q.cle)
        pub = t.publie().set_index("modalite")
        table = pd.DataFrame({q.libelle: t.modalites})
        table["Répondants"] = [fm.nombre(pub.loc[m, "effectif"], secret=bool(pub.loc[m, "secret"])) for m in t.modalites]
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = [pub.loc[m, "effectif"] / t.totaux[0] for m in t.modalites]
        table["Part des répondants"] = [fm.pourcentage(v, secret=bool(pub.loc[m, "secret"]))
                                        for v, m in zip(parts, t.modalites)]
        marge = p.marges.get(q.cle)
        if marge:
            total = sum(marge.values())
            table["Part dans la population (RP)"] = [fm.pourcentage(marge.get(m, np.nan) / total) for m in t.modalites]
        presentation.tableau(table, (" ; ".join(s for s in sources if s) if marge else p.mention)
                             + _note_secret(p), titre=f"Les répondants : {q.libelle.lower()}")
    if e.poids is not None and eq.protection.publiable(e.n, e.seuil):
        presentation.a_retenir([
            f"Les répondants ne ressemblent pas tout à fait à la population : les résultats sont redressés "
            f"(calage sur les marges d'âge et de sexe du recensement). Taille effective de l'échantillon : "
            f"{e.n_effectif_publie()} pour {fm.nombre(e.n)} répondants ; les intervalles de confiance en tiennent compte."],
            titre="Redressement")
    return None


def _figure_question(t: eq.Tableau, mention: str):
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.rendu import presentation

    pub = t.publie()
    pub = pub[pub["modalite"] != "Répondants"].reset_index(drop=True)
    fig = graphiques.barres_horizontales(pub, "part", "modalite", t.question.libelle, "",
                                         format_valeur=lambda v: fm.pourcentage(v, 0), colonne_secret="secret")
    return presentation.figure(fig, mention)


def _note_secret(p: ParoleHabitants) -> str:
    """The note of the survey tables' sign « s », after their source line (kept only under a table
    where a cell is masked: presentation.notes_utiles)."""
    return (f". s : secret statistique (trop peu de répondants : moins de {p.enquete.seuil}, "
            "ou case masquée pour qu'une autre ne se déduise pas du total)")


def _afficher_questions(p: ParoleHabitants, questions: list) -> None:
    """Each question's protected table (shares, Wilson 95 % interval) and chart, then the crossings
    the mapping asks for."""
    from diagnostic_territorial.rendu import presentation

    e = p.enquete
    source = p.mention + _note_secret(p)
    for q in questions:
        t = eq.tabuler(e, q.cle)
        presentation._afficher(f"<p><strong>{html.escape(q.libelle)}</strong></p>")
        presentation.tableau(t.tableau_affichage(), source, titre=q.libelle)
        _figure_question(t, p.mention)
        for par in q.croiser:
            if e.questionnaire.par_type(par) is None:
                continue
            c = eq.tabuler(e, q.cle, par)
            presentation._afficher(f"<p><em>{html.escape(q.libelle)} — selon "
                                   f"{eq.tabulation.CROISEMENTS.get(par, par).lower()}</em></p>")
            presentation.tableau(c.tableau_affichage(), source, titre=f"{q.libelle} — selon "
                                 f"{eq.tabulation.CROISEMENTS.get(par, par).lower()}")


def _afficher_qualitatif_theme(etude, theme: str) -> None:
    from diagnostic_territorial.rendu import presentation

    morceau = qualitatif.html_synthese(etude, theme) if theme else ""
    if morceau:
        presentation._afficher("<p><strong>Ce qu'en disent les habitants et les acteurs (entretiens, ateliers)"
                               "</strong></p>" + morceau)


def _cellules_code(chemin) -> str:
    """The code of a notebook of the study (empty when it cannot be read)."""
    import json

    try:
        cellules = json.loads(chemin.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ""
    return "\n".join("".join(c.get("source", "")) for c in cellules if c.get("cell_type") == "code")


def themes_presentes_ailleurs(etude) -> dict[str, str]:
    """The themes whose survey results and interview summaries another chapter of the report
    already shows (its notebook calls ``ch.parole()``, or ``ch.thematique("<thème>")`` for a
    thématique the study retained), with the French cross-reference to it: « chapitre 4 « Cadre
    de vie » ». Read in the study's own notebooks, since the consultant may remove a call."""
    from diagnostic_territorial.chapitres.generique import thematiques_de
    from diagnostic_territorial.chapitres.plan import THEMATIQUES_SPECIFIQUES, chapitres_etude

    racine = getattr(etude, "racine", None)
    if racine is None:
        return {}
    renvois: dict[str, str] = {}
    retenues = set(thematiques_de(etude))
    for numero, c in enumerate(chapitres_etude(racine), start=1):
        if c.cle == CLE:
            continue
        code = _cellules_code(racine / c.dossier / c.notebook)
        if ".parole()" in code:
            renvois[c.cle] = f"chapitre {numero} « {c.titre} »"
        for theme, titre in THEMATIQUES_SPECIFIQUES.items():
            if theme in retenues and (f'thematique("{theme}")' in code or f"thematique('{theme}')" in code):
                renvois[theme] = f"chapitre {numero} « {c.titre} », section « {titre} »"
    return renvois


def afficher_resultats(etude, p: ParoleHabitants):
    """For each theme: each question's protected table and chart, its crossings, then the
    qualitative summary of the theme; a theme another chapter already shows (with its figures) is
    a cross-reference to it, so that no survey result is shown twice in the report."""
    from diagnostic_territorial.rendu import presentation

    if p.enquete is None:
        return None
    ailleurs = themes_presentes_ailleurs(etude)
    renvois = []
    for theme, questions in _questions_par_theme(p).items():
        if theme in ailleurs:
            renvois.append(f"<li>{html.escape(_titre_theme(theme))} ({len(questions)} question"
                           f"{'s' if len(questions) > 1 else ''}) : voir le {html.escape(ailleurs[theme])}.</li>")
            continue
        presentation._afficher(f"<h3>{html.escape(_titre_theme(theme))}</h3>")
        _afficher_questions(p, questions)
        _afficher_qualitatif_theme(etude, theme)
    if renvois:
        presentation._afficher('<p class="renvois">Les résultats de l\'enquête sur ces thèmes sont présentés avec les '
                               "chiffres du thème, dans son chapitre :</p><ul class=\"renvois\">"
                               + "".join(renvois) + "</ul>")
    return None


def afficher_theme(etude, theme: str, p: ParoleHabitants | None = None) -> None:
    """In a thematic chapter: the survey questions of this theme (protected tables and charts) and
    the summary of interviews and workshops about it; nothing at all when there is neither (the
    report then drops the section's heading)."""
    from diagnostic_territorial.rendu import presentation

    p = p if p is not None else calculer(etude)
    questions = _questions_par_theme(p).get(theme, []) if p.enquete is not None else []
    if questions:
        presentation._afficher("<p><strong>Ce qu'en disent les habitants (enquête)</strong></p>")
        _afficher_questions(p, questions)
    _afficher_qualitatif_theme(etude, theme)


def afficher_verbatims(etude, p: ParoleHabitants):
    from diagnostic_territorial.rendu import presentation

    if p.enquete is None:
        return None
    if not eq.publier_verbatims(etude):
        return presentation._afficher(
            "<p>Les réponses libres ne sont pas publiées (choix par défaut, pour protéger les répondants).</p>")
    textes = eq.verbatims(etude, p.enquete)
    if not textes:
        return None
    items = "".join(f"<li>« {html.escape(t)} »</li>" for t in textes)
    return presentation._afficher(f'<ul class="verbatims">{items}</ul>' + presentation.ligne_source(p.mention),
                                  [p.mention])


def afficher_qualitatif(etude, p: ParoleHabitants):
    """Summaries of interviews and workshops whose theme has no survey question."""
    from diagnostic_territorial.rendu import presentation

    deja = set(_questions_par_theme(p)) if p.enquete is not None else set()
    ailleurs = themes_presentes_ailleurs(etude)
    ecrits = qualitatif.themes(etude)
    autres = [t for t in ecrits if t not in deja and t not in ailleurs]
    if not ecrits:
        if presentation.document_client():  # the client's report names no file of the study
            return presentation._afficher("<p><em>Les synthèses des entretiens et des ateliers seront intégrées "
                                          "dans une prochaine version du diagnostic.</em></p>")
        return presentation._afficher(
            "<p><em>Aucune synthèse d'entretien ou d'atelier pour l'instant : elles seront reprises ici depuis "
            "les fichiers qualitatif/&lt;thème&gt;.md de l'étude (voir qualitatif/LISEZMOI.md).</em></p>")
    for theme in autres:
        presentation._afficher(f"<h3>{html.escape(_titre_theme(theme))}</h3>" + qualitatif.html_synthese(etude, theme))
    montres = [t for t in ecrits if t in ailleurs and t not in deja]  # those of the survey's themes: above
    if montres:
        presentation._afficher("<p class=\"renvois\">Les synthèses des entretiens et des ateliers sur "
                               + ", ".join(html.escape(_titre_theme(t).lower()) for t in montres)
                               + " sont présentées dans le chapitre de leur thème ("
                               + " ; ".join(html.escape(ailleurs[t]) for t in montres) + ").</p>")
    return None


def afficher_constats_partages(etude, p: ParoleHabitants):
    from diagnostic_territorial.rendu import presentation

    texte = qualitatif.synthese(etude, qualitatif.CONSTATS)
    if not texte:
        if presentation.document_client():
            return presentation._afficher("<p><em>Les constats partagés avec les habitants et les acteurs seront "
                                          "intégrés dans une prochaine version du diagnostic.</em></p>")
        return presentation._afficher(
            "<p><em>Les constats partagés avec les habitants et les acteurs seront repris ici depuis "
            "qualitatif/constats_partages.md.</em></p>")
    return presentation._afficher(qualitatif.html_synthese(etude, qualitatif.CONSTATS))
