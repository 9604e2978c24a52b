"""What the notebooks display: key points, tables, figures, maps, missing-data notices, the
consultant's analysis. The HTML uses the CSS classes of docs/architecture.md (``div.a-retenir``,
``p.source``, ``table.tableau-dt``, ``div.donnees-manquantes``, ``div.analyse``,
``div.carte-interactive``, ``div.carte-statique``).

Each public function *displays* its output (``IPython.display.display``) and returns ``None``, so
that a chapter function may end with ``return presentation.figure(...)`` without the output being
shown twice. The ``html_*`` functions return the same HTML as a string (tests, other assemblies).
Output is stable: images are PNG without timestamp, map element ids are deterministic.

Points, messages and analyses are HTML (they may hold ``<strong>`` or lists): they are sanitised by
:func:`assainir.html` (allow-list: no script, no event handler, no ``javascript:`` address...), so that
a label or a comment copied from the study's files into a point can never run in the report, the
synthèse or the slides. Table cells, titles, source lines and image texts are escaped
(:func:`assainir.texte`). The consultant's Markdown goes through :func:`assainir.markdown`.

Data contract (issue 17). Each display records, in its output's metadata
(``metadata["diagnostic_territorial"]``, see :func:`_afficher`), what the deliverables need from it,
so that no deliverable ever reads the rendered HTML (the spreadsheet export livrables/tableur.py and
the Word export read it; the annexes read ``sources`` and ``texte``):

- a table (:func:`tableau`, and the tables of chapitres/generique.py that go through it)::

      "tableau": {"titre": str,             # the section's or the indicator's title, else the first column
                  "colonnes": [str],         # the headers, as shown
                  "lignes": [[str]],         # the cells formatted the French way: exactly the HTML's text
                  "valeurs": [[number|null|str]],  # raw values; null = secret or absent ("s", "n.d.", "")
                  "numeriques": [bool],      # per column: a column of numbers (right-aligned, td.nombre)
                  "source": str,             # the source line as shown (« Source : … »), "" when none
                  "unite": str|null,         # "%", "€"... when the whole table has one, else null
                  "millesime": int|null}     # the table's year when it has one, else null

  A raw value is the number the cell was formatted from (numeric column, or ``valeurs=``); for a
  cell the chapter formatted itself it is the number read from its French text, as displayed
  (« 12,3 % » -> 12.3, « 21 800 € » -> 21800, « +1,2 pt » -> 1.2); other text stays a string.
- a chart (:func:`figure`): ``"figure": {"titre": str, "alt": str, "source": str}`` (``alt``: the
  image's alternative text, ``fig.texte_alternatif``), and the PNG under ``"image/png"`` (base64)
  beside ``"text/html"`` in the same output;
- a map (:func:`carte`): ``"carte": {"titre": str, "alt": str, "source": str}`` and the static
  map's PNG under ``"image/png"`` the same way (a map replaced by its values because most communes
  are masked records a ``"tableau"`` instead).

The HTML stays what the report and JupyterLab show: both prefer ``text/html`` to ``image/png``.
Read them with :func:`tableau_d_une_sortie`, :func:`figure_d_une_sortie` and
:func:`carte_d_une_sortie` (dict, and PNG bytes for images).
"""

from __future__ import annotations

import base64
import html
import io
import os
import re
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu import formats as fm

DPI_PNG = 150
HAUTEUR_CARTE = 480
# What the interactive map's iframe may do: run its own scripts, nothing else (see html_carte).
SANDBOX_CARTE = "allow-scripts"


# Key of the output metadata where each display records, as data, what the deliverables need
# from it (its source lines, its words, its table, chart or map: the module's data contract); the
# deliverables read it, never the rendered HTML.
CLE_METADONNEES = "diagnostic_territorial"


def _afficher(contenu: str, sources: list | None = None, texte: str | None = None,
              contrat: Mapping | None = None, png: str | None = None) -> None:
    """Display HTML. What the deliverables need from it is recorded in the output's metadata:
    `sources` (the source lines it shows), `texte` (the words a reader sees in it, as plain text:
    the definitions annex lists the terms they use) and `contrat` (``{"tableau": ...}``,
    ``{"figure": ...}`` or ``{"carte": ...}``: see the module's docstring). `png` (base64) is added
    to the output as ``image/png`` beside the HTML, which the report and JupyterLab show."""
    from IPython.display import HTML, display

    donnees = {}
    lignes = [_texte_source(s) for s in (sources or []) if s]
    if lignes:
        donnees["sources"] = list(dict.fromkeys(lignes))
    if texte and texte.strip():
        donnees["texte"] = " ".join(texte.split())
    donnees.update(contrat or {})
    if png:
        display({"text/html": contenu, "image/png": png}, raw=True,
                metadata={CLE_METADONNEES: donnees} if donnees else None)
        return
    if not donnees:
        display(HTML(contenu))
        return
    display(HTML(contenu), metadata={CLE_METADONNEES: donnees})


