"""Bilans in Chromium (SPEC B1–B4): positioning from the dashboard, confirmation, unlock and edit by the
DDFPT, the learner's own view, the print layout and the downloaded document.

Screenshots: /tmp/bilans-positioning-dialog.png, /tmp/bilans-dialog.png, /tmp/bilans-radar.png,
/tmp/bilans-page.png, /tmp/bilans-print.png."""

import re
from datetime import date
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from livret.db import connect

from .conftest import open_options, sign_in, wait_for_app

pytestmark = pytest.mark.browser

TEACHER = "Enseignant — LEFEBVRE Marc"  # 2MELEC and 1MELEC
DDFPT = "DDFPT — DUBREUIL Claire"
CLASS = "1MELEC"
TODAY = date.today().strftime("%d/%m/%Y")


def first_learner(db_path):
    """The learner every page opens on for CLASS: (id, « NOM Prénom »)."""
    db = connect(db_path)
    row = db.execute(
        "SELECT l.id, l.last_name || ' ' || l.first_name FROM learners l JOIN classes c ON c.id = l.class_id "
        "WHERE c.name = ? ORDER BY l.last_name COLLATE NOCASE, l.first_name COLLATE NOCASE, l.id LIMIT 1", [CLASS],
    ).fetchone()
    db.close()
    return row


def stored(db_path, sql, params=()):
    db = connect(db_path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def open_page(page, server, account, path):
    # The very first request a fresh server answers is not routed by app.py: warm it on the sign-in page.
    page.goto(server.url)
    wait_for_app(page)
    learner_name = first_learner(server.db_path)[1]
    query = f"?classe={CLASS}&apprenant={quote(learner_name)}" if not account.startswith("Apprenant") else ""
    sign_in(page, server.url, account, path=f"{path}{query}")


def c1_button(page):
    return page.locator("#lv-C1 .lv-blue").get_by_role("button")


def test_position_c1_on_the_dashboard_survives_a_reload(private_server, page):
    learner_id, _ = first_learner(private_server.db_path)
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    expect(c1_button(page)).to_have_text("?")
    c1_button(page).click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Niveaux d'acquisition de la compétence")).to_be_visible()
    expect(dialog.get_by_text("Compétence non évaluée")).to_be_visible()
    expect(dialog.get_by_role("button", name="NE", exact=True)).to_be_visible()
    expect(dialog.get_by_role("button", name="Fermer")).to_be_visible()
    dialog.screenshot(path="/tmp/bilans-positioning-dialog.png")
    dialog.get_by_role("button", name="+ · terminal", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(c1_button(page)).to_have_text("+")
    expect(c1_button(page)).not_to_have_class(re.compile("lv-saving"))  # saved, no longer being saved
    assert stored(private_server.db_path,
                  "SELECT p.level, p.objective FROM positionings p JOIN bilans b ON b.id = p.bilan_id "
                  "JOIN competencies c ON c.id = p.competency_id WHERE b.learner_id = ? AND b.status = 'draft' "
                  "AND c.code = 'C1'", [learner_id]) == [(3, "terminal")]
    page.reload()
    wait_for_app(page)
    expect(c1_button(page)).to_have_text("+")


def test_question_mark_opens_the_dialog_from_the_keyboard(private_server, page):
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    ask = page.get_by_role("button", name="Positionner C2 dans le bilan en cours")
    ask.focus()
    page.keyboard.press("Enter")
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Niveaux d'acquisition de la compétence")).to_be_visible()
    expect(dialog.get_by_text("C2 - Organiser l'opération dans son contexte")).to_be_visible()
    dialog.get_by_role("button", name="Fermer").click()
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_bilan_dialog_refuses_the_wrong_word_then_creates_the_bilan(private_server, page):
    learner_id, name = first_learner(private_server.db_path)
    count = "SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'validated'"
    before = stored(private_server.db_path, count, [learner_id])[0][0]
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    page.get_by_role("button", name="BI", exact=True).click()
    wait_for_app(page)
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=f"Bilan de {name}")).to_be_visible()
    expect(dialog.get_by_role("columnheader", name=f"{TODAY} (à valider)")).to_be_visible()
    radar = dialog.get_by_role("img", name="Diagramme radar des deux derniers bilans, une branche par compétence")
    expect(radar).to_be_visible()  # inline SVG: no chart library to load
    expect(radar.locator("polygon")).not_to_have_count(0)  # one closed line per bilan drawn
    dialog.get_by_label("Conseils").fill("Relire les schémas avant chaque séance.")
    dialog.get_by_role("button", name="Fermer").click()  # leaves without creating; what was typed is kept
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before
    page.get_by_role("button", name="BI", exact=True).click()
    wait_for_app(page)
    expect(dialog.get_by_label("Conseils")).to_have_value("Relire les schémas avant chaque séance.")
    dialog.get_by_role("button", name="Confirmer le bilan").click()
    wait_for_app(page)
    page.set_viewport_size({"width": 1280, "height": 2600})  # the whole dialog in one picture
    dialog.screenshot(path="/tmp/bilans-dialog.png")
    dialog.locator("svg.radar").screenshot(path="/tmp/bilans-radar.png")
    word = dialog.get_by_label("Pour créer le bilan, saisissez CONFIRMATION en lettres majuscules")
    word.fill("confirmation")
    dialog.get_by_role("button", name="Créer le bilan").click()
    wait_for_app(page)
    expect(dialog.get_by_text("Bilan non confirmé : saisissez exactement CONFIRMATION")).to_be_visible()
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before
    word.fill("CONFIRMATION")
    dialog.get_by_role("button", name="Créer le bilan").click()
    expect(page.get_by_text(f"Bilan de {name} validé le {TODAY}")).to_be_visible()  # said after the rerun
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(c1_button(page)).to_have_text("?")  # the draft became the bilan
    assert stored(private_server.db_path, count, [learner_id])[0][0] == before + 1
    page.get_by_role("button", name="BI", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("dialog").get_by_role("columnheader", name=TODAY, exact=True)).to_be_visible()


