"""Many territories at once: generate one study per territory with cookiecutter, then run each one
(demo data, data, notebooks, report) with a bounded pool of worker processes, or on a Dask
distributed cluster when a scheduler address is given (the same job function either way).

    python -m diagnostic_territorial multi --codes 200068815,243100518 --sortie etudes/ [--workers 2]
    python -m diagnostic_territorial multi --fichier territoires.yaml --sortie etudes/ --scheduler tcp://hote:8786

``territoires.yaml``: a list of codes, or of ``{code: ..., dossier: ...}`` (``dossier`` = the study's
folder name; by default derived from the territory's name). A list of communes is one territory:
``{code: "31003,31010"}``. Every field is data: template markup, an unknown field or an invalid
folder name is refused with the file, the line and the field, before anything is generated.

Each job runs the study's own commands in a subprocess with the study's own copy of the library
(``PYTHONPATH=<étude>/src``), so studies never share state; its output goes to
``<étude>/build/multi.log``. A study that already exists is not regenerated (and its unchanged
chapters are not re-executed, see execution.py). With Dask, the workers must see the template and
the output folder at the same paths (shared file system).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.configuration.chargement import message_modele
from diagnostic_territorial.ecriture import ecrire_json
from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial.configuration.etude import LONGUEUR_MAX_DOSSIER, probleme_nom_dossier
from diagnostic_territorial import PAQUET

ETAPES = ("donnees-demo", "donnees", "notebooks", "assembler")


class ErreurMulti(ErreurDiagnostic):
    pass


@dataclass
class Tache:
    code: str
    dossier: str  # the study's folder name (cookiecutter « territoire »)


@dataclass
class ResultatEtude:
    code: str
    dossier: str
    chemin: str = ""
    statut: str = "ok"  # "ok" or "echec"
    erreur: str | None = None
    duree: float = 0.0
    etapes: dict = field(default_factory=dict)  # étape -> {"code": int, "duree": float}
    rapport: str | None = None


def slug(texte: str) -> str:
    """« CC Cœur de Garonne » -> « cc-coeur-de-garonne » (the template's folder name rule)."""
    texte = texte.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    texte = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode().lower()
    texte = re.sub(r"[^a-z0-9]+", "-", texte).strip("-")
    return texte[:80] or "etude"


CHAMPS_TERRITOIRE = ("code", "dossier")


def verifier_tache(code, dossier, ou: dict | None = None) -> None:
    """A territory's code and folder are data: template markup is refused (never evaluated by
    cookiecutter), and the folder name must be a plain name inside the output folder. `ou`: where
    each field was read (« territoires.yaml, ligne 3, champ « dossier » »), for the messages."""
    ou = ou or {}
    for champ, valeur in (("code", code), ("dossier", dossier)):
        message = message_modele(ou.get(champ) or f"Territoire, champ « {champ} »", valeur)
        if message:
            raise ErreurMulti(message)
    if dossier is not None:
        probleme = probleme_nom_dossier(dossier)
        if probleme:
            raise ErreurMulti(f"{ou['dossier']} : {probleme}" if ou.get("dossier") else probleme)


def _entrees_du_fichier(fichier: str) -> list[dict]:
    """The territories of a YAML file: a list of codes, or of {code, dossier}, at the top or under
    « territoires: ». Every field is checked (file, line, field); nothing is evaluated."""
    doc = config_yaml.lire(fichier, erreur=ErreurMulti)
    data = doc.donnees if doc.donnees is not None else []
    racine: tuple = ()
    if isinstance(data, dict):
        inconnues = [k for k in data if k != "territoires"]
        if inconnues:
            raise ErreurMulti(f"{doc.ou(inconnues[0], champ=str(inconnues[0]))} : section inconnue (le fichier est "
                              "une liste de territoires, ou une section « territoires: » qui la contient).")
        data, racine = data.get("territoires") or [], ("territoires",)
    if not isinstance(data, list):
        raise ErreurMulti(f"{doc.ou(*racine)} : attendu une liste de territoires (codes ou {{code, dossier}}), "
                          f"pas {config_yaml.genre(data)}.")
    entrees = []
    for i, e in enumerate(data):
        cles = racine + (i,)
        ou = doc.ou(*cles, champ=f"territoire n° {i + 1}")
        if isinstance(e, dict):
            for champ in e:
                if champ not in CHAMPS_TERRITOIRE:
                    raise ErreurMulti(f"{doc.ou(*cles, champ, champ=str(champ))} : champ inconnu (champs possibles : "
                                      f"{', '.join(CHAMPS_TERRITOIRE)}).")
            code, dossier = e.get("code"), e.get("dossier")
            if code is None:
                raise ErreurMulti(f"{ou} : champ « code » absent (SIREN d'EPCI, codes commune ou dep:31).")
        else:
            code, dossier = e, None
        code = config_yaml.texte(code, doc.chemin, doc.ligne(*cles, "code") if isinstance(e, dict)
                                 else doc.ligne(*cles), "code", erreur=ErreurMulti)
        if dossier is not None:
            dossier = config_yaml.texte(dossier, doc.chemin, doc.ligne(*cles, "dossier"), "dossier",
                                        erreur=ErreurMulti)
        ligne = doc.ligne(*cles)
        verifier_tache(code, dossier, ou={champ: doc.ou(*cles, champ, champ=champ) for champ in CHAMPS_TERRITOIRE})
        entrees.append({"code": code, "dossier": dossier, "ou": config_yaml.localiser(doc.chemin, ligne)})
    return entrees


def lire_taches(codes: str | None = None, fichier: str | None = None) -> list[Tache]:
    """Territories from --codes (comma-separated: EPCI SIREN or départements) or a YAML list."""
    from diagnostic_territorial.territoire.resolution import resoudre

    entrees: list[dict] = []
    if codes:
        message = message_modele("Option --codes", codes)
        if message:
            raise ErreurMulti(message)
        entrees += [{"code": c.strip()} for c in codes.split(",") if c.strip()]
    if fichier:
        entrees += _entrees_du_fichier(fichier)
    if not entrees:
        raise ErreurMulti("Aucun territoire : indiquez --codes 200068815,243100518 ou --fichier territoires.yaml.")
    taches, vus = [], set()
    for e in entrees:
        try:
            t = resoudre(e["code"])  # TerritoireInvalide names the faulty code
        except ErreurDiagnostic as exc:
            if e.get("ou"):
                raise type(exc)(f"{e['ou']} : {exc}") from None
            raise
        dossier = e.get("dossier") or slug(t.nom)
        if dossier in vus:
            dossier = f"{dossier}-{slug(t.code)}"[:LONGUEUR_MAX_DOSSIER]
        vus.add(dossier)
        taches.append(Tache(e["code"], dossier))
    return taches


def trouver_modele(modele: str | None = None) -> Path:
    """The cookiecutter template: --modele, else the repository this library lives in, else the
    template recorded in the current study's .cruft.json."""
    candidats = [Path(modele)] if modele else []
    candidats.append(PAQUET.parents[1])
    cruft = Path.cwd() / ".cruft.json"
    if not modele and cruft.exists():
        try:
            candidats.append(Path(json.loads(cruft.read_text(encoding="utf-8"))["template"]))
        except (ValueError, KeyError):
            pass
    for c in candidats:
        if (c / "cookiecutter.json").is_file():
            return c.resolve()
    raise ErreurMulti("Modèle d'étude introuvable : indiquez son dossier avec --modele (celui qui contient "
                      "cookiecutter.json).")


def executer_etude(modele: str, tache: Tache, sortie: str, etapes: list[str], workers_notebooks: int = 1,
                   hors_ligne: bool = True) -> ResultatEtude:
    """One job (picklable, runs in a worker process or on a Dask worker): generate the study if it
    does not exist yet, then run its steps; never raises, the failure is in the result."""
    debut = time.perf_counter()
    r = ResultatEtude(tache.code, tache.dossier)
    etude = Path(sortie) / tache.dossier
    r.chemin = str(etude)
    try:
        verifier_tache(tache.code, tache.dossier)
        if not (etude / "etude.yaml").exists():
            from cookiecutter.main import cookiecutter

            Path(sortie).mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            cookiecutter(str(modele), no_input=True, output_dir=str(sortie),
                         extra_context={"territoire": tache.dossier, "code_territoire": tache.code})
            r.etapes["generation"] = {"code": 0, "duree": round(time.perf_counter() - t0, 2)}
        journal = etude / "build" / "multi.log"
        journal.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(etude / "src")}
        with open(journal, "a", encoding="utf-8") as log:
            for etape in etapes:
                cmd = [sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"), etape]
                if etape == "donnees" and hors_ligne:
                    cmd.append("--hors-ligne")
                if etape == "notebooks":
                    cmd += ["--workers", str(max(1, workers_notebooks))]
                log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {' '.join(cmd[2:])}\n")
                log.flush()
                t0 = time.perf_counter()
                p = subprocess.run(cmd, cwd=etude, env=env, stdout=log, stderr=subprocess.STDOUT)
                r.etapes[etape] = {"code": p.returncode, "duree": round(time.perf_counter() - t0, 2)}
                if p.returncode != 0:
                    r.statut = "echec"
                    r.erreur = f"étape « {etape} » en erreur (code {p.returncode}), voir {journal}"
                    if etape != "notebooks":  # a failed chapter still lets the report be assembled
                        break
        rapport = etude / "livrables" / "rapport.html"
        r.rapport = str(rapport) if rapport.exists() else None
    except Exception as e:  # noqa: BLE001 - a job reports its failure, the others go on
        r.statut, r.erreur = "echec", f"{type(e).__name__} : {e}"
    r.duree = round(time.perf_counter() - debut, 2)
    return r


def executer_tout(taches: list[Tache], sortie: Path, etapes: list[str], workers: int | None = None,
                  scheduler: str | None = None, modele: str | Path | None = None, hors_ligne: bool = True,
                  progression: bool = True, client=None) -> list[ResultatEtude]:
    """Run every job; `scheduler` (address) or `client` (a distributed.Client): on Dask, else a
    local pool of `workers` processes (default: number of cores, at most one per territory)."""
    from tqdm.auto import tqdm

    from diagnostic_territorial.execution.notebooks import nombre_workers

    modele = str(trouver_modele(str(modele) if modele else None))
    sortie = Path(sortie).resolve()
    sortie.mkdir(parents=True, exist_ok=True)
    inconnues = [e for e in etapes if e not in ETAPES]
    if inconnues:
        raise ErreurMulti(f"Étape inconnue : « {inconnues[0]} ». Étapes : {', '.join(ETAPES)}.")
    n = min(nombre_workers(workers), max(1, len(taches)))
    # The cores are shared between the studies running at the same time.
    workers_notebooks = max(1, (os.cpu_count() or 1) // n)
    barre = tqdm(total=len(taches), desc="Études", unit="étude", disable=not progression, file=sys.stderr)
    resultats: dict[str, ResultatEtude] = {}

    def fini(r: ResultatEtude) -> None:
        resultats[r.dossier] = r
        barre.set_postfix_str(r.dossier)
        barre.update(1)
        if r.statut != "ok":
            barre.write(f"  Échec de l'étude « {r.dossier} » ({r.code}) : {r.erreur}")

    try:
        if scheduler or client is not None:
            try:
                from distributed import Client
                from distributed import as_completed as dask_as_completed
            except ImportError as e:
                raise ErreurMulti("Dask distributed n'est pas installé : « --scheduler » demande l'option "
                                  "« distribue » de la bibliothèque (pip install -e '.[distribue]').") from e

            propre = client is None
            client = client or Client(scheduler)
            try:
                futures = [client.submit(executer_etude, modele, t, str(sortie), list(etapes), workers_notebooks,
                                         hors_ligne, key=f"etude-{t.dossier}-{time.time_ns()}", pure=False)
                           for t in taches]
                for f in dask_as_completed(futures):
                    fini(f.result())
            finally:
                if propre:
                    client.close()
        else:
            with ProcessPoolExecutor(max_workers=n) as pool:
                futures = [pool.submit(executer_etude, modele, t, str(sortie), list(etapes), workers_notebooks,
                                       hors_ligne) for t in taches]
                for f in as_completed(futures):
                    fini(f.result())
    finally:
        barre.close()
    ordre = [resultats[t.dossier] for t in taches if t.dossier in resultats]
    ecrire_json(sortie / "multi.json", [asdict(r) for r in ordre], sort_keys=False)
    return ordre


def resume(resultats: list[ResultatEtude]) -> str:
    ok = sum(r.statut == "ok" for r in resultats)
    lignes = [f"{ok} étude(s) sans erreur sur {len(resultats)}."]
    for r in resultats:
        etat = "ok   " if r.statut == "ok" else "ÉCHEC"
        lignes.append(f"  {etat} {r.dossier} ({r.code}) en {r.duree:.1f} s"
                      + (f" : {r.rapport}" if r.rapport and r.statut == "ok" else "")
                      + (f" : {r.erreur}" if r.erreur else ""))
    return "\n".join(lignes)


def cmd_multi(args) -> int:
    taches = lire_taches(args.codes, args.fichier)
    etapes = [e for e in ETAPES if e != "donnees-demo" or args.demo]
    if args.etapes:
        etapes = [e.strip() for e in args.etapes.split(",") if e.strip()]
    print(f"{len(taches)} étude(s) dans {Path(args.sortie).resolve()} : {', '.join(t.dossier for t in taches)}")
    resultats = executer_tout(taches, Path(args.sortie), etapes, workers=args.workers, scheduler=args.scheduler,
                              modele=args.modele, hors_ligne=not args.en_ligne)
    print(resume(resultats))
    return 0 if all(r.statut == "ok" for r in resultats) else 1


def ajouter_sous_commande(sub) -> None:
    p = sub.add_parser("multi", help="générer et exécuter plusieurs études (un territoire chacune)")
    p.add_argument("--codes", default="", help="codes des territoires séparés par des virgules "
                                              "(SIREN d'EPCI ou départements, ex. 200068815,243100518)")
    p.add_argument("--fichier", help="liste YAML des territoires (codes, ou {code, dossier})")
    p.add_argument("--sortie", required=True, help="dossier où créer les études")
    p.add_argument("--workers", type=int, default=None, help="études exécutées en même temps (défaut : cœurs)")
    p.add_argument("--scheduler", help="adresse d'un ordonnanceur Dask distributed (ex. tcp://hote:8786)")
    p.add_argument("--modele", help="dossier du modèle cookiecutter (défaut : celui de la bibliothèque)")
    p.add_argument("--demo", action="store_true", help="installer les données de démonstration dans chaque étude")
    p.add_argument("--en-ligne", action="store_true", help="télécharger les sources manquantes")
    p.add_argument("--etapes", default="", help=f"étapes à lancer, parmi {', '.join(ETAPES)}")
    p.set_defaults(func=cmd_multi)
