"""No traceback ever reaches a user (issue 11): an unexpected exception in a page, a dialog or a fragment
shows a French message and is logged on the server with its traceback; st.rerun / st.stop /
st.switch_page still work through the boundary."""

from __future__ import annotations

import logging

import pytest
from streamlit.testing.v1 import AppTest

from livret import school, ui
from livret.db import connect

from .conftest import ROOT, first_user

SECRET = "/srv/livret/secret-path.db: no such table learners_private"


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def server_log():
    handler = _Collect()
    ui.LOGGER.addHandler(handler)
    yield handler.records
    ui.LOGGER.removeHandler(handler)


def _everything_shown(at: AppTest) -> str:
    texts = [e.value for e in at.error] + [e.value for e in at.markdown] + [e.value for e in at.warning]
    return "\n".join(str(t) for t in texts)


def _assert_french_message_only(at: AppTest) -> None:
    assert not at.exception, at.exception
    messages = [e.value for e in at.error]
    assert any("Une erreur inattendue" in m and "Rien n'a été perdu de ce qui était enregistré" in m
               for m in messages), messages
    shown = _everything_shown(at)
    assert SECRET not in shown and "Traceback" not in shown and "RuntimeError" not in shown


def test_a_page_whose_service_raises_shows_the_french_message_and_logs_the_traceback(app_env, monkeypatch,
                                                                                     server_log):
    def broken(*args, **kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(school, "school_summary", broken)
    teacher = first_user(connect(app_env), "teacher")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.session_state["user_id"] = teacher.id
    at.run()
    at.switch_page("views/accueil.py").run()
    _assert_french_message_only(at)
    assert any(b.label == "Se déconnecter" for b in at.button)  # the sidebar is still there
    assert at.title[0].value == "Livret de compétences"  # what the page showed before the error stays
    logged = [r for r in server_log if r.exc_info]
    assert logged and SECRET in str(logged[0].exc_info[1])
    reference = logged[0].getMessage().split()[-1].rstrip(")")
    assert reference in at.error[0].value  # the user's message names the log line


def _dialog_script():
    import streamlit as st

    from livret import ui

    @ui.dialog("Dialogue en panne")
    def broken_dialog():
        st.write("Avant l'erreur")
        raise RuntimeError("/srv/livret/secret-path.db: no such table learners_private")

    @ui.fragment
    def broken_fragment():
        if st.button("Fragment"):
            raise KeyError("/srv/livret/secret-path.db: no such table learners_private")

    if st.button("Ouvrir"):
        broken_dialog()
    broken_fragment()
    st.write("Fin de la page")


def test_a_dialog_and_a_fragment_that_raise_show_the_french_message(server_log):
    at = AppTest.from_function(_dialog_script).run()
    assert not at.exception and not at.error
    next(b for b in at.button if b.label == "Ouvrir").click().run()
    _assert_french_message_only(at)
    assert "Avant l'erreur" in _everything_shown(at) and "Fin de la page" in _everything_shown(at)
    at = AppTest.from_function(_dialog_script).run()
    next(b for b in at.button if b.label == "Fragment").click().run()
    _assert_french_message_only(at)
    assert len([r for r in server_log if r.exc_info]) == 2


def _control_flow_script():
    import streamlit as st

    from livret import ui
    from livret.errors import ValidationError

    with ui.error_boundary():
        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        if st.session_state["runs"] == 1:
            st.rerun()
        st.write(f"Exécution {st.session_state['runs']}")
        if st.button("Arrêter"):
            st.stop()
        if st.button("Refuser"):
            raise ValidationError("La date « 31/02/2026 » n'existe pas.")
    st.write("Après la zone protégée")


def test_rerun_and_stop_pass_through_and_a_refusal_shows_its_own_message(server_log):
    at = AppTest.from_function(_control_flow_script).run()
    assert not at.exception and not at.error
    assert "Exécution 2" in _everything_shown(at)  # st.rerun() was not swallowed
    next(b for b in at.button if b.label == "Arrêter").click().run()
    assert not at.exception and not at.error
    assert "Après la zone protégée" not in _everything_shown(at)  # st.stop() stopped the script
    at.run()
    next(b for b in at.button if b.label == "Refuser").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["La date « 31/02/2026 » n'existe pas."]
    assert not [r for r in server_log if r.exc_info]  # a refusal is not an unexpected error


def test_streamlit_itself_shows_no_error_details():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
