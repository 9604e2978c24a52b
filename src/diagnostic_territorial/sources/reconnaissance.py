"""Recognise the files of data/brut/ by their content, whatever their name.

A consultant drops files as the browser saved them (`s_ben_com_f (1).csv`,
`donnees_communes_pop_2019.csv`, `DS_RP_LOGEMENT_PRINC_CSV_FR.zip`...). Each file (or each data
member of a zip) is recognised from its header line (or, for Excel workbooks, its name), never
from its name alone: the published layouts below are told apart by their columns. A file that
matches none is reported with the closest known layout and what it lacks.

`inventaire(dossier)` -> (recognised files, unrecognised files). Only the first bytes of each
file are read (a national file of several hundred MB costs nothing); the years a file holds are
read when needed (`millesimes_du_fichier`).
"""

from __future__ import annotations

import gzip
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# Files of data/brut/ that are not data: never reported as unrecognised.
INTERNES = {"checksums.json", "simulations.yaml", "lisezmoi.md", "readme.md", ".gitkeep"}
EXTENSIONS = (".csv", ".txt", ".zip", ".gz", ".json", ".xlsx", ".xls", ".parquet")
MOTIF_ANNEE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
MOTIF_YY = re.compile(r"^[PC](\d\d)_")


@dataclass(frozen=True)
class Disposition:
    """A published layout: what it is, the cache source it feeds, the columns that identify it."""

    cle: str
    libelle: str  # French, for messages
    source: str  # cache source key ("" : recognised but not read by the study)
    colonnes: frozenset[str]  # columns that must all be present (case-insensitive)
    exemple: str = ""  # the official name, for messages


DISPOSITIONS = (
    Disposition("melodi", "fichier Melodi de l'Insee (format long GEO;GEO_OBJECT;...;TIME_PERIOD;OBS_VALUE)", "",
                frozenset({"GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE"}), "DS_RP_POPULATION_PRINC_data.csv"),
    Disposition("filosofi", "Insee, Filosofi (revenu disponible, FILOaaaa_DISP_*)", "filosofi",
                frozenset({"CODGEO", "NBMEN", "Q2"}), "FILO2021_DISP_COM.csv"),
    Disposition("populations_legales", "Insee, populations légales des communes", "populations_legales",
                frozenset({"PMUN", "PCAP", "PTOT"}), "donnees_communes.csv"),
    Disposition("rp_base_cc", "Insee, recensement, base communale (base-cc-*)", "",
                frozenset({"CODGEO", "P_"}), "base-cc-logement-2021.CSV"),
    Disposition("bpe_agregee", "Insee, BPE agrégée (bpeaa_ensemble)", "bpe",
                frozenset({"DEPCOM", "TYPEQU", "NB_EQUIP", "AN"}), "bpe20_ensemble.csv"),
    Disposition("bpe_xy", "Insee, BPE géolocalisée (BPEaa)", "bpe", frozenset({"DEPCOM", "TYPEQU", "AN", "NOMRS"}),
                "BPE23.csv"),
    Disposition("caf_communes", "Cnaf, data.caf.fr s_ben_com_f (allocataires par commune)", "caf_communes",
                frozenset({"dtreffre", "numcomdo"}), "s_ben_com_f.csv"),
    Disposition("caf_txcouv_pe", "Cnaf, data.caf.fr txcouv_pe_* (taux de couverture petite enfance)", "caf_txcouv_pe",
                frozenset({"annee", "txcouv"}), "txcouv_pe_com.csv"),
    Disposition("caf_iris", "Cnaf, allocataires par IRIS (data_CAF_aaaa_IRIS)", "caf_iris",
                frozenset({"CODGEO", "NOTE", "A", "PERCOU"}), "data_CAF_2020_IRIS.csv"),
    Disposition("france_travail", "Dares, demandeurs d'emploi par commune (dares_defm_communales-brutes)",
                "france_travail", frozenset({"commune", "categorie", "sexe", "age", "demandeurs"}),
                "dares_defm_communales-brutes.csv"),
    Disposition("cog", "Insee, code officiel géographique (référentiel)", "", frozenset({"TYPECOM", "COM", "DEP"}),
                "commune_2021.csv"),
    Disposition("epci_composition", "Insee, composition communale des EPCI (référentiel)", "",
                frozenset({"CODGEO", "EPCI", "LIBEPCI"}), "EPCI_2020.csv"),
    Disposition("dictionnaire", "Insee, dictionnaire des variables (documentation)", "",
                frozenset({"COD_VAR", "LIB_VAR"}), "meta_base-cc-logement-2021.CSV"),
)
PAR_CLE = {d.cle: d for d in DISPOSITIONS}

