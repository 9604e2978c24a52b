"""Demo data: real extracts shipped in donnees_demo/, plus the RP file simulated for the demo.

`installer_donnees_demo(dossier_brut)` copies the real Filosofi 2019 and 2016 extracts and the
populations légales 2019 into a study's data/brut/, then SIMULATES the recensement base communale
`base-cc-evol-struct-pop-2019_csv.zip` (not available offline) in its exact published layout for
every commune of the populations légales file, and lists it in data/brut/simulations.yaml so that
every figure drawn from it is labelled « données simulées ».

The simulation is deterministic (fixed seed), consistent with the real populations (P19_POP =
PMUN 2019) and internally consistent: age bands sum to P19_POP, men + women = population,
socio-professional categories sum to C19_POP15P. Values are weighted counts with 4 decimals.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tempfile
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

DOSSIER_DEMO = Path(str(resources.files("diagnostic_territorial") / "donnees_demo"))
MILLESIME_RP = 2019
FICHIER_RP = f"base-cc-evol-struct-pop-{MILLESIME_RP}_csv.zip"
MEMBRE_RP = f"base-cc-evol-struct-pop-{MILLESIME_RP}.CSV"
GRAINE = 31_2019
UNITE = 10_000  # values are computed in 1/10000 of a person so that sums are exact

TRANCHES = ("0014", "1529", "3044", "4559", "6074", "7589", "90P")
TRANCHES_2008 = ("0014", "1529", "3044", "4559", "6074", "75P")
GROUPES_MOBILITE = ("0114", "1524", "2554", "55P")
GROUPES_CS = ("POP15P", "H15P", "F15P", "POP1524", "POP2554", "POP55P")


def colonnes_evol_struct_pop(millesime: int = MILLESIME_RP) -> list[str]:
    """Columns of base-cc-evol-struct-pop-<millesime>.CSV: CODGEO, then the blocks of the
    censuses millesime, millesime - 6 and millesime - 11 (the oldest with a 75P age band)."""
    colonnes = ["CODGEO"]
    for annee in (millesime, millesime - 6, millesime - 11):
        yy = f"{annee % 100:02d}"
        tranches = TRANCHES_2008 if annee <= 2008 else TRANCHES
        p = f"P{yy}_"
        colonnes += [p + "POP"] + [p + "POP" + t for t in tranches]
        for sexe in ("H", "F"):
            colonnes += [p + "POP" + sexe] + [p + sexe + t for t in tranches]
            colonnes += [p + sexe + t for t in ("0019", "2064", "65P")]
        colonnes += [p + "POP01P"] + [f"{p}POP01P_IRAN{i}" for i in range(1, 8)]
        for g in GROUPES_MOBILITE:
            colonnes += [f"{p}POP{g}_IRAN2P", f"{p}POP{g}_IRAN2", f"{p}POP{g}_IRAN3P"]
        c = f"C{yy}_"
        for g in GROUPES_CS:
            colonnes += [c + g] + [f"{c}{g}_CS{i}" for i in range(1, 9)]
    return colonnes


# --- Allocation helpers (integers in 1/UNITE of a person) -------------------------------------


def _repartir(total: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Split integer totals (n,) along shares (n, k) into integers summing exactly to the totals."""
    parts = parts / parts.sum(axis=1, keepdims=True)
    brut = total[:, None] * parts
    entier = np.floor(brut).astype(np.int64)
    reste = total - entier.sum(axis=1)
    rang = np.argsort(np.argsort(-(brut - entier), axis=1), axis=1)
    return entier + (rang < reste[:, None])


