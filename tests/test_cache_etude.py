"""A study's data cache: its communes and its references, not all of France (« make donnees » keeps
the rows the study reads and sums its references once from the national file), every figure the
same as from the whole file, and a reader fixed in the library rebuilds the caches it wrote."""

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
from diagnostic_territorial.sources import cache, reconnaissance
from diagnostic_territorial.sources.schema import Provenance
from diagnostic_territorial.territoire.resolution import referentiel

S = ind.SUFFIXE_SECRET
FIXTURES = Path(__file__).parent / "fixtures" / "sources"
# Mayotte: 17 communes, département 976 = région 06 (COG 2022 referential)
MAYOTTE = [f"976{i:02d}" for i in range(1, 18)]
EPCI_MAMOUDZOU = "200060457"  # CA de Dembéni-Mamoudzou: 97607 Dembeni, 97611 Mamoudzou


def etude(racine: Path, codes: list[str], type_territoire: str = "communes", code_territoire: str = "",
          millesimes: dict | None = None, epci: list | None = None) -> types.SimpleNamespace:
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
        millesimes=millesimes or {}, communes=communes, epci=epci or [],
        departement=(dep, ref["departements"][dep]["LIBELLE"]), region=(reg, ref["regions"][reg]["LIBELLE"]),
        nom_territoire="Territoire d'étude", type_territoire=type_territoire,
        code_territoire=code_territoire or ",".join(codes),
    )


def table(lignes: list[tuple], millesime: int = 2020, france: str = "") -> pd.DataFrame:
    """lignes: (codgeo, niveau, variable, valeur, secret)."""
    df = pd.DataFrame(lignes, columns=["codgeo", "niveau", "variable", "valeur", "secret"])
    df["millesime"] = millesime
    df = df.astype({"codgeo": "str", "niveau": "str", "variable": "str", "valeur": "float64", "secret": "bool"})
    df.attrs["provenance"] = Provenance(source="Test", libelle="fixture", millesime=millesime,
                                        extra={"france": france} if france else {})
    return df


def memes_chiffres(tmp_path: Path, codes: list[str], source: str, lignes: list[tuple], jeux: list[list[str]],
                   **options) -> pd.DataFrame:
    """The whole table cached as before and the study's table (`donnees._reduire`) give the same
    indicateurs.additifs, to the last bit, for each set of variables; returns the study's table."""
    complet = etude(tmp_path / "complet", codes, **options)
    reduit = etude(tmp_path / "reduit", codes, **options)
    tout = table(lignes)
    cache.ecrire(tout, donnees.chemin_cache(complet, source, 2020))
    petit, _ = donnees._reduire(reduit, donnees.cle_source(source), tout)
    cache.ecrire(petit, donnees.chemin_cache(reduit, source, 2020))
    for variables in jeux:
        avant = ind.additifs(complet, source, 2020, variables)[0]
        apres = ind.additifs(reduit, source, 2020, variables)[0]
        pd.testing.assert_frame_equal(avant, apres, check_exact=True, obj=f"{source} {variables}")
    communes = petit.loc[petit["niveau"] == "commune", "codgeo"].map(ind.commune_actuelle)
    assert set(communes) <= set(codes)  # no commune outside the study
    return petit


# --- The same figures from the study's cache as from the whole file -------------------------------


def test_references_couvertes_a_90_pourcent_ou_n_d(tmp_path):
    couvert = [(c, "commune", "P_RP", 10.0 * (i + 1), False) for i, c in enumerate(MAYOTTE[:16])]
    petit = memes_chiffres(tmp_path / "a", ["97601", "97602"], "rp_logement", couvert, [["P_RP"]])
    assert set(petit.loc[petit["niveau"] == "commune", "codgeo"]) == {"97601", "97602"}
    assert petit.loc[(petit["niveau"] == "departement"), "valeur"].item() == 1360  # summed once
    assert not (petit["niveau"] == "france").any()  # 16 communes of France: « n.d. », never written
    extrait = [(c, "commune", "P_RP", 10.0, False) for c in MAYOTTE[:15]]  # 88 %: an extract
    petit = memes_chiffres(tmp_path / "b", ["97601", "97602"], "rp_logement", extrait, [["P_RP"]])
    assert set(petit["niveau"]) == {"commune"}


