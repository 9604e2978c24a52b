"""One YAML loader for the files the consultant edits (etude.yaml, observation_ciblee.yaml,
enquete/questionnaire.yaml, a territories file for ``multi``), and ``make verifier``.

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
        raise erreur(f"{chemin} : fichier introuvable.") from None
    except IsADirectoryError:
        raise erreur(f"{chemin} : c'est un dossier, un fichier est attendu.") from None
    except OSError as e:
        raise erreur(f"{chemin} : fichier illisible ({e.strerror or e}).") from None
    try:
        return brut.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        ligne = brut[: e.start].count(b"\n") + 1
        colonne = e.start - (brut.rfind(b"\n", 0, e.start) + 1) + 1
        raise erreur(f"{chemin}, ligne {ligne} : le fichier n'est pas encodé en UTF-8 (octet illisible en colonne "
                     f"{colonne}) ; enregistrez-le en UTF-8 (par exemple « Enregistrer sous », encodage "
                     "UTF-8).") from None


def lire(chemin, erreur: type[ErreurDiagnostic] = ConfigInvalide, texte: str | None = None) -> DocumentYaml:
    """Read a YAML file into plain Python data and the line of each key (see the module)."""
    chemin = Path(chemin)
    if texte is None:
        texte = lire_texte(chemin, erreur)
    if "\x00" in texte:
        raise erreur(f"{chemin} : ce n'est pas un fichier texte (caractère nul) ; un fichier YAML est attendu.")
    try:
        chargeur = _Chargeur(texte)
    except yaml.reader.ReaderError as e:
        ligne = texte[: e.position].count("\n") + 1
        raise erreur(f"{chemin}, ligne {ligne} : caractère de contrôle interdit dans un fichier YAML (code "
                     f"U+{e.character:04X}) ; retirez-le.") from None
    try:
        noeud = chargeur.get_single_node()
        donnees = chargeur.construct_document(noeud) if noeud is not None else None
        lignes: dict[tuple, int] = {}
        if noeud is not None:
            _indexer(chargeur, noeud, (), lignes, set())
    except _CleEnDouble as e:
        raise erreur(f"{chemin}, ligne {e.problem_mark.line + 1} : {e.problem}.") from None
    except yaml.YAMLError as e:
        marque = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        ou = f", ligne {marque.line + 1}, colonne {marque.column + 1}" if marque else ""
        probleme = getattr(e, "problem", None) or str(e)
        raise erreur(f"{chemin}{ou} : syntaxe YAML invalide ({probleme}). Vérifiez l'indentation (des espaces, "
                     "pas de tabulations), les deux-points et les guillemets.") from None
    except RecursionError:
        raise erreur(f"{chemin} : structure YAML imbriquée trop profondément.") from None
    finally:
        chargeur.dispose()
    return DocumentYaml(chemin, donnees, lignes)


# --- Typed values ------------------------------------------------------------------------------
# probleme_*: what is wrong with a value (a French phrase), or None; the functions without the
# prefix return the value and raise `erreur` naming the file, the line and the field.

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


def entier(valeur, fichier, ligne: int | None, champ: str, minimum: int | None = None,
           erreur: type[ErreurDiagnostic] = ConfigInvalide) -> int:
    """A whole number (written 3, not "3" nor 3.5), at least `minimum`."""
    probleme = probleme_entier(valeur, minimum)
    if probleme:
        raise erreur(f"{localiser(fichier, ligne, champ)} : {probleme}.")
    return valeur


def probleme_nombre(valeur) -> str | None:
    if isinstance(valeur, bool) or not isinstance(valeur, (int, float)) or valeur != valeur:
        return f"« {extrait(valeur)} » n'est pas un nombre (exemples : 1, -1, 0.5)"
    return None


def nombre(valeur, fichier, ligne: int | None, champ: str, erreur: type[ErreurDiagnostic] = ConfigInvalide) -> float:
    """A number (1, -1, 0.5); text, a list or a yes/no value is refused."""
    probleme = probleme_nombre(valeur)
    if probleme:
        raise erreur(f"{localiser(fichier, ligne, champ)} : {probleme}.")
    return float(valeur)


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
    try:
        from diagnostic_territorial.configuration.etude import Etude, problemes_etude

        doc = lire(chemin, erreur=_erreur_etude())
        trouves = problemes_etude(doc) if isinstance(doc.donnees, dict) else []
        problemes += trouves
        if not trouves:
            etude = Etude.charger(chemin)
    except Erreur as e:
        problemes.append(str(e))
    if etude is not None:
        try:  # the survey's settings (switches, seuil of at least 5, names to mask)
            from diagnostic_territorial.enquete.protection import verifier_configuration

            verifier_configuration(etude)
        except Erreur as e:
            problemes.append(str(e))

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
                problemes.append(str(e))

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
            problemes.append(str(e))

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


def _erreur_etude():
    from diagnostic_territorial.erreurs import EtudeInvalide

    return EtudeInvalide
