"""docs/indicateurs.md states, for every indicator, its formula on the former base-cc variables
and the Melodi dataset and cells of each variable; it is written from the code and kept current."""

import subprocess
import sys

from diagnostic_territorial.indicateurs import catalogue as ci


def test_catalogue_documente_a_jour(racine):
    resultat = subprocess.run([sys.executable, str(racine / "scripts" / "ecrire_catalogue.py"), "--verifier"],
                              capture_output=True, text=True)
    assert resultat.returncode == 0, resultat.stdout + resultat.stderr


def test_chaque_indicateur_du_recensement_a_sa_definition_melodi():
    """Every variable of an indicator of the recensement, BPE or Filosofi has its Melodi cells (the
    former age bands too: summed from the detailed ages of the RP 2023)."""
    sans = {}
    for i in ci.CATALOGUE.values():
        if not (i.source.startswith("rp_") or i.source in ("bpe", "filosofi")):
            continue
        definies = {v for v, _, _ in ci.definitions_melodi(i)}
        manquantes = set(i.variables) - definies
        if manquantes:
            sans[i.id] = manquantes
    assert sans == {}
    jeu = dict((v, j) for v, j, _ in ci.definitions_melodi(ci.indicateur("part_familles_monoparentales")))
    assert jeu == {"C_FAMMONO": "DS_RP_FAMILLE_COMP", "C_FAM": "DS_RP_FAMILLE_COMP"}
