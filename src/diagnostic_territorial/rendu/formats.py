"""French formatting of numbers, percentages, amounts and dates, through Babel (locale fr_FR).

Babel's French output is kept as is: the group separator is a narrow no-break space (U+202F), the
space before "%" and "€" a no-break space (U+00A0 or U+202F, as the CLDR says). Values are rounded
half away from zero ("arrondi commercial", 2,25 -> 2,3) before Babel formats them.

Every number a document prints holds together: its groups of thousands are separated by the narrow
no-break space, never by a space a line may break at (« 4 799 » cut at the end of a line of the
PDF). Text built from these functions keeps them (:func:`espaces` collapses white space without
touching them), and a figure typed in a label (« pour 1 000 habitants » in the catalogue) gets
them too through :func:`insecables`.

A missing value never becomes 0: it is printed "s" when the source masks it (secret statistique,
``secret=True``) and "n.d." (non disponible) otherwise.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

LOCALE = "fr_FR"
SECRET = "s"
NON_DISPONIBLE = "n.d."

_LOCALE = Locale.parse(LOCALE)

ESPACE_FINE = "\u202f"  # narrow no-break space: the group separator of French numbers
ESPACE_INSECABLE = "\u00a0"  # no-break space: before « % » and « € »
# A number whose groups of thousands are separated by ordinary spaces (« 1 000 », « 12 345 678 »),
# not the end of a longer number or of a decimal part (« 2023 123 » is two numbers).
_RE_MILLIERS = re.compile(r"(?<![\d,.\u202f\u00a0])(\d{1,3})((?: \d{3})+)(?!\d)")
_RE_UNITE = re.compile(r"(?<=\d) (?=[%€])")
_RE_BLANCS = re.compile(r"[ \t\n\r\f\v]+")  # ASCII white space only, never the no-break spaces


def est_manquant(valeur) -> bool:
    """True for None, NaN, pd.NA, NaT and anything that is not a finite number."""
    if valeur is None:
        return True
    try:
        return not math.isfinite(float(valeur))
    except (TypeError, ValueError):
        return True


def insecables(texte: str) -> str:
    """« pour 1 000 habitants » -> « pour 1\u202f000 habitants », « 60 % » -> « 60\u00a0% »: the
    ordinary spaces inside a number, or between a number and « % » or « € », made unbreakable, so
    that a line never ends inside a figure. Everything else is left as is."""
    texte = _RE_MILLIERS.sub(lambda m: m.group(1) + m.group(2).replace(" ", ESPACE_FINE), str(texte))
    return _RE_UNITE.sub(ESPACE_INSECABLE, texte)


def espaces(texte: str) -> str:
    """White space collapsed to single spaces, but the no-break spaces of the formats above kept
    (``" ".join(texte.split())`` would turn « 4\u202f799 » into « 4 799 », breakable)."""
    return _RE_BLANCS.sub(" ", str(texte)).strip()


def manquant(secret: bool = False) -> str:
    """The mark printed in place of a missing value."""
    return SECRET if secret else NON_DISPONIBLE


def _arrondi(valeur: float, decimales: int) -> Decimal:
    try:
        d = Decimal(repr(float(valeur)))
    except InvalidOperation:  # pragma: no cover - est_manquant() filters these out
        d = Decimal(float(valeur))
    resultat = d.quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)
    return resultat.copy_abs() if resultat.is_zero() else resultat  # never "-0"


def _motif_decimal(decimales: int) -> str:
    return "#,##0" + ("." + "0" * decimales if decimales > 0 else "")


def _motif_locale(motif: str, decimales: int) -> str:
    """Locale pattern (percent or currency) with its number part set to `decimales` digits."""
    positif = motif.split(";")[0]
    debut = positif.index("#")
    fin = debut
    while fin < len(positif) and positif[fin] in "#,0.":
        fin += 1
    return positif[:debut] + _motif_decimal(decimales) + positif[fin:]


_MOTIF_POURCENT = _LOCALE.percent_formats[None].pattern
_MOTIF_EUROS = _LOCALE.currency_formats["standard"].pattern


def nombre(valeur, decimales: int = 0, secret: bool = False) -> str:
    """12345.0 -> "12 345" (narrow no-break space as group separator)."""
    if est_manquant(valeur):
        return manquant(secret)
    return format_decimal(_arrondi(valeur, decimales), format=_motif_decimal(decimales), locale=LOCALE)


def decimal(valeur, decimales: int = 1, secret: bool = False) -> str:
    """2.345 -> "2,3" with decimales=1."""
    return nombre(valeur, decimales, secret=secret)


def pourcentage(ratio, decimales: int = 1, secret: bool = False) -> str:
    """A ratio as a percentage: 0.123 -> "12,3 %"."""
    if est_manquant(ratio):
        return manquant(secret)
    valeur = _arrondi(Decimal(repr(float(ratio))) * 100, decimales) / 100
    return format_percent(valeur, format=_motif_locale(_MOTIF_POURCENT, decimales), locale=LOCALE)


def euros(valeur, decimales: int = 0, secret: bool = False) -> str:
    """21800 -> "21 800 €"."""
    if est_manquant(valeur):
        return manquant(secret)
    return format_currency(
        _arrondi(valeur, decimales), "EUR", format=_motif_locale(_MOTIF_EUROS, decimales),
        locale=LOCALE, currency_digits=False,
    )


def evolution(ratio, decimales: int = 1, secret: bool = False) -> str:
    """A relative change as a signed percentage: 0.0123 -> "+1,2 %", -0.05 -> "-5,0 %"."""
    if est_manquant(ratio):
        return manquant(secret)
    texte = pourcentage(ratio, decimales)
    if _arrondi(Decimal(repr(float(ratio))) * 100, decimales) > 0:
        texte = "+" + texte
    return texte


def date_longue(jour: dt.date | dt.datetime) -> str:
    """date(2026, 11, 23) -> "23 novembre 2026"; the first of the month is "1er"."""
    texte = format_date(jour, format="d MMMM y", locale=LOCALE)
    if jour.day == 1:
        texte = "1er" + texte[1:]
    return texte


def formateur(nom: str, decimales: int | None = None):
    """A formatting function by name ("nombre", "pourcentage"...), for tables and legends."""
    fonctions = {"nombre": nombre, "decimal": decimal, "pourcentage": pourcentage, "euros": euros,
                 "evolution": evolution}
    fonction = fonctions[nom]
    if decimales is None:
        return fonction
    return lambda v, secret=False: fonction(v, decimales, secret=secret)
