"""Declarative catalogue of indicators: notebooks and deliverables ask for an indicator by id;
nobody writes a formula twice.

An indicator is a numerator over a denominator, both sums of variables of a source cache
(``P_FAMMONO`` for ``C19_FAMMONO``...). The data rules apply everywhere:

- additive indicators (``agregeable=True``): every commune, the territory and the references are
  sums of commune counts (``indicateurs.additifs``), and a rate is the ratio of those sums, never
  a mean of the communes' rates;
- indicators that cannot be aggregated (medians, published rates: ``agregeable=False``) are read at
  the level where the source publishes them (``indicateurs.publies``);
- a masked cell (secret statistique) makes the value masked, never 0.

Numerators and denominators may:
- subtract a variable: ``"-P_RP_VOIT1P"`` (households without a car = RP - RP_VOIT1P);
- name a BPE category (``"bpe:creches_eaje"``), resolved into the TYPEQU codes of the BPE
  millésime (the codes change between millésimes: ``sources.bpe.categories``);
- come from another source than the numerator (``source_denominateur``), e.g. equipments per
  1,000 inhabitants (BPE over populations légales).

Evolutions compare the same indicator at the previous millésime (``precedent``): the previous
census inside the same RP file (N-6), the previous Filosofi file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import formats as fm
from . import indicateurs as ind
from .erreurs import DonneeManquante, ErreurDiagnostic

# Key of etude.millesimes giving the millésime of each source's file.
CLE_MILLESIME = {
    "rp_evol_struct_pop": "rp",
    "rp_couples_familles_menages": "rp",
    "rp_logement": "rp",
    "rp_emploi_pop_active": "rp",
    "rp_caract_emploi": "rp",
    "rp_diplomes_formation": "rp",
    "filosofi": "filosofi",
    "populations_legales": "populations_legales",
    "bpe": "bpe",
    "caf_communes": "caf_communes",
    "caf_txcouv_pe": "caf_txcouv_pe",
    "caf_iris": "caf",
    "france_travail": "france_travail",
}
# Previous millésime of a millésime key: (key of the file, key of the data inside the file).
PRECEDENT = {
    "rp": ("rp", "rp_precedent"),
    "filosofi": ("filosofi_precedent", "filosofi_precedent"),
    "caf_communes": ("caf_communes_precedent", "caf_communes_precedent"),
    "caf_txcouv_pe": ("caf_txcouv_pe_precedent", "caf_txcouv_pe_precedent"),
    "france_travail": ("france_travail_precedent", "france_travail_precedent"),
}


class MillesimeInconnu(ErreurDiagnostic, KeyError):
    """The study does not say which millésime of a source to use."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


UNITES = ("part", "pourcent", "nombre", "euros", "indice", "decimal", "pour_mille")


@dataclass(frozen=True)
class Indicateur:
    id: str
    libelle: str
    chapitre: str
    source: str  # cache key: "rp_logement", "filosofi", "bpe", "caf_communes"...
    numerateur: tuple[str, ...]
    denominateur: tuple[str, ...] = ()
    unite: str = "part"  # see UNITES
    facteur: float = 1.0
    agregeable: bool = True  # False: read at the published level (medians, published rates)
    definition: str = ""
    source_denominateur: str = ""  # "" = the numerator's source
    court: str = ""  # short label for table headers and charts
    millesime: str = ""  # key of etude.millesimes ("" = CLE_MILLESIME[source])
    decoupage: str = ""  # age bands of the RP: "base_cc" (RP 2022 and before) or "2023" (Melodi)

    @property
    def cle_millesime(self) -> str:
        return self.millesime or CLE_MILLESIME.get(self.source, "rp")

    @property
    def variables(self) -> list[str]:
        return list(dict.fromkeys(v.lstrip("-") for v in self.numerateur + self.denominateur))

    @property
    def libelle_court(self) -> str:
        return self.court or self.libelle

    @property
    def sources(self) -> tuple[str, ...]:
        autre = self.source_denominateur
        return (self.source,) if not autre or autre == self.source else (self.source, autre)


def _i(id_, libelle, chapitre, source, num, den=(), unite="part", **kw) -> Indicateur:
    num = (num,) if isinstance(num, str) else tuple(num)
    den = (den,) if isinstance(den, str) else tuple(den)
    return Indicateur(id_, libelle, chapitre, source, num, den, unite, **kw)


_EVOL, _CFM, _LOG, _EMP, _DIP = ("rp_evol_struct_pop", "rp_couples_familles_menages", "rp_logement",
                                 "rp_emploi_pop_active", "rp_diplomes_formation")
_CAR = "rp_caract_emploi"  # base-cc « caractéristiques de l'emploi » / Melodi activité, navettes
_POP = "populations_legales"


def _filo(id_, libelle, variable, unite, chapitre="acces_aux_droits", **kw) -> Indicateur:
    return _i(id_, libelle, chapitre, "filosofi", variable, (), unite, agregeable=False, **kw)


def _bpe(id_, libelle, categorie, chapitre, **kw) -> Indicateur:
    """Number of equipments of a BPE category per 1,000 inhabitants (population municipale). The
    short label says the unit too: a table cell « 0,4 » alone would not."""
    if kw.get("court"):
        kw["court"] = f"{kw['court']} (pour 1 000 hab.)"
    return _i(id_, libelle, chapitre, "bpe", f"bpe:{categorie}", "PMUN", "pour_mille", facteur=1000.0,
              source_denominateur=_POP, **kw)


def _nb_bpe(id_, libelle, categorie, chapitre, **kw) -> Indicateur:
    return _i(id_, libelle, chapitre, "bpe", f"bpe:{categorie}", (), "nombre", **kw)


