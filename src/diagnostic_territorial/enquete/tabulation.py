"""Counts, shares, Wilson intervals and cross-tabulations of the survey, protected before any
publication (see protection.py): what leaves this module is safe to print."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.enquete.ponderation import taille_effective, wilson
from diagnostic_territorial.enquete.protection import SEUIL_DEFAUT, Masques, publiable, supprimer
from diagnostic_territorial.enquete.questionnaire import HORS_TERRITOIRE, Question, Questionnaire

ENSEMBLE = "Ensemble"
AUTRES_COMMUNES = "Autres communes du territoire"
HORS = "Hors territoire"
AUTRES_ET_HORS = "Autres communes et hors territoire"
EFFECTIF_MIN_COMMUNE = 30
CROISEMENTS = {"sexe": "Sexe", "tranche_age": "Âge", "commune": "Commune de résidence"}


@dataclass
class Enquete:
    """The imported survey: one row per respondent, its mapping, weights and threshold."""

    questionnaire: Questionnaire
    reponses: pd.DataFrame
    communes: pd.DataFrame  # code, nom of the study's communes
    seuil: int = SEUIL_DEFAUT
    poids: pd.Series | None = None
    effectif_min_commune: int = EFFECTIF_MIN_COMMUNE
    mention_marges: str = ""

    @property
    def n(self) -> int:
        return len(self.reponses)

    @property
    def n_effectif(self) -> float:
        return taille_effective(self.poids) if self.poids is not None else float(self.n)

    def n_publie(self) -> str:
        """The number of respondents as it may be printed: « s » under the threshold."""
        return str(self.n) if publiable(self.n, self.seuil) else fm.SECRET

    def n_effectif_publie(self) -> str:
        """The effective size (Kish) as it may be printed: « s » under the threshold (or when the
        number of respondents itself is secret: the effective size never exceeds it)."""
        if not (publiable(self.n, self.seuil) and publiable(self.n_effectif, self.seuil)):
            return fm.SECRET
        return fm.nombre(self.n_effectif)

    def w(self) -> np.ndarray:
        return self.poids.to_numpy(dtype=float) if self.poids is not None else np.ones(self.n)

    def variable_croisement(self, type_: str) -> tuple[pd.Series, list[str]]:
        """The crossing variable (labels) and its groups in display order."""
        q = self.questionnaire.par_type(type_)
        if q is None:
            raise KeyError(f"Le questionnaire n'a pas de question de type « {type_} ».")
        if type_ != "commune":
            return self.reponses[q.cle].astype(object), q.libelles
        return self.groupes_communes(q.cle)

    def groupes_communes(self, cle: str, regrouper: bool = True) -> tuple[pd.Series, list[str]]:
        """Commune names; with `regrouper`, the communes with fewer than `effectif_min_commune`
        respondents are grouped into "Autres communes du territoire", and the few respondents
        living outside the territory join them ("Autres communes et hors territoire"): a group
        under the threshold would otherwise force the suppression of most of the table."""
        noms = dict(zip(self.communes["code"], self.communes["nom"]))
        codes = self.reponses[cle]
        comptes = codes.value_counts()
        hors = sum(n for c, n in comptes.items() if c == HORS_TERRITOIRE or c not in noms)
        peu_hors = regrouper and 0 < hors < self.effectif_min_commune
        def libelle(c):
            if c is None or (isinstance(c, float) and np.isnan(c)):
                return None
            if c == HORS_TERRITOIRE or c not in noms:
                return AUTRES_ET_HORS if peu_hors else HORS
            if regrouper and comptes.get(c, 0) < self.effectif_min_commune:
                return AUTRES_ET_HORS if peu_hors else AUTRES_COMMUNES
            return noms[c]
        serie = codes.map(libelle).astype(object)
        presents = set(serie.dropna())
        ordre = [n for n in sorted(set(noms.values()), key=lambda s: s.lower()) if n in presents]
        ordre += [g for g in (AUTRES_COMMUNES, AUTRES_ET_HORS, HORS) if g in presents]
        return serie, ordre


@dataclass
class Tableau:
    """A protected table: rows = answers, columns = groups (+ "Ensemble" when crossed)."""

    question: Question
    par: str | None
    modalites: list[str]
    groupes: list[str]
    effectifs: np.ndarray  # R x C respondents (unweighted)
    totaux: np.ndarray  # C respondents of the question in each group
    masques: Masques
    estimations: np.ndarray  # R x C weighted counts
    totaux_ponderes: np.ndarray
    n_effectifs: np.ndarray
    pondere: bool
    seuil: int
    colonnes: list[str] = field(default_factory=list)

    def _completer(self):
        """Columns as published: the groups then, when crossed, "Ensemble" (row totals)."""
        eff, tot, est, totp, neff = self.effectifs, self.totaux, self.estimations, self.totaux_ponderes, self.n_effectifs
        m_c, m_t = self.masques.cellules, self.masques.totaux_colonnes
        if self.par is not None:
            eff = np.column_stack([eff, eff.sum(axis=1)])
            est = np.column_stack([est, est.sum(axis=1)])
            tot = np.append(tot, tot.sum())
            totp = np.append(totp, totp.sum())
            neff = np.append(neff, self._n_eff_ensemble)
            m_c = np.column_stack([m_c, self.masques.totaux_lignes])
            m_t = np.append(m_t, self.masques.total)
        # A column whose total is secret is secret as a whole (its shares would give it back).
        m_c = m_c | m_t[None, :]
        return eff, tot, est, totp, neff, m_c, m_t

    _n_eff_ensemble: float = 0.0

    def publie(self) -> pd.DataFrame:
        """Long table: modalite, groupe, effectif, part, ic_bas, ic_haut, secret (NaN when secret)."""
        eff, tot, est, totp, neff, m_c, m_t = self._completer()
        groupes = self.colonnes
        with np.errstate(divide="ignore", invalid="ignore"):
            parts = est / totp[None, :]
        bas, haut = wilson(parts, np.broadcast_to(neff[None, :], parts.shape))
        lignes = []
        for r, mod in enumerate(self.modalites):
            for c, g in enumerate(groupes):
                s = bool(m_c[r, c])
                lignes.append({"modalite": mod, "groupe": g, "effectif": np.nan if s else float(eff[r, c]),
                               "part": np.nan if s else float(parts[r, c]),
                               "ic_bas": np.nan if s else float(bas[r, c]),
                               "ic_haut": np.nan if s else float(haut[r, c]), "secret": s})
        for c, g in enumerate(groupes):
            s = bool(m_t[c])
            lignes.append({"modalite": "Répondants", "groupe": g, "effectif": np.nan if s else float(tot[c]),
                           "part": np.nan, "ic_bas": np.nan, "ic_haut": np.nan, "secret": s})
        return pd.DataFrame(lignes)

    def tableau_affichage(self, avec_ic: bool = True) -> pd.DataFrame:
        """Formatted (French) table: "s" where secret."""
        p = self.publie()
        if self.par is None:
            t = p[p["modalite"] != "Répondants"]
            sortie = pd.DataFrame({"Réponse": t["modalite"].values})
            sortie["Répondants"] = [fm.nombre(v, secret=s) for v, s in zip(t["effectif"], t["secret"])]
            sortie["Part pondérée" if self.pondere else "Part"] = [
                fm.pourcentage(v, secret=s) for v, s in zip(t["part"], t["secret"])]
            if avec_ic:
                sortie["Intervalle de confiance à 95 %"] = [
                    fm.manquant(s) if s else f"{fm.pourcentage(b, 0)} à {fm.pourcentage(h, 0)}"
                    for b, h, s in zip(t["ic_bas"], t["ic_haut"], t["secret"])]
            n = p[p["modalite"] == "Répondants"].iloc[0]
            total = {"Réponse": "Répondants à la question", "Répondants": fm.nombre(n["effectif"], secret=n["secret"])}
            sortie = pd.concat([sortie, pd.DataFrame([total])], ignore_index=True).fillna("")
            return sortie
        large = p.pivot(index="modalite", columns="groupe", values="part").reindex(index=self.modalites,
                                                                                  columns=self.colonnes)
        secrets = p.pivot(index="modalite", columns="groupe", values="secret").reindex(index=self.modalites,
                                                                                     columns=self.colonnes)
        sortie = pd.DataFrame({"Réponse": self.modalites})
        for g in self.colonnes:
            sortie[g] = [fm.pourcentage(v, 0, secret=bool(s)) for v, s in zip(large[g], secrets[g])]
        n = p[p["modalite"] == "Répondants"].set_index("groupe")
        ligne = {"Réponse": "Répondants (n)"}
        ligne.update({g: fm.nombre(n.loc[g, "effectif"], secret=bool(n.loc[g, "secret"])) for g in self.colonnes})
        return pd.concat([sortie, pd.DataFrame([ligne])], ignore_index=True)


def _indicatrices(enquete: Enquete, q: Question) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(answered: n, chosen: n x R, labels) for a question with answer options."""
    r = enquete.reponses
    if q.type == "multiple":
        repondu = r[q.cle].to_numpy(dtype=bool)
        choix = np.column_stack([r[f"{q.cle}[{m.code}]"].to_numpy(dtype=bool) for m in q.modalites])
        return repondu, choix, q.libelles
    if q.type == "commune":
        serie, groupes = enquete.groupes_communes(q.cle)
        repondu = serie.notna().to_numpy()
        choix = np.column_stack([(serie == g).to_numpy(dtype=bool) for g in groupes]) if groupes else np.zeros((len(r), 0), bool)
        return repondu, choix, groupes
    serie = r[q.cle].astype(object)
    repondu = serie.notna().to_numpy()
    choix = np.column_stack([(serie == lib).to_numpy(dtype=bool) for lib in q.libelles])
    return repondu, choix, q.libelles


