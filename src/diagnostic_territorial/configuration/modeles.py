"""Typed layer of the package's data files: the catalogue of indicators
(``catalogue/indicateurs.yaml``), the chapters' plans (``catalogue/plans.yaml``) and the
definitions of the method annex (``catalogue/definitions.yaml``).

Adding an indicator or rewording a section is a change of these files, never of the code. Each
file is read by `config_yaml.charger` (UTF-8, a key written twice refused, the line of every key) and
validated by the pydantic models below: an unknown field, a value of the wrong type, an unknown
unit, source or chapter, a plan naming an indicator absent from the catalogue... raise
`CatalogueInvalide`, one French line per problem naming the file, the line, the entry (indicator
id, chapter and section, thématique, definition) and the field.

The study's own files (etude.yaml, observation_ciblee.yaml, plan_action.yaml,
enquete/questionnaire.yaml) have their models in etude_modeles.py, on the same bases (`_Entree`,
`_erreur`, `_type_faux`), and every file is read by the one loader `config_yaml.charger`.

The models say what a valid entry is; the modules that own the objects
(`catalogue_indicateurs`, `chapitres.generique`, `definitions`) turn the validated entries into
their frozen dataclasses, load them on first use and keep them (``functools.cache``). What the
models check against the rest of the library (units, sources, millésime keys, chapters, BPE
categories, indicator ids, thématiques) comes in the validation context, so that this module
imports none of those modules (no import cycle); a check whose context is absent is skipped.
pydantic is imported by these models only: importing the library does not pay for it until a file is
read.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated, Literal, TypeVar

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictFloat, StrictStr,
                      ValidationError, ValidationInfo, field_validator, model_validator)
from pydantic_core import InitErrorDetails, PydanticCustomError

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial import PAQUET

DOSSIER = PAQUET / "catalogue"
MOTIF_IDENTIFIANT = re.compile(r"[a-z][a-z0-9_]*")
MOTIF_TERME = re.compile(r"-?(?:bpe:[a-z0-9_]+|[A-Za-z0-9_]+)")
# The publics of the synthèse's findings (chapitres/enjeux.PUBLICS gives their labels).
PUBLICS = ("petite_enfance", "enfance", "jeunesse", "familles", "personnes_agees", "precarite", "handicap",
           "ensemble")


class CatalogueInvalide(ErreurDiagnostic):
    """A data file of the package (indicators, plans, definitions) holds a wrong value."""

    @classmethod
    def depuis_problemes(cls, fichier, problemes: list) -> CatalogueInvalide:
        """One line per problem, each naming the file (config_yaml.erreur_de)."""
        lignes = config_yaml.lignes_de(fichier, problemes)
        erreur = cls("\n".join(lignes))
        erreur.problemes = lignes
        return erreur


def _erreur(message: str, *champ) -> PydanticCustomError:
    """A validation error whose French `message` is shown as is; `champ`: the path of the field
    below the place where the error is raised (a model validator raises at the entry's level)."""
    return PydanticCustomError("catalogue", "{message}", {"message": message, "champ": champ})


def _type_faux(message: str, *champ) -> PydanticCustomError:
    """A value of the wrong type (`message`: config_yaml.probleme_texte, probleme_entier...): a file
    may word these its own way (config_yaml.charger, `type_faux`)."""
    return PydanticCustomError("type_faux", "{message}", {"message": message, "champ": champ})


def _contexte(info: ValidationInfo, cle: str):
    return (info.context or {}).get(cle)


def _inconnu(valeur: str, possibles, quoi: str, ou: str = "") -> PydanticCustomError:
    """`quoi`: « source inconnue », « chapitre inconnu »... ; `ou`: where the known ones are."""
    possibles = sorted(possibles)
    proches = difflib.get_close_matches(valeur, possibles, n=3, cutoff=0.6)
    return _erreur(f"{quoi} : « {config_yaml.extrait(valeur)} »"
                   + (f" {ou}" if ou else "")
                   + (f" ; vouliez-vous dire {', '.join(f'« {p} »' for p in proches)} ?" if proches
                      else f" ; possibles : {', '.join(possibles)}" if len(possibles) <= 15 else ""))


# --- Field types ---------------------------------------------------------------------------------


def _non_vide(valeur: str) -> str:
    if not valeur.strip():
        raise _erreur("texte vide : écrivez une valeur")
    return valeur


def _identifiant(valeur: str) -> str:
    if not MOTIF_IDENTIFIANT.fullmatch(valeur):
        raise _erreur(f"identifiant « {config_yaml.extrait(valeur)} » invalide : minuscules sans accent, chiffres "
                      "et « _ », commençant par une lettre (exemple : part_familles_monoparentales)")
    return valeur


def _en_liste(valeur):
    """One variable may be written alone (``numerateur: P_POP``); empty means none."""
    if valeur is None:
        return ()
    return (valeur,) if isinstance(valeur, str) else valeur


def _terme(valeur: str, info: ValidationInfo) -> str:
    if not MOTIF_TERME.fullmatch(valeur):
        raise _erreur(f"variable « {config_yaml.extrait(valeur)} » invalide : un nom de variable (P_POP0014), "
                      "« -X » pour la retrancher ou « bpe:<catégorie> »")
    nom = valeur.lstrip("-")
    categories = _contexte(info, "categories_bpe")
    if nom.startswith("bpe:") and categories is not None and nom[4:] not in categories:
        raise _inconnu(nom[4:], categories, "catégorie BPE inconnue", "(sources/bpe.py)")
    return valeur


def _entree_plan(valeur: str, info: ValidationInfo) -> str:
    """An indicator of a plan, or alternatives « part_15_24|part_15_29 »: each in the catalogue."""
    ids = [i.strip() for i in valeur.split("|")]
    if not all(ids):
        raise _erreur(f"« {config_yaml.extrait(valeur)} » : un identifiant d'indicateur est attendu (des "
                      "alternatives séparées par « | »)")
    connus = _contexte(info, "indicateurs")
    for id_ in ids:
        if connus is not None and id_ not in connus:
            raise _inconnu(id_, connus, "indicateur inconnu", "(absent du catalogue d'indicateurs)")
    return valeur


def _booleen(valeur):
    """true/false, and as in the consultants' files (config_yaml.booleen) oui/non, vrai/faux."""
    if isinstance(valeur, str) and valeur.strip().lower() in config_yaml.VRAI + config_yaml.FAUX:
        return valeur.strip().lower() in config_yaml.VRAI
    return valeur


def _decoupage(valeur):
    return str(valeur) if isinstance(valeur, int) and not isinstance(valeur, bool) else valeur


Texte = Annotated[StrictStr, AfterValidator(_non_vide)]
Identifiant = Annotated[StrictStr, AfterValidator(_identifiant)]
Termes = Annotated[tuple[Annotated[StrictStr, AfterValidator(_terme)], ...], BeforeValidator(_en_liste)]
EntreePlan = Annotated[StrictStr, AfterValidator(_entree_plan)]
Booleen = Annotated[StrictBool, BeforeValidator(_booleen)]


# Kinds of errors the models raise themselves (the others are pydantic's own).
TYPES_PROPRES = ("catalogue", "type_faux", "champ_inconnu")


def _detail(erreur: dict) -> InitErrorDetails:
    """An error of ValidationError.errors() raised again (our own kinds rebuilt)."""
    contexte = erreur.get("ctx") or {}
    if erreur["type"] in TYPES_PROPRES:
        return {"type": PydanticCustomError(erreur["type"], "{message}", dict(contexte)), "loc": erreur["loc"],
                "input": erreur.get("input")}
    detail = {"type": erreur["type"], "loc": erreur["loc"], "input": erreur.get("input")}
    if contexte:
        detail["ctx"] = contexte
    return detail


class _Entree(BaseModel):
    """An entry of a data file: frozen, and an unknown field is refused by name (with the field
    meant when it is close: « unit » -> « unite »), while its other fields are still checked (every
    problem of the entry is named at once)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _champs_connus(cls, donnees, suite):
        if not isinstance(donnees, dict):
            return suite(donnees)
        inconnus = [cle for cle in donnees if cle not in cls.model_fields]
        if not inconnus:
            return suite(donnees)
        champs = list(cls.model_fields)
        erreurs = []
        for cle in inconnus:
            proches = difflib.get_close_matches(str(cle), champs, n=1, cutoff=0.6)
            message = ("champ inconnu" + (f" (vouliez-vous dire « {proches[0]} » ?)" if proches else "")
                       + f" ; champs possibles : {', '.join(champs)}")
            erreurs.append({"type": PydanticCustomError("champ_inconnu", "{message}", {"message": message}),
                            "loc": (cle,), "input": donnees[cle]})
        try:
            suite({cle: valeur for cle, valeur in donnees.items() if cle not in inconnus})
        except ValidationError as e:
            erreurs += [_detail(x) for x in e.errors(include_url=False)]
        raise ValidationError.from_exception_data(cls.__name__, erreurs)


# --- catalogue/indicateurs.yaml ----------------------------------------------------------------


class IndicateurModele(_Entree):
    """An indicator: a numerator over a denominator, both sums of variables of a source (the
    fields of catalogue_indicateurs.Indicateur, its id being the key of the entry)."""

    libelle: Texte
    chapitre: StrictStr
    source: StrictStr
    numerateur: Termes
    denominateur: Termes = ()
    unite: StrictStr
    facteur: StrictFloat = 1.0
    agregeable: Booleen = True
    definition: StrictStr = ""
    source_denominateur: StrictStr = ""
    court: StrictStr = ""
    millesime: StrictStr = ""
    decoupage: Annotated[Literal["", "base_cc", "2023"], BeforeValidator(_decoupage)] = ""
    # How the synthèse reads a value above the references (chapitres/enjeux.py, docs/enjeux.md):
    # plus_mieux (a strength), plus_fragilite (a weakness), neutre (descriptive: no judgement).
    sens: Literal["plus_mieux", "plus_fragilite", "neutre"] = "neutre"
    # The public a finding on the indicator concerns ("": the default public of its chapter).
    public: Literal["", *PUBLICS] = ""
    # The count indicator (unite: nombre) giving the number of people the indicator describes.
    base: StrictStr = ""
    # « annuelle »: the indicator is the annual average rate of change of its value between the
    # previous millésime of its source and the current one (catalogue_indicateurs.Calcul).
    evolution: Literal["", "annuelle"] = ""

    @field_validator("unite")
    @classmethod
    def _unite(cls, valeur: str, info: ValidationInfo) -> str:
        unites = _contexte(info, "unites")
        if unites is not None and valeur not in unites:
            raise _erreur(f"unité inconnue : « {config_yaml.extrait(valeur)} » ; unités possibles : "
                          f"{', '.join(unites)}")
        return valeur

    @field_validator("chapitre")
    @classmethod
    def _chapitre(cls, valeur: str, info: ValidationInfo) -> str:
        chapitres = _contexte(info, "chapitres")
        if chapitres is not None and valeur not in chapitres:
            raise _inconnu(valeur, chapitres, "chapitre inconnu", "(plan.py)")
        return valeur

    @field_validator("source", "source_denominateur")
    @classmethod
    def _source(cls, valeur: str, info: ValidationInfo) -> str:
        sources = _contexte(info, "sources")
        if valeur and sources is not None and valeur not in sources:
            raise _inconnu(valeur, sources, "source inconnue")
        return valeur

    @field_validator("millesime")
    @classmethod
    def _millesime(cls, valeur: str, info: ValidationInfo) -> str:
        cles = _contexte(info, "cles_millesime")
        if valeur and cles is not None and valeur not in cles:
            raise _inconnu(valeur, cles, "clé de millésime inconnue", "(section millesimes d'etude.yaml)")
        return valeur

    @field_validator("numerateur")
    @classmethod
    def _numerateur(cls, valeur: tuple) -> tuple:
        if not valeur:
            raise _erreur("au moins une variable est attendue")
        return valeur

    @field_validator("facteur")
    @classmethod
    def _facteur(cls, valeur: float) -> float:
        if valeur != valeur or valeur in (0.0, float("inf"), float("-inf")):
            raise _erreur(f"facteur {valeur} invalide : un nombre non nul est attendu (100 pour « pour 100 »)")
        return valeur

    @model_validator(mode="after")
    def _coherence(self) -> IndicateurModele:
        if not self.agregeable and self.denominateur:
            raise _erreur("un indicateur publié (agregeable: false) est lu tel que la source le publie : il n'a "
                          "pas de dénominateur", "denominateur")
        if self.source_denominateur and not self.denominateur:
            raise _erreur("source du dénominateur sans dénominateur", "source_denominateur")
        if self.evolution and self.source_denominateur:
            raise _erreur("une évolution compare deux millésimes d'une même source : pas de source_denominateur",
                          "evolution")
        return self

    @model_validator(mode="after")
    def _evolution_a_un_precedent(self, info: ValidationInfo) -> IndicateurModele:
        cles_de_source, avec_precedent = _contexte(info, "cles_de_source"), _contexte(info, "avec_precedent")
        if not self.evolution or cles_de_source is None or avec_precedent is None:
            return self
        cle = self.millesime or cles_de_source.get(self.source, "")
        if cle not in avec_precedent:
            raise _erreur(f"la source {self.source} n'a pas de millésime précédent (clé « {cle} ») : pas d'évolution "
                          f"possible ; sources qui en ont un : clés {', '.join(sorted(avec_precedent))}", "evolution")
        return self


class FichierIndicateurs(_Entree):
    indicateurs: dict[Identifiant, IndicateurModele]

    @model_validator(mode="after")
    def _bases(self) -> FichierIndicateurs:
        for id_, i in self.indicateurs.items():
            if not i.base:
                continue
            base = self.indicateurs.get(i.base)
            if base is None:
                raise PydanticCustomError("catalogue", "{message}", {
                    "message": _inconnu(i.base, self.indicateurs, "indicateur inconnu",
                                        "(absent du catalogue d'indicateurs)").context["message"],
                    "champ": ("indicateurs", id_, "base")})
            if base.unite != "nombre" or base.denominateur:
                raise _erreur(f"« {i.base} » n'est pas un effectif (unite: nombre, sans dénominateur)",
                              "indicateurs", id_, "base")
        return self


# --- catalogue/plans.yaml ----------------------------------------------------------------------


class _SectionCommune(_Entree):
    cle: Identifiant
    indicateurs: tuple[EntreePlan, ...]
    carte: EntreePlan | None = None
    graphique: Literal["references", "communes"] = "references"
    texte: StrictStr = ""

    @model_validator(mode="after")
    def _coherence(self):
        if not self.indicateurs:
            raise _erreur("au moins un indicateur est attendu", "indicateurs")
        doublons = sorted({i for i in self.indicateurs if self.indicateurs.count(i) > 1})
        if doublons:
            raise _erreur(f"indicateur écrit deux fois : {', '.join(doublons)}", "indicateurs")
        if self.carte is not None and self.carte not in self.indicateurs:
            raise _erreur(f"l'indicateur cartographié « {self.carte} » n'est pas parmi les indicateurs de la "
                          "section", "carte")
        return self


class SectionModele(_SectionCommune):
    """A section of a chapter (the fields of chapitres.generique.Section)."""

    titre: Texte


class ThematiqueModele(_SectionCommune):
    """A thématique spécifique: a section whose title is plan.THEMATIQUES_SPECIFIQUES[cle]."""

    @field_validator("cle")
    @classmethod
    def _thematique(cls, valeur: str, info: ValidationInfo) -> str:
        titres = _contexte(info, "thematiques")
        if titres is not None and valeur not in titres:
            raise _inconnu(valeur, titres, "thématique inconnue", "(plan.THEMATIQUES_SPECIFIQUES)")
        return valeur


class PlanModele(_Entree):
    """The plan of a chapter (the fields of chapitres.generique.PlanChapitre, its key being the
    key of the entry)."""

    introduction: StrictStr = ""
    a_retenir: tuple[EntreePlan, ...] = ()
    sections: tuple[SectionModele, ...] = ()
    parole: Booleen = True

    @model_validator(mode="after")
    def _cles_uniques(self) -> PlanModele:
        cles = [s.cle for s in self.sections]
        doublons = sorted({c for c in cles if cles.count(c) > 1})
        if doublons:
            raise _erreur(f"section écrite deux fois : {', '.join(doublons)}", "sections")
        return self


def _chapitre(valeur: str, info: ValidationInfo) -> str:
    chapitres = _contexte(info, "chapitres")
    if chapitres is not None and valeur not in chapitres:
        raise _inconnu(valeur, chapitres, "chapitre inconnu", "(plan.py)")
    return valeur


THEMATIQUES_SPECIFIQUES = "thematiques_specifiques"


class FichierPlans(_Entree):
    chapitres: dict[Annotated[StrictStr, AfterValidator(_chapitre)], PlanModele]
    thematiques: tuple[ThematiqueModele, ...] = ()

    @model_validator(mode="after")
    def _coherence(self, info: ValidationInfo) -> FichierPlans:
        for cle, p in self.chapitres.items():
            if cle == THEMATIQUES_SPECIFIQUES and p.sections:
                raise _erreur("les sections de ce chapitre sont les thématiques (section « thematiques » du "
                              "fichier) : retirez ses sections", "chapitres", cle, "sections")
            if cle != THEMATIQUES_SPECIFIQUES and not p.sections:
                raise _erreur("au moins une section est attendue", "chapitres", cle, "sections")
        cles = [t.cle for t in self.thematiques]
        doublons = sorted({c for c in cles if cles.count(c) > 1})
        if doublons:
            raise _erreur(f"thématique écrite deux fois : {', '.join(doublons)}", "thematiques")
        titres = _contexte(info, "thematiques")
        manquantes = [t for t in titres or () if t not in cles]
        if manquantes:
            raise _erreur(f"thématique sans section : {', '.join(manquantes)} (plan.THEMATIQUES_SPECIFIQUES)",
                          "thematiques")
        if self.thematiques and THEMATIQUES_SPECIFIQUES not in self.chapitres:
            raise _erreur(f"les thématiques sont les sections du chapitre « {THEMATIQUES_SPECIFIQUES} » : "
                          "déclarez-le dans « chapitres »", "chapitres")
        return self


# --- catalogue/definitions.yaml ----------------------------------------------------------------


class DefinitionModele(_Entree):
    """A definition of the method annex (the fields of definitions.Definition)."""

    terme: Texte
    texte: Texte
    reperes: tuple[Texte, ...]
    source: Texte = "Insee, définitions"
    toujours: Booleen = False

    @model_validator(mode="after")
    def _reperes(self) -> DefinitionModele:
        if not self.reperes and not self.toujours:
            raise _erreur("au moins un repère est attendu (sinon la définition ne figure jamais dans l'annexe), "
                          "ou « toujours: true »", "reperes")
        return self


class FichierDefinitions(_Entree):
    definitions: tuple[DefinitionModele, ...]

    @model_validator(mode="after")
    def _termes_uniques(self) -> FichierDefinitions:
        termes = [d.terme for d in self.definitions]
        doublons = sorted({t for t in termes if termes.count(t) > 1})
        if doublons:
            raise _erreur(f"terme défini deux fois : {', '.join(doublons)}", "definitions")
        return self


# --- Loading -----------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)

# Collections of entries, and what one entry is called in a message (« indicateur « part_0_14 » »,
# « chapitre « economie », section « emploi_local » »).
ENTREES = {
    ("indicateurs",): config_yaml.Entree("indicateur"),
    ("chapitres",): config_yaml.Entree("chapitre"),
    ("chapitres", "*", "sections"): config_yaml.Entree("section", ("cle",)),
    ("thematiques",): config_yaml.Entree("thématique", ("cle",)),
    ("definitions",): config_yaml.Entree("définition", ("terme",)),
}


def lire(chemin, modele: type[M], contexte: dict | None = None) -> M:
    """The data file `chemin` validated by `modele` (FichierIndicateurs, FichierPlans,
    FichierDefinitions) through the one loader (config_yaml.charger, a quick first reading);
    CatalogueInvalide names the file, the line, the entry and the field of each problem."""
    return config_yaml.charger(chemin, modele, CatalogueInvalide, contexte=contexte, entrees=ENTREES, rapide=True)
