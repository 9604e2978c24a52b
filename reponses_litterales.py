"""Jinja extension of the template (cookiecutter.json « _extensions »): the answers are data.

cookiecutter renders every answer given with --no-input (``key=value``), in ``extra_context``
(cruft, the Python API, ``multi``) or in the user's ``default_context`` as a Jinja template before
any hook runs (cookiecutter.prompt.render_variable): ``territoire='{{ 7*7 }}'`` became « 49 », and
an expression such as ``{{ cycler.__init__.__globals__.os.system(...) }}`` ran a command. The
pre_gen_project hook cannot stop that: it only sees the rendered result. This extension sees each
template before Jinja compiles it (``preprocess``) and:

- turns an answer being rendered (compiled from ``render_variable``), or an already rendered
  absolute path rendered again (cookiecutter renders the output path of _copy_without_render
  folders), into a template that prints it literally: nothing in it is evaluated, and the
  pre_gen_project hook then refuses it with a French message that names the answer;
- renders the study's folder (``{{cookiecutter.territoire}}``) under a harmless placeholder name
  when the answer is not a valid folder name (« ../ailleurs », 300 characters...), so that nothing
  is created outside the output folder and no OS error comes before the hook's French message; the
  hook refuses the answer and cookiecutter removes the placeholder folder.

- keeps cookiecutter's traceback off the screen when the pre_gen_project hook refuses an answer:
  the hook has already printed the French reason; cookiecutter's log record (« Stopping
  generation... » with the Python traceback) is replaced by one French line, through a standard
  logging filter on cookiecutter's « cookiecutter.hooks » logger.

The template's own files and hooks are rendered as usual. Standard library and Jinja only: this
module is imported by cookiecutter (and cruft), from the template's root folder.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sys

from jinja2.ext import Extension

DOSSIER_ETUDE = re.compile(r"^\{\{\s*cookiecutter\.territoire\s*\}\}$")
NOM_VALIDE = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
_compteur = itertools.count(1)


def litteral(source: str) -> str:
    """A Jinja template whose output is exactly `source`: every « { » is printed by an expression,
    so that no tag, expression or comment can start (and « \\r », that Jinja would turn into « \\n »
    in plain text, too)."""
    return source.replace("{", "{{ '{' }}").replace("\r", "{{ '\\r' }}")


def _rendu_d_une_reponse() -> bool:
    """True when the template being compiled is an answer rendered by cookiecutter's prompt."""
    cadre = sys._getframe(2)
    while cadre is not None:
        if cadre.f_code.co_name == "render_variable" and str(cadre.f_globals.get("__name__", "")).startswith(
                "cookiecutter"):
            return True
        cadre = cadre.f_back
    return False


def dossier_etude(nom) -> str:
    """The study's folder name when valid, else a placeholder the pre_gen_project hook removes."""
    if isinstance(nom, str) and NOM_VALIDE.fullmatch(nom):
        return nom
    return f".etude-refusee-{os.getpid()}-{next(_compteur)}"


class _SansTraceback(logging.Filter):
    """A failed hook is reported in French by the hook itself: no Python traceback after it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and "hook" in str(record.msg):
            record.msg, record.args = "Génération arrêtée : rien n'a été créé (motif ci-dessus).", ()
            record.exc_info, record.exc_text = None, None
        return True


def _installer_filtre() -> None:
    journal = logging.getLogger("cookiecutter.hooks")
    if not any(isinstance(f, _SansTraceback) for f in journal.filters):
        journal.addFilter(_SansTraceback())


class ReponsesLitterales(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        _installer_filtre()
        environment.filters["dossier_etude"] = dossier_etude

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is not None:  # a file of the template
            return source
        if _rendu_d_une_reponse():
            return litteral(source)
        if "{" not in source:
            return source
        if os.path.isabs(source):
            return litteral(source)
        if DOSSIER_ETUDE.match(source):
            return "{{ cookiecutter.territoire | dossier_etude }}"
        return source