def _enregistre(sortie: Mapping) -> dict:
    return (sortie.get("metadata") or {}).get(CLE_METADONNEES) or {}


def sources_d_une_sortie(sortie: Mapping) -> list[str]:
    """The source lines an output of an executed notebook recorded (see :func:`_afficher`)."""
    return [str(s) for s in _enregistre(sortie).get("sources", [])]


def texte_d_une_sortie(sortie: Mapping) -> str:
    """The plain text an output of an executed notebook recorded (see :func:`_afficher`)."""
    return str(_enregistre(sortie).get("texte", ""))


def tableau_d_une_sortie(sortie: Mapping) -> dict | None:
    """The table an output of an executed notebook recorded (the module's data contract), or None."""
    tableau_ = _enregistre(sortie).get("tableau")
    return dict(tableau_) if isinstance(tableau_, Mapping) else None


def _image_d_une_sortie(sortie: Mapping, cle: str) -> tuple[dict, bytes] | None:
    donnees = _enregistre(sortie).get(cle)
    image = (sortie.get("data") or {}).get("image/png")
    if not isinstance(donnees, Mapping) or not image:
        return None
    image = "".join(image) if isinstance(image, list) else str(image)
    return dict(donnees), base64.b64decode(image)


def figure_d_une_sortie(sortie: Mapping) -> tuple[dict, bytes] | None:
    """The chart an output recorded: ({"titre", "alt", "source"}, PNG bytes), or None."""
    return _image_d_une_sortie(sortie, "figure")


def carte_d_une_sortie(sortie: Mapping) -> tuple[dict, bytes] | None:
    """The map an output recorded: ({"titre", "alt", "source"}, the static map's PNG bytes), or None."""
    return _image_d_une_sortie(sortie, "carte")


def _texte_source(source) -> str:
    texte = str(source).strip()
    return texte if texte.lower().startswith("source") else "Source : " + texte


# The signs a source line explains after the source itself (« Insee, RP 2023. s : secret statistique
# ; n.d. : non disponible », « … ; pt : point de pourcentage »), and how to find each in a cell.
_NOTE = re.compile(r"(\.\s+|\s;\s)((?:s|n\.d\.|pt) : )")
_SIGNES = {
    "s": lambda cellule: cellule.strip() == "s",
    "n.d.": lambda cellule: "n.d." in cellule,
    "pt": lambda cellule: re.search(r"(?<![\w.])pt\b", cellule) is not None,
}


def notes_utiles(source: str | None, cellules) -> str | None:
    """The source line with only the notes whose sign appears in the table's cells: no « s : secret
    statistique » under a table without an « s »."""
    if not source:
        return source
    morceaux = _NOTE.split(str(source))
    if len(morceaux) == 1:
        return source
    textes = [str(c) for c in cellules]
    tete, notes = morceaux[0], []
    for i in range(1, len(morceaux), 3):
        separateur, signe, texte = morceaux[i], morceaux[i + 1], morceaux[i + 2]
        notes.append((separateur, signe + texte, signe.split(" : ")[0]))
    gardees = [(sep, texte) for sep, texte, signe in notes if any(map(_SIGNES[signe], textes))]
    if not gardees:
        return tete
    return tete + notes[0][0] + gardees[0][1] + "".join(sep + texte for sep, texte in gardees[1:])


def ligne_source(source: str | None) -> str:
    """``<p class="source">Source : ...</p>`` (empty when there is no source)."""
    if not source:
        return ""
    return f'<p class="source">{assainir.texte(_texte_source(source))}</p>'


# --- À retenir, données manquantes ------------------------------------------------------------


def html_a_retenir(points: list[str], titre: str = "À retenir") -> str:
    items = "".join(f"<li>{assainir.html(p)}</li>" for p in points)
    return f'<div class="a-retenir"><p class="titre">{assainir.texte(titre)}</p><ul>{items}</ul></div>'


