"""Many territories at once: the same jobs on a local process pool and on Dask distributed.

Kept light: generation + demo data only (the chapters are covered elsewhere)."""

import json
from pathlib import Path

import pytest

from diagnostic_territorial.execution import multi
from diagnostic_territorial.erreurs import ErreurDiagnostic

ETAPES = ["donnees-demo"]


def verifier(resultats, sortie: Path, dossiers: list[str], etapes: list[str]) -> None:
    assert [r.dossier for r in resultats] == dossiers
    for r in resultats:
        assert r.statut == "ok", r.erreur
        assert r.etapes["generation"]["code"] == 0
        assert (sortie / r.dossier / "etude.yaml").exists()
        for etape in etapes:
            assert r.etapes[etape]["code"] == 0
        if "donnees-demo" in etapes:
            assert any((sortie / r.dossier / "data" / "brut").glob("*.csv*"))
    journal = json.loads((sortie / "multi.json").read_text(encoding="utf-8"))
    assert [e["dossier"] for e in journal] == dossiers


def test_lire_taches_nomme_les_dossiers_et_refuse_un_code_faux(tmp_path):
    taches = multi.lire_taches("200068815, dep:2A")
    assert [(t.code, t.dossier) for t in taches] == [("200068815", "cc-coeur-de-garonne"),
                                                      ("dep:2A", "corse-du-sud")]
    fichier = tmp_path / "territoires.yaml"
    fichier.write_text("- 200068815\n- {code: '31003,31010', dossier: deux-communes}\n", encoding="utf-8")
    assert [t.dossier for t in multi.lire_taches(fichier=str(fichier))] == ["cc-coeur-de-garonne", "deux-communes"]
    with pytest.raises(ErreurDiagnostic, match="« 12345678 »"):
        multi.lire_taches("200068815,12345678")


@pytest.mark.lent  # generates studies and runs « make donnees-demo » in subprocesses
def test_pool_de_processus(racine, tmp_path):
    taches = [multi.Tache("31003,31010", "deux-communes"), multi.Tache("31135", "cazeres")]
    resultats = multi.executer_tout(taches, tmp_path, ETAPES, workers=2, modele=racine, progression=False)
    verifier(resultats, tmp_path, ["deux-communes", "cazeres"], ETAPES)
    # Second run: the studies exist, they are not regenerated.
    again = multi.executer_tout(taches[:1], tmp_path, [], workers=1, modele=racine, progression=False)
    assert again[0].statut == "ok" and "generation" not in again[0].etapes


@pytest.mark.lent  # a local Dask cluster generating two studies
def test_dask_distributed_local(racine, tmp_path):
    distributed = pytest.importorskip("distributed")
    taches = [multi.Tache("31003", "aurignac"), multi.Tache("31135", "cazeres")]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        # Generation only: the steps run the same code as on the local pool (tested above).
        resultats = multi.executer_tout(taches, tmp_path, [], scheduler=cluster.scheduler_address,
                                        modele=racine, progression=False)
    verifier(resultats, tmp_path, ["aurignac", "cazeres"], [])


def test_cli_multi_messages_en_francais(racine, tmp_path, capsys):
    from diagnostic_territorial import cli

    assert cli.main(["multi", "--codes", "31003,99999", "--sortie", str(tmp_path)]) == 2
    assert "Code commune inconnu : « 99999 »" in capsys.readouterr().err
    assert cli.main(["multi", "--codes", "31003", "--sortie", str(tmp_path), "--modele", str(racine),
                     "--etapes", "cuisine"]) == 2
    assert "Étape inconnue : « cuisine »" in capsys.readouterr().err
