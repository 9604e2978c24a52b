"""Catalogue of official files, demo data, preparation of the cache and loading of a territory."""

from __future__ import annotations

import json
import math
import types
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostic_territorial import demo, donnees
from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.sources import catalogue, rp
from diagnostic_territorial.sources.schema import sha256_fichier

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CŒUR_DE_GARONNE = "200068815"
# The 48 communes of CC Cœur de Garonne (COG 2020, EPCI_2020.csv)
COMMUNES = (
    "31051 31065 31084 31101 31119 31122 31135 31153 31189 31193 31196 31204 31229 31250 31266 31283 "
    "31292 31299 31309 31317 31318 31324 31327 31349 31353 31359 31362 31367 31370 31382 31387 31406 "
    "31419 31422 31423 31425 31428 31435 31436 31454 31469 31476 31481 31505 31520 31530 31538 31543"
).split()


def etude(racine: Path, **millesimes) -> types.SimpleNamespace:
    communes = pd.DataFrame(
        {"code": COMMUNES, "nom": COMMUNES, "departement": "31", "region": "76", "epci": CŒUR_DE_GARONNE}
    )
    return types.SimpleNamespace(
        dossier_brut=racine / "data" / "brut",
        dossier_cache=racine / "data" / "cache",
        millesimes=millesimes
        or {"rp": 2019, "rp_precedent": 2013, "filosofi": 2019, "filosofi_precedent": 2016, "populations_legales": 2019},
        communes=communes,
        departement=("31", "Haute-Garonne"),
        region=("76", "Occitanie"),
    )


# --- Catalogue ---------------------------------------------------------------------------------


def test_catalogue_filosofi():
    fichiers = catalogue.fichiers("filosofi", 2019)
    assert [f.nom_fichier for f in fichiers] == [
        f"FILO2019_DISP_{n}.csv" for n in ("COM", "EPCI", "DEP", "REG", "METROPOLE")
    ]
    assert fichiers[0].url == (
        "https://www.insee.fr/fr/statistiques/fichier/6036907/indic-struct-distrib-revenu-2019-COMMUNES_csv.zip"
    )
    assert fichiers[2].url.endswith("/6036907/indic-struct-distrib-revenu-2019-SUPRA_csv.zip")
    assert fichiers[0].source == "Insee, Filosofi 2019"
    for millesime in range(2016, 2022):
        assert len(catalogue.fichiers("filosofi", millesime)) == 5


def test_catalogue_rp_et_populations():
    (f,) = catalogue.fichiers("rp_evol_struct_pop", 2019)
    assert f.nom_fichier == "base-ccc-evol-struct-pop-2019.zip"  # 2019 is still « base-ccc » (published name)
    assert f.membre == "base-cc-evol-struct-pop-2019.CSV"
    assert f.url == "https://www.insee.fr/fr/statistiques/fichier/6456153/base-ccc-evol-struct-pop-2019.zip"
    (f2020,) = catalogue.fichiers("rp_evol_struct_pop", 2020)
    assert f2020.url.endswith("/7632446/base-cc-evol-struct-pop-2020_csv.zip")
    assert set(range(2017, 2024)) <= set(catalogue.millesimes("rp_evol_struct_pop"))
    # RP 2023: Melodi datasets, one file each
    melodi_2023 = catalogue.fichiers("rp_evol_struct_pop", 2023)
    assert {f.melodi for f in melodi_2023} >= {"DS_RP_POPULATION_PRINC", "DS_RP_POPULATION_COMP"}
    assert all(f.url.startswith("https://api.insee.fr/melodi/file/") for f in melodi_2023)
    # a page not known from published evidence is not invented: the consultant is told what to seek
    (inconnu,) = catalogue.fichiers("rp_logement", 2019)
    assert inconnu.url == "" and "base-ccc-logement-2019.zip" in inconnu.adresse
    (p,) = catalogue.fichiers("populations_legales", 2019)
    assert p.url == "https://www.insee.fr/fr/statistiques/fichier/6011070/ensemble.zip"
    assert p.membre == "donnees_communes.csv"
    with pytest.raises(ValueError, match="2005"):
        catalogue.fichiers("filosofi", 2005)


def test_trouver_nom_officiel_sans_casse(tmp_path):
    com, epci = catalogue.fichiers("filosofi", 2019)[:2]
    assert catalogue.trouver(com, tmp_path) is None
    (tmp_path / "filo2019_disp_com.CSV").write_text("x")
    assert catalogue.trouver(com, tmp_path).name == "filo2019_disp_com.CSV"
    (tmp_path / "indic-struct-distrib-revenu-2019-SUPRA_csv.zip").write_text("x")
    assert catalogue.trouver(epci, tmp_path).name == "indic-struct-distrib-revenu-2019-SUPRA_csv.zip"
    (rp_2019,) = catalogue.fichiers("rp_evol_struct_pop", 2019)
    (tmp_path / "base-cc-evol-struct-pop-2019.CSV").write_text("x")
    assert catalogue.trouver(rp_2019, tmp_path).name == "base-cc-evol-struct-pop-2019.CSV"
    assert catalogue.trouver(rp_2019, tmp_path / "absent") is None


def test_telecharger_hors_ligne(tmp_path):
    officiel = catalogue.fichiers("filosofi", 2019)[0]
    injoignable = catalogue.FichierOfficiel(**{**officiel.__dict__, "url": "http://127.0.0.1:9/FILO.zip"})
    with pytest.raises(DonneeManquante) as exc:
        catalogue.telecharger(injoignable, tmp_path / "brut", timeout=2)
    message = str(exc.value)
    assert "FILO2019_DISP_COM.csv" in message and "http://127.0.0.1:9/FILO.zip" in message
    assert str(tmp_path / "brut") in message
    assert list((tmp_path / "brut").iterdir()) == []  # no partial file left


