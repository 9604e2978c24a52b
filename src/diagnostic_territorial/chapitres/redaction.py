"""Proposed wording written from the figures: the comment of each section of a chapter and the
proposed synthesis of a chapter (« Proposition de rédaction »), until the consultant writes his own.

Pure functions: they read tables built by the chapter (or by hand in the tests) and return French
plain text (the display escapes it); nothing here reads a file or displays anything.

Rules (the constants below are the thresholds of this module; the gaps and evolutions follow the
study's one scale, :mod:`diagnostic_territorial.indicateurs.ecarts`, shared with the forces and
fragilités of the synthèse, chapitres/enjeux.py):

- **Position against a reference** (:func:`position`) — the département, the région, France and the
  EPCI of a list of communes: « proche » for a gap ``FAIBLE``, « au-dessus » / « en dessous » for a
  gap ``MARQUE``, « nettement au-dessus / en dessous » for a gap ``NET`` (a « marqué » or « net »
  gap of the synthèse). Rates are read in points and relative to the reference (marqué: 3 points,
  or 1 point and 10 %, or 0.5 point and 50 %; net: 5 points, or 2 points and 20 %, or 1 point and
  50 %); amounts in euros by their relative gap (5 %, 10 %); other values (indices, ratios per
  1 000 inhabitants) too (10 %, 20 %). Counts (``nombre``) are never compared with the references
  (a territory is smaller than its département): their text gives the count, its evolution and
  how it spreads over the communes.

- **Evolution between two millésimes** (:func:`evolution`): « quasi stable » under 0.5 point for a
  rate (2 % for another value), « en nette hausse / baisse » from 2 points (10 %).

- **Communes**: values are compared between communes of at least ``SEUIL_POPULATION_COMMUNE``
  inhabitants only (1 000: below, a rate rests on a few dozen people and moves a lot from one
  census to the next); the text says how many communes are left aside, or that every commune is
  that small. Secret values (« s ») are never written, nor used.

- **Counts beside rates**: a rate summed from the communes is followed by its count (« soit 412 sur
  2 901 »), a ratio « pour 1 000 habitants » by its count and base (« soit 5 pour 5 432 habitants »).

- A section with more than ``N_DETAILLES`` indicators gets the detailed text of its first indicator,
  then the indicators clearly apart from the département, in a single sentence.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import pandas as pd

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.indicateurs import ecarts
from diagnostic_territorial.rendu import formats as fm

SEUIL_POPULATION_COMMUNE = 1000
N_DETAILLES = 3
N_ECARTS_MAX = 4  # indicators listed in a sentence of the clearest gaps
PART_COMMUNE_NOTABLE = 0.25  # a commune holding this share of a count is named

# Positions (recorded as such in build/resultats/<chapitre>.json).
PROCHE = "proche"
AU_DESSUS = "au-dessus"
NET_AU_DESSUS = "nettement au-dessus"
EN_DESSOUS = "en dessous"
NET_EN_DESSOUS = "nettement en dessous"
# Evolutions.
STABLE = "quasi stable"
HAUSSE = "en hausse"
NETTE_HAUSSE = "en nette hausse"
BAISSE = "en baisse"
NETTE_BAISSE = "en nette baisse"

# How each reference is named in a sentence (« au-dessus du département »).
NOMS_REFERENCES = {"epci": "de l'intercommunalité", "departement": "du département",
                   "region": "de la région", "france": "de la France"}
ORDRE_REFERENCES = ("epci", "departement", "region", "france")


@dataclass
class Chiffres:
    """The figures one indicator's text is written from.

    `table`: libelle, niveau (commune, territoire, epci, departement, region, france), codgeo,
    valeur, secret, as the chapter computed it (secret statistique applied); `precedente`: the same
    at the previous millésime; `effectifs`: niveau, codgeo, numerateur, denominateur (the counts
    behind a rate), or None."""

    indicateur: ci.Indicateur
    annee: int
    table: pd.DataFrame
    precedente: pd.DataFrame | None = None
    annee_precedente: int | None = None
    effectifs: pd.DataFrame | None = None

    @property
    def unite(self) -> str:
        return self.indicateur.unite

    def ligne(self, niveau: str, table: pd.DataFrame | None = None) -> pd.Series | None:
        t = self.table if table is None else table
        lignes = t[t["niveau"] == niveau]
        return lignes.iloc[0] if len(lignes) else None

    def valeur(self, niveau: str, table: pd.DataFrame | None = None):
        ligne = self.ligne(niveau, table)
        if ligne is None or fm.est_manquant(ligne["valeur"]):
            return None
        return float(ligne["valeur"])


# --- Rules -----------------------------------------------------------------------------------


def est_taux(unite: str) -> bool:
    return ecarts.est_taux(unite)


def _points(unite: str, valeur: float) -> float:
    """A rate in percentage points (a « part » is a ratio, a « pourcent » already in %)."""
    return ecarts.en_points(unite, valeur)


def _manquant(*valeurs) -> bool:
    return any(fm.est_manquant(v) for v in valeurs)


def position(unite: str, valeur, reference) -> str | None:
    """Where `valeur` stands against `reference` (:func:`ecarts.qualifier`): PROCHE, AU_DESSUS,
    NET_AU_DESSUS, EN_DESSOUS, NET_EN_DESSOUS; None for a count, a missing value or a zero
    reference."""
    e = ecarts.qualifier(unite, valeur, reference)
    if e is None:
        return None
    if e.classe == ecarts.FAIBLE or e.signe == 0:
        return PROCHE
    if e.classe == ecarts.NET:
        return NET_AU_DESSUS if e.signe > 0 else NET_EN_DESSOUS
    return AU_DESSUS if e.signe > 0 else EN_DESSOUS


def evolution(unite: str, avant, apres) -> str | None:
    """STABLE, HAUSSE, NETTE_HAUSSE, BAISSE or NETTE_BAISSE between two millésimes
    (:func:`ecarts.evolution`); None when a value is missing (or the previous count is zero)."""
    e = ecarts.evolution(unite, avant, apres)
    if e is None:
        return None
    if e.classe == ecarts.FAIBLE:
        return STABLE
    if e.signe > 0:
        return NETTE_HAUSSE if e.classe == ecarts.NET else HAUSSE
    return NETTE_BAISSE if e.classe == ecarts.NET else BAISSE


# --- Words -----------------------------------------------------------------------------------


_ARTICLES = (("Part ", "la"), ("Taux ", "le"), ("Indice ", "l'"), ("Indicateur ", "l'"), ("Rapport ", "le"),
             ("Revenu ", "le"), ("Montant ", "le"), ("Taille ", "la"), ("1er décile", "le"),
             ("9e décile", "le"), ("Population", "la"), ("Nombre ", "le"))
_RE_POUR = re.compile(r"^(.+?) pour (1\s?000|100) (.+)$")


def _minuscule(texte: str) -> str:
    """First letter in lower case, unless the word is an acronym (« EAJE », « CDD »)."""
    if len(texte) > 1 and texte[0].isupper() and not texte[1].isupper():
        return texte[0].lower() + texte[1:]
    return texte


def _majuscule(texte: str) -> str:
    return texte[:1].upper() + texte[1:]


def sujet(libelle: str) -> str | None:
    """« Part des familles monoparentales » -> « la part des familles monoparentales »; None when
    the label cannot be the subject of a sentence (« Médecins généralistes pour 1 000 habitants »)."""
    for debut, article in _ARTICLES:
        if libelle.startswith(debut):
            mot = _minuscule(libelle)
            return f"{article}{mot}" if article.endswith("'") else f"{article} {mot}"
    m = _RE_POUR.match(libelle)
    if m:
        return f"le nombre de {_minuscule(libelle)}"
    return None


def _de(mot: str) -> str:
    """« de » + word, elided before a vowel or a mute h (« d'enfants », « d'habitants »)."""
    return f"d'{mot}" if mot[:1].lower() in "aàâeéèêiîoôuyh" else f"de {mot}"


def designation(libelle: str, unite: str = "") -> str:
    """How an indicator is named inside a sentence: « la part des cadres… », « le nombre de
    familles », or its label between guillemets when it cannot be a subject."""
    if unite == "nombre" and not libelle.startswith("Population"):
        return "le nombre " + _de(_minuscule(libelle))
    return sujet(libelle) or f"« {libelle} »"


def valeur_texte(i: ci.Indicateur, valeur, secret: bool = False) -> str:
    return ci.formater(i, valeur, secret)


def _indicateur_de_unite(unite: str) -> ci.Indicateur:
    return ci.Indicateur(id="valeur", libelle="", chapitre="", source="", numerateur=(), unite=unite)


def nombre_de_points(ecart: float) -> str:
    """1.2 -> « 1,2 point », 2.5 -> « 2,5 points » (plural from 2, as French writes it)."""
    texte = fm.decimal(abs(ecart), 1)
    return f"{texte} point" + ("s" if round(abs(ecart), 1) >= 2 else "")


def _joindre(elements: list[str], et: str = "et") -> str:
    elements = [e for e in elements if e]
    if len(elements) <= 1:
        return "".join(elements)
    return ", ".join(elements[:-1]) + f" {et} " + elements[-1]


# --- One indicator ---------------------------------------------------------------------------


def _ecart_evolution(c: Chiffres, avant: float, apres: float, sens: str) -> str:
    if sens == STABLE:
        return ""
    if est_taux(c.unite):
        return " de " + nombre_de_points(_points(c.unite, apres) - _points(c.unite, avant))
    if c.unite in ("nombre", "euros"):
        return " de " + fm.pourcentage(abs(apres / avant - 1), 1)
    return ""


def _sens(c: Chiffres, avant, apres) -> str | None:
    """:func:`evolution`, « quasi stable » when both values read the same once rounded."""
    sens = evolution(c.unite, avant, apres)
    if sens not in (None, STABLE) and valeur_texte(c.indicateur, avant) == valeur_texte(c.indicateur, apres):
        return STABLE
    return sens


def texte_evolution(c: Chiffres) -> str:
    """« , en hausse de 1,2 point par rapport à 2017 (13,0 %) », or "" without a previous value."""
    if c.precedente is None or c.annee_precedente is None:
        return ""
    avant, apres = c.valeur("territoire", c.precedente), c.valeur("territoire")
    sens = _sens(c, avant, apres)
    if sens is None:
        return ""
    return (f", {sens}{_ecart_evolution(c, avant, apres, sens)} par rapport à {c.annee_precedente} "
            f"({valeur_texte(c.indicateur, avant)})")


def texte_effectif(c: Chiffres) -> str:
    """« (soit 412 sur 2 901) » beside a rate, « (soit 5 pour 5 432 habitants) » beside a ratio per
    1 000 inhabitants; "" when the counts are unknown or secret."""
    if c.effectifs is None or c.unite == "nombre":
        return ""
    ligne = c.ligne("territoire", c.effectifs)
    if ligne is None or _manquant(ligne.get("numerateur"), ligne.get("denominateur")):
        return ""
    num, den = fm.nombre(ligne["numerateur"]), fm.nombre(ligne["denominateur"])
    m = _RE_POUR.match(c.indicateur.libelle)
    if m:
        return f" (soit {num} pour {den} {m.group(3)})"
    if est_taux(c.unite):
        return f" (soit {num} sur {den})"
    return ""


def references_principales(references: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The references a sentence compares with: the EPCI (list of communes), the main département,
    the main région, France (the first of each level, as ``indicateurs.references`` lists them)."""
    vus, sortie = set(), []
    for niveau, code, libelle in references:
        if niveau in NOMS_REFERENCES and niveau not in vus:
            vus.add(niveau)
            sortie.append((niveau, code, libelle))
    return sorted(sortie, key=lambda r: ORDRE_REFERENCES.index(r[0]))


