"""Dialogs of the bilan opened from the dashboard (SPEC B1, B2): a UI-helpers module (Streamlit).

Contract used by pages/tableau_de_bord.py:
- positioning_dialog(db, user, learner_id, competency_id): « Niveaux d'acquisition de la compétence »
- bilan_dialog(db, user, learner_id): « Bilan de NOM Prénom »
Both are @st.dialog functions, called when the « ? » of a competency or the « BI » button is clicked.
"""

from __future__ import annotations

import streamlit as st


@st.dialog("Niveaux d'acquisition de la compétence")
def positioning_dialog(db, user, learner_id: int, competency_id: int) -> None:
    st.write("Positionnement en cours de réalisation.")


@st.dialog("Bilan")
def bilan_dialog(db, user, learner_id: int) -> None:
    st.write("Bilan en cours de réalisation.")
