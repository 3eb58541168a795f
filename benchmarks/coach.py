"""How well the coach agrees with hand-labelled goal statements, and how fast it answers.

Reads tests/conversations/coach_corpus.jsonl (labelled by conversations/coach/labels.md), splits
it by a seeded hash of each text into a tuning split and a held-out fifth, and prints agreement
per label and per language on both, the coach's speed and memory, the question checks, and the
tuning split's disagreements. The held-out disagreements are printed only on request: rules are
never tuned on them, and reading them is the first step to doing so.

    .venv/bin/python benchmarks/coach.py [--held-out-disagreements]
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "conversations" / "coach_corpus.jsonl"
SEED = "cascade-coach-corpus-v1"  # fixed before any rule was measured; changing it reshuffles
HELD_OUT_SHARE = 5  # one statement in five is held out
LABELS = ("specific", "measurable", "time_bound", "outcome")
LANGUAGES = ("en", "es", "fr", "de", "pt", "und")
TARGET_ALL, TARGET_EACH = 0.95, 0.90
TARGET_MS, TARGET_MB = 50.0, 100.0


@dataclass(frozen=True)
class Item:
    """One hand-labelled statement of the corpus."""

    text: str
    lang: str
    domain: str
    goal: bool
    labels: tuple[bool, bool, bool, bool]

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(f"{SEED}:{self.text}".encode()).hexdigest()
        return int(digest[:8], 16) % HELD_OUT_SHARE == 0


def load_corpus(path: Path = CORPUS) -> list[Item]:
    """Every statement of the corpus, in file order."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(
                Item(
                    text=row["text"],
                    lang=row["lang"],
                    domain=row["domain"],
                    goal=row["goal"],
                    labels=tuple(row[label] for label in LABELS),  # type: ignore[arg-type]
                )
            )
    return items


def tuning(items: Iterable[Item]) -> list[Item]:
    return [item for item in items if not item.held_out]


def held_out(items: Iterable[Item]) -> list[Item]:
    return [item for item in items if item.held_out]


@dataclass(frozen=True)
class Scored:
    """One statement with what the coach said about it."""

    item: Item
    predicted: tuple[bool, bool, bool, bool]
    goal: bool
    language: str
    questions: int

    @property
    def agrees(self) -> bool:
        return self.predicted == self.item.labels


def score(items: Iterable[Item]) -> list[Scored]:
    from conversations.coach.review import review

    scored = []
    for item in items:
        result = review(item.text)
        scored.append(
            Scored(
                item=item,
                predicted=(result.specific, result.measurable, result.time_bound, result.outcome),
                goal=result.is_goal,
                language=result.language,
                questions=len(result.questions),
            )
        )
    return scored


def agreement(scored: list[Scored], label: int | None = None) -> float:
    """Share of statements whose one label (or, with None, all four) matches the hand label."""
    if not scored:
        return float("nan")
    if label is None:
        return sum(s.agrees for s in scored) / len(scored)
    return sum(s.predicted[label] == s.item.labels[label] for s in scored) / len(scored)


def _pct(value: float) -> str:
    return "   –  " if value != value else f"{value * 100:5.1f}%"


def table(name: str, scored: list[Scored]) -> list[str]:
    """Agreement per label and language, and over all four labels, for one split."""
    lines = [f"\n{name}: {len(scored)} statements"]
    header = f"  {'':10}" + "".join(f"{lang:>8}" for lang in (*LANGUAGES, "all"))
    lines.append(header)
    groups = {lang: [s for s in scored if s.item.lang == lang] for lang in LANGUAGES}
    groups["all"] = scored
    rows: list[tuple[str, Callable[[list[Scored]], float]]] = [
        (label, lambda group, i=i: agreement(group, i)) for i, label in enumerate(LABELS)
    ]
    rows.append(("all four", lambda group: agreement(group)))
    rows.append(("not a goal", lambda group: _goal_agreement(group)))
    for row_name, measure in rows:
        lines.append(
            f"  {row_name:10}" + "".join(f"{_pct(measure(g)):>8}" for g in groups.values())
        )
    lines.append(f"  {'n':10}" + "".join(f"{len(g):>8}" for g in groups.values()))
    return lines


def _goal_agreement(scored: list[Scored]) -> float:
    if not scored:
        return float("nan")
    return sum(s.goal == s.item.goal for s in scored) / len(scored)