CATALOGUE: dict[str, Indicateur] = {i.id: i for i in [
    # --- Dynamique démographique -----------------------------------------------------------
    _i("population_municipale", "Population municipale", "demographie", _POP, "PMUN", (), "nombre",
       court="Population municipale",
       definition="Personnes ayant leur résidence habituelle sur le territoire de la commune."),
    _i("population_rp", "Population (recensement)", "demographie", _EVOL, "P_POP", (), "nombre", court="Population"),
    _i("part_0_14", "Part des 0-14 ans", "demographie", _EVOL, "P_POP0014", "P_POP", court="0-14 ans"),
    # Age bands published by Insee since the RP 2023 (Melodi): 15-24, 25-39, 40-54, 55-64, 65-79, 80+
    _i("part_15_24", "Part des 15-24 ans", "demographie", _EVOL, "P_POP1524", "P_POP", decoupage="2023", court="15-24 ans"),
    _i("part_25_39", "Part des 25-39 ans", "demographie", _EVOL, "P_POP2539", "P_POP", decoupage="2023", court="25-39 ans"),
    _i("part_40_54", "Part des 40-54 ans", "demographie", _EVOL, "P_POP4054", "P_POP", decoupage="2023", court="40-54 ans"),
    _i("part_55_64", "Part des 55-64 ans", "demographie", _EVOL, "P_POP5564", "P_POP", decoupage="2023", court="55-64 ans"),
    _i("part_65_79", "Part des 65-79 ans", "demographie", _EVOL, "P_POP6579", "P_POP", decoupage="2023", court="65-79 ans"),
    _i("part_80_plus", "Part des 80 ans ou plus", "demographie", _EVOL, "P_POP80P", "P_POP", decoupage="2023", court="80 ans ou plus"),
    _i("part_65_plus", "Part des 65 ans ou plus", "demographie", _EVOL, ["P_H65P", "P_F65P"], "P_POP",
       court="65 ans ou plus"),
    # Age bands of the base communale (RP 2022 and before): 15-29, 30-44, 45-59, 60-74, 75+
    _i("part_15_29", "Part des 15-29 ans", "demographie", _EVOL, "P_POP1529", "P_POP", decoupage="base_cc", court="15-29 ans"),
    _i("part_30_44", "Part des 30-44 ans", "demographie", _EVOL, "P_POP3044", "P_POP", decoupage="base_cc", court="30-44 ans"),
    _i("part_45_59", "Part des 45-59 ans", "demographie", _EVOL, "P_POP4559", "P_POP", decoupage="base_cc", court="45-59 ans"),
    _i("part_60_74", "Part des 60-74 ans", "demographie", _EVOL, "P_POP6074", "P_POP", decoupage="base_cc", court="60-74 ans"),
    _i("part_60_plus", "Part des 60 ans ou plus", "demographie", _EVOL, ["P_POP6074", "P_POP7589", "P_POP90P"],
       "P_POP", decoupage="base_cc", court="60 ans ou plus"),
    _i("part_75_plus", "Part des 75 ans ou plus", "demographie", _EVOL, ["P_POP7589", "P_POP90P"], "P_POP",
       decoupage="base_cc", court="75 ans ou plus"),
    _i("indice_jeunesse", "Indice de jeunesse", "demographie", _EVOL, ["P_H0019", "P_F0019"],
       ["P_H65P", "P_F65P"], "indice", facteur=100.0, court="Indice de jeunesse",
       definition="Moins de 20 ans pour 100 personnes de 65 ans ou plus."),
    _i("part_femmes", "Part des femmes", "demographie", _EVOL, "P_POPF", "P_POP"),
    _i("part_nouveaux_arrivants", "Part des habitants arrivés dans un autre logement depuis moins d'un an",
       "thematiques_specifiques", _EVOL, [f"P_POP01P_IRAN{k}" for k in range(2, 8)], "P_POP01P",
       court="Ont changé de logement dans l'année",
       definition="Personnes d'un an ou plus qui résidaient un an auparavant dans un autre logement."),
    _i("part_nouveaux_venus_commune", "Part des habitants venus d'une autre commune depuis moins d'un an",
       "thematiques_specifiques", _EVOL, [f"P_POP01P_IRAN{k}" for k in range(3, 8)], "P_POP01P",
       court="Venus d'une autre commune dans l'année"),
    _i("part_agriculteurs", "Part des agriculteurs exploitants parmi les 15 ans ou plus", "economie", _EVOL,
       "C_POP15P_CS1", "C_POP15P", court="Agriculteurs"),
    _i("part_artisans", "Part des artisans, commerçants et chefs d'entreprise parmi les 15 ans ou plus",
       "economie", _EVOL, "C_POP15P_CS2", "C_POP15P", court="Artisans, commerçants"),
    _i("part_cadres", "Part des cadres et professions intellectuelles supérieures parmi les 15 ans ou plus",
       "economie", _EVOL, "C_POP15P_CS3", "C_POP15P", court="Cadres"),
    _i("part_professions_intermediaires", "Part des professions intermédiaires parmi les 15 ans ou plus",
       "economie", _EVOL, "C_POP15P_CS4", "C_POP15P", court="Professions intermédiaires"),
    _i("part_employes", "Part des employés parmi les 15 ans ou plus", "economie", _EVOL, "C_POP15P_CS5",
       "C_POP15P", court="Employés"),
    _i("part_ouvriers", "Part des ouvriers parmi les 15 ans ou plus", "economie", _EVOL, "C_POP15P_CS6",
       "C_POP15P", court="Ouvriers"),
    _i("part_retraites", "Part des retraités parmi les 15 ans ou plus", "economie", _EVOL, "C_POP15P_CS7",
       "C_POP15P", court="Retraités"),
    _i("part_sans_activite", "Part des autres personnes sans activité professionnelle parmi les 15 ans ou plus",
       "economie", _EVOL, "C_POP15P_CS8", "C_POP15P", court="Autres sans activité"),
    # --- Dynamique économique --------------------------------------------------------------
    _i("emplois", "Emplois au lieu de travail", "economie", _EMP, "P_EMPLT", (), "nombre", court="Emplois",
       definition="Emplois localisés sur le territoire, quel que soit le lieu de résidence de ceux qui les occupent."),
    _i("concentration_emploi", "Indicateur de concentration d'emploi", "economie", _EMP, "P_EMPLT",
       "P_ACTOCC15P", "indice", facteur=100.0, court="Concentration d'emploi", source_denominateur=_CAR,
       definition="Nombre d'emplois dans la zone pour 100 actifs ayant un emploi qui y résident."),
    _i("actifs_occupes", "Actifs occupés de 15 ans ou plus résidant sur le territoire", "economie", _CAR,
       "P_ACTOCC15P", (), "nombre", court="Actifs occupés résidents"),
    _i("part_salaries", "Part des salariés parmi les actifs occupés de 15 ans ou plus", "economie", _CAR,
       "P_SAL15P", "P_ACTOCC15P", court="Salariés"),
    _filo("revenu_median", "Revenu disponible médian par unité de consommation", "Q2", "euros",
          court="Revenu médian (€/UC)",
          definition="Revenu qui partage les personnes en deux moitiés égales, par unité de consommation (UC)."),
    _filo("premier_decile", "1er décile du revenu disponible par UC", "D1", "euros", court="1er décile (€/UC)"),
    _filo("neuvieme_decile", "9e décile du revenu disponible par UC", "D9", "euros", court="9e décile (€/UC)"),
    _filo("rapport_interdecile", "Rapport interdécile D9/D1", "RD", "decimal", court="D9/D1"),
    _filo("taux_pauvrete", "Taux de pauvreté (seuil à 60 % du niveau de vie médian)", "TP60", "pourcent",
          court="Taux de pauvreté",
          definition="Part des personnes dont le niveau de vie est inférieur à 60 % du niveau de vie médian "
                     "de France métropolitaine."),
    _filo("part_revenus_activite", "Part des revenus d'activité dans le revenu disponible", "PACT", "pourcent",
          "economie", court="Revenus d'activité"),
    _filo("part_pensions", "Part des pensions et retraites dans le revenu disponible", "PPEN", "pourcent",
          "economie", court="Pensions, retraites"),
    _filo("part_prestations_sociales", "Part des prestations sociales dans le revenu disponible", "PPSOC",
          "pourcent", court="Prestations sociales"),
    _filo("part_prestations_familiales", "Part des prestations familiales dans le revenu disponible", "PPFAM",
          "pourcent", court="Prestations familiales"),
    _filo("part_minima_sociaux", "Part des minima sociaux dans le revenu disponible", "PPMINI", "pourcent",
          court="Minima sociaux"),
    _filo("part_aides_logement", "Part des aides au logement dans le revenu disponible", "PPLOGT", "pourcent",
          court="Aides au logement"),
    # --- Dynamique de l'emploi -------------------------------------------------------------
    _i("taux_activite", "Taux d'activité des 15-64 ans", "emploi", _EMP, "P_ACT1564", "P_POP1564",
       court="Taux d'activité"),
    _i("taux_emploi", "Taux d'emploi des 15-64 ans", "emploi", _EMP, "P_ACTOCC1564", "P_POP1564",
       court="Taux d'emploi"),
    _i("taux_chomage", "Taux de chômage des 15-64 ans (recensement)", "emploi", _EMP, "P_CHOM1564", "P_ACT1564",
       court="Taux de chômage (RP)",
       definition="Chômeurs déclarés au recensement rapportés aux actifs de 15 à 64 ans ; il diffère du taux "
                  "de chômage au sens du BIT."),
    _i("taux_activite_femmes", "Taux d'activité des femmes de 15-64 ans", "emploi", _EMP, "P_FACT1564", "P_F1564",
       court="Activité des femmes"),
    _i("taux_chomage_jeunes", "Taux de chômage des 15-24 ans (recensement)", "jeunesse", _EMP, "P_CHOM1524",
       "P_ACT1524", court="Chômage des 15-24 ans"),
    _i("part_temps_partiel", "Part des salariés à temps partiel", "emploi", _CAR, "P_SAL15P_TP", "P_SAL15P",
       court="Temps partiel"),
    _i("part_emplois_precaires", "Part des salariés en CDD ou en intérim", "emploi", _CAR,
       ["P_SAL15P_CDD", "P_SAL15P_INTERIM"], "P_SAL15P", court="CDD et intérim"),
    _i("part_sans_diplome", "Part des non-scolarisés de 15 ans ou plus sans diplôme ou au plus le brevet",
       "emploi", _DIP, ["P_NSCOL15P_DIPLMIN", "P_NSCOL15P_BEPC"], "P_NSCOL15P", court="Sans diplôme ou brevet"),
    _i("part_diplomes_superieur", "Part des non-scolarisés de 15 ans ou plus diplômés du supérieur", "emploi",
       _DIP, ["P_NSCOL15P_SUP2", "P_NSCOL15P_SUP34", "P_NSCOL15P_SUP5"], "P_NSCOL15P",
       court="Diplômés du supérieur"),
    _i("part_actifs_voiture", "Part des actifs occupés allant travailler en voiture", "emploi", _CAR,
       "C_ACTOCC15P_VOIT", "C_ACTOCC15P", court="Voiture"),
    _i("part_actifs_transports_commun", "Part des actifs occupés allant travailler en transports en commun",
       "emploi", _CAR, "C_ACTOCC15P_TCOM", "C_ACTOCC15P", court="Transports en commun"),
    _i("part_actifs_modes_doux", "Part des actifs occupés allant travailler à pied ou à vélo", "emploi", _CAR,
       ["C_ACTOCC15P_MAR", "C_ACTOCC15P_VELO"], "C_ACTOCC15P", court="À pied ou à vélo"),
    _i("demandeurs_emploi", "Demandeurs d'emploi inscrits en catégories A, B, C (fin d'année)", "emploi",
       "france_travail", "DEFM_ABC_T_TOT", (), "nombre", court="Demandeurs d'emploi ABC"),
    _i("part_demandeurs_femmes", "Part des femmes parmi les demandeurs d'emploi ABC", "emploi", "france_travail",
       "DEFM_ABC_F_TOT", "DEFM_ABC_T_TOT", court="Femmes"),
    _i("part_demandeurs_jeunes", "Part des moins de 25 ans parmi les demandeurs d'emploi ABC", "jeunesse",
       "france_travail", "DEFM_ABC_T_M25", "DEFM_ABC_T_TOT", court="Moins de 25 ans"),
    _i("part_demandeurs_seniors", "Part des 50 ans ou plus parmi les demandeurs d'emploi ABC", "emploi",
       "france_travail", "DEFM_ABC_T_50P", "DEFM_ABC_T_TOT", court="50 ans ou plus"),
    _i("demandeurs_pour_100_actifs", "Demandeurs d'emploi ABC pour 100 actifs de 15-64 ans", "emploi",
       "france_travail", "DEFM_ABC_T_TOT", "P_ACT1564", "indice", facteur=100.0, source_denominateur=_EMP,
       court="Demandeurs pour 100 actifs"),
    # --- Cadre de vie ----------------------------------------------------------------------
    _i("logements", "Logements", "cadre_de_vie", _LOG, "P_LOG", (), "nombre", court="Logements"),
    _i("part_logements_vacants", "Part des logements vacants", "cadre_de_vie", _LOG, "P_LOGVAC", "P_LOG",
       court="Logements vacants"),
    _i("part_residences_secondaires", "Part des résidences secondaires et logements occasionnels",
       "cadre_de_vie", _LOG, "P_RSECOCC", "P_LOG", court="Résidences secondaires"),
    _i("part_maisons", "Part des maisons parmi les logements", "cadre_de_vie", _LOG, "P_MAISON", "P_LOG",
       court="Maisons"),
    _i("part_proprietaires", "Part des ménages propriétaires de leur résidence principale", "cadre_de_vie",
       _LOG, "P_RP_PROP", "P_RP", court="Propriétaires"),
    _i("part_locataires_hlm", "Part des ménages locataires d'un logement HLM", "cadre_de_vie", _LOG,
       "P_RP_LOCHLMV", "P_RP", court="Locataires HLM"),
    _i("part_menages_sans_voiture", "Part des ménages sans voiture", "cadre_de_vie", _LOG,
       ["P_RP", "-P_RP_VOIT1P"], "P_RP", court="Ménages sans voiture"),
    _bpe("medecins_pour_1000", "Médecins généralistes pour 1 000 habitants", "medecins_generalistes",
         "cadre_de_vie", court="Médecins généralistes"),
    _bpe("pharmacies_pour_1000", "Pharmacies pour 1 000 habitants", "pharmacies", "cadre_de_vie",
         court="Pharmacies"),
    _bpe("services_publics_pour_1000", "Services publics (gendarmerie, police, poste) pour 1 000 habitants",
         "services_publics", "cadre_de_vie", court="Services publics"),
    # --- Petite enfance --------------------------------------------------------------------
    _i("enfants_moins_3_ans", "Enfants de moins de 3 ans", "petite_enfance", _EVOL, "P_POP0002",
       (), "nombre", court="Enfants de moins de 3 ans",
       definition="Enfants de 0 à 2 ans révolus (recensement, âges détaillés)."),
    _i("taux_couverture_accueil", "Taux de couverture global de l'accueil du jeune enfant", "petite_enfance",
       "caf_txcouv_pe", "txcouv", (), "pourcent", agregeable=False, court="Taux de couverture global",
       definition="Places d'accueil formel (EAJE, assistants maternels, salariés à domicile, école à 2 ans) "
                  "pour 100 enfants de moins de 3 ans, calculé et publié par la Cnaf (Onape)."),
    _i("taux_couverture_eaje", "Taux de couverture en établissements d'accueil du jeune enfant (EAJE)",
       "petite_enfance", "caf_txcouv_pe", "txcouv_eaje", (), "pourcent", agregeable=False, court="EAJE"),
    _i("taux_couverture_assmat", "Taux de couverture par les assistants maternels", "petite_enfance",
       "caf_txcouv_pe", "txcouv_am_ind", (), "pourcent", agregeable=False, court="Assistants maternels"),
    _i("taux_couverture_prescolarisation", "Taux de couverture par la scolarisation avant 3 ans", "petite_enfance",
       "caf_txcouv_pe", "txcouv_prescol", (), "pourcent", agregeable=False, court="École avant 3 ans"),
    _i("taux_couverture_domicile", "Taux de couverture par les salariés à domicile", "petite_enfance",
       "caf_txcouv_pe", "txcouv_gad_ind", (), "pourcent", agregeable=False, court="Garde à domicile"),
    _nb_bpe("creches", "Établissements d'accueil du jeune enfant (crèches)", "creches_eaje", "petite_enfance",
            court="Crèches (EAJE)"),
    _i("foyers_paje", "Foyers percevant l'allocation de base de la PAJE", "petite_enfance", "caf_communes",
       "indfoy_ab", (), "nombre", court="Foyers PAJE (allocation de base)"),
    _i("foyers_cmg", "Foyers percevant le complément de libre choix du mode de garde (CMG)", "petite_enfance",
       "caf_communes", "indfoy_cmg", (), "nombre", court="Foyers CMG"),
    _i("taux_scolarisation_2_5", "Taux de scolarisation des 2-5 ans", "petite_enfance", _DIP, "P_SCOL0205",
       "P_POP0205", court="Scolarisation des 2-5 ans"),
    # --- Enfance ---------------------------------------------------------------------------
    _i("enfants_6_10", "Enfants de 6 à 10 ans", "enfance", _DIP, "P_POP0610", (), "nombre", court="6-10 ans"),
    _i("enfants_2_5", "Enfants de 2 à 5 ans", "enfance", _DIP, "P_POP0205", (), "nombre", court="2-5 ans"),
    _i("taux_scolarisation_6_10", "Taux de scolarisation des 6-10 ans", "enfance", _DIP, "P_SCOL0610",
       "P_POP0610", court="Scolarisation des 6-10 ans"),
    _nb_bpe("ecoles_maternelles", "Écoles maternelles", "ecoles_maternelles", "enfance", court="Écoles maternelles"),
    _nb_bpe("ecoles_elementaires", "Écoles élémentaires", "ecoles_elementaires", "enfance",
            court="Écoles élémentaires"),
    _i("part_familles_avec_enfants", "Part des familles avec enfant(s) de moins de 25 ans", "enfance", _CFM,
       ["C_COUPAENF", "C_FAMMONO"], "C_FAM", court="Familles avec enfants"),
    _i("foyers_af", "Foyers percevant les allocations familiales", "enfance", "caf_communes", "indfoy_af", (),
       "nombre", court="Foyers AF"),
    # --- Jeunesse --------------------------------------------------------------------------
    _i("jeunes_11_14", "Jeunes de 11 à 14 ans", "jeunesse", _DIP, "P_POP1114", (), "nombre", court="11-14 ans"),
    _i("jeunes_15_17", "Jeunes de 15 à 17 ans", "jeunesse", _DIP, "P_POP1517", (), "nombre", court="15-17 ans"),
    _i("jeunes_18_24", "Jeunes de 18 à 24 ans", "jeunesse", _DIP, "P_POP1824", (), "nombre", court="18-24 ans"),
    _i("taux_scolarisation_15_17", "Taux de scolarisation des 15-17 ans", "jeunesse", _DIP, "P_SCOL1517",
       "P_POP1517", court="Scolarisation des 15-17 ans"),
    _i("taux_scolarisation_18_24", "Taux de scolarisation des 18-24 ans", "jeunesse", _DIP, "P_SCOL1824",
       "P_POP1824", court="Scolarisation des 18-24 ans"),
    _i("taux_activite_jeunes", "Taux d'activité des 15-24 ans", "jeunesse", _EMP, "P_ACT1524", "P_POP1524",
       court="Activité des 15-24 ans"),
    _i("demandeurs_jeunes", "Demandeurs d'emploi ABC de moins de 25 ans", "jeunesse", "france_travail",
       "DEFM_ABC_T_M25", (), "nombre", court="Demandeurs de moins de 25 ans"),
    _nb_bpe("colleges", "Collèges", "colleges", "jeunesse", court="Collèges"),
    _nb_bpe("lycees", "Lycées", "lycees", "jeunesse", court="Lycées"),
    # --- Parentalité -----------------------------------------------------------------------
    _i("familles", "Familles", "parentalite", _CFM, "C_FAM", (), "nombre", court="Familles"),
    _i("part_familles_monoparentales", "Part des familles monoparentales", "parentalite", _CFM, "C_FAMMONO",
       "C_FAM", court="Familles monoparentales",
       definition="Parent vivant sans conjoint avec un ou plusieurs enfants de moins de 25 ans, parmi les familles."),
    _i("part_monoparentales_meres", "Part des mères parmi les familles monoparentales", "parentalite", _CFM,
       "C_FMONO", "C_FAMMONO", court="Mères seules"),
    _i("part_couples_avec_enfants", "Part des couples avec enfant(s)", "parentalite", _CFM, "C_COUPAENF", "C_FAM",
       court="Couples avec enfants"),
    _i("part_couples_sans_enfant", "Part des couples sans enfant", "parentalite", _CFM, "C_COUPSENF", "C_FAM",
       court="Couples sans enfant"),
    _i("part_familles_nombreuses", "Part des familles de 3 enfants ou plus de moins de 25 ans", "parentalite",
       _CFM, ["C_NE24F3", "C_NE24F4P"], "C_FAM", court="Familles nombreuses"),
    _i("foyers_asf", "Foyers percevant l'allocation de soutien familial (ASF)", "parentalite", "caf_communes",
       "indfoy_asf", (), "nombre", court="Foyers ASF"),
    _i("foyers_cf", "Foyers percevant le complément familial", "parentalite", "caf_communes", "indfoy_cf", (),
       "nombre", court="Foyers complément familial"),
    _i("part_allocataires_asf", "Part des foyers allocataires percevant l'ASF", "parentalite", "caf_communes",
       "indfoy_asf", "indfoy_ndur", court="Allocataires ASF"),
    # --- Vie sociale -----------------------------------------------------------------------
    _i("menages", "Ménages", "vie_sociale", _CFM, "C_MEN", (), "nombre", court="Ménages"),
    _i("taille_moyenne_menages", "Taille moyenne des ménages", "vie_sociale", _CFM, "C_PMEN", "C_MEN", "decimal",
       court="Personnes par ménage"),
    _i("part_menages_une_personne", "Part des ménages d'une seule personne", "vie_sociale", _CFM, "C_MENPSEUL",
       "C_MEN", court="Ménages d'une personne"),
    _i("part_personnes_seules", "Part des personnes de 15 ans ou plus vivant seules", "vie_sociale", _CFM,
       "P_POP15P_PSEUL", "P_POP15P", court="15 ans ou plus vivant seuls"),
    _i("part_80_plus_seules", "Part des personnes de 80 ans ou plus vivant seules", "vie_sociale", _CFM,
       "P_POP80P_PSEUL", "P_POP80P", court="80 ans ou plus vivant seuls"),
    _i("personnes_80_plus", "Personnes de 80 ans ou plus", "vie_sociale", _CFM, "P_POP80P", (), "nombre",
       court="80 ans ou plus"),
    _bpe("equipements_personnes_agees_pour_1000", "Services et hébergements pour personnes âgées pour 1 000 "
         "habitants", "personnes_agees", "vie_sociale", court="Services aux personnes âgées"),
    # --- Accès aux droits (Caf) ------------------------------------------------------------
    _i("allocataires", "Foyers allocataires de la Caf", "acces_aux_droits", "caf_communes", "indfoy_ndur", (),
       "nombre", court="Foyers allocataires"),
    _i("foyers_rsa", "Foyers allocataires du RSA", "acces_aux_droits", "caf_communes", "indfoy_rsa", (), "nombre",
       court="Foyers au RSA", definition="Foyers percevant le revenu de solidarité active en décembre (Caf, "
                                         "effectifs arrondis à 5)."),
    _i("foyers_prime_activite", "Foyers allocataires de la prime d'activité", "acces_aux_droits", "caf_communes",
       "indfoy_ppa", (), "nombre", court="Foyers à la prime d'activité"),
    _i("montant_moyen_rsa", "Montant moyen du RSA versé par foyer en décembre", "acces_aux_droits", "caf_communes",
       "indmtt_rsa", "indfoy_rsa", "euros", court="RSA moyen par foyer (€/mois)",
       definition="Montant du RSA versé au titre du mois de décembre rapporté au nombre de foyers bénéficiaires."),
    _i("part_population_couverte_caf", "Part de la population couverte par au moins une prestation de la Caf",
       "acces_aux_droits", "caf_communes", "indnbp_ndur", "PMUN", source_denominateur=_POP,
       court="Population couverte par la Caf",
       definition="Personnes couvertes (allocataires, conjoints, enfants et autres personnes à charge) rapportées "
                  "à la population municipale."),
    _i("part_allocataires_rsa", "Part des foyers allocataires percevant le RSA", "acces_aux_droits",
       "caf_communes", "indfoy_rsa", "indfoy_ndur", court="RSA"),
    _i("part_allocataires_prime_activite", "Part des foyers allocataires percevant la prime d'activité",
       "acces_aux_droits", "caf_communes", "indfoy_ppa", "indfoy_ndur", court="Prime d'activité"),
    _i("part_allocataires_aide_logement", "Part des foyers allocataires percevant une aide au logement",
       "acces_aux_droits", "caf_communes", ["indfoy_apl", "indfoy_als", "indfoy_alf"], "indfoy_ndur",
       court="Aide au logement"),
    _i("foyers_rsa_pour_100_menages", "Foyers au RSA pour 100 ménages", "acces_aux_droits", "caf_communes",
       "indfoy_rsa", "C_MEN", "indice", facteur=100.0, source_denominateur=_CFM, court="RSA pour 100 ménages"),
    # --- Thématiques spécifiques -----------------------------------------------------------
    _i("part_menages_emmenages_moins_2_ans", "Part des ménages installés depuis moins de 2 ans",
       "thematiques_specifiques", _LOG, "P_MEN_ANEM0002", "P_RP", court="Installés depuis moins de 2 ans"),
    _i("part_menages_emmenages_10_ans_plus", "Part des ménages installés depuis 10 ans ou plus",
       "thematiques_specifiques", _LOG, "P_MEN_ANEM10P", "P_RP", court="Installés depuis 10 ans ou plus"),
]}


