"""HTML that livret/render built from escaped text, shown as it is by a small components-v2 element.

st.html runs DOMPurify over its body in the browser on every run: for a large table (the class council's
hundreds of cells) that was most of a rerun's time. The renderers escape every text from a user or a
file, so their markup is trusted and set directly; an unchanged body leaves the page's DOM alone."""

from __future__ import annotations

import streamlit as st

COMPONENT = "livret_trusted_html"
_JS = """
export default function ({ data, parentElement }) {
  let host = parentElement.querySelector(":scope > div." + data.host_class);
  if (!host) {
    host = document.createElement("div");
    host.className = data.host_class;
    parentElement.appendChild(host);
  }
  if (host.lvHtml !== data.html) {
    host.innerHTML = data.html;
    host.lvHtml = data.html;
  }
}
"""


def show(html: str, css: str, key: str, *, name: str | None = None, host_class: str = "lv-trusted") -> None:
    """Show trusted HTML (built by livret/render, every text escaped) with its stylesheet, in a div of
    host_class (what the stylesheet is scoped to). name: the element's name, when several keys share one
    stylesheet (by default the key)."""
    element = st.components.v2.component(f"{COMPONENT}_{name or key}", js=_JS, css=css, isolate_styles=False)
    element(data={"html": html, "host_class": host_class}, key=key)


def body(element) -> str:
    """The HTML a trusted element carries (for AppTest: element.proto of a bidi_component)."""
    import json

    return json.loads(element.proto.json)["html"]
