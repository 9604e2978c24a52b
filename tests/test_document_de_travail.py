"""« Document de travail » on every client document, decided by the one function of the report
(livrables.rapport.etat_document, through livrables.commun.etat_livrable): the synthèse (HTML and
PDF, its cover and the header of its pages), the slides (each slide) and the Word documents (cover
and page header), as on the report; nothing once etude.yaml says version_finale and nothing is
left to review."""

import datetime as dt
import io

import pytest

from diagnostic_territorial.chapitres import resultats
from diagnostic_territorial.configuration.etude import Etude, ecrire_etude_yaml
from diagnostic_territorial.livrables import commun
from diagnostic_territorial.livrables.rapport import TITRE_DOCUMENT_DE_TRAVAIL, etat_document
from diagnostic_territorial.territoire.resolution import resoudre


@pytest.fixture
def etude(tmp_path):
    """A study of Cazères with one proposal of wording still to review (build/resultats)."""
    ecrire_etude_yaml(tmp_path / "etude.yaml", resoudre("31135"), slug="cazeres", consultant="Cabinet", rp=2019,
                      filosofi=2019, sous_titre="Analyse des besoins sociaux (ABS)", cadre="abs")
    e = Etude.charger(tmp_path / "etude.yaml")
    resultats.enregistrer(e, "emploi", ["Taux de chômage : <strong>8,3 %</strong> en 2023."])
    resultats.enregistrer_section(e, "emploi", "activite", "Activité", [], "Un commentaire.", True)
    return e


def test_meme_decision_que_le_rapport(etude):
    etat = etat_document(etude)
    assert etat.travail and etat.texte == "Ce document contient encore 1 proposition de rédaction à relire."
    livrable = commun.etat_livrable(etude)  # worded for a document that holds no proposal itself
    assert livrable.travail and livrable.texte == "Le diagnostic contient encore 1 proposition de rédaction à relire."
    m = commun._meta(etude)
    assert (m["document_de_travail"], m["etat_texte"]) == (True, livrable.texte)
    # final: declared so and nothing left to review
    etude.version_finale = True
    assert etat_document(etude).travail  # the proposal is still there
    resultats.enregistrer_section(etude, "emploi", "activite", "Activité", [], "Un commentaire.", False)
    assert not etat_document(etude).travail and not commun._meta(etude)["document_de_travail"]


def test_couverture_et_diapositives(etude):
    m = commun._meta(etude)
    couverture = commun._jinja().get_template("_couverture.html.j2").render(m=m, titre_document="Synthèse")
    assert f'<aside class="bandeau-travail" aria-label="{TITRE_DOCUMENT_DE_TRAVAIL}">' in couverture
    assert f'<p class="couverture-etat">{TITRE_DOCUMENT_DE_TRAVAIL}</p>' in couverture  # the PDF's page header
    assert "Le diagnostic contient encore 1 proposition de rédaction à relire." in couverture
    diapos = commun._jinja().get_template("presentation.html.j2").render(m=m, diapos=[], echecs=["7. Jeunesse"], s=None)
    assert diapos.count('<span class="travail">Document de travail</span>') == diapos.count('<section class="diapo') == 2
    assert "<title>Document de travail — Cazères" in diapos
    m["document_de_travail"] = False
    assert TITRE_DOCUMENT_DE_TRAVAIL not in commun._jinja().get_template("_couverture.html.j2").render(
        m=m, titre_document="Synthèse")
    diapos = commun._jinja().get_template("presentation.html.j2").render(m=m, diapos=[], echecs=["7. Jeunesse"], s=None)
    assert 'class="travail"' not in diapos and 'class="bandeau-diapo"' not in diapos and "<title>Cazères" in diapos


def test_en_tete_des_pages_du_pdf(etude, tmp_path):
    """The cover's mention is repeated atop every page of a deliverable's PDF but the cover (the
    string « etat » of rapport.css, shared by the deliverables)."""
    from pypdf import PdfReader

    m = commun._meta(etude)
    couverture = commun._jinja().get_template("_couverture.html.j2").render(m=m, titre_document="Synthèse")
    pages = "".join(f'<section style="break-before: page"><p>Page {i}</p></section>' for i in range(2))
    contenu = (f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Essai</title><style>'
               f'{commun._css_commun()}</style></head><body class="rapport synthese">{couverture}<main>{pages}'
               "</main></body></html>")
    lecteur = PdfReader(commun.html_en_pdf(contenu, tmp_path / "essai.pdf"))

    def texte(page) -> str:  # letter-spaced capitals may come out as « D O C U M E N T »
        return "".join(page.extract_text().lower().split())

    assert len(lecteur.pages) >= 3
    assert all("documentdetravail" in texte(p) for p in lecteur.pages)
    assert "contientencore" not in texte(lecteur.pages[-1])  # the header, not the cover's box


def test_documents_word(etude):
    """plan-action.docx (and synthese.docx, the same code) say it on their cover and in the header
    of their pages; the example plan d'action is one more reason."""
    from docx import Document

    from diagnostic_territorial.hooks_modele import ecrire_plan_action_exemple
    from diagnostic_territorial.livrables import word

    ecrire_plan_action_exemple(etude.racine / "plan_action.yaml", resoudre("31135"), etude.cadre, dt.date(2026, 11, 30))
    d = Document(io.BytesIO(word.plan_action_docx(etude).read_bytes()))
    textes = [p.text for p in d.paragraphs]
    assert TITRE_DOCUMENT_DE_TRAVAIL.upper() in textes[:4]
    assert ("Le diagnostic contient encore 1 proposition de rédaction à relire ; le plan d'action d'exemple fourni "
            "avec le modèle.") in textes[:4]
    entete = " ".join(p.text for p in d.sections[0].header.paragraphs)
    assert TITRE_DOCUMENT_DE_TRAVAIL.upper() in entete
