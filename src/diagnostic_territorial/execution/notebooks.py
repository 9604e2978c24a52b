"""Run the chapter notebooks with papermill: report order, worker processes with one warm kernel
each, incremental execution (cache keys), progress bar, failures kept with their traceback and
summarised.

Incremental execution
---------------------
Each chapter gets a key made of content hashes: its notebook, its papermill parameters, the
library's source files (and version), the study's configuration files (etude.yaml and the other
YAML files the consultant fills in), the consultant's analysis ``analyses/<chapitre>.md``, the input
data (``data/cache/**``) and the Python version. The synthèse (``apres_les_autres``) also depends on
what the other chapters recorded in ``build/resultats/``. After a successful run the key is stored
next to the executed notebook (``build/notebooks/<notebook>.cle.json``); a chapter whose key did not
change is not re-executed and its executed notebook is reused. A failed chapter never stores a key,
so it is always re-executed. ``force=True`` re-executes everything.

The consultant's own notebooks of ``complements/`` (plan.complements) are chapters like the others:
same parameters (``etude_yaml``, relative to their folder, which is also their working directory),
same key, plus the hash of the other files of ``complements/`` (the data they read); editing one
complement re-executes that one only. Their executed notebook is
``build/notebooks/complement-<nom>.ipynb``; when a complement is removed from the folder, its
executed notebook, findings and journal line are deleted (:func:`retirer_complements_disparus`).

Files are hashed by content by the project's one fingerprint kernel (``diagnostic_territorial.
empreintes``), with a memo keyed by (size, mtime, inode) in ``build/notebooks/empreintes.json``: an
unchanged 80 MB parquet file is not read again, and a file rewritten with the same content (``make
donnees`` again) does not invalidate anything. Folders (data/cache/, enquete/, complements/...) are
components {file: sha256}, so that the summary says which file made a chapter run again
(« données modifiées (filosofi_2019.parquet modifié) »).

Warm kernels
------------
papermill is kept for what it does (parameters injection, error cells, output notebook with its
metadata) but each worker process starts one Jupyter kernel and hands it to papermill
(``km=``, forwarded to nbclient), so the kernel start-up and the imports (pandas, geopandas,
matplotlib...) are paid once per worker instead of once per notebook. Between two notebooks the
kernel's namespace is reset (``%reset -f``, figures closed, execution counter back to 1); a
kernel that died is restarted.
"""

from __future__ import annotations

import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from diagnostic_territorial import empreintes as noyau
from diagnostic_territorial.ecriture import ecrire_json, ecrire_texte, sha256_fichier
from diagnostic_territorial.empreintes import ABSENT, Empreintes, empreinte_composantes, empreinte_octets
from diagnostic_territorial.chapitres.plan import DOSSIER_COMPLEMENTS, PREFIXE_COMPLEMENT, Chapitre, chapitres_etude
from diagnostic_territorial import PAQUET

KERNEL = "python3"
SUFFIXE_CLE = ".cle.json"
FICHIER_EMPREINTES = "empreintes.json"
# Files of the study (besides etude.yaml) that notebooks may read: any change re-executes.
DOSSIERS_ETUDE = ("enquete", "qualitatif")

LIBELLES_COMPOSANTES = {
    "notebook": "notebook modifié",
    "parametres": "paramètres modifiés",
    "bibliotheque": "bibliothèque modifiée",
    "etude": "etude.yaml modifié",
    "fichiers_etude": "fichiers de l'étude modifiés",
    "analyse": "analyse modifiée",
    "donnees": "données modifiées",
    "python": "version de Python modifiée",
    "resultats": "résultats des autres chapitres modifiés",
    "complements": "fichiers de complements/ modifiés",
}


@dataclass
class ResultatExecution:
    chapitre: Chapitre
    numero: int
    sortie: Path
    statut: str  # "ok" or "echec"
    erreur: str | None = None
    duree: float = 0.0
    reutilise: bool = False  # executed notebook reused from build/notebooks/ (key unchanged)
    raisons: list[str] = field(default_factory=list)  # why it was (re-)executed


# --- hashing (the kernel is diagnostic_territorial.empreintes) ---------------------------------

def empreinte_bibliotheque(empreintes: Empreintes | None = None) -> str:
    """Hash of the library's files (the copy the kernels import: same PYTHONPATH as this process)."""
    from diagnostic_territorial import __version__

    empreintes = empreintes or Empreintes(None)
    return empreinte_octets(f"{__version__}\0{empreintes.arbre(PAQUET)}")


