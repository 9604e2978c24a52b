"""Incremental deliverables: a deliverable is rebuilt only when something it is made from changed.

A deliverable (rapport HTML, rapport PDF, synthèse, fiches communes...) is made from the executed
notebooks and their journal, the study's files (etude.yaml, the other YAML files, analyses/,
enquete/, qualitatif/), the data cache, the library (code, templates, version) and the generation
date. After a successful build, ``build/livrables/<nom>.json`` records these components and the
hash of each file written (``empreintes.enregistrer``). The next run reuses the deliverable when both
still match: same inputs, and the files in livrables/ are those it wrote (a file deleted or replaced
by hand is rebuilt). A failed build records nothing, so it is retried next time; ``--force``
rebuilds anyway. When it rebuilds, ``Livrable.raisons`` says why in French, for the terminal
(« etude.yaml modifié », « analyses/ modifié (demographie.md modifié) »).

The report depends on all of these; the other deliverables on the part they read (``ENTREES``):
editing analyses/ rebuilds the report, not the fiches communes. Files are hashed by the project's
one fingerprint kernel (``diagnostic_territorial.empreintes``), memoised in
``build/empreintes_livrables.json``.
"""

from __future__ import annotations

from pathlib import Path

from diagnostic_territorial import empreintes as noyau
from diagnostic_territorial.empreintes import ABSENT, Empreintes
from diagnostic_territorial.execution.notebooks import DOSSIERS_ETUDE, empreinte_bibliotheque, empreinte_donnees


def _empreintes(etude) -> Empreintes:
    return Empreintes(Path(etude.dossier_build) / "empreintes_livrables.json")


def composantes(etude, empreintes: Empreintes) -> dict:
    """Fingerprints of everything a deliverable may be made from (see the module's docstring): one
    entry per study file (``yaml:<nom>``) and folder (``dossier:<nom>``, {file: sha256}), the executed
    notebooks, their results and statuses, the data, the library and the generation date."""
    from diagnostic_territorial.ecriture import date_generation

    racine = Path(etude.racine)
    build = Path(etude.dossier_build)
    sortie = {f"yaml:{nom}": sha for nom, sha in empreintes.fichiers(racine, ("*.yaml", "*.yml")).items()}
    for nom in (*DOSSIERS_ETUDE, "analyses"):
        sortie[f"dossier:{nom}"] = empreintes.fichiers(racine / nom)
    sortie.update({
        "notebooks": empreintes.fichiers(build / "notebooks", ("*.ipynb",)),
        "resultats": empreintes.fichiers(build / "resultats"),
        "journal": _etats_chapitres(build / "execution.json"),
        "donnees": empreinte_donnees(etude, empreintes),
        "bibliotheque": empreinte_bibliotheque(empreintes),
        "date": date_generation().isoformat(),
    })
    modele = racine / "modele.docx"  # the Word deliverables' reference document (livrables.word)
    sortie["modele-word"] = empreintes.fichier(modele) if modele.is_file() else ABSENT
    return sortie


# What each deliverable is made from, when it is not everything (the report is made from everything).
# A name ending with ":" keeps every entry with that prefix. Being too narrow here would keep a stale
# deliverable: each list follows what the deliverable's module in the livrables package reads.
_COMMUN = ("yaml:etude.yaml", "bibliotheque", "date")
TOUT = "*"  # every component but those only some deliverables read (PROPRES)
# Components read only by the deliverables that name them: modele.docx changes the Word documents,
# not the HTML and PDF ones.
PROPRES = ("modele-word",)
# « Document de travail » on a cover (livrables.commun.etat_livrable, from rapport.etat_document): the
# proposals left in build/resultats/ and the example plan_action.yaml
_ETAT = ("resultats", "yaml:plan_action.yaml")
ENTREES = {
    # indicators computed from the data cache (livrables.chiffres_cles), contours, cover fields
    "fiches-communes": (*_COMMUN, "donnees"),
    # key figures from the data cache, « À retenir » of build/resultats/
    "synthese": (*_COMMUN, "donnees", *_ETAT),
    # one slide per « À retenir » point of build/resultats/
    "presentation": (*_COMMUN, *_ETAT),
    # the fiches actions of plan_action.yaml
    "plan-action": (*_COMMUN, *_ETAT),
    # the tables recorded in the executed notebooks, in the report's order (livrables.tableur)
    "tableur": (*_COMMUN, "notebooks", "journal"),
    # the Word documents (livrables.word): what the HTML and PDF one reads, and the study's modele.docx
    "rapport-docx": (TOUT, "modele-word"),
    "synthese-docx": (*_COMMUN, "donnees", *_ETAT, "modele-word"),
    "plan-action-docx": (*_COMMUN, *_ETAT, "modele-word"),
}

