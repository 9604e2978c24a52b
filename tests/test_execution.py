"""Incremental execution: keys, reuse of executed notebooks, --force, failures never cached.

The study's chapter notebooks are replaced by tiny ones (no library import) so that the tests
measure the runner, not the chapters."""

import json
from pathlib import Path

import nbformat
import pytest
from cookiecutter.main import cookiecutter

from diagnostic_territorial.execution import notebooks as execution
from diagnostic_territorial.configuration.etude import Etude
from diagnostic_territorial.chapitres.plan import chapitre

CLES = ["demographie", "economie", "synthese"]

CODE_CHAPITRE = """
import json, pathlib
racine = pathlib.Path(etude_yaml).parent
analyse = (racine / "analyses" / "{cle}.md").read_text(encoding="utf-8")
d = racine / "build" / "resultats"
d.mkdir(parents=True, exist_ok=True)
(d / "{cle}.json").write_text(json.dumps({{"a_retenir": [analyse[-40:]]}}), encoding="utf-8")
print("{cle} exécuté")
"""
CODE_SYNTHESE = """
import json, pathlib
d = pathlib.Path(etude_yaml).parent / "build" / "resultats"
print(sorted(p.name for p in d.glob("*.json")))
"""


def notebook(code: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parametres = nbformat.v4.new_code_cell('etude_yaml = "../etude.yaml"')
    parametres.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Titre"), parametres, nbformat.v4.new_code_cell(code)]
    return nb


@pytest.fixture()
def etude(racine, tmp_path) -> Etude:
    chemin = Path(cookiecutter(str(racine), no_input=True, output_dir=str(tmp_path)))
    for cle in CLES:
        code = CODE_SYNTHESE if cle == "synthese" else CODE_CHAPITRE.format(cle=cle)
        nbformat.write(notebook(code), chemin / "notebooks" / chapitre(cle).notebook)
    (chemin / "data" / "cache").mkdir(parents=True, exist_ok=True)
    (chemin / "data" / "cache" / "source_2019.parquet").write_bytes(b"donnees v1")
    return Etude.charger(chemin / "etude.yaml")


def lancer(etude, **kw) -> dict[str, execution.ResultatExecution]:
    resultats = execution.executer(etude, cles=CLES, workers=2, progression=False, **kw)
    assert all(r.statut == "ok" for r in resultats), [(r.chapitre.cle, r.erreur) for r in resultats]
    return {r.chapitre.cle: r for r in resultats}


def executes(resultats) -> set[str]:
    return {cle for cle, r in resultats.items() if not r.reutilise}


def test_cles_incrementales(etude):
    assert executes(lancer(etude)) == set(CLES)
    for cle in CLES:
        sortie = Path(etude.dossier_build) / "notebooks" / chapitre(cle).notebook
        assert execution.chemin_cle(sortie).exists()
        nb = nbformat.read(sortie, as_version=4)
        assert nb.metadata["papermill"]["parameters"] == {"etude_yaml": "../etude.yaml"}  # relative: no machine path
        assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]

    # Nothing changed: nothing re-executed.
    assert executes(lancer(etude)) == set()

    # The consultant edits one analysis: that chapter and the synthèse that reads its results.
    analyse = Path(etude.dossier_analyses) / "demographie.md"
    analyse.write_text(analyse.read_text(encoding="utf-8") + "\nNouvelle phrase.\n", encoding="utf-8")
    resultats = lancer(etude)
    assert executes(resultats) == {"demographie", "synthese"}
    assert resultats["demographie"].raisons == ["analyse modifiée"]

    # Same data rewritten (make donnees again): content unchanged, nothing re-executed.
    donnees = Path(etude.dossier_cache) / "source_2019.parquet"
    donnees.write_bytes(b"donnees v1")
    assert executes(lancer(etude)) == set()
    # New data: every chapter.
    donnees.write_bytes(b"donnees v2")
    assert executes(lancer(etude)) == set(CLES)

    # --force: every chapter.
    assert executes(lancer(etude, force=True)) == set(CLES)


