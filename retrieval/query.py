"""From a question to weighted index terms: stop words, typo repair, synonym expansion.

A question becomes a list of concepts (a word or synonym phrase it asks about, with the
phrases that may stand for it). Concepts drive both ranking (as weighted terms) and the
no-answer decision (how much of the question a passage covers).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from retrieval.asked_fact import Fact, asked_fact
from retrieval.index import BM25Index
from retrieval.synonyms import Phrase, Synonyms
from retrieval.text import STOP_WORDS, Analyzer, Token
from retrieval.vocabulary import Vocabulary

# Words that say how a question is asked, not what it is about.
QUESTION_WORDS = frozenset(
    """
    according actually anything article author authors claim claims describe described
    does explain explained explains give kind know let like mention
    mentioned mentions please piece say saying says said show something tell text think
    thinks thought writer writers write wrote written
    """.split()
)

# Everyday words that carry no topic: dropped from a question when the knowledge base
# does not use them ("is it a bad thing?"), kept as ordinary words when it does.
GENERIC_WORDS = frozenset(
    """
    able actual actually add again ago almost already also always among anybody anyone
    anything anyway anywhere around away bad basically become becomes best better big bit
    came come comes could currently day days definitely different does doing done else
    enough even ever every everyone everything exactly fact far fine get gets getting give
    given go goes going gone good got great guy guys happen happened happening happens
    help huge idea important instead issue issues kind know large last least less let
    like likely little look looking lot lots made main make makes making many matter may
    maybe mean might much must need needs never next nothing often okay one ones part
    people perhaps place point possible pretty probably put quite rather real really
    reason right said same saying see seem seems short since small something sometimes
    soon sort still stuff sure take takes taking talk talking thing things think time
    times today tomorrow told took totally try trying type use used using usually want
    vs versus wants way ways well whole within without wonder work would yeah yes yesterday yet
    """.split()
)

# Idioms whose words would otherwise match real topics ("so far" is not "the far right").
_IDIOMS = re.compile(
    r"\b(?:so far|thus far|right now|right away|as well|at all|after all|of course|for now|in general|these days)\b",
    re.IGNORECASE,
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
    corrections: tuple[tuple[str, str], ...] = ()  # (word as typed, the knowledge base's word it was read as)

    def sentences_in(self, where: Mapping[str, int]) -> int | None:
        """Where a passage mentions this concept in any of its phrasings: None if nowhere, else
        the bitmask of the sentences that hold a whole phrasing (`PassageTerms.where`)."""
        found = None
        for phrase in self.phrases:
            mask = -1
            for term in phrase:
                bits = where.get(term)
                if bits is None:
                    break
                mask &= bits
            else:
                found = mask if found is None else found | mask
        return found


@dataclass(frozen=True)
class Query:
    """An analyzed question."""

    text: str
    concepts: tuple[Concept, ...]
    fact: Fact | None = None  # the number or time it asks for, if any

    def groups(self) -> list[list[tuple[Phrase, float, bool]]]:
        """Per concept, its phrases: the question's own words (weight 1, any of them count)
        and synonyms (lower weight, only where the whole phrase occurs)."""
        return [
            [(phrase, 1.0, False) if i == 0 else (phrase, SYNONYM_WEIGHT, True) for i, phrase in enumerate(c.phrases)]
            for c in self.concepts
            if c.known
        ]

    def locate(self, where: Mapping[str, int], sentences: int) -> tuple[tuple[Concept, ...], list[float]]:
        """The concepts a passage mentions, and per sentence the weight of those it mentions whole.

        `where` and `sentences` describe the passage as `PassageTerms` does.
        """
        found = [(c, bits) for c in self.concepts if (bits := c.sentences_in(where)) is not None]
        weights = [sum(c.weight for c, bits in found if bits >> i & 1) for i in range(sentences)]
        return tuple(c for c, _ in found), weights

    def share(self, concepts: Sequence[Concept]) -> float:
        """Share of the question's weight that these of its concepts carry (0..1)."""
        return self.share_of(sum(c.weight for c in concepts))

    def share_of(self, weight: float) -> float:
        """Share of the question's weight that `weight` is (0..1)."""
        return weight / self._total_weight if self._total_weight else 0.0

    @cached_property
    def _total_weight(self) -> float:
        return sum(c.weight for c in self.concepts)

    @cached_property
    def terms(self) -> frozenset[str]:
        """Every term of every phrasing of the question's concepts."""
        return frozenset(t for c in self.concepts for phrase in c.phrases for t in phrase)


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
        # Composed, so "De\u0301tente" (as macOS keyboards send it) stays one word, "Détente".
        question = unicodedata.normalize("NFC", question)
        text = _IDIOMS.sub(lambda idiom: " " * len(idiom.group()), question)  # offsets stay put
        tokens = [(t, None) if self._is_filler(t) else self._repair(t) for t in self._analyzer.tokens(text)]
        concepts = []
        i = 0
        while i < len(tokens):
            span = self._longest_synonym_span(tokens, i)
            group = tokens[i : i + span]
            i += span
            if span == 1 and self._is_filler(group[0][0]):
                continue
            own: Phrase = tuple(t.term for t, _ in group)
            phrases = (own, *tuple(p for p in self._synonyms.alternatives(own) if p != own))
            corrections = tuple((question[t.start : t.end], fix) for t, fix in group if fix)
            concepts.append(
                Concept(
                    text=question[group[0][0].start : group[-1][0].end],
                    phrases=phrases,
                    weight=self._weight(phrases),
                    known=any(all(t in self.index for t in p) for p in phrases),
                    corrections=corrections,
                )
            )
        return Query(question, tuple(_weigh_unknown(_dedupe(concepts), self._unknown_weight)), asked_fact(question))

    def _is_filler(self, token: Token) -> bool:
        """A word that names no topic: everyday words and "US-EU" joined, when the knowledge base lacks them."""
        return (token.compound or token.word in GENERIC_WORDS) and token.term not in self.index

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


def _weigh_unknown(concepts: list[Concept], number_weight: float) -> list[Concept]:
    """Give words the knowledge base lacks the mean weight of the question's known words.

    An unknown word is evidence the question is about something else ("sanctions on
    iran"), but no stronger than a typical word of the question: paraphrases use words
    the documents don't, and should still be answered when the rest matches. A number
    the documents never mention ("biden russia policy 2022") is a fact they cannot have,
    so it weighs as much as the rarest word.
    """
    known = [c.weight for c in concepts if c.known]
    if not known:
        return concepts
    mean = sum(known) / len(known)
    return [c if c.known else replace(c, weight=number_weight if c.text.isdigit() else mean) for c in concepts]


def _dedupe(concepts: list[Concept]) -> list[Concept]:
    seen: set[tuple[Phrase, ...]] = set()
    unique = []
    for concept in concepts:
        if concept.phrases not in seen:
            seen.add(concept.phrases)
            unique.append(concept)
    return unique
