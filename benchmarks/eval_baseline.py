"""Compare policybot's retrieval with plain rank-bm25 on the same question sets, side by side.

The baseline is what the issue describes: rank-bm25's BM25Okapi over the article's
paragraphs, lowercase whitespace word splitting, no stop words, stemming, synonyms or
no-answer decision (it always answers with its best paragraph).

    python benchmarks/eval_baseline.py tests/eval/questions.jsonl benchmarks/eval/heldout.jsonl
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from rank_bm25 import BM25Okapi

from bot.settings import BUNDLED_KNOWLEDGE, BUNDLED_SYNONYMS
from retrieval.answer import Answer, Hit
from retrieval.evaluate import Report, evaluate, load_cases
from retrieval.knowledge_base import KnowledgeBase, rebuild


def baseline_asker(kb: KnowledgeBase):
    """Answer with plain rank-bm25 over the same passages, ranked by its scores."""
    passages = kb.store.passages(list(range(kb.passage_count)))
    model = BM25Okapi([re.findall(r"\w+", p.text.lower()) for p in passages])

    def ask(question: str) -> Answer:
        scores = model.get_scores(re.findall(r"\w+", question.lower()))
        order = sorted(range(len(passages)), key=lambda i: -scores[i])[:5]
        hits = tuple(
            Hit(rank, float(scores[i]), 0.0, 0, passages[i], kb.documents[passages[i].document_id])
            for rank, i in enumerate(order, start=1)
        )
        return Answer(question, hits, ())

    return ask


def row(name: str, report: Report) -> str:
    return (
        f"| {name} | {report.hit_at_1:.3f} | {report.hit_at_3:.3f} | {report.mrr:.3f} "
        f"| {report.declined_correctly:.3f} | {report.declined_wrongly:.3f} |"
    )


def main(paths: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "kb.db"
        rebuild(BUNDLED_KNOWLEDGE, db)
        kb = KnowledgeBase.open(db, BUNDLED_SYNONYMS)
        baseline = baseline_asker(kb)
        print("| set · system | hit@1 | hit@3 | MRR | declined-correctly | declined-wrongly |")
        print("|---|---|---|---|---|---|")
        for path in paths:
            cases = load_cases(Path(path))
            name = Path(path).name
            print(row(f"{name} · rank-bm25 baseline", evaluate(cases, baseline)))
            print(row(f"{name} · policybot", evaluate(cases, kb.ask)))


if __name__ == "__main__":
    main(sys.argv[1:] or ["tests/eval/questions.jsonl"])
