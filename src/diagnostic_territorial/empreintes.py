"""The one fingerprint kernel of the three incremental mechanisms of the project:

- the chapters' keys (``execution/notebooks.py``: a chapter is re-executed only when its inputs changed),
- the deliverables (``execution/a_jour.py``: a deliverable is rebuilt only when what it is made from changed),
- the data cache (``sources/preparation.py``: a cache is rebuilt when the files of data/brut/ it was
  read from, the code reading them or the study's perimeter changed).

All three describe their inputs as a dictionary of *components* (name -> fingerprint, a string or a
dictionary {sub-name: fingerprint}), store it, and compare it with the stored one at the next run.
This module gives what they share:

- ``Empreintes``: the sha256 of a file (``ecriture.sha256_fichier``), memoised by (size, mtime,
  inode), in memory or in a JSON file (a file rewritten with the same content changes its date, not
  its fingerprint: nothing is redone); ``fichiers``/``arbre``: the files of a folder with exclusions,
  as a dictionary {relative path: sha256} or as one hash;
- ``empreinte_octets``, ``empreinte_textes``, ``empreinte_composantes``: hashes of bytes, of a list of
  texts, of a dictionary of components (canonical JSON);
- ``raisons``: what changed between two dictionaries of components, in French, for the terminal
  (« etude.yaml modifié », « données modifiées (filosofi_2019.parquet modifié) »);
- ``lire``/``enregistrer``: the stored record ``{"cle": ..., "composantes": ...}``, written atomically
  (``ecriture.ecrire_json``).

Standard library only (imported by commands that must stay quick), and no dependency on the rest of
the library: the data sources and the execution both use it.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Callable, Iterable, Mapping

from diagnostic_territorial.ecriture import ecrire_json, sha256_fichier

# A disk that refuses a write (the causes of cli.CAUSES_DISQUE): full, over quota, read-only, not permitted.
_DISQUE_REFUSE = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})

# Fingerprint of a file or folder that does not exist.
ABSENT = "absent"
# Never part of a fingerprint: hidden files and folders (editors' and JupyterLab's checkpoints, the
# temporary files of ecriture.fichier_temporaire), Python's caches.
EXCLUS_TOUJOURS = (".*", "__pycache__", "*.pyc", "*.tmp")
# How many changed names a reason lists before « et N autre(s) ».
DETAILS_MAX = 3


# --- hashes of values ----------------------------------------------------------------------------

def empreinte_octets(donnees: bytes | str) -> str:
    """sha256 (hex) of bytes, or of a text in UTF-8."""
    if isinstance(donnees, str):
        donnees = donnees.encode("utf-8")
    return hashlib.sha256(donnees).hexdigest()


def empreinte_textes(textes: Iterable, longueur: int | None = None) -> str:
    """sha256 of several texts or bytes, each one followed by a NUL byte (so that ("ab", "c") and
    ("a", "bc") differ); ``longueur``: keep that many hex digits."""
    h = hashlib.sha256()
    for texte in textes:
        h.update(texte if isinstance(texte, bytes) else str(texte).encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:longueur] if longueur else h.hexdigest()


def empreinte_composantes(composantes: Mapping) -> str:
    """One hash for a dictionary of components (canonical JSON: sorted keys)."""
    return empreinte_octets(json.dumps(composantes, sort_keys=True))


# --- files and folders ---------------------------------------------------------------------------

def signature(chemin: str | os.PathLike) -> list[int]:
    """[size, mtime in ns] of a file: cheap, but a date, not a content."""
    etat = os.stat(chemin)
    return [etat.st_size, etat.st_mtime_ns]


def exclu(relatif: str, exclure: Iterable[str] = ()) -> bool:
    """Whether a relative path (``a/b/c.csv``) is left out by one of the patterns ``exclure`` or of
    EXCLUS_TOUJOURS. A pattern without « / » (``*.pyc``, ``.*``, ``__pycache__``) matches any part of
    the path (a folder leaves out everything under it); a pattern with « / » is anchored at the root
    and matches the whole path part by part (``/*.ipynb``: the notebooks directly in the folder, not
    those of its subfolders). Case-sensitive on every system."""
    parties = relatif.split("/")
    for motif in (*EXCLUS_TOUJOURS, *exclure):
        if "/" in motif:
            morceaux = motif.strip("/").split("/")
            if len(morceaux) == len(parties) and all(fnmatchcase(p, m) for p, m in zip(parties, morceaux)):
                return True
        elif any(fnmatchcase(p, motif) for p in parties):
            return True
    return False


class Empreintes:
    """sha256 of files, memoised by (size, mtime, inode): in memory for this process, and in the
    JSON file ``memo`` when given (so that an unchanged 80 MB file is not read again by the next
    command). A file whose size, date or inode changed is read again: a file replaced by another one
    carrying an older date is seen."""

    def __init__(self, memo: str | os.PathLike | None = None):
        self.chemin = Path(memo) if memo is not None else None
        self.memo: dict = {}
        if self.chemin is not None and self.chemin.exists():
            try:
                memo_lu = json.loads(self.chemin.read_text(encoding="utf-8"))
                self.memo = memo_lu if isinstance(memo_lu, dict) else {}
            except (OSError, ValueError):
                self.memo = {}
        self.modifie = False

    def fichier(self, chemin: str | os.PathLike) -> str:
        """sha256 of a file's content (OSError when it cannot be read)."""
        chemin = Path(chemin)
        etat = chemin.stat()
        cle = str(chemin.resolve())
        reperes = [etat.st_size, etat.st_mtime_ns, etat.st_ino]
        connu = self.memo.get(cle)
        if isinstance(connu, list) and len(connu) == 4 and connu[:3] == reperes:
            return connu[3]
        sha = sha256_fichier(chemin)
        self.memo[cle] = [*reperes, sha]
        self.modifie = True
        return sha

    sha = fichier  # the former name

    def fichiers(self, racine: str | os.PathLike, motifs: tuple[str, ...] = ("**/*",),
                 exclure: Iterable[str] = ()) -> dict[str, str]:
        """{path relative to `racine` (« / » separators): sha256} of the files under `racine` that
        match one of the glob `motifs` and none of the patterns `exclure` (see ``exclu``). Empty when
        `racine` does not exist."""
        racine = Path(racine)
        if not racine.is_dir():
            return {}
        exclure = tuple(exclure)
        trouves = {}
        for motif in motifs:
            for p in racine.glob(motif):
                relatif = p.relative_to(racine).as_posix()
                if relatif not in trouves and not exclu(relatif, exclure) and p.is_file():
                    trouves[relatif] = p
        return {r: self.fichier(trouves[r]) for r in sorted(trouves)}

    def arbre(self, racine: str | os.PathLike, motifs: tuple[str, ...] = ("**/*",),
              exclure: Iterable[str] = ()) -> str:
        """One hash for the files of ``fichiers(racine, motifs, exclure)`` (their relative paths and
        contents); ABSENT when `racine` is not a folder."""
        if not Path(racine).is_dir():
            return ABSENT
        return empreinte_liste(self.fichiers(racine, motifs, exclure))

    def enregistrer(self) -> None:
        """Write the memo back (atomically) when it learnt something; the files that no longer exist
        are forgotten.

        The memo only saves re-reading files: a disk that refuses it (full, read-only, not permitted)
        leaves the previous memo in place and the next run hashes again. The command goes on, so that
        a refused write is reported where it matters, on the file being produced (a deliverable, a
        cache) with its folder (``cli.message_disque``), and not on this speed-up."""
        if self.chemin is None or not self.modifie:
            return
        gardes = {cle: v for cle, v in self.memo.items() if os.path.exists(cle)}
        try:
            ecrire_json(self.chemin, gardes, indent=0, ensure_ascii=True)
        except OSError as exc:
            if exc.errno not in _DISQUE_REFUSE:
                raise
            return
        self.modifie = False


