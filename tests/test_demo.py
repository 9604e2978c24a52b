"""Demo data: the simulated recensement (Melodi), Caf and France Travail files are written in the
layouts of the real published files and read back by the project's own readers."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import COMMUNES_CŒUR_DE_GARONNE, CŒUR_DE_GARONNE
import yaml

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import caf, catalogue, france_travail, melodi, population
from diagnostic_territorial_demo import donnees as demo

COMMUNES = COMMUNES_CŒUR_DE_GARONNE
JEUX_RP = [j.id for j in dict.fromkeys(melodi.jeux().values()) if j.source.startswith("rp_")]
VALEUR_JAVA = re.compile(r"\d+\.\d+|\d\.\d+E-?\d+")


@pytest.fixture(scope="module")
def brut(tmp_path_factory) -> Path:
    """data/brut/ of a fake study of the demo EPCI's communes (the installer reads its etude.yaml)."""
    racine = tmp_path_factory.mktemp("etude")
    territoire = {"communes": [{"code": c, "nom": c, "departement": "31", "region": "76", "epci": CŒUR_DE_GARONNE}
                               for c in COMMUNES]}
    (racine / "etude.yaml").write_text(yaml.safe_dump({"territoire": territoire}), encoding="utf-8")
    dossier = racine / "data" / "brut"
    demo.installer_donnees_demo(dossier)
    return dossier


@pytest.fixture(scope="module")
def rp(brut) -> dict[str, pd.DataFrame]:
    return {jeu: melodi.lire(brut / demo.nom_fichier_melodi(jeu)[0], 2023) for jeu in JEUX_RP}


@pytest.fixture(scope="module")
def rp_large(rp) -> pd.DataFrame:
    """Every rp_* variable of 2023, one column per variable, one row per territory."""
    tout = pd.concat(rp.values(), ignore_index=True)
    return tout[tout["millesime"] == 2023].pivot_table(index="codgeo", columns="variable", values="valeur")


def _donnees(brut: Path, jeu: str) -> pd.DataFrame:
    archive, membre, _ = demo.nom_fichier_melodi(jeu)
    with zipfile.ZipFile(brut / archive) as z:
        return pd.read_csv(z.open(membre), sep=";", dtype=str, keep_default_na=False)


# --- Melodi (recensement 2023) ----------------------------------------------------------------------


def test_un_fichier_melodi_par_jeu_rp_dans_la_mise_en_page_reelle(brut):
    for jeu in JEUX_RP:
        archive, membre, meta = demo.nom_fichier_melodi(jeu)
        assert archive == f"{jeu}_2023_CSV_FR.zip"
        with zipfile.ZipFile(brut / archive) as z:
            assert z.namelist() == [membre, meta]
            octets = z.read(membre)
            metadonnees = z.read(meta).decode("utf-8")
        # like the real extracts: no BOM, LF, `;`, no quote
        assert not octets.startswith(b"\xef\xbb\xbf") and b"\r\n" not in octets and b'"' not in octets
        entete = octets[: octets.index(b"\n")].decode("ascii").split(";")
        dimensions = list(melodi.jeux()[jeu].dimensions)
        attributs = ["OBS_STATUS"] if jeu == "DS_RP_FAMILLE_COMP" else ["FREQ", "OBS_STATUS"]
        assert entete == ["GEO", "GEO_OBJECT", *dimensions, *attributs, "TIME_PERIOD", "OBS_VALUE"]
        assert metadonnees.startswith("COD_VAR;LIB_VAR;COD_MOD;LIB_MOD\n")
        assert {ligne.split(";")[0] for ligne in metadonnees.splitlines()[1:]} >= set(dimensions)
        df = _donnees(brut, jeu)
        annees = {"2023"} if "_TD_" in jeu else {"2012", "2017", "2023"}
        assert set(df["TIME_PERIOD"]) == annees, jeu
        assert set(df["GEO_OBJECT"]) == {"COM", "DEP", "EPCI", "FRANCE", "REG"}
        assert set(df.loc[df["GEO_OBJECT"] == "FRANCE", "GEO"]) == {"F", "FM"}
        assert df["OBS_VALUE"].str.fullmatch(VALEUR_JAVA.pattern).all(), jeu
        # the communes of the study's département, nothing else at commune level
        assert df.loc[df["GEO_OBJECT"] == "COM", "GEO"].str.startswith("31").all()
        assert set(COMMUNES) <= set(df.loc[df["GEO_OBJECT"] == "COM", "GEO"])
        # every EPCI, département and région of France (hors Mayotte)
        assert df.loc[df["GEO_OBJECT"] == "DEP", "GEO"].nunique() == 100
        assert df.loc[df["GEO_OBJECT"] == "REG", "GEO"].nunique() == 17
        assert df.loc[df["GEO_OBJECT"] == "EPCI", "GEO"].nunique() > 1200
        # rows ordered as in the real files: territory level, territory, census
        objets = df["GEO_OBJECT"].drop_duplicates().tolist()
        assert objets == sorted(objets)


