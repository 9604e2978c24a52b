"""The mapping file (enquete/questionnaire.yaml) and the import of questionnaire exports.

An export is read as the consultant gets it (LimeSurvey, KoboToolbox, Framaforms, Google Forms,
paper questionnaires keyed into a spreadsheet: CSV in any usual encoding and separator, or XLSX)
and turned into one row per respondent:

- ``unique``, ``echelle``, ``tranche_age``, ``sexe``: the answer's label (ordered categorical,
  in the order of the codes of the mapping); missing when not answered;
- ``commune``: the INSEE code of the commune of residence (or ``hors territoire``);
- ``multiple``: one boolean column ``<cle>[<code>]`` per option, and ``<cle>`` itself True when
  the respondent ticked at least one option (the respondents of the question);
- ``texte_libre``: the text as typed.

Every value not foreseen by the mapping stops the import with an error naming the file, the
column, the line and the value.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.erreurs import ErreurDiagnostic, FormatInconnu

TYPES = ("unique", "multiple", "echelle", "texte_libre", "commune", "tranche_age", "sexe")
HORS_TERRITOIRE = "hors territoire"
# Values read as "no answer" in every export (LimeSurvey "N/A", Kobo "", paper "-"...).
NON_REPONSES = ("", "n/a", "na", "nan", "none", "-", "--", "sans réponse", "sans reponse", "nr")
# Values read as "ticked" in split multiple-choice columns (LimeSurvey "Y", Kobo "1", paper "x").
COCHE = ("y", "yes", "oui", "o", "1", "1.0", "x", "true", "vrai")
NON_COCHE = ("n", "no", "non", "0", "0.0", "false", "faux")


class QuestionnaireInvalide(ErreurDiagnostic):
    """enquete/questionnaire.yaml is missing, unreadable or inconsistent."""


def _norm(texte) -> str:
    """Lower-case, accents and repeated spaces removed: "  Très  satisfait " -> "tres satisfait"."""
    t = unicodedata.normalize("NFKD", str(texte)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", t).strip().lower()


def _code_texte(v) -> str:
    """Excel gives 1.0 for a cell typed 1: codes are compared as text, without ".0"."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


@dataclass
class Modalite:
    code: str
    libelle: str
    rp: tuple[str, ...] = ()  # RP variables of the matching population (tranche_age, sexe)


@dataclass
class Question:
    cle: str
    type: str
    libelle: str
    colonne: str | None = None
    colonnes: str | None = None  # split multiple choice: pattern with {code}, e.g. "Q2[{code}]"
    separateur: str | None = None  # joined multiple choice: " ", ", ", ";"...
    theme: str | None = None
    modalites: list[Modalite] = field(default_factory=list)
    croiser: tuple[str, ...] = ()  # crossings shown in the chapter: sexe, tranche_age, commune

    @property
    def libelles(self) -> list[str]:
        return [m.libelle for m in self.modalites]

    def colonnes_options(self) -> dict[str, str]:
        return {f"{self.cle}[{m.code}]": m.libelle for m in self.modalites}


@dataclass
class Questionnaire:
    chemin: Path
    fichier: str
    titre: str
    date: str
    simule: bool
    questions: list[Question]
    feuille: str | int | None = None

    def question(self, cle: str) -> Question:
        for q in self.questions:
            if q.cle == cle:
                return q
        raise KeyError(f"Question inconnue dans {self.chemin} : « {cle} ».")

    def par_type(self, type_: str) -> Question | None:
        return next((q for q in self.questions if q.type == type_), None)

    @property
    def chemin_export(self) -> Path:
        p = Path(self.fichier)
        return p if p.is_absolute() else self.chemin.parent / p


# Types of questions whose answers are declared in « codes ».
AVEC_CODES = ("unique", "multiple", "echelle", "tranche_age", "sexe")


def charger_questionnaire(chemin) -> Questionnaire:
    """Read enquete/questionnaire.yaml (see the commented file shipped in each study), validated by
    its model (configuration/etude_modeles.FichierQuestionnaire): every mistake is named with the
    file, the line, the question and the field."""
    from diagnostic_territorial.configuration import chargement as config_yaml
    from diagnostic_territorial.configuration.etude_modeles import ENTREES_QUESTIONNAIRE, FichierQuestionnaire
    from diagnostic_territorial.enquete.tabulation import CROISEMENTS

    chemin = Path(chemin)
    if not chemin.is_file():
        raise QuestionnaireInvalide(f"Fichier de correspondance introuvable : {chemin}.")
    fichier = config_yaml.charger(chemin, FichierQuestionnaire, QuestionnaireInvalide, entrees=ENTREES_QUESTIONNAIRE,
                                  contexte={"types": TYPES, "avec_codes": AVEC_CODES, "croisements": tuple(CROISEMENTS)},
                                  vide_permis=True)
    questions = [Question(
        cle=q.cle, type=q.type, libelle=q.libelle or q.cle, colonne=q.colonne, colonnes=q.colonnes or None,
        separateur=q.separateur, theme=q.theme, croiser=q.croiser,
        modalites=[Modalite(_code_texte(code), m.libelle if m.libelle is not None else str(code), m.rp)
                   for code, m in q.codes.items()],
    ) for q in fichier.questions]
    entete = fichier.enquete
    return Questionnaire(
        chemin=chemin, fichier=entete.fichier if entete else "",
        titre=(entete.titre if entete else "") or "Enquête auprès des habitants",
        date=entete.date if entete else "", simule=bool(entete and entete.simule), questions=questions,
        feuille=entete.feuille if entete else None,
    )