def a_retenir(points: list[str], titre: str = "À retenir") -> None:
    """The "À retenir" box: a short list of key figures (items may contain inline HTML, sanitised;
    text copied from the study's files must be escaped by the caller with :func:`assainir.texte`)."""
    _afficher(html_a_retenir(points, titre), texte=" ".join([titre, *map(str, points)]))


# What the client reads where data is missing: the details (file, address, folder, command) are
# the consultant's, in the terminal, in JupyterLab and in the technical annex.
TITRE_ANNEXE_SOURCES = "Sources à compléter"
MESSAGE_NON_DISPONIBLE = f"Donnée non disponible pour ce territoire : voir l'annexe « {TITRE_ANNEXE_SOURCES} »."
# Set to "1" in the kernels that execute the report's notebooks (execution.notebooks): what they
# display is recorded in the executed notebooks, the client's document. Unset (JupyterLab, tests),
# the consultant sees the detailed messages.
VARIABLE_DOCUMENT_CLIENT = "DIAGNOSTIC_TERRITORIAL_DOCUMENT_CLIENT"


def document_client() -> bool:
    """True when the outputs are the client's document (the notebooks executed for the report)."""
    return os.environ.get(VARIABLE_DOCUMENT_CLIENT, "") == "1"


def html_donnees_manquantes(message: str) -> str:
    """The consultant's notice: what is missing, from where, how to get it (JupyterLab)."""
    return ('<div class="donnees-manquantes"><p class="titre">Données manquantes</p>'
            f"<div>{assainir.html(message)}</div></div>")


def html_donnee_non_disponible(texte: str | None = None) -> str:
    """The client's notice: a neutral sentence (`texte`, plain text, escaped), or
    :data:`MESSAGE_NON_DISPONIBLE` that sends the reader to the « Sources à compléter » annex."""
    return (f'<div class="donnees-manquantes donnee-non-disponible">'
            f"<p>{assainir.texte(texte or MESSAGE_NON_DISPONIBLE)}</p></div>")


# The last neutral notice displayed, by execute request: a section that misses several indicators
# shows the neutral sentence once, not once per indicator.
_DERNIER_NEUTRE: dict = {}


def _requete_en_cours() -> str | None:
    try:
        from IPython import get_ipython

        shell = get_ipython()
        noyau = getattr(shell, "kernel", None)
        if noyau is None:
            return None
        # The message id and the cell's execution count: a warm kernel that runs several notebooks
        # (execution.notebooks) may see a message id again, never with the same execution count.
        return f'{noyau.get_parent("shell")["header"]["msg_id"]}#{shell.execution_count}'

    except Exception:  # noqa: BLE001 - outside a kernel: no deduplication
        return None


def donnees_manquantes(message: str, client: str | None = None) -> None:
    """A visible notice that some data is missing.

    In JupyterLab (and wherever :func:`document_client` is false) it shows `message`: which file,
    from where, how to get it (inline HTML, sanitised; a plain-text message is best escaped by the
    caller). In the notebooks executed for the report it shows `client` (plain text, for a note
    the client may read, e.g. « Insee ne publie pas… ») or, by default, the neutral
    :data:`MESSAGE_NON_DISPONIBLE`; the details are in the technical annex and the terminal, never
    in the client's document. The output's metadata says a notice was shown (``non_disponible``),
    so that the report carries the « Sources à compléter » annex."""
    if not document_client():
        _afficher(html_donnees_manquantes(message), texte=str(message))
        return
    contenu = html_donnee_non_disponible(client)
    requete = _requete_en_cours()
    if client is None and requete is not None:
        if _DERNIER_NEUTRE.get("requete") == requete:
            return
        _DERNIER_NEUTRE["requete"] = requete
    texte = client or MESSAGE_NON_DISPONIBLE
    from IPython.display import HTML, display

    display(HTML(contenu), metadata={CLE_METADONNEES: {"texte": texte, "non_disponible": client is None}})


def non_disponible_d_une_sortie(sortie: Mapping) -> bool:
    """True when an output of an executed notebook is the client's neutral notice of missing data."""
    return bool(_enregistre(sortie).get("non_disponible"))


def _texte_tableau(df: pd.DataFrame, index: bool = False) -> str:
    """The words of a table: its headers and its text cells (numbers carry no term to define)."""
    mots = [str(c) for c in df.columns]
    if index:
        mots += [str(v) for v in df.index]
    for colonne in df.columns:
        serie = df[colonne]
        if not pd.api.types.is_numeric_dtype(serie):
            mots += [str(v) for v in serie.dropna().unique()]
    return " ".join(mots)