def test_telecharger_renomme_et_enregistre_l_empreinte(tmp_path):
    source = FIXTURES / "base-cc-evol-struct-pop-2019_csv.zip"
    officiel = catalogue.fichiers("rp_evol_struct_pop", 2019)[0]
    local = catalogue.FichierOfficiel(**{**officiel.__dict__, "url": source.resolve().as_uri()})
    chemin = catalogue.telecharger(local, tmp_path)
    assert chemin.name == "base-cc-evol-struct-pop-2019_csv.zip"
    assert json.loads((tmp_path / "checksums.json").read_text())[chemin.name] == sha256_fichier(source)
    assert catalogue.trouver(local, tmp_path) == chemin


# --- Demo data ---------------------------------------------------------------------------------


def test_donnees_demo_legeres_et_copiees_a_l_octet():
    fichiers = [p for p in demo.DOSSIER_DEMO.iterdir() if p.is_file()]
    # only real extracts are shipped (the simulated files are generated at install time)
    assert sum(p.stat().st_size for p in fichiers) < 5_000_000
    noms = {p.name for p in fichiers}
    assert not noms & {"s_ben_com_f.csv", "txcouv_pe_com.csv", demo.FICHIER_DEFM, demo.FICHIER_DEFM_INSTALLE}
    # the whole published BPE 2018 archive: its real lines, for every département
    with zipfile.ZipFile(demo.DOSSIER_DEMO / "bpe18_ensemble_csv.zip") as z:
        assert z.namelist() == ["bpe18_ensemble.csv"]
        bpe = set(z.read("bpe18_ensemble.csv").splitlines())
    with zipfile.ZipFile(FIXTURES / "bpe18_ensemble_csv.zip") as z:
        assert set(z.read("bpe18_ensemble.csv").splitlines()) <= bpe
    assert len(bpe) > 1_000_000 and {l.split(b";")[1] for l in bpe} >= {b"01", b"2A", b"31", b"76", b"974"}
    assert {f"FILO{a}_DISP_{n}.csv" for a in (2016, 2019) for n in ("COM", "EPCI", "DEP", "REG", "METROPOLE")} <= noms
    # lines copied byte for byte from the published file (BOM, CRLF, decimal comma)
    extrait = (demo.DOSSIER_DEMO / "FILO2019_DISP_COM.csv").read_bytes()
    assert extrait.startswith(b"\xef\xbb\xbfCODGEO;LIBGEO;NBMEN19;")
    assert (FIXTURES / "FILO2019_DISP_COM.csv").read_bytes().splitlines()[4] in extrait.splitlines()


def test_simulation_deterministe_et_coherente():
    pops = pd.DataFrame({"codgeo": ["31135", "2A004", "97101"], "pmun": [4799.0, 71361.0, 53514.0]})
    a = demo.simuler_evol_struct_pop(pops)
    b = demo.simuler_evol_struct_pop(pops)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == demo.colonnes_evol_struct_pop(2019)
    assert a.set_index("CODGEO")["P19_POP"].to_dict() == {"2A004": 71361, "31135": 4799, "97101": 53514}


# --- Preparation and loading on the demo territory ---------------------------------------------


@pytest.fixture(scope="module")
def demo_preparee(tmp_path_factory):
    racine = tmp_path_factory.mktemp("etude")
    e = etude(racine)
    demo.installer_donnees_demo(e.dossier_brut)
    return e, donnees.preparer(e, telecharger=False)


def test_preparer_demo(demo_preparee):
    e, resultats = demo_preparee
    assert [(r.source, r.millesime, r.statut) for r in resultats] == [
        ("rp_evol_struct_pop", 2019, "ok"),
        ("filosofi", 2019, "ok"),
        ("filosofi", 2016, "ok"),
        ("populations_legales", 2019, "ok"),
        ("rp_couples_familles_menages", 2019, "ok"),
        ("rp_logement", 2019, "ok"),
        ("rp_emploi_pop_active", 2019, "ok"),
        ("rp_diplomes_formation", 2019, "ok"),
        ("bpe", 2018, "ok"),
        ("caf_iris", 2020, "ok"),
        ("caf_communes", 2020, "ok"),
        ("caf_communes", 2017, "ok"),
        ("caf_txcouv_pe", 2020, "ok"),
        ("caf_txcouv_pe", 2017, "ok"),
        ("france_travail", 2020, "ok"),
        ("france_travail", 2017, "ok"),
    ]
    for nom in ("rp_evol_struct_pop_2019", "filosofi_2019", "filosofi_2016", "populations_legales_2019",
                "rp_logement_2019", "bpe_2018", "caf_iris_2020", "caf_communes_2020", "caf_communes_2017",
                "caf_txcouv_pe_2020", "france_travail_2020", "france_travail_2017"):
        assert (e.dossier_cache / f"{nom}.parquet").exists()
    assert all(r.message == "cache à jour" for r in donnees.preparer(e, telecharger=False))