def test_grandes_valeurs_en_notation_scientifique_java(brut):
    df = _donnees(brut, "DS_RP_POPULATION_PRINC")
    france = df[(df["GEO"] == "F") & (df["SEX"] == "_T") & (df["AGE"] == "_T") & (df["TIME_PERIOD"] == "2023")]
    (texte,) = france["OBS_VALUE"]
    assert re.fullmatch(r"6\.8\d*E7", texte)
    valeurs = df["OBS_VALUE"].astype(float)
    assert df.loc[valeurs >= 1e7, "OBS_VALUE"].str.fullmatch(r"\d\.\d+E[78]").all()
    assert not df.loc[(valeurs >= 1e-3) & (valeurs < 1e7), "OBS_VALUE"].str.contains("E").any()


def test_valeurs_java():
    textes = demo._valeurs_java(np.array([0, 1, 12, 50, 100_000, 909_237_544, 12_345_678_900_000, 1_000_000_000_000]))
    assert textes.to_pylist() == ["0.0", "1.0E-5", "1.2E-4", "5.0E-4", "1.0", "9092.37544", "1.23456789E8", "1.0E7"]


def test_toutes_les_variables_rp_declarees_ont_des_valeurs(rp):
    for jeu, df in rp.items():
        prov = df.attrs["provenance"]
        assert prov.extra["variables_absentes"] == {}, jeu
        assert prov.extra["france"] == "France hors Mayotte"
        attendues = {c.variable for c in melodi.jeux()[jeu].correspondances}
        en_2023 = df[df["millesime"] == 2023]
        for code in [*COMMUNES, "FRM", "31", "76", CŒUR_DE_GARONNE]:
            lues = en_2023[en_2023["codgeo"] == code]
            assert attendues <= set(lues["variable"]), (jeu, code, attendues - set(lues["variable"]))
            assert lues["valeur"].notna().all() and not lues["secret"].any(), (jeu, code)


def test_departement_et_epci_sommes_exactes_des_communes(rp):
    df = rp["DS_RP_POPULATION_PRINC"]
    pop = df[df["variable"] == "P_POP"]
    for annee in (2012, 2017, 2023):
        p = pop[pop["millesime"] == annee].set_index("codgeo")["valeur"]
        communes_31 = p[p.index.str.fullmatch(r"31\d{3}")]
        assert len(communes_31) == 586
        assert p["31"] == pytest.approx(communes_31.sum(), abs=1e-6)
        assert p[CŒUR_DE_GARONNE] == pytest.approx(p[COMMUNES].sum(), abs=1e-6)
    # consistent with the real populations légales 2019: a few percent of growth in four years
    assert p["FRM"] == pytest.approx(68.05e6, rel=0.005)
    pl = population.lire(demo.DOSSIER_DEMO / "donnees_communes_pop_2019.csv.gz", 2019)
    pmun = pl[pl["variable"] == "PMUN"].set_index("codgeo")["valeur"]
    assert p[COMMUNES].sum() / pmun[COMMUNES].sum() == pytest.approx(1.0, abs=0.06)


