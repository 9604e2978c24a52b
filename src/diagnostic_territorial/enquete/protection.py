"""Secret statistique for the survey's own counts (and for the sums of public sources), the
validated protection settings of etude.yaml, and masking of free-text answers.

Settings (etude.yaml, section ``enquete:``): every switch is read strictly through
:mod:`diagnostic_territorial.configuration.chargement` — a boolean is only ``true``/``false`` or the French
``oui``/``non``, ``vrai``/``faux`` (any case); ``yes``/``no``/``on``/``off`` are refused (``non``
read as a plain string used to be true: bool("non")); ``seuil`` is a whole number of at least 5.
Any other value raises an EtudeInvalide naming the file, the line and the field.

Primary suppression: every published count (cell, row total, column total, grand total) with
fewer respondents than the threshold is suppressed ("s"), zero included.
Secondary suppression: the table's additive relations (a row total is the sum of its cells; for a
single-choice question a column total is also the sum of its cells) are written as a linear
system; while one suppressed value can still be recomputed from the published ones — determined
by the system (its coordinate is zero in every vector of the null space), or pinned to a single
whole number once a reader adds that counts are never negative (two suppressed cells whose sum is
0 are both 0) and, for a multiple-choice question, that an option never counts more respondents
than its group nor a group more than its options together (bounds by linear programming) — the
cheapest published value sharing a relation with it is suppressed too. A suppressed cell can
therefore never be recomputed from row or column totals.
`secret_complementaire` applies the same rule to a public source's table (communes whose sum is a
published total: a commune the source masks is never the total minus the others).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.erreurs import ErreurDiagnostic, EtudeInvalide

SEUIL_DEFAUT = 5
SEUIL_MINIMUM = 5
EFFECTIF_MIN_COMMUNE = 30
MASQUE = "[masqué]"
SECTION = "enquete"


class ParametreInvalide(EtudeInvalide):
    """A setting of etude.yaml's ``enquete:`` section has a value it cannot take."""


# --- Settings of etude.yaml (strict, through config_yaml) ------------------------------------

_DOCUMENTS: dict = {}


def _lue(etude):
    """The study with its etude.yaml as config_yaml reads it (lines of the keys; only true/false
    are YAML booleans, so that « no » or « non » reach the strict check as written). An Etude
    loaded by Etude.charger carries it already; a study built otherwise is read from its file
    when there is one."""
    if getattr(etude, "document", None) is not None:
        return etude
    chemin = getattr(etude, "chemin", None)
    if chemin is None and getattr(etude, "racine", None) is not None:
        chemin = Path(etude.racine) / "etude.yaml"
    if chemin is None or not Path(chemin).is_file():
        return etude
    chemin = Path(chemin)
    try:
        st = chemin.stat()
        cle = (str(chemin), st.st_mtime_ns, st.st_size)
        if cle not in _DOCUMENTS:
            _DOCUMENTS.clear()
            _DOCUMENTS[cle] = config_yaml.lire(chemin, erreur=ParametreInvalide)
        doc = _DOCUMENTS[cle]
    except (OSError, ErreurDiagnostic):  # an unreadable etude.yaml is Etude.charger's to report
        return etude
    if not isinstance(doc.donnees, dict):
        return etude
    return SimpleNamespace(brut=doc.donnees, document=doc, chemin=chemin, racine=chemin.parent)


def _ou(etude, champ: str | None) -> str:
    """« <etude.yaml>, ligne 12, champ « enquete.seuil » » for an error message."""
    document = getattr(etude, "document", None)
    cles = (SECTION,) + ((champ,) if champ else ())
    ligne = document.ligne(*cles) if document is not None else None
    return config_yaml.localiser(getattr(etude, "chemin", None) or "etude.yaml", ligne, ".".join(cles))


def configuration(etude) -> dict:
    """etude.yaml's ``enquete:`` section as a dict ({} when absent); refused when it is not a
    mapping (``enquete: oui``)."""
    etude = _lue(etude)
    brut = getattr(etude, "brut", None) or {}
    config = brut.get(SECTION) if isinstance(brut, dict) else None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ParametreInvalide(
            f"{_ou(etude, None)} : une section de champs « nom: valeur » est attendue (seuil, ponderation, "
            f"publier_verbatims...), pas {config_yaml.genre(config)}.")
    return dict(config)


