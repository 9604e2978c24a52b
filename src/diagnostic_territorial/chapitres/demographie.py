"""Chapter « Dynamique démographique »: population (populations légales, RP), its evolution
between two censuses, age structure, compared with the references (`indicateurs.references`: the
EPCI of a list of communes, each département and région, France). A study of a single commune has
no row or map « by commune »: the commune is the territory.

Every figure is an indicator of the catalogue computed by its one engine (catalogue_indicateurs.
Calcul: population_municipale, population_rp, evolution_population, the shares of the age bands,
the counts by sex and age band of the pyramid): the same values, references and secret
statistique as the other chapters, the synthèse and the fiches communes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from diagnostic_territorial.rendu import assainir
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.erreurs import DonneeManquante

# Age bands of the bases communales (RP 2022 and before) and of the RP 2023 published through
# Melodi (Insee changed its standard bands): (variable suffix, label), with the catalogue
# indicators of their shares and the bands summed for the « older » key figure.
TRANCHES_BASE_CC = [
    ("0014", "0-14 ans"),
    ("1529", "15-29 ans"),
    ("3044", "30-44 ans"),
    ("4559", "45-59 ans"),
    ("6074", "60-74 ans"),
    ("75P", "75 ans ou plus"),
]
TRANCHES_2023 = [
    ("0014", "0-14 ans"),
    ("1524", "15-24 ans"),
    ("2539", "25-39 ans"),
    ("4054", "40-54 ans"),
    ("5564", "55-64 ans"),
    ("6579", "65-79 ans"),
    ("80P", "80 ans ou plus"),
]
INDICATEURS_BASE_CC = ("part_0_14", "part_15_29", "part_30_44", "part_45_59", "part_60_74", "part_75_plus")
INDICATEURS_2023 = ("part_0_14", "part_15_24", "part_25_39", "part_40_54", "part_55_64", "part_65_79", "part_80_plus")
# Catalogue indicators of the chapter's population figures.
POPULATION_LEGALE = "population_municipale"
POPULATION_RP = "population_rp"
EVOLUTION = "evolution_population"
AGES_ELEVES = {"base_cc": ("60 ans ou plus", ("60-74 ans", "75 ans ou plus")),
               "2023": ("65 ans ou plus", ("65-79 ans", "80 ans ou plus"))}
TRANCHES = TRANCHES_BASE_CC  # kept for callers of the former single set
SOURCE_RP = "rp_evol_struct_pop"
SOURCE_POP = "populations_legales"


@dataclass
class Demographie:
    rp: int
    rp_precedent: int
    # libelle, niveau, codgeo, PMUN, PMUN__secret (catalogue: population_municipale)
    population_legale: pd.DataFrame | None = None
    annee_population_legale: int | None = None  # millésime of the populations légales read
    mention_population_legale: str = ""
    # libelle, niveau, codgeo, pop_debut, pop_fin, tcam (+ their __secret): population_rp at both
    # censuses and evolution_population; None when the recensement read holds no population
    evolution: pd.DataFrame | None = None
    mention_rp: str = ""
    manquantes: list[str] = field(default_factory=list)
    calcul: object = field(default=None, repr=False)  # the catalogue's engine for this study

    @property
    def annees(self) -> int:
        return self.rp - self.rp_precedent


def epoque(etude) -> str:
    """« 2023 » when the study's recensement comes with the bands of the RP 2023 (Melodi), else
    « base_cc » (the bases communales): decided from the variables the cache holds."""
    from diagnostic_territorial.indicateurs.catalogue import _variables_du_cache
    from diagnostic_territorial.sources.preparation import millesimes_de

    rp = millesimes_de(etude, "rp").fichier
    presentes, _, _ = _variables_du_cache(etude, SOURCE_RP, rp)
    if "P_POP2539" in presentes:  # the main dataset of the RP 2023 (the former bands may come too,
        return "2023"  # summed from its detailed ages, but the report uses Insee's current bands)
    if "P_POP1529" in presentes:
        return "base_cc"
    return "2023" if rp >= 2023 else "base_cc"


def tranches(etude) -> list[tuple[str, str]]:
    return TRANCHES_2023 if epoque(etude) == "2023" else TRANCHES_BASE_CC


def _colonnes(table: pd.DataFrame, nom: str) -> pd.DataFrame:
    """libelle, niveau, codgeo, <nom>, <nom>__secret of a table of Calcul.calculer."""
    return table[["libelle", "niveau", "codgeo", "valeur", "secret"]].rename(
        columns={"valeur": nom, "secret": nom + ind.SUFFIXE_SECRET})


def calculer(etude) -> Demographie:
    """Compute the chapter's indicators once (catalogue_indicateurs.Calcul); each missing source
    is recorded, not fatal."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.sources.preparation import millesimes_de

    rp, precedent = millesimes_de(etude, "rp"), millesimes_de(etude, "rp", precedent=True)
    if precedent is None:
        raise ci.MillesimeInconnu("Millésime « rp_precedent » non déclaré pour cette étude : ajoutez « rp_precedent: "
                                  "<année> » à la section millesimes d'etude.yaml.")
    calcul = ci.Calcul(etude)
    d = Demographie(rp.donnees, precedent.donnees, calcul=calcul)
    parts = INDICATEURS_2023 if epoque(etude) == "2023" else INDICATEURS_BASE_CC
    calcul.precharger([POPULATION_LEGALE, POPULATION_RP, EVOLUTION, *parts, "indice_jeunesse",
                       *(f"{sexe}_{id_.removeprefix('part_')}" for sexe in ("hommes", "femmes") for id_ in parts)])
    try:
        d.annee_population_legale = ci.millesimes(etude, calcul.indicateur(POPULATION_LEGALE))[0]
        table, d.mention_population_legale = calcul.calculer(POPULATION_LEGALE)
        d.population_legale = _colonnes(table, "PMUN")
    except (DonneeManquante, ci.MillesimeInconnu) as e:
        d.manquantes.append(str(e))
    try:
        fin, d.mention_rp = calcul.calculer(POPULATION_RP)
        if fin["valeur"].isna().all():  # the files read hold no population (a partial extract)
            d.manquantes.append(f"Population du recensement {d.rp} non disponible : "
                                f"{ci.raison_vide(calcul, POPULATION_RP, fin)}.")
        else:
            debut, _ = calcul.calculer(POPULATION_RP, precedent=True)
            tcam, _ = calcul.calculer(EVOLUTION)
            t = _colonnes(fin, "pop_fin")
            for nom, table in (("pop_debut", debut), ("tcam", tcam)):
                t = t.merge(_colonnes(table, nom).drop(columns="libelle"), on=["niveau", "codgeo"], how="left")
            d.evolution = t
    except DonneeManquante as e:
        d.manquantes.append(str(e))
    return d


