"""The normalised (tidy) table every source reader returns, and its provenance."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from diagnostic_territorial import ecriture

# One file hash for the whole project (ecriture.sha256_fichier), under its historical name here.
sha256_fichier = ecriture.sha256_fichier

COLONNES = ["codgeo", "niveau", "variable", "millesime", "valeur", "secret"]
NIVEAUX = ("commune", "epci", "departement", "region", "france", "iris")


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


# --- Helpers shared by the readers -----------------------------------------------------------

MARQUES_SECRET = frozenset({"s", "nd", "n.d.", "ns"})


def contenu_brut(chemin: Path, membre: str | None = None) -> tuple[str, bytes]:
    """Return (name, bytes) of a data file, a `.gz` file or a member of a `.zip` archive.

    In a zip, `membre` is matched case-insensitively on the full name or on the name without
    extension (an archive may hold `.csv`, `.CSV` or `.xlsx`); without `membre` the archive must
    hold a single data file (INSEE `meta_*` documentation files are ignored).
    """
    import gzip
    import zipfile

    from diagnostic_territorial.erreurs import FormatInconnu

    chemin = Path(chemin)
    nom = chemin.name
    try:
        if nom.lower().endswith(".zip"):
            with zipfile.ZipFile(chemin) as archive:
                noms = [n for n in archive.namelist() if not n.endswith("/")]
                if membre:
                    cible = membre.lower()
                    souche = cible.rsplit(".", 1)[0]
                    choix = [n for n in noms if Path(n).name.lower() == cible]
                    choix = choix or [n for n in noms if Path(n).name.lower().rsplit(".", 1)[0] == souche]
                else:
                    choix = [
                        n
                        for n in noms
                        if not Path(n).name.lower().startswith("meta") and "_metadata" not in Path(n).name.lower()
                        and Path(n).suffix.lower() in (".csv", ".xlsx", ".xls")
                    ]
                if len(choix) != 1:
                    attendu = f"« {membre} »" if membre else "un seul fichier de données"
                    raise FormatInconnu(
                        chemin, f"l'archive devrait contenir {attendu} ; elle contient : {', '.join(noms) or 'rien'}"
                    )
                return f"{nom}/{Path(choix[0]).name}", archive.read(choix[0])
        if nom.lower().endswith(".gz"):
            with gzip.open(chemin, "rb") as f:
                return nom, f.read()
        return nom, chemin.read_bytes()
    except (zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise FormatInconnu(chemin, f"archive corrompue ou tronquée ({exc})") from None
    except OSError as exc:
        raise FormatInconnu(chemin, f"lecture impossible ({exc})") from None


def nom_donnees(nom: str) -> str:
    """File name without archive parts: `x.zip/FILO2019_DISP_COM.csv` -> `FILO2019_DISP_COM.csv`."""
    nom = nom.rsplit("/", 1)[-1]
    return nom[:-3] if nom.lower().endswith(".gz") else nom


def _lignes_csv(nom: str, octets: bytes, obligatoires, sep: str, encodages) -> tuple[str, list[str], int]:
    """Decode and check an INSEE CSV; returns (text with normalised newlines, columns, rows)."""
    from diagnostic_territorial.erreurs import FormatInconnu

    texte = None
    for encodage in encodages:
        try:
            texte = octets.decode(encodage)
            break
        except UnicodeDecodeError as exc:
            erreur = exc
    if texte is None:
        ligne = octets[: erreur.start].count(b"\n") + 1
        raise FormatInconnu(
            nom, f"encodage inattendu à la ligne {ligne} (UTF-8 attendu ; fichier réenregistré en latin-1 ?)"
        )
    texte = texte.removeprefix("\ufeff")
    if "\x00" in texte:
        raise FormatInconnu(nom, "caractère nul : ce n'est pas un fichier texte CSV")
    lignes = texte.splitlines()
    while lignes and not lignes[-1].strip():
        lignes.pop()
    if not lignes:
        raise FormatInconnu(nom, "fichier vide")
    entete = lignes[0]
    if sep not in entete:
        raise FormatInconnu(nom, f"séparateur « {sep} » introuvable dans l'en-tête (ligne 1) : « {entete[:80]} »")
    colonnes = [c.strip() for c in entete.split(sep)]
    if len(set(colonnes)) != len(colonnes) or "" in colonnes:
        raise FormatInconnu(nom, "en-tête (ligne 1) avec une colonne vide ou en double")
    manquantes = [c for c in obligatoires if c not in colonnes]
    if manquantes:
        raise FormatInconnu(nom, f"colonne(s) manquante(s) : {', '.join(manquantes)} (en-tête ligne 1)")
    attendu = len(colonnes) - 1
    for numero, ligne in enumerate(lignes[1:], start=2):
        if ligne.count(sep) != attendu:
            if not ligne.strip():
                raise FormatInconnu(nom, f"ligne {numero} vide au milieu du fichier")
            raise FormatInconnu(
                nom,
                f"ligne {numero} : {ligne.count(sep) + 1} champs au lieu de {attendu + 1}"
                " (ligne tronquée ou séparateur inattendu)",
            )
    return "\n".join(lignes), colonnes, len(lignes) - 1


def _read_csv(nom: str, texte: str, colonnes: list[str], n: int, sep: str, **options) -> pd.DataFrame:
    import io

    from diagnostic_territorial.erreurs import FormatInconnu

    try:
        df = pd.read_csv(
            io.StringIO(texte),
            sep=sep,
            header=0,
            names=colonnes,
            quoting=3,  # csv.QUOTE_NONE: INSEE files carry no quotes
            engine="c",
            **options,
        )
    except pd.errors.ParserError as exc:
        raise FormatInconnu(nom, f"CSV illisible ({exc})") from None
    if df.shape != (n, len(colonnes)):
        raise FormatInconnu(nom, "structure du CSV incohérente (lignes ou colonnes inattendues)")
    return df


def _table_csv_rapide(octets: bytes, obligatoires, sep: str) -> "pd.DataFrame | None":
    """Fast path of `table_csv` for large well-formed UTF-8 files (pyarrow's multi-threaded CSV
    reader, strings kept as they are). Returns None as soon as anything is unusual (encoding,
    header, ragged or empty line...): the strict path then parses the file or names the fault."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if len(octets) < 1 << 20 or b"\x00" in octets:
        return None
    corps = octets[3:] if octets.startswith(b"\xef\xbb\xbf") else octets
    interieur = corps.rstrip(b"\r\n")
    if b"\n\n" in interieur or b"\n\r\n" in interieur or b"\r\r" in interieur:
        return None  # an empty line in the middle: the strict path names it
    try:
        entete = corps[: corps.find(b"\n")].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    colonnes = [c.strip() for c in entete.split(sep)]
    if (sep not in entete or len(set(colonnes)) != len(colonnes) or "" in colonnes
            or any(c not in colonnes for c in obligatoires)):
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(corps),
            read_options=pacsv.ReadOptions(column_names=colonnes, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=sep, quote_char=False, double_quote=False,
                                             escape_char=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in colonnes},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    chaine = pd.StringDtype(storage="pyarrow", na_value=np.nan)
    return table.to_pandas(types_mapper={pa.string(): chaine, pa.large_string(): chaine}.get)