def _entier(etude, champ: str, defaut: int, minimum: int) -> int:
    etude = _lue(etude)
    valeur = configuration(etude).get(champ)
    if valeur is None:
        return defaut
    probleme = config_yaml.probleme_entier(valeur, minimum)
    if probleme and champ == "seuil" and config_yaml.probleme_entier(valeur) is None:
        raise ParametreInvalide(
            f"{_ou(etude, champ)} : seuil de {valeur} refusé ; le secret statistique interdit de publier un résultat "
            f"de l'enquête qui porte sur moins de {SEUIL_MINIMUM} répondants : indiquez {SEUIL_MINIMUM} ou plus.")
    if probleme:
        raise ParametreInvalide(f"{_ou(etude, champ)} : {probleme}.")
    return int(valeur)


def seuil(etude) -> int:
    """The threshold of the study: etude.yaml ``enquete: {seuil: 5}`` (default 5, never below 5)."""
    return _entier(etude, "seuil", SEUIL_DEFAUT, SEUIL_MINIMUM)


def effectif_min_commune(etude) -> int:
    """Communes with fewer respondents are grouped in the crossings (default 30)."""
    return _entier(etude, "effectif_min_commune", EFFECTIF_MIN_COMMUNE, 0)


def ponderation(etude) -> bool:
    """Weighting (raking on the RP margins) unless etude.yaml says ``ponderation: non`` (true/false,
    oui/non, vrai/faux only: config_yaml.interrupteur)."""
    configuration(etude)
    return config_yaml.interrupteur(_lue(etude), SECTION, "ponderation", True)


def publier_verbatims(etude) -> bool:
    """Free-text answers are published only when etude.yaml says ``publier_verbatims: oui`` (or
    true, vrai); ``non``, ``false``, ``faux`` or nothing keep them unpublished; anything else is
    refused with the file, the line and the field."""
    configuration(etude)
    return config_yaml.interrupteur(_lue(etude), SECTION, "publier_verbatims", False)


def verifier_configuration(etude) -> None:
    """Check every setting of the ``enquete:`` section (the first fault raises EtudeInvalide): for
    ``make verifier`` and before the survey is read."""
    publier_verbatims(etude)
    ponderation(etude)
    seuil(etude)
    effectif_min_commune(etude)
    noms = configuration(etude).get("noms_a_masquer")
    if noms is not None and not (isinstance(noms, str) or (
            isinstance(noms, list) and not any(isinstance(n, (dict, list, bool)) or n is None for n in noms))):
        raise ParametreInvalide(f"{_ou(_lue(etude), 'noms_a_masquer')} : une liste de noms est attendue (un nom par "
                                f"ligne « - Dupont »), pas {config_yaml.genre(noms)}.")


def publiable(effectif, seuil_: int) -> bool:
    """A count (respondents, effective size) may be published: at least the threshold."""
    try:
        return float(effectif) >= seuil_
    except (TypeError, ValueError):
        return False


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


def _intervalle(A: np.ndarray, valeurs: np.ndarray, masque: np.ndarray, i: int, G=None) -> tuple[float, float]:
    """The range a reader can give to the suppressed value `i` knowing the published values, the
    table's sums (A x = 0), that counts are never negative, and the inequalities G x <= 0 (a
    multiple-choice option never counts more respondents than its group, a group never more than
    its options together)."""
    from scipy.optimize import linprog

    inconnues = list(np.flatnonzero(masque))
    position = {k: j for j, k in enumerate(inconnues)}
    lignes = np.any(A[:, inconnues] != 0, axis=1)
    A_eq = A[lignes][:, inconnues]
    b_eq = -(A[lignes][:, ~masque] @ valeurs[~masque])
    A_ub = b_ub = None
    if G is not None and len(G):
        utiles = np.any(G[:, inconnues] != 0, axis=1)
        if utiles.any():
            A_ub = G[utiles][:, inconnues]
            b_ub = -(G[utiles][:, ~masque] @ valeurs[~masque])
    c = np.zeros(len(inconnues))
    c[position[i]] = 1
    options = dict(A_eq=A_eq if len(A_eq) else None, b_eq=b_eq if len(A_eq) else None, A_ub=A_ub, b_ub=b_ub,
                   bounds=(0, None), method="highs")
    bas, haut = linprog(c, **options), linprog(-c, **options)
    return (bas.fun if bas.status == 0 else 0.0), (-haut.fun if haut.status == 0 else np.inf)


