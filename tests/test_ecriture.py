"""The one implementation of the atomic write (ecriture.py): previous file intact after an
interruption, no temporary file left, JSON byte for byte as the call sites wrote it, French message
naming the folder when the disk refuses the write."""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from diagnostic_territorial import ecriture
from diagnostic_territorial.cli import message_disque
from diagnostic_territorial.ecriture import ecrire_json, ecrire_octets, ecrire_texte, fichier_temporaire


def _noms(dossier: Path) -> list[str]:
    return sorted(p.name for p in dossier.iterdir())


def test_fichier_temporaire_remplace_la_cible(tmp_path):
    cible = tmp_path / "sous" / "archive.zip"  # the folder is created
    with fichier_temporaire(cible) as temp:
        assert temp.parent == cible.parent and temp.name.startswith(f".archive.zip.{os.getpid()}.")
        assert temp.name.endswith(".tmp") and temp.exists()
        with zipfile.ZipFile(temp, "w") as archive:
            archive.writestr("a.txt", "contenu")
        assert not cible.exists()  # nothing under the target's name before the rename
    assert _noms(cible.parent) == ["archive.zip"]
    assert zipfile.ZipFile(cible).read("a.txt") == b"contenu"
    assert stat.S_IMODE(cible.stat().st_mode) == 0o644


def test_ecriture_interrompue_garde_le_fichier_precedent(tmp_path):
    cible = tmp_path / "cache.parquet"
    cible.write_bytes(b"version precedente")
    with pytest.raises(RuntimeError, match="plantage"):
        with fichier_temporaire(cible) as temp:
            temp.write_bytes(b"nouvelle version a moit")
            raise RuntimeError("plantage simulé")
    assert cible.read_bytes() == b"version precedente"
    assert _noms(tmp_path) == ["cache.parquet"]  # no temporary file left behind

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C too
        with fichier_temporaire(cible) as temp:
            temp.write_bytes(b"x")
            raise KeyboardInterrupt
    assert cible.read_bytes() == b"version precedente"
    assert _noms(tmp_path) == ["cache.parquet"]


def test_renommage_refuse_garde_le_fichier_precedent(tmp_path, monkeypatch):
    cible = tmp_path / "rapport.html"
    ecrire_texte(cible, "ancien")

    def refuser(source, destination):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source))

    monkeypatch.setattr(ecriture.os, "replace", refuser)
    with pytest.raises(OSError) as erreur:
        ecrire_texte(cible, "nouveau")
    monkeypatch.undo()
    assert cible.read_text(encoding="utf-8") == "ancien"
    assert _noms(tmp_path) == ["rapport.html"]
    assert erreur.value.filename == str(cible)  # the target, not the temporary file


def test_ecrire_texte_et_octets(tmp_path):
    ecrire_texte(tmp_path / "a.html", "é\r\nfin\n")
    assert (tmp_path / "a.html").read_bytes() == "é\r\nfin\n".encode("utf-8")  # no newline translation
    ecrire_octets(str(tmp_path / "b.pdf"), b"%PDF")  # a str path is accepted
    assert (tmp_path / "b.pdf").read_bytes() == b"%PDF"
    assert ecriture._ecrire_atomiquement is ecrire_octets  # the former name, for the remaining callers


def test_ecrire_json_octets_exacts(tmp_path):
    objet = {"b": "Épinet", "a": [1, 2.5], "c": {}}
    chemin = tmp_path / "resultats.json"
    ecrire_json(chemin, objet)
    assert chemin.read_bytes() == (b'{\n "a": [\n  1,\n  2.5\n ],\n "b": "\xc3\x89pinet",\n "c": {}\n}')


# Each call site's former expression, and the call that replaced it: the same bytes.
OBJET = {"zéro": [1, {"b": None, "a": "à"}], "alpha": 0.1, "vide": []}
FORMATS = {
    "resultats.enregistrer, execution.noter_journal, empreintes.enregistrer": (
        lambda o: json.dumps(o, ensure_ascii=False, indent=1, sort_keys=True), {}),
    "multi.json": (lambda o: json.dumps(o, ensure_ascii=False, indent=1), {"sort_keys": False}),
    "empreintes.Empreintes": (lambda o: json.dumps(o, indent=0, sort_keys=True), {"indent": 0, "ensure_ascii": True}),
    "catalogue checksums.json": (
        lambda o: json.dumps(o, indent=2, sort_keys=True, ensure_ascii=False) + "\n", {"indent": 2, "fin": "\n"}),
}


@pytest.mark.parametrize("site", sorted(FORMATS))
def test_ecrire_json_comme_chaque_appel_avant(tmp_path, site):
    ancien, options = FORMATS[site]
    ecrire_json(tmp_path / "f.json", OBJET, **options)
    assert (tmp_path / "f.json").read_bytes() == ancien(OBJET).encode("utf-8")


