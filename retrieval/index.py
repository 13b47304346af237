"""An in-memory BM25 index that scores exactly like rank-bm25's `BM25Okapi`, fast at scale.

rank-bm25 scans every passage in Python for every query term. This index precomputes each
(term, passage) score contribution ("impact", float64, with BM25Okapi's IDF, epsilon floor,
k1 and b) and answers top-k queries with MaxScore-style dynamic pruning:

- Each term's postings are ordered by falling impact and split into tiers (the best
  FIRST_TIER postings, then tiers TIER_GROWTH times larger). A tier's first impact bounds
  what any passage in it, or a later tier, can gain from the term.
- Tiers are visited where they lower the bounds most per posting, and their passages
  scored in a dense accumulator. Once the bounds of all unvisited tiers add up to less than
  the k-th best score so far, no unseen passage can enter the top k: the rest of each term
  only completes the candidates that can still make it (looked up by binary search in a
  passage-ordered copy, through a per-passage array for a word in many passages, or
  scattered whole when it is short).

So a common word found in most passages costs little, and results equal
`BM25Okapi(corpus).get_scores(query)`'s top k (up to exact ties, broken by position)
for every passage that contains a query term.

Passages indexed sentence by sentence (the knowledge base's are) also record, per posting,
which of the passage's sentences use the term: re-ranking the candidates by what single
sentences cover then needs no re-reading of their text.
"""

from __future__ import annotations

import math
import os
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from itertools import chain
from typing import NamedTuple

import numpy as np

from knowledge.arrays import array_to_strings, strings_to_array

# BM25Okapi's defaults.
K1 = 1.5
B = 0.75
EPSILON = 0.25
# Size of a term's first (highest-impact) tier; each later tier is TIER_GROWTH times larger.
FIRST_TIER = 1024
TIER_GROWTH = 4
# Passages scored exactly to set the floor the k-th best score cannot be under.
FLOOR_SAMPLE = 256
# Terms in at least this share of passages are looked up through a per-passage array (4 bytes
# a passage each, built when the index opens) instead of by binary search in their postings.
DENSE_SHARE = 0.25
# The search's last step adds a sparse term's unvisited postings to its candidates by scattering
# them, not by a binary search per candidate, when they number at most SCATTER_SHARE times the
# candidates: scattering 1,992 postings took 16 µs, looking up 3,000 candidates 123 µs.
SCATTER_SHARE = 4
# Passages inverted at a time while building.
CHUNK = 50_000
# Postings sorted by impact at a time at the end of a build: bounds that step's temporaries.
SORT_BLOCK = 2_000_000
# Sentence masks are uint16: bit i for sentence i, the next bit for the title and heading.
# A passage of more sentences records none (its sentence count is stored as 0).
MAX_SENTENCES = 15


# One thing a question asks about, as (terms, weight, whole) phrases (see `BM25Index.top_k_grouped`).
Group = Sequence[tuple[Sequence[str], float, bool]]


@dataclass(frozen=True)
class IndexArrays:
    """The persistable arrays an index is made of."""

    terms: list[str]  # sorted
    term_tiers: np.ndarray  # int64, len(terms) + 1: tiers of term i are [term_tiers[i], term_tiers[i + 1])
    tier_starts: np.ndarray  # int64, tiers + 1: postings of tier j are [tier_starts[j], tier_starts[j + 1])
    tier_max: np.ndarray  # float64, the largest impact in each tier
    passages: np.ndarray  # int32, passage positions, by falling impact within a term
    impacts: np.ndarray  # float64, each posting's score contribution
    doc_passages: np.ndarray  # int32, the same postings per term in passage order, for lookups
    doc_postings: np.ndarray  # int32, where each of those sits in `passages` / `impacts`
    sentence_masks: np.ndarray  # uint16, each posting's sentences using the term (see `BM25Index.sentences`)
    sentence_counts: np.ndarray  # uint8, per passage: its sentences, 0 when it records no masks
    document_frequencies: np.ndarray  # int32, per term
    idf: np.ndarray  # float64, per term, BM25Okapi's
    size: int  # passages in the corpus

    def as_dict(self) -> dict[str, np.ndarray]:
        """Name -> array, for `knowledge.arrays.write_arrays`."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("terms", "size")}
        return {**arrays, "terms": strings_to_array(self.terms), "size": np.array([self.size], dtype=np.int64)}

    @classmethod
    def from_dict(cls, arrays: Mapping[str, np.ndarray]) -> IndexArrays:
        """The inverse of `as_dict`."""
        given = {f.name: arrays[f.name] for f in fields(cls) if f.name not in ("terms", "size")}
        return cls(terms=array_to_strings(arrays["terms"]), size=int(arrays["size"][0]), **given)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The array names `as_dict` writes."""
        return tuple(f.name for f in fields(cls))


