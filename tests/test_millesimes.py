"""One decision for the millésime of each source (issue 15): donnees.millesimes_de answers, for a
study, a key of etude.millesimes and the current or previous millésime, which file and which data;
catalogue_indicateurs, observation and the chapters ask it. Hand-built cases, no file read."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.sources import preparation as donnees
from diagnostic_territorial.sources import reconnaissance


def _etude(**millesimes) -> types.SimpleNamespace:
    return types.SimpleNamespace(millesimes=millesimes)


def _piece(nom: str, source: str, *annees: int) -> donnees.Piece:
    reconnu = reconnaissance.Reconnu(Path(nom), None, source, source)
    return donnees.Piece(reconnu, tuple(annees))


def test_rp_actuel_et_precedent_dans_le_meme_fichier():
    pieces = [_piece("rp_2023.csv", "rp_evol_struct_pop", 2012, 2017, 2023)]
    etude = _etude(**donnees.resoudre({"rp": 2023}, pieces).millesimes)
    assert donnees.millesimes_de(etude, "rp") == (2023, 2023)
    # the RP N-6 is read inside the file of the RP N
    assert donnees.millesimes_de(etude, "rp", precedent=True) == donnees.Millesimes(fichier=2023, donnees=2017)
    # every RP base of the catalogue follows the study's RP millésime
    logement = ci.Indicateur("x", "x", "logement", "rp_logement", ("P_LOG",))
    assert ci.millesimes(etude, logement) == (2023, 2023)
    assert ci.millesimes(etude, logement, precedent=True) == (2023, 2017)
    assert ci.millesime_fichier(etude, "rp") == 2023 and donnees.millesime_source(etude, "rp_logement") == 2023


def test_filosofi_dernier_parmi_plusieurs_fichiers():
    pieces = [_piece(f"filo_{a}.csv", "filosofi", a) for a in (2019, 2021, 2020)]
    etude = _etude(**donnees.resoudre({"rp": 2023, "filosofi": "dernier"}, pieces).millesimes)
    assert donnees.millesimes_de(etude, "filosofi") == (2021, 2021)
    # N-3 (2018) is not provided: the latest earlier file, a file of its own
    assert donnees.millesimes_de(etude, "filosofi", precedent=True) == (2020, 2020)
    # without any file, « dernier » is the latest published (it will be downloaded)
    sans = _etude(rp=2023, filosofi="dernier")
    assert donnees.millesimes_de(sans, "filosofi").fichier == donnees.catalogue.dernier("filosofi")


def test_source_sans_millesime_erreur_en_francais():
    etude = _etude(filosofi=2019)  # no RP: no default for the other sources
    with pytest.raises(ci.MillesimeInconnu) as exc:
        donnees.millesimes_de(etude, "caf_communes")
    message = str(exc.value)
    assert "« caf_communes »" in message and "caf_communes: <année>" in message and "etude.yaml" in message
    assert isinstance(exc.value, KeyError)  # callers catching KeyError keep working
    assert donnees.millesime_source(etude, "caf_communes") is None
    # no previous millésime: None, not an error
    assert donnees.millesimes_de(etude, "filosofi", precedent=True) is None
    assert donnees.millesimes_de(etude, "bpe", precedent=True) is None


def test_les_appelants_suivent_la_meme_decision():
    etude = _etude(rp=2022, rp_precedent=2016, populations_legales=2021, caf="dernier")
    assert ci.cle_de_source("caf_iris") == "caf" and ci.cle_de_source("rp_logement") == "rp"
    for source in ci.CLE_MILLESIME:
        cle = ci.cle_de_source(source)
        try:
            attendu = donnees.millesimes_de(etude, cle)
        except ci.MillesimeInconnu:
            assert donnees.millesime_source(etude, cle) is None
            continue
        assert ci.millesime_fichier(etude, cle) == attendu.fichier == donnees.millesime_source(etude, cle)


def test_bases_du_recensement_au_millesime_que_lit_le_catalogue():
    """An RP base never gets a year of its own: « make donnees » (besoins) prepares the year the
    catalogue reads. Before, ``rp_logement: 2019`` next to ``rp: 2023`` made « make donnees »
    prepare the logement base of 2019 while every indicator of that base read 2023."""
    logement = ci.indicateur("logements")
    assert logement.source == "rp_logement" and logement.cle_millesime == "rp"
    ecrit = _etude(rp=2023, rp_logement=2019, caf_iris=2019, caf=2021, filosofi=2019)
    assert ci.millesimes(ecrit, logement) == (2023, 2023)
    besoins = dict(donnees.besoins(ecrit))
    assert besoins["rp_logement"] == besoins["rp_evol_struct_pop"] == 2023
    assert besoins["caf_iris"] == 2021  # the Caf file by IRIS follows « caf », as its indicators
    assert donnees.millesimes_de(ecrit, "rp_logement") == donnees.millesimes_de(ecrit, "rp") == (2023, 2023)
    # « dernier » resolved per file: the logement base of 2022 alone does not make a second RP year
    pieces = [_piece("evol.csv", "rp_evol_struct_pop", 2011, 2017, 2023),
              _piece("logement.csv", "rp_logement", 2016, 2022)]
    resolution = donnees.resoudre({"rp": "dernier", "rp_logement": 2019}, pieces)
    assert resolution.millesimes["rp"] == resolution.millesimes["rp_logement"] == 2023
    etude = _etude(**resolution.millesimes)
    assert ("rp_logement", 2023) in donnees.besoins(etude) and ("rp_logement", 2022) not in donnees.besoins(etude)
    assert ("rp_logement", 2019) not in donnees.besoins(etude)
