"""One consistent chart style for the report, and the chart helpers the chapters call.

Every helper returns a :class:`matplotlib.figure.Figure` that carries its title (top left) and its
source line (bottom left, small grey), sized for the text width of an A4 page. Figures are built
with the object-oriented API (``matplotlib.figure.Figure``), not through pyplot: they are never
registered in pyplot's figure manager, so nothing accumulates in memory and nothing is displayed
twice in a notebook; :func:`fermer` releases one explicitly when a caller used pyplot anyway.
Output is deterministic (no randomness, fixed sizes and fonts).
"""

from __future__ import annotations

import textwrap
from typing import Callable, Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
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
    """Ticks need fewer decimals than labels: 10 % rather than 10,0 %."""
    if format_valeur is None or format_valeur is fm.nombre:
        return lambda v: _nombre_axe(v)
    if format_valeur is fm.pourcentage:
        return lambda v: fm.pourcentage(v, 0)
    if format_valeur is fm.euros:
        return lambda v: fm.euros(v, 0)
    if format_valeur is fm.evolution:
        return lambda v: fm.evolution(v, 1)
    return format_valeur


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
    fig.supxlabel(texte or "", x=0.01, ha="left", fontsize=TAILLE_SOURCE, color=GRIS_SOURCE,
                  fontweight="normal")


def fermer(fig) -> None:
    """Release a figure (needed only for figures made through pyplot)."""
    plt.close(fig)


def textes(fig: Figure) -> list[str]:
    """Every text drawn in the figure (title, source, labels, legend): handy for tests."""
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


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
) -> Figure:
    """One horizontal bar per row (e.g. median income per commune), value written at the bar end.

    `reference` draws vertical dashed lines (e.g. {"CC Cœur de Garonne": 21800, "Haute-Garonne":
    23000}), named in the legend with their formatted value. Missing values get no bar but an
    "s" (secret, when `colonne_secret` says so) or "n.d." mark: never a zero-length bar.
    Rows are drawn in the order of `df`, first row at the top.
    """
    donnees = df.reset_index(drop=True)
    valeurs = pd.to_numeric(donnees[x], errors="coerce").astype(float)
    secrets = (donnees[colonne_secret].fillna(False).astype(bool) if colonne_secret in donnees
               else pd.Series(False, index=donnees.index))
    etiquettes = donnees[y].astype(str).tolist()
    n = len(donnees)
    fig, ax = nouvelle_figure(hauteur=min(1.4 + 0.24 * n, 11.0))
    positions = np.arange(n)[::-1]
    ax.barh(positions, valeurs.fillna(0), color=couleur, height=0.7,
            zorder=2)
    ax.set_yticks(positions, etiquettes)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(formateur_axe(format_valeur))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    maximum = np.nanmax(valeurs.to_numpy()) if valeurs.notna().any() else 1.0
    refs = _references(reference)
    borne = max([maximum] + [v for _, v in refs])
    ax.set_xlim(0, borne * 1.04)
    decalage = borne * 0.012
    for pos, v, s in zip(positions, valeurs, secrets):
        # Values are written inside the bars, at their base: clear of the reference lines.
        if np.isnan(v):
            ax.text(decalage, pos, fm.manquant(bool(s)), va="center", ha="left", fontsize=7.5,
                    color=GRIS_TEXTE, zorder=3)
        else:
            ax.text(decalage, pos, format_valeur(v), va="center", ha="left", fontsize=7.5,
                    color="white", fontweight="bold", zorder=3)
    styles = ["--", ":", "-.", (0, (5, 1))]
    couleurs = [COULEUR_DEPARTEMENT, COULEUR_FRANCE, COULEUR_REGION, "#9b5fa5"]
    if refs:
        couleurs = ([GRIS_TEXTE] + couleurs) if len(refs) > 1 else couleurs
    for i, (nom, v) in enumerate(refs):
        ax.axvline(v, color=couleurs[i % len(couleurs)], linestyle=styles[i % len(styles)],
                   linewidth=1.3, zorder=4, label=f"{nom} : {format_valeur(v)}")
    if refs:
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(len(refs), 2),
                  fontsize=7.5, frameon=False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ajouter_titre(fig, titre)
    ajouter_source(fig, source)
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
    group gets the territory colour. Values are written above the bars when there are few of them.
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
                ax.text(p, (0 if np.isnan(v) else v), format_valeur(v) if not np.isnan(v) else "n.d.",
                        ha="center", va="bottom", fontsize=6.5, color=GRIS_TEXTE)
    ax.set_xticks(x, ["\n".join(textwrap.wrap(c, 14)) for c in categories])
    ax.tick_params(axis="x", length=0)
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(formateur_axe(format_valeur))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
    ax.set_ylim(0, np.nanmax(table.to_numpy(dtype=float)) * 1.12 if table.notna().any().any() else 1)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=min(n_g, 4), fontsize=7.5, frameon=False)
    ajouter_titre(fig, titre)
    ajouter_source(fig, source)
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
    fig, ax = nouvelle_figure(hauteur=min(1.6 + 0.32 * n, 8.0))
    pos = np.arange(n)
    ax.barh(pos, -np.nan_to_num(h), color=COULEUR_HOMMES, height=0.8, label="Hommes", zorder=2)
    ax.barh(pos, np.nan_to_num(f), color=COULEUR_FEMMES, height=0.8, label="Femmes", zorder=2)
    maximum = np.nanmax(np.concatenate([h, f])) if n else 1
    ax.set_xlim(-maximum * 1.25, maximum * 1.25)
    for p, vh, vf in zip(pos, h, f):
        ax.text(-(0 if np.isnan(vh) else vh) - maximum * 0.02, p,
                format_valeur(vh) if not np.isnan(vh) else "n.d.", ha="right", va="center", fontsize=7,
                color=GRIS_TEXTE)
        ax.text((0 if np.isnan(vf) else vf) + maximum * 0.02, p,
                format_valeur(vf) if not np.isnan(vf) else "n.d.", ha="left", va="center", fontsize=7,
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
    return fig