def _valeur_reference(c: Chiffres, niveau: str, code: str):
    t = c.table[(c.table["niveau"] == niveau) & (c.table["codgeo"].astype(str) == str(code))]
    if not len(t) or fm.est_manquant(t.iloc[0]["valeur"]):
        return None
    return float(t.iloc[0]["valeur"])


def positions(c: Chiffres, references: list[tuple[str, str, str]]) -> dict[str, dict]:
    """{niveau: {libelle, valeur, position}} against each main reference (missing ones left out)."""
    ter = c.valeur("territoire")
    sortie = {}
    for niveau, code, libelle in references_principales(references):
        r = _valeur_reference(c, niveau, code)
        p = position(c.unite, ter, r)
        if p is not None and valeur_texte(c.indicateur, ter) == valeur_texte(c.indicateur, r):
            p = PROCHE  # the values read the same once rounded: never « below » 0,9 against 0,9
        if p is not None:
            sortie[niveau] = {"libelle": libelle, "valeur": r, "position": p}
    return sortie


def _nom_reference(niveau: str, references: list[tuple[str, str, str]], libelle: str) -> str:
    nom = NOMS_REFERENCES[niveau]
    if niveau in ("departement", "region") and sum(1 for n, _, _ in references if n == niveau) > 1:
        nom += f" principal ({libelle})" if niveau == "departement" else f" principale ({libelle})"
    return nom