def table_csv(
    nom: str, octets: bytes, obligatoires=("CODGEO",), sep: str = ";", encodages=("utf-8-sig",)
) -> "pd.DataFrame":
    """Parse an INSEE CSV into a DataFrame of strings, refusing anything ambiguous.

    UTF-8 (with or without BOM) unless other `encodages` are allowed (only for files whose text
    columns are ignored), `sep` in the header, the same number of fields on every line (a
    truncated or ragged line is named), required columns present. Values are not converted.
    """
    if any(e.lower().replace("_", "-") in ("utf-8", "utf-8-sig", "utf8") for e in encodages):
        rapide = _table_csv_rapide(octets, obligatoires, sep)
        if rapide is not None:
            return rapide
    texte, colonnes, n = _lignes_csv(nom, octets, obligatoires, sep, encodages)
    try:
        return _read_csv(nom, texte, colonnes, n, sep, dtype=str, keep_default_na=False, na_filter=False)
    except ValueError as exc:
        from diagnostic_territorial.erreurs import FormatInconnu

        raise FormatInconnu(nom, f"CSV illisible ({exc})") from None


def valeurs_csv(
    nom: str,
    octets: bytes,
    colonnes_texte,
    decimale: str,
    obligatoires=("CODGEO",),
    sep: str = ";",
    encodages=("utf-8-sig",),
    marques_secret=MARQUES_SECRET,
    colonnes_valeurs=None,
):
    """Parse an INSEE CSV whose columns are all numeric except `colonnes_texte` (or, when
    `colonnes_valeurs` is given, whose numeric columns are exactly those).

    Returns (texts: DataFrame of the text columns, value column names, values (n, k) float array,
    masked (n, k) bool array: empty cell or secrecy mark). Fast path: the C parser converts the
    numbers; if anything is not a plain number, every column is re-checked to name the culprit.
    """
    import numpy as np

    texte, colonnes, n = _lignes_csv(nom, octets, obligatoires, sep, encodages)
    if colonnes_valeurs is not None:
        numeriques = [c for c in colonnes if c in set(colonnes_valeurs)]
    else:
        numeriques = [c for c in colonnes if c not in set(colonnes_texte)]
    textes = [c for c in colonnes if c not in set(numeriques)]
    try:
        df = _read_csv(
            nom, texte, colonnes, n, sep,
            dtype={c: (str if c in textes else "float64") for c in colonnes},
            decimal=decimale, thousands=None, keep_default_na=False, na_values={c: [""] for c in numeriques},
        )
        valeurs = df[numeriques].to_numpy(dtype="float64") if numeriques else np.empty((n, 0))
        if not np.isfinite(valeurs[~np.isnan(valeurs)]).all():
            raise ValueError("valeur infinie")
        return df[textes].fillna("").astype(str), numeriques, valeurs, np.isnan(valeurs)
    except ValueError:
        pass
    df = table_csv(nom, octets, obligatoires, sep, encodages)
    valeurs, masques = [], []
    for colonne in numeriques:
        valeur, masque = nombres(df[colonne], nom, colonne, decimale, 2, marques_secret)
        valeurs.append(valeur.to_numpy())
        masques.append(masque.to_numpy())
    if not numeriques:
        return df[textes], [], np.empty((n, 0)), np.empty((n, 0), dtype=bool)
    return df[textes], numeriques, np.column_stack(valeurs), np.column_stack(masques)