# RP base communale: a variable characteristic of each base -> its cache source.
THEMES_RP = (
    ("ACTOCC15P_VOIT", "rp_caract_emploi"),
    ("SAL15P_TP", "rp_caract_emploi"),
    ("NSCOL15P", "rp_diplomes_formation"),
    ("SCOL0205", "rp_diplomes_formation"),
    ("ACT1564", "rp_emploi_pop_active"),
    ("EMPLT", "rp_emploi_pop_active"),
    ("LOG", "rp_logement"),
    ("FAM", "rp_couples_familles_menages"),
    ("MEN", "rp_couples_familles_menages"),
    ("POP0014", "rp_evol_struct_pop"),
)


@dataclass(frozen=True)
class Reconnu:
    chemin: Path
    membre: str | None  # data member of a zip (None: the file itself)
    disposition: str  # key of DISPOSITIONS
    source: str  # cache source key it can feed ("" : none of the study's)
    detail: str = ""  # Melodi dataset id, Filosofi level, RP theme, txcouv level...
    millesime_nom: int | None = None  # year carried by the name or the columns, if any
    colonnes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def nom(self) -> str:
        return f"{self.chemin.name}/{self.membre}" if self.membre else self.chemin.name

    @property
    def libelle(self) -> str:
        return PAR_CLE[self.disposition].libelle + (f" [{self.detail}]" if self.detail else "")


@dataclass(frozen=True)
class NonReconnu:
    chemin: Path
    raison: str  # French
    proche: str = ""  # closest known layout and what it lacks

    @property
    def nom(self) -> str:
        return self.chemin.name


def _simple(texte: str) -> str:
    import unicodedata

    texte = unicodedata.normalize("NFKD", texte).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9_]+", " ", texte.lower()).strip()


def _entete(octets: bytes) -> list[str] | None:
    """Columns of the first line of a text file (`;`, `,` or tab), or None if not text."""
    if b"\x00" in octets[:4096]:
        return None
    premiere = octets.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        texte = premiere.decode("utf-8-sig")
    except UnicodeDecodeError:
        texte = premiere.decode("cp1252", errors="replace")
    for sep in (";", "\t", ","):
        if sep in texte:
            return [c.strip().strip('"') for c in texte.split(sep)]
    return [texte.strip()] if texte.strip() else None


def _debut(chemin: Path, membre: str | None = None, taille: int = 65536) -> bytes:
    if membre is not None:
        with zipfile.ZipFile(chemin) as archive, archive.open(membre) as f:
            return f.read(taille)
    if chemin.name.lower().endswith(".gz"):
        with gzip.open(chemin, "rb") as f:
            return f.read(taille)
    with open(chemin, "rb") as f:
        return f.read(taille)


def _annee_du_nom(nom: str) -> int | None:
    annees = [int(a) for a in MOTIF_ANNEE.findall(nom)]
    return annees[-1] if annees else None


def _france_travail(colonnes: list[str]) -> bool:
    simples = {_simple(c) for c in colonnes}
    return (any("commune" in s for s in simples) and any(s.startswith("categorie") for s in simples)
            and "sexe" in simples and any("age" in s for s in simples)
            and any("demandeurs" in s or s in ("valeur", "nb_defm", "obs_value") for s in simples))


