"""The benchmark's floor: a page that shows one line of text and reruns on a button click."""

import streamlit as st

st.button("Relancer")
st.write("Une ligne de texte.")