def nombres(
    valeurs: "pd.Series",
    nom: str,
    colonne: str,
    decimale: str = ".",
    premiere_ligne: int = 2,
    marques_secret=MARQUES_SECRET,
) -> tuple["pd.Series", "pd.Series"]:
    """Convert a column of strings to floats; returns (valeur, secret).

    Empty cells and secrecy marks (`s`, `nd`...) give NaN with secret True; anything else that is not
    a plain number raises FormatInconnu naming the column and line. Never turns a cell into 0.
    """
    import numpy as np

    from diagnostic_territorial.erreurs import FormatInconnu

    texte = valeurs.astype(str).str.strip()
    masque = (texte == "") | texte.str.lower().isin(marques_secret)
    motif = r"[-+]?\d+(?:" + ("," if decimale == "," else r"\.") + r"\d*)?(?:[eE][-+]?\d+)?"
    valide = texte.str.fullmatch(motif)
    mauvais = ~(masque | valide)
    if mauvais.any():
        position = int(np.flatnonzero(mauvais.to_numpy())[0])
        raise FormatInconnu(
            nom,
            f"colonne {colonne}, ligne {position + premiere_ligne} : valeur non numérique « {texte.iloc[position][:30]} »",
        )
    if decimale == ",":
        texte = texte.str.replace(",", ".", regex=False)
    nombre = pd.to_numeric(texte.where(~masque, None), errors="coerce").astype("float64")
    return nombre, masque.astype(bool)


def assembler(codgeo, niveau, variables: list[str], valeurs, secrets, millesimes) -> pd.DataFrame:
    """Build the tidy table from wide arrays (one row per territory, one column per variable)."""
    import numpy as np
    import pyarrow as pa

    codgeo = np.asarray(codgeo, dtype=object)
    n, k = len(codgeo), len(variables)
    niveaux = np.broadcast_to(np.asarray(niveau, dtype=object), (n,)).astype(object)

    def repete(indices, dictionnaire):
        return pa.DictionaryArray.from_arrays(
            pa.array(indices, pa.int32()), pa.array(list(dictionnaire), pa.string())
        ).cast(pa.string())

    lignes = np.repeat(np.arange(n, dtype=np.int32), k)
    table = pa.table(
        {
            "codgeo": repete(lignes, codgeo),
            "niveau": repete(lignes, niveaux),
            "variable": repete(np.tile(np.arange(k, dtype=np.int32), n), variables),
            "millesime": pa.array(np.tile(np.asarray(millesimes, dtype="int64"), n)),
            "valeur": pa.array(np.asarray(valeurs, dtype="float64").reshape(-1)),
            "secret": pa.array(np.asarray(secrets, dtype=bool).reshape(-1)),
        }
    )
    df = table.to_pandas()
    return df.astype({"codgeo": "str", "niveau": "str", "variable": "str"})
