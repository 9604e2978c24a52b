"""Charts, maps and tables of communes that stay true and legible in print (issue 16), and that say
in words what they show (issue 17). Every case is made by hand: the expected texts and numbers are
worked out from the inputs written here."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest

from diagnostic_territorial.chapitres import extremes, reduire_communes
from diagnostic_territorial.chapitres import generique
from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.rendu import cartes
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.rendu import graphiques as gr
from diagnostic_territorial.rendu import presentation as pr

RACINE = Path(__file__).resolve().parents[1]
CSS = RACINE / "src" / "diagnostic_territorial" / "templates" / "rapport" / "static" / "rapport.css"
ETUDE = SimpleNamespace(nom_territoire="CC Test")
EPCI = "200068815"  # CC Cœur de Garonne, 48 communes


@pytest.fixture(autouse=True)
def style():
    gr.appliquer_style()


@pytest.fixture
def figures(monkeypatch):
    """The figures the chapters display (presentation.figure), kept instead of shown."""
    vues = []
    monkeypatch.setattr(pr, "figure", lambda fig, source=None, dpi=None: vues.append(fig))
    return vues


def _table(valeurs, territoire=None, departement=None, secrets=(), noms=None):
    """A chapter's table of values: one row per commune, then the territory and the département."""
    n = len(valeurs)
    noms = noms or [f"Commune {i:02d}" for i in range(n)]
    lignes = [{"libelle": noms[i], "niveau": "commune", "codgeo": f"31{i:03d}", "valeur": float(v),
               "secret": i in secrets} for i, v in enumerate(valeurs)]
    if territoire is not None:
        lignes.append({"libelle": "CC Test", "niveau": "territoire", "codgeo": "200000000",
                       "valeur": float(territoire), "secret": False})
    if departement is not None:
        lignes.append({"libelle": "Haute-Garonne", "niveau": "departement", "codgeo": "31",
                       "valeur": float(departement), "secret": False})
    return pd.DataFrame(lignes)


def _lignes_verticales(ax) -> set[float]:
    return {round(float(l.get_xdata()[0]), 6) for l in ax.get_lines()
            if len(set(np.atleast_1d(l.get_xdata()))) == 1}


def _noms_dessines(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


@pytest.fixture(scope="module")
def contours():
    chemin = Path("/work/shared/data/reel/cog/EPCI_2020.csv")
    for base in (RACINE.parent / "shared", Path("/work/shared")):
        if (base / "data" / "reel" / "cog" / "EPCI_2020.csv").exists():
            chemin = base / "data" / "reel" / "cog" / "EPCI_2020.csv"
    if not chemin.exists():
        pytest.skip("EPCI_2020.csv (shared/data/reel/cog) absent")
    table = pd.read_csv(chemin, sep=";", dtype=str, encoding="utf-8-sig")
    codes = sorted(table.loc[table["EPCI"] == EPCI, "CODGEO"])
    assert len(codes) == 48
    return cartes.contours_communes(codes)


# --- 1. A count has no reference line -----------------------------------------------------------


NAISSANCES = [120.0, 340.0, 80.0, 1500.0, 610.0]  # territory: their sum, 2 650


def test_comptage_sans_total_en_ligne_de_reference(figures):
    table = _table(NAISSANCES, territoire=sum(NAISSANCES), departement=14_000)
    fig = generique.barres_communes(ETUDE, table, "Naissances", 2021, "Insee", fm.nombre, unite="nombre")
    ax = fig.axes[0]
    assert ax.get_legend() is None
    assert not {2650.0, 14000.0} & _lignes_verticales(ax)
    assert ax.get_xlim()[1] < 2650  # the scale is the communes' (1 500 and its label), not the total's
    assert "CC Test" not in fig.texte_alternatif and "Haute-Garonne" not in fig.texte_alternatif
    # the same figures as a rate would be compared with the territory and the département
    fig = generique.barres_communes(ETUDE, table, "Naissances", 2021, "Insee", fm.nombre, unite="part")
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} == {
        f"CC Test : {fm.nombre(2650)}", f"Haute-Garonne : {fm.nombre(14000)}"}