def build_arrays(
    corpus: Iterable[Sequence[str]], k1: float = K1, b: float = B, epsilon: float = EPSILON
) -> IndexArrays:
    """Invert tokenized passages (position in `corpus` = passage position) into tiered postings
    (with no sentences recorded)."""
    builder = IndexBuilder()
    for tokens in corpus:
        builder.add(tokens)
    return builder.finish(k1, b, epsilon)


class Postings(NamedTuple):
    """Every distinct term of each passage of a run of passages, grouped by term, in compact dtypes."""

    terms: np.ndarray  # int32, each term once
    counts: np.ndarray  # int32, each term's postings, which follow those of the term before
    passages: np.ndarray  # uint16 or int32, each posting's passage (in the run), ascending per term
    frequencies: np.ndarray  # uint16 or int32, how often the term occurs in that passage
    sentence_masks: np.ndarray  # uint16, which sentences of that passage use the term (0: not recorded)


class IndexBuilder:
    """Inverts passages as they come, CHUNK at a time with numpy.

    Only compact postings are kept, never the token lists, so a million passages index in
    seconds. `finish` places each run's postings straight into the final arrays (a counting
    sort by term), so the memory peak stays near the final arrays' size.
    """

    def __init__(self) -> None:
        self._ids: defaultdict[str, int] = defaultdict()
        self._ids.default_factory = self._ids.__len__  # a new token gets the next id
        self._lengths: list[np.ndarray] = []
        self._sentence_counts: list[np.ndarray] = []
        self._size = 0
        self._pieces: list[tuple[Postings, int]] = []  # with the position of each run's first passage
        self._chunk: list[Sequence[str]] = []

    def add(self, tokens: Sequence[str]) -> None:
        """Add the next passage."""
        self._chunk.append(tokens)
        if len(self._chunk) == CHUNK:
            self._flush()

    def term_ids(self, terms: Sequence[str]) -> np.ndarray:
        """This builder's ids of `terms` (new terms get new ids), for `add_postings`."""
        return np.fromiter(map(self._ids.__getitem__, terms), np.int32, len(terms))

    def add_postings(self, postings: Postings, lengths: np.ndarray, sentence_counts: np.ndarray) -> None:
        """Add the next `len(lengths)` passages, counted elsewhere (a worker process), with this
        builder's term ids; `lengths` counts each passage's terms, `sentence_counts` its
        sentences (0 where `postings` records no sentence masks)."""
        self._flush()
        self._pieces.append((postings, self._size))
        self._lengths.append(lengths)
        self._sentence_counts.append(sentence_counts.astype(np.uint8))
        self._size += len(lengths)

    def finish(self, k1: float = K1, b: float = B, epsilon: float = EPSILON) -> IndexArrays:
        """The index of every passage added."""
        self._flush()
        size, ids, pieces = self._size, self._ids, self._pieces
        # Number terms alphabetically, so the arrays do not depend on corpus order.
        terms = sorted(ids)
        rank = np.empty(len(terms), dtype=np.int32)
        rank[[ids[t] for t in terms]] = np.arange(len(terms), dtype=np.int32)
        document_frequencies = np.zeros(len(terms), dtype=np.int32)
        for postings, _ in pieces:
            document_frequencies[rank[postings.terms]] += postings.counts
        idf = okapi_idf(document_frequencies, size, epsilon)
        doc_lengths = np.concatenate(self._lengths).astype(np.float64) if self._lengths else np.zeros(0)
        avgdl = doc_lengths.sum() / size if size else 0.0
        term_starts = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(document_frequencies, out=term_starts[1:])
        # Each term's postings in passage order (the lookup copy), with their impacts.
        doc_passages = np.empty(int(term_starts[-1]), dtype=np.int32)
        impacts = np.empty(len(doc_passages), dtype=np.float64)
        sentence_masks = np.empty(len(doc_passages), dtype=np.uint16)
        free = term_starts[:-1].copy()  # the next free slot of each term
        while pieces:
            (run_terms, counts, run_passages, frequencies, run_masks), first = pieces.pop(0)
            run_terms = rank[run_terms]
            ends = np.cumsum(counts, dtype=np.int64)
            slots = np.repeat(free[run_terms] - (ends - counts), counts) + np.arange(len(run_passages))
            free[run_terms] += counts
            passage_of = run_passages.astype(np.int32) + first
            doc_passages[slots] = passage_of
            sentence_masks[slots] = run_masks
            term_idf = np.repeat(idf[run_terms], counts)
            impacts[slots] = _impacts(frequencies, doc_lengths[passage_of], term_idf, avgdl, k1, b)
        del free
        # Each term's postings by falling impact (stable: ties stay in passage order), with
        # where each posting of the lookup copy went; blocks of whole terms, in threads (numpy
        # sorts without the GIL).
        passages = np.empty_like(doc_passages)
        doc_postings = np.empty_like(doc_passages)

        def sort_block(block: tuple[int, int]) -> None:
            first, last = block
            start, end = int(term_starts[first]), int(term_starts[last])
            by_impact = np.argsort(-impacts[start:end], kind="stable")
            # uint16 terms: numpy's stable sort of them is a radix sort.
            term_of = np.repeat(np.arange(last - first, dtype=np.uint16), document_frequencies[first:last])
            by_impact = by_impact[np.argsort(term_of[by_impact], kind="stable")]
            passages[start:end] = doc_passages[start:end][by_impact]
            impacts[start:end] = impacts[start:end][by_impact]
            sentence_masks[start:end] = sentence_masks[start:end][by_impact]
            by_impact += start
            doc_postings[by_impact] = np.arange(start, end, dtype=np.int32)

        with ThreadPoolExecutor(_threads(), thread_name_prefix="index-sort") as threads:
            list(threads.map(sort_block, _term_blocks(term_starts)))
        term_tiers, tier_starts, tier_max = _tiers(document_frequencies, impacts)
        sentence_counts = np.concatenate(self._sentence_counts) if self._sentence_counts else np.zeros(0, np.uint8)
        return IndexArrays(
            terms, term_tiers, tier_starts, tier_max, passages, impacts, doc_passages, doc_postings,
            sentence_masks, sentence_counts, document_frequencies, idf, size,
        )  # fmt: skip

    def _flush(self) -> None:
        if self._chunk:
            counts = np.fromiter(map(len, self._chunk), np.int64, len(self._chunk))
            tokens = chain.from_iterable(self._chunk)
            flat = np.fromiter(map(self._ids.__getitem__, tokens), np.int64, int(counts.sum()))
            self._pieces.append((count_postings(flat, counts, np.zeros(len(flat), np.uint16)), self._size))
            self._lengths.append(counts)
            self._sentence_counts.append(np.zeros(len(counts), np.uint8))
            self._size += len(self._chunk)
            self._chunk = []


