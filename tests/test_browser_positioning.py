"""The « ? » dialog in Chromium (issue 13): the proposed level and its evidence, preselected but never
saved without a choice; a learner positioned in one pass from the keyboard; « Précédente » / « Suivante »;
a choice the server refuses is said and undone; a bilan started from the last one or from the propositions.
Screenshots: /tmp/positioning-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from livret import bilans, evidence
from livret.db import connect, transaction
from livret.french import rounded_text
from livret.proposition import usual_objective
from livret.render.positioning_dialog import choice_label, short_text

from .conftest import user_by_email
from .test_browser_bilans import DDFPT, TEACHER, first_learner, open_page, stored

pytestmark = pytest.mark.browser

TEACHER_EMAIL, DDFPT_EMAIL = "marc.lefebvre@lycee-demo.fr", "claire.dubreuil@lycee-demo.fr"


@pytest.fixture
def school(private_server):
    """The private server's database, with no draft for the first learner of the class."""
    db = connect(private_server.db_path)
    learner_id, name = first_learner(private_server.db_path)
    with transaction(db):
        db.execute("DELETE FROM bilans WHERE learner_id = ? AND status = 'draft'", [learner_id])
    yield {"db": db, "learner": learner_id, "name": name, "teacher": user_by_email(db, TEACHER_EMAIL)}
    db.close()


def codes(db) -> dict[str, int]:
    return dict(db.execute("SELECT code, id FROM competencies WHERE diploma = 'BACPRO-MELEC'"))


def draft(db, learner_id) -> dict[str, tuple]:
    return {code: (level, objective, proposed) for code, level, objective, proposed in db.execute(
        "SELECT c.code, p.level, p.objective, p.proposed_level FROM positionings p JOIN bilans b ON b.id = p.bilan_id "
        "JOIN competencies c ON c.id = p.competency_id WHERE b.learner_id = ? AND b.status = 'draft'", [learner_id])}


def ask(page, code):
    return page.locator(f"#lv-{code} button.lv-ask")


def latest_objectives(db, teacher, learner_id) -> dict:
    latest = bilans.latest_validated_bilan(db, teacher, learner_id)
    return {c: (p.level, p.objective) for c, p in bilans.bilan_positionings(db, teacher, latest.id).items()}


def test_the_dialog_proposes_a_level_shows_its_evidence_and_saves_nothing_by_itself(private_server, page, school):
    db, learner_id, teacher = school["db"], school["learner"], school["teacher"]
    ids = codes(db)
    proposed = evidence.learner_propositions(db, teacher, learner_id)
    code = next(c for c in sorted(ids, key=ids.get) if proposed[ids[c]].level is not None)
    found = proposed[ids[code]]
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    ask(page, code).click()

    dialog = page.get_by_role("dialog", name="Niveaux d'acquisition de la compétence")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text(f"Proposition : {short_text(found.short)} ({found.label.split('(', 1)[1]}")).to_be_visible()
    expect(dialog.get_by_text("Méthode : Moyenne décroissante")).to_be_visible()
    row = dialog.locator(f".lv-choices tr[data-level='{found.level}']")
    expect(row.get_by_text("proposition", exact=True)).to_be_visible()
    objective = usual_objective(latest_objectives(db, teacher, learner_id), ids[code])
    expect(dialog.get_by_role("button", name=choice_label(found.level, objective), exact=True)).to_be_focused()
    # The evidence: every counted result, company ones drawn as capsules, the newer ones after the line.
    cells = dialog.locator(".lv-evidence [role='img']")
    expect(cells).to_have_count(found.count)
    results = [r for c in found.criteria for r in c.results]
    expect(dialog.locator(".lv-evidence .lv-company")).to_have_count(sum(r.is_company for r in results))
    expect(dialog.locator(".lv-evidence td.lv-score").first).to_have_text(rounded_text(found.criteria[0].score))
    expect(dialog.locator(".lv-evidence tfoot")).to_contain_text(f"{rounded_text(found.score)} → {short_text(found.short)}")
    company = next((r for r in results if r.is_company), None)
    if company is not None:
        expect(dialog.locator(".lv-evidence .lv-company").first).to_have_attribute("title", re.compile("^Entreprise — "))
    page.screenshot(path="/tmp/positioning-dialog.png")

    page.keyboard.press("Escape")  # the proposition was only where the focus started
    expect(dialog).to_be_hidden()
    expect(ask(page, code)).to_be_focused()
    assert draft(db, learner_id) == {}