def test_comptage_d_un_chapitre_sans_reference(figures):
    """The chapter passes the indicator's unit: a count of the catalogue is drawn without its total."""
    indicateur = ci.Indicateur(id="naissances", libelle="Naissances", chapitre="demographie", source="rp",
                               numerateur=("NAIS",), unite="nombre")
    chapitre = object.__new__(generique.ChapitreIndicateurs)
    chapitre.etude = ETUDE
    chapitre.calcul = SimpleNamespace(indicateur=lambda _id: indicateur)
    chapitre.valeurs = {"naissances": generique.Valeur(_table(NAISSANCES, sum(NAISSANCES), 14_000), "Insee", 2021)}
    fig = chapitre._barres_communes("naissances")
    assert fig is figures[-1]
    assert fig.axes[0].get_legend() is None and 2650.0 not in _lignes_verticales(fig.axes[0])
    assert _noms_dessines(fig) == ["Commune 03", "Commune 04", "Commune 01", "Commune 00", "Commune 02"]


# --- 2. Negative values are drawn ---------------------------------------------------------------


def test_valeurs_negatives_dessinees():
    evolutions = [0.027, 0.012, -0.004, -0.031]
    df = pd.DataFrame({"libelle": ["A", "B", "C", "D"], "v": evolutions})
    fig = gr.barres_horizontales(df, "v", "libelle", "Évolution annuelle de la population", "",
                                 format_valeur=fm.evolution, reference={"CC Test": 0.006})
    ax = fig.axes[0]
    gauche, droite = ax.get_xlim()
    assert gauche < -0.031 and droite > 0.027  # 0 and both signs on the axis
    largeurs = [round(p.get_width(), 6) for p in ax.patches if isinstance(p, matplotlib.patches.Rectangle)
                and p.get_height() == pytest.approx(0.7)]
    assert largeurs == evolutions  # bars to the left of 0 for the negative values
    assert 0.0 in _lignes_verticales(ax)  # the zero line
    textes = gr.textes(fig)
    assert {fm.evolution(v) for v in evolutions} <= set(textes)
    assert fm.evolution(-0.031).startswith("-3,1")
    # a short negative bar has its value outside, left of the bar's end, in dark grey
    court = next(t for t in ax.texts if t.get_text() == fm.evolution(-0.004))
    assert court.get_position()[0] < -0.004 and court.get_ha() == "right" and court.get_color() != "white"

    long_ = pd.DataFrame({"categorie": ["Naissances", "Naissances", "Solde", "Solde"],
                          "groupe": ["CC Test", "France", "CC Test", "France"], "v": [0.011, 0.01, -0.02, 0.003]})
    fig = gr.barres_comparees(long_, "categorie", "v", "groupe", "Soldes", "", format_valeur=fm.pourcentage)
    bas, haut = fig.axes[0].get_ylim()
    assert bas < -0.02 < 0 < 0.011 < haut
    assert fm.pourcentage(-0.02) in gr.textes(fig)


# --- 3. Map classes on the distinct published values --------------------------------------------


def test_six_valeurs_distinctes_jamais_cinq_classes():
    classes = cartes.Classes(pd.Series([6.0, 1.0, 2.0, 5.0, np.nan, 3.0, 4.0, 4.0]), k=5)
    # 6 distinct values: 3 classes of 2 values (Fisher-Jenks: within-class sum of squares 3 x 0.5 = 1.5,
    # against 2.5 for the next best cut, {1}, {2, 3}, {4, 5, 6})
    assert classes.k == 3
    assert classes.libelles() == ["de 1 à 2", "de 3 à 4", "de 5 à 6"]
    assert list(classes.indices) == [2, 0, 0, 2, -1, 1, 1, 1]


def test_cinq_valeurs_ou_moins_une_classe_par_valeur():
    classes = cartes.Classes(pd.Series([3.0, 1.0, 1.0, 5.0, 2.0, 4.0, np.nan]), k=5)
    assert classes.k == 5 and classes.libelles() == ["1", "2", "3", "4", "5"]
    assert list(classes.indices) == [2, 0, 0, 4, 1, 3, -1]


def test_valeurs_qui_s_ecrivent_pareil_comptent_une_fois():
    # 12,31 % and 12,34 % both print « 12,3 % »: three published values, three classes
    classes = cartes.Classes(pd.Series([0.1231, 0.1234, 0.2, 0.3]), k=5, format_valeur=fm.pourcentage)
    assert classes.k == 3 and list(classes.indices) == [0, 0, 1, 2]
    assert classes.libelles() == [fm.pourcentage(0.123), fm.pourcentage(0.2), fm.pourcentage(0.3)]


