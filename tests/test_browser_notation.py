"""Page « Notation » in headless Chromium: weights typed at the keyboard, the grade at 100 %, the
model weighting, duplication, saving and the CSV read back (SPEC N1–N7)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from livret import grade_arithmetic as arithmetic
from livret import grading
from livret.db import connect

from .conftest import sign_in, user_by_email, wait_for_app

pytestmark = pytest.mark.browser

TEACHER = "Enseignant — LEFEBVRE Marc"
WEIGHT_COLUMN = 5  # Unité, Compétence, Positionnement, Objectifs, Valeur, Pondération
HEADER_HEIGHT, ROW_HEIGHT = 35, 35


@pytest.fixture(scope="module")
def school(private_server):
    """The private server's database, with C13 not evaluated in the second 1MELEC learner's bilan."""
    db = connect(private_server.db_path)
    teacher = user_by_email(db, "marc.lefebvre@lycee-demo.fr")
    class_id = db.execute("SELECT id FROM classes WHERE name = '1MELEC'").fetchone()[0]
    learners = [r[0] for r in db.execute(
        "SELECT id FROM learners WHERE class_id = ? ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id",
        [class_id])]
    bilan = grading.latest_validated_bilan(db, teacher, learners[1])
    db.execute("UPDATE positionings SET level = NULL, objective = NULL WHERE bilan_id = ? AND competency_id = "
               "(SELECT id FROM competencies WHERE code = 'C13')", [bilan.id])
    yield {"db": db, "teacher": teacher, "class_id": class_id, "learners": learners, "url": private_server.url}
    db.close()


def open_notation(page, school) -> None:
    sign_in(page, school["url"], TEACHER)
    page.get_by_test_id("stSidebar").get_by_role("link", name="Notation").click()
    wait_for_app(page)
    page.get_by_role("button", name="Noter le dernier bilan des apprenants").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=re.compile("Reste à répartir"))).to_be_visible()
    weight_cell(page, 0).wait_for(state="attached")


def type_weight(page, row: int, text: str) -> None:
    """Select the row's weight cell with the keyboard, as a teacher does, and type the weight."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    first_cell = grid_cell(page, 0, row)
    for _ in range(5):  # the canvas ignores clicks until the grid has laid itself out
        page.mouse.click(box["x"] + 20, box["y"] + HEADER_HEIGHT + ROW_HEIGHT * row + ROW_HEIGHT / 2)
        try:
            expect(first_cell).to_have_attribute("aria-selected", "true", timeout=1_000)
            break
        except AssertionError:
            continue
    for _ in range(WEIGHT_COLUMN):
        page.keyboard.press("ArrowRight")
    expect(weight_cell(page, row)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    editor = page.locator("input.gdg-input")
    expect(editor).to_be_visible()
    editor.fill(text)
    page.keyboard.press("Enter")
    expect(editor).to_have_count(0)
    wait_for_app(page)


def remainder(page, percent: int):
    return page.get_by_role("heading", name=f"Reste à répartir : {percent} %")


def grid_cell(page, column: int, row: int):
    """A cell of the weights grid (the page's first table) as its accessible twin reads it."""
    return page.get_by_test_id("stDataFrame").first.get_by_test_id(f"glide-cell-{column}-{row}")


def weight_cell(page, row: int):
    return grid_cell(page, WEIGHT_COLUMN, row)


def test_typed_weights_show_what_remains_and_the_grade_at_100(page, school):
    db, teacher = school["db"], school["teacher"]
    open_notation(page, school)
    bilan = grading.latest_validated_bilan(db, teacher, school["learners"][0])
    expect(remainder(page, 100)).to_be_visible()
    type_weight(page, 0, "40")
    expect(remainder(page, 60)).to_be_visible()
    type_weight(page, 1, "30")
    expect(remainder(page, 30)).to_be_visible()
    expect(page.get_by_test_id("stMetric")).to_have_count(0)
    type_weight(page, 2, "30")
    expect(remainder(page, 0)).to_be_visible()
    weights = {bilan.lines[0].id: 40, bilan.lines[1].id: 30, bilan.lines[2].id: 30}
    grade = arithmetic.format_grade(arithmetic.exact_grade(bilan, weights), "0.1")
    expect(page.get_by_test_id("stMetric")).to_contain_text(f"{grade} / 20")
    expect(page.get_by_text(arithmetic.developed_formula(bilan, weights, "0.1"))).to_be_visible()
    page.screenshot(path="/tmp/notation-typed.png")

    # Refused: above 100, negative, not whole. The grid goes back to the last accepted weighting.
    for text, message in (("5", "Le total des pondérations ne peut pas dépasser 100 % (total saisi : 105 %)"),
                          ("-5", "La pondération de C4 ne peut pas être négative"),
                          ("2,5", "La pondération de C4 doit être un nombre entier de pour cent (2,5 % saisi)")):
        type_weight(page, 3, text)
        expect(page.get_by_text(f"Saisie refusée : {message}", exact=False)).to_be_visible()
        wait_for_app(page)  # the refused grid is replaced once the run ends
        expect(page.get_by_test_id("stDataFrame")).to_have_count(1)
        expect(weight_cell(page, 3)).to_have_text("0")
        expect(remainder(page, 0)).to_be_visible()

    # A learner whose bilan leaves C13 not evaluated: a weight there is refused.
    page.get_by_role("button", name="Suivant →").click()
    wait_for_app(page)
    other = grading.latest_validated_bilan(db, teacher, school["learners"][1])
    expect(page.get_by_role("heading", name=f"Notation du bilan du 27/03/2026 — {other.full_name}")).to_be_visible()
    expect(grid_cell(page, 2, 12)).to_have_text("NE")
    type_weight(page, 12, "10")
    expect(page.get_by_text("C13 n'est pas évaluée dans ce bilan (NE)", exact=False)).to_be_visible()
    expect(remainder(page, 100)).to_be_visible()
    # Back to the first learner: the weighting typed there is still in progress, not lost.
    page.get_by_role("button", name="← Précédent").click()
    wait_for_app(page)
    expect(page.get_by_role("heading", name=f"Notation du bilan du 27/03/2026 — {bilan.full_name}")).to_be_visible()
    expect(remainder(page, 0)).to_be_visible()
    expect(weight_cell(page, 0)).to_have_text("40")
    assert db.execute("SELECT count(*) FROM grades").fetchone()[0] == 0


def test_model_weighting_duplicated_to_two_learners_saved_and_exported(page, school):
    db, teacher = school["db"], school["teacher"]
    open_notation(page, school)
    bilan = grading.latest_validated_bilan(db, teacher, school["learners"][0])
    page.get_by_role("button", name="Pondération modèle").click()
    wait_for_app(page)
    model = arithmetic.model_weighting(bilan.lines)
    expect(remainder(page, 0)).to_be_visible()
    for row, line in enumerate(bilan.lines):
        expect(weight_cell(page, row)).to_have_text(str(model[line.id]))
    grade = arithmetic.format_grade(arithmetic.exact_grade(bilan, model), "0.1")
    expect(page.get_by_test_id("stMetric")).to_contain_text(f"{grade} / 20")

    page.get_by_role("button", name="Dupliquer la pondération").click()
    wait_for_app(page)
    others = grading.same_profile_bilans(db, teacher, bilan)
    assert school["learners"][1] not in {o.learner_id for o in others}  # C13 is NE there
    chosen = others[:2]
    for other in chosen:
        label = f"{other.full_name} — {arithmetic.format_grade(arithmetic.exact_grade(other, model), '0.1')} / 20"
        page.get_by_text(label, exact=True).click()
        wait_for_app(page)
    expect(page.get_by_role("checkbox", checked=True)).to_have_count(2)
    page.screenshot(path="/tmp/notation-duplicate.png", full_page=True)
    page.get_by_role("button", name="Enregistrer les notes (3 apprenants)").click()
    wait_for_app(page)
    expect(page.get_by_text("3 notes enregistrées")).to_be_visible()

    stored = db.execute("SELECT b.learner_id, g.grade, g.weights, g.author_id FROM grades g "
                        "JOIN bilans b ON b.id = g.bilan_id ORDER BY g.id").fetchall()
    assert [r[0] for r in stored] == [bilan.learner_id] + [o.learner_id for o in chosen]
    assert {r[3] for r in stored} == {teacher.id}
    assert stored[0][1] == float(grade.replace(",", "."))

    with page.expect_download() as info:
        page.get_by_role("button", name="Exporter CSV").click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:6] == ["Classe", "Nom", "Prénom", "Date du bilan", "Note sur 20", "Pondération"]
    assert rows[0][6] == "Poids C1 (%)" and rows[0][-2:] == ["Noté par", "Noté le"]
    by_name = {(r[1], r[2]): r for r in rows[1:]}
    assert len(by_name) == 3
    for learner in [bilan] + chosen:
        row = by_name[(learner.last_name, learner.first_name)]
        expected = arithmetic.format_grade(arithmetic.exact_grade(learner, model), "0.1")
        assert row[0] == "1MELEC" and row[3] == "27/03/2026" and row[4] == expected
        assert row[5] == arithmetic.weights_text(learner, model)


