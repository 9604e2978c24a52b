"""An effectif (a count, a balance, an area: additive over communes) is never compared with the
département's, and its change is written so that a reader can use it."""

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.sources.preparation import SOURCES_NON_ADDITIVES


def test_un_indicateur_sans_denominateur_d_une_source_additive_est_un_effectif():
    """The comments, the synthèse and the charts recognise an effectif by its unit « nombre »: an
    indicator summed from communes without a denominator must carry it (a solde in « indice » was
    compared with the département's, 15 000 times larger)."""
    fautes = [i.id for i in ci.CATALOGUE.values()
              if not i.denominateur and i.source not in SOURCES_NON_ADDITIVES
              and i.unite not in ("nombre", "evolution")]
    assert not fautes, fautes
    assert {ci.CATALOGUE[k].unite for k in ("solde_naturel", "solde_migratoire", "superficie")} == {"nombre"}


def test_evolution_d_un_solde_qui_change_de_signe():
    solde = ci.CATALOGUE["solde_naturel"]
    # demo, CC Cœur de Garonne: 306 over 2011-2017, -177 over 2017-2023
    assert ci.ecart(solde, 306, -177) == "-483"
    assert ci.ecart(solde, -177, 40) == "+217"
    assert ci.ecart(solde, 0, 12) == "+12"


def test_evolution_d_un_effectif_positif_reste_relative():
    naissances = next(i for i in ci.CATALOGUE.values() if i.numerateur == ("NAIS",))
    assert ci.ecart(naissances, 1848, 1877) == "+1,6\u00a0%"
