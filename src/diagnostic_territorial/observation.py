"""Observation ciblée: indicators the consultant declares without code in the study's
observation_ciblee.yaml, co-built with local actors.

Four kinds:
- populationnel: a variable (or a sum of variables) over another, summed over communes;
- conceptuel: a composite score of several weighted indicators (each standardised over the
  territory's communes: z-scores), e.g. an index of précarité or isolement;
- prospectif: a projection to a horizon year from two millésimes (constant annual growth);
- enquete: the share of the survey's respondents giving some answers to a question (enquete/),
  by commune of residence and for the territory, protected like every survey table (cells under
  the threshold and those that would let one recompute them are secret).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from . import catalogue_indicateurs as ci
from . import indicateurs as ind
from .erreurs import DonneeManquante, ErreurDiagnostic

TYPES = ("populationnel", "conceptuel", "prospectif", "enquete")
UNITES = ("part", "nombre", "indice", "euros", "decimal", "score")


class ObservationInvalide(ErreurDiagnostic):
    """observation_ciblee.yaml is malformed or refers to unknown variables or indicators."""


@dataclass
class Definition:
    id: str
    type: str
    libelle: str
    commentaire: str = ""
    source: str = "rp_evol_struct_pop"
    millesime: str = "rp"
    numerateur: list[str] = field(default_factory=list)
    denominateur: list[str] = field(default_factory=list)
    unite: str = "part"
    facteur: float = 1.0
    composantes: list[dict] = field(default_factory=list)
    indicateur: str = ""
    horizon: int = 0
    question: str = ""
    reponses: list[str] = field(default_factory=list)
    ligne: int | None = None


@dataclass
class Resultat:
    definition: Definition
    table: pd.DataFrame  # libelle, niveau, codgeo, valeur, secret
    mention: str


def _liste(valeur) -> list[str]:
    if valeur is None:
        return []
    if isinstance(valeur, str):
        return [v.strip() for v in valeur.replace("+", ",").split(",") if v.strip()]
    if isinstance(valeur, list) and all(isinstance(v, str) for v in valeur):
        return valeur
    raise TypeError("liste de noms de variables attendue")


def lire(chemin: Path) -> list[Definition]:
    """Read and check the structure of observation_ciblee.yaml (variables are checked later)."""
    chemin = Path(chemin)
    if not chemin.exists():
        return []
    try:
        texte = chemin.read_text(encoding="utf-8")
        data = yaml.safe_load(texte) or {}
    except UnicodeDecodeError as e:
        raise ObservationInvalide(f"{chemin} n'est pas encodé en UTF-8 (octet {e.start}).") from None
    except yaml.YAMLError as e:
        raise ObservationInvalide(f"{chemin} n'est pas un YAML valide : {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("indicateurs", []), list):
        raise ObservationInvalide(f"{chemin} : une liste « indicateurs: » est attendue.")
    lignes = texte.splitlines()
    definitions, vus = [], set()
    for n, brut in enumerate(data.get("indicateurs") or [], start=1):
        if not isinstance(brut, dict):
            raise ObservationInvalide(f"{chemin} : l'indicateur n° {n} n'est pas une liste de champs.")
        id_ = str(brut.get("id", "")).strip()
        ligne = next((i for i, l in enumerate(lignes, 1) if id_ and f"id: {id_}" in l), None)
        ou = f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f", indicateur « {id_ or n} »"
        if not id_ or not id_.replace("_", "").isalnum():
            raise ObservationInvalide(f"{ou} : champ « id » absent ou invalide (lettres, chiffres et _).")
        if id_ in vus:
            raise ObservationInvalide(f"{ou} : identifiant en double.")
        vus.add(id_)
        type_ = brut.get("type")
        if type_ not in TYPES:
            raise ObservationInvalide(f"{ou} : type « {type_} » inconnu (types possibles : {', '.join(TYPES)}).")
        try:
            d = Definition(
                id=id_, type=type_, libelle=str(brut.get("libelle") or id_), commentaire=str(brut.get("commentaire")
                                                                                          or ""),
                source=str(brut.get("source", "rp_evol_struct_pop")), millesime=str(brut.get("millesime", "")),
                numerateur=_liste(brut.get("numerateur")), denominateur=_liste(brut.get("denominateur")),
                unite=str(brut.get("unite", "part" if brut.get("denominateur") else "nombre")),
                facteur=float(brut.get("facteur", 1.0)), composantes=list(brut.get("composantes") or []),
                indicateur=str(brut.get("indicateur", "")), horizon=int(brut.get("horizon", 0)),
                question=str(brut.get("question", "")),
                reponses=[str(r) for r in (brut.get("reponses") or [])] if isinstance(brut.get("reponses"), list)
                else _liste(brut.get("reponses")), ligne=ligne,
            )
            if type_ == "enquete" and "unite" not in brut:
                d.unite = "part"
        except (TypeError, ValueError) as e:
            raise ObservationInvalide(f"{ou} : champ mal formé ({e}).") from None
        if d.unite not in UNITES:
            raise ObservationInvalide(f"{ou} : unité « {d.unite} » inconnue ({', '.join(UNITES)}).")
        if d.type == "populationnel" and not d.numerateur:
            raise ObservationInvalide(f"{ou} : un indicateur populationnel a besoin d'un « numerateur ».")
        if d.type == "conceptuel":
            if not d.composantes or not all(isinstance(c, dict) and c.get("indicateur") for c in d.composantes):
                raise ObservationInvalide(
                    f"{ou} : un indicateur conceptuel a besoin de « composantes » (indicateur, poids).")
        if d.type == "enquete" and (not d.question or not d.reponses):
            raise ObservationInvalide(f"{ou} : un indicateur d'enquête a besoin de « question » et de « reponses ».")
        if d.type == "prospectif" and (not d.indicateur or d.horizon < 2000):
            raise ObservationInvalide(f"{ou} : un indicateur prospectif a besoin de « indicateur » et « horizon ».")
        definitions.append(d)
    return definitions


def _variables_connues(etude, source: str, millesime: int) -> list[str]:
    import pyarrow.parquet as pq

    from . import donnees

    chemin = donnees.chemin_cache(etude, source, millesime)
    if not chemin.exists():
        return []
    return sorted(set(pq.read_table(chemin, columns=["variable"]).column(0).to_pylist()))


def _millesime(etude, d: Definition, chemin: Path) -> int:
    """The millésime of the indicator's source file: « millesime » names a key of etude.millesimes
    (rp, filosofi...); by default the source's own (the RP millésime for the RP bases...)."""
    cle = d.millesime or ci.CLE_MILLESIME.get(d.source, "rp")
    try:
        return ci.millesime_fichier(etude, cle)
    except ci.MillesimeInconnu:
        raise ObservationInvalide(f"{chemin}, indicateur « {d.id} » : millésime « {cle} » inconnu "
                                  f"(possibles : {', '.join(etude.millesimes)}).") from None


