"""No repetition in the report: each survey result shown once (a theme another chapter shows is a
cross-reference to it), one source line per table, figure or map, and a note explaining a sign
(« s », « n.d. », « pt ») only under a table where the sign appears."""

from __future__ import annotations

import re
from collections import Counter

from diagnostic_territorial.rendu import presentation


SOURCE = "Insee, RP 2023 ; France Travail. s : secret statistique (une commune est masquée en plus) ; n.d. : non disponible"


def test_notes_gardees_seulement_quand_leur_signe_apparait():
    n = presentation.notes_utiles
    assert n(SOURCE, ["12,3 %", "s"]) == "Insee, RP 2023 ; France Travail. s : secret statistique (une commune est masquée en plus)"
    assert n(SOURCE, ["12,3 %", "n.d."]) == "Insee, RP 2023 ; France Travail. n.d. : non disponible"
    assert n(SOURCE, ["n.d.", "s"]) == SOURCE
    assert n(SOURCE, ["12,3 %", "Saint-Sulpice"]) == "Insee, RP 2023 ; France Travail"
    # « pt » after the source, separated by « ; »; « 3 pts » or a word with « pt » inside is no sign
    pt = "Insee, RP 2023 ; pt : point de pourcentage"
    assert n(pt, ["+1,2 pt"]) == pt
    assert n(pt, ["+1,2 %", "Septfonds", "concept"]) == "Insee, RP 2023"
    assert n("Insee, RP 2023", ["s"]) == "Insee, RP 2023" and n(None, ["s"]) is None


def test_tableau_sans_signe_sans_note(monkeypatch):
    import pandas as pd

    sorties = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *a, **k: sorties.append((contenu, k)))
    presentation.tableau(pd.DataFrame({"Commune": ["A", "B"], "Part": ["12,0 %", "8,5 %"]}),
                         "Insee, RP 2023. s : secret statistique ; n.d. : non disponible", titre="Part")
    presentation.tableau(pd.DataFrame({"Commune": ["A", "B"], "Part": ["12,0 %", "s"]}),
                         "Insee, RP 2023. s : secret statistique ; n.d. : non disponible", titre="Part")
    (sans, k1), (avec, k2) = sorties
    assert '<p class="source">Source : Insee, RP 2023</p>' in sans and "secret" not in sans
    assert k1["contrat"]["tableau"]["source"].endswith("Insee, RP 2023")  # the recorded table too
    assert "Source : Insee, RP 2023. s : secret statistique</p>" in avec and "n.d. :" not in avec


def test_thematique_qui_repete_une_section_renvoie_a_elle(tmp_path):
    """A thématique that repeats a block of a chapter's section (two of its indicators or more) refers
    to that section; an indicator gathered alone from a section stays in the thématique."""
    import types

    from diagnostic_territorial.chapitres.generique import charger_plans, indicateurs_montres_ailleurs

    etude = types.SimpleNamespace(racine=tmp_path)
    thematiques = charger_plans()[1]
    deja, renvois = indicateurs_montres_ailleurs(etude, thematiques["isolement_personnes_agees"].indicateurs)
    assert deja == list(thematiques["isolement_personnes_agees"].indicateurs)
    assert renvois == ["« Part des 80 ans ou plus », « Part des personnes de 80 ans ou plus vivant seules », "
                       "« Personnes de 80 ans ou plus », « Services et hébergements pour personnes âgées pour "
                       "1 000 habitants » sont présentés au chapitre 9 « Vie sociale et isolement », section "
                       "« Personnes âgées »"]
    # resolved alternatives (« part_80_plus » for « part_80_plus|part_75_plus ») are found too
    assert indicateurs_montres_ailleurs(etude, ("part_80_plus", "personnes_80_plus"))[0] == [
        "part_80_plus", "personnes_80_plus"]
    deja, _ = indicateurs_montres_ailleurs(etude, thematiques["mobilite"].indicateurs)
    assert "part_menages_sans_voiture" not in deja and len(deja) == 3  # alone from its section: kept
    assert indicateurs_montres_ailleurs(etude, thematiques["logement"].indicateurs) == ([], [])
    assert indicateurs_montres_ailleurs(types.SimpleNamespace(), ("part_80_plus", "personnes_80_plus")) == ([], [])


def _paires_tableau_source(html: str) -> list[tuple[str, str]]:
    """(cells text, source line) of every table of the report followed by its source line."""
    paires = []
    for m in re.finditer(r"<table\b.*?</table>\s*<p class=\"source\">(.*?)</p>", html, flags=re.S):
        cellules = re.findall(r"<td[^>]*>(.*?)</td>", m.group(0), flags=re.S)
        paires.append((cellules, m.group(1)))
    return paires


def test_rapport_de_la_demo_sans_repetition(etude_executee):
    html = (etude_executee / "livrables" / "rapport.html").read_text(encoding="utf-8")
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S)
    html = re.sub(r'<iframe\b[^>]*srcdoc="[^"]*"', "<iframe", html, flags=re.S)  # the maps' documents

    # 1. Each survey question's table once in the whole report (its theme's chapter); chapter
    # « Parole des habitants » refers to those chapters instead of repeating them.
    from diagnostic_territorial.enquete import charger_questionnaire

    questionnaire = charger_questionnaire(etude_executee / "enquete" / "questionnaire.yaml")
    from html import unescape

    titres = Counter(unescape(m.group(1)) for balise in re.findall(r"<table\b[^>]*>", html)
                     if (m := re.search(r'aria-label="([^"]*)"', balise)))
    questions = [q for q in questionnaire.questions if q.type in ("unique", "multiple", "echelle") and q.theme]
    assert questions
    assert {q.libelle: titres[q.libelle] for q in questions} == {q.libelle: 1 for q in questions}
    parole = html[html.index('id="chap-12"'):html.index('id="chap-13"')]
    assert "voir le chapitre 4 « Cadre de vie »" in parole
    assert "voir le chapitre 10 « Accès aux droits, revenus et pauvreté »" in parole

    # A thématique that repeats a section refers to it (« Isolement des personnes âgées »: chapter 9)
    thematiques = html[html.index('id="chap-11"'):html.index('id="chap-12"')]
    assert "section « Personnes âgées »" in thematiques and "au chapitre 9 « Vie sociale et isolement »" in thematiques

    # 2. One source line per table, figure and map: never two in a row
    doubles = re.findall(r'<p class="source">([^<]*)</p>\s*(?:</div>\s*)*<p class="source">', html)
    assert doubles == []

    # 3. A sign's note only under a table where the sign appears, and every sign explained
    paires = _paires_tableau_source(html)
    assert len(paires) > 50
    for cellules, source in paires:
        textes = [re.sub(r"<[^>]+>", "", c).strip() for c in cellules]
        assert ("s : secret" in source) == ("s" in textes), source
        if "n.d. :" in source:
            assert any("n.d." in t for t in textes), source
        if "pt : point" in source:
            assert any(re.search(r"(?<![\w.])pt\b", t) for t in textes), source
