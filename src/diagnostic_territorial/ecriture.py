"""Writing files safely (the one implementation of the atomic write), and the generation date the
deliverables carry.

The files the library writes (deliverables, executed notebooks, data/cache/ parquet files,
data/brut/ downloads and demo files, journals and keys of build/, etude.yaml) go through this module:
a temporary file in the same folder, then ``os.replace`` onto the target, so that a crash, Ctrl-C or
``kill`` at any moment leaves either the previous file or the new one, never a half-written file.

- ``ecrire_octets(chemin, octets)``, ``ecrire_texte(chemin, texte)`` (UTF-8) and
  ``ecrire_json(chemin, objet, ...)`` for contents built in memory;
- ``fichier_temporaire(chemin)``, a context manager yielding the temporary path, for writers that need
  a path (pyarrow, zipfile, gzip, a download).

A disk that refuses the write (full, read-only, not permitted) raises its ``OSError`` (same type
and errno), its ``filename`` set to the target when the system gave none or named the temporary
file: the command line turns it into a French message naming the folder (``cli.message_disque``),
and the previous version of the file is left intact.

Kept apart from rapport.py (which imports nbformat, slow to import) so that a command with nothing
to rebuild stays quick: standard library only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

# Temporary files of fichier_temporaire: ".<name>.<pid>.<random>.tmp".
_RE_TEMPORAIRE = re.compile(r"^\.(?P<nom>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def sha256_fichier(chemin) -> str:
    """sha256 of a file's content, read by blocks: the one file hash of the project (caches of
    data/brut, checksums.json, keys of the chapters and of the deliverables)."""
    import hashlib

    h = hashlib.sha256()
    with open(chemin, "rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    return h.hexdigest()


def date_generation() -> dt.date:
    """The generation date printed on every deliverable (its only line that changes from one day
    to the next): today, or the UTC day of ``SOURCE_DATE_EPOCH`` when this variable is set (the
    reproducible-builds convention: rebuild an old version of the report byte for byte)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return dt.date.today()
    try:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        from diagnostic_territorial.erreurs import ErreurDiagnostic

        raise ErreurDiagnostic(
            f"La variable d'environnement SOURCE_DATE_EPOCH vaut « {epoch} » : attendu un nombre entier "
            "de secondes depuis le 1er janvier 1970 (par exemple 1767225600), ou rien pour la date du jour."
        ) from None


@contextmanager
def fichier_temporaire(chemin: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary file in the folder of `chemin` (created if needed); when the block
    ends without an exception, the temporary file is synced to disk and renamed onto `chemin`;
    on any exception (or Ctrl-C) it is removed and `chemin` is left as it was.

    The temporary file is hidden and named after the writing process (``.<nom>.<pid>.<aléa>.tmp``):
    if the process is killed outright (SIGKILL, power loss), the next write into the same folder
    removes it (``nettoyer_temporaires``)."""
    sortie = Path(chemin)
    prefixe = f".{sortie.name}.{os.getpid()}."
    temporaire = None
    try:
        sortie.parent.mkdir(parents=True, exist_ok=True)
        nettoyer_temporaires(sortie.parent)
        descripteur, nom = tempfile.mkstemp(dir=sortie.parent, prefix=prefixe, suffix=".tmp")
        os.close(descripteur)
        temporaire = Path(nom)
        yield temporaire
        _synchroniser_fichier(temporaire)
        os.chmod(temporaire, 0o644)
        os.replace(temporaire, sortie)
    except BaseException as exc:
        if temporaire is not None:
            try:
                os.unlink(temporaire)
            except OSError:  # already gone, or cannot be removed: the original error matters
                pass
        if isinstance(exc, OSError) and exc.errno is not None and (
                exc.filename is None or (isinstance(exc.filename, (str, bytes))
                                         and Path(os.fsdecode(exc.filename)).name.startswith(prefixe))):
            exc.filename = str(sortie)  # name the file being written (and its folder), not the temporary one
        raise
    _synchroniser_dossier(sortie.parent)


def ecrire_octets(chemin: str | os.PathLike, octets: bytes) -> None:
    """Write `octets` to `chemin` atomically (see ``fichier_temporaire``)."""
    with fichier_temporaire(chemin) as temporaire:
        with open(temporaire, "wb") as f:
            f.write(octets)


def ecrire_texte(chemin: str | os.PathLike, texte: str) -> None:
    """Write `texte` to `chemin` atomically, in UTF-8, line ends as given (no newline translation)."""
    ecrire_octets(chemin, texte.encode("utf-8"))


def ecrire_json(chemin: str | os.PathLike, objet: Any, *, indent: int | None = 1, sort_keys: bool = True,
                ensure_ascii: bool = False, fin: str = "") -> None:
    """Write `objet` as JSON to `chemin` atomically, in UTF-8: ``json.dumps(objet, indent=indent,
    sort_keys=sort_keys, ensure_ascii=ensure_ascii) + fin``. The defaults are the project's usual
    format (one-space indent, sorted keys, accents kept, no final newline)."""
    ecrire_texte(chemin, json.dumps(objet, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii) + fin)


# The former name, still used by several modules.
_ecrire_atomiquement = ecrire_octets


def _synchroniser_fichier(chemin: Path) -> None:
    """fsync a file written by someone else (pyarrow, zipfile...): its content reaches the disk
    before the rename, so that a power loss cannot leave the new name on an empty file (opened for
    writing: fsync needs it on some systems)."""
    fd = os.open(chemin, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _synchroniser_dossier(dossier: Path) -> None:
    """fsync the folder so that the rename itself survives a power loss (POSIX; no-op elsewhere)."""
    try:
        fd = os.open(dossier, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _processus_vivant(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's process), or cannot tell: keep its file
    return True


# A temporary file older than this is stale whatever its process id says (the id may be reused).
AGE_MAX_TEMPORAIRE_S = 24 * 3600


def nettoyer_temporaires(dossier: Path) -> list[Path]:
    """Remove the temporary files left in `dossier` by a write that was killed before its rename
    (the writing process no longer exists, or the file is more than a day old). Returns them."""
    import time

    retires = []
    try:
        noms = os.listdir(dossier)
    except OSError:
        return retires
    maintenant = time.time()
    for nom in sorted(noms):
        m = _RE_TEMPORAIRE.match(nom)
        if not m:
            continue
        chemin = Path(dossier) / nom
        try:
            age = maintenant - chemin.stat().st_mtime
        except OSError:
            continue
        if _processus_vivant(int(m.group("pid"))) and age < AGE_MAX_TEMPORAIRE_S:
            continue
        try:
            chemin.unlink()
            retires.append(chemin)
        except OSError:
            pass
    return retires
