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

from conftest import COMMUNES_CŒUR_DE_GARONNE, CŒUR_DE_GARONNE

from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.sources import catalogue, rp
from diagnostic_territorial.sources.schema import sha256_fichier
from diagnostic_territorial_demo import donnees as demo

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
COMMUNES = COMMUNES_CŒUR_DE_GARONNE


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


# --- Preparation and loading on the demo territory ---------------------------------------------


DEMANDES_DEMO = {"rp": 2023, "filosofi": "dernier", "populations_legales": "dernier", "bpe": "dernier",
                 "caf_communes": "dernier", "caf_txcouv_pe": "dernier", "france_travail": "dernier"}


@pytest.fixture(scope="module")
def demo_preparee(tmp_path_factory):
    """The demo data of a new study (etude.yaml's defaults: RP 2023, « dernier » elsewhere)."""
    racine = tmp_path_factory.mktemp("etude")
    e = etude(racine)
    e.millesimes_demandes = dict(DEMANDES_DEMO)
    demo.installer_donnees_demo(e.dossier_brut, communes=list(e.communes["code"]))
    return e, donnees.preparer(e, telecharger=False)


def test_preparer_demo(demo_preparee):
    e, resultats = demo_preparee
    # « dernier » resolved on the files provided: the real Filosofi 2019 and BPE 2018 of the demo,
    # the simulated Caf (December 2024, previous 2020), txcouv (2023, 2017), Dares (2024, 2015)
    assert sorted((r.source, r.millesime, r.statut) for r in resultats) == sorted([
        ("rp_evol_struct_pop", 2023, "ok"),
        ("filosofi", 2019, "ok"),
        ("filosofi", 2016, "ok"),
        ("populations_legales", 2019, "ok"),
        ("rp_couples_familles_menages", 2023, "ok"),
        ("rp_logement", 2023, "ok"),
        ("rp_emploi_pop_active", 2023, "ok"),
        ("rp_caract_emploi", 2023, "ok"),
        ("rp_diplomes_formation", 2023, "ok"),
        ("bpe", 2018, "ok"),
        ("caf_iris", 2020, "ok"),
        ("caf_communes", 2024, "ok"),
        ("caf_communes", 2020, "ok"),
        ("caf_txcouv_pe", 2023, "ok"),
        ("caf_txcouv_pe", 2017, "ok"),
        ("france_travail", 2024, "ok"),
        ("france_travail", 2015, "ok"),
    ])
    assert e.millesimes["france_travail_precedent"] == 2015 and e.millesimes["rp_precedent"] == 2017
    for nom in ("rp_evol_struct_pop_2023", "filosofi_2019", "filosofi_2016", "populations_legales_2019",
                "rp_logement_2023", "bpe_2018", "caf_iris_2020", "caf_communes_2024", "caf_communes_2020",
                "caf_txcouv_pe_2023", "france_travail_2024", "france_travail_2015"):
        assert (e.dossier_cache / f"{nom}.parquet").exists()
    assert all(r.message == "cache à jour" for r in donnees.preparer(e, telecharger=False))
    resolues = json.loads((e.dossier_cache / "millesimes.json").read_text(encoding="utf-8"))
    assert resolues["millesimes"]["caf_communes"] == 2024 and resolues["demandes"]["caf_communes"] == "dernier"


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
    df = donnees.charger(e, "rp", 2023)
    prov = df.attrs["provenance"]
    assert prov.simule
    assert prov.mention() == "Source : Insee, RP 2023 (données simulées pour la démonstration)"
    assert prov.extra["france"] == "France hors Mayotte"
    assert set(df.loc[df["niveau"] == "commune", "codgeo"]) == set(COMMUNES)
    assert set(df["millesime"]) == {2023, 2017, 2012}  # one Melodi file holds the three censuses
    large = df[df["niveau"] == "commune"].pivot_table(index=["codgeo", "millesime"], columns="variable",
                                                      values="valeur")
    pops = donnees.charger(e, "populations_legales", 2019)
    pmun = pops[(pops["variable"] == "PMUN") & (pops["niveau"] == "commune")].set_index("codgeo")["valeur"]
    r23 = large.xs(2023, level="millesime")
    assert abs(r23["P_POP"].sum() / pmun.sum() - 1) < 0.08  # follows the real légale population
    bandes = ("0014", "1524", "2539", "4054", "5564", "6579", "80P")
    for annee in (2023, 2017, 2012):
        t = large.xs(annee, level="millesime").dropna(axis=1, how="all")
        np.testing.assert_allclose(t[[f"P_POP{b}" for b in bandes]].sum(axis=1), t["P_POP"], atol=1e-6)
        np.testing.assert_allclose(t["P_POPH"] + t["P_POPF"], t["P_POP"], atol=1e-6)
        np.testing.assert_allclose(t[[f"C_POP15P_CS{i}" for i in range(1, 9)]].sum(axis=1), t["C_POP15P"], atol=1e-6)
        np.testing.assert_allclose(t[[f"P_POP01P_IRAN{i}" for i in range(1, 8)]].sum(axis=1), t["P_POP01P"], atol=1e-6)
        assert (t >= 0).all().all()
    # the former bands, summed from the single years (2023 only), agree with the main dataset
    np.testing.assert_allclose(r23[["P_POP0014", "P_POP1529", "P_POP3044", "P_POP4559", "P_POP6074", "P_POP7589",
                                    "P_POP90P"]].sum(axis=1), r23["P_POP"], atol=1e-6)
    # earlier censuses: plausible populations, not copies of 2023
    r12 = large.xs(2012, level="millesime")["P_POP"]
    ratio = r12.sum() / r23["P_POP"].sum()
    assert 0.8 < ratio < 1.0 and (r12 != r23["P_POP"]).any()


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

    def table(source):
        df = donnees.charger(e, source, 2023)
        assert df.attrs["provenance"].simule, source
        return df[df["niveau"] == "commune"].pivot_table(index=["codgeo", "millesime"], columns="variable",
                                                          values="valeur")

    pop, fam, log, emp, car, dip = (table(s) for s in (
        "rp_evol_struct_pop", "rp_couples_familles_menages", "rp_logement", "rp_emploi_pop_active",
        "rp_caract_emploi", "rp_diplomes_formation"))
    for t in (fam, log, emp, car, dip):
        assert set(t.index.get_level_values("codgeo")) == set(COMMUNES)
        assert (t.fillna(0) >= 0).all().all()
    np.testing.assert_allclose(fam["C_HMONO"] + fam["C_FMONO"], fam["C_FAMMONO"], atol=1e-6)
    np.testing.assert_allclose(fam["C_COUPAENF"] + fam["C_COUPSENF"] + fam["C_FAMMONO"], fam["C_FAM"], atol=1e-6)
    np.testing.assert_allclose(log["P_RP"] + log["P_RSECOCC"] + log["P_LOGVAC"], log["P_LOG"], atol=1e-6)
    np.testing.assert_allclose(log["P_RP"], fam["C_MEN"].reindex(log.index), rtol=0.02)  # households
    assert (log["P_RP_LOCHLMV"] <= log["P_RP_LOC"]).all()
    np.testing.assert_allclose(emp["P_ACTOCC1564"] + emp["P_CHOM1564"], emp["P_ACT1564"], atol=1e-6)
    assert (emp["P_ACT1564"] <= emp["P_POP1564"]).all()
    assert (emp["P_POP1564"] <= pop["P_POP"].reindex(emp.index)).all()
    assert (car["P_SAL15P_TP"] <= car["P_SAL15P"]).all() and (car["P_SAL15P"] <= car["P_ACTOCC15P"]).all()
    diplomes = [f"P_NSCOL15P_{d}" for d in ("DIPLMIN", "BEPC", "CAPBEP", "BAC", "SUP2", "SUP34", "SUP5")]
    d23 = dip.xs(2023, level="millesime")
    np.testing.assert_allclose(d23[diplomes].sum(axis=1), d23["P_NSCOL15P"], atol=1e-6)
    assert (dip["P_SCOL0610"] <= dip["P_POP0610"]).all()


