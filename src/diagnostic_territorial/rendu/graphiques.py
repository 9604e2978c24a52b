"""One consistent chart style for the report, and the chart helpers the chapters call.

Every helper returns a :class:`matplotlib.figure.Figure` that carries its title (top left) and its
source line (bottom left, small grey), sized for the text width of an A4 page. Figures are built
with the object-oriented API (``matplotlib.figure.Figure``), not through pyplot: they are never
registered in pyplot's figure manager, so nothing accumulates in memory and nothing is displayed
twice in a notebook; :func:`fermer` releases one explicitly when a caller used pyplot anyway.
Output is deterministic (no randomness, fixed sizes and fonts).

Every figure also carries ``fig.texte_alternatif``: a sentence written from its data (what it shows,
its extremes, its references), used as the ``alt`` text of its image in the report and available to
other exports. Figures are sized so that no text prints under 7 pt in the PDF
(:func:`police_minimale_imprimee`): the report prints a chart at most LARGEUR_IMPRESSION_MM wide and
HAUTEUR_IMPRESSION_FIGURE_MM high (templates/rapport/static/rapport.css).
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Callable, Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FuncFormatter, MaxNLocator

from diagnostic_territorial.rendu import formats as fm

# Text width of an A4 page with 2.2 cm margins: 16.6 cm.
LARGEUR_A4 = 6.5  # inches
DPI = 150

# Territory first, then the references (département, région, France): the territory stands out,
# the references are quieter.
COULEUR_TERRITOIRE = "#1f6f8b"
COULEUR_DEPARTEMENT = "#e08a3c"
COULEUR_REGION = "#7c9a3d"
COULEUR_FRANCE = "#8a8a8a"
PALETTE = [COULEUR_TERRITOIRE, COULEUR_DEPARTEMENT, COULEUR_REGION, COULEUR_FRANCE,
           "#9b5fa5", "#c9b037", "#4f9fb0", "#b5533c"]
COULEUR_HOMMES = "#3a7ca5"
COULEUR_FEMMES = "#d1785c"
GRIS_SOURCE = "#666666"
GRIS_TEXTE = "#333333"

TAILLE_TITRE = 11
TAILLE_TEXTE = 9
TAILLE_SOURCE = 7.5
TAILLE_ETIQUETTE = 7.5  # values written on the bars, legends

# Print size (templates/rapport/static/rapport.css, @media print): an A4 page with 18 mm side
# margins gives 174 mm of text width; a chart's image is at most 165 mm high (div.figure img), a
# static map's 150 mm (div.carte-statique img). An image wider or taller is scaled down, and its
# texts with it: the figures below stay within those sizes (with the PNG's margins), so that their
# smallest text (7 pt) prints at 7 pt or more.
LARGEUR_IMPRESSION_MM = 210.0 - 2 * 18.0
HAUTEUR_IMPRESSION_FIGURE_MM = 165.0
HAUTEUR_IMPRESSION_CARTE_MM = 150.0
POLICE_MIN_IMPRIMEE = 7.0  # pt
MARGE_PNG = 0.08  # inches around the tight bounding box (presentation.png_base64)
_MM = 25.4
HAUTEUR_MAX = round(HAUTEUR_IMPRESSION_FIGURE_MM / _MM - 2 * MARGE_PNG - 0.1, 2)  # 6.24 in
PAS_BARRE = 0.155  # inches per bar of barres_horizontales: room for a 7.5 pt label and its spacing
LIGNES_MAX = 30  # bars that fit in HAUTEUR_MAX; callers show the extremes beyond (chapitres.extremes)

Formateur = Callable[..., str]


def appliquer_style() -> None:
    """Set the report's seaborn/matplotlib style (call once per notebook; idempotent)."""
    sns.set_theme(context="paper", style="whitegrid", palette=PALETTE)
    plt.rcParams.update(
        {
            "figure.figsize": (LARGEUR_A4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "font.family": "DejaVu Sans",
            "font.size": TAILLE_TEXTE,
            "axes.titlesize": TAILLE_TITRE,
            "axes.labelsize": TAILLE_TEXTE,
            "axes.labelcolor": GRIS_TEXTE,
            "axes.edgecolor": "#999999",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#e3e3e3",
            "grid.linewidth": 0.6,
            "xtick.labelsize": 8,
            "ytick.labelsize": 8,
            "xtick.color": GRIS_TEXTE,
            "ytick.color": GRIS_TEXTE,
            "legend.fontsize": 8,
            "legend.frameon": False,
            "axes.formatter.use_locale": False,
            "svg.hashsalt": "diagnostic-territorial",
        }
    )


def formateur_axe(format_valeur: Formateur | None = None) -> FuncFormatter:
    """A tick formatter writing numbers the French way (decimal comma, narrow-space groups)."""
    fonction = _format_axe(format_valeur)
    return FuncFormatter(lambda v, _pos: fonction(v))


def _format_axe(format_valeur: Formateur | None) -> Formateur:
    """Ticks need fewer decimals than labels: 10 % rather than 10,0 %, but as many as the tick
    has (2,5 %, never a rounded 3 % beside a 2 % that is 1,25 %)."""
    if format_valeur is None or format_valeur is fm.nombre:
        return lambda v: _nombre_axe(v)
    if format_valeur is fm.pourcentage:
        return lambda v: fm.pourcentage(v, _decimales(v * 100))
    if format_valeur is fm.euros:
        return lambda v: fm.euros(v, _decimales(v))
    if format_valeur is fm.evolution:
        return lambda v: fm.evolution(v, max(_decimales(v * 100), 1) if v else 0)
    return format_valeur


def _decimales(v: float, maximum: int = 2) -> int:
    """The fewest decimals (up to `maximum`) that write `v` exactly."""
    for d in range(maximum + 1):
        if abs(round(v, d) - v) < 1e-9 * max(1.0, abs(v)):
            return d
    return maximum


def _nombre_axe(v: float) -> str:
    return fm.nombre(v, 0 if float(v).is_integer() or abs(v) >= 10 else 1)


def nouvelle_figure(hauteur: float = 3.6, largeur: float = LARGEUR_A4, **kwargs) -> tuple[Figure, object]:
    """A figure outside pyplot's manager, with one axes, constrained layout."""
    fig = Figure(figsize=(largeur, hauteur), layout="constrained", dpi=100)
    ax = fig.add_subplot(**kwargs)
    return fig, ax


def ajouter_titre(fig: Figure, titre: str, largeur_caracteres: int = 64) -> None:
    """The chart title, top left, wrapped to the figure width."""
    texte = "\n".join(textwrap.wrap(titre, largeur_caracteres)) if titre else ""
    fig.suptitle(texte, x=0.01, ha="left", fontsize=TAILLE_TITRE, fontweight="bold", color=GRIS_TEXTE)


def ajouter_source(fig: Figure, texte: str) -> None:
    """The source line, bottom left, small grey (kept inside the saved image by the layout)."""
    # "Insee, RP 2019" -> "Source : Insee, RP 2019"; a line already labelled ("Source : ...",
    # "Fond de carte : ...") is kept as is.
    if texte and " : " not in texte.split("\n")[0]:
        texte = "Source : " + texte
    # a long line would widen the image, and the PDF would shrink every text of the figure
    texte = "\n".join(l for ligne in (texte or "").split("\n") for l in (textwrap.wrap(ligne, 105) or [""]))
    fig.supxlabel(texte or "", x=0.01, ha="left", fontsize=TAILLE_SOURCE, color=GRIS_SOURCE,
                  fontweight="normal")


def fermer(fig) -> None:
    """Release a figure (needed only for figures made through pyplot)."""
    plt.close(fig)


def textes(fig: Figure) -> list[str]:
    """Every text drawn in the figure (title, source, labels, legend): handy for tests."""
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


# --- Print size --------------------------------------------------------------------------------


def taille_png(fig: Figure, dpi: int = 100) -> tuple[float, float]:
    """Width and height (inches) of the figure's image as the report saves it (tight bounding box
    plus MARGE_PNG on each side, see presentation.png_base64)."""
    from PIL import Image

    tampon = io.BytesIO()
    fig.savefig(tampon, format="png", dpi=dpi, bbox_inches="tight", pad_inches=MARGE_PNG, facecolor="white")
    tampon.seek(0)
    with Image.open(tampon) as image:
        largeur, hauteur = image.size
    return largeur / dpi, hauteur / dpi


def echelle_impression(fig: Figure, hauteur_max_mm: float = HAUTEUR_IMPRESSION_FIGURE_MM) -> float:
    """How much the PDF scales the figure's texts: its image (DPI pixels per inch, laid out at the
    CSS 96 px per inch) is shrunk to the text width and to `hauteur_max_mm` when larger."""
    largeur, hauteur = taille_png(fig)
    return min(DPI / 96, LARGEUR_IMPRESSION_MM / (largeur * _MM), hauteur_max_mm / (hauteur * _MM))


def police_minimale_imprimee(fig: Figure, hauteur_max_mm: float = HAUTEUR_IMPRESSION_FIGURE_MM) -> float:
    """The size (pt) of the figure's smallest text once printed in the PDF (see echelle_impression)."""
    tailles = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text)
               if t.get_visible() and t.get_text().strip()]
    return min(tailles) * echelle_impression(fig, hauteur_max_mm) if tailles else math.inf


