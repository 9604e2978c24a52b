"""Forces, fragilités and proposed enjeux of the synthèse, derived by explicit rules from what the
chapters recorded (``build/resultats/<chapitre>.json``: ``chiffres`` -> ``indicateurs`` -> id ->
``{territoire, departement, region, france, annee, source, precedent}``, see
:meth:`generique.ChapitreIndicateurs.chiffres`). Nothing is read from the rendered HTML. The
chapter « Synthèse et enjeux », the synthèse deliverable and the slides are all built from
:func:`analyser`, so that they never disagree. docs/enjeux.md states the same rules in French for
the consultant; each rule below is a constant of this module.

R1 Reading. Each indicator of the catalogue says how a higher value reads (``sens`` in
   catalogue/indicateurs.yaml): ``plus_mieux`` (a strength when the territory is above its
   references), ``plus_fragilite`` (a weakness when above), ``neutre`` (descriptive: counts, age
   structure; never a force nor a fragilité). A count (``unite: nombre``) is never compared with
   its references, whatever its ``sens``: a territory and a département differ in size. An
   indicator absent from the catalogue (one a consultant added in a notebook) is not read.
R2 Reference. The territory is compared with its département (the CAF's and the Conseil
   départemental's level); when the département's value is not published, with its région, then
   with France.
R3 Gap. ``ecart`` = (territory - reference) / |reference|; its magnitude is read on the study's
   one scale (:func:`indicateurs.ecarts.qualifier`, the same as the comments of the sections:
   « nette » = « nettement au-dessus / en dessous », « marquée » = « au-dessus / en dessous »,
   « faible » = « proche »): rates in points and relative to the reference (marquée: 3 points, or
   1 point and 10 %, or 0.5 point and 50 %; nette: 5 points, or 2 points and 20 %, or 1 point and
   50 %), euros 5 % and 10 %, other values 10 % and 20 %. « nette » is class 3, « marquée »
   class 2; « faible »: no finding.
R4 France. A gap « faible » with the département but at least « marquée » with France (and in the
   same direction with the région when it is published) is a finding of class 1: the département
   shares it, the territory still differs from the country.
R5 Evolution. With a previous millésime (rates: change in points; ``indice``, ``decimal``,
   ``pour_mille``: relative change; never counts nor euros, which are in current euros), a change
   « nette » on the same scale (:func:`indicateurs.ecarts.evolution`: 2 points, 10 %) is noted
   with the finding; alone (no gap retained), it is a
   finding of class 1. A favourable or unfavourable change follows the indicator's ``sens``.
R6 Nature. ``plus_mieux`` above the reference, or ``plus_fragilite`` below, is a force; the
   reverse is a fragilité.
R7 Public. The indicator's ``public`` in the catalogue, else its chapter's (``PUBLIC_DU_CHAPITRE``);
   « ensemble » for the chapters about every inhabitant.
R8 Effectif. The number of people the finding is about: the territory's value of the count named by
   the indicator's ``base`` (families, households, children under 3...), else of its public's
   count (``BASE_DU_PUBLIC``), looked up in every chapter's results; unknown otherwise.
R9 Ranking. Findings are ranked by class (3, 2, 1), then by effectif (larger first, unknown last),
   then by the size of the relative gap, then by id (the order is stable).
R10 Enjeux. The fragilités are grouped by public (« ensemble »: by chapter); a group whose first
   fragilité is at least « marquée » proposes one enjeu (a title of ``TITRES``, its fragilités, at
   most ``N_CONSTATS_ENJEU``, and the forces of the same group as points d'appui). Enjeux are
   ranked by their first fragilité (class, then the publics the study's frame puts first,
   ``PUBLICS_DU_CADRE``: the CAF's fields for a CTG, the CCAS's for an ABS, then effectif); at most
   ``N_ENJEUX``. The other groups are points of vigilance. Enjeux are proposals, to be discussed
   and validated by the steering committee: every text says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.indicateurs import ecarts
from diagnostic_territorial.rendu import formats as fm

NIVEAUX = ("territoire", "departement", "region", "france")
REFERENCES = ("departement", "region", "france")  # R2: in this order

# R3, R5: the thresholds of a gap and of a change are those of indicateurs/ecarts.py (one scale for
# the whole study). Class 3 « nette » is ecarts.NET, class 2 « marquée » ecarts.MARQUE.
UNITES_TAUX = ecarts.UNITES_TAUX
UNITES_SANS_EVOLUTION = ("nombre", "euros")

CLASSES = {3: "nette", 2: "marquée", 1: "à surveiller"}
N_ENJEUX = 6
N_CONSTATS_ENJEU = 4
N_APPUIS_ENJEU = 3

# R7: publics (keys of catalogue/indicateurs.yaml « public », configuration/modeles.PUBLICS).
PUBLICS = {
    "petite_enfance": "Petite enfance",
    "enfance": "Enfance",
    "jeunesse": "Jeunesse",
    "familles": "Familles",
    "personnes_agees": "Personnes âgées",
    "precarite": "Précarité",
    "handicap": "Handicap",
    "ensemble": "Ensemble des habitants",
}
PUBLIC_DU_CHAPITRE = {
    "petite_enfance": "petite_enfance",
    "enfance": "enfance",
    "jeunesse": "jeunesse",
    "parentalite": "familles",
    "acces_aux_droits": "precarite",
}
# R8: the count of each public, when the indicator names no base of its own.
BASE_DU_PUBLIC = {
    "petite_enfance": "enfants_moins_3_ans",
    "enfance": "enfants_6_10",
    "jeunesse": "jeunes_18_24",
    "familles": "familles",
    "personnes_agees": "personnes_80_plus",
    "precarite": "menages",
    "ensemble": "population_municipale",
}
# R10: the publics each frame puts first (ties between enjeux of the same class).
PUBLICS_DU_CADRE = {
    "ctg": ("petite_enfance", "enfance", "jeunesse", "familles", "precarite"),
    "abs": ("precarite", "personnes_agees", "handicap", "familles"),
    "dst": (),
}
CADRES = {  # code: (title of the frame, « pour ... » of the enjeux, steering body)
    "ctg": ("Convention territoriale globale (CTG)", "la Convention territoriale globale",
            "le comité de pilotage de la CTG"),
    "abs": ("Analyse des besoins sociaux (ABS)", "l'analyse des besoins sociaux",
            "le comité de pilotage de l'ABS"),
    "dst": ("Diagnostic social de territoire", "le diagnostic social du territoire", "le comité de pilotage"),
}
# R10: the title an enjeu proposes, by public (« ensemble »: by chapter).
TITRES = {
    "petite_enfance": "Adapter l'offre d'accueil du jeune enfant aux besoins des familles",
    "enfance": "Accompagner les enfants dans leur scolarité et leurs loisirs",
    "jeunesse": "Favoriser la formation, l'autonomie et l'insertion des jeunes",
    "familles": "Soutenir les familles et la parentalité",
    "personnes_agees": "Accompagner le vieillissement et prévenir l'isolement des personnes âgées",
    "precarite": "Lutter contre la pauvreté et favoriser l'accès aux droits",
    "handicap": "Favoriser l'inclusion des personnes en situation de handicap",
    "demographie": "Anticiper les évolutions de la population",
    "economie": "Conforter l'emploi et l'activité sur le territoire",
    "emploi": "Favoriser l'accès à l'emploi et la qualification des actifs",
    "cadre_de_vie": "Améliorer l'accès au logement, aux soins et aux services",
    "vie_sociale": "Renforcer le lien social et prévenir l'isolement",
}
NOMS_NIVEAUX = {"departement": "département", "region": "région", "france": "France"}


@dataclass
class Constat:
    """A force or a fragilité: one indicator of the territory against its references."""

    id: str
    libelle: str
    court: str
    theme: str  # chapter of the indicator (catalogue)
    theme_titre: str
    public: str
    nature: str  # "force" or "fragilite"
    classe: int  # 3 nette, 2 marquée, 1 à surveiller (see CLASSES)
    annee: int | None
    unite: str
    valeurs: dict  # niveau -> value (None: not published)
    noms: dict  # niveau -> name (territory, département, région, France)
    reference: str  # niveau of the comparison (R2, R4)
    principale: str  # the first published reference (R2): « proche du département » (R4)
    ecart: float  # relative gap with the reference (R3)
    ecart_texte: str  # « +6,1 pt », « -5,2 % »
    source: str
    effectif: float | None = None
    effectif_libelle: str = ""
    evolution: str = ""  # « +2,1 pt depuis 2017 (Haute-Garonne : +0,4 pt) »
    evolution_sens: str = ""  # "favorable", "defavorable" or ""
    par_evolution: bool = False  # class 1 from its evolution alone (R5)

    @property
    def force(self) -> bool:
        return self.nature == "force"

    @property
    def public_libelle(self) -> str:
        return PUBLICS.get(self.public, self.public)

    @property
    def classe_libelle(self) -> str:
        return CLASSES[self.classe]

    def valeur(self, niveau: str) -> str:
        return _formater(self, self.valeurs.get(niveau))

    @property
    def references_texte(self) -> str:
        """« Haute-Garonne : 12,1 % ; Occitanie : 16,8 % ; France : 14,5 % »."""
        return " ; ".join(f"{self.noms[n]} : {self.valeur(n)}" for n in REFERENCES
                          if self.valeurs.get(n) is not None)

    @property
    def qualificatif(self) -> str:
        """« écart net au-dessus du département », « en hausse depuis 2017 »..."""
        if self.par_evolution:
            return "évolution " + ("favorable" if self.evolution_sens == "favorable" else "défavorable")
        sens = "au-dessus" if self.ecart > 0 else "en dessous"
        de = {"departement": "du département", "region": "de la région", "france": "de la France"}
        if self.classe == 1 and self.reference == "france":
            return f"proche {de[self.principale]}, {sens} de la France"
        mot = {3: "écart net", 2: "écart marqué", 1: "écart"}[self.classe]
        return f"{mot} {sens} {de[self.reference]}"

    @property
    def texte(self) -> str:
        """The finding in one sentence, plain text (escaped by whoever prints it)."""
        morceaux = [f"{self.libelle} : {self.valeur('territoire')}" + (f" en {self.annee}" if self.annee else "")]
        if not self.par_evolution:
            morceaux.append(f"{self.qualificatif} ({self.noms[self.reference]} : {self.valeur(self.reference)}, "
                            f"écart {self.ecart_texte})")
        if self.evolution:
            morceaux.append(f"évolution {self.evolution}")
        return ", ".join(morceaux) + "."

    @property
    def effectif_texte(self) -> str:
        if self.effectif is None:
            return ""
        return f"{self.effectif_libelle} : {fm.nombre(self.effectif)}"


@dataclass
class Enjeu:
    """A proposed enjeu: a title, its public, the fragilités behind it and the forces to lean on."""

    cle: str  # public, or chapter for « ensemble »
    titre: str
    public: str
    constats: list[Constat]
    appuis: list[Constat] = field(default_factory=list)

    @property
    def public_libelle(self) -> str:
        return PUBLICS.get(self.public, self.public)

    @property
    def sources(self) -> list[str]:
        return list(dict.fromkeys(c.source for c in self.constats + self.appuis if c.source))

    @property
    def source(self) -> str:
        return ci.joindre_mentions(self.sources)


@dataclass
class Synthese:
    cadre: str
    constats: list[Constat]  # every finding, ranked (R9)
    enjeux: list[Enjeu]
    vigilance: list[Enjeu]  # groups of fragilités not proposed as enjeux (class 1 only, or beyond N_ENJEUX)
    publics_sans_indicateur: list[str]  # labels of the publics no rated indicator describes
    indicateurs_lus: int = 0  # rated indicators read (sens other than neutre)
    indicateurs_proches: int = 0  # of which close to their references, without a finding

    @property
    def forces(self) -> list[Constat]:
        return [c for c in self.constats if c.force]

    @property
    def fragilites(self) -> list[Constat]:
        return [c for c in self.constats if not c.force]

    @property
    def cadre_titre(self) -> str:
        return CADRES[self.cadre][0]

    @property
    def pour(self) -> str:
        return CADRES[self.cadre][1]

    @property
    def instance(self) -> str:
        return CADRES[self.cadre][2]

    @property
    def titre_enjeux(self) -> str:
        return "Enjeux proposés pour " + self.pour

    @property
    def avertissement(self) -> str:
        return (f"Ces enjeux sont des propositions, déduites des chiffres du diagnostic par des règles explicites "
                f"(voir la méthode) : ils sont à discuter, compléter et valider par {self.instance}.")

    def par_public(self) -> list[dict]:
        """One row per public with findings: {public, libelle, forces, fragilites}, the publics in
        the order of PUBLICS."""
        lignes = []
        for cle, libelle in PUBLICS.items():
            forces = [c for c in self.forces if c.public == cle]
            fragilites = [c for c in self.fragilites if c.public == cle]
            if forces or fragilites:
                lignes.append({"public": cle, "libelle": libelle, "forces": forces, "fragilites": fragilites})
        return lignes

    def constats_cles(self, par_enjeu: int = 2, forces: int = 3) -> list[Constat]:
        """The findings shown one by one (slides): the first fragilités of each enjeu, then the
        first forces."""
        cles = [c for e in self.enjeux for c in e.constats[:par_enjeu]]
        return cles + [c for c in self.forces if c not in cles][:forces]


# --- Rules -----------------------------------------------------------------------------------


def cadre_de(etude) -> str:
    """The study's frame: « ctg », « abs » or « dst », the field ``etude.cadre`` of etude.yaml
    (configuration.etude.Etude.cadre, written at generation; for a study written before the field,
    read from its subtitle, else « ctg »)."""
    from diagnostic_territorial.configuration.etude import cadre_du_sous_titre

    cadre = str(getattr(etude, "cadre", "") or "").strip().lower()
    return cadre if cadre in CADRES else cadre_du_sous_titre(getattr(etude, "sous_titre", ""))


def noms_references(etude) -> dict:
    return {"territoire": etude.nom_territoire, "departement": etude.departement[1], "region": etude.region[1],
            "france": "France"}


def classe_ecart(unite: str, t: float, r: float) -> int:
    """R3: 3 (« nette »), 2 (« marquée ») or 0 (« faible ») for the gap between t and r, on the
    study's one scale (:func:`ecarts.qualifier`); 0 against a zero reference."""
    if not r:
        return 0
    return ecarts.classe(unite, t, r)


