"""Downloading documents from the pages (SPEC DOC1): a UI-helpers module (Streamlit).

A bilan's PDF is made on the click from the HTML the page already has (well under a second). A class's
bilans, their ZIP and the livrets take seconds to minutes: they are built in a background thread while
the page stays usable — a progress bar follows the build (a fragment that reruns every second, alone),
and the file's button replaces it when it is ready. One build at a time per server process: the machine
has two cores, and a second build would only slow the first."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from livret import documents, ui
from livret.db import close_thread_connections, db_location, thread_db
from livret.errors import LivretError
from livret.permissions import can
from livret.render import pdf

PDF = "application/pdf"
ZIP = "application/zip"
_builder = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="livret-documents")
_log = logging.getLogger("livret.documents")


def pdf_missing() -> bool:
    """Whether PDFs cannot be made here; the French message is shown instead of the buttons."""
    if pdf.available():
        return False
    st.warning(pdf.PDF_MISSING, icon=":material/picture_as_pdf:")
    return True


def bilan_buttons(report, target, contrast: bool = False) -> None:
    """« Télécharger le bilan (PDF) » and the same document in HTML, each made on its click."""
    html = report.document_html(contrast)
    if pdf.available():
        ui.private_download_button("Télécharger le bilan (PDF)", lambda: pdf.html_to_pdf(html), mime=PDF,
                                   file_name=f"{report.file_stem}.pdf", icon=":material/picture_as_pdf:", target=target)
    ui.private_download_button("Télécharger le bilan (HTML)", html.encode("utf-8"), mime="text/html",
                               file_name=f"{report.file_stem}.html", icon=":material/download:", target=target)


@dataclass
class _Build:
    label: str
    file_name: str
    mime: str
    future: concurrent.futures.Future | None = None
    done: int = 0
    total: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, done: int, total: int) -> None:
        with self.lock:
            self.done, self.total = done, max(total, 1)


def _run(build: _Build, path: str, work: Callable, *args) -> bytes:
    try:
        return work(thread_db(path), *args, progress=build.progress)
    finally:
        close_thread_connections()


def start_build(key: str, label: str, file_name: str, mime: str, work: Callable, *args) -> None:
    """Start work(db, *args, progress=…) → bytes in the background; its progress and then its file are
    shown by show_build(key)."""
    build = _Build(label, file_name, mime)
    build.future = _builder.submit(_run, build, db_location(), work, *args)
    st.session_state[key] = build


def show_build(key: str) -> None:
    """Where a build started with start_build shows: its progress bar, then the file's button."""
    build = st.session_state.get(key)
    if build is None:
        return
    if build.future.done():
        _finished(key, build)
    else:
        _progress(key)


@ui.fragment(run_every=1)
def _progress(key: str) -> None:
    build = st.session_state.get(key)
    if build is None:
        return
    if build.future.done():
        st.rerun()  # the page shows the file's button
    with build.lock:
        done, total = build.done, build.total
    st.progress(min(done / total, 1.0), text=f"{build.label} : préparation en cours ({done}/{total})…")
    st.caption("Vous pouvez continuer à travailler : le fichier sera proposé ici quand il sera prêt.")


def _finished(key: str, build: _Build) -> None:
    try:
        content = build.future.result()
    except LivretError as error:
        st.session_state.pop(key, None)
        ui.show_error(error)
        return
    except Exception:  # noqa: BLE001 - logged with its traceback; the user reads French
        _log.exception("Building %s failed", build.file_name)
        st.session_state.pop(key, None)
        st.error("Le document n'a pas pu être préparé. Réessayez ; si cela se reproduit, prévenez l'administrateur.")
        return
    row = st.container(horizontal=True, vertical_alignment="center")
    ui.private_download_button(f"{build.label} : télécharger", content, mime=build.mime, file_name=build.file_name,
                               icon=":material/download:", type="primary", target=row)
    if row.button("Fermer", key=f"{key}_fermer"):
        st.session_state.pop(key, None)
        st.rerun()


def class_buttons(db, user, class_id: int, class_name: str, key: str) -> None:
    """« Télécharger les bilans de la classe » as one PDF or a ZIP of one PDF per learner, and for the
    DDFPT the class's livrets; each is built in the background (show_build)."""
    if pdf_missing():
        return
    stem = f"{class_name}_bilans"
    row = st.container(horizontal=True)
    if row.button("Télécharger les bilans de la classe (PDF)", icon=":material/picture_as_pdf:", key=f"{key}_pdf"):
        start_build(key, "Bilans de la classe", f"{stem}.pdf", PDF, _as(documents.class_bilans_pdf, user), class_id)
    if row.button("Bilans de la classe, un PDF par apprenant (ZIP)", icon=":material/folder_zip:", key=f"{key}_zip"):
        start_build(key, "Bilans de la classe (ZIP)", f"{stem}.zip", ZIP, _as(documents.class_bilans_zip, user), class_id)
    if can(user, "download_class_livrets") and row.button(
            "Livrets de compétences de la classe (PDF)", icon=":material/menu_book:", key=f"{key}_livrets"):
        start_build(key, "Livrets de la classe", f"{class_name}_livrets.pdf", PDF,
                    _as(documents.class_livret_pdf, user), class_id)
    show_build(key)


def livret_button(user, learner_id: int, learner_name: str, key: str) -> None:
    """« Livret de compétences (PDF) » of one learner, built in the background."""
    if pdf_missing():
        return
    if st.button("Livret de compétences (PDF)", icon=":material/menu_book:", key=f"{key}_livret"):
        start_build(key, f"Livret de {learner_name}", f"{learner_name.replace(' ', '_')}_livret.pdf", PDF,
                    _as(documents.learner_livret_pdf, user, progressless=True), learner_id)
    show_build(key)


def _as(work: Callable, user, *, progressless: bool = False) -> Callable:
    """work(db, user, *args, progress=…) with the signed-in user bound (checked in the thread, as everywhere)."""
    if progressless:
        return lambda db, *args, progress: work(db, user, *args)
    return lambda db, *args, progress: work(db, user, *args, progress=progress)
