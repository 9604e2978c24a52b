"""The normalised (tidy) table every source reader returns, and its provenance."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

COLONNES = ["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]
NIVEAUX = ("commune", "epci", "departement", "region", "france")


@dataclass(frozen=True)
class Provenance:
    source: str  # short source name used in the mention: "Insee, Filosofi 2019"
    libelle: str  # long label for the sources annex
    millesime: int
    fichier: str = ""
    url: str = ""
    licence: str = "Licence Ouverte / Etalab 2.0"
    sha256: str = ""
    date_lecture: str = ""
    simule: bool = False
    extra: dict = field(default_factory=dict)

    def mention(self) -> str:
        texte = f"Source : {self.source}"
        if self.simule:
            texte += " (données simulées pour la démonstration)"
        return texte

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Provenance":
        noms = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in noms})


def sha256_fichier(chemin: Path) -> str:
    h = hashlib.sha256()
    with open(chemin, "rb") as f:
        for bloc in iter(lambda: f.read(1 << 20), b""):
            h.update(bloc)
    return h.hexdigest()


def table_vide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "codgeo": pd.Series(dtype="str"),
            "niveau": pd.Series(dtype="str"),
            "variable": pd.Series(dtype="str"),
            "millesime": pd.Series(dtype="int64"),
            "valeur": pd.Series(dtype="float64"),
            "secret": pd.Series(dtype="bool"),
        }
    )


def verifier(df: pd.DataFrame) -> pd.DataFrame:
    """Check a reader's output against the schema (used by tests and the cache)."""
    manquantes = [c for c in COLONNES if c not in df.columns]
    if manquantes:
        raise ValueError(f"colonnes manquantes dans la table normalisée : {manquantes}")
    inconnus = set(df["niveau"].unique()) - set(NIVEAUX)
    if inconnus:
        raise ValueError(f"niveaux inconnus : {sorted(inconnus)}")
    return df
