"""indicateurs.additifs: a territory's count is the sum of its communes' counts, never a silent
wrong value. Rules checked on small hand-computed caches, then on the real BPE 2018 of the demo.

Hand checks on the real BPE 2018 (awk on bpe18_ensemble.csv, TYPEQU == "D502", NB_EQUIP summed):
- Cazères 31135: 1; Toulouse 31555: 147 (92 IRIS rows); CC Cœur de Garonne (48 communes): 8;
  Haute-Garonne (DEP 31): 364; Occitanie (REG 76): 1180; France: 12196; C101 in DEP 31: 293.
- Saint-Germain-en-Laye 78551: 15 (12 IRIS rows) + Fourqueux 78251 (commune déléguée since 2019):
  1 = 16; Le Chesnay-Rocquencourt 78158: 10 + Rocquencourt 78524: 1 = 11; Yvelines (DEP 78): 379;
  Île-de-France (REG 11): 3203; Paris (arrondissements 75101-75120): 822.
"""

from __future__ import annotations

import math
import shutil
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.sources import cache
from diagnostic_territorial.sources.schema import Provenance
from diagnostic_territorial.territoire.resolution import referentiel
from diagnostic_territorial_demo import donnees as demo

S = ind.SUFFIXE_SECRET
# Mayotte: 17 communes, département 976 = région 06 (COG 2022 referential)
MAYOTTE = [f"976{i:02d}" for i in range(1, 18)]
EPCI_MAMOUDZOU = "200060457"  # CA de Dembéni-Mamoudzou: 97607 Dembeni, 97611 Mamoudzou
CŒUR_DE_GARONNE = "200068815"


def etude(racine: Path, codes: list[str], type_territoire: str = "communes", code_territoire: str = "",
          millesimes: dict | None = None) -> types.SimpleNamespace:
    ref = referentiel()
    lignes = [ref["communes"][c] for c in codes]
    communes = pd.DataFrame({
        "code": codes, "nom": [r["LIBGEO"] for r in lignes], "departement": [r["DEP"] for r in lignes],
        "region": [r["REG"] for r in lignes], "epci": [r["EPCI"] for r in lignes],
    })
    dep = lignes[0]["DEP"]
    reg = ref["departements"][dep]["REG"]
    return types.SimpleNamespace(
        dossier_brut=racine / "data" / "brut", dossier_cache=racine / "data" / "cache",
        millesimes=millesimes or {}, communes=communes,
        departement=(dep, ref["departements"][dep]["LIBELLE"]), region=(reg, ref["regions"][reg]["LIBELLE"]),
        nom_territoire="Territoire d'étude", type_territoire=type_territoire,
        code_territoire=code_territoire or ",".join(codes),
    )


def ecrire_cache(e, source: str, lignes: list[tuple], millesime: int = 2020) -> None:
    """lignes: (codgeo, niveau, variable, valeur, secret)."""
    df = pd.DataFrame(lignes, columns=["codgeo", "niveau", "variable", "valeur", "secret"])
    df["millesime"] = millesime
    df = df.astype({"valeur": "float64", "secret": "bool"})
    df.attrs["provenance"] = Provenance(source=f"Test {source}", libelle="fixture", millesime=millesime)
    cache.ecrire(df, donnees.chemin_cache(e, source, millesime))


