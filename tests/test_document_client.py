"""Issue 16, « un document client propre »: what the client receives (rapport HTML and PDF, synthèse,
fiches communes, diaporama, plan d'action) shows no path, no command, no file name, no YAML key, no
tool version and no exception, neither for the demo nor for a study where most sources are missing.
What is missing is listed once, in the « Sources à compléter » annex; the technical details go to
livrables/annexe-technique.html (not for the client) and to the terminal.

The deliverables are read as a reader reads them: the text of the PDFs (pypdf) and the text of the
HTML files without their tags (what a browser shows, with image and frame titles), never the markup."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pytest

# Files of livrables/ that are not for the client.
NON_CLIENT = {"annexe-technique.html"}

# What a client document never shows. Each entry: (label, regex applied to the text, URLs removed).
INTERDITS = [
    ("chemin", re.compile(r"(?<![\w.])/(?:tmp|home|work|root|Users|usr|var)/|\b[A-Z]:\\|~/")),
    ("dossier de l'étude", re.compile(r"\b(?:data/(?:brut|cache)|build/|livrables/|notebooks/|analyses/|"
                                      r"qualitatif/|enquete/|complements/)")),
    ("commande make", re.compile(r"\bmake\s")),
    ("nom de fichier", re.compile(r"\w\.(?:ya?ml|md|ipynb|py|parquet|json|log)\b", re.IGNORECASE)),
    ("trace Python", re.compile(r"Traceback|Error\b|Exception\b|Errno")),
    ("valeur manquante brute", re.compile(r"\b(?:nan|NaN|None|null|undefined)\b")),
    ("texte d'attente", re.compile(r"à rédiger", re.IGNORECASE)),
    ("identifiant technique", re.compile(r"\b[A-Za-z]+_[A-Za-z_]+\b")),
    ("empreinte", re.compile(r"\b[0-9a-f]{40,64}\b|SHA-?256|sha256", re.IGNORECASE)),
    ("version d'outil", re.compile(r"diagnostic[_-]territorial|Python \d|WeasyPrint|nbconvert|papermill|"
                                   r"JupyterLab|pandas", re.IGNORECASE)),
]
_RE_URL = re.compile(r"https?://\S+|www\.\S+")


def _noms_exceptions() -> set[str]:
    """The names of the library's exception classes (DonneeManquante, PlanActionInvalide...)."""
    import importlib
    import pkgutil

    import diagnostic_territorial

    noms = set()
    for module in pkgutil.walk_packages(diagnostic_territorial.__path__, "diagnostic_territorial."):
        if module.name.endswith(("__main__", "hooks_modele")):
            continue
        try:
            m = importlib.import_module(module.name)
        except Exception:  # noqa: BLE001 - an optional dependency missing: its names are not needed
            continue
        for nom, valeur in vars(m).items():
            if isinstance(valeur, type) and issubclass(valeur, BaseException) and valeur.__module__.startswith(
                    "diagnostic_territorial"):
                noms.add(nom)
    return noms


class _Texte(html.parser.HTMLParser):
    """The text of an HTML page as a browser shows it: no script, style or template content, image
    alternative texts and frame titles included."""

    CACHES = {"script", "style", "template", "noscript"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.morceaux: list[str] = []
        self.profondeur = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.CACHES:
            self.profondeur += 1
            return
        for nom, valeur in attrs:
            if nom in ("alt", "title") and valeur:
                self.morceaux.append(valeur)

    def handle_endtag(self, tag):
        if tag in self.CACHES and self.profondeur:
            self.profondeur -= 1

    def handle_data(self, data):
        if not self.profondeur:
            self.morceaux.append(data)


def texte_html(chemin: Path) -> str:
    analyseur = _Texte()
    analyseur.feed(Path(chemin).read_text(encoding="utf-8"))
    return " ".join(" ".join(analyseur.morceaux).split())


def texte_pdf(chemin: Path) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join((page.extract_text() or "") for page in PdfReader(chemin).pages).split())