def test_carte_de_six_valeurs(contours):
    gdf = contours.copy()
    gdf["v"] = [float(1 + i % 6) for i in range(len(gdf))]
    fig = cartes.carte_statique(gdf, "v", "Six valeurs", "Test", legende="Valeur")
    legende = fig.axes[1].get_legend()
    assert [t.get_text() for t in legende.get_texts()] == ["de 1 à 2", "de 3 à 4", "de 5 à 6"]


def test_valeurs_des_deux_cotes_de_zero_couleurs_divergentes():
    classes = cartes.Classes(pd.Series([-0.02, -0.01, 0.01, 0.02]), k=5, format_valeur=fm.evolution)
    assert classes.k == 4
    rouge, bleu = (matplotlib.colors.to_rgb(c) for c in (classes.couleurs[0], classes.couleurs[-1]))
    assert rouge[0] > rouge[2] and bleu[2] > bleu[0]  # below 0 red, above blue


# --- 4. Most communes masked: a table instead of a hatched map ----------------------------------


PUBLIEES = {0: 21000.0, 5: 19500.0, 11: 23400.0, 20: 20100.0, 30: 22800.0, 47: 18900.0}


def _revenus_masques(contours, publiees):
    gdf = contours.copy()
    gdf["Q2"] = [publiees.get(i, np.nan) for i in range(len(gdf))]
    gdf["Q2__secret"] = [i not in publiees for i in range(len(gdf))]
    return gdf


def test_42_communes_masquees_sur_48_un_tableau(contours):
    gdf = _revenus_masques(contours, PUBLIEES)
    assert cartes.trop_masquee(gdf, "Q2")
    html = pr.html_carte(gdf, "Q2", "Revenu médian par commune (2021)", "Source : Insee, Filosofi 2021",
                         format_valeur=fm.euros, legende="Revenu médian", references={"CC Test": 21300.0})
    assert "<iframe" not in html and "carte-statique" not in html and "<img" not in html
    assert "Carte non dessinée : 42 communes sur 48 sont couvertes par le secret statistique" in html
    lignes = re.findall(r"<tr><td>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", html)
    noms = list(contours["nom"])
    attendu = [(noms[i], fm.euros(v)) for i, v in sorted(PUBLIEES.items(), key=lambda p: -p[1])]
    assert lignes == attendu + [("CC Test", fm.euros(21300))]
    assert html.endswith('<p class="source">Source : Insee, Filosofi 2021</p>')


def test_la_moitie_masquee_reste_une_carte(contours):
    publiees = {i: 19000.0 + 100 * i for i in range(0, 48, 2)}  # 24 of 48: not « most »
    gdf = _revenus_masques(contours, publiees)
    assert not cartes.trop_masquee(gdf, "Q2")
    assert '<div class="carte-statique"><img' in pr.html_carte(gdf, "Q2", "Revenu", "Source : test",
                                                                tuiles=False)


# --- 5. « 10 highest + 10 lowest »: published values only, each commune once -------------------


def test_extremes_sans_doublon():
    valeurs = pd.Series([float(v) for v in range(21)] + [np.nan] * 5)
    hauts, bas = extremes(valeurs, 10)
    assert hauts == list(range(20, 10, -1)) and bas == list(range(9, -1, -1))
    assert not set(hauts) & set(bas)
    hauts, bas = extremes(valeurs.drop(index=[20]), 10)  # 20 published values: all of them, once
    assert hauts == list(range(19, -1, -1)) and bas == []


def test_graphique_48_communes_15_publiees_chacune_une_fois(figures):
    valeurs = [np.nan] * 48
    for i in range(15):
        valeurs[3 * i] = 0.01 * (i + 1)
    table = _table(valeurs, territoire=0.05, secrets=set(range(48)) - set(range(0, 45, 3)))
    fig = generique.barres_communes(ETUDE, table, "Part des familles monoparentales", 2021, "Insee",
                                    fm.pourcentage, unite="part")
    noms = _noms_dessines(fig)
    assert noms == [f"Commune {3 * i:02d}" for i in range(14, -1, -1)]  # highest first, once each
    assert "les 15 communes dont la valeur est publiée (sur 48)" in fig._suptitle.get_text().replace("\n", " ")


