"""Adversarial inputs (issue 14): what a user writes is data, never a template nor code; switches
accept only real yes/no values; every mistake in a file the consultant edits is named (file, line,
field) in French, without a traceback, and nothing is written when an input is refused."""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostic_territorial import cli

from diagnostic_territorial.configuration import chargement as config_yaml

from diagnostic_territorial.execution import multi

from diagnostic_territorial.indicateurs import observation
from diagnostic_territorial.configuration.chargement import ConfigInvalide
from diagnostic_territorial.erreurs import EtudeInvalide
from diagnostic_territorial.configuration.etude import Etude

from conftest import RACINE, copie_etude, make

MODELES = ["{{ 7*7 }}", "{% if true %}x{% endif %}", "{# note #}mobilite", "fin }}", "x %}"]


def generer(sortie: Path, **reponses) -> Path:
    return Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(sortie), extra_context=reponses))


def empreinte(dossier: Path) -> dict[str, str]:
    """Every file of a folder and the hash of its content."""
    return {p.relative_to(dossier).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(dossier.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def cookiecutter_cli(sortie: Path, *args: str, entree: str | None = None) -> subprocess.CompletedProcess:
    commande = [sys.executable, "-m", "cookiecutter", str(RACINE), "--output-dir", str(sortie)]
    commande += [] if entree is not None else ["--no-input"]
    return subprocess.run(commande + list(args), input=entree, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(RACINE / "src")})


@pytest.fixture(scope="module")
def etude_vierge(tmp_path_factory) -> Path:
    """A study as generated (no data): never modified, tests work on copies."""
    return generer(tmp_path_factory.mktemp("vierge"))


# --- 1. Cookiecutter answers are data -------------------------------------------------------------

@pytest.mark.parametrize("question", ["territoire", "code_territoire", "consultant", "thematiques", "millesime_rp",
                                      "millesime_filosofi"])
@pytest.mark.parametrize("valeur", MODELES)
def test_reponse_avec_balise_de_modele_refusee_sans_rien_ecrire(tmp_path, capfd, question, valeur):
    reponses = {"territoire": "etude-refusee", question: valeur}
    with pytest.raises(FailedHookException):
        generer(tmp_path, **reponses)
    err = capfd.readouterr().err
    assert f"Réponse « {question} » : « {valeur} » contient" in err and "balise de modèle : valeur refusée" in err
    assert list(tmp_path.iterdir()) == []  # no study, and no « 49 » folder: nothing was evaluated


def test_expression_jinja_en_ligne_de_commande_jamais_evaluee(tmp_path):
    """cookiecutter renders --no-input answers as Jinja before any hook: without the template's
    extension, this answer ran a shell command. It reaches the hook literally and is refused."""
    temoin = tmp_path / "execute"
    sortie = tmp_path / "sortie"
    sortie.mkdir()
    charge = "{{ cycler.__init__.__globals__.os.system('touch " + str(temoin) + "') }}"
    r = cookiecutter_cli(sortie, f"consultant={charge}", "territoire={{ 7*7 }}")
    assert r.returncode == 1
    assert "Réponse « consultant »" in r.stderr and "Réponse « territoire » : « {{ 7*7 }} »" in r.stderr
    assert not temoin.exists()
    assert list(sortie.iterdir()) == []


def test_reponse_interactive_avec_balise_refusee_et_accolades_simples_gardees(tmp_path):
    # territoire, code, millésime RP, millésime Filosofi, consultant, cadre (code), thématiques
    r = cookiecutter_cli(tmp_path, entree="etude-interactive\n\n\n\n{% raw %}x{% endraw %}\nctg\n\n")
    assert r.returncode == 1 and "Réponse « consultant » : « {% raw %}x{% endraw %} »" in r.stderr
    assert list(tmp_path.iterdir()) == []
    r = cookiecutter_cli(tmp_path, entree="etude-interactive\n\n\n\nCabinet {Durand} & 100 %\nabs\n\n")
    assert r.returncode == 0, r.stderr
    etude = yaml.safe_load((tmp_path / "etude-interactive" / "etude.yaml").read_text(encoding="utf-8"))["etude"]
    assert etude["consultant"] == "Cabinet {Durand} & 100 %"
    assert etude["sous_titre"] == "Analyse des besoins sociaux (ABS)"


@pytest.mark.parametrize("cadre, attendu", [
    ("ABS", "Analyse des besoins sociaux (ABS)"),
    (" dst ", "Diagnostic social de territoire"),
    ("Diagnostic préalable à la Convention territoriale globale (CTG)",
     "Diagnostic préalable à la Convention territoriale globale (CTG)"),
])
def test_cadre_code_ou_intitule_accepte(tmp_path, cadre, attendu):
    r = cookiecutter_cli(tmp_path, f"cadre={cadre}")
    assert r.returncode == 0, r.stderr
    etude = yaml.safe_load((tmp_path / "cc-coeur-de-garonne" / "etude.yaml").read_text(encoding="utf-8"))["etude"]
    assert etude["sous_titre"] == attendu
    assert f"{attendu}. Étude réalisée par" in (tmp_path / "cc-coeur-de-garonne" / "README.md").read_text(encoding="utf-8")


def test_cadre_invalide_refuse_en_francais_sans_traceback(tmp_path):
    """A cookiecutter choice list failed with an English ValueError traceback before any hook."""
    r = cookiecutter_cli(tmp_path, "cadre=convention")
    assert r.returncode == 1
    assert "Cadre de l'étude « convention » inconnu : répondez abs" in r.stderr
    assert "ctg (Diagnostic préalable à la Convention territoriale globale (CTG))" in r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("nom, message", [
    ("a" * 101, "Nom de dossier trop long : 101 caractères"),
    ("a" * 300, "Nom de dossier trop long : 300 caractères"),  # beyond what the file system accepts
    ("../ailleurs", "Nom de dossier invalide : « ../ailleurs »"),
    ("sous/dossier", "Nom de dossier invalide : « sous/dossier »"),
])
def test_nom_de_dossier_trop_long_ou_invalide_refuse(tmp_path, nom, message):
    sortie = tmp_path / "sortie"
    sortie.mkdir()
    r = cookiecutter_cli(sortie, f"territoire={nom}")
    assert r.returncode == 1 and message in r.stderr
    assert "OSError" not in r.stderr
    assert list(sortie.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["sortie"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("{}%#-+ 'ab\"\\\n")) | st.characters(), max_size=60))
