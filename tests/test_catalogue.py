"""Every indicator of the catalogue on a small hand-made study: five communes forming their own tiny
France (two in the territory), one tidy cache per source. Each indicator is checked at every level
against an independent computation from the raw values (ratio of sums, published levels, secret
cells propagate, BPE types absent from a commune count 0), and a few figures are checked by hand."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import vider_caches_referentiel

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.chapitres import generique
from diagnostic_territorial.configuration.etude import Etude
from diagnostic_territorial.sources import bpe, cache
from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.sources.schema import Provenance

# code: (département, région, EPCI)
COMMUNES = {
    "31135": ("31", "76", "200068815"),
    "31454": ("31", "76", "200068815"),
    "31555": ("31", "76", "243100518"),
    "09225": ("09", "76", "200066231"),
    "75056": ("75", "11", "200054781"),
}
TERRITOIRE = ["31135", "31454"]
NIVEAUX = {"territoire": TERRITOIRE, "departement": ["31135", "31454", "31555"],
           "region": ["31135", "31454", "31555", "09225"], "france": list(COMMUNES)}
CODES_NIVEAU = {"territoire": ("epci", "200068815"), "departement": ("departement", "31"),
                "region": ("region", "76"), "france": ("france", "FRM")}
SECRET = ("31454", "C_FAMMONO")  # a masked cell of the source
MILLESIMES = {"rp": 2019, "rp_precedent": 2013, "filosofi": 2019, "filosofi_precedent": 2016,
              "populations_legales": 2019, "bpe": 2018, "caf_communes": 2020, "caf_txcouv_pe": 2020, "caf": 2020,
              "france_travail": 2020, "caf_communes_precedent": 2017, "caf_txcouv_pe_precedent": 2017,
              "france_travail_precedent": 2017}


def _valeur(code: str, variable: str, millesime: int) -> float:
    """A deterministic, distinct, positive value per commune, variable and millésime."""
    graine = sum(ord(c) * (i + 1) for i, c in enumerate(variable))
    k = list(COMMUNES).index(code) + 1
    return float(100 + (graine % 97) * k + 13 * k * k + (millesime % 7) * 3)


def _variables_par_source() -> dict[str, set[str]]:
    par_source: dict[str, set[str]] = {}
    for i in ci.CATALOGUE.values():
        for source, termes in ((i.source, i.numerateur), (i.source_denominateur or i.source, i.denominateur)):
            for t in termes:
                nom = t.lstrip("-")
                codes = bpe.categories(2018)[nom[4:]] if nom.startswith("bpe:") else [nom]
                par_source.setdefault(source, set()).update(codes)
    return par_source


def _donnees_brutes() -> dict:
    """{(source, millesime): {(niveau, code, variable): (valeur, secret)}}"""
    brutes: dict = {}
    for source, variables in _variables_par_source().items():
        publie = source in ("filosofi", "caf_txcouv_pe")
        for millesime in _millesimes_source(source):
            lignes = {}
            for variable in sorted(variables):
                for code in COMMUNES:
                    if source == "bpe" and code == "31454" and variable in bpe.categories(2018)["creches_eaje"]:
                        continue  # no crèche in Rieumes: the BPE has no row, which means 0
                    secret = (code, variable) == SECRET
                    lignes[("commune", code, variable)] = (np.nan if secret else _valeur(code, variable, millesime),
                                                           secret)
                if publie:
                    for n, (niveau, code) in CODES_NIVEAU.items():
                        lignes[(niveau, code, variable)] = (_valeur("75056", variable + n, millesime), False)
            brutes[(source, millesime)] = lignes
    return brutes


def _millesimes_source(source: str) -> list[int]:
    if source.startswith("rp_"):
        return [2019, 2013]
    if source == "filosofi":
        return [2019, 2016]
    cle = ci.CLE_MILLESIME[source]
    return [MILLESIMES[cle]] + ([MILLESIMES[cle + "_precedent"]] if cle + "_precedent" in MILLESIMES else [])


@pytest.fixture(scope="module")
def brutes():
    return _donnees_brutes()


@pytest.fixture(scope="module")
def etude(tmp_path_factory, brutes):
    racine = tmp_path_factory.mktemp("catalogue")
    for (source, millesime), lignes in brutes.items():
        if source.startswith("rp_") and millesime == 2013:
            continue  # the previous census lives in the same file as the current one
        rows = [{"codgeo": c, "niveau": n, "variable": v, "millesime": millesime, "valeur": val, "secret": s}
                for (n, c, v), (val, s) in lignes.items()]
        if source.startswith("rp_"):
            rows += [{"codgeo": c, "niveau": n, "variable": v, "millesime": 2013, "valeur": val, "secret": s}
                     for (n, c, v), (val, s) in brutes[(source, 2013)].items()]
        df = pd.DataFrame(rows).astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                                        "valeur": "float64", "secret": "bool"})
        df.attrs["provenance"] = Provenance(source=f"Source test {source} {millesime}", libelle=source,
                                            millesime=millesime)
        cache.ecrire(df, racine / "data" / "cache" / f"{source}_{millesime}.parquet")
    communes = pd.DataFrame([{"code": c, "nom": f"Commune {c}", "departement": COMMUNES[c][0],
                              "region": COMMUNES[c][1], "epci": COMMUNES[c][2]} for c in TERRITOIRE])
    return Etude(racine=racine, nom_territoire="CC Test", slug="cc-test", type_territoire="epci",
                 code_territoire="200068815", communes=communes, departement=("31", "Haute-Garonne"),
                 region=("76", "Occitanie"), epci=[("200068815", "CC Test")], millesimes=dict(MILLESIMES))


@pytest.fixture(autouse=True)
def petite_france(monkeypatch):
    """The référentiel is reduced to the five communes: they are the whole of « France »."""
    from diagnostic_territorial.territoire.resolution import referentiel

    reel = referentiel()
    reduit = {**reel, "anciennes": {},
              "communes": {c: {"CODGEO": c, "LIBGEO": f"Commune {c}", "DEP": d, "REG": r, "EPCI": e}
                           for c, (d, r, e) in COMMUNES.items()}}
    monkeypatch.setattr(ind, "referentiel", lambda: reduit)
    # lookups computed on the real referential by an earlier module must not hide the reduced one,
    # and the reduced one must not leak afterwards
    vider_caches_referentiel()
    yield
    vider_caches_referentiel()


def _attendu(i: ci.Indicateur, brutes: dict, niveau: str, code: str | None, precedent: bool = False):
    """(valeur, secret) computed from the raw values, independently of the library."""
    cle_m = i.cle_millesime
    if i.evolution:  # annual average rate of change between the previous millésime and the current one
        valeur_de = dataclasses.replace(i, evolution="", facteur=1.0)
        (fin, s_fin), (debut, s_debut) = (_attendu(valeur_de, brutes, niveau, code, p) for p in (False, True))
        if s_fin or s_debut:
            return np.nan, True
        annees = MILLESIMES[cle_m] - MILLESIMES[donnees.PRECEDENTS[cle_m].cle]
        return ((fin / debut) ** (1 / annees) - 1) * i.facteur, False
    m = MILLESIMES[donnees.PRECEDENTS[cle_m].cle] if precedent else MILLESIMES[cle_m]
    if not i.agregeable:
        ligne = brutes[(i.source, m)]
        cle = ("commune", code, i.numerateur[0]) if niveau == "commune" else (*CODES_NIVEAU[niveau], i.numerateur[0])
        valeur, secret = ligne.get(cle, (np.nan, False))
        return valeur * i.facteur, secret
    communes = [code] if niveau == "commune" else NIVEAUX[niveau]

    def somme(source, termes, millesime):
        total, secret = 0.0, False
        for t in termes:
            signe = -1 if t.startswith("-") else 1
            nom = t.lstrip("-")
            codes = bpe.categories(2018)[nom[4:]] if nom.startswith("bpe:") else [nom]
            for v in codes:
                for c in communes:
                    val, s = brutes[(source, millesime)].get(("commune", c, v), (0.0, False))
                    secret = secret or s
                    total += signe * (0.0 if s else val)
        return total, secret

    num, s1 = somme(i.source, i.numerateur, m)
    if not i.denominateur:
        return (np.nan, True) if s1 else (num * i.facteur, False)
    source_den = i.source_denominateur or i.source
    m_den = m if source_den == i.source else MILLESIMES[ci.CLE_MILLESIME[source_den]]
    den, s2 = somme(source_den, i.denominateur, m_den)
    if s1 or s2:
        return np.nan, True
    return num / den * i.facteur, False


@pytest.mark.parametrize("id_", sorted(ci.CATALOGUE))
def test_chaque_indicateur_a_chaque_niveau(etude, brutes, id_):
    i = ci.CATALOGUE[id_]
    if any(t.startswith("bpe:") and not bpe.categories(2018)[t[4:]] for t in i.numerateur):
        # an equipment type the BPE 2018 nomenclature does not have: said, never 0
        with pytest.raises(ci.MillesimeInconnu, match="nomenclature de la BPE 2018"):
            ci.Calcul(etude).calculer(id_)
        return
    table, mention = ci.Calcul(etude).calculer(id_)
    assert mention.startswith("Source : Source test ")
    assert list(table["niveau"]) == ["commune", "commune", "territoire", "departement", "region", "france"]
    lignes = [("commune", c) for c in TERRITOIRE] + [(n, None) for n in ("territoire", "departement", "region",
                                                                           "france")]
    for (niveau, code), (_, ligne) in zip(lignes, table.iterrows()):
        attendu, secret = _attendu(i, brutes, niveau, code)
        assert bool(ligne["secret"]) == secret, (id_, niveau, code)
        if secret or math.isnan(attendu):
            assert math.isnan(ligne["valeur"]), (id_, niveau, code)
        else:
            assert ligne["valeur"] == pytest.approx(attendu, rel=1e-12), (id_, niveau, code)
    if ci.millesimes(etude, i, precedent=True) is not None:
        avant, _ = ci.Calcul(etude).calculer(id_, precedent=True)
        ter = avant[avant["niveau"] == "territoire"].iloc[0]
        attendu, secret = _attendu(i, brutes, "territoire", None, precedent=True)
        assert (math.isnan(ter["valeur"]) and secret) or ter["valeur"] == pytest.approx(attendu, rel=1e-12)


def test_taux_du_territoire_rapport_des_sommes_calcule_a_la_main(etude, brutes):
    """Part des locataires HLM: (LOCHLMV_A + LOCHLMV_B) / (RP_A + RP_B), not the mean of the two rates."""
    b = brutes[("rp_logement", 2019)]
    a_num, b_num = b[("commune", "31135", "P_RP_LOCHLMV")][0], b[("commune", "31454", "P_RP_LOCHLMV")][0]
    a_den, b_den = b[("commune", "31135", "P_RP")][0], b[("commune", "31454", "P_RP")][0]
    table, _ = ci.calculer(etude, "part_locataires_hlm")
    ter = table[table["niveau"] == "territoire"]["valeur"].iloc[0]
    assert ter == pytest.approx((a_num + b_num) / (a_den + b_den))
    assert abs(ter - (a_num / a_den + b_num / b_den) / 2) > 1e-3


def test_secret_contagieux_jamais_zero(etude):
    """C_FAMMONO is masked in Rieumes: the commune, the territory and every reference holding it are
    masked (« s »), never computed as if the cell were 0; Cazères keeps its value."""
    table, _ = ci.calculer(etude, "part_familles_monoparentales")
    masque = dict(zip(zip(table["niveau"], table["codgeo"]), zip(table["valeur"], table["secret"])))
    assert not masque[("commune", "31135")][1] and masque[("commune", "31135")][0] > 0
    for cle in (("commune", "31454"), ("territoire", "200068815"), ("departement", "31"), ("france", "FRM")):
        valeur, secret = masque[cle]
        assert secret and math.isnan(valeur), cle
    i = ci.indicateur("part_familles_monoparentales")
    assert ci.formater(i, masque[("territoire", "200068815")][0], True) == "s"


def test_mediane_lue_au_niveau_publie(etude, brutes):
    table, _ = ci.calculer(etude, "revenu_median")
    ter = table[table["niveau"] == "territoire"]["valeur"].iloc[0]
    assert ter == brutes[("filosofi", 2019)][("epci", "200068815", "Q2")][0]
    communes = brutes[("filosofi", 2019)]
    moyenne = np.mean([communes[("commune", c, "Q2")][0] for c in TERRITOIRE])
    assert ter != pytest.approx(moyenne)


def test_bpe_type_absent_compte_zero_et_categorie_par_millesime(etude, brutes):
    """Rieumes has no crèche row in the BPE: 0 crèche, and the territory counts Cazères' only."""
    table, _ = ci.calculer(etude, "creches")
    valeurs = dict(zip(table["codgeo"], table["valeur"]))
    assert valeurs["31454"] == 0
    attendu = sum(brutes[("bpe", 2018)][("commune", "31135", code)][0] for code in bpe.categories(2018)["creches_eaje"])
    assert valeurs["200068815"] == attendu


