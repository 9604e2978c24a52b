"""Key findings each chapter records for the synthèse (build/resultats/<chapitre>.json)."""

from __future__ import annotations

import json
from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_json


def dossier(etude) -> Path:
    return Path(etude.dossier_build) / "resultats"


def enregistrer(etude, chapitre: str, a_retenir: list[str], chiffres: dict | None = None) -> Path:
    chemin = dossier(etude) / f"{chapitre}.json"
    ecrire_json(chemin, {"chapitre": chapitre, "a_retenir": a_retenir, "chiffres": chiffres or {}})
    return chemin


def lire_tous(etude) -> dict[str, dict]:
    d = dossier(etude)
    if not d.exists():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))}
