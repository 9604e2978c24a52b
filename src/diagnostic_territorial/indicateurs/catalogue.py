"""Declarative catalogue of indicators: notebooks and deliverables ask for an indicator by id;
nobody writes a formula twice.

The indicators are data, not code: ``catalogue/indicateurs.yaml`` (in the package) declares each
one, with its French labels; `charger_catalogue` reads it on first use and validates it
(modeles.FichierIndicateurs: unknown field, unit, source or chapter... refused, naming the file,
the line, the indicator and the field). Adding an indicator is a change of that file; ``CATALOGUE``
and `indicateur` give the loaded entries as `Indicateur` objects, and ``Calcul(etude,
catalogue=...)`` computes the indicators of another catalogue file.

An indicator is a numerator over a denominator, both sums of variables of a source cache
(``P_FAMMONO`` for ``C19_FAMMONO``...). The data rules apply everywhere:

- additive indicators (``agregeable=True``): every commune, the territory and the references are
  sums of commune counts (``indicateurs.additifs``), and a rate is the ratio of those sums, never
  a mean of the communes' rates;
- indicators that cannot be aggregated (medians, published rates: ``agregeable=False``) are read at
  the level where the source publishes them (``indicateurs.publies``);
- a masked cell (secret statistique) makes the value masked, never 0.

Numerators and denominators may:
- subtract a variable: ``"-P_RP_VOIT1P"`` (households without a car = RP - RP_VOIT1P);
- name a BPE category (``"bpe:creches_eaje"``), resolved into the TYPEQU codes of the BPE
  millésime (the codes change between millésimes: ``sources.bpe.categories``);
- come from another source than the numerator (``source_denominateur``), e.g. equipments per
  1,000 inhabitants (BPE over populations légales).

Evolutions compare the same indicator at the previous millésime (``precedent``): the previous
census inside the same RP file (N-6), the previous Filosofi file. An indicator may itself be an
evolution (``evolution: annuelle``): the annual average rate of change of its value between the
previous millésime and the current one, (V_N / V_N-k)^(1/k) - 1, per commune, territory and
reference (the population's evolution between two censuses).

Every table `Calcul.calculer` returns is protected by the one rule of the secret statistique
(``indicateurs.secret.proteger``): the chapters, the fiches communes, the synthèse and the
observation ciblée show the same masked cells.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.indicateurs import secret as protection_secret
from diagnostic_territorial.erreurs import DonneeManquante, ErreurDiagnostic
from diagnostic_territorial import PAQUET

# Key of etude.millesimes giving the millésime of each source's file (cle_de_source); the years
# themselves are decided by donnees.millesimes_de, for every reader of a study.
CLE_MILLESIME = {
    "rp_evol_struct_pop": "rp",
    "rp_couples_familles_menages": "rp",
    "rp_logement": "rp",
    "rp_emploi_pop_active": "rp",
    "rp_caract_emploi": "rp",
    "rp_diplomes_formation": "rp",
    "filosofi": "filosofi",
    "populations_legales": "populations_legales",
    "bpe": "bpe",
    "caf_communes": "caf_communes",
    "caf_txcouv_pe": "caf_txcouv_pe",
    "caf_iris": "caf",
    "france_travail": "france_travail",
}
# The previous millésime of each key (file and data) is decided by donnees.millesimes_de, from its
# one table donnees.PRECEDENTS.


def cle_de_source(source: str) -> str:
    """The key of etude.millesimes that gives the millésime of a catalogue source's file."""
    return CLE_MILLESIME.get(source, "rp")