def test_resultats_et_empreintes_meme_octets(tmp_path):
    from types import SimpleNamespace

    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.sources import catalogue

    etude = SimpleNamespace(dossier_build=tmp_path / "build")
    chemin = resultats.enregistrer(etude, "emploi", ["Chômage en baisse à Épinet"], {"taux": 7.5})
    assert chemin.read_bytes() == json.dumps(
        {"chapitre": "emploi", "a_retenir": ["Chômage en baisse à Épinet"], "chiffres": {"taux": 7.5},
         "propositions": 0},  # no section nor proposed synthesis yet: nothing to review
        ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    assert resultats.lire_tous(etude) == {"emploi": json.loads(chemin.read_text(encoding="utf-8"))}

    brut = tmp_path / "brut"
    brut.mkdir()
    (brut / "fichier.csv").write_bytes(b"a;b\n")
    empreinte = catalogue.enregistrer_empreinte(brut, brut / "fichier.csv")
    assert (brut / "checksums.json").read_text(encoding="utf-8") == (
        '{\n  "fichier.csv": "' + empreinte + '"\n}\n')
    assert _noms(brut) == ["checksums.json", "fichier.csv"]


def test_telechargement_echoue_sans_fichier_laisse(tmp_path):
    from diagnostic_territorial.erreurs import DonneeManquante
    from diagnostic_territorial.sources.catalogue import FichierOfficiel, telecharger

    source = tmp_path / "source" / "FILO2019.zip"
    source.parent.mkdir()
    source.write_bytes(b"PK donnees")
    brut = tmp_path / "brut"
    fichier = FichierOfficiel("filosofi", "Insee, Filosofi 2019", "Filosofi", 2019, "FILO2019.csv",
                              source.as_uri())
    assert telecharger(fichier, brut) == brut / "FILO2019.zip"
    assert (brut / "FILO2019.zip").read_bytes() == b"PK donnees"

    absent = FichierOfficiel("filosofi", "Insee, Filosofi 2019", "Filosofi", 2019, "FILO2019.csv",
                             (tmp_path / "source" / "AUTRE.zip").as_uri())
    with pytest.raises(DonneeManquante):
        telecharger(absent, brut)
    assert _noms(brut) == ["FILO2019.zip", "checksums.json"]  # no partial download left


@pytest.mark.parametrize("code, cause", [(errno.EROFS, "le disque est en lecture seule"),
                                         (errno.EACCES, "l'écriture n'y est pas permise")])
def test_dossier_refuse_message_francais(tmp_path, monkeypatch, code, cause):
    """What the system raises when the folder is read-only (simulated: works as root too)."""
    dossier = tmp_path / "livrables"
    dossier.mkdir()

    def refuser(*args, dir=None, prefix="", suffix="", **kwargs):
        raise OSError(code, os.strerror(code), os.path.join(dir, prefix + "abc" + suffix))

    monkeypatch.setattr(ecriture.tempfile, "mkstemp", refuser)
    with pytest.raises(OSError) as erreur:
        ecrire_texte(dossier / "synthese.html", "<html>")
    monkeypatch.undo()
    message = message_disque(erreur.value)
    assert message.startswith(f"écriture impossible dans le dossier « {dossier} » : {cause}. "
                              "Le fichier « synthese.html » n'a pas été écrit")
    assert _noms(dossier) == []


def test_disque_plein_en_cours_d_ecriture_nomme_le_dossier(tmp_path):
    """A write refused by a full disk (no file name in the error) names the file being written."""
    cible = tmp_path / "cache" / "rp.parquet"
    with pytest.raises(OSError) as erreur:
        with fichier_temporaire(cible):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert message_disque(erreur.value).startswith(
        f"écriture impossible dans le dossier « {cible.parent} » : le disque est plein. "
        "Le fichier « rp.parquet » n'a pas été écrit")
    assert _noms(cible.parent) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="administrateur : les droits d'un dossier ne l'empêchent pas d'écrire")
def test_dossier_en_lecture_seule(tmp_path):
    dossier = tmp_path / "livrables"
    dossier.mkdir()
    (dossier / "rapport.html").write_text("ancien", encoding="utf-8")
    dossier.chmod(0o555)
    try:
        with pytest.raises(PermissionError) as erreur:
            ecrire_texte(dossier / "rapport.html", "nouveau")
    finally:
        dossier.chmod(0o755)
    assert message_disque(erreur.value).startswith(
        f"écriture impossible dans le dossier « {dossier} » : l'écriture n'y est pas permise. "
        "Le fichier « rapport.html » n'a pas été écrit")
    assert (dossier / "rapport.html").read_text(encoding="utf-8") == "ancien"
    assert _noms(dossier) == ["rapport.html"]


def test_temporaire_d_un_processus_tue_retire(tmp_path):
    with tempfile.NamedTemporaryFile(dir=tmp_path, prefix=".fiche.pdf.999999999.", suffix=".tmp", delete=False):
        pass  # pid 999999999 does not exist
    with fichier_temporaire(tmp_path / "fiche.pdf") as temp:
        temp.write_bytes(b"%PDF")
    assert _noms(tmp_path) == ["fiche.pdf"]
