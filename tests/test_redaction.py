"""Proposed wording written from the figures (chapitres.redaction), on tables made by hand: the
thresholds « proche / au-dessus / nettement », the evolution, the communes too small to compare,
the count beside a rate; then the end of a chapter (analyses/<chapitre>.md or a proposal) and the
« Document de travail » state the report reads from build/resultats/."""

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from diagnostic_territorial.chapitres import redaction as r
from diagnostic_territorial.indicateurs import catalogue as ci

REFERENCES = [("departement", "31", "Haute-Garonne"), ("region", "76", "Occitanie"), ("france", "FRM", "France")]
NBSP = "\u202f"


def indicateur(unite="part", libelle="Part des familles monoparentales", court="Familles monoparentales",
               source="rp_couples_familles_menages", id_="test"):
    return ci.Indicateur(id=id_, libelle=libelle, chapitre="parentalite", source=source, numerateur=("A",),
                         denominateur=("B",), unite=unite, court=court)


def table(territoire, departement=None, region=None, france=None, communes=()):
    """libelle, niveau, codgeo, valeur, secret: communes are (code, nom, valeur[, secret])."""
    lignes = [dict(libelle=c[1], niveau="commune", codgeo=c[0], valeur=c[2], secret=bool(c[3]) if len(c) > 3 else False)
              for c in communes]
    lignes.append(dict(libelle="CC Test", niveau="territoire", codgeo="200000000", valeur=territoire, secret=False))
    for niveau, code, valeur in (("departement", "31", departement), ("region", "76", region), ("france", "FRM", france)):
        if valeur is not None:
            lignes.append(dict(libelle=niveau, niveau=niveau, codgeo=code, valeur=valeur, secret=False))
    return pd.DataFrame(lignes)


# --- thresholds --------------------------------------------------------------------------------

@pytest.mark.parametrize("territoire, reference, attendu", [
    (0.142, 0.136, r.PROCHE),            # 0,6 point
    (0.142, 0.110, r.NET_AU_DESSUS),     # 3,2 points, +29 %: 2 points and 20 %
    (0.210, 0.150, r.NET_AU_DESSUS),     # 6 points
    (0.030, 0.015, r.NET_AU_DESSUS),     # 1,5 point but twice the reference: 1 point and 50 %
    (0.012, 0.008, r.PROCHE),            # 0,4 point: negligible even at +50 %
    (0.120, 0.201, r.NET_EN_DESSOUS),    # -8,1 points
    (0.264, 0.284, r.PROCHE),            # -2 points, -7 %: neither 3 points nor 10 %
    (0.160, 0.145, r.AU_DESSUS),         # 1,5 point, +10,3 %: 1 point and 10 %
    (0.158, 0.145, r.PROCHE),            # 1,3 point, +9,0 %
    (0.7583, 0.7231, r.AU_DESSUS),       # 3,5 points but +4,9 % (taux d'activité of the demo): 3 points
    (0.0099, 0.0043, r.AU_DESSUS),       # 0,56 point, +130 %: 0,5 point and 50 %, not 1 point
])
def test_position_d_un_taux_en_points(territoire, reference, attendu):
    assert r.position("part", territoire, reference) == attendu


def test_position_d_un_taux_publie_en_pourcent():
    assert r.position("pourcent", 14.2, 13.6) == r.PROCHE
    assert r.position("pourcent", 20.0, 14.0) == r.NET_AU_DESSUS


@pytest.mark.parametrize("unite, territoire, reference, attendu", [
    ("euros", 21800, 21000, r.PROCHE),             # +3,8 %
    ("euros", 22300, 21000, r.AU_DESSUS),          # +6,2 %
    ("euros", 23400, 21000, r.NET_AU_DESSUS),      # +11,4 %
    ("euros", 19500, 21000, r.EN_DESSOUS),         # -7,1 %
    ("pour_mille", 0.86, 1.06, r.EN_DESSOUS),      # -18,9 %
    ("pour_mille", 0.80, 1.06, r.NET_EN_DESSOUS),  # -24,5 %
    ("indice", 96, 100, r.PROCHE),                 # -4 %
    ("indice", 92, 100, r.PROCHE),                 # -8 %
    ("indice", 88, 100, r.EN_DESSOUS),             # -12 %
    ("indice", 121, 100, r.NET_AU_DESSUS),         # +21 %
])
def test_position_d_une_valeur_en_ecart_relatif(unite, territoire, reference, attendu):
    assert r.position(unite, territoire, reference) == attendu


