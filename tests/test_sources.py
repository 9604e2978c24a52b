"""Readers of the public sources, checked against values read by hand in the real INSEE files.

Fixtures in tests/fixtures/sources/ are lines copied byte for byte from the published files
(header, BOM, CRLF, decimal comma kept); the RP fixtures are hand-written in the published layout.
"""

from __future__ import annotations

import math
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostic_territorial.erreurs import FormatInconnu
from diagnostic_territorial.sources import cache, filosofi, population, rp
from diagnostic_territorial.sources.schema import COLONNES, MARQUES_SECRET, sha256_fichier, verifier

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def valeur(df: pd.DataFrame, codgeo: str, variable: str, millesime: int | None = None) -> pd.Series:
    ligne = df[(df["codgeo"] == codgeo) & (df["variable"] == variable)]
    if millesime is not None:
        ligne = ligne[ligne["millesime"] == millesime]
    assert len(ligne) == 1, (codgeo, variable, millesime, len(ligne))
    return ligne.iloc[0]


# --- Filosofi ----------------------------------------------------------------------------------


def test_filosofi_2019_communes_valeurs_reelles():
    df = filosofi.lire(FIXTURES / "FILO2019_DISP_COM.csv")
    assert list(df.columns) == COLONNES
    assert set(df["niveau"]) == {"commune"}
    assert set(df["millesime"]) == {2019}
    # Cazères (31135), Cœur de Garonne: fully published line
    assert valeur(df, "31135", "Q2")["valeur"] == 19060
    assert valeur(df, "31135", "D1")["valeur"] == 10700
    assert valeur(df, "31135", "S80S20")["valeur"] == pytest.approx(3.6)
    assert valeur(df, "31135", "NBUC")["valeur"] == pytest.approx(3367.0)
    assert valeur(df, "31135", "PIMPOT")["valeur"] == pytest.approx(-13.8)
    assert valeur(df, "31135", "Q3_Q1")["valeur"] == 10780
    # Beaufort (31051): only the median is published, the rest is secret, never 0
    assert valeur(df, "31051", "Q2")["valeur"] == 23560
    assert valeur(df, "31051", "NBMEN")["valeur"] == 159
    q1 = valeur(df, "31051", "Q1")
    assert bool(q1["secret"]) and math.isnan(q1["valeur"])
    d9 = valeur(df, "31051", "D9")
    assert bool(d9["secret"]) and math.isnan(d9["valeur"])
    assert not (df["secret"] & (df["valeur"] == 0)).any()
    # codes stay strings
    assert valeur(df, "2A004", "Q2")["valeur"] == 21900
    assert valeur(df, "01001", "Q2")["valeur"] == 23970


def test_filosofi_noms_de_variables_sans_millesime():
    df = filosofi.lire(FIXTURES / "FILO2019_DISP_COM.csv")
    variables = set(df["variable"])
    assert {"Q2", "NBMEN", "D1", "S80S20", "TP60", "Q3_Q1", "RD"} - {"TP60"} <= variables
    assert not any(v.endswith("19") for v in variables)


@pytest.mark.parametrize(
    "fichier, codgeo, niveau, mediane",
    [
        ("FILO2019_DISP_EPCI.csv", "200068815", "epci", 21800),
        ("FILO2019_DISP_DEP.csv", "31", "departement", 23380),
        ("FILO2019_DISP_REG.csv", "76", "region", 20980),
        ("FILO2019_DISP_METROPOLE.csv", "FRM", "france", 21930),
        ("FILO2016_DISP_EPCI.csv", "200068815", "epci", 20682),
        ("FILO2016_DISP_DEP.csv", "31", "departement", 22223),
        ("FILO2016_DISP_METROPOLE.csv", "FRM", "france", 20809),
        ("FILO2016_DISP_COM.csv", "31135", "commune", 18245),
    ],
)
def test_filosofi_medianes_des_niveaux_superieurs(fichier, codgeo, niveau, mediane):
    df = filosofi.lire(FIXTURES / fichier)
    ligne = valeur(df, codgeo, "Q2")
    assert ligne["niveau"] == niveau
    assert ligne["valeur"] == mediane
    assert not ligne["secret"]
    assert ligne["millesime"] == int(fichier[4:8])


