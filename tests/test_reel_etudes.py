"""Studies built from the real published files a consultant downloads (shared/data/reel), dropped
in data/brut/ under the names they were published with: every file is used or said unused, every
indicator of the catalogue has values or a named reason, and the reports show the figures checked
by hand in the files."""

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REEL as REEL_BASE, BPE_2018, DEMO_REELLE, make

REEL = REEL_BASE


def generer(racine: Path, dossier: Path, code: str, nom: str) -> Path:
    from cookiecutter.main import cookiecutter

    return Path(cookiecutter(str(racine), no_input=True, output_dir=str(dossier),
                             extra_context={"code_territoire": code, "territoire": nom}))


def deposer_fichiers_corses(etude: Path) -> None:
    """The real files as published: FILO*_DISP_*.csv, donnees_communes.csv (of ensemble.zip), the
    BPE 2018 zip, s_ben_com_f.csv and data_CAF_2020_IRIS.csv (the commune file holds Corsica)."""
    brut = etude / "data" / "brut"
    brut.mkdir(parents=True, exist_ok=True)
    for f in (REEL / "filosofi").glob("FILO20*_DISP_*.csv"):
        shutil.copy(f, brut / f.name)
    shutil.copy(REEL / "population" / "donnees_communes_pop_2019.csv", brut / "donnees_communes.csv")
    shutil.copy(BPE_2018, brut / "bpe18_ensemble_csv.zip")
    shutil.copy(REEL / "caf" / "s_ben_com_f.csv", brut / "s_ben_com_f.csv")
    shutil.copy(DEMO_REELLE / "data_CAF_2020_IRIS.csv", brut / "data_CAF_2020_IRIS.csv")
    # donnees_communes.csv does not carry its millésime: the consultant says it (make donnees asks)
    chemin = etude / "etude.yaml"
    texte = chemin.read_text(encoding="utf-8").replace("populations_legales: dernier", "populations_legales: 2019")
    chemin.write_text(texte, encoding="utf-8")


@pytest.fixture(scope="module")
def pays_ajaccien(racine, tmp_path_factory):
    etude = generer(racine, tmp_path_factory.mktemp("ajaccio"), "242010056", "pays-ajaccien")
    deposer_fichiers_corses(etude)
    return etude


def test_pays_ajaccien_donnees_et_indicateurs(pays_ajaccien):
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.sources import preparation as donnees
    from diagnostic_territorial.configuration.etude import Etude

    etude = Etude.charger(pays_ajaccien / "etude.yaml")
    _, rapport = donnees.preparer(etude, telecharger=False, rapport=True)
    # every file dropped was recognised and used; only the IRIS file serves no chapter
    assert rapport.inconnus == []
    usages = {nom: [s for s, _ in u] for nom, u in rapport.fichiers.items()}
    assert all(usages.values()), usages
    assert usages["donnees_communes.csv"] == ["populations_legales"]
    assert set(usages["s_ben_com_f.csv"]) == {"caf_communes"}
    assert etude.millesimes["filosofi"] == 2019 and etude.millesimes["filosofi_precedent"] == 2016
    assert (etude.millesimes["caf_communes"], etude.millesimes["caf_communes_precedent"]) == (2024, 2020)
    assert etude.millesimes["bpe"] == 2018

    calcul = ci.Calcul(etude)

    def valeur(id_, niveau, code):
        table, _ = calcul.calculer(id_)
        return table[(table["niveau"] == niveau) & (table["codgeo"] == code)]["valeur"].item()

    # hand-checked in the files: FILO2019_DISP_EPCI « 242010056;CA du Pays Ajaccien;...;22460 »
    assert valeur("revenu_median", "territoire", "242010056") == 22460
    assert valeur("revenu_median", "commune", "2A004") == 21900
    # s_ben_com_f « 2024-12;2A004;AJACCIO;1095;598200;4095;784700 »
    assert valeur("foyers_rsa", "commune", "2A004") == 1095
    assert valeur("montant_moyen_rsa", "commune", "2A004") == pytest.approx(598200 / 1095)
    # populations légales 2019 « 94;2A;2A004;71361;867;72228 »
    assert valeur("population_municipale", "commune", "2A004") == 71361
    # BPE 2018: 36 pharmacies (D301) in the IRIS of Ajaccio
    assert valeur("pharmacies_pour_1000", "commune", "2A004") == pytest.approx(36 / 71361 * 1000)

    diagnostics = ci.diagnostiquer(etude)
    assert len(diagnostics) == len(ci.CATALOGUE)
    for d in diagnostics:
        assert d.statut == "ok" or d.raison, d  # values, or a reason: never silently empty
    par_id = {d.id: d for d in diagnostics}
    assert par_id["revenu_median"].statut == "ok"
    # the real export holds RSA and prime d'activité only: the shares say which field is missing
    assert par_id["part_allocataires_rsa"].statut == "vide"
    assert "indfoy_ndur" in par_id["part_allocataires_rsa"].raison
    # the recensement was not provided: the file to fetch is named
    assert par_id["part_0_14"].statut == "indisponible" and "DS_RP_POPULATION_PRINC" in par_id["part_0_14"].raison


