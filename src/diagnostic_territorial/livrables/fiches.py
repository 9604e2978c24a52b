"""fiches-communes/: two pages per commune (Jinja + WeasyPrint, data computed once for all communes,
one rendering split into one PDF per commune) and fiches-communes.pdf."""

from __future__ import annotations

import base64
import io
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.ecriture import ecrire_octets
from diagnostic_territorial.livrables.commun import CSS_RAPPORT, CSS_LIVRABLES, _jinja, _document_weasyprint, _octets_pdf, _meta
from diagnostic_territorial.livrables.chiffres_cles import (EQUIPEMENTS_FICHE, THEMES_FICHE, IndicateursCles,
                                                            indicateurs_fiche)



# Locator map: the box it may take on the page (mm), its resolution, its colours (rapport.css).
CARTE_LARGEUR_MAX_MM = 80.0
CARTE_HAUTEUR_MAX_MM = 88.0
CARTE_DPI = 200
COULEUR_COMMUNE = "#1f4e79"  # --dt-accent
COULEUR_COMMUNE_TRAIT = "#0e2a45"

# A fiche: key figures, population, families and income on its first page; emploi, logement,
# services and équipements on the second.
PAGES_PAR_FICHE = 2

# The key figures boxed beside the map, in this order of preference (others fill the gaps).
CHIFFRES_PREFERES = ("pop", "tcam", "part_60p", "q2")


@dataclass
class _CartesSituation:
    """One base layer shared by every fiche (an image embedded once in the PDF) and, per commune,
    the highlight drawn over it (SVG path in the pixel frame of the base layer)."""

    fond: str  # base64 JPEG (greys)
    largeur_px: int
    hauteur_px: int
    largeur_mm: float
    hauteur_mm: float
    surlignages: dict[str, dict]  # code -> {"d": path data, "cercle": (cx, cy, r) | None}


def _chemin_svg(geom, transformer) -> str:
    """SVG path data of a (multi)polygon, rings closed, coordinates to 0.1 px."""
    morceaux = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for anneau in [poly.exterior, *poly.interiors]:
            xy = transformer(np.asarray(anneau.coords)[:, :2])
            points = " ".join(f"{x:.1f} {y:.1f}" for x, y in xy)
            morceaux.append(f"M{points}Z")
    return "".join(morceaux)


def _fond_de_situation(etude) -> tuple[list[str], str]:
    """The communes drawn in grey under the locator maps and the caption's « parmi les … »: the
    territory's communes, or for a single commune those of its EPCI (a map of one commune alone
    situates nothing)."""
    from diagnostic_territorial.indicateurs.calcul import epci_de_reference

    codes = list(etude.communes["code"])
    epci = epci_de_reference(etude) if len(codes) == 1 else None
    if epci is None:
        return codes, f"parmi les {len(codes)} communes de {etude.nom_territoire}" if len(codes) > 1 else ""
    from diagnostic_territorial.territoire.resolution import referentiel

    membres = sorted(c for c, r in referentiel()["communes"].items() if r["EPCI"] == epci[0])
    return membres, f"parmi les {len(membres)} communes de {epci[1]}"


