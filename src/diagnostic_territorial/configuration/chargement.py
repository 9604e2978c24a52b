"""One YAML loader for the files the consultant edits (etude.yaml, observation_ciblee.yaml,
plan_action.yaml, enquete/questionnaire.yaml, a territories file for ``multi``) and for the
package's data files (catalogue/*.yaml), and ``make verifier``.

- Typed files: `charger(chemin, modele, erreur)` reads a file and validates it by its pydantic
  model (configuration/modeles.py for the catalogue, configuration/etude_modeles.py for the study's
  files); every problem is a `Probleme` (line, entry, field, French text) and the error lists them,
  « <file>, ligne <n>, <entry>, champ « <field> » : <problem>. », one per line.

- Reading: UTF-8 (a BOM is accepted); a file in another encoding is refused with the line of the
  first byte that is not UTF-8; a YAML syntax error names its line and column; a key written twice
  in the same mapping is refused (YAML would silently keep the last one).
- Booleans are explicit: ``true``/``false`` are the only YAML booleans (PyYAML's safe_load also
  turns ``yes``/``no``/``on``/``off`` into booleans, but leaves the French ``oui``/``non`` as text,
  so that ``bool("non")`` is True). Every switch goes through `booleen`, which accepts true/false,
  oui/non, vrai/faux (any case) and refuses anything else with the file, the line and the field.
- Line numbers: `lire` returns a `DocumentYaml`; ``document.ligne("enquete", "seuil")`` is the line
  of that key (1-based), ``document.ligne("indicateurs", 2)`` the line of the third item.
- User text is data: `marqueur_modele` finds template markup (``{{ }}``, ``{% %}``, ``{# #}``) in a
  value that will name a folder or reach cookiecutter, so that it is refused, never evaluated.

Only the standard library and PyYAML are imported here: the cookiecutter hooks use this module.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from diagnostic_territorial.erreurs import ErreurDiagnostic


class ConfigInvalide(ErreurDiagnostic):
    """A YAML file edited by the consultant is unreadable or holds a wrong value."""


# --- Problems of a file ------------------------------------------------------------------------

NB_ERREURS_MAX = 20  # problems listed for one file (then « … et N autres erreurs »)


@dataclass(frozen=True)
class Probleme:
    """One mistake in a file: its line, where it is (entry and field: « fiche 1 « Accueil », champ
    « porteur » »), and what is wrong, in French."""

    ligne: int | None
    ou: str
    texte: str

    def _phrase(self, *tete: str) -> str:
        debut = ", ".join(p for p in (*tete, f"ligne {self.ligne}" if self.ligne else "", self.ou) if p)
        texte = self.texte if self.texte.endswith((".", "?", "!")) else self.texte + "."
        return f"{debut} : {texte}" if debut else texte

    def __str__(self) -> str:
        """Without the file: « ligne 5, fiche 1 « Accueil », champ « public » : ... »."""
        return self._phrase()

    def dans(self, fichier) -> str:
        """« <file>, ligne 5, fiche 1 « Accueil », champ « public » : ... »."""
        return self._phrase(str(fichier))


def lignes_de(fichier, problemes: list[Probleme]) -> list[str]:
    """One line per problem naming the file (at most NB_ERREURS_MAX, then how many are left)."""
    lignes = [p.dans(fichier) for p in problemes[:NB_ERREURS_MAX]]
    if len(problemes) > NB_ERREURS_MAX:
        lignes.append(f"… et {len(problemes) - NB_ERREURS_MAX} autres erreurs.")
    return lignes


def erreur_de(erreur: type[ErreurDiagnostic], fichier, problemes: list[Probleme]) -> ErreurDiagnostic:
    """The exception `erreur` for the problems of `fichier`: built by its class method
    ``depuis_problemes(fichier, problemes)`` when it has one (a form of its own), else one line per
    problem (under their count when there are several); ``.problemes``: one line each, for
    ``make verifier``."""
    fabrique = getattr(erreur, "depuis_problemes", None)
    if fabrique is not None:
        return fabrique(fichier, problemes)
    lignes = lignes_de(fichier, problemes)
    message = lignes[0] if len(lignes) == 1 else (f"{fichier} : {len(problemes)} problèmes à corriger :\n"
                                                  + "\n".join(f"  - {ligne}" for ligne in lignes))
    exception = erreur(message)
    exception.problemes = lignes
    return exception


def _refus(erreur, fichier, texte: str, ligne: int | None = None, ou: str = "") -> ErreurDiagnostic:
    return erreur_de(erreur, fichier, [Probleme(ligne, ou, texte)])


# --- Template markup in user text --------------------------------------------------------------

MARQUEURS_MODELE = ("{{", "}}", "{%", "%}", "{#", "#}")


def marqueur_modele(valeur) -> str | None:
    """The first template marker found in `valeur` (recursively in lists and mappings), or None."""
    if isinstance(valeur, str):
        return next((m for m in MARQUEURS_MODELE if m in valeur), None)
    if isinstance(valeur, dict):
        valeurs = [*valeur.keys(), *valeur.values()]
    elif isinstance(valeur, (list, tuple)):
        valeurs = list(valeur)
    else:
        return None
    return next((m for m in map(marqueur_modele, valeurs) if m), None)


def message_modele(quoi: str, valeur) -> str | None:
    """The French refusal of a value holding template markup (`quoi`: « Réponse « consultant » »,
    « territoires.yaml, ligne 3, champ « dossier » »...), or None when there is none."""
    marqueur = marqueur_modele(valeur)
    if marqueur is None:
        return None
    return (f"{quoi} : « {extrait(valeur)} » contient « {marqueur} », une balise de modèle : valeur refusée. Ce "
            f"texte est une donnée, jamais évaluée : retirez les signes {' '.join(MARQUEURS_MODELE)}.")


def extrait(valeur, longueur: int = 60) -> str:
    """A value as quoted in a message: one line, cut to `longueur` characters."""
    texte = " ".join(str(valeur).split())
    return texte if len(texte) <= longueur else texte[: longueur - 1] + "…"


# --- The loader --------------------------------------------------------------------------------

_BOOL = "tag:yaml.org,2002:bool"


class _Chargeur(yaml.SafeLoader):
    """SafeLoader where only true/false are booleans; yes/no/on/off stay text (so that `booleen`
    refuses them by name instead of guessing), and a key written twice is an error."""


_Chargeur.yaml_implicit_resolvers = {
    premier: [(tag, motif) for tag, motif in resolveurs if tag != _BOOL]
    for premier, resolveurs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Chargeur.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _CleEnDouble(yaml.constructor.ConstructorError):
    pass


def _construire_mapping(chargeur: _Chargeur, noeud: yaml.MappingNode, deep: bool = False) -> dict:
    vues: dict = {}
    for cle_noeud, _ in noeud.value:
        if cle_noeud.tag == "tag:yaml.org,2002:merge":
            continue
        cle = chargeur.construct_object(cle_noeud, deep=True)
        try:
            if cle in vues:
                raise _CleEnDouble(None, None, f"la clé « {extrait(cle, 40)} » est écrite deux fois dans la même "
                                               f"section (d'abord ligne {vues[cle]}) ; gardez-en une seule",
                                   cle_noeud.start_mark)
        except TypeError:  # unhashable key: the SafeConstructor names it below
            continue
        vues[cle] = cle_noeud.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(chargeur, noeud, deep=deep)


_Chargeur.construct_mapping = _construire_mapping


@dataclass
class DocumentYaml:
    chemin: Path
    donnees: Any
    lignes: dict[tuple, int] = field(default_factory=dict)

    def ligne(self, *cles) -> int | None:
        """Line (1-based) of the key or item at this path; else of its closest known parent."""
        for n in range(len(cles), 0, -1):
            if tuple(cles[:n]) in self.lignes:
                return self.lignes[tuple(cles[:n])]
        return None

    def ou(self, *cles, champ: str | None = None) -> str:
        """« <file>, ligne <n>, champ « a.b » » for a message."""
        return localiser(self.chemin, self.ligne(*cles), champ if champ is not None else nom_champ(cles))


def nom_champ(cles) -> str:
    """("enquete", "seuil") -> "enquete.seuil"; list positions as [n] (1-based: as people count)."""
    texte = ""
    for c in cles:
        texte += f"[{c + 1}]" if isinstance(c, int) and not isinstance(c, bool) else (("." if texte else "") + str(c))
    return texte


def localiser(fichier, ligne: int | None = None, champ: str | None = None) -> str:
    return (f"{fichier}" + (f", ligne {ligne}" if ligne else "")
            + (f", champ « {champ} »" if champ else ""))


def _indexer(chargeur: _Chargeur, noeud, chemin: tuple, lignes: dict, vus: set) -> None:
    """Record the line of every key and item. Each node is walked once: an alias (or a recursive
    structure) does not make the walk grow."""
    if id(noeud) in vus:
        return
    vus.add(id(noeud))
    if isinstance(noeud, yaml.MappingNode):
        for cle_noeud, valeur in noeud.value:
            if not isinstance(cle_noeud, yaml.ScalarNode):
                continue
            try:
                cle = chargeur.construct_object(cle_noeud, deep=True)
                hash(cle)
            except (yaml.YAMLError, TypeError):
                continue
            lignes.setdefault(chemin + (cle,), cle_noeud.start_mark.line + 1)
            _indexer(chargeur, valeur, chemin + (cle,), lignes, vus)
    elif isinstance(noeud, yaml.SequenceNode):
        for i, element in enumerate(noeud.value):
            lignes.setdefault(chemin + (i,), element.start_mark.line + 1)
            _indexer(chargeur, element, chemin + (i,), lignes, vus)


def lire_texte(chemin, erreur: type[ErreurDiagnostic] = ConfigInvalide) -> str:
    """The file as UTF-8 text (BOM removed); a file in another encoding is refused with the line
    of its first byte that is not UTF-8 (and nothing of its content)."""
    chemin = Path(chemin)
    try:
        brut = chemin.read_bytes()
    except FileNotFoundError:
        raise _refus(erreur, chemin, "fichier introuvable.") from None
    except IsADirectoryError:
        raise _refus(erreur, chemin, "c'est un dossier, un fichier est attendu.") from None
    except OSError as e:
        raise _refus(erreur, chemin, f"fichier illisible ({e.strerror or e}).") from None
    try:
        return brut.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        ligne = brut[: e.start].count(b"\n") + 1
        colonne = e.start - (brut.rfind(b"\n", 0, e.start) + 1) + 1
        raise _refus(erreur, chemin, f"le fichier n'est pas encodé en UTF-8 (octet illisible en colonne {colonne}) ; "
                                     "enregistrez-le en UTF-8 (par exemple « Enregistrer sous », encodage UTF-8).",
                     ligne) from None


def lire(chemin, erreur: type[ErreurDiagnostic] = ConfigInvalide, texte: str | None = None) -> DocumentYaml:
    """Read a YAML file into plain Python data and the line of each key (see the module)."""
    chemin = Path(chemin)
    if texte is None:
        texte = lire_texte(chemin, erreur)
    if "\x00" in texte:
        raise _refus(erreur, chemin, "ce n'est pas un fichier texte (caractère nul) ; un fichier YAML est attendu.")
    try:
        chargeur = _Chargeur(texte)
    except yaml.reader.ReaderError as e:
        ligne = texte[: e.position].count("\n") + 1
        raise _refus(erreur, chemin, f"caractère de contrôle interdit dans un fichier YAML (code U+{e.character:04X}) ; "
                                     "retirez-le.", ligne) from None
    try:
        noeud = chargeur.get_single_node()
        donnees = chargeur.construct_document(noeud) if noeud is not None else None
        lignes: dict[tuple, int] = {}
        if noeud is not None:
            _indexer(chargeur, noeud, (), lignes, set())
    except _CleEnDouble as e:
        raise _refus(erreur, chemin, f"{e.problem}.", e.problem_mark.line + 1) from None
    except yaml.YAMLError as e:
        marque = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        probleme = getattr(e, "problem", None) or str(e)
        raise _refus(erreur, chemin, f"syntaxe YAML invalide ({probleme}). Vérifiez l'indentation (des espaces, pas de "
                                     "tabulations), les deux-points et les guillemets.",
                     marque.line + 1 if marque else None, f"colonne {marque.column + 1}" if marque else "") from None
    except RecursionError:
        raise _refus(erreur, chemin, "structure YAML imbriquée trop profondément.") from None
    finally:
        chargeur.dispose()
    return DocumentYaml(chemin, donnees, lignes)


# --- Typed files: read, validate by a pydantic model, name each problem --------------------------


@dataclass(frozen=True)
class Entree:
    """How the items of a collection of a file are named in a message: ``Entree("indicateur")``
    names the item of a mapping by its key (« indicateur « part_0_14 » »), the item of a list by
    the first of its fields `noms` that holds a text (« question « sexe » »), else by its number
    (« composante n° 2 »); with `numero`, by its number and that text (« fiche 1 « Accueil » »)."""

    nom: str
    noms: tuple[str, ...] = ()
    numero: bool = False

    def libelle(self, partie, collection) -> str:
        if not (isinstance(partie, int) and isinstance(collection, list)):
            return f"{self.nom} « {extrait(partie)} »"
        element = collection[partie] if 0 <= partie < len(collection) else None
        valeurs = [element.get(c) for c in self.noms] if isinstance(element, dict) else []
        nom = next((str(v).strip() for v in valeurs if isinstance(v, (str, int)) and not isinstance(v, bool)
                    and str(v).strip()), None)
        if self.numero:
            return f"{self.nom} {partie + 1}" + (f" « {extrait(nom)} »" if nom else "")
        return f"{self.nom} « {extrait(nom)} »" if nom else f"{self.nom} n° {partie + 1}"


# The models raise three kinds of errors of their own: « catalogue » (a rule: unknown unit,
# chapter...), « type_faux » (a value of the wrong type, worded by probleme_texte,
# probleme_entier...), « champ_inconnu » (a field the model does not have, with the closest one).
# A value of the wrong type (theirs or pydantic's) may be worded by the file (`type_faux` of charger).
TYPES_FAUX = ("type_faux", "string_type", "bool_type", "bool_parsing", "float_type", "float_parsing", "int_type",
              "int_parsing", "finite_number", "tuple_type", "list_type", "dict_type", "model_type",
              "model_attributes_type")


def _entree(entrees: dict | None, prefixe: tuple) -> Entree | None:
    for motif, entree in (entrees or {}).items():
        if len(motif) == len(prefixe) and all(m == "*" or m == p for m, p in zip(motif, prefixe)):
            return entree
    return None


def _enfant(noeud, partie):
    if isinstance(noeud, dict):
        return noeud.get(partie)
    if isinstance(noeud, list) and isinstance(partie, int) and 0 <= partie < len(noeud):
        return noeud[partie]
    return None


def _champ(noeud, parties) -> str:
    """The field below an entry as people read it: « constats_lies[1].chapitre » (positions of a
    list from 1, keys of a mapping after a dot, even a number: « codes.1 »)."""
    texte = ""
    for partie in parties:
        if isinstance(partie, int) and not isinstance(partie, bool) and not isinstance(noeud, dict):
            texte += f"[{partie + 1}]"
        else:
            texte += ("." if texte else "") + str(partie)
        noeud = _enfant(noeud, partie)
    return texte


def probleme_de_validation(document: DocumentYaml, erreur: dict, entrees: dict | None = None,
                           type_faux: str = "{}") -> Probleme:
    """A pydantic error (ValidationError.errors()) as a Probleme: the line of the field, the
    entries it is in (`entrees`: path of a collection, « * » for any key or position -> Entree),
    the field, and the problem in French (`type_faux`: the form of a wrong type, e.g.
    « champ mal formé ({}) »). A missing field is named in the problem, at its entry's line."""
    contexte = erreur.get("ctx") or {}
    loc = tuple(erreur["loc"]) + tuple(contexte.get("champ", ()))
    cle_dict = "[key]" in loc  # a key of a mapping is wrong (an identifier)
    loc = tuple(p for p in loc if p != "[key]")
    manquant = erreur["type"] == "missing" and bool(loc)
    lieu = loc[:-1] if manquant else loc
    libelles, debut, noeud = [], 0, document.donnees
    for k, partie in enumerate(lieu):
        entree = _entree(entrees, lieu[:k])
        if entree is not None:
            libelles.append(entree.libelle(partie, noeud))
            debut = k + 1
        noeud = _enfant(noeud, partie)
    noeud_champ = document.donnees
    for partie in lieu[:debut]:
        noeud_champ = _enfant(noeud_champ, partie)
    champ = _champ(noeud_champ, lieu[debut:])
    if cle_dict and not champ:
        champ = "identifiant"
    if manquant:
        texte = f"champ « {loc[-1]} » manquant"
    else:
        texte = texte_de_validation(erreur, champ.rsplit(".", 1)[-1] if champ and not champ.endswith("]") else "")
        if erreur["type"] in TYPES_FAUX:
            texte = type_faux.format(texte)
    ou = ", ".join(libelles + ([f"champ « {champ} »"] if champ else []))
    return Probleme(document.ligne(*loc) if loc else None, ou, texte)


