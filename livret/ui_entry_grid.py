"""The result-entry grid of page « Saisie » (streamlit-aggrid): a UI-helper module (Streamlit).

One row per learner, one column per criterion (grouped by competency). A cell holds one of the six
result codes, coloured like the dashboard. The cell editor is a small popup list of the codes with
their colour and label: type the code (« R », « T »), move with the arrows, Enter confirms and goes
down to the next learner; Backspace then Enter empties a cell.

Saving: every cellValueChanged sends the grid back to Streamlit, and the grid's callback (run
before the page script) writes at once the cells that changed since the grid last reported, through
entry.save_results. Only changed cells are written, so two people entering different cells of the
same evaluation do not overwrite each other, and a rerun with the same grid writes nothing."""

from __future__ import annotations

import html
import json

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid, DataReturnMode, JsCode

from livret import entry, ui
from livret.codes import RESULT_LEVELS
from livret.errors import LivretError
from livret.french import time_text

LEARNER_FIELD = "learner_id"
NAME_FIELD = "Apprenant"
STATE_PREFIX = "saisie_grid"

# Text colour that stays readable on each level's background.
_TEXT_ON = {"NA": "#ffffff", "PR": "#1b1b1b", "RA": "#1b1b1b", "RT": "#ffffff", "NV": "#ffffff", "AB": "#ffffff"}

_EDITOR_JS = """
class ResultCodeEditor {
  init(params) {
    this.params = params;
    this.options = params.options;
    this.original = params.value == null ? null : params.value;
    this.gui = document.createElement('div');
    this.gui.className = 'lv-editor';
    this.input = document.createElement('input');
    this.input.className = 'lv-editor-input';
    this.input.setAttribute('aria-label', 'Code du résultat');
    this.input.setAttribute('maxlength', '2');
    this.input.setAttribute('autocomplete', 'off');
    this.list = document.createElement('div');
    this.list.className = 'lv-editor-list';
    this.list.setAttribute('role', 'listbox');
    this.items = this.options.map((option, i) => {
      const item = document.createElement('div');
      item.className = 'lv-editor-item';
      item.setAttribute('role', 'option');
      item.dataset.code = option.code;
      const chip = document.createElement('span');
      chip.className = 'lv-chip ' + option.css;
      chip.textContent = option.code || '\u2014';
      const text = document.createElement('span');
      text.textContent = option.label;
      item.appendChild(chip);
      item.appendChild(text);
      item.addEventListener('mousedown', (event) => {
        event.preventDefault();
        this.index = i;
        this.params.stopEditing();
      });
      this.list.appendChild(item);
      return item;
    });
    this.gui.appendChild(this.input);
    this.gui.appendChild(this.list);
    const key = params.eventKey;
    this.typed = !!(key && key.length === 1);
    if (this.typed) {
      this.input.value = key.toUpperCase();
    } else if (key === 'Backspace' || key === 'Delete') {
      this.input.value = '';
    } else {
      this.input.value = this.original || '';
    }
    this.index = this.match(this.input.value);
    this.input.addEventListener('input', () => {
      this.input.value = this.input.value.toUpperCase();
      this.index = this.match(this.input.value);
      this.paint();
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      const n = this.items.length;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      this.index = this.index < 0 ? (step > 0 ? 0 : n - 1) : (this.index + step + n) % n;
      this.input.value = this.options[this.index].code;
      this.paint();
    });
    this.paint();
  }
  match(text) {
    const typed = (text || '').trim().toUpperCase();
    if (!typed) {
      return 0;
    }
    const exact = this.options.findIndex((o) => o.code === typed);
    if (exact >= 0) {
      return exact;
    }
    return this.options.findIndex((o) => o.code && o.code.startsWith(typed));
  }
  paint() {
    this.items.forEach((item, i) => {
      item.classList.toggle('lv-active', i === this.index);
      item.setAttribute('aria-selected', i === this.index ? 'true' : 'false');
    });
  }
  getGui() {
    return this.gui;
  }
  afterGuiAttached() {
    this.input.focus();
    if (!this.typed) {
      this.input.select();
    }
  }
  getValue() {
    if (this.index < 0) {
      return this.original;
    }
    return this.options[this.index].code || null;
  }
  isCancelAfterEnd() {
    return this.index < 0;
  }
  isPopup() {
    return true;
  }
}
"""


