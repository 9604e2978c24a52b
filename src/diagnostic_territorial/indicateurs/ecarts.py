"""How far a value stands from its reference, and how much it changed between two millésimes: the
one scale of the study. The comments written from the figures (chapitres/redaction.py: « proche »,
« au-dessus », « nettement au-dessus ») and the forces and fragilités of the synthèse
(chapitres/enjeux.py: « faible », « marqué », « net ») both read it, so that a gap called « net » in
the synthèse is « nettement au-dessus » (or « en dessous ») in its section, and a « marqué » gap is
« au-dessus ». docs/enjeux.md states the same thresholds in French; change them here only.

**Gap with a reference** (:func:`qualifier`), three classes: ``FAIBLE`` (« proche »), ``MARQUE``
(« au-dessus » / « en dessous »), ``NET`` (« nettement »).

- Rates (``part``, ``pourcent``) are read in percentage points *and* relative to the reference: a
  gap reaches a class as soon as it reaches one of its pairs (points, relative gap),
  ``SEUILS_TAUX``:

  ======== =============================================================
  marqué   3 points; or 1 point and 10 %; or 0.5 point and 50 %
  net      5 points; or 2 points and 20 %; or 1 point and 50 %
  ======== =============================================================

  Points alone say a gap on a high rate (taux d'activité 78 % against 73 %: 5 points, 7 %); the
  relative gap says it on a low rate (3 % against 1.5 %: twice the reference), but never below half
  a point (0.8 % against 0.4 % is within the noise of a small territory).
- Amounts in euros by the relative gap: marqué from 5 %, net from 10 % (incomes vary less than
  rates: a median income 10 % under the département's is a wide gap), ``SEUILS_RELATIFS``.
- Other values (indices, ratios per 100 or 1 000 inhabitants, decimals): marqué from 10 %, net from
  20 %.
- Counts (``nombre``) are never compared with a reference (a territory is smaller than its
  département): no class.

**Change between two millésimes** (:func:`evolution`), three classes: ``STABLE`` (« quasi
stable »), ``MARQUE`` (« en hausse » / « en baisse »), ``NET`` (« en nette hausse / baisse »; the
synthèse notes it with the finding, or alone as a point to watch): rates from ``EVOLUTION_TAUX``
(0.5 and 2 points), other values from ``EVOLUTION_RELATIVE`` (2 % and 10 %).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FAIBLE = 0
MARQUE = 2
NET = 3

UNITES_TAUX = ("part", "pourcent")

# A gap reaches a class when it reaches one of its (points, relative gap) pairs (rates).
SEUILS_TAUX = {
    MARQUE: ((3.0, 0.0), (1.0, 0.10), (0.5, 0.50)),
    NET: ((5.0, 0.0), (2.0, 0.20), (1.0, 0.50)),
}
# Relative gap from which a value's gap is marqué, then net (other units than rates).
SEUILS_RELATIFS = {
    "euros": {MARQUE: 0.05, NET: 0.10},
    "autre": {MARQUE: 0.10, NET: 0.20},
}
# Change between two millésimes: (beyond « quasi stable », « nette ») in points for rates...
EVOLUTION_TAUX = (0.5, 2.0)
# ... and relative for other values.
EVOLUTION_RELATIVE = (0.02, 0.10)


@dataclass(frozen=True)
class Ecart:
    """A qualified gap (or change): its class, its direction (+1 above, -1 below, 0 none), the
    relative gap (inf for a rate against a zero reference) and, for a rate, the gap in points."""

    classe: int
    signe: int
    relatif: float
    points: float | None = None


def est_taux(unite: str) -> bool:
    return unite in UNITES_TAUX


def en_points(unite: str, valeur: float) -> float:
    """A rate in percentage points (a « part » is a ratio, a « pourcent » already in %)."""
    return float(valeur) * 100 if unite == "part" else float(valeur)


def famille(unite: str) -> str:
    """« taux », « euros » or « autre »: the thresholds a unit follows."""
    return "taux" if est_taux(unite) else "euros" if unite == "euros" else "autre"


def _manquant(valeur) -> bool:
    try:
        return valeur is None or not math.isfinite(float(valeur))
    except (TypeError, ValueError):
        return True


def _signe(x: float) -> int:
    return (x > 0) - (x < 0)


def qualifier(unite: str, valeur, reference) -> Ecart | None:
    """The gap between `valeur` and `reference` on the study's scale (see the module); None for a
    count, a missing value, or a zero reference (but for a rate, compared in points)."""
    if unite == "nombre" or _manquant(valeur) or _manquant(reference):
        return None
    if est_taux(unite):
        v, r = en_points(unite, valeur), en_points(unite, reference)
        points = round(v - r, 9)  # 21,0 - 19,0 is 2 points, not 1,9999999999999982
        relatif = round(abs(points) / abs(r), 9) if r else (math.inf if points else 0.0)
        classe = FAIBLE
        for niveau in (NET, MARQUE):
            if any(abs(points) >= p and relatif >= q for p, q in SEUILS_TAUX[niveau]):
                classe = niveau
                break
        return Ecart(classe, _signe(points), relatif, points)
    r = float(reference)
    if r == 0:
        return None
    relatif = round((float(valeur) - r) / abs(r), 9)
    seuils = SEUILS_RELATIFS[famille(unite)]
    classe = NET if abs(relatif) >= seuils[NET] else MARQUE if abs(relatif) >= seuils[MARQUE] else FAIBLE
    return Ecart(classe, _signe(relatif), relatif)


def classe(unite: str, valeur, reference) -> int:
    """:func:`qualifier`'s class, FAIBLE when there is none."""
    e = qualifier(unite, valeur, reference)
    return e.classe if e is not None else FAIBLE


def evolution(unite: str, avant, apres) -> Ecart | None:
    """The change from `avant` to `apres`: STABLE (FAIBLE), MARQUE or NET (see the module); None
    when a value is missing, or for a value other than a rate whose previous value is zero."""
    if _manquant(avant) or _manquant(apres):
        return None
    if est_taux(unite):
        ecart = round(en_points(unite, apres) - en_points(unite, avant), 9)
        stable, nette = EVOLUTION_TAUX
        relatif = ecart / abs(en_points(unite, avant)) if float(avant) else math.inf
        points = ecart
    else:
        if float(avant) == 0:
            return None
        ecart = relatif = round((float(apres) - float(avant)) / abs(float(avant)), 9)
        stable, nette = EVOLUTION_RELATIVE
        points = None
    classe_ = FAIBLE if abs(ecart) < stable else NET if abs(ecart) >= nette else MARQUE
    return Ecart(classe_, _signe(ecart) if classe_ != FAIBLE else 0, relatif, points)
