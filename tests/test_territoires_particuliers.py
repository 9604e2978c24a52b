"""Territoires particuliers : l'étude d'une seule commune (l'ABS habituelle d'un CCAS), une liste de
communes sur deux départements (ou deux régions), et les codes d'arrondissements municipaux de
Paris, Lyon et Marseille, qui ne sont pas des communes du COG."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import vider_caches_referentiel
import yaml

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.erreurs import EtudeInvalide, TerritoireInvalide
from diagnostic_territorial.configuration.etude import Etude, ecrire_etude_yaml
from diagnostic_territorial.sources import cache
from diagnostic_territorial.sources.schema import Provenance
from diagnostic_territorial.territoire.resolution import referentiel, resoudre

RACINE = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def referentiel_reel():
    """The COG referential's lookups of indicateurs are cached: another test module that replaces
    the referential (test_catalogue's « petite France ») must not leak its communes here."""
    vider_caches_referentiel()
    yield
    vider_caches_referentiel()


def _etude(dossier: Path, code: str) -> Etude:
    """A study of `code` written as the post-generation hook writes it, then read back."""
    dossier.mkdir(parents=True, exist_ok=True)
    ecrire_etude_yaml(dossier / "etude.yaml", resoudre(code), slug="test", consultant="", rp=2019, filosofi=2019)
    return Etude.charger(dossier / "etude.yaml")


# --- Une liste de communes sur deux départements ------------------------------------------------


def test_liste_sur_deux_departements_resolue_avec_les_deux_references():
    t = resoudre("31135,09225")  # Cazères (Haute-Garonne), Pamiers (Ariège)
    assert t.departement == ("31", "Haute-Garonne")  # égalité : le premier cité est le principal
    assert t.departements == [("31", "Haute-Garonne"), ("09", "Ariège")]
    assert t.region == ("76", "Occitanie") and t.regions == [("76", "Occitanie")]
    d = t.to_dict()
    assert d["departement"] == {"code": "31", "nom": "Haute-Garonne"}
    assert d["departements"] == [{"code": "31", "nom": "Haute-Garonne"}, {"code": "09", "nom": "Ariège"}]
    # the main département is the one holding most communes, wherever it is in the list
    t = resoudre("09225,31135,31454")
    assert t.departements == [("31", "Haute-Garonne"), ("09", "Ariège")]
    # two régions: Pau (Pyrénées-Atlantiques, Nouvelle-Aquitaine), Tarbes (Hautes-Pyrénées, Occitanie)
    t = resoudre("64445,65440")
    assert [c for c, _ in t.departements] == ["64", "65"]
    assert t.regions == [("75", "Nouvelle-Aquitaine"), ("76", "Occitanie")]
    # a single EPCI or département keeps one reference of each
    assert resoudre("200068815").departements == [("31", "Haute-Garonne")]
    assert resoudre("dep:09").regions == [("76", "Occitanie")]


def test_references_d_une_etude_sur_deux_departements_et_deux_regions(tmp_path):
    e = _etude(tmp_path / "a", "31135,09225")
    assert e.departement == ("31", "Haute-Garonne")
    assert ind.references(e) == [("departement", "31", "Haute-Garonne"), ("departement", "09", "Ariège"),
                                 ("region", "76", "Occitanie"), ("france", "FRM", "France")]
    assert ind._references(e) == ind.references(e)  # the name other modules use
    e = _etude(tmp_path / "b", "64445,65440")
    assert ind.references(e) == [
        ("departement", "64", "Pyrénées-Atlantiques"), ("departement", "65", "Hautes-Pyrénées"),
        ("region", "75", "Nouvelle-Aquitaine"), ("region", "76", "Occitanie"), ("france", "FRM", "France")]


def test_etude_yaml_ancien_sans_listes_deduit_les_departements_des_communes(tmp_path):
    e = _etude(tmp_path, "31135,09225")
    chemin = tmp_path / "etude.yaml"
    data = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    assert [d["code"] for d in data["territoire"]["departements"]] == ["31", "09"]
    del data["territoire"]["departements"], data["territoire"]["regions"]  # a study written before
    chemin.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    ancien = Etude.charger(chemin)
    assert ancien.departement == ("31", "Haute-Garonne")
    assert ancien.departements == e.departements == [("31", "Haute-Garonne"), ("09", "Ariège")]
    assert ancien.regions == [("76", "Occitanie")]
    # an Etude built in code with the main references only (older callers) keeps working
    seule = Etude(racine=tmp_path, nom_territoire="T", slug="t", type_territoire="epci", code_territoire="1",
                  communes=e.communes, departement=("31", "Haute-Garonne"), region=("76", "Occitanie"),
                  epci=[], millesimes={})
    assert seule.departements == [("31", "Haute-Garonne")] and seule.regions == [("76", "Occitanie")]


def _ecrire_cache(etude, source: str, millesime: int, lignes: list[tuple]) -> None:
    df = pd.DataFrame([{"codgeo": c, "niveau": n, "variable": v, "millesime": millesime, "valeur": x, "secret": s}
                       for n, c, v, x, s in lignes])
    df = df.astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                    "valeur": "float64", "secret": "bool"})
    df.attrs["provenance"] = Provenance(source="Test", libelle=source, millesime=millesime)
    cache.ecrire(df, Path(etude.dossier_cache) / f"{source}_{millesime}.parquet")


