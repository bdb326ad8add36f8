"""Reading an uploaded file into a table of text cells: CSV, XLSX, and the ZIP archives a workbook or a référentiel
comes in, within a byte budget and row limits.

Files come as bytes, as uploaded: CSV (`;`, `,` or tab; UTF-8 with or without BOM, UTF-16 with BOM, else
Windows-1252) or XLSX (first sheet). Cells are stored as the text they hold: a cell such as `=HYPERLINK(...)` is
never evaluated here and is disarmed by livret.render.spreadsheet on export."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from livret.errors import FileProblem, FileRejected
from livret.french import count_text, decimal_text

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


def plain_key(text: str) -> str:
    """Header or name key: no accents, no case, letters and digits only (« Né(e) le » → « neele »)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c)).casefold()


def clean(value: str) -> str:
    return " ".join(value.split())


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


def reject_file(name: str, reason: str, line: int = 0, column: str = "") -> FileRejected:
    return FileRejected([FileProblem(name, line, column, reason)])


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        size = decimal_text(len(data) / 1024 / 1024, 1)
        raise reject_file(name, f"le fichier pèse {size} Mo, au-delà de la limite de {MAX_FILE_LABEL} ; "
                                 "découpez-le en plusieurs fichiers")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise reject_file(name, "le fichier est vide")


