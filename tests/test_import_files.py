"""Files that must be refused early, with a French message, memory bounded and nothing written: ZIP and XLSX
bombs (built here in a temporary folder, never committed), too many rows, mixed encodings, an open quote; and
names written as school software writes them, within the accounts' length rule."""

import io
import struct
import tracemalloc
import zipfile

import openpyxl
import pytest

from livret import accounts, imports
from livret.errors import FileRejected

from .test_importers import OPERATOR, cap_uploads, learners_of, messages, snapshot

MB = 1024 * 1024
MEMORY_CEILING = 64 * MB  # what reading a refused bomb may allocate, far below what it expands to


def peak_memory(call) -> tuple[object, int]:
    """What call() raised (or returned), and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        try:
            outcome = call()
        except FileRejected as refused:
            outcome = refused
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Nom", "Prénom", "Classe"])
    workbook.active.append(["DUPONT", "Jean", "2MEL1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rebuilt_workbook(replace: dict, level: int = 6) -> bytes:
    """A real workbook whose members named in replace are written by replace[name](stream), chunk by chunk."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
        for member in source.infolist():
            if member.filename not in replace:
                target.writestr(member, source.read(member))
        for name, write in replace.items():
            with target.open(name, "w") as stream:
                write(stream)
    return buffer.getvalue()


def lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """The archive with `member`'s uncompressed size rewritten to `declared` in both of its headers."""
    data = bytearray(data)
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        length = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30: local + 30 + length] == name:
            struct.pack_into("<I", data, local + 22, declared)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46: central + 46 + length] == name:
            struct.pack_into("<I", data, central + 24, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


@pytest.fixture(scope="module")
def shared_strings_bomb() -> bytes:
    """820 KB uploaded, 800 MB of shared strings once inflated (what openpyxl would hold in memory)."""
    def huge(stream):
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>')
        chunk = b"a" * MB
        for _ in range(800):
            stream.write(chunk)
        stream.write(b"</t></si></sst>")

    data = rebuilt_workbook({"xl/sharedStrings.xml": huge})
    assert len(data) < MB
    return data


def sheet_writer(rows):
    def write(stream):
        stream.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                     b'spreadsheetml/2006/main"><sheetData>'
                     b'<row r="1"><c r="A1" t="inlineStr"><is><t>Nom</t></is></c><c r="B1" t="inlineStr"><is><t>'
                     b'Pr\xc3\xa9nom</t></is></c><c r="C1" t="inlineStr"><is><t>Classe</t></is></c></row>')
        for chunk in rows():
            stream.write(chunk)
        stream.write(b"</sheetData></worksheet>")
    return write


def test_an_xlsx_whose_shared_strings_expand_to_800_mb_is_refused_early(empty_db, shared_strings_bomb):
    outcome, peak = peak_memory(lambda: imports.preview_learners(empty_db, OPERATOR, shared_strings_bomb,
                                                                   "bombe.xlsx"))
    assert isinstance(outcome, FileRejected)
    assert messages(outcome.problems) == [
        "bombe.xlsx : « xl/sharedStrings.xml » dépasse 32 Mo une fois décompressé : fichier refusé (archive piégée "
        "ou trop volumineuse)"]
    assert peak < MEMORY_CEILING


def test_the_same_bomb_lying_about_its_size_is_caught_while_reading(empty_db, shared_strings_bomb):
    lying = lie_about_size(shared_strings_bomb, "xl/sharedStrings.xml", 4096)
    assert zipfile.ZipFile(io.BytesIO(lying)).getinfo("xl/sharedStrings.xml").file_size == 4096
    outcome, peak = peak_memory(lambda: imports.preview_learners(empty_db, OPERATOR, lying, "bombe.xlsx"))
    assert isinstance(outcome, FileRejected)
    assert messages(outcome.problems) == [
        "bombe.xlsx : « xl/sharedStrings.xml » est endommagé dans l'archive (son contenu ne correspond pas à la "
        "taille ou à la somme de contrôle annoncées)"]
    assert peak < MEMORY_CEILING