def test_parties_et_totaux_du_fichier(brut):
    """Intermediate totals published as the real files do: TFN 1 = 11 + 12, 22 = 220 + 223,
    EMPSTA_ENQ 1T2 = 1 + 2, 3 = 31 + 33 + 35T36, OCS _T = DW_MAIN + DW_SEC_DW_OCC + DW_VAC,
    TSH 200 = 211 + 212_222 + 221."""
    def cellules(jeu, **fixes):
        df = _donnees(brut, jeu)
        for dim, valeur in fixes.items():
            df = df[df[dim] == valeur]
        df = df.assign(v=df["OBS_VALUE"].astype(float))
        return df

    def verifier(df, dim, total, parties):
        t = df.pivot_table(index=["GEO", "TIME_PERIOD"], columns=dim, values="v", aggfunc="sum")
        t = t.dropna(subset=parties)
        assert len(t)
        np.testing.assert_allclose(t[parties].sum(axis=1), t[total], rtol=1e-9, atol=1e-4)

    fam = cellules("DS_RP_FAMILLE_COMP", NCH="_T")
    verifier(fam, "TFN", "1", ["11", "12"])
    verifier(fam, "TFN", "22", ["220", "223"])
    verifier(fam, "TFN", "_T", ["1", "21", "22"])
    verifier(cellules("DS_RP_FAMILLE_COMP", TFN="_T"), "NCH", "_T",
             ["CH0_Y_LT25", "CH1_Y_LT25", "CH2_Y_LT25", "CH3_Y_LT25", "CH_GE4_Y_LT25"])
    lr = cellules("DS_RP_EMPLOI_LR_PRINC", SEX="_T", AGE="Y15T64", EDUC="_T")
    verifier(lr, "EMPSTA_ENQ", "1T2", ["1", "2"])
    verifier(lr, "EMPSTA_ENQ", "_T", ["1T2", "3"])
    verifier(lr, "EMPSTA_ENQ", "3", ["31", "33", "35T36"])
    verifier(lr, "EMPSTA_ENQ", "35T36", ["35", "36"])
    verifier(cellules("DS_RP_EMPLOI_LR_PRINC", EMPSTA_ENQ="_T", AGE="Y15T64", EDUC="_T"), "SEX", "_T", ["M", "F"])
    log = cellules("DS_RP_LOGEMENT_PRINC", RP_MEASURE="DWELLINGS", TDW="_T", TSH="_T", CARS="_T", L_STAY="_T", NOR="_T")
    verifier(log, "OCS", "_T", ["DW_MAIN", "DW_SEC_DW_OCC", "DW_VAC"])
    verifier(cellules("DS_RP_LOGEMENT_PRINC", RP_MEASURE="DWELLINGS", OCS="DW_MAIN", CARS="_T", L_STAY="_T", NOR="_T"),
             "TSH", "200", ["211", "212_222", "221"])
    verifier(cellules("DS_RP_POPULATION_PRINC", SEX="_T"), "AGE", "_T",
             ["Y_LT15", "Y15T24", "Y25T39", "Y40T54", "Y55T64", "Y65T79", "Y_GE80"])