def criterion_field(criterion_id: int) -> str:
    return f"c{int(criterion_id)}"


def _field_criterion(field: str) -> int | None:
    return int(field[1:]) if field.startswith("c") and field[1:].isdigit() else None


def grid_frame(table: pd.DataFrame) -> pd.DataFrame:
    """entry.result_table with criterion columns named c<id> (AG Grid field names must be strings)."""
    frame = table.rename(columns={c: criterion_field(c) for c in table.columns if isinstance(c, int)})
    return frame.astype(object).where(frame.notna(), None)


def cells_from_grid(data: pd.DataFrame | None) -> dict[entry.Cell, str | None]:
    """{(learner_id, criterion_id): code or None} of every cell of a grid frame."""
    cells: dict[entry.Cell, str | None] = {}
    if data is None or LEARNER_FIELD not in data.columns:
        return cells
    fields = {f: _field_criterion(str(f)) for f in data.columns}
    for record in data.to_dict("records"):
        learner = record.get(LEARNER_FIELD)
        if learner is None or pd.isna(learner):
            continue
        for field, criterion in fields.items():
            if criterion is None:
                continue
            value = record.get(field)
            if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
                value = None
            cells[(int(learner), criterion)] = value
    return cells


def changed_cells(before: dict, after: dict) -> dict:
    """The cells of after whose value differs from before (a cell missing from before counts as empty)."""
    return {cell: value for cell, value in after.items() if before.get(cell) != value}


def grid_css() -> dict:
    css = {
        ".ag-cell.lv-cell": {"text-align": "center", "font-weight": "600"},
        ".lv-editor": {"background": "#ffffff", "border": "1px solid #9e9e9e", "border-radius": "4px",
                       "box-shadow": "0 4px 12px rgba(0,0,0,.2)", "min-width": "250px", "font-size": "14px"},
        ".lv-editor-input": {"width": "100%", "box-sizing": "border-box", "padding": "4px 6px",
                             "border": "none", "border-bottom": "1px solid #ddd", "font-weight": "600",
                             "text-transform": "uppercase", "outline": "none"},
        ".lv-editor-item": {"display": "flex", "gap": "8px", "align-items": "center", "padding": "3px 6px",
                            "cursor": "pointer"},
        ".lv-editor-item.lv-active": {"background": "#e3ecfa", "outline": "2px solid #2f6fdb"},
        ".lv-chip": {"display": "inline-block", "min-width": "30px", "text-align": "center", "font-weight": "700",
                     "border-radius": "3px", "padding": "1px 4px", "border": "1px solid #ccc"},
    }
    for level in RESULT_LEVELS:
        colours = {"background-color": f"{level.colour} !important", "color": f"{_TEXT_ON[level.code]} !important"}
        css[f".ag-cell.{level.css}"] = colours
        css[f".lv-chip.{level.css}"] = colours
    return css


def grid_options(criteria: pd.DataFrame, *, editable: bool) -> dict:
    """AG Grid options: learner names pinned left, one column per criterion grouped by competency."""
    options = [{"code": "", "label": "Aucun résultat (case vide)", "css": ""}]
    options += [{"code": lv.code, "label": lv.label, "css": lv.css} for lv in RESULT_LEVELS]
    labels = {lv.code: f"{lv.code} — {lv.label}" for lv in RESULT_LEVELS}
    class_rules = {lv.css: JsCode(f"function(p) {{ return p.value === '{lv.code}'; }}") for lv in RESULT_LEVELS}
    tooltip = JsCode(f"function(p) {{ const labels = {json.dumps(labels, ensure_ascii=False)}; "
                     "return p.value ? labels[p.value] : 'Aucun résultat'; }")
    editor = JsCode(_EDITOR_JS)
    suppress_arrows = JsCode(
        "function(p) { return p.editing && (p.event.key === 'ArrowUp' || p.event.key === 'ArrowDown'); }")
    groups = []
    for competency, rows in criteria.groupby("competency", sort=False):
        children = [{
            "field": criterion_field(row.id),
            "headerName": row.label,
            "headerTooltip": f"{row.label} — {row.text}",
            "width": 86,
            "editable": editable,
            "cellEditor": editor,
            "cellEditorPopup": True,
            "cellEditorParams": {"options": options},
            "cellClass": "lv-cell",
            "cellClassRules": class_rules,
            "tooltipValueGetter": tooltip,
            "suppressKeyboardEvent": suppress_arrows,
            "sortable": False,
        } for row in rows.itertuples()]
        groups.append({"headerName": str(competency), "headerTooltip": f"{competency} - {rows.iloc[0].competency_title}",
                       "children": children})
    return {
        "columnDefs": [
            {"field": LEARNER_FIELD, "hide": True},
            {"field": NAME_FIELD, "headerName": "Apprenant", "pinned": "left", "width": 210, "editable": False,
             "sortable": False},
            *groups,
        ],
        "defaultColDef": {"resizable": True, "suppressMovable": True, "filter": False},
        "enterNavigatesVertically": True,
        "enterNavigatesVerticallyAfterEdit": True,
        "stopEditingWhenCellsLoseFocus": True,
        "singleClickEdit": False,
        "tooltipShowDelay": 400,
        "suppressDragLeaveHidesColumns": True,
        "rowHeight": 32,
    }


