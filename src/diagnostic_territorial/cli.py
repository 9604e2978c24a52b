"""Commands called by a study's Makefile: python -m diagnostic_territorial <commande>.

Interruptions: Ctrl-C (SIGINT), SIGTERM and SIGHUP stop the command cleanly. Every deliverable is
written atomically, so an interruption leaves each file either as it was or fully rewritten (never
half-written) and removes the temporary file being written; a stale temporary file left by a
process killed outright (SIGKILL) is removed by the next run. The command then ends the way an
interrupted program does (killed by the same signal), so that ``make`` and the shell stop too.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
from pathlib import Path

from diagnostic_territorial import __version__
from diagnostic_territorial.erreurs import ErreurDiagnostic


def _etude(args):
    """The study of the command, read once per command (« livrables » runs several)."""
    from diagnostic_territorial.configuration.etude import Etude

    if getattr(args, "_etude_lue", None) is None:
        args._etude_lue = Etude.charger(args.etude)
    return args._etude_lue


def cmd_donnees(args) -> int:
    from diagnostic_territorial.sources import preparation as donnees

    etude = _etude(args)
    print(f"Préparation des données de « {etude.nom_territoire} » ({len(etude.communes)} communes)")
    dispo, rapport = donnees.preparer(etude, telecharger=not args.hors_ligne, rapport=True)
    dispo.append(donnees.preparer_contours(etude))
    manquants = 0
    for d in dispo:
        statut, source, millesime, message = d.statut, d.source, d.millesime, d.message or ""
        marque = "ok " if statut == "ok" else "-- "
        print(f"  {marque}{source}" + (f" {millesime}" if millesime else "")
              + (f" : {message}" if statut != "ok" or d.relu else ""))  # a rebuilt cache says why
        manquants += statut != "ok"
    _afficher_rapport(etude, rapport)
    if manquants:
        print(
            f"{manquants} source(s) manquante(s) : les chapitres concernés l'indiqueront dans le rapport. "
            "Déposez les fichiers officiels dans data/brut/ puis relancez « make donnees »."
        )
    return 1 if (manquants and args.strict) else 0


def _provenance_cache(etude, source: str, millesime: int):
    from diagnostic_territorial.sources import preparation as donnees
    from diagnostic_territorial.sources import cache

    chemin = donnees.chemin_cache(etude, source, millesime)
    return cache.provenance(chemin) if chemin.exists() else None


def _afficher_rapport(etude, rapport) -> None:
    """What `make donnees` tells the consultant beyond the sources: the millésimes chosen, what
    each file of data/brut/ was used for, the files not recognised, the indicators left empty."""
    from diagnostic_territorial.indicateurs import catalogue as ci

    if rapport.millesimes and rapport.millesimes.explications:
        print("Millésimes retenus :")
        for cle, texte in sorted(rapport.millesimes.explications.items()):
            print(f"  {cle} : {texte}")
    utilisees = {ci.indicateur(i).source for i in ci.CATALOGUE} | {
        s for i in ci.CATALOGUE for s in ci.indicateur(i).sources} | {"rp_evol_struct_pop", "populations_legales",
                                                                        "filosofi"}
    if rapport.fichiers or rapport.inconnus:
        print("Fichiers de data/brut/ :")
    for nom, usages in sorted(rapport.fichiers.items()):
        sources = [(s, m) for s, m in usages if s != "doublon"]
        if any(s == "doublon" for s, _ in usages) and not sources:
            print(f"  {nom} : copie d'un autre fichier du même jeu, non lue (la plus récente est utilisée)")
        elif not sources:
            incertain = next((t for t in (rapport.millesimes.explications.values() if rapport.millesimes else [])
                              if t.startswith("millésime inconnu") and nom in t), "")
            print(f"  {nom} : reconnu, non utilisé : "
                  + (incertain or "millésime ou source non demandé par l'étude"))
        else:
            texte = ", ".join(f"{s} {m}" for s, m in sources)
            if rapport.sans_commune.get(nom):
                print(f"  {nom} : lu ({texte}) mais aucune ligne pour les communes de l'étude : inutilisé")
            elif not any(s in utilisees for s, _ in sources):
                print(f"  {nom} : lu ({texte}) mais utilisé par aucun chapitre du rapport")
            else:
                print(f"  {nom} : {texte}")
    for inconnu in rapport.inconnus:
        detail = f" ; {inconnu.proche}" if inconnu.proche else ""
        print(f"  {inconnu.nom} : NON RECONNU ({inconnu.raison}){detail}")
    anomalies = []
    for d in rapport.disponibilites:
        if d.statut == "ok" and d.source != "contours_communes":
            prov = _provenance_cache(etude, d.source, d.millesime)
            anomalies += [a for a in ((prov.extra or {}).get("anomalies") or []) if a not in anomalies] if prov else []
    if anomalies:
        print(f"Valeurs impossibles écartées ({len(anomalies)}) : elles ne sont pas publiées.")
        for a in anomalies:
            print(f"  {a}")
    diagnostics = [d for d in ci.diagnostiquer(etude) if d.statut != "ok"]
    vides = [d for d in diagnostics if d.statut == "vide"]
    if vides:
        print(f"Indicateurs sans valeur ({len(vides)}) :")
        for d in vides:
            print(f"  {d.id} ({d.libelle}) : {d.raison}")
    indisponibles = [d for d in diagnostics if d.statut == "indisponible"]
    if indisponibles:
        print(f"Indicateurs dont la source manque ({len(indisponibles)}) : "
              + ", ".join(d.id for d in indisponibles[:12]) + ("…" if len(indisponibles) > 12 else ""))


def cmd_verifier(args) -> int:
    """Every file the consultant edits, checked in seconds (nothing is computed nor written): one
    French line per problem (file, line, field), exit status 1 when there is one."""
    from diagnostic_territorial.configuration.chargement import verifier_etude

    chemin = Path(args.etude)
    racine = chemin if chemin.is_dir() else chemin.resolve().parent
    problemes, verifies = verifier_etude(racine)
    for probleme in problemes:
        print(probleme)
    if problemes:
        print(f"{len(problemes)} problème(s) à corriger dans les fichiers de l'étude.", file=sys.stderr)
        return 1
    print(f"Tout est en ordre ({', '.join(verifies)}).")
    return 0


def cmd_donnees_demo(args) -> int:
    # The simulator is not part of what a study runs: a separate package, imported only here.
    try:
        from diagnostic_territorial_demo import installer_donnees_demo, installer_enquete_demo
    except ModuleNotFoundError as e:
        if e.name != "diagnostic_territorial_demo":
            raise
        raise ErreurDiagnostic(
            "Le simulateur des données de démonstration (paquet « diagnostic_territorial_demo ») n'est pas "
            "installé dans cet environnement : réinstallez diagnostic-territorial depuis son dépôt complet "
            "(« make env » dans l'étude), ou placez vos fichiers officiels dans data/brut/.") from None

    etude = _etude(args)
    installer_donnees_demo(etude.dossier_brut, communes=etude.codes_communes())
    installer_enquete_demo(etude)
    print(f"Données de démonstration installées dans {etude.dossier_brut} "
          "(extraits réels Insee ; recensement simulé au format officiel, signalé comme tel).")
    return 0


def cmd_notebooks(args) -> int:
    from diagnostic_territorial.execution.notebooks import executer, resume

    etude = _etude(args)
    _donnees_pretes(etude, force=getattr(args, "force", False))
    cles = [c.strip() for c in args.chapitres.split(",") if c.strip()] or None
    if cles:
        from diagnostic_territorial.chapitres.plan import chapitres_etude

        connues = [c.cle for c in chapitres_etude(etude.racine)]
        inconnues = [c for c in cles if c not in connues]
        if inconnues:
            raise ErreurDiagnostic(f"Chapitre inconnu : {', '.join(f'« {c} »' for c in inconnues)}. "
                                   f"Chapitres de l'étude : {', '.join(connues)}.")
    workers = args.workers if args.workers is not None else etude.workers
    from diagnostic_territorial.rendu.presentation import VARIABLE_DOCUMENT_CLIENT

    # The notebooks executed here are the client's report: the kernels (started by the workers, which
    # inherit this environment) show neutral notices of missing data, the details stay for the
    # technical annex and this terminal (issue 16).
    os.environ[VARIABLE_DOCUMENT_CLIENT] = "1"
    resultats = executer(etude, cles=cles, workers=workers, arret_premier_echec=args.arret_premier_echec,
                         force=getattr(args, "force", False))
    from diagnostic_territorial.ecriture import _ecrire_atomiquement

    _ecrire_atomiquement(_sources_utilisees(etude), json.dumps(sorted(_caches_presents(etude)), indent=1).encode("utf-8"))
    print(resume(resultats))
    return 0 if all(r.statut == "ok" for r in resultats) else 1


def _sources_utilisees(etude) -> Path:
    return Path(etude.dossier_build) / "sources_utilisees.json"


def _caches_presents(etude) -> set[str]:
    from diagnostic_territorial.sources import preparation as donnees

    return {f"{cle}_{m}" for cle, m in donnees.besoins(etude) if donnees.chemin_cache(etude, cle, m).exists()}


def _donnees_pretes(etude, force: bool = False) -> None:
    """Before the notebooks: the data of data/brut/ are prepared when their cache is missing (a
    deleted data/cache never gives a silently empty report); if data that the previous production
    used has disappeared (from data/cache and data/brut), the command stops rather than replace
    the deliverables with emptier ones (--force accepts it)."""
    from diagnostic_territorial.sources import preparation as donnees

    utilisees = _sources_utilisees(etude)
    avant = set()
    if utilisees.exists():
        try:
            avant = set(json.loads(utilisees.read_text(encoding="utf-8")))
        except ValueError:
            avant = set()
    jamais_preparees = not (Path(etude.dossier_cache) / "millesimes.json").exists()
    if jamais_preparees or avant - _caches_presents(etude):
        print("Données non préparées ou incomplètes dans data/cache/ : préparation depuis data/brut/ "
              "(make donnees) d'abord.")
        donnees.preparer(etude, telecharger=False)
    presents = _caches_presents(etude)
    if not presents:
        raise ErreurDiagnostic(
            "Aucune donnée préparée : data/cache/ est vide et data/brut/ ne contient aucun fichier lisible. Lancez "
            "« make donnees » (ou « make donnees-demo ») ; les notebooks et livrables existants ne sont pas remplacés.")
    if avant and not force:
        disparues = sorted(avant - presents)
        if disparues:
            raise ErreurDiagnostic(
                f"Des données utilisées par la production précédente ont disparu de data/cache/ et de data/brut/ : "
                f"{', '.join(disparues)}. Le rapport n'est pas refait avec moins de données : redéposez les fichiers "
                "dans data/brut/ puis relancez « make donnees », ou relancez avec FORCE=1 pour produire sans elles.")


def _si_modifie(args, etude, nom: str, sorties, construire) -> int:
    """Run `construire()` unless the deliverable `nom` is up to date (see a_jour.py); record its
    inputs after a successful build."""
    from diagnostic_territorial.execution.a_jour import Livrable

    livrable = Livrable(etude, nom, sorties, force=getattr(args, "force", False))
    noms = ", ".join(Path(s).name for s in livrable.sorties)
    if livrable.a_jour():
        print(f"À jour, rien n'a changé depuis la dernière production : {noms} (--force pour refaire)")
        return 0
    print(f"Production de {noms} : {' ; '.join(livrable.raisons)}")
    statut = construire()
    if statut == 0:
        livrable.enregistrer()
    return statut


def _notebooks_presents(etude) -> None:
    """The deliverables are built from the executed notebooks: when none is there (build/ deleted),
    an existing report is not replaced by an empty one. What a complement removed from complements/
    left in build/ is deleted first, so that the deliverables are made again without it."""
    from diagnostic_territorial.execution.notebooks import retirer_complements_disparus
    from diagnostic_territorial.chapitres.plan import chapitres_etude

    chapitres = chapitres_etude(etude.racine)
    retirer_complements_disparus(etude, chapitres)
    dossier = Path(etude.dossier_build) / "notebooks"
    absents = [c.titre for c in chapitres if not (dossier / c.notebook_execute).exists()]
    if len(absents) == len(chapitres) and (Path(etude.dossier_livrables) / "rapport.html").exists():
        raise ErreurDiagnostic(
            "Aucun notebook exécuté dans build/notebooks/ : lancez « make notebooks » (ou « make rapport ») ; "
            "les livrables existants ne sont pas remplacés par des livrables vides.")


def cmd_assembler(args) -> int:
    etude = _etude(args)
    _notebooks_presents(etude)
    from diagnostic_territorial.livrables.annexes import NOM_ANNEXE_TECHNIQUE

    return _si_modifie(args, etude, "rapport-html", [Path(etude.dossier_livrables) / "rapport.html",
                                                     _rapport_impression(etude),
                                                     Path(etude.dossier_livrables) / NOM_ANNEXE_TECHNIQUE],
                       lambda: _assembler(etude))


def _rapport_impression(etude) -> Path:
    """The report with its static maps, source of rapport.pdf (rapport.html keeps the interactive ones)."""
    return Path(etude.dossier_build) / "rapport-impression.html"


def _noms_departements(etude) -> str:
    """Every département of the study for the cover (« Haute-Garonne et Ariège »)."""
    from diagnostic_territorial.livrables.commun import _noms

    return _noms(getattr(etude, "departements", None) or [etude.departement])


def _assembler(etude) -> int:
    from diagnostic_territorial.ecriture import date_generation
    from diagnostic_territorial.execution.notebooks import etats_chapitres
    from diagnostic_territorial.livrables.annexes import donnees_simulees
    from diagnostic_territorial.livrables.rapport import assembler, etat_document

    chapitres = etats_chapitres(etude)
    etat = etat_document(etude)
    meta = {
        "nom_territoire": etude.nom_territoire,
        "sous_titre": etude.sous_titre or "Diagnostic social de territoire",
        "consultant": etude.consultant,
        "date": date_generation(),
        "version": __version__,
        "communes": len(etude.communes),
        "departement": _noms_departements(etude),
        "simule": donnees_simulees(etude),
        "etat": etat,
    }
    _signaler_document_de_travail(etude, etat)
    from diagnostic_territorial.livrables.annexes import annexe_technique, annexes_rapport, resume_terminal

    annexes, avertissements = annexes_rapport(etude, [c.chemin for c in chapitres if c.chemin is not None])
    for message in avertissements:
        print(f"Attention : {message}", file=sys.stderr)
    sortie = assembler(chapitres, Path(etude.dossier_livrables) / "rapport.html", meta, annexes=annexes,
                       impression=_rapport_impression(etude))
    print(f"Rapport écrit : {sortie}")
    echecs = [c for c in chapitres if c.statut != "ok"]
    if echecs:
        print("Chapitres non produits : " + ", ".join(f"{c.numero} « {c.titre} »" for c in echecs))
    # What the client's documents never show (paths, files, commands, errors): here and in the
    # technical annex, a separate file for the consultant.
    for ligne in resume_terminal(etude, chapitres):
        print(ligne)
    technique = annexe_technique(etude, chapitres, avertissements)
    print(f"Annexe technique (pour le consultant, à ne pas transmettre au client) : {technique}")
    return 0


def _signaler_document_de_travail(etude, etat) -> None:
    """Tell the consultant why the report is still a « Document de travail » and what to do."""
    if not etat.travail:
        return
    if etat.propositions:
        detail = ", ".join(f"{cle} ({n})" for cle, n in etat.propositions.items())
        print(f"Propositions de rédaction à relire : {detail}. Écrivez votre analyse dans analyses/<chapitre>.md "
              "(une ligne « [proposition] » y reprend la proposition de synthèse).", file=sys.stderr)
    if getattr(etude, "version_finale", False):
        print("Attention : etude.yaml demande la version finale, mais le rapport reste un « Document de travail » : "
              f"{etat.texte}", file=sys.stderr)


def cmd_rapport_pdf(args) -> int:
    import time

    etude = _etude(args)
    source = _rapport_impression(etude)
    if not source.exists() or not (Path(etude.dossier_livrables) / "rapport.html").exists():
        print("Le rapport HTML n'existe pas encore : lancez « make livrables » (ou « make rapport »).",
              file=sys.stderr)
        return 2

    def construire() -> int:
        from diagnostic_territorial.livrables.rapport_impression import rapport_pdf

        debut = time.perf_counter()
        sortie = rapport_pdf(source, Path(etude.dossier_livrables) / "rapport.pdf")
        print(f"Rapport PDF écrit : {sortie} ({time.perf_counter() - debut:.1f} s)")
        return 0

    # Made from everything the report is made from (a_jour.composantes), like rapport.html.
    return _si_modifie(args, etude, "rapport-pdf", [Path(etude.dossier_livrables) / "rapport.pdf"], construire)


def _html_et_pdf(args, nom: str, fonction: str, message: str) -> int:
    """A deliverable written as livrables/<nom>.html and .pdf by the function `fonction` of the
    module of the same name in the livrables package (``livrables.synthese.synthese(etude)``)."""
    etude = _etude(args)

    def construire() -> int:
        import importlib

        module = importlib.import_module(f"diagnostic_territorial.livrables.{fonction}")
        html_, pdf = getattr(module, fonction)(etude)
        print(f"{message} : {html_} et {pdf}")
        return 0

    d = Path(etude.dossier_livrables)
    return _si_modifie(args, etude, nom, [d / f"{nom}.html", d / f"{nom}.pdf"], construire)


def cmd_synthese(args) -> int:
    return _html_et_pdf(args, "synthese", "synthese", "Synthèse écrite")


def cmd_fiches_communes(args) -> int:
    etude = _etude(args)

    def construire() -> int:
        from diagnostic_territorial.livrables.fiches import PAGES_PAR_FICHE, fiches_communes

        r = fiches_communes(etude)
        t = r["secondes"]
        print(f"Fiches communes écrites : {len(r['fichiers'])} fiches dans {r['combine'].parent / 'fiches-communes'} "
              f"et {r['combine']} ({t['total']:.1f} s, {t['par_commune']:.2f} s par commune)")
        trop_longues = [k for k, n in r["pages"].items() if n > PAGES_PAR_FICHE]
        if trop_longues:
            print(f"Attention : {len(trop_longues)} fiche(s) sur plus de {PAGES_PAR_FICHE} pages : "
                  f"{', '.join(trop_longues)}",
                  file=sys.stderr)
        return 0

    d = Path(etude.dossier_livrables)
    return _si_modifie(args, etude, "fiches-communes", [d / "fiches-communes.pdf", d / "fiches-communes"],
                       construire)


def cmd_presentation(args) -> int:
    etude = _etude(args)

    def construire() -> int:
        from diagnostic_territorial.livrables.diaporama import presentation

        print(f"Support de présentation écrit : {presentation(etude)}")
        return 0

    return _si_modifie(args, etude, "presentation", [Path(etude.dossier_livrables) / "presentation.slides.html"],
                       construire)


def cmd_plan_action(args) -> int:
    return _html_et_pdf(args, "plan-action", "plan_action", "Plan d'action écrit")


def cmd_tableur(args) -> int:
    """The report's tables as data: livrables/donnees.xlsx and livrables/donnees/ (CSV)."""
    etude = _etude(args)
    _notebooks_presents(etude)

    def construire() -> int:
        from diagnostic_territorial.livrables.tableur import tableur

        xlsx, dossier, n = tableur(etude)
        print(f"Tableaux du rapport en données : {n} tableau(x) dans {xlsx} et {dossier}/ (CSV)")
        return 0

    d = Path(etude.dossier_livrables)
    return _si_modifie(args, etude, "tableur", [d / "donnees.xlsx", d / "donnees"], construire)