def _texte_figure(fig) -> str:
    """The words of a chart: its titles, axis labels and legend entries."""
    mots = [_titre_figure(fig)]
    for ax in fig.get_axes():
        mots += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legende = ax.get_legend()
        if legende is not None:
            mots += [t.get_text() for t in legende.get_texts()]
    return " ".join(m for m in mots if m)


def _texte_analyse(chemin_md) -> str:
    try:
        texte = Path(chemin_md).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    return re.sub(r"<!--.*?-->", "", texte, flags=re.DOTALL)  # the writing guide is not text


# --- Tables ----------------------------------------------------------------------------------


_RE_NOMBRE_TEXTE = re.compile(r"^[+\-−]?\d[\d\s\u202f\u00a0]*(,\d+)?(\s?[%€]| ?\u202f?[%€])?$|^(s|n\.d\.)$")


_CLASSE_NOMBRE = ' class="nombre"'


def _format_defaut(serie: pd.Series) -> Callable:
    valeurs = pd.to_numeric(serie, errors="coerce").dropna()
    entiers = bool(len(valeurs)) and bool(np.all(np.isclose(valeurs, np.round(valeurs))))
    decimales = 0 if entiers else 1
    return lambda v: fm.nombre(v, decimales)


def _cellule(fonction: Callable, v) -> str:
    if isinstance(v, str):
        return v
    if fm.est_manquant(v):
        return fm.NON_DISPONIBLE
    return fonction(v)


def _colonnes_tableau(donnees: pd.DataFrame, format_colonnes) -> list[tuple[str, bool, bool, list[str]]]:
    """(header, numeric dtype, right-aligned, cell texts) of each column, as the HTML shows them."""
    formats_ = dict(format_colonnes or {})
    colonnes = []
    for nom in donnees.columns:
        serie = donnees[nom]
        fonction = formats_.get(nom)
        if isinstance(fonction, str):
            fonction = fm.formateur(fonction)
        numerique = pd.api.types.is_numeric_dtype(serie) and not pd.api.types.is_bool_dtype(serie)
        if fonction is None and numerique:
            fonction = _format_defaut(serie)
        if fonction is not None:
            textes = [_cellule(fonction, v) for v in serie]
        else:
            textes = ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in serie]
        aligne = numerique or (len(textes) > 0 and all(_RE_NOMBRE_TEXTE.match(t.strip()) for t in textes if t))
        colonnes.append((str(nom), numerique, aligne, textes))
    return colonnes


def html_tableau(df: pd.DataFrame, source: str | None,
                 format_colonnes: Mapping[str, Callable | str] | None = None,
                 index: bool = False, titre: str | None = None) -> str:
    """``<table class="tableau-dt">`` with French-formatted numbers, then the source line.

    Numeric columns are formatted with :func:`formats.nombre` (0 decimals for whole numbers, 1
    otherwise) unless `format_colonnes` gives a function or a name ("pourcentage", "euros",
    "evolution", "decimal", "nombre") for the column. Missing numbers print "n.d.". Columns of
    numbers (or of already formatted numbers) are right-aligned (``td.nombre``). `titre` names the
    table for screen readers (``aria-label``); it is not printed.
    """
    donnees = df.reset_index() if index else df
    colonnes = _colonnes_tableau(donnees, format_colonnes)
    entetes = [f"<th scope=\"col\"{_CLASSE_NOMBRE if aligne else ''}>{assainir.texte(nom)}</th>" for nom, _, aligne, _ in colonnes]
    lignes = []
    for i in range(len(donnees)):
        cellules = "".join(f"<td{_CLASSE_NOMBRE if aligne else ''}>{assainir.texte(textes[i])}</td>"
                           for _, _, aligne, textes in colonnes)
        lignes.append(f"<tr>{cellules}</tr>")
    etiquette = f' aria-label="{assainir.texte(titre)}"' if titre else ""
    table = (f'<table class="tableau-dt"{etiquette}><thead><tr>{"".join(entetes)}</tr></thead>'
             f'<tbody>{"".join(lignes)}</tbody></table>')
    return table + ligne_source(source)


