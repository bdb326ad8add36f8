"""The learner's grid as HTML (SPEC D4–D7): a pure function from DataFrames and display options.

One block per competency: its header « C1 - title », the blue line of earlier positionings, then the
criteria × evaluations grid (chronological: one column per evaluation; condensed: each criterion's
results side by side). The markup only uses the classes of static/grid.css (plus colour classes
generated here from livret.codes, so colours are defined once); every text is escaped.
Cells carry data-level, data-context and data-complexity (SPEC Q5)."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path

import pandas as pd

from livret.codes import (
    ACQUISITION_BY_LEVEL,
    ACQUISITION_LEVELS,
    COLUMN_CODES,
    COMPANY_CODE,
    CONTEXTS,
    CONTRAST_PATTERNS,
    CONTRAST_SCOPES,
    NOT_EVALUATED_LABEL,
    OBJECTIVES,
    RESULT_BY_CODE,
    RESULT_LEVELS,
    column_code,
    positioning_short,
)
from livret.french import date_text

STYLESHEET = Path(__file__).resolve().parent / "static" / "grid.css"


@dataclass(frozen=True)
class GridOptions:
    """What the teacher chose above the grid. Hashable: it is part of the render cache key."""

    condensed: bool = False  # condensé instead of chronologique
    titles: bool = True  # criterion titles shown (« sans titres » when False)
    compact: bool = False  # compact: only the blue lines of positionings
    units: tuple[str, ...] = ()  # () = every unit (« Tout afficher »)
    complexities: tuple[str, ...] = COLUMN_CODES  # column codes shown: D, Int, B, E
    result_codes: bool = False  # condensed cells show the result's code too (the printed livret reads in black and white)


@dataclass(frozen=True)
class Editing:
    """An unlocked bilan the blue lines' buttons edit instead of the draft (SPEC B3)."""

    bilan_id: int
    validated_at: str

    @property
    def date_label(self) -> str:
        return _french_date(self.validated_at)


@dataclass(frozen=True)
class Block:
    competency_id: int
    code: str
    label: str  # « C1 - Analyser les conditions de l'opération et son contexte »
    html: str


def _timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="ISO8601")


def _french_date(value) -> str:
    return date_text(str(value))


def latest_bilan_at(bilans: pd.DataFrame) -> pd.Timestamp | None:
    """Validation moment of the learner's latest validated bilan, or None when there is none."""
    dates = bilans["validated_at"].dropna()
    return _timestamps(dates).max() if len(dates) else None


def prepare_results(results: pd.DataFrame, bilans: pd.DataFrame, options: GridOptions,
                    criterion_labels: dict | None = None) -> pd.DataFrame:
    """The results kept by the complexity filter, in chronological order (last modification), each
    with its column code, whether a validated bilan already took it into account, and its tooltip —
    also its accessible name, read out by a screen reader: « C1, critère 2 : RA, Réussite totale avec
    aide, évaluation Int du 14/10/2025, établissement — title » (criterion_labels: « C1, critère 2 » by
    criterion id)."""
    frame = results.copy()
    frame["code"] = [column_code(c, x) for c, x in zip(frame["complexity"], frame["context"])]
    frame = frame[frame["code"].isin(options.complexities)]
    frame["moment"] = _timestamps(frame["modified_at"])
    frame = frame.sort_values(["moment", "evaluation_id"], kind="stable")
    latest = latest_bilan_at(bilans)
    frame["old"] = frame["moment"] <= latest if latest is not None else False
    labels = criterion_labels or {}
    frame["tip"] = [
        f"{labels.get(criterion, '')}{' : ' if criterion in labels else ''}{result}, {RESULT_BY_CODE[result].label}, "
        f"évaluation {code} du {_french_date(day)}, {CONTEXTS[context].lower()} — {title}"
        for criterion, title, day, result, context, code in zip(
            frame["criterion_id"], frame["title"], frame["eval_date"], frame["result"], frame["context"], frame["code"])
    ]
    return frame


def column_dates(eval_date, modified_at) -> str:
    """A column's dates: « 14/10/2025 », or « Évaluation du 14/10/2025, modifiée le 02/03/2026 » when the
    evaluation was changed on another day, since columns are placed by their last modification (D4)."""
    day, modified = _french_date(eval_date), _french_date(modified_at)
    return day if day == modified else f"Évaluation du {day}, modifiée le {modified}"


