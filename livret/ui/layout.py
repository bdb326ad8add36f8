"""The page layout every page shares (issue 16): what a teacher needs is on screen on a 1366×768 school
laptop without scrolling, focus is always visible, and the dashboard's learner choice stays at the top
while its grid scrolls. A stylesheet, since Streamlit has no option for its own spacing."""

from __future__ import annotations

import streamlit as st

STYLESHEET = """
<style>
/* Less empty space above each page and a smaller title: the data starts higher. */
[data-testid="stHeader"] { height: 2.25rem; background: transparent; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; padding-bottom: 3rem; }
[data-testid="stMainBlockContainer"] h1 { font-size: 1.75rem; line-height: 1.2; padding: 0 0 .4rem; }
@media (min-width: 1600px) { [data-testid="stMainBlockContainer"] { max-width: none; padding-left: 3rem;
  padding-right: 3rem; } }
.st-key-livret_banner [data-testid="stAlertContainer"] { padding: .3rem .75rem; }
.st-key-livret_banner [data-testid="stMarkdownContainer"] p { font-size: .85rem; }
/* The keyboard's position is always visible. */
:focus-visible { outline: 2px solid #1a4fa8 !important; outline-offset: 2px; }
/* Tableau de bord: the class and learner (with « ← Précédent » / « Suivant → ») stay at the top. */
[data-testid="stLayoutWrapper"]:has(> .st-key-tdb_selection) { position: sticky; top: 0; z-index: 60; }
.st-key-tdb_selection { background: #ffffff; padding: .35rem 0 .25rem; box-shadow: 0 1px 0 rgba(49, 51, 63, .12); }
@media (max-width: 640px) {  /* a phone: the four stacked boxes would hide the grid */
  [data-testid="stLayoutWrapper"]:has(> .st-key-tdb_selection) { position: static; }
}
.st-key-tdb_filters { row-gap: .35rem; }
/* Notation: « Reste à répartir », the grade and a refusal stay in view beside the weights being typed. */
[data-testid="stColumn"]:has(.st-key-notation_summary) { position: sticky; top: 1rem; align-self: flex-start; }
.st-key-tdb_enregistrement { display: none; }  /* the positioning saver draws nothing of its own */
</style>
"""


def apply() -> None:
    """On every run, before the page."""
    st.html(STYLESHEET)