def _selon_colonnes(chemin: Path, membre: str | None, nom: str, colonnes: list[str]) -> Reconnu | None:
    exactes = set(colonnes)
    majuscules = {c.upper() for c in colonnes}
    minuscules = {c.lower() for c in colonnes}

    def reconnu(cle: str, source: str | None = None, detail: str = "", annee: int | None = None) -> Reconnu:
        d = PAR_CLE[cle]
        return Reconnu(chemin, membre, cle, d.source if source is None else source, detail, annee, tuple(colonnes))

    if {"GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE"} <= exactes:
        from diagnostic_territorial.sources import melodi

        identifie = melodi.id_du_nom(nom)
        jeu = melodi.jeux().get(identifie[0]) if identifie else None
        jeu = jeu or melodi.jeu_des_colonnes(colonnes)
        if jeu is None:
            return None
        return reconnu("melodi", jeu.source, jeu.id, identifie[1] if identifie else None)
    if {"PMUN", "PCAP", "PTOT"} <= majuscules:
        return reconnu("populations_legales", annee=_annee_du_nom(nom))
    if {"dtreffre", "numcomdo"} <= minuscules:
        return reconnu("caf_communes")
    if "dtreffre" in minuscules and minuscules & {"numepci", "numdep"} and any(
            c.lower().startswith("indfoy_") for c in colonnes):  # s_ben_epci_f, s_ben_dep: the same source
        return reconnu("caf_communes", detail="epci" if "numepci" in minuscules else "dep")
    if "annee" in minuscules and any(c.lower().startswith("txcouv") for c in colonnes):
        niveau = next((n for n in ("com", "epci", "dep", "reg", "nat", "fra")
                       if any(c.lower() in (f"num{n}", f"num{n}i") for c in colonnes)
                       or any(c.lower().endswith(f"_{n}") and c.lower().startswith("txcouv") for c in colonnes)), "")
        return reconnu("caf_txcouv_pe", detail=niveau)
    if {"CODGEO", "NOTE", "A"} <= majuscules:
        return reconnu("caf_iris", annee=_annee_du_nom(nom))
    if {"DEPCOM", "TYPEQU", "AN"} <= majuscules:
        return reconnu("bpe_agregee" if "NB_EQUIP" in majuscules else "bpe_xy")
    if _france_travail(colonnes):
        return reconnu("france_travail")
    if "CODGEO" in majuscules:
        filo = [re.fullmatch(r"Q2(\d\d)", c) for c in colonnes]
        filo = next((m for m in filo if m), None)
        pauvres = next((m for m in (re.fullmatch(r"TP60(\d\d)", c) for c in colonnes) if m), None)
        if filo or pauvres:  # the « Pauvres » file (poverty rates) has TP60aa but no median
            niveau = re.search(r"_DISP_(?:PAUVRES_)?(COM|EPCI|DEP|REG|METROPOLE)", nom, re.IGNORECASE)
            detail = niveau.group(1).upper() if niveau else ""
            return reconnu("filosofi", detail=detail if filo else f"PAUVRES_{detail}".rstrip("_"),
                           annee=2000 + int((filo or pauvres).group(1)))
        annees = [int(m.group(1)) for m in (MOTIF_YY.match(c) for c in colonnes) if m]
        if annees:
            variables = {c[4:] for c in colonnes if MOTIF_YY.match(c)}
            source = next((s for motif, s in THEMES_RP if motif in variables), "")
            yy = max(annees)
            return reconnu("rp_base_cc", source=source, detail=source.removeprefix("rp_"),
                           annee=2000 + yy if yy < 60 else 1900 + yy)
        if {"EPCI", "LIBEPCI"} <= majuscules:
            return reconnu("epci_composition")
    if {"TYPECOM", "COM", "DEP"} <= majuscules:
        return reconnu("cog")
    if {"COD_VAR", "LIB_VAR"} <= majuscules:
        return reconnu("dictionnaire")
    return None


def _proche(colonnes: list[str] | None) -> str:
    """The known layout sharing most of its identifying columns with these, and what is missing."""
    if not colonnes:
        return ""
    simples = {_simple(c) for c in colonnes}
    meilleur, score, manque = None, 0.0, []
    for d in DISPOSITIONS:
        attendues = {_simple(c) for c in d.colonnes}
        presentes = {a for a in attendues if any(a == s or (a.endswith("_") and s.startswith(a)) for s in simples)}
        part = len(presentes) / len(attendues)
        if part > score:
            meilleur, score, manque = d, part, sorted(c for c in d.colonnes if _simple(c) not in presentes)
    if meilleur is None:
        return ""
    texte = f"le plus proche : {meilleur.libelle} (ex. {meilleur.exemple})"
    if manque:
        texte += f" ; colonne(s) absente(s) : {', '.join(manque)}"
    return texte


def _classeur(chemin: Path, nom: str) -> Reconnu | None:
    """Excel workbooks are recognised by their official name (reading them is slow)."""
    bas = nom.lower()
    if bas.startswith(("intercommunalite", "epci_au_")):
        return Reconnu(chemin, None, "epci_composition", "", "", _annee_du_nom(nom))
    filo = re.fullmatch(r"(?:base-cc-filosofi-(\d{4})|filo(\d{4})_disp_(pauvres_)?(com|epci|dep|reg|metropole))\.xlsx?", bas)
    if filo:
        annee = int(filo.group(1) or filo.group(2))
        return Reconnu(chemin, None, "filosofi", "filosofi", ((filo.group(3) or "") + (filo.group(4) or "")).upper(), annee)
    rp = re.fullmatch(r"base-cc+-([a-z_-]+?)-(\d{4})(?:_v\d)?\.xlsx?", bas)
    if rp:
        theme = rp.group(1).replace("_", "-")
        source = {
            "evol-struct-pop": "rp_evol_struct_pop", "coupl-fam-men": "rp_couples_familles_menages",
            "couples-familles-menages": "rp_couples_familles_menages", "logement": "rp_logement",
            "emploi-pop-active": "rp_emploi_pop_active", "diplomes-formation": "rp_diplomes_formation",
            "caract-emp": "rp_caract_emploi",
        }.get(theme, "")
        return Reconnu(chemin, None, "rp_base_cc", source, source.removeprefix("rp_"), int(rp.group(2)))
    return None