def texte_positions(c: Chiffres, references: list[tuple[str, str, str]]) -> str:
    """« C'est nettement au-dessus du département (11,0 %) et de la région (12,9 %), et proche de la
    France (13,6 %). » ("" for a count or without a comparable reference)."""
    p = positions(c, references)
    if not p:
        return ""
    groupes: list[tuple[str, list[str]]] = []
    for niveau in ORDRE_REFERENCES:
        if niveau not in p:
            continue
        morceau = f"{_nom_reference(niveau, references, p[niveau]['libelle'])} ({valeur_texte(c.indicateur, p[niveau]['valeur'])})"
        if groupes and groupes[-1][0] == p[niveau]["position"]:
            groupes[-1][1].append(morceau)
        else:
            groupes.append((p[niveau]["position"], [morceau]))
    parties = [f"{sens} {_joindre(morceaux)}" for sens, morceaux in groupes]
    if len(parties) == 1:
        return f"C'est {parties[0]}."
    return "C'est " + ", ".join(parties[:-1]) + ", et " + parties[-1] + "."


def texte_valeur(c: Chiffres) -> str:
    """The first sentence: the territory's value, its count, its evolution."""
    i = c.indicateur
    ter = c.ligne("territoire")
    if ter is None:
        return ""
    if fm.est_manquant(ter["valeur"]):
        raison = "couverte par le secret statistique" if bool(ter["secret"]) else "non publiée"
        return f"{i.libelle} : valeur {raison} pour le territoire en {c.annee}."
    valeur = valeur_texte(i, ter["valeur"])
    suite = texte_effectif(c) + texte_evolution(c)
    if i.unite == "nombre":
        communes = _texte_communes_compte(c)
        suite += f" ; {communes}" if communes else ""
        if i.libelle.startswith("Population"):
            return f"La {_minuscule(i.libelle)} est de {valeur} habitants en {c.annee}{suite}."
        if float(ter["valeur"]) < 2:  # « 1 lycée »: the label is plural, the count is not
            return f"{i.libelle} : {valeur} en {c.annee}{suite}."
        return f"Le territoire compte {valeur} {_minuscule(i.libelle)} en {c.annee}{suite}."
    m = _RE_POUR.match(i.libelle)
    if m and not i.libelle.startswith(tuple(d for d, _ in _ARTICLES)):
        return f"On compte {valeur} {_minuscule(i.libelle)} en {c.annee}{suite}."
    s = sujet(i.libelle)
    if s:
        return f"{_majuscule(s)} est de {valeur} en {c.annee}{suite}."
    return f"{i.libelle} : {valeur} en {c.annee}{suite}."