def _population(code: str) -> float:
    """A distinct value per commune (not a real population)."""
    return float(int(code.replace("A", "0").replace("B", "1")) % 997 + 10)


def test_chaque_reference_est_la_somme_de_ses_propres_communes(tmp_path):
    """Counts: each département is the sum of ITS communes (or its own published row); a région
    the source covers only partly is « n.d. », never a partial sum nor an average."""
    e = _etude(tmp_path, "31135,09225")
    communes = referentiel()["communes"]
    dans = {d: [c for c, r in communes.items() if r["DEP"] == d] for d in ("31", "09")}
    lignes = [("commune", c, "PMUN", _population(c), False) for d in ("31", "09") for c in dans[d]]
    _ecrire_cache(e, "populations_legales", 2019, lignes)
    t, _ = ind.additifs(e, "populations_legales", 2019, ["PMUN"])
    v = {(n, c): x for n, c, x in zip(t["niveau"], t["codgeo"], t["PMUN"])}
    somme_31 = sum(_population(c) for c in dans["31"])
    somme_09 = sum(_population(c) for c in dans["09"])
    assert v[("departement", "31")] == somme_31
    assert v[("departement", "09")] == somme_09
    assert v[("territoire", "31135,09225")] == _population("31135") + _population("09225")
    assert np.isnan(v[("region", "76")]) and np.isnan(v[("france", "FRM")])  # 2 of 13 départements
    assert list(t["niveau"]) == ["commune", "commune", "territoire", "departement", "departement", "region",
                                 "france"]
    # a value the source publishes itself for a reference is read, not summed
    _ecrire_cache(e, "populations_legales", 2019, lignes + [("departement", "09", "PMUN", 153_287.0, False)])
    t, _ = ind.additifs(e, "populations_legales", 2019, ["PMUN"])
    v = {(n, c): x for n, c, x in zip(t["niveau"], t["codgeo"], t["PMUN"])}
    assert v[("departement", "09")] == 153_287.0 and v[("departement", "31")] == somme_31


def test_medianes_lues_pour_chaque_reference_jamais_moyennees(tmp_path):
    e = _etude(tmp_path, "31135,09225")
    _ecrire_cache(e, "filosofi", 2019, [
        ("commune", "31135", "Q2", 19060.0, False), ("commune", "09225", "Q2", np.nan, True),
        ("departement", "31", "Q2", 23380.0, False), ("departement", "09", "Q2", 20010.0, False),
        ("region", "76", "Q2", 20980.0, False), ("france", "FRM", "Q2", 21930.0, False)])
    t, _ = ind.publies(e, "filosofi", 2019, ["Q2"])
    v = {(n, c): x for n, c, x in zip(t["niveau"], t["codgeo"], t["Q2"])}
    assert v[("departement", "31")] == 23380.0 and v[("departement", "09")] == 20010.0
    assert v[("region", "76")] == 20980.0 and v[("france", "FRM")] == 21930.0
    assert np.isnan(v[("territoire", "31135,09225")])  # a median is not computed from communes
    secret = t[t["codgeo"] == "09225"].iloc[0]
    assert np.isnan(secret["Q2"]) and bool(secret["Q2__secret"])


