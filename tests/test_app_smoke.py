"""Every page, for every role that may open it, runs without an exception."""

import pytest
from streamlit.testing.v1 import AppTest

from livret import navigation
from livret.db import connect

from .conftest import ROOT, first_user

ROLES = ("teacher", "ddfpt", "admin", "learner")


def run_page(script: str, user_id: int | None, timeout: int = 30) -> AppTest:
    at = AppTest.from_file(str(ROOT / script), default_timeout=timeout)
    if user_id is not None:
        at.session_state["user_id"] = user_id
    return at.run()


@pytest.mark.parametrize("spec, role", [(s, r) for s in navigation.PAGES for r in s.roles])
def test_every_page_runs_for_every_allowed_role(app_env, spec, role):
    db = connect(app_env)
    user = first_user(db, role)
    at = run_page(spec.script, user.id)
    assert not at.exception, at.exception
    assert at.title or at.markdown or at.header


@pytest.mark.parametrize("role", ROLES)
def test_app_navigation_lists_pages_of_role(app_env, role):
    db = connect(app_env)
    user = first_user(db, role)
    at = run_page("app.py", user.id)
    assert not at.exception
    assert any(b.label == "Se déconnecter" for b in at.button)


def test_signed_out_app_shows_demo_sign_in(app_env):
    at = run_page("app.py", None)
    assert not at.exception
    assert at.selectbox[0].label == "Compte de démonstration"
    assert any(o.startswith("Enseignant — ") for o in at.selectbox[0].options)
    at.selectbox[0].set_value(first_user(connect(app_env), "teacher").id)
    at.button[0].click().run()
    assert any(b.label == "Se déconnecter" for b in at.button)
