"""Files for spreadsheets in the French convention (`;`, decimal comma, UTF-8 with BOM),
with text cells neutralised so a value such as `=HYPERLINK(...)` is never run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from livret.french import decimal_text

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_text(value: str) -> str:
    """Text that a spreadsheet shows as typed: a leading apostrophe disarms formula characters."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float, Decimal)):
        return decimal_text(value)
    return safe_text(str(value))


def french_csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """CSV bytes LibreOffice and Excel open with accents and numbers right. Numbers must be passed
    as numbers (formatted with a decimal comma), text as str (made formula-safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_text(h) for h in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
