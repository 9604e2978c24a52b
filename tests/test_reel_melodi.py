"""Insee Melodi: the reader, the correspondences of melodi.toml and the API client, tested on the
real extracts of shared/data/reel/insee_melodi (values checked by hand in the files)."""

import http.server
import json
import threading
import urllib.parse
import zipfile

import numpy as np
import pandas as pd
import pytest

from diagnostic_territorial.erreurs import DonneeManquante, FormatInconnu
from diagnostic_territorial.sources import catalogue, melodi, melodi_api

from conftest import REEL as REEL_BASE

REEL = REEL_BASE / "insee_melodi"


def valeur(df, code, variable, annee):
    ligne = df[(df["codgeo"] == code) & (df["variable"] == variable) & (df["millesime"] == annee)]
    assert len(ligne) == 1, (code, variable, annee, len(ligne))
    return ligne.iloc[0]


def test_population_comp_arrondissement_de_paris():
    df = melodi.lire(REEL / "insee_population_comp_sample.zip")
    # line « 75101;ARM;_T;_T;Y_GE15;POP;A;A;2023;13722.7168 »
    assert valeur(df, "75101", "C_POP15P", 2023)["valeur"] == pytest.approx(13722.7168)
    # PCS 9 (« autres sans activité ») is the former CS8: « 75101;ARM;_T;9;Y_GE15;POP;A;A;2023;1926.6512 »
    assert valeur(df, "75101", "C_POP15P_CS8", 2023)["valeur"] == pytest.approx(1926.6512)
    assert valeur(df, "75101", "C_POP15P_CS1", 2023)["valeur"] == 0.0  # a real 0, not a secret
    assert not valeur(df, "75101", "C_POP15P_CS1", 2023)["secret"]
    # the arrondissement stays a commune-level row (the indicator layer sums it into Paris)
    assert valeur(df, "75101", "C_POP15P", 2023)["niveau"] == "commune"
    # the parts sum to the total for every territory and census (no cell counted twice)
    large = df[df["millesime"] == 2012].pivot_table(index="codgeo", columns="variable", values="valeur")
    parts = large[[f"C_POP15P_CS{i}" for i in range(1, 9)]].sum(axis=1)
    np.testing.assert_allclose(parts, large["C_POP15P"], rtol=1e-9)
    prov = df.attrs["provenance"]
    assert prov.extra["annees"] == [2012, 2017, 2023]
    assert prov.extra["jeu"] == "DS_RP_POPULATION_COMP"
    assert prov.source == "Insee, RP 2023"
    assert prov.extra["variables_absentes"] == {}


def test_france_hors_mayotte_retenue_et_dite():
    df = melodi.lire(REEL / "insee_famille_sample.zip")
    # « F;FRANCE;_T;_T;NBFAM;A;2023;1.868025316638E7 »: scientific notation, France hors Mayotte (F,
    # not FM) kept as the France row
    assert valeur(df, "FRM", "C_FAM", 2023)["valeur"] == pytest.approx(18680253.16638)
    assert df.attrs["provenance"].extra["france"] == "France hors Mayotte"
    assert set(df.loc[df["niveau"] == "france", "codgeo"]) == {"FRM"}
    # Bordeaux: « 33063;COM;1;_T;NBFAM;A;2023;11338.57897 » (TFN=1, single-parent families)
    assert valeur(df, "33063", "C_FAMMONO", 2023)["valeur"] == pytest.approx(11338.57897)
    assert valeur(df, "243300316", "C_FAM", 2017)["niveau"] == "epci"
    # zonings the report does not use (ZE2020, AAV2020) are left out
    assert not df["codgeo"].isin(["7514"]).any()


def test_variables_absentes_nommees():
    df = melodi.lire(REEL / "insee_famille_sample.zip")
    absentes = df.attrs["provenance"].extra["variables_absentes"]
    # the extract holds NCH=CH2_Y_LT25 only: the families of 3 children are absent, and say which cells
    assert "C_NE24F3" in absentes and "CH3_Y_LT25" in absentes["C_NE24F3"]
    assert "C_NE24F2" not in absentes


