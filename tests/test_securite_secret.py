"""Sécurité et intégrité (issue 14), « Privacy and secret statistique »:

1. the switches of etude.yaml's ``enquete:`` section accept only real booleans (true/false,
   oui/non, vrai/faux), the threshold is at least 5, anything else is refused with the file, the
   line and the field;
2. published verbatims are masked: a corpus of disguised e-mails, phone numbers, postal addresses
   and listed names, and innocent sentences left intact;
3. no survey count under the threshold is published — cells, margins, totals, the number of
   respondents, the effective size — and no suppressed cell can be recomputed from the published
   values of its table, by subtraction nor by adding that counts are never negative (hypothesis);
4. a commune a public source masks cannot be recomputed as the published territory's total minus
   the other communes (complementary suppression).
"""

from __future__ import annotations

import math
import re
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostic_territorial import enquete as eq
from diagnostic_territorial.enquete import protection
from diagnostic_territorial.enquete.questionnaire import charger_questionnaire
from diagnostic_territorial.enquete.tabulation import ENSEMBLE, Enquete
from diagnostic_territorial.erreurs import ErreurDiagnostic, EtudeInvalide

from conftest import COMMUNES_CŒUR_DE_GARONNE

COMMUNES = pd.DataFrame({"code": ["31135", "31299", "31065"], "nom": ["Cazères", "Rieumes", "Bérat"]})


def etude_yaml(dossier: Path, section: str) -> types.SimpleNamespace:
    """A study whose etude.yaml holds `section` (the ``enquete:`` lines) after a few other lines,
    as Etude.charger would load it (brut = the parsed file, chemin, racine)."""
    chemin = dossier / "etude.yaml"
    chemin.write_text("etude:\n  nom: Test\nterritoire:\n  type: communes\n" + section, encoding="utf-8")
    return types.SimpleNamespace(racine=dossier, chemin=chemin, brut=yaml.safe_load(chemin.read_text("utf-8")),
                                 communes=COMMUNES)


# --- 1. Switches and threshold of etude.yaml -------------------------------------------------------

@pytest.mark.parametrize("ecrit, attendu", [
    ("non", False), ("oui", True), ("faux", False), ("vrai", True), ("false", False), ("true", True),
    ("Non", False), ("OUI", True), ("False", False), ("TRUE", True), ('"non"', False), ("'oui'", True),
])
def test_interrupteurs_booleens_acceptes(tmp_path, ecrit, attendu):
    for forme in (f"enquete:\n  publier_verbatims: {ecrit}\n  ponderation: {ecrit}\n",
                  f"enquete: {{publier_verbatims: {ecrit}, ponderation: {ecrit}}}\n"):
        e = etude_yaml(tmp_path, forme)
        assert eq.publier_verbatims(e) is attendu
        assert eq.ponderation(e) is attendu


def test_publier_verbatims_non_ne_publie_rien(tmp_path):
    """The bug of the issue: « publier_verbatims: non » was the string "non", and bool("non") is
    True: the verbatims were published."""
    q = _questionnaire(tmp_path, texte=True)
    reponses = pd.DataFrame({"commune": ["31135"] * 6, "sexe": ["Femme"] * 6, "q": ["A"] * 6,
                             "texte": ["Appelez Mme Lagarde au 06 12 34 56 78"] * 6})
    for forme in ("enquete: {publier_verbatims: non}\n", "enquete:\n  publier_verbatims: non\n",
                  "enquete:\n  publier_verbatims: faux\n", "enquete:\n  seuil: 5\n", ""):
        e = etude_yaml(tmp_path, forme)
        assert eq.verbatims(e, Enquete(q, reponses, COMMUNES)) == [], forme
    e = etude_yaml(tmp_path, "enquete:\n  publier_verbatims: oui\n  noms_a_masquer: [Lagarde]\n")
    assert eq.verbatims(e, Enquete(q, reponses, COMMUNES)) == ["Appelez Mme [masqué] au [masqué]"]


@pytest.mark.parametrize("ecrit", ["no", "yes", "on", "off", "y", "n", "1", "0", "peut-être", "nom", "''",
                                   "[oui]", "{a: 1}", "2", "Non merci"])
def test_interrupteur_refuse_avec_fichier_ligne_et_champ(tmp_path, ecrit):
    e = etude_yaml(tmp_path, f"enquete:\n  seuil: 5\n  publier_verbatims: {ecrit}\n")
    with pytest.raises(EtudeInvalide) as erreur:
        eq.publier_verbatims(e)
    message = str(erreur.value)
    assert str(e.chemin) in message and "ligne 7" in message and "« enquete.publier_verbatims »" in message
    assert "oui / non" in message or "oui/non" in message
    assert isinstance(erreur.value, ErreurDiagnostic)  # the CLI prints it without a traceback
    with pytest.raises(EtudeInvalide, match="ligne 7"):
        eq.verifier_configuration(e)


@pytest.mark.parametrize("ecrit", ["", "~"])
def test_interrupteur_vide_vaut_le_defaut(tmp_path, ecrit):
    """An empty value is the default: verbatims unpublished, weighting on."""
    e = etude_yaml(tmp_path, f"enquete:\n  publier_verbatims: {ecrit}\n  ponderation: {ecrit}\n")
    assert eq.publier_verbatims(e) is False and eq.ponderation(e) is True


