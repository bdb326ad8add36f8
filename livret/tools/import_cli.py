"""python -m livret import …: the imports of the « Import » page, for scripted set-up of a school.

The command line runs as CLI_USER, a DDFPT that is not an account of the database: whoever can run
it already holds the database file, so it may import everything the DDFPT may. What it
writes has no author (author_id NULL) and the audit log names it « Ligne de commande »."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from livret import imports
from livret.db import db_location
from livret.errors import FileRejected, ValidationError
from livret.permissions import User
from livret.schema import open_existing

CLI_USER = User(id=0, name="Ligne de commande", email="ligne-de-commande@localhost", role="ddfpt")
MAX_LISTED = 200  # rejected lines printed; the rest is counted


def _open(args):
    return open_existing(args.db or db_location())


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise ValidationError(f"Le fichier {file} n'existe pas.")
    return file.read_bytes()


DECISION_FLAGS = {imports.SAME: "--same-learner", imports.NEW: "--new-learner", imports.SKIP: "--skip-line"}


def _print_plan(plan: imports.ImportPlan) -> None:
    for note in plan.notes:
        print(note)
    print(("Importé : " if plan.applied else "") + plan.summary())
    for change in plan.new_classes:
        print(f"  Nouvelle classe « {change.label} » (ligne {change.line}) : {change.detail.removeprefix('nouvelle classe, ')}")
    for homonym in plan.homonyms:
        print(f"  Ligne {homonym.line} : {imports.DECISION_LABELS[homonym.decision].lower()} "
              f"({homonym.text()})")
    updates = [change for change in plan.changes if change.action == imports.UPDATED and change.detail]
    if updates:
        print("Mises à jour :")
        for change in updates[:MAX_LISTED]:
            print(f"  ligne {change.line} : {change.label} — {change.detail}")
        if len(updates) > MAX_LISTED:
            print(f"  … et {len(updates) - MAX_LISTED} autres.")
    if plan.rejected:
        print("Lignes rejetées et ignorées :")
        _print_problems(plan.rejected, sys.stdout)


def _print_problems(problems, stream) -> None:
    for problem in problems[:MAX_LISTED]:
        print(f"  {imports.problem_text(problem)}", file=stream)
    if len(problems) > MAX_LISTED:
        print(f"  … et {len(problems) - MAX_LISTED} autres.", file=stream)


def _run(action, partial_possible: bool = True) -> int:
    try:
        plan = action()
    except FileRejected as rejected:
        print("Import refusé, rien n'a été modifié :", file=sys.stderr)
        _print_problems(rejected.problems, sys.stderr)
        if any("homonyme possible" in p.reason for p in rejected.problems):
            print("Pour chaque homonyme possible, relancez avec --same-learner LIGNE (même apprenant), "
                  "--new-learner LIGNE (nouvel apprenant) ou --skip-line LIGNE (ignorer la ligne).", file=sys.stderr)
        if any("--allow-locked" in p.reason for p in rejected.problems):
            print("Ajoutez --allow-locked pour modifier ces évaluations (chaque modification sera journalisée).",
                  file=sys.stderr)
        if partial_possible and any(isinstance(p, imports.Rejection) for p in rejected.problems):
            print("Corrigez ces lignes, ou ajoutez --partial pour n'importer que les lignes valides.", file=sys.stderr)
        return 1
    _print_plan(plan)
    return 0


def _lines(text: str) -> list[int]:
    """« 4 » or « 4,7,12 »: line numbers of the file, as the preview and the refusal give them."""
    try:
        lines = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » : attendu un numéro de ligne ou des numéros séparés par des "
                                         "virgules (ex. 4,7)") from None
    if not lines or min(lines) < 1:
        raise argparse.ArgumentTypeError(f"« {text} » : numéro de ligne invalide")
    return lines


def _decisions(args) -> dict[int, str]:
    decisions: dict[int, str] = {}
    for decision, flag in DECISION_FLAGS.items():
        for lines in getattr(args, flag.removeprefix("--").replace("-", "_")) or []:
            for line in lines:
                if decisions.get(line, decision) != decision:
                    raise ValidationError(f"Ligne {line} : deux décisions contraires ({DECISION_FLAGS[decisions[line]]} "
                                          f"et {flag}).")
                decisions[line] = decision
    return decisions


def _cmd_learners(args) -> int:
    db = _open(args)
    data = _read(args.file)
    decisions = _decisions(args)
    return _run(lambda: imports.import_learners(db, CLI_USER, data, Path(args.file).name, diploma=args.diploma,
                                                  school_year=args.school_year, partial=args.partial,
                                                  decisions=decisions))


def _cmd_results(args) -> int:
    db = _open(args)
    data = _read(args.file)
    return _run(lambda: imports.import_results(db, CLI_USER, data, Path(args.file).name, partial=args.partial,
                                                 allow_locked=args.allow_locked))


def _cmd_referentiel(args) -> int:
    db = _open(args)
    source = Path(args.source)
    if not source.exists():
        raise ValidationError(f"{source} n'existe pas (attendu un dossier ou une archive ZIP).")
    return _run(lambda: imports.import_referentiel(db, CLI_USER, imports.read_referentiel_folder(source)),
                partial_possible=False)


def register(commands) -> None:
    command = commands.add_parser(
        "import", help="importer apprenants, résultats ou référentiel (en tant qu'administrateur)")
    kinds = command.add_subparsers(dest="import_kind", required=True)
    partial_help = "n'importer que les lignes valides si certaines sont rejetées"

    learners = kinds.add_parser(
        "learners", help="classes et apprenants (CSV ou XLSX : Nom, Prénom ou Élève, Classe…)",
        description="Importe classes et apprenants. Une ligne dont le nom et le prénom sont ceux d'un apprenant "
                    "déjà enregistré, mais avec une autre date de naissance, ou dans une autre classe alors que "
                    "l'apprenant enregistré a déjà des résultats, est un homonyme possible : l'import est refusé "
                    "(rien n'est écrit) tant que chacune de ces lignes n'a pas sa décision, donnée par son numéro "
                    "de ligne avec --same-learner, --new-learner ou --skip-line. Les noms sont écrits comme les "
                    "logiciels de vie scolaire : NOM en majuscules, Prénom avec une majuscule.")
    learners.add_argument("file", metavar="FICHIER")
    learners.add_argument("--diploma", default=imports.DEFAULT_DIPLOMA,
                          help=f"diplôme des classes créées (par défaut {imports.DEFAULT_DIPLOMA})")
    learners.add_argument("--school-year", help="année scolaire des classes créées (par défaut l'année en cours)")
    learners.add_argument("--partial", action="store_true", help=partial_help)
    decision_help = {
        imports.SAME: "homonyme possible : la ligne désigne l'apprenant déjà enregistré (il change de classe ou "
                        "de date de naissance, ses résultats restent les siens)",
        imports.NEW: "homonyme possible : la ligne est un autre apprenant, ajouté à sa classe",
        imports.SKIP: "homonyme possible : ignorer la ligne",
    }
    for decision, flag in DECISION_FLAGS.items():
        learners.add_argument(flag, type=_lines, action="append", metavar="LIGNES",
                              help=decision_help[decision] + " ; LIGNES : 4 ou 4,7 (option répétable)")
    learners.set_defaults(handler=_cmd_learners)

    results = kinds.add_parser("results", help="résultats d'évaluations, une ligne par apprenant et critère")
    results.add_argument("file", metavar="FICHIER")
    results.add_argument("--partial", action="store_true", help=partial_help)
    results.add_argument("--allow-locked", action="store_true",
                         help="autoriser cet import à modifier des évaluations déjà prises en compte dans un bilan "
                              "validé ; chaque modification est journalisée (valeur avant et après), comme dans "
                              "la Saisie")
    results.set_defaults(handler=_cmd_results)

    ref = kinds.add_parser("referentiel", help="référentiel d'un diplôme (dossier des cinq CSV ou archive ZIP)")
    ref.add_argument("source", metavar="DOSSIER_OU_ZIP")
    ref.set_defaults(handler=_cmd_referentiel)