def _evolution(i, chiffres: dict, noms: dict) -> tuple[str, str]:
    """R5: (text, "favorable"/"defavorable") of a change worth noting, ("", "") otherwise."""
    precedent = chiffres.get("precedent") or {}
    avant, apres = precedent.get("territoire"), chiffres.get("territoire")
    if i.unite in UNITES_SANS_EVOLUTION or avant is None or apres is None or not precedent.get("annee"):
        return "", ""
    changement = ecarts.evolution(i.unite, avant, apres)
    if changement is None or changement.classe != ecarts.NET:
        return "", ""
    def variation(avant: float, apres: float) -> str:
        if i.unite in UNITES_TAUX:
            return ci.ecart(i, avant, apres)
        return fm.evolution(apres / avant - 1, 1) if avant else fm.NON_DISPONIBLE

    texte = f"{variation(avant, apres)} depuis {precedent['annee']}"
    d_avant, d_apres = precedent.get("departement"), chiffres.get("departement")
    if d_avant is not None and d_apres is not None:
        texte += f" ({noms['departement']} : {variation(d_avant, d_apres)})"
    hausse = apres > avant
    favorable = hausse == (i.sens == "plus_mieux")
    return texte, ("favorable" if favorable else "defavorable")


def constat(id_: str, chiffres: dict, noms: dict, effectifs: dict, catalogue=None) -> Constat | None:
    """The finding the rules R1-R8 draw from one indicator's recorded values, or None (neutral
    indicator, value missing, gaps « faible » and no notable evolution)."""
    from diagnostic_territorial.chapitres.plan import CHAPITRES

    try:
        i = ci.indicateur(id_, catalogue)
    except KeyError:
        return None
    t = chiffres.get("territoire")
    if not _lu(i) or t is None:
        return None
    valeurs = {n: chiffres.get(n) for n in NIVEAUX}
    reference, classe = None, 0
    for n in REFERENCES:  # R2: the first published reference
        if valeurs[n] is not None and valeurs[n] != 0:
            reference, classe = n, classe_ecart(i.unite, t, valeurs[n])
            break
    principale = reference or "departement"
    if reference is not None and classe == 0 and reference != "france" and valeurs["france"]:
        c_fr = classe_ecart(i.unite, t, valeurs["france"])  # R4
        r = valeurs["region"]
        meme_sens = r is None or reference == "region" or (t - r) * (t - valeurs["france"]) > 0
        if c_fr >= 2 and meme_sens:
            reference, classe = "france", 1
    evolution, sens_evolution = _evolution(i, chiffres, noms)
    par_evolution = False
    if classe == 0:
        if not evolution:
            return None
        classe, par_evolution = 1, True  # R5
    if par_evolution:
        nature = "force" if sens_evolution == "favorable" else "fragilite"
        ecart, ecart_texte = 0.0, ""
        reference = reference or "departement"
    else:
        r = valeurs[reference]
        ecart = (t - r) / abs(r)
        nature = "force" if (ecart > 0) == (i.sens == "plus_mieux") else "fragilite"  # R6
        ecart_texte = ci.ecart(i, r, t) if i.unite in UNITES_TAUX else fm.evolution(ecart, 0 if abs(ecart) >= 0.1 else 1)
    public = i.public or PUBLIC_DU_CHAPITRE.get(i.chapitre, "ensemble")  # R7
    base = i.base or BASE_DU_PUBLIC.get(public, "")  # R8
    effectif, effectif_libelle = effectifs.get(base, (None, ""))
    titres = {c.cle: c.titre for c in CHAPITRES}
    return Constat(
        id=id_, libelle=fm.insecables(i.libelle), court=fm.insecables(i.libelle_court), theme=i.chapitre, theme_titre=titres.get(i.chapitre, i.chapitre),
        public=public, nature=nature, classe=classe, annee=chiffres.get("annee"), unite=i.unite,
        valeurs=valeurs, noms=dict(noms), reference=reference, principale=principale, ecart=ecart,
        ecart_texte=ecart_texte,
        source=str(chiffres.get("source") or ""), effectif=effectif, effectif_libelle=effectif_libelle,
        evolution=evolution, evolution_sens=sens_evolution, par_evolution=par_evolution,
    )