def test_une_commune_seule_est_comparee_a_son_epci(tmp_path):
    e = _etude(tmp_path, "31135")
    assert ind.references(e) == [("epci", "200068815", "CC Cœur de Garonne"), ("departement", "31", "Haute-Garonne"),
                                 ("region", "76", "Occitanie"), ("france", "FRM", "France")]
    communes = referentiel()["communes"]
    membres = [c for c, r in communes.items() if r["EPCI"] == "200068815"]
    assert len(membres) == 48
    _ecrire_cache(e, "populations_legales", 2019,
                  [("commune", c, "PMUN", _population(c), False) for c, r in communes.items() if r["DEP"] == "31"])
    t, _ = ind.additifs(e, "populations_legales", 2019, ["PMUN"])
    v = {(n, c): x for n, c, x in zip(t["niveau"], t["codgeo"], t["PMUN"])}
    assert v[("epci", "200068815")] == sum(_population(c) for c in membres)
    assert v[("territoire", "31135")] == v[("commune", "31135")] == _population("31135")
    # homonyms get their level: Paris the commune, Paris the département
    assert ("departement", "75", "Paris (département)") in ind.references(_etude(tmp_path / "paris", "75056"))
    # communes of two EPCI: no EPCI reference (the départements and régions are the references)
    assert [n for n, _, _ in ind.references(_etude(tmp_path / "deux", "31135,31555"))] == [
        "departement", "region", "france"]


# --- Arrondissements municipaux et codes inconnus -------------------------------------------------


@pytest.mark.parametrize("code, ville, commune, rang", [
    ("75101", "Paris", "75056", "1er arrondissement"), ("75120", "Paris", "75056", "20e arrondissement"),
    ("69381", "Lyon", "69123", "1er arrondissement"), ("69389", "Lyon", "69123", "9e arrondissement"),
    ("13201", "Marseille", "13055", "1er arrondissement"), ("13216", "Marseille", "13055", "16e arrondissement"),
])
def test_arrondissement_municipal_refuse_avec_le_code_de_sa_commune(code, ville, commune, rang):
    with pytest.raises(TerritoireInvalide) as exc:
        resoudre(f"31135,{code}")
    message = str(exc.value)
    assert f"« {code} » est le code d'un arrondissement municipal de {ville} ({rang})" in message
    assert f"Utilisez le code commune {commune} ({ville})." in message
    assert "proche" not in message and "Vouliez-vous" not in message
    assert resoudre(commune).nom == ville


def test_arrondissement_dans_etude_yaml_modifie_a_la_main(tmp_path):
    _etude(tmp_path, "75056")
    chemin = tmp_path / "etude.yaml"
    chemin.write_text(chemin.read_text(encoding="utf-8").replace("code: '75056'", "code: '75112'"), encoding="utf-8")
    with pytest.raises(EtudeInvalide) as exc:
        Etude.charger(chemin)
    assert "ligne" in str(exc.value) and "Utilisez le code commune 75056 (Paris)" in str(exc.value)


@pytest.mark.parametrize("code, attendu, absent", [
    ("31999", "Code commune inconnu : « 31999 »", "Vouliez-vous"),  # no commune one slip away in the 31
    ("99999", "Aucun département n'a le code « 99 »", "Vouliez-vous"),
    ("20004", "2A004 (Ajaccio)", "Codes proches"),  # the pre-1976 Corsican code
    ("31153x", "mal formé", "Vouliez-vous"),
    ("200068816", "200068815 (CC Cœur de Garonne)", "Codes proches"),  # one digit wrong, with its name
])
def test_suggestions_jamais_sans_rapport(code, attendu, absent):
    with pytest.raises(TerritoireInvalide) as exc:
        resoudre(code)
    assert attendu in str(exc.value) and absent not in str(exc.value)


def test_suggestion_d_un_code_commune_dans_le_meme_departement():
    with pytest.raises(TerritoireInvalide) as exc:
        resoudre("2A999")
    message = str(exc.value)
    assert "Vouliez-vous dire : 2A099 (Cozzano) ?" in message
    suggeres = message.split("Vouliez-vous dire : ")[1]
    assert all(c.startswith("2A") for c in suggeres.replace(",", " ").split() if c[:1].isdigit())