# A number as the tables print it: optional sign, digits grouped by three with a (narrow) no-break
# space or a space, optional decimals after a comma, optional unit. Plain digits without grouping
# are read only up to 4 digits (a year): « 31069 » or « 01234 » is a code, kept as text.
_RE_NOMBRE_FRANCAIS = re.compile(
    r"^(?P<signe>[+\-−]?)(?P<entier>\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d{1,4})(?:,(?P<decimales>\d+))?"
    r"(?:[ \u00a0\u202f]?(?P<unite>%|€|‰|pts?))?$")
_MANQUANTS = {"", fm.SECRET, fm.NON_DISPONIBLE}


def lire_nombre(texte: str):
    """The number a French-formatted cell shows (« 21 800 € » -> 21800, « 12,3 % » -> 12.3,
    « −1,2 pt » -> -1.2), None for "s", "n.d." or "", the text itself when it is not a number."""
    t = str(texte).strip()
    if t in _MANQUANTS:
        return None
    m = _RE_NOMBRE_FRANCAIS.match(t)
    if m is None or (len(m.group("entier")) > 1 and m.group("entier")[0] == "0"):
        return t
    entier = re.sub(r"\D", "", m.group("entier"))
    negatif = m.group("signe") in ("-", "−")
    if m.group("decimales") is None:
        return -int(entier) if negatif else int(entier)
    valeur = float(f"{entier}.{m.group('decimales')}")
    return -valeur if negatif else valeur


