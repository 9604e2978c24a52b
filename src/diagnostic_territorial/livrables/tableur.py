"""The report's tables as data (issue 17): ``livrables/donnees.xlsx`` and ``livrables/donnees/``.

Each table of the report, in the report's order (chapters numbered as in the report, failed or
absent chapters left out as they are from the report, cells tagged to stay out of the report too),
is read from the executed notebooks (``build/notebooks/*.ipynb``) through the data contract of
``rendu.presentation`` (:func:`presentation.tableau_d_une_sortie`): never from the rendered HTML.

- ``donnees.xlsx`` (openpyxl): a « Sommaire » sheet (every table, with a link to its sheet, its
  chapter, unit, source and millésime), then one sheet per table, named « 2.3 Titre… » (at most 31
  characters, unique). A sheet starts with the table's title, its chapter, unit, source line and
  millésime (rows 1 to 5), then the table itself from row :data:`LIGNE_ENTETE`: headers as in the
  report, numbers stored as numbers with a display format that shows them as the report does
  (thousands separator, « % » — a share stored as a ratio uses Excel's percent format —, « € »,
  « pt », their decimals), « s » and « n.d. » kept as text where the report prints them.
- ``donnees/`` : the same tables as CSV files (``;``, UTF-8 with BOM so that Excel reads the
  accents, decimal comma, no thousands separator; a share is written in percent, as the report
  shows it) and ``index.csv``, which gives the title, chapter, unit, source and millésime of each.

Text copied from the study's files (commune names, survey answers) is data: in the workbook it is
always a string cell, never a formula; in a CSV a text beginning with ``=``, ``+``, ``-`` or ``@``
is prefixed with an apostrophe (a spreadsheet would otherwise run it). The workbook is reproducible:
fixed zip dates and document properties dated by ``ecriture.date_generation``.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

NOM_CLASSEUR = "donnees.xlsx"
DOSSIER_CSV = "donnees"
NOM_INDEX = "index.csv"
FEUILLE_SOMMAIRE = "Sommaire"
# The row (1-based) of each sheet's headers: rows 1 to 5 describe the table, row 6 is empty.
LIGNE_ENTETE = 7
LONGUEUR_FEUILLE = 31  # Excel's limit for a sheet name
_INTERDITS_FEUILLE = re.compile(r"[\[\]:*?/\\]")
NOTE_MARQUES = "s : secret statistique ; n.d. : non disponible (comme dans le rapport)."
# A table whose rows or columns have different units or years says so in its header.
SANS_UNITE = "Unité : indiquée par les libellés des lignes et des colonnes"
SANS_MILLESIME = "Millésime : indiqué par la source et les libellés"


@dataclass
class TableauRapport:
    """One table of the report: its chapter (number and title as in the report), its place in the
    chapter (1, 2...) and the data contract's dict (``presentation.donnees_tableau``)."""

    chapitre: int
    titre_chapitre: str
    rang: int
    donnees: dict

    @property
    def numero(self) -> str:
        return f"{self.chapitre}.{self.rang}"


# --- Reading the executed notebooks ------------------------------------------------------------


def tableaux_du_rapport(etude) -> list[TableauRapport]:
    """Every table the report shows, in its order (see the module's docstring)."""
    from diagnostic_territorial.execution.notebooks import etats_chapitres

    return tableaux_des_chapitres(etats_chapitres(etude))


