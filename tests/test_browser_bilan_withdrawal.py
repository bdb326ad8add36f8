"""« Retirer » in Chromium (issue 11): the DDFPT withdraws a bilan validated by mistake from the Bilans
page with a required reason; it leaves the learner's view and the dashboard's blue line.
Screenshot: /tmp/bilan-withdrawal.png."""

import pytest
from playwright.sync_api import expect

from livret.tools.serving import open_options, wait_for_app

from .test_browser_bilans import CLASS, DDFPT, first_learner, open_page, stored

pytestmark = pytest.mark.browser


def latest_bilan(db_path, learner_id):
    return stored(db_path, "SELECT id, withdrawal_reason FROM bilans WHERE learner_id = ? AND status = 'validated' "
                  "ORDER BY validated_at DESC LIMIT 1", [learner_id])[0]


def test_the_ddfpt_withdraws_a_bilan_with_a_reason_and_it_disappears(private_server, page):
    learner_id, name = first_learner(private_server.db_path)
    bilan_id, _ = latest_bilan(private_server.db_path, learner_id)
    open_page(page, private_server, DDFPT, "tableau-de-bord")
    past = page.locator("#lv-C1 .lv-past [role='listitem']")
    expect(past).to_have_count(2)

    page.get_by_role("link", name="Bilans de compétences").click()
    wait_for_app(page)
    open_options(page, page.get_by_role("combobox", name=f"Bilans de {name}"))
    expect(page.get_by_role("option")).to_have_count(2)
    page.keyboard.press("Escape")
    withdraw = page.get_by_test_id("stPopoverButton").filter(has_text="Retirer").first
    withdraw.click()
    form = page.get_by_test_id("stForm").filter(has_text="Raison du retrait")
    form.get_by_role("button", name="Retirer le bilan").click()
    wait_for_app(page)
    expect(page.get_by_text("Indiquez la raison du retrait du bilan")).to_be_visible()
    assert latest_bilan(private_server.db_path, learner_id) == (bilan_id, None)
    if withdraw.get_attribute("aria-expanded") != "true":
        withdraw.click()
    form.get_by_label("Raison du retrait").fill("Bilan saisi pour le mauvais apprenant")
    form.get_by_role("button", name="Retirer le bilan").click()
    wait_for_app(page)
    expect(page.get_by_text("retiré : il n'apparaît plus nulle part")).to_be_visible()
    page.get_by_text("Bilans retirés (1)").click()
    expect(page.get_by_role("cell", name="Bilan saisi pour le mauvais apprenant")).to_be_visible()
    page.screenshot(path="/tmp/bilan-withdrawal.png", full_page=True)
    assert stored(private_server.db_path, "SELECT withdrawal_reason FROM bilans WHERE id = ?", [bilan_id]) == [
        ("Bilan saisi pour le mauvais apprenant",)]
    open_options(page, page.get_by_role("combobox", name=f"Bilans de {name}"))
    expect(page.get_by_role("option")).to_have_count(1)
    page.keyboard.press("Escape")

    page.get_by_role("link", name="Tableau de bord").click()
    wait_for_app(page)
    expect(past).to_have_count(1)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)
    open_page(page, private_server, f"Apprenant — {name} ({CLASS})", "")
    open_options(page, page.get_by_role("combobox", name=f"Bilans de {name}"))
    expect(page.get_by_role("option")).to_have_count(1)
