"""Benchmark of the demo study (make bench): figures printed side by side, never asserted.

    python scripts/bench.py [--dossier DIR] [--garder]

1. generates the demo study (cookiecutter, no input), installs the demo data, prepares the cache;
2. naive route: « papermill » then « jupyter nbconvert --to html » for each notebook, one after the
   other (one Python process and one kernel per notebook);
3. the project's route: « notebooks » (worker processes with warm kernels) + « assembler »;
4. all the deliverables; re-run with nothing changed (notebooks + assembler, and the whole
   « make rapport »); after editing analyses/demographie.md; after editing the consultant (shown by
   the deliverables only); after editing a parameter of the study (etude.yaml: thématiques);
5. fiches communes when the library has that deliverable (skipped otherwise);
6. peak memory (largest process of each phase, resource.getrusage of the children) and sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]


def _sous_mesure(commandes: list[dict]) -> None:
    """Run in a child process: the commands one after the other, then print the peak memory of
    the largest descendant (ru_maxrss of the waited children, in kB on Linux)."""
    statut = 0
    for c in commandes:
        r = subprocess.run(c["cmd"], cwd=c.get("cwd"), env={**os.environ, **c.get("env", {})},
                           stdout=subprocess.DEVNULL if c.get("silence", True) else None,
                           stderr=subprocess.DEVNULL if c.get("silence", True) else None)
        statut = statut or r.returncode
    print(json.dumps({"maxrss_ko": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "statut": statut}))


def mesurer(commandes: list[dict]) -> dict:
    debut = time.perf_counter()
    r = subprocess.run([sys.executable, __file__, "--sous-mesure", json.dumps(commandes)],
                       capture_output=True, text=True)
    duree = time.perf_counter() - debut
    try:
        info = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        info = {"maxrss_ko": 0, "statut": r.returncode}
        print(r.stderr[-2000:], file=sys.stderr)
    return {"duree": duree, "memoire_mo": info["maxrss_ko"] / 1024, "statut": info["statut"]}


def taille(chemin: Path) -> int:
    if chemin.is_file():
        return chemin.stat().st_size
    return sum(p.stat().st_size for p in chemin.rglob("*") if p.is_file()) if chemin.exists() else 0


def mo(octets: int) -> str:
    return f"{octets / 1e6:.2f} Mo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossier", help="dossier de travail (défaut : temporaire)")
    parser.add_argument("--garder", action="store_true", help="garder l'étude générée")
    parser.add_argument("--workers", type=int, default=0, help="processus parallèles (0 = nombre de cœurs)")
    parser.add_argument("--sous-mesure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sous_mesure:
        _sous_mesure(json.loads(args.sous_mesure))
        return 0

    from cookiecutter.main import cookiecutter

    py = sys.executable
    travail = Path(args.dossier or tempfile.mkdtemp(prefix="bench-diagnostic-"))
    travail.mkdir(parents=True, exist_ok=True)
    etude = travail / "cc-coeur-de-garonne"
    if etude.exists():
        shutil.rmtree(etude)
    print(f"Banc d'essai dans {travail} ({os.cpu_count()} cœur(s), Python {sys.version.split()[0]})", flush=True)
    debut = time.perf_counter()
    etude = Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(travail)))
    t_generation = time.perf_counter() - debut
    env = {"PYTHONPATH": str(etude / "src"), "PYTHONWARNINGS": "ignore"}
    dt = [py, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml")]
    lignes: list[tuple[str, str, str, str]] = []  # (étape, durée, mémoire, remarque)

    def etape(nom: str, commandes: list[list[str]], remarque: str = "") -> dict:
        print(f"  ... {nom}", flush=True)
        m = mesurer([{"cmd": c, "cwd": str(etude), "env": env} for c in commandes])
        if m["statut"]:
            remarque = (remarque + " ; " if remarque else "") + f"code de sortie {m['statut']}"
        journal = etude / "build" / "execution.json"
        if any("notebooks" in c for c in commandes) and journal.exists():
            etats = json.loads(journal.read_text(encoding="utf-8"))
            executes = [cle for cle, e in etats.items() if not e.get("reutilise")]
            remarque = (f"{len(executes)} chapitre(s) exécuté(s) sur {len(etats)}"
                        + (f" ({', '.join(executes)})" if 0 < len(executes) <= 3 else "")
                        + (" ; " + remarque if remarque else ""))
        lignes.append((nom, f"{m['duree']:.1f} s", f"{m['memoire_mo']:.0f} Mo", remarque))
        return m

    lignes.append(("génération de l'étude (cookiecutter)", f"{t_generation:.1f} s", "-", ""))
    etape("données de démonstration + cache (donnees-demo, donnees)",
          [dt + ["donnees-demo"], dt + ["donnees", "--hors-ligne"]])

    # Reading one territory's data from the cache, per source (in this process).
    sys.path.insert(0, str(etude / "src"))
    from diagnostic_territorial.configuration.etude import Etude  # noqa: E402
    from diagnostic_territorial.chapitres.plan import CHAPITRES  # noqa: E402

    e = Etude.charger(etude / "etude.yaml")
    lectures = []
    try:
        from diagnostic_territorial.sources import preparation as donnees

        for f in sorted((etude / "data" / "cache").glob("*.parquet")):
            source, _, millesime = f.stem.rpartition("_")
            if not millesime.isdigit():
                continue  # contours (GeoParquet)
            t0 = time.perf_counter()
            n = len(donnees.charger(e, source, int(millesime)))  # the territory, its communes and references
            lectures.append((f"{f.stem} ({n} valeurs)", time.perf_counter() - t0))
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not fail
        lectures.append((f"lecture impossible : {exc}", 0.0))

    # Naive route: one papermill process + one nbconvert process per notebook, sequentially.
    naif = etude / "build" / "naif"
    naif.mkdir(parents=True, exist_ok=True)
    commandes = []
    for c in CHAPITRES:
        sortie = naif / c.notebook
        commandes.append([py, "-m", "papermill", str(etude / "notebooks" / c.notebook), str(sortie),
                          "-p", "etude_yaml", str(etude / "etude.yaml"), "-k", "python3",
                          "--cwd", str(etude / "notebooks"), "--no-progress-bar"])
        commandes.append([py, "-m", "nbconvert", "--to", "html", "--no-input", str(sortie)])
    m_naif = etape(f"route naïve : papermill + nbconvert, {len(CHAPITRES)} notebooks l'un après l'autre", commandes)

    workers = ["--workers", str(args.workers)] if args.workers else []
    shutil.rmtree(etude / "build" / "notebooks", ignore_errors=True)
    m_projet = etape("route du projet : notebooks (complet) + assembler",
                     [dt + ["notebooks"] + workers, dt + ["assembler"]])
    m_rien = etape("relance sans changement : notebooks + assembler", [dt + ["notebooks"] + workers, dt + ["assembler"]])
    m_rien_nb = etape("relance sans changement : notebooks seuls", [dt + ["notebooks"] + workers])
    m_livrables = etape("tous les livrables (livrables : HTML, PDF, synthèse, fiches, présentation...)",
                        [dt + ["livrables"]])
    m_rien_tout = etape("relance sans changement : donnees + notebooks + livrables (make rapport)",
                        [dt + ["donnees"], dt + ["notebooks"] + workers, dt + ["livrables"]])
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text(analyse.read_text(encoding="utf-8") + "\nPhrase ajoutée par le banc d'essai.\n",
                       encoding="utf-8")
    m_analyse = etape("relance après modification de analyses/demographie.md",
                      [dt + ["notebooks"] + workers, dt + ["assembler"]], "son notebook (qui l'affiche) réexécuté")
    yaml_txt = (etude / "etude.yaml").read_text(encoding="utf-8")
    (etude / "etude.yaml").write_text(yaml_txt.replace("consultant: ", "consultant: Banc d'essai - ", 1),
                                      encoding="utf-8")
    m_consultant = etape("relance après modification du consultant (etude.yaml)",
                         [dt + ["notebooks"] + workers, dt + ["assembler"]], "affiché par les livrables seuls")
    yaml_txt = (etude / "etude.yaml").read_text(encoding="utf-8")
    (etude / "etude.yaml").write_text(yaml_txt.replace("\n  - insertion\n", "\n", 1), encoding="utf-8")
    m_param = etape("relance après modification d'un paramètre (etude.yaml : thématiques)",
                    [dt + ["notebooks"] + workers, dt + ["assembler"]], "ils lisent tous etude.yaml")
    yaml_txt = (etude / "etude.yaml").read_text(encoding="utf-8")
    (etude / "etude.yaml").write_text(yaml_txt.replace("workers: 0", "workers: 2"), encoding="utf-8")
    etape("relance après modification de execution.workers seul", [dt + ["notebooks"], dt + ["assembler"]],
          "hors clé")

    # Fiches communes: the whole command, then the marginal cost of a commune (in this process,
    # the same library function for the first 10 communes and for all of them).
    n_communes = len(e.communes)
    etape(f"fiches communes, commande complète ({n_communes} communes)", [dt + ["fiches-communes", "--force"]])
    try:
        from diagnostic_territorial.livrables.chiffres_cles import indicateurs_fiche
        from diagnostic_territorial.livrables.fiches import fiches_communes

        temps = {}
        for n in (3, 10, n_communes):  # 3: warm-up (imports, fonts, the shared locator map's cache)
            sous = Etude.charger(etude / "etude.yaml")
            sous.communes = e.communes.head(n).reset_index(drop=True)
            t0 = time.perf_counter()
            fiches_communes(sous, indicateurs_fiche(sous))  # indicators included
            temps[n] = time.perf_counter() - t0
        marginal = (temps[n_communes] - temps[10]) / max(1, n_communes - 10)
        lignes.append((f"  fiches : 10 communes puis {n_communes}", f"{temps[10]:.1f} s", "-",
                       f"{temps[n_communes]:.1f} s pour {n_communes}"))
        lignes.append(("  soit par commune supplémentaire", f"{marginal:.2f} s", "-", "objectif ≤ 0,3 s"))
    except Exception as exc:  # noqa: BLE001
        lignes.append(("  fiches par commune", "-", "-", f"mesure impossible : {exc}"))

    # Table.
    largeur = max(len(l[0]) for l in lignes) + 2
    print()
    print(f"{'étape':<{largeur}}{'durée':>9}{'mémoire':>11}  remarque")
    print("-" * (largeur + 32))
    for nom, duree, memoire, remarque in lignes:
        print(f"{nom:<{largeur}}{duree:>9}{memoire:>11}  {remarque}")
    print()
    print("Rapports :")
    print(f"  rapport.html du projet : {mo(taille(etude / 'livrables' / 'rapport.html'))} "
          f"pour {n_communes} communes (objectif ≤ 15 Mo pour 50 communes)")
    for p in sorted((etude / "livrables").iterdir()):
        if p.name in ("rapport.html", ".gitkeep"):
            continue
        n = sum(1 for f in p.rglob("*") if f.is_file()) if p.is_dir() else 1
        print(f"  {p.name}{'/ (' + str(n) + ' fichiers)' if p.is_dir() else ''} : {mo(taille(p))}")
    htmls = list(naif.glob("*.html"))
    print(f"  route naïve : {len(htmls)} fichiers HTML, {mo(sum(taille(p) for p in htmls))} au total")
    print(f"  notebooks exécutés (build/notebooks) : {mo(taille(etude / 'build' / 'notebooks'))}")
    print("Lecture du cache pour le territoire et ses références (donnees.charger, par source ; objectif ≤ 0,2 s) :")
    for nom, duree in lectures:
        print(f"  {nom} : {duree:.3f} s")
    print("Ratios :")
    print(f"  route du projet / route naïve : {m_projet['duree'] / m_naif['duree']:.2f} (objectif ≤ 0,5)")
    print(f"  relance sans changement / route du projet : {m_rien['duree'] / m_projet['duree']:.1%} "
          f"(notebooks seuls : {m_rien_nb['duree'] / m_projet['duree']:.1%} ; objectif ≤ 5 %)")
    print(f"  relance après une analyse modifiée / route du projet : {m_analyse['duree'] / m_projet['duree']:.1%}")
    print(f"  relance après le consultant modifié / route du projet : {m_consultant['duree'] / m_projet['duree']:.1%}")
    print(f"  relance après un paramètre modifié / route du projet : {m_param['duree'] / m_projet['duree']:.1%}")
    complet = m_projet["duree"] + m_livrables["duree"]
    print(f"  make rapport sans changement / production complète (notebooks + assembler + livrables) : "
          f"{m_rien_tout['duree'] / complet:.1%} (objectif ≤ 5 %)")
    if not args.garder and not args.dossier:
        shutil.rmtree(travail, ignore_errors=True)
    else:
        print(f"Étude conservée : {etude}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