class VariableAbsente(ErreurDiagnostic):
    """A variable of the source's layout is absent from the file provided (a partial export, an
    extract of a Melodi dataset): the indicator cannot be computed, the others can."""


def _variables_du_jeu(source: str) -> set[str]:
    """Every variable the Melodi datasets of a source can give (melodi.toml)."""
    from .sources import melodi

    return {c.variable for j in melodi.jeux_de_source(source) for c in j.correspondances}


def _verifier_variables(etude, d: Definition, chemin: Path) -> None:
    fichier = _millesime(etude, d, chemin)
    connues = _variables_connues(etude, d.source, fichier)
    if not connues:
        return  # the source is missing: the chapter says so (DonneeManquante)
    for v in d.numerateur + d.denominateur:
        if v not in connues and v in _variables_du_jeu(d.source):
            from .sources import cache
            from . import donnees

            prov = cache.provenance(donnees.chemin_cache(etude, d.source, fichier))
            raison = ((prov.extra or {}).get("variables_absentes") or {}).get(v, "") if prov else ""
            raise VariableAbsente(
                f"« {d.libelle} » : variable {v} absente des fichiers lus ({prov.fichier if prov else d.source}"
                f"{', ' + raison if raison else ''}) ; l'indicateur sera calculé quand le fichier la contiendra.")
        if v not in connues:
            proches = difflib.get_close_matches(v, connues, n=5, cutoff=0.6)
            raise ObservationInvalide(
                f"{chemin}" + (f", ligne {d.ligne}" if d.ligne else "") + f", indicateur « {d.id} » : variable "
                f"« {v} » inconnue dans la source {d.source} {fichier}."
                + (f" Variables proches : {', '.join(proches)}." if proches else "")
                + " Les noms s'écrivent sans millésime (P_POP0014 pour P19_POP0014)."
            )