# --- Reading the export ------------------------------------------------------------------------

ENCODAGES = ("utf-8-sig", "cp1252", "latin-1")


def _decoder(chemin: Path) -> str:
    brut = chemin.read_bytes()
    try:
        return brut.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        position = e.start
    # Excel "CSV (séparateur : point-virgule)" on Windows writes cp1252.
    try:
        texte = brut.decode("cp1252")
    except UnicodeDecodeError:
        ligne = brut[:position].count(b"\n") + 1
        raise FormatInconnu(chemin, f"encodage illisible (ni UTF-8 ni Windows-1252), ligne {ligne}, octet "
                                    f"{position} : réenregistrez le fichier en « CSV UTF-8 ».") from None
    if any(c in texte for c in "\x81\x8d\x8f\x90\x9d"):
        raise FormatInconnu(chemin, "encodage illisible : réenregistrez le fichier en « CSV UTF-8 ».")
    return texte


def lire_tableau(chemin, feuille=None) -> pd.DataFrame:
    """The raw export as text cells (CSV with any usual separator and encoding, or XLSX)."""
    chemin = Path(chemin)
    if not chemin.is_file():
        raise FormatInconnu(chemin, "fichier introuvable.")
    if chemin.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            df = pd.read_excel(chemin, sheet_name=feuille if feuille is not None else 0, dtype=object)
        except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds
            raise FormatInconnu(chemin, f"classeur illisible ({e}).") from None
        return df.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else _code_texte(v))
    texte = _decoder(chemin)
    premiere = texte.split("\n", 1)[0]
    separateur = max([",", ";", "\t", "|"], key=premiere.count)
    try:
        df = pd.read_csv(io.StringIO(texte), sep=separateur, dtype=str, keep_default_na=False,
                         quoting=csv.QUOTE_MINIMAL, engine="python")
    except (pd.errors.ParserError, csv.Error) as e:
        raise FormatInconnu(chemin, f"CSV mal formé ({e}).") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _colonne(df: pd.DataFrame, chemin: Path, nom: str, cle: str) -> pd.Series:
    if nom in df.columns:
        return df[nom]
    normes = {_norm(c): c for c in df.columns}
    if _norm(nom) in normes:
        return df[normes[_norm(nom)]]
    proches = [c for c in df.columns if _norm(nom)[:12] in _norm(c)][:3]
    aide = f" Colonnes proches : {', '.join(proches)}." if proches else ""
    raise FormatInconnu(chemin, f"colonne « {nom} » (question « {cle} » de questionnaire.yaml) absente de "
                                f"l'export.{aide}")


def _ligne(i: int, chemin: Path) -> int:
    """Line number as the consultant sees it in the file (header on line 1)."""
    return i + 2


def _erreur_valeur(chemin: Path, colonne: str, i: int, valeur, q: Question) -> FormatInconnu:
    attendus = ", ".join(f"{m.code} ({m.libelle})" if m.code != m.libelle else m.code for m in q.modalites[:12])
    return FormatInconnu(chemin, f"colonne « {colonne} », ligne {_ligne(i, chemin)} : valeur « {valeur} » non "
                                 f"prévue pour la question « {q.cle} » (valeurs prévues : {attendus}). "
                                 "Ajoutez-la aux « codes » de enquete/questionnaire.yaml.")


def _table_codes(q: Question) -> dict[str, str]:
    table = {}
    for m in q.modalites:
        table[_norm(m.libelle)] = m.libelle
    for m in q.modalites:  # codes win over labels when they collide
        table[_norm(m.code)] = m.libelle
    return table


def _unique(serie: pd.Series, chemin: Path, q: Question) -> pd.Categorical:
    table = _table_codes(q)
    valeurs = []
    for i, v in enumerate(serie):
        t = _norm(_code_texte(v))
        if t in NON_REPONSES:
            valeurs.append(None)
        elif t in table:
            valeurs.append(table[t])
        else:
            raise _erreur_valeur(chemin, str(serie.name), i, v, q)
    return pd.Categorical(valeurs, categories=q.libelles, ordered=True)


