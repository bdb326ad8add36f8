"""The grid renderer (SPEC D4–D7, Q3, Q5): a pure function from DataFrames to HTML, tested without a browser.

The markup is well-formed, so it is read back with ElementTree to assert on cells, columns and lines."""

import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from livret.codes import RESULT_LEVELS
from livret.render import grid

C1_TITLE = "Analyser les conditions de l'opération et son contexte"


def referentiel(criterion_text: str = "Les risques professionnels sont évalués") -> pd.DataFrame:
    rows = [
        ("U2", 1, "C1", C1_TITLE, 11, 1, "Les informations nécessaires sont recueillies"),
        ("U2", 1, "C1", C1_TITLE, 12, 2, criterion_text),
        ("U2", 1, "C1", C1_TITLE, 13, 3, "Critère jamais évalué"),
        ("U31", 2, "C2", "Organiser l'opération dans son contexte", 21, 1, "Le poste de travail est organisé"),
    ]
    columns = ["unit", "competency_id", "competency", "competency_title", "criterion_id", "criterion_position",
               "criterion_text"]
    return pd.DataFrame(rows, columns=columns).astype({"criterion_id": "Int64", "criterion_position": "Int64"})


def result(evaluation, criterion, code, modified, *, competency=1, complexity="D", context="school",
           title=None, day="2025-10-01"):
    return {"evaluation_id": evaluation, "title": title or f"Évaluation {evaluation}", "eval_date": day,
            "modified_at": modified, "context": context, "complexity": complexity if context == "school" else None,
            "criterion_id": criterion, "competency_id": competency, "result": code}


def results(*rows) -> pd.DataFrame:
    columns = ["evaluation_id", "title", "eval_date", "modified_at", "context", "complexity", "criterion_id",
               "competency_id", "result"]
    return pd.DataFrame(list(rows), columns=columns)


def bilans(*rows) -> pd.DataFrame:
    """rows: (bilan id, validated_at, competency id or None, level or None, objective or None)."""
    frame = pd.DataFrame([(b, at, "validated", c, lv, ob) for b, at, c, lv, ob in rows],
                         columns=["bilan_id", "validated_at", "status", "competency_id", "level", "objective"])
    return frame.astype({"competency_id": "Int64", "level": "Int64"})


# Three school evaluations and a company bilan; evaluation 3 was created first but modified last,
# and evaluation 2 assessed criterion 11 only.
SAMPLE = results(
    result(3, 11, "RT", "2025-11-20 10:00:00", complexity="B", title="Câblage n°3"),
    result(3, 12, "PR", "2025-11-20 10:00:00", complexity="B", title="Câblage n°3"),
    result(1, 11, "NA", "2025-09-10 09:00:00", complexity="D"),
    result(1, 12, "RA", "2025-09-10 09:00:00", complexity="D"),
    result(2, 11, "AB", "2025-10-05 09:00:00", complexity="Int"),
    result(4, 11, "RA", "2025-11-01 12:00:00", context="company", title="Bilan entreprise PFMP 1"),
    result(5, 21, "NV", "2025-09-12 09:00:00", competency=2, complexity="Int"),
)
ONE_BILAN = bilans((7, "2025-10-05 09:00:00", 1, 3, "intermediate"), (7, "2025-10-05 09:00:00", 2, None, None))


def tree(html: str) -> ET.Element:
    return ET.fromstring(f"<root>{html}</root>")


def block(root: ET.Element, code: str) -> ET.Element:
    return root.find(f".//section[@data-competency='{code}']")


def row_cells(row: ET.Element) -> list[str]:
    """One entry per data column of a chronological row: the result code, '' for empty, '|' for the line."""
    out = []
    for td in row.findall("td"):
        if "lv-line" in td.get("class", ""):
            out.append("|")
        else:
            cell = td.find("span")
            out.append(cell.get("data-level") if cell is not None else "")
    return out


DEFAULT = grid.GridOptions()


def render(options=DEFAULT, frame=SAMPLE, bilan_frame=ONE_BILAN, ref=None, drafts=None) -> ET.Element:
    return tree(grid.render_grid(ref if ref is not None else referentiel(), frame, bilan_frame, options, drafts))