# Derived files of data/cache/ that a notebook may write while it runs (the communes' contours,
# read from the contours shipped with the library, written on first use; « make donnees » prepares
# them). They are not inputs of their own: what they are made from is hashed instead (the shipped
# contours file; the simplification code is part of the library's hash).
CACHE_DERIVE = ("contours_communes_*.parquet",)


def empreinte_donnees(etude, empreintes: Empreintes) -> dict:
    """The study's input data, {file: sha256}: the parsed sources of data/cache/ (not the derived
    files) and the commune contours shipped with the library (``referentiel/contours_communes_*``,
    what the derived files are made from; cartes.FICHIER_CONTOURS, not imported here: cartes loads
    geopandas). A dictionary, so that a reason names the files that changed."""
    donnees = empreintes.fichiers(Path(etude.dossier_cache), exclure=CACHE_DERIVE)
    donnees.update({f"referentiel/{nom}": sha for nom, sha in
                    empreintes.fichiers(PAQUET / "referentiel", ("contours_communes_*.parquet",)).items()})
    return donnees


# Fields of etude.yaml's « etude » section that only the deliverables show (cover, footer): no
# notebook reads them, so changing them re-assembles the deliverables without re-executing anything.
CHAMPS_LIVRABLES_SEULS = ("consultant", "sous_titre")


def _empreinte_etude(chemin: Path) -> str:
    """Hash of etude.yaml without its « execution » section (workers...) and the fields only the
    deliverables show (CHAMPS_LIVRABLES_SEULS): changing them does not change what the notebooks
    produce. Comments are ignored too."""
    import yaml

    if not chemin.exists():
        return ABSENT
    try:
        data = yaml.safe_load(chemin.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        return sha256_fichier(chemin)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "execution"}
        if isinstance(data.get("etude"), dict):
            data["etude"] = {k: v for k, v in data["etude"].items() if k not in CHAMPS_LIVRABLES_SEULS}
    return empreinte_octets(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str))


def _composantes_communes(etude, empreintes: Empreintes) -> dict:
    """The components every chapter shares: the library, etude.yaml, the study's other files (its
    other YAML files, enquete/, qualitatif/), the data and Python."""
    motifs = ("*.yaml", "*.yml", *(f"{nom}/**/*" for nom in DOSSIERS_ETUDE))
    return {
        "bibliotheque": empreinte_bibliotheque(empreintes),
        "etude": _empreinte_etude(Path(etude.chemin)),
        "fichiers_etude": empreintes.fichiers(Path(etude.racine), motifs, exclure=("/etude.yaml",)),
        "donnees": empreinte_donnees(etude, empreintes),
        "python": sys.version.split()[0] + ":" + KERNEL,
    }


def _parametres(etude, dossier: Path | None = None) -> dict:
    """papermill parameters. The path is relative to the notebook's folder (the kernel's working
    directory: notebooks/, or complements/ for the consultant's own notebooks): a study moved or
    copied elsewhere keeps its cache keys, and no absolute path of the consultant's machine is
    written into the executed notebooks."""
    chemin = Path(etude.chemin).resolve()
    try:
        chemin = os.path.relpath(chemin, Path(dossier or etude.dossier_notebooks).resolve())
    except ValueError:  # another drive (Windows)
        pass
    return {"etude_yaml": Path(chemin).as_posix()}


def dossier_source(etude, c: Chapitre) -> Path:
    """The folder of a chapter's notebook, also the kernel's working directory when it runs."""
    return Path(etude.dossier_notebooks) if not c.complement else Path(etude.racine) / c.dossier


# What a complement may read in complements/ besides itself: everything but the notebooks directly
# in the folder (each one is its own chapter's « notebook » component: editing one does not
# re-execute the others) and the LISEZMOI; hidden files and folders (.ipynb_checkpoints/, which
# JupyterLab rewrites) never count (empreintes.EXCLUS_TOUJOURS).
EXCLUS_COMPLEMENTS = ("/*.ipynb", "/LISEZMOI.md")