def texte_de_validation(erreur: dict, section: str = "") -> str:
    """What is wrong, in French (pydantic's messages are in English); `section`: the name of the
    field, for a mapping expected there."""
    type_, valeur, contexte = erreur["type"], erreur.get("input"), erreur.get("ctx") or {}
    quoi = genre(valeur)
    if type_ in ("catalogue", "type_faux", "champ_inconnu"):
        return contexte["message"]
    if type_ == "missing":
        return "champ obligatoire absent"
    if type_ == "extra_forbidden":
        return "champ inconnu"
    if type_ == "string_type":
        return f"un texte est attendu, pas {quoi}"
    if type_ in ("bool_type", "bool_parsing"):
        return f"true ou false (oui ou non) est attendu, pas {quoi}"
    if type_ in ("float_type", "float_parsing", "int_type", "int_parsing", "finite_number"):
        return f"un nombre est attendu (exemples : 1, 100, 1000), pas {quoi}"
    if type_ in ("tuple_type", "list_type"):
        return f"une liste est attendue ([a, b], ou une ligne « - a » par élément), pas {quoi}"
    if type_ in ("dict_type", "model_type", "model_attributes_type"):
        if section:
            return f"la section « {section} » doit être une suite de champs « nom: valeur », pas {quoi}"
        return f"une suite de champs « nom: valeur » est attendue, pas {quoi}"
    if type_ == "literal_error":
        attendu = str(contexte.get("expected", "")).replace(" or ", " ou ")
        return f"{quoi} n'est pas permise ; valeurs possibles : {attendu}"
    return str(erreur.get("msg", type_))