# --- Chapitre 10 (accès aux droits) sur une seule commune -----------------------------------------


def _une_commune(tmp_path) -> types.SimpleNamespace:
    communes = pd.DataFrame([{"code": "31135", "nom": "Cazères", "departement": "31", "region": "76",
                              "epci": "200068815"}])
    return types.SimpleNamespace(
        nom_territoire="Cazères", type_territoire="communes", code_territoire="31135", communes=communes,
        epci=[("200068815", "CC Cœur de Garonne")], departement=("31", "Haute-Garonne"),
        region=("76", "Occitanie"), departements=[("31", "Haute-Garonne")], regions=[("76", "Occitanie")],
        dossier_cache=tmp_path / "absent", racine=tmp_path, millesimes={"filosofi": 2019, "filosofi_precedent": 2016})


def _table_filosofi(etude, valeurs: dict, secret_commune: bool = False) -> pd.DataFrame:
    """The table ind.publies gives for one commune: the commune, the territory (the commune's own
    published row) and every reference; every variable the chapter reads (NaN when not given)."""
    from diagnostic_territorial.chapitres import acces_aux_droits as aad

    lignes = [("Cazères", "commune", "31135"), ("Cazères", "territoire", "31135")]
    lignes += [(libelle, niveau, code) for niveau, code, libelle in ind.references(etude)]
    sortie = []
    for libelle, niveau, code in lignes:
        cle = "commune" if niveau == "territoire" else niveau
        ligne = {"libelle": libelle, "niveau": niveau, "codgeo": code}
        for variable in dict.fromkeys([*aad.VARIABLES, *valeurs]):
            secret = secret_commune and cle == "commune"
            ligne[variable] = np.nan if secret or variable not in valeurs else valeurs[variable][cle]
            ligne[variable + ind.SUFFIXE_SECRET] = secret
        sortie.append(ligne)
    return pd.DataFrame(sortie)


VALEURS = {
    "Q2": {"commune": 19060.0, "epci": 21800.0, "departement": 23380.0, "region": 20980.0, "france": 21930.0},
    "D1": {"commune": 10700.0, "epci": 12470.0, "departement": 11960.0, "region": 11020.0, "france": 11620.0},
    "D9": {"commune": 33260.0, "epci": 35330.0, "departement": 41480.0, "region": 36770.0, "france": 39600.0},
    "RD": {"commune": 3.1, "epci": 2.8, "departement": 3.5, "region": 3.3, "france": 3.4},
    "PPSOC": {"commune": 9.6, "epci": 6.1, "departement": 6.0, "region": 6.9, "france": 5.8},
    "PPMINI": {"commune": 4.5, "epci": 2.6, "departement": 2.7, "region": 3.2, "france": 2.5},
    "PPLOGT": {"commune": 2.2, "epci": 1.1, "departement": 1.4, "region": 1.6, "france": 1.3},
    "NBMEN": {"commune": 2100.0, "epci": 14700.0, "departement": 6e5, "region": 2.5e6, "france": 2.8e7},
}


@pytest.fixture
def affichages(monkeypatch):
    from diagnostic_territorial.rendu import presentation

    sorties: list[str] = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: sorties.append(contenu))
    return sorties


