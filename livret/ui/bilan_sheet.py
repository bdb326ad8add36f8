"""The « BI » button of the dashboard and its dialog « Bilan de NOM Prénom » (SPEC B2): one components-v2 element.

Why an element of our own rather than st.dialog: a st.dialog is drawn by a rerun whose every widget is a
message the browser handles and a React element it mounts; for this dialog (Constats, Conseils, the
pre-filling buttons, two tables, the radar, the actions and the confirmation form) that took five to six
times the cheapest rerun. Even a rerun of a fragment holding only this element, to fetch the draft when
« BI » is clicked, took 2.3–3× (Streamlit's frontend redraws the whole page for each of its messages). So
the page sends the learner's draft with the page itself (dashboard.cached_bilan_sheet: its tables and
radar rendered from escaped text by livret.render, cached by the learner's version and prepared in the
background with the neighbours), and « BI » shows it at once, in a <dialog>, without a run. A
positioning chosen in the grid's « ? » dialog comes back with its answer (grid_element's saver), and this
element redraws the draft's column, unit view and radar point from the kit the server rendered with the
sheet (every positioning's badge, vertex and marker): nothing is drawn here that livret.render did not.
Every write goes through livret.bilans, which checks the user:
- Constats and Conseils are sent once typing pauses, at once on Échap, « Fermer », a blur or a hidden page,
  so nothing typed is lost; the texts are written with .value only (no HTML), and a page arriving while
  some text is still on its way never overwrites it.
- « Reprendre les positionnements du dernier bilan » and « Appliquer les propositions » fill the draft's
  « ? » and rerun the page, so the grid's blue line shows them; the dialog stays open and says what they did.
- « Confirmer le bilan » refuses a draft without any level, or shows what will be stored « NE » and asks
  for CONFIRMATION; « Créer le bilan » sends the word, the draft and the list shown to the server, which
  refuses if the draft changed meanwhile (another session), then bilans.confirm_bilan. A refusal is shown
  in the dialog with the word kept; a success closes it and the page says so.
The dialog is shown as a modal by livret/ui/modal.py: it keeps the focus while open; Échap closes it and
gives the focus back to « BI ». Its actions stay at
its foot while its content scrolls, so « Confirmer le bilan » is on screen on a 1366×768 laptop."""


from __future__ import annotations

import streamlit as st

from livret import bilans, dashboard, ui
from livret.errors import LivretError
from livret.render import bilan_document, bilan_sheet
from livret.ui import flash, modal
from livret.ui.bilan_dialogs import PREFILL_ACTIONS, PREFILL_HELP

COMPONENT, KEY = "livret_bilan_sheet", "open_bilan"
OPEN_HELP = "Créer le bilan intermédiaire de compétences"
TEXT_PAUSE_MS = 600
RETRY_MS = 4000
TEXT_FIELDS = (("constats", "Constats"), ("conseils", "Conseils"))
TEXTS_NOTE = ("Constats et Conseils apparaîtront sur le bilan et seront visibles de l'apprenant ; "
              "ils sont enregistrés dans le brouillon au fil de la frappe.")
WORD_LABEL = f"Pour créer le bilan, saisissez {bilans.CONFIRMATION_WORD} en lettres majuscules"
LOADING = "Chargement du bilan…"
# What the dialog says of the draft it shows, from its competencies still « ? » ({n}: how many).
DIALOG_TEXTS = {"problem": bilans.NOTHING_POSITIONED_MESSAGE,
                "caption": "{n} compétence(s) sans positionnement : elles seront enregistrées « NE ».",
                "listed": "Compétences non positionnées, enregistrées « NE » ({n}) :"}

# Session keys: the last trigger handled (the dialog then knows its texts, or its request for the draft,
# reached the server), the draft created by the first text typed when there was none (by learner), the
# last message for the dialog, the count of closings asked by the server, and a page rerun asked by a
# callback (a callback cannot rerun the page).
_HANDLED, _DRAFT, _MESSAGE, _CLOSINGS, _RERUN = ("bi_traite", "bi_brouillon", "bi_message", "bi_fermetures",
                                                 "bi_relancer")