def _cartes_de_situation(etude, codes: list[str], dpi: int = CARTE_DPI) -> _CartesSituation | None:
    """Locator maps of `codes` among all the territory's communes (for a single commune: among the
    communes of its EPCI, see `_fond_de_situation`). The base (communes in grey, territory outline,
    scale bar) is drawn once by matplotlib; each commune only adds a small SVG path drawn by
    WeasyPrint on top of it, so a fiche costs almost nothing in drawing or PDF size.
    None when the contours cannot be read (the fiches are produced without a map)."""
    import warnings

    import geopandas as gpd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from diagnostic_territorial.rendu import cartes

    try:
        gdf = cartes.contours_etude(_fond_de_situation(etude)[0], etude.dossier_cache)
    except Exception as e:  # the fiches are still useful without their map
        warnings.warn(f"Fiches communes sans carte de situation : contours des communes illisibles ({e})",
                      stacklevel=2)
        return None
    gdf = gdf.to_crs(cartes.CRS_LAMBERT93)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if gdf.empty:
        return None
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    marge = 0.04 * max(xmax - xmin, ymax - ymin)
    xmin, ymin, xmax, ymax = xmin - marge, ymin - marge, xmax + marge, ymax + marge
    # Page box of the map: as large as the maximum box allows at the territory's proportions.
    rapport = (ymax - ymin) / (xmax - xmin)
    largeur_mm = min(CARTE_LARGEUR_MAX_MM, CARTE_HAUTEUR_MAX_MM / rapport)
    hauteur_mm = largeur_mm * rapport
    largeur_px = max(1, int(round(largeur_mm / 25.4 * dpi)))
    hauteur_px = max(1, int(round(hauteur_mm / 25.4 * dpi)))
    echelle = min(largeur_px / (xmax - xmin), hauteur_px / (ymax - ymin))  # px per metre
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    x0, y1 = cx - largeur_px / 2 / echelle, cy + hauteur_px / 2 / echelle

    fig = Figure(figsize=(largeur_px / dpi, hauteur_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    gdf.plot(ax=ax, color="#e3e3e3", edgecolor="#ffffff", linewidth=0.5)
    contour = gdf.geometry.union_all() if hasattr(gdf.geometry, "union_all") else gdf.geometry.unary_union
    gpd.GeoSeries([contour], crs=gdf.crs).boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.7)
    ax.set_xlim(x0, x0 + largeur_px / echelle)
    ax.set_ylim(y1 - hauteur_px / echelle, y1)
    ax.set_aspect("auto")
    _barre_echelle_situation(ax, x0, y1 - hauteur_px / echelle, largeur_px / echelle)
    fig.canvas.draw()
    largeur_px, hauteur_px = fig.canvas.get_width_height()
    # Greys only: one grey channel, no alpha, as JPEG: WeasyPrint copies a JPEG into each PDF as
    # is, where it would decode and re-compress a PNG for each of them (measured; no visible
    # artefact on these flat greys at this quality).
    tampon = io.BytesIO()
    Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("L").save(tampon, format="JPEG", quality=88)

    def transformer(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - x0) * echelle, (y1 - xy[:, 1]) * echelle))

    voulus = set(codes)
    surlignages = {}
    for code, geom in zip(gdf["code"], gdf.geometry):
        if code not in voulus:
            continue
        gxmin, gymin, gxmax, gymax = geom.bounds
        cercle = None
        if max(gxmax - gxmin, gymax - gymin) * echelle < 0.07 * largeur_px:  # hard to see: ringed
            (px, py), = transformer(np.array([[geom.centroid.x, geom.centroid.y]]))
            cercle = (round(float(px), 1), round(float(py), 1), round(0.075 * largeur_px, 1))
        surlignages[code] = {"d": _chemin_svg(geom, transformer), "cercle": cercle}
    return _CartesSituation(base64.b64encode(tampon.getvalue()).decode("ascii"), largeur_px, hauteur_px,
                            round(largeur_mm, 2), round(hauteur_mm, 2), surlignages)


def _barre_echelle_situation(ax, x0: float, y0: float, largeur_m: float) -> None:
    """A plain scale bar in the bottom-left corner (about a fifth of the map's width)."""
    longueur = next((km * 1000 for km in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if km * 1000 >= largeur_m / 5),
                    1_000_000)
    hauteur = largeur_m * 0.012
    gauche, bas = x0 + largeur_m * 0.04, y0 + largeur_m * 0.04
    ax.plot([gauche, gauche + longueur], [bas, bas], color="#666666", linewidth=1.0, solid_capstyle="butt")
    for x in (gauche, gauche + longueur):
        ax.plot([x, x], [bas, bas + hauteur], color="#666666", linewidth=1.0)
    ax.text(gauche + longueur / 2, bas + hauteur * 1.3, f"{fm.nombre(longueur / 1000)} km", ha="center",
            va="bottom", fontsize=6.5, color="#666666", family="DejaVu Sans")


