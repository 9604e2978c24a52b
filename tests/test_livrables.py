"""Deliverables of the demo study (built once per session by conftest.etude_executee): rapport PDF,
annexes, synthèse, fiches communes, slides, plan d'action; and the plan d'action's validation."""

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml

from diagnostic_territorial.chapitres.plan import CHAPITRES
from diagnostic_territorial.livrables.plan_action import PlanActionInvalide, charger

NOM = "CC Cœur de Garonne"


def normaliser(texte: str) -> str:
    texte = "".join(" " if unicodedata.category(c) == "Zs" else c for c in texte)
    return re.sub(r"\s+", " ", texte)


def textes_pages(chemin: Path) -> list[str]:
    """Text of each page (pypdf, extra « test »: these checks run everywhere, poppler or not).
    pypdf keeps the narrow no-break spaces of the French formats; normaliser() turns them into
    plain spaces, as it does every Unicode space."""
    from pypdf import PdfReader

    return [normaliser(page.extract_text()) for page in PdfReader(chemin).pages]


def texte_pdf(chemin: Path) -> str:
    return normaliser(" ".join(textes_pages(chemin)))


def pages_pdf(chemin: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(chemin).pages)


@pytest.fixture(scope="module")
def livrables(etude_executee) -> Path:
    return etude_executee / "livrables"


@pytest.fixture(scope="module")
def points(etude_executee) -> list[str]:
    tous = []
    for c in CHAPITRES:
        chemin = etude_executee / "build" / "resultats" / f"{c.cle}.json"
        if c.cle != "synthese" and chemin.exists():
            tous += json.loads(chemin.read_text(encoding="utf-8")).get("a_retenir", [])
    return tous


def test_tous_les_livrables_produits(livrables):
    for nom in ("rapport.html", "rapport.pdf", "synthese.html", "synthese.pdf", "fiches-communes.pdf",
                "presentation.slides.html", "plan-action.html", "plan-action.pdf"):
        chemin = livrables / nom
        assert chemin.is_file() and chemin.stat().st_size > 1000, nom
    assert not list(livrables.glob(".*.tmp")), "fichier temporaire laissé dans livrables/"


def test_rapport_pdf(livrables):
    texte = texte_pdf(livrables / "rapport.pdf")
    assert NOM in texte and "Sommaire" in texte
    for numero, c in enumerate(CHAPITRES, start=1):
        assert f"{numero}. {c.titre}" in texte, c.titre
    assert "21 800 €" in texte  # Filosofi 2019, EPCI
    assert "34 937" in texte  # populations légales 2019
    # sommaire with page numbers (leaders), annexes
    assert re.search(r"1\. Dynamique démographique \.{5,} ?\d+", texte)
    assert "Annexe B. Sources et millésimes" in texte
    assert "Insee, Filosofi 2019" in texte and "Insee, populations légales 2019" in texte
    assert "Annexe C. Méthode et définitions des indicateurs" in texte
    for terme in ("Revenu disponible médian", "Indice de jeunesse", "Unité de consommation", "Secret statistique"):
        assert terme in texte, terme
    assert "Annexe A. Plan d'action" in texte
    assert pages_pdf(livrables / "rapport.pdf") >= 20


def test_rapport_html_annexes_et_autonome(livrables):
    html = (livrables / "rapport.html").read_text(encoding="utf-8")
    for ancre in ("annexe-plan-action", "annexe-sources", "annexe-methode"):
        assert f'id="{ancre}"' in html and f'href="#{ancre}"' in html, ancre
    assert '<script src="http' not in html and '<link rel="stylesheet" href="http' not in html
    assert html.count('class="carte-interactive"') >= 1  # interactive maps kept in the HTML


def test_rapport_html_leger_avec_toutes_ses_cartes(livrables):
    """Leaflet once (cartes_partagees) and no hidden static image: the demo's screen report stays
    under 5 MB with every interactive map; its print version (source of the PDF) has the static maps."""
    html = (livrables / "rapport.html").read_text(encoding="utf-8")
    impression = (livrables.parent / "build" / "rapport-impression.html").read_text(encoding="utf-8")
    cartes = html.count('<div class="carte-interactive">')
    assert cartes >= 30  # the demo maps every indicator of its chapters by commune
    assert impression.count('<div class="carte-interactive">') == cartes
    assert impression.count('<div class="carte-statique">') == cartes and html.count('<div class="carte-statique">') == 0
    assert html.count("Leaflet 1.9.3, a JS library for interactive maps") == 1
    assert len(html.encode("utf-8")) <= 5_000_000