def test_ponderation_refusee_et_section_mal_formee(tmp_path):
    e = etude_yaml(tmp_path, "enquete: {seuil: 6, ponderation: peut-être}\n")
    with pytest.raises(EtudeInvalide, match=r"ligne 5, champ « enquete\.ponderation » : « peut-être » n'est pas"):
        eq.ponderation(e)
    e = etude_yaml(tmp_path, "enquete: non\n")
    with pytest.raises(EtudeInvalide, match=r"ligne 5, champ « enquete » : une section de champs"):
        eq.publier_verbatims(e)


@pytest.mark.parametrize("ecrit", ["4", "0", "-3", "1", "4.5", "cinq", "true", "'3'", "'7'", "[5]"])
def test_seuil_sous_5_ou_invalide_refuse(tmp_path, ecrit):
    e = etude_yaml(tmp_path, f"enquete:\n  publier_verbatims: non\n  seuil: {ecrit}\n")
    with pytest.raises(EtudeInvalide) as erreur:
        eq.seuil(e)
    message = str(erreur.value)
    assert str(e.chemin) in message and "ligne 7" in message and "« enquete.seuil »" in message
    if ecrit in ("4", "0", "-3", "1"):
        assert f"seuil de {ecrit} refusé" in message and "5 ou plus" in message
    else:
        assert "n'est pas un nombre entier" in message


@pytest.mark.parametrize("ecrit, attendu", [("5", 5), ("12", 12)])
def test_seuil_accepte(tmp_path, ecrit, attendu):
    assert eq.seuil(etude_yaml(tmp_path, f"enquete:\n  seuil: {ecrit}\n")) == attendu
    assert eq.seuil(etude_yaml(tmp_path, "")) == 5


def test_etude_generee_publier_verbatims_non(racine, tmp_path):
    """On a study generated by cookiecutter and loaded by Etude.charger: « non » is False, « no »
    and a threshold of 3 are refused with etude.yaml, the line and the field."""
    from cookiecutter.main import cookiecutter

    from diagnostic_territorial.configuration.etude import Etude

    dossier = Path(cookiecutter(str(racine), no_input=True, output_dir=str(tmp_path),
                                extra_context={"code_territoire": "31135,31454", "territoire": "secret"}))
    chemin = dossier / "etude.yaml"
    debut = chemin.read_text(encoding="utf-8")
    lignes = debut.count("\n")
    chemin.write_text(debut + "enquete:\n  seuil: 5\n  publier_verbatims: non\n", encoding="utf-8")
    etude = Etude.charger(chemin)
    assert eq.publier_verbatims(etude) is False and eq.ponderation(etude) is True and eq.seuil(etude) == 5
    chemin.write_text(debut + "enquete:\n  seuil: 5\n  publier_verbatims: no\n", encoding="utf-8")
    with pytest.raises(EtudeInvalide, match=rf"etude\.yaml, ligne {lignes + 3}, champ « enquete\.publier_verbatims »"):
        eq.publier_verbatims(Etude.charger(chemin))
    chemin.write_text(debut + "enquete:\n  seuil: 3\n", encoding="utf-8")
    with pytest.raises(EtudeInvalide, match=rf"etude\.yaml, ligne {lignes + 2}, champ « enquete\.seuil »"):
        eq.seuil(Etude.charger(chemin))


def test_charger_enquete_verifie_les_reglages(tmp_path):
    """The survey is never tabulated with a threshold below 5 (refused before the export is read)."""
    e = etude_yaml(tmp_path, "enquete:\n  seuil: 3\n")
    with pytest.raises(EtudeInvalide, match="5 ou plus"):
        eq.charger_enquete(e)


def test_noms_a_masquer_non_utf8(tmp_path):
    e = etude_yaml(tmp_path, "")
    (tmp_path / "enquete").mkdir()
    (tmp_path / "enquete" / "noms_a_masquer.txt").write_bytes("Dupont\nLefèvre\n".encode("cp1252"))
    with pytest.raises(EtudeInvalide, match=r"noms_a_masquer\.txt, ligne 2 : .*UTF-8"):
        eq.noms_a_masquer(e)


# --- 2. Masking of verbatims: corpus ----------------------------------------------------------------

NOMS = ["Lagarde", "Hélène Lefèvre", "Le Goff", "Martin"]

