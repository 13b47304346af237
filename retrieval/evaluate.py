"""Retrieval quality on a question set: hit@1, hit@3, MRR and the no-answer decision.

A question set is JSON Lines: {"question": ..., "expect": ["verbatim substring", ...]}, with
an optional "kind". A hit is relevant when its passage contains any expected substring; an
empty "expect" means the question must be declined. A declined answerable question counts
as a miss at every rank, because the user saw no passage at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from retrieval.answer import Answer

ALLOWED_KEYS = {"question", "expect", "kind"}


class EvalSetError(ValueError):
    """A question set line that cannot be used, with the line number."""


@dataclass(frozen=True)
class Case:
    """One question of a set."""

    line: int
    question: str
    expect: tuple[str, ...]
    kind: str | None = None

    @property
    def answerable(self) -> bool:
        """Whether the knowledge base should answer it."""
        return bool(self.expect)


@dataclass(frozen=True)
class Miss:
    """A question the knowledge base got wrong, and what it did instead."""

    case: Case
    rank: int | None  # rank of the first relevant hit, None when there was none
    declined: bool
    top: str  # the start of the best hit's text, for a quick look


@dataclass
class Report:
    """Figures over a question set."""

    answerable: int = 0
    unanswerable: int = 0
    hit_at_1: float = 0.0
    hit_at_3: float = 0.0
    mrr: float = 0.0
    declined_correctly: float = 0.0  # share of unanswerable questions declined
    declined_wrongly: float = 0.0  # share of answerable questions declined
    misses: list[Miss] = field(default_factory=list)


def load_cases(path: Path) -> list[Case]:
    """Read a question set; raise `EvalSetError` naming the line at the first bad one."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("question"), str) or not row["question"].strip():
            raise EvalSetError(f'{path}:{number}: each line needs a non-empty string "question"')
        expect = row.get("expect", [])
        if not isinstance(expect, list) or not all(isinstance(e, str) and e for e in expect):
            raise EvalSetError(f'{path}:{number}: "expect" must be a list of non-empty strings ([] = must decline)')
        if extra := set(row) - ALLOWED_KEYS:
            raise EvalSetError(f"{path}:{number}: unknown key(s) {sorted(extra)}; allowed: {sorted(ALLOWED_KEYS)}")
        cases.append(Case(number, row["question"], tuple(expect), row.get("kind")))
    if not cases:
        raise EvalSetError(f"{path}: no questions in the file")
    return cases


def evaluate(cases: list[Case], ask: Callable[[str], Answer]) -> Report:
    """Ask every question and score the answers."""
    report = Report()
    reciprocal = hits1 = hits3 = declined_ok = declined_bad = 0.0
    for case in cases:
        answer = ask(case.question)
        top = answer.hits[0].passage.text[:80] if answer.hits else ""
        if not case.answerable:
            report.unanswerable += 1
            if answer.answered:
                report.misses.append(Miss(case, None, False, top))
            else:
                declined_ok += 1
            continue
        report.answerable += 1
        rank = _first_relevant(answer, case.expect)
        if not answer.answered:
            declined_bad += 1
        if rank is not None and answer.answered:
            reciprocal += 1 / rank
            hits1 += rank == 1
            hits3 += rank <= 3
        if rank != 1 or not answer.answered:
            report.misses.append(Miss(case, rank, not answer.answered, top))
    if report.answerable:
        report.hit_at_1 = hits1 / report.answerable
        report.hit_at_3 = hits3 / report.answerable
        report.mrr = reciprocal / report.answerable
        report.declined_wrongly = declined_bad / report.answerable
    if report.unanswerable:
        report.declined_correctly = declined_ok / report.unanswerable
    return report


def _first_relevant(answer: Answer, expect: tuple[str, ...]) -> int | None:
    for hit in answer.hits:
        if any(e in hit.passage.text for e in expect):
            return hit.rank
    return None


def unknown_expectations(cases: list[Case], passage_texts: list[str]) -> list[str]:
    """Expected substrings that no passage contains (a typo in the set, or a passage split)."""
    return [
        f"line {case.line}: {e!r}"
        for case in cases
        for e in case.expect
        if not any(e in text for text in passage_texts)
    ]
