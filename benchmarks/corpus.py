"""A seeded synthetic corpus for index benchmarks: English-like in the ways BM25 cares about.

The bundled knowledge base is a few hundred passages, far too small to show how the index
scales, and real corpora of a million passages cannot ship with the repository. What matters
to BM25 speed is the shape of the data, so this module imitates it: 50,000 pronounceable
pseudo-words, token frequencies following Zipf's law (exponent 1.0, as in English text), and
passages of 40–80 tokens (uniform, mean 60, like the knowledge base's paragraphs). Shorter
words get the frequent ranks, as in English, so the samples read plausibly.

Everything is a pure function of `seed`: the same seed gives the same vocabulary, passages and
queries on every machine, so two runs (or two versions of the index) see identical input.
Word ids are drawn in bulk with numpy; a million passages take ~8 s and under a gigabyte (the
token lists share the vocabulary's string objects).

With Zipf 1.0 over 50,000 words and 60-token passages, the rank-1 word occurs in ~99% of
passages, rank 7 in ~53% and rank 20 in ~23%; rank 200 is in ~2.6% and rank 20,000 in
~0.03%. Run `python benchmarks/corpus.py` to see samples and the measured figures.
"""

from __future__ import annotations

import argparse
import gc
import math
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

VOCABULARY_SIZE = 50_000
ZIPF_EXPONENT = 1.0
PASSAGE_LENGTH = (40, 80)  # inclusive bounds of the uniform token count
CHUNK = 100_000  # passages drawn per numpy call: bounds the temporary arrays

KINDS = ("common", "content")
COMMON_RANKS = (1, 20)  # the ~20 most frequent words, stop-word-like
CONTENT_RANKS = (200, 20_000)  # mid- and low-frequency words

