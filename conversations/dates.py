"""Due dates in natural language: "end of March", "2027-03-31", "Q2", "fin de junio"."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

MONTHS = {
    **{m.lower(): i for i, m in enumerate(calendar.month_name) if m},
    **{m.lower(): i for i, m in enumerate(calendar.month_abbr) if m},
    "sept": 9,
    # Spanish, French, German, Portuguese: what "end of <month>" most often arrives as.
    "enero": 1,
    "febrero": 2,
    "marzo": 3,
    "abril": 4,
    "mayo": 5,
    "junio": 6,
    "julio": 7,
    "agosto": 8,
    "septiembre": 9,
    "octubre": 10,
    "noviembre": 11,
    "diciembre": 12,
    "janvier": 1,
    "février": 2,
    "fevrier": 2,
    "mars": 3,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "août": 8,
    "aout": 8,
    "septembre": 9,
    "octobre": 10,
    "novembre": 11,
    "décembre": 12,
    "decembre": 12,
    "januar": 1,
    "februar": 2,
    "märz": 3,
    "maerz": 3,
    "juni": 6,
    "juli": 7,
    "oktober": 10,
    "dezember": 12,
    "janeiro": 1,
    "fevereiro": 2,
    "março": 3,
    "maio": 5,
    "junho": 6,
    "julho": 7,
    "setembro": 9,
    "outubro": 10,
    "novembro": 11,
    "dezembro": 12,
}
END_OF = (
    r"(?:(?:by|before|until)\s+)?(?:the\s+)?"
    r"(?:end\s+of|fin\s+de|fin|finales\s+de|ende|ende\s+des|ende\s+der|fim\s+de)?\s*"
)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _next_month_end(month: int, today: date, year: int | None) -> date:
    if year is not None:
        return _month_end(year, month)
    candidate = _month_end(today.year, month)
    return candidate if candidate >= today else _month_end(today.year + 1, month)


def _period_end(last_month: int, today: date, year: int | None) -> date:
    return _next_month_end(last_month, today, year)


def _year(text: str) -> int | None:
    match = re.search(r"\b(20\d\d)\b", text)
    if match:
        return int(match.group(1))
    match = re.search(r"\bfy\s?(\d\d)\b", text)
    return 2000 + int(match.group(1)) if match else None


# No due date takes more words than this; a longer answer is not one, and dateparser's cost grows
# with the text (3,000 characters took 3 s of a turn, holding the database's write lock).
DUE_TEXT_LIMIT = 100
LANGUAGES = ["en", "es", "fr", "de", "pt"]


def _words_only(text: str) -> str:
    """`text` without emoji and other pictographs (a smiley after "end of March", Slack's
    `:tada:` shortcodes), which say nothing of a date."""
    text = re.sub(r":[a-z0-9_+-]+:", " ", text)
    return "".join(
        " " if unicodedata.category(c) in ("So", "Sk", "Cs") or c == "\ufe0f" else c for c in text
    )


def parse_due(text: str, today: date) -> date | None:
    """The date meant by `text`, reading ambiguous dates as the next one after `today`."""
    raw = " ".join(_words_only(text).lower().split()).strip(" .!")
    if not raw or len(raw) > DUE_TEXT_LIMIT:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    year = _year(raw)
    quarter = re.search(r"\bq([1-4])\b", raw)
    if quarter:
        return _period_end(int(quarter.group(1)) * 3, today, year)
    half = re.search(r"\bh([12])\b", raw)
    if half:
        return _period_end(int(half.group(1)) * 6, today, year)
    if re.fullmatch(END_OF + r"(?:the\s+)?(?:this\s+)?year", raw) or raw in ("eoy", "year end"):
        return date(year or today.year, 12, 31)
    if re.fullmatch(END_OF + r"(?:the\s+)?(?:this\s+)?month", raw) or raw == "eom":
        return _month_end(today.year, today.month)
    if re.fullmatch(END_OF + r"(?:the\s+)?(?:this\s+)?quarter", raw) or raw == "eoq":
        return _period_end(((today.month - 1) // 3 + 1) * 3, today, None)
    month_only = re.fullmatch(
        END_OF + r"(?:de\s+)?([a-zäéèûçô]+)\.?(?:\s+(?:de\s+)?(20\d\d))?", raw
    )
    if month_only and month_only.group(1) in MONTHS:
        return _next_month_end(MONTHS[month_only.group(1)], today, year)
    relative = re.fullmatch(r"in\s+(\d{1,3})\s+(day|week|month)s?", raw)
    if relative:
        count, unit = int(relative.group(1)), relative.group(2)
        if unit == "day":
            return today + timedelta(days=count)
        if unit == "week":
            return today + timedelta(weeks=count)
        month_index = today.month - 1 + count
        target_year, target_month = today.year + month_index // 12, month_index % 12 + 1
        return min(
            today.replace(year=target_year, month=target_month, day=1)
            + timedelta(days=today.day - 1),
            _month_end(target_year, target_month),
        )
    return _dateparser(raw, today)


def _dateparser(raw: str, today: date) -> date | None:
    import dateparser  # loading its languages takes a second: only when the forms above miss

    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "DATE_ORDER": "DMY",
        "PREFER_DAY_OF_MONTH": "last",
        "REQUIRE_PARTS": ["day"] if re.search(r"\d", raw) else [],
    }
    try:
        # The languages Cascade speaks (the coach's): detecting one among dateparser's 200 on
        # text in an unexpected script took up to a second of a turn.
        parsed = dateparser.parse(raw, languages=LANGUAGES, settings=settings)
    except (ValueError, OverflowError):
        return None
    return None if parsed is None else parsed.date()
