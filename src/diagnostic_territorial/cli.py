"""Commands called by a study's Makefile: python -m diagnostic_territorial <commande>."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from . import __version__
from .erreurs import ErreurDiagnostic


def _etude(args):
    from .etude import Etude

    return Etude.charger(args.etude)


def cmd_donnees(args) -> int:
    from . import donnees

    etude = _etude(args)
    print(f"Préparation des données de « {etude.nom_territoire} » ({len(etude.communes)} communes)")
    dispo = donnees.preparer(etude, telecharger=not args.hors_ligne)
    manquants = 0
    for d in dispo:
        statut = getattr(d, "statut", None) or d.get("statut")
        source = getattr(d, "source", None) or d.get("source")
        millesime = getattr(d, "millesime", None) or d.get("millesime")
        message = getattr(d, "message", None) or d.get("message") or ""
        marque = "ok " if statut == "ok" else "-- "
        print(f"  {marque}{source} {millesime}" + (f" : {message}" if statut != "ok" else ""))
        manquants += statut != "ok"
    if manquants:
        print(
            f"{manquants} source(s) manquante(s) : les chapitres concernés l'indiqueront dans le rapport. "
            "Déposez les fichiers officiels dans data/brut/ puis relancez « make donnees »."
        )
    return 1 if (manquants and args.strict) else 0


def cmd_donnees_demo(args) -> int:
    from .demo import installer_donnees_demo

    from .enquete import installer_enquete_demo

    etude = _etude(args)
    installer_donnees_demo(etude.dossier_brut)
    installer_enquete_demo(etude)
    print(f"Données de démonstration installées dans {etude.dossier_brut} "
          "(extraits réels Insee ; recensement simulé au format officiel, signalé comme tel).")
    return 0


def _journal(etude) -> Path:
    return Path(etude.dossier_build) / "execution.json"


def cmd_notebooks(args) -> int:
    from .execution import executer, resume

    etude = _etude(args)
    cles = args.chapitres.split(",") if args.chapitres else None
    workers = args.workers if args.workers is not None else int(
        (etude.brut.get("execution") or {}).get("workers", 0) or 0)
    resultats = executer(etude, cles=cles, workers=workers, arret_premier_echec=args.arret_premier_echec,
                         force=getattr(args, "force", False))
    journal = _journal(etude)
    ancien = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else {}
    for r in resultats:
        if r.reutilise and r.chapitre.cle in ancien:  # unchanged: keep the run that produced it
            ancien[r.chapitre.cle]["reutilise"] = True
            continue
        ancien[r.chapitre.cle] = {"statut": r.statut, "erreur": r.erreur, "duree": round(r.duree, 2),
                                  "reutilise": r.reutilise}
    journal.parent.mkdir(parents=True, exist_ok=True)
    tmp = journal.with_suffix(".tmp")
    tmp.write_text(json.dumps(ancien, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, journal)
    print(resume(resultats))
    return 0 if all(r.statut == "ok" for r in resultats) else 1


def cmd_assembler(args) -> int:
    from .plan import CHAPITRES
    from .rapport import ChapitreExecute, assembler

    etude = _etude(args)
    journal = _journal(etude)
    etats = json.loads(journal.read_text(encoding="utf-8")) if journal.exists() else {}
    chapitres = []
    for i, c in enumerate(CHAPITRES, start=1):
        chemin = Path(etude.dossier_build) / "notebooks" / c.notebook
        etat = etats.get(c.cle, {})
        if not chemin.exists():
            chapitres.append(ChapitreExecute(i, c.cle, c.titre, None, "absent",
                                             "notebook non exécuté (lancez « make notebooks »)"))
        else:
            chapitres.append(ChapitreExecute(i, c.cle, c.titre, chemin, etat.get("statut", "ok"),
                                             etat.get("erreur")))
    meta = {
        "nom_territoire": etude.nom_territoire,
        "sous_titre": etude.sous_titre or "Diagnostic social de territoire",
        "consultant": etude.consultant,
        "date": dt.date.today(),
        "version": __version__,
        "communes": len(etude.communes),
        "departement": etude.departement[1],
    }
    from .livrables import annexes_rapport

    annexes, avertissements = annexes_rapport(etude, [c.chemin for c in chapitres if c.chemin is not None])
    for message in avertissements:
        print(f"Attention : {message}", file=sys.stderr)
    sortie = assembler(chapitres, Path(etude.dossier_livrables) / "rapport.html", meta, annexes=annexes)
    print(f"Rapport écrit : {sortie}")
    echecs = [c for c in chapitres if c.statut != "ok"]
    if echecs:
        print("Chapitres non produits : " + ", ".join(f"{c.numero} « {c.titre} »" for c in echecs))
    return 0


def cmd_rapport_pdf(args) -> int:
    import time

    from .livrables import rapport_pdf

    etude = _etude(args)
    source = Path(etude.dossier_livrables) / "rapport.html"
    if not source.exists():
        print("Le rapport HTML n'existe pas encore : lancez « make livrables » (ou « make rapport »).",
              file=sys.stderr)
        return 2
    debut = time.perf_counter()
    sortie = rapport_pdf(source)
    print(f"Rapport PDF écrit : {sortie} ({time.perf_counter() - debut:.1f} s)")
    return 0


def cmd_synthese(args) -> int:
    from .livrables import synthese

    etude = _etude(args)
    html_, pdf = synthese(etude)
    print(f"Synthèse écrite : {html_} et {pdf}")
    return 0


def cmd_fiches_communes(args) -> int:
    from .livrables import fiches_communes

    etude = _etude(args)
    r = fiches_communes(etude)
    t = r["secondes"]
    print(f"Fiches communes écrites : {len(r['fichiers'])} fiches dans {r['combine'].parent / 'fiches-communes'} "
          f"et {r['combine']} ({t['total']:.1f} s, {t['par_commune']:.2f} s par commune)")
    trop_longues = [k for k, n in r["pages"].items() if n > 1]
    if trop_longues:
        print(f"Attention : {len(trop_longues)} fiche(s) sur plus d'une page : {', '.join(trop_longues)}",
              file=sys.stderr)
    return 0


def cmd_presentation(args) -> int:
    from .livrables import presentation

    etude = _etude(args)
    print(f"Support de présentation écrit : {presentation(etude)}")
    return 0


def cmd_plan_action(args) -> int:
    from .livrables import plan_action

    etude = _etude(args)
    html_, pdf = plan_action(etude)
    print(f"Plan d'action écrit : {html_} et {pdf}")
    return 0


def cmd_livrables(args) -> int:
    """Every deliverable from the executed notebooks; one failing deliverable does not stop the
    others, the command ends in error and names it."""
    echecs = []
    for nom, fonction in (("rapport HTML", cmd_assembler), ("rapport PDF", cmd_rapport_pdf),
                          ("synthèse", cmd_synthese), ("fiches communes", cmd_fiches_communes),
                          ("support de présentation", cmd_presentation), ("plan d'action", cmd_plan_action)):
        try:
            statut = fonction(args)
        except ErreurDiagnostic as e:
            print(f"Erreur ({nom}) : {e}", file=sys.stderr)
            statut = 2
        if statut:
            echecs.append(nom)
    if echecs:
        print("Livrables non produits : " + ", ".join(echecs), file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="diagnostic_territorial",
                                     description="Diagnostic social de territoire : données, notebooks, rapport.")
    parser.add_argument("--etude", default="etude.yaml", help="fichier etude.yaml (défaut : ./etude.yaml)")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="commande", required=True)
    p = sub.add_parser("donnees", help="lire, télécharger et mettre en cache les sources")
    p.add_argument("--hors-ligne", action="store_true", help="ne rien télécharger")
    p.add_argument("--strict", action="store_true", help="échouer si une source manque")
    p.set_defaults(func=cmd_donnees)
    p = sub.add_parser("donnees-demo", help="installer les données de démonstration dans data/brut/")
    p.set_defaults(func=cmd_donnees_demo)
    p = sub.add_parser("notebooks", help="exécuter les notebooks des chapitres (papermill)")
    p.add_argument("--workers", type=int, default=None, help="processus parallèles (défaut : etude.yaml)")
    p.add_argument("--chapitres", default="", help="clés des chapitres à exécuter, séparées par des virgules")
    p.add_argument("--arret-premier-echec", action="store_true", help="s'arrêter au premier chapitre en échec")
    p.add_argument("--force", action="store_true",
                   help="réexécuter tous les chapitres, même ceux dont rien n'a changé")
    p.set_defaults(func=cmd_notebooks)
    p = sub.add_parser("assembler", help="assembler les notebooks exécutés en livrables/rapport.html")
    p.set_defaults(func=cmd_assembler)
    from .multi import ajouter_sous_commande as ajouter_multi

    ajouter_multi(sub)  # « multi » : plusieurs territoires, pool local ou Dask distributed
    for nom, aide, fonction in (
        ("rapport-pdf", "livrables/rapport.pdf depuis livrables/rapport.html (WeasyPrint)", cmd_rapport_pdf),
        ("synthese", "livrables/synthese.html et synthese.pdf", cmd_synthese),
        ("fiches-communes", "une fiche PDF par commune (livrables/fiches-communes/) et le recueil", cmd_fiches_communes),
        ("presentation", "livrables/presentation.slides.html (diaporama hors ligne)", cmd_presentation),
        ("plan-action", "livrables/plan-action.html et .pdf depuis plan_action.yaml", cmd_plan_action),
        ("livrables", "tous les livrables depuis les notebooks exécutés", cmd_livrables),
    ):
        p = sub.add_parser(nom, help=aide)
        p.set_defaults(func=fonction)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ErreurDiagnostic as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu : les livrables précédents sont intacts.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
