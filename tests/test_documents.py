"""Documents a school hands out (issue 15), read back with pypdf: the bilan on one A4 page, a class's
bilans in one PDF (a page per learner, alphabetical) or a ZIP, the learner's livret, the school's name on
them; user text stays text and nothing is fetched; each user gets only what they may read."""

from __future__ import annotations

import io
import zipfile

import pypdf
import pytest

from livret import bilans, documents, school
from livret.db import transaction
from livret.errors import NotFound, PermissionDenied, ValidationError
from livret.render import pdf

from .conftest import snapshot

pytestmark = pytest.mark.skipif(not pdf.available(), reason="WeasyPrint needs Pango (scripts/install-pdf-libraries.sh)")


def pages(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def bilan(demo_db, roles):
    """A learner's latest validated bilan with Constats that try to be markup and to fetch an image."""
    learner_id = roles["learner"].learner_id
    latest = bilans.latest_validated_bilan(demo_db, roles["teacher"], learner_id)
    with transaction(demo_db):
        demo_db.execute("UPDATE bilans SET constats = ? WHERE id = ?",
                        ["<script>alert(1)</script> <img src=http://127.0.0.1:9/x.png> Progrès net.", latest.id])
    return latest


def test_the_bilan_is_one_page_with_titles_school_texts_and_signatures(demo_db, roles, bilan, monkeypatch):
    fetched = []
    monkeypatch.setattr(pdf, "refuse_every_url", lambda url, *a, **k: fetched.append(url) or pdf.FetchRefused(url))
    school.set_school_identity(demo_db, roles["ddfpt"], "Lycée Marie Curie", "2025-2026")
    text = pages(documents.bilan_pdf(demo_db, roles["teacher"], bilan.id))
    assert len(text) == 1
    page = text[0]
    assert "Lycée Marie Curie" in page and "Année scolaire 2025-2026" in page and bilan.learner_name in page
    for title in demo_db.execute("SELECT title FROM competencies"):
        assert " ".join(title[0].split()) in page
    squeezed = page.replace(" ", "")
    assert "<script>alert(1)</script><imgsrc=http://127.0.0.1:9/x.png>Progrèsnet." in squeezed  # as text
    for label in ("Signature de l'enseignant(e)", "Signature de l'apprenant(e)", "Signature du représentant légal"):
        assert label in page
    assert f"Bilan validé le {bilan.date_label} — page 1/1" in page
    assert "Historique des modifications" not in page and fetched == []


def test_nothing_is_ever_fetched_even_from_markup_that_was_not_escaped():
    with pytest.raises(pdf.FetchRefused):
        pdf.refuse_every_url("http://127.0.0.1:9/x.png")
    data = pdf.html_to_pdf('<p>Avant</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd"><p>Après</p>')
    assert pages(data) == ["Avant Après"]


def test_a_learner_downloads_only_their_own_bilans(demo_db, roles, bilan):
    own = pages(documents.bilan_pdf(demo_db, roles["learner"], bilan.id))
    assert bilan.learner_name in own[0]
    other = demo_db.execute("SELECT b.id FROM bilans b JOIN learners l ON l.id = b.learner_id WHERE b.status = "
                            "'validated' AND b.learner_id <> ? LIMIT 1", [roles["learner"].learner_id]).fetchone()[0]
    with pytest.raises((PermissionDenied, NotFound)):
        documents.bilan_pdf(demo_db, roles["learner"], other)
    for user in (roles["learner"], roles["other_teacher"], roles["admin"]):
        with pytest.raises(PermissionDenied):
            documents.class_bilans_pdf(demo_db, user, roles["class_id"])
    with pytest.raises(PermissionDenied, match="Seul le DDFPT"):
        documents.class_livret_pdf(demo_db, roles["teacher"], roles["class_id"])
    with pytest.raises(PermissionDenied):
        documents.learner_livret_pdf(demo_db, roles["learner"], roles["learner"].learner_id)


def test_a_class_at_once_one_page_per_learner_in_alphabetical_order_and_a_zip(demo_db, roles):
    teacher, class_id = roles["teacher"], roles["class_id"]
    names = [r[0] for r in demo_db.execute(
        "SELECT last_name || ' ' || first_name FROM learners WHERE class_id = ? ORDER BY last_name COLLATE NOCASE, "
        "first_name COLLATE NOCASE LIMIT 4", [class_id])]
    with transaction(demo_db):  # four learners keep the test short; the others have no validated bilan
        demo_db.execute("UPDATE bilans SET withdrawn_at = '2026-05-01 10:00:00' WHERE learner_id IN (SELECT id FROM "
                        "learners WHERE class_id = ? AND last_name || ' ' || first_name NOT IN (?, ?, ?, ?))",
                        [class_id, *names])
    seen = []
    text = pages(documents.class_bilans_pdf(demo_db, teacher, class_id, lambda done, total: seen.append((done, total))))
    assert len(text) == 4 and seen[-1] == (4, 4)
    assert all(name in page and "page 1/1" in page for name, page in zip(names, text))
    archive = zipfile.ZipFile(io.BytesIO(documents.class_bilans_zip(demo_db, teacher, class_id)))
    files = archive.namelist()
    assert len(files) == 4 and all(f.endswith("_bilan_2026-03-27.pdf") for f in files)
    assert files[0] == bilans.document_file_name(names[0], "2026-03-27", "pdf")
    assert pages(archive.read(files[1]))[0].count(names[1]) >= 1


def test_the_livret_has_every_competency_and_result_then_every_bilan(demo_db, roles):
    learner_id = roles["learner"].learner_id
    text = pages(documents.learner_livret_pdf(demo_db, roles["teacher"], learner_id))
    whole = " ".join(text)
    assert text[0].startswith(text[0][:0]) and "Livret de compétences" in text[0]
    for code, title in demo_db.execute("SELECT code, title FROM competencies"):
        assert f"{code} - {' '.join(title.split())}" in whole
    validated = demo_db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated'",
                                [learner_id]).fetchone()[0]
    assert sum("Bilan intermédiaire de compétences" in page for page in text) == validated == 2
    assert whole.count(" RT") + whole.count(" NA") > 20  # the codes are written in the cells


def test_the_ddfpt_names_the_school_and_bad_input_changes_nothing(demo_db, roles):
    before = snapshot(demo_db)
    for name, year, message in (("", "2025-2026", "Indiquez le nom"), ("Lycée", "2025", "s'écrit comme"),
                                ("Lycée", "2025-2027", "s'écrit comme"), ("L" * 121, "2025-2026", "120 caractères")):
        with pytest.raises(ValidationError, match=message):
            school.set_school_identity(demo_db, roles["ddfpt"], name, year)
    with pytest.raises(PermissionDenied):
        school.set_school_identity(demo_db, roles["teacher"], "Lycée", "2025-2026")
    assert snapshot(demo_db) == before
    assert school.school_identity(demo_db) == school.SchoolIdentity("", "2025-2026")
    school.set_school_identity(demo_db, roles["ddfpt"], "  Lycée   Marie Curie ", "2026/2027")
    assert school.school_identity(demo_db) == school.SchoolIdentity("Lycée Marie Curie", "2026-2027")
