"""PDF from the HTML and print CSS the app writes (SPEC DOC1), with WeasyPrint.

WeasyPrint needs the system's Pango library (Debian: libpango-1.0-0, libpangoft2-1.0-0, and fonts such as
fonts-dejavu-core; the README's commands install them). Where it is missing, available() says so and the
pages show PDF_MISSING instead of a download button.

The documents carry everything they show (styles inline, the radar as inline SVG): nothing is ever
fetched. The URL fetcher refuses every address, so a text typed by a user (an <img src=…> that would not
have been escaped, say) could never make the server open a connection or read a file."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable

PDF_MISSING = ("La création de PDF n'est pas disponible sur ce serveur (la bibliothèque Pango manque) : "
               "téléchargez le document en HTML et imprimez-le depuis le navigateur, ou demandez à "
               "l'administrateur d'installer libpango-1.0-0.")
_log = logging.getLogger("livret.pdf")


class FetchRefused(ValueError):
    pass


def refuse_every_url(url: str, *args, **kwargs):
    """WeasyPrint's URL fetcher: a document needs nothing from outside itself."""
    _log.warning("A document asked for %r: refused", url[:200])
    raise FetchRefused(f"Les documents de Livret ne chargent rien de l'extérieur ({url[:80]}).")


@functools.cache
def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango missing
        _log.warning("PDF unavailable: %s", error)
        return None
    return weasyprint


def available() -> bool:
    return _weasyprint() is not None


@functools.cache
def _fetcher():
    class NothingFetched(_weasyprint().urls.URLFetcher):
        """WeasyPrint asks its fetcher for every image, stylesheet or font a document names."""

        def fetch(self, url, headers=None):
            refuse_every_url(url)

    return NothingFetched()


def _document(html: str):
    return _weasyprint().HTML(string=html, url_fetcher=_fetcher()).render()


def html_to_pdf(html: str) -> bytes:
    """One document's HTML as a PDF."""
    return _document(html).write_pdf()


def merged_pdf(htmls: Iterable[str], progress=None) -> bytes:
    """Several documents in one PDF, each laid out on its own (its page numbers count its own pages);
    progress(done, total) is told after each one."""
    htmls = list(htmls)
    documents = []
    for done, html in enumerate(htmls, start=1):
        documents.append(_document(html))
        if progress is not None:
            progress(done, len(htmls))
    pages = [page for document in documents for page in document.pages]
    return documents[0].copy(pages).write_pdf()
