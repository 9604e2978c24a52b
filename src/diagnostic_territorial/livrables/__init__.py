"""The deliverables, one module per deliverable, all built from the executed notebooks, their
structured results (build/resultats/) and the study's data cache:

- ``rapport``: rapport.html, the executed chapters assembled (cover, contents, annexes);
- ``rapport_impression``: rapport.pdf, WeasyPrint on the print version (static maps, A4);
- ``annexes``: annexes of the report (sources and millésimes cited, checksums, plan d'action);
- ``chiffres_cles``: the key indicators of the synthèse and the fiches, computed once;
- ``synthese``: synthese.html / synthese.pdf;
- ``fiches``: fiches-communes/ (one PDF per commune) and fiches-communes.pdf;
- ``diaporama``: presentation.slides.html, an offline slideshow;
- ``plan_action``: plan-action.html / plan-action.pdf from plan_action.yaml;
- ``word``: rapport.docx, synthese.docx, plan-action.docx, editable in Word (styles of the study's
  modele.docx when it has one);
- ``versions``: the versions of the software used (technical annex);
- ``commun``: what they share (Jinja, CSS, WeasyPrint with fixed metadata and no network).

Every file is written atomically (``ecriture``: temporary file in the same folder, then renamed).
Nothing is fetched from the network: WeasyPrint's URL fetcher only accepts ``file:`` and ``data:``.

Text written by people (etude.yaml, plan_action.yaml, labels copied into the « À retenir » points)
is escaped by the templates (Jinja autoescape, the same escaping as :func:`assainir.texte`); the
only HTML the templates print as such, the « À retenir » points, goes through the ``html_assaini``
filter (:func:`assainir.html`, allow-list). No template uses ``| safe`` on such text.

Reproducibility: the same executed notebooks and caches give byte-identical files, except for the
generation date (``ecriture.date_generation``: one line per HTML file; in a PDF, that line and the
PDF's creation date). The PDFs carry fixed metadata (title, language, creator with the library's
version, creation date = generation date) and no random file identifier.
"""
