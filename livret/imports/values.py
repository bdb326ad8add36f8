"""What the cells of an import hold: dates, e-mail addresses, learners' names and the keys names are matched on."""

from __future__ import annotations

import re
from datetime import date

from livret import clock
from livret.imports.reading import clean, plain_key

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
EMAIL = re.compile(r"^[^@\s;,<>\"']+@[^@\s;,<>\"']+\.[^@\s;,<>\"'.]+$")


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


def name_key(value: str) -> str:
    return clean(value).casefold()


def loose_key(value: str) -> str:
    """Accent- and punctuation-insensitive name key: SIECLE exports « LEFEVRE » for « Lefèvre »."""
    return plain_key(value)


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

