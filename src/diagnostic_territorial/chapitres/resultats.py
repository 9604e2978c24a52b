"""What each chapter records for the synthèse and the deliverables: build/resultats/<chapitre>.json.

One JSON object per chapter, written while its notebook runs (the last run only: a failed run
deletes it). Keys:

- ``chapitre``: the chapter's key (``"cadre_de_vie"``);
- ``a_retenir``: the « À retenir » points, inline HTML (``<strong>``), already sanitised;
- ``chiffres``: the key figures behind them, ``{"indicateurs": {id: {"territoire": 0.67,
  "departement": ..., "region": ..., "france": ..., "annee": 2023}}}`` (chapters of the catalogue);
- ``sections`` (chapters of the catalogue): ``{cle: {"titre": "Parc de logements",
  "indicateurs": [constat, ...], "commentaire": "plain text", "proposition": true}}``, one entry per
  section displayed, in order. A *constat* (``redaction.constat``) is ``{"id", "libelle", "court",
  "unite", "annee", "valeur" (territory, null when secret or absent), "secret", "references":
  {niveau: {"libelle", "valeur", "position"}}, "evolution": {"annee", "valeur", "sens"},
  "effectif": {"numerateur", "denominateur"}}`` (the last two only when known); ``position`` is
  « proche », « au-dessus », « nettement au-dessus », « en dessous » or « nettement en dessous »,
  ``sens`` « quasi stable », « en hausse », « en nette hausse », « en baisse » or « en nette
  baisse » (thresholds: ``chapitres.redaction``). ``commentaire`` is the comment written from the
  figures (paragraphs separated by a blank line; "" when the consultant removed it);
  ``proposition`` is true while it is shown as a « Proposition de rédaction » (not yet reviewed);
- ``analyse``: the end of the chapter, ``{"origine": "proposition" | "consultant" | "aucune",
  "texte": "..."}``: the proposed synthesis (its text) while analyses/<chapitre>.md is empty, the
  consultant's own text otherwise (not copied here: it is in analyses/);
- ``propositions``: how many proposals of the chapter are still to be reviewed (sections shown as
  proposals, plus the proposed synthesis): the report is a « Document de travail » while any
  chapter has one (``livrables.rapport``).

Readers must accept a file without the last three keys (a chapter that is not built from the
catalogue, or a result written before they existed).
"""

from __future__ import annotations

import json
from pathlib import Path

from diagnostic_territorial.ecriture import ecrire_json


def dossier(etude) -> Path:
    return Path(etude.dossier_build) / "resultats"


def chemin(etude, chapitre: str) -> Path:
    return dossier(etude) / f"{chapitre}.json"


def lire(etude, chapitre: str) -> dict | None:
    """The chapter's recorded results, None when it recorded nothing (or the file is unreadable)."""
    p = chemin(etude, chapitre)
    try:
        contenu = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return contenu if isinstance(contenu, dict) else None


def nombre_propositions(contenu: dict) -> int:
    """The proposals of a chapter's results not reviewed yet (see the module's docstring)."""
    sections = sum(1 for s in (contenu.get("sections") or {}).values() if s.get("proposition"))
    return sections + (1 if (contenu.get("analyse") or {}).get("origine") == "proposition" else 0)


def _ecrire(etude, chapitre: str, contenu: dict) -> Path:
    contenu["propositions"] = nombre_propositions(contenu)
    p = chemin(etude, chapitre)
    ecrire_json(p, contenu)
    return p


def _existant(etude, chapitre: str) -> dict:
    return lire(etude, chapitre) or {"chapitre": chapitre, "a_retenir": [], "chiffres": {}}


def enregistrer(etude, chapitre: str, a_retenir: list[str], chiffres: dict | None = None) -> Path:
    """The chapter's « À retenir » and key figures: the first record of a run (a new file: the
    sections and the analysis of a previous run are dropped)."""
    return _ecrire(etude, chapitre, {"chapitre": chapitre, "a_retenir": a_retenir, "chiffres": chiffres or {}})


def enregistrer_section(etude, chapitre: str, cle: str, titre: str, indicateurs: list[dict],
                        commentaire: str, proposition: bool) -> Path:
    """Record one section displayed (after the chapter's « À retenir »)."""
    contenu = _existant(etude, chapitre)
    sections = dict(contenu.get("sections") or {})
    sections[cle] = {"titre": titre, "indicateurs": indicateurs, "commentaire": commentaire,
                     "proposition": bool(proposition)}
    contenu["sections"] = sections
    return _ecrire(etude, chapitre, contenu)


def enregistrer_analyse(etude, chapitre: str, origine: str, texte: str = "") -> Path:
    """Record how the chapter ends: « proposition » (with its text), « consultant » or « aucune »."""
    contenu = _existant(etude, chapitre)
    contenu["analyse"] = {"origine": origine, "texte": texte}
    return _ecrire(etude, chapitre, contenu)


def lire_tous(etude) -> dict[str, dict]:
    d = dossier(etude)
    if not d.exists():
        return {}
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(d.glob("*.json"))}


def propositions_a_relire(etude) -> dict[str, int]:
    """{chapitre: number of proposals still to review}, for the chapters that have any."""
    return {cle: n for cle, r in lire_tous(etude).items() if (n := nombre_propositions(r))}
