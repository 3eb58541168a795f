"""The coach's words, per language (en, es, fr, de, pt): what each kind of phrase looks like.
Each language's lists are data, in lexicons/<code>.toml; the words shared by every language are
below.

Entries are regular-expression fragments matched whole-word against lower-cased, accent-folded
text (so "mas" finds "más"). The kinds follow conversations/coach/labels.md: effort verbs name
only effort, task verbs a chore, change verbs a result, delivery verbs an end state.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A span ending in one of these is a deadline; see labels.md, time_bound.
DAY_UNITS = r"(?:days?|dias?|jours?|tagen?|tage|arbeitstagen?|werktagen?)"
SPAN_UNITS = (
    r"(?:weeks?|months?|quarters?|years?|sprints?|semanas?|mes(?:es)?|anos?|trimestres?|"
    r"semestres?|semaines?|mois|ans?|annees?|wochen?|monaten?|monat|quartalen?|quartal|jahren?|"
    r"jahr|halbjahr(?:en)?)"
)
SLA_UNITS = r"(?:hours?|hrs?|h|minutes?|mins?|min|horas?|heures?|stunden?|std)"


@dataclass(frozen=True)
class Lexicon:
    """One language's phrases, by the part they play in the four labels."""

    words: str  # function words that tell the language apart, space-separated
    prefixes: tuple[str, ...]  # openings with no meaning for the labels ("I want to")
    effort: tuple[str, ...]  # effort only: not specific without a metric, not an outcome
    vague: tuple[str, ...]  # a change with nothing named: not specific without a metric
    tasks: tuple[str, ...]  # a chore or a step on the way: not an outcome
    deliver: tuple[str, ...]  # an end state others can check: measurable, an outcome
    change: tuple[str, ...]  # a result that moves: an outcome
    generic: tuple[str, ...]  # do/make/have: the object decides
    numbers: tuple[str, ...]  # number words, multipliers and all-or-none words
    direction: tuple[str, ...]  # more, less: a direction, no target
    broad: tuple[str, ...]  # quantities too broad to be specific without a target
    activity_nouns: tuple[str, ...]  # calls, demos, posts: counting them counts effort
    documents: tuple[str, ...]  # what chores produce: closing one is a chore
    concepts: tuple[str, ...]  # vague objects, and concepts with many measures
    comparatives: tuple[str, ...]  # better, happier: a wish with nothing named
    deadline: tuple[str, ...]  # words that make a period a deadline ("by", "bis")
    periods: tuple[str, ...]  # named periods ("quarter", "summer") that follow them
    months: tuple[str, ...]
    weekdays: tuple[str, ...]
    relative: tuple[str, ...]  # spans counted from now ("within", "in the next")
    rates: tuple[str, ...]  # "a week", "per month": part of a measure, not a deadline
    result_links: tuple[str, ...]  # "so that": a result follows an activity
    open_ended: tuple[str, ...]  # an objective that disowns a deadline
    placeholders: tuple[str, ...]  # whole answers that are not goals


def _lexicon(code: str) -> Lexicon:
    """A language's words, from lexicons/<code>.toml (data, not code: one list per field)."""
    data = tomllib.loads((LEXICONS_DIR / f"{code}.toml").read_text(encoding="utf-8"))
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return Lexicon(**fields)


LEXICONS_DIR = Path(__file__).with_name("lexicons")
LEXICONS: dict[str, Lexicon] = {code: _lexicon(code) for code in ("en", "es", "fr", "de", "pt")}