def test_a_learner_is_positioned_in_one_pass_from_the_keyboard(private_server, page, school):
    db, learner_id, teacher = school["db"], school["learner"], school["teacher"]
    ids = codes(db)
    proposed = evidence.learner_propositions(db, teacher, learner_id)
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    dialog = page.get_by_role("dialog", name="Niveaux d'acquisition de la compétence")
    ask(page, "C1").focus()
    for code in ("C1", "C2", "C3"):
        expect(ask(page, code)).to_be_focused()  # after each choice, the next « ? » has the focus
        page.keyboard.press("Enter")
        expect(dialog).to_contain_text(f"{code} - ")
        # From wherever the focus starts, go to « − · terminal » with the arrows: up to the top, then down.
        for key in ("ArrowUp",) * 4 + ("ArrowRight",) + ("ArrowDown",) * 2:
            page.keyboard.press(key)
        expect(dialog.get_by_role("button", name=f"{short_text('-')} · terminal", exact=True)).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        expect(ask(page, code)).to_have_text("-")
        expect(ask(page, code)).not_to_have_class(re.compile("lv-saving"))
    assert draft(db, learner_id) == {code: (2, "terminal", proposed[ids[code]].level) for code in ("C1", "C2", "C3")}

    # « Suivante » and « Précédente » move through the competencies without closing the dialog.
    ask(page, "C5").click()
    expect(dialog).to_contain_text("C5 - ")
    dialog.get_by_role("button", name="Suivante →").click()
    expect(dialog).to_contain_text("C6 - ")
    dialog.get_by_role("button", name="← Précédente").click()
    expect(dialog).to_contain_text("C5 - ")
    ask(page, "C1").evaluate("b => b.scrollIntoView()")
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()
    ask(page, "C1").click()
    expect(dialog.get_by_role("button", name="← Précédente")).to_be_disabled()
    expect(dialog.get_by_text("Positionnement actuel : compétence en cours d'acquisition, non stabilisée "
                              "(objectifs terminaux)")).to_be_visible()
    expect(dialog.get_by_role("button", name=f"{short_text('-')} · terminal", exact=True)).to_have_attribute(
        "aria-pressed", "true")
    dialog.get_by_role("button", name="NE", exact=True).click()
    expect(ask(page, "C1")).to_have_text("NE")
    expect(ask(page, "C1")).not_to_have_class(re.compile("lv-saving"))
    assert draft(db, learner_id)["C1"][:2] == (None, None)


def test_a_choice_the_server_refuses_is_said_and_undone(private_server, page, school):
    db, learner_id = school["db"], school["learner"]
    ddfpt = user_by_email(db, DDFPT_EMAIL)
    latest = bilans.latest_validated_bilan(db, ddfpt, learner_id)
    bilans.unlock_bilan(db, ddfpt, latest.id)
    open_page(page, private_server, DDFPT, "tableau-de-bord")
    before = ask(page, "C2").text_content()
    ask(page, "C2").click()
    dialog = page.get_by_role("dialog", name="Niveaux d'acquisition de la compétence")
    expect(dialog.get_by_text("déverrouillé : ce choix le modifie")).to_be_visible()
    bilans.reconfirm_bilan(db, ddfpt, latest.id, "CONFIRMATION")  # locked again from another session
    stored_before = bilans.bilan_positionings(db, ddfpt, latest.id)
    target = "++ · terminal" if before != "++" else "NE"
    dialog.get_by_role("button", name=target, exact=True).click()
    expect(page.get_by_text("Positionnement non enregistré : Ce bilan est verrouillé")).to_be_visible()
    expect(ask(page, "C2")).to_have_text("?")  # the stored state: the bilan is locked, the draft has nothing
    expect(page.get_by_text("est déverrouillé : les positionnements au bout des lignes bleues")).to_have_count(0)
    assert bilans.bilan_positionings(db, ddfpt, latest.id) == stored_before
    assert draft(db, learner_id) == {}


def test_a_bilan_starts_from_the_last_one_or_from_the_propositions(private_server, page, school):
    db, learner_id, teacher = school["db"], school["learner"], school["teacher"]
    ids = codes(db)
    earlier = latest_objectives(db, teacher, learner_id)
    proposed = evidence.learner_propositions(db, teacher, learner_id)
    open_page(page, private_server, TEACHER, "tableau-de-bord")
    ask(page, "C1").click()
    page.get_by_role("dialog").get_by_role("button", name="NE", exact=True).click()
    expect(ask(page, "C1")).to_have_text("NE")
    expect(ask(page, "C1")).not_to_have_class(re.compile("lv-saving"))

    page.get_by_role("button", name="Pré-remplir").click()
    page.get_by_role("button", name="Reprendre les positionnements du dernier bilan").click()
    filled = [c for c in ids if c != "C1" and earlier[ids[c]][0] is not None]
    expect(page.get_by_text(f"{len(filled)} compétence(s) positionnée(s) : ")).to_be_visible()
    rows = draft(db, learner_id)
    assert rows["C1"][:2] == (None, None)  # what was chosen stays
    assert {c: rows[c][:2] for c in filled} == {c: earlier[ids[c]] for c in filled}
    expect(ask(page, filled[0])).not_to_have_text("?")
    page.screenshot(path="/tmp/positioning-prefilled.png")

    left = [c for c in ids if c not in rows]
    page.get_by_role("button", name="BI", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Bilan de {school['name']}")
    if left:
        dialog.get_by_role("button", name="Appliquer les propositions").click()
        with_proposition = [c for c in left if proposed[ids[c]].level is not None]
        expect(dialog.get_by_text(re.compile(r"compétence\(s\) positionnée\(s\)|Aucune compétence n'a été"))).to_be_visible()
        rows = draft(db, learner_id)
        assert {c: rows[c][0] for c in with_proposition} == {c: proposed[ids[c]].level for c in with_proposition}
    assert stored(private_server.db_path, "SELECT count(*) FROM bilans WHERE learner_id = ? AND status = 'draft'",
                  [learner_id]) == [(1,)]  # still a draft: nothing confirmed
