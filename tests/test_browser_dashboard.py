"""The « Tableau de bord » in Chromium: selection, URL-bound filters, display modes, jump list, « ? » and « BI ».

Screenshots of each mode go to /tmp/tableau-de-bord-*.png."""

import re

import pytest
from playwright.sync_api import expect

from livret import dashboard, school
from livret.codes import COLUMN_CODES
from livret.db import connect
from livret.permissions import load_user

from .conftest import open_options, sign_in, wait_for_app

pytestmark = pytest.mark.browser

ACCOUNT = "Enseignant — GARNIER Sophie"  # 1MELEC and TMELEC
C1 = "C1 - Analyser les conditions de l'opération et son contexte"


def teacher_view(db_path):
    """The class list and the learners' complexity counts as the teacher's own services give them."""
    db = connect(db_path)
    user = load_user(db, db.execute("SELECT id FROM users WHERE name = 'GARNIER Sophie'").fetchone()[0])
    return db, user


def class_names(db_path, class_name):
    db, user = teacher_view(db_path)
    class_id = db.execute("SELECT id FROM classes WHERE name = ?", [class_name]).fetchone()[0]
    learners = school.class_learners(db, user, class_id)
    return list(zip(learners["full_name"], learners["id"]))


def toggle_labels(db_path, learner_id):
    db, user = teacher_view(db_path)
    counts = dashboard.complexity_counts(dashboard.learner_data(db, user, learner_id).results)
    return [f"{code} ({counts[code]})" for code in COLUMN_CODES]


def open_dashboard(page, url, query=""):
    # The dashboard is a teacher's first page, at the app's root.
    sign_in(page, url, ACCOUNT, path=query)
    expect(page.get_by_role("heading", name=C1)).to_be_visible()
    wait_for_app(page)


def choose(page, box, option):
    open_options(page, page.get_by_role("combobox", name=box))
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def expect_learner(page, db_path, name, learner_id):
    expect(page.get_by_role("combobox", name="Apprenant")).to_have_value(name)
    for label in toggle_labels(db_path, learner_id):
        expect(page.get_by_role("switch", name=label)).to_be_visible()


def test_choose_learner_and_next_wraps_at_the_end_of_the_class(server, page):
    open_dashboard(page, server.url, "?classe=TMELEC")
    learners = class_names(server.db_path, "TMELEC")
    expect_learner(page, server.db_path, *learners[0])
    choose(page, "Apprenant", learners[-1][0])
    expect_learner(page, server.db_path, *learners[-1])
    expect(page).to_have_url(re.compile(r"apprenant="))
    page.get_by_role("button", name="Suivant →").click()
    wait_for_app(page)
    expect_learner(page, server.db_path, *learners[0])
    page.get_by_role("button", name="← Précédent").click()
    wait_for_app(page)
    expect_learner(page, server.db_path, *learners[-1])


def test_choosing_another_class_starts_at_its_first_learner(server, page):
    open_dashboard(page, server.url)
    choose(page, "Classe", "TMELEC")
    expect_learner(page, server.db_path, *class_names(server.db_path, "TMELEC")[0])


def test_learner_and_filters_survive_another_page_and_a_reload(server, page):
    open_dashboard(page, server.url, "?classe=TMELEC")
    name, learner_id = class_names(server.db_path, "TMELEC")[2]
    choose(page, "Apprenant", name)
    pill = page.get_by_role("toolbar", name="Unités").get_by_role("button", name="U31")
    pill.click()
    wait_for_app(page)
    try:  # a click that lands while the page is redrawing its pills can be lost: click again once
        expect(page).to_have_url(re.compile(r"tdb_unites=U31"), timeout=5_000)
    except AssertionError:
        pill.click()
        wait_for_app(page)
    expect(page).to_have_url(re.compile(r"tdb_unites=U31"))
    int_label = toggle_labels(server.db_path, learner_id)[1]
    page.get_by_text(int_label, exact=True).click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"tdb_Int=false"))  # one change at a time: each is in the URL first
    page.get_by_role("radio", name="Condensé").click()
    wait_for_app(page)
    expect(page.get_by_role("radio", name="Condensé")).to_be_checked()
    expect(page).to_have_url(re.compile(r"tdb_affichage=Condens"))
    page.get_by_role("link", name="Accueil").click()  # another page and back: the choices follow
    wait_for_app(page)
    expect(page.get_by_role("heading", name="Livret de compétences")).to_be_visible()
    page.get_by_role("link", name="Tableau de bord").click()
    wait_for_app(page)
    expect(page.get_by_role("radio", name="Condensé")).to_be_checked()
    expect_learner(page, server.db_path, name, learner_id)
    shared = page.url
    assert "tdb_unites=U31" in shared and "tdb_Int=false" in shared

    page.reload()  # a new Streamlit session: the sign-in form shows at the same address, query string kept
    sign_in_form = page.get_by_label("Compte de démonstration")
    expect(sign_in_form.or_(page.get_by_role("heading", name="Tableau de bord"))).to_be_visible()
    if sign_in_form.is_visible():
        page.get_by_label("Compte de démonstration").click()
        page.get_by_role("option", name=ACCOUNT).first.click()
        page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    expect_learner(page, server.db_path, name, learner_id)
    expect(page.get_by_role("toolbar", name="Unités").get_by_role("button", name="U31")).to_have_attribute(
        "aria-pressed", "true")
    expect(page.get_by_role("switch", name=int_label)).not_to_be_checked()
    expect(page.get_by_role("radio", name="Condensé")).to_be_checked()
    expect(page.locator("table.lv-condensed").first).to_be_visible()
    headings = page.locator("section.lv-comp h3")
    expect(headings).to_have_count(7)  # the competencies of U31
    expect(headings.first).to_have_text("C2 - Organiser l'opération dans son contexte")
    expect(page.locator("[data-complexity='Int']")).to_have_count(0)


