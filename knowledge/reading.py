"""Read, parse and split the documents of a build, and analyze their passages for the index, in batches.

Parsing, splitting and tokenizing are most of a build's work, and each document's share
depends on that document alone, so a large build spreads batches of documents over worker
processes while the build process writes the store. Results come back in document order,
and a batch is read by the same code in a worker as in the build process, so a build with
workers writes exactly what a build without them writes. Workers are started with "spawn"
(nothing of the build process is inherited: not its lock, not its threads), ignore Ctrl-C
(the build stops them), exit when the build process is gone, even after SIGKILL, and write
no files.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from typing import NamedTuple

from knowledge import store
from knowledge.document import DocumentError, parse_document
from knowledge.folder import SourceFile, read_source
from knowledge.parent_watch import exit_when_parent_dies
from knowledge.passages import Passage, split_passages

# Documents are sent to workers in batches of about this many bytes: large enough that a
# batch's overhead (a round trip, its term list) is small, small enough to keep both cores busy.
BATCH_BYTES = 1_000_000
# Batches a worker gets at least (smaller ones for a folder of few megabytes), so that one
# slow batch at the end does not leave the other workers idle for long.
BATCHES_PER_WORKER = 8
# Below this many bytes of documents the build reads them itself: each worker takes ~0.4 s to
# start and learns every word again. Measured (2 cores, shared): 1 MB in 0.73 s alone, 1.36 s
# with 2 workers; 4 MB 2.23 s / 2.16 s; 8 MB 3.61 s / 3.30 s. The bundled article is 30 kB.
PARALLEL_BYTES = 4_000_000
# At most this many workers: the build process's own work (the store, the index) caps what
# more of them could add, and each holds its own memo of tokens.
MAX_WORKERS = 4
# Batches queued per worker: enough that none waits for the next, few enough to bound memory.
QUEUED_PER_WORKER = 2

# Analysis of a batch's (title, passages) documents, for the index (see `build.IndexSink`).
Analyze = Callable[[list[tuple[str, list[Passage]]]], object]


class ReadDocument(NamedTuple):
    """A document as the store takes it: its row and its passages' (id, ordinal, section, text)."""

    id: str
    content_hash: str
    row: tuple
    passages: list[tuple[str, int, str, str]]


class ReadBatch(NamedTuple):
    """Each document of a batch, read or refused (in order), and the analysis of the read ones' passages."""

    documents: list[ReadDocument | DocumentError]
    analyzed: object


def read_batches(sources: Sequence[SourceFile], analyze: Analyze, workers: int | None = None) -> Iterator[ReadBatch]:
    """Every document of `sources`, in order, a batch at a time; in worker processes for a large folder.

    `workers` is how many (None: see `default_workers`; 0 or 1: none, the documents are read
    here). Close the iterator (or exhaust it) to stop the workers. Like any "spawn" start, a
    worker imports the program's main module: a script calling this needs `if __name__ == "__main__":`.
    """
    if workers is None:
        workers = default_workers(sources)
    if workers <= 1:  # a document at a time, so progress is told as each is read
        for source in sources:
            yield read_batch([source], analyze)
        return
    total = sum(source.size for source in sources)
    waiting = iter(_batches(sources, min(BATCH_BYTES, total // (workers * BATCHES_PER_WORKER) + 1)))
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(analyze, os.getpid()),
    )
    try:
        queued = deque(pool.submit(_read_in_worker, batch) for batch in islice(waiting, workers * QUEUED_PER_WORKER))
        while queued:
            done = queued.popleft().result()
            for batch in islice(waiting, 1):
                queued.append(pool.submit(_read_in_worker, batch))
            yield done
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def default_workers(sources: Sequence[SourceFile]) -> int:
    """One worker per core this process may run on, up to MAX_WORKERS; none for a small folder."""
    if sum(source.size for source in sources) < PARALLEL_BYTES:
        return 0
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, MAX_WORKERS)


def read_batch(sources: Sequence[SourceFile], analyze: Analyze) -> ReadBatch:
    """Read, check, parse and split each document; analyze the passages of those that are good."""
    documents: list[ReadDocument | DocumentError] = []
    good: list[tuple[str, list[Passage]]] = []
    for source in sources:
        try:
            document = parse_document(read_source(source), source.document_id, source.relative)
        except DocumentError as exc:
            documents.append(exc)
            continue
        pieces = split_passages(document)
        row = store.document_row(document, source.relative, source.size, source.mtime_ns, len(pieces))
        passages = [(p.id, p.position, p.section, p.text) for p in pieces]
        documents.append(ReadDocument(document.id, document.content_hash, row, passages))
        good.append((document.title, pieces))
    return ReadBatch(documents, analyze(good))


def _batches(sources: Sequence[SourceFile], batch_bytes: int) -> list[list[SourceFile]]:
    """Consecutive runs of documents of about `batch_bytes` each (a larger document alone)."""
    batches: list[list[SourceFile]] = []
    size = batch_bytes
    for source in sources:
        if size >= batch_bytes:
            batches.append([])
            size = 0
        batches[-1].append(source)
        size += source.size
    return batches


# The analysis a worker applies to its batches, set when it starts.
_analyze: Analyze | None = None


def _start_worker(analyze: Analyze, parent: int) -> None:
    global _analyze
    _analyze = analyze
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_when_parent_dies(parent)


def _read_in_worker(sources: list[SourceFile]) -> ReadBatch:
    return read_batch(sources, _analyze)