def indicateur(id_: str) -> Indicateur:
    try:
        return CATALOGUE[id_]
    except KeyError:
        import difflib

        proches = difflib.get_close_matches(id_, CATALOGUE, n=3, cutoff=0.5)
        raise KeyError(f"Indicateur inconnu : « {id_} »." + (f" Indicateurs proches : {', '.join(proches)}."
                                                             if proches else "")) from None


# --- Millésimes ------------------------------------------------------------------------------


def millesime_fichier(etude, cle: str) -> int:
    """The millésime of a source's file for the study (donnees.millesime_source: etude.millesimes,
    then the defaults); MillesimeInconnu when neither gives one."""
    from . import donnees

    m = donnees.millesime_source(etude, cle)
    if m is None:
        raise MillesimeInconnu(f"Millésime « {cle} » non déclaré pour cette étude : ajoutez « {cle}: <année> » à "
                               "la section millesimes d'etude.yaml.")
    return m


def millesimes(etude, i: Indicateur, precedent: bool = False) -> tuple[int, int] | None:
    """(millésime of the file, millésime of the data) of an indicator, or None when there is no
    previous millésime for its source."""
    cle = i.cle_millesime
    if not precedent:
        m = millesime_fichier(etude, cle)
        return m, m
    if cle not in PRECEDENT or i.sources != (i.source,):
        return None
    cle_fichier, cle_donnees = PRECEDENT[cle]
    try:
        return millesime_fichier(etude, cle_fichier), millesime_fichier(etude, cle_donnees)
    except MillesimeInconnu:
        return None


