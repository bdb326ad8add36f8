"""The dashboard's competency grid in the page: one components-v2 element for every block.

st.html runs DOMPurify in the browser on every new body: for the grid (thousands of cells, each with its
tooltip and data attributes) it was the largest part of the time a « Suivant → » click took. The grid's
HTML is built by livret.grid from escaped text only (every text from a user or a file goes through
html.escape there), so it is trusted markup and this element sets it directly. The « ? » at the end of
each blue line is a button of that HTML: its click comes back to Python as the element's "position"
trigger, so the grid costs one Streamlit element instead of three per competency."""

from __future__ import annotations

import json

import streamlit as st

from livret.render import grid

COMPONENT = "livret_grid"
# The host keeps the last HTML it was given, so a rerun that sends the same grid leaves the DOM alone;
# data-learner tells which learner's grid is shown (the benchmark and the browser tests wait on it).
_JS = """
export default function ({ data, parentElement, setTriggerValue }) {
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
  host.onclick = (event) => {
    const button = event.target.closest("button.lv-ask");
    if (button && host.contains(button)) setTriggerValue("position", button.dataset.competency);
  };
  host.onchange = (event) => {
    const select = event.target.closest("select.lv-jump-select");
    if (!select || !select.value) return;
    const block = document.getElementById(select.value);
    if (block) block.scrollIntoView({ block: "start" });
    select.value = "";  // a menu, not a filter: the same competency can be chosen again
  };
}
"""


def show_grid(html: str, learner_id: int, key: str) -> str | None:
    """Show the trusted grid HTML with the grid's stylesheet.

    Returns the code of the competency whose « ? » was clicked in the event that caused this run,
    else None."""
    # Registering the same definition again is a no-op for Streamlit; doing it on each run keeps it
    # registered in every runtime (a server, or each AppTest).
    element = st.components.v2.component(COMPONENT, js=_JS, css=grid.stylesheet_css(), isolate_styles=False)
    result = element(data={"html": html, "learner": str(learner_id)}, key=key, on_position_change=_ignore)
    return result.position


def _ignore() -> None:
    """Streamlit keeps a component's trigger only when it has a callback; the page reads the value."""


def grid_html(element) -> str:
    """The HTML a grid element carries (for AppTest: element.proto of a bidi_component)."""
    return json.loads(element.proto.json)["html"]