_REFUSED = "bi_refus"
CHANGED_MESSAGE = ("Le brouillon a changé depuis son affichage (une autre session l'a modifié) : vérifiez le "
                   "bilan ci-dessus puis confirmez à nouveau.")

_JS = modal.MODAL_JS + """
// An element of the dialog, with its class and properties (text is always set as textContent), in parent.
function make(parent, tag, className, props = {}) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  Object.assign(element, props);
  if (parent) parent.append(element);
  return element;
}

function field(parent, name, label, id) {
  const box = make(parent, "div", "lv-bi-text");
  const tag = make(box, "label", null, { textContent: label, htmlFor: `${id}-${name}` });
  const area = make(box, "textarea", null, { id: tag.htmlFor, rows: 3, placeholder: label });
  area.dataset.name = name;
  return area;
}

function button(parent, label, className, title) {
  return make(parent, "button", className, { type: "button", textContent: label, ...(title ? { title } : {}) });
}

function build(parentElement, data) {
  const id = "lv-bi-" + Math.random().toString(36).slice(2);
  const root = make(null, "div", "lv-bi", { lvCount: Date.now() });
  root.lvOpen = button(root, "BI", "lv-bi-open", data.help);
  root.lvOpen.setAttribute("aria-haspopup", "dialog");
  // A dialog left at the end of the body by an earlier drawing of this element (livret/ui/modal.py) goes.
  for (const stale of document.body.querySelectorAll(":scope > dialog.lv-bilan")) {
    if (stale.lvShade) stale.lvShade.remove();
    stale.remove();
  }
  const dialog = root.lvDialog = make(null, "dialog", "lv-bilan lv-modal");
  dialog.setAttribute("aria-labelledby", id + "-title");
  root.lvTitle = make(dialog, "h2", null, { id: id + "-title" });
  const scroll = make(dialog, "div", "lv-bi-scroll");
  const texts = make(scroll, "div", "lv-bi-texts");
  root.lvAreas = data.fields.map(([name, label]) => field(texts, name, label, id));
  make(texts, "p", "lv-bi-note", { textContent: data.note });
  make(scroll, "h3", null, { textContent: "Bilan des compétences" });
  root.lvPrefill = make(scroll, "div", "lv-bi-prefill");
  for (const [action, label] of data.prefill) button(root.lvPrefill, label, "lv-bi-fill", data.prefillHelp).dataset.action = action;
  root.lvReport = make(scroll, "div", "lv-bi-report");
  root.lvReport.setAttribute("role", "status");
  root.lvCaption = make(scroll, "p", "lv-bi-caption", { hidden: true });
  root.lvBody = make(scroll, "div", "lv-bi-body lv-bilan-view");
  const actions = make(dialog, "div", "lv-bi-actions");
  const buttons = make(actions, "div", "lv-bi-buttons");
  root.lvClose = button(buttons, "Fermer", "lv-bi-close");
  root.lvConfirm = button(buttons, "Confirmer le bilan", "lv-bi-confirm");
  root.lvProblem = make(actions, "div", "lv-bi-problem");
  root.lvProblem.setAttribute("role", "alert");
  const form = root.lvForm = make(actions, "form", "lv-bi-form", { hidden: true });
  form.setAttribute("aria-label", "Confirmation du bilan");
  root.lvListed = make(form, "div", "lv-bi-unpositioned");
  make(form, "label", null, { htmlFor: id + "-word", textContent: data.wordLabel });
  root.lvWord = make(form, "input", null, { id: id + "-word", type: "text", autocomplete: "off", spellcheck: false });
  root.lvCreate = make(form, "button", "lv-bi-create", { type: "submit", textContent: "Créer le bilan" });
  parentElement.append(root);
  lvPortal(dialog);
  return root;
}

function say(box, message) {
  box.replaceChildren();
  if (message) make(box, "p", "lv-bi-msg lv-bi-" + message.kind, { textContent: message.text });
}

// The draft's competencies still « ? », whether one has a level, and what the dialog says of them.
function review(root) {
  const state = root.lvState;
  const unpositioned = root.lvSheet.competencies.filter(([code]) => state[code] === null || state[code] === undefined);
  const hasLevel = Object.values(state).some((v) => v !== null && v !== undefined && v !== "ne");
  return { unpositioned: unpositioned.map(([, label]) => label), problem: hasLevel ? null : root.lvTexts.problem };
}

function showReview(root) {
  const { unpositioned, problem } = review(root);
  root.lvPrefill.hidden = unpositioned.length === 0;
  root.lvCaption.hidden = !(unpositioned.length && !problem);
  root.lvCaption.textContent = root.lvTexts.caption.replace("{n}", unpositioned.length);
  root.lvListed.replaceChildren();
  if (unpositioned.length) {
    make(make(root.lvListed, "p"), "strong", null, { textContent: root.lvTexts.listed.replace("{n}", unpositioned.length) });
    const list = make(root.lvListed, "ul");
    for (const item of unpositioned) make(list, "li", null, { textContent: item });
  }
  if (problem) root.lvForm.hidden = true;
}

// One positioning of the draft drawn again from the kit: its badges (history and unit view) and its radar point.
function redraw(root, code) {
  const kit = root.lvSheet.kit;
  const key = root.lvState[code] || "ne";
  for (const cell of root.lvBody.querySelectorAll(`[data-draft="${CSS.escape(code)}"]`)) cell.innerHTML = kit.badges[key];
  const svg = root.lvBody.querySelector("svg.radar");
  if (!svg || !kit.radar || !kit.radar.marker[code]) return;
  const old = svg.querySelector(`[data-series="0"][data-code="${CSS.escape(code)}"]`);
  const holder = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  holder.innerHTML = kit.radar.marker[code][key];
  if (old && holder.firstElementChild) old.replaceWith(holder.firstElementChild);
  const line = svg.querySelector('polygon[data-series="0"]');
  if (line) line.setAttribute("points", kit.radar.order.map((c) => kit.radar.vertex[c][root.lvState[c] || "ne"]).join(" "));
}

function adopt(root, sheet, acked, switched) {
  root.lvSheet = sheet;
  root.lvState = { ...sheet.state };
  root.lvStale = false;
  root.lvTitle.textContent = sheet.title;
  // A closed dialog holds no bilan (it is drawn when it opens): the page behind stays as light as it was.
  if (root.lvDialog.open) root.lvBody.innerHTML = sheet.body; else root.lvBody.replaceChildren();
  if (switched || sheet.draft !== null || root.lvDraft === undefined) root.lvDraft = sheet.draft;
  // What the teacher typed is kept until the server has it: a page drawn before it arrived holds older texts.
  const waiting = (root.lvSentN || 0) > acked;
  for (const area of root.lvAreas) {
    if (!switched && (waiting || (area.lvTyped && area.value !== area.lvSent))) continue;
    area.value = sheet[area.dataset.name];
    area.lvSent = area.value;
    area.lvTyped = false;
  }
  root.lvPrefill.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  showReview(root);
}

export default function ({ data, parentElement, setTriggerValue }) {
  const root = parentElement.querySelector(":scope > div.lv-bi") || build(parentElement, data);
  const dialog = root.lvDialog;
  root.lvTexts = data.texts;
  const next = () => { root.lvCount += 1; return root.lvCount; };
  // Only the fields typed in are sent: the other keeps what another session wrote.
  const typed = () => Object.fromEntries(root.lvAreas.map((a) => [a.dataset.name, a.lvTyped ? a.value : null]));
  const unsent = () => root.lvAreas.some((a) => a.lvTyped && a.value !== a.lvSent);
  const markSent = () => root.lvAreas.forEach((a) => { clearTimeout(a.lvTimer); a.lvSent = a.value; });
  const sendTexts = () => {
    if (!unsent()) return;
    const texts = typed();
    markSent();
    root.lvSentN = next();
    setTriggerValue("texts", { ...texts, draft: root.lvDraft, n: root.lvSentN });
  };
  const ask = () => {
    // The draft is fetched when this page's copy may be out of date; asked again if no answer came.
    clearTimeout(root.lvRetry);
    root.lvAskedN = next();
    setTriggerValue("open", root.lvAskedN);
    root.lvRetry = setTimeout(() => { if (dialog.open && root.lvAskedN) ask(); }, data.retry);
  };
  const busy = (waiting) => {
    if (waiting) dialog.setAttribute("aria-busy", "true"); else dialog.removeAttribute("aria-busy");
    root.lvConfirm.disabled = waiting;
    root.lvAreas.forEach((a) => { a.disabled = waiting; });
  };
  root.lvOpen.onclick = () => {
    if (dialog.open) return;
    const current = root.lvSheet && !root.lvStale && root.dataset.learner === data.learner;
    if (!current) {
      ask();
      root.lvBody.textContent = data.loading;
    } else {
      root.lvBody.innerHTML = root.lvSheet.body;
      for (const code of Object.keys(root.lvState)) if (root.lvState[code] !== root.lvSheet.state[code]) redraw(root, code);
    }
    busy(!current);
    root.lvForm.hidden = true;
    root.lvWord.value = "";
    root.lvCreate.disabled = false;
    say(root.lvProblem, null);
    say(root.lvReport, null);
    lvShowModal(dialog);
  };
  for (const area of root.lvAreas) {
    area.oninput = () => {
      area.lvTyped = true;
      clearTimeout(area.lvTimer);
      area.lvTimer = setTimeout(sendTexts, data.pause);
    };
    area.onblur = sendTexts;
  }
  const shut = () => {
    if (!dialog.open) return;
    sendTexts();
    lvCloseModal(dialog);
  };
  dialog.onclose = () => root.lvBody.replaceChildren();
  dialog.oncancel = shut;  // Échap, or a click on the shade
  root.lvClose.onclick = shut;
  root.lvConfirm.onclick = () => {
    if (!root.lvSheet) return;
    const { problem } = review(root);
    say(root.lvProblem, problem ? { kind: "error", text: problem } : null);
    root.lvForm.hidden = Boolean(problem);
    if (!problem) root.lvWord.focus();
  };
  root.lvPrefill.onclick = (event) => {
    const fill = event.target.closest("button.lv-bi-fill");
    if (!fill || !root.lvSheet) return;
    root.lvPrefill.querySelectorAll("button").forEach((b) => { b.disabled = true; });
    setTriggerValue("prefill", { action: fill.dataset.action, n: next() });
  };
  root.lvForm.onsubmit = (event) => {
    event.preventDefault();
    if (!root.lvSheet) return;
    const texts = typed();
    markSent();
    root.lvSentN = next();
    root.lvCreate.disabled = true;
    setTriggerValue("confirm", { word: root.lvWord.value, draft: root.lvDraft, shown: review(root).unpositioned,
      texts, n: root.lvSentN });
  };
  const hidden = () => { if (document.visibilityState === "hidden") sendTexts(); };
  const positioned = (event) => {
    const answer = event.detail;
    if (!root.lvSheet || answer.learner !== root.dataset.learner) return;
    if (answer.editing) { root.lvStale = true; return; }  // an unlocked bilan was corrected: fetch the draft
    root.lvState[answer.code] = answer.variant;
    if (answer.draft !== null) root.lvDraft = answer.draft;
    redraw(root, answer.code);
    showReview(root);
  };
  if (root.lvListeners) {
    document.removeEventListener("visibilitychange", root.lvListeners[0]);
    window.removeEventListener("pagehide", root.lvListeners[1]);
    window.removeEventListener("livret:positioned", root.lvListeners[2]);
  }
  root.lvListeners = [hidden, sendTexts, positioned];
  document.addEventListener("visibilitychange", hidden);
  window.addEventListener("pagehide", sendTexts);
  window.addEventListener("livret:positioned", positioned);

  // What the server says: the learner's draft, a message, and a closing (after a confirmation).
  if (root.lvClosings === undefined) root.lvClosings = data.closings;
  if (data.closings !== root.lvClosings) {
    root.lvClosings = data.closings;
    lvCloseModal(dialog);
  }
  if (root.dataset.learner !== data.learner) lvCloseModal(dialog);  // it was about the previous learner
  const sheet = data.sheet;
  const answered = root.lvAskedN && data.handled >= root.lvAskedN;
  const switched = root.dataset.learner !== data.learner;
  if (sheet && (answered || switched || !root.lvSheet || root.lvSheet.version !== sheet.version)) {
    adopt(root, sheet, data.handled, switched);
  }
  if (answered) {
    root.lvAskedN = null;
    clearTimeout(root.lvRetry);
    busy(false);
  }
  root.dataset.learner = data.learner;
  const message = data.message;
  if (message && message.id !== root.lvMessage) {
    root.lvMessage = message.id;
    if (message.where === "report") {
      say(root.lvReport, message);
      root.lvPrefill.querySelectorAll("button").forEach((b) => { b.disabled = false; });
    } else {
      say(root.lvProblem, message);
      root.lvCreate.disabled = false;
    }
  }
}
"""