def empreinte_fichiers_complements(etude, empreintes: Empreintes) -> dict | str:
    """The files of complements/ that a complement may read (a CSV next to it, a subfolder),
    {relative path: sha256}: every complement depends on them, the plan's chapters do not."""
    racine = Path(etude.racine) / DOSSIER_COMPLEMENTS
    if not racine.is_dir():
        return ABSENT
    return empreintes.fichiers(racine, exclure=EXCLUS_COMPLEMENTS)


def composantes_cle(etude, c: Chapitre, communes: dict, empreintes: Empreintes) -> dict:
    """The key components of one chapter (fingerprints, some of them {file: sha256})."""
    notebook = dossier_source(etude, c) / c.notebook
    analyse = Path(etude.dossier_analyses) / f"{c.cle}.md"
    parametres = _parametres(etude, dossier_source(etude, c) if c.complement else None)
    comp = {
        "notebook": empreintes.fichier(notebook) if notebook.exists() else ABSENT,
        "parametres": empreinte_composantes(parametres),
        "analyse": empreintes.fichier(analyse) if analyse.exists() else ABSENT,
        **communes,
    }
    if c.complement:
        comp["complements"] = empreinte_fichiers_complements(etude, empreintes)
    if c.apres_les_autres:
        from diagnostic_territorial.chapitres import resultats

        comp["resultats"] = empreintes.fichiers(resultats.dossier(etude), ("*.json",), exclure=(f"/{c.cle}.json",))
    return comp


def chemin_cle(sortie: Path) -> Path:
    return sortie.with_suffix(SUFFIXE_CLE)


def _ecrire_cle(sortie: Path, composantes: dict, resultats_ecrits: bool) -> None:
    noyau.enregistrer(chemin_cle(sortie), composantes, resultats_ecrits=resultats_ecrits,
                           date=time.strftime("%Y-%m-%dT%H:%M:%S"))


def raisons_reexecution(etude, c: Chapitre, sortie: Path, composantes: dict) -> list[str]:
    """Empty list when the cached executed notebook can be reused; otherwise why not (French)."""
    if not sortie.exists():
        return ["notebook jamais exécuté"]
    ancienne = noyau.lire(chemin_cle(sortie))
    if ancienne is None:
        return ["pas de clé d'exécution (premier passage ou échec précédent)"]
    if noyau.a_jour(ancienne, composantes):
        from diagnostic_territorial.chapitres import resultats

        if ancienne.get("resultats_ecrits") and not (resultats.dossier(etude) / f"{c.cle}.json").exists():
            return ["résultats du chapitre absents de build/resultats/"]
        return []
    return noyau.raisons(ancienne.get("composantes"), composantes, LIBELLES_COMPOSANTES) or ["clé modifiée"]


# --- worker side -----------------------------------------------------------------------------

_NOYAU: dict = {}  # per worker process: {"km": AsyncKernelManager, "cwd": str}

CODE_REINITIALISATION = (
    "get_ipython().run_line_magic('reset', '-f')\n"
    "import sys as _s\n"
    "if 'matplotlib.pyplot' in _s.modules:\n"
    "    _s.modules['matplotlib.pyplot'].close('all')\n"
    "del _s\n"
    "get_ipython().execution_count = 1\n"
)


def _run_sync(coro_fn):
    from jupyter_core.utils import run_sync

    return run_sync(coro_fn)


# Seconds a kernel may take to answer (start, reset): 60 s (Jupyter's default) is not enough on a
# two-core machine starting one kernel per worker while other studies run.
DELAI_NOYAU = 180


def _demarrer_noyau(cwd: str, journal: str | None) -> None:
    from jupyter_client.manager import AsyncKernelManager

    if journal:
        # The kernel inherits this process's stderr: its own log lines go to a file.
        fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sauve = os.dup(2)
        os.dup2(fd, 2)
        os.close(fd)
    km = AsyncKernelManager(kernel_name=KERNEL)
    try:
        _run_sync(km.start_kernel)(cwd=cwd)
    finally:
        if journal:
            os.dup2(sauve, 2)
            os.close(sauve)
    _NOYAU.update(km=km, cwd=cwd, journal=journal, utilise=False)


def _arreter_noyau() -> None:
    km = _NOYAU.pop("km", None)
    if km is not None:
        try:
            _run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - best effort at worker exit
            pass


def _initialiser_worker(cwd: str, journal: str | None, chaud: bool) -> None:
    """ProcessPoolExecutor initializer: one warm kernel per worker, shut down at worker exit."""
    from multiprocessing import util

    _NOYAU.clear()
    _NOYAU["chaud"] = chaud
    if chaud:
        _demarrer_noyau(cwd, journal)
        util.Finalize(None, _arreter_noyau, exitpriority=10)


