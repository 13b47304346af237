"""Which sentences of a passage use which terms, remembered between questions.

Re-ranking and quoting look at every sentence of the top candidates; popular passages come
back question after question, so their analysis is kept (bounded, least recently used).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from knowledge.sentences import sentence_spans
from knowledge.store import StoredPassage
from retrieval.text import Analyzer

# Passages whose analysis is remembered.
CAPACITY = 20_000


@dataclass(frozen=True)
class PassageTerms:
    """A passage's sentence spans, and for each of its terms the sentences that use it.

    `where[term]` is a bitmask: bit i for sentence i, and bit `len(spans)` for the title or
    section heading (they count toward the passage, not toward any sentence).
    """

    spans: tuple[tuple[int, int], ...]
    where: dict[str, int]


class PassageAnalyzer:
    """Analyzes passages for the answer path, memoized; safe to share between threads."""

    def __init__(self, analyzer: Analyzer, capacity: int = CAPACITY) -> None:
        self._analyzer = analyzer
        self.terms_of = lru_cache(maxsize=capacity)(self._analyze)

    def _analyze(self, passage: StoredPassage, title: str) -> PassageTerms:
        terms = self._analyzer.terms
        text = passage.text
        spans = tuple(sentence_spans(text))
        where: dict[str, int] = {}
        for i, (start, end) in enumerate(spans):
            bit = 1 << i
            for term in terms(text[start:end]):
                where[term] = where.get(term, 0) | bit
        outside = 1 << len(spans)
        for term in (*terms(title), *terms(passage.section)):
            where[term] = where.get(term, 0) | outside
        return PassageTerms(spans, where)
