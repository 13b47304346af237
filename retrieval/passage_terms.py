"""Which sentences of a passage use which terms.

Re-ranking and quoting look at every sentence of the top candidates. The index records this
for passages of up to `retrieval.index.MAX_SENTENCES` sentences; longer ones are read here,
and popular ones come back question after question, so their analysis is kept (bounded,
least recently used).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

from knowledge.sentences import sentence_spans
from knowledge.store import StoredPassage
from retrieval.text import Analyzer

# Passages whose analysis is remembered.
CAPACITY = 20_000


@dataclass(frozen=True)
class PassageTerms:
    """A passage's sentences, and for its terms the sentences that use them.

    `where[term]` is a bitmask: bit i for sentence i, and bit `sentences` for the title or
    section heading (they count toward the passage, not toward any sentence). Read from the
    index, `where` holds only the terms a question asked about.
    """

    text: str
    sentences: int
    where: Mapping[str, int]

    @cached_property
    def spans(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of each sentence (found only for the few passages quoted)."""
        return tuple(sentence_spans(self.text))


class PassageAnalyzer:
    """Analyzes passages for the answer path, memoized; safe to share between threads."""

    def __init__(self, analyzer: Analyzer, capacity: int = CAPACITY) -> None:
        self._analyzer = analyzer
        self.terms_of = lru_cache(maxsize=capacity)(self._analyze)

    def _analyze(self, passage: StoredPassage, title: str) -> PassageTerms:
        terms = self._analyzer.terms
        text = passage.text
        spans = sentence_spans(text)
        where: dict[str, int] = {}
        for i, (start, end) in enumerate(spans):
            bit = 1 << i
            for term in terms(text[start:end]):
                where[term] = where.get(term, 0) | bit
        outside = 1 << len(spans)
        for term in (*terms(title), *terms(passage.section)):
            where[term] = where.get(term, 0) | outside
        return PassageTerms(text, len(spans), where)
