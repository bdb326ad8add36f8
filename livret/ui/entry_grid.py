"""The result-entry grid of page « Saisie » (streamlit-aggrid): a UI-helper module (Streamlit).

One row per learner, one column per criterion (grouped by competency). A cell holds one of the six
result codes, coloured like the dashboard. The cell editor is a small popup list of the codes with
their colour and label: type the whole code (« RA », « rt »), or move with the arrows; Enter confirms
and goes down to the next learner; Backspace then Enter empties a cell. Anything else (« R », « RTX »)
is refused in the grid with a message naming the six codes, and the cell keeps its value.

Nothing typed may be lost while the page reruns after each save, so:
- the grid gets its rows once, when it is mounted (they travel inside gridOptions, which the component
  never reapplies, instead of as data, which it reloads whenever it changes): a rerun cannot replace
  what is on screen, or cells being typed, with an older copy;
- the grid reports the journal of every edit made since it was mounted (cumulative, numbered), not
  its whole content: the callback (run before the page script) writes the edits it has not written
  yet through evaluations.save_results, so a report that is coalesced with the next one, or delivered
  twice, still writes each edit once; and since only cells the user edited are written, two people
  entering different cells of the same evaluation do not overwrite each other.
A grid shows what others wrote when it is mounted again (reset_grid, or on opening the evaluation)."""

from __future__ import annotations

import html
import json

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid, DataReturnMode, JsCode

from livret import evaluations, ui
from livret.codes import CONTRAST_PATTERNS, RESULT_LEVELS
from livret.errors import LivretError
from livret.french import time_text

LEARNER_FIELD = "learner_id"
NAME_FIELD = "Apprenant"
STATE_PREFIX = "saisie_grid"

# One expression (the component evaluates `return <code>`): the editor class, with its message helper.
_EDITOR_JS = """
(function () {
function lvNotice() {
  // One message line per grid, above the rows; role=alert so that it is read out when it appears.
  let notice = document.getElementById('lv-notice');
  if (!notice) {
    notice = document.createElement('div');
    notice.id = 'lv-notice';
    notice.className = 'lv-notice';
    notice.setAttribute('role', 'alert');
    notice.hidden = true;
    notice.addEventListener('click', () => { notice.hidden = true; });
    document.body.appendChild(notice);
  }
  return notice;
}
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
    // No maxlength: « RTX » must reach the check and be refused, not be cut to « RT ».
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
      if (event.key === 'Enter' && this.index < 0) {
        // Refused: stay on this learner (no move down), so the code can be typed again at once.
        event.preventDefault();
        event.stopPropagation();
        this.params.stopEditing(true);
        this.keepFocus();
        return;
      }
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
  keepFocus() {
    // AG Grid gives the focus back to the cell after an edit, but under load a cancelled popup edit could
    // leave it on the page's body: the code typed next would then go nowhere, unseen.
    const { api, rowIndex, column, eGridCell } = this.params;
    api.setFocusedCell(rowIndex, column);
    if (eGridCell && eGridCell.isConnected) {
      eGridCell.focus();
    }
  }
  typedText() {
    return (this.input.value || '').trim().toUpperCase();
  }
  match(text) {
    // Only a whole code: a prefix (« R ») guessed as a code (RA) would store a result nobody entered.
    const typed = (text || '').trim().toUpperCase();
    return this.options.findIndex((o) => o.code === typed);
  }
  refuse() {
    const text = (this.input.value || '').trim();
    const notice = lvNotice();
    notice.textContent = this.params.refusal.split('{code}').join(text);
    notice.hidden = false;
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
    if (this.index < 0) {
      this.refuse();
      return true;
    }
    lvNotice().hidden = true;
    return false;
  }
  isPopup() {
    return true;
  }
}
return ResultCodeEditor;
})()
"""


def criterion_field(criterion_id: int) -> str:
    return f"c{int(criterion_id)}"


def _field_criterion(field: str) -> int | None:
    return int(field[1:]) if field.startswith("c") and field[1:].isdigit() else None