def test_charger_filosofi_territoire_et_references(demo_preparee):
    e, _ = demo_preparee
    df = donnees.charger(e, "filosofi", 2019)
    q2 = df[df["variable"] == "Q2"].set_index(["niveau", "codgeo"])["valeur"]
    assert q2[("commune", "31135")] == 19060
    assert q2[("epci", CŒUR_DE_GARONNE)] == 21800
    assert q2[("departement", "31")] == 23380
    assert q2[("region", "76")] == 20980  # not the département 76 (Seine-Maritime)
    assert q2[("france", "FRM")] == 21930
    assert set(df.loc[df["niveau"] == "departement", "codgeo"]) == {"31"}
    assert set(df.loc[df["niveau"] == "epci", "codgeo"]) == {CŒUR_DE_GARONNE}
    communes = set(df.loc[df["niveau"] == "commune", "codgeo"])
    assert communes <= set(COMMUNES) and len(communes) == 40
    assert "31204" not in communes  # Fustignac (82 inhabitants) is absent from Filosofi: not secret
    d1 = df[(df["codgeo"] == "31051") & (df["variable"] == "D1")].iloc[0]
    assert d1["secret"] and math.isnan(d1["valeur"])
    prov = df.attrs["provenance"]
    assert prov.mention() == "Source : Insee, Filosofi 2019" and not prov.simule
    assert len(prov.extra["sha256"]) == 5

    ancien = donnees.charger(e, "filosofi_precedent", 2016)
    assert ancien[(ancien["codgeo"] == CŒUR_DE_GARONNE) & (ancien["variable"] == "Q2")]["valeur"].item() == 20682


def test_charger_rp_simule(demo_preparee):
    e, _ = demo_preparee
    df = donnees.charger(e, "rp", 2019)
    prov = df.attrs["provenance"]
    assert prov.simule
    assert prov.mention() == "Source : Insee, RP 2019 (données simulées pour la démonstration)"
    assert set(df["codgeo"]) == set(COMMUNES)
    assert set(df["millesime"]) == {2019, 2013, 2008}
    pops = donnees.charger(e, "populations_legales", 2019)
    pmun = pops[pops["variable"] == "PMUN"].set_index("codgeo")["valeur"]
    large = df.pivot_table(index=["codgeo", "millesime"], columns="variable", values="valeur")
    r19 = large.xs(2019, level="millesime")
    assert (r19["P_POP"] == pmun.reindex(r19.index)).all()  # real population municipale 2019
    assert r19.loc["31135", "P_POP"] == 4799
    for annee, bandes in ((2019, ("0014", "1529", "3044", "4559", "6074", "7589", "90P")), (2008, ("0014", "1529", "3044", "4559", "6074", "75P"))):
        t = large.xs(annee, level="millesime").dropna(axis=1, how="all")
        np.testing.assert_allclose(t[[f"P_POP{b}" for b in bandes]].sum(axis=1), t["P_POP"], atol=1e-6)
        np.testing.assert_allclose(t["P_POPH"] + t["P_POPF"], t["P_POP"], atol=1e-6)
        np.testing.assert_allclose(t[[f"P_H{b}" for b in bandes]].sum(axis=1), t["P_POPH"], atol=1e-6)
        np.testing.assert_allclose(t[["P_H0019", "P_H2064", "P_H65P"]].sum(axis=1), t["P_POPH"], atol=1e-6)
        np.testing.assert_allclose(t[[f"C_POP15P_CS{i}" for i in range(1, 9)]].sum(axis=1), t["C_POP15P"], atol=1e-6)
        np.testing.assert_allclose(t[[f"P_POP01P_IRAN{i}" for i in range(1, 8)]].sum(axis=1), t["P_POP01P"], atol=1e-6)
        assert (t >= 0).all().all()
    # earlier censuses: plausible populations, not copies of 2019
    r13 = large.xs(2013, level="millesime")["P_POP"]
    ratio = r13.sum() / r19["P_POP"].sum()
    assert 0.8 < ratio < 1.05 and (r13 != r19["P_POP"]).any()


def test_fichier_rp_simule_dans_la_mise_en_page_publiee(demo_preparee):
    e, _ = demo_preparee
    chemin = e.dossier_brut / "base-cc-evol-struct-pop-2019_csv.zip"
    with zipfile.ZipFile(chemin) as z:
        assert z.namelist() == ["base-cc-evol-struct-pop-2019.CSV"]
        with z.open("base-cc-evol-struct-pop-2019.CSV") as f:
            entete = f.readline().decode().rstrip("\n").split(";")
    assert entete[:4] == ["CODGEO", "P19_POP", "P19_POP0014", "P19_POP1529"]
    assert "C13_POP15P_CS8" in entete and "P08_POP75P" in entete and "P08_POP90P" not in entete
    assert (e.dossier_brut / "simulations.yaml").read_text().count("base-cc-evol-struct-pop-2019_csv.zip") == 1


def test_fichiers_manquants(tmp_path):
    e = etude(tmp_path, filosofi=2019, rp=2019, populations_legales=2019)
    resultats = donnees.preparer(e, telecharger=False)
    assert {r.statut for r in resultats} == {"manquant"}
    rp_manquant = next(r for r in resultats if r.source == "rp_evol_struct_pop")
    assert "base-ccc-evol-struct-pop-2019.zip" in rp_manquant.message
    assert "https://www.insee.fr/fr/statistiques/fichier/6456153/" in rp_manquant.message
    assert str(e.dossier_brut) in rp_manquant.message
    with pytest.raises(DonneeManquante) as exc:
        donnees.charger(e, "populations_legales", 2019)
    assert exc.value.fichier == "donnees_communes.csv"
    assert exc.value.url == "https://www.insee.fr/fr/statistiques/fichier/6011070/ensemble.zip"


