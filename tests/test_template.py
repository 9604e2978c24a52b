"""Bake the cookiecutter template the way users do, and check what it produces."""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from diagnostic_territorial import hooks_modele
from diagnostic_territorial.chapitres.plan import CHAPITRES

MODELE_ETUDE = "{{cookiecutter.territoire}}"


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


def fichiers_hors_git(etude: Path) -> set[str]:
    return {p.relative_to(etude).as_posix() for p in etude.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(etude).parts}


def test_arborescence_exacte_de_l_etude(etude_demo):
    fichiers = fichiers_hors_git(etude_demo)
    attendus = {
        "README.md", "Makefile", "etude.yaml", "environment.yml", "requirements.txt", ".gitignore", ".gitattributes",
        "pyproject.toml", ".cruft.json", "observation_ciblee.yaml",
        "data/brut/LISEZMOI.md", "livrables/.gitkeep", "plan_action.yaml",
        "enquete/LISEZMOI.md", "enquete/questionnaire.yaml", "qualitatif/LISEZMOI.md",
        "qualitatif/constats_partages.md", "complements/LISEZMOI.md",
        *(f"qualitatif/{t}.md" for t in ("petite_enfance", "enfance", "jeunesse", "parentalite",
                                          "vie_sociale", "acces_aux_droits", "cadre_de_vie")),
    }
    attendus |= {f"notebooks/{c.notebook}" for c in CHAPITRES}
    attendus |= {f"analyses/{c.cle}.md" for c in CHAPITRES}
    assert fichiers == attendus, (fichiers - attendus, attendus - fichiers)


def test_notebooks_copies_a_l_identique_et_pas_de_copie_de_la_bibliotheque(etude_demo, racine):
    """The notebooks are the template's own files; the library is a dependency (pyproject.toml), not
    a copy: no src/ in the study."""
    for c in CHAPITRES:
        modele = racine / MODELE_ETUDE / "notebooks" / c.notebook
        assert (etude_demo / "notebooks" / c.notebook).read_bytes() == modele.read_bytes()
    assert not (etude_demo / "src").exists()


def test_modele_sans_lien_symbolique_vers_l_exterieur_ni_proc(racine):
    """The template's study folder holds its own files (cookiecutter copies a symbolic link's target,
    cruft's clones keep the link); the hooks import the installed library instead of looking for the
    template through /proc or a path."""
    liens = {p.relative_to(racine / MODELE_ETUDE).as_posix() for p in (racine / MODELE_ETUDE).rglob("*")
             if p.is_symlink()}
    assert liens == set(), liens  # environment.yml is written by the hook, like requirements.txt
    for hook in (racine / "hooks").glob("*.py"):
        texte = hook.read_text(encoding="utf-8")
        assert "/proc" not in texte and "readlink" not in texte and "sys.path" not in texte, hook
        assert "from diagnostic_territorial import hooks_modele" in texte, hook