def joindre_mentions(mentions: list[str]) -> str:
    """"Source : A" and "Source : B" -> "Source : A ; B"."""
    textes = [m.removeprefix("Source : ") for m in mentions]
    return "Source : " + " ; ".join(dict.fromkeys(textes)) if textes else ""


def _populationnel(etude, d: Definition, chemin: Path) -> Resultat:
    fichier = _millesime(etude, d, chemin)
    variables = list(dict.fromkeys(d.numerateur + d.denominateur))
    table, prov = ind.additifs(etude, d.source, fichier, variables, fichier)
    if d.denominateur:
        valeur = ind.ratio(table, d.numerateur, d.denominateur, d.facteur)
    else:
        valeur = table[d.numerateur].sum(axis=1, min_count=len(d.numerateur)) * d.facteur
    secret = ind.secret(table, variables)
    sortie = table[["libelle", "niveau", "codgeo"]].assign(valeur=valeur.where(~secret), secret=secret)
    return Resultat(d, sortie, prov.mention() if prov else d.source)


def _conceptuel(etude, d: Definition, deja: dict[str, Resultat], chemin: Path) -> Resultat:
    score, mentions, base = None, [], None
    for c in d.composantes:
        nom = str(c["indicateur"])
        poids = float(c.get("poids", 1.0))
        if nom in deja:
            table, mention = deja[nom].table, deja[nom].mention
        elif nom in ci.CATALOGUE:
            table, mention = ci.calculer(etude, nom)
        else:
            possibles = list(ci.CATALOGUE) + list(deja)
            proches = difflib.get_close_matches(nom, possibles, n=5, cutoff=0.5)
            raise ObservationInvalide(
                f"{chemin}, indicateur « {d.id} » : composante « {nom} » inconnue (ni dans le catalogue, ni déclarée "
                "plus haut dans le fichier)." + (f" Indicateurs proches : {', '.join(proches)}." if proches else ""))
        communes = table.loc[table["niveau"] == "commune", "valeur"]
        moyenne, ecart = communes.mean(), communes.std(ddof=0)
        z = (table["valeur"] - moyenne) / ecart if ecart and not np.isnan(ecart) else table["valeur"] * np.nan
        score = z * poids if score is None else score + z * poids
        base = table if base is None else base
        if mention not in mentions:
            mentions.append(mention)
    sortie = base[["libelle", "niveau", "codgeo"]].assign(valeur=score.values, secret=np.zeros(len(base), dtype=bool))
    return Resultat(d, sortie, joindre_mentions(mentions))


def _prospectif(etude, d: Definition, deja: dict[str, Resultat], chemin: Path) -> Resultat:
    i = ci.CATALOGUE.get(d.indicateur)
    if i is None or not i.agregeable or i.cle_millesime != "rp" or i.sources != (i.source,):
        raise ObservationInvalide(
            f"{chemin}, indicateur « {d.id} » : « {d.indicateur} » doit être un indicateur du recensement du "
            "catalogue (ex. population_rp), disponible à deux millésimes.")
    fin, mention = ci.calculer(etude, d.indicateur)
    debut, _ = ci.calculer(etude, d.indicateur, etude.millesimes["rp_precedent"])
    annees = etude.millesimes["rp"] - etude.millesimes["rp_precedent"]
    taux = ind.taux_croissance_annuel(fin["valeur"], debut["valeur"], annees)
    valeur = fin["valeur"] * (1 + taux) ** (d.horizon - etude.millesimes["rp"])
    sortie = fin[["libelle", "niveau", "codgeo"]].assign(valeur=valeur, secret=fin["secret"])
    return Resultat(d, sortie, f"{mention} ; projection au rythme {etude.millesimes['rp_precedent']}-"
                               f"{etude.millesimes['rp']}")