def reconnaitre(chemin: Path) -> list[Reconnu] | NonReconnu:
    """The data files in `chemin` (one, or the data members of a zip) recognised by content."""
    chemin = Path(chemin)
    nom = chemin.name
    bas = nom.lower()
    if bas.endswith((".xlsx", ".xls")):
        r = _classeur(chemin, nom)
        return [r] if r else NonReconnu(chemin, "classeur Excel au nom inconnu", "attendu : nom officiel de l'Insee "
                                        "(base-cc-…-aaaa.xlsx, FILOaaaa_DISP_COM.xlsx, base-cc-filosofi-aaaa.xls)")
    if bas.endswith(".zip"):
        try:
            with zipfile.ZipFile(chemin) as archive:
                membres = [i.filename for i in archive.infolist() if not i.filename.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            return NonReconnu(chemin, f"archive zip illisible ({exc})")
        resultats, raisons = [], []
        for membre in membres:
            base = Path(membre).name
            if base.lower().startswith("meta") or "_metadata" in base.lower() or base.lower().endswith(
                    (".pdf", ".txt", ".html", ".md")):
                continue
            if base.lower().endswith((".xlsx", ".xls")):
                r = _classeur(chemin, base)
                if r:
                    resultats.append(Reconnu(chemin, membre, r.disposition, r.source, r.detail, r.millesime_nom))
                continue
            try:
                colonnes = _entete(_debut(chemin, membre))
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raisons.append(f"{base} : illisible ({exc})")
                continue
            r = _selon_colonnes(chemin, membre, base, colonnes or [])
            if r:
                resultats.append(r)
            else:
                raisons.append(f"{base} : {_proche(colonnes) or 'en-tête inconnu'}")
        if resultats:
            return resultats
        return NonReconnu(chemin, "aucun fichier de données reconnu dans l'archive", " ; ".join(raisons[:3]))
    if bas.endswith(".json"):
        try:
            debut = _debut(chemin).decode("utf-8-sig", errors="replace")
        except OSError as exc:
            return NonReconnu(chemin, f"illisible ({exc})")
        if '"observations"' in debut:
            from diagnostic_territorial.sources import melodi

            trouve = re.search(r'"identifier"\s*:\s*"(DS_[A-Z0-9_]+)"', _lire_tout(chemin))
            jeu = melodi.jeux().get(trouve.group(1)) if trouve else None
            if jeu:
                return [Reconnu(chemin, None, "melodi", jeu.source, jeu.id, None)]
            return NonReconnu(chemin, "réponse de l'API Melodi d'un jeu non utilisé par l'étude",
                              f"jeu : {trouve.group(1) if trouve else 'inconnu'}")
        return NonReconnu(chemin, "fichier JSON inconnu")
    if not bas.endswith((".csv", ".txt", ".csv.gz", ".gz")):
        return NonReconnu(chemin, "extension inconnue (fichiers .csv, .zip, .xlsx, .json attendus)")
    try:
        colonnes = _entete(_debut(chemin))
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        return NonReconnu(chemin, f"illisible ({exc})")
    if not colonnes:
        return NonReconnu(chemin, "fichier vide ou binaire")
    r = _selon_colonnes(chemin, None, nom[:-3] if bas.endswith(".gz") else nom, colonnes)
    if r:
        return [r]
    # the header is not echoed: an unknown file may hold anything (personal data...)
    return NonReconnu(chemin, f"en-tête inconnu ({len(colonnes)} colonne(s))", _proche(colonnes))


def _lire_tout(chemin: Path) -> str:
    return Path(chemin).read_text(encoding="utf-8-sig", errors="replace")


def inventaire(dossier: Path) -> tuple[list[Reconnu], list[NonReconnu]]:
    """Every file of data/brut/: the data files recognised, and the others with the reason."""
    reconnus, inconnus = [], []
    dossier = Path(dossier)
    if not dossier.is_dir():
        return reconnus, inconnus
    racine = dossier.resolve().parents[1] if len(dossier.resolve().parents) > 1 else dossier.resolve()
    for chemin in sorted(p for p in dossier.iterdir() if p.is_file() or p.is_symlink()):
        if chemin.name.lower() in INTERNES or chemin.name.startswith(".") or chemin.name.endswith((".part", ".tmp")):
            continue
        if chemin.is_symlink():
            cible = chemin.resolve()
            if not cible.is_relative_to(racine):  # never read what a link points to outside the study
                inconnus.append(NonReconnu(chemin, "lien symbolique vers un fichier hors de l'étude : refusé, non lu "
                                                   "(copiez le fichier lui-même dans data/brut/)"))
                continue
            if not cible.is_file():
                inconnus.append(NonReconnu(chemin, "lien symbolique cassé"))
                continue
        resultat = reconnaitre(chemin)
        if isinstance(resultat, NonReconnu):
            inconnus.append(resultat)
        else:
            reconnus.extend(resultat)
    return reconnus, inconnus


# --- Years held by a recognised file -----------------------------------------------------------

# Column holding the year, by layout (files holding several years are scanned).
COLONNES_ANNEE = {
    "melodi": ("TIME_PERIOD",),
    "bpe_agregee": ("AN",),
    "bpe_xy": ("AN",),
    "caf_communes": ("dtreffre",),
    "caf_txcouv_pe": ("annee",),
    "france_travail": ("Date", "date", "Trimestre", "trimestre", "periode", "TIME_PERIOD"),
}


def _ouvrir(r: Reconnu):
    if r.membre is not None:
        archive = zipfile.ZipFile(r.chemin)
        return archive.open(r.membre), archive
    if r.chemin.name.lower().endswith(".gz"):
        return gzip.open(r.chemin, "rb"), None
    return open(r.chemin, "rb"), None


def _valeurs_colonne(r: Reconnu, colonne: str) -> list[str]:
    """Distinct values of one column of a recognised CSV (streamed: a national file is large)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    colonnes = list(r.colonnes)
    flux, archive = _ouvrir(r)
    try:
        separateur = ";" if ";" in ";".join(colonnes) or len(colonnes) == 1 else ","
        debut = flux.read(3)
        if debut != b"\xef\xbb\xbf":
            flux.close()
            if archive is not None:
                archive.close()
            flux, archive = _ouvrir(r)
        lecteur = pacsv.open_csv(
            flux,
            read_options=pacsv.ReadOptions(column_names=colonnes, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=separateur),
            convert_options=pacsv.ConvertOptions(include_columns=[colonne], column_types={colonne: pa.string()}),
        )
        valeurs = set()
        for lot in lecteur:
            valeurs.update(v for v in pc.unique(lot.column(0)).to_pylist() if v is not None)
        return sorted(valeurs)
    finally:
        flux.close()
        if archive is not None:
            archive.close()


def annees(r: Reconnu) -> tuple[int, ...]:
    """The years a recognised file holds (census years of a Melodi RP file, Decembers of
    s_ben_com_f, fourth quarters of the Dares file...); () when the file does not tell."""
    if r.disposition in ("filosofi", "rp_base_cc", "populations_legales", "caf_iris") and r.millesime_nom:
        return (r.millesime_nom,)
    if r.disposition == "melodi" and r.chemin.suffix.lower() == ".json":
        texte = _lire_tout(r.chemin)
        return tuple(sorted({int(a) for a in re.findall(r'"TIME_PERIOD"\s*:\s*"(\d{4})', texte)}))
    candidates = [c for c in COLONNES_ANNEE.get(r.disposition, ()) if c in r.colonnes]
    if not candidates:
        return (r.millesime_nom,) if r.millesime_nom else ()
    try:
        valeurs = _valeurs_colonne(r, candidates[0])
    except Exception:  # a damaged file: the reader will name the fault when it is read
        return ()
    if r.disposition == "france_travail":
        valeurs = [v for v in valeurs if re.search(r"T4|-12-31|Q4", v.upper())]
    if r.disposition == "caf_communes":  # Decembers only (s_ben_dep is monthly)
        valeurs = [v for v in valeurs if not re.match(r"\s*\d{4}-?\d{2}", v) or re.match(r"\s*\d{4}-?12", v)]
    trouvees = {int(m.group(0)) for v in valeurs if (m := re.match(r"\d{4}", v.strip()))}
    return tuple(sorted(trouvees))
