"""Tableau de bord: one learner's results on every competency, their bilans, and the current draft (SPEC §2).

Every filter and display choice is bound to the URL, so a reload or a shared link shows the same view."""

import streamlit as st

from livret import bilans, dashboard, preferences, ui
from livret.codes import COLUMN_CODES, COMPLEXITIES
from livret.errors import LivretError
from livret.render import grid
from livret.ui import bilan_dialogs, flash, grid_element, selection

UNITS_KEY, SEEN_UNITS_KEY = "tdb_unites", "tdb_unites_vues"
CODE_HELP = {**COMPLEXITIES, "E": "Bilans entreprise"}

db = ui.database()
user = ui.current_user()


def keep_units_exclusive() -> None:
    st.session_state[UNITS_KEY] = dashboard.exclusive_units(
        st.session_state[UNITS_KEY], st.session_state.get(SEEN_UNITS_KEY, []))


GRID_KEY, SAVER_KEY, POSITIONED_FLASH, ANSWER_KEY = "tdb_grille", "tdb_enregistrement", "tdb_positionnement", "tdb_reponse"


def save_choice(learner_id: int) -> None:
    # Runs before the saver's fragment, whose answer redraws the competency's button as stored.
    chosen = grid_element.chosen_positioning(SAVER_KEY)
    if chosen is None:
        return
    code, bilan_id = str(chosen.get("competency")), chosen.get("bilan")
    try:
        bilans.position_competency(db, user, learner_id, code, chosen.get("level"), chosen.get("objective"),
                                   bilan_id if isinstance(bilan_id, int) else None)
    except LivretError as error:
        flash.later(POSITIONED_FLASH, f"Positionnement non enregistré : {error}", "error")
    answered = st.session_state.get(ANSWER_KEY)
    st.session_state[ANSWER_KEY] = ((answered[0] + 1) if answered else 1, learner_id, code)


@ui.fragment
def positioning_saver(learner_id: int, editing) -> None:
    try:
        if dashboard.unlocked_editing(db, user, learner_id) != editing:
            st.rerun()  # a bilan was unlocked or locked again meanwhile: the whole page says so
        flash.show(POSITIONED_FLASH, toast=True)  # this fragment sits at the foot of the page
        answered, answer = st.session_state.get(ANSWER_KEY), None
        if answered and answered[1] == learner_id:
            answer = {"id": answered[0], "code": answered[2],
                      "button": dashboard.ask_button_html(db, user, learner_id, answered[2])}
    except LivretError as error:
        ui.show_error(error)
        return
    grid_element.positioning_saver(SAVER_KEY, answer, on_choose=lambda: save_choice(learner_id))


@ui.fragment
def competency_grid(learner_id: int, options: grid.GridOptions, editing) -> None:
    try:
        view = dashboard.cached_view(db, user, learner_id, options)
    except LivretError as error:
        ui.show_error(error)
        return
    target = (f"Bilan du {editing.date_label}, déverrouillé : ce choix le modifie." if editing
              else "Ce choix est enregistré dans le brouillon du bilan en cours.")
    grid_element.show_grid(view, learner_id, key=GRID_KEY, target=target, bilan_id=editing.bilan_id if editing else None,
                           legend_open=ui.user_preferences(user).legend_open, on_legend=keep_legend)


def keep_legend() -> None:
    opened = grid_element.legend_toggled(GRID_KEY)
    if opened is not None:
        preferences.choose(db, user, "legend_open", opened)


@ui.fragment
def bilan_button(learner_id: int) -> None:
    # A fragment: opening « BI » reruns only this button and its dialog, not the page and its grid.
    if st.button("BI", key="open_bilan", help="Créer le bilan intermédiaire de compétences"):
        bilan_dialogs.bilan_dialog(db, user, learner_id)


st.title("Tableau de bord")
try:
    with st.container(key="tdb_selection"):  # stays at the top while the grid scrolls (ui.layout)
        learner_id = selection.pick_learner(db, user, compact=True)
    if learner_id is None:
        st.stop()
    summary = dashboard.cached_summary(db, user, learner_id)
except LivretError as error:
    ui.show_error(error)
    st.stop()

# One compact band (two rows at most on a 1366×768 laptop): the widgets' own labels are read by screen
# readers, not shown; each choice's text says what it is.
filters = st.container(horizontal=True, vertical_alignment="center", gap="small", key="tdb_filters")
units = filters.pills("Unités", [dashboard.ALL_UNITS, *summary.unit_codes], label_visibility="collapsed",
                      selection_mode="multi", default=[dashboard.ALL_UNITS], key=UNITS_KEY, format_func=ui.markdown_text,
                      bind="query-params", on_change=keep_units_exclusive)
st.session_state[SEEN_UNITS_KEY] = units
counts = dict(summary.complexity_counts)
complexities = filters.container(horizontal=True, gap="small", width="content", key="tdb_complexites")
shown = tuple(
    code for code in COLUMN_CODES
    if complexities.toggle(f"{code} ({counts[code]})", value=True, key=f"tdb_{code}", bind="query-params",
                           help=f"{CODE_HELP[code]} : {counts[code]} évaluation(s)")
)
layout = filters.segmented_control("Affichage", ["Chronologique", "Condensé"], default="Chronologique",
                                   required=True, key="tdb_affichage", bind="query-params", label_visibility="collapsed")
titles = filters.segmented_control("Titres", ["Avec titres", "Sans titres"], default="Avec titres",
                                   required=True, key="tdb_titres", bind="query-params", label_visibility="collapsed")
view = filters.segmented_control("Vue", ["Complet", "Compact"], default="Complet",
                                 required=True, key="tdb_vue", bind="query-params", label_visibility="collapsed")
with filters.popover("Pré-remplir", icon=":material/playlist_add:", key="tdb_prefill_menu", on_change="rerun",
                     help="Remplir les compétences encore « ? » du brouillon"):
    st.caption(bilan_dialogs.PREFILL_HELP)
    bilan_dialogs.prefill_buttons(db, user, learner_id, "tdb_prefill", close="tdb_prefill_menu")
with filters:
    bilan_button(learner_id)
flash.show(bilan_dialogs.PREFILL_FLASH)
if summary.editing is not None:
    st.warning(f"Le bilan du {summary.editing.date_label} est déverrouillé : les positionnements au bout des "
               "lignes bleues (encadrés en pointillés) modifient ce bilan. Confirmez-le à nouveau sur la page "
               "« Bilans de compétences » pour le verrouiller.", icon=":material/lock_open:")
if not summary.has_results:
    st.info("Aucune évaluation n'est encore enregistrée pour cet apprenant.")

options = grid.GridOptions(condensed=layout == "Condensé", titles=titles == "Avec titres",
                           compact=view == "Compact", units=dashboard.chosen_units(units), complexities=shown)
competency_grid(learner_id, options, summary.editing)
positioning_saver(learner_id, summary.editing)
dashboard.prefetch(db, user, selection.neighbour_ids(learner_id), options)
