"""User-facing errors. Messages are in French and name the value, file, column or line at fault."""

from __future__ import annotations


class ErreurDiagnostic(Exception):
    """Base of every error meant for the user: the CLI prints it without a traceback."""


class TerritoireInvalide(ErreurDiagnostic):
    """A territory code is malformed or unknown."""


class EtudeInvalide(ErreurDiagnostic):
    """etude.yaml is missing, unreadable or inconsistent."""


class FormatInconnu(ErreurDiagnostic):
    """A data file cannot be read: unknown layout, missing column, truncated line..."""

    def __init__(self, fichier, detail: str):
        self.fichier = str(fichier)
        self.detail = detail
        super().__init__(f"Fichier « {self.fichier} » illisible : {detail}")


class DonneeManquante(ErreurDiagnostic):
    """A data file is absent and could not be downloaded."""

    def __init__(self, fichier: str, url: str, dossier, source: str = "", raison: str = ""):
        self.fichier = fichier
        self.url = url
        self.dossier = str(dossier)
        self.source = source
        self.raison = raison
        message = (
            f"Fichier manquant : « {fichier} »"
            + (f" ({source})" if source else "")
            + (f". Téléchargement impossible : {raison}" if raison else "")
            + f". Téléchargez-le depuis {url} et déposez-le dans {self.dossier}/ (tel quel : il est reconnu à"
            + " son contenu, quel que soit son nom) puis relancez « make donnees »."
        )
        super().__init__(message)
