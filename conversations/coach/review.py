"""The coach: a deterministic review of a goal statement, with friendly follow-up questions.

It never rejects: each finding becomes a question the person may answer or wave away, asked in
the statement's language (English, Spanish, French, German or Portuguese). The four labels are
defined in labels.md beside this module; the words of each language are in lang.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from difflib import SequenceMatcher
from functools import cache
from typing import Literal

from conversations.coach.lang import (
    CADENCE,
    CREDENTIALS,
    DAY_UNITS,
    LEXICONS,
    METRICS,
    SLA_UNITS,
    SPAN_UNITS,
    Lexicon,
)
from prompts import render_plain

FOCUS_LIMIT = 6  # this many active goals or more suggests focusing
SAME_TEXT_RATIO = 0.9  # character similarity that means "the same goal"
SAME_WORDS_RATIO = 0.75  # or this share of the content words in common
SLA_DAYS = 60  # "within N days" under this is a service level, at or over it a deadline
STOPWORDS = frozenset(
    "a an the by of to in on for and with at from end our my we i will be this that".split()  # noqa: SIM905
)
LANGUAGES = ("en", "es", "fr", "de", "pt")
# Most useful first: a non-goal cannot be improved, a task must become a result before its
# wording is worth sharpening, and a measure and a date are easy to add last.
FINDING_ORDER = (
    "not_a_goal",
    "task",
    "vague",
    "not_measurable",
    "no_deadline",
    "unlinked",
    "too_many",
    "duplicate",
)

Kind = Literal["effort", "vague", "task", "deliver", "change", "generic"]
KINDS: tuple[Kind, ...] = ("effort", "vague", "task", "deliver", "change", "generic")


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
    is_goal: bool = True
    language: str = "en"
    objective: bool = False
    questions: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[str]:
        """Finding codes, most useful first; a non-goal has only that one, and the context's."""
        label_checks = [
            ("not_a_goal", self.is_goal),
            ("task", self.outcome or not self.is_goal),
            ("vague", self.specific or not self.is_goal),
            ("not_measurable", self.measurable or not self.is_goal),
            ("no_deadline", self.time_bound or not self.is_goal),
        ]
        context_checks = [
            ("unlinked", self.linked),
            ("too_many", self.focused),
            ("duplicate", self.duplicate_of is None),
        ]
        return [code for code, ok in label_checks + context_checks if not ok]

    @property
    def question(self) -> str | None:
        """The one most useful question to ask now, or None when there is nothing to ask."""
        return self.questions[0] if self.questions else None

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


