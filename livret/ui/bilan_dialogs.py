"""The bilan's Streamlit parts shared by the pages (SPEC B1, B3, B4): the positioning dialog of an unlocked
bilan (page « Bilans de compétences »), its positionings as buttons, the pre-filling buttons of the
dashboard's « Pré-remplir », the bilan's tables and radar, and printing. A UI-helpers module (Streamlit);
every write goes through livret.bilans, which checks the user. The dashboard's « BI » dialog is
livret/ui/bilan_sheet.py."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from livret import bilans, dashboard, ui
from livret.codes import ACQUISITION_BY_LEVEL, ACQUISITION_LEVELS, NOT_EVALUATED_LABEL, OBJECTIVES
from livret.errors import LivretError
from livret.render import bilan_document, bilan_sheet, grid
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


PREFILL_ACTIONS = {"latest": ("Reprendre les positionnements du dernier bilan", bilans.fill_from_latest_bilan),
                   "propositions": ("Appliquer les propositions", bilans.apply_propositions)}


def prefill_buttons(db, user, learner_id: int, key: str, close: str | None = None) -> None:
    """« Reprendre les positionnements du dernier bilan » and « Appliquer les propositions »: each fills
    the draft's competencies still « ? » and says what it did (flash PREFILL_FLASH) in the run its click
    starts; close names a popover to close then."""
    for label, action in PREFILL_ACTIONS.values():
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
# livret.render (bilan_sheet, bilan_document, radar), as the dashboard's grid is.


def _view(html: str, key: str) -> None:
    """Markup made by livret.render from escaped text, shown as is."""
    trusted_html.show(html, bilan_document.BILAN_CSS + bilan_sheet.VIEW_CSS, key, name="bilan_view",
                      host_class="lv-bilan-view")


def show_positioning_tables(history: pd.DataFrame, *, unit_column: str | None = None) -> None:
    """« Bilan des compétences » (one column per bilan, newest first) and the unit view."""
    _view(bilan_sheet.positioning_tables_html(history, bilans.unit_view(history, unit_column)), "bilan_view_tables")


def show_radar(axes: pd.DataFrame, history: pd.DataFrame) -> None:
    if not bilan_sheet.has_radar(axes, history):
        st.info(bilan_sheet.NO_RADAR)
        return
    _view(bilan_sheet.radar_html(axes, history), "bilan_view_radar")


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