def test_pas_de_position_pour_un_compte_ou_une_valeur_absente():
    assert r.position("nombre", 2901, 400000) is None
    assert r.position("part", float("nan"), 0.1) is None
    assert r.position("euros", 100, 0) is None


@pytest.mark.parametrize("unite, avant, apres, attendu", [
    ("part", 0.139, 0.142, r.STABLE),        # +0,3 point
    ("part", 0.130, 0.142, r.HAUSSE),        # +1,2 point
    ("part", 0.142, 0.166, r.NETTE_HAUSSE),  # +2,4 points
    ("part", 0.342, 0.284, r.NETTE_BAISSE),  # -5,8 points
    ("nombre", 2700, 2901, r.HAUSSE),        # +7,4 %
    ("nombre", 725, 535, r.NETTE_BAISSE),    # -26 %
    ("nombre", 10479, 10590, r.STABLE),      # +1,1 %
])
def test_evolution(unite, avant, apres, attendu):
    assert r.evolution(unite, avant, apres) == attendu


# --- sentences -----------------------------------------------------------------------------------

def test_taux_avec_effectif_evolution_et_references():
    c = r.Chiffres(indicateur(), 2023, table(0.142, 0.110, 0.129, 0.136), table(0.130), 2017,
                   pd.DataFrame([dict(niveau="territoire", codgeo="200000000", numerateur=412.0, denominateur=2901.0)]))
    texte = r.texte_indicateur(c, REFERENCES)
    assert texte == (f"La part des familles monoparentales est de 14,2\u00a0% en 2023 (soit 412 sur 2{NBSP}901), "
                     "en hausse de 1,2 point par rapport à 2017 (13,0\u00a0%). C'est nettement au-dessus du département "
                     "(11,0\u00a0%), au-dessus de la région (12,9\u00a0%), et proche de la France (13,6\u00a0%).")
    # 3,2 points and +29 % above the département (2 points and 20 %: net), 1,3 point and +10,1 % above
    # the région (1 point and 10 %: marqué), 0,6 point from France


def test_ratio_pour_1000_habitants_avec_son_compte():
    i = indicateur("pour_mille", "Médecins généralistes pour 1 000 habitants", "Médecins", "bpe")
    c = r.Chiffres(i, 2018, table(0.85, 1.06, 1.04, 0.949),
                   effectifs=pd.DataFrame([dict(niveau="territoire", codgeo="200000000", numerateur=30.0,
                                                denominateur=34937.0)]))
    texte = r.texte_indicateur(c, REFERENCES)
    assert texte.startswith(f"On compte 0,9 médecins généralistes pour 1 000 habitants en 2018 (soit 30 pour 34{NBSP}937 habitants).")
    # 0,85 against 0,949 is -10,4 % (marqué), but both read « 0,9 »: never « en dessous » of the same figure
    assert texte.endswith("C'est en dessous du département (1,1) et de la région (1,0), et proche de la France (0,9).")
    # -19,8 % and -18,3 %: marqué (net from 20 %)


def test_valeur_secrete_jamais_ecrite():
    t = table(float("nan"), 0.110)
    t.loc[t["niveau"] == "territoire", "secret"] = True
    texte = r.texte_indicateur(r.Chiffres(indicateur(), 2023, t), REFERENCES)
    assert texte == "Part des familles monoparentales : valeur couverte par le secret statistique pour le territoire en 2023."


def test_compte_evolution_et_repartition():
    i = indicateur("nombre", "Familles", "Familles")
    communes = [("31001", "Rieumes", 1200.0), ("31002", "Saint-Lys", 1500.0), ("31003", "Bérat", 201.0)]
    c = r.Chiffres(i, 2023, table(2901.0, 400000.0, communes=communes), table(2700.0), 2017)
    texte = r.texte_indicateur(c, REFERENCES)
    assert texte == (f"Le territoire compte 2{NBSP}901 familles en 2023, en hausse de 7,4\u00a0% par rapport à 2017 "
                     f"(2{NBSP}700) ; Saint-Lys en regroupe 52\u00a0%.")  # no comparison with the département's count
    secret = [("31001", "Rieumes", 1200.0), ("31002", "Saint-Lys", float("nan"), True), ("31003", "Bérat", 201.0)]
    assert "regroupe" not in r.texte_indicateur(r.Chiffres(i, 2023, table(2901.0, communes=secret)), REFERENCES)


