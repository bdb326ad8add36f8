"""The import of a référentiel: its five CSV files (or a ZIP of them) compared with the diploma as recorded, then
written whole. Reading and checking the files themselves is livret.imports.referentiel's."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from livret.db import Database
from livret.errors import ValidationError
from livret.imports import referentiel
from livret.imports.plan import ADDED, UNCHANGED, UPDATED, Change, ImportPlan, apply_plan
from livret.imports.reading import MAX_FILE_BYTES, MAX_FILE_LABEL, decode_text, read_members, reject_file
from livret.permissions import User, require


def referentiel_files(uploads: Sequence[tuple[str, bytes]]) -> tuple[dict[str, str], list[str]]:
    """The five CSV texts of a référentiel from uploaded CSV files or a ZIP of them, and notes."""
    files: dict[str, str] = {}
    notes: list[str] = []
    total = 0

    def add(name: str, data: bytes) -> None:
        base = PurePosixPath(name.replace("\\", "/")).name
        if base.lower() not in referentiel.FILES:
            if base and not base.startswith("."):
                notes.append(f"Fichier « {base} » ignoré (attendus : {', '.join(referentiel.FILES)}).")
            return
        # An empty member is reported by parse_referentiel with the file's name.
        files[base.lower()] = decode_text(data, base) if data.strip() else ""

    for name, data in uploads:
        total += len(data)
        if total > MAX_FILE_BYTES:
            raise reject_file(name, f"les fichiers dépassent ensemble la limite de {MAX_FILE_LABEL}")
        if data.startswith(b"PK\x03\x04"):
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
            except (zipfile.BadZipFile, zipfile.LargeZipFile):
                raise reject_file(name, "archive ZIP endommagée ou illisible") from None
            wanted = read_members(archive, name, limit=MAX_FILE_BYTES, limit_label=MAX_FILE_LABEL,
                                  keep=lambda m: PurePosixPath(m.filename.replace("\\", "/")).name.lower()
                                  in referentiel.FILES)
            for member in archive.infolist():
                if not member.is_dir():
                    add(member.filename, wanted.get(member.filename, b""))
        else:
            add(name, data)
    return files, notes


def read_referentiel_folder(path: str | Path) -> list[tuple[str, bytes]]:
    """Uploads from a folder holding the five files, or from a ZIP file (the CLI)."""
    path = Path(path)
    if path.is_dir():
        return [(p.name, p.read_bytes()) for p in sorted(path.iterdir()) if p.is_file()]
    return [(path.name, path.read_bytes())]


def _referentiel_plan(db: Database, ref: referentiel.Referentiel, name: str,
                      notes: list[str]) -> ImportPlan:
    plan = ImportPlan("referentiel", name, notes=notes)
    plan.writes = ref
    code = ref.diploma["code"]
    plan.changes.append(_diploma_change(db, ref.diploma))
    units = {r["code"]: r for r in db.query("SELECT code, epreuve, title, coefficient FROM units WHERE diploma = ?",
                                            [code])}
    _compare(plan, "unit", ref.units, units, lambda u: u["code"], ("epreuve", "title", "coefficient"),
             lambda u: f"{u['code']} — {u['title']}")
    domains = {r["code"]: r for r in db.query("SELECT code, title, radar_order FROM domains WHERE diploma = ?", [code])}
    _compare(plan, "domain", ref.domains, domains, lambda d: d["code"], ("title", "radar_order"),
             lambda d: f"{d['code']} — {d['title']}")
    competencies = {r["code"]: r for r in db.query(
        "SELECT c.code, c.title, u.code AS unit, d.code AS domain, c.position, c.activities FROM competencies c "
        "JOIN units u ON u.id = c.unit_id JOIN domains d ON d.id = c.domain_id WHERE c.diploma = ?", [code])}
    _compare(plan, "competency", ref.competencies, competencies, lambda c: c["code"],
             ("title", "unit", "domain", "position", "activities"), lambda c: f"{c['code']} — {c['title']}")
    criteria = {(r["competency"], r["position"]): r for r in db.query(
        "SELECT c.code AS competency, cr.position, cr.text FROM criteria cr JOIN competencies c "
        "ON c.id = cr.competency_id WHERE c.diploma = ?", [code])}
    _compare(plan, "criterion", ref.criteria, criteria, lambda c: (c["competency"], c["position"]), ("text",),
             lambda c: f"{c['competency']}-{c['position']} — {c['text']}")
    return plan


def _diploma_change(db: Database, diploma: dict) -> Change:
    recorded = next(db.query("SELECT title, version FROM diplomas WHERE code = ?", [diploma["code"]]), None)
    label = f"{diploma['code']} — {diploma['title']}"
    if recorded is None:
        return Change(2, "diploma", ADDED, label)
    if (recorded["title"], recorded["version"]) != (diploma["title"], diploma["version"]):
        return Change(2, "diploma", UPDATED, label, f"version {recorded['version'] or '—'} → "
                                                    f"{diploma['version'] or '—'}")
    return Change(2, "diploma", UNCHANGED, label)


def _compare(plan: ImportPlan, entity: str, items: list[dict], recorded: dict, key_of: Callable[[dict], object],
             fields: tuple[str, ...], label_of: Callable[[dict], str]) -> None:
    """The change of each item of one of the référentiel's files against what is recorded under its key."""
    for line, item in enumerate(items, start=2):  # the file's line when it has no blank line
        old = recorded.get(key_of(item))
        if old is None:
            plan.changes.append(Change(line, entity, ADDED, label_of(item)))
            continue
        changed = [f for f in fields if old[f] != item[f]]
        plan.changes.append(Change(line, entity, UPDATED if changed else UNCHANGED, label_of(item),
                                   ", ".join(changed)))


def _parse_referentiel_uploads(uploads: Sequence[tuple[str, bytes]]) -> tuple[referentiel.Referentiel, list[str], str]:
    files, notes = referentiel_files(uploads)
    name = "référentiel"
    if len(uploads) == 1:
        [(name, _data)] = uploads
    return referentiel.parse_referentiel(files), notes, name


def preview_referentiel(db: Database, user: User | None,
                        uploads: Sequence[tuple[str, bytes]]) -> ImportPlan:
    """What importing this référentiel (five CSV files, or a ZIP of them) would do. A référentiel
    with any problem is refused as a whole: half a référentiel would be meaningless."""
    require(user, "import_referentiel")
    if not uploads:
        raise ValidationError("Choisissez les cinq fichiers du référentiel, ou une archive ZIP qui les contient.")
    ref, notes, name = _parse_referentiel_uploads(uploads)
    return _referentiel_plan(db, ref, name, notes)


def _write_referentiel(db: Database, user: User, plan: ImportPlan) -> None:
    referentiel.write_referentiel(db, plan.writes)


def import_referentiel(db: Database, user: User | None,
                       uploads: Sequence[tuple[str, bytes]]) -> ImportPlan:
    """Insert or update a diploma's référentiel in one transaction (never deletes anything)."""
    user = require(user, "import_referentiel")
    if not uploads:
        raise ValidationError("Choisissez les cinq fichiers du référentiel, ou une archive ZIP qui les contient.")
    ref, notes, name = _parse_referentiel_uploads(uploads)
    return apply_plan(db, user, lambda: _referentiel_plan(db, ref, name, notes), False, _write_referentiel)
