"""The benchmark's floor: a page with one line of text and a button; each click reruns it and changes
the line (a counter), so the floor is timed to the moment its rerun is shown, like every page measured
against it."""

import streamlit as st

if st.button("Relancer"):
    st.session_state["relances"] = st.session_state.get("relances", 0) + 1
st.write(f"Relance n° {st.session_state.get('relances', 0)}.")
