"""Forces, fragilités and proposed enjeux (chapitres/enjeux.py, docs/enjeux.md): the rules applied to
chapter results written by hand, in the shape the chapters record them (build/resultats/)."""

from __future__ import annotations

import dataclasses

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from diagnostic_territorial.chapitres import enjeux as ej
from diagnostic_territorial.indicateurs import catalogue as ci

NOMS = {"territoire": "CC Test", "departement": "Haute-Garonne", "region": "Occitanie", "france": "France"}


def valeurs(territoire, departement, region=None, france=None, annee=2021, precedent=None, source="Source : test"):
    v = {"territoire": territoire, "departement": departement, "region": region, "france": france, "annee": annee,
         "source": source}
    if precedent:
        v["precedent"] = precedent
    return v


def n(texte: str) -> str:
    """French number formatting uses non-breaking spaces: compared as plain spaces."""
    return texte.replace("\u00a0", " ").replace("\u202f", " ")


def resultats(**par_chapitre) -> dict:
    return {cle: {"chapitre": cle, "a_retenir": [], "chiffres": {"indicateurs": ind}} for cle, ind in par_chapitre.items()}


def test_chaque_indicateur_du_catalogue_dit_son_sens():
    """Every entry of the package's catalogue writes its « sens » (not left to the default), and
    the loaded catalogue agrees with the file."""
    brut = yaml.safe_load(ci.FICHIER_INDICATEURS.read_text(encoding="utf-8"))["indicateurs"]
    sans = [id_ for id_, entree in brut.items() if "sens" not in entree]
    assert sans == [], ("Indicateurs sans « sens » (plus_mieux, plus_fragilite ou neutre, docs/enjeux.md) dans "
                        f"catalogue/indicateurs.yaml : {', '.join(sans)}")
    catalogue = ci.charger_catalogue()
    assert {id_: e["sens"] for id_, e in brut.items()} == {id_: i.sens for id_, i in catalogue.items()}
    assert catalogue["taux_pauvrete"].sens == "plus_fragilite" and catalogue["taux_emploi"].sens == "plus_mieux"
    assert catalogue["population_municipale"].sens == "neutre"
    from diagnostic_territorial.configuration.modeles import PUBLICS
    assert set(PUBLICS) == set(ej.PUBLICS)


def test_pauvrete_nettement_superieure_classee_avant_un_ecart_faible():
    """Poverty rate 18,0 % against 12,0 % in the département: +50 % and +6 points, a « nette »
    fragilité of the public « précarité », ranked before a « marquée » one; a RSA share 0,8 point
    (8,7 %) above the département is a « faible » gap: no finding."""
    r = resultats(
        acces_aux_droits={"taux_pauvrete": valeurs(18.0, 12.0, 14.0, 14.5),
                          "part_allocataires_rsa": valeurs(0.10, 0.092, 0.10, 0.12, annee=2024)},
        parentalite={"part_familles_monoparentales": valeurs(0.21, 0.19, 0.18, 0.17, annee=2023)},
    )
    s = ej.deriver(r, NOMS, "ctg")
    assert [c.id for c in s.constats] == ["taux_pauvrete", "part_familles_monoparentales"]
    pauvrete, familles = s.constats
    assert (pauvrete.nature, pauvrete.public, pauvrete.classe, pauvrete.reference) == ("fragilite", "precarite", 3, "departement")
    assert pauvrete.ecart == pytest.approx(0.5)
    assert (familles.nature, familles.public, familles.classe) == ("fragilite", "familles", 2)
    assert "18,0 %" in n(pauvrete.texte) and "Haute-Garonne : 12,0 %" in n(pauvrete.texte) and "+6,0" in pauvrete.texte
    assert "écart net au-dessus du département" in pauvrete.texte
    assert s.indicateurs_lus == 3 and s.indicateurs_proches == 1
    # Each fragilité proposes an enjeu for its public, the « nette » one first.
    assert [(e.public, [c.id for c in e.constats]) for e in s.enjeux] == [
        ("precarite", ["taux_pauvrete"]), ("familles", ["part_familles_monoparentales"])]
    assert s.enjeux[0].titre == ej.TITRES["precarite"] and s.enjeux[0].source == "Source : test"
    assert "Convention territoriale globale" in s.titre_enjeux and "comité de pilotage" in s.avertissement