def test_deux_sources_equipements_pour_1000_habitants(etude, brutes):
    table, mention = ci.calculer(etude, "medecins_pour_1000")
    codes = bpe.categories(2018)["medecins_generalistes"]
    num = sum(brutes[("bpe", 2018)][("commune", c, v)][0] for c in TERRITOIRE for v in codes)
    den = sum(brutes[("populations_legales", 2019)][("commune", c, "PMUN")][0] for c in TERRITOIRE)
    assert table[table["niveau"] == "territoire"]["valeur"].iloc[0] == pytest.approx(num / den * 1000)
    assert "bpe 2018" in mention and "populations_legales 2019" in mention


def test_formats_francais():
    i = ci.indicateur
    assert ci.formater(i("part_locataires_hlm"), 0.1234) == "12,3\u00a0%"
    assert ci.formater(i("taux_couverture_accueil"), 64.5) == "64,5\u00a0%"
    assert ci.formater(i("revenu_median"), 21800) == "21\u202f800\u00a0€"
    assert ci.formater(i("emplois"), 15082) == "15\u202f082"
    assert ci.ecart(i("part_locataires_hlm"), 0.10, 0.112) == "+1,2\u00a0pt"
    assert ci.ecart(i("emplois"), 1000, 1100) == "+10,0\u00a0%"
    assert ci.formater(i("emplois"), float("nan")) == "n.d."


