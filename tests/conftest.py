"""Fixtures: small databases in a temporary file, the demo school, AppTest helpers, and a
Streamlit server driven by headless Chromium (waiting on the app's own state, never sleeping)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from livret import dashboard, demo, schema
from livret.db import close_thread_connections, connect
from livret.imports import referentiel
from livret.permissions import load_user
from livret.tools.serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    StreamlitServer,
    close_lists,
    open_options,
    sign_in,
    wait_for_app,
)

# Re-exported for the test modules.
__all__ = ["ROOT", "StreamlitServer", "close_lists", "open_options", "sign_in", "wait_for_app"]



@pytest.fixture
def empty_db(tmp_path):
    """A migrated database with the MELEC référentiel and nothing else."""
    db = connect(tmp_path / "empty.db")
    schema.migrate(db)
    referentiel.load_default_referentiel(db)
    yield db
    db.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo.build_demo_database(path)
    return path


@pytest.fixture
def demo_path(tmp_path, demo_template) -> Path:
    """A private copy of the demo school (cheaper than building it for every test)."""
    path = tmp_path / "demo.db"
    source = connect(demo_template)
    source.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    source.close()
    shutil.copy(demo_template, path)
    return path


@pytest.fixture
def demo_db(demo_path):
    db = connect(demo_path)
    yield db
    db.close()


def snapshot(db) -> dict:
    """Every row of every table: what a refused write must leave exactly as it was."""
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in tables}


def user_by_email(db, email):
    row = db.execute("SELECT id FROM users WHERE email = ?", [email]).fetchone()
    return load_user(db, row[0])


def first_user(db, role, where="1=1", params=()):
    row = db.execute(f"SELECT id FROM users WHERE role = ? AND {where} ORDER BY id LIMIT 1", [role, *params]).fetchone()
    return load_user(db, row[0])


@pytest.fixture
def roles(demo_db):
    """One demo user of each role; 'other_teacher' teaches none of 'teacher''s first class."""
    teacher = first_user(demo_db, "teacher")
    first_class = min(teacher.class_ids)
    other = first_user(demo_db, "teacher", "id NOT IN (SELECT user_id FROM teacher_classes WHERE class_id = ?)",
                       [first_class])
    learner = first_user(demo_db, "learner", "learner_id IN (SELECT id FROM learners WHERE class_id = ?)",
                         [first_class])
    return {
        "teacher": teacher, "other_teacher": other, "learner": learner,
        "ddfpt": first_user(demo_db, "ddfpt"), "admin": first_user(demo_db, "admin"), "class_id": first_class,
    }


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """argon2 at its lowest cost in this process: the rules are the same, a check takes a millisecond
    instead of a tenth of a second (the browser tests' servers keep the real cost)."""
    from argon2 import PasswordHasher

    from livret import auth

    real = auth._hasher
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    auth._dummy_hash = None
    yield
    auth._hasher = real
    auth._dummy_hash = None


@pytest.fixture(autouse=True)
def _fresh_thread_connections():
    yield
    close_thread_connections()


# ---------------------------------------------------------------- AppTest


@pytest.fixture
def app_env(demo_path, monkeypatch):
    """Point the app at a private demo database for AppTest runs."""
    monkeypatch.setenv("LIVRET_DB", str(demo_path))
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    dashboard.clear_caches()
    return demo_path


# ---------------------------------------------------------------- browser

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test shows what its server printed (a traceback there explains the page)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call":
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, StreamlitServer):
                report.sections.append((f"Streamlit server log ({name})", value.log_tail()))


@pytest.fixture(scope="session")
def server_db(tmp_path_factory, demo_template) -> Path:
    path = tmp_path_factory.mktemp("server") / "demo.db"
    shutil.copy(demo_template, path)
    return path


@pytest.fixture(scope="session")
def server(server_db):
    """One Streamlit server per test worker, on its own copy of the demo school."""
    srv = StreamlitServer(server_db)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(20_000)
    # Two shared cores run several servers and browsers at once: a first render can take seconds.
    expect.set_options(timeout=15_000)
    pg = context.new_page()
    yield pg
    context.close()
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def private_server(tmp_path_factory, demo_template):
    """A server on its own copy of the demo school, for the tests of one module that write data."""
    path = tmp_path_factory.mktemp("private") / "demo.db"
    shutil.copy(demo_template, path)
    srv = StreamlitServer(path)
    yield srv
    srv.stop()
