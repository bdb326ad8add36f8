"""Page « Conseil de classe » in Chromium (issue 14): a teacher sees only their classes, the to-do filters,
the sort, the click through to a learner's dashboard, the XLSX and CSV exports read back; the DDFPT sees
every class; a learner and a teacher of another class are refused, links tampered with included.
Screenshots: /tmp/council-*.png."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.sync_api import expect

from livret import bilans, council
from livret.db import connect

from .conftest import open_options, sign_in, user_by_email, wait_for_app

pytestmark = pytest.mark.browser

TEACHER, DDFPT = "Enseignant — LEFEBVRE Marc", "DDFPT — DUBREUIL Claire"  # LEFEBVRE: 2MELEC and 1MELEC


@pytest.fixture(scope="module")
def school(private_server):
    """The private server's school, with one draft in 1MELEC."""
    db = connect(private_server.db_path)
    teacher = user_by_email(db, "marc.lefebvre@lycee-demo.fr")
    class_id = db.execute("SELECT id FROM classes WHERE name = '1MELEC'").fetchone()[0]
    view = council.class_council(db, teacher, class_id)
    drafted = view.rows[3]
    c2 = db.execute("SELECT id FROM competencies WHERE code = 'C2'").fetchone()[0]
    bilans.save_draft_positioning(db, teacher, drafted.learner_id, c2, bilans.Positioning(3, "terminal"))
    yield {"db": db, "teacher": teacher, "class_id": class_id, "drafted": drafted, "url": private_server.url}
    db.close()


def open_council(page, school, account=TEACHER, query="?classe=1MELEC"):
    page.goto(school["url"])
    wait_for_app(page)
    sign_in(page, school["url"], account, path=f"conseil-de-classe{query}")


def table_names(page) -> list[str]:
    return page.locator("table.cc tbody th.cc-name").all_inner_texts()


def test_a_teacher_sees_their_class_filters_sorts_and_opens_a_dashboard(page, school):
    view = council.class_council(school["db"], school["teacher"], school["class_id"])
    open_council(page, school)
    expect(page.get_by_role("table", name="Conseil de classe 1MELEC")).to_be_visible()
    assert table_names(page) == [r.name for r in view.rows]
    open_options(page, page.get_by_role("combobox", name="Classe"))
    expect(page.get_by_role("option")).to_have_text(["1MELEC", "2MELEC"])  # their classes only
    page.keyboard.press("Escape")
    page.screenshot(path="/tmp/council-teacher.png")

    # The to-do line: each item is a filter of the table.
    expect(page.get_by_text(view.todo_text().split(" · ")[0])).to_be_visible()
    page.get_by_role("radio", name="1 brouillon en cours").click()
    wait_for_app(page)
    expect(page.locator("table.cc tbody th.cc-name")).to_have_text([school["drafted"].name])
    expect(page.locator("table.cc tbody tr").first).to_contain_text("1/13 positionnées")
    page.get_by_role("radio", name="1 brouillon en cours").click()  # off again: the whole class
    wait_for_app(page)
    expect(page.locator("table.cc tbody th.cc-name")).to_have_count(len(view.rows))

    page.get_by_role("radio", name="Nouveaux résultats").check(force=True)
    wait_for_app(page)
    expected = [r.name for r in view.shown(sort="Nouveaux résultats")]
    expect(page.locator("table.cc tbody th.cc-name")).to_have_text(expected)
    assert "conseil_tri=Nouveaux" in page.url

    # A learner's name opens their dashboard, as a shared link would.
    first = expected[0]
    page.locator("table.cc").get_by_role("link", name=first, exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    expect(page.get_by_role("combobox", name="Apprenant")).to_have_value(first)
    expect(page.get_by_role("combobox", name="Classe")).to_have_value("1MELEC")


def test_the_exports_read_back(page, school, tmp_path):
    view = council.class_council(school["db"], school["teacher"], school["class_id"])
    open_council(page, school)
    expect(page.get_by_role("table", name="Conseil de classe 1MELEC")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter (XLSX)").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("conseil_1MELEC_") and path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path)["Conseil de classe"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Classe", "Apprenant", "C1") and [r[1] for r in rows[1:]] == [r.name for r in view.rows]
    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter (CSV)").click()
    text = info.value.path().read_bytes().decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert read[0][:3] == ["Classe", "Apprenant", "C1"] and len(read) == len(view.rows) + 1


def test_the_ddfpt_sees_every_class(page, school):
    open_council(page, school, DDFPT, "?classe=TMELEC")
    expect(page.get_by_role("table", name="Conseil de classe TMELEC")).to_be_visible()
    expect(page.locator(".vega-embed")).to_be_visible()  # the class's distribution
    open_options(page, page.get_by_role("combobox", name="Classe"))
    expect(page.get_by_role("option")).to_have_text(["1MELEC", "2MELEC", "TMELEC"])
    page.keyboard.press("Escape")
    page.screenshot(path="/tmp/council-ddfpt.png", full_page=True)


def test_a_learner_and_a_teacher_of_another_class_are_refused(page, school):
    db = school["db"]
    learner = db.execute("SELECT u.name FROM users u JOIN learners l ON l.id = u.learner_id JOIN classes c ON "
                         "c.id = l.class_id WHERE c.name = '1MELEC' ORDER BY u.id LIMIT 1").fetchone()[0]
    open_council(page, school, f"Apprenant — {learner}")
    expect(page.get_by_role("heading", name="Page non accessible")).to_be_visible()
    expect(page.locator("table.cc")).to_have_count(0)
    expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Conseil de classe")).to_have_count(0)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)

    other = db.execute("SELECT name FROM users WHERE role = 'teacher' AND id NOT IN (SELECT user_id FROM "
                       "teacher_classes WHERE class_id = ?) ORDER BY id LIMIT 1", [school["class_id"]]).fetchone()[0]
    open_council(page, school, f"Enseignant — {other}", "?classe=1MELEC")  # a colleague's link to 1MELEC
    expect(page.get_by_role("heading", name="Conseil de classe")).to_be_visible()
    expect(page.get_by_role("table", name="Conseil de classe 1MELEC")).to_have_count(0)
    expect(page.get_by_role("combobox", name="Classe")).not_to_have_value("1MELEC")