def _devoiles(A: np.ndarray, valeurs: np.ndarray, masque: np.ndarray, inegalites=None, parmi=None) -> list[int]:
    """Suppressed values (among `parmi`, by default all) a reader can recompute exactly: determined
    by the table's sums (linear algebra), or pinned to a single integer once counts are known to be
    non-negative (two masked cells whose sum is published as 0 are both 0)."""
    inconnues = list(np.flatnonzero(masque))
    cibles = [k for k in (inconnues if parmi is None else parmi) if masque[k]]
    lineaires = set(_determines(A, inconnues))
    devoiles = [k for k in cibles if k in lineaires]
    if devoiles:
        return devoiles
    for k in cibles:
        if not np.any(A[:, k] != 0):
            continue
        bas, haut = _intervalle(A, valeurs, masque, k, inegalites)
        if np.floor(haut + 1e-6) - np.ceil(bas - 1e-6) < 1:  # a single whole number is possible
            devoiles.append(k)
    return devoiles


def _voisins(A: np.ndarray, i: int) -> set[int]:
    voisins = set()
    for a in A:
        if a[i] != 0:
            voisins |= set(np.flatnonzero(a))
    return voisins


def _complement(A, masque, i, candidats, valeurs, est_total, inegalites=None, taille_max: int = 120) -> list[int]:
    """The published values to suppress so that cell `i` can no longer be recomputed: the cheapest
    single neighbour that hides it, else the cheapest pair (a cell of its row and one closing the
    rectangle through its column...), else the smallest neighbour (the loop then goes on)."""
    cout = lambda ks: (sum(est_total[k] for k in ks), sum(valeurs[k] for k in ks), tuple(ks))  # noqa: E731
    ordre = sorted(candidats, key=lambda k: cout([k]))

    def cache(ks) -> bool:
        essai = masque.copy()
        essai[list(ks)] = True
        return i not in _devoiles(A, valeurs, essai, inegalites, parmi=[i])

    for k in ordre:
        if cache([k]):
            return [k]
    if len(valeurs) <= taille_max:
        paires = []
        for k in ordre:
            for m in _voisins(A, k) | set(candidats):
                if m != k and not masque[m]:
                    paires.append(tuple(sorted((k, m))))
        for paire in sorted(set(paires), key=lambda ks: cout(list(ks))):
            if cache(paire):
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
    G = None
    if not colonnes_additives:  # multiple choice: each option <= its group <= all its options together
        inegalites = []
        for c in range(C):
            for r in range(R):
                g = np.zeros(len(valeurs))
                g[idx_n(r, c)], g[idx_tc[c]] = 1, -1
                inegalites.append(g)
            if R:
                g = np.zeros(len(valeurs))
                g[[idx_n(r, c) for r in range(R)]] = -1
                g[idx_tc[c]] = 1
                inegalites.append(g)
        G = np.array(inegalites) if inegalites else None
    est_total = np.zeros(len(valeurs), dtype=bool)
    est_total[R * C:] = True
    masque = valeurs < seuil_
    while True:
        devoiles = _devoiles(A, valeurs, masque, G)
        if not devoiles:
            break
        i = devoiles[0]
        candidats = [j for j in _voisins(A, i) if not masque[j]] or list(np.flatnonzero(~masque))
        if not candidats:
            break
        for j in _complement(A, masque, i, candidats, valeurs, est_total, G):
            masque[j] = True
    return Masques(
        cellules=masque[: R * C].reshape(R, C),
        totaux_lignes=masque[idx_tr] if totaux_lignes else np.zeros(0, dtype=bool),
        totaux_colonnes=masque[idx_tc],
        total=bool(masque[idx_g]) if totaux_lignes else bool(masque[idx_tc].any() if C == 1 else False),
    )


# --- Public sources: complementary suppression -----------------------------------------------