def _ligne(table: pd.DataFrame, niveau: str) -> pd.Series:
    return table[table["niveau"] == niveau].iloc[0]


def croissance(d: Demographie) -> pd.DataFrame:
    """Population at both censuses and annual average growth rate, per commune and reference
    (catalogue: population_rp and evolution_population)."""
    return d.evolution


# Age bands of the structure table: catalogue indicators (ratios of sums), youngest first.
INDICATEURS_AGES = INDICATEURS_BASE_CC


def structure_ages(etude, calcul=None) -> pd.DataFrame:
    """Share of each age band in the population and indice de jeunesse (catalogue indicators),
    territory and references: columns libelle, niveau, codgeo, then one per age band label and
    the index."""
    from diagnostic_territorial.indicateurs import catalogue as ci

    calcul = calcul or ci.Calcul(etude)
    sortie = None
    indicateurs = INDICATEURS_2023 if epoque(etude) == "2023" else INDICATEURS_BASE_CC
    for id_, (_, libelle) in zip(indicateurs + ("indice_jeunesse",), tranches(etude) + [("", "Indice de jeunesse")]):
        table, _ = calcul.calculer(id_)
        lignes = table[table["niveau"] != "commune"].reset_index(drop=True)
        if sortie is None:
            sortie = lignes[["libelle", "niveau", "codgeo"]].copy()
        sortie[libelle] = lignes["valeur"]
    return sortie


def _proches(etude) -> list[tuple[str, str, str]]:
    """The references quoted beside a key figure: the EPCI of a list of communes, each département."""
    return [r for r in ind.references(etude) if r[0] in ("epci", "departement")]