# (verbatim, fragments that must have disappeared)
A_MASQUER = [
    # e-mails and their disguises
    ("Écrivez à jean.dupont@example.org pour le club.", ["jean", "dupont", "example"]),
    ("Mon adresse : JEAN.DUPONT@GMAIL.COM merci", ["JEAN", "DUPONT", "GMAIL"]),
    ("contact : jean.dupont (at) gmail.com", ["dupont", "gmail"]),
    ("contact : jean.dupont[at]gmail.com", ["dupont", "gmail"]),
    ("écrivez-moi jean.dupont at gmail dot com si besoin", ["dupont", "gmail"]),
    ("jean point dupont arobase orange point fr", ["dupont", "orange"]),
    ("Mail: jean.dupont arobase orange.fr", ["dupont", "orange"]),
    ("mon mail j.dupont @ orange . fr voilà", ["dupont", "orange"]),
    ("jean_dupont(at)mairie-cazeres(dot)fr", ["dupont", "mairie-cazeres"]),
    ("marie.martine {at} laposte [dot] net", ["marie", "laposte"]),
    ("suivez-moi sur @marie_dupont31", ["marie_dupont"]),
    # phone numbers
    ("appelez le 06 12 34 56 78 le soir", ["56 78", "06 12"]),
    ("tel 06.12.34.56.78", ["56.78"]),
    ("tel 06-12-34-56-78", ["56-78"]),
    ("tel 06/12/34/56/78", ["56/78"]),
    ("tel0612345678 merci", ["12345678"]),
    ("joignable au +33 6 12 34 56 78", ["56 78", "+33"]),
    ("joignable au +33 (0)6 12 34 56 78", ["56 78", "+33"]),
    ("joignable au +33(0)612345678", ["612345678"]),
    ("joignable au 0033 6 12 34 56 78", ["56 78", "0033"]),
    ("fixe : 05 61 23 45 67.", ["45 67"]),
    ("portable 06 - 12 - 34 - 56 - 78", ["56 - 78"]),
    ("portable 0 6 1 2 3 4 5 6 7 8", ["5 6 7 8"]),
    ("tél:0561234567", ["0561234567"]),
    ("à Londres +44 20 7946 0958", ["7946", "0958"]),
    ("le 06 12 34 5678", ["5678"]),
    ("portable 06\u00a012\u00a034\u00a056\u00a078", ["56\u00a078"]),
    # postal addresses
    ("J'habite au 12 rue des Lilas, c'est bruyant.", ["12 rue", "Lilas"]),
    ("au 12 bis, rue Victor Hugo", ["Victor", "Hugo", "12 bis"]),
    ("3 avenue de la Gare", ["Gare", "3 avenue"]),
    ("3 av. de la Gare", ["Gare"]),
    ("15 bd Gambetta", ["Gambetta"]),
    ("au 4 chemin du Moulin il n'y a pas de bus", ["Moulin", "4 chemin"]),
    ("7 impasse des Roses", ["Roses"]),
    ("2 allée des Pins", ["Pins"]),
    ("1 place de l'Église", ["Église"]),
    ("45 route de Toulouse", ["45 route"]),
    ("au lieu-dit La Borde il n'y a rien", ["Borde"]),
    ("lieu dit en Sarrat", ["Sarrat"]),
    ("12 rue des Lilas, 31220 Cazères", ["31220", "Lilas"]),
    ("n° 8 rue de la République", ["8 rue", "République"]),
    ("j'habite 12 rue de la gare depuis 3 ans", ["gare", "12 rue"]),
    ("écrire BP 12 à la mairie", ["BP 12"]),
    ("5, impasse Jean Jaurès", ["Jaurès"]),
    ("12-14 rue Pasteur", ["Pasteur"]),
    ("code postal 31 220 Cazères", ["31 220"]),
    # names of the list: whole words, any case, any accents, any separator
    ("Mme Lagarde nous aide", ["Lagarde"]),
    ("LAGARDE est formidable", ["LAGARDE"]),
    ("merci à lagarde", ["lagarde"]),
    ("helene lefevre est venue", ["helene", "lefevre"]),
    ("HÉLÈNE LEFÈVRE", ["HÉLÈNE", "LEFÈVRE"]),
    ("Mme le-goff", ["goff"]),
    ("Martin, le voisin", ["Martin"]),
]

INTACTES = [
    "La rue principale est belle mais trop passante.",
    "J'habite rue de la Gare depuis 20 ans.",  # a street without a number: many households (kept)
    "Il manque 2 places en crèche et 1 place de parking pour les familles.",
    "Il y a 3 routes dangereuses et 1 route trop étroite.",
    "Il faut 2 chemins piétons et 1 chemin de randonnée.",
    "Le marché du 12 mai, 30 % des gens y vont.",
    "Entre 2015 et 2020, 1 200 familles sont arrivées.",
    "Les années 2019 2020 2021 ont été difficiles.",
    "Un budget de 1 500 000 000 € pour la région, c'est beaucoup.",
    "Rendez-vous à 18 h 30 à la salle des fêtes, le 03/04/2024.",
    "Le point de vue est magnifique, au point que je reste.",
    "Je vais chez le médecin à Toulouse, 45 km aller-retour.",
    "Mon fils de 12 ans prend le bus de 7 h 15.",
    "Nous sommes 4 dans un T3 de 65 m2, loyer 15000 euros par an.",
    "Martine et les Saint-Martinois ne sont pas dans la liste.",
    "Le 115 et le 3919 sont des numéros utiles.",
    "Le 1er mars 2024 à 10h, rendez-vous at the club.",
]


def test_corpus_de_formes_deguisees_masquees():
    assert len(A_MASQUER) >= 30
    fuites = []
    for texte, fragments in A_MASQUER:
        masque = protection.masquer_texte(texte, NOMS)
        if protection.MASQUE not in masque or any(f.lower() in masque.lower() for f in fragments):
            fuites.append((texte, masque))
    assert fuites == []


def test_phrases_innocentes_intactes():
    assert len(INTACTES) >= 10
    abimees = [(t, protection.masquer_texte(t, NOMS)) for t in INTACTES if protection.masquer_texte(t, NOMS) != t]
    assert abimees == []


def test_masquage_garde_le_reste_de_la_phrase():
    assert protection.masquer_texte("J'habite au 12 rue des Lilas, c'est bruyant.") == \
        "J'habite au [masqué], c'est bruyant."
    assert protection.masquer_texte("au lieu-dit La Borde il n'y a rien") == "au lieu-dit [masqué] il n'y a rien"
    assert protection.masquer_texte("12 rue des Lilas, 31220 Cazères") == "[masqué], [masqué] Cazères"
    assert protection.masquer_texte("Écrivez à jean.dupont@example.org.") == "Écrivez à [masqué]."


