"""python -m livret user …: accounts from the command line (the first DDFPT or administrator of a school,
or a password for a locked-out administrator)."""

from __future__ import annotations

import getpass
import sys

from livret import accounts
from livret.db import db_location
from livret.errors import ValidationError
from livret.schema import open_existing


def _read_password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Confirmez le mot de passe : ") != password:
        raise ValidationError("Les deux mots de passe saisis ne sont pas identiques.")
    return password


def _open(args):
    return open_existing(args.db or db_location())


def _cmd_add(args) -> int:
    db = _open(args)
    password = _read_password(args)
    accounts.operator_add_account(db, name=args.name, email=args.email, role=args.role, password=password,
                                  class_names=args.classe or ())
    print(f"Compte créé : {args.email.strip()} ({args.role})")
    return 0


def _cmd_password(args) -> int:
    db = _open(args)
    accounts.operator_set_password(db, email=args.email, password=_read_password(args))
    print(f"Mot de passe enregistré pour {args.email.strip()} ; le compte est débloqué.")
    return 0


def _cmd_list(args) -> int:
    frame = accounts.operator_list_accounts(_open(args))
    for row in frame.itertuples():
        state = "actif" if row.active else "désactivé"
        password = "mot de passe" if row.has_password else "sans mot de passe"
        print(f"{row.email}\t{row.name}\t{row.role}\t{state}\t{password}")
    return 0


def register(commands) -> None:
    user = commands.add_parser("user", help="gérer les comptes (premier compte DDFPT ou administrateur)")
    verbs = user.add_subparsers(dest="user_command", required=True)
    add = verbs.add_parser("add", help="créer un compte avec mot de passe")
    add.add_argument("--email", required=True)
    add.add_argument("--name", required=True, help="NOM Prénom")
    add.add_argument("--role", required=True, choices=["admin", "ddfpt", "teacher"])
    add.add_argument("--classe", action="append", help="classe d'un enseignant (répétable)")
    add.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    add.set_defaults(handler=_cmd_add)
    password = verbs.add_parser("password", help="définir le mot de passe d'un compte et le débloquer")
    password.add_argument("--email", required=True)
    password.add_argument("--password-stdin", action="store_true")
    password.set_defaults(handler=_cmd_password)
    listing = verbs.add_parser("list", help="lister les comptes du personnel")
    listing.set_defaults(handler=_cmd_list)