def _texte(chemin: Path) -> str:
    t = chemin.read_text(encoding="utf-8")
    t = re.sub(r"<(script|style)\b.*?</\1>", " ", t, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


@pytest.mark.lent
def test_pays_ajaccien_rapport_montre_les_chiffres_reels(pays_ajaccien):
    resultat = make(pays_ajaccien, "donnees", "notebooks", "rapport-html")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    assert "NON RECONNU" not in resultat.stdout and "reconnu, non utilisé" not in resultat.stdout
    texte = _texte(pays_ajaccien / "livrables" / "rapport.html")
    assert "71 361" in texte  # population municipale of Ajaccio
    assert "22 460" in texte  # median standard of living of the CA (EPCI file)
    assert "1 095" in texte  # RSA households of Ajaccio, December 2024


@pytest.mark.lent
def test_bordeaux_demandeurs_d_emploi_et_evolution_depuis_2015(racine, tmp_path):
    etude = generer(racine, tmp_path, "33063", "bordeaux")
    brut = etude / "data" / "brut"
    brut.mkdir(parents=True, exist_ok=True)
    shutil.copy(REEL / "france_travail" / "dares_defm_communales-brutes.csv", brut)
    for f in (REEL / "insee_melodi").glob("*.zip"):  # real RP 2023 extracts holding Bordeaux
        shutil.copy(f, brut / f.name)
    resultat = make(etude, "donnees", "notebooks", "rapport-html")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    assert "france_travail_precedent : 2015" in resultat.stdout
    texte = _texte(etude / "livrables" / "rapport.html")
    # 29 190 job seekers ABC at 2024-T4; 29 450 at 2015-T4: -0,9 %
    assert "29 190 en 2024, -0,9 % depuis 2015" in texte
    # RP 2023 (real Melodi extract): 11 338.6 single-parent families out of 60 948.9
    assert "Part des familles monoparentales : 18,6 %" in texte


@pytest.mark.lent
def test_commune_seule_ajaccio_sans_chapitre_en_echec(racine, tmp_path):
    etude = generer(racine, tmp_path, "2A004", "ccas-ajaccio")
    deposer_fichiers_corses(etude)
    resultat = make(etude, "donnees", "notebooks", "rapport-html")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    journal = yaml.safe_load((etude / "build" / "execution.json").read_text(encoding="utf-8"))
    assert {c: e["statut"] for c, e in journal.items() if e["statut"] != "ok"} == {}
    texte = _texte(etude / "livrables" / "rapport.html")
    assert "71 361" in texte and "21 900" in texte


def test_demonstration_chaque_indicateur_a_des_valeurs_ou_une_raison(etude_preparee):
    """On the demo (real Filosofi, BPE, populations légales; the rest simulated in the real
    layouts), every indicator of the catalogue has values, except the poverty rate: not in the
    Filosofi DISP files, and said so."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.configuration.etude import Etude

    etude = Etude.charger(etude_preparee / "etude.yaml")
    diagnostics = {d.id: d for d in ci.diagnostiquer(etude)}
    assert set(diagnostics) == set(ci.CATALOGUE)
    # and what the real extracts of the demo cannot give: the Caf file by IRIS has no commune of
    # the territory split into IRIS, the BPE 2018 has no equipment type of the CTG's offer
    ctg = {"relais_petite_enfance", "accueils_loisirs", "centres_sociaux_evs"}
    iris = {"allocataires_aah_iris", "part_allocataires_aah_iris"}
    assert {i for i, d in diagnostics.items() if d.statut != "ok"} == {"taux_pauvrete"} | ctg | iris
    assert diagnostics["taux_pauvrete"].statut == "vide"
    assert "TP60 absente de FILO2019_DISP_COM.csv" in diagnostics["taux_pauvrete"].raison
    assert all("aucune ligne de data_CAF_2020_IRIS.csv" in diagnostics[i].raison for i in iris)
    assert all("nomenclature de la BPE 2018" in diagnostics[i].raison for i in ctg)
    # both sets of age bands of the RP 2023 (Insee's current ones, and the former ones summed from
    # the detailed ages) cover the whole population of the territory
    calcul = ci.Calcul(etude)

    def territoire(id_):
        table, _ = calcul.calculer(id_)
        return table[table["niveau"] == "territoire"]["valeur"].item()

    actuelles = ("part_0_14", "part_15_24", "part_25_39", "part_40_54", "part_55_64", "part_65_79", "part_80_plus")
    anciennes = ("part_0_14", "part_15_29", "part_30_44", "part_45_59", "part_60_74", "part_75_plus")
    assert sum(territoire(i) for i in actuelles) == pytest.approx(1.0)
    assert sum(territoire(i) for i in anciennes) == pytest.approx(1.0)


@pytest.mark.lent  # a generated study prepared from real files
def test_bordeaux_extraits_melodi_reels_et_dares(racine, tmp_path):
    """Bordeaux with the real Melodi extracts (RP 2023: population 15+ by PCS, families, dwellings,
    activity; BPE 2025) and the real Dares file, dropped under the names they came with: the
    recensement 2023 figures of Bordeaux come out, every other indicator says why it has none."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.sources import preparation as donnees
    from diagnostic_territorial.configuration.etude import Etude

    etude_dir = generer(racine, tmp_path, "33063", "bordeaux")
    brut = etude_dir / "data" / "brut"
    brut.mkdir(parents=True, exist_ok=True)
    for f in (REEL / "insee_melodi").glob("*.zip"):
        shutil.copy(f, brut / f.name)
    shutil.copy(REEL / "france_travail" / "dares_defm_communales-brutes.csv", brut)
    etude = Etude.charger(etude_dir / "etude.yaml")
    _, rapport = donnees.preparer(etude, telecharger=False, rapport=True)
    assert rapport.inconnus == []
    assert all(u for u in rapport.fichiers.values()), rapport.fichiers
    assert etude.millesimes["bpe"] == 2025  # « dernier »: the BPE of the Melodi extract
    calcul = ci.Calcul(etude)

    def bordeaux(id_, precedent=False):
        table, mention = calcul.calculer(id_, precedent=precedent)
        return table[(table["niveau"] == "commune") & (table["codgeo"] == "33063")]["valeur"].item(), mention

    # DS_RP_FAMILLE_COMP: « 33063;COM;1;_T;NBFAM;A;2023;11338.57897 » over « ...;_T;_T;NBFAM;A;2023;60948.94277 »
    part, mention = bordeaux("part_familles_monoparentales")
    assert part == pytest.approx(11338.57897 / 60948.94277)
    assert mention == "Source : Insee, RP 2023"
    avant, _ = bordeaux("part_familles_monoparentales", precedent=True)  # 2017, in the same file
    assert avant == pytest.approx(10942.65479 / 57342.49497)
    assert bordeaux("demandeurs_emploi")[0] == 29190
    diagnostics = ci.diagnostiquer(etude)
    assert all(d.statut == "ok" or d.raison for d in diagnostics)
    par_id = {d.id: d for d in diagnostics}
    assert par_id["part_familles_monoparentales"].statut == "ok"
    # the extract holds NCH=CH2_Y_LT25 only: the large families are absent, and the cells are named
    assert par_id["part_familles_nombreuses"].statut == "vide"
    assert "CH3_Y_LT25" in par_id["part_familles_nombreuses"].raison