# The Word documents (livrables.word): (deliverable's name in a_jour.ENTREES, file, function, message).
DOCUMENTS_WORD = (
    ("rapport-docx", "rapport.docx", "rapport_docx", "Rapport Word écrit"),
    ("synthese-docx", "synthese.docx", "synthese_docx", "Synthèse Word écrite"),
    ("plan-action-docx", "plan-action.docx", "plan_action_docx", "Plan d'action Word écrit"),
)


def _document_word(args, nom: str) -> int:
    """One editable Word document (livrables.word), rebuilt when what it is made from changed."""
    etude = _etude(args)
    _, fichier, fonction, message = next(d for d in DOCUMENTS_WORD if d[0] == nom)
    if nom == "rapport-docx":
        _notebooks_presents(etude)

    def construire() -> int:
        from diagnostic_territorial.livrables import word

        print(f"{message} : {getattr(word, fonction)(etude)}")
        return 0

    return _si_modifie(args, etude, nom, [Path(etude.dossier_livrables) / fichier], construire)


def cmd_word(args) -> int:
    """rapport.docx, synthese.docx and plan-action.docx; one failing does not stop the others."""
    statut = 0
    for nom, *_ in DOCUMENTS_WORD:
        try:
            statut = _document_word(args, nom) or statut
        except ErreurDiagnostic as e:
            print(f"Erreur ({nom}) : {e}", file=sys.stderr)
            statut = 2
    return statut


