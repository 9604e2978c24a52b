"""A study's configuration (etude.yaml), written by the cookiecutter post-generation hook."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from diagnostic_territorial.configuration import chargement as config_yaml
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
        import pandas as pd

        chemin = Path(chemin).resolve()
        if chemin.is_dir():
            chemin = chemin / "etude.yaml"
        if not chemin.exists():
            raise EtudeInvalide(
                f"Fichier d'étude introuvable : {chemin}. Lancez la commande depuis le dossier de l'étude "
                "(celui qui contient etude.yaml)."
            )
        doc = config_yaml.lire(chemin, erreur=EtudeInvalide)
        data = doc.donnees if doc.donnees is not None else {}
        if not isinstance(data, dict):
            raise EtudeInvalide(f"{chemin} : le fichier doit contenir les sections etude, territoire et millesimes.")
        for section in ("etude", "territoire", "millesimes"):
            if data.get(section) is None:
                raise EtudeInvalide(f"{chemin} : section « {section} » absente ou vide.")
            if not isinstance(data[section], dict):
                raise EtudeInvalide(f"{doc.ou(section)} : la section « {section} » doit être une suite de champs "
                                    f"« nom: valeur », pas {config_yaml.genre(data[section])}.")
        verifier_sections(doc)
        ter = data["territoire"]
        communes = ter["communes"]
        df = pd.DataFrame(
            [
                {
                    "code": str(c["code"]),
                    "nom": str(c["nom"]),
                    "departement": str(c["departement"]),
                    "region": str(c["region"]),
                    "epci": str(c.get("epci") or ""),
                }
                for c in communes
            ]
        )
        _verifier_communes(chemin, df, [doc.ligne("territoire", "communes", i) for i in range(len(communes))])
        mill = data["millesimes"]
        demandes = {}
        for cle, valeur in mill.items():
            ligne = doc.ligne("millesimes", cle) or _ligne_de(chemin, f"{cle}:")
            try:
                if cle in PLAGES_MILLESIMES:
                    demandes[str(cle)] = verifier_millesime(cle, valeur)
                elif isinstance(valeur, str) and valeur.strip().lower() == DERNIER:
                    demandes[str(cle)] = DERNIER
                elif isinstance(valeur, bool):
                    raise TypeError
                else:
                    demandes[str(cle)] = int(valeur)
            except EtudeInvalide as e:
                raise EtudeInvalide(f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : {e}") from None
            except (TypeError, ValueError):
                raise EtudeInvalide(
                    f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : millésime « {cle} » invalide : "
                    f"« {config_yaml.extrait(valeur)} » (une année ou « dernier »).") from None
        for cle in ("rp", "filosofi"):
            if cle not in demandes:
                raise EtudeInvalide(f"{chemin} : millésime « {cle} » absent de la section millesimes "
                                    "(une année ou « dernier »).")
        from diagnostic_territorial.sources.preparation import millesimes_etude

        resolution = millesimes_etude(chemin.parent, demandes)
        et = data["etude"]
        try:
            etude = cls._construire(chemin, data, ter, et, df, resolution.millesimes)
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise EtudeInvalide(f"{chemin} : champ absent ou mal formé ({type(e).__name__} : {e}).") from None
        etude.millesimes_demandes = demandes
        etude.explications_millesimes = resolution.explications
        etude.document = doc
        etude.workers = int((data.get("execution") or {}).get("workers") or 0)
        return etude

    @classmethod
    def _construire(cls, chemin, data, ter, et, df, millesimes) -> "Etude":
        from diagnostic_territorial.chapitres.plan import lire_thematiques

        thematiques = None
        if "thematiques" in et:
            try:
                thematiques = lire_thematiques(et.get("thematiques") or "aucune")
            except ValueError as e:
                ligne = _ligne_de(chemin, "thematiques")
                raise EtudeInvalide(f"{chemin}" + (f", ligne {ligne}" if ligne else "") + f" : {e}") from None
        return cls(
            racine=chemin.parent,
            nom_territoire=str(ter.get("nom") or ""),
            slug=str(et.get("slug") or chemin.parent.name),
            type_territoire=str(ter.get("type") or ""),
            code_territoire=str(ter.get("code") or ""),
            communes=df,
            departement=(str(ter["departement"]["code"]), str(ter["departement"]["nom"])),
            region=(str(ter["region"]["code"]), str(ter["region"]["nom"])),
            departements=_liste_references(ter, "departements", df["departement"]),
            regions=_liste_references(ter, "regions", df["region"]),
            epci=[(str(e["code"]), str(e["nom"])) for e in ter.get("epci") or []],
            millesimes=millesimes,
            consultant=str(et.get("consultant") or ""),
            titre=str(et.get("titre") or "Diagnostic social de territoire"),
            sous_titre=str(et.get("sous_titre") or ""),
            geographie=int(ter.get("geographie") or 2022),
            thematiques=thematiques,
            version_finale=et.get("version_finale") is True,
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

    from diagnostic_territorial.territoire.resolution import referentiel

    table = referentiel()["departements" if cle == "departements" else "regions"]
    return [(code, table.get(code, {}).get("LIBELLE", code))
            for code, _ in Counter(str(c) for c in codes_communes).most_common()]


def _ligne_de(chemin: Path, valeur: str) -> int | None:
    for numero, ligne in enumerate(chemin.read_text(encoding="utf-8").splitlines(), start=1):
        if valeur in ligne:
            return numero
    return None


def _verifier_communes(chemin: Path, communes, lignes: list[int | None] | None = None) -> None:
    """etude.yaml may be edited by hand: every commune code must exist in the study's geography."""
    from diagnostic_territorial.erreurs import TerritoireInvalide
    from diagnostic_territorial.territoire.resolution import _commune

    codes = list(communes["code"])
    lignes = list(lignes or [])
    doublons = [(i, c) for i, c in enumerate(codes) if c in codes[:i]]
    for i, code in doublons + list(enumerate(codes)):
        try:
            if (i, code) in doublons:
                raise TerritoireInvalide(f"code commune « {code} » en double dans territoire.communes.")
            _commune(code)
        except TerritoireInvalide as e:
            ligne = (lignes[i] if i < len(lignes) else None) or _ligne_de(chemin, code)
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
        "#   fixe une source ; *_precedent fixe le millésime de comparaison (ex. france_travail_precedent).\n"
        "# etude.thematiques : thématiques spécifiques retenues (nouveaux_habitants, pauvrete_precarite,\n"
        "#   isolement_personnes_agees, mobilite, logement, insertion), chacune traitée dans le chapitre\n"
        "#   « Thématiques spécifiques ».\n"
        "# etude.version_finale : false tant que le rapport est un document de travail ; true quand il est\n"
        "#   relu et final (il reste « Document de travail » tant qu'une proposition n'est pas relue).\n"
        "# execution.workers : nombre de notebooks exécutés en parallèle (0 = nombre de cœurs).\n"
    )
    texte = entete + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    ecrire_texte(chemin, texte)


