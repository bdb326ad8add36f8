"""HTML of a bilan (SPEC B2, B4): the positioning table, the unit view and the standalone document.

Pure functions from data to markup, with CSS classes (one stylesheet shared by the app and the
document). Every text that came from a user or a file is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import pandas as pd

from livret.codes import (
    ACQUISITION_LEVELS,
    CONTRAST_CLASS,
    CONTRAST_SCOPES,
    NOT_EVALUATED_LABEL,
    OBJECTIVES,
    PRINT_CONTRAST_SCOPES,
    positioning_short,
)


def _level_rules(scopes: tuple[str, ...]) -> str:
    rules = []
    palettes = [("", lambda lv: lv.colour, lambda lv: lv.text)]
    palettes += [(f"{scope} ", lambda lv: lv.contrast, lambda lv: lv.contrast_text) for scope in scopes]
    for scope, colour_of, text_of in palettes:
        for level in ACQUISITION_LEVELS:
            colour = colour_of(level)
            rules.append(f"{scope}.lv-pos.lv-{level.level}.obj-terminal {{ background: {colour}; border-color: {colour}; "
                         f"color: {text_of(level)}; }}")
            # Intermediate objectives: only the left half is filled (the seed's half rectangle).
            rules.append(f"{scope}.lv-pos.lv-{level.level}.obj-intermediate {{ background: linear-gradient(90deg, "
                         f"{colour} 50%, #ffffff 50%); border-color: {colour}; }}")
    return "\n".join(rules)


def _bilan_css(scopes: tuple[str, ...]) -> str:
    return f"""