def test_equipements_et_accord_au_singulier():
    i = indicateur("nombre", "Lycées", "Lycées", "bpe")
    communes = [("31001", "Rieumes", 1.0), ("31002", "Saint-Lys", 0.0), ("31003", "Bérat", 0.0)]
    assert r.texte_indicateur(r.Chiffres(i, 2018, table(1.0, communes=communes)), REFERENCES) == (
        "Lycées : 1 en 2018 ; une seule des 3 communes en compte (Rieumes).")
    communes = [("31001", "Rieumes", 2.0), ("31002", "Saint-Lys", 1.0), ("31003", "Bérat", 0.0)]
    assert r.texte_indicateur(r.Chiffres(i, 2018, table(3.0, communes=communes)), REFERENCES) == (
        "Le territoire compte 3 lycées en 2018 ; on en trouve dans 2 des 3 communes.")


# --- communes -------------------------------------------------------------------------------------

COMMUNES = [("31001", "Rieumes", 0.172), ("31002", "Saint-Lys", 0.098), ("31003", "Bérat", 0.30),
            ("31004", "Lherm", 0.15)]


def test_communes_comparees_au_dessus_du_seuil_de_population():
    c = r.Chiffres(indicateur(), 2023, table(0.142, 0.110, communes=COMMUNES))
    populations = {"31001": 3800, "31002": 9000, "31003": 400, "31004": 999}
    texte = r.texte_communes(c, populations)
    # Bérat (30 %, 400 habitants) is the highest value but too small to be compared
    assert texte == ("Parmi les 2 communes de 1 000 habitants ou plus, la part des familles monoparentales va de "
                     "9,8\u00a0% (Saint-Lys) à 17,2\u00a0% (Rieumes). Les 2 autres communes, de moins de "
                     "1 000 habitants, ne sont pas comparées (valeurs trop sensibles aux petits effectifs).".replace(
                         "1 000", f"1{NBSP}000"))


def test_communes_trop_petites():
    c = r.Chiffres(indicateur(), 2023, table(0.142, 0.110, communes=COMMUNES))
    texte = r.texte_communes(c, {"31001": 380, "31002": 900, "31003": 400, "31004": 99})
    assert texte.startswith(f"Toutes les communes du territoire comptent moins de 1{NBSP}000 habitants")
    assert "%" not in texte  # no commune value is quoted
    seule = r.texte_communes(c, {"31001": 3800, "31002": 900, "31003": 400, "31004": 99})
    assert seule.startswith(f"Une seule commune compte 1{NBSP}000 habitants ou plus (Rieumes : 17,2\u00a0%)")


def test_communes_secretes_ecartees_et_commune_unique():
    communes = [("31001", "Rieumes", 0.172), ("31002", "Saint-Lys", float("nan"), True), ("31004", "Lherm", 0.15)]
    c = r.Chiffres(indicateur(), 2023, table(0.142, communes=communes))
    texte = r.texte_communes(c, {"31001": 3800, "31002": 9000, "31004": 2000})
    assert "Saint-Lys" not in texte and "de 15,0\u00a0% (Lherm) à 17,2\u00a0% (Rieumes)" in texte
    unique = r.Chiffres(indicateur(), 2023, table(0.142, communes=[("31001", "Rieumes", 0.142)]))
    assert r.texte_communes(unique, {"31001": 3800}) == ""


# --- a section ------------------------------------------------------------------------------------

def test_section_de_plusieurs_indicateurs():
    """More than N_DETAILLES indicators: the first in detail, then the clear gaps in one sentence."""
    ids = [("part_a", "Part des cadres", 0.080, 0.153), ("part_b", "Part des ouvriers", 0.182, 0.121),
           ("part_c", "Part des employés", 0.160, 0.158), ("part_d", "Part des retraités", 0.270, 0.265)]
    chiffres = [r.Chiffres(indicateur(libelle=lib, court=lib, id_=id_), 2023, table(t, d, communes=COMMUNES))
                for id_, lib, t, d in ids]
    c = r.commentaire_section(chiffres, REFERENCES, {"31001": 3800, "31002": 9000}, carte="part_b")
    assert c.paragraphes[0].startswith("La part des cadres est de 8,0\u00a0% en 2023.")
    assert c.paragraphes[1] == ("Par rapport au département, les autres écarts les plus nets concernent la part "
                                "des ouvriers (18,2\u00a0% contre 12,1\u00a0%).")
    assert "la part des ouvriers va de" in c.paragraphes[2]  # the mapped indicator's communes
    assert [x["references"]["departement"]["position"] for x in c.indicateurs] == [
        r.NET_EN_DESSOUS, r.NET_AU_DESSUS, r.PROCHE, r.PROCHE]