def grid_frame(table: pd.DataFrame) -> pd.DataFrame:
    """evaluations.result_table with criterion columns named c<id> (AG Grid field names must be strings)."""
    frame = table.rename(columns={c: criterion_field(c) for c in table.columns if isinstance(c, int)})
    return frame.astype(object).where(frame.notna(), None)


def _cell_code(value) -> str | None:
    return None if value is None or str(value).strip() == "" else str(value)


def pending_edits(report, applied: tuple[str, int] | None) -> tuple[dict[evaluations.Cell, str | None], tuple[str, int]]:
    """The edits of a grid report not written yet, and what will have been written once they are.

    report is {"mount": id of this grid instance, "edits": [[learner_id, field, code], ...]}: every edit
    since the grid was mounted, oldest first. applied is (mount, count) of the edits already written;
    a new mount starts again from 0. The last edit of a cell wins."""
    if not isinstance(report, dict) or not isinstance(report.get("edits"), list):
        return {}, applied or ("", 0)
    mount = str(report.get("mount", ""))
    edits = report["edits"]
    start = applied[1] if applied and applied[0] == mount else 0
    changes: dict[evaluations.Cell, str | None] = {}
    for edit in edits[start:]:
        if not isinstance(edit, list) or len(edit) != 3:
            continue
        learner, field, code = edit
        criterion = _field_criterion(str(field))
        if criterion is None or learner is None:
            continue
        changes[(int(learner), criterion)] = _cell_code(code)
    return changes, (mount, max(start, len(edits)))


# The grid's report (DataReturnMode.CUSTOM): this function is built once per mounted grid, so the journal
# and the mount id live as long as the grid does. Each report carries the whole journal: one that arrives
# while the page is still running is merged with the next by Streamlit, and nothing is missed.
_JOURNAL_JS = """
(function () {
  const mount = Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  const edits = [];
  return function ({ streamlitRerunEventTriggerName, eventData }) {
    if (streamlitRerunEventTriggerName === 'cellValueChanged' && eventData && eventData.colDef && eventData.data) {
      const value = eventData.newValue;
      edits.push([eventData.data.learner_id, eventData.colDef.field, value == null ? null : String(value)]);
    }
    return { mount: mount, edits: edits.slice() };
  };
})()
"""


def grid_css(contrast: bool = False) -> dict:
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
        ".lv-notice": {"position": "fixed", "top": "0", "left": "0", "right": "0", "z-index": "1000",
                       "background": "#fdecea", "color": "#8a1c12", "border": "1px solid #d62728",
                       "padding": "6px 10px", "font-size": "14px", "font-weight": "600", "cursor": "pointer"},
        ".lv-chip": {"display": "inline-block", "min-width": "30px", "text-align": "center", "font-weight": "700",
                     "border-radius": "3px", "padding": "1px 4px", "border": "1px solid #ccc"},
    }
    for level in RESULT_LEVELS:
        colours = {"background-color": f"{level.colour} !important", "color": f"{level.text} !important"}
        if contrast:  # « Mode contrasté »: the grid lives in its own frame, out of reach of the page's mark
            colours = {"background-color": f"{level.contrast} !important", "color": f"{level.contrast_text} !important",
                       "background-image": f"{CONTRAST_PATTERNS[level.code]} !important"}
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
            "cellEditorParams": {"options": options, "refusal": evaluations.unknown_code_message("{code}")},
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


def _error_key(evaluation_id: int) -> str:
    return f"{STATE_PREFIX}_error_{evaluation_id}"


def _revision(evaluation_id: int) -> int:
    return st.session_state.get(f"{STATE_PREFIX}_revision_{evaluation_id}", 0)


def report_saved(evaluation_id: int, text: str) -> None:
    st.session_state[status_key(evaluation_id)] = text


def report_refusal(evaluation_id: int, text: str) -> None:
    """A refusal stays on screen as long as the grid it concerns, even while later entries are saved
    (a « saved » line replacing it would hide that something typed was not kept)."""
    st.session_state[_error_key(evaluation_id)] = (_revision(evaluation_id), text)