def test_plus_mieux_superieur_est_une_force():
    """A coverage rate of childcare 62 against 55 (plus_mieux, +12,7 % and +7 points: « nette », 5 points
    or more): a force of the « petite enfance »;
    a single-parent share below the département (plus_fragilite): a force too; no force alone
    proposes an enjeu."""
    r = resultats(petite_enfance={"taux_couverture_accueil": valeurs(62.0, 55.0, None, 60.9, annee=2023)},
                  parentalite={"part_familles_monoparentales": valeurs(0.12, 0.19, 0.18, 0.17)})
    s = ej.deriver(r, NOMS)
    couverture = next(c for c in s.constats if c.id == "taux_couverture_accueil")
    assert (couverture.nature, couverture.public, couverture.classe) == ("force", "petite_enfance", 3)
    assert couverture.ecart == pytest.approx(7 / 55)
    assert {c.id: c.nature for c in s.constats}["part_familles_monoparentales"] == "force"
    assert s.fragilites == [] and s.enjeux == []


@pytest.mark.parametrize("id_, territoire, departement, classe, position", [
    # part: 3,2 points and +29 % (2 points and 20 %): net
    ("part_familles_monoparentales", 0.142, 0.110, 3, "nettement au-dessus"),
    # part: 1,5 point and +10,3 % (1 point and 10 %): marqué
    ("part_familles_monoparentales", 0.160, 0.145, 2, "au-dessus"),
    # part: 1,3 point and +9,0 %: faible, no finding
    ("part_familles_monoparentales", 0.158, 0.145, 0, "proche"),
    # euros: 19 500 against 21 000 is -7,1 % (5 %): marqué; 18 600, -11,4 % (10 %): net
    ("revenu_median", 19500.0, 21000.0, 2, "en dessous"),
    ("revenu_median", 18600.0, 21000.0, 3, "nettement en dessous"),
    # pour 1 000 habitants: -18,9 % is marqué (10 %), -24,5 % net (20 %)
    ("medecins_pour_1000", 0.86, 1.06, 2, "en dessous"),
    ("medecins_pour_1000", 0.80, 1.06, 3, "nettement en dessous"),
])
def test_un_seul_jeu_de_seuils_pour_les_enjeux_et_les_commentaires(id_, territoire, departement, classe, position):
    """The same gap is « net » in the synthèse exactly when the section's comment says
    « nettement », « marqué » when it says « au-dessus » / « en dessous », and gives no finding
    when it says « proche » (indicateurs/ecarts.py, docs/enjeux.md)."""
    from diagnostic_territorial.chapitres import redaction

    i = ci.indicateur(id_)
    s = ej.deriver(resultats(**{i.chapitre: {id_: valeurs(territoire, departement)}}), NOMS)
    assert [c.classe for c in s.constats] == ([classe] if classe else [])
    assert redaction.position(i.unite, territoire, departement) == position
    if classe:
        mot = "au-dessus" if territoire > departement else "en dessous"
        assert f"{ {3: 'écart net', 2: 'écart marqué'}[classe]} {mot} du département" in s.constats[0].texte


def test_effectif_concerne_departage_deux_ecarts_de_meme_ampleur():
    """Two « marquée » fragilités (56,5 % against 53 %: 3,5 points; 21 % against 19 %: 2 points and
    +10,5 %): the one about 1 000 families comes before the one about 200 people of 80 or more
    (their bases, read in the chapters' results)."""
    r = resultats(
        vie_sociale={"part_80_plus_seules": valeurs(0.565, 0.53, 0.51, 0.54), "personnes_80_plus": valeurs(200.0, 7e4)},
        parentalite={"part_familles_monoparentales": valeurs(0.21, 0.19), "familles": valeurs(1000.0, 4e5)},
    )
    s = ej.deriver(r, NOMS)
    assert [(c.id, c.classe, c.effectif) for c in s.constats] == [
        ("part_familles_monoparentales", 2, 1000.0), ("part_80_plus_seules", 2, 200.0)]
    assert s.constats[1].public == "personnes_agees" and "80 ans ou plus : 200" in n(s.constats[1].effectif_texte)


