"""From a question to weighted index terms: stop words, typo repair, synonym expansion.

A question becomes a list of concepts (a word or synonym phrase it asks about, with the
phrases that may stand for it). Concepts drive both ranking (as weighted terms) and the
no-answer decision (how much of the question a passage covers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from retrieval.index import BM25Index
from retrieval.synonyms import Phrase, Synonyms
from retrieval.text import STOP_WORDS, Analyzer, Token
from retrieval.vocabulary import Vocabulary

# Words that say how a question is asked, not what it is about.
QUESTION_WORDS = frozenset(
    """
    according actually anything article author authors claim claims describe described
    does explain explained explains give kind know let like mean meaning means mention
    mentioned mentions please piece say saying says said show something tell text think
    thinks thought writer writers write wrote written
    """.split()
)

# Weight of a term the question did not use but a synonym of it did.
SYNONYM_WEIGHT = 0.5


@dataclass(frozen=True)
class Concept:
    """Something the question asks about; `phrases[0]` is what the question said."""

    text: str
    phrases: tuple[Phrase, ...]
    weight: float  # how much it matters: smoothed IDF, highest for words the knowledge base lacks
    known: bool  # whether any of its phrases occurs in the knowledge base
    correction: str | None = None  # the knowledge base's word a typo was repaired to

    def covered_by(self, terms: set[str]) -> bool:
        """Whether a text with these terms mentions this concept in any of its phrasings."""
        return any(all(t in terms for t in phrase) for phrase in self.phrases)


@dataclass(frozen=True)
class Query:
    """An analyzed question."""

    text: str
    concepts: tuple[Concept, ...]

    def term_weights(self) -> dict[str, float]:
        """Index term -> weight: 1 for the question's own terms, less for synonyms."""
        weights: dict[str, float] = {}
        for concept in self.concepts:
            for i, phrase in enumerate(concept.phrases):
                weight = 1.0 if i == 0 else SYNONYM_WEIGHT
                for term in phrase:
                    weights[term] = max(weights.get(term, 0.0), weight)
        return weights

    def coverage(self, terms: set[str]) -> float:
        """Share of the question's weight that a text with `terms` covers (0..1)."""
        total = sum(c.weight for c in self.concepts)
        if not total:
            return 0.0
        return sum(c.weight for c in self.concepts if c.covered_by(terms)) / total

    def matched_terms(self, terms: set[str]) -> set[str]:
        """The terms of `terms` that some concept's phrase is made of (for highlighting)."""
        return {t for c in self.concepts for phrase in c.phrases for t in phrase if t in terms}


class QueryParser:
    """Parses questions against one index, vocabulary and synonyms (immutable, thread-safe)."""

    def __init__(self, index: BM25Index, vocabulary: Vocabulary, synonyms: Synonyms) -> None:
        self.index = index
        self._synonyms = synonyms
        self._vocabulary = vocabulary.with_words(synonyms.words)
        self._analyzer = Analyzer(STOP_WORDS | QUESTION_WORDS)
        self._unknown_weight = _smoothed_idf(0, index.size)

    def parse(self, question: str) -> Query:
        """Analyze `question` into concepts."""
        tokens = [self._repair(t) for t in self._analyzer.tokens(question)]
        concepts = []
        i = 0
        while i < len(tokens):
            span = self._longest_synonym_span(tokens, i)
            group = tokens[i : i + span]
            own: Phrase = tuple(t.term for t, _ in group)
            phrases = (own, *tuple(p for p in self._synonyms.alternatives(own) if p != own))
            corrections = [fix for _, fix in group if fix]
            concepts.append(
                Concept(
                    text=question[group[0][0].start : group[-1][0].end],
                    phrases=phrases,
                    weight=self._weight(phrases),
                    known=any(all(t in self.index for t in p) for p in phrases),
                    correction=" ".join(corrections) or None,
                )
            )
            i += span
        return Query(question, tuple(_dedupe(concepts)))

    def _repair(self, token: Token) -> tuple[Token, str | None]:
        """Replace an unknown word by the closest word the knowledge base knows."""
        if token.term in self.index or token.word in self._vocabulary:
            return token, None
        fixed = self._vocabulary.correct(token.word)
        if fixed is None:
            return token, None
        term = self._vocabulary.term(fixed) or fixed
        return Token(token.start, token.end, fixed, term), fixed

    def _longest_synonym_span(self, tokens: list[tuple[Token, str | None]], start: int) -> int:
        for span in range(min(self._synonyms.longest, len(tokens) - start), 1, -1):
            if self._synonyms.alternatives(tuple(t.term for t, _ in tokens[start : start + span])):
                return span
        return 1

    def _weight(self, phrases: tuple[Phrase, ...]) -> float:
        """The concept's importance: the rarest way the knowledge base writes it."""
        known = [p for p in phrases if all(t in self.index for t in p)]
        if not known:
            return self._unknown_weight
        return max(
            sum(_smoothed_idf(self.index.document_frequency(t), self.index.size) for t in p) / len(p) for p in known
        )


def _smoothed_idf(document_frequency: int, size: int) -> float:
    """An always-positive IDF (Lucene's), so even tiny knowledge bases weigh words sensibly."""
    return math.log(1 + (size - document_frequency + 0.5) / (document_frequency + 0.5))


def _dedupe(concepts: list[Concept]) -> list[Concept]:
    seen: set[tuple[Phrase, ...]] = set()
    unique = []
    for concept in concepts:
        if concept.phrases not in seen:
            seen.add(concept.phrases)
            unique.append(concept)
    return unique