def test_plausible_en_france(rp_large):
    f = rp_large.loc["FRM"]
    assert 95 <= 100 * f["P_EMPLT"] / f["P_ACTOCC15P"] <= 105  # concentration d'emploi
    assert 0.10 <= f["P_CHOM1564"] / f["P_ACT1564"] <= 0.14  # chômage (recensement)
    assert 0.72 <= f["P_ACT1564"] / f["P_POP1564"] <= 0.78
    assert 66e6 <= f["P_POP"] <= 70e6
    assert 0.15 <= f["C_FAMMONO"] / f["C_FAM"] <= 0.23
    assert 0.33 <= f["C_MENPSEUL"] / f["C_MEN"] <= 0.41
    assert 0.06 <= f["P_LOGVAC"] / f["P_LOG"] <= 0.10
    assert 0.52 <= f["P_RP_PROP"] / f["P_RP"] <= 0.62
    assert 0.11 <= f["P_RP_LOCHLMV"] / f["P_RP"] <= 0.17
    assert 0.10 <= 1 - f["P_RP_VOIT1P"] / f["P_RP"] <= 0.18
    assert 0.05 <= (f["P_SAL15P_CDD"] + f["P_SAL15P_INTERIM"]) / f["P_SAL15P"] <= 0.10
    assert 0.14 <= f["P_SAL15P_TP"] / f["P_SAL15P"] <= 0.22
    assert 0.65 <= f["C_ACTOCC15P_VOIT"] / f["C_ACTOCC15P"] <= 0.75
    assert 2.0 <= f["C_PMEN"] / f["C_MEN"] <= 2.3
    # one count, several datasets: the same households, the same employed residents
    assert f["C_MEN"] == pytest.approx(f["P_RP"])
    assert f["C_ACTOCC15P"] == pytest.approx(f["P_ACTOCC15P"])


def test_mouvements_superficie_secteurs_peuplement_plausibles(rp_large):
    """The historical series, the jobs by sector and the occupation index (issue 16): real orders
    of France 2017-2022 (about 4.4 M births, 3.7 M deaths), a density near 100 inhabitants per km²,
    sectors and overcrowding summing to their totals."""
    f = rp_large.loc["FRM"]
    assert 3.9e6 <= f["NAIS"] <= 4.9e6 and 3.3e6 <= f["DECES"] <= 4.2e6 and f["NAIS"] > f["DECES"]
    assert f["P_POP_DEBUT"] == pytest.approx(66.52e6, rel=0.01)  # the population of 2017
    assert 80 <= f["P_POP"] / f["SUPERF"] <= 140
    secteurs = ("C_EMPLT_AGRI", "C_EMPLT_INDUS", "C_EMPLT_CONST", "C_EMPLT_CTS", "C_EMPLT_APESAS")
    assert sum(f[v] for v in secteurs) == pytest.approx(f["C_EMPLT"])
    assert f["C_EMPLT"] == pytest.approx(f["P_EMPLT"])
    assert 0.015 <= f["C_EMPLT_AGRI"] / f["C_EMPLT"] <= 0.04
    assert 0.03 <= f["C_RP_SUROCC"] / f["C_RP_PEUPLEMENT"] <= 0.10
    assert f["C_RP_PEUPLEMENT"] == pytest.approx(f["P_RP"])
    communes = rp_large.loc[COMMUNES]
    assert (communes["C_EMPLT_AGRI"] / communes["C_EMPLT"]).median() > f["C_EMPLT_AGRI"] / f["C_EMPLT"]  # rural


def test_plausible_localement(rp_large):
    concentration = 100 * rp_large["P_EMPLT"] / rp_large["P_ACTOCC15P"]
    assert concentration["31555"] > 120  # Toulouse, a job centre
    rurales = rp_large.loc[COMMUNES]
    rurales = rurales[rurales["P_POP"] < 2_000]
    assert concentration[rurales.index].median() < 60
    assert (rurales["P_MAISON"] / rurales["P_LOG"]).median() > 0.8


# Variables that count the same people in two datasets of the recensement, and may be equal
MEMES_EFFECTIFS = [{"C_ACTOCC15P", "P_ACTOCC15P"}, {"C_EMPLT", "P_EMPLT"}, {"C_MEN", "C_RP_PEUPLEMENT", "P_RP"},
                   {"C_MENPSEUL", "P_POP15P_PSEUL"}]


def _colonnes_identiques(table: pd.DataFrame) -> list[set[str]]:
    """Groups of columns with the same values on every row (columns with more than 3 values)."""
    groupes: dict[tuple, set[str]] = {}
    for nom in table.columns:
        colonne = pd.to_numeric(table[nom], errors="coerce")
        if colonne.notna().sum() > 5 and colonne.nunique() > 3:
            groupes.setdefault(tuple(colonne.round(6).fillna(-1)), set()).add(nom)
    return [g for g in groupes.values() if len(g) > 1]