def test_secret_contagieux_et_commune_absente(tmp_path):
    lignes = [(c, "commune", "X", 7.0, False) for c in MAYOTTE if c not in ("97602", "97603", "97610")]
    lignes += [("97602", "commune", "X", np.nan, True), ("97610", "commune", "X", np.nan, False)]
    lignes += [(c, "commune", "Y", 1.0, False) for c in MAYOTTE if c != "97603"]
    petit = memes_chiffres(tmp_path, ["97601", "97602", "97603"], "caf_communes", lignes, [["X"], ["Y"], ["X", "Y"]])
    dep = petit[petit["niveau"] == "departement"].set_index("variable")
    assert math.isnan(dep.loc["X", "valeur"]) and dep.loc["X", "secret"]  # secret part: secret
    assert dep.loc["Y", "valeur"] == 16


def test_arrondissements_communes_nouvelles_et_iris(tmp_path):
    lignes = [(f"751{i:02d}", "commune", "P_RP", float(i), False) for i in range(1, 21)]
    lignes += [("78551", "commune", "P_RP", 100.0, False), ("78251", "commune", "P_RP", 7.0, False),
               ("78158", "commune", "P_RP", 50.0, False), ("78524", "commune", "P_RP", 3.0, False),
               ("78646", "commune", "P_RP", 1.0, False), ("751010101", "iris", "P_RP", 1.0, False),
               ("786460101", "iris", "P_RP", 1.0, False)]
    petit = memes_chiffres(tmp_path, ["75056", "78551", "78158"], "caf_iris", lignes, [["P_RP"]])
    gardes = set(petit["codgeo"])
    assert {"75101", "75120", "78251", "78524", "751010101"} <= gardes  # kept with their commune
    assert not {"78646", "786460101"} & gardes  # Versailles is not in the study


def test_publie_garde_calcule_pour_le_reste(tmp_path):
    lignes = [(c, "commune", "N", 10.0, False) for c in MAYOTTE]
    lignes += [(c, "commune", "M", 1.0, False) for c in MAYOTTE if c != "97607"] + [("97607", "commune", "M", np.nan, True)]
    lignes += [(EPCI_MAMOUDZOU, "epci", "N", 21.0, False), (EPCI_MAMOUDZOU, "epci", "M", 9.0, False),
               ("200050789", "epci", "N", 5.0, False),  # another EPCI of Mayotte: left out
               ("976", "departement", "N", 175.0, False), ("971", "departement", "N", 9.0, False),
               ("FRM", "france", "N", 1_000_000.0, False)]
    options = {"type_territoire": "epci", "code_territoire": EPCI_MAMOUDZOU}
    petit = memes_chiffres(tmp_path, ["97607", "97611"], "caf_communes", lignes, [["N"], ["M"], ["N", "M"]], **options)
    supra = petit[petit["niveau"] != "commune"].set_index(["niveau", "codgeo", "variable"])
    assert supra.loc[("departement", "976", "N"), "valeur"] == 175  # published: kept as it is
    assert supra.loc[("departement", "976", "M"), "secret"]  # not published: summed once, secret part
    assert supra.loc[("region", "06", "N"), "valeur"] == 170
    assert ("epci", "200050789", "N") not in supra.index and ("departement", "971", "N") not in supra.index


def test_epci_de_reference_d_une_liste_de_communes(tmp_path):
    lignes = [(c, "commune", "N", float(i), False) for i, c in enumerate(MAYOTTE)]
    petit = memes_chiffres(tmp_path, ["97607"], "caf_communes", lignes, [["N"]],
                           epci=[(EPCI_MAMOUDZOU, "CA de Dembéni-Mamoudzou")])
    epci = petit[petit["niveau"] == "epci"]
    assert list(epci["codgeo"]) == [EPCI_MAMOUDZOU] and epci["valeur"].item() == 6 + 10  # 97607 + 97611


def test_departement_etudie_en_entier_somme_a_la_lecture(tmp_path):
    lignes = [(c, "commune", "N", 2.0, False) for c in MAYOTTE] + [("976", "departement", "N", 99.0, False)]
    petit = memes_chiffres(tmp_path, MAYOTTE, "caf_communes", lignes, [["N"]], type_territoire="departement",
                           code_territoire="976")
    # the département is the territory: its published row is kept, nothing is summed in advance
    assert petit.loc[petit["niveau"] == "departement", "valeur"].tolist() == [99.0]


def test_inventaire_zeros_explicites_si_la_source_couvre(tmp_path):
    lignes = [(c, "commune", "A101", 1.0, False) for c in MAYOTTE[:16]]
    lignes += [("97601", "commune", "D502", 2.0, False), ("97605", "commune", "D502", 3.0, False)]
    petit = memes_chiffres(tmp_path / "a", ["97601", "97602"], "bpe", lignes, [["D502"], ["A101"], ["D502", "A101"]])
    zeros = petit[(petit["codgeo"] == "97602") & (petit["variable"] == "D502")]
    assert zeros["valeur"].tolist() == [0.0]  # no crèche listed, the BPE covers Mayotte: none
    hors = memes_chiffres(tmp_path / "b", ["97601", "97602"], "bpe", [("97601", "commune", "D502", 2.0, False)],
                          [["D502"]])
    assert list(hors["codgeo"]) == ["97601"]  # out of coverage: unknown, no 0 written


