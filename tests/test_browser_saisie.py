"""Page « Saisie » in Chromium: create an evaluation, enter results in the aggrid grid with the keyboard,
reload and find them (grid, database, dashboard); fill a column; mark a learner absent; confirm the
edit of an evaluation already taken into account by a validated bilan.

Screenshots go to /tmp/saisie-*.png."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from livret import evaluations
from livret.db import connect
from livret.permissions import load_user

from .conftest import close_lists, sign_in, wait_for_app

pytestmark = pytest.mark.browser

ACCOUNT = "Enseignant — LEFEBVRE Marc"  # 2MELEC and 1MELEC; the page opens on 1MELEC
CLASS = "1MELEC"


def teacher_db(server):
    db = connect(server.db_path)
    user = load_user(db, db.execute("SELECT id FROM users WHERE name = 'LEFEBVRE Marc'").fetchone()[0])
    class_id = db.execute("SELECT id FROM classes WHERE name = ?", [CLASS]).fetchone()[0]
    return db, user, class_id


def grid(page):
    # While a rerun replaces the grid (after « Remplir la colonne »), the old frame lingers as stale.
    return page.frame_locator('[data-stale="false"] iframe[title^="st_aggrid"]')


def cell(page, row: int, criterion_id: int):
    return grid(page).locator(f'.ag-center-cols-container [row-index="{row}"] [col-id="c{criterion_id}"]')


def open_evaluation(page, server, db, user, class_id, evaluation_id):
    """Open the page on one evaluation through its URL (the selection is bound to the query string)."""
    listed = evaluations.class_evaluations(db, user, class_id)
    row = listed[listed["id"] == evaluation_id].iloc[0]
    label = f"{row.code} · {row.eval_date[8:10]}/{row.eval_date[5:7]}/{row.eval_date[:4]} · {row.title}"
    page.goto(f"{server.url}/saisie?classe={CLASS}&saisie_evaluation={quote(label)}")
    wait_for_app(page)
    expect(page.get_by_role("heading", name=row.title)).to_be_visible()
    expect(grid(page).locator(".ag-cell").first).to_be_visible()


def test_create_then_enter_results_with_the_keyboard(private_server, page):
    db, user, class_id = teacher_db(private_server)
    sign_in(page, private_server.url, ACCOUNT, path="saisie")
    page.get_by_label("Titre de l'évaluation").fill("Raccordement d'un tableau")
    page.get_by_label("Titre de l'évaluation").press("Enter")
    wait_for_app(page)
    page.get_by_role("radio", name="B — Niveau Bac Pro").check(force=True)
    wait_for_app(page)
    page.get_by_label("Compétences évaluées").click()
    page.get_by_role("option", name="C4 - ").click()
    close_lists(page)
    wait_for_app(page)
    expect(page.get_by_label("Critères de C4")).to_be_visible()
    page.get_by_role("button", name="Créer l'évaluation").click()
    wait_for_app(page)
    expect(page.get_by_text("Évaluation créée")).to_be_visible()

    evaluation = int(evaluations.class_evaluations(db, user, class_id).iloc[0]["id"])
    criteria = list(evaluations.evaluation_detail(db, user, evaluation).criteria["id"])
    first, second = criteria[:2]
    learners = evaluations.evaluation_learners(db, user, evaluation)
    created_at = db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [evaluation]).fetchone()[0]
    db.execute("UPDATE evaluations SET modified_at = '2026-01-05 08:00:00' WHERE id = ?", [evaluation])

    # Type the whole code, Enter goes down to the next learner; the list opens with its colours.
    cell(page, 0, first).click()
    page.keyboard.type("r")
    expect(grid(page).get_by_role("option", selected=True)).to_have_count(0)  # « R » is no code (yet)
    page.keyboard.type("t")
    expect(grid(page).get_by_role("option", name="RT Réussite totale en autonomie")).to_have_attribute(
        "aria-selected", "true")
    page.screenshot(path="/tmp/saisie-editeur.png")
    page.keyboard.press("Enter")
    page.keyboard.type("na")
    page.keyboard.press("Enter")
    page.keyboard.type("pr")
    page.keyboard.press("Enter")
    # Arrows: up to the first learner, right to the next criterion; F2 opens the list, arrows choose.
    for key in ("ArrowUp", "ArrowUp", "ArrowUp", "ArrowRight", "F2", "ArrowDown", "ArrowDown", "Enter"):
        page.keyboard.press(key)
    wait_for_app(page)
    expect(page.get_by_text("Enregistré à")).to_be_visible()
    expect(cell(page, 0, second)).to_have_text("PR")
    page.screenshot(path="/tmp/saisie-grille.png")

    stored = evaluations.evaluation_results(db, user, evaluation)
    ids = [int(i) for i in learners["id"]]
    assert stored == {(ids[0], first): "RT", (ids[1], first): "NA", (ids[2], first): "PR", (ids[0], second): "PR"}
    modified = db.execute("SELECT modified_at FROM evaluations WHERE id = ?", [evaluation]).fetchone()[0]
    assert modified >= created_at > "2026-01-05 08:00:00"

    page.reload()
    wait_for_app(page)
    expect(cell(page, 0, first)).to_have_text("RT")
    expect(cell(page, 0, first)).to_have_class(re.compile(r"\blv-rt\b"))
    expect(cell(page, 1, first)).to_have_text("NA")
    expect(cell(page, 2, first)).to_have_text("PR")
    expect(cell(page, 3, first)).to_have_text("")

    # The dashboard shows the result, in the newest column.
    name = learners.iloc[0]["full_name"]
    page.goto(f"{private_server.url}/tableau-de-bord?classe={CLASS}&apprenant={quote(name)}")
    wait_for_app(page)
    result = page.locator('.lv-cell[title$="— Raccordement d\'un tableau"]')  # the evaluation's title ends it
    expect(result.first).to_have_attribute("data-level", "RT")
    expect(result.first).to_have_attribute("data-complexity", "B")


def test_fill_a_column_and_mark_a_learner_absent(private_server, page):
    db, user, class_id = teacher_db(private_server)
    criteria = [r[0] for r in db.execute(
        "SELECT cr.id FROM criteria cr JOIN competencies c ON c.id = cr.competency_id WHERE c.code = 'C5' "
        "ORDER BY cr.position LIMIT 2")]
    evaluation = evaluations.create_evaluation(db, user, class_id, title="Mesures d'isolement", eval_date="2026-11-20",
                                         complexity="Int", criterion_ids=criteria)
    learners = evaluations.evaluation_learners(db, user, evaluation)
    sign_in(page, private_server.url, ACCOUNT, path="saisie")
    open_evaluation(page, private_server, db, user, class_id, evaluation)

    page.get_by_label("Critère", exact=True).click()
    page.get_by_role("option", name=f"C5.{2}").click()
    page.get_by_label("Code", exact=True).click()
    page.get_by_role("option", name="RA — Réussite totale avec aide").click()
    page.get_by_role("button", name="Remplir la colonne").click()
    wait_for_app(page)
    expect(page.get_by_text(f"Colonne remplie : {len(learners)} résultat(s)")).to_be_visible()
    expect(cell(page, len(learners) - 1, criteria[1])).to_have_text("RA")

    absent = learners.iloc[1]["full_name"]
    page.get_by_label("Apprenant", exact=True).click()
    page.get_by_role("option", name=absent, exact=True).click()
    page.get_by_role("button", name="Marquer absent").click()
    wait_for_app(page)
    # The column filled above gave this learner a result: replacing it is asked first.
    expect(page.get_by_text("Cet apprenant a déjà 1 résultat saisi dans cette évaluation")).to_be_visible()
    page.get_by_role("button", name="Remplacer par AB").click()
    wait_for_app(page)
    expect(page.get_by_text("Absence enregistrée (2 critère(s) en AB).")).to_be_visible()
    expect(cell(page, 1, criteria[0])).to_have_text("AB")
    expect(cell(page, 1, criteria[1])).to_have_text("AB")
    page.screenshot(path="/tmp/saisie-remplir.png")

    stored = evaluations.evaluation_results(db, user, evaluation)
    absent_id = int(learners.iloc[1]["id"])
    assert {code for (learner, _), code in stored.items() if learner == absent_id} == {"AB"}
    assert sum(1 for (learner, c), code in stored.items() if c == criteria[1] and code == "RA") == len(learners) - 1


def test_evaluation_in_a_validated_bilan_needs_confirmation(private_server, page):
    db, user, class_id = teacher_db(private_server)
    evaluation = db.execute(
        "SELECT e.id FROM evaluations e WHERE e.class_id = ? AND e.context = 'school' AND e.modified_at < '2025-12-01' "
        "AND EXISTS (SELECT 1 FROM results r WHERE r.evaluation_id = e.id) ORDER BY e.modified_at DESC LIMIT 1",
        [class_id]).fetchone()[0]
    criterion = int(evaluations.evaluation_detail(db, user, evaluation).criteria.iloc[0]["id"])
    first_learner = int(evaluations.evaluation_learners(db, user, evaluation).iloc[0]["id"])
    before = evaluations.evaluation_results(db, user, evaluation).get((first_learner, criterion))
    new_code = "NV" if before != "NV" else "RT"
    sign_in(page, private_server.url, ACCOUNT, path="saisie")
    open_evaluation(page, private_server, db, user, class_id, evaluation)
    expect(page.get_by_text("déjà prise en compte dans le bilan validé le 27/03/2026")).to_be_visible()

    # Read-only until confirmed: typing a code opens no editor.
    cell(page, 0, criterion).click()
    page.keyboard.type(new_code.lower())
    expect(grid(page).locator(".lv-editor")).to_have_count(0)
    close_lists(page)
    assert evaluations.evaluation_results(db, user, evaluation).get((first_learner, criterion)) == before

    page.get_by_text(evaluations.LOCK_CONFIRM_LABEL).click()
    # wait_for_app may return before the rerun that makes the grid editable has begun: wait for what it shows
    expect(page.get_by_role("button", name="Marquer absent")).to_be_enabled()
    wait_for_app(page)
    cell(page, 0, criterion).click()
    page.keyboard.type(new_code.lower())
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(page.get_by_text("Enregistré à")).to_be_visible()
    page.screenshot(path="/tmp/saisie-verrou.png")
    assert evaluations.evaluation_results(db, user, evaluation)[(first_learner, criterion)] == new_code
    audit = evaluations.evaluation_audit(db, user, evaluation)
    assert list(audit["action"]) == ["evaluation.results"] and audit.iloc[0]["user_name"] == "LEFEBVRE Marc"
    page.get_by_text("Journal des modifications (1)").click()
    journal = page.get_by_test_id("stTable")
    expect(journal).to_contain_text("Résultats modifiés")
    expect(journal).to_contain_text(f"{before or '—'} → {new_code}")
    expect(journal).to_contain_text("LEFEBVRE Marc")
    journal.screenshot(path="/tmp/saisie-journal.png")
