"""Integrity of the data and of the deliverables (issue « Sécurité et intégrité »): the cache
follows the content of data/brut/, an incomplete or impossible file is named and not published, a
link out of the study is never read, a full or read-only disk leaves the previous deliverables
intact, a missing cache never silently empties a good report."""

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import copie_etude

from diagnostic_territorial import cli

from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.configuration.etude import Etude


def commande(etude: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(etude / "src")}
    return subprocess.run([sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"), *args],
                          capture_output=True, text=True, cwd=etude, env=env, timeout=900)


@pytest.fixture
def preparee(etude_preparee, tmp_path):
    return copie_etude(etude_preparee, tmp_path)


def valeur_caf(etude: Path, code: str, variable: str) -> float:
    e = Etude.charger(etude / "etude.yaml")
    df = donnees.charger(e, "caf_communes", e.millesimes["caf_communes"])
    return df[(df["codgeo"] == code) & (df["variable"] == variable)]["valeur"].item()


def remplacer_ligne(chemin: Path, debut: str, transformer) -> str:
    """Rewrite the first line starting with `debut` (bytes kept elsewhere); returns the old line."""
    lignes = chemin.read_bytes().decode("utf-8").split("\r\n")
    i = next(k for k, ligne in enumerate(lignes) if ligne.startswith(debut))
    ancienne = lignes[i]
    lignes[i] = transformer(ancienne)
    chemin.write_bytes("\r\n".join(lignes).encode("utf-8"))
    return ancienne


def test_fichier_remplace_par_une_version_plus_ancienne_est_relu(preparee):
    chemin = preparee / "data" / "brut" / "s_ben_com_f.csv"
    avant = valeur_caf(preparee, "31135", "indfoy_rsa")
    taille = chemin.stat().st_size
    # the same file with one count changed (same size), dated 2001: only its content tells
    ancienne = remplacer_ligne(chemin, "2024-12;31135;", lambda l: l.replace(f";{int(avant)};", f";{int(avant) + 5 if avant < 995 else int(avant) - 5};", 1))
    assert chemin.stat().st_size == taille and ancienne != ""
    os.utime(chemin, (978_307_200, 978_307_200))
    e = Etude.charger(preparee / "etude.yaml")
    donnees.preparer(e, telecharger=False)
    assert valeur_caf(preparee, "31135", "indfoy_rsa") != avant


def test_fichier_en_tete_seul_nomme_et_non_publie(preparee):
    chemin = preparee / "data" / "brut" / "s_ben_com_f.csv"
    chemin.write_bytes(chemin.read_bytes().split(b"\r\n", 1)[0] + b"\r\n")
    r = commande(preparee, "donnees", "--hors-ligne")
    assert "s_ben_com_f.csv" in r.stdout and "en-tête seul" in r.stdout
    e = Etude.charger(preparee / "etude.yaml")
    # no stale cache of the previous file is left to be published
    assert not donnees.chemin_cache(e, "caf_communes", e.millesimes["caf_communes"]).exists()


def test_valeurs_impossibles_nommees_et_ecartees(preparee):
    chemin = preparee / "data" / "brut" / "s_ben_com_f.csv"
    entete = chemin.read_bytes().decode("utf-8").split("\r\n", 1)[0].split(";")
    i_nbp, i_rsa = entete.index("indnbp_ndur"), entete.index("indfoy_rsa")

    def abimer(ligne: str) -> str:
        champs = ligne.split(";")
        champs[i_nbp] = "250000"  # covered people: 50 times Cazères' population
        return ";".join(champs)

    remplacer_ligne(chemin, "2024-12;31135;", abimer)
    remplacer_ligne(chemin, "2024-12;31454;", lambda l: ";".join(
        c if k != i_rsa else "-15" for k, c in enumerate(l.split(";"))))
    r = commande(preparee, "donnees", "--hors-ligne")
    assert "Valeurs impossibles écartées" in r.stdout, r.stdout[-2000:]
    assert ("s_ben_com_f.csv, colonne indnbp_ndur, commune 31135 (2024) : plus de personnes que la population de la "
            "commune ; valeur écartée") in r.stdout
    assert "s_ben_com_f.csv, colonne indfoy_rsa, commune 31454 (2024) : valeur négative impossible" in r.stdout
    assert np.isnan(valeur_caf(preparee, "31135", "indnbp_ndur"))
    assert np.isnan(valeur_caf(preparee, "31454", "indfoy_rsa"))
    assert valeur_caf(preparee, "31135", "indfoy_rsa") > 0  # the other values of the row stay


def test_lien_symbolique_hors_de_l_etude_refuse_sans_en_montrer_le_contenu(preparee, tmp_path):
    dehors = tmp_path / "secret.csv"
    dehors.write_text("dtreffre;numcomdo;nomcom;indfoy_rsa\n2024-12;31135;MOT-DE-PASSE-123;5\n", encoding="utf-8")
    (preparee / "data" / "brut" / "caf_lien.csv").symlink_to(dehors)
    r = commande(preparee, "donnees", "--hors-ligne")
    assert "caf_lien.csv : NON RECONNU (lien symbolique vers un fichier hors de l'étude : refusé, non lu" in r.stdout
    assert "MOT-DE-PASSE" not in r.stdout + r.stderr


def test_fichier_inconnu_jamais_recopie_dans_les_messages(preparee):
    (preparee / "data" / "brut" / "notes_entretiens.csv").write_text(
        "nom;telephone;avis\nMme Durand;0612345678;très fragile\n", encoding="utf-8")
    r = commande(preparee, "donnees", "--hors-ligne")
    assert "notes_entretiens.csv : NON RECONNU (en-tête inconnu (3 colonne(s)))" in r.stdout
    assert "telephone" not in r.stdout and "Durand" not in r.stdout


@pytest.mark.parametrize("code, cause", [(errno.ENOSPC, "le disque est plein"),
                                         (errno.EROFS, "le disque est en lecture seule")])
def test_disque_plein_ou_en_lecture_seule_garde_le_rapport(etude_executee, tmp_path, monkeypatch, capsys, code, cause):
    etude = copie_etude(etude_executee, tmp_path)
    rapport = etude / "livrables" / "rapport.html"
    avant = rapport.read_bytes()
    from diagnostic_territorial import ecriture

    def refuser(source, cible):
        raise OSError(code, os.strerror(code), str(source))

    monkeypatch.setattr(ecriture.os, "replace", refuser)
    monkeypatch.syspath_prepend(str(etude / "src"))
    statut = cli.main(["--etude", str(etude / "etude.yaml"), "assembler", "--force"])
    erreur = capsys.readouterr().err
    assert statut == 2
    assert f"écriture impossible dans le dossier « {etude / 'livrables'} » : {cause}" in erreur
    assert "Traceback" not in erreur
    assert rapport.read_bytes() == avant
    assert not [p for p in (etude / "livrables").iterdir() if p.name.endswith(".tmp")]


def test_cache_supprime_prepare_avant_les_notebooks(etude_executee, tmp_path):
    etude = copie_etude(etude_executee, tmp_path)
    shutil.rmtree(etude / "data" / "cache")
    r = commande(etude, "notebooks", "--chapitres", "demographie")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "préparation depuis data/brut/" in r.stdout
    assert (etude / "data" / "cache" / "rp_evol_struct_pop_2023.parquet").exists()


def test_donnees_disparues_le_rapport_n_est_pas_refait_a_vide(etude_executee, tmp_path):
    etude = copie_etude(etude_executee, tmp_path)
    notebook = etude / "build" / "notebooks" / "01_demographie.ipynb"
    avant = notebook.read_bytes()
    shutil.rmtree(etude / "data" / "cache")
    for f in (etude / "data" / "brut").glob("DS_RP_*"):
        f.unlink()
    r = commande(etude, "notebooks", "--chapitres", "demographie")
    assert r.returncode == 2
    assert "ont disparu de data/cache/ et de data/brut/" in r.stderr and "rp_evol_struct_pop_2023" in r.stderr
    assert "Traceback" not in r.stderr
    assert notebook.read_bytes() == avant
    # everything gone: stop before running anything
    shutil.rmtree(etude / "data" / "cache")
    shutil.rmtree(etude / "data" / "brut")
    (etude / "data" / "brut").mkdir()
    r = commande(etude, "notebooks")
    assert r.returncode == 2 and "Aucune donnée préparée" in r.stderr
    assert notebook.read_bytes() == avant


def test_livrables_sans_notebooks_ne_remplacent_pas_le_rapport(etude_executee, tmp_path):
    etude = copie_etude(etude_executee, tmp_path)
    rapport = etude / "livrables" / "rapport.html"
    avant = rapport.read_bytes()
    shutil.rmtree(etude / "build" / "notebooks")
    r = commande(etude, "livrables", "--force")
    assert r.returncode == 2 and "Aucun notebook exécuté" in r.stderr
    assert rapport.read_bytes() == avant


def test_chapitre_en_echec_nomme_dans_la_synthese_et_le_diaporama(etude_executee, tmp_path):
    """A chapter that fails after recording its findings: the synthèse (deliverable and chapter 13)
    and the slides name it as not produced and never repeat its old findings."""
    import json

    import nbformat

    etude = copie_etude(etude_executee, tmp_path)
    anciens = json.loads((etude / "build" / "resultats" / "jeunesse.json").read_text(encoding="utf-8"))["a_retenir"]
    assert anciens
    chemin = etude / "notebooks" / "07_jeunesse.ipynb"
    nb = nbformat.read(chemin, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('raise RuntimeError("panne simulée")'))
    nbformat.write(nb, chemin)
    r = commande(etude, "notebooks", "--chapitres", "jeunesse,synthese")
    assert r.returncode == 1 and "Échec du chapitre 7 « Jeunesse (12-25 ans) »" in r.stderr + r.stdout
    assert not (etude / "build" / "resultats" / "jeunesse.json").exists()
    for livrable in ("synthese", "presentation"):  # the two deliverables checked (not the whole set)
        r = commande(etude, livrable)
        assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr[-2000:]
    synthese = (etude / "livrables" / "synthese.html").read_text(encoding="utf-8")
    diaporama = (etude / "livrables" / "presentation.slides.html").read_text(encoding="utf-8")
    chapitre = (etude / "build" / "notebooks" / "13_synthese.ipynb").read_text(encoding="utf-8")
    assert "Chapitres en cours de production" in synthese and "7. Jeunesse (12-25 ans)" in synthese
    assert "Chapitres en cours de production" in diaporama and "7. Jeunesse (12-25 ans)" in diaporama
    assert "panne simulée" not in synthese + diaporama  # the error is for the technical annex
    assert "dont les constats seront repris dans une prochaine version : Jeunesse (12-25 ans)" in chapitre
    for point in anciens:
        debut = point[:60]
        assert debut not in synthese and debut not in diaporama
    assert "8. Parentalité et familles" in synthese  # the other chapters' findings are still there