_CSS = """
.lv-bi { display: flex; justify-content: flex-end; padding-right: .3rem; }  /* « BI » heads the column of « ? » */
.lv-bi-open { display: block; height: 1.8rem; width: 2.6rem; padding: 0 .2rem; font: inherit; font-size: .8rem;
  font-weight: 700; line-height: 1; color: #111; background: #fff; border: 2px solid #1f57b8; border-radius: 2px;
  cursor: pointer; }
.lv-bi-open:hover, .lv-bi-open:focus-visible { outline: 2px solid #f9c74f; }
dialog.lv-bilan { box-sizing: border-box; width: min(56rem, 96vw); max-height: calc(100dvh - 2rem); padding: 0;
  border: 0; border-radius: .6rem; box-shadow: 0 10px 40px rgba(0, 0, 0, .35); color: #111318; background: #fff;
  font-size: .95rem; line-height: 1.4; overflow: hidden; }
dialog.lv-bilan[open] { display: flex; flex-direction: column; }
dialog.lv-bilan::backdrop { background: rgba(0, 0, 0, .45); }
dialog.lv-bilan[aria-busy="true"] .lv-bi-body { color: #555b63; }
.lv-bilan h2 { margin: 0; padding: 1rem 1.5rem .5rem; font-size: 1.4rem; font-weight: 700; line-height: 1.25; }
.lv-bi-scroll { flex: 1 1 auto; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: 0 1.5rem .5rem; }
.lv-bi-text { display: flex; flex-direction: column; gap: .25rem; margin-bottom: .9rem; }
.lv-bi-text label, .lv-bi-form label { font-size: .875rem; }
.lv-bi-text textarea { font: inherit; font-size: 1rem; line-height: 1.5; padding: .5rem .75rem; min-height: 4rem;
  resize: vertical; border: 1px solid rgba(49, 51, 63, .25); border-radius: .5rem; background: #f0f2f6; color: inherit; }
.lv-bi-text textarea:focus, .lv-bi-form input:focus { outline: 2px solid #1a4fa8; outline-offset: 0; background: #fff; }
.lv-bi-note, .lv-bi-caption { font-size: .875rem; color: #555b63; margin: 0 0 .5rem; }
.lv-bi-caption[hidden] { display: none; }
.lv-bilan h3 { font-size: 1.25rem; font-weight: 600; margin: .5rem 0; padding: 0; }
.lv-bi-prefill { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 .5rem; }
.lv-bi-prefill[hidden] { display: none; }
.lv-bilan button { font: inherit; font-size: .9rem; padding: .4rem .9rem; color: #111318; background: #fff;
  border: 1px solid rgba(49, 51, 63, .3); border-radius: .5rem; cursor: pointer; }
.lv-bilan button:hover { border-color: #1a4fa8; color: #1a4fa8; }
.lv-bilan button:focus-visible, .lv-bi-open:focus-visible { outline: 3px solid #f9c74f; outline-offset: 2px; }
.lv-bilan button:disabled { opacity: .5; cursor: default; }
.lv-bilan button.lv-bi-confirm, .lv-bilan button.lv-bi-create { color: #fff; background: #1a4fa8; border-color: #1a4fa8; }
.lv-bilan button.lv-bi-confirm:hover, .lv-bilan button.lv-bi-create:hover { color: #fff; background: #143f86; }
.lv-bi-actions { flex: none; padding: .6rem 1.5rem .8rem; border-top: 1px solid rgba(49, 51, 63, .2); background: #fff; }
.lv-bi-buttons { display: flex; gap: .75rem; }
.lv-bi-buttons button { flex: 1 1 0; }
.lv-bi-msg { margin: .5rem 0 0; padding: .6rem .9rem; border-radius: .5rem; }
.lv-bi-error { color: #7d1a1a; background: #fdeaea; }
.lv-bi-success { color: #0f5132; background: #e3f4ea; }
.lv-bi-info { color: #004280; background: #e6f0fb; }
.lv-bi-report .lv-bi-msg { margin: 0 0 .5rem; }
.lv-bi-form { display: flex; flex-direction: column; gap: .3rem; margin-top: .6rem; padding: .6rem .8rem;
  border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; }
.lv-bi-form[hidden] { display: none; }
.lv-bi-unpositioned { max-height: 28vh; overflow-y: auto; }
.lv-bi-unpositioned p, .lv-bi-unpositioned ul { margin: 0 0 .3rem; }
.lv-bi-form input { font: inherit; padding: .4rem .6rem; border: 1px solid rgba(49, 51, 63, .3); border-radius: .4rem;
  background: #f0f2f6; }
.lv-bi-form button { align-self: flex-start; }
/* What is below the first screen is laid out when scrolled to, not when the dialog opens. */
.lv-bi-body .unit-view, .lv-bi-body svg.radar { content-visibility: auto; contain-intrinsic-size: auto 420px; }
"""