def decode_text(data: bytes, name: str) -> str:
    """The text of a CSV file in UTF-8 (BOM or not), UTF-16 with BOM, or Windows-1252."""
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise reject_file(name, f"encodage invalide (octet {error.start + 1} illisible) ; "
                                 "enregistrez le fichier en CSV UTF-8") from None
    if b"\x00" in data:
        raise reject_file(name, "encodage non reconnu (octets nuls : UTF-16 sans marque ou fichier binaire) ; "
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
        raise reject_file(name, "encodage non reconnu (ni UTF-8 ni Windows-1252) ; "
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
            raise reject_file(name, f"encodage mélangé : la ligne {utf8_line} est en UTF-8 et la ligne {cp1252_line} "
                                     "en Windows-1252 (fichiers collés l'un à la suite de l'autre ?) ; enregistrez "
                                     "tout le fichier dans un seul encodage, de préférence en CSV UTF-8",
                               min(utf8_line, cp1252_line))


def _too_many_rows(name: str) -> FileRejected:
    return reject_file(name, f"le fichier compte plus de {count_text(MAX_DATA_ROWS)} lignes de données, au-delà de la "
                              "limite ; découpez-le en plusieurs fichiers")


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
        raise reject_file(name, "ligne illisible : un guillemet ouvrant n'est pas refermé", start) from None
    return rows


def _refuse_unclosed_quote(cells: list[str], delimiter: str, name: str, start: int, end: int) -> None:
    """A quoted value may hold line breaks, but one that holds whole lines (separators and all) is a quote left
    open: without this, those lines are read as one value and reported as lines missing their other columns."""
    for cell in cells:
        if "\n" in cell and delimiter in cell.split("\n", 1)[1]:
            raise reject_file(name, f"guillemet (\") ouvert ligne {start} sans être refermé sur cette ligne : "
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
        raise reject_file(name, "classeur XLSX illisible ou endommagé") from None
    try:
        sheet = workbook.worksheets[0]
        # The dimension the sheet declares is not trusted: openpyxl would pad every row up to its last column.
        sheet.reset_dimensions()
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_SHEET_ROWS:
                raise reject_file(name, f"le classeur compte plus de {count_text(MAX_SHEET_ROWS)} lignes, lignes vides "
                                         "comprises ; découpez-le en plusieurs fichiers", number)
            if not values:
                continue
            last = len(values)
            while last and values[last - 1] in (None, ""):
                last -= 1
            if last > MAX_COLUMNS:
                raise reject_file(name, f"la ligne {number} a plus de {MAX_COLUMNS} colonnes remplies ; gardez "
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
        raise reject_file(name, "ancien format Excel (.xls) : enregistrez le fichier au format XLSX ou CSV")
    if data.startswith(b"%PDF"):
        raise reject_file(name, "c'est un fichier PDF : exportez la liste au format CSV ou XLSX")
    if data.startswith(b"PK\x03\x04"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            raise reject_file(name, "archive endommagée : ni CSV ni XLSX lisible") from None
        members = set(archive.namelist())
        if "content.xml" in members:
            raise reject_file(name, "format OpenDocument (.ods) : enregistrez le fichier au format XLSX ou CSV")
        if "xl/workbook.xml" not in members:
            raise reject_file(name, "archive ZIP qui n'est pas un classeur XLSX")
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


def read_members(archive: zipfile.ZipFile, name: str, keep: Callable[[zipfile.ZipInfo], bool],
                 member_limits: dict[str, tuple[int, str]] | None = None, limit: int = MAX_UNCOMPRESSED_BYTES,
                 limit_label: str = MAX_UNCOMPRESSED_LABEL, sheet_rows: int | None = None) -> dict[str, bytes]:
    """The members of an archive that keep(member) accepts, every member read chunk by chunk within a byte budget.

    The sizes a ZIP declares are checked first (a cheap early refusal), but not trusted: zipfile inflates a
    whole member at once in read(), so a member lying about its size would expand in memory before any check.
    With sheet_rows, the rows of each worksheet are counted on the way: openpyxl scans a whole sheet for its
    dimension before yielding its first row, so millions of empty rows must be refused before it opens them."""
    budget = _Budget(name, limit, limit_label, member_limits or {}, sheet_rows)
    members = [m for m in archive.infolist() if not m.is_dir()]
    for member in members:
        member_limit, member_label = budget.of(member)
        if member.file_size > member_limit:
            raise budget.too_big(f"« {member.filename} »", member_label)
    if sum(m.file_size for m in members) > limit:
        raise budget.too_big("le contenu de l'archive", limit_label)
    kept: dict[str, bytes] = {}
    for member in members:
        wanted = keep(member)
        try:
            data = _read_member(archive, member, budget, wanted)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
            raise reject_file(name, f"« {member.filename} » est endommagé dans l'archive (son contenu ne correspond "
                                    "pas à la taille ou à la somme de contrôle annoncées)") from None
        if wanted:
            kept[member.filename] = data
    return kept


@dataclass
class _Budget:
    """What an archive may expand to, in all and member by member, and what it has expanded to so far."""

    name: str  # the archive's, for messages
    limit: int
    label: str
    member_limits: dict[str, tuple[int, str]]  # member name → (limit, label), for the members with their own
    sheet_rows: int | None  # how many rows a worksheet may hold, when they are counted
    total: int = 0

    def of(self, member: zipfile.ZipInfo) -> tuple[int, str]:
        return self.member_limits.get(member.filename, (self.limit, self.label))

    def too_big(self, what: str, label: str) -> FileRejected:
        return reject_file(self.name, f"{what} dépasse {label} une fois décompressé : fichier refusé (archive "
                                      "piégée ou trop volumineuse)")


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: _Budget, wanted: bool) -> bytes:
    """The member's bytes (empty when not wanted: then only measured), read chunk by chunk within the budget."""
    member_limit, member_label = budget.of(member)
    chunks: list[bytes] = []
    size = rows = 0
    count_rows = budget.sheet_rows is not None and _SHEET_MEMBER.match(member.filename)
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(READ_CHUNK):
            if count_rows:
                rows += len(_SHEET_ROW.findall(tail + chunk))
                tail = chunk[-32:]
                rows -= len(_SHEET_ROW.findall(tail))  # counted again with the next chunk
                if rows > budget.sheet_rows:
                    raise reject_file(budget.name, f"le classeur compte plus de {count_text(budget.sheet_rows)} "
                                                   "lignes, lignes vides comprises ; découpez-le en plusieurs fichiers")
            size += len(chunk)
            budget.total += len(chunk)
            if size > member_limit:
                raise budget.too_big(f"« {member.filename} »", member_label)
            if budget.total > budget.limit:
                raise budget.too_big("le contenu de l'archive", budget.label)
            if wanted:
                chunks.append(chunk)
    return b"".join(chunks)


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
        raise reject_file(name, "le fichier est vide")
    by_key = {alias: fname for fname, column in spec.items() for alias in column.aliases}
    header_index = _header_index(rows, name, spec, by_key)
    header_line, header = rows[header_index]
    columns, ignored = _header_columns(header, header_line, name, spec, by_key)
    data_rows = rows[header_index + 1:]
    if not data_rows:
        raise reject_file(name, "le fichier ne contient que la ligne d'en-tête, aucune donnée", header_line)
    if len(data_rows) > MAX_DATA_ROWS:
        raise _too_many_rows(name)
    if ignored:
        notes.append("Colonnes ignorées : " + ", ".join(f"« {header[i].strip()} »" for i in sorted(ignored)) + ".")
    return Table(name, header, columns, data_rows, notes)


def _header_index(rows: list[tuple[int, list[str]]], name: str, spec: dict[str, Column],
                  by_key: dict[str, str]) -> int:
    """The index of the first row naming every required field; refuses the file, with what is missing from its
    first row, when none does."""
    required = {f for f, c in spec.items() if c.required}

    def covered(cells: list[str]) -> set[str]:
        mapped = {by_key.get(plain_key(c)) for c in cells} - {None}
        return mapped | {f for stand_in in mapped for f in spec[stand_in].stands_for}

    for index, (_line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if required <= covered(cells):
            return index
    line, cells = rows[0]
    found = ", ".join(f"« {c.strip()} »" for c in cells if c.strip())
    problems = []
    for fname in [f for f in spec if f in required and f not in covered(cells)]:
        reason = f"colonne obligatoire absente (colonnes trouvées : {found})"
        stand_in = next((c for c in spec.values() if fname in c.stands_for), None)
        if stand_in:
            replaced = " et ".join(f"« {spec[f].label} »" for f in stand_in.stands_for)
            reason += f" ; une colonne « {stand_in.label} » peut remplacer {replaced}"
        problems.append(FileProblem(name, line, spec[fname].label, reason))
    raise FileRejected(problems)


def _header_columns(header: list[str], header_line: int, name: str, spec: dict[str, Column],
                    by_key: dict[str, str]) -> tuple[dict[str, int], list[int]]:
    """The index of each field's column, and the indexes of the columns ignored; refuses two columns for one
    field."""
    columns: dict[str, int] = {}
    problems, ignored = [], []
    for index, title in enumerate(header):
        fname = by_key.get(plain_key(title))
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
    return columns, ignored
