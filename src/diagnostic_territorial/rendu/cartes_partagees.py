"""Leaflet once in the HTML report, whatever its number of interactive maps.

Each interactive map is a self-contained HTML document shown in a sandboxed iframe (scripts allowed,
opaque origin: a label shown by the map cannot reach the report). Offline, each document embeds
Leaflet (about 170 kB): fine for one map in JupyterLab, but 35 maps made the demo report 12.5 MB.

:func:`cartes.html_carte` marks, in the map document, the embedded library (between
:data:`DEBUT` and :data:`FIN`) and the map's own script (``<script data-dt-carte>``). When the report
is assembled, :func:`alleger_sortie` replaces the library of every map by a small loader
(:data:`AMORCE`) and keeps the map's script inert (``type="text/plain"``); :func:`hote` gives the
report's part: the library once, in a ``<template>`` (inert), and a distributor. When a map's
iframe has loaded, its loader asks the report (``postMessage``); the report answers the iframes of
its own maps only, with the library's markup; the loader inserts it, then runs the map's script.
The iframe keeps its sandbox: nothing but a message crosses, in either direction.

The work is plain text substitution on markers this package writes itself, in the HTML-escaped form
they take inside the iframe's ``srcdoc`` attribute (``html.escape`` turns ``<`` into ``&lt;`` the
same way everywhere), never a parse of someone else's HTML.
"""

from __future__ import annotations

import html

DEBUT = "<!--dt-bibliotheque-->"
FIN = "<!--/dt-bibliotheque-->"
SCRIPT_CARTE = "<script data-dt-carte>"
SCRIPT_INERTE = '<script type="text/plain" data-dt-carte>'
ID_MODELE = "dt-bibliotheque-cartes"

# In the map's iframe: ask the report for the library once the document is parsed, insert it,
# then run the map's script (kept inert until then).
AMORCE = """<script>
(function () {
  if (window.dtAmorce) return;  // one loader per map document (its library had several parts)
  window.dtAmorce = true;
  var fait = false;
  window.addEventListener("message", function (e) {
    if (fait || e.source !== window.parent || !e.data || e.data.type !== "dt-bibliotheque") return;
    fait = true;
    var modele = document.createElement("template");
    modele.innerHTML = String(e.data.contenu);
    Array.prototype.forEach.call(modele.content.children, function (n) {
      if (n.tagName === "SCRIPT") {
        var s = document.createElement("script");
        s.textContent = n.textContent;
        document.head.appendChild(s);
      } else if (n.tagName === "STYLE") {
        document.head.appendChild(document.importNode(n, true));
      }
    });
    document.querySelectorAll("script[data-dt-carte]").forEach(function (inerte) {
      var s = document.createElement("script");
      s.textContent = inerte.textContent;
      document.body.appendChild(s);
    });
  });
  function pret() { window.parent.postMessage({type: "dt-carte-prete"}, "*"); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", pret); else pret();
})();
</script>"""

# In the report: answer the maps' iframes (and nothing else) with the library.
_DISTRIBUTEUR = """<script>
(function () {
  window.addEventListener("message", function (e) {
    if (!e.data || e.data.type !== "dt-carte-prete") return;
    var cadres = document.querySelectorAll("div.carte-interactive iframe");
    for (var i = 0; i < cadres.length; i++) {
      if (cadres[i].contentWindow === e.source) {
        var contenu = document.getElementById("%s").innerHTML;
        e.source.postMessage({type: "dt-bibliotheque", contenu: contenu}, "*");
        return;
      }
    }
  });
})();
</script>""" % ID_MODELE

_DEBUT_ECHAPPE = html.escape(DEBUT, quote=True)
_FIN_ECHAPPE = html.escape(FIN, quote=True)


def encadrer(bibliotheque: str) -> str:
    """The embedded library's markup between the markers (used by :func:`cartes.html_carte`)."""
    return DEBUT + bibliotheque + FIN


def alleger_sortie(texte: str) -> tuple[str, str | None]:
    """An HTML output of a notebook with every map's library replaced by the loader.

    Returns the new text and the library's markup, its parts (Leaflet's script, its style sheet) in
    the order they first appear, each once (None when the text holds no marked map): the maps of
    one report share the same library (same folium-offline version)."""
    parties: list[str] = []
    morceaux = []
    reste = texte
    while True:
        debut = reste.find(_DEBUT_ECHAPPE)
        if debut < 0:
            break
        fin = reste.find(_FIN_ECHAPPE, debut)
        if fin < 0:
            break
        partie = html.unescape(reste[debut + len(_DEBUT_ECHAPPE):fin])
        if partie not in parties:
            parties.append(partie)
        morceaux.append(reste[:debut] + html.escape(AMORCE, quote=True))
        reste = reste[fin + len(_FIN_ECHAPPE):]
    if not parties:
        return texte, None
    morceaux.append(reste)
    allege = "".join(morceaux).replace(html.escape(SCRIPT_CARTE, quote=True), html.escape(SCRIPT_INERTE, quote=True))
    return allege, "\n".join(parties)


def hote(bibliotheque: str) -> str:
    """The report's part: the library once, inert, and the distributor (placed in its <head>)."""
    if "</template" in bibliotheque.lower():
        raise ValueError("bibliothèque de cartes inattendue : elle ne peut pas être gardée inerte")
    return f'<template id="{ID_MODELE}">{bibliotheque}</template>\n{_DISTRIBUTEUR}'