def test_france_sommee_une_fois_et_publiee_gardee(tmp_path):
    """Every commune of France in the file: the France row is summed once (the secret of a commune
    far from the study makes it secret), a published France row is kept; the région of the study
    is summed from its communes only."""
    toutes = sorted(referentiel()["communes"])
    lignes = [(c, "commune", "N", 1.0, c == "01001") for c in toutes]
    lignes += [(c, "commune", "M", 2.0, False) for c in toutes]
    lignes += [("FRM", "france", "M", 123.0, False)]
    petit = memes_chiffres(tmp_path, ["31135", "31204"], "caf_communes", lignes, [["N"], ["M"], ["N", "M"]])
    supra = petit[petit["niveau"] != "commune"].set_index(["niveau", "codgeo", "variable"])
    assert supra.loc[("france", "FRM", "N"), "secret"] and supra.loc[("france", "FRM", "M"), "valeur"] == 123
    occitanie = sum(1 for r in referentiel()["communes"].values() if r["REG"] == "76")
    assert supra.loc[("region", "76", "M"), "valeur"] == 2 * occitanie
    assert len(petit) == 2 * 2 + 2 * 3  # 2 communes x 2 variables, 3 references x 2 variables
    assert (petit["niveau"] == "commune").sum() == 4


def test_sources_non_additives_jamais_sommees(tmp_path):
    e = etude(tmp_path, ["31135"])
    lignes = [(c, "commune", "Q2", 20_000.0, False) for c in sorted(referentiel()["communes"])[:30_000]]
    lignes += [("31", "departement", "Q2", 23_380.0, False), ("13", "departement", "Q2", 21_000.0, False)]
    petit, calculees = donnees._reduire(e, "filosofi", table(lignes))
    assert calculees == [] and set(zip(petit["niveau"], petit["codgeo"])) == {("commune", "31135"), ("departement", "31")}


# --- The demo study -------------------------------------------------------------------------------


def test_cache_de_la_demo_sous_20_mo_et_limite_a_l_etude(etude_preparee):
    """« make donnees » on the demo: national files (BPE 2018, s_ben_com_f, Dares, populations
    légales) read for the 48 communes of CC Cœur de Garonne and its references."""
    import pyarrow.parquet as pq

    from diagnostic_territorial.configuration.etude import Etude

    dossier = etude_preparee / "data" / "cache"
    taille = sum(p.stat().st_size for p in dossier.rglob("*") if p.is_file())
    assert taille < 20_000_000, f"data/cache : {taille / 1e6:.1f} Mo"
    assert taille < 2_000_000  # 0.25 MB measured (20.6 MB when the cache held all of France)
    e = Etude.charger(etude_preparee / "etude.yaml")
    communes = set(e.communes["code"])
    sources = sorted(p for p in dossier.glob("*.parquet") if not p.name.startswith("contours"))
    assert len(sources) == 17
    for chemin in sources:
        t = pq.read_table(chemin).to_pandas()
        niveaux = dict(tuple(t.groupby("niveau")["codgeo"]))
        assert {ind.commune_actuelle(c) for c in niveaux.get("commune", [])} <= communes, chemin.name
        assert {c[:5] for c in niveaux.get("iris", [])} <= communes, chemin.name
        assert set(niveaux.get("departement", [])) <= {"31"} and set(niveaux.get("region", [])) <= {"76"}
        assert set(niveaux.get("epci", [])) <= {"200068815"}, chemin.name
        if chemin.name.startswith("caf_iris"):
            continue  # the IRIS file of the demo holds no commune of the study
        if not chemin.name.startswith(("filosofi", "caf_txcouv_pe")):  # every commune, but not the smallest
            assert communes <= {ind.commune_actuelle(c) for c in niveaux["commune"]}, chemin.name
        assert {"departement", "france"} <= set(niveaux), chemin.name
        if not chemin.name.startswith("caf_txcouv_pe"):  # the Cnaf publishes no régional rate
            assert "region" in niveaux, chemin.name
    prov = cache.provenance(dossier / "bpe_2018.parquet")
    assert prov.extra["references_calculees"] == ["departement 31", "france FRM", "region 76"]
    assert set(prov.extra["entrees"]["lecteurs"]) == {"bpe_agregee"}