def test_extension_rend_toute_reponse_a_l_identique(texte):
    """The template's extension turns an answer into a template that prints it unchanged."""
    sys.path.insert(0, str(RACINE))
    try:
        import reponses_litterales
    finally:
        sys.path.remove(str(RACINE))
    from jinja2 import Environment, StrictUndefined

    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True)
    assert env.from_string(reponses_litterales.litteral(texte)).render() == texte


# --- multi: every field of a territories file ------------------------------------------------------

@pytest.mark.parametrize("contenu, ligne, message", [
    ("territoires:\n  - 200068815\n  - code: '31003,31010'\n    dossier: '{{ 7*7 }}'\n", 4,
     "champ « dossier » : « {{ 7*7 }} » contient « {{ »"),
    ("- code: \"{% for x in range(9) %}x{% endfor %}\"\n", 1, "champ « code » : « {% for x in range(9) %}"),
    ("- \"31003 {# #}\"\n", 1, "champ « code » : « 31003 {# #} »"),
    ("- {code: 31003, dossier: ../../ailleurs}\n", 1, "Nom de dossier invalide : « ../../ailleurs »"),
    (f"- {{code: 31003, dossier: {'d' * 101}}}\n", 1, "Nom de dossier trop long : 101 caractères"),
    ("- {code: 31003, consultant: moi}\n", 1, "champ « consultant » : champ inconnu"),
    ("- [31003]\n", 1, "champ « code » : un texte est attendu, pas une liste"),
])
def test_fichier_de_territoires_refuse_avant_toute_generation(tmp_path, capsys, contenu, ligne, message):
    fichier = tmp_path / "territoires.yaml"
    fichier.write_text(contenu, encoding="utf-8")
    sortie = tmp_path / "etudes"
    assert cli.main(["multi", "--fichier", str(fichier), "--sortie", str(sortie), "--modele", str(RACINE)]) == 2
    err = capsys.readouterr().err
    assert f"{fichier}, ligne {ligne}" in err and message in err and "Traceback" not in err
    assert not sortie.exists()


