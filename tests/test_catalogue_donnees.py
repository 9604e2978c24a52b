"""Indicators, chapter plans and definitions are data files of the package (catalogue/*.yaml) read
through one typed layer (modeles.py): every file loads; a wrong file is refused with a French message
naming the file, the line, the entry and the field; adding an indicator is a data change (a copy of
the catalogue with one more indicator is loaded and computed, nothing in the code changes)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib

import pandas as pd
import pytest

from conftest import vider_caches_referentiel

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.indicateurs import definitions
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.configuration import modeles
from diagnostic_territorial.chapitres import generique
from diagnostic_territorial.configuration.etude import Etude
from diagnostic_territorial.chapitres.plan import CHAPITRES
from diagnostic_territorial.sources import cache
from diagnostic_territorial.sources.schema import Provenance

FICHIERS = {"indicateurs": ci.FICHIER_INDICATEURS, "plans": generique.FICHIER_PLANS,
            "definitions": definitions.FICHIER}


# --- The package's files -----------------------------------------------------------------------


def test_chaque_fichier_du_paquet_passe_la_couche_typee():
    indicateurs = modeles.lire(FICHIERS["indicateurs"], modeles.FichierIndicateurs, ci.contexte_validation())
    assert len(indicateurs.indicateurs) >= 100
    assert all(isinstance(m, modeles.IndicateurModele) for m in indicateurs.indicateurs.values())
    plans = modeles.lire(FICHIERS["plans"], modeles.FichierPlans, {
        "indicateurs": set(indicateurs.indicateurs), "chapitres": [c.cle for c in CHAPITRES],
        "thematiques": dict(generique._TITRES)})
    assert "thematiques_specifiques" in plans.chapitres and len(plans.thematiques) == len(generique._TITRES)
    defs = modeles.lire(FICHIERS["definitions"], modeles.FichierDefinitions)
    assert len(defs.definitions) >= 10
    # the objects the rest of the library receives are built from those entries
    assert list(ci.CATALOGUE) == list(indicateurs.indicateurs)
    assert ci.CATALOGUE["part_0_14"] == ci.Indicateur(id="part_0_14", **indicateurs.indicateurs["part_0_14"].model_dump())
    assert [d.terme for d in definitions.DEFINITIONS] == [d.terme for d in defs.definitions]
    assert list(generique.PLANS) == list(plans.chapitres)
    assert generique.PLANS["thematiques_specifiques"].sections == tuple(generique.THEMATIQUES.values())


def test_chargement_une_fois_et_objets_figes():
    assert ci.charger_catalogue() is ci.charger_catalogue() is ci.CATALOGUE
    assert generique.charger_plans() is generique.charger_plans()
    assert definitions.charger_definitions() is definitions.DEFINITIONS
    i = ci.indicateur("part_familles_monoparentales")
    assert i.numerateur == ("C_FAMMONO",) and i.denominateur == ("C_FAM",) and i.facteur == 1.0
    with pytest.raises(AttributeError):
        ci.pas_un_attribut  # noqa: B018  (the module's __getattr__ knows CATALOGUE only)


def test_importer_ne_lit_aucun_fichier_ni_pydantic():
    """Notebooks and commands with nothing to do import these modules: no file read, no pydantic."""
    code = ("import sys\n"
            "import diagnostic_territorial.indicateurs.catalogue, diagnostic_territorial.indicateurs.definitions\n"
            "import diagnostic_territorial.chapitres.generique\n"
            "print('pydantic' in sys.modules, 'diagnostic_territorial.configuration.modeles' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["False", "False"]


def test_pas_de_cycle_catalogue_observation(racine):
    """observation imports the catalogue; the catalogue imports nothing of observation."""
    arbre = ast.parse((racine / "src" / "diagnostic_territorial" / "indicateurs" / "catalogue.py").read_text("utf-8"))
    modules = {n.module for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom)}
    modules |= {a.name for n in ast.walk(arbre) if isinstance(n, ast.ImportFrom) and n.module is None
                for a in n.names}
    assert "observation" not in modules and not any(m and m.endswith(".observation") for m in modules)
    from diagnostic_territorial.indicateurs import observation

    assert observation.joindre_mentions is ci.joindre_mentions
    assert ci.joindre_mentions(["Source : A", "Source : B", "Source : A"]) == "Source : A ; B"


def test_fichiers_de_donnees_dans_la_roue(racine):
    donnees = tomllib.loads((racine / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    assert "catalogue/*.yaml" in donnees["diagnostic_territorial"]
    assert {p.name for p in ci.DOSSIER_CATALOGUE.glob("*.yaml")} == {"indicateurs.yaml", "plans.yaml",
                                                                    "definitions.yaml"}


# --- Wrong files: file, line, entry, field, in French ---------------------------------------------


def _copie(tmp_path, quoi: str, avant: str, apres: str):
    """A copy of a package's file with `avant` (its first occurrence) replaced by `apres`; and the
    line where the replacement starts."""
    texte = FICHIERS[quoi].read_text(encoding="utf-8")
    assert avant in texte, avant
    ligne = texte[: texte.index(avant)].count("\n") + 1
    chemin = tmp_path / f"{quoi}.yaml"
    chemin.write_text(texte.replace(avant, apres, 1), encoding="utf-8")
    return chemin, ligne


def _charger(quoi: str, chemin):
    return {"indicateurs": ci.charger_catalogue, "plans": generique.charger_plans,
            "definitions": definitions.charger_definitions}[quoi](chemin)


CAS = [
    # (file, text replaced, by, entry named, field named, words of the problem)
    ("indicateurs", "  part_0_14:\n    libelle: Part des 0-14 ans\n",
     "  part_0_14:\n    libelle: Part des 0-14 ans\n    unit: part\n",
     "indicateur « part_0_14 »", "champ « unit »", ["champ inconnu", "« unite »"]),
    ("indicateurs", "    numerateur: P_POP0014\n    denominateur: P_POP\n    unite: part\n",
     "    numerateur: P_POP0014\n    denominateur: P_POP\n    unite: pourcentage\n",
     "indicateur « part_0_14 »", "champ « unite »", ["unité inconnue", "« pourcentage »", "pour_mille"]),
    ("indicateurs", "    facteur: 100\n", "    facteur: cent\n",
     "indicateur « indice_jeunesse »", "champ « facteur »", ["un nombre est attendu", "« cent »"]),
    ("indicateurs", "    source: rp_logement\n", "    source: rp_logements\n",
     "indicateur « logements »", "champ « source »", ["source inconnue", "« rp_logement »"]),
    ("indicateurs", "bpe:creches_eaje", "bpe:creche",
     "indicateur « creches »", "champ « numerateur[1] »", ["catégorie BPE inconnue", "« creches_eaje »"]),
    ("plans", "        indicateurs: [emplois, actifs_occupes,", "        indicateurs: [emploi, actifs_occupes,",
     "chapitre « economie », section « emploi_local »", "champ « indicateurs[1] »",
     ["indicateur inconnu", "« emploi »", "« emplois »"]),
    ("plans", "        carte: part_ouvriers\n", "        carte: part_cadres_sup\n",
     "chapitre « economie », section « csp »", "champ « carte »", ["indicateur inconnu", "« part_cadres_sup »"]),
    ("plans", "    carte: part_menages_sans_voiture\n", "    carte: part_menages_sans_voiture\n    titre: Mobilité\n",
     "thématique « mobilite »", "champ « titre »", ["champ inconnu"]),
    ("plans", "        graphique: communes\n", "        graphique: camembert\n",
     "chapitre « economie », section « emploi_local »", "champ « graphique »", ["« camembert »", "communes"]),
    ("definitions", "    reperes: [indice de jeunesse]\n", "    reperes: [indice de jeunesse]\n    toujour: true\n",
     "définition « Indice de jeunesse »", "champ « toujour »", ["champ inconnu", "« toujours »"]),
    ("definitions", "    toujours: true\n", "    toujours: 2\n",
     "définition « Secret statistique »", "champ « toujours »", ["true ou false"]),
]


@pytest.mark.parametrize("quoi,avant,apres,entree,champ,mots", CAS, ids=[f"{c[0]}-{c[4]}" for c in CAS])
def test_fichier_faux_message_francais(tmp_path, quoi, avant, apres, entree, champ, mots):
    chemin, ligne = _copie(tmp_path, quoi, avant, apres)
    with pytest.raises(modeles.CatalogueInvalide) as exc:
        _charger(quoi, chemin)
    message = str(exc.value)
    assert message.startswith(str(chemin)), message
    assert entree in message and champ in message, message
    attendue = ligne + next(k for k, l in enumerate(apres.split("\n")) if l.strip() and l not in avant.split("\n"))
    assert f", ligne {attendue}," in message, message
    for mot in mots:
        assert mot in message, message
    assert "\n" not in message  # one problem, one line


def test_identifiant_en_double_et_syntaxe(tmp_path):
    chemin, ligne = _copie(tmp_path, "indicateurs", "  population_rp:\n", "  population_municipale:\n")
    with pytest.raises(modeles.CatalogueInvalide, match=rf"ligne {ligne} : la clé « population_municipale » est "
                                                        "écrite deux fois"):
        ci.charger_catalogue(chemin)
    chemin, ligne = _copie(tmp_path, "plans", "part_ouvriers, part_revenus_activite]\n",
                           "part_ouvriers, part_revenus_activite\n")  # « ] » forgotten
    with pytest.raises(modeles.CatalogueInvalide, match=rf"plans.yaml, ligne {ligne + 1}, colonne \d+ : syntaxe "
                                                        "YAML invalide"):
        generique.charger_plans(chemin)


def test_plusieurs_problemes_tous_nommes(tmp_path):
    texte = FICHIERS["indicateurs"].read_text(encoding="utf-8")
    texte = texte.replace("    unite: nombre\n", "    unite: nombres\n")
    chemin = tmp_path / "indicateurs.yaml"
    chemin.write_text(texte, encoding="utf-8")
    with pytest.raises(modeles.CatalogueInvalide) as exc:
        ci.charger_catalogue(chemin)
    lignes = str(exc.value).splitlines()
    assert len(lignes) > 5 and all("champ « unite » : unité inconnue" in l for l in lignes[:-1])


def test_regles_du_catalogue(tmp_path):
    """A published indicator has no denominator; a plan's mapped indicator is one of its section's."""
    chemin, _ = _copie(tmp_path, "indicateurs", "    numerateur: Q2\n", "    numerateur: Q2\n    denominateur: D1\n")
    with pytest.raises(modeles.CatalogueInvalide, match="indicateur « revenu_median », champ « denominateur » : "
                                                        "un indicateur publié"):
        ci.charger_catalogue(chemin)
    chemin, _ = _copie(tmp_path, "plans", "        carte: part_ouvriers\n", "        carte: part_pensions\n")
    with pytest.raises(modeles.CatalogueInvalide, match="section « csp », champ « carte » : l'indicateur "
                                                        "cartographié « part_pensions » n'est pas parmi"):
        generique.charger_plans(chemin)


def test_fichier_absent_ou_vide(tmp_path):
    with pytest.raises(modeles.CatalogueInvalide, match="fichier introuvable"):
        definitions.charger_definitions(tmp_path / "absent.yaml")
    (tmp_path / "vide.yaml").write_text("", encoding="utf-8")
    with pytest.raises(modeles.CatalogueInvalide, match="attendue en tête du fichier"):
        definitions.charger_definitions(tmp_path / "vide.yaml")


# --- Adding an indicator is a data change ---------------------------------------------------------

NOUVEL_INDICATEUR = """
  part_residences_principales:
    libelle: Part des résidences principales parmi les logements
    court: Résidences principales
    chapitre: cadre_de_vie
    source: rp_logement
    numerateur: P_RP
    denominateur: P_LOG
    unite: part