def points_cles(etude, d: Demographie) -> list[str]:
    points = []
    if d.population_legale is not None:
        pl = d.population_legale
        ter = _ligne(pl, "territoire")
        communes = pl[pl["niveau"] == "commune"].sort_values("PMUN", ascending=False)
        annee = d.annee_population_legale
        if len(communes) == 1:
            points.append(f"{fm.nombre(ter['PMUN'])} habitants (population municipale {annee}).")
        else:
            premiere = communes.iloc[0]
            points.append(
                f"{fm.nombre(ter['PMUN'])} habitants (population municipale {annee}) "
                f"dans {fm.nombre(len(communes))} communes ; la plus peuplée, {premiere['libelle']}, en compte "
                f"{fm.nombre(premiere['PMUN'])} ({fm.pourcentage(premiere['PMUN'] / ter['PMUN'])})."
            )
    if d.evolution is not None:
        c = croissance(d)
        ter = _ligne(c, "territoire")
        refs = [(lib, c[(c["niveau"] == n) & (c["codgeo"] == code)]["tcam"]) for n, code, lib in _proches(etude)]
        comparaisons = " ; ".join(f"{lib} : {fm.evolution(v.iloc[0], 2)}" for lib, v in refs if len(v))
        points.append(
            f"Évolution annuelle moyenne de la population entre {d.rp_precedent} et {d.rp} : "
            f"{fm.evolution(ter['tcam'], 2)} par an" + (f" ({comparaisons})" if comparaisons else "") + "."
        )
        s = structure_ages(etude, d.calcul)

        ages, bandes = AGES_ELEVES[epoque(etude)]

        def part_60(ligne) -> float:
            return sum(ligne[b] for b in bandes)

        ter_s = s[s["niveau"] == "territoire"].iloc[0]
        comparaisons = " ; ".join(
            f"{lib} : {fm.pourcentage(part_60(lignes.iloc[0]))}"
            for lib, lignes in ((lib, s[(s["niveau"] == n) & (s["codgeo"] == code)]) for n, code, lib in _proches(etude))
            if len(lignes))
        points.append(
            f"{fm.pourcentage(part_60(ter_s))} des habitants ont {ages}"
            + (f" ({comparaisons})" if comparaisons else "")
            + f" ; indice de jeunesse : {fm.decimal(ter_s['Indice de jeunesse'], 0)} "
            f"jeunes de moins de 20 ans pour 100 personnes de 65 ans ou plus."
        )
    return points


def chiffres(d: Demographie) -> dict:
    """The population recorded for the synthèse (build/resultats/, chapitres/enjeux.py: the
    effectif of the findings about every inhabitant), shaped as ChapitreIndicateurs.chiffres."""
    if d.population_legale is None:
        return {}
    pl = d.population_legale
    valeurs = {}
    for niveau in ("territoire", "departement", "region", "france"):
        lignes = pl[pl["niveau"] == niveau]
        v = lignes["PMUN"].iloc[0] if len(lignes) else None
        valeurs[niveau] = None if v is None or fm.est_manquant(v) else float(v)
    return {"population_municipale": valeurs | {"annee": d.annee_population_legale,
                                                "source": d.mention_population_legale}}


# --- display (one function per section of the notebook) -----------------------------------

def afficher_a_retenir(etude, d: Demographie):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats

    points = points_cles(etude, d)
    resultats.enregistrer(etude, "demographie", points, {"indicateurs": chiffres(d)})
    if points:
        presentation.a_retenir(points)
    for message in d.manquantes:
        presentation.donnees_manquantes(assainir.texte(message))


def afficher_population(etude, d: Demographie):
    """One table: légale population (real) and the two censuses with the annual growth rate."""
    from diagnostic_territorial.rendu import presentation

    if d.evolution is None and d.population_legale is None:
        return presentation.donnees_manquantes("Population : aucune source disponible (voir ci-dessus).")
    from diagnostic_territorial.chapitres import reduire_communes

    base = d.evolution if d.evolution is not None else d.population_legale
    table = pd.DataFrame({"Territoire": base["libelle"]})
    sources = []
    cle = [float("nan")] * len(base)
    if d.population_legale is not None:
        pl = d.population_legale.set_index(["niveau", "codgeo"])
        cles = list(zip(base["niveau"], base["codgeo"]))
        cle = [pl["PMUN"].get(k) for k in cles]
        table[f"Population municipale {d.annee_population_legale}"] = [fm.nombre(v) for v in cle]
        sources.append(d.mention_population_legale)
    if d.evolution is not None:
        c = croissance(d)
        if d.population_legale is None:
            cle = list(c["pop_fin"])
        table[f"Population {d.rp_precedent} (RP)"] = [fm.nombre(v) for v in c["pop_debut"]]
        table[f"Population {d.rp} (RP)"] = [fm.nombre(v) for v in c["pop_fin"]]
        table["Évolution annuelle moyenne"] = [fm.evolution(v, 2) for v in c["tcam"]]
        sources.append(d.mention_rp)
    table["_niveau"], table["_cle"] = list(base["niveau"]), cle
    table = _ordonner(table, base)
    if len(etude.communes) == 1:  # the commune is the territory: one row, not two
        table = table[table["_niveau"] != "commune"].reset_index(drop=True)
    # A département has hundreds of communes: the most and the least populated ones only.
    table = reduire_communes(table.drop(columns=["_niveau", "_cle"]), table["_niveau"], table["_cle"],
                             "Les 10 communes les plus peuplées :", "Les 10 communes les moins peuplées :")
    presentation.tableau(table, " ; ".join(sources),
                         titre="Population du territoire, de ses références et de ses communes")
    return None


