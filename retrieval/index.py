"""An in-memory BM25 index that scores exactly like rank-bm25's `BM25Okapi`.

rank-bm25 scans every passage in Python for every query term; this index keeps, per term,
the passages that contain it and their term frequencies (compressed sparse rows), so a query
only touches the passages that can score. IDF, k1, b and the epsilon floor for negative IDF
follow `BM25Okapi` to the letter, so `top_k` returns the same ranking as
`BM25Okapi(corpus).get_scores(query)` for every passage that contains a query term.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# BM25Okapi's defaults.
K1 = 1.5
B = 0.75
EPSILON = 0.25


@dataclass(frozen=True)
class Postings:
    """The raw, persistable arrays an index is made of."""

    terms: list[str]
    offsets: np.ndarray  # int64, len(terms) + 1: postings of term i are [offsets[i], offsets[i+1])
    passages: np.ndarray  # int32, passage positions, ascending within a term
    frequencies: np.ndarray  # int32, term frequency in that passage
    lengths: np.ndarray  # int32, tokens per passage

    @classmethod
    def from_tokens(cls, corpus: Iterable[Sequence[str]]) -> Postings:
        """Invert tokenized passages (position in `corpus` = passage position)."""
        by_term: dict[str, tuple[list[int], list[int]]] = {}
        lengths = []
        for position, tokens in enumerate(corpus):
            lengths.append(len(tokens))
            for term, count in Counter(tokens).items():
                entry = by_term.setdefault(term, ([], []))
                entry[0].append(position)
                entry[1].append(count)
        terms = sorted(by_term)
        sizes = [len(by_term[term][0]) for term in terms]
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        passages = np.fromiter((p for term in terms for p in by_term[term][0]), dtype=np.int32, count=int(offsets[-1]))
        frequencies = np.fromiter(
            (f for term in terms for f in by_term[term][1]), dtype=np.int32, count=int(offsets[-1])
        )
        return cls(terms, offsets, passages, frequencies, np.asarray(lengths, dtype=np.int32))


class BM25Index:
    """Immutable BM25Okapi index; build it once, share it between threads, swap it whole."""

    def __init__(self, postings: Postings, k1: float = K1, b: float = B, epsilon: float = EPSILON):
        self.postings = postings
        self.size = len(postings.lengths)
        self._term_ids = {term: i for i, term in enumerate(postings.terms)}
        self._idf = _okapi_idf(np.diff(postings.offsets), self.size, epsilon)
        self._impacts = self._precompute_impacts(k1, b)

    @classmethod
    def from_tokens(cls, corpus: Iterable[Sequence[str]], **params: float) -> BM25Index:
        """Index pre-tokenized passages; positions in `corpus` identify them."""
        return cls(Postings.from_tokens(corpus), **params)

    def __contains__(self, term: str) -> bool:
        return term in self._term_ids

    def document_frequency(self, term: str) -> int:
        """How many passages contain `term`."""
        i = self._term_ids.get(term)
        return 0 if i is None else int(self.postings.offsets[i + 1] - self.postings.offsets[i])

    def idf(self, term: str) -> float:
        """BM25Okapi's IDF of `term` (0 for a term the index has never seen, as in rank-bm25)."""
        i = self._term_ids.get(term)
        return 0.0 if i is None else float(self._idf[i])

    def top_k(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Best `k` passages for `query` as (position, score), best first.

        Each query token counts once per occurrence, as in rank-bm25. Only passages that
        contain at least one query term are returned; ties are broken by position.
        """
        return self.top_k_weighted(Counter(query), k)

    def top_k_weighted(self, weights: Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """Like `top_k`, with each term's contribution multiplied by its weight."""
        return self.top_k_grouped([[((term,), weight, False)] for term, weight in weights.items()], k)

    def top_k_grouped(
        self, groups: Sequence[Sequence[tuple[Sequence[str], float, bool]]], k: int
    ) -> list[tuple[int, float]]:
        """Best `k` passages when each group of weighted phrases counts once.

        A group is one thing the question asks about, written several ways (the question's
        words and their synonyms) as (terms, weight, whole) phrases; a passage earns the
        score of the group's best phrase in it, so a passage that uses three synonyms does
        not outrank one that uses the question's own word. A `whole` phrase scores only in
        passages that contain all of its terms ("restrictive measures" is not "measures").
        """
        if k <= 0 or self.size == 0:
            return []
        spans = {
            term: (int(self.postings.offsets[i]), int(self.postings.offsets[i + 1]))
            for group in groups
            for phrase, _, _ in group
            for term in phrase
            if (i := self._term_ids.get(term)) is not None
        }
        if not spans:
            return []
        candidates = np.unique(np.concatenate([self.postings.passages[s:e] for s, e in spans.values()]))
        total = np.zeros(len(candidates), dtype=np.float64)
        for group in groups:
            best = np.zeros(len(candidates), dtype=np.float64)
            for phrase, weight, whole in group:
                if weight and (not whole or all(t in spans for t in phrase)):
                    np.maximum(best, weight * self._phrase_scores(phrase, whole, spans, candidates), out=best)
            total += best
        if len(candidates) > k:
            keep = np.argpartition(-total, k - 1)[:k]
            candidates, total = candidates[keep], total[keep]
        order = np.lexsort((candidates, -total))
        return [(int(candidates[j]), float(total[j])) for j in order]

    def _phrase_scores(
        self, phrase: Sequence[str], whole: bool, spans: Mapping[str, tuple[int, int]], candidates: np.ndarray
    ) -> np.ndarray:
        """Sum of the phrase's term impacts per candidate; for a whole phrase, zero where a term is missing."""
        scores = np.zeros(len(candidates), dtype=np.float64)
        present = np.zeros(len(candidates), dtype=np.int32)
        terms = [t for t in dict.fromkeys(phrase) if t in spans]
        for term in terms:
            start, end = spans[term]
            where = np.searchsorted(candidates, self.postings.passages[start:end])
            scores[where] += self._impacts[start:end]
            present[where] += 1
        if whole:
            scores[present < len(terms)] = 0.0
        return scores

    def _precompute_impacts(self, k1: float, b: float) -> np.ndarray:
        """Score contribution of every (term, passage) posting, computed once."""
        p = self.postings
        if self.size == 0:
            return np.zeros(0)
        avgdl = float(p.lengths.sum()) / self.size
        tf = p.frequencies.astype(np.float64)
        lengths = p.lengths[p.passages].astype(np.float64)
        idf = np.repeat(self._idf, np.diff(p.offsets))
        norm = k1 * (1 - b + b * lengths / avgdl) if avgdl else np.full_like(tf, k1 * (1 - b))
        return idf * (tf * (k1 + 1) / (tf + norm))


def _okapi_idf(document_frequencies: np.ndarray, size: int, epsilon: float) -> np.ndarray:
    """BM25Okapi's IDF: log((N - df + 0.5) / (df + 0.5)), negatives floored to epsilon * mean."""
    df = document_frequencies.astype(np.float64)
    if len(df) == 0:
        return df
    idf = np.log(size - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * (math.fsum(idf.tolist()) / len(idf))
    return np.where(idf < 0, floor, idf)
