"""Dialogs of the bilan opened from the dashboard (SPEC B1, B2), and the bilan views they share with
the page « Bilans de compétences »: a UI-helpers module (Streamlit). Every write goes through
livret.bilans, which checks the user; after a write the app reruns so the dashboard redraws.

Contract used by views/tableau_de_bord.py:
- positioning_dialog(db, user, learner_id, competency_id, bilan_id=None): « Niveaux d'acquisition de la
  compétence », for the draft, or for the unlocked bilan bilan_id (also from the page « Bilans »)
- bilan_dialog(db, user, learner_id): « Bilan de NOM Prénom »
Both open a st.dialog; call them when the « ? » of a competency or the « BI » button is clicked.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import streamlit as st

from livret import bilans, dashboard, ui
from livret.codes import ACQUISITION_BY_LEVEL, ACQUISITION_LEVELS, NOT_EVALUATED_LABEL, OBJECTIVES
from livret.errors import LivretError
from livret.render import bilan_document, grid, radar
from livret.render.positioning_dialog import MINUS, choice_label
from livret.ui import flash, trusted_html


def choice_key(positioning: bilans.Positioning) -> str:
    """Widget key of a choice of the positioning dialog (its CSS class is st-key-<key>)."""
    if positioning.level is None:
        return "position_choice_ne"
    return f"position_choice_{positioning.level}_{positioning.objective}"


def _choice_css(current: bilans.Positioning | None) -> str:
    rules = []
    for level in ACQUISITION_LEVELS:
        full, half = f".st-key-position_choice_{level.level}_terminal", f".st-key-position_choice_{level.level}_intermediate"
        rules.append(f"{full} button {{ background: {level.colour}; border: 2px solid {level.colour}; "
                     f"color: {level.text}; }}")
        rules.append(f"{half} button {{ background: linear-gradient(90deg, {level.colour} 50%, #ffffff 50%); "
                     f"border: 2px solid {level.colour}; color: #111111; }}")
        rules.append(f"{half} button p {{ background: rgba(255,255,255,0.85); padding: 0 0.3rem; border-radius: 3px; }}")
    rules.append(".st-key-position_choice_ne button { background: #ffffff; border: 2px dashed #9e9e9e; color: #444; }")
    if current is not None:
        rules.append(f".st-key-{choice_key(current)} button {{ outline: 3px solid #111111; outline-offset: 2px; }}")
    rules.append("[class*='st-key-position_choice_'] button { border-radius: 2px; min-height: 2.4rem; }")
    rules.append("[class*='st-key-position_choice_'] button:hover { filter: brightness(0.92); }")
    return "<style>" + "\n".join(rules) + "</style>"


def _stored_positionings(db, user, learner_id: int, bilan_id: int | None) -> tuple[dict, str | None] | None:
    """The positionings the dialog changes — the draft's, or the unlocked bilan's with the caption that
    says so — or None (and the reason shown) when there is nothing the user may change."""
    try:
        if bilan_id is None:
            return bilans.read_draft(db, user, learner_id).positionings, None
        bilan = bilans.bilan_detail(db, user, bilan_id)
        if bilan.learner_id != learner_id or bilan.status != "unlocked":
            st.error(bilans.LOCKED_MESSAGE)
            return None
        caption = f"Bilan du {bilan.date_label}, déverrouillé : ce choix le modifie."
        return bilans.bilan_positionings(db, user, bilan_id), caption
    except LivretError as error:
        ui.show_error(error)
        return None


def _choice_buttons() -> bilans.Positioning | None:
    """The 4 levels × 2 objectives, then NE, as a table of buttons: the one clicked, if any."""
    widths = [2.4, 1.4, 1.4]
    header = st.columns(widths, vertical_alignment="bottom")
    for column, objective in zip(header[1:], OBJECTIVES):
        column.markdown(f"**{OBJECTIVES[objective]}**")
    chosen = None
    for level in ACQUISITION_LEVELS:
        row = st.columns(widths, vertical_alignment="center")
        row[0].markdown(level.label)
        for column, objective in zip(row[1:], OBJECTIVES):
            positioning = bilans.Positioning(level.level, objective)
            if column.button(choice_label(positioning.level, positioning.objective), key=choice_key(positioning), width="stretch",
                             help=positioning.label):
                chosen = positioning
    row = st.columns(widths, vertical_alignment="center")
    row[0].markdown(NOT_EVALUATED_LABEL)
    if row[1].button(choice_label(None, None), key=choice_key(bilans.NOT_EVALUATED), width="stretch",
                     help=NOT_EVALUATED_LABEL):
        chosen = bilans.NOT_EVALUATED
    return chosen


def _save_choice(db, user, learner_id: int, competency_id: int, bilan_id: int | None,
                 chosen: bilans.Positioning) -> None:
    try:
        if bilan_id is None:
            bilans.save_draft_positioning(db, user, learner_id, competency_id, chosen)
        else:
            bilans.save_unlocked_positioning(db, user, bilan_id, competency_id, chosen)
    except LivretError as error:
        ui.show_error(error)
    else:
        st.rerun()


@ui.dialog("Niveaux d'acquisition de la compétence", width="medium")
def positioning_dialog(db, user, learner_id: int, competency_id: int, bilan_id: int | None = None) -> None:
    """SPEC B1: 4 levels × objectifs intermédiaires / terminaux, « Compétence non évaluée », « Fermer».
    A click writes the positioning at once — into the draft, or into the unlocked bilan bilan_id (B3) —
    and reruns the app (which closes the dialog)."""
    try:
        competencies = bilans.learner_competencies(db, user, learner_id)
    except LivretError as error:
        ui.show_error(error)
        return
    stored = _stored_positionings(db, user, learner_id, bilan_id)
    if stored is None:
        return
    positionings, caption = stored
    match = competencies[competencies["competency_id"] == competency_id]
    if match.empty:
        st.error("Cette compétence n'appartient pas au diplôme de l'apprenant.")
        return
    competency = match.iloc[0]
    current = positionings.get(competency_id)
    st.markdown(f"**{ui.markdown_text(competency['code'])} - {ui.markdown_text(competency['title'])}**")
    if caption is not None:
        st.caption(caption)
    st.caption("Positionnement actuel : " + (current.label if current is not None else "pas encore positionnée"))
    shown = dashboard.cached_view(db, user, learner_id, grid.GridOptions()).dialogs.get(str(competency["code"]))
    if shown:  # the proposition and its evidence, as the dashboard's dialog shows them
        st.html(f"<style>{grid.stylesheet_css()}</style>{shown['head']}")
    st.html(_choice_css(current))
    chosen = _choice_buttons()
    if chosen is not None:
        _save_choice(db, user, learner_id, competency_id, bilan_id, chosen)
    if st.button("Fermer", key="position_close"):
        st.rerun()
    if shown:
        st.html(f"<style>{grid.stylesheet_css()}</style>{shown['evidence']}")


def _badge_css(keys: dict[str, bilans.Positioning]) -> str:
    """Each competency button drawn like its positioning: level colour, half (intermediate) or full."""
    rules = []
    for key, positioning in keys.items():
        if positioning.level is None:
            rules.append(f".st-key-{key} button {{ background: #ffffff; border: 2px dashed #9e9e9e; color: #444; }}")
            continue
        level = ACQUISITION_BY_LEVEL[positioning.level]
        colour = level.colour
        if positioning.objective == "terminal":
            rules.append(f".st-key-{key} button {{ background: {colour}; border: 2px solid {colour}; "
                         f"color: {level.text}; }}")
        else:
            rules.append(f".st-key-{key} button {{ background: linear-gradient(90deg, {colour} 50%, #ffffff 50%); "
                         f"border: 2px solid {colour}; color: #111111; }}")
            rules.append(f".st-key-{key} button p {{ background: rgba(255,255,255,0.85); padding: 0 0.3rem; }}")
    return "<style>" + "\n".join(rules) + "</style>"


def badge_key(bilan_id: int, competency_id: int) -> str:
    return f"bilan_badge_{bilan_id}_{competency_id}"


def unlocked_positionings(db, user, learner_id: int, bilan_id: int) -> None:
    """The positionings of an unlocked bilan as one button per competency (« C4 : + »), drawn like the
    blue line; a click opens the same positioning dialog as on the dashboard."""
    try:
        competencies = bilans.learner_competencies(db, user, learner_id)
        stored = bilans.bilan_positionings(db, user, bilan_id)
    except LivretError as error:
        ui.show_error(error)
        return
    keys = {badge_key(bilan_id, int(c)): stored.get(int(c), bilans.NOT_EVALUATED) for c in competencies["competency_id"]}
    st.html(_badge_css(keys))
    columns = st.columns(4)
    asked = None
    for index, comp in enumerate(competencies.itertuples()):
        positioning = stored.get(int(comp.competency_id), bilans.NOT_EVALUATED)
        short = positioning.short.replace("-", MINUS)
        if columns[index % 4].button(f"{ui.markdown_text(comp.code)} : {short}", width="stretch",
                                     key=badge_key(bilan_id, int(comp.competency_id)),
                                     help=ui.markdown_text(f"{comp.code} - {comp.title} — {positioning.label}")):
            asked = int(comp.competency_id)
    if asked is not None:
        positioning_dialog(db, user, learner_id, asked, bilan_id)


# ---------------------------------------------------------------- starting a bilan from earlier work

PREFILL_FLASH = "bilan_prefill"
PREFILL_HELP = ("Ne remplit que les compétences encore « ? » du brouillon ; rien n'est confirmé sans "
                "CONFIRMATION, et chaque positionnement reste modifiable.")


def prefill_buttons(db, user, learner_id: int, key: str, close: str | None = None) -> None:
    """« Reprendre les positionnements du dernier bilan » and « Appliquer les propositions »: each fills
    the draft's competencies still « ? » and says what it did (flash PREFILL_FLASH) in the run its click
    starts (the app's, or the dialog's the buttons are in); close names a popover to close then."""
    actions = (("Reprendre les positionnements du dernier bilan", bilans.fill_from_latest_bilan),
               ("Appliquer les propositions", bilans.apply_propositions))
    for label, action in actions:
        st.button(label, key=f"{key}_{action.__name__}", help=PREFILL_HELP, width="stretch",
                  on_click=_prefill, args=(db, user, learner_id, action, close))


def _prefill(db, user, learner_id: int, action, close: str | None) -> None:
    try:
        report = action(db, user, learner_id)
    except LivretError as error:
        flash.later(PREFILL_FLASH, str(error), "error")
    else:
        flash.later(PREFILL_FLASH, report.text, "success" if report.filled else "info")
    if close:
        st.session_state[close] = False


# ---------------------------------------------------------------- views shared with the bilans page


# Each view is one element of our own that sets its markup directly. Every element a script run sends is
# a message the browser handles and a React element it draws; st.html would also run DOMPurify on each
# body and, with its HTML-only profile, drop the radar's SVG. The markup is built from escaped text by
# livret.render (bilan_document, radar), as the dashboard's grid is. The radar is inline SVG, not a
# Vega-Lite chart, so showing it loads and runs no chart library (the benchmark's « dialogue BI »).
VIEW_CSS = """
.lv-bilan-view h3 { font-size: 1.5rem; font-weight: 600; line-height: 1.2; margin: 0; padding: 1rem 0 0.75rem; }
.lv-bilan-view .lv-caption { font-size: 0.875rem; color: #555b63; margin: 0 0 0.5rem; }
.lv-bilan-view .lv-unit-title { font-weight: 600; margin: 0 0 0.25rem; }
.lv-bilan-view svg.radar { display: block; max-width: 100%; height: auto; }
.lv-bilan-view .lv-empty { padding: 1rem; border-radius: 0.5rem; background: rgba(28, 131, 225, 0.1); color: #004280; }
"""
NO_RADAR = "Aucun bilan à représenter pour le moment."
RADAR_LABEL = "Diagramme radar des deux derniers bilans, une branche par compétence"


def _view(html: str, key: str) -> None:
    """Markup made by livret.render from escaped text, shown as is."""
    trusted_html.show(html, bilan_document.BILAN_CSS + VIEW_CSS, key, name="bilan_view", host_class="lv-bilan-view")


def positioning_tables_html(history: pd.DataFrame, *, unit_column: str | None = None) -> str:
    """« Bilan des compétences » (one column per bilan, newest first) and the unit view."""
    return (bilan_document.legend_html() + bilan_document.history_table_html(history)
            + '<p class="lv-unit-title">Par unité</p>'
            + bilan_document.unit_view_html(bilans.unit_view(history, unit_column)))


def radar_html(axes: pd.DataFrame, history: pd.DataFrame) -> str:
    """The radar of the newest two bilans of a history, with its key (one line per bilan) and how to read it."""
    points = radar.radar_data(axes, history)
    if points.empty:
        return f'<p class="lv-empty" role="status">{NO_RADAR}</p>'
    key = escape(bilan_document.RADAR_KEY.replace("-", MINUS))  # « -- » must not read as a dash
    return (bilan_document.radar_legend_html(radar.legend_items(points))
            + radar.radar_svg(axes, points, label=RADAR_LABEL, legend=False)
            + f'<p class="lv-caption">{key}</p>')


def show_positioning_tables(history: pd.DataFrame, *, unit_column: str | None = None) -> None:
    _view(positioning_tables_html(history, unit_column=unit_column), "bilan_view_tables")


def show_radar(axes: pd.DataFrame, history: pd.DataFrame) -> None:
    if radar.radar_data(axes, history).empty:
        st.info(NO_RADAR)
        return
    _view(radar_html(axes, history), "bilan_view_radar")


# ---------------------------------------------------------------- bilan dialog (B2)


# Constats and Conseils are typed in a small element of our own rather than st.text_area, whose value
# reaches the server only on blur or Ctrl+Entrée: Échap (which closes the dialog), a closed tab or a
# crash lost what was typed. This element sends a text once typing pauses, at once on Échap and on
# blur, and when the page is hidden. It writes the texts with .value and .textContent only (no HTML).
# Both fields and their note are one element: each element of a script run is a message the browser
# handles, and an element of this kind is the costliest to mount.
DRAFT_TEXTS = "livret_draft_texts"
DRAFT_TEXT_PAUSE_MS = 600
DRAFT_FIELDS = (("constats", "Constats"), ("conseils", "Conseils"))
DRAFT_TEXTS_NOTE = ("Constats et Conseils apparaîtront sur le bilan et seront visibles de l'apprenant ; "
                    "ils sont enregistrés dans le brouillon au fil de la frappe.")
_DRAFT_TEXT_JS = """
export default function ({ data, parentElement, setStateValue }) {
  let root = parentElement.querySelector(":scope > div.lv-draft-texts");
  if (!root) {
    root = document.createElement("div");
    root.className = "lv-draft-texts";
    const id = Math.random().toString(36).slice(2);
    for (const [name, label, value] of data.fields) {
      const field = document.createElement("div");
      field.className = "lv-draft-text";
      const tag = document.createElement("label");
      const box = document.createElement("textarea");
      box.id = "lv-draft-text-" + name + "-" + id;
      tag.htmlFor = box.id;
      tag.textContent = label;
      box.value = value;
      box.placeholder = label;
      box.rows = 4;
      box.dataset.name = name;
      box.lvSent = value;
      field.append(tag, box);
      root.append(field);
    }
    const note = document.createElement("p");
    note.className = "lv-draft-note";
    note.textContent = data.note;
    root.append(note);
    parentElement.appendChild(root);
  }
  const boxes = [...root.querySelectorAll("textarea")];
  const send = (box) => {
    clearTimeout(box.lvTimer);
    box.lvTimer = null;
    if (box.value !== box.lvSent) {
      box.lvSent = box.value;
      setStateValue(box.dataset.name, box.value);
    }
  };
  const sendAll = () => boxes.forEach(send);
  for (const box of boxes) {
    box.oninput = () => {
      clearTimeout(box.lvTimer);
      box.lvTimer = setTimeout(() => send(box), data.pause);
    };
    box.onkeydown = (event) => { if (event.key === "Escape") send(box); };
    box.onblur = () => send(box);
  }
  const hidden = () => { if (document.visibilityState === "hidden") sendAll(); };
  if (root.lvHidden) {
    document.removeEventListener("visibilitychange", root.lvHidden);
    window.removeEventListener("pagehide", root.lvSendAll);
  }
  root.lvHidden = hidden;
  root.lvSendAll = sendAll;
  document.addEventListener("visibilitychange", hidden);
  window.addEventListener("pagehide", sendAll);
  return () => {
    sendAll();
    document.removeEventListener("visibilitychange", hidden);
    window.removeEventListener("pagehide", sendAll);
  };
}
"""
_DRAFT_TEXT_CSS = """
.lv-draft-text { display: flex; flex-direction: column; gap: 0.25rem; margin-bottom: 1.5rem; }
.lv-draft-text label { font-size: 0.875rem; }
.lv-draft-text textarea {
  font: inherit; font-size: 1rem; line-height: 1.5; padding: 0.5rem 0.75rem; min-height: 6rem; resize: vertical;
  border: 1px solid rgba(49, 51, 63, 0.25); border-radius: 0.5rem; background: #f0f2f6; color: inherit;
}
.lv-draft-text textarea:focus { outline: 2px solid #ff4b4b; outline-offset: 0; background: #ffffff; }
.lv-draft-note { font-size: 0.875rem; color: #555b63; margin: 0; }
"""


def draft_text_value(key: str, name: str) -> str | None:
    """The text of field name (« constats », « conseils ») last sent by the draft texts element at key
    (None before anything was typed in it)."""
    value = st.session_state.get(key)
    return value.get(name) if value is not None else None


def _keys(learner_id: int, opening: int) -> dict[str, str]:
    # Each opening of the dialog has its own keys: its text element starts from what the database holds.
    suffix = f"{learner_id}_{opening}"
    return {name: f"bilan_{name}_{suffix}" for name in ("texts", "confirming", "word")}


def _typed_texts(keys: dict[str, str]) -> dict[str, str | None]:
    return {name: draft_text_value(keys["texts"], name) for name, _ in DRAFT_FIELDS}


def _save_texts(db, user, learner_id: int, opening: int) -> None:
    keys = _keys(learner_id, opening)
    try:
        draft_id = bilans.read_draft(db, user, learner_id).bilan_id
        seen = st.session_state.get(f"bilan_draft_seen_{learner_id}_{opening}", draft_id)
        bilans.save_draft_texts(db, user, learner_id, **_typed_texts(keys), draft_id=seen)
    except LivretError as error:
        st.session_state["bilan_dialog_error"] = str(error)


def _draft_texts(db, user, learner_id: int, opening: int, draft: bilans.Draft, keys: dict[str, str]) -> None:
    """Constats and Conseils of the draft, saved as they are typed."""
    if draft.bilan_id is not None:
        # The draft this opening works on: texts typed here never land in a draft made after a confirmation.
        st.session_state.setdefault(f"bilan_draft_seen_{learner_id}_{opening}", draft.bilan_id)
    error = st.session_state.pop("bilan_dialog_error", None)
    if error:
        st.error(ui.markdown_text(error))
    element = st.components.v2.component(DRAFT_TEXTS, js=_DRAFT_TEXT_JS, css=_DRAFT_TEXT_CSS, isolate_styles=False)
    save = lambda: _save_texts(db, user, learner_id, opening)  # noqa: E731
    fields = [[name, label, getattr(draft, name)] for name, label in DRAFT_FIELDS]
    element(data={"fields": fields, "note": DRAFT_TEXTS_NOTE, "pause": DRAFT_TEXT_PAUSE_MS}, key=keys["texts"],
            on_constats_change=save, on_conseils_change=save)


def _close_or_confirm(review: bilans.ConfirmationReview, keys: dict[str, str]) -> None:
    """« Fermer », and « Confirmer le bilan », which opens the confirmation form (or says why not)."""
    with st.container(horizontal=True):  # two halves (ACTIONS_CSS), with fewer elements than st.columns
        close = st.button("Fermer", key="bilan_close", width="stretch")
        confirm = st.button("Confirmer le bilan", key="bilan_confirm", type="primary", width="stretch")
    if close:
        st.rerun()
    if confirm:
        if review.problem:
            st.session_state.pop(keys["confirming"], None)
            st.error(ui.markdown_text(review.problem))
        else:
            # The draft reviewed now is the one confirmed, even if another session makes a new one meanwhile.
            st.session_state[keys["confirming"]] = review.draft_id


def _confirmation_form(db, user, learner_id: int, review: bilans.ConfirmationReview, reviewed: int,
                       keys: dict[str, str]) -> None:
    """The word CONFIRMATION typed under the list of what will be stored NE; then the bilan is created."""
    with st.form(f"bilan_confirmation_{learner_id}", border=True):
        if review.unpositioned:
            listed = "\n".join(f"- {ui.markdown_text(item)}" for item in review.unpositioned)
            st.markdown(f"**Compétences non positionnées, enregistrées « NE » ({len(review.unpositioned)}) :**"
                        f"\n{listed}")
        word = st.text_input(f"Pour créer le bilan, saisissez {bilans.CONFIRMATION_WORD} en lettres majuscules",
                             key=keys["word"])
        submitted = st.form_submit_button("Créer le bilan", type="primary")
    if not submitted:
        return
    try:
        created = bilans.confirm_bilan(db, user, learner_id, word, draft_id=reviewed, **_typed_texts(keys))
        notice = bilans.confirmation_notice(db, user, created)
    except LivretError as refusal:
        ui.show_error(refusal)
        return
    st.session_state[ui.NOTICE_KEY] = notice
    st.rerun()


# Sticky needs its nearest scrolling box to be the one that scrolls: Streamlit scrolls the whole modal, with
# an overflow-hidden box in between, so the dialog itself is made the scroller (its title scrolls, « × »
# stays). The sticky box is the actions' layout wrapper: its parent is the dialog's column, as tall as
# everything in it (the actions' own container is only as tall as the actions).
ACTIONS_CSS = """<style>
[data-testid="stDialog"]:has([class*="st-key-bilan_actions_"]) section[role="dialog"] {
  max-height: calc(100dvh - 6rem); overflow-y: auto; overscroll-behavior: contain; }
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-bilan_actions_"]) { order: 99; position: sticky; bottom: 0;
  z-index: 5; padding: .6rem 0 .8rem; background: var(--st-background-color, #fff);
  border-top: 1px solid rgba(49, 51, 63, .2); }
[class*="st-key-bilan_actions_"] [data-testid="stHorizontalBlock"] > [data-testid="stElementContainer"] { flex: 1 1 0; }
</style>"""


def _bilan_dialog_body(db, user, learner_id: int, opening: int) -> None:
    try:
        draft = bilans.read_draft(db, user, learner_id)
        history = bilans.bilan_history(db, user, learner_id, include_draft=True)
        axes = bilans.radar_axes_of(db, user, learner_id)
        review = bilans.confirmation_review(db, user, learner_id)
    except LivretError as error:
        ui.show_error(error)
        return
    keys = _keys(learner_id, opening)
    # The actions come first, so they are shown before the tables and the radar are drawn, and stay at the
    # foot of the dialog whatever its height (ACTIONS_CSS): « Confirmer le bilan » never scrolls away.
    st.html(ACTIONS_CSS)
    with st.container(key=f"bilan_actions_{opening}"):
        _close_or_confirm(review, keys)
        reviewed = st.session_state.get(keys["confirming"])
        if reviewed is not None:
            _confirmation_form(db, user, learner_id, review, reviewed, keys)
    _draft_texts(db, user, learner_id, opening, draft, keys)
    st.subheader("Bilan des compétences")
    flash.show(PREFILL_FLASH)
    if review.unpositioned:
        with st.container(horizontal=True):
            prefill_buttons(db, user, learner_id, f"bilan_prefill_{opening}")
    caption = ""
    if review.unpositioned and not review.problem:
        caption = (f'<p class="lv-caption">{len(review.unpositioned)} compétence(s) sans positionnement : elles '
                   "seront enregistrées « NE ».</p>")
    _view(caption + positioning_tables_html(history) + "<h3>Diagramme radar</h3>" + radar_html(axes, history),
          f"bilan_view_{opening}")


def bilan_dialog(db, user, learner_id: int) -> None:
    """SPEC B2: « Bilan de NOM Prénom ». The dialog's title is set when it opens, so it names the learner."""
    try:
        name = bilans.learner_name(db, user, learner_id)
    except LivretError as error:
        ui.show_error(error)
        return
    opening = st.session_state["bilan_dialog_openings"] = st.session_state.get("bilan_dialog_openings", 0) + 1
    ui.dialog(f"Bilan de {ui.markdown_text(name)}", width="large")(_bilan_dialog_body)(db, user, learner_id, opening)


# ---------------------------------------------------------------- printing (B4)

PRINT_CSS = """
<style>
@media print {
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stStatusWidget"], [data-testid="stSidebarCollapsedControl"], [data-testid="stBottom"],
  .stButton, .stDownloadButton, .stFormSubmitButton, [data-testid="stForm"], [data-testid="stSelectbox"],
  [data-testid="stAlert"], [data-testid="stExpander"], .no-print, [class*="st-key-bilans_screen_"],
  .st-key-conseil_actions, .st-key-conseil_documents, [data-testid="stDateInput"] {
    display: none !important;
  }
  [data-testid="stMain"], [data-testid="stAppViewContainer"], .stApp { overflow: visible !important; }
  [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
  .stVegaLiteChart, svg.radar, .bilan-table, .unit-view { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
</style>
"""


def apply_print_layout() -> None:
    """A print of the page shows the bilan only, without Streamlit's sidebar, header and buttons."""
    st.html(PRINT_CSS)


def open_print_dialog() -> None:
    """Open the browser's print dialog once (the script is ours; it carries no user text). The counter
    makes each request a new element, so a second click prints again."""
    count = st.session_state["bilans_print_count"] = st.session_state.get("bilans_print_count", 0) + 1
    st.html(f"<script>/* {count} */ window.print();</script>", unsafe_allow_javascript=True)
