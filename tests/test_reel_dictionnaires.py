"""The variables the catalogue reads from the « bases communales » exist in Insee's own variable
dictionaries (shipped inside base-cc-emploi-pop-active-2020 and base-cc-logement-2021): a name
written from documentation that the real base does not hold would give an indicator silently
empty on the real file."""



from diagnostic_territorial.indicateurs import catalogue as ci

from conftest import REEL as REEL_BASE

REEL = REEL_BASE / "rp_meta"


def variables_du_dictionnaire(nom: str, yy: str) -> set[str]:
    """The variables of the main census of a base (`P20_LOG` -> `P_LOG`)."""
    lignes = (REEL / nom).read_text(encoding="utf-8-sig").splitlines()[1:]
    codes = {ligne.split(";", 1)[0] for ligne in lignes}
    return {c[0] + c[3:] for c in codes if c[1:3] == yy and c[3:4] == "_"}


def variables_du_catalogue(source: str) -> set[str]:
    sortie = set()
    for i in ci.CATALOGUE.values():
        autre = i.source_denominateur and i.source_denominateur != i.source
        termes = i.numerateur + (() if autre else i.denominateur) if i.source == source else ()
        if autre and i.source_denominateur == source:
            termes = i.denominateur
        sortie |= {t.lstrip("-") for t in termes}
    return sortie


def test_logement_2021():
    dictionnaire = variables_du_dictionnaire("meta_base-cc-logement-2021.CSV", "21")
    assert {"P_LOG", "P_RP", "P_LOGVAC", "P_RP_LOCHLMV", "P_MEN_ANEM0002"} <= dictionnaire
    # the occupation index of every main residence is published through Melodi only (RP 2023): the
    # base communale counted the overcrowded ones other than one-person studios (another definition)
    melodi_seulement = {"C_RP_SUROCC", "C_RP_PEUPLEMENT"}
    assert {"C_RP_HSTU1P_SUROCC", "C_RP_HSTU1P"} <= dictionnaire
    assert variables_du_catalogue("rp_logement") - melodi_seulement <= dictionnaire


def test_emploi_population_active_2020():
    dictionnaire = variables_du_dictionnaire("meta_base-cc-emploi-pop-active-2020_v2.CSV", "20")
    lues = variables_du_catalogue("rp_emploi_pop_active")
    assert lues <= dictionnaire, lues - dictionnaire
    # actifs occupés, salariés and commuting modes are NOT in this base: the catalogue reads them
    # from « caractéristiques de l'emploi » (base-cc-caract_emp, Melodi DS_RP_ACTIVITE/NAVETTES)
    for variable in ("P_ACTOCC15P", "P_SAL15P", "P_SAL15P_TP", "C_ACTOCC15P_VOIT"):
        assert variable not in dictionnaire
        assert all(i.source == "rp_caract_emploi" or i.source_denominateur == "rp_caract_emploi"
                   for i in ci.CATALOGUE.values() if variable in i.variables), variable
