"""Chapter « Accès aux droits, revenus et pauvreté »: Filosofi disposable income, read at the level
where INSEE publishes it (communes, EPCI, département, région, France métropolitaine).

The territory is compared with every reference of `indicateurs.references` (the EPCI of a list of
communes, each département and région, France); a study of a single commune has no table, chart or
map « by commune »: the commune is the territory."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.erreurs import DonneeManquante

SOURCE = "filosofi"
VARIABLES = ["NBMEN", "NBPERS", "Q2", "D1", "D9", "RD", "S80S20", "GI", "TP60", "PPSOC", "PPFAM", "PPMINI", "PPLOGT"]
LIBELLES = {
    "Q2": "Revenu disponible médian (€/UC/an)",
    "D1": "1er décile (€)",
    "D9": "9e décile (€)",
    "RD": "Rapport interdécile D9/D1",
    "TP60": "Taux de pauvreté (%)",
    "PPSOC": "Part des prestations sociales (%)",
    "PPMINI": "dont minima sociaux (%)",
    "PPLOGT": "dont aides au logement (%)",
}


@dataclass
class Revenus:
    millesime: int
    millesime_precedent: int
    table: pd.DataFrame | None = None
    precedent: pd.DataFrame | None = None
    mention: str = ""
    mention_precedent: str = ""
    manquantes: list[str] = field(default_factory=list)


def calculer(etude) -> Revenus:
    r = Revenus(etude.millesimes["filosofi"], etude.millesimes["filosofi_precedent"])
    try:
        r.table, prov = ind.publies(etude, SOURCE, r.millesime, VARIABLES)
        r.mention = prov.mention() if prov else f"Source : Insee, Filosofi {r.millesime}"
    except DonneeManquante as e:
        r.manquantes.append(str(e))
    try:
        r.precedent, prov = ind.publies(etude, SOURCE, r.millesime_precedent, ["Q2"])
        r.mention_precedent = prov.mention() if prov else f"Source : Insee, Filosofi {r.millesime_precedent}"
    except DonneeManquante as e:
        r.manquantes.append(str(e))
    return r


def _valeur(table: pd.DataFrame, niveau: str, variable: str, codgeo: str | None = None) -> float:
    """The value of a niveau (its first row: the main département, région) or of one territory."""
    lignes = table[table["niveau"] == niveau]
    if codgeo is not None:
        lignes = lignes[lignes["codgeo"].astype(str) == str(codgeo)]
    return float(lignes[variable].iloc[0]) if len(lignes) else float("nan")


def de(nom: str) -> str:
    """« de Cazères », « d'Ajaccio », « du Mans », « des Abymes »."""
    if nom.startswith("Le "):
        return "du " + nom[3:]
    if nom.startswith("Les "):
        return "des " + nom[4:]
    return ("d'" if nom[:1].upper() in "AEIOUYÉÈÊÎÏÔÂÀÛÙ" else "de ") + nom


def _comparaisons(etude, t: pd.DataFrame, variable: str, formater, france: bool = False) -> str:
    """« CC Cœur de Garonne : 21 800 € ; Haute-Garonne : 23 000 € » for the EPCI (list of communes)
    and every département of the territory (and France métropolitaine when asked); references
    without a published value are left out."""
    morceaux = []
    for niveau, code, libelle in ind.references(etude):
        if niveau in ("epci", "departement") or (france and niveau == "france"):
            v = _valeur(t, niveau, variable, code)
            if not np.isnan(v):
                nom = "France métropolitaine" if niveau == "france" else libelle
                morceaux.append(f"{nom} : {formater(v)}")
    return " ; ".join(morceaux)


def _fmt(table: pd.DataFrame, variable: str, fonction) -> list[str]:
    secrets = table[variable + ind.SUFFIXE_SECRET]
    return [fonction(v, secret=bool(s)) if pd.isna(v) else fonction(v) for v, s in zip(table[variable], secrets)]