def fold(text: str) -> str:
    """Normalised text without accents, so that "mas" finds "más" and "reduzir" "reduzír"."""
    decomposed = unicodedata.normalize("NFKD", normalise(text).replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


# --- patterns, compiled once per language --------------------------------------------------


def _alt(phrases: Iterable[str]) -> str:
    # Longest first, so that "keep an eye on" wins over "keep".
    return "|".join(sorted(phrases, key=len, reverse=True))


def _word_re(phrases: Iterable[str], *, compound: bool = False) -> re.Pattern[str]:
    # German nouns compound ("Kundenanrufe"), so there a phrase may end a longer word.
    start = r"(?<![\w])[\w-]*?" if compound else r"(?<![\w-])"
    return re.compile(rf"{start}(?:{_alt(phrases)})(?![\w])")


NUMBER_WORDS = _alt(
    [n for lex in LEXICONS.values() for n in lex.numbers if re.fullmatch(r"[a-z ]+", n)]
    + ["a", "an", "un", "une", "um", "uma", "ein", "einem", "einer", "einen", "one"]
)
# Digits may touch their unit ("24h"); a number word may not ("in touch" is no "in tou-ch").
NUMBER = rf"(?:\d+(?:[.,]\d+)? ?|(?:{NUMBER_WORDS}) )"
ALL_MONTHS = _alt(m for lex in LEXICONS.values() for m in lex.months)
ALL_WEEKDAYS = _alt(w for lex in LEXICONS.values() for w in lex.weekdays)
ALL_PERIODS = _alt(p for lex in LEXICONS.values() for p in lex.periods)
ALL_INTROS = _alt(d for lex in LEXICONS.values() for d in lex.deadline)
END_OF = (
    r"(?:(?:the )?(?:end|start|beginning|middle|close) of (?:the )?|(?:la |el |o )?(?:fin|final|"
    r"finales|cierre|mediados|fim) (?:de |del |du |d'|do |da )?(?:l')?|ende (?:des |der )?)"
)
TOKEN_PERIOD = r"(?:q[1-4]|h[12]|t[1-4]|s[12]|fy ?\d{2,4}|20\d\d)(?: ?20\d\d)?"
DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|(?<![\d.,])(?:0?[1-9]|[12]\d|3[01])/(?:0?[1-9]|1[0-2])(?:/\d{2,4})?(?![\d%/])"
    r"|(?<![\d.,])(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:\d{2,4})?(?![\d%])"
    rf"|(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|er|o|º|\.)? (?:de )?(?:{ALL_MONTHS})"
    rf"(?: (?:de )?\d{{4}})?"
    rf"|(?:{ALL_MONTHS}) (?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?(?:,? \d{{4}})?(?![\d%])"
    r")"
)
# Chinese and Japanese deadlines: no spaces, so no word boundaries either.
CJK_DEADLINE = re.compile(r"\d+\s?月|までに?|之前|以前|月底|年底|月末")
PERIOD = (
    rf"(?:{END_OF})?(?:the |la |le |l'|el |der |die |das |dem |den )?"
    rf"(?:{DATE}|{TOKEN_PERIOD}|(?:{ALL_MONTHS})(?: 20\d\d)?|{ALL_WEEKDAYS}|{ALL_PERIODS})"
)
# A period that needs no "by" to be a deadline: "this half", "next quarter", "year-end".
SELF_DEADLINE = (
    r"(?:this|next|coming|est[ea]|proxim[oa]|ce|cette|dies(?:es|em|er|en)|nachste[nmr]?|"
    r"n?est[ea]|neste|nesta) (?:fiscal |calendar |financial )?(?:year|quarter|half|month|week|"
    r"sprint|cycle|period|term|ano|trimestre|semestre|mes|semana|annee|mois|semaine|jahr|"
    r"quartal|halbjahr|monat|woche|ciclo|cycle|zyklus)"
    r"|(?:year|quarter|month|half)[- ]?end|mid[- ]?(?:year|quarter)|jahresende|jahresmitte"
)


@cache
def _deadline_re(lang: str) -> re.Pattern[str]:
    # Each language's own "by"-words: Spanish "a la semana" is a rate, French "à la fin" is not.
    intros = _alt(LEXICONS[lang].deadline + (LEXICONS["en"].deadline if lang != "en" else ()))
    return re.compile(rf"(?<![\w-])(?:(?:{intros}) (?:{PERIOD})|{DATE}|{SELF_DEADLINE})(?![\w])")


# "(FY27)" at the end of a fragment frames the whole statement.
FRAME = re.compile(rf"\((?:{TOKEN_PERIOD}|{ALL_PERIODS})\)")
EOX = re.compile(r"(?<![\w-])(?:eo[ymqw]|ytd)(?![\w])")
SPAN = re.compile(
    r"(?<![\w-])(?:within|in|over|during|inside|dentro de|en|dans|d'ici|innerhalb von|binnen|"
    r"em|durante|sous|nos|nas)"
    r" (?:the |los |las |les |den |os |as )?(?P<next>(?:next|coming|proximos|proximas|"
    r"prochains|prochaines|nachsten|kommenden) )?"
    rf"(?P<n>{NUMBER})(?:(?:more|working|business|calendar|habiles|ouvres|uteis) )?"
    r"(?:prochains |prochaines )?"
    rf"(?P<unit>{DAY_UNITS}|{SPAN_UNITS}|{SLA_UNITS})(?![\w])"
)
SLA = re.compile(
    r"(?<![\w-])(?:within|in|under|below|less than|en menos de|en moins de|em menos de|"
    r"innerhalb von|binnen|unter|en|em|in) "
    rf"{NUMBER}(?:(?:working|business|habiles|ouvres|uteis) )?(?:{SLA_UNITS}|{DAY_UNITS})"
    r"(?![\w])"
    r"|in (?:their|his|her|the) first (?:day|week|month)"
)
CADENCE_RE = _word_re(CADENCE)
METRIC_RE = _word_re(METRICS)
CREDENTIAL_RE = re.compile(rf"(?<![\w])[\w-]*?(?:{_alt(CREDENTIALS)})\w*")
NAME = re.compile(
    r"(?<![\w])(?:[a-z]+[\w.]*\d[\w.]*"  # q3, p99, b2, fy28, v3.0
    r"|(?:iso|python|java|postgres(?:ql)?|node|php|ios|android|windows|tier|scope|soc|sprint|"
    r"halle|hall|level|version|site|werk|gate|building|phase|wave|stufe)[- ]?\d+(?:\.\d+)*"
    r"|1:1s?|24/7)(?![\w])"
)
YEAR = re.compile(r"(?<![\d.,])20\d\d(?![\d%])")
QUANTITY = re.compile(r"\d|[%٪％‰$€£¥₹₩]|[<>≤≥±]\s?\d")
EMOJI_OR_MARK = re.compile(r"[^\w\s'’%$€£¥₹₩<>≤≥±→/.,:;()\-]")
OPEN_ENDED = {lang: _word_re(lex.open_ended) for lang, lex in LEXICONS.items()}


