"""Survey of the inhabitants: import of each export format, protection (primary and secondary
suppression, free text), weighting, and the « Parole des habitants » chapter on the demo study."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnostic_territorial import enquete as eq
from diagnostic_territorial.enquete import protection, qualitatif
from diagnostic_territorial.enquete.questionnaire import charger_questionnaire, importer
from diagnostic_territorial.enquete.tabulation import Enquete
from diagnostic_territorial.erreurs import FormatInconnu

from conftest import copie_etude

COMMUNES = pd.DataFrame({"code": ["31135", "31299", "31065"], "nom": ["Cazères", "Rieumes", "Bérat"]})

# Five respondents, the same answers in every format.
ATTENDU = {
    "commune": ["31135", "31299", "31065", "31135", None],
    "sexe": ["Femme", "Homme", "Femme", None, "Homme"],
    "satisfaction": ["Très satisfait", "Plutôt insatisfait", None, "Très satisfait", "Plutôt satisfait"],
    "difficultes[D1]": [True, False, True, False, False],
    "difficultes[D2]": [True, False, False, False, True],
    "difficultes[D3]": [False, False, False, True, False],
}


def mapping(tmp_path, fichier, colonnes, **autres) -> Path:
    q = {
        "enquete": {"fichier": fichier, "date": "mai 2026"},
        "questions": [
            {"cle": "commune", "type": "commune", "colonne": colonnes["commune"], "codes": {"99": "hors territoire"}},
            {"cle": "sexe", "type": "sexe", "colonne": colonnes["sexe"],
             "codes": {colonnes.get("F", "F"): "Femme", colonnes.get("M", "M"): "Homme"}},
            {"cle": "satisfaction", "type": "echelle", "colonne": colonnes["satisfaction"], "theme": "cadre_de_vie",
             "codes": dict(zip(colonnes.get("codes_sat", ["A1", "A2", "A3"]),
                               ["Très satisfait", "Plutôt satisfait", "Plutôt insatisfait"]))},
            {"cle": "difficultes", "type": "multiple", "theme": "cadre_de_vie",
             "codes": {"D1": "Se déplacer, sans voiture", "D2": "Se loger", "D3": "Se soigner"}, **colonnes["multiple"]},
            {"cle": "texte", "type": "texte_libre", "colonne": colonnes["texte"]},
        ],
    }
    chemin = tmp_path / "questionnaire.yaml"
    chemin.write_text(yaml.safe_dump(q, allow_unicode=True), encoding="utf-8")
    return chemin


def verifier(df):
    for colonne, valeurs in ATTENDU.items():
        obtenu = [None if (v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))) else v
                  for v in df[colonne].astype(object)]
        assert obtenu == valeurs, colonne


def test_export_limesurvey(tmp_path):
    (tmp_path / "export.csv").write_text(
        '"id","COMMUNE","SEXE","Q1","Q2[D1]","Q2[D2]","Q2[D3]","Q9"\n'
        '"1","31135","F","A1","Y","Y","","Super"\n"2","31299","M","A3","","","",""\n'
        '"3","31065","F","","Y","","",""\n"4","31135","","A1","","","Y",""\n"5","","M","A2","","Y","",""\n',
        encoding="utf-8")
    q = charger_questionnaire(mapping(tmp_path, "export.csv", {
        "commune": "COMMUNE", "sexe": "SEXE", "satisfaction": "Q1", "texte": "Q9",
        "multiple": {"colonnes": "Q2[{code}]"}}))
    verifier(importer(q, COMMUNES))


def test_export_kobo_point_virgule_choix_joints_par_espaces(tmp_path):
    (tmp_path / "kobo.csv").write_text(
        "start;profil/commune;profil/sexe;avis/satisfaction;avis/difficultes;avis/commentaire\n"
        "2026-05-01;31135;F;tres_satisfait;D1 D2;\n2026-05-01;rieumes;M;plutot_insatisfait;;\n"
        "2026-05-02;Bérat;F;;D1;\n2026-05-02;31135;;tres_satisfait;D3;\n2026-05-03;;M;plutot_satisfait;D2;\n",
        encoding="utf-8")
    q = charger_questionnaire(mapping(tmp_path, "kobo.csv", {
        "commune": "profil/commune", "sexe": "profil/sexe", "satisfaction": "avis/satisfaction",
        "codes_sat": ["tres_satisfait", "plutot_satisfait", "plutot_insatisfait"], "texte": "avis/commentaire",
        "multiple": {"colonne": "avis/difficultes", "separateur": " "}}))
    verifier(importer(q, COMMUNES))


def test_export_google_forms_libelles_et_virgules_dans_un_libelle(tmp_path):
    (tmp_path / "forms.csv").write_text(
        'Horodateur,Dans quelle commune habitez-vous ?,Vous êtes,Êtes-vous satisfait ?,'
        'Quelles difficultés ?,Un commentaire ?\n'
        '01/05/2026,Cazères,Femme,Très satisfait,"Se déplacer, sans voiture, Se loger",\n'
        '01/05/2026,Rieumes,Homme,Plutôt insatisfait,,\n'
        '02/05/2026,berat,Femme,,"Se déplacer, sans voiture",\n'
        '02/05/2026,Cazeres,,très  satisfait,Se soigner,\n'
        '03/05/2026,,Homme,Plutôt satisfait,Se loger,\n', encoding="utf-8")
    q = charger_questionnaire(mapping(tmp_path, "forms.csv", {
        "commune": "Dans quelle commune habitez-vous ?", "sexe": "Vous êtes", "F": "Femme", "M": "Homme",
        "satisfaction": "Êtes-vous satisfait ?", "texte": "Un commentaire ?",
        "multiple": {"colonne": "Quelles difficultés ?", "separateur": ", "}}))
    verifier(importer(q, COMMUNES))


def test_saisie_papier_xlsx_codes_numeriques_et_croix(tmp_path):
    df = pd.DataFrame({"N°": [1, 2, 3, 4, 5], "Commune": [31135, 31299, 31065, 31135, None],
                       "Sexe": [1, 2, 1, None, 2], "Q1": [1, 3, None, 1, 2],
                       "Q2 D1": ["x", None, "X", None, None], "Q2 D2": ["x", None, None, None, "x"],
                       "Q2 D3": [None, None, None, "x", None], "Q9": [None] * 5})
    df.to_excel(tmp_path / "papier.xlsx", index=False)
    q = charger_questionnaire(mapping(tmp_path, "papier.xlsx", {
        "commune": "Commune", "sexe": "Sexe", "F": "1", "M": "2", "satisfaction": "Q1", "codes_sat": ["1", "2", "3"],
        "texte": "Q9", "multiple": {"colonnes": "Q2 {code}"}}))
    verifier(importer(q, COMMUNES))


def test_framaforms_cp1252_point_virgule(tmp_path):
    texte = ("Commune;Sexe;Satisfaction;Difficultés;Commentaire\r\n31135;F;A1;Se déplacer, sans voiture;Se loger;\r\n"
             "31299;M;A3;;\r\n31065;F;;Se déplacer, sans voiture;\r\n31135;;A1;Se soigner;\r\n;M;A2;Se loger;\r\n")
    texte = texte.replace("Se déplacer, sans voiture;Se loger;", '"Se déplacer, sans voiture;Se loger";')
    (tmp_path / "frama.csv").write_bytes(texte.encode("cp1252"))
    q = charger_questionnaire(mapping(tmp_path, "frama.csv", {
        "commune": "Commune", "sexe": "Sexe", "satisfaction": "Satisfaction", "texte": "Commentaire",
        "multiple": {"colonne": "Difficultés", "separateur": ";"}}))
    verifier(importer(q, COMMUNES))


@pytest.mark.parametrize("contenu, attendus", [
    ('"COMMUNE","SEXE","Q1","Q2[D1]","Q2[D2]","Q2[D3]"\n"31135","F","A1","Y","",""\n',
     ["export.csv", "« Q9 »", "absente"]),
    ('"COMMUNE","SEXE","Q1","Q2[D1]","Q2[D2]","Q2[D3]","Q9"\n"31135","F","A1","Y","",""\n"31135","F","A7","","","",""\n',
     ["export.csv", "colonne « Q1 »", "ligne 3", "« A7 »"]),
    ('"COMMUNE","SEXE","Q1","Q2[D1]","Q2[D2]","Q2[D3]","Q9"\n"75056","F","A1","Y","","",""\n',
     ["colonne « COMMUNE »", "ligne 2", "« 75056 »"]),
])
def test_erreurs_nomment_fichier_colonne_et_ligne(tmp_path, contenu, attendus):
    (tmp_path / "export.csv").write_text(contenu, encoding="utf-8")
    q = charger_questionnaire(mapping(tmp_path, "export.csv", {
        "commune": "COMMUNE", "sexe": "SEXE", "satisfaction": "Q1", "texte": "Q9",
        "multiple": {"colonnes": "Q2[{code}]"}}))
    with pytest.raises(FormatInconnu) as e:
        importer(q, COMMUNES)
    for a in attendus:
        assert a in str(e.value)


def test_encodage_illisible(tmp_path):
    (tmp_path / "export.csv").write_bytes(b"COMMUNE,SEXE\n31135,F\x81\x8d\n")
    with pytest.raises(FormatInconnu, match="encodage illisible"):
        eq.lire_tableau(tmp_path / "export.csv")


# --- Protection -------------------------------------------------------------------------------

def _determine(A, inconnues, i) -> bool:
    """Independent check: x_i is determined iff e_i lies in the row space of A restricted to the unknowns."""
    if A.ndim < 2 or A.shape[0] == 0:
        return False
    sous = A[:, inconnues]
    e = np.zeros(len(inconnues))
    e[inconnues.index(i)] = 1
    if not sous.any():
        return False
    coef, *_ = np.linalg.lstsq(sous.T, e, rcond=None)
    return np.allclose(sous.T @ coef, e, atol=1e-8)


def _systeme(N, TC, totaux_lignes, additives):
    R, C = N.shape
    valeurs = list(N.ravel()) + list(TC)
    n = R * C + C + ((R + 1) if totaux_lignes else 0)
    lignes = []
    if totaux_lignes:
        valeurs += list(N.sum(axis=1)) + [TC.sum()]
        for r in range(R):
            a = np.zeros(n); a[r * C:(r + 1) * C] = 1; a[R * C + C + r] = -1; lignes.append(a)
        a = np.zeros(n); a[R * C:R * C + C] = 1; a[-1] = -1; lignes.append(a)
    if additives:
        for c in range(C):
            a = np.zeros(n); a[[r * C + c for r in range(R)]] = 1; a[R * C + c] = -1; lignes.append(a)
    return np.array(lignes), np.array(valeurs)


@st.composite
def tables(draw):
    R = draw(st.integers(1, 5))
    C = draw(st.integers(1, 4))
    additives = draw(st.booleans())
    N = np.array(draw(st.lists(st.integers(0, 25), min_size=R * C, max_size=R * C)), dtype=float).reshape(R, C)
    if additives:
        TC = N.sum(axis=0)
    else:  # multiple choice: a group's respondents are at least its largest option
        TC = N.max(axis=0) + np.array(draw(st.lists(st.integers(0, 10), min_size=C, max_size=C)))
    return N, TC, additives, draw(st.booleans()) or C > 1, draw(st.integers(3, 11))


@settings(max_examples=150, deadline=None)
@given(tables())
def test_aucune_case_publiee_sous_le_seuil_ni_recalculable(table):
    N, TC, additives, totaux_lignes, seuil = table
    m = protection.supprimer(N, TC, seuil, totaux_lignes=totaux_lignes, colonnes_additives=additives)
    A, valeurs = _systeme(N, TC, totaux_lignes, additives)
    masque = list(m.cellules.ravel()) + list(m.totaux_colonnes)
    if totaux_lignes:
        masque += list(m.totaux_lignes) + [m.total]
    masque = np.array(masque)
    assert not np.any(valeurs[~masque] < seuil)
    inconnues = list(np.flatnonzero(masque))
    for i in inconnues:
        assert not _determine(A, inconnues, i), (N, TC, i)


@st.composite
def enquetes(draw):
    n = draw(st.integers(0, 60))
    libelles = ["A", "B", "C", "D"]
    rep = pd.DataFrame({
        "commune": draw(st.lists(st.sampled_from(["31135", "31299", "31065", None]), min_size=n, max_size=n)),
        "sexe": pd.Categorical(draw(st.lists(st.sampled_from(["Femme", "Homme", None]), min_size=n, max_size=n)),
                               categories=["Femme", "Homme"]),
        "q": pd.Categorical(draw(st.lists(st.sampled_from(libelles + [None]), min_size=n, max_size=n)),
                            categories=libelles),
    })
    for code in ("o1", "o2", "o3"):
        rep[f"m[{code}]"] = draw(st.lists(st.booleans(), min_size=n, max_size=n)) if n else []
    rep["m"] = rep[["m[o1]", "m[o2]", "m[o3]"]].any(axis=1) if n else []
    return rep


def _questionnaire(tmp_path_factory):
    d = tmp_path_factory.mktemp("q")
    (d / "q.yaml").write_text(yaml.safe_dump({"enquete": {"fichier": "x.csv"}, "questions": [
        {"cle": "commune", "type": "commune", "colonne": "c"},
        {"cle": "sexe", "type": "sexe", "colonne": "s", "codes": {"F": "Femme", "H": "Homme"}},
        {"cle": "q", "type": "unique", "colonne": "q", "codes": {"A": "A", "B": "B", "C": "C", "D": "D"}},
        {"cle": "m", "type": "multiple", "colonnes": "m{code}", "codes": {"o1": "o1", "o2": "o2", "o3": "o3"}},
    ]}), encoding="utf-8")
    return charger_questionnaire(d / "q.yaml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(enquetes(), st.sampled_from([None, "sexe", "commune"]), st.sampled_from(["q", "m"]), st.integers(2, 8))
def test_tableaux_publies_jamais_sous_le_seuil(tmp_path_factory, reponses, par, cle, seuil):
    e = Enquete(_questionnaire(tmp_path_factory), reponses.reset_index(drop=True), COMMUNES, seuil=seuil,
                effectif_min_commune=0)
    p = eq.tabuler(e, cle, par).publie()
    publies = p[~p["secret"]]
    assert (publies["effectif"] >= seuil).all()
    assert p.loc[p["secret"], ["effectif", "part"]].isna().all().all()


def test_masquage_des_reponses_libres():
    texte = "Appelez Mme Lagarde au 06 12 34 56 78 ou +33 6.12.34.56.78, jean.dupont@example.org, 0561234567."
    masque = protection.masquer_texte(texte, ["Lagarde"])
    for secret in ("Lagarde", "06 12", "6.12", "jean.dupont", "example.org", "0561234567"):
        assert secret not in masque
    assert masque.count("[masqué]") == 5
    assert protection.masquer_texte("Le marché du 12 mai, 30 % des gens.") == "Le marché du 12 mai, 30 % des gens."


# --- Weighting --------------------------------------------------------------------------------

def test_raking_cas_calcule_a_la_main():
    # Independent sample (H 40 / F 60, jeunes 25 / vieux 75) calibrated to H 50 / F 50, J 40 / V 60:
    # w = (0.5/0.4)(0.4/0.25) = 2 for HJ, 1 for HV, (0.5/0.6)(1.6) = 4/3 for FJ, (0.5/0.6)(0.8) = 2/3 for FV.
    lignes = [("H", "J")] * 10 + [("H", "V")] * 30 + [("F", "J")] * 15 + [("F", "V")] * 45
    df = pd.DataFrame(lignes, columns=["sexe", "age"])
    w = eq.raking(df, {"sexe": {"H": 5000, "F": 5000}, "age": {"J": 4000, "V": 6000}})
    attendu = {("H", "J"): 2.0, ("H", "V"): 1.0, ("F", "J"): 4 / 3, ("F", "V"): 2 / 3}
    for (s, a), v in attendu.items():
        assert np.allclose(w[(df.sexe == s) & (df.age == a)], v)
    # Kish: 100^2 / (10*4 + 30*1 + 15*16/9 + 45*4/9) = 10000 / 116.67 = 85.71
    assert eq.taille_effective(w) == pytest.approx(10000 / (40 + 30 + 240 / 9 + 180 / 9))


def test_raking_non_independant_respecte_les_marges():
    df = pd.DataFrame([("H", "J")] * 10 + [("H", "V")] * 20 + [("F", "J")] * 30 + [("F", "V")] * 40 + [(None, "J")] * 3,
                      columns=["sexe", "age"])
    w = eq.raking(df, {"sexe": {"H": 1, "F": 1}, "age": {"J": 2, "V": 3}})
    complets = df.sexe.notna()
    assert w[complets & (df.sexe == "H")].sum() / w[complets].sum() == pytest.approx(0.5)
    assert w[complets & (df.age == "J")].sum() / w[complets].sum() == pytest.approx(0.4)
    assert (w[~complets] > 0).all() and w.sum() == pytest.approx(len(df))


def test_intervalle_de_wilson():
    bas, haut = eq.wilson(0.5, 100)
    assert float(bas) == pytest.approx(0.4038, abs=1e-4) and float(haut) == pytest.approx(0.5962, abs=1e-4)
    bas, haut = eq.wilson(0.0, 20)
    assert float(bas) == 0.0 and float(haut) == pytest.approx(0.1611, abs=1e-4)


# --- The chapter on the demo study ------------------------------------------------------------

@pytest.fixture(scope="module")
def etude_demo(etude_preparee, tmp_path_factory):
    """The demo study with its data (a copy: these tests edit its survey settings)."""
    chemin = copie_etude(etude_preparee, tmp_path_factory.mktemp("enq"))
    from diagnostic_territorial.configuration.etude import Etude
    from diagnostic_territorial_demo import installer_enquete_demo

    installer_enquete_demo(Etude.charger(chemin / "etude.yaml"))
    return chemin


def _avec_verbatims(etude_demo):
    chemin = etude_demo / "etude.yaml"
    data = yaml.safe_load(chemin.read_text(encoding="utf-8"))
    data["enquete"] = {"publier_verbatims": True, "seuil": 5}
    chemin.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_squelette_et_demo_coherents(racine, etude_demo):
    squelette = racine / "{{cookiecutter.territoire}}" / "enquete" / "questionnaire.yaml"
    demo = racine / "src" / "diagnostic_territorial_demo" / "donnees_demo" / "enquete_simulee_questionnaire.yaml"
    assert squelette.read_bytes() == demo.read_bytes()
    q = charger_questionnaire(etude_demo / "enquete" / "questionnaire.yaml")
    assert q.simule and q.chemin_export.is_file()
    from diagnostic_territorial.configuration.etude import Etude

    e = eq.charger_enquete(Etude.charger(etude_demo / "etude.yaml"))
    assert 300 <= e.n <= 500 and e.poids is not None and e.n_effectif < e.n
    assert "données simulées pour la démonstration" in eq.mention(e)
    ind = eq.indicateurs_communes(e, ["renoncement"])
    assert list(ind.columns) == ["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]
    assert ind.loc[ind["secret"], "valeur"].isna().all() and (~ind["secret"]).any()


def test_notebook_du_chapitre_sur_l_etude_de_demo(racine, etude_demo, monkeypatch):
    import nbformat
    import papermill as pm

    from diagnostic_territorial.chapitres.plan import chapitre

    _avec_verbatims(etude_demo)
    monkeypatch.setenv("PYTHONPATH", str(etude_demo / "src"))
    c = chapitre("parole_habitants")
    sortie = etude_demo / "build" / "notebooks" / c.notebook
    sortie.parent.mkdir(parents=True, exist_ok=True)
    pm.execute_notebook(str(etude_demo / "notebooks" / c.notebook), str(sortie), kernel_name="python3",
                        cwd=str(etude_demo / "notebooks"), progress_bar=False,
                        parameters={"etude_yaml": str(etude_demo / "etude.yaml")})
    nb = nbformat.read(sortie, as_version=4)
    assert nb.cells[0].source.startswith("# Parole des habitants")
    html = "".join(o.get("data", {}).get("text/html", "") for cell in nb.cells for o in cell.get("outputs", []))
    assert "données simulées pour la démonstration" in html and "(n = 420" in html
    assert "[masqué]" in html and "verbatims" in html
    for interdit in ("@example.org", "jean.dupont", "06 12 34 56 78", "Lagarde"):
        assert interdit not in html
    assert "Traceback" not in html
    livrables = etude_demo / "livrables"
    assert not [p for p in livrables.rglob("*") if p.suffix.lower() in (".csv", ".xlsx")]


def test_chapitre_sans_enquete(etude_demo, monkeypatch):
    from diagnostic_territorial.rendu import presentation
    from diagnostic_territorial.chapitres import parole_habitants
    from diagnostic_territorial.configuration.etude import Etude

    sorties = []
    monkeypatch.setattr(presentation, "_afficher", lambda contenu, *_, **__: sorties.append(contenu))
    export = etude_demo / "enquete" / "export_limesurvey_simule.csv"
    cache = export.read_bytes()
    export.unlink()
    try:
        etude = Etude.charger(etude_demo / "etude.yaml")
        p = parole_habitants.calculer(etude)
        for f in (parole_habitants.afficher_a_retenir, parole_habitants.afficher_echantillon,
                  parole_habitants.afficher_resultats, parole_habitants.afficher_verbatims):
            f(etude, p)
    finally:
        export.write_bytes(cache)
    html = "".join(sorties)
    assert 'class="donnees-manquantes"' in html and "export_limesurvey_simule.csv" in html
    assert "%" not in html and "<table" not in html


def test_qualitatif_et_constats(tmp_path):
    class E:
        racine = tmp_path
    (tmp_path / "qualitatif").mkdir()
    (tmp_path / "qualitatif" / "jeunesse.md").write_text("<!-- guide -->\nLes jeunes demandent un local.", encoding="utf-8")
    (tmp_path / "qualitatif" / "enfance.md").write_text("<!-- seulement le guide -->\n", encoding="utf-8")
    (tmp_path / "qualitatif" / "constats_partages.md").write_text("<!-- - exemple -->\n- Mobilité\n- Garde\n",
                                                                  encoding="utf-8")
    assert qualitatif.themes(E) == ["jeunesse"]
    assert qualitatif.constats_partages(E) == ["Mobilité", "Garde"]
    assert "local" in qualitatif.html_synthese(E, "jeunesse") and qualitatif.html_synthese(E, "enfance") == ""


def test_suppression_secondaire_minimale_calculee_a_la_main():
    """Two small cells (4 and 4) in the « Oui » row: hiding them needs the rectangle closed in the
    « Non » row (23 and 24), nothing more; the totals stay published."""
    effectifs = np.array([[4, 5, 7, 4, 14, 37], [23, 39, 33, 24, 26, 179]], dtype=float)
    m = protection.supprimer(effectifs, effectifs.sum(axis=0), 5)
    attendu = np.zeros((2, 6), dtype=bool)
    attendu[:, [0, 3]] = True
    assert (m.cellules == attendu).all()
    assert not m.totaux_lignes.any() and not m.totaux_colonnes.any() and not m.total