def test_ecart_faible_au_departement_mais_marque_avec_la_france():
    """R4: 50,4 against 50,6 in the département (faible) but 60,9 in France (-17 %, -10,5 points):
    a finding « à surveiller » against France; with the région on the other side of the territory,
    none."""
    s = ej.deriver(resultats(petite_enfance={"taux_couverture_accueil": valeurs(50.4, 50.6, None, 60.9)}), NOMS)
    (c,) = s.constats
    assert (c.classe, c.reference, c.nature) == (1, "france", "fragilite")
    assert "proche du département, en dessous de la France" in c.texte
    assert s.enjeux == [] and [e.cle for e in s.vigilance] == ["petite_enfance"]
    s = ej.deriver(resultats(petite_enfance={"taux_couverture_accueil": valeurs(50.4, 50.6, 45.0, 60.9)}), NOMS)
    assert s.constats == []


def test_evolution_seule():
    """R5: an unemployment rate close to the département's but up 3 points since 2017 is a
    fragilité « à surveiller »; a change of 1 point is not noted."""
    prec = {"annee": 2017, "territoire": 0.07, "departement": 0.095}
    s = ej.deriver(resultats(emploi={"taux_chomage": valeurs(0.10, 0.099, precedent=prec)}), NOMS)
    (c,) = s.constats
    assert (c.classe, c.nature, c.par_evolution) == (1, "fragilite", True)
    assert c.evolution.startswith("+3,0") and "depuis 2017" in c.evolution and "Haute-Garonne : +0,4" in n(c.evolution)
    prec = {"annee": 2017, "territoire": 0.09, "departement": 0.095}
    assert ej.deriver(resultats(emploi={"taux_chomage": valeurs(0.10, 0.099, precedent=prec)}), NOMS).constats == []


def test_neutres_effectifs_inconnus_et_manquants_ne_sont_pas_lus():
    r = resultats(demographie={"population_municipale": valeurs(30000.0, 1.4e6), "part_0_14": valeurs(0.30, 0.15)},
                  petite_enfance={"creches": valeurs(2.0, 364.0)},  # a count: never compared
                  complement={"mon_indicateur": valeurs(0.9, 0.1), "taux_pauvrete": valeurs(None, 12.0)})
    catalogue = dict(ci.charger_catalogue())  # a count read « plus = mieux » is still never compared
    catalogue["creches"] = dataclasses.replace(catalogue["creches"], sens="plus_mieux")
    s = ej.deriver(r, NOMS, catalogue=catalogue)
    assert s.constats == [] and s.indicateurs_lus == 0
    assert "Handicap" in s.publics_sans_indicateur and "Précarité" in s.publics_sans_indicateur


def test_cadre_abs_met_ses_publics_en_premier():
    """Two « nette » fragilités of equal rank but for their public: a CTG puts the young first, an
    ABS the elderly (PUBLICS_DU_CADRE)."""
    r = resultats(jeunesse={"taux_chomage_jeunes": valeurs(0.30, 0.20)},
                  vie_sociale={"part_80_plus_seules": valeurs(0.80, 0.53)})
    assert [e.public for e in ej.deriver(r, NOMS, "ctg").enjeux] == ["jeunesse", "personnes_agees"]
    abs_ = ej.deriver(r, NOMS, "abs")
    assert [e.public for e in abs_.enjeux] == ["personnes_agees", "jeunesse"]
    assert "analyse des besoins sociaux" in abs_.titre_enjeux and "ABS" in abs_.avertissement


def test_cadre_de_l_etude():
    assert ej.cadre_de(SimpleNamespace(cadre="abs")) == "abs"
    assert ej.cadre_de(SimpleNamespace(sous_titre="Analyse des besoins sociaux (ABS)", titre="")) == "abs"
    assert ej.cadre_de(SimpleNamespace(sous_titre="Diagnostic préalable à la Convention territoriale globale (CTG)",
                                       titre="")) == "ctg"
    assert ej.cadre_de(SimpleNamespace(sous_titre="Diagnostic social de territoire")) == "dst"
    assert ej.cadre_de(SimpleNamespace(sous_titre="")) == "ctg"  # the template's default answer