def test_un_fichier_manquant_n_arrete_pas_les_autres(tmp_path):
    e = etude(tmp_path, filosofi=2019, populations_legales=2019)
    e.dossier_brut.mkdir(parents=True)
    (e.dossier_brut / "donnees_communes.csv").write_bytes((FIXTURES / "donnees_communes.csv").read_bytes())
    statuts = {r.source: r.statut for r in donnees.preparer(e, telecharger=False)}
    assert statuts == {"filosofi": "manquant", "populations_legales": "ok"}
    df = donnees.charger(e, "populations_legales", 2019)
    assert df[(df["codgeo"] == "31135") & (df["variable"] == "PMUN")]["valeur"].item() == 4799
    assert set(df["codgeo"]) == {"31135", "31204", "31454"}  # only the territory's communes


def test_charger_construit_le_cache_depuis_data_brut(tmp_path):
    e = etude(tmp_path, rp=2019)
    e.dossier_brut.mkdir(parents=True)
    (e.dossier_brut / "base-cc-evol-struct-pop-2019_csv.zip").write_bytes(
        (FIXTURES / "base-cc-evol-struct-pop-2019_csv.zip").read_bytes()
    )
    df = donnees.charger(e, "rp", 2019)
    assert df[(df["variable"] == "P_POP") & (df["millesime"] == 2013)]["valeur"].item() == 4385
    assert not df.attrs["provenance"].simule
    assert (e.dossier_cache / "rp_evol_struct_pop_2019.parquet").exists()
    assert rp.lire(e.dossier_brut / "base-cc-evol-struct-pop-2019_csv.zip").attrs["provenance"].millesime == 2019


# --- The other RP bases, BPE and CAF in the demo ------------------------------------------------


def test_bases_rp_simulees_coherentes_avec_evol_struct_pop(demo_preparee):
    e, _ = demo_preparee
    evol = donnees.charger(e, "rp", 2019)
    pop = evol[evol["variable"].isin(["P_POP", "P_POP0014"])].pivot_table(
        index=["codgeo", "millesime"], columns="variable", values="valeur"
    )
    tables = {
        source: donnees.charger(e, source, 2019).pivot_table(index=["codgeo", "millesime"], columns="variable", values="valeur")
        for source in ("rp_couples_familles_menages", "rp_logement", "rp_emploi_pop_active", "rp_diplomes_formation")
    }
    for source, t in tables.items():
        assert set(t.index.get_level_values("millesime")) == {2019, 2013}, source
        assert set(t.index.get_level_values("codgeo")) == set(COMMUNES), source
        assert (t >= 0).all().all(), source
    fam, log, emp, dip = (tables[s] for s in tables)
    np.testing.assert_allclose(fam["P_POP15P"], (pop["P_POP"] - pop["P_POP0014"]).reindex(fam.index), atol=1e-6)
    np.testing.assert_allclose(fam[["C_MENPSEUL", "C_MENSFAM", "C_MENCOUPSENF", "C_MENCOUPAENF", "C_MENFAMMONO"]].sum(axis=1), fam["C_MEN"], atol=1e-6)
    np.testing.assert_allclose(fam["C_HMONO"] + fam["C_FMONO"], fam["C_FAMMONO"], atol=1e-6)
    np.testing.assert_allclose(log["P_RP"], fam["C_MEN"].reindex(log.index), atol=1e-6)
    np.testing.assert_allclose(log["P_RP"] + log["P_RSECOCC"] + log["P_LOGVAC"], log["P_LOG"], atol=1e-6)
    assert (log["P_RP_LOCHLMV"] <= log["P_RP_LOC"]).all()
    np.testing.assert_allclose(emp["P_ACTOCC1564"] + emp["P_CHOM1564"], emp["P_ACT1564"], atol=1e-6)
    assert (emp["P_ACT1564"] <= emp["P_POP1564"]).all() and (emp["P_POP1564"] <= pop["P_POP"].reindex(emp.index)).all()
    diplomes = [f"P_NSCOL15P_{d}" for d in ("DIPLMIN", "BEPC", "CAPBEP", "BAC", "SUP2", "SUP34", "SUP5")]
    np.testing.assert_allclose(dip[diplomes].sum(axis=1), dip["P_NSCOL15P"], atol=1e-6)
    assert (dip["P_SCOL0610"] <= dip["P_POP0610"]).all()
    for source in tables:
        assert donnees.charger(e, source, 2019).attrs["provenance"].simule


def test_bases_rp_simulees_dans_la_mise_en_page_publiee(demo_preparee):
    e, _ = demo_preparee
    simulations = (e.dossier_brut / "simulations.yaml").read_text()
    for theme, variable in (
        ("coupl-fam-men", "C19_FAMMONO"), ("logement", "P19_RP_LOCHLMV"),
        ("emploi-pop-active", "P19_CHOM1564"), ("diplomes-formation", "P19_NSCOL15P_DIPLMIN"),
    ):
        archive, membre = demo.fichier_base_rp(theme)
        with zipfile.ZipFile(e.dossier_brut / archive) as z:
            assert z.namelist() == [membre]
            entete = z.open(membre).readline().decode().rstrip("\n").split(";")
        assert entete[0] == "CODGEO" and variable in entete and variable.replace("19", "13", 1) in entete
        assert entete == demo.colonnes_base_rp(theme)
        assert simulations.count(archive) == 1
        (officiel,) = catalogue.fichiers(f"rp_{theme.replace('-', '_').replace('coupl_fam_men', 'couples_familles_menages')}", 2019)
        assert officiel.nom_fichier == archive and officiel.membre == membre


