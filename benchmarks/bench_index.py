"""Query latency, build time and memory of policybot's BM25 index next to rank-bm25 and bm25s.

All systems index the same synthetic token lists (`benchmarks/corpus.py`) in one process and
answer the same queries, so the figures are comparable on one machine. Only the public API
is used (`BM25Index.from_tokens`, `top_k`), so the benchmark measures any implementation of
the index unchanged.

- policybot: `BM25Index.from_tokens(passages)`, then `index.top_k(query, 10)`.
- rank-bm25: `BM25Okapi(passages)`, then `get_scores(query)` and a numpy top 10 (it has no
  top-k of its own that returns positions). It scans every passage in Python per query term,
  so from 500,000 passages on only the first 20 queries of each mix are timed.
- bm25s: `bm25s.BM25()` with its defaults (method "lucene": Lucene's IDF, which differs from
  BM25Okapi's, float32 scores, numpy backend: numba is not installed), indexed with
  `index(passages)` on the same token lists and queried with `retrieve([query], k=10)`, which
  maps the tokens through its vocabulary; its own tokenizer and stemmer are not used.

Each query's latency is measured with `time.perf_counter` after 10 untimed warm-up queries.
The cyclic garbage collector is frozen after the corpus is generated, so that no system's
build pays for rescanning the benchmark's million token lists.

    python benchmarks/bench_index.py --passages 100000 [--queries 200] [--seed 1] [--skip-rank-bm25]
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import os
import platform
import resource
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version

import bm25s
import numpy as np
from corpus import KINDS, passages_tokens, queries
from rank_bm25 import BM25Okapi

from retrieval.index import BM25Index

K = 10
WARMUP = 10
RANK_BM25_CAP_FROM, RANK_BM25_CAP = 500_000, 20
PARITY_QUERIES = 20  # half from each mix
PARITY_REL = 1e-5

Search = Callable[[Sequence[str]], list[tuple[int, float]]]


@dataclass
class Measurement:
    """One system's figures, measured in its own process."""

    build_s: float
    peak_rss_mb: float  # the process's peak after the build: corpus + index + build transients
    build_rss_mb: float  # growth of that peak during the build
    latencies_ms: dict[str, np.ndarray]  # per mix
    results: dict[str, list[list[tuple[int, float]]]]  # per mix, per timed query


def peak_rss_mb() -> float:
    """This process's peak resident set so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def build_policybot(passages: list[list[str]]) -> Search:
    """The index under test, through its public API only."""
    index = BM25Index.from_tokens(passages)
    return lambda query: index.top_k(query, K)


def build_rank_bm25(passages: list[list[str]]) -> Search:
    """The reference: `get_scores` for every passage, then the top k as policybot orders them."""
    model = BM25Okapi(passages)

    def search(query: Sequence[str]) -> list[tuple[int, float]]:
        scores = model.get_scores(list(query))
        top = np.argpartition(-scores, K - 1)[:K]
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top]

    return search


def build_bm25s(passages: list[list[str]]) -> Search:
    """A fast sparse-matrix BM25, fed the same token lists (its tokenizer would change the terms)."""
    model = bm25s.BM25()
    model.index(passages, show_progress=False)

    def search(query: Sequence[str]) -> list[tuple[int, float]]:
        documents, scores = model.retrieve([list(query)], k=K, show_progress=False)
        return list(zip(documents[0].tolist(), scores[0].tolist(), strict=True))

    return search


def time_queries(search: Search, mix: list[list[str]]) -> tuple[np.ndarray, list[list[tuple[int, float]]]]:
    """Per-query latencies in ms after WARMUP untimed queries, and the results."""
    for query in mix[:WARMUP]:
        search(query)
    latencies, results = [], []
    for query in mix:
        started = time.perf_counter()
        result = search(query)
        latencies.append(time.perf_counter() - started)
        results.append(result)
    return np.array(latencies) * 1000, results


def parity(expected: list[list[tuple[int, float]]], actual: list[list[tuple[int, float]]]) -> list[str]:
    """Mismatches between policybot's and rank-bm25's top-k scores (positions may differ on ties).

    policybot returns only passages that contain a query term; rank-bm25 fills its top k with
    zero-score passages when fewer match, so policybot's list is padded with zeros.
    """
    mismatches = []
    for i, (ours, theirs) in enumerate(zip(expected, actual, strict=True)):
        a = [score for _, score in ours] + [0.0] * (K - len(ours))
        b = [score for _, score in theirs]
        if not all(math.isclose(x, y, rel_tol=PARITY_REL, abs_tol=1e-12) for x, y in zip(a, b, strict=True)):
            mismatches.append(f"query {i}: policybot {a} != rank-bm25 {b}")
    return mismatches


def measure(
    build: Callable[[list[list[str]]], Search], passages: list[list[str]], mixes: dict[str, list], count: int
) -> Measurement:
    """Build one system and time its first `count` queries of each mix."""
    before = peak_rss_mb()
    started = time.perf_counter()
    search = build(passages)
    build_s, rss = time.perf_counter() - started, peak_rss_mb()
    latencies, results = {}, {}
    for mix, mix_queries in mixes.items():
        latencies[mix], results[mix] = time_queries(search, mix_queries[:count])
    return Measurement(build_s, rss, rss - before, latencies, results)


def in_child(function: Callable[..., Measurement], *args) -> Measurement:
    """Run `function(*args)` in a forked child process and return its result.

    The child shares the corpus copy-on-write, so its ru_maxrss is the corpus plus this
    system's build alone, not what earlier systems left behind (the peak never goes down, and
    freed memory is reused), and no system's garbage slows another's queries.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_send, args=(sender, function, args))
    child.start()
    sender.close()
    try:
        ok, value = receiver.recv()
    except EOFError:
        child.join()
        raise SystemExit(f"benchmark child died with exit code {child.exitcode}") from None
    child.join()
    if not ok:
        raise SystemExit(value)
    return value