def test_teacher_sees_no_unlock_and_the_ddfpt_unlocks_edits_and_reconfirms(private_server, page):
    learner_id, _ = first_learner(private_server.db_path)
    open_page(page, private_server, TEACHER, "bilans")
    expect(page.get_by_role("heading", name="Constats")).to_be_visible()
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()
    expect(page.get_by_role("button", name="Déverrouiller le bilan")).to_have_count(0)
    page.get_by_role("button", name="Se déconnecter").click()
    wait_for_app(page)

    open_page(page, private_server, DDFPT, "bilans")
    page.get_by_role("button", name="Déverrouiller le bilan").click()
    wait_for_app(page)
    expect(page.get_by_text("Bilan déverrouillé")).to_be_visible()
    form = page.get_by_test_id("stForm").filter(has_text="Conseils")
    form.get_by_label("Conseils").fill("Conseil revu par la DDFPT.")
    form.get_by_label("Pour confirmer le bilan, saisissez CONFIRMATION").fill("CONFIRMATION")
    form.get_by_role("button", name="Confirmer le bilan").click()
    wait_for_app(page)
    expect(page.get_by_text("Bilan confirmé : il est de nouveau verrouillé.")).to_be_visible()
    expect(page.get_by_test_id("stForm").filter(has_text="Conseils")).to_have_count(0)
    expect(page.get_by_text("Conseil revu par la DDFPT.").first).to_be_visible()
    audit = page.get_by_role("table").filter(has_text="Action")
    for action in ("Déverrouillage", "Modification", "Nouvelle confirmation (verrouillage)"):
        expect(audit.get_by_role("cell", name=action, exact=True)).to_be_visible()
    page.screenshot(path="/tmp/bilans-page.png", full_page=True)
    status, conseils = stored(private_server.db_path, "SELECT status, conseils FROM bilans WHERE learner_id = ? "
                              "AND status <> 'draft' ORDER BY validated_at DESC LIMIT 1", [learner_id])[0]
    assert (status, conseils) == ("validated", "Conseil revu par la DDFPT.")


def unlocked_positioning(db_path, learner_id, code):
    return stored(db_path, "SELECT p.level, p.objective FROM positionings p JOIN bilans b ON b.id = p.bilan_id "
                  "JOIN competencies c ON c.id = p.competency_id WHERE b.learner_id = ? AND b.status = 'unlocked' "
                  "AND c.code = ?", [learner_id, code])


