"""Issue 16: the territory, the département, the région and France are read in the published file of
their level (Filosofi EPCI / DEP / REG / METROPOLE), never recomputed from the communes, so that a
commune the source masks never turns a reference into « s »; a count the source publishes only by
commune (Caf s_ben_com_f) is summed from every commune of the file, and a reference the file does
not cover is « n.d. », never a partial sum. Checked on the real published files
(tests/fixtures/reel: FILO2019 and FILO2016 DISP, s_ben_com_f), through the engine that every
table of the report uses (catalogue_indicateurs.Calcul), the fiches and the synthèse included.

Hand checks in the files:
- FILO2019_DISP_EPCI « 242010056;CA du Pays Ajaccien;31851;65593;46968,2;16170;22460;29990;13820;
  11830;... » (Q219 = 22460, D119 = 11830); FILO2016_DISP_EPCI Q216 = 20987;
- FILO2019_DISP_DEP « 2A;Corse-du-Sud;60125;...;21900;...;11210 »; FILO2019_DISP_REG « 94;Corse;
  126908;...;20950;...;10730 »; FILO2019_DISP_METROPOLE « 1;France métropolitaine;...;21930;...;11620 »;
- FILO2019_DISP_COM « 2A017;Appietto;633;1542;1050,4;;24990;;;;; »: D1 masked (empty cell);
  the 77 communes of Corse-du-Sud the file publishes hold 58 662 ménages fiscaux (awk), the
  département 60 125 (the communes under the threshold are absent from the commune file);
- s_ben_com_f, December 2024, indfoy_rsa: the 10 communes of the CA du Pays Ajaccien 1 315, the
  124 communes of Corse-du-Sud 2 380, of Haute-Corse 3 050 (awk on the file).
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from conftest import REEL
from test_indicateurs_additifs import etude as etude_de

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.sources import preparation as donnees

PAYS_AJACCIEN = "242010056"
COMMUNES_PAYS_AJACCIEN = ["2A001", "2A004", "2A006", "2A017", "2A103", "2A209", "2A271", "2A323", "2A336", "2A351"]
MILLESIMES = {"filosofi": 2019, "filosofi_precedent": 2016, "caf_communes": 2024, "caf_communes_precedent": 2020}


def _preparer(racine, codes, type_territoire, code_territoire, nom):
    e = etude_de(racine, codes, type_territoire, code_territoire, millesimes=dict(MILLESIMES))
    e.racine, e.nom_territoire = racine, nom
    e.epci = [(c, c) for c in sorted(set(e.communes["epci"]))]
    brut = racine / "data" / "brut"
    brut.mkdir(parents=True)
    for f in (REEL / "filosofi").glob("FILO20*_DISP_*.csv"):
        shutil.copy(f, brut / f.name)
    shutil.copy(REEL / "caf" / "s_ben_com_f.csv", brut / "s_ben_com_f.csv")
    (racine / "data" / "cache").mkdir(parents=True)
    disponibles = donnees.preparer(e, telecharger=False)
    assert {d.source for d in disponibles if d.statut == "ok"} >= {"filosofi", "caf_communes"}, disponibles
    return e


@pytest.fixture(scope="module")
def epci(tmp_path_factory):
    """The CA du Pays Ajaccien (10 communes) with the real Filosofi and Caf files."""
    return _preparer(tmp_path_factory.mktemp("pays_ajaccien"), COMMUNES_PAYS_AJACCIEN, "epci", PAYS_AJACCIEN,
                     "CA du Pays Ajaccien")


@pytest.fixture(scope="module")
def deux_communes(tmp_path_factory):
    """Ajaccio and Alata, a list of communes (the ABS of a CCAS): no file publishes it."""
    return _preparer(tmp_path_factory.mktemp("ajaccio_alata"), ["2A004", "2A006"], "communes", "2A004,2A006",
                     "Ajaccio et Alata")


def _valeurs(e, id_, **options) -> dict:
    table, _ = ci.Calcul(e).calculer(id_, **options)
    return {(n, c): (v, bool(s)) for n, c, v, s in zip(table["niveau"], table["codgeo"], table["valeur"], table["secret"])}


def test_mediane_de_chaque_niveau_lue_dans_son_fichier(epci):
    v = _valeurs(epci, "revenu_median")
    assert v[("territoire", PAYS_AJACCIEN)] == (22460, False)  # FILO2019_DISP_EPCI
    assert v[("departement", "2A")] == (21900, False)  # FILO2019_DISP_DEP
    assert v[("region", "94")] == (20950, False)  # FILO2019_DISP_REG
    assert v[("france", "FRM")] == (21930, False)  # FILO2019_DISP_METROPOLE
    communes = [v[("commune", c)][0] for c in COMMUNES_PAYS_AJACCIEN]
    assert not any(math.isnan(x) for x in communes)
    assert 22460 not in communes and 22460 != pytest.approx(sum(communes) / len(communes))  # not recomputed
    assert _valeurs(epci, "revenu_median", precedent=True)[("territoire", PAYS_AJACCIEN)] == (20987, False)  # FILO2016


def test_commune_masquee_ne_rend_pas_les_references_secretes(epci):
    """Appietto's D1 is masked in the commune file: « s » for Appietto only; the EPCI, the
    département, the région and France keep the values their files publish."""
    v = _valeurs(epci, "premier_decile")
    valeur, secret = v[("commune", "2A017")]
    assert secret and math.isnan(valeur)
    assert v[("territoire", PAYS_AJACCIEN)] == (11830, False)
    assert v[("departement", "2A")] == (11210, False)
    assert v[("region", "94")] == (10730, False)
    assert v[("france", "FRM")] == (11620, False)
    i = ci.indicateur("premier_decile")
    assert ci.formater(i, valeur, secret) == "s"


def test_effectif_publie_a_son_niveau_jamais_la_somme_partielle(epci):
    """Even declared as a sum of communes, a count the source publishes at a level is read there:
    Corse-du-Sud's ménages fiscaux are 60 125 (DEP file), not the 58 662 of the 77 communes the
    commune file publishes; the cache holds no reference computed from the communes of Filosofi."""
    menages = ci.Indicateur(id="menages_fiscaux", libelle="Ménages fiscaux", chapitre="acces_aux_droits",
                            source="filosofi", numerateur=("NBMEN",), unite="nombre")
    table, _ = ci.Calcul(epci, catalogue={menages.id: menages}).calculer(menages.id)
    v = table.set_index(["niveau", "codgeo"])["valeur"]
    assert v[("departement", "2A")] == 60125 and v[("region", "94")] == 126908
    assert v[("france", "FRM")] == 27937964
    assert v[("territoire", PAYS_AJACCIEN)] == 31851
    cache = pd.read_parquet(donnees.chemin_cache(epci, "filosofi", 2019),
                            filters=[("niveau", "==", "departement"), ("variable", "==", "NBMEN")])
    assert cache["valeur"].tolist() == [60125]


def test_liste_de_communes_sans_fichier_publie(deux_communes):
    """No file publishes Ajaccio + Alata: their median is « n.d. » (not computed, not secret); their
    EPCI is read in the EPCI file; their RSA households are the sum of the two communes."""
    v = _valeurs(deux_communes, "revenu_median")
    valeur, secret = v[("territoire", "2A004,2A006")]
    assert math.isnan(valeur) and not secret
    assert v[("epci", PAYS_AJACCIEN)] == (22460, False)
    assert v[("departement", "2A")] == (21900, False)
    rsa = _valeurs(deux_communes, "foyers_rsa")
    assert rsa[("territoire", "2A004,2A006")] == (1095 + 30, False)
    assert rsa[("epci", PAYS_AJACCIEN)] == (1315, False)  # summed from the whole file at make donnees


def test_caf_par_commune_references_sommees_sur_tout_le_fichier(epci):
    """s_ben_com_f publishes communes only: Corse-du-Sud and Corse are the sums of all their
    communes in the file; France, which the extract does not cover, is « n.d. », never a partial sum."""
    v = _valeurs(epci, "foyers_rsa")
    assert v[("territoire", PAYS_AJACCIEN)] == (1315, False)
    assert v[("departement", "2A")] == (2380, False)
    assert v[("region", "94")] == (2380 + 3050, False)
    valeur, secret = v[("france", "FRM")]
    assert math.isnan(valeur) and not secret
    assert v[("commune", "2A004")] == (1095, False)


def test_fiches_et_synthese_lisent_les_memes_valeurs_publiees(epci):
    """The fiches communes and the synthèse (chiffres_cles) show the published values of each level
    and the same « s » as the chapters."""
    from diagnostic_territorial.livrables import chiffres_cles

    ic = chiffres_cles.indicateurs_cles(epci)
    assert ic.texte(ic.ligne("territoire"), "q2") == "22\u202f460\u00a0€"
    assert ic.texte(ic.ligne("departement", "2A"), "q2") == "21\u202f900\u00a0€"
    assert ic.texte(ic.ligne("france", "FRM"), "q2") == "21\u202f930\u00a0€"
    appietto = ic.table[(ic.table["niveau"] == "commune") & (ic.table["codgeo"] == "2A017")].iloc[0]
    assert ic.texte(appietto, "rd") == "s" and ic.texte(ic.ligne("territoire"), "rd") == "3,4"