def texte_docx(chemin: Path) -> str:
    """The text of a Word document: its paragraphs, tables, headers and footers."""
    import docx

    document = docx.Document(str(chemin))
    morceaux = [p.text for p in document.paragraphs]
    for table in document.tables:
        morceaux += [c.text for ligne in table.rows for c in ligne.cells]
    for section in document.sections:
        morceaux += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return " ".join(" ".join(morceaux).split())


def textes_livrables(dossier: Path) -> dict[str, str]:
    """{file name relative to livrables/: text} of every client deliverable (HTML, PDF, Word)."""
    textes = {}
    for chemin in sorted(Path(dossier).rglob("*")):
        nom = chemin.relative_to(dossier).as_posix()
        if not chemin.is_file() or nom in NON_CLIENT:
            continue
        if chemin.suffix == ".html":
            textes[nom] = texte_html(chemin)
        elif chemin.suffix == ".pdf":
            textes[nom] = texte_pdf(chemin)
        elif chemin.suffix == ".docx":
            textes[nom] = texte_docx(chemin)
    return textes


def problemes(texte: str, exceptions: set[str] | None = None) -> list[str]:
    """Each forbidden thing found in a client text, with some context."""
    sans_url = _RE_URL.sub(" ", texte)
    trouves = []
    for libelle, motif in INTERDITS:
        for m in motif.finditer(sans_url):
            debut = max(0, m.start() - 60)
            trouves.append(f"{libelle} : « …{sans_url[debut:m.end() + 40]}… »")
    for nom in sorted(exceptions or ()):
        if re.search(rf"\b{re.escape(nom)}\b", sans_url):
            trouves.append(f"nom d'exception : {nom}")
    return trouves


# --- Missing data: the client's notice, the consultant's message -----------------------------------

def _afficher_capture(monkeypatch) -> list:
    """Replace IPython's display: returns the list of (html, metadata) displayed."""
    import IPython.display

    affiches = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda objet, metadata=None: affiches.append((objet.data, metadata or {})))
    return affiches


MESSAGE_DETAILLE = ("Fichier manquant : « FILO2021_DISP_COM.csv » (Insee, Filosofi 2021). Téléchargez-le depuis "
                    "https://www.insee.fr/x et déposez-le dans /home/consultant/etude/data/brut/ puis relancez "
                    "« make donnees ».")


def test_donnees_manquantes_neutres_dans_le_document_client(monkeypatch):
    from diagnostic_territorial.rendu import presentation as pr

    affiches = _afficher_capture(monkeypatch)
    monkeypatch.delenv(pr.VARIABLE_DOCUMENT_CLIENT, raising=False)
    pr.donnees_manquantes(MESSAGE_DETAILLE)  # JupyterLab: the consultant reads what to do
    assert "/home/consultant/etude/data/brut/" in affiches[0][0] and "make donnees" in affiches[0][0]

    monkeypatch.setenv(pr.VARIABLE_DOCUMENT_CLIENT, "1")  # the notebooks executed for the report
    pr.donnees_manquantes(MESSAGE_DETAILLE)
    pr.donnees_manquantes("Insee ne publie pas de médiane <pour> ce regroupement.",
                          client="Insee ne publie pas de médiane <pour> ce regroupement.")
    (neutre, meta_neutre), (note, meta_note) = affiches[1:]
    assert "Donnée non disponible pour ce territoire : voir l'annexe « Sources à compléter »." in texte_de(neutre)
    assert problemes(neutre) == [] and "FILO2021" not in neutre and "Filosofi" not in neutre
    assert meta_neutre[pr.CLE_METADONNEES] == {"texte": pr.MESSAGE_NON_DISPONIBLE, "non_disponible": True}
    assert "médiane &lt;pour&gt; ce regroupement" in note  # escaped plain text
    assert meta_note[pr.CLE_METADONNEES]["non_disponible"] is False
    assert pr.non_disponible_d_une_sortie({"metadata": meta_neutre})
    assert not pr.non_disponible_d_une_sortie({"metadata": meta_note})


# --- Sources à compléter and the technical annex ----------------------------------------------------

def _etude(dossier: Path, code: str):
    from diagnostic_territorial.configuration.etude import Etude, ecrire_etude_yaml
    from diagnostic_territorial.territoire.resolution import resoudre

    dossier.mkdir(parents=True, exist_ok=True)
    ecrire_etude_yaml(dossier / "etude.yaml", resoudre(code), slug="test", consultant="", rp=2019, filosofi=2019)
    return Etude.charger(dossier / "etude.yaml")


