"""Typed layer of the files of a study that the consultant edits: etude.yaml (`FichierEtude`),
observation_ciblee.yaml (`FichierObservation`), plan_action.yaml (`FichierPlanAction`) and
enquete/questionnaire.yaml (`FichierQuestionnaire`).

Each file is read by the one loader `config_yaml.charger` and validated by its model here: a value
of the wrong type, an unknown field (with the closest one), a missing field or a rule broken lift
one French line per problem naming the file, the line, the entry (indicateur « id », fiche 1
« titre », question « cle »...) and the field. The modules that own the objects (configuration/
etude.py, indicateurs/observation.py, livrables/plan_action.py, enquete/questionnaire.py) turn the
validated models into their dataclasses; what a model checks against the rest of the library
(catalogue ids, sources, chapters, thématiques, communes of the COG, millésime keys) comes in the
validation context, as for the catalogue (modeles.py): no import cycle, and a check whose context
is absent is skipped.

The types of values follow config_yaml's rules, worded once there (probleme_texte,
probleme_entier, probleme_nombre, probleme_booleen): a text field takes a number or a date as its
text; a whole number is written 3, not "3"; a switch is true/false, oui/non, vrai/faux, never yes,
on or 1.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainValidator, ValidationInfo, field_validator, model_validator

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.configuration.chargement import Entree
from diagnostic_territorial.configuration.modeles import _contexte, _Entree, _erreur, _inconnu, _type_faux

DERNIER = "dernier"


# --- Types of values ---------------------------------------------------------------------------


def _texte(valeur) -> str:
    """A text (a number or a date is read as its text); empty -> ""."""
    probleme = config_yaml.probleme_texte(valeur)
    if probleme:
        raise _type_faux(probleme)
    return "" if valeur is None else str(valeur)


def _texte_ou_rien(valeur) -> str | None:
    return None if valeur is None else _texte(valeur)


def _texte_requis(valeur) -> str:
    texte = _texte(valeur).strip()
    if not texte:
        raise _erreur("champ vide : écrivez une valeur")
    return texte


def _texte_facultatif(valeur) -> str | None:
    """A text whose absence is None (spaces around it removed)."""
    texte = _texte(valeur).strip()
    return texte or None


def _interrupteur(valeur) -> bool | None:
    """true/false, oui/non, vrai/faux (any case); empty: None (the default)."""
    if valeur is None:
        return None
    probleme = config_yaml.probleme_booleen(valeur)
    if probleme:
        raise _type_faux(probleme)
    return valeur if isinstance(valeur, bool) else valeur.strip().lower() in config_yaml.VRAI


def _entier(minimum: int | None = None):
    def valider(valeur) -> int | None:
        if valeur is None:
            return None
        if config_yaml.probleme_entier(valeur):
            raise _type_faux(config_yaml.probleme_entier(valeur, minimum))
        if config_yaml.probleme_entier(valeur, minimum):
            raise _erreur(config_yaml.probleme_entier(valeur, minimum))
        return valeur
    return PlainValidator(valider)


def _nombre(valeur) -> float:
    probleme = config_yaml.probleme_nombre(valeur)
    if probleme:
        raise _type_faux(probleme)
    return float(valeur)


def _liste_de_textes(valeur) -> tuple[str, ...]:
    """A list of texts (one alone may be written without the list); empty: ()."""
    if valeur is None:
        return ()
    if not isinstance(valeur, list):
        valeur = [valeur]
    if any(isinstance(v, (list, dict, bool)) or v is None or not str(v).strip() for v in valeur):
        raise _type_faux("une liste de textes est attendue (une ligne « - ... » par élément)")
    return tuple(str(v).strip() for v in valeur)


def _vide_est_rien(valeur):
    """``champ:`` left empty is an empty list."""
    return () if valeur is None else valeur


Texte = Annotated[str, PlainValidator(_texte)]
TexteOuRien = Annotated[str | None, PlainValidator(_texte_ou_rien)]
TexteRequis = Annotated[str, PlainValidator(_texte_requis)]
TexteFacultatif = Annotated[str | None, PlainValidator(_texte_facultatif)]
Interrupteur = Annotated[bool | None, PlainValidator(_interrupteur)]
Nombre = Annotated[float, PlainValidator(_nombre)]
Entier = Annotated[int | None, _entier()]
EntierPositif = Annotated[int | None, _entier(0)]
ListeDeTextes = Annotated[tuple[str, ...], PlainValidator(_liste_de_textes)]


# --- etude.yaml ------------------------------------------------------------------------------------
# Context (configuration/etude.py, contexte_etude): « commune » (code -> problem or None, the COG),
# « thematiques » (plan.lire_thematiques), « millesime » (etude.verifier_millesime: the range of
# rp and filosofi), « cles_millesime » (the keys of the millesimes section), « suivent » (key ->
# the key giving its millésime: rp_logement -> rp), « seuil_minimum » (the survey's threshold).


class ReferenceModele(_Entree):
    """A reference territory (département, région, EPCI): code and name."""

    code: TexteRequis
    nom: TexteRequis


class CommuneModele(_Entree):
    code: TexteRequis
    nom: TexteRequis
    departement: TexteRequis
    region: TexteRequis
    epci: Texte = ""

    @field_validator("code")
    @classmethod
    def _dans_le_cog(cls, valeur: str, info: ValidationInfo) -> str:
        verifier = _contexte(info, "commune")
        probleme = verifier(valeur) if verifier is not None else None
        if probleme:
            raise _erreur(probleme)
        return valeur


def _communes(valeur):
    if isinstance(valeur, list) and not valeur:
        raise _erreur("la liste territoire.communes est vide")
    if not isinstance(valeur, list):
        raise _type_faux("la liste des communes de l'étude est attendue (une commune par ligne « - code: ... »), pas "
                         f"{config_yaml.genre(valeur)}")
    return valeur


class TerritoireModele(_Entree):
    type: Texte = ""
    code: Texte = ""
    nom: Texte = ""
    geographie: Entier = None
    departement: ReferenceModele
    region: ReferenceModele
    # None: a study written before these lists (the références are then those of its communes)
    departements: tuple[ReferenceModele, ...] | None = None
    regions: tuple[ReferenceModele, ...] | None = None
    epci: Annotated[tuple[ReferenceModele, ...], BeforeValidator(_vide_est_rien)] = ()
    communes: Annotated[tuple[CommuneModele, ...], BeforeValidator(_communes)]

    @model_validator(mode="after")
    def _une_fois(self) -> TerritoireModele:
        codes = [c.code for c in self.communes]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise _erreur(f"code commune « {code} » en double dans territoire.communes", "communes", i, "code")
        return self


def _thematiques(valeur, info: ValidationInfo) -> tuple[str, ...]:
    """A list of thématiques, or one text (« mobilite, logement », « aucune »); empty: none."""
    if valeur is None:
        return ()
    if not isinstance(valeur, str) and not (isinstance(valeur, list) and all(isinstance(t, str) for t in valeur)):
        raise _type_faux(f"une liste de thématiques (ou « aucune ») est attendue, pas {config_yaml.genre(valeur)}")
    lire = _contexte(info, "thematiques")
    if lire is None:
        return tuple([valeur] if isinstance(valeur, str) else valeur)
    try:
        return tuple(lire(valeur))
    except ValueError as e:
        raise _erreur(str(e)) from None


# The frame of a study (cookiecutter answer « cadre », etude.yaml « etude.cadre »): ctg (diagnostic
# préalable à la Convention territoriale globale), abs (analyse des besoins sociaux of a CCAS), dst
# (diagnostic social de territoire). It orders the enjeux of the synthèse (chapitres/enjeux.py).
CADRES = ("ctg", "abs", "dst")


def _cadre(valeur) -> str | None:
    """A frame's code (any case); empty: None (a study written before the field: read from its
    subtitle, configuration.etude.cadre_du_sous_titre)."""
    texte = _texte(valeur).strip().lower()
    if not texte:
        return None
    if texte not in CADRES:
        raise _erreur(f"cadre inconnu : « {config_yaml.extrait(valeur)} » ; possibles : ctg (Convention territoriale "
                      "globale), abs (analyse des besoins sociaux), dst (diagnostic social de territoire)")
    return texte


class EtudeModele(_Entree):
    slug: Texte = ""
    titre: Texte = ""
    sous_titre: Texte = ""
    cadre: Annotated[str | None, PlainValidator(_cadre)] = None
    consultant: Texte = ""
    # None: the question was not asked when the study was generated (every thématique is shown)
    thematiques: Annotated[tuple[str, ...] | None, PlainValidator(_thematiques)] = None
    version_finale: Interrupteur = None


class ExecutionModele(_Entree):
    workers: EntierPositif = None


def _seuil(valeur, info: ValidationInfo) -> int | None:
    if valeur is None:
        return None
    if config_yaml.probleme_entier(valeur):
        raise _type_faux(config_yaml.probleme_entier(valeur))
    minimum = _contexte(info, "seuil_minimum")
    if minimum is not None and valeur < minimum:
        raise _erreur(f"seuil de {valeur} refusé ; le secret statistique interdit de publier un résultat de l'enquête "
                      f"qui porte sur moins de {minimum} répondants : indiquez {minimum} ou plus")
    return valeur


def _noms(valeur) -> tuple[str, ...] | None:
    if valeur is None:
        return None
    if not isinstance(valeur, list) or any(isinstance(n, (dict, list, bool)) or n is None for n in valeur):
        raise _type_faux("une liste de noms est attendue (un nom par ligne « - Dupont »), pas "
                         f"{config_yaml.genre(valeur)}")
    return tuple(str(n) for n in valeur)


class EnqueteEtudeModele(_Entree):
    """The survey's settings (read by enquete/protection.py)."""

    publier_verbatims: Interrupteur = None
    ponderation: Interrupteur = None
    seuil: Annotated[int | None, PlainValidator(_seuil)] = None
    effectif_min_commune: EntierPositif = None
    noms_a_masquer: Annotated[tuple[str, ...] | None, PlainValidator(_noms)] = None