def _message(text: str, kind: str, where: str) -> None:
    """A message for the open dialog: where is « report » (under its title) or « actions » (at its foot)."""
    count = (st.session_state.get(_MESSAGE) or {}).get("id", 0) + 1
    st.session_state[_MESSAGE] = {"id": count, "text": text, "kind": kind, "where": where}


def _trigger(name: str):
    """The value the element's trigger name carried, in its callback."""
    state = st.session_state.get(KEY)
    return state.get(name) if isinstance(state, dict) else None


def _payload(name: str) -> dict:
    value = _trigger(name)
    return value if isinstance(value, dict) else {}


def _handled(payload: dict) -> None:
    number = payload.get("n")
    if isinstance(number, int) and number > st.session_state.get(_HANDLED, 0):
        st.session_state[_HANDLED] = number


def _texts_of(payload: dict | None) -> dict[str, str | None]:
    texts = payload if isinstance(payload, dict) else {}
    return {name: texts.get(name) if isinstance(texts.get(name), str) else None for name, _ in TEXT_FIELDS}


def _on_open() -> None:
    _handled({"n": _trigger("open")})


def _on_texts(db, user, learner_id: int) -> None:
    payload = _payload("texts")
    _handled(payload)
    texts = _texts_of(payload)
    if all(value is None for value in texts.values()):
        return
    # The draft the texts go to: the one the dialog showed, or the one its first text created.
    shown = payload.get("draft")
    created = st.session_state.get(_DRAFT) or {}
    draft = shown if isinstance(shown, int) else created.get(learner_id)
    try:
        saved = bilans.save_draft_texts(db, user, learner_id, **texts, draft_id=draft)
    except LivretError as error:
        # Said in the dialog when it is open, and by the page in a toast that stays until closed.
        _message(str(error), "error", "actions")
        flash.later(_REFUSED, f"Constats et Conseils non enregistrés : {error}", "error")
        return
    if saved is not None:
        st.session_state[_DRAFT] = {**created, learner_id: saved}


