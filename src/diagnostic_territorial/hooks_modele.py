"""What the template's hooks do (hooks/pre_gen_project.py, hooks/post_gen_project.py), kept in the
installed library as cookiecutter-data-science keeps its hook helpers in its package: each hook is a
few lines that import this module, so that no hook needs a path to the template (no symbolic link
out of the template, no look at the parent process) and the logic is plain, tested Python.

Before generation (`valider`, `mettre_de_cote`): every answer checked, with French messages; when a
study is regenerated over itself (cookiecutter -f), the consultant's files are set aside.

After generation (`apres_generation`):

- etude.yaml from the resolved territory, requirements.txt (the library's dependencies);
- pyproject.toml, the study's own small project: its dependency on the library names the template's
  commit (`reference_bibliotheque`), so that « make env » installs the library the study was made
  with and « cruft update » moves that commit forward;
- .cruft.json, so that « cruft update » can bring later versions of the template;
- a git repository with a first commit, and the nbstripout filter for the notebooks (`depot_git`):
  the outputs of a notebook saved in JupyterLab never reach git, so they neither dirty the working
  tree nor get in the way of « cruft update ». Not when cruft generates: « cruft update » renders the
  template in temporary folders that it compares, a repository there would be part of the diff.

`python -m diagnostic_territorial.hooks_modele git-filtre` (« make git-filtre » in a study) configures
the filter again, in a clone of the study or once nbstripout is installed.

« cruft update » runs the hooks of the study's old template version with the library installed today:
the three names the hooks call (`valider`, `mettre_de_cote`, `apres_generation`) stay.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from diagnostic_territorial import __version__

DISTRIBUTION = "diagnostic-territorial"
DOSSIER_ETUDE = "{{cookiecutter.territoire}}"  # the template's study folder, never rendered here

# The consultant's own files and the data: « cruft update » never touches them (.cruft.json « skip »).
FICHIERS_DU_CONSULTANT = [
    "etude.yaml", "analyses", "data", "livrables", "build", "plan_action.yaml", "observation_ciblee.yaml",
    "enquete", "qualitatif", "complements",
]
# Regenerating into an existing study (cookiecutter -f): these are set aside before the template is
# rendered over them, and put back after.
A_METTRE_DE_COTE = ["etude.yaml", "analyses", "plan_action.yaml", "observation_ciblee.yaml", "enquete",
                    "qualitatif", "complements"]
SAUVEGARDE = ".sauvegarde-regeneration"

# The line of the template's pyproject.toml that names the library; the hook writes the reference.
LIGNE_BIBLIOTHEQUE = f'    "{DISTRIBUTION}",\n'

# The first commit's author when git has no identity configured.
AUTEUR = ("diagnostic_territorial", "noreply@localhost")
# Keys a notebook saved in JupyterLab gains, stripped with the outputs (nbstripout « extrakeys »): the
# template's notebooks hold none of them, so a notebook only run and saved stays unchanged for git.
CLES_JUPYTERLAB = [
    "metadata.language_info.codemirror_mode", "metadata.language_info.file_extension",
    "metadata.language_info.mimetype", "metadata.language_info.nbconvert_exporter",
    "metadata.language_info.pygments_lexer", "metadata.language_info.version",
    "cell.metadata.jp-MarkdownHeadingCollapsed", "cell.metadata.papermill", "metadata.papermill",
]
# Cell ids are kept (--keep-id): they are the template's, and « cruft update » patches the notebooks
# with them as context.
OPTIONS_NBSTRIPOUT = "--keep-id"


# --- Before generation --------------------------------------------------------------------------

def valider(contexte: dict) -> list[str]:
    """French messages, one per invalid answer of `contexte` (cookiecutter's context, « _cadres »
    included). An answer holding template markup is refused first: answers are data."""
    from diagnostic_territorial.configuration.chargement import message_modele
    from diagnostic_territorial.erreurs import ErreurDiagnostic
    from diagnostic_territorial.configuration.etude import libelle_cadre, probleme_nom_dossier, verifier_millesime
    from diagnostic_territorial.chapitres.plan import lire_thematiques
    from diagnostic_territorial.territoire.resolution import resoudre

    reponses = {cle: valeur for cle, valeur in contexte.items() if not cle.startswith("_")}
    erreurs = []
    suspectes = set()
    for cle, valeur in reponses.items():
        message = message_modele(f"Réponse « {cle} »", valeur)
        if message:
            suspectes.add(cle)
            erreurs.append(message)
    if "territoire" not in suspectes:
        probleme = probleme_nom_dossier(reponses.get("territoire"))
        if probleme:
            erreurs.append(probleme)
    if "code_territoire" not in suspectes:
        try:
            resoudre(reponses.get("code_territoire"))
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    for cle, question in (("rp", "millesime_rp"), ("filosofi", "millesime_filosofi")):
        if question in suspectes:
            continue
        try:
            verifier_millesime(cle, reponses.get(question))
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    if "cadre" not in suspectes:
        try:
            libelle_cadre(reponses.get("cadre"), contexte.get("_cadres", {}))
        except ErreurDiagnostic as e:
            erreurs.append(str(e))
    if "thematiques" not in suspectes:
        try:
            lire_thematiques(reponses.get("thematiques", "aucune"))
        except ValueError as e:
            erreurs.append(str(e))
    return erreurs


def mettre_de_cote(etude: Path) -> None:
    """Regeneration over an existing study: copy the consultant's files aside (put back by
    `remettre_en_place`, whatever the template renders over them)."""
    etude = Path(etude)
    if not (etude / "etude.yaml").exists():
        return
    sauvegarde = etude / SAUVEGARDE
    sauvegarde.mkdir(exist_ok=True)
    for nom in A_METTRE_DE_COTE:
        source = etude / nom
        if source.is_dir():
            shutil.copytree(source, sauvegarde / nom, dirs_exist_ok=True)
        elif source.is_file():
            shutil.copy2(source, sauvegarde / nom)


def remettre_en_place(etude: Path) -> bool:
    """Put back the files set aside by `mettre_de_cote`; False for a new study."""
    sauvegarde = Path(etude) / SAUVEGARDE
    if not sauvegarde.is_dir():
        return False
    for source in sauvegarde.iterdir():
        cible = Path(etude) / source.name
        if source.is_dir():
            shutil.copytree(source, cible, dirs_exist_ok=True)
        else:
            shutil.copy2(source, cible)
    shutil.rmtree(sauvegarde)
    return True


# --- The template the study comes from ----------------------------------------------------------

@dataclass
class Modele:
    """Where the study comes from. `template`: as .cruft.json records it (absolute path or URL);
    `commit`: the template's commit (None outside git); `dossier`: the template's folder on this
    machine when known."""
    template: str | None = None
    commit: str | None = None
    dossier: Path | None = None


def _git(dossier: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(dossier), *args], capture_output=True, text=True, env=env)


def dossier_modele(contexte: dict, environ=None) -> Path | None:
    """The template's folder from cookiecutter's « _repo_dir » (or « _template »). cookiecutter
    passes it as typed: « cookiecutter . » gives « . », relative to the folder where cookiecutter
    was started, which the shell's PWD names. None when no candidate holds the template."""
    environ = os.environ if environ is None else environ
    for cle in ("_repo_dir", "_template"):
        valeur = str(contexte.get(cle) or "")
        if not valeur or "://" in valeur or valeur.startswith(("gh:", "gl:", "bb:", "git@")):
            continue
        chemin = Path(valeur).expanduser()
        if not chemin.is_absolute():
            if not environ.get("PWD"):
                continue
            chemin = Path(environ["PWD"]) / chemin
        if (chemin / "cookiecutter.json").is_file() and (chemin / DOSSIER_ETUDE).is_dir():
            return chemin.resolve()
    return None


