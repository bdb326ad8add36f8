"""The dashboard's competency grid in the page, with its positioning dialog: one components-v2 element.

Why an element of our own rather than Streamlit's widgets:
- st.html runs DOMPurify in the browser on every new body: for the grid (thousands of cells, each with
  its tooltip and data attributes) it was the largest part of the time a « Suivant → » click took. The
  grid's HTML is built by livret.render from escaped text only, so it is trusted markup set directly.
  Each competency's block is kept apart: a rerun replaces only the blocks whose HTML changed.
- Positioning is the act teachers repeat most (13 competencies × 25 learners before a class council).
  A st.dialog needs a server round trip to open and another to move to the next competency. Here the
  dialog is drawn in the browser from HTML the server rendered with the grid (livret.render.
  positioning_dialog: the proposition and its evidence for every competency), so « ? », « Précédente »
  and « Suivante » show it at once. A click on a level is sent by a second, invisible element in a
  fragment of its own (positioning_saver): its callback writes the choice (livret.bilans, which checks
  the user) and its answer is the competency's button as now stored, so saving a level reruns neither
  the page nor the grid. Until the answer arrives, the button shows the level chosen, dashed (being
  saved); if the write is refused, the answer puts the stored state back and the page says why.
- The dialog is a native <dialog> shown as a modal by livret/ui/modal.py (not showModal(), which restyles
  the whole grid): focus stays in it, Échap closes it and gives the focus to the « ? » of the competency
  it shows; arrows move between the choices; after a choice the focus goes to the next
  competency's « ? », so a learner's 13 competencies are positioned in one pass from the keyboard."""

from __future__ import annotations

import json

import streamlit as st

from livret import bilans, dashboard, preferences, ui
from livret.errors import LivretError
from livret.render import grid, positioning_dialog
from livret.ui import flash, modal