def test_graphique_48_communes_publiees_10_et_10(figures):
    valeurs = [float(v) for v in range(48)]
    table = _table(valeurs, territoire=30)
    fig = generique.barres_communes(ETUDE, table, "Part", 2021, "Insee", fm.nombre, unite="part")
    noms = _noms_dessines(fig)
    assert len(noms) == len(set(noms)) == 20
    assert noms == [f"Commune {i:02d}" for i in list(range(47, 37, -1)) + list(range(9, -1, -1))]
    assert "… 28 autres communes …" in gr.textes(fig)


def test_tableau_70_communes_15_publiees_chacune_une_fois():
    valeurs = [np.nan] * 70
    for i in range(15):
        valeurs[4 * i] = float(i)
    table = pd.DataFrame({"Commune": [f"C{i}" for i in range(70)], "Valeur": valeurs})
    r = reduire_communes(table, ["commune"] * 70, valeurs, "Les plus élevées :", "Les plus faibles :")
    textes = list(r["Commune"])
    assert textes[0] == "Les 15 communes dont la valeur est publiée, de la plus élevée à la plus faible :"
    assert textes[1:16] == [f"C{4 * i}" for i in range(14, -1, -1)]
    assert textes[16] == ("… 55 communes sans valeur publiée (secret statistique ou non disponible), "
                          "non affichées (sur 70) …")
    assert len(textes) == 17 and "Les plus faibles :" not in textes


def test_tableau_70_communes_25_publiees():
    valeurs = [np.nan] * 70
    for i in range(25):
        valeurs[2 * i] = float(i)
    table = pd.DataFrame({"Commune": [f"C{i}" for i in range(70)], "Valeur": valeurs})
    textes = list(reduire_communes(table, ["commune"] * 70, valeurs, "Hautes :", "Basses :")["Commune"])
    assert textes[0] == "Hautes :" and textes[1:11] == [f"C{2 * i}" for i in range(24, 14, -1)]
    assert textes[11] == "… 50 autres communes non affichées (sur 70), dont 45 sans valeur publiée …"
    assert textes[12] == "Basses :" and textes[13:] == [f"C{2 * i}" for i in range(9, -1, -1)]
    communes = [t for t in textes if re.fullmatch(r"C\d+", t)]
    assert len(communes) == len(set(communes)) == 20


# --- 6. No text under 7 pt once printed ---------------------------------------------------------


def test_tailles_d_impression_celles_de_rapport_css():
    css = CSS.read_text(encoding="utf-8")
    marges = re.search(r"@page\s*{[^}]*?margin:\s*([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm\s+([\d.]+)mm", css)
    assert marges, "marges de @page introuvables dans rapport.css"
    assert gr.LARGEUR_IMPRESSION_MM == 210 - float(marges.group(2)) - float(marges.group(4))
    figure = re.search(r"div\.figure img\s*{[^}]*max-height:\s*([\d.]+)mm", css)
    carte = re.search(r"div\.carte-statique img\s*{[^}]*max-height:\s*([\d.]+)mm", css)
    assert float(figure.group(1)) == gr.HAUTEUR_IMPRESSION_FIGURE_MM
    assert float(carte.group(1)) == gr.HAUTEUR_IMPRESSION_CARTE_MM
    assert generique.SEUIL_BARRES <= gr.LIGNES_MAX