def _cle_millesime(valeur, info: ValidationInfo) -> str:
    if not isinstance(valeur, str):
        raise _erreur(f"« {config_yaml.extrait(valeur)} » : le nom d'une source est attendu (rp, filosofi, "
                      "caf_communes...)")
    suit = (_contexte(info, "suivent") or {}).get(valeur)
    if suit is not None:
        raise _erreur(f"« {valeur} » n'a pas de millésime à part : cette source est lue au millésime de « {suit} », "
                      f"comme ses indicateurs ; retirez cette ligne (ou changez « {suit} »)")
    connues = _contexte(info, "cles_millesime")
    if connues is not None and valeur not in connues:
        raise _inconnu(valeur, connues, "source inconnue", "(section millesimes d'etude.yaml)")
    return valeur


def _millesime(valeur) -> int | str:
    """A year, or « dernier » (the latest held by the files of data/brut/)."""
    if isinstance(valeur, str) and valeur.strip().lower() == DERNIER:
        return DERNIER
    if isinstance(valeur, int) and not isinstance(valeur, bool):
        return valeur
    if isinstance(valeur, str) and valeur.strip().isdigit():
        return int(valeur.strip())
    raise _type_faux(f"« {config_yaml.extrait(valeur)} » n'est ni une année ni « dernier »")