def test_sources_a_completer_une_fois_sans_fichier_pour_le_client(tmp_path):
    from diagnostic_territorial.livrables import annexes
    from diagnostic_territorial.livrables.rapport import ChapitreExecute
    from diagnostic_territorial.sources import preparation

    etude = _etude(tmp_path / "etude", "31135")
    besoins = preparation.besoins(etude)
    assert ("filosofi", 2019) in besoins and ("populations_legales", 2023) in besoins
    # the Filosofi cache is there: only the others are to complete
    cache = preparation.chemin_cache(etude, "filosofi", 2019)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(b"")
    manquantes = annexes.sources_a_completer(etude)
    cles = [(m.cle, m.millesime) for m in manquantes if m.cle != "enquete"]
    assert cles == [b for b in besoins if b != ("filosofi", 2019)]
    assert [m.cle for m in manquantes].count("enquete") == 1  # no survey in this study
    pop = next(m for m in manquantes if m.cle == "populations_legales")
    assert pop.libelle == "Insee, populations légales 2023" and pop.publication == "insee.fr (catalogue Melodi)"

    client = annexes.html_sources_a_completer(manquantes)
    assert problemes(texte_de(client), _noms_exceptions()) == []
    assert client.count("Insee, populations légales 2023") == 1 and "Filosofi 2019" not in client

    chapitres = [ChapitreExecute(1, "demographie", "Dynamique démographique", None, "echec",
                                 "KeyError : 'P19_POP' <script>")]
    technique = annexes.html_annexe_technique(etude, chapitres, diagnostics=[])
    assert "data/brut/" in technique and "make donnees" in technique and str(tmp_path) not in technique
    assert any(f in technique for f in pop.fichiers)
    assert "KeyError : &#x27;P19_POP&#x27; &lt;script&gt;" in technique or "KeyError : 'P19_POP' &lt;script&gt;" in technique
    lignes = annexes.resume_terminal(etude, chapitres)
    assert any("Insee, populations légales 2023" in l and pop.fichiers[0] in l for l in lignes)
    assert any("KeyError" in l and "Dynamique démographique" in l for l in lignes)


def texte_de(fragment: str) -> str:
    analyseur = _Texte()
    analyseur.feed(fragment)
    return " ".join(" ".join(analyseur.morceaux).split())


def test_libelles_client_sans_identifiant_de_catalogue():
    from diagnostic_territorial.livrables.annexes import libelle_client, libelle_court
    from diagnostic_territorial.sources import catalogue

    assert libelle_court(catalogue.fichiers("rp_logement", 2023)[0]) == \
        "Insee, RP 2023 — logements (exploitation principale)"
    assert libelle_court(catalogue.fichiers("filosofi", 2021)[0]) == "Insee, Filosofi 2021"
    assert libelle_client("Insee, BPE 2024 — Melodi DS_BPE (Base permanente des équipements)") == \
        "Insee, BPE 2024 — catalogue Melodi : Base permanente des équipements"
    assert libelle_client("Cnaf, data.caf.fr (s_ben_com_f), foyers allocataires") == "Cnaf, data.caf.fr, foyers allocataires"


# --- Simulated data: a banner on the cover, atop every page and slide ------------------------------------