def largeur_texte(texte: str, taille: float, gras: bool = False) -> float:
    """Width (points) of a one-line text in the report's font, without drawing anything."""
    proprietes = FontProperties(family="DejaVu Sans", size=taille, weight="bold" if gras else "normal")
    return float(_TEXTE_EN_CHEMIN.get_text_width_height_descent(texte, proprietes, ismath=False)[0])


_TEXTE_EN_CHEMIN = TextToPath()


# --- Alternative text --------------------------------------------------------------------------


def _un_texte(texte) -> str:
    return " ".join(str(texte or "").split())


def texte_alternatif(titre: str, libelles, valeurs, format_valeur: Formateur = fm.nombre,
                     references=None, secrets=None, detail: int = 8, elements: str | None = None) -> str:
    """A sentence that says what a chart or a map shows, written from its data: up to `detail`
    values all listed (« Revenu médian : Rieumes : 19 500 €, Noé : 23 000 € »), beyond that the
    extremes (« Part des moins de 3 ans par commune : de 1,2 % (X) à 4,8 % (Y) »), then the
    references (« ; CC Cœur de Garonne : 3,1 % ») and how many values are not published
    (`elements`, e.g. "communes", names them)."""
    noms = [_un_texte(n) for n in libelles]
    nombres = pd.to_numeric(pd.Series(list(valeurs), dtype="object"), errors="coerce").astype(float).tolist()
    masques = [bool(x) for x in secrets] if secrets is not None else [False] * len(noms)
    parties = []
    publies = [(n, v) for n, v in zip(noms, nombres) if not math.isnan(v)]
    if 0 < len(noms) <= detail:
        parties.append(", ".join(f"{n} : {fm.manquant(s) if math.isnan(v) else format_valeur(v)}"
                                 for n, v, s in zip(noms, nombres, masques)))
    elif publies:
        bas = min(publies, key=lambda p: p[1])
        haut = max(publies, key=lambda p: p[1])
        if format_valeur(bas[1]) == format_valeur(haut[1]):
            parties.append(f"{format_valeur(bas[1])} partout")
        else:
            parties.append(f"de {format_valeur(bas[1])} ({bas[0]}) à {format_valeur(haut[1])} ({haut[0]})")
    manquants = len(noms) - len(publies)
    if manquants and len(noms) > detail:
        n_secrets = sum(1 for v, s in zip(nombres, masques) if math.isnan(v) and s)
        quoi = f"{manquants} {elements} sur {len(noms)}" if elements else f"{manquants} sur {len(noms)}"
        raison = ("secret statistique" if n_secrets == manquants else
                  "non disponible" if not n_secrets else "secret statistique ou non disponible")
        parties.append(f"{quoi} sans valeur publiée ({raison})")
    parties += [f"{_un_texte(nom)} : {format_valeur(v)}" for nom, v in _references(references)]
    titre = _un_texte(titre)
    if not parties:
        return titre
    return (f"{titre} : " if titre else "") + " ; ".join(parties) + "."