def _nettoyer_livrables(etude) -> None:
    """Remove the temporary files a killed run left in livrables/ (see ecriture.nettoyer_temporaires)."""
    from diagnostic_territorial.ecriture import nettoyer_temporaires

    dossier = Path(etude.dossier_livrables)
    for d in (dossier, dossier / "fiches-communes", dossier / "donnees"):
        nettoyer_temporaires(d)


def cmd_livrables(args) -> int:
    """Every deliverable from the executed notebooks; one failing deliverable does not stop the
    others, the command ends in error and names it."""
    _nettoyer_livrables(_etude(args))
    _notebooks_presents(_etude(args))
    echecs = []
    for nom, fonction in (("rapport HTML", cmd_assembler), ("rapport PDF", cmd_rapport_pdf),
                          ("synthèse", cmd_synthese), ("fiches communes", cmd_fiches_communes),
                          ("support de présentation", cmd_presentation), ("plan d'action", cmd_plan_action),
                          ("documents Word", cmd_word),
                          ("tableaux en données", cmd_tableur)):
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


# Signals that stop a command cleanly (KeyboardInterrupt in the main process).
SIGNAUX_ARRET = tuple(getattr(signal, nom) for nom in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, nom))
_signal_recu: list[int] = []


def _installer_signaux() -> None:
    """SIGTERM and SIGHUP raise KeyboardInterrupt like Ctrl-C does, so that the temporary file being
    written is removed (``finally`` blocks run) instead of the process dying on the spot. A process
    forked from this one (a worker of the notebooks' pool) keeps the default behaviour."""
    principal = os.getpid()

    def gestionnaire(signum, frame):
        if os.getpid() != principal:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        _signal_recu.append(signum)
        raise KeyboardInterrupt

    for signum in SIGNAUX_ARRET:
        try:
            signal.signal(signum, gestionnaire)
        except (ValueError, OSError):  # not the main thread, or not supported here
            pass