def empreinte_liste(fichiers: Mapping[str, str]) -> str:
    """One hash for a dictionary {name: sha256} (the names and the contents, in name order)."""
    h = hashlib.sha256()
    for nom in sorted(fichiers):
        h.update(nom.encode("utf-8", "surrogateescape") + b"\0" + str(fichiers[nom]).encode() + b"\n")
    return h.hexdigest()


# --- what changed, in French ---------------------------------------------------------------------

def changements(avant: Mapping, apres: Mapping, details_max: int = DETAILS_MAX) -> list[str]:
    """The names whose fingerprint differs between two dictionaries {name: fingerprint}, in French:
    « a.csv modifié », « b.csv ajouté », « c.csv supprimé » (name order), at most `details_max`
    of them then « et N autre(s) »."""
    lignes = []
    for nom in sorted(set(avant) | set(apres)):
        if nom not in avant:
            lignes.append(f"{nom} ajouté")
        elif nom not in apres:
            lignes.append(f"{nom} supprimé")
        elif avant[nom] != apres[nom]:
            lignes.append(f"{nom} modifié")
    if details_max and len(lignes) > details_max:
        reste = len(lignes) - details_max
        lignes = lignes[:details_max] + [f"et {reste} autre{'s' if reste > 1 else ''}"]
    return lignes


