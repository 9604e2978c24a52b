"""The demo data simulator, kept out of the runtime package `diagnostic_territorial`.

A study never runs this code: only « make donnees-demo » (``diagnostic-territorial donnees-demo``)
imports it, lazily, to put demonstration data into a study.

- ``donnees``: the real extracts shipped in ``donnees_demo/`` and the files simulated in the layouts
  of the official ones (RP through Melodi, Caf, France Travail); ``installer_donnees_demo``;
- ``enquete``: the simulated questionnaire export; ``installer_enquete_demo``.
"""

from __future__ import annotations

from .donnees import installer_donnees_demo
from .enquete import installer_enquete_demo

__all__ = ["installer_donnees_demo", "installer_enquete_demo"]