def _references(reference) -> list[tuple[str, float]]:
    if reference is None:
        return []
    if isinstance(reference, Mapping):
        items = list(reference.items())
    elif isinstance(reference, (int, float, np.floating)):
        items = [("Référence", float(reference))]
    else:
        items = list(reference)
    return [(str(k), float(v)) for k, v in items if not fm.est_manquant(v)]


# --- Charts ------------------------------------------------------------------------------------


def barres_horizontales(
    df: pd.DataFrame,
    x: str,
    y: str,
    titre: str,
    source: str,
    format_valeur: Formateur = fm.nombre,
    reference: Mapping[str, float] | float | None = None,
    couleur: str = COULEUR_TERRITOIRE,
    colonne_secret: str | None = None,
    coupure: int | None = None,
    texte_coupure: str = "",
) -> Figure:
    """One horizontal bar per row (e.g. median income per commune), its value written on it.

    `reference` draws vertical dashed lines (e.g. {"CC Cœur de Garonne": 21800, "Haute-Garonne":
    23000}), named in the legend with their formatted value. Missing values get no bar but an
    "s" (secret, when `colonne_secret` says so) or "n.d." mark: never a zero-length bar. Negative
    values are drawn to the left of a zero line. A value is written in white at the base of its
    bar when it fits there, otherwise just past the end of the bar. Rows are drawn in the order of
    `df`, first row at the top; `coupure` (a row position) leaves a gap before that row, with
    `texte_coupure` in it (« … 28 autres communes … »), for two groups such as the highest and
    the lowest communes. The figure holds up to LIGNES_MAX rows at full print size.
    """
    donnees = df.reset_index(drop=True)
    valeurs = pd.to_numeric(donnees[x], errors="coerce").astype(float)
    secrets = (donnees[colonne_secret].fillna(False).astype(bool) if colonne_secret in donnees
               else pd.Series(False, index=donnees.index))
    etiquettes = donnees[y].astype(str).tolist()
    n = len(donnees)
    refs = _references(reference)
    coupe = coupure is not None and 0 < coupure < n
    lignes = n + (1 if coupe else 0)
    entete = 1.15 + 0.2 * len(textwrap.wrap(titre or "", 64)) + 0.17 * math.ceil(len(refs) / 2)
    hauteur = max(entete + PAS_BARRE * lignes, 2.0)
    if lignes <= LIGNES_MAX:
        hauteur = min(hauteur, HAUTEUR_MAX)
    fig, ax = nouvelle_figure(hauteur=hauteur)
    # top row first; with a cut, the rows after it one step lower (the gap holds its text)
    positions = np.array([lignes - 1 - i - (1 if coupe and i >= coupure else 0) for i in range(n)], dtype=float)
    ax.barh(positions, valeurs.fillna(0), color=couleur, height=0.7, zorder=2)
    ax.set_yticks(positions, etiquettes)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(formateur_axe(format_valeur))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.set_ylim(-0.6, lignes - 0.4)

    # Value labels: inside the bar (white, at its base) when they fit, else just past its end.
    # The x range is solved for the labels written outside, from the widths of the texts.
    textes_valeurs = [fm.manquant(bool(s)) if math.isnan(v) else format_valeur(v) for v, s in zip(valeurs, secrets)]
    larges = [largeur_texte(t, TAILLE_ETIQUETTE, gras=True) for t in textes_valeurs]
    taille_noms = plt.rcParams["ytick.labelsize"]
    taille_noms = taille_noms if isinstance(taille_noms, (int, float)) else 8.0
    noms = max((largeur_texte(e, taille_noms) for e in etiquettes), default=0.0)
    largeur_axe = max((LARGEUR_A4 - 0.35) * 72 - noms, 72.0)  # points
    marge = 3.0  # points between a label and the bar's base or end
    publiees = [v for v in valeurs if not math.isnan(v)]
    bas = min(publiees + [v for _, v in refs] + [0.0])
    haut = max(publiees + [v for _, v in refs] + [0.0])
    if bas == haut:
        haut = bas + 1.0
    limites = (bas, haut)
    dedans = [False] * n
    for _ in range(6):
        gauche, droite = limites
        par_point = (droite - gauche) / largeur_axe  # data units per point
        dedans = [not math.isnan(v) and abs(v) / par_point >= w + 2 * marge for v, w in zip(valeurs, larges)]
        besoins = [bas, haut]
        for v, w, d in zip(valeurs, larges, dedans):
            if math.isnan(v):
                besoins.append((w + 2 * marge) * par_point)
            elif not d:
                besoins.append(v + math.copysign(w + 2 * marge, v if v else 1.0) * par_point)
        etendue = max(besoins) - min(besoins)
        nouvelles = (min(besoins) - (0.02 * etendue if min(besoins) < 0 else 0.0),
                     max(besoins) + 0.03 * etendue)
        if np.allclose(nouvelles, limites, rtol=1e-3, atol=1e-12):
            break
        limites = nouvelles
    ax.set_xlim(*limites)
    par_point = (limites[1] - limites[0]) / largeur_axe
    for pos, v, s, texte, d, w in zip(positions, valeurs, secrets, textes_valeurs, dedans, larges):
        if math.isnan(v):
            ax.text(marge * par_point, pos, texte, va="center", ha="left", fontsize=TAILLE_ETIQUETTE,
                    color=GRIS_TEXTE, zorder=5)
        elif d:
            # a reference line crossing the value is hidden behind it (a box of the bar's colour)
            debut, fin = sorted((math.copysign(marge * par_point, v), math.copysign((marge + w) * par_point, v)))
            croise = any(debut - marge * par_point <= r <= fin + marge * par_point for _, r in refs)
            ax.text(math.copysign(marge * par_point, v), pos, texte, va="center", ha="left" if v >= 0 else "right",
                    fontsize=TAILLE_ETIQUETTE, color="white", fontweight="bold", zorder=5,
                    bbox=dict(boxstyle="square,pad=0.05", facecolor=couleur, edgecolor="none") if croise else None)
        else:
            ax.text(v + math.copysign(marge * par_point, v if v else 1.0), pos, texte, va="center",
                    ha="left" if v >= 0 else "right", fontsize=TAILLE_ETIQUETTE, color=GRIS_TEXTE,
                    fontweight="bold", zorder=5,
                    bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85))
    if bas < 0:
        ax.axvline(0, color="#777777", linewidth=0.8, zorder=3)
    if coupe:
        y_coupure = lignes - 1 - coupure
        ax.axhline(y_coupure, color="#aaaaaa", linewidth=0.6, linestyle=(0, (2, 2)), zorder=1)
        if texte_coupure:
            ax.text(0.5, y_coupure, texte_coupure, transform=ax.get_yaxis_transform(), ha="center", va="center",
                    fontsize=TAILLE_ETIQUETTE, color=GRIS_SOURCE, style="italic", zorder=6,
                    bbox=dict(boxstyle="square,pad=0.2", facecolor="white", edgecolor="none"))
    styles = ["--", ":", "-.", (0, (5, 1))]
    couleurs = [COULEUR_DEPARTEMENT, COULEUR_FRANCE, COULEUR_REGION, "#9b5fa5"]
    if refs:
        couleurs = ([GRIS_TEXTE] + couleurs) if len(refs) > 1 else couleurs
    for i, (nom, v) in enumerate(refs):
        ax.axvline(v, color=couleurs[i % len(couleurs)], linestyle=styles[i % len(styles)],
                   linewidth=1.3, zorder=4, label=f"{nom} : {format_valeur(v)}")
    if refs:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(refs), 2),
                  fontsize=TAILLE_ETIQUETTE, frameon=False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ajouter_titre(fig, titre)
    ajouter_source(fig, source)
    fig.texte_alternatif = texte_alternatif(titre, etiquettes, valeurs, format_valeur, refs, secrets)
    return fig


