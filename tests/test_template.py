"""Bake the cookiecutter template the way users do, and check what it produces."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from diagnostic_territorial.plan import CHAPITRES


def generer(racine: Path, sortie: Path, **reponses) -> Path:
    return Path(cookiecutter(str(racine), no_input=True, output_dir=str(sortie), extra_context=reponses))


@pytest.fixture(scope="module")
def etude_demo(racine, tmp_path_factory) -> Path:
    return generer(racine, tmp_path_factory.mktemp("gen"))


def test_reponses_par_defaut_donnent_l_etude_de_demonstration(etude_demo):
    assert etude_demo.name == "cc-coeur-de-garonne"
    data = yaml.safe_load((etude_demo / "etude.yaml").read_text(encoding="utf-8"))
    ter = data["territoire"]
    assert ter["nom"] == "CC Cœur de Garonne"
    assert ter["code"] == "200068815"
    assert ter["departement"] == {"code": "31", "nom": "Haute-Garonne"}
    assert ter["region"] == {"code": "76", "nom": "Occitanie"}
    assert len(ter["communes"]) == 48
    cazeres = next(c for c in ter["communes"] if c["code"] == "31135")
    assert cazeres == {"code": "31135", "nom": "Cazères", "departement": "31", "region": "76", "epci": "200068815"}
    assert data["millesimes"] == {"rp": 2023, "filosofi": "dernier", "populations_legales": "dernier",
                                  "bpe": "dernier", "caf_communes": "dernier", "caf_txcouv_pe": "dernier",
                                  "france_travail": "dernier"}


def test_arborescence_exacte_de_l_etude(etude_demo, racine):
    fichiers = {p.relative_to(etude_demo).as_posix() for p in etude_demo.rglob("*") if p.is_file()}
    attendus = {
        "README.md", "Makefile", "etude.yaml", "environment.yml", "requirements.txt", ".gitignore", "pyproject.toml",
        ".cruft.json", "observation_ciblee.yaml",
        "data/brut/LISEZMOI.md", "livrables/.gitkeep", "plan_action.yaml",
        "enquete/LISEZMOI.md", "enquete/questionnaire.yaml", "qualitatif/LISEZMOI.md",
        "qualitatif/constats_partages.md",
        *(f"qualitatif/{t}.md" for t in ("petite_enfance", "enfance", "jeunesse", "parentalite",
                                          "vie_sociale", "acces_aux_droits", "cadre_de_vie")),
    }
    attendus |= {f"notebooks/{c.notebook}" for c in CHAPITRES}
    attendus |= {f"analyses/{c.cle}.md" for c in CHAPITRES}
    assert attendus <= fichiers
    bibliotheque = {f for f in fichiers if f.startswith("src/diagnostic_territorial/")}
    source = {"src/" + p.relative_to(racine / "src").as_posix()
              for p in (racine / "src" / "diagnostic_territorial").rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert bibliotheque == source
    inattendus = fichiers - attendus - bibliotheque
    assert not inattendus, inattendus


def test_notebooks_et_bibliotheque_copies_a_l_identique(etude_demo, racine):
    for c in CHAPITRES:
        assert (etude_demo / "notebooks" / c.notebook).read_bytes() == (racine / "notebooks" / c.notebook).read_bytes()
    for p in (racine / "src" / "diagnostic_territorial").rglob("*.py"):
        copie = etude_demo / "src" / p.relative_to(racine / "src")
        assert copie.read_bytes() == p.read_bytes()


def test_aucune_balise_jinja_dans_les_fichiers_rendus(etude_demo):
    for p in etude_demo.rglob("*"):
        if p.is_file() and "src" not in p.parts and "notebooks" not in p.parts and p.suffix != ".gz":
            texte = p.read_text(encoding="utf-8")
            assert not re.search(r"\{\{|\{%|\{#", texte), p


def test_requirements_et_environment_listent_les_memes_paquets(etude_demo, racine):
    projet = tomllib.loads((racine / "pyproject.toml").read_text(encoding="utf-8"))

    def nom(req: str) -> str:
        return re.split(r"[<>=!\s\[]", req.strip(), maxsplit=1)[0].lower()

    pyproject = {nom(d) for d in projet["project"]["dependencies"]}
    reqs = {nom(l) for l in (etude_demo / "requirements.txt").read_text().splitlines() if l and not l.startswith("#")}
    env = yaml.safe_load((etude_demo / "environment.yml").read_text())
    conda = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda |= {nom(d) for d in dep["pip"]}
        elif nom(dep) not in ("python", "pip"):
            conda.add(nom(dep))
    assert reqs == pyproject
    assert conda == pyproject


def test_liste_de_communes_et_codes_corses(racine, tmp_path):
    etude = generer(racine, tmp_path, territoire="ajaccio-bastia", code_territoire="2A004,2B033")
    data = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))
    assert data["territoire"]["type"] == "communes"
    assert [c["nom"] for c in data["territoire"]["communes"]] == ["Ajaccio", "Bastia"]
    assert data["territoire"]["departement"]["code"] in ("2A", "2B")
    assert data["territoire"]["region"] == {"code": "94", "nom": "Corse"}


def test_un_autre_epci_de_metropole(racine, tmp_path):
    # Toulouse Métropole : 37 communes
    etude = generer(racine, tmp_path, territoire="toulouse-metropole", code_territoire="243100518",
                    millesime_rp="2021", millesime_filosofi="2020", consultant="Agence Test")
    data = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))
    assert data["territoire"]["nom"] == "Toulouse Métropole"
    assert len(data["territoire"]["communes"]) == 37
    assert {k: data["millesimes"][k] for k in ("rp", "filosofi", "caf_communes")} == {
        "rp": 2021, "filosofi": 2020, "caf_communes": "dernier"}
    assert data["etude"]["consultant"] == "Agence Test"


def test_thematiques_choisies_a_la_generation(racine, tmp_path):
    """Keys or French names, any case: the study keeps the retained thématiques, in order."""
    from diagnostic_territorial.etude import Etude

    etude = generer(racine, tmp_path, territoire="deux-themes", thematiques="Mobilité, insertion ,mobilite")
    data = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))
    assert data["etude"]["thematiques"] == ["mobilite", "insertion"]
    assert Etude.charger(etude / "etude.yaml").thematiques == ["mobilite", "insertion"]
    aucune = generer(racine, tmp_path, territoire="sans-theme", thematiques="aucune")
    assert Etude.charger(aucune / "etude.yaml").thematiques == []


@pytest.mark.parametrize(
    "reponses, message",
    [
        ({"code_territoire": "20006881"}, "« 20006881 »"),
        ({"code_territoire": "123456789"}, "« 123456789 » n'est pas celui d'un EPCI"),
        ({"code_territoire": "31135,99999"}, "« 99999 »"),
        ({"millesime_rp": "2035"}, "hors plage : 2035"),
        ({"millesime_filosofi": "deux mille"}, "« deux mille »"),
        ({"territoire": "Mon Étude"}, "« Mon Étude »"),
        ({"thematiques": "mobilite, petite_enfance"}, "Thématique spécifique inconnue : « petite_enfance »"),
    ],
)
def test_reponses_invalides_rejetees_sans_laisser_de_dossier(racine, tmp_path, capfd, reponses, message):
    reponses = {"territoire": "etude-rejetee", **reponses}
    with pytest.raises(FailedHookException):
        generer(racine, tmp_path, **reponses)
    assert list(tmp_path.iterdir()) == []
    assert message in capfd.readouterr().err


def test_chemin_relatif_du_modele_comme_cookiecutter_point(racine, tmp_path):
    """« cookiecutter . » run from the template folder: the hooks find the template anyway."""
    import os
    import subprocess
    import sys

    resultat = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", ".", "--output-dir", str(tmp_path),
         "territoire=relatif"],
        cwd=racine, env={**os.environ, "PWD": str(racine)}, capture_output=True, text=True,
    )
    assert resultat.returncode == 0, resultat.stderr
    assert (tmp_path / "relatif" / "notebooks" / CHAPITRES[0].notebook).is_file()
    assert (tmp_path / "relatif" / "src" / "diagnostic_territorial" / "territoire.py").is_file()


def test_regeneration_refusee_puis_forcee_sans_toucher_aux_fichiers_du_consultant(racine, tmp_path):
    from cookiecutter.exceptions import OutputDirExistsException

    etude = generer(racine, tmp_path)
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text("Mon analyse.\n", encoding="utf-8")
    etude_yaml = (etude / "etude.yaml").read_text(encoding="utf-8").replace("Cabinet d'études sociales", "Moi")
    (etude / "etude.yaml").write_text(etude_yaml, encoding="utf-8")
    (etude / "data" / "brut" / "FILO2019_DISP_COM.csv").write_text("fichier déposé\n", encoding="utf-8")
    with pytest.raises(OutputDirExistsException):
        generer(racine, tmp_path)
    assert analyse.read_text(encoding="utf-8") == "Mon analyse.\n"
    Path(cookiecutter(str(racine), no_input=True, output_dir=str(tmp_path), overwrite_if_exists=True,
                      extra_context={"millesime_rp": "2021"}))
    assert analyse.read_text(encoding="utf-8") == "Mon analyse.\n"
    assert (etude / "etude.yaml").read_text(encoding="utf-8") == etude_yaml
    assert (etude / "data" / "brut" / "FILO2019_DISP_COM.csv").read_text(encoding="utf-8") == "fichier déposé\n"
    assert not (etude / ".sauvegarde-regeneration").exists()
    assert (etude / "analyses" / "emploi.md").exists()