def test_chapitre_acces_aux_droits_sur_une_commune(tmp_path, affichages):
    from diagnostic_territorial.chapitres import acces_aux_droits as aad

    e = _une_commune(tmp_path)
    precedent = _table_filosofi(e, {"Q2": {k: v * 0.95 for k, v in VALEURS["Q2"].items()}})
    r = aad.Revenus(2019, 2016, table=_table_filosofi(e, VALEURS), precedent=precedent,
                    mention="Source : Insee, Filosofi 2019", mention_precedent="Source : Insee, Filosofi 2016")
    points = aad.points_cles(e, r)
    assert points[0] == (f"Revenu disponible médian 2019 : {fm.euros(19060)} par unité de consommation et par an "
                         f"(CC Cœur de Garonne : {fm.euros(21800)} ; Haute-Garonne : {fm.euros(23380)} ; "
                         f"France métropolitaine : {fm.euros(21930)}).")
    assert "(rapport interdécile ; CC Cœur de Garonne : 3,1" not in points[1]
    assert points[1].endswith("(rapport interdécile ; CC Cœur de Garonne : 2,8 ; Haute-Garonne : 3,5).")
    assert len(points) == 3 and not any("communes sur" in p for p in points)  # no spread between communes

    assert aad.afficher_communes(e, r) is None and aad.afficher_carte(e, r) is None
    assert affichages == []  # no table, chart or map « by commune » (and no contour read)

    aad.afficher_references(e, r)
    html = "".join(affichages)
    for libelle in ("Cazères", "CC Cœur de Garonne", "Haute-Garonne", "Occitanie", "France"):
        assert f">{libelle}<" in html
    assert html.count("<tr") == 1 + 5  # header, the commune (once) and its four references
    assert "regroupement libre" not in html and "donnees-manquantes" not in html
    affichages.clear()
    aad.afficher_evolution(e, r)
    assert "".join(affichages).count("+5,3") == 5  # 2016-2019 for the commune and each reference


def test_chapitre_acces_aux_droits_commune_au_revenu_secret(tmp_path):
    from diagnostic_territorial.chapitres import acces_aux_droits as aad

    e = _une_commune(tmp_path)
    r = aad.Revenus(2019, 2016, table=_table_filosofi(e, VALEURS, secret_commune=True))
    points = aad.points_cles(e, r)
    assert points == [f"Le revenu médian de Cazères n'est pas publié (secret statistique : trop peu de ménages "
                      f"fiscaux) (CC Cœur de Garonne : {fm.euros(21800)} ; Haute-Garonne : {fm.euros(23380)})."]


def test_nom_de_commune_apres_de():
    from diagnostic_territorial.chapitres.acces_aux_droits import de

    assert [de(n) for n in ("Cazères", "Ajaccio", "Évry-Courcouronnes", "Le Mans", "Les Abymes", "La Rochelle")] == [
        "de Cazères", "d'Ajaccio", "d'Évry-Courcouronnes", "du Mans", "des Abymes", "de La Rochelle"]


def test_chapitre_acces_aux_droits_reference_de_chaque_departement(tmp_path):
    from diagnostic_territorial.chapitres import acces_aux_droits as aad

    e = _une_commune(tmp_path)
    e.communes = pd.DataFrame([{"code": "31135", "nom": "Cazères", "departement": "31", "region": "76",
                                "epci": "200068815"},
                               {"code": "09225", "nom": "Pamiers", "departement": "09", "region": "76",
                                "epci": "200066231"}])
    e.nom_territoire, e.code_territoire = "Cazères et 1 autre commune", "31135,09225"
    e.departements = [("31", "Haute-Garonne"), ("09", "Ariège")]
    lignes = [{"libelle": "Cazères", "niveau": "commune", "codgeo": "31135", "Q2": 19060.0},
              {"libelle": "Pamiers", "niveau": "commune", "codgeo": "09225", "Q2": 18500.0},
              {"libelle": e.nom_territoire, "niveau": "territoire", "codgeo": e.code_territoire, "Q2": np.nan}]
    q2 = {"31": 23380.0, "09": 20010.0, "76": 20980.0, "FRM": 21930.0}
    lignes += [{"libelle": lib, "niveau": n, "codgeo": c, "Q2": q2[c]} for n, c, lib in ind.references(e)]
    table = pd.DataFrame(lignes)
    for v in aad.VARIABLES:
        table[v] = table[v] if v in table else np.nan
        table[v + ind.SUFFIXE_SECRET] = False
    points = aad.points_cles(e, aad.Revenus(2019, 2016, table=table))
    assert points[0] == ("Le revenu médian n'est pas publié pour un regroupement de communes : il se lit commune par "
                         f"commune (Haute-Garonne : {fm.euros(23380)} ; Ariège : {fm.euros(20010)}).")
    assert points[-1].startswith("Médiane publiée pour 2 communes sur 2")


# --- Une commune seule, de bout en bout ----------------------------------------------------------