# --- Computation -----------------------------------------------------------------------------


def _termes(i: Indicateur, termes: tuple[str, ...], millesime_fichier_: int) -> list[tuple[str, int]]:
    """(variable, sign) of a numerator or denominator; BPE categories become TYPEQU codes."""
    resultat = []
    for terme in termes:
        signe = -1 if terme.startswith("-") else 1
        nom = terme.lstrip("-")
        if nom.startswith("bpe:"):
            from .sources import bpe

            codes = bpe.categories(millesime_fichier_)[nom[4:]]
            resultat += [(c, signe) for c in codes]
        else:
            resultat.append((nom, signe))
    return resultat


def _combiner(table: pd.DataFrame, termes: list[tuple[str, int]], absentes_a_zero: bool) -> tuple[pd.Series, pd.Series]:
    """Signed sum of variables (row-wise) and its secrecy. `absentes_a_zero`: a variable absent for
    a row counts 0 (BPE: a commune without an equipment type has no row for it)."""
    valeur = pd.Series(0.0, index=table.index)
    secret = pd.Series(False, index=table.index)
    for nom, signe in termes:
        if nom in table:
            colonne = table[nom].astype(float)
            s = table[nom + ind.SUFFIXE_SECRET].astype(bool)
        else:
            colonne = pd.Series(np.nan, index=table.index)
            s = pd.Series(False, index=table.index)
        if absentes_a_zero:
            colonne = colonne.fillna(0.0).where(~s)
        valeur = valeur + signe * colonne
        secret = secret | s
    return valeur, secret