def test_notebooks_du_modele_sans_sorties_et_stables_pour_nbstripout(racine):
    """The first commit of a study skips the nbstripout filter (one Python start per notebook): this
    holds because the template's notebooks are already what the filter writes, byte for byte."""
    notebooks = sorted((racine / MODELE_ETUDE / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(CHAPITRES)
    for chemin in notebooks:
        nb = json.loads(chemin.read_text(encoding="utf-8"))
        for cellule in nb["cells"]:
            assert not cellule.get("outputs") and cellule.get("execution_count") is None, chemin
    if not nbstripout_installe():
        pytest.skip("nbstripout absent : seule l'absence de sorties est vérifiée")
    filtre = subprocess.run([sys.executable, "-m", "nbstripout", hooks_modele.OPTIONS_NBSTRIPOUT, "--extra-keys",
                             " ".join(hooks_modele.CLES_JUPYTERLAB), "-t", *map(str, notebooks)],
                            capture_output=True, timeout=300)
    assert filtre.returncode == 0, filtre.stderr
    assert filtre.stdout == b"".join(p.read_bytes() for p in notebooks)


def nbstripout_installe() -> bool:
    import importlib.util

    return importlib.util.find_spec("nbstripout") is not None


def git(dossier: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(dossier), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_etude_est_un_depot_git_avec_un_premier_commit(etude_demo, racine):
    assert git(etude_demo, "rev-parse", "--show-toplevel") == str(etude_demo.resolve())
    assert git(etude_demo, "rev-list", "--count", "HEAD") == "1"
    assert git(etude_demo, "status", "--porcelain") == ""
    suivis = set(git(etude_demo, "ls-files").splitlines())
    assert suivis == fichiers_hors_git(etude_demo)  # everything generated is in the first commit
    commit_modele = git(racine, "rev-parse", "HEAD")
    assert f"(commit {commit_modele[:12]} du modèle)" in git(etude_demo, "log", "-1", "--format=%s")


def test_git_ignore_les_donnees_et_ce_qui_se_refait(etude_demo):
    ignores = ["data/brut/FILO2019_DISP_COM.csv", "data/brut/base-cc-2021.zip", "data/cache/rp.parquet",
               "build/notebooks/01_demographie.ipynb", "livrables/rapport.html", "livrables/fiches-communes/a.pdf",
               ".venv/bin/python", "enquete/export.csv", "notebooks/.ipynb_checkpoints/a.ipynb",
               "etude_x.egg-info/PKG-INFO"]
    suivis = ["data/brut/checksums.json", "data/brut/LISEZMOI.md", "data/brut/simulations.yaml",
              "livrables/.gitkeep", "analyses/demographie.md", "notebooks/01_demographie.ipynb", "etude.yaml",
              "enquete/questionnaire.yaml"]
    resultat = subprocess.run(["git", "-C", str(etude_demo), "check-ignore", "--no-index", *ignores, *suivis],
                              capture_output=True, text=True)
    assert resultat.stdout.split() == ignores


def test_filtre_nbstripout_des_notebooks(etude_demo):
    attributs = git(etude_demo, "check-attr", "filter", "diff", "--", "notebooks/01_demographie.ipynb")
    assert "filter: nbstripout" in attributs and "diff: ipynb" in attributs
    configure = subprocess.run(["git", "-C", str(etude_demo), "config", "filter.nbstripout.clean"],
                               capture_output=True, text=True).stdout
    if nbstripout_installe():
        assert f'"{sys.executable}" -m nbstripout --keep-id' in configure
        cles = git(etude_demo, "config", "filter.nbstripout.extrakeys").split()
        assert "metadata.language_info.version" in cles
    else:
        assert configure == ""


def test_pyproject_de_l_etude_depend_de_la_bibliotheque_au_commit_du_modele(etude_demo, racine):
    from packaging.requirements import Requirement

    projet = tomllib.loads((etude_demo / "pyproject.toml").read_text(encoding="utf-8"))
    assert projet["project"]["name"] == "etude-cc-coeur-de-garonne"
    assert projet["tool"]["setuptools"]["packages"] == []  # the study has no code of its own
    exigences = {Requirement(d).name: Requirement(d) for d in projet["project"]["dependencies"]}
    assert set(exigences) == {"diagnostic-territorial", "nbstripout"}
    commit = git(racine, "rev-parse", "HEAD")
    assert exigences["diagnostic-territorial"].url == f"git+{racine.resolve().as_uri()}@{commit}"
    assert json.loads((etude_demo / ".cruft.json").read_text(encoding="utf-8"))["commit"] == commit
    assert set(projet["project"]["optional-dependencies"]) == {"jupyter", "distribue"}


def test_make_jupyter_ouvre_toute_l_etude_avec_les_options(etude_demo):
    r = subprocess.run(["make", "-n", "-C", str(etude_demo), "jupyter", "OPTIONS=--port 8890 --no-browser",
                        f"PYTHON={sys.executable}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lancement = [l for l in r.stdout.splitlines() if "-m jupyterlab" in l]
    assert lancement == [f'{sys.executable} -m jupyterlab --ServerApp.root_dir="{etude_demo}" --port 8890 --no-browser']


def test_make_git_filtre(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    r = subprocess.run([sys.executable, "-m", "diagnostic_territorial.hooks_modele", "git-filtre"], cwd=tmp_path,
                       capture_output=True, text=True)
    if nbstripout_installe():
        assert r.returncode == 0 and "Filtre nbstripout configuré" in r.stdout
        assert "--keep-id" in git(tmp_path, "config", "filter.nbstripout.clean")
    else:
        assert r.returncode == 1 and "nbstripout n'est pas installé" in r.stderr
    hors_depot = tmp_path / "hors"
    hors_depot.mkdir()
    r = subprocess.run([sys.executable, "-m", "diagnostic_territorial.hooks_modele", "git-filtre"],
                       cwd=hors_depot, capture_output=True, text=True, env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert r.returncode == 1 and "n'est pas un dépôt git" in r.stderr


def test_premier_commit_sans_identite_git(tmp_path, monkeypatch):
    """No git identity configured: the first commit is signed « diagnostic_territorial »."""
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "aucune"))
    etude = tmp_path / "etude"
    etude.mkdir()
    (etude / "etude.yaml").write_text("etude: {}\n", encoding="utf-8")
    avis = hooks_modele.depot_git(etude, hooks_modele.Modele())
    assert all("a échoué" not in a for a in avis), avis
    assert git(etude, "log", "-1", "--format=%an <%ae>|%cn <%ce>") == (
        "diagnostic_territorial <noreply@localhost>|diagnostic_territorial <noreply@localhost>")
    assert git(etude, "ls-files") == "etude.yaml"


def test_sans_git_l_etude_est_creee_avec_un_avis(tmp_path, monkeypatch):
    monkeypatch.setattr(hooks_modele.shutil, "which", lambda nom: None)
    avis = hooks_modele.depot_git(tmp_path, hooks_modele.Modele())
    assert avis and avis[0].startswith("git est introuvable") and not (tmp_path / ".git").exists()


def test_generation_par_cruft_sans_depot(tmp_path):
    avis = hooks_modele.depot_git(tmp_path, hooks_modele.Modele("/modele", "abc"), cruft=True)
    assert "pas de dépôt git" in avis[0] and not (tmp_path / ".git").exists()


@pytest.mark.parametrize("template, commit, attendu", [
    ("/chemin/du modele", "abc123", "diagnostic-territorial @ git+file:///chemin/du%20modele@abc123"),
    ("https://github.com/cabinet/diagnostic.git", "abc123",
     "diagnostic-territorial @ git+https://github.com/cabinet/diagnostic.git@abc123"),
    ("git@github.com:cabinet/diagnostic.git", "abc123",
     "diagnostic-territorial @ git+ssh://git@github.com/cabinet/diagnostic.git@abc123"),
    ("gh:cabinet/diagnostic", "abc123", "diagnostic-territorial @ git+https://github.com/cabinet/diagnostic.git@abc123"),
    ("/chemin/modele", None, "diagnostic-territorial @ file:///chemin/modele"),
    (None, None, f"diagnostic-territorial=={hooks_modele.__version__}"),
])
def test_reference_de_la_bibliotheque(template, commit, attendu):
    from packaging.requirements import Requirement

    reference = hooks_modele.reference_bibliotheque(hooks_modele.Modele(template, commit))
    assert reference == attendu
    Requirement(reference)  # valid PEP 508


def test_hook_sans_bibliotheque_installee_message_francais(racine, tmp_path):
    """The hooks import the installed library: without it, a French message says what to install."""
    for hook in ("pre_gen_project.py", "post_gen_project.py"):
        code = ("import sys; sys.modules['diagnostic_territorial'] = None; "
                f"exec(compile(open({str(racine / 'hooks' / hook)!r}, encoding='utf-8').read(), 'hook', 'exec'))")
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 1, r.stderr
        assert "la bibliothèque diagnostic_territorial n'est pas installée pour" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr


def test_aucune_balise_jinja_dans_les_fichiers_rendus(etude_demo):
    for p in etude_demo.rglob("*"):
        if (p.is_file() and ".git" not in p.relative_to(etude_demo).parts and "notebooks" not in p.parts
                and p.suffix != ".gz"):
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
            conda |= {nom(d) for d in dep["pip"] if not d.startswith("-")}  # « -e .[jupyter] » : l'étude
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
    from diagnostic_territorial.configuration.etude import Etude

    etude = generer(racine, tmp_path, territoire="deux-themes", thematiques="Mobilité, insertion ,mobilite")
    data = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))
    assert data["etude"]["thematiques"] == ["mobilite", "insertion"]
    assert Etude.charger(etude / "etude.yaml").thematiques == ["mobilite", "insertion"]
    aucune = generer(racine, tmp_path, territoire="sans-theme", thematiques="aucune")
    assert Etude.charger(aucune / "etude.yaml").thematiques == []


def test_cadre_ecrit_dans_etude_yaml_et_lu_par_le_plan_d_action(racine, tmp_path):
    """The answer « cadre » (a code or its title) becomes etude.cadre, read by the synthèse's enjeux
    (Etude.cadre, chapitres.enjeux.cadre_de); the example plan d'action follows the same frame."""
    from diagnostic_territorial.chapitres.enjeux import cadre_de
    from diagnostic_territorial.configuration.etude import Etude

    etude = generer(racine, tmp_path, territoire="cazeres-abs", code_territoire="31135",
                    cadre="Analyse des besoins sociaux (ABS)")
    data = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))
    assert (data["etude"]["cadre"], data["etude"]["sous_titre"]) == ("abs", "Analyse des besoins sociaux (ABS)")
    charge = Etude.charger(etude / "etude.yaml")
    assert charge.cadre == "abs" and cadre_de(charge) == "abs"
    assert "Centre communal d'action sociale (CCAS) de Cazères" in (etude / "plan_action.yaml").read_text(encoding="utf-8")


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
    # « . » resolved with the shell's PWD: the study is linked to the template for cruft
    etat = json.loads((tmp_path / "relatif" / ".cruft.json").read_text(encoding="utf-8"))
    assert Path(etat["template"]) == racine.resolve()


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