def secret_complementaire(valeurs, secrets, relations) -> np.ndarray:
    """Parts to mask so that no part a source masks can be recomputed from published sums.

    `valeurs` are the parts' values (NaN: not published), `secrets` the parts the source masks,
    `relations` the index lists of parts whose sum is published (a territory and its communes).
    While a secret part can be recomputed from the published values (determined by the sums, or
    pinned to one value since counts are never negative: the same test as `supprimer`), the
    smallest published part of one of its relations is masked too (a positive one first: a
    masked 0 would barely hide anything). Returns the mask of the parts to hide,
    secret ones included."""
    v = np.asarray(valeurs, dtype=float).reshape(-1)
    secrets = np.asarray(secrets, dtype=bool).reshape(-1)
    n = len(v)
    relations = [sorted({int(k) for k in r}) for r in relations if len(r)]
    masque = secrets.copy()
    if not masque.any() or not relations:
        return masque
    A = np.zeros((len(relations), n))
    for ligne, r in enumerate(relations):
        A[ligne, r] = 1
    while True:
        inconnu = masque | np.isnan(v)
        determines = _devoiles(A, np.nan_to_num(v), inconnu, parmi=[k for k in range(n) if secrets[k]])
        if not determines:
            return masque
        i = determines[0]
        candidats = sorted({k for r in relations if i in r for k in r if not masque[k] and not np.isnan(v[k])},
                           key=lambda k: (v[k] <= 0, v[k], k))
        if not candidats:  # cannot happen: a determined part has a relation with a published part
            return masque
        masque[candidats[0]] = True


def proteger_table(table, colonne_valeur: str = "valeur", colonne_secret: str = "secret", parties=None):
    """`secret_complementaire` on a tidy table (niveau, codgeo, value, secret): the parts are its
    communes; every other row with a published value is a relation over the communes of the table
    it covers, `parties(niveau, codgeo)` -> set of commune codes (None: not a sum of this table's
    communes); the ``territoire`` row covers all of them. Masked communes get NaN and secret=True.
    Only for additive values (counts): a median or a rate is not the sum of its communes."""
    import pandas as pd

    table = table.copy()
    communes = table.index[table["niveau"] == "commune"]
    codes = [str(c) for c in table.loc[communes, "codgeo"]]
    position = {c: k for k, c in enumerate(codes)}
    relations = []
    for idx, ligne in table[table["niveau"] != "commune"].iterrows():
        if pd.isna(ligne[colonne_valeur]) or bool(ligne[colonne_secret]):
            continue
        if ligne["niveau"] == "territoire":
            couvertes = set(codes)
        else:
            couvertes = parties(str(ligne["niveau"]), str(ligne["codgeo"])) if parties else None
            if not couvertes:
                continue
            couvertes = {str(c) for c in couvertes}
        if couvertes <= set(codes):  # every part of the sum is in the table
            relations.append([position[c] for c in couvertes])
    masque = secret_complementaire(table.loc[communes, colonne_valeur].to_numpy(dtype=float),
                                   table.loc[communes, colonne_secret].to_numpy(dtype=bool), relations)
    ajoutes = communes[masque & ~table.loc[communes, colonne_secret].to_numpy(dtype=bool)]
    table.loc[ajoutes, colonne_valeur] = np.nan
    table.loc[ajoutes, colonne_secret] = True
    if len(ajoutes):
        table.attrs["secret_complementaire"] = [str(c) for c in table.loc[ajoutes, "codgeo"]]
    return table


# --- Free text -------------------------------------------------------------------------------
# What is masked in a published verbatim (each piece replaced by « [masqué] »):
# - e-mail addresses, disguised or not: « @ », « (at) », « [at] », « {at} », « at », « arobase »
#   for the @, « . », « (dot) », « [point] », « dot », « point » for the dots; and @handles;
# - phone numbers: French (10 digits from 0, or +33 / 0033 with or without « (0) ») and
#   international ones (+ and 7 to 14 digits), whatever separates the digits (spaces, dots, dashes,
#   slashes), and any other run of 10 digits or more, except lists of years (2019 2020 2021) and
#   amounts written with thousands separators (1 500 000 000);
# - postal addresses: a number (12, 12 bis, 12-14, n° 12) followed by a type of way and its name
#   (« 12 rue des Lilas », « 3 av. de la Gare », « 4 chemin du Moulin »); rue, avenue, boulevard,
#   impasse, allée, quai, faubourg are always a way after a number; place, route, chemin, cours,
#   résidence, hameau... only when a name follows (capitalised or after du/de la/des/de l'):
#   « 1 place de l'Église » is masked, « 1 place de parking », « 1 route dangereuse » are not.
#   A street named without a number (« la rue principale », « j'habite rue de la Gare ») is kept:
#   it designates many households, and the report names streets and places anyway. The name after
#   « lieu-dit » (a hamlet of a few houses), postcodes (« 31220 Cazères », « 31 220 », « cedex »),
#   « BP 12 » and « CS 30001 » are masked;
# - the names of the stop-list (etude.yaml noms_a_masquer, enquete/noms_a_masquer.txt), whole
#   words, whatever the case, the accents and the separator of a compound name (Le Goff, le-goff,
#   LE GOFF; Hélène, helene).
# Numbers written in words (« zéro six douze... ») are not detected: reread every quotation.

