"""Catalogue of indicators and observation ciblée, on the demo study's caches (real Filosofi and
populations légales; RP simulated in the published layout)."""

import os

import nbformat
import numpy as np
import pytest

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.indicateurs import observation
from diagnostic_territorial.configuration.etude import Etude

from conftest import copie_etude


@pytest.fixture(scope="module")
def etude(etude_preparee, tmp_path_factory):
    """The demo study with its data (a copy: these tests edit observation_ciblee.yaml)."""
    return Etude.charger(copie_etude(etude_preparee, tmp_path_factory.mktemp("obs")) / "etude.yaml")


def ligne(table, niveau, code=None):
    t = table[table["niveau"] == niveau]
    if code:
        t = t[t["codgeo"] == code]
    return t.iloc[0]


def test_taux_du_territoire_rapport_de_sommes_et_non_moyenne_de_taux(etude):
    table, mention = ci.calculer(etude, "part_80_plus")
    rp = etude.millesimes["rp"]
    brut, _ = ind.additifs(etude, "rp_evol_struct_pop", rp, ["P_POP80P", "P_POP"])
    communes = brut[brut["niveau"] == "commune"]
    attendu = communes["P_POP80P"].sum() / communes["P_POP"].sum()
    assert ligne(table, "territoire")["valeur"] == pytest.approx(attendu)
    moyenne_des_taux = (communes["P_POP80P"] / communes["P_POP"]).mean()
    assert abs(attendu - moyenne_des_taux) > 1e-4  # the two differ: the catalogue does not average rates
    assert "données simulées" in mention


def test_mediane_lue_au_niveau_publie_et_absente_reste_absente(etude):
    table, mention = ci.calculer(etude, "revenu_median")
    assert mention == "Source : Insee, Filosofi 2019"
    assert ligne(table, "territoire")["valeur"] == 21800  # FILO2019_DISP_EPCI, 200068815
    assert ligne(table, "departement")["valeur"] == 23380
    assert ligne(table, "france")["valeur"] == 21930
    assert ligne(table, "commune", "31135")["valeur"] == 19060  # Cazères
    assert np.isnan(ligne(table, "commune", "31204")["valeur"])  # Fustignac: absent of the file


def test_populations_legales_reelles(etude):
    table, _ = ci.calculer(etude, "population_municipale")
    assert ligne(table, "territoire")["valeur"] == 34937
    assert ligne(table, "commune", "31135")["valeur"] == 4799
    assert ligne(table, "departement")["valeur"] == 1400039


def test_rapport_interdecile_secret_reste_masque(etude):
    table, _ = ci.calculer(etude, "rapport_interdecile")
    beaufort = ligne(table, "commune", "31051")  # only the median is published for Beaufort
    assert bool(beaufort["secret"]) and np.isnan(beaufort["valeur"])
    assert ligne(table, "territoire")["valeur"] == pytest.approx(2.8)


YAML = """
indicateurs:
  - id: part_jeunes
    type: populationnel
    libelle: Part des 15-24 ans
    numerateur: P_POP1524
    denominateur: P_POP
  - id: fragilite
    type: conceptuel
    libelle: Fragilité
    composantes:
      - {indicateur: part_jeunes, poids: -1}
      - {indicateur: revenu_median, poids: -2}
  - id: pop_2030
    type: prospectif
    libelle: Population 2030
    indicateur: population_rp
    horizon: 2030
"""


def test_trois_types_d_indicateurs_declares(etude, tmp_path):
    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text(YAML, encoding="utf-8")
    r = {x.definition.id: x for x in observation.calculer(etude, chemin)}
    rp, avant = etude.millesimes["rp"], etude.millesimes["rp_precedent"]
    brut, _ = ind.additifs(etude, "rp_evol_struct_pop", rp, ["P_POP1524", "P_POP"])
    ter = ligne(brut, "territoire")
    assert ligne(r["part_jeunes"].table, "territoire")["valeur"] == pytest.approx(ter["P_POP1524"] / ter["P_POP"])
    # composite: z-scores over the communes, weighted
    jeunes = r["part_jeunes"].table.set_index("codgeo")["valeur"]
    revenu, _ = ci.calculer(etude, "revenu_median")
    revenu = revenu.set_index("codgeo")["valeur"]
    communes = list(etude.communes["code"])
    zj = (jeunes - jeunes[communes].mean()) / jeunes[communes].std(ddof=0)
    zr = (revenu - revenu[communes].mean()) / revenu[communes].std(ddof=0)
    attendu = -zj["31135"] - 2 * zr["31135"]
    assert ligne(r["fragilite"].table, "commune", "31135")["valeur"] == pytest.approx(attendu)
    # projection: P23 * (P23 / P17) ** (7 / 6)
    fin = ligne(ind.additifs(etude, "rp_evol_struct_pop", rp, ["P_POP"], rp)[0], "territoire")["P_POP"]
    debut = ligne(ind.additifs(etude, "rp_evol_struct_pop", rp, ["P_POP"], avant)[0], "territoire")["P_POP"]
    assert (rp, avant) == (2023, 2017)
    assert abs(fin / 34937 - 1) < 0.08  # the simulated RP 2023 follows the real légale population 2019
    assert ligne(r["pop_2030"].table, "territoire")["valeur"] == pytest.approx(
        fin * (fin / debut) ** ((2030 - rp) / (rp - avant)))