def test_noms_du_fichier_et_d_etude_yaml(tmp_path):
    e = etude_yaml(tmp_path, "enquete:\n  noms_a_masquer: [Dupont]\n")
    (tmp_path / "enquete").mkdir()
    (tmp_path / "enquete" / "noms_a_masquer.txt").write_text("# un nom par ligne\nHélène Lefèvre\n\nLe Goff\n",
                                                             encoding="utf-8")
    noms = eq.noms_a_masquer(e)
    assert noms == ["Dupont", "Hélène Lefèvre", "Le Goff"]
    assert protection.masquer_texte("DUPONT, helene-lefevre et LE GOFF", noms) == "[masqué], [masqué] et [masqué]"
    assert protection.masquer_texte("Dupontel et Legoff", noms) == "Dupontel et Legoff"  # whole words only


# --- 3. Survey: nothing under the threshold, nothing recomputable ------------------------------------

def _questionnaire(dossier: Path, texte: bool = False):
    questions = [
        {"cle": "commune", "type": "commune", "colonne": "c"},
        {"cle": "sexe", "type": "sexe", "colonne": "s", "codes": {"F": "Femme", "H": "Homme"}},
        {"cle": "q", "type": "unique", "colonne": "q", "codes": {"A": "A", "B": "B", "C": "C", "D": "D"}},
        {"cle": "m", "type": "multiple", "colonnes": "m{code}", "codes": {"o1": "o1", "o2": "o2", "o3": "o3"}},
    ]
    if texte:
        questions.append({"cle": "texte", "type": "texte_libre", "colonne": "t"})
    (dossier / "q.yaml").write_text(yaml.safe_dump({"enquete": {"fichier": "x.csv", "titre": "Enquête test"},
                                                    "questions": questions}), encoding="utf-8")
    return charger_questionnaire(dossier / "q.yaml")


@st.composite
def enquetes(draw):
    n = draw(st.integers(0, 70))
    libelles = ["A", "B", "C", "D"]
    # skewed answers: many small cells, some large ones
    poids_modalites = draw(st.lists(st.integers(0, 10), min_size=5, max_size=5))
    modalites = [m for m, k in zip(libelles + [None], poids_modalites) for _ in range(k)] or ["A"]
    rep = pd.DataFrame({
        "commune": draw(st.lists(st.sampled_from(["31135", "31299", "31065", "hors territoire", None]),
                                 min_size=n, max_size=n)),
        "sexe": pd.Categorical(draw(st.lists(st.sampled_from(["Femme", "Homme", None]), min_size=n, max_size=n)),
                               categories=["Femme", "Homme"]),
        "q": pd.Categorical(draw(st.lists(st.sampled_from(modalites), min_size=n, max_size=n)), categories=libelles),
    })
    for code in ("o1", "o2", "o3"):
        rep[f"m[{code}]"] = draw(st.lists(st.booleans(), min_size=n, max_size=n)) if n else pd.Series([], dtype=bool)
    rep["m"] = rep[["m[o1]", "m[o2]", "m[o3]"]].any(axis=1) if n else pd.Series([], dtype=bool)
    poids = None
    if n and draw(st.booleans()):
        poids = pd.Series(draw(st.lists(st.floats(0.1, 10), min_size=n, max_size=n)), name="poids")
    return rep, poids


def _determine(A: np.ndarray, inconnues: list[int], i: int) -> bool:
    """Independent check: x_i is determined by A x = b (the other unknowns free) iff e_i lies in the
    row space of A restricted to the unknowns."""
    if A.shape[0] == 0:
        return False
    sous = A[:, inconnues]
    e = np.zeros(len(inconnues))
    e[inconnues.index(i)] = 1
    if not sous.any():
        return False
    coef, *_ = np.linalg.lstsq(sous.T, e, rcond=None)
    return bool(np.allclose(sous.T @ coef, e, atol=1e-8))


def _relations(publie: pd.DataFrame, croise: bool, additive: bool) -> np.ndarray:
    """The additive relations a reader sees in a published table: each row's groups add up to its
    « Ensemble » (crossed tables, the « Répondants » row too); a single-choice question's answers
    add up to each group's « Répondants »."""
    index = {(m, g): k for k, (m, g) in enumerate(zip(publie["modalite"], publie["groupe"]))}
    groupes = list(dict.fromkeys(publie["groupe"]))
    modalites = [m for m in dict.fromkeys(publie["modalite"]) if m != "Répondants"]
    lignes = []
    if croise and len(groupes) > 1:  # (no group at all: nothing but an empty « Ensemble »)
        for m in modalites + ["Répondants"]:
            a = np.zeros(len(index))
            for g in groupes:
                a[index[(m, g)]] = -1 if g == ENSEMBLE else 1
            lignes.append(a)
    if additive:
        for g in groupes:
            a = np.zeros(len(index))
            for m in modalites:
                a[index[(m, g)]] = 1
            a[index[("Répondants", g)]] = -1
            lignes.append(a)
    return np.array(lignes) if lignes else np.zeros((0, len(index)))