CleMillesime = Annotated[str, PlainValidator(_cle_millesime)]
Millesime = Annotated[int | str, PlainValidator(_millesime)]
MILLESIMES_REQUIS = ("rp", "filosofi")


class FichierEtude(_Entree):
    """etude.yaml (configuration/etude.py, Etude.charger)."""

    etude: EtudeModele
    territoire: TerritoireModele
    millesimes: dict[CleMillesime, Millesime]
    execution: ExecutionModele | None = None
    enquete: EnqueteEtudeModele | None = None

    @field_validator("millesimes")
    @classmethod
    def _millesimes(cls, valeur: dict, info: ValidationInfo) -> dict:
        for cle in MILLESIMES_REQUIS:
            if cle not in valeur:
                raise _erreur(f"millésime « {cle} » absent (une année ou « dernier »)")
        verifier = _contexte(info, "millesime")
        for cle in MILLESIMES_REQUIS:
            if verifier is not None:
                try:
                    valeur[cle] = verifier(cle, valeur[cle])
                except Exception as e:  # noqa: BLE001 - EtudeInvalide, worded by etude.verifier_millesime
                    raise _erreur(str(e), cle) from None
        return valeur


# --- observation_ciblee.yaml ---------------------------------------------------------------------
# Context (indicateurs/observation.py, contexte_validation): « types », « unites », « sources »
# (of a populationnel indicator), « indicateurs » (ids of the catalogue), « projetables » (ids of
# the catalogue a prospectif indicator may project).