def test_a_typed_weight_is_back_after_a_reload(page, school):
    db, teacher = school["db"], school["teacher"]
    open_notation(page, school)
    page.get_by_role("button", name="← Précédent").click()  # wraps to the class's last learner
    wait_for_app(page)
    bilan = grading.latest_validated_bilan(db, teacher, school["learners"][-1])
    heading = page.get_by_role("heading", name=f"Notation du bilan du 27/03/2026 — {bilan.full_name}")
    expect(heading).to_be_visible()
    expect(remainder(page, 100)).to_be_visible()
    type_weight(page, 0, "25")
    expect(remainder(page, 75)).to_be_visible()

    page.reload()
    wait_for_app(page)
    page.get_by_role("button", name="Noter le dernier bilan des apprenants").click()
    wait_for_app(page)
    expect(heading).to_be_visible()  # the learner is in the URL, the weighting in the database
    expect(remainder(page, 75)).to_be_visible()
    expect(weight_cell(page, 0)).to_have_text("25")
    expect(page.get_by_text(re.compile(r"Pondération en cours retrouvée \(non enregistrée, modifiée le "
                                       r"\d\d/\d\d/\d{4} à \d\d:\d\d\)"))).to_be_visible()
    page.screenshot(path="/tmp/notation-recovered.png")
    assert db.execute("SELECT count(*) FROM grades WHERE bilan_id = ?", [bilan.id]).fetchone()[0] == 0


