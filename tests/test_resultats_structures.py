"""Deliverables read what the chapters recorded as data, not their rendered HTML: each display
records its source lines in its output's metadata, and the sources annex is built from them."""

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook, new_output

from diagnostic_territorial.livrables import annexes as livrables
from diagnostic_territorial.rendu import presentation as pr


def test_chaque_affichage_enregistre_ses_sources(monkeypatch):
    affiches = []
    monkeypatch.setattr("IPython.display.display", lambda objet, metadata=None: affiches.append((objet, metadata)))
    pr.tableau(pd.DataFrame({"Commune": ["Rieumes"], "Population": [3820]}), "Insee, RP 2023 ; Insee, Filosofi 2021")
    pr.a_retenir(["Un point"])  # no source: its text only
    pr.tableau(pd.DataFrame({"x": [1]}), "Source : Caf, allocataires 2024 <b>gras</b>")
    (premier, meta1), (_, meta2), (_, meta3) = affiches
    assert {k: meta1["diagnostic_territorial"][k] for k in ("sources", "texte")} == {
        "sources": ["Source : Insee, RP 2023 ; Insee, Filosofi 2021"], "texte": "Commune Population Rieumes"}
    assert meta1["diagnostic_territorial"]["tableau"]["valeurs"] == [["Rieumes", 3820]]  # the data contract
    assert meta2 == {"diagnostic_territorial": {"texte": "À retenir Un point"}}
    # the text as written (it is escaped in the HTML, kept as text in the metadata)
    assert meta3["diagnostic_territorial"]["sources"] == ["Source : Caf, allocataires 2024 <b>gras</b>"]
    assert "&lt;b&gt;" in affiches[2][0].data


def test_annexe_des_sources_lue_dans_les_metadonnees(tmp_path):
    nb = new_notebook()
    nb.cells.append(new_code_cell("", outputs=[
        new_output("display_data", data={"text/html": "<table></table><p class=\"source\">Ignoré : HTML</p>"},
                   metadata={"diagnostic_territorial": {"sources": [
                       "Source : Insee, RP 2023 ; Insee, Filosofi 2021. s : secret statistique"]}}),
        new_output("display_data", data={"text/html": "<p>Sans source</p>"}),
        new_output("display_data", data={"text/html": "<div></div>"},
                   metadata={"diagnostic_territorial": {"sources": ["Source : Insee, RP 2023", "Note de méthode"]}}),
    ]))
    chemin = tmp_path / "chapitre.ipynb"
    nbformat.write(nb, str(chemin))
    textes, markdown, sources = livrables._textes_notebook(chemin)
    assert textes == [] and markdown == []
    assert livrables.mentions_sources(sources) == ["Insee, Filosofi 2021", "Insee, RP 2023"]


def test_annexe_des_definitions_lue_dans_les_textes_enregistres(tmp_path):
    """The definitions annex lists the terms the displays recorded, not words found in the HTML."""
    from types import SimpleNamespace

    nb = new_notebook()
    nb.cells.append(new_code_cell("", outputs=[
        new_output("display_data", data={"text/html": "<p>Rapport interdécile</p>"},
                   metadata={"diagnostic_territorial": {"texte": "Indice de jeunesse Rieumes 0,92"}}),
    ]))
    chemin = tmp_path / "chapitre.ipynb"
    nbformat.write(nb, str(chemin))
    etude = SimpleNamespace(racine=tmp_path, dossier_cache=tmp_path / "cache", dossier_brut=tmp_path / "brut")
    annexes, _ = livrables.annexes_rapport(etude, [chemin])
    methode = next(a for a in annexes if a.cle == "methode")
    assert "Indice de jeunesse" in methode.html
    assert "Déciles et rapport interdécile" not in methode.html  # only in the HTML, never read
