"""`python -m livret bench`: measured speed of every page at 1× and 10× the demo school (issue 8).

Each figure is a median of repeated runs. Page figures are compared with the framework's floor
measured in the same run (an empty page in AppTest, a one-line page in the browser), because these
machines are shared and noisy: ratios measured together are what can be compared across runs."""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import io
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from livret import demo
from livret.db import connect

ROOT = Path(__file__).resolve().parents[2]
EMPTY_PAGE = ROOT / "bench" / "empty_page.py"
TRIVIAL_APP = ROOT / "bench" / "trivial_app.py"
MODES = {
    "chronologique": {},
    "condensé": {"condensed": True},
    "sans titres": {"titles": False},
    "compact": {"compact": True},
}


@dataclass
class Row:
    label: str
    unit: str
    values: dict[int, float] = field(default_factory=dict)  # scale -> value
    per_learner: bool = True


def fullest_learner(db) -> dict:
    """The learner with the most evaluations, with the names the pages' URLs use."""
    row = db.execute(
        "SELECT r.learner_id, count(DISTINCT r.evaluation_id) AS n, l.last_name, l.first_name, c.name "
        "FROM results r JOIN learners l ON l.id = r.learner_id JOIN classes c ON c.id = l.class_id "
        "GROUP BY r.learner_id, l.last_name, l.first_name, c.name ORDER BY n DESC, r.learner_id LIMIT 1").fetchone()
    return {"id": row[0], "evaluations": row[1], "label": f"{row[2]} {row[3]}", "class_name": row[4]}


def ddfpt_id(db) -> int:
    return db.execute("SELECT id FROM users WHERE role = 'ddfpt' ORDER BY id LIMIT 1").fetchone()[0]


def page_script(url_path: str) -> Path:
    """A page's script, as the navigation registry names it (wherever the page folder is)."""
    from livret.navigation import PAGES

    return ROOT / next(spec.script for spec in PAGES if spec.url_path == url_path)


def class_learner_ids(db, class_name: str) -> dict[str, int]:
    """Learner label → id in the class, as the learner select box labels them."""
    from livret import school
    from livret.permissions import load_user

    user = load_user(db, ddfpt_id(db))
    class_id = db.execute("SELECT id FROM classes WHERE name = ?", [class_name]).fetchone()[0]
    learners = school.class_learners(db, user, class_id)
    return {str(name): int(learner_id) for name, learner_id in zip(learners["full_name"], learners["id"])}


def database_for(scale: int, folder: Path) -> Path:
    path = folder / f"demo-scale{scale}.db"
    if not path.exists():
        demo.build_demo_database(path, scale=scale)
    return path


# ---------------------------------------------------------------- 1-2: data and grid


def measure_data_and_grid(paths: dict[int, Path], repeat: int, postgres: dict[int, str] | None = None
                          ) -> dict[int, dict[str, float]]:
    """Figures 1-2 at every scale, and figure 1 on PostgreSQL too when postgres gives each scale's copy
    there. The scales and the engines take turns sample by sample, so a slow moment of a shared machine
    falls on all of them and the ratios compare like with like."""
    from livret import council, dashboard
    from livret.permissions import load_user
    from livret.render import grid

    # These take milliseconds: many more runs than the pages get.
    repeat = max(repeat, 30)
    setups = {}
    for scale, path in paths.items():
        db = connect(path)
        learner = fullest_learner(db)
        user = load_user(db, ddfpt_id(db))
        setups[scale] = (db, learner["id"], user, dashboard.learner_data(db, user, learner["id"]))

    def show(data, options):
        # What the page sends: legend, jump list and blocks, with the draft's buttons.
        blocks = grid.render_blocks(data.referentiel, data.results, data.bilans, options, data.drafts)
        return "".join(html for _, html in grid.page_parts(blocks))

    engines = {}
    for scale, location in (postgres or {}).items():
        db = connect(location)
        learner = fullest_learner(db)
        engines[scale] = (db, learner["id"], load_user(db, ddfpt_id(db)))

    def read(figures, db, learner_id, user, engine=""):
        figures.setdefault(f"data_ms{engine}", []).append(
            _timed_without_gc(functools.partial(dashboard.learner_data, db, user, learner_id)))
        class_id = db.execute("SELECT class_id FROM learners WHERE id = ?", [learner_id]).fetchone()[0]
        council.clear_cache()  # the whole class read and computed, nothing cached
        figures.setdefault(f"council_ms{engine}", []).append(
            _timed_without_gc(functools.partial(council.class_council, db, user, class_id)))

    samples: dict[int, dict[str, list[float]]] = {scale: {} for scale in paths}
    for _ in range(repeat):
        for scale, (db, learner_id, user, data) in setups.items():
            figures = samples[scale]
            read(figures, db, learner_id, user)
            if scale in engines:
                read(figures, *engines[scale], engine=":PostgreSQL")
            for mode, options in MODES.items():
                render = functools.partial(show, data, grid.GridOptions(**options))
                figures.setdefault(f"grid_ms:{mode}", []).append(_timed_without_gc(render))
    results = {}
    for scale, (db, _, _, data) in setups.items():
        results[scale] = {key: statistics.median(values) for key, values in samples[scale].items()}
        for mode, options in MODES.items():
            results[scale][f"grid_kb:{mode}"] = len(show(data, grid.GridOptions(**options)).encode()) / 1024
        db.close()
    for db, _, _ in engines.values():
        db.close()
    return results