def test_parametre_et_notebook_modifies(etude):
    lancer(etude)
    # The consultant's name and the subtitle only appear in the deliverables: nothing re-executed.
    texte = etude.chemin.read_text(encoding="utf-8").replace("consultant: ", "consultant: Autre ", 1)
    texte = texte.replace("sous_titre: ", "sous_titre: Diagnostic partagé ", 1)
    etude.chemin.write_text(texte, encoding="utf-8")
    assert executes(lancer(etude)) == set()
    # A parameter the chapters read (the study's thematic sections): every chapter.
    assert "  - insertion\n" in texte
    texte = texte.replace("  - insertion\n", "", 1)
    etude.chemin.write_text(texte, encoding="utf-8")
    resultats = lancer(etude)
    assert executes(resultats) == set(CLES)
    assert resultats["economie"].raisons == ["etude.yaml modifié"]
    nb_path = Path(etude.dossier_notebooks) / chapitre("economie").notebook
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(nb, nb_path)
    resultats = lancer(etude)
    assert executes(resultats) == {"economie"}
    assert resultats["economie"].raisons == ["notebook modifié"]


def test_un_echec_n_est_jamais_mis_en_cache(etude):
    nb_path = Path(etude.dossier_notebooks) / chapitre("economie").notebook
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('panne volontaire')"))
    nbformat.write(nb, nb_path)
    for _ in range(2):
        resultats = {r.chapitre.cle: r for r in
                     execution.executer(etude, cles=["economie"], workers=1, progression=False)}
        r = resultats["economie"]
        assert r.statut == "echec" and not r.reutilise
        assert "panne volontaire" in r.erreur
        assert not execution.chemin_cle(r.sortie).exists()
        sortie = nbformat.read(r.sortie, as_version=4)
        assert any("papermill-error-cell-tag" in c.metadata.get("tags", []) for c in sortie.cells)
    assert "ÉCHEC chapitre 2" in execution.resume(list(resultats.values()))


def test_journal_garde_la_duree_d_origine(etude):
    """build/execution.json is written by executer itself (after each wave, so that the synthèse
    knows which chapters failed); a reused chapter keeps the duration of the run that produced it."""
    def journal() -> dict:
        return json.loads(execution.chemin_journal(etude).read_text(encoding="utf-8"))

    def executer(cles, **kw):
        return execution.executer(etude, cles=cles, workers=1, progression=False, **kw)

    executer(["demographie", "economie"])
    j1 = journal()
    assert j1["demographie"]["reutilise"] is False and j1["demographie"]["statut"] == "ok"
    executer(["demographie", "economie"])
    j2 = journal()
    assert j2["demographie"]["reutilise"] is True
    assert j2["demographie"]["duree"] == j1["demographie"]["duree"]
    executer(["economie"], force=True)
    assert journal()["economie"]["reutilise"] is False
    etats = {c.cle: c.statut for c in execution.etats_chapitres(etude)}
    assert etats["demographie"] == etats["economie"] == "ok" and etats["synthese"] == "absent"


def test_echec_note_au_journal_avant_la_synthese(etude):
    """The synthèse (second wave) sees the failure of a chapter of the first wave."""
    nb_path = Path(etude.dossier_notebooks) / chapitre("economie").notebook
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('panne volontaire')"))
    nbformat.write(nb, nb_path)
    synthese = Path(etude.dossier_notebooks) / chapitre("synthese").notebook
    nb = nbformat.read(synthese, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "from diagnostic_territorial.configuration.etude import Etude\n"
        "from diagnostic_territorial.execution.notebooks import etats_chapitres\n"
        "vus = {c.cle: c.statut for c in etats_chapitres(Etude.charger(etude_yaml))}\n"
        "assert vus['economie'] == 'echec' and vus['demographie'] == 'ok', vus"))
    nbformat.write(nb, synthese)
    statuts = {r.chapitre.cle: r.statut for r in execution.executer(etude, cles=CLES, workers=1, progression=False)}
    assert statuts == {"demographie": "ok", "economie": "echec", "synthese": "ok"}
    assert json.loads(execution.chemin_journal(etude).read_text(encoding="utf-8"))["economie"]["statut"] == "echec"


def test_arret_au_premier_echec(etude):
    """--arret-premier-echec: the chapters after the failed one are not run; without it they are."""
    nb_path = Path(etude.dossier_notebooks) / chapitre("economie").notebook
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('panne volontaire')"))
    nbformat.write(nb, nb_path)
    statuts = {r.chapitre.cle: r.statut for r in execution.executer(
        etude, cles=CLES, workers=1, progression=False, arret_premier_echec=True)}
    assert statuts.get("economie") == "echec"
    assert "synthese" not in statuts
    statuts = {r.chapitre.cle: r.statut for r in execution.executer(etude, cles=CLES, workers=1, progression=False)}
    assert statuts == {"demographie": "ok", "economie": "echec", "synthese": "ok"}