def test_variable_inconnue_liste_les_noms_proches(etude, tmp_path):
    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text(YAML.replace("numerateur: P_POP1524", "numerateur: P23_POP1524"), encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide) as exc:
        observation.calculer(etude, chemin)
    message = str(exc.value)
    assert "« P23_POP1524 » inconnue" in message and "P_POP1524" in message and "ligne 3" in message


@pytest.mark.parametrize("avant, apres, attendu", [
    ("type: prospectif", "type: futuriste", "type « futuriste » inconnu"),
    ("indicateur: part_jeunes, poids: -1", "indicateur: part_jeune, poids: -1", "composante « part_jeune » inconnue"),
    ("horizon: 2030", "horizon: demain", "champ mal formé"),
])
def test_erreurs_de_declaration(etude, tmp_path, avant, apres, attendu):
    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text(YAML.replace(avant, apres), encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide, match=attendu):
        observation.calculer(etude, chemin)


def test_valeurs_dans_le_notebook_execute(etude, tmp_path):
    import papermill as pm

    (etude.racine / "observation_ciblee.yaml").write_text(YAML, encoding="utf-8")
    sortie = tmp_path / "12.ipynb"
    env_avant = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(etude.racine / "src")
    try:
        pm.execute_notebook(str(etude.racine / "notebooks" / "12_observation_ciblee.ipynb"), str(sortie),
                            parameters={"etude_yaml": str(etude.chemin)}, kernel_name="python3",
                            cwd=str(etude.racine / "notebooks"), progress_bar=False)
    finally:
        if env_avant is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = env_avant
    nb = nbformat.read(sortie, as_version=4)
    html = " ".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    table, _ = observation.calculer(etude)[0].table, None
    part = ligne(table, "territoire")["valeur"]
    from diagnostic_territorial.rendu import formats as fm

    assert f"Part des 15-24 ans : {fm.pourcentage(part)}" in html
    assert "Population 2030" in html and "Fragilité" in html
    assert html.count('class="carte-interactive"') == 3


def test_indicateur_d_enquete_protege(etude, tmp_path):
    """« enquete » type: share of respondents answering Y to « renoncement », from the protected
    table by commune of residence: the territory's value is the table's Ensemble share, communes
    with few respondents are grouped (n.d.), a commune whose cell is suppressed is « s »."""
    from diagnostic_territorial import enquete as eq

    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text("indicateurs:\n  - id: renoncement\n    type: enquete\n    libelle: Renoncement\n"
                      "    question: renoncement\n    reponses: [Y]\n", encoding="utf-8")
    r = observation.calculer(etude, chemin)[0]
    e = eq.charger_enquete(etude)
    publie = eq.tabuler(e, "renoncement", par="commune").publie()
    oui = publie[publie["modalite"] == "Oui"].set_index("groupe")
    assert ligne(r.table, "territoire")["valeur"] == pytest.approx(oui.loc[eq.ENSEMBLE, "part"])
    assert 0.05 < ligne(r.table, "territoire")["valeur"] < 0.5
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    for _, l in r.table[r.table["niveau"] == "commune"].iterrows():
        nom = noms[l["codgeo"]]
        if nom not in oui.index:  # grouped with the small communes: not published alone
            assert np.isnan(l["valeur"]) and not l["secret"]
        elif oui.loc[nom, "secret"]:
            assert np.isnan(l["valeur"]) and l["secret"]
        else:
            assert l["valeur"] == pytest.approx(oui.loc[nom, "part"])
    assert r.table["valeur"].notna().sum() >= 3  # a few communes have enough respondents
    assert "enquête auprès des habitants" in r.mention
    chemin.write_text(chemin.read_text(encoding="utf-8").replace("[Y]", "[Peut-être]"), encoding="utf-8")
    with pytest.raises(observation.ObservationInvalide, match="Peut-être.*codes possibles : N, Y"):
        observation.calculer(etude, chemin)


def test_populationnel_calcule_par_le_moteur_du_catalogue(etude, tmp_path):
    """A declared indicator is computed by the catalogue's engine (Calcul): same values as the
    catalogue's indicator written the same way, and its conventions work in the declaration
    (« -X » subtracts a variable)."""
    chemin = tmp_path / "observation_ciblee.yaml"
    chemin.write_text(
        "indicateurs:\n"
        "  - id: part_0_14_declaree\n    type: populationnel\n    libelle: Part des 0-14 ans\n"
        "    numerateur: P_POP0014\n    denominateur: P_POP\n    unite: part\n"
        "  - id: part_15_ou_plus\n    type: populationnel\n    libelle: Part des 15 ans ou plus\n"
        "    numerateur: [P_POP, -P_POP0014]\n    denominateur: P_POP\n    unite: part\n",
        encoding="utf-8")
    r = {x.definition.id: x for x in observation.calculer(etude, chemin)}
    catalogue, mention = ci.calculer(etude, "part_0_14")
    declaree = r["part_0_14_declaree"].table
    assert list(declaree["codgeo"]) == list(catalogue["codgeo"])
    assert declaree["valeur"].equals(catalogue["valeur"]) and declaree["secret"].equals(catalogue["secret"])
    assert r["part_0_14_declaree"].mention == mention
    brut, _ = ind.additifs(etude, "rp_evol_struct_pop", etude.millesimes["rp"], ["P_POP0014", "P_POP"])
    ter = ligne(brut, "territoire")
    assert ligne(r["part_15_ou_plus"].table, "territoire")["valeur"] == pytest.approx(
        (ter["P_POP"] - ter["P_POP0014"]) / ter["P_POP"])