def test_an_xlsx_declaring_its_one_row_as_the_50_millionth_is_refused(empty_db):
    def rows():
        yield (b'<row r="50000000"><c r="A50000000" t="inlineStr"><is><t>DUPONT</t></is></c>'
               b'<c r="B50000000" t="inlineStr"><is><t>Jean</t></is></c>'
               b'<c r="C50000000" t="inlineStr"><is><t>2MEL1</t></is></c></row>')

    data = rebuilt_workbook({"xl/worksheets/sheet1.xml": sheet_writer(rows)})
    outcome, peak = peak_memory(lambda: imports.preview_learners(empty_db, OPERATOR, data, "vide.xlsx"))
    assert messages(outcome.problems) == [
        "vide.xlsx, ligne 250001 : le classeur compte plus de 250\u202f000 lignes, lignes vides comprises ; "
        "découpez-le en plusieurs fichiers"]
    assert peak < MEMORY_CEILING


def test_an_xlsx_of_millions_of_empty_rows_is_refused_while_reading(empty_db):
    def rows():
        # 50 million empty rows would be a gigabyte of XML: the budget refuses it unread, so write 3 million.
        for start in range(2, 3_000_000, 100_000):
            yield b"".join(b'<row r="%d"/>' % n for n in range(start, start + 100_000))

    data = rebuilt_workbook({"xl/worksheets/sheet1.xml": sheet_writer(rows)}, level=9)
    assert len(data) < 10 * MB
    outcome, peak = peak_memory(lambda: imports.preview_learners(empty_db, OPERATOR, data, "vide.xlsx"))
    assert messages(outcome.problems) == [
        "vide.xlsx : le classeur compte plus de 250\u202f000 lignes, lignes vides comprises ; découpez-le en "
        "plusieurs fichiers"]
    assert peak < MEMORY_CEILING


def test_a_referentiel_zip_whose_member_lies_about_its_size(empty_db):
    files = dict(cap_uploads())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in files.items():
            if name != "criteria.csv":
                archive.writestr(name, data)
        with archive.open("criteria.csv", "w") as stream:
            stream.write(files["criteria.csv"])
            chunk = b"\n" * MB
            for _ in range(300):
                stream.write(chunk)
    lying = lie_about_size(buffer.getvalue(), "criteria.csv", len(files["criteria.csv"]))
    before = snapshot(empty_db)
    outcome, peak = peak_memory(lambda: imports.import_referentiel(empty_db, OPERATOR, [("ref.zip", lying)]))
    assert messages(outcome.problems) == [
        "ref.zip : « criteria.csv » est endommagé dans l'archive (son contenu ne correspond pas à la taille ou à la "
        "somme de contrôle annoncées)"]
    assert peak < MEMORY_CEILING
    assert snapshot(empty_db) == before


def test_a_referentiel_zip_expanding_beyond_the_limit_is_refused_unread(empty_db):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("criteria.csv", "w") as stream:
            for _ in range(20):
                stream.write(b" " * MB)
    outcome, peak = peak_memory(lambda: imports.preview_referentiel(empty_db, OPERATOR,
                                                                      [("ref.zip", buffer.getvalue())]))
    assert messages(outcome.problems) == [
        "ref.zip : « criteria.csv » dépasse 10 Mo une fois décompressé : fichier refusé (archive piégée ou "
        "trop volumineuse)"]
    assert peak < MEMORY_CEILING


# ---------------------------------------------------------------- how many rows


def learner_lines(n: int) -> bytes:
    return b"Nom;Prenom;Classe\n" + b"A;B;C\n" * n