def lien_modele(contexte: dict, environ=None) -> Modele:
    """The template and its commit. Generated by cruft: « _template » and « _commit » of its
    context. Otherwise the template's folder and the commit of its git clone (a folder that is not
    the top of a clone has no commit: the study cannot be updated by cruft)."""
    if contexte.get("_commit"):
        return Modele(str(contexte.get("_template") or "") or None, str(contexte["_commit"]),
                      dossier_modele(contexte, environ))
    dossier = dossier_modele(contexte, environ)
    if dossier is None:
        return Modele()
    commit = None
    try:
        haut = _git(dossier, "rev-parse", "--show-toplevel")
        if haut.returncode == 0 and Path(haut.stdout.strip()).resolve() == dossier:
            tete = _git(dossier, "rev-parse", "HEAD")
            commit = tete.stdout.strip() if tete.returncode == 0 else None
    except OSError:  # no git
        pass
    template = str(contexte.get("_template") or "")
    if not template or not (":" in template or Path(template).is_absolute()):
        template = str(dossier)
    return Modele(template, commit, dossier)


def _url_git(template: str) -> str | None:
    """A pip VCS URL (« git+… ») for the template, or None."""
    if template.startswith(("gh:", "gl:", "bb:")):
        from cookiecutter.config import BUILTIN_ABBREVIATIONS
        from cookiecutter.repository import expand_abbreviations

        template = expand_abbreviations(template, BUILTIN_ABBREVIATIONS)
        template = template.removeprefix("git+")
    if template.startswith("git+"):
        return template
    if template.startswith(("https://", "http://", "ssh://", "file://")):
        return "git+" + template
    if template.startswith("git@") and ":" in template:
        hote, chemin = template.split(":", 1)
        return f"git+ssh://{hote}/{chemin}"
    if Path(template).is_absolute():
        return "git+" + Path(template).as_uri()
    return None


