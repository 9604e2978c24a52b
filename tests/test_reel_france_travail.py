"""France Travail / Dares DEFM by commune, tested on the real export of shared/data/reel (values
checked by hand in the file)."""


import pytest

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import france_travail

from conftest import REEL as REEL_BASE

REEL = REEL_BASE / "france_travail" / \
    "dares_defm_communales-brutes.csv"

# field-names header of the same Dares dataset (export without use_labels)
CHAMPS = ("date;code_region;region;code_departement;departement;code_commune;commune;type_de_donnees;categorie;"
          "sexe;tranche_d_age;nombre_de_demandeurs_d_emploi")


def valeur(df, code, variable, annee):
    ligne = df[(df["codgeo"] == code) & (df["variable"] == variable) & (df["millesime"] == annee)]
    assert len(ligne) == 1, (code, variable, annee)
    return float(ligne.iloc[0]["valeur"])


def test_export_libelles_valeurs_verifiees():
    df = france_travail.lire(REEL)
    # « 2024-T4;11;Île-de-France;75;Paris;75056;Paris;Brutes;ABC;Total;Total;196995 »
    assert valeur(df, "75056", "DEFM_ABC_T_TOT", 2024) == 196995
    # « ...;75056;Paris;Brutes;ABC;Total;De 25 à 49 ans;124710 »
    assert valeur(df, "75056", "DEFM_ABC_T_2549", 2024) == 124710
    assert valeur(df, "75056", "DEFM_ABC_T_50P", 2024) == 55840
    assert valeur(df, "75056", "DEFM_ABC_F_TOT", 2024) == 96045
    # Bordeaux: 29 450 at 2015-T4, 29 190 at 2024-T4
    assert valeur(df, "33063", "DEFM_ABC_T_TOT", 2015) == 29450
    assert valeur(df, "33063", "DEFM_ABC_T_TOT", 2024) == 29190
    assert sorted(df["millesime"].unique()) == list(range(2015, 2025))
    # Paris is published both whole and by arrondissement: both kept as published
    assert valeur(df, "75101", "DEFM_ABC_T_TOT", 2024) == 1460
    assert df.attrs["provenance"].fichier == "dares_defm_communales-brutes.csv"


def test_export_noms_de_champs(tmp_path):
    lignes = REEL.read_text(encoding="utf-8-sig").splitlines()
    chemin = tmp_path / "dares_defm_communales-brutes (1).csv"
    chemin.write_text("\ufeff" + CHAMPS + "\r\n" + "\r\n".join(lignes[1:]) + "\r\n", encoding="utf-8")
    df = france_travail.lire(chemin)
    assert valeur(df, "33063", "DEFM_ABC_T_TOT", 2024) == 29190
    assert valeur(df, "75056", "DEFM_ABC_T_M25", 2024) == 16455


def test_lignes_total_ecartees_et_comptees(tmp_path):
    lignes = REEL.read_text(encoding="utf-8-sig").splitlines()
    total = "2024-T4;;;;;Total;Total France métropolitaine;Brutes;ABC;Total;Total;3105000"
    chemin = tmp_path / "dares.csv"
    chemin.write_text("\n".join([lignes[0], total, *lignes[1:]]) + "\n", encoding="utf-8")
    df = france_travail.lire(chemin)
    assert "Total" not in set(df["codgeo"])
    assert df.attrs["provenance"].extra["lignes_sans_commune"] == 1
    # a faulty line is named by its line number in the file (the Total line counted)
    lignes_abimees = [lignes[0], total, *lignes[1:]]
    lignes_abimees[4] = lignes_abimees[4].rsplit(";", 1)[0] + ";12a"
    chemin.write_text("\n".join(lignes_abimees) + "\n", encoding="utf-8")
    with pytest.raises(FormatInconnu) as exc:
        france_travail.lire(chemin)
    assert "ligne 5" in str(exc.value) and "12a" in str(exc.value)


def test_serie_cvs_jamais_melangee(tmp_path):
    lignes = REEL.read_text(encoding="utf-8-sig").splitlines()
    cvs = lignes[1].replace(";Brutes;", ";CVS;").rsplit(";", 1)[0] + ";99999"
    chemin = tmp_path / "dares.csv"
    chemin.write_text("\n".join([lignes[0], cvs, *lignes[1:]]) + "\n", encoding="utf-8")
    df = france_travail.lire(chemin)
    assert 99999 not in set(df["valeur"])