@dataclass(frozen=True)
class _Compiled:
    """One language's phrases as ready regular expressions."""

    lang: str
    lexicon: Lexicon
    prefix: re.Pattern[str]
    heads: dict[Kind, re.Pattern[str]]
    anywhere: dict[Kind, re.Pattern[str]]
    numbers: re.Pattern[str]
    direction: re.Pattern[str]
    broad: re.Pattern[str]
    activity: re.Pattern[str]
    documents: re.Pattern[str]
    concepts: re.Pattern[str]
    comparatives: re.Pattern[str]
    result_links: re.Pattern[str]
    placeholder: re.Pattern[str]
    stopwords: frozenset[str]
    verb_words: frozenset[str]


def _heads_of(lex: Lexicon) -> dict[Kind, tuple[str, ...]]:
    return {
        "effort": lex.effort,
        "vague": lex.vague,
        "task": lex.tasks,
        "deliver": lex.deliver,
        "change": lex.change,
        "generic": lex.generic,
    }


@cache
def _compiled(lang: str) -> _Compiled:
    lex = LEXICONS[lang]
    german = lang == "de"
    heads = _heads_of(lex)
    return _Compiled(
        lang=lang,
        lexicon=lex,
        prefix=re.compile(rf"^(?:{_alt(lex.prefixes + LEXICONS['en'].prefixes)})(?![\w])\s*"),
        heads={k: re.compile(rf"(?:{_alt(v)})(?![\w])") for k, v in heads.items()},
        anywhere={k: _word_re(v) for k, v in heads.items()},
        numbers=re.compile(rf"(?<![\w-])(?:{_alt(lex.numbers)})(?![\w-])"),
        direction=_word_re(lex.direction + LEXICONS["en"].direction),
        broad=_word_re(lex.broad, compound=german),
        activity=_word_re(lex.activity_nouns, compound=german),
        documents=_word_re(lex.documents, compound=german),
        concepts=_word_re(lex.concepts, compound=german),
        comparatives=_word_re(lex.comparatives),
        result_links=_word_re(lex.result_links),
        placeholder=re.compile(
            rf"(?:{_alt(p for other in LEXICONS.values() for p in other.placeholders)})"
        ),
        stopwords=frozenset(lex.words.split()) | frozenset(LEXICONS["en"].words.split()),
        verb_words=frozenset(
            word for phrases in heads.values() for p in phrases for word in _literal_words(p)
        ),
    )


def _literal_words(phrase: str) -> list[str]:
    """The words a phrase spells out, without its regular-expression syntax."""
    return re.findall(r"[a-z']{2,}", re.sub(r"\\[a-z]", " ", phrase))


@cache
def _language_words() -> dict[str, dict[str, float]]:
    """Each plain word of each language's phrases, weighted by how many languages share it."""
    owners: dict[str, set[str]] = {}
    for lang, lex in LEXICONS.items():
        plain = set(lex.words.split())
        kinds = (*_heads_of(lex).values(), lex.months, lex.placeholders, lex.broad, lex.numbers)
        for phrases in kinds:
            for phrase in phrases:
                plain.update(_literal_words(phrase))
        for word in plain:
            owners.setdefault(word, set()).add(lang)
    weights: dict[str, dict[str, float]] = {lang: {} for lang in LEXICONS}
    for word, langs in owners.items():
        for lang in langs:
            weights[lang][word] = 1 / len(langs)
    return weights