def test_charger_bpe_reel_du_territoire(demo_preparee):
    e, _ = demo_preparee
    df = donnees.charger(e, "bpe", 2018)
    assert not df.attrs["provenance"].simule
    assert set(df["codgeo"]) <= set(COMMUNES)
    creches = df[df["variable"] == "D502"].set_index("codgeo")["valeur"]
    assert creches["31135"] == 1 and creches["31454"] == 1 and creches.sum() == 8


def test_cache_caf_iris_et_communes(demo_preparee):
    e, _ = demo_preparee
    from diagnostic_territorial.sources import cache

    chemin = donnees.chemin_cache(e, "caf", 2020)
    toulouse = cache.lire(chemin, niveaux={"commune": {"31555", "31069"}})
    a = toulouse[toulouse["variable"] == "A"].set_index("codgeo")
    assert a.loc["31069", "secret"] and math.isnan(a.loc["31069", "valeur"])  # one masked IRIS
    iris = cache.lire(chemin, codgeos={"310690101"})
    assert iris[iris["variable"] == "A"]["valeur"].item() == 471


def test_lecture_rapide_du_cache(demo_preparee):
    """Reading one territory from the 10-million-row RP cache stays well under 0.2 s."""
    import time

    import pyarrow.parquet as pq

    e, _ = demo_preparee
    chemin = donnees.chemin_cache(e, "rp", 2019)
    filtres = [("variable", "in", ["P_POP", "P_POP0014", "C_POP15P_CS3"]), ("millesime", "=", 2019), ("niveau", "=", "commune")]
    mesures_variables, mesures_territoire = [], []
    for _ in range(3):
        debut = time.perf_counter()
        par_variable = pq.read_table(chemin, filters=filtres).to_pandas()
        mesures_variables.append(time.perf_counter() - debut)
        debut = time.perf_counter()
        territoire = donnees.charger(e, "rp", 2019)
        mesures_territoire.append(time.perf_counter() - debut)
    assert len(par_variable) == 3 * 34990 and len(territoire) > 10_000
    # generous bounds for slow CI machines; typical figures are ~0.05 s
    assert min(mesures_variables) < 0.5 and min(mesures_territoire) < 0.5


# --- Catalogue and millésimes of the CAF and France Travail sources -----------------------------


def test_catalogue_caf_et_france_travail():
    fichiers = catalogue.fichiers("caf_txcouv_pe", 2023)
    assert [f.nom_fichier for f in fichiers] == [f"txcouv_pe_{n}.csv" for n in ("com", "epci", "dep", "nat")]
    assert fichiers[1].url == "https://data.caf.fr/api/explore/v2.1/catalog/datasets/txcouv_pe_epci/exports/csv?delimiter=%3B"
    # before 2022 the rates are in the historical datasets
    assert [f.nom_fichier for f in catalogue.fichiers("caf_txcouv_pe", 2018)][:2] == [
        "txcouv_pe_epci_hist.csv", "txcouv_pe_dep_hist.csv"]
    (communes,) = catalogue.fichiers("caf_communes", 2024)
    assert communes.nom_fichier == "s_ben_com_f.csv" and "s_ben_com_f/exports/csv" in communes.url
    assert catalogue.millesimes("caf_communes") == [2020, 2021, 2022, 2023, 2024]  # Decembers published
    (defm,) = catalogue.fichiers("france_travail", 2020)
    assert defm.nom_fichier == "dares_defm_communales-brutes.csv"
    assert defm.url.startswith("https://data.dares.travail-emploi.gouv.fr/api/explore/v2.1/catalog/datasets/"
                               "dares_defm_communales-brutes/exports/csv?use_labels=true")
    assert defm.source == "France Travail - Dares, demandeurs d'emploi fin 2020"
    assert catalogue.millesimes("france_travail")[0] == 2015  # the series starts at 2015-T4
    # the same name every year: a file dropped by hand is not given a millésime from its name
    assert catalogue.chercher("dares_defm_communales-brutes.csv") is None


def test_france_travail_hors_ligne_message_francais(tmp_path):
    (defm,) = catalogue.fichiers("france_travail", 2020)
    injoignable = catalogue.FichierOfficiel(**{**defm.__dict__, "url": "http://127.0.0.1:9/defm"})
    with pytest.raises(DonneeManquante) as exc:
        catalogue.telecharger(injoignable, tmp_path, timeout=2)
    message = str(exc.value)
    assert "dares_defm_communales-brutes.csv" in message and str(tmp_path) in message


def test_sources_etude_et_millesime_source(tmp_path):
    assert {donnees.SOURCES_ETUDE[k] for k in ("caf_communes", "caf_txcouv_pe", "france_travail")} == {
        "caf_communes", "caf_txcouv_pe", "france_travail"}
    e = etude(tmp_path)
    # « dernier » by default: without files, the latest published (it will be downloaded)
    assert donnees.millesime_source(e, "caf_communes") == 2024
    assert donnees.millesime_source(e, "france_travail_precedent") is None  # decided from the file held
    assert donnees.millesime_source(e, "rp_logement") == 2019  # None: the study's RP millésime
    assert donnees.millesime_source(e, "filosofi") == 2019
    assert donnees.millesime_source(e, "inconnue") is None
    e.millesimes = {**e.millesimes, "caf_communes": 2021}
    assert donnees.millesime_source(e, "caf_communes") == 2021
    sans_rp = etude(tmp_path, filosofi=2019)
    assert donnees.millesime_source(sans_rp, "rp_logement") is None
    assert ("france_travail", 2024) in donnees.besoins(e) and ("caf_txcouv_pe", 2023) in donnees.besoins(e)
    assert not any(cle == "france_travail" for cle, _ in donnees.besoins(sans_rp))