def _variables(valeur) -> tuple[str, ...]:
    """One variable, « A + B », « A, B » or a list of names."""
    if valeur is None:
        return ()
    if isinstance(valeur, str):
        return tuple(v.strip() for v in valeur.replace("+", ",").split(",") if v.strip())
    if isinstance(valeur, list) and all(isinstance(v, str) for v in valeur):
        return tuple(valeur)
    raise _type_faux(f"un nom de variable, ou une liste de noms, est attendu, pas {config_yaml.genre(valeur)}")


def _reponses(valeur) -> tuple[str, ...]:
    if isinstance(valeur, list):
        if any(isinstance(r, (list, dict)) or r is None for r in valeur):
            raise _type_faux("une liste de codes de réponse est attendue")
        return tuple(str(r) for r in valeur)
    if valeur is None or isinstance(valeur, str):
        return _variables(valeur)
    raise _type_faux(f"une liste de codes de réponse est attendue, pas {config_yaml.genre(valeur)}")


def _id_observation(valeur) -> str:
    if isinstance(valeur, bool) or not isinstance(valeur, (str, int)) or not str(valeur).strip().replace("_", "").isalnum():
        raise _erreur("identifiant absent ou invalide (lettres, chiffres et _)")
    return str(valeur).strip()


def _type_observation(valeur, info: ValidationInfo) -> str:
    types = _contexte(info, "types")
    if not isinstance(valeur, str) or (types is not None and valeur not in types):
        raise _erreur(f"type « {config_yaml.extrait(valeur)} » inconnu"
                      + (f" (types possibles : {', '.join(types)})" if types else ""))
    return valeur


Variables = Annotated[tuple[str, ...], PlainValidator(_variables)]


class ComposanteModele(_Entree):
    """A component of a conceptuel indicator: an indicator of the catalogue or declared above."""

    indicateur: TexteRequis
    poids: Nombre = 1.0