# Letters that only one or two of the languages use.
ACCENTS = {
    "es": re.compile(r"[ñ¿¡]"),
    "pt": re.compile(r"ção|ções|[ãõ]"),
    "de": re.compile(r"[äöüß]"),
    "fr": re.compile(r"[èœùîû]|\b[ldjq]'|\bd’|(?<!\w)à(?!\w)"),
}


def detect_language(text: str) -> str:
    """The statement's language of en/es/fr/de/pt, by its function words and letters; else en."""
    lowered = normalise(text)
    folded = fold(text)
    scores = dict.fromkeys(LEXICONS, 0.0)
    weights = _language_words()
    for word in re.findall(r"[a-z']+", folded):
        for lang in LEXICONS:
            scores[lang] += weights[lang].get(word, 0.0)
    for lang, accents in ACCENTS.items():
        scores[lang] += 1.5 * len(accents.findall(lowered))
    # A short answer like "a definir" is told apart by whose placeholder it is.
    bare = folded.strip(" .!?")
    owners = [
        lang
        for lang, c in ((lang, _compiled(lang)) for lang in LEXICONS)
        if re.fullmatch(f"(?:{_alt(c.lexicon.placeholders)})", bare)
    ]
    if owners:
        return max(owners, key=lambda lang: scores[lang])
    best = max(scores, key=lambda lang: (scores[lang], lang == "en"))
    return best if scores[best] > scores["en"] else "en"


# --- the analysis --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    """The verb that leads the statement, and what kind of verb it is."""

    kind: Kind | None
    start: int
    end: int


def _strip(text: str, c: _Compiled) -> str:
    text = EMOJI_OR_MARK.sub(" ", text)
    text = re.sub(r"^[\s\-–•*·:>]+", "", text).strip()
    for _ in range(3):  # "Goal: I want to …"
        stripped = c.prefix.sub("", text, count=1).strip()
        if stripped == text:
            break
        text = stripped
    return text


def _find_head(text: str, lang: str, c: _Compiled) -> _Head:
    if lang == "de":
        # German puts the infinitive last: the head is the last verb of the first clause.
        clause = text.split(",")[0]
        found = [
            (m.end(), m.end() - m.start(), kind, m.start())
            for kind in KINDS
            for m in c.anywhere[kind].finditer(clause)
        ]
        if not found:
            return _Head(None, 0, 0)
        end, _, kind, start = max(found, key=lambda f: (f[0], f[1], -KINDS.index(f[2])))
        return _Head(kind, start, end)
    best: _Head = _Head(None, 0, 0)
    for kind in KINDS:
        match = c.heads[kind].match(text)
        # An end state outranks a change that starts the same way ("get promoted to …").
        longer = match is not None and match.end() > best.end
        if match and longer and not (kind == "change" and best.kind == "deliver"):
            best = _Head(kind, 0, match.end())
    return best


def _deadline(text: str, lang: str) -> bool:
    if _deadline_re(lang).search(text) or CJK_DEADLINE.search(text):
        return True
    if FRAME.search(text) or EOX.search(text):
        return True
    for span in SPAN.finditer(text):
        unit = span["unit"]
        if re.fullmatch(SLA_UNITS, unit):
            continue
        days = re.fullmatch(DAY_UNITS, unit)
        if span["next"] or not days:
            return True
        amount = span["n"].strip()
        if not amount.isdigit() or int(amount) >= SLA_DAYS:
            return True
    return False


def _mask_time(text: str, lang: str) -> str:
    text = _deadline_re(lang).sub(" ", text)
    text = SPAN.sub(lambda m: m[0] if re.fullmatch(SLA_UNITS, m["unit"]) else " ", text)
    return FRAME.sub(" ", EOX.sub(" ", text))


BARE_TIME = re.compile(
    rf"(?<![\w-])(?:{ALL_INTROS}|{END_OF}|{PERIOD}|{DATE}|eo[ymqw]|\d[\d.,]*\s?[kmb]?)(?![\w])"
)


