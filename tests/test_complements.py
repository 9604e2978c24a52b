"""The consultant's own notebooks (complements/ of a study): found in the order of their names, executed
like the chapters (incremental keys, failures reported), numbered chapters of the report before the
synthèse, and never shipped by the template (cruft update leaves them alone)."""

import json
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import copie_etude
from diagnostic_territorial import cli
from diagnostic_territorial.execution import notebooks as execution
from diagnostic_territorial.chapitres.plan import (CHAPITRES, DOSSIER_COMPLEMENTS, ComplementInvalide, chapitres_etude,
                                         complements)

SYNTHESE = len(CHAPITRES)  # the synthèse's number without complements


def ecrire_notebook(chemin: Path, *cellules, titre: str | None = None) -> Path:
    """A notebook with the chapters' parameters cell, then `cellules` (code, or ("md", text))."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parametres = nbformat.v4.new_code_cell('etude_yaml = "../etude.yaml"')
    parametres.metadata["tags"] = ["parameters"]
    nb.cells = ([nbformat.v4.new_markdown_cell(f"# {titre}")] if titre else []) + [parametres]
    for c in cellules:
        nb.cells.append(nbformat.v4.new_markdown_cell(c[1]) if isinstance(c, tuple) else nbformat.v4.new_code_cell(c))
    chemin.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, chemin)
    return chemin


# --- fast: discovery, keys, journal ----------------------------------------------------------

def test_decouverte_ordre_titres_et_fichiers_ignores(tmp_path):
    d = tmp_path / DOSSIER_COMPLEMENTS
    ecrire_notebook(d / "f_suite.ipynb")  # no « # » heading: title from the file name
    ecrire_notebook(d / "Économie locale.ipynb", ("md", "Introduction\n\n## Une section"), titre="Économie du *bourg*")
    ecrire_notebook(d / "01 Enquête auprès des habitants.ipynb", titre="Enquête locale")
    ecrire_notebook(d / "02_donnees_partenaire.ipynb", ("md", "```\n# pas un titre\n```"))
    ecrire_notebook(d / "sous-dossier" / "aide.ipynb", titre="Pas un chapitre")
    ecrire_notebook(d / ".ipynb_checkpoints" / "f_suite-checkpoint.ipynb", titre="Pas un chapitre")
    (d / ".brouillon.ipynb").write_text("pas du JSON", encoding="utf-8")  # hidden: ignored, even unreadable
    (d / "dossier.ipynb").mkdir()
    (d / "notes.txt").write_text("# Pas un chapitre", encoding="utf-8")
    (d / "enquête.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    (d / "LISEZMOI.md").write_text("# Lisez-moi", encoding="utf-8")

    trouves = complements(tmp_path)
    # alphabetical, case and accents ignored (« É » between « 0 » and « f », not after « z »)
    assert [c.notebook for c in trouves] == ["01 Enquête auprès des habitants.ipynb", "02_donnees_partenaire.ipynb",
                                             "Économie locale.ipynb", "f_suite.ipynb"]
    assert [c.titre for c in trouves] == ["Enquête locale", "Donnees partenaire", "Économie du *bourg*", "F suite"]
    assert [c.cle for c in trouves] == ["complement-01 Enquête auprès des habitants", "complement-02_donnees_partenaire",
                                        "complement-Économie locale", "complement-f_suite"]
    assert all(c.complement and c.dossier == DOSSIER_COMPLEMENTS and not c.apres_les_autres for c in trouves)
    assert trouves[0].notebook_execute == "complement-01 Enquête auprès des habitants.ipynb"
    assert not any(c.complement for c in CHAPITRES) and CHAPITRES[0].notebook_execute == CHAPITRES[0].notebook

    # The report's chapters: the plan's, then the complements, then the synthèse.
    plan = chapitres_etude(tmp_path)
    assert [c.cle for c in plan] == [c.cle for c in CHAPITRES[:-1]] + [c.cle for c in trouves] + ["synthese"]
    assert plan[-1].apres_les_autres
    assert chapitres_etude(tmp_path / "sans-complements") == list(CHAPITRES)


@pytest.mark.parametrize("contenu, attendu", [
    ('{"cells": [\n<<<<<<< HEAD\n', "n'est pas un JSON valide (ligne 2, colonne 1"),
    ("", "n'est pas un JSON valide"),
    ("[1, 2]", "pas un notebook Jupyter (pas de liste « cells »)"),
])
def test_notebook_illisible_erreur_en_francais_qui_le_nomme(tmp_path, contenu, attendu):
    ecrire_notebook(tmp_path / DOSSIER_COMPLEMENTS / "01_bon.ipynb", titre="Bon")
    (tmp_path / DOSSIER_COMPLEMENTS / "Enquête cassée.ipynb").write_text(contenu, encoding="utf-8")
    with pytest.raises(ComplementInvalide) as erreur:
        chapitres_etude(tmp_path)
    message = str(erreur.value)
    assert "« complements/Enquête cassée.ipynb »" in message and attendu in message, message
    assert "retirez-le du dossier complements/" in message


def test_octets_non_utf8(tmp_path):
    (tmp_path / DOSSIER_COMPLEMENTS).mkdir()
    (tmp_path / DOSSIER_COMPLEMENTS / "x.ipynb").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ComplementInvalide, match="« complements/x.ipynb » n'est pas un fichier texte UTF-8"):
        complements(tmp_path)


def fausse_etude(racine: Path) -> SimpleNamespace:
    """What composantes_cle, etats_chapitres and retirer_complements_disparus read of a study."""
    return SimpleNamespace(racine=racine, chemin=racine / "etude.yaml", dossier_notebooks=racine / "notebooks",
                           dossier_analyses=racine / "analyses", dossier_build=racine / "build")


def test_cle_d_un_complement_et_ses_entrees(tmp_path):
    """A complement's key: its notebook and the other files of complements/ (its data), not the other
    notebooks of the folder, the LISEZMOI nor JupyterLab's checkpoints; the plan's chapters do not
    depend on complements/ at all."""
    etude = fausse_etude(tmp_path)
    d = tmp_path / DOSSIER_COMPLEMENTS
    ecrire_notebook(d / "a.ipynb", titre="A")
    b = ecrire_notebook(d / "b.ipynb", titre="B")
    (d / "donnees").mkdir()
    (d / "donnees" / "enquête.csv").write_text("x\n1\n", encoding="utf-8")
    (d / "LISEZMOI.md").write_text("v1", encoding="utf-8")
    demographie = CHAPITRES[0]

    def cles():
        empreintes = execution.Empreintes(None)
        plan = {c.cle: c for c in chapitres_etude(tmp_path)}
        return {cle: execution.composantes_cle(etude, plan[cle], {}, empreintes)
                for cle in ("complement-a", "complement-b", demographie.cle)}

    avant = cles()
    assert avant[demographie.cle].keys() == {"notebook", "parametres", "analyse"}  # unchanged for the plan's chapters
    assert avant["complement-a"]["complements"] != "absent"
    # same parameters as the chapters: complements/ and notebooks/ are at the same depth
    assert execution._parametres(etude, d) == execution._parametres(etude) == {"etude_yaml": "../etude.yaml"}

    b.write_text(b.read_text(encoding="utf-8").replace('"# B"', '"# B modifié"'), encoding="utf-8")
    (d / "LISEZMOI.md").write_text("v2", encoding="utf-8")
    ecrire_notebook(d / ".ipynb_checkpoints" / "a-checkpoint.ipynb", titre="brouillon")
    apres = cles()
    assert apres["complement-a"] == avant["complement-a"]
    assert apres["complement-b"]["notebook"] != avant["complement-b"]["notebook"]
    assert apres[demographie.cle] == avant[demographie.cle]

    (d / "donnees" / "enquête.csv").write_text("x\n2\n", encoding="utf-8")
    donnees = cles()
    assert donnees["complement-a"]["complements"] != apres["complement-a"]["complements"]
    assert donnees["complement-a"]["notebook"] == apres["complement-a"]["notebook"]
    assert donnees[demographie.cle] == apres[demographie.cle]
    assert execution.LIBELLES_COMPOSANTES["complements"] == "fichiers de complements/ modifiés"


def test_etats_numerotes_et_complement_retire(tmp_path):
    etude = fausse_etude(tmp_path)
    ecrire_notebook(tmp_path / DOSSIER_COMPLEMENTS / "enquête.ipynb", titre="Enquête locale")
    build = tmp_path / "build"
    sorties = build / "notebooks"
    sorties.mkdir(parents=True)
    (build / "resultats").mkdir()
    for cle in ("complement-enquête", "complement-ancien"):
        for fichier in (f"{cle}.ipynb", f"{cle}.cle.json", f"{cle}.log"):
            (sorties / fichier).write_text("{}", encoding="utf-8")
        (build / "resultats" / f"{cle}.json").write_text("{}", encoding="utf-8")
    (sorties / CHAPITRES[0].notebook).write_text("{}", encoding="utf-8")
    journal = {"demographie": {"statut": "ok"}, "complement-enquête": {"statut": "echec", "erreur": "ValueError : x"},
               "complement-ancien": {"statut": "ok"}}
    execution.ecrire_json(execution.chemin_journal(etude), journal)

    etats = execution.etats_chapitres(etude)
    assert [(c.numero, c.cle) for c in etats][-2:] == [(SYNTHESE, "complement-enquête"), (SYNTHESE + 1, "synthese")]
    complement = etats[-2]
    assert (complement.titre, complement.statut, complement.erreur) == ("Enquête locale", "echec", "ValueError : x")
    assert complement.chemin == sorties / "complement-enquête.ipynb"
    assert etats[-1].statut == "absent" and etats[0].statut == "ok"

    # « complements/ancien.ipynb » was removed: what it left in build/ goes, nothing else.
    assert execution.retirer_complements_disparus(etude) == ["complement-ancien"]
    assert sorted(p.name for p in sorties.iterdir()) == [
        CHAPITRES[0].notebook, "complement-enquête.cle.json", "complement-enquête.ipynb", "complement-enquête.log"]
    assert [p.name for p in (build / "resultats").iterdir()] == ["complement-enquête.json"]
    assert set(json.loads(execution.chemin_journal(etude).read_text(encoding="utf-8"))) == {
        "demographie", "complement-enquête"}
    assert execution.retirer_complements_disparus(etude) == []


def test_le_modele_ne_livre_aucun_notebook_dans_complements(racine):
    """cruft update applies the template's changes: with no notebook of its own in complements/, it
    never touches the consultant's."""
    dossier = racine / "{{cookiecutter.territoire}}" / DOSSIER_COMPLEMENTS
    assert sorted(p.name for p in dossier.iterdir()) == ["LISEZMOI.md"]
    lisezmoi = (dossier / "LISEZMOI.md").read_text(encoding="utf-8")
    assert 'etude_yaml = "../etude.yaml"' in lisezmoi and "parameters" in lisezmoi
    assert "{{" not in lisezmoi and "{%" not in lisezmoi and "{#" not in lisezmoi  # rendered by cookiecutter