async def _reinitialiser(km) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=DELAI_NOYAU)
        await kc.execute_interactive(CODE_REINITIALISATION, timeout=DELAI_NOYAU, store_history=False,
                                     output_hook=lambda msg: None)
    finally:
        kc.stop_channels()


def _noyau_pret():
    """The worker's kernel, alive and with a clean namespace (None: papermill starts its own)."""
    if not _NOYAU.get("chaud"):
        return None
    km = _NOYAU.get("km")
    if km is None or not _run_sync(km.is_alive)():
        _arreter_noyau()
        _demarrer_noyau(_NOYAU["cwd"], _NOYAU.get("journal"))
        km = _NOYAU["km"]
    elif _NOYAU.get("utilise"):
        try:
            _run_sync(_reinitialiser)(km)
        except Exception:  # noqa: BLE001 - a kernel that cannot be reset is replaced
            _arreter_noyau()
            _demarrer_noyau(_NOYAU["cwd"], _NOYAU.get("journal"))
            km = _NOYAU["km"]
    _NOYAU["utilise"] = True
    return km


def _executer_un(notebook: str, sortie: str, parametres: dict, cwd: str) -> tuple[str, str | None, float, int]:
    """Run in a worker process (papermill's cwd handling is not thread-safe)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    debut = time.perf_counter()
    Path(sortie).parent.mkdir(parents=True, exist_ok=True)
    # papermill's and the kernel's log lines (transport warnings, shutdown notices) go to a
    # per-chapter log file instead of breaking the progress bar.
    journal = Path(sortie).with_suffix(".log")
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    sauve = os.dup(2)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        # The warm kernel runs in notebooks/: a notebook of another folder (complements/) gets its
        # own kernel started there by papermill, so that its relative paths are its folder's.
        km = _noyau_pret() if _NOYAU.get("cwd") in (None, cwd) else None
        extra = {"km": km} if km is not None else {}
        pm.execute_notebook(
            notebook,
            sortie,
            parameters=parametres,
            kernel_name=KERNEL,
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            start_timeout=DELAI_NOYAU,
            **extra,
        )
    except PapermillExecutionError as e:
        _chemins_relatifs(notebook, sortie, cwd)
        return "echec", f"{e.ename} : {e.evalue} (cellule {e.exec_count})", time.perf_counter() - debut, os.getpid()
    except Exception as e:  # kernel died, notebook unreadable...
        return "echec", f"{type(e).__name__} : {e}", time.perf_counter() - debut, os.getpid()
    finally:
        sys.stderr.flush()
        os.dup2(sauve, 2)
        os.close(sauve)
    _chemins_relatifs(notebook, sortie, cwd)
    return "ok", None, time.perf_counter() - debut, os.getpid()


def _chemins_relatifs(notebook: str, sortie: str, cwd: str) -> None:
    """papermill records the absolute input and output paths in the executed notebook: make them
    relative to the study's folder (the parent of the notebooks' folder), so that the executed
    notebooks carry no path of the consultant's machine and do not change when the study moves."""
    import nbformat

    racine = Path(cwd).resolve().parent
    try:
        nb = nbformat.read(sortie, as_version=4)
    except (OSError, ValueError):
        return
    meta = nb.metadata.get("papermill", {})
    for cle, chemin in (("input_path", notebook), ("output_path", sortie)):
        try:
            meta[cle] = Path(chemin).resolve().relative_to(racine).as_posix()
        except ValueError:  # outside the study: keep it as papermill wrote it
            pass
    ecrire_texte(sortie, nbformat.writes(nb) + "\n")


# --- parent side -----------------------------------------------------------------------------

def nombre_workers(demande: int | None) -> int:
    if demande and demande > 0:
        return demande
    return max(1, os.cpu_count() or 1)