# Syllable parts. The empty coda is repeated to favour open syllables, as in English speech;
# medial syllables get only simple codas so that clusters between syllables stay pronounceable.
ONSETS = (
    "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "y", "z",
    "bl", "br", "ch", "cl", "cr", "dr", "fl", "fr", "gl", "gr", "pl", "pr", "sh", "sl", "sp", "st", "th", "tr",
)  # fmt: skip
NUCLEI = ("a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "oa", "ou", "oo")
FINAL_CODAS = ("", "", "", "n", "r", "s", "t", "l", "m", "nd", "nt", "st", "ck", "ng", "rd", "sh")
MEDIAL_CODAS = ("", "", "", "n", "r", "l", "s", "m")
SYLLABLES_P = (0.04, 0.36, 0.42, 0.18)  # share of 1-, 2-, 3- and 4-syllable words

SENTENCE_END_P = 1 / 12  # chance that a token ends a sentence: sentences of ~12 words
COMMA_P = 0.07
QUESTION_P, EXCLAMATION_P = 0.06, 0.03  # shares of sentence ends
SUFFIXES = np.array(["", ",", ".", "?", "!"], dtype=object)

# Independent random streams per purpose, so that e.g. asking for more queries never changes
# the passages.
_VOCABULARY, _PASSAGES, _TEXT, _QUERIES = range(4)


@lru_cache(maxsize=4)
def vocabulary(seed: int = 1) -> tuple[str, ...]:
    """50,000 distinct lowercase pseudo-words; index i is frequency rank i + 1 (shortest first)."""
    rng = np.random.default_rng([seed, _VOCABULARY])
    words: dict[str, int] = {}  # word -> syllable count, in draw order
    while len(words) < VOCABULARY_SIZE:
        m = VOCABULARY_SIZE
        counts = rng.choice(len(SYLLABLES_P), size=m, p=SYLLABLES_P) + 1
        onsets = rng.integers(len(ONSETS), size=(m, 4)).tolist()
        nuclei = rng.integers(len(NUCLEI), size=(m, 4)).tolist()
        medial = rng.integers(len(MEDIAL_CODAS), size=(m, 4)).tolist()
        final = rng.integers(len(FINAL_CODAS), size=m).tolist()
        for i, count in enumerate(counts.tolist()):
            word = "".join(
                ONSETS[onsets[i][s]] + NUCLEI[nuclei[i][s]] + MEDIAL_CODAS[medial[i][s]] for s in range(count - 1)
            )
            word += ONSETS[onsets[i][count - 1]] + NUCLEI[nuclei[i][count - 1]] + FINAL_CODAS[final[i]]
            words.setdefault(word, count)
            if len(words) == VOCABULARY_SIZE:
                break
    # Stable sort: random order within a syllable count, short words on the frequent ranks.
    return tuple(sorted(words, key=words.__getitem__))


@lru_cache(maxsize=1)
def _zipf_cdf() -> np.ndarray:
    """Cumulative Zipf probabilities over ranks 1..VOCABULARY_SIZE."""
    cdf = np.cumsum(1.0 / np.arange(1, VOCABULARY_SIZE + 1, dtype=np.float64) ** ZIPF_EXPONENT)
    return cdf / cdf[-1]


@lru_cache(maxsize=1)
def _zipf_table(buckets: int = 1 << 22) -> np.ndarray:
    """For each of `buckets` equal slices of [0, 1), the first word id whose cdf exceeds its start.

    `np.searchsorted` over the cdf costs ~16 cache-missing probes per draw (8 s for a million
    passages); a table lookup plus a rare one-step correction gives the same ids in a third of that.
    """
    return np.searchsorted(_zipf_cdf(), np.arange(buckets) / buckets, side="right").astype(np.int32)


def _zipf_ids(u: np.ndarray) -> np.ndarray:
    """Word ids for uniform draws `u`: exactly `searchsorted(cdf, u, side="right")`."""
    cdf, table = _zipf_cdf(), _zipf_table()
    ids = table[(u * len(table)).astype(np.int64)]
    while (behind := cdf[np.minimum(ids, VOCABULARY_SIZE - 1)] <= u).any():
        ids[behind] += 1
    return np.minimum(ids, VOCABULARY_SIZE - 1)


def _id_chunks(n: int, seed: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(chunk number, lengths, flat word ids) for CHUNK passages at a time; word id = rank - 1.

    Each chunk has its own random stream and always draws CHUNK lengths, so the first `n`
    passages are the same whatever `n` is: a smaller corpus is a prefix of a larger one.
    """
    low, high = PASSAGE_LENGTH
    for chunk, start in enumerate(range(0, n, CHUNK)):
        rng = np.random.default_rng([seed, _PASSAGES, chunk])
        lengths = rng.integers(low, high + 1, size=CHUNK)[: n - start]
        yield chunk, lengths, _zipf_ids(rng.random(int(lengths.sum())))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many lists.

    Each full collection rescans every list built so far, which made a million passages take
    17 s instead of 3; the lists hold only strings, so there is no cycle to find.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _split(flat: list, lengths: np.ndarray) -> Iterator[list]:
    ends = np.cumsum(lengths).tolist()
    return (flat[s:e] for s, e in zip([0, *ends[:-1]], ends, strict=True))


def passages_tokens(n: int, seed: int = 1) -> list[list[str]]:
    """`n` passages as lists of lowercase tokens (what an index's `from_tokens` takes)."""
    words = np.array(vocabulary(seed), dtype=object)
    passages: list[list[str]] = []
    with _collector_paused():
        for _, lengths, ids in _id_chunks(n, seed):
            passages.extend(_split(words[ids].tolist(), lengths))
    return passages


def passages_text(n: int, seed: int = 1) -> Iterator[str]:
    """The passages of `passages_tokens(n, seed)`, lazily, as raw text, one string each.

    Each passage is a few sentences: a capital letter after each sentence end, commas, and
    full stops, question and exclamation marks, so an index-from-text benchmark pays for real
    tokenization. `re.findall("[a-z]+", text.lower())` gives back the token list.
    """
    words = np.array(vocabulary(seed), dtype=object)
    capitals = np.array([w.capitalize() for w in vocabulary(seed)], dtype=object)
    for chunk, lengths, ids in _id_chunks(n, seed):
        last = np.zeros(len(ids), dtype=bool)
        last[np.cumsum(lengths) - 1] = True
        u, v = np.random.default_rng([seed, _TEXT, chunk]).random((len(ids), 2)).T
        stop = last | (u < SENTENCE_END_P)
        starts = np.roll(stop, 1)  # the chunk's last token ends a passage, so token 0 starts one
        suffix = np.where(v < COMMA_P, 1, 0)
        suffix[stop] = np.select([v < QUESTION_P, v < QUESTION_P + EXCLAMATION_P], [3, 4], 2)[stop]
        tokens = np.where(starts, capitals[ids], words[ids]) + SUFFIXES[suffix]
        for passage in _split(tokens.tolist(), lengths):
            yield " ".join(passage)


def _most_passages_ranks() -> int:
    """How many top ranks are expected in more than half the passages (7 with the defaults)."""
    p = np.diff(_zipf_cdf(), prepend=0.0)[: COMMON_RANKS[1]]
    lengths = np.arange(PASSAGE_LENGTH[0], PASSAGE_LENGTH[1] + 1)
    df = 1 - ((1 - p[:, None]) ** lengths).mean(axis=1)
    return max(1, int((df > 0.5).sum()))


def queries(kind: str, n: int, seed: int = 1) -> list[list[str]]:
    """`n` queries of 2–4 distinct words from `vocabulary(seed)`, in random order.

    "common" queries are the expensive case: they hold one word found in most passages
    (ranks 1–7: with Zipf 1.0 only those are), sometimes a second of the 20 most frequent
    words, and content words, so their postings span most of the corpus. "content" queries
    hold only words of rank 200–20,000, each in under 3% of passages, drawn log-uniformly by
    rank so that mid- and low-frequency words are equally represented.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    words = vocabulary(seed)
    rng = np.random.default_rng([seed, _QUERIES, KINDS.index(kind)])
    low, high = math.log(CONTENT_RANKS[0]), math.log(CONTENT_RANKS[1] + 1)
    most = _most_passages_ranks()
    result = []
    for _ in range(n):
        size = int(rng.integers(2, 5))
        ranks = []
        if kind == "common":
            ranks.append(int(rng.integers(1, most + 1)))
            if size > 2 and rng.random() < 0.5:
                others = [r for r in range(COMMON_RANKS[0], COMMON_RANKS[1] + 1) if r != ranks[0]]
                ranks.append(int(rng.choice(others)))
        while len(ranks) < size:
            rank = min(int(math.exp(rng.uniform(low, high))), CONTENT_RANKS[1])
            if rank not in ranks:
                ranks.append(rank)
        result.append([words[ranks[i] - 1] for i in rng.permutation(size)])
    return result


def main() -> None:
    """Print samples and vocabulary / document-frequency statistics."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=20_000, help="passages sampled for the statistics")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    words = vocabulary(args.seed)
    print(f"vocabulary: {len(words):,} words ({len(set(words)):,} distinct) in {time.perf_counter() - started:.2f} s")
    for rank in (1, 2, 3, 10, 100, 1_000, 10_000, 50_000):
        print(f"  rank {rank:>6,}: {words[rank - 1]}")

    started = time.perf_counter()
    passages = passages_tokens(args.passages, args.seed)
    elapsed = time.perf_counter() - started
    tokens = sum(map(len, passages))
    print(f"\n{len(passages):,} passages, {tokens:,} tokens (mean {tokens / len(passages):.1f}) in {elapsed:.2f} s")
    df = Counter(word for passage in passages for word in set(passage))
    rank = {word: r for r, word in enumerate(words, start=1)}
    print(f"distinct words used: {len(df):,}; words in more than half the passages: "
          f"{sum(d > len(passages) / 2 for d in df.values())}")  # fmt: skip
    for r in (1, 2, 5, 7, 10, 20, 200, 2_000, 20_000):
        print(f"  df of rank {r:>6,}: {df[words[r - 1]] / len(passages):7.2%}")

    print("\npassage 0 (tokens):", " ".join(passages[0]))
    for text in passages_text(2, args.seed):
        print("passage (text):", text)
    assert re.findall("[a-z]+", next(passages_text(1, args.seed)).lower()) == passages[0]

    for kind in KINDS:
        print(f"\n{kind} queries (word: rank, df):")
        for query in queries(kind, 4, args.seed):
            print("  " + ", ".join(f"{w}: {rank[w]}, {df[w] / len(passages):.1%}" for w in query))


if __name__ == "__main__":
    main()
