"""« Conseil de classe » as HTML, a spreadsheet and a chart (SPEC K1): pure functions of a Council
(livret.council). Every text is escaped. The positioning badges are the dashboard's (grid.css classes):
a half rectangle for intermediate objectives, a full one for terminal objectives."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from html import escape
from itertools import groupby
from urllib.parse import urlencode

import altair as alt
import pandas as pd

from livret.codes import ACQUISITION_BY_LEVEL, ACQUISITION_LEVELS, NOT_EVALUATED_LABEL, OBJECTIVES
from livret.french import date_text
from livret.render.positioning_dialog import short_text
from livret.render.spreadsheet import french_csv, safe_text

COUNCIL_CSS = """
.cc-wrap { overflow-x: auto; max-width: 100%; }
table.cc { border-collapse: collapse; font-size: .74rem; line-height: 1.1; }
.cc th, .cc td { border: 1px solid rgba(128, 128, 128, .28); padding: 1px 2px; text-align: center; vertical-align: middle; }
.cc thead th { background: #f3f5f8; font-weight: 600; }
.cc th.cc-name { text-align: left; white-space: nowrap; position: sticky; left: 0; background: #fff; z-index: 1;
  padding: 1px 4px; }
.cc thead th.cc-name { background: #f3f5f8; }
.cc th.cc-name a { color: #1a4fa8; text-decoration: none; font-weight: 600; }
.cc th.cc-name a:hover, .cc th.cc-name a:focus-visible { text-decoration: underline; }
.cc td.cc-cell { min-width: 2.9rem; }
.cc .cc-cell > div { display: flex; align-items: center; justify-content: center; gap: 1px 2px; flex-wrap: wrap; }
.cc .lv-pos { min-width: 1.6rem; height: 1rem; font-size: .62rem; border-width: 1.5px; }
.cc .cc-draft { border-style: dashed; }
.cc .cc-prop { font-size: .62rem; color: #1f2328; white-space: nowrap; }
.cc .cc-new { display: inline-block; min-width: .9rem; padding: 0 2px; font-size: .58rem; font-weight: 700;
  color: #fff; background: #1a4fa8; border-radius: 999px; }
.cc .cc-none { color: #5f636a; }
.cc td.cc-end { white-space: nowrap; padding: 1px 4px; }
.cc tfoot th, .cc tfoot td { background: #f7f8fa; font-size: .62rem; }
.cc-key { font-size: .75rem; color: #3f444b; margin: .3rem 0; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  .cc-wrap { overflow: visible; }
  table.cc { font-size: 7pt; }
  .cc th.cc-name { position: static; }
}
"""
KEY_TEXT = ("Dans chaque case : le positionnement du dernier bilan validé (demi-rectangle : objectifs intermédiaires, "
            "rectangle plein : terminaux), en pointillés celui du brouillon, → la proposition calculée sur les "
            "résultats, et dans la pastille bleue le nombre de résultats postérieurs au dernier bilan.")


def _badge(mark, when: str, extra: str = "") -> str:
    if mark is None:
        return ""
    if mark.level is None:
        return (f'<span class="lv-pos lv-ne{extra}" title="{escape(when)} : {escape(NOT_EVALUATED_LABEL)}">NE</span>')
    level = ACQUISITION_BY_LEVEL[mark.level]
    fill = "lv-full" if mark.objective == "terminal" else "lv-half"
    tip = f"{when} : {level.label} ({OBJECTIVES[mark.objective].lower()})"
    return (f'<span class="lv-pos lv-acq-{level.level} {fill}{extra}" title="{escape(tip)}">'
            f"{escape(short_text(level.short))}</span>")


def _cell(cell, bilan_day: str | None) -> str:
    parts = [_badge(cell.validated, f"Bilan du {bilan_day}") if bilan_day else "",
             _badge(cell.draft, "Brouillon", " cc-draft")]
    if cell.proposition.level is not None:
        parts.append(f'<span class="cc-prop" title="{escape(cell.proposition.label)}">'
                     f"→ {escape(short_text(cell.proposition.short))}</span>")
    if cell.new_results:
        plural = "s" if cell.new_results > 1 else ""
        parts.append(f'<span class="cc-new" title="{cell.new_results} résultat{plural} postérieur{plural} au '
                     f'dernier bilan">{cell.new_results}</span>')
    content = "".join(parts) or '<span class="cc-none">—</span>'
    return f'<td class="cc-cell"><div>{content}</div></td>'


def dashboard_link(class_name: str, learner_name: str) -> str:
    """The dashboard's address for a learner, as a shared link writes it."""
    return "tableau-de-bord?" + urlencode({"classe": class_name, "apprenant": learner_name})


def _head(council) -> str:
    units = "".join(f'<th scope="colgroup" colspan="{len(list(group))}">{escape(unit)}</th>'
                    for unit, group in groupby(council.competencies, key=lambda c: c.unit))
    codes = "".join(f'<th scope="col" title="{escape(f"{c.code} - {c.title}")}">{escape(c.code)}</th>'
                    for c in council.competencies)
    return (f'<thead><tr><th scope="col" rowspan="2" class="cc-name">Apprenant</th>{units}'
            '<th scope="col" rowspan="2">Dernier bilan</th><th scope="col" rowspan="2">Brouillon</th>'
            f'<th scope="col" rowspan="2">Note /20</th></tr><tr>{codes}</tr></thead>')


def _row(council, row) -> str:
    day = date_text(row.bilan_at) if row.bilan_at else None
    cells = "".join(_cell(row.cells[c.id], day) for c in council.competencies)
    draft = "—" if row.draft_positioned is None else f"{row.draft_positioned}/{len(council.competencies)} positionnées"
    link = escape(dashboard_link(council.class_name, row.name))
    return (f'<tr data-learner="{row.learner_id}"><th scope="row" class="cc-name"><a href="{link}" target="_self" '
            f'title="Ouvrir le tableau de bord de {escape(row.name)}">{escape(row.name)}</a></th>{cells}'
            f'<td class="cc-end">{escape(day or "aucun")}</td><td class="cc-end">{escape(draft)}</td>'
            f'<td class="cc-end">{escape(row.grade or "—")}</td></tr>')


def _summary(council) -> str:
    counts = council.distribution()
    cells = []
    for competency in council.competencies:
        own = counts[counts["code"] == competency.code]
        text = " · ".join(f"{short_text(r.short)} {r.count}" for r in own.itertuples() if r.count)
        cells.append(f"<td>{escape(text)}</td>")
    return (f'<tfoot><tr><th scope="row" class="cc-name">Classe ({len(council.rows)})</th>{"".join(cells)}'
            '<td colspan="3"></td></tr></tfoot>')


def council_html(council, rows: Sequence, sort: str = "") -> str:
    """The class's table: one row per learner shown (rows, already filtered and sorted), one column per
    competency grouped by unit, then the latest bilan, the draft and the grade; a summary row per level."""
    body = "".join(_row(council, row) for row in rows)
    if not rows:
        body = f'<tr><td colspan="{len(council.competencies) + 4}">Aucun apprenant pour ce filtre.</td></tr>'
    return (f'<div class="cc-wrap"><table class="cc" data-sort="{escape(sort)}" '
            f'aria-label="Conseil de classe {escape(council.class_name)}">'
            f"{_head(council)}<tbody>{body}</tbody>{_summary(council)}</table></div>"
            f'<p class="cc-key">{escape(KEY_TEXT)}</p>')


# ---------------------------------------------------------------- exports


def _position_code(mark) -> str:
    """« T ++ », « I − » (T: objectifs terminaux, I: intermédiaires), « NE »; minus signs, and the objective
    first, so no cell starts with a sign a spreadsheet would read as a formula."""
    if mark is None:
        return ""
    if mark.level is None:
        return "NE"
    return f"{'T' if mark.objective == 'terminal' else 'I'} {short_text(ACQUISITION_BY_LEVEL[mark.level].short)}"


LEGEND = (("T", "objectifs terminaux"), ("I", "objectifs intermédiaires"),
          *((short_text(level.short), level.label) for level in ACQUISITION_LEVELS), ("NE", NOT_EVALUATED_LABEL))


def export_rows(council, rows: Sequence) -> tuple[list[str], list[list]]:
    """One row per learner: name, each competency's latest validated positioning (« + (T) »: terminal
    objectives, « (I) »: intermediate), the latest bilan's date and the grade."""
    header = ["Classe", "Apprenant", *[c.code for c in council.competencies], "Dernier bilan", "Note sur 20"]
    lines = [[council.class_name, row.name,
              *[_position_code(row.cells[c.id].validated) for c in council.competencies],
              date_text(row.bilan_at) if row.bilan_at else "", row.grade_value]
             for row in rows]
    return header, lines


def export_csv(council, rows: Sequence) -> bytes:
    """The table in the French spreadsheet convention (`;`, decimal comma, UTF-8 with BOM)."""
    header, lines = export_rows(council, rows)
    return french_csv(header, lines)


def export_xlsx(council, rows: Sequence) -> bytes:
    """The same table as an Excel workbook (the grade as a number)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, lines = export_rows(council, rows)
    book = Workbook()
    sheet = book.active
    sheet.title = "Conseil de classe"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append([safe_text(value) if isinstance(value, str) else value for value in line])
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 28
    legend = book.create_sheet("Légende")
    for code, meaning in LEGEND:
        legend.append([code, meaning])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# ---------------------------------------------------------------- chart


def distribution_chart(distribution: pd.DataFrame) -> dict:
    """The class's distribution (council.distribution()): one stacked bar per competency, a segment per
    level in the badges' colours, each segment labelled with its count, so colour is never the only code."""
    rows = tuple(map(tuple, distribution[["code", "level", "short", "count"]].itertuples(index=False)))
    return json.loads(_distribution_spec(rows))


@functools.lru_cache(maxsize=64)
def _distribution_spec(rows: tuple) -> str:
    every = pd.DataFrame(list(rows), columns=["code", "level", "short", "count"])
    codes = list(dict.fromkeys(every["code"]))
    frame = every[every["count"] > 0].copy()
    labels = {0: "NE ou pas de bilan", **{lv.level: f"{short_text(lv.short)} {lv.label}" for lv in ACQUISITION_LEVELS}}
    colours = {0: "#d9d9d9", **{lv.level: lv.colour for lv in ACQUISITION_LEVELS}}
    texts = {0: "#111111", **{lv.level: lv.text for lv in ACQUISITION_LEVELS}}
    order = [4, 3, 2, 1, 0]
    frame["niveau"] = frame["level"].map(labels)
    frame["rank"] = frame["level"].map(order.index)
    frame["text_colour"] = frame["level"].map(texts)
    frame["label"] = frame["short"].map(short_text) + " " + frame["count"].astype(str)
    base = alt.Chart(frame).encode(
        y=alt.Y("code:N", sort=codes, title=None),
        x=alt.X("count:Q", stack="zero", title="Apprenants"),
        order=alt.Order("rank:Q"),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("niveau:N", scale=alt.Scale(domain=[labels[k] for k in order],
                                                    range=[colours[k] for k in order]),
                        legend=alt.Legend(title="Dernier bilan", orient="bottom", columns=3)),
        tooltip=[alt.Tooltip("code:N", title="Compétence"), alt.Tooltip("niveau:N", title="Niveau"),
                 alt.Tooltip("count:Q", title="Apprenants")])
    # Each label at the end of its segment, inside it (as in Altair's stacked bar with text overlay).
    text = base.mark_text(align="right", dx=-3, fontSize=10, fontWeight="bold").encode(
        text="label:N", detail="niveau:N", color=alt.Color("text_colour:N", scale=None))
    return json.dumps((bars + text).properties(height=alt.Step(18), width="container").configure(aria=False).configure_mark(aria=False).to_dict())
