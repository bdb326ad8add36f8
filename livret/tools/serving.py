"""Start the app with `streamlit run` on a free port and drive it in headless Chromium.
Shared by the browser tests and the benchmark; waits on the app's own state, never on sleeps."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LIVRET_CHROMIUM") or shutil.which("chromium")  # None: Playwright's own build
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """`streamlit run SCRIPT` against the database at db_path, until stop()."""

    def __init__(self, db_path: Path, env: dict | None = None, script: Path | None = None, *,
                 port: int | None = None, args: tuple[str, ...] = (), unset: tuple[str, ...] = ()):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = db_path
        full_env = {**os.environ, "LIVRET_DB": str(db_path), **(env or {})}
        for name in unset:
            full_env.pop(name, None)
        # The server's output goes to a file: a pipe that nobody reads fills up and blocks the server.
        self.log_path = Path(tempfile.mkstemp(prefix="livret-server-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *args],
            cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
        )
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log_tail())
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("Streamlit did not become healthy")

    def log_tail(self, size: int = 8_000) -> str:
        """The end of what the server printed (its log and any traceback)."""
        data = self.log_path.read_bytes()
        return data[-size:].decode(errors="replace")

    def peak_memory_kib(self) -> int:
        """Peak resident memory of the server process (VmHWM), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
        self.log_path.unlink(missing_ok=True)


def outside_event_loop(function, *args):
    """function(*args), in a thread of its own where an asyncio event loop already runs: a test session
    that drives a browser with Playwright's sync API keeps one in its main thread, and neither Playwright's
    sync API nor asyncio.run starts inside it."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_for_app(page) -> None:
    """Wait until the app is connected and its script has finished running (nor is a run asked for). A widget's
    change marks nothing in the page until the server starts its run: a test that needs that run's outcome
    waits for what the run shows."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    page.wait_for_function(
        "() => { const app = document.querySelector(\"[data-testid='stApp']\");"
        " return app && !['running', 'rerunRequested'].includes(app.getAttribute('data-test-script-state')); }"
    )


def sign_in(page, base_url: str, account_label: str, path: str = "") -> None:
    """Open base_url/path and sign in with the demo account whose label contains account_label."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{base_url}/{path}")
    wait_for_app(page)
    option = page.get_by_role("option", name=account_label).first
    # A click that lands while the page is still being drawn opens no list (seen once in a few hundred
    # sign-ins on a loaded machine): click again rather than wait for a list that will not come.
    for attempt in range(3):
        page.get_by_label("Compte de démonstration").click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    option.click()
    page.get_by_role("button", name="Se connecter").click()
    wait_for_app(page)
    page.get_by_role("button", name="Se déconnecter").wait_for()


def open_options(page, combobox) -> None:
    """Open a select box's list of options. A click that lands while the page is still settling (a rerun
    redrawing the box) can leave the list closed: click again until the list is there."""
    listbox = page.get_by_role("listbox")
    for _ in range(4):
        if not listbox.count():
            combobox.click()
        try:
            listbox.wait_for(state="visible", timeout=3_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: try the click again
            continue
    listbox.wait_for(state="visible")


def close_lists(page) -> None:
    """Close an open select box's list, as a teacher does with Échap (the first Échap may only clear what
    was typed in it): Échap until no list is open, so the next click reaches what it aims at."""
    listbox = page.get_by_role("listbox")
    for _ in range(3):
        if not listbox.count():
            return
        page.keyboard.press("Escape")
        try:
            listbox.first.wait_for(state="hidden", timeout=1_000)
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: one more Échap
            continue