@dataclass
class Calcul:
    """Cache of the source tables read for one study (one read per source and millésime)."""

    etude: object
    tables: dict = field(default_factory=dict)

    def _additifs(self, source: str, fichier: int, millesime: int, variables: list[str]):
        cle = (source, fichier, millesime, "additif")
        deja = self.tables.get(cle)
        if deja is not None and set(variables) <= deja[2]:
            return deja[0], deja[1]
        voulues = sorted(set(variables) | (deja[2] if deja else set()))
        table, prov = ind.additifs(self.etude, source, fichier, voulues, millesime)
        self.tables[cle] = (table, prov, set(voulues))
        return table, prov

    def _publies(self, source: str, millesime: int, variables: list[str]):
        cle = (source, millesime, millesime, "publie")
        deja = self.tables.get(cle)
        if deja is not None and set(variables) <= deja[2]:
            return deja[0], deja[1]
        voulues = sorted(set(variables) | (deja[2] if deja else set()))
        table, prov = ind.publies(self.etude, source, millesime, voulues)
        self.tables[cle] = (table, prov, set(voulues))
        return table, prov

    def precharger(self, ids) -> None:
        """Read every source once for all these indicators (missing sources are ignored here:
        each indicator reports its own)."""
        groupes: dict = {}
        for id_ in ids:
            i = indicateur(id_)
            for precedent in (False, True):
                try:
                    m = millesimes(self.etude, i, precedent)
                    parties = self._parties(i, m) if m is not None else []
                except MillesimeInconnu:
                    parties = []
                for source, fichier, millesime, termes in parties:
                    cle = (source, fichier, millesime, i.agregeable)
                    groupes.setdefault(cle, set()).update(v for v, _ in termes)
        for (source, fichier, millesime, agregeable), variables in groupes.items():
            try:
                if agregeable:
                    self._additifs(source, fichier, millesime, sorted(variables))
                else:
                    self._publies(source, millesime, sorted(variables))
            except DonneeManquante:
                pass

    def _parties(self, i: Indicateur, m: tuple[int, int]) -> list[tuple[str, int, int, list]]:
        """(source, millésime of the file, millésime of the data, signed terms) to read: one part,
        or two when the denominator comes from another source (read at its own millésime)."""
        fichier, donnees_ = m
        num = _termes(i, i.numerateur, fichier)
        den = _termes(i, i.denominateur, fichier)
        autre = i.source_denominateur
        if autre and autre != i.source:
            f_den = millesime_fichier(self.etude, CLE_MILLESIME.get(autre, "rp"))
            return [(i.source, fichier, donnees_, num), (autre, f_den, f_den, den)]
        return [(i.source, fichier, donnees_, num + den)]

    def calculer(self, id_: str, precedent: bool = False, millesime: int | None = None) -> tuple[pd.DataFrame, str]:
        """Value of an indicator for each commune, the territory and its references.

        Returns (table: libelle, niveau, codgeo, valeur, secret ; source mention). `precedent`
        gives the previous millésime (see PRECEDENT); `millesime` picks a millésime of the data
        inside the same file (e.g. the previous census of an RP file). Raises DonneeManquante
        when a source is missing, MillesimeInconnu when etude.yaml does not give its millésime,
        ValueError when there is no previous millésime."""
        i = indicateur(id_)
        m = millesimes(self.etude, i, precedent)
        if m is None:
            raise ValueError(f"pas de millésime précédent pour l'indicateur « {id_} »")
        fichier = m[0]
        if millesime is not None:
            m = (fichier, int(millesime))
        if not i.agregeable:
            table, prov = self._publies(i.source, m[1], i.variables)
            valeur, secret = _combiner(table, _termes(i, i.numerateur, fichier), False)
            valeur = valeur * i.facteur
            mention = prov.mention() if prov else f"Source : {i.source} {m[1]}"
        else:
            tables, mentions = [], []
            for source, f_src, d_src, termes in self._parties(i, m):
                t, prov = self._additifs(source, f_src, d_src, [v for v, _ in termes])
                tables.append(t)
                texte = prov.mention() if prov else f"Source : {source} {d_src}"
                if texte not in mentions:
                    mentions.append(texte)
            table = tables[0]
            num, s_num = _combiner(table, _termes(i, i.numerateur, fichier), i.source == "bpe")
            if i.denominateur:
                t_den = tables[-1]
                if len(tables) > 1:  # align the denominator's rows on the numerator's
                    t_den = t_den.set_index(["niveau", "codgeo"]).reindex(
                        pd.MultiIndex.from_frame(table[["niveau", "codgeo"]])).reset_index()
                    t_den.index = table.index
                den, s_den = _combiner(t_den, _termes(i, i.denominateur, fichier), False)
                with np.errstate(divide="ignore", invalid="ignore"):
                    valeur = num / den.where(den != 0) * i.facteur
                secret = s_num | s_den
            else:
                valeur, secret = num * i.facteur, s_num
            from .observation import joindre_mentions

            mention = joindre_mentions(mentions)
        sortie = table[["libelle", "niveau", "codgeo"]].copy()
        sortie["valeur"] = valeur.where(~secret, np.nan).astype(float).to_numpy()
        sortie["secret"] = secret.astype(bool).to_numpy()
        return sortie.reset_index(drop=True), mention


