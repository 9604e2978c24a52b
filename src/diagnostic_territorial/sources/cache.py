"""Parquet cache of the tidy tables (data/cache/<source>_<millesime>.parquet).

The provenance travels in the parquet schema metadata (JSON); reads can be restricted to a few
geographic codes, the filter being pushed down to pyarrow (row groups are sorted by codgeo).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .schema import COLONNES, Provenance, table_vide, verifier

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


def ecrire(df: pd.DataFrame, chemin_parquet: Path) -> Path:
    """Write a tidy table atomically (temp file + os.replace), provenance in the metadata."""
    verifier(df)
    chemin = Path(chemin_parquet)
    chemin.parent.mkdir(parents=True, exist_ok=True)
    provenance = df.attrs.get("provenance")
    trie = df[COLONNES].sort_values(["codgeo", "niveau", "variable", "millesime"], kind="stable")
    trie.attrs = {}  # the provenance goes into our own metadata key, not pandas' attrs
    table = pa.Table.from_pandas(trie, schema=SCHEMA, preserve_index=False)
    metadonnees = dict(table.schema.metadata or {})
    metadonnees.pop(b"pandas", None)
    if provenance is not None:
        donnees = provenance.to_dict() if isinstance(provenance, Provenance) else dict(provenance)
        metadonnees[CLE_PROVENANCE] = json.dumps(donnees, ensure_ascii=False).encode("utf-8")
    table = table.replace_schema_metadata(metadonnees)
    fd, temp = tempfile.mkstemp(dir=chemin.parent, prefix=f".{chemin.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, temp, row_group_size=200_000, compression="zstd")
        os.chmod(temp, 0o644)
        os.replace(temp, chemin)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return chemin


def provenance(chemin_parquet: Path) -> Provenance | None:
    metadonnees = pq.read_schema(chemin_parquet).metadata or {}
    if CLE_PROVENANCE not in metadonnees:
        return None
    return Provenance.from_dict(json.loads(metadonnees[CLE_PROVENANCE].decode("utf-8")))


def lire(chemin_parquet: Path, codgeos=None) -> pd.DataFrame:
    """Read a cached tidy table, optionally only the rows whose codgeo is in `codgeos`."""
    filtres = None
    if codgeos is not None:
        codgeos = sorted({str(c) for c in codgeos})
        if not codgeos:
            df = table_vide()
            df.attrs["provenance"] = provenance(chemin_parquet)
            return df
        filtres = [("codgeo", "in", codgeos)]
    table = pq.read_table(chemin_parquet, columns=COLONNES, filters=filtres)
    df = table.to_pandas()
    df = df.astype(
        {"codgeo": "str", "niveau": "str", "variable": "str", "millesime": "int64", "valeur": "float64", "secret": "bool"}
    ).reset_index(drop=True)
    df.attrs["provenance"] = provenance(chemin_parquet)
    return df