def barres_comparees(
    df: pd.DataFrame,
    categorie: str,
    valeur: str,
    groupe: str,
    titre: str,
    source: str,
    format_valeur: Formateur = fm.pourcentage,
    ordre_groupes: list[str] | None = None,
    ordre_categories: list[str] | None = None,
    etiquettes: bool | None = None,
) -> Figure:
    """Grouped vertical bars: for each category (e.g. an age band), one bar per territory.

    `df` is long: one row per (categorie, groupe). Groups keep their order of appearance (put the
    territory first, then département, région, France) unless `ordre_groupes` is given; the first
    group gets the territory colour. Values are written above the bars (below a negative one) when
    there are few of them; the axis includes 0 and the negative values.
    """
    groupes = ordre_groupes or list(dict.fromkeys(df[groupe].astype(str)))
    categories = ordre_categories or list(dict.fromkeys(df[categorie].astype(str)))
    table = (df.assign(**{groupe: df[groupe].astype(str), categorie: df[categorie].astype(str)})
             .pivot_table(index=categorie, columns=groupe, values=valeur, aggfunc="first", dropna=False)
             .reindex(index=categories, columns=groupes))
    n_g, n_c = len(groupes), len(categories)
    fig, ax = nouvelle_figure(hauteur=3.8)
    largeur = 0.8 / max(n_g, 1)
    x = np.arange(n_c)
    if etiquettes is None:
        etiquettes = n_g * n_c <= 16
    for i, g in enumerate(groupes):
        vals = table[g].astype(float).to_numpy()
        pos = x - 0.4 + largeur * (i + 0.5)
        ax.bar(pos, np.nan_to_num(vals), width=largeur * 0.92, color=PALETTE[i % len(PALETTE)],
               label=g, zorder=2)
        if etiquettes:
            for p, v in zip(pos, vals):
                negatif = not np.isnan(v) and v < 0
                ax.text(p, (0 if np.isnan(v) else v), format_valeur(v) if not np.isnan(v) else "n.d.",
                        ha="center", va="top" if negatif else "bottom", fontsize=7, color=GRIS_TEXTE)
    ax.set_xticks(x, ["\n".join(textwrap.wrap(c, 14)) for c in categories])
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(formateur_axe(format_valeur))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    tout = table.to_numpy(dtype=float)
    if np.isfinite(tout).any():
        haut, bas = max(np.nanmax(tout), 0.0), min(np.nanmin(tout), 0.0)
        etendue = (haut - bas) or 1.0
        ax.set_ylim(bas - (0.12 * etendue if bas < 0 else 0.0), haut + (0.12 * etendue if haut > 0 else 0.0))
        if bas < 0:
            ax.axhline(0, color="#777777", linewidth=0.8, zorder=3)
    else:
        ax.set_ylim(0, 1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(n_g, 4), fontsize=TAILLE_ETIQUETTE, frameon=False)
    ajouter_titre(fig, titre)
    ajouter_source(fig, source)
    fig.texte_alternatif = (_un_texte(titre) + " : " + " ; ".join(
        f"{_un_texte(c)} : " + ", ".join(f"{_un_texte(g)} {format_valeur(v) if not fm.est_manquant(v) else fm.NON_DISPONIBLE}"
                                       for g, v in zip(groupes, table.loc[c]))
        for c in categories) + ".") if n_c else _un_texte(titre)
    return fig