def test_logement_et_emploi():
    log = melodi.lire(REEL / "insee_logement_sample.zip")
    # « 75101;ARM;DW_VAC;_T;...;DWELLINGS;...;2023;1695.56298 »
    assert valeur(log, "75101", "P_LOGVAC", 2023)["valeur"] == pytest.approx(1695.56298)
    t = log[log["millesime"] == 2023].pivot_table(index="codgeo", columns="variable", values="valeur")
    np.testing.assert_allclose(t["P_RP"] + t["P_RSECOCC"] + t["P_LOGVAC"], t["P_LOG"], rtol=1e-9)
    emp = melodi.lire(REEL / "insee_emploi_sample.zip")
    # « 75101;ARM;_T;2;Y15T64;_T;POP;A;A;2023;791.30447 » (EMPSTA_ENQ=2: unemployed)
    assert valeur(emp, "75101", "P_CHOM1564", 2023)["valeur"] == pytest.approx(791.30447)
    e = emp[emp["millesime"] == 2023].pivot_table(index="codgeo", columns="variable", values="valeur")
    np.testing.assert_allclose(e["P_ACTOCC1564"] + e["P_CHOM1564"], e["P_ACT1564"], rtol=1e-9)


def test_bpe_generique_codes_typequ():
    df = melodi.lire(REEL / "insee_bpe_sample.zip")
    # « 33063;COM;D;D4;D401;FACILITIES;0;NR;A;2025;38 »: the TYPEQU code is the variable
    assert valeur(df, "33063", "D401", 2025)["valeur"] == 38
    assert valeur(df, "33063", "D250", 2025)["valeur"] == 474
    # domain and sub-domain totals are not variables (never summed with their parts)
    assert not df["variable"].isin(["_T", "A", "D", "G1"]).any()
    assert df.attrs["provenance"].source == "Insee, BPE 2025"


def test_filosofi_api_json_valeur_absente_secrete():
    df = melodi.lire(REEL / "melodi_filosofi_sample.json")
    # « OBS_STATUS O » with an empty measure: masked, never 0
    d1 = valeur(df, "33318", "D1", 2023)
    assert np.isnan(d1["valeur"]) and d1["secret"]
    assert df.attrs["provenance"].extra["jeu"] == "DS_FILOSOFI_CC"


def test_fichier_renomme_reconnu_par_ses_dimensions(tmp_path):
    with zipfile.ZipFile(REEL / "insee_famille_sample.zip") as z:
        contenu = z.read("DS_RP_FAMILLE_COMP_2023_data.csv")
    renomme = tmp_path / "export (3).csv"
    renomme.write_bytes(contenu)
    df = melodi.lire(renomme)
    assert df.attrs["provenance"].extra["jeu"] == "DS_RP_FAMILLE_COMP"
    assert valeur(df, "33063", "C_FAMMONO", 2023)["valeur"] == pytest.approx(11338.57897)


def test_erreurs_nommees(tmp_path):
    with zipfile.ZipFile(REEL / "insee_famille_sample.zip") as z:
        lignes = z.read("DS_RP_FAMILLE_COMP_2023_data.csv").decode().splitlines()
    lignes[5] = lignes[5].rsplit(";", 1)[0] + ";12,5x"
    abime = tmp_path / "DS_RP_FAMILLE_COMP_2023_data.csv"
    abime.write_text("\n".join(lignes) + "\n")
    with pytest.raises(FormatInconnu) as exc:
        melodi.lire(abime)
    assert "OBS_VALUE" in str(exc.value) and "ligne 6" in str(exc.value)
    vide = tmp_path / "DS_RP_LOGEMENT_PRINC_2023_data.csv"
    vide.write_text(lignes[0] + "\n")
    with pytest.raises(FormatInconnu, match="en-tête seul"):
        melodi.lire(vide)