# --- CAF and France Travail files simulated for the demo -----------------------------------------


def _inferieur(a: pd.Series, b: pd.Series) -> bool:
    """a <= b wherever both are published."""
    publies = a.notna() & b.notna()
    return bool(publies.any() and (a[publies] <= b[publies]).all())


def _lignes(chemin: Path) -> list[str]:
    import gzip

    octets = gzip.open(chemin).read() if chemin.suffix == ".gz" else chemin.read_bytes()
    assert octets.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, as the exports
    return octets.decode("utf-8-sig").split("\n")


@pytest.fixture(scope="module")
def rp_simule(demo_preparee):
    """Simulated RP of every commune of France (the files the CAF and France Travail data derive from)."""
    e, _ = demo_preparee
    tables = {}
    for nom in ("base-cc-evol-struct-pop-2019_csv.zip", "base-cc-coupl-fam-men-2019_csv.zip",
                "base-cc-emploi-pop-active-2019_csv.zip"):
        with zipfile.ZipFile(e.dossier_brut / nom) as z:
            tables[nom.split("-2019")[0]] = pd.read_csv(z.open(z.namelist()[0]), sep=";", dtype={"CODGEO": str}).set_index("CODGEO")
    return tables["base-cc-evol-struct-pop"].join(tables["base-cc-coupl-fam-men"][["C19_MEN"]]).join(
        tables["base-cc-emploi-pop-active"][["P19_CHOM1564", "P19_ACT1564"]])


def test_arrondi_cnaf(monkeypatch):
    comptes = [0, 1, 2, 3, 4, 5, 7, 12, 13, 1187]
    monkeypatch.setattr(demo, "CAF_CELLULE_VIDE_SOUS_5", True)
    assert demo._arrondi_cnaf(comptes).to_pylist() == ["", "", "", "", "", "5", "5", "10", "15", "1185"]
    monkeypatch.setattr(demo, "CAF_CELLULE_VIDE_SOUS_5", False)
    assert demo._arrondi_cnaf(comptes).to_pylist() == ["0", "0", "0", "5", "5", "5", "5", "10", "15", "1185"]
    taux = demo._taux(np.array([0, 1, 33, 5]), np.array([10, 3, 141, 0]), np.array([False, False, False, False]))
    assert taux.to_pylist() == ["0.0", "33.3", "23.4", ""]