def _enquete(etude, d: Definition, chemin: Path) -> Resultat:
    """Share of the respondents giving one of `reponses` to `question`, per commune of residence and
    for the territory, from the protected tables (a secret cell makes the sum secret)."""
    from . import enquete as eq

    ou = f"{chemin}" + (f", ligne {d.ligne}" if d.ligne else "") + f", indicateur « {d.id} »"
    try:
        e = eq.charger_enquete(etude)
    except eq.EnqueteAbsente as exc:  # no survey yet: the indicator waits for it, the others are shown
        raise VariableAbsente(f"« {d.libelle} » : pas encore d'enquête auprès des habitants à exploiter ({exc}).") from None
    questions = {q.cle: q for q in e.questionnaire.questions}
    q = questions.get(d.question)
    if q is None or q.type not in ("unique", "multiple", "echelle"):
        proches = difflib.get_close_matches(d.question, list(questions), n=5, cutoff=0.5)
        raise ObservationInvalide(f"{ou} : question « {d.question} » inconnue ou non tabulée dans "
                                  "enquete/questionnaire.yaml." + (f" Questions proches : {', '.join(proches)}."
                                                                    if proches else ""))
    codes = {str(m.code) for m in q.modalites}
    inconnues = [r for r in d.reponses if r not in codes]
    if inconnues:
        raise ObservationInvalide(f"{ou} : réponse(s) {', '.join(inconnues)} inconnue(s) pour la question "
                                  f"« {q.cle} » (codes possibles : {', '.join(sorted(codes))}).")
    # Communes with few respondents are grouped (« Autres communes du territoire ») before any
    # publication: they are « n.d. » here, the others get their own protected share.
    libelles = {m.libelle for m in q.modalites if str(m.code) in d.reponses}
    publie = eq.tabuler(e, q.cle, par="commune").publie()
    publie = publie[publie["modalite"].isin(libelles)]
    somme = publie.groupby("groupe").agg(valeur=("part", "sum"), secret=("secret", "any"),
                                         n=("modalite", "size"))
    lignes = []
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    cles = [("commune", c, noms[c]) for c in sorted(noms, key=lambda c: noms[c])]
    cles.append(("territoire", etude.code_territoire, etude.nom_territoire))
    for niveau, code, libelle in cles:
        groupe = eq.ENSEMBLE if niveau == "territoire" else libelle
        ligne = somme.loc[groupe] if groupe in somme.index else None
        complet = ligne is not None and int(ligne["n"]) == len(libelles)
        secret = bool(ligne["secret"]) if ligne is not None else False
        valeur = float(ligne["valeur"]) * d.facteur if complet and not secret else np.nan
        lignes.append({"libelle": libelle, "niveau": niveau, "codgeo": code, "valeur": valeur, "secret": secret})
    for niveau, code, libelle in ind._references(etude):
        lignes.append({"libelle": libelle, "niveau": niveau, "codgeo": code, "valeur": np.nan, "secret": False})
    return Resultat(d, pd.DataFrame(lignes), eq.mention(e))


def calculer(etude, chemin: Path | None = None) -> list[Resultat]:
    """Every indicator of observation_ciblee.yaml; raises on the first one that cannot be computed
    (see calculer_tous for a chapter that shows the others)."""
    resultats, indisponibles = calculer_tous(etude, chemin)
    if indisponibles:
        raise indisponibles[0][1]
    return resultats


def calculer_tous(etude, chemin: Path | None = None) -> tuple[list[Resultat], list[tuple[str, ErreurDiagnostic]]]:
    """Every indicator that can be computed, and (id, error) of those that cannot for lack of data
    (a missing file, a variable absent from the file, a component that could not be computed). A
    mistake in the file (unknown variable, type, component) still raises ObservationInvalide."""
    chemin = Path(chemin) if chemin else Path(etude.racine) / "observation_ciblee.yaml"
    definitions = lire(chemin)
    resultats: dict[str, Resultat] = {}
    indisponibles: list[tuple[str, ErreurDiagnostic]] = []
    for d in definitions:
        manque = [c["indicateur"] for c in (d.composantes or []) if str(c["indicateur"]) in dict(indisponibles)]
        manque += [d.indicateur] if d.type == "prospectif" and d.indicateur in dict(indisponibles) else []
        if manque:
            indisponibles.append((d.id, VariableAbsente(
                f"« {d.libelle} » : composante {', '.join(map(str, manque))} non disponible.")))
            continue
        try:
            if d.type == "populationnel":
                _verifier_variables(etude, d, chemin)
                resultats[d.id] = _populationnel(etude, d, chemin)
            elif d.type == "enquete":
                resultats[d.id] = _enquete(etude, d, chemin)
            elif d.type == "conceptuel":
                resultats[d.id] = _conceptuel(etude, d, resultats, chemin)
            else:
                resultats[d.id] = _prospectif(etude, d, resultats, chemin)
        except ObservationInvalide:
            raise
        except (DonneeManquante, VariableAbsente) as exc:
            indisponibles.append((d.id, exc))
    return list(resultats.values()), indisponibles
