"""Every screen at a glance (issue 16): on the 1366×768 school laptop the first grid row is on screen on
arrival and « Confirmer le bilan » when the BI dialog opens; the learner choice and the jump list stay in
view; the legend stays folded for whoever folded it; « Mode contrasté » follows the user; Notation's
remainder stays beside the weights; no page scrolls sideways on a tablet or a phone. Screenshots:
/tmp/screens-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from livret import preferences
from livret.codes import RESULT_BY_CODE
from livret.db import connect

from .conftest import sign_in, user_by_email, wait_for_app

pytestmark = pytest.mark.browser

TEACHER, EMAIL = "Enseignant — LEFEBVRE Marc", "marc.lefebvre@lycee-demo.fr"
SIZES = {"laptop": (1366, 768), "large": (1920, 1080), "tablet": (768, 1024), "phone": (390, 844)}


@pytest.fixture
def screen(browser, request):
    """A page at one of SIZES (by the test's parameter, the laptop by default)."""
    width, height = SIZES[getattr(request, "param", "laptop")]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-FR")
    context.set_default_timeout(20_000)
    expect.set_options(timeout=15_000)
    yield context.new_page()
    context.close()
    expect.set_options(timeout=5_000)


def inside(page, locator) -> bool:
    box, height = locator.bounding_box(), page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def open_dashboard(page, url):
    sign_in(page, url, TEACHER, path="tableau-de-bord?classe=1MELEC")
    page.locator("section.lv-comp table").first.wait_for()


def test_on_a_laptop_the_grid_is_on_screen_on_arrival_and_the_bilan_can_be_confirmed(private_server, screen):
    from livret import bilans

    from .test_browser_bilans import first_learner

    page, db = screen, connect(private_server.db_path)
    learner_id, _ = first_learner(private_server.db_path)
    c1 = db.execute("SELECT id FROM competencies WHERE code = 'C1'").fetchone()[0]
    bilans.save_draft_positioning(db, user_by_email(db, EMAIL), learner_id, c1, bilans.Positioning(3, "terminal"))
    db.close()
    open_dashboard(page, private_server.url)
    first_row = page.locator("#lv-C1 table.lv-grid tbody tr").first
    assert inside(page, first_row) and inside(page, page.locator("#lv-C1 .lv-blue"))
    page.screenshot(path="/tmp/screens-laptop-dashboard.png")
    page.locator("button.lv-bi-open").click()
    confirm = page.get_by_role("dialog").get_by_role("button", name="Confirmer le bilan")
    expect(confirm).to_be_visible()
    wait_for_app(page)
    close = page.get_by_role("dialog").get_by_role("button", name="Fermer")
    assert inside(page, confirm) and inside(page, close)
    # Scrolled down to the radar, the actions are still at the dialog's foot (the whole modal used to scroll
    # and take them three screens up).
    radar = page.get_by_role("dialog").locator("svg.radar")
    page.mouse.move(683, 400)
    for _ in range(8):
        page.mouse.wheel(0, 600)
    expect(radar).to_be_in_viewport()
    page.wait_for_timeout(300)
    assert inside(page, confirm) and inside(page, close)
    confirm.click()
    word = page.get_by_role("dialog").get_by_label("Pour créer le bilan, saisissez CONFIRMATION en lettres majuscules")
    expect(word).to_be_visible()
    assert inside(page, word) and inside(page, confirm)  # next to the buttons, whatever was scrolled
    page.screenshot(path="/tmp/screens-laptop-bilan-dialog.png")


def test_the_learner_choice_and_the_jump_list_stay_in_view(private_server, screen):
    page = screen
    open_dashboard(page, private_server.url)
    page.select_option("select.lv-jump-select", "lv-C9")
    expect(page.locator("#lv-C9 .lv-title")).to_be_in_viewport()
    assert inside(page, page.get_by_role("button", name="Suivant →"))
    assert inside(page, page.locator("select.lv-jump-select"))
    heading, jump = page.locator("#lv-C9 .lv-title").bounding_box(), page.locator("select.lv-jump-select").bounding_box()
    assert heading["y"] >= jump["y"] + jump["height"]  # the competency is not hidden under them
    page.get_by_role("button", name="Suivant →").click()
    wait_for_app(page)
    expect(page.locator("select.lv-jump-select")).to_be_in_viewport()


def test_the_legend_stays_folded_for_whoever_folded_it(private_server, screen):
    page, db = screen, connect(private_server.db_path)
    teacher = user_by_email(db, EMAIL)
    open_dashboard(page, private_server.url)
    legend = page.locator("details.lv-legend-box")
    expect(legend).to_have_attribute("open", "")
    page.get_by_text("Légende", exact=True).click()
    expect(legend).not_to_have_attribute("open", re.compile(".*"))
    wait_for_app(page)
    for _ in range(50):
        if not preferences.read(db, teacher).legend_open:
            break
        page.wait_for_timeout(100)
    assert preferences.read(db, teacher).legend_open is False
    page.reload()
    wait_for_app(page)
    page.locator("section.lv-comp").first.wait_for()
    expect(page.locator("details.lv-legend-box")).not_to_have_attribute("open", re.compile(".*"))
    preferences.choose(db, teacher, "legend_open", True)
    db.close()


def test_the_contrasted_mode_follows_the_user(private_server, screen):
    page, db = screen, connect(private_server.db_path)
    teacher = user_by_email(db, EMAIL)
    open_dashboard(page, private_server.url)
    cell = page.locator("#lv-C1 .lv-cell.lv-na").first
    expect(cell).to_have_css("background-color", "rgb(214, 39, 40)")  # #d62728
    page.get_by_test_id("stSidebar").get_by_text("Mode contrasté").click()
    wait_for_app(page)
    expect(cell).to_have_css("background-color", "rgb(213, 94, 0)")  # #d55e00, with its stripes
    assert "repeating-linear-gradient" in cell.evaluate("c => getComputedStyle(c).backgroundImage")
    assert preferences.read(db, teacher).contrast and RESULT_BY_CODE["NA"].contrast == "#d55e00"
    page.screenshot(path="/tmp/screens-contrast.png")
    page.get_by_role("link", name="Bilans de compétences").click()
    wait_for_app(page)
    expect(page.locator(".bilan-table .lv-pos.obj-terminal, .bilan-table .lv-pos.obj-intermediate").first).to_be_visible()
    page.get_by_test_id("stSidebar").get_by_text("Mode contrasté").click()
    wait_for_app(page)
    # wait_for_app may return before the rerun that stores the choice has begun
    for _ in range(50):
        if not preferences.read(db, teacher).contrast:
            break
        page.wait_for_timeout(100)
    assert not preferences.read(db, teacher).contrast
    db.close()


def test_notation_keeps_what_remains_in_view_while_typing(private_server, screen):
    page = screen
    sign_in(page, private_server.url, TEACHER, path="notation?classe=1MELEC")
    page.get_by_role("button", name="Noter le dernier bilan des apprenants").click()
    wait_for_app(page)
    remainder = page.get_by_role("heading", name=re.compile("Reste à répartir"))
    expect(remainder).to_be_visible()
    page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
    page.mouse.wheel(0, 300)
    page.wait_for_timeout(300)
    assert inside(page, remainder)


PAGES = ("tableau-de-bord", "bilans", "conseil-de-classe", "notation", "saisie", "accueil")


@pytest.mark.parametrize("screen", ["tablet", "phone", "large"], indirect=True)
def test_no_page_scrolls_sideways(server, screen):
    page = screen
    sign_in(page, server.url, TEACHER, path="tableau-de-bord?classe=1MELEC")
    width = page.viewport_size["width"]
    for path in PAGES:
        page.goto(f"{server.url}/{path}?classe=1MELEC")
        wait_for_app(page)
        page.locator("[data-testid='stMainBlockContainer'] h1").first.wait_for()
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        if path == "tableau-de-bord":
            page.locator("section.lv-comp table").first.wait_for()
            page.screenshot(path=f"/tmp/screens-{width}-dashboard.png")
