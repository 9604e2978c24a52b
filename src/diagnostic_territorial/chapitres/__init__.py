"""Chapter logic called by the notebooks (the notebooks stay thin: parameters, calls, analysis)."""

from __future__ import annotations

from pathlib import Path



def ouvrir_etude(etude_yaml: str):
    """Load the study and set the common chart style (first cell of every notebook)."""
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.configuration.etude import Etude

    etude = Etude.charger(etude_yaml)
    graphiques.appliquer_style()
    return etude


def analyse(etude, cle: str):
    """Show the consultant's analysis analyses/<cle>.md (read only, never written)."""
    from diagnostic_territorial.rendu import presentation

    return presentation.analyse(Path(etude.dossier_analyses) / f"{cle}.md")


# --- large territories (a whole département): readable tables -------------------------------

SEUIL_COMMUNES = 60  # above this number of communes, tables show the extremes only
N_EXTREMES = 10


def reduire_communes(table, niveaux, valeurs, haut: str, bas: str, n: int = N_EXTREMES,
                     seuil: int = SEUIL_COMMUNES):
    """A readable table for a territory with many communes.

    `table` is the display table, its rows aligned (by position) with `niveaux` (``commune``,
    ``territoire``, ``departement``...) and `valeurs` (the table's key figure). Up to `seuil`
    communes the table is returned as is. Beyond, it keeps the territory and reference rows, then
    a row `haut` (e.g. « Les 10 communes les plus peuplées ») and those communes, a row saying how
    many communes are not shown, a row `bas` and the `n` communes with the lowest values. Communes
    without a value (secret, absent) are counted among those not shown."""
    import pandas as pd

    table = table.reset_index(drop=True)
    niveaux = pd.Series(list(niveaux))
    valeurs = pd.to_numeric(pd.Series(list(valeurs), dtype="object"), errors="coerce").astype(float)
    est_commune = (niveaux == "commune").to_numpy()
    n_communes = int(est_commune.sum())
    if n_communes <= seuil:
        return table
    communes = valeurs[est_commune & valeurs.notna().to_numpy()].sort_values(ascending=False, kind="stable")
    n = min(n, len(communes) // 2)
    premiers = list(communes.index[:n])
    derniers = list(communes.index[len(communes) - n:]) if n else []
    caches = n_communes - len(premiers) - len(derniers)
    premiere_colonne = table.columns[0]

    def ligne(texte: str) -> pd.DataFrame:
        vide = {c: "" for c in table.columns}
        vide[premiere_colonne] = texte
        return pd.DataFrame([vide])

    morceaux = [table[~est_commune]]
    morceaux += [ligne(haut), table.loc[premiers]]
    if caches:
        morceaux.append(ligne(f"… {caches} autres communes non affichées (sur {n_communes}) …"))
    morceaux += [ligne(bas), table.loc[derniers]]
    return pd.concat(morceaux, ignore_index=True)