def test_base_inconnue_ou_qui_n_est_pas_un_effectif(tmp_path):
    from diagnostic_territorial.configuration.modeles import CatalogueInvalide

    texte = ci.FICHIER_INDICATEURS.read_text(encoding="utf-8")
    for base, attendu in (("famille", "vouliez-vous dire « familles »"), ("part_0_14", "n'est pas un effectif")):
        chemin = tmp_path / "indicateurs.yaml"
        chemin.write_text(texte.replace("    base: familles\n", f"    base: {base}\n", 1), encoding="utf-8")
        with pytest.raises(CatalogueInvalide) as e:
            ci.charger_catalogue(chemin)
        assert "indicateur « part_familles_monoparentales », champ « base »" in str(e.value) and attendu in str(e.value)


def test_graphiques_et_textes_echappes():
    """The charts carry the values and the source; a name with markup is escaped in the HTML."""
    from diagnostic_territorial.rendu import graphiques as gr
    from diagnostic_territorial.chapitres import synthese

    noms = dict(NOMS, territoire='CC <script>alert("x")</script>')
    s = ej.deriver(resultats(acces_aux_droits={"taux_pauvrete": valeurs(18.0, 12.0, 14.0, 14.5)}), noms)
    fig = ej.figure_constat(s.constats[0])
    textes = [n(t) for t in gr.textes(fig)]
    assert "18,0 %" in textes and "12,0 %" in textes and "Source : test" in textes
    fig = ej.figure_enjeu(s.enjeux[0], avec_source=False)
    assert "Source : test" not in gr.textes(fig)
    assert ej.image(fig).startswith("data:image/png;base64,")
    html = synthese.html_enjeu(s.enjeux[0], 1) + synthese.html_forces_fragilites(s)
    assert "<script>" not in html and "Lutter contre la pauvreté" in html


def test_gabarits_synthese_et_diaporama_avec_enjeux():
    """The templates print the enjeux (escaped) and an image per enjeu and per key finding."""
    import re

    from diagnostic_territorial.livrables import commun

    noms = dict(NOMS, territoire='CC <img src=x onerror=alert("x")>')
    s = ej.deriver(resultats(acces_aux_droits={"taux_pauvrete": valeurs(18.0, 12.0, 14.0, 14.5)},
                             jeunesse={"taux_chomage_jeunes": valeurs(0.30, 0.20)}), noms)
    m = {"nom_territoire": noms["territoire"], "sous_titre": "", "consultant": "", "date_texte": "1er mars 2027",
         "version": "0", "departement": "Haute-Garonne", "region": "Occitanie", "communes": 2, "simule": False}
    env = commun._jinja()
    image = "data:image/png;base64,AAAA"
    synthese = env.get_template("synthese.html.j2").render(
        m=m, chapitres=[], sans=[], echecs=[], entetes=[], lignes=[], sources=[], note_france="", s=s,
        images=[image] * len(s.enjeux), regles=ej.regles(s))
    assert synthese.count(f'src="{image}"') == len(s.enjeux) == 2
    assert "Enjeux proposés pour la Convention territoriale globale" in synthese and "<img src=x" not in synthese
    diapos = [{"type": "lecture", "rubrique": "Lecture"}]
    for e in s.enjeux:
        diapos.append({"type": "enjeu", "rubrique": "Enjeu", "enjeu": e, "image": image, "source": e.source})
        diapos += [{"type": "constat", "rubrique": "Constat", "constat": c, "image": image, "source": c.source}
                   for c in e.constats]
    diaporama = env.get_template("presentation.html.j2").render(m=m, diapos=diapos, echecs=[], s=s)
    assert len(re.findall(r'<section class="diapo\b', diaporama)) == 1 + len(diapos)
    assert diaporama.count(f'src="{image}"') == 4 and diaporama.count("Source : test") == 4
    assert "<img src=x" not in diaporama and "CC &lt;img src=x" in diaporama


def test_notebook_de_synthese_appelle_les_sections():
    import json

    nb = json.loads((Path(__file__).parents[1] / "{{cookiecutter.territoire}}" / "notebooks" / "13_synthese.ipynb")
                    .read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for appel in ("afficher_forces_fragilites", "afficher_enjeux", "afficher_methode"):
        assert f"synthese.{appel}(etude, s)" in code
