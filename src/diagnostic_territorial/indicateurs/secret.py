"""Secret statistique of every value of the report: one rule, `proteger`, applied by the engine
(catalogue_indicateurs.Calcul.calculer) to every indicator it computes, so that the chapters'
tables, charts and maps, the fiches communes, the synthèse and the observation ciblée mask the
same cells.

1. Primary secret: a cell the source masks (under its own secret threshold: Filosofi's empty
   cells, the Cnaf's masked rows, France Travail's « <5 »...) is masked, never 0; a sum or a
   rate with a masked part is masked (``indicateurs.calcul``, ``catalogue._combiner``). A
   territory or a reference is read in the source's own file of its level when it publishes one
   (EPCI, département, région, France), not summed from communes (``indicateurs.calcul``).
2. Complementary secret: when the source masks a commune and a total over the study's communes
   is published (the territory's own row, an EPCI's or a département's, or a reference made of
   the study's communes only), that total minus the other communes would give the masked value
   back: the smallest other commune is masked too (``enquete.protection.secret_complementaire``,
   the rule of the survey's tables). It is decided per source variable of the numerator and the
   denominator, so that a rate built on the masked count is masked as well (rate x denominator
   gives the count back), and on the indicator itself when it is a count. The choice depends on
   the source's values only: every table that shows the indicator masks the same communes.

Medians and published rates (``agregeable: false``) are read where they are published, not summed
from communes: rule 1 only.
"""

from __future__ import annotations

import pandas as pd

from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.indicateurs import calcul as ind


def communes_couvertes(niveau: str, code: str) -> frozenset[str] | None:
    """Communes whose sum a reference row is (COG referential), None for a level it cannot say."""
    if niveau not in ("epci", "departement", "region", "france"):
        return None
    try:
        return ind._communes_du_niveau(niveau, str(code))
    except (KeyError, ValueError):
        return None


def communes_a_masquer(calcul, i, m: tuple[int, int]) -> set[str]:
    """Communes to mask in addition for an indicator summed from the communes, at the millésimes
    `m` (file, data): for each source variable of its numerator and denominator, the communes
    `enquete.protection.proteger_table` masks when the source masks another commune and a total
    over the study's communes is published. Remembered by `calcul` per source variable."""
    from diagnostic_territorial.enquete import protection

    if not i.agregeable:  # medians and rates read where they are published: not sums of communes
        return set()
    deja = calcul.masques
    codes: set[str] = set()
    try:
        parties = calcul._parties(i, m)
    except DonneeManquante:
        return codes
    for source, fichier, millesime, termes in parties:
        variables = list(dict.fromkeys(v for v, _ in termes))
        a_voir = [v for v in variables if (source, fichier, millesime, v) not in deja]
        if a_voir:
            try:
                table, _ = calcul._additifs(source, fichier, millesime, variables)
            except DonneeManquante:
                continue
            for v in a_voir:
                secret = v + ind.SUFFIXE_SECRET
                masques: set[str] = set()
                if v in table and secret in table and table[secret].any():
                    vue = table[["libelle", "niveau", "codgeo", v, secret]]
                    masques = set(protection.proteger_table(vue, v, secret, parties=communes_couvertes)
                                  .attrs.get("secret_complementaire", []))
                deja[(source, fichier, millesime, v)] = masques
        for v in variables:
            codes |= deja.get((source, fichier, millesime, v), set())
    return codes


def proteger(i, table: pd.DataFrame, calcul=None, m: tuple[int, int] | None = None) -> pd.DataFrame:
    """THE secret statistique of a table of an indicator (libelle, niveau, codgeo, valeur,
    secret), see the module's rules: cells the source masks stay masked; communes that would let
    one recompute a masked commune from a published total are masked too (« s »): per source
    variable when `calcul` and the millésimes `m` are given (counts and the rates built on them),
    and on the indicator itself when it is a count (its territory row a published sum of its
    communes). Medians and published rates are left as they are. The communes masked in addition
    are listed in ``attrs["secret_complementaire"]``."""
    from diagnostic_territorial.enquete import protection

    if not (table["niveau"] == "commune").any():
        return table
    ajoutes: set[str] = set()
    codes = communes_a_masquer(calcul, i, m) if calcul is not None and m is not None else set()
    if codes:
        table = table.copy()
        ajout = (table["niveau"] == "commune") & table["codgeo"].astype(str).isin(codes) & ~table["secret"]
        table.loc[ajout, "valeur"] = float("nan")
        table.loc[ajout, "secret"] = True
        ajoutes |= set(table.loc[ajout, "codgeo"].astype(str))
    if i.unite == "nombre" and not i.denominateur:
        table = protection.proteger_table(table, parties=communes_couvertes)
        ajoutes |= set(table.attrs.get("secret_complementaire", []))
    if ajoutes:
        table.attrs["secret_complementaire"] = sorted(ajoutes)
    return table
