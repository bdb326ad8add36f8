"""The load figure of issue 17: N teachers switching learners at once, on one Livret server and on two sharing
one PostgreSQL database. ``python -m livret charge``.

Each simulated teacher is a real Streamlit session without a browser: it opens the app's websocket with a
signed-in session's cookie (the cookie a browser keeps after « Se connecter »), asks for the Tableau de bord
of a class, then clicks « Suivant → » again and again, each time as soon as the previous run has ended, as
the browser would send it. A click's latency is from its message to the end of the script run it started;
the throughput is the clicks served per second by all sessions together. Sessions are spread over the
servers as nginx's sticky hash spreads browsers (docs/deploiement.md). The teachers' browsers are not
simulated: what is measured is what the servers and the database can serve.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass

from livret import auth
from livret.db import connect
from livret.demo import build_demo_database
from livret.permissions import load_user

NEXT_LEARNER = "Suivant →"
CLASS_PATH = "tableau-de-bord"
CLASS_QUERY = "classe=1MELEC"


@dataclass
class SessionFigures:
    latencies: list[float]
    failures: int
    learners_shown: list[str]  # the learner the page showed after each run, to check that each click moved on


async def _run_to_end(socket, back_message) -> list:
    """Send one BackMsg and collect the ForwardMsgs until the run it started has ended."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    await socket.send(back_message.SerializeToString())
    received = []
    while True:
        message = ForwardMsg()
        message.ParseFromString(await socket.recv())
        received.append(message)
        if message.WhichOneof("type") == "script_finished":
            if message.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_EARLY_FOR_RERUN,
                                           ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                return received
            raise RuntimeError(f"run ended with status {message.script_finished}")


def _button_id(messages: list, label: str) -> str | None:
    for message in messages:
        if message.WhichOneof("type") != "delta" or message.delta.WhichOneof("type") != "new_element":
            continue
        element = message.delta.new_element
        if element.WhichOneof("type") == "button" and element.button.label == label:
            return element.button.id
    return None


def _learner_shown(messages: list) -> str | None:
    for message in messages:
        if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            if element.WhichOneof("type") == "selectbox" and element.selectbox.label == "Apprenant":
                return element.selectbox.raw_value
    return None


def _rerun(page_name: str, widget_id: str | None = None):
    from streamlit.proto.BackMsg_pb2 import BackMsg

    back = BackMsg()
    state = back.rerun_script
    state.query_string = CLASS_QUERY
    state.page_name = page_name
    if widget_id is not None:
        widget = state.widget_states.widgets.add()
        widget.id = widget_id
        widget.trigger_value = True
    return back


async def _teacher(url: str, token: str, clicks: int, ready: list, start: asyncio.Event) -> SessionFigures:
    import websockets

    socket_url = url.replace("http://", "ws://") + "/_stcore/stream"
    figures = SessionFigures([], 0, [])
    async with websockets.connect(socket_url, subprotocols=["streamlit"], max_size=None,
                                  additional_headers={"Cookie": f"{auth.SESSION_COOKIE}={token}"}) as socket:
        first = await _run_to_end(socket, _rerun(CLASS_PATH))
        button = _button_id(first, NEXT_LEARNER)
        figures.learners_shown.append(_learner_shown(first))
        if button is None:
            raise RuntimeError("« Suivant → » n'est pas sur la page : la session n'est pas connectée ?")
        ready.append(url)
        await start.wait()
        for _ in range(clicks):
            began = time.perf_counter()
            try:
                shown = await _run_to_end(socket, _rerun(CLASS_PATH, button))
            except RuntimeError:
                figures.failures += 1
                continue
            figures.latencies.append(time.perf_counter() - began)
            figures.learners_shown.append(_learner_shown(shown))
    return figures


async def _load(urls: list[str], tokens: list[str], clicks: int) -> tuple[list[SessionFigures], float]:
    start, ready = asyncio.Event(), []
    tasks = [asyncio.create_task(_teacher(urls[i % len(urls)], token, clicks, ready, start))
             for i, token in enumerate(tokens)]
    # every session is open and drawn before the clock starts
    while len(ready) < len(tasks) and not any(task.done() for task in tasks):
        await asyncio.sleep(0.05)
    began = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - began


def measure(location: str, servers: int, sessions: int, clicks: int) -> dict:
    """Throughput and latencies of sessions teachers clicking « Suivant → » clicks times on servers
    Streamlit processes sharing location, and the learners each session was shown."""
    from livret.tools.serving import StreamlitServer, outside_event_loop

    db = connect(location)
    teachers = [row[0] for row in db.execute(
        "SELECT u.id FROM users u JOIN teacher_classes t ON t.user_id = u.id JOIN classes c ON c.id = t.class_id "
        "WHERE u.role = 'teacher' AND u.active = 1 AND c.name = ? ORDER BY u.id", [CLASS_QUERY.split("=")[1]])]
    tokens = [auth.open_session(db, load_user(db, teachers[i % len(teachers)]), "demo") for i in range(sessions)]
    db.close()
    running = [StreamlitServer(location) for _ in range(servers)]
    try:
        results, elapsed = outside_event_loop(asyncio.run, _load([server.url for server in running], tokens, clicks))
    finally:
        for server in running:
            server.stop()
    latencies = sorted(latency for figures in results for latency in figures.latencies)
    return {
        "clicks_per_s": len(latencies) / elapsed,
        "median_ms": statistics.median(latencies) * 1000,
        "p90_ms": latencies[int(0.9 * (len(latencies) - 1))] * 1000,
        "failures": sum(figures.failures for figures in results),
        "learners_shown": [figures.learners_shown for figures in results],
    }


def run(sessions: int, clicks: int) -> str:
    from livret.tools.postgres import TemporaryPostgres

    server = TemporaryPostgres().start()
    try:
        build_demo_database(server.create("charge_modele"))
        # each measure on a fresh copy of the same school (a template copy: no session of the first remains)
        rows = [(servers, measure(server.create(f"charge_{servers}", template="charge_modele"), servers, sessions,
                                  clicks)) for servers in (1, 2)]
    finally:
        server.stop()
    lines = [f"{sessions} sessions simulées, {clicks} clics « Suivant → » chacune, base PostgreSQL partagée.", "",
             "| serveurs Livret | clics servis par seconde | latence médiane | 90e centile | échecs |",
             "|---|---|---|---|---|"]
    for servers, figures in rows:
        lines.append(f"| {servers} | {figures['clicks_per_s']:.1f} | {figures['median_ms']:.0f} ms | "
                     f"{figures['p90_ms']:.0f} ms | {figures['failures']} |")
    return "\n".join(lines)


def _at_least_one(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"un nombre entier, au moins 1, est attendu (« {text} » reçu)")
    return int(text)


def add_command(commands) -> None:
    parser = commands.add_parser("charge", help="mesurer la charge : N sessions sur un serveur, puis sur deux")
    parser.add_argument("--sessions", type=_at_least_one, default=20, help="sessions simultanées (enseignants)")
    parser.add_argument("--clicks", type=_at_least_one, default=15, help="clics « Suivant → » par session")
    parser.set_defaults(handler=lambda args: print(run(args.sessions, args.clicks)) or 0)
