"""Quality floors on the evaluation set: retrieval quality cannot silently drop."""

import json
from pathlib import Path

import pytest

from retrieval.answer import Answer
from retrieval.evaluate import EvalSetError, evaluate, load_cases, unknown_expectations

QUESTIONS = Path(__file__).parent / "eval" / "questions.jsonl"

# Agreed floors (measured values sit above them; see the README's Evaluation section).
FLOORS = {"hit_at_1": 0.85, "hit_at_3": 0.90, "mrr": 0.85, "declined_correctly": 0.70}
MAX_DECLINED_WRONGLY = 0.05


@pytest.fixture(scope="module")
def cases():
    return load_cases(QUESTIONS)


@pytest.fixture(scope="module")
def report(kb, cases):
    return evaluate(cases, kb.ask)


def test_the_set_is_big_enough(cases):
    assert len(cases) >= 60
    assert sum(not c.answerable for c in cases) >= 12


def test_every_expected_text_exists(kb, cases):
    assert unknown_expectations(cases, kb.store.passage_texts()) == []


def test_every_passage_of_the_article_is_asked_about(kb, cases):
    expected = [e for c in cases for e in c.expect]
    unasked = [t[:60] for t in kb.store.passage_texts() if not any(e in t for e in expected)]
    assert unasked == []


@pytest.mark.parametrize("figure", sorted(FLOORS))
def test_quality_stays_above_its_floor(report, figure):
    assert getattr(report, figure) >= FLOORS[figure], [m.case.question for m in report.misses]


def test_answerable_questions_are_rarely_declined(report):
    assert report.declined_wrongly <= MAX_DECLINED_WRONGLY, [m.case.question for m in report.misses if m.declined]


def fixed(answered: bool):
    return lambda question: Answer(question, (), (), None if answered else "not_covered")


def test_metrics_count_declines_as_misses(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "a", "expect": ["x"]}\n{"question": "b", "expect": []}\n', encoding="utf-8")
    report = evaluate(load_cases(path), fixed(answered=False))
    assert (report.hit_at_1, report.declined_wrongly, report.declined_correctly) == (0.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", r"q\.jsonl:1: not valid JSON"),
        ('{"expect": []}', 'needs a non-empty string "question"'),
        ('{"question": "q", "expect": "x"}', '"expect" must be a list'),
        ('{"question": "q", "expect": [], "extra": 1}', "unknown key"),
    ],
)
def test_bad_lines_are_reported_with_their_number(tmp_path, line, message):
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=message):
        load_cases(path)


def test_lines_keep_their_kind(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"question": "q", "expect": [], "kind": "out-of-scope"}) + "\n", encoding="utf-8")
    assert load_cases(path)[0].kind == "out-of-scope"
