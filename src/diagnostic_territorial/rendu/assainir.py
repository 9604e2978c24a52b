"""The one place where text written by people meets the HTML of the deliverables.

The consultant's Markdown (``analyses/<chapitre>.md``, ``qualitatif/*.md``) and every text field of
the study's files (etude.yaml, observation_ciblee.yaml, plan_action.yaml, the survey's
questionnaire) reach the report, the synthèse, the slides and the plan d'action through these
functions only:

- :func:`texte` for text that carries no markup (a label, a comment, a name, a plan d'action
  field): every ``<``, ``>``, ``&``, ``"`` and ``'`` is escaped, the text is shown as written.
  The Jinja templates of the deliverables escape their variables the same way (autoescape).
- :func:`html` for HTML that may carry markup (Markdown rendered to HTML, the « À retenir » points,
  the missing-data notices): an allow-list sanitiser built on ``nh3`` (the Python binding of the
  maintained Rust sanitiser ammonia; bleach is deprecated).
- :func:`markdown` renders Markdown, then sanitises it with :func:`html`.

What :func:`html` keeps: paragraphs, headings, emphasis (``em``, ``strong``, ``del``...), lists,
quotes, code, tables (``text-align`` only in ``style``), definition lists, ``div``/``span`` (with
``class``), footnotes, links and images. Everything else is removed: ``<script>`` and ``<style>``
with their content, ``<svg>`` and ``<math>`` with their content, ``<iframe>``, ``<object>``,
``<embed>``, ``<form>``, ``<meta>``, ``<link>``, ``<base>`` (their text, if any, stays as text),
comments, every event-handler attribute (``onerror``...) and every other attribute not listed below.

Links (``<a href>``): ``http:``, ``https:`` and ``mailto:`` addresses, anchors (``#...``) and relative
paths; ``rel="noopener noreferrer"`` is added. Any other scheme (``javascript:``, ``vbscript:``,
``data:``, ``file:``...), however disguised (case, entities, spaces, control characters), removes
the address and keeps the link's text.

Images (``<img>``): allowed, but only when they cannot fetch anything from outside the study: an
image embedded in the text (``data:image/png``, ``jpeg``, ``gif`` or ``webp``, base64) or a relative
path that stays below the folder of the document (no ``/`` at the start, no ``..``). Remote images
(``http(s)://``) are removed: the report is a self-contained file that must not call a server when
the client opens it (nor let one know it was opened), and the PDF could not show them anyway. SVG
images (``data:image/svg+xml``) are refused too.
"""

from __future__ import annotations

import html as _html
import re
from urllib.parse import unquote

# Tags kept (their attributes are listed in ATTRIBUTS).
BALISES = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
    "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
# Tags removed WITH their content. The other unknown tags are removed and their text kept, as
# text (the raw text of an <iframe> is escaped); ammonia drops the SVG and MathML content itself
# (namespaces), so that a stray « <svg onload=...> » costs the consultant no text after it.
BALISES_VIDEES = frozenset({"script", "style", "template", "noscript"})
ATTRIBUTS: dict[str, set[str]] = {
    "*": {"class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style", "align"},
    "th": {"colspan", "rowspan", "style", "align", "scope"},
    "ol": {"start"},
    "sup": {"id"},  # footnote references (mistune: <sup class="footnote-ref" id="fnref-1">)
    "li": {"id"},  # footnotes (<li id="fn-1">)
}
PROPRIETES_CSS = frozenset({"text-align"})  # table column alignment written by Markdown
SCHEMAS_LIENS = frozenset({"http", "https", "mailto"})
IMAGES_EMBARQUEES = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=\s]*$", re.IGNORECASE)
_RE_SCHEMA = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_RE_INVISIBLES = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_RE_VALEUR_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_:.\-]{0,63}$")
_RE_CLASSES = re.compile(r"^[A-Za-z0-9_\- ]{0,200}$")


def texte(valeur) -> str:
    """Text without markup, escaped for HTML (content or attribute value): shown as written."""
    if valeur is None:
        return ""
    return _html.escape(str(valeur), quote=True)


def _sans_invisibles(url: str) -> str:
    """The URL as a browser reads it: entities decoded, spaces and control characters removed
    (« java&#x09;script: », « jav\\nascript: » are javascript: to a browser)."""
    return _RE_INVISIBLES.sub("", _html.unescape(url))


def url_autorisee(url: str, image: bool = False) -> bool:
    """True when the address may stay in the deliverable: see the module's documentation."""
    brute = _sans_invisibles(str(url))
    m = _RE_SCHEMA.match(brute)
    if m is None and ":" in unquote(brute).split("/")[0].split("?")[0].split("#")[0]:
        return False  # « javascript%3Aalert(1) » or a scheme a browser could still find
    if image:
        if m is not None:
            return m.group(1).lower() == "data" and bool(IMAGES_EMBARQUEES.match(brute))
        chemin = unquote(brute).replace("\\", "/")
        return not chemin.startswith("/") and ".." not in chemin.split("/")
    if m is None:
        return True  # anchor or relative path
    return m.group(1).lower() in SCHEMAS_LIENS


def _filtre_attribut(balise: str, attribut: str, valeur: str) -> str | None:
    if attribut == "href":
        return valeur if url_autorisee(valeur) else None
    if attribut == "src":
        return valeur if url_autorisee(valeur, image=True) else None
    if attribut == "id":
        return valeur if _RE_VALEUR_ID.match(valeur) else None
    if attribut == "class":
        return valeur if _RE_CLASSES.match(valeur) else None
    return valeur


def html(fragment) -> str:
    """An HTML fragment with only the allowed tags, attributes and addresses (module documentation).
    Plain text goes through unchanged apart from escaping (« a < b » stays readable)."""
    import nh3

    if fragment is None:
        return ""
    fragment = str(fragment)
    if not fragment:
        return ""
    propre = nh3.clean(
        fragment,
        tags=set(BALISES),
        clean_content_tags=set(BALISES_VIDEES),
        attributes={k: set(v) for k, v in ATTRIBUTS.items()},
        attribute_filter=_filtre_attribut,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(SCHEMAS_LIENS) | {"data"},  # data: only for images, see _filtre_attribut
        filter_style_properties=set(PROPRIETES_CSS),
    )
    # The serialiser writes U+00A0 as « &nbsp; »: the same character, kept as such so that the
    # French formats (« 46\u00a0% ») read the same before and after.
    return propre.replace("&nbsp;", "\u00a0")


def markdown(source: str) -> str:
    """Markdown (tables, footnotes, strikethrough) rendered to HTML, then sanitised by :func:`html`."""
    import mistune

    return html(mistune.html(source or ""))