class MillesimeInconnu(ErreurDiagnostic, KeyError):
    """The study does not say which millésime of a source to use."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


UNITES = ("part", "pourcent", "nombre", "euros", "indice", "decimal", "pour_mille", "evolution")
# Indicators that are themselves an evolution between the previous millésime and the current one.
EVOLUTIONS = ("annuelle",)


@dataclass(frozen=True)
class Indicateur:
    id: str
    libelle: str
    chapitre: str
    source: str  # cache key: "rp_logement", "filosofi", "bpe", "caf_communes"...
    numerateur: tuple[str, ...]
    denominateur: tuple[str, ...] = ()
    unite: str = "part"  # see UNITES
    facteur: float = 1.0
    agregeable: bool = True  # False: read at the published level (medians, published rates)
    definition: str = ""
    source_denominateur: str = ""  # "" = the numerator's source
    court: str = ""  # short label for table headers and charts
    millesime: str = ""  # key of etude.millesimes ("" = CLE_MILLESIME[source])
    decoupage: str = ""  # age bands of the RP: "base_cc" (RP 2022 and before) or "2023" (Melodi)
    sens: str = "neutre"  # plus_mieux, plus_fragilite or neutre: read by chapitres/enjeux.py
    public: str = ""  # public of its findings ("" = its chapter's), see chapitres/enjeux.py
    base: str = ""  # id of the count of the people it describes (effectif of its findings)
    evolution: str = ""  # "annuelle": annual average rate of change since the previous millésime

    @property
    def cle_millesime(self) -> str:
        return self.millesime or cle_de_source(self.source)

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(v.lstrip("-") for v in self.numerateur + self.denominateur))

    @property
    def libelle_court(self) -> str:
        return self.court or self.libelle

    @property
    def sources(self) -> tuple[str, ...]:
        autre = self.source_denominateur
        return (self.source,) if not autre or autre == self.source else (self.source, autre)


# --- The catalogue: catalogue/indicateurs.yaml --------------------------------------------------

DOSSIER_CATALOGUE = PAQUET / "catalogue"
FICHIER_INDICATEURS = DOSSIER_CATALOGUE / "indicateurs.yaml"

# Every indicator by id, read from FICHIER_INDICATEURS on first use (module __getattr__ below):
# importing this module reads no file and does not import pydantic.
CATALOGUE: dict[str, Indicateur]


def contexte_validation() -> dict:
    """What an indicator is checked against at load (modeles.IndicateurModele): units, sources,
    millésime keys, chapters of the report, BPE categories of every nomenclature."""
    from diagnostic_territorial.chapitres.plan import CHAPITRES
    from diagnostic_territorial.sources import bpe
    from diagnostic_territorial.sources.preparation import PRECEDENTS

    categories = set(bpe.categories(2018)) & set(bpe.categories(2021))  # both nomenclatures
    cles = set(CLE_MILLESIME.values()) | {c for p in PRECEDENTS.values() for c in (p.cle, p.fichier)}
    return {"unites": UNITES, "sources": set(CLE_MILLESIME), "cles_millesime": cles,
            "chapitres": [c.cle for c in CHAPITRES], "categories_bpe": categories,
            "cles_de_source": dict(CLE_MILLESIME), "avec_precedent": set(PRECEDENTS)}


def charger_catalogue(chemin=None) -> dict[str, Indicateur]:
    """The indicators of a catalogue file, by id, validated by modeles.FichierIndicateurs
    (CatalogueInvalide names the file, the line, the indicator and the field at fault). Without
    `chemin`: the package's catalogue, read once. With `chemin` (another catalogue, e.g. a copy with
    one more indicator, to give to ``Calcul(etude, catalogue=...)``): read at each call."""
    if chemin is None:
        return _catalogue_du_paquet()
    return _lire_catalogue(Path(chemin))


@functools.cache
def _catalogue_du_paquet() -> dict[str, Indicateur]:
    return _lire_catalogue(FICHIER_INDICATEURS)


def _lire_catalogue(chemin: Path) -> dict[str, Indicateur]:
    from diagnostic_territorial.configuration import modeles

    fichier = modeles.lire(chemin, modeles.FichierIndicateurs, contexte_validation())
    return {id_: Indicateur(id=id_, **m.model_dump()) for id_, m in fichier.indicateurs.items()}


def __getattr__(nom: str):
    if nom == "CATALOGUE":
        return charger_catalogue()
    raise AttributeError(f"module {__name__!r} has no attribute {nom!r}")


def indicateur(id_: str, catalogue: dict[str, Indicateur] | None = None) -> Indicateur:
    """The indicator `id_` of the package's catalogue (or of `catalogue`); KeyError naming the
    closest ids otherwise."""
    catalogue = charger_catalogue() if catalogue is None else catalogue
    try:
        return catalogue[id_]
    except KeyError:
        import difflib

        proches = difflib.get_close_matches(id_, catalogue, n=3, cutoff=0.5)
        raise KeyError(f"Indicateur inconnu : « {id_} »." + (f" Indicateurs proches : {', '.join(proches)}."
                                                             if proches else "")) from None


# --- Millésimes ------------------------------------------------------------------------------


def millesime_fichier(etude, cle: str) -> int:
    """The millésime of the file of a key of etude.millesimes for the study (donnees.millesimes_de);
    MillesimeInconnu when nothing gives one."""
    from diagnostic_territorial.sources import preparation as donnees

    return donnees.millesimes_de(etude, cle).fichier


def millesimes_evolution(etude, i: Indicateur) -> tuple[tuple[int, int], tuple[int, int]]:
    """The two millésimes ((file, data) of the start, of the end) an evolution compares: the previous
    millésime of its source and the current one (donnees.millesimes_de); MillesimeInconnu naming
    the key etude.yaml lacks when there is no previous one."""
    from diagnostic_territorial.sources import preparation as donnees

    fin = donnees.millesimes_de(etude, i.cle_millesime)
    debut = donnees.millesimes_de(etude, i.cle_millesime, precedent=True)
    if debut is None:
        p = donnees.PRECEDENTS.get(donnees.cle_millesime(i.cle_millesime))
        cle = p.cle if p else f"{i.cle_millesime}_precedent"
        raise MillesimeInconnu(f"Millésime « {cle} » non déclaré pour cette étude : ajoutez « {cle}: <année> » "
                               "à la section millesimes d'etude.yaml.")
    return tuple(debut), tuple(fin)


def millesimes(etude, i: Indicateur, precedent: bool = False) -> tuple[int, int] | None:
    """(millésime of the file, millésime of the data) of an indicator (donnees.millesimes_de), or
    None when there is no previous millésime for it (nor for an indicator of two sources, nor for
    an evolution, which compares two millésimes itself)."""
    from diagnostic_territorial.sources import preparation as donnees

    if precedent and (i.sources != (i.source,) or i.evolution):
        return None
    return donnees.millesimes_de(etude, i.cle_millesime, precedent)


# --- Computation -----------------------------------------------------------------------------


def _termes(i: Indicateur, termes: tuple[str, ...], millesime_fichier_: int) -> list[tuple[str, int]]:
    """(variable, sign) of a numerator or denominator; BPE categories become TYPEQU codes."""
    resultat = []
    for terme in termes:
        signe = -1 if terme.startswith("-") else 1
        nom = terme.lstrip("-")
        if nom.startswith("bpe:"):
            from diagnostic_territorial.sources import bpe

            codes = bpe.categories(millesime_fichier_)[nom[4:]]
            if not codes:  # an equipment type this nomenclature does not have: said, never 0
                raise MillesimeInconnu(f"{i.libelle} : {bpe.absente(nom[4:], millesime_fichier_)}.")
            resultat += [(c, signe) for c in codes]
        else:
            resultat.append((nom, signe))
    return resultat


def _combiner(table: pd.DataFrame, termes: list[tuple[str, int]], absentes_a_zero: bool) -> tuple[pd.Series, pd.Series]:
    """Signed sum of variables (row-wise) and its secrecy. `absentes_a_zero`: a variable absent for
    a row counts 0 (BPE: a commune without an equipment type has no row for it)."""
    valeur = pd.Series(0.0, index=table.index)
    secret = pd.Series(False, index=table.index)
    for nom, signe in termes:
        if nom in table:
            colonne = table[nom].astype(float)
            s = table[nom + ind.SUFFIXE_SECRET].astype(bool)
        else:
            colonne = pd.Series(np.nan, index=table.index)
            s = pd.Series(False, index=table.index)
        if absentes_a_zero:
            colonne = colonne.fillna(0.0).where(~s)
        valeur = valeur + signe * colonne
        secret = secret | s
    return valeur, secret


@dataclass
class Calcul:
    """Cache of the source tables read for one study (one read per source and millésime).
    `catalogue`: the indicators to compute (charger_catalogue(<file>)), the package's by default."""

    etude: object
    tables: dict = field(default_factory=dict)
    catalogue: dict[str, Indicateur] | None = field(default=None, repr=False)
    masques: dict = field(default_factory=dict, repr=False)  # complementary secret per source variable

    def indicateur(self, id_: str) -> Indicateur:
        return indicateur(id_, self.catalogue)

    def _additifs(self, source: str, fichier: int, millesime: int, variables: list[str]):
        cle = (source, fichier, millesime, "additif")
        deja = self.tables.get(cle)
        if deja is not None and set(variables) <= deja[2]:
            return deja[0], deja[1]
        voulues = sorted(set(variables) | (deja[2] if deja else set()))
        table, prov = ind.additifs(self.etude, source, fichier, voulues, millesime)
        self.tables[cle] = (table, prov, set(voulues))
        return table, prov

    def _publies(self, source: str, millesime: int, variables: list[str]):
        cle = (source, millesime, millesime, "publie")
        deja = self.tables.get(cle)
        if deja is not None and set(variables) <= deja[2]:
            return deja[0], deja[1]
        voulues = sorted(set(variables) | (deja[2] if deja else set()))
        table, prov = ind.publies(self.etude, source, millesime, voulues)
        self.tables[cle] = (table, prov, set(voulues))
        return table, prov

    def precharger(self, ids) -> None:
        """Read every source once for all these indicators (missing sources are ignored here:
        each indicator reports its own)."""
        groupes: dict = {}
        for id_ in ids:
            i = self.indicateur(id_)
            for precedent in (False, True):
                try:
                    if i.evolution:
                        m = millesimes_evolution(self.etude, i)[0 if precedent else 1]
                    else:
                        m = millesimes(self.etude, i, precedent)
                    parties = self._parties(i, m) if m is not None else []
                except MillesimeInconnu:
                    parties = []
                for source, fichier, millesime, termes in parties:
                    cle = (source, fichier, millesime, i.agregeable)
                    groupes.setdefault(cle, set()).update(v for v, _ in termes)
        for (source, fichier, millesime, agregeable), variables in groupes.items():
            try:
                if agregeable:
                    self._additifs(source, fichier, millesime, sorted(variables))
                else:
                    self._publies(source, millesime, sorted(variables))
            except DonneeManquante:
                pass

    def _parties(self, i: Indicateur, m: tuple[int, int]) -> list[tuple[str, int, int, list]]:
        """(source, millésime of the file, millésime of the data, signed terms) to read: one part,
        or two when the denominator comes from another source (read at its own millésime)."""
        fichier, donnees_ = m
        num = _termes(i, i.numerateur, fichier)
        den = _termes(i, i.denominateur, fichier)
        autre = i.source_denominateur
        if autre and autre != i.source:
            f_den = millesime_fichier(self.etude, cle_de_source(autre))
            return [(i.source, fichier, donnees_, num), (autre, f_den, f_den, den)]
        return [(i.source, fichier, donnees_, num + den)]

    def calculer(self, id_: str, precedent: bool = False, millesime: int | None = None) -> tuple[pd.DataFrame, str]:
        """Value of an indicator for each commune, the territory and its references.

        Returns (table: libelle, niveau, codgeo, valeur, secret ; source mention). `precedent`
        gives the previous millésime (donnees.PRECEDENTS); `millesime` picks a millésime of the data
        inside the same file (e.g. the previous census of an RP file). Every table is protected by
        the one rule of the secret statistique (indicateurs.secret.proteger). Raises
        DonneeManquante when a source is missing, MillesimeInconnu when etude.yaml does not give
        its millésime, ValueError when there is no previous millésime."""
        i = self.indicateur(id_)
        if i.evolution:
            if precedent or millesime is not None:
                raise ValueError(f"pas de millésime précédent pour l'indicateur « {id_} » (une évolution "
                                 "entre deux millésimes)")
            return self._evolution(i)
        m = millesimes(self.etude, i, precedent)
        if m is None:
            raise ValueError(f"pas de millésime précédent pour l'indicateur « {id_} »")
        if millesime is not None:
            m = (m[0], int(millesime))
        table, mention = self._valeurs(i, m)
        return protection_secret.proteger(i, table, self, m), mention

    def _evolution(self, i: Indicateur) -> tuple[pd.DataFrame, str]:
        """Annual average rate of change of the indicator's value between the previous millésime
        and the current one, row by row: (V_fin / V_debut)^(1/years) - 1 (unknown when V_debut is
        not positive); masked when either value is (each protected first)."""
        debut, fin = millesimes_evolution(self.etude, i)
        valeur_de = dataclasses.replace(i, evolution="", facteur=1.0,
                                        unite="nombre" if not i.denominateur else "decimal")
        t_fin, mention = self._valeurs(valeur_de, fin)
        t_fin = protection_secret.proteger(valeur_de, t_fin, self, fin)
        t_debut, _ = self._valeurs(valeur_de, debut)
        t_debut = protection_secret.proteger(valeur_de, t_debut, self, debut)
        t_debut = t_debut.set_index(["niveau", "codgeo"]).reindex(
            pd.MultiIndex.from_frame(t_fin[["niveau", "codgeo"]])).reset_index()
        secret = t_fin["secret"].to_numpy(dtype=bool) | t_debut["secret"].fillna(False).to_numpy(dtype=bool)
        taux = ind.taux_croissance_annuel(t_fin["valeur"], t_debut["valeur"].set_axis(t_fin.index), fin[1] - debut[1])
        sortie = t_fin[["libelle", "niveau", "codgeo"]].copy()
        sortie["valeur"] = (taux * i.facteur).where(~secret, np.nan).astype(float).to_numpy()
        sortie["secret"] = secret
        masquees = set(t_fin.attrs.get("secret_complementaire", [])) | set(t_debut.attrs.get("secret_complementaire", []))
        if masquees:
            sortie.attrs["secret_complementaire"] = sorted(masquees)
        return sortie, mention

    def _valeurs(self, i: Indicateur, m: tuple[int, int]) -> tuple[pd.DataFrame, str]:
        """The indicator's values at the millésimes `m` (file, data), before the secret rule."""
        fichier = m[0]
        if not i.agregeable:
            table, prov = self._publies(i.source, m[1], i.variables)
            valeur, secret = _combiner(table, _termes(i, i.numerateur, fichier), False)
            valeur = valeur * i.facteur
            mention = prov.mention() if prov else f"Source : {i.source} {m[1]}"
        else:
            tables, mentions = [], []
            for source, f_src, d_src, termes in self._parties(i, m):
                t, prov = self._additifs(source, f_src, d_src, [v for v, _ in termes])
                tables.append(t)
                texte = prov.mention() if prov else f"Source : {source} {d_src}"
                if texte not in mentions:
                    mentions.append(texte)
            table = tables[0]
            num, s_num = _combiner(table, _termes(i, i.numerateur, fichier), i.source == "bpe")
            if i.denominateur:
                t_den = tables[-1]
                if len(tables) > 1:  # align the denominator's rows on the numerator's
                    t_den = t_den.set_index(["niveau", "codgeo"]).reindex(
                        pd.MultiIndex.from_frame(table[["niveau", "codgeo"]])).reset_index()
                    t_den.index = table.index
                den, s_den = _combiner(t_den, _termes(i, i.denominateur, fichier), False)
                with np.errstate(divide="ignore", invalid="ignore"):
                    valeur = num / den.where(den != 0) * i.facteur
                secret = s_num | s_den
            else:
                valeur, secret = num * i.facteur, s_num
            mention = joindre_mentions(mentions)
        sortie = table[["libelle", "niveau", "codgeo"]].copy()
        sortie["valeur"] = valeur.where(~secret, np.nan).astype(float).to_numpy()
        sortie["secret"] = secret.astype(bool).to_numpy()
        return sortie.reset_index(drop=True), mention


