"""French for the few texts Streamlit 1.67 writes itself and has no option for (issue 11).

Streamlit has no locale setting and no parameter for these texts (streamlit/streamlit#13500 asks for
the file uploader's; #10042, which would have added it, was closed unmerged). Where Streamlit offers a
parameter, the pages use it (placeholder= and select_all=False on st.multiselect,
French labels everywhere). What is left is only reachable by a stylesheet: the file uploader's button
and limit, the « Press Enter to apply » line under a text field, the « No results » of an open list, and
the tables' and charts' hover toolbar (Search, Download, Fullscreen, Show/hide columns: it has no option
and its tooltips cannot be translated, so it is hidden; the tables stay sortable and scrollable).

The English text is hidden with visibility (so it is neither shown nor in the page's innerText, which the
browser test reads) and the French one is drawn in its place by ::after. Two selectors are the class names
Streamlit's build gives the empty list of a select box and of a multiselect: they are tied to the pinned
Streamlit version, and tests/test_browser_french.py fails if an upgrade changes them."""

from __future__ import annotations

import streamlit as st

_SELECTBOX_EMPTY = ".equpb2c9"
_MULTISELECT_EMPTY = ".eo2qvtu11"

STYLESHEET = f"""
<style>
[data-testid="stElementToolbar"] {{ display: none !important; }}

[data-testid="stFileUploaderDropzone"] button {{ visibility: hidden; position: relative; }}
[data-testid="stFileUploaderDropzone"] button::after {{
  content: "Choisir un fichier"; visibility: visible; position: absolute; inset: 0; display: flex;
  align-items: center; justify-content: center; white-space: nowrap; padding: 0 0.75rem;
  border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; background: #ffffff; color: #31333f;
}}
[data-testid="stFileUploaderDropzoneInstructions"] {{ position: relative; }}
[data-testid="stFileUploaderDropzoneInstructions"] > * {{ visibility: hidden; }}
[data-testid="stFileUploaderDropzoneInstructions"]::after {{
  content: "Glissez le fichier ici ou choisissez-le (100 Mo au plus)"; position: absolute; left: 0; top: 50%;
  transform: translateY(-50%); white-space: nowrap; font-size: 0.875rem; color: rgba(49, 51, 63, 0.6);
}}

[data-testid="InputInstructions"] > span:first-child {{ visibility: hidden; font-size: 0; }}
[data-testid="InputInstructions"] > span:first-child::after {{
  content: "Entrée pour valider"; visibility: visible; font-size: 0.75rem;
}}
[data-testid="stForm"] [data-testid="InputInstructions"] > span:first-child::after {{
  content: "Entrée pour envoyer le formulaire";
}}
[data-testid="stTextArea"] [data-testid="InputInstructions"] > span:first-child::after {{
  content: "Ctrl+Entrée pour valider";
}}
[data-testid="stForm"] [data-testid="stTextArea"] [data-testid="InputInstructions"] > span:first-child::after {{
  content: "Ctrl+Entrée pour envoyer le formulaire";
}}

{_SELECTBOX_EMPTY}, {_MULTISELECT_EMPTY} {{ visibility: hidden; position: relative; }}
{_SELECTBOX_EMPTY}::after, {_MULTISELECT_EMPTY}::after {{
  content: "Aucun résultat"; visibility: visible; position: absolute;
}}
</style>
"""

MULTISELECT_PLACEHOLDER = "Choisissez dans la liste"


def apply() -> None:
    """On every run, before the page: the stylesheet lives as long as the element that carries it."""
    st.html(STYLESHEET)