def test_chronological_has_one_column_per_evaluation_in_order_of_last_modification():
    c1 = block(render(), "C1")
    heads = [th.text for th in c1.findall(".//thead/tr/th") if "lv-h" in th.get("class", "")]
    assert heads == ["D", "Int", "E", "B"]  # evaluations 1, 2, 4 (company), 3
    header_classes = [th.get("class") for th in c1.findall(".//thead/tr/th") if "lv-h" in th.get("class", "")]
    assert "lv-h-E" in header_classes[2]
    rows = c1.findall(".//tbody/tr")
    assert [r.find("th").text for r in rows] == [
        "Les informations nécessaires sont recueillies", "Les risques professionnels sont évalués",
        "Critère jamais évalué"]
    assert row_cells(rows[0]) == ["NA", "AB", "|", "RA", "RT"]


def test_chronological_cell_carries_level_context_complexity_tooltip_and_code_inside():
    c1 = block(render(), "C1")
    cells = c1.findall(".//span[@data-complexity]")
    company = next(c for c in cells if c.get("data-context") == "company")
    assert company.get("data-complexity") == "E" and company.get("data-level") == "RA"
    assert "lv-company" in company.get("class") and "lv-ra" in company.get("class")
    assert company.get("role") == "img"
    assert company.get("title") == ("C1, critère 1 : RA, Réussite totale avec aide, évaluation E du 01/10/2025, "
                                    "entreprise — Bilan entreprise PFMP 1")  # what a screen reader reads out
    assert company.text == "RA"
    school = next(c for c in cells if c.get("data-complexity") == "B" and c.get("data-level") == "RT")
    assert "lv-school" in school.get("class") and school.get("data-context") == "school"
    assert school.get("title") == ("C1, critère 1 : RT, Réussite totale en autonomie, évaluation B du 01/10/2025, "
                                   "établissement — Câblage n°3")
    company_column = [td for td in c1.findall(".//tbody/tr/td") if "lv-e" in td.get("class", "")]
    assert len(company_column) == 3  # the E column is tinted pink on every row


def test_evaluation_without_result_on_a_criterion_leaves_an_empty_cell_in_chronological_mode():
    rows = block(render(), "C1").findall(".//tbody/tr")
    assert row_cells(rows[1]) == ["RA", "", "|", "", "PR"]  # evaluations 2 and 4 did not assess criterion 12


def test_criterion_never_assessed_is_a_row_of_empty_cells():
    rows = block(render(), "C1").findall(".//tbody/tr")
    assert row_cells(rows[2]) == ["", "", "|", "", ""]


def test_condensed_juxtaposes_results_with_the_complexity_code_and_no_empty_cell():
    c1 = block(render(grid.GridOptions(condensed=True)), "C1")
    assert c1.find(".//thead") is None
    rows = c1.findall(".//tbody/tr")

    def run(row):
        return ["|" if "lv-line" in s.get("class") else s.text for s in row.find("td/div")]

    assert run(rows[0]) == ["D", "Int", "|", "E", "B"]
    assert run(rows[1]) == ["D", "|", "B"]  # no cell for evaluations 2 and 4
    assert run(rows[2]) == ["|"]  # never assessed: no cell at all, the line stays
    levels = [s.get("data-level") for s in rows[0].find("td/div") if s.get("data-level")]
    assert levels == ["NA", "AB", "RA", "RT"]


@pytest.mark.parametrize("validated_at, expected", [
    ("2025-09-01 00:00:00", ["|", "NA", "AB", "RA", "RT"]),  # every evaluation is newer than the bilan
    ("2025-10-05 09:00:00", ["NA", "AB", "|", "RA", "RT"]),  # modified exactly at validation: taken into account
    ("2025-10-05T08:59:59", ["NA", "|", "AB", "RA", "RT"]),  # ISO 8601 with a T is read the same way
    ("2026-01-01 00:00:00", ["NA", "AB", "RA", "RT", "|"]),
])
def test_black_line_separates_evaluations_of_the_latest_validated_bilan(validated_at, expected):
    frame = bilans((1, "2025-09-01 00:00:00", 1, 1, "intermediate"), (2, validated_at, 1, 2, "terminal"))
    c1 = block(render(bilan_frame=frame), "C1")
    first_row = c1.findall(".//tbody/tr")[0]
    assert row_cells(first_row) == expected
    header = c1.find(".//thead/tr")
    line_index = [th.get("class") for th in header.findall("th")].index("lv-line")
    assert line_index == expected.index("|") + 1  # the line runs through the header too