def test_aucune_police_sous_7_pt_a_l_impression(contours, figures):
    a_verifier = []
    valeurs = [0.01 + 0.001 * i for i in range(48)]
    a_verifier.append(generique.barres_communes(ETUDE, _table(valeurs, 0.03, 0.034), "Part des moins de 3 ans",
                                                2021, "Insee", fm.pourcentage, unite="part"))
    trente = pd.DataFrame({"libelle": [f"Saint-Martin-de-la-Commune-{i}" for i in range(30)],
                           "v": np.linspace(17000, 26000, 30)})
    a_verifier.append(gr.barres_horizontales(
        trente, "v", "libelle", "Revenu disponible médian par commune en 2021 (€ par unité de consommation), "
        "le territoire et ses références", "", format_valeur=fm.euros,
        reference={"CC Test": 21000, "Haute-Garonne": 23000, "Occitanie": 21500}))
    long_ = pd.DataFrame([{"c": f"Tranche {c}", "g": g, "v": 0.05 + 0.01 * c}
                          for c in range(8) for g in ("CC Test", "Haute-Garonne", "Occitanie", "France")])
    a_verifier.append(gr.barres_comparees(long_, "c", "v", "g", "Structure par âge", "Insee, RP 2021",
                                          etiquettes=True))
    tranches = [f"{5 * i}-{5 * i + 4} ans" for i in range(20)]
    a_verifier.append(gr.pyramide_ages(pd.Series(range(100, 120), index=tranches),
                                       pd.Series(range(110, 130), index=tranches), "Pyramide", "Insee"))
    for fig in a_verifier:
        assert gr.police_minimale_imprimee(fig) >= gr.POLICE_MIN_IMPRIMEE, fig._suptitle.get_text()
    gdf = contours.copy()
    gdf["v"] = np.linspace(18000, 25000, len(gdf))
    carte = cartes.carte_statique(gdf, "v", "Revenu médian par commune", "Insee, Filosofi 2021",
                                  legende="Revenu médian (€ par unité de consommation)", format_valeur=fm.euros)
    assert gr.police_minimale_imprimee(carte, gr.HAUTEUR_IMPRESSION_CARTE_MM) >= gr.POLICE_MIN_IMPRIMEE
    # the measure sees a figure too tall for the page: 48 bars at once would print under 7 pt
    quarante_huit = pd.DataFrame({"libelle": [f"C{i}" for i in range(48)], "v": valeurs})
    assert gr.police_minimale_imprimee(gr.barres_horizontales(quarante_huit, "v", "libelle", "T", "")) < 7


# --- 7. Maps name their communes, offline -------------------------------------------------------


def test_carte_statique_nomme_les_communes_principales(contours):
    gdf = contours.copy()
    gdf["v"] = np.linspace(0.1, 0.3, len(gdf))
    gdf["population"] = 300.0
    noms = list(gdf["nom"])
    principales = {noms.index("Rieumes"): 3600.0, noms.index("Cazères"): 5200.0}
    for i, p in principales.items():
        gdf.loc[i, "population"] = p
    fig = cartes.carte_statique(gdf, "v", "Part", "Test", format_valeur=fm.pourcentage)
    ecrits = [t for t in fig.axes[0].texts if t.get_text() in set(noms)]
    assert {"Cazères", "Rieumes"} <= {t.get_text() for t in ecrits}
    assert 3 <= len(ecrits) <= cartes.ETIQUETTES_MAX
    rendu = fig.canvas.get_renderer()
    boites = [t.get_window_extent(rendu) for t in ecrits]
    assert not any(a.overlaps(b) for i, a in enumerate(boites) for b in boites[i + 1:])
    assert all(t.get_fontsize() >= gr.POLICE_MIN_IMPRIMEE for t in ecrits)


def test_carte_interactive_hors_ligne_nomme_les_communes(contours):
    gdf = contours.copy()
    gdf["v"] = np.linspace(0.1, 0.3, len(gdf))
    carte = cartes.carte_interactive(gdf, "v", "Part", "Test", format_valeur=fm.pourcentage, tuiles=False)
    document = cartes.html_carte(carte)
    # each name is a Leaflet divIcon, its HTML written as a JSON string
    etiquettes = [re.sub(r"</?div>", "", json.loads(f'"{m}"'))
                  for m in re.findall(r'"html": "((?:[^"\\]|\\.)*)"', document)]
    principales = [contours["nom"].iloc[i] for i in cartes.communes_principales(gdf)]
    assert len(principales) == cartes.ETIQUETTES_MAX and etiquettes == principales
    assert '"interactive": false' in document  # the tooltip of the commune under a name still answers
    assert "tile.openstreetmap.org" not in document and "{z}" not in document  # no background map
    assert "GeoJsonTooltip" in document or "bindTooltip" in document


# --- 8. Alternative text written from the data --------------------------------------------------


def test_texte_alternatif_d_un_graphique_avec_extremes(figures):
    parts = [0.031, 0.012, 0.048, 0.025, 0.033, 0.029, 0.041, 0.019, 0.022, 0.036]
    noms = ["Noé", "Bérat", "Rieumes", "Lherm", "Cazères", "Carbonne", "Fousseret", "Mauran", "Plagne", "Sajas"]
    table = _table(parts, territoire=0.031, departement=0.034, noms=noms)
    fig = generique.barres_communes(ETUDE, table, "Part des moins de 3 ans", 2021, "Insee", fm.pourcentage,
                                    unite="part")
    attendu = ("Part des moins de 3 ans par commune (2021) : de 1,2 % (Bérat) à 4,8 % (Rieumes) ; "
               "CC Test : 3,1 % ; Haute-Garonne : 3,4 %.")
    assert fig.texte_alternatif.replace("\u00a0", " ").replace("\u202f", " ") == attendu
    html = pr.html_figure(fig)
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert alt == fig.texte_alternatif  # nothing to escape here