def status(evaluation_id: int) -> tuple[str | None, str | None]:
    """(refusal, last save) to show above the grid of the evaluation."""
    refusal = st.session_state.get(_error_key(evaluation_id))
    shown = refusal[1] if refusal and refusal[0] == _revision(evaluation_id) else None
    return shown, st.session_state.get(status_key(evaluation_id))


def _write_pending(report, *, evaluation_id: int, key: str, confirm_locked: bool) -> bool:
    """Write the edits of the grid's report not written yet; True when there were any (saved or refused).

    Streamlit may stop a callback at any read or write of st.session_state when a newer report arrives:
    the edits are marked written only once they are, so an edit cut off there is written by the next call
    (the callback of that newer report, or the page's own call after the grid)."""
    applied_name = f"{key}_applied"
    changes, applied = pending_edits(report, st.session_state.get(applied_name))
    if not changes:
        return False
    db, user = ui.database(), ui.current_user()
    try:
        written = evaluations.save_results(db, user, evaluation_id, changes, confirm_locked=confirm_locked)
    except LivretError as error:
        st.session_state[applied_name] = applied  # a refused edit is reported once, not tried again
        reset_grid(evaluation_id)  # show the stored values again rather than the refused ones
        plural = "s" if len(changes) > 1 else ""
        report_refusal(evaluation_id, f"Non enregistré{plural} ({len(changes)} case{plural}) : {error} "
                                      "La grille montre de nouveau les résultats enregistrés.")
        return True
    st.session_state[applied_name] = applied
    if written:
        plural = "s" if written > 1 else ""
        report_saved(evaluation_id, f"Enregistré à {time_text()} ({written} résultat{plural} modifié{plural}).")
    return True


def _on_grid_change(response, *, evaluation_id: int, key: str, confirm_locked: bool) -> None:
    """Write the edits the grid made since its last report (runs before the page script)."""
    _write_pending(getattr(response, "raw_data", None), evaluation_id=evaluation_id, key=key,
                   confirm_locked=confirm_locked)


def result_grid(db, user, evaluation_id: int, criteria: pd.DataFrame, *, editable: bool,
                confirm_locked: bool, contrast: bool = False) -> None:
    """Show the entry grid of an evaluation; edits are saved as they are made."""
    frame = grid_frame(evaluations.result_table(db, user, evaluation_id))
    key = grid_key(evaluation_id, editable)
    response = AgGrid(
        frame,
        gridOptions=grid_options(criteria, editable=editable),
        height=min(120 + 32 * len(frame), 900),
        key=key,
        update_on=["cellValueChanged"],
        data_return_mode=DataReturnMode.CUSTOM,
        custom_jscode_for_grid_return=JsCode(_JOURNAL_JS),
        # The rows then travel inside gridOptions (as JSON), which the component reads when it mounts and
        # never again (see the module docstring); as data they would be reloaded over cells being typed.
        use_json_serialization=True,
        allow_unsafe_jscode=True,
        custom_css=grid_css(contrast),
        theme="streamlit",
        callback=lambda response: _on_grid_change(response, evaluation_id=evaluation_id, key=key,
                                                  confirm_locked=confirm_locked),
        show_toolbar=False,
    )
    # An edit whose callback was cut off, and that no newer report followed, is written here.
    if _write_pending(getattr(response, "raw_data", None), evaluation_id=evaluation_id, key=key,
                      confirm_locked=confirm_locked):
        st.rerun()  # show its « Enregistré » line (or its refusal) above the grid


def legend_html(contrast: bool = False) -> str:
    """The six result codes with their colour and label (text is escaped)."""
    def look(lv) -> str:
        if contrast:
            return f"background:{lv.contrast};background-image:{CONTRAST_PATTERNS[lv.code]};color:{lv.contrast_text}"
        return f"background:{lv.colour};color:{lv.text}"

    chips = "".join(
        f'<span style="display:inline-flex;align-items:center;gap:4px;margin-right:14px">'
        f'<span style="{look(lv)};font-weight:700;border-radius:3px;'
        f'padding:0 6px">{html.escape(lv.code)}</span>{html.escape(lv.label)}</span>'
        for lv in RESULT_LEVELS
    )
    return f'<div aria-label="Légende des codes" style="font-size:0.85rem;line-height:2">{chips}</div>'