COLUMN_WIDTHS = (50, 220, 105, 95, 55, 120)  # as views/notation.py sets them


@pytest.mark.parametrize("pause_ms", [0, 200])
def test_a_weight_typed_right_after_clicking_its_cell_keeps_every_digit(page, school, pause_ms):
    """The grid opens its editor on the first key, a moment later: the keys typed meanwhile used to
    start it again, so « 35 » became « 5 » (and Enter, typed before the editor was there, kept nothing)."""
    db, teacher = school["db"], school["teacher"]
    open_notation(page, school)
    learner = next(i for i, learner_id in enumerate(school["learners"][:-1]) if i > 1 and not db.execute(
        "SELECT (SELECT count(*) FROM grades g WHERE g.bilan_id = b.id) + (SELECT count(*) FROM grading_drafts d "
        "WHERE d.bilan_id = b.id) FROM bilans b WHERE b.id = ?",
        [grading.latest_validated_bilan(db, teacher, learner_id).id]).fetchone()[0])  # weights still to type
    for step in range(1, learner + 1):
        # Each step waits for its learner: two clicks that reach the server before its rerun starts
        # are one rerun for Streamlit (its pending requests are merged), so one step would be lost.
        page.get_by_role("button", name="Suivant →").click()
        wait_for_app(page)
        bilan = grading.latest_validated_bilan(db, teacher, school["learners"][step])
        expect(page.get_by_role("heading", name=f"Notation du bilan du 27/03/2026 — {bilan.full_name}")).to_be_visible()
    expect(remainder(page, 100)).to_be_visible()
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    first_cell = grid_cell(page, 0, 1)
    for _ in range(5):  # the canvas ignores clicks until the grid has laid itself out
        page.mouse.click(box["x"] + 20, box["y"] + HEADER_HEIGHT + ROW_HEIGHT * 1.5)
        try:
            expect(first_cell).to_have_attribute("aria-selected", "true", timeout=1_000)
            break
        except AssertionError:
            continue

    # Click the weight and type at once, at keyboard speed, then Enter.
    x = box["x"] + sum(COLUMN_WIDTHS[:WEIGHT_COLUMN]) + COLUMN_WIDTHS[WEIGHT_COLUMN] / 2
    page.mouse.click(x, box["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
    if pause_ms:
        page.wait_for_timeout(pause_ms)  # a teacher's pause between the click and the keys, not a wait for the app
    page.keyboard.type("35")
    page.keyboard.press("Enter")
    wait_for_app(page)
    expect(remainder(page, 65)).to_be_visible()
    expect(weight_cell(page, 0)).to_have_text("35")
    page.screenshot(path=f"/tmp/notation-typed-at-once-{pause_ms}.png")
    assert grading.draft_weights(db, teacher, bilan).weights[bilan.lines[0].id] == 35