def _parts(fixe, rng, base, n, effet_dep, bruit: float) -> np.ndarray:
    """Shares around `base`: département effect (indexed by commune), lasting local noise drawn
    from `fixe` (same draws for every census) and a small drift between censuses from `rng`."""
    forme = (n, len(base))
    logits = np.log(np.asarray(base))[None, :] + effet_dep + fixe.normal(0, bruit, forme) + rng.normal(0, 0.04, forme)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def _bloc(rng, fixe, pop: np.ndarray, dep_idx: np.ndarray, n_dep: int, annee: int, yy: str) -> dict:
    """Simulate one census block (P.. and C.. columns) from integer populations (1/UNITE)."""
    n = len(pop)
    tranches = TRANCHES_2008 if annee <= 2008 else TRANCHES
    base_age = (
        [0.180, 0.170, 0.190, 0.205, 0.170, 0.085]
        if annee <= 2008
        else [0.178, 0.167, 0.184, 0.200, 0.175, 0.084, 0.012]
    )
    effet = fixe.normal(0, 0.12, (n_dep, len(base_age)))[dep_idx]
    bandes = _repartir(pop, _parts(fixe, rng, base_age, n, effet, 0.10))
    part_h = np.array([0.512, 0.505, 0.493, 0.492, 0.478, 0.430, 0.270][: len(tranches)])
    if annee <= 2008:
        part_h[-1] = 0.37
    h = np.floor(bandes * np.clip(part_h + rng.normal(0, 0.015, bandes.shape), 0.2, 0.8)).astype(np.int64)
    f = bandes - h
    p = f"P{yy}_"
    col = {p + "POP": pop}
    for j, t in enumerate(tranches):
        col[p + "POP" + t] = bandes[:, j]
    for sexe, m in (("H", h), ("F", f)):
        col[p + "POP" + sexe] = m.sum(axis=1)
        for j, t in enumerate(tranches):
            col[p + sexe + t] = m[:, j]
        tiers_1529, tiers_6074 = m[:, 1] // 3, m[:, 4] // 3
        col[p + sexe + "0019"] = m[:, 0] + tiers_1529
        col[p + sexe + "2064"] = (m[:, 1] - tiers_1529) + m[:, 2] + m[:, 3] + tiers_6074
        col[p + sexe + "65P"] = (m[:, 4] - tiers_6074) + m[:, 5:].sum(axis=1)

    # Residence one year before (IRAN): 1 same dwelling ... 7 abroad.
    pop01p = pop - np.floor(bandes[:, 0] * rng.uniform(0.05, 0.07, n)).astype(np.int64)
    col[p + "POP01P"] = pop01p
    effet = fixe.normal(0, 0.15, (n_dep, 7))[dep_idx]
    iran = _repartir(pop01p, _parts(fixe, rng, [0.885, 0.035, 0.040, 0.014, 0.020, 0.001, 0.005], n, effet, 0.15))
    for i in range(7):
        col[f"{p}POP01P_IRAN{i + 1}"] = iran[:, i]
    demenage = pop01p - iran[:, 0]
    ages = np.column_stack(
        [
            bandes[:, 0] - (pop - pop01p),
            bandes[:, 1] * 2 // 3,
            bandes[:, 1] - bandes[:, 1] * 2 // 3 + bandes[:, 2] + bandes[:, 3] * 2 // 3,
            bandes[:, 3] - bandes[:, 3] * 2 // 3 + bandes[:, 4:].sum(axis=1),
        ]
    ).clip(min=0)
    poids = ages * np.array([0.09, 0.20, 0.13, 0.04]) + 1e-9
    mobiles = _repartir(demenage, poids)
    for j, g in enumerate(GROUPES_MOBILITE):
        meme_commune = np.floor(mobiles[:, j] * iran[:, 1] / np.maximum(demenage, 1)).astype(np.int64)
        col[f"{p}POP{g}_IRAN2P"] = mobiles[:, j]
        col[f"{p}POP{g}_IRAN2"] = meme_commune
        col[f"{p}POP{g}_IRAN3P"] = mobiles[:, j] - meme_commune

    # Complementary exploitation: population aged 15+ by socio-professional category (CS1..CS8).
    pop15p = pop - bandes[:, 0]
    rural = (pop < 2_000 * UNITE).astype(float)[:, None]
    effet = fixe.normal(0, 0.20, (n_dep, 8))[dep_idx] + rural * np.array([1.2, 0.2, -0.4, -0.1, 0, 0.15, 0.1, -0.1])
    cs = _repartir(pop15p, _parts(fixe, rng, [0.008, 0.035, 0.095, 0.140, 0.160, 0.120, 0.272, 0.170], n, effet, 0.15))
    cs_h = np.floor(cs * np.array([0.70, 0.68, 0.58, 0.48, 0.24, 0.79, 0.47, 0.38])).astype(np.int64)
    # age split of each CS: 15-24, 25-54, 55+
    profil = np.array(
        [[0.05, 0.55, 0.40], [0.04, 0.66, 0.30], [0.04, 0.76, 0.20], [0.09, 0.75, 0.16],
         [0.13, 0.68, 0.19], [0.14, 0.68, 0.18], [0.00, 0.02, 0.98], [0.48, 0.30, 0.22]]
    )
    c = f"C{yy}_"
    par_age = [np.zeros((n, 8), np.int64) for _ in range(3)]
    for k in range(8):
        reparti = _repartir(cs[:, k], np.tile(profil[k] + 1e-9, (n, 1)))
        for a in range(3):
            par_age[a][:, k] = reparti[:, a]
    for nom, tableau in (
        ("POP15P", cs), ("H15P", cs_h), ("F15P", cs - cs_h),
        ("POP1524", par_age[0]), ("POP2554", par_age[1]), ("POP55P", par_age[2]),
    ):
        col[c + nom] = tableau.sum(axis=1)
        for k in range(8):
            col[f"{c}{nom}_CS{k + 1}"] = tableau[:, k]
    return col