def _lu(i) -> bool:
    """R1: an indicator read as a force or a fragilité (a count never is)."""
    return i.sens in ("plus_mieux", "plus_fragilite") and i.unite != "nombre"


def cle_de_rang(c: Constat) -> tuple:
    """R9: class, effectif (unknown last), size of the gap, id."""
    return (-c.classe, -(c.effectif if c.effectif is not None else -1.0), -abs(c.ecart), c.id)


def _indicateurs(resultats: dict[str, dict]) -> dict[str, dict]:
    """Every indicator recorded by the chapters, once (the first chapter recording it)."""
    tous = {}
    for r in resultats.values():
        for id_, chiffres in (((r or {}).get("chiffres") or {}).get("indicateurs") or {}).items():
            if isinstance(chiffres, dict):
                tous.setdefault(id_, chiffres)
    return tous


def _effectifs(indicateurs: dict[str, dict], catalogue=None) -> dict[str, tuple[float, str]]:
    sortie = {}
    for id_, chiffres in indicateurs.items():
        t = chiffres.get("territoire")
        try:
            i = ci.indicateur(id_, catalogue)
        except KeyError:
            continue
        if i.unite == "nombre" and t is not None and not (isinstance(t, float) and math.isnan(t)):
            sortie[id_] = (float(t), i.libelle_court)
    return sortie