def _intervalle(A: np.ndarray, publie: pd.DataFrame, i: int, G: np.ndarray | None = None) -> tuple[float, float]:
    """Independent check with scipy's linear programming: the smallest and largest value a reader
    can give to the secret entry `i`, knowing the published entries, the sums, that counts are
    never negative and (multiple choice) G x <= 0."""
    from scipy.optimize import linprog

    secret = publie["secret"].to_numpy()
    connues = np.nan_to_num(publie["effectif"].to_numpy(dtype=float))
    inconnues = list(np.flatnonzero(secret))
    A_eq, b_eq = A[:, inconnues], -(A[:, ~secret] @ connues[~secret])
    A_ub = b_ub = None
    if G is not None and len(G):
        A_ub, b_ub = G[:, inconnues], -(G[:, ~secret] @ connues[~secret])
    c = np.zeros(len(inconnues))
    c[inconnues.index(i)] = 1
    kw = dict(A_eq=A_eq if len(A_eq) else None, b_eq=b_eq if len(A_eq) else None, A_ub=A_ub, b_ub=b_ub,
              bounds=(0, None), method="highs")
    bas, haut = linprog(c, **kw), linprog(-c, **kw)
    assert bas.status == 0, bas.message  # the published table is consistent
    return bas.fun, (-haut.fun if haut.status == 0 else math.inf)


def _inegalites(publie: pd.DataFrame) -> np.ndarray:
    """Multiple choice: an option counts at most its group's respondents; a group counts at most
    all its options together (every respondent ticked at least one)."""
    index = {(m, g): k for k, (m, g) in enumerate(zip(publie["modalite"], publie["groupe"]))}
    lignes = []
    for g in dict.fromkeys(publie["groupe"]):
        options = [k for (m, gg), k in index.items() if gg == g and m != "Répondants"]
        for k in options:
            a = np.zeros(len(index))
            a[k], a[index[("Répondants", g)]] = 1, -1
            lignes.append(a)
        a = np.zeros(len(index))
        a[options] = -1
        a[index[("Répondants", g)]] = 1
        lignes.append(a)
    return np.array(lignes)


def _effectifs_attendus(e: Enquete, cle: str, par: str | None) -> dict:
    """Respondents of each (answer, group), counted straight from the answers."""
    r = e.reponses
    if cle == "q":
        repondu = r["q"].notna().to_numpy()
        choix = {m: (r["q"].astype(object) == m).to_numpy() for m in ["A", "B", "C", "D"]}
    else:
        repondu = r["m"].to_numpy(dtype=bool)
        choix = {m: r[f"m[{m}]"].to_numpy(dtype=bool) for m in ["o1", "o2", "o3"]}
    if par is None:
        groupes = {ENSEMBLE: np.ones(len(r), dtype=bool)}
    else:
        serie, noms = e.variable_croisement(par)
        groupes = {g: (serie == g).to_numpy(dtype=bool) for g in noms}
        groupes[ENSEMBLE] = np.any(list(groupes.values()), axis=0) if groupes else np.zeros(len(r), bool)
    attendus = {}
    for g, dans in groupes.items():
        for m, c in choix.items():
            attendus[(m, g)] = int((repondu & dans & c).sum())
        attendus[("Répondants", g)] = int((repondu & dans).sum())
    return attendus


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(enquetes(), st.sampled_from([None, "sexe", "commune"]), st.sampled_from(["q", "m"]), st.integers(5, 12),
       st.sampled_from([0, 8, 30]))
def test_propriete_rien_sous_le_seuil_rien_de_recalculable(tmp_path_factory, donnees, par, cle, seuil, regrouper):
    reponses, poids = donnees
    e = Enquete(_questionnaire(tmp_path_factory.mktemp("q")), reponses.reset_index(drop=True), COMMUNES,
                seuil=seuil, poids=poids, effectif_min_commune=regrouper)
    t = eq.tabuler(e, cle, par)
    p = t.publie()
    # every published count (cell, margin « Ensemble », « Répondants » total) is the true count, and
    # counts at least `seuil` respondents; a secret entry shows neither a count nor a share
    attendus = _effectifs_attendus(e, cle, par)
    publies = p[~p["secret"]]
    for m, g, v in zip(publies["modalite"], publies["groupe"], publies["effectif"]):
        assert v == attendus[(m, g)] and v >= seuil, (m, g, v)
    assert p.loc[p["secret"], ["effectif", "part", "ic_bas", "ic_haut"]].isna().all().all()
    # a published share never belongs to a secret count's column (its total would give it back)
    for g in p.loc[(p["modalite"] == "Répondants") & p["secret"], "groupe"]:
        assert p.loc[p["groupe"] == g, "part"].isna().all()
    # no secret entry is determined by the published ones through the table's sums
    A = _relations(p, par is not None, cle == "q")
    G = _inegalites(p) if cle == "m" else None
    inconnues = list(np.flatnonzero(p["secret"].to_numpy()))
    for i in inconnues:
        assert not _determine(A, inconnues, i), (p.iloc[i].to_dict(), attendus)
        # nor pinned to a single whole number by the fact that counts are never negative
        bas, haut = _intervalle(A, p, i, G)
        assert haut == math.inf or math.floor(haut + 1e-6) - math.ceil(bas - 1e-6) >= 1, (
            p.iloc[i].to_dict(), bas, haut, attendus)
    # the displayed table says « s » wherever the long table is secret, and shows no small count
    affichage = t.tableau_affichage()
    for cellule in affichage.drop(columns=["Réponse"]).to_numpy().ravel():
        nombre = re.fullmatch(r"\d+", str(cellule).replace("\u202f", ""))
        if nombre:
            assert int(nombre.group(0)) >= seuil
    # the number of respondents and the effective size printed under every table
    mention = eq.mention(e)
    if e.n < seuil:
        assert "(n = s" in mention
    else:
        assert f"(n = {e.n}" in mention
    if poids is not None:
        n_eff = re.search(r"taille effective (\S+)\)", mention).group(1)
        if e.n_effectif < seuil or e.n < seuil:
            assert n_eff == "s"
        else:
            assert float(n_eff.replace("\u202f", "").replace(",", ".")) >= seuil - 0.5