def communes_publiees(r: Revenus) -> pd.DataFrame:
    c = r.table[r.table["niveau"] == "commune"]
    return c[c["Q2"].notna()]


def points_cles(etude, r: Revenus) -> list[str]:
    if r.table is None:
        return []
    from diagnostic_territorial.chapitres.generique import commune_unique

    t = r.table
    seule = commune_unique(etude)
    points = []

    def entre_parentheses(texte: str) -> str:
        return f" ({texte})" if texte else ""

    q2_ter = _valeur(t, "territoire", "Q2")
    if not np.isnan(q2_ter):
        points.append(
            f"Revenu disponible médian {r.millesime} : {fm.euros(q2_ter)} par unité de consommation et par an"
            + entre_parentheses(_comparaisons(etude, t, "Q2", fm.euros, france=True)) + "."
        )
    elif seule:
        secret = bool(t.loc[t["niveau"] == "territoire", "Q2" + ind.SUFFIXE_SECRET].iloc[0])
        points.append(
            f"Le revenu médian {de(assainir.texte(etude.nom_territoire))} n'est pas "
            + ("publié (secret statistique : trop peu de ménages fiscaux)" if secret else "disponible")
            + entre_parentheses(_comparaisons(etude, t, "Q2", fm.euros)) + "."
        )
    else:
        points.append(
            "Le revenu médian n'est pas publié pour un regroupement de communes : il se lit commune par "
            "commune" + entre_parentheses(_comparaisons(etude, t, "Q2", fm.euros)) + "."
        )
    rd = _valeur(t, "territoire", "RD")
    if not np.isnan(rd):
        points.append(
            f"Les 10 % les plus aisés ont un revenu au moins {fm.decimal(rd, 1)} fois supérieur à celui des "
            "10 % les plus modestes (rapport interdécile"
            + (f" ; {comparaison}" if (comparaison := _comparaisons(etude, t, "RD", lambda v: fm.decimal(v, 1)))
               else "") + ")."
        )
    ppsoc = _valeur(t, "territoire", "PPSOC")
    if not np.isnan(ppsoc):
        points.append(
            f"Les prestations sociales représentent {fm.decimal(ppsoc, 1)} % du revenu disponible des ménages"
            + entre_parentheses(_comparaisons(etude, t, "PPSOC", lambda v: f"{fm.decimal(v, 1)} %")) + "."
        )
    publiees = communes_publiees(r)
    n = int((t["niveau"] == "commune").sum())
    if len(publiees) and not seule:
        haut, bas = publiees.loc[publiees["Q2"].idxmax()], publiees.loc[publiees["Q2"].idxmin()]
        points.append(
            f"Médiane publiée pour {len(publiees)} communes sur {n} (non publiée pour les communes de trop petite taille) : "
            f"de {fm.euros(bas['Q2'])} à {bas['libelle']} à {fm.euros(haut['Q2'])} à {haut['libelle']}."
        )
    return points


# The catalogue indicator of each Filosofi variable recorded for the synthèse (build/resultats/).
INDICATEURS_FILOSOFI = {"Q2": "revenu_median", "D1": "premier_decile", "D9": "neuvieme_decile",
                        "RD": "rapport_interdecile", "TP60": "taux_pauvrete", "PPSOC": "part_prestations_sociales",
                        "PPMINI": "part_minima_sociaux", "PPLOGT": "part_aides_logement"}