def deriver(resultats: dict[str, dict], noms: dict, cadre: str = "ctg", catalogue=None) -> Synthese:
    """Forces, fragilités and enjeux of a set of chapter results ({chapter key: the content of
    build/resultats/<chapter>.json}), by the rules of this module. `noms`: the names of the
    territory and its references ({territoire, departement, region, france})."""
    cadre = cadre if cadre in CADRES else "dst"
    indicateurs = _indicateurs(resultats)
    effectifs = _effectifs(indicateurs, catalogue)
    constats, lus = [], 0
    publics_lus = set()
    for id_, chiffres in indicateurs.items():
        try:
            i = ci.indicateur(id_, catalogue)
        except KeyError:
            continue
        if not _lu(i) or chiffres.get("territoire") is None:
            continue
        lus += 1
        publics_lus.add(i.public or PUBLIC_DU_CHAPITRE.get(i.chapitre, "ensemble"))
        c = constat(id_, chiffres, noms, effectifs, catalogue)
        if c is not None:
            constats.append(c)
    constats.sort(key=cle_de_rang)
    enjeux, vigilance = _enjeux(constats, cadre)
    return Synthese(cadre=cadre, constats=constats, enjeux=enjeux, vigilance=vigilance,
                    publics_sans_indicateur=[PUBLICS[p] for p in PUBLICS if p != "ensemble" and p not in publics_lus],
                    indicateurs_lus=lus, indicateurs_proches=lus - len(constats))


