"""Documents in Chromium (issue 15): the bilan as a PDF from the Bilans page, the class's bilans built in the
background with a progress bar and then downloaded, a learner's own bilan only. Screenshots:
/tmp/documents-*.png."""

from __future__ import annotations

import io
import zipfile

import pypdf
import pytest
from playwright.sync_api import expect

from livret.db import connect
from livret.render import pdf

from .test_browser_bilans import CLASS, DDFPT, TEACHER, first_learner, open_page

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not pdf.available(), reason="WeasyPrint needs Pango (scripts/install-pdf-libraries.sh)")]


def pdf_text(path) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages]


def test_the_bilan_downloads_as_a_one_page_pdf(private_server, page, tmp_path):
    _, name = first_learner(private_server.db_path)
    open_page(page, private_server, TEACHER, "bilans")
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le bilan (PDF)").click()
    download = info.value
    assert download.suggested_filename.endswith("_bilan_2026-03-27.pdf")
    text = pdf_text(download.path())
    assert len(text) == 1 and name in text[0] and "Signature du représentant légal" in text[0]


def test_the_class_bilans_are_built_in_the_background_then_downloaded(private_server, page, tmp_path):
    db = connect(private_server.db_path)
    names = [r[0] for r in db.execute(
        "SELECT l.last_name || ' ' || l.first_name FROM learners l JOIN classes c ON c.id = l.class_id WHERE c.name = ? "
        "AND EXISTS (SELECT 1 FROM bilans b WHERE b.learner_id = l.id AND b.status = 'validated' AND "
        "b.withdrawn_at IS NULL) ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE", [CLASS])]
    db.close()
    open_page(page, private_server, DDFPT, "conseil-de-classe")
    page.get_by_role("button", name="Bilans de la classe, un PDF par apprenant (ZIP)").click()
    expect(page.get_by_text("Bilans de la classe (ZIP) : préparation en cours")).to_be_visible()
    page.screenshot(path="/tmp/documents-progress.png")
    page.get_by_role("radio", name="Nouveaux résultats").check(force=True)  # the page stays usable meanwhile
    expect(page.locator("table.cc[data-sort='Nouveaux résultats']")).to_be_visible()
    button = page.get_by_role("button", name="Bilans de la classe (ZIP) : télécharger")
    expect(button).to_be_visible(timeout=120_000)
    with page.expect_download() as info:
        button.click()
    archive = zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read()))
    assert len(archive.namelist()) == len(names) and info.value.suggested_filename == f"{CLASS}_bilans.zip"
    assert all(entry.endswith(".pdf") for entry in archive.namelist())
    first = pypdf.PdfReader(io.BytesIO(archive.read(sorted(archive.namelist())[0]))).pages[0].extract_text()
    assert names[0].split()[0] in first
    page.get_by_role("button", name="Fermer").click()
    expect(button).to_have_count(0)


def test_a_learner_sees_their_bilan_as_a_pdf_and_no_class_document(private_server, page):
    learner_id, name = first_learner(private_server.db_path)
    db = connect(private_server.db_path)
    account = db.execute("SELECT name FROM users WHERE learner_id = ?", [learner_id]).fetchone()[0]
    db.close()
    open_page(page, private_server, f"Apprenant — {account}", "bilans")
    expect(page.get_by_role("button", name="Télécharger le bilan (PDF)")).to_be_visible()
    expect(page.get_by_role("button", name="Télécharger les bilans de la classe (PDF)")).to_have_count(0)
    expect(page.get_by_role("button", name="Livret de compétences (PDF)")).to_have_count(0)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger le bilan (PDF)").click()
    assert name in pdf_text(info.value.path())[0]
