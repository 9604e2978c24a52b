"""Leaflet once in the HTML report: the maps' iframes stay sandboxed and get the library from the
report by message. Checked on the markup, then in a real browser (headless Chromium) when present."""

import re

import geopandas as gpd
import pytest

from conftest import onglet_chromium, sans_chromium
from shapely.geometry import box

from diagnostic_territorial.rendu import cartes

from diagnostic_territorial.rendu import cartes_partagees
from diagnostic_territorial.rendu import presentation as pr

ENTETE_LEAFLET = "Leaflet 1.9.3, a JS library for interactive maps"


def _gdf(valeurs):
    return gpd.GeoDataFrame({"code": ["31001", "31002", "31003"], "nom": ["A", "B", "C"], "valeur": valeurs},
                            geometry=[box(1.0, 43.0, 1.1, 43.1), box(1.1, 43.0, 1.2, 43.1),
                                      box(1.2, 43.0, 1.3, 43.1)], crs="EPSG:4326")


@pytest.fixture(scope="module")
def deux_cartes():
    if cartes._ressources_hors_ligne() is None:
        pytest.skip("folium-offline absent : Leaflet n'est pas embarqué")
    return [pr.html_carte(_gdf([1.0, 2.0, 3.0]), "valeur", "Première carte", "Source : test", tuiles=False, k=3),
            pr.html_carte(_gdf([5.0, 1.0, 3.0]), "valeur", "Seconde carte", "Source : test", tuiles=False, k=3)]


def test_une_carte_seule_reste_autonome(deux_cartes):
    """In a notebook, a map's iframe carries Leaflet and runs its script at once (JupyterLab)."""
    seule = deux_cartes[0]
    assert seule.count(ENTETE_LEAFLET) == 1
    assert "&lt;script data-dt-carte&gt;" in seule and 'type=&quot;text/plain&quot;' not in seule


def test_bibliotheque_une_seule_fois(deux_cartes):
    allegees, bibliotheques = zip(*(cartes_partagees.alleger_sortie(c) for c in deux_cartes))
    assert bibliotheques[0] == bibliotheques[1] and ENTETE_LEAFLET in bibliotheques[0]
    assert ".leaflet-pane" in bibliotheques[0]  # the style sheet is part of it too
    page = cartes_partagees.hote(bibliotheques[0]) + "".join(allegees)
    assert page.count(ENTETE_LEAFLET) == 1
    for avant, apres in zip(deux_cartes, allegees):
        assert len(apres) < len(avant) - 150_000
        # the sandbox is unchanged; the map's script waits for the library
        assert re.search(r'sandbox="([^"]*)"', apres).group(1) == "allow-scripts"
        assert 'script type=&quot;text/plain&quot; data-dt-carte' in apres
    # a text without a marked map is returned as is
    assert cartes_partagees.alleger_sortie("<p>Tableau</p>") == ("<p>Tableau</p>", None)


def test_bibliotheque_inerte_refusee_si_elle_peut_sortir_du_modele():
    with pytest.raises(ValueError):
        cartes_partagees.hote("<style></style></template><script>alert(1)</script>")


@sans_chromium
def test_les_cartes_se_dessinent_dans_un_navigateur(deux_cartes, tmp_path):
    """In headless Chromium, each map's sandboxed iframe gets Leaflet from the page's single copy and
    draws its three communes with the colours of their classes."""
    allegees, bibliotheques = zip(*(cartes_partagees.alleger_sortie(c) for c in deux_cartes))
    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'>"
                    + cartes_partagees.hote(bibliotheques[0]) + "</head><body>"
                    + "".join(f'<div style="width:700px">{a}</div>' for a in allegees)
                    + "</body></html>", encoding="utf-8")
    palette = cartes.Classes(_gdf([1.0, 2.0, 3.0])["valeur"], k=3).couleurs
    with onglet_chromium(720, 1400) as onglet:
        onglet.goto(page.as_uri())
        cadres = onglet.frames[1:]
        assert len(cadres) == 2
        remplissages = []
        for cadre in cadres:
            cadre.wait_for_selector("path.leaflet-interactive", state="attached", timeout=15000)
            remplissages.append(cadre.eval_on_selector_all(
                "path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))"))
            # the sandbox holds: the map cannot reach the report
            assert cadre.evaluate("() => { try { return !!window.parent.document; } catch (e) { return false; } }") is False
    assert remplissages[0] == [palette[0], palette[1], palette[2]]  # values 1, 2, 3
    assert remplissages[1] == [palette[2], palette[0], palette[1]]  # values 5, 1, 3