def chiffres(r: Revenus) -> dict:
    """The Filosofi values recorded for the synthèse (chapitres/enjeux.py), as the catalogue's
    indicators, shaped as ChapitreIndicateurs.chiffres; a variable published nowhere is left out."""
    if r.table is None:
        return {}
    niveaux = ("territoire", "departement", "region", "france")

    def valeurs(table: pd.DataFrame, variable: str) -> dict:
        sortie = {}
        for n in niveaux:
            v = _valeur(table, n, variable) if variable in table else float("nan")
            sortie[n] = None if np.isnan(v) else v
        return sortie

    sortie = {}
    for variable, id_ in INDICATEURS_FILOSOFI.items():
        v = valeurs(r.table, variable)
        if any(x is not None for x in v.values()):
            sortie[id_] = v | {"annee": r.millesime, "source": r.mention}
    if "revenu_median" in sortie and r.precedent is not None:
        sortie["revenu_median"]["precedent"] = valeurs(r.precedent, "Q2") | {"annee": r.millesime_precedent}
    return sortie


def afficher_a_retenir(etude, r: Revenus, caf=None):
    """The « À retenir » box: Filosofi key figures, then those of the Caf allocataires (`caf`: the
    chapter's catalogue indicators, generique.ouvrir(etude, "acces_aux_droits"))."""
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats

    points = points_cles(etude, r) + (caf.points() if caf is not None else [])
    resultats.enregistrer(etude, "acces_aux_droits", points,
                          {"indicateurs": chiffres(r) | (caf.chiffres() if caf is not None else {})})
    if points:
        presentation.a_retenir(points)
    for message in r.manquantes:
        presentation.donnees_manquantes(assainir.texte(message))


def afficher_references(etude, r: Revenus):
    from diagnostic_territorial.rendu import presentation

    if r.table is None:
        return None
    t = r.table[r.table["niveau"] != "commune"]
    table = pd.DataFrame({"Territoire": t["libelle"]})
    table[LIBELLES["Q2"]] = _fmt(t, "Q2", fm.euros)
    table[LIBELLES["D1"]] = _fmt(t, "D1", fm.euros)
    table[LIBELLES["D9"]] = _fmt(t, "D9", fm.euros)
    table[LIBELLES["RD"]] = _fmt(t, "RD", lambda v, secret=False: fm.decimal(v, 1, secret=secret))
    # the poverty rate is in Filosofi 2023 (Melodi) and in the « Pauvres » files, not in the DISP ones
    if t["TP60"].notna().any():
        table[LIBELLES["TP60"]] = _fmt(t, "TP60", lambda x, secret=False: fm.decimal(x, 1, secret=secret))
    for v in ("PPSOC", "PPMINI", "PPLOGT"):
        table[LIBELLES[v]] = _fmt(t, v, lambda x, secret=False: fm.decimal(x, 1, secret=secret))
    presentation.tableau(table.reset_index(drop=True), r.mention,
                         titre=f"Revenus disponibles en {r.millesime} : le territoire et ses références")
    if etude.type_territoire == "communes" and len(etude.communes) > 1:
        note = ("Insee ne publie pas de médiane pour un regroupement libre de communes : la ligne du territoire "
                "reste vide ; lisez les communes ci-dessous et les territoires de référence.")
        presentation.donnees_manquantes(note, client=note)  # a note for the reader, not a missing source
    return None