def _enjeux(constats: list[Constat], cadre: str) -> tuple[list[Enjeu], list[Enjeu]]:
    """R10: one enjeu per public (« ensemble »: per chapter) whose first fragilité is at least
    « marquée », at most N_ENJEUX; the other groups of fragilités are points of vigilance."""
    from diagnostic_territorial.chapitres.plan import CHAPITRES

    titres_chapitres = {c.cle: c.titre for c in CHAPITRES}

    def cle(c: Constat) -> str:
        return c.theme if c.public == "ensemble" else c.public

    groupes: dict[str, list[Constat]] = {}
    for c in constats:  # already ranked
        groupes.setdefault(cle(c), []).append(c)
    prioritaires = PUBLICS_DU_CADRE.get(cadre, ())
    enjeux = []
    for k, liste in groupes.items():
        fragilites = [c for c in liste if not c.force]
        if not fragilites:
            continue
        titre = TITRES.get(k) or f"Répondre aux besoins repérés : {titres_chapitres.get(k, k)}"
        enjeux.append(Enjeu(cle=k, titre=titre, public=fragilites[0].public,
                            constats=fragilites[:N_CONSTATS_ENJEU],
                            appuis=[c for c in liste if c.force][:N_APPUIS_ENJEU]))

    def rang(e: Enjeu) -> tuple:
        premier = e.constats[0]
        return (-premier.classe, e.public not in prioritaires, *cle_de_rang(premier)[1:])

    enjeux.sort(key=rang)
    retenus = [e for e in enjeux if e.constats[0].classe >= 2][:N_ENJEUX]
    return retenus, [e for e in enjeux if e not in retenus]