def calculer(etude, id_: str, millesime: int | None = None) -> tuple[pd.DataFrame, str]:
    """Value of an indicator for each commune, the territory and its references (see
    Calcul.calculer). `millesime` selects an earlier millésime inside the same file (e.g.
    rp_precedent for RP)."""
    return Calcul(etude).calculer(id_, millesime=millesime)


def joindre_mentions(mentions: list[str]) -> str:
    """"Source : A" and "Source : B" -> "Source : A ; B" (the source line of figures computed from
    several sources or indicators)."""
    textes = [m.removeprefix("Source : ") for m in mentions]
    return "Source : " + " ; ".join(dict.fromkeys(textes)) if textes else ""


# --- Formatting ------------------------------------------------------------------------------


def formater(i: Indicateur, valeur, secret: bool = False) -> str:
    """A value of the indicator written the French way ("12,3 %", "21 800 €", "s" if secret)."""
    u = i.unite
    if u == "part":
        return fm.pourcentage(valeur, 1, secret=secret)
    if u == "evolution":
        return fm.evolution(valeur, 2, secret=secret)
    if u == "pourcent":
        return fm.pourcentage(valeur / 100 if not fm.est_manquant(valeur) else valeur, 1, secret=secret)
    if u == "euros":
        return fm.euros(valeur, secret=secret)
    if u == "indice":
        return fm.decimal(valeur, 0, secret=secret)
    if u in ("decimal", "pour_mille"):
        return fm.decimal(valeur, 1, secret=secret)
    return fm.nombre(valeur, secret=secret)


