"""Files of data/brut/ recognised by their content whatever their name, and the millésimes « dernier »
resolved against the files actually provided (real files of shared/data/reel)."""

import shutil
import zipfile

import pytest

from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.sources import reconnaissance

from conftest import REEL as REEL_BASE, BPE_2018

REEL = REEL_BASE


@pytest.fixture
def brut(tmp_path):
    dossier = tmp_path / "data" / "brut"
    dossier.mkdir(parents=True)
    # names as a browser saves them
    shutil.copy(REEL / "caf" / "s_ben_com_f.csv", dossier / "s_ben_com_f (1).csv")
    shutil.copy(REEL / "population" / "donnees_communes_pop_2019.csv", dossier / "donnees_communes_pop_2019.csv")
    shutil.copy(REEL / "filosofi" / "FILO2019_DISP_EPCI.csv", dossier / "téléchargement.csv")
    shutil.copy(REEL / "filosofi" / "FILO2016_DISP_EPCI.csv", dossier / "FILO2016_DISP_EPCI.csv")
    shutil.copy(REEL / "france_travail" / "dares_defm_communales-brutes.csv", dossier / "export.csv")
    shutil.copy(REEL / "insee_melodi" / "insee_logement_sample.zip", dossier / "insee_logement_sample.zip")
    shutil.copy(BPE_2018, dossier / "bpe18_ensemble_csv.zip")
    (dossier / "notes.csv").write_text("nom;prenom;age\nA;B;3\n", encoding="utf-8")
    # a Caf export whose commune column was renamed by a spreadsheet
    (dossier / "caf_modifie.csv").write_text("dtreffre;code;nomcom;indfoy_rsa\n2024-12;2A004;AJACCIO;1095\n",
                                             encoding="utf-8")
    (dossier / "checksums.json").write_text("{}", encoding="utf-8")
    return dossier


def test_inventaire_par_le_contenu(brut):
    reconnus, inconnus = reconnaissance.inventaire(brut)
    par_nom = {r.nom: r for r in reconnus}
    assert par_nom["s_ben_com_f (1).csv"].source == "caf_communes"
    assert par_nom["donnees_communes_pop_2019.csv"].source == "populations_legales"
    assert par_nom["donnees_communes_pop_2019.csv"].millesime_nom == 2019
    filo = par_nom["téléchargement.csv"]
    assert (filo.source, filo.millesime_nom) == ("filosofi", 2019)
    assert par_nom["export.csv"].source == "france_travail"
    logement = par_nom["insee_logement_sample.zip/DS_RP_LOGEMENT_PRINC_2023_data.csv"]
    assert (logement.source, logement.detail) == ("rp_logement", "DS_RP_LOGEMENT_PRINC")
    assert par_nom["bpe18_ensemble_csv.zip/bpe18_ensemble.csv"].disposition == "bpe_agregee"
    noms_inconnus = {i.nom: i for i in inconnus}
    assert set(noms_inconnus) == {"notes.csv", "caf_modifie.csv"}  # checksums.json is internal
    # the closest known layout is named with what it lacks
    proche = noms_inconnus["caf_modifie.csv"].proche
    assert "s_ben_com_f" in proche and "numcomdo" in proche


def test_annees_lues_dans_les_fichiers(brut):
    pieces, _ = donnees.inventaire(brut)
    annees = {p.nom: p.annees for p in pieces}
    assert annees["s_ben_com_f (1).csv"] == (2020, 2021, 2022, 2023, 2024)
    assert annees["export.csv"] == tuple(range(2015, 2025))
    assert annees["insee_logement_sample.zip/DS_RP_LOGEMENT_PRINC_2023_data.csv"] == (2012, 2017, 2023)
    logement = next(p for p in pieces if p.source == "rp_logement")
    assert logement.servis == (2023,)  # a census file serves its main year (2017, 2012 are inside)


def test_dernier_resolu_sur_les_fichiers_fournis(brut):
    pieces, _ = donnees.inventaire(brut)
    demandes = {"rp": 2023, "filosofi": "dernier", "populations_legales": "dernier", "bpe": "dernier",
                "caf_communes": "dernier", "caf_txcouv_pe": "dernier", "france_travail": "dernier"}
    r = donnees.resoudre(demandes, pieces)
    m = r.millesimes
    assert (m["rp"], m["rp_precedent"]) == (2023, 2017)
    assert (m["filosofi"], m["filosofi_precedent"]) == (2019, 2016)
    assert (m["caf_communes"], m["caf_communes_precedent"]) == (2024, 2020)
    assert (m["france_travail"], m["france_travail_precedent"]) == (2024, 2015)
    assert m["bpe"] == 2018 and m["populations_legales"] == 2019
    assert "s_ben_com_f (1).csv" in r.explications["caf_communes"]
    # nothing provided: the latest published (it will be downloaded), said as such
    assert m["caf_txcouv_pe"] == 2023 and "aucun fichier" in r.explications["caf_txcouv_pe"]
    # an explicit year always wins
    r2 = donnees.resoudre({**demandes, "caf_communes": 2022, "france_travail_precedent": 2019}, pieces)
    assert r2.millesimes["caf_communes"] == 2022 and r2.millesimes["france_travail_precedent"] == 2019


def test_fichier_sans_annee_demande_son_millesime(tmp_path):
    brut = tmp_path / "brut"
    brut.mkdir()
    shutil.copy(REEL / "population" / "donnees_communes_pop_2019.csv", brut / "donnees_communes.csv")
    pieces, _ = donnees.inventaire(brut)
    r = donnees.resoudre({"rp": 2023, "populations_legales": "dernier"}, pieces)
    assert "ne porte pas son année" in r.explications["populations_legales"]
    assert "populations_legales: <année>" in r.explications["populations_legales"]
    choisis, _ = donnees._pieces_de(pieces, "populations_legales", 2019, explicite=True)
    assert [p.nom for p in choisis] == ["donnees_communes.csv"]
    assert donnees._pieces_de(pieces, "populations_legales", 2023, explicite=False)[0] == []


def test_zip_sans_donnees_reconnues(tmp_path):
    chemin = tmp_path / "archive.zip"
    with zipfile.ZipFile(chemin, "w") as z:
        z.writestr("lisez-moi.txt", "rien")
        z.writestr("tableau.csv", "x;y\n1;2\n")
    resultat = reconnaissance.reconnaitre(chemin)
    assert isinstance(resultat, reconnaissance.NonReconnu)
    assert "aucun fichier de données reconnu" in resultat.raison
