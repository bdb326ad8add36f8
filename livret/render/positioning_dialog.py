"""The positioning dialog of the dashboard (SPEC B1, P1) as HTML: a pure function from a competency, its
criteria and its proposition to markup. Every text is escaped.

The dialog shows, above the 8 choices and « Compétence non évaluée », the level proposed from the
evidence and the method used; under them, the evidence criterion by criterion — each counted result as
a coloured cell with its complexity (E for a company bilan, drawn as a capsule) and date, the results
newer than the latest validated bilan after a black line and marked « nouveau » —, each criterion's
score and the competency's, so that a teacher can check the calculation by hand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from html import escape

from livret.codes import ACQUISITION_LEVELS, NOT_EVALUATED_LABEL, OBJECTIVES, RESULT_BY_CODE
from livret.french import date_text, rounded_text
from livret.proposition import METHOD_FORMULAS, VALUES_TEXT, Evidence, Proposition

MINUS = "\u2212"  # a true minus sign: « −− » reads as two signs, never as a dash
OBJECTIVE_WORDS = {"intermediate": "intermédiaire", "terminal": "terminal"}
TITLE = "Niveaux d'acquisition de la compétence"


@dataclass(frozen=True)
class CriterionLine:
    criterion_id: int
    position: int
    text: str


def short_text(short: str) -> str:
    """« -- » written with minus signs (a button label in Markdown would turn « -- » into a dash)."""
    return short.replace("-", MINUS)


def choice_label(level: int | None, objective: str | None) -> str:
    """Visible and accessible name of a choice: « ++ · terminal », « − · intermédiaire », « NE »."""
    if level is None:
        return "NE"
    short = next(a.short for a in ACQUISITION_LEVELS if a.level == level)
    return f"{short_text(short)} · {OBJECTIVE_WORDS[objective]}"


@cache
def choices_html() -> str:
    """The 4 levels × 2 objectives, then « Compétence non évaluée »: the same for every competency."""
    head = "".join(f'<th scope="col">{escape(OBJECTIVES[o])}</th>' for o in OBJECTIVES)
    rows = []
    for row, level in enumerate(ACQUISITION_LEVELS):
        cells = []
        for column, objective in enumerate(OBJECTIVES):
            fill = "lv-full" if objective == "terminal" else "lv-half"
            label = f"{level.label} — {OBJECTIVES[objective].lower()}"
            cells.append(f'<td><button type="button" class="lv-choice lv-acq-{level.level} {fill}" '
                         f'data-level="{level.level}" data-objective="{objective}" data-row="{row}" '
                         f'data-col="{column}" title="{escape(label)}"><span>{escape(choice_label(level.level, objective))}'
                         "</span></button></td>")
        rows.append(f'<tr data-level="{level.level}"><th scope="row">{escape(level.label)}'
                    f'<span class="lv-prop-tag" hidden>proposition</span></th>{"".join(cells)}</tr>')
    rows.append(f'<tr><th scope="row">{escape(NOT_EVALUATED_LABEL)}</th><td><button type="button" '
                f'class="lv-choice lv-ne" data-level="" data-objective="" data-row="{len(ACQUISITION_LEVELS)}" '
                f'data-col="0" title="{escape(NOT_EVALUATED_LABEL)}">NE</button></td><td></td></tr>')
    return (f'<table class="lv-choices"><thead><tr><td></td>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def proposition_html(proposition: Proposition, objective: str) -> str:
    """« Proposition : + (Compétence partiellement acquise) — Moyenne décroissante », or why there is none.
    data-proposed and data-objective tell the dialog which choice to put the focus on (never to save it)."""
    method = f'<span class="lv-method">Méthode : {escape(proposition.method_label)}</span>'
    if proposition.level is None:
        return (f'<p class="lv-prop lv-prop-none">{escape(proposition.label)}. '
                f'{escape(proposition.reason or "")} {method}</p>')
    text = proposition.label.replace(f": {proposition.short} (", f": {short_text(proposition.short)} (")
    return (f'<p class="lv-prop" data-proposed="{proposition.level}" data-objective="{escape(objective)}">'
            f'<strong>{escape(text)}</strong> {method}</p>')


def _result_cell(result: Evidence, latest_bilan_at: str | None) -> str:
    # Kept small (the dialogs of every competency travel with the learner's grid): the code, complexity
    # and day are written in the cell, the context is its shape, the rest is in its tooltip.
    level = RESULT_BY_CODE[result.code]
    new = latest_bilan_at is not None and result.modified_at > latest_bilan_at
    day = date_text(result.eval_date)
    tip = f"{result.context_label} — {result.title}{' (nouveau)' if new else ''}"
    return (f'<i class="lv-cell {level.css}{" lv-company" if result.is_company else ""}{" lv-new" if new else ""}" '
            f'role="img" title="{escape(tip)}">{level.code}<small>{escape(result.column)} {day[:5]}</small></i>')


def _criterion_row(line: CriterionLine, scored, latest_bilan_at: str | None) -> str:
    label = f'<th scope="row">{line.position}. {escape(line.text)}</th>'
    if scored is None:
        return f'{label}<td class="lv-ev-none">aucun résultat compté</td><td class="lv-score">—</td>'
    old = [_result_cell(r, latest_bilan_at) for r in scored.results
           if latest_bilan_at is None or r.modified_at <= latest_bilan_at]
    new = [_result_cell(r, latest_bilan_at) for r in scored.results[len(old):]]
    line_mark = '<span class="lv-line" aria-hidden="true"></span>' if latest_bilan_at is not None and new else ""
    return (f'{label}<td><div class="lv-run">{"".join(old)}{line_mark}{"".join(new)}</div></td>'
            f'<td class="lv-score">{rounded_text(scored.score)}</td>')


def evidence_html(criteria: Sequence[CriterionLine], proposition: Proposition, latest_bilan_at: str | None) -> str:
    """The evidence table: one row per criterion (counted results oldest first, score), then the
    competency's score and the method's formula."""
    scores = {c.criterion_id: c for c in proposition.criteria}
    rows = "".join(f"<tr>{_criterion_row(line, scores.get(line.criterion_id), latest_bilan_at)}</tr>"
                   for line in criteria)
    counted = [c.score for c in proposition.criteria]
    if counted:
        terms = " + ".join(rounded_text(score) for score in counted)
        mean = f"({terms}) / {len(counted)}" if len(counted) > 1 else terms
        level = f" → {short_text(proposition.short)}" if proposition.short else " (pas de proposition)"
        total = (f'<tfoot><tr><th scope="row" colspan="2">Score de la compétence : moyenne des critères '
                 f"{escape(mean)}</th><td class=\"lv-score\">{rounded_text(proposition.score)}{escape(level)}</td>"
                 "</tr></tfoot>")
    else:
        total = ""
    newer = " Après le trait noir : résultats postérieurs au dernier bilan." if latest_bilan_at else ""
    return (f'<table class="lv-evidence"><caption>Éléments : résultats du plus ancien au plus récent '
            f"({proposition.count} compté{'s' if proposition.count > 1 else ''}).{newer}</caption>"
            '<thead><tr><th scope="col">Critère</th><th scope="col">Résultats</th><th scope="col">Score</th></tr></thead>'
            f"<tbody>{rows}</tbody>{total}</table>"
            f'<p class="lv-ev-note">{escape(proposition.method_label)} : {escape(METHOD_FORMULAS[proposition.method])}. '
            f"{escape(VALUES_TEXT)}</p>")


def competency_dialog(label: str, criteria: Sequence[CriterionLine], proposition: Proposition, objective: str,
                      latest_bilan_at: str | None) -> dict[str, str]:
    """What the dialog shows for one competency: its head (title and proposition) and its evidence."""
    head = f'<p class="lv-dlg-comp">{escape(label)}</p>{proposition_html(proposition, objective)}'
    return {"head": head, "evidence": evidence_html(criteria, proposition, latest_bilan_at)}