def _timed_without_gc(action) -> float:
    # As timeit does: a collection that happens to start during one sample is not that sample's cost.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _timed(action)
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- 7: documents


def measure_documents(paths: dict[int, Path], repeat: int) -> dict[int, dict[str, float]]:
    """Figure 7: one bilan as a PDF (time, size), the fullest learner's class at once (time, size) and that
    learner's livret (time, pages); the class and the livret take seconds, so they run once per scale."""
    import pypdf  # a test dependency: `make bench` installs it

    from livret import bilans, documents
    from livret.permissions import load_user
    from livret.render import pdf

    results: dict[int, dict[str, float]] = {}
    if not pdf.available():
        return results
    for scale, path in paths.items():
        db = connect(path)
        learner = fullest_learner(db)
        user = load_user(db, ddfpt_id(db))
        bilan = bilans.latest_validated_bilan(db, user, learner["id"])
        class_id = db.execute("SELECT class_id FROM learners WHERE id = ?", [learner["id"]]).fetchone()[0]
        one = [_timed(functools.partial(documents.bilan_pdf, db, user, bilan.id)) for _ in range(max(repeat, 3))]
        figures = {"pdf_ms:un bilan": statistics.median(one),
                   "pdf_kb:un bilan": len(documents.bilan_pdf(db, user, bilan.id)) / 1024}
        start = time.perf_counter()
        whole = documents.class_bilans_pdf(db, user, class_id)
        figures["pdf_s:bilans d'une classe"] = time.perf_counter() - start
        figures["pdf_mb:bilans d'une classe"] = len(whole) / 1024 / 1024
        start = time.perf_counter()
        livret = documents.learner_livret_pdf(db, user, learner["id"])
        figures["pdf_s:livret d'un apprenant"] = time.perf_counter() - start
        figures["pdf_pages:livret d'un apprenant"] = len(pypdf.PdfReader(io.BytesIO(livret)).pages)
        results[scale] = figures
        db.close()
    return results


# ---------------------------------------------------------------- 3-4: AppTest


@contextlib.contextmanager
def _env(**values):
    import os

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def measure_apptest(paths: dict[int, Path], repeat: int, postgres: dict[int, str] | None = None
                    ) -> dict[int, dict[str, float]]:
    """Figures 3-4 at every scale, and on PostgreSQL too when postgres gives each scale's copy there; the
    scales, engines and pages taking turns run by run."""
    from streamlit.testing.v1 import AppTest

    setups = {}
    for scale, path in paths.items():
        db = connect(path)
        learner = fullest_learner(db)
        setups[scale] = (path, ddfpt_id(db), {"classe": learner["class_name"], "apprenant": learner["label"]})
        db.close()

    def first_run(scale: int, script: Path):
        _, user_id, params = setups[scale]
        at = AppTest.from_file(str(script), default_timeout=60)
        at.session_state["user_id"] = user_id
        for key, value in params.items():
            at.query_params[key] = value
        return at.run()

    def page_run(scale: int, script: Path, click: str | None) -> float:
        start = time.perf_counter()
        at = first_run(scale, script)
        if click is not None:
            button = next(b for b in at.button if b.label == click or b.key == click)
            button.click().run()
        assert not at.exception, at.exception
        return (time.perf_counter() - start) * 1000

    scripts = {
        "empty": (EMPTY_PAGE, None),
        "tableau de bord": (page_script("tableau-de-bord"), None),
        "bilans de compétences": (page_script("bilans"), None),
        "notation": (page_script("notation"), "Noter le dernier bilan des apprenants"),
        "conseil de classe": (page_script("conseil-de-classe"), None),
    }
    samples: dict[int, dict[str, list[float]]] = {scale: {} for scale in paths}
    engines = [(scale, path, "") for scale, (path, *_) in setups.items()]
    engines += [(scale, location, POSTGRES_SUFFIX) for scale, location in (postgres or {}).items()]
    for round_ in range(repeat + 1):
        for scale, location, engine in engines:
            with _env(LIVRET_DB=str(location)):
                timings = {f"apptest_ms:{name}{engine}": page_run(scale, script, click)
                           for name, (script, click) in scripts.items()}
            if round_ == 0:
                continue  # warms the caches and imports: a teacher's second look, not the server's first
            for key, value in timings.items():
                samples[scale].setdefault(key, []).append(value)
    return {scale: {key: statistics.median(values) for key, values in figures.items()}
            for scale, figures in samples.items()}