def test_exactly_200_000_data_rows_are_read_one_more_is_refused(empty_db):
    table = imports.read_table(learner_lines(200_000), "max.csv", imports.LEARNER_COLUMNS)
    assert len(table.rows) == imports.MAX_DATA_ROWS == 200_000
    for blank_lines_above in (0, 3):
        data = b"\n" * blank_lines_above + learner_lines(200_001)
        with pytest.raises(FileRejected) as refused:
            imports.preview_learners(empty_db, OPERATOR, data, "trop.csv")
        assert messages(refused.value.problems) == [
            "trop.csv : le fichier compte plus de 200\u202f000 lignes de données, au-delà de la limite ; découpez-le "
            "en plusieurs fichiers"]


def test_a_title_line_above_the_header_does_not_count(empty_db):
    data = b"Liste des eleves\n" + learner_lines(200_000)
    table = imports.read_table(data, "max.csv", imports.LEARNER_COLUMNS)
    assert len(table.rows) == 200_000 and table.rows[0][0] == 3


# ---------------------------------------------------------------- encodings and quotes


def test_a_file_mixing_utf8_and_windows_1252_says_so(empty_db):
    data = "Nom;Prénom;Classe\r\nMARTIN;Lucas;2MEL1\r\n".encode() + "LEFÈVRE;Léa;2MEL1\r\n".encode("cp1252")
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(empty_db, OPERATOR, data, "colle.csv")
    assert messages(refused.value.problems) == [
        "colle.csv, ligne 1 : encodage mélangé : la ligne 1 est en UTF-8 et la ligne 3 en Windows-1252 (fichiers "
        "collés l'un à la suite de l'autre ?) ; enregistrez tout le fichier dans un seul encodage, de préférence en "
        "CSV UTF-8"]
    assert "PrÃ©nom" not in str(refused.value)
    assert empty_db.execute("SELECT count(*) FROM learners").fetchone() == (0,)


def test_a_windows_1252_file_alone_is_still_read(empty_db):
    data = "Nom;Prénom;Classe\r\nLEFÈVRE;Léa;2MEL1\r\n".encode("cp1252")
    imports.import_learners(empty_db, OPERATOR, data, "siecle.csv")
    assert learners_of(empty_db, "2MEL1") == [("LEFÈVRE", "Léa", None, None)]


@pytest.mark.parametrize("text, lines", [
    ('Nom;Prénom;Classe\nDUPONT;"Jean;2MEL1\nMARTIN;Lucas;2MEL1\nBERNARD;Emma;2MEL1\n', "2 à 4"),
    ('Nom;Prénom;Classe\nDUPONT;"Jean;2MEL1\nMARTIN;Lucas;2MEL1\nBERNARD;"Emma;2MEL1\n', "2 à 4"),
])
def test_an_open_quote_is_reported_at_its_line_not_as_missing_values(empty_db, text, lines):
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(empty_db, OPERATOR, text.encode(), "guillemet.csv", partial=True)
    assert messages(refused.value.problems) == [
        f"guillemet.csv, ligne 2 : guillemet (\") ouvert ligne 2 sans être refermé sur cette ligne : les lignes "
        f"{lines} ont été lues comme une seule valeur ; retirez ce guillemet ou refermez-le"]
    assert empty_db.execute("SELECT count(*) FROM learners").fetchone() == (0,)


def test_a_quoted_value_with_a_line_break_is_still_a_value(empty_db):
    text = 'Nom;Prénom;Classe;Adresse\nDUPONT;Jean;2MEL1;"1 rue de la Gare\n75000 Paris"\n'
    imports.import_learners(empty_db, OPERATOR, text.encode(), "adresse.csv")
    assert learners_of(empty_db, "2MEL1") == [("DUPONT", "Jean", None, None)]


# ---------------------------------------------------------------- names


