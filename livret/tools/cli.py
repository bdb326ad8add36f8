"""Command line: python -m livret COMMAND."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livret import demo
from livret.db import db_path
from livret.errors import LivretError
from livret.tools import bench, import_cli, user_cli


def _cmd_init(args) -> int:
    path = Path(args.db or db_path())
    if path.exists():
        print(f"La base {path} existe déjà ; rien n'a été modifié.", file=sys.stderr)
        return 1
    demo.build_empty_database(path)
    print(f"Base vide créée : {path}")
    return 0


def _cmd_demo(args) -> int:
    path = Path(args.db or db_path())
    if path.exists() and not args.reset:
        print(f"La base {path} existe déjà : ajoutez --reset pour la remplacer.", file=sys.stderr)
        return 1
    demo.build_demo_database(path, seed=args.seed, scale=args.scale)
    print(f"Base de démonstration créée : {path} (graine {args.seed}, échelle {args.scale})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m livret", description="Livret de compétences")
    parser.add_argument("--db", help="chemin de la base SQLite (par défaut LIVRET_DB ou data/livret.db)")
    commands = parser.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="créer une base vide pour un établissement réel")
    init.set_defaults(handler=_cmd_init)

    demo_cmd = commands.add_parser("demo", help="créer la base de démonstration")
    demo_cmd.add_argument("--reset", action="store_true", help="remplacer la base existante")
    demo_cmd.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    demo_cmd.add_argument("--scale", type=int, default=1, help="N fois l'établissement de démonstration")
    demo_cmd.set_defaults(handler=_cmd_demo)
    user_cli.register(commands)
    import_cli.register(commands)
    bench.add_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except LivretError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
