"""Reliability: incremental and reproducible deliverables, interrupted runs that lose nothing,
temporary files cleaned, secret statistique never published, analyses that are not UTF-8.

The slow tests work on copies of the demo study built once per session (conftest.etude_executee).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from diagnostic_territorial.indicateurs import catalogue as cat
from diagnostic_territorial import ecriture
from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial.configuration.etude import Etude
from diagnostic_territorial.rendu.presentation import html_analyse

from conftest import copie_etude
from test_livrables import normaliser, texte_pdf

LIVRABLES = ("rapport.html", "rapport.pdf", "synthese.html", "synthese.pdf", "fiches-communes.pdf",
             "presentation.slides.html", "plan-action.html", "plan-action.pdf")


def commande(etude: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "diagnostic_territorial", "--etude", str(etude / "etude.yaml"),
                           *args], capture_output=True, text=True, cwd=etude, timeout=1200,
                          env={**os.environ, "PYTHONPATH": str(etude / "src"), **(env or {})})


def empreintes_livrables(etude: Path) -> dict[str, bytes]:
    d = etude / "livrables"
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


# --- analyses/ that is not UTF-8 ------------------------------------------------------------------

def test_analyse_non_utf8_nomme_le_fichier_et_la_ligne(tmp_path):
    chemin = tmp_path / "analyses" / "demographie.md"
    chemin.parent.mkdir()
    contenu = "La population augmente.\nLa santé des aînés : à suivre.\n".encode("cp1252")
    chemin.write_bytes(contenu)
    with pytest.raises(ErreurDiagnostic) as e:
        html_analyse(chemin)
    message = str(e.value)
    assert "demographie.md" in message and "UTF-8" in message
    assert "ligne 2" in message and "« La sant »" in message
    assert chemin.read_bytes() == contenu  # the consultant's text is never rewritten


def test_analyse_utf8_avec_bom_acceptee(tmp_path):
    chemin = tmp_path / "jeunesse.md"
    chemin.write_bytes("\ufeffLes jeunes partent étudier à Toulouse.".encode("utf-8"))
    assert "Les jeunes partent étudier à Toulouse." in html_analyse(chemin)


# --- temporary files of atomic writes ---------------------------------------------------------------

def test_nettoyer_temporaires_seulement_ceux_d_un_processus_mort_ou_trop_vieux(tmp_path):
    mort = subprocess.Popen([sys.executable, "-c", "pass"])
    mort.wait()  # its pid no longer exists
    orphelin = tmp_path / f".rapport.pdf.{mort.pid}.k3j_x.tmp"
    en_cours = tmp_path / f".rapport.html.{os.getpid()}.ab12.tmp"
    vieux = tmp_path / f".synthese.pdf.{os.getpid()}.zz9.tmp"
    autres = [tmp_path / "rapport.pdf", tmp_path / "notes.tmp", tmp_path / ".rapport.pdf.abc.tmp"]
    for p in (orphelin, en_cours, vieux, *autres):
        p.write_bytes(b"x")
    il_y_a_deux_jours = time.time() - 2 * 24 * 3600
    os.utime(vieux, (il_y_a_deux_jours, il_y_a_deux_jours))

    retires = ecriture.nettoyer_temporaires(tmp_path)

    assert sorted(retires) == sorted([orphelin, vieux])
    assert en_cours.exists() and all(p.exists() for p in autres)


def test_ecriture_atomique_retire_le_temporaire_d_un_processus_tue(tmp_path):
    mort = subprocess.Popen([sys.executable, "-c", "pass"])
    mort.wait()
    (tmp_path / f".rapport.html.{mort.pid}.q1.tmp").write_bytes(b"<html>moiti")
    ecriture._ecrire_atomiquement(tmp_path / "rapport.html", b"<html>complet</html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html"]
    assert (tmp_path / "rapport.html").read_bytes() == b"<html>complet</html>"


def test_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767268800")  # 2026-01-01 12:00 UTC
    assert ecriture.date_generation() == dt.date(2026, 1, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "demain")
    with pytest.raises(ErreurDiagnostic, match="SOURCE_DATE_EPOCH vaut « demain »"):
        ecriture.date_generation()


# --- secret statistique: the deliverables never publish a masked source cell ----------------------

class _Tableaux(HTMLParser):
    """The tables of an HTML page as lists of rows of cell texts."""

    def __init__(self):
        super().__init__()
        self.tableaux, self._ligne, self._cellule = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tableaux.append([])
        elif tag == "tr" and self.tableaux:
            self._ligne = []
        elif tag in ("td", "th") and self._ligne is not None:
            self._cellule = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cellule is not None:
            self._ligne.append(normaliser("".join(self._cellule)).strip())
            self._cellule = None
        elif tag == "tr" and self._ligne is not None:
            self.tableaux[-1].append(self._ligne)
            self._ligne = None

    def handle_data(self, data):
        if self._cellule is not None:
            self._cellule.append(data)


def tableaux(chemin: Path) -> list[list[list[str]]]:
    p = _Tableaux()
    p.feed(chemin.read_text(encoding="utf-8"))
    return p.tableaux


SOURCES_SECRETES = ("caf_communes", "france_travail", "filosofi")


@pytest.fixture(scope="module")
def cellules_masquees(etude_executee):
    """{source: {(commune code, variable)}} of the commune cells the source files mask, read
    straight from the parsed cache (not through the library's indicator code)."""
    etude = Etude.charger(etude_executee / "etude.yaml")
    codes = set(etude.codes_communes())
    masquees = {}
    for source in SOURCES_SECRETES:
        millesime = cat.millesime_fichier(etude, cat.CLE_MILLESIME[source])
        df = pd.read_parquet(Path(etude.dossier_cache) / f"{source}_{millesime}.parquet",
                             filters=[("niveau", "==", "commune"), ("secret", "==", True)])
        masquees[source] = {(c, v) for c, v in zip(df["codgeo"], df["variable"]) if c in codes}
    return etude, masquees


def _variables_secretes(i: cat.Indicateur, etude) -> list[tuple[str, str]]:
    """(source, variable) of an indicator that come from a source with masked cells."""
    sortie = []
    for source, termes in ((i.source, i.numerateur), (i.source_denominateur or i.source, i.denominateur)):
        if source not in SOURCES_SECRETES:
            continue
        millesime = cat.millesime_fichier(etude, cat.CLE_MILLESIME[source])
        sortie += [(source, v) for v, _ in cat._termes(i, termes, millesime)]
    return sortie


def _par_libelle(etude) -> dict[str, list[cat.Indicateur]]:
    index = {}
    for i in cat.CATALOGUE.values():
        if _variables_secretes(i, etude):
            for libelle in {i.libelle, i.libelle_court}:
                index.setdefault(libelle, []).append(i)
    return index


def _est_masquee(i, code, etude, masquees) -> bool:
    return any((code, v) in masquees[s] for s, v in _variables_secretes(i, etude))


def _publie_un_nombre(texte: str) -> bool:
    return bool(re.search(r"\d", texte))


def test_aucune_cellule_masquee_publiee_dans_le_rapport_ni_la_synthese(etude_executee, cellules_masquees):
    etude, masquees = cellules_masquees
    assert sum(len(m) for m in masquees.values()) > 50  # the demo does have masked cells
    noms = {c["nom"]: c["code"] for c in etude.communes.to_dict("records")}
    index = _par_libelle(etude)
    verifiees, fuites = 0, []
    for livrable in ("rapport.html", "synthese.html"):
        for tableau in tableaux(etude_executee / "livrables" / livrable):
            if not tableau or not tableau[0]:
                continue
            entete = tableau[0]
            if entete[0] == "Commune":
                # one row per commune, one column per indicator
                for ligne in tableau[1:]:
                    code = noms.get(ligne[0])
                    for j, cellule in enumerate(ligne[1:], start=1):
                        if code is None or j >= len(entete):
                            continue
                        for i in index.get(entete[j], []):
                            if _est_masquee(i, code, etude, masquees):
                                verifiees += 1
                                if _publie_un_nombre(cellule):
                                    fuites.append((livrable, ligne[0], entete[j], cellule))
            elif entete[0] == "Indicateur" and etude.nom_territoire in entete:
                # one row per indicator: the territory's value is a sum over its communes, masked
                # as soon as one of them is (otherwise the masked cell = territory - the others)
                colonne = entete.index(etude.nom_territoire)
                for ligne in tableau[1:]:
                    libelle = re.sub(r"\s*\(\d{4}\)$", "", ligne[0])
                    for i in index.get(libelle, []):
                        if i.agregeable and any(_est_masquee(i, c, etude, masquees) for c in noms.values()):
                            verifiees += 1
                            if colonne < len(ligne) and _publie_un_nombre(ligne[colonne]):
                                fuites.append((livrable, libelle, etude.nom_territoire, ligne[colonne]))
    assert verifiees >= 20, verifiees  # the scan did look at masked cells
    assert fuites == []


def test_aucune_cellule_masquee_publiee_dans_les_fiches_communes(etude_executee, cellules_masquees):
    etude, masquees = cellules_masquees
    index = _par_libelle(etude)
    verifiees, fuites = 0, []
    for commune in etude.communes.to_dict("records"):
        fiches = list((etude_executee / "livrables" / "fiches-communes").glob(f"{commune['code']}-*.pdf"))
        assert len(fiches) == 1, commune
        texte = texte_pdf(fiches[0])
        for libelle, indicateurs in index.items():
            # « <libellé> (2019) ³ <valeur de la commune> <territoire> <département> »
            m = re.search(re.escape(libelle) + r" \(\d{4}\) [¹²³⁴⁵⁶⁷⁸⁹]* ?(\S+)", texte)
            if m is None:
                continue
            if any(_est_masquee(i, commune["code"], etude, masquees) for i in indicateurs):
                verifiees += 1
                if _publie_un_nombre(m.group(1)):
                    fuites.append((commune["nom"], libelle, m.group(1)))
    assert verifiees >= 3, verifiees
    assert fuites == []


def _nombre(texte: str) -> float | None:
    texte = texte.replace(" ", "").replace("%", "").replace(",", ".")
    return float(texte) if re.fullmatch(r"\d+(\.\d+)?", texte) else None


def test_enquete_aucun_effectif_sous_le_seuil_dans_les_livrables(etude_executee):
    """The survey tables (« Parole des habitants ») publish no count between 1 and the threshold,
    and every cross-tabulation cell counting fewer respondents than the threshold is shown « s »
    (its share, weighted or not, would give an identifiable group away). The raw counts are those of
    the survey export; the cells are those of the published HTML."""
    from diagnostic_territorial import enquete

    etude = Etude.charger(etude_executee / "etude.yaml")
    seuil = enquete.seuil(etude)
    assert seuil >= 5
    reponses = enquete.charger_enquete(etude)
    croisements = {}
    for question in reponses.questionnaire.questions:
        for par in getattr(question, "croiser", ()) or ():
            t = enquete.tabuler(reponses, question.cle, par)
            croisements[(tuple(t.modalites), tuple(t.groupes))] = t
    assert croisements

    effectifs, cellules, fuites = 0, 0, []
    for livrable in ("rapport.html", "synthese.html"):
        for tableau in tableaux(etude_executee / "livrables" / livrable):
            if not tableau or tableau[0][0] not in ("Réponse", "Âge", "Sexe", "Commune de résidence"):
                continue
            entete = tableau[0]
            for ligne in tableau[1:]:
                for j, cellule in enumerate(ligne[1:], start=1):
                    if entete[j] == "Répondants" or ligne[0].startswith("Répondants"):
                        n = _nombre(cellule)
                        if n is not None:
                            effectifs += 1
                            if 0 < n < seuil:
                                fuites.append((livrable, ligne[0], entete[j], cellule))
            lignes = [l for l in tableau[1:] if not l[0].startswith("Répondants")]
            t = croisements.get((tuple(l[0] for l in lignes), tuple(entete[1:-1])))
            if t is None:
                continue
            for i, ligne in enumerate(lignes):
                for j in range(len(t.groupes)):
                    n = int(t.effectifs[i][j])
                    if 0 < n < seuil:
                        cellules += 1
                        if ligne[j + 1] != "s":
                            fuites.append((livrable, ligne[0], entete[j + 1], ligne[j + 1], f"{n} répondant(s)"))
    assert effectifs >= 10 and cellules >= 5, (effectifs, cellules)
    assert fuites == []


# --- incremental deliverables -----------------------------------------------------------------------

@pytest.mark.lent
def test_livrables_refaits_seulement_quand_une_entree_change(etude_executee, tmp_path):
    etude = copie_etude(etude_executee, tmp_path)
    avant = empreintes_livrables(etude)
    mtimes = {p: p.stat().st_mtime_ns for p in (etude / "livrables").rglob("*") if p.is_file()}

    # Nothing changed (the copy keeps its cache keys: paths are relative): nothing rebuilt.
    r = commande(etude, "notebooks")
    assert r.returncode == 0 and "0 exécuté(s)" in r.stdout, r.stdout + r.stderr
    r = commande(etude, "livrables")
    assert r.returncode == 0, r.stderr
    # one line a group of outputs: rapport HTML, PDF, synthèse, fiches, slides, plan d'action, the
    # three Word documents and the tables in data
    assert r.stdout.count("À jour") == 10 and "Production de" not in r.stdout, r.stdout
    for nom in ("rapport.docx", "synthese.docx", "plan-action.docx", "donnees.xlsx"):
        assert f"production : {nom}" in r.stdout, nom
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes

    # The consultant's name is shown by the deliverables only: no notebook re-executed, the
    # deliverables showing it are rebuilt (two of them here, to keep the test short).
    yaml_txt = (etude / "etude.yaml").read_text(encoding="utf-8")
    (etude / "etude.yaml").write_text(yaml_txt.replace("consultant: ", "consultant: Atelier Garonne - ", 1),
                                      encoding="utf-8")
    r = commande(etude, "notebooks")
    assert "0 exécuté(s)" in r.stdout, r.stdout
    for cible in ("synthese", "plan-action"):
        r = commande(etude, cible)
        assert r.returncode == 0 and "À jour" not in r.stdout, r.stdout + r.stderr
    assert "Atelier Garonne - " in texte_pdf(etude / "livrables" / "synthese.pdf")
    assert "Atelier Garonne - " in (etude / "livrables" / "plan-action.html").read_text(encoding="utf-8")

    # A deliverable deleted by hand is rebuilt; one that is up to date is not.
    (etude / "livrables" / "plan-action.pdf").unlink()
    r = commande(etude, "plan-action")
    assert "À jour" not in r.stdout and (etude / "livrables" / "plan-action.pdf").is_file()
    r = commande(etude, "synthese")
    assert "À jour, rien n'a changé depuis la dernière production : synthese.html, synthese.pdf" in r.stdout

    # --force rebuilds anyway.
    html = etude / "livrables" / "synthese.html"
    mtime = html.stat().st_mtime_ns
    r = commande(etude, "synthese", "--force")
    assert r.returncode == 0 and "À jour" not in r.stdout, r.stdout
    assert html.stat().st_mtime_ns != mtime
    assert set(avant) == set(empreintes_livrables(etude))


# --- reproducibility ----------------------------------------------------------------------------------

@pytest.mark.lent
def test_deux_productions_identiques_octet_pour_octet(etude_executee, tmp_path):
    """Everything redone from scratch (notebooks and deliverables, --force) on a copy: every
    deliverable is byte-identical, PDF included. The generation date is the only line that may change
    from one day to the next: SOURCE_DATE_EPOCH pins it to the first production's date."""
    etude = copie_etude(etude_executee, tmp_path)
    premiere = empreintes_livrables(etude)
    etat = json.loads((etude / "build" / "livrables" / "rapport-html.json").read_text(encoding="utf-8"))
    jour = dt.date.fromisoformat(etat["composantes"]["date"])
    epoch = int(dt.datetime.combine(jour, dt.time(12), tzinfo=dt.timezone.utc).timestamp())
    env = {"SOURCE_DATE_EPOCH": str(epoch)}

    r = commande(etude, "notebooks", "--force", env=env)
    assert r.returncode == 0 and "14 exécuté(s)" in r.stdout, r.stdout + r.stderr
    r = commande(etude, "livrables", "--force", env=env)
    assert r.returncode == 0, r.stderr
    seconde = empreintes_livrables(etude)

    assert set(seconde) == set(premiere)
    differents = sorted(nom for nom in premiere if premiere[nom] != seconde[nom])
    assert differents == []
    # no absolute path of the machine in the deliverables nor the executed notebooks
    for nom, contenu in seconde.items():
        if nom.endswith(".html"):
            assert str(tmp_path).encode() not in contenu, nom
    for nb in (etude / "build" / "notebooks").glob("*.ipynb"):
        assert str(tmp_path) not in nb.read_text(encoding="utf-8"), nb.name

    # Another day: only the date line differs in the HTML report.
    env = {"SOURCE_DATE_EPOCH": str(epoch + 86400)}
    r = commande(etude, "assembler", env=env)
    assert r.returncode == 0, r.stderr
    lignes_avant = premiere["rapport.html"].decode("utf-8").splitlines()
    lignes_apres = (etude / "livrables" / "rapport.html").read_text(encoding="utf-8").splitlines()
    assert len(lignes_avant) == len(lignes_apres)
    changees = [(a, b) for a, b in zip(lignes_avant, lignes_apres) if a != b]
    assert len(changees) == 1, changees[:3]
    lendemain = jour + dt.timedelta(days=1)
    assert str(lendemain.day) in changees[0][1] and str(lendemain.year) in changees[0][1]


# --- an interrupted « make rapport » loses nothing ----------------------------------------------------

@pytest.mark.lent
def test_interruption_pendant_le_pdf_garde_l_ancien_rapport(etude_executee, tmp_path):
    etude = copie_etude(etude_executee, tmp_path)
    pdf = etude / "livrables" / "rapport.pdf"
    html = etude / "livrables" / "rapport.html"
    pdf_avant, html_avant = pdf.read_bytes(), html.read_bytes()
    analyse = etude / "analyses" / "demographie.md"
    analyse.write_text(analyse.read_text(encoding="utf-8")
                       + "\nLe vieillissement du nord du territoire appelle une vigilance particulière.\n",
                       encoding="utf-8")

    # unbuffered: each line is read as soon as it is printed
    make = subprocess.Popen(["make", "-C", str(etude), "rapport", f"PYTHON={sys.executable}"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        # The PDF is being built once its production is announced: the HTML group (rapport.html,
        # then the printable report with its static maps, then the technical annex) is complete and
        # recorded by then. rapport.html alone being written is too early: an interruption during
        # the printable report rightly leaves the HTML group to be redone.
        lignes = []
        while not any(ligne.startswith("Production de rapport.pdf") for ligne in lignes):
            ligne = make.stdout.readline()
            assert ligne, "".join(lignes)  # make ended before the PDF
            lignes.append(ligne)
        assert html.read_bytes() != html_avant
        time.sleep(1.0)
        assert make.poll() is None, "le PDF a été produit trop vite pour être interrompu"
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C in the terminal: the whole process group
        sortie, _ = make.communicate(timeout=120)
        sortie = "".join(lignes) + sortie
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()

    assert make.returncode != 0, sortie
    assert pdf.read_bytes() == pdf_avant  # the previous report, intact
    assert "vigilance particulière" in html.read_text(encoding="utf-8")
    restes = [p.name for p in (etude / "livrables").rglob("*") if p.name.endswith(".tmp")]
    assert restes == []

    # The next run completes, and redoes only what the interruption left undone.
    relance = subprocess.run(["make", "-C", str(etude), "rapport", f"PYTHON={sys.executable}"],
                             capture_output=True, text=True, timeout=1200)
    assert relance.returncode == 0, relance.stdout[-3000:] + relance.stderr[-3000:]
    assert "À jour, rien n'a changé depuis la dernière production : rapport.html" in relance.stdout
    # the fiches communes do not show the analyses: they were not rebuilt for an analysis edit
    assert "À jour, rien n'a changé depuis la dernière production : fiches-communes.pdf" in relance.stdout
    assert "vigilance particulière" in texte_pdf(pdf)
    assert [p.name for p in (etude / "livrables").rglob("*") if p.name.endswith(".tmp")] == []