def test_caf_communes_simule_mise_en_page_publiee(demo_preparee):
    e, _ = demo_preparee
    lignes = _lignes(e.dossier_brut / "s_ben_com_f.csv")
    assert lignes[0] == ("dtreffre;numcomdo;nomcom;numepci;nomepci;numdepdo;indfoy_ndur;indnbp_ndur;indfoy_af;"
                         "indfoy_cf;indfoy_asf;indfoy_ab;indfoy_cmg;indfoy_apl;indfoy_als;indfoy_alf;indfoy_rsa;indfoy_ppa")
    assert lignes[-1] == "" and all(l.count(";") == 17 for l in lignes[1:-1])
    cazeres = [l for l in lignes if l.startswith("2020-12;31135;Cazères;200068815;CC Cœur de Garonne;31;")]
    assert len(cazeres) == 1
    table = pd.read_csv(e.dossier_brut / "s_ben_com_f.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(table["dtreffre"]) == {"2017-12", "2020-12"}
    comptes = table.iloc[:, 6:]
    vides = (comptes == "").to_numpy()
    valeurs = np.array([int(x) for x in comptes.to_numpy(dtype=object).ravel() if x != ""])
    assert (valeurs % 5 == 0).all()  # rounded to 5 by the CNAF
    if demo.CAF_CELLULE_VIDE_SOUS_5:  # under 5: an empty cell (secret), never 0
        assert vides.any() and (valeurs >= 5).all()
    else:
        assert not vides.any()
    # every commune of the populations légales, both years
    populations = pd.read_csv(e.dossier_brut / "donnees_communes.csv", sep=";", dtype=str)
    for annee in ("2017-12", "2020-12"):
        assert set(table.loc[table["dtreffre"] == annee, "numcomdo"]) == set(populations["COM"])
    assert (e.dossier_brut / "simulations.yaml").read_text().count("- s_ben_com_f.csv") == 1


def test_caf_communes_simule_coherent_avec_le_rp(demo_preparee, rp_simule):
    e, _ = demo_preparee
    from diagnostic_territorial.sources import caf

    for annee in (2017, 2020):
        df = caf.lire_communes(e.dossier_brut / "s_ben_com_f.csv", annee)
        large = df.pivot_table(index="codgeo", columns="variable", values="valeur", aggfunc="first")
        rp_ = rp_simule.reindex(large.index)
        couvertes = large["indnbp_ndur"].dropna()
        assert (couvertes <= rp_.loc[couvertes.index, "P19_POP"]).all()  # personnes couvertes <= population
        assert _inferieur(large["indfoy_ndur"], large["indnbp_ndur"])  # foyers <= personnes
        for prestation in ("af", "rsa", "ppa", "apl", "ab", "cmg"):
            assert _inferieur(large[f"indfoy_{prestation}"], large["indfoy_ndur"]), prestation
        grandes = rp_["P19_POP"] >= 5_000
        foyers_par_menage = (large["indfoy_ndur"] / rp_["C19_MEN"])[grandes]
        assert 0.3 < foyers_par_menage.median() < 0.65
        part_couverte = large["indnbp_ndur"].sum() / rp_["P19_POP"].sum()
        assert 0.40 < part_couverte < 0.55
        # RSA more frequent where the simulated unemployment is higher
        chomage = (rp_["P19_CHOM1564"] / rp_["P19_ACT1564"])[grandes]
        rsa = (large["indfoy_rsa"] / rp_["C19_MEN"])[grandes]
        assert rsa.corr(chomage, method="spearman") > 0.3
        # PAJE allocation de base and CMG follow the children under 3 (RP 0-14 ans)
        assert large.loc[grandes, "indfoy_ab"].corr(rp_.loc[grandes, "P19_POP0014"]) > 0.9
        assert large.loc[grandes, "indfoy_cmg"].corr(rp_.loc[grandes, "P19_POP0014"]) > 0.8


def test_caf_communes_simule_dans_le_cache_et_le_territoire(demo_preparee):
    e, _ = demo_preparee
    df = donnees.charger(e, "caf_communes", 2020)
    assert df.attrs["provenance"].simule
    assert df.attrs["provenance"].mention() == (
        "Source : Cnaf, allocataires par commune 2020 (données simulées pour la démonstration)")
    assert set(df["codgeo"]) == set(COMMUNES) and set(df["millesime"]) == {2020}
    precedent = donnees.charger(e, "caf_communes_precedent", 2017)
    assert set(precedent["millesime"]) == {2017}
    fustignac = df[(df["codgeo"] == "31204") & (df["variable"] == "indfoy_rsa")].iloc[0]
    if demo.CAF_CELLULE_VIDE_SOUS_5:  # 82 inhabitants: under 5, secret
        assert fustignac["secret"] and math.isnan(fustignac["valeur"])


def test_taux_de_couverture_simules_coherents_entre_niveaux(demo_preparee):
    e, _ = demo_preparee
    from diagnostic_territorial.sources import caf

    lignes = {n: _lignes(e.dossier_brut / f"txcouv_pe_{n}.csv")[0] for n in ("com", "epci", "dep", "reg", "fra")}
    mesures = "nbenf_moins3;txcouv_eaje_psu;txcouv_eaje;txcouv_assmat;txcouv_salar;txcouv_presco;txcouv"
    assert lignes["com"] == "annee;numcom;nomcom;numdep;nomdep;" + mesures
    assert lignes["epci"] == "annee;numepci;nomepci;" + mesures
    assert lignes["dep"] == "annee;numdep;nomdep;" + mesures
    assert lignes["reg"] == "annee;numreg;nomreg;" + mesures
    assert lignes["fra"] == "annee;pays;" + mesures
    lus = {n: caf.lire_txcouv_pe(e.dossier_brut / f"txcouv_pe_{n}.csv", 2020) for n in lignes}
    assert {n: set(t["niveau"]) for n, t in lus.items()} == {
        "com": {"commune"}, "epci": {"epci"}, "dep": {"departement"}, "reg": {"region"}, "fra": {"france"}}
    com = lus["com"].pivot_table(index="codgeo", columns="variable", values="valeur", aggfunc="first")
    communes = pd.read_csv(e.dossier_brut / "s_ben_com_f.csv", sep=";", dtype=str, keep_default_na=False,
                           encoding="utf-8-sig").drop_duplicates("numcomdo").set_index("numcomdo")
    appartenance = {
        ("epci", CŒUR_DE_GARONNE): com.index.map(communes["numepci"]) == CŒUR_DE_GARONNE,
        ("dep", "31"): com.index.map(communes["numdepdo"]) == "31",
        ("fra", "FRM"): np.ones(len(com), dtype=bool),
    }
    for (niveau, code), membres in appartenance.items():
        publie = lus[niveau][lus[niveau]["codgeo"] == code].set_index("variable")["valeur"]
        enfants = com.loc[membres, "nbenf_moins3"]
        assert publie["nbenf_moins3"] == enfants.sum(), niveau  # children summed
        for taux in ("txcouv", "txcouv_eaje", "txcouv_assmat"):
            # places summed over children summed: the level's rate from its communes' rounded rates
            pondere = (com.loc[membres, taux] * enfants).sum() / enfants[com.loc[membres, taux].notna()].sum()
            assert abs(publie[taux] - pondere) < 0.06, (niveau, taux)
    modes = com[["txcouv_eaje", "txcouv_assmat", "txcouv_salar", "txcouv_presco"]]
    publies = modes.notna().all(axis=1) & com["txcouv"].notna()
    assert publies.mean() > 0.5 and ((modes[publies].sum(axis=1) - com.loc[publies, "txcouv"]).abs() < 0.25).all()
    assert _inferieur(com["txcouv_eaje_psu"], com["txcouv_eaje"])
    # 1 to 4 children with a salaried home carer: secret in the commune file, still in the total rate
    secrets_salar = com["txcouv_salar"].isna() & com["txcouv"].notna()
    assert secrets_salar.any()
    assert (com.loc[secrets_salar, "txcouv"] > modes[secrets_salar].sum(axis=1)).all()
    cazeres = com.loc["31135"]
    # crèches where the real BPE lists some: Cazères has one, Fustignac none
    assert cazeres["txcouv_eaje"] > 0 and com.loc["31204", "txcouv_eaje"] == 0
    cache_ = donnees.charger(e, "caf_txcouv_pe", 2020)
    assert set(cache_["niveau"]) == {"commune", "epci", "departement", "region", "france"}
    assert cache_.attrs["provenance"].simule


def test_demandeurs_emploi_simules_mise_en_page_et_secret(demo_preparee, rp_simule):
    e, _ = demo_preparee
    from diagnostic_territorial.sources import france_travail

    chemin = e.dossier_brut / "demandeurs_emploi_communes_T4.csv.gz"
    lignes = _lignes(chemin)
    assert lignes[0] == ("Code commune;Libellé commune;Catégorie;Sexe;Tranche d'âge;Trimestre;"
                         "Nombre de demandeurs d'emploi")
    assert "31135;Cazères;ABC;Ensemble;Ensemble;2020T4;" in "\n".join(lignes[1:30000]) or any(
        l.startswith("31135;Cazères;ABC;Ensemble;Ensemble;2020T4;") for l in lignes)
    table = pd.read_csv(chemin, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(table["Trimestre"]) == {"2017T4", "2020T4"} and set(table["Catégorie"]) == {"ABC", "A"}
    assert len(table) == 2 * 24 * table["Code commune"].nunique()
    total = (table["Sexe"] == "Ensemble") & (table["Tranche d'âge"] == "Ensemble")
    assert (table.loc[total, "Nombre de demandeurs d'emploi"].str.fullmatch(r"\d+")).all()  # totals published
    detail = table.loc[~total, "Nombre de demandeurs d'emploi"]
    assert (detail == "<5").any() and (detail[detail != "<5"].astype(int) >= 5).all()
    assert (e.dossier_brut / "simulations.yaml").read_text().count("- demandeurs_emploi_communes_T4.csv.gz") == 1
    for annee in (2017, 2020):
        df = france_travail.lire(chemin, annee)
        large = df.pivot_table(index="codgeo", columns="variable", values="valeur", aggfunc="first")
        np.testing.assert_array_equal((large["DEFM_ABC_H_TOT"] + large["DEFM_ABC_F_TOT"]).dropna(),
                                      large["DEFM_ABC_T_TOT"][large[["DEFM_ABC_H_TOT", "DEFM_ABC_F_TOT"]].notna().all(axis=1)])
        ages = large[["DEFM_ABC_T_M25", "DEFM_ABC_T_2549", "DEFM_ABC_T_50P"]]
        np.testing.assert_array_equal(ages.sum(axis=1)[ages.notna().all(axis=1)],
                                      large["DEFM_ABC_T_TOT"][ages.notna().all(axis=1)])
        assert (large["DEFM_A_T_TOT"] <= large["DEFM_ABC_T_TOT"]).all()
        rp_ = rp_simule.reindex(large.index)
        rapport = large["DEFM_ABC_T_TOT"].sum() / rp_["P19_CHOM1564"].sum()
        assert 1.3 < rapport < 2.5  # registered jobseekers ABC vs unemployed (RP)
        grandes = rp_["P19_POP"] >= 2_000
        assert large.loc[grandes, "DEFM_ABC_T_TOT"].corr(rp_.loc[grandes, "P19_CHOM1564"]) > 0.95
    df = donnees.charger(e, "france_travail", 2020)
    assert df.attrs["provenance"].simule and set(df["millesime"]) == {2020}
    assert df.attrs["provenance"].mention().startswith("Source : France Travail - Dares, demandeurs d'emploi T4 2020")


def test_references_des_sources_simulees(demo_preparee):
    """Every commune of France is simulated: the département, région and France sums exist."""
    from diagnostic_territorial import indicateurs as ind

    e, _ = demo_preparee
    e = types.SimpleNamespace(**vars(e), nom_territoire="CC Cœur de Garonne", type_territoire="epci",
                              code_territoire=CŒUR_DE_GARONNE)
    t = ind.additifs(e, "france_travail", 2020, ["DEFM_ABC_T_TOT", "DEFM_A_T_TOT"])[0].set_index("niveau")
    for niveau in ("territoire", "departement", "region", "france"):
        assert t.loc[niveau, "DEFM_ABC_T_TOT"] > t.loc[niveau, "DEFM_A_T_TOT"] > 0, niveau
    assert t.loc["france", "DEFM_ABC_T_TOT"] > t.loc["region", "DEFM_ABC_T_TOT"] > t.loc["departement", "DEFM_ABC_T_TOT"]
    t = ind.additifs(e, "caf_txcouv_pe", 2020, ["nbenf_moins3"])[0].set_index("niveau")
    assert (t.loc[["territoire", "departement", "region", "france"], "nbenf_moins3"] > 0).all()
    t = ind.additifs(e, "caf_communes", 2020, ["indfoy_ndur", "indnbp_ndur"])[0].set_index("niveau")
    assert t.loc["territoire", "indnbp_ndur"] > t.loc["territoire", "indfoy_ndur"] > 0
    if demo.CAF_CELLULE_VIDE_SOUS_5:
        # communes of a few inhabitants have fewer than 5 foyers: their cells are secret, so is any
        # sum of communes holding one (never a partial sum); the CNAF's own département and
        # national files would be needed (used by `additifs` when present in the cache)
        assert t.loc["departement", "indfoy_ndur__secret"] and math.isnan(t.loc["france", "indfoy_ndur"])
    else:
        assert t.loc["france", "indfoy_ndur"] > t.loc["departement", "indfoy_ndur"] > 0
