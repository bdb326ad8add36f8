"""Accueil: the classes the signed-in user works with."""

import streamlit as st

from livret import school, ui
from livret.codes import PROPOSITION_METHODS
from livret.errors import LivretError
from livret.permissions import can
from livret.proposition import METHOD_FORMULAS, VALUES_TEXT
from livret.ui import flash

db = ui.database()
user = ui.current_user()
METHOD_KEY, SETTINGS_NOTICE = "accueil_methode", "accueil_reglages"


def set_method() -> None:
    try:
        chosen = school.set_proposition_method(db, user, st.session_state[METHOD_KEY])
    except LivretError as error:
        flash.later(SETTINGS_NOTICE, str(error), "error")
    else:
        flash.later(SETTINGS_NOTICE, f"Méthode de proposition : « {PROPOSITION_METHODS[chosen]} ».")

st.title("Livret de compétences")
st.write(f"Bonjour {ui.markdown_text(user.name)}.")
classes = school.visible_classes(db, user)
if classes.empty:
    st.info("Aucune classe ne vous est attribuée pour le moment.")
elif not can(user, "read_school"):
    st.write(f"Classe : **{ui.markdown_text(classes.iloc[0]['name'])}**")
else:
    summary = school.school_summary(db, user)
    st.subheader("Vos classes")
    ui.table(
        summary[["name", "diploma", "school_year", "learners", "evaluations", "bilans"]].rename(columns={
            "name": "Classe", "diploma": "Diplôme", "school_year": "Année scolaire",
            "learners": "Apprenants", "evaluations": "Évaluations", "bilans": "Bilans validés",
        }).set_index("Classe"),
    )

if can(user, "set_proposition_method"):
    st.subheader("Réglages de l'établissement")
    flash.show(SETTINGS_NOTICE)
    identity = school.school_identity(db)
    with st.form("accueil_etablissement", border=False):
        st.caption("En tête des bilans et des livrets imprimés ou téléchargés.")
        columns = st.columns([3, 1], vertical_alignment="bottom")
        name = columns[0].text_input("Nom de l'établissement", value=identity.name, max_chars=school.SCHOOL_NAME_MAX,
                                     placeholder="Lycée professionnel …")
        year = columns[1].text_input("Année scolaire", value=identity.year, placeholder="2025-2026")
        if st.form_submit_button("Enregistrer"):
            try:
                saved = school.set_school_identity(db, user, name, year)
            except LivretError as error:
                ui.show_error(error)  # what was typed stays in the fields
            else:
                flash.later(SETTINGS_NOTICE, f"Établissement : « {saved.name} », année scolaire {saved.year}.")
                st.rerun()
    methods = list(PROPOSITION_METHODS)
    st.session_state[METHOD_KEY] = school.proposition_method(db)  # the stored setting, even if changed elsewhere
    st.selectbox("Méthode de proposition des niveaux", methods, key=METHOD_KEY, format_func=PROPOSITION_METHODS.get,
                 on_change=set_method, width=360,
                 help="Comment le niveau proposé dans la fenêtre « ? » du tableau de bord est calculé à partir "
                      "des résultats de chaque critère, pour tous les enseignants de l'établissement.")
    chosen = school.proposition_method(db)
    st.caption(ui.markdown_text(f"Score d'un critère, {PROPOSITION_METHODS[chosen].lower()} : {METHOD_FORMULAS[chosen]}. "
                                f"{VALUES_TEXT}"))