def _mourir_du_signal(signum: int) -> None:
    """End like a program killed by `signum` (what shells and make expect from an interrupted
    command: « make rapport » stops instead of going on with the next step)."""
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


CAUSES_DISQUE = {
    errno.ENOSPC: "le disque est plein",
    errno.EDQUOT: "le quota d'espace disque est atteint",
    errno.EROFS: "le disque est en lecture seule",
    errno.EACCES: "l'écriture n'y est pas permise",
    errno.EPERM: "l'écriture n'y est pas permise",
}


def message_disque(exc: OSError) -> str | None:
    """A French message for a write that the disk refused (full, read-only, not permitted), naming
    the folder; None for another OSError. Every file is written to a temporary file then renamed:
    what was being written is not half-written and the previous version stays intact."""
    cause = CAUSES_DISQUE.get(exc.errno)
    if cause is None:
        return None
    chemin = Path(exc.filename) if exc.filename else None
    dossier = (chemin.parent if chemin is not None and not chemin.is_dir() else chemin) or Path.cwd()
    quoi = f"« {chemin.name} » " if chemin is not None and chemin.name and not chemin.name.startswith(".") else ""
    return (f"écriture impossible dans le dossier « {dossier} » : {cause}. Le fichier {quoi}n'a pas été écrit ; "
            "les fichiers déjà présents sont intacts (aucun fichier à moitié écrit). Libérez de la place ou "
            "changez les droits du dossier, puis relancez la commande.")