def en_ratio(i: Indicateur, valeur):
    """Value on the scale of the charts: parts as ratios (0.123), published percentages too."""
    if i.unite == "pourcent" and not fm.est_manquant(valeur):
        return float(valeur) / 100
    return valeur


def ecart(i: Indicateur, avant, apres) -> str:
    """The change between two millésimes, written the French way: points for rates ("+1,2 pt"),
    a relative change for counts and amounts ("+3,4 %"), the difference for a count that is zero
    or negative at either date (a balance: "-483")."""
    if fm.est_manquant(avant) or fm.est_manquant(apres):
        return fm.NON_DISPONIBLE
    if i.unite in ("part", "pourcent", "evolution"):
        points = (apres - avant) * (1 if i.unite == "pourcent" else 100)
        texte = fm.decimal(points, 1)
        signe = "+" if round(points, 1) > 0 else ""
        return f"{signe}{texte}\u00a0pt"
    if i.unite in ("indice", "decimal", "pour_mille"):
        d = apres - avant
        texte = fm.decimal(d, 1)
        return ("+" if round(d, 1) > 0 else "") + texte
    if avant <= 0 or apres < 0:
        # a balance (solde naturel, migratoire) near or below zero: a relative change would read
        # « -901,9 % » ; the difference is what a reader can use (« -483 »)
        d = apres - avant
        return ("+" if round(d) > 0 else "") + fm.nombre(d)
    return fm.evolution(apres / avant - 1, 1)