_ESP = r"[ \t\u00a0\u202f]"
_AT = (rf"(?:{_ESP}*@{_ESP}*|{_ESP}*[(\[{{<]{_ESP}*(?:at|@|arobase|arobas){_ESP}*[)\]}}>]{_ESP}*"
       rf"|{_ESP}+(?:at|arobase|arobas){_ESP}+)")
_POINT = (rf"(?:\.|{_ESP}+\.{_ESP}+|{_ESP}*[(\[{{<]{_ESP}*(?:dot|point|\.){_ESP}*[)\]}}>]{_ESP}*"
          rf"|{_ESP}+(?:dot|point){_ESP}+)")
_MOT_ADRESSE = r"[\w+\-]+"
RE_EMAIL = re.compile(
    rf"(?<![\w.+\-]){_MOT_ADRESSE}(?:{_POINT}{_MOT_ADRESSE})*{_AT}(?:[\w\-]+{_POINT})+[a-z]{{2,24}}(?![\w\-])"
    rf"|(?<![\w@])@[\w.]*[a-z_][\w.]*\w",
    re.IGNORECASE)

_SEP = rf"(?:{_ESP}*[.\-/_]{_ESP}*|{_ESP}+)?"
RE_TELEPHONE = re.compile(
    rf"(?<![\d+])(?:(?:\+|00){_ESP}?33{_ESP}*(?:\({_ESP}?0{_ESP}?\){_ESP}*)?|0{_SEP})[1-9](?:{_SEP}\d){{8}}(?!\d)"
    rf"|(?<![\d+])\+{_ESP}?\d{{1,3}}(?:{_ESP}*\({_ESP}?0{_ESP}?\))?(?:{_SEP}\d){{6,13}}(?!\d)"
    rf"|(?<![\d+])\d(?:{_SEP}\d){{9,}}(?!\d)")
_ANNEES = re.compile(rf"(?:19|20)\d\d(?:{_ESP}*[,;]?{_ESP}*(?:19|20)\d\d)+")
_MILLIERS = re.compile(r"\d{1,3}(?:[ .\u00a0\u202f]\d{3})+")


def _telephone(m: re.Match) -> str:
    texte = m.group(0)
    if _ANNEES.fullmatch(texte) or _MILLIERS.fullmatch(texte):
        return texte
    return MASQUE


_MAJ = r"(?-i:[A-ZÀ-ÖØ-Þ])"
_ARTICLE = r"(?:de\s+la|de\s+l['’]|du|des|de|d['’]|l['’]|la|le|les)"
_STOP = (r"(?:est|sont|était|étaient|sera|a|ai|as|ont|avait|qui|que|qu|où|mais|donc|car|je|j|tu|il|elle|on|"
         r"nous|vous|ils|elles|ne|n|pas|plus|très|trop|depuis|pour|avec|mon|ma|mes|ton|ta|tes|son|sa|ses|notre|"
         r"nos|votre|vos|leur|leurs|c|ça|ce|cet|cette|ces|y|se|s|et|ou|en|à|au|aux|dans|sur|sous|chez|près|sans|"
         r"puis|alors|aussi|toujours|jamais|rien|tout|tous|me|m|te|t|lui|si|comme|quand|il|depuis)")
_MOT_NOM = r"[\w'’\-]+"
_SUITE = rf"(?:{_ESP}+(?!{_STOP}(?![\w\-])){_MOT_NOM}){{0,5}}"  # the way's name: up to 5 words
_VOIES_SURES = (r"rue|ruelle|avenue|av\.?|boulevard|bd|bld|boul\.?|impasse|imp\.|allée|allee|quai|faubourg|fbg|"
                r"rond-point|venelle")
_VOIES = (r"place|pl\.|route|rte|chemin|ch\.|cours|passage|voie|square|cité|cite|domaine|villa|clos|mail|cour|"
          r"résidence|residence|hameau|lotissement|lot\.|sentier|promenade|esplanade|traverse|montée|parvis|"
          r"carrefour|côte|cote|grande[\s\-]rue")
