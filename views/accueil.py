"""Accueil: the classes the signed-in user works with."""

import streamlit as st

from livret import school, ui
from livret.permissions import can

db = ui.database()
user = ui.current_user()

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