def _on_prefill(db, user, learner_id: int) -> None:
    chosen = PREFILL_ACTIONS.get(_payload("prefill").get("action"))
    if chosen is None:
        return
    try:
        report = chosen[1](db, user, learner_id)
    except LivretError as error:
        _message(str(error), "error", "report")
    else:
        _message(report.text, "success" if report.filled else "info", "report")
    st.session_state[_RERUN] = True  # the grid's blue line and the dialog's tables show what was filled


def _on_confirm(db, user, learner_id: int) -> None:
    payload = _payload("confirm")
    _handled(payload)
    draft, word, shown = payload.get("draft"), payload.get("word"), payload.get("shown")
    try:
        review = bilans.confirmation_review(db, user, learner_id)
        if review.problem is None and (review.draft_id != draft or list(review.unpositioned) != shown):
            # What the teacher saw is what is stored: another session changed the draft since it was shown.
            _message(CHANGED_MESSAGE, "error", "actions")
            st.session_state[_RERUN] = True
            return
        created = bilans.confirm_bilan(db, user, learner_id, word if isinstance(word, str) else None,
                                       draft_id=draft if isinstance(draft, int) else None,
                                       **_texts_of(payload.get("texts")))
        notice = bilans.confirmation_notice(db, user, created)
    except LivretError as refusal:
        _message(str(refusal), "error", "actions")
        return
    st.session_state[ui.NOTICE_KEY] = notice
    st.session_state[_DRAFT] = {k: v for k, v in (st.session_state.get(_DRAFT) or {}).items() if k != learner_id}
    st.session_state[_CLOSINGS] = st.session_state.get(_CLOSINGS, 0) + 1
    st.session_state[_RERUN] = True


