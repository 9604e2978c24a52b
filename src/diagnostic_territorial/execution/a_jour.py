"""Incremental deliverables: a deliverable is rebuilt only when something it is made from changed.

A deliverable (rapport HTML, rapport PDF, synthèse, fiches communes...) is made from the executed
notebooks and their journal, the study's files (etude.yaml, the other YAML files, analyses/,
enquete/, qualitatif/), the data cache, the library (code, templates, version) and the generation
date. After a successful build, ``build/livrables/<nom>.json`` records the hash of all of these and
the hash of each file written. The next run reuses the deliverable when both still match: same
inputs, and the files in livrables/ are those it wrote (a file deleted or replaced by hand is
rebuilt). A failed build records nothing, so it is retried next time; ``--force`` rebuilds anyway.

The report depends on all of these; the other deliverables on the part they read (``ENTREES``):
editing analyses/ rebuilds the report, not the fiches communes.
"""

from __future__ import annotations

import json
from pathlib import Path

from diagnostic_territorial.execution.notebooks import DOSSIERS_ETUDE, Empreintes, _sha_bytes, empreinte_bibliotheque, empreinte_donnees


def _empreintes(etude) -> Empreintes:
    return Empreintes(Path(etude.dossier_build) / "empreintes_livrables.json")


def composantes(etude, empreintes: Empreintes) -> dict:
    """Hashes of everything a deliverable may be made from (see the module's docstring): one entry
    per study file (``yaml:<nom>``) and folder (``dossier:<nom>``), the executed notebooks, their
    results and statuses, the data, the library and the generation date."""
    from diagnostic_territorial.ecriture import date_generation

    racine = Path(etude.racine)
    build = Path(etude.dossier_build)
    sortie = {}
    for p in sorted(racine.glob("*.y*ml")):
        if p.suffix in (".yaml", ".yml") and p.is_file():
            sortie[f"yaml:{p.name}"] = empreintes.sha(p)
    for nom in (*DOSSIERS_ETUDE, "analyses"):
        sortie[f"dossier:{nom}"] = empreintes.arbre(racine / nom)
    sortie.update({
        "notebooks": empreintes.arbre(build / "notebooks", ("*.ipynb",)),
        "resultats": empreintes.arbre(build / "resultats"),
        "journal": _etats_chapitres(build / "execution.json"),
        "donnees": empreinte_donnees(etude, empreintes),
        "bibliotheque": empreinte_bibliotheque(empreintes),
        "date": date_generation().isoformat(),
    })
    return sortie


# What each deliverable is made from, when it is not everything (the report is made from everything).
# A name ending with ":" keeps every entry with that prefix. Being too narrow here would keep a stale
# deliverable: each list follows what the deliverable's module in the livrables package reads.
_COMMUN = ("yaml:etude.yaml", "bibliotheque", "date")
ENTREES = {
    # indicators computed from the data cache (livrables.chiffres_cles), contours, cover fields
    "fiches-communes": (*_COMMUN, "donnees"),
    # key figures from the data cache, « À retenir » of build/resultats/
    "synthese": (*_COMMUN, "donnees", "resultats"),
    # one slide per « À retenir » point of build/resultats/
    "presentation": (*_COMMUN, "resultats"),
    # the fiches actions of plan_action.yaml
    "plan-action": (*_COMMUN, "yaml:plan_action.yaml"),
}


def entrees(nom: str, toutes: dict) -> dict:
    """The components deliverable `nom` is made from."""
    gardees = ENTREES.get(nom)
    if gardees is None:
        return dict(toutes)
    return {k: v for k, v in toutes.items()
            if k in gardees or any(g.endswith(":") and k.startswith(g) for g in gardees)}


def _etats_chapitres(journal: Path) -> str:
    """Hash of what the deliverables show from the execution journal: each chapter's status and
    error. Its durations and « reused » flags change from one run to the next and are left out."""
    try:
        etats = json.loads(journal.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "absent"
    utiles = {cle: [e.get("statut"), e.get("erreur")] for cle, e in etats.items() if isinstance(e, dict)}
    return _sha_bytes(json.dumps(utiles, sort_keys=True, ensure_ascii=False).encode())


def _chemin_etat(etude, nom: str) -> Path:
    return Path(etude.dossier_build) / "livrables" / f"{nom}.json"


def _fichiers(sorties) -> list[Path]:
    """The files of `sorties` (files, or folders whose files all belong to the deliverable)."""
    fichiers = []
    for s in sorties:
        s = Path(s)
        if s.is_dir():
            fichiers.extend(sorted(p for p in s.iterdir() if p.is_file() and not p.name.startswith(".")))
        else:
            fichiers.append(s)
    return fichiers


def _etat_sorties(sorties, empreintes: Empreintes, racine: Path) -> dict | None:
    """{path relative to the study: sha256} of the deliverable's files (None: one is missing).
    Relative paths: a study moved or copied elsewhere keeps its deliverables up to date."""
    etat = {}
    racine = Path(racine).resolve()
    for f in _fichiers(sorties):
        if not f.is_file():
            return None
        try:
            nom = f.resolve().relative_to(racine).as_posix()
        except ValueError:
            nom = f.resolve().as_posix()
        etat[nom] = empreintes.sha(f)
    return etat


class Livrable:
    """``with``-less helper: ``l = Livrable(etude, "synthese", [html, pdf])``; ``l.a_jour()`` says
    whether the files can be reused; after a successful build ``l.enregistrer()``."""

    def __init__(self, etude, nom: str, sorties, force: bool = False):
        self.etude = etude
        self.nom = nom
        self.sorties = [Path(s) for s in sorties]
        self.force = force
        self.empreintes = _empreintes(etude)
        self.composantes = entrees(nom, composantes(etude, self.empreintes))

    def a_jour(self) -> bool:
        if self.force:
            return False
        try:
            ancien = json.loads(_chemin_etat(self.etude, self.nom).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if ancien.get("cle") != _sha_bytes(json.dumps(self.composantes, sort_keys=True).encode()):
            return False
        actuel = _etat_sorties(self.sorties, self.empreintes, self.etude.racine)
        self.empreintes.enregistrer()
        return actuel is not None and actuel == ancien.get("sorties")

    def enregistrer(self) -> None:
        from diagnostic_territorial.ecriture import _ecrire_atomiquement

        sorties = _etat_sorties(self.sorties, self.empreintes, self.etude.racine)
        if sorties is None:
            return
        etat = {"cle": _sha_bytes(json.dumps(self.composantes, sort_keys=True).encode()),
                "composantes": self.composantes, "sorties": sorties}
        _ecrire_atomiquement(_chemin_etat(self.etude, self.nom),
                             json.dumps(etat, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        self.empreintes.enregistrer()
