"""BPE, CAF, France Travail, COG and Filosofi base-cc readers, checked against values read by hand
in the real files of ../shared/data/reel (extracts copied byte for byte in tests/fixtures/sources),
or against fixtures written in the published layout when the file is not available offline.

Hand checks (awk on the real files):
- bpe18_ensemble.csv: Cazères 31135 D502=1, C101=2, C104=3, C201=1, D201=3; Rieumes 31454 D502=1,
  C101=1, C104=1; Toulouse 31555 D502=147 over 92 IRIS rows, C101=97; the 48 communes of CC Cœur de
  Garonne: D502=8, C101=8, C104=15, C201=4.
- data_CAF_2020_IRIS.csv: IRIS 310690101 (Blagnac, Berry) A=471, PERCOU=938; 310690102 NOTE=5
  (masked); data_CAF_2016_IRIS.csv: 010040102 PERCOU written "2 256", 310690103 PERCOU "1 525".
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import bpe, cache, caf, catalogue, cog, filosofi, france_travail, rp
from diagnostic_territorial.sources.schema import COLONNES, verifier

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CŒUR_DE_GARONNE = (
    "31051 31065 31084 31101 31119 31122 31135 31153 31189 31193 31196 31204 31229 31250 31266 31283 "
    "31292 31299 31309 31317 31318 31324 31327 31349 31353 31359 31362 31367 31370 31382 31387 31406 "
    "31419 31422 31423 31425 31428 31435 31436 31454 31469 31476 31481 31505 31520 31530 31538 31543"
).split()


def une(df: pd.DataFrame, codgeo: str, variable: str) -> pd.Series:
    ligne = df[(df["codgeo"] == codgeo) & (df["variable"] == variable)]
    assert len(ligne) == 1, (codgeo, variable, len(ligne))
    return ligne.iloc[0]


# --- BPE ---------------------------------------------------------------------------------------


def test_bpe_2018_base_agregee_valeurs_reelles():
    df = bpe.lire(FIXTURES / "bpe18_ensemble_csv.zip", 2018)
    assert list(df.columns) == COLONNES and set(df["niveau"]) == {"commune"} and set(df["millesime"]) == {2018}
    for code, attendu in {"D502": 1, "C101": 2, "C104": 3, "C201": 1, "D201": 3}.items():
        assert une(df, "31135", code)["valeur"] == attendu
    for code, attendu in {"D502": 1, "C101": 1, "C104": 1}.items():
        assert une(df, "31454", code)["valeur"] == attendu
    # Toulouse: one row per IRIS in the file, summed to the commune
    assert une(df, "31555", "D502")["valeur"] == 147
    assert une(df, "31555", "C101")["valeur"] == 97
    territoire = df[df["codgeo"].isin(CŒUR_DE_GARONNE)].groupby("variable")["valeur"].sum()
    assert territoire[["D502", "C101", "C104", "C201"]].tolist() == [8, 8, 15, 4]
    assert not df["secret"].any()
    assert une(df, "2A004", "C101")["valeur"] > 0  # Corsican code stays a string
    prov = df.attrs["provenance"]
    assert prov.mention() == "Source : Insee, BPE 2018"
    assert prov.url == "https://www.insee.fr/fr/statistiques/fichier/3568629/bpe18_ensemble_csv.zip"


def test_bpe_categories_par_millesime():
    c18 = bpe.categories(2018)
    assert c18["creches_eaje"] == ["D502"]
    assert {"C101", "C102"} <= set(c18["ecoles_maternelles"]) and {"C104", "C105"} <= set(c18["ecoles_elementaires"])
    assert c18["colleges"] == ["C201"] and "C301" in c18["lycees"]
    assert set(c18["personnes_agees"]) >= {"D401", "D402", "D403", "D404", "D405"}
    assert "C107" in bpe.categories(2023)["ecoles_maternelles"]
    with pytest.raises(ValueError):
        bpe.categories(2012)
    df = bpe.par_categorie(bpe.lire(FIXTURES / "bpe18_ensemble_csv.zip"))
    assert une(df, "31135", "creches_eaje")["valeur"] == 1
    assert une(df, "31135", "ecoles_maternelles")["valeur"] == 2
    assert une(df, "31135", "ecoles_elementaires")["valeur"] == 3
    verifier(df)


def test_bpe_geolocalisee_une_ligne_par_equipement():
    df = bpe.lire(FIXTURES / "BPE23.csv")
    assert set(df["millesime"]) == {2023}
    assert une(df, "31135", "D502")["valeur"] == 2
    assert une(df, "31135", "D502_CAPACITE")["valeur"] == 40
    assert une(df, "31454", "D502")["valeur"] == 2
    capacite = une(df, "31454", "D502_CAPACITE")  # one crèche without capacity: unknown, not 20
    assert math.isnan(capacite["valeur"])
    assert une(df, "31454", "D265")["valeur"] == 1
    assert "C107_CAPACITE" not in set(df["variable"])
    categories = bpe.par_categorie(df)
    assert une(categories, "31135", "ecoles_maternelles")["valeur"] == 1
    assert une(categories, "31454", "medecins_generalistes")["valeur"] == 1


def test_bpe_millesime_verifie():
    with pytest.raises(FormatInconnu, match="BPE 2018, 2019 attendu"):
        bpe.lire(FIXTURES / "bpe18_ensemble_csv.zip", 2019)


# --- CAF ---------------------------------------------------------------------------------------


def test_caf_iris_2020_valeurs_reelles_et_ligne_masquee():
    df = caf.lire_iris(FIXTURES / "data_CAF_2020_IRIS.csv")
    assert set(df["niveau"]) == {"iris"} and set(df["millesime"]) == {2020}
    assert une(df, "310690101", "A")["valeur"] == 471
    assert une(df, "310690101", "PERCOU")["valeur"] == 938
    for variable in ("A", "PERCOU", "ENF_2"):
        masquee = une(df, "310690102", variable)
        assert masquee["secret"] and math.isnan(masquee["valeur"])
    vide = une(df, "310690106", "A_ETUD")  # empty cell in an unmasked row: secret, never 0
    assert vide["secret"] and math.isnan(vide["valeur"])
    assert not (df["secret"] & (df["valeur"] == 0)).any()
    assert "NOTE" not in set(df["variable"])
    assert df.attrs["provenance"].millesime == 2020


def test_caf_iris_2016_separateur_de_milliers():
    df = caf.lire_iris(FIXTURES / "data_CAF_2016_IRIS.csv")
    assert une(df, "010040102", "PERCOU")["valeur"] == 2256  # written "2 256"
    assert une(df, "010040102", "A")["valeur"] == 929
    assert une(df, "310690103", "PERCOU")["valeur"] == 1525  # written "1 525"
    assert une(df, "012830302", "A")["secret"]  # NOTE 3
    assert "LIBGEO" not in set(df["variable"]) and "APRES50" in set(df["variable"])


def test_caf_agregation_communes_secret_contagieux():
    iris = caf.lire_iris(FIXTURES / "data_CAF_2020_IRIS.csv")
    communes = caf.agreger_communes(iris)
    assert set(communes["niveau"]) == {"commune"}
    # Blagnac has a masked IRIS: the commune total is unknown, not a partial sum
    blagnac = une(communes, "31069", "A")
    assert blagnac["secret"] and math.isnan(blagnac["valeur"])
    # the two IRIS of Ambérieu-en-Bugey in the extract are both published: exact sum
    assert une(communes, "01004", "A")["valeur"] == 501 + 1109
    assert une(communes, "01004", "PERCOU")["valeur"] == 1183 + 2646


def test_caf_communes_s_ben_com_f():
    df = caf.lire_communes(FIXTURES / "s_ben_com_f.csv", 2022)
    assert set(df["millesime"]) == {2022} and set(df["niveau"]) == {"commune"}
    assert une(df, "31135", "indfoy_ndur")["valeur"] == 1185
    assert une(df, "31135", "indnbp_ndur")["valeur"] == 2890
    asf = une(df, "31051", "indfoy_asf")
    assert asf["secret"] and math.isnan(asf["valeur"])
    tous = caf.lire_communes(FIXTURES / "s_ben_com_f.csv")
    assert set(tous["millesime"]) == {2021, 2022}
    assert df.attrs["provenance"].source == "Cnaf, allocataires par commune, décembre 2022"


# --- France Travail ----------------------------------------------------------------------------


def test_france_travail_t4_seulement_et_secret():
    df = france_travail.lire(FIXTURES / "demandeurs_emploi_communes_T4.csv")
    assert set(df["millesime"]) == {2022, 2023}  # the 2023 T3 rows are dropped
    t4 = df[df["millesime"] == 2023]
    assert une(t4, "31135", "DEFM_ABC_T_TOT")["valeur"] == 420
    assert une(t4, "31135", "DEFM_ABC_F_TOT")["valeur"] == 220
    assert une(t4, "31135", "DEFM_ABC_T_M25")["valeur"] == 63
    assert une(t4, "31135", "DEFM_A_T_TOT")["valeur"] == 231
    moins_de_5 = une(t4, "31454", "DEFM_ABC_F_M25")
    assert moins_de_5["secret"] and math.isnan(moins_de_5["valeur"])
    assert une(t4, "31051", "DEFM_ABC_T_TOT")["secret"]
    seul = france_travail.lire(FIXTURES / "demandeurs_emploi_communes_T4.csv", millesime=2022)
    assert set(seul["millesime"]) == {2022}
    assert une(seul, "31454", "DEFM_ABC_F_M25")["valeur"] == 6


# --- COG ---------------------------------------------------------------------------------------


def test_cog_communes_departements_regions_2021():
    communes = cog.lire_communes(FIXTURES / "commune_2021.csv")
    assert set(communes["TYPECOM"]) == {"COM", "COMD", "ARM"}
    actuelles = cog.lire_communes(FIXTURES / "commune_2021.csv", actuelles=True)
    assert actuelles.set_index("COM").loc["31135", "LIBELLE"] == "Cazères"
    assert actuelles.set_index("COM").loc["2A004", "DEP"] == "2A"
    assert actuelles.set_index("COM").loc["97101", "DEP"] == "971"
    assert "75101" not in set(actuelles["COM"])
    deps = cog.lire_departements(FIXTURES / "departement2021.csv").set_index("DEP")
    assert deps.loc["31", "LIBELLE"] == "Haute-Garonne" and deps.loc["31", "REG"] == "76"
    regions = cog.lire_regions(FIXTURES / "region2021.csv").set_index("REG")
    assert regions.loc["76", "LIBELLE"] == "Occitanie" and regions.loc["01", "CHEFLIEU"] == "97105"


def test_cog_communes_mise_en_page_2019_2020_minuscules(tmp_path):
    chemin = tmp_path / "communes2020.csv"
    chemin.write_text(
        "typecom,com,reg,dep,arr,tncc,ncc,nccenr,libelle,can,comparent\n"
        "COM,31135,76,31,311,0,CAZERES,Cazères,Cazères,3106,\n",
        encoding="utf-8",
    )
    df = cog.lire_communes(chemin)
    assert df.loc[0, "COM"] == "31135" and df.loc[0, "LIBELLE"] == "Cazères"


def test_cog_composition_epci_csv_et_classeur():
    csv = cog.lire_composition_epci(FIXTURES / "EPCI_2020.csv").set_index("CODGEO")
    assert csv.loc["31135", "EPCI"] == "200068815" and csv.loc["31135", "LIBEPCI"] == "CC Cœur de Garonne"
    assert csv.loc["29083", "EPCI"] == "ZZZZZZZZZ"  # Île-de-Sein, no EPCI
    xlsx = cog.lire_composition_epci(FIXTURES / "Intercommunalite_Metropole_au_01-01-2022.xlsx").set_index("CODGEO")
    assert xlsx.loc["31454", "EPCI"] == "200068815" and xlsx.loc["2A004", "DEP"] == "2A"
    epci = cog.lire_epci(FIXTURES / "Intercommunalite_Metropole_au_01-01-2022.xlsx").set_index("EPCI")
    assert epci.loc["200068815", "NB_COM"] == "48" and epci.loc["200068815", "NATURE_EPCI"] == "CC"


def test_cog_mouvements_communes_nouvelles():
    mouvements = cog.lire_mouvements(FIXTURES / "mvtcommune_2022.csv")
    passage = cog.table_passage(mouvements, "2022-01-01")
    assert passage["74011"] == "74010" and passage["74268"] == "74010"
    assert "74010" not in passage  # the chef-lieu keeps its code
    assert cog.table_passage(mouvements, "2016-12-31") == {}


# --- Filosofi base-cc (xls, 2014-2016) ---------------------------------------------------------


def test_filosofi_base_cc_xls_toutes_les_feuilles():
    df = filosofi.lire(FIXTURES / "base-cc-filosofi-2015.xls")
    assert set(df["niveau"]) == {"commune", "epci", "departement", "region", "france"}  # ARR ignored
    assert set(df["millesime"]) == {2015}
    assert une(df, "31135", "Q2")["valeur"] == pytest.approx(17942.5)  # MED15 -> Q2
    assert une(df, "31135", "NBMEN")["valeur"] == 2011  # NBMENFISC15 -> NBMEN
    assert une(df, "200068815", "Q2")["valeur"] == 19889
    assert une(df, "FRM", "Q2")["valeur"] == 20566
    d1 = une(df, "31051", "D1")
    assert d1["secret"] and math.isnan(d1["valeur"])
    assert catalogue.fichiers("filosofi", 2014)[0].membre == "base-cc-filosofi-2014.xls"


# --- Catalogue of the other RP bases -----------------------------------------------------------


def test_catalogue_bases_rp_et_autres_sources():
    for cle in ("rp_couples_familles_menages", "rp_logement", "rp_emploi_pop_active", "rp_diplomes_formation"):
        assert set(range(2017, 2022)) <= set(catalogue.millesimes(cle))
    (logement,) = catalogue.fichiers("rp_logement", 2020)
    assert logement.url == "https://www.insee.fr/fr/statistiques/fichier/7631186/base-cc-logement-2020_csv.zip"
    assert logement.membre == "base-cc-logement-2020.CSV"
    (diplomes,) = catalogue.fichiers("rp_diplomes_formation", 2017)
    assert diplomes.nom_fichier == "base-ccc-diplomes-formation-2017.zip"
    assert catalogue.fichiers("bpe", 2018)[0].membre == "bpe18_ensemble.csv"
    assert catalogue.fichiers("caf_iris", 2020)[0].nom_fichier == "data_CAF_2020_IRIS.csv"
    assert rp._officiel("base-cc-logement-2019.xlsx", 2019).cle == "rp_logement"
    assert rp._officiel("base-cc-evol-struct-pop-2019.CSV", 2019).cle == "rp_evol_struct_pop"


# --- Cache: both access patterns prune row groups ---------------------------------------------


def test_cache_lecture_par_variable_et_par_territoire(tmp_path):
    rng = np.random.default_rng(0)
    communes = [f"{d:02d}{c:03d}" for d in range(1, 96) for c in range(1, 121)]
    variables = [f"P_V{i:03d}" for i in range(60)]
    n = len(communes) * len(variables)
    df = pd.DataFrame(
        {
            "codgeo": np.repeat(communes, len(variables)),
            "niveau": "commune",
            "variable": np.tile(variables, len(communes)),
            "millesime": 2019,
            "valeur": rng.random(n),
            "secret": False,
        }
    )
    chemin = cache.ecrire(df, tmp_path / "x_2019.parquet")
    assert cache.chemin_territoire(chemin).exists()
    assert list(tmp_path.glob("*.parquet")) == [chemin]  # the companion copy is hidden
    meta = pq.ParquetFile(chemin).metadata
    assert meta.num_row_groups > 1
    par_variable = pq.read_table(
        chemin, filters=[("variable", "in", ["P_V001", "P_V002"]), ("millesime", "=", 2019), ("niveau", "=", "commune")]
    ).to_pandas()
    assert len(par_variable) == 2 * len(communes)
    territoire = cache.lire(chemin, niveaux={"commune": {"31100", "31001"}, "region": {"76"}})
    assert len(territoire) == 2 * len(variables)
    attendu = df[df["codgeo"].isin(["31100", "31001"])].sort_values(["codgeo", "variable"])["valeur"].to_numpy()
    np.testing.assert_array_equal(territoire.sort_values(["codgeo", "variable"])["valeur"].to_numpy(), attendu)
    # same answer without the companion copy (older caches)
    cache.chemin_territoire(chemin).unlink()
    assert len(cache.lire(chemin, codgeos={"31100"})) == len(variables)


# --- Malformed files: a clear FormatInconnu or a correct parse, never another exception ----------

LECTEURS = {
    "bpe18_ensemble.csv": lambda p: bpe.lire(p),
    "BPE23.csv": lambda p: bpe.lire(p),
    "data_CAF_2020_IRIS.csv": lambda p: caf.lire_iris(p),
    "data_CAF_2016_IRIS.csv": lambda p: caf.lire_iris(p),
    "s_ben_com_f.csv": lambda p: caf.lire_communes(p),
    "txcouv_pe_com.csv": lambda p: caf.lire_txcouv_pe(p),
    "demandeurs_emploi_communes_T4.csv": lambda p: france_travail.lire(p),
    "commune_2021.csv": lambda p: cog.lire_communes(p),
    "departement2021.csv": lambda p: cog.lire_departements(p),
    "EPCI_2020.csv": lambda p: cog.lire_composition_epci(p),
    "mvtcommune_2022.csv": lambda p: cog.lire_mouvements(p),
}


def _octets(nom: str) -> bytes:
    if nom == "bpe18_ensemble.csv":
        with zipfile.ZipFile(FIXTURES / "bpe18_ensemble_csv.zip") as z:
            return z.read(nom)[:6000]
    return (FIXTURES / nom).read_bytes()


ORIGINAUX = {nom: _octets(nom) for nom in LECTEURS}


def _mutations():
    nom = st.sampled_from(sorted(LECTEURS))
    return st.tuples(
        nom,
        st.sampled_from(["tronquer", "remplacer", "inserer", "supprimer_ligne", "latin1", "vider_cellule"]),
        st.integers(min_value=0, max_value=10_000),
        st.binary(min_size=1, max_size=4),
    )


def _muter(octets: bytes, mode: str, position: int, ajout: bytes) -> bytes:
    i = position % max(len(octets), 1)
    if mode == "tronquer":
        return octets[:i]
    if mode == "remplacer":
        return octets[:i] + ajout + octets[i + len(ajout):]
    if mode == "inserer":
        return octets[:i] + ajout + octets[i:]
    if mode == "supprimer_ligne":
        lignes = octets.splitlines(keepends=True)
        del lignes[position % len(lignes)]
        return b"".join(lignes)
    if mode == "latin1":
        return octets.decode("utf-8", errors="replace").encode("latin-1", errors="replace")
    lignes = octets.splitlines(keepends=True)
    k = position % len(lignes)
    champs = lignes[k].split(b";" if b";" in lignes[k] else b",")
    champs[position % len(champs)] = b""
    lignes[k] = (b";" if b";" in lignes[k] else b",").join(champs)
    return b"".join(lignes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_fichiers_abimes_erreur_claire_ou_lecture_correcte(mutation):
    nom, mode, position, ajout = mutation
    contenu = _muter(ORIGINAUX[nom], mode, position, ajout)
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / nom
        chemin.write_bytes(contenu)
        try:
            resultat = LECTEURS[nom](chemin)
        except FormatInconnu as exc:
            assert nom in str(exc) and "illisible" in str(exc)
            return
    if set(COLONNES) <= set(resultat.columns):
        verifier(resultat)
        assert not (resultat["secret"] & (resultat["valeur"] == 0)).any()
        assert all(isinstance(c, str) for c in resultat["codgeo"])


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_classeurs_abimes(octets):
    with tempfile.TemporaryDirectory() as dossier:
        for nom, lecteur in (
            ("base-cc-filosofi-2015.xls", filosofi.lire),
            ("Intercommunalite_Metropole_au_01-01-2022.xlsx", cog.lire_composition_epci),
        ):
            chemin = Path(dossier) / nom
            chemin.write_bytes(octets)
            with pytest.raises(FormatInconnu):
                lecteur(chemin)


def test_classeur_sans_la_bonne_feuille(tmp_path):
    import openpyxl

    classeur = openpyxl.Workbook()
    classeur.active.title = "Autre"
    chemin = tmp_path / "Intercommunalite_Metropole_au_01-01-2022.xlsx"
    classeur.save(chemin)
    with pytest.raises(FormatInconnu, match="Composition_communale"):
        cog.lire_composition_epci(chemin)


def test_telecharger_refuse_une_page_html(tmp_path):
    from diagnostic_territorial.erreurs import DonneeManquante

    page = tmp_path / "page.html"
    page.write_text("<!DOCTYPE html><html><body>Recherche</body></html>")
    officiel = catalogue.fichiers("caf_iris", 2020)[0]
    assert officiel.nom_archive == "data_CAF_2020_IRIS.csv"  # not the query string of the URL
    local = catalogue.FichierOfficiel(**{**officiel.__dict__, "url": page.resolve().as_uri() + "?q=x"})
    with pytest.raises(DonneeManquante, match="data_CAF_2020_IRIS.csv"):
        catalogue.telecharger(local, tmp_path / "brut")
    assert not (tmp_path / "brut" / "data_CAF_2020_IRIS.csv").exists()


def test_caf_espace_mal_placee_refusee(tmp_path):
    texte = (FIXTURES / "data_CAF_2016_IRIS.csv").read_bytes().replace("2\u202f256".encode(), "2\u202f56".encode())
    chemin = tmp_path / "data_CAF_2016_IRIS.csv"
    chemin.write_bytes(texte)
    with pytest.raises(FormatInconnu, match="colonne PERCOU, ligne 3"):
        caf.lire_iris(chemin)


# --- Large national files: fast path (pyarrow) and the same errors as the strict path ------------

ENTETE_DEFM = "Code commune;Libellé commune;Catégorie;Sexe;Tranche d'âge;Trimestre;Nombre de demandeurs d'emploi"


def _gros_defm(lignes_modifiees: dict[int, str] | None = None, n: int = 40_000) -> bytes:
    """A DEFM file of more than 1 MB (line k of the file = lignes[k - 1])."""
    lignes = [ENTETE_DEFM] + [f"{10_000 + i:05d};Commune {i};ABC;Ensemble;Ensemble;2023T4;{'<5' if i % 7 == 0 else i % 300 + 5}"
                              for i in range(n)]
    for numero, texte in (lignes_modifiees or {}).items():
        lignes[numero - 1] = texte
    return ("\ufeff" + "\n".join(lignes) + "\n").encode("utf-8")


def test_gros_fichier_lu_comme_par_la_voie_stricte(tmp_path, monkeypatch):
    from diagnostic_territorial.sources import schema

    chemin = tmp_path / "demandeurs_emploi_communes_T4.csv"
    chemin.write_bytes(_gros_defm())
    assert chemin.stat().st_size > 1 << 20
    rapide = france_travail.lire(chemin)
    monkeypatch.setattr(schema, "_table_csv_rapide", lambda *a, **k: None)
    strict = france_travail.lire(chemin)
    pd.testing.assert_frame_equal(rapide, strict)
    assert len(rapide) == 40_000 and rapide["secret"].sum() == len(range(0, 40_000, 7))
    assert une(rapide, "10001", "DEFM_ABC_T_TOT")["valeur"] == 6


@pytest.mark.parametrize("numero, texte, attendu", [
    (30_001, "39999;X;ABC;Ensemble;Ensemble;2023T4", "ligne 30001 : 6 champs au lieu de 7"),
    (25_000, "34998;X;ABC;Ensemble;Ensemble;2023T4;12a", "colonne Nombre de demandeurs d'emploi, ligne 25000"),
    (20_000, "", "ligne 20000 vide"),
    (12_345, "22343;X;ABC;Tous;Ensemble;2023T4;7", "colonne Sexe, ligne 12345 : sexe « Tous »"),
    (9_999, "1999;X;ABC;Ensemble;Ensemble;2023T4;7", "colonne Code commune, ligne 9999 : code commune « 1999 »"),
    (7_777, "17775;X;ABC;Ensemble;Ensemble;2023-T5;7", "colonne Trimestre, ligne 7777"),
])
def test_gros_fichier_abime_nomme_la_ligne(tmp_path, numero, texte, attendu):
    chemin = tmp_path / "demandeurs_emploi_communes_T4.csv"
    chemin.write_bytes(_gros_defm({numero: texte}))
    with pytest.raises(FormatInconnu) as exc:
        france_travail.lire(chemin)
    assert attendu in str(exc.value) and "demandeurs_emploi_communes_T4.csv" in str(exc.value)


def test_gros_fichier_latin1_refuse_ou_lu(tmp_path):
    chemin = tmp_path / "demandeurs_emploi_communes_T4.csv"
    chemin.write_bytes(_gros_defm().decode("utf-8-sig").encode("cp1252"))
    df = france_travail.lire(chemin)  # the DEFM reader accepts Windows-1252 (names are not used)
    assert len(df) == 40_000
