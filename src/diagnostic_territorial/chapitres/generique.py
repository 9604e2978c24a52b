"""Chapters built from the indicator catalogue: each chapter is a declared plan (sections, their
indicators, the indicator mapped by commune, the key figures), rendered the same way everywhere.
The plans are data (``catalogue/plans.yaml`` in the package, validated at load against the
catalogue of indicators, `charger_plans`): rewording or adding a section is a change of that file.
Each chapter shows:

- an « À retenir » box: key figures of the territory against its département(s) (and its EPCI for
  a list of communes of one EPCI), their evolution between two millésimes and the spread between
  communes;
- per section: a table of the territory against its references (`indicateurs.references`: the
  EPCI of a list of communes, every département and région of the territory, France), the
  evolution between two millésimes when the source has one, a seaborn chart in the report's
  style, the table of the communes, and a choropleth map (static PNG for the PDF, folium for the
  HTML) of one commune-level indicator;
- a study of a single commune has no table, chart or map « by commune » (the commune is the
  territory): its figures are compared with the references only;
- the source and millésime under every table, chart and map; « s » for a secret value, « n.d. »
  for an unavailable one, never 0;
- what inhabitants and local actors said about the theme (survey, interviews, workshops).

The notebooks stay thin: ``ch = generique.ouvrir(etude, "parentalite")``, then ``ch.a_retenir()``
and one ``ch.section("familles")`` per ``##`` heading of the notebook (headings live in markdown
cells, never in outputs). ``scripts/ecrire_notebooks.py`` writes those notebooks from the plans.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from diagnostic_territorial.indicateurs import catalogue as ci
from diagnostic_territorial.rendu import formats as fm
from diagnostic_territorial.indicateurs import calcul as ind
from diagnostic_territorial.erreurs import DonneeManquante
from diagnostic_territorial.chapitres.plan import THEMATIQUES_SPECIFIQUES as _TITRES

SEUIL_BARRES = 30  # above this number of communes, the bar chart shows the extremes only
N_POINTS_MAX = 5
COLONNES_COMMUNES = 5  # indicators shown in the communes' table (the mapped one first)


@dataclass(frozen=True)
class Section:
    cle: str
    titre: str
    indicateurs: tuple[str, ...]
    carte: str | None = None  # indicator mapped by commune
    graphique: str = "references"  # "references": grouped bars; "communes": bars by commune
    texte: str = ""  # a sentence introducing the section (HTML)


@dataclass(frozen=True)
class PlanChapitre:
    cle: str
    introduction: str
    a_retenir: tuple[str, ...]
    sections: tuple[Section, ...]
    parole: bool = True  # a section with what inhabitants and actors said about the theme


# The plans are data, not code: catalogue/plans.yaml (in the package), read on first use (module
# __getattr__ below) and validated against the catalogue of indicators (modeles.FichierPlans).
FICHIER_PLANS = ci.DOSSIER_CATALOGUE / "plans.yaml"
PLANS: dict[str, PlanChapitre]  # every plan by chapter key (thématiques spécifiques last)
# Thématiques spécifiques chosen at generation (cookiecutter « thematiques », etude.yaml): the
# sections of the chapter « thematiques_specifiques », titled by plan.THEMATIQUES_SPECIFIQUES.
THEMATIQUES: dict[str, Section]


def charger_plans(chemin=None, catalogue: dict | None = None) -> tuple[dict[str, PlanChapitre], dict[str, Section]]:
    """(PLANS, THEMATIQUES) of a plans file, validated by modeles.FichierPlans: every indicator
    named must be in the catalogue (`catalogue`, the package's by default); CatalogueInvalide
    names the file, the line, the chapter, the section and the field at fault. Without `chemin`
    nor `catalogue`: the package's plans, read once; otherwise read at each call."""
    if chemin is None and catalogue is None:
        return _plans_du_paquet()
    return _lire_plans(Path(chemin) if chemin is not None else FICHIER_PLANS,
                       ci.charger_catalogue() if catalogue is None else catalogue)


@functools.cache
def _plans_du_paquet() -> tuple[dict[str, PlanChapitre], dict[str, Section]]:
    return _lire_plans(FICHIER_PLANS, ci.charger_catalogue())


def _lire_plans(chemin: Path, catalogue: dict) -> tuple[dict[str, PlanChapitre], dict[str, Section]]:
    from diagnostic_territorial.configuration import modeles
    from diagnostic_territorial.chapitres.plan import CHAPITRES

    fichier = modeles.lire(chemin, modeles.FichierPlans, {
        "indicateurs": set(catalogue), "chapitres": [c.cle for c in CHAPITRES], "thematiques": dict(_TITRES)})

    def section(s, titre: str) -> Section:
        return Section(s.cle, titre, s.indicateurs, s.carte, s.graphique, s.texte)

    thematiques = {t.cle: section(t, _TITRES[t.cle]) for t in fichier.thematiques}
    plans = {}
    for cle, p in fichier.chapitres.items():
        sections = (tuple(thematiques.values()) if cle == modeles.THEMATIQUES_SPECIFIQUES
                    else tuple(section(s, s.titre) for s in p.sections))
        plans[cle] = PlanChapitre(cle, p.introduction, p.a_retenir, sections, p.parole)
    return plans, thematiques


def __getattr__(nom: str):
    if nom == "PLANS":
        return charger_plans()[0]
    if nom == "THEMATIQUES":
        return charger_plans()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {nom!r}")


def plan(cle: str) -> PlanChapitre:
    plans = charger_plans()[0]
    try:
        return plans[cle]
    except KeyError:
        raise KeyError(f"Chapitre sans plan d'indicateurs : « {cle} » ({', '.join(plans)})") from None


def alternatives(entree: str) -> list[str]:
    """The indicators of a plan entry: « part_15_24|part_15_29 » names the same idea measured by the
    age bands of the RP 2023 (Melodi) or of the bases communales; the first with values is shown."""
    return [i.strip() for i in entree.split("|") if i.strip()]


def verifier_plans() -> None:
    """Every indicator of every plan exists in the catalogue (checked at load: CatalogueInvalide
    from charger_plans; KeyError here if the catalogue changed since)."""
    for p in charger_plans()[0].values():
        for entree in p.a_retenir:
            for id_ in alternatives(entree):
                ci.indicateur(id_)
        for s in p.sections:
            for entree in s.indicateurs + ((s.carte,) if s.carte else ()):
                for id_ in alternatives(entree):
                    ci.indicateur(id_)


# --------------------------------------------------------------------------------------------


@dataclass
class Valeur:
    table: pd.DataFrame  # libelle, niveau, codgeo, valeur, secret
    mention: str
    annee: int
    precedente: pd.DataFrame | None = None
    annee_precedente: int | None = None

    def ligne(self, niveau: str, codgeo: str | None = None) -> pd.Series:
        """The row of a niveau (the main one first: `departement` is the main département), or of
        one reference territory when `codgeo` is given."""
        lignes = self.table[self.table["niveau"] == niveau]
        if codgeo is not None:
            lignes = lignes[lignes["codgeo"].astype(str) == str(codgeo)]
        return lignes.iloc[0]

    def communes(self) -> pd.DataFrame:
        return self.table[self.table["niveau"] == "commune"]


# Prefix of the raw values' columns carried beside a display table (see _tableau_communes).
_BRUTE = "__valeur_brute__ "


def _valeur_brute(ligne):
    """The raw value of a row of an indicator's table, None when secret or missing."""
    valeur = ligne["valeur"]
    if bool(ligne["secret"]) or fm.est_manquant(valeur):
        return None
    return float(valeur)


class ChapitreIndicateurs:
    """The indicators of one chapter, computed once, and their display."""

    def __init__(self, etude, cle: str):
        self.etude = etude
        self.plan = plan(cle)
        self.references = ind.references(etude)
        self.calcul = ci.Calcul(etude)
        self.valeurs: dict[str, Valeur] = {}
        self.manquants: dict[str, str] = {}
        sections = self._sections_retenues()
        entrees = list(dict.fromkeys(
            [i for s in sections for i in s.indicateurs + ((s.carte,) if s.carte else ())]
            + [i for i in self.plan.a_retenir]))
        ids = list(dict.fromkeys(i for e in entrees for i in alternatives(e)))
        self.calcul.precharger(ids)
        for id_ in ids:
            self._calculer(id_)
        self.choix = {e: next((i for i in alternatives(e) if i in self.valeurs), alternatives(e)[0])
                      for e in entrees}
        # every section of the plan, retained or not (thématiques spécifiques keeps the chosen ones):
        # an entry of a section left out was not computed and keeps its first alternative
        choisi = lambda e: self.choix.get(e) or alternatives(e)[0]  # noqa: E731
        self.sections = [dataclasses.replace(
            s, indicateurs=tuple(dict.fromkeys(choisi(i) for i in s.indicateurs)),
            carte=choisi(s.carte) if s.carte else None) for s in self.plan.sections]
        self.ids_a_retenir = [self.choix.get(e, alternatives(e)[0]) for e in self.plan.a_retenir]

    @property
    def commune_unique(self) -> bool:
        """A study of one commune: the commune is the territory, nothing is shown « by commune »."""
        return commune_unique(self.etude)

    def _sections_retenues(self) -> list[Section]:
        if self.plan.cle != "thematiques_specifiques":
            return list(self.plan.sections)
        choisies = thematiques_de(self.etude)
        return [s for s in self.plan.sections if s.cle in choisies]

    def _calculer(self, id_: str) -> None:
        i = self.calcul.indicateur(id_)
        try:
            table, mention = self.calcul.calculer(id_)
        except DonneeManquante as e:
            self.manquants[id_] = str(e)
            return
        except ci.MillesimeInconnu as e:
            self.manquants[id_] = str(e)
            return
        if table["valeur"].isna().all():  # computed, but nothing to show: say why
            self.manquants[id_] = f"{i.libelle} : non disponible ({ci.raison_vide(self.calcul, id_, table)})."
            return
        annee = ci.millesimes(self.etude, i)[1]
        v = Valeur(table, mention, annee)  # protected by the engine (indicateurs.secret.proteger)
        precedent = ci.millesimes(self.etude, i, precedent=True)
        if precedent is not None and precedent[1] != annee:
            try:
                v.precedente, _ = self.calcul.calculer(id_, precedent=True)
                v.annee_precedente = precedent[1]
            except (DonneeManquante, ValueError):
                pass
        self.valeurs[id_] = v

    # --- À retenir ------------------------------------------------------------------------

    def points(self) -> list[str]:
        ids = list(self.ids_a_retenir)
        if self.plan.cle == "thematiques_specifiques":
            retenues = {s.cle for s in self._sections_retenues()}
            ids = [s.indicateurs[0] for s in self.sections if s.cle in retenues]
        points = []
        proches = [(n, c, lib) for n, c, lib in self.references if n in ("epci", "departement")]
        for id_ in ids:
            v = self.valeurs.get(id_)
            if v is None:
                continue
            i = self.calcul.indicateur(id_)
            ter = v.ligne("territoire")
            if fm.est_manquant(ter["valeur"]):
                continue
            texte = f"{html.escape(i.libelle, quote=False)} : <strong>{ci.formater(i, ter['valeur'])}</strong> en {v.annee}"
            if i.unite != "nombre":
                comparaisons = []
                for niveau, code, libelle in proches:
                    d = v.ligne(niveau, code)
                    if not fm.est_manquant(d["valeur"]):
                        comparaisons.append(f"{html.escape(libelle, quote=False)} : "
                                            f"{ci.formater(i, d['valeur'], bool(d['secret']))}")
                if comparaisons:
                    texte += f" ({' ; '.join(comparaisons)})"
            if v.precedente is not None:
                avant = v.precedente[v.precedente["niveau"] == "territoire"]["valeur"].iloc[0]
                e = ci.ecart(i, avant, ter["valeur"])
                if e != fm.NON_DISPONIBLE:
                    texte += f", {e} depuis {v.annee_precedente}"
            points.append(texte + ".")
            if len(points) >= N_POINTS_MAX - 1:
                break
        etendue = self._etendue(ids)
        if etendue:
            points.append(etendue)
        return points

    def _etendue(self, ids: list[str]) -> str:
        """« Selon les communes, de 8,1 % (A) à 21,4 % (B). » for the first rate with commune values."""
        for id_ in ids:
            v = self.valeurs.get(id_)
            i = self.calcul.indicateur(id_)
            if v is None or i.unite == "nombre":
                continue
            c = v.communes().dropna(subset=["valeur"])
            if len(c) < 3:
                continue
            bas, haut = c.loc[c["valeur"].idxmin()], c.loc[c["valeur"].idxmax()]
            return (f"{html.escape(i.libelle, quote=False)} selon les communes : de {ci.formater(i, bas['valeur'])} "
                    f"({html.escape(bas['libelle'], quote=False)}) à {ci.formater(i, haut['valeur'])} "
                    f"({html.escape(haut['libelle'], quote=False)}).")
        return ""

    def chiffres(self) -> dict[str, dict]:
        """What the chapter records of each computed indicator for the synthèse (build/resultats/,
        read by chapitres/enjeux.py): the territory's and the references' values, the millésime,
        the source line and, when the source has one, the previous millésime's values
        (``precedent``: the same niveaux and its ``annee``)."""
        niveaux = ("territoire", "departement", "region", "france")

        def valeur(table: pd.DataFrame, niveau: str):
            lignes = table[table["niveau"] == niveau]
            return None if lignes.empty or fm.est_manquant(lignes["valeur"].iloc[0]) else float(lignes["valeur"].iloc[0])

        chiffres = {}
        for id_, v in self.valeurs.items():
            chiffres[id_] = {n: valeur(v.table, n) for n in niveaux} | {"annee": v.annee, "source": v.mention}
            if v.precedente is not None:
                chiffres[id_]["precedent"] = {n: valeur(v.precedente, n) for n in niveaux} | {"annee": v.annee_precedente}
        return chiffres

    def a_retenir(self) -> None:
        """Display the « À retenir » box and record the key figures for the synthèse."""
        from diagnostic_territorial.rendu import presentation
        from diagnostic_territorial.chapitres import resultats

        points = self.points()
        resultats.enregistrer(self.etude, self.plan.cle, points, {"indicateurs": self.chiffres()})
        if points:
            presentation.a_retenir(points)
        elif not self.valeurs:
            presentation.donnees_manquantes("Aucun indicateur de ce chapitre n'a pu être calculé : les sources "
                                            "manquantes sont indiquées dans chaque section.")

    # --- Sections -------------------------------------------------------------------------

    def section(self, cle: str) -> "SectionAffichee":
        """Display one section: missing sources, references table, evolution, chart, communes, map.

        Returns a :class:`SectionAffichee` to explore in JupyterLab: ``.table`` (the values of its
        indicators), ``.figure`` (the chart), ``.carte`` (the interactive map); it is not shown a
        second time by the cell that made it."""
        from diagnostic_territorial.rendu import presentation

        s = next((s for s in self.sections if s.cle == cle), None)
        if s is None:
            raise KeyError(f"Section inconnue « {cle} » du chapitre {self.plan.cle} "
                           f"({', '.join(x.cle for x in self.plan.sections)})")
        messages = list(dict.fromkeys(self.manquants[i] for i in s.indicateurs if i in self.manquants))
        for message in messages:
            presentation.donnees_manquantes(html.escape(message, quote=False))
        ids = [i for i in s.indicateurs if i in self.valeurs]
        resultat = SectionAffichee(self, s, ids)
        if not ids:
            return resultat
        if s.texte:
            presentation._afficher(f'<p class="introduction-section">{s.texte}</p>')
        self._tableau_references(ids, s.titre)
        resultat.figure = self._graphique(s, ids)
        self._tableau_communes(s, ids)
        self._carte(s)
        self._commentaire(s, ids)
        return resultat

    def ajouter_indicateur(self, id: str, libelle: str, source: str, numerateur, denominateur=(),
                           unite: str = "part", facteur: float = 1.0, titre: str | None = None,
                           **autres) -> "SectionAffichee":
        """Compute and display, in one call, an indicator of your own, exactly like those of the
        catalogue (same sources, millésimes, secret statistique, tables, chart and map), e.g.::

            ch.ajouter_indicateur("part_65_ou_plus", "Part des 65 ans ou plus", "rp_evol_struct_pop",
                                  numerateur=["P_POP6579", "P_POP80P"], denominateur="P_POP")

        `numerateur` / `denominateur`: a variable of the source or a list (« -X » subtracts X);
        `unite`: part, pourcent, nombre, euros, indice, decimal, pour_mille; `autres`: any other
        field of an indicator of catalogue/indicateurs.yaml (agregeable, source_denominateur...).
        To keep it for good, declare it in observation_ciblee.yaml or in the catalogue."""
        if unite not in ci.UNITES:
            raise ValueError(f"Unité « {unite} » inconnue pour l'indicateur « {id} » : "
                             f"unités possibles : {', '.join(ci.UNITES)}.")

        def liste(v) -> tuple[str, ...]:
            return (v,) if isinstance(v, str) else tuple(v)

        i = ci.Indicateur(id=id, libelle=libelle, chapitre=self.plan.cle, source=source,
                          numerateur=liste(numerateur), denominateur=liste(denominateur), unite=unite,
                          facteur=float(facteur), **autres)
        catalogue = dict(self.calcul.catalogue if self.calcul.catalogue is not None else ci.charger_catalogue())
        catalogue[id] = i
        self.calcul.catalogue = catalogue
        self.valeurs.pop(id, None)
        self.manquants.pop(id, None)
        self._calculer(id)
        self.sections = [s for s in self.sections if s.cle != id]
        self.sections.append(Section(id, titre or libelle, (id,), carte=id, graphique="communes"))
        return self.section(id)

    def thematique(self, cle: str) -> None:
        """The section of a thématique spécifique, only when the study retained it (otherwise
        nothing is displayed and the report drops its heading)."""
        thematiques = charger_plans()[1]
        if cle not in thematiques:
            raise KeyError(f"Thématique inconnue « {cle} » ({', '.join(thematiques)})")
        if cle in thematiques_de(self.etude):
            self._sans_repetition(cle)
            from diagnostic_territorial.chapitres import parole_habitants

            parole_habitants.afficher_theme(self.etude, cle)

    def _sans_repetition(self, cle: str) -> None:
        """A thématique's section without what a chapter of the report already shows: its indicators
        that a section of another chapter presents become a cross-reference to that section (« voir
        le chapitre 9 « Vie sociale et isolement », section « Personnes âgées » »); the others are
        shown here."""
        from diagnostic_territorial.rendu import presentation

        s = next(x for x in self.sections if x.cle == cle)
        deja, renvois = indicateurs_montres_ailleurs(self.etude, s.indicateurs)
        if not deja:
            self.section(cle)
            return
        phrase = " ; ".join(renvois) + "."
        reste = tuple(i for i in s.indicateurs if i not in deja)
        if not reste:
            presentation._afficher(f'<p class="renvois">{html.escape(phrase, quote=False)}</p>', texte=phrase)
            return
        texte = (s.texte + " " if s.texte else "") + html.escape(phrase, quote=False)
        reduite = Section(s.cle, s.titre, reste, s.carte if s.carte in reste else None, s.graphique, texte)
        self.sections = [reduite if x.cle == cle else x for x in self.sections]
        self.section(cle)

    def parole(self) -> None:
        """What inhabitants (survey) and local actors (interviews, workshops) said about the theme."""
        from diagnostic_territorial.chapitres import parole_habitants

        parole_habitants.afficher_theme(self.etude, self.plan.cle)

    # --- comment written from the figures (chapitres.redaction) -------------------------------

    def _commentaire(self, s: Section, ids: list[str]) -> None:
        """The section's comment written from its figures: a « Proposition de rédaction » until the
        consultant writes the chapter's analysis (then a plain comment, or nothing when his file
        says « [sans commentaires] »), recorded in build/resultats/<chapitre>.json."""
        from diagnostic_territorial.chapitres import redaction, resultats
        from diagnostic_territorial.rendu import presentation

        consultant = self._analyse_consultant()
        texte = redaction.commentaire_section([self.chiffres_redaction(i) for i in ids], list(self.references),
                                              None if self.commune_unique else self.populations(), carte=s.carte)
        montre = bool(texte.paragraphes) and not consultant.sans_commentaires
        if montre:
            presentation.commentaire(texte.paragraphes, proposition=not consultant.ecrite)
        resultats.enregistrer_section(self.etude, self.plan.cle, s.cle, s.titre, texte.indicateurs,
                                      texte.texte if montre else "", montre and not consultant.ecrite)

    def _analyse_consultant(self):
        from diagnostic_territorial.chapitres import lire_analyse

        if getattr(self, "_consultant", None) is None:
            self._consultant = lire_analyse(self.etude, self.plan.cle)
        return self._consultant

    def chiffres_redaction(self, id_: str):
        """What the comment of an indicator is written from (:class:`redaction.Chiffres`)."""
        from diagnostic_territorial.chapitres import redaction

        v = self.valeurs[id_]
        return redaction.Chiffres(self.calcul.indicateur(id_), v.annee, v.table, v.precedente, v.annee_precedente,
                                  self.effectifs(id_))

    def effectifs(self, id_: str) -> pd.DataFrame | None:
        """The counts behind a rate summed from the communes (niveau, codgeo, numerateur,
        denominateur), computed by the same engine from the same source tables; None for a
        published rate, a median, a count or an index without a base to name."""
        from diagnostic_territorial.chapitres import redaction

        i = self.calcul.indicateur(id_)
        if not i.agregeable or not i.denominateur or not (
                redaction.est_taux(i.unite) or redaction._RE_POUR.match(i.libelle)):
            return None
        autre = i.source_denominateur if i.source_denominateur and i.source_denominateur != i.source else ""
        num = dataclasses.replace(i, id=f"{id_}__numerateur", denominateur=(), unite="nombre", facteur=1.0,
                                  source_denominateur="")
        den = dataclasses.replace(i, id=f"{id_}__denominateur", numerateur=i.denominateur, denominateur=(),
                                  unite="nombre", facteur=1.0, source=autre or i.source, source_denominateur="",
                                  millesime="" if autre else i.millesime)
        calcul = ci.Calcul(self.etude, tables=self.calcul.tables, catalogue={num.id: num, den.id: den})
        try:
            t_num, _ = calcul.calculer(num.id)
            t_den, _ = calcul.calculer(den.id)
        except (DonneeManquante, ci.MillesimeInconnu, ValueError, KeyError):
            return None
        cles = ["niveau", "codgeo"]
        num_, den_ = (t.assign(codgeo=t["codgeo"].astype(str))[cles + ["valeur"]].drop_duplicates(cles)
                      for t in (t_num, t_den))
        return num_.rename(columns={"valeur": "numerateur"}).merge(
            den_.rename(columns={"valeur": "denominateur"}), on=cles, how="left")

    def populations(self) -> dict[str, float]:
        """Population of each commune (populations légales, else the census), computed once: the
        comments compare communes only above a population threshold, the maps name the most
        populous communes; {} when unknown (the maps then name the largest communes)."""
        if getattr(self, "_cache_populations", None) is None:
            self._cache_populations = {}
            for id_ in ("population_municipale", "population_rp"):
                try:
                    table, _ = self.calcul.calculer(id_)
                except (DonneeManquante, ci.MillesimeInconnu, ValueError, KeyError):
                    continue
                c = table[table["niveau"] == "commune"].dropna(subset=["valeur"])
                if len(c):
                    self._cache_populations = dict(zip(c["codgeo"].astype(str), c["valeur"].astype(float)))
                    break
        return self._cache_populations

    # --- pieces ---------------------------------------------------------------------------

    def _mention(self, ids: list[str]) -> str:
        return ci.joindre_mentions([self.valeurs[i].mention for i in ids])

    def _tableau_references(self, ids: list[str], titre: str | None = None) -> None:
        """One row per indicator (with its millésime): the territory, its evolution since the
        previous millésime when the source has one, the département, the région and France.
        The raw values go with the table (presentation.tableau, ``valeurs``: None when secret)."""
        from diagnostic_territorial.rendu import presentation

        e = self.etude
        publie = [not self.calcul.indicateur(i).agregeable for i in ids]
        # the France each source publishes (hors Mayotte, métropolitaine...): named when they agree
        noms_france = {str(self.valeurs[i].ligne("france")["libelle"]) for i in ids
                       if (self.valeurs[i].table["niveau"] == "france").any()}
        france = noms_france.pop() if len(noms_france) == 1 else "France"
        periodes = sorted({(self.valeurs[i].annee_precedente, self.valeurs[i].annee) for i in ids
                           if self.valeurs[i].precedente is not None})
        evolution = f"Évolution {periodes[0][0]}-{periodes[0][1]}" if len(periodes) == 1 else "Évolution"
        lignes, brutes = [], []
        for id_ in ids:
            i, v = self.calcul.indicateur(id_), self.valeurs[id_]
            ligne = {"Indicateur": fm.insecables(f"{i.libelle_court} ({v.annee})")}  # « 1 000 » never cut
            ter = v.ligne("territoire")
            ligne[e.nom_territoire] = ci.formater(i, ter["valeur"], bool(ter["secret"]))
            brute = {e.nom_territoire: _valeur_brute(ter)}
            if periodes:
                if v.precedente is None:
                    ligne[evolution] = ""
                else:
                    avant = v.precedente.set_index("niveau")["valeur"].get("territoire")
                    texte = ci.ecart(i, avant, ter["valeur"])
                    ligne[evolution] = texte + (f" ({v.annee_precedente}-{v.annee})" if len(periodes) > 1 else "")
            for niveau, code, nom in self.references:
                l = v.ligne(niveau, code)
                ligne[france if niveau == "france" else nom] = ci.formater(i, l["valeur"], bool(l["secret"]))
                brute[france if niveau == "france" else nom] = _valeur_brute(l)
            lignes.append(ligne)
            brutes.append(brute)
        source = self._mention(ids) + (" ; pt : point de pourcentage" if any(
            self.calcul.indicateur(i).unite in ("part", "pourcent") for i in ids) and periodes else "")
        annees = {str(self.valeurs[i].annee) for i in ids}
        millesime = int(annees.pop()) if len(annees) == 1 and next(iter(annees)).isdigit() else None
        presentation.tableau(pd.DataFrame(lignes), source, titre=titre, millesime=millesime,
                             valeurs=pd.DataFrame(brutes))
        if any(publie) and e.type_territoire == "communes" and len(e.communes) > 1:
            presentation._afficher(
                '<p class="note">n.d. : l\'Insee et la Cnaf ne publient pas de médiane ni de taux pour un '
                "regroupement libre de communes ; lisez les communes ci-dessous et les territoires de "
                "référence.</p>")

    def _graphique(self, s: Section, ids: list[str]):
        from diagnostic_territorial.rendu import graphiques
        from diagnostic_territorial.rendu import presentation

        e = self.etude
        taux = [i for i in ids if self.calcul.indicateur(i).unite in ("part", "pourcent")][:8]
        if (s.graphique == "references" or self.commune_unique) and len(taux) >= 1:
            noms = [("territoire", None, e.nom_territoire)] + list(self.references)
            lignes = []
            for id_ in taux:
                i, v = self.calcul.indicateur(id_), self.valeurs[id_]
                for n, code, nom in noms:
                    lignes.append({"categorie": i.libelle_court, "groupe": nom,
                                   "valeur": ci.en_ratio(i, v.ligne(n, code)["valeur"])})
            long = pd.DataFrame(lignes)
            if long["valeur"].notna().any():
                annee = self.valeurs[taux[0]].annee
                fig = graphiques.barres_comparees(long, "categorie", "valeur", "groupe",
                                                  titre=f"{s.titre} : le territoire et ses références ({annee})",
                                                  source="", format_valeur=fm.pourcentage,
                                                  etiquettes=len(taux) <= 3)
                presentation.figure(fig, self._mention(taux))
                return fig
        cible = s.carte if s.carte in self.valeurs else ids[0]
        if self.commune_unique:
            return self._barres_references(cible)
        return self._barres_communes(cible)

    def _barres_references(self, id_: str) -> None:
        """A single commune: one bar for the commune and each of its references (a count has no
        meaningful reference: nothing is drawn)."""
        from diagnostic_territorial.rendu import graphiques
        from diagnostic_territorial.rendu import presentation

        i, v = self.calcul.indicateur(id_), self.valeurs[id_]
        if i.unite == "nombre":
            return
        lignes = [("territoire", None, self.etude.nom_territoire)] + list(self.references)
        table = pd.DataFrame([{"libelle": nom, "valeur": ci.en_ratio(i, v.ligne(n, code)["valeur"]),
                               "secret": bool(v.ligne(n, code)["secret"])} for n, code, nom in lignes])
        if table["valeur"].notna().sum() < 2:
            return
        fig = graphiques.barres_horizontales(table, "valeur", "libelle",
                                             f"{i.libelle} : la commune et ses références ({v.annee})", "",
                                             format_valeur=self._format_graphique(i), colonne_secret="secret")
        presentation.figure(fig, v.mention)
        return fig

    def _barres_communes(self, id_: str) -> None:
        i, v = self.calcul.indicateur(id_), self.valeurs[id_]
        table = v.table.assign(valeur=[ci.en_ratio(i, x) for x in v.table["valeur"]])
        return barres_communes(self.etude, table, i.libelle, v.annee, v.mention, self._format_graphique(i),
                               unite=i.unite)

    @staticmethod
    def _format_graphique(i: ci.Indicateur):
        if i.unite in ("part", "pourcent"):
            return fm.pourcentage
        return lambda x, secret=False: ci.formater(i, x, secret)

    def _tableau_communes(self, s: Section, ids: list[str]) -> None:
        from diagnostic_territorial.rendu import presentation
        from diagnostic_territorial.chapitres import reduire_communes

        if self.commune_unique:  # the commune is the territory: its figures are in the table above
            return
        cle = s.carte if s.carte in self.valeurs else ids[0]
        # an indicator the source does not publish by commune (only « n.d. » in its column) has no
        # column: a sentence says so instead, and no table at all when none is published by commune
        publies = [i for i in ids if _publie_par_commune(self.valeurs[i])]
        absents = [fm.insecables(self.calcul.indicateur(i).libelle_court) for i in ids if i not in publies]
        if not publies:
            presentation._afficher(f'<p class="note">{html.escape(_non_publie_par_commune(absents, True), quote=False)}</p>')
            return
        cle = cle if cle in publies else publies[0]
        colonnes = ([cle] + [i for i in publies if i != cle])[:COLONNES_COMMUNES]
        colonnes = [i for i in ids if i in colonnes]  # the section's order
        c = self.valeurs[ids[0] if ids[0] in publies else cle].communes()
        table = pd.DataFrame({"Commune": list(c["libelle"])})
        brutes = {}  # the raw values, carried through reduire_communes beside the formatted ones
        for id_ in colonnes:
            i, v = self.calcul.indicateur(id_), self.valeurs[id_]
            vc = v.communes().set_index("codgeo")
            nom = fm.insecables(i.libelle_court)  # « (pour 1 000 hab.) » never cut at its space
            table[nom] = [ci.formater(i, vc.loc[code, "valeur"], bool(vc.loc[code, "secret"]))
                          if code in vc.index else fm.NON_DISPONIBLE for code in c["codgeo"]]
            brutes[_BRUTE + nom] = [_valeur_brute(vc.loc[code]) if code in vc.index else None
                                    for code in c["codgeo"]]
        table = pd.concat([table, pd.DataFrame(brutes, dtype="object")], axis=1)
        tri = self.valeurs[cle].communes().set_index("codgeo")["valeur"]
        valeurs = [tri.get(code) for code in c["codgeo"]]
        i = self.calcul.indicateur(cle)
        table = reduire_communes(table, ["commune"] * len(table), valeurs,
                                 fm.insecables(f"Les communes aux valeurs les plus élevées ({i.libelle_court}) :"),
                                 fm.insecables(f"Les communes aux valeurs les plus faibles ({i.libelle_court}) :"))
        brutes = table[list(brutes)].rename(columns=lambda nom: nom[len(_BRUTE):])
        table = table.drop(columns=[nom for nom in table.columns if nom.startswith(_BRUTE)])
        presentation._afficher('<p class="titre-tableau">Les communes du territoire</p>')
        complementaire = any(self.valeurs[i].table.attrs.get("secret_complementaire") for i in colonnes)
        presentation.tableau(table, self._mention(colonnes) + ". s : secret statistique" + (
            " (une commune est masquée en plus quand la valeur secrète d'une autre se déduirait du total du "
            "territoire)" if complementaire else "") + " ; n.d. : non disponible",
            titre=f"{s.titre} : les communes du territoire", valeurs=brutes)
        if absents:
            presentation._afficher(f'<p class="note">{html.escape(_non_publie_par_commune(absents), quote=False)}</p>')

    def _donnees_carte(self, s: Section) -> dict | None:
        """What the section's map draws (communes' contours, values and population, title, source,
        the territory's value for the alternative text), or None."""
        from diagnostic_territorial.rendu import cartes

        if not s.carte or s.carte not in self.valeurs or self.commune_unique:
            return None
        i, v = self.calcul.indicateur(s.carte), self.valeurs[s.carte]
        c = v.communes()[["codgeo", "valeur", "secret"]].rename(columns={"codgeo": "code"})
        if c["valeur"].notna().sum() < 2:
            return None
        c = c.assign(valeur=[ci.en_ratio(i, x) for x in c["valeur"]])
        gdf = cartes.contours_etude(list(c["code"]), self.etude.dossier_cache).merge(c, on="code")
        populations = self.populations()
        if populations:  # the most populous communes are named on the map
            gdf[cartes.COLONNE_POIDS] = [populations.get(code, float("nan")) for code in gdf["code"]]
        references = {}
        ter = v.ligne("territoire")
        if i.unite != "nombre" and not fm.est_manquant(ter["valeur"]):  # a count's total compares with nothing
            references[self.etude.nom_territoire] = ci.en_ratio(i, ter["valeur"])
        return dict(gdf=gdf, colonne="valeur", titre=f"{i.libelle} par commune ({v.annee})", source=v.mention,
                    format_valeur=self._format_graphique(i), legende=i.libelle_court, colonne_secret="secret",
                    references=references or None)

    def _carte(self, s: Section) -> None:
        from diagnostic_territorial.rendu import presentation

        donnees = self._donnees_carte(s)
        if donnees is not None:
            presentation.carte(**donnees)


class SectionAffichee:
    """A section of a chapter once displayed, to explore in JupyterLab:

    - ``.table``: the values of its indicators (one row per indicator and territory: communes, the
      territory, its references), with ``valeur`` unrounded and ``secret``;
    - ``.figure``: its matplotlib chart (None when it has none);
    - ``.carte``: its interactive map (folium.Map, built on demand; None when it has none, or when
      most communes are masked and the report shows a table instead).

    ``.figure.texte_alternatif`` and ``.carte.texte_alternatif`` say in words what they show.

    ``display(section)`` shows it again; the cell that made it does not show it twice."""

    def __init__(self, chapitre: "ChapitreIndicateurs", section: Section, ids: list[str]):
        self.chapitre, self.section, self.indicateurs = chapitre, section, ids
        self.figure = None
        self._execution = _numero_execution()

    @property
    def table(self) -> pd.DataFrame:
        parties = [self.chapitre.valeurs[i].table.assign(indicateur=i, annee=self.chapitre.valeurs[i].annee)
                   for i in self.indicateurs]
        if not parties:
            return pd.DataFrame(columns=["indicateur", "annee", "libelle", "niveau", "codgeo", "valeur", "secret"])
        t = pd.concat(parties, ignore_index=True)
        return t[["indicateur", "annee", "libelle", "niveau", "codgeo", "valeur", "secret"]]

    @property
    def carte(self):
        from diagnostic_territorial.rendu import cartes

        donnees = self.chapitre._donnees_carte(self.section)
        if donnees is None or cartes.trop_masquee(donnees["gdf"], donnees["colonne"]):
            return None  # no map drawn (the report shows the published values as a table)
        return cartes.carte_interactive(donnees["gdf"], donnees["colonne"], donnees["titre"], donnees["source"],
                                        format_valeur=donnees["format_valeur"], legende=donnees["legende"],
                                        colonne_secret=donnees["colonne_secret"], references=donnees["references"])

    def _ipython_display_(self) -> None:
        if _numero_execution() == self._execution and self._execution is not None:
            self._execution = None  # the cell that displayed it: shown once
            return
        self.chapitre.section(self.section.cle)

    def __repr__(self) -> str:
        return f"<Section « {self.section.titre} » : {len(self.indicateurs)} indicateur(s)>"


def _numero_execution():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


def barres_communes(etude, table: pd.DataFrame, libelle: str, annee, mention: str, format_valeur,
                    references: tuple[str, ...] = ("territoire", "departement"), unite: str | None = None):
    """Horizontal bars of an indicator by commune, highest first, with the values of the
    `references` niveaux as reference lines (every département for « departement »), and returns
    the figure (None when there is nothing to compare). `table`: libelle, niveau, codgeo, valeur,
    secret (values on the chart's scale). Nothing for a single commune.

    Up to SEUIL_BARRES communes, every commune (a secret one marked « s »). Beyond, the communes
    with a published value only: all of them when there are SEUIL_BARRES or fewer, otherwise the
    N_EXTREMES highest and the N_EXTREMES lowest (`chapitres.extremes`: each commune once). A count
    (`unite` « nombre ») has no reference line: the total of the territory or of the département
    is not a level a commune can be compared with."""
    from diagnostic_territorial.chapitres import N_EXTREMES, extremes
    from diagnostic_territorial.rendu import graphiques
    from diagnostic_territorial.rendu import presentation

    c = table[table["niveau"] == "commune"].reset_index(drop=True)
    publiees = c[pd.to_numeric(c["valeur"], errors="coerce").notna()]
    if len(publiees) < 2:
        return None
    if unite == "nombre":
        references = ()
    suffixe = f" ({annee})" if annee else ""
    titre = f"{libelle} par commune{suffixe}"
    coupure, texte_coupure = None, ""
    if len(c) > SEUIL_BARRES:
        hauts, bas = extremes(publiees["valeur"], N_EXTREMES)
        if bas and len(publiees) > SEUIL_BARRES:
            coupure = len(hauts)
            autres = len(c) - len(hauts) - len(bas)
            texte_coupure = f"… {autres} autres communes …"
            titre = (f"{libelle} : les {len(hauts)} communes aux valeurs les plus élevées et les {len(bas)} "
                     f"plus faibles{suffixe}")
            c = c.loc[hauts + bas]
        else:  # few published values: all of them, the communes without one left out and counted
            c = publiees.sort_values("valeur", ascending=False, kind="stable")
            titre = (f"{libelle} par commune{suffixe} : les {len(c)} communes dont la valeur est publiée "
                     f"(sur {len(table[table['niveau'] == 'commune'])})")
    else:
        c = c.sort_values("valeur", ascending=False, na_position="last", kind="stable")
    reference = {}
    for n in references:
        for _, ligne in table[table["niveau"] == n].iterrows():
            nom = etude.nom_territoire if n == "territoire" else str(ligne["libelle"])
            if not fm.est_manquant(ligne["valeur"]):
                reference[nom] = float(ligne["valeur"])
    fig = graphiques.barres_horizontales(c, "valeur", "libelle", titre, "", format_valeur=format_valeur,
                                         reference=reference or None, colonne_secret="secret",
                                         coupure=coupure, texte_coupure=texte_coupure)
    presentation.figure(fig, mention)
    return fig


def _publie_par_commune(v: Valeur) -> bool:
    """Whether any commune has a value (or a secret one) for this indicator: the Cnaf publishes the
    AAH and the AEEH by intercommunalité only, a commune's column would only say « n.d. »."""
    c = v.communes()
    return bool(len(c)) and bool((c["valeur"].notna() | c["secret"].astype(bool)).any())


def _non_publie_par_commune(libelles: list[str], aucun: bool = False) -> str:
    """The sentence that replaces the communes' table (`aucun`) or the columns left out of it."""
    un = len(libelles) == 1
    liste = " et ".join([", ".join(libelles[:-1]), libelles[-1]]) if len(libelles) > 1 else "".join(libelles)
    if aucun:
        return (f"Pas de tableau par commune : la source ne publie pas {'ce chiffre' if un else 'ces chiffres'} par "
                f"commune ({liste}) ; {'il est donné' if un else 'ils sont donnés'} ci-dessus pour le territoire et "
                "ses références.")
    return f"{liste} : la source ne publie pas {'ce chiffre' if un else 'ces chiffres'} par commune."


def commune_unique(etude) -> bool:
    """True for a study of a single commune (the usual ABS of a CCAS)."""
    return len(etude.communes) == 1


def indicateurs_montres_ailleurs(etude, indicateurs) -> tuple[list[str], list[str]]:
    """Which of `indicateurs` (a thématique's) a section of a chapter of the study's report shows
    together (two or more of them in one section: the thématique would repeat that block; a single
    indicator gathered from a section stays in the thématique's regrouping), and the French
    cross-references to those sections: « « Part des personnes de 80 ans ou plus
    vivant seules », « Personnes de 80 ans ou plus » sont présentés au chapitre 9 « Vie sociale et
    isolement », section « Personnes âgées » »."""
    from diagnostic_territorial.chapitres.plan import chapitres_etude

    racine = getattr(etude, "racine", None)
    if racine is None:
        return [], []
    plans = charger_plans()[0]
    deja: list[str] = []
    renvois: list[str] = []
    for numero, c in enumerate(chapitres_etude(racine), start=1):
        if c.cle == "thematiques_specifiques" or c.cle not in plans:
            continue
        for sec in plans[c.cle].sections:
            dans_section = {a for e in sec.indicateurs for a in alternatives(e)}  # « a|b »: either
            communs = [i for i in indicateurs if set(alternatives(i)) & dans_section and i not in deja]
            if len(communs) >= 2 or (communs and len(communs) == len(indicateurs)):  # a block of that section
                deja += communs
                liste = ", ".join(f"« {ci.indicateur(alternatives(i)[0]).libelle} »" for i in communs)
                renvois.append(f"{liste} {'sont présentés' if len(communs) > 1 else 'est présenté'} au chapitre "
                               f"{numero} « {c.titre} », section « {sec.titre} »")
    return deja, renvois


def thematiques_de(etude) -> list[str]:
    """The thématiques spécifiques retained by the study (all of them when etude.yaml is silent)."""
    thematiques = charger_plans()[1]
    choisies = getattr(etude, "thematiques", None)
    if choisies is None:
        return list(thematiques)
    return [t for t in choisies if t in thematiques]


def ouvrir(etude, cle: str) -> ChapitreIndicateurs:
    """Compute the indicators of a chapter (first cell of the chapter's notebook)."""
    return ChapitreIndicateurs(etude, cle)
