"""The competency framework of a diploma: parsed from CSV files, checked, then written at once."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from livret.db import Database, transaction
from livret.errors import FileProblem, FileRejected

DEFAULT_REFERENTIEL_DIR = Path(__file__).resolve().parents[2] / "data" / "referentiel"

FILES = {
    "diploma.csv": ("code", "title", "version"),
    "units.csv": ("code", "epreuve", "title", "coefficient"),
    "domains.csv": ("code", "title", "radar_order"),
    "competencies.csv": ("code", "title", "unit", "domain", "activities"),
    "criteria.csv": ("competency", "order", "text"),
}
OPTIONAL_COLUMNS = {"version", "epreuve", "activities"}


@dataclass
class Referentiel:
    diploma: dict
    units: list[dict] = field(default_factory=list)
    domains: list[dict] = field(default_factory=list)
    competencies: list[dict] = field(default_factory=list)
    criteria: list[dict] = field(default_factory=list)


def _rows(name: str, text: str, problems: list[FileProblem]) -> list[tuple[int, dict]]:
    text = text.lstrip("\ufeff")
    if not text.strip():
        problems.append(FileProblem(name, 1, "", "le fichier est vide"))
        return []
    sample = text.split("\n", 1)[0]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in FILES[name] if c not in header and c not in OPTIONAL_COLUMNS]
    for column in missing:
        problems.append(FileProblem(name, 1, column, "colonne obligatoire absente"))
    if missing:
        return []
    rows = []
    for row in reader:
        cleaned = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    return rows


def _require(name, line, row, column, problems) -> str:
    value = row.get(column, "")
    if not value:
        problems.append(FileProblem(name, line, column, "valeur obligatoire manquante"))
    return value


def parse_referentiel(files: dict[str, str]) -> Referentiel:
    """Check the five files of a référentiel. Raises FileRejected listing every problem."""
    problems = [FileProblem(name, 0, "", "fichier absent du référentiel") for name in FILES if name not in files]
    if problems:
        raise FileRejected(problems)
    parsed = {name: _rows(name, files[name], problems) for name in FILES}
    if problems:
        raise FileRejected(problems)
    ref = Referentiel(diploma=_diploma(parsed["diploma.csv"], problems))
    ref.units = _units(parsed["units.csv"], problems)
    ref.domains = _domains(parsed["domains.csv"], problems)
    ref.competencies = _competencies(parsed["competencies.csv"], {u["code"] for u in ref.units},
                                     {d["code"] for d in ref.domains}, problems)
    ref.criteria = _criteria(parsed["criteria.csv"], {c["code"] for c in ref.competencies}, problems)
    if problems:
        raise FileRejected(problems)
    return ref


def _unique(name: str, line: int, code: str, seen: dict[str, int], problems: list[FileProblem]) -> None:
    if code in seen:
        problems.append(FileProblem(name, line, "code", f"code « {code} » en double (déjà ligne {seen[code]})"))
    seen[code] = line


def _diploma(rows: list[tuple[int, dict]], problems: list[FileProblem]) -> dict:
    if len(rows) != 1:
        raise FileRejected([FileProblem("diploma.csv", 2, "", "une seule ligne de diplôme attendue")])
    line, row = rows[0]
    return {
        "code": _require("diploma.csv", line, row, "code", problems),
        "title": _require("diploma.csv", line, row, "title", problems),
        "version": row.get("version", ""),
    }


def _units(rows: list[tuple[int, dict]], problems: list[FileProblem]) -> list[dict]:
    units, seen = [], {}
    for line, row in rows:
        code = _require("units.csv", line, row, "code", problems)
        _unique("units.csv", line, code, seen, problems)
        try:
            coefficient = float(row.get("coefficient", "").replace(",", "."))
            if coefficient <= 0:
                raise ValueError
        except ValueError:
            problems.append(FileProblem("units.csv", line, "coefficient", "le coefficient doit être un nombre positif"))
            coefficient = 0
        units.append({"code": code, "epreuve": row.get("epreuve", ""),
                      "title": _require("units.csv", line, row, "title", problems),
                      "coefficient": coefficient})
    return units


def _domains(rows: list[tuple[int, dict]], problems: list[FileProblem]) -> list[dict]:
    domains, seen = [], {}
    for line, row in rows:
        code = _require("domains.csv", line, row, "code", problems)
        _unique("domains.csv", line, code, seen, problems)
        try:
            order = int(row.get("radar_order", ""))
        except ValueError:
            problems.append(FileProblem("domains.csv", line, "radar_order", "un nombre entier est attendu"))
            order = 0
        domains.append({"code": code, "title": _require("domains.csv", line, row, "title", problems),
                        "radar_order": order})
    return domains


def _competencies(rows: list[tuple[int, dict]], unit_codes: set[str], domain_codes: set[str],
                  problems: list[FileProblem]) -> list[dict]:
    competencies, seen = [], {}
    for position, (line, row) in enumerate(rows, start=1):
        code = _require("competencies.csv", line, row, "code", problems)
        _unique("competencies.csv", line, code, seen, problems)
        unit = row.get("unit", "")
        if unit not in unit_codes:
            problems.append(FileProblem("competencies.csv", line, "unit", f"unité « {unit} » inconnue (absente de units.csv)"))
        domain = row.get("domain", "")
        if domain not in domain_codes:
            problems.append(FileProblem("competencies.csv", line, "domain", f"domaine « {domain} » inconnu (absent de domains.csv)"))
        competencies.append({"code": code, "title": _require("competencies.csv", line, row, "title", problems),
                             "unit": unit, "domain": domain, "position": position,
                             "activities": row.get("activities", "")})
    return competencies


def _criteria(rows: list[tuple[int, dict]], competency_codes: set[str], problems: list[FileProblem]) -> list[dict]:
    criteria = []
    seen: dict[tuple[str, int], int] = {}
    for line, row in rows:
        competency = row.get("competency", "")
        if competency not in competency_codes:
            problems.append(FileProblem("criteria.csv", line, "competency", f"compétence « {competency} » inconnue (absente de competencies.csv)"))
        try:
            order = int(row.get("order", ""))
            if order <= 0:
                raise ValueError
        except ValueError:
            problems.append(FileProblem("criteria.csv", line, "order", "un nombre entier positif est attendu"))
            order = 0
        key = (competency, order)
        if order and key in seen:
            problems.append(FileProblem("criteria.csv", line, "order",
                                        f"critère {competency}-{order} en double (déjà ligne {seen[key]})"))
        seen[key] = line
        criteria.append({"competency": competency, "position": order,
                         "text": _require("criteria.csv", line, row, "text", problems)})
    for code in competency_codes - {c for c, _ in seen}:
        problems.append(FileProblem("criteria.csv", 0, "competency", f"la compétence « {code} » n'a aucun critère"))
    return criteria


def read_referentiel_dir(path: str | Path = DEFAULT_REFERENTIEL_DIR) -> dict[str, str]:
    folder = Path(path)
    return {name: (folder / name).read_text(encoding="utf-8-sig")
            for name in FILES if (folder / name).exists()}


def write_referentiel(db: Database, ref: Referentiel) -> dict[str, int]:
    """Insert or update the référentiel in one transaction; returns counts of what it holds."""
    code = ref.diploma["code"]
    with transaction(db):
        db.execute(
            "INSERT INTO diplomas(code, title, version) VALUES (?, ?, ?) "
            "ON CONFLICT(code) DO UPDATE SET title = excluded.title, version = excluded.version",
            [code, ref.diploma["title"], ref.diploma["version"]],
        )
        for unit in ref.units:
            db.execute(
                "INSERT INTO units(diploma, code, epreuve, title, coefficient) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(diploma, code) DO UPDATE SET epreuve = excluded.epreuve, "
                "title = excluded.title, coefficient = excluded.coefficient",
                [code, unit["code"], unit["epreuve"], unit["title"], unit["coefficient"]],
            )
        for domain in ref.domains:
            db.execute(
                "INSERT INTO domains(diploma, code, title, radar_order) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(diploma, code) DO UPDATE SET title = excluded.title, radar_order = excluded.radar_order",
                [code, domain["code"], domain["title"], domain["radar_order"]],
            )
        unit_ids = dict(db.execute("SELECT code, id FROM units WHERE diploma = ?", [code]).fetchall())
        domain_ids = dict(db.execute("SELECT code, id FROM domains WHERE diploma = ?", [code]).fetchall())
        for comp in ref.competencies:
            db.execute(
                "INSERT INTO competencies(diploma, code, title, unit_id, domain_id, position, activities) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(diploma, code) DO UPDATE SET title = excluded.title, "
                "unit_id = excluded.unit_id, domain_id = excluded.domain_id, position = excluded.position, "
                "activities = excluded.activities",
                [code, comp["code"], comp["title"], unit_ids[comp["unit"]], domain_ids[comp["domain"]],
                 comp["position"], comp["activities"]],
            )
        competency_ids = dict(db.execute("SELECT code, id FROM competencies WHERE diploma = ?", [code]).fetchall())
        for crit in ref.criteria:
            db.execute(
                "INSERT INTO criteria(competency_id, position, text) VALUES (?, ?, ?) "
                "ON CONFLICT(competency_id, position) DO UPDATE SET text = excluded.text",
                [competency_ids[crit["competency"]], crit["position"], crit["text"]],
            )
    return referentiel_counts(db, code)


def referentiel_counts(db: Database, diploma: str) -> dict[str, int]:
    def count(sql):
        return db.execute(sql, [diploma]).fetchone()[0]

    return {
        "units": count("SELECT count(*) FROM units WHERE diploma = ?"),
        "domains": count("SELECT count(*) FROM domains WHERE diploma = ?"),
        "competencies": count("SELECT count(*) FROM competencies WHERE diploma = ?"),
        "criteria": count("SELECT count(*) FROM criteria JOIN competencies c ON c.id = competency_id WHERE c.diploma = ?"),
    }


def load_default_referentiel(db: Database) -> dict[str, int]:
    return write_referentiel(db, parse_referentiel(read_referentiel_dir()))
