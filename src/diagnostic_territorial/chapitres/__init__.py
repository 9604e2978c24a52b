"""Chapter logic called by the notebooks (the notebooks stay thin: parameters, calls, analysis)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path



def ouvrir_etude(etude_yaml: str):
    """Load the study and set the common chart style (first cell of every notebook)."""
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.configuration.etude import Etude

    etude = Etude.charger(etude_yaml)
    graphiques.appliquer_style()
    return etude


# --- The end of each chapter: the consultant's analysis, or a proposed synthesis ------------------

# Lines of analyses/<chapitre>.md read as instructions (alone on their line, any case):
MARQUEUR_PROPOSITION = "[proposition]"  # insert the proposed synthesis here (it is then reviewed)
MARQUEUR_SANS_COMMENTAIRES = "[sans commentaires]"  # no comment written from the figures in the sections


@dataclass(frozen=True)
class AnalyseConsultant:
    """What the consultant wrote in analyses/<chapitre>.md (the writing guide, an HTML comment, is
    not text). `ecrite`: anything written, markers included: the chapter has been reviewed, its
    sections' comments are no longer proposals."""

    texte: str
    reprend_proposition: bool = False
    sans_commentaires: bool = False

    @property
    def ecrite(self) -> bool:
        return bool(self.texte.strip()) or self.reprend_proposition or self.sans_commentaires

    def morceaux(self) -> list[str | None]:
        """The text split at each MARQUEUR_PROPOSITION line (None marks where the proposal goes);
        MARQUEUR_SANS_COMMENTAIRES lines are left out."""
        morceaux: list[str | None] = []
        tampon: list[str] = []
        for ligne in self.texte.splitlines():
            marque = ligne.strip().lower()
            if marque == MARQUEUR_PROPOSITION:
                morceaux += ["\n".join(tampon), None]
                tampon = []
            elif marque != MARQUEUR_SANS_COMMENTAIRES:
                tampon.append(ligne)
        morceaux.append("\n".join(tampon))
        return [m for m in morceaux if m is None or m.strip()]


def lire_analyse(etude, cle: str) -> AnalyseConsultant:
    """analyses/<cle>.md as the consultant left it (read only, never written)."""
    from diagnostic_territorial.rendu import presentation

    texte = presentation.texte_analyse(Path(etude.dossier_analyses) / f"{cle}.md")
    marques = {ligne.strip().lower() for ligne in texte.splitlines()}
    return AnalyseConsultant(texte, MARQUEUR_PROPOSITION in marques, MARQUEUR_SANS_COMMENTAIRES in marques)


def proposition_de_synthese(etude, cle: str) -> list[str]:
    """The proposed synthesis of a chapter (paragraphs, plain text) from what it recorded in
    build/resultats/ (for « synthese »: what every other chapter recorded)."""
    from diagnostic_territorial.chapitres import redaction, resultats

    if cle == "synthese":
        autres = {c: r for c, r in resultats.lire_tous(etude).items() if c != cle}
        paragraphes = redaction.synthese_generale(autres)
    else:
        paragraphes = redaction.synthese_chapitre(resultats.lire(etude, cle) or {})
    return paragraphes or ["Les chiffres de ce chapitre ne sont pas encore disponibles : sa synthèse sera "
                           "proposée quand ses données seront intégrées."]


def analyse(etude, cle: str):
    """The end of a chapter. When the consultant wrote analyses/<cle>.md, his text (read only,
    never written; a line « [proposition] » inserts the proposed synthesis there). Otherwise a
    proposed synthesis written from the chapter's figures, shown as a « Proposition de rédaction ».
    What was shown is recorded in build/resultats/<cle>.json (``analyse``, ``propositions``)."""
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.rendu import presentation

    consultant = lire_analyse(etude, cle)
    if consultant.ecrite:
        morceaux = consultant.morceaux()
        proposition = proposition_de_synthese(etude, cle) if None in morceaux else []
        resultats.enregistrer_analyse(etude, cle, "consultant")
        return presentation.analyse_consultant([proposition if m is None else m for m in morceaux])
    paragraphes = proposition_de_synthese(etude, cle)
    resultats.enregistrer_analyse(etude, cle, "proposition", "\n\n".join(paragraphes))
    return presentation.proposition(paragraphes)