def test_filosofi_epci_et_france_autres_variables():
    epci = filosofi.lire(FIXTURES / "FILO2019_DISP_EPCI.csv")
    assert valeur(epci, "200068815", "NBMEN")["valeur"] == 14364
    assert valeur(epci, "200068815", "S80S20")["valeur"] == pytest.approx(3.4)
    france = filosofi.lire(FIXTURES / "FILO2019_DISP_METROPOLE.csv")
    assert set(france["codgeo"]) == {"FRM"}
    assert valeur(france, "FRM", "PIMPOT")["valeur"] == pytest.approx(-17.7)
    assert valeur(france, "FRM", "NBPERS")["valeur"] == 62973019


def test_filosofi_provenance():
    chemin = FIXTURES / "FILO2019_DISP_COM.csv"
    prov = filosofi.lire(chemin).attrs["provenance"]
    assert prov.source == "Insee, Filosofi 2019"
    assert prov.mention() == "Source : Insee, Filosofi 2019"
    assert prov.millesime == 2019
    assert prov.fichier == "FILO2019_DISP_COM.csv"
    assert prov.url == (
        "https://www.insee.fr/fr/statistiques/fichier/6036907/indic-struct-distrib-revenu-2019-COMMUNES_csv.zip"
    )
    assert prov.sha256 == sha256_fichier(chemin)
    assert not prov.simule


def test_filosofi_dans_l_archive_officielle(tmp_path):
    archive = tmp_path / "indic-struct-distrib-revenu-2019-SUPRA_csv.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for niveau in ("EPCI", "DEP"):
            z.write(FIXTURES / f"FILO2019_DISP_{niveau}.csv", f"FILO2019_DISP_{niveau}.csv")
    df = filosofi.lire(archive, membre="FILO2019_DISP_DEP.csv")
    assert valeur(df, "31", "Q2")["valeur"] == 23380
    with pytest.raises(FormatInconnu, match="SUPRA_csv.zip"):
        filosofi.lire(archive)  # two data files: the member must be named


def test_filosofi_classeur_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "ENSEMBLE"
    for titre in ("Structure et distribution des revenus 2019", "Source : Insee-DGFiP-Cnaf-Cnav-CCMSA", "", ""):
        ws.append([titre])
    ws.append(["Code géographique", "Libellé", "Nombre de ménages", "Médiane", "1er décile", "Rapport S80/S20"])
    ws.append(["CODGEO", "LIBGEO", "NBMEN19", "Q219", "D119", "S80S2019"])
    ws.append(["31051", "Beaufort", 159, 23560, "s", "s"])
    ws.append(["31135", "Cazères", 2256, 19060, 10700, 3.6])
    chemin = tmp_path / "FILO2019_DISP_COM.xlsx"
    wb.save(chemin)
    df = filosofi.lire(chemin)
    assert valeur(df, "31051", "Q2")["valeur"] == 23560
    assert bool(valeur(df, "31051", "D1")["secret"]) and math.isnan(valeur(df, "31051", "D1")["valeur"])
    assert valeur(df, "31135", "S80S20")["valeur"] == pytest.approx(3.6)


# --- Populations légales -----------------------------------------------------------------------


