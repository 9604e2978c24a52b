"""Weighting by raking (iterative proportional fitting) on margins, and Kish's effective size."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import ErreurDiagnostic


def raking(donnees: pd.DataFrame, marges: dict[str, dict[str, float]], max_iterations: int = 200,
           tolerance: float = 1e-10) -> pd.Series:
    """Weights such that the weighted distribution of each variable of `marges` matches its margin.

    `marges` maps a column of `donnees` to {category: population} (any scale: margins are turned
    into shares). Respondents missing one of these variables keep weight 1. Weights are scaled so
    that they sum to the number of respondents (mean 1).
    """
    complets = donnees[list(marges)].notna().all(axis=1).to_numpy()
    poids = np.ones(len(donnees))
    if complets.sum() == 0:
        return pd.Series(poids, index=donnees.index, name="poids")
    w = np.ones(int(complets.sum()))
    parts = {}
    for var, marge in marges.items():
        total = float(sum(marge.values()))
        valeurs = donnees.loc[complets, var].astype(object).to_numpy()
        presentes = set(valeurs)
        absentes = [k for k, v in marge.items() if v > 0 and k not in presentes]
        if absentes:
            raise ErreurDiagnostic(f"Pondération impossible : aucun répondant dans « {', '.join(map(str, absentes))} » "
                                   f"({var}). Regroupez ces modalités ou renoncez à la pondération.")
        inconnues = presentes - set(marge)
        if inconnues:
            raise ErreurDiagnostic(f"Pondération impossible : « {', '.join(map(str, inconnues))} » ({var}) n'a "
                                   "pas de marge dans la population.")
        parts[var] = (valeurs, {k: v / total for k, v in marge.items()})
    n = len(w)
    for _ in range(max_iterations):
        ecart = 0.0
        for var, (valeurs, cible) in parts.items():
            for k, part in cible.items():
                sel = valeurs == k
                actuel = w[sel].sum() / w.sum()
                if actuel > 0:
                    ecart = max(ecart, abs(actuel - part))
                    w[sel] *= part / actuel
        if ecart < tolerance:
            break
    w = w * n / w.sum()
    poids[complets] = w
    poids = poids * len(poids) / poids.sum()
    return pd.Series(poids, index=donnees.index, name="poids")


def taille_effective(poids) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2."""
    w = np.asarray(poids, dtype=float)
    w = w[~np.isnan(w)]
    return float(w.sum() ** 2 / (w ** 2).sum()) if len(w) and (w ** 2).sum() > 0 else 0.0


def wilson(part, n, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a share `part` observed on `n` respondents (n may be effective)."""
    p = np.asarray(part, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z ** 2 / n
        centre = (p + z ** 2 / (2 * n)) / denom
        demi = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2)) / denom
    return np.clip(centre - demi, 0, 1), np.clip(centre + demi, 0, 1)
