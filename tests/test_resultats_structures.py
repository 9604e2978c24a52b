"""Deliverables read what the chapters recorded as data, not their rendered HTML: each display
records its source lines in its output's metadata, and the sources annex is built from them."""

import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook, new_output

from diagnostic_territorial import livrables
from diagnostic_territorial import presentation as pr


def test_chaque_affichage_enregistre_ses_sources(monkeypatch):
    affiches = []
    monkeypatch.setattr("IPython.display.display", lambda objet, metadata=None: affiches.append((objet, metadata)))
    pr.tableau(pd.DataFrame({"Commune": ["A"], "Population": [120]}), "Insee, RP 2023 ; Insee, Filosofi 2021")
    pr.a_retenir(["Un point"])  # no source: no metadata
    pr.tableau(pd.DataFrame({"x": [1]}), "Source : Caf, allocataires 2024 <b>gras</b>")
    (premier, meta1), (_, meta2), (_, meta3) = affiches
    assert meta1 == {"diagnostic_territorial": {"sources": ["Source : Insee, RP 2023 ; Insee, Filosofi 2021"]}}
    assert meta2 is None
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
    sorties, markdown, sources = livrables._textes_notebook(chemin)
    assert len(sorties) == 3 and markdown == []
    assert livrables.mentions_sources(sources) == ["Insee, Filosofi 2021", "Insee, RP 2023"]