class IndicateurObserveModele(_Entree):
    """An indicator of observation_ciblee.yaml (the fields of observation.Definition)."""

    id: Annotated[str, PlainValidator(_id_observation)]
    type: Annotated[str, PlainValidator(_type_observation)]
    libelle: Texte = ""
    commentaire: Texte = ""
    source: Texte = ""
    millesime: Texte = ""
    numerateur: Variables = ()
    denominateur: Variables = ()
    unite: Texte = ""
    facteur: Nombre = 1.0
    composantes: Annotated[tuple[ComposanteModele, ...], BeforeValidator(_vide_est_rien)] = ()
    indicateur: Texte = ""
    horizon: Entier = None
    question: Texte = ""
    reponses: Annotated[tuple[str, ...], PlainValidator(_reponses)] = ()

    @model_validator(mode="after")
    def _regles(self, info: ValidationInfo) -> IndicateurObserveModele:
        unites = _contexte(info, "unites")
        if self.unite and unites is not None and self.unite not in unites:
            raise _erreur(f"unité « {self.unite} » inconnue ({', '.join(unites)})", "unite")
        if self.type == "populationnel":
            if not self.numerateur:
                raise _erreur("un indicateur populationnel a besoin d'un « numerateur »", "numerateur")
            sources = _contexte(info, "sources")
            source = self.source or "rp_evol_struct_pop"
            if sources is not None and source not in sources:
                proches = difflib.get_close_matches(source, sorted(sources), n=3, cutoff=0.5)
                raise _erreur(f"source « {source} » inconnue." + (f" Sources proches : {', '.join(proches)}."
                                                                  if proches else "")
                              + f" Sources possibles : {', '.join(sorted(sources))}.", "source")
        if self.type == "conceptuel" and not self.composantes:
            raise _erreur("un indicateur conceptuel a besoin de « composantes » (indicateur, poids)", "composantes")
        if self.type == "enquete" and (not self.question or not self.reponses):
            raise _erreur("un indicateur d'enquête a besoin de « question » et de « reponses »")
        if self.type == "prospectif":
            if not self.indicateur or (self.horizon or 0) < 2000:
                raise _erreur("un indicateur prospectif a besoin de « indicateur » et « horizon »")
            projetables = _contexte(info, "projetables")
            if projetables is not None and self.indicateur not in projetables:
                raise _erreur(f"« {self.indicateur} » doit être un indicateur du recensement du catalogue (ex. "
                              "population_rp), disponible à deux millésimes", "indicateur")
        return self


class FichierObservation(_Entree):
    """observation_ciblee.yaml (indicators/observation.py, lire)."""

    indicateurs: Annotated[tuple[IndicateurObserveModele, ...], BeforeValidator(_vide_est_rien)] = ()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> FichierObservation:
        """Identifiers written once; each component in the catalogue or declared above it."""
        catalogue = _contexte(info, "indicateurs")
        declares: list[str] = []
        for i, d in enumerate(self.indicateurs):
            if d.id in declares:
                raise _erreur(f"identifiant « {d.id} » en double", "indicateurs", i, "id")
            for j, c in enumerate(d.composantes):
                if catalogue is not None and c.indicateur not in catalogue and c.indicateur not in declares:
                    proches = difflib.get_close_matches(c.indicateur, list(catalogue) + declares, n=5, cutoff=0.5)
                    raise _erreur(f"composante « {c.indicateur} » inconnue (ni dans le catalogue, ni déclarée plus haut "
                                  "dans le fichier)." + (f" Indicateurs proches : {', '.join(proches)}." if proches
                                                        else ""),
                                  "indicateurs", i, "composantes", j, "indicateur")
            declares.append(d.id)
        return self


ENTREES_OBSERVATION = {("indicateurs",): Entree("indicateur", ("id",)),
                       ("indicateurs", "*", "composantes"): Entree("composante")}


# --- plan_action.yaml ----------------------------------------------------------------------------
# Context (livrables/plan_action.py): « chapitres » (keys of the report's chapters), « priorites ».


def _constat(valeur):
    """A finding: a text, or {chapitre: <key>, constat: <text>}."""
    if isinstance(valeur, dict):
        return valeur
    if isinstance(valeur, (list, bool)) or valeur is None or config_yaml.probleme_texte(valeur) or not str(valeur).strip():
        raise _type_faux("chaque constat est un texte ou « chapitre: <clé> » + « constat: <texte> »")
    return {"constat": str(valeur).strip()}


def _constats(valeur):
    if valeur is None or valeur == []:
        raise _erreur("la liste est vide : indiquez le ou les constats du diagnostic qui justifient l'action")
    return valeur if isinstance(valeur, list) else [valeur]


