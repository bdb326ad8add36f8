"""Tableau de bord: one learner's results on every competency, their bilans, and the current draft (SPEC §2).

Every filter and display choice is bound to the URL, so a reload or a shared link shows the same view."""

import json

import streamlit as st

from livret import bilan_dialogs, dashboard, grid, ui, ui_grid, ui_selection
from livret.codes import COMPLEXITIES
from livret.errors import LivretError

UNITS_KEY, SEEN_UNITS_KEY = "tdb_unites", "tdb_unites_vues"
JUMP_KEY, SCROLL_KEY = "tdb_aller", "tdb_defiler"
CODE_HELP = {**COMPLEXITIES, "E": "Bilans entreprise"}

db = ui.database()
user = ui.current_user()


def keep_units_exclusive() -> None:
    st.session_state[UNITS_KEY] = dashboard.exclusive_units(
        st.session_state[UNITS_KEY], st.session_state.get(SEEN_UNITS_KEY, []))


def request_scroll() -> None:
    code = st.session_state.get(JUMP_KEY)
    if code is not None:
        count = st.session_state.get(SCROLL_KEY, (None, 0))[1] + 1
        st.session_state[SCROLL_KEY] = (code, count)
    st.session_state[JUMP_KEY] = None  # the list is a menu: the same competency can be chosen again


@st.fragment
def competency_grid(learner_id: int, options: grid.GridOptions) -> None:
    try:
        blocks = dashboard.cached_blocks(db, user, learner_id, options)
    except LivretError as error:
        ui.show_error(error)
        return
    labels = {block.code: block.label for block in blocks}
    head = st.container(horizontal=True, vertical_alignment="bottom")
    head.selectbox("Aller à la compétence", list(labels), format_func=labels.get, index=None,
                   placeholder="Choisir une compétence", key=JUMP_KEY, on_change=request_scroll, width=420)
    if head.button("BI", key="open_bilan", help="Créer le bilan intermédiaire de compétences"):
        bilan_dialogs.bilan_dialog(db, user, learner_id)
    asked = ui_grid.show_grid("".join(block.html for block in blocks), learner_id, key="tdb_grille")
    competency_ids = {block.code: block.competency_id for block in blocks}
    if asked in competency_ids:
        bilan_dialogs.positioning_dialog(db, user, learner_id, competency_ids[asked])
    target = st.session_state.pop(SCROLL_KEY, None)
    if target is not None and target[0] in labels:
        # st.html is not iframed: this one script scrolls the page to the chosen block (ids are ours).
        block_id = json.dumps("lv-" + target[0]).replace("<", "\\u003c")  # a code cannot close the script
        st.html(f"<script>/* {target[1]} */ (function go(n) {{ const e = document.getElementById("
                f"{block_id}); if (e) e.scrollIntoView({{block: 'start'}}); "
                f"else if (n > 0) setTimeout(() => go(n - 1), 100); }})(30);</script>",
                unsafe_allow_javascript=True)


st.title("Tableau de bord")
st.html(grid.stylesheet())
try:
    learner_id = ui_selection.pick_learner(db, user)
    if learner_id is None:
        st.stop()
    data = dashboard.cached_learner_data(db, user, learner_id)
except LivretError as error:
    ui.show_error(error)
    st.stop()

filters = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
units = filters.pills("Unités", [dashboard.ALL_UNITS, *dashboard.unit_codes(data.referentiel)],
                      selection_mode="multi", default=[dashboard.ALL_UNITS], key=UNITS_KEY,
                      bind="query-params", on_change=keep_units_exclusive)
st.session_state[SEEN_UNITS_KEY] = units
counts = dashboard.complexity_counts(data.results)
complexities = filters.container(horizontal=True, gap="small")
complexities.markdown("**Complexité**")
shown = tuple(
    code for code in dashboard.COLUMN_CODES
    if complexities.toggle(f"{code} ({counts[code]})", value=True, key=f"tdb_{code}", bind="query-params",
                           help=f"{CODE_HELP[code]} : {counts[code]} évaluation(s)")
)
modes = st.container(horizontal=True, gap="medium")
layout = modes.segmented_control("Affichage", ["Chronologique", "Condensé"], default="Chronologique",
                                 required=True, key="tdb_affichage", bind="query-params")
titles = modes.segmented_control("Titres", ["Avec titres", "Sans titres"], default="Avec titres",
                                 required=True, key="tdb_titres", bind="query-params")
view = modes.segmented_control("Vue", ["Complet", "Compact"], default="Complet",
                               required=True, key="tdb_vue", bind="query-params")
st.html(grid.legend_html())
if data.results.empty:
    st.info("Aucune évaluation n'est encore enregistrée pour cet apprenant.")

competency_grid(learner_id, grid.GridOptions(
    condensed=layout == "Condensé", titles=titles == "Avec titres", compact=view == "Compact",
    units=dashboard.chosen_units(units), complexities=shown,
))
