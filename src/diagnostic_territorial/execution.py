"""Run the chapter notebooks with papermill: report order, worker processes, progress bar,
failures kept with their traceback and summarised."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .plan import CHAPITRES, Chapitre

KERNEL = "python3"


@dataclass
class ResultatExecution:
    chapitre: Chapitre
    numero: int
    sortie: Path
    statut: str  # "ok" or "echec"
    erreur: str | None = None
    duree: float = 0.0


def _executer_un(notebook: str, sortie: str, etude_yaml: str, cwd: str) -> tuple[str, str | None, float]:
    """Run in a worker process (papermill's cwd handling is not thread-safe)."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    debut = time.perf_counter()
    Path(sortie).parent.mkdir(parents=True, exist_ok=True)
    # The kernel's own log lines (transport warnings, shutdown notices) go to a per-chapter log
    # file instead of breaking the progress bar: the kernel inherits this process's stderr.
    journal = Path(sortie).with_suffix(".log")
    fd = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        pm.execute_notebook(
            notebook,
            sortie,
            parameters={"etude_yaml": etude_yaml},
            kernel_name=KERNEL,
            cwd=cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as e:
        return "echec", f"{e.ename} : {e.evalue} (cellule {e.exec_count})", time.perf_counter() - debut
    except Exception as e:  # kernel died, notebook unreadable...
        return "echec", f"{type(e).__name__} : {e}", time.perf_counter() - debut
    return "ok", None, time.perf_counter() - debut


def nombre_workers(demande: int | None) -> int:
    if demande and demande > 0:
        return demande
    return max(1, os.cpu_count() or 1)


def executer(etude, cles: list[str] | None = None, workers: int | None = None,
             arret_premier_echec: bool = False, progression: bool = True) -> list[ResultatExecution]:
    """Execute the chapters (all of them by default) into build/notebooks/."""
    from tqdm.auto import tqdm

    choisis = [(i + 1, c) for i, c in enumerate(CHAPITRES) if cles is None or c.cle in cles]
    inconnus = set(cles or []) - {c.cle for c in CHAPITRES}
    if inconnus:
        raise KeyError(f"Chapitre inconnu : {', '.join(sorted(inconnus))}")
    sortie_dir = Path(etude.dossier_build) / "notebooks"
    cwd = str(Path(etude.dossier_notebooks))
    etude_yaml = str(Path(etude.chemin).resolve())
    resultats: dict[str, ResultatExecution] = {}
    n = nombre_workers(workers)
    vagues = [
        [(num, c) for num, c in choisis if not c.apres_les_autres],
        [(num, c) for num, c in choisis if c.apres_les_autres],
    ]
    barre = tqdm(total=len(choisis), desc="Chapitres", unit="chap.", disable=not progression,
                 file=sys.stderr, dynamic_ncols=True)
    arret = False
    with ProcessPoolExecutor(max_workers=min(n, max(1, len(choisis)))) as pool:
        for vague in vagues:
            if arret or not vague:
                continue
            futures = {}
            for num, c in vague:
                sortie = sortie_dir / c.notebook
                f = pool.submit(_executer_un, str(Path(etude.dossier_notebooks) / c.notebook),
                                str(sortie), etude_yaml, cwd)
                futures[f] = (num, c, sortie)
            for f in as_completed(futures):
                num, c, sortie = futures[f]
                statut, erreur, duree = f.result()
                resultats[c.cle] = ResultatExecution(c, num, sortie, statut, erreur, duree)
                barre.set_postfix_str(c.cle)
                barre.update(1)
                if statut != "ok":
                    barre.write(f"  Échec du chapitre {num} « {c.titre} » : {erreur}")
                    if arret_premier_echec:
                        arret = True
                        for autre in futures:
                            autre.cancel()
                        break
    barre.close()
    return [resultats[c.cle] for _, c in choisis if c.cle in resultats]


def resume(resultats: list[ResultatExecution]) -> str:
    ok = [r for r in resultats if r.statut == "ok"]
    ko = [r for r in resultats if r.statut != "ok"]
    lignes = [f"{len(ok)} chapitre(s) exécuté(s) sans erreur sur {len(resultats)}."]
    for r in ko:
        lignes.append(
            f"  ÉCHEC chapitre {r.numero} « {r.chapitre.titre} » : {r.erreur}\n"
            f"        notebook conservé avec la trace de l'erreur : {r.sortie}"
        )
    return "\n".join(lignes)