def test_donnees_simulees_annoncees_sur_chaque_document(tmp_path):
    from diagnostic_territorial.livrables.annexes import donnees_simulees
    from diagnostic_territorial.livrables.commun import BANDEAU_SIMULE, _jinja, _meta

    etude = _etude(tmp_path / "etude", "31135")
    questionnaire = Path(__file__).resolve().parents[1] / "{{cookiecutter.territoire}}" / "enquete" / "questionnaire.yaml"
    (etude.racine / "enquete").mkdir()
    (etude.racine / "enquete" / "questionnaire.yaml").write_bytes(questionnaire.read_bytes())  # « simule: true »
    assert not donnees_simulees(etude) and _meta(etude)["simule"] is False  # ... but no survey imported
    etude.dossier_brut.mkdir(parents=True, exist_ok=True)
    (etude.dossier_brut / "simulations.yaml").write_text("- s_ben_com_f.csv\n", encoding="utf-8")
    assert donnees_simulees(etude)
    m = _meta(etude)
    couverture = texte_de(_jinja().get_template("_couverture.html.j2").render(m=m, titre_document="Synthèse"))
    assert couverture.count(BANDEAU_SIMULE) == 2  # the screen's top banner and the cover's box
    assert "Version de l" not in couverture and "diagnostic_territorial" not in couverture
    diapos = _jinja().get_template("presentation.html.j2").render(m=m, diapos=[], echecs=["7. Jeunesse"], s=None)
    assert diapos.count('class="bandeau-diapo"') == diapos.count('<section class="diapo') == 2
    m["simule"] = False
    assert BANDEAU_SIMULE not in _jinja().get_template("_couverture.html.j2").render(m=m, titre_document="S")


def test_rapport_donnees_simulees_et_sans_version_d_outil(tmp_path):
    import datetime as dt

    from diagnostic_territorial.livrables.commun import BANDEAU_SIMULE
    from diagnostic_territorial.livrables.rapport import ChapitreExecute, assembler

    chapitres = [ChapitreExecute(1, "demographie", "Dynamique démographique", None, "absent", "lancez make notebooks")]
    meta = {"nom_territoire": "Cazères", "sous_titre": "Analyse des besoins sociaux (ABS)", "consultant": "Cabinet",
            "date": dt.date(2026, 11, 30), "version": "0.1.0", "communes": 1, "departement": "Haute-Garonne"}
    sans = texte_html(assembler(chapitres, tmp_path / "a.html", meta))
    avec = texte_html(assembler(chapitres, tmp_path / "b.html", dict(meta, simule=True)))
    assert BANDEAU_SIMULE not in sans and avec.count(BANDEAU_SIMULE) == 2  # atop the screen, on the cover
    assert "string-set: simule" in (tmp_path / "b.html").read_text(encoding="utf-8")  # atop each PDF page
    for texte in (sans, avec):
        assert problemes(texte) == [] and "0.1.0" not in texte


# --- The example plan d'action -------------------------------------------------------------------------

def test_departement_avec_son_article():
    from diagnostic_territorial.hooks_modele import _TNCC, du_departement
    from diagnostic_territorial import PAQUET

    codes = [l.split(",")[0] for l in (PAQUET / "referentiel" / "departements_2022.csv").read_text(
        encoding="utf-8").splitlines()[1:]]
    assert set(codes) == set(_TNCC)  # every département of the COG has its type of name
    assert du_departement("31", "Haute-Garonne") == "de la Haute-Garonne"
    assert du_departement("01", "Ain") == "de l'Ain"
    assert du_departement("59", "Nord") == "du Nord"
    assert du_departement("40", "Landes") == "des Landes"
    assert du_departement("28", "Eure-et-Loir") == "d'Eure-et-Loir"
    assert du_departement("75", "Paris") == "de Paris"


def _plan_exemple(tmp_path, code: str, cadre: str):
    import datetime as dt

    from diagnostic_territorial.hooks_modele import ecrire_plan_action_exemple
    from diagnostic_territorial.territoire.resolution import resoudre

    chemin = tmp_path / cadre / "plan_action.yaml"
    chemin.parent.mkdir(parents=True)
    modele = Path(__file__).resolve().parents[1] / "{{cookiecutter.territoire}}" / "plan_action.yaml"
    chemin.write_text(modele.read_text(encoding="utf-8"), encoding="utf-8")
    ecrire_plan_action_exemple(chemin, resoudre(code), cadre, dt.date(2026, 11, 30))
    return chemin