def afficher_communes(etude, r: Revenus):
    """The communes' medians (table and chart); nothing for a single commune (the commune is the
    territory, shown with its references above)."""
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres.generique import commune_unique

    if r.table is None or commune_unique(etude):
        return None
    from diagnostic_territorial.chapitres import N_EXTREMES, extremes, reduire_communes

    c = r.table[r.table["niveau"] == "commune"]
    table = pd.DataFrame({
        "Commune": c["libelle"],
        "Ménages fiscaux": _fmt(c, "NBMEN", lambda v, secret=False: fm.nombre(v, secret=secret)),
        LIBELLES["Q2"]: _fmt(c, "Q2", fm.euros),
    }).reset_index(drop=True)
    # A département has hundreds of communes: the highest and lowest medians only.
    table = reduire_communes(table, c["niveau"], c["Q2"], f"Les {N_EXTREMES} revenus médians les plus élevés :",
                             f"Les {N_EXTREMES} revenus médians les plus faibles :")
    presentation.tableau(table, r.mention + ". s : secret statistique ; n.d. : commune absente du fichier",
                         titre=f"Revenu disponible médian par commune en {r.millesime}")
    publiees = communes_publiees(r)
    if publiees.empty:
        return None
    titre = f"Revenu disponible médian par commune en {r.millesime} (€ par unité de consommation)"
    coupure = None
    if len(publiees) > graphiques.LIGNES_MAX:  # more bars than a printed page holds at 7 pt
        hauts, bas = extremes(publiees.reset_index(drop=True)["Q2"], N_EXTREMES)
        publiees = publiees.reset_index(drop=True).loc[hauts + bas]  # each commune once
        coupure = len(bas)  # drawn lowest first: the most modest, then the most affluent
        titre = (f"Revenu disponible médian en {r.millesime} : les {N_EXTREMES} communes les plus modestes et "
                 f"les {N_EXTREMES} plus aisées (€ par unité de consommation)")
    references = {etude.nom_territoire: _valeur(r.table, "territoire", "Q2")}
    for niveau, code, libelle in ind.references(etude):
        if niveau in ("epci", "departement"):
            references[libelle] = _valeur(r.table, niveau, "Q2", code)
    references = {k: v for k, v in references.items() if not np.isnan(v)}
    fig = graphiques.barres_horizontales(
        publiees.sort_values("Q2"), x="Q2", y="libelle",
        titre=titre,
        source="", format_valeur=fm.euros, reference=references,
        coupure=coupure, texte_coupure=f"… {len(c) - 2 * N_EXTREMES} autres communes …" if coupure else "",
    )
    return presentation.figure(fig, r.mention)


def afficher_carte(etude, r: Revenus):
    """Map of the communes' medians; nothing for a single commune (a map of one commune compares
    nothing)."""
    from diagnostic_territorial.rendu import cartes
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres.generique import commune_unique

    if r.table is None or commune_unique(etude):
        return None
    # the commune rows only: the territory's row may share a commune's code
    c = r.table[r.table["niveau"] == "commune"][["codgeo", "Q2", "Q2" + ind.SUFFIXE_SECRET]]
    c = c.rename(columns={"codgeo": "code"})
    gdf = cartes.contours_etude(list(c["code"]), etude.dossier_cache).merge(c, on="code")
    gdf["Q2" + ind.SUFFIXE_SECRET] = gdf["Q2" + ind.SUFFIXE_SECRET].fillna(False).astype(bool)
    return presentation.carte(gdf, "Q2", f"Revenu disponible médian par commune en {r.millesime}", r.mention,
                              format_valeur=fm.euros, legende="Revenu médian (€/UC)",
                              colonne_secret="Q2" + ind.SUFFIXE_SECRET)


def afficher_evolution(etude, r: Revenus):
    from diagnostic_territorial.rendu import presentation

    if r.table is None or r.precedent is None:
        return presentation.donnees_manquantes(
            f"Évolution du revenu médian : Filosofi {r.millesime_precedent} n'est pas disponible (voir ci-dessus).")
    avant = r.precedent[r.precedent["niveau"] != "commune"].reset_index(drop=True)
    apres = r.table[r.table["niveau"] != "commune"].reset_index(drop=True)
    table = pd.DataFrame({
        "Territoire": apres["libelle"],
        f"Médiane {r.millesime_precedent}": _fmt(avant, "Q2", fm.euros),
        f"Médiane {r.millesime}": _fmt(apres, "Q2", fm.euros),
        "Évolution (euros courants)": [fm.evolution(b / a - 1) if a and not np.isnan(a) and not np.isnan(b)
                                       else "n.d." for a, b in zip(avant["Q2"], apres["Q2"])],
    })
    return presentation.tableau(table, f"{r.mention_precedent} et {r.millesime}",
                                titre=f"Évolution du revenu disponible médian, {r.millesime_precedent}-{r.millesime}")