# --- slow: a demo study with two complements, executed and assembled -----------------------------

ENQUETE = "01 Enquête locale.ipynb"  # spaces and accents in the name
PARTENAIRE = "02_donnees_partenaire.ipynb"  # no « # » heading: titled from its name
CLE_ENQUETE = "complement-01 Enquête locale"
CLE_PARTENAIRE = "complement-02_donnees_partenaire"
CODE_ENQUETE = """
import pandas as pd
from diagnostic_territorial.rendu import presentation
from diagnostic_territorial.chapitres import ouvrir_etude

etude = ouvrir_etude(etude_yaml)
reponses = pd.read_csv("réponses quartiers.csv")  # next to the notebook: the kernel runs in complements/
presentation.tableau(reponses, "Enquête locale auprès des habitants, 2025")
"""


def lancer(etude: Path, capsys, *args) -> tuple[int, str]:
    statut = cli.main(["--etude", str(etude / "etude.yaml"), *args])
    sortie = capsys.readouterr()
    return statut, sortie.out + sortie.err


def section(html: str, numero: int) -> str:
    """The report's chapter `numero` (its <section>, attributes in the order nbconvert writes them)."""
    m = re.search(rf'<section aria-labelledby="chap-{numero}" class="chapitre[^"]*">.*?</section>', html, re.DOTALL)
    assert m, f"chapitre {numero} absent du rapport"
    return m.group(0)


