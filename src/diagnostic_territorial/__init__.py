"""Diagnostic social de territoire : données publiques, notebooks paramétrés, livrables.

The package follows the pipeline (docs/architecture.md): territoire -> sources -> indicateurs ->
chapitres -> rendu -> execution -> livrables, with configuration (the study's YAML files, typed),
enquete (the questionnaire survey) and the shared helpers (erreurs, ecriture) beside them.
"""

from pathlib import Path

__version__ = "0.1.0"

# The installed package's folder: its data files (referentiel/, catalogue/, templates/...) live here.
PAQUET = Path(__file__).resolve().parent