def targets(scored: list[Scored]) -> list[str]:
    """The issue's accuracy targets on one split, each with its verdict."""
    lines = []
    overall = agreement(scored)
    lines.append(
        f"  all four labels, all statements ≥ 95%: {_pct(overall)} {_mark(overall >= 0.95)}"
    )
    worst = min(
        (agreement([s for s in scored if s.item.lang == lang], i), lang, label)
        for lang in LANGUAGES
        for i, label in enumerate(LABELS)
        if any(s.item.lang == lang for s in scored)
    )
    lines.append(
        f"  each label in each language ≥ 90%: worst {_pct(worst[0])} ({worst[2]}, {worst[1]})"
        f" {_mark(worst[0] >= TARGET_EACH)}"
    )
    return lines


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def question_checks(scored: list[Scored]) -> list[str]:
    """Every flawed statement gets a question, in its language; a non-goal is never accepted."""
    flawed = [s for s in scored if not all(s.predicted) or not s.goal]
    unasked = [s for s in flawed if s.questions == 0]
    foreign = [s for s in scored if s.item.lang in ("es", "fr", "de", "pt")]
    wrong_language = [s for s in foreign if s.language != s.item.lang]
    accepted = [s for s in scored if not s.item.goal and s.questions == 0]
    return [
        f"  flawed statements with no question: {len(unasked)} of {len(flawed)}"
        f" {_mark(not unasked)}",
        f"  es/fr/de/pt statements asked in another language: {len(wrong_language)} of"
        f" {len(foreign)} {_mark(not wrong_language)}",
        f"  non-goals accepted without a question: {len(accepted)} of"
        f" {sum(not s.item.goal for s in scored)} {_mark(not accepted)}",
        *[
            f"    asked in {s.language}, written in {s.item.lang}: {s.item.text}"
            for s in wrong_language
        ],
    ]


def disagreements(scored: list[Scored]) -> list[str]:
    lines = []
    for s in scored:
        if s.agrees and s.goal == s.item.goal:
            continue
        wrong = [
            f"{label}={'T' if s.predicted[i] else 'F'}"
            for i, label in enumerate(LABELS)
            if s.predicted[i] != s.item.labels[i]
        ]
        if s.goal != s.item.goal:
            wrong.append(f"goal={'T' if s.goal else 'F'}")
        lines.append(f"  [{s.item.lang}] {s.item.text!r}: coach says {', '.join(wrong)}")
    return lines


def speed(texts: list[str], rounds: int = 3) -> tuple[float, float]:
    """Median and worst milliseconds per statement, after start-up."""
    from conversations.coach.review import review

    review("Warm up the coach by 31 March")
    times = []
    for _ in range(rounds):
        for text in texts:
            started = time.perf_counter()
            review(text)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


RSS_PROBE = """
import sys
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss()
import conversations.coach.review
conversations.coach.review.review("Cut churn to 2% by Q3")
print(rss() - before)
"""


def import_rss_mb() -> float:
    """Megabytes that importing the coach (and reviewing once) adds to a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", RSS_PROBE], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(out.stdout.strip())


def main(argv: list[str]) -> None:
    items = load_corpus()
    tune, hold = score(tuning(items)), score(held_out(items))
    print(f"Corpus: {len(items)} statements, seed {SEED!r}, held out: one in {HELD_OUT_SHARE}")
    for line in table("Tuning split", tune) + table("Held-out split", hold):
        print(line)
    print("\nTargets on the held-out split")
    for line in targets(hold):
        print(line)
    median, worst = speed([item.text for item in items])
    rss = import_rss_mb()
    print(f"  per statement: median {median:.2f} ms, worst {worst:.2f} ms {_mark(worst <= 50)}")
    print(f"  import adds {rss:.1f} MB to RSS {_mark(rss <= TARGET_MB)}")
    print("\nQuestions, all statements")
    for line in question_checks(tune + hold):
        print(line)
    print(f"\nDisagreements on the tuning split ({sum(not s.agrees for s in tune)})")
    for line in disagreements(tune):
        print(line)
    if "--held-out-disagreements" in argv:
        print(f"\nDisagreements on the held-out split ({sum(not s.agrees for s in hold)})")
        for line in disagreements(hold):
            print(line)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
