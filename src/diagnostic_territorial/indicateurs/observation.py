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

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.erreurs import DonneeManquante, ErreurDiagnostic

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


def lire(chemin: Path) -> list[Definition]:
    """observation_ciblee.yaml read and validated by its model (etude_modeles.FichierObservation:
    every field's type, unknown fields, types, units, sources, components; variables are checked
    later, with the data): ObservationInvalide names the file, the line, the indicator and the
    field of each problem. An absent or empty file declares no indicator."""
    from diagnostic_territorial.configuration.etude_modeles import ENTREES_OBSERVATION, FichierObservation

    chemin = Path(chemin)
    if not chemin.exists():
        return []
    document = config_yaml.lire(chemin, erreur=ObservationInvalide)
    fichier = config_yaml.charger(chemin, FichierObservation, ObservationInvalide, contexte=contexte_validation(),
                                  entrees=ENTREES_OBSERVATION, type_faux="champ mal formé ({})", vide_permis=True,
                                  document=document)
    return [Definition(
        id=m.id, type=m.type, libelle=m.libelle or m.id, commentaire=m.commentaire,
        source=m.source or "rp_evol_struct_pop", millesime=m.millesime,
        numerateur=list(m.numerateur), denominateur=list(m.denominateur),
        unite=m.unite or ("part" if m.denominateur or m.type == "enquete" else "nombre"), facteur=m.facteur,
        composantes=[{"indicateur": c.indicateur, "poids": c.poids} for c in m.composantes],
        indicateur=m.indicateur, horizon=m.horizon or 0, question=m.question, reponses=list(m.reponses),
        ligne=document.ligne("indicateurs", i),
    ) for i, m in enumerate(fichier.indicateurs)]


def contexte_validation() -> dict:
    """What observation_ciblee.yaml is checked against (etude_modeles.FichierObservation): its
    types and units, the sources of a populationnel indicator, the catalogue's indicators (the
    components of a conceptuel one) and those a prospectif one may project."""
    return {"types": TYPES, "unites": UNITES, "sources": _sources_connues(), "indicateurs": set(ci.CATALOGUE),
            "projetables": {i.id for i in ci.CATALOGUE.values() if _projetable(i)}}


def _sources_connues() -> set[str]:
    from diagnostic_territorial.sources.preparation import SOURCES_ETUDE

    return set(ci.CLE_MILLESIME) | set(SOURCES_ETUDE) | set(SOURCES_ETUDE.values())


def _composante_inconnue(ou: str, d: Definition, nom: str, declares) -> ObservationInvalide:
    possibles = list(ci.CATALOGUE) + list(declares)
    proches = difflib.get_close_matches(nom, possibles, n=5, cutoff=0.5)
    return ObservationInvalide(
        f"{ou}, indicateur « {d.id} » : composante « {nom} » inconnue (ni dans le catalogue, ni déclarée "
        "plus haut dans le fichier)." + (f" Indicateurs proches : {', '.join(proches)}." if proches else ""))


def _projetable(i: ci.Indicateur) -> bool:
    """An indicator a prospectif one may project: a sum of the recensement, at two millésimes."""
    return i.agregeable and i.cle_millesime == "rp" and i.sources == (i.source,)


def _verifier_enquete(etude, d: Definition, chemin: Path) -> None:
    """The question and answer codes of an « enquete » indicator, against enquete/questionnaire.yaml
    when it exists (the survey's export may be missing: that is missing data, not a mistake)."""
    from diagnostic_territorial.enquete.questionnaire import QuestionnaireInvalide, charger_questionnaire

    fichier = Path(etude.racine) / "enquete" / "questionnaire.yaml"
    if not fichier.is_file():
        return
    try:
        questionnaire = charger_questionnaire(fichier)
    except QuestionnaireInvalide:
        return  # reported by the check of the questionnaire itself
    _verifier_question(d, chemin, {q.cle: q for q in questionnaire.questions})


def _verifier_question(d: Definition, chemin: Path, questions: dict):
    ou = f"{chemin}" + (f", ligne {d.ligne}" if d.ligne else "") + f", indicateur « {d.id} »"
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
    return q


def verifier_definition(etude, d: Definition, chemin: Path) -> None:
    """Checks of one indicator that need the study but no computation: its millésime key, its
    variables when the source's cache is present, its survey question. ObservationInvalide for a
    mistake; VariableAbsente / DonneeManquante when data is merely missing."""
    if d.type == "populationnel":
        _verifier_variables(etude, d, chemin)
    elif d.type == "enquete":
        _verifier_enquete(etude, d, chemin)


def problemes(etude, chemin: Path | None = None) -> list[str]:
    """Every mistake of observation_ciblee.yaml (`make verifier`), one message each; data that is
    merely missing is not a mistake."""
    chemin = Path(chemin) if chemin else Path(etude.racine) / "observation_ciblee.yaml"
    try:
        definitions = lire(chemin)
    except ObservationInvalide as e:
        return list(getattr(e, "problemes", None) or [str(e)])
    sortie = []
    for d in definitions:
        try:
            verifier_definition(etude, d, chemin)
        except ObservationInvalide as e:
            sortie.append(str(e))
        except (DonneeManquante, VariableAbsente):
            pass
    return sortie


