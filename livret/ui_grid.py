"""The dashboard's competency blocks in the page, without st.html's client-side sanitising.

st.html runs DOMPurify in the browser on every new body: for the grid (thousands of cells, each with its
tooltip and data attributes) it was the largest part of the time a « Suivant → » click took. The blocks'
HTML is built by livret.grid from escaped text only (every text from a user or a file goes through
html.escape there), so it is trusted markup and a components v2 element sets it directly."""

from __future__ import annotations

import json

import streamlit as st

COMPONENT = "livret_grid_block"
# The host keeps the last HTML it was given, so a rerun that sends the same block leaves the DOM alone;
# data-learner tells which learner's grid is shown (the benchmark waits on it).
_JS = """
export default function ({ data, parentElement }) {
  let host = parentElement.querySelector(":scope > div.lv-host");
  if (!host) {
    host = document.createElement("div");
    host.className = "lv-host";
    parentElement.appendChild(host);
  }
  if (host.lvHtml !== data.html) {
    host.innerHTML = data.html;
    host.lvHtml = data.html;
  }
  host.dataset.learner = data.learner;
}
"""


def show_block(html: str, learner_id: int, key: str) -> None:
    """Show one block of trusted grid HTML (styles come from grid.stylesheet(), shown once per page)."""
    # Registering the same definition again is a no-op for Streamlit; doing it on each run keeps it
    # registered in every runtime (a server, or each AppTest).
    block = st.components.v2.component(COMPONENT, js=_JS, isolate_styles=False)
    block(data={"html": html, "learner": str(learner_id)}, key=key)


def block_html(element) -> str:
    """The HTML a block element carries (for AppTest: element.proto of a bidi_component)."""
    return json.loads(element.proto.json)["html"]
