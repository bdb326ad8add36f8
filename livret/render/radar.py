"""The radar chart of a learner's last two bilans (SPEC B2): pure functions from data to a chart.

One axis per competency, ordered by activity domain so each domain is a labelled sector. Levels 1–4
sit on rings 1–4; a competency not evaluated (NE) sits on its own small dashed ring near the centre,
drawn as a cross, so it never reads as level 1. The geometry gives the inline SVG shown in the app and
embedded in the documents (radar_svg): no chart library runs to show it."""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from livret.codes import ACQUISITION_BY_LEVEL, NOT_EVALUATED_LABEL, NOT_EVALUATED_SHORT, OBJECTIVES

NE_RADIUS = 0.45
MAX_RADIUS = 4
SPOKE_RADIUS = 4.35
LABEL_RADIUS = 4.8
DOMAIN_RADIUS = 5.3
EXTENT_Y = 6.4
WIDTH, HEIGHT = 620, 500
SERIES_COLOURS = ("#1f4e9c", "#e07b00")  # newest bilan, the one before
SERIES_DASHES = ((1, 0), (6, 4))
DOMAIN_COLOURS = ("#4c78a8", "#54a24b", "#b279a2", "#e45756", "#9d755d", "#72b7b2", "#eeca3b")
RING_LABELS = ((NE_RADIUS, NOT_EVALUATED_SHORT), *((lv, ACQUISITION_BY_LEVEL[lv].short) for lv in (1, 2, 3, 4)))

AXES_COLUMNS = ["code", "title", "domain", "domain_title", "domain_order", "axis", "angle", "x_end", "y_end",
                "x_label", "y_label"]
POINT_COLUMNS = ["bilan", "bilan_order", "code", "title", "domain_title", "axis", "angle", "level", "objective",
                 "evaluated", "radius", "x", "y", "positioning"]


def _xy(radius: float, angle: float) -> tuple[float, float]:
    # Angle 0 points up and grows clockwise, as in Vega-Lite's arc marks.
    return radius * math.sin(angle), radius * math.cos(angle)


def radar_axes(competencies: pd.DataFrame) -> pd.DataFrame:
    """One axis per competency (columns code, title, domain, domain_title, domain_order, position),
    sorted by domain then référentiel position; angle in radians from the top, clockwise."""
    if competencies.empty:
        return pd.DataFrame(columns=AXES_COLUMNS)
    axes = competencies.sort_values(["domain_order", "position"]).reset_index(drop=True)
    step = 2 * math.pi / len(axes)
    rows = []
    for index, comp in axes.iterrows():
        angle = index * step
        x_end, y_end = _xy(SPOKE_RADIUS, angle)
        x_label, y_label = _xy(LABEL_RADIUS, angle)
        rows.append({
            "code": comp["code"], "title": comp["title"], "domain": comp["domain"],
            "domain_title": comp["domain_title"], "domain_order": int(comp["domain_order"]), "axis": index,
            "angle": angle, "x_end": x_end, "y_end": y_end, "x_label": x_label, "y_label": y_label,
        })
    return pd.DataFrame(rows, columns=AXES_COLUMNS)


def domain_sectors(axes: pd.DataFrame) -> pd.DataFrame:
    """Each domain's sector: start and end angles (half a step either side of its axes), a label point."""
    columns = ["domain_title", "domain_order", "start", "end", "x_label", "y_label", "x_edge", "y_edge", "colour"]
    if axes.empty:
        return pd.DataFrame(columns=columns)
    step = 2 * math.pi / len(axes)
    rows = []
    for number, (_, group) in enumerate(axes.groupby("domain_order", sort=True)):
        start = group["angle"].min() - step / 2
        end = group["angle"].max() + step / 2
        x_label, y_label = _xy(DOMAIN_RADIUS, (start + end) / 2)
        x_edge, y_edge = _xy(LABEL_RADIUS + 0.3, start)
        rows.append({
            "domain_title": group["domain_title"].iloc[0], "domain_order": int(group["domain_order"].iloc[0]),
            "start": start, "end": end, "x_label": x_label, "y_label": y_label, "x_edge": x_edge, "y_edge": y_edge,
            "colour": DOMAIN_COLOURS[number % len(DOMAIN_COLOURS)],
        })
    return pd.DataFrame(rows, columns=columns)


_PPU = HEIGHT / (2 * EXTENT_Y)
_CX, _CY = WIDTH / 2, HEIGHT / 2


