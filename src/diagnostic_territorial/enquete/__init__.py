"""« Parole des habitants »: questionnaire exports, their mapping, protected tabulations,
weighting, free-text masking and the qualitative material of the study.

Public API:
- ``charger_enquete(etude)`` -> :class:`Enquete` (raises :class:`EnqueteAbsente` when the study has
  no survey file): import by enquete/questionnaire.yaml, threshold and weighting from etude.yaml;
- ``tabuler(enquete, cle, par=None)`` -> :class:`Tableau` (protected counts, shares, Wilson CI);
- ``indicateurs_communes(enquete)`` -> tidy shares per commune for the observation ciblée;
- ``raking``, ``taille_effective``, ``wilson``; ``supprimer`` (primary + secondary suppression),
  ``secret_complementaire`` / ``proteger_table`` (the same for a public source's communes and
  their published total); ``masquer_texte``; ``verbatims(etude, enquete)``;
- settings of etude.yaml's ``enquete:`` section, read strictly (``ParametreInvalide`` names the
  file, the line and the field): ``seuil`` (5 or more), ``ponderation``, ``publier_verbatims``
  (true/false, oui/non, vrai/faux only), ``effectif_min_commune``; ``verifier_configuration``;
- ``qualitatif.synthese(etude, theme)``, ``qualitatif.constats_partages(etude)``.

The demo's simulated LimeSurvey export is installed by ``diagnostic_territorial_demo.enquete``
(outside the runtime package).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diagnostic_territorial.erreurs import DonneeManquante, ErreurDiagnostic
from diagnostic_territorial.enquete.ponderation import raking, taille_effective, wilson
from diagnostic_territorial.enquete.protection import (SEUIL_DEFAUT, ParametreInvalide, configuration, effectif_min_commune, masquer_texte,
                         noms_a_masquer, ponderation, proteger_table, publier_verbatims, secret_complementaire, seuil,
                         supprimer, verifier_configuration)
from diagnostic_territorial.enquete.questionnaire import Questionnaire, QuestionnaireInvalide, charger_questionnaire, importer, lire_tableau
from diagnostic_territorial.enquete.tabulation import ENSEMBLE, Enquete, Tableau, indicateurs_communes, tabuler

__all__ = [
    "Enquete", "EnqueteAbsente", "ParametreInvalide", "Questionnaire", "QuestionnaireInvalide", "SEUIL_DEFAUT",
    "Tableau", "charger_enquete", "charger_questionnaire", "chemin_questionnaire", "configuration",
    "effectif_min_commune", "importer", "indicateurs_communes", "lire_tableau",
    "marges_rp", "masquer_texte", "mention", "noms_a_masquer", "ponderation", "proteger_table", "publier_verbatims",
    "raking", "secret_complementaire", "seuil", "supprimer", "tabuler", "taille_effective", "verbatims",
    "verifier_configuration", "wilson", "ENSEMBLE",
]

SOURCE_RP = "rp_evol_struct_pop"


class EnqueteAbsente(ErreurDiagnostic):
    """The study has no survey (no mapping or no export file)."""


def chemin_questionnaire(etude) -> Path:
    return Path(etude.racine) / "enquete" / "questionnaire.yaml"


def marges_rp(etude, questionnaire: Questionnaire) -> tuple[dict, str]:
    """RP margins of the age bands and sexes of the mapping (``rp`` of each code), for the
    territory: {cle_age: {libelle: population}, cle_sexe: {...}} and the source line."""
    from diagnostic_territorial.indicateurs import calcul as ind

    q_age = questionnaire.par_type("tranche_age")
    q_sexe = questionnaire.par_type("sexe")
    if q_age is None or not all(m.rp for m in q_age.modalites):
        return {}, ""
    variables_age = [v for m in q_age.modalites for v in m.rp]
    variables = list(variables_age)
    if q_sexe is not None and all(m.rp for m in q_sexe.modalites):
        for m in q_sexe.modalites:
            variables += [v.replace("P_POP", f"P_{m.rp[0]}") for v in variables_age]
    rp = etude.millesimes["rp"]
    table, prov = ind.additifs(etude, SOURCE_RP, rp, sorted(set(variables)))
    ter = table[table["niveau"] == "territoire"].iloc[0]
    marges = {q_age.cle: {m.libelle: float(sum(ter[v] for v in m.rp)) for m in q_age.modalites}}
    if q_sexe is not None and all(m.rp for m in q_sexe.modalites):
        marges[q_sexe.cle] = {m.libelle: float(sum(ter[v.replace("P_POP", f"P_{m.rp[0]}")] for v in variables_age))
                              for m in q_sexe.modalites}
    if any(np.isnan(v) for marge in marges.values() for v in marge.values()):
        return {}, ""
    return marges, (prov.mention() if prov else f"Source : Insee, RP {rp}")


def charger_enquete(etude, ponderer: bool | None = None, marges: dict | None = None) -> Enquete:
    """Import the study's survey. Weighting (raking on the RP margins of age and sex, or on
    `marges` given explicitly) applies unless etude.yaml says ``enquete: {ponderation: non}``. The
    settings are checked first (ParametreInvalide: file, line, field), survey or not."""
    verifier_configuration(etude)
    chemin = chemin_questionnaire(etude)
    if not chemin.is_file():
        raise EnqueteAbsente(f"Aucune enquête auprès des habitants : le fichier de correspondance « {chemin} » "
                             "est absent.")
    q = charger_questionnaire(chemin)
    if not q.fichier or not q.chemin_export.is_file():
        raise EnqueteAbsente(
            f"Aucune enquête auprès des habitants : l'export « {q.fichier or '(non indiqué)'} » n'est pas dans "
            f"{chemin.parent}/. Déposez-y l'export du questionnaire (CSV ou XLSX) et indiquez son nom dans "
            "« fichier » de enquete/questionnaire.yaml.")
    reponses = importer(q, etude.communes)
    enquete = Enquete(q, reponses, etude.communes[["code", "nom"]], seuil=seuil(etude),
                      effectif_min_commune=effectif_min_commune(etude))
    if ponderer is None:
        ponderer = ponderation(etude)
    if ponderer:
        mention_rp = ""
        if marges is None:
            try:
                marges, mention_rp = marges_rp(etude, q)
            except DonneeManquante:
                marges = {}
        if marges:
            enquete.poids = raking(reponses, marges)
            enquete.mention_marges = mention_rp
    return enquete


def mention(enquete: Enquete) -> str:
    """The source line printed under every survey table and chart. The number of respondents and
    the effective size under the threshold are « s » (secret statistique)."""
    q = enquete.questionnaire
    titre = q.titre[0].lower() + q.titre[1:] if q.titre.startswith("Enquête") else q.titre
    texte = f"Source : {titre}"
    if q.date:
        texte += f", {q.date}"
    texte += f" (n = {enquete.n_publie()}"
    if enquete.poids is not None:
        texte += f", redressée sur l'âge et le sexe, taille effective {enquete.n_effectif_publie()}"
    texte += ")"
    if q.simule:
        texte += " — données simulées pour la démonstration"
    return texte


def verbatims(etude, enquete: Enquete, cle: str | None = None, maximum: int = 12) -> list[str]:
    """Free-text answers to publish: none unless etude.yaml opts in (publier_verbatims: oui);
    then e-mails, phone numbers, postal addresses and the names of the stop-list are masked."""
    if not publier_verbatims(etude):
        return []
    noms = noms_a_masquer(etude)
    cles = [cle] if cle else [q.cle for q in enquete.questionnaire.questions if q.type == "texte_libre"]
    textes = []
    for c in cles:
        for t in enquete.reponses[c].dropna():
            m = masquer_texte(t, noms)
            if m.strip() and m not in textes:
                textes.append(m)
    return textes[:maximum]
