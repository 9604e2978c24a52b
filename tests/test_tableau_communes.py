"""The communes' table of a section (chapitres/generique.py) on values made by hand: an indicator
the source does not publish by commune (the Cnaf's AAH and AEEH: only « n.d. » in its column) gets
a sentence, not a column; and the one lookup of the communes' populations the comments and the
maps share."""

from types import SimpleNamespace

import pandas as pd
import pytest

from diagnostic_territorial.chapitres import generique
from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.rendu import presentation

COMMUNES = [("31135", "Cazères"), ("31187", "Le Fousseret"), ("31451", "Rieumes")]


def valeur(communes: list, territoire: float, secret: tuple = ()) -> generique.Valeur:
    lignes = [dict(libelle=nom, niveau="commune", codgeo=code, valeur=v, secret=code in secret)
              for (code, nom), v in zip(COMMUNES, communes)]
    lignes.append(dict(libelle="CC Cœur de Garonne", niveau="territoire", codgeo="200068815", valeur=territoire,
                       secret=False))
    return generique.Valeur(pd.DataFrame(lignes), "Source : Cnaf, test", 2024)


@pytest.fixture
def chapitre():
    ch = generique.ChapitreIndicateurs.__new__(generique.ChapitreIndicateurs)
    ch.etude = SimpleNamespace(communes=pd.DataFrame({"code": [c for c, _ in COMMUNES], "nom": [n for _, n in COMMUNES]}),
                               nom_territoire="CC Cœur de Garonne")
    ch.calcul = SimpleNamespace(indicateur=ci.indicateur)
    ch.references = []
    nd = float("nan")
    ch.valeurs = {
        "foyers_aah": valeur([nd, nd, nd], 605.0),  # published by intercommunalité only
        "part_allocataires_aah": valeur([nd, nd, nd], 0.096),
        "foyers_aeeh": valeur([nd, nd, nd], 245.0),
        "foyers_rsa": valeur([120.0, nd, 35.0], 412.0, secret=("31187",)),  # a secret commune is published
    }
    return ch


def _affiches(monkeypatch) -> list[str]:
    sorties = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: sorties.append(contenu))
    return sorties


def test_pas_de_tableau_de_communes_vide(chapitre, monkeypatch):
    sorties = _affiches(monkeypatch)
    section = generique.Section("handicap", "Allocations liées au handicap (AAH, AEEH)",
                                ("foyers_aah", "part_allocataires_aah", "foyers_aeeh"), carte="part_allocataires_aah")
    chapitre._tableau_communes(section, list(section.indicateurs))
    assert len(sorties) == 1 and "<table" not in sorties[0] and "n.d." not in sorties[0]
    courts = [ci.indicateur(i).libelle_court for i in section.indicateurs]
    assert sorties[0] == ('<p class="note">Pas de tableau par commune : la source ne publie pas ces chiffres par commune '
                          f"({courts[0]}, {courts[1]} et {courts[2]}) ; ils sont donnés ci-dessus pour le territoire "
                          "et ses références.</p>")


def test_colonne_non_publiee_par_commune_retiree(chapitre, monkeypatch):
    sorties = _affiches(monkeypatch)
    section = generique.Section("minima", "RSA et AAH", ("foyers_rsa", "foyers_aah"), carte="foyers_aah")
    chapitre._tableau_communes(section, ["foyers_rsa", "foyers_aah"])
    html = "".join(sorties)
    rsa, aah = ci.indicateur("foyers_rsa").libelle_court, ci.indicateur("foyers_aah").libelle_court
    assert f">{rsa}<" in html and f">{aah}<" not in html  # the column of the published indicator only
    assert ">120<" in html and ">s<" in html  # Cazères, and Le Fousseret masked: published (« s »)
    assert sorties[-1] == f'<p class="note">{aah} : la source ne publie pas ce chiffre par commune.</p>'


def test_une_seule_recherche_des_populations(chapitre, monkeypatch):
    """The comments and the maps read the same populations (populations légales, else the census),
    computed once."""
    appels = []

    def calculer(id_):
        appels.append(id_)
        if id_ == "population_municipale":
            raise ci.MillesimeInconnu("populations_legales")
        return pd.DataFrame([dict(niveau="commune", codgeo=code, valeur=v) for (code, _), v in
                             zip(COMMUNES, (4799.0, 2100.0, 3800.0))]), "Source : test"

    chapitre.calcul = SimpleNamespace(indicateur=ci.indicateur, calculer=calculer)
    attendu = {"31135": 4799.0, "31187": 2100.0, "31451": 3800.0}
    assert chapitre.populations() == attendu and appels == ["population_municipale", "population_rp"]
    assert chapitre.populations() == attendu and len(appels) == 2  # computed once


def test_la_carte_nomme_les_communes_par_la_meme_population(chapitre, tmp_path):
    """The map of a section weighs its communes (the most populous are named) by
    :meth:`populations`, without a lookup of its own (populations légales missing: the census)."""
    from diagnostic_territorial.rendu import cartes

    chapitre.etude.dossier_cache = tmp_path
    chapitre.calcul = SimpleNamespace(indicateur=ci.indicateur)  # nothing else to compute
    chapitre._cache_populations = {"31135": 4799.0, "31187": 2100.0, "31451": 3800.0}
    donnees = chapitre._donnees_carte(generique.Section("minima", "RSA", ("foyers_rsa",), carte="foyers_rsa"))
    poids = dict(zip(donnees["gdf"]["code"], donnees["gdf"][cartes.COLONNE_POIDS]))
    assert poids == chapitre._cache_populations


def test_libelle_avec_un_nombre_insecable(chapitre, monkeypatch):
    """« Médecins généralistes (pour 1 000 hab.) » was cut between « 1 » and « 000 » in the PDF's
    tables: the column's title keeps its figure whole."""
    sorties = _affiches(monkeypatch)
    chapitre.valeurs["medecins_pour_1000"] = valeur([1.2, 0.0, 0.8], 0.9)
    court = ci.indicateur("medecins_pour_1000").libelle_court
    assert "1 000" in court  # as the catalogue writes it
    chapitre._tableau_communes(generique.Section("sante", "Santé", ("medecins_pour_1000",)), ["medecins_pour_1000"])
    html = "".join(sorties)
    assert court.replace("1 000", "1\u202f000") in html and "1 000" not in html