def _pixel(x: float, y: float) -> str:
    """A point of the chart's plane as « x,y » in the SVG's pixels."""
    return f"{_CX + x * _PPU:.1f},{_CY - y * _PPU:.1f}"


def _marker(order: int, code: str, x: float, y: float, evaluated: bool, objective, title: str) -> str:
    """A bilan's point on an axis: a cross for NE, a full dot for objectifs terminaux, a hollow one for
    intermédiaires; series order 0 is the newest bilan."""
    colour = SERIES_COLOURS[order % 2]
    mx, my = (float(v) for v in _pixel(x, y).split(","))
    hooks = f'data-series="{order}" data-code="{escape(code)}"'
    tip = f"<title>{escape(title)}</title>"
    if not evaluated:
        return (f'<path d="M{mx - 5:.1f},{my - 5:.1f} L{mx + 5:.1f},{my + 5:.1f} M{mx - 5:.1f},{my + 5:.1f} '
                f'L{mx + 5:.1f},{my - 5:.1f}" stroke="{colour}" stroke-width="2" {hooks}>{tip}</path>')
    fill = colour if objective == "terminal" else "white"
    return (f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="4.5" fill="{fill}" stroke="{colour}" stroke-width="2" '
            f'{hooks}>{tip}</circle>')


def newest_series_kit(axes: pd.DataFrame, column: str, variants: list[tuple[str, int | None, str | None]]) -> dict:
    """What redraws the newest series (the draft's) after one positioning, without the server: the axes'
    codes in drawing order, and for each code and variant (key, level, objective) its vertex and marker,
    drawn exactly as radar_svg draws them (livret/ui/bilan_sheet.py uses it)."""
    kit: dict = {"order": [], "vertex": {}, "marker": {}}
    for axis in axes.sort_values("axis").itertuples():
        kit["order"].append(axis.code)
        vertices, markers = kit["vertex"].setdefault(axis.code, {}), kit["marker"].setdefault(axis.code, {})
        for key, level, objective in variants:
            x, y = _xy(float(level) if level is not None else NE_RADIUS, axis.angle)
            vertices[key] = _pixel(x, y)
            markers[key] = _marker(0, axis.code, x, y, level is not None, objective,
                                   f"{column} — {axis.code} - {axis.title} : {_positioning_label(level, objective)}")
    return kit


def _positioning_label(level, objective) -> str:
    if level is None or pd.isna(level):
        return NOT_EVALUATED_LABEL
    return f"{ACQUISITION_BY_LEVEL[int(level)].label} ({OBJECTIVES[objective].lower()})"


def radar_data(axes: pd.DataFrame, history: pd.DataFrame, max_bilans: int = 2) -> pd.DataFrame:
    """The points of the newest max_bilans bilans of a history (livret.bilans.bilan_history),
    one row per (bilan, axis); bilan_order 0 is the newest. An empty history gives no point."""
    if history.empty or axes.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    columns = history.drop_duplicates("column").sort_values("column_order")["column"].tolist()[:max_bilans]
    by_code = {axis.code: {"angle": axis.angle, "axis": axis.axis, "domain_title": axis.domain_title}
               for axis in axes.itertuples(index=False)}
    rows = []
    for order, column in enumerate(columns):
        for item in history[history["column"] == column].itertuples():
            if item.code not in by_code:
                continue
            axis = by_code[item.code]
            evaluated = not pd.isna(item.level)
            level = int(item.level) if evaluated else None
            radius = float(level) if evaluated else NE_RADIUS
            x, y = _xy(radius, axis["angle"])
            rows.append({
                "bilan": column, "bilan_order": order, "code": item.code, "title": item.title,
                "domain_title": axis["domain_title"], "axis": int(axis["axis"]), "angle": axis["angle"],
                "level": level, "objective": item.objective if evaluated else None, "evaluated": evaluated,
                "radius": radius, "x": x, "y": y, "positioning": _positioning_label(level, item.objective),
            })
    frame = pd.DataFrame(rows, columns=POINT_COLUMNS).sort_values(["bilan_order", "axis"]).reset_index(drop=True)
    frame["level"] = frame["level"].astype("Int64")
    return frame


