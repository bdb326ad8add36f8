"""Command line: python -m livret COMMAND."""

from __future__ import annotations

import argparse
import sys

from livret import copying, demo
from livret.db import database_exists, db_location, shown_location
from livret.errors import LivretError
from livret.tools import bench, import_cli, load, shared_tryout, user_cli


def _cmd_init(args) -> int:
    location = args.db or db_location()
    if database_exists(location):
        print(f"La base {shown_location(location)} existe déjà ; rien n'a été modifié.", file=sys.stderr)
        return 1
    demo.build_empty_database(location)
    print(f"Base vide créée : {shown_location(location)}")
    return 0


def _cmd_demo(args) -> int:
    location = args.db or db_location()
    if database_exists(location) and not args.reset:
        print(f"La base {shown_location(location)} existe déjà : ajoutez --reset pour la remplacer.", file=sys.stderr)
        return 1
    demo.build_demo_database(location, seed=args.seed, scale=args.scale)
    print(f"Base de démonstration créée : {shown_location(location)} (graine {args.seed}, échelle {args.scale})")
    return 0


def _cmd_copy(args) -> int:
    counts = copying.copy_school(args.source, args.target)
    print(f"Établissement copié de {shown_location(args.source)} vers {shown_location(args.target)} : "
          f"{sum(counts.values())} lignes dans {len(counts)} tables, chaque compte vérifié.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m livret", description="Livret de compétences")
    parser.add_argument("--db", help="chemin de la base SQLite ou adresse postgresql://… "
                        "(par défaut LIVRET_DB ou data/livret.db)")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="créer une base vide pour un établissement réel")
    init.set_defaults(handler=_cmd_init)

    demo_cmd = commands.add_parser("demo", help="créer la base de démonstration")
    demo_cmd.add_argument("--reset", action="store_true", help="remplacer la base existante")
    demo_cmd.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    demo_cmd.add_argument("--scale", type=int, default=1, help="N fois l'établissement de démonstration")
    demo_cmd.set_defaults(handler=_cmd_demo)
    copy_cmd = commands.add_parser("copy", help="copier tout un établissement d'une base à une autre "
                                   "(SQLite → PostgreSQL ou l'inverse) ; la base cible doit être vide")
    copy_cmd.add_argument("source", help="base source : chemin SQLite ou adresse postgresql://…")
    copy_cmd.add_argument("target", help="base cible, vide : chemin SQLite ou adresse postgresql://…")
    copy_cmd.set_defaults(handler=_cmd_copy)
    user_cli.register(commands)
    import_cli.register(commands)
    bench.add_command(commands)
    shared_tryout.add_command(commands)
    load.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except LivretError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
