"""The indicators a Caf and a CCAS expect (issue 16): each reader on the real file when there is one
(a figure checked by hand), otherwise on a small file written in the published layout; each
indicator computed from known values; an indicator without its data says why, never 0."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from diagnostic_territorial.configuration.etude import Etude
from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.sources import bpe, caf, cache, filosofi, melodi, reconnaissance
from diagnostic_territorial.sources.schema import Provenance

REEL = Path("/work/shared/data/reel")
if not REEL.exists():  # CI: the copy of shared/ beside the clone
    REEL = Path(__file__).resolve().parents[2] / "shared" / "data" / "reel"
IRIS_2020 = REEL / "caf" / "data_CAF_2020_IRIS.csv"


# --- Readers ----------------------------------------------------------------------------------


@pytest.mark.skipif(not IRIS_2020.exists(), reason="extrait réel absent")
def test_aah_par_iris_fichier_reel_somme_des_iris_de_la_commune():
    """data_CAF_2020_IRIS.csv (real): Ambérieu-en-Bugey (01004) has four IRIS, none masked, with
    36, 109, 72 and 69 allocataires of the AAH (AAAH), 501 + 1 109 + 1 015 + 907 allocataires (A):
    286 and 3 532 read by hand in the file. Toulouse has masked IRIS (NOTE != 0): its AAH is secret,
    never a partial sum."""
    iris = caf.lire_iris(IRIS_2020)
    communes = caf.agreger_communes(iris)

    def valeur(code, variable):
        ligne = communes[(communes["codgeo"] == code) & (communes["variable"] == variable)].iloc[0]
        return ligne["valeur"], bool(ligne["secret"])

    assert valeur("01004", "AAAH") == (286.0, False)
    assert valeur("01004", "A") == (3532.0, False)
    toulouse, secret = valeur("31555", "AAAH")
    assert math.isnan(toulouse) and secret


ENTETE_SBEN_DEP = ("dtreffre;numdep;nomdep;numregi;nomregi;indfoy_ndur;indnbp_ndur;indfoy_aah;indben_aah;"
                   "indnbp_aah;indmtt_aah;indfoy_aeeh;indben_aeeh;indnbp_aeeh;indmtt_aeeh")


def test_s_ben_dep_mensuel_garde_decembre_et_lit_aah_aeeh(tmp_path):
    """s_ben_dep (data.caf.fr, départements, every month since 2016; fields as in a real export):
    only Decembers are kept, like the communes' file; indben_aeeh (published as text) is read."""
    chemin = tmp_path / "s_ben_dep.csv"
    chemin.write_text(
        "\ufeff" + ENTETE_SBEN_DEP + "\r\n"
        "2021-07;974;LA REUNION;04;LA REUNION;284402;665973;21227;21580;31527;17231231;7842;8582;31799;2399517\r\n"
        "2021-12;974;LA REUNION;04;LA REUNION;285000;666000;21300;21650;31600;17300000;7900;8650;32000;2410000\r\n"
        "2021-12;31;HAUTE GARONNE;76;OCCITANIE;330000;700000;20100;20400;27000;16000000;5200;5700;21000;1500000\r\n",
        encoding="utf-8")
    t = caf.lire_communes(chemin)
    assert set(t["niveau"]) == {"departement"} and set(t["millesime"]) == {2021}
    lignes = t.set_index(["codgeo", "variable"])["valeur"]
    assert lignes[("974", "indfoy_aah")] == 21300 and lignes[("974", "indben_aeeh")] == 8650
    assert lignes[("31", "indfoy_aeeh")] == 5200
    extra = t.attrs["provenance"].extra
    assert extra["jeu"] == "s_ben_dep" and extra["mois_ecartes"] == 1