def test_valeurs_simulees_jamais_copiees_d_une_autre_colonne(rp_large, brut):
    """No simulated variable is a copy of another one over the study's communes (the recensement:
    only the same people counted in two datasets; the Cnaf files: none)."""
    copies = _colonnes_identiques(rp_large.loc[[c for c in COMMUNES if c in rp_large.index]])
    assert [g for g in copies if g not in MEMES_EFFECTIFS] == []
    for nom in ("s_ben_com_f.csv", "s_ben_epci_f.csv", "txcouv_pe_com.csv"):
        table = pd.read_csv(brut / nom, sep=";", dtype=str).apply(lambda s: s.str.replace(",", ".", regex=False))
        assert _colonnes_identiques(table) == [], nom


def test_detail_par_age_coherent(rp_large):
    """The detailed ages (children under 3 of the petite enfance chapter) agree with the bands."""
    t = rp_large.loc[["FRM", "31", *COMMUNES]]
    assert (t["P_POP0002"] < t["P_POP0014"]).all()
    assert (t["P_POP0002"] / t["P_POP"]).between(0.02, 0.06).all()


def test_publication_arrondissements_et_commune():
    """A study in Paris, Lyon or Marseille gets the arrondissements (ARM) and their commune (COM),
    the commune being the sum of its arrondissements."""
    codes = np.array(["75101", "75102", "75103", "77001", "92004"])
    geo = demo.geographie_communes(codes)
    publication = demo._Publication(geo, ["75"])
    valeurs = publication.agreger(np.array([[1], [2], [4], [8], [16]], dtype=np.int64))[:, 0]
    lignes = dict(zip(zip(publication.objets, publication.codes), valeurs))
    assert lignes[("ARM", "75101")] == 1 and lignes[("COM", "75056")] == 7
    assert lignes[("DEP", "75")] == 7 and lignes[("REG", "11")] == 31
    assert lignes[("FRANCE", "F")] == 31 and lignes[("FRANCE", "FM")] == 31
    assert ("COM", "77001") not in lignes
    assert list(publication.objets[:4]) == ["ARM", "ARM", "ARM", "COM"]


def test_departements_de_l_etude(tmp_path):
    assert demo._departements_etude(tmp_path / "data" / "brut", ["31555", "32013"]) == ["31", "32"]
    assert demo._departements_etude(tmp_path / "data" / "brut", None) == list(demo.DEPARTEMENTS_DEMO)


# --- Caf ---------------------------------------------------------------------------------------------


