"""Build src/diagnostic_territorial/donnees_demo/ from the real public files (re-runnable).

    python scripts/extraire_donnees_demo.py [--reel /work/shared/data/reel]

Writes official-layout extracts: same file names, same header, BOM, CRLF and decimal comma, each
kept line copied byte for byte from the published file:
- FILO2019_DISP_*.csv and FILO2016_DISP_*.csv: communes of département 31, EPCI having communes
  in 31 (composition: cog/EPCI_2020.csv), all départements, all régions, France métropolitaine;
- donnees_communes.csv.gz: populations légales 2019 of every commune (gzip of the real file);
- bpe18_ensemble_csv.zip: BPE 2018 (aggregated layout), lines of the communes of département 31,
  in the official archive name holding the official member name bpe18_ensemble.csv;
- data_CAF_2020_IRIS.csv: CAF allocataires by IRIS 2020, IRIS of the communes of département 31.
"""

from __future__ import annotations

import argparse
import gzip
import zipfile
from pathlib import Path

DEPARTEMENT = "31"
RACINE = Path(__file__).resolve().parents[1]
SORTIE = RACINE / "src" / "diagnostic_territorial" / "donnees_demo"


def _lignes(chemin: Path) -> list[bytes]:
    return chemin.read_bytes().splitlines(keepends=True)


def _extraire(source: Path, cible: Path, garder) -> int:
    """Copy the header and the lines whose first field passes `garder`, bytes unchanged."""
    lignes = _lignes(source)
    fin = b"\r\n" if lignes[0].endswith(b"\r\n") else b"\n"
    gardees = [lignes[0]] + [l for l in lignes[1:] if garder(l.split(b";", 1)[0].decode("ascii"))]
    gardees = [l if l.endswith((b"\n", b"\r")) else l + fin for l in gardees]
    cible.write_bytes(b"".join(gardees))
    return len(gardees) - 1


def epci_du_departement(reel: Path, departement: str) -> set[str]:
    epci = set()
    for ligne in (reel / "cog" / "EPCI_2020.csv").read_text(encoding="utf-8-sig").splitlines()[1:]:
        champs = ligne.split(";")
        if len(champs) >= 5 and champs[4] == departement:
            epci.add(champs[2])
    return epci


def main(reel: Path) -> None:
    SORTIE.mkdir(parents=True, exist_ok=True)
    epci = epci_du_departement(reel, DEPARTEMENT)
    for annee in (2019, 2016):
        for niveau in ("COM", "EPCI", "DEP", "REG", "METROPOLE"):
            nom = f"FILO{annee}_DISP_{niveau}.csv"
            source = reel / "filosofi" / nom
            if niveau == "COM":
                n = _extraire(source, SORTIE / nom, lambda code: code.startswith(DEPARTEMENT))
            elif niveau == "EPCI":
                n = _extraire(source, SORTIE / nom, lambda code: code in epci)
            else:
                (SORTIE / nom).write_bytes(source.read_bytes())
                n = len(_lignes(source)) - 1
            print(f"{nom} : {n} lignes")
    source = reel / "population" / "donnees_communes_pop_2019.csv"
    with gzip.GzipFile(SORTIE / "donnees_communes.csv.gz", "wb", compresslevel=9, mtime=0) as sortie:
        sortie.write(source.read_bytes())
    print(f"donnees_communes.csv.gz : {len(_lignes(source)) - 1} communes")
    # BPE 2018: third field is DEPCOM
    with zipfile.ZipFile(reel / "bpe" / "bpe18_ensemble_csv.zip") as archive:
        lignes = archive.read("bpe18_ensemble.csv").splitlines(keepends=True)
    gardees = [lignes[0]] + [l for l in lignes[1:] if l.split(b";", 3)[2].startswith(DEPARTEMENT.encode())]
    info = zipfile.ZipInfo("bpe18_ensemble.csv", date_time=(2019, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(SORTIE / "bpe18_ensemble_csv.zip", "w") as sortie_zip:
        sortie_zip.writestr(info, b"".join(gardees), compresslevel=9)
    print(f"bpe18_ensemble_csv.zip : {len(gardees) - 1} lignes")
    n = _extraire(reel / "caf" / "data_CAF_2020_IRIS.csv", SORTIE / "data_CAF_2020_IRIS.csv",
                  lambda code: code.startswith(DEPARTEMENT))
    print(f"data_CAF_2020_IRIS.csv : {n} lignes")
    total = sum(p.stat().st_size for p in SORTIE.iterdir() if p.is_file())
    print(f"Total {SORTIE} : {total / 1e6:.2f} Mo")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reel", type=Path, default=Path("/work/shared/data/reel"))
    main(parser.parse_args().reel)