def texte_indicateur(c: Chiffres, references: list[tuple[str, str, str]]) -> str:
    """Value, count, evolution, then its position against the references."""
    return " ".join(t for t in (texte_valeur(c), texte_positions(c, references)) if t)


# --- Communes --------------------------------------------------------------------------------


def texte_communes(c: Chiffres, populations: dict[str, float] | None,
                   seuil: int = SEUIL_POPULATION_COMMUNE) -> str:
    """The contrasts between communes: for a rate or a value, the range among the communes of at
    least `seuil` inhabitants (`populations`: codgeo -> population). "" for a count (its sentence
    says how it spreads: :func:`texte_valeur`), a single commune or unknown populations."""
    communes = c.table[c.table["niveau"] == "commune"]
    if len(communes) < 2 or c.unite == "nombre" or not populations:
        return ""
    pop = communes["codgeo"].astype(str).map(lambda code: populations.get(code))
    grandes = communes[pd.to_numeric(pop, errors="coerce").fillna(0).to_numpy() >= seuil]
    publiees = grandes.dropna(subset=["valeur"])
    seuil_texte = fm.nombre(seuil)
    n, k = len(communes), len(grandes)
    if k == 0:
        return (f"Toutes les communes du territoire comptent moins de {seuil_texte} habitants : leurs valeurs, "
                "calculées sur de petits effectifs, ne sont pas comparées entre elles.")
    if len(publiees) == 0:
        return ""
    if len(publiees) == 1:
        seule = publiees.iloc[0]
        return (f"Une seule commune compte {seuil_texte} habitants ou plus ({seule['libelle']} : "
                f"{valeur_texte(c.indicateur, seule['valeur'])}) ; les autres, plus petites, ne sont pas "
                "comparées entre elles (valeurs trop sensibles aux petits effectifs).")
    bas = publiees.loc[publiees["valeur"].idxmin()]
    haut = publiees.loc[publiees["valeur"].idxmax()]
    s = sujet(c.indicateur.libelle) or f"la valeur ({_minuscule(c.indicateur.libelle_court)})"
    texte = (f"Parmi les {k} communes de {seuil_texte} habitants ou plus, {s} va de "
             f"{valeur_texte(c.indicateur, bas['valeur'])} ({bas['libelle']}) à "
             f"{valeur_texte(c.indicateur, haut['valeur'])} ({haut['libelle']}).")
    if position(c.unite, haut["valeur"], bas["valeur"]) == PROCHE:
        texte += " Les écarts entre ces communes sont faibles."
    if k < n:
        autres = n - k
        texte += (f" Les {autres} autres communes, de moins de {seuil_texte} habitants, ne sont pas comparées"
                  if autres > 1 else f" L'autre commune, de moins de {seuil_texte} habitants, n'est pas comparée")
        texte += " (valeurs trop sensibles aux petits effectifs)."
    return texte


