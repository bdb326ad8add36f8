"""Page « Saisie » in Chromium: codes typed in a quick burst right after opening an evaluation are all
stored (none replaced by a rerun in flight), and what is not exactly a code is refused visibly.

Screenshots go to /tmp/saisie-*.png."""

import time

import pytest
from playwright.sync_api import expect

from livret import evaluations

from .test_browser_saisie import ACCOUNT, cell, grid, open_evaluation, sign_in, teacher_db, wait_for_app

pytestmark = pytest.mark.browser

CODES = ("RA", "NA", "RT", "PR", "AB", "NV")


def new_evaluation(db, user, class_id, title: str, criteria: int = 1) -> tuple[int, list[int]]:
    ids = [r[0] for r in db.execute(
        "SELECT cr.id FROM criteria cr JOIN competencies c ON c.id = cr.competency_id WHERE c.code = 'C6' "
        "ORDER BY cr.position LIMIT ?", [criteria])]
    evaluation = evaluations.create_evaluation(db, user, class_id, title=title, eval_date="2026-11-23", complexity="D",
                                         criterion_ids=ids)
    return evaluation, ids


def stored_when_settled(db, user, evaluation, expected: dict, patience: float = 20.0) -> dict:
    """The stored results once they are the expected ones, or after patience seconds (the page's last
    save may still be on its way when the browser is idle)."""
    deadline = time.monotonic() + patience
    while True:
        stored = evaluations.evaluation_results(db, user, evaluation)
        if stored == expected or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)


@pytest.mark.parametrize("attempt", range(3))
def test_a_burst_of_codes_right_after_opening_is_all_stored(private_server, page, attempt):
    db, user, class_id = teacher_db(private_server)
    evaluation, (criterion,) = new_evaluation(db, user, class_id, f"Rafale de saisie {attempt}")
    learners = [int(i) for i in evaluations.evaluation_learners(db, user, evaluation)["id"]][:20]
    assert len(learners) == 20
    sign_in(page, private_server.url, ACCOUNT, path="saisie")
    open_evaluation(page, private_server, db, user, class_id, evaluation)

    # As a teacher reads a sheet of results: code, Enter (down to the next learner), about 0.25 s apart.
    cell(page, 0, criterion).click()
    typed = {}
    for n, learner in enumerate(learners):
        code = CODES[n % len(CODES)]
        page.keyboard.type(code.lower())
        page.keyboard.press("Enter")
        typed[(learner, criterion)] = code
        page.wait_for_timeout(250)
    wait_for_app(page)

    assert stored_when_settled(db, user, evaluation, typed) == typed
    wait_for_app(page)
    for row, learner in enumerate(learners):
        expect(cell(page, row, criterion)).to_have_text(typed[(learner, criterion)])
    expect(grid(page).locator(".lv-editor")).to_have_count(0)
    page.screenshot(path=f"/tmp/saisie-rafale-{attempt}.png")


def test_a_partial_or_unknown_code_is_refused_in_the_grid(private_server, page):
    db, user, class_id = teacher_db(private_server)
    evaluation, (criterion,) = new_evaluation(db, user, class_id, "Codes refusés")
    learner = int(evaluations.evaluation_learners(db, user, evaluation).iloc[0]["id"])
    evaluations.save_results(db, user, evaluation, {(learner, criterion): "PR"})
    modified = db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [evaluation]).fetchone()[0]
    sign_in(page, private_server.url, ACCOUNT, path="saisie")
    open_evaluation(page, private_server, db, user, class_id, evaluation)
    notice = grid(page).get_by_role("alert")

    for typed in ("R", "A", "RTX", "T", "XX"):
        cell(page, 0, criterion).click()
        page.keyboard.type(typed)
        page.keyboard.press("Enter")
        expect(notice).to_have_text(evaluations.unknown_code_message(typed))
        expect(grid(page).locator(".lv-editor")).to_have_count(0)
        expect(cell(page, 0, criterion)).to_have_text("PR")  # its value again, not a guess
        if typed == "R":
            page.screenshot(path="/tmp/saisie-code-refuse.png")
        assert evaluations.evaluation_results(db, user, evaluation) == {(learner, criterion): "PR"}
    wait_for_app(page)
    assert evaluations.evaluation_results(db, user, evaluation) == {(learner, criterion): "PR"}
    assert db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [evaluation]).fetchone()[0] == modified

    # A refusal leaves the selection on the same learner: the right code typed next goes there.
    page.keyboard.type("rt")
    page.keyboard.press("Enter")
    expect(notice).to_be_hidden()
    expect(cell(page, 0, criterion)).to_have_text("RT")
    assert stored_when_settled(db, user, evaluation, {(learner, criterion): "RT"}) == {(learner, criterion): "RT"}