def test_charger_bpe_reel_du_territoire(demo_preparee):
    e, _ = demo_preparee
    df = donnees.charger(e, "bpe", 2018)
    assert not df.attrs["provenance"].simule
    communes = df[df["niveau"] == "commune"]
    assert set(communes["codgeo"]) == set(COMMUNES)  # every commune: a 0 where the BPE lists none
    creches = communes[communes["variable"] == "D502"].set_index("codgeo")["valeur"]
    assert creches["31135"] == 1 and creches["31454"] == 1 and creches.sum() == 8  # real BPE 2018
    assert creches["31204"] == 0  # Fustignac: no crèche listed, the BPE covers Haute-Garonne
    # the references summed once from the whole BPE (hand checks of test_indicateurs_additifs)
    references = df[(df["niveau"] != "commune") & (df["variable"] == "D502")].set_index("niveau")["valeur"]
    assert references.to_dict() == {"departement": 364, "region": 1180, "france": 12196}


def test_cache_caf_iris_et_communes(demo_preparee, tmp_path):
    """The IRIS file of the demo holds Toulouse and its neighbours, none of the study's communes:
    its cache holds no row of them; read for a study of Toulouse, a masked IRIS masks the commune."""
    from diagnostic_territorial.sources import cache

    e, _ = demo_preparee
    assert cache.lire(donnees.chemin_cache(e, "caf", 2020), niveaux={"commune": {"31555", "31069"}}).empty
    toulouse = etude(tmp_path, caf=2020)
    toulouse.communes = pd.DataFrame({"code": ["31555", "31069"], "nom": ["Toulouse", "Beauzelle"],
                                      "departement": "31", "region": "76", "epci": "243100518"})
    (tmp_path / "data" / "brut").mkdir(parents=True)
    (tmp_path / "data" / "brut" / "data_CAF_2020_IRIS.csv").write_bytes(
        (e.dossier_brut / "data_CAF_2020_IRIS.csv").read_bytes())
    (resultat,) = donnees.preparer(toulouse, telecharger=False)
    assert resultat.statut == "ok", resultat.message
    chemin = donnees.chemin_cache(toulouse, "caf", 2020)
    communes = cache.lire(chemin, niveaux={"commune": {"31555", "31069"}})
    a = communes[communes["variable"] == "A"].set_index("codgeo")
    assert a.loc["31069", "secret"] and math.isnan(a.loc["31069", "valeur"])  # one masked IRIS
    iris = cache.lire(chemin, codgeos={"310690101"})
    assert iris[iris["variable"] == "A"]["valeur"].item() == 471
    assert {c[:5] for c in cache.lire(chemin).query("niveau == 'iris'")["codgeo"]} == {"31555", "31069"}


