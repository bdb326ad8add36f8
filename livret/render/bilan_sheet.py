"""The bilan as the app shows it on screen: the positioning tables (one column per bilan, then by unit) and
the radar of the newest two bilans. Used by the BI dialog of the dashboard and by the page « Bilans de
compétences »; every text is escaped here or by bilan_document and radar."""

from __future__ import annotations

from html import escape

import pandas as pd

from livret.codes import ACQUISITION_LEVELS, OBJECTIVES
from livret.render import bilan_document, radar
from livret.render.positioning_dialog import MINUS

NO_RADAR = "Aucun bilan à représenter pour le moment."
RADAR_LABEL = "Diagramme radar des deux derniers bilans, une branche par compétence"
VIEW_CSS = """
.lv-bilan-view h3 { font-size: 1.5rem; font-weight: 600; line-height: 1.2; margin: 0; padding: 1rem 0 0.75rem; }
.lv-bilan-view .lv-caption { font-size: 0.875rem; color: #555b63; margin: 0 0 0.5rem; }
.lv-bilan-view .lv-unit-title { font-weight: 600; margin: 0 0 0.25rem; }
.lv-bilan-view svg.radar { display: block; max-width: 100%; height: auto; }
.lv-bilan-view .lv-empty { padding: 1rem; border-radius: 0.5rem; background: rgba(28, 131, 225, 0.1); color: #004280; }
"""


def positioning_tables_html(history: pd.DataFrame, units: dict, *, draft: bool = False) -> str:
    """« Bilan des compétences » (one column per bilan, newest first) and the unit view (bilans.unit_view);
    draft: the unit view shows the draft (its cells named, as the history's draft column)."""
    return (bilan_document.legend_html() + bilan_document.history_table_html(history)
            + '<p class="lv-unit-title">Par unité</p>' + bilan_document.unit_view_html(units, draft=draft))


def has_radar(axes: pd.DataFrame, history: pd.DataFrame) -> bool:
    return not radar.radar_data(axes, history).empty


def radar_html(axes: pd.DataFrame, history: pd.DataFrame) -> str:
    """The radar of the newest two bilans of a history, with its key (one line per bilan) and how to read it."""
    points = radar.radar_data(axes, history)
    if points.empty:
        return f'<p class="lv-empty" role="status">{NO_RADAR}</p>'
    key = escape(bilan_document.RADAR_KEY.replace("-", MINUS))  # « -- » must not read as a dash
    return (bilan_document.radar_legend_html(radar.legend_items(points))
            + radar.radar_svg(axes, points, label=RADAR_LABEL, legend=False)
            + f'<p class="lv-caption">{key}</p>')


def draft_sheet_html(history: pd.DataFrame, units: dict, axes: pd.DataFrame) -> str:
    """What the BI dialog shows under Constats and Conseils: the tables with the draft's column (the unit view
    is the draft's), and the radar."""
    return positioning_tables_html(history, units, draft=True) + "<h3>Diagramme radar</h3>" + radar_html(axes, history)


def variant_key(level: int | None, objective: str | None) -> str:
    """A positioning's name in draft_kit: « ne », or « 3-terminal »."""
    return "ne" if level is None else f"{level}-{objective}"


VARIANTS = [(variant_key(None, None), None, None)] + [
    (variant_key(level.level, objective), level.level, objective) for level in ACQUISITION_LEVELS for objective in OBJECTIVES]


def draft_kit(axes: pd.DataFrame, history: pd.DataFrame) -> dict:
    """What redraws the draft's column, its unit view and its radar series after one positioning, in the
    browser: the badge of every positioning, and each axis's vertex and marker for every positioning."""
    draft = history.loc[history["status"] == "draft", "column"]
    kit = {"badges": {key: bilan_document.positioning_badge(level, objective) for key, level, objective in VARIANTS}}
    if not draft.empty:
        kit["radar"] = radar.newest_series_kit(axes, str(draft.iloc[0]), VARIANTS)
    return kit
