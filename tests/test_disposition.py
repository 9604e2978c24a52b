"""The package layout follows the data path (docs/architecture.md): a stage never imports a later
stage when it is loaded. Lazy imports inside functions may go back up the path (make donnees sums
the references with the indicators' code), module-level ones may not: they would make cycles."""

import ast
from pathlib import Path

PAQUET = Path(__file__).resolve().parents[1] / "src" / "diagnostic_territorial"
# The data path, in order; rendu/ (display toolbox) and configuration/ stand beside it.
CHEMIN = ["territoire", "sources", "indicateurs", "chapitres", "execution", "livrables"]
SOUS_PAQUETS = CHEMIN + ["rendu", "configuration", "enquete"]


def _imports_au_chargement(fichier: Path) -> set[str]:
    """The diagnostic_territorial sub-packages a module imports when it is loaded (module level)."""
    arbre = ast.parse(fichier.read_text(encoding="utf-8"))
    paquets = set()
    for noeud in arbre.body:
        noms = []
        if isinstance(noeud, ast.ImportFrom) and noeud.module:
            noms = [noeud.module] + ([f"{noeud.module}.{a.name}" for a in noeud.names]
                                     if noeud.module == "diagnostic_territorial" else [])
        elif isinstance(noeud, ast.Import):
            noms = [a.name for a in noeud.names]
        for nom in noms:
            parties = nom.split(".")
            if parties[0] == "diagnostic_territorial" and len(parties) > 1 and parties[1] in SOUS_PAQUETS:
                paquets.add(parties[1])
    return paquets


def _graphe() -> dict[str, set[str]]:
    graphe = {p: set() for p in SOUS_PAQUETS}
    for p in SOUS_PAQUETS:
        for fichier in (PAQUET / p).rglob("*.py"):
            graphe[p] |= _imports_au_chargement(fichier) - {p}
    return graphe


def test_chaque_sous_paquet_existe():
    for p in SOUS_PAQUETS:
        assert (PAQUET / p / "__init__.py").is_file(), p
    # nothing left of the old flat layout
    restants = sorted(f.name for f in PAQUET.glob("*.py"))
    assert restants == ["__init__.py", "__main__.py", "cli.py", "ecriture.py", "empreintes.py",
                        "erreurs.py", "hooks_modele.py"]


def test_une_etape_n_importe_pas_une_etape_suivante_au_chargement():
    graphe = _graphe()
    fautes = [f"{p} importe {q}" for p in CHEMIN for q in graphe[p]
              if q in CHEMIN and CHEMIN.index(q) > CHEMIN.index(p)]
    assert not fautes, fautes


def test_aucun_cycle_entre_sous_paquets_au_chargement():
    graphe = _graphe()
    etat: dict[str, int] = {}

    def visiter(p: str, pile: list[str]) -> None:
        etat[p] = 1
        for q in sorted(graphe[p]):
            assert etat.get(q) != 1, " -> ".join(pile + [p, q])
            if q not in etat:
                visiter(q, pile + [p])
        etat[p] = 2

    for p in SOUS_PAQUETS:
        if p not in etat:
            visiter(p, [])


def test_le_controle_voit_une_faute(tmp_path):
    """The check reads real imports: a module-level import of a later stage is found."""
    fichier = tmp_path / "m.py"
    fichier.write_text("from diagnostic_territorial.livrables import rapport\n"
                       "def f():\n    from diagnostic_territorial.execution import notebooks\n")
    assert _imports_au_chargement(fichier) == {"livrables"}