def simuler_evol_struct_pop(populations: pd.DataFrame, millesime: int = MILLESIME_RP) -> pd.DataFrame:
    """Simulated base-cc-evol-struct-pop (wide, published column order) from real populations.

    `populations`: columns codgeo, pmun (real population municipale of `millesime`).
    """
    rng = np.random.default_rng(GRAINE)
    populations = populations.sort_values("codgeo").reset_index(drop=True)
    codes = populations["codgeo"].astype(str).to_numpy()
    departements = np.where(pd.Series(codes).str.startswith("97"), pd.Series(codes).str[:3], pd.Series(codes).str[:2])
    deps, dep_idx = np.unique(departements, return_inverse=True)
    n, n_dep = len(codes), len(deps)
    pop = np.round(populations["pmun"].to_numpy(dtype=float)).astype(np.int64) * UNITE

    colonnes = {}
    croissance = rng.normal(0.035, 0.03, n_dep)[dep_idx]
    for annee in (millesime, millesime - 6, millesime - 11):
        yy = f"{annee % 100:02d}"
        fixe = np.random.default_rng(GRAINE + 1)  # same local profile at every census
        colonnes.update(_bloc(rng, fixe, pop, dep_idx, n_dep, annee, yy))
        # population of the previous census: an integer, department trend + local noise
        facteur = 1 + croissance + rng.normal(0, 0.04, n)
        pop = np.round(pop / UNITE / np.clip(facteur, 0.8, 1.3)).astype(np.int64) * UNITE
    ordre = colonnes_evol_struct_pop(millesime)
    donnees = {"CODGEO": codes}
    donnees.update({k: colonnes[k] / UNITE for k in ordre[1:]})
    return pd.DataFrame(donnees, columns=ordre)


def _ecrire_zip_csv(df: pd.DataFrame, chemin_zip: Path, membre: str) -> None:
    """Write the CSV (`;`, decimal point, no quotes) into a zip, atomically."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(df, preserve_index=False)
    tampon = io.BytesIO()
    tampon.write((";".join(df.columns) + "\n").encode("utf-8"))
    pacsv.write_csv(
        table, tampon, pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none")
    )
    fd, temp = tempfile.mkstemp(dir=chemin_zip.parent, prefix=f".{chemin_zip.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr(membre, tampon.getvalue())
        os.chmod(temp, 0o644)
        os.replace(temp, chemin_zip)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _declarer_simulation(dossier_brut: Path, nom: str) -> None:
    import yaml

    chemin = dossier_brut / "simulations.yaml"
    noms = []
    if chemin.exists():
        contenu = yaml.safe_load(chemin.read_text(encoding="utf-8")) or []
        noms = [str(x) for x in contenu] if isinstance(contenu, list) else []
    if nom not in noms:
        noms.append(nom)
    entete = (
        "# Fichiers SIMULÉS pour la démonstration (mise en page officielle, valeurs fictives).\n"
        "# Toute figure qui en est tirée porte la mention « données simulées ».\n"
    )
    chemin.write_text(entete + yaml.safe_dump(noms, allow_unicode=True), encoding="utf-8")


def installer_donnees_demo(dossier_brut: Path) -> list[Path]:
    """Copy the real demo extracts into data/brut/ and simulate the RP file; returns the files."""
    dossier = Path(dossier_brut)
    dossier.mkdir(parents=True, exist_ok=True)
    installes = []
    for source in sorted(DOSSIER_DEMO.iterdir()):
        if source.name.startswith((".", "_")) or source.suffix in (".py", ".md"):
            continue
        if source.name.endswith(".gz"):
            cible = dossier / source.name[:-3]
            with gzip.open(source, "rb") as entree, open(cible, "wb") as sortie:
                shutil.copyfileobj(entree, sortie)
        else:
            cible = dossier / source.name
            shutil.copyfile(source, cible)
        installes.append(cible)

    from .sources import population

    pop = population.lire(dossier / "donnees_communes.csv", MILLESIME_RP)
    pmun = pop[pop["variable"] == "PMUN"][["codgeo", "valeur"]].rename(columns={"valeur": "pmun"})
    rp = simuler_evol_struct_pop(pmun, MILLESIME_RP)
    chemin_rp = dossier / FICHIER_RP
    _ecrire_zip_csv(rp, chemin_rp, MEMBRE_RP)
    _declarer_simulation(dossier, FICHIER_RP)
    installes.append(chemin_rp)
    return installes
