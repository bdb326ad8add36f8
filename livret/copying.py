"""`python -m livret copy SOURCE TARGET`: a whole school from one database to another — SQLite to
PostgreSQL when a school joins a shared instance, or back — in one transaction, row counts checked.

The target must be empty (a new SQLite file, or a PostgreSQL database made with createdb): its schema is
made by the same migrations as the source's, then every table is copied with its ids, so every link
between rows holds. The source is only read (it is first brought to the latest schema, as any command
opening it does)."""

from __future__ import annotations

from livret import schema
from livret.db import Database, connect, reading, shown_location, transaction
from livret.errors import ValidationError
from livret.schema import open_existing

# Parents before children, so each foreign key finds its row.
TABLE_ORDER = (
    "settings", "diplomas", "units", "domains", "competencies", "criteria", "classes", "learners", "users",
    "teacher_classes", "sessions", "user_preferences", "evaluations", "evaluation_criteria", "results",
    "bilans", "positionings", "grades", "grading_drafts", "audit_log",
)
BATCH_ROWS = 5000


def copy_school(source_location: str, target_location: str) -> dict[str, int]:
    """Copy every row of the source into the empty target; the number of rows copied by table."""
    if str(source_location) == str(target_location):
        raise ValidationError("La base source et la base cible sont la même base.")
    source = open_existing(source_location)
    target = connect(target_location)
    try:
        schema.migrate(target)
        _check_empty(target, target_location)
        tables = _tables(source, target)
        with reading(source), transaction(target):
            counts = {table: _copy_table(source, target, table) for table in tables}
            _keep_learner_versions(source, target)
            for table, count in counts.items():
                copied = target.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if copied != count:
                    raise ValidationError(f"Copie annulée : {copied} lignes dans la table {table} de la cible, "
                                          f"{count} dans la source. Rien n'a été écrit.")
        if target.is_postgres:
            # A bulk load leaves PostgreSQL without statistics or visibility map until autovacuum comes by:
            # gathered now, the school's first pages are planned (index-only scans included) as they will be.
            target.execute("VACUUM ANALYZE")
        return counts
    finally:
        source.close()
        target.close()


def _check_empty(target: Database, location: str) -> None:
    filled = [table for table in target.tables() if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone()]
    if filled:
        raise ValidationError(f"La base cible {shown_location(location)} n'est pas vide (tables "
                              f"{', '.join(filled)}) : la copie se fait dans une base neuve. Rien n'a été modifié.")


def _tables(source: Database, target: Database) -> list[str]:
    known, theirs = set(source.tables()), set(target.tables())
    if known != theirs or known != set(TABLE_ORDER):
        raise ValidationError("Les deux bases n'ont pas les mêmes tables "
                              f"(source : {', '.join(sorted(known))} ; cible : {', '.join(sorted(theirs))}).")
    for table in TABLE_ORDER:
        if set(source.columns(table)) != set(target.columns(table)):
            raise ValidationError(f"La table {table} n'a pas les mêmes colonnes dans les deux bases.")
    return list(TABLE_ORDER)


def _copy_table(source: Database, target: Database, table: str) -> int:
    columns = source.columns(table)
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = source.execute(f"SELECT {names} FROM {table} ORDER BY 1")
    count = 0
    while rows := cursor.fetchmany(BATCH_ROWS):
        target.executemany(insert, rows)
        count += len(rows)
    if "id" in columns:
        target.restart_ids(table)
    return count


def _keep_learner_versions(source: Database, target: Database) -> None:
    # The copy's inserts bumped the versions through the triggers: each learner keeps the source's.
    target.executemany("UPDATE learners SET version = ? WHERE id = ?",
                       source.execute("SELECT version, id FROM learners").fetchall())
