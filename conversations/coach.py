"""The coach: a deterministic review of a goal statement, with friendly follow-up questions.

It never rejects: each finding becomes a question the person may answer or wave away.
The checks understand English best and the commonest words of Spanish, French, German and
Portuguese; digits of any script count as numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from prompts import render_plain

FOCUS_LIMIT = 6  # this many active goals or more suggests focusing
SAME_TEXT_RATIO = 0.9  # character similarity that means "the same goal"
SAME_WORDS_RATIO = 0.75  # or this share of the content words in common
STOPWORDS = frozenset(
    "a an the by of to in on for and with at from end our my we i will be this that".split()  # noqa: SIM905
)

VAGUE_VERBS = (
    "improve",
    "help",
    "support",
    "work on",
    "enhance",
    "better",
    "try to",
    "look into",
    "focus on",
    "be more",
    "be better",
    "do more",
    "do better",
    "contribute to",
    "assist",
    "mejorar",
    "ayudar",
    "apoyar",
    "trabajar en",
    "améliorer",
    "aider",
    "soutenir",
    "travailler sur",
    "verbessern",
    "helfen",
    "unterstützen",
    "arbeiten an",
    "melhorar",
    "ajudar",
)
VAGUE_OBJECTS = ("things", "stuff", "everything", "in general", "overall", "generally", "my skills")

NUMBER_WORDS = (
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "fifty",
    "hundred",
    "thousand",
    "million",
    "billion",
    "dozen",
    "halve",
    "half",
    "double",
    "triple",
    "twice",
    "zero",
    "all",
    "every",
    "each",
    "uno",
    "dos",
    "tres",
    "cinco",
    "diez",
    "cien",
    "mil",
    "deux",
    "trois",
    "cinq",
    "dix",
    "cent",
    "mille",
    "zwei",
    "drei",
    "fünf",
    "zehn",
    "hundert",
    "tausend",
    "doppelt",
    "halbieren",
    "duplicar",
    "doubler",
    "verdoppeln",
)
END_STATES = (
    "launch",
    "launched",
    "ship",
    "shipped",
    "go live",
    "live in",
    "released",
    "release",
    "published",
    "publish",
    "certified",
    "certification",
    "signed",
    "approved",
    "adopted",
    "migrated",
    "completed",
    "closed",
    "delivered",
    "in production",
    "rolled out",
    "zero",
    "lanzar",
    "publicar",
    "certificado",
    "lancer",
    "publier",
    "livré",
    "einführen",
    "live gehen",
    "abgeschlossen",
    "veröffentlicht",
)
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
    "januar",
    "februar",
    "märz",
    "juni",
    "juli",
    "oktober",
    "dezember",
    "janeiro",
    "fevereiro",
    "março",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
PERIODS = (
    r"q[1-4]",
    r"h[12]",
    r"fy\s?\d{2,4}",
    r"eo[ymqw]",
    r"20\d\d",
    r"\d{1,2}[/.-]\d{1,2}",
    r"by (?:the )?end",
    r"end of",
    r"this (?:week|month|quarter|year|half|cycle|sprint)",
    r"next (?:week|month|quarter|year|half|sprint)",
    r"within \S+ (?:days?|weeks?|months?)",
    r"in \S+ (?:days?|weeks?|months?)",
    r"by (?:mon|tues|wednes|thurs|fri|satur|sun)day",
    r"tomorrow",
    r"weekly",
    r"monthly",
    r"quarterly",
    r"per (?:week|month|quarter)",
    r"deadline",
    r"due",
    r"fin de",
    r"antes de",
    r"avant (?:le|la|fin)",
    r"d'ici",
    r"bis (?:ende|zum)",
    r"ende (?:des|der)",
    r"até",
    r"trimestre",
    r"quartal",
    r"semestre",
    r"\d+\s?月",
    r"まで",
    r"までに",
    r"之前",
    r"以前",
    r"月底",
    r"年底",
)
TASK_VERBS = (
    "attend",
    "go to",
    "read",
    "write",
    "send",
    "schedule",
    "book",
    "call",
    "email",
    "set up a",
    "organise",
    "organize",
    "prepare",
    "update the",
    "fix the",
    "create a",
    "make a",
    "hold a",
    "have a meeting",
    "meet with",
    "finish the",
    "do the",
    "fill in",
    "review the",
    "submit",
    "register for",
    "sign up",
    "install",
    "buy",
    "order",
    "plan a",
    "draft",
    "asistir",
    "leer",
    "escribir",
    "enviar",
    "llamar",
    "assister",
    "lire",
    "écrire",
    "envoyer",
    "appeler",
    "teilnehmen",
    "lesen",
    "schreiben",
    "senden",
    "anrufen",
)
OUTCOME_MARKERS = (
    "increase",
    "reduce",
    "grow",
    "raise",
    "cut",
    "decrease",
    "lower",
    "achieve",
    "reach",
    "so that",
    "in order to",
    "resulting",
    "from ",
    "retention",
    "revenue",
    "conversion",
    "satisfaction",
    "nps",
    "churn",
    "adoption",
    "customers",
    "users",
    "time to",
    "cost",
    "error rate",
    "aumentar",
    "reducir",
    "augmenter",
    "réduire",
    "erhöhen",
    "senken",
    "steigern",
    "para que",
    "afin de",
    "damit",
)


@dataclass(frozen=True)
class Review:
    """The coach's findings on one statement, and the questions it would ask."""

    specific: bool
    measurable: bool
    time_bound: bool
    outcome: bool
    linked: bool = True
    focused: bool = True
    duplicate_of: str | None = None
    active_goals: int = 0
    questions: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        checks = [
            ("vague", self.specific),
            ("not_measurable", self.measurable),
            ("no_deadline", self.time_bound),
            ("task", self.outcome),
            ("unlinked", self.linked),
            ("too_many", self.focused),
            ("duplicate", self.duplicate_of is None),
        ]
        return [code for code, ok in checks if not ok]

    @property
    def ok(self) -> bool:
        return not self.findings

    def as_json(self) -> dict[str, object]:
        return {
            "specific": self.specific,
            "measurable": self.measurable,
            "time_bound": self.time_bound,
            "outcome": self.outcome,
            "questions": self.questions,
        }