def test_no_validated_bilan_no_black_line():
    html = grid.render_grid(referentiel(), SAMPLE, bilans(), grid.GridOptions())
    assert "lv-line" not in html
    html = grid.render_grid(referentiel(), SAMPLE, bilans(), grid.GridOptions(condensed=True))
    assert "lv-line" not in html


def test_blue_line_shows_positionings_half_or_full_with_validation_date():
    frame = bilans((1, "2025-12-12 18:00:00", 1, 3, "intermediate"), (2, "2026-03-27 18:00:00", 1, 4, "terminal"),
                   (1, "2025-12-12 18:00:00", 2, None, None))
    root = render(grid.GridOptions(compact=True), bilan_frame=frame)
    items = block(root, "C1").findall(".//div[@class='lv-past']/span")
    assert [(i.text, i.get("data-level"), i.get("data-objective")) for i in items] == [
        ("+", "3", "intermediate"), ("++", "4", "terminal")]
    assert "lv-half" in items[0].get("class") and "lv-full" in items[1].get("class")
    assert items[0].get("title").startswith("Bilan validé le 12/12/2025")
    assert "Compétence partiellement acquise" in items[0].get("title")
    ne = block(root, "C2").find(".//div[@class='lv-past']/span")
    assert ne.text == "NE" and ne.get("data-level") == "NE"


def test_compact_shows_only_headers_and_blue_lines():
    root = render(grid.GridOptions(compact=True))
    assert root.find(".//table") is None and root.find(".//span[@data-complexity]") is None
    titles = [h.text for h in root.findall(".//h3")]
    assert titles == [f"C1 - {C1_TITLE}", "C2 - Organiser l'opération dans son contexte"]
    assert len(root.findall(".//div[@class='lv-blue']")) == 2


def test_without_titles_rows_show_the_criterion_number_with_its_text_as_tooltip():
    rows = block(render(grid.GridOptions(titles=False)), "C1").findall(".//tbody/tr")
    headers = [r.find("th") for r in rows]
    assert [h.text for h in headers] == ["1", "2", "3"]
    assert headers[0].get("title") == "Les informations nécessaires sont recueillies"
    condensed = block(render(grid.GridOptions(titles=False, condensed=True)), "C1")
    assert condensed.find(".//tbody/tr/th").text == "1"


def test_unit_filter_keeps_the_competencies_of_the_chosen_units():
    root = render(grid.GridOptions(units=("U31",)))
    assert [s.get("data-competency") for s in root.findall("section")] == ["C2"]
    blocks = grid.render_blocks(referentiel(), SAMPLE, ONE_BILAN, grid.GridOptions(units=("U2", "U31")))
    assert [(b.code, b.competency_id, b.label) for b in blocks] == [
        ("C1", 1, f"C1 - {C1_TITLE}"), ("C2", 2, "C2 - Organiser l'opération dans son contexte")]


def test_complexity_filter_keeps_only_the_chosen_columns():
    c1 = block(render(grid.GridOptions(complexities=("D", "E"))), "C1")
    heads = [th.text for th in c1.findall(".//thead/tr/th") if "lv-h" in th.get("class", "")]
    assert heads == ["D", "E"]
    assert {c.get("data-complexity") for c in c1.findall(".//span[@data-complexity]")} == {"D", "E"}
    c2 = block(render(grid.GridOptions(complexities=("D", "E"))), "C2")
    assert c2.find(".//p[@class='lv-none']").text == "Aucune évaluation de cette compétence avec ces filtres."


