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


CHAMPS = ("id", "type", "libelle", "commentaire", "source", "millesime", "numerateur", "denominateur", "unite",
          "facteur", "composantes", "indicateur", "horizon", "question", "reponses")
CHAMPS_COMPOSANTE = ("indicateur", "poids")


def _liste(valeur) -> list[str]:
    if valeur is None:
        return []
    if isinstance(valeur, str):
        return [v.strip() for v in valeur.replace("+", ",").split(",") if v.strip()]
    if isinstance(valeur, list) and all(isinstance(v, str) for v in valeur):
        return valeur
    raise TypeError("liste de noms de variables attendue")


def lire(chemin: Path) -> list[Definition]:
    """Read and check the structure of observation_ciblee.yaml (variables are checked later):
    every field's type, with the file, the line, the indicator and the field in the message."""
    chemin = Path(chemin)
    if not chemin.exists():
        return []
    doc = config_yaml.lire(chemin, erreur=ObservationInvalide)
    data = doc.donnees if doc.donnees is not None else {}
    if not isinstance(data, dict) or not isinstance(data.get("indicateurs", []), (list, type(None))):
        raise ObservationInvalide(f"{doc.ou('indicateurs', champ='')} : une liste « indicateurs: » est attendue.")
    for cle in data:
        if cle != "indicateurs":
            raise ObservationInvalide(f"{doc.ou(cle, champ=str(cle))} : section inconnue (le fichier contient la "
                                      "seule liste « indicateurs: »).")
    definitions, vus = [], set()
    for n, brut in enumerate(data.get("indicateurs") or [], start=1):
        cles = ("indicateurs", n - 1)
        ligne = doc.ligne(*cles)
        if not isinstance(brut, dict):
            raise ObservationInvalide(f"{config_yaml.localiser(chemin, ligne)} : l'indicateur n° {n} n'est pas une "
                                      "liste de champs.")
        id_ = str(brut.get("id", "")).strip() if isinstance(brut.get("id", ""), (str, int)) else ""
        ou = f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f", indicateur « {id_ or n} »"

        def mal_forme(champ: str, detail: str, _cles=cles, _id=id_ or n) -> ObservationInvalide:
            l_champ = doc.ligne(*_cles, champ)
            return ObservationInvalide(f"{chemin}" + (f", ligne {l_champ}" if l_champ else "") + f", indicateur "
                                       f"« {_id} », champ « {champ} » : champ mal formé ({detail}).")

        if not id_ or not id_.replace("_", "").isalnum():
            raise ObservationInvalide(f"{ou} : champ « id » absent ou invalide (lettres, chiffres et _).")
        if id_ in vus:
            raise ObservationInvalide(f"{ou} : identifiant en double.")
        vus.add(id_)
        for champ in brut:
            if champ not in CHAMPS:
                proches = difflib.get_close_matches(str(champ), CHAMPS, n=1)
                raise ObservationInvalide(
                    f"{config_yaml.localiser(chemin, doc.ligne(*cles, champ))}, indicateur « {id_} », champ « {champ} » : "
                    "champ inconnu"
                    + (f" (vouliez-vous dire « {proches[0]} » ?)" if proches else "")
                    + f" ; champs possibles : {', '.join(CHAMPS)}.")
        type_ = brut.get("type")
        if type_ not in TYPES:
            raise ObservationInvalide(f"{ou} : type « {type_} » inconnu (types possibles : {', '.join(TYPES)}).")
        for champ in ("libelle", "commentaire", "source", "millesime", "unite", "indicateur", "question"):
            probleme = config_yaml.probleme_texte(brut.get(champ))
            if probleme:
                raise mal_forme(champ, probleme)
        for champ, verifier in (("facteur", config_yaml.probleme_nombre), ("horizon", config_yaml.probleme_entier)):
            if brut.get(champ) is not None and verifier(brut[champ]):
                raise mal_forme(champ, verifier(brut[champ]))
        listes = {}
        for champ in ("numerateur", "denominateur"):
            try:
                listes[champ] = _liste(brut.get(champ))
            except TypeError:
                raise mal_forme(champ, "un nom de variable, ou une liste de noms, est attendu, pas "
                                       f"{config_yaml.genre(brut.get(champ))}") from None
        reponses = brut.get("reponses")
        if isinstance(reponses, list):
            if any(isinstance(r, (list, dict)) or r is None for r in reponses):
                raise mal_forme("reponses", "une liste de codes de réponse est attendue")
            reponses = [str(r) for r in reponses]
        elif reponses is None or isinstance(reponses, str):
            reponses = _liste(reponses)
        else:
            raise mal_forme("reponses", f"une liste de codes de réponse est attendue, pas {config_yaml.genre(reponses)}")
        composantes = brut.get("composantes")
        if composantes is not None and not isinstance(composantes, list):
            raise mal_forme("composantes", "une liste de composantes « {indicateur: ..., poids: ...} » est "
                                           f"attendue, pas {config_yaml.genre(composantes)}")
        for i, c in enumerate(composantes or []):
            ou_c = (config_yaml.localiser(chemin, doc.ligne(*cles, "composantes", i))
                    + f", indicateur « {id_} », composante n° {i + 1}")
            if not isinstance(c, dict) or not c.get("indicateur"):
                raise ObservationInvalide(f"{ou_c} : une composante a besoin d'un « indicateur » (et d'un « poids »).")
            for champ in c:
                if champ not in CHAMPS_COMPOSANTE:
                    raise ObservationInvalide(f"{ou_c} : champ « {champ} » inconnu (champs possibles : indicateur, "
                                              "poids).")
            probleme = config_yaml.probleme_texte(c["indicateur"])
            if probleme:
                raise ObservationInvalide(f"{ou_c}, champ « indicateur » : champ mal formé ({probleme}).")
            if c.get("poids") is not None and config_yaml.probleme_nombre(c["poids"]):
                l_poids = doc.ligne(*cles, "composantes", i, "poids")
                raise ObservationInvalide(
                    f"{chemin}" + (f", ligne {l_poids}" if l_poids else "") + f", indicateur « {id_} », composante "
                    f"n° {i + 1}, champ « poids » : champ mal formé ({config_yaml.probleme_nombre(c['poids'])}).")
        d = Definition(
            id=id_, type=type_, libelle=str(brut.get("libelle") or id_), commentaire=str(brut.get("commentaire") or ""),
            source=str(brut.get("source") or "rp_evol_struct_pop"), millesime=str(brut.get("millesime") or ""),
            numerateur=listes["numerateur"], denominateur=listes["denominateur"],
            unite=str(brut.get("unite") or ("part" if brut.get("denominateur") or type_ == "enquete" else "nombre")),
            facteur=float(brut["facteur"]) if brut.get("facteur") is not None else 1.0,
            composantes=[{"indicateur": str(c["indicateur"]),
                          "poids": float(c["poids"]) if c.get("poids") is not None else 1.0}
                         for c in composantes or []],
            indicateur=str(brut.get("indicateur") or ""),
            horizon=int(brut.get("horizon") or 0), question=str(brut.get("question") or ""), reponses=reponses,
            ligne=ligne,
        )
        if d.unite not in UNITES:
            raise ObservationInvalide(f"{ou} : unité « {d.unite} » inconnue ({', '.join(UNITES)}).")
        if d.type == "populationnel" and not d.numerateur:
            raise ObservationInvalide(f"{ou} : un indicateur populationnel a besoin d'un « numerateur ».")
        if d.type == "conceptuel" and not d.composantes:
            raise ObservationInvalide(
                f"{ou} : un indicateur conceptuel a besoin de « composantes » (indicateur, poids).")
        if d.type == "enquete" and (not d.question or not d.reponses):
            raise ObservationInvalide(f"{ou} : un indicateur d'enquête a besoin de « question » et de « reponses ».")
        if d.type == "prospectif" and (not d.indicateur or d.horizon < 2000):
            raise ObservationInvalide(f"{ou} : un indicateur prospectif a besoin de « indicateur » et « horizon ».")
        if d.type == "populationnel":
            sources = _sources_connues()
            if d.source not in sources:
                proches = difflib.get_close_matches(d.source, sorted(sources), n=3, cutoff=0.5)
                raise ObservationInvalide(
                    f"{config_yaml.localiser(chemin, doc.ligne(*cles, 'source') or ligne)}, indicateur « {id_} » : "
                    f"source « {d.source} » inconnue." + (f" Sources proches : {', '.join(proches)}." if proches else "")
                    + f" Sources possibles : {', '.join(sorted(sources))}.")
        # Names that need no data are checked here, so that a mistake is reported even when the
        # data of another component or indicator is missing.
        for i, c in enumerate(d.composantes):
            if c["indicateur"] not in ci.CATALOGUE and c["indicateur"] not in [x.id for x in definitions]:
                l_c = doc.ligne(*cles, "composantes", i) or ligne
                raise _composante_inconnue(f"{config_yaml.localiser(chemin, l_c)}", d, c["indicateur"],
                                           [x.id for x in definitions])
        if d.type == "prospectif":
            _verifier_prospectif(d, f"{config_yaml.localiser(chemin, doc.ligne(*cles, 'indicateur') or ligne)}")
        definitions.append(d)
    return definitions