def test_s_ben_epci_f_reconnu_et_ligne_en_double_la_plus_complete(tmp_path):
    """s_ben_epci_f: recognised by its content as the same source as s_ben_com_f (a complement that
    never decides the millésime); a territory written twice for one date keeps its fullest row."""
    chemin = tmp_path / "export (2).csv"
    chemin.write_text(
        "dtreffre;numepci;nomepci;indfoy_ndur;indfoy_aah;indfoy_aeeh\n"
        "2024-12;200068815;CC COEUR DE GARONNE;6010;255;70\n"
        "2024-12;200068815;CC COEUR DE GARONNE;1;0;0\n"
        "2024-12;XX;XX;5;0;0\n", encoding="utf-8")
    r = reconnaissance.reconnaitre(chemin)[0]
    assert (r.disposition, r.source, r.detail) == ("caf_communes", "caf_communes", "epci")
    t = caf.lire_communes(chemin)
    aah = t[t["variable"] == "indfoy_aah"]
    assert list(aah["codgeo"]) == ["200068815"] and list(aah["valeur"]) == [255.0]
    assert t.attrs["provenance"].extra["doublons_ecartes"] == 1


def test_filosofi_pauvres_taux_de_pauvrete(tmp_path):
    """FILOaaaa_DISP_PAUVRES_COM (published beside FILOaaaa_DISP_COM: `;`, BOM, decimal comma,
    empty cell = secret): TP60aa becomes TP60, the variable of taux_pauvrete."""
    chemin = tmp_path / "FILO2021_DISP_PAUVRES_COM.csv"
    chemin.write_bytes("\ufeffCODGEO;LIBGEO;TP6021;TP60AGE121;TP60TOL121\n31135;Cazères;17,5;25,1;12,0\n"
                       "31454;Rieumes;;;\n".encode("utf-8"))
    r = reconnaissance.reconnaitre(chemin)[0]
    assert (r.source, r.detail, r.millesime_nom) == ("filosofi", "PAUVRES_COM", 2021)
    t = filosofi.lire(chemin).set_index(["codgeo", "variable"])
    assert t.loc[("31135", "TP60"), "valeur"] == 17.5 and t.loc[("31135", "TP60AGE1"), "valeur"] == 25.1
    assert math.isnan(t.loc[("31454", "TP60"), "valeur"]) and bool(t.loc[("31454", "TP60"), "secret"])


SERIE_HISTORIQUE = """GEO;GEO_OBJECT;OCS;RP_MEASURE;FREQ;OBS_STATUS;TIME_PERIOD;OBS_VALUE
31135;COM;_T;POP;A;A;2012;4362
31135;COM;_T;POP;A;A;2017;4541
31135;COM;_T;POP;A;A;2023;4799
31135;COM;_T;BRTH;A;A;2017;250
31135;COM;_T;DEATH;A;A;2017;270
31135;COM;_T;BRTH;A;A;2023;290
31135;COM;_T;DEATH;A;A;2023;310
31135;COM;_T;SUP;A;A;2023;19.27
31454;COM;_T;POP;A;A;2017;3412
31454;COM;_T;POP;A;A;2023;3630
31454;COM;_T;BRTH;A;A;2023;200
31454;COM;_T;DEATH;A;A;2023;150
31454;COM;_T;SUP;A;A;2023;27.5
"""


def test_serie_historique_population_de_debut_naissances_deces_superficie(tmp_path):
    """DS_RP_SERIE_HISTORIQUE (Melodi long layout): births and deaths between two censuses under the
    later year; P_POP_DEBUT of a census is the population of the census before it in the file (none
    for the first one)."""
    chemin = tmp_path / "DS_RP_SERIE_HISTORIQUE_2023_data.csv"
    chemin.write_text(SERIE_HISTORIQUE, encoding="utf-8")
    t = melodi.lire(chemin)
    v = t.set_index(["codgeo", "variable", "millesime"])["valeur"]
    assert v[("31135", "P_POP_DEBUT", 2023)] == 4541 and v[("31135", "P_POP_DEBUT", 2017)] == 4362
    assert ("31135", "P_POP_DEBUT", 2012) not in v.index
    assert v[("31135", "NAIS", 2023)] == 290 and v[("31135", "DECES", 2023)] == 310
    assert v[("31135", "SUPERF", 2023)] == pytest.approx(19.27)
    assert t.attrs["provenance"].extra["jeu"] == "DS_RP_SERIE_HISTORIQUE"


# --- Indicators on known values ---------------------------------------------------------------