# ---------------------------------------------------------------- 5-6: browser


def measure_browser(path: Path, clicks: int, sessions: int) -> dict[str, float]:
    from livret.tools.serving import outside_event_loop

    return outside_event_loop(_measure_browser, path, clicks, sessions)


def _measure_browser(path: Path, clicks: int, sessions: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from livret.tools.serving import StreamlitServer, launch_chromium

    db = connect(path)
    learner = fullest_learner(db)
    learner_ids = class_learner_ids(db, learner["class_name"])
    db.close()
    trivial = StreamlitServer(path, script=TRIVIAL_APP)
    server = StreamlitServer(path)
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            run = _BrowserRun(browser, trivial.url, server.url, learner, learner_ids)
            figures = run.measure(clicks)
            if sessions:
                figures[f"memory_mb:{sessions} sessions"] = run.peak_memory(server, sessions)
            browser.close()
    finally:
        server.stop()
        trivial.stop()
    return figures


class _BrowserRun:
    """The floor page and the dashboard, each in a browser context of its own (both in front, so both get
    their animation frames), clicked in turns: a slow moment of the machine falls on all figures alike.
    Every action is timed to the moment its own change is shown."""

    def __init__(self, browser, floor_url: str, app_url: str, learner: dict, learner_ids: dict[str, int]):
        from livret.tools.serving import sign_in, wait_for_app

        self.browser, self.learner, self.learner_ids, self.wait = browser, learner, learner_ids, wait_for_app
        self.floor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        self.floor.goto(floor_url)
        wait_for_app(self.floor)
        self.reruns = 0
        self.page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        self.app_url = app_url
        sign_in(self.page, app_url, "DDFPT", path=f"?classe={learner['class_name']}")
        self.page.locator("section.lv-comp").first.wait_for()
        self.learner_box = self.page.locator("input[aria-label='Apprenant']")
        self.dialog = self.page.locator("dialog.lv-dialog")
        self.levels = ("++ · terminal", "+ · terminal")
        self.council = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(self.council, app_url, "DDFPT", path=f"conseil-de-classe?classe={learner['class_name']}")
        self.council.locator("table.cc").wait_for()
        self.sorts = ("Note", "Nom")

    def floor_rerun(self) -> None:
        self.reruns += 1
        streamlit_button(self.floor, "Relancer").click()
        self.floor.get_by_text(f"Relance n° {self.reruns}.", exact=True).wait_for()
        self.wait(self.floor)

    def next_learner(self) -> None:
        # Done when the script has finished and the grid on the page is the new learner's (its host names
        # the learner it shows), not merely when the box changed.
        page, before = self.page, self.learner_box.input_value()
        streamlit_button(page, "Suivant →").click()
        page.wait_for_function(
            "(before) => { const box = document.querySelector('input[aria-label=\"Apprenant\"]');"
            " return box && box.value !== before; }", arg=before)
        self.wait(page)
        page.wait_for_function(
            "(id) => { const host = document.querySelector('.lv-host');"
            " return host && host.dataset.learner === id && host.querySelector('section.lv-comp'); }",
            arg=str(self.learner_ids[self.learner_box.input_value()]))

    def open_question(self) -> None:
        self.page.locator("#lv-C1 button.lv-ask").click()
        self.dialog.get_by_text("C1 - ", exact=False).wait_for()

    def choose_level(self, label: str) -> None:
        # Done when the dialog is closed and the badge drawn by the server (no longer « being saved ») is there.
        self.dialog.get_by_role("button", name=label, exact=True).click()
        self.page.wait_for_function(
            "(text) => { const b = document.querySelector('#lv-C1 button.lv-ask');"
            " return b && b.textContent === text && !b.classList.contains('lv-saving')"
            " && !document.querySelector('dialog.lv-dialog[open]'); }", arg=label.split(" · ")[0])
        self.wait(self.page)

    def next_competency(self) -> None:
        self.dialog.get_by_role("button", name="Suivante →").click()
        self.dialog.get_by_text("C2 - ", exact=False).wait_for()

    def close_dialog(self) -> None:
        self.dialog.get_by_role("button", name="Fermer").click()
        self.dialog.wait_for(state="hidden")

    def open_bilan(self) -> None:
        # Done when the dialog shows the learner's draft as it is now (its tables drawn, no longer « busy »).
        self.page.locator("button.lv-bi-open").click()
        self.page.locator("dialog.lv-bilan[open]:not([aria-busy]) .lv-bi-body table").first.wait_for()
        self.wait(self.page)

    def close_bilan(self) -> None:
        # CSS locators: a role locator walks the whole page in the browser (see streamlit_button), and the
        # garbage it leaves slowed the next steps' figures.
        self.page.locator("dialog.lv-bilan button.lv-bi-close").click()
        self.page.locator("dialog.lv-bilan").wait_for(state="hidden")
        self.wait(self.page)

    def sort_council(self, sort: str) -> None:
        # Done when the table drawn with that order is on the page and the script has finished.
        self.council.locator("[data-testid='stButtonGroup'] button").filter(has_text=sort).first.click()
        self.council.locator(f"table.cc[data-sort='{sort}']").wait_for()
        self.wait(self.council)

    def measure(self, clicks: int) -> dict[str, float]:
        self.floor_rerun()
        self.next_learner()
        samples: dict[str, list[float]] = {}
        for n in range(clicks):
            # (figure, action): each timed action comes right after a floor rerun; None is a step between.
            steps = (("suivant", self.next_learner), ("? → dialogue", self.open_question),
                     ("niveau → pastille", functools.partial(self.choose_level, self.levels[n % 2])),
                     (None, self.open_question), ("suivante → compétence suivante", self.next_competency),
                     (None, self.close_dialog), ("dialogue BI", self.open_bilan), (None, self.close_bilan),
                     ("conseil de classe → tri", functools.partial(self.sort_council, self.sorts[n % 2])))
            for name, action in steps:
                if name is None:
                    action()
                    continue
                samples.setdefault("rerun trivial", []).append(_timed(self.floor_rerun))
                samples.setdefault(name, []).append(_timed(action))
        return {f"browser_ms:{name}": statistics.median(values) for name, values in samples.items()}

    def peak_memory(self, server, sessions: int) -> float:
        from livret.tools.serving import sign_in

        extra = []
        for _ in range(sessions - 1):
            other = self.browser.new_context(viewport={"width": 1280, "height": 900})
            page = other.new_page()
            sign_in(page, self.app_url, "DDFPT",
                    path=f"?classe={self.learner['class_name']}&apprenant={self.learner['label']}")
            page.locator("section.lv-comp").first.wait_for()
            extra.append(other)
        peak = server.peak_memory_kib() / 1024
        for other in extra:
            other.close()
        return peak


def streamlit_button(page, label: str):
    """A Streamlit button found by CSS and its text. Role locators compute the accessibility tree of the
    whole page at every click, a cost of Playwright that grows with the grid's size, not of the app;
    both the floor and the pages use this same locator."""
    return page.locator("[data-testid='stButton'] button").filter(has_text=label)


def _timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


# ---------------------------------------------------------------- report


def run(scales: list[int], repeat: int, clicks: int, sessions: int, browser: bool, folder: Path,
        postgres: bool = False) -> str:
    paths = {scale: database_for(scale, folder) for scale in scales}
    learners: dict[int, dict] = {}
    for scale, path in paths.items():
        db = connect(path)
        learners[scale] = fullest_learner(db)
        db.close()
    server, copies = None, {}
    if postgres:
        from livret import copying
        from livret.tools.postgres import TemporaryPostgres

        server = TemporaryPostgres().start()
    try:
        for scale, path in paths.items():
            if server is not None:
                copies[scale] = server.create(f"bench_scale{scale}")
                copying.copy_school(str(path), copies[scale])
        results = measure_data_and_grid(paths, repeat, copies)
        for scale, figures in measure_apptest(paths, repeat, copies).items():
            results[scale].update(figures)
        for scale, figures in measure_documents(paths, repeat).items():
            results[scale].update(figures)
        if browser:
            for scale, path in paths.items():
                results[scale].update(measure_browser(path, clicks, sessions))
                if scale in copies:  # « Suivant → » and the rest with the same Chromium, on PostgreSQL
                    results[scale].update(on_postgres(measure_browser(copies[scale], clicks, 0)))
    finally:
        if server is not None:
            server.stop()
    return format_table(results, learners)


POSTGRES_SUFFIX = " — PostgreSQL"


def on_postgres(figures: dict[str, float]) -> dict[str, float]:
    """The same figures, named as measured on PostgreSQL (compared with SQLite's in the table)."""
    return {key + POSTGRES_SUFFIX: value for key, value in figures.items()}


LABELS = {
    "data_ms": ("1. données du tableau de bord (requêtes + mise en forme)", "ms"),
    "council_ms": ("1. données du conseil de classe (toute la classe, sans cache)", "ms"),
    "grid_ms": ("2. rendu HTML de la grille", "ms"),
    "grid_kb": ("2. taille HTML de la grille", "Ko"),
    "apptest_ms": ("3–4. AppTest", "ms"),
    "browser_ms": ("5. Chromium", "ms"),
    "memory_mb": ("6. mémoire crête du serveur", "Mo"),
    "pdf_ms": ("7. PDF", "ms"),
    "pdf_kb": ("7. taille du PDF", "Ko"),
    "pdf_s": ("7. PDF", "s"),
    "pdf_mb": ("7. taille du PDF", "Mo"),
    "pdf_pages": ("7. pages du PDF", "pages"),
}


def format_table(results: dict[int, dict[str, float]], learners: dict[int, dict]) -> str:
    scales = sorted(results)
    first = scales[0]
    lines = []
    for scale in scales:
        info = learners[scale]
        lines.append(f"Échelle {scale} : apprenant le plus fourni {info['label']} ({info['class_name']}), "
                     f"{info['evaluations']} évaluations.")
    header = ["mesure", *[f"échelle {s}" for s in scales]]
    if len(scales) > 1:
        header.append(f"échelle {scales[-1]} / {first}")
    header.append("rapport au plancher (PostgreSQL : à SQLite)")
    lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    floors = {"apptest_ms": "apptest_ms:empty", "browser_ms": "browser_ms:rerun trivial"}
    for key in results[first]:
        kind, _, detail = key.partition(":")
        label, unit = LABELS[kind]
        name = f"{label} — {detail}" if detail else label
        if detail == "PostgreSQL":  # compared with the same figure on SQLite, in the same run
            floor_key = kind
        elif detail.endswith(POSTGRES_SUFFIX):
            floor_key = key.removesuffix(POSTGRES_SUFFIX)
        else:
            floor_key = floors.get(kind) if key != floors.get(kind) else None
        cells = [f"{results[s][key]:.1f} {unit}" for s in scales]
        if len(scales) > 1:
            cells.append(f"{results[scales[-1]][key] / results[first][key]:.2f}")
        if floor_key:
            ratios = [results[s][key] / results[s][floor_key] for s in scales]
            cells.append(" / ".join(f"{r:.2f}×" for r in ratios))
        else:
            cells.append("")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def add_command(commands) -> None:
    parser = commands.add_parser("bench", help="mesurer la vitesse des pages (échelles 1 et 10)")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--repeat", type=int, default=7, help="répétitions par mesure (médiane)")
    parser.add_argument("--clicks", type=int, default=20, help="clics « Suivant → » dans Chromium")
    parser.add_argument("--sessions", type=int, default=10, help="sessions de navigateur pour la mémoire")
    parser.add_argument("--no-browser", action="store_true", help="sans les mesures dans Chromium")
    parser.add_argument("--postgres", action="store_true",
                        help="mesurer aussi les lectures sur PostgreSQL (serveur temporaire), à côté de SQLite")
    parser.add_argument("--workdir", help="dossier des bases de mesure (par défaut un dossier temporaire)")
    parser.set_defaults(handler=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    if args.workdir:
        folder = Path(args.workdir)
        folder.mkdir(parents=True, exist_ok=True)
        print(run(args.scales, args.repeat, args.clicks, args.sessions, not args.no_browser, folder, args.postgres))
        return 0
    with tempfile.TemporaryDirectory(prefix="livret-bench-") as tmp:
        print(run(args.scales, args.repeat, args.clicks, args.sessions, not args.no_browser, Path(tmp),
                  args.postgres))
    return 0
