"""The BI dialog drawn in the browser (issue 13): it opens without a server run, shows a positioning chosen in
the « ? » dialog exactly as the server draws it, refuses a confirmation when another session changed the
draft since it was shown, and fetches the draft when the page's copy may be out of date (an unlocked bilan
being corrected). Screenshot: /tmp/bilan-sheet-redrawn.png."""

import pytest
from playwright.sync_api import expect

from livret import bilans
from livret.db import connect
from livret.ui.bilan_sheet import CHANGED_MESSAGE

from .conftest import user_by_email, wait_for_app
from .test_browser_bilans import TEACHER, TODAY, c1_button, first_learner, open_page, stored

pytestmark = pytest.mark.browser

WORD = "Pour créer le bilan, saisissez CONFIRMATION en lettres majuscules"
# Counts the script runs the page starts from now on (Streamlit marks its app « running » during each).
COUNT_RUNS = """() => { window.lvRuns = 0; const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.lvRuns += 1; })
    .observe(app, { attributes: true, attributeFilter: ['data-test-script-state'] }); }"""


def drawn_draft(dialog):
    """What the dialog shows of the draft: C1's badges, the draft's radar line and C1's point, the caption."""
    return {
        "badges": dialog.locator('[data-draft="C1"]').evaluate_all("cells => cells.map(c => c.innerHTML)"),
        "line": dialog.locator('svg.radar polygon[data-series="0"]').get_attribute("points"),
        "point": dialog.locator('svg.radar [data-series="0"][data-code="C1"]').evaluate("e => e.outerHTML"),
        "caption": dialog.locator(".lv-bi-caption").inner_text(),
    }


def position_c1(page, choice):
    """C1 positioned with the « ? » dialog, until the server's answer is drawn; then the page's runs counted."""
    c1_button(page).click()
    page.get_by_role("dialog").get_by_role("button", name=choice, exact=True).click()
    expect(c1_button(page)).to_have_text(choice.split(" · ")[0])
    expect(c1_button(page)).not_to_have_class("lv-ask lv-saving")
    wait_for_app(page)
    page.evaluate(COUNT_RUNS)


def test_bi_opens_without_a_run_and_shows_a_new_positioning_as_the_server_draws_it(private_server, page):
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    position_c1(page, "++ · terminal")
    page.get_by_role("button", name="BI", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("columnheader", name=f"{TODAY} (à valider)")).to_be_visible()
    redrawn = drawn_draft(dialog)
    assert page.evaluate("window.lvRuns") == 0  # drawn from what the page already had
    assert "<b>++</b>" in redrawn["badges"][0] and len(redrawn["badges"]) == 2  # the table and the unit view
    assert redrawn["caption"] == "12 compétence(s) sans positionnement : elles seront enregistrées « NE »."
    dialog.screenshot(path="/tmp/bilan-sheet-redrawn.png")
    dialog.get_by_role("button", name="Fermer").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="BI", exact=True)).to_be_focused()

    page.reload()  # the server draws the same draft from the database
    wait_for_app(page)
    page.get_by_role("button", name="BI", exact=True).click()
    expect(page.get_by_role("dialog").get_by_role("columnheader", name=f"{TODAY} (à valider)")).to_be_visible()
    assert drawn_draft(page.get_by_role("dialog")) == redrawn
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_a_draft_changed_by_another_session_is_not_confirmed_unseen(private_server, page):
    learner_id, name = first_learner(private_server.db_path)
    count = "SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated'"
    before = stored(private_server.db_path, count, [learner_id])[0][0]
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    page.get_by_role("button", name="BI", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Confirmer le bilan").click()
    form = dialog.get_by_role("form", name="Confirmation du bilan")
    expect(form.get_by_text("C2 - Organiser l'opération dans son contexte")).to_be_visible()

    db = connect(private_server.db_path)  # meanwhile, another session positions C2
    c2 = db.execute("SELECT id FROM competencies WHERE code = 'C2'").fetchone()[0]
    bilans.save_draft_positioning(db, user_by_email(db, "marc.lefebvre@lycee-demo.fr"), learner_id, c2,
                                  bilans.Positioning(2, "intermediate"))
    db.close()
    form.get_by_label(WORD).fill("CONFIRMATION")
    form.get_by_role("button", name="Créer le bilan").click()
    expect(dialog.get_by_text(CHANGED_MESSAGE)).to_be_visible()
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before
    # The page drew the draft again: C2 is no longer among the competencies stored « NE ».
    expect(form.get_by_text("C2 - Organiser l'opération dans son contexte")).to_have_count(0)
    expect(form.get_by_text("Compétences non positionnées, enregistrées « NE » (11)")).to_be_visible()
    form.get_by_role("button", name="Créer le bilan").click()
    expect(page.get_by_text(f"Bilan de {name} validé le {TODAY}")).to_be_visible()
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before + 1


def test_while_an_unlocked_bilan_is_corrected_bi_fetches_the_draft_it_cannot_redraw(private_server, page):
    from .test_browser_bilans import DDFPT

    learner_id, _ = first_learner(private_server.db_path)
    db = connect(private_server.db_path)
    ddfpt = user_by_email(db, "claire.dubreuil@lycee-demo.fr")
    latest = bilans.latest_validated_bilan(db, ddfpt, learner_id)
    bilans.unlock_bilan(db, ddfpt, latest.id)
    db.close()
    open_page(page, private_server, DDFPT, "tableau-de-bord")
    position_c1(page, "+ · terminal")  # edits the unlocked bilan, not the draft shown by « BI »
    page.get_by_role("button", name="BI", exact=True).click()
    dialog = page.locator("dialog.lv-bilan[open]")
    expect(dialog).not_to_have_attribute("aria-busy", "true")  # once the server has answered
    expect(dialog.get_by_role("columnheader", name=f"{TODAY} (à valider)")).to_be_visible()
    assert page.evaluate("window.lvRuns") >= 1  # asked for, not redrawn from the page's copy
    expect(dialog.get_by_role("button", name="Confirmer le bilan")).to_be_enabled()
    page.keyboard.press("Escape")