def _enquete_simple(tmp_path, n: int, poids=None, seuil: int = 5) -> Enquete:
    rep = pd.DataFrame({"commune": ["31135"] * n, "sexe": pd.Categorical(["Femme", "Homme"] * (n // 2) + ["Femme"] * (n % 2),
                                                                        categories=["Femme", "Homme"]),
                        "q": pd.Categorical(["A"] * n, categories=list("ABCD"))})
    for code in ("o1", "o2", "o3"):
        rep[f"m[{code}]"] = [True] * n
    rep["m"] = [True] * n
    return Enquete(_questionnaire(tmp_path), rep, COMMUNES, seuil=seuil,
                   poids=None if poids is None else pd.Series(poids, name="poids"))


def test_nombre_de_repondants_et_taille_effective_sous_le_seuil(tmp_path, monkeypatch):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import resultats
    from diagnostic_territorial.chapitres import parole_habitants

    # 4 respondents: their number is secret everywhere (mention, À retenir, échantillon, synthèse)
    e = _enquete_simple(tmp_path, 4)
    assert "(n = s)" in eq.mention(e)
    sorties, enregistres = [], []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: sorties.append(contenu))
    monkeypatch.setattr(resultats, "enregistrer", lambda *a, **k: enregistres.append(a))
    p = parole_habitants.ParoleHabitants(enquete=e, mention=eq.mention(e))
    points = parole_habitants.points_cles(None, p)
    assert points == ["Moins de 5 habitants ont répondu au questionnaire : aucun résultat n'est publié "
                      "(secret statistique)."]
    parole_habitants.afficher_a_retenir(types.SimpleNamespace(racine=tmp_path), p)
    assert enregistres[0][3]["repondants"] is None
    parole_habitants.afficher_echantillon(None, p)
    html = "".join(sorties)
    assert not re.search(r">\s*4\s*<", html) and "n = 4" not in html and "4 habitants" not in html

    # 12 respondents, weights so uneven that the effective size is under 5: « taille effective s »
    poids = [20.0] + [0.05] * 11
    e = _enquete_simple(tmp_path, 12, poids=poids)
    assert e.n_effectif < 5
    assert "(n = 12, redressée sur l'âge et le sexe, taille effective s)" in eq.mention(e)
    p = parole_habitants.ParoleHabitants(enquete=e, mention=eq.mention(e))
    assert "taille effective s" in parole_habitants.points_cles(None, p)[0]
    sorties.clear()
    parole_habitants.afficher_echantillon(None, p)
    assert "Taille effective de l'échantillon : s pour 12 répondants" in "".join(sorties)

    # enough respondents, balanced weights: both are published
    e = _enquete_simple(tmp_path, 40, poids=[1.0] * 40)
    assert "(n = 40, redressée sur l'âge et le sexe, taille effective 40)" in eq.mention(e)


def test_lignes_de_zeros_pas_recalculables_par_positivite(tmp_path):
    """Answers C and D nobody gave (zeros, suppressed like every count under the threshold) and a 3
    (A, Femme). With « Ensemble » published for A, the 3 would be 12 - 9; and with A's row hidden,
    C and D's « Ensemble » (two « s ») would add up to 27 - 12 - 15 = 0: counts are never
    negative, so both are 0 and the 3 comes back by subtraction in its column (11 - 8 - 0 - 0).
    Every suppressed entry keeps at least two possible whole values."""
    lignes = [("A", "Femme")] * 3 + [("A", "Homme")] * 9 + [("B", "Femme")] * 8 + [("B", "Homme")] * 7
    rep = pd.DataFrame({"commune": ["31135"] * len(lignes),
                        "sexe": pd.Categorical([s for _, s in lignes], categories=["Femme", "Homme"]),
                        "q": pd.Categorical([q for q, _ in lignes], categories=list("ABCD"))})
    for code in ("o1", "o2", "o3"):
        rep[f"m[{code}]"] = False
    rep["m"] = False
    e = Enquete(_questionnaire(tmp_path), rep, COMMUNES, seuil=5)
    p = eq.tabuler(e, "q", "sexe").publie()
    secrets = p.set_index(["modalite", "groupe"])["secret"]
    assert secrets[("A", "Femme")] and secrets[("C", ENSEMBLE)] and secrets[("D", ENSEMBLE)]
    assert not secrets[("Répondants", ENSEMBLE)]
    A = _relations(p, croise=True, additive=True)
    for i in np.flatnonzero(p["secret"].to_numpy()):
        bas, haut = _intervalle(A, p, i)
        assert math.floor(haut + 1e-6) - math.ceil(bas - 1e-6) >= 1, (p.iloc[i].to_dict(), bas, haut)
    # the former rule (linear algebra only) stopped there, and the 3 was recomputable: C and D's
    # « Ensemble » add up to 27 - 12 - 15 = 0, so C and D are 0, and A-Femme = 11 - 8 = 3
    N = np.array([[3, 9], [8, 7], [0, 0], [0, 0]], dtype=float)
    valeurs = np.array(list(N.ravel()) + [11, 16] + [12, 15, 0, 0] + [27], dtype=float)
    masque = valeurs < 5
    masque[1] = True  # the former choice, A's « Homme » (9): linearly, the 3 is no longer determined
    A_brut = np.zeros((8, len(valeurs)))  # cells 0-7, groups 8-9, « Ensemble » 10-13, grand total 14
    for r in range(4):
        A_brut[r, [2 * r, 2 * r + 1]] = 1
        A_brut[r, 10 + r] = -1
    A_brut[4, [8, 9]], A_brut[4, 14] = 1, -1
    for c in range(2):
        A_brut[5 + c, [c, 2 + c, 4 + c, 6 + c]] = 1
        A_brut[5 + c, 8 + c] = -1
    A_brut[7, [10, 11, 12, 13]], A_brut[7, 14] = 1, -1
    assert 0 not in protection._determines(A_brut, list(np.flatnonzero(masque)))
    assert 0 in protection._devoiles(A_brut, valeurs, masque)  # but positivity gives it back


