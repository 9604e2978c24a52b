"""Qualitative material of the study: summaries of interviews and workshops, one markdown file per
theme in qualitatif/<theme>.md (theme = a chapter key), and qualitatif/constats_partages.md, the
synthesis of the shared findings that feeds the plan d'action. Read only, never written.
The writing guide in each file is an HTML comment: it never reaches the report."""

from __future__ import annotations

import re
from pathlib import Path

CONSTATS = "constats_partages"


def dossier(etude) -> Path:
    return Path(etude.racine) / "qualitatif"


def _texte(chemin: Path) -> str:
    if not chemin.is_file():
        return ""
    texte = chemin.read_text(encoding="utf-8-sig")
    return re.sub(r"<!--.*?-->", "", texte, flags=re.DOTALL).strip()


def synthese(etude, theme: str) -> str:
    """The markdown summary of a theme (empty when absent or only the guide)."""
    return _texte(dossier(etude) / f"{theme}.md")


def themes(etude) -> list[str]:
    """Themes with a non-empty summary, in the order of the report's plan."""
    from diagnostic_territorial.chapitres.plan import CHAPITRES

    ordre = {c.cle: i for i, c in enumerate(CHAPITRES)}
    d = dossier(etude)
    trouves = [p.stem for p in d.glob("*.md") if p.stem not in (CONSTATS, "LISEZMOI") and _texte(p)] if d.is_dir() else []
    return sorted(trouves, key=lambda t: (ordre.get(t, len(ordre)), t))


def constats_partages(etude) -> list[str]:
    """The shared findings, one per list item of qualitatif/constats_partages.md (for the plan d'action)."""
    texte = _texte(dossier(etude) / f"{CONSTATS}.md")
    return [m.group(1).strip() for m in re.finditer(r"^\s*[-*]\s+(.+)$", texte, flags=re.MULTILINE)]


def html_synthese(etude, theme: str) -> str:
    """The theme's summary as HTML inside ``div.analyse`` ('' when there is none): for the thematic
    chapters that want to show what inhabitants and actors said about their theme. The Markdown is
    sanitised (:func:`assainir.markdown`, via presentation): no script, event handler or
    ``javascript:`` link of the file reaches the report."""
    from diagnostic_territorial.rendu.presentation import _markdown_en_html

    texte = synthese(etude, theme)
    return f'<div class="analyse parole">{_markdown_en_html(texte)}</div>' if texte else ""