def _is_goal(text: str, stripped: str, lang: str, c: _Compiled, head: _Head) -> bool:
    bare = re.sub(r"[\s!.?…]+$", "", stripped).strip()
    if not re.search(r"\w", bare) or c.placeholder.fullmatch(bare):
        return False
    leftover = BARE_TIME.sub(" ", bare)
    leftover = re.sub(r"[\W\d_]+", " ", leftover).strip()
    if not leftover:
        return False
    content = [w for w in _words(leftover) if w not in c.stopwords]
    if len(content) > 2 or head.kind is not None or QUANTITY.search(bare):
        return True
    if c.direction.search(bare) or METRIC_RE.search(bare) and len(content) > 1:
        return True
    return any(c.anywhere[kind].search(bare) for kind in KINDS)


def _content(text: str, head: _Head, c: _Compiled) -> list[str]:
    """The words that name what the statement is about, without verbs, time and amounts."""
    inside = [w for w in _words(text[head.start : head.end]) if w not in c.verb_words]
    rest = text[: head.start] + " " + " ".join(inside) + " " + text[head.end :]
    rest = _mask_time(rest, c.lang)
    rest = CADENCE_RE.sub(" ", rest)
    rest = NAME.sub(" x ", rest)
    for pattern in (c.direction, c.numbers, c.result_links):
        rest = pattern.sub(" ", rest)
    return [w for w in _words(rest) if w not in c.stopwords and not w.isdigit()]


def _specific(text: str, head: _Head, c: _Compiled, quantity: bool) -> bool:
    metric = bool(METRIC_RE.search(text))
    if c.comparatives.search(text) and not (metric or quantity):
        return False
    if head.kind in ("effort", "vague"):
        return metric or quantity
    content = " ".join(_content(text, head, c))
    named = content
    for pattern in (c.broad, c.activity, c.concepts):
        named = pattern.sub(" ", named)
    if _words(named):
        return True
    if c.concepts.search(content):
        return False
    return quantity


def _quantity(text: str, c: _Compiled) -> bool:
    # A year names a thing ("the 2028 budget") or a deadline; it is never the amount.
    masked = YEAR.sub(" ", NAME.sub(" ", _mask_time(text, c.lang)))
    return bool(QUANTITY.search(masked) or c.numbers.search(masked))


def _outcome(text: str, head: _Head, c: _Compiled, quantity: bool) -> bool:
    after = text[head.end :]
    if CREDENTIAL_RE.search(text) or SLA.search(text):
        return True
    if c.result_links.search(text):
        return True
    if head.kind == "effort":
        follows = any(c.anywhere[k].search(after) for k in ("change", "deliver"))
        return follows and (quantity or bool(METRIC_RE.search(after)))
    if head.kind == "task":
        return False
    if head.kind == "change" and c.documents.search(after) and not quantity:
        return False  # closing a report is a chore, closing deals a result
    if head.kind == "deliver":
        return not CADENCE_RE.search(text)
    if head.kind in (None, "generic") and c.activity.search(text):
        return bool(c.anywhere["change"].search(after) and head.kind is None)
    return True


def _measurable(text: str, head: _Head, quantity: bool) -> bool:
    return quantity or head.kind == "deliver" or bool(CREDENTIAL_RE.search(text))


@dataclass(frozen=True)
class _Labels:
    specific: bool
    measurable: bool
    time_bound: bool
    outcome: bool
    is_goal: bool
    language: str


def _label(statement: str) -> _Labels:
    language = detect_language(statement)
    c = _compiled(language)
    text = _strip(fold(statement), c)
    head = _find_head(text, language, c)
    if not _is_goal(fold(statement), text, language, c, head):
        return _Labels(False, False, False, False, False, language)
    quantity = _quantity(text, c)
    return _Labels(
        specific=_specific(text, head, c, quantity),
        measurable=_measurable(text, head, quantity),
        # The head's own words are no deadline ("look over the Q1 report").
        time_bound=_deadline(
            text[: head.start] + " " * (head.end - head.start) + text[head.end :], language
        ),
        outcome=_outcome(text, head, c, quantity),
        is_goal=True,
        language=language,
    )


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