def test_synthese_du_chapitre_depuis_ses_constats():
    resultat = {"a_retenir": ["Un point"], "sections": {"s": {"indicateurs": [
        {"id": "a", "libelle": "Part des ménages propriétaires de leur résidence principale", "unite": "part",
         "annee": 2023, "valeur": 0.670, "references": {"departement": {"valeur": 0.466, "position": r.NET_AU_DESSUS}},
         "evolution": {"annee": 2017, "valeur": 0.668, "sens": r.STABLE}},
        {"id": "b", "libelle": "Part des ménages locataires d'un logement HLM", "unite": "part", "annee": 2023,
         "valeur": 0.120, "references": {"departement": {"valeur": 0.201, "position": r.NET_EN_DESSOUS}},
         "evolution": {"annee": 2017, "valeur": 0.117, "sens": r.STABLE}},
    ]}}}
    assert r.synthese_chapitre(resultat) == [
        "Le territoire se distingue nettement du département par des valeurs plus élevées pour la part des "
        "ménages propriétaires de leur résidence principale (67,0\u00a0% contre 46,6\u00a0%). À l'inverse, ses "
        "valeurs sont nettement plus faibles pour la part des ménages locataires d'un logement HLM (12,0\u00a0% "
        "contre 20,1\u00a0%).",
        "Depuis le millésime précédent, les indicateurs du chapitre évoluent peu."]
    # a chapter without sections: its « À retenir » points, as sentences
    assert r.synthese_chapitre({"a_retenir": ["Population : <strong>35 012</strong> en 2021", "Stable."]}) == [
        f"Population : 35{NBSP}012 en 2021. Stable."]


def test_les_nombres_des_propositions_ne_se_coupent_pas():
    """« 4 799 » was cut at the end of a line of the PDF in the proposed synthesis of the
    demography chapter: its « À retenir » points (formatted with a narrow no-break space) were
    re-spaced with ordinary spaces. They keep them now, and a figure typed in a label gets them."""
    from diagnostic_territorial.chapitres import demographie

    # the demo's first « À retenir » point of the demography chapter, by the chapter's own code;
    # 1 250 communes (a département) go through the formats too
    communes = [dict(libelle="Cazères", niveau="commune", codgeo="31135", PMUN=4799.0)] + [
        dict(libelle=f"Commune {k}", niveau="commune", codgeo=f"31{k:03d}", PMUN=24.0) for k in range(1249)]
    pl = pd.DataFrame(communes + [dict(libelle="CC", niveau="territoire", codgeo="200068815", PMUN=34937.0)])
    (point,) = demographie.points_cles(None, demographie.Demographie(2023, 2017, pl, 2019))
    assert point == (f"34{NBSP}937 habitants (population municipale 2019) dans 1{NBSP}250 communes ; la plus peuplée, "
                     f"Cazères, en compte 4{NBSP}799 (13,7\u00a0%).")
    (texte,) = r.synthese_chapitre({"a_retenir": [point, "Médecins généralistes pour 1 000 habitants : "
                                                         "<strong>0,9</strong> en 2018."]})
    assert f"en compte 4{NBSP}799 (13,7\u00a0%)" in texte and f"pour 1{NBSP}000 habitants" in texte
    assert " 799" not in texte and "1 000" not in texte


# --- the end of a chapter, the report's state -----------------------------------------------------

@pytest.fixture
def etude(tmp_path):
    (tmp_path / "analyses").mkdir()
    (tmp_path / "build" / "resultats").mkdir(parents=True)
    return SimpleNamespace(racine=tmp_path, dossier_analyses=tmp_path / "analyses", dossier_build=tmp_path / "build",
                           version_finale=False)


def _affichages(monkeypatch):
    from diagnostic_territorial.rendu import presentation

    affiches = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *a, **k: affiches.append((contenu, k)))
    return affiches