def _cell(row, content: str, detail: str = "") -> str:
    level = RESULT_BY_CODE[row.result]
    shape = "lv-company" if row.context == "company" else "lv-school"
    small = f"<small>{escape(detail)}</small>" if detail else ""
    return (f'<span class="lv-cell {level.css} {shape}" data-level="{level.code}" data-context="{escape(row.context)}"'
            f' data-complexity="{escape(row.code)}" role="img" title="{escape(row.tip)}">{escape(content)}{small}</span>')


def _positioning(row) -> str:
    when = f"Bilan validé le {_french_date(row.validated_at)}"
    if pd.isna(row.level):
        return (f'<span class="lv-pos lv-ne" role="listitem" data-level="NE" title="{escape(when)} — '
                f'{escape(NOT_EVALUATED_LABEL)}">NE</span>')
    level = ACQUISITION_BY_LEVEL[int(row.level)]
    objective = str(row.objective)
    fill = "lv-full" if objective == "terminal" else "lv-half"
    tip = f"{when} — {level.label} ({OBJECTIVES.get(objective, objective).lower()})"
    return (f'<span class="lv-pos lv-acq-{level.level} {fill}" role="listitem" data-level="{level.level}"'
            f' data-objective="{escape(objective)}" title="{escape(tip)}">{escape(level.short)}</span>')


def ask_button(code: str, draft=None, editing: Editing | None = None) -> str:
    """The button ending a competency's blue line: « ? », or the draft's positioning drawn like the
    line's own (level colour, half or full) — or, while a bilan is unlocked (editing), that bilan's
    positioning, outlined. Its click opens the positioning dialog, which reads the current positioning
    from data-level, data-objective and data-state."""
    if draft is None:
        look, text, state, data = "", "?", "pas encore positionnée", ""
    elif pd.isna(draft.level):
        look, text, state = " lv-ne", positioning_short(None), NOT_EVALUATED_LABEL.lower()
        data = ' data-level="" data-objective=""'
    else:
        level = ACQUISITION_BY_LEVEL[int(draft.level)]
        objective = str(draft.objective)
        look = f" lv-acq-{level.level} {'lv-full' if objective == 'terminal' else 'lv-half'}"
        text, state = level.short, f"{level.label.lower()} ({OBJECTIVES.get(objective, objective).lower()})"
        data = f' data-level="{level.level}" data-objective="{escape(objective)}"'
    target = "le bilan en cours" if editing is None else f"le bilan déverrouillé du {editing.date_label}"
    if editing is not None:
        look += " lv-editing"
    return (f'<button type="button" class="lv-ask{look}" data-competency="{escape(code)}"{data} '
            f'data-state="{escape(state)}" aria-label="Positionner {escape(code)} dans {escape(target)} : '
            f'{escape(state)}" title="Positionner {escape(code)} dans {escape(target)}">{escape(text)}</button>')


def _blue_line(code: str, positionings: list, draft=None, editing: Editing | None = None) -> str:
    items = "".join(_positioning(row) for row in positionings)
    return (f'<div class="lv-blue"><div class="lv-past" role="list" '
            f'aria-label="Positionnements des bilans de {escape(code)}">{items}</div>'
            f'{ask_button(code, draft, editing)}</div>')


def _criterion_header(criterion, titles: bool) -> str:
    text = escape(criterion.criterion_text)
    if titles:
        return f'<th scope="row" class="lv-crit">{text}</th>'
    return f'<th scope="row" class="lv-crit lv-num" title="{text}">{int(criterion.criterion_position)}</th>'


def _line(tag: str) -> str:
    return f'<{tag} class="lv-line" aria-hidden="true"></{tag}>'


@cache
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Row", columns, rename=True)


def _records(frame: pd.DataFrame):
    """The frame's rows as named tuples, like itertuples(index=False) without building a new namedtuple
    class on every call (that class creation was a visible part of each page run)."""
    row = _row_type(tuple(frame.columns))
    return map(row._make, zip(*(frame[column].tolist() for column in frame.columns)))


def _rows_by(frame: pd.DataFrame, key: str) -> dict:
    """The frame's rows as named tuples grouped by one column, in order (one pass)."""
    groups: dict = {}
    for row in _records(frame):
        groups.setdefault(getattr(row, key), []).append(row)
    return groups