def normalise(text: str) -> str:
    """Lower-case, compatibility-folded text with single spaces (emoji kept, they are harmless)."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def _has_phrase(text: str, phrases: Sequence[str]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", text) for p in phrases)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def is_measurable(text: str) -> bool:
    if re.search(r"\d", text) or re.search(r"[%٪％‰$€£¥₹₩]", text):
        return True
    return _has_phrase(text, NUMBER_WORDS) or _has_phrase(text, END_STATES)


def is_time_bound(text: str) -> bool:
    if _has_phrase(text, MONTHS):
        return True
    return any(re.search(rf"(?<!\w){pattern}", text) for pattern in PERIODS)


def _word_count(text: str) -> int:
    """Words, counting every two characters of scripts written without spaces (CJK) as one."""
    unspaced = sum(1 for ch in text if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af")
    return len(_words(text)) + unspaced // 2


def is_specific(text: str) -> bool:
    words = _words(text)
    if _word_count(text) < 3 or _has_phrase(text, VAGUE_OBJECTS):
        return False
    starts_vague = any(text.startswith(v) or text.startswith("to " + v) for v in VAGUE_VERBS)
    only_vague = _has_phrase(text, VAGUE_VERBS) and not is_measurable(text)
    return not (starts_vague and not is_measurable(text)) and not (only_vague and len(words) < 6)


def is_outcome(text: str) -> bool:
    if _has_phrase(text, OUTCOME_MARKERS) or re.search(r"\d+\s?%", text):
        return True
    body = re.sub(r"^(to|i will|we will|i'll|we'll)\s+", "", text)
    return not any(body.startswith(v) for v in TASK_VERBS)


def near_duplicate(statement: str, others: Sequence[str]) -> str | None:
    """The first of `others` that says nearly the same thing."""
    mine = normalise(statement)
    mine_words = set(_words(mine)) - STOPWORDS
    for other in others:
        theirs = normalise(other)
        if not theirs:
            continue
        their_words = set(_words(theirs)) - STOPWORDS
        overlap = len(mine_words & their_words) / max(1, len(mine_words | their_words))
        if (
            SequenceMatcher(None, mine, theirs).ratio() >= SAME_TEXT_RATIO
            or overlap >= SAME_WORDS_RATIO
        ):
            return other
    return None


def review(
    statement: str,
    *,
    linked: bool = True,
    other_goals: Sequence[str] = (),
    active_goals: int = 0,
) -> Review:
    """Review a goal statement; `other_goals` are the person's other goals' statements."""
    text = normalise(statement)
    measurable = is_measurable(text)
    result = Review(
        specific=is_specific(text),
        measurable=measurable,
        time_bound=is_time_bound(text),
        outcome=is_outcome(text),
        linked=linked,
        focused=active_goals + 1 < FOCUS_LIMIT,
        duplicate_of=near_duplicate(statement, other_goals),
        active_goals=active_goals,
    )
    # Plain text: whoever shows the questions escapes them for where they go (Slack, a terminal).
    return replace(
        result, questions=[render_plain(f"coach/{code}", review=result) for code in result.findings]
    )
