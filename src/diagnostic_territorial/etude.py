"""A study's configuration (etude.yaml), written by the cookiecutter post-generation hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .erreurs import EtudeInvalide

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
    geographie: int = 2022
    # Thématiques spécifiques retained (plan.THEMATIQUES_SPECIFIQUES keys); None: etude.yaml is
    # silent (a study generated before the question existed) and every thématique is shown.
    thematiques: list[str] | None = None
    brut: dict = field(default_factory=dict)
    millesimes_demandes: dict = field(default_factory=dict)  # as written in etude.yaml
    explications_millesimes: dict = field(default_factory=dict)  # how « dernier » was resolved
    # Every reference département / région (code, nom), the main one (`departement`, `region`)
    # first: a territory across a boundary is compared with each of them.
    departements: list[tuple[str, str]] = field(default_factory=list)
    regions: list[tuple[str, str]] = field(default_factory=list)

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
        import pandas as pd

        chemin = Path(chemin).resolve()
        if chemin.is_dir():
            chemin = chemin / "etude.yaml"
        if not chemin.exists():
            raise EtudeInvalide(
                f"Fichier d'étude introuvable : {chemin}. Lancez la commande depuis le dossier de l'étude "
                "(celui qui contient etude.yaml)."
            )
        try:
            with open(chemin, encoding="utf-8") as f:
                data = yaml.safe_load(f) or {}
        except UnicodeDecodeError as e:
            raise EtudeInvalide(f"{chemin} n'est pas encodé en UTF-8 (octet {e.start}).") from None
        except yaml.YAMLError as e:
            raise EtudeInvalide(f"{chemin} n'est pas un YAML valide : {e}") from None
        if not isinstance(data, dict):
            raise EtudeInvalide(f"{chemin} : le fichier doit contenir les sections etude, territoire et millesimes.")
        for section in ("etude", "territoire", "millesimes"):
            if not isinstance(data.get(section), dict):
                raise EtudeInvalide(f"{chemin} : section « {section} » absente ou mal formée.")
        ter = data["territoire"]
        communes = ter.get("communes") or []
        if not isinstance(communes, list) or not communes:
            raise EtudeInvalide(f"{chemin} : la liste territoire.communes est vide.")
        try:
            df = pd.DataFrame(
                [
                    {
                        "code": str(c["code"]),
                        "nom": str(c["nom"]),
                        "departement": str(c["departement"]),
                        "region": str(c["region"]),
                        "epci": str(c.get("epci", "")),
                    }
                    for c in communes
                ]
            )
        except (KeyError, TypeError, AttributeError) as e:
            raise EtudeInvalide(f"{chemin} : une commune de territoire.communes n'a pas le champ {e}.") from None
        _verifier_communes(chemin, df)
        mill = data["millesimes"]
        demandes = {}
        for cle, valeur in mill.items():
            try:
                if cle in PLAGES_MILLESIMES:
                    demandes[str(cle)] = verifier_millesime(cle, valeur)
                elif isinstance(valeur, str) and valeur.strip().lower() == DERNIER:
                    demandes[str(cle)] = DERNIER
                else:
                    demandes[str(cle)] = int(valeur)
            except EtudeInvalide as e:
                ligne = _ligne_de(chemin, f"{cle}:")
                raise EtudeInvalide(f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : {e}") from None
            except (TypeError, ValueError):
                ligne = _ligne_de(chemin, f"{cle}:")
                raise EtudeInvalide(
                    f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : millésime « {cle} » invalide : "
                    f"« {valeur} » (une année ou « dernier »).") from None
        for cle in ("rp", "filosofi"):
            if cle not in demandes:
                raise EtudeInvalide(f"{chemin} : millésime « {cle} » absent de la section millesimes "
                                    "(une année ou « dernier »).")
        from .donnees import millesimes_etude

        resolution = millesimes_etude(chemin.parent, demandes)
        et = data["etude"]
        try:
            etude = cls._construire(chemin, data, ter, et, df, resolution.millesimes)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise EtudeInvalide(f"{chemin} : champ absent ou mal formé ({type(e).__name__} : {e}).") from None
        etude.millesimes_demandes = demandes
        etude.explications_millesimes = resolution.explications
        return etude

    @classmethod
    def _construire(cls, chemin, data, ter, et, df, millesimes) -> "Etude":
        from .plan import lire_thematiques

        thematiques = None
        if "thematiques" in et:
            try:
                thematiques = lire_thematiques(et.get("thematiques") or "aucune")
            except ValueError as e:
                ligne = _ligne_de(chemin, "thematiques")
                raise EtudeInvalide(f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : {e}") from None
        return cls(
            racine=chemin.parent,
            nom_territoire=str(ter.get("nom", "")),
            slug=str(et.get("slug", chemin.parent.name)),
            type_territoire=str(ter.get("type", "")),
            code_territoire=str(ter.get("code", "")),
            communes=df,
            departement=(str(ter["departement"]["code"]), str(ter["departement"]["nom"])),
            region=(str(ter["region"]["code"]), str(ter["region"]["nom"])),
            departements=_liste_references(ter, "departements", df["departement"]),
            regions=_liste_references(ter, "regions", df["region"]),
            epci=[(str(e["code"]), str(e["nom"])) for e in ter.get("epci", [])],
            millesimes=millesimes,
            consultant=str(et.get("consultant", "")),
            titre=str(et.get("titre", "Diagnostic social de territoire")),
            sous_titre=str(et.get("sous_titre", "")),
            geographie=int(ter.get("geographie", 2022)),
            thematiques=thematiques,
            brut=data,
        )


def _avec_principal(principal: tuple[str, str], liste) -> list[tuple[str, str]]:
    """The references with the main one first, each once (by code)."""
    sortie = [tuple(principal)] if principal and principal[0] else []
    for code, nom in liste or []:
        if code not in [c for c, _ in sortie]:
            sortie.append((code, nom))
    return sortie


def _liste_references(ter: dict, cle: str, codes_communes) -> list[tuple[str, str]]:
    """territoire.departements / territoire.regions of etude.yaml; a study written before these
    lists existed (only territoire.departement / region) gets the départements / régions of its
    communes, named from the COG, the most frequent first (the main one is put first anyway)."""
    if ter.get(cle) is not None:
        return [(str(r["code"]), str(r["nom"])) for r in ter[cle]]
    from collections import Counter

    from .territoire import referentiel

    table = referentiel()["departements" if cle == "departements" else "regions"]
    return [(code, table.get(code, {}).get("LIBELLE", code))
            for code, _ in Counter(str(c) for c in codes_communes).most_common()]


def _ligne_de(chemin: Path, valeur: str) -> int | None:
    for numero, ligne in enumerate(chemin.read_text(encoding="utf-8").splitlines(), start=1):
        if valeur in ligne:
            return numero
    return None


def _verifier_communes(chemin: Path, communes) -> None:
    """etude.yaml may be edited by hand: every commune code must exist in the study's geography."""
    from .erreurs import TerritoireInvalide
    from .territoire import _commune

    doublons = communes["code"][communes["code"].duplicated()].tolist()
    for code in doublons + list(communes["code"]):
        try:
            if code in doublons:
                raise TerritoireInvalide(f"code commune « {code} » en double dans territoire.communes.")
            _commune(code)
        except TerritoireInvalide as e:
            ligne = _ligne_de(chemin, code)
            ou = f"{chemin}, ligne {ligne}" if ligne else str(chemin)
            raise EtudeInvalide(f"{ou} : {e}") from None


def ecrire_etude_yaml(chemin: Path, territoire, slug: str, consultant: str, rp: int | str, filosofi: int | str,
                      sous_titre: str = "", thematiques: list[str] | None = None) -> None:
    """Write etude.yaml for a resolved territoire (used by the post-generation hook)."""
    data = {
        "etude": {
            "slug": slug,
            "titre": "Diagnostic social de territoire",
            "sous_titre": sous_titre,
            "consultant": consultant,
            "thematiques": list(thematiques) if thematiques is not None else [],
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
        "#   fixe une source ; *_precedent fixe le millésime de comparaison (ex. france_travail_precedent).\n"
        "# etude.thematiques : thématiques spécifiques retenues (nouveaux_habitants, pauvrete_precarite,\n"
        "#   isolement_personnes_agees, mobilite, logement, insertion), chacune traitée dans le chapitre\n"
        "#   « Thématiques spécifiques ».\n"
        "# execution.workers : nombre de notebooks exécutés en parallèle (0 = nombre de cœurs).\n"
    )
    texte = entete + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    tmp = chemin.with_suffix(".yaml.tmp")
    tmp.write_text(texte, encoding="utf-8")
    tmp.replace(chemin)