_ILLISIBLE = object()


class _ChargeurRapide(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The rules of `_Chargeur` (only true/false are booleans, a key written twice is an error) on
    libyaml's parser, without the lines: a large data file is read in a few milliseconds. Any
    problem is left to `lire`, which names the line."""

    yaml_implicit_resolvers = _Chargeur.yaml_implicit_resolvers
    construct_mapping = _construire_mapping


def _lecture_rapide(texte: str):
    if "\x00" in texte:
        return _ILLISIBLE
    chargeur = _ChargeurRapide(texte)
    try:
        return chargeur.get_single_data()
    except (yaml.YAMLError, RecursionError):
        return _ILLISIBLE
    finally:
        chargeur.dispose()


def charger(chemin, modele, erreur: type[ErreurDiagnostic] = ConfigInvalide, *, contexte: dict | None = None,
            entrees: dict | None = None, type_faux: str = "{}", vide_permis: bool = False,
            document: DocumentYaml | None = None, rapide: bool = False):
    """THE loader of a typed file: `chemin` read as `lire` does (UTF-8, a key written twice
    refused, only true/false are booleans) and validated by the pydantic `modele` (with
    `contexte`: what the model checks against the rest of the library). Returns the validated
    model; raises `erreur` (see erreur_de) with one Probleme per mistake: file, line, entry
    (`entrees`, see probleme_de_validation), field, French text.

    `vide_permis`: an empty file is an empty mapping (else refused); `document`: the file already
    read by `lire`; `rapide`: a first reading without the lines (large data files), read again
    with them only when there is a mistake to name. pydantic is imported here, at the first typed
    file read: the cookiecutter hooks, which use this module, never pay for it."""
    from pydantic import ValidationError

    chemin = Path(chemin)
    texte, donnees = None, _ILLISIBLE
    if document is None and rapide:
        texte = lire_texte(chemin, erreur)
        donnees = _lecture_rapide(texte)
    if donnees is _ILLISIBLE:
        if document is None:
            document = lire(chemin, erreur, texte=texte)
        donnees = document.donnees
    if donnees is None and vide_permis:
        donnees = {}
    if not isinstance(donnees, dict):
        raise _refus(erreur, chemin, f"une section de champs « nom: valeur » est attendue en tête du fichier "
                                     f"({', '.join(modele.model_fields)}), pas {genre(donnees)}.")
    try:
        return modele.model_validate(donnees, context=contexte)
    except ValidationError as e:
        if document is None:
            document = lire(chemin, erreur, texte=texte)
        problemes = [probleme_de_validation(document, x, entrees, type_faux) for x in e.errors(include_url=False)]
        problemes = sorted(dict.fromkeys(problemes), key=lambda p: p.ligne or 0)  # in the order of the file
        raise erreur_de(erreur, chemin, problemes) from None


# --- Typed values ------------------------------------------------------------------------------
# probleme_*: what is wrong with a value (a French phrase), or None: the one wording of each type,
# used by the models of the study's files (etude_modeles.py); `booleen` and `texte` return the
# value and raise `erreur` naming the file, the line and the field (switches, multi's territories).

VRAI = ("true", "oui", "vrai")
FAUX = ("false", "non", "faux")


def probleme_booleen(valeur) -> str | None:
    if isinstance(valeur, bool) or (isinstance(valeur, str) and valeur.strip().lower() in VRAI + FAUX):
        return None
    return (f"« {extrait(valeur)} » n'est pas une valeur oui/non reconnue ; écrivez true ou false (ou oui / non, "
            "vrai / faux)")


def booleen(valeur, fichier, ligne: int | None, champ: str, erreur: type[ErreurDiagnostic] = ConfigInvalide) -> bool:
    """A switch: true/false, oui/non, vrai/faux (any case); anything else is refused, naming the
    file, the line and the field (never guessed: « non » must never mean yes)."""
    probleme = probleme_booleen(valeur)
    if probleme:
        raise erreur(f"{localiser(fichier, ligne, champ)} : {probleme}.")
    return valeur if isinstance(valeur, bool) else valeur.strip().lower() in VRAI


def probleme_entier(valeur, minimum: int | None = None) -> str | None:
    if isinstance(valeur, bool) or not isinstance(valeur, int):
        return (f"« {extrait(valeur)} » n'est pas un nombre entier"
                + (f" (attendu : un entier supérieur ou égal à {minimum})" if minimum is not None else ""))
    if minimum is not None and valeur < minimum:
        return f"{valeur} est trop petit (attendu : un entier supérieur ou égal à {minimum})"
    return None


def probleme_nombre(valeur) -> str | None:
    if isinstance(valeur, bool) or not isinstance(valeur, (int, float)) or valeur != valeur:
        return f"« {extrait(valeur)} » n'est pas un nombre (exemples : 1, -1, 0.5)"
    return None


def probleme_texte(valeur) -> str | None:
    """A text field also takes a number or a date (``date: 2026-09-01``), read as their text."""
    if valeur is None or isinstance(valeur, (str, datetime.date)) or (
            isinstance(valeur, (int, float)) and not isinstance(valeur, bool)):
        return None
    return f"un texte est attendu, pas {genre(valeur)}"


def texte(valeur, fichier, ligne: int | None, champ: str, defaut: str = "",
          erreur: type[ErreurDiagnostic] = ConfigInvalide) -> str:
    """A text field: text (a number is read as its text); empty -> `defaut`; a list, a mapping or
    true/false is refused."""
    probleme = probleme_texte(valeur)
    if probleme:
        raise erreur(f"{localiser(fichier, ligne, champ)} : {probleme}.")
    return defaut if valeur is None else str(valeur)


def genre(valeur) -> str:
    """What a value is, in words, for a message."""
    if isinstance(valeur, dict):
        return "une section (champs « nom: valeur »)"
    if isinstance(valeur, list):
        return "une liste"
    if valeur is None:
        return "une valeur vide"
    return f"la valeur « {extrait(valeur)} »"


# --- Switches of etude.yaml --------------------------------------------------------------------

def interrupteur(etude, section: str, cle: str, defaut: bool) -> bool:
    """The switch ``<section>: {<cle>: ...}`` of the study's etude.yaml (e.g. ``interrupteur(etude,
    "enquete", "publier_verbatims", False)``): `defaut` when absent or empty; true/false, oui/non,
    vrai/faux otherwise; any other value raises EtudeInvalide naming etude.yaml, the line and the
    field. `etude` is an etude.Etude (its ``brut`` data and, when read from a file, its lines)."""
    from diagnostic_territorial.erreurs import EtudeInvalide

    brut = getattr(etude, "brut", None) or {}
    config = brut.get(section) if isinstance(brut, dict) else None
    chemin = getattr(etude, "chemin", "etude.yaml")
    document = getattr(etude, "document", None)
    ligne = document.ligne(section, cle) if document is not None else None
    if config is None:
        return defaut
    if not isinstance(config, dict):
        raise EtudeInvalide(f"{localiser(chemin, ligne, section)} : une section de champs « nom: valeur » est "
                            f"attendue, pas {genre(config)}.")
    valeur = config.get(cle)
    if valeur is None:
        return defaut
    return booleen(valeur, chemin, ligne, f"{section}.{cle}", erreur=EtudeInvalide)


# --- make verifier -----------------------------------------------------------------------------

def verifier_etude(racine) -> tuple[list[str], list[str]]:
    """Check every file the consultant edits, without running anything heavy: etude.yaml,
    observation_ciblee.yaml (its variables against the cache when it is there; missing data is not
    a mistake), plan_action.yaml, enquete/questionnaire.yaml (and the export's values when the
    export is there), analyses/*.md and qualitatif/*.md (readable UTF-8). Returns (problems, files
    checked): one French message per problem, with the file, the line and the field."""
    from diagnostic_territorial.erreurs import ErreurDiagnostic as Erreur

    racine = Path(racine).resolve()
    problemes: list[str] = []
    verifies: list[str] = []

    def relatif(message: str) -> str:
        return message.replace(f"{racine}/", "")

    def noter(chemin: Path) -> None:
        verifies.append(chemin.relative_to(racine).as_posix())

    etude = None
    chemin = racine / "etude.yaml"
    noter(chemin)
    try:  # every section, the survey's settings included (etude_modeles.FichierEtude)
        from diagnostic_territorial.configuration.etude import Etude

        etude = Etude.charger(chemin)
    except Erreur as e:
        problemes += _une_ligne_par_probleme(e)

    from diagnostic_territorial.indicateurs import observation

    chemin = racine / "observation_ciblee.yaml"
    if chemin.exists():
        noter(chemin)
        if etude is not None:
            problemes += observation.problemes(etude, chemin)
        else:
            try:
                observation.lire(chemin)
            except Erreur as e:
                problemes += _une_ligne_par_probleme(e)

    from diagnostic_territorial.livrables import plan_action

    chemin = racine / plan_action.NOM_FICHIER
    noter(chemin)
    try:
        plan_action.charger(chemin)
    except plan_action.PlanActionInvalide as e:
        problemes += [f"{chemin}, {p}" if p.startswith("ligne") else f"{chemin} : {p}" for p in e.problemes]
    except Erreur as e:
        problemes.append(str(e))

    from diagnostic_territorial.enquete.questionnaire import charger_questionnaire, importer

    chemin = racine / "enquete" / "questionnaire.yaml"
    if chemin.exists():
        noter(chemin)
        try:
            questionnaire = charger_questionnaire(chemin)
            export = questionnaire.chemin_export
            if (etude is not None and questionnaire.fichier and export.is_file()
                    and export.resolve().is_relative_to(racine)):
                noter(export)
                importer(questionnaire, etude.communes)
        except Erreur as e:
            problemes += _une_ligne_par_probleme(e)

    textes = [p for dossier in ("analyses", "qualitatif") for p in sorted((racine / dossier).glob("*.md"))]
    textes += [p for p in [racine / "enquete" / "noms_a_masquer.txt"] if p.exists()]
    for chemin in textes:
        try:
            lire_texte(chemin)
        except ConfigInvalide as e:
            problemes.append(str(e))
    if textes:
        verifies.append(f"{len(textes)} textes du consultant (analyses/, qualitatif/)")
    return [relatif(p) for p in dict.fromkeys(problemes)], verifies


def _une_ligne_par_probleme(erreur: ErreurDiagnostic) -> list[str]:
    """The lines of an error of a typed file (erreur_de), else its message."""
    return list(getattr(erreur, "problemes", None) or [str(erreur)])
