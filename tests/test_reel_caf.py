"""Cnaf readers checked against the real data.caf.fr files (the real file wins over a fixture
written from documentation), and the taux de couverture fixtures written in the real layout.

Hand checks in ../shared/data/reel/caf/s_ben_com_f.csv (grep -n, line 1 = header):
- line 824: `2024-12;2A004;AJACCIO;1095;598200;4095;784700`
- line 3: `2024-12;2A011;ALTAGENE;0;0;0;0` (a 0 is a published count, not a secret)
- line 1065: `2024-12;75101;PARIS 1ER ARRONDISSEMENT;470;262300;645;110400`; line 121:
  `2023-12;75113;PARIS 13E ARRONDISSEMENT;5000;2564200;9835;1794200` (Paris by arrondissement,
  no 75056)
- lines 455, 704, 1356, 1573, 1875: empty numcomdo (allocataires non localisés), one per December
  2020-2024; no empty value cell; 1874 data rows.

txcouv_pe_* fixtures (tests/fixtures/sources): not copies of a real file (none is available
offline) but written in the layout of the public evidence (/work/notes/fichiers.md, section 1):
field names with the level suffix, codes numcom/numepci/numdep/numregi, `national` and a date as
`annee` in the national file, a `XX` placeholder row in the EPCI file, BOM and CRLF as in the real
s_ben_com_f export. Haute-Garonne codes (communes of more than 10 000 inhabitants only); the five
components (psu, hors psu, préscolarisation, assistants maternels, garde à domicile) sum to the
global rate within 0.1; national 2023 = 19,9 + 3,6 + 3,3 + 31,9 + 2,2 = 60,9 as published.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import caf
from diagnostic_territorial.sources.schema import COLONNES, verifier

from conftest import REEL as REEL_BASE

REEL = REEL_BASE / "caf"
S_BEN_COM_F = REEL / "s_ben_com_f.csv"
FIXTURES = Path(__file__).parent / "fixtures" / "sources"
VARIABLES = {"txcouv", "txcouv_eaje", "txcouv_psu_col", "txcouv_hors_psu_col", "txcouv_am_ind", "txcouv_gad_ind",
             "txcouv_ind", "txcouv_prescol"}


def une(df: pd.DataFrame, codgeo: str, variable: str, millesime: int) -> pd.Series:
    ligne = df[(df["codgeo"] == codgeo) & (df["variable"] == variable) & (df["millesime"] == millesime)]
    assert len(ligne) == 1, (codgeo, variable, millesime, len(ligne))
    return ligne.iloc[0]


def large(df: pd.DataFrame) -> pd.DataFrame:
    return df.pivot_table(index=["codgeo", "millesime"], columns="variable", values="valeur", dropna=False)


# --- s_ben_com_f (real file) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def reel() -> Path:
    if not S_BEN_COM_F.is_file():
        pytest.skip(f"fichier réel absent : {S_BEN_COM_F}")
    return S_BEN_COM_F


@pytest.fixture(scope="module")
def communes(reel) -> pd.DataFrame:
    return caf.lire_communes(reel)


def _lignes(chemin: Path) -> list[bytes]:
    return chemin.read_bytes().splitlines(keepends=True)


def test_s_ben_com_f_valeurs_lues_a_la_main(communes):
    verifier(communes)
    assert list(communes.columns) == COLONNES and set(communes["niveau"]) == {"commune"}
    ajaccio = {v: une(communes, "2A004", v, 2024) for v in ("indfoy_rsa", "indmtt_rsa", "indfoy_ppa", "indmtt_ppa")}
    assert {v: s["valeur"] for v, s in ajaccio.items()} == {
        "indfoy_rsa": 1095, "indmtt_rsa": 598200, "indfoy_ppa": 4095, "indmtt_ppa": 784700}
    assert not any(s["secret"] for s in ajaccio.values())
    assert une(communes, "2A004", "indfoy_rsa", 2020)["valeur"] == 1260  # line 174
    assert set(communes["millesime"]) == {2020, 2021, 2022, 2023, 2024}
    assert set(communes["variable"]) == {"indfoy_rsa", "indmtt_rsa", "indfoy_ppa", "indmtt_ppa"}
    assert len(communes) == (1874 - 5) * 4


def test_s_ben_com_f_lignes_sans_commune_ecartees_et_comptees(communes):
    assert communes.attrs["provenance"].extra["lignes_sans_commune"] == 5
    assert "" not in set(communes["codgeo"]) and communes["codgeo"].str.fullmatch(r"\d[\dAB]\d{3}").all()
    assert communes.attrs["provenance"].fichier == "s_ben_com_f.csv"


def test_s_ben_com_f_zero_reste_zero(communes):
    altagene = communes[(communes["codgeo"] == "2A011") & (communes["millesime"] == 2024)]
    assert len(altagene) == 4 and (altagene["valeur"] == 0.0).all() and not altagene["secret"].any()
    assert not communes["secret"].any()  # no empty cell in the real file
    assert not (communes["secret"] & (communes["valeur"] == 0)).any()


def test_s_ben_com_f_paris_par_arrondissement(communes):
    paris = set(communes.loc[communes["codgeo"].str.startswith("75"), "codgeo"])
    assert paris == {f"751{i:02d}" for i in range(1, 21)} and "75056" not in paris
    assert une(communes, "75101", "indfoy_rsa", 2024)["valeur"] == 470  # line 1065
    assert une(communes, "75101", "indmtt_ppa", 2024)["valeur"] == 110400
    assert une(communes, "75113", "indfoy_rsa", 2023)["valeur"] == 5000  # line 121


def test_s_ben_com_f_doublon_identique_garde_une_fois(reel, communes, tmp_path):
    lignes = _lignes(reel)
    assert lignes[823].startswith(b"2024-12;2A004;AJACCIO;1095;")  # line 824
    copie = tmp_path / "s_ben_com_f.csv"
    copie.write_bytes(b"".join(lignes[:1500] + [lignes[823]] + lignes[1500:]))
    df = caf.lire_communes(copie)
    assert len(df) == len(communes)
    assert une(df, "2A004", "indfoy_rsa", 2024)["valeur"] == 1095
    assert df.attrs["provenance"].extra["lignes_sans_commune"] == 5


def test_s_ben_com_f_doublon_contradictoire_nomme_les_deux_lignes(reel, tmp_path):
    lignes = _lignes(reel)
    autre = lignes[823].replace(b";1095;", b";1100;")
    copie = tmp_path / "s_ben_com_f.csv"
    copie.write_bytes(b"".join(lignes[:1000] + [autre] + lignes[1000:]))  # new line 1001
    with pytest.raises(FormatInconnu, match=r"lignes 824 et 1001 .*2A004") as exc:
        caf.lire_communes(copie)
    assert "s_ben_com_f.csv" in str(exc.value)


def test_s_ben_com_f_code_invalide_nomme_la_ligne_du_fichier(reel, tmp_path):
    # two rows without commune (lines 455 and 704) come before line 824: the line is still 824
    lignes = _lignes(reel)
    lignes[823] = lignes[823].replace(b";2A004;", b";2C004;")
    copie = tmp_path / "s_ben_com_f.csv"
    copie.write_bytes(b"".join(lignes))
    with pytest.raises(FormatInconnu, match=r"colonne numcomdo, ligne 824 : code « 2C004 » invalide"):
        caf.lire_communes(copie)


def test_s_ben_com_f_valeur_invalide_nomme_la_ligne_du_fichier(reel, tmp_path):
    lignes = _lignes(reel)
    lignes[1499] = re.sub(rb";(\d+)\r\n$", b";12x\r\n", lignes[1499])
    copie = tmp_path / "s_ben_com_f.csv"
    copie.write_bytes(b"".join(lignes))
    # three rows without commune (455, 704, 1356) come before line 1500
    with pytest.raises(FormatInconnu, match=r"colonne indmtt_ppa, ligne 1500 "):
        caf.lire_communes(copie)


def test_s_ben_com_f_un_millesime(reel):
    df = caf.lire_communes(reel, 2024)
    assert set(df["millesime"]) == {2024} and une(df, "2A004", "indfoy_rsa", 2024)["valeur"] == 1095


# --- txcouv_pe_* (fixtures in the real layout) -------------------------------------------------


def test_txcouv_communes():
    df = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_com.csv")
    verifier(df)
    assert set(df["niveau"]) == {"commune"} and set(df["millesime"]) == {2022, 2023}
    assert set(df["codgeo"]) == {"31555", "31069", "31149"} and set(df["variable"]) == VARIABLES
    assert une(df, "31555", "txcouv", 2023)["valeur"] == pytest.approx(66.2)
    assert une(df, "31555", "txcouv_am_ind", 2022)["valeur"] == pytest.approx(16.0)
    assert une(df, "31069", "txcouv_eaje", 2023)["valeur"] == pytest.approx(36.2)
    secret = une(df, "31069", "txcouv_gad_ind", 2022)  # empty cell
    assert secret["secret"] and math.isnan(secret["valeur"])
    zero = une(df, "31149", "txcouv_hors_psu_col", 2022)
    assert zero["valeur"] == 0.0 and not zero["secret"]
    prov = df.attrs["provenance"]
    assert prov.extra["jeu"] == "txcouv_pe_com" and prov.extra["niveau"] == "commune"
    assert "lignes_factices" not in prov.extra and prov.millesime == 2023
    assert prov.url.endswith("/txcouv_pe_com/exports/csv?delimiter=%3B")


def test_txcouv_un_millesime():
    df = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_com.csv", 2022)
    assert set(df["millesime"]) == {2022} and len(df) == 3 * 8
    assert une(df, "31149", "txcouv", 2022)["valeur"] == pytest.approx(61.1)
    assert df.attrs["provenance"].millesime == 2022
    vide = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_com.csv", 2019)
    assert vide.empty and list(vide.columns) == COLONNES


@pytest.mark.parametrize("jeu", ["com", "epci", "epci_hist", "dep", "nat"])
def test_txcouv_composantes_somment_au_global(jeu):
    t = large(caf.lire_txcouv_pe(FIXTURES / f"txcouv_pe_{jeu}.csv"))
    complet = t.notna().all(axis=1)
    assert complet.sum() >= 2
    t = t[complet]
    tolerance = 0.1 + 1e-9
    assert ((t["txcouv_psu_col"] + t["txcouv_hors_psu_col"] - t["txcouv_eaje"]).abs() <= tolerance).all()
    assert ((t["txcouv_am_ind"] + t["txcouv_gad_ind"] - t["txcouv_ind"]).abs() <= tolerance).all()
    assert ((t["txcouv_eaje"] + t["txcouv_prescol"] + t["txcouv_ind"] - t["txcouv"]).abs() <= tolerance).all()
    assert t["txcouv"].between(45, 80).all()


def test_txcouv_epci_ligne_factice_ecartee_et_comptee():
    df = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_epci.csv")
    assert set(df["niveau"]) == {"epci"} and set(df["codgeo"]) == {"200068815", "243100518"}
    assert une(df, "200068815", "txcouv", 2023)["valeur"] == pytest.approx(67.6)
    assert une(df, "243100518", "txcouv_psu_col", 2022)["valeur"] == pytest.approx(32.8)
    assert df["valeur"].max() < 100  # the placeholder's 195.8 is not read
    assert df.attrs["provenance"].extra["lignes_factices"] == 1


def test_txcouv_departements():
    df = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_dep.csv")
    assert set(df["niveau"]) == {"departement"} and set(df["codgeo"]) == {"31", "2A"}
    assert une(df, "31", "txcouv", 2023)["valeur"] == pytest.approx(66.5)
    assert une(df, "2A", "txcouv_prescol", 2023)["valeur"] == pytest.approx(0.5)
    assert df.attrs["provenance"].extra["jeu"] == "txcouv_pe_dep"


def test_txcouv_national_annee_en_date_et_libelle_de_la_france():
    df = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_nat.csv")
    assert set(df["niveau"]) == {"france"} and set(df["codgeo"]) == {"FRM"}
    assert set(df["millesime"]) == {2022, 2023}  # annee = 2023-01-01, 2022-01-01
    assert une(df, "FRM", "txcouv", 2023)["valeur"] == pytest.approx(60.9)
    assert une(df, "FRM", "txcouv", 2022)["valeur"] == pytest.approx(59.5)
    prov = df.attrs["provenance"]
    assert prov.extra["france"] == "France entière hors Mayotte" and prov.extra["jeu"] == "txcouv_pe_nat"
    assert prov.url.endswith("/txcouv_pe_nat/exports/csv?delimiter=%3B")


def test_txcouv_national_autre_orthographe_des_champs(tmp_path):
    texte = (FIXTURES / "txcouv_pe_nat.csv").read_text(encoding="utf-8-sig")
    for long, court in (("txcouv_psu_col_nat", "txcouv_psu_nat"), ("txcouv_am_ind_nat", "txcouv_am_nat"),
                        ("txcouv_gad_ind_nat", "txcouv_gad_nat")):
        texte = texte.replace(long, court)
    chemin = tmp_path / "txcouv_pe_nat.csv"
    chemin.write_text(texte.replace("2023-01-01", "2023-01-01T00:00:00+00:00"), encoding="utf-8")
    lu = caf.lire_txcouv_pe(chemin)
    attendu = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_nat.csv")
    pd.testing.assert_frame_equal(lu, attendu)
    deux = tmp_path / "deux.csv"
    deux.write_text("annee;txcouv_psu_nat;txcouv_psu_col_nat;txcouv_nat\n2023;19.9;19.9;60.9\n", encoding="utf-8")
    with pytest.raises(FormatInconnu, match="txcouv_psu_nat et txcouv_psu_col_nat"):
        caf.lire_txcouv_pe(deux)


def test_txcouv_national_sans_colonne_national(tmp_path):
    chemin = tmp_path / "txcouv_pe_nat.csv"
    chemin.write_text("annee;txcouv_eaje_nat;txcouv_nat\n2023-01-01;23.5;60.9\n", encoding="utf-8")
    df = caf.lire_txcouv_pe(chemin)
    assert une(df, "FRM", "txcouv", 2023)["valeur"] == pytest.approx(60.9)
    assert "france" not in df.attrs["provenance"].extra


def test_txcouv_virgule_decimale(tmp_path):
    for jeu in ("com", "nat"):
        texte = (FIXTURES / f"txcouv_pe_{jeu}.csv").read_bytes()
        virgules = re.sub(rb"(;\d+)\.(\d+)(?=;|\r\n)", rb"\1,\2", texte)
        assert virgules.count(b",") > 10
        chemin = tmp_path / f"txcouv_pe_{jeu}.csv"
        chemin.write_bytes(virgules)
        pd.testing.assert_frame_equal(caf.lire_txcouv_pe(chemin), caf.lire_txcouv_pe(FIXTURES / f"txcouv_pe_{jeu}.csv"))


@pytest.mark.parametrize("nom", ["txcouv_pe_epci (1).csv", "export.csv", "TXCOUV_PE_EPCI.CSV"])
def test_txcouv_niveau_lu_dans_les_colonnes(tmp_path, nom):
    chemin = tmp_path / nom
    chemin.write_bytes((FIXTURES / "txcouv_pe_epci.csv").read_bytes())
    df = caf.lire_txcouv_pe(chemin)
    assert set(df["niveau"]) == {"epci"} and une(df, "200068815", "txcouv", 2023)["valeur"] == pytest.approx(67.6)
    assert df.attrs["provenance"].extra["jeu"] == "txcouv_pe_epci"
    assert df.attrs["provenance"].fichier == nom
    assert caf.niveau_txcouv_pe(pd.read_csv(chemin, sep=";", nrows=0).columns) == "epci"


def test_txcouv_nom_qui_annonce_un_autre_niveau(tmp_path):
    chemin = tmp_path / "txcouv_pe_dep.csv"
    chemin.write_bytes((FIXTURES / "txcouv_pe_epci.csv").read_bytes())
    with pytest.raises(FormatInconnu, match=r"txcouv_pe_dep\.csv.*niveau departement.*niveau epci"):
        caf.lire_txcouv_pe(chemin)


def test_txcouv_region_code_numregi(tmp_path):
    chemin = tmp_path / "taux_region.csv"
    chemin.write_text(
        "annee;numregi;nomregi;txcouv_eaje_reg;txcouv_reg\n2023;76;OCCITANIE;30.1;63.4\n2023;1;GUADELOUPE;25.2;\n",
        encoding="utf-8")
    df = caf.lire_txcouv_pe(chemin)
    assert set(df["niveau"]) == {"region"} and set(df["codgeo"]) == {"76", "01"}
    assert une(df, "76", "txcouv", 2023)["valeur"] == pytest.approx(63.4)
    assert une(df, "01", "txcouv", 2023)["secret"]
    assert df.attrs["provenance"].extra["niveau"] == "region"


def test_txcouv_historique_et_courant():
    """`txcouv_pe_epci_hist` (2017-2022) and `txcouv_pe_epci` (2022-2023) both hold 2022, with
    different values (the Cnaf revised it): each file is read as published; `fusionner_txcouv_pe`
    takes 2022 from the current file for every EPCI, never a mix of the two."""
    courant = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_epci.csv")
    historique = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_epci_hist.csv")
    assert set(historique["millesime"]) == {2019, 2021, 2022} and set(courant["millesime"]) == {2022, 2023}
    assert historique.attrs["provenance"].extra["jeu"] == "txcouv_pe_epci_hist"
    assert historique.attrs["provenance"].url.endswith("/txcouv_pe_epci_hist/exports/csv?delimiter=%3B")
    assert une(historique, "200068815", "txcouv", 2022)["valeur"] == pytest.approx(67.5)
    assert une(courant, "200068815", "txcouv", 2022)["valeur"] == pytest.approx(67.9)

    tout = caf.fusionner_txcouv_pe(courant, historique)
    verifier(tout)
    assert set(tout["millesime"]) == {2019, 2021, 2022, 2023}
    assert not tout.duplicated(["codgeo", "variable", "millesime"]).any()
    assert une(tout, "200068815", "txcouv", 2022)["valeur"] == pytest.approx(67.9)
    assert une(tout, "243100518", "txcouv", 2022)["valeur"] == pytest.approx(66.7)
    assert une(tout, "200068815", "txcouv", 2019)["valeur"] == pytest.approx(67.0)
    extra = tout.attrs["provenance"].extra
    assert extra["historique"] == "txcouv_pe_epci_hist.csv" and extra["jeu"] == "txcouv_pe_epci"
    assert extra["millesimes_historique"] == [2019, 2021] and extra["millesimes_remplaces"] == [2022]

    departements = caf.lire_txcouv_pe(FIXTURES / "txcouv_pe_dep.csv")
    with pytest.raises(FormatInconnu, match="txcouv_pe_dep.csv.*niveau departement.*niveau epci"):
        caf.fusionner_txcouv_pe(courant, departements)


def _epci(tmp_path, remplacer: tuple[bytes, bytes] | None = None, ajout: bytes = b"") -> Path:
    texte = (FIXTURES / "txcouv_pe_epci.csv").read_bytes()
    if remplacer:
        assert remplacer[0] in texte
        texte = texte.replace(*remplacer)
    chemin = tmp_path / "txcouv_pe_epci.csv"
    chemin.write_bytes(texte + ajout)
    return chemin


def test_txcouv_erreurs_nomment_colonne_et_ligne_du_fichier(tmp_path):
    # the placeholder (line 4) is left out before the checks: lines are still the file's
    with pytest.raises(FormatInconnu, match=r"txcouv_pe_epci\.csv.*colonne numepci, ligne 5 : code « 20006881 »"):
        caf.lire_txcouv_pe(_epci(tmp_path, (b"2022;200068815;", b"2022;20006881;")))
    with pytest.raises(FormatInconnu, match=r"colonne txcouv_epci, ligne 6 : valeur non numérique « 66\.7x »"):
        caf.lire_txcouv_pe(_epci(tmp_path, (b";66.7\r\n", b";66.7x\r\n")))
    with pytest.raises(FormatInconnu, match=r"colonne annee, ligne 5 : année « 22 » invalide"):
        caf.lire_txcouv_pe(_epci(tmp_path, (b"2022;200068815;", b"22;200068815;")))
    conflit = b"2023;243100518;Toulouse M\xc3\xa9tropole;31;Haute-Garonne;33.5;5.4;38.9;2.4;22.8;2.9;25.7;67.1\r\n"
    with pytest.raises(FormatInconnu, match=r"lignes 3 et 7 : numepci « 243100518 »"):
        caf.lire_txcouv_pe(_epci(tmp_path, ajout=conflit))
    identique = conflit.replace(b";67.1", b";67.0")
    assert len(caf.lire_txcouv_pe(_epci(tmp_path, ajout=identique))) == 32


def test_txcouv_code_factice_avec_un_vrai_nom_refuse(tmp_path):
    with pytest.raises(FormatInconnu, match=r"colonne numepci, ligne 4 : code « XX » invalide"):
        caf.lire_txcouv_pe(_epci(tmp_path, (b"2023;XX;XX;", b"2023;XX;CC Inconnue;")))


def test_txcouv_ancienne_mise_en_page_refusee(tmp_path):
    chemin = tmp_path / "txcouv_pe_com.csv"
    chemin.write_text("annee;numcom;nomcom;nbenf_moins3;txcouv_assmat;txcouv\n2021;31135;Cazères;141;38.3;64.5\n",
                      encoding="utf-8")
    with pytest.raises(FormatInconnu, match=r"colonne txcouv_assmat .*sans suffixe de niveau"):
        caf.lire_txcouv_pe(chemin)
    sans_annee = tmp_path / "txcouv_pe_dep.csv"
    sans_annee.write_text("Date référence;numdep;txcouv_dep\n2023;31;66.5\n", encoding="utf-8")
    with pytest.raises(FormatInconnu, match="colonne manquante : annee"):
        caf.lire_txcouv_pe(sans_annee)
    melange = tmp_path / "melange.csv"
    melange.write_text("annee;numdep;numepci;txcouv_dep;txcouv_epci\n2023;31;200068815;66.5;67.6\n", encoding="utf-8")
    with pytest.raises(FormatInconnu, match="plusieurs niveaux"):
        caf.lire_txcouv_pe(melange)
    sans_code = tmp_path / "sans_code.csv"
    sans_code.write_text("annee;nomepci;txcouv_epci\n2023;CC;67.6\n", encoding="utf-8")
    with pytest.raises(FormatInconnu, match="colonne manquante : numepci"):
        caf.lire_txcouv_pe(sans_code)