def test_s_ben_com_f(brut):
    octets = (brut / "s_ben_com_f.csv").read_bytes()
    assert octets.startswith(b"\xef\xbb\xbfdtreffre;numcomdo;nomcom;indfoy_ndur;indnbp_ndur;indfoy_af;")
    assert octets.count(b"\r\n") == octets.count(b"\n")
    brut_df = pd.read_csv(brut / "s_ben_com_f.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(brut_df.columns) == demo.COLONNES_CAF
    sans_commune = brut_df[brut_df["numcomdo"] == ""]
    assert sorted(sans_commune["dtreffre"]) == [f"{a}-12" for a in range(2020, 2025)]
    assert (sans_commune["nomcom"] == "").all()
    comptes = brut_df[[c for c in brut_df.columns if c.startswith(("indfoy", "indnbp"))]].astype(int)
    assert (comptes % 5 == 0).all().all()
    assert (brut_df[["indmtt_rsa", "indmtt_ppa"]].astype(int) % 100 == 0).all().all()
    assert not brut_df["numcomdo"].isin(["75056", "69123", "13055"]).any()  # by arrondissement only
    assert brut_df.loc[brut_df["numcomdo"] == "31135", "nomcom"].iloc[0] == "CAZERES"

    df = caf.lire_communes(brut / "s_ben_com_f.csv")
    assert set(df["millesime"]) == set(range(2020, 2025))
    assert df.attrs["provenance"].extra["lignes_sans_commune"] == 5
    du_territoire = df[df["codgeo"].isin(COMMUNES)]
    assert du_territoire.groupby("millesime")["codgeo"].nunique().eq(48).all()
    large = df[df["millesime"] == 2024].pivot_table(index="codgeo", columns="variable", values="valeur")
    assert (large["indfoy_rsa"] <= large["indfoy_ndur"]).all()
    assert (large["indfoy_ndur"] <= large["indnbp_ndur"]).all()
    # national orders of magnitude (Cnaf, December 2024): ~14 M foyers, ~1.9 M RSA, ~4.6 M prime d'activité
    assert 11e6 <= large["indfoy_ndur"].sum() <= 17e6
    assert 1.4e6 <= large["indfoy_rsa"].sum() <= 2.4e6
    assert 3.5e6 <= large["indfoy_ppa"].sum() <= 5.5e6
    assert 400 <= large["indmtt_rsa"].sum() / large["indfoy_rsa"].sum() <= 700


def test_s_ben_epci_et_dep_aah_aeeh(brut):
    """AAH and AEEH, published by EPCI (Decembers, rounded to 5) and département (every month):
    partial exports of their fields only, read as complements of s_ben_com_f."""
    epci = caf.lire_communes(brut / "s_ben_epci_f.csv")
    dep = caf.lire_communes(brut / "s_ben_dep.csv")
    assert set(epci["niveau"]) == {"epci"} and set(dep["niveau"]) == {"departement"}
    assert set(epci["variable"]) == set(demo.COLONNES_HANDICAP) == set(dep["variable"])
    assert dep.attrs["provenance"].extra["mois_ecartes"] == 11 * 5 * dep["codgeo"].nunique()
    assert (epci["valeur"] % 5 == 0).all()
    d = dep[dep["millesime"] == 2024].pivot_table(index="codgeo", columns="variable", values="valeur")
    # national orders of magnitude (Cnaf, December 2024): ~1.3 M foyers at the AAH, ~0.45 M at the AEEH
    assert 1.0e6 <= d["indfoy_aah"].sum() <= 1.6e6
    assert 0.3e6 <= d["indfoy_aeeh"].sum() <= 0.7e6
    assert (d["indfoy_aah"] <= d["indben_aah"]).all() and (d["indfoy_aeeh"] <= d["indben_aeeh"]).all()
    e = epci[(epci["millesime"] == 2024) & (epci["codgeo"] == CŒUR_DE_GARONNE)].set_index("variable")["valeur"]
    assert 0 < e["indfoy_aah"] < d.loc["31", "indfoy_aah"]


def test_taux_de_couverture(brut):
    lus = {}
    for nom in ("com", "epci", "dep", "nat", "epci_hist", "dep_hist"):
        try:
            lus[nom] = caf.lire_txcouv_pe(brut / f"txcouv_pe_{nom}.csv")
        except FormatInconnu as exc:  # pragma: no cover - depends on the reader's progress
            pytest.xfail(f"caf.lire_txcouv_pe ne lit pas encore la mise en page réelle : {exc}")
    for nom in ("com", "epci", "dep"):
        assert set(lus[nom]["millesime"]) == {2022, 2023}
    for nom in ("epci_hist", "dep_hist"):
        assert set(lus[nom]["millesime"]) == set(range(2017, 2023))
    assert set(lus["nat"]["millesime"]) == set(range(2017, 2024))
    assert lus["epci"].attrs["provenance"].extra["lignes_factices"] == 1
    assert lus["nat"].attrs["provenance"].extra["france"] == "France entière hors Mayotte"
    # communes of more than 10 000 inhabitants only
    pl = population.lire(brut / "donnees_communes_pop_2019.csv", 2019)
    pmun = pl[pl["variable"] == "PMUN"].set_index("codgeo")["valeur"]
    assert set(lus["com"]["codgeo"]) == set(pmun[pmun > 10_000].index)
    assert CŒUR_DE_GARONNE in set(lus["epci"]["codgeo"])
    for nom, df in lus.items():
        t = df.pivot_table(index=["codgeo", "millesime"], columns="variable", values="valeur")
        composantes = t[["txcouv_psu_col", "txcouv_hors_psu_col", "txcouv_am_ind", "txcouv_gad_ind", "txcouv_prescol"]]
        np.testing.assert_allclose(composantes.sum(axis=1), t["txcouv"], atol=0.3, err_msg=nom)
        np.testing.assert_allclose(t["txcouv_psu_col"] + t["txcouv_hors_psu_col"], t["txcouv_eaje"], atol=0.15)
    nat = lus["nat"].pivot_table(index="millesime", columns="variable", values="valeur")
    assert nat.loc[2023, "txcouv"] == pytest.approx(60.9, abs=0.3)


# --- France Travail / Dares ------------------------------------------------------------------------------


def test_demandeurs_d_emploi(brut):
    chemin = brut / demo.FICHIER_DEFM_INSTALLE
    assert chemin.name == "dares_defm_communales-brutes.csv.gz"
    octets = gzip.decompress(chemin.read_bytes())
    entete = ("\ufeffDate;Code région;Région;Code département;Département;Code commune;Commune;Type de données;"
              "Catégorie;Sexe;Tranche d'âge;Nombre de demandeurs d'emploi\r\n").encode("utf-8")
    assert octets.startswith(entete)
    lignes = octets.count(b"\n")
    assert octets.count(b"\r\n") == lignes
    assert octets.count(b"-T4;Brutes;") == 0 and octets.count(b"-T4;") == lignes - 1  # fourth quarters only
    assert octets.count(b";Brutes;ABC;") == lignes - 1
    for ligne in ("2024-T4;76;Occitanie;31;Haute-Garonne;31135;Cazères;Brutes;ABC;Total;Total;",
                  "2024-T4;Total;Total;Total;Total;Total;Total France métropolitaine;Brutes;ABC;Total;Total;",
                  "2015-T4;Total;Total;Total;Total;Total;Non localisés en France métropolitaine;Brutes;ABC;Hommes;Total;",
                  ";75056;Paris;", ";75101;Paris 1er Arrondissement;"):  # Paris published twice
        assert ligne.encode("utf-8") in octets, ligne

    df = france_travail.lire(chemin, None)
    assert set(df["millesime"]) == set(range(2015, 2025))
    assert df.attrs["provenance"].extra["lignes_sans_commune"] == 9 * 10  # the « Total » rows, left out
    assert not df["codgeo"].str.lower().eq("total").any()
    assert set(df["variable"]) == {"DEFM_ABC_T_TOT", "DEFM_ABC_H_TOT", "DEFM_ABC_F_TOT", "DEFM_ABC_T_M25",
                                   "DEFM_ABC_T_2549", "DEFM_ABC_T_50P"}
    assert (df["valeur"] % 5 == 0).all()
    du_territoire = df[df["codgeo"].isin(COMMUNES) & (df["millesime"] == 2024)]
    assert du_territoire["codgeo"].nunique() == 48
    total = df[(df["variable"] == "DEFM_ABC_T_TOT") & ~df["codgeo"].isin(["75056", "69123", "13055"])]
    par_annee = total.groupby("millesime")["valeur"].sum()
    assert par_annee.between(5.0e6, 6.6e6).all()  # France entière, catégories A, B, C


# --- The installation ----------------------------------------------------------------------------------


def test_fichiers_installes_et_declares_simules(brut):
    simules = catalogue.fichiers_simules(brut)
    attendus = {demo.nom_fichier_melodi(j)[0].lower() for j in JEUX_RP} | {
        "s_ben_com_f.csv", "s_ben_epci_f.csv", "s_ben_dep.csv", "txcouv_pe_com.csv", "txcouv_pe_epci.csv", "txcouv_pe_dep.csv", "txcouv_pe_nat.csv",
        "txcouv_pe_epci_hist.csv", "txcouv_pe_dep_hist.csv", "dares_defm_communales-brutes.csv.gz"}
    assert simules == attendus
    for nom in attendus:
        assert any(p.name.lower() == nom for p in brut.iterdir()), nom
    # the real extracts are installed as they are, and not declared simulated
    reels = {"donnees_communes_pop_2019.csv", "bpe18_ensemble_csv.zip", "data_CAF_2020_IRIS.csv",
             *(f"FILO{a}_DISP_{n}.csv" for a in (2016, 2019) for n in ("COM", "EPCI", "DEP", "REG", "METROPOLE"))}
    presents = {p.name for p in brut.iterdir()}
    assert reels <= presents
    assert not {r.lower() for r in reels} & simules
    assert (brut / "FILO2019_DISP_COM.csv").read_bytes() == (demo.DOSSIER_DEMO / "FILO2019_DISP_COM.csv").read_bytes()
    # no file of the former demo layouts
    assert not presents & {"donnees_communes.csv", "demandeurs_emploi_communes_T4.csv.gz", "txcouv_pe_fra.csv",
                           "txcouv_pe_reg.csv", "base-cc-evol-struct-pop-2019_csv.zip"}
    assert not [p for p in presents if p.startswith("enquete_")]


def test_installation_deterministe_et_anciens_fichiers_retires(brut, tmp_path):
    dossier = tmp_path / "data" / "brut"
    dossier.mkdir(parents=True)
    (dossier / "base-cc-logement-2019_csv.zip").write_bytes(b"ancien")
    (dossier / "simulations.yaml").write_text("- base-cc-logement-2019_csv.zip\n", encoding="utf-8")
    demo.installer_donnees_demo(dossier, communes=COMMUNES)
    assert not (dossier / "base-cc-logement-2019_csv.zip").exists()
    assert "base-cc-logement-2019_csv.zip" not in catalogue.fichiers_simules(dossier)

    def empreinte(chemin: Path) -> str:
        return hashlib.sha256(chemin.read_bytes()).hexdigest()

    for chemin in sorted(brut.iterdir()):
        if chemin.name != "simulations.yaml":
            assert empreinte(chemin) == empreinte(dossier / chemin.name), chemin.name


# --- The simulator is outside the runtime package -------------------------------------------------


def test_le_paquet_d_execution_ne_porte_pas_le_simulateur(tmp_path):
    """What a study runs (diagnostic_territorial) holds no simulator; « donnees-demo » imports it
    lazily from diagnostic_territorial_demo."""
    racine = Path(__file__).resolve().parents[1]
    paquet = racine / "src" / "diagnostic_territorial"
    assert not list(paquet.rglob("demo.py"))
    assert not [p for p in paquet.rglob("donnees_demo") if p.is_dir()]
    assert Path(demo.DOSSIER_DEMO) == racine / "src" / "diagnostic_territorial_demo" / "donnees_demo"
    assert (demo.DOSSIER_DEMO / "bpe18_ensemble_csv.zip").is_file()
    code = ("import sys\n"
            "import diagnostic_territorial.cli, diagnostic_territorial.enquete, diagnostic_territorial.execution.multi\n"
            "print(sorted(m for m in sys.modules if m.startswith('diagnostic_territorial_demo')))\n"
            "print(diagnostic_territorial.cli.__file__)")
    env = {**os.environ, "PYTHONPATH": str(racine / "src")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    importes, fichier = r.stdout.splitlines()
    assert importes == "[]"
    assert Path(fichier) == paquet / "cli.py"


def test_donnees_demo_sans_le_simulateur_message_en_francais(tmp_path, monkeypatch, capsys):
    from diagnostic_territorial import cli

    monkeypatch.setitem(sys.modules, "diagnostic_territorial_demo", None)  # as if it were not installed
    assert cli.main(["--etude", str(tmp_path / "etude.yaml"), "donnees-demo"]) == 2
    erreur = capsys.readouterr().err
    assert "diagnostic_territorial_demo" in erreur and "n'est pas installé" in erreur
    assert not (tmp_path / "data").exists()