def test_tache_multi_avec_balise_jamais_generee(tmp_path):
    r = multi.executer_etude(str(RACINE), multi.Tache("31003", "{{ 7*7 }}"), str(tmp_path), [])
    assert r.statut == "echec" and "balise de modèle" in r.erreur
    r = multi.executer_etude(str(RACINE), multi.Tache("{{ 7*7 }}", "etude"), str(tmp_path), [])
    assert r.statut == "echec" and "balise de modèle" in r.erreur
    assert list(tmp_path.iterdir()) == []


def test_fichier_de_territoires_lu_litteralement(tmp_path):
    fichier = tmp_path / "territoires.yaml"
    fichier.write_text("territoires:\n  - 31003\n  - {code: '31135', dossier: cazeres}\n", encoding="utf-8")
    assert [(t.code, t.dossier) for t in multi.lire_taches(fichier=str(fichier))] == [
        ("31003", "aigrefeuille"), ("31135", "cazeres")]


# --- 2. One YAML loader: lines and explicit booleans ----------------------------------------------

@pytest.mark.parametrize("ecrit, attendu", [
    ("true", True), ("false", False), ("True", True), ("FALSE", False), ("oui", True), ("non", False),
    ("Oui", True), ("NON", False), ("vrai", True), ("faux", False), ("Vrai", True), ("'non'", False),
])
def test_interrupteur_valeurs_acceptees(tmp_path, ecrit, attendu):
    chemin = tmp_path / "f.yaml"
    chemin.write_text(f"enquete:\n  publier_verbatims: {ecrit}\n", encoding="utf-8")
    doc = config_yaml.lire(chemin)
    valeur = doc.donnees["enquete"]["publier_verbatims"]
    assert config_yaml.booleen(valeur, chemin, doc.ligne("enquete", "publier_verbatims"), "x") is attendu


@pytest.mark.parametrize("ecrit", ["yes", "no", "on", "off", "Y", "1", "0", "peut-être", "[oui]", "{a: 1}", "''"])
def test_interrupteur_valeurs_refusees_avec_fichier_ligne_champ(tmp_path, ecrit):
    chemin = tmp_path / "f.yaml"
    chemin.write_text(f"# commentaire\nenquete:\n  seuil: 5\n  publier_verbatims: {ecrit}\n", encoding="utf-8")
    doc = config_yaml.lire(chemin)
    with pytest.raises(ConfigInvalide) as exc:
        config_yaml.booleen(doc.donnees["enquete"]["publier_verbatims"], chemin, doc.ligne("enquete",
                            "publier_verbatims"), "enquete.publier_verbatims")
    assert f"{chemin}, ligne 4, champ « enquete.publier_verbatims »" in str(exc.value)
    assert "n'est pas une valeur oui/non reconnue" in str(exc.value)


def test_chargeur_lignes_cles_en_double_et_utf8(tmp_path):
    chemin = tmp_path / "f.yaml"
    chemin.write_text("a:\n  b: [1, 2]\n  c:\n    - x: yes\n    - y\n", encoding="utf-8")
    doc = config_yaml.lire(chemin)
    assert doc.donnees == {"a": {"b": [1, 2], "c": [{"x": "yes"}, "y"]}}  # « yes » stays text
    assert (doc.ligne("a"), doc.ligne("a", "b"), doc.ligne("a", "c", 0, "x"), doc.ligne("a", "c", 1)) == (1, 2, 4, 5)
    assert doc.ligne("a", "absent") == 1
    chemin.write_text("a: 1\nb: 2\na: 3\n", encoding="utf-8")
    with pytest.raises(ConfigInvalide, match=r"ligne 3 : la clé « a » est écrite deux fois .*d'abord ligne 1"):
        config_yaml.lire(chemin)
    chemin.write_bytes("a: 1\nb: Cazères\n".encode("latin-1"))
    with pytest.raises(ConfigInvalide, match=r"ligne 2 : le fichier n'est pas encodé en UTF-8") as exc:
        config_yaml.lire(chemin)
    assert "Caz" not in str(exc.value)  # no message echoes the file's content
    chemin.write_text("a: &x [*x, *x]\nb: &y [&z [*z, *z], *y]\n", encoding="utf-8")
    config_yaml.lire(chemin)  # aliases and recursive structures: no endless walk


