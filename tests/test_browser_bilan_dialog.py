"""The BI dialog (issue 11): Constats and Conseils are kept as they are typed (Échap in the field, a pause
in the typing then a closed tab or a crash lose nothing); a bilan without any positioned competency
cannot be confirmed; the confirmation step lists the competencies left « ? » by code and title and a
success says so after the rerun. Screenshots: /tmp/bilan-texts.png, /tmp/bilan-confirmation-list.png."""

import time

import pytest
from playwright.sync_api import expect

from livret.tools.serving import wait_for_app

from .test_browser_bilans import TEACHER, TODAY, c1_button, first_learner, open_page, stored

pytestmark = pytest.mark.browser


def draft_texts(db_path, learner_id):
    rows = stored(db_path, "SELECT constats, conseils FROM bilans WHERE learner_id = ? AND status = 'draft'",
                  [learner_id])
    return rows[0] if rows else None


def wait_for_draft(db_path, learner_id, expected, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if draft_texts(db_path, learner_id) == expected:
            return
        time.sleep(0.2)
    assert draft_texts(db_path, learner_id) == expected


def open_bilan_dialog(page):
    page.get_by_role("button", name="BI", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Constats")).to_be_visible()
    return dialog


def test_constats_typed_then_escape_are_kept(private_server, page):
    learner_id, _ = first_learner(private_server.db_path)
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    dialog = open_bilan_dialog(page)
    constats = dialog.get_by_label("Constats")
    constats.click()
    page.keyboard.type("Observé en atelier : soigneux")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    wait_for_draft(private_server.db_path, learner_id, ("Observé en atelier : soigneux", ""))
    dialog = open_bilan_dialog(page)
    expect(dialog.get_by_label("Constats")).to_have_value("Observé en atelier : soigneux")
    dialog.screenshot(path="/tmp/bilan-texts.png")


def test_a_pause_in_typing_saves_the_draft_before_any_blur(private_server, page):
    learner_id, _ = first_learner(private_server.db_path)
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    dialog = open_bilan_dialog(page)
    dialog.get_by_label("Conseils").click()
    page.keyboard.type("Relire les schémas")
    # still focused, no Ctrl+Entrée: a closed tab or a crash now would find the text in the database
    wait_for_draft(private_server.db_path, learner_id, ("Observé en atelier : soigneux", "Relire les schémas"))
    page.keyboard.type(" avant chaque séance")
    expect(dialog.get_by_label("Conseils")).to_be_focused()
    wait_for_draft(private_server.db_path, learner_id,
                   ("Observé en atelier : soigneux", "Relire les schémas avant chaque séance"))
    expect(dialog.get_by_label("Conseils")).to_have_value("Relire les schémas avant chaque séance")
    page.reload()  # the tab is gone: a new page shows what was typed
    open_bilan_dialog(page)
    expect(page.get_by_role("dialog").get_by_label("Conseils")).to_have_value("Relire les schémas avant chaque séance")


def test_nothing_positioned_is_refused_then_the_unpositioned_are_listed(private_server, page):
    learner_id, name = first_learner(private_server.db_path)
    count = "SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated'"
    before = stored(private_server.db_path, count, [learner_id])[0][0]
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    dialog = open_bilan_dialog(page)
    dialog.get_by_role("button", name="Confirmer le bilan").click()
    wait_for_app(page)
    expect(dialog.get_by_text("Aucune compétence n'est positionnée : choisissez un niveau d'acquisition")
           ).to_be_visible()
    expect(dialog.get_by_role("button", name="Créer le bilan")).to_have_count(0)
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before
    dialog.get_by_role("button", name="Fermer").click()
    wait_for_app(page)
    c1_button(page).click()
    page.get_by_role("dialog").get_by_role("button", name="++ · terminal", exact=True).click()
    wait_for_app(page)
    expect(c1_button(page)).to_have_text("++")
    dialog = open_bilan_dialog(page)
    dialog.get_by_role("button", name="Confirmer le bilan").click()
    form = dialog.get_by_role("form", name="Confirmation du bilan")
    expect(form.get_by_text("Compétences non positionnées, enregistrées « NE » (12)")).to_be_visible()
    expect(form.get_by_text("C2 - Organiser l'opération dans son contexte")).to_be_visible()
    expect(form.get_by_text("C13 - ", exact=False)).to_be_visible()
    expect(form.get_by_text("C1 - ", exact=False)).to_have_count(0)
    form.screenshot(path="/tmp/bilan-confirmation-list.png")
    form.get_by_label("Pour créer le bilan, saisissez CONFIRMATION en lettres majuscules").fill("CONFIRMATION")
    form.get_by_role("button", name="Créer le bilan").click()
    expect(page.get_by_text(f"Bilan de {name} validé le {TODAY}")).to_be_visible()
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before + 1
    assert stored(private_server.db_path, "SELECT constats, conseils FROM bilans WHERE learner_id = ? "
                  "ORDER BY id DESC LIMIT 1", [learner_id])[0] == (
        "Observé en atelier : soigneux", "Relire les schémas avant chaque séance")