def test_plan_action_exemple_adapte_et_marque(tmp_path):
    from diagnostic_territorial.livrables import annexes
    from diagnostic_territorial.livrables.plan_action import charger, est_exemple

    abs_ = _plan_exemple(tmp_path, "01053", "abs")  # CCAS of Bourg-en-Bresse (Ain)
    plan = charger(abs_)
    fiche = plan.fiches[0]
    assert fiche.porteur == "Centre communal d'action sociale (CCAS) de Bourg-en-Bresse"
    assert "R123-1 du code de l'action sociale et des familles" in plan.introduction
    assert "personnes handicapées" in plan.introduction and "CTG" not in abs_.read_text(encoding="utf-8")
    assert "Caf de l'Ain" in fiche.partenaires and "Conseil départemental de l'Ain" in fiche.partenaires
    assert fiche.calendrier.startswith("2027-2028")  # after the study's date (30 November 2026)

    ctg = _plan_exemple(tmp_path, "200068815", "ctg")  # CC Cœur de Garonne (Haute-Garonne)
    plan = charger(ctg)
    assert "Convention territoriale globale (CTG) signée entre CC Cœur de Garonne et la Caf de la Haute-Garonne" \
        in plan.introduction
    assert plan.fiches[0].porteur == "CC Cœur de Garonne" and "CCAS" not in ctg.read_text(encoding="utf-8")

    # marked « Exemple » while unchanged; a comment does not count, a field does
    assert est_exemple(ctg)
    html = annexes._html_plan_annexe(ctg, [])
    assert "Exemple" in texte_de(html) and "Exemple de fiche 1" in texte_de(html)
    ctg.write_text(ctg.read_text(encoding="utf-8") + "# une note du consultant\n", encoding="utf-8")
    assert est_exemple(ctg)
    ctg.write_text(ctg.read_text(encoding="utf-8").replace("priorite: haute", "priorite: moyenne"), encoding="utf-8")
    assert not est_exemple(ctg)
    assert "Exemple" not in texte_de(annexes._html_plan_annexe(ctg, []))


def test_plan_action_invalide_neutre_pour_le_client(tmp_path):
    from diagnostic_territorial.livrables import annexes

    chemin = _plan_exemple(tmp_path, "31135", "dst")
    chemin.write_text(chemin.read_text(encoding="utf-8").replace("    objectif:", "    objectifs:"), encoding="utf-8")
    avertissements = []
    client = texte_de(annexes._html_plan_annexe(chemin, avertissements))
    assert "Plan d'action en cours de rédaction" in client and problemes(client) == []
    assert avertissements and "objectifs" in avertissements[0]  # the terminal names the field


# --- The test: every client deliverable of the demo and of a study missing most sources ------

def _commande(etude: Path, *args: str):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"), *args],
                          capture_output=True, text=True, cwd=etude, timeout=1800, env=dict(os.environ))


@pytest.fixture(scope="module")
def etude_sources_manquantes(etude_preparee, tmp_path_factory) -> Path:
    """An ABS of one commune (Cazères) with two sources only, the real files of the demo: Filosofi 2019
    and the populations légales 2019. Everything else (recensement, Caf, BPE, France Travail, survey)
    is missing; nothing is downloaded."""
    import shutil

    from cookiecutter.main import cookiecutter

    dossier = tmp_path_factory.mktemp("sources_manquantes")
    etude = Path(cookiecutter(str(Path(__file__).resolve().parents[1]), no_input=True, output_dir=str(dossier),
                              extra_context={"territoire": "cazeres-abs", "code_territoire": "31135", "cadre": "abs",
                                             "thematiques": "aucune", "millesime_filosofi": "2019"}))
    brut = etude_preparee / "data" / "brut"
    for f in [*brut.glob("FILO2019_*"), brut / "donnees_communes_pop_2019.csv"]:
        shutil.copy(f, etude / "data" / "brut")
    r = _commande(etude, "donnees", "--hors-ligne")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout[-2000:] + r.stderr[-2000:]
    r = _commande(etude, "notebooks")
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    r = _commande(etude, "livrables")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout[-2000:] + r.stderr[-3000:]
    (etude / "terminal.txt").write_text(r.stdout, encoding="utf-8")
    return etude


def _verifier_livrables(etude: Path) -> dict[str, str]:
    textes = textes_livrables(etude / "livrables")
    attendus = {"rapport.html", "rapport.pdf", "synthese.html", "synthese.pdf", "presentation.slides.html",
                "plan-action.html", "plan-action.pdf", "fiches-communes.pdf"}
    assert attendus <= set(textes), sorted(textes)
    assert any(n.startswith("fiches-communes/") for n in textes)
    exceptions = _noms_exceptions()
    trouves = {nom: problemes(texte, exceptions) for nom, texte in textes.items()}
    assert {nom: p[:5] for nom, p in trouves.items() if p} == {}
    return textes