COMPONENT = "livret_grid"
# data.parts: [[key, html], ...] (legend and jump list, then one block per competency); data.dialogs:
# {code: {head, evidence}}; data.choices: the choice table; data.target: what the buttons edit.
_JS = modal.MODAL_JS + """
const ORDER = ["lv-acq-1", "lv-acq-2", "lv-acq-3", "lv-acq-4", "lv-full", "lv-half", "lv-ne", "lv-saving"];

function parts(host, data) {
  const keys = data.parts.map((part) => part[0]).join("|");
  if (host.lvKeys !== keys) {
    host.replaceChildren();
    host.lvParts = new Map();
    for (const [key, html] of data.parts) {
      const box = document.createElement("div");
      box.className = "lv-part";
      box.innerHTML = html;
      host.appendChild(box);
      host.lvParts.set(key, { box, html });
    }
    host.lvKeys = keys;
  } else {
    for (const [key, html] of data.parts) {
      const part = host.lvParts.get(key);
      if (part.html !== html) {
        part.box.innerHTML = html;
        part.html = html;
      }
    }
  }
}

function askButtons(host) {
  return [...host.querySelectorAll("button.lv-ask")];
}

function buildDialog(title) {
  const dialog = document.createElement("dialog");
  dialog.className = "lv-dialog lv-modal";
  dialog.setAttribute("aria-labelledby", "lv-dialog-title");
  dialog.innerHTML = '<h2 id="lv-dialog-title"></h2>'
    + '<div class="lv-dlg-head"></div><p class="lv-dlg-target"></p><p class="lv-dlg-current"></p>'
    + '<div class="lv-dlg-choices"></div>'
    + '<div class="lv-dlg-nav"><button type="button" class="lv-nav" data-step="-1">\\u2190 Précédente</button>'
    + '<button type="button" class="lv-nav" data-step="1">Suivante \\u2192</button>'
    + '<button type="button" class="lv-close">Fermer</button></div>'
    + '<div class="lv-dlg-evidence"></div>';
  dialog.querySelector("h2").textContent = title;
  return lvPortal(dialog);
}

function focusChoice(dialog, row, col) {
  const button = dialog.querySelector(`.lv-choice[data-row="${row}"][data-col="${col}"]`)
    || dialog.querySelector(`.lv-choice[data-row="${row}"][data-col="0"]`);
  if (button) button.focus();
}

export default function ({ data, parentElement, setTriggerValue }) {
  let host = parentElement.querySelector(":scope > div.lv-host");
  if (!host) {
    host = document.createElement("div");
    host.className = "lv-host";
    parentElement.appendChild(host);
  }
  if (host.dataset.learner !== data.learner) host.classList.remove("lv-laid-out");
  parts(host, data);
  host.dataset.learner = data.learner;
  const legend = host.querySelector("details.lv-legend-box");
  if (legend) {
    // Open or folded is the user's choice, kept for the next pages and sessions.
    legend.ontoggle = () => { if (legend.open !== data.legendOpen) setTriggerValue("legend", legend.open); };
  }
  const dialog = document.body.querySelector(":scope > dialog.lv-dialog") || buildDialog(data.title);
  if (dialog.lvChoices !== data.choices) {
    dialog.querySelector(".lv-dlg-choices").innerHTML = data.choices;
    dialog.lvChoices = data.choices;
  }

  const open = (code) => {
    const content = data.dialogs[code];
    const ask = host.querySelector(`button.lv-ask[data-competency="${CSS.escape(code)}"]`);
    if (!content || !ask) return;
    dialog.dataset.competency = code;
    dialog.querySelector(".lv-dlg-head").innerHTML = content.head;
    dialog.querySelector(".lv-dlg-evidence").innerHTML = content.evidence;
    dialog.querySelector(".lv-dlg-target").textContent = data.target;
    dialog.querySelector(".lv-dlg-current").textContent = "Positionnement actuel : " + ask.dataset.state;
    const proposition = dialog.querySelector(".lv-prop[data-proposed]");
    const proposed = proposition ? proposition.dataset.proposed : null;
    for (const row of dialog.querySelectorAll(".lv-choices tr[data-level]")) {
      const tag = row.querySelector(".lv-prop-tag");
      if (tag) tag.hidden = row.dataset.level !== proposed;
      row.classList.toggle("lv-proposed", row.dataset.level === proposed);
    }
    let current = null;
    for (const button of dialog.querySelectorAll(".lv-choice")) {
      const chosen = ask.dataset.level !== undefined && button.dataset.level === ask.dataset.level
        && button.dataset.objective === ask.dataset.objective;
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
      if (chosen) current = button;
    }
    const codes = askButtons(host).map((b) => b.dataset.competency);
    const index = codes.indexOf(code);
    dialog.querySelector('.lv-nav[data-step="-1"]').disabled = index <= 0;
    dialog.querySelector('.lv-nav[data-step="1"]').disabled = index >= codes.length - 1;
    lvShowModal(dialog);
    dialog.scrollTop = 0;
    // The proposition is only where the focus starts: nothing is saved without a click or Enter.
    const start = proposed
      ? dialog.querySelector(`.lv-choice[data-level="${proposed}"][data-objective="${proposition.dataset.objective}"]`)
      : current || dialog.querySelector(".lv-choice");
    if (start) start.focus();
  };

  const choose = (button) => {
    const code = dialog.dataset.competency;
    const ask = host.querySelector(`button.lv-ask[data-competency="${CSS.escape(code)}"]`);
    const level = button.dataset.level ? Number(button.dataset.level) : null;
    const objective = button.dataset.objective || null;
    window.livretPosition({ competency: code, level, objective, bilan: data.bilan });
    // The block on screen no longer matches the HTML it was drawn from: the next grid sent redraws it.
    const part = host.lvParts.get(code);
    if (part) part.html = null;
    const buttons = askButtons(host);
    const next = buttons[buttons.indexOf(ask) + 1] || ask;
    if (ask) {
      ask.classList.remove(...ORDER);
      ask.classList.add("lv-saving", ...[...button.classList].filter((c) => ORDER.includes(c)));
      ask.textContent = button.textContent.split(" \\u00b7 ")[0];
      ask.setAttribute("aria-busy", "true");
    }
    lvCloseModal(dialog, false);
    if (next) {
      next.focus({ preventScroll: true });
      next.scrollIntoView({ block: "nearest" });
    }
  };

  host.onclick = (event) => {
    const button = event.target.closest("button.lv-ask");
    if (button && host.contains(button)) open(button.dataset.competency);
  };
  host.onchange = (event) => {
    const select = event.target.closest("select.lv-jump-select");
    if (!select || !select.value) return;
    const block = document.getElementById(select.value);
    if (block) {
      // Blocks out of view are laid out only when they come near (content-visibility), which would move
      // the target while the page scrolls to it: every block is laid out first, once, for this learner.
      host.classList.add("lv-laid-out");
      block.scrollIntoView({ block: "start" });
    }
    select.value = "";  // a menu, not a filter: the same competency can be chosen again
  };
  // Échap, or a click on the shade: closed, the focus on the « ? » of the competency shown.
  dialog.oncancel = () => {
    lvCloseModal(dialog, false);
    const ask = host.querySelector(`button.lv-ask[data-competency="${CSS.escape(dialog.dataset.competency)}"]`);
    if (ask) ask.focus({ preventScroll: true });
  };
  dialog.onclick = (event) => {
    const choice = event.target.closest(".lv-choice");
    if (choice) { choose(choice); return; }
    const step = event.target.closest(".lv-nav");
    if (step) {
      const codes = askButtons(host).map((b) => b.dataset.competency);
      const target = codes[codes.indexOf(dialog.dataset.competency) + Number(step.dataset.step)];
      if (target) open(target);
      return;
    }
    if (event.target.closest(".lv-close")) dialog.oncancel();
  };
  dialog.onkeydown = (event) => {
    const choice = event.target.closest && event.target.closest(".lv-choice");
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!choice || !moves[event.key]) return;
    event.preventDefault();
    const [rows, cols] = moves[event.key];
    const last = dialog.querySelectorAll(".lv-choices tbody tr").length - 1;
    const row = Math.min(last, Math.max(0, Number(choice.dataset.row) + rows));
    const col = Math.min(1, Math.max(0, Number(choice.dataset.col) + cols));
    focusChoice(dialog, row, col);
  };
}
"""