def _libelle(cle: str, libelles: Mapping):
    if cle in libelles:
        return libelles[cle]
    prefixe, deux_points, nom = cle.partition(":")
    if deux_points and f"{prefixe}:" in libelles:  # « yaml:plan_action.yaml » -> « {nom} modifié »
        modele = libelles[f"{prefixe}:"]
        return modele.format(nom=nom) if isinstance(modele, str) else modele
    return f"{cle} modifié"


def raisons(avant: Mapping | None, apres: Mapping, libelles: Mapping[str, str | Callable] | None = None,
            details_max: int = DETAILS_MAX) -> list[str]:
    """Why `apres` (the components now) differs from `avant` (the stored ones), in French, one
    reason per changed component, in the order of `apres` (then those that disappeared). Empty
    when nothing changed.

    `libelles`: component -> its French label (« etude.yaml modifié »), or a function
    (before, after) -> label for a reason of its own; a key « prefixe: » gives the label of every
    component « prefixe:<nom> » as a model with {nom}. A component without a label is named by its
    key. When the component is a dictionary (files of a folder...), the names that changed follow its
    label: « données modifiées (filosofi_2019.parquet modifié) »."""
    avant = avant if isinstance(avant, Mapping) else {}
    libelles = libelles or {}
    sortie = []
    for cle in [*apres, *(k for k in avant if k not in apres)]:
        ancien, nouveau = avant.get(cle, ABSENT), apres.get(cle, ABSENT)
        if ancien == nouveau:
            continue
        libelle = _libelle(cle, libelles)
        if callable(libelle):
            sortie.append(libelle(ancien, nouveau))
            continue
        # a folder that appeared or disappeared compares as an empty one; a stored fingerprint of
        # another form (written by an earlier version) gives no detail
        a = {} if ancien == ABSENT else ancien
        n = {} if nouveau == ABSENT else nouveau
        details = changements(a, n, details_max) if isinstance(a, Mapping) and isinstance(n, Mapping) else []
        sortie.append(f"{libelle} ({', '.join(details)})" if details else libelle)
    return sortie


# --- the stored record ---------------------------------------------------------------------------

def lire(chemin: str | os.PathLike) -> dict | None:
    """The record written by ``enregistrer`` (None: absent or unreadable)."""
    try:
        donnees = json.loads(Path(chemin).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return donnees if isinstance(donnees, dict) else None


def enregistrer(chemin: str | os.PathLike, composantes: Mapping, **autres) -> dict:
    """Write ``{"cle": empreinte_composantes(composantes), "composantes": composantes, **autres}``
    to `chemin` atomically (one-space indent, sorted keys, accents kept); returns it."""
    contenu = {"cle": empreinte_composantes(composantes), "composantes": dict(composantes), **autres}
    ecrire_json(chemin, contenu)
    return contenu


def a_jour(enregistrement: Mapping | None, composantes: Mapping) -> bool:
    """Whether a stored record was made from exactly these components."""
    return isinstance(enregistrement, Mapping) and enregistrement.get("cle") == empreinte_composantes(composantes)