def _brute(v):
    """A raw value for the metadata (JSON): int, float, str, or None for a missing number."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if fm.est_manquant(v) else float(v)
    texte = str(v)
    return None if texte.strip() in _MANQUANTS else texte


_RE_ANNEE = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def _millesime(source: str | None) -> int | None:
    """The year a source line names, when it names only one (« Insee, Filosofi 2021 » -> 2021)."""
    annees = set(_RE_ANNEE.findall(str(source or "")))
    return int(annees.pop()) if len(annees) == 1 else None


_UNITES_TEXTE = (("%", "%"), ("€", "€"), ("‰", "‰"))


def _unite(lignes: list[list[str]], numeriques: list[bool]) -> str | None:
    """The unit every number of the table is printed with (« % », « € »), else None."""
    unites = set()
    for ligne in lignes:
        for texte, numerique in zip(ligne, numeriques):
            t = texte.strip()
            if not numerique or t in _MANQUANTS:
                continue
            unites.add(next((u for fin, u in _UNITES_TEXTE if t.endswith(fin)), None))
    return unites.pop() if len(unites) == 1 else None


def donnees_tableau(df: pd.DataFrame, source: str | None,
                    format_colonnes: Mapping[str, Callable | str] | None = None, index: bool = False,
                    titre: str | None = None, unite: str | None = None, millesime: int | None = None,
                    valeurs: pd.DataFrame | None = None) -> dict:
    """The table as the data contract records it (see the module's docstring): the same cells as
    :func:`html_tableau`, and the raw values. `valeurs` gives the raw values of columns the caller
    formatted itself (same columns names, rows aligned by position; NaN = secret or absent)."""
    donnees = df.reset_index() if index else df
    colonnes = _colonnes_tableau(donnees, format_colonnes)
    brutes = valeurs.reset_index(drop=True) if valeurs is not None else None
    lignes, table_valeurs = [], []
    for i in range(len(donnees)):
        lignes.append([textes[i] for _, _, _, textes in colonnes])
        rangee = []
        for j, (nom, numerique, _, textes) in enumerate(colonnes):
            if brutes is not None and nom in brutes.columns and i < len(brutes):
                rangee.append(_brute(brutes[nom].iloc[i]))
            elif numerique:
                rangee.append(_brute(donnees.iloc[i, j]))
            else:
                rangee.append(lire_nombre(textes[i]))
        table_valeurs.append(rangee)
    numeriques = [aligne for _, _, aligne, _ in colonnes]
    noms = [nom for nom, _, _, _ in colonnes]
    return {
        "titre": str(titre) if titre else (noms[0] if noms else ""),
        "colonnes": noms,
        "lignes": lignes,
        "valeurs": table_valeurs,
        "numeriques": numeriques,
        "source": _texte_source(source) if source else "",
        "unite": unite if unite is not None else _unite(lignes, numeriques),
        "millesime": int(millesime) if millesime is not None else _millesime(source),
    }


def tableau(df: pd.DataFrame, source: str | None,
            format_colonnes: Mapping[str, Callable | str] | None = None, index: bool = False,
            titre: str | None = None, unite: str | None = None, millesime: int | None = None,
            valeurs: pd.DataFrame | None = None) -> None:
    """Display a table (French number formatting) followed by its source line, and record it as
    data (:func:`donnees_tableau`: `titre`, the section's or the indicator's title; `unite` and
    `millesime` when the caller knows them better than the cells and the source line do)."""
    cellules = [t for _, _, _, textes in _colonnes_tableau(df.reset_index() if index else df, format_colonnes)
                for t in textes]
    source = notes_utiles(source, cellules)
    contrat = donnees_tableau(df, source, format_colonnes, index, titre, unite, millesime, valeurs)
    _afficher(html_tableau(df, source, format_colonnes, index, titre), [source], _texte_tableau(df, index),
              contrat={"tableau": contrat})


# --- Figures and maps ------------------------------------------------------------------------


COULEURS_PNG = 256


def png_base64(fig, dpi: int = DPI_PNG) -> str:
    """The figure as a base64 PNG (no timestamp, so the same figure gives the same bytes).

    Charts and maps use few colours: the image is stored with a palette of at most 256 colours
    (no dithering), about four times smaller than the RGBA image, so that a report with dozens of
    maps stays small and its PDF fast to build."""
    from PIL import Image

    tampon = io.BytesIO()
    fig.savefig(tampon, format="png", dpi=dpi, bbox_inches="tight", pad_inches=0.08,
                facecolor="white", metadata={"Software": None})
    tampon.seek(0)
    with Image.open(tampon) as image:
        palette = image.convert("RGB").quantize(COULEURS_PNG, method=Image.Quantize.MEDIANCUT,
                                                dither=Image.Dither.NONE)
        sortie = io.BytesIO()
        palette.save(sortie, format="PNG", optimize=True)
    return base64.b64encode(sortie.getvalue()).decode("ascii")


def _titre_figure(fig) -> str:
    titre = getattr(fig, "_suptitle", None)
    return titre.get_text().replace("\n", " ") if titre is not None else ""


def _liberer(fig) -> None:
    import matplotlib.pyplot as plt

    plt.close(fig)


def _texte_alternatif(objet, titre: str) -> str:
    """The alt text of a chart or a map: the sentence written from its data (``texte_alternatif``,
    rendu.graphiques and rendu.cartes), else its title; plain text."""
    return str(getattr(objet, "texte_alternatif", None) or titre or "Graphique")


def _alternatif(objet, titre: str) -> str:
    """:func:`_texte_alternatif`, escaped for an HTML attribute."""
    return assainir.texte(_texte_alternatif(objet, titre))


def _figure(fig, source: str | None, dpi: int) -> tuple[str, dict, str]:
    """(HTML, contract ``figure`` entry, base64 PNG) of a chart; the figure is released."""
    titre = _titre_figure(fig) or next((ax.get_title() for ax in fig.get_axes() if ax.get_title()), "")
    png = png_base64(fig, dpi)
    image = f'<img src="data:image/png;base64,{png}" alt="{_alternatif(fig, titre)}" style="max-width:100%;">'
    donnees = {"titre": titre, "alt": _texte_alternatif(fig, titre),
               "source": _texte_source(source) if source else ""}
    _liberer(fig)
    return f'<div class="figure">{image}</div>' + ligne_source(source), donnees, png


def html_figure(fig, source: str | None = None, dpi: int = DPI_PNG) -> str:
    return _figure(fig, source, dpi)[0]


def figure(fig, source: str | None = None, dpi: int = DPI_PNG) -> None:
    """Display a matplotlib figure as an embedded PNG (150 dpi), then its source line; the output
    also carries the PNG (``image/png``) and the chart's title, alt text and source as data."""
    texte = _texte_figure(fig)
    contenu, donnees, png = _figure(fig, source, dpi)
    _afficher(contenu, [source], texte, contrat={"figure": donnees}, png=png)


def html_carte(gdf, colonne: str, titre: str, source: str, format_valeur: Callable = fm.nombre,
               legende: str | None = None, k: int = 5, methode: str = "jenks",
               colonne_secret: str | None = None, tuiles: bool = True,
               hauteur: int = HAUTEUR_CARTE, references=None) -> str:
    return _carte(gdf, colonne, titre, source, format_valeur=format_valeur, legende=legende, k=k,
                  methode=methode, colonne_secret=colonne_secret, tuiles=tuiles, hauteur=hauteur,
                  references=references)[0]


def _carte(gdf, colonne: str, titre: str, source: str, format_valeur: Callable = fm.nombre,
           legende: str | None = None, k: int = 5, methode: str = "jenks",
           colonne_secret: str | None = None, tuiles: bool = True,
           hauteur: int = HAUTEUR_CARTE, references=None) -> tuple[str, dict, str | None]:
    """(HTML, contract entry ``{"carte": ...}`` or ``{"tableau": ...}``, base64 PNG of the static map)."""
    from diagnostic_territorial.rendu import cartes

    if cartes.trop_masquee(gdf, colonne):  # an almost all hatched map says nothing: the values instead
        note, table = cartes.sans_carte(gdf, colonne, format_valeur, legende, colonne_secret, references)
        contenu = (f'<p class="titre-tableau">{assainir.texte(titre)}</p><p class="note">{assainir.texte(note)}</p>'
                   + html_tableau(table, source, titre=titre))
        return contenu, {"tableau": donnees_tableau(table, source, titre=titre)}, None
    carte = cartes.carte_interactive(gdf, colonne, titre, source, format_valeur=format_valeur, legende=legende,
                                     k=k, methode=methode, colonne_secret=colonne_secret, tuiles=tuiles,
                                     hauteur=hauteur, references=references)
    document = cartes.html_carte(carte)
    # The map runs in a sandbox: its scripts (Leaflet) work, but in an opaque origin, without access
    # to the report, its storage or its address bar, without pop-ups or dialogs, whatever a label
    # shown in a tooltip or a legend may contain. Its title names it, its aria-label says what it
    # shows (the same sentence as the static map's alt text).
    iframe = (f'<iframe srcdoc="{html.escape(document, quote=True)}" title="{assainir.texte(titre)}" '
              f'aria-label="{_alternatif(carte, titre)}" sandbox="{SANDBOX_CARTE}" '
              f'style="width:100%; height:{int(hauteur) + 4}px; border:none;" loading="lazy"></iframe>')
    # The source line is printed once, under the map (p.source); the PNG keeps the contours' credit.
    statique = cartes.carte_statique(gdf, colonne, titre, "", legende=legende, format_valeur=format_valeur,
                                     k=k, methode=methode, colonne_secret=colonne_secret, references=references)
    alt = _alternatif(statique, titre)
    png = png_base64(statique)
    image = f'<img src="data:image/png;base64,{png}" alt="{alt}" style="max-width:100%;">'
    donnees = {"titre": str(titre), "alt": _texte_alternatif(statique, titre),
               "source": _texte_source(source) if source else ""}
    _liberer(statique)
    return (f'<div class="carte-interactive">{iframe}</div>'
            f'<div class="carte-statique">{image}</div>' + ligne_source(source)), {"carte": donnees}, png


def carte(gdf, colonne: str, titre: str, source: str, format_valeur: Callable = fm.nombre,
          legende: str | None = None, k: int = 5, methode: str = "jenks", colonne_secret: str | None = None,
          tuiles: bool = True, hauteur: int = HAUTEUR_CARTE, references=None) -> None:
    """Display a choropleth twice: the interactive folium map (``div.carte-interactive``, for the
    HTML report) and the static PNG (``div.carte-statique``, for the PDF), then the source line.
    When most communes have no published value (cartes.trop_masquee), a table of the published
    values and a sentence saying why take the map's place.

    `gdf` has the communes' geometry, ``nom`` and the `colonne` to map (and, optionally, a
    ``population`` column: the main communes are named on the map); a boolean column
    ``<colonne>__secret`` (or `colonne_secret`) tells "s" from "n.d." for missing values;
    `references` ({"CC …": value}) are named in the maps' alternative text. The output also
    carries the static map's PNG (``image/png``) and its title, alt text and source as data."""
    contenu, contrat, png = _carte(gdf, colonne, titre, source, format_valeur=format_valeur, legende=legende,
                                   k=k, methode=methode, colonne_secret=colonne_secret, tuiles=tuiles,
                                   hauteur=hauteur, references=references)
    _afficher(contenu, [source], " ".join(t for t in (titre, legende) if t), contrat=contrat, png=png)


# --- The consultant's analysis ---------------------------------------------------------------


def _markdown_en_html(texte: str) -> str:
    """The consultant's Markdown as sanitised HTML (:func:`assainir.markdown`), headings lowered."""
    rendu = assainir.markdown(texte)
    # The report numbers the notebook's own headings: the analysis' headings stay below them.
    return re.sub(r"<(/?)h([1-6])\b", lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}", rendu)


def texte_analyse(chemin_md) -> str:
    """The consultant's analysis file as text, without the writing guide (an HTML comment); "" when
    the file is absent. A file that is not UTF-8 stops with a French message naming its line."""
    chemin = Path(chemin_md)
    if not chemin.is_file():
        return ""
    try:
        texte = chemin.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        from diagnostic_territorial.erreurs import ErreurDiagnostic

        brut = chemin.read_bytes()
        ligne = brut[:e.start].count(b"\n") + 1
        extrait = brut[brut.rfind(b"\n", 0, e.start) + 1:e.start].decode("utf-8", "replace")[-40:]
        raise ErreurDiagnostic(
            f"Le fichier d'analyse « {chemin} » n'est pas encodé en UTF-8 : ligne {ligne}, "
            f"octet {e.start} (après « {extrait} »). Enregistrez-le en UTF-8 depuis votre éditeur "
            "(« Enregistrer sous », encodage UTF-8) ; votre texte n'a pas été modifié."
        ) from None
    # The writing guide shipped in each file is an HTML comment: it does not count as text.
    return re.sub(r"<!--.*?-->", "", texte, flags=re.DOTALL)


def html_analyse(chemin_md) -> str:
    """The consultant's Markdown file in ``div.analyse``; "" when it holds no text."""
    texte = texte_analyse(chemin_md)
    if not texte.strip():
        return ""
    return f'<div class="analyse">{_markdown_en_html(texte)}</div>'


def analyse(chemin_md) -> None:
    """Display the consultant's markdown file (read only, never written) inside ``div.analyse``,
    sanitised (:func:`assainir.markdown`); nothing when the file is absent or empty."""
    contenu = html_analyse(chemin_md)
    if contenu:
        _afficher(contenu, texte=_texte_analyse(chemin_md))


# --- Proposed wording (chapitres.redaction) ----------------------------------------------------

TITRE_PROPOSITION = "Proposition de rédaction"


def _paragraphes(paragraphes: list[str]) -> str:
    return "".join(f"<p>{assainir.texte(p)}</p>" for p in paragraphes if p)


def html_proposition(paragraphes: list[str], titre: str = TITRE_PROPOSITION) -> str:
    """A text written from the figures, not yet reviewed by the consultant: plain-text paragraphs
    (escaped) in ``div.proposition``, under its label « Proposition de rédaction »."""
    return (f'<div class="proposition" role="note"><p class="titre-proposition">{assainir.texte(titre)}</p>'
            f"{_paragraphes(paragraphes)}</div>")


def html_commentaire(paragraphes: list[str]) -> str:
    """The same text once the consultant has reviewed the chapter: ``div.commentaire``, no label."""
    return f'<div class="commentaire">{_paragraphes(paragraphes)}</div>'


def commentaire(paragraphes: list[str], proposition: bool = True) -> None:
    """Display a text written from the figures: a « Proposition de rédaction » (`proposition`), or
    the reviewed comment. The output's metadata says which (``proposition``), as data."""
    if not any(paragraphes):
        return
    contenu = html_proposition(paragraphes) if proposition else html_commentaire(paragraphes)
    _afficher(contenu, texte=" ".join(paragraphes), contrat={"proposition": True} if proposition else None)


def proposition(paragraphes: list[str]) -> None:
    """Display a « Proposition de rédaction » (see :func:`commentaire`)."""
    commentaire(paragraphes, proposition=True)


def proposition_d_une_sortie(sortie: Mapping) -> bool:
    """True when an output of an executed notebook is a proposal not yet reviewed."""
    return bool(_enregistre(sortie).get("proposition"))


def html_analyse_consultant(morceaux: list) -> str:
    """The consultant's analysis in ``div.analyse``: Markdown pieces (str), and the proposed
    synthesis he chose to keep (a list of plain-text paragraphs) where his file says so."""
    parties = [_paragraphes(m) if isinstance(m, list) else _markdown_en_html(m) for m in morceaux]
    return f'<div class="analyse">{"".join(parties)}</div>' if any(parties) else ""


def analyse_consultant(morceaux: list) -> None:
    """Display :func:`html_analyse_consultant` (nothing when it is empty)."""
    contenu = html_analyse_consultant(morceaux)
    if contenu:
        texte = " ".join(" ".join(m) if isinstance(m, list) else re.sub(r"<[^>]+>", " ", m) for m in morceaux)
        _afficher(contenu, texte=texte)
