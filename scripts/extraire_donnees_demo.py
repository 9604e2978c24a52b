"""Build src/diagnostic_territorial_demo/donnees_demo/ from the real public files (re-runnable).

    python scripts/extraire_donnees_demo.py [--reel /work/shared/data/reel]

Writes official-layout extracts: same file names, same header, BOM, CRLF and decimal comma, each
kept line copied byte for byte from the published file:
- FILO2019_DISP_*.csv and FILO2016_DISP_*.csv: communes of département 31, EPCI having communes
  in 31 (composition: cog/EPCI_2020.csv), all départements, all régions, France métropolitaine;
- donnees_communes_pop_2019.csv.gz: populations légales 2019 of every commune (gzip of the real file,
  under the real file's name: the file itself does not carry its millésime; installed as
  donnees_communes_pop_2019.csv);
- bpe18_ensemble_csv.zip: BPE 2018 (aggregated layout), the whole published archive copied byte
  for byte (every commune of France: département, région and France counts are real; 3.5 MB);
- data_CAF_2020_IRIS.csv: CAF allocataires by IRIS 2020, IRIS of the communes of département 31;
- _communes_hors_cog2022.csv (not copied into a study: leading underscore): name, commune parent
  and EPCI of the codes of the populations légales file that are not communes of the COG 2022
  referential (arrondissements municipaux from cog/commune_2021.csv, communes merged on
  1 January 2022 from cog/EPCI_2020.csv), used to name and place the simulated CAF and France
  Travail rows of those codes.

The recensement 2023 (Melodi), the Caf and France Travail files are not extracted: they are
simulated at installation from these extracts (diagnostic_territorial_demo.donnees).
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import zipfile
from pathlib import Path

DEPARTEMENT = "31"
RACINE = Path(__file__).resolve().parents[1]
SORTIE = RACINE / "src" / "diagnostic_territorial_demo" / "donnees_demo"


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


def hors_referentiel(reel: Path, cible: Path) -> int:
    """Codes of the populations légales 2019 file absent from the COG 2022 referential: name, parent
    commune (arrondissements municipaux) and EPCI (composition 2020 for merged communes)."""
    import csv
    import io

    with gzip.open(RACINE / "src" / "diagnostic_territorial" / "referentiel" / "communes_2022.csv.gz", "rt",
                   encoding="utf-8") as f:
        referentiel = {r["CODGEO"] for r in csv.DictReader(f)}
    texte = (reel / "population" / "donnees_communes_pop_2019.csv").read_text(encoding="utf-8-sig")
    codes = [l.split(";")[2] for l in texte.splitlines()[1:] if l.strip()]
    absents = [c for c in codes if c not in referentiel]
    cog = {r["COM"]: r for r in csv.DictReader(io.StringIO((reel / "cog" / "commune_2021.csv").read_text(encoding="utf-8-sig")))
           if r["TYPECOM"] in ("COM", "ARM")}
    epci = {}
    for ligne in (reel / "cog" / "EPCI_2020.csv").read_text(encoding="utf-8-sig").splitlines()[1:]:
        champs = ligne.split(";")
        if len(champs) >= 3:
            epci[champs[0]] = (champs[1], champs[2])
    lignes = ["CODGEO;LIBGEO;COMPARENT;EPCI"]
    for code in absents:
        commune = cog.get(code, {})
        parent = commune.get("COMPARENT", "") if commune.get("TYPECOM") == "ARM" else ""
        nom = commune.get("LIBELLE") or epci.get(code, ("", ""))[0]
        lignes.append(f"{code};{nom};{parent};{'' if parent else epci.get(code, ('', ''))[1]}")
    cible.write_text("\n".join(lignes) + "\n", encoding="utf-8")
    return len(absents)


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
    with gzip.GzipFile(SORTIE / f"{source.name}.gz", "wb", compresslevel=9, mtime=0) as sortie:
        sortie.write(source.read_bytes())
    (SORTIE / "donnees_communes.csv.gz").unlink(missing_ok=True)  # the former name, without its year
    print(f"{source.name}.gz : {len(_lignes(source)) - 1} communes")
    # BPE 2018: the whole published archive, unchanged
    source = reel / "bpe" / "bpe18_ensemble_csv.zip"
    with zipfile.ZipFile(source) as archive:
        assert archive.namelist() == ["bpe18_ensemble.csv"], archive.namelist()
        n = archive.read("bpe18_ensemble.csv").count(b"\n") - 1
    shutil.copyfile(source, SORTIE / "bpe18_ensemble_csv.zip")
    print(f"bpe18_ensemble_csv.zip : {n} lignes (archive officielle copiée telle quelle)")
    n = hors_referentiel(reel, SORTIE / "_communes_hors_cog2022.csv")
    print(f"_communes_hors_cog2022.csv : {n} codes")
    n = _extraire(reel / "caf" / "data_CAF_2020_IRIS.csv", SORTIE / "data_CAF_2020_IRIS.csv",
                  lambda code: code.startswith(DEPARTEMENT))
    print(f"data_CAF_2020_IRIS.csv : {n} lignes")
    total = sum(p.stat().st_size for p in SORTIE.iterdir() if p.is_file())
    print(f"Total {SORTIE} : {total / 1e6:.2f} Mo")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reel", type=Path, default=Path("/work/shared/data/reel"))
    main(parser.parse_args().reel)
