"""French formatting through Babel: exact strings (narrow no-break spaces included)."""

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from diagnostic_territorial.rendu import formats as fm

NNBSP = "\u202f"  # Babel's fr_FR group separator (and space before % / €, per the CLDR)
NBSP = "\u00a0"


def test_nombre():
    assert fm.nombre(12345.0) == f"12{NNBSP}345"
    assert fm.nombre(1234567.891, 2) == f"1{NNBSP}234{NNBSP}567,89"
    assert fm.nombre(12) == "12"
    assert fm.nombre(-0.2) == "0"  # never "-0"
    assert fm.nombre(np.int64(1000)) == f"1{NNBSP}000"


def test_decimal_arrondi_commercial():
    assert fm.decimal(2.345, 1) == "2,3"
    assert fm.decimal(2.25, 1) == "2,3"  # half up, not Babel's default half-even
    assert fm.decimal(3, 2) == "3,00"


def test_pourcentage_prend_un_ratio():
    assert fm.pourcentage(0.123, 1) == f"12,3{NBSP}%"
    assert fm.pourcentage(0.123) == f"12,3{NBSP}%"
    assert fm.pourcentage(0.5, 0) == f"50{NBSP}%"


def test_euros():
    assert fm.euros(21800) == f"21{NNBSP}800{NBSP}€"
    assert fm.euros(21800.5, 2) == f"21{NNBSP}800,50{NBSP}€"


def test_date_longue():
    assert fm.date_longue(dt.date(2026, 11, 23)) == "23 novembre 2026"
    assert fm.date_longue(dt.date(2026, 5, 1)) == "1er mai 2026"


def test_evolution_signee():
    assert fm.evolution(0.0123) == f"+1,2{NBSP}%"
    assert fm.evolution(-0.0123) == f"-1,2{NBSP}%"
    assert fm.evolution(0.00854, 2) == f"+0,85{NBSP}%"
    assert fm.evolution(0.00001) == f"0,0{NBSP}%"


@pytest.mark.parametrize("fonction", [fm.nombre, fm.decimal, fm.pourcentage, fm.euros, fm.evolution])
@pytest.mark.parametrize("manquant", [math.nan, None, pd.NA, np.float64("nan"), float("inf")])
def test_valeur_manquante_jamais_zero(fonction, manquant):
    assert fonction(manquant) == "n.d."
    assert fonction(manquant, secret=True) == "s"


def test_formateur_par_nom():
    assert fm.formateur("pourcentage", 0)(0.25) == f"25{NBSP}%"
    assert fm.formateur("euros")(math.nan, secret=True) == "s"


@pytest.mark.parametrize("texte, attendu", [
    ("Médecins généralistes pour 1 000 habitants", "Médecins généralistes pour 1\u202f000 habitants"),
    ("12 345 678 habitants", "12\u202f345\u202f678 habitants"),
    ("en 2019 1 000 habitants", "en 2019 1\u202f000 habitants"),  # a year is not a group of thousands
    ("entre 2017 et 2023 123 familles", "entre 2017 et 2023 123 familles"),
    ("0,5 000", "0,5 000"),  # a decimal part is not followed by a group
    ("seuil à 60 % du niveau de vie", "seuil à 60\u00a0% du niveau de vie"),
    ("4\u202f799 (13,7\u00a0%)", "4\u202f799 (13,7\u00a0%)"),  # already formatted: unchanged
])
def test_nombres_insecables(texte, attendu):
    assert fm.insecables(texte) == attendu


def test_espaces_garde_les_insecables():
    texte = f"la plus peuplée en compte\n  {fm.nombre(4799)} ({fm.pourcentage(0.137)})"
    assert fm.espaces(texte) == "la plus peuplée en compte 4\u202f799 (13,7\u00a0%)"
    assert " ".join(texte.split()) == "la plus peuplée en compte 4 799 (13,7 %)"  # what it replaces