def test_empty_learner_shows_every_competency_and_its_criteria_without_cells():
    root = render(frame=results(), bilan_frame=bilans())
    assert [s.get("data-competency") for s in root.findall("section")] == ["C1", "C2"]
    assert root.find(".//span[@data-complexity]") is None and "lv-line" not in ET.tostring(root, encoding="unicode")
    assert len(block(root, "C1").findall(".//tbody/tr")) == 3
    assert block(root, "C1").find(".//p[@class='lv-none']").text == "Aucune évaluation de cette compétence."
    condensed = render(grid.GridOptions(condensed=True), frame=results(), bilan_frame=bilans())
    assert len(block(condensed, "C1").findall(".//tbody/tr")) == 3


def test_competency_without_criteria_is_still_shown():
    base = referentiel()
    extra = pd.DataFrame({"unit": ["U32"], "competency_id": [3], "competency": ["C8"],
                          "competency_title": ["Diagnostiquer"], "criterion_id": pd.array([pd.NA], dtype="Int64"),
                          "criterion_position": pd.array([pd.NA], dtype="Int64"),
                          "criterion_text": pd.Series([None], dtype=object)})
    ref = pd.concat([base, extra], ignore_index=True)
    c8 = block(render(ref=ref), "C8")
    assert c8.find("h3").text == "C8 - Diagnostiquer" and c8.findall(".//tbody/tr") == []


def test_every_text_is_escaped():
    hostile = "<script>alert('x')</script> & co"
    frame = results(result(1, 12, "RT", "2025-09-10 09:00:00", title=hostile))
    ref = referentiel(criterion_text=hostile)
    ref.loc[0, "competency_title"] = "<img src=x onerror=alert(1)>"
    for options in (grid.GridOptions(), grid.GridOptions(condensed=True), grid.GridOptions(titles=False)):
        html = grid.render_grid(ref, frame, bilans(), options)
        assert "<script" not in html and "<img" not in html
        assert "&lt;script&gt;" in html
        root = tree(html)  # still well-formed
        texts = [e.get("title") or "" for e in root.iter()] + [e.text or "" for e in root.iter()]
        assert any(hostile in t for t in texts)


def test_chronological_html_is_small_per_cell():
    many = results(*[result(e, 11 + (e % 3), "RA", f"2025-10-{1 + e % 28:02d} 10:00:00") for e in range(1, 200)])
    html = grid.render_grid(referentiel(), many, ONE_BILAN, grid.GridOptions())
    assert len(html.encode()) / 199 < 400  # bytes per result, tooltip included


def test_legend_explains_every_colour_and_shape():
    legend = grid.legend_html()
    for level in RESULT_LEVELS:
        assert level.label in legend
    for words in ("établissement", "entreprise", "Objectifs intermédiaires", "Objectifs terminaux", "trait noir"):
        assert words in legend
    tree(legend)


def test_stylesheet_has_a_colour_class_for_every_level_and_targets_the_streamlit_keys():
    css = grid.stylesheet_css()
    for level in RESULT_LEVELS:
        assert f".lv-cell.{level.css}{{background:{level.colour}" in css
    assert ".lv-ask" in css
    assert 'style="' not in grid.render_grid(referentiel(), SAMPLE, ONE_BILAN, grid.GridOptions())


def test_each_blue_line_ends_with_its_button_showing_the_draft_positioning():
    drafts = pd.DataFrame([(1, "C1", 4, "terminal"), (2, "C2", None, None)],
                          columns=["competency_id", "competency", "level", "objective"]).astype({"level": "Int64"})
    root = render(grid.GridOptions(compact=True), drafts=drafts)
    c1, c2 = (block(root, code).find(".//div[@class='lv-blue']/button") for code in ("C1", "C2"))
    assert (c1.text, c1.get("data-competency"), c1.get("type")) == ("++", "C1", "button")
    assert "lv-acq-4" in c1.get("class") and "lv-full" in c1.get("class")
    assert c1.get("aria-label") == "Positionner C1 dans le bilan en cours : compétence totalement acquise et transférable (objectifs terminaux)"
    assert c2.text == "NE" and "lv-ne" in c2.get("class")
    half = drafts.assign(level=pd.array([2, 2], dtype="Int64"), objective=["intermediate", "intermediate"])
    c1 = block(render(grid.GridOptions(), drafts=half), "C1").find(".//div[@class='lv-blue']/button")
    assert c1.text == "-" and "lv-half" in c1.get("class") and "lv-acq-2" in c1.get("class")
    plain = block(render(grid.GridOptions()), "C1").find(".//div[@class='lv-blue']/button")
    assert plain.text == "?" and plain.get("class") == "lv-ask"
    assert plain.get("aria-label") == "Positionner C1 dans le bilan en cours : pas encore positionnée"