def test_publier_verbatims_non_ne_publie_pas(etude_vierge, tmp_path):
    """The privacy bug of the issue: « publier_verbatims: non » published the verbatims."""
    from diagnostic_territorial.enquete import protection

    etude_yaml = copie_etude(etude_vierge, tmp_path) / "etude.yaml"
    base = etude_yaml.read_text(encoding="utf-8")
    for ecrit, attendu in (("non", False), ("Faux", False), ("oui", True), ("true", True)):
        etude_yaml.write_text(base + f"enquete:\n  publier_verbatims: {ecrit}\n  ponderation: non\n", encoding="utf-8")
        etude = Etude.charger(etude_yaml)
        assert config_yaml.interrupteur(etude, "enquete", "publier_verbatims", False) is attendu
        assert protection.publier_verbatims(etude) is attendu
        assert config_yaml.interrupteur(etude, "enquete", "ponderation", True) is False
    etude_yaml.write_text(base, encoding="utf-8")
    etude = Etude.charger(etude_yaml)
    assert config_yaml.interrupteur(etude, "enquete", "publier_verbatims", False) is False
    assert config_yaml.interrupteur(etude, "enquete", "ponderation", True) is True
    etude_yaml.write_text(base + "enquete:\n  publier_verbatims: no\n", encoding="utf-8")
    ligne = len(base.splitlines()) + 2
    with pytest.raises(EtudeInvalide, match=f"ligne {ligne}, champ « enquete.publier_verbatims » : « no »"):
        Etude.charger(etude_yaml)


# --- 3. etude.yaml: types named with the field and the line ---------------------------------------

