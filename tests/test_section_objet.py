"""A section displayed in a notebook is also an object an analyst can explore in JupyterLab:
its values, its chart and its interactive map; the cell that made it does not show it twice."""

import itertools

import pytest

from conftest import copie_etude
from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.rendu import presentation
from diagnostic_territorial.chapitres import generique
from diagnostic_territorial.configuration.etude import Etude


@pytest.fixture(scope="module")
def chapitre(etude_preparee, tmp_path_factory):
    etude = Etude.charger(copie_etude(etude_preparee, tmp_path_factory.mktemp("section")) / "etude.yaml")
    return generique.ouvrir(etude, "economie")


def test_section_explorable(chapitre, monkeypatch):
    import folium
    import matplotlib.figure

    affiches = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: affiches.append(contenu))
    s = chapitre.section("emploi_local")
    assert affiches  # displayed as before (tables, chart, map)
    t = s.table
    assert set(t["indicateur"]) == {"emplois", "actifs_occupes", "concentration_emploi", "part_salaries"}
    attendu, _ = ci.calculer(chapitre.etude, "concentration_emploi")
    ter = t[(t["indicateur"] == "concentration_emploi") & (t["niveau"] == "territoire")].iloc[0]
    assert ter["valeur"] == pytest.approx(attendu.set_index("niveau").loc["territoire", "valeur"])
    assert ter["valeur"] == pytest.approx(67.05348074782754)  # the demo's figure (build/resultats)
    assert (t["niveau"] == "commune").sum() == 4 * len(chapitre.etude.communes)
    assert isinstance(s.figure, matplotlib.figure.Figure)
    assert isinstance(s.carte, folium.Map)
    assert "Emplois et concentration" in repr(s)


def test_pas_de_double_affichage_dans_la_cellule(chapitre, monkeypatch):
    affiches = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: affiches.append(contenu))
    numero = itertools.chain([7, 7], itertools.repeat(8))
    monkeypatch.setattr(generique, "_numero_execution", lambda: next(numero))
    s = chapitre.section("revenus")  # made in cell 7
    n = len(affiches)
    s._ipython_display_()  # IPython's display hook of cell 7: nothing more
    assert len(affiches) == n
    s._ipython_display_()  # display(s) in cell 8: shown again
    assert len(affiches) > n


def test_indicateur_personnalise_en_un_appel(chapitre, monkeypatch):
    """An analyst adds an indicator of their own in one call: computed by the catalogue's engine
    (same value as a catalogue indicator written the same way) and displayed like the others."""
    affiches = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: affiches.append(contenu))
    s = chapitre.ajouter_indicateur("ouvriers_bis", "Part des ouvriers (recalculée)", "rp_evol_struct_pop",
                                    numerateur=ci.indicateur("part_ouvriers").numerateur,
                                    denominateur=ci.indicateur("part_ouvriers").denominateur)
    attendu, _ = ci.calculer(chapitre.etude, "part_ouvriers")
    obtenu = s.table.set_index(["niveau", "codgeo"])["valeur"]
    reference = attendu.set_index(["niveau", "codgeo"])["valeur"]
    assert obtenu.loc[("territoire", obtenu.xs("territoire").index[0])] == pytest.approx(
        reference.xs("territoire").iloc[0])
    assert any("Part des ouvriers (recalculée)" in a for a in affiches)  # its tables, chart and map
    assert s.carte is not None and s.figure is not None
    with pytest.raises(ValueError, match="Unité « pourcents » inconnue"):
        chapitre.ajouter_indicateur("x", "X", "rp_evol_struct_pop", "P_POP", unite="pourcents")


def test_thematiques_specifiques_en_partie_retenues(etude_preparee, tmp_path_factory):
    """A study that keeps some thématiques spécifiques only: the chapter opens (it raised a KeyError
    on an indicator of a thématique left out) and computes the retained ones only."""
    etude = Etude.charger(copie_etude(etude_preparee, tmp_path_factory.mktemp("themes")) / "etude.yaml")
    toutes = generique.thematiques_de(etude)
    assert len(toutes) > 1
    etude.thematiques = [toutes[0]]
    chapitre = generique.ouvrir(etude, "thematiques_specifiques")
    assert [s.cle for s in chapitre._sections_retenues()] == [toutes[0]]
    assert len(chapitre.sections) == len(chapitre.plan.sections)
    retenue = next(s for s in chapitre.sections if s.cle == toutes[0])
    assert set(retenue.indicateurs) <= set(chapitre.valeurs) | set(chapitre.manquants)
