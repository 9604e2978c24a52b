"""Demo data: real extracts shipped in donnees_demo/, plus the files simulated for the demo.

`installer_donnees_demo(dossier_brut)` copies the real extracts (Filosofi 2019 and 2016,
populations légales 2019, the whole BPE 2018 and CAF IRIS 2020 of the demo département) into a
study's data/brut/, then SIMULATES the files not available offline, in their exact published
layout, for every commune of the populations légales file:

- the recensement bases communales `base-cc-evol-struct-pop-2019_csv.zip`,
  `base-cc-coupl-fam-men-2019_csv.zip`, `base-cc-logement-2019_csv.zip`,
  `base-cc-emploi-pop-active-2019_csv.zip` and `base-cc-diplomes-formation-2019_csv.zip`;
- the data.caf.fr exports `s_ben_com_f.csv` (foyers allocataires and personnes couvertes by
  benefit, December 2017 and 2020) and `txcouv_pe_{com,epci,dep,reg,fra}.csv` (taux de
  couverture petite enfance 2017 and 2020);
- France Travail's demandeurs d'emploi by commune `demandeurs_emploi_communes_T4.csv` (T4 2017
  and 2020, written gzip-compressed),

and lists them in data/brut/simulations.yaml so that every figure drawn from them is labelled
« données simulées ».

The simulation is deterministic (fixed seeds), consistent with the real populations (P19_POP =
PMUN 2019) and internally consistent: age bands sum to P19_POP, men + women = population,
socio-professional categories sum to C19_POP15P; CAF and France Travail counts derive from the
simulated RP of the same communes (households, families, children under 3, renters,
unemployment) and the crèches of the real BPE. RP values are weighted counts with 4 decimals.
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
    # Writing the archives is mostly CSV formatting and zlib compression, which release the GIL:
    # they run in threads while the next files are simulated.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as ecrivains:
        travaux = [ecrivains.submit(_ecrire_zip_csv, rp, dossier / FICHIER_RP, MEMBRE_RP)]
        simules = [dossier / FICHIER_RP]
        bases = simuler_bases_rp(rp, MILLESIME_RP)
        for theme, table in bases.items():
            archive, membre = fichier_base_rp(theme, MILLESIME_RP)
            travaux.append(ecrivains.submit(_ecrire_zip_csv, table, dossier / archive, membre))
            simules.append(dossier / archive)
        simules += installer_caf_france_travail(dossier, rp, bases, ecrivains=ecrivains, declarer=False)
        for travail in travaux:
            travail.result()
    for chemin in simules:
        _declarer_simulation(dossier, chemin.name)
    return installes + simules


# --- The other RP bases communales, simulated in their published layout ------------------------
# Main variables of each base (names without the `Pyy_` / `Cyy_` prefix), in published order.
# Every count is derived from the simulated evol-struct-pop populations of the same census, so
# that the bases agree with each other (P_POP15P = P_POP - P_POP0014, P_RP = C_MEN...).
BASES_RP = {
    "coupl-fam-men": {
        "P": ["POP15P", "POP80P", "POP15P_PSEUL", "POP80P_PSEUL"],
        "C": ["MEN", "MENPSEUL", "MENHSEUL", "MENFSEUL", "MENSFAM", "MENFAM", "MENCOUPSENF", "MENCOUPAENF",
              "MENFAMMONO", "PMEN", "FAM", "COUPAENF", "FAMMONO", "HMONO", "FMONO", "COUPSENF",
              "NE24F0", "NE24F1", "NE24F2", "NE24F3", "NE24F4P"],
    },
    "logement": {
        "P": ["LOG", "RP", "RSECOCC", "LOGVAC", "MAISON", "APPART", "RP_PROP", "RP_LOC", "RP_LOCHLMV", "RP_GRAT",
              "NPER_RP", "RP_VOIT1P", "MEN_ANEM0002", "MEN_ANEM0204", "MEN_ANEM0509", "MEN_ANEM10P"],
        "C": [],
    },
    "emploi-pop-active": {
        "P": ["POP1564", "POP1524", "POP2554", "POP5564", "H1564", "F1564", "ACT1564", "ACTOCC1564", "CHOM1564",
              "HACT1564", "FACT1564", "ACT1524", "CHOM1524", "ACTOCC15P", "SAL15P", "SAL15P_TP", "SAL15P_CDD",
              "SAL15P_INTERIM", "EMPLT"],
        "C": ["ACTOCC15P", "ACTOCC15P_PAS", "ACTOCC15P_MAR", "ACTOCC15P_VELO", "ACTOCC15P_2ROUESMOT",
              "ACTOCC15P_VOIT", "ACTOCC15P_TCOM"],
    },
    "diplomes-formation": {
        "P": ["POP0205", "POP0610", "POP1114", "POP1517", "POP1824", "POP2529", "POP30P",
              "SCOL0205", "SCOL0610", "SCOL1114", "SCOL1517", "SCOL1824", "SCOL2529", "SCOL30P",
              "NSCOL15P", "NSCOL15P_DIPLMIN", "NSCOL15P_BEPC", "NSCOL15P_CAPBEP", "NSCOL15P_BAC",
              "NSCOL15P_SUP2", "NSCOL15P_SUP34", "NSCOL15P_SUP5"],
        "C": [],
    },
}


def fichier_base_rp(theme: str, millesime: int = MILLESIME_RP) -> tuple[str, str]:
    """(archive, member) official names of an RP base communale."""
    return f"base-cc-{theme}-{millesime}_csv.zip", f"base-cc-{theme}-{millesime}.CSV"


def colonnes_base_rp(theme: str, millesime: int = MILLESIME_RP) -> list[str]:
    colonnes = ["CODGEO"]
    for annee in (millesime, millesime - 6):
        yy = f"{annee % 100:02d}"
        colonnes += [f"P{yy}_{v}" for v in BASES_RP[theme]["P"]] + [f"C{yy}_{v}" for v in BASES_RP[theme]["C"]]
    return colonnes


def _frac(x: np.ndarray, part) -> np.ndarray:
    """floor(x * part) on integer units (part: scalar or per-commune array)."""
    return np.floor(x * np.asarray(part, dtype=float)).astype(np.int64)


def _bases_une_annee(evol: pd.DataFrame, yy: str, fixe, rng) -> dict[str, dict[str, np.ndarray]]:
    """Simulated counts (integers in 1/UNITE) of one census for every base, from evol-struct-pop."""
    u = lambda c: np.round(evol[c].to_numpy(dtype=float) * UNITE).astype(np.int64)  # noqa: E731
    p = f"P{yy}_"
    pop = u(p + "POP")
    n = len(pop)
    b = {t: u(p + "POP" + t) for t in TRANCHES}
    h = {t: u(p + "H" + t) for t in TRANCHES}
    rural = (pop < 2_000 * UNITE).astype(float)
    def local(moy, et):
        """A rate around `moy`: a lasting local profile (`fixe`, same draws at every census) plus a
        change between censuses, common to all communes (a trend) and local (`rng`)."""
        tendance = rng.normal(0, et * 0.6)
        return np.clip(moy + fixe.normal(0, et, n) + tendance + rng.normal(0, et * 0.25, n), 0.001, 0.999)

    # --- couples, familles, ménages
    pop15p = pop - b["0014"]
    pop80p = _frac(b["7589"], 0.40) + b["90P"]
    pmen = pop - _frac(pop, local(0.015, 0.005))
    taille = np.clip(2.25 + 0.15 * rural + fixe.normal(0, 0.12, n), 1.6, 3.2)
    men = np.floor(pmen / taille).astype(np.int64)
    parts = np.column_stack([0.36 - 0.06 * rural, np.full(n, 0.02), 0.28 + 0.02 * rural, 0.25 + 0.03 * rural, np.full(n, 0.09)])
    parts = parts * np.exp(fixe.normal(0, 0.10, parts.shape) + rng.normal(0, 0.03, parts.shape))
    pseul, sfam, coupsenf, coupaenf, fammono = _repartir(men, parts).T
    hseul = _frac(pseul, local(0.45, 0.04))
    fam = coupsenf + coupaenf + fammono
    hmono = _frac(fammono, local(0.17, 0.03))
    ne = _repartir(fam, np.tile([0.45, 0.23, 0.21, 0.08, 0.03], (n, 1)) * np.exp(fixe.normal(0, 0.1, (n, 5))))
    cfm = {
        "P": {"POP15P": pop15p, "POP80P": pop80p, "POP15P_PSEUL": pseul,
              "POP80P_PSEUL": np.minimum(_frac(pop80p, local(0.42, 0.05)), _frac(pseul, 0.6))},
        "C": {"MEN": men, "MENPSEUL": pseul, "MENHSEUL": hseul, "MENFSEUL": pseul - hseul, "MENSFAM": sfam,
              "MENFAM": fam, "MENCOUPSENF": coupsenf, "MENCOUPAENF": coupaenf, "MENFAMMONO": fammono, "PMEN": pmen,
              "FAM": fam, "COUPAENF": coupaenf, "FAMMONO": fammono, "HMONO": hmono, "FMONO": fammono - hmono,
              "COUPSENF": coupsenf, **{f"NE24F{k}": ne[:, i] for i, k in enumerate(["0", "1", "2", "3", "4P"])}},
    }

    # --- logement
    rp = men
    log = np.floor(rp / local(0.86 - 0.04 * rural, 0.03)).astype(np.int64)
    autres = log - rp
    rsecocc = _frac(autres, local(0.35 + 0.25 * rural, 0.08))
    maison = _frac(log, local(0.55 + 0.35 * rural, 0.05))
    statut = _repartir(rp, np.column_stack([0.58 + 0.15 * rural, 0.40 - 0.14 * rural, np.full(n, 0.02)]) * np.exp(fixe.normal(0, 0.08, (n, 3))))
    loc = statut[:, 1]
    anem = _repartir(rp, np.tile([0.12, 0.16, 0.20, 0.52], (n, 1)) * np.exp(fixe.normal(0, 0.1, (n, 4))))
    logement = {
        "P": {"LOG": log, "RP": rp, "RSECOCC": rsecocc, "LOGVAC": autres - rsecocc, "MAISON": maison, "APPART": log - maison,
              "RP_PROP": statut[:, 0], "RP_LOC": loc, "RP_LOCHLMV": _frac(loc, local(0.30 - 0.18 * rural, 0.06)),
              "RP_GRAT": statut[:, 2], "NPER_RP": pmen, "RP_VOIT1P": _frac(rp, local(0.84 + 0.08 * rural, 0.03)),
              "MEN_ANEM0002": anem[:, 0], "MEN_ANEM0204": anem[:, 1], "MEN_ANEM0509": anem[:, 2], "MEN_ANEM10P": anem[:, 3]},
        "C": {},
    }

    # --- emploi, population active
    tiers = lambda x: x // 3  # noqa: E731
    pop1524 = b["1529"] * 2 // 3
    pop2554 = b["1529"] - pop1524 + b["3044"] + b["4559"] * 2 // 3
    pop5564 = b["4559"] - b["4559"] * 2 // 3 + tiers(b["6074"])
    pop1564 = pop1524 + pop2554 + pop5564
    h1564 = h["1529"] + h["3044"] + h["4559"] + tiers(h["6074"])
    h1564 = np.minimum(h1564, pop1564)
    act = _frac(pop1564, local(0.75, 0.03))
    chom = _frac(act, local(0.10, 0.025))
    hact = np.minimum(_frac(act, 0.52), h1564)
    fact = np.minimum(act - hact, pop1564 - h1564)
    hact = act - fact
    act1524 = np.minimum(_frac(pop1524, local(0.42, 0.05)), act)
    chom1524 = np.minimum(_frac(act1524, local(0.20, 0.04)), chom)
    actocc1564 = act - chom
    actocc15p = actocc1564 + _frac(b["6074"] + b["7589"], 0.02)
    sal = _frac(actocc15p, local(0.85, 0.03))
    transport = _repartir(actocc15p, np.column_stack([
        np.full(n, 0.04), 0.05 - 0.02 * rural, 0.02 - 0.01 * rural, np.full(n, 0.015), 0.78 + 0.10 * rural, 0.075 - 0.06 * rural,
    ]) * np.exp(fixe.normal(0, 0.1, (n, 6))))
    emploi = {
        "P": {"POP1564": pop1564, "POP1524": pop1524, "POP2554": pop2554, "POP5564": pop5564, "H1564": h1564,
              "F1564": pop1564 - h1564, "ACT1564": act, "ACTOCC1564": actocc1564, "CHOM1564": chom, "HACT1564": hact,
              "FACT1564": fact, "ACT1524": act1524, "CHOM1524": chom1524, "ACTOCC15P": actocc15p, "SAL15P": sal,
              "SAL15P_TP": _frac(sal, local(0.17, 0.03)), "SAL15P_CDD": _frac(sal, local(0.10, 0.02)),
              "SAL15P_INTERIM": _frac(sal, local(0.03, 0.01)),
              "EMPLT": _frac(actocc15p, np.clip(np.exp(fixe.normal(-0.3 + 0.5 * (1 - rural), 0.35, n)), 0.1, 3.0))},
        "C": {"ACTOCC15P": actocc15p, **{f"ACTOCC15P_{m}": transport[:, i] for i, m in enumerate(
            ["PAS", "MAR", "VELO", "2ROUESMOT", "VOIT", "TCOM"])}},
    }

    # --- diplômes, formation
    pop0205 = b["0014"] * 4 // 15
    pop0610 = b["0014"] * 5 // 15
    pop1114 = b["0014"] * 4 // 15
    pop1517 = b["1529"] * 3 // 15
    pop1824 = b["1529"] * 7 // 15
    pop2529 = b["1529"] - pop1517 - pop1824
    pop30p = pop - b["0014"] - b["1529"]
    scol = {
        "0205": _frac(pop0205, local(0.75, 0.04)), "0610": _frac(pop0610, 0.99), "1114": _frac(pop1114, 0.99),
        "1517": _frac(pop1517, local(0.95, 0.02)), "1824": _frac(pop1824, local(0.50 - 0.15 * rural, 0.06)),
        "2529": _frac(pop2529, local(0.06, 0.02)), "30P": _frac(pop30p, 0.01),
    }
    nscol = pop15p - (scol["1517"] + scol["1824"] + scol["2529"] + scol["30P"])
    dipl = _repartir(nscol, np.tile([0.23, 0.05, 0.26, 0.17, 0.12, 0.10, 0.07], (n, 1))
                     * np.exp(fixe.normal(0, 0.12, (n, 7)) + np.outer(rural, [0.2, 0, 0.15, 0, -0.1, -0.2, -0.35])))
    diplomes = {
        "P": {"POP0205": pop0205, "POP0610": pop0610, "POP1114": pop1114, "POP1517": pop1517, "POP1824": pop1824,
              "POP2529": pop2529, "POP30P": pop30p, **{f"SCOL{k}": v for k, v in scol.items()}, "NSCOL15P": nscol,
              **{f"NSCOL15P_{d}": dipl[:, i] for i, d in enumerate(["DIPLMIN", "BEPC", "CAPBEP", "BAC", "SUP2", "SUP34", "SUP5"])}},
        "C": {},
    }
    return {"coupl-fam-men": cfm, "logement": logement, "emploi-pop-active": emploi, "diplomes-formation": diplomes}


def simuler_bases_rp(evol: pd.DataFrame, millesime: int = MILLESIME_RP) -> dict[str, pd.DataFrame]:
    """The four other RP bases communales (wide, published column order), simulated consistently
    with a simulated base-cc-evol-struct-pop (`simuler_evol_struct_pop`) of the same millésime."""
    evol = evol.sort_values("CODGEO").reset_index(drop=True)
    rng = np.random.default_rng(GRAINE + 7)
    par_annee = {}
    for annee in (millesime, millesime - 6):
        fixe = np.random.default_rng(GRAINE + 8)  # same local profile at both censuses
        par_annee[annee] = _bases_une_annee(evol, f"{annee % 100:02d}", fixe, rng)
    resultat = {}
    for theme in BASES_RP:
        donnees = {"CODGEO": evol["CODGEO"].astype(str).to_numpy()}
        for annee in (millesime, millesime - 6):
            yy = f"{annee % 100:02d}"
            bloc = par_annee[annee][theme]
            for prefixe in ("P", "C"):
                for v in BASES_RP[theme][prefixe]:
                    valeurs = bloc[prefixe][v]
                    if (valeurs < 0).any():
                        raise AssertionError(f"simulation {theme} {prefixe}{yy}_{v} : valeur négative")
                    donnees[f"{prefixe}{yy}_{v}"] = valeurs / UNITE
        resultat[theme] = pd.DataFrame(donnees, columns=colonnes_base_rp(theme, millesime))
    return resultat


# --- CAF and France Travail files, simulated consistently with the simulated RP ----------------
# The commune-level CAF file (data.caf.fr `s_ben_com_f`), the CNAF taux de couverture petite
# enfance (`txcouv_pe_*`) and France Travail's demandeurs d'emploi by commune are not available
# offline: they are simulated for every commune of the populations légales file (geography of the
# populations légales, arrondissements of Paris, Lyon and Marseille included), in their published
# layout, from the simulated RP of the same communes (households, families, children under 3,
# renters, unemployment), interpolated between the RP 2013 and 2019 blocks for 2017 and
# extrapolated one year for 2020. Deterministic: fixed seeds.

MILLESIMES_CAF = (2017, 2020)
MILLESIMES_DEFM = (2017, 2020)
FICHIER_CAF = "s_ben_com_f.csv"
FICHIERS_TXCOUV = {code: f"txcouv_pe_{code}.csv" for code in ("com", "epci", "dep", "reg", "fra")}
FICHIER_DEFM = "demandeurs_emploi_communes_T4.csv"
# The DEFM file has 24 rows per commune and quarter (~1.7 million rows, ~80 MB of text): it is
# written gzip-compressed, a form `catalogue.trouver` and the reader accept for any CSV.
FICHIER_DEFM_INSTALLE = FICHIER_DEFM + ".gz"
COLONNES_CAF = [
    "dtreffre", "numcomdo", "nomcom", "numepci", "nomepci", "numdepdo", "indfoy_ndur", "indnbp_ndur",
    "indfoy_af", "indfoy_cf", "indfoy_asf", "indfoy_ab", "indfoy_cmg", "indfoy_apl", "indfoy_als",
    "indfoy_alf", "indfoy_rsa", "indfoy_ppa",
]
COLONNES_TXCOUV = ["nbenf_moins3", "txcouv_eaje_psu", "txcouv_eaje", "txcouv_assmat", "txcouv_salar",
                   "txcouv_presco", "txcouv"]
ENTETE_DEFM = ["Code commune", "Libellé commune", "Catégorie", "Sexe", "Tranche d'âge", "Trimestre",
               "Nombre de demandeurs d'emploi"]
SEXES_DEFM = ("Ensemble", "Hommes", "Femmes")
AGES_DEFM = ("Ensemble", "Moins de 25 ans", "25 à 49 ans", "50 ans ou plus")
SEUIL_SECRET = 5
# s_ben_com_f: the Cnaf rounds every count to 5 (1-2 -> 0, 3-4 -> 5); public code reading the real
# export finds no empty cell, so the demo simulates rounding only and every sum of communes
# exists. True simulates empty (secret) cells under 5 instead; the reader handles both.
CAF_CELLULE_VIDE_SOUS_5 = False
# Names, EPCI and commune nouvelle of the codes of the populations légales file that are not in
# the COG 2022 referential (arrondissements municipaux, communes merged on 1 January 2022):
# extract of the Insee COG 2021 and EPCI 2020 composition (scripts/extraire_donnees_demo.py).
HORS_COG = "_communes_hors_cog2022.csv"


def _departement_du_code(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def geographie_communes(codes) -> pd.DataFrame:
    """nom, departement, region, epci (SIREN or ""), nomepci, nomdep, nomreg for commune codes of
    the populations légales geography (COG 2022 referential, then the shipped COG 2021 extract)."""
    from .territoire import SANS_EPCI, referentiel

    ref = referentiel()
    extra = {}
    chemin = DOSSIER_DEMO / HORS_COG
    if chemin.exists():
        lignes = chemin.read_text(encoding="utf-8").splitlines()
        entete = lignes[0].split(";")
        extra = {r["CODGEO"]: r for r in (dict(zip(entete, ligne.split(";"))) for ligne in lignes[1:])}
    colonnes = {k: [] for k in ("code", "nom", "departement", "region", "epci", "nomepci", "nomdep", "nomreg")}
    vide = {}
    for code in codes:
        code = str(code)
        commune = ref["communes"].get(code)
        hors = extra.get(code, vide)
        source = commune or ref["communes"].get(hors.get("COMPARENT", ""), vide)
        dep = source.get("DEP") or _departement_du_code(code)
        epci = source.get("EPCI") or hors.get("EPCI", "")
        if epci == SANS_EPCI or epci not in ref["epci"]:
            epci = ""
        reg = ref["departements"].get(dep, vide).get("REG", "")
        colonnes["code"].append(code)
        colonnes["nom"].append((commune or vide).get("LIBGEO") or hors.get("LIBGEO") or code)
        colonnes["departement"].append(dep)
        colonnes["region"].append(reg)
        colonnes["epci"].append(epci)
        colonnes["nomepci"].append(ref["epci"].get(epci, vide).get("LIBEPCI", ""))
        colonnes["nomdep"].append(ref["departements"].get(dep, vide).get("LIBELLE", dep))
        colonnes["nomreg"].append(ref["regions"].get(reg, vide).get("LIBELLE", reg))
    return pd.DataFrame({k: np.asarray(v, dtype=object) for k, v in colonnes.items()}, dtype=object)


def _creches_bpe(codes: np.ndarray) -> np.ndarray:
    """Number of EAJE (TYPEQU D502) per commune code in the real BPE 2018 shipped with the demo
    (codes of communes merged since 2018 are counted in their commune nouvelle when known)."""
    from .territoire import referentiel

    chemin = DOSSIER_DEMO / "bpe18_ensemble_csv.zip"
    position = {c: i for i, c in enumerate(codes)}
    resultat = np.zeros(len(codes), dtype=np.int64)
    if not chemin.exists():
        return resultat
    with zipfile.ZipFile(chemin) as archive:
        octets = archive.read("bpe18_ensemble.csv")
    anciennes = referentiel()["anciennes"]
    debut = octets.find(b";D502;")
    while debut >= 0:  # ~10 000 lines out of a million: find them without parsing the file
        ligne = octets[octets.rfind(b"\n", 0, debut) + 1: octets.find(b"\n", debut)].decode("ascii").split(";")
        code = ligne[2]
        if code not in position and code in anciennes:
            code = anciennes[code]["COMPARENT"]
        if code in position:
            resultat[position[code]] += int(ligne[6])
        debut = octets.find(b";D502;", debut + 1)
    return resultat


def _au_millesime(bases: dict[str, pd.DataFrame], annee: int, millesime_rp: int = MILLESIME_RP) -> dict:
    """RP counts (floats) of every commune at `annee`: linear between the RP millesime-6 and
    millesime blocks, extrapolated beyond (never negative)."""
    avant, apres = f"{(millesime_rp - 6) % 100:02d}", f"{millesime_rp % 100:02d}"
    poids = (annee - (millesime_rp - 6)) / 6.0
    variables = {
        "evol": ["P_POP", "P_POP0014"],
        "coupl-fam-men": ["C_MEN", "C_COUPAENF", "C_FAMMONO", "C_NE24F2", "C_NE24F3", "C_NE24F4P"],
        "logement": ["P_RP_LOC", "P_RP_LOCHLMV"],
        "emploi-pop-active": ["P_ACT1564", "P_CHOM1564", "P_ACT1524", "P_CHOM1524"],
    }
    sortie = {}
    for theme, noms in variables.items():
        table = bases[theme]
        for v in noms:
            prefixe, reste = v.split("_", 1)
            a = table[f"{prefixe}{avant}_{reste}"].to_numpy(dtype=float)
            b = table[f"{prefixe}{apres}_{reste}"].to_numpy(dtype=float)
            sortie[v] = np.clip(a + (b - a) * poids, 0, None)
    return sortie


def _comptes_simules(bases: dict[str, pd.DataFrame], creches: np.ndarray, departements: np.ndarray) -> dict:
    """True (unrounded, unmasked) simulated counts per millésime: CAF benefits, childcare places
    and jobseekers. Returns {annee: {name: int array}}."""
    n = len(creches)
    fixe = np.random.default_rng(GRAINE + 11)  # lasting local profile, same draws every year
    rng = np.random.default_rng(GRAINE + 12)
    deps, dep_idx = np.unique(departements, return_inverse=True)
    local = {k: np.exp(fixe.normal(0, e, n)) for k, e in (
        ("af", 0.08), ("cf", 0.15), ("asf", 0.15), ("ab", 0.08), ("cmg", 0.12), ("apl", 0.15), ("als", 0.15),
        ("alf", 0.15), ("rsa", 0.25), ("ppa", 0.12), ("places", 0.25), ("assmat", 0.30), ("salar", 0.6),
        ("defm", 0.12), ("part_a", 0.05), ("jeunes", 0.15), ("femmes", 0.05))}
    local["presco"] = np.exp(fixe.normal(0, 0.5, len(deps))[dep_idx] + fixe.normal(0, 0.3, n))
    taille_creche = fixe.uniform(22, 48, n)
    part_psu = fixe.uniform(0.75, 1.0, n)
    micro = fixe.poisson(0.6, n)  # micro-crèches (PAJE) not listed as D502 in the BPE
    annees = sorted(set(MILLESIMES_CAF) | set(MILLESIMES_DEFM))
    pop_rp = bases["evol"][f"P{MILLESIME_RP % 100:02d}_POP"].to_numpy(dtype=float)
    resultat = {}
    for annee in annees:
        rp = _au_millesime(bases, annee)
        pop, men = rp["P_POP"], rp["C_MEN"]
        rural = (pop < 2_000).astype(float)
        chomage = np.where(rp["P_ACT1564"] > 0, rp["P_CHOM1564"] / np.maximum(rp["P_ACT1564"], 1e-9), 0.10)
        relatif = np.clip(chomage / 0.10, 0.2, 4.0)
        enfants3 = np.round(rp["P_POP0014"] * 0.195).astype(np.int64)
        annee_rsa = {2017: 0.92, 2020: 1.0}.get(annee, 1.0)
        annee_ppa = {2017: 0.62, 2020: 1.0}.get(annee, 1.0)
        tirer = lambda moyenne: rng.poisson(np.clip(moyenne, 0, None))  # noqa: E731
        c = {"nbenf_moins3": enfants3}
        c["af"] = tirer(0.85 * (rp["C_NE24F2"] + rp["C_NE24F3"] + rp["C_NE24F4P"]) * local["af"])
        c["cf"] = tirer(0.35 * (rp["C_NE24F3"] + rp["C_NE24F4P"]) * local["cf"])
        c["asf"] = tirer(0.30 * rp["C_FAMMONO"] * local["asf"])
        c["ab"] = np.minimum(tirer(0.62 * enfants3 * local["ab"]), enfants3)
        hlm = rp["P_RP_LOCHLMV"]
        prive = np.clip(rp["P_RP_LOC"] - hlm, 0, None)
        c["apl"] = tirer((0.55 * hlm + 0.12 * prive) * local["apl"])
        c["als"] = tirer(0.30 * prive * relatif ** 0.3 * local["als"])
        c["alf"] = tirer(0.10 * rp["P_RP_LOC"] * local["alf"])
        c["rsa"] = tirer(0.066 * men * relatif ** 1.2 * annee_rsa * local["rsa"])
        c["ppa"] = tirer(0.15 * men * relatif ** 0.4 * annee_ppa * local["ppa"])
        # childcare: places located in the commune (EAJE from the real BPE crèches)
        croissance = {2017: 0.95, 2020: 1.0}.get(annee, 1.0)
        eaje = np.round((creches * taille_creche + micro * 10 * (pop > 1_000)) * croissance).astype(np.int64)
        c["pl_eaje_psu"] = np.minimum(np.round(creches * taille_creche * part_psu * croissance).astype(np.int64), eaje)
        c["pl_eaje"] = eaje
        c["pl_assmat"] = tirer(enfants3 * 0.30 * (1 + 0.3 * rural) * local["assmat"])
        c["pl_salar"] = tirer(enfants3 * 0.018 * (1 - 0.7 * rural) * local["salar"])
        c["pl_presco"] = tirer(enfants3 * 0.035 * local["presco"])
        c["cmg"] = np.minimum(tirer(0.80 * (c["pl_assmat"] + c["pl_salar"]) * enfants3 / np.maximum(enfants3, 1)), enfants3)
        somme = sum(c[k] for k in ("af", "cf", "asf", "ab", "cmg", "apl", "als", "alf", "rsa", "ppa"))
        maximum = np.max(np.column_stack([c[k] for k in ("af", "ab", "apl", "als", "rsa", "ppa")]), axis=1)
        ndur = np.maximum(np.round(0.62 * somme), maximum)
        c["ndur"] = np.minimum(ndur, np.floor(0.95 * men)).astype(np.int64)
        c["ndur"] = np.maximum(c["ndur"], maximum)
        nbp = np.round(1.45 * c["ndur"] + 1.9 * c["af"] + 1.0 * c["ab"] + 0.8 * c["asf"])
        # personnes couvertes <= 92 % of the population, and still <= the RP population once
        # rounded to 5 by the CNAF (largest n with round5(n) <= P is 5 * floor(P / 5) + 2)
        plafond = np.floor(np.minimum(pop, pop_rp))
        plafond = np.minimum(np.floor(0.92 * plafond), 5 * np.floor(plafond / 5) + 2)
        c["nbp"] = np.maximum(np.minimum(nbp, plafond), 0).astype(np.int64)
        c["ndur"] = np.minimum(c["ndur"], c["nbp"])  # a foyer holds at least one person
        for prestation in ("af", "cf", "asf", "ab", "cmg", "apl", "als", "alf", "rsa", "ppa"):
            c[prestation] = np.minimum(c[prestation], c["ndur"])  # every beneficiary is a foyer allocataire
        # jobseekers at the end of Q4: ABC ~ 1.8 x RP unemployed (registered jobseekers include
        # people in reduced activity, categories B and C), A ~ 0.58 of ABC
        facteur = {2017: 1.0, 2020: 1.03}.get(annee, 1.0)
        abc = tirer(1.8 * rp["P_CHOM1564"] * facteur * local["defm"])
        jeunes = np.clip(np.where(rp["P_CHOM1564"] > 0, rp["P_CHOM1524"] / np.maximum(rp["P_CHOM1564"], 1e-9), 0.2)
                         * 0.65 * local["jeunes"], 0.03, 0.45)
        femmes = np.clip(0.51 * local["femmes"], 0.35, 0.65)
        parts = np.column_stack([jeunes, 0.73 * (1 - jeunes), 0.27 * (1 - jeunes)])
        parts = np.column_stack([parts * (1 - femmes)[:, None], parts * femmes[:, None]])
        parts = parts * np.exp(rng.normal(0, 0.05, parts.shape))
        # cells H<25, H25-49, H50+, F<25, F25-49, F50+; category A is a part of each ABC cell
        c["defm_ABC"] = _repartir(abc.astype(np.int64), parts + 1e-12)
        part_a = np.clip(0.58 * local["part_a"] * (0.98 if annee == 2017 else 1.02), 0.3, 0.9)
        c["defm_A"] = rng.binomial(c["defm_ABC"], part_a[:, None])
        resultat[annee] = c
    return resultat


def _texte(valeurs) -> "pa.Array":
    """Integers -> Arrow strings (fast: no Python object per value)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pa.array(np.asarray(valeurs, dtype=np.int64)), pa.string())


