"""`python -m livret essai-partage`: the deployment of docs/deploiement.md on this machine, on loopback —
a PostgreSQL server, N Livret servers on it and nginx in front of them with sticky sessions — to try it
out before an académie's administrator sets it up for real. Ctrl+C stops everything.

Nothing here is used by the app itself: the real deployment uses the administrator's PostgreSQL and nginx."""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from livret import copying, demo
from livret.db import database_exists, db_location
from livret.tools.serving import free_port

# One nginx site, as docs/deploiement.md explains it line by line. OSS nginx has no « sticky » directive:
# the first answer sets a cookie of its own (lv_route) and every later request of that browser is routed by
# its hash, so the websocket, uploads and the OpenID Connect callback reach the process that started them.
NGINX_CONF = """
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    log_format routed '$lv_route $upstream_addr $status "$request"';
    access_log {folder}/nginx-access.log routed;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 20m;

    map $cookie_lv_route $lv_route {{
        ""      $request_id;
        default $cookie_lv_route;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      close;
    }}
    upstream livret {{
        hash $lv_route consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            add_header Set-Cookie "lv_route=$lv_route; Path=/; HttpOnly; SameSite=Lax" always;
            proxy_pass http://livret;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 3600s;
            proxy_send_timeout 3600s;
        }}
        location = /_stcore/health {{
            proxy_pass http://livret;
        }}
    }}
}}
"""


class SharedTryout:
    """PostgreSQL, the Livret servers and nginx, started together and stopped together."""

    def __init__(self, servers: int = 2, port: int | None = None, source: str | None = None):
        from livret.tools.postgres import TemporaryPostgres

        self.count, self.port, self.source = servers, port or free_port(), source
        self.postgres = TemporaryPostgres()
        self.folder = Path(tempfile.mkdtemp(prefix="livret-essai-"))
        self.servers, self.nginx = [], None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SharedTryout:
        from livret.tools.serving import StreamlitServer

        self.postgres.start()
        self.database = self.postgres.create("lycee")
        if self.source and database_exists(self.source):
            copying.copy_school(self.source, self.database)
        else:
            demo.build_demo_database(self.database)
        self.servers = [StreamlitServer(self.database) for _ in range(self.count)]
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        upstreams = "\n".join(f"        server 127.0.0.1:{s.port} max_fails=3 fail_timeout=10s;" for s in self.servers)
        conf = self.folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(folder=self.folder, servers=upstreams, port=self.port))
        subprocess.run([nginx, "-p", str(self.folder), "-c", str(conf)], check=True)
        self.nginx = nginx
        return self

    def stop(self) -> None:
        try:
            if self.nginx:
                subprocess.run([self.nginx, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf"), "-s",
                                "stop"], check=False)
            for server in self.servers:
                server.stop()
        finally:
            self.postgres.stop()
            shutil.rmtree(self.folder, ignore_errors=True)


def add_command(commands) -> None:
    parser = commands.add_parser("essai-partage", help="essayer sur cette machine une base PostgreSQL partagée par "
                                                       "plusieurs serveurs Livret derrière nginx (docs/deploiement.md)")
    parser.add_argument("--serveurs", type=int, default=2, help="nombre de serveurs Livret (2 par défaut)")
    parser.add_argument("--port", type=int, default=8500, help="port de nginx sur 127.0.0.1 (8500 par défaut)")
    parser.set_defaults(handler=_cmd_tryout)


def _stop_on_signal(number, frame) -> None:
    raise KeyboardInterrupt


def _cmd_tryout(args: argparse.Namespace) -> int:
    # Ctrl+C, or kill from another terminal: either stops everything that was started.
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    source = db_location()
    tryout = SharedTryout(args.serveurs, args.port, source if not source.startswith("postgres") else None).start()
    try:
        print(f"Livret partagé : {tryout.url} — {tryout.count} serveurs "
              f"({', '.join(s.url for s in tryout.servers)}) sur PostgreSQL {tryout.database}. Ctrl+C pour arrêter.")
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        return 0
    finally:
        for number in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl+C must not leave nginx or PostgreSQL running
            signal.signal(number, signal.SIG_IGN)
        tryout.stop()