def count_postings(term_ids: np.ndarray, lengths: np.ndarray, sentence_bits: np.ndarray) -> Postings:
    """The postings of passages given as their terms' ids, one passage after another (`lengths`
    each), with each term occurrence's sentence bit (uint16; 0 where sentences are not recorded)."""
    passages = len(lengths)
    if len(term_ids) and (int(term_ids.max()) + 1) * passages >= 1 << 47:
        raise ValueError(f"{passages:,} passages with {int(term_ids.max()) + 1:,} terms: count them in smaller runs")
    owner = np.repeat(np.arange(passages, dtype=np.int64), lengths)
    # Each occurrence as (term, passage, sentence bit) in one int64, sorted in place (much
    # faster than an argsort), so its (term, passage) runs are adjacent.
    occurrences = (term_ids.astype(np.int64) * passages + owner) << 16 | sentence_bits
    occurrences.sort()
    keys = occurrences >> 16
    firsts = np.flatnonzero(np.diff(keys, prepend=-1))  # of each (term, passage)
    frequencies = np.diff(firsts, append=len(keys))
    bits = (occurrences & 0xFFFF).astype(np.uint16)
    masks = np.bitwise_or.reduceat(bits, firsts) if len(keys) else np.zeros(0, np.uint16)
    term_of, local = np.divmod(keys[firsts], passages)
    starts = np.flatnonzero(np.diff(term_of, prepend=-1))
    counts = np.diff(starts, append=len(term_of)).astype(np.int32)
    return Postings(term_of[starts].astype(np.int32), counts, _compact(local), _compact(frequencies), masks)