def analyser(etude) -> Synthese:
    """The synthèse of a study: the results of its chapters whose last run succeeded (a failed
    chapter's results are deleted with the failure; an old file of a chapter that is not « ok »
    is not read either)."""
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.execution.notebooks import etats_chapitres

    trouves = resultats.lire_tous(etude)
    ok = [c.cle for c in etats_chapitres(etude) if c.statut == "ok" and c.cle != "synthese"]
    return deriver({k: trouves[k] for k in ok if k in trouves}, noms_references(etude), cadre_de(etude))


def regles(s: Synthese) -> list[str]:
    """The rules behind the enjeux, in French, as the chapter, the synthèse and the slides print them
    (written from the constants above: they cannot drift apart)."""
    pct = lambda x: f"{x * 100:.0f}\u00a0%"  # noqa: E731
    pts = lambda x: fm.decimal(x, 0 if x == int(x) else 1) + (" points" if x >= 2 else " point")  # noqa: E731

    def paires(classe: int) -> str:
        return _ou([pts(p) + (f" et {pct(q)}" if q else "") for p, q in ecarts.SEUILS_TAUX[classe]])

    relatifs = {f: ecarts.SEUILS_RELATIFS[f] for f in ("euros", "autre")}
    net_evolution = ecarts.EVOLUTION_TAUX[1], ecarts.EVOLUTION_RELATIVE[1]
    return [
        "Chaque indicateur dit si une valeur plus élevée est une force (taux d'emploi, couverture de l'accueil du "
        "jeune enfant), une fragilité (pauvreté, chômage) ou seulement descriptive (âges, catégories sociales) : "
        "ces derniers ne sont jamais classés, ni les effectifs (un territoire et son département n'ont pas la même "
        "taille).",
        "Le territoire est comparé à son département (à défaut sa région, puis la France), avec les mêmes seuils "
        "que les commentaires des chapitres : un écart net y est « nettement au-dessus » ou « nettement en dessous », "
        "un écart marqué « au-dessus » ou « en dessous ». Pour un taux, l'écart est net dès "
        f"{paires(ecarts.NET)}, marqué dès {paires(ecarts.MARQUE)} (pourcentages de la valeur de référence) ; "
        f"pour un revenu, net dès {pct(relatifs['euros'][ecarts.NET])}, marqué dès "
        f"{pct(relatifs['euros'][ecarts.MARQUE])} ; pour les autres valeurs (indices, pour 1\u202f000 habitants), "
        f"net dès {pct(relatifs['autre'][ecarts.NET])}, marqué dès {pct(relatifs['autre'][ecarts.MARQUE])}.",
        "Un écart faible avec le département mais marqué avec la France, ou une évolution d'au moins "
        f"{pts(net_evolution[0])} ({pct(net_evolution[1])} hors taux) depuis le millésime précédent, est un point "
        "à surveiller.",
        "Les constats sont classés par ampleur de l'écart, puis par effectif concerné (habitants, ménages, "
        "familles ou enfants que l'indicateur décrit).",
        f"Les fragilités sont regroupées par public ; un groupe dont la première fragilité est nette ou marquée "
        f"propose un enjeu, au plus {N_ENJEUX}" + (
            f", d'abord ceux des publics prioritaires du cadre ({s.cadre_titre} : "
            f"{', '.join(PUBLICS[p].lower() for p in PUBLICS_DU_CADRE[s.cadre])})" if PUBLICS_DU_CADRE.get(s.cadre)
            else "") + " ; les forces du même public sont ses points d'appui.",
    ]