def test_names_are_written_as_school_software_writes_them(empty_db):
    text = ("Nom;Prénom;Classe;E-mail\r\nlefèvre;françois;2MEL1;francois.lefevre@x.fr\r\n"
            "Da Silva;jean-pierre;2MEL1;\r\nN'diaye;MARIE-ÈVE;2MEL1;\r\n")
    imports.import_learners(empty_db, OPERATOR, text.encode(), "saisie_main.csv")
    assert learners_of(empty_db, "2MEL1") == [
        ("DA SILVA", "Jean-Pierre", None, None), ("LEFÈVRE", "François", "francois.lefevre@x.fr", None),
        ("N'DIAYE", "Marie-Ève", None, None)]
    assert empty_db.execute("SELECT name FROM users").fetchall() == [("LEFÈVRE François",)]
    # The same people typed as the school software writes them, or typed otherwise again: matched, not duplicated.
    before = snapshot(empty_db)
    for again in ("Nom;Prénom;Classe\r\nLEFÈVRE;François;2MEL1\r\nDA SILVA;Jean-Pierre;2MEL1\r\n",
                  "Nom;Prénom;Classe\r\nLEFEVRE;FRANCOIS;2mel1\r\nda silva;jean-pierre;2MEL1\r\n",
                  "Élève;Classe\r\nLEFÈVRE François;2MEL1\r\nDA SILVA Jean-Pierre;2MEL1\r\n"):
        plan = imports.import_learners(empty_db, OPERATOR, again.encode(), "encore.csv")
        assert plan.summary() == "2 apprenants inchangés."
    assert snapshot(empty_db) == before


def test_what_is_not_a_name_is_kept_as_written(empty_db):
    assert imports.normal_first_name('=HYPERLINK("http://x","y")') == '=HYPERLINK("http://x","y")'
    assert imports.normal_last_name("+33") == "+33"
    assert imports.normal_first_name("jean  pierre") == "Jean  Pierre"
    assert imports.normal_first_name("éLODIE") == "Élodie"


def test_a_name_too_long_for_an_account_is_refused_like_the_accounts_page(empty_db):
    last, first = "L" * 100, "P" * 97
    text = f"Nom;Prénom;Classe;E-mail\r\n{last};{first};2MEL1;long@x.fr\r\nDUPONT;Jean;2MEL1;\r\n"
    with pytest.raises(FileRejected) as refused:
        imports.import_learners(empty_db, OPERATOR, text.encode(), "long.csv")
    assert messages(refused.value.problems) == [
        f"long.csv, ligne 2, colonne « Nom » : Le nom complet (nom et prénom) ne peut pas dépasser "
        f"{accounts.NAME_MAX_LENGTH} caractères (il en compte 198)."]
    assert empty_db.execute("SELECT count(*) FROM learners").fetchone() == (0,)
    plan = imports.import_learners(empty_db, OPERATOR, text.encode(), "long.csv", partial=True)
    assert plan.summary() == "1 classe ajoutée, 1 apprenant ajouté ; 1 ligne rejetée."
    assert empty_db.execute("SELECT count(*) FROM users").fetchone() == (0,)
    # Right at the limit is accepted, account included.
    first = "P" * (accounts.NAME_MAX_LENGTH - 101)
    imports.import_learners(empty_db, OPERATOR, f"Nom;Prénom;Classe;E-mail\r\n{last};{first};2MEL1;l@x.fr\r\n"
                              .encode(), "juste.csv")
    assert empty_db.execute("SELECT length(name) FROM users").fetchone() == (accounts.NAME_MAX_LENGTH,)


def test_a_new_class_is_flagged_with_its_school_year(empty_db):
    imports.import_learners(empty_db, OPERATOR, b"Nom;Prenom;Classe\nDUPONT;Jean;2MEL1\n", "a.csv",
                              school_year="2026-2027")
    plan = imports.preview_learners(empty_db, OPERATOR, b"Nom;Prenom;Classe\nMARTIN;Paul;2MEL1\nROUX;Lea;2MEL2\n",
                                      "b.csv", school_year="2026-2027")
    assert [(c.line, c.label, c.detail) for c in plan.new_classes] == [
        (3, "2MEL2", "nouvelle classe, année scolaire 2026-2027, diplôme BACPRO-MELEC")]