def pyramide_ages(
    hommes: pd.Series,
    femmes: pd.Series,
    titre: str,
    source: str,
    format_valeur: Formateur = fm.nombre,
    en_part: bool = False,
) -> Figure:
    """Age pyramid: men to the left, women to the right, youngest band at the bottom.

    `hommes` and `femmes` are indexed by age band label, youngest first (same index). With
    `en_part=True` the bars are shares of the total population (format as percentages).
    """
    femmes = femmes.reindex(hommes.index)
    h = hommes.astype(float).to_numpy()
    f = femmes.astype(float).to_numpy()
    if en_part:
        total = np.nansum(h) + np.nansum(f)
        h, f = h / total, f / total
        if format_valeur is fm.nombre:
            format_valeur = fm.pourcentage
    n = len(hommes)
    fig, ax = nouvelle_figure(hauteur=min(1.6 + 0.32 * n, HAUTEUR_MAX))
    pos = np.arange(n)
    ax.barh(pos, -np.nan_to_num(h), color=COULEUR_HOMMES, height=0.8, label="Hommes", zorder=2)
    ax.barh(pos, np.nan_to_num(f), color=COULEUR_FEMMES, height=0.8, label="Femmes", zorder=2)
    maximum = np.nanmax(np.concatenate([h, f])) if n else 1
    ax.set_xlim(-maximum * 1.25, maximum * 1.25)
    for p, vh, vf in zip(pos, h, f):
        ax.text(-(0 if np.isnan(vh) else vh) - maximum * 0.02, p,
                format_valeur(vh) if not np.isnan(vh) else "n.d.", ha="right", va="center", fontsize=7.5,
                color=GRIS_TEXTE)
        ax.text((0 if np.isnan(vf) else vf) + maximum * 0.02, p,
                format_valeur(vf) if not np.isnan(vf) else "n.d.", ha="left", va="center", fontsize=7.5,
                color=GRIS_TEXTE)
    ax.set_yticks(pos, [str(i) for i in hommes.index])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    axe = _format_axe(format_valeur)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: axe(abs(v))))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))
    ax.axvline(0, color="#999999", linewidth=0.8, zorder=3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=8, frameon=False)
    ajouter_titre(fig, titre)
    ajouter_source(fig, source)
    parties = [f"hommes : {format_valeur(np.nansum(h))}, femmes : {format_valeur(np.nansum(f))}"] if n else []
    ensemble = np.nan_to_num(h) + np.nan_to_num(f)
    if n > 1 and ensemble.max() > ensemble.min():
        i_haut, i_bas = int(np.argmax(ensemble)), int(np.argmin(ensemble))
        for quoi, i in (("tranche la plus nombreuse", i_haut), ("la moins nombreuse", i_bas)):
            parties.append(f"{quoi} : {hommes.index[i]} (hommes {format_valeur(h[i])}, "
                           f"femmes {format_valeur(f[i])})")
    fig.texte_alternatif = _un_texte(titre) + (" : " + " ; ".join(parties) + "." if parties else "")
    return fig