# --- 4. Public sources: a masked commune is not the total minus the others --------------------------

def test_secret_complementaire_calcule_a_la_main():
    nan = np.nan
    # total published, one commune masked: the smallest positive other one is masked too
    m = protection.secret_complementaire([nan, 12, 3, 40], [True, False, False, False], [[0, 1, 2, 3]])
    assert m.tolist() == [True, False, True, False]
    # a 0 would hide nothing (the masked value would be the pair's sum): the smallest positive one
    m = protection.secret_complementaire([nan, 0, 7, 9], [True, False, False, False], [[0, 1, 2, 3]])
    assert m.tolist() == [True, False, True, False]
    # two masked communes: neither can be recomputed, nothing more is masked
    m = protection.secret_complementaire([nan, nan, 7, 9], [True, True, False, False], [[0, 1, 2, 3]])
    assert m.tolist() == [True, True, False, False]
    # a commune without value (n.d.) already hides the masked one: the sum gives only both together
    m = protection.secret_complementaire([nan, nan, 7, 9], [True, False, False, False], [[0, 1, 2, 3]])
    assert m.tolist() == [True, False, False, False]
    # no published total: nothing to protect against
    assert protection.secret_complementaire([nan, 5, 7], [True, False, False], []).tolist() == [True, False, False]
    # two nested totals (an EPCI of 3 communes inside a territory of 5): hidden in both
    m = protection.secret_complementaire([nan, 20, 30, 4, 50], [True, False, False, False, False],
                                         [[0, 1, 2, 3, 4], [0, 1, 2]])
    assert m[0] and m[1:3].any()
    A = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], dtype=float)
    assert not _determine(A, list(np.flatnonzero(m)), 0)


def _table_communes(valeurs: dict, secrets: set, territoire: float | None, autres: list | None = None) -> pd.DataFrame:
    lignes = [{"libelle": f"Commune {c}", "niveau": "commune", "codgeo": c, "valeur": np.nan if c in secrets else v,
               "secret": c in secrets} for c, v in valeurs.items()]
    lignes.append({"libelle": "Territoire", "niveau": "territoire", "codgeo": "200000000",
                   "valeur": np.nan if territoire is None else territoire, "secret": territoire is None})
    lignes += autres or []
    return pd.DataFrame(lignes)


def test_table_des_communes_construite_a_la_main():
    """Hand-built table: the territory's total is published by the source (100) while commune B is
    masked: 100 - (30 + 8 + 50) would give B = 12. The smallest other commune (C, 8) is masked."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.indicateurs import secret

    table = _table_communes({"A": 30.0, "B": 12.0, "C": 8.0, "D": 50.0}, {"B"}, 100.0, [
        {"libelle": "Haute-Garonne", "niveau": "departement", "codgeo": "31", "valeur": 5000.0, "secret": False}])
    protegee = secret.proteger(ci.indicateur("foyers_rsa"), table)
    secrets = protegee.set_index("codgeo")["secret"]
    assert secrets.to_dict() == {"A": False, "B": True, "C": True, "D": False, "200000000": False, "31": False}
    assert math.isnan(protegee.set_index("codgeo").loc["C", "valeur"])
    assert protegee.attrs["secret_complementaire"] == ["C"]
    publies = protegee[(protegee["niveau"] == "commune") & ~protegee["secret"]]["valeur"].sum()
    assert 100.0 - publies == 12.0 + 8.0  # only the sum of the two masked communes can be deduced
    # a rate or a median is not a sum of communes: left as it is
    taux = secret.proteger(ci.indicateur("part_allocataires_rsa"), table)
    assert taux["secret"].sum() == 1
    # a territory that is itself secret (the sum of a secret part): nothing to add
    assert secret.proteger(ci.indicateur("foyers_rsa"),
                           _table_communes({"A": 30.0, "B": 12.0}, {"B"}, None))["secret"].sum() == 2


@pytest.fixture()
def epci_avec_total_publie(tmp_path):
    """The real case: an EPCI study (Cœur de Garonne, 48 communes) with a Caf file that masks one
    commune's RSA households and publishes the EPCI's own row, which `indicateurs.additifs` shows
    as the territory's value instead of the (secret) sum of the communes."""
    from test_indicateurs_additifs import ecrire_cache, etude

    codes = list(COMMUNES_CŒUR_DE_GARONNE)
    e = etude(tmp_path, codes, "epci", "200068815", millesimes={"caf_communes": 2023})
    lignes = [(c, "commune", "indfoy_rsa", 10.0 + k, False) for k, c in enumerate(codes)]
    lignes[0] = (codes[0], "commune", "indfoy_rsa", np.nan, True)  # Beaufort: secret (7 in truth)
    lignes[5] = (codes[5], "commune", "indfoy_rsa", 5.0, False)  # the smallest published commune
    total = sum(v for _, _, _, v, _ in lignes if not math.isnan(v)) + 7
    lignes.append(("200068815", "epci", "indfoy_rsa", total, False))
    lignes += [(c, "commune", "indfoy_ndur", 100.0, False) for c in codes]  # allocataires, none secret
    lignes.append(("200068815", "epci", "indfoy_ndur", 4800.0, False))
    ecrire_cache(e, "caf_communes", lignes, 2023)
    return e, codes, total