def _texte_communes_compte(c: Chiffres) -> str:
    """A count over the communes, to follow its sentence: how many communes have one (equipments),
    or the commune holding a large share of it. Nothing for fewer than 3 communes, nor when a
    commune is secret (its share would tell its value)."""
    communes = c.table[c.table["niveau"] == "commune"]
    if len(communes) < 3 or communes["secret"].astype(bool).any() or communes["valeur"].isna().any():
        return ""
    total = float(communes["valeur"].sum())
    if total <= 0:
        return ""
    n = len(communes)
    dotees = int((communes["valeur"] > 0).sum())
    if c.indicateur.source == "bpe":
        if dotees == 1:
            return f"une seule des {n} communes en compte ({communes.loc[communes['valeur'].idxmax(), 'libelle']})"
        return f"on en trouve dans {dotees} des {n} communes" if dotees < n else ""
    haut = communes.loc[communes["valeur"].idxmax()]
    part = float(haut["valeur"]) / total
    if part >= PART_COMMUNE_NOTABLE:
        return f"{haut['libelle']} en regroupe {fm.pourcentage(part, 0)}"
    return ""


# --- A section -------------------------------------------------------------------------------


@dataclass
class Commentaire:
    """The proposed comment of a section: its paragraphs (plain text) and, per indicator, what it
    was written from (recorded in build/resultats/<chapitre>.json, read by the synthesis)."""

    paragraphes: list[str]
    indicateurs: list[dict]

    @property
    def texte(self) -> str:
        return "\n\n".join(self.paragraphes)


def constat(c: Chiffres, references: list[tuple[str, str, str]]) -> dict:
    """What is recorded of one indicator: values, positions, evolution, counts (JSON-ready)."""
    i = c.indicateur
    ter = c.ligne("territoire")
    sortie = {"id": i.id, "libelle": i.libelle, "court": i.libelle_court, "unite": i.unite, "annee": c.annee,
              "valeur": c.valeur("territoire"), "secret": bool(ter["secret"]) if ter is not None else False,
              "references": positions(c, references)}
    if c.precedente is not None and c.annee_precedente is not None:
        avant = c.valeur("territoire", c.precedente)
        sortie["evolution"] = {"annee": c.annee_precedente, "valeur": avant,
                               "sens": _sens(c, avant, c.valeur("territoire"))}
    if c.effectifs is not None:
        ligne = c.ligne("territoire", c.effectifs)
        if ligne is not None and not _manquant(ligne.get("numerateur"), ligne.get("denominateur")):
            sortie["effectif"] = {"numerateur": float(ligne["numerateur"]),
                                  "denominateur": float(ligne["denominateur"])}
    return sortie


