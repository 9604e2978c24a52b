"""etude.yaml, as written at generation and as edited by hand."""

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostic_territorial.erreurs import EtudeInvalide
from diagnostic_territorial.configuration.etude import Etude, ecrire_etude_yaml
from diagnostic_territorial.territoire.resolution import resoudre


@pytest.fixture
def etude_yaml(tmp_path) -> Path:
    chemin = tmp_path / "etude.yaml"
    ecrire_etude_yaml(chemin, resoudre("200068815"), "cc-coeur-de-garonne", "Cabinet", 2019, 2019, "CTG")
    return chemin


def test_relecture_de_l_etude_generee(etude_yaml):
    e = Etude.charger(etude_yaml)
    assert e.nom_territoire == "CC Cœur de Garonne"
    assert len(e.communes) == 48
    # explicit years are kept; « dernier » with nothing in data/brut/ is the latest published (it
    # will be downloaded), previous millésimes follow the rules of donnees.PRECEDENTS
    assert {k: e.millesimes[k] for k in ("rp", "rp_precedent", "filosofi", "filosofi_precedent")} == {
        "rp": 2019, "rp_precedent": 2013, "filosofi": 2019, "filosofi_precedent": 2016}
    assert e.millesimes_demandes["populations_legales"] == "dernier"
    assert e.millesimes["populations_legales"] == 2023 and e.millesimes["caf_communes"] == 2024
    assert "aucun fichier dans data/brut" in e.explications_millesimes["caf_communes"]
    assert e.dossier_brut == etude_yaml.parent / "data" / "brut"
    assert e.communes.loc[e.communes["code"] == "31135", "nom"].item() == "Cazères"


def remplacer(chemin: Path, avant: str, apres: str) -> None:
    chemin.write_text(chemin.read_text(encoding="utf-8").replace(avant, apres, 1), encoding="utf-8")


def test_code_commune_inconnu_modifie_a_la_main_nomme_fichier_et_ligne(etude_yaml):
    remplacer(etude_yaml, "'31135'", "'31999'")
    ligne = next(i for i, l in enumerate(etude_yaml.read_text(encoding="utf-8").splitlines(), 1) if "31999" in l)
    with pytest.raises(EtudeInvalide) as exc:
        Etude.charger(etude_yaml)
    assert f"ligne {ligne}" in str(exc.value) and "« 31999 »" in str(exc.value)


def test_commune_fusionnee_dans_une_commune_nouvelle(etude_yaml):
    remplacer(etude_yaml, "'31135'", "'01059'")
    with pytest.raises(EtudeInvalide, match="commune nouvelle « 01453 »"):
        Etude.charger(etude_yaml)


def test_millesime_hors_plage(etude_yaml):
    remplacer(etude_yaml, "rp: 2019", "rp: 2031")
    with pytest.raises(EtudeInvalide, match="hors plage : 2031"):
        Etude.charger(etude_yaml)


def test_fichier_absent_ou_non_utf8(tmp_path):
    with pytest.raises(EtudeInvalide, match="introuvable"):
        Etude.charger(tmp_path / "etude.yaml")
    (tmp_path / "etude.yaml").write_bytes("territoire: Cazères\n".encode("latin-1"))
    with pytest.raises(EtudeInvalide, match="UTF-8"):
        Etude.charger(tmp_path / "etude.yaml")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_yaml_quelconque_erreur_claire_ou_lecture(tmp_path, texte):
    """Any text in etude.yaml gives an EtudeInvalide (French message) or a valid study."""
    chemin = tmp_path / "etude.yaml"
    chemin.write_text(texte, encoding="utf-8")
    try:
        Etude.charger(chemin)
    except EtudeInvalide as e:
        assert str(chemin) in str(e)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["etude", "territoire", "millesimes"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5),
                                 st.dictionaries(st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=6),
                                                                                 st.lists(st.integers()))))))
def test_structure_yaml_quelconque(tmp_path, data):
    chemin = tmp_path / "etude.yaml"
    chemin.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(EtudeInvalide):
        Etude.charger(chemin)


def test_cadre_de_l_etude_ecrit_et_relu(tmp_path):
    """etude.cadre (ctg, abs, dst) is a field of etude.yaml: written at generation, read as
    Etude.cadre (any case), refused with its line when unknown."""
    chemin = tmp_path / "etude.yaml"
    ecrire_etude_yaml(chemin, resoudre("200068815"), "cc-coeur-de-garonne", "Cabinet", 2019, 2019,
                      "Analyse des besoins sociaux (ABS)", cadre="abs")
    assert yaml.safe_load(chemin.read_text(encoding="utf-8"))["etude"]["cadre"] == "abs"
    assert Etude.charger(chemin).cadre == "abs"
    remplacer(chemin, "cadre: abs", "cadre: DST")
    assert Etude.charger(chemin).cadre == "dst"
    remplacer(chemin, "cadre: DST", "cadre: caf")
    ligne = next(i for i, l in enumerate(chemin.read_text(encoding="utf-8").splitlines(), 1) if "cadre: caf" in l)
    with pytest.raises(EtudeInvalide) as exc:
        Etude.charger(chemin)
    assert f"ligne {ligne}" in str(exc.value) and "cadre inconnu : « caf »" in str(exc.value)


@pytest.mark.parametrize("sous_titre, attendu", [
    ("Analyse des besoins sociaux (ABS)", "abs"),
    ("Diagnostic préalable à la Convention territoriale globale (CTG)", "ctg"),
    ("Diagnostic social de territoire", "dst"),
    ("Étude sur mesure", "ctg"),  # a free subtitle: the template's default answer
])
def test_cadre_d_une_etude_ecrite_avant_le_champ(tmp_path, sous_titre, attendu):
    """A study generated before etude.cadre existed gets the frame its subtitle names, else « ctg »."""
    chemin = tmp_path / "etude.yaml"
    ecrire_etude_yaml(chemin, resoudre("200068815"), "cc-coeur-de-garonne", "Cabinet", 2019, 2019, sous_titre)
    data = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    del data["etude"]["cadre"]
    chemin.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert Etude.charger(chemin).cadre == attendu