def reference_bibliotheque(modele: Modele) -> str:
    """The study's requirement on the library (PEP 508): the template's git clone at its commit;
    the template's folder when it is not a git clone; else the version installed today."""
    if modele.template and modele.commit:
        url = _url_git(modele.template)
        if url:
            return f"{DISTRIBUTION} @ {url}@{modele.commit}"
    if modele.template and Path(modele.template).is_absolute():
        return f"{DISTRIBUTION} @ {Path(modele.template).as_uri()}"
    return f"{DISTRIBUTION}=={__version__}"


def dependances_bibliotheque(dossier: Path | None = None) -> list[str]:
    """The library's dependencies: from the template's pyproject.toml when its folder is known,
    else from the source tree of the installed library (editable install), else from its metadata."""
    projets = [dossier / "pyproject.toml"] if dossier else []
    projets.append(Path(__file__).resolve().parents[2] / "pyproject.toml")
    for projet in projets:
        try:
            donnees = tomllib.loads(projet.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if donnees.get("name") == DISTRIBUTION:
            return list(donnees.get("dependencies", []))
    from importlib.metadata import PackageNotFoundError, requires

    try:
        return [r for r in requires(DISTRIBUTION) or [] if "extra ==" not in r]
    except PackageNotFoundError:
        return []


# --- After generation ---------------------------------------------------------------------------

def nettoyer_copies(etude: Path) -> None:
    for motif in ("__pycache__", "*.egg-info", ".ipynb_checkpoints"):
        for chemin in list(Path(etude).glob(f"**/{motif}")):
            shutil.rmtree(chemin, ignore_errors=True)


def ecrire_requirements(etude: Path, dependances: list[str]) -> None:
    texte = ("# Dépendances de la bibliothèque diagnostic_territorial (les paquets de environment.yml) ;\n"
             "# pyproject.toml installe la bibliothèque elle-même, à la version du modèle de l'étude.\n")
    (Path(etude) / "requirements.txt").write_text(texte + "".join(f"{d}\n" for d in dependances), encoding="utf-8")


# Dependencies conda-forge does not have: installed by pip inside the conda environment.
SEULEMENT_PIP = ("folium-offline",)


def ecrire_environnement(etude: Path, dependances: list[str]) -> None:
    """The study's environment.yml (conda), written from the same list as requirements.txt (the
    library's dependencies), so that the template holds no link to a file outside it."""
    def nom(dep: str) -> str:
        return re.split(r"[<>=!~\s\[;]", dep.strip(), maxsplit=1)[0].lower()

    conda = [d for d in dependances if nom(d) not in SEULEMENT_PIP]
    pip = [d for d in dependances if nom(d) in SEULEMENT_PIP]
    lignes = ["# Environnement conda de l'étude (conda env create -f environment.yml), équivalent de « make env » :",
              "# les dépendances de la bibliothèque diagnostic_territorial, puis l'étude et la bibliothèque",
              "# elle-même par pip (pyproject.toml, à la version du modèle de l'étude).",
              "name: etude-diagnostic-territorial", "channels:", "  - conda-forge", "dependencies:",
              "  - python=3.11", *(f"  - {d}" for d in conda), "  - pip", "  - pip:",
              *(f"      - {d}" for d in pip), "      - -e .[jupyter]"]
    (Path(etude) / "environment.yml").write_text("\n".join(lignes) + "\n", encoding="utf-8")


def ecrire_pyproject(etude: Path, reference: str) -> None:
    """Write the library's reference in the study's pyproject.toml (in place of the bare name)."""
    chemin = Path(etude) / "pyproject.toml"
    if not chemin.is_file():
        return
    texte = chemin.read_text(encoding="utf-8")
    if LIGNE_BIBLIOTHEQUE in texte:
        chemin.write_text(texte.replace(LIGNE_BIBLIOTHEQUE, f'    "{reference}",\n', 1), encoding="utf-8")


def ecrire_cruft(etude: Path, contexte: dict, modele: Modele) -> None:
    """Link the study to the template's commit, as « cruft create » would (cruft writes its own)."""
    if contexte.get("_commit") or not (modele.template and modele.commit):
        return
    prives = ("_output_dir", "_repo_dir", "_checkout")
    donnees = {k: v for k, v in contexte.items() if k not in prives}
    donnees.update({"_template": modele.template, "_commit": modele.commit})
    etat = {"template": modele.template, "commit": modele.commit, "checkout": None,
            "context": {"cookiecutter": donnees}, "directory": None, "skip": FICHIERS_DU_CONSULTANT}
    (Path(etude) / ".cruft.json").write_text(json.dumps(etat, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def nbstripout_disponible(python: str = sys.executable) -> bool:
    if Path(python) == Path(sys.executable):
        return importlib.util.find_spec("nbstripout") is not None
    try:
        return subprocess.run([python, "-c", "import nbstripout"], capture_output=True).returncode == 0
    except OSError:
        return False


def configurer_filtre(depot: Path, python: str = sys.executable) -> bool:
    """Configure the « nbstripout » filter that .gitattributes names for the notebooks, run by
    `python` (the repository's .git/config). False, and nothing written, without nbstripout."""
    if not nbstripout_disponible(python):
        return False
    commande = f'"{python}" -m nbstripout {OPTIONS_NBSTRIPOUT}'
    for cle, valeur in (("filter.nbstripout.clean", commande), ("filter.nbstripout.smudge", "cat"),
                        ("filter.nbstripout.extrakeys", " ".join(CLES_JUPYTERLAB)),
                        ("diff.ipynb.textconv", f"{commande} -t")):
        if _git(depot, "config", "--local", cle, valeur).returncode != 0:
            return False
    return True


def _identite(depot: Path) -> dict:
    """The environment of the first commit: the user's git identity, or AUTEUR when git has none."""
    env = dict(os.environ)
    configuree = _git(depot, "config", "--get", "user.email").returncode == 0 or env.get("EMAIL")
    for role in ("AUTHOR", "COMMITTER"):
        if not (configuree or env.get(f"GIT_{role}_EMAIL")):
            env.setdefault(f"GIT_{role}_NAME", AUTEUR[0])
            env[f"GIT_{role}_EMAIL"] = AUTEUR[1]
    return env


MESSAGE_FILTRE_ABSENT = ("nbstripout n'est pas installé : git enregistrerait les sorties des notebooks. "
                         "Le filtre est déclaré dans .gitattributes ; après « make env » (qui installe "
                         "nbstripout), lancez « make git-filtre » dans l'étude.")


def depot_git(etude: Path, modele: Modele, cruft: bool = False, python: str = sys.executable) -> list[str]:
    """Make the study a git repository with a first commit holding every file git does not ignore,
    then configure the notebooks' filter. Returns the French notices to print. Nothing when cruft
    generates (its temporary renderings are compared, not kept); no new repository over an existing
    one (a regenerated study: the consultant reviews and commits the changes)."""
    etude = Path(etude)
    if cruft:
        return ["Étude générée par cruft : pas de dépôt git créé. Pour en faire un : git init, git add -A, "
                "git commit, puis « make git-filtre »."]
    if shutil.which("git") is None:
        return ["git est introuvable : l'étude n'est pas un dépôt git. Une fois git installé : git init, "
                "git add -A, git commit, puis « make git-filtre »."]
    if (etude / ".git").exists():
        avis = ["Dépôt git existant conservé : relisez les fichiers régénérés (git status, git diff) puis "
                "validez-les (git commit)."]
        if not configurer_filtre(etude, python):
            avis.append(MESSAGE_FILTRE_ABSENT)
        return avis
    if _git(etude, "init", "-q").returncode != 0:
        return ["git init a échoué : l'étude n'est pas un dépôt git (voir « git init » dans le dossier)."]
    # The template's notebooks hold no output (tests/test_template.py checks it): the first commit
    # does not need the filter (one Python start per notebook). It is configured right after.
    ajout = _git(etude, "-c", "filter.nbstripout.clean=cat", "-c", "filter.nbstripout.required=false",
                 "add", "-A")
    message = "Étude générée depuis le modèle diagnostic_territorial"
    if modele.commit:
        message += f" (commit {modele.commit[:12]} du modèle)"
    validation = _git(etude, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", message,
                      env=_identite(etude)) if ajout.returncode == 0 else ajout
    avis = []
    if validation.returncode != 0:
        avis.append("Le premier commit de l'étude a échoué ; l'étude est un dépôt git sans commit "
                    f"(git commit à faire) : {(validation.stderr or validation.stdout).strip()}")
    if not configurer_filtre(etude, python):
        avis.append(MESSAGE_FILTRE_ABSENT)
    return avis


# --- The example plan d'action -------------------------------------------------------------------

# Type of name of each département (COG « TNCC »): the article of « la Caf de la Haute-Garonne ».
# 0: « de » (no article), 1: « d' », 2: « du », 3: « de la », 4: « des », 5: « de l' ».
_TNCC = {
    "01": 5, "02": 5, "03": 5, "04": 4, "05": 4, "06": 4, "07": 5, "08": 4, "09": 5, "10": 5, "11": 5,
    "12": 5, "13": 4, "14": 2, "15": 2, "16": 3, "17": 3, "18": 2, "19": 3, "21": 3, "22": 4, "23": 3,
    "24": 3, "25": 2, "26": 3, "27": 5, "28": 1, "29": 2, "2A": 3, "2B": 3, "30": 2, "31": 3, "32": 2,
    "33": 3, "34": 5, "35": 1, "36": 5, "37": 1, "38": 5, "39": 2, "40": 4, "41": 2, "42": 3, "43": 3,
    "44": 3, "45": 2, "46": 2, "47": 2, "48": 3, "49": 0, "50": 3, "51": 3, "52": 3, "53": 3, "54": 0,
    "55": 3, "56": 2, "57": 3, "58": 3, "59": 2, "60": 5, "61": 5, "62": 2, "63": 2, "64": 4, "65": 4,
    "66": 4, "67": 2, "68": 2, "69": 2, "70": 3, "71": 0, "72": 3, "73": 3, "74": 3, "75": 0, "76": 3,
    "77": 0, "78": 4, "79": 4, "80": 3, "81": 2, "82": 2, "83": 2, "84": 2, "85": 3, "86": 3, "87": 3,
    "88": 4, "89": 5, "90": 2, "91": 5, "92": 4, "93": 3, "94": 2, "95": 2, "971": 3, "972": 3, "973": 3,
    "974": 0, "976": 0,
}
_ARTICLES = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'"}


def du_departement(code: str, nom: str) -> str:
    """« de la Haute-Garonne », « du Nord », « de l'Ain », « des Landes », « de Paris »: the
    département's name after « Caf », « Conseil départemental »... (COG type of name)."""
    return _ARTICLES[_TNCC.get(str(code), 0)] + nom


def _porteur(territoire, cadre: str) -> str:
    if cadre == "abs":
        if territoire.type == "communes" and len(territoire.communes) == 1:
            return f"Centre communal d'action sociale (CCAS) de {territoire.nom}"
        if territoire.type == "epci":
            de = "de la " if territoire.nom.startswith(("CC ", "CA ", "CU ", "Communauté", "Métropole")) else "de "
            return f"Centre intercommunal d'action sociale (CIAS) {de}{territoire.nom}"
        return f"Centres communaux d'action sociale (CCAS) des communes du territoire ({territoire.nom})"
    return territoire.nom


def plan_action_exemple(territoire, cadre: str, date) -> dict:
    """The example plan d'action of a new study: one fiche adapted to the study (its Caf and
    département, dates after the study's date) and to its frame: an ABS speaks of the CCAS, of
    article R123-1 of the code de l'action sociale et des familles and of the publics of the ABS;
    a CTG of the Convention territoriale globale signed with the Caf."""
    code_dep, nom_dep = territoire.departement
    caf = f"Caf {du_departement(code_dep, nom_dep)}"
    departement = f"Conseil départemental {du_departement(code_dep, nom_dep)}"
    annee = date.year + 1
    calendrier = f"{annee}-{annee + 1} (lancement au 1er semestre {annee})"
    porteur = _porteur(territoire, cadre)
    if cadre == "abs":
        introduction = (f"Fiches actions issues de l'analyse des besoins sociaux (ABS) conduite par le {porteur[0].lower()}"
                        f"{porteur[1:]}, prévue à l'article R123-1 du code de l'action sociale et des familles : "
                        "elle porte sur l'ensemble de la population du territoire, notamment les familles, les "
                        "jeunes, les personnes âgées, les personnes handicapées et les personnes en difficulté.")
        fiche = {
            "titre": "Rompre l'isolement des personnes âgées vivant seules",
            "objectif": ("Repérer les personnes âgées isolées et leur proposer un accompagnement vers les aides "
                         "et les services (aide à domicile, portage de repas, accès aux droits), en lien avec "
                         "leurs aidants."),
            "public": "Personnes âgées de 75 ans ou plus vivant seules et leurs aidants",
            "porteur": porteur,
            "partenaires": [departement, caf, "Caisse d'assurance retraite et de la santé au travail (Carsat)",
                            "Associations d'aide à domicile", "Maisons France Services du territoire"],
            "calendrier": calendrier,
            "priorite": "haute",
            "indicateurs_de_suivi": ["Nombre de personnes repérées et accompagnées par an",
                                     "Nombre de demandes d'aides déposées et acceptées",
                                     "Nombre de bénévoles et de partenaires mobilisés"],
            "constats_lies": [
                {"chapitre": "demographie", "constat": "Vieillissement de la population du territoire."},
                {"chapitre": "vie_sociale", "constat": "Personnes âgées vivant seules et isolement."},
            ],
        }
    else:
        cadre_texte = ("du diagnostic préalable à la Convention territoriale globale (CTG) signée entre "
                       f"{territoire.nom} et la {caf}") if cadre == "ctg" else "du diagnostic social de territoire"
        introduction = f"Fiches actions issues des ateliers de restitution {cadre_texte}."
        fiche = {
            "titre": "Faciliter l'accès aux droits des familles",
            "objectif": ("Réduire le non-recours aux prestations familiales, aux aides au logement et à la "
                         "prime d'activité des familles éloignées des services, par des permanences et un "
                         "accompagnement numérique."),
            "public": "Familles allocataires ou susceptibles de l'être, en particulier les familles monoparentales",
            "porteur": porteur,
            "partenaires": [caf, departement, "Mutualité sociale agricole (MSA)",
                            "Maisons France Services du territoire"],
            "calendrier": calendrier,
            "priorite": "haute",
            "indicateurs_de_suivi": ["Nombre de familles reçues par an (permanences et rendez-vous)",
                                     "Nombre de dossiers d'ouverture de droits déposés et acceptés",
                                     "Nombre de communes couvertes par une permanence mensuelle"],
            "constats_lies": [
                {"chapitre": "acces_aux_droits", "constat": "Allocataires et familles à bas revenus du territoire."},
                {"chapitre": "parentalite", "constat": "Familles monoparentales."},
            ],
        }
    return {"titre": "Plan d'action", "introduction": introduction, "fiches": [fiche]}


def _scalaire(texte: str, retrait: int) -> str:
    """A YAML scalar as a person writes it: plain when it is safe, folded (>-) when long."""
    import textwrap

    texte = str(texte)
    if len(texte) > 70:
        lignes = textwrap.wrap(texte, 96 - retrait, break_long_words=False, break_on_hyphens=False)
        return ">-\n" + "\n".join(" " * retrait + ligne for ligne in lignes)
    if (re.search(r":(\s|$)|\s#|^[\s\-?:,\[\]{}#&*!|>'\"%@`]|\s$", texte)
            or texte.lower() in ("true", "false", "yes", "no", "on", "off", "null", "~")
            or re.fullmatch(r"[\d.\-+ eE]+", texte)):
        return json.dumps(texte, ensure_ascii=False)
    return texte


def yaml_plan_action(plan: dict) -> str:
    """The YAML body of a plan d'action, laid out as the commented template shows it."""
    lignes = [f"titre: {_scalaire(plan['titre'], 2)}", f"introduction: {_scalaire(plan['introduction'], 2)}",
              "", "fiches:"]
    for fiche in plan["fiches"]:
        premier = True
        for cle, valeur in fiche.items():
            debut = "  - " if premier else "    "
            premier = False
            if isinstance(valeur, list):
                lignes.append(f"{debut}{cle}:")
                for item in valeur:
                    if isinstance(item, dict):
                        sous = list(item.items())
                        lignes.append(f"      - {sous[0][0]}: {_scalaire(sous[0][1], 10)}")
                        lignes += [f"        {k}: {_scalaire(v, 10)}" for k, v in sous[1:]]
                    else:
                        lignes.append(f"      - {_scalaire(item, 8)}")
            else:
                lignes.append(f"{debut}{cle}: {_scalaire(valeur, 6)}")
    return "\n".join(lignes) + "\n"


def ecrire_plan_action_exemple(chemin: Path, territoire, cadre: str, date) -> None:
    """Write the study's plan_action.yaml: the template's commented header, the fingerprint of the
    example (livrables.plan_action.est_exemple: while the fiches are unchanged, the deliverables mark
    them « Exemple »), then the example adapted to the study (:func:`plan_action_exemple`)."""
    import yaml

    from diagnostic_territorial.livrables.plan_action import MARQUE_EXEMPLE, empreinte_plan

    chemin = Path(chemin)
    entete = []
    if chemin.is_file():
        for ligne in chemin.read_text(encoding="utf-8").splitlines():
            if ligne.strip() and not ligne.lstrip().startswith("#"):
                break
            entete.append(ligne)
    while entete and not entete[-1].strip():
        entete.pop()
    plan = plan_action_exemple(territoire, cadre, date)
    corps = yaml_plan_action(plan)
    if yaml.safe_load(corps) != plan:  # a layout this writer does not handle: the safe dumper's
        corps = yaml.safe_dump(plan, allow_unicode=True, sort_keys=False, width=100)
    marque = ["# Tant que les champs ci-dessous sont ceux de l'exemple, les livrables marquent le plan",
              "# « Exemple » (ligne suivante : l'empreinte de l'exemple, à laisser telle quelle).",
              f"{MARQUE_EXEMPLE} {empreinte_plan(plan)}"]
    chemin.write_text("\n".join([*entete, *marque, "", corps]), encoding="utf-8")


def code_cadre(sous_titre: str, cadres: dict[str, str]) -> str:
    """« ctg », « abs », « dst » for a frame's title (libelle_cadre), « autre » for a free title."""
    return next((code for code, titre in cadres.items() if titre == sous_titre), "autre")


def apres_generation(etude: Path, contexte: dict) -> None:
    """The post-generation hook: resolve the territory, write etude.yaml, requirements.txt, the
    library's reference in pyproject.toml and .cruft.json, then the git repository."""
    from diagnostic_territorial.configuration.etude import ecrire_etude_yaml, libelle_cadre, verifier_millesime
    from diagnostic_territorial.chapitres.plan import lire_thematiques
    from diagnostic_territorial.territoire.resolution import resoudre

    etude = Path(etude)
    territoire = resoudre(contexte["code_territoire"])
    nettoyer_copies(etude)
    modele = lien_modele(contexte)
    ecrire_requirements(etude, dependances_bibliotheque(modele.dossier))
    ecrire_environnement(etude, dependances_bibliotheque(modele.dossier))
    ecrire_pyproject(etude, reference_bibliotheque(modele))
    regeneree = remettre_en_place(etude)
    if not regeneree:
        # the frame (ctg, abs, dst): written in etude.yaml (etude.cadre, read by the synthèse's enjeux)
        # and the same code adapts the example plan d'action
        sous_titre = libelle_cadre(contexte["cadre"], contexte["_cadres"])
        cadre = code_cadre(sous_titre, contexte["_cadres"])
        ecrire_etude_yaml(
            etude / "etude.yaml",
            territoire,
            slug=contexte["territoire"],
            consultant=contexte["consultant"],
            rp=verifier_millesime("rp", contexte["millesime_rp"]),
            filosofi=verifier_millesime("filosofi", contexte["millesime_filosofi"]),
            sous_titre=sous_titre,
            thematiques=lire_thematiques(contexte.get("thematiques", "aucune")),
            cadre=cadre,
        )
        from diagnostic_territorial.ecriture import date_generation

        ecrire_plan_action_exemple(etude / "plan_action.yaml", territoire, cadre, date_generation())
    ecrire_cruft(etude, contexte, modele)
    if not (contexte.get("_commit") or modele.commit):
        print("\nModèle introuvable ou hors git : pas de .cruft.json, l'étude ne pourra pas être mise à jour "
              "par « cruft update » (lancez cookiecutter avec le chemin absolu d'un clone git du modèle).")
    avis = depot_git(etude, modele, cruft=bool(contexte.get("_commit")))
    if regeneree:
        print(f"\nÉtude régénérée dans {etude} : etude.yaml, analyses/ et les autres fichiers du consultant "
              "sont conservés tels quels.")
    else:
        n = len(territoire.communes)
        departements = ", ".join(nom for _, nom in territoire.departements)
        print(f"\nÉtude « {territoire.nom} » créée dans {etude} ({n} commune{'s' if n > 1 else ''}, "
              f"{departements}).")
    for ligne in avis:
        print(ligne)
    if not regeneree:
        print("Étapes suivantes : cd dans ce dossier, puis « make rapport » (voir README.md).")


# --- make git-filtre ----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diagnostic_territorial.hooks_modele",
                                     description="Dépôt git d'une étude")
    sous = parser.add_subparsers(dest="commande", required=True)
    sous.add_parser("git-filtre", help="configure le filtre nbstripout des notebooks (make git-filtre)")
    parser.parse_args(argv)
    depot = Path.cwd()
    if shutil.which("git") is None:
        print("git est introuvable : installez-le, puis relancez « make git-filtre ».", file=sys.stderr)
        return 1
    if _git(depot, "rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        print("Ce dossier n'est pas un dépôt git : git init d'abord, puis « make git-filtre ».", file=sys.stderr)
        return 1
    if not configurer_filtre(depot, sys.executable):
        print(f"nbstripout n'est pas installé pour {sys.executable} : « make env » l'installe (ou "
              f"{sys.executable} -m pip install nbstripout), puis relancez « make git-filtre ».", file=sys.stderr)
        return 1
    print("Filtre nbstripout configuré : git enregistre les notebooks sans leurs sorties.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