def test_populations_legales_2019():
    df = population.lire(FIXTURES / "donnees_communes.csv", 2019)
    assert valeur(df, "31135", "PMUN")["valeur"] == 4799
    assert valeur(df, "31135", "PCAP")["valeur"] == 72
    assert valeur(df, "31135", "PTOT")["valeur"] == 4871
    assert valeur(df, "31204", "PMUN")["valeur"] == 82
    assert valeur(df, "2A004", "PMUN")["valeur"] == 71361
    assert valeur(df, "97101", "PTOT")["valeur"] == 54027
    assert set(df["millesime"]) == {2019} and not df["secret"].any()
    prov = df.attrs["provenance"]
    assert prov.url == "https://www.insee.fr/fr/statistiques/fichier/6011070/ensemble.zip"
    assert prov.mention() == "Source : Insee, populations légales 2019"


def test_populations_legales_mise_en_page_recente(tmp_path):
    texte = (
        "CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT\n"
        "76;Occitanie;31;3;10;135;Cazères;4799;72;4871\n"
        "94;Corse;2A;1;01;004;Ajaccio;71361;867;72228\n"
        "01;Guadeloupe;971;1;01;101;Les Abymes;53514;513;54027\n"
    )
    chemin = tmp_path / "donnees_communes.csv"
    chemin.write_text(texte, encoding="utf-8")
    df = population.lire(chemin, 2019)
    assert sorted(df["codgeo"].unique()) == ["2A004", "31135", "97101"]
    assert valeur(df, "97101", "PMUN")["valeur"] == 53514


# --- RP bases communales -----------------------------------------------------------------------


@pytest.mark.parametrize("fichier", ["base-cc-evol-struct-pop-2019_csv.zip", "base-cc-evol-struct-pop-2019.xlsx"])
def test_rp_evol_struct_pop(fichier):
    df = rp.lire(FIXTURES / fichier, 2019)
    assert list(df.columns) == COLONNES
    assert valeur(df, "31135", "P_POP", 2019)["valeur"] == 4799
    assert valeur(df, "31135", "P_POP0014", 2019)["valeur"] == pytest.approx(812.3047)
    assert valeur(df, "31135", "C_POP15P_CS3", 2019)["valeur"] == pytest.approx(210.5)
    assert valeur(df, "31135", "P_POP", 2013)["valeur"] == 4385
    assert valeur(df, "31135", "P_POP0014", 2013)["valeur"] == pytest.approx(760.9876)
    assert valeur(df, "31135", "P_POP75P", 2008)["valeur"] == pytest.approx(512.75)
    assert valeur(df, "2A004", "P_POP", 2019)["valeur"] == 71361
    assert valeur(df, "97101", "C_POP15P", 2019)["valeur"] == pytest.approx(43710.8)
    assert set(df["millesime"]) == {2019, 2013, 2008}
    assert not df["secret"].any()
    prov = df.attrs["provenance"]
    assert prov.source == "Insee, RP 2019"
    assert prov.url.endswith("/6456153/base-ccc-evol-struct-pop-2019.zip")  # still « base-ccc » in 2019


def test_rp_classeur_lit_aussi_les_arrondissements():
    df = rp.lire(FIXTURES / "base-cc-evol-struct-pop-2019.xlsx", 2019)
    assert valeur(df, "75101", "P_POP", 2019)["valeur"] == 1000.5
    assert "LIBGEO" not in set(df["variable"]) and "REG" not in set(df["variable"])


def test_rp_csv_seul_et_millesime_verifie(tmp_path):
    with zipfile.ZipFile(FIXTURES / "base-cc-evol-struct-pop-2019_csv.zip") as z:
        (tmp_path / "base-cc-evol-struct-pop-2019.CSV").write_bytes(z.read("base-cc-evol-struct-pop-2019.CSV"))
    df = rp.lire(tmp_path / "base-cc-evol-struct-pop-2019.CSV")
    assert valeur(df, "31135", "P_POP", 2019)["valeur"] == 4799
    with pytest.raises(FormatInconnu, match="recensement 2019, 2020 attendu"):
        rp.lire(tmp_path / "base-cc-evol-struct-pop-2019.CSV", 2020)


# --- Cache -------------------------------------------------------------------------------------