def _cache(racine: Path, source: str, millesime: int, lignes: list[tuple]) -> None:
    df = pd.DataFrame(lignes, columns=["codgeo", "niveau", "variable", "millesime", "valeur", "secret"])
    df = df.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64",
                    "secret": "bool"})
    df.attrs["provenance"] = Provenance(source=f"Source test {source}", libelle=source, millesime=millesime)
    cache.ecrire(df, racine / "data" / "cache" / f"{source}_{millesime}.parquet")


@pytest.fixture
def etude(tmp_path):
    """Two communes of the CC Cœur de Garonne studied as the EPCI (its published rows are its
    values), with the caches of the new indicators' sources."""
    sh = melodi.lire(_ecrire(tmp_path / "DS_RP_SERIE_HISTORIQUE_2023_data.csv", SERIE_HISTORIQUE))
    lignes = [tuple(r) for r in sh[["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]].itertuples(
        index=False)]
    lignes += [("31135", "commune", "P_POP", 2023, 4799, False), ("31454", "commune", "P_POP", 2023, 3630, False)]
    _cache(tmp_path, "rp_evol_struct_pop", 2023, lignes)
    _cache(tmp_path, "rp_emploi_pop_active", 2023, [
        ("31135", "commune", "C_EMPLT", 2023, 2000, False), ("31135", "commune", "C_EMPLT_AGRI", 2023, 50, False),
        ("31454", "commune", "C_EMPLT", 2023, 800, False), ("31454", "commune", "C_EMPLT_AGRI", 2023, 90, False)])
    _cache(tmp_path, "rp_logement", 2023, [
        ("31135", "commune", "C_RP_PEUPLEMENT", 2023, 2100, False), ("31135", "commune", "C_RP_SUROCC", 2023, 84, False),
        ("31454", "commune", "C_RP_PEUPLEMENT", 2023, 1500, False), ("31454", "commune", "C_RP_SUROCC", 2023, 36, False)])
    _cache(tmp_path, "caf_communes", 2024, [
        ("31135", "commune", "indfoy_ndur", 2024, 1200, False), ("31454", "commune", "indfoy_ndur", 2024, 700, False),
        ("200068815", "epci", "indfoy_aah", 2024, 255, False), ("200068815", "epci", "indfoy_ndur", 2024, 6010, False),
        ("31", "departement", "indfoy_aah", 2024, 20100, False)])
    _cache(tmp_path, "bpe", 2018, [("31135", "commune", "D502", 2018, 2, False)])
    _cache(tmp_path, "bpe", 2024, [("31135", "commune", "D504", 2024, 1, False),
                                   ("31135", "commune", "D506", 2024, 1, False),
                                   ("31454", "commune", "D508", 2024, 2, False)])
    communes = pd.DataFrame([{"code": c, "nom": n, "departement": "31", "region": "76", "epci": "200068815"}
                             for c, n in (("31135", "Cazères"), ("31454", "Rieumes"))])
    return Etude(racine=tmp_path, nom_territoire="CC Cœur de Garonne", slug="cc", type_territoire="epci",
                 code_territoire="200068815", communes=communes, departement=("31", "Haute-Garonne"),
                 region=("76", "Occitanie"), epci=[("200068815", "CC Cœur de Garonne")],
                 millesimes={"rp": 2023, "rp_precedent": 2017, "caf_communes": 2024, "bpe": 2018,
                             "populations_legales": 2023})


def _ecrire(chemin: Path, texte: str) -> Path:
    chemin.write_text(texte, encoding="utf-8")
    return chemin


def _valeurs(etude, id_: str) -> dict:
    table, _ = ci.Calcul(etude).calculer(id_)
    return {(n, c): v for n, c, v in zip(table["niveau"], table["codgeo"], table["valeur"])}


def test_soldes_naturel_et_migratoire(etude):
    """Cazères: 290 births, 310 deaths, 4 541 -> 4 799 inhabitants: natural balance -20, migration
    balance 258 + 20 = 278; the territory sums its communes (Rieumes: +50 and +168)."""
    assert _valeurs(etude, "solde_naturel")[("commune", "31135")] == -20
    migratoire = _valeurs(etude, "solde_migratoire")
    assert migratoire[("commune", "31135")] == 278
    assert migratoire[("commune", "31454")] == 3630 - 3412 - 200 + 150
    assert migratoire[("territoire", "200068815")] == 278 + 168
    taux = _valeurs(etude, "variation_solde_migratoire")
    assert taux[("territoire", "200068815")] == pytest.approx((278 + 168) / (4541 + 3412))


def test_densite_rapport_des_sommes(etude):
    d = _valeurs(etude, "densite_population")
    assert d[("commune", "31135")] == pytest.approx(4799 / 19.27)
    assert d[("territoire", "200068815")] == pytest.approx((4799 + 3630) / (19.27 + 27.5))


def test_emplois_par_secteur_et_suroccupation(etude):
    assert _valeurs(etude, "part_emplois_agriculture")[("territoire", "200068815")] == pytest.approx(140 / 2800)
    assert _valeurs(etude, "part_suroccupation")[("commune", "31135")] == pytest.approx(0.04)


def test_aah_lue_a_l_intercommunalite_publiee_jamais_par_commune(etude):
    """The Cnaf publishes the AAH by EPCI and département: the territory (the EPCI) and the
    département have their published values, the communes none (n.d., never 0)."""
    aah = _valeurs(etude, "foyers_aah")
    assert aah[("territoire", "200068815")] == 255 and aah[("departement", "31")] == 20100
    assert math.isnan(aah[("commune", "31135")])
    part = _valeurs(etude, "part_allocataires_aah")
    assert part[("territoire", "200068815")] == pytest.approx(255 / 6010)


def test_equipements_ctg_absents_de_la_bpe_2018_le_disent(etude):
    """BPE 2018: no relais petite enfance in its nomenclature: the indicator says so (never 0);
    BPE 2024 (Melodi codes): counted, centres sociaux and EVS together."""
    with pytest.raises(ci.MillesimeInconnu, match="nomenclature de la BPE 2018"):
        ci.Calcul(etude).calculer("relais_petite_enfance")
    diagnostics = {d.id: d for d in ci.diagnostiquer(etude, ["relais_petite_enfance"])}
    assert diagnostics["relais_petite_enfance"].statut == "indisponible"
    assert "BPE 2018" in diagnostics["relais_petite_enfance"].raison
    etude.millesimes["bpe"] = 2024
    assert bpe.categories(2024)["centres_sociaux_evs"] == ["D506", "D508"]
    centres = _valeurs(etude, "centres_sociaux_evs")
    assert centres[("commune", "31135")] == 1 and centres[("territoire", "200068815")] == 3
    assert _valeurs(etude, "relais_petite_enfance")[("commune", "31135")] == 1


def test_fichier_sans_ligne_pour_le_territoire_le_dit(etude):
    """The Caf file by IRIS only holds the communes split into IRIS: for a territory without any,
    the indicator says the file has no row for it (not that the file lacks the variable)."""
    _cache(etude.racine, "caf_iris", 2020, [])
    chemin = etude.racine / "data" / "cache" / "caf_iris_2020.parquet"
    df = cache.lire(chemin)
    df.attrs["provenance"] = Provenance(source="Cnaf", libelle="caf", millesime=2020, fichier="data_CAF_2020_IRIS.csv")
    cache.ecrire(df, chemin)
    etude.millesimes["caf"] = 2020
    d = ci.diagnostiquer(etude, ["allocataires_aah_iris"])[0]
    assert d.statut == "vide"
    assert d.raison.startswith("aucune ligne de data_CAF_2020_IRIS.csv pour le territoire"), d.raison


def test_laep_sans_donnee_ouverte_le_chapitre_le_dit():
    """No open national data lists the lieux d'accueil enfants-parents (no BPE code, no Caf open
    data): no indicator is invented, and the parentalité chapter tells the reader where to get them."""
    from diagnostic_territorial.chapitres.generique import charger_plans

    assert not [i for i in ci.charger_catalogue() if "laep" in i.lower()]
    prestations = next(s for s in charger_plans()[0]["parentalite"].sections if s.cle == "prestations")
    assert "lieux d'accueil enfants-parents" in prestations.texte
    assert "à recenser avec la Caf" in prestations.texte