.bilan-doc {{ font-family: "Source Sans Pro", "Segoe UI", Arial, sans-serif; color: #1f2328; }}
.bilan-table {{ border-collapse: collapse; margin: 0.4rem 0 1rem 0; font-size: 0.92rem; }}
.bilan-table th, .bilan-table td {{ border: 1px solid #d0d4da; padding: 0.25rem 0.55rem; text-align: center; }}
.bilan-table th {{ background: #f3f5f8; font-weight: 600; }}
.bilan-table th.comp {{ text-align: left; }}
.bilan-table th.draft {{ background: #fff6d6; }}
.lv-pos {{ display: inline-block; min-width: 2.6rem; padding: 0.05rem 0.35rem; border: 1.5px solid #9e9e9e;
  border-radius: 2px; font-weight: 700; color: #111; background: #fff;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
.lv-pos {{ text-align: center; }}
.lv-pos b {{ font-weight: 700; }}
.lv-pos.obj-intermediate b {{ background: rgba(255, 255, 255, 0.9); color: #111; padding: 0 0.2rem;
  border-radius: 2px; }}
.lv-pos.lv-ne {{ color: #555; background: #fff; border-style: dashed; font-weight: 600; }}
.radar-legend {{ font-size: 0.85rem; color: #333; display: flex; gap: 1.4rem; margin: 0.2rem 0 0.4rem 0; }}
.radar-legend .line-sample {{ display: inline-block; width: 2.2rem; vertical-align: middle; margin-right: 0.4rem; }}
{_level_rules(scopes)}
.unit-view {{ display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: flex-start; }}
.bilan-legend {{ font-size: 0.85rem; color: #444; display: flex; flex-wrap: wrap; gap: 0.4rem 1rem;
  align-items: center; margin-bottom: 0.8rem; }}
.bilan-texts dt {{ font-weight: 700; margin-top: 0.5rem; }}
.bilan-texts dd {{ margin: 0.2rem 0 0.4rem 0; white-space: pre-wrap; }}
.audit-table td {{ text-align: left; vertical-align: top; }}
"""


BILAN_CSS = _bilan_css(CONTRAST_SCOPES)  # on the app's pages
PRINT_BILAN_CSS = _bilan_css(PRINT_CONTRAST_SCOPES)  # in the documents


RADAR_KEY = ("Anneaux 1 à 4 : -- , - , + , ++ (du centre vers l'extérieur). Point plein : objectifs terminaux ; "
             "point creux : objectifs intermédiaires ; croix sur l'anneau pointillé NE : compétence non évaluée.")


def positioning_badge(level, objective) -> str:
    """A coloured rectangle (full: objectifs terminaux, half: intermédiaires) with the short code."""
    if level is None or pd.isna(level):
        return f'<span class="lv-pos lv-ne" title="{escape(NOT_EVALUATED_LABEL)}">NE</span>'
    level = int(level)
    label = next(a.label for a in ACQUISITION_LEVELS if a.level == level)
    title = f"{label} — {OBJECTIVES[objective].lower()}"
    return (f'<span class="lv-pos lv-{level} obj-{escape(objective)}" title="{escape(title)}" '
            f'data-level="{level}" data-objective="{escape(objective)}"><b>{escape(positioning_short(level))}</b></span>')


def legend_html() -> str:
    items = [positioning_badge(a.level, "terminal") + " " + escape(a.label) for a in ACQUISITION_LEVELS]
    items.append(positioning_badge(None, None) + " " + escape(NOT_EVALUATED_LABEL))
    items.append(positioning_badge(3, "intermediate") + " demi-rectangle : objectifs intermédiaires")
    items.append(positioning_badge(3, "terminal") + " rectangle plein : objectifs terminaux")
    return '<div class="bilan-legend">' + "".join(f"<span>{item}</span>" for item in items) + "</div>"


def radar_legend_html(items: list[tuple[str, str, bool]]) -> str:
    """The radar's key, one line sample per bilan: [(label, colour, dashed)]."""
    parts = []
    for label, colour, dashed in items:
        style = f"border-top: 3px {'dashed' if dashed else 'solid'} {escape(colour)}"
        parts.append(f'<span><span class="line-sample" style="{style}"></span>Bilan du {escape(label)}</span>')
    return '<div class="radar-legend">' + "".join(parts) + "</div>"


def history_table_html(history: pd.DataFrame) -> str:
    """The « Bilan des compétences » table: one row per competency, one column per bilan, newest first."""
    if history.empty:
        return "<p>Aucun bilan.</p>"
    columns = history.drop_duplicates("column").sort_values("column_order")[["column", "status"]]
    head = "".join(
        f'<th scope="col" class="{"draft" if status == "draft" else "bilan"}">{escape(str(column))}</th>'
        for column, status in columns.itertuples(index=False))
    cells = {(r.code, r.column): positioning_badge(r.level, r.objective) for r in history.itertuples()}
    competencies = history.drop_duplicates("code").sort_values("position")
    drafts = set(columns.loc[columns["status"] == "draft", "column"])

    def cell(code: str, column: str) -> str:
        # The draft's cells are named, so the BI dialog can redraw one after a positioning.
        hook = f' data-draft="{escape(code)}"' if column in drafts else ""
        return f"<td{hook}>{cells[(code, column)]}</td>"

    body = "".join(
        f'<tr><th scope="row" class="comp" title="{escape(comp.title)}">{escape(comp.code)}</th>'
        + "".join(cell(comp.code, column) for column in columns["column"])
        + "</tr>"
        for comp in competencies.itertuples())
    return (f'<table class="bilan-table history"><thead><tr><th scope="col" class="comp">Compétence</th>{head}'
            f"</tr></thead><tbody>{body}</tbody></table>")


def unit_view_html(units: dict, *, draft: bool = False) -> str:
    """The same positionings grouped by unit, one small table per unit (U2 | U31 | U32); draft: they are
    the draft's (its cells are named, as in history_table_html)."""
    if not units:
        return ""
    tables = []

    def hook(code: str) -> str:
        return f' data-draft="{escape(code)}"' if draft else ""

    for unit, rows in units.items():
        body = "".join(
            f'<tr><th scope="row" title="{escape(title)}">{escape(code)}</th>'
            f"<td{hook(code)}>{positioning_badge(p.level, p.objective)}</td></tr>"
            for code, title, p in rows)
        tables.append(f'<table class="bilan-table unit"><thead><tr><th scope="col" colspan="2">{escape(unit)}</th>'
                      f"</tr></thead><tbody>{body}</tbody></table>")
    return '<div class="unit-view">' + "".join(tables) + "</div>"


def _paragraph(text: str) -> str:
    return escape(text) if text else "<em>(non renseigné)</em>"


@dataclass(frozen=True)
class DocumentHeader:
    """What heads a bilan document: the school (a DDFPT setting), the learner, their class and the bilan."""

    school_name: str
    school_year: str
    learner_name: str
    class_name: str
    diploma: str  # the diploma's title
    date_label: str  # « 27/03/2026 »
    author_name: str  # the teacher who validated it
    constats: str
    conseils: str


DOCUMENT_CSS = """
@page { size: A4; margin: 11mm 12mm 14mm;
  @bottom-center { content: string(footer) " — page " counter(page) "/" counter(pages); font-size: 8pt; color: #444; } }
body { margin: 0; font-size: 9.5pt; line-height: 1.3; }
.doc-footer { string-set: footer content(); height: 0; margin: 0; overflow: hidden; }
.doc-head { display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 2px solid #1f2328;
  padding-bottom: 2mm; margin-bottom: 3mm; }
.doc-head .school { font-weight: 700; font-size: 10.5pt; }
.doc-head .year { color: #333; }
h1 { font-size: 15pt; margin: 0 0 1mm; }
.meta { color: #333; margin: 0 0 3mm; }
h2 { font-size: 11pt; margin: 3mm 0 1.5mm; border-bottom: 1px solid #c9ced6; padding-bottom: .5mm; }
.doc-main { display: flex; gap: 4mm; align-items: flex-start; }
.doc-main .positions { flex: 1 1 66%; }
.doc-main .radar-box { flex: 0 0 32%; }
.doc-main svg.radar { width: 100%; height: 58mm; }
.bilan-table.print { width: 100%; font-size: 8pt; line-height: 1.15; margin: 0; }
.bilan-table.print td.title { text-align: left; }
.bilan-table.print th, .bilan-table.print td { padding: .4mm 1mm; }
.bilan-table.print .lv-pos { min-width: 9mm; padding: 0 1mm; font-size: 7.5pt; }
.texts { display: flex; gap: 4mm; margin-top: 4mm; }
.texts section { flex: 1; border: 1px solid #c9ced6; border-radius: 1.5mm; padding: 1.5mm 2.5mm; min-height: 18mm; }
.texts h2 { border: 0; margin: 0 0 1mm; font-size: 10pt; }
.texts p { margin: 0; white-space: pre-wrap; }
.signatures { display: flex; gap: 4mm; margin-top: 4mm; break-inside: avoid; }
.signatures div { flex: 1; border: 1px solid #1f2328; height: 24mm; padding: 1.5mm 2.5mm; font-size: 8.5pt; }
.key { font-size: 7.5pt; color: #444; margin: 1mm 0 0; }
.doc-main .bilan-legend { display: block; font-size: 7pt; line-height: 1.6; margin: 0 0 1.5mm; }
.doc-main .bilan-legend > span { display: inline-block; margin-right: 2.5mm; }
.doc-main .bilan-legend .lv-pos { min-width: 7mm; font-size: 6.5pt; }
@media screen { body { max-width: 60rem; margin: 1.5rem auto; } }
"""


def print_table_html(history: pd.DataFrame) -> str:
    """The positioning table of a document: unit, code and title of each competency, then one column per
    bilan of the history, newest first (the bilan of the document first)."""
    if history.empty:
        return "<p>Aucun positionnement.</p>"
    columns = history.drop_duplicates("column").sort_values("column_order")["column"].tolist()
    head = "".join(f'<th scope="col">{escape(str(column))}</th>' for column in columns)
    cells = {(r.code, r.column): positioning_badge(r.level, r.objective) for r in history.itertuples()}
    competencies = history.drop_duplicates("code").sort_values("position")
    body = "".join(
        f'<tr><td>{escape(str(comp.unit))}</td><th scope="row">{escape(comp.code)}</th>'
        f'<td class="title">{escape(comp.title)}</td>'
        + "".join(f"<td>{cells[(comp.code, column)]}</td>" for column in columns) + "</tr>"
        for comp in competencies.itertuples())
    return (f'<table class="bilan-table print"><thead><tr><th scope="col">Unité</th><th scope="col">Code</th>'
            f'<th scope="col">Compétence</th>{head}</tr></thead><tbody>{body}</tbody></table>')


def render_document(header: DocumentHeader, history: pd.DataFrame, radar_svg: str, *, contrast: bool = False) -> str:
    """The bilan as the school hands it out: one A4 page (two at most with long Constats) that opens,
    prints and becomes a PDF without the app. No audit trail: that stays on screen, for staff."""
    name = escape(header.learner_name)
    school = escape(header.school_name) or "Établissement"
    validated = f"Bilan validé le {header.date_label}"
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Bilan de {name} — {escape(header.date_label)}</title>
<style>
{PRINT_BILAN_CSS}
{DOCUMENT_CSS}
</style>
</head>
<body class="bilan-doc{" " + CONTRAST_CLASS if contrast else ""}">
<p class="doc-footer">{escape(validated)}</p>
<div class="doc-head"><span class="school">{school}</span><span class="year">Année scolaire {escape(header.school_year)}</span></div>
<h1>Bilan intermédiaire de compétences</h1>
<p class="meta"><strong>{name}</strong> · classe {escape(header.class_name)} · {escape(header.diploma)}<br>
{escape(validated)} par {escape(header.author_name or "—")}</p>
<div class="doc-main">
<div class="positions">
<h2>Positionnements</h2>
{legend_html()}
{print_table_html(history)}
</div>
<div class="radar-box">
<h2>Diagramme radar</h2>
{radar_svg}
<p class="key">{escape(RADAR_KEY)}</p>
</div>
</div>
<div class="texts">
<section><h2>Constats</h2><p>{_paragraph(header.constats)}</p></section>
<section><h2>Conseils</h2><p>{_paragraph(header.conseils)}</p></section>
</div>
<div class="signatures">
<div>Signature de l'enseignant(e)</div>
<div>Signature de l'apprenant(e)</div>
<div>Signature du représentant légal</div>
</div>
</body>
</html>
"""