def test_fichier_national_lu_en_flux_et_filtre(tmp_path, monkeypatch):
    """A national file is streamed and cut to the study's communes (and the published levels)."""
    with zipfile.ZipFile(REEL / "insee_famille_sample.zip") as z:
        contenu = z.read("DS_RP_FAMILLE_COMP_2023_data.csv")
    chemin = tmp_path / "DS_RP_FAMILLE_COMP_2023_data.csv"
    chemin.write_bytes(contenu)
    monkeypatch.setattr(melodi, "SEUIL_FLUX", 1)
    df = melodi.lire(chemin, codgeos={"33063"})
    communes = set(df.loc[df["niveau"] == "commune", "codgeo"])
    assert communes == {"33063"}  # 33281 and 75101 left out
    assert {"epci", "departement", "region", "france"} <= set(df["niveau"])
    assert valeur(df, "33063", "C_FAMMONO", 2023)["valeur"] == pytest.approx(11338.57897)


def test_correspondances_declarees_valides():
    jeux = melodi.jeux()
    # every cache source of the recensement has its Melodi datasets, and each variable one cell
    for source in ("rp_evol_struct_pop", "rp_couples_familles_menages", "rp_logement", "rp_emploi_pop_active",
                   "rp_caract_emploi", "rp_diplomes_formation"):
        assert melodi.jeux_de_source(source), source
    assert jeux["DS_RP_FAMILLE_COMP"].correspondance("C_FAMMONO").texte() == "RP_MEASURE=NBFAM TFN=1"
    jeu, c = melodi.definition("rp_logement", "P_RP_VOIT1P")
    assert jeu.id == "DS_RP_LOGEMENT_PRINC" and c.cellules[0].nombre == 2  # C1 + C_GE2
    assert jeux["DS_RP_EDUCATION"] is jeux["DS_RP_EDUCATION_PRINC"]  # alias


# --- API client against a local server answering like Melodi ------------------------------------------


def _observations_api(df: pd.DataFrame) -> list[dict]:
    attributs = [c for c in df.columns if c in melodi.ATTRIBUTS]
    dims = [c for c in df.columns if c not in melodi.ATTRIBUTS and c not in melodi.COLONNES_OBLIGATOIRES]
    sortie = []
    for _, ligne in df.iterrows():
        mesure = {} if ligne["OBS_VALUE"] == "" else {"value": float(ligne["OBS_VALUE"])}
        sortie.append({"dimensions": {"GEO": f"2026-{ligne['GEO_OBJECT']}-{ligne['GEO']}",
                                      "TIME_PERIOD": ligne["TIME_PERIOD"], **{d: ligne[d] for d in dims}},
                       "attributes": {a: ligne[a] for a in attributs},
                       "measures": {"OBS_VALUE_NIVEAU": mesure}})
    return sortie


class _Melodi(http.server.BaseHTTPRequestHandler):
    jeux: dict = {}
    requetes: list = []
    refus_429 = 1

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        params = urllib.parse.parse_qs(url.query)
        type(self).requetes.append((url.path, params))
        if type(self).refus_429 > 0:
            type(self).refus_429 -= 1
            self.send_response(429)
            self.send_header("Retry-After", "7")
            self.end_headers()
            return
        jeu = url.path.rsplit("/", 1)[-1]
        if jeu not in self.jeux:
            self.send_response(500)
            self.end_headers()
            self.wfile.write("Le serveur a rencontré une erreur inattendue.".encode())
            return
        df = self.jeux[jeu]
        geos = {tuple(g.split("-", 1)) for g in params.get("GEO", [])}
        choix = df[[(o, c) in geos for o, c in zip(df["GEO_OBJECT"], df["GEO"])]]
        taille, page = int(params["maxResult"][0]), int(params["page"][0])
        observations = _observations_api(choix.iloc[(page - 1) * taille: page * taille])
        corps = {"identifier": jeu, "observations": observations,
                 "paging": {"first": "...", "count": len(choix)}}
        contenu = json.dumps(corps).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(contenu)