def legend_items(points: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """(bilan label, colour, dashed) per bilan drawn, newest first."""
    if points.empty:
        return []
    bilans = points.drop_duplicates("bilan").sort_values("bilan_order")["bilan"].tolist()
    return [(label, SERIES_COLOURS[i % 2], bool(SERIES_DASHES[i % 2][1])) for i, label in enumerate(bilans)]


SVG_LABEL = "Diagramme radar des bilans"


def radar_svg(axes: pd.DataFrame, points: pd.DataFrame, *, label: str = SVG_LABEL, legend: bool = True) -> str:
    """The same radar as inline SVG, for the app's pages and the standalone document (no script needed to
    see it): label names it for screen readers (role="img"); each point, code and domain carries its
    tooltip (<title>). legend=False leaves out the bilans' key under the chart (the page draws its own)."""
    cx, cy, ppu = _CX, _CY, _PPU
    height = HEIGHT + 40 if legend else HEIGHT
    px = _pixel

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" viewBox="0 0 {WIDTH} {height}" '
             f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}">']
    sectors = domain_sectors(axes)
    outer = (LABEL_RADIUS * ppu) + 10
    for sector in sectors.itertuples():
        x0, y0 = cx + outer * math.sin(sector.start), cy - outer * math.cos(sector.start)
        x1, y1 = cx + outer * math.sin(sector.end), cy - outer * math.cos(sector.end)
        large = 1 if sector.end - sector.start > math.pi else 0
        parts.append(f'<path d="M{cx},{cy} L{x0:.1f},{y0:.1f} A{outer:.1f},{outer:.1f} 0 {large} 1 {x1:.1f},{y1:.1f} Z"'
                     f' fill="{sector.colour}" fill-opacity="0.10"><title>{escape(f"Domaine : {sector.domain_title}")}'
                     '</title></path>')
    for radius, label in RING_LABELS:
        dash = ' stroke-dasharray="3 3"' if radius == NE_RADIUS else ""
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="{radius * ppu:.1f}" fill="none" stroke="#b8b8b8"{dash}/>')
        parts.append(f'<text x="{cx + 4}" y="{cy - radius * ppu - 2:.1f}" font-size="10" fill="#555">'
                     f'{escape(label)}</text>')
    for axis in axes.itertuples():
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{px(axis.x_end, axis.y_end).split(",")[0]}" '
                     f'y2="{px(axis.x_end, axis.y_end).split(",")[1]}" stroke="#cfcfcf"/>')
        lx, ly = px(axis.x_label, axis.y_label).split(",")
        parts.append(f'<text x="{lx}" y="{ly}" font-size="12" font-weight="bold" text-anchor="middle" '
                     f'dominant-baseline="middle"><title>{escape(f"{axis.code} - {axis.title}")}</title>'
                     f'{escape(axis.code)}</text>')
    for sector in sectors.itertuples():
        ex, ey = px(sector.x_edge, sector.y_edge).split(",")
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{ex}" y2="{ey}" stroke="#666" stroke-width="1.5"/>')
        lx, ly = px(sector.x_label, sector.y_label).split(",")
        anchor = "start" if sector.x_label > 0.8 else "end" if sector.x_label < -0.8 else "middle"
        parts.append(f'<text x="{lx}" y="{ly}" font-size="13" font-weight="bold" font-style="italic" '
                     f'text-anchor="{anchor}" dominant-baseline="middle" fill="{sector.colour}">'
                     f'{escape(sector.domain_title)}</text>')
    legend_x = 20
    for order, (_, group) in enumerate(points.groupby("bilan_order", sort=True) if not points.empty else []):
        colour, dashes = SERIES_COLOURS[order % 2], SERIES_DASHES[order % 2]
        dash = f' stroke-dasharray="{dashes[0]} {dashes[1]}"' if dashes[1] else ""
        coords = " ".join(px(row.x, row.y) for row in group.itertuples())
        parts.append(f'<polygon points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash} '
                     f'data-series="{order}"/>')
        for row in group.itertuples():
            parts.append(_marker(order, row.code, row.x, row.y, row.evaluated, row.objective,
                                 f"{row.bilan} — {row.code} - {row.title} : {row.positioning}"))
        if not legend:
            continue
        name = group["bilan"].iloc[0]
        parts.append(f'<line x1="{legend_x}" y1="{HEIGHT + 20}" x2="{legend_x + 30}" y2="{HEIGHT + 20}" '
                     f'stroke="{colour}" stroke-width="2.5"{dash}/>')
        parts.append(f'<text x="{legend_x + 36}" y="{HEIGHT + 24}" font-size="12">{escape(str(name))}</text>')
        legend_x += 60 + 7 * len(str(name))
    parts.append("</svg>")
    return "".join(parts)