def _nom_fichier(nom: str, code: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return f"{code}-{re.sub(r'[^a-z0-9]+', '-', ascii_.lower()).strip('-')}.pdf"


def _cle_tri(nom: str) -> str:
    return unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode().lower()


def _ordinal(n: int) -> str:
    return "1re" if n == 1 else f"{n}e"


def _est_marque(texte: str) -> bool:
    return texte in (fm.SECRET, fm.NON_DISPONIBLE)


def _comparaisons_fiche(etude, ic: IndicateursCles) -> list[pd.Series]:
    """The columns each commune is compared with: the territory and every département; for a
    single commune (the territory itself), its EPCI and every département."""
    if len(etude.communes) == 1:
        return ic.lignes_references(("epci", "departement"))
    return [ic.ligne("territoire")] + ic.lignes_references(("departement",))


def _nom_colonne(etude, ligne: pd.Series) -> str:
    return etude.nom_territoire if ligne["niveau"] == "territoire" else str(ligne["libelle"])


def _fiches(etude, ic: IndicateursCles, cartes: _CartesSituation | None) -> list[dict]:
    """The content of every fiche (formatted French text), in the alphabetical order of the names."""
    comparaisons = _comparaisons_fiche(etude, ic)
    communes = ic.table[ic.table["niveau"] == "commune"]
    communes = communes.iloc[communes["libelle"].map(_cle_tri).argsort(kind="stable")]
    renvois = {s: i for i, s in enumerate(ic.sources, start=1)}
    par_cle = {i.cle: i for i in ic.indicateurs}
    cles_chiffres = [k for k in CHIFFRES_PREFERES if k in par_cle]
    cles_chiffres += [i.cle for i in ic.indicateurs if i.cle not in cles_chiffres][: 4 - len(cles_chiffres)]
    rangs = {}
    n_communes = len(etude.communes)
    if "pop" in par_cle and n_communes > 1:
        toutes = ic.table.loc[ic.table["niveau"] == "commune", ["codgeo", "pop"]].dropna()
        rangs = dict(zip(toutes["codgeo"], toutes["pop"].rank(ascending=False, method="min").astype(int)))
    territoire = ic.ligne("territoire")
    lieux = etude.communes.set_index("code")
    from diagnostic_territorial.territoire.resolution import referentiel

    ref = referentiel()
    legende = _fond_de_situation(etude)[1]
    fiches = []
    for _, c in communes.iterrows():
        code = c["codgeo"]
        themes = []
        for theme, cles in THEMES_FICHE:
            lignes = []
            for cle in (k for k, _, _ in cles if k in par_cle):
                i = par_cle[cle]
                valeurs = [ic.texte(ligne, i.cle) for ligne in (c, *comparaisons)]
                lignes.append({"libelle": i.libelle, "renvoi": renvois.get(i.source), "valeurs": valeurs,
                               "marques": [_est_marque(v) for v in valeurs]})
            if lignes:
                themes.append({"titre": theme, "lignes": lignes})
        equipements = []
        for cle in (k for k, _, _ in EQUIPEMENTS_FICHE if k in par_cle):
            i = par_cle[cle]
            valeurs = [ic.texte(c, cle)] + ([ic.texte(territoire, cle)] if n_communes > 1 else [])
            equipements.append({"libelle": i.libelle, "renvoi": renvois.get(i.source), "valeurs": valeurs,
                                "marques": [_est_marque(v) for v in valeurs]})
        cellules = [v for t in themes for l in t["lignes"] for v in l["valeurs"]] + [
            v for l in equipements for v in l["valeurs"]]
        chiffres = []
        for cle in cles_chiffres:
            i = par_cle[cle]
            valeur = ic.texte(c, cle)
            if cle == "pop":
                details = []
                if n_communes > 1 and not fm.est_manquant(c.get("part_territoire")):
                    details.append(f"{fm.pourcentage(c['part_territoire'])} de la population du territoire")
                if code in rangs:
                    details.append(f"{_ordinal(rangs[code])} commune sur {n_communes} par sa population")
            else:
                details = [f"{_nom_colonne(etude, ligne)} : {ic.texte(ligne, cle)}" for ligne in comparaisons]
            chiffres.append({"libelle": i.libelle, "valeur": valeur, "marque": _est_marque(valeur),
                             "details": details})
        dep = str(lieux.at[code, "departement"]) if code in lieux.index else ""
        reg = str(lieux.at[code, "region"]) if code in lieux.index else ""
        fiches.append({
            "code": code, "nom": c["libelle"], "ancre": f"fiche-{code}",
            "carte": cartes.surlignages.get(code) if cartes else None,
            "legende_carte": f"{c['libelle']} (en couleur) {legende}" if legende else str(c["libelle"]),
            "departement": ref["departements"].get(dep, {}).get("LIBELLE", ""),
            "region": ref["regions"].get(reg, {}).get("LIBELLE", ""),
            "chiffres": chiffres, "themes": themes, "equipements": equipements, "compacte": False,
            "signes": {signe: signe in cellules for signe in (fm.SECRET, fm.NON_DISPONIBLE)},
        })
    return fiches


_EXPOSANTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _exposant(texte: str, numero: int) -> str:
    """« Insee, RP 2019 » with its note number as a superscript character (« ² Insee, RP 2019 »):
    plain text, where a <sup> would cost WeasyPrint an inline box on every line of every fiche."""
    renvoi = str(numero).translate(_EXPOSANTS)
    return f"{renvoi}\u202f{texte}" if texte else renvoi


def _css_fiches() -> str:
    """The variables of rapport.css (colours, fonts) and livrables.css: the fiches do not need the
    rest of the report's stylesheet, whose cascade cost WeasyPrint about a fifth of their layout time
    (measured on the 48 fiches of the demo)."""
    from markupsafe import Markup

    variables = re.search(r":root\s*\{[^}]*\}", CSS_RAPPORT.read_text(encoding="utf-8"))
    return Markup((variables.group(0) if variables else "") + "\n" + CSS_LIVRABLES.read_text(encoding="utf-8"))


def _notes_territoire(etude, cles: set[str]) -> list[str]:
    """What the comparison columns are, in the words of the territory's type: an EPCI, a
    département, a list of communes chosen for the study, or a single commune."""
    revenus = bool(cles & {"q2", "tp60", "rd"})
    n = len(etude.communes)
    if n == 1:
        return ["Territoires de référence : l'intercommunalité de la commune et son département."]
    if etude.type_territoire in ("epci", "departement"):
        niveau = "l'intercommunalité" if etude.type_territoire == "epci" else "le département"
        note = f"{etude.nom_territoire} : taux calculés sur l'ensemble de ses {n} communes"
        if revenus:
            note += f" ; revenus et pauvreté tels que l'Insee les publie pour {niveau}, jamais une moyenne des communes"
        return [note + "."]
    note = (f"{etude.nom_territoire} : ensemble des {n} communes retenues pour l'étude, taux calculés sur leur "
            "ensemble")
    if revenus:
        note += (" ; l'Insee ne publie ni revenu médian ni taux de pauvreté pour un regroupement de communes "
                 "qui n'est pas une intercommunalité")
    return [note + "."]


def _rendre_fiches(etude, ic: IndicateursCles, fiches: list[dict], cartes: _CartesSituation | None):
    """One WeasyPrint document for every fiche, two pages each (a fiche that overflows keeps all
    its pages). Returns (document, {ancre: [page indices]})."""
    env = _jinja()
    env.filters["exposant"] = _exposant
    colonnes = _comparaisons_fiche(etude, ic)
    css = _css_fiches()
    if len(colonnes) > 2:  # more than the commune, the territory and one département: narrower columns
        from markupsafe import Markup

        largeur = round(57.0 / (len(colonnes) + 1), 2)
        css = Markup(css + f"\ntable.tableau-fiche col.col-valeur {{ width: {largeur}%; }}"
                           "\ntable.tableau-fiche thead th { font-size: 7.6pt; }")
    if len(etude.communes) == 1:
        titre_tableau = "La commune face à ses territoires de référence"
    elif len(colonnes) > 2:
        titre_tableau = "La commune face au territoire et aux départements"
    else:
        titre_tableau = "La commune face au territoire et au département"
    contenu = env.get_template("fiches_communes.html.j2").render(
        css=css, m=_meta(etude), fiches=fiches, cartes=cartes, sources=ic.sources,
        titre_tableau=titre_tableau,
        entetes=["Commune"] + [_nom_colonne(etude, ligne) for ligne in colonnes],
        geographie=etude.geographie, cles={i.cle for i in ic.indicateurs},
        notes_territoire=_notes_territoire(etude, {i.cle for i in ic.indicateurs}),
        entetes_equipements=["Commune", etude.nom_territoire] if len(etude.communes) > 1 else ["Commune"],
        couleur=COULEUR_COMMUNE, couleur_trait=COULEUR_COMMUNE_TRAIT,
    )
    document = _document_weasyprint(contenu, Path(etude.dossier_livrables))
    pages_par_fiche: dict[str, list[int]] = {}
    courante = None
    for n, page in enumerate(document.pages):
        ancres = [a for a in page.anchors if a.startswith("fiche-")]
        if ancres:
            courante = ancres[0]
        if courante:
            pages_par_fiche.setdefault(courante, []).append(n)
    return document, pages_par_fiche


def fiches_communes(etude, ic: IndicateursCles | None = None) -> dict:
    """Two A4 pages per commune: livrables/fiches-communes/<code>-<nom>.pdf and the combined
    livrables/fiches-communes.pdf (same pages, alphabetical order).

    Indicators are computed once for all communes, the locator maps share one base layer, all the
    fiches are laid out in one WeasyPrint document, and each commune's PDF is a copy of its page.
    A fiche too long for two pages (a long name, wide fonts) is laid out again in a compact style.
    Every file is built in memory first, then written atomically: a failure leaves the previous
    fiches intact. Returns {"fichiers": [...], "combine": Path, "pages": {ancre: n}, "secondes": {...}}.
    """
    debut = time.perf_counter()
    ic = ic or indicateurs_fiche(etude)
    t_donnees = time.perf_counter()
    codes = list(ic.table.loc[ic.table["niveau"] == "commune", "codgeo"])
    cartes = _cartes_de_situation(etude, codes)
    fiches = _fiches(etude, ic, cartes)
    t_cartes = time.perf_counter()
    document, pages_par_fiche = _rendre_fiches(etude, ic, fiches, cartes)
    trop_longues = {k for k, v in pages_par_fiche.items() if len(v) > PAGES_PAR_FICHE}
    if trop_longues:
        for f in fiches:
            f["compacte"] = f["ancre"] in trop_longues
        document, pages_par_fiche = _rendre_fiches(etude, ic, fiches, cartes)
    t_rendu = time.perf_counter()
    dossier = Path(etude.dossier_livrables)
    sous_dossier = dossier / "fiches-communes"
    a_ecrire = {dossier / "fiches-communes.pdf": _octets_pdf(document)}
    for f in fiches:
        pages = [document.pages[n] for n in pages_par_fiche.get(f["ancre"], [])]
        a_ecrire[sous_dossier / _nom_fichier(f["nom"], f["code"])] = _octets_pdf(document.copy(pages))
    t_pdf = time.perf_counter()
    for chemin, contenu in a_ecrire.items():
        ecrire_octets(chemin, contenu)
    for ancien in sous_dossier.glob("*.pdf"):  # communes that left the study
        if ancien not in a_ecrire:
            ancien.unlink()
    fin = time.perf_counter()
    n = max(len(fiches), 1)
    return {
        "fichiers": [c for c in a_ecrire if c.parent == sous_dossier],
        "combine": dossier / "fiches-communes.pdf",
        "pages": {k: len(v) for k, v in pages_par_fiche.items()},
        "secondes": {"donnees": t_donnees - debut, "cartes": t_cartes - t_donnees, "rendu": t_rendu - t_cartes,
                     "pdf": t_pdf - t_rendu, "ecriture": fin - t_pdf, "total": fin - debut,
                     "par_commune": (fin - debut) / n},
    }


# --------------------------------------------------------------------------------------------
# 4. Support de présentation
# --------------------------------------------------------------------------------------------