@pytest.fixture
def serveur():
    with zipfile.ZipFile(REEL / "insee_famille_sample.zip") as z:
        donnees = z.read("DS_RP_FAMILLE_COMP_2023_data.csv").decode()
    df = pd.read_csv(__import__("io").StringIO(donnees), sep=";", dtype=str, keep_default_na=False)
    _Melodi.jeux = {"DS_RP_FAMILLE_COMP": df}
    _Melodi.requetes = []
    _Melodi.refus_429 = 1
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Melodi)
    fil = threading.Thread(target=httpd.serve_forever, daemon=True)
    fil.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/melodi"
    httpd.shutdown()


class _Etude:
    def __init__(self, dossier):
        self.dossier_brut = dossier / "data" / "brut"
        self.dossier_cache = dossier / "data" / "cache"
        self.communes = pd.DataFrame({"code": ["33063", "33281"], "nom": ["Bordeaux", "Mérignac"],
                                      "departement": ["33", "33"], "region": ["75", "75"],
                                      "epci": ["243300316", "243300316"]})
        self.departement = ("33", "Gironde")
        self.region = ("75", "Nouvelle-Aquitaine")


def test_api_melodi_limite_pagination_et_meme_lecture(serveur, tmp_path):
    attentes = []
    horloge = iter(range(0, 10_000, 1))
    client = melodi_api.Client(base=serveur, dormir=attentes.append, horloge=lambda: next(horloge))
    etude = _Etude(tmp_path)
    (officiel,) = [f for f in catalogue.fichiers("rp_couples_familles_menages", 2023) if f.melodi == "DS_RP_FAMILLE_COMP"]
    chemin = melodi_api.telecharger_etude(officiel, etude, etude.dossier_brut, client=client)
    assert chemin.name == "DS_RP_FAMILLE_COMP_2023_data.csv"
    # the 429 was retried after its Retry-After (7 s), requests were spaced (≥ 2 s: 30 a minute)
    assert 7.0 in attentes
    assert [code for _, code in client.journal] == [429, 200]
    chemin_requete, params = _Melodi.requetes[-1]
    assert chemin_requete == "/melodi/data/DS_RP_FAMILLE_COMP"
    assert {"COM-33063", "COM-33281", "EPCI-243300316", "DEP-33", "REG-75", "FRANCE-F"} <= set(params["GEO"])
    # the extract reads back with the same values as the bulk file
    lu = melodi.lire(chemin)
    reference = melodi.lire(REEL / "insee_famille_sample.zip")
    assert valeur(lu, "33063", "C_FAMMONO", 2023)["valeur"] == pytest.approx(11338.57897)
    assert valeur(lu, "FRM", "C_FAM", 2012)["valeur"] == valeur(reference, "FRM", "C_FAM", 2012)["valeur"]
    assert "75101" not in set(lu["codgeo"])  # only the study's territories were asked


def test_api_melodi_pages_successives(serveur, tmp_path):
    client = melodi_api.Client(base=serveur, dormir=lambda s: None, pause=0)
    _Melodi.refus_429 = 0
    pages = client.observations("DS_RP_FAMILLE_COMP", ["COM-33063", "DEP-33"], taille_page=10)
    n = sum(len(p["observations"]) for p in pages)
    assert n == 46 and len(pages) == 5  # 2 territories x 23 observations, 10 per page


def test_api_melodi_erreurs_en_francais(serveur, tmp_path):
    client = melodi_api.Client(base=serveur, dormir=lambda s: None, pause=0, essais=2)
    _Melodi.refus_429 = 5
    with pytest.raises(DonneeManquante, match="trop de requêtes"):
        client.observations("DS_RP_FAMILLE_COMP", ["COM-33063"])
    _Melodi.refus_429 = 0
    with pytest.raises(DonneeManquante, match="jeu de données inconnu"):
        client.observations("DS_INEXISTANT", ["COM-33063"])
    hors_ligne = melodi_api.Client(base="http://127.0.0.1:9/melodi", dormir=lambda s: None, pause=0)
    with pytest.raises(DonneeManquante, match="réseau injoignable"):
        hors_ligne.observations("DS_RP_FAMILLE_COMP", ["COM-33063"])