def calculer(etude, id_: str, millesime: int | None = None) -> tuple[pd.DataFrame, str]:
    """Value of an indicator for each commune, the territory and its references (see
    Calcul.calculer). `millesime` selects an earlier millésime inside the same file (e.g.
    rp_precedent for RP)."""
    return Calcul(etude).calculer(id_, millesime=millesime)


# --- Formatting ------------------------------------------------------------------------------


def formater(i: Indicateur, valeur, secret: bool = False) -> str:
    """A value of the indicator written the French way ("12,3 %", "21 800 €", "s" if secret)."""
    u = i.unite
    if u == "part":
        return fm.pourcentage(valeur, 1, secret=secret)
    if u == "pourcent":
        return fm.pourcentage(valeur / 100 if not fm.est_manquant(valeur) else valeur, 1, secret=secret)
    if u == "euros":
        return fm.euros(valeur, secret=secret)
    if u == "indice":
        return fm.decimal(valeur, 0, secret=secret)
    if u in ("decimal", "pour_mille"):
        return fm.decimal(valeur, 1, secret=secret)
    return fm.nombre(valeur, secret=secret)


def en_ratio(i: Indicateur, valeur):
    """Value on the scale of the charts: parts as ratios (0.123), published percentages too."""
    if i.unite == "pourcent" and not fm.est_manquant(valeur):
        return float(valeur) / 100
    return valeur