def test_livrables_de_la_demo_propres(etude_executee):
    from pypdf import PdfReader

    from diagnostic_territorial.livrables.commun import BANDEAU_SIMULE

    textes = _verifier_livrables(etude_executee)
    assert "Exemple" in textes["plan-action.pdf"]  # the example plan, unmodified
    # simulated data: said on the cover and atop every page and slide
    livrables = etude_executee / "livrables"
    for nom in ("rapport.pdf", "synthese.pdf", "plan-action.pdf", "fiches-communes.pdf"):
        pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(livrables / nom).pages]
        sans = [(i, t[:200]) for i, t in enumerate(pages, 1) if BANDEAU_SIMULE.lower() not in t.lower()]
        assert sans == [], nom
    diapos = (livrables / "presentation.slides.html").read_text(encoding="utf-8")
    assert diapos.count('<p class="bandeau-diapo"') == diapos.count('<section class="diapo') > 3
    technique = (etude_executee / "livrables" / NOM_TECHNIQUE).read_text(encoding="utf-8")
    assert "SHA-256" in technique and "diagnostic_territorial" in technique  # the details are kept there


NOM_TECHNIQUE = "annexe-technique.html"


def sections_sans_contenu(html: str) -> list[str]:
    """Headings of the report's body followed by a heading of the same or a higher level with no
    text between them (the table of contents left out)."""
    corps = html[html.index('<section aria-labelledby="chap-1"'):]
    corps = re.sub(r"<(script|style)\b.*?</\1>", "", corps, flags=re.S)
    titres = list(re.finditer(r"<h([1-4])\b[^>]*>(.*?)</h\1>", corps, flags=re.S))
    vides = []
    for a, b in zip(titres, titres[1:]):
        entre = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", corps[a.end():b.start()])).strip()
        if not entre and int(a.group(1)) >= int(b.group(1)):
            vides.append(re.sub(r"<[^>]+>", "", a.group(2)).strip())
    return vides


def test_livrables_d_une_etude_sans_la_plupart_des_sources(etude_sources_manquantes):
    etude = etude_sources_manquantes
    textes = _verifier_livrables(etude)
    rapport = textes["rapport.html"]
    simulees = {n: t[max(0, t.index("simulées") - 150):t.index("simulées") + 50] for n, t in textes.items()
                if "simulées" in t}
    assert simulees == {}  # real files only: no banner
    # the body says it neutrally, the annex lists each missing source once
    assert "Donnée non disponible pour ce territoire : voir l'annexe « Sources à compléter »." in rapport
    html = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8")
    assert html.count('id="annexe-sources-a-completer"') == 1
    annexe = rapport[rapport.rindex("Sources à compléter Les sources suivantes"):]
    assert annexe.count("Insee, BPE 2025") == 1 and "Insee, Filosofi 2019" not in annexe
    assert "Enquête auprès des habitants" in annexe
    # never a section heading alone: every section says something, if only that its data is missing
    assert sections_sans_contenu(html) == []
    # an ABS says ABS, with its CCAS and article R123-1 of the CASF
    assert "Analyse des besoins sociaux (ABS)" in textes["rapport.pdf"]
    plan = textes["plan-action.pdf"]
    assert "Exemple" in plan and "Centre communal d'action sociale (CCAS) de Cazères" in plan
    assert "R123-1" in plan and "Caf de la Haute-Garonne" in plan and "CTG" not in plan
    # the consultant's details: the technical annex and the terminal
    technique = (etude / "livrables" / NOM_TECHNIQUE).read_text(encoding="utf-8")
    assert "data/brut/" in technique and "make donnees" in technique and "DS_BPE_2025_data.csv" in technique
    terminal = (etude / "terminal.txt").read_text(encoding="utf-8")
    assert "Sources à compléter" in terminal and str(etude / "data" / "brut") in terminal