def _ou(elements: list[str]) -> str:
    """« a, ou b, ou c »."""
    return ", ou ".join(elements)


# --- Charts ----------------------------------------------------------------------------------

COULEUR_FORCE = "#3d7a3a"
COULEUR_FRAGILITE = "#b5533c"


def _formater(c: Constat, v) -> str:
    try:
        i = ci.indicateur(c.id)
    except KeyError:
        return fm.NON_DISPONIBLE if v is None else fm.decimal(v, 1)
    if v is None:
        return fm.NON_DISPONIBLE
    if i.unite == "pour_mille" and abs(v) < 10:  # 0,43 and 0,21 équipements pour 1 000, not 0,4 and 0,2
        return fm.decimal(v, 2)
    return ci.formater(i, v)


def figure_constat(c: Constat, largeur: float = 6.5, hauteur: float = 3.2, avec_source: bool = True):
    """Bars of the territory, its département, région and France for one finding (the territory
    in its colour, the reference it is compared with outlined), values written on the bars, title
    and source line: the chart of a finding's slide."""
    import numpy as np

    from diagnostic_territorial.rendu import graphiques as gr

    gr.appliquer_style()
    niveaux = [n for n in NIVEAUX if c.valeurs.get(n) is not None]
    couleurs = {"territoire": gr.COULEUR_TERRITOIRE, "departement": gr.COULEUR_DEPARTEMENT,
                "region": gr.COULEUR_REGION, "france": gr.COULEUR_FRANCE}
    valeurs = np.array([float(c.valeurs[n]) for n in niveaux])
    fig, ax = gr.nouvelle_figure(hauteur=hauteur, largeur=largeur)
    x = np.arange(len(niveaux))
    barres = ax.bar(x, valeurs, width=0.62, color=[couleurs[n] for n in niveaux], zorder=2)
    if c.reference in niveaux and not c.par_evolution:
        barres[niveaux.index(c.reference)].set_edgecolor(gr.GRIS_TEXTE)
        barres[niveaux.index(c.reference)].set_linewidth(1.4)
    haut = float(np.nanmax(valeurs)) if len(valeurs) else 1.0
    for xi, v in zip(x, valeurs):
        ax.text(xi, v + haut * 0.02, _formater(c, v), ha="center", va="bottom", fontsize=9, fontweight="bold",
                color=gr.GRIS_TEXTE)
    ax.set_xticks(x, [_couper(c.noms.get(n, n), 18) for n in niveaux])
    ax.tick_params(axis="x", length=0)
    ax.set_ylim(0, haut * 1.18 if haut > 0 else 1)
    ax.set_yticks([])
    ax.grid(False)
    ax.spines["left"].set_visible(False)
    titre = c.libelle + (f" en {c.annee}" if c.annee else "")
    gr.ajouter_titre(fig, titre, int(largeur * 10.5))
    if avec_source:  # the deliverables print it as text under the image
        gr.ajouter_source(fig, c.source)
    return fig