# --- Diagnostics: no indicator silently empty ---------------------------------------------------


@dataclass
class Diagnostic:
    id: str
    libelle: str
    source: str
    statut: str  # "ok", "vide" (computed but no value: `raison` says why), "indisponible" (no data)
    raison: str = ""


def _variables_du_cache(etude, source: str, millesime: int) -> tuple[set[str], dict, str]:
    """(variables present in the cache, declared variables absent with their reason, file names)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from diagnostic_territorial.sources import preparation as donnees
    from diagnostic_territorial.sources import cache

    chemin = donnees.chemin_cache(etude, source, millesime)
    if not chemin.exists():
        return set(), {}, ""
    table = pq.read_table(chemin, columns=["variable"])
    presentes = set(pc.unique(table.column(0)).to_pylist())
    prov = cache.provenance(chemin)
    extra = (prov.extra if prov else {}) or {}
    return presentes, dict(extra.get("variables_absentes", {})), prov.fichier if prov else chemin.name


def diagnostiquer(etude, ids=None) -> list[Diagnostic]:
    """Every indicator of the catalogue (or `ids`) computed for the study: values, or the reason
    there is none (which file is missing, which variable the file does not hold, which cells are
    secret). Used by `make donnees` and the technical annex; nothing is ever silently empty."""
    calcul = Calcul(etude)
    catalogue = charger_catalogue()
    sortie = []
    calcul.precharger(ids or list(catalogue))  # each source read once for every indicator
    for id_ in ids or list(catalogue):
        i = indicateur(id_)
        try:
            table, _ = calcul.calculer(id_)
        except MillesimeInconnu as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible", str(exc)))
            continue
        except DonneeManquante as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible",
                                     f"fichier « {exc.fichier} » absent de data/brut ({exc.source})"))
            continue
        except ErreurDiagnostic as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible", str(exc)))
            continue
        if table["valeur"].notna().any():
            sortie.append(Diagnostic(id_, i.libelle, i.source, "ok"))
            continue
        autres = [j.id for j in catalogue.values() if i.decoupage and j.decoupage not in ("", i.decoupage)]
        if autres and any(calcul.calculer(j)[0]["valeur"].notna().any() for j in autres[:1]):
            sortie.append(Diagnostic(id_, i.libelle, i.source, "autre_decoupage",
                                     "tranches d'âge d'un autre millésime du recensement : le rapport montre "
                                     + ", ".join(autres)))
            continue
        sortie.append(Diagnostic(id_, i.libelle, i.source, "vide", raison_vide(calcul, id_, table)))
    return sortie


def raison_vide(calcul: Calcul, id_: str, table: pd.DataFrame) -> str:
    """Why an indicator computed without error has no value at all: the variables its file does
    not hold (with the cells a Melodi file lacks), secret cells, or a territory the file does not
    cover."""
    i = calcul.indicateur(id_)
    raisons = []
    m = millesimes(calcul.etude, i)
    for source, fichier, _, termes in calcul._parties(i, m):
        presentes, absentes, noms = _variables_du_cache(calcul.etude, source, fichier)
        if not presentes and not absentes and noms:  # read, but no row for the study (an extract)
            raisons.append(f"aucune ligne de {noms} pour le territoire, ses communes ni ses références "
                           "(territoire non couvert par le fichier)")
            continue
        for variable in dict.fromkeys(v for v, _ in termes):
            if variable not in presentes:
                detail = absentes.get(variable)
                raisons.append(f"variable {variable} absente de {noms or source}" + (f" : {detail}" if detail else ""))
    if not raisons and table["secret"].all():
        raisons.append("toutes les valeurs sont masquées par le secret statistique")
    if not raisons:
        raisons.append("aucune valeur pour le territoire, ses communes ni ses références dans le fichier lu "
                       "(territoire non couvert par le fichier)")
    return " ; ".join(raisons)


def definitions_melodi(i: Indicateur) -> list[tuple[str, str, str]]:
    """(variable, Melodi dataset, cells) of each variable of an indicator read from the recensement,
    BPE, Filosofi or the populations de référence since their publication through Melodi
    (sources/melodi.toml); a variable with no Melodi definition is absent from the list."""
    from diagnostic_territorial.sources import melodi

    sortie = []
    parties = [(i.source, i.numerateur), (i.source_denominateur or i.source, i.denominateur)]
    for source, termes in parties:
        for terme in termes:
            nom = terme.lstrip("-")
            if nom.startswith("bpe:"):
                from diagnostic_territorial.sources import bpe

                codes = bpe.categories(max(_BPE_MELODI))[nom[4:]]
                sortie.append((nom, "DS_BPE", "FACILITY_TYPE=" + "|".join(codes) + " BPE_MEASURE=FACILITIES"))
                continue
            trouve = melodi.definition(source, nom)
            if trouve is not None:
                sortie.append((nom, trouve[0].id, trouve[1].texte()))
    return list(dict.fromkeys(sortie))


_BPE_MELODI = (2024, 2025)