def _communes(serie: pd.Series, chemin: Path, q: Question, communes: pd.DataFrame | None) -> list:
    table = {_norm(m.code): m.libelle for m in q.modalites}
    table.update({_norm(m.libelle): m.libelle for m in q.modalites if m.libelle == HORS_TERRITOIRE})
    if communes is not None:
        for code, nom in zip(communes["code"], communes["nom"]):
            table.setdefault(_norm(code), code)
            table.setdefault(_norm(nom), code)
            table.setdefault(_norm(str(nom).replace("-", " ")), code)
    # codes of the mapping may point to a commune code or name
    for cle, valeur in list(table.items()):
        if _norm(valeur) in table and table[_norm(valeur)] != valeur:
            table[cle] = table[_norm(valeur)]
    valeurs = []
    for i, v in enumerate(serie):
        t = _norm(_code_texte(v))
        if t in NON_REPONSES:
            valeurs.append(None)
        elif t in table or t.replace("-", " ") in table:
            valeurs.append(table.get(t, table.get(t.replace("-", " "))))
        else:
            raise FormatInconnu(chemin, f"colonne « {serie.name} », ligne {_ligne(i, chemin)} : commune « {v} » "
                                        "inconnue (ni code INSEE ni nom d'une commune de l'étude). Ajoutez-la aux "
                                        f"« codes » de la question « {q.cle} » (code INSEE ou « {HORS_TERRITOIRE} »).")
    return valeurs


def _coche(v, colonne: str, i: int, chemin: Path, q: Question) -> bool:
    t = _norm(_code_texte(v))
    if t in NON_REPONSES or t in NON_COCHE:
        return False
    if t in COCHE:
        return True
    raise FormatInconnu(chemin, f"colonne « {colonne} », ligne {_ligne(i, chemin)} : valeur « {v} » ni cochée "
                                f"({', '.join(COCHE[:5])}...) ni vide pour la question « {q.cle} ».")


def _multiple_joint(serie: pd.Series, chemin: Path, q: Question) -> dict[str, list[bool]]:
    """One column with the ticked options joined: match the known labels and codes, longest first,
    so that a label holding the separator (", " in Google Forms) is still recognised."""
    connus = sorted(_table_codes(q).items(), key=lambda kv: -len(kv[0]))
    separateurs = [q.separateur] if q.separateur else [";", ",", "|", " "]
    sortie = {m.libelle: [] for m in q.modalites}
    for i, v in enumerate(serie):
        reste = " " + _norm(_code_texte(v)) + " "
        trouves = set()
        for texte, libelle in connus:
            motif = r"(^|[;,|\s])" + re.escape(texte) + r"(?=$|[;,|\s])"
            if texte and re.search(motif, reste.strip()):
                trouves.add(libelle)
                reste = " " + re.sub(motif, " ", reste.strip()) + " "
        residu = reste
        for s in separateurs + [";", ",", "|"]:
            residu = residu.replace(s.strip() or " ", " ")
        if residu.strip() and _norm(residu) not in NON_REPONSES:
            raise _erreur_valeur(chemin, str(serie.name), i, residu.strip(), q)
        for libelle in sortie:
            sortie[libelle].append(libelle in trouves)
    return sortie


def importer(questionnaire: Questionnaire, communes: pd.DataFrame | None = None,
             chemin_export=None) -> pd.DataFrame:
    """The export as one row per respondent, typed by the mapping (see the module docstring)."""
    chemin = Path(chemin_export) if chemin_export else questionnaire.chemin_export
    brut = lire_tableau(chemin, questionnaire.feuille)
    sortie = pd.DataFrame(index=range(len(brut)))
    for q in questionnaire.questions:
        if q.type == "multiple":
            if q.colonnes:
                options = {}
                for m in q.modalites:
                    nom = q.colonnes.replace("{code}", m.code)
                    col = _colonne(brut, chemin, nom, q.cle)
                    options[m.libelle] = [_coche(v, nom, i, chemin, q) for i, v in enumerate(col)]
            else:
                options = _multiple_joint(_colonne(brut, chemin, q.colonne, q.cle), chemin, q)
            for m in q.modalites:
                sortie[f"{q.cle}[{m.code}]"] = np.array(options[m.libelle], dtype=bool)
            sortie[q.cle] = np.any([options[m.libelle] for m in q.modalites], axis=0) if q.modalites else False
            continue
        col = _colonne(brut, chemin, q.colonne, q.cle)
        if q.type == "texte_libre":
            sortie[q.cle] = [None if _norm(v) in NON_REPONSES else str(v).strip() for v in col]
        elif q.type == "commune":
            sortie[q.cle] = pd.Series(_communes(col, chemin, q, communes), dtype=object)
        else:
            sortie[q.cle] = _unique(col, chemin, q)
    return sortie
