"""The plan d'action: fiches actions written by the consultant in the study's ``plan_action.yaml``
after the workshops, validated by its model (configuration/etude_modeles.FichierPlanAction) with
French errors that name the line, the fiche and the field.

Format (see the commented example shipped with each study)::

    fiches:
      - titre: ...                     # required, text
        objectif: ...                  # required, text
        public: ...                    # required, text
        porteur: ...                   # required, text
        partenaires: [..., ...]        # optional, list of texts
        calendrier: ...                # required, text ("2025-2026", "1er semestre 2025"...)
        indicateurs_de_suivi: [...]    # required, non-empty list of texts
        constats_lies:                 # required, non-empty list; each item is a text or
          - chapitre: demographie      #   {chapitre: <clé du chapitre>, constat: <texte>}
            constat: ...
        priorite: haute                # optional: haute, moyenne, basse

Every field is plain text, never markup: the deliverables show it as written, escaped by the
templates (Jinja autoescape, as :func:`assainir.texte`), in the report's annex, plan-action.html and
plan-action.pdf alike. « <b> » in a field prints « <b> »; no field can carry a script or a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial.chapitres.plan import CHAPITRES

NOM_FICHIER = "plan_action.yaml"

PRIORITES = ("haute", "moyenne", "basse")
LIBELLES = {
    "titre": "Titre",
    "objectif": "Objectif",
    "public": "Public visé",
    "porteur": "Porteur",
    "partenaires": "Partenaires",
    "calendrier": "Calendrier",
    "indicateurs_de_suivi": "Indicateurs de suivi",
    "constats_lies": "Constats du diagnostic",
    "priorite": "Priorité",
    "budget": "Budget",
    "description": "Description",
}


class PlanActionInvalide(ErreurDiagnostic):
    """plan_action.yaml cannot be read or a fiche is incomplete: every problem is listed."""

    def __init__(self, fichier: Path, problemes: list[str]):
        self.fichier = Path(fichier)
        self.problemes = list(problemes)
        liste = "\n".join(f"  - {p}" for p in self.problemes)
        super().__init__(f"Le plan d'action « {self.fichier} » est à corriger "
                         f"({len(self.problemes)} problème(s)) :\n{liste}")

    @classmethod
    def depuis_problemes(cls, fichier, problemes: list) -> PlanActionInvalide:
        """From the loader's problems (config_yaml.erreur_de): « ligne 5, fiche 1 « Accueil », champ
        « public » : ... », without the file's path, that the report's annex may show."""
        return cls(fichier, [str(p) for p in problemes])


@dataclass
class Constat:
    texte: str
    chapitre: str | None = None  # chapter key
    chapitre_titre: str | None = None
    chapitre_numero: int | None = None


@dataclass
class FicheAction:
    numero: int
    titre: str
    objectif: str
    public: str
    porteur: str
    calendrier: str
    indicateurs_de_suivi: list[str]
    constats_lies: list[Constat]
    partenaires: list[str] = field(default_factory=list)
    priorite: str | None = None
    budget: str | None = None
    description: str | None = None
    ligne: int | None = None


@dataclass
class PlanAction:
    fichier: Path
    fiches: list[FicheAction]
    titre: str = "Plan d'action"
    introduction: str = ""


def charger(chemin: Path) -> PlanAction:
    """Read and validate plan_action.yaml (etude_modeles.FichierPlanAction); raise
    PlanActionInvalide listing every problem (line, fiche, field)."""
    from diagnostic_territorial.configuration import chargement as config_yaml
    from diagnostic_territorial.configuration.etude_modeles import ENTREES_PLAN_ACTION, FichierPlanAction

    chemin = Path(chemin)
    if not chemin.is_file():
        raise PlanActionInvalide(chemin, [
            "fichier absent : copiez l'exemple fourni avec le modèle d'étude (plan_action.yaml) et remplissez "
            "une fiche par action retenue en atelier"])
    document = config_yaml.lire(chemin, erreur=PlanActionInvalide)
    chapitres = {c.cle: (i, c.titre) for i, c in enumerate(CHAPITRES, start=1)}
    fichier = config_yaml.charger(chemin, FichierPlanAction, PlanActionInvalide, entrees=ENTREES_PLAN_ACTION,
                                  contexte={"chapitres": list(chapitres), "priorites": PRIORITES}, vide_permis=True,
                                  document=document)
    fiches = [FicheAction(
        numero=i, titre=f.titre, objectif=f.objectif, public=f.public, porteur=f.porteur, calendrier=f.calendrier,
        indicateurs_de_suivi=list(f.indicateurs_de_suivi),
        constats_lies=[Constat(c.constat.strip(), c.chapitre, *(chapitres[c.chapitre][::-1] if c.chapitre else (None, None)))
                       for c in f.constats_lies],
        partenaires=list(f.partenaires), priorite=f.priorite, budget=f.budget, description=f.description,
        ligne=document.ligne("fiches", i - 1),
    ) for i, f in enumerate(fichier.fiches, start=1)]
    return PlanAction(chemin, fiches, titre=fichier.titre or "Plan d'action", introduction=fichier.introduction or "")


# The example the template's hook writes (hooks_modele.ecrire_plan_action_exemple) carries, in a
# comment line, the fingerprint of its data: while the data is unchanged, the plan is the template's
# example and the client reads it marked « Exemple ». Any edit of a field (not of a comment) makes it
# the consultant's plan.
MARQUE_EXEMPLE = "# empreinte de l'exemple :"


def empreinte_plan(donnees) -> str:
    """sha256 of a plan's data (the YAML as loaded: comments and layout do not count)."""
    import hashlib
    import json

    texte = json.dumps(donnees, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(texte.encode("utf-8")).hexdigest()


def est_exemple(chemin: Path) -> bool:
    """True while plan_action.yaml is the example written at the study's generation, unmodified."""
    import yaml

    try:
        texte = Path(chemin).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return False
    marques = [l[len(MARQUE_EXEMPLE):].strip() for l in texte.splitlines() if l.startswith(MARQUE_EXEMPLE)]
    if not marques:
        return False
    try:
        donnees = yaml.safe_load(texte)
    except yaml.YAMLError:
        return False
    return marques[0] == empreinte_plan(donnees)


def plan_action(etude) -> tuple[Path, Path]:
    """plan-action.html and plan-action.pdf; raises PlanActionInvalide (French, line numbers)."""
    from diagnostic_territorial.ecriture import ecrire_texte
    from diagnostic_territorial.livrables.commun import _jinja, _meta, html_en_pdf

    chemin = Path(etude.racine) / "plan_action.yaml"
    plan = charger(chemin)
    contenu = _jinja().get_template("plan_action.html.j2").render(m=_meta(etude), plan=plan,
                                                                  exemple=est_exemple(chemin))
    dossier = Path(etude.dossier_livrables)
    sortie = dossier / "plan-action.html"
    ecrire_texte(sortie, contenu)
    return sortie, html_en_pdf(contenu, dossier / "plan-action.pdf", dossier)