def _compact(values: np.ndarray) -> np.ndarray:
    """Non-negative integers as uint16 when they fit (most do), else int32."""
    return values.astype(np.uint16 if not len(values) or values.max() <= np.iinfo(np.uint16).max else np.int32)


def _impacts(
    frequencies: np.ndarray, lengths: np.ndarray, idf: np.ndarray, avgdl: float, k1: float, b: float
) -> np.ndarray:
    """idf * tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)) per posting, in place (`lengths` is consumed)."""
    norm = lengths
    if avgdl:
        norm *= k1 * b / avgdl
    else:
        norm[:] = 0.0
    norm += k1 * (1 - b)
    impacts = frequencies.astype(np.float64)
    norm += impacts
    impacts *= k1 + 1
    impacts /= norm
    impacts *= idf
    return impacts


def _term_blocks(term_starts: np.ndarray) -> list[tuple[int, int]]:
    """Runs of whole terms [first, last) with about SORT_BLOCK postings (a larger term alone) and
    fewer than 2**16 terms each."""
    blocks, first, terms = [], 0, len(term_starts) - 1
    while first < terms:
        last = int(np.searchsorted(term_starts, term_starts[first] + SORT_BLOCK))
        last = min(max(last, first + 1), first + np.iinfo(np.uint16).max, terms)
        blocks.append((first, last))
        first = last
    return blocks


def _threads() -> int:
    """Threads for the final sort: one per core this process may run on, up to 4."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, 4))


def _tiers(document_frequencies: np.ndarray, impacts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each term's impact-ordered postings into tiers: (term_tiers, tier_starts, tier_max).

    Tier t of a term holds its impact ranks [F (G^t - 1) / (G - 1), F (G^(t+1) - 1) / (G - 1)).
    """
    term_starts = np.zeros(len(document_frequencies) + 1, dtype=np.int64)
    np.cumsum(document_frequencies, out=term_starts[1:])
    tier_ends = np.cumsum(FIRST_TIER * TIER_GROWTH ** np.arange(64, dtype=np.float64))
    tier_starts, term_tiers = [0], [0]
    for df, start in zip(document_frequencies.tolist(), term_starts[:-1].tolist(), strict=True):
        cuts = [start + int(end) for end in tier_ends[: int(np.searchsorted(tier_ends, df))]]
        tier_starts += [*cuts, start + df] if df else []
        term_tiers.append(len(tier_starts) - 1)
    starts = np.asarray(tier_starts, dtype=np.int64)
    tier_max = np.maximum.reduceat(impacts, starts[:-1]) if len(impacts) else np.zeros(0)
    return np.asarray(term_tiers, dtype=np.int64), starts, tier_max.astype(np.float64)


