"""Writing deliverables safely, and the generation date they carry.

Kept apart from rapport.py (which imports nbformat, slow to import) so that a command with nothing
to rebuild stays quick.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from pathlib import Path

# Temporary files of _ecrire_atomiquement: ".<name>.<pid>.<random>.tmp".
_RE_TEMPORAIRE = re.compile(r"^\.(?P<nom>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


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
        from .erreurs import ErreurDiagnostic

        raise ErreurDiagnostic(
            f"La variable d'environnement SOURCE_DATE_EPOCH vaut « {epoch} » : attendu un nombre entier "
            "de secondes depuis le 1er janvier 1970 (par exemple 1767225600), ou rien pour la date du jour."
        ) from None


def _ecrire_atomiquement(sortie: Path, contenu: bytes) -> None:
    """Write to a temporary file in the same folder, then rename over the previous file.

    A crash, Ctrl-C or ``kill`` at any moment leaves either the previous file or the new one, never
    a half-written file. The temporary file is hidden and named after the writing process
    (``.<nom>.<pid>.<aléa>.tmp``): removed on any Python exception or interruption, and, if the
    process was killed outright (SIGKILL, power loss), by the next write into the same folder."""
    sortie = Path(sortie)
    sortie.parent.mkdir(parents=True, exist_ok=True)
    nettoyer_temporaires(sortie.parent)
    descripteur, temporaire = tempfile.mkstemp(dir=sortie.parent, prefix=f".{sortie.name}.{os.getpid()}.",
                                               suffix=".tmp")
    try:
        with os.fdopen(descripteur, "wb") as f:
            f.write(contenu)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporaire, 0o644)
        os.replace(temporaire, sortie)
    except BaseException:
        try:
            os.unlink(temporaire)
        except FileNotFoundError:
            pass
        raise
    _synchroniser_dossier(sortie.parent)


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