"""
# code: (département, région, EPCI); the first two form the territory
COMMUNES = {"31135": ("31", "76", "200068815"), "31454": ("31", "76", "200068815"),
            "09225": ("09", "76", "200066231")}
VALEURS = {"31135": {"P_RP": 400.0, "P_LOG": 500.0}, "31454": {"P_RP": 150.0, "P_LOG": 250.0},
           "09225": {"P_RP": 90.0, "P_LOG": 100.0}}


@pytest.fixture
def petite_etude(tmp_path, monkeypatch):
    """Three communes forming their own France, one RP logement cache."""
    from diagnostic_territorial.territoire.resolution import referentiel

    reel = referentiel()
    reduit = {**reel, "anciennes": {},
              "communes": {c: {"CODGEO": c, "LIBGEO": f"Commune {c}", "DEP": d, "REG": r, "EPCI": e}
                           for c, (d, r, e) in COMMUNES.items()}}
    monkeypatch.setattr(ind, "referentiel", lambda: reduit)
    vider_caches_referentiel()
    lignes = [{"codgeo": c, "niveau": "commune", "variable": v, "millesime": 2019, "valeur": x, "secret": False}
              for c, variables in VALEURS.items() for v, x in variables.items()]
    df = pd.DataFrame(lignes).astype({"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64",
                                      "valeur": "float64", "secret": "bool"})
    df.attrs["provenance"] = Provenance(source="Insee, RP 2019 (test)", libelle="rp_logement", millesime=2019)
    cache.ecrire(df, tmp_path / "data" / "cache" / "rp_logement_2019.parquet")
    communes = pd.DataFrame([{"code": c, "nom": f"Commune {c}", "departement": COMMUNES[c][0],
                              "region": COMMUNES[c][1], "epci": COMMUNES[c][2]} for c in ("31135", "31454")])
    yield Etude(racine=tmp_path, nom_territoire="CC Test", slug="cc-test", type_territoire="epci",
                code_territoire="200068815", communes=communes, departement=("31", "Haute-Garonne"),
                region=("76", "Occitanie"), epci=[("200068815", "CC Test")], millesimes={"rp": 2019})
    vider_caches_referentiel()


def test_ajouter_un_indicateur_est_un_changement_de_donnees(tmp_path, petite_etude):
    texte = FICHIERS["indicateurs"].read_text(encoding="utf-8")
    chemin = tmp_path / "indicateurs.yaml"
    chemin.write_text(texte.rstrip("\n") + "\n" + NOUVEL_INDICATEUR, encoding="utf-8")
    catalogue = ci.charger_catalogue(chemin)
    assert len(catalogue) == len(ci.CATALOGUE) + 1
    i = catalogue["part_residences_principales"]
    assert (i.source, i.numerateur, i.denominateur, i.unite, i.chapitre) == (
        "rp_logement", ("P_RP",), ("P_LOG",), "part", "cadre_de_vie")
    assert "part_residences_principales" not in ci.CATALOGUE  # the package's catalogue is untouched

    table, mention = ci.Calcul(petite_etude, catalogue=catalogue).calculer("part_residences_principales")
    valeurs = {(n, c): v for n, c, v in zip(table["niveau"], table["codgeo"], table["valeur"])}
    assert valeurs[("commune", "31135")] == pytest.approx(400 / 500)
    assert valeurs[("commune", "31454")] == pytest.approx(150 / 250)
    assert valeurs[("territoire", "200068815")] == pytest.approx(550 / 750)  # ratio of sums, not mean of rates
    assert valeurs[("region", "76")] == pytest.approx(640 / 850)
    assert not table["secret"].any()
    assert mention == "Source : Insee, RP 2019 (test)"
    assert ci.formater(i, valeurs[("territoire", "200068815")]) == "73,3\u00a0%"
    with pytest.raises(KeyError, match="Indicateur inconnu"):
        ci.Calcul(petite_etude).calculer("part_residences_principales")

    # a plan may name it once the catalogue holds it (validated against that catalogue)
    plans, _ = _copie(tmp_path, "plans", "        indicateurs: [logements, part_maisons,",
                      "        indicateurs: [logements, part_residences_principales, part_maisons,")
    charges, _ = generique.charger_plans(plans, catalogue=catalogue)
    parc = next(s for s in charges["cadre_de_vie"].sections if s.cle == "parc")
    assert parc.indicateurs[1] == "part_residences_principales"
    with pytest.raises(modeles.CatalogueInvalide, match="« part_residences_principales »"):
        generique.charger_plans(plans)  # the package's catalogue does not hold it