def show_grid(view, learner_id: int, key: str, *, target: str, bilan_id: int | None, legend_open: bool = True,
              on_legend=None) -> None:
    """Show the learner's grid (view: dashboard.LearnerView) with its positioning dialog, whose choices go
    to the unlocked bilan bilan_id (target says so) or to the draft (None), through the saver element."""
    # Registering the same definition again is a no-op for Streamlit; doing it on each run keeps it
    # registered in every runtime (a server, or each AppTest).
    element = st.components.v2.component(COMPONENT, js=_JS, css=grid.stylesheet_css() + modal.MODAL_CSS,
                                         isolate_styles=False)
    element(data={"parts": grid.page_parts(view.blocks, legend_open), "dialogs": view.dialogs,
                  "choices": positioning_dialog.choices_html(), "learner": str(learner_id), "target": target,
                  "bilan": bilan_id, "title": positioning_dialog.TITLE, "legendOpen": legend_open},
            key=key, on_legend_change=on_legend or _ignore)


def _ignore() -> None:
    """Streamlit keeps a component's trigger only when it has a callback."""


def legend_toggled(key: str) -> bool | None:
    """Whether the grid's legend was opened (True) or folded (False), in the « legend » trigger's callback."""
    state = st.session_state.get(key)
    value = state.get("legend") if isinstance(state, dict) else None
    return value if isinstance(value, bool) else None


SAVER = "livret_positioning_saver"
# A choice made in the grid's dialog is sent by this small element, in a fragment of its own, so that saving
# it reruns neither the page nor the grid: the answer is the chosen competency's button as now stored (the
# level saved, or the one kept when the choice was refused), which replaces the button being saved, and the
# positioning as stored, which the BI dialog's draft column and radar are redrawn from.
_SAVER_JS = """
export default function ({ data, setTriggerValue }) {
  window.livretPosition = (choice) => setTriggerValue("choose", choice);
  const answer = data.answer;
  if (!answer || window.livretAnswered === answer.id) return;
  window.livretAnswered = answer.id;
  const ask = document.querySelector(`.lv-host button.lv-ask[data-competency="${CSS.escape(answer.code)}"]`);
  const drawn = document.createElement("div");
  drawn.innerHTML = answer.button;
  if (ask && drawn.firstElementChild) {
    const focused = document.activeElement === ask;
    ask.replaceWith(drawn.firstElementChild);
    if (focused) document.querySelector(`.lv-host button.lv-ask[data-competency="${CSS.escape(answer.code)}"]`).focus();
  }
  // The BI dialog (livret/ui/bilan_sheet.py) redraws its draft column and radar from the stored positioning.
  window.dispatchEvent(new CustomEvent("livret:positioned", { detail: answer }));
}
"""