def _with_questions(result: Review) -> Review:
    # Plain text: whoever shows the questions escapes them for where they go (Slack, a terminal).
    folder = "coach" if result.language == "en" else f"coach/{result.language}"
    return replace(
        result,
        questions=[render_plain(f"{folder}/{code}", review=result) for code in result.findings],
    )


def review(
    statement: str,
    *,
    linked: bool = True,
    other_goals: Sequence[str] = (),
    active_goals: int = 0,
) -> Review:
    """Review a goal statement; `other_goals` are the person's other goals' statements."""
    labels = _label(statement)
    return _with_questions(
        Review(
            specific=labels.specific,
            measurable=labels.measurable,
            time_bound=labels.time_bound,
            outcome=labels.outcome,
            linked=linked,
            focused=active_goals + 1 < FOCUS_LIMIT,
            duplicate_of=near_duplicate(statement, other_goals),
            active_goals=active_goals,
            is_goal=labels.is_goal,
            language=labels.language,
        )
    )


def review_objective(text: str) -> Review:
    """Review a unit's objective: the cycle is its deadline unless its words disown one."""
    labels = _label(text)
    open_ended = bool(OPEN_ENDED[labels.language].search(fold(text)))
    time_bound = labels.is_goal and (labels.time_bound or not open_ended)
    return _with_questions(
        Review(
            specific=labels.specific,
            measurable=labels.measurable,
            time_bound=time_bound,
            outcome=labels.outcome,
            is_goal=labels.is_goal,
            language=labels.language,
            objective=True,
        )
    )


# --- reading a statement back -----------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """What a goal statement already says: its measure and its due date, as proposals."""

    measure: str | None = None
    due: date | None = None
    due_text: str | None = None  # the words the date was read from, as written
    relative: bool = False  # "in 2 months", "next friday": a date only as of the day it was said


# "by", "before", "until", … at the start of a deadline phrase: the date is what follows.
_INTRO = re.compile(rf"^(?:{ALL_INTROS})\s+")
_RELATIVE = re.compile(
    r"^in\s+\d|\b(?:next|this|coming|tomorrow|today|week|month|quarter|year)\b(?!\s+20\d\d)"
)


def _same_length_fold(text: str) -> str:
    """`fold`, one character for one, so that a match in it is a span of the original text."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return ""
    return "".join(
        next((c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)), ch)
        for ch in lowered
    )


def _deadline_spans(folded: str, lang: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _deadline_re(lang).finditer(folded)]
    spans += [
        m.span()
        for m in SPAN.finditer(folded)
        if not re.fullmatch(SLA_UNITS, m["unit"]) and not re.fullmatch(DAY_UNITS, m["unit"])
    ]
    return sorted(spans)


def read_statement(statement: str, today: date) -> Reading:
    """The measure and due date a statement already states, to propose back for confirmation.

    The measure is proposed only when the statement names an amount; it is the statement without
    its deadline. The due date is the first deadline that reads as a date (ambiguous ones, like
    "end of March", read as the next after `today`; an explicit one may have passed)."""
    from conversations.dates import parse_due  # dates.py loads dateparser lazily

    folded = _same_length_fold(statement)
    if not folded:
        return Reading()
    labels = _label(statement)
    due: date | None = None
    due_text: str | None = None
    spans = _deadline_spans(folded, labels.language)
    relative = False
    for start, end in spans:
        said = folded[start:end].strip()
        phrase = re.sub(r"^(?:within|over|during)\s+", "in ", said)
        if not re.match(r"in\s+\d", phrase):
            phrase = _INTRO.sub("", phrase)
        found = parse_due(phrase, today)
        if found is not None:
            due, due_text = found, statement[start:end].strip()
            relative = bool(_RELATIVE.search(re.sub(r"^(?:within|over|during)\s+", "in ", said)))
            break
    measure: str | None = None
    if (
        labels.is_goal
        and labels.measurable
        and _quantity(fold(statement), _compiled(labels.language))
    ):
        rest = statement
        for start, end in reversed(spans):
            rest = rest[:start] + " " + rest[end:]
        rest = " ".join(rest.split()).strip(" ,.;:–-")
        measure = rest or None
    return Reading(measure=measure, due=due, due_text=due_text, relative=relative)
