"""Pick the sentences of the best passages that answer the question, as verbatim quotes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from retrieval.answer import Hit, Quote, Ranked, cite
from retrieval.asked_fact import Fact
from retrieval.decide import answers
from retrieval.passage_terms import PassageTerms
from retrieval.query import Query
from retrieval.text import Analyzer

# At most this many passages are quoted in one answer ...
MAX_QUOTED_PASSAGES = 3
# ... each scoring at least this share of the best hit's score ...
RELATIVE_SCORE = 0.6
# ... and at most this many sentences of each, those scoring this share of its best sentence.
MAX_SENTENCES = 2
SENTENCE_SHARE = 0.6

R = TypeVar("R", bound=Ranked)


def answer_pages(hits: Sequence[R], fact: Fact | None = None) -> list[list[R]]:
    """The hits worth quoting, in pages: none unless the best answers the question
    (and states the number or time it asks for, `fact`).

    The first page holds the answering hits that score close to the best; later pages
    hold the other answering hits, MAX_QUOTED_PASSAGES at a time.
    """
    if not hits or not answers(hits[0], fact):
        return []
    answering = [h for h in hits if answers(h, fact)]
    first = [h for h in answering if h.score >= RELATIVE_SCORE * hits[0].score][:MAX_QUOTED_PASSAGES]
    rest = [h for h in answering if h not in first]
    return [first] + [rest[i : i + MAX_QUOTED_PASSAGES] for i in range(0, len(rest), MAX_QUOTED_PASSAGES)]


def quotes_for(
    query: Query, hits: Sequence[Hit], analyzer: Analyzer, analyzed: Mapping[str, PassageTerms]
) -> list[Quote]:
    """Quotes from `hits` (`analyzed` by passage id), numbered by hit order; adjacent chosen
    sentences form one quote."""
    quotes = []
    for number, hit in enumerate(hits, start=1):
        citation = cite(hit, number)
        text = hit.passage.text
        for start, end in _chosen_sentences(query, analyzed[hit.passage.id]):
            piece = text[start:end]
            quotes.append(Quote(piece, citation, _highlights(query, piece, analyzer)))
    return quotes


def _chosen_sentences(query: Query, analyzed: PassageTerms) -> list[tuple[int, int]]:
    """The best sentences of a passage, in reading order, adjacent ones merged."""
    spans = analyzed.spans
    _, weights = query.locate(analyzed.where, analyzed.sentences)
    scored = [(weight, -i) for i, weight in enumerate(weights)]
    best = max(scored)[0]
    if best == 0:  # the passage matched on its title or heading only: quote its opening
        return [spans[0]]
    ranked = sorted(range(len(spans)), key=lambda i: scored[i], reverse=True)
    picked = sorted(i for i in ranked[:MAX_SENTENCES] if scored[i][0] >= SENTENCE_SHARE * best)
    merged: list[list[int]] = []
    for i in picked:
        if merged and merged[-1][1] == i - 1:
            merged[-1][1] = i
        else:
            merged.append([i, i])
    return [(spans[a][0], spans[b][1]) for a, b in merged]


def _highlights(query: Query, text: str, analyzer: Analyzer) -> tuple[tuple[int, int], ...]:
    """The words of `text` the question asked about (a compound spelt with a space is not one word)."""
    return tuple((start, end) for start, end in analyzer.term_spans(text, query.terms) if " " not in text[start:end])