def produit(section_html: str) -> bool:
    return 'class="chapitre">' in section_html.split("\n", 1)[0] and "Chapitre en cours de production" not in section_html


@pytest.mark.lent
def test_complements_executes_numerotes_incrementaux_et_echec_signale(etude_preparee, tmp_path, capsys):
    etude = copie_etude(etude_preparee, tmp_path)
    d = etude / DOSSIER_COMPLEMENTS
    assert sorted(p.name for p in d.iterdir()) == ["LISEZMOI.md"]  # what the template ships
    (d / "réponses quartiers.csv").write_text("Quartier,Répondants\nLes Tilleuls,137\nBourg-centre,58\n",
                                              encoding="utf-8")
    ecrire_notebook(d / ENQUETE, ("md", "## Résultats par quartier"), CODE_ENQUETE, titre="Enquête locale 2025")
    ecrire_notebook(d / PARTENAIRE, "print('Données du partenaire : 4 structures')")
    chapitres = f"demographie,{CLE_ENQUETE},{CLE_PARTENAIRE}"
    n_enquete, n_partenaire, n_synthese = SYNTHESE, SYNTHESE + 1, SYNTHESE + 2

    # 1. Executed with a plan chapter, assembled: numbered chapters before the synthèse.
    statut, texte = lancer(etude, capsys, "notebooks", "--chapitres", chapitres, "--workers", "2")
    assert statut == 0, texte
    assert "3 chapitre(s) sans erreur sur 3 : 3 exécuté(s), 0 inchangé(s)" in texte, texte
    sortie_enquete = etude / "build" / "notebooks" / f"{CLE_ENQUETE}.ipynb"
    nb = nbformat.read(sortie_enquete, as_version=4)
    assert nb.metadata["papermill"]["parameters"] == {"etude_yaml": "../etude.yaml"}
    assert nb.metadata["papermill"]["input_path"] == f"complements/{ENQUETE}"  # no path of the machine
    statut, texte = lancer(etude, capsys, "assembler")
    assert statut == 0, texte
    rapport = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")
    enquete = section(rapport, n_enquete)
    assert f'<span class="numero">{n_enquete}.</span> Enquête locale 2025</h1>' in enquete
    assert f'<span class="numero">{n_enquete}.1</span> Résultats par quartier' in enquete
    assert all(v in enquete for v in ("Les Tilleuls", "137", "Bourg-centre", "58", "Enquête locale auprès des habitants"))
    assert produit(enquete) and "etude_yaml" not in enquete  # no code shown
    partenaire = section(rapport, n_partenaire)
    assert f'<span class="numero">{n_partenaire}.</span> Donnees partenaire</h1>' in partenaire
    assert produit(partenaire) and "Données du partenaire : 4 structures" in partenaire
    assert "Synthèse et enjeux" in section(rapport, n_synthese)  # not executed here: « non produit »
    demographie = section(rapport, 1)
    assert produit(demographie) and "Dynamique démographique" in demographie

    # 2. Nothing changed: nothing re-executed.
    avant = sortie_enquete.stat().st_mtime_ns
    statut, texte = lancer(etude, capsys, "notebooks", "--chapitres", chapitres, "--workers", "2")
    assert statut == 0 and "3 chapitre(s) sans erreur sur 3 : 0 exécuté(s), 3 inchangé(s)" in texte, texte
    assert sortie_enquete.stat().st_mtime_ns == avant
    journal = json.loads((etude / "build" / "execution.json").read_text(encoding="utf-8"))
    assert journal[CLE_ENQUETE]["statut"] == "ok" and journal[CLE_ENQUETE]["reutilise"] is True

    # 3. One complement fails: reported like a failed chapter, only it is re-executed, the others intact.
    ecrire_notebook(d / PARTENAIRE, "raise ValueError('fichier du partenaire introuvable')")
    statut, texte = lancer(etude, capsys, "notebooks", "--chapitres", chapitres, "--workers", "2")
    assert statut == 1, texte
    assert "2 chapitre(s) sans erreur sur 3 : 0 exécuté(s), 2 inchangé(s)" in texte, texte
    assert f"ÉCHEC chapitre {n_partenaire} « Donnees partenaire » : ValueError" in texte, texte
    statut, texte = lancer(etude, capsys, "assembler")
    assert statut == 0, texte
    rapport = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")
    partenaire = section(rapport, n_partenaire)
    assert 'class="chapitre non-produit"' in partenaire.split("\n", 1)[0]
    assert "Chapitre en cours de production" in partenaire and "fichier du partenaire introuvable" not in partenaire
    technique = (etude / "livrables" / "annexe-technique.html").read_text(encoding="utf-8")
    assert "fichier du partenaire introuvable" in technique  # the consultant's technical annex says why
    assert f'<span class="numero">{n_partenaire}.</span> Donnees partenaire</h1>' in partenaire
    assert "137" in section(rapport, n_enquete) and produit(section(rapport, n_enquete))
    assert produit(section(rapport, 1))

    # 4. Its data changes and the failing complement is removed: the first one only is re-executed,
    #    the removed one leaves the report and build/, the synthèse takes its number back.
    (d / "réponses quartiers.csv").write_text("Quartier,Répondants\nLes Tilleuls,141\nBourg-centre,58\n",
                                              encoding="utf-8")
    (d / PARTENAIRE).unlink()
    statut, texte = lancer(etude, capsys, "notebooks", "--chapitres", f"demographie,{CLE_ENQUETE}", "--workers", "2")
    assert statut == 0, texte
    assert re.search(rf"  {re.escape(CLE_ENQUETE)} exécuté en [0-9.]+ s : fichiers de complements/ modifiés "
                     r"\(réponses quartiers\.csv modifié\)\n", texte), texte
    assert "2 chapitre(s) sans erreur sur 2 : 1 exécuté(s), 1 inchangé(s)" in texte, texte
    assert not list((etude / "build" / "notebooks").glob(f"{CLE_PARTENAIRE}*"))
    statut, texte = lancer(etude, capsys, "assembler")
    assert statut == 0, texte
    rapport = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")
    assert "141" in section(rapport, n_enquete) and "Donnees partenaire" not in rapport
    assert "Synthèse et enjeux" in section(rapport, n_enquete + 1)

    # A notebook that is not JSON stops « notebooks » with a French message naming it.
    (d / "03 cassé.ipynb").write_text('{"cells": [', encoding="utf-8")
    statut, texte = lancer(etude, capsys, "notebooks", "--chapitres", "demographie")
    assert statut == 2 and "« complements/03 cassé.ipynb » n'est pas un JSON valide" in texte, texte