def _send(sender, function: Callable[..., Measurement], args: tuple) -> None:
    try:
        sender.send((True, function(*args)))
    except Exception:
        sender.send((False, traceback.format_exc()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="queries per mix")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-rank-bm25", action="store_true", help="leave out rank-bm25 (slow at 1M passages)")
    args = parser.parse_args()
    if args.passages < K or args.queries < 1:
        parser.error(f"need at least {K} passages and 1 query")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    passages = passages_tokens(args.passages, args.seed)
    mixes = {kind: queries(kind, args.queries, args.seed) for kind in KINDS}
    gc.collect()
    gc.freeze()
    corpus_s = time.perf_counter() - started
    log(f"corpus: {args.passages:,} passages in {corpus_s:.1f} s")

    # (key, label, build, queries timed per mix)
    systems: list[tuple[str, str, Callable[[list[list[str]]], Search], int]] = [
        ("policybot", "policybot", build_policybot, args.queries),
        ("bm25s", f"bm25s {version('bm25s')} (lucene)", build_bm25s, args.queries),
    ]
    if not args.skip_rank_bm25:
        cap = RANK_BM25_CAP if args.passages >= RANK_BM25_CAP_FROM else args.queries
        systems.append(("rank-bm25", f"rank-bm25 {version('rank-bm25')}", build_rank_bm25, min(cap, args.queries)))

    measured: dict[str, Measurement] = {}
    for key, label, build, count in systems:
        log(f"{label}: building, then {count} queries per mix")
        measured[key] = in_child(measure, build, passages, mixes, count)

    print(
        f"passages: {args.passages:,} · queries: {args.queries} per mix · seed: {args.seed} · top-{K} · "
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()} · "
        f"corpus generated in {corpus_s:.1f} s"
    )
    print()
    print("| system | mix | queries | p50 ms | p95 ms | p95 / policybot | build s | peak RSS MB (+build) |")
    print("|---|---|---|---|---|---|---|---|")
    baseline = {mix: np.percentile(measured["policybot"].latencies_ms[mix], 95) for mix in KINDS}
    for key, label, _, count in systems:
        m = measured[key]
        for mix in KINDS:
            p50, p95 = np.percentile(m.latencies_ms[mix], [50, 95])
            timed = f"{count} (capped)" if count < args.queries else str(count)
            print(
                f"| {label} | {mix} | {timed} | {p50:.2f} | {p95:.2f} | {p95 / baseline[mix]:.2f} "
                f"| {m.build_s:.1f} | {m.peak_rss_mb:,.0f} (+{m.build_rss_mb:,.0f}) |"
            )
    print()
    if "rank-bm25" not in measured:
        print("parity: skipped (--skip-rank-bm25)")
        return
    half = PARITY_QUERIES // 2
    ours = [r for mix in KINDS for r in measured["policybot"].results[mix][:half]]
    theirs = [r for mix in KINDS for r in measured["rank-bm25"].results[mix][:half]]
    mismatches = parity(ours, theirs)
    if mismatches:
        print(f"parity: {len(mismatches)} of {len(ours)} queries differ\n" + "\n".join(mismatches))
        sys.exit(1)
    print(f"parity: ok ({len(ours)} queries)")


if __name__ == "__main__":
    main()