def par_niveau(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index(["niveau", "codgeo"])


# --- a. Coverage of the reference territories ---------------------------------------------------


def test_reference_calculee_seulement_si_la_source_couvre_90_pourcent(tmp_path):
    e = etude(tmp_path, ["97601", "97602"])
    # 16 of the 17 communes of Mayotte (94 %): the département and the région are summed
    ecrire_cache(e, "rp_logement", [(c, "commune", "P_RP", 10.0 * (i + 1), False) for i, c in enumerate(MAYOTTE[:16])])
    t = par_niveau(ind.additifs(e, "rp_logement", 2020, ["P_RP"])[0])
    assert t.loc[("commune", "97601"), "P_RP"] == 10 and t.loc[("commune", "97602"), "P_RP"] == 20
    assert t.loc[("territoire", "97601,97602"), "P_RP"] == 30
    assert t.loc[("departement", "976"), "P_RP"] == 10 * sum(range(1, 17)) == 1360
    assert t.loc[("region", "06"), "P_RP"] == 1360
    # France: 16 communes out of ~35 000: never a partial sum, « n.d. » (NaN, not secret)
    assert math.isnan(t.loc[("france", "FRM"), "P_RP"]) and not t.loc[("france", "FRM"), "P_RP" + S]


def test_extrait_sous_le_seuil_de_couverture_n_d(tmp_path):
    e = etude(tmp_path, ["97601", "97602"])
    # 15 of 17 communes (88 %): an extract, not the département
    ecrire_cache(e, "rp_logement", [(c, "commune", "P_RP", 10.0, False) for c in MAYOTTE[:15]])
    t = par_niveau(ind.additifs(e, "rp_logement", 2020, ["P_RP"])[0])
    assert t.loc[("territoire", "97601,97602"), "P_RP"] == 20
    for niveau, code in (("departement", "976"), ("region", "06"), ("france", "FRM")):
        assert math.isnan(t.loc[(niveau, code), "P_RP"]), niveau
        assert not t.loc[(niveau, code), "P_RP" + S], niveau  # « n.d. », not « s »


def test_extrait_iris_ne_donne_pas_de_total_regional(tmp_path):
    """The CAF IRIS file covers only IRIS-split communes: one département's extract gives neither
    the département (too few communes) nor the région."""
    e = etude(tmp_path, ["31555", "31069"])
    ecrire_cache(e, "caf_iris", [("31555", "commune", "A", 120_000.0, False), ("31069", "commune", "A", 5_000.0, False)])
    t = par_niveau(ind.additifs(e, "caf", 2020, ["A"])[0])
    assert t.loc[("territoire", "31555,31069"), "A"] == 125_000
    for niveau, code in (("departement", "31"), ("region", "76"), ("france", "FRM")):
        assert math.isnan(t.loc[(niveau, code), "A"]) and not t.loc[(niveau, code), "A" + S]


def test_secret_contagieux_et_commune_absente(tmp_path):
    e = etude(tmp_path, ["97601", "97602", "97603"])
    lignes = [(c, "commune", "X", 7.0, False) for c in MAYOTTE if c not in ("97602", "97603")]
    lignes += [("97602", "commune", "X", np.nan, True)]  # secret; 97603 has no row at all
    ecrire_cache(e, "caf_communes", lignes)
    t = par_niveau(ind.additifs(e, "caf_communes", 2020, ["X"])[0])
    assert t.loc[("commune", "97602"), "X" + S] and math.isnan(t.loc[("commune", "97602"), "X"])
    assert math.isnan(t.loc[("commune", "97603"), "X"]) and not t.loc[("commune", "97603"), "X" + S]
    territoire = t.loc[("territoire", "97601,97602,97603")]
    assert math.isnan(territoire["X"]) and territoire["X" + S]  # a secret part: secret, never 7
    # 16 communes with rows (94 %), one of them secret: the département is secret, not 15 x 7
    assert math.isnan(t.loc[("departement", "976"), "X"]) and t.loc[("departement", "976"), "X" + S]


def test_commune_du_territoire_absente_pas_de_somme_partielle(tmp_path):
    e = etude(tmp_path, ["97601", "97602"])
    ecrire_cache(e, "rp_logement", [(c, "commune", "P_RP", 10.0, False) for c in MAYOTTE if c != "97602"])
    t = par_niveau(ind.additifs(e, "rp_logement", 2020, ["P_RP"])[0])
    assert math.isnan(t.loc[("commune", "97602"), "P_RP"])
    assert math.isnan(t.loc[("territoire", "97601,97602"), "P_RP"])  # not 10
    assert not t.loc[("territoire", "97601,97602"), "P_RP" + S]
    assert t.loc[("departement", "976"), "P_RP"] == 160  # 16 communes: covered


# --- b. Geography: arrondissements, communes nouvelles ------------------------------------------


def test_arrondissements_et_communes_deleguees_dans_leur_commune(tmp_path):
    ref = referentiel()
    assert ref["anciennes"]["78251"]["COMPARENT"] == "78551"  # Fourqueux -> Saint-Germain-en-Laye
    assert ref["anciennes"]["78524"]["COMPARENT"] == "78158"  # Rocquencourt -> Le Chesnay-Rocquencourt
    e = etude(tmp_path, ["75056", "78551", "78158"])
    lignes = [(f"751{i:02d}", "commune", "P_RP", float(i), False) for i in range(1, 21)]  # 1 + ... + 20
    lignes += [("78551", "commune", "P_RP", 100.0, False), ("78251", "commune", "P_RP", 7.0, False),
               ("78158", "commune", "P_RP", 50.0, False), ("78524", "commune", "P_RP", 3.0, False)]
    ecrire_cache(e, "rp_logement", lignes, 2018)
    t = par_niveau(ind.additifs(e, "rp_logement", 2018, ["P_RP"])[0])
    assert t.loc[("commune", "75056"), "P_RP"] == 210
    assert t.loc[("commune", "78551"), "P_RP"] == 107
    assert t.loc[("commune", "78158"), "P_RP"] == 53
    assert t.loc[("territoire", "75056,78551,78158"), "P_RP"] == 370
    assert ind.commune_actuelle("75112") == "75056" and ind.commune_actuelle("13208") == "13055"
    assert ind.commune_actuelle("69385") == "69123" and ind.commune_actuelle("31135") == "31135"


def test_arrondissements_ignores_si_la_commune_est_publiee(tmp_path):
    e = etude(tmp_path, ["75056"])
    lignes = [("75056", "commune", "P_RP", 1000.0, False)]
    lignes += [(f"751{i:02d}", "commune", "P_RP", 50.0, False) for i in range(1, 21)]
    ecrire_cache(e, "rp_logement", lignes)
    t = par_niveau(ind.additifs(e, "rp_logement", 2020, ["P_RP"])[0])
    assert t.loc[("commune", "75056"), "P_RP"] == 1000  # not 2000: no double count


def test_partie_secrete_d_une_commune_nouvelle(tmp_path):
    e = etude(tmp_path, ["78551"])
    ecrire_cache(e, "caf_communes", [("78551", "commune", "X", 100.0, False), ("78251", "commune", "X", np.nan, True)])
    t = par_niveau(ind.additifs(e, "caf_communes", 2020, ["X"])[0])
    assert t.loc[("commune", "78551"), "X" + S] and math.isnan(t.loc[("commune", "78551"), "X"])


# --- c. Published beats computed ----------------------------------------------------------------


def test_valeurs_publiees_au_niveau_du_territoire_et_des_references(tmp_path):
    e = etude(tmp_path, ["97607", "97611"], "epci", EPCI_MAMOUDZOU)
    lignes = [(c, "commune", "N", 10.0, False) for c in MAYOTTE]
    lignes += [("97607", "commune", "M", np.nan, True), ("97611", "commune", "M", 4.0, False)]
    lignes += [(EPCI_MAMOUDZOU, "epci", "N", 21.0, False), (EPCI_MAMOUDZOU, "epci", "M", 9.0, False),
               ("976", "departement", "N", 175.0, False), ("FRM", "france", "N", 1_000_000.0, False)]
    ecrire_cache(e, "caf_communes", lignes)
    t = par_niveau(ind.additifs(e, "caf_communes", 2020, ["N", "M"])[0])
    territoire = t.loc[("territoire", EPCI_MAMOUDZOU)]
    assert territoire["N"] == 21 and territoire["M"] == 9 and not territoire["M" + S]  # the EPCI's row
    assert t.loc[("departement", "976"), "N"] == 175  # published, not 17 x 10 = 170
    assert t.loc[("region", "06"), "N"] == 170  # not published: sum of the 17 communes
    assert t.loc[("france", "FRM"), "N"] == 1_000_000  # published, although the communes cover 17
    assert math.isnan(t.loc[("departement", "976"), "M"])  # no published M: computed, secret part
    assert t.loc[("departement", "976"), "M" + S]


def test_valeur_publiee_secrete_reste_secrete(tmp_path):
    e = etude(tmp_path, ["97607", "97611"], "epci", EPCI_MAMOUDZOU)
    lignes = [(c, "commune", "N", 10.0, False) for c in MAYOTTE] + [(EPCI_MAMOUDZOU, "epci", "N", np.nan, True)]
    ecrire_cache(e, "caf_communes", lignes)
    territoire = par_niveau(ind.additifs(e, "caf_communes", 2020, ["N"])[0]).loc[("territoire", EPCI_MAMOUDZOU)]
    assert math.isnan(territoire["N"]) and territoire["N" + S]


def test_liste_de_communes_ignore_la_ligne_epci(tmp_path):
    """A list of communes is not the EPCI: its territory is the sum of its communes."""
    e = etude(tmp_path, ["97607", "97611"])
    lignes = [(c, "commune", "N", 10.0, False) for c in MAYOTTE] + [(EPCI_MAMOUDZOU, "epci", "N", 99.0, False)]
    ecrire_cache(e, "caf_communes", lignes)
    t = par_niveau(ind.additifs(e, "caf_communes", 2020, ["N"])[0])
    assert t.loc[("territoire", "97607,97611"), "N"] == 20


# --- Inventory sources (BPE): no row, none of it --------------------------------------------------


def test_inventaire_absence_vaut_zero_si_la_source_couvre(tmp_path):
    e = etude(tmp_path, ["97601", "97602"])
    lignes = [(c, "commune", "A101", 1.0, False) for c in MAYOTTE[:16]]  # every commune has some equipment
    lignes += [("97601", "commune", "D502", 2.0, False), ("97605", "commune", "D502", 3.0, False)]
    ecrire_cache(e, "bpe", lignes, 2018)
    t = par_niveau(ind.additifs(e, "bpe", 2018, ["D502"])[0])
    assert t.loc[("commune", "97601"), "D502"] == 2
    assert t.loc[("commune", "97602"), "D502"] == 0  # no crèche listed: none
    assert t.loc[("territoire", "97601,97602"), "D502"] == 2
    assert t.loc[("departement", "976"), "D502"] == 5
    assert math.isnan(t.loc[("france", "FRM"), "D502"])  # the extract does not cover France


def test_inventaire_hors_couverture_n_d(tmp_path):
    e = etude(tmp_path, ["97601", "97602"])
    ecrire_cache(e, "bpe", [("97601", "commune", "D502", 2.0, False)], 2018)
    t = par_niveau(ind.additifs(e, "bpe", 2018, ["D502"])[0])
    assert t.loc[("commune", "97601"), "D502"] == 2
    assert math.isnan(t.loc[("commune", "97602"), "D502"])  # source does not cover Mayotte: unknown
    assert math.isnan(t.loc[("territoire", "97601,97602"), "D502"])


# --- Real values: the BPE 2018 shipped with the demo ----------------------------------------------


@pytest.fixture(scope="module")
def bpe_demo(tmp_path_factory):
    """The demo's real BPE 2018 (whole France) prepared for CC Cœur de Garonne."""
    racine = tmp_path_factory.mktemp("bpe")
    from test_donnees import COMMUNES

    e = etude(racine, COMMUNES, "epci", CŒUR_DE_GARONNE, {"bpe": 2018})
    e.dossier_brut.mkdir(parents=True)
    shutil.copyfile(demo.DOSSIER_DEMO / "bpe18_ensemble_csv.zip", e.dossier_brut / "bpe18_ensemble_csv.zip")
    (resultat,) = donnees.preparer(e, telecharger=False)
    assert resultat.statut == "ok", resultat.message
    return e


def test_creches_bpe_reelles_commune_territoire_references(bpe_demo):
    table, prov = ind.additifs(bpe_demo, "bpe", 2018, ["D502", "C101"])
    t = par_niveau(table)
    assert prov.mention() == "Source : Insee, BPE 2018"
    assert t.loc[("commune", "31135"), "D502"] == 1  # Cazères
    assert t.loc[("commune", "31204"), "D502"] == 0  # Fustignac: no crèche in the BPE
    assert t.loc[("territoire", CŒUR_DE_GARONNE), "D502"] == 8
    assert t.loc[("departement", "31"), "D502"] == 364
    assert t.loc[("region", "76"), "D502"] == 1180
    assert t.loc[("france", "FRM"), "D502"] == 12196
    assert t.loc[("departement", "31"), "C101"] == 293
    assert not t[[c for c in t.columns if c.endswith(S)]].any().any()


@pytest.mark.lent  # the whole BPE 2018 parsed for a study (donnees.preparer)
def test_creches_bpe_reelles_geographie_2022(tmp_path):
    """BPE 2018 is in 2018 geography; the study in COG 2022: former communes are summed into their
    commune nouvelle, Paris's arrondissements into Paris."""
    e = etude(tmp_path, ["78551", "78158", "75056", "31555"], millesimes={"bpe": 2018})
    e.dossier_brut.mkdir(parents=True)
    shutil.copyfile(demo.DOSSIER_DEMO / "bpe18_ensemble_csv.zip", e.dossier_brut / "bpe18_ensemble_csv.zip")
    donnees.preparer(e, telecharger=False)
    t = par_niveau(ind.additifs(e, "bpe", 2018, ["D502"])[0])
    assert t.loc[("commune", "78551"), "D502"] == 15 + 1  # Saint-Germain-en-Laye + Fourqueux
    assert t.loc[("commune", "78158"), "D502"] == 10 + 1  # Le Chesnay + Rocquencourt
    assert t.loc[("commune", "75056"), "D502"] == 822  # Paris, 20 arrondissements
    assert t.loc[("commune", "31555"), "D502"] == 147  # Toulouse
    assert t.loc[("territoire", "78551,78158,75056,31555"), "D502"] == 16 + 11 + 822 + 147
    assert t.loc[("departement", "78"), "D502"] == 379
    assert t.loc[("region", "11"), "D502"] == 3203


def test_signature_et_colonnes_inchangees(bpe_demo):
    table, _ = ind.additifs(bpe_demo, "bpe", 2018, ["D502"], 2018)
    assert list(table.columns) == ["libelle", "niveau", "codgeo", "D502", "D502" + S]
    assert list(table["niveau"].iloc[-4:]) == ["territoire", "departement", "region", "france"]
    assert (table["niveau"] == "commune").sum() == 48
    taux = ind.ratio(table, "D502", "D502")
    assert taux.iloc[-1] == 1.0
