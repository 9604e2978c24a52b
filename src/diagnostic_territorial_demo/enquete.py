"""The demo study's SIMULATED questionnaire export (LimeSurvey CSV, answer codes), shipped in
donnees_demo/enquete_simulee_limesurvey.csv with its mapping enquete_simulee_questionnaire.yaml.

`generer_export_demo` is how the shipped file was made (deterministic, fixed seed): respondents
spread over the communes like the population, women and 30-59 year olds over-represented as in
real self-administered surveys (so that the raking has something to correct). No answer is real.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DOSSIER_DEMO = Path(str(resources.files("diagnostic_territorial_demo") / "donnees_demo"))
EXPORT_DEMO = "enquete_simulee_limesurvey.csv"
QUESTIONNAIRE_DEMO = "enquete_simulee_questionnaire.yaml"
NOM_DANS_L_ETUDE = "export_limesurvey_simule.csv"
GRAINE = 31_2026

COMMENTAIRES = [
    "Il faudrait plus de bus vers Cazères le samedi.",
    "Plus de places en crèche, on attend depuis un an.",
    "Un local pour les ados, ils n'ont rien à faire le soir.",
    "Les démarches en ligne sont compliquées pour ma mère.",
    "Un médecin de plus, on doit aller jusqu'à Muret.",
    "Des trottoirs sécurisés près de l'école.",
    "Plus d'activités pour les personnes âgées isolées.",
    "Le marché du dimanche est très bien, à garder.",
    "Rappelez-moi au 06 12 34 56 78 pour en parler.",
    "Vous pouvez m'écrire : jean.dupont@example.org",
    "Mme Lagarde de la mairie nous aide beaucoup.",
    "Un accueil de loisirs ouvert pendant toutes les vacances.",
    "Des logements plus petits pour les jeunes et les seniors.",
]


def generer_export_demo(communes: pd.DataFrame, n: int = 420, graine: int = GRAINE) -> pd.DataFrame:
    """A LimeSurvey "answer codes" export; `communes` has columns code and population."""
    rng = np.random.default_rng(graine)
    pop = communes["population"].to_numpy(dtype=float)
    p_commune = pop ** 0.9 / (pop ** 0.9).sum()
    codes = rng.choice(communes["code"].to_numpy(), size=n, p=p_commune)
    hors = rng.random(n) < 0.03
    commune = np.where(hors, "HT", codes)
    sexe = np.where(rng.random(n) < 0.63, "F", "M")
    age = rng.choice(["A1", "A2", "A3", "A4", "A5"], size=n, p=[0.12, 0.30, 0.27, 0.21, 0.10])
    age_num = np.array([int(a[1]) for a in age])
    lignes = []
    for i in range(n):
        a = age_num[i]
        l = {"id": i + 1, "submitdate": f"2026-09-{1 + i % 28:02d} {8 + i % 12:02d}:{i % 60:02d}:00",
             "lastpage": 3, "startlanguage": "fr", "seed": int(rng.integers(1e8, 1e9)),
             "COMMUNE": commune[i], "SEXE": sexe[i], "AGE": age[i]}
        if rng.random() < 0.04:  # a few skipped the profile questions
            l["SEXE"] = ""
        l["Q01"] = rng.choice(["A1", "A2", "A3", "A4", ""], p=[0.28, 0.47, 0.15, 0.07, 0.03])
        p_diff = {"SQ001": 0.35 + 0.08 * (a >= 4), "SQ002": 0.18 + 0.1 * (a == 1), "SQ003": 0.3,
                  "SQ004": 0.28 if a == 2 else 0.05, "SQ005": 0.12 + 0.12 * (a >= 4), "SQ006": 0.16 * (a <= 3)}
        coches = {k: rng.random() < v for k, v in p_diff.items()}
        coches["SQ007"] = not any(coches.values()) and rng.random() < 0.8
        for k in ["SQ001", "SQ002", "SQ003", "SQ004", "SQ005", "SQ006", "SQ007"]:
            l[f"Q02[{k}]"] = "Y" if coches[k] else ""
        l["Q03"] = "Y" if (a <= 2 and rng.random() < 0.35) else "N"
        l["Q04"] = (rng.choice(["A1", "A2", "A3", "A4", "A5"], p=[0.22, 0.42, 0.18, 0.14, 0.04])
                    if l["Q03"] == "Y" else "")
        l["Q05"] = rng.choice(["A1", "A2", "A3", "A4", ""], p=[0.06, 0.24, 0.38, 0.22, 0.10])
        services = {"SQ001": 0.7, "SQ002": 0.55, "SQ003": 0.22, "SQ004": 0.18}
        s = {k: rng.random() < v for k, v in services.items()}
        s["SQ005"] = not any(s.values())
        for k in ["SQ001", "SQ002", "SQ003", "SQ004", "SQ005"]:
            l[f"Q06[{k}]"] = "Y" if s[k] else ""
        p_seul = [0.45, 0.4, 0.15] if a < 5 else [0.3, 0.42, 0.28]
        l["Q07"] = rng.choice(["A1", "A2", "A3"], p=p_seul)
        l["Q08"] = rng.choice(["Y", "N", ""], p=[0.17 + 0.06 * (a >= 4), 0.78 - 0.06 * (a >= 4), 0.05])
        l["Q09"] = COMMENTAIRES[int(rng.integers(len(COMMENTAIRES)))] if rng.random() < 0.3 else ""
        lignes.append(l)
    return pd.DataFrame(lignes)


def _populations(codes: list[str]) -> list[float]:
    """Population municipale 2019 of the communes (the real file shipped with the demo)."""
    table = pd.read_csv(DOSSIER_DEMO / "donnees_communes_pop_2019.csv.gz", sep=";", dtype=str,
                        usecols=["COM", "PMUN"])
    pmun = dict(zip(table["COM"], pd.to_numeric(table["PMUN"], errors="coerce")))
    return [float(pmun.get(c, 1_000.0)) for c in codes]


def installer_enquete_demo(etude) -> Path:
    """Put the simulated export (and, when absent, its mapping and a stop-list of names) into the
    study's enquete/ folder. Never writes into livrables/. Returns the export's path."""
    dossier = Path(etude.racine) / "enquete"
    dossier.mkdir(parents=True, exist_ok=True)
    cible = dossier / NOM_DANS_L_ETUDE
    codes = [str(c) for c in etude.communes["code"]]
    livre = pd.read_csv(DOSSIER_DEMO / EXPORT_DEMO, dtype=str, keep_default_na=False, usecols=["COMMUNE"])
    if set(livre["COMMUNE"]) - {"HT"} <= set(codes):
        shutil.copyfile(DOSSIER_DEMO / EXPORT_DEMO, cible)  # the demo territory: the shipped file
    else:  # another territory: the same simulation on its own communes, weighted by their population
        from diagnostic_territorial.ecriture import _ecrire_atomiquement

        export = generer_export_demo(pd.DataFrame({"code": codes, "population": _populations(codes)}))
        _ecrire_atomiquement(cible, export.to_csv(index=False, quoting=1).encode("utf-8"))  # QUOTE_ALL, as shipped
    questionnaire = dossier / "questionnaire.yaml"
    if not questionnaire.exists():
        shutil.copyfile(DOSSIER_DEMO / QUESTIONNAIRE_DEMO, questionnaire)
    noms = dossier / "noms_a_masquer.txt"
    if not noms.exists():
        noms.write_text("# Noms à masquer dans les réponses libres publiées (un par ligne).\nLagarde\nDupont\n",
                        encoding="utf-8")
    return cible