def _texte_ecarts(chiffres: list[Chiffres], references: list[tuple[str, str, str]], autres: bool = True) -> str:
    """One sentence on the indicators not detailed, against the département (`autres`: other
    indicators of the section were detailed before)."""
    nets, compares = [], 0
    for c in chiffres:
        p = positions(c, references).get("departement")
        if p is None:
            continue
        compares += 1
        if p["position"] in (NET_AU_DESSUS, NET_EN_DESSOUS):
            nets.append(f"{designation(c.indicateur.libelle)} ({valeur_texte(c.indicateur, c.valeur('territoire'))} "
                        f"contre {valeur_texte(c.indicateur, p['valeur'])})")
    if not compares:
        return ""
    if not nets:
        return (f"{'Les autres' if autres else 'Les'} indicateurs de la section restent proches de ceux du "
                "département ou s'en écartent modérément.")
    return (f"Par rapport au département, les {'autres ' if autres else ''}écarts les plus nets concernent "
            + _joindre(nets[:N_ECARTS_MAX]) + ".")


def commentaire_section(chiffres: list[Chiffres], references: list[tuple[str, str, str]],
                        populations: dict[str, float] | None = None, carte: str | None = None,
                        seuil: int = SEUIL_POPULATION_COMMUNE) -> Commentaire:
    """The proposed comment of a section from its indicators (in the plan's order; `carte`: the
    indicator mapped by commune, whose contrasts between communes are described)."""
    chiffres = [c for c in chiffres if c.ligne("territoire") is not None]
    paragraphes = []
    detailles = chiffres
    if len(chiffres) > N_DETAILLES:  # the first indicator, and the first rate or value after a count
        detailles = chiffres[:1]
        if chiffres[0].unite == "nombre":
            detailles += [c for c in chiffres[1:] if c.unite != "nombre"][:1]
    for c in detailles:
        texte = texte_indicateur(c, references)
        if texte:
            paragraphes.append(texte)
    if len(chiffres) > N_DETAILLES:
        compares = any(positions(c, references).get("departement") for c in detailles)
        ecarts = _texte_ecarts([c for c in chiffres if c not in detailles], references, autres=compares)
        if ecarts:
            paragraphes.append(ecarts)
    cible = next((c for c in chiffres if c.indicateur.id == carte), None)
    if cible is None or cible.unite == "nombre":
        cible = next((c for c in chiffres if c.unite != "nombre"), cible)
    if cible is None and chiffres:
        cible = chiffres[0]
    if cible is not None:
        communes = texte_communes(cible, populations, seuil)
        if communes:
            paragraphes.append(communes)
    return Commentaire(_insecables(paragraphes), [constat(c, references) for c in chiffres])


def _insecables(paragraphes: list[str]) -> list[str]:
    """The figures typed in labels (« pour 1 000 habitants ») unbreakable, as those of the formats."""
    return [fm.insecables(p) for p in paragraphes]


# --- The synthesis of a chapter --------------------------------------------------------------


def _texte_html(point: str) -> str:
    """An « À retenir » point (inline HTML) as plain text."""
    return fm.espaces(html.unescape(re.sub(r"<[^>]+>", "", str(point))))  # « 4\u202f799 » stays whole


def _ecart_relatif(constat_: dict, reference: dict) -> float:
    v, r = constat_.get("valeur"), reference.get("valeur")
    if _manquant(v, r) or not r:
        return 0.0
    if est_taux(constat_["unite"]):
        return abs(_points(constat_["unite"], v) - _points(constat_["unite"], r)) / max(abs(_points(constat_["unite"], r)), 1.0)
    return abs(v - r) / abs(r)


def _morceau(constat_: dict, reference: dict, suffixe: str = "") -> str:
    i = _indicateur_de_unite(constat_["unite"])
    return (f"{designation(constat_['libelle'])} ({valeur_texte(i, constat_['valeur'])} "
            f"contre {valeur_texte(i, reference['valeur'])}{suffixe})")


def _ecarts_nets(constats: list[tuple[dict, str]]) -> tuple[list[str], list[str]]:
    """(above, below): the indicators clearly apart from the département, largest gaps first."""
    hauts, bas = [], []
    for c, suffixe in constats:
        ref = (c.get("references") or {}).get("departement")
        if not ref or c.get("valeur") is None:
            continue
        if ref["position"] == NET_AU_DESSUS:
            hauts.append((_ecart_relatif(c, ref), _morceau(c, ref, suffixe)))
        elif ref["position"] == NET_EN_DESSOUS:
            bas.append((_ecart_relatif(c, ref), _morceau(c, ref, suffixe)))
    trier = lambda liste: [m for _, m in sorted(liste, key=lambda x: -x[0])][:N_ECARTS_MAX]  # noqa: E731
    return trier(hauts), trier(bas)


