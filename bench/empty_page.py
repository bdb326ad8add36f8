"""The AppTest floor of the benchmark: an empty page run in the same process as the real pages."""

import streamlit as st

st.write("")