def tableaux_des_chapitres(chapitres) -> list[TableauRapport]:
    """The tables of ``rapport.ChapitreExecute`` chapters, read as the report reads them."""
    from diagnostic_territorial.livrables.rapport import TAGS_RETIRES, etat_reel
    from diagnostic_territorial.rendu.presentation import tableau_d_une_sortie

    tableaux = []
    for chapitre in sorted(chapitres, key=lambda c: c.numero):
        statut, _erreur, nb = etat_reel(chapitre)
        if statut != "ok" or nb is None:  # the report shows « en cours de production »: no table
            continue
        rang = 0
        for cellule in nb.cells:
            if cellule.cell_type != "code" or TAGS_RETIRES.intersection(cellule.get("metadata", {}).get("tags", [])):
                continue
            for sortie in cellule.get("outputs", []):
                donnees = tableau_d_une_sortie(sortie)
                if donnees is None or not donnees.get("colonnes"):
                    continue
                rang += 1
                tableaux.append(TableauRapport(chapitre.numero, chapitre.titre, rang, donnees))
    return tableaux


# --- Numbers: Excel's display format, the CSV's text ------------------------------------------


def _nombre(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass
class _Lecture:
    """How a cell's text shows its number: decimals, unit, sign, and whether the raw value is a
    ratio printed as a percentage (0.123 printed « 12,3 % »)."""

    decimales: int = 0
    unite: str | None = None
    signe: bool = False
    ratio: bool = False


_RE_TEXTE_NOMBRE = re.compile(r"^(?P<signe>[+\-−]?)[\d \u00a0\u202f]+(?:,(?P<decimales>\d+))?"
                              r"(?:[ \u00a0\u202f]?(?P<unite>%|€|‰|pts?))?$")


def lecture(texte: str, valeur) -> _Lecture | None:
    """How `texte` (a formatted cell) shows the number `valeur`; None when the text is not a number
    as the report prints them."""
    from diagnostic_territorial.rendu.presentation import lire_nombre

    m = _RE_TEXTE_NOMBRE.match(str(texte).strip())
    if m is None or not _nombre(valeur):
        return None
    decimales = len(m.group("decimales") or "")
    unite = m.group("unite")
    unite = "pt" if unite in ("pt", "pts") else unite
    ratio = False
    affiche = lire_nombre(texte)
    if unite == "%" and _nombre(affiche):
        tolerance = 0.5 * 10 ** -decimales + 1e-9
        direct, centuple = abs(valeur - affiche), abs(valeur * 100 - affiche)
        ratio = centuple <= tolerance < direct or (direct > tolerance and centuple < direct)
    return _Lecture(decimales, unite, m.group("signe") == "+", ratio)


def format_excel(lu: _Lecture | None) -> str:
    """Excel's number format that shows the number as the report does. Excel's codes are written
    with « , » and « . » and displayed with the reader's separators (space and comma in French)."""
    if lu is None:
        return "General"
    corps = "#,##0" + ("." + "0" * lu.decimales if lu.decimales else "")
    if lu.unite == "%":
        suffixe = " %" if lu.ratio else '" %"'  # an unquoted « % » multiplies by 100: the ratio's format
    elif lu.unite in ("€", "‰", "pt"):
        suffixe = f'" {lu.unite}"'
    else:
        suffixe = ""
    motif = corps + suffixe
    if lu.signe:  # an evolution: « +1,2 pt », « -0,4 pt », « 0,0 pt »
        return f"+{motif};-{motif};{motif}"
    return motif


def texte_csv(v) -> str:
    """A number for the CSV: decimal comma, no thousands separator, up to 12 significant digits."""
    texte = f"{v:.12g}"
    if "e" in texte:
        texte = f"{v:.6f}".rstrip("0").rstrip(".")
    return texte.replace(".", ",")


_DEBUTS_FORMULE = ("=", "+", "-", "@", "\t", "\r")


def _texte_sur(texte: str) -> str:
    """A text a spreadsheet opening the CSV will never run as a formula."""
    return "'" + texte if texte.startswith(_DEBUTS_FORMULE) else texte


def cellule_csv(texte: str, valeur) -> str:
    lu = lecture(texte, valeur)
    if _nombre(valeur):
        return texte_csv(valeur * 100 if lu is not None and lu.ratio else valeur)
    return _texte_sur(str(texte))


# --- Names ----------------------------------------------------------------------------------


def noms_feuilles(tableaux: list[TableauRapport]) -> list[str]:
    """« 2.3 Titre du tableau » cut at 31 characters (« … »), without the characters Excel forbids,
    unique (Excel compares sheet names without case)."""
    noms, pris = [], {FEUILLE_SOMMAIRE.lower()}
    for t in tableaux:
        titre = " ".join(_INTERDITS_FEUILLE.sub(" ", str(t.donnees.get("titre") or "")).split()).strip("'")
        nom = f"{t.numero} {titre}".strip()
        if len(nom) > LONGUEUR_FEUILLE:
            nom = nom[:LONGUEUR_FEUILLE - 1].rstrip() + "…"
        base, n = nom, 2
        while nom.lower() in pris:
            suffixe = f" ({n})"
            nom = base[:LONGUEUR_FEUILLE - len(suffixe)].rstrip() + suffixe
            n += 1
        pris.add(nom.lower())
        noms.append(nom)
    return noms


def _slug(texte: str, longueur: int = 50) -> str:
    """« Revenus disponibles : le territoire » -> « revenus-disponibles-le-territoire », cut between
    two words at most `longueur` characters long."""
    ascii_ = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")
    if len(slug) > longueur:
        coupe = slug[:longueur + 1]
        slug = coupe[:coupe.rfind("-")] if "-" in coupe else slug[:longueur]
    return slug.strip("-") or "tableau"


def noms_csv(tableaux: list[TableauRapport]) -> list[str]:
    """« 01-revenus-disponibles-en-2021.csv »: the table's rank in the report, then its title."""
    largeur = max(2, len(str(len(tableaux))))
    return [f"{k:0{largeur}d}-{_slug(str(t.donnees.get('titre') or ''))}.csv" for k, t in enumerate(tableaux, 1)]


def _unite(donnees: dict) -> str:
    return str(donnees.get("unite") or "")


def _millesime(donnees: dict) -> str:
    m = donnees.get("millesime")
    return str(m) if m is not None else ""


# --- The workbook -----------------------------------------------------------------------------


def _largeur(textes) -> float:
    return min(60, max([8, *(len(str(t)) + 2 for t in textes)]))


def classeur(tableaux: list[TableauRapport], meta: dict) -> bytes:
    """The workbook's bytes (see the module's docstring); ``meta``: ``nom_territoire``, ``date``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    gras = Font(bold=True)
    entete = PatternFill("solid", fgColor="E8ECF2")
    droite = Alignment(horizontal="right", vertical="top")
    haut = Alignment(vertical="top", wrap_text=True)
    wb = Workbook()
    sommaire = wb.active
    sommaire.title = FEUILLE_SOMMAIRE
    nom_territoire = str(meta.get("nom_territoire") or "")
    date = meta.get("date")
    _texte(sommaire, 1, 1, f"Données du rapport — {nom_territoire}" if nom_territoire else "Données du rapport",
           Font(bold=True, size=14))
    if date:
        from diagnostic_territorial.livrables.rapport import date_en_francais

        _texte(sommaire, 2, 1,
               f"Produit le {date_en_francais(date)}. Un onglet par tableau du rapport, dans son ordre.")
    _texte(sommaire, 3, 1, NOTE_MARQUES)
    colonnes = ["Onglet", "Chapitre", "Tableau", "Unité", "Source", "Millésime"]
    for j, nom in enumerate(colonnes, 1):
        c = _texte(sommaire, 5, j, nom, gras)
        c.fill = entete
    feuilles = noms_feuilles(tableaux)
    for i, (t, feuille) in enumerate(zip(tableaux, feuilles), 6):
        d = t.donnees
        valeurs = [feuille, f"{t.chapitre}. {t.titre_chapitre}", d.get("titre") or "", _unite(d),
                   d.get("source") or "", d.get("millesime")]
        for j, v in enumerate(valeurs, 1):
            c = sommaire.cell(i, j)
            if _nombre(v):
                c.value = v
            elif v not in (None, ""):
                _texte(sommaire, i, j, str(v))
            c.alignment = haut
        lien = sommaire.cell(i, 1)
        lien.hyperlink = Hyperlink(ref=lien.coordinate, location="'" + feuille.replace("'", "''") + "'!A1")
        lien.font = Font(color="1F4E8C", underline="single")
    for j, largeur in enumerate((34, 30, 50, 8, 60, 10), 1):
        sommaire.column_dimensions[_lettre(j)].width = largeur
    sommaire.freeze_panes = "A6"

    for t, feuille in zip(tableaux, feuilles):
        _feuille(wb.create_sheet(feuille), t, gras, entete, droite)

    wb.properties.creator = "diagnostic_territorial"
    wb.properties.title = f"Données du rapport — {nom_territoire}" if nom_territoire else "Données du rapport"
    wb.properties.language = "fr-FR"
    tampon = io.BytesIO()
    wb.save(tampon)
    return _reproductible(tampon.getvalue(), date)


def _lettre(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


def _texte(ws, i: int, j: int, texte: str, police=None):
    """A string cell: text copied from the study's files is never read as a formula."""
    c = ws.cell(i, j)
    c.value = texte
    if isinstance(texte, str):
        c.data_type = "s"
    if police is not None:
        c.font = police
    return c


def _feuille(ws, t: TableauRapport, gras, entete, droite) -> None:
    from openpyxl.styles import Alignment, Font

    d = t.donnees
    _texte(ws, 1, 1, str(d.get("titre") or ""), Font(bold=True, size=13))
    _texte(ws, 2, 1, f"Chapitre {t.chapitre} : {t.titre_chapitre}")
    _texte(ws, 3, 1, f"Unité : {_unite(d)}" if _unite(d) else SANS_UNITE)
    _texte(ws, 4, 1, str(d.get("source") or "Source : non précisée"))
    _texte(ws, 5, 1, f"Millésime : {_millesime(d)}" if _millesime(d) else SANS_MILLESIME)
    colonnes = [str(c) for c in d.get("colonnes", [])]
    numeriques = list(d.get("numeriques") or [False] * len(colonnes))
    for j, nom in enumerate(colonnes, 1):
        c = _texte(ws, LIGNE_ENTETE, j, nom, gras)
        c.fill = entete
        c.alignment = Alignment(wrap_text=True, vertical="top", horizontal="right" if numeriques[j - 1] else None)
    lignes = d.get("lignes") or []
    valeurs = d.get("valeurs") or []
    for i, ligne in enumerate(lignes):
        brutes = valeurs[i] if i < len(valeurs) else [None] * len(ligne)
        for j, texte in enumerate(ligne):
            v = brutes[j] if j < len(brutes) else None
            c = ws.cell(LIGNE_ENTETE + 1 + i, j + 1)
            if _nombre(v):
                c.value = v
                c.number_format = format_excel(lecture(texte, v))
            elif texte:
                _texte(ws, LIGNE_ENTETE + 1 + i, j + 1, str(texte))
            if j < len(numeriques) and numeriques[j]:
                c.alignment = droite
    for j, nom in enumerate(colonnes, 1):
        ws.column_dimensions[_lettre(j)].width = _largeur([nom[:30]] + [ligne[j - 1] for ligne in lignes
                                                                        if j - 1 < len(ligne)])
    ws.freeze_panes = ws.cell(LIGNE_ENTETE + 1, 2 if colonnes else 1)


_RE_DATE_XML = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def _reproductible(octets: bytes, date) -> bytes:
    """The same workbook gives the same bytes: zip entries dated 1980-01-01, document dates set to
    the generation date (openpyxl writes the time of saving)."""
    jour = (date.isoformat() if date else "1980-01-01").encode("ascii") + b"T00:00:00Z"
    entree = zipfile.ZipFile(io.BytesIO(octets))
    sortie = io.BytesIO()
    with zipfile.ZipFile(sortie, "w", zipfile.ZIP_DEFLATED) as z:
        for info in entree.infolist():
            contenu = entree.read(info.filename)
            if info.filename == "docProps/core.xml":
                contenu = _RE_DATE_XML.sub(lambda m: m.group(1) + jour + m.group(2), contenu)
            nouvelle = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            nouvelle.compress_type = zipfile.ZIP_DEFLATED
            nouvelle.external_attr = 0o644 << 16
            z.writestr(nouvelle, contenu)
    return sortie.getvalue()


# --- The CSV files ----------------------------------------------------------------------------


def _csv(lignes: list[list[str]]) -> bytes:
    tampon = io.StringIO()
    writer = csv.writer(tampon, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(lignes)
    return ("\ufeff" + tampon.getvalue()).encode("utf-8")


def fichier_csv(t: TableauRapport) -> bytes:
    """One table as CSV (headers, then the rows; see the module's docstring)."""
    d = t.donnees
    lignes = [[_texte_sur(str(c)) for c in d.get("colonnes", [])]]
    valeurs = d.get("valeurs") or []
    for i, ligne in enumerate(d.get("lignes") or []):
        brutes = valeurs[i] if i < len(valeurs) else [None] * len(ligne)
        lignes.append([cellule_csv(texte, brutes[j] if j < len(brutes) else None) for j, texte in enumerate(ligne)])
    return _csv(lignes)


def index_csv(tableaux: list[TableauRapport]) -> bytes:
    """index.csv: for each CSV file, its sheet in donnees.xlsx, chapter, title, unit, source, millésime."""
    lignes = [["fichier", "onglet", "chapitre", "titre", "unité", "source", "millésime"]]
    for t, nom, feuille in zip(tableaux, noms_csv(tableaux), noms_feuilles(tableaux)):
        d = t.donnees
        lignes.append([nom, feuille, f"{t.chapitre}. {t.titre_chapitre}", str(d.get("titre") or ""), _unite(d),
                       str(d.get("source") or ""), _millesime(d)])
    return _csv([[_texte_sur(c) for c in ligne] for ligne in lignes])


# --- The deliverable --------------------------------------------------------------------------


def ecrire(tableaux: list[TableauRapport], dossier: Path, meta: dict) -> tuple[Path, Path]:
    """Write ``donnees.xlsx`` and ``donnees/`` (CSV files and index.csv) in `dossier`; a CSV file of
    a previous run that no table writes any more is removed. Every file is written atomically."""
    from diagnostic_territorial.ecriture import ecrire_octets

    dossier = Path(dossier)
    xlsx = dossier / NOM_CLASSEUR
    dossier_csv = dossier / DOSSIER_CSV
    ecrire_octets(xlsx, classeur(tableaux, meta))
    dossier_csv.mkdir(parents=True, exist_ok=True)
    ecrits = {NOM_INDEX}
    for t, nom in zip(tableaux, noms_csv(tableaux)):
        ecrire_octets(dossier_csv / nom, fichier_csv(t))
        ecrits.add(nom)
    ecrire_octets(dossier_csv / NOM_INDEX, index_csv(tableaux))
    for ancien in dossier_csv.glob("*.csv"):
        if ancien.name not in ecrits:
            ancien.unlink()
    return xlsx, dossier_csv


def tableur(etude) -> tuple[Path, Path, int]:
    """The deliverable of the study: (donnees.xlsx, donnees/, number of tables)."""
    from diagnostic_territorial.ecriture import date_generation

    tableaux = tableaux_du_rapport(etude)
    xlsx, dossier_csv = ecrire(tableaux, Path(etude.dossier_livrables),
                               {"nom_territoire": etude.nom_territoire, "date": date_generation()})
    return xlsx, dossier_csv, len(tableaux)
