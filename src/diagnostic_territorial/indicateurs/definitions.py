"""Definitions of the indicators and terms used in the report, for the method annex.

Each definition lists the words that reveal its use in the report (``reperes``, compared without
case): the annex keeps only the definitions whose term appears in the chapters, so that it
describes what the reader actually sees. Reader-facing text is in French (sources: Insee's
definitions, « Définitions, méthodes et qualité ») and is data, not code: the definitions are
declared in ``catalogue/definitions.yaml`` (in the package), read on first use and validated
(modeles.FichierDefinitions); rewording one is a change of that file.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from diagnostic_territorial import PAQUET


@dataclass(frozen=True)
class Definition:
    terme: str
    texte: str
    reperes: tuple[str, ...]
    source: str = "Insee, définitions"
    toujours: bool = False  # shown even when no repère is found (method notes)


FICHIER = PAQUET / "catalogue" / "definitions.yaml"
DEFINITIONS: tuple[Definition, ...]  # read from FICHIER on first use (module __getattr__ below)


def charger_definitions(chemin=None) -> tuple[Definition, ...]:
    """The definitions of a definitions file, in the annex's order, validated by
    modeles.FichierDefinitions (CatalogueInvalide names the file, the line, the definition and the
    field at fault). Without `chemin`: the package's file, read once."""
    if chemin is None:
        return _definitions_du_paquet()
    return _lire(Path(chemin))


@functools.cache
def _definitions_du_paquet() -> tuple[Definition, ...]:
    return _lire(FICHIER)


def _lire(chemin: Path) -> tuple[Definition, ...]:
    from diagnostic_territorial.configuration import modeles

    fichier = modeles.lire(chemin, modeles.FichierDefinitions)
    return tuple(Definition(**d.model_dump()) for d in fichier.definitions)


def __getattr__(nom: str):
    if nom == "DEFINITIONS":
        return charger_definitions()
    raise AttributeError(f"module {__name__!r} has no attribute {nom!r}")


def _normaliser(texte: str) -> str:
    texte = "".join(" " if unicodedata.category(c) == "Zs" else c for c in texte)
    return " " + re.sub(r"\s+", " ", texte).lower() + " "


def utilisees(texte_rapport: str) -> list[Definition]:
    """The definitions whose term appears in the report text (tags already removed or not)."""
    texte = _normaliser(re.sub(r"<[^>]+>", " ", texte_rapport))
    return [d for d in charger_definitions() if d.toujours or any(r.lower() in texte for r in d.reperes)]


def html_definitions(definitions: list[Definition]) -> str:
    if not definitions:
        return "<p>Aucun indicateur à définir dans cette version du rapport.</p>"
    items = "".join(
        f"<dt>{html.escape(d.terme)}</dt><dd>{html.escape(d.texte)} "
        f'<span class="def-source">({html.escape(d.source)})</span></dd>'
        for d in definitions
    )
    return f'<dl class="definitions">{items}</dl>'