def tabuler(enquete: Enquete, cle: str, par: str | None = None, regrouper_communes: bool = True) -> Tableau:
    """Counts and shares of a question, overall or crossed by `par` (sexe, tranche_age, commune),
    weighted when the survey carries weights, protected by the survey's threshold."""
    q = enquete.questionnaire.question(cle)
    repondu, choix, modalites = _indicatrices(enquete, q)
    w = enquete.w()
    if par is None:
        groupes, dans = [ENSEMBLE], [repondu]
    else:
        if par == "commune":
            qc = enquete.questionnaire.par_type("commune")
            serie, groupes = enquete.groupes_communes(qc.cle, regrouper=regrouper_communes)
        else:
            serie, groupes = enquete.variable_croisement(par)
        dans = [repondu & (serie == g).to_numpy(dtype=bool) for g in groupes]
    R, C = len(modalites), len(groupes)
    eff = np.zeros((R, C))
    est = np.zeros((R, C))
    tot, totp, neff = np.zeros(C), np.zeros(C), np.zeros(C)
    for c, sel in enumerate(dans):
        eff[:, c] = choix[sel].sum(axis=0) if R else 0
        est[:, c] = (choix[sel] * w[sel, None]).sum(axis=0) if R else 0
        tot[c] = sel.sum()
        totp[c] = w[sel].sum()
        neff[c] = taille_effective(w[sel]) if sel.any() else 0.0
    additive = q.type != "multiple"
    masques = supprimer(eff, tot, enquete.seuil, totaux_lignes=par is not None, colonnes_additives=additive)
    t = Tableau(q, par, modalites, groupes, eff, tot, masques, est, totp, neff,
                pondere=enquete.poids is not None, seuil=enquete.seuil,
                colonnes=groupes + ([ENSEMBLE] if par is not None else []))
    if par is not None:
        tous = np.any(dans, axis=0) if dans else np.zeros(enquete.n, bool)
        t._n_eff_ensemble = taille_effective(w[tous]) if tous.any() else 0.0
    return t