def analyse_enjeux(etude):
    """The forces, fragilités and enjeux of the demo, derived here from its build/resultats/ by the
    rules of chapitres/enjeux.py (the deliverables must show these)."""
    from diagnostic_territorial.chapitres import enjeux
    from diagnostic_territorial.configuration.etude import Etude

    return enjeux.analyser(Etude.charger(etude / "etude.yaml"))


def test_synthese(etude_executee, livrables):
    texte = texte_pdf(livrables / "synthese.pdf")
    for attendu in (NOM, "Synthèse du diagnostic", "Chiffres clés", "Haute-Garonne", "Occitanie", "France",
                    "21 800 €", "34 937", "Part des 60 ans ou plus", "Forces et fragilités",
                    "Enjeux proposés pour la Convention territoriale globale", "Méthode"):
        assert attendu in texte, attendu
    assert "1. dynamique démographique" in texte.lower()  # box titles are set in capitals
    assert pages_pdf(livrables / "synthese.pdf") <= 12
    html = (livrables / "synthese.html").read_text(encoding="utf-8")
    assert "Chiffres clés" in html
    # Each proposed enjeu, with the figures of its first finding and a chart (an embedded PNG).
    s = analyse_enjeux(etude_executee)
    assert len(s.enjeux) >= 3 and s.cadre == "ctg"
    for e in s.enjeux:
        c = e.constats[0]
        assert normaliser(e.titre) in texte, e.titre
        assert normaliser(c.valeur("territoire")) in texte and normaliser(c.valeur(c.reference)) in texte, c.id
    assert html.count('<img src="data:image/png;base64,') == len(s.enjeux)
    assert "à discuter, compléter et valider par le comité de pilotage de la CTG" in texte


