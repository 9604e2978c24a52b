"""Charts (title and source drawn in the figure, deterministic) and notebook presentation HTML."""

import base64
import hashlib

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.rendu import graphiques as gr
from diagnostic_territorial.rendu import presentation as pr

SOURCE = "Source : Insee, Filosofi 2019"


@pytest.fixture(autouse=True)
def style():
    gr.appliquer_style()


def _communes():
    return pd.DataFrame({"libelle": ["Rieumes", "Cazères", "Carbonne", "Noé"],
                         "Q2": [19500.0, 20100.0, np.nan, 23000.0],
                         "Q2__secret": [False, False, True, False]})


def test_barres_horizontales_titre_source_et_references():
    fig = gr.barres_horizontales(_communes(), x="Q2", y="libelle", titre="Revenu médian par commune",
                                 source=SOURCE, format_valeur=fm.euros,
                                 reference={"CC Cœur de Garonne": 21800, "Haute-Garonne": 23080},
                                 colonne_secret="Q2__secret")
    assert isinstance(fig, Figure)
    textes = gr.textes(fig)
    assert "Revenu médian par commune" in textes
    assert SOURCE in textes
    assert fm.euros(19500) in textes
    assert "s" in textes  # the secret commune is marked, not drawn as 0
    assert any(t.startswith("Haute-Garonne : ") for t in textes)


def test_barres_comparees():
    tranches = ["0-14 ans", "15-29 ans", "30-44 ans"]
    lignes = [dict(libelle=g, tranche=t, part=p)
              for g in ("CC Cœur de Garonne", "Haute-Garonne", "Occitanie", "France")
              for t, p in zip(tranches, (0.19, 0.15, 0.2))]
    fig = gr.barres_comparees(pd.DataFrame(lignes), categorie="tranche", valeur="part", groupe="libelle",
                              titre="Structure par âge", source="Source : Insee, RP 2019",
                              format_valeur=fm.pourcentage)
    textes = gr.textes(fig)
    assert "Structure par âge" in textes and "Source : Insee, RP 2019" in textes
    assert "France" in textes and "0-14 ans" in textes
    assert fm.pourcentage(0.19) in textes


def test_pyramide_ages():
    h = pd.Series([1200, 1100, 900], index=["0-14", "15-29", "30+"])
    fig = gr.pyramide_ages(h, h * 1.05, "Pyramide des âges", "Insee, RP 2019")
    textes = gr.textes(fig)
    assert "Pyramide des âges" in textes
    assert "Source : Insee, RP 2019" in textes  # "Source : " added when missing
    assert "Hommes" in textes and "Femmes" in textes


def test_ajouter_source_bas_gauche_petit_gris():
    fig, _ = gr.nouvelle_figure()
    gr.ajouter_source(fig, SOURCE)
    texte = fig._supxlabel
    assert texte.get_text() == SOURCE
    assert texte.get_ha() == "left" and texte.get_position()[0] < 0.05
    assert texte.get_fontsize() < 9


def test_sortie_deterministe():
    def empreinte():
        fig = gr.barres_horizontales(_communes(), "Q2", "libelle", "Titre", SOURCE, format_valeur=fm.euros)
        return hashlib.sha256(base64.b64decode(pr.png_base64(fig))).hexdigest()

    assert empreinte() == empreinte()


# --- presentation ----------------------------------------------------------------------------


def test_a_retenir():
    html = pr.html_a_retenir(["<strong>34 000</strong> habitants", "Revenu médian : 21 800 €"])
    assert html.startswith('<div class="a-retenir">')
    assert "À retenir" in html and html.count("<li>") == 2 and "<strong>34 000</strong>" in html


def test_tableau_formate_et_source():
    df = pd.DataFrame({"Territoire": ["Rieumes & co", "Noé"], "Population": [3500.0, np.nan],
                       "Part": [0.123, 0.2]})
    html = pr.html_tableau(df, "Source : Insee, RP 2019", format_colonnes={"Part": fm.pourcentage})
    assert '<table class="tableau-dt">' in html
    assert f"3{fm_nnbsp()}500" in html and "n.d." in html and "12,3" in html
    assert "Rieumes &amp; co" in html
    assert html.endswith('<p class="source">Source : Insee, RP 2019</p>')
    assert '<td class="nombre">' in html


def fm_nnbsp():
    return "\u202f"


def test_figure_png_et_source():
    fig = gr.pyramide_ages(pd.Series([1, 2], index=["a", "b"]), pd.Series([2, 3], index=["a", "b"]), "T", SOURCE)
    html = pr.html_figure(fig, SOURCE)
    # the alt text is written from the data: totals 3 and 5, band b has 5 people, band a 3
    alt = ("T : hommes : 3, femmes : 5 ; tranche la plus nombreuse : b (hommes 2, femmes 3) ; "
           "la moins nombreuse : a (hommes 1, femmes 2).")
    assert '<img src="data:image/png;base64,' in html and f'alt="{alt}"' in html
    assert html.endswith(f'<p class="source">{SOURCE}</p>')


def test_donnees_manquantes():
    html = pr.html_donnees_manquantes("Fichier absent : <code>base-cc-evol-struct-pop-2019.zip</code>")
    assert html.startswith('<div class="donnees-manquantes">') and "<code>" in html


def test_analyse_markdown_et_absente(tmp_path):
    chemin = tmp_path / "analyses" / "demographie.md"
    assert pr.html_analyse(chemin) == ""  # absent: nothing (the chapter shows a proposed synthesis)
    chemin.parent.mkdir()
    chemin.write_text("<!-- guide d'écriture -->\n   \n", encoding="utf-8")
    assert pr.html_analyse(chemin) == ""  # only the writing guide: no text, no file name shown
    contenu = "# Lecture\n\nLa population **croît** de *1 %* par an.\n\n- point un\n- point deux\n"
    chemin.write_text(contenu, encoding="utf-8")
    html = pr.html_analyse(chemin)
    assert html.startswith('<div class="analyse">')
    assert "<strong>croît</strong>" in html and "<li>point un</li>" in html
    assert "<h3>Lecture</h3>" in html  # headings stay below the report's own
    assert chemin.read_text(encoding="utf-8") == contenu  # read only


def test_fonctions_publiques_affichent_et_renvoient_none(monkeypatch):
    affiches = []
    monkeypatch.setattr(pr, "_afficher", lambda contenu, *_, **__: affiches.append(contenu))
    assert pr.a_retenir(["un"]) is None
    assert pr.donnees_manquantes("absent") is None
    assert pr.tableau(pd.DataFrame({"a": [1]}), SOURCE) is None
    assert len(affiches) == 3 and 'class="a-retenir"' in affiches[0]


def test_afficher_produit_du_html_ipython(monkeypatch):
    import IPython.display

    vus = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **_: vus.append(obj))
    pr.a_retenir(["un"])
    assert vus and 'class="a-retenir"' in vus[0]._repr_html_()
