import pytest

from diagnostic_territorial.erreurs import TerritoireInvalide
from diagnostic_territorial.territoire import analyser_code, resoudre


def test_epci_coeur_de_garonne_resolu_depuis_le_cog():
    t = resoudre("200068815")
    assert t.type == "epci"
    assert t.nom == "CC Cœur de Garonne"
    assert len(t.communes) == 48
    assert t.departement == ("31", "Haute-Garonne")
    assert t.region == ("76", "Occitanie")
    codes = {c.code for c in t.communes}
    assert {"31135", "31454", "31051"} <= codes  # Cazères, Rieumes, Beaufort
    assert "31107" not in codes  # Carbonne : CC du Volvestre
    assert all(c.epci == "200068815" for c in t.communes)


def test_liste_de_communes_y_compris_la_corse():
    t = resoudre(" 2A004, 2b033 ")
    assert t.type == "communes"
    assert [c.code for c in t.communes] == ["2A004", "2B033"]
    assert t.communes[0].nom == "Ajaccio"
    assert t.communes[1].nom == "Bastia"
    assert t.code == "2A004,2B033"


def test_departement_principal_est_celui_de_la_majorite_des_communes():
    t = resoudre("31003,31033,09001")  # deux communes de Haute-Garonne, une de l'Ariège
    assert t.departement == ("31", "Haute-Garonne")


@pytest.mark.parametrize(
    "code, attendu",
    [
        ("", "vide"),
        ("12345678", "« 12345678 »"),
        ("31003,ABCDE", "« ABCDE »"),
        ("2C004", "« 2C004 »"),
        ("99999", "Code commune inconnu : « 99999 »"),
        ("200068816", "n'est pas celui d'un EPCI"),
        ("31003,31003", "en double"),
        ("01059", "commune nouvelle « 01453 »"),
    ],
)
def test_codes_invalides_ont_un_message_qui_nomme_la_valeur(code, attendu):
    with pytest.raises(TerritoireInvalide) as exc:
        resoudre(code)
    assert attendu in str(exc.value)


def test_analyse_syntaxique_accepte_points_virgules_et_espaces():
    assert analyser_code("31003; 31033") == ("communes", ["31003", "31033"])
    assert analyser_code("200068815") == ("epci", ["200068815"])