def _phrase_ecarts(hauts: list[str], bas: list[str], sujet_: str) -> str:
    if not hauts and not bas:
        return ""
    if hauts and bas:
        return (f"{sujet_} se distingue nettement du département par des valeurs plus élevées pour "
                f"{_joindre(hauts)}. À l'inverse, ses valeurs sont nettement plus faibles pour {_joindre(bas)}.")
    sens = "plus élevées" if hauts else "plus faibles"
    return f"{sujet_} se distingue nettement du département par des valeurs {sens} pour {_joindre(hauts or bas)}."


def _evolutions_nettes(constats: list[dict]) -> list[str]:
    sortie = []
    for c in constats:
        e = c.get("evolution") or {}
        if e.get("sens") in (NETTE_HAUSSE, NETTE_BAISSE) and not _manquant(e.get("valeur"), c.get("valeur")):
            i = _indicateur_de_unite(c["unite"])
            sortie.append(f"{designation(c['libelle'], c['unite'])} ({e['sens'].removeprefix('en ')} : de "
                          f"{valeur_texte(i, e['valeur'])} en {e['annee']} à {valeur_texte(i, c['valeur'])} "
                          f"en {c['annee']})")
    return sortie


def synthese_chapitre(resultat: dict) -> list[str]:
    """The proposed synthesis of a chapter (paragraphs, plain text) from what it recorded in
    build/resultats/<chapitre>.json: the clearest gaps with the département and the clearest
    evolutions over its sections' indicators; for a chapter without sections, its « À retenir »
    points. [] when the chapter recorded nothing."""
    constats = [c for s in (resultat.get("sections") or {}).values() for c in s.get("indicateurs", [])]
    if not constats:
        return _resume_points(resultat)
    vus, uniques = set(), []
    for c in constats:
        if c["id"] not in vus:
            vus.add(c["id"])
            uniques.append(c)
    paragraphes = []
    hauts, bas = _ecarts_nets([(c, "") for c in uniques])
    ecarts = _phrase_ecarts(hauts, bas, "Le territoire")
    compares = [c for c in uniques if (c.get("references") or {}).get("departement")]
    if ecarts:
        paragraphes.append(ecarts)
    elif compares:
        paragraphes.append("Sur les indicateurs de ce chapitre, le territoire reste proche du département ou "
                           "s'en écarte modérément.")
    evolutions = _evolutions_nettes(uniques)
    avec_evolution = [c for c in uniques if (c.get("evolution") or {}).get("sens")]
    if evolutions:
        paragraphes.append("Depuis le millésime précédent, les évolutions les plus marquées concernent : "
                           + _joindre(evolutions[:N_ECARTS_MAX]) + ".")
    elif avec_evolution:
        paragraphes.append("Depuis le millésime précédent, les indicateurs du chapitre évoluent peu.")
    return _insecables(paragraphes) or _resume_points(resultat)


def _resume_points(resultat: dict) -> list[str]:
    """The « À retenir » points of a chapter as one paragraph of sentences."""
    points = [_texte_html(p) for p in resultat.get("a_retenir") or []]
    points = [p if p.endswith((".", "!", "?", "…")) else p + "." for p in points if p]
    return _insecables([" ".join(points)]) if points else []


def synthese_generale(resultats: dict[str, dict]) -> list[str]:
    """The proposed synthesis of the whole study (chapter « Synthèse et enjeux »): the clearest
    gaps with the département and evolutions over every chapter's sections (`resultats`: the
    chapters' build/resultats, by key)."""
    constats, vus = [], set()
    for r in resultats.values():
        for s in (r.get("sections") or {}).values():
            for c in s.get("indicateurs", []):
                if c["id"] not in vus:
                    vus.add(c["id"])
                    constats.append((c, ""))
    hauts, bas = _ecarts_nets(constats)
    paragraphes = []
    ecarts = _phrase_ecarts(hauts, bas, "Tous thèmes confondus, le territoire")
    if ecarts:
        paragraphes.append(ecarts)
    evolutions = _evolutions_nettes([c for c, _ in constats])
    if evolutions:
        paragraphes.append("Les évolutions les plus marquées depuis le millésime précédent concernent : "
                           + _joindre(evolutions[:N_ECARTS_MAX]) + ".")
    if paragraphes:
        paragraphes.append("Ces constats sont à croiser avec la parole des habitants et des acteurs pour "
                           "dégager les enjeux partagés du territoire.")
    return _insecables(paragraphes)