def test_lecture_rapide_du_cache(demo_preparee):
    """Reading one territory from a cache of the demo (s_ben_com_f, read for every commune of
    France, cached for the study's communes and its references) stays well under 0.2 s."""
    import time

    import pyarrow.parquet as pq

    e, _ = demo_preparee
    chemin = donnees.chemin_cache(e, "caf_communes", 2024)
    filtres = [("variable", "in", ["indfoy_rsa", "indfoy_ppa", "indfoy_ndur"]), ("millesime", "=", 2024),
               ("niveau", "=", "commune")]
    mesures_variables, mesures_territoire = [], []
    for _ in range(3):
        debut = time.perf_counter()
        par_variable = pq.read_table(chemin, filters=filtres).to_pandas()
        mesures_variables.append(time.perf_counter() - debut)
        debut = time.perf_counter()
        territoire = donnees.charger(e, "caf_communes", 2024)
        mesures_territoire.append(time.perf_counter() - debut)
    assert len(par_variable) == 3 * len(COMMUNES) and set(par_variable["codgeo"]) == set(COMMUNES)
    assert set(territoire.loc[territoire["niveau"] == "commune", "codgeo"]) == set(COMMUNES)
    # generous bounds for slow CI machines; typical figures are ~0.05 s
    assert min(mesures_variables) < 0.5 and min(mesures_territoire) < 0.5


