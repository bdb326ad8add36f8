"""Imports (SPEC E3): classes and learners, evaluation results in long format, a référentiel.

Each import has a preview (what would be added, updated, left unchanged, rejected) and an apply.
The apply computes the plan again inside its own transaction, so what it writes is exactly what the
checks accepted at that moment, even if another session wrote in between; a refused import writes
nothing. Rows are matched on their identity, so importing the same file twice changes nothing.

Files come as bytes, as uploaded: CSV (`;`, `,` or tab; UTF-8 with or without BOM, UTF-16 with
BOM, else Windows-1252) or XLSX (first sheet). Cells are stored as the text they hold: a cell such
as `=HYPERLINK(...)` is never evaluated here and is disarmed by livret.spreadsheet on export."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import pandas as pd
import sqlite_utils

from livret import audit, clock, evaluations
from livret.accounts import check_name
from livret.codes import COMPANY_CODE, COMPLEXITIES, RESULT_CODES
from livret.db import bump_data_version, transaction
from livret.errors import FileProblem, FileRejected, ValidationError
from livret.french import date_text
from livret.imports import referentiel
from livret.permissions import User, can, require
from livret.render.spreadsheet import french_csv

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILE_LABEL = "10 Mo"
MAX_DATA_ROWS = 200_000  # lines after the header; one more is refused
HEADER_SEARCH_ROWS = 10  # school exports sometimes put a title line or two above the header
# A workbook is a ZIP: 10 Mo uploaded can hold gigabytes of XML. What it may expand to, and how many rows (blank
# ones included: a sheet can declare its one row as the 50 millionth) it may hold, are checked while reading.
MAX_UNCOMPRESSED_BYTES = 150 * 1024 * 1024
MAX_UNCOMPRESSED_LABEL = "150 Mo"
# openpyxl keeps a workbook's shared strings in memory (the sheets themselves are streamed).
MAX_SHARED_STRINGS_BYTES = 32 * 1024 * 1024
MAX_SHARED_STRINGS_LABEL = "32 Mo"
MAX_SHEET_ROWS = 250_000
MAX_COLUMNS = 200
READ_CHUNK = 1024 * 1024
LOCKED_CONFIRM_LABEL = ("Autoriser cet import à modifier des évaluations déjà prises en compte dans un bilan "
                        "validé (chaque modification est journalisée)")
KIND_ABILITIES = {"learners": "import_learners", "results": "import_results", "referentiel": "import_referentiel"}


def import_kinds(user: User | None) -> list[str]:
    """The kinds of import the user may run, in the page's order."""
    return [kind for kind, ability in KIND_ABILITIES.items() if can(user, ability)]
DEFAULT_DIPLOMA = "BACPRO-MELEC"

ADDED, UPDATED, UNCHANGED = "added", "updated", "unchanged"
# What the DDFPT decides for a possible homonym.
SAME, NEW, SKIP = "same", "new", "skip"
DECISION_LABELS = {SAME: "Même apprenant", NEW: "Nouvel apprenant", SKIP: "Ignorer la ligne"}

# entity: (singular, plural, feminine)
ENTITIES = {
    "class": ("classe", "classes", True),
    "learner": ("apprenant", "apprenants", False),
    "account": ("compte apprenant", "comptes apprenants", False),
    "evaluation": ("évaluation", "évaluations", True),
    "result": ("résultat", "résultats", False),
    "diploma": ("diplôme", "diplômes", False),
    "unit": ("unité", "unités", True),
    "domain": ("domaine", "domaines", False),
    "competency": ("compétence", "compétences", True),
    "criterion": ("critère", "critères", False),
}


def action_label(entity: str, action: str, plural: bool = False) -> str:
    """« ajoutée », « mis à jour », « inchangées »… agreed with the entity's gender and number."""
    feminine = ENTITIES[entity][2]
    stem = {ADDED: "ajouté", UPDATED: "mis", UNCHANGED: "inchangé"}[action]
    if feminine:
        stem += "e"
    if plural and not stem.endswith("s"):
        stem += "s"
    return stem + " à jour" if action == UPDATED else stem


# ---------------------------------------------------------------- plans


@dataclass(frozen=True)
class Rejection(FileProblem):
    """A rejected line, with the line's content so the report lets the user find and fix it."""

    content: str = ""


@dataclass(frozen=True)
class Change:
    line: int
    entity: str
    action: str
    label: str
    detail: str = ""


@dataclass(frozen=True)
class Homonym:
    """A line naming a learner already recorded under the same name, when it is not certain it is the same
    person: a learner is never silently added next to, or moved away from, a possible namesake."""

    line: int
    reason: str
    incoming: dict  # the line: Nom, Prénom, Classe, Date de naissance, E-mail
    existing: dict  # the recorded learner: id and the same fields, and how many results it has
    choices: tuple[str, ...]
    decision: str | None = None

    def records_frame(self) -> pd.DataFrame:
        columns = ["Nom", "Prénom", "Classe", "Date de naissance", "E-mail"]
        rows = [[f"Ligne {self.line} du fichier", *(self.incoming[c] for c in columns), ""],
                ["Apprenant enregistré", *(self.existing[c] for c in columns), str(self.existing["Résultats"])]]
        return pd.DataFrame(rows, columns=["", *columns, "Résultats"])

    def text(self) -> str:
        def describe(fields: dict) -> str:
            parts = [f"{fields['Nom']} {fields['Prénom']}", fields["Classe"]]
            if fields["Date de naissance"]:
                parts.append(f"né(e) le {fields['Date de naissance']}")
            if fields["E-mail"]:
                parts.append(fields["E-mail"])
            return ", ".join(parts)

        results = self.existing["Résultats"]
        return (f"homonyme possible ({self.reason}) : dans le fichier « {describe(self.incoming)} », enregistré "
                f"« {describe(self.existing)}, {results} résultat{'s' if results > 1 else ''} »")


@dataclass
class ImportPlan:
    """What an import does: the changes, the rejected lines, and the writes that carry it out."""

    kind: str  # "learners", "results", "referentiel"
    file_name: str
    lines: int = 0
    changes: list[Change] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ops: dict = field(default_factory=dict)
    applied: bool = False
    homonyms: list[Homonym] = field(default_factory=list)
    # Evaluations already counted in a validated bilan that this import would change: (label, validated at).
    locked: list[tuple[str, str]] = field(default_factory=list)

    @property
    def undecided(self) -> list[Homonym]:
        return [h for h in self.homonyms if h.decision is None]

    @property
    def new_classes(self) -> list[Change]:
        return [c for c in self.changes if c.entity == "class" and c.action == ADDED]

    def count(self, entity: str, action: str) -> int:
        return self.counts.get((entity, action), 0)

    @property
    def counts(self) -> Counter:
        return Counter((c.entity, c.action) for c in self.changes)

    def action_counts(self) -> dict[str, int]:
        """How many elements of any kind are added, updated, unchanged."""
        found = Counter(c.action for c in self.changes)
        return {action: found.get(action, 0) for action in (ADDED, UPDATED, UNCHANGED)}

    @property
    def rejected_lines(self) -> int:
        return len({r.line for r in self.rejected})

    @property
    def has_writes(self) -> bool:
        return any(c.action != UNCHANGED for c in self.changes)

    def summary(self) -> str:
        """One French sentence: « 24 apprenants ajoutés, 1 classe ajoutée ; 2 lignes rejetées. »"""
        parts = []
        counts = self.counts
        for entity in ENTITIES:
            for action in (ADDED, UPDATED, UNCHANGED):
                n = counts.get((entity, action), 0)
                if n:
                    singular, plural, _ = ENTITIES[entity]
                    count = f"{n:,}".replace(",", "\u202f")
                    parts.append(f"{count} {plural if n > 1 else singular} {action_label(entity, action, n > 1)}")
        text = ", ".join(parts) if parts else "aucune donnée à importer"
        n = self.rejected_lines
        if n:
            text += f" ; {n} ligne{'s' if n > 1 else ''} rejetée{'s' if n > 1 else ''}"
        n = len(self.undecided)
        if n:
            text += f" ; {n} homonyme{'s' if n > 1 else ''} possible{'s' if n > 1 else ''} à trancher"
        n = sum(h.decision == SKIP for h in self.homonyms)
        if n:
            text += f" ; {n} ligne{'s' if n > 1 else ''} ignorée{'s' if n > 1 else ''}"
        return text[0].upper() + text[1:] + "."

    def changes_frame(self, include_unchanged: bool = False) -> pd.DataFrame:
        rows = [
            (c.line, ENTITIES[c.entity][0].capitalize(), action_label(c.entity, c.action), c.label, c.detail)
            for c in self.changes if include_unchanged or c.action != UNCHANGED
        ]
        return pd.DataFrame(rows, columns=["Ligne", "Élément", "Action", "Nom", "Détail"])

    def rejected_frame(self) -> pd.DataFrame:
        return problems_frame(self.rejected)


def problem_text(problem: FileProblem) -> str:
    """« fichier, ligne 4, colonne « Date » : motif », without a line number for a whole-file problem."""
    if problem.line:
        return str(problem)
    return f"{problem.file} : {problem.reason}"


