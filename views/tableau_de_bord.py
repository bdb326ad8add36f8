"""Tableau de bord: one learner's results on every competency, their bilans, and the current draft (SPEC §2).

Every filter and display choice is bound to the URL, so a reload or a shared link shows the same view."""

import streamlit as st

from livret import dashboard, ui
from livret.codes import COLUMN_CODES, COMPLEXITIES
from livret.errors import LivretError
from livret.render import grid
from livret.ui import bilan_dialogs, bilan_sheet, flash, grid_element, selection

UNITS_KEY, SEEN_UNITS_KEY = "tdb_unites", "tdb_unites_vues"
CODE_HELP = {**COMPLEXITIES, "E": "Bilans entreprise"}

db = ui.database()
user = ui.current_user()


def keep_units_exclusive() -> None:
    st.session_state[UNITS_KEY] = dashboard.exclusive_units(
        st.session_state[UNITS_KEY], st.session_state.get(SEEN_UNITS_KEY, []))


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
    bilan_sheet.bilan_button(db, user, learner_id)
flash.show(bilan_dialogs.PREFILL_FLASH)
if summary.editing is not None:
    st.warning(f"Le bilan du {summary.editing.date_label} est déverrouillé : les positionnements au bout des "
               "lignes bleues (encadrés en pointillés) modifient ce bilan. Confirmez-le à nouveau sur la page "
               "« Bilans de compétences » pour le verrouiller.", icon=":material/lock_open:")
if not summary.has_results:
    st.info("Aucune évaluation n'est encore enregistrée pour cet apprenant.")

options = grid.GridOptions(condensed=layout == "Condensé", titles=titles == "Avec titres",
                           compact=view == "Compact", units=dashboard.chosen_units(units), complexities=shown)
grid_element.competency_grid(db, user, learner_id, options, summary.editing)
grid_element.positioning_saver(db, user, learner_id, summary.editing)
dashboard.prefetch(db, user, selection.neighbour_ids(learner_id), options)