def ecart(i: Indicateur, avant, apres) -> str:
    """The change between two millésimes, written the French way: points for rates ("+1,2 pt"),
    a relative change for counts and amounts ("+3,4 %")."""
    if fm.est_manquant(avant) or fm.est_manquant(apres):
        return fm.NON_DISPONIBLE
    if i.unite in ("part", "pourcent"):
        points = (apres - avant) * (100 if i.unite == "part" else 1)
        texte = fm.decimal(points, 1)
        signe = "+" if round(points, 1) > 0 else ""
        return f"{signe}{texte}\u00a0pt"
    if i.unite in ("indice", "decimal", "pour_mille"):
        d = apres - avant
        texte = fm.decimal(d, 1)
        return ("+" if round(d, 1) > 0 else "") + texte
    if avant == 0:
        return fm.NON_DISPONIBLE
    return fm.evolution(apres / avant - 1, 1)


# --- Diagnostics: no indicator silently empty ---------------------------------------------------


@dataclass
class Diagnostic:
    id: str
    libelle: str
    source: str
    statut: str  # "ok", "vide" (computed but no value: `raison` says why), "indisponible" (no data)
    raison: str = ""


def _variables_du_cache(etude, source: str, millesime: int) -> tuple[set[str], dict, str]:
    """(variables present in the cache, declared variables absent with their reason, file names)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from . import donnees
    from .sources import cache

    chemin = donnees.chemin_cache(etude, source, millesime)
    if not chemin.exists():
        return set(), {}, ""
    table = pq.read_table(chemin, columns=["variable"])
    presentes = set(pc.unique(table.column(0)).to_pylist())
    prov = cache.provenance(chemin)
    extra = (prov.extra if prov else {}) or {}
    return presentes, dict(extra.get("variables_absentes", {})), prov.fichier if prov else chemin.name


def diagnostiquer(etude, ids=None) -> list[Diagnostic]:
    """Every indicator of the catalogue (or `ids`) computed for the study: values, or the reason
    there is none (which file is missing, which variable the file does not hold, which cells are
    secret). Used by `make donnees` and the technical annex; nothing is ever silently empty."""
    calcul = Calcul(etude)
    sortie = []
    calcul.precharger(ids or list(CATALOGUE))  # each source read once for every indicator
    for id_ in ids or list(CATALOGUE):
        i = indicateur(id_)
        try:
            table, _ = calcul.calculer(id_)
        except MillesimeInconnu as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible", str(exc)))
            continue
        except DonneeManquante as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible",
                                     f"fichier « {exc.fichier} » absent de data/brut ({exc.source})"))
            continue
        except ErreurDiagnostic as exc:
            sortie.append(Diagnostic(id_, i.libelle, i.source, "indisponible", str(exc)))
            continue
        if table["valeur"].notna().any():
            sortie.append(Diagnostic(id_, i.libelle, i.source, "ok"))
            continue
        autres = [j.id for j in CATALOGUE.values() if i.decoupage and j.decoupage not in ("", i.decoupage)]
        if autres and any(calcul.calculer(j)[0]["valeur"].notna().any() for j in autres[:1]):
            sortie.append(Diagnostic(id_, i.libelle, i.source, "autre_decoupage",
                                     "tranches d'âge d'un autre millésime du recensement : le rapport montre "
                                     + ", ".join(autres)))
            continue
        sortie.append(Diagnostic(id_, i.libelle, i.source, "vide", raison_vide(calcul, id_, table)))
    return sortie


def raison_vide(calcul: Calcul, id_: str, table: pd.DataFrame) -> str:
    """Why an indicator computed without error has no value at all: the variables its file does
    not hold (with the cells a Melodi file lacks), secret cells, or a territory the file does not
    cover."""
    i = indicateur(id_)
    raisons = []
    m = millesimes(calcul.etude, i)
    for source, fichier, _, termes in calcul._parties(i, m):
        presentes, absentes, noms = _variables_du_cache(calcul.etude, source, fichier)
        for variable in dict.fromkeys(v for v, _ in termes):
            if variable not in presentes:
                detail = absentes.get(variable)
                raisons.append(f"variable {variable} absente de {noms or source}" + (f" : {detail}" if detail else ""))
    if not raisons and table["secret"].all():
        raisons.append("toutes les valeurs sont masquées par le secret statistique")
    if not raisons:
        raisons.append("aucune valeur pour le territoire, ses communes ni ses références dans le fichier lu "
                       "(territoire non couvert par le fichier)")
    return " ; ".join(raisons)


def definitions_melodi(i: Indicateur) -> list[tuple[str, str, str]]:
    """(variable, Melodi dataset, cells) of each variable of an indicator read from the recensement,
    BPE, Filosofi or the populations de référence since their publication through Melodi
    (sources/melodi.toml); a variable with no Melodi definition is absent from the list."""
    from .sources import melodi

    sortie = []
    parties = [(i.source, i.numerateur), (i.source_denominateur or i.source, i.denominateur)]
    for source, termes in parties:
        for terme in termes:
            nom = terme.lstrip("-")
            if nom.startswith("bpe:"):
                from .sources import bpe

                codes = bpe.categories(max(_BPE_MELODI))[nom[4:]]
                sortie.append((nom, "DS_BPE", "FACILITY_TYPE=" + "|".join(codes) + " BPE_MEASURE=FACILITIES"))
                continue
            trouve = melodi.definition(source, nom)
            if trouve is not None:
                sortie.append((nom, trouve[0].id, trouve[1].texte()))
    return list(dict.fromkeys(sortie))


_BPE_MELODI = (2024, 2025)