def indicateurs_communes(enquete: Enquete, cles: list[str] | None = None, millesime: int | None = None) -> pd.DataFrame:
    """Survey shares per commune, tidy (codgeo, niveau, variable, millesime, valeur, secret), for the
    observation ciblée: variable ``enquete_<question>_<code>``; secret cells are NaN with secret=True.
    Communes are not grouped here: a commune with few respondents is simply secret."""
    qc = enquete.questionnaire.par_type("commune")
    if qc is None:
        return pd.DataFrame(columns=["codgeo", "niveau", "variable", "millesime", "valeur", "secret"])
    noms = dict(zip(enquete.communes["nom"], enquete.communes["code"]))
    lignes = []
    questions = [enquete.questionnaire.question(c) for c in cles] if cles else [
        q for q in enquete.questionnaire.questions if q.type in ("unique", "multiple", "echelle")]
    for q in questions:
        t = tabuler(enquete, q.cle, par="commune", regrouper_communes=False)
        p = t.publie()
        p = p[p["modalite"] != "Répondants"]
        codes = {m.libelle: m.code for m in q.modalites}
        for _, l in p.iterrows():
            if l["groupe"] == ENSEMBLE:
                codgeo, niveau = "territoire", "territoire"
            elif l["groupe"] in noms:
                codgeo, niveau = noms[l["groupe"]], "commune"
            else:
                continue
            lignes.append({"codgeo": codgeo, "niveau": niveau, "variable": f"enquete_{q.cle}_{codes[l['modalite']]}",
                           "millesime": millesime, "valeur": l["part"], "secret": bool(l["secret"])})
    return pd.DataFrame(lignes)