_NUMERO = (rf"(?<![\w,.])(?:n°{_ESP}*|no{_ESP}+|numéro{_ESP}+)?\d{{1,4}}(?:{_ESP}*(?:-|à|et){_ESP}*\d{{1,4}})?"
           rf"(?:{_ESP}*(?:bis|ter|quater|[a-d])(?![\w]))?{_ESP}*,?{_ESP}*")
RE_ADRESSE = re.compile(
    rf"{_NUMERO}(?:(?:{_VOIES_SURES})(?![\w\-]){_SUITE}"
    rf"|(?:{_VOIES})(?![\w\-])(?={_ESP}+(?:{_MAJ}|(?:de\s+la|de\s+l['’]|du|des)\s*\w|(?:de|d['’]){_ESP}*{_MAJ})){_SUITE})",
    re.IGNORECASE)
RE_LIEU_DIT = re.compile(rf"(?<![\w])(lieu[\s\-]?dit|lieudit|l\.\s?d\.)((?:{_ESP}*:)?)({_ESP}+{_MOT_NOM}{_SUITE})",
                         re.IGNORECASE)
RE_CODE_POSTAL = re.compile(
    rf"(?<![\w,.])(?:0[1-9]|[1-8]\d|9[0-8]|2[AB]){_ESP}?\d{{3}}(?![\w,.])"
    rf"(?=(?:{_ESP}+|{_ESP}*,{_ESP}*)(?:{_MAJ}|cedex)|{_ESP}*$)"
    rf"|(?-i:\b(?:BP|CS|TSA){_ESP}*\d{{1,6}}\b)",
    re.IGNORECASE)


def _sans_accents(c: str) -> str:
    return "".join(x for x in unicodedata.normalize("NFD", c) if not unicodedata.combining(x)).lower()


def _normaliser(texte: str) -> tuple[str, list[int]]:
    """The text lowercased and without accents, and for each of its characters the position of the
    original character (so that a match found in the normalised text is replaced in the original)."""
    sortie, positions = [], []
    for k, c in enumerate(texte):
        for x in _sans_accents(c) or c:
            sortie.append(x)
            positions.append(k)
    return "".join(sortie), positions


def _motif_nom(nom: str) -> str | None:
    mots = re.findall(r"\w+", _sans_accents(nom))
    return r"[\W_]+".join(re.escape(m) for m in mots) if mots else None


def _masquer_noms(texte: str, noms) -> str:
    motifs = [m for m in (_motif_nom(n) for n in sorted({str(n).strip() for n in noms if str(n).strip()},
                                                          key=len, reverse=True)) if m]
    if not motifs:
        return texte
    motif = re.compile(r"(?<!\w)(?:" + "|".join(motifs) + r")(?!\w)")
    norme, positions = _normaliser(texte)
    morceaux, debut = [], 0
    for m in motif.finditer(norme):
        if m.end() == m.start():
            continue
        a, b = positions[m.start()], positions[m.end() - 1] + 1
        morceaux += [texte[debut:a], MASQUE]
        debut = b
    return "".join(morceaux) + texte[debut:]


def masquer_texte(texte: str, noms: list[str] | tuple[str, ...] = ()) -> str:
    """Free text with e-mail addresses, phone numbers, postal addresses and the names of the
    stop-list masked (see the rules above)."""
    sortie = RE_EMAIL.sub(MASQUE, str(texte))
    sortie = RE_TELEPHONE.sub(_telephone, sortie)
    sortie = RE_ADRESSE.sub(MASQUE, sortie)
    sortie = RE_LIEU_DIT.sub(lambda m: m.group(1) + m.group(2) + " " + MASQUE, sortie)
    sortie = RE_CODE_POSTAL.sub(MASQUE, sortie)
    return _masquer_noms(sortie, noms)


def noms_a_masquer(etude) -> list[str]:
    """Stop-list of names: etude.yaml ``enquete: {noms_a_masquer: [...]}`` and, one per line,
    enquete/noms_a_masquer.txt (lines starting with # are comments)."""
    config = configuration(etude)
    liste = config.get("noms_a_masquer") or []
    noms = [str(liste)] if isinstance(liste, str) else [str(n) for n in liste if n is not None]
    fichier = Path(etude.racine) / "enquete" / "noms_a_masquer.txt"
    if fichier.is_file():
        texte = config_yaml.lire_texte(fichier, erreur=ParametreInvalide)  # not UTF-8: file and line named
        noms += [l.strip() for l in texte.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    return noms