def okapi_idf(document_frequencies: np.ndarray, size: int, epsilon: float = EPSILON) -> np.ndarray:
    """BM25Okapi's IDF: log(N - df + 0.5) - log(df + 0.5), negatives floored to epsilon * mean."""
    df = document_frequencies.astype(np.float64)
    if len(df) == 0:
        return df
    idf = np.log(size - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * (math.fsum(idf.tolist()) / len(idf))
    return np.where(idf < 0, floor, idf)


class BM25Index:
    """Immutable BM25Okapi index; build it once, share it between threads, swap it whole."""

    def __init__(self, arrays: IndexArrays) -> None:
        self.arrays = arrays
        self.size = arrays.size
        self._term_ids = {term: i for i, term in enumerate(arrays.terms)}
        # Pruning assumes no term lowers a score; BM25Okapi's floor can be negative on tiny corpora.
        self._prunable = not (len(arrays.impacts) and float(np.min(arrays.tier_max)) < 0)
        self._scratch = threading.local()
        common = np.flatnonzero(arrays.document_frequencies >= DENSE_SHARE * self.size).tolist()
        self._dense = {term: self._dense_postings(term) for term in common}  # see _impacts_of

    @classmethod
    def from_tokens(cls, corpus: Iterable[Sequence[str]], **params: float) -> BM25Index:
        """Index pre-tokenized passages; positions in `corpus` identify them."""
        return cls(build_arrays(corpus, **params))

    def __contains__(self, term: str) -> bool:
        return term in self._term_ids

    def document_frequency(self, term: str) -> int:
        """How many passages contain `term`."""
        i = self._term_ids.get(term)
        return 0 if i is None else int(self.arrays.document_frequencies[i])

    def idf(self, term: str) -> float:
        """BM25Okapi's IDF of `term` (0 for a term the index has never seen, as in rank-bm25)."""
        i = self._term_ids.get(term)
        return 0.0 if i is None else float(self.arrays.idf[i])

    def top_k(self, query: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Best `k` passages for `query` as (position, score), best first.

        Each query token counts once per occurrence, as in rank-bm25. Only passages that
        contain at least one query term are returned; ties are broken by position.
        """
        return self.top_k_weighted(Counter(query), k)

    def top_k_weighted(self, weights: Mapping[str, float], k: int) -> list[tuple[int, float]]:
        """Like `top_k`, with each term's contribution multiplied by its (positive) weight."""
        terms = [(self._term_ids[t], float(w)) for t, w in weights.items() if t in self._term_ids and w > 0]
        if k <= 0 or not terms:
            return []
        return self._search(terms, k)

    def top_k_grouped(self, groups: Sequence[Group], k: int, candidates: int = 50) -> list[tuple[int, float]]:
        """Best `k` passages when each group of weighted phrases counts once.

        A group is one thing the question asks about, written several ways (the question's
        words and their synonyms) as (terms, weight, whole) phrases; a passage earns the
        score of the group's best phrase in it, so a passage that uses three synonyms does
        not outrank one that uses the question's own word. A `whole` phrase scores only in
        passages that contain all of its terms ("restrictive measures" is not "measures").
        The best `candidates` passages by plain weighted BM25 are re-scored this way (unless
        that is the grouped score already).
        """
        weights: dict[str, float] = {}
        for group in groups:
            for phrase, weight, _ in group:
                for term in phrase:
                    weights[term] = max(weights.get(term, 0.0), weight)
        if _scores_plainly(groups, weights):
            return self.top_k_weighted(weights, k)
        found = self.top_k_weighted(weights, max(k, candidates))
        if not found:
            return []
        positions = np.array([p for p, _ in found], dtype=np.intp)
        impacts = {t: self._impacts_of(self._term_ids[t], positions) for t in weights if t in self._term_ids}
        total = np.zeros(len(positions))
        for group in groups:
            best = np.zeros(len(positions))
            for phrase, weight, whole in group:
                present = [impacts[t] for t in dict.fromkeys(phrase) if t in impacts]
                if not present or (whole and len(present) < len(set(phrase))):
                    continue
                score = np.sum(present, axis=0)
                if whole:
                    score[np.any(np.array(present) == 0, axis=0)] = 0.0
                np.maximum(best, weight * score, out=best)
            total += best
        order = np.lexsort((positions, -total))[:k]
        return [(int(positions[j]), float(total[j])) for j in order]

    def _search(self, terms: list[tuple[int, float]], k: int) -> list[tuple[int, float]]:
        """Exact top-k over weighted terms, visiting as few postings as the bounds allow.

        1. Scatter each term's first (best) tier, except those of dense terms: a word in most
           passages has impacts so alike that its first tier barely lowers its bound, and a
           lookup in it is one gather. The k-th best score so far is a floor the final k-th
           best cannot be under; when that floor prunes too little, the most promising
           passages are scored exactly, for a higher one.
        2. While a passage seen nowhere yet could still beat that floor (the sum of each
           term's next-tier bound is above it), scatter the tier that lowers that sum most
           per posting, and raise the floor again.
        3. Complete the seen passages that can still make it, term by term.
        """
        a = self.arrays
        plan = [_TermTiers(a, term, weight) for term, weight in terms]
        scores, seen = self._buffers()
        found: list[np.ndarray] = []

        def scatter(tiers: _TermTiers, start: int, end: int) -> np.ndarray:
            ids = a.passages[start:end].astype(np.intp)  # see _postings_at
            scores[ids] += tiers.weight * a.impacts[start:end]
            return ids

        def visit(tiers: _TermTiers) -> None:
            ids = scatter(tiers, *tiers.advance())
            new = ids[seen[ids] == 0]
            seen[new] = 1
            found.append(new)

        try:
            for tiers in [t for t in plan if t.term not in self._dense] or plan:
                visit(tiers)
            floor, floored_at = -math.inf, 0
            while left := [t for t in plan if not t.done]:  # else every posting is scored already
                candidates = np.concatenate(found)
                if self._prunable and len(candidates) >= k:
                    unseen_bound = sum(t.bound for t in left)
                    # Partial scores only grow: their k-th best is a floor at no cost, and the
                    # exact floor (lookups) is worth its cost only when that one is not enough.
                    floor = max(floor, _kth_largest(scores[candidates], k))
                    if unseen_bound >= floor and len(candidates) >= 2 * floored_at:
                        floor = max(floor, self._exact_floor(plan, candidates, scores, k))
                        floored_at = len(candidates)
                    if unseen_bound < floor:
                        break  # no passage outside the candidates can reach the top k any more
                visit(max(left, key=_TermTiers.gain_per_posting))
            # Sorted, so each binary search below starts where the last one ended.
            candidates = np.sort(np.concatenate(found))
            pending = []
            for tiers in _unvisited(plan):
                if self._looks_up(tiers, len(candidates)):
                    pending.append(tiers)
                else:  # scattered whole; a passage it adds is no candidate (not marked seen)
                    found.append(scatter(tiers, *tiers.unvisited))
            result = scores[candidates]
            for i, tiers in enumerate(pending):
                alive = result + sum(t.bound for t in pending[i:]) >= floor
                candidates, result = candidates[alive], result[alive]
                result = result + tiers.weight * self._impacts_of(tiers.term, candidates, tiers.visited_end)
                if len(result) >= k:
                    floor = max(floor, _kth_largest(result, k))
            # Every candidate scoring at least the k-th best (ties at the cut included), so that
            # ties are broken by position, then the best k of them.
            keep = np.flatnonzero(result >= _kth_largest(result, k)) if len(result) > k else np.arange(len(result))
            order = keep[np.lexsort((candidates[keep], -result[keep]))][:k]
            return [(int(candidates[j]), float(result[j])) for j in order]
        finally:
            for ids in found:
                scores[ids] = 0.0
                seen[ids] = 0

    def _exact_floor(self, plan: list[_TermTiers], candidates: np.ndarray, scores: np.ndarray, k: int) -> float:
        """The k-th best exact score among the candidates with the best partial scores: their
        partial scores completed with what the unvisited tiers add, as the search's last step
        completes them (a term visited whole needs no lookup)."""
        partial = scores[candidates]
        if len(candidates) > FLOOR_SAMPLE:
            candidates = np.sort(candidates[np.argpartition(-partial, FLOOR_SAMPLE - 1)[:FLOOR_SAMPLE]])
            partial = scores[candidates]
        exact = partial
        for tiers in _unvisited(plan):
            exact = exact + tiers.weight * self._impacts_of(tiers.term, candidates, tiers.visited_end)
        return _kth_largest(exact, k)

    def _looks_up(self, tiers: _TermTiers, candidates: int) -> bool:
        """Whether the search completes that many candidates with the term's unvisited postings
        by lookup (a dense term always: a gather per candidate) rather than by scattering them."""
        start, end = tiers.unvisited
        return tiers.term in self._dense or end - start > SCATTER_SHARE * candidates

    def sentence_counts(self, positions: Sequence[int]) -> list[int]:
        """How many sentences each passage at `positions` has; 0 where none were recorded."""
        return self.arrays.sentence_counts[np.asarray(positions, dtype=np.int64)].tolist()

    def sentences(self, terms: Iterable[str], positions: Sequence[int]) -> dict[str, list[int]]:
        """For each of `terms` the index knows, which sentences of each passage at `positions`
        use it, as a bitmask: bit i for sentence i, bit `sentence_counts` for the passage's
        title or section heading; 0 where the passage lacks the term or records no sentences."""
        at = np.asarray(positions, dtype=np.intp)
        found = {}
        for term in terms:
            i = self._term_ids.get(term)
            if i is not None:
                posting, hit = self._postings_at(i, at)
                found[term] = np.where(hit, self.arrays.sentence_masks[posting], 0).tolist()
        return found

    def _impacts_of(self, term: int, positions: np.ndarray, after: int | None = None) -> np.ndarray:
        """The term's impact in each of `positions` (0 where absent); with `after`, only
        from postings at or beyond that offset of the tiered arrays (the unvisited tiers)."""
        if len(positions) == 0:
            return np.zeros(0)
        posting, hit = self._postings_at(term, positions, after)
        return np.where(hit, self.arrays.impacts[posting], 0.0)

    def _postings_at(self, term: int, positions: np.ndarray, after: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Where the term's posting for each of `positions` (intp) sits in the tiered arrays
        (intp), and whether it has one there (at or beyond offset `after`, if given).

        Indices are intp because numpy converts any other index array on every gather or
        scatter (int32 ones make each about twice as slow); the int32 postings are searched
        with int32 keys, so the search does not convert the term's whole postings instead.
        """
        dense = self._dense.get(term)
        if dense is not None:
            posting = dense[positions].astype(np.intp)
            return posting, posting >= (0 if after is None else after)
        start, end = self._term_range(term)
        ids = self.arrays.doc_passages[start:end]
        if len(ids) == 0:
            return np.zeros(len(positions), dtype=np.intp), np.zeros(len(positions), dtype=bool)
        where = ids.searchsorted(positions.astype(ids.dtype))
        where[where >= len(ids)] = 0
        posting = self.arrays.doc_postings[start:end][where].astype(np.intp)
        hit = ids[where] == positions
        if after is not None:
            hit &= posting >= after
        return posting, hit

    def _dense_postings(self, term: int) -> np.ndarray:
        """Per passage, where the term's posting sits in the tiered arrays (-1: none): for a term
        in many passages, a lookup is then one gather instead of a binary search per passage."""
        start, end = self._term_range(term)
        dense = np.full(self.size, -1, dtype=np.int32)
        dense[self.arrays.doc_passages[start:end]] = self.arrays.doc_postings[start:end]
        return dense

    def _term_range(self, term: int) -> tuple[int, int]:
        """Where the term's postings are, in the tiered arrays and in their passage-ordered copy."""
        start = int(self.arrays.tier_starts[self.arrays.term_tiers[term]])
        return start, start + int(self.arrays.document_frequencies[term])

    def _buffers(self) -> tuple[np.ndarray, np.ndarray]:
        """This thread's score accumulator and seen-marks (all zero between queries)."""
        local = self._scratch
        if getattr(local, "scores", None) is None:
            local.scores = np.zeros(self.size, dtype=np.float64)
            local.seen = np.zeros(self.size, dtype=np.uint8)
        return local.scores, local.seen


class _TermTiers:
    """One query term's tiers, and how far the search has visited them."""

    def __init__(self, arrays: IndexArrays, term: int, weight: float) -> None:
        self.term, self.weight = term, weight
        first, last = int(arrays.term_tiers[term]), int(arrays.term_tiers[term + 1])
        self._starts = arrays.tier_starts[first : last + 1].tolist()
        self._bounds = [weight * b for b in arrays.tier_max[first:last].tolist()]
        self._next = 0
        self.visited_end = self._starts[0]  # postings before this offset have been scattered

    @property
    def done(self) -> bool:
        return self._next == len(self._bounds)

    @property
    def bound(self) -> float:
        """The most an unvisited posting of this term can add (0 when all are visited)."""
        return 0.0 if self.done else self._bounds[self._next]

    @property
    def unvisited(self) -> tuple[int, int]:
        """The posting range of the tiers not visited yet."""
        return self.visited_end, self._starts[-1]

    def gain_per_posting(self) -> float:
        """How much visiting the next tier lowers the bound, per posting it costs."""
        after = self._bounds[self._next + 1] if self._next + 1 < len(self._bounds) else 0.0
        size = self._starts[self._next + 1] - self._starts[self._next]
        return (self.bound - after) / size

    def advance(self) -> tuple[int, int]:
        """Visit the next tier; returns its posting range."""
        start, end = self._starts[self._next], self._starts[self._next + 1]
        self._next += 1
        self.visited_end = end
        return start, end


def _unvisited(plan: list[_TermTiers]) -> list[_TermTiers]:
    """The terms with tiers left to visit, the one that can add most first."""
    return sorted((t for t in plan if not t.done), key=lambda t: t.bound, reverse=True)


def _scores_plainly(groups: Sequence[Group], weights: Mapping[str, float]) -> bool:
    """Whether each group is one phrase of weight 1 that need not be whole, and no term is in
    two groups: then a passage's grouped score is its weighted BM25 score (`weights`)."""
    single = all(len(group) == 1 and group[0][1] == 1.0 and not group[0][2] for group in groups)
    return single and sum(len(set(group[0][0])) for group in groups) == len(weights)


def _kth_largest(values: np.ndarray, k: int) -> float:
    return float(np.partition(values, len(values) - k)[len(values) - k])