def _sources_connues() -> set[str]:
    from diagnostic_territorial.sources.preparation import SOURCES_ETUDE

    return set(ci.CLE_MILLESIME) | set(SOURCES_ETUDE) | set(SOURCES_ETUDE.values())


def _composante_inconnue(ou: str, d: Definition, nom: str, declares) -> ObservationInvalide:
    possibles = list(ci.CATALOGUE) + list(declares)
    proches = difflib.get_close_matches(nom, possibles, n=5, cutoff=0.5)
    return ObservationInvalide(
        f"{ou}, indicateur « {d.id} » : composante « {nom} » inconnue (ni dans le catalogue, ni déclarée "
        "plus haut dans le fichier)." + (f" Indicateurs proches : {', '.join(proches)}." if proches else ""))


def _verifier_prospectif(d: Definition, ou: str) -> None:
    i = ci.CATALOGUE.get(d.indicateur)
    if i is None or not i.agregeable or i.cle_millesime != "rp" or i.sources != (i.source,):
        raise ObservationInvalide(
            f"{ou}, indicateur « {d.id} » : « {d.indicateur} » doit être un indicateur du recensement du "
            "catalogue (ex. population_rp), disponible à deux millésimes.")


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
        return [str(e)]
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
    _verifier_prospectif(d, f"{chemin}")
    # the two millésimes are those the catalogue decides (donnees.millesimes_de), like the chapters'
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
