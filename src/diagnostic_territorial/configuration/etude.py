"""A study's configuration (etude.yaml), written by the cookiecutter post-generation hook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from diagnostic_territorial.configuration import chargement as config_yaml
from diagnostic_territorial.configuration.etude_modeles import CADRES
from diagnostic_territorial.ecriture import ecrire_texte
from diagnostic_territorial.erreurs import EtudeInvalide

# Millésimes the readers know (base communales, then Melodi for the RP 2023; Filosofi files, then
# Melodi for Filosofi 2023). « dernier » asks for the latest held by the files of data/brut/.
PLAGES_MILLESIMES = {
    "rp": (2016, 2023),
    "filosofi": (2014, 2023),
}
DERNIER = "dernier"
# Defaults of a new study: the latest recensement, the latest of every other source.
MILLESIMES_PAR_DEFAUT = {
    "rp": 2023,
    "filosofi": DERNIER,
    "populations_legales": DERNIER,
    "bpe": DERNIER,
    "caf_communes": DERNIER,
    "caf_txcouv_pe": DERNIER,
    "france_travail": DERNIER,
}
# The previous millésimes (RP N-6 inside the same file, Filosofi N-3...) are decided by
# donnees.PRECEDENTS, with the files actually provided.


def verifier_millesime(cle: str, valeur) -> int | str:
    """A year within the known range, or « dernier » (the latest held by the files provided)."""
    debut, fin = PLAGES_MILLESIMES[cle]
    libelle = {"rp": "du recensement (RP)", "filosofi": "de Filosofi"}[cle]
    if isinstance(valeur, str) and valeur.strip().lower() == DERNIER:
        return DERNIER
    try:
        annee = int(str(valeur).strip())
    except ValueError:
        raise EtudeInvalide(
            f"Millésime {libelle} invalide : « {valeur} » n'est pas une année (valeurs possibles : {debut} à {fin}, "
            "ou « dernier »)."
        ) from None
    if not debut <= annee <= fin:
        raise EtudeInvalide(
            f"Millésime {libelle} hors plage : {annee} (valeurs possibles : {debut} à {fin})."
        )
    return annee


@dataclass
class Etude:
    racine: Path
    nom_territoire: str
    slug: str
    type_territoire: str
    code_territoire: str
    communes: "object"  # pandas.DataFrame: code, nom, departement, region, epci
    departement: tuple[str, str]
    region: tuple[str, str]
    epci: list[tuple[str, str]]
    millesimes: dict  # resolved years (« dernier » replaced by the year of the files provided)
    consultant: str = ""
    titre: str = "Diagnostic social de territoire"
    sous_titre: str = ""
    # etude.cadre: « ctg », « abs » or « dst » (etude_modeles.CADRES); a study written before the
    # field gets the frame its subtitle names (cadre_du_sous_titre), else « ctg ».
    cadre: str = "ctg"
    geographie: int = 2022
    # Thématiques spécifiques retained (plan.THEMATIQUES_SPECIFIQUES keys); None: etude.yaml is
    # silent (a study generated before the question existed) and every thématique is shown.
    thematiques: list[str] | None = None
    # etude.version_finale: the consultant declares the report final (no « Document de travail »
    # once every proposal has been reviewed, see livrables/rapport.py).
    version_finale: bool = False
    brut: dict = field(default_factory=dict)
    millesimes_demandes: dict = field(default_factory=dict)  # as written in etude.yaml
    explications_millesimes: dict = field(default_factory=dict)  # how « dernier » was resolved
    # Every reference département / région (code, nom), the main one (`departement`, `region`)
    # first: a territory across a boundary is compared with each of them.
    departements: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)
    workers: int = 0  # execution.workers: notebooks run at the same time (0 = number of cores)
    # etude.yaml as read (lines of its keys, for messages); None when built in memory.
    document: config_yaml.DocumentYaml | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.departements = _avec_principal(self.departement, self.departements)
        self.regions = _avec_principal(self.region, self.regions)

    @property
    def chemin(self) -> Path:
        return self.racine / "etude.yaml"

    @property
    def dossier_brut(self) -> Path:
        return self.racine / "data" / "brut"

    @property
    def dossier_cache(self) -> Path:
        return self.racine / "data" / "cache"

    @property
    def dossier_build(self) -> Path:
        return self.racine / "build"

    @property
    def dossier_livrables(self) -> Path:
        return self.racine / "livrables"

    @property
    def dossier_analyses(self) -> Path:
        return self.racine / "analyses"

    @property
    def dossier_notebooks(self) -> Path:
        return self.racine / "notebooks"

    def codes_communes(self) -> list[str]:
        return list(self.communes["code"])

    @classmethod
    def charger(cls, chemin) -> "Etude":
        """etude.yaml read and validated by its model (etude_modeles.FichierEtude: every section,
        the survey's settings included, one French line per problem naming the file, the line and
        the field), its millésimes resolved against data/brut/."""
        import pandas as pd

        from diagnostic_territorial.configuration.etude_modeles import FichierEtude
        from diagnostic_territorial.sources.preparation import millesimes_etude

        chemin = Path(chemin).resolve()
        if chemin.is_dir():
            chemin = chemin / "etude.yaml"
        if not chemin.exists():
            raise EtudeInvalide(
                f"Fichier d'étude introuvable : {chemin}. Lancez la commande depuis le dossier de l'étude "
                "(celui qui contient etude.yaml)."
            )
        doc = config_yaml.lire(chemin, erreur=EtudeInvalide)
        fichier = config_yaml.charger(chemin, FichierEtude, EtudeInvalide, contexte=contexte_etude(), document=doc)
        ter, et = fichier.territoire, fichier.etude
        df = pd.DataFrame([{"code": c.code, "nom": c.nom, "departement": c.departement, "region": c.region,
                            "epci": c.epci} for c in ter.communes], columns=["code", "nom", "departement", "region",
                                                                             "epci"])
        demandes = {str(cle): valeur for cle, valeur in fichier.millesimes.items()}
        resolution = millesimes_etude(chemin.parent, demandes)
        etude = cls(
            racine=chemin.parent,
            nom_territoire=ter.nom,
            slug=et.slug or chemin.parent.name,
            type_territoire=ter.type,
            code_territoire=ter.code,
            communes=df,
            departement=(ter.departement.code, ter.departement.nom),
            region=(ter.region.code, ter.region.nom),
            departements=_liste_references(ter.departements, "departements", df["departement"]),
            regions=_liste_references(ter.regions, "regions", df["region"]),
            epci=[(e.code, e.nom) for e in ter.epci],
            millesimes=resolution.millesimes,
            consultant=et.consultant,
            titre=et.titre or "Diagnostic social de territoire",
            sous_titre=et.sous_titre,
            cadre=et.cadre or cadre_du_sous_titre(et.sous_titre),
            geographie=ter.geographie or 2022,
            thematiques=list(et.thematiques) if "thematiques" in et.model_fields_set else None,
            version_finale=et.version_finale is True,
            brut=doc.donnees,
        )
        etude.millesimes_demandes = demandes
        etude.explications_millesimes = resolution.explications
        etude.document = doc
        etude.workers = (fichier.execution.workers if fichier.execution else None) or 0
        return etude


def cadre_du_sous_titre(sous_titre: str) -> str:
    """The frame of a study whose etude.yaml has no « cadre » (generated before the field), read in
    the subtitle the generation wrote (libelle_cadre: « … (ABS) », « … (CTG) », « Diagnostic social
    de territoire »); « ctg » when the subtitle names none (the template's default answer)."""
    texte = " ".join(str(sous_titre or "").split()).casefold()
    if "(abs)" in texte or "besoins sociaux" in texte:
        return "abs"
    if "(ctg)" in texte or "convention territoriale" in texte:
        return "ctg"
    if "diagnostic social de territoire" in texte:
        return "dst"
    return "ctg"


def contexte_etude() -> dict:
    """What etude.yaml is checked against (etude_modeles.FichierEtude): the communes of the COG, the
    thématiques of the plan, the range of the RP and Filosofi millésimes, the keys of the millesimes
    section (a source of the catalogue read at another key's millésime is named with that key:
    rp_logement follows rp), the survey's minimum threshold."""
    from diagnostic_territorial.chapitres.plan import lire_thematiques
    from diagnostic_territorial.enquete.protection import SEUIL_MINIMUM
    from diagnostic_territorial.sources.preparation import SOURCES_ETUDE, cle_millesime

    cles = set(SOURCES_ETUDE) | {"rp", "rp_precedent"}
    suivent = {cle: cle_millesime(cle) for cle in cles if cle_millesime(cle) != cle}
    return {"commune": probleme_commune, "thematiques": lire_thematiques, "millesime": verifier_millesime,
            "cles_millesime": cles - set(suivent), "suivent": suivent, "seuil_minimum": SEUIL_MINIMUM}


def probleme_commune(code: str) -> str | None:
    """Why `code` is not a commune of the study's geography (French), or None: etude.yaml may be
    edited by hand."""
    from diagnostic_territorial.erreurs import TerritoireInvalide
    from diagnostic_territorial.territoire.resolution import _commune

    try:
        _commune(code)
    except TerritoireInvalide as e:
        return str(e)
    return None


def _avec_principal(principal: tuple[str, str], liste) -> list[tuple[str, str]]:
    """The references with the main one first, each once (by code)."""
    sortie = [tuple(principal)] if principal and principal[0] else []
    for code, nom in liste or []:
        if code not in [c for c, _ in sortie]:
            sortie.append((code, nom))
    return sortie


def _liste_references(references, cle: str, codes_communes) -> list[tuple[str, str]]:
    """territoire.departements / territoire.regions of etude.yaml; a study written before these
    lists existed (only territoire.departement / region) gets the départements / régions of its
    communes, named from the COG, the most frequent first (the main one is put first anyway)."""
    if references is not None:
        return [(r.code, r.nom) for r in references]
    from collections import Counter

    from diagnostic_territorial.territoire.resolution import referentiel

    table = referentiel()["departements" if cle == "departements" else "regions"]
    return [(code, table.get(code, {}).get("LIBELLE", code))
            for code, _ in Counter(str(c) for c in codes_communes).most_common()]


def ecrire_etude_yaml(chemin: Path, territoire, slug: str, consultant: str, rp: int | str, filosofi: int | str,
                      sous_titre: str = "", thematiques: list[str] | None = None, cadre: str = "") -> None:
    """Write etude.yaml for a resolved territoire (used by the post-generation hook; `cadre`: the
    frame's code, ctg, abs or dst, else read from `sous_titre`)."""
    data = {
        "etude": {
            "slug": slug,
            "titre": "Diagnostic social de territoire",
            "sous_titre": sous_titre,
            "cadre": cadre if cadre in CADRES else cadre_du_sous_titre(sous_titre),
            "consultant": consultant,
            "thematiques": list(thematiques) if thematiques is not None else [],
            "version_finale": False,
        },
        "territoire": territoire.to_dict(),
        "millesimes": {**MILLESIMES_PAR_DEFAUT, "rp": rp, "filosofi": filosofi},
        "execution": {"workers": 0},
    }
    entete = (
        "# Configuration de l'étude (écrite à la génération ; modifiable à la main).\n"
        "# territoire.communes : communes de l'étude, résolues depuis le Code officiel géographique.\n"
        "# territoire.departements, territoire.regions : territoires de référence (le principal d'abord,\n"
        "#   aussi écrit dans territoire.departement et territoire.region).\n"
        "# millesimes : rp = recensement (2023 : Melodi, avec 2017 et 2012 dans les mêmes fichiers ; jusqu'à\n"
        "#   2022 : bases communales, avec rp - 6), filosofi = revenus ; « dernier » = le dernier millésime\n"
        "#   des fichiers déposés dans data/brut/ (ou le dernier publié, téléchargé en ligne). Une année\n"
        "#   fixe une source (toutes les bases du recensement suivent rp) ; *_precedent fixe le millésime\n"
        "#   de comparaison (ex. france_travail_precedent).\n"
        "# etude.cadre : ctg (diagnostic préalable à la Convention territoriale globale), abs (analyse des\n"
        "#   besoins sociaux) ou dst (diagnostic social de territoire) ; ordonne les enjeux de la synthèse.\n"
        "# etude.thematiques : thématiques spécifiques retenues (nouveaux_habitants, pauvrete_precarite,\n"
        "#   isolement_personnes_agees, mobilite, logement, insertion), chacune traitée dans le chapitre\n"
        "#   « Thématiques spécifiques ».\n"
        "# etude.version_finale : false tant que le rapport est un document de travail ; true quand il est\n"
        "#   relu et final (il reste « Document de travail » tant qu'une proposition n'est pas relue).\n"
        "# execution.workers : nombre de notebooks exécutés en parallèle (0 = nombre de cœurs).\n"
    )
    texte = entete + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    ecrire_texte(chemin, texte)


LONGUEUR_MAX_DOSSIER = 80


def libelle_cadre(valeur, cadres: dict[str, str]) -> str:
    """The title of the study's frame from the cookiecutter answer: a code of ``cadres``
    (cookiecutter.json « _cadres »: ctg, abs, dst) or one of their titles, case and spaces aside.
    Anything else: a French error listing the codes. A free-text answer, not a cookiecutter choice
    list, so that a wrong value given with --no-input gets this message instead of a traceback."""
    texte = " ".join(str(valeur if valeur is not None else "").split()).casefold()
    for code, titre in cadres.items():
        if texte in (code.casefold(), " ".join(titre.split()).casefold()):
            return titre
    codes = ", ".join(f"{code} ({titre})" for code, titre in cadres.items())
    raise EtudeInvalide(f"Cadre de l'étude « {str(valeur)[:80]} » inconnu : répondez {codes}.")


def probleme_nom_dossier(nom) -> str | None:
    """Why `nom` cannot name a study's folder (French message naming it), or None. Lower-case
    letters without accents, digits, « - » and « _ », at most 80 characters: nothing that could
    leave the output folder (« / », « .. ») or be read as a template."""
    if not isinstance(nom, str) or not nom:
        return "Nom de dossier vide : indiquez un nom en minuscules, chiffres et tirets (ex. cc-coeur-de-garonne)."
    if len(nom) > LONGUEUR_MAX_DOSSIER:
        return (f"Nom de dossier trop long : {len(nom)} caractères (« {config_yaml.extrait(nom, 40)} »), "
                f"{LONGUEUR_MAX_DOSSIER} au plus.")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", nom):
        return (f"Nom de dossier invalide : « {config_yaml.extrait(nom)} ». Utilisez des minuscules sans accent, "
                "des chiffres et des tirets (ex. cc-coeur-de-garonne).")
    return None
