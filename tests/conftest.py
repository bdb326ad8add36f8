"""Fixtures: small databases in a temporary file, the demo school, AppTest helpers, and a
Streamlit server driven by headless Chromium (waiting on the app's own state, never sleeping)."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from livret import dashboard, demo, schema
from livret.db import close_pools, close_thread_connections, connect
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



# LIVRET_TEST_BACKEND=postgresql runs the suite's databases on a PostgreSQL server that the session starts
# itself (livret/tools/postgres.py); by default they are SQLite files.
ON_POSTGRES = os.environ.get("LIVRET_TEST_BACKEND", "sqlite") == "postgresql"
# On PostgreSQL every test but the browser's runs again; of the browser tests, the teacher's main journeys
# (their pages are the same code on either engine, and the suite must stay under 15 minutes).
POSTGRES_JOURNEYS = ("test_browser_positioning.py", "test_browser_bilan_dialog.py", "test_browser_saisie.py",
                     "test_browser_notation.py")


def pytest_collection_modifyitems(config, items):
    if not ON_POSTGRES:
        return
    kept = [item for item in items
            if item.get_closest_marker("browser") is None or item.path.name in POSTGRES_JOURNEYS]
    config.hook.pytest_deselected(items=[item for item in items if item not in kept])
    items[:] = kept


class Databases:
    """Where the tests' databases live: SQLite files in the test's folder, or databases of one PostgreSQL
    server per test worker (a copy is CREATE DATABASE … TEMPLATE, as cheap as copying a file)."""

    def __init__(self, folder: Path):
        self.folder, self.server, self.names = folder, None, itertools.count(1)
        if ON_POSTGRES:
            from livret.tools.postgres import TemporaryPostgres

            self.server = TemporaryPostgres(autovacuum=False).start()

    def new(self, name: str, folder: Path | None = None) -> str:
        if self.server is None:
            return str((folder or self.folder) / f"{name}.db")
        return self.server.create(f"{name}_{next(self.names)}")

    def copy(self, template: str, name: str, folder: Path | None = None) -> str:
        if self.server is None:
            source = connect(template)
            source.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            source.close()
            path = (folder or self.folder) / f"{name}.db"
            shutil.copy(template, path)
            return str(path)
        close_thread_connections()  # a template must have no connection open, pooled ones included
        close_pools(template)
        return self.server.create(f"{name}_{next(self.names)}", template=urlsplit(template).path.lstrip("/"))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    found = Databases(tmp_path_factory.mktemp("databases"))
    yield found
    found.stop()


@pytest.fixture(scope="session")
def postgres(databases):
    """A PostgreSQL server for the tests that need one whatever the suite's backend (the copy between
    engines): the suite's own when it runs on PostgreSQL."""
    if databases.server is not None:
        yield databases.server
        return
    from livret.tools.postgres import TemporaryPostgres

    server = TemporaryPostgres(autovacuum=False).start()
    yield server
    server.stop()


@pytest.fixture
def empty_db(databases, tmp_path):
    """A migrated database with the MELEC référentiel and nothing else."""
    db = connect(databases.new("empty", tmp_path))
    schema.migrate(db)
    referentiel.load_default_referentiel(db)
    yield db
    db.close()


@pytest.fixture(scope="session")
def demo_template(databases) -> str:
    location = databases.new("demo_template")
    demo.build_demo_database(location)
    return location


@pytest.fixture
def demo_path(databases, tmp_path, demo_template) -> str:
    """A private copy of the demo school (cheaper than building it for every test): a file path, or a
    PostgreSQL URL when the suite runs on PostgreSQL."""
    return databases.copy(demo_template, "demo", tmp_path)


@pytest.fixture
def demo_db(demo_path):
    db = connect(demo_path)
    yield db
    db.close()


def snapshot(db) -> dict:
    """Every row of every table: what a refused write must leave exactly as it was."""
    return {table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in db.tables()}


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
    close_pools()  # each test has databases of its own: their pools end with it


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
def server_db(databases, tmp_path_factory, demo_template) -> str:
    return databases.copy(demo_template, "server", tmp_path_factory.mktemp("server"))


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
def private_server(databases, tmp_path_factory, demo_template):
    """A server on its own copy of the demo school, for the tests of one module that write data."""
    srv = StreamlitServer(databases.copy(demo_template, "private", tmp_path_factory.mktemp("private")))
    yield srv
    srv.stop()