def test_texte_alternatif_des_cartes(contours):
    gdf = contours.copy()
    gdf["Q2"] = np.linspace(19000, 25000, len(gdf)).round(-1)
    gdf.loc[[2, 5], "Q2"] = np.nan
    gdf["Q2__secret"] = False
    gdf.loc[2, "Q2__secret"] = True
    noms = list(gdf["nom"])
    attendu = (f"Revenu médian par commune : de {fm.euros(19000)} ({noms[0]}) à {fm.euros(25000)} ({noms[47]}) ; "
               "2 communes sur 48 sans valeur publiée (secret statistique ou non disponible) ; "
               f"CC Test : {fm.euros(21300)}.")
    statique = cartes.carte_statique(gdf, "Q2", "Revenu médian par commune", "Test", format_valeur=fm.euros,
                                     references={"CC Test": 21300})
    interactive = cartes.carte_interactive(gdf, "Q2", "Revenu médian par commune", "Test", format_valeur=fm.euros,
                                           references={"CC Test": 21300}, tuiles=False)
    assert statique.texte_alternatif == interactive.texte_alternatif == attendu
    html = pr.html_carte(gdf, "Q2", "Revenu médian par commune", "Source : test", format_valeur=fm.euros,
                         tuiles=False, references={"CC Test": 21300})
    assert f'aria-label="{attendu}"' in html and f'alt="{attendu}"' in html
    assert 'title="Revenu médian par commune"' in html


# --- 9. The revenue chart of the « accès aux droits » chapter, and the communes' names on maps --


def test_revenus_42_communes_publiees_10_et_10(figures, monkeypatch):
    from diagnostic_territorial.chapitres import acces_aux_droits as aad

    monkeypatch.setattr(aad.ind, "references", lambda _e: [("departement", "31", "Haute-Garonne")])
    monkeypatch.setattr(pr, "tableau", lambda *_a, **_k: None)
    lignes = []
    for i in range(48):  # medians 18 000 € + 100 € x i, the communes 6, 13, 20... secret
        secret = i % 7 == 6
        lignes.append({"libelle": f"Commune {i:02d}", "niveau": "commune", "codgeo": f"31{i:03d}",
                       "Q2": np.nan if secret else 18000.0 + 100 * i, "Q2__secret": secret,
                       "NBMEN": 300.0, "NBMEN__secret": False})
    lignes.append({"libelle": "CC Test", "niveau": "territoire", "codgeo": "200000000", "Q2": 21000.0,
                   "Q2__secret": False, "NBMEN": 14400.0, "NBMEN__secret": False})
    lignes.append({"libelle": "Haute-Garonne", "niveau": "departement", "codgeo": "31", "Q2": 23380.0,
                   "Q2__secret": False, "NBMEN": 6e5, "NBMEN__secret": False})
    r = aad.Revenus(2019, 2016, table=pd.DataFrame(lignes), mention="Source : Insee, Filosofi 2019")
    etude = SimpleNamespace(nom_territoire="CC Test", communes=pd.DataFrame({"code": [f"31{i:03d}" for i in range(48)]}))
    aad.afficher_communes(etude, r)
    fig = figures[-1]
    publiees = [i for i in range(48) if i % 7 != 6]  # 42 communes
    attendu = [f"Commune {i:02d}" for i in publiees[:10] + publiees[-10:]]  # lowest first, as drawn
    assert _noms_dessines(fig) == attendu
    assert "… 28 autres communes …" in gr.textes(fig)
    assert gr.police_minimale_imprimee(fig) >= gr.POLICE_MIN_IMPRIMEE


def test_noms_des_communes_sur_les_cartes_comme_dans_les_tableaux(tmp_path):
    # the contours file writes « Fousseret » and « Plan »; the study's COG (and its tables) « Le ... »
    gdf = cartes.contours_etude(["31193", "31135", "31425"], tmp_path)
    assert list(gdf["nom"]) == ["Le Fousseret", "Cazères", "Le Plan"]