def problems_frame(problems: Sequence[FileProblem]) -> pd.DataFrame:
    rows = [(p.line, p.column, p.reason, getattr(p, "content", "")) for p in problems]
    return pd.DataFrame(rows, columns=["Ligne", "Colonne", "Motif", "Contenu de la ligne"])


def rejection_report(problems: Sequence[FileProblem]) -> bytes:
    """« Télécharger le rapport »: the rejected lines as a French CSV, every text cell formula-safe."""
    return french_csv(
        ["Fichier", "Ligne", "Colonne", "Motif", "Contenu de la ligne"],
        [(p.file, p.line, p.column, p.reason, getattr(p, "content", "")) for p in problems],
    )


# ---------------------------------------------------------------- reading files


def _key(text: str) -> str:
    """Header or name key: no accents, no case, letters and digits only (« Né(e) le » → « neele »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).casefold()


def _clean(value: str) -> str:
    return " ".join(value.split())


def _name_key(value: str) -> str:
    return _clean(value).casefold()


def _loose_key(value: str) -> str:
    """Accent- and punctuation-insensitive name key: SIECLE exports « LEFEVRE » for « Lefèvre »."""
    return _key(value)


@dataclass(frozen=True)
class Column:
    label: str  # French name shown in messages
    aliases: frozenset[str]
    required: bool = True
    # Required fields this one column can hold together (« Élève » for « Nom » and « Prénom »); used only
    # when the file lacks some of them, otherwise reported as ignored.
    stands_for: tuple[str, ...] = ()


@dataclass
class Table:
    name: str
    header: list[str]
    columns: dict[str, int]  # field → index
    rows: list[tuple[int, list[str]]]
    notes: list[str]

    def cell(self, cells: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return cells[index].strip()

    def content(self, cells: list[str]) -> str:
        return " ; ".join(c.strip() for c in cells)


def _reject_file(name: str, reason: str, line: int = 0, column: str = "") -> FileRejected:
    return FileRejected([FileProblem(name, line, column, reason)])


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        size = f"{len(data) / 1024 / 1024:.1f}".replace(".", ",")
        raise _reject_file(name, f"le fichier pèse {size} Mo, au-delà de la limite de {MAX_FILE_LABEL} ; "
                                 "découpez-le en plusieurs fichiers")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _reject_file(name, "le fichier est vide")


def decode_text(data: bytes, name: str) -> str:
    """The text of a CSV file in UTF-8 (BOM or not), UTF-16 with BOM, or Windows-1252."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise _reject_file(name, f"encodage invalide (octet {error.start + 1} illisible) ; "
                                 "enregistrez le fichier en CSV UTF-8") from None
    if b"\x00" in data:
        raise _reject_file(name, "encodage non reconnu (octets nuls : UTF-16 sans marque ou fichier binaire) ; "
                                 "enregistrez le fichier en CSV UTF-8 ou Windows-1252")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    _refuse_mixed_encoding(data, name)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _reject_file(name, "encodage non reconnu (ni UTF-8 ni Windows-1252) ; "
                                 "enregistrez le fichier en CSV UTF-8", line) from None


def _refuse_mixed_encoding(data: bytes, name: str) -> None:
    """A file some of whose lines are UTF-8 and others Windows-1252 (two exports pasted together) cannot be read
    in either: read as Windows-1252, its UTF-8 header says « PrÃ©nom » and no column is found."""
    utf8_line = cp1252_line = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            cp1252_line = cp1252_line or number
        else:
            utf8_line = utf8_line or number
        if utf8_line and cp1252_line:
            raise _reject_file(name, f"encodage mélangé : la ligne {utf8_line} est en UTF-8 et la ligne {cp1252_line} "
                                     "en Windows-1252 (fichiers collés l'un à la suite de l'autre ?) ; enregistrez "
                                     "tout le fichier dans un seul encodage, de préférence en CSV UTF-8",
                               min(utf8_line, cp1252_line))


def _too_many_rows(name: str) -> FileRejected:
    return _reject_file(name, f"le fichier compte plus de {_count(MAX_DATA_ROWS)} lignes de données, au-delà de la "
                              "limite ; découpez-le en plusieurs fichiers")


