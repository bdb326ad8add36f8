"""Fixtures: small databases in a temporary file, the demo school, AppTest helpers, and a
Streamlit server driven by headless Chromium (waiting on the app's own state, never sleeping)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livret import demo, referentiel, schema
from livret.db import close_thread_connections, connect
from livret.permissions import load_user

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("LIVRET_CHROMIUM") or shutil.which("chromium")  # None: Playwright's own build
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


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
    return demo_path


# ---------------------------------------------------------------- browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    def __init__(self, db_path: Path, env: dict | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        full_env = {**os.environ, "LIVRET_DB": str(db_path), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode())
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Streamlit did not become healthy")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


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
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(page) -> None:
    """Wait until the app is connected and its script has finished running."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stApp'][data-test-script-state='running']\")"
    )


def sign_in(page, base_url: str, account_label: str, path: str = "") -> None:
    """Open base_url/path and sign in with the demo account whose label contains account_label."""
    page.goto(f"{base_url}/{path}")
    wait_for_app(page)
    page.get_by_label("Compte de démonstration").click()
    page.get_by_role("option", name=account_label).first.click()
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    page.get_by_role("button", name="Se déconnecter").wait_for()


@pytest.fixture(scope="module")
def private_server(tmp_path_factory, demo_template):
    """A server on its own copy of the demo school, for the tests of one module that write data."""
    path = tmp_path_factory.mktemp("private") / "demo.db"
    shutil.copy(demo_template, path)
    srv = StreamlitServer(path)
    yield srv
    srv.stop()