def test_analyse_proposee_puis_celle_du_consultant(etude, monkeypatch):
    from diagnostic_territorial.chapitres import analyse, resultats
    from diagnostic_territorial.livrables.rapport import etat_document

    resultats.enregistrer(etude, "emploi", ["Taux de chômage : <strong>8,3 %</strong> en 2023."])
    resultats.enregistrer_section(etude, "emploi", "activite", "Activité", [], "Un commentaire.", True)
    guide = "<!--\nGuide d'écriture : [proposition] reprend la proposition.\n-->\n"
    fichier = etude.dossier_analyses / "emploi.md"
    fichier.write_text(guide, encoding="utf-8")
    affiches = _affichages(monkeypatch)
    analyse(etude, "emploi")
    contenu, options = affiches[-1]
    assert "Proposition de rédaction" in contenu and "Taux de chômage : 8,3\u00a0% en 2023." in contenu
    assert options.get("contrat") == {"proposition": True}  # recorded as data in the output's metadata
    enregistre = json.loads((etude.dossier_build / "resultats" / "emploi.json").read_text(encoding="utf-8"))
    assert enregistre["propositions"] == 2 and enregistre["analyse"]["origine"] == "proposition"
    assert enregistre["a_retenir"] == ["Taux de chômage : <strong>8,3 %</strong> en 2023."]
    etat = etat_document(etude)
    assert etat.travail and etat.propositions == {"emploi": 2} and "2 propositions de rédaction à relire" in etat.texte

    # the consultant writes his text, keeping the proposal where he wants it
    texte = guide + "Le chômage **recule**.\n\n[Proposition]\n\nÀ suivre avec France Travail.\n"
    fichier.write_text(texte, encoding="utf-8")
    analyse(etude, "emploi")
    contenu, options = affiches[-1]
    assert contenu.startswith('<div class="analyse">') and "<strong>recule</strong>" in contenu
    assert contenu.index("recule") < contenu.index("Taux de chômage") < contenu.index("France Travail")
    assert "[Proposition]" not in contenu and "Proposition de rédaction" not in contenu
    assert not options.get("contrat")
    assert fichier.read_text(encoding="utf-8") == texte  # never rewritten
    enregistre = json.loads((etude.dossier_build / "resultats" / "emploi.json").read_text(encoding="utf-8"))
    assert enregistre["analyse"]["origine"] == "consultant" and enregistre["propositions"] == 1  # the section


def test_version_finale_seulement_sans_rien_a_relire(etude, monkeypatch):
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.livrables import rapport
    from diagnostic_territorial.livrables.rapport import etat_document

    resultats.enregistrer(etude, "emploi", [])
    assert etat_document(etude).travail  # not declared final
    etude.version_finale = True
    assert not etat_document(etude).travail
    # the example plan d'action still there (its detection belongs to livrables.plan_action)
    monkeypatch.setattr(rapport, "_plan_action_exemple", lambda e: True)
    etat = etat_document(etude)
    assert etat.travail and etat.texte == "Ce document contient encore le plan d'action d'exemple fourni avec le modèle."


# --- the demo (slow: generated, executed, rendered) -------------------------------------------------

def test_demo_sans_analyse_a_rediger_avec_propositions_et_document_de_travail(etude_executee):
    """No chapter of the demo ends with « Analyse à rédiger » any more: every section of the catalogue
    chapters and every chapter's end shows a proposal, counted in build/resultats, and the report
    says « Document de travail » on its cover and atop its PDF pages."""
    import re

    from pypdf import PdfReader

    html = (etude_executee / "livrables" / "rapport.html").read_text(encoding="utf-8")
    assert "Analyse à rédiger" not in html and "analyses/" not in html
    couverture = html[html.index('<header class="couverture"'):html.index("</header>")]
    assert "Document de travail" in couverture and "propositions de rédaction à relire" in couverture
    encadres = re.findall(r'<div class="proposition" role="note"><p class="titre-proposition">Proposition de '
                          r"rédaction</p>(.*?)</div>", html)
    resultats = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                 for p in (etude_executee / "build" / "resultats").glob("*.json")}
    # every chapter ends with a proposal, every section of a catalogue chapter has one
    assert all(r["analyse"]["origine"] == "proposition" for r in resultats.values()), sorted(resultats)
    assert len(resultats["emploi"]["sections"]) == 5
    assert all(s["proposition"] and s["commentaire"] for s in resultats["emploi"]["sections"].values())
    assert len(encadres) == sum(r["propositions"] for r in resultats.values())
    # a section's comment gives the rate, its count and its position against the département
    activite = resultats["emploi"]["sections"]["activite"]
    constat_ = next(c for c in activite["indicateurs"] if c["id"] == "taux_activite")
    effectif = constat_["effectif"]
    assert constat_["valeur"] == pytest.approx(effectif["numerateur"] / effectif["denominateur"])
    assert "Le taux d'activité des 15-64 ans est de " in activite["commentaire"]
    assert f"(soit {r.fm.nombre(effectif['numerateur'])} sur {r.fm.nombre(effectif['denominateur'])})" in (
        activite["commentaire"])
    pages = PdfReader(etude_executee / "livrables" / "rapport.pdf").pages

    def texte(page) -> str:  # letter-spaced capitals may come out as « D O C U M E N T »
        return "".join(page.extract_text().lower().split())

    assert "documentdetravail" in texte(pages[0])
    assert "documentdetravail" in texte(pages[3])  # the running header