def _saver_element(key: str, answer: dict | None, on_choose) -> None:
    """The element that sends the dialog's choices (on_choose runs before its fragment, the choice in
    chosen_positioning(key)) and draws the answer {id, code, learner, button, variant, draft, editing}: the
    chosen competency's button, and its positioning for the BI dialog (dashboard.positioned_answer)."""
    element = st.components.v2.component(SAVER, js=_SAVER_JS, isolate_styles=False)
    element(data={"answer": answer}, key=key, on_choose_change=on_choose)


# ---------------------------------------------------------------- the dashboard's two fragments

GRID_KEY, SAVER_KEY = "tdb_grille", "tdb_enregistrement"
_REFUSED, _ANSWERED = "tdb_positionnement", "tdb_reponse"


def _save_choice(db, user, learner_id: int) -> None:
    # Runs before the saver's fragment, whose answer redraws the competency's button as stored.
    chosen = chosen_positioning(SAVER_KEY)
    if chosen is None:
        return
    code, bilan_id = str(chosen.get("competency")), chosen.get("bilan")
    try:
        bilans.position_competency(db, user, learner_id, code, chosen.get("level"), chosen.get("objective"),
                                   bilan_id if isinstance(bilan_id, int) else None)
    except LivretError as error:
        flash.later(_REFUSED, f"Positionnement non enregistré : {error}", "error")
    answered = st.session_state.get(_ANSWERED)
    st.session_state[_ANSWERED] = ((answered[0] + 1) if answered else 1, learner_id, code)


@ui.fragment
def positioning_saver(db, user, learner_id: int, editing) -> None:
    """Saves the dialog's choices; at the foot of the page (it draws nothing but a refusal, as a toast)."""
    try:
        if dashboard.unlocked_editing(db, user, learner_id) != editing:
            st.rerun()  # a bilan was unlocked or locked again meanwhile: the whole page says so
        flash.show(_REFUSED, toast=True)
        answered, answer = st.session_state.get(_ANSWERED), None
        if answered and answered[1] == learner_id:
            answer = {"id": answered[0], "code": answered[2], "learner": str(learner_id),
                      **dashboard.positioned_answer(db, user, learner_id, answered[2])}
    except LivretError as error:
        ui.show_error(error)
        return
    _saver_element(SAVER_KEY, answer, on_choose=lambda: _save_choice(db, user, learner_id))


@ui.fragment
def competency_grid(db, user, learner_id: int, options: grid.GridOptions, editing) -> None:
    """The learner's grid with its positioning dialog; the legend's folding is kept for the user."""
    try:
        view = dashboard.cached_view(db, user, learner_id, options)
    except LivretError as error:
        ui.show_error(error)
        return
    target = (f"Bilan du {editing.date_label}, déverrouillé : ce choix le modifie." if editing
              else "Ce choix est enregistré dans le brouillon du bilan en cours.")

    def keep_legend() -> None:
        opened = legend_toggled(GRID_KEY)
        if opened is not None:
            preferences.choose(db, user, "legend_open", opened)

    show_grid(view, learner_id, key=GRID_KEY, target=target, bilan_id=editing.bilan_id if editing else None,
              legend_open=ui.user_preferences(user).legend_open, on_legend=keep_legend)


def chosen_positioning(key: str) -> dict | None:
    """The choice a « choose » trigger carried ({competency: code, level, objective, bilan}), in its callback."""
    state = st.session_state.get(key)
    value = state.get("choose") if isinstance(state, dict) else None
    return value if isinstance(value, dict) else None


def grid_html(element) -> str:
    """The HTML a grid element carries (for AppTest: element.proto of a bidi_component)."""
    return "".join(html for _, html in json.loads(element.proto.json)["parts"])


def dialogs(element) -> dict:
    """The dialogs a grid element carries, by competency code (for AppTest)."""
    return json.loads(element.proto.json)["dialogs"]