def executer(etude, cles: list[str] | None = None, workers: int | None = None,
             arret_premier_echec: bool = False, progression: bool = True, force: bool = False,
             noyaux_chauds: bool = True) -> list[ResultatExecution]:
    """Execute the chapters (all of them by default) into build/notebooks/, skipping those whose
    key did not change (unless `force`)."""
    from tqdm.auto import tqdm

    plan = chapitres_etude(etude.racine)  # the plan's chapters and the complements, numbered in order
    choisis = [(i + 1, c) for i, c in enumerate(plan) if cles is None or c.cle in cles]
    inconnus = set(cles or []) - {c.cle for c in plan}
    if inconnus:
        raise KeyError(f"Chapitre inconnu : {', '.join(sorted(inconnus))}")
    sortie_dir = Path(etude.dossier_build) / "notebooks"
    sortie_dir.mkdir(parents=True, exist_ok=True)
    retirer_complements_disparus(etude, plan)
    cwd = str(Path(etude.dossier_notebooks))
    empreintes = Empreintes(sortie_dir / FICHIER_EMPREINTES)
    communes = _composantes_communes(etude, empreintes)
    resultats: dict[str, ResultatExecution] = {}
    n = nombre_workers(workers)
    vagues = [
        [(num, c) for num, c in choisis if not c.apres_les_autres],
        [(num, c) for num, c in choisis if c.apres_les_autres],
    ]
    barre = tqdm(total=len(choisis), desc="Chapitres", unit="chap.", disable=not progression,
                 file=sys.stderr, dynamic_ncols=True)
    arret = False
    pool = None
    try:
        for vague in vagues:
            if resultats:
                noter_journal(etude, list(resultats.values()))
            if arret or not vague:
                continue
            a_executer = []
            for num, c in vague:
                sortie = sortie_dir / c.notebook_execute
                comp = composantes_cle(etude, c, communes, empreintes)
                raisons = ["exécution forcée (--force)"] if force else raisons_reexecution(etude, c, sortie, comp)
                if not raisons:
                    resultats[c.cle] = ResultatExecution(c, num, sortie, "ok", reutilise=True)
                    barre.set_postfix_str(f"{c.cle} (inchangé)")
                    barre.update(1)
                    continue
                a_executer.append((num, c, sortie, comp, raisons))
            if not a_executer:
                continue
            if pool is None:
                # Workers are started lazily: a run where nothing changed starts no kernel at all.
                restant = sum(1 for v in vagues for _ in v) - len(resultats)
                taille = min(n, max(1, restant))
                (sortie_dir / "noyaux.log").write_text("", encoding="utf-8")
                pool = ProcessPoolExecutor(
                    max_workers=taille, initializer=_initialiser_worker,
                    initargs=(cwd, str(sortie_dir / "noyaux.log"), noyaux_chauds))
            futures = {}
            for num, c, sortie, comp, raisons in a_executer:
                chemin_cle(sortie).unlink(missing_ok=True)
                source = dossier_source(etude, c)
                f = pool.submit(_executer_un, str(source / c.notebook), str(sortie),
                                _parametres(etude, source if c.complement else None), str(source))
                futures[f] = (num, c, sortie, comp, raisons)
            for f in as_completed(futures):
                num, c, sortie, comp, raisons = futures[f]
                statut, erreur, duree, _pid = f.result()
                resultats[c.cle] = ResultatExecution(c, num, sortie, statut, erreur, duree, raisons=raisons)
                if statut == "ok":
                    from diagnostic_territorial.chapitres import resultats as res

                    _ecrire_cle(sortie, comp, (res.dossier(etude) / f"{c.cle}.json").exists())
                barre.set_postfix_str(c.cle)
                barre.update(1)
                if statut != "ok":
                    from diagnostic_territorial.chapitres import resultats as res

                    # a failed chapter's findings (old, or written before the failure) are not kept:
                    # the synthèse and the slides say the chapter failed instead
                    (res.dossier(etude) / f"{c.cle}.json").unlink(missing_ok=True)
                    barre.write(f"  Échec du chapitre {num} « {c.titre} » : {erreur}")
                    if arret_premier_echec:
                        arret = True
                        for autre in futures:
                            autre.cancel()
                        break
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        barre.close()
        empreintes.enregistrer()
        noter_journal(etude, list(resultats.values()))
    return [resultats[c.cle] for _, c in choisis if c.cle in resultats]


