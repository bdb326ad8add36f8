"""Documents a school hands out and files (SPEC DOC1): the bilan as a PDF, a class's latest bilans as one
PDF or a ZIP of one PDF per learner, and the learner's « Livret de compétences » (every result, then every
validated bilan) for one learner or a whole class.

Every function checks the user first: a learner gets only their own bilans; the class's files and the
livret are for staff of the class (the class's livret as one file, for the DDFPT). progress(done, total),
when given, is told after each learner, so a page can show how far a long build has gone."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from livret import bilans, clock, dashboard, preferences, school
from livret.db import Database
from livret.errors import NotFound
from livret.french import day_text
from livret.permissions import User, require, require_class, require_learner_staff
from livret.render import grid, livret_document, pdf

Progress = Callable[[int, int], None] | None


def _contrast(db, user) -> bool:
    return preferences.read(db, user).contrast  # the user's « Mode contrasté » follows them onto paper


def bilan_pdf(db: Database, user: User | None, bilan_id: int) -> bytes:
    """One bilan the user may read, as a PDF (one A4 page, two at most with long Constats)."""
    report = bilans.bilan_report(db, user, bilan_id)
    return pdf.html_to_pdf(report.document_html(_contrast(db, user)))


def _class_reports(db, user, class_id: int) -> list:
    reports = bilans.class_latest_reports(db, user, class_id)
    if not reports:
        raise NotFound("Aucun apprenant de cette classe n'a encore de bilan validé.")
    return reports


def class_bilans_pdf(db: Database, user: User | None, class_id: int, progress: Progress = None) -> bytes:
    """Each learner's latest validated bilan, one after the other in alphabetical order, in one PDF."""
    contrast = _contrast(db, user)
    return pdf.merged_pdf([report.document_html(contrast) for report in _class_reports(db, user, class_id)], progress)


def class_bilans_zip(db: Database, user: User | None, class_id: int, progress: Progress = None) -> bytes:
    """The same bilans as a ZIP of one PDF per learner, named « NOM_Prénom_bilan_AAAA-MM-JJ.pdf »."""
    reports, contrast = _class_reports(db, user, class_id), _contrast(db, user)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, report in enumerate(reports, start=1):
            archive.writestr(f"{report.file_stem}.pdf", pdf.html_to_pdf(report.document_html(contrast)))
            if progress is not None:
                progress(done, len(reports))
    return output.getvalue()


def _livret_htmls(db, user, learner_id: int) -> list[str]:
    """The livret's documents: the grid part, then each validated bilan, oldest first."""
    data = dashboard.learner_data(db, user, learner_id)
    blocks = grid.render_blocks(data.referentiel, data.results, data.bilans, grid.GridOptions(condensed=True, result_codes=True))
    name = bilans.learner_name(db, user, learner_id)
    class_name, diploma = db.execute(
        "SELECT c.name, coalesce(d.title, c.diploma) FROM learners l JOIN classes c ON c.id = l.class_id "
        "LEFT JOIN diplomas d ON d.code = c.diploma WHERE l.id = ?", [learner_id]).fetchone()
    identity, contrast = school.school_identity(db), _contrast(db, user)
    parts = [livret_document.livret_html(school_name=identity.name, school_year=identity.year, learner_name=name,
                                         class_name=class_name, diploma=diploma, blocks=blocks,
                                         printed_on=day_text(clock.today()), contrast=contrast)]
    readable = bilans.learner_bilans(db, user, learner_id)
    validated = readable[readable["status"] == "validated"]  # an unlocked bilan is being corrected
    for bilan_id in reversed([int(i) for i in validated["id"]]):
        parts.append(bilans.bilan_report(db, user, bilan_id).document_html(contrast))
    return parts


def learner_livret_pdf(db: Database, user: User | None, learner_id: int) -> bytes:
    """One learner's livret (staff of the learner's class)."""
    require_learner_staff(db, user, learner_id)
    return pdf.merged_pdf(_livret_htmls(db, user, learner_id))


def class_livret_pdf(db: Database, user: User | None, class_id: int, progress: Progress = None) -> bytes:
    """The livret of every learner of the class, in alphabetical order, as one PDF (the DDFPT)."""
    require(user, "download_class_livrets")
    require_class(db, user, class_id)
    learners = [r[0] for r in db.execute("SELECT id FROM learners WHERE class_id = ? ORDER BY last_name COLLATE "
                                         "NOCASE, first_name COLLATE NOCASE, id", [class_id])]
    if not learners:
        raise NotFound("Cette classe ne compte aucun apprenant.")
    htmls = []
    for done, learner_id in enumerate(learners, start=1):
        htmls.extend(_livret_htmls(db, user, learner_id))
        if progress is not None:
            progress(done, len(learners) * 2)  # reading is the first half of the work, laying out the second
    return pdf.merged_pdf(htmls, None if progress is None else
                          lambda done, total: progress(len(learners) + done * len(learners) // total, len(learners) * 2))