def _variables_connues(etude, source: str, millesime: int) -> list[str]:
    import pyarrow.parquet as pq

    from diagnostic_territorial.sources import preparation as donnees

    chemin = donnees.chemin_cache(etude, source, millesime)
    if not chemin.exists():
        return []
    return sorted(set(pq.read_table(chemin, columns=["variable"]).column(0).to_pylist()))


def _millesime(etude, d: Definition, chemin: Path) -> int:
    """The millésime of the indicator's source file: « millesime » names a key of etude.millesimes
    (rp, filosofi...); by default the source's own (the RP millésime for the RP bases...), as
    decided by donnees.millesimes_de."""
    from diagnostic_territorial.sources import preparation as donnees

    cle = d.millesime or ci.cle_de_source(d.source)
    try:
        return donnees.millesimes_de(etude, cle).fichier
    except ci.MillesimeInconnu:
        raise ObservationInvalide(f"{chemin}, indicateur « {d.id} » : millésime « {cle} » inconnu "
                                  f"(possibles : {', '.join(etude.millesimes)}).") from None


class VariableAbsente(ErreurDiagnostic):
    """A variable of the source's layout is absent from the file provided (a partial export, an
    extract of a Melodi dataset): the indicator cannot be computed, the others can."""


def _variables_du_jeu(source: str) -> set[str]:
    """Every variable the Melodi datasets of a source can give (melodi.toml)."""
    from diagnostic_territorial.sources import melodi

    return {c.variable for j in melodi.jeux_de_source(source) for c in j.correspondances}


def _verifier_variables(etude, d: Definition, chemin: Path) -> None:
    fichier = _millesime(etude, d, chemin)
    connues = _variables_connues(etude, d.source, fichier)
    if not connues:
        return  # the source is missing: the chapter says so (DonneeManquante)
    for v in (v.lstrip("-") for v in d.numerateur + d.denominateur):  # « -X » subtracts X (catalogue)
        if v not in connues and v in _variables_du_jeu(d.source):
            from diagnostic_territorial.sources import cache
            from diagnostic_territorial.sources import preparation as donnees

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


joindre_mentions = ci.joindre_mentions  # owned by the catalogue (no import cycle catalogue <-> observation)


def indicateur_du_catalogue(d: Definition) -> ci.Indicateur:
    """A « populationnel » indicator of observation_ciblee.yaml as an indicator of the catalogue:
    it is computed by the catalogue's engine (catalogue_indicateurs.Calcul), like every indicator of
    the chapters (same sources, millésimes, age bands, secret statistique)."""
    return ci.Indicateur(id=d.id, libelle=d.libelle, chapitre="observation_ciblee", source=d.source,
                         numerateur=tuple(d.numerateur), denominateur=tuple(d.denominateur),
                         unite="decimal" if d.unite == "score" else d.unite, facteur=float(d.facteur),
                         definition=d.commentaire, millesime=d.millesime)


def _populationnel(etude, d: Definition, chemin: Path) -> Resultat:
    _millesime(etude, d, chemin)  # an unknown millésime key is reported with the file and the line
    i = indicateur_du_catalogue(d)
    table, mention = ci.Calcul(etude, catalogue={i.id: i}).calculer(i.id)
    return Resultat(d, table, mention)


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
            raise _composante_inconnue(f"{chemin}", d, nom, deja)
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
    # « indicateur » is one of the catalogue's projetables (checked by lire); the two millésimes are those the catalogue decides (donnees.millesimes_de), like the chapters'
    i = ci.indicateur(d.indicateur)
    actuel, avant = ci.millesimes(etude, i), ci.millesimes(etude, i, precedent=True)
    if avant is None or avant[1] == actuel[1]:
        raise ObservationInvalide(f"{chemin}, indicateur « {d.id} » : pas de millésime précédent pour "
                                  f"« {d.indicateur} » : la projection a besoin de deux millésimes.")
    calcul = ci.Calcul(etude)
    fin, mention = calcul.calculer(d.indicateur)
    debut, _ = calcul.calculer(d.indicateur, precedent=True)
    taux = ind.taux_croissance_annuel(fin["valeur"], debut["valeur"], actuel[1] - avant[1])
    valeur = fin["valeur"] * (1 + taux) ** (d.horizon - actuel[1])
    sortie = fin[["libelle", "niveau", "codgeo"]].assign(valeur=valeur, secret=fin["secret"])
    return Resultat(d, sortie, f"{mention} ; projection au rythme {avant[1]}-{actuel[1]}")


def _enquete(etude, d: Definition, chemin: Path) -> Resultat:
    """Share of the respondents giving one of `reponses` to `question`, per commune of residence and
    for the territory, from the protected tables (a secret cell makes the sum secret)."""
    from diagnostic_territorial import enquete as eq

    try:
        e = eq.charger_enquete(etude)
    except eq.EnqueteAbsente as exc:  # no survey yet: the indicator waits for it, the others are shown
        raise VariableAbsente(f"« {d.libelle} » : pas encore d'enquête auprès des habitants à exploiter ({exc}).") from None
    q = _verifier_question(d, chemin, {q.cle: q for q in e.questionnaire.questions})
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
    for d in definitions:  # a mistake is reported whatever data the other indicators lack
        if d.type == "enquete":
            _verifier_enquete(etude, d, chemin)
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