def _count(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _sniff_delimiter(text: str) -> str:
    head = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    scores = {d: sum(line.count(d) for line in head) for d in (";", ",", "\t")}
    best = max(scores, key=lambda d: (scores[d], d == ";"))
    return best if scores[best] else ";"


def _csv_rows(text: str, name: str) -> list[tuple[int, list[str]]]:
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, start = [], 1
    try:
        for cells in reader:
            if reader.line_num > start:
                _refuse_unclosed_quote(cells, delimiter, name, start, reader.line_num)
            if any(c.strip() for c in cells):
                rows.append((start, cells))
                # The header is within the first HEADER_SEARCH_ROWS rows: past this many, too many data rows.
                if len(rows) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
                    raise _too_many_rows(name)
            start = reader.line_num + 1
    except csv.Error:
        raise _reject_file(name, "ligne illisible : un guillemet ouvrant n'est pas refermé", start) from None
    return rows


def _refuse_unclosed_quote(cells: list[str], delimiter: str, name: str, start: int, end: int) -> None:
    """A quoted value may hold line breaks, but one that holds whole lines (separators and all) is a quote left
    open: without this, those lines are read as one value and reported as lines missing their other columns."""
    for cell in cells:
        if "\n" in cell and delimiter in cell.split("\n", 1)[1]:
            raise _reject_file(name, f"guillemet (\") ouvert ligne {start} sans être refermé sur cette ligne : "
                                     f"les lignes {start} à {end} ont été lues comme une seule valeur ; retirez ce "
                                     "guillemet ou refermez-le", start)


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(data: bytes, name: str) -> tuple[list[tuple[int, list[str]]], str]:
    import openpyxl

    try:
        # Not data_only: a formula cell is read as the formula's text, never as a computed value.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise _reject_file(name, "classeur XLSX illisible ou endommagé") from None
    try:
        sheet = workbook.worksheets[0]
        # The dimension the sheet declares is not trusted: openpyxl would pad every row up to its last column.
        sheet.reset_dimensions()
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise _reject_file(name, f"le classeur compte plus de {_count(MAX_SHEET_ROWS)} lignes, lignes vides "
                                         "comprises ; découpez-le en plusieurs fichiers", number)
            if not values:
                continue
            last = len(values)
            while last and values[last - 1] in (None, ""):
                last -= 1
            if last > MAX_COLUMNS:
                raise _reject_file(name, f"la ligne {number} a plus de {MAX_COLUMNS} colonnes remplies ; gardez "
                                         "seulement les colonnes à importer", number)
            cells = [_xlsx_cell(v) for v in values[:last]]
            if any(c.strip() for c in cells):
                rows.append((number, cells))
                if len(rows) > MAX_DATA_ROWS + HEADER_SEARCH_ROWS:
                    raise _too_many_rows(name)
        return rows, sheet.title
    finally:
        workbook.close()


# UTF-8 accents read once as Windows-1252 and saved again: « Ã© » for « é », « Ã¨ » for « è »…
_MOJIBAKE = re.compile("Ã[\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2018-\u203a\u20ac\u2122]")


def _spreadsheet_rows(data: bytes, name: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Non-empty rows (line number, cells) of a CSV or XLSX file, and notes for the preview."""
    _check_size(data, name)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise _reject_file(name, "ancien format Excel (.xls) : enregistrez le fichier au format XLSX ou CSV")
    if data.startswith(b"%PDF"):
        raise _reject_file(name, "c'est un fichier PDF : exportez la liste au format CSV ou XLSX")
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise _reject_file(name, "archive endommagée : ni CSV ni XLSX lisible") from None
        members = set(archive.namelist())
        if "content.xml" in members:
            raise _reject_file(name, "format OpenDocument (.ods) : enregistrez le fichier au format XLSX ou CSV")
        if "xl/workbook.xml" not in members:
            raise _reject_file(name, "archive ZIP qui n'est pas un classeur XLSX")
        # Before openpyxl opens anything: what the workbook really expands to, read and thrown away chunk by chunk.
        read_members(archive, name, keep=lambda member: False, sheet_rows=MAX_SHEET_ROWS,
                     member_limits={"xl/sharedStrings.xml": (MAX_SHARED_STRINGS_BYTES, MAX_SHARED_STRINGS_LABEL)})
        rows, sheet = _xlsx_rows(data, name)
        return rows, [f"Feuille lue : « {sheet} »."]
    text, notes = _repair_double_encoding(decode_text(data, name))
    return _csv_rows(text, name), notes


# A row element of a sheet, with or without a namespace prefix (« <row r="2"> », « <x:row> »), not its end tag.
_SHEET_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_SHEET_MEMBER = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def read_members(archive: zipfile.ZipFile, name: str, keep, member_limits: dict | None = None,
                 limit: int = MAX_UNCOMPRESSED_BYTES, limit_label: str = MAX_UNCOMPRESSED_LABEL,
                 sheet_rows: int | None = None) -> dict[str, bytes]:
    """The members of an archive that keep(member) accepts, every member read chunk by chunk within a byte budget.

    The sizes a ZIP declares are checked first (a cheap early refusal), but not trusted: zipfile inflates a
    whole member at once in read(), so a member lying about its size would expand in memory before any check.
    With sheet_rows, the rows of each worksheet are counted on the way: openpyxl scans a whole sheet for its
    dimension before yielding its first row, so millions of empty rows must be refused before it opens them."""
    member_limits = member_limits or {}
    members = [m for m in archive.infolist() if not m.is_dir()]

    def too_big(what: str, label: str) -> FileRejected:
        return _reject_file(name, f"{what} dépasse {label} une fois décompressé : fichier refusé (archive piégée "
                                  "ou trop volumineuse)")

    for member in members:
        member_limit, member_label = member_limits.get(member.filename, (limit, limit_label))
        if member.file_size > member_limit:
            raise too_big(f"« {member.filename} »", member_label)
    if sum(m.file_size for m in members) > limit:
        raise too_big("le contenu de l'archive", limit_label)
    kept: dict[str, bytes] = {}
    total = 0
    for member in members:
        member_limit, member_label = member_limits.get(member.filename, (limit, limit_label))
        chunks = [] if keep(member) else None
        size = rows = 0
        count_rows = sheet_rows is not None and _SHEET_MEMBER.match(member.filename)
        tail = b""
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(READ_CHUNK):
                    if count_rows:
                        rows += len(_SHEET_ROW.findall(tail + chunk))
                        tail = chunk[-32:]
                        rows -= len(_SHEET_ROW.findall(tail))  # counted again with the next chunk
                        if rows > sheet_rows:
                            raise _reject_file(name, f"le classeur compte plus de {_count(sheet_rows)} lignes, "
                                                     "lignes vides comprises ; découpez-le en plusieurs fichiers")
                    size += len(chunk)
                    total += len(chunk)
                    if size > member_limit:
                        raise too_big(f"« {member.filename} »", member_label)
                    if total > limit:
                        raise too_big("le contenu de l'archive", limit_label)
                    if chunks is not None:
                        chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise _reject_file(name, f"« {member.filename} » est endommagé dans l'archive (son contenu ne correspond "
                                     "pas à la taille ou à la somme de contrôle annoncées)") from None
        if chunks is not None:
            kept[member.filename] = b"".join(chunks)
    return kept


def _repair_double_encoding(text: str) -> tuple[str, list[str]]:
    """Undo a UTF-8 file read once as Windows-1252 and saved again, when it is certainly that."""
    garbled = _MOJIBAKE.search(text)
    if not garbled:
        return text, []
    try:
        repaired = text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text, [f"Attention : « {garbled.group()} » à la place d'une lettre accentuée laisse penser que le "
                      "fichier a été mal converti ; vérifiez les noms dans l'aperçu avant d'importer."]
    return repaired, [f"Le fichier avait été converti deux fois (« {garbled.group()} » pour « "
                      f"{garbled.group().encode('cp1252').decode('utf-8')} ») : ses accents ont été rétablis."]


def read_table(data: bytes, name: str, spec: dict[str, Column]) -> Table:
    """Find the header (in the first rows) and map its columns to the fields of spec.

    Raises FileRejected, nothing being written, for an unreadable, empty or header-only file and
    for a missing or ambiguous column."""
    rows, notes = _spreadsheet_rows(data, name)
    if not rows:
        raise _reject_file(name, "le fichier est vide")
    by_key = {alias: fname for fname, column in spec.items() for alias in column.aliases}
    required = {f for f, c in spec.items() if c.required}

    def covered(mapped: set) -> set:
        return mapped | {f for stand_in in mapped for f in spec[stand_in].stands_for}

    for index, (line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        mapped = {by_key.get(_key(c)) for c in cells} - {None}
        if required <= covered(mapped):
            header_index, header_line, header = index, line, cells
            break
    else:
        line, cells = rows[0]
        mapped = {by_key.get(_key(c)) for c in cells} - {None}
        missing = [f for f in spec if f in required and f not in covered(mapped)]
        found = ", ".join(f"« {c.strip()} »" for c in cells if c.strip())
        problems = []
        for fname in missing:
            reason = f"colonne obligatoire absente (colonnes trouvées : {found})"
            stand_in = next((c for c in spec.values() if fname in c.stands_for), None)
            if stand_in:
                replaced = " et ".join(f"« {spec[f].label} »" for f in stand_in.stands_for)
                reason += f" ; une colonne « {stand_in.label} » peut remplacer {replaced}"
            problems.append(FileProblem(name, line, spec[fname].label, reason))
        raise FileRejected(problems)
    columns: dict[str, int] = {}
    problems, ignored = [], []
    for index, title in enumerate(header):
        fname = by_key.get(_key(title))
        if fname is None:
            if title.strip():
                ignored.append(index)
        elif fname in columns:
            problems.append(FileProblem(name, header_line, title.strip(),
                                        f"deux colonnes correspondent à « {spec[fname].label} » "
                                        f"(« {header[columns[fname]].strip()} » et « {title.strip()} »)"))
        else:
            columns[fname] = index
    if problems:
        raise FileRejected(problems)
    for stand_in in [f for f in columns if spec[f].stands_for]:
        parts = spec[stand_in].stands_for
        # The separate columns win when all are there; otherwise the combined one holds the whole name.
        unused = [stand_in] if all(f in columns for f in parts) else [f for f in parts if f in columns]
        for fname in unused:
            ignored.append(columns.pop(fname))
    data_rows = rows[header_index + 1:]
    if not data_rows:
        raise _reject_file(name, "le fichier ne contient que la ligne d'en-tête, aucune donnée", header_line)
    if len(data_rows) > MAX_DATA_ROWS:
        raise _too_many_rows(name)
    if ignored:
        notes.append("Colonnes ignorées : " + ", ".join(f"« {header[i].strip()} »" for i in sorted(ignored)) + ".")
    return Table(name, header, columns, data_rows, notes)


# ---------------------------------------------------------------- values

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_EMAIL = re.compile(r"^[^@\s;,<>\"']+@[^@\s;,<>\"']+\.[^@\s;,<>\"'.]+$")


def parse_date(text: str) -> str | None:
    """ISO date from « 05/09/2025 », « 5.9.2025 », « 2025-09-05 » (XLSX dates arrive as ISO)."""
    text = text.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def french_date(iso: str | None) -> str:
    return "" if not iso else f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def current_school_year(today: date | None = None) -> str:
    """« 2026-2027 » from August on, else the year that started the September before."""
    today = today or clock.today()
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}"


def _now() -> str:
    return clock.stamp()


def _author_id(db: sqlite_utils.Database, user: User) -> int | None:
    """The user's id when it is an account of this database (the CLI runs as no account)."""
    return user.id if db.execute("SELECT 1 FROM users WHERE id = ?", [user.id]).fetchone() else None


def _audit(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    counts = {f"{e}.{a}": n for (e, a), n in sorted(plan.counts.items()) if a != UNCHANGED}
    after = {"file": plan.file_name, "counts": counts, "rejected_lines": plan.rejected_lines}
    if plan.ops.get("journal"):
        # Each of these evaluations has its own journal lines, old and new values (see _journal_locked).
        after["locked_evaluations_changed"] = sorted(plan.ops["journal"])
    decided = {h.line: h.decision for h in plan.homonyms if h.decision}
    if decided:
        after["homonym_decisions"] = decided
    audit.write(db, user, "import", plan.kind, after=after)


def _prepared(db: sqlite_utils.Database, user: User, build, partial: bool, write) -> ImportPlan:
    """Build the plan (parse, validate, match against the database) WITHOUT the write lock, then write it in one
    short transaction, so that a long import never makes the other users' writes wait for it.

    The plan is built in a read transaction: one consistent snapshot, no lock taken from writers (WAL). The
    write transaction then checks, with SQLite's data_version, that no other connection has written since; if
    one has, the plan is built again inside the transaction, so what is written is always what the checks accept
    against the database as it is, all or nothing."""
    conn = db.conn
    if conn.in_transaction:  # inside a caller's transaction: it holds the lock already
        return _finish(db, user, build(), partial, write)
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT 1 FROM settings LIMIT 1").fetchall()  # the snapshot starts with the first read
        seen = _data_version(db)
        plan = build()
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    _refuse(plan, partial)  # a refusal needs no lock
    with transaction(db):
        if _data_version(db) != seen:
            plan = build()
        return _finish(db, user, plan, partial, write)


def _choice_list(choices) -> str:
    """« « Même apprenant », « Nouvel apprenant » ou « Ignorer la ligne » »."""
    labels = [f"« {DECISION_LABELS[c]} »" for c in choices]
    return ", ".join(labels[:-1]) + " ou " + labels[-1] if len(labels) > 1 else labels[0]


def _data_version(db: sqlite_utils.Database) -> int:
    """Changes when another connection commits (not this one): SQLite's own counter."""
    return db.execute("PRAGMA data_version").fetchone()[0]


def _refuse(plan: ImportPlan, partial: bool) -> None:
    if plan.undecided:
        # Never settled by --partial: leaving out a line is a decision too, the DDFPT's.
        raise FileRejected([FileProblem(plan.file_name, h.line, "Nom", f"{h.text()} ; choisissez "
                                        + _choice_list(h.choices))
                            for h in plan.undecided])
    if plan.rejected and not partial:
        raise FileRejected(list(plan.rejected))


def _finish(db: sqlite_utils.Database, user: User, plan: ImportPlan, partial: bool, write) -> ImportPlan:
    """Inside the caller's transaction: refuse or write, then record."""
    _refuse(plan, partial)
    if plan.has_writes:
        write(db, user, plan)
        _audit(db, user, plan)
        bump_data_version(db)
    plan.applied = True
    return plan


# ---------------------------------------------------------------- classes and learners

LEARNER_COLUMNS = {
    "last_name": Column("Nom", frozenset({"nom", "nomdefamille", "nomdusage", "nomeleve", "nomdeleleve",
                                          "nomapprenant", "nomfamille", "nomdenaissance"})),
    "first_name": Column("Prénom", frozenset({"prenom", "prenom1", "prenomeleve", "prenomdeleleve",
                                              "prenomapprenant", "premierprenom", "prenoms"})),
    "class_name": Column("Classe", frozenset({"classe", "division", "classeeleve", "div", "classes",
                                              "divisionclasse", "libelleclasse", "codeclasse"})),
    "email": Column("E-mail", frozenset({"email", "mail", "courriel", "adressemail", "adresseemail", "mel",
                                         "adressecourriel", "emaileleve", "maileleve", "courrieleleve",
                                         "adresseelectronique", "emailapprenant"}), required=False),
    "birth_date": Column("Date de naissance", frozenset({"datedenaissance", "datenaissance", "naissance", "nele",
                                                         "neele", "nee", "ne", "datenaiss", "datedenaiss"}),
                         required=False),
    "full_name": Column("Élève (NOM Prénom)", frozenset({"eleve", "nometprenom", "nomprenom", "nometprenoms",
                                                         "nomprenoms", "nomsetprenoms", "nomsprenoms"}),
                        required=False, stands_for=("last_name", "first_name")),
}

_NAME_APOSTROPHES = "'’"


def _is_capital_word(word: str) -> bool:
    """« DUPONT », « LE », « N'DIAYE », « ÉGRÈVE-MARTIN »: letters all capitals, hyphens and apostrophes."""
    return (any(c.isalpha() for c in word)
            and all((c.isalpha() and c.isupper()) or c == "-" or c in _NAME_APOSTROPHES for c in word))


# Only what looks like a name is rewritten: letters, with spaces, hyphens, apostrophes and dots between them.
_NAME_LIKE = re.compile(r"^[^\W\d_]+(?:[ '’.-]+[^\W\d_]+)*\.?$")
_LETTERS = re.compile(r"[^\W\d_]+")


def normal_last_name(text: str) -> str:
    """The last name as school software writes it: in capitals, accents kept (« lefèvre » → « LEFÈVRE »)."""
    return text.upper() if _NAME_LIKE.match(text) else text


def normal_first_name(text: str) -> str:
    """The first name as school software writes it: each part capitalised, accents kept (« jean-pierre » →
    « Jean-Pierre », « FRANÇOIS » → « François »)."""
    if not _NAME_LIKE.match(text):
        return text
    return _LETTERS.sub(lambda part: part.group()[0].upper() + part.group()[1:].lower(), text)


def split_full_name(text: str) -> tuple[str, str]:
    """(last name, first name) of « NOM Prénom » as school software writes it: the leading words in
    capitals are the last name (« DA SILVA SANTOS Léa Marie »). Raises ValueError with the French reason."""
    words = text.split()
    count = next((i for i, word in enumerate(words) if not _is_capital_word(word)), len(words))
    if count == 0:
        raise ValueError(f"« {text} » ne commence pas par un nom en majuscules (attendu « NOM Prénom », "
                         "ex. « DUPONT Jean »)")
    if count == len(words):
        if count == 1:
            raise ValueError(f"prénom absent après le nom « {text} » (attendu « NOM Prénom », ex. « DUPONT Jean »)")
        raise ValueError(f"« {text} » est tout en majuscules : le nom ne se distingue pas du prénom (attendu "
                         "« NOM Prénom », ex. « DUPONT Jean »)")
    return " ".join(words[:count]), " ".join(words[count:])


class _LineReader:
    """Reads a table's lines by field, the learner's name given by « Nom » and « Prénom » or by one combined
    column (« Élève ») split with split_full_name. Shared by the learners and the results imports."""

    def __init__(self, table: Table, spec: dict[str, Column]) -> None:
        self.table, self.spec = table, spec
        self.combined = "full_name" in table.columns
        self.labels = {f: c.label for f, c in spec.items()}
        if self.combined:
            # A rejection points at the column the user has in the file, under its own title.
            combined_title = table.header[table.columns["full_name"]].strip()
            self.labels.update(full_name=combined_title, last_name=combined_title, first_name=combined_title)
        # The fields a line must fill, in the spec's order, the combined name in the place of Nom and Prénom.
        name_fields = {"last_name": ("full_name",), "first_name": ()} if self.combined else {}
        self.required = tuple(f for fname, column in spec.items() if column.required
                              for f in name_fields.get(fname, (fname,)))

    def values(self, cells: list[str]) -> tuple[dict[str, str], str]:
        """The cleaned cells by field, the combined name split; and why it could not be split."""
        value = {f: _clean(self.table.cell(cells, f)) for f in self.spec}
        if self.combined and value["full_name"]:
            try:
                value["last_name"], value["first_name"] = split_full_name(value["full_name"])
            except ValueError as error:
                return value, str(error)
        return value, ""

    def rejection(self, line: int, cells: list[str], fname: str, reason: str) -> Rejection:
        return Rejection(self.table.name, line, self.labels[fname], reason, self.table.content(cells))


def _learner_plan(db: sqlite_utils.Database, table: Table, diploma: str, school_year: str,
                  decisions: dict[int, str] | None = None) -> ImportPlan:
    plan = ImportPlan("learners", table.name, lines=len(table.rows), notes=list(table.notes))
    decisions = decisions or {}
    classes = {_name_key(name): (cid, name) for cid, name in db.execute("SELECT id, name FROM classes")}
    class_names = {cid: name for cid, name in classes.values()}
    learners: dict[int, dict[str, tuple]] = {}
    loose: dict[int, dict[str, list[tuple]]] = {}
    school_exact: dict[str, list[tuple]] = {}
    school_loose: dict[str, list[tuple]] = {}
    for row in db.execute("SELECT id, class_id, last_name, first_name, email, birth_date FROM learners"):
        learners.setdefault(row[1], {})[_name_key(f"{row[2]} {row[3]}")] = row
        loose.setdefault(row[1], {}).setdefault(_loose_key(f"{row[2]}{row[3]}"), []).append(row)
        school_exact.setdefault(_name_key(f"{row[2]} {row[3]}"), []).append(row)
        school_loose.setdefault(_loose_key(f"{row[2]}{row[3]}"), []).append(row)
    users_by_email = {email.casefold(): (uid, learner_id, name + (f" ({klass})" if klass else ""))
                      for uid, email, learner_id, name, klass in db.execute(
                          "SELECT u.id, u.email, u.learner_id, u.name, c.name FROM users u "
                          "LEFT JOIN learners l ON l.id = u.learner_id LEFT JOIN classes c ON c.id = l.class_id")}
    account_of = {learner_id: (uid, email) for uid, email, learner_id, _ in
                  db.execute("SELECT id, email, learner_id, name FROM users WHERE learner_id IS NOT NULL")}

    reader = _LineReader(table, LEARNER_COLUMNS)

    def in_class(class_id: int, last: str, first: str) -> tuple | None:
        existing = learners.get(class_id, {}).get(_name_key(f"{last} {first}"))
        if existing is None:
            candidates = loose.get(class_id, {}).get(_loose_key(last + first), [])
            existing = candidates[0] if len(candidates) == 1 else None
        return existing

    # A learner named in its own class by some line stays there: no other line may take it to another class.
    kept_in_class: set[int] = set()
    for _line, cells in table.rows:
        value, _unsplittable = reader.values(cells)
        klass = classes.get(_name_key(value["class_name"]))
        if klass and value["last_name"] and value["first_name"]:
            existing = in_class(klass[0], value["last_name"], value["first_name"])
            if existing:
                kept_in_class.add(existing[0])

    def in_other_classes(class_id: int | None, last: str, first: str, email: str,
                         birth: str | None) -> tuple[list[tuple], bool]:
        """The learners of other classes this line may name, narrowed as far as the line allows, and whether
        the line confirms who it is (the same date of birth or e-mail as the one recorded)."""
        def elsewhere(rows):
            return [r for r in rows if r[1] != class_id and r[0] not in kept_in_class]
        candidates = (elsewhere(school_exact.get(_name_key(f"{last} {first}"), []))
                      or elsewhere(school_loose.get(_loose_key(last + first), [])))
        confirmed = [r for r in candidates if (birth and r[5] == birth)
                     or (email and (r[4] or "").casefold() == email.casefold())]
        if len(confirmed) > 1 and email and birth:
            confirmed = [r for r in confirmed if r[5] == birth and (r[4] or "").casefold() == email.casefold()] \
                or confirmed
        if confirmed:
            return confirmed, True
        # Another recorded date of birth may be another person of the same name: the DDFPT decides.
        compatible = [r for r in candidates if not (birth and r[5] and r[5] != birth)]
        return compatible or candidates, False

    results_of = dict(db.execute("SELECT learner_id, count(*) FROM results GROUP BY learner_id").fetchall())

    def record(row: tuple, class_name: str) -> dict:
        return {"id": row[0], "Nom": row[2], "Prénom": row[3], "Classe": class_name,
                "Date de naissance": french_date(row[5]), "E-mail": row[4] or "", "Résultats": results_of.get(row[0], 0)}

    new_classes: dict[str, str] = {}
    seen_learners: dict[tuple[str, str], int] = {}
    seen_emails: dict[str, int] = {}
    moved_by: dict[int, int] = {}  # learner id → the line that takes it to another class
    ops = plan.ops = {"classes": [], "learners": [], "updates": [], "moves": [], "accounts": [],
                      "account_updates": []}
    plan.ops["diploma"], plan.ops["school_year"] = diploma, school_year

    for line, cells in table.rows:
        value, split_problem = reader.values(cells)
        problems = []

        def reject(fname: str, reason: str, _line=line, _cells=cells, _problems=problems) -> None:
            _problems.append(reader.rejection(_line, _cells, fname, reason))

        for fname in reader.required:
            if not value[fname]:
                reject(fname, "valeur obligatoire manquante")
        if split_problem:
            reject("full_name", split_problem)
        value["last_name"] = normal_last_name(value["last_name"])
        value["first_name"] = normal_first_name(value["first_name"])
        if value["last_name"] and value["first_name"]:
            try:
                # The learner's account, now or later, bears this name: the accounts' own rule.
                check_name(f"{value['last_name']} {value['first_name']}", "Le nom complet (nom et prénom)")
            except ValidationError as error:
                reject("last_name", str(error))
        email = value["email"]
        if email and not _EMAIL.match(email):
            reject("email", f"adresse e-mail « {email} » invalide")
        birth = None
        if value["birth_date"]:
            birth = parse_date(value["birth_date"])
            if birth is None:
                reject("birth_date", f"date « {value['birth_date']} » invalide (format attendu jj/mm/aaaa)")
        if not problems:
            class_key = _name_key(value["class_name"])
            identity = (class_key, _name_key(f"{value['last_name']} {value['first_name']}"))
            if identity in seen_learners:
                reject("last_name", f"apprenant en double dans le fichier (déjà ligne {seen_learners[identity]})")
            if email and email.casefold() in seen_emails:
                reject("email", f"adresse e-mail déjà donnée ligne {seen_emails[email.casefold()]}")
        if problems:
            plan.rejected.extend(problems)
            continue

        full_name = f"{value['last_name']} {value['first_name']}"
        existing = None
        class_id = None
        if class_key in classes:
            class_id, class_name = classes[class_key]
            existing = in_class(class_id, value["last_name"], value["first_name"])
        else:
            class_name = new_classes.get(class_key) or value["class_name"]
        former_class = None
        # A possible homonym: (the recorded learner, why in doubt, the decisions that make sense).
        doubt = None
        if existing is not None:
            if birth and existing[5] and birth != existing[5]:
                # Two learners of one name in one class cannot be told apart (the table forbids it): no « new ».
                doubt = (existing, "même nom et prénom dans la même classe, mais une autre date de naissance",
                         (SAME, SKIP))
        else:
            candidates, confirmed = in_other_classes(class_id, value["last_name"], value["first_name"], email, birth)
            if len(candidates) > 1:
                where = ", ".join(sorted(class_names[r[1]] for r in candidates))
                hint = "" if email and birth else " ; ajoutez sa date de naissance ou son e-mail pour le désigner"
                reject("last_name", f"identité ambiguë : {len(candidates)} apprenants « {full_name} » dans "
                                    f"d'autres classes ({where}), impossible de savoir lequel change de classe{hint}")
            elif candidates and candidates[0][0] in moved_by:
                reject("last_name", f"« {full_name} » de {class_names[candidates[0][1]]} change déjà de classe "
                                    f"ligne {moved_by[candidates[0][0]]}")
            elif candidates:
                candidate = candidates[0]
                elsewhere = class_names[candidate[1]]
                if not confirmed and birth and candidate[5] and candidate[5] != birth:
                    doubt = (candidate, f"même nom et prénom qu'un apprenant de {elsewhere}, mais une autre date "
                                        "de naissance", (SAME, NEW, SKIP))
                elif not confirmed and results_of.get(candidate[0]):
                    doubt = (candidate, f"même nom et prénom qu'un apprenant de {elsewhere} qui a déjà des "
                                        "résultats : changement de classe ou homonyme ?", (SAME, NEW, SKIP))
                else:
                    existing, former_class = candidate, elsewhere
        if problems:
            plan.rejected.extend(problems)
            continue
        if doubt is not None:
            candidate, reason, choices = doubt
            decision = decisions.get(line)
            if decision is not None and decision not in choices:
                raise ValidationError(f"Ligne {line} : « {DECISION_LABELS[decision]} » n'est pas possible ici "
                                      f"({reason}) ; choisissez {_choice_list(choices)}.")
            plan.homonyms.append(Homonym(
                line, reason, {"Nom": value["last_name"], "Prénom": value["first_name"], "Classe": class_name,
                               "Date de naissance": french_date(birth), "E-mail": email},
                record(candidate, class_names[candidate[1]]), choices, decision))
            if decision is None or decision == SKIP:
                continue
            if decision == SAME:
                existing = candidate
                if candidate[1] != class_id:
                    if candidate[0] in moved_by:
                        reject("last_name", f"« {full_name} » de {class_names[candidate[1]]} change déjà de classe "
                                            f"ligne {moved_by[candidate[0]]}")
                        plan.rejected.extend(problems)
                        continue
                    former_class = class_names[candidate[1]]
        label = f"{class_name} — {full_name}"

        # An e-mail already used by an account that is not this learner's would make the sign-in ambiguous.
        owner = users_by_email.get(email.casefold()) if email else None
        learner_id = existing[0] if existing else None
        if owner and (learner_id is None or owner[1] != learner_id):
            reject("email", f"adresse e-mail « {email} » déjà utilisée par le compte de {owner[2]}")
            plan.rejected.extend(problems)
            continue
        seen_learners[identity] = line
        if email:
            seen_emails[email.casefold()] = line
        if class_id is None and class_key not in new_classes:
            new_classes[class_key] = class_name
            ops["classes"].append((class_key, class_name))
            plan.changes.append(Change(line, "class", ADDED, class_name,
                                       f"nouvelle classe, année scolaire {school_year}, diplôme {diploma}"))

        if existing is None:
            ops["learners"].append((class_key, class_id, value["last_name"], value["first_name"], email or None,
                                    birth, line))
            detail = ", ".join(x for x in (email, french_date(birth)) if x)
            plan.changes.append(Change(line, "learner", ADDED, label, detail))
            if email:
                ops["accounts"].append(("new", len(ops["learners"]) - 1, full_name, email))
                plan.changes.append(Change(line, "account", ADDED, label, email))
            continue

        learner_id, _, last, first, old_email, old_birth = existing
        diffs = []
        if former_class is not None:
            moved_by[learner_id] = line
            ops["moves"].append((learner_id, class_key, class_id))
            diffs.append(f"changement de classe : {former_class} → {class_name}")
        new_email = old_email
        if email and email != old_email:
            new_email = email
            diffs.append(f"e-mail : {old_email or '(vide)'} → {email}")
        new_birth = old_birth
        if birth and birth != old_birth:
            new_birth = birth
            diffs.append(f"date de naissance : {french_date(old_birth) or '(vide)'} → {french_date(birth)}")
        label = f"{class_name} — {last} {first}"
        if diffs:
            if (new_email, new_birth) != (old_email, old_birth):
                ops["updates"].append((learner_id, new_email, new_birth))
            plan.changes.append(Change(line, "learner", UPDATED, label, " ; ".join(diffs)))
        else:
            plan.changes.append(Change(line, "learner", UNCHANGED, label))
        account = account_of.get(learner_id)
        if email and account is None:
            ops["accounts"].append(("existing", learner_id, f"{last} {first}", email))
            plan.changes.append(Change(line, "account", ADDED, label, email))
        elif email and account and new_email != old_email and account[1].casefold() == (old_email or "").casefold():
            # The account was made from the learner's e-mail: it follows the new address.
            ops["account_updates"].append((account[0], email))
            plan.changes.append(Change(line, "account", UPDATED, label, f"e-mail : {account[1]} → {email}"))
    return plan


def _write_learners(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    ops = plan.ops
    class_ids = {}
    for class_key, name in ops["classes"]:
        cur = db.execute("INSERT INTO classes(name, diploma, school_year) VALUES (?, ?, ?)",
                         [name, ops["diploma"], ops["school_year"]])
        class_ids[class_key] = cur.lastrowid
    learner_ids = []
    for class_key, class_id, last, first, email, birth, _ in ops["learners"]:
        cur = db.execute("INSERT INTO learners(class_id, last_name, first_name, email, birth_date) "
                         "VALUES (?, ?, ?, ?, ?)", [class_id or class_ids[class_key], last, first, email, birth])
        learner_ids.append(cur.lastrowid)
    # Only the class changes: results stay the learner's, on the evaluations of the former class.
    db.conn.executemany("UPDATE learners SET class_id = ? WHERE id = ?",
                        [(class_id or class_ids[class_key], lid) for lid, class_key, class_id in ops["moves"]])
    db.conn.executemany("UPDATE learners SET email = ?, birth_date = ? WHERE id = ?",
                        [(email, birth, lid) for lid, email, birth in ops["updates"]])
    for kind, ref, name, email in ops["accounts"]:
        learner_id = learner_ids[ref] if kind == "new" else ref
        db.execute("INSERT INTO users(name, email, role, learner_id) VALUES (?, ?, 'learner', ?)",
                   [name, email, learner_id])
    db.conn.executemany("UPDATE users SET email = ? WHERE id = ?", [(e, uid) for uid, e in ops["account_updates"]])


def diploma_options(db: sqlite_utils.Database, user: User | None) -> pd.DataFrame:
    """Diplomas a new class may belong to (code, title)."""
    require(user, "import_learners")
    return pd.read_sql_query("SELECT code, title FROM diplomas ORDER BY code = ? DESC, code", db.conn,
                             params=[DEFAULT_DIPLOMA])


def _check_diploma(db: sqlite_utils.Database, diploma: str) -> None:
    if not db.execute("SELECT 1 FROM diplomas WHERE code = ?", [diploma]).fetchone():
        raise ValidationError(f"Le diplôme « {diploma} » n'existe pas : importez d'abord son référentiel.")


def _decided_plan(db: sqlite_utils.Database, table: Table, diploma: str, school_year: str | None,
                  decisions: dict[int, str] | None) -> ImportPlan:
    _check_diploma(db, diploma)
    decisions = {int(line): decision for line, decision in (decisions or {}).items()}
    unknown = [d for d in decisions.values() if d not in DECISION_LABELS]
    if unknown:
        raise ValidationError(f"Décision « {unknown[0]} » inconnue (attendu : {', '.join(DECISION_LABELS)}).")
    plan = _learner_plan(db, table, diploma, school_year or current_school_year(), decisions)
    stray = sorted(set(decisions) - {h.line for h in plan.homonyms})
    if stray:
        lines = ", ".join(map(str, stray))
        where = "ces lignes" if len(stray) > 1 else "cette ligne"
        raise ValidationError(f"Ligne{'s' if len(stray) > 1 else ''} {lines} : aucun homonyme possible à trancher "
                              f"sur {where} ; rien n'a été importé.")
    return plan


def preview_learners(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                     diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                     decisions: dict[int, str] | None = None) -> ImportPlan:
    """What importing this list of classes and learners would do, with the decisions taken so far on possible
    homonyms ({line: SAME, NEW or SKIP}). Writes nothing."""
    require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return _decided_plan(db, table, diploma, school_year, decisions)


def import_learners(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                    diploma: str = DEFAULT_DIPLOMA, school_year: str | None = None,
                    partial: bool = False, decisions: dict[int, str] | None = None) -> ImportPlan:
    """Import classes and learners in one transaction. With rejected lines, refuses (nothing written)
    unless partial is True, in which case only the valid lines are imported. A possible homonym left
    without a decision always refuses the import."""
    user = require(user, "import_learners")
    table = read_table(data, file_name, LEARNER_COLUMNS)
    return _prepared(db, user, lambda: _decided_plan(db, table, diploma, school_year, decisions), partial,
                     _write_learners)


# ---------------------------------------------------------------- evaluation results (long format)

RESULT_COLUMNS = {
    "class_name": LEARNER_COLUMNS["class_name"],
    "last_name": LEARNER_COLUMNS["last_name"],
    "first_name": LEARNER_COLUMNS["first_name"],
    "title": Column("Évaluation", frozenset({"evaluation", "titre", "intitule", "titreevaluation",
                                             "titredelevaluation", "intituleevaluation", "nomevaluation",
                                             "libelleevaluation", "evaluationtitre"})),
    "date": Column("Date", frozenset({"date", "dateevaluation", "datedelevaluation", "dateeval"})),
    "complexity": Column("Complexité", frozenset({"complexite", "niveaudecomplexite", "contexte",
                                                  "complexiteoucontexte", "niveaucomplexite", "type"})),
    "competency": Column("Compétence", frozenset({"competence", "codecompetence", "competences"})),
    "criterion": Column("Critère", frozenset({"critere", "criteredevaluation", "codecritere", "numerocritere",
                                              "criteres", "ncritere", "nocritere"})),
    "result": Column("Résultat", frozenset({"resultat", "coderesultat", "niveaudereussite", "reussite",
                                            "resultats", "code"})),
    "full_name": LEARNER_COLUMNS["full_name"],
}
_COMPLEXITY_WORDS = {
    "d": "D", "decouverte": "D", "int": "Int", "i": "Int", "intermediaire": "Int", "b": "B", "bac": "B",
    "bacpro": "B", "niveaubacpro": "B", "e": COMPANY_CODE, "entreprise": COMPANY_CODE,
    "bilanentreprise": COMPANY_CODE, "pfmp": COMPANY_CODE,
}
_CRITERION_CODE = re.compile(r"^\s*(C\d+)\s*[-./ ]\s*(\d+)\s*$", re.IGNORECASE)


def _result_plan(db: sqlite_utils.Database, table: Table, allow_locked: bool = False) -> ImportPlan:
    plan = ImportPlan("results", table.name, lines=len(table.rows), notes=list(table.notes))
    classes = {_name_key(name): (cid, name, diploma)
               for cid, name, diploma in db.execute("SELECT id, name, diploma FROM classes")}
    wanted = {_name_key(table.cell(cells, "class_name")) for _, cells in table.rows}
    class_ids = [classes[k][0] for k in wanted if k in classes]
    marks = ",".join("?" * len(class_ids)) or "NULL"
    learners: dict[int, dict[str, tuple[int, str]]] = {}
    loose: dict[int, dict[str, list[tuple[int, str]]]] = {}
    for lid, cid, last, first in db.execute(
            f"SELECT id, class_id, last_name, first_name FROM learners WHERE class_id IN ({marks})", class_ids):
        learners.setdefault(cid, {})[_name_key(f"{last} {first}")] = (lid, f"{last} {first}")
        loose.setdefault(cid, {}).setdefault(_loose_key(last + first), []).append((lid, f"{last} {first}"))
    competencies: dict[str, dict[str, tuple[int, str]]] = {}
    criteria: dict[tuple[int, int], int] = {}
    criteria_count: Counter = Counter()
    for diploma, comp_id, code, position, crit_id in db.execute(
            "SELECT c.diploma, c.id, c.code, cr.position, cr.id FROM competencies c "
            "JOIN criteria cr ON cr.competency_id = c.id"):
        competencies.setdefault(diploma, {})[code.casefold()] = (comp_id, code)
        criteria[(comp_id, position)] = crit_id
        criteria_count[comp_id] += 1
    known_evaluations = {}
    for eid, cid, lid, title, day, context, complexity, modified in db.execute(
            f"SELECT id, class_id, learner_id, title, eval_date, context, complexity, modified_at FROM evaluations "
            f"WHERE class_id IN ({marks})", class_ids):
        known_evaluations[(cid, _clean(title), day, lid or 0)] = (eid, context, complexity, modified, lid, title)
    eval_ids = [e[0] for e in known_evaluations.values()]
    linked: set[tuple[int, int]] = set()
    results: dict[tuple[int, int, int], str] = {}
    for chunk in range(0, len(eval_ids), 500):
        ids = eval_ids[chunk:chunk + 500]
        qmarks = ",".join("?" * len(ids))
        linked.update(db.execute(
            f"SELECT evaluation_id, criterion_id FROM evaluation_criteria WHERE evaluation_id IN ({qmarks})", ids))
        for eid, lid, crit, code in db.execute(
                f"SELECT evaluation_id, learner_id, criterion_id, code FROM results WHERE evaluation_id IN ({qmarks})",
                ids):
            results[(eid, lid, crit)] = code

    # Per evaluation identity: its first line, complexity, label, existing row, criteria and results to write.
    planned: dict[tuple, dict] = {}
    seen_results: dict[tuple, int] = {}
    ops = plan.ops = {"evaluations": {}, "links": [], "results": [], "complexity": [], "journal": {}}

    reader = _LineReader(table, RESULT_COLUMNS)
    for line, cells in table.rows:
        value, split_problem = reader.values(cells)
        problems = []

        def reject(fname: str, reason: str, _line=line, _cells=cells, _problems=problems) -> None:
            _problems.append(reader.rejection(_line, _cells, fname, reason))

        for fname in reader.required:
            if not value[fname] and not (fname == "competency" and _CRITERION_CODE.match(value["criterion"])):
                reject(fname, "valeur obligatoire manquante")
        if problems:
            plan.rejected.extend(problems)
            continue
        klass = classes.get(_name_key(value["class_name"]))
        learner = None
        if klass is None:
            reject("class_name", f"classe « {value['class_name']} » inconnue")
        if split_problem:
            reject("full_name", split_problem)
        elif klass is not None:
            name = f"{value['last_name']} {value['first_name']}"
            learner = learners.get(klass[0], {}).get(_name_key(name))
            if learner is None:
                candidates = loose.get(klass[0], {}).get(_loose_key(value["last_name"] + value["first_name"]), [])
                learner = candidates[0] if len(candidates) == 1 else None
            if learner is None:
                reject("last_name", f"apprenant « {name} » inconnu dans la classe {klass[1]}")
        day = parse_date(value["date"])
        if day is None:
            reject("date", f"date « {value['date']} » invalide (format attendu jj/mm/aaaa)")
        complexity = _COMPLEXITY_WORDS.get(_key(value["complexity"]))
        if complexity is None:
            reject("complexity", f"complexité « {value['complexity']} » inconnue "
                                 f"(attendu {', '.join(COMPLEXITIES)} ou {COMPANY_CODE} pour un bilan entreprise)")
        competency_text, criterion_text = value["competency"], value["criterion"]
        code_form = _CRITERION_CODE.match(criterion_text)
        if code_form:
            if competency_text and competency_text.casefold() != code_form.group(1).casefold():
                reject("criterion", f"le critère « {criterion_text} » n'appartient pas à la compétence "
                                    f"« {competency_text} »")
            competency_text, criterion_text = code_form.group(1), code_form.group(2)
        criterion_id = None
        if klass is not None:
            competency = competencies.get(klass[2], {}).get(competency_text.casefold())
            if competency is None:
                reject("competency", f"compétence « {competency_text} » inconnue dans le référentiel {klass[2]}")
            elif not criterion_text.isdigit():
                reject("criterion", f"critère « {value['criterion']} » illisible (attendu un numéro, ex. 3, "
                                    f"ou un code, ex. {competency[1]}-3)")
            else:
                criterion_id = criteria.get((competency[0], int(criterion_text)))
                if criterion_id is None:
                    count = criteria_count[competency[0]]
                    reject("criterion", f"critère {competency[1]}-{int(criterion_text)} inconnu "
                                        f"({competency[1]} compte {count} critère{'s' if count > 1 else ''})")
        code = next((c for c in RESULT_CODES if c.casefold() == value["result"].casefold()), None)
        if code is None:
            reject("result", f"code « {value['result']} » inconnu (codes admis : {', '.join(RESULT_CODES)})")
        if problems:
            plan.rejected.extend(problems)
            continue

        class_id, class_name = klass[0], klass[1]
        learner_id, learner_name = learner
        company = complexity == COMPANY_CODE
        title = value["title"]
        key = (class_id, title, day, learner_id if company else 0)
        entry = planned.get(key)
        existing = known_evaluations.get(key)
        if entry is None:
            if existing and (existing[1] == "company") != company:
                where = "entreprise" if existing[1] == "company" else "établissement"
                reject("complexity", f"l'évaluation « {title} » du {french_date(day)} existe déjà "
                                     f"en contexte {where}")
                plan.rejected.extend(problems)
                continue
            entry = {"line": line, "complexity": complexity, "existing": existing, "new_criteria": set(),
                     "rows": [], "title": title, "day": day,
                     "label": f"{class_name} — {title} ({french_date(day)})"
                              + (f" — {learner_name}" if company else "")}
        elif entry["complexity"] != complexity:
            reject("complexity", f"complexité « {complexity} » différente de celle de la ligne {entry['line']} "
                                 f"(« {entry['complexity']} ») pour la même évaluation")
            plan.rejected.extend(problems)
            continue
        result_key = (key, learner_id, criterion_id)
        if result_key in seen_results:
            reject("result", f"résultat en double pour cet apprenant et ce critère (déjà ligne "
                             f"{seen_results[result_key]})")
            plan.rejected.extend(problems)
            continue
        seen_results[result_key] = line
        planned[key] = entry

        label = f"{class_name} — {learner_name} — {title} — {competency[1]}-{int(criterion_text)}"
        eid = existing[0] if existing else None
        link = None
        if (eid is None or (eid, criterion_id) not in linked) and criterion_id not in entry["new_criteria"]:
            entry["new_criteria"].add(criterion_id)
            link = criterion_id
        old = results.get((eid, learner_id, criterion_id)) if eid else None
        write = (key, learner_id, criterion_id, code) if old != code else None
        if old is None:
            change = Change(line, "result", ADDED, label, code)
        elif old != code:
            change = Change(line, "result", UPDATED, label, f"{old} → {code}")
        else:
            change = Change(line, "result", UNCHANGED, label, code)
        entry["rows"].append((line, cells, change, write, link, old))

    evaluation_changes, result_changes = [], []
    for key, entry in planned.items():
        existing, complexity = entry["existing"], entry["complexity"]
        rows = entry["rows"]
        complexity_changed = existing is not None and (existing[2] or COMPANY_CODE) != complexity
        writing = rows if complexity_changed else [r for r in rows if r[3] or r[4]]
        locked_by = evaluations.taken_into_account(db, existing[0]) if existing and writing else None
        if locked_by and not allow_locked:
            # Changing what a validated bilan counted needs the DDFPT's explicit leave, for this import.
            reason = (f"l'évaluation « {entry['title']} » du {french_date(entry['day'])} est déjà prise en compte "
                      f"dans un bilan validé le {date_text(locked_by)} : cochez « {LOCKED_CONFIRM_LABEL} » "
                      "(ou --allow-locked en ligne de commande) pour la modifier")
            plan.rejected.extend(reader.rejection(r[0], r[1], "title", reason) for r in writing)
            plan.locked.append((entry["label"], locked_by))
            refused = {r[0] for r in writing}
            rows = [r for r in rows if r[0] not in refused]
            entry["new_criteria"] = set()
            if not rows:
                continue
        elif locked_by:
            plan.locked.append((entry["label"], locked_by))
            ops["journal"][existing[0]] = {
                "learner_id": existing[4], "title": existing[5], "eval_date": entry["day"], "context": existing[1],
                "complexity": existing[2], "new_complexity": None if complexity == COMPANY_CODE else complexity,
                "modified_at": existing[3], "criteria": sorted(c for e, c in linked if e == existing[0]),
                "results": [(w[1], w[2], old, w[3]) for _, _, _, w, _, old in rows if w]}
        for _, _, change, write, link, _ in rows:
            result_changes.append(change)
            if write:
                ops["results"].append(write)
            if link:
                ops["links"].append((key, link))
        parts = []
        criteria_added, results_written = len(entry["new_criteria"]), sum(1 for r in rows if r[3])
        if criteria_added:
            plural = "s" if criteria_added > 1 else ""
            parts.append(f"{criteria_added} critère{plural} ajouté{plural}")
        if results_written:
            plural = "s" if results_written > 1 else ""
            parts.append(f"{results_written} résultat{plural} à écrire")
        if existing is None:
            ops["evaluations"][key] = (None, complexity)
            evaluation_changes.append(Change(entry["line"], "evaluation", ADDED, entry["label"],
                                             " ; ".join([f"complexité {complexity}"] + parts)))
            continue
        old_complexity = existing[2] or COMPANY_CODE
        if old_complexity != complexity:
            parts.insert(0, f"complexité : {old_complexity} → {complexity}")
            ops["complexity"].append((existing[0], complexity))
        if parts:
            if locked_by:
                parts.append(f"déjà prise en compte dans un bilan validé le {date_text(locked_by)} : chaque "
                             "modification est journalisée")
            ops["evaluations"][key] = (existing[0], complexity)
            evaluation_changes.append(Change(entry["line"], "evaluation", UPDATED, entry["label"], " ; ".join(parts)))
        else:
            evaluation_changes.append(Change(entry["line"], "evaluation", UNCHANGED, entry["label"]))
    result_changes.sort(key=lambda change: change.line)
    plan.changes[:0] = evaluation_changes + result_changes
    plan.rejected.sort(key=lambda rejection: rejection.line)
    return plan


def _write_results(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    ops, now, author = plan.ops, _now(), _author_id(db, user)
    ids = {}
    for key, (eid, complexity) in ops["evaluations"].items():
        class_id, title, day, learner_id = key
        if eid is None:
            company = complexity == COMPANY_CODE
            cur = db.execute(
                "INSERT INTO evaluations(class_id, learner_id, title, eval_date, context, complexity, created_at, "
                "modified_at, author_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [class_id, learner_id or None, title, day, "company" if company else "school",
                 None if company else complexity, now, now, author])
            eid = cur.lastrowid
        ids[key] = eid
    for eid, complexity in ops["complexity"]:
        db.execute("UPDATE evaluations SET complexity = ? WHERE id = ?", [complexity, eid])
    db.conn.executemany("INSERT OR IGNORE INTO evaluation_criteria(evaluation_id, criterion_id) VALUES (?, ?)",
                        [(ids[key], crit) for key, crit in ops["links"]])
    db.conn.executemany(
        "INSERT INTO results(evaluation_id, learner_id, criterion_id, code) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(evaluation_id, learner_id, criterion_id) DO UPDATE SET code = excluded.code",
        [(ids[key], learner_id, crit, code) for key, learner_id, crit, code in ops["results"]])
    # Importing into an evaluation is editing it: its date for ordering is its last modification.
    touched = [(now, eid) for key, eid in ids.items() if ops["evaluations"][key][0] is not None]
    db.conn.executemany("UPDATE evaluations SET modified_at = ? WHERE id = ?", touched)
    new_links = {}
    for key, crit in ops["links"]:
        new_links.setdefault(ids[key], []).append(crit)
    for eid, old in ops["journal"].items():
        _journal_locked(db, user, eid, old, new_links.get(eid, []), now)


def _journal_locked(db: sqlite_utils.Database, user: User, eid: int, old: dict, added: list[int], now: str) -> None:
    """Journal a change to an evaluation a validated bilan counted, in the lines Saisie writes for the same
    change (so they show in its « Journal des modifications »): the header and criteria, then each result."""
    evaluation = {"id": eid, "learner_id": old["learner_id"], "title": old["title"], "eval_date": old["eval_date"],
                  "context": old["context"], "complexity": old["complexity"], "modified_at": old["modified_at"]}
    results = old["results"]
    # Saisie's own helpers, so that the journal reads the same whichever page or file made the change.
    labels = evaluations._criterion_labels(db, set(old["criteria"]) | set(added) | {crit for _, crit, _, _ in results})
    if added or old["new_complexity"] != old["complexity"]:
        before = evaluations._header({**evaluation, "criterion_ids": old["criteria"]}, labels)
        after = evaluations._header({**evaluation, "complexity": old["new_complexity"], "modified_at": now,
                                      "criterion_ids": old["criteria"] + added}, labels)
        after["dropped_results"] = 0
        audit.write(db, user, "evaluation.update", evaluations.AUDIT_ENTITY, eid, old["learner_id"], before, after)
    if results:
        cells = sorted(results)
        audit.write(db, user, "evaluation.results", evaluations.AUDIT_ENTITY, eid, old["learner_id"],
                    {"modified_at": old["modified_at"],
                     "results": [{"learner_id": lid, "criterion": labels[crit], "code": code}
                                 for lid, crit, code, _ in cells]},
                    {"modified_at": now,
                     "results": [{"learner_id": lid, "criterion": labels[crit], "code": new}
                                 for lid, crit, _, new in cells]})


def preview_results(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                    allow_locked: bool = False) -> ImportPlan:
    """What importing these results (one line per learner, evaluation and criterion) would do."""
    require(user, "import_results")
    return _result_plan(db, read_table(data, file_name, RESULT_COLUMNS), allow_locked)


def import_results(db: sqlite_utils.Database, user: User | None, data: bytes, file_name: str,
                   partial: bool = False, allow_locked: bool = False) -> ImportPlan:
    """Import evaluation results in one transaction; refuses on any rejected line unless partial. A line
    changing an evaluation already counted in a validated bilan is rejected unless allow_locked, and then
    every such change is journalled as Saisie journals it."""
    user = require(user, "import_results")
    table = read_table(data, file_name, RESULT_COLUMNS)
    return _prepared(db, user, lambda: _result_plan(db, table, allow_locked), partial, _write_results)


# ---------------------------------------------------------------- référentiel


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
            raise _reject_file(name, f"les fichiers dépassent ensemble la limite de {MAX_FILE_LABEL}")
        if data.startswith(b"PK\x03\x04"):
            try:
                archive = zipfile.ZipFile(io.BytesIO(data))
            except (zipfile.BadZipFile, zipfile.LargeZipFile):
                raise _reject_file(name, "archive ZIP endommagée ou illisible") from None
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


_REFERENTIEL_PARTS = (
    ("unit", "units", "units", ("code",), ("epreuve", "title", "coefficient")),
    ("domain", "domains", "domains", ("code",), ("title", "radar_order")),
)


def _referentiel_plan(db: sqlite_utils.Database, ref: referentiel.Referentiel, name: str,
                      notes: list[str]) -> ImportPlan:
    plan = ImportPlan("referentiel", name, notes=notes)
    plan.ops["referentiel"] = ref
    code = ref.diploma["code"]
    row = db.execute("SELECT title, version FROM diplomas WHERE code = ?", [code]).fetchone()
    label = f"{code} — {ref.diploma['title']}"
    if row is None:
        plan.changes.append(Change(2, "diploma", ADDED, label))
    elif (row[0], row[1]) != (ref.diploma["title"], ref.diploma["version"]):
        plan.changes.append(Change(2, "diploma", UPDATED, label, f"version {row[1] or '—'} → "
                                                                 f"{ref.diploma['version'] or '—'}"))
    else:
        plan.changes.append(Change(2, "diploma", UNCHANGED, label))

    def compare(entity, items, existing, key_of, fields, label_of):
        for line, item in enumerate(items, start=2):  # the file's line when it has no blank line
            old = existing.get(key_of(item))
            if old is None:
                plan.changes.append(Change(line, entity, ADDED, label_of(item)))
                continue
            changed = [f for f in fields if old[f] != item[f]]
            plan.changes.append(Change(line, entity, UPDATED if changed else UNCHANGED, label_of(item),
                                       ", ".join(changed)))

    units = {r["code"]: r for r in db.query("SELECT code, epreuve, title, coefficient FROM units WHERE diploma = ?",
                                            [code])}
    compare("unit", ref.units, units, lambda u: u["code"], ("epreuve", "title", "coefficient"),
            lambda u: f"{u['code']} — {u['title']}")
    domains = {r["code"]: r for r in db.query("SELECT code, title, radar_order FROM domains WHERE diploma = ?", [code])}
    compare("domain", ref.domains, domains, lambda d: d["code"], ("title", "radar_order"),
            lambda d: f"{d['code']} — {d['title']}")
    competencies = {r["code"]: r for r in db.query(
        "SELECT c.code, c.title, u.code AS unit, d.code AS domain, c.position, c.activities FROM competencies c "
        "JOIN units u ON u.id = c.unit_id JOIN domains d ON d.id = c.domain_id WHERE c.diploma = ?", [code])}
    compare("competency", ref.competencies, competencies, lambda c: c["code"],
            ("title", "unit", "domain", "position", "activities"), lambda c: f"{c['code']} — {c['title']}")
    criteria = {(r["competency"], r["position"]): r for r in db.query(
        "SELECT c.code AS competency, cr.position, cr.text FROM criteria cr JOIN competencies c "
        "ON c.id = cr.competency_id WHERE c.diploma = ?", [code])}
    compare("criterion", ref.criteria, criteria, lambda c: (c["competency"], c["position"]), ("text",),
            lambda c: f"{c['competency']}-{c['position']} — {c['text']}")
    return plan


def _parse_referentiel_uploads(uploads: Sequence[tuple[str, bytes]]) -> tuple[referentiel.Referentiel, list[str], str]:
    files, notes = referentiel_files(uploads)
    name = uploads[0][0] if len(uploads) == 1 else "référentiel"
    return referentiel.parse_referentiel(files), notes, name


def preview_referentiel(db: sqlite_utils.Database, user: User | None,
                        uploads: Sequence[tuple[str, bytes]]) -> ImportPlan:
    """What importing this référentiel (five CSV files, or a ZIP of them) would do. A référentiel
    with any problem is refused as a whole: half a référentiel would be meaningless."""
    require(user, "import_referentiel")
    if not uploads:
        raise ValidationError("Choisissez les cinq fichiers du référentiel, ou une archive ZIP qui les contient.")
    ref, notes, name = _parse_referentiel_uploads(uploads)
    return _referentiel_plan(db, ref, name, notes)


def _write_referentiel(db: sqlite_utils.Database, user: User, plan: ImportPlan) -> None:
    referentiel.write_referentiel(db, plan.ops["referentiel"])


def import_referentiel(db: sqlite_utils.Database, user: User | None,
                       uploads: Sequence[tuple[str, bytes]]) -> ImportPlan:
    """Insert or update a diploma's référentiel in one transaction (never deletes anything)."""
    user = require(user, "import_referentiel")
    if not uploads:
        raise ValidationError("Choisissez les cinq fichiers du référentiel, ou une archive ZIP qui les contient.")
    ref, notes, name = _parse_referentiel_uploads(uploads)
    return _prepared(db, user, lambda: _referentiel_plan(db, ref, name, notes), False, _write_referentiel)
