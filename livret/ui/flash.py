"""A message that outlives the rerun following an action, shown once where the page puts it.

An action (a button, a callback) records its outcome with later(key, text, kind), usually just before
st.rerun(); the page's next run shows it with show(key) at the place it belongs (above the grid, in
the tab of the form...), and forgets it. The text is shown literally (ui.markdown_text): it may quote
a name or a title someone typed."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from livret.ui import markdown_text

KINDS = ("success", "info", "warning", "error")
ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
         "error": ":material/block:"}


@dataclass(frozen=True)
class Flash:
    text: str
    kind: str = "success"
    detail: object = None  # for the page to show under the message, e.g. a temporary password


def later(key: str, text: str, kind: str = "success", *, detail: object = None) -> None:
    """Keep a message (success, info, warning or error) to show on the next run under key; a later
    message under the same key replaces it."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    st.session_state[key] = Flash(text, kind, detail)


def show(key: str, *, icon: bool = False, toast: bool = False) -> Flash | None:
    """Show the message kept under key, if any, once (with its kind's icon when icon); returns it, so
    that the page can show its detail. toast: in the page's corner until closed, wherever the page is
    scrolled (for an outcome of something done far from where the message would sit)."""
    flash = st.session_state.pop(key, None)
    if flash is None:
        return None
    if toast:
        st.toast(markdown_text(flash.text), icon=ICONS[flash.kind], duration="infinite")
        return flash
    message = getattr(st, flash.kind)
    message(markdown_text(flash.text), icon=ICONS[flash.kind] if icon else None)
    return flash
