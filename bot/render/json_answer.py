"""Answers as JSON for scripts: the `policybot ask --json` format."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from retrieval.answer import Answer


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """The documented JSON shape of an answer (hits best first)."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "declined": answer.declined,
        "hits": [
            {
                "rank": hit.rank,
                "score": round(hit.score, 6),
                "coverage": round(hit.coverage, 4),
                "passage_id": hit.passage.id,
                "text": hit.passage.text,
                "section": hit.passage.section,
                "document": {"id": hit.document.id, "title": hit.document.title, "url": hit.document.url},
            }
            for hit in answer.hits
        ],
        "quotes": [
            {"text": quote.text, "citation": asdict(quote.citation), "highlights": [list(h) for h in quote.highlights]}
            for quote in answer.quotes
        ],
        "corrections": [{"typed": typed, "understood": fixed} for typed, fixed in answer.corrections],
        "topics": list(answer.topics),
    }
