"""The one fingerprint kernel (diagnostic_territorial.empreintes) and what the three incremental
mechanisms built on it say when they redo something: the chapters' keys, the deliverables, the data
cache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from diagnostic_territorial import empreintes as noyau
from diagnostic_territorial.empreintes import ABSENT, Empreintes

# sha256("abc"), FIPS 180-2, appendix B.1
SHA_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def ecrire(chemin: Path, contenu: bytes) -> Path:
    chemin.parent.mkdir(parents=True, exist_ok=True)
    chemin.write_bytes(contenu)
    return chemin


@pytest.fixture
def lectures(monkeypatch):
    """The files the kernel actually reads (not answered from its memo)."""
    lus = []
    original = noyau.sha256_fichier

    def compter(chemin):
        lus.append(Path(chemin).name)
        return original(chemin)

    monkeypatch.setattr(noyau, "sha256_fichier", compter)
    return lus


# --- one file -------------------------------------------------------------------------------------

def test_empreinte_d_un_fichier_et_de_valeurs(tmp_path):
    f = ecrire(tmp_path / "a.csv", b"abc")
    assert Empreintes().fichier(f) == SHA_ABC
    assert noyau.empreinte_octets("abc") == noyau.empreinte_octets(b"abc") == SHA_ABC
    # texts: each one followed by a NUL byte, so that the cut between them counts
    assert noyau.empreinte_textes(["ab", "c"]) == hashlib.sha256(b"ab\0c\0").hexdigest()
    assert noyau.empreinte_textes(["ab", "c"]) != noyau.empreinte_textes(["a", "bc"])
    assert noyau.empreinte_textes([b"ab", "c"], longueur=16) == hashlib.sha256(b"ab\0c\0").hexdigest()[:16]
    # components: canonical JSON, the order of the keys does not matter
    assert noyau.empreinte_composantes({"b": 1, "a": {"y": "2", "x": "1"}}) == hashlib.sha256(
        b'{"a": {"x": "1", "y": "2"}, "b": 1}').hexdigest()
    assert noyau.empreinte_composantes({"a": 1, "b": 2}) == noyau.empreinte_composantes({"b": 2, "a": 1})


def test_memo_ne_relit_pas_un_fichier_inchange(tmp_path, lectures):
    memo = tmp_path / "build" / "empreintes.json"
    f = ecrire(tmp_path / "gros.parquet", b"abc")
    e = Empreintes(memo)
    assert e.fichier(f) == SHA_ABC and e.fichier(f) == SHA_ABC
    assert lectures == ["gros.parquet"]  # read once in the process
    e.enregistrer()
    etat = f.stat()
    assert json.loads(memo.read_text(encoding="utf-8")) == {
        str(f.resolve()): [3, etat.st_mtime_ns, etat.st_ino, SHA_ABC]}

    # the next command: answered from the memo file, not read again
    assert Empreintes(memo).fichier(f) == SHA_ABC
    assert lectures == ["gros.parquet"]

    # same size, an older date (a file replaced by an earlier version): read again
    f.write_bytes(b"abd")
    os.utime(f, ns=(etat.st_mtime_ns - 10**12, etat.st_mtime_ns - 10**12))
    assert Empreintes(memo).fichier(f) == hashlib.sha256(b"abd").hexdigest()
    assert lectures == ["gros.parquet", "gros.parquet"]


def test_memo_oublie_les_fichiers_disparus(tmp_path):
    memo = tmp_path / "empreintes.json"
    a, b = ecrire(tmp_path / "a", b"1"), ecrire(tmp_path / "b", b"2")
    e = Empreintes(memo)
    e.fichier(a), e.fichier(b)
    e.enregistrer()
    b.unlink()
    e = Empreintes(memo)
    e.fichier(ecrire(tmp_path / "c", b"3"))
    e.enregistrer()
    assert sorted(Path(k).name for k in json.loads(memo.read_text(encoding="utf-8"))) == ["a", "c"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # atomic write


def test_memo_illisible_ignore(tmp_path):
    memo = ecrire(tmp_path / "empreintes.json", b'{"coup')
    assert Empreintes(memo).fichier(ecrire(tmp_path / "a", b"abc")) == SHA_ABC


# --- a tree of files --------------------------------------------------------------------------------

@pytest.fixture
def dossier(tmp_path) -> Path:
    d = tmp_path / "complements"
    ecrire(d / "a.ipynb", b"notebook a")
    ecrire(d / "LISEZMOI.md", b"lisez-moi")
    ecrire(d / "donnees" / "enquete.csv", b"abc")
    ecrire(d / "donnees" / "brouillon.ipynb", b"un notebook de sous-dossier")
    ecrire(d / ".ipynb_checkpoints" / "a-checkpoint.ipynb", b"copie de JupyterLab")
    ecrire(d / "__pycache__" / "x.cpython-311.pyc", b"\0")
    ecrire(d / ".enquete.csv.123.abc.tmp", b"ecriture interrompue")
    return d


def test_arbre_et_exclusions(dossier):
    e = Empreintes()
    # hidden files and folders, Python's caches and temporary files never count
    assert e.fichiers(dossier) == {
        "LISEZMOI.md": hashlib.sha256(b"lisez-moi").hexdigest(),
        "a.ipynb": hashlib.sha256(b"notebook a").hexdigest(),
        "donnees/brouillon.ipynb": hashlib.sha256(b"un notebook de sous-dossier").hexdigest(),
        "donnees/enquete.csv": SHA_ABC,
    }
    # an anchored pattern leaves out the notebooks directly in the folder, not those of a subfolder
    assert list(e.fichiers(dossier, exclure=("/*.ipynb", "/LISEZMOI.md"))) == [
        "donnees/brouillon.ipynb", "donnees/enquete.csv"]
    # a pattern without « / » matches any part of the path: a folder leaves out all it holds
    assert list(e.fichiers(dossier, exclure=("*.ipynb", "donnees"))) == ["LISEZMOI.md"]
    assert list(e.fichiers(dossier, ("*.md", "donnees/*.csv"))) == ["LISEZMOI.md", "donnees/enquete.csv"]
    # one hash: names and contents
    attendu = hashlib.sha256(b"LISEZMOI.md\0" + hashlib.sha256(b"lisez-moi").hexdigest().encode() + b"\n"
                             + b"donnees/enquete.csv\0" + SHA_ABC.encode() + b"\n").hexdigest()
    assert e.arbre(dossier, ("*.md", "donnees/*.csv")) == attendu
    assert e.arbre(dossier / "absent") == ABSENT and e.fichiers(dossier / "absent") == {}
    assert noyau.exclu("a/b/.cache/c") and noyau.exclu("x.tmp") and not noyau.exclu("a/b.csv")


def test_changements_d_un_arbre(dossier):
    e = Empreintes()
    avant = e.fichiers(dossier)
    # the same content written again: new date, same fingerprints, nothing to redo
    (dossier / "donnees" / "enquete.csv").write_bytes(b"abc")
    ecrire(dossier / ".ipynb_checkpoints" / "a-checkpoint.ipynb", b"autre copie")
    assert e.fichiers(dossier) == avant
    assert noyau.raisons({"c": avant}, {"c": e.fichiers(dossier)}) == []

    (dossier / "donnees" / "enquete.csv").write_bytes(b"abcd")  # modified
    (dossier / "LISEZMOI.md").unlink()  # deleted
    ecrire(dossier / "donnees" / "quartiers.csv", b"x")  # added
    apres = e.fichiers(dossier)
    assert noyau.changements(avant, apres) == [
        "LISEZMOI.md supprimé", "donnees/enquete.csv modifié", "donnees/quartiers.csv ajouté"]
    assert noyau.raisons({"complements": avant}, {"complements": apres},
                         {"complements": "fichiers de complements/ modifiés"}) == [
        "fichiers de complements/ modifiés (LISEZMOI.md supprimé, donnees/enquete.csv modifié, "
        "donnees/quartiers.csv ajouté)"]
    assert noyau.changements(avant, apres, details_max=1) == ["LISEZMOI.md supprimé", "et 2 autres"]


# --- reasons -----------------------------------------------------------------------------------------

def test_raisons_lisibles():
    libelles = {"etude": "etude.yaml modifié", "yaml:": "{nom} modifié",
                "lecteurs": lambda avant, apres: f"lecteur {', '.join(sorted(k for k in apres if avant.get(k) != apres[k]))} corrigé"}
    avant = {"etude": "e1", "yaml:plan_action.yaml": "p1", "lecteurs": {"filosofi": "v1", "rp": "v1"},
             "donnees": "ancien format", "python": "3.11"}
    apres = {"etude": "e2", "yaml:plan_action.yaml": "p1", "lecteurs": {"filosofi": "v2", "rp": "v1"},
             "donnees": {"filosofi_2019.parquet": "s"}, "dossier:analyses": {"demographie.md": "s"}}
    assert noyau.raisons(avant, apres, libelles) == [
        "etude.yaml modifié",
        "lecteur filosofi corrigé",
        "donnees modifié",  # no label: its key; a fingerprint of another form: no detail
        "dossier:analyses modifié (demographie.md ajouté)",  # absent before: compared to an empty folder
        "python modifié",  # gone
    ]
    assert noyau.raisons(avant, {**apres, "yaml:plan_action.yaml": "p2"}, libelles)[1] == "plan_action.yaml modifié"
    assert noyau.raisons(avant, avant, libelles) == []
    assert noyau.raisons(None, {"etude": "e"}, libelles) == ["etude.yaml modifié"]


# --- the stored record -------------------------------------------------------------------------------

def test_enregistrement_atomique_et_comparaison(tmp_path):
    chemin = tmp_path / "build" / "notebooks" / "demographie.cle.json"
    composantes = {"notebook": SHA_ABC, "donnees": {"rp_2019.parquet": "s1"}}
    noyau.enregistrer(chemin, composantes, resultats_ecrits=True)
    lu = noyau.lire(chemin)
    assert lu == {"cle": noyau.empreinte_composantes(composantes), "composantes": composantes,
                  "resultats_ecrits": True}
    assert [p.name for p in chemin.parent.iterdir()] == ["demographie.cle.json"]  # no temporary file left
    assert noyau.a_jour(lu, composantes)
    assert not noyau.a_jour(lu, {**composantes, "donnees": {"rp_2019.parquet": "s2"}})
    assert not noyau.a_jour(None, composantes)
    chemin.write_text('{"cle": ', encoding="utf-8")
    assert noyau.lire(chemin) is None and noyau.lire(tmp_path / "absent.json") is None


# --- the mechanisms say why they redo something ------------------------------------------------------

def fausse_etude(racine: Path) -> SimpleNamespace:
    for d in ("analyses", "build", "data/cache", "livrables"):
        (racine / d).mkdir(parents=True, exist_ok=True)
    ecrire(racine / "etude.yaml", b"etude:\n  consultant: A\n")
    ecrire(racine / "analyses" / "demographie.md", b"La population augmente.\n")
    ecrire(racine / "data" / "cache" / "filosofi_2019.parquet", b"v1")
    return SimpleNamespace(racine=racine, chemin=racine / "etude.yaml", dossier_build=racine / "build",
                           dossier_cache=racine / "data" / "cache", dossier_livrables=racine / "livrables")


def test_livrable_dit_pourquoi_il_est_refait(tmp_path, monkeypatch):
    from diagnostic_territorial.execution import a_jour

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    etude = fausse_etude(tmp_path)
    rapport, fiches = etude.dossier_livrables / "rapport.html", etude.dossier_livrables / "fiches-communes.pdf"

    def produire(nom, sortie, contenu=b"<html>"):
        livrable = a_jour.Livrable(etude, nom, [sortie])
        if livrable.a_jour():
            return []
        ecrire(sortie, contenu)
        livrable.enregistrer()
        return livrable.raisons

    assert produire("rapport-html", rapport) == ["jamais produit (ou échec de la production précédente)"]
    assert produire("fiches-communes", fiches) == ["jamais produit (ou échec de la production précédente)"]
    assert produire("rapport-html", rapport) == [] and produire("fiches-communes", fiches) == []

    # the same analysis written again: nothing; another analysis: the report only, and it says which
    (tmp_path / "analyses" / "demographie.md").write_bytes(b"La population augmente.\n")
    assert produire("rapport-html", rapport) == []
    (tmp_path / "analyses" / "demographie.md").write_bytes(b"La population baisse.\n")
    assert produire("rapport-html", rapport) == ["analyses/ modifié (demographie.md modifié)"]
    assert produire("fiches-communes", fiches) == []

    (tmp_path / "etude.yaml").write_bytes(b"etude:\n  consultant: B\n")
    (tmp_path / "data" / "cache" / "filosofi_2019.parquet").write_bytes(b"v2")
    assert produire("fiches-communes", fiches) == [
        "etude.yaml modifié", "données modifiées (filosofi_2019.parquet modifié)"]

    fiches.unlink()
    assert produire("fiches-communes", fiches) == [
        "fichiers produits supprimés ou modifiés depuis (livrables/fiches-communes.pdf supprimé)"]
    fiches.write_bytes(b"retouche")
    assert produire("fiches-communes", fiches) == [
        "fichiers produits supprimés ou modifiés depuis (livrables/fiches-communes.pdf modifié)"]
    livrable = a_jour.Livrable(etude, "fiches-communes", [fiches], force=True)
    assert not livrable.a_jour() and livrable.raisons == ["production forcée (--force)"]


def test_resume_des_chapitres_dit_pourquoi(tmp_path):
    from diagnostic_territorial.chapitres.plan import chapitre
    from diagnostic_territorial.execution.notebooks import ResultatExecution, resume

    def r(cle, raisons, reutilise=False):
        return ResultatExecution(chapitre(cle), 1, tmp_path / f"{cle}.ipynb", "ok", duree=2.04,
                                 reutilise=reutilise, raisons=raisons)

    texte = resume([r("demographie", ["données modifiées (rp_2019.parquet modifié)"]), r("economie", [], True)])
    assert texte.splitlines()[1:] == [
        "  demographie exécuté en 2.0 s : données modifiées (rp_2019.parquet modifié)"]
    texte = resume([r("demographie", ["bibliothèque modifiée"]), r("economie", ["bibliothèque modifiée"])])
    assert texte.splitlines() == ["2 chapitre(s) sans erreur sur 2 : 2 exécuté(s), 0 inchangé(s) réutilisé(s).",
                                  "  2 chapitres exécutés : bibliothèque modifiée"]


FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def test_cache_de_donnees_dit_quel_fichier_a_change(tmp_path):
    from test_cache_etude import etude

    from diagnostic_territorial.sources import preparation as donnees

    e = etude(tmp_path, ["31135", "31204", "31454"], millesimes={"populations_legales": 2019, "filosofi": 2019})
    e.dossier_brut.mkdir(parents=True)
    shutil.copyfile(FIXTURES / "donnees_communes.csv", e.dossier_brut / "donnees_communes.csv")
    for f in FIXTURES.glob("FILO2019_DISP_*.csv"):
        shutil.copyfile(f, e.dossier_brut / f.name)
    assert [r.relu for r in donnees.preparer(e, telecharger=False)] == ["", ""]  # first build: nothing to say

    # the same file copied again (new date, same content): nothing read again
    shutil.copyfile(FIXTURES / "FILO2019_DISP_COM.csv", e.dossier_brut / "FILO2019_DISP_COM.csv")
    assert {r.source: r.message for r in donnees.preparer(e, telecharger=False)}["filosofi"] == "cache à jour"

    # one value changed in one file: that cache is rebuilt and names the file
    chemin = e.dossier_brut / "FILO2019_DISP_COM.csv"
    texte = chemin.read_text(encoding="utf-8")
    ligne = next(l for l in texte.splitlines() if l.startswith("31135"))
    champs = ligne.split(";")
    k = next(i for i, c in enumerate(champs) if i > 1 and c.replace(".", "", 1).isdigit())
    champs[k] = str(int(float(champs[k])) + 10)
    chemin.write_text(texte.replace(ligne, ";".join(champs)), encoding="utf-8")
    relus = {r.source: r.relu for r in donnees.preparer(e, telecharger=False)}
    assert relus == {"populations_legales": "",
                     "filosofi": "fichiers de data/brut modifiés (FILO2019_DISP_COM.csv modifié) : fichiers relus"}

    # a file declared simulated (or no longer): the mention changes, the cache says so
    (e.dossier_brut / "simulations.yaml").write_text("fichiers:\n  - donnees_communes.csv\n", encoding="utf-8")
    relus = {r.source: r.relu for r in donnees.preparer(e, telecharger=False)}
    assert relus["populations_legales"].startswith("fichiers déclarés simulés (data/brut/simulations.yaml) modifiés")