def _arrondi_cnaf(n: np.ndarray) -> "pa.Array":
    """CNAF rounding to the nearest multiple of 5 (7 -> 5, 12 -> 10); the cell is empty (secret)
    when the true count is under 5."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = np.asarray(n, dtype=np.int64)
    texte = _texte(((n + 2) // 5) * 5)
    if not CAF_CELLULE_VIDE_SOUS_5:
        return texte
    return pc.if_else(pa.array(n < SEUIL_SECRET), pa.scalar(""), texte)


def _taux(places: np.ndarray, enfants: np.ndarray, secret: np.ndarray | None = None) -> "pa.Array":
    """Places for 100 children under 3, one decimal (decimal point); empty when there is no child
    (rate undefined) or when `secret`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    avec = enfants > 0
    dixiemes = np.floor(1000.0 * places / np.where(avec, enfants, 1) + 0.5).astype(np.int64)
    texte = pc.binary_join_element_wise(_texte(dixiemes // 10), _texte(dixiemes % 10), ".")
    vide = ~avec if secret is None else (~avec | secret)
    return pc.if_else(pa.array(vide), pa.scalar(""), texte)


def _ecrire_texte(chemin: Path, contenu: bytes, compresser: bool = False) -> None:
    fd, temp = tempfile.mkstemp(dir=chemin.parent, prefix=f".{chemin.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if compresser:
            contenu = gzip.compress(contenu, compresslevel=1, mtime=0)
        Path(temp).write_bytes(contenu)
        os.chmod(temp, 0o644)
        os.replace(temp, chemin)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _csv(colonnes: list[str], donnees: dict) -> bytes:
    """`;` CSV, UTF-8 with BOM (data.caf.fr exports), no quotes (no field holds a `;` or a quote).
    `donnees`: column -> list of Arrow string arrays or numpy arrays of str, concatenated."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    def colonne(parties):
        return pa.concat_arrays([p if isinstance(p, pa.Array) else pa.array(p, pa.string()) for p in parties])

    table = pa.table({c: colonne(donnees[c]) for c in colonnes})
    tampon = io.BytesIO()
    tampon.write(("\ufeff" + ";".join(colonnes) + "\n").encode("utf-8"))
    pacsv.write_csv(table, tampon, pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none"))
    return tampon.getvalue()


def simuler_caf(geo: pd.DataFrame, comptes: dict) -> dict[str, bytes]:
    """The data.caf.fr files `s_ben_com_f.csv` and `txcouv_pe_{com,epci,dep,reg,fra}.csv`.

    Taux de couverture of a level = 100 x places located in its communes / children under 3 of its
    communes (theoretical places summed over children summed), so that the EPCI, département,
    région and France files agree with the commune file of the same simulation."""
    g = {k: geo[k].to_numpy(dtype=object) for k in geo.columns}
    n = len(g["code"])
    caf = {c: [] for c in COLONNES_CAF}
    colonnes_txcouv = {
        "com": ["annee", "numcom", "nomcom", "numdep", "nomdep"], "epci": ["annee", "numepci", "nomepci"],
        "dep": ["annee", "numdep", "nomdep"], "reg": ["annee", "numreg", "nomreg"], "fra": ["annee", "pays"],
    }
    txcouv = {code: {c: [] for c in colonnes + COLONNES_TXCOUV} for code, colonnes in colonnes_txcouv.items()}
    cles = {"com": g["code"], "epci": g["epci"], "dep": g["departement"], "reg": g["region"],
            "fra": np.full(n, "France", dtype=object)}
    noms = {"com": g["nom"], "epci": g["nomepci"], "dep": g["nomdep"], "reg": g["nomreg"], "fra": cles["fra"]}
    for annee in MILLESIMES_CAF:
        c = comptes[annee]
        for colonne, valeur in (("dtreffre", np.full(n, f"{annee}-12", dtype=object)), ("numcomdo", g["code"]),
                                ("nomcom", g["nom"]), ("numepci", g["epci"]), ("nomepci", g["nomepci"]),
                                ("numdepdo", g["departement"]), ("indfoy_ndur", _arrondi_cnaf(c["ndur"])),
                                ("indnbp_ndur", _arrondi_cnaf(c["nbp"]))):
            caf[colonne].append(valeur)
        for prestation in ("af", "cf", "asf", "ab", "cmg", "apl", "als", "alf", "rsa", "ppa"):
            caf[f"indfoy_{prestation}"].append(_arrondi_cnaf(c[prestation]))
        mesures = np.column_stack([c["nbenf_moins3"], c["pl_eaje_psu"], c["pl_eaje"], c["pl_assmat"], c["pl_salar"],
                                   c["pl_presco"]]).astype(np.int64)
        for code, colonnes in colonnes_txcouv.items():
            cle = cles[code]
            garder = cle != ""  # communes outside any EPCI are in no EPCI row
            uniques, premier, inverse = np.unique(cle[garder].astype(str), return_index=True, return_inverse=True)
            somme = np.zeros((len(uniques), mesures.shape[1]), dtype=np.int64)
            np.add.at(somme, inverse, mesures[garder])
            enfants, psu, eaje, assmat, salar, presco = somme.T
            bloc = txcouv[code]
            bloc["annee"].append(np.full(len(uniques), str(annee), dtype=object))
            bloc[colonnes[1]].append(uniques.astype(object))
            if len(colonnes) > 2:
                bloc[colonnes[2]].append(noms[code][garder][premier])
            if code == "com":
                bloc["numdep"].append(g["departement"][garder][premier])
                bloc["nomdep"].append(g["nomdep"][garder][premier])
            bloc["nbenf_moins3"].append(_texte(enfants))
            for nom_taux, places in (("txcouv_eaje_psu", psu), ("txcouv_eaje", eaje), ("txcouv_assmat", assmat),
                                     ("txcouv_salar", salar), ("txcouv_presco", presco),
                                     ("txcouv", eaje + assmat + salar + presco)):
                # in the commune file, 1 to 4 children kept by a salaried home carer are secret
                secret = (salar > 0) & (salar < SEUIL_SECRET) if code == "com" and nom_taux == "txcouv_salar" else None
                bloc[nom_taux].append(_taux(places, enfants, secret))
    sortie = {FICHIER_CAF: _csv(COLONNES_CAF, caf)}
    for code, bloc in txcouv.items():
        sortie[FICHIERS_TXCOUV[code]] = _csv(colonnes_txcouv[code] + COLONNES_TXCOUV, bloc)
    return sortie


def simuler_demandeurs_emploi(geo: pd.DataFrame, comptes: dict) -> bytes:
    """demandeurs_emploi_communes_T4.csv (long layout, one row per commune x catégorie x sexe x âge
    x trimestre): counts under 5 are published « <5 » except the commune totals by catégorie."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    n = len(geo)
    combinaisons = [(cat, s, a) for cat in ("ABC", "A") for s in range(3) for a in range(4)]
    k = len(combinaisons)
    tables = []
    for annee in MILLESIMES_DEFM:
        valeurs = np.zeros((n, k), dtype=np.int64)
        for j, (cat, s, a) in enumerate(combinaisons):
            cellules = comptes[annee][f"defm_{cat}"]  # (n, 6): H<25, H25-49, H50+, F<25, F25-49, F50+
            sexes = [slice(0, 6), slice(0, 3), slice(3, 6)][s]
            bloc = cellules[:, sexes]
            if a > 0:
                bloc = bloc[:, [i for i in range(bloc.shape[1]) if i % 3 == a - 1]]
            valeurs[:, j] = bloc.sum(axis=1)
        publie = np.zeros((n, k), dtype=bool)
        for j, (cat, s, a) in enumerate(combinaisons):
            publie[:, j] = (s == 0 and a == 0) | (valeurs[:, j] >= SEUIL_SECRET)
        lignes = np.repeat(np.arange(n, dtype=np.int32), k)
        indices = np.tile(np.arange(k, dtype=np.int32), n)

        def dico(idx, mots):
            return pa.DictionaryArray.from_arrays(pa.array(idx, pa.int32()), pa.array(list(mots), pa.string()))

        texte = pc.cast(pa.array(valeurs.reshape(-1)), pa.string())
        texte = pc.if_else(pa.array(publie.reshape(-1)), texte, pa.scalar("<5"))
        tables.append(pa.table({
            "code": dico(lignes, geo["code"].to_numpy(dtype=object)), "nom": dico(lignes, geo["nom"].to_numpy(dtype=object)),
            "categorie": dico(indices, [c for c, _, _ in combinaisons]),
            "sexe": dico(indices, [SEXES_DEFM[s] for _, s, _ in combinaisons]),
            "age": dico(indices, [AGES_DEFM[a] for _, _, a in combinaisons]),
            "trimestre": dico(np.zeros(n * k, dtype=np.int32), [f"{annee}T4"]),
            "valeur": texte,
        }))
    tampon = io.BytesIO()
    tampon.write(("\ufeff" + ";".join(ENTETE_DEFM) + "\n").encode("utf-8"))
    for table in tables:
        pacsv.write_csv(table, tampon, pacsv.WriteOptions(include_header=False, delimiter=";", quoting_style="none"))
    return tampon.getvalue()


def installer_caf_france_travail(dossier: Path, evol: pd.DataFrame, bases: dict[str, pd.DataFrame],
                                 ecrivains=None, declarer: bool = True) -> list[Path]:
    """Simulate the CAF and France Travail files from the simulated RP (`simuler_evol_struct_pop`
    and `simuler_bases_rp` of the same communes) into `dossier`; returns their paths. They are
    listed in simulations.yaml when `declarer`; `ecrivains` (an executor) may write them."""
    dossier = Path(dossier)
    evol = evol.sort_values("CODGEO").reset_index(drop=True)
    tables = {"evol": evol, **{t: b.sort_values("CODGEO").reset_index(drop=True) for t, b in bases.items()}}
    codes = evol["CODGEO"].astype(str).to_numpy()
    geo = geographie_communes(codes)
    comptes = _comptes_simules(tables, _creches_bpe(codes), geo["departement"].to_numpy())
    fichiers = simuler_caf(geo, comptes)
    travaux = []
    ecrire = (lambda *a, **k: travaux.append(ecrivains.submit(_ecrire_texte, *a, **k))) if ecrivains else _ecrire_texte
    ecrire(dossier / FICHIER_DEFM_INSTALLE, simuler_demandeurs_emploi(geo, comptes), compresser=True)
    for nom, contenu in fichiers.items():
        ecrire(dossier / nom, contenu)
    for travail in travaux:
        travail.result()
    installes = [dossier / nom for nom in fichiers] + [dossier / FICHIER_DEFM_INSTALLE]
    if declarer:
        for chemin in installes:
            _declarer_simulation(dossier, chemin.name)
    return installes