def test_total_publie_par_la_source_et_commune_secrete(epci_avec_total_publie, monkeypatch):
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import generique

    from diagnostic_territorial.indicateurs import calcul as ind

    e, codes, total = epci_avec_total_publie
    # the source's values: the territory is published next to a secret commune
    brute, _ = ind.additifs(e, "caf_communes", 2023, ["indfoy_rsa"])
    ter = brute[brute["niveau"] == "territoire"].iloc[0]
    assert ter["indfoy_rsa"] == total and not ter["indfoy_rsa__secret"]
    communes = brute[brute["niveau"] == "commune"]
    assert total - communes["indfoy_rsa"].sum() == 7  # the masked value, recomputed by subtraction

    # the chapter's values (tables, charts, maps all read them): a second commune is masked
    ch = generique.ChapitreIndicateurs.__new__(generique.ChapitreIndicateurs)
    ch.etude, ch.calcul, ch.valeurs, ch.manquants = e, ci.Calcul(e), {}, {}
    ch.references = []
    ch._calculer("foyers_rsa")
    v = ch.valeurs["foyers_rsa"]
    c = v.communes().set_index("codgeo")
    assert c.loc[codes[0], "secret"] and c.loc[codes[5], "secret"]  # Beaufort, and the 5
    assert c["secret"].sum() == 2 and math.isnan(c.loc[codes[5], "valeur"])
    assert v.ligne("territoire")["valeur"] == total  # the source's total stays published
    assert total - c["valeur"].sum() == 7 + 5  # only the sum of the two can be deduced
    assert v.table.attrs["secret_complementaire"] == [codes[5]]

    # the share of RSA households among allocataires of that commune would give the 5 back (5 %
    # of 100 allocataires, published): masked too, in every chapter that shows it
    ch._calculer("part_allocataires_rsa")
    part = ch.valeurs["part_allocataires_rsa"].communes().set_index("codgeo")
    assert part.loc[codes[5], "secret"] and math.isnan(part.loc[codes[5], "valeur"])
    assert part.loc[codes[0], "secret"] and part["secret"].sum() == 2
    assert part.loc[codes[1], "valeur"] == pytest.approx(0.11)  # the others stay published

    # the communes' table of the section says « s » for both, and why
    sorties = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: sorties.append(contenu))
    section = generique.Section("minima", "RSA", ("foyers_rsa",), carte="foyers_rsa")
    ch._tableau_communes(section, ["foyers_rsa"])
    html = "".join(sorties)
    noms = dict(zip(e.communes["code"], e.communes["nom"]))
    for code in (codes[0], codes[5]):
        assert re.search(re.escape(noms[code]) + r"</td>\s*<td[^>]*>s</td>", html), noms[code]
    assert "masquée en plus" in html


def test_meme_secret_dans_chaque_tableau(epci_avec_total_publie, monkeypatch, tmp_path):
    """One rule in the engine: the chapters, the fiches communes and the synthèse (chiffres_cles)
    and the observation ciblée mask the same communes for the same variable (before, only the
    chapters added the complementary secret: the fiches showed the commune the chapter masked)."""
    from diagnostic_territorial.indicateurs import catalogue as ci
    from diagnostic_territorial.indicateurs import observation
    from diagnostic_territorial.chapitres import generique
    from diagnostic_territorial.livrables import chiffres_cles

    e, codes, total = epci_avec_total_publie
    attendus = {codes[0], codes[5]}  # the commune the source masks, and the smallest other one

    def masquees(table, colonne="secret"):
        return set(table.loc[(table["niveau"] == "commune") & table[colonne], "codgeo"])

    ch = generique.ChapitreIndicateurs.__new__(generique.ChapitreIndicateurs)
    ch.etude, ch.calcul, ch.valeurs, ch.manquants, ch.references = e, ci.Calcul(e), {}, {}, []
    ch._calculer("foyers_rsa")
    assert masquees(ch.valeurs["foyers_rsa"].table) == attendus

    ic = chiffres_cles.indicateurs_cles(e, (("rsa", "foyers_rsa", chiffres_cles.LIBELLE_CLE),
                                            ("part_rsa", "part_allocataires_rsa", chiffres_cles.LIBELLE_CLE)))
    assert masquees(ic.table, "rsa__secret") == attendus
    assert masquees(ic.table, "part_rsa__secret") == attendus
    fiche = ic.table.set_index("codgeo")
    assert ic.texte(fiche.loc[codes[5]], "rsa") == "s" and ic.texte(fiche.loc[codes[0]], "part_rsa") == "s"
    assert ic.texte(fiche.loc["200068815"], "rsa") == f"{int(total):,}".replace(",", "\u202f")

    (tmp_path / "observation_ciblee.yaml").write_text(
        "indicateurs:\n  - id: foyers_rsa_obs\n    type: populationnel\n    libelle: Foyers au RSA\n"
        "    source: caf_communes\n    millesime: caf_communes\n    numerateur: indfoy_rsa\n"
        "    denominateur: indfoy_ndur\n    unite: part\n", encoding="utf-8")
    resultats = observation.calculer(e, tmp_path / "observation_ciblee.yaml")
    assert masquees(resultats[0].table) == attendus
