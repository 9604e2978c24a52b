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

from diagnostic_territorial.plan import CHAPITRES
from diagnostic_territorial.plan_action import PlanActionInvalide, charger

NOM = "CC Cœur de Garonne"


def normaliser(texte: str) -> str:
    texte = "".join(" " if unicodedata.category(c) == "Zs" else c for c in texte)
    return re.sub(r"\s+", " ", texte)


def texte_pdf(chemin: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext absent (paquet poppler-utils)")
    sortie = subprocess.run(["pdftotext", "-layout", str(chemin), "-"], capture_output=True, text=True, check=True)
    return normaliser(sortie.stdout)


def pages_pdf(chemin: Path) -> int:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo absent (paquet poppler-utils)")
    sortie = subprocess.run(["pdfinfo", str(chemin)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", sortie).group(1))


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


def test_synthese(livrables):
    texte = texte_pdf(livrables / "synthese.pdf")
    for attendu in (NOM, "Synthèse du diagnostic", "Chiffres clés", "Haute-Garonne", "Occitanie", "France",
                    "21 800 €", "34 937", "Part des 60 ans ou plus"):
        assert attendu in texte, attendu
    assert "1. dynamique démographique" in texte.lower()  # box titles are set in capitals
    assert pages_pdf(livrables / "synthese.pdf") <= 6
    assert "Chiffres clés" in (livrables / "synthese.html").read_text(encoding="utf-8")


def test_fiches_communes(etude_executee, livrables):
    import yaml

    communes = yaml.safe_load((etude_executee / "etude.yaml").read_text(encoding="utf-8"))["territoire"]["communes"]
    assert len(communes) == 48
    fichiers = sorted((livrables / "fiches-communes").glob("*.pdf"))
    assert len(fichiers) == len(communes)
    assert pages_pdf(livrables / "fiches-communes.pdf") == len(communes)
    par_code = {f.name[:5]: f for f in fichiers}
    for c in communes:
        assert c["code"] in par_code, c
    for c in communes[:: max(1, len(communes) // 8)]:  # a sample: pdftotext costs ~20 ms a file
        texte = texte_pdf(par_code[c["code"]])
        assert c["nom"] in texte and NOM.lower() in texte.lower() and "Haute-Garonne" in texte, c["nom"]
        assert pages_pdf(par_code[c["code"]]) == 1
    cazeres = texte_pdf(par_code["31135"])
    assert "4 799" in cazeres and "21 800 €" in cazeres


def test_diaporama(livrables, points):
    html = (livrables / "presentation.slides.html").read_text(encoding="utf-8")
    diapos = re.findall(r'<section class="diapo\b', html)
    assert len(diapos) == 1 + len(points) and len(points) >= 5
    assert NOM in html and "ArrowRight" in html
    assert not re.search(r'(src|href)="https?:', html)


def test_plan_action_rendu(livrables):
    texte = texte_pdf(livrables / "plan-action.pdf")
    assert "Faciliter l'accès aux droits des personnes âgées isolées" in texte.replace("’", "'")
    assert "indicateurs de" in texte.lower() and "porteur" in texte.lower()
    assert "Chapitre 1, Dynamique démographique" in texte


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
    assert "ligne 4" in message and "champ inconnu « publics » (vouliez-vous dire « public » ?)" in message
    assert "chapitre inconnu « petite_enfanse » (vouliez-vous dire « petite_enfance » ?)" in message
    assert "champ « public » manquant" in message


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
