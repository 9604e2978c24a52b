"""Chapter logic called by the notebooks (the notebooks stay thin: parameters, calls, analysis)."""

from __future__ import annotations

from pathlib import Path

from ..plan import chapitre


def ouvrir_etude(etude_yaml: str):
    """Load the study and set the common chart style (first cell of every notebook)."""
    from .. import graphiques
    from ..etude import Etude

    etude = Etude.charger(etude_yaml)
    graphiques.appliquer_style()
    return etude


def analyse(etude, cle: str):
    """Show the consultant's analysis analyses/<cle>.md (read only, never written)."""
    from .. import presentation

    return presentation.analyse(Path(etude.dossier_analyses) / f"{cle}.md")


def en_attente(etude, cle: str):
    """A chapter whose sources the library cannot read yet: say plainly which data it lacks."""
    from .. import presentation, resultats

    c = chapitre(cle)
    lignes = "".join(f"<li>{s}</li>" for s in c.sources_attendues)
    message = (
        f"Ce chapitre n'est pas encore alimenté pour {etude.nom_territoire} : "
        f"il lui manque les données suivantes.<ul>{lignes}</ul>"
        "Aucun chiffre n'est affiché tant que ces sources ne sont pas intégrées."
    )
    resultats.enregistrer(etude, cle, [], {"donnees_manquantes": list(c.sources_attendues)})
    return presentation.donnees_manquantes(message)
