"""The plan d'action: fiches actions written by the consultant in the study's ``plan_action.yaml``
after the workshops, validated with French errors that name the fiche, the field and the line.

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

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from diagnostic_territorial.erreurs import ErreurDiagnostic
from diagnostic_territorial.chapitres.plan import CHAPITRES

NOM_FICHIER = "plan_action.yaml"

CHAMPS_TEXTE_REQUIS = ("titre", "objectif", "public", "porteur", "calendrier")
CHAMPS_LISTE_REQUIS = ("indicateurs_de_suivi", "constats_lies")
CHAMPS_OPTIONNELS = ("partenaires", "priorite", "budget", "description")
CHAMPS = CHAMPS_TEXTE_REQUIS + CHAMPS_LISTE_REQUIS + CHAMPS_OPTIONNELS
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


def _ligne(noeud) -> int | None:
    return noeud.start_mark.line + 1 if noeud is not None and getattr(noeud, "start_mark", None) else None


def _cle(noeud_mapping, cle: str):
    """The value node of `cle` in a yaml MappingNode (for line numbers), or None."""
    import yaml

    if not isinstance(noeud_mapping, yaml.MappingNode):
        return None
    for k, v in noeud_mapping.value:
        if getattr(k, "value", None) == cle:
            return v
    return None


def _texte(valeur) -> str | None:
    if isinstance(valeur, bool) or valeur is None:
        return None
    if isinstance(valeur, (str, int, float)):
        texte = str(valeur).strip()
        return texte or None
    return None


def charger(chemin: Path) -> PlanAction:
    """Read and validate plan_action.yaml; raise PlanActionInvalide listing every problem."""
    import yaml

    chemin = Path(chemin)
    if not chemin.is_file():
        raise PlanActionInvalide(chemin, [
            "fichier absent : copiez l'exemple fourni avec le modèle d'étude (plan_action.yaml) et remplissez "
            "une fiche par action retenue en atelier"])
    try:
        texte = chemin.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise PlanActionInvalide(chemin, [f"le fichier n'est pas encodé en UTF-8 (octet {e.start}) : "
                                          "enregistrez-le en UTF-8"]) from None
    try:
        donnees = yaml.safe_load(texte)
        racine = yaml.compose(texte)
    except yaml.YAMLError as e:
        marque = getattr(e, "problem_mark", None)
        ou = f"ligne {marque.line + 1}, colonne {marque.column + 1} : " if marque else ""
        probleme = getattr(e, "problem", None) or str(e)
        raise PlanActionInvalide(chemin, [f"{ou}syntaxe YAML invalide ({probleme}). Vérifiez l'indentation "
                                          "(espaces, pas de tabulations) et les deux-points"]) from None
    if donnees is None:
        donnees = {}
    if not isinstance(donnees, dict) or "fiches" not in donnees:
        raise PlanActionInvalide(chemin, ["le fichier doit contenir une clé « fiches : » suivie de la liste "
                                          "des fiches actions (chacune commence par « - titre: ... »)"])
    fiches_brutes = donnees.get("fiches") or []
    noeud_fiches = _cle(racine, "fiches")
    if not isinstance(fiches_brutes, list):
        raise PlanActionInvalide(chemin, [f"ligne {_ligne(noeud_fiches)} : « fiches » doit être une liste "
                                          "(chaque fiche commence par un tiret « - »)"])
    cles_chapitres = {c.cle: (i, c.titre) for i, c in enumerate(CHAPITRES, start=1)}
    problemes: list[str] = []
    fiches: list[FicheAction] = []
    for i, brute in enumerate(fiches_brutes, start=1):
        noeud = noeud_fiches.value[i - 1] if noeud_fiches is not None else None
        ligne_fiche = _ligne(noeud)
        if not isinstance(brute, dict):
            problemes.append(f"ligne {ligne_fiche} : fiche {i} : une fiche est une suite de champs "
                             "« nom: valeur » (titre, objectif, public...)")
            continue
        nom = _texte(brute.get("titre"))
        qui = f"fiche {i}" + (f" « {nom} »" if nom else "")

        def signaler(champ: str, message: str, _noeud=noeud, _qui=qui, _ligne_fiche=ligne_fiche):
            ligne = _ligne(_cle(_noeud, champ)) or _ligne_fiche
            problemes.append(f"ligne {ligne} : {_qui}, champ « {champ} » : {message}")

        for champ in brute:
            if champ not in CHAMPS:
                proche = difflib.get_close_matches(str(champ), CHAMPS, n=1)
                suggestion = f" (vouliez-vous dire « {proche[0]} » ?)" if proche else ""
                ligne = _ligne(_cle(noeud, champ)) or ligne_fiche
                problemes.append(f"ligne {ligne} : {qui} : champ inconnu « {champ} »{suggestion} ; champs "
                                 f"possibles : {', '.join(CHAMPS)}")
        valeurs: dict = {}
        for champ in CHAMPS_TEXTE_REQUIS:
            if champ not in brute or brute[champ] is None or (isinstance(brute[champ], str)
                                                                 and not brute[champ].strip()):
                problemes.append(f"ligne {ligne_fiche} : {qui} : champ « {champ} » manquant ou vide")
                continue
            texte = _texte(brute[champ])
            if texte is None:
                signaler(champ, "un texte est attendu (pas une liste)")
            valeurs[champ] = texte
        for champ in ("indicateurs_de_suivi", "partenaires"):
            v = brute.get(champ)
            if v is None:
                if champ == "indicateurs_de_suivi":
                    problemes.append(f"ligne {ligne_fiche} : {qui} : champ « {champ} » manquant "
                                     "(au moins un indicateur pour suivre l'action)")
                valeurs[champ] = []
                continue
            if isinstance(v, str):
                v = [v]
            if not isinstance(v, list) or not all(_texte(x) for x in v):
                signaler(champ, "une liste de textes est attendue (une ligne « - ... » par élément)")
                valeurs[champ] = []
                continue
            if champ == "indicateurs_de_suivi" and not v:
                signaler(champ, "la liste est vide : indiquez au moins un indicateur de suivi")
            valeurs[champ] = [_texte(x) for x in v]
        constats: list[Constat] = []
        v = brute.get("constats_lies")
        if v is None or v == []:
            problemes.append(f"ligne {ligne_fiche} : {qui} : champ « constats_lies » manquant ou vide "
                             "(le ou les constats du diagnostic qui justifient l'action)")
        else:
            if not isinstance(v, list):
                v = [v]
            for item in v:
                if isinstance(item, dict):
                    cle = item.get("chapitre")
                    texte = _texte(item.get("constat")) or ""
                    if cle is not None and str(cle) not in cles_chapitres:
                        proche = difflib.get_close_matches(str(cle), list(cles_chapitres), n=1)
                        suggestion = f" (vouliez-vous dire « {proche[0]} » ?)" if proche else ""
                        signaler("constats_lies", f"chapitre inconnu « {cle} »{suggestion} ; chapitres : "
                                                  f"{', '.join(cles_chapitres)}")
                        continue
                    if cle is None and not texte:
                        signaler("constats_lies", "chaque constat a un « chapitre » et/ou un « constat »")
                        continue
                    numero, titre = cles_chapitres.get(str(cle), (None, None)) if cle is not None else (None, None)
                    constats.append(Constat(texte, str(cle) if cle is not None else None, titre, numero))
                elif _texte(item):
                    constats.append(Constat(_texte(item)))
                else:
                    signaler("constats_lies", "chaque constat est un texte ou « chapitre: <clé> » + "
                                              "« constat: <texte> »")
        priorite = brute.get("priorite")
        if priorite is not None and str(priorite).strip().lower() not in PRIORITES:
            signaler("priorite", f"« {priorite} » : valeurs possibles : {', '.join(PRIORITES)}")
            priorite = None
        fiches.append(FicheAction(
            numero=i,
            titre=valeurs.get("titre") or "",
            objectif=valeurs.get("objectif") or "",
            public=valeurs.get("public") or "",
            porteur=valeurs.get("porteur") or "",
            calendrier=valeurs.get("calendrier") or "",
            indicateurs_de_suivi=valeurs.get("indicateurs_de_suivi", []),
            constats_lies=constats,
            partenaires=valeurs.get("partenaires", []),
            priorite=str(priorite).strip().lower() if priorite else None,
            budget=_texte(brute.get("budget")),
            description=_texte(brute.get("description")),
            ligne=ligne_fiche,
        ))
    if not fiches_brutes:
        problemes.append(f"ligne {_ligne(noeud_fiches) or 1} : aucune fiche action : ajoutez au moins une "
                         "fiche sous « fiches: »")
    if problemes:
        raise PlanActionInvalide(chemin, problemes)
    return PlanAction(chemin, fiches, titre=_texte(donnees.get("titre")) or "Plan d'action",
                      introduction=_texte(donnees.get("introduction")) or "")


def plan_action(etude) -> tuple[Path, Path]:
    """plan-action.html and plan-action.pdf; raises PlanActionInvalide (French, line numbers)."""
    from diagnostic_territorial.ecriture import ecrire_texte
    from diagnostic_territorial.livrables.commun import _jinja, _meta, html_en_pdf

    plan = charger(Path(etude.racine) / "plan_action.yaml")
    contenu = _jinja().get_template("plan_action.html.j2").render(m=_meta(etude), plan=plan)
    dossier = Path(etude.dossier_livrables)
    sortie = dossier / "plan-action.html"
    ecrire_texte(sortie, contenu)
    return sortie, html_en_pdf(contenu, dossier / "plan-action.pdf", dossier)