class ConstatModele(_Entree):
    chapitre: TexteFacultatif = None
    constat: Texte = ""

    @field_validator("chapitre")
    @classmethod
    def _chapitre(cls, valeur: str | None, info: ValidationInfo) -> str | None:
        chapitres = _contexte(info, "chapitres")
        if valeur is not None and chapitres is not None and valeur not in chapitres:
            proche = difflib.get_close_matches(valeur, list(chapitres), n=1)
            raise _erreur(f"chapitre inconnu « {valeur} »" + (f" (vouliez-vous dire « {proche[0]} » ?)" if proche else "")
                          + f" ; chapitres : {', '.join(chapitres)}")
        return valeur

    @model_validator(mode="after")
    def _quelque_chose(self) -> ConstatModele:
        if self.chapitre is None and not self.constat.strip():
            raise _erreur("chaque constat a un « chapitre » et/ou un « constat »")
        return self


def _priorite(valeur, info: ValidationInfo) -> str | None:
    if valeur is None:
        return None
    priorites = _contexte(info, "priorites") or ()
    texte = str(valeur).strip().lower() if not isinstance(valeur, (list, dict, bool)) else None
    if texte is None or (priorites and texte not in priorites):
        raise _erreur(f"« {config_yaml.extrait(valeur)} » : valeurs possibles : {', '.join(priorites)}")
    return texte


class FicheModele(_Entree):
    """A fiche action (the fields of plan_action.FicheAction)."""

    titre: TexteRequis
    objectif: TexteRequis
    public: TexteRequis
    porteur: TexteRequis
    calendrier: TexteRequis
    indicateurs_de_suivi: ListeDeTextes
    constats_lies: Annotated[tuple[Annotated[ConstatModele, BeforeValidator(_constat)], ...], BeforeValidator(_constats)]
    partenaires: ListeDeTextes = ()
    priorite: Annotated[str | None, PlainValidator(_priorite)] = None
    budget: TexteFacultatif = None
    description: TexteFacultatif = None

    @field_validator("indicateurs_de_suivi")
    @classmethod
    def _au_moins_un(cls, valeur: tuple) -> tuple:
        if not valeur:
            raise _erreur("la liste est vide : indiquez au moins un indicateur de suivi")
        return valeur


class FichierPlanAction(_Entree):
    """plan_action.yaml (livrables/plan_action.py, charger)."""

    titre: TexteFacultatif = None
    introduction: TexteFacultatif = None
    fiches: Annotated[tuple[FicheModele, ...] | None, BeforeValidator(_vide_est_rien)] = None

    @model_validator(mode="after")
    def _des_fiches(self) -> FichierPlanAction:
        if self.fiches is None:
            raise _erreur("le fichier doit contenir une clé « fiches : » suivie de la liste des fiches actions (chacune "
                          "commence par « - titre: ... »)")
        if not self.fiches:
            raise _erreur("aucune fiche action : ajoutez au moins une fiche sous « fiches: »", "fiches")
        return self


ENTREES_PLAN_ACTION = {("fiches",): Entree("fiche", ("titre",), numero=True)}


# --- enquete/questionnaire.yaml ----------------------------------------------------------------
# Context (enquete/questionnaire.py): « types » (of a question), « avec_codes » (types that need
# the codes of their answers), « croisements » (sexe, tranche_age, commune).


def _feuille(valeur) -> str | int | None:
    """The sheet of an XLSX export: its name or its position."""
    probleme = config_yaml.probleme_texte(valeur)
    if probleme:
        raise _type_faux(probleme)
    return valeur if valeur is None or isinstance(valeur, int) else str(valeur)


class EnqueteQuestionnaireModele(_Entree):
    titre: Texte = ""
    date: Texte = ""
    fichier: Texte = ""
    feuille: Annotated[str | int | None, PlainValidator(_feuille)] = None
    simule: Interrupteur = None


def _variables_rp(valeur) -> tuple[str, ...]:
    if valeur is None:
        return ()
    if isinstance(valeur, str):
        return (valeur,)
    if isinstance(valeur, list) and not any(isinstance(v, (list, dict)) for v in valeur):
        return tuple(str(v) for v in valeur)
    raise _type_faux("« rp » doit être une variable du recensement ou une liste de variables")