@ui.fragment
def bilan_button(db, user, learner_id: int) -> None:
    """« BI » and its dialog, with the learner's draft; a fragment, so typing in the dialog reruns neither the
    page nor the grid."""
    if st.session_state.pop(_RERUN, False):
        st.rerun(scope="app")
    flash.show(_REFUSED, toast=True)
    try:
        sheet = dashboard.cached_bilan_sheet(db, user, learner_id).as_data()
    except LivretError as error:
        sheet = None
        _message(str(error), "error", "actions")
    element = st.components.v2.component(
        COMPONENT, js=_JS, css=_CSS + modal.MODAL_CSS + bilan_document.BILAN_CSS + bilan_sheet.VIEW_CSS,
        isolate_styles=False)
    element(data={"learner": str(learner_id), "sheet": sheet, "handled": st.session_state.get(_HANDLED, 0),
                  "closings": st.session_state.get(_CLOSINGS, 0), "message": st.session_state.get(_MESSAGE),
                  "help": OPEN_HELP, "loading": LOADING, "fields": [list(f) for f in TEXT_FIELDS],
                  "note": TEXTS_NOTE, "pause": TEXT_PAUSE_MS, "retry": RETRY_MS, "wordLabel": WORD_LABEL,
                  "prefillHelp": PREFILL_HELP, "texts": DIALOG_TEXTS,
                  "prefill": [[action, label] for action, (label, _) in PREFILL_ACTIONS.items()]},
            key=KEY, on_open_change=_on_open,
            on_texts_change=lambda: _on_texts(db, user, learner_id),
            on_prefill_change=lambda: _on_prefill(db, user, learner_id),
            on_confirm_change=lambda: _on_confirm(db, user, learner_id))
