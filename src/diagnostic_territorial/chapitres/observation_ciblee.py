"""Chapter « Observation ciblée »: the indicators declared in the study's observation_ciblee.yaml.

Labels and comments are the consultant's text, shown as written: escaped (:func:`assainir.texte`)
wherever they meet HTML (« À retenir » points, which also reach the synthèse and the slides, boxes,
missing-data notices). Tables, charts and maps escape or draw them as text themselves."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import observation
from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.chapitres.generique import commune_unique

FORMATS = {
    "part": lambda v, secret=False: fm.pourcentage(v, 1, secret=secret),
    "nombre": lambda v, secret=False: fm.nombre(v, secret=secret),
    "indice": lambda v, secret=False: fm.decimal(v, 0, secret=secret),
    "euros": lambda v, secret=False: fm.euros(v, secret=secret),
    "decimal": lambda v, secret=False: fm.decimal(v, 1, secret=secret),
    "score": lambda v, secret=False: fm.decimal(v, 2, secret=secret),
}
TYPES = {"populationnel": "indicateur populationnel", "conceptuel": "indicateur conceptuel (score composite)",
         "prospectif": "indicateur prospectif", "enquete": "indicateur tiré de l'enquête auprès des habitants"}


def calculer(etude) -> tuple[list[observation.Resultat], list[str]]:
    """The indicators that can be computed, and a message for each one that cannot for lack of data
    (the others are still shown)."""
    chemin = Path(etude.racine) / "observation_ciblee.yaml"
    try:
        resultats, indisponibles = observation.calculer_tous(etude, chemin)
    except DonneeManquante as e:
        return [], [str(e)]
    return resultats, list(dict.fromkeys(str(e) for _, e in indisponibles))


def _unite(r: observation.Resultat) -> str:
    return "score" if r.definition.type == "conceptuel" else r.definition.unite


def afficher(etude, resultats: list[observation.Resultat], manquantes: list[str]):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats as res

    for message in manquantes:  # plain text that may quote the YAML file
        presentation.donnees_manquantes(assainir.texte(message))
    if not resultats and not manquantes:
        presentation.donnees_manquantes(
            "Aucun indicateur n'est déclaré dans observation_ciblee.yaml : ajoutez-y les indicateurs construits "
            "avec les acteurs locaux (voir les exemples commentés du fichier).")
    points = []
    for r in resultats:
        if r.definition.type == "conceptuel" and commune_unique(etude):
            continue  # a score comparing the communes between them (see afficher_indicateur)
        f = FORMATS[_unite(r)]
        ter = r.table[r.table["niveau"] == "territoire"].iloc[0]
        points.append(f"{assainir.texte(r.definition.libelle)} : "
                      f"{assainir.texte(f(ter['valeur'], secret=bool(ter['secret'])))} "
                      f"pour {assainir.texte(etude.nom_territoire)}.")
    res.enregistrer(etude, "observation_ciblee", points)
    if points:
        presentation.a_retenir(points)
    for r in resultats:
        afficher_indicateur(etude, r)


def afficher_indicateur(etude, r: observation.Resultat):
    from diagnostic_territorial.rendu import cartes
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import N_EXTREMES, reduire_communes

    f = FORMATS[_unite(r)]
    d = r.definition
    presentation.a_retenir([f"<em>{TYPES[d.type]}</em>"
                            + (f" — {assainir.texte(d.commentaire)}" if d.commentaire else "")],
                           titre=d.libelle)  # the title is escaped by presentation
    from diagnostic_territorial.chapitres.demographie import ORDRE_NIVEAUX

    if d.type == "conceptuel" and commune_unique(etude):
        # a score centred and reduced over the communes of the territory: nothing to compare with
        return presentation._afficher(
            '<p class="note">Score non calculable pour une étude d\'une seule commune : il compare les communes '
            "du territoire entre elles (valeurs centrées-réduites).</p>")
    t = r.table
    ordre = t["niveau"].map(ORDRE_NIVEAUX).fillna(len(ORDRE_NIVEAUX)).to_numpy()
    t = t.iloc[ordre.argsort(kind="stable")]
    if d.type in ("conceptuel", "enquete"):  # a score over the communes, a survey: no reference territory
        t = t[t["niveau"].isin(["territoire", "commune"])]
    if commune_unique(etude):  # the commune is the territory: one row, not two
        t = t[t["niveau"] != "commune"]
    table = pd.DataFrame({"Territoire": t["libelle"].values,
                          d.libelle: [f(v, secret=bool(s)) for v, s in zip(t["valeur"], t["secret"])]})
    # A département has hundreds of communes: the highest and lowest values only.
    table = reduire_communes(table, t["niveau"].values, t["valeur"].values,
                             f"Les {N_EXTREMES} communes aux valeurs les plus élevées :",
                             f"Les {N_EXTREMES} communes aux valeurs les plus faibles :")
    # the signs' notes are kept only when a cell shows the sign (presentation.notes_utiles)
    presentation.tableau(table, f"{r.mention}. s : secret statistique ; n.d. : non disponible", titre=d.libelle)
    from diagnostic_territorial.chapitres.generique import barres_communes

    # the territory's reference line only for a score standardised over the communes
    barres_communes(etude, r.table, d.libelle, "", r.mention, lambda v, secret=False: f(v, secret=secret),
                    references=("territoire",) if d.type in ("conceptuel", "enquete") else
                    ("territoire", "departement"), unite=_unite(r))
    communes = r.table[r.table["niveau"] == "commune"][["codgeo", "valeur", "secret"]]
    if communes["valeur"].notna().sum() >= 2:
        communes = communes.rename(columns={"codgeo": "code", "secret": "valeur__secret"})
        gdf = cartes.contours_etude(list(communes["code"]), etude.dossier_cache).merge(communes, on="code")
        presentation.carte(gdf, "valeur", d.libelle, r.mention, format_valeur=lambda v: f(v), legende=d.libelle)