def _chronological(criteria: list, results: list, has_bilan: bool, titles: bool) -> str:
    columns = list({row.evaluation_id: row for row in results}.values())  # first row of each evaluation, in order
    split = sum(1 for row in columns if row.old)
    cells = {(row.evaluation_id, row.criterion_id): _cell(row, row.result) for row in results}

    def with_line(items: list[str], tag: str) -> str:
        if has_bilan:
            items = [*items[:split], _line(tag), *items[split:]]
        return "".join(items)

    heads = [
        f'<th scope="col" class="lv-h lv-h-{escape(row.code)}" title="{escape(row.title)} — '
        f'{escape(column_dates(row.eval_date, row.modified_at))}">{escape(row.code)}</th>'
        for row in columns
    ]
    opening = ['<td class="lv-e">' if row.code == COMPANY_CODE else "<td>" for row in columns]
    corner = "Critères d'évaluation" if titles else "N°"
    rows = [f'<thead><tr><th scope="col" class="lv-corner">{corner}</th>{with_line(heads, "th")}</tr></thead><tbody>']
    for criterion in criteria:
        tds = [f'{td}{cells.get((column.evaluation_id, criterion.criterion_id), "")}</td>'
               for column, td in zip(columns, opening)]
        rows.append(f"<tr>{_criterion_header(criterion, titles)}{with_line(tds, 'td')}</tr>")
    rows.append("</tbody>")
    mode = "lv-chrono" if titles else "lv-chrono lv-notitles"
    return f'<div class="lv-scroll"><table class="lv-grid {mode}">{"".join(rows)}</table></div>'


def _condensed(criteria: list, results: list, has_bilan: bool, titles: bool, result_codes: bool = False) -> str:
    by_criterion: dict[int, list] = {}
    for row in results:
        by_criterion.setdefault(row.criterion_id, []).append(row)

    def cell(row) -> str:
        return _cell(row, row.result, row.code) if result_codes else _cell(row, row.code)

    rows = []
    for criterion in criteria:
        runs = by_criterion.get(criterion.criterion_id, [])
        old = [cell(row) for row in runs if row.old]
        new = [cell(row) for row in runs if not row.old]
        line = _line("span") if has_bilan else ""
        rows.append(f'<tr>{_criterion_header(criterion, titles)}<td><div class="lv-run">{"".join(old)}{line}'
                    f'{"".join(new)}</div></td></tr>')
    mode = "lv-condensed" if titles else "lv-condensed lv-notitles"
    return f'<div class="lv-scroll"><table class="lv-grid {mode}"><tbody>{"".join(rows)}</tbody></table></div>'


def render_blocks(referentiel: pd.DataFrame, results: pd.DataFrame, bilans: pd.DataFrame,
                  options: GridOptions, drafts: pd.DataFrame | None = None, *,
                  editing: Editing | None = None) -> list[Block]:
    """One HTML block per competency of the chosen units, in référentiel order; drafts (the draft
    bilan's positionings, or the unlocked bilan's when editing) decide what each blue line's button
    shows. The unlocked bilan still places the black line (it was validated) but is drawn by the
    button only, not twice on its blue line."""
    with_criteria = referentiel.dropna(subset=["criterion_id"])
    labels = {int(c): f"{code}, critère {int(p)}" for c, code, p in zip(
        with_criteria["criterion_id"], with_criteria["competency"], with_criteria["criterion_position"])}
    kept = prepare_results(results, bilans, options, labels)
    has_bilan = latest_bilan_at(bilans) is not None
    filtered = len(options.complexities) < len(COLUMN_CODES)
    results_by_competency = _rows_by(kept, "competency_id")
    past = bilans.dropna(subset=["competency_id"])
    if editing is not None:
        past = past[past["bilan_id"] != editing.bilan_id]
    positionings = _rows_by(past, "competency_id")
    draft_by_competency = {} if drafts is None else {int(row.competency_id): row for row in _records(drafts)}
    frame = referentiel if not options.units else referentiel[referentiel["unit"].isin(options.units)]
    blocks = []
    for competency_id, rows in _rows_by(frame, "competency_id").items():
        code, label = str(rows[0].competency), f"{rows[0].competency} - {rows[0].competency_title}"
        criteria = [row for row in rows if not pd.isna(row.criterion_id)]
        parts = [f'<section class="lv-comp" id="lv-{escape(code)}" data-competency="{escape(code)}">',
                 f'<h3 class="lv-title" title="{escape(label)}">{escape(label)}</h3>',
                 _blue_line(code, positionings.get(competency_id, []), draft_by_competency.get(int(competency_id)),
                            editing)]
        if not options.compact:
            own = results_by_competency.get(competency_id, [])
            if not own:
                parts.append('<p class="lv-none">Aucune évaluation de cette compétence'
                             f'{" avec ces filtres" if filtered else ""}.</p>')
            if options.condensed:
                parts.append(_condensed(criteria, own, has_bilan, options.titles, options.result_codes))
            else:
                parts.append(_chronological(criteria, own, has_bilan, options.titles))
        parts.append("</section>")
        blocks.append(Block(int(competency_id), code, label, "".join(parts)))
    return blocks