ORDRE_NIVEAUX = {"territoire": 0, "epci": 1, "departement": 2, "region": 3, "france": 4, "commune": 5}


def _ordonner(table: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Territory and references first, then the communes."""
    ordre = source["niveau"].map(ORDRE_NIVEAUX).fillna(len(ORDRE_NIVEAUX)).to_numpy()
    return table.iloc[ordre.argsort(kind="stable")].reset_index(drop=True)


def afficher_carte_evolution(etude, d: Demographie):
    """Map of the communes' growth; nothing for a single commune (a map of one commune compares
    nothing)."""
    from diagnostic_territorial.rendu import cartes
    from diagnostic_territorial.rendu import presentation

    if d.evolution is None or len(etude.communes) < 2:
        return None
    c = croissance(d)
    communes = c[c["niveau"] == "commune"][["codgeo", "tcam"]].rename(columns={"codgeo": "code"})
    gdf = cartes.contours_etude(list(communes["code"]), etude.dossier_cache).merge(communes, on="code")
    return presentation.carte(
        gdf, "tcam", f"Évolution annuelle moyenne de la population, {d.rp_precedent}-{d.rp}", d.mention_rp,
        format_valeur=lambda v: fm.evolution(v, 2), legende="Évolution annuelle moyenne",
    )


def afficher_structure_ages(etude, d: Demographie):
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.rendu import presentation

    if d.evolution is None:  # said once for the section (the pyramid beside it says nothing more)
        return presentation.donnees_manquantes(
            "Structure par âge : le recensement de la population n'est pas disponible (voir ci-dessus).")
    s = structure_ages(etude, d.calcul)
    tranches_ = [lib for _, lib in tranches(etude)]
    if s[tranches_].isna().all().all():
        return presentation.donnees_manquantes(
            f"Structure par âge non disponible : les tranches d'âge du recensement {d.rp} sont absentes des "
            "fichiers lus (voir « make donnees »).")
    table = pd.DataFrame({"Territoire": s["libelle"]})
    for lib in tranches_:
        table[lib] = [fm.pourcentage(v) for v in s[lib]]
    table["Indice de jeunesse"] = [fm.decimal(v, 0) for v in s["Indice de jeunesse"]]
    presentation.tableau(table, d.mention_rp, titre=f"Structure par âge de la population en {d.rp}")
    long = s.melt(id_vars="libelle", value_vars=tranches_, var_name="tranche", value_name="part")
    fig = graphiques.barres_comparees(
        long, categorie="tranche", valeur="part", groupe="libelle",
        titre=f"Structure par âge de la population en {d.rp}", source="",
        format_valeur=fm.pourcentage,
    )
    return presentation.figure(fig, d.mention_rp)


def pyramide(etude, d: Demographie) -> tuple[pd.Series, pd.Series]:
    """The territory's men and women by age band (catalogue: hommes_0_14, femmes_0_14...: the
    bands of the study's recensement), indexed by the bands' labels; NaN when secret or absent."""
    from diagnostic_territorial.indicateurs import catalogue as ci

    calcul = d.calcul or ci.Calcul(etude)
    parts = INDICATEURS_2023 if epoque(etude) == "2023" else INDICATEURS_BASE_CC
    libelles = [lib for _, lib in tranches(etude)]
    sexes = []
    for sexe in ("hommes", "femmes"):
        valeurs = []
        for id_ in parts:
            try:
                table, _ = calcul.calculer(f"{sexe}_{id_.removeprefix('part_')}")
                valeurs.append(float(_ligne(table, "territoire")["valeur"]))
            except DonneeManquante:
                valeurs.append(float("nan"))
        sexes.append(pd.Series(valeurs, index=libelles))
    return sexes[0], sexes[1]


def afficher_pyramide(etude, d: Demographie):
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.rendu import presentation

    if d.evolution is None:
        return None
    hommes, femmes = pyramide(etude, d)
    if hommes.isna().any() or femmes.isna().any():  # secret or absent from the files read: no half pyramid
        return presentation.donnees_manquantes(
            f"Pyramide des âges non disponible : la population par sexe et âge du recensement {d.rp} est "
            "absente ou masquée dans les fichiers lus.")
    fig = graphiques.pyramide_ages(hommes, femmes, f"Population par sexe et âge en {d.rp} — {etude.nom_territoire}", "")
    return presentation.figure(fig, d.mention_rp)
