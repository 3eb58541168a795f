"""The coach on many phrasings, languages, numbers and emoji."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pytest

from conversations.coach.review import read_statement, review, review_objective

# text, specific, measurable, time_bound, outcome
CASES = [
    ("Improve onboarding", False, False, False, True),
    # Helping, supporting and working on name the effort, not its result (coach/labels.md).
    ("Help the team", False, False, False, False),
    ("Support sales", False, False, False, False),
    ("Work on documentation", False, False, False, False),
    ("Get better at things", False, False, False, True),
    ("Increase trial-to-paid conversion from 4% to 6% by end of Q2", True, True, True, True),
    ("Reduce p95 API latency to 200 ms by March 31", True, True, True, True),
    ("Cut churn to 2% by Q3", True, True, True, True),
    ("Grow ARR by $1.5M in FY27", True, True, True, True),
    ("Launch the partner portal in H1", True, True, True, True),
    ("Sign 10 enterprise customers this quarter", True, True, True, True),
    ("Raise NPS from thirty to fifty within 6 months", True, True, True, True),
    ("Halve the support backlog by the end of the year", True, True, True, True),
    ("Attend a leadership conference", True, False, False, False),
    ("Write the onboarding guide", True, False, False, False),
    ("Schedule a meeting with the design team", True, False, False, False),
    ("Read two books about negotiation", True, True, False, False),
    ("Increase customer retention", True, False, False, True),
    ("Reduce onboarding time for new customers by 20%", True, True, False, True),
    ("Ship the mobile app v2 by 2027-03-31", True, True, True, True),
    ("🚀 Ship the mobile app v2 by 2027-03-31 🎉", True, True, True, True),
    ("Mejorar la satisfacción del cliente al 90% antes de junio", True, True, True, True),
    ("Réduire le churn de 3% d'ici fin mars", True, True, True, True),
    ("Umsatz um 10 % bis Ende Q3 steigern", True, True, True, True),
    ("Aumentar as vendas em 15% até dezembro", True, True, True, True),
    ("顧客満足度を９０％に上げる（６月まで）", True, True, True, True),
    ("Reduce tickets to ٣٠ a week by 30/06", True, True, True, True),
    ("Improve", False, False, False, True),
    # An empty answer is not a goal, so it is no outcome either (coach/labels.md, section 0).
    ("", False, False, False, False),
]


@pytest.mark.parametrize(("text", "specific", "measurable", "time_bound", "outcome"), CASES)
def test_review(
    text: str, specific: bool, measurable: bool, time_bound: bool, outcome: bool
) -> None:
    result = review(text)
    assert (result.specific, result.measurable, result.time_bound, result.outcome) == (
        specific,
        measurable,
        time_bound,
        outcome,
    )
    assert len(result.questions) == len(result.findings)
    assert all(q.endswith("?") or "?" in q for q in result.questions)  # questions, never verdicts


def test_a_clear_goal_gets_no_questions() -> None:
    assert review("Cut churn to 2% by Q3").questions == []


def test_unlinked_too_many_and_duplicates_are_coached() -> None:
    result = review(
        "Cut churn to 2% by Q3",
        linked=False,
        active_goals=5,
        other_goals=["Cut churn to 2% by the end of Q3", "Hire two engineers"],
    )
    assert result.findings == ["unlinked", "too_many", "duplicate"]
    assert "5 active goals" in result.questions[1]
    assert "Cut churn to 2% by the end of Q3" in result.questions[2]
    assert (
        review("Hire 3 engineers by May", other_goals=["Cut churn to 2% by Q3"]).duplicate_of
        is None
    )


def test_cli_json_has_exactly_the_interface_fields() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "coach", "--json", "Improve onboarding"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    data = json.loads(out)
    assert set(data) == {"specific", "measurable", "time_bound", "outcome", "questions"}
    assert data["specific"] is False and len(data["questions"]) == 3


def test_cli_plain() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "coach", "Attend a conference"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "✗ an outcome" in out and "sounds like a task" in out


@pytest.mark.parametrize("text", ["2027-05-31", "100%", "Q3", "TBD", "asdf", "👍", "", "n/a"])
def test_an_answer_that_is_not_a_goal_is_asked_about_first(text: str) -> None:
    result = review(text)
    assert not result.is_goal and result.findings == ["not_a_goal"]
    assert result.question is not None and "goal" in result.question


def test_the_single_best_question_comes_first() -> None:
    result = review("Help the team")
    assert result.findings == ["task", "vague", "not_measurable", "no_deadline"]
    assert result.question == result.questions[0] and "task" in result.question
    assert review("Improve onboarding").findings[0] == "vague"
    assert review("Cut churn to 2% by Q3").question is None


@pytest.mark.parametrize(
    ("text", "language", "words"),
    [
        ("Ayudar al equipo de ventas", "es", "resultado"),
        ("Gagner plus de clients", "fr", "différent"),
        ("Mehr Kunden gewinnen", "de", "anders"),
        ("Reduzir custos", "pt", "diferente"),
        ("pendiente", "es", "objetivo"),
        ("Improve onboarding", "en", "different"),
    ],
)
def test_questions_are_asked_in_the_statements_language(
    text: str, language: str, words: str
) -> None:
    result = review(text)
    assert result.language == language
    assert result.question is not None and words in result.question


def test_an_objective_is_bounded_by_its_cycle_unless_it_says_otherwise() -> None:
    clear = review_objective("Cut enterprise churn to 3%")
    assert clear.time_bound and clear.outcome and clear.questions == []
    assert not review_objective("Reduce churn over time").time_bound
    assert not review_objective("Reducir costes de forma continua").time_bound
    vague = review_objective("Improve onboarding")
    assert vague.findings == ["vague", "not_measurable"] and "the unit" in vague.questions[1]
    task = review_objective("Organise the leadership offsite")
    assert task.question is not None and "task" in task.question
    assert review_objective("TBD").findings == ["not_a_goal"]


@pytest.mark.parametrize(
    ("statement", "measure", "due"),
    [
        (
            "Get 12 of my existing accounts to renew on two-year terms by 31 March 2027",
            "Get 12 of my existing accounts to renew on two-year terms",
            date(2027, 3, 31),
        ),
        (
            "Sign 10 enterprise customers by end of March",
            "Sign 10 enterprise customers",
            date(2027, 3, 31),
        ),
        ("Reduce churn to 3% within 6 months", "Reduce churn to 3%", date(2027, 5, 28)),
        ("Launch the partner portal by Q2", None, date(2027, 6, 30)),
        ("Improve onboarding", None, None),
        ("Vender 10 contratos antes de fin de marzo", "Vender 10 contratos", date(2027, 3, 31)),
    ],
)
def test_what_a_statement_already_says_is_read(
    statement: str, measure: str | None, due: date | None
) -> None:
    reading = read_statement(statement, date(2026, 11, 28))
    assert (reading.measure, reading.due) == (measure, due)


def test_a_date_said_relative_to_today_is_marked_so() -> None:
    assert read_statement("Sign 3 deals in 2 months", date(2026, 11, 28)).relative
    assert not read_statement("Sign 3 deals by end of May", date(2026, 11, 28)).relative
