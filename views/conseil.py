"""Conseil de classe: the whole class on one screen, and what is still missing before the council (SPEC K1).

The class is bound to the URL like on every page; the to-do filter and the sort are bound to it too."""

import streamlit as st

from livret import council, ui
from livret.errors import LivretError
from livret.render import council as council_render
from livret.render import grid
from livret.ui import bilan_dialogs, documents, selection, trusted_html

db = ui.database()
user = ui.current_user()

st.title("Conseil de classe")
bilan_dialogs.apply_print_layout()
top = st.container(horizontal=True, vertical_alignment="bottom", gap="medium")
try:
    class_id = selection.pick_class(db, user, container=top)
    if class_id is None:
        st.stop()
    since = top.date_input("Depuis le", value=council.default_since_for(db, user, class_id), format="DD/MM/YYYY",
                           key=f"conseil_depuis_{class_id}", width=160,
                           help="Par défaut, le lendemain de la précédente série de bilans de la classe.")
    view = council.class_council(db, user, class_id, since)
except LivretError as error:
    ui.show_error(error)
    st.stop()

todo = view.todo()
parts = view.todo_text().split(" · ")
chosen = st.pills("À faire avant le conseil", list(todo), format_func=dict(zip(todo, parts)).get,
                  key="conseil_a_faire", bind="query-params",
                  help="Cliquez sur un élément pour ne montrer que les apprenants concernés.")
controls = st.container(horizontal=True, vertical_alignment="bottom", gap="medium", key="conseil_actions")
sort = controls.segmented_control("Trier par", council.SORTS, default=council.SORTS[0], required=True,
                                  key="conseil_tri", bind="query-params")
rows = view.shown(chosen, sort)
if controls.button("Imprimer", icon=":material/print:"):
    bilan_dialogs.open_print_dialog()
file_name = f"conseil_{view.class_name}_{since.isoformat()}"
ui.private_download_button("Exporter (XLSX)", lambda: council_render.export_xlsx(view, rows), file_name=f"{file_name}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", target=controls)
ui.private_download_button("Exporter (CSV)", lambda: council_render.export_csv(view, rows), file_name=f"{file_name}.csv",
                           mime="text/csv", icon=":material/download:", target=controls)

with st.container(key="conseil_documents"):
    documents.class_buttons(db, user, class_id, view.class_name, key="conseil_classe")
trusted_html.show(council_render.council_html(view, rows, sort), grid.stylesheet_css() + council_render.COUNCIL_CSS,
                  key="conseil_tableau")
st.subheader("Répartition de la classe au dernier bilan")
st.vega_lite_chart(council_render.distribution_chart(view.distribution()), width="stretch",
                   alt="Nombre d'apprenants à chaque niveau, compétence par compétence")