def _make(etude: Path, *cibles: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(etude), *cibles, f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, timeout=1800)


def _enquete_simulee_sur_les_communes(etude: Path) -> None:
    """« make donnees-demo » installs the demo survey, whose respondents live in the communes of the
    CC Cœur de Garonne whatever the study: it is simulated again here, the same way, on the
    study's own communes (see the report of the change: cli.py should do this itself)."""
    sys.path.insert(0, str(etude / "src"))
    try:
        from diagnostic_territorial_demo.enquete import NOM_DANS_L_ETUDE, generer_export_demo
    finally:
        sys.path.pop(0)
    communes = yaml.safe_load((etude / "etude.yaml").read_text(encoding="utf-8"))["territoire"]["communes"]
    export = generer_export_demo(pd.DataFrame({"code": [c["code"] for c in communes],
                                               "population": [1000.0] * len(communes)}))
    export.to_csv(etude / "enquete" / NOM_DANS_L_ETUDE, index=False, quoting=csv.QUOTE_ALL)


@pytest.mark.lent
def test_etude_d_une_seule_commune_de_bout_en_bout(tmp_path):
    from cookiecutter.main import cookiecutter

    etude = Path(cookiecutter(str(RACINE), no_input=True, output_dir=str(tmp_path),
                              extra_context={"code_territoire": "31135", "territoire": "cazeres"}))
    resultat = _make(etude, "donnees-demo")
    assert resultat.returncode == 0, resultat.stdout[-3000:] + resultat.stderr[-3000:]
    _enquete_simulee_sur_les_communes(etude)
    # what a single commune changes: the chapters, the HTML report and the fiche (the PDF, synthèse
    # and slides are built from the same results: test_bout_en_bout covers them on the demo)
    resultat = _make(etude, "donnees", "notebooks", "rapport-html", "fiches-communes")
    sortie = resultat.stdout[-3000:] + resultat.stderr[-3000:]
    assert (etude / "build" / "execution.json").exists(), sortie
    journal = json.loads((etude / "build" / "execution.json").read_text(encoding="utf-8"))
    echecs = {cle: e["erreur"] for cle, e in journal.items() if e["statut"] != "ok"}
    assert not echecs, echecs
    assert resultat.returncode == 0, sortie
    assert len(journal) == 14

    rapport = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")
    # the title names the commune, after « Document de travail » while proposals remain to review
    # (the demo's proposed syntheses are not reviewed: livrables.commun.etat_livrable)
    titre = rapport.split("<title>", 1)[1].split("</title>", 1)[0]
    travail = 'class="bandeau-travail"' in rapport
    assert travail and titre.startswith("Document de travail — Cazères — "), titre
    assert "1 commune · Haute-Garonne" in rapport
    # the commune against its EPCI and its département: the published medians of the study's
    # (real) Filosofi file, read for each of them
    e = Etude.charger(etude / "etude.yaml")
    annee = e.millesimes["filosofi"]
    t, _ = ind.publies(e, "filosofi", annee, ["Q2"])
    q2 = {(n, c): v for n, c, v in zip(t["niveau"], t["codgeo"], t["Q2"])}
    if annee == 2019:  # checked by hand in FILO2019_DISP_COM.csv and the EPCI file
        assert (q2[("territoire", "31135")], q2[("epci", "200068815")]) == (19060.0, 21800.0)
    assert (f"Revenu disponible médian {annee} : {fm.euros(q2[('territoire', '31135')])} par unité de "
            f"consommation et par an (CC Cœur de Garonne : {fm.euros(q2[('epci', '200068815')])} ; "
            f"Haute-Garonne : {fm.euros(q2[('departement', '31')])}") in rapport
    # nothing « by commune »: no communes table, no communes' median section, no spread
    assert "Les communes du territoire" not in rapport
    assert "Revenu médian des communes" not in rapport
    assert "selon les communes" not in rapport and "1 communes" not in rapport
    # in the document (the stylesheet's comment names the box of a chapter not produced)
    assert "Chapitre en cours de production" not in rapport.split("<body", 1)[1]
    fiches = list((etude / "livrables" / "fiches-communes").glob("31135-*.pdf"))
    assert [f.name for f in fiches] == ["31135-cazeres.pdf"]
