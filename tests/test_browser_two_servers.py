"""Two Livret servers on one PostgreSQL database (issue 17): what a teacher writes through one server is
shown by the other at its next run (every cache is keyed by a version read from the database), and two
teachers writing the same learner through the two servers at once lose nothing."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect

from livret import bilans, copying
from livret.db import connect, is_postgres, transaction
from livret.tools.serving import StreamlitServer, wait_for_app

from .conftest import user_by_email
from .test_browser_bilan_dialog import open_bilan_dialog
from .test_browser_bilans import TEACHER, TODAY, first_learner, open_page

pytestmark = pytest.mark.browser

TEACHER_EMAIL = "marc.lefebvre@lycee-demo.fr"


@pytest.fixture(scope="module")
def two_servers(postgres, databases, demo_template):
    if is_postgres(demo_template):  # the suite's own server holds the demo school
        url = databases.copy(demo_template, "two_servers")
    else:
        url = postgres.create("two_servers")
        copying.copy_school(demo_template, url)
    first, second = StreamlitServer(url), StreamlitServer(url)
    yield url, first, second
    first.stop()
    second.stop()


def ask(page, code):
    return page.locator(f"#lv-{code} button.lv-ask")


def test_a_positioning_and_a_bilan_made_through_one_server_are_shown_by_the_other(two_servers, browser):
    url, first, second = two_servers
    learner_id, name = first_learner(url)
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR") for _ in range(2)]
    here, there = (context.new_page() for context in contexts)
    try:
        open_page(there, second, TEACHER, "tableau-de-bord")
        expect(ask(there, "C1")).to_have_text("?")
        open_page(here, first, TEACHER, "tableau-de-bord")
        ask(here, "C1").click()
        here.get_by_role("dialog").get_by_role("button", name="++ · terminal", exact=True).click()
        expect(ask(here, "C1")).to_have_text("++")
        expect(ask(here, "C1")).not_to_have_class("lv-ask lv-saving")

        there.reload()  # the other server's next run reads the learner's new version
        wait_for_app(there)
        expect(ask(there, "C1")).to_have_text("++")

        dialog = open_bilan_dialog(here)
        dialog.get_by_role("button", name="Confirmer le bilan").click()
        form = dialog.get_by_role("form", name="Confirmation du bilan")
        form.get_by_label("Pour créer le bilan, saisissez CONFIRMATION en lettres majuscules").fill("CONFIRMATION")
        form.get_by_role("button", name="Créer le bilan").click()
        expect(here.get_by_text(f"Bilan de {name} validé le {TODAY}")).to_be_visible()

        there.get_by_role("link", name="Bilans de compétences").click()
        wait_for_app(there)
        expect(there.get_by_text(TODAY).first).to_be_visible()
        db = connect(url)
        assert db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated' "
                          "AND validated_at LIKE ?", [learner_id, f"{TODAY[6:]}-%"]).fetchone()[0] >= 1
        db.close()
    finally:
        for context in contexts:
            context.close()


def test_two_teachers_writing_one_learner_at_once_lose_nothing(two_servers):
    """Each thread stands for one server's session: 13 competencies each, written at the same time."""
    url, _, _ = two_servers
    learner_id, _ = first_learner(url)
    db = connect(url)
    teacher = user_by_email(db, TEACHER_EMAIL)
    competencies = [r[0] for r in db.execute("SELECT id FROM competencies WHERE diploma = 'BACPRO-MELEC' "
                                               "ORDER BY position")]
    with transaction(db):
        db.execute("DELETE FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id])
    errors = []

    def position(level, objective):
        own = connect(url)
        try:
            for competency_id in competencies:
                bilans.save_draft_positioning(own, teacher, learner_id, competency_id,
                                              bilans.Positioning(level, objective))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            own.close()

    writers = [threading.Thread(target=position, args=args) for args in ((4, "terminal"), (2, "intermediate"))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    drafts = db.execute("SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id]
                        ).fetchone()[0]
    stored = db.execute("SELECT level, objective FROM positionings p JOIN bilans b ON b.id = p.bilan_id "
                        "WHERE b.learner_id = ? AND b.status = 'draft'", [learner_id]).fetchall()
    db.close()
    assert drafts == 1  # one draft, not one per server
    # every competency holds one of the two choices whole (never a level from one and the objective from the other)
    assert len(stored) == len(competencies) and set(stored) <= {(4, "terminal"), (2, "intermediate")}