def test_an_unlocked_bilan_is_positioned_with_the_dialog_on_the_bilans_page_and_the_dashboard(private_server, page):
    learner_id, _ = first_learner(private_server.db_path)
    draft_before = stored(private_server.db_path, "SELECT p.competency_id, p.level, p.objective FROM positionings p "
                          "JOIN bilans b ON b.id = p.bilan_id WHERE b.learner_id = ? AND b.status = 'draft' "
                          "ORDER BY 1", [learner_id])
    open_page(page, private_server, DDFPT, "bilans")
    page.get_by_role("button", name="Déverrouiller le bilan").click()
    wait_for_app(page)
    expect(page.get_by_role("combobox", name="C2 - Organiser l'opération dans son contexte")).to_have_count(0)
    page.get_by_role("button", name="C2 : ", exact=False).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Niveaux d'acquisition de la compétence")).to_be_visible()
    expect(dialog.get_by_text("déverrouillé : ce choix le modifie")).to_be_visible()
    dialog.get_by_role("button", name="++ · terminal", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="C2 : ++", exact=True)).to_be_visible()
    assert unlocked_positioning(private_server.db_path, learner_id, "C2") == [(4, "terminal")]

    page.get_by_role("link", name="Tableau de bord").click()
    wait_for_app(page)
    expect(page.get_by_text("est déverrouillé : les positionnements au bout des lignes bleues")).to_be_visible()
    c3 = page.locator("#lv-C3 .lv-blue").get_by_role("button")
    expect(c3).to_have_attribute("title", re.compile(r"Positionner C3 dans le bilan déverrouillé du \d\d/\d\d/\d{4}"))
    expect(page.locator("#lv-C2 .lv-blue").get_by_role("button")).to_have_text("++")
    c3.click()
    page.get_by_role("dialog").get_by_role("button", name="+ · intermédiaire", exact=True).click()
    wait_for_app(page)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(c3).to_have_text("+")
    expect(c3).not_to_have_class(re.compile("lv-saving"))
    assert unlocked_positioning(private_server.db_path, learner_id, "C3") == [(3, "intermediate")]
    assert stored(private_server.db_path, "SELECT p.competency_id, p.level, p.objective FROM positionings p "
                  "JOIN bilans b ON b.id = p.bilan_id WHERE b.learner_id = ? AND b.status = 'draft' "
                  "ORDER BY 1", [learner_id]) == draft_before  # the draft was not touched
    page.screenshot(path="/tmp/bilans-unlocked-dashboard.png")

    page.get_by_role("link", name="Bilans de compétences").click()
    wait_for_app(page)
    form = page.get_by_test_id("stForm").filter(has_text="Conseils")
    form.get_by_label("Pour confirmer le bilan, saisissez CONFIRMATION").fill("CONFIRMATION")
    form.get_by_role("button", name="Confirmer le bilan").click()
    wait_for_app(page)
    expect(page.get_by_text("Bilan confirmé : il est de nouveau verrouillé.")).to_be_visible()


def test_learner_sees_only_their_bilans_prints_and_downloads(private_server, page, tmp_path):
    learner_id, name = first_learner(private_server.db_path)
    validated = stored(private_server.db_path, "SELECT count(*) FROM bilans WHERE learner_id = ? "
                       "AND status = 'validated'", [learner_id])[0][0]
    open_page(page, private_server, f"Apprenant — {name} ({CLASS})", "")
    expect(page.get_by_role("heading", name="Bilans de compétences")).to_be_visible()
    for other in ("Tableau de bord", "Accueil", "Notation"):  # the only page: no menu at all
        expect(page.get_by_role("link", name=other)).to_have_count(0)
    expect(page.get_by_role("combobox", name="Classe")).to_have_count(0)
    expect(page.get_by_role("button", name="Déverrouiller le bilan")).to_have_count(0)
    expect(page.get_by_role("heading", name="Historique des modifications")).to_have_count(0)
    open_options(page, page.get_by_role("combobox", name=f"Bilans de {name}"))
    expect(page.get_by_role("option")).to_have_count(validated)
    page.keyboard.press("Escape")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le bilan (HTML)").click()
    path = tmp_path / "bilan.html"
    download_info.value.save_as(path)
    document = path.read_text(encoding="utf-8")
    assert name in document and "Positionnements" in document and "Signature du représentant légal" in document
    assert 'data-objective="terminal"><b>+</b></span>' in document  # the C1 positioning chosen on the dashboard
    assert "Conseil revu par la DDFPT." in document

    page.evaluate("() => { window.print = () => { window.printed = (window.printed || 0) + 1; }; }")
    page.get_by_role("button", name="Imprimer").click()
    wait_for_app(page)
    page.wait_for_function("() => window.printed === 1")  # the browser's print dialog was asked for
    page.emulate_media(media="print")
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()
    expect(page.get_by_role("button", name="Imprimer")).to_be_hidden()
    expect(page.get_by_role("heading", name="Diagramme radar")).to_be_visible()
    page.screenshot(path="/tmp/bilans-print.png", full_page=True)