# Defined metrics, in every language at once (people borrow English ones everywhere): naming one
# is specific even with an effort verb or no target.
METRICS = (
    r"churn(?: rate)?",
    r"nps",
    r"e?nps",
    r"csat",
    r"ces",
    r"arr",
    r"mrr",
    r"acv",
    r"ltv",
    r"cac",
    r"cpa",
    r"cpl",
    r"aov",
    r"dso",
    r"dpo",
    r"mttr",
    r"mttd",
    r"mtbf",
    r"trir",
    r"ltir",
    r"sla",
    r"[wmd]au",
    r"ctr",
    r"ebitda",
    r"p(?:50|90|95|99)",
    r"cost per (?:lead|acquisition|hire|click|ticket)",
    r"cost to serve",
    r"uptime",
    r"availability",
    r"latency",
    r"error rates?",
    r"(?:customer |employee |user )?retention",
    r"(?:regretted )?attrition",
    r"turnover",
    r"(?:trial-to-paid |lead )?conversion(?: rate)?",
    r"win rate",
    r"close rate",
    r"quota",
    r"backlog",
    r"lead times?",
    r"cycle time",
    r"build times?",
    r"deploy(?:ment)? (?:time|frequency)",
    r"time[- ]to[- ](?:hire|value|market|merge|resolution|first \w+)",
    r"(?:first[- ])?(?:response|resolution|handle|delivery|turnaround) times?",
    r"first[- ]contact resolution",
    r"reopen rate",
    r"deflection",
    r"engagement score",
    r"participation",
    r"activation(?: rate)?",
    r"adoption",
    r"stockouts?",
    r"returns",
    r"return rate",
    r"absenteeism",
    r"sick(?:ness)? rate",
    r"no-shows?",
    r"(?:lost[- ]time|recordable) (?:incidents?|injur(?:y|ies))",
    r"injury rate",
    r"(?:forecast )?accuracy",
    r"(?:test )?coverage",
    r"(?:gross )?margin",
    r"cash flow",
    r"write-offs?",
    r"(?:average )?(?:order|deal) (?:value|size)",
    r"carbon footprint",
    r"emissions",
    r"(?:organic )?traffic",
    r"open rate",
    r"click rate",
    r"bounce rate",
    r"(?:weekly |monthly |daily )?active users",
    r"satisfaction",
    r"engagement rate",
    # Spanish, French, German, Portuguese
    r"tasa de \w+",
    r"taux de \w+",
    r"taxa de \w+",
    r"abwanderungsrate",
    r"retencion",
    r"rotacion",
    r"absentismo",
    r"morosidad",
    r"satisfaccion(?: del cliente)?",
    r"disponibilidad",
    r"ticket medio",
    r"tiempo de (?:respuesta|resolucion|entrega|build)",
    r"fidelisation",
    r"absenteisme",
    r"impayes",
    r"disponibilite",
    r"panier moyen",
    r"delai de \w+",
    r"temps de (?:reponse|resolution|build)",
    r"kundenbindung",
    r"kundenzufriedenheit",
    r"abwanderung(?:squote)?",
    r"fluktuation",
    r"krankenstand",
    r"verfugbarkeit",
    r"warenkorb",
    r"bearbeitungszeit",
    r"durchlaufzeit",
    r"lieferzeit(?:en)?",
    r"build-zeiten",
    r"retencao",
    r"rotatividade",
    r"absenteismo",
    r"inadimplencia",
    r"satisfacao",
    r"disponibilidade",
    r"ticket medio",
    r"tempo de (?:resposta|resolucao|entrega|build)",
    r"prazo medio",
)

# Reaching one of these is an end state that someone else can check (labels.md).
CREDENTIALS = (
    r"certifi(?:cation|ed|cate)",
    r"accredit(?:ation|ed)",
    r"certificacion",
    r"certificado",
    r"certificacao",
    r"zertifizierung",
    r"zertifiziert",
    r"zertifikat",
    r"diplome",
)

# A frequency: the time in it is part of the measure (labels.md, time_bound).
CADENCE = (
    r"(?:a|an|per|each|every|/) (?:day|week|month|quarter|year|sprint|shift)",
    r"(?:daily|weekly|monthly|quarterly|yearly|fortnightly|biweekly|bi-weekly|annually)",
    r"every (?:\w+ ){0,2}(?:days?|weeks?|months?|quarters?|sprints?|monday|tuesday|wednesday|"
    r"thursday|friday)",
    r"\d+ times? (?:a|per) \w+",
    r"(?:por|a la|al|cada) (?:dia|semana|mes|trimestre|sprint)",
    r"(?:semanal(?:es|mente)?|mensual(?:es|mente)?|diari[oa]s?|quincenal(?:es)?|trimestral(?:es)?)",
    r"(?:par|chaque|tous les|toutes les) (?:jours?|semaines?|mois|trimestres?)",
    r"(?:hebdomadaires?|mensuel(?:le)?s?|quotidien(?:ne)?s?)",
    r"(?:pro|je|jeden|jede|jeder) (?:tag|woche|monat|quartal|sprint)",
    r"(?:wochentlich|monatlich|taglich|quartalsweise)",
    r"(?:por|cada|todo|toda|ao|a) (?:dia|semana|mes|trimestre|sprint)",
    r"(?:semanais|mensais|diarios?)",
)
