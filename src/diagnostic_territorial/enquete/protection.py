"""Secret statistique for the survey's own counts, and masking of free-text answers.

Primary suppression: every published count (cell, row total, column total, grand total) with
fewer respondents than the threshold is suppressed ("s"), zero included.
Secondary suppression: the table's additive relations (a row total is the sum of its cells; for a
single-choice question a column total is also the sum of its cells) are written as a linear
system; while one suppressed value is still determined by the published ones (its coordinate is
zero in every vector of the null space), the smallest published value sharing a relation with it
is suppressed too. A suppressed cell can therefore never be recomputed from row or column totals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

SEUIL_DEFAUT = 5
MASQUE = "[masqué]"


def seuil(etude) -> int:
    """The threshold of the study: etude.yaml ``enquete: {seuil: 5}`` (default 5)."""
    config = (getattr(etude, "brut", None) or {}).get("enquete") or {}
    return int(config.get("seuil", SEUIL_DEFAUT))


@dataclass
class Masques:
    cellules: np.ndarray  # R x C, True = suppressed
    totaux_lignes: np.ndarray  # R (empty when the table has no row totals)
    totaux_colonnes: np.ndarray  # C
    total: bool


def _determines(A: np.ndarray, inconnues: list[int]) -> list[int]:
    """Unknowns uniquely determined by the system A x = b (b known)."""
    if not inconnues:
        return []
    sous = A[:, inconnues]
    sous = sous[np.any(sous != 0, axis=1)]
    if sous.shape[0] == 0:
        return []
    _, s, vt = np.linalg.svd(sous, full_matrices=True)
    rang = int(np.sum(s > 1e-9))
    noyau = vt[rang:].T  # columns span the null space
    if noyau.shape[1] == 0:
        return list(inconnues)
    normes = np.linalg.norm(noyau, axis=1)
    return [inconnues[j] for j in range(len(inconnues)) if normes[j] < 1e-9]


def _voisins(A: np.ndarray, i: int) -> set[int]:
    voisins = set()
    for a in A:
        if a[i] != 0:
            voisins |= set(np.flatnonzero(a))
    return voisins


def _complement(A, masque, i, candidats, valeurs, est_total, taille_max: int = 120) -> list[int]:
    """The published values to suppress so that cell `i` is no longer determined: the cheapest
    single neighbour that hides it, else the cheapest pair (a cell of its row and one closing the
    rectangle through its column...), else the smallest neighbour (the loop then goes on)."""
    inconnues = list(np.flatnonzero(masque))
    cout = lambda ks: (sum(est_total[k] for k in ks), sum(valeurs[k] for k in ks), tuple(ks))  # noqa: E731
    ordre = sorted(candidats, key=lambda k: cout([k]))
    for k in ordre:
        if i not in _determines(A, sorted(inconnues + [k])):
            return [k]
    if len(valeurs) <= taille_max:
        paires = []
        for k in ordre:
            for m in _voisins(A, k) | set(candidats):
                if m != k and not masque[m]:
                    paires.append(tuple(sorted((k, m))))
        for paire in sorted(set(paires), key=lambda ks: cout(list(ks))):
            if i not in _determines(A, sorted(inconnues + list(paire))):
                return list(paire)
    return [ordre[0]]


def supprimer(cellules, totaux_colonnes, seuil_: int = SEUIL_DEFAUT, totaux_lignes: bool = True,
              colonnes_additives: bool = True) -> Masques:
    """Primary and secondary suppression for a table of respondent counts.

    `cellules` is R x C (answers x groups), `totaux_colonnes` the respondents of each group. With
    `totaux_lignes` the table also publishes each row's total over the groups and the grand total
    (sum of the column totals). `colonnes_additives` is True when each group's cells add up to its
    total (single choice), False for multiple choice (a respondent may tick several options).
    """
    N = np.asarray(cellules, dtype=float).reshape(len(cellules), -1) if len(cellules) else np.zeros((0, 0))
    R, C = N.shape
    TC = np.asarray(totaux_colonnes, dtype=float).reshape(C)
    valeurs = list(N.ravel())
    idx_n = lambda r, c: r * C + c  # noqa: E731
    idx_tc = [len(valeurs) + c for c in range(C)]
    valeurs += list(TC)
    idx_tr, idx_g = [], None
    if totaux_lignes:
        idx_tr = [len(valeurs) + r for r in range(R)]
        valeurs += list(N.sum(axis=1))
        idx_g = len(valeurs)
        valeurs.append(float(TC.sum()))
    valeurs = np.array(valeurs)
    lignes = []
    if totaux_lignes:
        for r in range(R):
            a = np.zeros(len(valeurs))
            a[[idx_n(r, c) for c in range(C)]] = 1
            a[idx_tr[r]] = -1
            lignes.append(a)
        a = np.zeros(len(valeurs))
        a[idx_tc] = 1
        a[idx_g] = -1
        lignes.append(a)
    if colonnes_additives:
        for c in range(C):
            a = np.zeros(len(valeurs))
            a[[idx_n(r, c) for r in range(R)]] = 1
            a[idx_tc[c]] = -1
            lignes.append(a)
        if totaux_lignes:
            a = np.zeros(len(valeurs))
            a[idx_tr] = 1
            a[idx_g] = -1
            lignes.append(a)
    A = np.array(lignes) if lignes else np.zeros((0, len(valeurs)))
    est_total = np.zeros(len(valeurs), dtype=bool)
    est_total[R * C:] = True
    masque = valeurs < seuil_
    while True:
        inconnues = list(np.flatnonzero(masque))
        determines = _determines(A, inconnues)
        if not determines:
            break
        i = determines[0]
        voisins = set()
        for a in A:
            if a[i] != 0:
                voisins |= set(np.flatnonzero(a))
        candidats = [j for j in voisins if not masque[j]] or list(np.flatnonzero(~masque))
        if not candidats:
            break
        for j in _complement(A, masque, i, candidats, valeurs, est_total):
            masque[j] = True
    return Masques(
        cellules=masque[: R * C].reshape(R, C),
        totaux_lignes=masque[idx_tr] if totaux_lignes else np.zeros(0, dtype=bool),
        totaux_colonnes=masque[idx_tc],
        total=bool(masque[idx_g]) if totaux_lignes else bool(masque[idx_tc].any() if C == 1 else False),
    )


# --- Free text -------------------------------------------------------------------------------

RE_EMAIL = re.compile(r"[\w.+\-]+\s?(@|\(at\)|\[at\])\s?[\w\-]+(\.[\w\-]+)+", re.IGNORECASE)
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0612345678) and other long
# digit runs that could be a phone number.
RE_TELEPHONE = re.compile(r"(?<!\w)(\+\s?\d{2,3}[\s.\-]?(\(0\))?|0)\s?[1-9](?:[\s.\-]?\d{2}){4}(?!\w)"
                          r"|(?<!\w)\d(?:[\s.\-]?\d){8,}(?!\w)")


def noms_a_masquer(etude) -> list[str]:
    """Stop-list of names: etude.yaml ``enquete: {noms_a_masquer: [...]}`` and, one per line,
    enquete/noms_a_masquer.txt."""
    config = (getattr(etude, "brut", None) or {}).get("enquete") or {}
    noms = [str(n) for n in (config.get("noms_a_masquer") or [])]
    fichier = etude.racine / "enquete" / "noms_a_masquer.txt"
    if fichier.is_file():
        noms += [l.strip() for l in fichier.read_text(encoding="utf-8-sig").splitlines()
                 if l.strip() and not l.lstrip().startswith("#")]
    return noms


def masquer_texte(texte: str, noms: list[str] | tuple[str, ...] = ()) -> str:
    """Free text with e-mail addresses, phone numbers and the names of the stop-list masked."""
    sortie = RE_EMAIL.sub(MASQUE, str(texte))
    sortie = RE_TELEPHONE.sub(MASQUE, sortie)
    for nom in sorted({n for n in noms if n.strip()}, key=len, reverse=True):
        sortie = re.sub(r"(?<!\w)" + re.escape(nom.strip()) + r"(?!\w)", MASQUE, sortie, flags=re.IGNORECASE)
    return sortie


def publier_verbatims(etude) -> bool:
    """Free-text answers are published only when etude.yaml says ``enquete: {publier_verbatims: true}``."""
    config = (getattr(etude, "brut", None) or {}).get("enquete") or {}
    return bool(config.get("publier_verbatims", False))