def test_plans_des_chapitres_valides_et_notebooks_a_jour(racine):
    generique.verifier_plans()
    r = subprocess.run([sys.executable, str(racine / "scripts" / "ecrire_notebooks.py"), "--verifier"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_evolution_annuelle_moyenne_calculee_a_la_main(etude, brutes):
    """evolution_population: (sum of P_POP 2019 / sum of P_POP 2013)^(1/6) - 1 for the territory,
    the ratio of the sums (never a mean of the communes' rates); no previous millésime of an
    evolution."""
    b19, b13 = brutes[("rp_evol_struct_pop", 2019)], brutes[("rp_evol_struct_pop", 2013)]
    fin = sum(b19[("commune", c, "P_POP")][0] for c in TERRITOIRE)
    debut = sum(b13[("commune", c, "P_POP")][0] for c in TERRITOIRE)
    table, mention = ci.Calcul(etude).calculer("evolution_population")
    ter = table[table["niveau"] == "territoire"]["valeur"].iloc[0]
    assert ter == pytest.approx((fin / debut) ** (1 / 6) - 1, rel=1e-12)
    taux = [(b19[("commune", c, "P_POP")][0] / b13[("commune", c, "P_POP")][0]) ** (1 / 6) - 1 for c in TERRITOIRE]
    assert abs(ter - sum(taux) / 2) > 1e-9
    assert mention == "Source : Source test rp_evol_struct_pop 2019"
    i = ci.indicateur("evolution_population")
    assert ci.formater(i, 0.0012) == "+0,12\u00a0%" and ci.formater(i, float("nan"), True) == "s"
    assert ci.millesimes(etude, i, precedent=True) is None
    with pytest.raises(ValueError, match="pas de millésime précédent"):
        ci.Calcul(etude).calculer("evolution_population", precedent=True)


def test_evolution_sans_millesime_precedent(etude, tmp_path):
    """No rp_precedent in etude.yaml: the evolution says which key is missing; a catalogue that
    declares an evolution for a source without previous millésime (BPE) is refused at load."""
    import dataclasses as dc

    from diagnostic_territorial.configuration import modeles

    sans = dc.replace(etude, millesimes={k: v for k, v in MILLESIMES.items() if k != "rp_precedent"})
    with pytest.raises(ci.MillesimeInconnu, match="« rp_precedent » non déclaré"):
        ci.Calcul(sans).calculer("evolution_population")
    texte = ci.FICHIER_INDICATEURS.read_text(encoding="utf-8")
    avant = "    source: rp_evol_struct_pop\n    numerateur: P_POP\n    unite: evolution\n"
    assert texte.count(avant) == 1
    chemin = tmp_path / "indicateurs.yaml"
    chemin.write_text(texte.replace(avant, avant.replace("rp_evol_struct_pop", "bpe")), encoding="utf-8")
    with pytest.raises(modeles.CatalogueInvalide, match="indicateur « evolution_population », champ « evolution » : "
                                                        "la source bpe n'a pas de millésime précédent"):
        ci.charger_catalogue(chemin)


def test_chiffres_cles_de_la_synthese_et_des_fiches_par_le_moteur(etude, brutes):
    """The synthèse and the fiches communes read every key figure, population and its evolution
    included, from the catalogue's engine: the same values and secret as Calcul."""
    from diagnostic_territorial.livrables import chiffres_cles

    ic = chiffres_cles.indicateurs_cles(etude)
    calcul = ci.Calcul(etude)
    assert [i.cle for i in ic.indicateurs] == [cle for cle, _, _ in chiffres_cles.INDICATEURS_CLES]
    for cle, id_, _ in chiffres_cles.INDICATEURS_CLES:
        attendu, _ = calcul.calculer(id_)
        lu = ic.table.merge(attendu, on=["niveau", "codgeo"])
        assert len(lu) == len(attendu) == len(ic.table)
        assert np.array_equal(lu[cle].to_numpy(float), lu["valeur"].to_numpy(float), equal_nan=True), cle
        assert (lu[cle + "__secret"] == lu["secret"]).all(), cle
    libelles = {i.cle: i.libelle for i in ic.indicateurs}
    assert libelles["pop"] == "Population municipale 2019"
    assert libelles["tcam"] == "Évolution annuelle moyenne 2013-2019"
    assert libelles["q2"] == "Revenu disponible médian par unité de consommation (2019)"
    pop = {c: brutes[("populations_legales", 2019)][("commune", c, "PMUN")][0] for c in TERRITOIRE}
    communes = ic.table[ic.table["niveau"] == "commune"].set_index("codgeo")
    for c in TERRITOIRE:
        assert communes.loc[c, "part_territoire"] == pytest.approx(pop[c] / sum(pop.values()))
    # the masked cell of the source (C_FAMMONO in Rieumes) is « s » in the fiche, never a number
    assert ic.texte(communes.loc["31454"], "monoparentales") == "s"