def retirer_complements_disparus(etude, plan: list[Chapitre] | None = None) -> list[str]:
    """A complement removed from complements/ leaves nothing behind: its executed notebook (with its
    key and log), its findings (build/resultats/) and its line of the journal are deleted, so that
    the deliverables are made again without it. Returns the keys removed."""
    plan = chapitres_etude(etude.racine) if plan is None else plan
    presents = {c.cle for c in plan if c.complement}
    dossier = Path(etude.dossier_build) / "notebooks"
    retires = sorted(p.stem for p in dossier.glob(f"{PREFIXE_COMPLEMENT}*.ipynb")
                     if p.stem not in presents) if dossier.is_dir() else []
    for cle in retires:
        sortie = dossier / f"{cle}.ipynb"
        for chemin in (sortie, chemin_cle(sortie), sortie.with_suffix(".log")):
            chemin.unlink(missing_ok=True)
        from diagnostic_territorial.chapitres import resultats as res

        (res.dossier(etude) / f"{cle}.json").unlink(missing_ok=True)
    journal = chemin_journal(etude)
    if journal.exists():
        try:
            etats = json.loads(journal.read_text(encoding="utf-8"))
        except ValueError:
            etats = None
        if isinstance(etats, dict):
            gardes = {k: v for k, v in etats.items() if not (k.startswith(PREFIXE_COMPLEMENT) and k not in presents)}
            if len(gardes) != len(etats):
                ecrire_json(journal, gardes)
    return retires


def chemin_journal(etude) -> Path:
    """build/execution.json: status, error and duration of each chapter's last run."""
    return Path(etude.dossier_build) / "execution.json"


def noter_journal(etude, resultats: list[ResultatExecution]) -> None:
    """Record each chapter's status in build/execution.json (the others keep their last run). Written
    after each wave, so that the synthèse, run after the other chapters, knows which ones failed."""
    journal = chemin_journal(etude)
    ancien = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else {}
    for r in resultats:
        if r.reutilise and r.chapitre.cle in ancien:  # unchanged: keep the run that produced it
            ancien[r.chapitre.cle]["reutilise"] = True
            continue
        ancien[r.chapitre.cle] = {"statut": r.statut, "erreur": r.erreur, "duree": round(r.duree, 2),
                                  "reutilise": r.reutilise}
    ecrire_json(journal, ancien)


def etats_chapitres(etude) -> list:
    """Every chapter of the study (the plan's and the complements, plan.chapitres_etude, numbered in
    that order) as a ``rapport.ChapitreExecute``: « ok », « echec » (the last run failed, notebook
    kept with its traceback) or « absent » (never executed). One reading shared by the report, the
    synthèse and the slides, so they never disagree on which chapter failed."""
    from diagnostic_territorial.livrables.rapport import ChapitreExecute

    journal = chemin_journal(etude)
    etats = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else {}
    chapitres = []
    for i, c in enumerate(chapitres_etude(etude.racine), start=1):
        chemin = Path(etude.dossier_build) / "notebooks" / c.notebook_execute
        etat = etats.get(c.cle, {})
        if not chemin.exists():
            chapitres.append(ChapitreExecute(i, c.cle, c.titre, None, "absent",
                                             "notebook non exécuté (lancez « make notebooks »)"))
        else:
            chapitres.append(ChapitreExecute(i, c.cle, c.titre, chemin, etat.get("statut", "ok"),
                                             etat.get("erreur")))
    return chapitres


def resume(resultats: list[ResultatExecution]) -> str:
    """The terminal's summary: counts, why each chapter was executed (one line when they all were
    for the same reasons), and each failure with the notebook kept."""
    ok = [r for r in resultats if r.statut == "ok"]
    ko = [r for r in resultats if r.statut != "ok"]
    reutilises = [r for r in ok if r.reutilise]
    lignes = [f"{len(ok)} chapitre(s) sans erreur sur {len(resultats)} : "
              f"{len(ok) - len(reutilises)} exécuté(s), {len(reutilises)} inchangé(s) réutilisé(s)."]
    executes = [r for r in ok if not r.reutilise and r.raisons]
    if len(executes) > 1 and not reutilises and len({tuple(r.raisons) for r in executes}) == 1:
        lignes.append(f"  {len(executes)} chapitres exécutés : {' ; '.join(executes[0].raisons)}")
    else:
        for r in executes:
            lignes.append(f"  {r.chapitre.cle} exécuté en {r.duree:.1f} s : {' ; '.join(r.raisons)}")
    for r in ko:
        lignes.append(
            f"  ÉCHEC chapitre {r.numero} « {r.chapitre.titre} » : {r.erreur}\n"
            f"        notebook conservé avec la trace de l'erreur : {r.sortie}"
        )
    return "\n".join(lignes)