# --- A fixed reader rebuilds the caches it wrote ----------------------------------------------------


@pytest.fixture
def petite_etude(tmp_path):
    """Three communes of Haute-Garonne with the populations légales and Filosofi files of the fixtures."""
    e = etude(tmp_path, ["31135", "31204", "31454"], millesimes={"populations_legales": 2019, "filosofi": 2019})
    e.dossier_brut.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "donnees_communes.csv", e.dossier_brut / "donnees_communes.csv")
    for f in FIXTURES.glob("FILO2019_DISP_*.csv"):
        shutil.copyfile(f, e.dossier_brut / f.name)
    resultats = donnees.preparer(e, telecharger=False)
    assert [r.statut for r in resultats] == ["ok", "ok"], [r.message for r in resultats]
    assert all("de l'étude et de ses références mises en cache" in r.message for r in resultats)
    assert all(r.message == "cache à jour" for r in donnees.preparer(e, telecharger=False))
    return e


def messages(e) -> dict[str, str]:
    return {r.source: r.message for r in donnees.preparer(e, telecharger=False)}


def test_lecteur_corrige_refait_son_cache(petite_etude, monkeypatch):
    e = petite_etude
    chemin = donnees.chemin_cache(e, "populations_legales", 2019)
    avant = chemin.stat().st_mtime_ns
    version = donnees.version_lecteur
    monkeypatch.setattr(donnees, "version_lecteur", lambda d: "corrige" if d == "populations_legales" else version(d))
    dits = messages(e)
    assert dits["populations_legales"].startswith(
        "lecteur « Insee, populations légales des communes » modifié depuis la mise en cache : fichiers relus ; ")
    assert dits["filosofi"] == "cache à jour"  # its own reader did not change
    assert chemin.stat().st_mtime_ns != avant
    assert cache.provenance(chemin).extra["entrees"]["lecteurs"] == {"populations_legales": "corrige"}
    assert messages(e)["populations_legales"] == "cache à jour"  # rebuilt once


def test_cache_d_une_version_anterieure_refait_une_fois(petite_etude):
    e = petite_etude
    chemin = donnees.chemin_cache(e, "filosofi", 2019)
    ancien = cache.lire(chemin)
    prov = ancien.attrs["provenance"]
    entrees = {k: v for k, v in prov.extra["entrees"].items() if k not in ("lecteurs", "sommes")}
    ancien.attrs["provenance"] = Provenance(**{**prov.to_dict(), "extra": {**prov.extra, "entrees": {**entrees, "version": 4}}})
    cache.ecrire(ancien, chemin)  # a cache written before the readers' versions were recorded
    dits = messages(e)
    assert dits["filosofi"].startswith("cache écrit par une version antérieure des lecteurs de la bibliothèque")
    assert dits["populations_legales"] == "cache à jour"
    assert messages(e)["filosofi"] == "cache à jour"


def test_version_de_chaque_lecteur_suit_son_code(tmp_path):
    paquet = Path(donnees.__file__).parent
    for noms in list(donnees.MODULES_LECTEURS.values()) + [donnees.MODULES_COMMUNS]:
        assert all((paquet / n).is_file() for n in noms), noms
    # every layout a source is read from has its reader's version (a new reader is not forgotten)
    lues = {d.cle for d in reconnaissance.DISPOSITIONS if d.source} | {"melodi", "rp_base_cc"}
    assert lues <= set(donnees.MODULES_LECTEURS)
    versions = {d: donnees.version_lecteur(d) for d in donnees.MODULES_LECTEURS}
    assert versions["bpe_agregee"] == versions["bpe_xy"] != versions["filosofi"] != versions["melodi"]
    assert len(donnees.version_sommes()) == 16
    # the version is the code's: the library with one reader changed gets another version for it
    copie = tmp_path / "diagnostic_territorial"
    shutil.copytree(paquet, copie / "sources")
    (copie / "sources" / "population.py").write_text(
        (paquet / "population.py").read_text(encoding="utf-8") + "\n# correction\n", encoding="utf-8")
    original, memoire = donnees.__file__, dict(donnees._VERSIONS)
    try:
        donnees.__file__ = str(copie / "sources" / "preparation.py")
        donnees._VERSIONS.clear()
        assert donnees.version_lecteur("populations_legales") != versions["populations_legales"]
        assert donnees.version_lecteur("filosofi") == versions["filosofi"]
    finally:
        donnees.__file__ = original
        donnees._VERSIONS.clear()
        donnees._VERSIONS.update(memoire)
