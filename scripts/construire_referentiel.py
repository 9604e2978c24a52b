"""Build the geographic référentiel shipped in the library (src/diagnostic_territorial/referentiel/).

Inputs are the official INSEE files (kept unmodified in ../shared/data/reel/cog/):
- Intercommunalite_Metropole_au_01-01-2022.xlsx: EPCI list and commune composition, géographie 2022;
- departement2021.csv, region2021.csv: names of départements and régions (unchanged in 2022);
- commune_2021.csv: associated/delegated communes (COMA/COMD) and their parent, so that an old code
  can be explained ("merged into commune nouvelle X").

Usage: python scripts/construire_referentiel.py [dossier_cog]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SORTIE = Path(__file__).resolve().parents[1] / "src" / "diagnostic_territorial" / "referentiel"


def main(dossier: Path) -> None:
    xlsx = dossier / "Intercommunalite_Metropole_au_01-01-2022.xlsx"
    communes = pd.read_excel(xlsx, sheet_name="Composition_communale", skiprows=5, dtype=str)
    communes = communes[["CODGEO", "LIBGEO", "EPCI", "DEP", "REG"]].sort_values("CODGEO")
    epci = pd.read_excel(xlsx, sheet_name="EPCI", skiprows=5, dtype=str)
    epci = epci[["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"]].sort_values("EPCI")
    dep = pd.read_csv(dossier / "departement2021.csv", dtype=str)[["DEP", "REG", "LIBELLE"]]
    reg = pd.read_csv(dossier / "region2021.csv", dtype=str)[["REG", "LIBELLE"]]
    cog21 = pd.read_csv(dossier / "commune_2021.csv", dtype=str)
    actuels = set(communes["CODGEO"])
    anciennes = cog21[cog21["TYPECOM"].isin(["COMA", "COMD"]) & ~cog21["COM"].isin(actuels)]
    anciennes = anciennes[["COM", "LIBELLE", "TYPECOM", "COMPARENT"]].drop_duplicates("COM")
    SORTIE.mkdir(parents=True, exist_ok=True)
    opts = {"index": False, "compression": {"method": "gzip", "mtime": 0}}
    communes.to_csv(SORTIE / "communes_2022.csv.gz", **opts)
    epci.to_csv(SORTIE / "epci_2022.csv.gz", **opts)
    dep.to_csv(SORTIE / "departements_2022.csv", index=False)
    reg.to_csv(SORTIE / "regions_2022.csv", index=False)
    anciennes.sort_values("COM").to_csv(SORTIE / "communes_anciennes_2022.csv.gz", **opts)
    print(f"{len(communes)} communes, {len(epci)} EPCI, {len(anciennes)} anciennes communes -> {SORTIE}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared" / "data" / "reel" / "cog")