def test_cache_aller_retour(tmp_path):
    df = filosofi.lire(FIXTURES / "FILO2019_DISP_COM.csv")
    chemin = cache.ecrire(df, tmp_path / "cache" / "filosofi_2019.parquet")
    relu = cache.lire(chemin)
    assert relu.attrs["provenance"] == df.attrs["provenance"]
    trie = df.sort_values(["codgeo", "variable"]).reset_index(drop=True)
    relu = relu.sort_values(["codgeo", "variable"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(relu[COLONNES], trie[COLONNES], check_dtype=False)
    assert relu["secret"].dtype == bool and relu["codgeo"].iloc[0] == "01001"

    filtre = cache.lire(chemin, codgeos=["31051"])
    assert set(filtre["codgeo"]) == {"31051"}
    assert bool(valeur(filtre, "31051", "Q1")["secret"]) and math.isnan(valeur(filtre, "31051", "Q1")["valeur"])
    assert filtre.attrs["provenance"].source == "Insee, Filosofi 2019"
    assert not list(chemin.parent.glob(".*tmp"))


# --- Malformed files ---------------------------------------------------------------------------


def _copie(tmp_path, nom, transformer) -> Path:
    chemin = tmp_path / nom
    chemin.write_bytes(transformer((FIXTURES / nom).read_bytes()))
    return chemin


def test_ligne_tronquee(tmp_path):
    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", lambda b: b[: b.index(b"31135;") + 40])
    with pytest.raises(FormatInconnu) as exc:
        filosofi.lire(chemin)
    assert "FILO2019_DISP_COM.csv" in str(exc.value) and "ligne 5" in str(exc.value)


def test_colonne_manquante(tmp_path):
    def sans_mediane(octets):
        lignes = octets.decode("utf-8-sig").split("\r\n")
        lignes = [";".join(c for i, c in enumerate(l.split(";")) if i != 6) for l in lignes]
        return ("\ufeff" + "\r\n".join(lignes)).encode("utf-8")

    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", sans_mediane)
    with pytest.raises(FormatInconnu, match="Q219") as exc:
        filosofi.lire(chemin)
    assert "FILO2019_DISP_COM.csv" in str(exc.value)
    chemin = _copie(tmp_path, "donnees_communes.csv", lambda b: b.replace(b";PTOT", b";TOTAL"))
    with pytest.raises(FormatInconnu, match="PTOT"):
        population.lire(chemin, 2019)


def test_encodage_latin1(tmp_path):
    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", lambda b: b.decode("utf-8-sig").encode("latin-1"))
    with pytest.raises(FormatInconnu, match="encodage") as exc:
        filosofi.lire(chemin)
    assert "FILO2019_DISP_COM.csv" in str(exc.value)


def test_mauvais_separateur(tmp_path):
    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", lambda b: b.replace(b",", b".").replace(b";", b","))
    with pytest.raises(FormatInconnu, match="séparateur"):
        filosofi.lire(chemin)
    chemin = _copie(tmp_path, "donnees_communes.csv", lambda b: b.replace(b";", b"\t"))
    with pytest.raises(FormatInconnu, match="donnees_communes.csv"):
        population.lire(chemin, 2019)


def test_valeur_non_numerique_et_code_abime(tmp_path):
    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", lambda b: b.replace(b";19060;", b";19O60;"))
    with pytest.raises(FormatInconnu, match=r"colonne Q219, ligne 5"):
        filosofi.lire(chemin)
    chemin = _copie(tmp_path, "FILO2019_DISP_COM.csv", lambda b: b.replace(b"\n01001;", b"\n1001;"))
    with pytest.raises(FormatInconnu, match=r"CODGEO, ligne 2 : code « 1001 »"):
        filosofi.lire(chemin)
    chemin = _copie(tmp_path, "donnees_communes.csv", lambda b: b.replace(b";4799;", b";;"))
    with pytest.raises(FormatInconnu, match="PMUN, ligne 4"):
        population.lire(chemin, 2019)


def test_archive_corrompue(tmp_path):
    chemin = tmp_path / "base-cc-evol-struct-pop-2019_csv.zip"
    chemin.write_bytes((FIXTURES / chemin.name).read_bytes()[:200])
    with pytest.raises(FormatInconnu, match="base-cc-evol-struct-pop-2019_csv.zip"):
        rp.lire(chemin, 2019)


# --- Property tests: a clear FormatInconnu or a correct parse, never another exception ---------

LECTEURS = {
    "FILO2019_DISP_COM.csv": filosofi.lire,
    "donnees_communes.csv": lambda p: population.lire(p, 2019),
    "base-cc-evol-struct-pop-2019.CSV": lambda p: rp.lire(p, 2019),
    "base-cc-evol-struct-pop-2019.xlsx": lambda p: rp.lire(p, 2019),
}
PROPRIETES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _essayer(nom: str, octets: bytes):
    with tempfile.TemporaryDirectory() as dossier:
        chemin = Path(dossier) / nom
        chemin.write_bytes(octets)
        try:
            return verifier(LECTEURS[nom](chemin))
        except FormatInconnu as exc:
            assert nom in str(exc)
            return None


@PROPRIETES
@given(nom=st.sampled_from(sorted(LECTEURS)), octets=st.binary(max_size=400))
def test_octets_aleatoires(nom, octets):
    _essayer(nom, octets)


@PROPRIETES
@given(
    nom=st.sampled_from(["FILO2019_DISP_COM.csv", "donnees_communes.csv"]),
    position=st.integers(min_value=0, max_value=150),
    morceau=st.binary(min_size=1, max_size=12),
)
def test_fichier_reel_abime(nom, position, morceau):
    octets = (FIXTURES / nom).read_bytes()
    _essayer(nom, octets[:position] + morceau + octets[position:])


CELLULE = st.one_of(
    st.just(""),
    st.integers(min_value=-10**6, max_value=10**7).map(str),
    st.decimals(min_value=-1000, max_value=10**6, places=2, allow_nan=False).map(lambda d: str(d).replace(".", ",")),
    st.text(alphabet="0123456789,.;s-eE ", max_size=6),
)


@PROPRIETES
@given(lignes=st.lists(st.tuples(st.integers(1000, 95999), CELLULE, CELLULE), min_size=1, max_size=8, unique_by=lambda t: t[0]))
def test_filosofi_lignes_aleatoires(lignes):
    entete = "\ufeffCODGEO;LIBGEO;NBMEN19;Q219\r\n"
    corps = "".join(f"{code:05d};Commune;{a};{b}\r\n" for code, a, b in lignes)
    df = _essayer("FILO2019_DISP_COM.csv", (entete + corps).encode("utf-8"))
    if df is None:
        return
    for code, a, b in lignes:
        for variable, cellule in (("NBMEN", a), ("Q2", b)):
            ligne = valeur(df, f"{code:05d}", variable)
            if cellule.strip() == "" or cellule.strip().lower() in MARQUES_SECRET:
                assert ligne["secret"] and math.isnan(ligne["valeur"])
            else:
                assert not ligne["secret"]
                assert ligne["valeur"] == pytest.approx(float(cellule.strip().replace(",", ".")))


@PROPRIETES
@given(valeurs=st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=6))
def test_rp_valeurs_aleatoires(valeurs):
    texte = "CODGEO;P19_POP;P13_POP\n" + "".join(f"{31001 + i};{v!r};{v / 2!r}\n" for i, v in enumerate(valeurs))
    df = _essayer("base-cc-evol-struct-pop-2019.CSV", texte.encode())
    assert df is not None
    for i, v in enumerate(valeurs):
        assert valeur(df, str(31001 + i), "P_POP", 2019)["valeur"] == v
        assert valeur(df, str(31001 + i), "P_POP", 2013)["valeur"] == v / 2
    assert np.isfinite(df["valeur"]).all()