def _modalite(valeur):
    """An answer: its label, or {libelle: ..., rp: ...}."""
    if isinstance(valeur, dict):
        return valeur
    if isinstance(valeur, list):
        raise _type_faux("un libellé est attendu, pas une liste")
    if valeur is None:
        raise _type_faux("un libellé (texte) est attendu")
    return {"libelle": valeur}


class ModaliteModele(_Entree):
    libelle: TexteOuRien = None  # None: the code is its own label
    rp: Annotated[tuple[str, ...], PlainValidator(_variables_rp)] = ()


def _codes(valeur):
    """« code: libellé » pairs, or a plain list of labels (each its own code)."""
    if valeur is None:
        return {}
    if isinstance(valeur, list):
        if any(isinstance(c, (list, dict)) or c is None for c in valeur):
            raise _type_faux("« codes » doit être une liste de libellés ou de correspondances « code: libellé »")
        return {str(c): str(c) for c in valeur}
    if not isinstance(valeur, dict):
        raise _type_faux("« codes » doit être une liste de correspondances « code: libellé »")
    return valeur


def _cle_question(valeur) -> str:
    if config_yaml.probleme_texte(valeur) or valeur is None or not str(valeur).strip():
        raise _erreur("la clé d'une question est un nom court, sans espace")
    return str(valeur)


def _type_question(valeur, info: ValidationInfo) -> str:
    types = _contexte(info, "types")
    if not isinstance(valeur, str) or (types is not None and valeur not in types):
        raise _erreur(f"type « {config_yaml.extrait(valeur)} » inconnu"
                      + (f" (types possibles : {', '.join(types)})" if types else ""))
    return valeur


def _croiser(valeur, info: ValidationInfo) -> tuple[str, ...]:
    if valeur is None:
        return ()
    if isinstance(valeur, str):
        valeur = [valeur]
    croisements = _contexte(info, "croisements")
    if not isinstance(valeur, list) or any(not isinstance(c, str) for c in valeur):
        raise _type_faux("une liste de croisements est attendue ("
                         + ", ".join(croisements or ("sexe", "tranche_age", "commune")) + ")")
    for c in valeur:
        if croisements is not None and c not in croisements:
            raise _inconnu(c, croisements, "croisement inconnu")
    return tuple(valeur)


class QuestionModele(_Entree):
    """A question of the survey's mapping (the fields of questionnaire.Question)."""

    cle: Annotated[str, PlainValidator(_cle_question)]
    type: Annotated[str, PlainValidator(_type_question)]
    libelle: Texte = ""
    colonne: TexteOuRien = None
    colonnes: TexteOuRien = None
    separateur: TexteOuRien = None
    theme: TexteOuRien = None
    codes: Annotated[dict[Any, Annotated[ModaliteModele, BeforeValidator(_modalite)]], BeforeValidator(_codes)] = {}
    croiser: Annotated[tuple[str, ...], PlainValidator(_croiser)] = ()

    @model_validator(mode="after")
    def _regles(self, info: ValidationInfo) -> QuestionModele:
        if not self.colonne and not self.colonnes:
            raise _erreur("indiquez sa « colonne » dans l'export")
        avec_codes = _contexte(info, "avec_codes") or ()
        if self.type in avec_codes and not self.codes:
            raise _erreur("les « codes » des réponses manquent", "codes")
        return self


class FichierQuestionnaire(_Entree):
    """enquete/questionnaire.yaml (enquete/questionnaire.py, charger_questionnaire)."""

    enquete: EnqueteQuestionnaireModele | None = None
    questions: tuple[QuestionModele, ...]

    @model_validator(mode="after")
    def _cles_uniques(self) -> FichierQuestionnaire:
        cles = [q.cle for q in self.questions]
        for i, cle in enumerate(cles):
            if cle in cles[:i]:
                raise _erreur(f"la clé de question « {cle} » est en double", "questions", i, "cle")
        return self


ENTREES_QUESTIONNAIRE = {("questions",): Entree("question", ("cle",)),
                         ("questions", "*", "codes"): Entree("code")}