def test_fiches_communes(etude_executee, livrables):
    import yaml

    communes = yaml.safe_load((etude_executee / "etude.yaml").read_text(encoding="utf-8"))["territoire"]["communes"]
    assert len(communes) == 48
    fichiers = sorted((livrables / "fiches-communes").glob("*.pdf"))
    assert len(fichiers) == len(communes)
    par_code = {f.name[:5]: f for f in fichiers}
    for c in communes:
        assert c["code"] in par_code, c
        assert pages_pdf(par_code[c["code"]]) == 2, c["nom"]  # two A4 pages per commune
    # The combined PDF: two pages per commune of the study, each commune's first page names it, and
    # the footer of both pages names the commune (running element)
    pages = textes_pages(livrables / "fiches-communes.pdf")
    assert len(pages) == 2 * len(communes)
    codes_par_page = [re.findall(r"Code commune (\d[\dAB]\d{3})", p) for p in pages]
    assert all(len(codes) == 1 for codes in codes_par_page[::2]) and not any(codes_par_page[1::2]), codes_par_page
    assert sorted(codes[0] for codes in codes_par_page[::2]) == sorted(c["code"] for c in communes)
    assert all(re.search(rf"· {codes[0]}(?!\d)", p1) and re.search(rf"· {codes[0]}(?!\d)", p2)
               for codes, p1, p2 in zip(codes_par_page[::2], pages[::2], pages[1::2]))
    for c in communes[:: max(1, len(communes) // 8)]:  # a sample of the texts
        texte = texte_pdf(par_code[c["code"]])
        assert c["nom"] in texte and NOM.lower() in texte.lower() and "Haute-Garonne" in texte, c["nom"]
    # Real figures, checked by hand in donnees_demo/: Cazères (31135), population municipale 2019
    # 4 799 (donnees_communes.csv.gz, PMUN), revenu disponible médian par UC 2019 19 060 €
    # (FILO2019_DISP_COM.csv), the EPCI's 21 800 €; sources and millésimes written on the page.
    cazeres = texte_pdf(par_code["31135"])
    assert "Cazères" in cazeres and "Population municipale 2019" in cazeres
    assert "4 799" in cazeres and "19 060 €" in cazeres and "21 800 €" in cazeres
    assert "Insee, populations légales 2019" in cazeres and "Insee, Filosofi 2019" in cazeres
    # Beside income: Caf, emploi, logement and équipements. Équipements counted in the real BPE 2018
    # (bpe18_ensemble_csv.zip, DEPCOM 31135): C101 2 écoles maternelles, C104 3 élémentaires, D502 1
    # crèche, C201 1 collège; D201 3 médecins généralistes for 4 799 inhabitants: 0,6 pour 1 000.
    for titre in ("Familles et allocataires de la Caf", "Emploi", "Logement", "Équipements présents dans la commune",
                  "Part des foyers allocataires percevant le RSA (2024)", "Taux de chômage des 15-64 ans"):
        assert titre in cazeres, titre
    assert re.search(r"Écoles maternelles \(2018\) \S* ?2 11", cazeres)
    assert re.search(r"Écoles élémentaires \(2018\) \S* ?3 22", cazeres)
    assert re.search(r"Médecins généralistes pour 1 000 habitants \(2018\) \S* ?0,6 ", cazeres)
    # Notes that fit an EPCI; a sign's note only where it appears (Cazères: n.d., no « s »)
    assert "revenus et pauvreté tels que l'Insee les publie pour l'intercommunalité" in cazeres
    assert "n.d. : non disponible" in cazeres and "s : secret statistique" not in cazeres
    # Beaufort (31051): D9/D1 not published by Filosofi (secret statistique) is « s », never 0.
    beaufort = texte_pdf(par_code["31051"])
    assert re.search(r"Rapport interdécile D9/D1 \(2019\) \S* ?s 2,8 3,5", beaufort), beaufort
    assert "23 560 €" in beaufort and "s : secret statistique" in beaufort


def test_fiches_communes_echec_laisse_les_anciennes(etude_executee, livrables, monkeypatch):
    """Every fiche is built in memory before anything is written: a failure while rendering leaves
    the previous fiches and recueil untouched, and no temporary file behind."""
    from diagnostic_territorial.livrables import fiches as module
    from diagnostic_territorial.configuration.etude import Etude

    avant = {f: f.read_bytes() for f in [livrables / "fiches-communes.pdf",
                                          *sorted((livrables / "fiches-communes").glob("*.pdf"))[:3]]}

    def panne(*args, **kwargs):
        raise RuntimeError("panne simulée du rendu")

    monkeypatch.setattr(module, "_document_weasyprint", panne)
    with pytest.raises(RuntimeError, match="panne simulée"):
        module.fiches_communes(Etude.charger(etude_executee / "etude.yaml"))
    for chemin, contenu in avant.items():
        assert chemin.read_bytes() == contenu, chemin.name
    assert not list(livrables.rglob(".*.tmp"))


def test_diaporama(etude_executee, livrables):
    """A slide per proposed enjeu and per key finding, each with its chart (an embedded PNG) and its
    source line; nothing loaded from the network."""
    html = (livrables / "presentation.slides.html").read_text(encoding="utf-8")
    s = analyse_enjeux(etude_executee)
    cles = s.constats_cles()
    assert len(s.enjeux) >= 3 and len(cles) >= len(s.enjeux)
    assert len(re.findall(r'<section class="diapo analyse enjeu"', html)) == len(s.enjeux)
    assert len(re.findall(r'<section class="diapo analyse constat-cle"', html)) == len(cles)
    images = re.findall(r'<img class="graphique" src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', html)
    assert len(images) == len(s.enjeux) + len(cles) + (1 if s.vigilance else 0)  # a chart on the vigilance slide
    assert html.count('<p class="source">Source : ') == len(images)
    from html import unescape

    visible = normaliser(unescape(re.sub(r"<[^>]+>", " ", html)))
    for e in s.enjeux:
        assert normaliser(e.titre) in visible, e.titre
    assert NOM in html and "ArrowRight" in html
    assert not re.search(r'(src|href)="https?:', html)


def test_plan_action_rendu(livrables):
    # the example plan the template's hook wrote for this study (hooks_modele.plan_action_exemple:
    # a CTG of the Haute-Garonne), each constat linked to its chapter by the chapter's number
    texte = texte_pdf(livrables / "plan-action.pdf").replace("’", "'")
    fiche = yaml.safe_load((livrables.parent / "plan_action.yaml").read_text(encoding="utf-8"))["fiches"][0]
    assert fiche["titre"] == "Faciliter l'accès aux droits des familles" and fiche["titre"] in texte
    assert "indicateurs de" in texte.lower() and "porteur" in texte.lower()
    assert "Caf de la Haute-Garonne" in texte and "Convention territoriale globale" in texte
    numeros = {c.cle: (i, c.titre) for i, c in enumerate(CHAPITRES, start=1)}
    assert [c["chapitre"] for c in fiche["constats_lies"]] == ["acces_aux_droits", "parentalite"]
    for constat in fiche["constats_lies"]:
        numero, titre = numeros[constat["chapitre"]]
        assert f"Chapitre {numero}, {titre}" in texte, (numero, titre)


# --- validation of plan_action.yaml -------------------------------------------------------


def ecrire(tmp_path, texte: str) -> Path:
    chemin = tmp_path / "plan_action.yaml"
    chemin.write_text(texte, encoding="utf-8")
    return chemin


FICHE = """fiches:
  - titre: Accueil petite enfance
    objectif: Ouvrir une micro-crèche
    public: Familles
    porteur: Communauté de communes
    calendrier: 2026
    indicateurs_de_suivi: [Places ouvertes]
    constats_lies:
      - chapitre: petite_enfance
        constat: Peu de places d'accueil
"""


def test_plan_action_valide(tmp_path):
    plan = charger(ecrire(tmp_path, FICHE))
    assert plan.fiches[0].titre == "Accueil petite enfance"
    assert plan.fiches[0].constats_lies[0].chapitre_titre == "Petite enfance (0-2 ans)"


def test_plan_action_champ_manquant_nomme_fiche_champ_et_ligne(tmp_path):
    with pytest.raises(PlanActionInvalide) as e:
        charger(ecrire(tmp_path, FICHE.replace("    porteur: Communauté de communes\n", "")))
    message = str(e.value)
    assert "ligne 2" in message and "fiche 1 « Accueil petite enfance »" in message
    assert "champ « porteur » manquant" in message


def test_plan_action_champ_inconnu_et_chapitre_inconnu(tmp_path):
    texte = FICHE.replace("    public: Familles\n", "    publics: Familles\n").replace(
        "chapitre: petite_enfance", "chapitre: petite_enfanse")
    with pytest.raises(PlanActionInvalide) as e:
        charger(ecrire(tmp_path, texte))
    message = str(e.value)
    # one line per problem, in the loader's form: line, fiche, field, problem
    assert ("ligne 4, fiche 1 « Accueil petite enfance », champ « publics » : champ inconnu (vouliez-vous dire "
            "« public » ?)") in message
    assert ("ligne 9, fiche 1 « Accueil petite enfance », champ « constats_lies[1].chapitre » : chapitre inconnu "
            "« petite_enfanse » (vouliez-vous dire « petite_enfance » ?)") in message
    assert "ligne 2, fiche 1 « Accueil petite enfance » : champ « public » manquant" in message


def test_plan_action_yaml_invalide(tmp_path):
    with pytest.raises(PlanActionInvalide) as e:
        charger(ecrire(tmp_path, FICHE.replace("    objectif: Ouvrir", "   objectif: : Ouvrir")))
    assert "ligne" in str(e.value) and "syntaxe YAML invalide" in str(e.value)


def test_plan_action_indicateurs_vides_et_sans_fiche(tmp_path):
    with pytest.raises(PlanActionInvalide) as e:
        charger(ecrire(tmp_path, FICHE.replace("[Places ouvertes]", "[]")))
    assert "ligne 7" in str(e.value) and "indicateurs_de_suivi" in str(e.value)
    with pytest.raises(PlanActionInvalide, match="aucune fiche action"):
        charger(ecrire(tmp_path, "fiches: []\n"))


def test_plan_action_invalide_en_ligne_de_commande(etude_executee, tmp_path):
    etude = tmp_path / "etude"
    etude.mkdir()
    shutil.copy(etude_executee / "etude.yaml", etude / "etude.yaml")
    (etude / "plan_action.yaml").write_text(FICHE.replace("    calendrier: 2026\n", ""), encoding="utf-8")
    env_python = [sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"), "plan-action"]
    r = subprocess.run(env_python, capture_output=True, text=True, cwd=etude,
                       env={"PYTHONPATH": str(etude_executee / "src"), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 2, r.stderr
    assert "champ « calendrier » manquant" in r.stderr and "Traceback" not in r.stderr
    assert not (etude / "livrables" / "plan-action.html").exists()


def _arrondi(x):
    if isinstance(x, float):
        return float(f"{x:.10g}")
    if isinstance(x, dict):
        return {k: _arrondi(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_arrondi(v) for v in x]
    return x


def test_chiffres_de_la_demo_inchanges(etude_executee):
    """The demo's findings and key figures (build/resultats: « À retenir » of every chapter and the
    territory / département / région / France values behind them) are those recorded in
    tests/fixtures/demo_resultats.json before the consolidation of the library (issue 15): moving
    the catalogue into data files, the per-study cache or a new engine must not change a number."""
    reference = json.loads((Path(__file__).parent / "fixtures" / "demo_resultats.json").read_text(encoding="utf-8"))
    actuels = {p.stem: _arrondi(json.loads(p.read_text(encoding="utf-8")))
               for p in sorted((etude_executee / "build" / "resultats").glob("*.json"))}
    assert sorted(actuels) == sorted(reference)
    for chapitre, attendu in reference.items():
        assert actuels[chapitre]["a_retenir"] == attendu["a_retenir"], chapitre
        assert _ecarts(actuels[chapitre]["chiffres"], attendu["chiffres"], chapitre) == []


def _ecarts(actuel, attendu, chemin: str) -> list[str]:
    """Where two recorded structures differ (numbers compared to 1e-9 relative: the order of a sum
    may change its last bits, not its value)."""
    import math

    if isinstance(attendu, dict) and isinstance(actuel, dict):
        if sorted(actuel) != sorted(attendu):
            return [f"{chemin} : clés {sorted(set(actuel) ^ set(attendu))}"]
        return [e for k in attendu for e in _ecarts(actuel[k], attendu[k], f"{chemin}.{k}")]
    if isinstance(attendu, float) and isinstance(actuel, (int, float)):
        return [] if math.isclose(actuel, attendu, rel_tol=1e-9, abs_tol=1e-12) else [f"{chemin} : {actuel} au lieu de {attendu}"]
    return [] if actuel == attendu else [f"{chemin} : {actuel!r} au lieu de {attendu!r}"]


def test_notes_des_fiches_selon_le_type_de_territoire():
    """The fiche's note says what the territory's column is, in the words of its type."""
    import types

    import pandas as pd

    from diagnostic_territorial.livrables.fiches import _notes_territoire

    def etude(type_, n, nom="Territoire"):
        return types.SimpleNamespace(type_territoire=type_, nom_territoire=nom,
                                     communes=pd.DataFrame({"code": [f"31{i:03d}" for i in range(n)]}))

    revenus = {"pop", "q2"}
    (epci,) = _notes_territoire(etude("epci", 48, "CC Cœur de Garonne"), revenus)
    assert epci == ("CC Cœur de Garonne : taux calculés sur l'ensemble de ses 48 communes ; revenus et pauvreté "
                    "tels que l'Insee les publie pour l'intercommunalité, jamais une moyenne des communes.")
    (dep,) = _notes_territoire(etude("departement", 586, "Haute-Garonne"), revenus)
    assert "pour le département" in dep and "586 communes" in dep
    (liste,) = _notes_territoire(etude("communes", 3, "Trois communes"), revenus)
    assert liste == ("Trois communes : ensemble des 3 communes retenues pour l'étude, taux calculés sur leur "
                     "ensemble ; l'Insee ne publie ni revenu médian ni taux de pauvreté pour un regroupement de "
                     "communes qui n'est pas une intercommunalité.")
    assert "revenu" not in _notes_territoire(etude("communes", 3), {"pop"})[0]  # no income: not said
    assert _notes_territoire(etude("communes", 1), revenus) == [
        "Territoires de référence : l'intercommunalité de la commune et son département."]