def render_grid(referentiel: pd.DataFrame, results: pd.DataFrame, bilans: pd.DataFrame,
                options: GridOptions, drafts: pd.DataFrame | None = None, *, editing: Editing | None = None) -> str:
    """The whole grid as one HTML string, as the dashboard shows it."""
    return "".join(block.html for block in render_blocks(referentiel, results, bilans, options, drafts,
                                                         editing=editing))


def jump_list_html(blocks: list[Block] | tuple[Block, ...]) -> str:
    """« Aller à la compétence »: a native select of the shown competencies; the page scrolls to the
    chosen block in the browser, without a rerun."""
    options = "".join(f'<option value="lv-{escape(block.code)}">{escape(block.label)}</option>' for block in blocks)
    return ('<label class="lv-jump">Aller à la compétence'
            '<select class="lv-jump-select"><option value="" selected>Choisir une compétence</option>'
            f"{options}</select></label>")


def legend_box_html(legend_open: bool = True) -> str:
    """The legend, folded or not (each user's choice)."""
    return (f'<details class="lv-legend-box"{" open" if legend_open else ""}><summary>Légende</summary>'
            f"{legend_html()}</details>")


def page_parts(blocks: list[Block] | tuple[Block, ...], legend_open: bool = True) -> list[tuple[str, str]]:
    """What the dashboard shows under its filters, as (key, HTML) pieces: the legend, the jump list (which
    stays in view while the grid scrolls), then one piece per competency block (the page replaces only the
    pieces that changed)."""
    return [("lv-legend", legend_box_html(legend_open)),
            ("lv-tools", f'<div class="lv-tools">{jump_list_html(blocks)}</div>'),
            *((block.code, block.html) for block in blocks)]


# ---------------------------------------------------------------- legend and styles


def legend_html() -> str:
    """What colours, shapes and lines mean."""
    levels = "".join(
        f'<li><span class="lv-cell {level.css} lv-school" aria-hidden="true">{level.code}</span>'
        f"{escape(level.label)}</li>"
        for level in RESULT_LEVELS
    )
    return (
        '<div class="lv-legend" role="note" aria-label="Légende"><ul>'
        f"{levels}</ul><ul>"
        '<li><span class="lv-cell lv-swatch lv-school" aria-hidden="true"></span>Évaluation en établissement</li>'
        '<li><span class="lv-cell lv-swatch lv-company" aria-hidden="true"></span>Bilan entreprise (E)</li>'
        '<li><span class="lv-pos lv-acq-3 lv-half" aria-hidden="true">+</span>Objectifs intermédiaires</li>'
        '<li><span class="lv-pos lv-acq-3 lv-full" aria-hidden="true">+</span>Objectifs terminaux</li>'
        '<li><span class="lv-legend-line" aria-hidden="true"></span>'
        "À gauche du trait noir : évaluations prises en compte dans le dernier bilan</li>"
        "</ul></div>"
    )


@cache
def colour_rules(scopes: tuple[str, ...] = CONTRAST_SCOPES) -> str:
    """The level colour classes, generated from livret.codes so each colour is written once; scopes: where
    the contrasted palette applies (livret.codes.CONTRAST_SCOPES, or PRINT_CONTRAST_SCOPES in a document)."""
    rules = [f".lv-cell.{level.css}{{background:{level.colour};color:{level.text}}}"
             for level in RESULT_LEVELS]
    for level in ACQUISITION_LEVELS:
        rules.append(f".lv-acq-{level.level}{{--lv-acq:{level.colour};--lv-acq-text:{level.text}}}")
    # « Mode contrasté » (a user's setting): another palette, and a pattern per result level.
    for scope in scopes:
        rules += [f"{scope} .lv-cell.{level.css}{{background:{level.contrast};color:{level.contrast_text};"
                  f"background-image:{CONTRAST_PATTERNS[level.code]}}}" for level in RESULT_LEVELS]
        rules += [f"{scope} .lv-acq-{level.level}{{--lv-acq:{level.contrast};--lv-acq-text:{level.contrast_text}}}"
                  for level in ACQUISITION_LEVELS]
    return "".join(rules)


@cache
def stylesheet_css() -> str:
    """The dashboard's whole stylesheet."""
    # A button editing an unlocked bilan (not the draft) is outlined, so the two are never mistaken.
    editing = ".lv-ask.lv-editing{outline:2px dashed #1565c0;outline-offset:1px}"
    return STYLESHEET.read_text(encoding="utf-8") + colour_rules() + editing


