import pytest

from diagnostic_territorial.erreurs import TerritoireInvalide
from diagnostic_territorial.territoire.resolution import analyser_code, resoudre


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


@pytest.mark.parametrize("code", ["dep:31", "31", "DEP:31", "dep: 31"])
def test_departement_entier(code):
    t = resoudre(code)
    assert t.type == "departement"
    assert t.code == "31"
    assert t.nom == "Haute-Garonne"
    assert len(t.communes) == 586
    assert t.departement == ("31", "Haute-Garonne")
    assert t.region == ("76", "Occitanie")
    assert all(c.departement == "31" for c in t.communes)
    assert ("200068815", "CC Cœur de Garonne") in t.epci


def test_departements_corses_et_d_outre_mer():
    assert resoudre("dep:2a").nom == "Corse-du-Sud"
    assert analyser_code("2B") == ("departement", ["2B"])
    t = resoudre("974")
    assert (t.type, t.nom, t.region[1]) == ("departement", "La Réunion", "La Réunion")


@pytest.mark.parametrize("code, attendu", [("dep:99", "Département inconnu : « 99 »"),
                                            ("dep:3", "dep:31, dep:2A"), ("310", "« 310 »")])
def test_departement_invalide(code, attendu):
    with pytest.raises(TerritoireInvalide) as exc:
        resoudre(code)
    assert attendu in str(exc.value)


def test_grand_territoire_tableau_reduit_aux_extremes():
    import pandas as pd

    from diagnostic_territorial.chapitres import reduire_communes

    n = 586
    niveaux = ["territoire", "departement", "region", "france"] + ["commune"] * n
    valeurs = [1e6, 1e6, 5e6, 6e7] + [float(i) for i in range(n)]
    valeurs[4 + 7] = float("nan")  # secret: never ranked, counted among the hidden ones
    table = pd.DataFrame({"Territoire": [f"T{i}" for i in range(n + 4)], "Population": valeurs})
    r = reduire_communes(table, niveaux, valeurs, "Les plus peuplées :", "Les moins peuplées :")
    textes = list(r["Territoire"])
    assert textes[:4] == ["T0", "T1", "T2", "T3"]
    assert textes[4] == "Les plus peuplées :"
    assert textes[5:15] == [f"T{4 + i}" for i in range(n - 1, n - 11, -1)]
    assert textes[15] == f"… {n - 20} autres communes non affichées (sur {n}), dont 1 sans valeur publiée …"
    assert textes[16] == "Les moins peuplées :"
    assert textes[17:] == [f"T{4 + i}" for i in (10, 9, 8, 6, 5, 4, 3, 2, 1, 0)]
    assert len(r) == 4 + 1 + 10 + 1 + 1 + 10
    petit = reduire_communes(table.head(20), niveaux[:20], valeurs[:20], "h", "b")
    assert len(petit) == 20