def test_unit_and_complexity_filters_change_the_cells(server, page):
    open_dashboard(page, server.url, "?classe=TMELEC")
    cells = page.locator("section.lv-comp [data-complexity]")
    expect(page.locator("[data-complexity='E'][data-context='company']").first).to_be_visible()
    total = cells.count()
    e_label = next(label for label in page.get_by_role("switch").all() if label.get_attribute("aria-label")
                   .startswith("E (")).get_attribute("aria-label")
    page.get_by_text(e_label, exact=True).click()
    wait_for_app(page)
    expect(page.locator("[data-complexity='E']")).to_have_count(0)
    assert 0 < cells.count() < total
    page.get_by_role("toolbar", name="Unités").get_by_role("button", name="U32").click()
    wait_for_app(page)
    expect(page.locator("section.lv-comp h3")).to_have_text(
        ["C8 - Diagnostiquer un dysfonctionnement", "C9 - Remplacer un matériel électrique"])
    page.get_by_role("toolbar", name="Unités").get_by_role("button", name="Tout afficher").click()
    wait_for_app(page)
    expect(page.locator("section.lv-comp h3")).to_have_count(13)


def expect_question_marks_end_the_blue_lines(page):
    """Each competency's « ? » sits inside its blue line, at its right end; « BI » heads that column.
    (Clicking them is tested with the bilan dialogs, in test_browser_bilans.py.)"""
    expect(page.locator(".lv-blue").get_by_role("button", name="Positionner C")).to_have_count(13)
    expect(page.locator(".lv-blue button", has_text="?")).to_have_count(13)
    for code in ("C1", "C13"):
        line = page.locator(f"#lv-{code} .lv-blue").bounding_box()
        button = page.get_by_role("button", name=f"Positionner {code} dans le bilan en cours").bounding_box()
        assert line["y"] <= button["y"] and button["y"] + button["height"] <= line["y"] + line["height"]
        assert line["x"] + line["width"] - 12 <= button["x"] + button["width"] <= line["x"] + line["width"]
    bi = page.get_by_role("button", name="BI", exact=True).bounding_box()
    assert abs(bi["x"] + bi["width"] - (button["x"] + button["width"])) <= 1


def test_each_display_toggle_changes_the_layout(server, page):
    open_dashboard(page, server.url, "?classe=TMELEC")
    expect(page.locator("table.lv-chrono")).to_have_count(13)
    expect_question_marks_end_the_blue_lines(page)
    expect(page.locator("table.lv-chrono th.lv-line").first).to_be_attached()  # the black line
    expect(page.locator("th.lv-h-E").first).to_be_visible()
    page.screenshot(path="/tmp/tableau-de-bord-chronologique.png")

    page.get_by_role("radio", name="Condensé").click()
    wait_for_app(page)
    expect(page.locator("table.lv-condensed")).to_have_count(13)
    expect(page.locator("table.lv-chrono")).to_have_count(0)
    # Text content, not inner text: blocks out of the window are not rendered (content-visibility: auto)
    # and their inner text is empty until the teacher scrolls to them.
    codes = set(page.locator("table.lv-condensed [data-complexity]").all_text_contents())
    assert codes <= {"D", "Int", "B", "E"} and "E" in codes
    expect(page.locator(".lv-run .lv-line").first).to_be_attached()
    page.screenshot(path="/tmp/tableau-de-bord-condense.png")

    page.get_by_role("radio", name="Sans titres").click()
    wait_for_app(page)
    expect(page.locator("th.lv-num").first).to_have_text("1")
    expect(page.get_by_text("Les informations nécessaires sont recueillies")).to_have_count(0)
    page.screenshot(path="/tmp/tableau-de-bord-sans-titres.png")

    page.get_by_role("radio", name="Compact").click()
    wait_for_app(page)
    expect(page.locator("section.lv-comp table")).to_have_count(0)
    expect(page.locator(".lv-blue")).to_have_count(13)
    expect(page.locator(".lv-blue .lv-pos").first).to_have_attribute("title", re.compile(r"^Bilan validé le \d\d/"))
    expect_question_marks_end_the_blue_lines(page)
    page.screenshot(path="/tmp/tableau-de-bord-compact.png")


def test_jump_list_scrolls_to_the_competency(server, page):
    open_dashboard(page, server.url, "?classe=TMELEC")
    target = page.get_by_role("heading", name="C12 - Communiquer entre professionnels sur l'opération")
    expect(target).not_to_be_in_viewport()
    jump = page.get_by_label("Aller à la compétence")
    expect(jump).to_have_value("")
    page.evaluate("""() => { window.lvRuns = 0; const app = document.querySelector("[data-testid='stApp']");
        new MutationObserver(() => { if (app.dataset.testScriptState === 'running') window.lvRuns++; })
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }""")
    jump.select_option(label="C12 - Communiquer entre professionnels sur l'opération")
    expect(target).to_be_in_viewport()
    expect(page.get_by_role("heading", name=C1)).not_to_be_in_viewport()
    expect(jump).to_have_value("")  # a menu: C12 can be chosen again after scrolling back
    assert page.evaluate("() => window.lvRuns") == 0  # scrolled in the browser, without a rerun
    page.get_by_role("heading", name=C1).scroll_into_view_if_needed()
    expect(target).not_to_be_in_viewport()
    jump.select_option(label="C12 - Communiquer entre professionnels sur l'opération")
    expect(target).to_be_in_viewport()