@pytest.mark.parametrize("avant, apres, champ, message", [
    ("  consultant: Cabinet d'études sociales", "  consultant: {nom: Cabinet}", "etude.consultant",
     "un texte est attendu, pas une section"),
    ("  sous_titre: Diagnostic préalable à la Convention territoriale globale (CTG)", "  sous_titre: [CTG, ABS]",
     "etude.sous_titre", "un texte est attendu, pas une liste"),
    ("  workers: 0", "  workers: quatre", "execution.workers", "« quatre » n'est pas un nombre entier"),
    ("  workers: 0", "  workers: -2", "execution.workers", "-2 est trop petit"),
    ("  workers: 0", "  workers: '2'", "execution.workers", "« 2 » n'est pas un nombre entier"),
    ("  communes:\n", "  communes: 31135\n  anciennes_communes:\n", "territoire.communes",
     "la liste des communes de l'étude est attendue"),
    ("millesimes:\n", "millesimes: [2023]\nmillesimes_detail:\n", "millesimes",
     "la section « millesimes » doit être une suite de champs « nom: valeur », pas une liste"),
    ("  workers: 0", "  workers: 0\nenquete:\n  ponderation: yes", "enquete.ponderation",
     "« yes » n'est pas une valeur oui/non reconnue"),
    ("  workers: 0", "  workers: 0\nenquete:\n  noms_a_masquer: Dupont", "enquete.noms_a_masquer",
     "une liste de noms est attendue"),
])
def test_etude_yaml_type_faux_nomme_champ_et_ligne(etude_vierge, tmp_path, capsys, avant, apres, champ, message):
    etude = copie_etude(etude_vierge, tmp_path)
    texte = (etude / "etude.yaml").read_text(encoding="utf-8")
    assert avant in texte
    texte = texte.replace(avant, apres, 1)
    (etude / "etude.yaml").write_text(texte, encoding="utf-8")
    cle = champ.split(".")[-1]
    ligne = next(i for i, l in enumerate(texte.splitlines(), 1) if l.strip().startswith(f"{cle}:")
                 and (champ != "etude.consultant" or "nom" in l))
    with pytest.raises(EtudeInvalide) as exc:
        Etude.charger(etude / "etude.yaml")
    assert f"ligne {ligne}, champ « {champ} » : {message}" in str(exc.value)
    avant_commande = empreinte(etude)
    assert cli.main(["--etude", str(etude / "etude.yaml"), "notebooks"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and message in err and "Traceback" not in err
    assert empreinte(etude) == avant_commande


@pytest.mark.parametrize("fichier, contenu, ligne", [
    ("etude.yaml", None, 3),
    ("observation_ciblee.yaml", "# Observation\nindicateurs:\n  - id: a\n    libelle: Personnes âgées\n", 4),
    ("enquete/questionnaire.yaml", "enquete:\n  titre: Enquête\nquestions: []\n", 2),
])
def test_fichier_yaml_non_utf8_nomme_avec_sa_ligne(etude_vierge, tmp_path, fichier, contenu, ligne):
    etude = copie_etude(etude_vierge, tmp_path)
    chemin = etude / fichier
    if contenu is None:  # one line typed in Windows-1252 in a UTF-8 file
        lignes = chemin.read_text(encoding="utf-8").splitlines(keepends=True)
        chemin.write_bytes("".join(lignes[:2]).encode() + "# Cœur de Garonne\n".encode("cp1252")
                           + "".join(lignes[2:]).encode())
    else:
        chemin.write_bytes(contenu.encode("cp1252"))
    r = subprocess.run([sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"),
                        "verifier"], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(RACINE / "src")})
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"{fichier}, ligne {ligne} : le fichier n'est pas encodé en UTF-8" in r.stdout


# --- observation_ciblee.yaml ---------------------------------------------------------------------

OBSERVATION = """indicateurs:
  - id: part_jeunes
    type: populationnel
    libelle: Part des 15-24 ans
    numerateur: P_POP1524
    denominateur: P_POP
  - id: fragilite
    type: conceptuel
    libelle: Fragilité
    composantes:
      - {indicateur: part_jeunes, poids: -1}
      - {indicateur: revenu_median, poids: 2}
"""


@pytest.mark.parametrize("avant, apres, ligne, message", [
    ("poids: 2}", "poids: beaucoup}", 12, "composante n° 2, champ « poids » : champ mal formé (« beaucoup » n'est pas"),
    ("poids: 2}", "poids: oui}", 12, "champ « poids » : champ mal formé (« oui » n'est pas un nombre"),
    ("    denominateur: P_POP\n", "    denominateur: P_POP\n    facteur: [100]\n", 7, "champ « facteur » : champ mal formé"),
    ("numerateur: P_POP1524", "numerateur: {P_POP1524: 1}", 5, "champ « numerateur » : champ mal formé"),
    ("    denominateur:", "    denominateru:", 6, "champ « denominateru » : champ inconnu (vouliez-vous dire « denominateur »"),
    ("type: populationnel", "type: populationnel\n    source: rp_evol_struc_pop", 4,
     "source « rp_evol_struc_pop » inconnue. Sources proches : rp_evol_struct_pop"),
    ("indicateur: revenu_median", "indicateur: revenu_mediane", 12, "composante « revenu_mediane » inconnue"),
])
def test_observation_type_faux_nomme_ligne_et_champ(tmp_path, avant, apres, ligne, message):
    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text(OBSERVATION.replace(avant, apres, 1), encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide) as exc:
        observation.lire(chemin)
    assert f"{chemin}, ligne {ligne}" in str(exc.value) and message in str(exc.value)


@pytest.fixture(scope="module")
def etude_sans_caf_iris(etude_preparee, tmp_path_factory) -> Path:
    """The demo study with its cache, less one source (the Caf file by IRIS): data merely missing."""
    etude = copie_etude(etude_preparee, tmp_path_factory.mktemp("sans-caf-iris"))
    for motif in ("data/brut/data_CAF_*_IRIS.csv", "data/cache/caf_iris_*.parquet"):
        for p in etude.glob(motif):
            p.unlink()
    return etude


def test_erreur_d_observation_signalee_meme_si_une_autre_source_manque(etude_sans_caf_iris):
    etude = Etude.charger(etude_sans_caf_iris / "etude.yaml")
    chemin = etude_sans_caf_iris / "observation_ciblee.yaml"
    manquant = ("  - id: allocataires_iris\n    type: populationnel\n    libelle: Allocataires\n"
                "    source: caf_iris\n    numerateur: NB_ALLOC\n")
    chemin.write_text("indicateurs:\n" + manquant + OBSERVATION.split("\n", 1)[1], encoding="utf-8")
    resultats, indisponibles = observation.calculer_tous(etude, chemin)  # missing data: not a mistake
    assert [i for i, _ in indisponibles] == ["allocataires_iris"]
    assert {r.definition.id for r in resultats} == {"part_jeunes", "fragilite"}
    chemin.write_text("indicateurs:\n" + manquant + OBSERVATION.split("\n", 1)[1].replace("P_POP1524", "P_POP1425"),
                      encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide, match=r"ligne 7, indicateur « part_jeunes » : variable "
                                                              r"« P_POP1425 » inconnue"):
        observation.calculer_tous(etude, chemin)
    # A typo in a component is reported even when another component lacks its data.
    chemin.write_text("indicateurs:\n" + manquant + "  - id: score\n    type: conceptuel\n    libelle: Score\n"
                      "    composantes:\n      - {indicateur: allocataires_iris, poids: 1}\n"
                      "      - {indicateur: part_ouvrier, poids: 1}\n", encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide, match="composante « part_ouvrier » inconnue.*part_ouvriers"):
        observation.calculer_tous(etude, chemin)
    # make verifier: the typo is named, the missing source is not a problem.
    chemin.write_text("indicateurs:\n" + manquant + OBSERVATION.split("\n", 1)[1].replace("P_POP1524", "P_POP1425"),
                      encoding="utf-8")
    avant = empreinte(etude_sans_caf_iris)
    r = make(etude_sans_caf_iris, "verifier")
    assert r.returncode != 0
    assert "observation_ciblee.yaml, ligne 7, indicateur « part_jeunes » : variable « P_POP1425 » inconnue" in r.stdout
    assert "allocataires" not in r.stdout + r.stderr
    assert empreinte(etude_sans_caf_iris) == avant


# --- 4. make verifier ----------------------------------------------------------------------------

@pytest.mark.lent  # « make verifier » in a subprocess on a generated study
def test_make_verifier_etude_generee_tout_est_en_ordre(etude_vierge, tmp_path):
    etude = copie_etude(etude_vierge, tmp_path)
    debut = time.perf_counter()
    r = make(etude, "verifier")
    assert r.returncode == 0, r.stdout + r.stderr
    assert time.perf_counter() - debut < 30
    assert "Tout est en ordre" in r.stdout
    assert not (etude / "build").exists() and not (etude / "data" / "cache").exists()


@pytest.mark.lent  # « make verifier » in a subprocess on a generated study
def test_make_verifier_une_ligne_par_probleme(etude_vierge, tmp_path):
    etude = copie_etude(etude_vierge, tmp_path)

    def remplacer(nom: str, avant: str, apres: str) -> int:
        texte = (etude / nom).read_text(encoding="utf-8")
        assert avant in texte, (nom, avant)
        texte = texte.replace(avant, apres, 1)
        (etude / nom).write_text(texte, encoding="utf-8")
        return next(i for i, l in enumerate(texte.splitlines(), 1) if apres.splitlines()[-1] in l)

    # etude.yaml itself is valid here, so that the files depending on it are checked too
    l_obs = remplacer("observation_ciblee.yaml", "{indicateur: revenu_median, poids: -1}",
                      "{indicateur: revenu_median, poids: moins}")
    l_plan = remplacer("plan_action.yaml", "    objectif:", "    objectifs:")
    l_quest = remplacer("enquete/questionnaire.yaml", "  simule: true", "  simule: peut-être")
    (etude / "analyses" / "demographie.md").write_bytes("Ligne 1\nPopulation âgée\n".encode("latin-1"))
    (etude / "qualitatif" / "jeunesse.md").write_bytes(b"\xff\xfe")
    avant = empreinte(etude)
    r = make(etude, "verifier")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    lignes = [l for l in r.stdout.splitlines() if not l.startswith(sys.executable)]
    attendus = [
        f"observation_ciblee.yaml, ligne {l_obs}, indicateur « indice_fragilite », composante n° 3, champ « poids »",
        f"plan_action.yaml, ligne {l_plan}, fiche 1 « ",
        f"enquete/questionnaire.yaml, ligne {l_quest}, champ « enquete.simule » : « peut-être »",
        "analyses/demographie.md, ligne 2 : le fichier n'est pas encodé en UTF-8",
        "qualitatif/jeunesse.md, ligne 1 : le fichier n'est pas encodé en UTF-8",
    ]
    for attendu in attendus:
        assert any(l.startswith(attendu) for l in lignes), (attendu, lignes)
    assert any(l.startswith(f"plan_action.yaml, ligne {l_plan}, fiche 1 « ") and "champ « objectifs » : champ inconnu "
               "(vouliez-vous dire « objectif » ?)" in l for l in lignes), lignes
    assert "problème(s) à corriger" in r.stderr
    assert empreinte(etude) == avant
    # etude.yaml wrong: its problems are listed, one line each
    remplacer("etude.yaml", "  workers: 0", "  workers: tous\nenquete:\n  publier_verbatims: si")
    r = make(etude, "verifier")
    assert r.returncode != 0
    assert "etude.yaml, ligne" in r.stdout and "champ « execution.workers »" in r.stdout
    assert "champ « enquete.publier_verbatims » : « si »" in r.stdout
