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


def _modalites(chemin: Path, cle: str, codes, ou: str | None = None) -> list[Modalite]:
    ou = ou or f"{chemin}, question « {cle} »"
    if codes is None:
        return []
    if isinstance(codes, list):  # a plain list of labels: each label is its own code
        if any(isinstance(c, (list, dict)) or c is None for c in codes):
            raise QuestionnaireInvalide(f"{ou} : « codes » doit être une liste de libellés ou de correspondances "
                                        "« code: libellé ».")
        codes = {str(c): str(c) for c in codes}
    if not isinstance(codes, dict):
        raise QuestionnaireInvalide(f"{ou} : « codes » doit être une liste de correspondances "
                                    "« code: libellé ».")
    sortie = []
    for code, valeur in codes.items():
        if isinstance(valeur, dict):
            libelle = valeur.get("libelle", code)
            rp = valeur.get("rp") or ()
            if isinstance(rp, str):
                rp = (rp,)
            elif not isinstance(rp, list) or any(isinstance(v, (list, dict)) for v in rp):
                raise QuestionnaireInvalide(f"{ou}, code « {code} » : « rp » doit être une variable du recensement "
                                            "ou une liste de variables.")
            rp = tuple(str(v) for v in rp)
        elif isinstance(valeur, list):
            raise QuestionnaireInvalide(f"{ou}, code « {code} » : un libellé est attendu, pas une liste.")
        else:
            libelle, rp = valeur, ()
        if isinstance(libelle, (list, dict)) or libelle is None:
            raise QuestionnaireInvalide(f"{ou}, code « {code} » : un libellé (texte) est attendu.")
        sortie.append(Modalite(_code_texte(code), str(libelle), rp))
    return sortie


CHAMPS_TEXTE_QUESTION = ("libelle", "colonne", "colonnes", "separateur", "theme")
CHAMPS_TEXTE_ENQUETE = ("titre", "date", "fichier", "feuille")


def charger_questionnaire(chemin) -> Questionnaire:
    """Read enquete/questionnaire.yaml (see the commented file shipped in each study); every
    mistake is named with the file, the line and the field."""
    from diagnostic_territorial.configuration import chargement as config_yaml

    chemin = Path(chemin)
    if not chemin.is_file():
        raise QuestionnaireInvalide(f"Fichier de correspondance introuvable : {chemin}.")
    doc = config_yaml.lire(chemin, erreur=QuestionnaireInvalide)
    data = doc.donnees if doc.donnees is not None else {}
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionnaireInvalide(f"{doc.ou('questions', champ='')} : la liste « questions » est absente.")
    entete = data.get("enquete") or {}
    if not isinstance(entete, dict):
        raise QuestionnaireInvalide(f"{doc.ou('enquete')} : la section « enquete » doit être une suite de champs "
                                    f"« nom: valeur » (titre, date, fichier, simule), pas {config_yaml.genre(entete)}.")
    for champ in CHAMPS_TEXTE_ENQUETE:
        config_yaml.texte(entete.get(champ), chemin, doc.ligne("enquete", champ), f"enquete.{champ}",
                          erreur=QuestionnaireInvalide)
    simule = False
    if entete.get("simule") is not None:
        simule = config_yaml.booleen(entete["simule"], chemin, doc.ligne("enquete", "simule"), "enquete.simule",
                                     erreur=QuestionnaireInvalide)
    questions, vues = [], set()
    for i, q in enumerate(data["questions"], start=1):
        ligne = doc.ligne("questions", i - 1)
        if not isinstance(q, dict) or not q.get("cle"):
            raise QuestionnaireInvalide(f"{config_yaml.localiser(chemin, ligne)} : la question n° {i} n'a pas de "
                                        "« cle ».")
        if config_yaml.probleme_texte(q["cle"]):
            raise QuestionnaireInvalide(f"{doc.ou('questions', i - 1, 'cle', champ='cle')} : la clé d'une question "
                                        "est un nom court, sans espace.")
        cle = str(q["cle"])
        ou = f"{config_yaml.localiser(chemin, ligne)}, question « {cle} »"
        if cle in vues:
            raise QuestionnaireInvalide(f"{ou} : la clé de question « {cle} » est en double.")
        vues.add(cle)
        type_ = str(q.get("type", ""))
        if type_ not in TYPES:
            raise QuestionnaireInvalide(f"{ou} : type « {type_} » inconnu "
                                        f"(types possibles : {', '.join(TYPES)}).")
        for champ in CHAMPS_TEXTE_QUESTION:
            probleme = config_yaml.probleme_texte(q.get(champ))
            if probleme:
                l_champ = doc.ligne("questions", i - 1, champ)
                raise QuestionnaireInvalide(f"{config_yaml.localiser(chemin, l_champ)}, question « {cle} », champ "
                                            f"« {champ} » : {probleme}.")
        if not q.get("colonne") and not q.get("colonnes"):
            raise QuestionnaireInvalide(f"{ou} : indiquez sa « colonne » dans l'export.")
        l_codes = doc.ligne("questions", i - 1, "codes") or ligne
        modalites = _modalites(chemin, cle, q.get("codes"), ou=f"{config_yaml.localiser(chemin, l_codes)}, question « {cle} »")
        if type_ in ("unique", "multiple", "echelle", "tranche_age", "sexe") and not modalites:
            raise QuestionnaireInvalide(f"{ou} : les « codes » des réponses manquent.")
        croiser = q.get("croiser") or []
        if isinstance(croiser, str):
            croiser = (croiser,)
        elif not isinstance(croiser, list) or any(not isinstance(c, str) for c in croiser):
            l_champ = doc.ligne("questions", i - 1, "croiser")
            raise QuestionnaireInvalide(f"{config_yaml.localiser(chemin, l_champ)}, question « {cle} », champ "
                                        "« croiser » : une liste de croisements est attendue (sexe, tranche_age, "
                                        "commune).")
        questions.append(Question(
            cle=cle, type=type_, libelle=str(q.get("libelle") or cle),
            colonne=str(q["colonne"]) if q.get("colonne") is not None else None,
            colonnes=str(q["colonnes"]) if q.get("colonnes") else None,
            separateur=str(q["separateur"]) if q.get("separateur") is not None else None,
            theme=str(q["theme"]) if q.get("theme") is not None else None, modalites=modalites,
            croiser=tuple(croiser),
        ))
    return Questionnaire(
        chemin=chemin, fichier=str(entete.get("fichier") or ""),
        titre=str(entete.get("titre") or "Enquête auprès des habitants"),
        date=str(entete.get("date") or ""), simule=simule, questions=questions, feuille=entete.get("feuille"),
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