def grid_key(evaluation_id: int, editable: bool) -> str:
    """The grid's widget key; changed by reset_grid() to show what another action wrote."""
    revision = st.session_state.get(f"{STATE_PREFIX}_revision_{evaluation_id}", 0)
    return f"{STATE_PREFIX}_{evaluation_id}_{revision}_{int(editable)}"


def reset_grid(evaluation_id: int) -> None:
    """Remount the grid from the database (after filling a column, marking an absence, editing the header).

    The grid keeps its own copy of the data once edited, so a new key is the way to show new data."""
    name = f"{STATE_PREFIX}_revision_{evaluation_id}"
    st.session_state[name] = st.session_state.get(name, 0) + 1


def status_key(evaluation_id: int) -> str:
    return f"{STATE_PREFIX}_status_{evaluation_id}"


def _on_grid_change(response, *, evaluation_id: int, key: str, confirm_locked: bool) -> None:
    """Save the cells edited since the grid last reported (runs before the page script)."""
    base_name, edited_name = f"{key}_base", f"{key}_edited"
    cells = cells_from_grid(response.data)
    changes = changed_cells(st.session_state.get(base_name, {}), cells)
    st.session_state[edited_name] = True
    try:
        written = entry.save_results(ui.database(), ui.current_user(), evaluation_id, changes,
                                     confirm_locked=confirm_locked)
    except LivretError as error:
        st.session_state[status_key(evaluation_id)] = ("error", str(error))
        reset_grid(evaluation_id)  # show the stored values again rather than the refused ones
        return
    st.session_state[base_name] = cells
    if written:
        now = time_text()
        st.session_state[status_key(evaluation_id)] = (
            "saved", f"Enregistré à {now} ({written} résultat{'s' if written > 1 else ''} modifié"
                     f"{'s' if written > 1 else ''}).")


def result_grid(db, user, evaluation_id: int, criteria: pd.DataFrame, *, editable: bool,
                confirm_locked: bool) -> None:
    """Show the entry grid of an evaluation; edits are saved as they are made."""
    frame = grid_frame(entry.result_table(db, user, evaluation_id))
    key = grid_key(evaluation_id, editable)
    if not st.session_state.get(f"{key}_edited"):
        # Until its first edit the grid follows the data it is given, so that is the base to compare with.
        st.session_state[f"{key}_base"] = cells_from_grid(frame)
    AgGrid(
        frame,
        gridOptions=grid_options(criteria, editable=editable),
        height=min(120 + 32 * len(frame), 900),
        key=key,
        update_on=["cellValueChanged"],
        data_return_mode=DataReturnMode.AS_INPUT,
        allow_unsafe_jscode=True,
        custom_css=grid_css(),
        theme="streamlit",
        callback=lambda response: _on_grid_change(response, evaluation_id=evaluation_id, key=key,
                                                  confirm_locked=confirm_locked),
        show_toolbar=False,
    )


def legend_html() -> str:
    """The six result codes with their colour and label (text is escaped)."""
    chips = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:4px;margin-right:14px">'
        f'<span style="background:{lv.colour};color:{_TEXT_ON[lv.code]};font-weight:700;border-radius:3px;'
        f'padding:0 6px">{html.escape(lv.code)}</span>{html.escape(lv.label)}</span>'
        for lv in RESULT_LEVELS
    )
    return f'<div aria-label="Légende des codes" style="font-size:0.85rem;line-height:2">{chips}</div>'
