"""The terms of a passage and of each of its sentences, remembered between questions.

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
    """A passage's sentence spans, the terms of each sentence, and all its terms with title and section."""

    spans: tuple[tuple[int, int], ...]
    sentences: tuple[frozenset[str], ...]
    terms: frozenset[str]


class PassageAnalyzer:
    """Analyzes passages for the answer path, memoized; safe to share between threads."""

    def __init__(self, analyzer: Analyzer, capacity: int = CAPACITY) -> None:
        self._analyzer = analyzer
        self.terms_of = lru_cache(maxsize=capacity)(self._analyze)

    def _analyze(self, passage: StoredPassage, title: str) -> PassageTerms:
        terms = self._analyzer.terms
        text = passage.text
        spans = tuple(sentence_spans(text))
        sentences = tuple(frozenset(terms(text[start:end])) for start, end in spans)
        whole = frozenset().union(*sentences, terms(title), terms(passage.section))
        return PassageTerms(spans, sentences, whole)
