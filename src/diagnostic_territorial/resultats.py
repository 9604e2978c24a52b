"""Key findings each chapter records for the synthèse (build/resultats/<chapitre>.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def dossier(etude) -> Path:
    return Path(etude.dossier_build) / "resultats"


def enregistrer(etude, chapitre: str, a_retenir: list[str], chiffres: dict | None = None) -> Path:
    d = dossier(etude)
    d.mkdir(parents=True, exist_ok=True)
    chemin = d / f"{chapitre}.json"
    tmp = chemin.with_suffix(".json.tmp")
    tmp.write_text(
        json.dumps({"chapitre": chapitre, "a_retenir": a_retenir, "chiffres": chiffres or {}},
                   ensure_ascii=False, indent=1, sort_keys=True),
        encoding="utf-8",
    )
    os.replace(tmp, chemin)
    return chemin


def lire_tous(etude) -> dict[str, dict]:
    d = dossier(etude)
    if not d.exists():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))}