# --- large territories (a whole département): readable tables -------------------------------

SEUIL_COMMUNES = 60  # above this number of communes, tables show the extremes only
N_EXTREMES = 10


def extremes(valeurs, n: int = N_EXTREMES) -> tuple[list, list]:
    """The index labels of the `n` highest and the `n` lowest published values, highest first in
    each list, each commune once. Only published values count (a secret or missing commune is
    neither among the highest nor the lowest); with `2 n` published values or fewer, all of them
    are in the first list and the second is empty (nothing to leave out, nothing shown twice)."""
    import pandas as pd

    serie = pd.to_numeric(pd.Series(valeurs), errors="coerce").astype(float)
    publiees = serie.dropna().sort_values(ascending=False, kind="stable")
    if len(publiees) <= 2 * n:
        return list(publiees.index), []
    return list(publiees.index[:n]), list(publiees.index[len(publiees) - n:])


def reduire_communes(table, niveaux, valeurs, haut: str, bas: str, n: int = N_EXTREMES,
                     seuil: int = SEUIL_COMMUNES):
    """A readable table for a territory with many communes.

    `table` is the display table, its rows aligned (by position) with `niveaux` (``commune``,
    ``territoire``, ``departement``...) and `valeurs` (the table's key figure). Up to `seuil`
    communes the table is returned as is. Beyond, it keeps the territory and reference rows, then
    a row `haut` (e.g. « Les 10 communes les plus peuplées ») and those communes, a row saying how
    many communes are not shown, a row `bas` and the `n` communes with the lowest values. Only the
    communes with a published value are ranked (:func:`extremes`): those without one (secret,
    absent) are counted among those not shown, and when `2 n` communes or fewer have a value, they
    are all listed, once, highest first."""
    import pandas as pd

    table = table.reset_index(drop=True)
    niveaux = pd.Series(list(niveaux))
    valeurs = pd.to_numeric(pd.Series(list(valeurs), dtype="object"), errors="coerce").astype(float)
    est_commune = (niveaux == "commune").to_numpy()
    n_communes = int(est_commune.sum())
    if n_communes <= seuil:
        return table
    communes = valeurs[est_commune]
    premiers, derniers = extremes(communes, n)
    sans_valeur = int(communes.isna().sum())
    caches = n_communes - len(premiers) - len(derniers)
    premiere_colonne = table.columns[0]

    def ligne(texte: str) -> pd.DataFrame:
        vide = {c: "" for c in table.columns}
        vide[premiere_colonne] = texte
        return pd.DataFrame([vide])

    dont = f", dont {sans_valeur} sans valeur publiée" if sans_valeur and sans_valeur < caches else ""
    non_affichees = (f"… {caches} communes sans valeur publiée (secret statistique ou non disponible), "
                     f"non affichées (sur {n_communes}) …" if caches and caches == sans_valeur else
                     f"… {caches} autres communes non affichées (sur {n_communes}){dont} …")
    morceaux = [table[~est_commune]]
    if not derniers:  # every published value fits: one list, highest first
        morceaux += [ligne(f"Les {len(premiers)} communes dont la valeur est publiée, de la plus élevée "
                           "à la plus faible :"), table.loc[premiers]]
        if caches:
            morceaux.append(ligne(non_affichees))
        return pd.concat(morceaux, ignore_index=True)
    morceaux += [ligne(haut), table.loc[premiers]]
    if caches:
        morceaux.append(ligne(non_affichees))
    morceaux += [ligne(bas), table.loc[derniers]]
    return pd.concat(morceaux, ignore_index=True)