# --- Checks of etude.yaml (edited by hand) -----------------------------------------------------

CHAMPS_TEXTE = {
    "etude": ("slug", "titre", "sous_titre", "consultant"),
    "territoire": ("nom", "type", "code"),
}
# Switches of etude.yaml (true/false, oui/non, vrai/faux) and their default.
INTERRUPTEURS = {("enquete", "publier_verbatims"): False, ("enquete", "ponderation"): True,
                 ("etude", "version_finale"): False}
# Whole numbers of etude.yaml and their minimum.
ENTIERS = {("execution", "workers"): 0, ("enquete", "seuil"): 5, ("enquete", "effectif_min_commune"): 0,
           ("territoire", "geographie"): None}
CHAMPS_COMMUNE = ("code", "nom", "departement", "region")


def problemes_etude(doc: config_yaml.DocumentYaml) -> list[str]:
    """Every type mistake in the sections of etude.yaml, one French message each (file, line,
    field). The switches are turned into real booleans in ``doc.donnees`` (« non » is False)."""
    data = doc.donnees if isinstance(doc.donnees, dict) else {}
    problemes: list[str] = []

    def signaler(cles: tuple, message: str) -> None:
        problemes.append(f"{doc.ou(*cles)} : {message}")

    def essayer(fonction, *args, **kwargs):
        try:
            return fonction(*args, erreur=EtudeInvalide, **kwargs)
        except EtudeInvalide as e:
            problemes.append(str(e))
            return None

    def section(nom: str) -> dict | None:
        valeur = data.get(nom)
        if valeur is not None and not isinstance(valeur, dict):
            signaler((nom,), f"la section « {nom} » doit être une suite de champs « nom: valeur », pas "
                             f"{config_yaml.genre(valeur)}.")
            return None
        return valeur

    def reference(valeur, cles: tuple, quoi: str) -> None:
        if not isinstance(valeur, dict):
            signaler(cles, f"{quoi} : une suite de champs « code: ... » et « nom: ... » est attendue, pas "
                           f"{config_yaml.genre(valeur)}.")
            return
        for champ in ("code", "nom"):
            if valeur.get(champ) is None:
                signaler(cles, f"{quoi} : champ « {champ} » absent.")
            else:
                essayer(config_yaml.texte, valeur[champ], doc.chemin, doc.ligne(*cles, champ),
                        config_yaml.nom_champ(cles + (champ,)))

    for nom, champs in CHAMPS_TEXTE.items():
        contenu = section(nom)
        for champ in champs if contenu else ():
            if champ in contenu:
                essayer(config_yaml.texte, contenu[champ], doc.chemin, doc.ligne(nom, champ), f"{nom}.{champ}")
    et = section("etude")
    if et and et.get("thematiques") is not None:
        th = et["thematiques"]
        if not isinstance(th, str) and not (isinstance(th, list) and all(isinstance(t, str) for t in th)):
            signaler(("etude", "thematiques"), "une liste de thématiques (ou « aucune ») est attendue, pas "
                                               f"{config_yaml.genre(th)}.")
    ter = section("territoire")
    if ter is not None:
        communes = ter.get("communes")
        if not isinstance(communes, list) or not communes:
            signaler(("territoire", "communes"),
                     "la liste territoire.communes est vide." if not communes else
                     "la liste des communes de l'étude est attendue (une commune par ligne « - code: ... »), pas "
                     f"{config_yaml.genre(communes)}.")
        else:
            for i, c in enumerate(communes):
                cles = ("territoire", "communes", i)
                if not isinstance(c, dict):
                    signaler(cles, "une commune est une suite de champs (code, nom, departement, region), pas "
                                   f"{config_yaml.genre(c)}.")
                    continue
                for champ in CHAMPS_COMMUNE:
                    if c.get(champ) is None:
                        signaler(cles, f"une commune de territoire.communes n'a pas le champ « {champ} ».")
                    else:
                        essayer(config_yaml.texte, c[champ], doc.chemin, doc.ligne(*cles, champ),
                                config_yaml.nom_champ(cles + (champ,)))
                if c.get("epci") is not None:
                    essayer(config_yaml.texte, c["epci"], doc.chemin, doc.ligne(*cles, "epci"),
                            config_yaml.nom_champ(cles + ("epci",)))
        for champ, quoi in (("departement", "département de référence"), ("region", "région de référence")):
            reference(ter.get(champ), ("territoire", champ), quoi)
        for champ, quoi in (("departements", "département de référence"), ("regions", "région de référence"),
                            ("epci", "EPCI")):
            valeur = ter.get(champ)
            if valeur is None:
                continue
            if not isinstance(valeur, list):
                signaler(("territoire", champ), f"une liste est attendue, pas {config_yaml.genre(valeur)}.")
                continue
            for i, v in enumerate(valeur):
                reference(v, ("territoire", champ, i), quoi)
    section("millesimes")
    for (nom, cle), minimum in ENTIERS.items():
        contenu = section(nom)
        if contenu and contenu.get(cle) is not None:
            essayer(config_yaml.entier, contenu[cle], doc.chemin, doc.ligne(nom, cle), f"{nom}.{cle}",
                    minimum=minimum)
    for (nom, cle) in INTERRUPTEURS:
        contenu = section(nom)
        if contenu and contenu.get(cle) is not None:
            valeur = essayer(config_yaml.booleen, contenu[cle], doc.chemin, doc.ligne(nom, cle), f"{nom}.{cle}")
            if valeur is not None:
                contenu[cle] = valeur
    enquete = section("enquete")
    if enquete and enquete.get("noms_a_masquer") is not None:
        noms = enquete["noms_a_masquer"]
        if not isinstance(noms, list) or any(isinstance(n, (dict, list, bool)) or n is None for n in noms):
            signaler(("enquete", "noms_a_masquer"), "une liste de noms est attendue (un nom par ligne "
                                                    f"« - Dupont »), pas {config_yaml.genre(noms)}.")
    return list(dict.fromkeys(problemes))


def verifier_sections(doc: config_yaml.DocumentYaml) -> None:
    """EtudeInvalide listing every problem of `problemes_etude`."""
    problemes = problemes_etude(doc)
    if len(problemes) == 1:
        raise EtudeInvalide(problemes[0])
    if problemes:
        raise EtudeInvalide(f"{doc.chemin} : {len(problemes)} problèmes à corriger :\n"
                            + "\n".join(f"  - {p}" for p in problemes))


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