def test_button_codes_are_escaped():
    assert 'data-competency="C&quot;1&lt;"' in grid.ask_button('C"1<')


def test_column_tooltip_gives_the_modification_date_when_it_differs_from_the_evaluation_date():
    """Issue 18: a column is placed by its last modification, so its tooltip says both dates."""
    frame = results(
        result(1, 11, "RT", "2026-03-02 10:00:00", title="Câblage <armoire>", day="2025-10-14"),
        result(2, 11, "PR", "2025-10-20 09:00:00", title="Mesures", day="2025-10-20"),
    )
    c1 = block(render(frame=frame, bilan_frame=bilans()), "C1")
    titles = [th.get("title") for th in c1.findall(".//thead/tr/th") if "lv-h" in th.get("class", "")]
    assert titles == ["Mesures — 20/10/2025",
                      "Câblage <armoire> — Évaluation du 14/10/2025, modifiée le 02/03/2026"]
    raw = grid.render_grid(referentiel(), frame, bilans(), DEFAULT)
    assert 'title="Câblage &lt;armoire&gt; — Évaluation du 14/10/2025, modifiée le 02/03/2026"' in raw


def test_while_a_bilan_is_unlocked_the_buttons_edit_it_and_it_is_not_drawn_twice():
    """Issue 11: the dashboard shows the unlocked bilan; its « ? »/badges edit that bilan."""
    unlocked = bilans((7, "2025-10-05 09:00:00", 1, 3, "intermediate"), (7, "2025-10-05 09:00:00", 2, None, None),
                      (8, "2025-11-10 09:00:00", 1, 2, "terminal"), (8, "2025-11-10 09:00:00", 2, None, None))
    editing = grid.Editing(8, "2025-11-10 09:00:00")
    drafts = pd.DataFrame([(1, "C1", 2, "terminal"), (2, "C2", None, None)],
                          columns=["competency_id", "competency", "level", "objective"]).astype({"level": "Int64"})
    c1 = block(tree(grid.render_grid(referentiel(), SAMPLE, unlocked, DEFAULT, drafts, editing=editing)), "C1")
    past = c1.findall(".//div[@class='lv-past']/span")
    assert [span.get("title").split(" — ")[0] for span in past] == ["Bilan validé le 05/10/2025"]
    ask = c1.find(".//button")
    assert "lv-editing" in ask.get("class") and ask.text == "-"
    assert ask.get("title") == "Positionner C1 dans le bilan déverrouillé du 10/11/2025"
    # the black line still follows the unlocked bilan, validated once
    assert row_cells(c1.findall(".//tbody/tr")[0]) == ["NA", "AB", "RA", "|", "RT"]
    plain = block(tree(grid.render_grid(referentiel(), SAMPLE, unlocked, DEFAULT, drafts)), "C1")
    assert len(plain.findall(".//div[@class='lv-past']/span")) == 2
    assert plain.find(".//button").get("title") == "Positionner C1 dans le bilan en cours"


def test_no_stylesheet_holds_a_tag_that_st_html_would_drop_it_for():
    # st.html's sanitizer (DOMPurify) removes a <style> whose text looks like markup: « <dialog> » in a
    # comment once cost the council page its whole stylesheet.
    from livret.render import bilan_document, council

    for css in (grid.stylesheet_css(), council.COUNCIL_CSS, bilan_document.BILAN_CSS):
        assert "<" not in css