def test_caf_et_dares_simules_dans_le_cache_et_le_territoire(demo_preparee):
    """Every commune of France is simulated: the département, région and France sums exist; the
    rows without a commune and the Dares « Total » rows are left out and counted."""
    from diagnostic_territorial.indicateurs import calcul as ind

    e, _ = demo_preparee
    df = donnees.charger(e, "caf_communes", 2024)
    prov = df.attrs["provenance"]
    assert prov.simule and prov.mention() == (
        "Source : Cnaf, allocataires par commune, décembre 2024 (données simulées pour la démonstration)")
    assert prov.extra["lignes_sans_commune"] == 5  # allocataires not located: one row a December, 2020-2024
    assert set(df.loc[df["niveau"] == "commune", "codgeo"]) == set(COMMUNES) and set(df["millesime"]) == {2024}
    # the references, summed once from every commune of the file; and the study's EPCI as the
    # simulated s_ben_epci_f export publishes it (AAH and AEEH: the Cnaf publishes them by EPCI only)
    autres = df[df["niveau"] != "commune"]
    assert set(zip(autres["niveau"], autres["codgeo"])) == {
        ("epci", CŒUR_DE_GARONNE), ("departement", "31"), ("region", "76"), ("france", "FRM")}
    # the EPCI's own rows hold only its fields of disability (the communes' figures are not replaced)
    assert set(autres.loc[autres["niveau"] == "epci", "variable"]) == {
        "indfoy_aah", "indben_aah", "indfoy_aeeh", "indben_aeeh"}
    e = types.SimpleNamespace(**vars(e), nom_territoire="CC Cœur de Garonne", type_territoire="epci",
                              code_territoire=CŒUR_DE_GARONNE)
    t = ind.additifs(e, "caf_communes", 2024, ["indfoy_ndur", "indnbp_ndur", "indfoy_rsa"])[0].set_index("niveau")
    assert t.loc["territoire", "indnbp_ndur"] > t.loc["territoire", "indfoy_ndur"] > t.loc["territoire", "indfoy_rsa"] > 0
    assert t.loc["france", "indfoy_ndur"] > t.loc["region", "indfoy_ndur"] > t.loc["departement", "indfoy_ndur"] > 0
    t = ind.additifs(e, "france_travail", 2024, ["DEFM_ABC_T_TOT", "DEFM_ABC_T_M25"])[0].set_index("niveau")
    for niveau in ("territoire", "departement", "region", "france"):
        assert t.loc[niveau, "DEFM_ABC_T_TOT"] > t.loc[niveau, "DEFM_ABC_T_M25"] > 0, niveau
    assert t.loc["france", "DEFM_ABC_T_TOT"] > t.loc["region", "DEFM_ABC_T_TOT"] > t.loc["departement", "DEFM_ABC_T_TOT"]
    dares = donnees.charger(e, "france_travail", 2015)
    assert dares.attrs["provenance"].extra["lignes_sans_commune"] > 0  # the « Total » rows
    # taux de couverture: read at their level, never summed (the EPCI's own published rate)
    taux = donnees.charger(e, "caf_txcouv_pe", 2023)
    epci = taux[(taux["niveau"] == "epci") & (taux["variable"] == "txcouv")]
    assert list(epci["codgeo"]) == [CŒUR_DE_GARONNE] and 30 < epci["valeur"].item() < 100


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