def figure_enjeu(e: Enjeu, largeur: float = 6.5, avec_source: bool = True):
    """The gaps of an enjeu's findings with their reference, one horizontal bar each (relative
    gap, in % of the reference's value), fragilités in red, points d'appui in green, and in a column
    on the right the values compared: the chart of an enjeu's slide and of its page in the
    synthèse."""
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from diagnostic_territorial.rendu import graphiques as gr

    gr.appliquer_style()
    constats = [c for c in e.constats + e.appuis if not c.par_evolution] or e.constats[:1]
    n = len(constats)
    fig = Figure(figsize=(largeur, 1.25 + 0.5 * n), layout="constrained", dpi=100)
    ax, colonne = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    y = np.arange(n)[::-1]
    ecarts = np.array([c.ecart * 100 for c in constats])
    ax.barh(y, ecarts, color=[COULEUR_FORCE if c.force else COULEUR_FRAGILITE for c in constats], height=0.6,
            zorder=2)
    ax.axvline(0, color=gr.GRIS_TEXTE, linewidth=0.9, zorder=3)
    borne = max(float(np.nanmax(np.abs(ecarts))) if n else 1.0, 5.0) * 1.1
    ax.set_xlim(-borne, borne)
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_yticks(y, [_couper(c.court, 26) for c in constats])
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="y", visible=False)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fm.evolution(v / 100, 0)))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, symmetric=True))
    ax.set_xlabel("Écart à la référence, en % de sa valeur", fontsize=7.5, color=gr.GRIS_SOURCE)
    colonne.set_axis_off()
    colonne.set_xlim(0, 1)
    colonne.set_ylim(-0.6, n - 0.4)
    for yi, c in zip(y, constats):
        texte = (f"{c.valeur('territoire')} contre {c.valeur(c.reference)}\n({c.noms[c.reference]})"
                 if not c.par_evolution else f"{c.valeur('territoire')}, {c.evolution}")
        colonne.text(0, yi, texte, va="center", ha="left", fontsize=7.5, color=gr.GRIS_TEXTE)
    gr.ajouter_titre(fig, "Écart aux références : fragilités (rouge) et points d'appui (vert)", int(largeur * 10.5))
    if avec_source:  # the deliverables print it as text under the image
        gr.ajouter_source(fig, e.source)
    return fig


def _couper(texte: str, largeur: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(texte), largeur)[:3])


def image(fig, dpi: int = 150) -> str:
    """A figure as a ``data:`` PNG address (no file, no network), the figure released."""
    from diagnostic_territorial.rendu import presentation

    try:
        return "data:image/png;base64," + presentation.png_base64(fig, dpi)
    finally:
        presentation._liberer(fig)


# --- The chapter « Synthèse et enjeux » -------------------------------------------------------


def html_constat(c: Constat) -> str:
    """A finding as an HTML list item: its sentence and its effectif (escaped)."""
    from diagnostic_territorial.rendu import assainir

    effectif = (f' <span class="effectif">(effectif concerné : {assainir.texte(c.effectif_texte)})</span>'
                if c.effectif_texte else "")
    return f'<li class="constat {c.nature}">{assainir.texte(c.texte)}{effectif}</li>'


