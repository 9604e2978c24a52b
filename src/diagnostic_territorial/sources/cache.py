"""Parquet cache of the tidy tables (data/cache/<source>_<millesime>.parquet).

A study's cache holds its own rows, not all of France (`preparation._reduire`: its communes, EPCI,
départements, régions, France, and the references summed once from the national file); its key
(the files read, the readers' versions) is in the provenance, see `preparation._empreinte_entrees`,
and is compared with the next one by the project's fingerprint kernel (`empreintes.raisons`).
The provenance travels in the parquet schema metadata (JSON). Two access patterns must be fast
(<= 0.2 s on the 10-million-row RP table):

- a few variables for every commune (`pq.read_table(path, filters=[("variable", "in", [...]),
  ("millesime", "=", 2019), ("niveau", "=", "commune")])`): the main file is sorted by
  variable, millesime, niveau, codgeo and written in row groups of 64k rows, so that the min/max
  statistics of `variable` prune almost every row group;
- every variable for the few codes of one territory (`lire(path, codgeos)`): large tables get a
  companion copy sorted by niveau, codgeo (in `.par_territoire/` next to the cache, hidden from
  `*.parquet` globs) whose row groups are pruned per niveau from the codgeo statistics.
Strings are dictionary-encoded, pages compressed with zstd.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from diagnostic_territorial.ecriture import fichier_temporaire
from diagnostic_territorial.sources.schema import COLONNES, Provenance, table_vide, verifier

CLE_PROVENANCE = b"diagnostic_territorial.provenance"
SCHEMA = pa.schema(
    [
        ("codgeo", pa.string()),
        ("niveau", pa.string()),
        ("variable", pa.string()),
        ("millesime", pa.int64()),
        ("valeur", pa.float64()),
        ("secret", pa.bool_()),
    ]
)


SEUIL_COPIE_TERRITOIRE = 200_000  # rows: smaller tables are read whole faster than pruned
DOSSIER_TERRITOIRE = ".par_territoire"
ORDRE_VARIABLES = ["variable", "millesime", "niveau", "codgeo"]
ORDRE_TERRITOIRE = ["niveau", "codgeo", "variable", "millesime"]


def chemin_territoire(chemin_parquet: Path) -> Path:
    chemin = Path(chemin_parquet)
    return chemin.parent / DOSSIER_TERRITOIRE / chemin.name


def _ecrire_table(table: pa.Table, chemin: Path, taille_groupe: int) -> None:
    """Write atomically (``ecriture.fichier_temporaire``). The string columns may be
    dictionary-encoded in memory: the Arrow schema is not stored, so that readers get plain strings
    back; the provenance is written as key-value metadata of the parquet file (read by
    `pq.read_schema(...).metadata`)."""
    metadonnees = dict(table.schema.metadata or {})
    with fichier_temporaire(chemin) as temp, pq.ParquetWriter(
        str(temp), table.schema.remove_metadata(), compression="zstd",
        use_dictionary=["codgeo", "niveau", "variable", "millesime"],
        column_encoding={"valeur": "BYTE_STREAM_SPLIT"}, write_statistics=True, store_schema=False,
    ) as ecrivain:
        ecrivain.write_table(table.replace_schema_metadata(None), row_group_size=taille_groupe)
        if metadonnees:
            ecrivain.add_key_value_metadata({k.decode(): v.decode() for k, v in metadonnees.items()})


def ecrire(df: pd.DataFrame, chemin_parquet: Path) -> Path:
    """Write a tidy table atomically (``ecriture.fichier_temporaire``), provenance in the metadata."""
    verifier(df)
    chemin = Path(chemin_parquet)
    chemin.parent.mkdir(parents=True, exist_ok=True)
    provenance = df.attrs.get("provenance")
    donnees = df[COLONNES].copy()
    donnees.attrs = {}  # the provenance goes into our own metadata key, not pandas' attrs
    table = pa.Table.from_pandas(donnees, schema=SCHEMA, preserve_index=False)
    metadonnees = dict(table.schema.metadata or {})
    metadonnees.pop(b"pandas", None)
    if provenance is not None:
        valeurs = provenance.to_dict() if isinstance(provenance, Provenance) else dict(provenance)
        metadonnees[CLE_PROVENANCE] = json.dumps(valeurs, ensure_ascii=False).encode("utf-8")
    table = table.replace_schema_metadata(metadonnees)
    copie = chemin_territoire(chemin)
    copie.unlink(missing_ok=True)  # never leave a stale copy next to a new main file
    # Sort on integer ranks of dictionary-encoded columns: sorting or gathering 10 million strings
    # with pyarrow takes seconds, gathering dictionary indices does not.
    import pyarrow.compute as pc

    rangs = {"millesime": table["millesime"].to_numpy()}
    for c in ("codgeo", "niveau", "variable"):
        code = pc.dictionary_encode(table[c]).combine_chunks()
        rang_du_mot = np.argsort(np.argsort(np.asarray(code.dictionary.to_pylist(), dtype=object)))
        rangs[c] = rang_du_mot[code.indices.to_numpy(zero_copy_only=False)] if len(code.dictionary) else code.indices.to_numpy(zero_copy_only=False)
        table = table.set_column(table.schema.get_field_index(c), c, code)

    def ordre(colonnes):
        return pa.array(np.lexsort([rangs[c] for c in reversed(colonnes)]))

    _ecrire_table(table.take(ordre(ORDRE_VARIABLES)), chemin, 65_536)
    if table.num_rows > SEUIL_COPIE_TERRITOIRE:
        _ecrire_table(table.take(ordre(ORDRE_TERRITOIRE)), copie, 16_384)
    else:
        try:  # a study's cache holds small tables: no empty folder left behind
            copie.parent.rmdir()
        except OSError:
            pass  # absent, or still holding the copy of another table
    return chemin


def provenance(chemin_parquet: Path) -> Provenance | None:
    metadonnees = pq.read_schema(chemin_parquet).metadata or {}
    if CLE_PROVENANCE not in metadonnees:
        return None
    return Provenance.from_dict(json.loads(metadonnees[CLE_PROVENANCE].decode("utf-8")))


def _groupes_territoire(fichier: pq.ParquetFile, par_niveau: dict[str, list[str]], tous: list[str]) -> list[int]:
    """Row groups whose codgeo range (for their niveau) may hold one of the codes."""
    import bisect

    metadonnees = fichier.metadata
    noms = fichier.schema_arrow.names
    i_code, i_niveau = noms.index("codgeo"), noms.index("niveau")
    garder = []
    for g in range(metadonnees.num_row_groups):
        groupe = metadonnees.row_group(g)
        code, niveau = groupe.column(i_code).statistics, groupe.column(i_niveau).statistics
        if code is None or not code.has_min_max or niveau is None or not niveau.has_min_max:
            garder.append(g)
            continue
        liste = par_niveau.get(niveau.min, []) if par_niveau and niveau.min == niveau.max else tous
        k = bisect.bisect_left(liste, code.min)
        if k < len(liste) and liste[k] <= code.max:
            garder.append(g)
    return garder


def _normaliser(table: pa.Table, chemin_parquet: Path) -> pd.DataFrame:
    df = table.to_pandas()
    df = df.astype(
        {"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64", "secret": "bool"}
    ).reset_index(drop=True)
    df.attrs["provenance"] = provenance(chemin_parquet)
    return df


def lire(chemin_parquet: Path, codgeos=None, niveaux: dict | None = None) -> pd.DataFrame:
    """Read a cached tidy table, optionally only the rows whose codgeo is in `codgeos`.

    `niveaux` ({niveau: codes}) restricts each niveau to its own codes (faster pruning and no
    collision between a région code and a département code).
    """
    import pyarrow.compute as pc

    if niveaux is not None:
        niveaux = {n: sorted({str(c) for c in codes}) for n, codes in niveaux.items()}
        codgeos = set().union(*niveaux.values()) if niveaux else set()
    if codgeos is None:
        return _normaliser(pq.read_table(chemin_parquet, columns=COLONNES), chemin_parquet)
    codgeos = sorted({str(c) for c in codgeos})
    if not codgeos:
        df = table_vide()
        df.attrs["provenance"] = provenance(chemin_parquet)
        return df
    copie = chemin_territoire(chemin_parquet)
    source = Path(chemin_parquet)
    if copie.exists() and copie.stat().st_mtime >= source.stat().st_mtime:
        source = copie
    fichier = pq.ParquetFile(source)
    groupes = _groupes_territoire(fichier, niveaux or {}, codgeos)
    table = fichier.read_row_groups(groupes, columns=COLONNES) if groupes else SCHEMA.empty_table()
    masque = pc.is_in(table["codgeo"], value_set=pa.array(codgeos, pa.string()))
    if niveaux:
        masque = pc.and_(masque, pc.is_in(table["niveau"], value_set=pa.array(sorted(niveaux), pa.string())))
    table = table.filter(masque)
    if niveaux:
        garder = np.zeros(table.num_rows, dtype=bool)
        codes = table["codgeo"].to_numpy(zero_copy_only=False)
        niv = table["niveau"].to_numpy(zero_copy_only=False)
        for n, liste in niveaux.items():
            garder |= (niv == n) & np.isin(codes, liste)
        table = table.filter(pa.array(garder))
    return _normaliser(table, chemin_parquet)