# Why a deliverable is rebuilt, in French (empreintes.raisons).
LIBELLES_COMPOSANTES = {
    "yaml:": "{nom} modifié",
    "dossier:": "{nom}/ modifié",
    "notebooks": "notebooks exécutés modifiés",
    "resultats": "constats des chapitres modifiés",
    "journal": "état des chapitres modifié",
    "donnees": "données modifiées",
    "bibliotheque": "bibliothèque modifiée",
    "date": "date de génération changée",
    "modele-word": "modele.docx modifié",
}


def entrees(nom: str, toutes: dict) -> dict:
    """The components deliverable `nom` is made from."""
    gardees = ENTREES.get(nom, (TOUT,))
    return {k: v for k, v in toutes.items()
            if k in gardees or (TOUT in gardees and k not in PROPRES)
            or any(g.endswith(":") and k.startswith(g) for g in gardees)}


def _etats_chapitres(journal: Path) -> dict | str:
    """What the deliverables show from the execution journal: each chapter's status and error,
    {chapitre: [statut, erreur]}. Its durations and « reused » flags change from one run to the next
    and are left out."""
    etats = noyau.lire(journal)
    if etats is None:
        return ABSENT
    return {cle: [e.get("statut"), e.get("erreur")] for cle, e in etats.items() if isinstance(e, dict)}


def _chemin_etat(etude, nom: str) -> Path:
    return Path(etude.dossier_build) / "livrables" / f"{nom}.json"


def _fichiers(sorties) -> tuple[list[Path], list[Path]]:
    """The files of `sorties` (files, or folders whose files all belong to the deliverable), and the
    files named in `sorties` that do not exist."""
    fichiers, absents = [], []
    for s in sorties:
        s = Path(s)
        if s.is_dir():
            fichiers.extend(sorted(p for p in s.iterdir() if p.is_file() and not p.name.startswith(".")))
        elif s.is_file():
            fichiers.append(s)
        else:
            absents.append(s)
    return fichiers, absents


def _nom(f: Path, racine: Path) -> str:
    """A file's path relative to the study: a study moved or copied elsewhere keeps its deliverables
    up to date."""
    try:
        return f.resolve().relative_to(racine).as_posix()
    except ValueError:
        return f.resolve().as_posix()


def _etat_sorties(sorties, empreintes: Empreintes, racine: Path) -> dict | None:
    """{path relative to the study: sha256} of the deliverable's files (None: one is missing)."""
    fichiers, absents = _fichiers(sorties)
    if absents:
        return None
    racine = Path(racine).resolve()
    return {_nom(f, racine): empreintes.fichier(f) for f in fichiers}


class Livrable:
    """``with``-less helper: ``l = Livrable(etude, "synthese", [html, pdf])``; ``l.a_jour()`` says
    whether the files can be reused (``l.raisons``: why not, in French); after a successful build
    ``l.enregistrer()``."""

    def __init__(self, etude, nom: str, sorties, force: bool = False):
        self.etude = etude
        self.nom = nom
        self.sorties = [Path(s) for s in sorties]
        self.force = force
        self.empreintes = _empreintes(etude)
        self.composantes = entrees(nom, composantes(etude, self.empreintes))
        self.raisons: list[str] = []

    def a_jour(self) -> bool:
        self.raisons = self._raisons()
        self.empreintes.enregistrer()
        return not self.raisons

    def _raisons(self) -> list[str]:
        if self.force:
            return ["production forcée (--force)"]
        ancien = noyau.lire(_chemin_etat(self.etude, self.nom))
        if ancien is None:
            return ["jamais produit (ou échec de la production précédente)"]
        if not noyau.a_jour(ancien, self.composantes):
            return (noyau.raisons(ancien.get("composantes"), self.composantes, LIBELLES_COMPOSANTES)
                    or ["entrées modifiées"])
        racine = Path(self.etude.racine).resolve()
        fichiers, absents = _fichiers(self.sorties)
        actuel = {_nom(f, racine): self.empreintes.fichier(f) for f in fichiers}
        avant = ancien.get("sorties") if isinstance(ancien.get("sorties"), dict) else {}
        details = noyau.changements(avant, actuel) + [
            f"{nom} absent" for nom in (_nom(a, racine) for a in absents) if nom not in avant]
        if details:
            return [f"fichiers produits supprimés ou modifiés depuis ({', '.join(details)})"]
        return []

    def enregistrer(self) -> None:
        sorties = _etat_sorties(self.sorties, self.empreintes, self.etude.racine)
        if sorties is None:
            return
        noyau.enregistrer(_chemin_etat(self.etude, self.nom), self.composantes, sorties=sorties)
        self.empreintes.enregistrer()
