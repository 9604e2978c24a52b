"""The typed layer of a study's files (issue 15): etude.yaml, observation_ciblee.yaml,
plan_action.yaml and enquete/questionnaire.yaml are read by one loader (config_yaml.charger) and
validated by their pydantic models (configuration/etude_modeles.py); every mistake is named with the
file, the line, the entry and the field, in French, and the objects the rest of the library uses
(Etude, Definition, PlanAction, Questionnaire) keep their shape."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.configuration import etude_modeles
from diagnostic_territorial.configuration.etude import Etude, contexte_etude, ecrire_etude_yaml
from diagnostic_territorial.enquete.questionnaire import charger_questionnaire
from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial.indicateurs import observation
from diagnostic_territorial.livrables import plan_action
from diagnostic_territorial.territoire.resolution import resoudre

from conftest import RACINE

MODELE = RACINE / "{{cookiecutter.territoire}}"
# Each file the consultant edits, and the function of the library that loads it.
CHARGEURS = {
    "etude.yaml": Etude.charger,
    "observation_ciblee.yaml": observation.lire,
    "plan_action.yaml": plan_action.charger,
    "enquete/questionnaire.yaml": charger_questionnaire,
}


@pytest.fixture(scope="module")
def etude_generee(tmp_path_factory) -> Path:
    """A study as cookiecutter generates it (etude.yaml written by the hook), never modified."""
    return Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(tmp_path_factory.mktemp("generee"))))


def lire_yaml(chemin: Path):
    return yaml.safe_load(chemin.read_text(encoding="utf-8"))


def problemes(fichier: str, chemin: Path) -> list[str]:
    """The problems the library names when it loads `chemin` (a file of kind `fichier`), one line
    each, the file named at its start (PlanActionInvalide keeps its path apart, for the report)."""
    try:
        CHARGEURS[fichier](chemin)
    except ErreurDiagnostic as e:
        lignes = list(getattr(e, "problemes", None) or [str(e)])
        return [ligne if ligne.startswith(str(chemin)) else f"{chemin}, {ligne}" for ligne in lignes]
    return []


# --- 1. Every example file of the template goes through the typed layer ---------------------------


def test_chaque_fichier_d_exemple_du_modele_est_lu_par_la_couche_typee(etude_generee):
    # every YAML file the template ships (and etude.yaml, written by the hook) has its loader
    exemples = {p.relative_to(MODELE).as_posix() for p in MODELE.rglob("*.yaml")}
    assert exemples | {"etude.yaml"} == set(CHARGEURS)
    for racine in (MODELE, etude_generee):
        for fichier in sorted(exemples | ({"etude.yaml"} if racine == etude_generee else set())):
            assert problemes(fichier, racine / fichier) == [], (racine, fichier)

    # etude.yaml: the model, then the Etude, against the plain YAML
    chemin = etude_generee / "etude.yaml"
    brut = lire_yaml(chemin)
    modele = config_yaml.charger(chemin, etude_modeles.FichierEtude, contexte=contexte_etude())
    assert [c.code for c in modele.territoire.communes] == [c["code"] for c in brut["territoire"]["communes"]]
    etude = Etude.charger(chemin)
    assert list(etude.communes["code"]) == [c["code"] for c in brut["territoire"]["communes"]]
    assert etude.millesimes_demandes == brut["millesimes"]
    assert etude.thematiques == brut["etude"]["thematiques"] and etude.nom_territoire == brut["territoire"]["nom"]
    assert etude.version_finale is (brut["etude"].get("version_finale") is True)
    assert etude.workers == brut["execution"]["workers"] and etude.brut == brut

    # observation_ciblee.yaml
    for racine in (MODELE, etude_generee):
        chemin = racine / "observation_ciblee.yaml"
        brut = lire_yaml(chemin)["indicateurs"]
        modele = config_yaml.charger(chemin, etude_modeles.FichierObservation,
                                     contexte=observation.contexte_validation())
        assert [m.id for m in modele.indicateurs] == [b["id"] for b in brut]
        definitions = observation.lire(chemin)
        assert [(d.id, d.type, d.libelle) for d in definitions] == [(b["id"], b["type"], b["libelle"]) for b in brut]
        for d, b in zip(definitions, brut):
            assert [c["indicateur"] for c in d.composantes] == [c["indicateur"] for c in b.get("composantes", [])]
            assert [c["poids"] for c in d.composantes] == [c["poids"] for c in b.get("composantes", [])]
            assert d.reponses == [str(r) for r in b.get("reponses", [])]
            assert d.ligne == next(i for i, l in enumerate(chemin.read_text(encoding="utf-8").splitlines(), 1)
                                   if l.strip() == f"- id: {b['id']}")

    # plan_action.yaml
    for racine in (MODELE, etude_generee):
        chemin = racine / "plan_action.yaml"
        brut = lire_yaml(chemin)
        plan = plan_action.charger(chemin)
        assert plan.titre == brut.get("titre", "Plan d'action")
        assert [f.titre for f in plan.fiches] == [f["titre"] for f in brut["fiches"]]
        for fiche, b in zip(plan.fiches, brut["fiches"]):
            assert fiche.indicateurs_de_suivi == b["indicateurs_de_suivi"]
            assert fiche.partenaires == b.get("partenaires", [])
            assert [c.chapitre for c in fiche.constats_lies] == [c.get("chapitre") if isinstance(c, dict) else None
                                                                  for c in b["constats_lies"]]
            assert all(c.chapitre_titre for c in fiche.constats_lies if c.chapitre)

    # enquete/questionnaire.yaml
    for racine in (MODELE, etude_generee):
        chemin = racine / "enquete" / "questionnaire.yaml"
        brut = lire_yaml(chemin)
        q = charger_questionnaire(chemin)
        assert q.simule is brut["enquete"]["simule"] and q.fichier == brut["enquete"]["fichier"]
        assert [x.cle for x in q.questions] == [x["cle"] for x in brut["questions"]]
        for x, b in zip(q.questions, brut["questions"]):
            assert [m.code for m in x.modalites] == [str(c) for c in (b.get("codes") or {})]
            assert list(x.croiser) == b.get("croiser", [])


# --- 2. A mistake in each file: the file, the line, the entry, the field, in French ---------------

ETUDE = "etude.yaml"
OBS = "observation_ciblee.yaml"
PLAN = "plan_action.yaml"
QUEST = "enquete/questionnaire.yaml"

CAS = [
    # (file, text replaced, by, text of the line named, entry named, field named, words of the problem)
    (ETUDE, "  consultant: Cabinet\n", "  consultant: Cabinet\n  consultnat: Autre\n", "consultnat", "",
     "champ « etude.consultnat »", ["champ inconnu", "(vouliez-vous dire « consultant » ?)"]),
    (ETUDE, "  workers: 0\n", "  workers: 0\nenquete:\n  publier_verbatims: yes\n", "publier_verbatims", "",
     "champ « enquete.publier_verbatims »", ["« yes » n'est pas une valeur oui/non reconnue", "oui / non"]),
    (ETUDE, "  workers: 0\n", "  workers: 0\nenquete:\n  seuil: 3\n", "seuil", "", "champ « enquete.seuil »",
     ["seuil de 3 refusé", "5 ou plus"]),
    (ETUDE, "  filosofi: 2019\n", "  filosofi: hier\n", "filosofi: hier", "", "champ « millesimes.filosofi »",
     ["« hier » n'est ni une année ni « dernier »"]),
    (ETUDE, "  rp: 2019\n", "  rp: 2019\n  rp_logement: 2019\n", "rp_logement", "", "champ « millesimes.rp_logement »",
     ["n'a pas de millésime à part", "lue au millésime de « rp »"]),
    (ETUDE, "  rp: 2019\n", "  rp: 2019\n  caf_comunes: 2020\n", "caf_comunes", "", "champ « millesimes.caf_comunes »",
     ["source inconnue", "« caf_communes »"]),
    (ETUDE, "- code: '31135'", "- code: '31999'", "31999", "", "champ « territoire.communes[",
     ["].code » : ", "« 31999 »"]),
    (OBS, "{indicateur: revenu_median, poids: -1}", "{indicateur: revenu_median, poids: moins}", "poids: moins",
     "indicateur « indice_fragilite », composante n° 3", "champ « poids »",
     ["champ mal formé (« moins » n'est pas un nombre"]),
    (OBS, "    unite: part\n", "    unite: part\n    unitee: part\n", "unitee", "indicateur « part_tres_ages »",
     "champ « unitee »", ["champ inconnu (vouliez-vous dire « unite » ?)"]),
    (OBS, "    numerateur: P_POP80P\n", "    source: rp_logemnt\n    numerateur: P_POP80P\n", "rp_logemnt",
     "indicateur « part_tres_ages »", "champ « source »", ["source « rp_logemnt » inconnue", "rp_logement"]),
    (OBS, "    horizon: 2030\n", "    horizon: 2030.5\n", "2030.5", "indicateur « population_2030 »",
     "champ « horizon »", ["champ mal formé (« 2030.5 » n'est pas un nombre entier"]),
    (PLAN, "    porteur: Centre intercommunal d'action sociale (CIAS)\n", "", "- titre: Faciliter",
     "fiche 1 « Faciliter l'accès aux droits des personnes âgées isolées »", "", ["champ « porteur » manquant"]),
    (PLAN, "    priorite: haute\n", "    priorite: urgente\n", "urgente", "fiche 1 « Faciliter", "champ « priorite »",
     ["« urgente »", "haute, moyenne, basse"]),
    (PLAN, "      - chapitre: demographie\n", "      - chapitre: demografie\n", "demografie", "fiche 1 « Faciliter",
     "champ « constats_lies[1].chapitre »", ["chapitre inconnu « demografie »", "« demographie »"]),
    (PLAN, "    priorite: haute\n", "    priorite: haute\n    budjet: 10 000 €\n", "budjet", "fiche 1 « Faciliter",
     "champ « budjet »", ["champ inconnu (vouliez-vous dire « budget » ?)"]),
    (QUEST, "  simule: true", "  simule: peut-être", "simule: peut-être", "", "champ « enquete.simule »",
     ["« peut-être » n'est pas une valeur oui/non reconnue"]),
    (QUEST, "croiser: [tranche_age, commune]", "croiser: [tranche_age, comune]", "comune",
     "question « satisfaction_cadre »", "champ « croiser »", ["croisement inconnu", "« commune »"]),
    (QUEST, "A5: {libelle: 75 ans ou plus, rp: [P_POP7589, P_POP90P]}", "A5: {libelle: 75 ans ou plus, rp: {P: 1}}",
     "A5:", "question « age », code « A5 »", "champ « rp »", ["« rp » doit être une variable du recensement"]),
    (QUEST, "    colonne: Q08\n", "    colone: Q08\n", "colone", "question « renoncement »", "champ « colone »",
     ["champ inconnu (vouliez-vous dire « colonne » ?)"]),
    (QUEST, "    colonne: Q01\n    type: echelle\n", "    colonne: Q01\n    type: échelle\n", "échelle", "question « satisfaction_cadre »",
     "champ « type »", ["type « échelle » inconnu", "echelle"]),
]


@pytest.fixture
def fichiers(tmp_path) -> Path:
    """A study's files: the template's examples and etude.yaml as the hook writes it (RP 2019)."""
    for nom in (OBS, PLAN, QUEST):
        (tmp_path / nom).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / nom).write_bytes((MODELE / nom).read_bytes())
    ecrire_etude_yaml(tmp_path / ETUDE, resoudre("200068815"), "cc-coeur-de-garonne", "Cabinet", 2019, 2019, "CTG")
    return tmp_path


@pytest.mark.parametrize("fichier,avant,apres,repere,entree,champ,mots", CAS,
                         ids=[f"{c[0]}-{c[3]}" for c in CAS])
def test_erreur_nomme_fichier_ligne_entree_et_champ(fichiers, fichier, avant, apres, repere, entree, champ, mots):
    chemin = fichiers / fichier
    texte = chemin.read_text(encoding="utf-8")
    assert texte.count(avant) == 1, avant
    texte = texte.replace(avant, apres)
    chemin.write_text(texte, encoding="utf-8")
    ligne = next(i for i, l in enumerate(texte.splitlines(), 1) if repere in l)
    (message,) = problemes(fichier, chemin)  # one mistake, one line
    assert message.startswith(f"{chemin}, ligne {ligne}, "), message
    localisation, probleme = message.split(" : ", 1)
    assert entree in localisation and champ in message, message
    for mot in mots:
        assert mot in message, message


def test_plusieurs_erreurs_toutes_nommees_dans_l_ordre_du_fichier(fichiers):
    chemin = fichiers / PLAN
    texte = chemin.read_text(encoding="utf-8").replace("    public: ", "    publics: ").replace(
        "    priorite: haute", "    priorite: [haute]").replace("    calendrier: ", "    calendrier:\n      - ")
    chemin.write_text(texte, encoding="utf-8")
    with pytest.raises(plan_action.PlanActionInvalide) as exc:
        plan_action.charger(chemin)
    lignes = exc.value.problemes
    numeros = [int(l.split(",")[0].removeprefix("ligne ")) for l in lignes]
    assert numeros == sorted(numeros) and len(lignes) == 4, lignes
    assert any("champ « public » manquant" in l for l in lignes)
    assert any("champ « publics » : champ inconnu (vouliez-vous dire « public » ?)" in l for l in lignes)
    assert any("champ « priorite » : « [" in l for l in lignes)
    assert any("champ « calendrier » : un texte est attendu, pas une liste" in l for l in lignes)
    assert str(chemin) not in "".join(lignes)  # the annex of the report may show them: no path


@pytest.mark.parametrize("fichier", list(CHARGEURS))
def test_fichier_non_utf8_ou_cle_en_double_nomme_avec_sa_ligne(fichiers, fichier):
    chemin = fichiers / fichier
    lignes = chemin.read_text(encoding="utf-8").splitlines(keepends=True)
    chemin.write_bytes("".join(lignes[:2]).encode() + "# Cœur de Garonne\n".encode("cp1252")
                       + "".join(lignes[2:]).encode())
    (message,) = problemes(fichier, chemin)
    assert message.startswith(f"{chemin}, ligne 3 : le fichier n'est pas encodé en UTF-8"), message
    assert "Garonne" not in message  # nothing of the file's content is echoed
    # a key written twice (YAML would silently keep the last one)
    premiere = next(l for l in lignes if l.strip() and not l.startswith(("#", " ", "-")))
    numero = lignes.index(premiere) + 1
    chemin.write_text("".join(lignes) + premiere, encoding="utf-8")
    (message,) = problemes(fichier, chemin)
    cle = premiere.split(":")[0]
    assert message.startswith(f"{chemin}, ligne {len(lignes) + 1} : la clé « {cle} » est écrite deux fois"), message
    assert f"(d'abord ligne {numero})" in message


@pytest.mark.parametrize("ecrit, attendu", [("oui", True), ("Non", False), ("vrai", True), ("FAUX", False),
                                            ("true", True), ("false", False), ("", None)])
def test_interrupteurs_strictement_booleens(fichiers, ecrit, attendu):
    chemin = fichiers / ETUDE
    base = chemin.read_text(encoding="utf-8").replace("  version_finale: false\n", "")
    chemin.write_text(base + f"enquete:\n  publier_verbatims: {ecrit}\n  ponderation: {ecrit}\n", encoding="utf-8")
    modele = config_yaml.charger(chemin, etude_modeles.FichierEtude, contexte=contexte_etude())
    assert modele.enquete.publier_verbatims is attendu and modele.enquete.ponderation is attendu
    for refuse in ("yes", "on", "1", "'non merci'"):
        chemin.write_text(base + f"enquete:\n  publier_verbatims: {refuse}\n", encoding="utf-8")
        (message,) = problemes(ETUDE, chemin)
        assert f"ligne {len(base.splitlines()) + 2}, champ « enquete.publier_verbatims » : « " in message


def test_make_verifier_une_ligne_par_probleme_de_chaque_fichier(fichiers):
    """config_yaml.verifier_etude (« make verifier »): every problem of every file, one line each,
    the study's path left out."""
    chemin = fichiers / ETUDE
    chemin.write_text(chemin.read_text(encoding="utf-8").replace("  workers: 0", "  workers: tous\n  parallele: 2"),
                      encoding="utf-8")
    observation_ = fichiers / OBS
    observation_.write_text(observation_.read_text(encoding="utf-8").replace("type: prospectif", "type: futur"),
                            encoding="utf-8")
    trouves, verifies = config_yaml.verifier_etude(fichiers)
    assert {"etude.yaml", OBS, PLAN, QUEST} <= set(verifies)
    assert any(p.startswith("etude.yaml, ligne ") and "champ « execution.workers » : « tous »" in p for p in trouves)
    assert any(p.startswith("etude.yaml, ligne ") and "champ « execution.parallele » : champ inconnu" in p
               for p in trouves)
    assert any(p.startswith(f"{OBS}, ligne ") and "type « futur » inconnu" in p for p in trouves)
    assert len(trouves) == 3 and str(fichiers) not in "".join(trouves), trouves