def main(argv: list[str] | None = None) -> int:
    """Entry point. With ``argv=None`` (the command line), termination signals are handled as
    described in the module's docstring; a call from Python (tests) keeps the caller's handlers."""
    ligne_de_commande = argv is None
    if ligne_de_commande:
        _installer_signaux()
    parser = argparse.ArgumentParser(prog="diagnostic_territorial",
                                     description="Diagnostic social de territoire : données, notebooks, rapport.")
    parser.add_argument("--etude", default="etude.yaml", help="fichier etude.yaml (défaut : ./etude.yaml)")
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="commande", required=True)
    p = sub.add_parser("donnees", help="lire, télécharger et mettre en cache les sources")
    p.add_argument("--hors-ligne", action="store_true", help="ne rien télécharger")
    p.add_argument("--strict", action="store_true", help="échouer si une source manque")
    p.set_defaults(func=cmd_donnees)
    p = sub.add_parser("verifier", help="vérifier les fichiers du consultant (etude.yaml, observation ciblée, plan "
                                        "d'action, questionnaire, analyses) sans rien exécuter")
    p.set_defaults(func=cmd_verifier)
    p = sub.add_parser("donnees-demo", help="installer les données de démonstration dans data/brut/")
    p.set_defaults(func=cmd_donnees_demo)
    p = sub.add_parser("notebooks", help="exécuter les notebooks des chapitres (papermill)")
    p.add_argument("--workers", type=int, default=None, help="processus parallèles (défaut : etude.yaml)")
    p.add_argument("--chapitres", default="",
                   help="clés des chapitres à exécuter, séparées par des virgules (un notebook de complements/ : "
                        "« complement-<nom du fichier sans .ipynb> »)")
    p.add_argument("--arret-premier-echec", action="store_true", help="s'arrêter au premier chapitre en échec")
    p.add_argument("--force", action="store_true",
                   help="réexécuter tous les chapitres, même ceux dont rien n'a changé")
    p.set_defaults(func=cmd_notebooks)
    p = sub.add_parser("assembler", help="assembler les notebooks exécutés en livrables/rapport.html")
    p.add_argument("--force", action="store_true", help="refaire le rapport même si rien n'a changé")
    p.set_defaults(func=cmd_assembler)
    from diagnostic_territorial.execution.multi import ajouter_sous_commande as ajouter_multi

    ajouter_multi(sub)  # « multi » : plusieurs territoires, pool local ou Dask distributed
    for nom, aide, fonction in (
        ("rapport-pdf", "livrables/rapport.pdf depuis livrables/rapport.html (WeasyPrint)", cmd_rapport_pdf),
        ("synthese", "livrables/synthese.html et synthese.pdf", cmd_synthese),
        ("fiches-communes", "une fiche PDF par commune (livrables/fiches-communes/) et le recueil", cmd_fiches_communes),
        ("presentation", "livrables/presentation.slides.html (diaporama hors ligne)", cmd_presentation),
        ("plan-action", "livrables/plan-action.html et .pdf depuis plan_action.yaml", cmd_plan_action),
        ("tableur", "livrables/donnees.xlsx et livrables/donnees/ (CSV) : les tableaux du rapport en données",
         cmd_tableur),
        ("word", "livrables/rapport.docx, synthese.docx et plan-action.docx (Word, modifiables ; styles de "
                 "modele.docx s'il existe)", cmd_word),
        ("rapport-docx", "livrables/rapport.docx seulement", lambda a: _document_word(a, "rapport-docx")),
        ("livrables", "tous les livrables depuis les notebooks exécutés", cmd_livrables),
    ):
        p = sub.add_parser(nom, help=aide)
        p.add_argument("--force", action="store_true", help="refaire même si rien n'a changé")
        p.set_defaults(func=fonction)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ErreurDiagnostic as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return 2
    except OSError as e:
        message = message_disque(e)
        if message is None:
            raise
        print(f"Erreur : {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu : les fichiers déjà écrits sont complets, celui qui était en cours d'écriture est "
              "resté dans sa version précédente (aucun fichier à moitié écrit) ; relancez la commande.",
              file=sys.stderr)
        signum = _signal_recu[-1] if _signal_recu else signal.SIGINT
        if ligne_de_commande:
            _mourir_du_signal(signum)
        return 128 + int(signum)


if __name__ == "__main__":
    sys.exit(main())
