"""HTML of a bilan (SPEC B2, B4): the positioning table, the unit view and the standalone document.

Pure functions from data to markup, with CSS classes (one stylesheet shared by the app and the
document). Every text that came from a user or a file is escaped."""

from __future__ import annotations

from html import escape

import pandas as pd

from livret.codes import ACQUISITION_LEVELS, NOT_EVALUATED_LABEL, OBJECTIVES, positioning_short


def _level_rules() -> str:
    rules = []
    for level in ACQUISITION_LEVELS:
        colour = level.colour
        rules.append(f".lv-pos.lv-{level.level}.obj-terminal {{ background: {colour}; border-color: {colour}; "
                     f"color: {level.text}; }}")
        # Intermediate objectives: only the left half is filled (the seed's half rectangle).
        rules.append(f".lv-pos.lv-{level.level}.obj-intermediate {{ background: linear-gradient(90deg, {colour} 50%,"
                     f" #ffffff 50%); border-color: {colour}; }}")
    return "\n".join(rules)


BILAN_CSS = f"""
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
{_level_rules()}
.unit-view {{ display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: flex-start; }}
.bilan-legend {{ font-size: 0.85rem; color: #444; display: flex; flex-wrap: wrap; gap: 0.4rem 1rem;
  align-items: center; margin-bottom: 0.8rem; }}
.bilan-texts dt {{ font-weight: 700; margin-top: 0.5rem; }}
.bilan-texts dd {{ margin: 0.2rem 0 0.4rem 0; white-space: pre-wrap; }}
.audit-table td {{ text-align: left; vertical-align: top; }}
"""


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
    body = "".join(
        f'<tr><th scope="row" class="comp" title="{escape(comp.title)}">{escape(comp.code)}</th>'
        + "".join(f"<td>{cells[(comp.code, column)]}</td>" for column in columns["column"])
        + "</tr>"
        for comp in competencies.itertuples())
    return (f'<table class="bilan-table history"><thead><tr><th scope="col" class="comp">Compétence</th>{head}'
            f"</tr></thead><tbody>{body}</tbody></table>")


def unit_view_html(units: dict) -> str:
    """The same positionings grouped by unit, one small table per unit (U2 | U31 | U32)."""
    if not units:
        return ""
    tables = []
    for unit, rows in units.items():
        body = "".join(
            f'<tr><th scope="row" title="{escape(title)}">{escape(code)}</th>'
            f"<td>{positioning_badge(p.level, p.objective)}</td></tr>"
            for code, title, p in rows)
        tables.append(f'<table class="bilan-table unit"><thead><tr><th scope="col" colspan="2">{escape(unit)}</th>'
                      f"</tr></thead><tbody>{body}</tbody></table>")
    return '<div class="unit-view">' + "".join(tables) + "</div>"


def audit_html(audit: pd.DataFrame) -> str:
    if audit is None or audit.empty:
        return "<p>Aucune entrée.</p>"
    rows = "".join(
        f"<tr><td>{escape(r.when)}</td><td>{escape(r.user_name)}</td><td>{escape(r.action_label)}</td>"
        f"<td>{escape(r.before_text)}</td><td>{escape(r.after_text)}</td></tr>"
        for r in audit.itertuples())
    return ('<table class="bilan-table audit-table"><thead><tr><th scope="col">Date</th><th scope="col">Par</th>'
            '<th scope="col">Action</th><th scope="col">Avant</th><th scope="col">Après</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _paragraph(text: str) -> str:
    return escape(text) if text else "<em>(non renseigné)</em>"


def render_document(*, detail: dict, history: pd.DataFrame, units: dict, radar_svg: str,
                    audit: pd.DataFrame | None) -> str:
    """The bilan as a complete HTML page that opens and prints without the app."""
    name = escape(detail["learner_name"])
    audit_part = f"<h2>Historique des modifications</h2>{audit_html(audit)}" if audit is not None else ""
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Bilan de {name} — {escape(detail["date_label"])}</title>
<style>
@page {{ size: A4; margin: 14mm; }}
body {{ margin: 1.5rem auto; max-width: 60rem; }}
h1 {{ font-size: 1.5rem; margin-bottom: 0.2rem; }}
h2 {{ font-size: 1.15rem; margin-top: 1.3rem; border-bottom: 1px solid #d0d4da; padding-bottom: 0.15rem; }}
.meta {{ color: #444; }}
h2, table, .radar {{ break-inside: avoid; }}
{BILAN_CSS}
</style>
</head>
<body class="bilan-doc">
<h1>Bilan intermédiaire de compétences — {name}</h1>
<p class="meta">Classe {escape(str(detail["class_name"]))} · {escape(str(detail["diploma"]))} ·
bilan du {escape(detail["date_label"])} · {escape(detail["status_label"])}</p>
<dl class="bilan-texts">
<dt>Constats</dt><dd>{_paragraph(detail["constats"])}</dd>
<dt>Conseils</dt><dd>{_paragraph(detail["conseils"])}</dd>
</dl>
<h2>Bilan des compétences</h2>
{legend_html()}
{history_table_html(history)}
<h2>Par unité</h2>
{unit_view_html(units)}
<h2>Diagramme radar</h2>
{radar_svg}
<p class="meta">{escape(RADAR_KEY)}</p>
{audit_part}
</body>
</html>
"""
